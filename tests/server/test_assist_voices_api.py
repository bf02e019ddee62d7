"""Harmony voices and odd-meter groupings over HTTP: new tracks under the melody, clear 422s."""

from __future__ import annotations

import random

import pytest
from fastapi import FastAPI

from bandmate.music.key import parse_key
from bandmate.music.song import MeterChange
from tests.server.test_assist_api import BAR, PPQ, ClientFactory, _project, melody_song

pytestmark = pytest.mark.anyio


async def test_voices_and_groupings(app: FastAPI, make_client: ClientFactory) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    viewer = clients["viewer"]
    kinds = (await viewer.get("/api/assist/kinds")).json()
    voices_kind = next(k for k in kinds if k["kind"] == "voices")
    assert voices_kind == {
        "kind": "voices",
        "styles": ["chorale", "palestrina"],
        "writes": "tracks",
    }
    answer = await viewer.post(
        f"/api/projects/{pid}/suggestions",
        json={"kind": "voices", "voices": 3, "seed": 4, "alternatives": 2, "style": "palestrina"},
    )
    assert answer.status_code == 200, answer.text
    alternatives = answer.json()["alternatives"]
    assert len(alternatives) == 2
    for alt in alternatives:
        assert [t["name"] for t in alt["tracks"]] == [
            "Bandmate alto", "Bandmate tenor", "Bandmate bass"
        ]  # fmt: skip
        assert alt["score"] < 0
        melody = {i * PPQ for i in range(16)}
        for track in alt["tracks"]:
            assert track["notes"]
            assert all(n["start"] in melody and n["start"] + n["duration"] <= 4 * BAR
                       for n in track["notes"])  # fmt: skip
    assert alternatives[0]["tracks"] != alternatives[1]["tracks"]

    seven = melody_song(meters=(MeterChange(0, 7, 8),), key=parse_key("F# minor"))
    pid, clients = await _project(app, make_client, seven, prefix="s")
    grooves = {}
    for grouping in ("2+2+3", "3+2+2"):
        answer = await clients["viewer"].post(
            f"/api/projects/{pid}/suggestions",
            json={"kind": "backing", "grouping": grouping, "seed": 1, "alternatives": 1},
        )
        assert answer.status_code == 200, answer.text
        grooves[grouping] = answer.json()["alternatives"][0]["tracks"]
    assert grooves["2+2+3"] != grooves["3+2+2"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"kind": "voices", "voices": 4}, "voices"),
        ({"kind": "voices", "style": "funk"}, "palestrina"),
        ({"kind": "drums", "grouping": "3+x"}, "grouping"),
        ({"kind": "drums", "grouping": "3+2"}, "fits no bar"),
        ({"kind": "drums", "grouping": "2+" * 40}, "grouping"),
        ({"kind": "bass", "grouping": "4+4+4+4+4+4+4+4+4+4+4+4+4"}, "grouping"),
    ],
)
async def test_bad_voices_and_groupings_are_422(
    app: FastAPI, make_client: ClientFactory, body: dict[str, object], says: str
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    response = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
    assert response.status_code == 422, response.text
    assert says in response.text


async def test_fuzzed_groupings_and_voices_never_get_a_server_error(
    app: FastAPI, make_client: ClientFactory
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    rng = random.Random(99)
    texts = [
        "2+2", "3+2+2", "", "+", "2++2", "²+2", "٣+١", "9" * 70, "-1+5", "0+4", "4", "1+1+1+1",
        "2+2+2+2+2+2+2+2+2+2+2+2+2", " 2 + 2 ", "2.0+2", None, 7, [2, 2], {"a": 1},
    ]  # fmt: skip
    for _ in range(60):
        body: dict[str, object] = {"kind": rng.choice(["drums", "bass", "backing", "voices"])}
        body["grouping"] = rng.choice(texts)
        if rng.random() < 0.5:
            body["voices"] = rng.choice([0, 1, 2, 3, 4, -1, 2**40, "3", None, 1.5])
        response = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
        assert response.status_code in (200, 422), (body, response.text)
