"""A bounded, hostile-safe SoundFont 2 reader.

The file is a RIFF form ``sfbk`` of three lists: ``INFO`` (names, skipped),
``sdta`` (``smpl``: 16-bit mono sample data, and an optional ``sm24`` with the
low bytes of 24-bit samples) and ``pdta`` (the "hydra" of nine tables:
``phdr pbag pmod pgen inst ibag imod igen shdr``). Every size and index is
checked before it is used; a malformed file raises :class:`RenderError`
naming the chunk, the value and the rule it breaks.

Zones are resolved into playable :class:`~bandmate.render.zones.Region`
objects by :mod:`bandmate.render.zones`; this module only reads the tables.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from bandmate.errors import RenderError

GUARD_FRAMES = 64
"""Silent frames before and after the sample data, so that interpolation around the
first and last samples reads zeros rather than memory outside the array."""

_HYDRA = ("phdr", "pbag", "pmod", "pgen", "inst", "ibag", "imod", "igen", "shdr")
_RECORD_BYTES = {
    "phdr": 38,
    "pbag": 4,
    "pmod": 10,
    "pgen": 4,
    "inst": 22,
    "ibag": 4,
    "imod": 10,
    "igen": 4,
    "shdr": 46,
}
_PHDR = np.dtype(
    [
        ("name", "S20"),
        ("preset", "<u2"),
        ("bank", "<u2"),
        ("bag", "<u2"),
        ("library", "<u4"),
        ("genre", "<u4"),
        ("morphology", "<u4"),
    ]
)
_BAG = np.dtype([("gen", "<u2"), ("mod", "<u2")])
_GEN = np.dtype([("oper", "<u2"), ("amount", "<i2")])
_INST = np.dtype([("name", "S20"), ("bag", "<u2")])
_SHDR = np.dtype(
    [
        ("name", "S20"),
        ("start", "<u4"),
        ("end", "<u4"),
        ("loop_start", "<u4"),
        ("loop_end", "<u4"),
        ("rate", "<u4"),
        ("pitch", "u1"),
        ("correction", "i1"),
        ("link", "<u2"),
        ("type", "<u2"),
    ]
)
ROM_SAMPLE = 0x8000
"""``sfSampleType`` bit of samples kept in a synthesizer's ROM, not in the file."""


@dataclass(frozen=True, slots=True)
class SoundFontData:
    """The tables of a SoundFont 2 file, checked but not yet resolved.

    Attributes:
        path: The file read.
        name: The bank's name (``INAM``), or the file name.
        samples: Every sample frame of the file as float32 in -1..1, between
            :data:`GUARD_FRAMES` zeros on each side
            [shape=(GUARD_FRAMES + n_frames + GUARD_FRAMES,)]: frame ``i`` of the
            file is ``samples[GUARD_FRAMES + i]``.
        presets: ``phdr`` records including the terminal ``EOP``.
        preset_bags: ``pbag`` records including the terminal one.
        preset_gens: ``pgen`` records including the terminal one.
        instruments: ``inst`` records including the terminal ``EOI``.
        instrument_bags: ``ibag`` records including the terminal one.
        instrument_gens: ``igen`` records including the terminal one.
        sample_headers: ``shdr`` records including the terminal ``EOS``.
    """

    path: Path
    name: str
    samples: npt.NDArray[np.float32]
    presets: npt.NDArray[np.void]
    preset_bags: npt.NDArray[np.void]
    preset_gens: npt.NDArray[np.void]
    instruments: npt.NDArray[np.void]
    instrument_bags: npt.NDArray[np.void]
    instrument_gens: npt.NDArray[np.void]
    sample_headers: npt.NDArray[np.void]
    source: LazySamples | None = None

    @property
    def frames(self) -> int:
        """Sample frames in the file (without the guards)."""
        return len(self.samples) - 2 * GUARD_FRAMES

    def ensure(self, low: int, high: int) -> None:
        """Make ``samples[low:high]`` hold the file's frames (read lazily: see :func:`read_sf2`)."""
        if self.source is not None:
            self.source.ensure(low - GUARD_FRAMES, high - GUARD_FRAMES)


class LazySamples:
    """A file's frames, converted to float32 on demand a block at a time.

    Converting all of FluidR3's 74 million frames costs a fresh process most of a
    second (mostly first-touch page faults of 300 MB); a song plays a few of its presets.
    The 16-bit (and 24-bit) frames stay memory-mapped from the file.
    """

    BLOCK = 4096

    def __init__(
        self,
        raw: npt.NDArray[np.int16],
        low: npt.NDArray[np.uint8] | None,
        out: npt.NDArray[np.float32],
    ) -> None:
        self._raw = raw
        self._low = low
        self._out = out
        self._done = np.zeros(-(-len(raw) // self.BLOCK), dtype=bool)

    def ensure(self, low: int, high: int) -> None:
        """Convert the file frames ``low:high`` (clipped to the file) if not done yet."""
        low, high = max(low, 0), min(high, len(self._raw))
        if high <= low:
            return
        first, last = low // self.BLOCK, (high - 1) // self.BLOCK + 1
        if self._done[first:last].all():
            return
        start, stop = first * self.BLOCK, min(last * self.BLOCK, len(self._raw))
        _convert(
            self._raw[start:stop],
            None if self._low is None else self._low[start:stop],
            self._out[start:stop],
        )
        self._done[first:last] = True


def _convert(
    raw: npt.NDArray[np.int16], low: npt.NDArray[np.uint8] | None, out: npt.NDArray[np.float32]
) -> None:
    if low is not None:
        wide = raw.astype(np.int32) * 256 + low
        np.multiply(wide, np.float32(1.0 / 8_388_608.0), out=out, casting="unsafe")
    else:
        np.multiply(raw, np.float32(1.0 / 32_768.0), out=out, casting="unsafe")


def _fail(path: Path, message: str) -> RenderError:
    return RenderError(f"soundfont={str(path)!r} is malformed: {message}")


def _read_exact(stream: BinaryIO, size: int, path: Path, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise _fail(path, f"{what} is truncated: {len(data)} of {size} bytes")
    return data


def _chunks(
    stream: BinaryIO, start: int, end: int, path: Path, where: str
) -> list[tuple[bytes, int, int]]:
    """The ``(id, data offset, size)`` of every chunk between two file offsets."""
    found = []
    offset = start
    while offset + 8 <= end:
        stream.seek(offset)
        header = _read_exact(stream, 8, path, f"a chunk header in {where}")
        ident, size = header[:4], struct.unpack("<I", header[4:])[0]
        if size > end - offset - 8:
            raise _fail(
                path,
                f"chunk {ident!r} in {where} claims {size} bytes where {end - offset - 8} remain",
            )
        found.append((ident, offset + 8, size))
        offset += 8 + size + (size & 1)  # chunks are padded to an even size
        if len(found) > 10_000:
            raise _fail(path, f"{where} holds more than 10000 chunks")
    return found


def _list(
    stream: BinaryIO, chunks: list[tuple[bytes, int, int]], kind: bytes, path: Path
) -> tuple[int, int]:
    for ident, offset, size in chunks:
        if ident == b"LIST" and size >= 4:
            stream.seek(offset)
            if stream.read(4) == kind:
                return offset + 4, offset + size
    raise _fail(path, f"the LIST {kind.decode()!r} chunk is missing")


def _table(
    stream: BinaryIO,
    chunks: dict[str, tuple[int, int]],
    name: str,
    dtype: np.dtype[np.void],
    path: Path,
) -> npt.NDArray[np.void]:
    if name not in chunks:
        raise _fail(path, f"pdta chunk {name!r} is missing")
    offset, size = chunks[name]
    record = _RECORD_BYTES[name]
    if size % record or size < record:
        raise _fail(path, f"pdta chunk {name!r} has {size} bytes: not a multiple of {record}")
    stream.seek(offset)
    return np.frombuffer(_read_exact(stream, size, path, f"pdta chunk {name!r}"), dtype=dtype)


def _check_bags(
    path: Path, owners: npt.NDArray[np.void], bags: npt.NDArray[np.void], gens: int, what: str
) -> None:
    """Owner records point at bags in order; bags point at generators in order."""
    owner_bags = owners["bag"].astype(np.int64)
    if np.any(np.diff(owner_bags) < 0) or owner_bags[-1] > len(bags) - 1:
        raise _fail(
            path,
            f"{what} bag indices must rise and stay within 0..{len(bags) - 1} "
            f"(last is {int(owner_bags[-1])})",
        )
    bag_gens = bags["gen"].astype(np.int64)
    if np.any(np.diff(bag_gens) < 0) or bag_gens[-1] > gens - 1:
        raise _fail(
            path,
            f"{what} generator indices must rise and stay within 0..{gens - 1} "
            f"(last is {int(bag_gens[-1])})",
        )


def _read_samples(
    stream: BinaryIO,
    smpl: tuple[int, int],
    sm24: tuple[int, int] | None,
    path: Path,
    *,
    lazy: bool,
) -> tuple[npt.NDArray[np.float32], LazySamples | None]:
    offset, size = smpl
    frames = size // 2
    samples = np.zeros(GUARD_FRAMES + frames + GUARD_FRAMES, dtype=np.float32)
    data = samples[GUARD_FRAMES : GUARD_FRAMES + frames]
    wide = sm24 is not None and sm24[1] in (frames, frames + (frames & 1))
    if lazy:
        stream.seek(0, os.SEEK_END)
        length = stream.tell()
        if offset + 2 * frames > length or (
            wide and sm24 is not None and sm24[0] + frames > length
        ):
            raise _fail(path, "sdta chunk 'smpl' is truncated")
        if frames == 0:
            return samples, None
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        raw = np.frombuffer(mapped, "<i2", count=frames, offset=offset)
        low = (
            np.frombuffer(mapped, np.uint8, count=frames, offset=sm24[0]) if wide and sm24 else None
        )
        return samples, LazySamples(raw, low, data)
    stream.seek(offset)
    raw = np.frombuffer(_read_exact(stream, 2 * frames, path, "sdta chunk 'smpl'"), "<i2")
    low = None
    if wide and sm24 is not None:
        stream.seek(sm24[0])
        low = np.frombuffer(_read_exact(stream, frames, path, "sdta chunk 'sm24'"), np.uint8)
    _convert(raw, low, data)
    return samples, None


def read_sf2(path: str | os.PathLike[str], *, lazy: bool = False) -> SoundFontData:
    """Read and check a SoundFont 2 file.

    Args:
        path: The ``.sf2`` file.
        lazy: Leave the frames memory-mapped and convert them when
            :meth:`SoundFontData.ensure` asks (the renderer does, region by region);
            otherwise every frame is converted now.

    Returns:
        Its tables and samples.

    Raises:
        RenderError: When the file cannot be read or breaks the format: wrong
            magic, truncated or oversized chunks, missing chunks, record sizes,
            or bag, generator, instrument or sample indices out of range.
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            return _read(stream, file, lazy=lazy)
    except OSError as exc:
        raise RenderError(f"soundfont={str(file)!r} cannot be read: {exc}") from exc


def _read(stream: BinaryIO, path: Path, *, lazy: bool = False) -> SoundFontData:
    stream.seek(0, os.SEEK_END)
    length = stream.tell()
    stream.seek(0)
    header = _read_exact(stream, 12, path, "the RIFF header")
    if header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise _fail(path, f"its header {header!r} must be RIFF....sfbk")
    riff_size = struct.unpack("<I", header[4:8])[0]
    if riff_size > length - 8 or riff_size < 4:
        raise _fail(path, f"the RIFF size {riff_size} does not fit the {length}-byte file")
    top = _chunks(stream, 12, 8 + riff_size, path, "sfbk")
    info_start, info_end = _list(stream, top, b"INFO", path)
    name = path.stem
    for ident, offset, size in _chunks(stream, info_start, info_end, path, "INFO"):
        if ident == b"INAM" and size <= 256:
            stream.seek(offset)
            name = stream.read(size).split(b"\0", 1)[0].decode("latin-1").strip() or name
    sdta = {
        ident.decode("latin-1"): (offset, size)
        for ident, offset, size in _chunks(stream, *_list(stream, top, b"sdta", path), path, "sdta")
    }
    if "smpl" not in sdta:
        raise _fail(path, "sdta chunk 'smpl' is missing")
    pdta = {
        ident.decode("latin-1"): (offset, size)
        for ident, offset, size in _chunks(stream, *_list(stream, top, b"pdta", path), path, "pdta")
    }
    tables = {
        "phdr": _table(stream, pdta, "phdr", _PHDR, path),
        "pbag": _table(stream, pdta, "pbag", _BAG, path),
        "pmod": _table(stream, pdta, "pmod", np.dtype("V10"), path),
        "pgen": _table(stream, pdta, "pgen", _GEN, path),
        "inst": _table(stream, pdta, "inst", _INST, path),
        "ibag": _table(stream, pdta, "ibag", _BAG, path),
        "imod": _table(stream, pdta, "imod", np.dtype("V10"), path),
        "igen": _table(stream, pdta, "igen", _GEN, path),
        "shdr": _table(stream, pdta, "shdr", _SHDR, path),
    }
    _check_bags(path, tables["phdr"], tables["pbag"], len(tables["pgen"]), "preset")
    _check_bags(path, tables["inst"], tables["ibag"], len(tables["igen"]), "instrument")
    if tables["pbag"]["mod"].astype(np.int64)[-1] > len(tables["pmod"]) - 1:
        raise _fail(path, "preset modulator indices run past the 'pmod' chunk")
    if tables["ibag"]["mod"].astype(np.int64)[-1] > len(tables["imod"]) - 1:
        raise _fail(path, "instrument modulator indices run past the 'imod' chunk")
    samples, source = _read_samples(stream, sdta["smpl"], sdta.get("sm24"), path, lazy=lazy)
    _check_sample_headers(path, tables["shdr"], len(samples) - 2 * GUARD_FRAMES)
    return SoundFontData(
        path=path,
        name=name,
        samples=samples,
        presets=tables["phdr"],
        preset_bags=tables["pbag"],
        preset_gens=tables["pgen"],
        instruments=tables["inst"],
        instrument_bags=tables["ibag"],
        instrument_gens=tables["igen"],
        sample_headers=tables["shdr"],
        source=source,
    )


def _check_sample_headers(path: Path, headers: npt.NDArray[np.void], frames: int) -> None:
    real = headers[:-1]
    in_file = (real["type"] & ROM_SAMPLE) == 0
    start = real["start"].astype(np.int64)
    end = real["end"].astype(np.int64)
    bad = np.flatnonzero(in_file & ((start >= end) | (end > frames)))
    if bad.size:
        i = int(bad[0])
        raise _fail(
            path,
            f"sample {i} ({real['name'][i].decode('latin-1', 'replace')!r}) spans "
            f"{int(start[i])}..{int(end[i])}, which must be a non-empty span within "
            f"the {frames} frames of 'smpl'",
        )
    rates = real["rate"][in_file].astype(np.int64)
    if rates.size and (rates.min() < 1 or rates.max() > 1_000_000):
        raise _fail(path, "sample rates must be in 1..1000000 Hz")
