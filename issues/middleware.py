import contextlib
import ipaddress

from django.conf import settings


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
