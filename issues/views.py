from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static

from articles.models import Article, Authorship
from issues.models import Issue


def visible_issues(request):
    """Published issues for readers; every issue for staff, who preview drafts."""
    if request.user.is_staff:
        return Issue.objects.all()
    return Issue.objects.published()


def home(request):
    issues = list(visible_issues(request).latest_first()[:7])
    return render(request, "issues/home.html", {"latest": issues[0] if issues else None, "recent": issues[1:]})


def archive(request):
    return render(request, "issues/archive.html", {"issues": visible_issues(request).latest_first()})


def issue_detail(request, year, number):
    issue = get_object_or_404(visible_issues(request).prefetch_related("masthead_lines"), year=year, number=number)
    articles = (
        issue.articles.in_print_order()
        .select_related("section__parent")
        .prefetch_related(Prefetch("authorships", queryset=Authorship.objects.select_related("contributor")))
    )
    if not request.user.is_staff:
        articles = articles.filter(status=Article.Status.PUBLISHED)
    return render(request, "issues/issue_detail.html", {"issue": issue, "articles": articles})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the static icon."""
    return redirect(static("favicon.svg"))
