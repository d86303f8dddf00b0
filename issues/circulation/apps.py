from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    """发行: the recipients of the printed issue, its print order and the mailing labels."""

    name = "issues.circulation"
    label = "circulation"
    verbose_name = _("发行")

    def ready(self):
        from issues.circulation import receivers
        from issues.circulation.services import print_run_default
        from issues.models import register_print_run_default

        register_print_run_default(print_run_default)
        receivers.connect()
