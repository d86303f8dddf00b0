"""The honoraria's workflow: proposing them for an issue, batching them for finance, marking a batch paid."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.honoraria.models import ComplimentaryCopies, Honorarium, PaymentBatch, RateCard, articles_with_authors
from issues.workflow import TransitionNotAllowed


@transaction.atomic
def honoraria_propose(*, article) -> list[Honorarium]:
    """An honorarium and a 样刊 record for each author of `article` who has none yet; the others are left alone."""
    proposal = RateCard.load().proposal(article)
    created = []
    for authorship in article.authorships.select_related("contributor"):
        contributor = authorship.contributor
        if not Honorarium.objects.filter(article=article, contributor=contributor).exists():
            honorarium = Honorarium(article=article, contributor=contributor)
            honorarium.fill_in_proposal(proposal)
            honorarium.save()
            created.append(honorarium)
        if not ComplimentaryCopies.objects.filter(article=article, contributor=contributor).exists():
            ComplimentaryCopies.objects.create(article=article, contributor=contributor)
    return created


def honoraria_propose_for_issue(*, issue) -> list[Honorarium]:
    """`honoraria_propose` for every article of `issue` with authors, in print order."""
    return [honorarium for article in articles_with_authors(issue) for honorarium in honoraria_propose(article=article)]


@transaction.atomic
def payment_batch_create(*, honoraria, by) -> PaymentBatch:
    """A new payment batch of `honoraria`, refused if any of them is paid or already in a batch."""
    ids = [honorarium.pk for honorarium in honoraria]
    locked = list(
        Honorarium.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("contributor", "article")
    )
    if not locked:
        raise TransitionNotAllowed(_("请选择要付款的稿酬。"))
    taken = [str(honorarium) for honorarium in locked if honorarium.batch_id or honorarium.is_paid]
    if taken:
        raise TransitionNotAllowed(_("以下稿酬已付或已列入付款批次：%(items)s") % {"items": "、".join(taken)})
    batch = PaymentBatch.objects.create(created_by=by)
    Honorarium.objects.filter(pk__in=ids).update(batch=batch)
    return batch


@transaction.atomic
def payment_batch_mark_paid(*, batch: PaymentBatch, by, paid_on: datetime.date | None = None) -> PaymentBatch:
    """Mark `batch` and every honorarium in it paid on `paid_on` (today), once."""
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.paid_on is not None:
        raise TransitionNotAllowed(_("这一批已于 %(date)s 付款。") % {"date": batch.paid_on})
    batch.paid_on = paid_on or timezone.localdate()
    batch.paid_by = by
    batch.save(update_fields=["paid_on", "paid_by"])
    batch.items.update(paid_on=batch.paid_on)
    return batch
