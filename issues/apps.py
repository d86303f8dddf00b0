from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("期刊")

    def ready(self):
        from issues.caching import invalidate_on_changes_to
        from issues.models import Issue, IssuePDF, MastheadLine, Periodical, Section

        invalidate_on_changes_to(Periodical, Section, Issue, MastheadLine, IssuePDF)


class LoginAttemptsConfig(axes_apps.AppConfig):
    """django-axes (sign-in limits) under a Chinese name in the admin; its labels are in locale/."""

    default = False  # the app "issues" is IssuesConfig; this one is named in INSTALLED_APPS
    verbose_name = _("登录记录")
