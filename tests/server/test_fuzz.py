"""Random requests against the real app: bad input is always a 4xx JSON error, never a 500.

Beside the schemathesis run (test_schemathesis.py), which follows the spec,
Hypothesis draws a method, a path built from the API's own templates with real or
random ids, and a body that is random JSON or random bytes, sent by a signed-in
owner. The transport re-raises any exception inside the app, so a crash fails the
test as well as a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

TEMPLATES = [
    "/api/auth/signup",
    "/api/auth/signin",
    "/api/auth/signout",
    "/api/projects",
    "/api/projects/{p}",
    "/api/projects/{p}/song.mid",
    "/api/projects/{p}/members",
    "/api/projects/{p}/members/{u}",
    "/api/projects/{p}/invitations",
    "/api/projects/{p}/invitations/{i}",
    "/api/invitations/accept",
    "/api/projects/{p}/jobs",
    "/api/jobs/{j}",
    "/api/jobs/{j}/events",
    "/api/jobs/{j}/result",
    "/api/jobs/{j}/cancel",
]
OWNER = {"username": "owner", "password": "correct horse battery"}
FIELDS = [
    "username",
    "password",
    "name",
    "role",
    "token",
    "max_uses",
    "expires_in_s",
    "kind",
    "format",
    "sample_rate",
    "target",
    "lufs",
    "title",
    "artists",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=300)
    | st.sampled_from(["owner", "editor", "viewer", "admin", "", "demo"])
    | st.sampled_from(["export-midi", "render", "master", "release", "wav", "custom"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
bodies = (
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4).map(json.dumps)
    | json_values.map(json.dumps)
    | st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
)
ids = st.sampled_from(["{real}"]) | st.text(min_size=1, max_size=40).map(
    lambda s: quote(s, safe="")
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, str]:
    template = draw(st.sampled_from(TEMPLATES))
    path = template
    for slot in ("{p}", "{u}", "{i}", "{j}"):
        path = path.replace(slot, draw(ids).replace("{real}", slot))
    method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]))
    return method, path, draw(bodies)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
async def test_random_requests_never_fail_on_the_server(
    app: FastAPI, make_client: ClientFactory, request: tuple[str, str, str]
) -> None:
    client = await make_client(app)
    if (await client.post("/api/auth/signin", json=OWNER)).status_code != 200:
        assert (await client.post("/api/auth/signup", json=OWNER)).status_code == 201
    projects: list[dict[str, Any]] = (await client.get("/api/projects")).json()
    if not projects:
        projects = [(await client.post("/api/projects", json={"name": "Fuzz"})).json()]
    me = (await client.get("/api/auth/me")).json()
    method, path, body = request
    path = path.replace("{p}", projects[0]["id"]).replace("{u}", me["id"]).replace("{i}", "x")
    jobs = (await client.get(f"/api/projects/{projects[0]['id']}/jobs")).json()
    path = path.replace("{j}", jobs[0]["id"] if jobs else "0" * 32)
    response = await client.request(
        method, path, content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, (method, path, body, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)
