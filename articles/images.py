"""Images that editors upload into an article body from the editor (the 插入图片 button)."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.files import write_atomically
from issues.images import WEB_FORMATS, inspect_image

BODY_IMAGE_FOLDER = "articles/images"


def body_image_save(*, upload) -> str:
    """Check an uploaded image and store it under MEDIA_ROOT; the URL it is served at.

    Only the formats browsers and the PDF both show are taken, as they are (nothing is
    converted, so what the editor saw is what prints). The file gets a new random name: the
    one it had on the editor's computer says nothing a reader needs and may not be ASCII.
    """
    limit = settings.BODY_IMAGE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("图片过大（%(size).1f MB），上限为 %(limit).1f MB。")
            % {"size": upload.size / (1024 * 1024), "limit": limit / (1024 * 1024)}
        )
    data = upload.read()
    image_format = inspect_image(data)
    if image_format not in WEB_FORMATS:
        raise ValidationError(
            _("不支持 %(format)s 格式的图片，请上传 JPEG、PNG、GIF 或 WebP 图片。") % {"format": image_format}
        )
    name = f"{BODY_IMAGE_FOLDER}/{timezone.localdate():%Y/%m}/{secrets.token_hex(12)}.{WEB_FORMATS[image_format]}"
    # Whole or not at all: nginx may serve the file the moment it has a name.
    write_atomically(Path(settings.MEDIA_ROOT) / name, data)
    return default_storage.url(name)
