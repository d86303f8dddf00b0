from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "issues.subscriptions"
    label = "subscriptions"
    verbose_name = _("订阅与下载")

    def ready(self):
        from issues.subscriptions import checks  # noqa: F401  (registers the system checks)
