"""The room's transport: tempo, meter and the bar/beat phase, anchored on the server clock.

A :class:`Transport` is a list of :class:`Segment`\\ s, each starting on a bar line at a
server time (milliseconds). Starting the transport makes one segment whose first bars
are the count-in (bar numbers below 0; bar 0 is the first bar played). A tempo or meter
change makes a new segment at the next bar line at least ``lead_ms`` ahead, so that
every player hears of it before it applies and all switch on the same bar line. Each
segment also carries the quarter-note count at its start (quarters since bar 0), which
is how note times become song ticks.

Everything here is pure: times go in, positions come out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bandmate.jam.errors import JamError

MIN_BPM = 20.0
MAX_BPM = 400.0
DENOMINATORS = frozenset({1, 2, 4, 8, 16, 32})
MAX_NUMERATOR = 32
MAX_COUNT_IN = 8


def check_tempo(bpm: float, numerator: int, denominator: int) -> None:
    """Check a tempo (quarter notes per minute) and a meter.

    Raises:
        JamError: A value out of range.
    """
    if not (isinstance(bpm, int | float) and math.isfinite(bpm) and MIN_BPM <= bpm <= MAX_BPM):
        raise JamError(f"bpm={bpm!r} must be in {MIN_BPM:g}..{MAX_BPM:g}")
    if not 1 <= numerator <= MAX_NUMERATOR:
        raise JamError(f"numerator={numerator} must be in 1..{MAX_NUMERATOR}")
    if denominator not in DENOMINATORS:
        raise JamError(f"denominator={denominator} must be one of {sorted(DENOMINATORS)}")


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of constant tempo and meter, from a bar line on.

    Attributes:
        start_ms: Server time of its first bar line.
        bar: That bar line's number (negative during the count-in).
        quarter: Quarter notes from bar 0 to that bar line (negative before bar 0).
        bpm: Quarter notes per minute.
        numerator: Beats per bar.
        denominator: The beat's note value (4: a quarter).
    """

    start_ms: float
    bar: int
    quarter: float
    bpm: float
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        check_tempo(self.bpm, self.numerator, self.denominator)
        if not math.isfinite(self.start_ms):
            raise JamError(f"start_ms={self.start_ms!r} must be finite")

    @property
    def quarter_ms(self) -> float:
        """Milliseconds per quarter note."""
        return 60_000.0 / self.bpm

    @property
    def beat_ms(self) -> float:
        """Milliseconds per beat (one ``1/denominator`` note)."""
        return self.quarter_ms * 4.0 / self.denominator

    @property
    def bar_ms(self) -> float:
        """Milliseconds per bar."""
        return self.beat_ms * self.numerator

    def to_json(self) -> dict[str, float | int]:
        """The segment as the jam protocol sends it."""
        return {
            "start": self.start_ms,
            "bar": self.bar,
            "quarter": self.quarter,
            "bpm": self.bpm,
            "num": self.numerator,
            "den": self.denominator,
        }


@dataclass(frozen=True, slots=True)
class Position:
    """Where the transport is at one time.

    Attributes:
        bar: The bar number (negative during the count-in).
        beat: Beats since that bar's line, ``0 <= beat < numerator``.
        quarter: Quarter notes since bar 0.
    """

    bar: int
    beat: float
    quarter: float


@dataclass(frozen=True, slots=True)
class Transport:
    """Tempo map of a jam on the server clock.

    Attributes:
        segments: In time order; the first is in effect from its start (and before it).
        playing: Whether the metronome runs; a stopped transport keeps its last tempo.
    """

    segments: tuple[Segment, ...]
    playing: bool = False

    def __post_init__(self) -> None:
        if not self.segments:
            raise JamError("a transport needs at least one segment")

    @classmethod
    def stopped(cls, bpm: float = 120.0, numerator: int = 4, denominator: int = 4) -> Transport:
        """A transport that is not running, at ``bpm`` in ``numerator/denominator``."""
        return cls((Segment(0.0, 0, 0.0, bpm, numerator, denominator),), playing=False)

    def segment_at(self, t_ms: float) -> Segment:
        """The segment in effect at ``t_ms``."""
        current = self.segments[0]
        for segment in self.segments[1:]:
            if segment.start_ms > t_ms:
                break
            current = segment
        return current

    def position(self, t_ms: float) -> Position:
        """The bar, beat and quarter count at ``t_ms``."""
        seg = self.segment_at(t_ms)
        elapsed = t_ms - seg.start_ms
        bars = math.floor(elapsed / seg.bar_ms)
        beat = (elapsed - bars * seg.bar_ms) / seg.beat_ms
        return Position(seg.bar + bars, beat, seg.quarter + elapsed / seg.quarter_ms)

    def bar_ms_at(self, t_ms: float) -> float:
        """The length of a bar (ms) at ``t_ms``."""
        return self.segment_at(t_ms).bar_ms

    def next_bar(self, t_ms: float) -> tuple[float, int]:
        """The first bar line at or after ``t_ms``: its time and its bar number."""
        seg = self.segment_at(t_ms)
        bars = math.ceil((t_ms - seg.start_ms) / seg.bar_ms - 1e-9)
        at = seg.start_ms + bars * seg.bar_ms
        later = [s for s in self.segments if t_ms < s.start_ms < at]
        if later:  # a change starts before this segment's next bar line: its start is one
            return later[0].start_ms, later[0].bar
        return at, seg.bar + bars

    def start(
        self,
        now_ms: float,
        *,
        lead_ms: float,
        count_in: int = 1,
        bpm: float | None = None,
        numerator: int | None = None,
        denominator: int | None = None,
    ) -> Transport:
        """Start (or restart) at ``now_ms + lead_ms`` with ``count_in`` bars before bar 0."""
        if not 0 <= count_in <= MAX_COUNT_IN:
            raise JamError(f"count_in={count_in} must be in 0..{MAX_COUNT_IN}")
        last = self.segment_at(now_ms)
        bpm = last.bpm if bpm is None else bpm
        num = last.numerator if numerator is None else numerator
        den = last.denominator if denominator is None else denominator
        check_tempo(bpm, num, den)
        quarters_per_bar = num * 4.0 / den
        first = Segment(now_ms + lead_ms, -count_in, -count_in * quarters_per_bar, bpm, num, den)
        return Transport((first,), playing=True)

    def stop(self, now_ms: float) -> Transport:
        """Stop the metronome, keeping the tempo in effect at ``now_ms``."""
        return replace(self, segments=(self.segment_at(now_ms),), playing=False)

    def change(
        self,
        now_ms: float,
        *,
        lead_ms: float,
        bpm: float | None = None,
        numerator: int | None = None,
        denominator: int | None = None,
    ) -> Transport:
        """Change tempo and/or meter from the first bar line at least ``lead_ms`` ahead.

        A stopped transport changes at once. Changes already scheduled after that bar
        line are replaced by this one.
        """
        last = self.segments[-1]
        bpm = last.bpm if bpm is None else bpm
        num = last.numerator if numerator is None else numerator
        den = last.denominator if denominator is None else denominator
        check_tempo(bpm, num, den)
        if not self.playing:
            return Transport.stopped(bpm, num, den)
        at, bar = self.next_bar(now_ms + lead_ms)
        quarter = self.position(at).quarter
        kept = [s for s in self.segments if s.start_ms < at]
        current = self.segment_at(now_ms)
        kept = [s for s in kept if s.start_ms >= current.start_ms]  # history is not needed
        return Transport((*kept, Segment(at, bar, round(quarter, 9), bpm, num, den)), playing=True)

    def to_json(self) -> dict[str, object]:
        """The transport as the jam protocol sends it."""
        return {"playing": self.playing, "segments": [s.to_json() for s in self.segments]}
