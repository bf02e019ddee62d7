"""Listening and loops over HTTP: analysis jobs, the loops library, uploads, fits and taste.

- ``POST /api/projects/{id}/analyze``: analyze the project's song, or one of its uploads,
  as an ``analyze`` job (watch it with the job endpoints; its summary holds key, tempo,
  chords and mood). Any member.
- ``GET /api/loops``, ``GET /api/loops/{id}``: search and browse the starter library (any
  signed-in person); ``GET /api/loops/{id}/audio`` its audio, rendered from its MIDI in
  any key (``shift``) and tempo (``bpm``), cached as a blob; ``GET /api/loops/{id}/notes``
  its notes as a suggestion the studio inserts like the Bandmate panel's.
- ``/api/projects/{id}/loops/uploads``: members' own loops and samples (WAV, FLAC, OGG,
  MP3; the raw request body, or parts of it for files over the server's body cap).
  Editors and owners upload; the uploader and owners delete; members list, fetch and play
  them, pitch-shifted and time-stretched on request. Each upload is analyzed by a background job.
  ``POST .../loops/uploads/{upload_id}/clip`` makes an analyzed upload a stem of the
  project (a WAV, as uploaded or transformed), which the studio places as an audio clip.
- ``GET /api/projects/{id}/loops/fit``: the library and the project's analyzed uploads
  ranked by fit to the song (key, tempo, mood, style), each offered in the song's key
  and tempo. ``GET /api/projects/{id}/loops``: search the library and the uploads.
- ``POST /api/loops/events`` records a play, like or use; ``GET /api/loops/recommended``
  is the taste model's list for the caller (implicit ALS over everyone's events), with
  the content-based and cold-start paths for people with few or no events.

A project's uploads and fits are for its members only: anyone else gets 404, as for a
missing project.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, FastAPI, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bandmate.auth.errors import PermissionDeniedError
from bandmate.errors import BandmateError, MusicError
from bandmate.jobs.runner import load_source
from bandmate.jobs.specs import Analyze
from bandmate.jobs.tasks import load_song
from bandmate.loops.audio import render_loop, transform_file, wav_seconds
from bandmate.loops.catalog import LoopQuery, LoopRole, LoopSpec, MoodLabel, get_loop, search
from bandmate.loops.errors import LoopError
from bandmate.loops.generate import loop_song
from bandmate.loops.staging import MAX_PARTS, PartStaging
from bandmate.loops.taste import Taste, TasteCache
from bandmate.music.key import Key, parse_key
from bandmate.music.song import Song
from bandmate.recommend.descriptors import CatalogueItem, Descriptors
from bandmate.recommend.fit import Fit, rank_fits
from bandmate.server.schemas import ErrorOut, JobOut
from bandmate.server.services import Studio, StudioDep, UserDep
from bandmate.store.errors import NotFoundError
from bandmate.store.loops import LoopStore, LoopUpload
from bandmate.store.records import Access
from bandmate.store.stems import StemStore

router = APIRouter(tags=["listen"])

_COMMON: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "Role too low, or CSRF check failed"},
    404: {"model": ErrorOut, "description": "No such project, loop or upload (or not a member)"},
    422: {"model": ErrorOut, "description": "A parameter breaks a rule"},
}
_AUDIO: dict[int | str, dict[str, object]] = {
    **_COMMON,
    200: {"content": {"audio/wav": {}}, "description": "The audio"},
    409: {"model": ErrorOut, "description": "The upload is not analyzed (yet)"},
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
MAX_UPLOADS_PER_PROJECT = 200
MAX_UPLOAD_BYTES = 50 << 20
"""Uploads are also capped by the server's body limit (``max_body_bytes``)."""
RENDERS_AT_ONCE = 2
"""Renders and transforms that may run at the same time (each takes a core)."""
_SIGNATURES: tuple[tuple[str, str], ...] = (
    ("audio/wav", "RIFF"),
    ("audio/flac", "fLaC"),
    ("audio/ogg", "OggS"),
    ("audio/mpeg", "ID3"),
)

LoopId = Annotated[str, Field(min_length=1, max_length=80)]
Shift = Annotated[int, Query(ge=-12, le=12, description="Semitones to move a pitched loop")]
Bpm = Annotated[float | None, Query(ge=40, le=240, description="Tempo to play it at")]


# -- shapes ---------------------------------------------------------------------------------


class LoopOut(BaseModel):
    """A loop of the library."""

    id: str
    source: Literal["library"] = "library"
    title: str
    role: LoopRole
    style: str
    key: str | None
    bpm: float
    bars: int
    seconds: float
    mood: MoodLabel
    valence: float
    arousal: float
    progression: list[str]
    audio_url: str

    @classmethod
    def of(cls, spec: LoopSpec) -> LoopOut:
        return cls(
            id=spec.id, title=spec.title, role=spec.role, style=spec.style, key=spec.key,
            bpm=spec.bpm, bars=spec.bars, seconds=round(spec.seconds, 4), mood=spec.mood,
            valence=spec.valence, arousal=spec.arousal, progression=list(spec.progression),
            audio_url=f"/api/loops/{spec.id}/audio",
        )  # fmt: skip


class UploadOut(BaseModel):
    """A project's uploaded loop or sample, and what its analysis found."""

    id: str
    source: Literal["upload"] = "upload"
    project_id: str
    uploader_id: str | None
    name: str
    size: int
    media_type: str
    styles: list[str]
    instrument: str
    state: Literal["pending", "ready", "failed"]
    job_id: str | None
    error: str | None
    key: str | None
    bpm: float | None
    mood: str | None
    valence: float | None
    arousal: float | None
    seconds: float | None
    audio_url: str

    @classmethod
    def of(cls, upload: LoopUpload) -> UploadOut:
        found = upload.analysis or {}
        mood = found.get("mood") or {}
        return cls(
            id=upload.id, project_id=upload.project_id, uploader_id=upload.uploader_id,
            name=upload.name, size=upload.size, media_type=upload.media_type,
            styles=list(upload.styles), instrument=upload.instrument, state=upload.state,
            job_id=upload.job_id, error=upload.error, key=found.get("key"),
            bpm=found.get("bpm"), mood=mood.get("label"), valence=mood.get("valence"),
            arousal=mood.get("arousal"), seconds=found.get("seconds"),
            audio_url=f"/api/projects/{upload.project_id}/loops/uploads/{upload.id}/audio",
        )  # fmt: skip


class ClipOut(BaseModel):
    """An upload made ready to go into the song as an audio clip: a WAV recorded as a stem
    of the project, which the clip names by ``blob`` (``docs/song-document.md``)."""

    upload_id: str
    name: str
    blob: str
    mime: Literal["audio/wav"] = "audio/wav"
    duration_ms: float
    semitones: int
    rate: float
    url: str


class LoopPage(BaseModel):
    """A page of search results."""

    total: int
    loops: list[LoopOut]
    uploads: list[UploadOut] = []


class ProjectSound(BaseModel):
    """What the project's song is, as the fit ranking sees it."""

    key: str | None
    bpm: float | None
    valence: float
    arousal: float
    styles: list[str]


class FitOut(BaseModel):
    """One ranked loop or upload, offered in the project's key and tempo."""

    loop: LoopOut | None
    upload: UploadOut | None
    score: float
    key_relation: str
    shift: int
    offered_key: str | None
    tempo_relation: str
    stretch: float
    offered_bpm: float | None
    reasons: list[str]
    audio_url: str


class FitsOut(BaseModel):
    """The loops that fit a project, best first."""

    project: ProjectSound
    fits: list[FitOut]


class AnalyzeIn(BaseModel):
    """What to analyze: the song (no upload) or one of the project's uploads."""

    upload_id: str | None = Field(default=None, min_length=32, max_length=32)


class NoteOut(BaseModel):
    pitch: int
    start: int
    duration: int
    velocity: int


class TrackOut(BaseModel):
    name: str
    program: int
    drums: bool
    volume: int
    pan: int
    notes: list[NoteOut]


class LoopAlternative(BaseModel):
    """A loop as the studio's suggestions are shaped, so it inserts the same way."""

    kind: Literal["loop"] = "loop"
    label: str
    probability: None = None
    score: None = None
    seed: int
    start_tick: int
    end_tick: int
    chords: list[dict[str, Any]] = []
    tracks: list[TrackOut]


class LoopNotesOut(BaseModel):
    """A loop's notes at the song's resolution, ready to insert."""

    ppq: int
    loop: LoopOut
    key: str | None
    bpm: float
    alternative: LoopAlternative


class EventIn(BaseModel):
    """Someone played, liked or used a loop (a library loop id or an upload id)."""

    item: LoopId
    kind: Literal["play", "like", "use"]


class RecommendedOut(BaseModel):
    loop: LoopOut
    score: float
    reason: str


class RecommendationsOut(BaseModel):
    """Loops for the caller, and which path chose them."""

    method: Literal["als", "content", "cold-start"]
    loops: list[RecommendedOut]


# -- services on the app --------------------------------------------------------------------


@dataclass
class _Loops:
    store: LoopStore
    taste: TasteCache
    renders: asyncio.Semaphore


def _loops(request: Request, studio: Studio) -> _Loops:
    app: FastAPI = request.app
    found = getattr(app.state, "loops", None)
    if not isinstance(found, _Loops):
        found = _Loops(LoopStore(studio.database), TasteCache(), asyncio.Semaphore(RENDERS_AT_ONCE))
        app.state.loops = found
    return found


def _loop(loop_id: str) -> LoopSpec:
    try:
        return get_loop(loop_id)
    except LoopError as exc:
        raise NotFoundError(str(exc)) from None


def _unprocessable(exc: BandmateError) -> HTTPException:
    return HTTPException(422, str(exc))


async def _cached_audio(
    studio: Studio, loops: _Loops, key: str, make: Any, *args: Any, **kwargs: Any
) -> bytes:
    """The blob cached under ``key``, else ``make(*args)`` run in a thread, then cached."""
    data, _ = await _cached_blob(studio, loops, key, make, *args, **kwargs)
    return data


async def _cached_blob(
    studio: Studio, loops: _Loops, key: str, make: Any, *args: Any, **kwargs: Any
) -> tuple[bytes, str]:
    """:func:`_cached_audio`'s bytes and the digest of the blob that holds them."""
    digest = await loops.store.audio(key)
    if digest is not None and await run_in_threadpool(studio.blobs.exists, digest):
        return await run_in_threadpool(studio.blobs.get, digest), digest
    async with loops.renders:
        try:
            data: bytes = await run_in_threadpool(make, *args, **kwargs)
        except (LoopError, MusicError) as exc:
            raise _unprocessable(exc) from exc
        except BandmateError as exc:  # a decode that fails (ListenError): the file's fault
            raise _unprocessable(exc) from exc
    digest = await run_in_threadpool(studio.blobs.put, data)
    await loops.store.remember_audio(key, digest)
    return data, digest


def _wav(data: bytes, name: str) -> Response:
    return Response(
        content=data,
        media_type="audio/wav",
        headers={
            "Cache-Control": "private, max-age=86400",
            "Content-Disposition": f'inline; filename="{name}.wav"',
        },
    )


async def _refresh(studio: Studio, loops: _Loops, upload: LoopUpload) -> LoopUpload:
    """An upload whose analyze job has ended gets its result (or failure) recorded."""
    if upload.state != "pending" or upload.job_id is None:
        return upload
    job = await studio.jobs.store.get(upload.job_id)
    if job is None or job.state in ("failed", "cancelled"):
        why = "the analysis was deleted" if job is None else job.error or job.state
        return await loops.store.finish(upload.id, analysis=None, error=why) or upload
    if job.state == "succeeded" and job.summary is not None:
        return await loops.store.finish(upload.id, analysis=job.summary) or upload
    return upload


async def _uploads(studio: Studio, loops: _Loops, project_id: str) -> list[LoopUpload]:
    """A project's uploads, newest first, each with its analysis recorded once done."""
    return [await _refresh(studio, loops, u) for u in await loops.store.list_uploads(project_id)]


async def _upload_of(studio: Studio, loops: _Loops, access: Access, upload_id: str) -> LoopUpload:
    upload = await loops.store.get_upload(upload_id)
    if upload is None or upload.project_id != access.project.id:
        raise NotFoundError(f"upload_id={upload_id[:40]!r} does not exist in this project")
    return await _refresh(studio, loops, upload)


def _staging(studio: Studio) -> PartStaging:
    return PartStaging(studio.settings.data_dir / "loop-parts", max_bytes=MAX_UPLOAD_BYTES)


def _sniff(data: bytes) -> str:
    for media_type, magic in _SIGNATURES:
        if data.startswith(magic.encode()):
            if media_type == "audio/wav" and data[8:12] != b"WAVE":
                break
            return media_type
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MPEG audio frame without an ID3 tag
    raise HTTPException(
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "the body must be a WAV, FLAC, OGG or MP3 file (its first bytes say otherwise)",
    )


def _styles(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    styles = tuple(sorted({s.strip().lower() for s in text.split(",") if s.strip()}))
    if len(styles) > 8 or any(len(s) > 30 for s in styles):
        raise HTTPException(422, "styles must be at most 8 comma-separated names of <= 30 chars")
    return styles


async def _events(loops: _Loops) -> list[tuple[str, str, Any, float]]:
    return [
        (e.user_id, e.item, e.kind, e.created_at.timestamp()) for e in await loops.store.events()
    ]


# -- analysis -------------------------------------------------------------------------------


@router.post(
    "/api/projects/{project_id}/analyze",
    status_code=status.HTTP_201_CREATED,
    responses={**_COMMON, 429: {"model": ErrorOut, "description": "Too many unfinished jobs"}},
)
async def analyze(
    project_id: str,
    user: UserDep,
    studio: StudioDep,
    request: Request,
    body: Annotated[AnalyzeIn | None, Body()] = None,
) -> JobOut:
    """Start an ``analyze`` job on the song, or on an upload of the project (any member);
    the job's summary holds the key, tempo, chords and mood."""
    access = await studio.projects.access(user, project_id)
    loops = _loops(request, studio)
    upload_id = body.upload_id if body is not None else None
    if upload_id is None:
        spec = Analyze(kind="analyze")
    else:
        upload = await _upload_of(studio, loops, access, upload_id)
        spec = Analyze(kind="analyze", upload_id=upload.id, blob=upload.blob)
    job = await studio.jobs.submit(access.project, user.id, spec)
    if upload_id is not None:
        await loops.store.set_job(upload_id, job.id)
    return JobOut.of(job)


# -- the library ----------------------------------------------------------------------------


def _query(
    q: str | None, role: LoopRole | None, style: str | None, key: str | None,
    mood: MoodLabel | None, bpm_min: float | None, bpm_max: float | None,
) -> LoopQuery:  # fmt: skip
    if bpm_min is not None and bpm_max is not None and bpm_min > bpm_max:
        raise HTTPException(422, f"bpm_min={bpm_min} must not exceed bpm_max={bpm_max}")
    return LoopQuery(q, role, style, key, mood, bpm_min, bpm_max)


Text = Annotated[str | None, Query(max_length=100)]
Role = Annotated[LoopRole | None, Query()]
Mood = Annotated[MoodLabel | None, Query()]
BpmBound = Annotated[float | None, Query(ge=20, le=400)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


@router.get("/api/loops", responses=_COMMON)
async def search_loops(
    user: UserDep, q: Text = None, role: Role = None, style: Text = None, key: Text = None,
    mood: Mood = None, bpm_min: BpmBound = None, bpm_max: BpmBound = None,
    limit: Limit = 50, offset: Offset = 0,
) -> LoopPage:  # fmt: skip
    """Search the starter library (any signed-in person): every filter narrows the list."""
    query = _query(q, role, style, key, mood, bpm_min, bpm_max)
    try:
        found = search(query)
    except LoopError as exc:
        raise _unprocessable(exc) from exc
    return LoopPage(total=len(found), loops=[LoopOut.of(s) for s in found[offset : offset + limit]])


@router.get("/api/loops/recommended", responses=_COMMON)
async def recommended_loops(
    user: UserDep, studio: StudioDep, request: Request,
    n: Annotated[int, Query(ge=1, le=50)] = 10,
    styles: Annotated[str | None, Query(max_length=300)] = None,
) -> RecommendationsOut:  # fmt: skip
    """Loops for you: implicit ALS over everyone's plays, likes and uses once you have some
    (content-based while the model knows too little), else the most played loops in the
    styles you name (cold start)."""
    loops = _loops(request, studio)
    taste: Taste = await loops.taste.current(loops.store.event_count, lambda: _events(loops))
    method, picks = await run_in_threadpool(taste.recommend, user.id, n, _styles(styles))
    return RecommendationsOut(
        method=method,
        loops=[RecommendedOut(loop=LoopOut.of(get_loop(r.item)), score=r.score, reason=r.reason)
               for r in picks],
    )  # fmt: skip


@router.get("/api/loops/{loop_id}", responses=_COMMON)
async def get_library_loop(loop_id: str, user: UserDep) -> LoopOut:
    """One loop of the library."""
    return LoopOut.of(_loop(loop_id))


@router.get("/api/loops/{loop_id}/audio", response_class=Response, responses=_AUDIO)
async def loop_audio(
    loop_id: str, user: UserDep, studio: StudioDep, request: Request, shift: Shift = 0,
    bpm: Bpm = None,
) -> Response:  # fmt: skip
    """The loop as WAV, exactly its bars long (it repeats seamlessly), rendered from its MIDI
    moved ``shift`` semitones (pitched loops) at ``bpm`` (its own tempo by default)."""
    spec = _loop(loop_id)
    shift = 0 if spec.key is None else shift
    tempo = None if bpm is None or math.isclose(bpm, spec.bpm) else round(bpm, 2)
    song = loop_song(spec, shift=shift, bpm=tempo)
    # Keyed by the notes themselves: when the band's patterns are tuned, loops re-render.
    notes = hashlib.sha256(repr(song.tracks).encode()).hexdigest()[:16]
    key = f"lib:{spec.id}:{shift}:{tempo or spec.bpm}:{notes}"
    data = await _cached_audio(studio, _loops(request, studio), key, render_loop, song, spec.bars)
    return _wav(data, spec.id)


@router.get("/api/loops/{loop_id}/notes", responses=_COMMON)
async def loop_notes(
    loop_id: str, user: UserDep, shift: Shift = 0,
    ppq: Annotated[int, Query(ge=24, le=3840)] = 480,
    at_tick: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    repeat: Annotated[int, Query(ge=1, le=16)] = 1,
    time_scale: Annotated[Literal["0.5", "1", "2"], Query()] = "1",
) -> LoopNotesOut:  # fmt: skip
    """The loop's notes moved ``shift`` semitones, at the song's resolution ``ppq``, from
    ``at_tick``, ``repeat`` times; ``time_scale`` 2 plays a half-time fit (each beat of the
    loop spans two of the song's), 0.5 a double-time one."""
    spec = _loop(loop_id)
    shift = 0 if spec.key is None else shift
    song = loop_song(spec, shift=shift)
    scale = float(time_scale) * ppq / song.ppq
    length = round(spec.bars * 4 * song.ppq * scale)
    track = song.tracks[0]
    notes = [
        NoteOut(pitch=n.pitch, start=at_tick + k * length + round(n.start * scale),
                duration=max(1, round(n.duration * scale)), velocity=n.velocity)
        for k in range(repeat) for n in track.notes
    ]  # fmt: skip
    out = TrackOut(
        name=f"Loop {spec.title}"[:100], program=track.instrument.program,
        drums=track.instrument.drums, volume=track.volume, pan=track.pan, notes=notes,
    )  # fmt: skip
    alternative = LoopAlternative(
        label=spec.title, seed=spec.seed, start_tick=at_tick, end_tick=at_tick + repeat * length,
        tracks=[out],
    )  # fmt: skip
    key = None if song.key is None else str(song.key)
    return LoopNotesOut(
        ppq=ppq, loop=LoopOut.of(spec), key=key, bpm=spec.bpm, alternative=alternative
    )


@router.post("/api/loops/events", status_code=status.HTTP_204_NO_CONTENT, responses=_COMMON)
async def record_event(body: EventIn, user: UserDep, studio: StudioDep, request: Request) -> None:
    """Record that you played, liked or used a loop (the taste model learns from these); an
    upload counts only for members of its project."""
    loops = _loops(request, studio)
    if body.item.startswith("lib-"):
        _loop(body.item)
    else:
        upload = await loops.store.get_upload(body.item)
        if upload is None:
            raise NotFoundError(f"item={body.item[:40]!r} is neither a library loop nor an upload")
        await studio.projects.access(user, upload.project_id)
    await loops.store.add_event(user.id, body.item, body.kind)


# -- a project's uploads --------------------------------------------------------------------


@router.post(
    "/api/projects/{project_id}/loops/uploads",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_COMMON,
        413: {"model": ErrorOut, "description": "Too large"},
        415: {"model": ErrorOut, "description": "Not WAV, FLAC, OGG or MP3"},
        429: {"model": ErrorOut, "description": "Too many unfinished jobs"},
    },
    openapi_extra=_UPLOAD_BODY,
)
async def upload_loop(
    project_id: str, request: Request, user: UserDep, studio: StudioDep,
    name: Annotated[str, Query(min_length=1, max_length=200)] = "upload",
    styles: Annotated[str | None, Query(max_length=300)] = None,
    instrument: Annotated[str, Query(max_length=50)] = "",
    parts: Annotated[int | None, Query(ge=1, le=MAX_PARTS)] = None,
    token: Annotated[str | None, Query(pattern=r"^[a-z0-9]{8,64}$")] = None,
) -> UploadOut:  # fmt: skip
    """Upload a loop or sample (editors and owners): the raw bytes of a WAV, FLAC, OGG or
    MP3 file as the body, or (``parts`` and ``token``, empty body) the parts sent before to
    ``PUT .../loops/uploads/parts/{token}/{index}`` for a file over the body cap. It is
    stored, then analyzed by a background job (``job_id``)."""
    access = await studio.projects.access(user, project_id, "editor")
    tags = _styles(styles)
    data = await request.body()
    if (parts is None) != (token is None):
        raise HTTPException(422, "parts and token go together (an upload sent in parts)")
    if parts is not None and token is not None:
        if data:
            raise HTTPException(422, "an upload sent in parts has an empty body")
        try:
            owner = f"{project_id}{user.id}"
            data = await run_in_threadpool(_staging(studio).take, owner, token, parts)
        except LoopError as exc:
            raise _unprocessable(exc) from exc
    if not data:
        raise HTTPException(422, "the body is empty: send the audio file's bytes")
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"the file is {len(data)} bytes; at most {MAX_UPLOAD_BYTES}")
    media_type = _sniff(data)
    loops = _loops(request, studio)
    if await loops.store.count_uploads(project_id) >= MAX_UPLOADS_PER_PROJECT:
        raise HTTPException(409, f"a project holds at most {MAX_UPLOADS_PER_PROJECT} uploads")
    digest = await run_in_threadpool(studio.blobs.put, data)
    upload = await loops.store.add_upload(
        project_id, user.id, name=name, blob=digest, size=len(data), media_type=media_type,
        styles=tags, instrument=instrument.strip().lower(),
    )  # fmt: skip
    known = await loops.store.analysis_of_blob(digest)
    if known is not None:  # the same bytes were analyzed before: analysis is by content
        return UploadOut.of(await loops.store.finish(upload.id, analysis=known) or upload)
    spec = Analyze(kind="analyze", upload_id=upload.id, blob=digest)
    try:
        job = await studio.jobs.submit(access.project, user.id, spec)
    except BandmateError:
        await loops.store.delete_upload(upload.id)
        raise
    await loops.store.set_job(upload.id, job.id)
    return UploadOut.of(replace(upload, job_id=job.id))


@router.put(
    "/api/projects/{project_id}/loops/uploads/parts/{token}/{index}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_COMMON,
    openapi_extra=_UPLOAD_BODY,
)
async def put_upload_part(
    project_id: str, token: str, index: int, request: Request, user: UserDep, studio: StudioDep
) -> Response:
    """Send part ``index`` (0..63) of a file larger than the body cap (editors and owners;
    ``token``: 8..64 of a-z, 0-9, chosen by the client); then ``POST .../loops/uploads``
    with ``parts`` and ``token`` joins them."""
    await studio.projects.access(user, project_id, "editor")
    data = await request.body()
    try:
        owner = f"{project_id}{user.id}"
        await run_in_threadpool(_staging(studio).put, owner, token, index, data)
    except LoopError as exc:
        raise _unprocessable(exc) from exc
    return Response(status_code=204)


@router.get("/api/projects/{project_id}/loops/uploads", responses=_COMMON)
async def list_uploads(
    project_id: str, user: UserDep, studio: StudioDep, request: Request
) -> list[UploadOut]:
    """The project's uploads, newest first (any member)."""
    await studio.projects.access(user, project_id)
    loops = _loops(request, studio)
    return [UploadOut.of(u) for u in await _uploads(studio, loops, project_id)]


@router.get("/api/projects/{project_id}/loops/uploads/{upload_id}", responses=_COMMON)
async def get_upload(
    project_id: str, upload_id: str, user: UserDep, studio: StudioDep, request: Request
) -> UploadOut:
    """One upload (any member)."""
    access = await studio.projects.access(user, project_id)
    return UploadOut.of(await _upload_of(studio, _loops(request, studio), access, upload_id))


@router.delete(
    "/api/projects/{project_id}/loops/uploads/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_COMMON,
)
async def delete_upload(
    project_id: str, upload_id: str, user: UserDep, studio: StudioDep, request: Request
) -> None:
    """Delete an upload (whoever uploaded it, or an owner) and its cached versions."""
    access = await studio.projects.access(user, project_id)
    loops = _loops(request, studio)
    upload = await _upload_of(studio, loops, access, upload_id)
    if upload.uploader_id != user.id and access.role != "owner":
        raise PermissionDeniedError(
            f"upload {upload.id!r} was uploaded by someone else; only they and the project's "
            "owners may delete it"
        )
    await loops.store.delete_upload(upload.id)
    blobs = [upload.blob, *await loops.store.forget_audio(f"up:{upload.id}:")]
    for digest in blobs:
        if not await loops.store.blob_in_use(digest) and not await studio.jobs.store.blob_in_use(
            digest
        ):
            await run_in_threadpool(studio.blobs.delete, digest)


@router.get(
    "/api/projects/{project_id}/loops/uploads/{upload_id}/audio",
    response_class=Response,
    responses=_AUDIO,
)
async def upload_audio(
    project_id: str, upload_id: str, user: UserDep, studio: StudioDep, request: Request,
    semitones: Annotated[int, Query(ge=-12, le=12)] = 0,
    rate: Annotated[float, Query(ge=0.5, le=2.0)] = 1.0,
) -> Response:  # fmt: skip
    """The upload as uploaded, or pitch-shifted ``semitones`` and played ``rate`` times as
    fast (phase vocoder; WAV, cached), for members. Transforming needs a ready upload."""
    access = await studio.projects.access(user, project_id)
    loops = _loops(request, studio)
    upload = await _upload_of(studio, loops, access, upload_id)
    rate = round(rate, 3)
    if semitones == 0 and rate == 1.0:
        data = await run_in_threadpool(studio.blobs.get, upload.blob)
        return Response(content=data, media_type=upload.media_type,
                        headers={"Cache-Control": "private, max-age=86400"})  # fmt: skip
    if upload.state != "ready":
        raise HTTPException(409, f"upload {upload.id!r} is {upload.state}: only an analyzed "
                                 "upload is transformed")  # fmt: skip
    path = studio.blobs.path_of(upload.blob)
    key = f"up:{upload.id}:{semitones}:{rate}"
    data = await _cached_audio(
        studio, loops, key, transform_file, path, semitones=semitones, rate=rate
    )
    return _wav(data, f"{upload.id}-{semitones:+d}-{rate:g}")


@router.post(
    "/api/projects/{project_id}/loops/uploads/{upload_id}/clip",
    status_code=status.HTTP_201_CREATED,
    responses={**_COMMON, 409: {"model": ErrorOut, "description": "Not analyzed (yet)"}},
)
async def upload_clip(
    project_id: str, upload_id: str, user: UserDep, studio: StudioDep, request: Request,
    semitones: Annotated[int, Query(ge=-12, le=12)] = 0,
    rate: Annotated[float, Query(ge=0.5, le=2.0)] = 1.0,
    track_id: Annotated[str, Query(pattern=r"^[0-9A-Za-z]{1,32}$")] = "upload",
) -> ClipOut:  # fmt: skip
    """Make an analyzed upload ready to place in the song (editors and owners): as uploaded
    (a WAV as it is, any other format decoded to WAV) or pitch-shifted ``semitones`` and
    played ``rate`` times as fast, stored as a blob and recorded as a stem of this project,
    so that the studio plays it (``GET .../jam/stems/{blob}``) and render jobs mix it in.
    ``track_id`` names the track the studio puts it on. The studio writes the clip itself,
    as one undoable edit."""
    access = await studio.projects.access(user, project_id, "editor")
    loops = _loops(request, studio)
    upload = await _upload_of(studio, loops, access, upload_id)
    if upload.state != "ready":
        raise HTTPException(409, f"upload {upload.id!r} is {upload.state}: only an analyzed "
                                 "upload goes into the song")  # fmt: skip
    rate = round(rate, 3)
    if semitones == 0 and rate == 1.0 and upload.media_type == "audio/wav":
        digest = upload.blob
        data = await run_in_threadpool(studio.blobs.get, digest)
    else:
        path = studio.blobs.path_of(upload.blob)
        key = f"up:{upload.id}:{semitones}:{rate}"
        data, digest = await _cached_blob(
            studio, loops, key, transform_file, path, semitones=semitones, rate=rate
        )
    try:
        seconds = await run_in_threadpool(wav_seconds, data)
    except LoopError as exc:
        raise _unprocessable(exc) from exc
    stems = StemStore(studio.database)
    if await stems.find(project_id, digest) is None:
        await stems.add(
            project_id=project_id, uploader_id=user.id, digest=digest, mime="audio/wav",
            size=len(data), duration_ms=seconds * 1000.0, track_id=track_id,
        )  # fmt: skip
    return ClipOut(
        upload_id=upload.id, name=upload.name, blob=digest, duration_ms=seconds * 1000.0,
        semitones=semitones, rate=rate, url=f"/api/projects/{project_id}/jam/stems/{digest}",
    )  # fmt: skip


async def upload_leftovers(studio: Studio, project_id: str) -> tuple[list[str], list[str]]:
    """The ids and blobs of a project's uploads, read before the project is deleted (its
    cascade removes their rows; :func:`clean_up_uploads` deletes their files after)."""
    uploads = await LoopStore(studio.database).list_uploads(project_id)
    return [u.id for u in uploads], [u.blob for u in uploads]


async def clean_up_uploads(
    studio: Studio, project_id: str, leftovers: tuple[list[str], list[str]]
) -> None:
    """After a project was deleted: drop its staged upload parts, forget the transformed
    versions of its uploads, and delete those blobs and the uploads' own that no other
    upload, rendering, stem, job result or song seed uses."""
    upload_ids, blobs = leftovers
    await run_in_threadpool(_staging(studio).drop_owners, project_id)
    store = LoopStore(studio.database)
    found = list(blobs)
    for upload_id in upload_ids:
        found += await store.forget_audio(f"up:{upload_id}:")
    for digest in dict.fromkeys(found):
        if not await studio.jobs.store.blob_in_use(digest):
            await run_in_threadpool(studio.blobs.delete, digest)


# -- fits -----------------------------------------------------------------------------------


def _song_sound(song: Song, styles: tuple[str, ...]) -> Descriptors:
    from bandmate.listen.symbolic import analyze_song
    from bandmate.recommend.descriptors import descriptors_from_song

    try:
        return descriptors_from_song(analyze_song(song), styles=styles)
    except BandmateError:  # an empty song: only what it states
        bpm = song.tempos[0].bpm
        return Descriptors(key=song.key, bpm=bpm if 20 <= bpm <= 400 else None, styles=styles)


def _upload_item(upload: LoopUpload) -> CatalogueItem | None:
    found = upload.analysis or {}
    mood = found.get("mood") or {}
    try:
        key = parse_key(found["key"]) if found.get("key") else None
        bpm = found.get("bpm")
        descriptors = Descriptors(
            key=key, bpm=float(bpm) if bpm and 20 <= float(bpm) <= 400 else None,
            valence=float(mood.get("valence", 0.0)), arousal=float(mood.get("arousal", 0.0)),
            styles=upload.styles,
        )  # fmt: skip
    except (BandmateError, TypeError, ValueError):
        return None
    return CatalogueItem(upload.id, "sample", descriptors, upload.name)


def _fit_out(fit: Fit, project: Descriptors, uploads: dict[str, LoopUpload]) -> FitOut:
    item = fit.item
    offered = None if fit.key.offered_key is None else str(fit.key.offered_key)
    bpm = item.descriptors.bpm
    offered_bpm = None if bpm is None else round(bpm * fit.tempo.stretch, 2)
    shift = fit.key.shift_semitones
    if item.id in uploads:
        upload = UploadOut.of(uploads[item.id])
        rate = min(2.0, max(0.5, round(fit.tempo.stretch, 3)))
        url = f"{upload.audio_url}?semitones={shift}&rate={rate}"
        loop = None
    else:
        loop, upload = LoopOut.of(get_loop(item.id)), None
        url = f"{loop.audio_url}?shift={shift}"
        if offered_bpm is not None and 40 <= offered_bpm <= 240:
            url += f"&bpm={offered_bpm:g}"
    return FitOut(
        loop=loop, upload=upload, score=round(fit.score, 4), key_relation=fit.key.relation,
        shift=shift, offered_key=offered, tempo_relation=fit.tempo.relation,
        stretch=round(fit.tempo.stretch, 4), offered_bpm=offered_bpm, reasons=list(fit.reasons),
        audio_url=url,
    )  # fmt: skip


@router.get("/api/projects/{project_id}/loops/fit", responses=_COMMON)
async def fit_loops(
    project_id: str, user: UserDep, studio: StudioDep, request: Request,
    role: Role = None, style: Text = None, mood: Mood = None,
    n: Annotated[int, Query(ge=1, le=100)] = 12,
    transpose: bool = True,
    source: Annotated[Literal["library", "uploads"] | None, Query()] = None,
) -> FitsOut:  # fmt: skip
    """The library and the project's analyzed uploads ranked by fit to the song: key (same,
    relative, neighbours), tempo (equal, half, double), mood and ``style`` (any member).
    Each is offered moved into the song's key and stretched to its tempo; ``source`` keeps
    only the library or only the uploads (which have no ``role``)."""
    access = await studio.projects.access(user, project_id)
    loops = _loops(request, studio)
    stored = await load_source(studio.updates, studio.blobs, access.project)
    styles = _styles(style)
    try:
        song = await run_in_threadpool(load_song, stored)
        project = await run_in_threadpool(_song_sound, song, styles)
    except BandmateError:  # a song that does not read has no key or tempo to match
        project = Descriptors(styles=styles)
    uploads = {u.id: u for u in await _uploads(studio, loops, project_id) if u.state == "ready"}
    catalogue: list[CatalogueItem] = []
    if source != "uploads":
        catalogue += [s.catalogue_item() for s in search(LoopQuery(role=role, mood=mood))]
    if role is None and source != "library":
        catalogue += [i for u in uploads.values() if (i := _upload_item(u)) is not None]
    if not catalogue:
        return FitsOut(project=_sound(project), fits=[])
    ranked = await run_in_threadpool(
        lambda: rank_fits(project, catalogue, n=n, allow_transpose=transpose)
    )
    return FitsOut(project=_sound(project), fits=[_fit_out(f, project, uploads) for f in ranked])


def _sound(project: Descriptors) -> ProjectSound:
    key: Key | None = project.key
    return ProjectSound(
        key=None if key is None else str(key), bpm=project.bpm, valence=project.valence,
        arousal=project.arousal, styles=list(project.styles),
    )  # fmt: skip


@router.get("/api/projects/{project_id}/loops", responses=_COMMON)
async def search_project_loops(
    project_id: str, user: UserDep, studio: StudioDep, request: Request,
    q: Text = None, role: Role = None, style: Text = None, key: Text = None,
    mood: Mood = None, bpm_min: BpmBound = None, bpm_max: BpmBound = None,
    limit: Limit = 50, offset: Offset = 0,
) -> LoopPage:  # fmt: skip
    """Search the library and the project's analyzed uploads with the same filters (any
    member; a ``role`` filter leaves the uploads out, which have none)."""
    await studio.projects.access(user, project_id)
    query = _query(q, role, style, key, mood, bpm_min, bpm_max)
    try:
        found = search(query)
        wanted = None if key is None else parse_key(key)
    except (LoopError, MusicError) as exc:
        raise _unprocessable(exc) from exc
    loops = _loops(request, studio)
    uploads = [] if role is not None else [
        UploadOut.of(u) for u in await _uploads(studio, loops, project_id) if u.state == "ready"
    ]  # fmt: skip
    uploads = [u for u in uploads if _upload_matches(u, query, wanted)]
    return LoopPage(
        total=len(found) + len(uploads),
        loops=[LoopOut.of(s) for s in found[offset : offset + limit]],
        uploads=uploads[:limit],
    )


def _upload_matches(upload: UploadOut, query: LoopQuery, key: Key | None) -> bool:
    if query.style is not None and query.style.strip().lower() not in upload.styles:
        return False
    if query.mood is not None and upload.mood != query.mood:
        return False
    if query.bpm_min is not None and (upload.bpm is None or upload.bpm < query.bpm_min):
        return False
    if query.bpm_max is not None and (upload.bpm is None or upload.bpm > query.bpm_max):
        return False
    if key is not None:
        try:
            if upload.key is None or parse_key(upload.key) != key:
                return False
        except MusicError:
            return False
    if query.text:
        name = upload.name.lower()
        return all(word in name for word in query.text.lower().split())
    return True
