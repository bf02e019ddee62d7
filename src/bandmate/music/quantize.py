"""Quantize: move notes onto a rhythmic grid, straight or swung.

The grid is a fixed set of whole ticks, so quantizing at full strength is
idempotent: a note already on a grid point stays there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal, TypeVar, get_args

from bandmate.errors import MusicError, ParseError
from bandmate.music.song import DEFAULT_PPQ, MAX_PPQ, Note, Song, Track
from bandmate.music.tracks import select_tracks

EndMode = Literal["keep", "snap", "length"]
"""How quantize treats note ends: see :func:`quantize`."""

_T = TypeVar("_T", Song, Track)
_GRID_RE = re.compile(r"1/(\d+)([tT.]?)")
_KINDS = {"": Fraction(1), "t": Fraction(2, 3), ".": Fraction(3, 2)}  # plain, triplet, dotted


def grid_ticks(grid: int | str, *, ppq: int) -> Fraction:
    """The length of one grid step in ticks (exact, possibly fractional).

    Args:
        grid: A step in ticks (``120``) or a note value: ``"1/16"`` (sixteenth),
            ``"1/8T"`` (eighth-note triplet, 2/3 as long), ``"1/8."`` (dotted, 3/2 as long).
            The denominator is a power of two from 1 to 128.
        ppq: Resolution in ticks per quarter note.

    Raises:
        ParseError: If ``grid`` is a string that is not a note value.
        MusicError: If the step is shorter than one tick.
    """
    if not 1 <= ppq <= MAX_PPQ:
        raise MusicError(f"ppq={ppq} must be in 1..{MAX_PPQ}")
    if isinstance(grid, str):
        match = _GRID_RE.fullmatch(grid.strip())
        den = int(match.group(1)) if match else 0
        if match is None or den > 128 or den & (den - 1):
            raise ParseError(
                f"grid={grid!r} must be a note value 1/N with N a power of two in 1..128, "
                "optionally followed by T (triplet) or . (dotted), e.g. '1/16' or '1/8T'"
            )
        step = Fraction(4 * ppq, den) * _KINDS[match.group(2).lower()]
    else:
        step = Fraction(grid)
    if step < 1:
        raise MusicError(f"grid={grid!r} is {float(step):g} ticks at ppq={ppq}; must be >= 1 tick")
    return step


def _round(x: Fraction) -> int:
    """Round half up: deterministic, unlike the banker's rounding of round()."""
    return math.floor(x + Fraction(1, 2))


@dataclass(frozen=True, slots=True)
class _Grid:
    """Grid points: point n is round(n * step), odd points delayed by swing * step."""

    step: Fraction
    swing: Fraction

    def point(self, n: int) -> int:
        return _round((n + self.swing) * self.step if n % 2 else n * self.step)

    def nearest(self, tick: int) -> int:
        # Points never decrease with n and point n lies within half a tick of
        # [n*step, (n+1)*step], so the nearest is among these five; ties go earlier.
        n0 = math.floor(tick / self.step)
        points = [self.point(n) for n in range(max(n0 - 2, 0), n0 + 3)]
        return min(points, key=lambda p: (abs(p - tick), p))

    def after(self, tick: int) -> int:
        """The first grid point strictly after ``tick``."""
        n = math.floor(tick / self.step)
        while self.point(n) <= tick:
            n += 1
        return self.point(n)

    def nearest_length(self, duration: int) -> int:
        m0 = math.floor(duration / self.step)
        lengths = [_round(m * self.step) for m in range(max(m0 - 1, 1), m0 + 3)]
        return min(lengths, key=lambda n: (abs(n - duration), n))


def _toward(value: int, target: int, strength: float) -> int:
    return value + math.floor(strength * (target - value) + 0.5)


def _quantize_note(note: Note, grid: _Grid, strength: float, ends: EndMode) -> Note:
    target = grid.nearest(note.start)
    start = _toward(note.start, target, strength)
    if ends == "keep":
        return replace(note, start=start)
    if ends == "snap":
        target_end = grid.nearest(note.end)
        if target_end <= target:
            target_end = grid.after(target)
        end = _toward(note.end, target_end, strength)
        return replace(note, start=start, duration=max(end - start, 1))
    duration = _toward(note.duration, grid.nearest_length(note.duration), strength)
    return replace(note, start=start, duration=max(duration, 1))


def quantize(
    item: _T,
    *,
    grid: int | str,
    strength: float = 1.0,
    swing: float = 0.0,
    ends: EndMode = "keep",
    tracks: Sequence[str | int] | None = None,
    ppq: int | None = None,
) -> _T:
    """Move note starts (and optionally ends) onto a grid.

    Grid point ``n`` is ``n * step`` ticks, rounded to the nearest tick; with
    swing, every second point (the off-beats 1, 3, 5, ...) is delayed by
    ``swing * step``. So ``swing=0`` is straight, ``1/3`` is a triplet (2:1)
    feel and ``0.5`` a dotted (3:1) hard swing; a DAW's swing percentage is
    ``50 * (1 + swing)`` (50% straight, 66.7% triplet, 75% hard). Each start
    moves to its nearest point (the earlier on a tie), or ``strength`` of the
    way there. At ``strength=1`` quantizing twice gives the same result as once.

    Args:
        item: A song, or a single track (then ``ppq`` is needed for a note-value grid).
        grid: The grid step in ticks, or a note value such as ``"1/16"`` or
            ``"1/8T"`` (see :func:`grid_ticks`).
        strength: How far notes move toward the grid, 0 (not at all) to 1 (all the way).
        swing: Delay of the off-beat grid points in grid steps, 0 <= swing < 1.
        ends: ``"keep"`` keeps each duration (the end moves with the start);
            ``"snap"`` moves the end to its nearest grid point too (at least the
            point after the start); ``"length"`` rounds the duration to a whole
            number of grid steps (at least one).
        tracks: Names or indices of the song tracks to quantize (default: all).
        ppq: Resolution in ticks per quarter note; defaults to the song's.

    Returns:
        A new song or track of the same type. Starts stay >= 0 and durations >= 1 tick.

    Raises:
        MusicError: If an option is out of range or a track selection is unknown.
    """
    if not 0.0 <= strength <= 1.0:
        raise MusicError(f"strength={strength} must be in 0..1")
    if not 0.0 <= swing < 1.0:
        raise MusicError(f"swing={swing} must be >= 0 and < 1 (in grid steps)")
    if ends not in get_args(EndMode):
        raise MusicError(f"ends={ends!r} must be one of {get_args(EndMode)}")
    if isinstance(item, Track):
        if tracks is not None:
            raise MusicError("tracks must be None when quantizing a single track")
        if ppq is None and isinstance(grid, str):
            raise MusicError(f"ppq=None: a note-value grid={grid!r} needs ppq for a track")
        # A grid in ticks does not depend on the resolution.
        step = grid_ticks(grid, ppq=DEFAULT_PPQ if ppq is None else ppq)
        return _quantize_track(item, _Grid(step, Fraction(swing)), strength, ends)
    if ppq is not None and ppq != item.ppq:
        raise MusicError(f"ppq={ppq} must be None or the song's ppq={item.ppq}")
    q = _Grid(grid_ticks(grid, ppq=item.ppq), Fraction(swing))
    chosen = set(select_tracks(item, tracks)) if tracks is not None else None
    new_tracks = tuple(
        _quantize_track(t, q, strength, ends) if chosen is None or i in chosen else t
        for i, t in enumerate(item.tracks)
    )
    return replace(item, tracks=new_tracks)


def _quantize_track(track: Track, grid: _Grid, strength: float, ends: EndMode) -> Track:
    return replace(track, notes=tuple(_quantize_note(n, grid, strength, ends) for n in track.notes))
