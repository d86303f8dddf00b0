from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from issues.models import Issue, Periodical

FEED_LENGTH = 20


class IssueFeed(Feed):
    """Atom: one entry per published issue, newest first."""

    feed_type = Atom1Feed
    link = "/issues/"

    def title(self):
        return _("%(name)s：各期") % {"name": Periodical.load().name}

    def subtitle(self):
        return Periodical.load().slogan

    def items(self):
        return Issue.objects.published().latest_first().prefetch_related("articles")[:FEED_LENGTH]

    def item_title(self, issue):
        return f"{issue.issue_line}{'：' + issue.title if issue.title else ''}"

    def item_description(self, issue):
        titles = [article.title for article in issue.articles.all() if article.in_toc]
        return "；".join(titles)

    def item_pubdate(self, issue):
        return issue.published_at

    def item_updateddate(self, issue):
        return issue.updated_at
