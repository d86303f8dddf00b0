"""Word documents (authors' manuscripts, bundle bodies): what is accepted, what is counted, what is refused and how fast."""

import io
import random
import struct
import time
import tracemalloc
import zipfile

import docx
import pytest
from PIL import Image

from articles import word
from articles.word import MAX_UPLOAD_BYTES, WordError, docx_html, inspect_docx

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
    with zipfile.ZipFile(io.BytesIO(docx_bytes(docx.Document()))) as source:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
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


def with_central_entry(data: bytes, name: str, *, crc: int | None = None, file_size: int | None = None) -> bytes:
    """`data` with the central directory entry of `name` declaring another checksum or inflated size."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.start_dir
    patched = bytearray(data)
    while patched[offset : offset + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", patched, offset + 28)
        if patched[offset + 46 : offset + 46 + name_length].decode() == name:
            if crc is not None:
                struct.pack_into("<I", patched, offset + 16, crc)
            if file_size is not None:
                struct.pack_into("<I", patched, offset + 24, file_size)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def refused_quickly(data: bytes, *, by=inspect_docx) -> str:
    """The error message for `data`, asserting it came in well under a second and 20 MB of memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(WordError) as caught:
            by(data)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5, f"took {elapsed:.2f} s"
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
    assert refused_quickly(data) == message


def test_refuses_a_program_with_a_docx_appended():
    data, _strings = make_manuscript()

    assert zipfile.is_zipfile(io.BytesIO(b"MZ" + data))  # what a check by zip structure alone would let in
    assert refused_quickly(b"MZ" + data) == NOT_DOCX


def test_refuses_an_oversized_upload_saying_the_limit():
    assert refused_quickly(b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES)) == "文件过大：上限为 10 MB。"


def test_refuses_a_truncated_docx():
    data, _strings = make_manuscript()

    assert refused_quickly(data[: len(data) // 2]) == DAMAGED


def test_refuses_a_docx_whose_document_fails_its_checksum():
    data = with_body("<w:p><w:r><w:t>" + "正文" * 2000 + "</w:t></w:r></w:p>")

    assert refused_quickly(with_central_entry(data, "word/document.xml", crc=0)) == DAMAGED


def test_refuses_a_zip_that_is_not_a_word_document():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "稿件在这里")
    spreadsheet = rezip(
        make_manuscript()[0],
        replace={
            "[Content_Types].xml": (
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
            ).encode()
        },
    )

    assert refused_quickly(out.getvalue()) == NOT_DOCX
    assert refused_quickly(spreadsheet) == NOT_DOCX


def test_refuses_a_docx_without_its_main_document():
    data, _strings = make_manuscript()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info))

    assert refused_quickly(out.getvalue()) == NOT_DOCX


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

    assert refused_quickly(rezip(data, replace={"[Content_Types].xml": rewritten.encode()})) == message


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

    assert refused_quickly(data) == MALFORMED
    assert refused_quickly(data, by=lambda data: docx_html(data, image_folder=None)) == MALFORMED


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

    assert refused_quickly(bomb) == BOMB
    assert refused_quickly(bomb, by=lambda data: docx_html(data, image_folder="f")) == BOMB


def test_refuses_a_member_with_an_absurd_compression_ratio():
    bomb = with_inflated_member("word/media/image9.bmp", size=5 * MB, byte=b"\0")  # far below the total limit

    assert refused_quickly(bomb) == BOMB


def test_refuses_many_members_that_add_up_past_the_limit():
    # Each member compresses 1000:1 but is too small for the ratio check; together they are 60 MB.
    bomb = rezip(docx_bytes(docx.Document()), add={f"word/media/pad{n}.bin": bytes(MB) for n in range(60)})

    assert refused_quickly(bomb) == BOMB


def test_refuses_too_many_members():
    bomb = rezip(docx_bytes(docx.Document()), add={f"extra/{n}.xml": b"" for n in range(2001)})

    assert refused_quickly(bomb) == BOMB


def test_refuses_more_xml_than_a_manuscript_needs_before_mammoth_would_parse_it():
    paragraphs = "".join(
        f"<w:p><w:pPr><w:jc w:val='both'/></w:pPr><w:r><w:t>第 {n} 段：{'中文稿件正文，测试字数统计。' * 5}</w:t></w:r></w:p>"
        for n in range(40_000)
    )
    data = with_body(paragraphs)  # 12 MB of XML at an ordinary compression ratio: no bomb, just too much
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("word/document.xml")
    assert info.file_size > 10 * MB and info.file_size < 100 * info.compress_size

    assert refused_quickly(data) == TOO_MUCH_XML
    assert refused_quickly(data, by=lambda data: docx_html(data, image_folder=None)) == TOO_MUCH_XML


def test_xml_under_another_name_counts_towards_the_limit(monkeypatch):
    empty = docx_bytes(docx.Document())
    with zipfile.ZipFile(io.BytesIO(empty)) as archive:
        xml_bytes = sum(info.file_size for info in archive.infolist() if info.filename.endswith((".xml", ".rels")))
    monkeypatch.setattr(word, "MAX_XML_BYTES", xml_bytes + 100_000)

    def styles(count):
        return b'<?xml version="1.0"?><w:styles xmlns:w="' + W.encode() + b'">' + b"<w:style/>" * count + b"</w:styles>"

    assert inspect_docx(rezip(empty, add={"word/media/image5.png": styles(5_000)}))
    message = refused_quickly(rezip(empty, add={"word/media/image5.png": styles(20_000)}))
    assert message.startswith("文档的文字和格式部分解压后超过")


def test_refuses_a_zip_that_declares_small_sizes_but_inflates_far_more():
    prefix = b'<?xml version="1.0"?><w:document xmlns:w="' + W.encode() + b'"><w:body><w:p><w:r><w:t>'
    honest = with_inflated_member(
        "word/document.xml", size=80 * MB, prefix=prefix, suffix=b"</w:t></w:r></w:p></w:body></w:document>"
    )
    lying = with_central_entry(honest, "word/document.xml", file_size=4096)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 4096

    assert refused_quickly(honest) == BOMB
    # zipfile stops at the declared size, and the checksum of what came out then fails.
    assert refused_quickly(lying) == DAMAGED
