"""Content-addressed blobs on disk (MIDI seeds, audio clips, renders).

A blob's name is the SHA-256 of its bytes, so storing the same bytes twice keeps
one file and a name can be checked against its content. Files live under
``root/ab/cd/abcd...`` (two levels of fan-out keep folders small) and are written
to a temporary file first, then renamed, so a reader never sees half a blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from bandmate.store.errors import NotFoundError, StoreError

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BadDigestError(StoreError):
    """A blob name that is not 64 lowercase hex digits."""

    code = "bad_digest"


class CorruptBlobError(StoreError):
    """A stored blob whose bytes no longer hash to its name."""

    code = "corrupt_blob"


def digest_of(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex digits (the blob's name)."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Blobs in a folder, named by their SHA-256.

    Args:
        root: The folder; created when missing.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, digest: str) -> Path:
        """Where the blob named ``digest`` lives (whether or not it exists).

        Raises:
            BadDigestError: When ``digest`` is not 64 lowercase hex digits.
        """
        if not _DIGEST.fullmatch(digest):
            raise BadDigestError(f"digest={digest[:80]!r} must be 64 lowercase hex digits")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its digest; storing the same bytes again is a no-op."""
        digest = digest_of(data)
        path = self.path_of(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes of the blob named ``digest``.

        Raises:
            BadDigestError: When ``digest`` is malformed.
            NotFoundError: When no such blob is stored.
            CorruptBlobError: When the stored bytes do not hash to ``digest``.
        """
        path = self.path_of(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"blob={digest!r} does not exist") from exc
        if digest_of(data) != digest:
            raise CorruptBlobError(f"blob={digest!r} does not match its content")
        return data

    def exists(self, digest: str) -> bool:
        """Whether a blob named ``digest`` is stored."""
        return self.path_of(digest).is_file()

    def delete(self, digest: str) -> bool:
        """Remove a blob; returns whether it existed."""
        path = self.path_of(digest)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True
