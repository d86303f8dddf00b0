"""三校's steps: start a round, build its proof, record and settle corrections, sign off; and the publish check.

Rounds go in order: 二校 starts once 一校 is signed off, 三校 once 二校 is; an issue is published only
after 三校 is signed off (`proofs_obstacles`, registered with articles.services in apps.py).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from articles.services import Obstacle
from issues.files import write_atomically
from issues.models import Issue, IssuePDF, Periodical
from issues.proofs.models import PROOFREADERS_GROUP, Correction, ProofRound, TypesetText
from issues.typesetting.build import render_pdf
from issues.typesetting.document import issue_html

logger = logging.getLogger(__name__)


class ProofError(Exception):
    """A step of 三校 refused, with a message for the editor."""


def is_proofreader(user) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name=PROOFREADERS_GROUP).exists())


def may_settle(user) -> bool:
    """Marking corrections done and signing off rounds is for those who may change the issue."""
    return user.is_active and user.has_perm("issues.change_issue")


# Rounds


@transaction.atomic
def proof_round_start(*, issue: Issue, by) -> ProofRound:
    """Start the next round of `issue` (the previous one must be signed off); its proof is built next."""
    if not may_settle(by):
        raise PermissionDenied
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.is_published:
        raise ProofError(_("本期已发布，不再校对。"))
    last = issue.proof_rounds.order_by("-number").first()
    if last and not last.is_signed_off:
        raise ProofError(_("%(round)s尚未签字，不能开始下一校。") % {"round": last.name})
    if last and last.number == ProofRound.Number.THIRD:
        raise ProofError(_("三校已经签字，本期校对完毕。"))
    number = last.number + 1 if last else ProofRound.Number.FIRST
    return ProofRound.objects.create(issue=issue, number=number, started_by=by)


def proof_round_build(*, proof_round: ProofRound) -> ProofRound:
    """Typeset the round's proof (screen variant, watermarked on every page) and keep each article's text.

    A failed build records its error; the round's earlier proof, if any, stays.
    """
    ProofRound.objects.filter(pk=proof_round.pk).update(status=ProofRound.Status.BUILDING)
    proof_round.refresh_from_db()
    issue = proof_round.issue
    built_at = timezone.now()
    proof_round.built_at = built_at  # the watermark's date is the day the proof is made
    file_name = f"proofs/{issue.key}/{issue.key}-proof-{proof_round.number}.pdf"
    try:
        rendered = render_pdf(
            issue_html(issue, variant=IssuePDF.Variant.SCREEN),
            variant=IssuePDF.Variant.SCREEN,
            periodical=Periodical.load(),
            article_titles=dict(issue.articles.values_list("pk", "title")),
            extra_css=watermark_css(proof_round.watermark),
        )
        write_atomically(settings.PROTECTED_ROOT / file_name, rendered.pdf)
    except Exception as exc:
        logger.exception("Proof %s failed", proof_round)
        ProofRound.objects.filter(pk=proof_round.pk).update(
            status=ProofRound.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000]
        )
        proof_round.refresh_from_db()
        return proof_round
    articles = set(issue.articles.values_list("pk", flat=True))
    with transaction.atomic():
        proof_round.texts.all().delete()
        TypesetText.objects.bulk_create(
            TypesetText(round=proof_round, article_id=pk, text=text.text, body=text.body_text)
            for pk, text in rendered.article_texts.items()
            if pk in articles
        )
        proof_round.status = ProofRound.Status.DONE
        proof_round.file_name = file_name
        proof_round.page_count = rendered.page_count
        proof_round.error = ""
        proof_round.save(update_fields=["status", "file_name", "page_count", "built_at", "error"])
    return proof_round


def watermark_css(text: str) -> str:
    """A stylesheet printing `text` large, light grey and slanted across every page of the proof.

    WeasyPrint repeats a `position: fixed` box on every page, so one pseudo-element is enough.
    """
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f"""
body::after {{
  content: "{quoted}";
  position: fixed; top: 42%; left: 0; right: 0; z-index: 100;
  text-align: center; font-size: 48pt; font-weight: bold; letter-spacing: 0.1em; white-space: nowrap;
  color: rgba(0, 0, 0, 0.13); transform: rotate(-30deg);
}}
"""


@transaction.atomic
def proof_round_sign_off(*, proof_round: ProofRound, by) -> ProofRound:
    """签字: the round is over; its proof must be built and every correction done."""
    if not may_settle(by):
        raise PermissionDenied
    proof_round = ProofRound.objects.select_for_update().get(pk=proof_round.pk)
    if proof_round.is_signed_off:
        raise ProofError(_("%(round)s已经签字。") % {"round": proof_round.name})
    if proof_round.status != ProofRound.Status.DONE:
        raise ProofError(_("%(round)s的校样尚未生成，不能签字。") % {"round": proof_round.name})
    open_count = proof_round.corrections.filter(done_at__isnull=True).count()
    if open_count:
        raise ProofError(
            _("%(round)s还有 %(count)d 处校改未改正，改正后才能签字。")
            % {"round": proof_round.name, "count": open_count}
        )
    proof_round.signed_off_at, proof_round.signed_off_by = timezone.now(), by
    proof_round.save(update_fields=["signed_off_at", "signed_off_by"])
    return proof_round


# Corrections


def correction_record(*, proof_round: ProofRound, article: Article, text: str, by) -> Correction:
    """A proofreader notes a correction to an article of the round's issue."""
    if not is_proofreader(by):
        raise PermissionDenied
    if proof_round.is_signed_off:
        raise ProofError(_("%(round)s已经签字，不能再记录校改。") % {"round": proof_round.name})
    if article.issue_id != proof_round.issue_id:
        raise ProofError(_("这篇文章不在本期。"))
    if not text.strip():
        raise ProofError(_("请填写校改内容。"))
    return Correction.objects.create(round=proof_round, article=article, text=text.strip(), created_by=by)


def correction_mark_done(*, correction: Correction, by) -> Correction:
    """An editor has made the correction in the article."""
    if not may_settle(by):
        raise PermissionDenied
    updated = Correction.objects.filter(pk=correction.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=by
    )
    correction.refresh_from_db()
    if not updated:
        raise ProofError(_("这处校改已经标记为改正。"))
    return correction


# The publish check


def proofs_obstacles(issue: Issue) -> list[Obstacle]:
    """Until 三校 is signed off, publishing the issue is refused; a back issue printed before it came (its PDF imported) has no proofs."""
    if issue.has_imported_pdf():
        return []
    if issue.proof_rounds.filter(number=ProofRound.Number.THIRD, signed_off_at__isnull=False).exists():
        return []
    return [Obstacle(_("三校尚未签字：校样经一校、二校、三校并签字后才能发布。"))]


# The issue page's panel


@dataclass
class ProofsPanel:
    issue: Issue
    rounds: list[ProofRound]
    next_name: str  # the round that may start now, or ""
    done: bool  # 三校 signed off


def proofs_panel(issue: Issue) -> ProofsPanel:
    """The issue's rounds with their open corrections, and which round may start next."""
    rounds = list(
        issue.proof_rounds.select_related("signed_off_by").annotate(
            open_count=Count("corrections", filter=Q(corrections__done_at__isnull=True))
        )
    )
    last = rounds[-1] if rounds else None
    done = bool(last and last.number == ProofRound.Number.THIRD and last.is_signed_off)
    next_name = ""
    if not issue.is_published and not done and (last is None or last.is_signed_off):
        next_name = ProofRound.Number(last.number + 1 if last else 1).label
    return ProofsPanel(issue=issue, rounds=rounds, next_name=next_name, done=done)
