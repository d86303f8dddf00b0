"""Word documents (authors' manuscripts, bundle bodies): what is accepted, what is counted, what is refused and how fast."""

import io
import random
import struct
import tracemalloc
import zipfile
from fractions import Fraction

import docx
import pytest
from PIL import Image

from articles import word
from articles.word import MAX_UPLOAD_BYTES, WordError, check_docx, docx_html, inspect_docx

NOT_DOCX = "文件不是 Word（.docx）文档。"
OLD_WORD = "这是旧版 Word（.doc）或 WPS 文档，请在 Word 或 WPS 中“另存为” .docx 后再上传。"
PDF = "PDF 文件不能作为稿件，请上传 Word（.docx）文档。"
DAMAGED = "文件已损坏，无法作为 Word（.docx）文档读取。请在 Word 中重新保存后再上传。"
MALFORMED = "文档内容已损坏（XML 格式错误），请在 Word 中重新保存为 .docx 后再上传。"
MACROS = "文件含有宏（.docm），为安全起见不能接收，请在 Word 中“另存为” .docx 后再上传。"
BOMB = "文件解压后的内容过大或结构异常（上限为 50 MB），不像是正常的 Word 文档。"
TOO_MUCH_XML = (
    "文档的文字和格式部分解压后超过 10 MB，远超一篇稿件的正常大小。请删去多余的内容或格式、或分成几个文件后再上传。"
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MB = 1024 * 1024


def png_bytes(*, color="red"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


def docx_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_manuscript(*, picture=True):
    """A manuscript with headings, paragraphs, a table, a picture, and text outside the body."""
    strings = {
        "headings": ["第一章　总则", "一、背景"],
        "paragraphs": ["你好，世界！　Hello 2024", "本刊创办于１９８６年（Vol. 3, No. 12）。"],
        "cells": ["甲", "乙 丙", "ＡＢＣ", "42"],
    }
    document = docx.Document()
    document.add_heading(strings["headings"][0], level=1)
    first = document.add_paragraph(strings["paragraphs"][0])
    document.add_heading(strings["headings"][1], level=2)
    document.add_paragraph(strings["paragraphs"][1])
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, strings["cells"]):
        cell.text = text
    if picture:
        document.add_picture(io.BytesIO(png_bytes()))
    document.sections[0].header.paragraphs[0].text = "页眉不计入字数"
    document.sections[0].footer.paragraphs[0].text = "页脚也不计入"
    document.add_comment(first.runs, text="批注同样不计入", author="编辑")
    return docx_bytes(document), strings


def rezip(data: bytes, *, replace=None, add=None) -> bytes:
    """`data` with some members' contents replaced and others added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def with_body(xml_body: str) -> bytes:
    """A python-docx file whose document.xml body is `xml_body`."""
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        f"<w:body>{xml_body}</w:body></w:document>"
    )
    return rezip(docx_bytes(docx.Document()), replace={"word/document.xml": document.encode()})


def with_inflated_member(name: str, *, size: int, byte=b" ", prefix=b"", suffix=b"") -> bytes:
    """A python-docx file whose member `name` is `size` repeated bytes, compressed chunk by chunk."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_bytes(docx.Document()))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info))
        with target.open(name, "w") as stream:
            stream.write(prefix)
            chunk = byte * MB
            for _ in range(size // MB):
                stream.write(chunk)
            stream.write(suffix)
    return out.getvalue()


def refusal_of(data: bytes, *, by=inspect_docx) -> str:
    """The error message for `data`, asserting the refusal took under 20 MB of memory (nothing was inflated).

    Memory, not time: it is the same on a loaded machine (benchmarks/word_bomb.py measures time).
    """
    tracemalloc.start()
    try:
        with pytest.raises(WordError) as caught:
            by(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"
    return str(caught.value)


def non_whitespace(strings) -> int:
    return sum(1 for text in strings for char in text if not char.isspace())


# What is accepted and counted


def test_counts_the_non_whitespace_characters_of_paragraphs_and_table_cells():
    data, strings = make_manuscript()

    manuscript = inspect_docx(data)

    body = strings["headings"][:1] + strings["paragraphs"][:1] + strings["headings"][1:] + strings["paragraphs"][1:]
    assert manuscript.char_count == non_whitespace(body + strings["cells"])
    assert manuscript.text == "\n".join(body + strings["cells"])
    assert "页眉" not in manuscript.text and "页脚" not in manuscript.text and "批注" not in manuscript.text


def test_chinese_full_width_punctuation_and_mixed_latin_digits_are_counted_whitespace_is_not():
    document = docx.Document()
    run = document.add_paragraph("你好，世界！　Hello 2024").runs[0]
    run.add_tab()
    run.add_text("“引号”\u3000\u3000——破折号……")
    run.add_break()
    run.add_text("  ")

    manuscript = inspect_docx(docx_bytes(document))

    # 你好，世界！ 6 + Hello 5 + 2024 4 + “引号” 4 + ——破折号…… 7; spaces, U+3000, tab and break are not counted
    assert manuscript.char_count == 26
    assert manuscript.text == "你好，世界！\u3000Hello 2024\t“引号”\u3000\u3000——破折号……"


def test_text_boxes_count_once_and_deleted_text_and_field_codes_not_at_all():
    box = "<w:txbxContent><w:p><w:r><w:t>框内文字</w:t></w:r></w:p></w:txbxContent>"
    data = with_body(
        "<w:p><w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs></w:pPr>"
        "<w:r><w:t>正文</w:t></w:r>"
        "<w:del><w:r><w:delText>删掉的字</w:delText></w:r></w:del>"
        "<w:r><w:instrText> PAGE </w:instrText></w:r>"
        f"<w:r><mc:AlternateContent><mc:Choice Requires='wps'>{box}</mc:Choice>"
        f"<mc:Fallback>{box}</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )

    manuscript = inspect_docx(data)

    assert manuscript.char_count == len("正文框内文字")
    assert manuscript.text == "正文框内文字"


def test_html_has_headings_table_and_stored_images():
    data, strings = make_manuscript()

    html, images = docx_html(data, image_folder="articles/images/submission-7")

    assert f"<h1>{strings['headings'][0]}</h1>" in html and f"<h2>{strings['headings'][1]}</h2>" in html
    assert "<table>" in html and "<td><p>ＡＢＣ</p></td>" in html
    assert list(images) == ["articles/images/submission-7/1.png"]
    assert '<img src="articles/images/submission-7/1.png">' in html
    with Image.open(io.BytesIO(images["articles/images/submission-7/1.png"])) as image:
        assert image.format == "PNG" and image.size == (40, 30)
    assert "批注" not in html and "页眉" not in html


def test_html_preview_leaves_images_out():
    data, _strings = make_manuscript()

    html, images = docx_html(data, image_folder=None)

    assert "<img" not in html and images == {}
    assert "<table>" in html


def test_html_stores_a_picture_used_twice_once():
    document = docx.Document()
    document.add_picture(io.BytesIO(png_bytes()))
    document.add_picture(io.BytesIO(png_bytes()))
    document.add_picture(io.BytesIO(png_bytes(color="blue")))

    html, images = docx_html(docx_bytes(document), image_folder="f")

    assert list(images) == ["f/1.png", "f/2.png"]
    assert html.count('src="f/1.png"') == 2 and html.count('src="f/2.png"') == 1


def test_html_refuses_a_broken_picture_saying_which():
    data, _strings = make_manuscript()
    data = rezip(data, replace={"word/media/image1.png": b"not a picture at all"})

    with pytest.raises(WordError) as caught:
        docx_html(data, image_folder="f")

    assert str(caught.value) == "第 1 张图片无法使用：无法识别的图片文件。请在 Word 中换成 PNG 或 JPEG 图片后再上传。"
    assert docx_html(data, image_folder=None)[1] == {}  # a preview does not look at pictures


# What is refused, by content rather than by name


@pytest.mark.parametrize(
    "data, message",
    [
        pytest.param(b"", "文件是空的。", id="empty"),
        pytest.param(b"MZ\x90\x00\x03" + bytes(200), NOT_DOCX, id="renamed exe"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8, OLD_WORD, id="old doc or wps"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", PDF, id="pdf"),
        pytest.param(random.Random(1).randbytes(4096), NOT_DOCX, id="random bytes"),
        pytest.param(
            b"{\\rtf1\\ansi\\ansicpg936 \\par}", "这是 RTF 文档，请在 Word 或 WPS 中“另存为” .docx 后再上传。", id="rtf"
        ),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le"),
            "文件设置了打开密码，请在 Word 中取消密码并保存为 .docx 后再上传。",
            id="password-protected docx",
        ),
    ],
)
def test_refuses_what_is_not_a_docx(data, message):
    assert refusal_of(data) == message


def test_refuses_a_program_with_a_docx_appended():
    data, _strings = make_manuscript()

    assert zipfile.is_zipfile(io.BytesIO(b"MZ" + data))  # what a check by zip structure alone would let in
    assert refusal_of(b"MZ" + data) == NOT_DOCX


def test_refuses_an_oversized_upload_saying_the_limit():
    assert refusal_of(b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES)) == "文件过大：上限为 10 MB。"


def test_refuses_a_truncated_docx():
    data, _strings = make_manuscript()

    assert refusal_of(data[: len(data) // 2]) == DAMAGED


def with_central_fields(data, name, **fields):
    """`data` with the central directory entry of `name` declaring other flag bits, compression, checksum or sizes."""
    offsets = {
        "flag_bits": (8, "<H"),
        "compress_type": (10, "<H"),
        "crc": (16, "<I"),
        "compress_size": (20, "<I"),
        "file_size": (24, "<I"),
    }
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.start_dir
    patched = bytearray(data)
    while patched[offset : offset + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", patched, offset + 28)
        if patched[offset + 46 : offset + 46 + name_length].decode() == name:
            for field, value in fields.items():
                position, layout = offsets[field]
                struct.pack_into(layout, patched, offset + position, value)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def test_refuses_a_docx_whose_document_fails_its_checksum():
    data = with_body("<w:p><w:r><w:t>" + "正文" * 2000 + "</w:t></w:r></w:p>")

    assert refusal_of(with_central_fields(data, "word/document.xml", crc=0)) == DAMAGED


def test_refuses_a_zip_that_is_not_a_word_document():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "稿件在这里")
    spreadsheet = rezip(
        make_manuscript()[0],
        replace={
            "[Content_Types].xml": (
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
            )
        },
    )

    assert refusal_of(out.getvalue()) == NOT_DOCX
    assert refusal_of(spreadsheet) == NOT_DOCX


def test_refuses_a_docx_without_its_main_document():
    data, _strings = make_manuscript()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info))

    assert refusal_of(out.getvalue()) == NOT_DOCX


@pytest.mark.parametrize(
    "content_type, message",
    [
        pytest.param("application/vnd.ms-word.document.macroEnabled.main+xml", MACROS, id="docm"),
        pytest.param(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
            "这是 Word 模板（.dotx），请在 Word 中“另存为” .docx 后再上传。",
            id="dotx",
        ),
    ],
)
def test_refuses_macro_enabled_documents_and_templates(content_type, message):
    data, _strings = make_manuscript()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        content_types = archive.read("[Content_Types].xml").decode()
    rewritten = content_types.replace(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", content_type
    )
    assert rewritten != content_types

    assert refusal_of(rezip(data, replace={"[Content_Types].xml": rewritten.encode()})) == message


@pytest.mark.parametrize(
    "document_xml",
    [
        pytest.param(b'<?xml version="1.0"?><w:document xmlns:w="' + W.encode() + b'"><w:body><w:p>', id="truncated"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<w:document xmlns:w="' + W.encode() + b'"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body>'
            b"</w:document>",
            id="entity expansion",
        ),
        pytest.param(b'<?xml version="1.0" encoding="no-such-encoding"?><a/>', id="unknown encoding"),
    ],
)
def test_refuses_malformed_document_xml(document_xml):
    data = rezip(make_manuscript()[0], replace={"word/document.xml": document_xml})

    assert refusal_of(data) == MALFORMED
    assert refusal_of(data, by=lambda data: docx_html(data, image_folder=None)) == MALFORMED


def test_damaged_bytes_anywhere_give_a_manuscript_error_and_nothing_else():
    data, _strings = make_manuscript()
    rng = random.Random(20240601)
    for _ in range(100):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        damaged = bytes(damaged[: rng.choice([len(damaged), rng.randrange(1, len(damaged))])])
        try:
            inspect_docx(damaged)
            docx_html(damaged, image_folder="f")
        except WordError:  # anything else fails the test: an upload must never cause a server error
            pass


# Zip bombs: refused from what the zip declares, or while streaming, never by inflating everything


def test_refuses_a_document_of_200_mb_of_spaces():
    bomb = with_inflated_member("word/document.xml", size=200 * MB)
    assert len(bomb) < 300 * 1024

    assert refusal_of(bomb) == BOMB
    assert refusal_of(bomb, by=lambda data: docx_html(data, image_folder="f")) == BOMB


def test_refuses_a_member_with_an_absurd_compression_ratio():
    bomb = with_inflated_member("word/media/image9.bmp", size=5 * MB, byte=b"\0")  # far below the total limit

    assert refusal_of(bomb) == BOMB


def test_refuses_many_members_that_add_up_past_the_limit():
    # Each member compresses 1000:1 but is too small for the ratio check; together they are 60 MB.
    bomb = rezip(docx_bytes(docx.Document()), add={f"word/media/pad{n}.bin": bytes(MB) for n in range(60)})

    assert refusal_of(bomb) == BOMB


def test_refuses_too_many_members():
    bomb = rezip(docx_bytes(docx.Document()), add={f"extra/{n}.xml": b"" for n in range(2001)})

    assert refusal_of(bomb) == BOMB


def test_refuses_more_xml_than_a_manuscript_needs_before_mammoth_would_parse_it():
    paragraphs = "".join(
        f"<w:p><w:pPr><w:jc w:val='both'/></w:pPr><w:r><w:t>第 {n} 段：{'中文稿件正文，测试字数统计。' * 5}</w:t></w:r></w:p>"
        for n in range(40_000)
    )
    data = with_body(paragraphs)  # 12 MB of XML at an ordinary compression ratio: no bomb, just too much
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("word/document.xml")
    assert info.file_size > 10 * MB and info.file_size < 100 * info.compress_size

    assert refusal_of(data) == TOO_MUCH_XML
    assert refusal_of(data, by=lambda data: docx_html(data, image_folder=None)) == TOO_MUCH_XML


def test_xml_under_another_name_counts_towards_the_limit(monkeypatch):
    empty = docx_bytes(docx.Document())
    with zipfile.ZipFile(io.BytesIO(empty)) as archive:
        xml_bytes = sum(info.file_size for info in archive.infolist() if info.filename.endswith((".xml", ".rels")))
    monkeypatch.setattr(word, "MAX_XML_BYTES", xml_bytes + 100_000)

    def styles(count):
        return b'<?xml version="1.0"?><w:styles xmlns:w="' + W.encode() + b'">' + b"<w:style/>" * count + b"</w:styles>"

    assert inspect_docx(rezip(empty, add={"word/media/image5.png": styles(5_000)}))
    message = refusal_of(rezip(empty, add={"word/media/image5.png": styles(20_000)}))
    assert message.startswith("文档的文字和格式部分解压后超过")


def test_refuses_a_zip_that_declares_small_sizes_but_inflates_far_more():
    prefix = b'<?xml version="1.0"?><w:document xmlns:w="' + W.encode() + b'"><w:body><w:p><w:r><w:t>'
    honest = with_inflated_member(
        "word/document.xml", size=80 * MB, prefix=prefix, suffix=b"</w:t></w:r></w:p></w:body></w:document>"
    )
    lying = with_central_fields(honest, "word/document.xml", file_size=4096)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 4096

    assert refusal_of(honest) == BOMB
    # zipfile stops at the declared size, and the checksum of what came out then fails.
    assert refusal_of(lying) == DAMAGED


# Hand-built packages: one crafted .docx per rule, small enough to check each limit at its edge

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = f"{R}/officeDocument"
CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
TEMPLATE = "这是 Word 模板（.dotx），请在 Word 中“另存为” .docx 后再上传。"


def content_types(*overrides, defaults=(("rels", "application/xml"), ("xml", "application/xml"), ("png", "image/png"))):
    """A [Content_Types].xml with the given Default (extension, type) and Override (part, type) entries."""
    return (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + "".join(f'<Default Extension="{extension}" ContentType="{kind}"/>' for extension, kind in defaults)
        + "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides)
        + "</Types>"
    ).encode()


def relationships(*relations):
    """A relationships part with the given (type, target) entries, in order; a None target is left out."""
    entries = "".join(
        f'<Relationship Id="rId{n}" Type="{kind}"' + (f' Target="{target}"' if target is not None else "") + "/>"
        for n, (kind, target) in enumerate(relations, start=1)
    )
    return (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{entries}</Relationships>"
    ).encode()


def document_xml(body="<w:p><w:r><w:t>正文</w:t></w:r></w:p>"):
    return (
        f'<?xml version="1.0"?><w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body}</w:body></w:document>'
    ).encode()


def docx_parts(*, body="<w:p><w:r><w:t>正文</w:t></w:r></w:p>"):
    """The three parts a minimal .docx needs, by name, for a test to change before zipping."""
    return {
        "[Content_Types].xml": content_types(("/word/document.xml", WORD_MAIN)),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": document_xml(body),
    }


def zipped(parts, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def picture_body(*, relationship="rId1", how="embed"):
    """A paragraph holding a picture, embedded in the package or linked to a file elsewhere."""
    return (
        '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:docPr id="1" name="图片"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:blipFill><a:blip r:{how}="{relationship}"/></pic:blipFill></pic:pic></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r></w:p>"
    )


def with_pictures(*names):
    """Minimal parts whose document shows a picture for each name, each one stored at word/media/<name>."""
    parts = docx_parts(body="".join(picture_body(relationship=f"rId{n}") for n in range(1, len(names) + 1)))
    parts["word/_rels/document.xml.rels"] = relationships(*((f"{R}/image", f"media/{name}") for name in names))
    return parts


def member_sizes(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: (info.file_size, info.compress_size) for info in archive.infolist()}


def as_html(data):
    return docx_html(data, image_folder="f")


def test_a_hand_built_docx_is_accepted_read_and_converted():
    data = zipped(docx_parts())

    assert inspect_docx(data) == word.WordText(char_count=2, text="正文")
    assert docx_html(data, image_folder="f") == ("<p>正文</p>", {})


def test_without_package_relationships_the_main_document_is_word_document_xml():
    parts = docx_parts()
    del parts["_rels/.rels"]

    assert inspect_docx(zipped(parts)).text == "正文"
    assert as_html(zipped(parts))[0] == "<p>正文</p>"


def test_without_content_types_a_zip_is_not_a_docx():
    parts = docx_parts()
    del parts["[Content_Types].xml"]

    assert refusal_of(zipped(parts)) == NOT_DOCX


def test_the_main_document_is_found_where_the_package_relationships_point():
    parts = docx_parts(body="<w:p><w:r><w:t>不是这一篇</w:t></w:r></w:p>")
    parts["Xinwen/main.xml"] = document_xml("<w:p><w:r><w:t>真正的正文</w:t></w:r></w:p>")
    parts["[Content_Types].xml"] = content_types(("/word/document.xml", WORD_MAIN), ("/Xinwen/main.xml", WORD_MAIN))
    parts["_rels/.rels"] = relationships(
        (OFFICE_DOCUMENT, "word/missing.xml"),  # a relationship to a part that is not there is passed over
        (OFFICE_DOCUMENT, "/Xinwen/main.xml"),  # the first one there wins; only its leading slash is dropped
        (OFFICE_DOCUMENT, "word/document.xml"),
    )
    data = zipped(parts)

    assert inspect_docx(data).text == "真正的正文"
    assert as_html(data)[0] == "<p>真正的正文</p>"


@pytest.mark.parametrize(
    "part, xml",
    [
        pytest.param("_rels/.rels", relationships((CORE_PROPERTIES, None), (OFFICE_DOCUMENT, "word/document.xml")),
                     id="relationship without Target"),
        pytest.param("_rels/.rels", relationships((OFFICE_DOCUMENT, "word/document.xml")).replace(b' Id="rId1"', b""),
                     id="relationship without Id"),
        pytest.param("_rels/.rels", relationships((OFFICE_DOCUMENT, "word/document.xml")).replace(b" Type=", b" T="),
                     id="relationship without Type"),
        pytest.param("[Content_Types].xml", content_types(("/word/document.xml", WORD_MAIN)).replace(
            b'<Default Extension="png" ContentType="image/png"/>', b'<Default Extension="png"/>'),
                     id="Default without ContentType"),
        pytest.param("[Content_Types].xml", content_types(("/word/document.xml", WORD_MAIN)).replace(
            b'<Default Extension="png" ContentType="image/png"/>', b'<Default ContentType="image/png"/>'),
                     id="Default without Extension"),
        pytest.param("[Content_Types].xml", content_types(("/word/document.xml", WORD_MAIN), ("/x.xml", "a/b")).replace(
            b' ContentType="a/b"', b""),
                     id="Override without ContentType"),
        pytest.param("[Content_Types].xml", content_types(("/word/document.xml", WORD_MAIN), ("/x.xml", "a/b")).replace(
            b'PartName="/x.xml" ', b""),
                     id="Override without PartName"),
    ],
)  # fmt: skip
def test_a_package_entry_mammoth_cannot_read_is_refused_at_upload(part, xml):
    """mammoth fails with a KeyError on such an entry: the author hears of it at once, not at acceptance."""
    assert as_html(zipped(docx_parts())) == ("<p>正文</p>", {})  # the same package, whole, is fine
    parts = docx_parts()
    parts[part] = xml
    assert refusal_of(zipped(parts)) == DAMAGED


@pytest.mark.parametrize(
    "content_type, message",
    [
        pytest.param("application/vnd.ms-word.document.macroEnabled.main+xml", MACROS, id="docm"),
        pytest.param("application/vnd.ms-word.template.macroEnabledTemplate.main+xml", MACROS, id="dotm"),
        pytest.param(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", TEMPLATE, id="dotx"
        ),
    ],
)
def test_a_macro_enabled_main_document_behind_the_package_relationships_is_refused(content_type, message):
    # A harmless word/document.xml is there too, as a decoy for a check that does not follow the relationships.
    parts = docx_parts()
    parts["word/macros.xml"] = document_xml()
    parts["[Content_Types].xml"] = content_types(("/word/document.xml", WORD_MAIN), ("/word/macros.xml", content_type))
    parts["_rels/.rels"] = relationships(
        (CORE_PROPERTIES, "word/document.xml"),
        (OFFICE_DOCUMENT, "/word/macros.xml"),
        (OFFICE_DOCUMENT, "word/document.xml"),
    )
    data = zipped(parts)

    assert refusal_of(data) == message
    assert refusal_of(data, by=as_html) == message


@pytest.mark.parametrize(
    "defaults, overrides",
    [
        pytest.param((("XML", WORD_MAIN),), (), id="by extension, in capitals"),
        pytest.param((("xml", "application/xml"),), (("/WORD/Document.XML", WORD_MAIN),), id="by part, in capitals"),
    ],
)
def test_the_main_documents_content_type_is_matched_ignoring_case(defaults, overrides):
    parts = docx_parts()
    parts["[Content_Types].xml"] = content_types(*overrides, defaults=defaults)

    assert inspect_docx(zipped(parts)).text == "正文"


@pytest.mark.parametrize("part", ["word/document.xml", "_rels/.rels", "[Content_Types].xml", "word/styles.xml"])
def test_a_doctype_is_refused_in_any_part_even_without_entities(part):
    parts = docx_parts()
    parts["word/styles.xml"] = f'<?xml version="1.0"?><w:styles xmlns:w="{W}"/>'.encode()
    parts[part] = parts[part].replace(b"?>", b"?><!DOCTYPE anything>", 1)

    assert refusal_of(zipped(parts)) == MALFORMED


@pytest.mark.parametrize("member", ["word/document.xml", "_rels/.rels", "[Content_Types].xml", "word/media/1.png"])
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param({"flag_bits": 0x1}, id="encrypted"),
        pytest.param({"compress_type": 99}, id="AES-encrypted, an unknown method"),
        pytest.param({"compress_size": 20}, id="truncated stream"),
    ],
)
def test_encrypted_or_truncated_members_give_a_damaged_file_error(member, damage):
    parts = with_pictures("1.png")
    parts["word/media/1.png"] = png_bytes()
    data = with_central_fields(zipped(parts), member, **damage)

    assert refusal_of(data) == DAMAGED
    assert refusal_of(data, by=as_html) == DAMAGED


def test_a_picture_that_fails_its_checksum_is_refused():
    parts = with_pictures("1.png")
    parts["word/media/1.png"] = png_bytes()

    assert refusal_of(with_central_fields(zipped(parts), "word/media/1.png", crc=0)) == DAMAGED


def test_a_corrupt_deflate_stream_is_refused():
    parts = docx_parts(body="<w:p><w:r><w:t>" + "稿件正文" * 500 + "</w:t></w:r></w:p>")
    data = bytearray(zipped(parts))
    start = data.index(b"word/document.xml") + len("word/document.xml")  # the first local header's data follows
    data[start + 40 : start + 60] = bytes(range(20))

    assert refusal_of(bytes(data)) == DAMAGED


def test_empty_binary_members_and_directories_are_not_read_as_xml():
    parts = docx_parts()
    parts["word/media/empty.bin"] = b""
    parts["word/media/"] = b"<not xml"  # a directory entry: nothing reads it, whatever it holds

    assert inspect_docx(zipped(parts)).text == "正文"


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(b"<", id="tag"),
        pytest.param(b" <", id="space"),
        pytest.param(b"\t<", id="tab"),
        pytest.param(b"\r\n<", id="CR"),
        pytest.param(b"\n<", id="LF"),
        pytest.param(b"\xef\xbb\xbf<", id="UTF-8 BOM"),
        pytest.param("\ufeff<".encode("utf-16-le"), id="UTF-16-LE BOM"),
        pytest.param("\ufeff<".encode("utf-16-be"), id="UTF-16-BE BOM"),
        pytest.param("<".encode("utf-16-be"), id="UTF-16 without BOM"),
    ],
)
def test_xml_under_a_picture_name_is_recognised_by_its_start_and_must_be_well_formed(start):
    parts = docx_parts()
    parts["word/media/image1.png"] = start + b"broken"

    assert refusal_of(zipped(parts)) == MALFORMED


# Each limit at its edge and one past it


def test_an_upload_exactly_at_the_size_limit_is_looked_at_one_byte_more_is_not():
    at_limit = b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES - 4)

    assert refusal_of(at_limit) == DAMAGED
    assert refusal_of(at_limit + b"\0") == "文件过大：上限为 10 MB。"


def test_the_size_limit_can_be_set_per_call():
    data = zipped(docx_parts())

    assert inspect_docx(data, max_bytes=len(data)).text == "正文"
    assert docx_html(data, image_folder=None, max_bytes=len(data))[0] == "<p>正文</p>"
    assert refusal_of(data, by=lambda data: inspect_docx(data, max_bytes=len(data) - 1)).startswith("文件过大")
    message = refusal_of(data, by=lambda data: docx_html(data, image_folder=None, max_bytes=len(data) - 1))
    assert message.startswith("文件过大")


def test_a_directory_claiming_more_members_than_the_limit_is_refused_before_it_is_read():
    # Only the entries' signatures are there, so a zip reader would call the file damaged.
    assert refusal_of(b"PK\x03\x04" + b"PK\x01\x02" * word.MAX_MEMBERS) == DAMAGED
    assert refusal_of(b"PK\x03\x04" + b"PK\x01\x02" * (word.MAX_MEMBERS + 1)) == BOMB


def assert_accepted_at_and_refused_past(monkeypatch, data, limit, value, *, refused):
    """`data` passes with the limit `limit` at `value`, and is refused (the message starting so) at one less."""
    monkeypatch.setattr(word, limit, value)
    assert inspect_docx(data).text == "正文"
    monkeypatch.setattr(word, limit, value - 1)
    assert refusal_of(data).startswith(refused)


def test_a_docx_with_exactly_the_most_members_is_accepted_one_more_is_not(monkeypatch):
    data = zipped(docx_parts())
    monkeypatch.setattr(word, "MAX_MEMBERS", 3)

    assert inspect_docx(data).text == "正文"
    monkeypatch.setattr(word, "MAX_MEMBERS", 2)
    assert refusal_of(data) == BOMB


def test_members_declaring_exactly_the_most_in_total_are_accepted_one_byte_more_is_not(monkeypatch):
    data = zipped(docx_parts())
    total = sum(size for size, _compressed in member_sizes(data).values())

    assert_accepted_at_and_refused_past(
        monkeypatch, data, "MAX_UNCOMPRESSED_BYTES", total, refused="文件解压后的内容过大或结构异常"
    )


def with_padding(size):
    """Minimal parts plus a picture-named member of `size` bytes that compresses far better than 200:1."""
    parts = docx_parts()
    parts["word/media/pad.bin"] = b"x" * size
    return zipped(parts)


def test_the_compression_ratio_is_checked_only_from_a_members_size_on(monkeypatch):
    data = with_padding(300_000)
    size, compressed = member_sizes(data)["word/media/pad.bin"]
    assert size > word.MAX_COMPRESSION_RATIO * compressed

    assert_accepted_at_and_refused_past(monkeypatch, data, "RATIO_CHECKED_FROM_BYTES", size, refused=BOMB)


def test_a_member_exactly_at_the_most_compression_is_accepted_one_byte_more_is_not(monkeypatch):
    data = with_padding(300_000)
    size, compressed = member_sizes(data)["word/media/pad.bin"]
    monkeypatch.setattr(word, "RATIO_CHECKED_FROM_BYTES", 0)

    # Exact fractions put the limit on the byte: at most `size` bytes, then at most `size - 1`.
    monkeypatch.setattr(word, "MAX_COMPRESSION_RATIO", Fraction(size, compressed))
    assert inspect_docx(data).text == "正文"
    monkeypatch.setattr(word, "MAX_COMPRESSION_RATIO", Fraction(size - 1, compressed))
    assert refusal_of(data) == BOMB


@pytest.mark.parametrize("part", ["[Content_Types].xml", "_rels/.rels"])
def test_a_package_part_exactly_at_its_limit_is_accepted_one_byte_more_is_not(monkeypatch, part):
    parts = docx_parts()
    parts[part] = parts[part].replace(b"?>", b"?>" + b" " * 100_000, 1)  # the larger of the two, in two chunks
    data = zipped(parts)
    size = member_sizes(data)[part][0]

    assert_accepted_at_and_refused_past(monkeypatch, data, "MAX_PACKAGE_PART_BYTES", size, refused=BOMB)


def xml_bytes_declared(data):
    return sum(size for name, (size, _compressed) in member_sizes(data).items() if name.endswith((".xml", ".rels")))


def test_xml_declaring_exactly_the_most_in_total_is_accepted_one_byte_more_is_not(monkeypatch):
    data = zipped(docx_parts())
    total = xml_bytes_declared(data)

    assert_accepted_at_and_refused_past(
        monkeypatch, data, "MAX_XML_BYTES", total, refused="文档的文字和格式部分解压后超过"
    )


def test_xml_found_by_content_is_counted_as_it_streams_out_up_to_exactly_the_limit(monkeypatch):
    parts = docx_parts()
    styles = f'<?xml version="1.0"?><w:styles xmlns:w="{W}">'.encode() + b"<w:style/>" * 100 + b"</w:styles>"
    parts["word/media/image5.png"] = styles  # its name hides it from the declared sizes
    data = zipped(parts)
    total = xml_bytes_declared(data) + len(styles)

    assert_accepted_at_and_refused_past(
        monkeypatch, data, "MAX_XML_BYTES", total, refused="文档的文字和格式部分解压后超过"
    )


@pytest.mark.parametrize("member", ["word/styles.xml", "word/_rels/document.xml.rels"])
def test_xml_is_refused_from_its_declared_sizes_before_anything_is_inflated(monkeypatch, member):
    parts = docx_parts()
    parts["word/styles.xml"] = f'<?xml version="1.0"?><w:styles xmlns:w="{W}"/>'.encode()
    parts["word/_rels/document.xml.rels"] = relationships()
    honest = zipped(parts)
    monkeypatch.setattr(word, "MAX_XML_BYTES", xml_bytes_declared(honest) + 100_000)
    lying = with_central_fields(honest, member, file_size=200_000)  # inflating it would fail its checksum

    assert inspect_docx(honest).text == "正文"
    assert refusal_of(lying).startswith("文档的文字和格式部分解压后超过")


# Text and character count, read as mammoth reads it


def test_chinese_indentation_is_kept_trailing_spaces_and_blank_lines_are_not():
    data = zipped(
        docx_parts(
            body="<w:p><w:r><w:t xml:space='preserve'>\u3000\u3000第一段，  </w:t></w:r></w:p>"
            "<w:p><w:r><w:t xml:space='preserve'>   </w:t></w:r></w:p><w:p/>"
            "<w:p><w:r><w:t>上行</w:t><w:cr/><w:t>下行</w:t><w:br/><w:t>再下行</w:t></w:r></w:p>"
        )
    )

    manuscript = inspect_docx(data)

    assert manuscript.text == "\u3000\u3000第一段，\n上行\n下行\n再下行"
    assert manuscript.char_count == len("第一段，上行下行再下行")


def test_breaks_and_tabs_outside_a_run_add_nothing():
    data = zipped(
        docx_parts(
            body="<w:p><w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs><w:rPr><w:br/><w:cr/></w:rPr></w:pPr>"
            "<w:r><w:t>甲</w:t></w:r><w:r><w:tab/><w:t>乙</w:t></w:r></w:p>"
        )
    )

    assert inspect_docx(data).text == "甲\t乙"


def test_text_of_a_nested_choice_is_skipped_to_its_end():
    data = zipped(
        docx_parts(
            body="<w:p><w:r><mc:AlternateContent xmlns:mc='http://schemas.openxmlformats.org/markup-compatibility/2006'>"
            "<mc:Choice Requires='wps'><w:r><w:t>选择</w:t><w:tab/><w:br/></w:r><w:p/></mc:Choice>"
            "<mc:Fallback><w:t>备选</w:t></mc:Fallback></mc:AlternateContent><w:t>之后</w:t></w:r></w:p>"
        )
    )

    assert inspect_docx(data).text == "备选之后"


def test_text_outside_w_t_is_not_counted():
    data = zipped(docx_parts(body="<w:p><w:r><w:t>正文</w:t>不在文字元素里<w:instrText>PAGE</w:instrText></w:r></w:p>"))

    assert inspect_docx(data) == word.WordText(char_count=2, text="正文")


def test_text_inside_nested_text_elements_is_read_to_the_end_as_mammoth_reads_it():
    data = zipped(docx_parts(body="<w:p><w:r><w:t>甲<w:t>乙</w:t>丙</w:t></w:r></w:p>"))

    assert inspect_docx(data).text == "甲乙丙"
    assert as_html(data)[0] == "<p>甲乙丙</p>"


def test_elements_of_a_namespace_merely_named_like_a_prefix_are_not_word_text():
    data = zipped(docx_parts(body='<w:p><w:r xmlns:x="w"><x:t>伪</x:t><w:t>真</w:t></w:r></w:p>'))

    assert inspect_docx(data) == word.WordText(char_count=1, text="真")
    assert as_html(data)[0] == "<p>真</p>"


MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def declaring_x(part: bytes) -> bytes:
    """A package part whose root declares the prefix x for another namespace."""
    head, tail = part.split(b'">', 1)  # the root's start tag ends after its namespace declaration
    return head + b'" xmlns:x="urn:example">' + tail


# mammoth reads only plain attributes, and so does the check: x:PartName and x:Target are other attributes.


def test_a_namespaced_part_name_does_not_hide_a_macro_enabled_main_document():
    parts = docx_parts()
    parts["[Content_Types].xml"] = declaring_x(content_types(("/word/document.xml", MACRO_MAIN))).replace(
        b"</Types>",
        f'<Override PartName="/word/other.xml" x:PartName="/word/document.xml" ContentType="{WORD_MAIN}"/></Types>'.encode(),
    )

    assert refusal_of(zipped(parts)) == MACROS


def test_a_namespaced_target_does_not_hide_a_macro_enabled_main_document():
    parts = docx_parts()
    parts["word/macros.xml"] = document_xml()
    parts["[Content_Types].xml"] = content_types(("/word/document.xml", WORD_MAIN), ("/word/macros.xml", MACRO_MAIN))
    parts["_rels/.rels"] = declaring_x(relationships((OFFICE_DOCUMENT, "word/macros.xml"))).replace(
        b"<Relationship ",
        f'<Relationship Id="rId9" Type="{OFFICE_DOCUMENT}" Target="word/missing.xml" x:Target="word/document.xml"/>'.encode()
        + b"<Relationship ",
        1,
    )

    assert refusal_of(zipped(parts)) == MACROS


# Conversion to HTML: pictures and what mammoth itself refuses


@pytest.mark.parametrize(
    "folder, name",
    [pytest.param("", "1.png", id="no folder"), pytest.param("bundles/DOCX/", "bundles/DOCX/1.png", id="slash")],
)
def test_pictures_are_named_inside_the_folder_given(folder, name):
    parts = with_pictures("a.png")
    parts["word/media/a.png"] = png_bytes()

    html, images = docx_html(zipped(parts), image_folder=folder)

    assert list(images) == [name] and f'<img src="{name}">' in html


def test_a_missing_picture_is_named_by_its_position():
    parts = with_pictures("1.png", "2.png")
    parts["word/media/1.png"] = png_bytes()  # the second picture's part is not in the package

    assert refusal_of(zipped(parts), by=as_html) == "第 2 张图片已损坏。"
    assert docx_html(zipped(parts), image_folder=None)[1] == {}


def test_the_upload_check_runs_the_whole_conversion_that_the_text_check_alone_lets_through(monkeypatch):
    garbage = with_pictures("a.png")
    garbage["word/media/a.png"] = b"not a picture"
    data = zipped(garbage)
    assert inspect_docx(data) == word.WordText(char_count=0, text="")  # the package itself is fine
    assert refusal_of(data, by=check_docx).startswith("第 1 张图片无法使用：")

    good = zipped(with_pictures("a.png") | {"word/media/a.png": png_bytes()})
    assert check_docx(good) == word.WordText(char_count=0, text="")
    assert refusal_of(good, by=lambda data: check_docx(data, max_bytes=len(good) - 1)).startswith("文件过大")


def test_the_upload_check_takes_the_callers_size_limit_for_both_steps():
    # Past the upload limit, within the bundles' one: bytes nothing refers to, stored as they are. Not
    # random: one part in 43 would begin with a byte that may start XML (<, whitespace, NUL), be read as
    # XML and refuse the file as damaged — the test failed now and then.
    filler = bytes((byte + 128) % 256 for byte in range(256)) * (MAX_UPLOAD_BYTES // 256 + 8)
    parts = docx_parts() | {"word/media/unused.bin": filler}
    data = zipped(parts, compression=zipfile.ZIP_STORED)
    assert refusal_of(data, by=check_docx).startswith("文件过大：上限为 10 MB")
    assert check_docx(data, max_bytes=word.MAX_UNCOMPRESSED_BYTES) == word.WordText(char_count=2, text="正文")


def test_a_picture_linked_to_the_authors_computer_is_refused_saying_which():
    parts = docx_parts(body=picture_body(relationship="rId1", how="link"))
    parts["word/_rels/document.xml.rels"] = relationships((f"{R}/image", "file:///C:/Users/作者/图片.png")).replace(
        b"/>", b' TargetMode="External"/>'
    )

    assert refusal_of(zipped(parts), by=as_html) == (
        "第 1 张图片只是链接到了作者电脑上的文件，没有嵌入文档。请在 Word 中插入图片本身后再上传。"
    )


def test_a_document_mammoth_cannot_read_is_refused_with_its_reason():
    parts = docx_parts()
    parts["word/document.xml"] = f'<?xml version="1.0"?><w:document xmlns:w="{W}"/>'.encode()

    assert inspect_docx(zipped(parts)).text == ""
    assert refusal_of(zipped(parts), by=as_html) == (
        "无法读取 Word 文档（Could not find the body element: are you sure this is a docx file?）。"
        "请在 Word 中重新保存为 .docx 后再上传。"
    )
