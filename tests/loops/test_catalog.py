"""The starter library: the committed manifest is what the generator makes, every loop is
valid and searchable, and bad manifests and queries are refused clearly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bandmate.assist.band.styles import STYLES
from bandmate.loops.build import build_specs
from bandmate.loops.catalog import (
    MANIFEST,
    LoopQuery,
    get_loop,
    library,
    read_manifest,
    search,
    spec_from_dict,
    specs_to_json,
)
from bandmate.loops.errors import LoopError
from bandmate.music.key import parse_key


def test_the_committed_manifest_is_what_the_generator_builds() -> None:
    """Every field exactly, except the measured moods, which follow the band's patterns
    (``bandmate.assist.band``) and move a little when those are tuned: rerun
    ``scripts/build_loops.py`` when this fails."""
    built = build_specs(1)
    shipped = read_manifest(MANIFEST)
    assert [s.id for s in shipped] == [s.id for s in built]
    for old, new in zip(shipped, built, strict=True):
        assert (old.role, old.style, old.key, old.bpm, old.bars, old.progression, old.seed) == (
            new.role, new.style, new.key, new.bpm, new.bars, new.progression, new.seed
        )  # fmt: skip
        assert abs(old.valence - new.valence) <= 0.15
        assert abs(old.arousal - new.arousal) <= 0.15
    assert MANIFEST.read_text(encoding="utf-8").startswith('{"version": 1, "loops": [')


def test_the_library_covers_roles_styles_keys_tempi_and_moods() -> None:
    loops = library()
    assert 200 <= len(loops) <= 400
    roles = Counter(s.role for s in loops)
    assert set(roles) == {"drums", "bass", "chords", "pad"}
    assert min(roles.values()) >= 20
    assert {s.style for s in loops if s.role != "pad"} == set(STYLES)
    keys = {parse_key(s.key) for s in loops if s.key is not None}
    assert len(keys) >= 20
    assert sum(k.is_minor for k in keys) >= 10
    assert len({s.bpm for s in loops}) >= 15
    moods = Counter(s.mood for s in loops)
    assert set(moods) == {"happy", "calm", "sad", "tense"}
    assert min(moods.values()) >= 20
    assert len({s.id for s in loops}) == len(loops)


def test_search_narrows_by_every_field() -> None:
    found = search(LoopQuery(role="bass", style="Funk", bpm_min=95, bpm_max=105))
    assert found
    assert all(s.role == "bass" and s.style == "funk" and 95 <= s.bpm <= 105 for s in found)
    minor = search(LoopQuery(key="b minor"))
    assert minor
    assert all(s.key == "B minor" for s in minor)
    words = search(LoopQuery(text="reggae DRUMS"))
    assert words
    assert all(s.style == "reggae" and s.role == "drums" for s in words)
    assert search(LoopQuery(mood="tense", role="pad"))
    assert len(search(LoopQuery())) == len(library())


def test_bad_queries_and_ids_are_refused_with_the_field_named() -> None:
    with pytest.raises(LoopError, match="key='H minor'"):
        search(LoopQuery(key="H minor"))
    with pytest.raises(LoopError, match="loop_id='nope'"):
        get_loop("nope")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "kazoo"}, "role='kazoo'"),
        ({"mood": "angry"}, "mood='angry'"),
        ({"bpm": 900}, "bpm=900"),
        ({"bars": 0}, "bars=0"),
        ({"key": None}, "drums have no key"),
        ({"key": "Q major"}, "key='Q major'"),
        ({"seed": "x"}, "malformed"),
    ],
)
def test_a_bad_manifest_entry_is_refused(change: dict[str, object], message: str) -> None:
    entry = json.loads(specs_to_json([get_loop("lib-bass-pop-d-major-98-0")]))["loops"][0]
    with pytest.raises(LoopError, match=message):
        spec_from_dict({**entry, **change})


def test_unreadable_manifests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LoopError, match="cannot be read"):
        read_manifest(tmp_path / "missing.json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"version": 99, "loops": []}')
    with pytest.raises(LoopError, match="version 1"):
        read_manifest(wrong)
    twice = tmp_path / "twice.json"
    spec = get_loop("lib-bass-pop-d-major-98-0")
    twice.write_text(specs_to_json([spec, spec]))
    with pytest.raises(LoopError, match="repeats an id"):
        read_manifest(twice)


def test_descriptors_carry_key_tempo_mood_and_style() -> None:
    spec = get_loop("lib-bass-pop-d-major-98-0")
    item = spec.catalogue_item()
    assert item.kind == "loop"
    assert item.title == "Pop bass, D major, 98 bpm"
    d = item.descriptors
    assert d.key == parse_key("D major")
    assert d.bpm == 98.0
    assert d.styles == ("pop",)
    assert (d.valence, d.arousal) == (spec.valence, spec.arousal)
    drums = next(s for s in library() if s.role == "drums")
    assert drums.descriptors().key is None
