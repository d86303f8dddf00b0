import re
from html.parser import HTMLParser
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Length, Substr
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField

from articles.bylines import looks_like_organisation
from articles.figures import media_names_in
from articles.sanitize import html_to_text, sanitize_html
from articles.search import articles_matching, articles_sharing, key_terms, search_form
from issues.images import ResponsiveImage, image_record, media_name
from issues.models import Issue, PublicationStatus, Section, StatusChange

# What editors can do in the rich-text editor; whatever it produces still passes
# through `sanitize_html`, the one allowlist for bodies.
BODY_EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False},
    "Image": True,
    # <figure><img><figcaption>: what the editor's 插入图片 button (BodyImage) inserts.
    "Figure": True,
    "Caption": True,
    "BodyImage": {"uploadUrl": reverse_lazy("admin:articles_article_body_image")},
    # Upstream's menu and table with Chinese labels and a header-row toggle (static/editor/bulletin-editor.js).
    "Menu": False,
    "BulletinMenu": True,
    "Table": False,
    "BulletinTable": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
    "HTML": True,
}


class Contributor(models.Model):
    """A person or organisation that writes for the periodical."""

    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        ORGANISATION = "organisation", _("单位/机构")

    name = models.CharField(_("姓名"), max_length=100)
    kind = models.CharField(
        _("类型"),
        max_length=20,
        choices=Kind.choices,
        blank=True,
        db_default="",
        help_text=_("留空则按名称判断：以“编辑部”“课题组”“研究会”“中心”等结尾的为单位/机构，其余为个人。"),
    )
    affiliation = models.CharField(_("单位"), max_length=200, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    phone = models.CharField(_("电话"), max_length=50, blank=True)
    postal_address = models.CharField(_("通讯地址"), max_length=300, blank=True)
    bio = models.TextField(_("简介"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("作者")
        verbose_name_plural = _("作者")
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name}（{self.affiliation}）" if self.affiliation else self.name

    def get_absolute_url(self):
        return reverse("articles:contributor", kwargs={"pk": self.pk})

    @property
    def is_organisation(self) -> bool:
        """An organisation by the editors' choice, or, left unset, by its name (`looks_like_organisation`)."""
        if self.kind:
            return self.kind == self.Kind.ORGANISATION
        return looks_like_organisation(self.name)


def published_articles(prefix: str = "") -> Q:
    """The condition for articles readers may see, on a relation to Article named by `prefix` ("article__")."""
    return Q(
        **{
            f"{prefix}status": Article.Status.PUBLISHED,
            f"{prefix}issue__status": Issue.Status.PUBLISHED,
            f"{prefix}issue__published_at__lte": timezone.now(),
        }
    )


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Articles readers may see: published, in a published issue."""
        return self.filter(published_articles())

    def visible_to(self, user):
        """What `user` may see: published articles of published issues for readers; every article for staff."""
        return self.all() if user.is_staff else self.published()

    def in_print_order(self):
        return self.order_by("position", "id")

    def matching(self, words):
        """Articles with each of `words` in their text (through the search index) or in an author's name."""
        queryset = self
        for word in words:
            by_author = Q(pk__in=Authorship.objects.filter(contributor__name__icontains=word).values("article_id"))
            in_text = articles_matching(word)
            queryset = queryset.filter(by_author | Q(pk__in=in_text) if in_text is not None else by_author)
        return queryset

    def with_excerpts(self):
        """Leave the long text in the database, but bring what `excerpt` and `is_brief` read."""
        return self.defer("plain_text").annotate(
            opening_text=Substr("plain_text", 1, EXCERPT_SOURCE_CHARACTERS), text_length=Length("plain_text")
        )

    def leads_among(self, contents):
        """The lead stories (`choose_leads`) of `contents`, this queryset's articles in print order,
        with their bodies read in one query so that `lead_image` can look at them."""
        leads = choose_leads(contents)
        rows = self.filter(pk__in=[article.pk for article in leads]).values_list("pk", "body", "figures")
        bodies = {pk: (body, figures) for pk, body, figures in rows}
        for article in leads:
            article.body, article.figures = bodies[article.pk]
        return leads

    def latest_first(self):
        return self.order_by("-issue__year", "-issue__number", "position", "pk")

    def related_to(self, article, *, limit=5):
        """Up to `limit` of these articles in `article`'s section (or its parent's family) that share
        words of its title, best first, then the latest of that family to fill the list; never itself."""
        family = article.section.parent_id or article.section_id
        # The family's sections as a subquery, so that the article's section index serves the filter.
        sections = Section.objects.filter(Q(pk=family) | Q(parent_id=family)).values("pk")
        candidates = (
            self.filter(section_id__in=sections)
            .exclude(pk=article.pk)
            .select_related("issue")
            .defer("body", "plain_text", "accepted_text")
        )
        # The index ranks its matches among the candidates; then the articles themselves (two queries).
        ids = articles_sharing(key_terms(f"{article.title} {article.subtitle}"), candidates, limit=limit)
        found = candidates.in_bulk(ids)
        related = [found[pk] for pk in ids]
        if len(related) < limit:
            shown = [other.pk for other in related]
            related += candidates.exclude(pk__in=shown).latest_first()[: limit - len(related)]
        return related

    def with_read_count(self):
        """Annotate `read_total`: readers counted over all days (a subquery per article shown, not a join)."""
        totals = (
            ArticleReads.objects.filter(article=models.OuterRef("pk"))
            .order_by()
            .values("article")
            .annotate(total=models.Sum("views"))
            .values("total")
        )
        return self.annotate(read_total=Coalesce(models.Subquery(totals), 0))

    def with_authors(self):
        """Prefetch the authors in byline order, each with its contributor, in one query."""
        return self.prefetch_related(
            models.Prefetch("authorships", queryset=Authorship.objects.select_related("contributor"))
        )


class Article(models.Model):
    """One piece in an issue: a report, an editorial, a one-paragraph brief."""

    Status = PublicationStatus

    issue = models.ForeignKey(
        Issue,
        verbose_name=_("所属期"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        help_text=_("留空表示尚未排期。"),
    )
    section = models.ForeignKey(Section, verbose_name=_("栏目"), on_delete=models.PROTECT, related_name="articles")
    position = models.PositiveIntegerField(_("期内顺序"), default=0)
    title = models.CharField(_("标题"), max_length=200)
    subtitle = models.CharField(_("副标题"), max_length=200, blank=True, help_text=_("印刷时前面加“——”。"))
    authors = models.ManyToManyField(
        Contributor, verbose_name=_("作者"), through="Authorship", related_name="articles", blank=True
    )
    byline = models.CharField(
        _("署名"), max_length=200, blank=True, help_text=_("按印刷样式填写，如“文 / 王毅”；留空则由作者生成。")
    )
    source = models.CharField(_("来源"), max_length=200, blank=True, help_text=_("印作“（来源：…）”。"))
    body = ProseEditorField(_("正文"), extensions=BODY_EDITOR_EXTENSIONS, sanitize=sanitize_html, blank=True)
    summary = models.TextField(_("摘要"), max_length=2000, blank=True)
    plain_text = models.TextField(
        _("纯文本"), blank=True, editable=False, help_text=_("正文去掉标记，用于搜索和摘要。")
    )
    # The size and smaller copies of each image of the body in our media, by storage name
    # (issues.images.image_record), for the reading site's srcset; made when a page first shows them.
    # The new columns' defaults are in the database too: rows written through older migrations' models get them.
    figures = models.JSONField(
        _("正文图片尺寸"),
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),
        blank=True,
        editable=False,
    )
    in_toc = models.BooleanField(_("列入目录"), default=True)
    is_lead = models.BooleanField(
        _("首页要闻"),
        default=False,
        db_default=False,
        help_text=_("在首页最新一期的要闻中展示。本期都不勾选时，自动取各栏目的第一篇文章（简讯除外），最多三篇。"),
    )
    # 三审: a piece that came in as a manuscript must pass every review level before its issue is
    # published; one the office wrote itself is marked so instead.
    office_written = models.BooleanField(
        _("本刊撰稿"), default=False, help_text=_("编辑部自己撰写的稿件，不经投稿三审。")
    )
    accepted_text = models.TextField(
        _("录用稿文字"),
        blank=True,
        editable=False,
        help_text=_("录用时稿件的纯文字，三校时与排版后的文字比对（字数增减）。"),
    )
    first_page = models.PositiveIntegerField(_("起始页"), null=True, blank=True, editable=False)
    last_page = models.PositiveIntegerField(_("结束页"), null=True, blank=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    slug = models.SlugField(_("网址别名"), max_length=100, allow_unicode=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("文章")
        verbose_name_plural = _("文章")
        ordering = ["issue", "position", "id"]
        indexes = [models.Index(fields=["issue", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_page__isnull=True) | Q(last_page__gte=models.F("first_page")),
                name="article_page_range_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = sanitize_html(self.body, rewrite_src=_local_image)
        self.plain_text = html_to_text(self.body)
        in_body = set(media_names_in(self.body))
        self.figures = {name: record for name, record in self.figures.items() if name in in_body}
        if not self.slug:
            self.slug = slugify(self.title, allow_unicode=True)[:100] or "article"
        super().save(*args, **kwargs)
        if kwargs.get("update_fields") is None or {"title", "subtitle", "byline", "summary", "body"} & set(
            kwargs["update_fields"]
        ):
            SearchText.objects.update_or_create(article=self, defaults=self.search_text_fields())

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"pk": self.pk, "slug": self.slug or "-"})

    @property
    def description(self):
        """One or two sentences for search results, feeds and meta tags."""
        text = self.summary or self.plain_text
        return text if len(text) <= 120 else text[:120].rstrip() + "…"

    @property
    def excerpt(self):
        """What a lead story or a contents entry shows under the title: the summary, or the opening sentences.

        Either is cut at a sentence end, to about EXCERPT_MIN–EXCERPT_MAX characters.
        """
        if self.summary:
            return cut_at_sentence_end(self.summary)
        opening = self.__dict__.get("opening_text")  # with_excerpts() brings just the start
        return cut_at_sentence_end(opening if opening is not None else self.plain_text)

    @property
    def is_brief(self):
        """A news brief: a short piece in a sub-section (行业动态 › 南滨), listed without an excerpt."""
        length = self.__dict__.get("text_length")
        if length is None:
            length = len(self.plain_text)
        return bool(self.section.parent_id) and length <= BRIEF_MAX_CHARACTERS

    def figure_images(self) -> dict[str, ResponsiveImage]:
        """The body's images in our media that can be shown responsively, by storage name.

        Those not yet in `figures` (a new image, an article saved before this existed) get their
        copies made now and recorded in one UPDATE; the next render finds them all there.
        """
        names = media_names_in(self.body)
        missing = [name for name in names if name not in self.figures]
        if missing:
            self.figures = {**self.figures, **{name: image_record(name) for name in missing}}
            if self.pk:
                Article.objects.filter(pk=self.pk).update(figures=self.figures)
        found = {name: ResponsiveImage.from_record(self.figures[name]) for name in names}
        return {name: image for name, image in found.items() if image}

    @property
    def lead_image(self):
        """The body's first figure (or image) as a `LeadImage`, or None when it has none.

        `responsive` is the same image with its copies for `{% responsive_image %}` (None when it is
        not in our media or cannot be read)."""
        finder = _FirstImage()
        finder.feed(self.body)
        finder.close()
        if not finder.src:
            return None
        alt = finder.alt or finder.caption.strip() or self.title
        name = media_name(finder.src)
        responsive = self.figure_images().get(name) if name else None
        if responsive:
            largest = responsive.candidates[-1]
            return LeadImage(finder.src, alt, largest.width, largest.height, responsive._replace(alt=alt))
        return LeadImage(finder.src, alt, finder.width, finder.height, None)

    def searchable_text(self):
        """Everything the search box looks through, as the index reads it; authors are matched by name."""
        parts = (self.title, self.subtitle, self.byline, self.summary, self.plain_text)
        return search_form("\n".join(part for part in parts if part))

    def searchable_title(self):
        """The title and subtitle as the title index reads them: what related articles are matched on."""
        return search_form(f"{self.title} {self.subtitle}")

    def search_text_fields(self):
        """The fields of this article's SearchText row: what both search indexes read."""
        return {"text": self.searchable_text(), "title": self.searchable_title()}

    def pdf_open_to_everyone(self, periodical) -> bool:
        """Whether anyone, a crawler too, may download this article's PDF: the periodical opens article
        PDFs (`Periodical.article_pdfs_open`) and the article is published in a published issue.

        `issues.subscriptions.access.article_pdf_access` grants by it, the article page promises it
        to Google Scholar (`citation_pdf_url`).
        """
        return (
            periodical.article_pdfs_open
            and self.issue_id is not None
            and Article.objects.published().filter(pk=self.pk).exists()
        )

    @property
    def printed_byline(self):
        """The byline as printed: the editors' text, or "文 / " and the authors' names."""
        return self.byline or self.byline_from_authors

    @property
    def byline_from_authors(self):
        names = [authorship.contributor.name for authorship in self.authorships.all()]
        return "文 / " + "　".join(names) if names else ""

    @property
    def page_range(self):
        return page_range(self.first_page, self.last_page)


# Excerpts: opening sentences between these lengths; briefs are at most this long.
EXCERPT_MIN, EXCERPT_MAX = 80, 120
EXCERPT_SOURCE_CHARACTERS = 600  # enough text to find the sentences of an excerpt in
BRIEF_MAX_CHARACTERS = 500
SENTENCE = re.compile(r"[^。！？!?…]*[。！？!?…]+[”’」』）)]*")
CLAUSE_END = "，；、：,;"


def cut_at_sentence_end(text: str) -> str:
    """The opening sentences of `text`, at most EXCERPT_MAX characters and, where there are enough, EXCERPT_MIN.

    Lines without closing punctuation (headings, table rows) are left out. When the first
    sentence alone is too long it is cut after a clause (a comma) and ends in "…".
    """
    lines = [line.strip() for line in text.splitlines()]
    running = "".join(line for line in lines if line and line[-1] in "。！？!?…”’」』）)")
    running = running or " ".join(line for line in lines if line)
    excerpt = ""
    for sentence in SENTENCE.findall(running):
        if len(excerpt) + len(sentence) > EXCERPT_MAX:
            break
        excerpt += sentence
        if len(excerpt) >= EXCERPT_MIN:
            return excerpt
    if excerpt:
        return excerpt
    if len(running) <= EXCERPT_MAX:
        return running
    head = running[: EXCERPT_MAX - 1]
    clause = max(head.rfind(mark) for mark in CLAUSE_END)
    return (head[:clause] if clause >= EXCERPT_MIN // 2 else head) + "…"


class LeadImage(NamedTuple):
    """An article's first image as a lead story shows it; the size is None when it is not known."""

    src: str
    alt: str
    width: int | None
    height: int | None
    responsive: ResponsiveImage | None = None


class _FirstImage(HTMLParser):
    """The first <img> of a (sanitized) body, with its alt text, size attributes and figure caption."""

    def __init__(self):
        super().__init__()
        self.src = self.alt = self.caption = ""
        self.width = self.height = None
        self._in_caption = self._done = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img" and not self.src and attributes.get("src"):
            self.src, self.alt = attributes["src"], (attributes.get("alt") or "").strip()
            self.width, self.height = _pixels(attributes.get("width")), _pixels(attributes.get("height"))
        elif tag == "figcaption" and self.src and not self._done:
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_caption = False
            self._done = True
        elif tag == "figure" and self.src:
            self._done = True

    def handle_data(self, data):
        if self._in_caption:
            self.caption += data


def _pixels(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def choose_leads(articles, *, default_count: int = 3):
    """The lead stories among an issue's `articles` (in print order): those editors marked 首页要闻,
    or else the first article of each top-level section that is not a brief, up to `default_count`."""
    marked = [article for article in articles if article.is_lead]
    if marked:
        return marked
    leads, sections = [], set()
    for article in articles:
        top = article.section.parent_id or article.section_id
        if top in sections or article.is_brief:
            continue
        sections.add(top)
        leads.append(article)
        if len(leads) == default_count:
            break
    return leads


def page_range(first_page: int | None, last_page: int | None) -> str:
    """Printed pages as a reader reads them: "12–17", "20", or "" when unknown."""
    if first_page is None:
        return ""
    if last_page in (None, first_page):
        return str(first_page)
    return f"{first_page}–{last_page}"


def _local_image(src: str) -> str | None:
    """Keep images from our media (or relative ones); drop those on other hosts.

    A remote image in a body would be fetched by every reader's browser from a server that
    learns who reads what (a tracking pixel); the typesetter refuses it anyway.
    """
    if src.startswith(settings.MEDIA_URL) or not re.match(r"^([a-z][a-z0-9+.-]*:|//)", src, re.IGNORECASE):
        return src
    return None


class SearchText(models.Model):
    """An article's searchable text in the form the search index reads (articles/search.py)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, primary_key=True, related_name="search_text")
    text = models.TextField()
    # Indexed on its own (articles_titleindex / title_vector): related articles share title words, and
    # matching them in short titles stays cheap where the whole text would match nearly every article.
    title = models.TextField(blank=True, db_default="", default="")

    class Meta:
        verbose_name = _("检索文本")
        verbose_name_plural = _("检索文本")

    def __str__(self):
        return gettext("《%(title)s》的检索文本") % {"title": self.article.title}


class Authorship(models.Model):
    """An author of an article, in the order the names are printed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="authorships")
    contributor = models.ForeignKey(
        Contributor, verbose_name=_("作者"), on_delete=models.PROTECT, related_name="authorships"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("作者")
        verbose_name_plural = _("作者（按署名顺序）")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "contributor"], name="authorship_unique_author"),
        ]

    def __str__(self):
        return self.contributor.name


class ArticleStatusChange(StatusChange):
    statuses = Article.Status
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")


class ArticleView(models.Model):
    """One reader's reading of one article on one day: the ledger that makes a reader count once a day.

    `reader` is a hash of the reader's address and browser under a salt that changes every day
    (articles/readership.py), `address` the same of the address alone, for the per-address limit;
    neither is the address itself, and the rows are deleted once their day is over, so that even
    with the site's secret key nobody can tell later who read what.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views")
    day = models.DateField()
    reader = models.CharField(max_length=64)
    address = models.CharField(max_length=64)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("阅读记录")
        verbose_name_plural = _("阅读记录")
        constraints = [
            models.UniqueConstraint(fields=["article", "day", "reader"], name="articleview_once_per_reader_and_day")
        ]
        indexes = [
            models.Index(fields=["address", "viewed_at"], name="articleview_address_time"),
            models.Index(fields=["day"], name="articleview_day"),
        ]

    def __str__(self):
        return f"{self.article_id} {self.day}"


class ArticleReadsQuerySet(models.QuerySet):
    def since(self, day):
        return self.filter(day__gte=day)


class ArticleReads(models.Model):
    """How many readers read an article on a day: the counts kept for good, with nothing about who."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reads")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    objects = ArticleReadsQuerySet.as_manager()

    class Meta:
        verbose_name = _("阅读数")
        verbose_name_plural = _("阅读数")
        constraints = [models.UniqueConstraint(fields=["article", "day"], name="articlereads_one_row_per_day")]
        indexes = [models.Index(fields=["day", "article"], name="articlereads_day_article")]

    def __str__(self):
        return f"{self.article_id} {self.day}: {self.views}"
