from django.utils.translation import gettext_lazy as _

from articles.metadata import article_authors
from articles.models import Article
from issues.feeds import PeriodicalFeed, issue_datetime

FEED_LENGTH = 50


class ArticleFeed(PeriodicalFeed):
    """Atom: the articles of the latest published issues, each with its authors (contributors or byline)."""

    link = "/"

    def title(self, periodical):
        return _("%(name)s：文章") % {"name": periodical.name}

    def items(self):
        return (
            Article.objects.published()
            .select_related("issue", "section__parent")
            .with_authors()
            .order_by("-issue__publication_date", "-issue__published_at", "position", "pk")[:FEED_LENGTH]
        )

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return article.description

    def item_extra_kwargs(self, article):
        authors = article_authors(article)
        return {"authors": [(author.name, author.get_absolute_url()) for author in authors]}

    def item_pubdate(self, article):
        return issue_datetime(article.issue)

    def item_updateddate(self, article):
        return issue_datetime(article.issue)

    def item_categories(self, article):
        return [article.section.full_name]
