"""Building small SoundFont 2 files byte by byte, to test the reader and the synthesizer.

A font made here has exactly the samples, zones and generators a test needs, so
that a test can predict what the synthesizer must do (a loop, a choke, a level).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bandmate.render.zones import INSTRUMENT, KEY_RANGE, SAMPLE_ID, VEL_RANGE

SR = 44_100
PAD_FRAMES = 46  # the zeros SF2 asks for after every sample


@dataclass(frozen=True)
class Sample:
    """A mono 16-bit sample with its loop (absolute frames are computed on writing)."""

    data: npt.NDArray[np.int16]
    rate: int = SR
    root: int = 69
    loop: tuple[int, int] = (0, 0)  # relative to the sample's first frame
    name: str = "sample"


@dataclass(frozen=True)
class Zone:
    """An instrument zone: a sample and its generators ({oper: amount})."""

    sample: int
    gens: dict[int, int | tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A preset of one instrument, with preset-level generators that add."""

    bank: int
    program: int
    instrument: int
    gens: dict[int, int | tuple[int, int]] = field(default_factory=dict)
    name: str = "preset"


def chunk(ident: bytes, data: bytes) -> bytes:
    """A RIFF chunk, padded to an even size."""
    return ident + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


def riff_list(kind: bytes, *chunks: bytes) -> bytes:
    return chunk(b"LIST", kind + b"".join(chunks))


def _gen(oper: int, amount: int | tuple[int, int]) -> bytes:
    if isinstance(amount, tuple):
        return struct.pack("<HBB", oper, amount[0], amount[1])
    return struct.pack("<Hh", oper, amount)


def _zone_gens(gens: dict[int, int | tuple[int, int]]) -> list[bytes]:
    # Ranges first, as the spec orders them.
    order = sorted(gens, key=lambda g: (g not in (KEY_RANGE, VEL_RANGE), g != KEY_RANGE))
    return [_gen(g, gens[g]) for g in order]


def build_sf2(
    samples: list[Sample],
    instruments: list[list[Zone]],
    presets: list[Preset],
    *,
    instrument_globals: dict[int, dict[int, int | tuple[int, int]]] | None = None,
) -> bytes:
    """The bytes of a SoundFont 2 file.

    Args:
        samples: The samples, stored one after the other with 46 zeros each.
        instruments: Each instrument's zones.
        presets: The presets; each plays one instrument.
        instrument_globals: Global zones by instrument index.
    """
    smpl = b""
    headers = b""
    for s in samples:
        start = len(smpl) // 2
        end = start + len(s.data)
        loop_start, loop_end = start + s.loop[0], start + s.loop[1]
        smpl += s.data.astype("<i2").tobytes() + b"\0\0" * PAD_FRAMES
        headers += struct.pack(
            "<20sIIIIIBbHH",
            s.name.encode()[:20],
            start,
            end,
            loop_start,
            loop_end,
            s.rate,
            s.root,
            0,
            0,
            1,
        )
    headers += struct.pack("<20sIIIIIBbHH", b"EOS", 0, 0, 0, 0, 0, 0, 0, 0, 0)

    inst = b""
    ibag = b""
    igen: list[bytes] = []
    globals_ = instrument_globals or {}
    bag_count = 0
    for index, zones in enumerate(instruments):
        inst += struct.pack("<20sH", f"inst{index}".encode(), bag_count)
        if index in globals_:
            ibag += struct.pack("<HH", len(igen), 0)
            igen += _zone_gens(globals_[index])
            bag_count += 1
        for zone in zones:
            ibag += struct.pack("<HH", len(igen), 0)
            igen += [*_zone_gens(zone.gens), _gen(SAMPLE_ID, zone.sample)]
            bag_count += 1
    inst += struct.pack("<20sH", b"EOI", bag_count)
    ibag += struct.pack("<HH", len(igen), 0)
    igen.append(b"\0\0\0\0")

    phdr = b""
    pbag = b""
    pgen: list[bytes] = []
    for index, preset in enumerate(presets):
        phdr += struct.pack(
            "<20sHHHIII", preset.name.encode(), preset.program, preset.bank, index, 0, 0, 0
        )
        pbag += struct.pack("<HH", len(pgen), 0)
        pgen += [*_zone_gens(preset.gens), _gen(INSTRUMENT, preset.instrument)]
    phdr += struct.pack("<20sHHHIII", b"EOP", 0, 0, len(presets), 0, 0, 0)
    pbag += struct.pack("<HH", len(pgen), 0)
    pgen.append(b"\0\0\0\0")

    info = riff_list(b"INFO", chunk(b"ifil", struct.pack("<HH", 2, 1)), chunk(b"INAM", b"Test\0"))
    sdta = riff_list(b"sdta", chunk(b"smpl", smpl))
    pdta = riff_list(
        b"pdta",
        chunk(b"phdr", phdr),
        chunk(b"pbag", pbag),
        chunk(b"pmod", b"\0" * 10),
        chunk(b"pgen", b"".join(pgen)),
        chunk(b"inst", inst),
        chunk(b"ibag", ibag),
        chunk(b"imod", b"\0" * 10),
        chunk(b"igen", b"".join(igen)),
        chunk(b"shdr", headers),
    )
    body = b"sfbk" + info + sdta + pdta
    return b"RIFF" + struct.pack("<I", len(body)) + body


def sine(hz: float, frames: int, *, level: float = 0.5, rate: int = SR) -> npt.NDArray[np.int16]:
    """A sine of ``frames`` samples, 16-bit."""
    t = np.arange(frames) / rate
    return np.round(level * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def looped_sine(hz: float = 441.0, periods: int = 100, *, rate: int = SR) -> Sample:
    """A sine whose loop is a whole number of periods (441 Hz: 100 frames a period)."""
    period = round(rate / hz)
    frames = period * periods
    return Sample(sine(rate / period, frames, rate=rate), rate=rate, loop=(period, frames))


def write_font(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def replace_chunk(data: bytes, ident: bytes, payload: bytes) -> bytes:
    """Replace the payload of the first chunk ``ident`` inside a LIST, fixing every size."""
    at = data.index(ident)
    size = struct.unpack("<I", data[at + 4 : at + 8])[0]
    old = 8 + size + (size & 1)
    new = chunk(ident, payload)
    out = data[:at] + new + data[at + old :]
    grow = len(new) - old
    # The LIST holding the chunk is the last LIST header before it.
    list_at = data.rindex(b"LIST", 0, at)
    list_size = struct.unpack("<I", data[list_at + 4 : list_at + 8])[0] + grow
    out = out[: list_at + 4] + struct.pack("<I", list_size) + out[list_at + 8 :]
    return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]
