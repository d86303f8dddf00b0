"""The reading experience: lead stories and excerpts on the home and issue pages, the share panel's QR code."""

import re
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from articles.models import Article, choose_leads, cut_at_sentence_end
from issues.models import Issue, Periodical
from tests.factories import image_bytes, make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db

SENTENCES = [
    "2016年，全球经济复苏乏力，国际贸易增长持续低迷。",  # 26 characters
    "在这一背景下，跨境电子商务凭借环节少、链条短、成本低的优势逆势上扬，成为稳定外贸增长的重要力量。",  # 48
    "全市跨境电商交易额达到86.3亿元，同比增长41.2%。",  # 28
    "这是第四句，它会让摘要超出应有的长度。",
]
OPENING = "".join(SENTENCES)
EXCERPT = "".join(SENTENCES[:3])  # 74 characters are too few, 102 are enough; with the fourth, 121 too many
BRIEF = "<p>1月10日，南滨综合保税区跨境电子商务公共服务平台正式上线运行。</p>"


def published_issue(*, year=2017, number=1, reports=3, briefs=2):
    """A published issue: an editorial, `reports` long reports in two sections, `briefs` news briefs."""
    Periodical.load()
    issue = make_issue(year=year, number=number, status=Issue.Status.PUBLISHED)
    editorial = make_section(name="卷首语", position=0)
    features, exchange = make_section(name="特别报道", position=1), make_section(name="业界交流", position=2)
    news = make_section(name="南滨", parent=make_section(name="行业动态", position=3))
    position = 0

    def article(section, title, body, **fields):
        nonlocal position
        position += 1
        return make_article(
            issue=issue,
            section=section,
            title=title,
            position=position,
            status=Article.Status.PUBLISHED,
            body=body,
            authors=[make_contributor(name=f"作者{year}{number}{position}")],
            **fields,
        )

    article(editorial, "卷首语：从有到好", f"<p>{OPENING}</p>")
    for index in range(reports):
        article(features if index % 2 == 0 else exchange, f"报告{index + 1}", f"<h2>一、概况</h2><p>{OPENING}</p>" * 3)
    for index in range(briefs):
        article(news, f"简讯{index + 1}", BRIEF)
    return issue


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# Excerpts, briefs, lead images -------------------------------------------------------------


def test_an_excerpt_is_the_opening_sentences_cut_at_a_sentence_end():
    excerpt = cut_at_sentence_end(OPENING)
    assert excerpt == EXCERPT and len(excerpt) == 102
    # Short sentences are taken until there are at least 80 characters.
    assert cut_at_sentence_end("短句一。" * 30) == "短句一。" * 20
    # Headings and table rows (lines without closing punctuation) are skipped.
    assert cut_at_sentence_end("一、概况\n区县\n412.6\n" + OPENING) == EXCERPT


def test_a_first_sentence_too_long_is_cut_after_a_clause():
    sentence = "，".join(["跨境电子商务综合试验区建设稳步推进"] * 10) + "。"
    excerpt = cut_at_sentence_end(sentence)
    assert excerpt.endswith("推进…") and len(excerpt) <= 120


def test_the_summary_is_the_excerpt_when_there_is_one():
    article = make_article(body=f"<p>{OPENING}</p>", summary="编辑写的摘要。")
    assert article.excerpt == "编辑写的摘要。"
    article.summary = ""
    assert article.excerpt == EXCERPT


def test_with_excerpts_reads_only_the_start_of_the_text(django_assert_num_queries):
    article = make_article(body=f"<p>{OPENING}</p>" * 200)
    (loaded,) = Article.objects.filter(pk=article.pk).select_related("section").defer("body").with_excerpts()
    with django_assert_num_queries(0):
        assert loaded.excerpt == EXCERPT
        assert not loaded.is_brief
    assert "plain_text" in loaded.get_deferred_fields()


def test_briefs_are_short_pieces_in_sub_sections():
    news = make_section(name="南滨", parent=make_section(name="行业动态"))
    assert make_article(section=news, body=BRIEF).is_brief
    assert not make_article(section=news, body=f"<p>{OPENING}</p>" * 10).is_brief  # a long piece there
    assert not make_article(section=make_section(name="特别报道"), body=BRIEF).is_brief


def test_the_lead_image_is_the_first_figure_with_its_alt_text_and_size():
    default_storage.save("articles/images/chart.png", ContentFile(image_bytes(size=(640, 360))))
    figure = (
        '<figure><img src="/media/articles/images/chart.png" alt="交易额柱状图"><figcaption>图1</figcaption></figure>'
    )
    article = make_article(body=f"<p>{OPENING}</p>{figure}<p><img src='/media/other.png' alt='第二张'></p>")
    assert article.lead_image[:4] == ("/media/articles/images/chart.png", "交易额柱状图", 640, 360)
    # No alt: the caption says what it shows; sizes written in the markup are taken as they are.
    article.body = (
        '<figure><img src="/media/x.png" width="300" height="200"><figcaption>南滨港夜景</figcaption></figure>'
    )
    assert article.lead_image[:4] == ("/media/x.png", "南滨港夜景", 300, 200)
    article.body = f"<p>{OPENING}</p>"
    assert article.lead_image is None


def test_leads_are_the_marked_articles_or_the_first_of_each_section_but_briefs():
    issue = published_issue(reports=4, briefs=3)
    contents = list(issue.articles.in_print_order().select_related("section__parent").with_excerpts())
    assert [a.title for a in choose_leads(contents)] == ["卷首语：从有到好", "报告1", "报告2"]
    Article.objects.filter(title__in=["简讯2", "报告4"]).update(is_lead=True)
    contents = list(issue.articles.in_print_order().select_related("section__parent").with_excerpts())
    assert [a.title for a in choose_leads(contents)] == ["报告4", "简讯2"]  # the editors' choice, in print order


# The pages -----------------------------------------------------------------------------------


def test_the_home_page_leads_with_the_lead_stories_before_the_contents(client):
    issue = published_issue()
    default_storage.save("articles/images/chart.png", ContentFile(image_bytes(size=(640, 360))))
    Article.objects.filter(title="报告1").update(
        body=f'<p>{OPENING}</p><figure><img src="/media/articles/images/chart.png" alt="交易额柱状图"></figure>'
    )
    html = page(client, "/")
    leads = html[html.index("本期要闻") : html.index("最新一期")]
    assert [re.sub("<.*?>", "", t) for t in re.findall(r'class="lead-title">(.*?)</h3>', leads)] == [
        "卷首语：从有到好",
        "报告1",
        "报告2",
    ]
    assert leads.count(EXCERPT) == 3
    # The first figure, responsive (tests/test_responsive_images.py checks the copies themselves).
    (image,) = re.findall(r"<img[^>]*>", leads)
    assert 'class="lead-image"' in image and 'alt="交易额柱状图"' in image
    assert re.search(r'src="/media/articles/images/(variants/)?chart[^"]*\.png"', image) and "srcset=" in image
    # The whole contents follow, briefs too.
    contents = html[html.index("最新一期") :]
    assert "简讯1" in contents and "简讯2" in contents and issue.get_absolute_url() in contents


def test_the_issue_page_gives_excerpts_but_not_for_briefs(client):
    issue = published_issue()
    html = page(client, issue.get_absolute_url())
    assert html.count('class="excerpt"') == 4  # the editorial and three reports
    brief = html[html.index("简讯1") :]
    assert "正式上线运行" not in brief.split("</li>")[0]


@pytest.mark.parametrize("url", ["/", "/issues/2017/1/"])
def test_home_and_issue_pages_cost_the_same_few_queries_however_many_articles(client, url, django_assert_num_queries):
    published_issue(reports=3, briefs=2)
    # Both: the content version, the periodical, the articles, their authors, the PDF record; the home
    # page the latest issues, its lead stories' bodies (for their images), the most read of the issue
    # and, under the content version again, of the site; the issue page its issue and masthead; both
    # (this issue has no cover) the share image, the latest cover.
    expected = {"/": 11, "/issues/2017/1/": 8}[url]
    with django_assert_num_queries(expected):
        page(client, url)
    Article.objects.all().delete()
    Issue.objects.all().delete()
    published_issue(reports=30, briefs=25)
    with django_assert_num_queries(expected):
        page(client, url)


def test_editors_mark_lead_stories_on_the_issues_admin_page(staff_client):
    issue = published_issue(reports=1, briefs=0)
    html = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "首页要闻" in html and 'name="articles-0-is_lead"' in html
    article = issue.articles.first()
    html = staff_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "首页要闻" in html and 'name="is_lead"' in html


# The share panel -----------------------------------------------------------------------------


def zbar(png: bytes, tmp_path) -> list[str]:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True)
    return result.stdout.split()


def test_the_share_qr_code_decodes_to_the_canonical_address(client, settings, tmp_path):
    settings.SITE_URL = "https://bulletin.example.cn/"
    issue = published_issue(reports=1, briefs=0)
    article = issue.articles.get(title="报告1")
    canonical = "https://bulletin.example.cn" + article.get_absolute_url()
    html = page(client, article.get_absolute_url())
    qr_url = reverse("articles:qr", args=[article.pk, article.slug])
    assert f'<img src="{qr_url}"' in html and f'value="{canonical}"' in html and "微信扫一扫" in html
    response = client.get(qr_url)
    assert response["Content-Type"] == "image/png" and "max-age=86400" in response["Cache-Control"]
    assert zbar(response.content, tmp_path) == [canonical]


def test_the_share_qr_code_is_only_for_visible_articles_under_their_current_address(client):
    issue = published_issue(reports=1, briefs=0)
    article = issue.articles.get(title="报告1")
    assert client.get(reverse("articles:qr", args=[article.pk, "旧标题"])).status_code == 404
    draft = make_article(issue=make_issue(year=2030, number=1), title="草稿")
    assert client.get(reverse("articles:qr", args=[draft.pk, draft.slug])).status_code == 404
