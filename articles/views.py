from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from articles import readership
from articles.filters import ArticleFilter, search_terms
from articles.metadata import article_authors, article_json_ld, article_part_json_ld, contributor_page_json_ld
from articles.models import Article, Contributor
from issues.caching import cached_page
from issues.metadata import collection_page_json_ld
from issues.models import Periodical, Section
from issues.qrcodes import qr_modules, qr_png, site_address

PAGE_SIZE = 20
# The share panel's QR code: shown at SHARE_QR_PX_PER_MODULE CSS pixels a module, drawn at twice that
# for high-density screens; a quiet zone of four modules, as the standard asks, since a screen's
# surroundings are anything but white paper.
SHARE_QR_PX_PER_MODULE, SHARE_QR_BORDER = 3, 4


def article_list(request):
    """Visible articles with what a list item shows, newest issue first."""
    return (
        Article.objects.visible_to(request.user)
        .select_related("issue", "section__parent")
        .with_authors()
        .order_by("-issue__year", "-issue__number", "position", "pk")
    )


def paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def article_short_link(request, pk):
    """The article's address without its title: what printed QR codes carry, valid after a retitle."""
    return redirect(get_object_or_404(Article.objects.visible_to(request.user).only("pk", "slug"), pk=pk))


@cached_page
def article_detail(request, pk, slug):
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("issue", "section__parent").with_authors(), pk=pk
    )
    if slug != article.slug:
        return redirect(article, permanent=True)
    previous = following = None
    if article.issue_id:
        # The issue's visible articles, in order, in one small query.
        siblings = list(
            Article.objects.visible_to(request.user)
            .filter(issue_id=article.issue_id)
            .in_print_order()
            .only("pk", "slug", "title", "position")
        )
        index = next(i for i, sibling in enumerate(siblings) if sibling.pk == article.pk)
        previous = siblings[index - 1] if index > 0 else None
        following = siblings[index + 1] if index + 1 < len(siblings) else None
    periodical = Periodical.load()
    pdf = article.issue.screen_pdf() if article.issue_id else None
    # Its own pages of the issue PDF, downloadable on their own (subscriptions' article_pdf).
    own_pages = pdf.pdf_indexes(article.first_page, article.last_page) if pdf else range(0)
    citation_authors = article_authors(article)
    image = share_image(request, article)
    context = {
        "article": article,
        "periodical": periodical,
        "authors": [authorship.contributor for authorship in article.authorships.all()],
        "citation_authors": citation_authors,
        "share_image": image,
        # The printed byline is just the authors' names: print them as links.
        "byline_names_authors": not article.byline or article.byline == article.byline_from_authors,
        "previous": previous,
        "next": following,
        "pdf": pdf,
        "has_article_pdf": bool(own_pages),
        # Google Scholar wants a PDF it can fetch, or none: only where anyone may download it.
        "citation_pdf": bool(own_pages) and article.pdf_open_to_everyone(periodical),
        "article_ld": article_json_ld(request, article, periodical, authors=citation_authors, image=image),
        # Editors reading (or previewing) are not readers; everyone else sees only published articles.
        "count_reading": not request.user.is_staff,
        "related": Article.objects.visible_to(request.user).related_to(article),
        "most_read_issue": readership.most_read(issue_id=article.issue_id) if article.issue_id else [],
        "most_read_site": readership.most_read_site(),
        "most_read_days": readership.SITE_WINDOW_DAYS,
    } | share_panel(article)
    return render(request, "articles/article_detail.html", context)


def share_image(request, article) -> str | None:
    """The absolute address of the picture a share card shows: the article's first image, else its issue's cover."""
    lead = article.lead_image
    if lead is not None:
        return request.build_absolute_uri(lead.src)
    if article.issue_id and article.issue.cover_thumbnail:
        return request.build_absolute_uri(article.issue.cover_thumbnail.url)
    return None


def share_panel(article):
    """What the share panel shows: the article's canonical address and the size of its QR code."""
    url = site_address(article.get_absolute_url())
    return {"share_url": url, "share_qr_px": qr_modules(url, border=SHARE_QR_BORDER) * SHARE_QR_PX_PER_MODULE}


@cached_page
def article_qr(request, pk, slug):
    """The QR code of the article's canonical address, a PNG for the share panel (微信扫一扫).

    An image from the site itself, so the CSP keeps img-src to 'self' (no data: URIs), and the
    cached article page stays small; readers' browsers keep it for a day.
    """
    article = get_object_or_404(Article.objects.visible_to(request.user).only("pk", "slug"), pk=pk, slug=slug)
    png = qr_png(site_address(article.get_absolute_url()), scale=SHARE_QR_PX_PER_MODULE * 2, border=SHARE_QR_BORDER)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store" if request.user.is_staff else "public, max-age=86400"
    return response


@csrf_exempt  # a beacon carries no token; it changes nothing but a count, and is limited per address
@never_cache
@require_POST
def article_read(request, pk):
    """The beacon of an article page: count one reader (no cookie, no session; 204 whether counted or not)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return HttpResponse(status=403)  # another site's page making its visitors' browsers count
    if not Article.objects.published().filter(pk=pk).exists():
        raise Http404
    user_agent = request.headers.get("User-Agent", "")
    # Readers who asked not to be tracked are not counted, though nothing identifies them: the
    # script sends nothing for them, and a beacon that still comes (an old script) is not counted.
    opted_out = request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1"
    address = request.META.get("REMOTE_ADDR") or ""
    if opted_out or readership.is_bot(user_agent) or not address:
        return HttpResponse(status=204)
    try:
        readership.article_view_record(article_id=pk, address=address, user_agent=user_agent)
    except readership.Throttled:
        return HttpResponse(status=429)
    return HttpResponse(status=204)


@cached_page
def section_detail(request, slug):
    section = get_object_or_404(Section.objects.select_related("parent"), slug=slug)
    articles = article_list(request).filter(Q(section=section) | Q(section__parent=section))
    page = paginate(request, articles)
    periodical = Periodical.load()
    section_ld = collection_page_json_ld(
        request,
        name=section.full_name,
        parts=[article_part_json_ld(request, article) for article in page],
        periodical=periodical,
    )
    context = {"periodical": periodical, "section": section, "page": page, "section_ld": section_ld}
    return render(request, "articles/section_detail.html", context)


@cached_page
def contributor_detail(request, pk):
    contributor = get_object_or_404(Contributor, pk=pk)
    page = paginate(request, article_list(request).filter(authorships__contributor=contributor))
    context = {
        "contributor": contributor,
        "page": page,
        "profile_ld": contributor_page_json_ld(request, contributor, page),
    }
    return render(request, "articles/contributor_detail.html", context)


@cached_page
def search(request):
    filters = ArticleFilter(request.GET or None, queryset=article_list(request))
    searched = filters.is_bound and any(request.GET.get(name) for name in filters.filters)
    page = None
    if searched and filters.is_valid():
        # One pass over the texts yields the ordered ids; the page then fetches its 20 articles.
        page = paginate(request, list(filters.qs.values_list("pk", flat=True)))
        found = article_list(request).in_bulk(page.object_list)
        page.object_list = [found[pk] for pk in page.object_list]
    context = {
        "filters": filters,
        "page": page,
        "terms": search_terms(request.GET.get("q", "")),
        "query_string": _without_page(request.GET),
    }
    return render(request, "articles/search.html", context)


def _without_page(params):
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()
