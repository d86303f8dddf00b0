from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("期刊")

    def ready(self):
        from issues.caching import invalidate_on_changes_to
        from issues.models import Issue, IssuePDF, MastheadLine, Periodical, Section

        invalidate_on_changes_to(Periodical, Section, Issue, MastheadLine, IssuePDF)
