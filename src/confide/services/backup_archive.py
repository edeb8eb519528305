"""The backup archive on disk: a gzipped tar, read and written member by member.

Layout, in this order (a restore reads it front to back): `manifest.json`, then
`master-key.json` (only with `--with-key`), `blobs/<key>` (uploaded files' sealed bytes as
stored), `tables/<name>.jsonl` (one encoded row per line, see db/copy.py). Reading never
extracts to paths: it only accepts the member names above, and opens them as streams.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import secrets
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from confide.errors import ConfideError

FORMAT = 1
MANIFEST = "manifest.json"
MASTER_KEY = "master-key.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_DAMAGED = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError)


class BackupError(ConfideError):
    """A backup cannot be made or restored; the message says why and what to do."""


def table_member(name: str) -> str:
    return f"tables/{name}.jsonl"


def blob_member(key: str) -> str:
    return f"blobs/{key}"


class ArchiveWriter:
    """Writes the archive to a private temporary file beside `path`, renamed into place by
    `commit` (so an interrupted backup never leaves a partial file under the real name)."""

    def __init__(self, path: Path, *, force: bool) -> None:
        if path.exists() and not force:
            raise BackupError(f"{path} exists; pass --force to replace it")
        if not path.parent.is_dir():
            raise BackupError(f"{path.parent} is not a directory")
        self.path = path
        self.partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._tar = tarfile.open(fileobj=self._file, mode="w:gz")  # noqa: SIM115 -- commit/abort

    def add_json(self, name: str, value: Any) -> None:
        data = json.dumps(value, indent=1, sort_keys=True).encode()
        self.add_file(name, io.BytesIO(data), len(data))

    def add_file(self, name: str, source: IO[bytes], size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, 0o600
        self._tar.addfile(info, source)

    def commit(self) -> None:
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.partial.replace(self.path)

    def abort(self) -> None:
        with contextlib.suppress(tarfile.TarError, OSError):
            self._tar.close()
        self._file.close()
        self.partial.unlink(missing_ok=True)


class ArchiveReader:
    """An archive opened for restore: every member listed up front (which reads it through
    once, so a truncated or damaged file is refused before anything is written)."""

    def __init__(self, path: Path) -> None:
        try:
            self._tar = tarfile.open(path, mode="r:gz")  # noqa: SIM115 -- closed by close()
            members = self._tar.getmembers()
        except FileNotFoundError:
            raise BackupError(f"{path}: no such file") from None
        except (*_DAMAGED, OSError):
            raise BackupError(f"{path} is not a Confide backup, or it is damaged") from None
        self._members = {m.name: m for m in members if m.isfile()}
        self.path = path
        self.manifest = self._manifest()

    def _manifest(self) -> dict[str, Any]:
        member = self._members.get(MANIFEST)
        if member is None or member.size > MAX_MANIFEST_BYTES:
            raise BackupError(f"{self.path} is not a Confide backup (no manifest)")
        manifest = self.read_json(MANIFEST)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("format"), int):
            raise BackupError(f"{self.path}: the manifest is malformed")
        return manifest

    def has(self, name: str) -> bool:
        return name in self._members

    def names(self, prefix: str) -> list[str]:
        return [name for name in self._members if name.startswith(prefix)]

    def read_json(self, name: str) -> Any:
        with self.open(name) as handle:
            try:
                return json.loads(handle.read())
            except ValueError:
                raise BackupError(f"{self.path}: {name} is malformed") from None

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        handle = self._tar.extractfile(self._members[name])
        if handle is None:  # pragma: no cover - only regular files are listed
            raise BackupError(f"{self.path}: {name} is not a file")
        try:
            yield handle
        except _DAMAGED:
            raise BackupError(f"{self.path} is damaged (reading {name})") from None
        finally:
            handle.close()

    def close(self) -> None:
        self._tar.close()
