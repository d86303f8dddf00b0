import contextlib
import ipaddress

from django.conf import settings
from django.utils.cache import patch_cache_control


class ClientAddressMiddleware:
    """Behind a reverse proxy, take the reader's address from the header the proxy sets.

    Institutional access and the per-address limits go by REMOTE_ADDR, which behind
    nginx is the proxy's own address. With BULLETIN_CLIENT_IP_HEADER=X-Real-IP (nginx:
    `proxy_set_header X-Real-IP $remote_addr;`) REMOTE_ADDR becomes the reader's — but
    only on connections from BULLETIN_TRUSTED_PROXIES: anyone else could write the header
    to step inside an institution's range or past a rate limit. For X-Forwarded-For the
    last entry is used: the one the trusted proxy appended.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.CLIENT_IP_HEADER or not _from_trusted_proxy(request.META.get("REMOTE_ADDR")):
            return self.get_response(request)
        meta_key = "HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_")
        address = request.META.get(meta_key, "").split(",")[-1].strip()
        with contextlib.suppress(ValueError):  # no header (a direct request) or garbage: keep the connection's
            request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(address))
        return self.get_response(request)


def _from_trusted_proxy(address) -> bool:
    try:
        address = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(address in network for network in settings.TRUSTED_PROXIES if address.version == network.version)


class RevalidateMiddleware:
    """Pages a view left without Cache-Control get one that makes browsers and proxies revalidate.

    `no-cache`: a copy may be kept but must be checked each time, which ConditionalGetMiddleware
    (its ETag, then 304 without a body) makes cheap. A signed-in reader's or editor's page is also
    `private`: no shared cache keeps it. Views that say something themselves (the account pages'
    `private`, the QR code's day, the admin's never_cache) keep what they said.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") and not response.has_header("Cache-Control"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True)
            else:
                patch_cache_control(response, no_cache=True)
        return response
