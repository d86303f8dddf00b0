"""Who wrote an article, as citation tags, JSON-LD and feeds name them, and the article's JSON-LD.

Authors are the article's contributors in byline order or, when it has none, the names its printed
byline gives ("文 / 本刊编辑部" → 本刊编辑部, an organisation). A brief without a byline has none.
"""

from dataclasses import dataclass

from articles.bylines import byline_names, looks_like_organisation
from articles.models import Article, Contributor
from issues.metadata import LANGUAGE, issue_json_ld, publisher_json_ld, without_empty
from issues.models import Section


@dataclass(frozen=True)
class Author:
    name: str
    is_organisation: bool
    contributor: Contributor | None = None  # None: a name read off the printed byline

    @property
    def affiliation(self) -> str:
        return self.contributor.affiliation if self.contributor else ""

    def get_absolute_url(self) -> str | None:
        return self.contributor.get_absolute_url() if self.contributor else None


def article_authors(article: Article) -> list[Author]:
    """The article's authors: its contributors (prefetched by `with_authors`), else its printed byline's names."""
    contributors = [authorship.contributor for authorship in article.authorships.all()]
    if contributors:
        return [Author(c.name, c.is_organisation, c) for c in contributors]
    return [Author(name, looks_like_organisation(name)) for name in byline_names(article.byline)]


def author_json_ld(request, author: Author) -> dict:
    """schema.org Person or Organization; `@id` its contributor page where it has one."""
    url = author.get_absolute_url()
    data = {"@type": "Organization" if author.is_organisation else "Person", "name": author.name}
    if url:
        data |= {"@id": request.build_absolute_uri(url), "url": request.build_absolute_uri(url)}
    if author.affiliation and not author.is_organisation:
        data["affiliation"] = {"@type": "Organization", "name": author.affiliation}
    return data


SCHEMA_TYPES = {Section.Kind.RESEARCH: "ScholarlyArticle", Section.Kind.NEWS: "NewsArticle"}


def article_schema_type(article: Article) -> str:
    """ScholarlyArticle in research and commentary sections, NewsArticle in news sections (Section.kind)."""
    return SCHEMA_TYPES.get(article.section.kind, "NewsArticle")


def article_json_ld(request, article: Article, periodical, *, authors: list[Author], image: str | None) -> dict:
    """schema.org ScholarlyArticle/NewsArticle, part of its PublicationIssue, itself part of the Periodical."""
    url = request.build_absolute_uri(article.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": article_schema_type(article),
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": article.title,
        "alternativeHeadline": article.subtitle,
        "description": article.description,
        "inLanguage": LANGUAGE,
        "author": [author_json_ld(request, author) for author in authors],
        "publisher": publisher_json_ld(periodical),
        "articleSection": article.section.full_name,
        "image": image,
        "dateModified": article.updated_at.isoformat(),
    }
    if article.issue_id:
        data |= {
            "datePublished": article.issue.publication_date.isoformat(),
            "pageStart": article.first_page,
            "pageEnd": article.last_page,
            "isPartOf": issue_json_ld(request, article.issue, periodical),
        }
    return without_empty(data)


def article_part_json_ld(request, article: Article) -> dict:
    """An article as a list of them (a section page) names it: type, `@id`, address, headline."""
    url = request.build_absolute_uri(article.get_absolute_url())
    return {"@type": article_schema_type(article), "@id": url, "url": url, "headline": article.title}


def contributor_page_json_ld(request, contributor: Contributor, articles) -> dict:
    """schema.org ProfilePage of a contributor: the Person or Organization, `@id` this page, and their articles."""
    author = author_json_ld(request, Author(contributor.name, contributor.is_organisation, contributor))
    if contributor.bio:
        author["description"] = contributor.bio
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "url": request.build_absolute_uri(contributor.get_absolute_url()),
        "inLanguage": LANGUAGE,
        "mainEntity": author,
        "hasPart": [article_part_json_ld(request, article) for article in articles],
    }
