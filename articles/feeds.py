from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from issues.models import Periodical

FEED_LENGTH = 50


class ArticleFeed(Feed):
    """Atom: the articles of the latest published issues."""

    feed_type = Atom1Feed
    link = "/"

    def title(self):
        return _("%(name)s：文章") % {"name": Periodical.load().name}

    def items(self):
        return (
            Article.objects.published()
            .select_related("issue", "section__parent")
            .with_authors()
            .order_by("-issue__published_at", "position", "pk")[:FEED_LENGTH]
        )

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return article.description

    def item_author_name(self, article):
        return article.printed_byline.removeprefix("文 / ") or None

    def item_pubdate(self, article):
        return article.issue.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_categories(self, article):
        return [article.section.full_name]
