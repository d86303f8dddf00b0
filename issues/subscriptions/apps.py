from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "issues.subscriptions"
    label = "subscriptions"
    verbose_name = _("订阅与下载")

    def ready(self):
        from issues.signals import issue_published
        from issues.subscriptions import checks  # noqa: F401  (registers the system checks)
        from issues.subscriptions.tasks import notify_published_issue

        issue_published.connect(notify_published_issue, dispatch_uid="subscriptions-notify-published-issue")
