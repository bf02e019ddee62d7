"""Audio files: WAV, FLAC and MP3 read back with the right rate, channels and length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile
from pedalboard.io import AudioFile

from bandmate.errors import FormatError, RenderError, UnsupportedFormatError
from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.render import bundled_soundfont, peak_dbfs, render_to_file, write_audio

MP3_FRAME = 1152  # samples per MPEG-1 Layer III frame; decoders add up to ~2 frames of padding


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def tone(seconds: float, sample_rate: int, *, level: float = 0.5) -> npt.NDArray[np.float32]:
    """A stereo 440 Hz tone, left in phase and right inverted [shape=(n, 2)]."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    left = level * np.sin(2 * np.pi * 440.0 * t)
    return np.column_stack((left, -left)).astype(np.float32)


@pytest.mark.parametrize("sample_rate", [44_100, 48_000])
@pytest.mark.parametrize(
    ("suffix", "bit_depth", "subtype", "tolerance"),
    [
        ("wav", 16, "PCM_16", 2**-15),
        ("wav", 24, "PCM_24", 2**-23),
        ("flac", 16, "PCM_16", 2**-15),
        ("flac", 24, "PCM_24", 2**-23),
    ],
)
def test_pcm_files_read_back(
    tmp_path: Path,
    rng: np.random.Generator,
    sample_rate: int,
    suffix: str,
    bit_depth: int,
    subtype: str,
    tolerance: float,
) -> None:
    audio = (rng.uniform(-0.9, 0.9, size=(12_345, 2))).astype(np.float32)
    path = write_audio(tmp_path / f"out.{suffix}", audio, sample_rate, bit_depth=bit_depth)  # type: ignore[arg-type]
    info = soundfile.info(path)
    assert (info.samplerate, info.channels, info.frames) == (sample_rate, 2, 12_345)
    assert info.subtype == subtype
    assert info.format == suffix.upper()
    back, _ = soundfile.read(path, dtype="float64")
    assert np.max(np.abs(back - audio)) <= tolerance


@pytest.mark.parametrize("sample_rate", [44_100, 48_000])
def test_mp3_reads_back(tmp_path: Path, sample_rate: int) -> None:
    audio = tone(1.5, sample_rate)
    path = write_audio(tmp_path / "out.mp3", audio, sample_rate)
    with AudioFile(str(path)) as file:
        assert file.samplerate == sample_rate
        assert file.num_channels == 2
        assert len(audio) <= file.frames <= len(audio) + 2 * MP3_FRAME
        back = file.read(file.frames)  # (channels, n)
    # The encoded tone keeps its level and its inverted right channel.
    middle = back[:, sample_rate // 2 : sample_rate]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    assert np.corrcoef(middle[0], middle[1])[0, 1] < -0.99


def test_mp3_quality_sets_the_bitrate(tmp_path: Path) -> None:
    audio = tone(2.0, 44_100)
    high = write_audio(tmp_path / "high.mp3", audio, 44_100)
    low = write_audio(tmp_path / "low.mp3", audio, 44_100, quality=96)
    # 320 kbps for 2 s is about 80 kB; 96 kbps about 24 kB.
    assert high.stat().st_size > 3 * low.stat().st_size
    assert 70_000 < high.stat().st_size < 90_000


def test_format_argument_overrides_the_extension(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "out.audio", tone(0.1, 44_100), 44_100, format="flac")
    assert soundfile.info(path).format == "FLAC"


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "OUT.WAV", tone(0.1, 44_100), 44_100)
    assert soundfile.info(path).format == "WAV"


def test_mono_audio_writes_one_channel(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "mono.wav", tone(0.1, 44_100)[:, 0], 44_100)
    assert soundfile.info(path).channels == 1


def test_unknown_extension_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"extension of .*out\.ogg.*='ogg' must be"):
        write_audio(tmp_path / "out.ogg", tone(0.1, 44_100), 44_100)
    with pytest.raises(UnsupportedFormatError, match="format='aiff' must be one of wav, flac, mp3"):
        write_audio(tmp_path / "out.wav", tone(0.1, 44_100), 44_100, format="aiff")  # type: ignore[arg-type]


def test_clipping_audio_is_refused_with_its_peak(tmp_path: Path) -> None:
    audio = tone(0.1, 44_100, level=2.0)
    with pytest.raises(RenderError, match=r"peak=\+6\.02 dBFS must be <= 0 dBFS"):
        write_audio(tmp_path / "loud.wav", audio, 44_100)
    assert not (tmp_path / "loud.wav").exists()


def test_full_scale_is_allowed(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "full.wav", tone(0.1, 44_100, level=1.0), 44_100)
    assert soundfile.info(path).frames == 4410


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_audio_is_refused(tmp_path: Path, bad: float) -> None:
    audio = tone(0.1, 44_100)
    audio[10, 1] = bad
    with pytest.raises(RenderError, match="NaN or infinite"):
        write_audio(tmp_path / "bad.wav", audio, 44_100)


def test_bad_shape_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"shape=\(2, 3, 4\) must be"):
        write_audio(tmp_path / "bad.wav", np.zeros((2, 3, 4)), 44_100)


def test_bad_bit_depth_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="bit_depth=8 must be 16 or 24 for wav"):
        write_audio(tmp_path / "out.wav", tone(0.1, 44_100), 44_100, bit_depth=8)  # type: ignore[arg-type]


def test_mp3_limits_become_format_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="sample_rate=96000"):
        write_audio(tmp_path / "hi.mp3", tone(0.1, 96_000), 96_000)
    with pytest.raises(FormatError, match="channels=3 must be 1 or 2 for mp3"):
        write_audio(tmp_path / "three.mp3", np.zeros((100, 3)), 44_100)


def test_unwritable_path_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot write wav file"):
        write_audio(tmp_path / "missing" / "out.wav", tone(0.1, 44_100), 44_100)


def test_peak_dbfs() -> None:
    assert peak_dbfs(np.array([0.5, -0.25])) == pytest.approx(-6.0206, abs=1e-4)
    assert peak_dbfs(np.array([-1.0])) == 0.0
    assert peak_dbfs(np.zeros(10)) == float("-inf")
    assert peak_dbfs(np.zeros(0)) == float("-inf")


def flute_song() -> Song:
    return Song(tracks=(Track("flute", Instrument(73), (Note(69, 0, 960),)),))


def loud_song() -> Song:
    """Thirty fortissimo brass, organ and guitar notes at once: the mix exceeds 1.0."""
    notes = tuple(Note(48 + 3 * k, 0, 960, 127) for k in range(10))
    programs = (61, 19, 30)
    return Song(tracks=tuple(Track(f"t{p}", Instrument(p), notes, volume=127) for p in programs))


def test_render_to_file_reports_what_it_wrote(tmp_path: Path) -> None:
    result = render_to_file(
        flute_song(), tmp_path / "flute.flac", soundfont=bundled_soundfont(), bit_depth=24
    )
    info = soundfile.info(result.path)
    assert (info.samplerate, info.channels, info.subtype) == (44_100, 2, "PCM_24")
    assert result.seconds == pytest.approx(info.frames / 44_100)
    assert 1.0 < result.seconds <= 2.0
    assert result.sample_rate == 44_100
    assert result.soundfont == bundled_soundfont()
    assert result.gain_db == 0.0
    assert not result.scaled
    back, _ = soundfile.read(result.path)
    assert result.peak_dbfs == pytest.approx(peak_dbfs(back), abs=0.01)
    assert result.peak_dbfs < -3.0
    assert result.elapsed > 0.0
    assert result.realtime_factor == pytest.approx(result.seconds / result.elapsed)
    assert "scaled" not in result.describe()


def test_render_to_file_scales_a_clipping_mix_to_minus_1_dbfs(tmp_path: Path) -> None:
    result = render_to_file(loud_song(), tmp_path / "loud.wav", soundfont=bundled_soundfont())
    assert result.scaled
    assert result.gain_db < 0.0
    assert result.peak_dbfs == pytest.approx(-1.0, abs=1e-3)
    assert f"scaled by {result.gain_db:.1f} dB" in result.describe()
    back, _ = soundfile.read(result.path)
    assert peak_dbfs(back) == pytest.approx(-1.0, abs=0.01)


def test_render_to_file_mp3_at_48_khz(tmp_path: Path) -> None:
    result = render_to_file(
        flute_song(), tmp_path / "flute.mp3", sample_rate=48_000, soundfont=bundled_soundfont()
    )
    frames = round(result.seconds * 48_000)
    with AudioFile(str(result.path)) as file:
        assert (file.samplerate, file.num_channels) == (48_000, 2)
        assert frames <= file.frames <= frames + 2 * MP3_FRAME


def test_render_to_file_checks_the_format_before_rendering(tmp_path: Path) -> None:
    def fail(done: float, total: float) -> None:
        raise AssertionError("rendering started")

    with pytest.raises(UnsupportedFormatError):
        render_to_file(flute_song(), tmp_path / "out.ogg", progress=fail)
