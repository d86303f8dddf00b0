"""Keyword-only factories: each test says what it needs and gets nothing hidden."""

import datetime
import io

from PIL import Image

from articles.models import Article, Authorship, Contributor
from issues.models import Issue, MastheadLine, Section


def make_section(*, name="特别报道", parent=None, position=0):
    return Section.objects.get_or_create(name=name, parent=parent, defaults={"position": position})[0]


def make_issue(*, year=2017, number=1, total_number=None, status=Issue.Status.DRAFT, masthead=(), **fields):
    issue = Issue.objects.create(
        year=year,
        number=number,
        total_number=total_number or (year - 2000) * 10 + number,
        publication_date=fields.pop("publication_date", datetime.date(year, 1, 31)),
        status=status,
        published_at=fields.pop("published_at", None)
        or (datetime.datetime(year, 2, 1, tzinfo=datetime.UTC) if status == Issue.Status.PUBLISHED else None),
        **fields,
    )
    for position, (label, value) in enumerate(masthead, start=1):
        MastheadLine.objects.create(issue=issue, position=position, label=label, value=value)
    return issue


def make_contributor(*, name="王毅", **fields):
    return Contributor.objects.create(name=name, **fields)


def make_article(
    *, issue=None, section=None, title="文章标题", position=1, authors=(), status=Article.Status.DRAFT, **fields
):
    article = Article.objects.create(
        issue=issue,
        section=section or make_section(),
        title=title,
        position=position,
        status=status,
        **fields,
    )
    for order, contributor in enumerate(authors, start=1):
        Authorship.objects.create(article=article, contributor=contributor, position=order)
    return article


def image_bytes(*, format="PNG", size=(60, 40), color=(20, 90, 130)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=format)
    return out.getvalue()
