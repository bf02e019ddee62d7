"""The song model: notes, tracks, tempo and meter changes, chords, sections.

All times are integer ticks at the song's resolution (``ppq``, ticks per
quarter note). Every type is an immutable value: operations return new songs
(use :func:`dataclasses.replace`), so a song can be shared between threads,
hashed, and compared for equality in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bandmate.errors import MusicError
from bandmate.music.chord import Chord
from bandmate.music.gm import drum_kit_name, program_name
from bandmate.music.key import Key

MAX_PPQ = 0x7FFF
"""The largest resolution a Standard MIDI File can state."""


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise MusicError(f"{name}={value} must be in {low}..{high}")


@dataclass(frozen=True, slots=True)
class Note:
    """A note: MIDI pitch, start and duration in ticks, MIDI velocity."""

    pitch: int
    start: int
    duration: int
    velocity: int = 100

    def __post_init__(self) -> None:
        _check_range("pitch", self.pitch, 0, 127)
        _check_range("velocity", self.velocity, 1, 127)
        if self.start < 0:
            raise MusicError(f"start={self.start} must be >= 0")
        if self.duration < 1:
            raise MusicError(f"duration={self.duration} must be >= 1")

    @property
    def end(self) -> int:
        """The tick at which the note stops sounding."""
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Instrument:
    """A General MIDI program (0..127), or a drum kit when ``drums`` is true.

    For drums, ``program`` selects the GM2 kit (0 is the standard kit); drum
    tracks play on MIDI channel 10.
    """

    program: int = 0
    drums: bool = False

    def __post_init__(self) -> None:
        _check_range("program", self.program, 0, 127)

    @property
    def name(self) -> str:
        """The General MIDI name, e.g. ``"Acoustic Grand Piano"`` or ``"Standard Kit"``."""
        return drum_kit_name(self.program) if self.drums else program_name(self.program)


@dataclass(frozen=True, slots=True)
class AudioClip:
    """A recorded region on a track: a stored recording that plays from ``start``.

    The recording is named, not held: ``blob`` is its SHA-256 in the server's blob
    store, which whoever renders the song reads (see ``docs/song-document.md``).

    Attributes:
        blob: The recording's SHA-256 (64 lowercase hex digits).
        start: The tick where the clip starts sounding (>= 0).
        offset: Ticks of the recording skipped at its start (>= 0), counted at the tempo
            in force at ``start``: a take begun in a count-in starts at tick 0 with the
            count-in cut.
        duration_ms: The recording's length in milliseconds (> 0), as recorded.
        mime: Its type: ``audio/webm``, ``audio/ogg`` or ``audio/wav``.
        author: The user id of who recorded it, when known.
    """

    blob: str
    start: int
    offset: int = 0
    duration_ms: float = 1.0
    mime: str = "audio/webm"
    author: str | None = None

    def __post_init__(self) -> None:
        if len(self.blob) != 64 or self.blob.strip("0123456789abcdef"):
            raise MusicError(f"blob={self.blob[:70]!r} must be 64 lowercase hex digits")
        if self.start < 0:
            raise MusicError(f"clip start={self.start} must be >= 0")
        if self.offset < 0:
            raise MusicError(f"clip offset={self.offset} must be >= 0")
        if not 0.0 < self.duration_ms <= MAX_CLIP_MS:
            raise MusicError(f"duration_ms={self.duration_ms} must be in (0, {MAX_CLIP_MS:g}]")


MAX_CLIP_MS = 4 * 3600 * 1000.0
"""The longest clip: four hours."""


@dataclass(frozen=True, slots=True)
class Track:
    """A named part played by one instrument, and the audio clips recorded on it.

    ``volume`` is MIDI channel volume (0..127); ``pan`` runs from -64 (hard
    left) through 0 (centre) to 63 (hard right), as MIDI CC 10 minus 64.
    Notes are kept sorted by (start, pitch), clips by start. Clips are audio: they
    have no MIDI form (MIDI and MusicXML export leave them out) and play only where
    their recordings can be read (the server's render jobs mix them in).
    """

    name: str
    instrument: Instrument = field(default_factory=Instrument)
    notes: tuple[Note, ...] = ()
    volume: int = 100
    pan: int = 0
    mute: bool = False
    solo: bool = False
    clips: tuple[AudioClip, ...] = ()

    def __post_init__(self) -> None:
        _check_range("volume", self.volume, 0, 127)
        _check_range("pan", self.pan, -64, 63)
        ordered = tuple(sorted(self.notes, key=_note_order))
        if ordered != self.notes:
            object.__setattr__(self, "notes", ordered)
        clips = tuple(sorted(self.clips, key=_clip_order))
        if clips != self.clips:
            object.__setattr__(self, "clips", clips)

    @property
    def end(self) -> int:
        """The tick after the last note ends (0 for an empty track)."""
        return max((n.end for n in self.notes), default=0)


def _note_order(note: Note) -> tuple[int, int, int, int]:
    return (note.start, note.pitch, note.duration, note.velocity)


def _clip_order(clip: AudioClip) -> tuple[int, str, int, float]:
    return (clip.start, clip.blob, clip.offset, clip.duration_ms)


@dataclass(frozen=True, slots=True)
class TempoChange:
    """From ``tick`` on, the tempo is ``bpm`` quarter notes per minute."""

    tick: int
    bpm: float

    def __post_init__(self) -> None:
        if self.tick < 0:
            raise MusicError(f"tempo tick={self.tick} must be >= 0")
        if not 1.0 <= self.bpm <= 1000.0:
            raise MusicError(f"bpm={self.bpm} must be in 1..1000")


@dataclass(frozen=True, slots=True)
class MeterChange:
    """From ``tick`` on (a bar line), the meter is ``numerator/denominator``."""

    tick: int
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if self.tick < 0:
            raise MusicError(f"meter tick={self.tick} must be >= 0")
        _check_range("numerator", self.numerator, 1, 64)
        if self.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise MusicError(f"denominator={self.denominator} must be a power of two in 1..64")

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True, slots=True)
class ChordEvent:
    """A chord on the chord lane, sounding from ``tick`` for ``duration`` ticks."""

    tick: int
    duration: int
    chord: Chord

    def __post_init__(self) -> None:
        if self.tick < 0:
            raise MusicError(f"chord tick={self.tick} must be >= 0")
        if self.duration < 1:
            raise MusicError(f"chord duration={self.duration} must be >= 1")

    @property
    def end(self) -> int:
        return self.tick + self.duration


@dataclass(frozen=True, slots=True)
class Section:
    """A named section (``"Verse"``, ``"Chorus"``) starting at ``tick``."""

    tick: int
    name: str

    def __post_init__(self) -> None:
        if self.tick < 0:
            raise MusicError(f"section tick={self.tick} must be >= 0")


DEFAULT_PPQ = 480


@dataclass(frozen=True, slots=True)
class Song:
    """A whole song.

    ``tempos`` and ``meters`` are sorted by tick and always start at tick 0
    (defaults: 120 bpm, 4/4). ``key`` is the song's key, or ``None`` when
    unknown. ``chords`` and ``sections`` are sorted lanes.
    """

    title: str = "Untitled"
    ppq: int = DEFAULT_PPQ
    tempos: tuple[TempoChange, ...] = (TempoChange(0, 120.0),)
    meters: tuple[MeterChange, ...] = (MeterChange(0, 4, 4),)
    key: Key | None = None
    tracks: tuple[Track, ...] = ()
    chords: tuple[ChordEvent, ...] = ()
    sections: tuple[Section, ...] = ()

    def __post_init__(self) -> None:
        _check_range("ppq", self.ppq, 1, MAX_PPQ)
        for name in ("tempos", "meters"):
            changes = getattr(self, name)
            if not changes or changes[0].tick != 0:
                raise MusicError(f"{name} must start with a change at tick 0")
            ticks = [c.tick for c in changes]
            if ticks != sorted(set(ticks)):
                raise MusicError(f"{name} ticks={ticks} must be strictly increasing")
        for name in ("chords", "sections"):
            lane = getattr(self, name)
            ordered = tuple(sorted(lane, key=lambda e: e.tick))
            if ordered != lane:
                object.__setattr__(self, name, ordered)

    @property
    def end_tick(self) -> int:
        """The tick where the last note or chord ends (0 for an empty song)."""
        ends = [t.end for t in self.tracks]
        ends.extend(c.end for c in self.chords)
        return max(ends, default=0)

    @property
    def note_count(self) -> int:
        return sum(len(t.notes) for t in self.tracks)


def without_audio(song: Song) -> Song:
    """``song`` as notes only: every clip left out, and every track that held clips but no
    notes (a recorded audio take) with them. What MIDI and MusicXML export write."""
    if not any(t.clips for t in song.tracks):
        return song
    tracks = tuple(replace(t, clips=()) for t in song.tracks if t.notes or not t.clips)
    return replace(song, tracks=tracks)
