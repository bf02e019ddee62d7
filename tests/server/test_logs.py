"""Structured logs: JSON lines with extras, and one access line per request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from bandmate.server.logs import JsonFormatter, configure_logging

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_records_become_json_lines_with_extras(restore_root_logger: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    configure_logging("INFO", stream=stream)  # idempotent: still one handler
    log = logging.getLogger("bandmate.test")
    log.info("hello %s", "world", extra={"project_id": "p1", "n": 3})
    log.debug("hidden")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["message"] == "hello world"
    assert (first["level"], first["logger"]) == ("INFO", "bandmate.test")
    assert (first["project_id"], first["n"]) == ("p1", 3)
    assert first["ts"].endswith("+00:00")
    assert "ValueError: boom" in lines[1]["exc"]


def test_unserialisable_extras_are_stringified_and_colours_dropped() -> None:
    record = logging.makeLogRecord(
        {"msg": "x", "levelname": "INFO", "obj": object(), "color_message": "\x1b[36mx"}
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["obj"].startswith("<object")
    assert "color_message" not in entry


@pytest.mark.anyio
async def test_each_request_logs_one_access_line(
    app: FastAPI, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(app)
    with caplog.at_level(logging.INFO, logger="bandmate.access"):
        await client.get("/api/projects")
    records = [r for r in caplog.records if r.name == "bandmate.access"]
    assert len(records) == 1
    entry = json.loads(JsonFormatter().format(records[0]))
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/projects", 401)
    assert entry["client"] == "127.0.0.1"
    assert entry["duration_ms"] >= 0
