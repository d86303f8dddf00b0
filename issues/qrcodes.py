"""QR codes of the site's addresses: printed under articles, shown in the reading site's share panel.

segno (pure Python, no dependencies) makes the symbol; it is drawn as an 8-bit greyscale PNG
(WeasyPrint turns 1-bit images into RGB), so the print variant carries it on the black plate alone.
"""

import base64
import io

import segno
from django.conf import settings
from PIL import Image


def qr_png(url: str, *, scale: int = 10, border: int = 2) -> bytes:
    """The QR code of `url` as a black-on-white PNG, `scale` pixels per module.

    Error correction M (15 %) survives a smudge on uncoated paper; the quiet zone of
    `border` modules is the minimum phone scanners read reliably next to text.
    """
    symbol = io.BytesIO()
    segno.make(url, error="m", micro=False).save(symbol, kind="png", scale=scale, border=border)
    out = io.BytesIO()
    Image.open(symbol).convert("L").save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_data_uri(url: str, **options) -> str:
    """`qr_png` as a data: URI, for HTML that must not depend on any file."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url, **options)).decode("ascii")


def site_address(path: str) -> str:
    """`path` on the site's public address (BULLETIN_SITE_URL): what printed and shared QR codes carry."""
    return settings.SITE_URL.rstrip("/") + path


def qr_modules(url: str, *, border: int = 2) -> int:
    """The width of `url`'s QR code in modules, quiet zone included (for an <img>'s width and height)."""
    return segno.make(url, error="m", micro=False).symbol_size(border=border)[0]
