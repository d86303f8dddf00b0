from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from articles.models import Article
from issues.caching import cached_page
from issues.models import Issue, IssuePDF, Periodical
from issues.subscriptions.access import pdf_access
from issues.subscriptions.delivery import protected_file_response, stamped_copy
from issues.subscriptions.models import Download
from issues.subscriptions.views import how_to_subscribe


def visible_issues(request):
    """Published issues for readers; every issue for staff, who preview drafts."""
    if request.user.is_staff:
        return Issue.objects.all()
    return Issue.objects.published()


def visible_articles(request):
    """Published articles of published issues for readers; every article for staff."""
    return Article.objects.all() if request.user.is_staff else Article.objects.published()


def contents_of(request, issue):
    """The issue's articles in print order, with what a table of contents shows."""
    return list(
        visible_articles(request)
        .filter(issue=issue)
        .in_print_order()
        .select_related("section__parent")
        .with_authors()
        .defer("body", "plain_text")  # a table of contents shows neither
    )


def screen_pdf(issue):
    """The issue's screen PDF record if a file was ever built, else None."""
    return IssuePDF.objects.filter(issue=issue, variant=IssuePDF.Variant.SCREEN).exclude(file_name="").first()


@cached_page
def home(request):
    issues = list(visible_issues(request).latest_first()[:7])
    latest = issues[0] if issues else None
    context = {"latest": latest, "recent": issues[1:]}
    if latest:
        context |= {"articles": contents_of(request, latest), "pdf": screen_pdf(latest)}
    return render(request, "issues/home.html", context)


@cached_page
def archive(request):
    return render(request, "issues/archive.html", {"issues": visible_issues(request).latest_first()})


@cached_page
def issue_detail(request, year, number):
    issue = get_object_or_404(visible_issues(request), year=year, number=number)
    periodical = Periodical.load()
    context = {
        "issue": issue,
        "periodical": periodical,
        "articles": contents_of(request, issue),
        "masthead": list(issue.masthead_lines.all()),
        "pdf": screen_pdf(issue),
        "issue_ld": issue_json_ld(request, issue, periodical),
    }
    return render(request, "issues/issue_detail.html", context)


def issue_json_ld(request, issue, periodical):
    """schema.org PublicationIssue of a periodical."""
    return {
        "@context": "https://schema.org",
        "@type": "PublicationIssue",
        "@id": request.build_absolute_uri(issue.get_absolute_url()),
        "issueNumber": str(issue.number),
        "name": f"{periodical.name} {issue.issue_line}",
        "datePublished": issue.publication_date.isoformat(),
        "inLanguage": "zh-CN",
        "isPartOf": {"@type": "Periodical", "name": periodical.name, "publisher": periodical.host_unit or None},
    }


def issue_pdf(request, year, number):
    """The issue's screen PDF for staff, active subscribers and readers on a subscribing institution's network.

    Anonymous readers are sent to sign in; signed-in readers without access learn how to
    subscribe (403). Every download is logged.
    """
    issue = get_object_or_404(visible_issues(request), year=year, number=number)
    access = pdf_access(request)
    if access is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return how_to_subscribe(request, status=403)
    record = screen_pdf(issue)
    if record is None or not record.path.is_file():
        raise Http404(_("本期 PDF 正在生成，请稍后再试。"))
    path, etag = record.path, record.build_key
    if settings.PDF_STAMPING and access.stamp_for is not None:
        line = access.stamp_for.stamp_line
        path = stamped_copy(record, line)
        etag += "-" + path.stem
    response = protected_file_response(
        request,
        path,
        filename=f"{Periodical.load().name}{issue.issue_line}.pdf",
        ascii_filename=f"{issue.key}.pdf",
        etag=etag,
    )
    if request.method == "GET" and response.status_code == 200:
        Download.objects.create(
            issue=issue, user=access.user, institution=access.institution, ip=request.META.get("REMOTE_ADDR") or None
        )
    return response


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /accounts/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the static icon."""
    return redirect(static("favicon.svg"))
