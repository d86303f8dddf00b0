from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TypesettingConfig(AppConfig):
    """Turning an issue into its PDFs: an app of its own for its command and its part in publishing."""

    name = "issues.typesetting"
    label = "typesetting"
    verbose_name = _("排版")

    def ready(self):
        from issues.signals import issue_published
        from issues.typesetting.tasks import build_published_issue

        issue_published.connect(build_published_issue, dispatch_uid="typesetting-build-published-issue")
