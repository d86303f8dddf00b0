"""What changed in an article's typeset text since the last round, and how it differs from the manuscript.

Both compare character by character (Chinese has no words to split on), with difflib's
SequenceMatcher without its "junk" heuristic: in a long Chinese text it would ignore the
commonest characters (的, 在, 。), which is where many corrections are.
"""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.translation import gettext_lazy as _

from issues.proofs.models import ProofRound

CONTEXT = 12  # characters shown on either side of a change
PASSAGES = 5  # differing passages the manuscript check lists


@dataclass
class Segment:
    kind: str  # "equal", "removed", "added"
    text: str


@dataclass
class ArticleDiff:
    """One article's changes since the previous round, as hunks of segments."""

    title: str
    article_id: int | None
    state: str  # "changed", "unchanged", "added" (new in this round), "removed" (no longer in the issue)
    hunks: list[list[Segment]] = field(default_factory=list)
    removed_count: int = 0
    added_count: int = 0

    STATE_LABELS = {
        "changed": _("有改动"),
        "unchanged": _("无改动"),
        "added": _("本校新增"),
        "removed": _("本校已撤下"),
    }

    @property
    def state_label(self):
        return self.STATE_LABELS[self.state]


def text_diff(before: str, after: str, *, context: int = CONTEXT) -> tuple[list[list[Segment]], int, int]:
    """(hunks, characters removed, characters added) turning `before` into `after`."""
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    hunks, removed, added = [], 0, 0
    for group in matcher.get_grouped_opcodes(context):
        hunk = []
        for index, (tag, i1, i2, j1, j2) in enumerate(group):
            if tag == "equal":
                text = before[i1:i2]
                if index == 0 and len(text) > context:
                    text = "…" + text[-context:]
                elif index == len(group) - 1 and len(text) > context:
                    text = text[:context] + "…"
                hunk.append(Segment("equal", text))
                continue
            if tag in ("delete", "replace"):
                hunk.append(Segment("removed", before[i1:i2]))
                removed += i2 - i1
            if tag in ("insert", "replace"):
                hunk.append(Segment("added", after[j1:j2]))
                added += j2 - j1
        hunks.append(hunk)
    return hunks, removed, added


def round_diffs(proof_round: ProofRound) -> list[ArticleDiff] | None:
    """Article by article, what the round's proof prints differently from the previous round's; None for 一校."""
    previous = proof_round.issue.proof_rounds.filter(number=proof_round.number - 1).first()
    if previous is None:
        return None
    before = {text.article_id: text for text in previous.texts.select_related("article")}
    after = {text.article_id: text for text in proof_round.texts.select_related("article")}
    order = list(proof_round.issue.articles.in_print_order().values_list("pk", flat=True))
    order += [pk for pk in before if pk not in order]
    diffs = []
    for pk in order:
        old, new = before.get(pk), after.get(pk)
        if old is None and new is None:
            continue
        title = (new or old).article.title
        if old is None:
            diffs.append(ArticleDiff(title, pk, "added"))
        elif new is None:
            diffs.append(ArticleDiff(title, pk, "removed"))
        else:
            hunks, removed, added = text_diff(old.text, new.text)
            state = "changed" if hunks else "unchanged"
            diffs.append(ArticleDiff(title, pk, state, hunks, removed, added))
    return diffs


@dataclass
class ManuscriptCheck:
    """The typeset body against the accepted manuscript, whitespace ignored."""

    title: str
    article_id: int
    lost: int  # characters of the manuscript not printed
    added: int  # characters printed that the manuscript lacks
    passages: list[list[Segment]]  # the first differing passages

    @property
    def matches(self):
        return not (self.lost or self.added)


def without_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def manuscript_checks(proof_round: ProofRound) -> list[ManuscriptCheck]:
    """For each article with an accepted manuscript, how its typeset body differs; office-written ones are skipped."""
    checks = []
    texts = proof_round.texts.select_related("article").exclude(article__accepted_text="")
    for text in sorted(texts, key=lambda text: (text.article.position, text.article_id)):
        article = text.article
        hunks, lost, added = text_diff(
            without_whitespace(article.accepted_text), without_whitespace(text.body), context=CONTEXT
        )
        checks.append(ManuscriptCheck(article.title, article.pk, lost, added, hunks[:PASSAGES]))
    return checks
