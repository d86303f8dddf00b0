import pytest

from articles.sanitize import html_to_text, sanitize_html
from tests.factories import make_article

pytestmark = pytest.mark.django_db

REL = 'rel="noopener noreferrer"'

# Every tag of the allowlist, each with the attributes it may keep: it comes out unchanged.
EVERY_ALLOWED_TAG = (
    "<h1>一</h1><h2>二</h2><h3>三</h3><h4>四</h4><h5>五</h5><h6>六</h6>"
    "<p><strong>强</strong><b>粗</b><em>重</em><i>斜</i><u>下划</u><s>删</s>"
    "<sub>下标</sub><sup>上标</sup><small>小</small><mark>记</mark><br><code>码</code></p><hr>"
    "<blockquote><p>引文</p></blockquote><pre>预排</pre>"
    '<ul><li>点</li></ul><ol start="3" type="a"><li>项</li></ol>'
    '<table><caption>表题</caption><colgroup span="2"><col span="1"></colgroup>'
    '<thead><tr><th colspan="2" rowspan="1">头</th></tr></thead>'
    '<tbody><tr><td colspan="1" rowspan="2">格</td></tr></tbody><tfoot><tr><td>脚</td></tr></tfoot></table>'
    '<figure><img src="/media/a.png" alt="图" title="题" width="10" height="20"><figcaption>图注</figcaption></figure>'
    f'<p><a href="https://example.cn/" title="题" {REL}>链接</a></p>'
)

# Hostile or merely foreign markup, and what is left of it.
HOSTILE = [
    ('<div>甲</div><section>乙</section><span>丙</span><font color="red">丁</font><center>戊</center>', "甲乙丙丁戊"),
    ("<p>前</p><script>alert(1)</script><style>p{}</style><p>后</p>", "<p>前</p><p>后</p>"),
    ('<svg><text>矢量</text></svg><math><mi>x</mi></math><embed src="x.swf"><form><input value="v"></form>', ""),
    (
        '<object data="x.swf">对象</object><iframe src="https://evil.example/">框</iframe><video src="v.mp4">视</video>',
        "对象框视",
    ),
    ('<p onclick="steal()" style="color:red" class="x" id="y" lang="en" title="t" dir="rtl">段</p>', "<p>段</p>"),
    ("<p>甲<!-- 注释 -->乙</p><!--[if IE]><p>旧</p><![endif]-->", "<p>甲乙</p>"),
    (
        '<img src="data:image/png;base64,AAAA" alt="内嵌"><img src="javascript:alert(1)" alt="脚本">',
        '<img alt="内嵌"><img alt="脚本">',
    ),
    (
        '<img src="a.png" alt="图" loading="lazy" srcset="b.png 2x" onerror="x()" usemap="#m">',
        '<img src="a.png" alt="图">',
    ),
    (
        '<a href="https://example.cn/" target="_blank" rel="opener" name="n" download>链</a>',
        f'<a href="https://example.cn/" {REL}>链</a>',
    ),
    (
        '<th scope="col" colspan="2">头</th><ol reversed><li value="9">项</li></ol><ul type="disc"><li>点</li></ul>',
        "头<ol><li>项</li></ol><ul><li>点</li></ul>",
    ),
    (
        '<blockquote cite="https://example.cn/">引</blockquote><pre><code class="python">x</code></pre>',
        "<blockquote>引</blockquote><pre><code>x</code></pre>",
    ),
]


def test_script_and_event_handlers_never_survive_a_save():
    article = make_article(
        body='<p onclick="steal()">正文<script>alert(1)</script></p><img src="x.png" onerror="alert(1)">'
    )
    article.refresh_from_db()
    assert article.body == '<p>正文</p><img src="x.png">'


def test_updates_are_sanitised_too():
    article = make_article(body="<p>干净</p>")
    article.body = '<p>改过</p><iframe src="https://evil.example/"></iframe><style>p{}</style>'
    article.save()
    article.refresh_from_db()
    assert article.body == "<p>改过</p>"


def test_every_allowed_tag_and_attribute_is_kept_as_it_is():
    assert sanitize_html(EVERY_ALLOWED_TAG) == EVERY_ALLOWED_TAG


@pytest.mark.parametrize(("html", "cleaned"), HOSTILE)
def test_markup_outside_the_allowlist_is_removed(html, cleaned):
    assert sanitize_html(html) == cleaned


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://example.cn/", True),
        ("http://example.cn/", True),
        ("mailto:bianjibu@example.cn", True),
        ("/issues/2017/1/", True),
        ("#zhu1", True),
        ("javascript:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("ftp://example.cn/file", False),
        ("tel:010-12345678", False),
        ("vbscript:msgbox", False),
    ],
)
def test_links_keep_only_web_mail_and_relative_targets_and_never_pass_on_the_opener(href, kept):
    html = f'<a href="{href}">链</a>'
    expected = f'<a href="{href}" {REL}>链</a>' if kept else f"<a {REL}>链</a>"
    assert sanitize_html(html) == expected


@pytest.mark.parametrize("html", [None, "", "   \n"])
def test_a_blank_body_stays_empty(html):
    assert sanitize_html(html) == ""
    assert sanitize_html(html, rewrite_src=str.upper) == ""


def test_surrounding_whitespace_is_trimmed():
    assert sanitize_html("\n  <p>正文</p>\n\n") == "<p>正文</p>"
    assert sanitize_html("\n  <p>正文</p>\n\n", rewrite_src=str.upper) == "<p>正文</p>"


def test_sanitising_is_idempotent():
    once = sanitize_html('<table><tr><td>a</td></tr></table><a href="https://a.cn">b</a>')
    assert once == f'<table><tbody><tr><td>a</td></tr></tbody></table><a href="https://a.cn" {REL}>b</a>'
    assert sanitize_html(once) == once


# rewrite_src: how bundles move image paths between a bundle and our media ------------------------


def test_rewrite_src_maps_each_image_source_and_nothing_else():
    seen = []

    def to_media(src):
        seen.append(src)
        return "/media/articles/" + src

    html = '<p><a href="a.png" title="a.png">链</a><img src="a.png" alt="a.png" title="b.png"></p><img src="图/二.png">'
    assert sanitize_html(html, rewrite_src=to_media) == (
        f'<p><a href="a.png" title="a.png" {REL}>链</a>'
        '<img src="/media/articles/a.png" alt="a.png" title="b.png"></p><img src="/media/articles/图/二.png">'
    )
    assert seen == ["a.png", "图/二.png"]


def test_rewrite_src_returning_none_drops_the_source_and_keeps_the_image():
    assert sanitize_html('<img src="gone.png" alt="缺图">', rewrite_src=lambda src: None) == '<img alt="缺图">'


def test_rewrite_src_never_sees_a_source_the_allowlist_drops():
    seen = []
    html = '<img src="data:image/png;base64,AAAA" alt="a"><img src="javascript:alert(1)" alt="b">'
    assert sanitize_html(html, rewrite_src=lambda src: seen.append(src) or src) == '<img alt="a"><img alt="b">'
    assert seen == []


@pytest.mark.parametrize(("html", "cleaned"), [*HOSTILE, (EVERY_ALLOWED_TAG, EVERY_ALLOWED_TAG)])
def test_rewrite_src_applies_the_same_allowlist(html, cleaned):
    assert sanitize_html(html, rewrite_src=lambda src: src) == cleaned


def test_an_error_in_rewrite_src_is_raised_not_swallowed():
    def missing(src):
        raise FileNotFoundError(f"图片不存在：{src}")

    with pytest.raises(FileNotFoundError) as error:
        sanitize_html('<p>正文</p><img src="一.png"><img src="二.png">', rewrite_src=missing)
    assert str(error.value) == "图片不存在：一.png"  # the first image's error


# html_to_text ---------------------------------------------------------------------------------------


def test_plain_text_keeps_blocks_and_table_cells_apart():
    html = "<h2>一、概况</h2><p>正文&amp;数据</p><table><tr><th>地区</th><th>2019年</th></tr><tr><td>东部</td><td>1,234.00</td></tr></table>"
    assert html_to_text(html) == "一、概况\n正文&数据\n地区 2019年\n东部 1,234.00"


def test_plain_text_of_a_blank_body_is_empty():
    assert html_to_text(None) == ""
    assert html_to_text("<p> </p><br>") == ""


def test_saving_an_article_drops_images_from_other_hosts_and_keeps_ours():
    article = make_article(
        body='<p>正文</p><img src="https://tracker.example.com/p.gif" alt="像素"><img src="//cdn.example.com/a.png">'
        '<img src="/media/articles/images/a.png" alt="图"><img src="images/b.png" alt="相对">'
    )
    article.refresh_from_db()
    assert article.body == (
        '<p>正文</p><img alt="像素"><img><img src="/media/articles/images/a.png" alt="图"><img src="images/b.png" alt="相对">'
    )
