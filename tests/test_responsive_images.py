"""Covers and body figures on the reading site: real sizes, srcset copies made once and cleaned up,
the stored body untouched, and query counts that do not grow with the number of images."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from articles.models import Article
from issues.images import VARIANT_FOLDER
from issues.models import Issue
from tests.factories import image_bytes, make_article, make_body_image, make_issue, photo_bytes

pytestmark = pytest.mark.django_db


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def images_on(client, url):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200
    parser = Images()
    parser.feed(response.content.decode())
    return [image for image in parser.images if "qr" not in image.get("src", "")]


def media_file(settings, url):
    return Path(settings.MEDIA_ROOT, url.removeprefix(settings.MEDIA_URL))


def assert_truthful(settings, image):
    """width/height are the real pixels of src; every srcset candidate exists and is as wide as it says."""
    with Image.open(media_file(settings, image["src"])) as src:
        assert (int(image["width"]), int(image["height"])) == src.size
    candidates = [candidate.rsplit(" ", 1) for candidate in image["srcset"].split(", ")]
    assert len(candidates) >= 2
    for url, descriptor in candidates:
        with Image.open(media_file(settings, url)) as candidate:
            assert f"{candidate.width}w" == descriptor, url
    assert image["src"] in [url for url, _ in candidates]


def published_issue_with_cover(*, year=2024, number=1, size=(1240, 1000), **fields):
    issue = make_issue(year=year, number=number, status=Issue.Status.PUBLISHED, **fields)
    issue.cover.save("cover.jpg", ContentFile(photo_bytes(size=size)))
    return issue


def variant_files(settings):
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob(f"{VARIANT_FOLDER}/*") if path.is_file())


def test_covers_carry_the_real_size_of_their_src_and_a_srcset_of_real_copies(client, settings):
    published_issue_with_cover(year=2024, number=1)
    latest = published_issue_with_cover(year=2024, number=2)

    (home_cover, card_cover) = [image for image in images_on(client, "/") if "封面" in image["alt"]]
    (issue_cover,) = images_on(client, latest.get_absolute_url())
    (archive_cover, _) = images_on(client, "/issues/")
    for image in (home_cover, card_cover, issue_cover, archive_cover):
        assert_truthful(settings, image)
    # The 256 px slot of the issue page gets a copy for 1×, not the 1240 px original.
    assert (issue_cover["width"], issue_cover["height"]) == ("256", "206")
    assert issue_cover["sizes"] == "(max-width: 256px) 100vw, 256px"
    assert "loading" not in issue_cover  # the first screen
    assert card_cover["loading"] == "lazy"
    assert issue_cover["src"].startswith("/media/covers/variants/")


def test_copies_are_made_once_and_not_written_again_on_the_next_render(client, settings):
    issue = published_issue_with_cover()
    images_on(client, issue.get_absolute_url())
    first = {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in variant_files(settings)}
    assert len(first) == 4  # 256, 512, 720 and 1024 px copies of a 1240 px cover

    Issue.objects.filter(pk=issue.pk).update(cover_variants={})  # as an issue saved before copies existed
    images_on(client, issue.get_absolute_url())
    images_on(client, "/")
    assert {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in variant_files(settings)} == first
    assert Issue.objects.get(pk=issue.pk).cover_variants["name"] == issue.cover.name  # recorded again


def test_replacing_the_cover_replaces_its_copies_and_removes_the_old_ones(
    client, settings, django_capture_on_commit_callbacks
):
    issue = published_issue_with_cover()
    old = variant_files(settings)
    assert old
    with django_capture_on_commit_callbacks(execute=True):
        issue.cover.save("new.jpg", ContentFile(photo_bytes(size=(800, 1100))))
    new = variant_files(settings)
    assert not set(old) & set(new)
    assert all(not path.exists() for path in old)
    (cover,) = images_on(client, issue.get_absolute_url())
    assert_truthful(settings, cover)
    assert Path(issue.cover.name).stem in cover["src"]
    assert len(new) == len(cover["srcset"].split(", ")) - 1  # every copy on disk is in srcset


def test_the_copies_go_with_the_issue(settings, django_capture_on_commit_callbacks):
    issue = published_issue_with_cover()
    assert variant_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        issue.delete()
    assert variant_files(settings) == []


def figure(url, alt):
    return f'<figure><img src="{url}" alt="{alt}"><figcaption>{alt}</figcaption></figure>'


def test_body_figures_get_real_sizes_a_srcset_and_lazy_loading_below_the_fold(client, settings):
    photo = make_body_image(data=photo_bytes(size=(1600, 1200)), name="photo.jpg")
    chart = make_body_image(data=image_bytes(size=(1200, 700)), name="chart.png")
    small = make_body_image(data=image_bytes(size=(200, 120)), name="small.png")
    missing = "/media/articles/images/2020/01/gone.png"
    body = (
        figure(photo, "照片")
        + "<p>" + "跨境电商的县域样本。" * 40 + "</p>"
        + figure(chart, "图表")
        + figure(small, "小图")
        + figure(missing, "丢失的图")
        + '<p><img src="/static/favicon.svg" alt="不是媒体里的图"></p>'
    )  # fmt: skip
    issue = make_issue(status=Issue.Status.PUBLISHED)
    article = make_article(issue=issue, status=Article.Status.PUBLISHED, body=body)

    first, second, third, fourth, fifth = images_on(client, article.get_absolute_url())
    assert_truthful(settings, first)
    assert_truthful(settings, second)
    assert (first["width"], first["height"]) == ("720", "540")  # the copy for the 648 px column at 1×
    assert first["sizes"] == second["sizes"] == "(max-width: 680px) calc(100vw - 2rem), 648px"
    assert "loading" not in first and first["decoding"] == "async"
    assert second["loading"] == "lazy" and second["decoding"] == "async"
    # Too small for copies: the original with its size, no srcset.
    assert (third["src"], third["width"], third["height"], "srcset" in third) == (small, "200", "120", False)
    # A missing file and an image not in our media are shown as the body has them.
    assert fourth == {"src": missing, "alt": "丢失的图"}
    assert fifth == {"src": "/static/favicon.svg", "alt": "不是媒体里的图"}
    # The stored body (print, EPUB, WeChat) keeps the full images as they were.
    stored = Article.objects.get(pk=article.pk)
    assert f'<img src="{photo}" alt="照片">' in stored.body
    assert "srcset" not in stored.body and "variants" not in stored.body
    assert set(stored.figures) == {
        photo.removeprefix("/media/"),
        chart.removeprefix("/media/"),
        small.removeprefix("/media/"),
        missing.removeprefix("/media/"),
    }


def test_an_image_removed_from_the_body_leaves_its_record(client):
    photo = make_body_image(data=photo_bytes(size=(1000, 800)), name="photo.jpg")
    article = make_article(status=Article.Status.PUBLISHED, body=figure(photo, "照片"), issue=make_issue())
    article.figure_images()
    assert article.figures
    article.body = "<p>没有图了。</p>"
    article.save()
    assert Article.objects.get(pk=article.pk).figures == {}


def queries_for(client, url):
    cache.clear()
    client.get(url)  # the first render makes and records the copies
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_number_of_images(client, django_assert_max_num_queries):
    issue = published_issue_with_cover(year=2024, number=1)
    photos = [make_body_image(data=photo_bytes(size=(900, 600)), name=f"p{n}.jpg") for n in range(4)]
    article = make_article(
        issue=issue, status=Article.Status.PUBLISHED, is_lead=True, body=figure(photos[0], "一") + "<p>正文。</p>"
    )
    urls = ["/", issue.get_absolute_url(), article.get_absolute_url()]
    few = [queries_for(client, url) for url in urls]

    for number in range(2, 6):
        published_issue_with_cover(year=2023, number=number)
    article.body = "".join(figure(photo, str(n)) for n, photo in enumerate(photos)) + "<p>正文。</p>"
    article.save()
    many = [queries_for(client, url) for url in urls]
    assert many == few
    with django_assert_max_num_queries(few[2]):
        cache.clear()
        client.get(article.get_absolute_url())


def test_existing_bodies_and_covers_get_their_copies_on_first_render(client, settings):
    issue = published_issue_with_cover()
    photo = make_body_image(data=photo_bytes(size=(1000, 800)), name="photo.jpg")
    article = make_article(issue=issue, status=Article.Status.PUBLISHED, body=figure(photo, "照片"))
    Article.objects.filter(pk=article.pk).update(figures={})
    for path in variant_files(settings):
        path.unlink()
    Issue.objects.filter(pk=issue.pk).update(cover_variants={})

    (image,) = images_on(client, article.get_absolute_url())
    assert_truthful(settings, image)
    (cover,) = images_on(client, issue.get_absolute_url())
    assert_truthful(settings, cover)
    assert re.search(r"-720w\.jpg", image["srcset"])
