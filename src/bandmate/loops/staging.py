"""Uploads in parts: files larger than the server's body cap arrive as several requests.

Each part is a file ``root/<owner>/<token>/<index>``; :meth:`PartStaging.take` joins parts
``0..parts-1`` in order, checks the total size and removes them. Parts left behind (an
upload abandoned halfway) are swept after :data:`STALE_S`.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from bandmate.loops.errors import LoopError

MAX_PARTS = 64
STALE_S = 3600.0
_NAME = re.compile(r"[a-z0-9]{8,64}")


class PartStaging:
    """Parts of unfinished uploads on disk.

    Args:
        root: The folder to stage in (created when needed).
        max_bytes: Largest joined file, bytes.
    """

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _folder(self, owner: str, token: str) -> Path:
        for field, value in (("owner", owner), ("token", token)):
            if not _NAME.fullmatch(value):
                raise LoopError(f"{field}={value[:70]!r} must be 8..64 of a-z and 0-9")
        return self.root / owner / token

    def put(self, owner: str, token: str, index: int, data: bytes) -> None:
        """Store part ``index`` (0..63) of an upload (sending a part again replaces it).

        Raises:
            LoopError: for a bad token or index, an empty part, or parts over the limit.
        """
        if not 0 <= index < MAX_PARTS:
            raise LoopError(f"index={index} must be in 0..{MAX_PARTS - 1}")
        if not data:
            raise LoopError(f"part index={index} is empty")
        folder = self._folder(owner, token)
        self.sweep()
        folder.mkdir(parents=True, exist_ok=True)
        held = sum(p.stat().st_size for p in folder.iterdir() if p.name != str(index))
        if held + len(data) > self.max_bytes:
            raise LoopError(f"the parts exceed the limit of {self.max_bytes} bytes")
        partial = folder / f"{index}.tmp"
        partial.write_bytes(data)
        partial.replace(folder / str(index))

    def take(self, owner: str, token: str, parts: int) -> bytes:
        """Join parts ``0..parts-1`` and remove them.

        Raises:
            LoopError: for a bad count or token, or a part that was never sent.
        """
        if not 1 <= parts <= MAX_PARTS:
            raise LoopError(f"parts={parts} must be in 1..{MAX_PARTS}")
        folder = self._folder(owner, token)
        missing = [i for i in range(parts) if not (folder / str(i)).is_file()]
        if missing:
            raise LoopError(f"part index={missing[0]} of {parts} was not sent (token={token!r})")
        data = b"".join((folder / str(i)).read_bytes() for i in range(parts))
        shutil.rmtree(folder, ignore_errors=True)
        return data

    def drop_owners(self, prefix: str) -> None:
        """Remove every staged upload of the owners whose name starts with ``prefix`` (a
        deleted project's: owners are the project's id followed by the uploader's)."""
        if not _NAME.fullmatch(prefix) or not self.root.is_dir():
            return
        for owner in self.root.iterdir():
            if owner.is_dir() and owner.name.startswith(prefix):
                shutil.rmtree(owner, ignore_errors=True)

    def sweep(self, *, older_than_s: float = STALE_S) -> None:
        """Remove uploads whose last part is older than ``older_than_s``."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than_s
        for owner in self.root.iterdir():
            for folder in owner.iterdir() if owner.is_dir() else ():
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
