"""The admin speaks Chinese: an editor crawls every admin page and finds no English on it.

The pages are discovered from the admin site's own URL patterns, so a page added later (a new
model, a custom view in some ModelAdmin.get_urls()) is crawled without touching this file.
"""

import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, reverse

from articles.models import Article
from articles.submissions.models import Submission
from articles.submissions.services import submission_transition
from issues.models import Issue
from issues.subscriptions.models import Download, Subscription
from issues.subscriptions.services import subscription_approve
from tests.browser import checked_page
from tests.factories import make_institution, make_subscriber, make_subscription
from tests.forms import form_data
from tests.test_submissions import post as submit

# Latin words an editor legitimately reads: technical names the office itself uses, units, and the
# demo content's own Latin (the WeChat account on the masthead).
ALLOWED_WORDS = {"PDF", "HTML", "URL", "IP", "CIDR", "CSV", "Word", "ID", "KB", "MB", "nanbin_ec", "EPUB", "ISSN"}
# Two or more Latin letters, not part of a code such as a tracking number ("20261202-EB791A").
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
# Addresses, links, file names and what a browser sent are content, not language.
NOT_LANGUAGE = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses
    r"|\bhttps?://\S+"  # links
    r"|[\w/.-]*[\w-]+\.(pdf|docx?|jpe?g|png|gif|webp|svg|csv|md|html|toml|ico)\b"  # file names
    r"|(?<![\w/])(/[\w.-]+)+/"  # paths on the site (the sign-in log's "/admin/login/")
    r"|\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,}(/\d+)?"  # IPv6 addresses ("2001:da8::/32")
    r"|\bMozilla/5\.0[^\n]*"  # a browser's User-Agent and Accept header (the sign-in log)
    r"|\b(text|application|image)/[\w.+-]+"
    r"|\b\w+=\S*"  # submitted form fields (the sign-in log's "username=****")
    r"|\{\{ [\w.]+ \}\}",  # a mail template's variables, which editors type as they are
    re.IGNORECASE,
)
# The project's own apps (issues, articles, typesetting, subscriptions, bundles, submissions, desk, …);
# "axes" is the sign-in log (登录记录), where editors lift a lockout.
PROJECT_APPS = {app.label for app in apps.get_app_configs() if app.name.split(".")[0] in {"issues", "articles"}}
EDITOR_APPS = PROJECT_APPS | {"axes"}

pytestmark = pytest.mark.django_db


# Visible text ----------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text an editor reads on the page: element text, button labels, placeholders, tooltips."""

    INVISIBLE = {"script", "style", "template", "noscript", "head"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._open = [], []  # the open elements, as (tag, hidden)

    def _hidden(self):
        return any(hidden for _tag, hidden in self._open)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = tag in self.INVISIBLE or "hidden" in attrs or attrs.get("type") == "hidden"
        if not (hidden or self._hidden()):
            for name in ("title", "placeholder"):
                if attrs.get(name):
                    self.parts.append(attrs[name])
            if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in self.VOID:
            self._open.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        # Like a browser, an end tag also closes the elements left open inside it (<p>, <li>).
        tags = [open_tag for open_tag, _hidden in self._open]
        if tag in tags:
            del self._open[len(tags) - 1 - tags[::-1].index(tag) :]

    def handle_data(self, data):
        if not self._hidden() and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_words(text: str) -> list[str]:
    """The Latin words in `text` an editor should not have to read (addresses, file names and allowed words left out)."""
    for word in ALLOWED_WORDS:
        text = re.sub(rf"(?<![A-Za-z0-9_]){word}(?![A-Za-z0-9_])", " ", text)
    return sorted(set(LATIN_WORD.findall(NOT_LANGUAGE.sub(" ", text))))


def pages_with_english(client, urls) -> dict[str, list[str]]:
    """The English words on each of `urls` (each must answer 200) as `client` sees them; {} when all are Chinese."""
    findings = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if words := english_words(visible_text(response.content.decode())):
            findings[url] = words
    return findings


# The office, as an editor finds it --------------------------------------------------------------


BROWSER_HEADERS = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}


def sign_in(client, *, password, **headers):
    """The editor signs in through the admin's form, as from a browser (the sign-in log records it)."""
    data = {"username": "王编辑", "password": password}
    return client.post(reverse("admin:login"), data, **BROWSER_HEADERS | headers)


@pytest.fixture
def office(client, django_user_model, mailoutbox, settings, django_capture_on_commit_callbacks):
    """The demo issue with its PDFs queued, a submission under review, subscriptions, downloads, a failed sign-in."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # as in production
    with django_capture_on_commit_callbacks(execute=True):  # publishing queues the PDF builds
        call_command("load_demo", stdout=io.StringIO())
    response = submit(client)  # the public form, as an author sends a manuscript
    assert response.status_code == 302
    chief = django_user_model.objects.create_user(username="林知远", is_staff=True)
    submission_transition(submission=Submission.objects.get(), to=Submission.Status.UNDER_REVIEW, by=chief)
    reader = make_subscriber()
    subscription_approve(subscription=make_subscription(subscriber=reader, status="pending"), by=chief)
    make_subscription(subscriber=make_subscriber(name="张华", email="zhanghua@example.cn"), status="pending")
    institution = make_institution()
    issue = Issue.objects.get()
    Download.objects.create(issue=issue, user=reader.user, ip="198.51.100.7")
    Download.objects.create(issue=issue, institution=institution, ip="203.0.113.9")
    sign_in(client, password="wrong", REMOTE_ADDR="10.0.0.2")
    client.logout()


@pytest.fixture
def editor(django_user_model):
    """An editor: staff, not a superuser, holding every permission of the office's apps."""
    user = django_user_model.objects.create_user(username="王编辑", password="pw-editor-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=EDITOR_APPS))
    return user


@pytest.fixture
def editor_client(client, editor, office):
    assert sign_in(client, password="pw-editor-123").status_code == 302
    # Save an article and a section through their forms, for the history pages and "recent actions".
    article = Article.objects.order_by("pk").first()
    for url in [
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:issues_section_change", args=[article.section_id]),
    ]:
        page = client.get(url)
        data = form_data(page) | {"position": "3"}
        assert client.post(url, data).status_code == 302, url
    return client


# Which pages there are -------------------------------------------------------------------------


def admin_pages(request):
    """Every admin address the site's URL patterns lead to, filled with a sample object or app label.

    Patterns taking other arguments (a PDF variant, a CSV table) are left out.
    """
    site = admin.site
    registry = {
        (model._meta.app_label, model._meta.model_name): model_admin for model, model_admin in site._registry.items()
    }
    app_labels = sorted({app_label for app_label, _model in registry})
    pages = []

    def walk(patterns, model_admin):
        for entry in patterns:
            if isinstance(entry, URLResolver):  # a ModelAdmin's URLs, under "<app_label>/<model_name>/"
                app_label, _slash, model_name = str(entry.pattern).strip("/").partition("/")
                walk(entry.url_patterns, registry.get((app_label, model_name), model_admin))
            elif isinstance(entry, URLPattern) and entry.name:
                fill(entry, model_admin)

    def fill(entry, model_admin):
        name = f"admin:{entry.name}"
        params = set(entry.pattern.regex.groupindex)
        if not params and not entry.pattern.regex.groups:
            pages.append(reverse(name))
            return
        if params == {"app_label"}:
            pages.extend(reverse(name, kwargs={"app_label": label}) for label in app_labels)
            return
        if params == {"object_id"} and model_admin is not None:
            obj = model_admin.get_queryset(request).order_by("pk").first()
            if obj is not None:
                pages.append(reverse(name, kwargs={"object_id": obj.pk}))

    walk(site.get_urls(), None)
    return list(dict.fromkeys(pages))


def editors_pages(editor_client, editor, rf):
    """The admin pages this editor may open: the HTML ones that answer 200 (not downloads, not POST-only)."""
    request = rf.get("/admin/")
    request.user = editor
    pages = {}
    for path in admin_pages(request):
        response = editor_client.get(path)
        if response.status_code in {302, 403, 404, 405} or "text/html" not in response.get("Content-Type", ""):
            continue  # another page's address, not this editor's page, POST only, or a download
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
    return pages


# The crawl -------------------------------------------------------------------------------------


def test_an_editor_finds_no_english_on_any_admin_page(editor_client, editor, rf):
    pages = editors_pages(editor_client, editor, rf)
    assert {"/admin/", "/admin/issues/section/", "/admin/subscriptions/download/statistics/"} <= set(pages)
    assert len(pages) > 50
    findings = []
    for path, html in pages.items():
        if words := english_words(visible_text(html)):
            findings.append(f"{path}: {', '.join(words)}")
    assert not findings, "English on admin pages:\n" + "\n".join(findings)


# Readable logs and a task queue out of the editors' way --------------------------------------


def test_status_logs_read_as_the_statuses_editors_know(editor_client):
    article = Article.objects.order_by("pk").first()
    assert [str(change) for change in article.status_changes.order_by("changed_at", "pk")] == [
        "草稿 → 已定稿",
        "已定稿 → 已发布",
    ]
    assert [str(event) for event in Submission.objects.get().events.all()] == ["已收稿", "已收稿 → 审稿中"]
    assert str(Subscription.objects.filter(status="approved").get().status_changes.get()) == "待审批 → 已批准"

    page = visible_text(editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode())
    assert "草稿\n已定稿" in page and "draft" not in page
    deletion = editor_client.get(reverse("admin:articles_article_delete", args=[article.pk])).content.decode()
    assert "状态变更记录: 草稿 → 已定稿" in visible_text(deletion)
    assert "检索文本" in visible_text(deletion)


def test_the_task_queue_is_for_the_operator_in_chinese(editor_client, client, django_user_model):
    index = editor_client.get(reverse("admin:index")).content.decode()
    assert "后台任务" not in index and "Task" not in index
    assert editor_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).status_code == 403

    operator = django_user_model.objects.create_superuser(username="运维", password="pw-operator-123")
    client.force_login(operator)
    index = visible_text(client.get(reverse("admin:index")).content.decode())
    assert "后台任务" in index and "任务记录" in index
    results = visible_text(client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).content.decode())
    assert "build_issue_pdf" in results and "等待执行" in results  # the demo issue's PDF builds, queued
    # Tasks are named as in the code, for the operator; everything around them is Chinese.
    assert english_words(results.replace("build_issue_pdf", "").replace("send_publication_notices", "")) == []


# The same pages in a browser, with what their scripts add (calendars, inline rows, the editor) --

# Text set in an icon font (the editor's "format_bold") is drawn as a picture, not read as a word.
VISIBLE_TEXT_JS = """() => {
    const shown = (element) => element.checkVisibility({visibilityProperty: true});
    const icons = new Set();
    for (const element of document.body.querySelectorAll("*")) {
        if (/material/i.test(getComputedStyle(element).fontFamily)) icons.add(element.innerText.trim());
    }
    const parts = document.body.innerText.split("\\n").filter((line) => !icons.has(line.trim()));
    for (const element of document.querySelectorAll("[title], [placeholder], input[type=submit], input[type=button]")) {
        if (!shown(element)) continue;
        parts.push(element.title || "", element.placeholder || "");
        if (element.type === "submit" || element.type === "button") parts.push(element.value);
    }
    return parts.join("\\n");
}"""


def english_in_browser(browser, live_server, paths):
    findings = []
    with checked_page(browser, live_server) as page:
        page.goto("/admin/login/")
        page.fill("#id_username", "王编辑")
        page.fill("#id_password", "pw-editor-123")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        for path in paths:
            # Wait until the page has fetched everything, fonts its scripts ask for late included:
            # leaving earlier aborts those requests, which the page would report as failures.
            page.goto(path, wait_until="networkidle")
            if words := english_words(page.evaluate(VISIBLE_TEXT_JS)):
                findings.append(f"{path}: {', '.join(words)}")
    return findings


@pytest.mark.django_db(transaction=True)
def test_an_editor_finds_no_english_on_any_admin_page_in_a_browser(browser, live_server, editor_client, editor, rf):
    paths = list(editors_pages(editor_client, editor, rf))
    assert re.compile(r"/admin/articles/article/\d+/change/").search(" ".join(paths))  # the rich-text editor
    findings = english_in_browser(browser, live_server, paths)
    assert not findings, "English on admin pages:\n" + "\n".join(findings)
