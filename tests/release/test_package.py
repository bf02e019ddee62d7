"""The release package: files, tags, cover art, DDEX message, manifest and zip."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import mutagen.flac
import mutagen.id3
import mutagen.mp3
import mutagen.wave
import numpy as np
import pytest
import soundfile
from PIL import Image

from bandmate.master import MasterError
from bandmate.release import Credit, ReleaseError, ReleaseInfo, build_release, verify_manifest
from bandmate.release.cover import SIZE, generate_cover, prepare_cover
from bandmate.release.ern_check import check_new_release_message

RATE = 44_100
# mutagen's constructors are unannotated: reach them through Any (as the product does).
FLAC: Any = mutagen.flac.FLAC
ID3: Any = mutagen.id3.ID3
MP3: Any = mutagen.mp3.MP3
WAVE: Any = mutagen.wave.WAVE
INFO = ReleaseInfo(
    title="Night Drive",
    artists=("Ada Lane",),
    isrc="US-S1Z-99-00001",
    label="Knot Records",
    release_date=dt.date(2026, 3, 1),
    credits=(Credit("Ada Lane", "Composer"), Credit("Max Bell", "Producer")),
)


@pytest.fixture
def master(tmp_path: Path) -> Path:
    t = np.arange(3 * RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t)) / 1.5
    path = tmp_path / "master.wav"
    soundfile.write(path, np.stack((tone, 0.8 * tone), axis=1), RATE, subtype="PCM_24")
    return path


def _id3(tags: Any) -> dict[str, object]:
    return {
        "title": str(tags["TIT2"]),
        "artists": list(tags["TPE1"].text),
        "isrc": str(tags["TSRC"]),
        "track": str(tags["TRCK"]),
        "cover": len(tags.getall("APIC")),
        "people": tags["TIPL"].people,
    }


def test_package_holds_every_file_with_tags(tmp_path: Path, master: Path) -> None:
    package = build_release(master, tmp_path / "release", INFO, make_zip=True)
    names = sorted(p.name for p in package.folder.iterdir())
    stem = "01 - Ada Lane - Night Drive"
    assert names == sorted(
        [
            f"{stem}.wav",
            f"{stem}.flac",
            f"{stem}.mp3",
            "cover.jpg",
            "NewReleaseMessage.xml",
            "SHA256SUMS",
        ]
    )
    wav = soundfile.info(package.files["wav"])
    assert (wav.subtype, wav.samplerate, wav.channels) == ("PCM_24", RATE, 2)
    assert soundfile.info(package.files["flac"]).subtype == "PCM_24"
    assert MP3(package.files["mp3"]).info.bitrate == 320_000

    expected = {
        "title": "Night Drive",
        "artists": ["Ada Lane"],
        "isrc": "USS1Z9900001",
        "track": "1/1",
        "cover": 1,
        "people": [["producer", "Max Bell"]],
    }
    assert _id3(ID3(package.files["mp3"])) == expected
    assert _id3(WAVE(package.files["wav"]).tags) == expected
    flac = FLAC(package.files["flac"])
    assert flac["TITLE"] == ["Night Drive"]
    assert flac["ISRC"] == ["USS1Z9900001"]
    assert flac["COMPOSER"] == ["Ada Lane"]
    assert flac["CREDITS"] == ["Composer: Ada Lane", "Producer: Max Bell"]
    assert [(p.type, p.width, p.height, p.mime) for p in flac.pictures] == [
        (3, SIZE, SIZE, "image/jpeg")
    ]

    with Image.open(package.files["cover"]) as cover:
        assert (cover.size, cover.mode, cover.format) == ((SIZE, SIZE), "RGB", "JPEG")
    assert check_new_release_message(package.files["ern"].read_bytes()) == []
    assert verify_manifest(package.folder) == []
    assert package.zip_path is not None
    with zipfile.ZipFile(package.zip_path) as archive:
        assert sorted(Path(n).name for n in archive.namelist()) == names
    assert any("drawn from the music" in note for note in package.notes)


def test_manifest_catches_a_changed_file(tmp_path: Path, master: Path) -> None:
    package = build_release(master, tmp_path / "release", INFO)
    with open(package.files["flac"], "ab") as handle:
        handle.write(b"\0")
    package.files["cover"].unlink()
    assert sorted(verify_manifest(package.folder)) == sorted(
        [package.files["flac"].name, "cover.jpg"]
    )


def test_given_cover_is_cropped_and_resized(tmp_path: Path, master: Path) -> None:
    source = tmp_path / "photo.png"
    pixels = np.zeros((600, 1000, 3), dtype=np.uint8)
    pixels[:, 200:800] = (200, 30, 30)  # the centre square is red
    Image.fromarray(pixels).save(source)
    image, notes = prepare_cover(source)
    assert image.size == (SIZE, SIZE)
    assert image.getpixel((SIZE // 2, SIZE // 2)) == pytest.approx((200, 30, 30), abs=3)
    assert any("cropped" in n for n in notes)
    assert any("enlarged" in n for n in notes)
    package = build_release(master, tmp_path / "release", INFO, cover=source)
    with Image.open(package.files["cover"]) as cover:
        assert cover.size == (SIZE, SIZE)


def test_generated_cover_reflects_the_music() -> None:
    freqs = 20.0 * 2.0 ** (np.arange(60) / 6)
    dark = generate_cover(
        -3 * np.log2(freqs), freqs, np.linspace(-20, -10, 50), title="A", artist="B"
    )
    bright = generate_cover(
        3 * np.log2(freqs), freqs, np.linspace(-20, -10, 50), title="A", artist="B"
    )
    assert dark.size == (SIZE, SIZE)
    assert dark.getpixel((50, 50)) != bright.getpixel((50, 50))  # colour follows the balance


def test_bad_inputs_are_clear_errors(tmp_path: Path, master: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="exists and is not empty"):
        build_release(master, taken, INFO)
    assert (taken / "keep.txt").read_text() == "mine"
    not_image = tmp_path / "cover.jpg"
    not_image.write_bytes(b"not an image")
    with pytest.raises(ReleaseError, match="cannot read cover image"):
        build_release(master, tmp_path / "r1", INFO, cover=not_image)
    assert not (tmp_path / "r1").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release-")]
    loud = tmp_path / "loud.wav"
    soundfile.write(loud, np.full((RATE, 2), 1.5, dtype=np.float32), RATE, subtype="FLOAT")
    with pytest.raises(MasterError, match="exceeds full scale"):
        build_release(loud, tmp_path / "r2", INFO)


def test_high_rate_master_gets_a_48k_mp3(tmp_path: Path) -> None:
    path = tmp_path / "hi.flac"
    t = np.arange(96_000) / 96_000
    soundfile.write(path, 0.5 * np.sin(2 * np.pi * 440 * t), 96_000, subtype="PCM_24")
    package = build_release(path, tmp_path / "release", INFO)
    assert MP3(package.files["mp3"]).info.sample_rate == 48_000
    assert soundfile.info(package.files["flac"]).samplerate == 96_000
    assert any("resampled" in note for note in package.notes)
