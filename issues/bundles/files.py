"""Reading the files of an issue bundle, from a folder or a .zip, without escaping it."""

import posixpath
import zipfile
import zlib
from abc import ABC, abstractmethod
from pathlib import Path

from django.utils.translation import gettext as _

from issues.bundles.errors import BundleError

MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024


def normalize(name: str, *, relative_to: str = "") -> str:
    """`name` as a clean path inside the bundle, or BundleError if it points outside it."""
    if not name or name.startswith("/") or "\\" in name or ":" in name.split("/")[0]:
        raise BundleError(_("路径“%(name)s”无效：必须是包内的相对路径。") % {"name": name})
    joined = posixpath.normpath(posixpath.join(relative_to, name))
    if joined == ".." or joined.startswith("../") or joined == ".":
        raise BundleError(_("路径“%(name)s”指向包外。") % {"name": name})
    return joined


class BundleFiles(ABC):
    """The files of a bundle, addressed by their path inside it ("articles/01.md")."""

    @staticmethod
    def open(path: Path) -> "BundleFiles":
        if path.is_dir():
            return DirectoryFiles(path)
        if path.is_file() and zipfile.is_zipfile(path):
            return ZipFiles(path)
        if path.is_file():
            raise BundleError(_("不是文件夹，也不是 .zip 文件。"), path=str(path))
        raise BundleError(_("找不到该路径。"), path=str(path))

    @abstractmethod
    def read(self, name: str) -> bytes:
        """The bytes of the file at `name`, or BundleError naming it."""

    @abstractmethod
    def has(self, name: str) -> bool:
        """Whether the bundle holds a file at `name` (an optional part, such as periodical.toml)."""

    def close(self):  # noqa: B027 - only zips hold something open
        """Release whatever the bundle holds open."""


class DirectoryFiles(BundleFiles):
    def __init__(self, root: Path):
        self.root = root.resolve()

    def has(self, name: str) -> bool:
        target = (self.root / normalize(name)).resolve()
        return target.is_relative_to(self.root) and target.is_file()

    def read(self, name: str) -> bytes:
        target = (self.root / normalize(name)).resolve()
        if not target.is_relative_to(self.root):
            raise BundleError(_("路径指向包外。"), path=name)
        if not target.is_file():
            raise BundleError(_("文件不存在。"), path=name)
        try:
            return target.read_bytes()
        except OSError as exc:
            raise BundleError(_("无法读取文件：%(error)s") % {"error": exc.strerror}, path=name)


class ZipFiles(BundleFiles):
    def __init__(self, path: Path):
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise BundleError(_("无法打开 zip 文件：%(error)s") % {"error": exc}, path=str(path))
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise BundleError(_("zip 文件解压后过大。"), path=str(path))
        self.members = {info.filename: info for info in infos if not info.is_dir()}
        # A zip made by compressing a folder has that folder as its only top-level entry.
        self.prefix = ""
        if "issue.toml" not in self.members:
            tops = {name.split("/", 1)[0] for name in self.members}
            if len(tops) == 1 and f"{next(iter(tops))}/issue.toml" in self.members:
                self.prefix = f"{next(iter(tops))}/"

    def has(self, name: str) -> bool:
        return self.prefix + normalize(name) in self.members

    def read(self, name: str) -> bytes:
        info = self.members.get(self.prefix + normalize(name))
        if info is None:
            raise BundleError(_("文件不存在。"), path=name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise BundleError(_("文件过大。"), path=name)
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise BundleError(_("zip 内的文件已损坏：%(error)s") % {"error": exc}, path=name)

    def close(self):
        self.zip.close()
