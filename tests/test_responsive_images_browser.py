"""Responsive covers and figures in Chromium: the browser picks a copy for its screen, and with the
images held back the page does not move when they arrive (cumulative layout shift)."""

import mimetypes
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from articles.models import Article
from issues.models import Issue
from tests.browser import DESKTOP, PHONE, checked_page
from tests.factories import make_article, make_body_image, make_issue, make_section, photo_bytes

pytestmark = pytest.mark.django_db(transaction=True)

MAX_LAYOUT_SHIFT = 0.01
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(total)));
})"""
CANDIDATE_WIDTHS = """async image => Promise.all(image.srcset.split(", ").map(async candidate => {
  const [url, descriptor] = candidate.split(" ");
  const response = await fetch(url);
  const bitmap = await createImageBitmap(await response.blob());
  return [response.status, `${bitmap.width}w`, descriptor];
}))"""


class HeldMedia:
    """Stands in for nginx on /media/ (Django's test server has no media root of the test's):
    holds every image back until `release()`, then serves them from MEDIA_ROOT."""

    def __init__(self, page):
        self.held, self.released = [], False
        page.route("**/media/**", self.handle)

    def handle(self, route):
        if self.released:
            self.serve(route)
        else:
            self.held.append(route)

    def serve(self, route):
        name = route.request.url.split("/media/", 1)[1].split("?")[0]
        path = Path(settings.MEDIA_ROOT, name)
        if not path.is_file():
            route.fulfill(status=404, body="")
            return
        route.fulfill(body=path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0])

    def release(self):
        self.released = True
        while self.held:
            self.serve(self.held.pop(0))


def reading_site():
    earlier = make_issue(year=2024, number=1, status=Issue.Status.PUBLISHED)
    earlier.cover.save("earlier.jpg", ContentFile(photo_bytes(size=(1240, 1000))))
    issue = make_issue(year=2024, number=2, status=Issue.Status.PUBLISHED, title="县域经济")
    issue.cover.save("cover.jpg", ContentFile(photo_bytes(size=(1240, 1000))))
    photo = make_body_image(data=photo_bytes(size=(1600, 1000)), name="photo.jpg")
    body = (
        f'<figure><img src="{photo}" alt="物流园"><figcaption>县城的物流园</figcaption></figure>'
        + "<p>" + "今年春天，调查组走访了三个县的十二个乡镇。" * 30 + "</p>"
        + f'<figure><img src="{photo}" alt="再看物流园"></figure><p>结尾。</p>'
    )  # fmt: skip
    article = make_article(
        issue=issue, section=make_section(name="特别报道"), title="跨境电商的县域样本",
        status=Article.Status.PUBLISHED, is_lead=True, body=body,
    )  # fmt: skip
    return issue, article


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_issue_page_picks_a_copy_for_the_screen_not_the_original(browser, live_server, screen):
    issue, _ = reading_site()
    with checked_page(browser, live_server, **screen) as page:
        media = HeldMedia(page)
        media.release()
        page.goto(issue.get_absolute_url())
        cover = page.locator("img.cover")
        cover.evaluate("image => image.decode()")
        current = cover.evaluate("image => image.currentSrc")
        expected = "-512w.jpg" if screen.get("device_scale_factor") == 2 else "-256w.jpg"
        assert current.endswith(expected), current
        assert not current.endswith(Path(issue.cover.name).name)
        for status, real, descriptor in cover.evaluate(CANDIDATE_WIDTHS):
            assert (status, real) == (200, descriptor)


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pages_do_not_shift_when_their_images_arrive_late(browser, live_server, screen):
    issue, article = reading_site()
    for url in ["/", issue.get_absolute_url(), article.get_absolute_url()]:
        with checked_page(browser, live_server, **screen) as page:
            media = HeldMedia(page)
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_timeout(300)  # laid out and painted without any image
            assert media.held, url  # the images really were late
            media.release()
            for image in page.locator("main img:not([loading=lazy])").all():
                image.evaluate("image => image.decode()")
            shift = page.evaluate(LAYOUT_SHIFT)
            assert shift < MAX_LAYOUT_SHIFT, (url, shift)
