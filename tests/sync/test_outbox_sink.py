"""A member's outbox writing through a sink (the lean connection), in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from bandmate.sync.limits import SyncLimits
from bandmate.sync.member import Member, Outbox


@dataclass
class Sink:
    """Records what an outbox writes; ``writable`` is flipped by the test."""

    writable: bool = True
    written: list[bytes] = field(default_factory=list)
    closed: list[tuple[int, str]] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        assert not self.closed, "nothing is written after the close"
        self.written.append(data)

    def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))


def test_frames_go_through_at_once_while_the_sink_takes_them() -> None:
    outbox = Outbox(max_bytes=100)
    assert outbox.push(b"queued before attach")
    sink = Sink()
    outbox.attach(sink)
    assert outbox.push(b"now")
    assert sink.written == [b"queued before attach", b"now"]


def test_a_backed_up_sink_queues_in_order_and_flushes_when_it_drains() -> None:
    sink = Sink()
    outbox = Outbox(max_bytes=10)
    outbox.attach(sink)
    sink.writable = False
    assert outbox.push(b"abc")
    assert outbox.push(b"defg")
    assert sink.written == []
    sink.writable = True
    assert outbox.push(b"h")  # behind the queue, not ahead of it
    assert sink.written == []
    outbox.flush()
    assert sink.written == [b"abc", b"defg", b"h"]
    assert outbox.push(b"ij")  # the cap counts only what waits: nothing now
    assert sink.written[-1] == b"ij"


def test_a_receiver_too_far_behind_is_closed_with_1013() -> None:
    limits = SyncLimits(outbox_bytes=8)
    member = Member("u1", can_edit=True, limits=limits)
    sink = Sink(writable=False)
    member.outbox.attach(sink)
    member.send_bytes(b"12345")
    member.send_bytes(b"6789")  # over the 8-byte cap
    assert sink.written == []  # what waited is dropped: the client resyncs on reconnect
    assert sink.closed == [(1013, "more than 8 bytes waiting to be sent")]
    member.send_bytes(b"late")
    assert sink.written == []


def test_a_close_sends_its_last_frame_then_the_close() -> None:
    sink = Sink()
    outbox = Outbox(max_bytes=100)
    outbox.attach(sink)
    outbox.close(4403, "removed", last=b"notice")
    assert sink.written == [b"notice"]
    assert sink.closed == [(4403, "removed")]
    outbox.close(1000, "second close")  # only the first counts
    assert sink.closed == [(4403, "removed")]


def test_a_close_before_attach_reaches_the_sink_on_attach() -> None:
    outbox = Outbox(max_bytes=100)
    outbox.close(4404, "gone", last=b"why")
    sink = Sink()
    outbox.attach(sink)
    assert sink.written == [b"why"]
    assert sink.closed == [(4404, "gone")]
