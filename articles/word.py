"""The one guarded Word (.docx) converter: manuscripts uploaded by authors, accepted
manuscripts turned into articles, and .docx bodies of issue bundles all go through it.

A file is judged by its content, never by its name: old Word/WPS files, PDFs, programs,
damaged zips, macro-enabled documents and zip bombs are refused with a message the author
can act on. The zip is never decompressed blindly: declared sizes are checked first, and
then every member is streamed in bounded chunks, so damage (a checksum, a broken XML part)
shows when the author uploads, not later when mammoth converts the accepted manuscript.

mammoth holds each XML part as a DOM: about 1.7 s and 45 MB of memory per MB of XML. So
the XML parts together are held to MAX_XML_BYTES, which a long article does not come near.
"""

import io
import itertools
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from xml.parsers import expat

import mammoth
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from mammoth.docx.files import InvalidFileReferenceError

from articles.sanitize import sanitize_html
from articles.tables import WordTables, WordTableStyles, with_word_header_rows
from issues.images import web_image

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # all members together, pictures included
MAX_XML_BYTES = 10 * 1024 * 1024  # all XML parts together, declared and as they stream out
MAX_MEMBERS = 2000
MAX_COMPRESSION_RATIO = 200  # XML of real documents compresses 5–30:1; deflate tops out near 1000:1
RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # small members may compress absurdly well without harm
MAX_PACKAGE_PART_BYTES = 1024 * 1024  # [Content_Types].xml and _rels/.rels are a few hundred bytes

_CHUNK = 64 * 1024

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
WORD_MACRO_MAINS = {
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
}
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_PREFIXES = {  # namespace -> the prefix this module matches on (transitional and strict OOXML)
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main": "w",
    "http://purl.oclc.org/ooxml/wordprocessingml/main": "w",
    "http://schemas.openxmlformats.org/markup-compatibility/2006": "mc",
    "http://schemas.openxmlformats.org/package/2006/content-types": "ct",
    "http://schemas.openxmlformats.org/package/2006/relationships": "rel",
}
# What the zip and the deflate stream raise for damaged or crafted archives.
_DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError)


class WordError(Exception):
    """Why a file cannot be used as a Word document, in words for its author or editor."""


@dataclass(frozen=True)
class WordText:
    """What a checked .docx says: its body text and how many characters it has."""

    char_count: int  # non-whitespace characters of the body, tables included
    text: str  # paragraphs and table cells on separate lines, blank ones left out


def inspect_docx(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> WordText:
    """The text and character count of a .docx, or WordError saying why it is not one."""
    with _opened_docx(data, max_bytes) as (archive, main_part):
        xml_budget = _XmlBudget()
        text = _body_text(xml_budget.spend(_bounded_chunks(archive, main_part)))
        for info in archive.infolist():
            if info is not main_part and not info.is_dir():
                _check_readable(archive, info, xml_budget)
    return WordText(char_count=len("".join(text.split())), text=text)


def check_docx(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> WordText:
    """What `inspect_docx` says, once the whole conversion, pictures included, went through too.

    For uploads: what acceptance will later do to the manuscript fails now, in front of its
    author, rather than in front of the editor.
    """
    text = inspect_docx(data, max_bytes=max_bytes)
    _converted(data, image_folder="")
    return text


def docx_html(
    data: bytes, *, image_folder: str | None, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[str, dict[str, bytes]]:
    """The sanitised HTML of a .docx and its images as {storage name: bytes}.

    Headings, lists and tables follow mammoth's default style map (“Heading 1” → h1 …).
    With `image_folder` None the images are left out (a preview); otherwise each is checked
    with `web_image` and named `{image_folder}/{n}.{ext}` (`{n}.{ext}` for ""), and its <img src> is exactly
    that name, which the caller swaps for a media URL once the file is stored.
    """
    inspect_docx(data, max_bytes=max_bytes)  # every guard runs before mammoth, which reads the zip without limits
    return _converted(data, image_folder=image_folder)


def _converted(data: bytes, *, image_folder: str | None) -> tuple[str, dict[str, bytes]]:
    """`docx_html` for a .docx that `inspect_docx` has passed."""
    images: dict[str, bytes] = {}
    names_by_content: dict[bytes, str] = {}  # a picture pasted twice is stored once
    position = 0

    def image_src(image):
        nonlocal position
        position += 1
        try:
            with image.open() as stream:
                content = stream.read()
        except InvalidFileReferenceError:
            raise WordError(
                _("第 %(n)d 张图片只是链接到了作者电脑上的文件，没有嵌入文档。请在 Word 中插入图片本身后再上传。")
                % {"n": position}
            )
        except _DAMAGED_ZIP + (KeyError,):  # KeyError: the relationship points at a missing part
            raise WordError(_("第 %(n)d 张图片已损坏。") % {"n": position})
        if content not in names_by_content:
            try:
                file_name, converted = web_image(content, str(len(images) + 1))
            except ValidationError as error:
                raise WordError(
                    _("第 %(n)d 张图片无法使用：%(error)s请在 Word 中换成 PNG 或 JPEG 图片后再上传。")
                    % {"n": position, "error": " ".join(error.messages)}
                )
            names_by_content[content] = f"{image_folder.rstrip('/')}/{file_name}" if image_folder else file_name
            images[names_by_content[content]] = converted
        return {"src": names_by_content[content]}

    # mammoth's image converters return the HTML nodes to put in the image's place: none drops it.
    convert_image = mammoth.images.img_element(image_src) if image_folder is not None else lambda image: []
    looks = _table_header_looks(data)
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            convert_image=convert_image,
            transform_document=lambda document: with_word_header_rows(document, looks),
        )
    except WordError:
        raise
    except Exception as exc:  # mammoth raises zip, XML and key errors for damaged files.
        raise WordError(_("无法读取 Word 文档（%(error)s）。请在 Word 中重新保存为 .docx 后再上传。") % {"error": exc})
    return sanitize_html(result.value), images


def _table_header_looks(data: bytes) -> list[tuple[bool, str]]:
    """Each table's header look as Word shows it from the table's style (see `articles.tables`)."""
    styles, tables = WordTableStyles(), WordTables()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        main = _main_part(archive)
        if styles_part := _styles_part(archive, main.filename):
            _feed(_parser(start=styles.start, end=styles.end), _bounded_chunks(archive, styles_part))
        _feed(_parser(start=tables.start, end=tables.end, characters=tables.characters), _bounded_chunks(archive, main))
    return tables.header_looks(styles)


def _styles_part(archive: zipfile.ZipFile, main: str) -> str | None:
    """The styles part of the main document, found as mammoth finds it."""
    folder, name = posixpath.split(main)
    names = set(archive.namelist())
    relationships = posixpath.join(folder, "_rels", f"{name}.rels")
    if relationships in names:
        for _tag, attributes in _elements(_bounded_chunks(archive, relationships), "rel:Relationship"):
            if attributes["Type"] == _STYLES:
                target = attributes["Target"]
                target = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                if target in names:
                    return target
    return "word/styles.xml" if "word/styles.xml" in names else None


# Checking the package


@contextmanager
def _opened_docx(data: bytes, max_bytes: int) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipInfo]]:
    """The checked zip and its main document part, or WordError before anything is inflated."""
    _check_signature(data, max_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGED_ZIP:
        raise _damaged()
    with archive:
        _check_sizes(archive.infolist())
        yield archive, _main_part(archive)


def _check_signature(data: bytes, max_bytes: int) -> None:
    if not data:
        raise WordError(_("文件是空的。"))
    if len(data) > max_bytes:
        raise WordError(_("文件过大：上限为 %(limit)d MB。") % {"limit": max_bytes // (1024 * 1024)})
    if data.startswith(OLE2_SIGNATURE):
        if "EncryptedPackage".encode("utf-16-le") in data:  # Word wraps password-protected .docx in OLE2
            raise WordError(_("文件设置了打开密码，请在 Word 中取消密码并保存为 .docx 后再上传。"))
        raise WordError(_("这是旧版 Word（.doc）或 WPS 文档，请在 Word 或 WPS 中“另存为” .docx 后再上传。"))
    if data.startswith(b"%PDF"):
        raise WordError(_("PDF 文件不能作为稿件，请上传 Word（.docx）文档。"))
    if data.startswith(b"{\\rtf"):
        raise WordError(_("这是 RTF 文档，请在 Word 或 WPS 中“另存为” .docx 后再上传。"))
    if not data.startswith(b"PK\x03\x04"):  # also refuses self-extracting programs with a zip appended
        raise _not_docx()
    # Every central directory entry starts with this signature, so the count bounds the number of
    # members before ZipFile builds an object for each one.
    if data.count(b"PK\x01\x02") > MAX_MEMBERS:
        raise _bomb()


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    """Refuse from the declared sizes alone, before anything is decompressed."""
    if len(members) > MAX_MEMBERS or sum(info.file_size for info in members) > MAX_UNCOMPRESSED_BYTES:
        raise _bomb()
    for info in members:
        if info.file_size > RATIO_CHECKED_FROM_BYTES and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
            raise _bomb()
    if sum(info.file_size for info in members if _is_xml_name(info.filename)) > MAX_XML_BYTES:
        raise _too_much_xml()


def _main_part(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The main document part, found as mammoth finds it, whose content type must be a Word document."""
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        raise _not_docx()
    main = "word/document.xml"
    if "_rels/.rels" in names:
        for _tag, attributes in _elements(
            _bounded_chunks(archive, "_rels/.rels", MAX_PACKAGE_PART_BYTES), "rel:Relationship"
        ):
            target = attributes["Target"].lstrip("/")  # resolved as mammoth does
            if attributes["Type"] == _OFFICE_DOCUMENT and target in names:
                main = target
                break
    if main not in names:
        raise _not_docx()

    defaults, overrides = {}, {}
    content_types = _bounded_chunks(archive, "[Content_Types].xml", MAX_PACKAGE_PART_BYTES)
    for tag, attributes in _elements(content_types, "ct:Default", "ct:Override"):
        if tag == "ct:Default":
            defaults[attributes["Extension"].lower()] = attributes["ContentType"]
        else:
            overrides[attributes["PartName"].lower()] = attributes["ContentType"]
    content_type = overrides.get(f"/{main}".lower()) or defaults.get(posixpath.splitext(main)[1][1:].lower())
    if content_type in WORD_MACRO_MAINS:
        raise WordError(_("文件含有宏（.docm），为安全起见不能接收，请在 Word 中“另存为” .docx 后再上传。"))
    if content_type == WORD_TEMPLATE_MAIN:
        raise WordError(_("这是 Word 模板（.dotx），请在 Word 中“另存为” .docx 后再上传。"))
    if content_type != WORD_MAIN:
        raise _not_docx()
    return archive.getinfo(main)


def _bounded_chunks(
    archive: zipfile.ZipFile, member: str | zipfile.ZipInfo, limit: int = MAX_UNCOMPRESSED_BYTES
) -> Iterator[bytes]:
    """A member's bytes in chunks, stopping once more than `limit` comes out whatever the zip declared."""
    total = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _bomb()
                yield chunk
    except _DAMAGED_ZIP:  # includes a CRC mismatch, found when the last chunk is read
        raise _damaged()


def _check_readable(archive: zipfile.ZipFile, info: zipfile.ZipInfo, xml_budget: "_XmlBudget") -> None:
    """The member inflates to what its checksum says and, if it is XML, is well-formed XML.

    XML is recognised by content as well as by name: mammoth follows relationships, which
    may point at a part of any name.
    """
    chunks = _bounded_chunks(archive, info)
    first = next(chunks, b"")
    if _is_xml_name(info.filename) or _looks_like_xml(first):
        _feed(_parser(), xml_budget.spend(itertools.chain([first], chunks)))
    else:
        for _chunk in chunks:
            pass


class _XmlBudget:
    """The bytes of XML still allowed, counted as they stream out, whatever the zip declared."""

    def __init__(self):
        self.left = MAX_XML_BYTES

    def spend(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.left -= len(chunk)
            if self.left < 0:
                raise _too_much_xml()
            yield chunk


def _is_xml_name(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _looks_like_xml(first_bytes: bytes) -> bool:
    """Whether a document could start so; pictures and other binary parts start otherwise."""
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        first_bytes = first_bytes.removeprefix(bom)
    return first_bytes[:1] in (b"<", b" ", b"\t", b"\r", b"\n", b"\0")  # NUL: UTF-16 without a BOM


# Reading the XML


def _parser(start=None, end=None, characters=None) -> expat.XMLParserType:
    """An expat parser naming known namespaces' elements `prefix:local`, refusing DTDs (no entity tricks)."""
    parser = expat.ParserCreate(namespace_separator="}")

    def name(qualified):
        namespace, _sep, local = qualified.rpartition("}")
        prefix = _PREFIXES.get(namespace)
        return f"{prefix}:{local}" if prefix else qualified  # other namespaces match nothing, as in mammoth

    def refuse_doctype(*args):
        raise _malformed()

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    if start:
        parser.StartElementHandler = lambda tag, attributes: start(name(tag), attributes)
    if end:
        parser.EndElementHandler = lambda tag: end(name(tag))
    if characters:
        parser.CharacterDataHandler = characters
    parser.buffer_text = True
    return parser


def _feed(parser: expat.XMLParserType, chunks: Iterator[bytes]) -> None:
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError, LookupError):  # LookupError: an unknown declared encoding
        raise _malformed()


# The attributes mammoth cannot do without (it fails with a KeyError on an entry lacking one).
_REQUIRED_ATTRIBUTES = {
    "rel:Relationship": ("Id", "Target", "Type"),
    "ct:Default": ("Extension", "ContentType"),
    "ct:Override": ("PartName", "ContentType"),
}


def _elements(chunks: Iterator[bytes], *wanted: str) -> list[tuple[str, dict[str, str]]]:
    """(tag, attributes) of every `wanted` element; like mammoth, `x:Target` is not `Target`.

    An element lacking an attribute mammoth requires makes the file damaged here, at upload,
    rather than at acceptance when mammoth would fail on it.
    """
    found = []

    def start(tag, attributes):
        if tag in wanted:
            if not all(name in attributes for name in _REQUIRED_ATTRIBUTES[tag]):
                raise _damaged()
            found.append((tag, attributes))

    _feed(_parser(start=start), chunks)
    return found


def _body_text(chunks: Iterator[bytes]) -> str:
    """The text of a main document part: runs' w:t, tabs and breaks; each paragraph ends a line.

    Like mammoth, only mc:Fallback of alternate content is read, so text boxes count once.
    """
    pieces: list[str] = []
    stack: list[str] = []
    in_text = 0
    skipped = 0  # depth inside mc:Choice

    def start(tag, attributes):
        nonlocal in_text, skipped
        parent = stack[-1] if stack else None
        stack.append(tag)
        if tag == "mc:Choice" or skipped:
            skipped += 1
        elif tag == "w:t":
            in_text += 1
        elif parent == "w:r" and tag == "w:tab":  # not the tab stops of w:pPr/w:tabs
            pieces.append("\t")
        elif parent == "w:r" and tag in ("w:br", "w:cr"):
            pieces.append("\n")

    def end(tag):
        nonlocal in_text, skipped
        stack.pop()
        if skipped:
            skipped -= 1
        elif tag == "w:t":
            in_text -= 1
        elif tag == "w:p":
            pieces.append("\n")

    def characters(data):
        if in_text and not skipped:
            pieces.append(data)

    _feed(_parser(start=start, end=end, characters=characters), chunks)
    return "\n".join(line.rstrip() for line in "".join(pieces).splitlines() if line.strip())


# Messages used in several places


def _not_docx() -> WordError:
    return WordError(_("文件不是 Word（.docx）文档。"))


def _damaged() -> WordError:
    return WordError(_("文件已损坏，无法作为 Word（.docx）文档读取。请在 Word 中重新保存后再上传。"))


def _malformed() -> WordError:
    return WordError(_("文档内容已损坏（XML 格式错误），请在 Word 中重新保存为 .docx 后再上传。"))


def _too_much_xml() -> WordError:
    return WordError(
        _(
            "文档的文字和格式部分解压后超过 %(limit)d MB，远超一篇稿件的正常大小。"
            "请删去多余的内容或格式、或分成几个文件后再上传。"
        )
        % {"limit": MAX_XML_BYTES // (1024 * 1024)}
    )


def _bomb() -> WordError:
    return WordError(
        _("文件解压后的内容过大或结构异常（上限为 %(limit)d MB），不像是正常的 Word 文档。")
        % {"limit": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)}
    )
