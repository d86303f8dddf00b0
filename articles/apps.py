from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("文章")

    def ready(self):
        from articles.models import Article, Authorship, Contributor
        from issues.caching import invalidate_on_changes_to

        invalidate_on_changes_to(Article, Authorship, Contributor)
