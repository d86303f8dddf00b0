from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from issues.models import Issue


class PagesSitemap(Sitemap):
    """The pages that are not an issue, article, section or contributor: home, archive, how to subscribe, submit."""

    changefreq = "weekly"

    def items(self):
        return ["home", "issues:archive", "subscriptions:how_to_subscribe", "submissions:submit"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        # Home and archive change with each published issue; the other two carry no date of their own.
        if name in ("home", "issues:archive"):
            return Issue.objects.published().aggregate(last=Max("updated_at"))["last"]
        return None


class IssueSitemap(Sitemap):
    def items(self):
        return Issue.objects.published().latest_first()

    def lastmod(self, issue):
        return issue.updated_at
