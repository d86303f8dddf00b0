"""三校 in the admin: each round's page (proof, corrections, changes since the last round, manuscript check).

Rounds are started from the issue's page (the desk's 三校 panel posts to `start_view`); a round's
page is a record with its own buttons, not a form: what proofreaders and editors do there each
goes through one service function.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from articles.models import Article
from issues.models import Issue
from issues.proofs import compare
from issues.proofs.models import Correction, ProofRound
from issues.proofs.services import (
    ProofError,
    correction_mark_done,
    correction_record,
    is_proofreader,
    may_settle,
    proof_round_sign_off,
    proof_round_start,
)
from issues.proofs.tasks import proof_enqueue


@admin.register(ProofRound)
class ProofRoundAdmin(admin.ModelAdmin):
    list_display = ["issue", "number", "status", "started_at", "started_by", "open_corrections", "signed_off_at"]
    list_filter = ["number", "status", ("signed_off_at", admin.EmptyFieldListFilter)]
    list_select_related = ["issue", "started_by"]
    search_fields = ["=issue__year", "=issue__total_number"]

    def has_add_permission(self, request):
        return False  # a round starts from its issue's page, after the previous one is signed off

    def has_delete_permission(self, request, obj=None):
        return False  # a round is the record of who proofread and signed

    @admin.display(description=_("未改正的校改"))
    def open_corrections(self, proof_round):
        return proof_round.corrections.filter(done_at__isnull=True).count()

    def get_urls(self):
        def view(function, name, *, post=False):
            return self.admin_site.admin_view(require_POST(function) if post else function), f"proofs_proofround_{name}"

        urls = [
            ("start/<int:issue_id>/", self.start_view, "start", True),
            ("<int:object_id>/rebuild/", self.rebuild_view, "rebuild", True),
            ("<int:object_id>/proof/", self.proof_view, "proof", False),
            ("<int:object_id>/sign-off/", self.sign_off_view, "sign_off", True),
            ("<int:object_id>/corrections/", self.record_view, "record", True),
            ("<int:object_id>/corrections/<int:correction_id>/done/", self.done_view, "done", True),
        ]
        own = []
        for route, function, name, post in urls:
            callback, url_name = view(function, name, post=post)
            own.append(path(route, callback, name=url_name))
        return own + super().get_urls()

    def _round_or_404(self, request, object_id):
        proof_round = self.get_object(request, str(object_id))
        if proof_round is None or not self.has_view_permission(request, proof_round):
            raise Http404
        return proof_round

    def _attempt(self, request, step, done_message):
        try:
            step()
        except ProofError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, done_message, messages.SUCCESS)

    # The round's page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proof_round = self._round_or_404(request, object_id)
        issue = proof_round.issue
        context = {
            **self.admin_site.each_context(request),
            "title": str(proof_round),
            "opts": self.opts,
            "original": proof_round,
            "issue": issue,
            "corrections": proof_round.corrections.select_related("article", "created_by", "done_by"),
            "articles": issue.articles.in_print_order().only("pk", "title", "issue_id"),
            "may_record": is_proofreader(request.user) and not proof_round.is_signed_off,
            "may_settle": may_settle(request.user),
            "diffs": compare.round_diffs(proof_round) if proof_round.status == ProofRound.Status.DONE else None,
            "checks": compare.manuscript_checks(proof_round) if proof_round.status == ProofRound.Status.DONE else [],
        }
        return TemplateResponse(request, "admin/proofs/proofround_detail.html", context)

    def proof_view(self, request, object_id):
        """The watermarked proof, for staff who may view the issue; never offered to subscribers."""
        proof_round = self._round_or_404(request, object_id)
        if not request.user.has_perm("issues.view_issue"):
            raise PermissionDenied
        if not proof_round.is_downloadable:
            raise Http404
        return FileResponse(
            proof_round.path.open("rb"),
            content_type="application/pdf",
            filename=f"{proof_round.issue.key}-{proof_round.name}样.pdf",
        )

    # Its steps

    def start_view(self, request, issue_id):
        issue = get_object_or_404(Issue, pk=issue_id)
        if not may_settle(request.user):
            raise PermissionDenied

        def start():
            proof_enqueue(proof_round=proof_round_start(issue=issue, by=request.user))

        self._attempt(request, start, _("已开始新的一校次，校样正在生成，稍后刷新本页查看。"))
        return redirect(reverse("admin:issues_issue_change", args=[issue.pk]) + "#proofs-panel")

    def rebuild_view(self, request, object_id):
        proof_round = self._round_or_404(request, object_id)
        if not may_settle(request.user):
            raise PermissionDenied
        if proof_round.is_signed_off:
            self.message_user(request, _("已签字的校次不再重新生成校样。"), messages.ERROR)
        else:
            proof_enqueue(proof_round=proof_round)
            self.message_user(request, _("已安排重新生成校样。"), messages.SUCCESS)
        return redirect("admin:proofs_proofround_change", proof_round.pk)

    def sign_off_view(self, request, object_id):
        proof_round = self._round_or_404(request, object_id)
        self._attempt(
            request,
            lambda: proof_round_sign_off(proof_round=proof_round, by=request.user),
            _("%(round)s已签字。") % {"round": proof_round.name},
        )
        return redirect("admin:proofs_proofround_change", proof_round.pk)

    def record_view(self, request, object_id):
        proof_round = self._round_or_404(request, object_id)
        article = Article.objects.filter(pk=request.POST.get("article") or 0, issue=proof_round.issue).first()
        if article is None:
            self.message_user(request, _("请选择本期的一篇文章。"), messages.ERROR)
        else:
            self._attempt(
                request,
                lambda: correction_record(
                    proof_round=proof_round, article=article, text=request.POST.get("text", "")[:2000], by=request.user
                ),
                _("已记录校改。"),
            )
        return redirect(reverse("admin:proofs_proofround_change", args=[proof_round.pk]) + "#corrections")

    def done_view(self, request, object_id, correction_id):
        proof_round = self._round_or_404(request, object_id)
        correction = get_object_or_404(Correction, pk=correction_id, round=proof_round)
        self._attempt(
            request, lambda: correction_mark_done(correction=correction, by=request.user), _("已标记为改正。")
        )
        return redirect(reverse("admin:proofs_proofround_change", args=[proof_round.pk]) + "#corrections")
