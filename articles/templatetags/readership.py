"""The "most read" lists for any page of the reading site: {% load readership %}{% most_read_lists issue=… %}."""

from django import template

from articles import readership

register = template.Library()


@register.inclusion_tag("articles/_most_read.html")
def most_read_lists(issue=None):
    """本期热读 of `issue` (if given) and 全站热读 of the last SITE_WINDOW_DAYS days: two queries
    (the site's list comes from the cache when another page has computed it)."""
    return {
        "most_read_issue": readership.most_read(issue_id=issue.pk) if issue else [],
        "most_read_site": readership.most_read_site(),
        "most_read_days": readership.SITE_WINDOW_DAYS,
    }
