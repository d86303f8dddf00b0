"""Checking uploaded images with Pillow, making cover thumbnails and the smaller copies of responsive images."""

import io
import logging
import re
import secrets
import warnings
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from issues.files import write_atomically

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 60_000_000
THUMBNAIL_WIDTH = 480

# Formats browsers and WeasyPrint both display; anything else Pillow reads is
# converted to PNG on the way in.
WEB_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


@contextmanager
def _strict_decoding():
    """Refuse truncated images here, although WeasyPrint tells Pillow to accept them process-wide."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def inspect_image(data: bytes) -> str:
    """The Pillow format name of `data`, or ValidationError saying why it is not a usable image."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("图片过大（%(size)d MB），上限为 %(limit)d MB。")
            % {"size": len(data) // (1024 * 1024), "limit": MAX_IMAGE_BYTES // (1024 * 1024)}
        )
    try:
        with warnings.catch_warnings(), _strict_decoding():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationError(_("图片尺寸过大（%(w)d×%(h)d 像素）。") % {"w": width, "h": height})
                image_format = image.format
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() skips the pixel data; a truncated file fails only here
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("无法识别的图片文件。"))
    except Exception as exc:  # Pillow raises many kinds of errors for damaged files.
        raise ValidationError(_("图片文件已损坏：%(error)s") % {"error": exc})
    return image_format


def web_image(data: bytes, name: str) -> tuple[str, bytes]:
    """Validate an image and return (file name, bytes) in a format the web and the PDF show.

    Images already in a web format keep their exact bytes (so bundles round-trip);
    others (TIFF, BMP, …) are converted to PNG.
    """
    image_format = inspect_image(data)
    stem = PurePosixPath(name).stem or "image"
    if image_format in WEB_FORMATS:
        return f"{stem}.{WEB_FORMATS[image_format]}", data
    try:
        with _strict_decoding(), Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.save(out, format="PNG")
    except Exception as exc:  # verify() does not decode, so damaged TIFF/BMP data surfaces only now.
        raise ValidationError(_("图片文件已损坏：%(error)s") % {"error": exc})
    return f"{stem}.png", out.getvalue()


def validate_image_file(file):
    """Model-field validator: the uploaded file must be an image Pillow can read."""
    file.seek(0)
    inspect_image(file.read())
    file.seek(0)


def cover_upload_to(issue, filename):
    return f"covers/{issue.year}-{issue.number}-{secrets.token_hex(4)}{PurePosixPath(filename).suffix.lower()}"


def thumbnail_upload_to(issue, filename):
    return f"covers/thumbnails/{filename}"


def make_thumbnail(field_file) -> tuple[str, ContentFile]:
    """A JPEG thumbnail THUMBNAIL_WIDTH pixels wide of an image field's file."""
    field_file.open("rb")
    try:
        with Image.open(field_file) as image:
            image = image.convert("RGB")
            if image.width > THUMBNAIL_WIDTH:
                height = round(image.height * THUMBNAIL_WIDTH / image.width)
                image = image.resize((THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    finally:
        field_file.seek(0)
    name = f"{PurePosixPath(field_file.name).stem}.jpg"
    return name, ContentFile(out.getvalue())


# Responsive images -------------------------------------------------------------------------------
# Smaller copies of a stored image for `srcset`, made once and kept beside it in a `variants/`
# folder: `covers/2017-1-ab12.jpg` → `covers/variants/2017-1-ab12-512w.jpg`. The widths are a
# ladder, not per slot, so one set serves every slot (a 256 px cover at 1× and 2×, a 648 px
# article column, a phone at 2×); the original is always the widest candidate.
VARIANT_WIDTHS = (256, 512, 720, 1024, 1440)
VARIANT_FOLDER = "variants"
# A variant barely narrower than the original saves too little to be worth a file.
VARIANT_MAX_SHARE = 0.85
_ROTATED_ORIENTATIONS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


class Candidate(NamedTuple):
    """One file of a responsive image: its storage name and real pixel size."""

    name: str
    width: int
    height: int


def variant_name(name: str, width: int) -> str:
    """The storage name of the `width`-pixel copy of the stored image `name`."""
    path = PurePosixPath(name)
    return str(path.parent / VARIANT_FOLDER / f"{path.stem}-{width}w{path.suffix}")


def variant_names(name: str) -> list[str]:
    """The copies of `name` that exist on disk (what to delete with it)."""
    path = PurePosixPath(name)
    folder = Path(settings.MEDIA_ROOT) / path.parent / VARIANT_FOLDER
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(path.stem) + r"-\d+w" + re.escape(path.suffix) + "$")
    return sorted(
        str(path.parent / VARIANT_FOLDER / file.name) for file in folder.iterdir() if pattern.match(file.name)
    )


def delete_variants(name: str) -> None:
    for variant in variant_names(name):
        Path(settings.MEDIA_ROOT, variant).unlink(missing_ok=True)


def image_record(name: str) -> dict:
    """The original and its smaller copies as stored in a JSON field, made now where missing.

    {"name": …, "candidates": [[name, width, height], …]} narrowest first, the original last;
    {"name": …, "missing": True} when the file is gone or no image (the page then shows it as is).
    Each copy is written atomically and only if it does not exist yet, so a second call
    writes nothing.
    """
    path = Path(settings.MEDIA_ROOT, name)
    try:
        with Image.open(path) as image:
            image_format = image.format
            width, height = image.size
            if image.getexif().get(0x0112) in _ROTATED_ORIENTATIONS:  # browsers show it upright
                width, height = height, width
            candidates = []
            if image_format in {"JPEG", "PNG", "WEBP"} and not getattr(image, "is_animated", False):
                for variant_width in VARIANT_WIDTHS:
                    if variant_width > width * VARIANT_MAX_SHARE:
                        break
                    variant_height = max(1, round(height * variant_width / width))
                    variant = variant_name(name, variant_width)
                    variant_path = Path(settings.MEDIA_ROOT, variant)
                    if not variant_path.is_file():
                        write_atomically(variant_path, _resized(image, image_format, (variant_width, variant_height)))
                    candidates.append(Candidate(variant, variant_width, variant_height))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        logger.warning("No responsive variants of %s: %s", name, exc)
        return {"name": name, "missing": True}
    candidates.append(Candidate(name, width, height))
    return {"name": name, "candidates": [list(candidate) for candidate in candidates]}


def _resized(image, image_format: str, size: tuple[int, int]) -> bytes:
    upright = ImageOps.exif_transpose(image)
    if image_format == "JPEG":
        upright = upright.convert("RGB")
    elif upright.mode not in {"RGB", "RGBA", "L", "LA"}:
        upright = upright.convert("RGBA")  # palette images cannot be resampled smoothly
    out = io.BytesIO()
    options = {"JPEG": {"quality": 82, "optimize": True, "progressive": True}, "PNG": {"optimize": True}}
    upright.resize(size, Image.Resampling.LANCZOS).save(out, format=image_format, **options.get(image_format, {}))
    return out.getvalue()


class ResponsiveImage(NamedTuple):
    """A stored image as `{% responsive_image %}` shows it: every candidate with its URL and real size."""

    candidates: tuple[Candidate, ...]
    alt: str = ""

    @classmethod
    def from_record(cls, record: dict | None, *, alt: str = "") -> "ResponsiveImage | None":
        if not record or record.get("missing"):
            return None
        return cls(tuple(Candidate(*candidate) for candidate in record["candidates"]), alt)

    def for_slot(self, width: int) -> Candidate:
        """The narrowest candidate at least `width` pixels wide (else the widest): the `src`."""
        return next((candidate for candidate in self.candidates if candidate.width >= width), self.candidates[-1])

    def srcset(self) -> str:
        return ", ".join(f"{default_storage.url(candidate.name)} {candidate.width}w" for candidate in self.candidates)


def media_name(src: str) -> str | None:
    """The storage name behind an image address in our media, or None for anything else (not ours)."""
    if not src.startswith(settings.MEDIA_URL):
        return None
    name = unquote(src.removeprefix(settings.MEDIA_URL).split("?")[0].split("#")[0])
    root = Path(settings.MEDIA_ROOT).resolve()
    if not name or not (root / name).resolve().is_relative_to(root):
        return None
    return name


def slot_sizes(slot: int) -> str:
    """The `sizes` of an image `slot` CSS pixels wide that never exceeds the viewport."""
    return f"(max-width: {slot}px) 100vw, {slot}px"


def responsive_img(image: ResponsiveImage, *, slot: int, sizes: str = "", lazy: bool = False, **attributes) -> str:
    """The <img> of `image` in a slot `slot` CSS pixels wide: src (the candidate for 1×), srcset, sizes,
    and width/height equal to the real pixels of src, so the browser reserves the space before it loads."""
    src = image.for_slot(slot)
    parts = {"src": default_storage.url(src.name)}
    if len(image.candidates) > 1:
        parts |= {"srcset": image.srcset(), "sizes": sizes or slot_sizes(slot)}
    parts |= {"width": src.width, "height": src.height, "alt": attributes.pop("alt", image.alt)}
    parts |= attributes
    if lazy:
        parts["loading"] = "lazy"
    parts["decoding"] = "async"
    return format_html("<img{}>", format_html_join("", ' {}="{}"', parts.items()))
