from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, Q

from articles.models import Article, Contributor
from issues.models import Section


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at


class ContributorSitemap(Sitemap):
    """Contributors with a published article, last modified when the latest of those was."""

    def items(self):
        published = Article.objects.published().filter(authorships__contributor=OuterRef("pk"))
        return (
            Contributor.objects.filter(Exists(published))
            .annotate(
                last_article=Max(
                    "authorships__article__updated_at", filter=Q(authorships__article__in=Article.objects.published())
                )
            )
            .order_by("pk")
        )

    def lastmod(self, contributor):
        return contributor.last_article


class SectionSitemap(Sitemap):
    """Every section with published articles, its own or its sub-sections' (a parent's page lists both)."""

    def items(self):
        published = Article.objects.published()
        in_section = published.filter(Q(section=OuterRef("pk")) | Q(section__parent=OuterRef("pk")))
        last = in_section.order_by("-updated_at").values("updated_at")[:1]
        return Section.objects.filter(Exists(in_section)).annotate(last_article=last)

    def lastmod(self, section):
        return section.last_article
