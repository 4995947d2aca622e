"""Reading original dataset archives: a folder, a tar(.gz) or a zip, member by member.

Canonical loaders parse the files exactly as their publishers ship them. A user without
internet points ``data_dir`` at a local copy; the loaders find it by its published names.
"""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from benchmarks.data.wheels import DataError, sha256_file


def find_source(data_dir: str | Path, names: tuple[str, ...], dataset: str) -> Path:
    """The first of ``names`` (archive files or extracted folders) inside ``data_dir``."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError(f"data_dir {str(root)!r} for {dataset} is not a folder")
    for name in names:
        if (root / name).exists():
            return root / name
    raise DataError(f"{dataset}: none of {', '.join(names)} found in {root}; put the original "
                    "archive (or its extracted folder) there")


def _clean(name: str, source: Path) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise DataError(f"archive member {name!r} in {source} would escape the archive; "
                        "refusing to read it")
    return str(PurePosixPath(*[p for p in path.parts if p != "."]))


def iter_members(source: Path, wanted: Callable[[str], bool]) -> Iterator[tuple[str, bytes]]:
    """``(relative posix name, bytes)`` of every file in a folder/tar/zip whose name is wanted.

    Names are relative to the folder or archive root, without a leading ``./``. Members that
    are absolute or contain ``..`` are refused with :class:`DataError`.
    """
    if source.is_dir():
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            name = path.relative_to(source).as_posix()
            if wanted(name):
                yield name, path.read_bytes()
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                name = _clean(info.filename, source)
                if not info.is_dir() and wanted(name):
                    yield name, archive.read(info)
    else:
        try:
            with tarfile.open(source) as archive:
                for member in archive:
                    name = _clean(member.name, source)
                    if member.isfile() and wanted(name):
                        handle = archive.extractfile(member)
                        yield name, handle.read() if handle else b""
        except (tarfile.TarError, EOFError, OSError) as error:
            raise DataError(f"{source} is not a readable folder, zip or tar archive "
                            f"({error})") from None


def fingerprint(source: Path, member_digests: list[tuple[str, bytes]]) -> str:
    """sha256 of an archive file, or, for a folder, of its used members' names and sha256s."""
    if source.is_file():
        return sha256_file(source)
    digest = hashlib.sha256()
    for name, member_digest in sorted(member_digests):
        digest.update(name.encode() + b"\0" + member_digest)
    return digest.hexdigest()
