"""Audio takes: a player's audio part, recorded in their browser, uploaded as a stem.

The browser records its own input while the player records a take (``MediaRecorder``:
Opus in WebM, or Ogg; or PCM WAV), keeps the recording in IndexedDB, and uploads it in
parts (each under the server's body cap) when the take ends, then asks the server to
finish the stem. Parts and the finish are idempotent, so a browser that lost its
connection (or was closed and opened again) resends what it still holds until the
server acknowledges the stem; only then does the browser forget it.

This module is the pure part: what a finish request says (:class:`StemInfo`) and what a
stem's bytes must look like (:func:`sniff_stem`). Staging the parts on disk is
:mod:`bandmate.jam.uploads`; writing the clip into the song is :mod:`bandmate.jam.song`.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any, Final, Literal

from bandmate.errors import FormatError
from bandmate.jam.errors import JamError

StemMime = Literal["audio/webm", "audio/ogg", "audio/wav"]
Label = Literal["instrument", "voice"]
LABELS: Final[tuple[Label, ...]] = ("instrument", "voice")

MAX_STEM_BYTES: Final = 64 << 20
"""A stem's size cap: about 70 minutes of stereo Opus at 128 kb/s."""
MAX_PARTS: Final = 4096
MAX_DURATION_MS: Final = 4 * 3600 * 1000.0
MIN_QUARTER: Final = -4 * 32.0  # eight count-in bars of 32/4 at most
MAX_QUARTER: Final = 1e7
UPLOAD_ID: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")


class StemError(JamError):
    """A stem upload that breaks a rule (a bad id, a missing part, an out-of-range field)."""


class StemFormatError(StemError, FormatError):
    """A stem whose bytes are not a WebM/Ogg Opus or WAV recording (HTTP 422)."""


@dataclass(frozen=True, slots=True)
class StemInfo:
    """What the browser says of a recorded stem when it finishes the upload.

    Attributes:
        parts: How many parts were uploaded (numbered ``0 .. parts - 1``).
        start_quarter: Where the recording's first sample lies on the jam transport, in
            quarter notes from bar 0 (negative during the count-in).
        duration_ms: Length of the recording (ms).
        label: ``instrument`` or ``voice``: how it was captured.
    """

    parts: int
    start_quarter: float
    duration_ms: float
    label: Label


def check_upload_id(upload_id: str) -> str:
    """``upload_id`` when it is 8..64 of ``A-Z a-z 0-9 _ -`` (the browser makes a random one)."""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise StemError(f"upload_id={upload_id[:70]!r} must be 8..64 of A-Z a-z 0-9 _ -")
    return upload_id


def check_part_index(index: int) -> int:
    """``index`` when it is a part number below :data:`MAX_PARTS`."""
    if not 0 <= index < MAX_PARTS:
        raise StemError(f"part={index} must be in 0..{MAX_PARTS - 1}")
    return index


def _number(body: dict[str, Any], key: str, low: float, high: float) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise StemError(f"{key}={repr(value)[:30]} must be a number in {low:g}..{high:g}")
    return float(value)


def stem_info_from_json(body: object) -> StemInfo:
    """Read a finish request's body.

    Raises:
        StemError: Not an object, or a field missing or out of range.
    """
    if not isinstance(body, dict):
        raise StemError("the body must be a JSON object")
    parts = _number(body, "parts", 1, MAX_PARTS)
    if not parts.is_integer():
        raise StemError(f"parts={parts} must be a whole number")
    label = body.get("label", "instrument")
    if label not in LABELS:
        raise StemError(f"label={str(label)[:30]!r} must be one of {LABELS}")
    return StemInfo(
        parts=int(parts),
        start_quarter=_number(body, "start_quarter", MIN_QUARTER, MAX_QUARTER),
        duration_ms=_number(body, "duration_ms", 1.0, MAX_DURATION_MS),
        label=label,
    )


def _ebml_doctype(head: bytes) -> bytes | None:
    # The EBML header's DocType element (id 0x4282), its size one byte with the marker bit.
    at = head.find(b"\x42\x82")
    if at < 0 or at + 3 > len(head) or not head[at + 2] & 0x80:
        return None
    size = head[at + 2] & 0x7F
    return head[at + 3 : at + 3 + size]


def _wav(data: bytes) -> None:
    if len(data) < 44 or data[8:12] != b"WAVE":
        raise StemFormatError("a RIFF stem must be a WAVE file")
    at = 12
    fmt: tuple[int, int, int, int, int, int] | None = None
    while at + 8 <= len(data):
        chunk, size = data[at : at + 4], struct.unpack_from("<I", data, at + 4)[0]
        if chunk == b"fmt " and size >= 16 and at + 24 <= len(data):
            fmt = struct.unpack_from("<HHIIHH", data, at + 8)
        elif chunk == b"data":
            if fmt is None:
                raise StemFormatError("a WAV stem's data chunk comes before its fmt chunk")
            break
        at += 8 + size + (size & 1)
    else:
        raise StemFormatError("a WAV stem needs a fmt chunk and a data chunk")
    tag, channels, rate, _, _, bits = fmt
    if tag not in (1, 3, 0xFFFE):
        raise StemFormatError(f"WAV format tag {tag} is not PCM or float")
    if not 1 <= channels <= 2:
        raise StemFormatError(f"WAV channels={channels} must be 1 or 2")
    if not 8000 <= rate <= 192_000:
        raise StemFormatError(f"WAV sample rate={rate} must be in 8000..192000")
    if bits not in (16, 24, 32):
        raise StemFormatError(f"WAV bits per sample={bits} must be 16, 24 or 32")


def sniff_stem(data: bytes) -> StemMime:
    """The type of a stem's bytes, checked: WebM with Opus, Ogg Opus, or PCM/float WAV.

    Raises:
        StemFormatError: Anything else (or a file too short to be a recording).
    """
    if len(data) < 44:
        raise StemFormatError(f"a stem of {len(data)} bytes is too short to be a recording")
    head = data[:4096]
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        doctype = _ebml_doctype(head)
        if doctype != b"webm":
            raise StemFormatError(f"an EBML stem must be WebM, not {doctype!r}")
        if b"A_OPUS" not in head:
            raise StemFormatError("a WebM stem must hold Opus audio (codec A_OPUS)")
        return "audio/webm"
    if head.startswith(b"OggS"):
        if b"OpusHead" not in head[:128]:
            raise StemFormatError("an Ogg stem must hold Opus audio (OpusHead)")
        return "audio/ogg"
    if head.startswith(b"RIFF"):
        _wav(data)
        return "audio/wav"
    raise StemFormatError("a stem must be WebM/Ogg with Opus audio, or WAV")
