"""Stem uploads staged on disk: parts until the stem is finished, then what it became.

Layout under ``root`` (the server's ``DATA_DIR/jam-uploads``)::

    <project_id>/<user_id>/<upload_id>/<index>        the parts, as uploaded
    <project_id>/<user_id>/<upload_id>.json           the finished stem (its answer, kept)

A part is written to a temporary file and renamed, so a half-written part is never read.
Finishing a stem twice answers the same (the browser may not have heard the first answer),
which stems a project holds is the database's ``stems`` table
(:class:`bandmate.store.stems.StemStore`), not these files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bandmate.jam.stem import MAX_STEM_BYTES, StemError, check_part_index, check_upload_id

_SAFE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _segment(value: str, name: str) -> str:
    if not _SAFE.fullmatch(value):
        raise StemError(f"{name}={value[:40]!r} is not a valid id")
    return value


class StemUploads:
    """Staged stem uploads in a folder.

    Args:
        root: The folder (created when needed).
        max_bytes: A stem's size cap (all its parts together).
    """

    def __init__(self, root: Path, *, max_bytes: int = MAX_STEM_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _dir(self, project_id: str, user_id: str, upload_id: str) -> Path:
        project = _segment(project_id, "project_id")
        user = _segment(user_id, "user_id")
        return self.root / project / user / check_upload_id(upload_id)

    def put_part(
        self, project_id: str, user_id: str, upload_id: str, index: int, data: bytes
    ) -> None:
        """Keep part ``index`` of an upload (again: replaced).

        Raises:
            StemError: A bad id or index, an empty part, or the parts over the size cap.
        """
        folder = self._dir(project_id, user_id, upload_id)
        check_part_index(index)
        if not data:
            raise StemError(f"part {index} is empty")
        if self.finished(project_id, user_id, upload_id) is not None:
            return  # finished already: the browser is resending what it still holds
        folder.mkdir(parents=True, exist_ok=True)
        others = sum(p.stat().st_size for p in folder.iterdir() if p.name != str(index))
        if others + len(data) > self.max_bytes:
            raise StemError(f"the stem would exceed {self.max_bytes} bytes")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, folder / str(index))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def assemble(self, project_id: str, user_id: str, upload_id: str, parts: int) -> bytes:
        """The stem's bytes: parts ``0 .. parts - 1`` in order.

        Raises:
            StemError: A part is missing, or there are parts beyond ``parts``.
        """
        folder = self._dir(project_id, user_id, upload_id)
        present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        missing = [i for i in range(parts) if str(i) not in present]
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            raise StemError(f"upload {upload_id!r} lacks part(s) {shown} of {parts}")
        extra = sorted(n for n in present if not n.startswith(".") and int(n) >= parts)
        if extra:
            raise StemError(f"upload {upload_id!r} has parts beyond {parts}: {extra[:10]}")
        return b"".join((folder / str(i)).read_bytes() for i in range(parts))

    def finished(self, project_id: str, user_id: str, upload_id: str) -> dict[str, Any] | None:
        """What finishing this upload answered, if it was finished."""
        marker = self._dir(project_id, user_id, upload_id).with_suffix(".json")
        if not marker.exists():
            return None
        result: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        return result

    def finish(self, project_id: str, user_id: str, upload_id: str, result: dict[str, Any]) -> None:
        """Record the finished stem (its answer), then drop the parts."""
        folder = self._dir(project_id, user_id, upload_id)
        marker = folder.with_suffix(".json")
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        os.replace(tmp, marker)
        shutil.rmtree(folder, ignore_errors=True)

    def drop_project(self, project_id: str) -> None:
        """Forget everything staged for a (deleted) project: parts and finished answers."""
        shutil.rmtree(self.root / _segment(project_id, "project_id"), ignore_errors=True)
