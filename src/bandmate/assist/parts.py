"""The part API: melodies, solos, bass lines, drum grooves and backing tracks for a song.

Every function takes a :class:`~bandmate.music.song.Song` and a
:class:`~bandmate.assist.request.PartRequest` (or its fields as keywords) and returns a
list of :class:`~bandmate.assist.request.PartSuggestion`, one per alternative, each with new
tracks whose notes lie inside the requested bars at the song's resolution. Nothing in the
song is changed: :func:`~bandmate.assist.request.apply_suggestion` adds a suggestion's
tracks. The same request and seed give the same suggestions.

Defaults: a melody continues the song's melody (the pitched track that sounds highest)
from the bar after it ends, for 8 bars, over the chord lane if there is one; in a song with
chords and no melody it covers the chord lane; a solo plays over the whole chord lane;
bass, comping and backing tracks cover the chord lane (or, in a song without chords, the
chords the harmonizer hears in its melody); drums cover the song, or 8 bars of an empty one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from bandmate.assist.band.bass import bass_notes
from bandmate.assist.band.comp import comp_notes
from bandmate.assist.band.drums import drum_notes
from bandmate.assist.band.grid import check_grouping
from bandmate.assist.band.styles import ALIASES, STYLES, STYLES_LIBRARY, Style
from bandmate.assist.context import model_key, song_key
from bandmate.assist.errors import AssistError
from bandmate.assist.melody.tokens import HIGH_REL, LOW_REL, reference_tonic
from bandmate.assist.request import (
    AUTHOR,
    MAX_BARS,
    ChordLane,
    Part,
    PartRequest,
    PartSuggestion,
    Region,
    chord_span,
    resolve_region,
)
from bandmate.music.key import Key
from bandmate.music.song import ChordEvent, Instrument, Note, Song, Track
from bandmate.music.time import TempoMap

if TYPE_CHECKING:
    from bandmate.assist.melody.generate import MelodyModelName

# The models (and torch) load inside the functions that use them: the band's parts need
# neither, and importing this module stays cheap for the loops library and the server.

DEFAULT_STYLE = "pop"
MELODY_BARS = 8
EMPTY_SONG_BARS = 8
MELODY_PROGRAM, SOLO_PROGRAM = 73, 65  # GM flute and alto sax


def resolve_style(name: str | None) -> Style:
    """The style called ``name`` (or an alias such as ``"jazz"``); ``None`` is pop."""
    key = (name or DEFAULT_STYLE).strip().lower()
    key = ALIASES.get(key, key)
    if key not in STYLES_LIBRARY:
        raise AssistError(f"style={name!r} must be one of {', '.join(STYLES)}")
    return STYLES_LIBRARY[key]


def _pitched(song: Song) -> bool:
    return any(t.notes and not t.instrument.drums for t in song.tracks)


def song_chords(song: Song) -> list[ChordEvent]:
    """The chord lane, or the harmonizer's chords for the melody when the lane is empty.

    Raises:
        AssistError: No chords and no melody to hear them in.
    """
    if song.chords:
        return list(song.chords)
    if not _pitched(song):
        raise AssistError(
            "song has no chords and no pitched notes to hear them in: add chords to the "
            "chord lane (bandmate suggest progression writes some)"
        )
    from bandmate.assist.harmony.harmonize import harmonize_melody

    return harmonize_melody(song)


def _region(song: Song, request: PartRequest, start: int, bars: int) -> Region:
    start_bar = request.start_bar if request.start_bar is not None else start
    count = request.bars if request.bars is not None else min(bars, MAX_BARS)
    return resolve_region(song, start_bar, count)


def check_region_grouping(region: Region, grouping: tuple[int, ...]) -> None:
    """Raise :class:`AssistError` unless ``grouping`` fits the meter of some bar of ``region``
    (it applies to the bars it fits; the others keep their meter's usual grouping)."""
    text = "+".join(str(g) for g in grouping)
    meters = {region.tempo_map.bar_meter(bar) for bar, _, _ in region.bar_ticks()}
    fitting = [m for m in meters if m.numerator == sum(grouping)]
    if not fitting:
        names = ", ".join(sorted(f"{m.numerator}/{m.denominator}" for m in meters))
        raise AssistError(f"grouping={text} adds up to {sum(grouping)}: it fits no bar in {names}")
    for meter in fitting:
        check_grouping(grouping, meter.numerator, meter.denominator)


def _section_bars(song: Song, tempo_map: TempoMap) -> set[int]:
    return {tempo_map.bar_at(s.tick) for s in song.sections}


def _rng(seed: int, part: int) -> np.random.Generator:
    return np.random.default_rng([seed, part])


def _track(name: str, instrument: Instrument, notes: list[Note]) -> Track:
    return Track(f"{AUTHOR} {name}", instrument, tuple(notes))


# -- melody and solo ----------------------------------------------------------------------


def _melody(
    song: Song, request: PartRequest, *, solo: bool, model: MelodyModelName
) -> list[PartSuggestion]:
    from bandmate.assist.harmony.harmonize import melody_track
    from bandmate.assist.melody.generate import Setting, load_melody_models, sample_melody

    key = model_key(song_key(song))
    lane_events = list(song.chords)
    tempo_map = TempoMap.from_song(song)
    source: Track | None = None
    if request.track is not None or (not solo and _pitched(song)):
        source = melody_track(song, request.track)
    if solo:
        span = chord_span(song, lane_events)
        if span is None:
            raise AssistError("a solo plays over chords: the song's chord lane is empty")
        region = _region(song, request, *span)
    elif source is None and lane_events:
        span = chord_span(song, lane_events)
        assert span is not None
        region = _region(song, request, *span)  # a melody over the chords
    else:
        start = tempo_map.bar_count(source.end) + 1 if source is not None else 1
        region = _region(song, request, start, MELODY_BARS)
    reference = reference_tonic(key.tonic_pc)
    low, high = (55, 86) if solo else (57, 84)
    if source is not None:
        pitches = [n.pitch for n in source.notes]
        low, high = min(pitches) - 2, max(pitches) + 2
        if high - low < 14:
            low, high = low - (14 - (high - low)) // 2, low + 14
    low = max(low, reference + LOW_REL, 0)
    high = min(high, reference + HIGH_REL, 127)
    setting = Setting(key.tonic_pc, key.is_minor, reference, region.start_tick, region.end_tick,
                      low, high)  # fmt: skip
    models = load_melody_models()
    lane = ChordLane(lane_events)
    primer = source.notes if source is not None and not solo else ()
    instrument = (
        source.instrument if source is not None and not solo
        else Instrument(SOLO_PROGRAM if solo else MELODY_PROGRAM)
    )  # fmt: skip
    out = []
    for seed in request.seeds():
        notes, score = sample_melody(
            models, setting, tempo_map, lane, primer, _rng(seed, 0),
            temperature=request.temperature, top_p=request.top_p, model=model,
        )  # fmt: skip
        part: Part = "solo" if solo else "melody"
        out.append(
            PartSuggestion(part, (_track(part, instrument, notes),), region.start_bar,
                           region.bars, region.start_tick, region.end_tick, None, seed, score)
        )  # fmt: skip
    return out


def suggest_melody(
    song: Song, request: PartRequest | None = None, *, model: MelodyModelName = "gru"
) -> list[PartSuggestion]:
    """Continue the song's melody, or write one over its chords, in its key and meter.

    Args:
        song: The song: its key (or the key its notes suggest), meter, chords and melody.
        request: Where, how adventurous (temperature, top-p), seed and alternatives.
        model: ``"gru"`` (the trained model) or ``"markov"`` (the baseline).

    Raises:
        AssistError: No key to work in (an empty or drums-only song without a key), a bad
            request, or a track that is not a pitched melody.
    """
    return _melody(song, request or PartRequest(), solo=False, model=model)


def suggest_solo(
    song: Song, request: PartRequest | None = None, *, model: MelodyModelName = "gru"
) -> list[PartSuggestion]:
    """Improvise a solo over the song's chord progression (the melody model on the chords).

    Raises:
        AssistError: The song has no chords or no key, or the request is bad.
    """
    return _melody(song, request or PartRequest(temperature=1.1), solo=True, model=model)


# -- the band -------------------------------------------------------------------------------


def _band(
    song: Song,
    request: PartRequest,
    part: Part,
    build: Callable[[Region, Style, ChordLane, Key | None, int], list[Track]],
    *,
    needs_chords: bool,
) -> list[PartSuggestion]:
    style = resolve_style(request.style)
    lane_events = song_chords(song) if needs_chords else list(song.chords)
    key = model_key(song_key(song)) if needs_chords else None  # after the chords: say that first
    tempo_map = TempoMap.from_song(song)
    span = chord_span(song, lane_events)
    if span is None:
        bars = tempo_map.bar_count(song.end_tick) or EMPTY_SONG_BARS
        span = (1, bars)
    region = _region(song, request, *span)
    if request.grouping is not None:
        check_region_grouping(region, request.grouping)
    lane = ChordLane(lane_events)
    out = []
    for seed in request.seeds():
        tracks = build(region, style, lane, key, seed)
        out.append(
            PartSuggestion(part, tuple(tracks), region.start_bar, region.bars,
                           region.start_tick, region.end_tick, style.name, seed)
        )  # fmt: skip
    return out


def suggest_bass(song: Song, request: PartRequest | None = None) -> list[PartSuggestion]:
    """A bass line that follows the song's chords in a style.

    Raises:
        AssistError: No chords and no melody to harmonize, no key, or a bad request.
    """
    req = request or PartRequest()

    def build(region: Region, style: Style, lane: ChordLane, key: Key | None,
              seed: int) -> list[Track]:  # fmt: skip
        assert key is not None
        notes = bass_notes(
            region, style, lane, key, _rng(seed, 0), temperature=req.temperature,
            grouping=req.grouping,
        )  # fmt: skip
        return [_track("bass", Instrument(style.programs[1]), notes)]

    return _band(song, req, "bass", build, needs_chords=True)


def suggest_drums(song: Song, request: PartRequest | None = None) -> list[PartSuggestion]:
    """A drum groove in a style, with fills at section ends (no key or chords needed).

    Raises:
        AssistError: A bad request (unknown style, bars out of range).
    """
    req = request or PartRequest()
    tempo_map = TempoMap.from_song(song)
    sections = _section_bars(song, tempo_map)

    def build(region: Region, style: Style, lane: ChordLane, key: Key | None,
              seed: int) -> list[Track]:  # fmt: skip
        notes = drum_notes(
            region, style, _rng(seed, 0), section_bars=sections, temperature=req.temperature,
            grouping=req.grouping,
        )  # fmt: skip
        return [_track("drums", Instrument(style.programs[2], drums=True), notes)]

    return _band(song, req, "drums", build, needs_chords=False)


def suggest_backing(song: Song, request: PartRequest | None = None) -> list[PartSuggestion]:
    """A backing track: comping, bass and drums as three new tracks, over the song's chords.

    Raises:
        AssistError: No chords and no melody to harmonize, no key, or a bad request.
    """
    req = request or PartRequest()
    tempo_map = TempoMap.from_song(song)
    sections = _section_bars(song, tempo_map)

    def build(region: Region, style: Style, lane: ChordLane, key: Key | None,
              seed: int) -> list[Track]:  # fmt: skip
        assert key is not None
        t, g = req.temperature, req.grouping
        comp = comp_notes(region, style, lane, _rng(seed, 1), temperature=t, grouping=g)
        bass = bass_notes(region, style, lane, key, _rng(seed, 2), temperature=t, grouping=g)
        drums = drum_notes(
            region, style, _rng(seed, 3), section_bars=sections, temperature=t, grouping=g
        )
        return [
            _track("comping", Instrument(style.programs[0]), comp),
            _track("bass", Instrument(style.programs[1]), bass),
            _track("drums", Instrument(style.programs[2], drums=True), drums),
        ]

    return _band(song, req, "backing", build, needs_chords=True)


def suggest_part(
    song: Song, part: Part, request: PartRequest | None = None
) -> list[PartSuggestion]:
    """One entry point for every part: ``"melody"``, ``"solo"``, ``"bass"``, ``"drums"``,
    ``"backing"``, ``"voices"`` (harmony voices under the melody, ``request.voices`` of them).

    Raises:
        AssistError: An unknown part, or whatever the part's own function raises.
    """

    def voices(song: Song, request: PartRequest | None) -> list[PartSuggestion]:
        from bandmate.assist.voices.generate import suggest_voices

        return suggest_voices(song, request, voices=request.voices if request else 1)

    calls: dict[str, Callable[[Song, PartRequest | None], list[PartSuggestion]]] = {
        "melody": suggest_melody, "solo": suggest_solo, "bass": suggest_bass,
        "drums": suggest_drums, "backing": suggest_backing, "voices": voices,
    }  # fmt: skip
    if part not in calls:
        raise AssistError(f"part={part!r} must be one of {', '.join(calls)}")
    return calls[part](song, request)
