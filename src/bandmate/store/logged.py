"""What the project update log holds: updates and snapshots, and their numbering rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bandmate.store.errors import StoreError

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class SnapshotRangeError(StoreError):
    """A snapshot claims to cover updates that were never appended."""

    code = "bad_snapshot"


@dataclass(frozen=True, slots=True)
class Update:
    """One appended update. ``seq`` counts from 1 within its project, without gaps."""

    project_id: str
    seq: int
    author_id: str | None
    created_at: datetime
    data: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The merged document after every update with ``seq <= upto_seq``."""

    project_id: str
    upto_seq: int
    created_at: datetime
    state: bytes


def check_range(project_id: str, upto_seq: int, last_seq: int) -> None:
    if not 0 <= upto_seq <= last_seq:
        raise SnapshotRangeError(
            f"upto_seq={upto_seq} must be in 0..{last_seq} (the last update of {project_id!r})"
        )
