"""A large published archive for the reading-site benchmark: 400 issues, 10,000 articles, 2,000 contributors.

    .venv/bin/python benchmarks/make_archive.py --data-dir /tmp/archive   # keeps the folder, for a look
    .venv/bin/python benchmarks/make_archive.py --data-dir /tmp/archive --desk-work   # and an office at work

`benchmarks/reading_site.py` imports `throwaway_environment` and `make_archive` from here;
`benchmarks/admin.py` adds `make_desk_work`, what waits on the editors' desk. The
archive is written with bulk_create (no signals, no typesetting), so this module does itself
what `Article.save()` and the workflow would do: sanitised body, `plain_text`, its search text, slug, status and
publication time. Bodies are paragraphs, headings and tables of the demo issue, shuffled per
article (1.5–6.5 kB of HTML each, a block more at most), so texts differ and search words occur as often as in real copy.
"""

import argparse
import datetime
import os
import random
import re
import secrets
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / "issues" / "bundles" / "demo"

FIRST_YEAR = 1920
ISSUES_PER_YEAR = 4

# (section, sub-section or None, how many of an issue's 25 articles, in print order)
SECTIONS = [
    ("卷首语", None, 1),
    ("特别报道", None, 2),
    ("业界交流", None, 5),
    ("数据观察", "区域数据", 2),
    ("数据观察", "行业数据", 2),
    ("行业动态", "本地资讯", 6),
    ("行业动态", "国内资讯", 4),
    ("行业动态", "国际资讯", 3),
]
PLACES = ["南滨市", "临港新区", "滨江区", "南湖区", "县域", "全省", "长三角", "粤港澳大湾区", "东盟", "中西部"]
TOPICS = [
    "跨境电子商务", "农村电商", "智慧物流", "移动支付", "直播电商", "供应链金融", "网络零售", "电商人才培养",
    "快递业务", "大宗商品B2B", "数据要素市场", "平台经济", "跨境物流", "冷链物流", "社区团购", "海外仓",
]  # fmt: skip
TITLE_FORMS = [
    "{year}年{place}{topic}发展报告", "{place}{topic}调研", "{topic}观察：{place}的新变化", "{place}{topic}三问",
    "{topic}的实践与思考", "{year}年{topic}年度盘点", "{place}推进{topic}高质量发展", "{topic}新政解读",
]  # fmt: skip
SUBTITLES = ["来自一线的调查", "规模、结构与趋势", "问题与对策", "", "", "", "", ""]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红晓燕宇浩凯瑞琳欣悦思远雨晴知文博雅"
AFFILIATIONS = [
    "南滨市电子商务服务中心",
    "南滨大学经济学院",
    "南滨市商务局",
    "临港新区管委会",
    "南滨市快递行业协会",
    "",
]
# The apps whose permissions an office editor holds (make_desk_work): every app of the project.
PROJECT_APPS = ["issues", "articles", "submissions", "subscriptions", "typesetting", "bundles", "desk"]
OFFICE_EDITORS = [("yexiaozhou", "叶晓舟"), ("hanlei", "韩蕾")]
MASTHEAD = [
    ("指导单位", "南滨市商务局"),
    ("主办单位", "南滨市电子商务服务中心"),
    ("主编", "林知远"),
    ("执行主编", "苏曼"),
    ("编辑", "叶晓舟　韩蕾　程一鸣"),
    ("地址", "南滨市滨江区长堤路188号商务大厦12楼"),
    ("电子邮箱", "nbds@example.cn"),
]


def throwaway_environment(data_dir: Path) -> dict[str, str]:
    """Production-like settings (DEBUG off, secret key) pointed at `data_dir`; the caller puts them in os.environ."""
    return {
        "DJANGO_SETTINGS_MODULE": "bulletin.settings",
        "BULLETIN_SECRET_KEY": secrets.token_urlsafe(50),
        "BULLETIN_DEBUG": "0",
        "BULLETIN_ALLOWED_HOSTS": "127.0.0.1",
        "BULLETIN_SECURE_SSL_REDIRECT": "0",  # no TLS-terminating proxy in front of gunicorn here
        "BULLETIN_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "BULLETIN_MEDIA_ROOT": str(data_dir / "media"),
        "BULLETIN_PROTECTED_ROOT": str(data_dir / "protected"),
        "BULLETIN_STATIC_ROOT": str(data_dir / "static"),
        # Nothing here publishes through the workflow, but if anything enqueued a build it would
        # wait for a db_worker that never runs instead of typesetting in this process.
        "BULLETIN_TASKS_BACKEND": "database",
    }


def setup_django(data_dir: Path):
    os.environ.update(throwaway_environment(data_dir))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


_BLOCK = re.compile(r"<(p|h2|h3|h4|table|ul|ol|blockquote)\b.*?</\1>", re.DOTALL)


def demo_blocks() -> list[str]:
    """The demo issue's bodies cut into top-level blocks (paragraphs, headings, tables, lists); no images."""
    from markdown_it import MarkdownIt

    from articles.sanitize import sanitize_html

    markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    blocks = []
    for path in sorted((DEMO_DIR / "articles").iterdir()):
        text = path.read_text("utf-8")
        html = sanitize_html(markdown.render(text) if path.suffix == ".md" else text)
        blocks += [match.group(0) for match in _BLOCK.finditer(html) if "<img" not in match.group(0)]
    return blocks


def article_body(rng: random.Random, blocks: list[str]) -> str:
    target = rng.randint(1500, 6500)  # bytes of HTML; Chinese is 3 bytes a character
    chosen, size = [], 0
    for block in rng.sample(blocks, len(blocks)):
        if size >= target:
            break
        chosen.append(block)
        size += len(block.encode())
    return "\n".join(chosen)


def make_archive(
    *, issues: int = 400, articles_per_issue: int = 25, contributors: int = 2000, seed: int = 2017
) -> dict:
    """Migrate the empty database, collect static files, fill in a published archive; counts and seconds."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify
    from PIL import Image

    from articles.models import Article, Authorship, Contributor, SearchText
    from articles.sanitize import html_to_text, sanitize_html
    from issues.bundles.importer import import_periodical
    from issues.models import ContentVersion, Issue, IssuePDF, MastheadLine, Section

    started = time.perf_counter()
    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings use its manifest
    collected = time.perf_counter()

    # One cover and its thumbnail on disk, shared by every issue: the pages read the thumbnail's
    # height from the file, as they would for real covers.
    media = Path(settings.MEDIA_ROOT)
    (media / "covers" / "thumbnails").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEMO_DIR / "cover.jpg", media / "covers" / "archive.jpg")
    with Image.open(DEMO_DIR / "cover.jpg") as image:
        image = image.convert("RGB")
        image.resize((480, round(image.height * 480 / image.width))).save(media / "covers/thumbnails/archive.jpg")

    blocks = demo_blocks()
    with transaction.atomic():
        import_periodical(DEMO_DIR, overwrite=True)

        sections = []  # one per article position, in print order
        for position, (name, sub, count) in enumerate(SECTIONS):
            parent, _ = Section.objects.get_or_create(name=name, parent=None, defaults={"position": position})
            section = Section.objects.get_or_create(name=sub, parent=parent)[0] if sub else parent
            sections += [section] * count
        assert len(sections) == articles_per_issue, "SECTIONS must add up to the articles of an issue"

        names = set()
        while len(names) < contributors:
            names.add(rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))))
        Contributor.objects.bulk_create(
            Contributor(pk=pk, name=name, affiliation=rng.choice(AFFILIATIONS))
            for pk, name in enumerate(sorted(names), start=1)
        )

        issue_rows, masthead_rows, pdf_rows = [], [], []
        for index in range(issues):
            year, number = FIRST_YEAR + index // ISSUES_PER_YEAR, index % ISSUES_PER_YEAR + 1
            date = datetime.date(year, number * 3, 28)
            issue_rows.append(
                Issue(
                    pk=index + 1,
                    year=year,
                    number=number,
                    total_number=index + 1,
                    publication_date=date,
                    title=f"{rng.choice(TOPICS)}专题",
                    cover="covers/archive.jpg",
                    cover_thumbnail="covers/thumbnails/archive.jpg",
                    print_run=1000,
                    status=Issue.Status.PUBLISHED,
                    published_at=datetime.datetime.combine(date, datetime.time(9), tzinfo=datetime.UTC),
                )
            )
            lines = [
                ("出版日期", f"{year}年{date.month}月{date.day}日 {year}年第{number}期（总第{index + 1}期）"),
                *MASTHEAD,
            ]
            masthead_rows += [
                MastheadLine(issue_id=index + 1, position=n, label=label, value=value)
                for n, (label, value) in enumerate(lines, start=1)
            ]
            # What a screen build leaves behind; the pages show its page count (no file needed).
            pdf_rows.append(
                IssuePDF(
                    issue_id=index + 1,
                    variant=IssuePDF.Variant.SCREEN,
                    status=IssuePDF.Status.DONE,
                    file_name=f"issues/{year}-{number}-screen.pdf",
                    page_count=64,
                    size_bytes=3_000_000,
                    built_at=timezone.now(),
                )
            )
        Issue.objects.bulk_create(issue_rows)
        MastheadLine.objects.bulk_create(masthead_rows)
        IssuePDF.objects.bulk_create(pdf_rows)

        article_rows, authorship_rows = [], []
        pk = 0
        for issue in issue_rows:
            page = 3
            for position, section in enumerate(sections, start=1):
                pk += 1
                title = rng.choice(TITLE_FORMS).format(
                    year=issue.year, place=rng.choice(PLACES), topic=rng.choice(TOPICS)
                )
                body = sanitize_html(article_body(rng, blocks))
                pages = max(1, len(body) // 2500)
                authors = rng.sample(range(1, contributors + 1), rng.choice((1, 1, 1, 2, 2, 3)))
                article_rows.append(
                    Article(
                        pk=pk,
                        issue_id=issue.pk,
                        section=section,
                        position=position,
                        title=title,
                        subtitle=rng.choice(SUBTITLES),
                        byline="" if rng.random() < 0.8 else "文 / 本刊编辑部",
                        source="" if rng.random() < 0.7 else "本刊编辑部整理",
                        body=body,
                        plain_text=html_to_text(body),
                        first_page=page,
                        last_page=page + pages - 1,
                        status=Article.Status.PUBLISHED,
                        slug=slugify(title, allow_unicode=True)[:100] or "article",
                    )
                )
                page += pages
                authorship_rows += [
                    Authorship(article_id=pk, contributor_id=contributor, position=order)
                    for order, contributor in enumerate(authors, start=1)
                ]
        Article.objects.bulk_create(article_rows, batch_size=500)
        SearchText.objects.bulk_create(
            (SearchText(article_id=article.pk, **article.search_text_fields()) for article in article_rows),
            batch_size=500,
        )
        Authorship.objects.bulk_create(authorship_rows, batch_size=2000)
        ContentVersion.bump()  # bulk_create sends no signals

    database = Path(settings.DATABASES["default"]["NAME"])
    return {
        "issues": Issue.objects.count(),
        "articles": Article.objects.count(),
        "published_articles": Article.objects.published().count(),
        "contributors": Contributor.objects.count(),
        "authorships": Authorship.objects.count(),
        "masthead_lines": MastheadLine.objects.count(),
        "sections": Section.objects.count(),
        "body_kb_mean": sum(len(a.body.encode()) for a in article_rows) / len(article_rows) / 1000,
        "plain_text_mb": sum(len(a.plain_text.encode()) for a in article_rows) / 1e6,
        "database_mb": database.stat().st_size / 1e6,
        "migrate_seconds": migrated - started,
        "collectstatic_seconds": collected - migrated,
        "seconds": time.perf_counter() - started,
    }


def make_desk_work(
    *,
    articles: int = 30,
    submissions: int = 200,
    honoraria_due: int = 8,
    subscribers: int = 40,
    pending: int = 8,
    seed: int = 2020,
) -> dict:
    """What an office has on its desks beside the archive, added to it; counts and seconds.

    Three staff accounts: two office editors (staff, in the group 编辑部 with every permission of
    the project's apps, not superusers) and a superuser. The next issue in production (draft, with
    its masthead and a screen PDF built earlier) holding `articles` articles, most of them ready.
    `submissions` manuscripts sent in over the last half-year in every status, two thirds of those
    under way assigned to one editor or the other, the accepted ones linked to their articles and
    the last `honoraria_due` of them with their first author's honorarium still unpaid. `subscribers` readers, `pending` of whose subscriptions
    wait for approval, the others approved, and their downloads of the last 40 issues.
    """
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission, User
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from articles.honoraria.models import Honorarium
    from articles.honoraria.rules import character_count, withholding_tax
    from articles.models import Article, Authorship, Contributor, SearchText
    from articles.sanitize import html_to_text, sanitize_html
    from articles.submissions.models import Manuscript, Submission, SubmissionEvent
    from issues.models import ContentVersion, Issue, IssuePDF, MastheadLine, Section
    from issues.subscriptions.models import Download, Subscriber, Subscription

    started = time.perf_counter()
    rng = random.Random(seed)
    blocks = demo_blocks()
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        office = Group.objects.create(name="编辑部")
        office.permissions.set(Permission.objects.filter(content_type__app_label__in=PROJECT_APPS))
        editors = []
        for username, name in OFFICE_EDITORS:
            editor = User.objects.create_user(username=username, first_name=name, is_staff=True)
            editor.groups.add(office)
            editors.append(editor)
        User.objects.create_superuser(username="admin", email="admin@example.cn")

        last = Issue.objects.order_by("-total_number").first()
        year, number = (last.year, last.number + 1) if last.number < ISSUES_PER_YEAR else (last.year + 1, 1)
        issue = Issue.objects.create(
            year=year,
            number=number,
            total_number=last.total_number + 1,
            publication_date=datetime.date(year, number * 3, 28),
            title=f"{rng.choice(TOPICS)}专题",
            print_run=1000,
            status=Issue.Status.DRAFT,
        )
        lines = [
            ("出版日期", f"{year}年{number * 3}月28日 {year}年第{number}期（总第{issue.total_number}期）"),
            *MASTHEAD,
        ]
        MastheadLine.objects.bulk_create(
            MastheadLine(issue=issue, position=n, label=label, value=value) for n, (label, value) in enumerate(lines, 1)
        )
        IssuePDF.objects.create(
            issue=issue,
            variant=IssuePDF.Variant.SCREEN,
            status=IssuePDF.Status.DONE,
            file_name=f"issues/{issue.key}-screen.pdf",
            page_count=70,
            size_bytes=3_200_000,
            build_seconds=41.0,
            built_at=now - datetime.timedelta(days=1),
        )

        # The archive's sections in print order, the longest one taking what does not fit.
        sections = [
            Section.objects.get(name=sub, parent__name=name) if sub else Section.objects.get(name=name, parent=None)
            for name, sub, count in SECTIONS
            for _ in range(count)
        ]
        sections += [sections[-1]] * (articles - len(sections))
        contributor_ids = list(Contributor.objects.values_list("pk", flat=True))
        rows, authorships, page = [], [], 3
        for position, section in enumerate(sections[:articles], start=1):
            title = rng.choice(TITLE_FORMS).format(year=year, place=rng.choice(PLACES), topic=rng.choice(TOPICS))
            body = sanitize_html(article_body(rng, blocks))
            pages = max(1, len(body) // 2500)
            rows.append(
                Article(
                    issue=issue,
                    section=section,
                    position=position,
                    title=title,
                    subtitle=rng.choice(SUBTITLES),
                    body=body,
                    plain_text=html_to_text(body),
                    first_page=page,
                    last_page=page + pages - 1,
                    status=Article.Status.READY if position <= articles * 4 // 5 else Article.Status.DRAFT,
                    slug=slugify(title, allow_unicode=True)[:100] or "article",
                )
            )
            page += pages
        rows = Article.objects.bulk_create(rows)  # SQLite and PostgreSQL return the primary keys
        for article in rows:
            authors = rng.sample(contributor_ids, rng.choice((1, 1, 2, 3)))
            authorships += [
                Authorship(article=article, contributor_id=pk, position=n) for n, pk in enumerate(authors, 1)
            ]
        Authorship.objects.bulk_create(authorships)
        SearchText.objects.bulk_create(SearchText(article=article, **article.search_text_fields()) for article in rows)

        # Oldest first: the decided pieces, then those under review, the newest just received.
        Status = Submission.Status
        shares = [
            (Status.ACCEPTED, 20), (Status.REJECTED, 20), (Status.WITHDRAWN, 5),
            (Status.REVISION_REQUESTED, 10), (Status.UNDER_REVIEW, 25), (Status.RECEIVED, 20),
        ]  # fmt: skip
        statuses = [status for status, share in shares for _ in range(share)]
        accepted_count = sum(statuses[i * len(statuses) // submissions] == Status.ACCEPTED for i in range(submissions))
        # The accepted pieces became articles: first this issue's, then those of the last archive issues.
        accepted_articles = iter(
            [*rows, *Article.objects.filter(issue__total_number__lt=issue.total_number).order_by("-issue", "-position")]
        )
        paragraphs = [html_to_text(block) for block in blocks]
        submission_rows, manuscript_rows, event_rows, honorarium_terms = [], [], [], []
        accepted_seen = 0
        for index in range(submissions):
            status = statuses[index * len(statuses) // submissions]
            submitted_at = now - datetime.timedelta(days=180 * (submissions - index) / submissions, minutes=index)
            editor = None
            if status != Status.RECEIVED or rng.random() < 0.3:
                editor = rng.choice([*editors, *editors, None])
            accepted = status == Status.ACCEPTED
            accepted_seen += accepted
            author = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
            submission_rows.append(
                Submission(
                    tracking_number=f"{submitted_at:%Y%m%d}-{index:06X}",
                    token=f"{rng.getrandbits(192):048x}",
                    title=rng.choice(TITLE_FORMS).format(year=year, place=rng.choice(PLACES), topic=rng.choice(TOPICS)),
                    author_name=author,
                    affiliation=rng.choice(AFFILIATIONS) or "南滨市个体工商户协会",
                    postal_address="南滨市滨江区长堤路1号",
                    phone="0591-8888 0000",
                    email=f"author{index}@example.cn",
                    abstract=rng.choice(paragraphs)[:300],
                    status=status,
                    submitted_at=submitted_at,
                    submitter_ip=f"198.51.100.{index % 250 + 1}",
                    assigned_editor=editor,
                    article=next(accepted_articles) if accepted else None,
                )
            )
            if accepted:
                # Paid some weeks after acceptance, except for the last ones accepted.
                paid = accepted_seen <= accepted_count - honoraria_due
                honorarium_terms.append(
                    (
                        submission_rows[-1].article,
                        Decimal(rng.choice((300, 500, 800, 1200))),
                        (submitted_at + datetime.timedelta(days=40)).date() if paid else None,
                    )
                )
        submission_rows = Submission.objects.bulk_create(submission_rows)
        first_authors = dict(
            Authorship.objects.filter(article__in=[article for article, *_terms in honorarium_terms])
            .order_by("-position", "-id")
            .values_list("article_id", "contributor_id")
        )  # the last pair per article wins: its first author
        Honorarium.objects.bulk_create(
            Honorarium(
                article=article,
                contributor_id=first_authors[article.pk],
                char_count=character_count(article.plain_text),
                amount=amount,
                tax=withholding_tax(amount),
                paid_on=paid_on,
            )
            for article, amount, paid_on in honorarium_terms
            if article.pk in first_authors
        )
        for submission in submission_rows:
            versions = 2 if submission.status in (Status.UNDER_REVIEW, Status.ACCEPTED) and rng.random() < 0.3 else 1
            for version in range(versions):
                text = "\n".join(rng.sample(paragraphs, 6))
                manuscript_rows.append(
                    Manuscript(
                        submission=submission,
                        file=f"manuscripts/{submission.submitted_at:%Y/%m}/{rng.getrandbits(128):032x}.docx",
                        original_name=f"{submission.title}{'（修改稿）' if version else ''}.docx",
                        char_count=len(text),
                        text=text,
                        uploaded_at=submission.submitted_at + datetime.timedelta(days=10 * version),
                    )
                )
            event_rows.append(SubmissionEvent(submission=submission, to_status=Status.RECEIVED))
            if submission.status != Status.RECEIVED:
                event_rows.append(
                    SubmissionEvent(
                        submission=submission,
                        from_status=Status.RECEIVED,
                        to_status=submission.status,
                        changed_by=None if submission.status == Status.WITHDRAWN else submission.assigned_editor,
                        changed_at=submission.submitted_at + datetime.timedelta(days=7),
                    )
                )
        Manuscript.objects.bulk_create(manuscript_rows)
        SubmissionEvent.objects.bulk_create(event_rows)

        password = make_password(None)  # unusable, and no hashing cost
        users = User.objects.bulk_create(
            User(username=f"reader{n}@example.cn", email=f"reader{n}@example.cn", password=password)
            for n in range(subscribers)
        )
        readers = Subscriber.objects.bulk_create(
            Subscriber(
                user=user,
                name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                organisation=rng.choice(AFFILIATIONS),
                email_confirmed_at=now - datetime.timedelta(days=n + 1),
                registered_at=now - datetime.timedelta(days=n + 1),
            )
            for n, user in enumerate(users)
        )
        Subscription.objects.bulk_create(
            Subscription(
                subscriber=reader,
                status=Subscription.Status.PENDING if n < pending else Subscription.Status.APPROVED,
                starts_on=today - datetime.timedelta(days=0 if n < pending else 100),
                ends_on=today + datetime.timedelta(days=365 if n < pending else 265),
                requested_at=now - datetime.timedelta(hours=n + 1),
                decided_by=None if n < pending else editors[n % len(editors)],
                decided_at=None if n < pending else now - datetime.timedelta(days=100),
            )
            for n, reader in enumerate(readers)
        )
        recent = list(Issue.objects.published().order_by("-total_number").values_list("pk", flat=True)[:40])
        approved = [reader.user_id for reader in readers[pending:]]
        downloads = Download.objects.bulk_create(
            Download(
                issue_id=rng.choice(recent),
                user_id=rng.choice(approved),
                ip=f"203.0.113.{rng.randint(1, 254)}",
                downloaded_at=now - datetime.timedelta(minutes=rng.randint(1, 100 * 24 * 60)),
            )
            for _ in range(50 * len(approved))
        )
        ContentVersion.bump()

    return {
        "issue_in_production": issue.pk,
        "issue_articles": issue.articles.count(),
        "submissions": Submission.objects.count(),
        "assigned_to_first_editor": Submission.objects.filter(assigned_editor=editors[0]).count(),
        "honoraria_due": Honorarium.objects.due().count(),
        "pending_subscriptions": Subscription.objects.filter(status=Subscription.Status.PENDING).count(),
        "downloads": len(downloads),
        "seconds": time.perf_counter() - started,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="new or empty folder to write the archive into")
    parser.add_argument("--desk-work", action="store_true", help="add the office's work in progress (make_desk_work)")
    options = parser.parse_args()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    if any(options.data_dir.iterdir()):
        parser.error(f"{options.data_dir} is not empty")
    setup_django(options.data_dir.resolve())
    figures = make_archive()
    if options.desk_work:
        figures |= {f"desk_{key}": value for key, value in make_desk_work().items()}
    for key, value in figures.items():
        print(f"{key:28} {value:.2f}" if isinstance(value, float) else f"{key:28} {value}")


if __name__ == "__main__":
    main()
