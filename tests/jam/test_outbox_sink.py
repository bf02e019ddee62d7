"""A player's outbox writing through a sink (the lean connection), in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from bandmate.jam.protocol import Ping
from bandmate.jam.room import Outbox, Pong


@dataclass
class Sink:
    """Records what an outbox writes; ``writable`` is flipped by the test."""

    writable: bool = True
    written: list[str] = field(default_factory=list)
    closed: list[tuple[int, str]] = field(default_factory=list)

    def write(self, data: str) -> None:
        self.written.append(data)

    def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))


def render(pong: Pong) -> str:
    return f'{{"t":"pong","t1":{pong.t1}}}'


def test_what_queued_while_backed_up_goes_as_one_array_with_pongs_stamped_then() -> None:
    sink = Sink()
    outbox = Outbox(max_bytes=1000)
    outbox.attach(sink, render=render)
    assert outbox.push('{"t":"a"}')
    assert sink.written == ['{"t":"a"}']
    sink.writable = False
    assert outbox.push('{"t":"b"}')
    assert outbox.push(Pong(Ping(id=1, t0=0.0), 5.0))
    assert sink.written == ['{"t":"a"}']
    sink.writable = True
    outbox.flush()
    assert sink.written[-1] == '[{"t":"b"},{"t":"pong","t1":5.0}]'


def test_a_close_drops_the_backlog_and_closes_the_sink() -> None:
    sink = Sink(writable=False)
    outbox = Outbox(max_bytes=1000)
    outbox.attach(sink, render=render)
    assert outbox.push('{"t":"b"}')
    outbox.close(1013, "behind")
    assert sink.closed == [(1013, "behind")]
    sink.writable = True
    outbox.flush()
    assert sink.written == []
