"""How an article is cited: GB/T 7714-2015, the Chinese national standard for references.

An article PDF carries the citation in its metadata; the reading site can print the same string.
"""

from articles.metadata import article_authors
from articles.models import Article

MAX_NAMED_AUTHORS = 3  # GB/T 7714: more than three authors are cited as the first three and "等"


def cited_authors(article: Article) -> list[str]:
    """The article's authors in byline order, else the names its printed byline gives ("文 / " left off)."""
    return [author.name for author in article_authors(article)]


def gbt7714_citation(article: Article, *, periodical_name: str) -> str:
    """The reference to `article` in its issue, e.g. "林知远. 从“有没有”走向“好不好”[J]. 南滨电子商务, 2017(1): 1-2."

    Authors, title (and subtitle), [J], journal, year(number), then the printed pages when known.
    An article in no issue cannot be cited: "".
    """
    if article.issue_id is None:
        return ""
    issue = article.issue
    authors = cited_authors(article)
    if len(authors) > MAX_NAMED_AUTHORS:
        authors = [*authors[:MAX_NAMED_AUTHORS], "等"]
    title = f"{article.title}: {article.subtitle}" if article.subtitle else article.title
    citation = f"{', '.join(authors)}. " if authors else ""
    citation += f"{title}[J]. {periodical_name}, {issue.year}({issue.number})"
    if article.first_page:
        last_page = article.last_page or article.first_page
        pages = str(article.first_page) if last_page == article.first_page else f"{article.first_page}-{last_page}"
        citation += f": {pages}"
    return citation + "."
