"""What WeasyPrint may load while typesetting: the project's own static and media files, nothing else.

Article bodies come from editors and authors, so their HTML may point anywhere. The issue
HTML is rendered with a base URL on a reserved host that never resolves; only URLs under
it that name a real file below STATIC or MEDIA are served, read straight from disk.
Everything else — another host, file://, a path that climbs out of the media folder — is
refused and logged, and WeasyPrint carries on without that resource.
"""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.utils._os import safe_join
from weasyprint import URLFetcher
from weasyprint.urls import URLFetcherResponse

logger = logging.getLogger(__name__)

# RFC 2606 reserves .invalid: this host can never be reached, even if a request slipped out.
BASE_URL = "https://bulletin.invalid/"
# The one file outside static and media the typesetter reads: the print variant's CMYK profile.
PRINT_PROFILE_PATH = "/typesetting/cmyk.icc"


class RefusedURL(ValueError):
    """A URL the typesetter will not load; WeasyPrint logs it and continues without it."""


class ProjectFilesFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)  # inline data reaches no network and no file
        path = self.local_path(url)
        if path is None:
            logger.warning("Typesetting refused to load %s", url)
            raise RefusedURL(f"refused: {url}")
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={"Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream"},
        )

    @staticmethod
    def local_path(url) -> Path | None:
        """The project file `url` stands for, or None if it names anything else."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}/" != BASE_URL:
            return None
        path = unquote(parts.path)
        static_prefix, media_prefix = f"/{settings.STATIC_URL.strip('/')}/", f"/{settings.MEDIA_URL.strip('/')}/"
        if path == PRINT_PROFILE_PATH:
            return settings.PRINT_ICC_PROFILE if settings.PRINT_ICC_PROFILE.is_file() else None
        try:
            if path.startswith(static_prefix):
                found = finders.find(path.removeprefix(static_prefix))
                candidate = Path(found) if found else None
            elif path.startswith(media_prefix):
                candidate = Path(safe_join(settings.MEDIA_ROOT, path.removeprefix(media_prefix)))
                if not candidate.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
                    return None  # a symlink out of the media folder
            else:
                return None
        except SuspiciousFileOperation:
            return None
        return candidate if candidate and candidate.is_file() else None
