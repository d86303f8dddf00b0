"""Checking uploaded images with Pillow and making cover thumbnails."""

import io
import secrets
import warnings
from contextlib import contextmanager
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

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
