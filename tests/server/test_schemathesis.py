"""Schemathesis over the OpenAPI spec of a real server: no request it makes gets a 5xx.

A real ``uvicorn`` serves the app on 127.0.0.1 (lifespan, migrations, job workers
included). A signed-in owner's session (cookie and CSRF header) sends, for every
operation in ``/openapi.json``, a bounded number of schema-valid and schema-invalid
requests; the job endpoints get a real project and a real job id half the time so that
the cases reach past the 404. Each response must be below 500, and a 4xx must carry the
JSON error body.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from bandmate.server import Settings, create_app

EXAMPLES = 10
"""Cases per operation and mode: about 900 requests in all, well under a minute."""
SKIPPED = {("POST", "/api/auth/signout")}
"""Signing out would end the session every later case needs."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _session(url: str) -> tuple[requests.Session, dict[str, str]]:
    session = requests.Session()
    token = session.get(f"{url}/api/auth/csrf").json()["csrf_token"]
    session.headers["X-CSRF-Token"] = token
    signed = session.post(
        f"{url}/api/auth/signup", json={"username": "fuzzer", "password": "correct horse battery"}
    )
    assert signed.status_code == 201, signed.text
    project = session.post(f"{url}/api/projects", json={"name": "Fuzzed"}).json()
    job = session.post(f"{url}/api/projects/{project['id']}/jobs", json={"kind": "export-midi"})
    assert job.status_code == 201, job.text
    return session, {"project_id": project["id"], "job_id": job.json()["id"]}


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    *,
    url: str,
    session: requests.Session,
    real: dict[str, str],
    tried: list[int],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), use_real=st.booleans())
    def run(case: Any, use_real: bool) -> None:
        if use_real and "/jobs" in operation.path and case.path_parameters:
            for name, value in real.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = value
        response = case.call(base_url=url, session=session)
        tried.append(response.status_code)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )
        kinds = response.headers.get("content-type") or [""]  # header values come as lists
        kind = kinds[0] if isinstance(kinds, list) else str(kinds)
        if response.status_code >= 400 and kind.startswith("application/json"):
            assert set(response.json()["error"]) >= {"code", "message"}

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid request to make.
        assert mode == GenerationMode.NEGATIVE


def test_no_generated_request_gets_a_server_error(live_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json")
    session, real = _session(live_url)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the spec itself must be valid
        operations.append(result.ok())
    assert len(operations) >= 20
    tried: list[int] = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, url=live_url, session=session, real=real, tried=tried)
    statuses = set(tried)
    assert any(200 <= s < 300 for s in statuses)
    assert 422 in statuses
    assert 404 in statuses
