"""Loudness targets: the platforms people release to, a custom target, and "match the reference".

Each preset is an integrated loudness (LUFS, ITU-R BS.1770 / EBU R128) and a true-peak
ceiling (dBTP). The numbers and where they come from are in ``docs/mastering.md``; in short,
the streaming services normalize playback to about -14 LUFS (Apple Music's Sound Check to
-16), and a -1 dBTP ceiling (-2 for Amazon) leaves room for the lossy encoders' overshoot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bandmate.errors import MasterError

PresetName = Literal[
    "spotify", "apple", "youtube", "tidal", "amazon", "soundcloud", "cd", "club", "reference"
]

MIN_LUFS = -40.0
MAX_LUFS = -5.0
MIN_CEILING_DBTP = -9.0
MAX_CEILING_DBTP = -0.1
"""A ceiling at 0 dBTP would leave no room for the 24-bit rounding of a written file."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a master must measure.

    Attributes:
        name: The preset's name, or ``"custom"``.
        lufs: Integrated loudness to reach, LUFS. ``None`` means "the reference's loudness"
            (only for the ``"reference"`` preset, which needs a reference track).
        ceiling_dbtp: Highest true peak allowed, dBTP.
        label: A human-readable description.
    """

    name: str
    lufs: float | None
    ceiling_dbtp: float
    label: str

    def resolved(self, reference_lufs: float | None) -> Target:
        """Return this target with a concrete loudness.

        Args:
            reference_lufs: The reference track's integrated loudness, LUFS, if any.

        Raises:
            MasterError: when the target asks for the reference's loudness and there is
                none, or the reference is silent, or its loudness is out of range.
        """
        if self.lufs is not None:
            return self
        if reference_lufs is None or not math.isfinite(reference_lufs):
            raise MasterError(
                "target='reference' needs a reference track with measurable loudness "
                f"(got {reference_lufs!r} LUFS)"
            )
        lufs = min(max(reference_lufs, MIN_LUFS), MAX_LUFS)
        return Target(
            self.name, lufs, self.ceiling_dbtp, f"the reference's loudness ({lufs:.1f} LUFS)"
        )


PRESETS: dict[str, Target] = {
    "spotify": Target("spotify", -14.0, -1.0, "Spotify (-14 LUFS, -1 dBTP)"),
    "apple": Target("apple", -16.0, -1.0, "Apple Music (-16 LUFS, -1 dBTP)"),
    "youtube": Target("youtube", -14.0, -1.0, "YouTube (-14 LUFS, -1 dBTP)"),
    "tidal": Target("tidal", -14.0, -1.0, "Tidal (-14 LUFS, -1 dBTP)"),
    "amazon": Target("amazon", -14.0, -2.0, "Amazon Music (-14 LUFS, -2 dBTP)"),
    "soundcloud": Target("soundcloud", -14.0, -1.0, "SoundCloud (-14 LUFS, -1 dBTP)"),
    "cd": Target("cd", -9.0, -0.3, "CD (-9 LUFS, -0.3 dBTP)"),
    "club": Target("club", -8.0, -0.3, "Club / DJ (-8 LUFS, -0.3 dBTP)"),
    "reference": Target("reference", None, -1.0, "the reference's loudness, -1 dBTP"),
}
"""The presets, by name (see ``docs/mastering.md`` for sources and assumptions)."""


def get_target(name: str) -> Target:
    """Return a preset by name (case-insensitive; "apple-music" and "apple_music" work too).

    Raises:
        MasterError: for an unknown name; the message lists the presets.
    """
    key = name.strip().lower().replace("_", "-")
    key = {"apple-music": "apple", "amazon-music": "amazon", "dj": "club"}.get(key, key)
    if key not in PRESETS:
        raise MasterError(f"target={name!r} must be one of {', '.join(PRESETS)} or custom")
    return PRESETS[key]


def custom_target(lufs: float, ceiling_dbtp: float = -1.0) -> Target:
    """Return a custom target.

    Args:
        lufs: Integrated loudness to reach, -40..-5 LUFS.
        ceiling_dbtp: True-peak ceiling, -9..-0.1 dBTP.

    Raises:
        MasterError: when either value is not finite or out of range.
    """
    if not (isinstance(lufs, int | float) and MIN_LUFS <= lufs <= MAX_LUFS):
        raise MasterError(f"lufs={lufs!r} must be in {MIN_LUFS:g}..{MAX_LUFS:g} LUFS")
    if not (
        isinstance(ceiling_dbtp, int | float)
        and MIN_CEILING_DBTP <= ceiling_dbtp <= MAX_CEILING_DBTP
    ):
        raise MasterError(
            f"ceiling_dbtp={ceiling_dbtp!r} must be in "
            f"{MIN_CEILING_DBTP:g}..{MAX_CEILING_DBTP:g} dBTP"
        )
    lufs, ceiling = float(lufs), float(ceiling_dbtp)
    return Target("custom", lufs, ceiling, f"custom ({lufs:g} LUFS, {ceiling:g} dBTP)")


def parse_target(spec: str) -> Target:
    """Parse a target as the command line gives it.

    Accepts a preset name (``"spotify"``) or a custom ``"LUFS"`` / ``"LUFS/CEILING"`` pair
    such as ``"-12"`` or ``"-12/-0.5"``.

    Raises:
        MasterError: when it is neither.
    """
    text = spec.strip()
    if text and (text[0] in "-+" or text[0].isdigit()):
        parts = text.split("/")
        try:
            values = [float(part) for part in parts]
        except ValueError as exc:
            raise MasterError(f"target={spec!r}: expected LUFS or LUFS/CEILING numbers") from exc
        if len(values) == 1:
            return custom_target(values[0])
        if len(values) == 2:
            return custom_target(values[0], values[1])
        raise MasterError(f"target={spec!r}: expected LUFS or LUFS/CEILING, e.g. -12/-1")
    return get_target(text)
