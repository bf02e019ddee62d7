"""The SQLite update log's writer thread and journal close with its database."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bandmate.server import Settings
from bandmate.server.services import build_studio
from bandmate.store.migrate import upgrade
from bandmate.store.updates import SqlUpdateLog

from .conftest import PASSWORD

pytestmark = pytest.mark.anyio


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bandmate-sqlite-log" and t.is_alive()]


async def test_the_writer_thread_ends_when_the_database_closes(settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the writer thread is the SQLite file log's")
    studio = build_studio(settings)
    log = studio.updates
    assert isinstance(log, SqlUpdateLog)
    await upgrade(studio.database)
    user, _ = await studio.accounts.sign_up("alice", PASSWORD)
    project_id = (await studio.projects.create(user, "Log")).project.id
    before = set(_writers())
    first = await log.append(project_id, b"\x00\x00", author_id=user.id)
    await log.move_journal()  # the writer thread's job
    started = set(_writers()) - before
    assert len(started) == 1
    await studio.close()
    assert not any(t.is_alive() for t in started)
    # The log still works after a close (as the engine does): a new thread takes over.
    again = await log.append(project_id, b"\x00\x00", author_id=user.id)
    assert again.seq == first.seq + 1
    await log.move_journal()
    restarted = set(_writers()) - before
    assert len(restarted) == 1
    assert restarted.isdisjoint(started)
    last = await log.append(project_id, b"\x00\x00", author_id=user.id)
    await studio.close()  # moves what the journal holds
    assert not any(t.is_alive() for t in restarted)
    assert not list(Path(settings.data_dir).rglob("*.seg"))
    assert [u.seq for u in await log.read_since(project_id)] == [first.seq, again.seq, last.seq]
    await studio.close()
