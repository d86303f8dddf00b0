"""Issue bundles: `import_issue`, `export_issue` and `load_demo`, run as an operator runs them."""

import datetime
import io
import re
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import unquote

import docx
import pytest
import tomli_w
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article, Contributor
from issues.bundles.importer import PERIODICAL_FIELDS
from issues.models import Issue, MastheadLine, Periodical, Section, StandingPage
from tests.factories import image_bytes, make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db

PNG = image_bytes(format="PNG", size=(60, 40))
JPEG = image_bytes(format="JPEG", size=(90, 120), color=(200, 40, 40))


# Helpers -------------------------------------------------------------------------------------


def manifest(**fields) -> dict:
    """A valid issue.toml as a dict: the required keys, overridden or extended by `fields`."""
    return {"year": 2017, "number": 3, "total_number": 28, "date": datetime.date(2017, 5, 31), **fields}


def write_bundle(*, root: Path, files: dict) -> Path:
    """Write a bundle folder: {path: dict (dumped as TOML) | str (UTF-8) | bytes}."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            content = tomli_w.dumps(content)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def zip_folder(*, folder: Path, dest: Path, top: str = "") -> Path:
    """Zip `folder` as a user would: its files at the root, or inside one top-level folder `top`."""
    with zipfile.ZipFile(dest, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                archive.write(path, f"{top}/{name}" if top else name)
    return dest


def import_issue(path, *options) -> str:
    out = io.StringIO()
    call_command("import_issue", str(path), *options, stdout=out)
    return out.getvalue()


def docx_holding_xml(megabytes: int) -> bytes:
    """A valid .docx whose main document is `megabytes` MB of ordinary paragraphs: a few hundred KB zipped."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paragraph = "<w:p><w:r><w:t>南滨市电子商务交易额突破千亿元。</w:t></w:r></w:p>".encode()
    chunk = paragraph * (1024 * 1024 // len(paragraph))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument'
            '.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument"/></Relationships>',
        )
        with archive.open("word/document.xml", "w", force_zip64=True) as document:
            document.write(f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>'.encode())
            for _ in range(megabytes):
                document.write(chunk)
            document.write(b"</w:body></w:document>")
    return out.getvalue()


def import_error(path, *options) -> str:
    with pytest.raises(CommandError) as excinfo:
        import_issue(path, *options)
    return str(excinfo.value)


def export_issue(year, number, dest) -> str:
    out = io.StringIO()
    call_command("export_issue", str(year), str(number), str(dest), stdout=out)
    return out.getvalue()


def export_error(year, number, dest) -> str:
    with pytest.raises(CommandError) as excinfo:
        export_issue(year, number, dest)
    return str(excinfo.value)


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Issue, Article, Section, Contributor)}


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def bundle_contents(path: Path) -> dict[str, bytes]:
    """Every file of a bundle folder or .zip, by its path inside the bundle."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def media_path(url: str) -> Path:
    assert url.startswith(settings.MEDIA_URL), url
    return Path(settings.MEDIA_ROOT) / unquote(url.removeprefix(settings.MEDIA_URL))


def img_srcs(html: str) -> list[str]:
    return re.findall(r'<img[^>]* src="([^"]*)"', html)


def docx_bytes(*, picture: bytes | None = None) -> bytes:
    """A Word document with a heading, a paragraph, a table and an inline picture."""
    document = docx.Document()
    document.add_heading("一、总体情况", level=1)
    document.add_heading("（一）交易规模", level=2)
    document.add_paragraph("全市电子商务交易额突破千亿元。")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("区县", "交易额"), ("滨江区", "312.5")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_picture(io.BytesIO(PNG))
    out = io.BytesIO()
    document.save(out)
    if picture is None:
        return out.getvalue()
    # Swap the embedded picture's bytes, as a damaged or exotic (EMF…) picture would be.
    damaged = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            target.writestr(info, picture if info.filename.startswith("word/media/") else source.read(info))
    return damaged.getvalue()


MARKDOWN_WITH_TABLE_AND_IMAGE = """\
岁末年初，编辑部同人常有一种感受。

| 区县 | 交易额 |
| --- | --- |
| 滨江区 | 312.5 |

![交易额图表](../images/chart.png)
"""


# Importing -----------------------------------------------------------------------------------


def test_import_minimal_bundle(tmp_path):
    special = make_section(name="特别报道", position=5)
    existing_author = make_contributor(name="王毅")
    make_contributor(name="王毅华")  # exact names only: no partial match
    bundle = write_bundle(
        root=tmp_path / "bundle",
        files={
            "issue.toml": manifest(
                title="农村电商专题",
                print_run=1200,
                cover="cover.jpg",
                masthead=[{"label": "主编", "value": "林知远"}, {"label": "编辑", "value": "叶晓舟　韩蕾"}],
                articles=[
                    {
                        "section": "卷首语",
                        "title": "从“有没有”走向“好不好”",
                        "authors": ["林知远"],
                        "byline": "文 / 林知远",
                        "body": "articles/01.md",
                    },
                    {
                        "section": "数据观察/区域数据",
                        "title": "各区县电子商务数据解读",
                        "subtitle": "规模与结构",
                        "authors": ["王毅", "林知远"],
                        "source": "南滨市统计局",
                        "in_toc": False,
                        "body": "articles/02.md",
                    },
                    {"section": "数据观察/行业数据", "title": "行业数据概览", "body": "articles/03.md"},
                    {"section": "特别报道", "title": "跨境电商发展报告", "body": "articles/04.md"},
                ],
            ),
            "cover.jpg": JPEG,
            "articles/01.md": MARKDOWN_WITH_TABLE_AND_IMAGE,
            "articles/02.md": "第二篇。\n",
            "articles/03.md": "第三篇。\n",
            "articles/04.md": "第四篇。\n",
            "images/chart.png": PNG,
        },
    )

    output = import_issue(bundle)

    issue = Issue.objects.get()
    assert "已导入 2017年第3期（总第28期）：4 篇文章。" in output
    assert (issue.year, issue.number, issue.total_number) == (2017, 3, 28)
    assert str(issue.publication_date) == "2017-05-31"
    assert (issue.title, issue.print_run, issue.status) == ("农村电商专题", 1200, Issue.Status.DRAFT)
    assert Path(issue.cover.path).read_bytes() == JPEG
    assert Path(issue.cover_thumbnail.path).is_file()
    assert [(line.label, line.value) for line in issue.masthead_lines.all()] == [
        ("主编", "林知远"),
        ("编辑", "叶晓舟　韩蕾"),
    ]

    articles = list(issue.articles.in_print_order())
    assert [(a.position, a.title, a.section.path) for a in articles] == [
        (1, "从“有没有”走向“好不好”", "卷首语"),
        (2, "各区县电子商务数据解读", "数据观察/区域数据"),
        (3, "行业数据概览", "数据观察/行业数据"),
        (4, "跨境电商发展报告", "特别报道"),
    ]
    assert all(a.status == Article.Status.READY for a in articles)
    first, second = articles[0], articles[1]
    assert (first.byline, first.source, first.in_toc) == ("文 / 林知远", "", True)
    assert (second.subtitle, second.byline, second.source, second.in_toc) == ("规模与结构", "", "南滨市统计局", False)

    # Sections: the existing one reused, new ones placed after it in order of first appearance.
    assert articles[3].section == special
    top_level = Section.objects.filter(parent=None)
    assert [(s.name, s.position) for s in top_level] == [("特别报道", 5), ("卷首语", 6), ("数据观察", 7)]
    data = Section.objects.get(name="数据观察")
    assert [(s.name, s.position) for s in data.children.all()] == [("区域数据", 1), ("行业数据", 2)]

    # Authors: matched by exact name, in the order given; new names become new contributors.
    assert [a.contributor for a in second.authorships.all()][0] == existing_author
    assert [a.contributor.name for a in second.authorships.all()] == ["王毅", "林知远"]
    assert Contributor.objects.filter(name="王毅").count() == 1
    assert Contributor.objects.filter(name="林知远").count() == 1
    assert Contributor.objects.count() == 3

    # Body: Markdown table rendered, image stored in media and linked there.
    assert "<table>" in first.body and "<td>滨江区</td>" in first.body
    [src] = img_srcs(first.body)
    assert re.fullmatch(rf"{settings.MEDIA_URL}articles/images/2017-3-[0-9a-f]+/chart\.png", src)
    assert media_path(src).read_bytes() == PNG
    assert 'alt="交易额图表"' in first.body


def test_import_html_and_docx_bodies(tmp_path):
    bundle = write_bundle(
        root=tmp_path / "bundle",
        files={
            "issue.toml": manifest(
                articles=[
                    {"section": "业界交流", "title": "融资盘点", "body": "articles/01.html"},
                    {"section": "业界交流", "title": "调研报告", "body": "articles/sub/02.docx"},
                ]
            ),
            "articles/01.html": '<h2>一、概况</h2><p>资本寒冬。</p><p><img src="../images/chart.png" alt="图"></p>',
            "articles/sub/02.docx": docx_bytes(),
            "images/chart.png": PNG,
        },
    )

    import_issue(bundle)

    html_article, docx_article = Issue.objects.get().articles.in_print_order()
    assert "<h2>一、概况</h2>" in html_article.body and "<p>资本寒冬。</p>" in html_article.body
    [src] = img_srcs(html_article.body)
    assert media_path(src).read_bytes() == PNG

    body = docx_article.body
    assert "<h1>一、总体情况</h1>" in body
    assert "<h2>（一）交易规模</h2>" in body
    assert "<p>全市电子商务交易额突破千亿元。</p>" in body
    assert "<table>" in body and "滨江区" in body and "312.5" in body
    [src] = img_srcs(body)
    assert src.endswith("/02-1.png")
    assert media_path(src).read_bytes() == PNG
    assert len(media_files()) == 2


def test_import_removes_hostile_html(tmp_path):
    hostile = (
        "<p>正文<script>alert(1)</script></p>"
        '<p><img src="../images/chart.png" onerror="alert(2)"></p>'
        '<p><a href="javascript:alert(3)">链接</a> <a href="https://example.cn/" onclick="alert(4)">官网</a></p>'
        '<p style="position:fixed">样式</p><iframe src="https://evil.example/"></iframe>'
        '<img src="file:///etc/passwd"><img src="javascript:alert(6)">'
    )
    bundle = write_bundle(
        root=tmp_path / "bundle",
        files={
            "issue.toml": manifest(
                articles=[
                    {"section": "业界交流", "title": "HTML", "body": "articles/01.html"},
                    {"section": "业界交流", "title": "Markdown", "body": "articles/02.md"},
                ]
            ),
            "articles/01.html": hostile,
            "articles/02.md": hostile + "\n\n[点我](javascript:alert(5))\n",
            "images/chart.png": PNG,
        },
    )

    import_issue(bundle)

    for article in Issue.objects.get().articles.all():
        body = article.body.lower()
        for bad in ("<script", "alert(1)", "onerror", "onclick", '="javascript:', "file:", "style=", "<iframe"):
            assert bad not in body, (article.title, bad, article.body)
        assert "正文" in article.body and "链接" in article.body and "样式" in article.body
        assert 'href="https://example.cn/"' in article.body
        [src] = img_srcs(article.body)
        assert media_path(src).read_bytes() == PNG


def test_import_image_names_with_spaces_and_chinese_round_trip(tmp_path):
    # Markdown percent-encodes such paths and media URLs are percent-encoded too.
    bundle = write_bundle(
        root=tmp_path / "bundle",
        files={
            "issue.toml": manifest(
                articles=[
                    {"section": "数据观察", "title": "Markdown", "body": "articles/01.md"},
                    {"section": "数据观察", "title": "HTML", "body": "articles/02.html"},
                ]
            ),
            "articles/01.md": "![图表](<../images/区县 图表.png>)\n",
            "articles/02.html": '<p><img src="../images/区县 图表.png" alt="图表"></p>',
            "images/区县 图表.png": PNG,
        },
    )
    import_issue(bundle)
    for article in Issue.objects.get().articles.all():
        [src] = img_srcs(article.body)
        assert media_path(src).read_bytes() == PNG
    assert [Path(name).name for name in media_files()] == ["区县 图表.png"]

    export_issue(2017, 3, tmp_path / "first")
    import_issue(tmp_path / "first", "--replace")
    export_issue(2017, 3, tmp_path / "second")

    first = bundle_contents(tmp_path / "first")
    assert first["images/区县 图表.png"] == PNG
    assert bundle_contents(tmp_path / "second") == first


def test_import_publish_failure_after_files_were_written_removes_them(tmp_path):
    # The cover is saved inside the transaction; publishing an issue without articles then fails.
    bundle = write_bundle(
        root=tmp_path / "bundle", files={"issue.toml": manifest(cover="cover.jpg"), "cover.jpg": JPEG}
    )
    before = row_counts()

    message = import_error(bundle, "--publish")

    assert message == "2017年第3期（总第28期）还不能“定稿”：本期还没有文章。"
    assert row_counts() == before
    assert media_files() == []


# Errors: the message names the file and the field, and nothing is written ---------------------

VALID_ARTICLE = {"section": "业界交流", "title": "标题", "body": "articles/01.md"}


def without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


ERROR_CASES = {
    "bad TOML syntax": (
        {"issue.toml": "year = 2017\nnumber = \n"},
        r"issue\.toml：TOML 格式错误：.*line 2.*",
    ),
    "manifest not UTF-8": (
        {"issue.toml": 'year = 2017\ntitle = "专题"\n'.encode("gbk")},
        r"issue\.toml：文件不是 UTF-8 编码的文本。",
    ),
    "no manifest": ({"articles/01.md": "正文"}, r"issue\.toml：文件不存在。"),
    "missing top-level field": (
        {"issue.toml": without(manifest(), "total_number")},
        r"issue\.toml：total_number：缺少必填字段。",
    ),
    "missing article field": (
        {"issue.toml": manifest(articles=[without(VALID_ARTICLE, "title")]), "articles/01.md": "正文"},
        r"issue\.toml：articles\[1\]\.title：缺少必填字段。",
    ),
    "empty article title": (
        {"issue.toml": manifest(articles=[{**VALID_ARTICLE, "title": "  "}]), "articles/01.md": "正文"},
        r"issue\.toml：articles\[1\]\.title：不能为空。",
    ),
    "wrong type": ({"issue.toml": manifest(year="2017")}, r"issue\.toml：year：应为整数。"),
    "date with a time": (
        {"issue.toml": "year = 2017\nnumber = 3\ntotal_number = 28\ndate = 2017-05-31T08:00:00\n"},
        r"issue\.toml：date：应为日期（如 2017-01-31），不带时间。",
    ),
    "number out of range": ({"issue.toml": manifest(number=0)}, r"issue\.toml：number：应在 1–1000 之间。"),
    "unknown top-level key": (
        {"issue.toml": manifest(titel="专题")},
        r"issue\.toml：titel：未知字段（可用字段：.*）。",
    ),
    "unknown article key": (
        {"issue.toml": manifest(articles=[{**VALID_ARTICLE, "auther": ["王毅"]}]), "articles/01.md": "正文"},
        r"issue\.toml：articles\[1\]\.auther：未知字段（可用字段：.*）。",
    ),
    "masthead line without value": (
        {"issue.toml": manifest(masthead=[{"label": "主编", "value": "林知远"}, {"label": "编辑"}])},
        r"issue\.toml：masthead\[2\]\.value：缺少必填字段。",
    ),
    "too deep section": (
        {"issue.toml": manifest(articles=[{**VALID_ARTICLE, "section": "a/b/c"}]), "articles/01.md": "正文"},
        r"issue\.toml：articles\[1\]\.section：应为“栏目”或“栏目/子栏目”。",
    ),
    "unknown section kind": (
        {
            "issue.toml": manifest(articles=[VALID_ARTICLE], sections=[{"name": "业界交流", "kind": "academic"}]),
            "articles/01.md": "正文",
        },
        r"issue\.toml：sections\[1\]\.kind：应为以下之一：news、research。",
    ),
    "kind of a section no article is in": (
        {
            "issue.toml": manifest(articles=[VALID_ARTICLE], sections=[{"name": "特别报道", "kind": "research"}]),
            "articles/01.md": "正文",
        },
        r"issue\.toml：sections\[1\]\.name：没有文章属于栏目“特别报道”。",
    ),
    "missing body file": (
        {"issue.toml": manifest(articles=[VALID_ARTICLE])},
        r"articles/01\.md：articles\[1\]\.body：文件不存在。",
    ),
    "body not UTF-8": (
        {"issue.toml": manifest(articles=[VALID_ARTICLE]), "articles/01.md": "中文正文".encode("gbk")},
        r"articles/01\.md：articles\[1\]\.body：文件不是 UTF-8 编码的文本。",
    ),
    "unknown body extension": (
        {"issue.toml": manifest(articles=[{**VALID_ARTICLE, "body": "articles/01.txt"}]), "articles/01.txt": "正文"},
        r"articles/01\.txt：articles\[1\]\.body：不支持的正文格式“\.txt”，只支持 \.md、\.html、\.docx。",
    ),
    "corrupt docx": (
        {
            "issue.toml": manifest(articles=[{**VALID_ARTICLE, "body": "articles/01.docx"}]),
            "articles/01.docx": b"PK\x03\x04 broken",
        },
        r"articles/01\.docx：articles\[1\]\.body：文件已损坏，无法作为 Word（\.docx）文档读取。.*",
    ),
    "docx with a broken picture": (
        {
            "issue.toml": manifest(articles=[{**VALID_ARTICLE, "body": "articles/01.docx"}]),
            "articles/01.docx": docx_bytes(picture=b"not a picture"),
        },
        r"articles/01\.docx：articles\[1\]\.body：第 1 张图片无法使用：无法识别的图片文件。.*",
    ),
    "cover missing": ({"issue.toml": manifest(cover="cover.jpg")}, r"cover\.jpg：cover：文件不存在。"),
    "cover not an image": (
        {"issue.toml": manifest(cover="cover.jpg"), "cover.jpg": b"this is not a picture"},
        r"cover\.jpg：cover：无法识别的图片文件。",
    ),
    "cover truncated TIFF": (
        {"issue.toml": manifest(cover="cover.tif"), "cover.tif": image_bytes(format="TIFF", size=(100, 100))[:300]},
        r"cover\.tif：cover：图片文件已损坏：.*",
    ),
    "body image missing": (
        {"issue.toml": manifest(articles=[VALID_ARTICLE]), "articles/01.md": "![图](../images/missing.png)"},
        r"articles/01\.md：图片 \.\./images/missing\.png：文件不存在。",
    ),
    "body image not an image": (
        {
            "issue.toml": manifest(articles=[VALID_ARTICLE]),
            "articles/01.md": "![图](../images/chart.png)",
            "images/chart.png": b"not a png at all",
        },
        r"articles/01\.md：图片 \.\./images/chart\.png：无法识别的图片文件。",
    ),
    "body image truncated BMP": (
        {
            "issue.toml": manifest(articles=[VALID_ARTICLE]),
            "articles/01.md": "![图](../images/chart.bmp)",
            "images/chart.bmp": image_bytes(format="BMP", size=(100, 100))[:200],
        },
        r"articles/01\.md：图片 \.\./images/chart\.bmp：图片文件已损坏：.*",
    ),
    "body image escaping the bundle": (
        {"issue.toml": manifest(articles=[VALID_ARTICLE]), "articles/01.md": "![x](../../etc/passwd)"},
        r"articles/01\.md：图片 \.\./\.\./etc/passwd：路径“\.\./\.\./etc/passwd”指向包外。",
    ),
    "body file escaping the bundle": (
        {"issue.toml": manifest(articles=[{**VALID_ARTICLE, "body": "../outside.md"}])},
        r"issue\.toml：articles\[1\]\.body：路径“\.\./outside\.md”指向包外。",
    ),
    "failure in the last article after images were processed": (
        {
            "issue.toml": manifest(
                cover="cover.jpg",
                articles=[
                    {**VALID_ARTICLE, "body": "articles/01.md"},
                    {**VALID_ARTICLE, "body": "articles/02.html"},
                    {**VALID_ARTICLE, "body": "articles/03.md", "title": "最后一篇"},
                ],
            ),
            "cover.jpg": JPEG,
            "articles/01.md": "![图](../images/one.png)",
            "articles/02.html": '<img src="../images/two.jpg">',
            "articles/03.md": "![图](../images/three.png)",
            "images/one.png": PNG,
            "images/two.jpg": JPEG,
            "images/three.png": b"broken",
        },
        r"articles/03\.md：图片 \.\./images/three\.png：无法识别的图片文件。",
    ),
}


@pytest.mark.parametrize("files, expected", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_import_error_names_file_and_field_and_writes_nothing(tmp_path, files, expected):
    make_article(issue=make_issue(year=2016, number=1), authors=[make_contributor(name="王毅")])
    before = row_counts()
    bundle = write_bundle(root=tmp_path / "bundle", files=files)

    message = import_error(bundle)

    assert re.fullmatch(expected, message), message
    assert row_counts() == before
    assert media_files() == []


def test_import_refuses_a_path_that_is_not_a_bundle(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert import_error(tmp_path / "notes.txt") == f"{tmp_path / 'notes.txt'}：不是文件夹，也不是 .zip 文件。"
    assert import_error(tmp_path / "nowhere") == f"{tmp_path / 'nowhere'}：找不到该路径。"


# Existing issues -----------------------------------------------------------------------------


def small_bundle(root, *, title="新文章", total_number=26):
    return write_bundle(
        root=root,
        files={
            "issue.toml": manifest(
                number=1,
                total_number=total_number,
                articles=[{"section": "卷首语", "title": title, "body": "articles/01.md"}],
            ),
            "articles/01.md": "![图](../images/chart.png)",
            "images/chart.png": PNG,
        },
    )


def test_import_refuses_existing_year_and_number_without_replace(tmp_path):
    old = make_issue(year=2017, number=1, total_number=26)
    make_article(issue=old, title="旧文章")
    before = row_counts()

    message = import_error(small_bundle(tmp_path / "bundle"))

    assert message == "issue.toml：number：2017年第1期（总第26期）已存在；如要覆盖，请加 --replace。"
    assert row_counts() == before
    assert list(Article.objects.values_list("title", flat=True)) == ["旧文章"]
    assert media_files() == []


def test_import_replace_swaps_the_existing_issue(tmp_path):
    old = make_issue(year=2017, number=1, total_number=26, status=Issue.Status.PUBLISHED, title="旧专题")
    make_article(issue=old, title="旧文章", status=Article.Status.PUBLISHED)
    make_article(issue=old, title="旧文章二", position=2)
    other = make_issue(year=2016, number=6, total_number=25)
    make_article(issue=other, title="别的期")

    import_issue(small_bundle(tmp_path / "bundle", title="新文章"), "--replace")

    issue = Issue.objects.get(year=2017, number=1)
    assert issue.pk != old.pk and issue.title == "" and issue.status == Issue.Status.DRAFT
    assert [a.title for a in issue.articles.all()] == ["新文章"]
    assert not Article.objects.filter(title__startswith="旧文章").exists()
    assert list(other.articles.values_list("title", flat=True)) == ["别的期"]
    assert Issue.objects.count() == 2


def test_import_replace_removes_the_replaced_issues_files(tmp_path, django_capture_on_commit_callbacks):
    bundle = small_bundle(tmp_path / "bundle")
    (bundle / "cover.png").write_bytes(PNG)
    (bundle / "issue.toml").write_text(
        (bundle / "issue.toml").read_text(encoding="utf-8").replace("year = 2017", 'year = 2017\ncover = "cover.png"'),
        encoding="utf-8",
    )
    import_issue(bundle)
    first_import = media_files()
    assert len(first_import) == 3  # cover, thumbnail, body image

    with django_capture_on_commit_callbacks(execute=True):
        import_issue(bundle, "--replace")

    second_import = media_files()
    assert len(second_import) == 3
    assert not set(first_import) & set(second_import)


def test_import_refuses_a_total_number_used_by_another_issue(tmp_path):
    make_issue(year=2016, number=5, total_number=26)
    before = row_counts()

    for options in ((), ("--replace",)):
        message = import_error(small_bundle(tmp_path / "bundle"), *options)

        assert message == "issue.toml：total_number：总期号 26 已被2016年第5期（总第26期）使用。"
        assert row_counts() == before
        assert media_files() == []


def test_a_docx_body_holding_100_mb_of_xml_is_refused_naming_the_file(tmp_path):
    body = docx_holding_xml(100)
    assert len(body) < 1024 * 1024  # what makes it a bomb: it looks small
    bundle = write_bundle(
        root=tmp_path / "bundle",
        files={
            "issue.toml": manifest(articles=[{**VALID_ARTICLE, "body": "articles/01.docx"}]),
            "articles/01.docx": body,
        },
    )
    message = import_error(bundle)
    assert message.startswith("articles/01.docx：articles[1].body：文件解压后的内容过大或结构异常")
    assert row_counts() == {"Issue": 0, "Article": 0, "Section": 0, "Contributor": 0}
    assert media_files() == []


def test_import_publish(tmp_path):
    import_issue(small_bundle(tmp_path / "bundle"), "--publish")

    issue = Issue.objects.get()
    assert issue.status == Issue.Status.PUBLISHED and issue.published_at is not None
    assert list(issue.articles.values_list("status", flat=True)) == [Article.Status.PUBLISHED]
    # It went through the workflow's own transitions, so its history says so.
    history = issue.status_changes.order_by("id").values_list("from_status", "to_status", "comment")
    assert list(history) == [("draft", "ready", "导入时定稿"), ("ready", "published", "导入时发布")]
    article_history = issue.articles.get().status_changes.order_by("id").values_list("to_status", "comment")
    assert list(article_history) == [("ready", "导入时定稿"), ("published", "随本期发布")]


def test_imported_articles_are_ready_and_say_so(tmp_path):
    import_issue(small_bundle(tmp_path / "bundle"))
    article = Article.objects.get()
    assert article.status == Article.Status.READY and Issue.objects.get().status == Issue.Status.DRAFT
    assert list(article.status_changes.values_list("from_status", "to_status")) == [("draft", "ready")]


# Zip bundles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("top", ["", "2017-1"], ids=["files at the root", "one top-level folder"])
def test_import_zip(tmp_path, top):
    folder = small_bundle(tmp_path / "bundle")
    archive = zip_folder(folder=folder, dest=tmp_path / "bundle.zip", top=top)

    import_issue(archive)

    [article] = Issue.objects.get().articles.all()
    [src] = img_srcs(article.body)
    assert media_path(src).read_bytes() == PNG


def evil_zip(*, dest: Path, articles: list[dict], members: dict) -> Path:
    with zipfile.ZipFile(dest, "w") as archive:
        archive.writestr("issue.toml", tomli_w.dumps(manifest(articles=articles)))
        for name, data in members.items():
            archive.writestr(name, data)
    return dest


def test_import_zip_member_paths_cannot_escape(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    members = {"articles/01.md": "![x](../../evil.png)", "../evil.png": PNG, "../evil.md": "正文"}
    image_escape = evil_zip(
        dest=uploads / "image.zip",
        articles=[{"section": "卷首语", "title": "一", "body": "articles/01.md"}],
        members=members,
    )
    body_escape = evil_zip(
        dest=uploads / "body.zip",
        articles=[{"section": "卷首语", "title": "一", "body": "../evil.md"}],
        members=members,
    )
    before = row_counts()
    everything = set(tmp_path.rglob("*"))

    assert import_error(image_escape) == "articles/01.md：图片 ../../evil.png：路径“../../evil.png”指向包外。"
    assert import_error(body_escape) == "issue.toml：articles[1].body：路径“../evil.md”指向包外。"

    assert row_counts() == before
    assert media_files() == []
    assert set(tmp_path.rglob("*")) == everything  # nothing extracted anywhere


def test_import_zip_with_damaged_compressed_data(tmp_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("issue.toml", tomli_w.dumps(manifest()) + "# " + bytes(range(256)).hex() * 20 + "\n")
    data = bytearray(archive.read_bytes())
    for offset in range(40, 60):  # the start of the member's deflate stream (after its 40-byte local header)
        data[offset] ^= 0xFF
    archive.write_bytes(bytes(data))

    message = import_error(archive)

    assert message.startswith("issue.toml：zip 内的文件已损坏："), message
    assert Issue.objects.count() == 0 and media_files() == []


# Export and round trips ----------------------------------------------------------------------


def load_demo():
    call_command("load_demo", stdout=io.StringIO())
    return Issue.objects.get(year=2017, number=1)


def test_demo_round_trips_byte_for_byte_as_folders(tmp_path):
    demo_titles = [a.title for a in load_demo().articles.in_print_order()]
    assert len(demo_titles) == 19

    export_issue(2017, 1, tmp_path / "first")
    import_issue(tmp_path / "first", "--replace")
    export_issue(2017, 1, tmp_path / "second")

    first, second = bundle_contents(tmp_path / "first"), bundle_contents(tmp_path / "second")
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name] == second[name], name
    assert len([name for name in first if name.startswith("articles/")]) == 19
    assert first["images/regional-chart.png"] == (Path("issues/bundles/demo/images/regional-chart.png")).read_bytes()
    assert first["cover.jpg"] == Path("issues/bundles/demo/cover.jpg").read_bytes()
    # The imported copy is the same issue as the demo.
    issue = Issue.objects.get(year=2017, number=1)
    assert [a.title for a in issue.articles.in_print_order()] == demo_titles


def test_demo_round_trips_byte_for_byte_as_zip_files(tmp_path):
    load_demo()

    export_issue(2017, 1, tmp_path / "first.zip")
    import_issue(tmp_path / "first.zip", "--replace")
    export_issue(2017, 1, tmp_path / "second.zip")
    export_issue(2017, 1, tmp_path / "folder")

    assert (tmp_path / "first.zip").read_bytes() == (tmp_path / "second.zip").read_bytes()
    assert bundle_contents(tmp_path / "first.zip") == bundle_contents(tmp_path / "folder")


def test_sections_get_the_kinds_the_bundle_lists_and_sub_sections_their_parents(tmp_path):
    existing = make_section(name="业界交流")  # news, as every section starts
    articles = [
        {**VALID_ARTICLE, "section": "业界交流"},
        {**VALID_ARTICLE, "section": "数据观察/区域数据"},
        {**VALID_ARTICLE, "section": "数据观察/简讯"},
        {**VALID_ARTICLE, "section": "行业动态"},
    ]
    sections = [
        {"name": "业界交流", "kind": "research"},
        {"name": "数据观察", "kind": "research"},
        {"name": "数据观察/简讯", "kind": "news"},
    ]
    bundle = write_bundle(
        root=tmp_path / "in",
        files={"issue.toml": manifest(articles=articles, sections=sections), "articles/01.md": "正文"},
    )
    import_issue(bundle)

    kinds = {section.path: section.kind for section in Section.objects.all()}
    assert kinds == {
        "业界交流": "research", "数据观察": "research", "数据观察/区域数据": "research", "数据观察/简讯": "news",
        "行业动态": "news",
    }  # fmt: skip
    assert Section.objects.get(pk=existing.pk).kind == "research"
    # Export lists what an import would not derive, so the bundle says what the site says.
    export_issue(2017, 3, tmp_path / "out")
    exported = tomllib.loads((tmp_path / "out" / "issue.toml").read_text())
    assert exported["sections"] == sections


def test_the_demo_marks_its_reports_and_surveys_as_research():
    issue = load_demo()
    kinds = {article.title: article.section.kind for article in issue.articles.select_related("section")}
    assert kinds["南滨市跨境电子商务发展报告（2016）"] == "research"
    assert kinds["县域O2O的“最后一公里”"] == "research"
    assert {kind for title, kind in kinds.items() if "卷首" in title or title.startswith("从")} == {"news"}


def test_export_writes_html_bodies_and_relative_images(tmp_path):
    load_demo()

    export_issue(2017, 1, tmp_path / "out")

    files = bundle_contents(tmp_path / "out")
    exported = tomllib.loads(files["issue.toml"].decode())
    assert exported["cover"] == "cover.jpg"
    assert {a["body"] for a in exported["articles"]} == {f"articles/{n:02d}.html" for n in range(1, 20)}
    assert exported["articles"][4]["section"] == "数据观察/区域数据"
    assert exported["articles"][7]["in_toc"] is False
    assert '<img src="../images/regional-chart.png"' in files["articles/05.html"].decode()


def test_export_refuses_existing_destinations_and_unknown_issues(tmp_path):
    make_issue(year=2017, number=1)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    existing_zip = tmp_path / "old.zip"
    existing_zip.write_bytes(b"old archive")

    assert export_error(2017, 1, full) == f"{full}：目标已存在且不是空文件夹。"
    assert export_error(2017, 1, existing_zip) == f"{existing_zip}：目标文件已存在。"
    assert export_error(2030, 1, tmp_path / "new") == "没有 2030 年第 1 期。"
    assert export_error(2017, 1, tmp_path / "missing" / "new") == f"{tmp_path / 'missing'}：上级文件夹不存在。"

    assert [p.name for p in full.iterdir()] == ["keep.txt"] and (full / "keep.txt").read_text() == "mine"
    assert existing_zip.read_bytes() == b"old archive"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "media") == ["full", "old.zip"]


def test_export_into_an_empty_folder(tmp_path):
    make_issue(year=2017, number=1, total_number=26)
    (tmp_path / "empty").mkdir()

    export_issue(2017, 1, tmp_path / "empty")

    assert set(bundle_contents(tmp_path / "empty")) == {"issue.toml"}


@pytest.mark.parametrize("dest_name", ["out", "out.zip"])
def test_failed_export_leaves_no_partial_destination(tmp_path, dest_name):
    import_issue(small_bundle(tmp_path / "bundle"))
    [image] = [name for name in media_files() if name.endswith("chart.png")]
    (Path(settings.MEDIA_ROOT) / image).unlink()
    exports = tmp_path / "exports"
    exports.mkdir()

    message = export_error(2017, 1, exports / dest_name)

    assert message.startswith(f"{image}：媒体文件缺失或无法读取："), message
    assert list(exports.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "printed"),
    [
        ((), ["2017年5月31日 2017年第3期（总第28期）", "1200 册"]),  # a draft: generated from the issue
        (("--publish",), ["2017年5月出版", "1000 册"]),  # published on import: as printed
    ],
)
def test_imported_date_and_print_run_lines_are_marked_and_generated_for_a_draft(tmp_path, options, printed):
    masthead = [
        {"label": "出版日期", "value": "2017年5月出版"},
        {"label": "主编", "value": "林知远"},
        {"label": "印数", "value": "1000 册"},
    ]
    articles = [{"section": "卷首语", "title": "卷首", "body": "articles/01.md"}]
    bundle = write_bundle(
        root=tmp_path / "bundle",
        files={
            "issue.toml": manifest(print_run=1200, masthead=masthead, articles=articles),
            "articles/01.md": "卷首语。\n",
        },
    )
    import_issue(bundle, *options)
    lines = list(Issue.objects.get().masthead_lines.values_list("label", "value", "kind"))
    assert lines == [
        ("出版日期", printed[0], MastheadLine.Kind.PUBLICATION),
        ("主编", "林知远", MastheadLine.Kind.STANDING),
        ("印数", printed[1], MastheadLine.Kind.PRINT_RUN),
    ]


# The periodical (periodical.toml) ------------------------------------------------------------

PLACEHOLDER = Periodical._meta.get_field("name").default

# Every setting changed from its default, so a round trip that lost one would show.
CONFIGURED = {
    "name": "乡村观察",
    "slogan": "记录乡村　观察变迁",
    "guiding_unit": "南滨市农业农村局",
    "host_unit": "南滨市乡村发展研究中心",
    "circulation_note": "内部资料 交流学习",
    "permit_number": "南新出内准字第2019-003号",
    "issn": "1234-5678",
    "contact_email": "xcgc@example.cn",
    "manuscript_char_limit": 8000,
    "page_size": "185mm 260mm",
    "folio_start": "cover",
    "masthead_placement": "page",
    "pages_per_signature": 8,
    "article_qr_codes": True,
    "article_pdfs_open": True,
    "internal_publication": False,
    "call_for_papers": "欢迎投稿。\n\n来稿请附作者简介。",
}
STANDING_PAGES = [
    ("本刊声明", "未经本刊书面许可，不得转载、摘编。"),
    ("订阅办法", "本刊免费赠阅。\n\n索取请致电编辑部。"),
]


def periodical_settings() -> dict:
    periodical = Periodical.load()
    return {field.name: getattr(periodical, field.name) for field in Periodical._meta.concrete_fields}


def standing_pages() -> list[tuple[str, str]]:
    return list(StandingPage.objects.values_list("title", "text"))


def set_up_periodical(**settings) -> Periodical:
    periodical = Periodical.load()
    for name, value in settings.items():
        setattr(periodical, name, value)
    periodical.save()
    return periodical


def periodical_bundle(root, periodical, **issue_fields):
    """A bundle of one article with an image, and `periodical` as its periodical.toml (a dict or raw text)."""
    return write_bundle(
        root=root,
        files={
            "issue.toml": manifest(articles=[VALID_ARTICLE], **issue_fields),
            "periodical.toml": periodical,
            "articles/01.md": "![图](../images/chart.png)",
            "images/chart.png": PNG,
        },
    )


def empty_the_database():
    """What a fresh install holds: no issue, article, section, contributor, nor periodical row."""
    Article.objects.all().delete()
    Issue.objects.all().delete()
    Section.objects.filter(parent__isnull=False).delete()
    Section.objects.all().delete()
    Contributor.objects.all().delete()
    Periodical.objects.all().delete()


def test_periodical_toml_names_every_setting_of_the_periodical():
    assert sorted(PERIODICAL_FIELDS) == sorted(
        field.name for field in Periodical._meta.concrete_fields if not field.primary_key
    )
    assert sorted(CONFIGURED) == sorted(PERIODICAL_FIELDS)


def test_periodical_round_trips_into_a_fresh_database(tmp_path):
    periodical = set_up_periodical(**CONFIGURED)
    for position, (title, text) in enumerate(reversed(STANDING_PAGES), start=1):  # stored out of print order
        StandingPage.objects.create(periodical=periodical, title=title, text=text, position=10 - position)
    import_issue(small_bundle(tmp_path / "bundle"))
    settings_before = periodical_settings()
    export_issue(2017, 1, tmp_path / "first")
    first = bundle_contents(tmp_path / "first")
    assert tomllib.loads(first["periodical.toml"].decode())["standing_pages"] == [
        {"title": title, "text": text} for title, text in STANDING_PAGES
    ]
    assert "name" not in tomllib.loads(first["issue.toml"].decode())  # the issue's own file is unchanged

    empty_the_database()
    output = import_issue(tmp_path / "first")

    assert output.startswith("已设置刊物：乡村观察\n")
    assert periodical_settings() == settings_before
    assert standing_pages() == STANDING_PAGES
    export_issue(2017, 1, tmp_path / "second")
    assert bundle_contents(tmp_path / "second") == first


@pytest.mark.parametrize("packed", ["folder", "zip of one folder"])
def test_a_fresh_install_takes_the_periodical_of_the_bundle(tmp_path, packed):
    assert Periodical.load().name == PLACEHOLDER
    periodical = {
        "name": "乡村观察",
        "folio_start": "cover",
        "standing_pages": [{"title": title, "text": text} for title, text in STANDING_PAGES],
    }
    bundle = periodical_bundle(tmp_path / "bundle", periodical)
    if packed != "folder":
        bundle = zip_folder(folder=bundle, dest=tmp_path / "bundle.zip", top="2017-3")

    output = import_issue(bundle)

    assert output == "已设置刊物：乡村观察\n已导入 2017年第3期（总第28期）：1 篇文章。\n"
    settings = periodical_settings()
    assert (settings["name"], settings["folio_start"]) == ("乡村观察", "cover")
    assert settings["pages_per_signature"] == 4 and settings["permit_number"] == ""  # left out: the defaults
    assert standing_pages() == STANDING_PAGES


def test_an_export_from_a_periodical_never_set_up_has_no_periodical_toml(tmp_path):
    make_issue(year=2017, number=1, total_number=26)
    export_issue(2017, 1, tmp_path / "out")
    assert set(bundle_contents(tmp_path / "out")) == {"issue.toml"}
    assert not Periodical.objects.exists()  # exporting did not create the row either


@pytest.mark.parametrize(
    "editors_change",
    [{"name": "编辑部的刊名"}, {"pages_per_signature": 8}, {"standing_page": ("印刷说明", "本刊由南滨印刷厂印制。")}],
    ids=["name", "a print setting", "a standing page"],
)
def test_a_periodical_already_set_up_is_kept_unless_asked(tmp_path, editors_change):
    settings = {key: value for key, value in editors_change.items() if key != "standing_page"}
    periodical = set_up_periodical(**settings)
    if "standing_page" in editors_change:
        title, text = editors_change["standing_page"]
        StandingPage.objects.create(periodical=periodical, title=title, text=text)
    before, pages_before = periodical_settings(), standing_pages()
    bundle = periodical_bundle(tmp_path / "bundle", {"name": "乡村观察", "slogan": "记录乡村"})

    output = import_issue(bundle)

    assert output.splitlines()[0] == (
        f"刊物设置已存在，未覆盖（{before['name']}）。如要按 periodical.toml 覆盖，请加 --periodical。"
    )
    assert periodical_settings() == before and standing_pages() == pages_before
    assert Issue.objects.filter(year=2017, number=3).exists()  # the issue itself is imported

    output = import_issue(bundle, "--replace", "--periodical")

    assert output.splitlines()[0] == "已设置刊物：乡村观察"
    # The file's settings win; what it leaves out (the print settings, the standing pages) stays the editors'.
    assert periodical_settings() == before | {"name": "乡村观察", "slogan": "记录乡村"}
    assert standing_pages() == pages_before


def test_an_empty_list_of_standing_pages_removes_them(tmp_path):
    periodical = set_up_periodical(name="乡村观察")
    StandingPage.objects.create(periodical=periodical, title="本刊声明", text="不得转载。")
    import_issue(periodical_bundle(tmp_path / "bundle", {"name": "乡村观察", "standing_pages": []}), "--periodical")
    assert standing_pages() == []


def test_a_failure_after_the_periodical_was_applied_leaves_it_unset(tmp_path):
    # Publishing an issue without articles fails, after the periodical has been written.
    bundle = write_bundle(
        root=tmp_path / "bundle", files={"issue.toml": manifest(), "periodical.toml": {"name": "乡村观察"}}
    )

    message = import_error(bundle, "--publish")

    assert message == "2017年第3期（总第28期）还不能“定稿”：本期还没有文章。"
    assert Periodical.load().name == PLACEHOLDER and Issue.objects.count() == 0


PERIODICAL_ERRORS = {
    "bad TOML syntax": ('name = "乡村观察"\nfolio_start = \n', r"periodical\.toml：TOML 格式错误：.*line 2.*"),
    "not UTF-8": ('name = "乡村观察"\n'.encode("gbk"), r"periodical\.toml：文件不是 UTF-8 编码的文本。"),
    "no name": ({"slogan": "记录乡村"}, r"periodical\.toml：name：缺少必填字段。"),
    "empty name": ({"name": " "}, r"periodical\.toml：name：不能为空。"),
    "unknown key": (
        {"name": "乡村观察", "titel": "x"},
        r"periodical\.toml：titel：未知字段（可用字段：.*standing_pages.*）。",
    ),
    "unknown folio_start": (
        {"name": "乡村观察", "folio_start": "contents"},
        r"periodical\.toml：folio_start：应为以下之一：article、cover。",
    ),
    "pages_per_signature as a string": (
        {"name": "乡村观察", "pages_per_signature": "4"},
        r"periodical\.toml：pages_per_signature：应为整数。",
    ),
    "pages_per_signature not a choice": (
        {"name": "乡村观察", "pages_per_signature": 3},
        r"periodical\.toml：pages_per_signature：应为以下之一：1、2、4、8、16、32。",
    ),
    "internal_publication as a string": (
        {"name": "乡村观察", "internal_publication": "是"},
        r"periodical\.toml：internal_publication：应为true 或 false。",
    ),
    "name too long": ({"name": "刊" * 101}, r"periodical\.toml：name：过长（101 字，上限 100 字）。"),
    "bad e-mail address": (
        {"name": "乡村观察", "contact_email": "编辑部"},
        r"periodical\.toml：contact_email：输入一个有效的 Email 地址。",
    ),
    "character limit of zero": (
        {"name": "乡村观察", "manuscript_char_limit": 0},
        r"periodical\.toml：manuscript_char_limit：确保该值大于或等于1。",
    ),
    "standing page without text": (
        {"name": "乡村观察", "standing_pages": [{"title": "本刊声明", "text": "不得转载。"}, {"title": "订阅办法"}]},
        r"periodical\.toml：standing_pages\[2\]\.text：缺少必填字段。",
    ),
    "standing page not a table": (
        {"name": "乡村观察", "standing_pages": ["本刊声明"]},
        r"periodical\.toml：standing_pages\[1\]：每个固定末页应为一个 \[\[standing_pages\]\] 表。",
    ),
}


@pytest.mark.parametrize("periodical, expected", PERIODICAL_ERRORS.values(), ids=PERIODICAL_ERRORS.keys())
def test_a_bad_periodical_toml_is_refused_naming_the_field_and_nothing_is_imported(tmp_path, periodical, expected):
    before = row_counts()

    message = import_error(periodical_bundle(tmp_path / "bundle", periodical), "--periodical")

    assert re.fullmatch(expected, message), message
    assert row_counts() == before and media_files() == []
    assert Periodical.load().name == PLACEHOLDER and standing_pages() == []
