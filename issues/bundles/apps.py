from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BundlesConfig(AppConfig):
    """Issue bundles: an app of its own for the import, export and demo commands."""

    name = "issues.bundles"
    label = "bundles"
    verbose_name = _("期刊包")
