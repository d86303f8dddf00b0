from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse

from articles.models import Article
from issues.caching import cached_page
from issues.models import Issue, IssuePDF, Periodical


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
    """The issue's screen PDF (subscriber-only access arrives with the subscriptions feature)."""
    issue = get_object_or_404(visible_issues(request), year=year, number=number)
    record = screen_pdf(issue)
    if record is None or not record.path.is_file():
        raise Http404
    filename = f"{Periodical.load().name}{issue.issue_line}.pdf"
    return FileResponse(record.path.open("rb"), content_type="application/pdf", filename=filename)


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the static icon."""
    return redirect(static("favicon.svg"))
