from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.honoraria.rules import FEN, amount_by_rate, character_count, split_equally, withholding_tax
from articles.models import Article, Contributor
from articles.submissions.models import Submission
from issues.models import Periodical, Section

MONEY = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class RateCard(models.Model):
    """The periodical's honorarium rates (稿酬标准): a default rate and minimum, overridden per section."""

    periodical = models.OneToOneField(Periodical, on_delete=models.CASCADE, related_name="rate_card")
    rate_per_thousand = models.DecimalField(_("每千字稿酬（元）"), default=Decimal("100"), **MONEY)
    minimum_amount = models.DecimalField(
        _("每篇最低稿酬（元）"), default=Decimal("100"), help_text=_("按字数计酬的稿件不足此数时按此数计。"), **MONEY
    )

    class Meta:
        verbose_name = _("稿酬标准")
        verbose_name_plural = _("稿酬标准")

    def __str__(self):
        return gettext("稿酬标准")

    @classmethod
    def load(cls):
        """The periodical's rate card, created with the defaults the first time it is asked for."""
        card, _created = cls.objects.get_or_create(periodical=Periodical.load())
        return card

    def proposal(self, article) -> "Proposal":
        """What `article` would be paid in all, by this card, from the characters of its typeset text.

        The rule is the section's own row, else its parent section's, else the card's default: a fixed
        brief amount wins over a rate; a rate (the row's, or the default) gives characters × rate / 1000,
        rounded to the yuan, at least the minimum. Brief amounts are fixed: no minimum applies to them.
        """
        characters = character_count(article.plain_text)
        rows = {row.section_id: row for row in self.section_rates.all()}
        section = article.section
        row = rows.get(section.pk) or (rows.get(section.parent_id) if section.parent_id else None)
        if row and row.brief_amount is not None:
            return Proposal(
                characters, row.brief_amount, gettext("简讯定额 %(amount)s 元") % {"amount": row.brief_amount}
            )
        rate = row.rate_per_thousand if row and row.rate_per_thousand is not None else self.rate_per_thousand
        amount = amount_by_rate(characters=characters, rate_per_thousand=rate, minimum=self.minimum_amount)
        basis = gettext("%(chars)d 字 × %(rate)s 元/千字") % {"chars": characters, "rate": rate}
        if amount == self.minimum_amount and amount > characters * rate / 1000:
            basis += gettext("，按最低稿酬计")
        return Proposal(characters, amount, basis)


@dataclass(frozen=True)
class Proposal:
    """An article's honorarium as the rate card proposes it, before it is split among its authors."""

    characters: int
    amount: Decimal
    basis: str


class SectionRate(models.Model):
    """A section's own rate, or its fixed amount for briefs; sub-sections without a row use their parent's."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="section_rates")
    section = models.ForeignKey(Section, verbose_name=_("栏目"), on_delete=models.CASCADE, related_name="+")
    rate_per_thousand = models.DecimalField(
        _("每千字稿酬（元）"), null=True, blank=True, help_text=_("留空则用默认标准。"), **MONEY
    )
    brief_amount = models.DecimalField(
        _("简讯每篇定额（元）"),
        null=True,
        blank=True,
        help_text=_("填写后，本栏目（及其未单列的子栏目）每篇按此定额计酬，不计字数，也不受最低稿酬限制。"),
        **MONEY,
    )

    class Meta:
        verbose_name = _("栏目稿酬")
        verbose_name_plural = _("栏目稿酬")
        constraints = [models.UniqueConstraint(fields=["rate_card", "section"], name="section_rate_unique_section")]

    def __str__(self):
        return str(self.section)

    def clean(self):
        if self.rate_per_thousand is None and self.brief_amount is None:
            raise ValidationError(_("请填写每千字稿酬或简讯定额。"))


class PaymentBatch(models.Model):
    """Honoraria handed to the finance office together (付款批次); paying it pays them all."""

    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    paid_on = models.DateField(_("付款日期"), null=True, blank=True, editable=False)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认付款人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("付款批次")
        verbose_name_plural = _("付款批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return gettext("第 %(number)d 批（%(date)s）") % {
            "number": self.pk or 0,
            "date": timezone.localtime(self.created_at).strftime("%Y-%m-%d"),
        }

    def totals(self) -> dict:
        """The batch's payees, characters, gross, tax and net in one query."""
        totals = self.items.aggregate(
            payees=Count("pk"), characters=Sum("char_count"), gross=Sum("amount"), tax=Sum("tax")
        )
        # Sum() of decimals comes back from SQLite without its places: to the fen again.
        gross, tax = (Decimal(totals[key] or 0).quantize(FEN) for key in ("gross", "tax"))
        return totals | {"characters": totals["characters"] or 0, "gross": gross, "tax": tax, "net": gross - tax}


class HonorariumQuerySet(models.QuerySet):
    def due(self):
        """Honoraria not yet paid (in a batch sent to finance or not)."""
        return self.filter(paid_on__isnull=True)

    def unbatched(self):
        """Honoraria not yet paid nor in any payment batch: what a new batch may take."""
        return self.filter(paid_on__isnull=True, batch__isnull=True)


class Honorarium(models.Model):
    """What one author is paid for one article (稿酬), with the tax withheld on it."""

    article = models.ForeignKey(Article, verbose_name=_("文章"), on_delete=models.PROTECT, related_name="honoraria")
    contributor = models.ForeignKey(
        Contributor, verbose_name=_("收款人"), on_delete=models.PROTECT, related_name="honoraria"
    )
    # Blank in the form: filled in from the rate card on save (fill_in_proposal).
    char_count = models.PositiveIntegerField(_("字数"), blank=True, help_text=_("留空则按排版后的正文计。"))
    amount = models.DecimalField(
        _("稿酬（税前，元）"), blank=True, help_text=_("留空则按稿酬标准计算，合作者平分。"), **MONEY
    )
    basis = models.CharField(_("计酬依据"), max_length=200, blank=True, editable=False)
    tax = models.DecimalField(_("代扣个人所得税（元）"), max_digits=10, decimal_places=2, editable=False)
    batch = models.ForeignKey(
        PaymentBatch,
        verbose_name=_("付款批次"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        editable=False,
    )
    paid_on = models.DateField(_("付款日期"), null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    objects = HonorariumQuerySet.as_manager()

    class Meta:
        verbose_name = _("稿酬")
        verbose_name_plural = _("稿酬")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "contributor"], name="honorarium_one_per_author"),
        ]

    def __str__(self):
        return f"{self.contributor.name}《{self.article.title}》"

    def save(self, *args, **kwargs):
        if self.char_count is None or self.amount is None:
            self.fill_in_proposal()
        self.tax = withholding_tax(self.amount)
        super().save(*args, **kwargs)

    def fill_in_proposal(self, proposal: Proposal | None = None) -> None:
        """Fill the blank character count and amount from the rate card: this payee's equal share.

        The article's proposal is split equally among the authors in byline order (the odd fen to the
        first); a payee who is not in the byline is proposed one author's share, for the editor to check.
        """
        proposal = proposal or RateCard.load().proposal(self.article)
        if self.char_count is None:
            self.char_count = proposal.characters
        if self.amount is None:
            authors = list(self.article.authorships.values_list("contributor_id", flat=True))
            shares = split_equally(proposal.amount, max(len(authors), 1))
            index = authors.index(self.contributor_id) if self.contributor_id in authors else 0
            self.amount = shares[index]
            self.basis = (
                proposal.basis
                if len(shares) == 1
                else gettext("%(basis)s，%(n)d 人平分")
                % {
                    "basis": proposal.basis,
                    "n": len(shares),
                }
            )

    @property
    def net(self) -> Decimal:
        return self.amount - self.tax

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


def default_postal_address(*, article, contributor) -> str:
    """Where an author's 样刊 go unless the editor says otherwise: the contributor's address, else the submission's."""
    if contributor.postal_address:
        return contributor.postal_address
    submission = Submission.objects.filter(article=article, author_name=contributor.name).first()
    return submission.postal_address if submission else ""


class ComplimentaryCopies(models.Model):
    """The 样刊 one author is sent for one article: how many, to which address, when."""

    article = models.ForeignKey(Article, verbose_name=_("文章"), on_delete=models.PROTECT, related_name="+")
    contributor = models.ForeignKey(Contributor, verbose_name=_("作者"), on_delete=models.PROTECT, related_name="+")
    copies = models.PositiveSmallIntegerField(_("册数"), default=2)
    address = models.CharField(
        _("寄送地址"), max_length=300, blank=True, help_text=_("留空则用作者（或来稿）的通讯地址。")
    )
    sent_on = models.DateField(_("寄出日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("样刊")
        verbose_name_plural = _("样刊")
        ordering = ["sent_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "contributor"], name="complimentary_copies_one_per_author"),
        ]

    def __str__(self):
        return gettext("%(name)s 样刊 %(copies)d 册") % {"name": self.contributor.name, "copies": self.copies}

    def save(self, *args, **kwargs):
        if not self.address:
            self.address = default_postal_address(article=self.article, contributor=self.contributor)
        super().save(*args, **kwargs)


def articles_with_authors(issue):
    """The issue's articles that have authors, in print order (those a proposal is made for)."""
    return (
        Article.objects.filter(issue=issue)
        .annotate(author_count=Count("authorships"))
        .filter(~Q(author_count=0))
        .in_print_order()
        .select_related("section")
    )
