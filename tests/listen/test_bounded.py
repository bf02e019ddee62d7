"""Analysis in a bounded child process: results, time limit, memory limit, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile

from bandmate.listen import ListenError, analyze_file
from bandmate.listen.bounded import analyze_file_bounded
from tests.listen.signals import RATE, progression


@pytest.fixture(scope="module")
def song_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bounded") / "song.wav"
    soundfile.write(path, progression([(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")]), RATE)
    return path


def test_the_child_gives_the_same_analysis(song_file: Path) -> None:
    assert analyze_file_bounded(song_file, timeout_s=120) == analyze_file(song_file)


def test_time_limit(song_file: Path) -> None:
    # Starting a Python interpreter alone takes longer than a millisecond.
    with pytest.raises(ListenError, match=r"took longer than 0\.001 s"):
        analyze_file_bounded(song_file, timeout_s=0.001)


def test_memory_limit(song_file: Path) -> None:
    with pytest.raises(ListenError, match="max_memory"):
        analyze_file_bounded(song_file, max_memory=128 << 20)


def test_bad_file_errors_cross_the_process_boundary(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(ListenError, match="empty"):
        analyze_file_bounded(empty)


def test_limits_are_checked() -> None:
    with pytest.raises(ListenError, match="timeout_s"):
        analyze_file_bounded("x.wav", timeout_s=0)
    with pytest.raises(ListenError, match="max_memory"):
        analyze_file_bounded("x.wav", max_memory=1000)
