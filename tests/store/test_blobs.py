"""Content-addressed blobs on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bandmate.store.blobs import BadDigestError, BlobStore, CorruptBlobError, digest_of
from bandmate.store.errors import NotFoundError


def test_put_names_a_blob_by_its_sha256(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = b"MThd\x00\x00\x00\x06"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest() == digest_of(data)
    assert store.get(digest) == data
    assert store.path_of(digest) == tmp_path / "blobs" / digest[:2] / digest[2:4] / digest
    assert store.exists(digest)


def test_storing_the_same_bytes_twice_keeps_one_file(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    assert store.put(b"same") == store.put(b"same")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.rglob("*"))


def test_missing_and_malformed_names(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(NotFoundError, match="does not exist"):
        store.get("0" * 64)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        with pytest.raises(BadDigestError, match="must be 64 lowercase hex digits"):
            store.get(bad)


def test_a_corrupted_blob_is_detected(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"original")
    store.path_of(digest).write_bytes(b"tampered")
    with pytest.raises(CorruptBlobError):
        store.get(digest)


def test_delete(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"x")
    assert store.delete(digest)
    assert not store.delete(digest)
    assert not store.exists(digest)
