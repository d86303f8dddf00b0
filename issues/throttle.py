"""Limits on how often one network address may do something (submit a manuscript, register)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` rows per address within `window`, counted from the rows the action itself writes."""

    limit: int
    window: timedelta
    ip_field: str
    time_field: str

    def exceeded(self, rows: QuerySet, ip: str | None) -> bool:
        """Whether `ip` already has `limit` rows within the window (no address: never limited)."""
        if not ip:
            return False
        since = timezone.now() - self.window
        return rows.filter(**{self.ip_field: ip, f"{self.time_field}__gte": since}).count() >= self.limit
