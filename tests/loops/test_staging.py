"""Uploads in parts: joined in order, checked, removed after use, stale ones swept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bandmate.loops.errors import LoopError
from bandmate.loops.staging import MAX_PARTS, PartStaging

OWNER, TOKEN = "a" * 64, "tok12345"


def test_parts_join_in_order_whatever_order_they_came_in(tmp_path: Path) -> None:
    staging = PartStaging(tmp_path, max_bytes=100)
    for index, data in ((2, b"cc"), (0, b"aa"), (1, b"bX"), (1, b"bb")):  # 1 sent twice
        staging.put(OWNER, TOKEN, index, data)
    assert staging.take(OWNER, TOKEN, 3) == b"aabbcc"
    assert not (tmp_path / OWNER / TOKEN).exists()
    with pytest.raises(LoopError, match="index=0 of 3 was not sent"):
        staging.take(OWNER, TOKEN, 3)


@pytest.mark.parametrize(
    ("owner", "token", "index", "data", "message"),
    [
        (OWNER, "../../etc", 0, b"x", "token="),
        ("short", TOKEN, 0, b"x", "owner="),
        (OWNER, TOKEN, MAX_PARTS, b"x", "index="),
        (OWNER, TOKEN, -1, b"x", "index="),
        (OWNER, TOKEN, 0, b"", "empty"),
        (OWNER, TOKEN, 0, b"x" * 101, "exceed"),
    ],
)
def test_bad_parts_are_refused(
    tmp_path: Path, owner: str, token: str, index: int, data: bytes, message: str
) -> None:
    with pytest.raises(LoopError, match=message):
        PartStaging(tmp_path, max_bytes=100).put(owner, token, index, data)


def test_the_limit_counts_every_part_and_counts_for_the_join(tmp_path: Path) -> None:
    staging = PartStaging(tmp_path, max_bytes=10)
    staging.put(OWNER, TOKEN, 0, b"x" * 6)
    with pytest.raises(LoopError, match="exceed"):
        staging.put(OWNER, TOKEN, 1, b"x" * 5)
    with pytest.raises(LoopError, match="parts=0"):
        staging.take(OWNER, TOKEN, 0)


def test_abandoned_uploads_are_swept(tmp_path: Path) -> None:
    staging = PartStaging(tmp_path, max_bytes=100)
    staging.put(OWNER, TOKEN, 0, b"old")
    old = time.time() - 7200
    os.utime(tmp_path / OWNER / TOKEN, (old, old))
    staging.put(OWNER, "fresh123", 0, b"new")  # every put sweeps
    assert not (tmp_path / OWNER / TOKEN).exists()
    assert staging.take(OWNER, "fresh123", 1) == b"new"


def test_a_deleted_projects_parts_are_dropped_and_no_one_elses(tmp_path: Path) -> None:
    staging = PartStaging(tmp_path, max_bytes=100)
    project, other = "1" * 32, "2" * 32
    staging.put(project + "a" * 32, TOKEN, 0, b"mine")
    staging.put(project + "b" * 32, TOKEN, 0, b"a colleague's")
    staging.put(other + "a" * 32, TOKEN, 0, b"another project's")
    staging.drop_owners("../" + project)  # not a name: nothing happens
    assert len(list(tmp_path.iterdir())) == 3
    staging.drop_owners(project)
    assert [p.name for p in tmp_path.iterdir()] == [other + "a" * 32]
    assert staging.take(other + "a" * 32, TOKEN, 1) == b"another project's"
    PartStaging(tmp_path / "never", max_bytes=100).drop_owners(project)  # no folder yet
