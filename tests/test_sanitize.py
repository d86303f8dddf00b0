import pytest

from articles.sanitize import sanitize_html
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_script_and_event_handlers_never_survive_a_save():
    article = make_article(
        body='<p onclick="steal()">正文<script>alert(1)</script></p><img src="x.png" onerror="alert(1)">'
    )
    article.refresh_from_db()
    assert "<script" not in article.body
    assert "alert" not in article.body
    assert "onerror" not in article.body
    assert "onclick" not in article.body
    assert "<p>正文</p>" in article.body


def test_updates_are_sanitised_too():
    article = make_article(body="<p>干净</p>")
    article.body = '<p>改过</p><iframe src="https://evil.example/"></iframe><style>p{}</style>'
    article.save()
    article.refresh_from_db()
    assert article.body == "<p>改过</p>"


def test_dangerous_links_lose_their_href():
    html = sanitize_html('<a href="javascript:alert(1)">x</a><a href="https://example.cn/">y</a>')
    assert "javascript" not in html
    assert 'href="https://example.cn/"' in html


def test_tables_headings_lists_images_emphasis_and_links_are_kept():
    html = (
        "<h2>一、总体情况</h2><h3>（一）规模</h3><p><strong>粗</strong><em>斜</em></p>"
        '<ul><li>一</li></ul><ol start="3"><li>三</li></ol>'
        '<table><thead><tr><th colspan="2">表头</th></tr></thead>'
        '<tbody><tr><td rowspan="3">类别</td><td>企业</td></tr></tbody></table>'
        '<figure><img src="/media/a.png" alt="图"><figcaption>图注</figcaption></figure>'
        '<a href="https://example.cn/">链接</a>'
    )
    cleaned = sanitize_html(html)
    for fragment in ["<h2>", "<h3>", "<strong>", "<em>", "<ul>", '<ol start="3">', '<th colspan="2">', '<td rowspan="3">',
                     '<img src="/media/a.png" alt="图">', "<figcaption>", 'href="https://example.cn/"']:  # fmt: skip
        assert fragment in cleaned


def test_style_attributes_and_classes_are_dropped():
    assert sanitize_html('<p style="color:red" class="x">字</p>') == "<p>字</p>"


def test_sanitising_is_idempotent():
    once = sanitize_html('<table><tr><td>a</td></tr></table><a href="https://a.cn">b</a>')
    assert sanitize_html(once) == once


def test_plain_text_keeps_blocks_and_table_cells_apart():
    from articles.sanitize import html_to_text

    html = "<h2>一、概况</h2><p>正文&amp;数据</p><table><tr><th>地区</th><th>2019年</th></tr><tr><td>东部</td><td>1,234.00</td></tr></table>"
    assert html_to_text(html) == "一、概况\n正文&数据\n地区 2019年\n东部 1,234.00"
