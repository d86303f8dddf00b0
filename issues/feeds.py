"""Atom feeds of the reading site, and the Atom writer both feeds use.

RFC 4287: every entry needs an author, its own or the feed's. The feed's author is the
periodical's host unit (主办单位) or the periodical; an entry names each of its authors.
Dates are the printed issue's, not the rows': a back issue loaded today is still of 2017.
"""

import datetime
from urllib.parse import urljoin

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from issues.models import Issue, Periodical

FEED_LENGTH = 20
LANGUAGE = "zh-CN"  # as the pages' <html lang>


class AuthorsAtomFeed(Atom1Feed):
    """Atom with one <author> per name in an item's `authors` ([(name, path or None)]); Django writes one.

    A path (a contributor's page) is made absolute against the feed's own link.
    """

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, uri in item.get("authors", ()):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            if uri:
                handler.addQuickElement("uri", urljoin(self.feed["link"], uri))
            handler.endElement("author")


def issue_datetime(issue) -> datetime.datetime:
    """The issue's publication date as the start of that day in the site's time zone (feeds want a time)."""
    return timezone.make_aware(datetime.datetime.combine(issue.publication_date, datetime.time()))


class PeriodicalFeed(Feed):
    """What both feeds share: written by the periodical, in the pages' language."""

    feed_type = AuthorsAtomFeed
    language = LANGUAGE

    def get_object(self, request, *args, **kwargs):
        return Periodical.load()

    def author_name(self, periodical):
        return periodical.host_unit or periodical.name


class IssueFeed(PeriodicalFeed):
    """Atom: one entry per published issue, newest first."""

    link = "/issues/"

    def title(self, periodical):
        return _("%(name)s：各期") % {"name": periodical.name}

    def subtitle(self, periodical):
        return periodical.slogan

    def items(self):
        return Issue.objects.published().latest_first().prefetch_related("articles")[:FEED_LENGTH]

    def item_title(self, issue):
        return f"{issue.issue_line}{'：' + issue.title if issue.title else ''}"

    def item_description(self, issue):
        titles = [article.title for article in issue.articles.all() if article.in_toc]
        return "；".join(titles)

    def item_pubdate(self, issue):
        return issue_datetime(issue)

    def item_updateddate(self, issue):
        return issue_datetime(issue)
