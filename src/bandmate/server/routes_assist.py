"""``/api/projects/{project_id}/suggestions``: the AI bandmate over HTTP.

``POST .../suggestions`` asks for several alternatives of one kind (next chords, a
progression, a harmonization of the melody, or a part: melody, solo, bass, drums,
backing) over the project's **current** song: the open sync room's document when a studio
has it open, else the stored log (its latest snapshot and the updates after it). The
models run off the event loop (a worker thread: chords take milliseconds, parts well under
a second). Nothing is written: any member may ask (viewers included).

``POST .../suggestions/insert`` adds a chosen alternative to the song: new tracks and
chord-lane entries, never a change to anything already there (a chord that would overlap
one on the lane is refused with 409). It goes through the sync room's own path (checked,
logged, committed, then broadcast to every open studio) like the jam's takes. The update
log's author is the member who chose to insert it (editors and owners only); every
inserted track and chord carries ``origin: "bandmate"`` in the document, which is how the
studio shows it as the bandmate's (see ``docs/assist.md``).

``GET /api/assist/kinds`` lists the kinds this server offers, with their styles.

:mod:`bandmate.assist` is imported inside the functions that use it, on first use: it loads
torch and the models' libraries (seconds), which a server nobody asks never needs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from fastapi import APIRouter, Request, status
from pycrdt import Doc, Map
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from bandmate.auth.errors import InvalidInputError
from bandmate.errors import FormatError, MusicError
from bandmate.jobs.runner import load_source
from bandmate.jobs.tasks import SongSource, load_song
from bandmate.music.chord import Chord, parse_chord, voice_chord
from bandmate.music.song import ChordEvent, Instrument, Note, Song, Track
from bandmate.music.time import TempoMap
from bandmate.server.routes_sync import rooms_of, seed_update
from bandmate.server.schemas import ErrorOut
from bandmate.server.services import Studio, StudioDep, UserDep
from bandmate.store.errors import ConflictError
from bandmate.store.records import Project
from bandmate.sync.document import doc_to_song, root_map
from bandmate.sync.edit import add_chords, add_track, track_ids
from bandmate.sync.protocol import SyncUpdate, encode_message
from bandmate.sync.update import apply_update, encode_diff, encode_state_vector

if TYPE_CHECKING:
    from bandmate.assist import Part, PartSuggestion

router = APIRouter(tags=["assist"])

ORIGIN = "bandmate"
"""The ``origin`` field of every track and chord the bandmate inserted."""
MAX_ALTERNATIVES = 4
MAX_TRACKS = 8
MAX_NOTES = 50_000
MAX_CHORDS = 1024
MAX_TICK = 2**53 - 1

_COMMON: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "Role too low, or CSRF check failed"},
    404: {"model": ErrorOut, "description": "No such project (or not a member)"},
    422: {"model": ErrorOut, "description": "A bad request, or one this song cannot answer"},
}
_INSERT: dict[int | str, dict[str, object]] = {
    **_COMMON,
    409: {"model": ErrorOut, "description": "A chord would overlap one on the lane"},
}

CHORD_KINDS: tuple[str, ...] = ("chords", "progression", "harmony")


def kinds() -> tuple[str, ...]:
    """What may be asked for: the chord kinds, then every part :mod:`bandmate.assist` offers."""
    from bandmate import assist

    return CHORD_KINDS + tuple(assist.PARTS)


# -- wire shapes ----------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class SuggestionsIn(_In):
    """What to ask the bandmate for, and where."""

    kind: str = Field(max_length=32, examples=["chords"])
    start_bar: int | None = Field(default=None, ge=1, le=100_000)
    bars: int | None = Field(default=None, ge=1, le=256)
    track: str | int | None = Field(
        default=None, description="The melody: a track id, a track name, or an index from 0"
    )
    style: str | None = Field(default=None, max_length=64)
    temperature: float = Field(default=1.0, gt=0, le=5)
    seed: int | None = Field(default=None, ge=0, le=MAX_TICK)
    alternatives: int = Field(default=3, ge=1, le=MAX_ALTERNATIVES)
    grouping: str | None = Field(
        default=None, max_length=64, examples=["2+2+3"],
        description="How the band feels odd bars: eighths (7/8: 2+2+3) or beats (5/4: 3+2)",
    )  # fmt: skip
    voices: int = Field(default=1, ge=1, le=3, description="Harmony voices to write (kind voices)")


class NoteIO(_In):
    """A note, in the song's ticks."""

    pitch: int = Field(ge=0, le=127)
    start: int = Field(ge=0, le=MAX_TICK)
    duration: int = Field(ge=1, le=MAX_TICK)
    velocity: int = Field(ge=1, le=127)


class TrackIO(_In):
    """A new track and its notes."""

    name: str = Field(min_length=1, max_length=200)
    program: int = Field(ge=0, le=127)
    drums: bool = False
    volume: int = Field(default=100, ge=0, le=127)
    pan: int = Field(default=0, ge=-64, le=63)
    notes: list[NoteIO] = Field(max_length=MAX_NOTES)


class ChordIO(_In):
    """A chord-lane entry; ``roman`` and ``probability`` describe it and are not stored."""

    tick: int = Field(ge=0, le=MAX_TICK)
    duration: int = Field(ge=1, le=MAX_TICK)
    symbol: str = Field(min_length=1, max_length=64)
    roman: str | None = Field(default=None, max_length=64)
    probability: float | None = Field(default=None, ge=0, le=1)
    pitches: list[Annotated[int, Field(ge=0, le=127)]] | None = Field(
        default=None, max_length=16, description="A voicing to audition it by (MIDI pitches)"
    )


class AlternativeIO(_In):
    """One suggestion: chords for the lane and/or new tracks, with what the model says of it.

    Attributes:
        label: A short description (``"G (V)"``, ``"pop bass, seed 7"``).
        probability: The model's probability (next chords), else ``None``.
        score: The melody model's mean log-probability per note (nats), else ``None``.
        seed: The seed that reproduces it, where sampling made it.
        start_tick: Where the span it covers starts; ``end_tick``: where it ends.
    """

    kind: str = Field(max_length=32)
    label: str = Field(default="", max_length=200)
    probability: float | None = Field(default=None, ge=0, le=1)
    score: float | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    start_tick: int = Field(default=0, ge=0, le=MAX_TICK)
    end_tick: int = Field(default=0, ge=0, le=MAX_TICK)
    chords: list[ChordIO] = Field(default_factory=list, max_length=MAX_CHORDS)
    tracks: list[TrackIO] = Field(default_factory=list, max_length=MAX_TRACKS)


class SuggestionsOut(BaseModel):
    """The alternatives, at the song's resolution (``ppq`` ticks per quarter note)."""

    kind: str
    ppq: int
    key: str | None = Field(description="The key the bandmate heard the song in")
    alternatives: list[AlternativeIO]


class InsertIn(_In):
    """The alternative to add, and the resolution its ticks are in (the song's ``ppq``)."""

    ppq: int = Field(ge=1, le=32767)
    alternative: AlternativeIO

    @model_validator(mode="after")
    def _not_empty(self) -> InsertIn:
        alt = self.alternative
        if not alt.chords and not alt.tracks:
            raise ValueError("alternative has no chords and no tracks: nothing to insert")
        notes = sum(len(t.notes) for t in alt.tracks)
        if notes > MAX_NOTES:
            raise ValueError(f"alternative has {notes} notes; at most {MAX_NOTES} at once")
        return self


class InsertedOut(BaseModel):
    """What was added: the ids of the new tracks and chords in the song document."""

    track_ids: list[str]
    chord_ids: list[str]
    seq: int = Field(description="The update's position in the project's log")


class KindOut(BaseModel):
    """One kind of suggestion and the styles it knows (``None`` as a style: the default)."""

    kind: str
    styles: list[str]
    writes: str = Field(description='"chords" (the chord lane) or "tracks" (new tracks)')


# -- asking ---------------------------------------------------------------------------------


def _bad(exc: Exception) -> InvalidInputError:
    return InvalidInputError(str(exc))


def _voicing(chord: Chord) -> list[int] | None:
    try:
        return list(voice_chord(chord))
    except MusicError:
        return None


def _chord_io(event: ChordEvent, *, roman: str | None = None, p: float | None = None) -> ChordIO:
    return ChordIO(
        pitches=_voicing(event.chord),
        tick=event.tick, duration=event.duration, symbol=str(event.chord), roman=roman,
        probability=p,
    )  # fmt: skip


def _track_io(track: Track) -> TrackIO:
    notes = [NoteIO(pitch=n.pitch, start=n.start, duration=n.duration, velocity=n.velocity)
             for n in track.notes]  # fmt: skip
    return TrackIO(
        name=track.name, program=track.instrument.program, drums=track.instrument.drums,
        volume=track.volume, pan=track.pan, notes=notes,
    )  # fmt: skip


def _check_style(kind: str, style: str | None, known: Sequence[str]) -> None:
    if style is not None and style.strip().lower() not in known:
        raise InvalidInputError(
            f"style={style!r} for kind={kind!r} must be one of {', '.join(known)}"
        )


def _at_bar(song: Song, body: SuggestionsIn) -> int:
    """The bar the next chord goes in: the one asked for, else the bar after the last chord."""
    if body.start_bar is not None:
        return body.start_bar
    if not song.chords:
        return 1
    return TempoMap.from_song(song).bar_at(song.chords[-1].end - 1) + 1


def _next_chords(song: Song, body: SuggestionsIn) -> list[AlternativeIO]:
    from bandmate import assist

    _check_style("chords", body.style, (*assist.CHORD_STYLES, *assist.CHORD_STYLE_ALIASES))
    bar = _at_bar(song, body)
    tempo_map = TempoMap.from_song(song)
    tick, length = tempo_map.bar_start_tick(bar), tempo_map.bar_length(bar)
    length *= body.bars or 1
    found = assist.suggest_next_chords(
        song, bar=bar, k=body.alternatives, style=body.style, temperature=body.temperature,
        seed=body.seed,
    )  # fmt: skip
    out = []
    for s in found:
        event = ChordEvent(tick, length, s.chord)
        out.append(
            AlternativeIO(
                kind="chords",
                label=f"{event.chord} ({s.roman})",
                probability=s.probability,
                seed=body.seed,
                start_tick=tick,
                end_tick=tick + length,
                chords=[_chord_io(event, roman=s.roman, p=s.probability)],
            )
        )
    return out


def _progressions(song: Song, body: SuggestionsIn) -> list[AlternativeIO]:
    from bandmate import assist

    _check_style("progression", body.style, (*assist.CHORD_STYLES, *assist.CHORD_STYLE_ALIASES))
    base = body.seed if body.seed is not None else secrets.randbits(48)
    out = []
    for i in range(body.alternatives):
        seed = (base + i) % 2**53
        events = assist.suggest_progression(
            song, bars=body.bars or 4, start_bar=body.start_bar, style=body.style,
            temperature=body.temperature, seed=seed,
        )  # fmt: skip
        out.append(
            AlternativeIO(
                kind="progression",
                label=" | ".join(str(e.chord) for e in events),
                seed=seed,
                start_tick=events[0].tick,
                end_tick=events[-1].end,
                chords=[_chord_io(e) for e in events],
            )
        )
    return out


_HarmonizerName = Literal["gru", "hmm"]
_Rhythm = Literal["bar", "beat"]
_HARMONIZATIONS: tuple[tuple[_HarmonizerName, _Rhythm, str], ...] = (
    ("gru", "bar", "one chord a bar"),
    ("gru", "beat", "a chord a beat"),
    ("hmm", "bar", "one chord a bar, simpler model"),
    ("hmm", "beat", "a chord a beat, simpler model"),
)


def _harmonies(song: Song, body: SuggestionsIn) -> list[AlternativeIO]:
    from bandmate import assist

    if body.style is not None:
        raise InvalidInputError(f"style={body.style!r}: the harmonizer has no styles")
    tempo_map = TempoMap.from_song(song)
    low, high = 0, MAX_TICK
    if body.start_bar is not None:
        low = tempo_map.bar_start_tick(body.start_bar)
    if body.bars is not None:
        high = tempo_map.bar_start_tick((body.start_bar or 1) + body.bars)
    out = []
    for model, rhythm, label in _HARMONIZATIONS[: body.alternatives]:
        events = assist.harmonize_melody(song, track=body.track, rhythm=rhythm, model=model)
        events = [e for e in events if low <= e.tick < high]
        if not events:
            raise InvalidInputError(
                f"the melody has no notes in bars {body.start_bar}..: nothing to harmonize there"
            )
        out.append(
            AlternativeIO(
                kind="harmony",
                label=label,
                start_tick=events[0].tick,
                end_tick=events[-1].end,
                chords=[_chord_io(e) for e in events],
            )
        )
    return out


def _part(kind: str, song: Song, body: SuggestionsIn) -> list[AlternativeIO]:
    from bandmate import assist
    from bandmate.assist.request import parse_grouping

    request = assist.PartRequest(
        start_bar=body.start_bar, bars=body.bars, style=body.style,
        temperature=body.temperature, seed=body.seed, alternatives=body.alternatives,
        track=body.track,
        grouping=None if body.grouping is None else parse_grouping(body.grouping),
        voices=body.voices,
    )  # fmt: skip
    found: list[PartSuggestion] = assist.suggest_part(song, cast("Part", kind), request)
    out = []
    for s in found:
        label = f"{s.style + ' ' if s.style else ''}{kind}, seed {s.seed}"
        out.append(
            AlternativeIO(
                kind=kind,
                label=label,
                score=s.score,
                seed=s.seed,
                start_tick=s.start_tick,
                end_tick=s.end_tick,
                tracks=[_track_io(t) for t in s.tracks],
            )
        )
    return out


Suggester = Callable[[Song, SuggestionsIn], list[AlternativeIO]]


def suggesters() -> dict[str, Suggester]:
    """Each kind and the function that answers it; every part plugs in by its name."""
    from bandmate import assist

    chords: dict[str, Suggester] = {
        "chords": _next_chords,
        "progression": _progressions,
        "harmony": _harmonies,
    }
    return chords | {part: partial(_part, part) for part in assist.PARTS}


def _resolve_track(song: Song, ids: list[str], track: str | int | None) -> str | int | None:
    """A track id becomes its index; a name or an index stays as it is."""
    if isinstance(track, str) and track in ids:
        return ids.index(track)
    if isinstance(track, int) and not 0 <= track < len(song.tracks):
        raise InvalidInputError(f"track={track} must be in 0..{len(song.tracks) - 1}")
    return track


def suggest(song: Song, ids: list[str], body: SuggestionsIn) -> SuggestionsOut:
    """The alternatives for ``body`` over ``song`` (runs the models: call it off the loop).

    Raises:
        InvalidInputError: An unknown kind or style, or a request this song cannot answer.
    """
    answer = suggesters()
    if body.kind not in answer:
        raise InvalidInputError(f"kind={body.kind!r} must be one of {', '.join(answer)}")
    from bandmate import assist

    body = body.model_copy(update={"track": _resolve_track(song, ids, body.track)})
    key = song.key or assist.estimate_song_key(song)
    try:
        alternatives = answer[body.kind](song, body)
    except assist.AssistError as exc:
        raise _bad(exc) from exc
    except ValueError as exc:  # a bar past what the tempo map can place, and the like
        raise _bad(exc) from exc
    return SuggestionsOut(
        kind=body.kind, ppq=song.ppq, key=None if key is None else str(key),
        alternatives=alternatives,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Current:
    song: Song
    track_ids: list[str]


def _read(source: SongSource) -> _Current:
    if not source.updates:
        try:
            return _Current(load_song(source), [])
        except FormatError:  # as the room will open it (routes_sync.seed_update): empty
            return _Current(Song(title=source.title), [])
    song = load_song(source)
    doc: Doc[Any] = Doc()
    for update in source.updates:
        apply_update(doc, update)
    return _Current(song, track_ids(doc))


async def current_song(request: Request, studio: Studio, project: Project) -> _Current:
    """The project's song as it is now: the open room's document, else the stored log."""
    room = rooms_of(request.app).get(project.id)
    if room is not None:
        source = SongSource(title=project.name, updates=(await room.committed_state(),))
    else:
        source = await load_source(studio.updates, studio.blobs, project)
    return await run_in_threadpool(_read, source)


def _kind_list() -> list[KindOut]:
    from bandmate import assist

    out = [
        KindOut(kind=k, styles=list(assist.CHORD_STYLES), writes="chords") for k in CHORD_KINDS[:2]
    ]
    out.append(KindOut(kind="harmony", styles=[], writes="chords"))
    for part in assist.PARTS:
        styles = (
            [] if part in ("melody", "solo")
            else [str(v) for v in assist.VOICE_STYLES] if part == "voices"
            else list(assist.BAND_STYLES)
        )  # fmt: skip
        out.append(KindOut(kind=part, styles=styles, writes="tracks"))
    return out


@router.get("/api/assist/kinds", responses=_COMMON)
async def list_kinds(user: UserDep) -> list[KindOut]:
    """The kinds of suggestion this server offers, with their styles."""
    del user  # signed-in callers only
    return await run_in_threadpool(_kind_list)


@router.post("/api/projects/{project_id}/suggestions", responses=_COMMON)
async def ask(
    project_id: str, body: SuggestionsIn, request: Request, user: UserDep, studio: StudioDep
) -> SuggestionsOut:
    """Ask the bandmate for alternatives over the current song (any member)."""
    access = await studio.projects.access(user, project_id)
    current = await current_song(request, studio, access.project)
    return await run_in_threadpool(suggest, current.song, current.track_ids, body)


# -- inserting ------------------------------------------------------------------------------


def _tracks_of(alt: AlternativeIO) -> list[Track]:
    try:
        return [
            Track(
                t.name,
                Instrument(t.program, t.drums),
                tuple(Note(n.pitch, n.start, n.duration, n.velocity) for n in t.notes),
                volume=t.volume,
                pan=t.pan,
            )
            for t in alt.tracks
        ]
    except Exception as exc:
        raise _bad(exc) from exc


def _chords_of(alt: AlternativeIO) -> list[ChordEvent]:
    out = []
    for i, c in enumerate(alt.chords):
        try:
            out.append(ChordEvent(c.tick, c.duration, parse_chord(c.symbol)))
        except Exception as exc:
            raise InvalidInputError(f"alternative.chords.{i}: {exc}") from exc
    return out


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    taken.add(candidate)
    return candidate


def _entry(parent: Map[Any], key: str) -> Map[Any]:
    entry = parent[key]
    assert isinstance(entry, Map)  # the edit helpers just made it
    return entry


def build_insert(state: bytes, body: InsertIn) -> tuple[bytes, list[str], list[str]]:
    """The update that adds ``body``'s alternative to the document ``state``, and the new ids.

    Raises:
        InvalidInputError: The ticks are at another resolution than the song's, or a value
            breaks a rule of the song.
        ConflictError: A chord would overlap one already on the lane.
    """
    copy: Doc[Any] = Doc()
    apply_update(copy, state)
    song = doc_to_song(copy)
    if body.ppq != song.ppq:
        raise InvalidInputError(
            f"ppq={body.ppq} must be the song's ppq={song.ppq}: ask again for this song"
        )
    tracks, chords = _tracks_of(body.alternative), _chords_of(body.alternative)
    for new in chords:
        for old in song.chords:
            if new.tick < old.end and old.tick < new.end:
                raise ConflictError(
                    f"chord {new.chord} at tick {new.tick} would overlap {old.chord} at tick "
                    f"{old.tick} on the chord lane: remove that one first, or ask for other bars"
                )
    names = {t.name for t in song.tracks}
    before = encode_state_vector(copy)
    new_tracks: list[str] = []
    with copy.transaction():
        for track in tracks:
            named = Track(
                _unique(track.name, names), track.instrument, track.notes,
                volume=track.volume, pan=track.pan,
            )  # fmt: skip
            track_id = add_track(copy, named)
            _entry(root_map(copy, "tracks"), track_id)["origin"] = ORIGIN
            new_tracks.append(track_id)
        new_chords = add_chords(copy, chords)
        lane = root_map(copy, "chords")
        for chord_id in new_chords:
            _entry(lane, chord_id)["origin"] = ORIGIN
    return encode_diff(copy, before), new_tracks, new_chords


@router.post(
    "/api/projects/{project_id}/suggestions/insert",
    status_code=status.HTTP_201_CREATED,
    responses=_INSERT,
)
async def insert(
    project_id: str, body: InsertIn, request: Request, user: UserDep, studio: StudioDep
) -> InsertedOut:
    """Add a suggestion to the song as the bandmate's (editors and owners).

    The update goes through the sync room: logged (author: the caller), committed, then
    broadcast to every open studio. Tracks are new; chords may not overlap the lane's.
    """
    access = await studio.projects.access(user, project_id, "editor")
    rooms = rooms_of(request.app)
    member = rooms.new_member(user.id, can_edit=True)
    room = await rooms.join(project_id, member, seed=partial(seed_update, studio, access.project))
    try:
        update, new_tracks, new_chords = await run_in_threadpool(
            build_insert, await room.committed_state(), body
        )
        await room.receive(member, encode_message(SyncUpdate(update)))
        return InsertedOut(track_ids=new_tracks, chord_ids=new_chords, seq=room.seq)
    finally:
        rooms.leave(room, member)
