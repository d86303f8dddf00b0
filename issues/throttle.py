"""Limits on how often one network address may do something (submit a manuscript, register, sign in)."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` rows per value of `by_field` (an address, an e-mail) within `window`, counted
    from the rows the action itself writes."""

    limit: int
    window: timedelta
    by_field: str
    time_field: str

    def exceeded(self, rows: QuerySet, value: str | None) -> bool:
        """Whether `value` already has `limit` rows within the window (no value, e.g. no address: never)."""
        if not value:
            return False
        since = timezone.now() - self.window
        return rows.filter(**{self.by_field: value, f"{self.time_field}__gte": since}).count() >= self.limit


# Sign-in limits are django-axes' (settings, "Brute-force limits"); these are the hooks it calls.


def client_address(request: HttpRequest) -> str | None:
    """The address axes counts a sign-in under: REMOTE_ADDR, which issues.middleware sets behind a proxy.

    Said explicitly, so that axes never reads forwarding headers itself (it would with django-ipware).
    """
    return request.META.get("REMOTE_ADDR") or None


def login_lockout_ends(request: HttpRequest, credentials: dict | None) -> datetime:
    """When the sign-in that axes refused will be let in again: when enough counted failures have aged out.

    Failures of one account (or from one address) count until the cool-off has passed since the
    last failure of their row; the lockout lasts while the newest rows still add up to the limit.
    Tries during a lockout are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off).
    """
    cool_off, limit = get_cool_off(request), get_failure_limit(request, credentials)
    ends = []
    for attempts in AxesDatabaseHandler().get_user_attempts(request, credentials):
        counted = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            counted += failures
            if counted >= limit:
                ends.append(attempt_time + cool_off)
                break
    return max(ends, default=timezone.now() + cool_off)  # none counted any more (a race): a whole cool-off


def login_lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """The 429 page a locked-out sign-in gets, saying how long to wait, in the admin's dress on its login page."""
    seconds = max(1, math.ceil((login_lockout_ends(request, credentials) - timezone.now()).total_seconds()))
    context = {"minutes": math.ceil(seconds / 60)}
    template = "accounts/locked_out.html"
    if request.path.startswith(reverse("admin:index")):
        context |= admin.site.each_context(request)
        template = "admin/locked_out.html"
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response
