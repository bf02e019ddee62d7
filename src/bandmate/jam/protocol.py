"""The jam wire protocol: JSON text frames, one message each (see ``docs/jam.md``).

Every message is an object whose ``"t"`` names its type. :func:`decode_client` turns a
client's frame into one of the message classes below, checking every field (the error
names the field, the value and the rule); the ``encode_*`` functions make the server's
frames. Times are milliseconds on the server clock unless a name says otherwise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bandmate.jam.errors import JamProtocolError

EventKind = Literal["on", "off", "bend", "sustain", "program"]
SignalKind = Literal["offer", "answer", "ice", "bye"]
Mode = Literal["live", "interval"]

EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
MODES: tuple[str, ...] = get_args(Mode)
SIGNAL_KINDS: tuple[str, ...] = get_args(SignalKind)
MAX_EVENTS_PER_MESSAGE = 64
MAX_NAME_CHARS = 40
MAX_SEQ = 2**53 - 1


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """One instrument event, stamped on the shared clock.

    Attributes:
        kind: ``on``/``off`` (a key), ``bend`` (pitch wheel), ``sustain`` (pedal), ``program``.
        at: Server-clock time it was played (ms).
        pitch: The key (0..127) for ``on``/``off``; 0 otherwise.
        value: Velocity 1..127 (``on``), 0..127 (``off``), -8192..8191 (``bend``),
            0..127 (``sustain``: 64 and above is down), 0..127 (``program``).
    """

    kind: EventKind
    at: float
    pitch: int = 0
    value: int = 0

    def to_json(self) -> dict[str, Any]:
        """The event as it travels."""
        if self.kind in ("on", "off"):
            return {"k": self.kind, "at": self.at, "p": self.pitch, "v": self.value}
        return {"k": self.kind, "at": self.at, "v": self.value}


@dataclass(frozen=True, slots=True)
class Ping:
    """A clock exchange: the client's send time ``t0`` (its own clock) and, once it has
    one, its filtered round trip ``rtt`` (ms), which the room shows and plans with."""

    id: int
    t0: float
    rtt: float | None = None


@dataclass(frozen=True, slots=True)
class Notes:
    """Events of the sender's instrument. ``player``, when given, must be the sender's id;
    ``n`` is an optional sequence number relayed as is."""

    events: tuple[NoteEvent, ...]
    player: str | None = None
    n: int | None = None


@dataclass(frozen=True, slots=True)
class Start:
    """Start the transport after ``count_in`` bars, optionally at a new tempo and meter."""

    count_in: int = 1
    bpm: float | None = None
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop the transport."""


@dataclass(frozen=True, slots=True)
class Tempo:
    """Change tempo and/or meter at the next bar line (for everyone)."""

    bpm: float | None = None
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """Start (``on``) or end a take of the sender's playing."""

    on: bool


@dataclass(frozen=True, slots=True)
class SetInstrument:
    """The sender's instrument: General MIDI ``program``, a drum kit, and a display name."""

    program: int
    drums: bool
    name: str


@dataclass(frozen=True, slots=True)
class SetMode:
    """The room's mode: ``live`` (play-out delay) or ``interval`` (remote events one bar late)."""

    mode: Mode


@dataclass(frozen=True, slots=True)
class Signal:
    """WebRTC signalling for player ``to``: an SDP offer or answer, or an ICE candidate
    (``kind``), passed on as it is with the sender's id (the server reads nothing else)."""

    to: str
    kind: SignalKind
    data: dict[str, Any]


ClientMessage = Ping | Notes | Start | Stop | Tempo | Record | SetInstrument | SetMode | Signal


def _int(obj: dict[str, Any], key: str, low: int, high: int, *, default: int | None = None) -> int:
    value = obj.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise JamProtocolError(f"{key}={value!r} must be a whole number in {low}..{high}")
    return value


def _opt_int(obj: dict[str, Any], key: str, low: int, high: int) -> int | None:
    return None if obj.get(key) is None else _int(obj, key, low, high)


def _num(obj: dict[str, Any], key: str, low: float, high: float) -> float:
    value = obj.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise JamProtocolError(f"{key}={value!r} must be a number in {low:g}..{high:g}")
    return float(value)


def _opt_num(obj: dict[str, Any], key: str, low: float, high: float) -> float | None:
    return None if obj.get(key) is None else _num(obj, key, low, high)


def _event(raw: object, index: int) -> NoteEvent:
    if not isinstance(raw, dict):
        raise JamProtocolError(f"ev[{index}]={str(raw)[:40]!r} must be an object")
    kind = raw.get("k")
    if kind not in EVENT_KINDS:
        raise JamProtocolError(f"ev[{index}].k={str(kind)[:20]!r} must be one of {EVENT_KINDS}")
    at = _num(raw, "at", -1e15, 1e15)
    if kind == "on":
        return NoteEvent("on", at, _int(raw, "p", 0, 127), _int(raw, "v", 1, 127))
    if kind == "off":
        return NoteEvent("off", at, _int(raw, "p", 0, 127), _int(raw, "v", 0, 127, default=0))
    if kind == "bend":
        return NoteEvent("bend", at, 0, _int(raw, "v", -8192, 8191))
    return NoteEvent(kind, at, 0, _int(raw, "v", 0, 127))


def decode_client(frame: str) -> ClientMessage:
    """Decode one client frame.

    Raises:
        JamProtocolError: Not JSON, not an object, an unknown type or a bad field.
    """
    try:
        obj = json.loads(frame)
    except (ValueError, RecursionError) as exc:
        raise JamProtocolError(f"frame is not JSON: {str(exc)[:80]}") from exc
    if not isinstance(obj, dict):
        raise JamProtocolError(f"frame must be a JSON object, not {type(obj).__name__}")
    kind = obj.get("t")
    match kind:
        case "ping":
            return Ping(
                _int(obj, "id", 0, MAX_SEQ),
                _num(obj, "t0", -1e15, 1e15),
                _opt_num(obj, "rtt", 0, 60_000),
            )
        case "note":
            events = obj.get("ev")
            if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS_PER_MESSAGE:
                raise JamProtocolError(f"ev must be a list of 1..{MAX_EVENTS_PER_MESSAGE} events")
            player = obj.get("player")
            if player is not None and not isinstance(player, str):
                raise JamProtocolError(f"player={str(player)[:20]!r} must be a string")
            return Notes(
                tuple(_event(e, i) for i, e in enumerate(events)),
                player,
                _opt_int(obj, "n", 0, MAX_SEQ),
            )
        case "start":
            return Start(
                _int(obj, "count_in", 0, 8, default=1),
                _opt_num(obj, "bpm", 20, 400),
                _opt_int(obj, "num", 1, 32),
                _opt_int(obj, "den", 1, 32),
            )
        case "stop":
            return Stop()
        case "tempo":
            return Tempo(
                _opt_num(obj, "bpm", 20, 400),
                _opt_int(obj, "num", 1, 32),
                _opt_int(obj, "den", 1, 32),
            )
        case "record":
            on = obj.get("on")
            if not isinstance(on, bool):
                raise JamProtocolError(f"on={str(on)[:20]!r} must be true or false")
            return Record(on)
        case "instrument":
            name = obj.get("name", "")
            if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
                raise JamProtocolError(
                    f"name must be a string of at most {MAX_NAME_CHARS} characters"
                )
            if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name):
                raise JamProtocolError(f"name={name!r} must not hold control characters")
            drums = obj.get("drums", False)
            if not isinstance(drums, bool):
                raise JamProtocolError(f"drums={str(drums)[:20]!r} must be true or false")
            return SetInstrument(_int(obj, "program", 0, 127), drums, name.strip())
        case "mode":
            mode = obj.get("mode")
            if mode not in MODES:
                raise JamProtocolError(f"mode={str(mode)[:20]!r} must be one of {MODES}")
            return SetMode(mode)
        case "signal":
            to, signal, data = obj.get("to"), obj.get("kind"), obj.get("data", {})
            if not isinstance(to, str) or len(to) > MAX_NAME_CHARS:
                raise JamProtocolError(f"to={str(to)[:20]!r} must be a player id")
            if signal not in SIGNAL_KINDS:
                raise JamProtocolError(f"kind={str(signal)[:20]!r} must be one of {SIGNAL_KINDS}")
            if not isinstance(data, dict):
                raise JamProtocolError(f"data={str(data)[:20]!r} must be an object")
            return Signal(to, signal, data)
    raise JamProtocolError(f"t={str(kind)[:20]!r} is not a jam message type")


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
# One encoder for every frame: ``json.dumps`` with options builds a new one per call.


def encode(message: dict[str, Any]) -> str:
    """A server frame (compact JSON)."""
    return _ENCODER.encode(message)


def encode_pong(ping: Ping, t1: float, t2: float) -> str:
    """The answer to ``ping``: the client's ``t0`` and the server's receive and send times."""
    return encode({"t": "pong", "id": ping.id, "t0": ping.t0, "t1": t1, "t2": t2})


def encode_notes(sender: str, notes: Notes) -> str:
    """``notes`` as relayed to the other players, stamped with the sender's id."""
    message: dict[str, Any] = {
        "t": "note",
        "from": sender,
        "ev": [e.to_json() for e in notes.events],
    }
    if notes.n is not None:
        message["n"] = notes.n
    return encode(message)
