"""The update journal's frames and segments (the SQLite log's commits)."""

from __future__ import annotations

import random
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bandmate.store.journal import Journal, JournalHeldError, Read, decode_frames, encode_frame

WHEN = datetime(2026, 11, 26, 7, 8, 9, 123456, tzinfo=UTC)


def _records(rng: random.Random, n: int) -> list[Read]:
    return [
        Read(
            f"{rng.getrandbits(128):032x}",
            rng.randrange(1, 2**40),
            None if rng.random() < 0.3 else f"{rng.getrandbits(128):032x}",
            WHEN,
            rng.randbytes(rng.randrange(0, 300)),
        )
        for _ in range(n)
    ]


def test_frames_read_back_as_written() -> None:
    rng = random.Random(5)
    batches = [_records(rng, rng.randrange(1, 9)) for _ in range(20)]
    data = b"".join(encode_frame(batch) for batch in batches)
    records, good = decode_frames(data)
    assert records == [r for batch in batches for r in batch]
    assert good == len(data)


def test_reading_stops_at_a_torn_or_damaged_frame() -> None:
    rng = random.Random(6)
    first, second = encode_frame(_records(rng, 3)), encode_frame(_records(rng, 2))
    whole = first + second
    for cut in range(len(first), len(whole)):  # every length of a write cut short
        records, good = decode_frames(whole[:cut])
        assert (len(records), good) == (3, len(first))
    damaged = bytearray(whole)
    damaged[len(first) + 20] ^= 0x40  # a flipped bit in the second frame's payload
    assert decode_frames(bytes(damaged))[1] == len(first)
    assert decode_frames(b"XXXX" + whole[4:]) == ([], 0)  # not a journal


def test_a_frame_whose_records_overrun_it_is_refused() -> None:
    payload = encode_frame(_records(random.Random(7), 1))[12:]
    short = payload[:-5]  # the record claims more data than the frame holds
    frame = b"BMJ1" + len(short).to_bytes(4, "little") + zlib.crc32(short).to_bytes(4, "little")
    assert decode_frames(frame + short) == ([], 0)


def test_ids_longer_than_a_record_holds_are_refused() -> None:
    with pytest.raises(ValueError, match="254 bytes"):
        encode_frame([Read("p" * 300, 1, None, WHEN, b"")])


def test_segments_are_numbered_on_and_handed_back_in_order(tmp_path: Path) -> None:
    rng = random.Random(8)
    journal = Journal(tmp_path / "j")
    assert journal.open() == []
    first, second = _records(rng, 2), _records(rng, 3)
    journal.write(encode_frame(first))
    one = journal.seal()
    journal.write(encode_frame(second))
    journal.close()
    assert one == tmp_path / "j" / "000000000001.seg"
    again = Journal(tmp_path / "j")
    left = again.open()
    assert [(p.name, records) for p, records in left] == [
        ("000000000001.seg", first),
        ("000000000002.seg", second),
    ]
    for path, _ in left:
        path.unlink()
    again.write(encode_frame(first))
    assert again.seal() == tmp_path / "j" / "000000000003.seg"
    again.close()


def test_a_journal_has_one_owner_at_a_time(tmp_path: Path) -> None:
    owner = Journal(tmp_path / "j")
    owner.open()
    with pytest.raises(JournalHeldError):
        Journal(tmp_path / "j").open()
    owner.close()
    Journal(tmp_path / "j").open()


_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from bandmate.store.journal import Journal
frame = Path(sys.argv[2]).read_bytes()
journal = Journal(Path(sys.argv[1]))
journal.open()
journal.write(frame)
# The file may grow by half a frame more: the next write is cut short, then refused.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (len(frame) + len(frame) // 2, hard))
try:
    journal.write(frame)
except OSError as exc:
    print("refused:", exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
journal.write(frame)
journal.close()
"""


def test_a_write_cut_short_leaves_nothing_of_its_frame(tmp_path: Path) -> None:
    frame = encode_frame(_records(random.Random(9), 4))
    (tmp_path / "frame").write_bytes(frame)
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(tmp_path / "j"), str(tmp_path / "frame")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "refused: short write" in done.stdout
    data = (tmp_path / "j" / "000000000001.seg").read_bytes()
    assert data == frame + frame
