from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef

from articles.models import Article, Authorship, Contributor
from issues.models import Section


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at


class ContributorSitemap(Sitemap):
    def items(self):
        published = Authorship.objects.filter(contributor=OuterRef("pk"), article__in=Article.objects.published())
        return Contributor.objects.filter(Exists(published)).order_by("pk")


class SectionSitemap(Sitemap):
    def items(self):
        return Section.objects.filter(Exists(Article.objects.published().filter(section=OuterRef("pk"))))
