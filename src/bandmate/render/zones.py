"""From SoundFont zones to playable regions, by the SF2.01 rules.

A preset's zones point at instruments, an instrument's zones at samples. A
preset or instrument whose first zone has no instrument or sample is a global
zone: its generators are the defaults of the other zones. Instrument
generators *set* values (over the SF2 defaults); preset generators *add* to
them, except that key and velocity ranges intersect and the sample-level
generators (offsets, loop mode, root key, exclusive class, fixed key and
velocity) are not allowed at preset level and are ignored there.

Values are clamped to the ranges FluidSynth uses, so that a hostile file can
produce odd sounds but never absurd parameters.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bandmate.errors import RenderError
from bandmate.render.sf2 import GUARD_FRAMES, ROM_SAMPLE, SoundFontData, read_sf2

# Generator numbers (SF2.01 section 8.1.2).
START_OFFSET, END_OFFSET, LOOP_START_OFFSET, LOOP_END_OFFSET = 0, 1, 2, 3
START_COARSE = 4
MOD_LFO_TO_PITCH, VIB_LFO_TO_PITCH, MOD_ENV_TO_PITCH = 5, 6, 7
FILTER_FC, FILTER_Q, MOD_LFO_TO_FC, MOD_ENV_TO_FC = 8, 9, 10, 11
END_COARSE, MOD_LFO_TO_VOLUME = 12, 13
PAN = 17
MOD_LFO_DELAY, MOD_LFO_FREQ, VIB_LFO_DELAY, VIB_LFO_FREQ = 21, 22, 23, 24
MOD_ENV = 25  # delay, attack, hold, decay, sustain, release, key->hold, key->decay
VOL_ENV = 33  # the same eight for the volume envelope
INSTRUMENT, KEY_RANGE, VEL_RANGE, LOOP_START_COARSE = 41, 43, 44, 45
KEYNUM, VELOCITY, ATTENUATION, LOOP_END_COARSE = 46, 47, 48, 50
COARSE_TUNE, FINE_TUNE, SAMPLE_ID, SAMPLE_MODES = 51, 52, 53, 54
SCALE_TUNING, EXCLUSIVE_CLASS, ROOT_KEY = 56, 57, 58
N_GENERATORS = 61

MAX_REGIONS = 4096
"""The most regions one preset may resolve to (a hostile file could ask for billions)."""

_DEFAULTS = np.zeros(N_GENERATORS, dtype=np.int64)
for _g in (
    MOD_LFO_DELAY,
    VIB_LFO_DELAY,
    *range(MOD_ENV, MOD_ENV + 6),
    *range(VOL_ENV, VOL_ENV + 6),
):
    _DEFAULTS[_g] = -12_000
_DEFAULTS[MOD_ENV + 4] = _DEFAULTS[VOL_ENV + 4] = 0  # sustain levels
_DEFAULTS[FILTER_FC] = 13_500
_DEFAULTS[KEYNUM] = _DEFAULTS[VELOCITY] = _DEFAULTS[ROOT_KEY] = -1
_DEFAULTS[SCALE_TUNING] = 100

# Generators a preset zone may not set (they only make sense for a sample).
_INSTRUMENT_ONLY = frozenset(
    {
        START_OFFSET,
        END_OFFSET,
        LOOP_START_OFFSET,
        LOOP_END_OFFSET,
        START_COARSE,
        END_COARSE,
        LOOP_START_COARSE,
        LOOP_END_COARSE,
        KEYNUM,
        VELOCITY,
        SAMPLE_MODES,
        EXCLUSIVE_CLASS,
        ROOT_KEY,
    }
)
_RANGES = {
    **dict.fromkeys((MOD_LFO_TO_PITCH, VIB_LFO_TO_PITCH, MOD_ENV_TO_PITCH), (-12_000, 12_000)),
    **dict.fromkeys((MOD_LFO_TO_FC, MOD_ENV_TO_FC), (-12_000, 12_000)),
    FILTER_FC: (1_500, 13_500),
    FILTER_Q: (0, 960),
    MOD_LFO_TO_VOLUME: (-960, 960),
    PAN: (-500, 500),
    **dict.fromkeys((MOD_LFO_DELAY, VIB_LFO_DELAY), (-12_000, 5_000)),
    **dict.fromkeys((MOD_LFO_FREQ, VIB_LFO_FREQ), (-16_000, 4_500)),
    ATTENUATION: (0, 1_440),
    COARSE_TUNE: (-120, 120),
    FINE_TUNE: (-99, 99),
    SCALE_TUNING: (0, 1_200),
    EXCLUSIVE_CLASS: (0, 127),
    KEYNUM: (-1, 127),
    VELOCITY: (-1, 127),
}
for _env in (MOD_ENV, VOL_ENV):
    _RANGES[_env] = _RANGES[_env + 2] = (-12_000, 5_000)  # delay, hold
    _RANGES[_env + 1] = _RANGES[_env + 3] = _RANGES[_env + 5] = (-12_000, 8_000)
    _RANGES[_env + 6] = _RANGES[_env + 7] = (-1_200, 1_200)
_RANGES[MOD_ENV + 4] = (0, 1_000)
_RANGES[VOL_ENV + 4] = (0, 1_440)


@dataclass(frozen=True, slots=True)
class Region:
    """One sample as a preset plays it over a range of keys and velocities.

    Attributes:
        key_low: Lowest MIDI key, 0..127.
        key_high: Highest MIDI key.
        vel_low: Lowest velocity, 0..127.
        vel_high: Highest velocity.
        start: First sample frame, as an index into the font's sample array
            (which starts with :data:`~bandmate.render.sf2.GUARD_FRAMES` of silence).
        end: One past the last frame.
        loop_start: First frame of the loop.
        loop_end: One past the last frame of the loop.
        loop_mode: 0 no loop, 1 loop, 3 loop until released.
        sample_rate: The sample's rate in Hz.
        root_key: The key at which the sample plays unchanged.
        tune_cents: Coarse and fine tuning plus the sample's pitch correction.
        peak: The largest absolute sample value the region plays, 0..1.
        gens: Every generator's value, resolved and clamped [shape=(61,)].
    """

    key_low: int
    key_high: int
    vel_low: int
    vel_high: int
    start: int
    end: int
    loop_start: int
    loop_end: int
    loop_mode: int
    sample_rate: int
    root_key: int
    tune_cents: int
    peak: float
    gens: tuple[int, ...]

    def plays(self, key: int, velocity: int) -> bool:
        """Whether a note of this key and velocity sounds this region."""
        return self.key_low <= key <= self.key_high and self.vel_low <= velocity <= self.vel_high


Zone = dict[int, int]


def _zones(
    bags: npt.NDArray[np.void],
    gens: npt.NDArray[np.void],
    first: int,
    stop: int,
    terminal: int,
) -> tuple[Zone, list[tuple[Zone, int]]]:
    """The global zone and the ``(generators, target)`` zones of one preset or instrument."""
    bag_gens = bags["gen"]
    global_zone: Zone = {}
    zones: list[tuple[Zone, int]] = []
    for bag in range(first, stop):
        opers = gens["oper"][bag_gens[bag] : bag_gens[bag + 1]].tolist()
        amounts = gens["amount"][bag_gens[bag] : bag_gens[bag + 1]].tolist()
        zone: Zone = {}
        target = None
        for oper, amount in zip(opers, amounts, strict=True):
            if oper == terminal:
                target = amount & 0xFFFF
                break  # generators after the terminal one are ignored (SF2.01 8.1.1)
            if oper < N_GENERATORS:
                zone[oper] = amount
        if target is not None:
            zones.append((zone, target))
        elif bag == first:
            global_zone = zone
    return global_zone, zones


def _range(zone: Zone, oper: int) -> tuple[int, int]:
    if oper not in zone:
        return 0, 127
    amount = zone[oper] & 0xFFFF
    return amount & 0xFF, amount >> 8


def _clamp(values: list[int]) -> None:
    for oper, (low, high) in _RANGES.items():
        values[oper] = min(max(values[oper], low), high)


class SoundFont:
    """A parsed SoundFont whose presets are resolved into regions on first use.

    Args:
        data: The file's checked tables and samples.
    """

    def __init__(self, data: SoundFontData) -> None:
        self.data = data
        self._index = {
            (int(bank), int(preset)): i
            for i, (bank, preset) in enumerate(
                zip(data.presets["bank"][:-1], data.presets["preset"][:-1], strict=True)
            )
        }
        self._regions: dict[int, tuple[Region, ...]] = {}
        self._lock = threading.Lock()

    @property
    def samples(self) -> npt.NDArray[np.float32]:
        """Every sample frame as float32, with a silent guard after the last."""
        return self.data.samples

    def has_preset(self, bank: int, program: int) -> bool:
        """Whether the font has this bank and program."""
        return (bank, program) in self._index

    def regions(self, bank: int, program: int) -> tuple[Region, ...]:
        """The regions of a preset.

        Args:
            bank: 0 for melodic instruments, 128 for drum kits.
            program: 0..127.

        Returns:
            Every region of the preset, in file order.

        Raises:
            RenderError: When the font has no such preset, or it resolves to
                more than :data:`MAX_REGIONS` regions.
        """
        index = self._index.get((bank, program))
        if index is None:
            raise RenderError(f"bank={bank} program={program} is missing from the SoundFont")
        with self._lock:
            found = self._regions.get(index)
            if found is None:
                found = self._regions[index] = self._resolve(index)
        return found

    def _resolve(self, index: int) -> tuple[Region, ...]:
        data = self.data
        bags = data.presets["bag"]
        preset_global, preset_zones = _zones(
            data.preset_bags, data.preset_gens, int(bags[index]), int(bags[index + 1]), INSTRUMENT
        )
        regions: list[Region] = []
        for preset_zone, instrument in preset_zones:
            if instrument >= len(data.instruments) - 1:
                raise RenderError(
                    f"{self._where(index)}: instrument={instrument} must be in "
                    f"0..{len(data.instruments) - 2}"
                )
            merged_preset = {**preset_global, **preset_zone}
            inst_bags = data.instruments["bag"]
            inst_global, inst_zones = _zones(
                data.instrument_bags,
                data.instrument_gens,
                int(inst_bags[instrument]),
                int(inst_bags[instrument + 1]),
                SAMPLE_ID,
            )
            for inst_zone, sample in inst_zones:
                region = self._region(index, merged_preset, {**inst_global, **inst_zone}, sample)
                if region is not None:
                    regions.append(region)
                    if len(regions) > MAX_REGIONS:
                        raise RenderError(
                            f"{self._where(index)} has more than {MAX_REGIONS} regions"
                        )
        return tuple(regions)

    def _where(self, index: int) -> str:
        record = self.data.presets[index]
        name = bytes(record["name"]).split(b"\0", 1)[0].decode("latin-1", "replace")
        return f"preset {name!r} (bank {int(record['bank'])}, program {int(record['preset'])})"

    def _region(self, index: int, preset: Zone, instrument: Zone, sample: int) -> Region | None:
        headers = self.data.sample_headers
        if sample >= len(headers) - 1:
            raise RenderError(
                f"{self._where(index)}: sampleID={sample} must be in 0..{len(headers) - 2}"
            )
        header = headers[sample]
        if int(header["type"]) & ROM_SAMPLE:
            return None  # a sample in some synthesizer's ROM: not in this file
        key_low, key_high = _range(instrument, KEY_RANGE)
        vel_low, vel_high = _range(instrument, VEL_RANGE)
        preset_keys, preset_vels = _range(preset, KEY_RANGE), _range(preset, VEL_RANGE)
        key_low, key_high = max(key_low, preset_keys[0]), min(key_high, preset_keys[1])
        vel_low, vel_high = max(vel_low, preset_vels[0]), min(vel_high, preset_vels[1])
        if key_low > key_high or vel_low > vel_high:
            return None
        values = _DEFAULTS.tolist()
        for oper, amount in instrument.items():
            values[oper] = amount
        for oper, amount in preset.items():
            if oper not in _INSTRUMENT_ONLY and oper not in (KEY_RANGE, VEL_RANGE):
                values[oper] += amount
        _clamp(values)
        frames = self.data.frames
        start = int(header["start"]) + values[START_OFFSET] + 32_768 * values[START_COARSE]
        end = int(header["end"]) + values[END_OFFSET] + 32_768 * values[END_COARSE]
        loop_start = (
            int(header["loop_start"])
            + values[LOOP_START_OFFSET]
            + 32_768 * values[LOOP_START_COARSE]
        )
        loop_end = (
            int(header["loop_end"]) + values[LOOP_END_OFFSET] + 32_768 * values[LOOP_END_COARSE]
        )
        start = min(max(start, 0), frames - 1)
        end = min(max(end, start + 1), frames)
        loop_start = min(max(loop_start, start), end)
        loop_end = min(max(loop_end, loop_start), end)
        loop_mode = values[SAMPLE_MODES] & 3
        if loop_mode == 2 or loop_end - loop_start < 3:
            loop_mode = 0
        start, end, loop_start, loop_end = (
            GUARD_FRAMES + x for x in (start, end, loop_start, loop_end)
        )
        self.data.ensure(start - 1, end + 2)  # what this region plays and interpolates
        root = values[ROOT_KEY] if 0 <= values[ROOT_KEY] <= 127 else int(header["pitch"])
        if not 0 <= root <= 127:
            root = 60  # "unpitched" samples (255) play at their recorded pitch on middle C
        return Region(
            key_low=key_low,
            key_high=key_high,
            vel_low=vel_low,
            vel_high=vel_high,
            start=start,
            end=end,
            loop_start=loop_start,
            loop_end=loop_end,
            loop_mode=loop_mode,
            sample_rate=int(header["rate"]),
            root_key=root,
            tune_cents=100 * values[COARSE_TUNE] + values[FINE_TUNE] + int(header["correction"]),
            # With the frames around the span: interpolation reads them.
            peak=float(np.abs(self.data.samples[start - 1 : end + 2]).max()),
            gens=tuple(values),
        )


_cache: dict[tuple[str, int, int], SoundFont] = {}
_cache_lock = threading.Lock()


def load_soundfont(path: str | os.PathLike[str]) -> SoundFont:
    """Read a SoundFont once per process, cached by path, size and modification time.

    Only the most recently used file stays cached (FluidR3's samples take about
    300 MB as float32), and its presets stay resolved between renders.

    Args:
        path: The ``.sf2`` file.

    Returns:
        The font.

    Raises:
        RenderError: When the file cannot be read or is malformed.
    """
    file = Path(path).absolute()
    try:
        stat = file.stat()
    except OSError as exc:
        raise RenderError(f"soundfont={str(file)!r} cannot be read: {exc}") from exc
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        font = _cache.get(key)
        if font is None:
            _cache.clear()  # free the old samples before reading the new ones
            font = _cache[key] = SoundFont(read_sf2(file, lazy=True))
    return font
