"""What the reading site tells search engines about the periodical and its issues (schema.org JSON-LD).

Every node that others point at has one stable `@id`: the periodical is the site's root + "#periodical",
the site root + "#website", an issue its page's address. Addresses are absolute, built from the
request like the `{% absolute %}` tag's (pages are cached per host).
"""

from django.urls import reverse

LANGUAGE = "zh-CN"


def site_root(request) -> str:
    return request.build_absolute_uri("/")


def periodical_id(request) -> str:
    return site_root(request) + "#periodical"


def website_id(request) -> str:
    return site_root(request) + "#website"


def publisher_json_ld(periodical) -> dict:
    """The organisation that publishes the periodical: its host unit (主办单位), else the periodical itself."""
    return {"@type": "Organization", "name": periodical.host_unit or periodical.name}


def periodical_json_ld(request, periodical) -> dict:
    """schema.org Periodical: the bulletin itself, with its publisher and ISSN if it has one."""
    return without_empty(
        {
            "@type": "Periodical",
            "@id": periodical_id(request),
            "url": site_root(request),
            "name": periodical.name,
            "description": periodical.slogan,
            "inLanguage": LANGUAGE,
            "publisher": publisher_json_ld(periodical),
            "issn": periodical.issn,
        }
    )


def website_json_ld(request, periodical) -> dict:
    """schema.org WebSite with its search box (the home page's JSON-LD, beside the Periodical)."""
    search = request.build_absolute_uri(reverse("articles:search"))
    return {
        "@type": "WebSite",
        "@id": website_id(request),
        "url": site_root(request),
        "name": periodical.name,
        "inLanguage": LANGUAGE,
        "publisher": publisher_json_ld(periodical),
        "about": {"@id": periodical_id(request)},
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": f"{search}?q={{search_term_string}}"},
            "query-input": "required name=search_term_string",
        },
    }


def issue_json_ld(request, issue, periodical) -> dict:
    """schema.org PublicationIssue, its `@id` and `url` its page, part of the Periodical."""
    url = request.build_absolute_uri(issue.get_absolute_url())
    return without_empty(
        {
            "@type": "PublicationIssue",
            "@id": url,
            "url": url,
            "issueNumber": str(issue.number),
            "name": f"{periodical.name} {issue.issue_line}",
            "alternateName": issue.title,
            "datePublished": issue.publication_date.isoformat(),
            "inLanguage": LANGUAGE,
            "image": request.build_absolute_uri(issue.cover_thumbnail.url) if issue.cover_thumbnail else None,
            "isPartOf": periodical_json_ld(request, periodical),
        }
    )


def home_json_ld(request, periodical) -> dict:
    return {
        "@context": "https://schema.org",
        "@graph": [website_json_ld(request, periodical), periodical_json_ld(request, periodical)],
    }


def collection_page_json_ld(request, *, name, parts, periodical) -> dict:
    """schema.org CollectionPage (the archive, a section) listing `parts`, nodes with their `@id`."""
    url = request.build_absolute_uri(request.path)
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "@id": url,
        "url": url,
        "name": name,
        "inLanguage": LANGUAGE,
        "isPartOf": {"@id": website_id(request)},
        "about": periodical_json_ld(request, periodical),
        "hasPart": parts,
    }


def without_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "", [])}
