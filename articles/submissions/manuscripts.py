"""What a manuscript's text becomes: the authors it lists, the body without its own title and
byline, and the changes from one version to the next.

Authors put the title, "作者：…" and their affiliation at the top of the Word file, but the
article prints its title and byline from its own fields; left in the body they would print
twice. Only leading blocks that say nothing but the submission's own title, authors or
affiliations are taken off — the first block that says anything else ends the search, so body
text is never touched.
"""

import difflib
import re
from dataclasses import dataclass
from html import unescape

NAME_SEPARATORS = re.compile(r"[、，,；;]+")
BRACKETED = re.compile(r"[（(]([^（()）]*)[）)]")
# What may stand before the names in a byline: "作者：", "文 / ", "文/", "撰文：" …
BYLINE_PREFIX = re.compile(r"^(?:作者|撰文|撰稿|执笔|文)\s*[：:／/]\s*")
AFFILIATION_PREFIX = re.compile(r"^(?:作者)?单位\s*[：:]\s*")
# A leading paragraph or heading holding only inline markup (no table, list or figure inside).
LEADING_BLOCK = re.compile(r"\A\s*<(p|h[1-6])>((?:(?!</?(?:p|h[1-6]|table|ul|ol|figure|blockquote)\b).)*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Person:
    """A name listed on a submission, with the affiliation given beside it in brackets, if any."""

    name: str
    affiliation: str = ""


def listed_co_authors(co_authors: str) -> list[Person]:
    """The co-authors of the free-text field, in order: "李四（南滨大学）、王五" → 李四 (南滨大学), 王五."""
    people = []
    for part in NAME_SEPARATORS.split(co_authors or ""):
        affiliation = " ".join(m.strip() for m in BRACKETED.findall(part) if m.strip())
        name = _squeezed(BRACKETED.sub("", part))
        if name and name not in {person.name for person in people}:
            people.append(Person(name=name, affiliation=affiliation))
    return people


def authors_of(submission) -> list[Person]:
    """The submission's author, then its co-authors, in the order they are listed."""
    author = Person(name=_squeezed(submission.author_name), affiliation=submission.affiliation.strip())
    return [author] + [person for person in listed_co_authors(submission.co_authors) if person.name != author.name]


def article_body(submission, html: str) -> tuple[str, list[str]]:
    """The converted manuscript as the article's body: `without_title_and_byline` for this submission."""
    people = authors_of(submission)
    return without_title_and_byline(
        html,
        title=submission.title,
        names=[person.name for person in people],
        affiliations=[person.affiliation for person in people if person.affiliation],
    )


def without_title_and_byline(
    html: str, *, title: str, names: list[str], affiliations: list[str]
) -> tuple[str, list[str]]:
    """`html` with its leading title, byline and affiliation lines taken off, and the text of those lines.

    A leading block goes when its text, spaces ignored, is the title; or names only (after an
    optional "作者：" / "文 / "), each one of `names`, affiliations in brackets allowed; or one or
    more of `affiliations` (in brackets or after "单位："). Empty leading paragraphs go too.
    """
    removed = []
    while match := LEADING_BLOCK.match(html):
        text = " ".join(unescape(_TAG.sub(" ", match.group(2))).split())
        if text and not _is_front_matter(text, title=title, names=names, affiliations=affiliations):
            break
        if text:
            removed.append(text)
        html = html[match.end() :]
    return html.strip(), removed


def _is_front_matter(text, *, title, names, affiliations):
    squeezed = _squeezed(text)
    if squeezed == _squeezed(title):
        return True
    known_affiliations = {_squeezed(a) for a in affiliations if _squeezed(a)}
    if _are_affiliations(AFFILIATION_PREFIX.sub("", text), known_affiliations):
        return True
    known_names = {_squeezed(n) for n in names if _squeezed(n)}
    # Whatever is in brackets in a byline is an affiliation ("张三（南滨大学）、李四").
    byline = BRACKETED.sub(" ", BYLINE_PREFIX.sub("", text.strip()))
    tokens = [token for token in re.split(r"[、，,；;\s]+", byline) if token]
    return bool(tokens) and all(token in known_names for token in tokens)


def _are_affiliations(text, known):
    inner = text.strip()
    if BRACKETED.fullmatch(inner):
        inner = inner[1:-1]
    parts = [_squeezed(part) for part in NAME_SEPARATORS.split(inner)]
    return bool(known) and all(part in known for part in parts if part) and any(parts)


def _squeezed(text: str) -> str:
    return "".join((text or "").split())


@dataclass(frozen=True)
class ParagraphChange:
    """A paragraph added to or removed from a manuscript between two versions."""

    added: bool
    text: str


def paragraph_changes(older: str, newer: str) -> list[ParagraphChange]:
    """The paragraphs removed from `older` and added in `newer` (plain texts, one paragraph a line), in order."""
    before, after = _paragraphs(older), _paragraphs(newer)
    changes = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes += [ParagraphChange(added=False, text=text) for text in before[i1:i2]]
        changes += [ParagraphChange(added=True, text=text) for text in after[j1:j2]]
    return changes


def _paragraphs(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
