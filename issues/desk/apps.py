from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The editors' desk: the admin page where an issue is composed, typeset and published."""

    name = "issues.desk"
    label = "desk"
    verbose_name = _("编辑工作台")


class DeskAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the desk as its site (issues/desk/sites.py); named in INSTALLED_APPS for the admin."""

    default = False  # the desk app's own config stays DeskConfig
    default_site = "issues.desk.sites.DeskSite"
