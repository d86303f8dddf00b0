from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse

from articles.models import Article, Authorship, Contributor
from issues.models import Issue, Section


class PagesSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return ["home", "issues:archive"]

    def location(self, name):
        return reverse(name)


class IssueSitemap(Sitemap):
    def items(self):
        return Issue.objects.published().latest_first()

    def lastmod(self, issue):
        return issue.updated_at


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at


class SectionSitemap(Sitemap):
    def items(self):
        return Section.objects.filter(Exists(Article.objects.published().filter(section=OuterRef("pk"))))


class ContributorSitemap(Sitemap):
    def items(self):
        published = Authorship.objects.filter(contributor=OuterRef("pk"), article__in=Article.objects.published())
        return Contributor.objects.filter(Exists(published)).order_by("pk")


SITEMAPS = {
    "pages": PagesSitemap,
    "issues": IssueSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "contributors": ContributorSitemap,
}
