"""Move the honoraria editors typed on submissions (Submission.honorarium_*) into Honorarium rows.

A submission's amount is split equally among its article's authors in byline order (as a new
proposal would be), each share with its tax withheld; a paid date marks every share paid (with no
batch: they were paid before batches existed). A submission with an amount but no article, or an
article without authors, keeps what it said in its internal notes, since there is nobody to pay.
"""

from decimal import Decimal

from django.db import migrations

from articles.honoraria.rules import character_count, split_equally, withholding_tax


def forwards(apps, schema_editor):
    Submission = apps.get_model("submissions", "Submission")
    Authorship = apps.get_model("articles", "Authorship")
    Honorarium = apps.get_model("honoraria", "Honorarium")
    legacy = Submission.objects.exclude(honorarium_amount__isnull=True, honorarium_paid_on__isnull=True)
    for submission in legacy.select_related("article"):
        amount = submission.honorarium_amount or Decimal("0")
        authors = (
            list(Authorship.objects.filter(article=submission.article).order_by("position", "id"))
            if submission.article_id
            else []
        )
        if not authors:
            paid = f"，{submission.honorarium_paid_on} 已付" if submission.honorarium_paid_on else "，未付"
            line = f"原稿酬记录：{amount} 元{paid}（迁移时没有对应文章的作者）。"
            submission.internal_notes = f"{submission.internal_notes}\n{line}".strip()
            submission.save(update_fields=["internal_notes"])
            continue
        characters = character_count(submission.article.plain_text)
        for authorship, share in zip(authors, split_equally(amount, len(authors))):
            Honorarium.objects.get_or_create(
                article=submission.article,
                contributor_id=authorship.contributor_id,
                defaults={
                    "char_count": characters,
                    "amount": share,
                    "tax": withholding_tax(share),
                    "paid_on": submission.honorarium_paid_on,
                    "basis": "由来稿的稿酬记录迁移" + (f"，{len(authors)} 人平分" if len(authors) > 1 else ""),
                },
            )


def backwards(apps, schema_editor):
    Submission = apps.get_model("submissions", "Submission")
    Honorarium = apps.get_model("honoraria", "Honorarium")
    for submission in Submission.objects.filter(article__isnull=False):
        shares = list(Honorarium.objects.filter(article_id=submission.article_id))
        if shares:
            submission.honorarium_amount = sum(share.amount for share in shares)
            paid = [share.paid_on for share in shares]
            submission.honorarium_paid_on = max(paid) if all(paid) else None
            submission.save(update_fields=["honorarium_amount", "honorarium_paid_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("honoraria", "0001_initial"),
        ("submissions", "0002_text_length_limits"),
        ("articles", "0006_article_review_fields"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
