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
