"""A jam room: its players, transport and mode, and the relay of their note events.

A room never writes to a socket: each player has an :class:`Outbox` that writes through
the connection while it takes frames (or that the connection's sender drains, see
``bandmate.server.routes_jam``), so a slow receiver never holds up the others.
:meth:`JamRoom.receive` handles one text frame of one player, synchronously: clock pings
are answered (the server's send time ``t2`` is stamped by the sender, as late as
possible), note events are checked and relayed once-encoded to every other player,
transport and mode changes are broadcast as new room state, and a take that ends is
handed back to the caller to be written into the song.

Every limit is per socket except ``max_players`` (per room). Errors are
:class:`~bandmate.jam.errors.JamError`\\ s; the server maps them to close codes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bandmate.jam.errors import (
    JamDeniedError,
    JamError,
    JamFloodError,
    JamProtocolError,
    JamTooBigError,
    SpoofError,
    TakeError,
)
from bandmate.jam.protocol import (
    Mode,
    Notes,
    Ping,
    Record,
    SetInstrument,
    SetMode,
    Signal,
    Start,
    Stop,
    Tempo,
    decode_client,
    encode,
    encode_notes,
)
from bandmate.jam.take import Recorded, Take
from bandmate.jam.transport import Transport
from bandmate.music.song import Instrument
from bandmate.sync.limits import TokenBucket

RTT_CHANGE_MS = 5.0
"""A reported round trip that moved more than this (or 20 %) is shown to the room at once."""

Clock = Callable[[], float]
"""The server clock in milliseconds (Unix time by default)."""


def wall_clock_ms() -> float:
    """Milliseconds since the Unix epoch: the server clock players synchronize to."""
    return time.time() * 1000.0


@dataclass(frozen=True, slots=True)
class JamLimits:
    """Limits of the jam server.

    Attributes:
        max_frame_bytes: Larger frames close the connection (1009).
        messages_per_s: Sustained frames per second per connection.
        message_burst: Frames a connection may send at once above that rate.
        events_per_s: Sustained note events per second per connection.
        event_burst: Events at once above that rate.
        max_skew_ms: How far from the server clock an event's ``at`` may be.
        max_players: Players in one room; more are refused (1013).
        max_take_events: Events one take may hold; it ends by itself there (its track,
            about 8,000 notes, must fit the sync layer's 1 MiB update cap).
        outbox_bytes: Bytes queued for a slow receiver before it is closed (1013).
        min_lead_ms: Least notice of a start or tempo change (more with long round trips).
        live_limit_ms: Play-out delay above which ``interval`` mode is advised.
        margin_ms: Added to the longest one-way path to make the play-out delay.
    """

    max_frame_bytes: int = 16 << 10
    messages_per_s: float = 100.0
    message_burst: float = 200.0
    events_per_s: float = 400.0
    event_burst: float = 800.0
    max_skew_ms: float = 10_000.0
    max_players: int = 16
    max_take_events: int = 16_000
    outbox_bytes: int = 1 << 20
    min_lead_ms: float = 300.0
    live_limit_ms: float = 40.0
    margin_ms: float = 10.0


@dataclass(frozen=True, slots=True)
class Advice:
    """The play-out delay the room advises, from its players' round trips.

    Attributes:
        playout_ms: Delay after an event's time before every player plays it: the longest
            sender-to-server-to-receiver path (half of two players' round trips) plus a margin.
        interval: Whether that delay is too long to play live (``interval`` mode advised).
    """

    playout_ms: float
    interval: bool


def advise(rtts: list[float], *, margin_ms: float, live_limit_ms: float) -> Advice:
    """The play-out delay for players with round trips ``rtts`` (ms).

    An event travels half its sender's round trip to the server and half the receiver's
    from it, so the slowest pair of players sets the delay everyone uses.
    """
    ordered = sorted(rtts, reverse=True)
    if not ordered:
        worst = 0.0
    elif len(ordered) == 1:
        worst = ordered[0]  # alone: hearing oneself back through the server
    else:
        worst = (ordered[0] + ordered[1]) / 2.0
    playout = math.ceil(worst + margin_ms)
    return Advice(float(playout), playout > live_limit_ms)


@dataclass(frozen=True, slots=True)
class Close:
    """The last item of an outbox: close with ``code`` and ``reason``."""

    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Pong:
    """A clock answer waiting for its send time ``t2``."""

    ping: Ping
    t1: float


class Sink(Protocol):
    """Where an outbox writes its frames straight away (a WebSocket connection)."""

    @property
    def writable(self) -> bool:
        """Whether a frame written now goes out without piling up."""

    def write(self, data: str) -> None:
        """Send ``data`` as one text message."""

    def close(self, code: int, reason: str) -> None:
        """Send the close (after every frame written before it)."""


class Outbox:
    """Text frames (and clock answers) waiting to be sent, then perhaps a close.

    With a :class:`Sink` attached, frames are written through it as they come while it
    takes them; what queues up meanwhile goes as one frame (a JSON array) when it drains.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._frames: deque[str | Pong] = deque()
        self._size = 0
        self._close: Close | None = None
        self._ready = asyncio.Event()
        self._sink: Sink | None = None
        self._render: Callable[[Pong], str] | None = None

    def attach(self, sink: Sink, *, render: Callable[[Pong], str]) -> None:
        """Write through ``sink`` from now on, clock answers stamped by ``render`` as they
        go (what is queued first); the sink calls :meth:`flush` whenever it drains."""
        self._sink = sink
        self._render = render
        self.flush()

    def flush(self) -> None:
        """Write what is queued as one frame, then the close, if the sink takes them."""
        sink, render = self._sink, self._render
        if sink is None or render is None:
            return
        if self._frames and sink.writable:
            frames = [i if isinstance(i, str) else render(i) for i in self._frames]
            self._frames.clear()
            self._size = 0
            sink.write(frames[0] if len(frames) == 1 else f"[{','.join(frames)}]")
        if not self._frames and self._close is not None:
            sink.close(self._close.code, self._close.reason)

    @property
    def closing(self) -> Close | None:
        """The close waiting to be sent, once :meth:`close` was called."""
        return self._close

    def push(self, item: str | Pong) -> bool:
        """Queue ``item``; ``False`` when it would exceed the byte cap."""
        if self._close is not None:
            return True
        sink = self._sink
        if sink is not None and not self._frames and sink.writable:
            assert self._render is not None
            sink.write(item if isinstance(item, str) else self._render(item))
            return True
        size = len(item) if isinstance(item, str) else 64
        if self._size + size > self.max_bytes:
            return False
        self._frames.append(item)
        self._size += size
        self._ready.set()
        return True

    def close(self, code: int, reason: str) -> None:
        """Drop what is queued and queue the close. Only the first counts."""
        if self._close is None:
            self._frames.clear()
            self._size = 0
            self._close = Close(code, reason.encode()[:123].decode("utf-8", "ignore"))
            if self._sink is not None:
                self._sink.close(self._close.code, self._close.reason)
            self._ready.set()

    async def next(self, *, max_bytes: int = 64 << 10) -> list[str | Pong] | Close:
        """What waits to be sent (at least one item, about ``max_bytes`` at most, in order),
        or the :class:`Close` once every frame before it went."""
        while True:
            if self._frames:
                items: list[str | Pong] = []
                taken = 0
                while self._frames and (not items or taken < max_bytes):
                    item = self._frames.popleft()
                    size = len(item) if isinstance(item, str) else 64
                    self._size -= size
                    taken += size
                    items.append(item)
                return items
            if self._close is not None:
                return self._close
            self._ready.clear()
            await self._ready.wait()


@dataclass(eq=False)
class Player:
    """One connection to a jam room.

    Attributes:
        id: Its id in the room (``p1``, ``p2``, ...), stamped on what it plays.
        user_id: The signed-in account behind it.
        name: The account's username.
        can_play: Editors and owners play; viewers listen.
        instrument: Its General MIDI instrument.
        instrument_name: How its instrument is shown.
        rtt_ms: Its filtered round trip as it last reported it.
        take: The take being recorded, if any.
    """

    id: str
    user_id: str
    name: str
    can_play: bool
    outbox: Outbox
    messages: TokenBucket
    events: TokenBucket
    instrument: Instrument = field(default_factory=Instrument)
    instrument_name: str = "Acoustic Grand Piano"
    rtt_ms: float | None = None
    take: Take | None = None

    def send(self, frame: str) -> None:
        """Queue ``frame``; a receiver too far behind is closed (1013)."""
        if not self.outbox.push(frame):
            self.outbox.close(1013, f"more than {self.outbox.max_bytes} bytes waiting to be sent")

    def to_json(self) -> dict[str, Any]:
        """The player as the room state lists it."""
        return {
            "id": self.id,
            "name": self.name,
            "can_play": self.can_play,
            "program": self.instrument.program,
            "drums": self.instrument.drums,
            "instrument": self.instrument_name,
            "rtt": self.rtt_ms,
            "recording": self.take is not None,
        }


class JamRoom:
    """The jam of one project.

    Args:
        project_id: The project.
        limits: Its limits.
        clock: The server clock (ms).
    """

    def __init__(
        self, project_id: str, *, limits: JamLimits | None = None, clock: Clock = wall_clock_ms
    ) -> None:
        self.project_id = project_id
        self.limits = limits or JamLimits()
        self.clock = clock
        self.transport = Transport.stopped()
        self.mode: Mode = "live"
        self.players: dict[str, Player] = {}
        self._next_id = 1

    # players ------------------------------------------------------------------------------

    def join(self, user_id: str, name: str, *, can_play: bool) -> Player:
        """Add a player; it gets a welcome with the room state, the others the new state.

        Raises:
            JamError: The room is full.
        """
        if len(self.players) >= self.limits.max_players:
            raise JamError(f"room {self.project_id!r} is full ({self.limits.max_players} players)")
        limits = self.limits
        player = Player(
            id=f"p{self._next_id}",
            user_id=user_id,
            name=name,
            can_play=can_play,
            outbox=Outbox(limits.outbox_bytes),
            messages=TokenBucket(limits.messages_per_s, limits.message_burst),
            events=TokenBucket(limits.events_per_s, limits.event_burst),
        )
        self._next_id += 1
        self.players[player.id] = player
        player.send(encode({"t": "welcome", "you": player.id, **self.state()}))
        self._broadcast_state(skip=player)
        return player

    def leave(self, player: Player) -> Take | None:
        """Remove ``player``; returns its unfinished take, ended now (to be written)."""
        if self.players.pop(player.id, None) is None:
            return None
        take = self._end_take(player)
        self._broadcast_state(skip=None)
        return take

    def close_user(self, user_id: str, code: int, reason: str) -> None:
        """Close every connection of ``user_id`` (they lost access)."""
        for player in list(self.players.values()):
            if player.user_id == user_id:
                player.outbox.close(code, reason)

    def set_can_play(self, user_id: str, can_play: bool) -> None:
        """Grant or withdraw playing to ``user_id``'s connections, at once."""
        for player in self.players.values():
            if player.user_id == user_id:
                player.can_play = can_play
                if not can_play:
                    player.take = None
        self._broadcast_state(skip=None)

    # state --------------------------------------------------------------------------------

    def advice(self) -> Advice:
        """The play-out delay for the players now in the room."""
        rtts = [p.rtt_ms for p in self.players.values() if p.rtt_ms is not None]
        return advise(
            rtts, margin_ms=self.limits.margin_ms, live_limit_ms=self.limits.live_limit_ms
        )

    def lead_ms(self) -> float:
        """Notice given before a start or tempo change: every player must hear of it first."""
        rtts = [p.rtt_ms for p in self.players.values() if p.rtt_ms is not None]
        return max(self.limits.min_lead_ms, 2.0 * max(rtts, default=0.0))

    def state(self) -> dict[str, Any]:
        """Transport, mode, play-out advice and players, as the protocol sends them."""
        advice = self.advice()
        return {
            "server_ms": self.clock(),
            "transport": self.transport.to_json(),
            "mode": self.mode,
            "playout_ms": advice.playout_ms,
            "advise_interval": advice.interval,
            "players": [p.to_json() for p in self.players.values()],
        }

    def _broadcast_state(self, *, skip: Player | None) -> None:
        frame = encode({"t": "state", **self.state()})
        for player in list(self.players.values()):
            if player is not skip:
                player.send(frame)

    def broadcast(self, message: dict[str, Any]) -> None:
        """Send ``message`` to every player."""
        frame = encode(message)
        for player in list(self.players.values()):
            player.send(frame)

    # frames -------------------------------------------------------------------------------

    def receive(self, player: Player, frame: str, *, received_ms: float) -> list[Take]:
        """Handle one text frame of ``player`` that arrived at ``received_ms``.

        Returns:
            The takes that ended (to be written into the song): a stopped transport ends
            everyone's.

        Raises:
            JamTooBigError: The frame is over the size cap.
            JamFloodError: ``player`` sends too fast.
            JamProtocolError: The frame is malformed.
            SpoofError: A note message names another player.
            JamDeniedError: A viewer tried to play or steer the room.
            JamError: A value out of range (a tempo, an event's time).
        """
        if len(frame) > self.limits.max_frame_bytes:
            raise JamTooBigError(
                f"frame of {len(frame)} characters exceeds {self.limits.max_frame_bytes}"
            )
        if not player.messages.take(1.0):
            raise JamFloodError(
                f"more than {self.limits.messages_per_s:g} messages/s "
                f"(burst {self.limits.message_burst:g})"
            )
        message = decode_client(frame)
        if isinstance(message, Ping):
            if not player.outbox.push(Pong(message, received_ms)):
                player.outbox.close(1013, "too far behind to answer clock pings")
            if message.rtt is not None:
                old, player.rtt_ms = player.rtt_ms, message.rtt
                if old is None or abs(message.rtt - old) > max(RTT_CHANGE_MS, 0.2 * old):
                    self._broadcast_state(skip=None)  # round trips shown, play-out advised
            return []
        if isinstance(message, Signal):
            self._signal(player, message)
            return []
        if not player.can_play:
            raise JamDeniedError(
                f"user {player.user_id!r} is a viewer of {self.project_id!r}: listening only"
            )
        match message:
            case Notes():
                return self._notes(player, message, received_ms)
            case Start(count_in, bpm, num, den):
                self.transport = self.transport.start(
                    received_ms,
                    lead_ms=self.lead_ms(),
                    count_in=count_in,
                    bpm=bpm,
                    numerator=num,
                    denominator=den,
                )
            case Stop():
                takes = [t for p in self.players.values() if (t := self._end_take(p))]
                self.transport = self.transport.stop(received_ms)
                self._broadcast_state(skip=None)
                return takes
            case Tempo(bpm, num, den):
                self.transport = self.transport.change(
                    received_ms, lead_ms=self.lead_ms(), bpm=bpm, numerator=num, denominator=den
                )
            case Record(on=True):
                if not self.transport.playing:
                    raise TakeError("start the transport before recording")
                if player.take is None:
                    player.take = Take(
                        player.id,
                        player.user_id,
                        player.name,
                        player.instrument,
                        player.instrument_name,
                        self.transport.position(received_ms).quarter,
                    )
            case Record(on=False):
                take = self._end_take(player)
                self._broadcast_state(skip=None)
                return [take] if take else []
            case SetInstrument(program, drums, name):
                player.instrument = Instrument(program, drums)
                player.instrument_name = name or player.instrument.name
            case SetMode(mode):
                self.mode = mode
        self._broadcast_state(skip=None)
        return []

    def _notes(self, player: Player, message: Notes, received_ms: float) -> list[Take]:
        if message.player is not None and message.player != player.id:
            raise SpoofError(f"player={message.player[:20]!r} is not the sender's id {player.id!r}")
        if not player.events.take(float(len(message.events))):
            raise JamFloodError(
                f"more than {self.limits.events_per_s:g} events/s "
                f"(burst {self.limits.event_burst:g})"
            )
        skew = self.limits.max_skew_ms
        for i, event in enumerate(message.events):
            if abs(event.at - received_ms) > skew:
                raise JamError(
                    f"ev[{i}].at={event.at:.0f} is {event.at - received_ms:+.0f} ms from the "
                    f"server clock (at most {skew:g} ms either way)"
                )
        frame = encode_notes(player.id, message)
        for other in list(self.players.values()):
            if other is not player:
                other.send(frame)
        take = player.take
        if take is None:
            return []
        for event in message.events:
            take.events.append(Recorded(self.transport.position(event.at).quarter, event))
        if len(take.events) >= self.limits.max_take_events:
            ended = self._end_take(player)
            self._broadcast_state(skip=None)
            return [ended] if ended else []
        return []

    def _signal(self, player: Player, message: Signal) -> None:
        # Listeners may signal too: they receive the players' audio. The sender's id is
        # stamped here, so no one can speak for another; a target that just left is skipped.
        if message.to == player.id:
            raise JamProtocolError(f"to={message.to!r} is the sender itself")
        target = self.players.get(message.to)
        if target is not None:
            target.send(
                encode(
                    {"t": "signal", "from": player.id, "kind": message.kind, "data": message.data}
                )
            )

    def _end_take(self, player: Player) -> Take | None:
        take, player.take = player.take, None
        if take is not None:  # events stamped ahead of the clock still belong to the take
            now = self.transport.position(self.clock()).quarter
            take.end_quarter = max([now, *(r.quarter for r in take.events)])
        return take
