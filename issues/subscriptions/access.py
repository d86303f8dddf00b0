"""Who may download an issue's or an article's PDF: staff, active subscribers, readers on an institution's network."""

import ipaddress
from dataclasses import dataclass

from issues.models import Periodical
from issues.subscriptions.models import Institution, IPRange, Subscriber, Subscription


@dataclass(frozen=True)
class PdfAccess:
    """Why a request may have the PDF, and whose name a stamped copy carries (None: no stamp)."""

    user: object = None
    institution: Institution | None = None
    stamp_for: Subscriber | Institution | None = None


def pdf_access(request) -> PdfAccess | None:
    """The grant for this request, or None if it may not download PDFs."""
    user = request.user if request.user.is_authenticated else None
    if user is not None and user.is_staff:
        return PdfAccess(user=user)
    if user is not None:
        subscriber = Subscriber.objects.filter(user=user).first()
        if subscriber and Subscription.objects.active().filter(subscriber=subscriber).exists():
            return PdfAccess(user=user, stamp_for=subscriber)
    institution = institution_for_address(request.META.get("REMOTE_ADDR"))
    if institution is not None:
        return PdfAccess(user=user, institution=institution, stamp_for=institution)
    return None


def article_pdf_access(request, article) -> PdfAccess | None:
    """The grant for one article's PDF: the issue PDF's, or, where the periodical opens article PDFs
    to everyone (`Periodical.article_pdfs_open`) and the article is published, an unstamped copy for anyone.

    Readers who may have the issue keep their own grant (their name on a stamped copy, the log naming them).
    """
    access = pdf_access(request)
    if access is not None:
        return access
    if article.pdf_open_to_everyone(Periodical.load()):
        return PdfAccess(user=request.user if request.user.is_authenticated else None)
    return None


def institution_for_address(address) -> Institution | None:
    """The active institution whose IP ranges include `address`, if any."""
    try:
        address = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:  # a dual-stack server's view of an IPv4 reader
        address = address.ipv4_mapped
    ranges = IPRange.objects.filter(institution__in=Institution.objects.active()).select_related("institution")
    for ip_range in ranges:
        if address in ip_range.network:
            return ip_range.institution
    return None
