from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HonorariaConfig(AppConfig):
    name = "articles.honoraria"
    label = "honoraria"
    verbose_name = _("稿酬与样刊")
