"""Both Atom feeds as a feed reader sees them: parsed by feedparser, which nobody on the project wrote."""

import io

import feedparser
import pytest
from django.core.management import call_command
from django.urls import reverse

from issues.models import Issue


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    return Issue.objects.get()


def parsed(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("name", ["feed-issues", "feed-articles"])
def test_each_feed_is_well_formed_with_the_periodical_as_author_in_the_pages_language(client, demo, name):
    feed = parsed(client, name)
    assert feed.feed.author and feed.feed.language == "zh-CN"
    assert feed.entries and all(entry.get("authors") or feed.feed.author for entry in feed.entries)


def test_issue_entries_are_dated_by_the_issue_not_the_day_it_was_loaded(client, demo):
    (entry,) = parsed(client, "feed-issues").entries
    assert entry.published.startswith(demo.publication_date.isoformat())  # in the site's time zone


def test_article_entries_name_each_author_and_carry_the_issues_date(client, demo):
    entries = {entry.title: entry for entry in parsed(client, "feed-articles").entries}
    # Briefs without a byline have no author of their own: the feed's (the periodical) stands for them.
    assert entries["从“有没有”走向“好不好”"].authors[0]["name"] == "林知远"
    two_authors = entries["县域O2O的“最后一公里”"]
    assert [author["name"] for author in two_authors.authors] == ["周雅琴", "马骏"]
    assert all(entry.published.startswith(demo.publication_date.isoformat()) for entry in entries.values())
