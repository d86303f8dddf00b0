from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext

from issues.caching import cached_page
from issues.metadata import collection_page_json_ld, home_json_ld, issue_json_ld, periodical_id
from issues.models import Issue, Periodical


def contents_of(request, issue):
    """The issue's articles `request` may see, in print order, with what a table of contents shows."""
    return list(
        issue.articles.visible_to(request.user)
        .in_print_order()
        .select_related("section__parent")
        .with_authors()
        .defer("body")  # a table of contents shows only the start of the text (with_excerpts)
        .with_excerpts()
    )


@cached_page
def home(request):
    issues = list(Issue.objects.visible_to(request.user).latest_first()[:7])
    latest = issues[0] if issues else None
    periodical = Periodical.load()
    context = {
        "periodical": periodical,
        "latest": latest,
        "recent": issues[1:],
        "home_ld": home_json_ld(request, periodical),
    }
    if latest:
        articles = contents_of(request, latest)
        context |= {
            "articles": articles,
            "leads": latest.articles.visible_to(request.user).leads_among(articles),
            "pdf": latest.screen_pdf(),
        }
    return render(request, "issues/home.html", context)


@cached_page
def archive(request):
    issues = list(Issue.objects.visible_to(request.user).latest_first())
    periodical = Periodical.load()
    archive_ld = collection_page_json_ld(
        request,
        name=gettext("%(name)s往期") % {"name": periodical.name},
        parts=[
            issue_json_ld(request, issue, periodical) | {"isPartOf": {"@id": periodical_id(request)}}
            for issue in issues
        ],
        periodical=periodical,
    )
    return render(
        request, "issues/archive.html", {"periodical": periodical, "issues": issues, "archive_ld": archive_ld}
    )


@cached_page
def issue_detail(request, year, number):
    issue = get_object_or_404(Issue.objects.visible_to(request.user), year=year, number=number)
    periodical = Periodical.load()
    context = {
        "issue": issue,
        "periodical": periodical,
        "articles": contents_of(request, issue),
        "masthead": list(issue.masthead_lines.printed()),
        "pdf": issue.screen_pdf(),
        "issue_ld": {"@context": "https://schema.org"} | issue_json_ld(request, issue, periodical),
    }
    return render(request, "issues/issue_detail.html", context)


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
