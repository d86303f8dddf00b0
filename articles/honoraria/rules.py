"""The arithmetic of 稿酬: characters counted, amounts proposed and split, tax withheld. Pure functions."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
YUAN = Decimal("1")


def character_count(text: str) -> int:
    """The characters an article is paid for: every character of `text` that is not whitespace.

    CJK characters, Latin letters, digits and punctuation (full-width or not) count one each, so
    "5.16 万亿元" is 7 and "B2B" is 3; spaces, tabs, line breaks and the ideographic space (U+3000)
    are not counted. The same rule as the manuscript limit of the submission form.
    """
    return sum(1 for character in text if not character.isspace())


def amount_by_rate(*, characters: int, rate_per_thousand: Decimal, minimum: Decimal) -> Decimal:
    """characters × rate / 1000, rounded half up to the whole yuan, and at least `minimum`."""
    amount = (Decimal(characters) * rate_per_thousand / 1000).quantize(YUAN, rounding=ROUND_HALF_UP)
    return max(amount, minimum)


def split_equally(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` shares to the fen that add up to it; the leftover fen go to the first shares.

    1,000.00 in three: 333.34, 333.33, 333.33 (the byline's first author gets the odd fen).
    """
    if parts < 1:
        return []
    fen = int((amount / FEN).to_integral_value(rounding=ROUND_HALF_UP))
    share, leftover = divmod(fen, parts)
    return [(share + (1 if index < leftover else 0)) * FEN for index in range(parts)]


def withholding_tax(amount: Decimal) -> Decimal:
    """The individual income tax withheld on one payment of 稿酬所得, to the fen.

    The rule for 稿酬所得 (《中华人民共和国个人所得税法》 and its 实施条例; the withholding rules of
    国家税务总局公告2018年第61号): income up to 4,000 yuan less 800 (nothing is taxable up to 800),
    above 4,000 less 20 %; of that, 70 % is taxed at 20 % — so the rate on the taxable income is 14 %.
    3,000 → (3,000 − 800) × 14 % = 308.00; 5,000 → 5,000 × 80 % × 14 % = 560.00; 4,000.01 → 448.00.
    Rounded half up to the fen.
    """
    amount = Decimal(amount)
    if amount <= 800:
        return Decimal("0.00")
    taxable = amount - 800 if amount <= 4000 else amount * Decimal("0.8")
    return (taxable * Decimal("0.7") * Decimal("0.2")).quantize(FEN, rounding=ROUND_HALF_UP)
