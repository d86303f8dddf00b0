"""Whole-page caching of the public site, invalidated whenever published content may change.

Pages are cached per URL under the current ContentVersion, a counter in the database that
every save or delete of the models below bumps, so all web processes stop serving a stale
page at once. Signed-in users (staff previewing drafts) always get a fresh page. Issues
scheduled for a future publication time appear within PAGE_TTL seconds.

A page is cached per host (the JSON-LD and feeds carry absolute addresses) and only if it
is the same for every anonymous reader: not when it showed someone's flash messages, set a
cookie or needed a CSRF token.
"""

from functools import wraps

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from issues.models import ContentVersion

PAGE_TTL = 300


def cached_page(view):
    """Serve anonymous GETs of `view` from the cache."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = f"page:{ContentVersion.current()}:{request.get_host()}:{request.get_full_path()}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if _same_for_everyone(request, response):
                cache.set(key, response, PAGE_TTL)
        return response

    return wrapper


def _same_for_everyone(request, response) -> bool:
    messages = getattr(request, "_messages", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (messages is not None and (messages.used or len(messages)))
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def _content_changed(sender, **kwargs):
    ContentVersion.bump()


def invalidate_on_changes_to(*models):
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(_content_changed, sender=model, dispatch_uid=f"content-version-{model._meta.label}")
