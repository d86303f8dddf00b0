"""Full-text search of articles with an index, for Chinese as well as Latin words.

Chinese has no spaces between words, so a word index would hold whole runs of characters.
The search text is therefore kept with a space between CJK characters ("跨 境 电 商");
each character is a token, and a query word becomes a phrase of adjacent tokens, which
finds it anywhere in a run, two-character words included. Latin words stay whole (matched
as words and word prefixes). SQLite indexes the text with FTS5, PostgreSQL with a tsvector
column and a GIN index; both are kept in step by the database itself (see the migration).
"""

import re

from django.db import connection
from django.db.models.expressions import RawSQL

_CJK = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003134f])")
_TOKEN = re.compile(r"\w+")


def search_form(text: str) -> str:
    """`text` as the index sees it: lower-cased, CJK characters apart, whitespace collapsed."""
    return " ".join(_CJK.sub(r" \1 ", text.lower()).split())


def articles_matching(word: str):
    """A subquery of the ids of articles whose search text contains `word`, or None if it has no letters."""
    tokens = _TOKEN.findall(search_form(word))
    if not tokens:
        return None
    if connection.vendor == "postgresql":
        return RawSQL(
            "SELECT article_id FROM articles_searchtext WHERE search_vector @@ to_tsquery('simple', %s)",
            [" <-> ".join(f"'{token}'" for token in tokens) + ":*"],
        )
    phrase = '"' + " ".join(tokens) + '"*'
    return RawSQL("SELECT rowid FROM articles_searchindex WHERE articles_searchindex MATCH %s", [phrase])


def run_per_vendor(statements_by_vendor):
    """A migration function running the SQL statements given for the database's vendor (none for others)."""

    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


# Related articles ------------------------------------------------------------------------------
#
# What an article is about is said best by its title. Its key terms are the two-character
# sequences of each run of Chinese characters in the title and subtitle ("跨境电商" → 跨境, 境电,
# 电商: most two-character words are among them) and its Latin words ("B2B"). Another article
# shares a term when the title index (titles and subtitles only) finds it as a phrase: in whole
# texts common pairs such as 发展 occur in nearly every article, which makes ranking them all slow
# and says little. Articles are scored by the index's own ranking over all the shared terms —
# BM25 in FTS5 (rare terms weigh more), ts_rank on PostgreSQL (how often they occur) —, so the
# article sharing more, rarer words comes first.

_IDEOGRAPH_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_LATIN_WORD = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
MAX_KEY_TERMS = 24  # bounds the size of the index query whatever the title


def key_terms(text: str) -> list[tuple[str, ...]]:
    """The terms another article must share with `text` to be related, each as the index's tokens."""
    text = text.lower()
    terms = []
    for run in _IDEOGRAPH_RUN.findall(text):
        terms += [tuple(run[i : i + 2]) for i in range(len(run) - 1)]
    terms += [(word,) for word in _LATIN_WORD.findall(_IDEOGRAPH_RUN.sub(" ", text)) if len(word) > 1]
    return list(dict.fromkeys(terms))[:MAX_KEY_TERMS]


def articles_sharing(terms, candidates, *, limit: int) -> list[int]:
    """The ids of up to `limit` of the `candidates` (a queryset of articles) sharing any of `terms`, best
    first: the title index ranks its matches in one pass, joined to the candidates.

    A join, not `IN (candidates)`: SQLite evaluates an IN subquery beside an FTS5 match for every
    match (seconds on a large archive), while the join looks up each match by its primary key.
    """
    if not terms:
        return []
    subquery, params = candidates.order_by().values("pk").query.sql_with_params()
    if connection.vendor == "postgresql":
        query = " | ".join("(" + " <-> ".join(f"'{token}'" for token in term) + ")" for term in terms)
        sql = (
            f"SELECT s.article_id FROM articles_searchtext s JOIN ({subquery}) c ON c.pk = s.article_id "
            "WHERE s.title_vector @@ to_tsquery('simple', %s) "
            "ORDER BY ts_rank(s.title_vector, to_tsquery('simple', %s)) DESC, s.article_id DESC LIMIT %s"
        )
        arguments = [*params, query, query, limit]
    else:
        query = " OR ".join('"' + " ".join(term) + '"' for term in terms)
        sql = (
            f"SELECT m.rowid FROM articles_titleindex m JOIN ({subquery}) c ON c.pk = m.rowid "
            "WHERE articles_titleindex MATCH %s ORDER BY bm25(articles_titleindex), m.rowid DESC LIMIT %s"
        )
        arguments = [*params, query, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)
        return [row[0] for row in cursor.fetchall()]
