"""What the typesetter may load: project media and static files, the print profile, inline data; nothing else."""

import base64
import logging
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest

from issues.typesetting.fetcher import BASE_URL, PRINT_PROFILE_PATH, ProjectFilesFetcher, RefusedURL
from tests.factories import image_bytes

COVER_URL = BASE_URL + "media/covers/a.png"


@pytest.fixture
def cover(settings):
    """A real image under MEDIA_ROOT, so that a refusal is the fetcher's decision, not a missing file."""
    path = Path(settings.MEDIA_ROOT, "covers", "a.png")
    path.parent.mkdir(parents=True)
    path.write_bytes(image_bytes())
    return path


def assert_refused(url, caplog):
    with caplog.at_level(logging.WARNING, logger="issues.typesetting.fetcher"), pytest.raises(RefusedURL) as refused:
        ProjectFilesFetcher().fetch(url)
    assert str(refused.value) == f"refused: {url}"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("issues.typesetting.fetcher", "WARNING", f"Typesetting refused to load {url}")
    ]


def test_the_base_url_is_on_the_reserved_invalid_host():
    parts = urlsplit(BASE_URL)
    assert (parts.scheme, parts.path) == ("https", "/")
    assert parts.hostname.endswith(".invalid")  # RFC 2606: no DNS will ever answer for it


def test_a_media_file_is_served_from_disk_with_its_type(cover):
    response = ProjectFilesFetcher().fetch(COVER_URL)
    assert response.read() == image_bytes()
    assert response.url == COVER_URL
    assert response.content_type == "image/png"


def test_a_media_file_with_a_chinese_name_is_found_through_its_encoded_url(settings):
    Path(settings.MEDIA_ROOT, "articles").mkdir(parents=True)
    Path(settings.MEDIA_ROOT, "articles", "封面图.png").write_bytes(image_bytes())
    response = ProjectFilesFetcher().fetch(BASE_URL + "media/articles/" + quote("封面图.png"))
    assert response.read() == image_bytes()


def test_a_media_file_of_unknown_type_is_served_as_octet_stream(settings):
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    Path(settings.MEDIA_ROOT, "README").write_bytes(b"notes")
    response = ProjectFilesFetcher().fetch(BASE_URL + "media/README")
    assert response.read() == b"notes"
    assert response.content_type == "application/octet-stream"


def test_a_static_file_is_served_through_the_staticfiles_finders():
    url = BASE_URL + "static/typesetting/issue.css"
    response = ProjectFilesFetcher().fetch(url)
    assert response.read() == (Path(__file__).parent.parent / "static/typesetting/issue.css").read_bytes()
    assert (response.url, response.content_type) == (url, "text/css")


def test_the_print_profile_is_read_from_its_configured_file(settings, tmp_path):
    settings.PRINT_ICC_PROFILE = tmp_path / "cmyk.icc"
    settings.PRINT_ICC_PROFILE.write_bytes(b"ICC profile bytes")
    url = urljoin(BASE_URL, PRINT_PROFILE_PATH)  # how WeasyPrint resolves the template's link
    response = ProjectFilesFetcher().fetch(url)
    assert (response.read(), response.url) == (b"ICC profile bytes", url)


def test_a_missing_print_profile_is_refused(settings, tmp_path, caplog):
    settings.PRINT_ICC_PROFILE = tmp_path / "no-such.icc"
    assert_refused(urljoin(BASE_URL, PRINT_PROFILE_PATH), caplog)


def test_inline_data_is_decoded_without_touching_disk_or_network():
    png = image_bytes()
    response = ProjectFilesFetcher().fetch("data:image/png;base64," + base64.b64encode(png).decode())
    assert response.read() == png
    assert response.content_type == "image/png"


@pytest.mark.parametrize(
    "url",
    [
        "http://bulletin.invalid/media/covers/a.png",  # right host, wrong scheme
        "https://bulletin.invalid:8443/media/covers/a.png",
        "https://bulletin.invalid.example.com/media/covers/a.png",
        "https://example.com/media/covers/a.png",
        "http://127.0.0.1/media/covers/a.png",
        "ftp://bulletin.invalid/media/covers/a.png",
        "file:///etc/passwd",
        BASE_URL + "covers/a.png",  # neither under media nor static
        BASE_URL + "etc/passwd",
        BASE_URL + "typesetting/cmyk.icc.bak",
    ],
)
def test_anything_but_a_project_file_on_the_base_host_is_refused_and_logged(url, cover, caplog):
    assert_refused(url, caplog)


def test_a_file_url_to_a_real_media_file_is_refused(cover, caplog):
    assert_refused(cover.as_uri(), caplog)


@pytest.mark.parametrize(
    "path",
    [
        "media/../../etc/passwd",
        "media/%2e%2e/secret.png",
        "media//etc/passwd",
        "static/../../manage.py",
        "static/%2e%2e/%2e%2e/manage.py",
    ],
)
def test_a_path_that_climbs_out_of_media_or_static_is_refused(path, settings, caplog):
    secret = Path(settings.MEDIA_ROOT).parent / "secret.png"
    secret.write_bytes(image_bytes())
    assert_refused(BASE_URL + path, caplog)


def test_a_symlink_out_of_media_is_refused(settings, tmp_path, caplog):
    outside = tmp_path / "outside.png"
    outside.write_bytes(image_bytes())
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    Path(settings.MEDIA_ROOT, "link.png").symlink_to(outside)
    assert_refused(BASE_URL + "media/link.png", caplog)


@pytest.mark.parametrize(
    "path",
    ["media/covers/missing.png", "media/covers/", "media/", "static/typesetting/missing.css", "static/typesetting/"],
)
def test_a_missing_file_or_a_folder_under_media_or_static_is_refused_not_a_crash(path, cover, caplog):
    assert_refused(BASE_URL + path, caplog)
