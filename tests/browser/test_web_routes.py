"""How the server serves the studio: caching, client routes, and the SoundFont."""

from __future__ import annotations

import re

from .harness import DIST_INDEX, NewContext, sign_up


def test_the_shell_revalidates_and_hashed_assets_are_immutable(new_context: NewContext) -> None:
    request = new_context().request
    shell = request.get("/")
    assert shell.status == 200
    assert shell.headers["cache-control"] == "no-cache"
    assert shell.text() == DIST_INDEX.read_text()
    again = request.get("/", headers={"If-None-Match": shell.headers["etag"]})
    assert again.status == 304
    asset = re.search(r'src="(/assets/[^"]+\.js)"', shell.text())
    assert asset is not None
    response = request.get(asset.group(1))
    assert response.status == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")
    worker = request.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache"


def test_client_routes_get_the_shell_and_unknown_files_do_not(new_context: NewContext) -> None:
    request = new_context().request
    for path in ("/p/some-project", "/invite/some-token", "/signin?next=/"):
        response = request.get(path)
        assert response.status == 200, path
        assert response.text() == DIST_INDEX.read_text()
    assert request.get("/assets/missing-1234.js").status == 404
    api = request.get("/api/no-such-route")
    assert api.status == 404
    assert api.json()["error"]["code"] == "not_found"
    # Nothing outside the build is reachable, however the path is spelled.
    for path in ("/../pyproject.toml", "/%2e%2e/pyproject.toml", "/assets/../../package.json"):
        response = request.get(path)
        assert "[project]" not in response.text(), path
        assert '"devDependencies"' not in response.text(), path


def test_the_soundfont_is_for_signed_in_people_and_supports_ranges(
    new_context: NewContext,
) -> None:
    context = new_context()
    assert context.request.get("/api/soundfont").status == 401
    sign_up(context, "listener")
    head = context.request.get("/api/soundfont", headers={"Range": "bytes=0-11"})
    assert head.status == 206
    body = head.body()
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"sfbk"
    assert head.headers["content-type"] == "audio/x-soundfont"
    assert "no-cache" in head.headers["cache-control"]
    etag = head.headers["etag"]
    cached = context.request.get("/api/soundfont", headers={"If-None-Match": etag})
    assert cached.status == 304
