"""A take: one player's events between record start and stop, made into a song track.

The room stamps each recorded event with its quarter-note count on the transport
(quarters since bar 0, see :mod:`bandmate.jam.transport`), so tempo changes during the
take are already accounted for; :func:`take_to_track` turns quarters into the song's
ticks (bar 0 of the jam is the song's first tick). Keys are paired by pitch; a key
released while the sustain pedal is down sounds until the pedal comes up; a key still
held when the take ends ends there. Notes from the count-in are cut at bar 0 (dropped
if they end before it). Pitch bends do not become notes (the song has no bend lane);
the last program change of the take, if any, sets the track's instrument.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bandmate.jam.errors import TakeError
from bandmate.jam.protocol import NoteEvent
from bandmate.music.song import Instrument, Note, Track

SUSTAIN_DOWN = 64
MAX_TRACK_NAME = 80


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded event and where it fell on the transport (quarters since bar 0)."""

    quarter: float
    event: NoteEvent


@dataclass(slots=True)
class Take:
    """A take being recorded (mutable: the room appends to it).

    Attributes:
        player_id: The player's id in the room.
        user_id: The account the track is authored by.
        player_name: The player's display name (their username).
        instrument: The instrument when the take began.
        instrument_name: Its display name (``"Piano"``, ``"Drums"``).
        start_quarter: Where recording began (quarters since bar 0).
        events: What was played.
        end_quarter: Where it ended, once it has.
    """

    player_id: str
    user_id: str
    player_name: str
    instrument: Instrument
    instrument_name: str
    start_quarter: float
    events: list[Recorded] = field(default_factory=list)
    end_quarter: float | None = None

    @property
    def track_name(self) -> str:
        """``"<player> – <instrument>"``, cut to fit."""
        return f"{self.player_name} – {self.instrument_name or 'Instrument'}"[:MAX_TRACK_NAME]


def take_to_track(take: Take, *, ppq: int) -> Track:
    """The take as a song track of ``ppq`` ticks per quarter note.

    Raises:
        TakeError: The take has not ended, or holds no note.
    """
    if take.end_quarter is None:
        raise TakeError(f"take of player {take.player_id!r} has not ended")
    end = take.end_quarter
    held: dict[int, tuple[float, int]] = {}  # pitch -> (start quarter, velocity)
    sustained: dict[int, tuple[float, int]] = {}
    pedal = False
    spans: list[tuple[int, float, float, int]] = []  # (pitch, start, end, velocity)
    program = take.instrument.program

    def finish(pitch: int, start: float, velocity: int, stop: float) -> None:
        spans.append((pitch, start, stop, velocity))

    for item in sorted(take.events, key=lambda r: r.quarter):
        event, q = item.event, min(item.quarter, end)
        match event.kind:
            case "on":
                for pool in (held, sustained):
                    if event.pitch in pool:  # re-struck: the sounding note ends here
                        start, velocity = pool.pop(event.pitch)
                        finish(event.pitch, start, velocity, q)
                held[event.pitch] = (q, event.value)
            case "off":
                if event.pitch in held:
                    start, velocity = held.pop(event.pitch)
                    if pedal:
                        sustained[event.pitch] = (start, velocity)
                    else:
                        finish(event.pitch, start, velocity, q)
            case "sustain":
                down = event.value >= SUSTAIN_DOWN
                if pedal and not down:
                    for pitch, (start, velocity) in sustained.items():
                        finish(pitch, start, velocity, q)
                    sustained.clear()
                pedal = down
            case "program":
                program = event.value
            case "bend":
                pass
    for pool in (held, sustained):
        for pitch, (start, velocity) in pool.items():
            finish(pitch, start, velocity, end)
    notes = []
    for pitch, start, stop, velocity in spans:
        first = max(0, round(start * ppq))
        last = round(stop * ppq)
        if last <= first:
            if stop <= 0:
                continue  # entirely in the count-in
            last = first + 1  # a tap shorter than a tick still sounds
        notes.append(Note(pitch, first, last - first, velocity))
    if not notes:
        raise TakeError(f"take of player {take.player_id!r} holds no note after bar 0")
    notes.sort(key=lambda n: (n.start, n.pitch))
    instrument = Instrument(program=program, drums=take.instrument.drums)
    return Track(take.track_name, instrument=instrument, notes=tuple(notes))
