"""The update journal: where a SQLite file's update log commits an update, in one write.

Committing a batch of updates straight into ``project_updates`` costs a SQLite
transaction that dirties a page per project in the batch (each project's rows sit in
their own part of the primary key's index) plus the projects' counters, and every dirty
page is written to the WAL: about 70 us of CPU per update on a busy server, more than
the rest of its handling. The journal makes the commit one ``write(2)`` of a framed batch
to an append-only segment file (about 10 us per update); a writer thread moves what the
journal holds into ``project_updates`` about once a second, thousands of updates in one
transaction, and only then deletes the segment.

Durability is the WAL's with ``synchronous=NORMAL``: a written frame is in the operating
system's page cache, so it survives the server process being killed (``SIGKILL``
included) but not a power cut. A process killed in the middle of a write leaves a torn
frame at the end of a segment; it fails its length or checksum and is ignored, and it
was never acknowledged (the write had not returned). On the next start, the segments
left behind are moved into the database before the log is used.

One process owns a journal at a time (``flock`` on its lock file): a SQLite data folder
is served by one server process. Another process may read the database (it sees what
was moved, a second old at most) but not append to it.

A segment is a sequence of frames: ``magic, payload length, CRC-32 of the payload`` and
the payload, a sequence of records: ``seq, created_at (microseconds since the epoch, UTC),
project id length, author id length (255: no author), data length``, then the project
id, the author id and the data.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple, Protocol

from bandmate.store.errors import StoreError

log = logging.getLogger(__name__)

_MAGIC = b"BMJ1"
_FRAME = struct.Struct("<4sII")
_RECORD = struct.Struct("<QqBBI")
_NO_AUTHOR = 255
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEGMENT_SUFFIX = ".seg"


class Record(Protocol):
    """What the journal keeps of an update (``bandmate.store.Update`` is one)."""

    @property
    def project_id(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def author_id(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def data(self) -> bytes: ...


class Read(NamedTuple):
    """A record as read back from a segment."""

    project_id: str
    seq: int
    author_id: str | None
    created_at: datetime
    data: bytes


class JournalHeldError(StoreError):
    """Another process owns the journal of this database."""

    code = "journal_held"


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def encode_frame(updates: Sequence[Record]) -> bytes:
    """One frame holding ``updates``."""
    parts = []
    for u in updates:
        project = u.project_id.encode()
        author = b"" if u.author_id is None else u.author_id.encode()
        if len(project) > 254 or len(author) > 254:
            raise ValueError("project and author ids are at most 254 bytes in the journal")
        parts.append(
            _RECORD.pack(
                u.seq,
                _micros(u.created_at),
                len(project),
                _NO_AUTHOR if u.author_id is None else len(author),
                len(u.data),
            )
        )
        parts += (project, author, u.data)
    payload = b"".join(parts)
    return _FRAME.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload


def decode_frames(data: bytes) -> tuple[list[Read], int]:
    """The records of the whole frames at the start of ``data``, and how many bytes those
    frames take: reading stops at the first frame that is cut short or fails its check."""
    out: list[Read] = []
    at = 0
    while at + _FRAME.size <= len(data):
        magic, length, crc = _FRAME.unpack_from(data, at)
        end = at + _FRAME.size + length
        if magic != _MAGIC or end > len(data):
            break
        payload = data[at + _FRAME.size : end]
        if zlib.crc32(payload) != crc:
            break
        try:
            records = _decode_payload(payload)
        except (ValueError, struct.error):
            break
        out += records
        at = end
    return out, at


def _decode_payload(payload: bytes) -> list[Read]:
    out = []
    at = 0
    while at < len(payload):
        seq, micros, project_len, author_len, data_len = _RECORD.unpack_from(payload, at)
        at += _RECORD.size
        project = payload[at : at + project_len].decode()
        at += project_len
        author = None
        if author_len != _NO_AUTHOR:
            author = payload[at : at + author_len].decode()
            at += author_len
        data = payload[at : at + data_len]
        at += data_len
        if at > len(payload):
            raise ValueError("record runs past its frame")
        out.append(Read(project, seq, author, _EPOCH + timedelta(microseconds=micros), data))
    return out


class Journal:
    """The segment files of one database's journal, in the folder ``folder``.

    :meth:`open` takes the folder's lock and hands back the segments a previous owner
    left; :meth:`write` appends a frame to the current segment (opened on first write);
    :meth:`seal` closes it, so that the next write starts the next segment.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._next = 1

    @property
    def is_open(self) -> bool:
        return self._lock_fd is not None

    def open(self) -> list[tuple[Path, list[Read]]]:
        """Take ownership: the segments left behind, oldest first, with their records.

        Raises:
            JournalHeldError: Another process owns the journal.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalHeldError(
                f"the update journal {self.folder} is in use by another process: one server "
                "process serves a SQLite data folder"
            ) from None
        self._lock_fd = fd
        left = []
        numbers = []
        for path in self.folder.iterdir():
            if path.suffix == _SEGMENT_SUFFIX and path.stem.isdigit():
                numbers.append(int(path.stem))
        for number in sorted(numbers):
            path = self._segment(number)
            records, good = decode_frames(path.read_bytes())
            if good != path.stat().st_size:
                log.warning(
                    "journal segment %s ends with %d bytes of a torn write (ignored)",
                    path,
                    path.stat().st_size - good,
                )
            left.append((path, records))
        self._next = max(numbers, default=0) + 1
        return left

    def close(self) -> None:
        """Close the current segment and let go of the lock."""
        self.seal()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _segment(self, number: int) -> Path:
        return self.folder / f"{number:012d}{_SEGMENT_SUFFIX}"

    def write(self, frame: bytes) -> None:
        """Append ``frame`` to the current segment; when that fails (a full disk), nothing
        of it stays in the segment.

        Raises:
            OSError: The frame could not be written.
        """
        if self._fd is None:
            self._path = self._segment(self._next)
            self._next += 1
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._size = 0
        try:
            written = os.write(self._fd, frame)
            if written != len(frame):
                raise OSError(f"short write to {self._path}: {written} of {len(frame)} bytes")
        except OSError:
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:  # the segment ends here: its torn frame is ignored on reading
                self.seal()
            raise
        self._size += len(frame)

    def seal(self) -> Path | None:
        """Close the current segment (if one is open) and return its path."""
        if self._fd is None:
            return None
        os.close(self._fd)
        path, self._fd, self._path = self._path, None, None
        return path
