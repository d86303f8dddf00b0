from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db import apps as tasks_db_apps


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("期刊")

    def ready(self):
        from issues.caching import invalidate_on_changes_to
        from issues.models import Issue, IssuePDF, MastheadLine, Periodical, Section, StandingPage

        invalidate_on_changes_to(Periodical, StandingPage, Section, Issue, MastheadLine, IssuePDF)


def _attempted_at(entry):
    return f"{timezone.localtime(entry.attempt_time):%Y-%m-%d %H:%M:%S}"


def _access_attempt_name(attempt):
    return gettext("%(username)s 的登录失败计数（%(time)s 起）") % {
        "username": attempt.username,
        "time": _attempted_at(attempt),
    }


def _access_log_name(entry):
    return gettext("%(username)s 于 %(time)s 登录") % {"username": entry.username, "time": _attempted_at(entry)}


def _access_failure_name(failure):
    return gettext("%(username)s 于 %(time)s 登录失败") % {"username": failure.username, "time": _attempted_at(failure)}


class LoginAttemptsConfig(axes_apps.AppConfig):
    """django-axes (sign-in limits) under a Chinese name in the admin; its labels are in locale/."""

    default = False  # the app "issues" is IssuesConfig; this one is named in INSTALLED_APPS
    verbose_name = _("登录记录")

    def ready(self):
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        # axes names its rows in English f-strings, which no catalogue reaches; the admin prints
        # these names in titles, breadcrumbs, delete confirmations and the recent-actions list.
        AccessAttempt.__str__ = _access_attempt_name
        AccessLog.__str__ = _access_log_name
        AccessFailureLog.__str__ = _access_failure_name


class TaskResultsConfig(tasks_db_apps.TasksAppConfig):
    """django-tasks-db (the database task queue) under a Chinese name; its labels are in locale/."""

    default = False
    verbose_name = _("后台任务")
