"""Issue bundles: the folder or .zip format in which issues are imported and archived.

See `importer.import_bundle` and `exporter.export_bundle`; the format is described in the README.
"""

from issues.bundles.errors import BundleError
from issues.bundles.exporter import export_bundle
from issues.bundles.importer import import_bundle

__all__ = ["BundleError", "export_bundle", "import_bundle"]
