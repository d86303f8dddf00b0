"""Issue bundles: the folder or .zip format in which issues are imported and archived.

See `importer.import_bundle` and `exporter.export_bundle`; the format is described in the README.
"""
