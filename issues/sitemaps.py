from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from issues.models import Issue


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
