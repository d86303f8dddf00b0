"""Background jobs of 三校 (run by `manage.py db_worker` in production)."""

from django.db import transaction
from django_tasks import task

from issues.proofs.models import ProofRound
from issues.proofs.services import proof_round_build


@task()
def build_proof(proof_round_id: int) -> str:
    """Typeset one round's watermarked proof; returns its status."""
    return proof_round_build(proof_round=ProofRound.objects.get(pk=proof_round_id)).status


def proof_enqueue(*, proof_round: ProofRound) -> None:
    """Queue the round's proof, once the current transaction commits (a build takes seconds)."""
    ProofRound.objects.filter(pk=proof_round.pk).exclude(status=ProofRound.Status.BUILDING).update(
        status=ProofRound.Status.QUEUED
    )
    transaction.on_commit(lambda: build_proof.enqueue(proof_round_id=proof_round.pk))
