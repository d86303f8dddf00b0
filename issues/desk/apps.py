from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The editors' desk: the admin page where an issue is composed, typeset and published."""

    name = "issues.desk"
    label = "desk"
    verbose_name = _("编辑工作台")
