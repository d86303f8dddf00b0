"""Page views counted without cookies, and the "most read" lists made of them.

The article page's script (static/articles/readership.js) sends one beacon per page load to
`articles:read`; nothing is counted while the cached page is served. A reader is a hash of the
address and the browser's User-Agent under a salt derived from the secret key and the day, so
the same reader counts once per article and day, and the next day is someone new. The hashes
are kept only for their day (ArticleView) and deleted once it is over; what stays is the number
of readers per article and day (ArticleReads). Counting is two statements in one transaction —
an INSERT that a duplicate makes do nothing (the unique constraint decides, also between
concurrent beacons) and, when it inserted, an upsert of the day's count — and sends no signal,
so it never moves the ContentVersion: the lists on cached pages are at most a page lifetime old.
"""

import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleReads, ArticleView, published_articles
from issues.caching import PAGE_TTL
from issues.models import ContentVersion
from issues.throttle import RateLimit

MOST_READ_COUNT = 5
# 全站热读 counts the last 30 days: an all-time list would keep the first pieces that found
# readers on top for good and would add up more rows every year; a month holds the latest issue.
SITE_WINDOW_DAYS = 30
# Beacons from one address an hour that may count: room for an office of readers behind one
# NAT, not for one script inventing User-Agents. Duplicates are not rows, so they do not add up.
VIEWS_PER_ADDRESS = RateLimit(limit=300, window=timedelta(hours=1), by_field="address", time_field="viewed_at")
# Crawlers, link previews, scripts and headless browsers (prerenderers, scrapers) that run scripts.
BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|preview|fetch|scan|monitor|headless|phantom|selenium|puppeteer|playwright"
    r"|python|curl|wget|httpclient|java/|go-http|okhttp|axios|node-fetch|facebookexternalhit|lighthouse",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent or bool(BOT_USER_AGENT.search(user_agent))


def _daily_key(day: datetime.date) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"article-readers:{day.isoformat()}".encode(), "sha256").digest()


def reader_hashes(*, address: str, user_agent: str, day: datetime.date) -> tuple[str, str]:
    """(the reader: address and browser, the address alone), each hashed under the day's salt."""
    key = _daily_key(day)
    reader = hmac.new(key, f"{address}\n{user_agent}".encode(), hashlib.sha256).hexdigest()
    return reader, hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


class Throttled(Exception):
    """The address has sent more beacons than VIEWS_PER_ADDRESS allows."""


def article_view_record(*, article_id: int, address: str, user_agent: str) -> bool:
    """Count one reading of the article by this reader today; False when it was already counted.

    Raises Throttled when the address is over its limit. Deletes the day's reader hashes once the day is over.
    """
    now = timezone.now()
    day = timezone.localdate(now)
    reader, address_hash = reader_hashes(address=address, user_agent=user_agent, day=day)
    if VIEWS_PER_ADDRESS.exceeded(ArticleView.objects.all(), address_hash):
        raise Throttled
    views, reads, ops = ArticleView._meta.db_table, ArticleReads._meta.db_table, connection.ops
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {views} (article_id, day, reader, address, viewed_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (article_id, day, reader) DO NOTHING",
            [article_id, ops.adapt_datefield_value(day), reader, address_hash, ops.adapt_datetimefield_value(now)],
        )
        if cursor.rowcount != 1:
            return False
        cursor.execute(
            f"INSERT INTO {reads} (article_id, day, views) VALUES (%s, %s, 1) "
            f"ON CONFLICT (article_id, day) DO UPDATE SET views = {reads}.views + 1",
            [article_id, ops.adapt_datefield_value(day)],
        )
        cursor.execute(f"DELETE FROM {views} WHERE day < %s", [ops.adapt_datefield_value(day)])
    return True


@dataclass(frozen=True)
class MostRead:
    """One line of a "most read" list."""

    pk: int
    slug: str
    title: str
    reads: int

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"pk": self.pk, "slug": self.slug or "-"})


def most_read(*, issue_id: int | None = None, days: int | None = None, limit: int = MOST_READ_COUNT) -> list[MostRead]:
    """The published articles read by most readers — of one issue, or within the last `days` — most first.

    One query over the daily counts (not over the articles), so its cost follows what was read, not the archive.
    """
    reads = ArticleReads.objects.filter(published_articles("article__"))
    if issue_id is not None:
        reads = reads.filter(article__issue_id=issue_id)
    if days is not None:
        reads = reads.since(timezone.localdate() - timedelta(days=days - 1))
    rows = (
        reads.values("article_id", "article__slug", "article__title")
        .annotate(total=Sum("views"))
        .order_by("-total", "article_id")[:limit]
    )
    return [
        MostRead(pk=row["article_id"], slug=row["article__slug"], title=row["article__title"], reads=row["total"])
        for row in rows
    ]


def most_read_site(*, days: int = SITE_WINDOW_DAYS, limit: int = MOST_READ_COUNT) -> list[MostRead]:
    """The site's most read of the last `days` days (as most_read), computed once for every page that shows it.

    Summing a month of daily counts costs tens of milliseconds on a large archive, and the list is the
    same on every page: it is kept as long as a cached page, under the content version, so that an
    article withdrawn or retitled leaves it at once.
    """
    key = f"most-read:{ContentVersion.current()}:{timezone.localdate().isoformat()}:{days}:{limit}"
    return cache.get_or_set(key, lambda: most_read(days=days, limit=limit), PAGE_TTL)
