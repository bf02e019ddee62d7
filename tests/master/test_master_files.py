"""Reading and writing audio within bounds, and mastering files end to end (with the report)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bandmate.master import MasterError, integrated_loudness, true_peak
from bandmate.master.audio_io import read_audio, write_audio
from bandmate.master.files import master_file

from .tracks import RATE, pop, track


@pytest.fixture
def mix(tmp_path: Path) -> Path:
    path = tmp_path / "mix.wav"
    soundfile.write(path, track("pop")[: 6 * RATE], RATE, subtype="PCM_24")
    return path


@pytest.mark.parametrize(
    ("extension", "subtype"), [("wav", "PCM_16"), ("wav", "FLOAT"), ("flac", "PCM_24")]
)
def test_reads_pcm_float_and_flac(tmp_path: Path, extension: str, subtype: str) -> None:
    audio = track("pop")[:RATE]
    path = tmp_path / f"a.{extension}"
    soundfile.write(path, audio, RATE, subtype=subtype)
    clip = read_audio(path)
    assert clip.sample_rate == RATE
    assert clip.samples.shape == audio.shape
    np.testing.assert_allclose(clip.samples, audio, atol=1e-4)


def test_reads_mp3_written_by_us(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.mp3", track("pop")[: 2 * RATE], RATE)
    clip = read_audio(path)
    assert clip.channels == 2
    assert abs(clip.seconds - 2.0) < 0.1


def test_corrupt_empty_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(MasterError, match="cannot read audio file"):
        read_audio(junk)
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    with pytest.raises(MasterError, match="empty"):
        read_audio(empty)
    with pytest.raises(MasterError, match="does not exist"):
        read_audio(tmp_path / "nope.wav")
    fake_mp3 = tmp_path / "fake.mp3"
    fake_mp3.write_bytes(b"ID3" + bytes(3000))
    with pytest.raises(MasterError, match="mp3"):
        read_audio(fake_mp3)


def test_truncated_wav_yields_what_its_data_holds(tmp_path: Path, mix: Path) -> None:
    data = mix.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    clip = read_audio(cut)
    assert 2.5 * RATE < len(clip.samples) <= 3 * RATE + 1
    out = master_file(cut, tmp_path / "cut-master.wav", target="spotify")
    assert out.report.meets_target


@pytest.mark.parametrize("rate", [4_000, 384_000])
def test_rates_outside_8k_to_192k_are_refused(tmp_path: Path, rate: int) -> None:
    path = tmp_path / "r.wav"
    soundfile.write(path, np.zeros((rate // 10, 2)), rate)
    with pytest.raises(MasterError, match=rf"sample_rate={rate} Hz; must be in 8000\.\.192000"):
        read_audio(path)


def test_nan_in_float_wav_names_the_frame(tmp_path: Path) -> None:
    audio = np.array(track("pop")[:RATE], dtype=np.float32)
    audio[777, 0] = np.inf
    path = tmp_path / "nan.wav"
    soundfile.write(path, audio, RATE, subtype="FLOAT")
    with pytest.raises(MasterError, match="first at frame 777, channel 0"):
        read_audio(path)


def test_duration_and_size_limits(tmp_path: Path, mix: Path) -> None:
    with pytest.raises(MasterError, match="must be at most 5 s"):
        read_audio(mix, max_seconds=5)
    with pytest.raises(MasterError, match="bytes; must be at most 1000"):
        read_audio(mix, max_bytes=1000)


def test_surround_file_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "surround.wav"
    soundfile.write(path, 0.1 * np.ones((RATE, 6)), RATE)
    with pytest.raises(MasterError, match="6 channels"):
        master_file(path, tmp_path / "out.wav")


def test_writer_refuses_to_clip(tmp_path: Path) -> None:
    with pytest.raises(MasterError, match="exceeds full scale"):
        write_audio(tmp_path / "loud.wav", np.full((100, 2), 1.5), RATE)


def test_master_file_writes_a_master_that_measures_right(tmp_path: Path, mix: Path) -> None:
    seen: list[float] = []
    out = master_file(
        mix, tmp_path / "master.flac", target="apple", report=tmp_path / "report.html",
        progress=lambda fraction, _: seen.append(fraction),
    )  # fmt: skip
    info = soundfile.info(out.output)
    assert (info.format, info.subtype, info.samplerate) == ("FLAC", "PCM_24", RATE)
    audio, _ = soundfile.read(out.output, always_2d=True)
    assert abs(integrated_loudness(audio, RATE) + 16.0) <= 0.1
    assert true_peak(audio, RATE) <= -1.0
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".master-")]


def test_report_is_self_contained_html_and_json(tmp_path: Path, mix: Path) -> None:
    out = master_file(mix, tmp_path / "m.wav", target="spotify", report=tmp_path / "r.html")
    assert out.report_path is not None
    page = out.report_path.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3
    assert "http://" not in page
    assert "https://" not in page
    numbers = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert numbers["target"] == "spotify"
    assert numbers["meets_target"] is True
    assert abs(numbers["after"]["integrated_lufs"] + 14.0) <= 0.1
    assert numbers["after"]["true_peak_dbtp"] <= -1.0
    assert numbers["before"]["crest_factor_db"] > numbers["after"]["crest_factor_db"] > 0
    assert len(numbers["short_term_after"]) == len(numbers["short_term_before"]) > 0
    assert len(numbers["spectrum_after"]["level_db"]) == len(numbers["eq"]["level_db"])


def test_silence_report_uses_null_not_infinity(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros((2 * RATE, 2)), RATE)
    out = master_file(path, tmp_path / "s.wav", report=tmp_path / "s.html")
    numbers = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert numbers["after"]["integrated_lufs"] is None
    assert any("silent" in note for note in numbers["notes"])
    assert not np.any(soundfile.read(out.output)[0])


def test_master_file_never_overwrites_its_input(mix: Path) -> None:
    before = mix.read_bytes()
    with pytest.raises(MasterError, match="overwrite an input"):
        master_file(mix, mix)
    assert mix.read_bytes() == before


def test_reference_file_and_one_second_and_8k_inputs(tmp_path: Path) -> None:
    reference = tmp_path / "ref.wav"
    soundfile.write(reference, pop(np.random.default_rng(4), seconds=5.0), RATE)
    short = tmp_path / "short.wav"
    soundfile.write(short, track("one_second"), RATE)
    out = master_file(short, tmp_path / "o.wav", target="reference", reference=reference, blend=0.7)
    assert out.report.reference is not None
    assert abs(out.report.loudness_error_lu) <= 0.1
    low = tmp_path / "8k.wav"
    soundfile.write(low, pop(np.random.default_rng(5), seconds=3.0, rate=8000), 8000)
    assert master_file(low, tmp_path / "8k-master.wav", target="youtube").report.meets_target


@pytest.mark.parametrize(("rate", "target"), [(96_000, "spotify"), (192_000, "club")])
def test_high_rate_files_master_under_the_ceiling(tmp_path: Path, rate: int, target: str) -> None:
    # 96 kHz oversamples 2x for true peaks; 192 kHz reads its samples as the true peak.
    path = tmp_path / f"{rate}.wav"
    soundfile.write(path, pop(np.random.default_rng(rate), seconds=3.0, rate=rate), rate)
    out = master_file(path, tmp_path / f"{rate}-master.wav", target=target)
    assert out.report.meets_target
    audio, read_rate = soundfile.read(out.output, always_2d=True)
    assert read_rate == rate
    assert true_peak(audio, rate) <= out.report.ceiling_dbtp
    assert abs(integrated_loudness(audio, rate) - out.report.target_lufs) <= 0.1
