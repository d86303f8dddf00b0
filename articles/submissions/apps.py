from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "articles.submissions"
    label = "submissions"
    verbose_name = _("来稿")

    def ready(self):
        from articles.services import register_publish_check
        from articles.submissions.reviews import unreviewed_articles

        register_publish_check(unreviewed_articles)
