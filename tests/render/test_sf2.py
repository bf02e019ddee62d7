"""The SoundFont 2 reader and zone resolution: real fonts, built fonts, hostile fonts."""

from __future__ import annotations

import struct
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from bandmate.errors import RenderError
from bandmate.render import bundled_soundfont
from bandmate.render.schedule import NOTE_OFF, NOTE_ON, ChannelSetup, RenderPass
from bandmate.render.sf2 import GUARD_FRAMES, read_sf2
from bandmate.render.voice import render_pass
from bandmate.render.zones import (
    ATTENUATION,
    COARSE_TUNE,
    EXCLUSIVE_CLASS,
    FILTER_FC,
    KEY_RANGE,
    PAN,
    ROOT_KEY,
    SAMPLE_MODES,
    START_OFFSET,
    VEL_RANGE,
    VOL_ENV,
    SoundFont,
    load_soundfont,
)
from tests.render.sf2files import (
    Preset,
    Sample,
    Zone,
    build_sf2,
    chunk,
    replace_chunk,
    sine,
    write_font,
)


def two_zone_font() -> bytes:
    samples = [
        Sample(sine(441, 4410), root=60, loop=(100, 4400), name="low"),
        Sample(sine(882, 4410), root=72, name="high"),
    ]
    instruments = [
        [
            Zone(0, {KEY_RANGE: (0, 63), SAMPLE_MODES: 1, ATTENUATION: 50}),
            Zone(1, {KEY_RANGE: (64, 127), VEL_RANGE: (0, 100), ROOT_KEY: 70}),
        ]
    ]
    presets = [
        Preset(0, 0, 0, {ATTENUATION: 100, PAN: 200, SAMPLE_MODES: 0, KEY_RANGE: (30, 90)}),
        Preset(128, 0, 0, {EXCLUSIVE_CLASS: 5}, name="kit"),
    ]
    return build_sf2(samples, instruments, presets, instrument_globals={0: {FILTER_FC: 9000}})


@pytest.fixture
def font_bytes() -> bytes:
    return two_zone_font()


def read_bytes(tmp_path: Path, data: bytes) -> SoundFont:
    return SoundFont(read_sf2(write_font(tmp_path / "font.sf2", data)))


def test_timgm6mb_has_every_general_midi_program() -> None:
    font = load_soundfont(bundled_soundfont())
    assert font.data.name == "TimGM6mb"
    assert font.samples.dtype == np.float32
    assert not np.any(font.samples[-GUARD_FRAMES:])
    assert not np.any(font.samples[:GUARD_FRAMES])
    assert float(np.abs(font.samples).max()) <= 1.0
    for program in range(128):
        assert font.regions(0, program), program
    # The piano's regions cover the 88 keys of a piano at every velocity.
    piano = font.regions(0, 0)
    assert all(any(r.plays(k, v) for r in piano) for k in range(21, 109) for v in (1, 64, 127))
    # The alto sax has a gap at E4 (TinySoundFont is silent there too).
    assert not any(r.plays(64, 100) for r in font.regions(0, 65))
    assert any(r.plays(36, 100) for r in font.regions(128, 0))  # the standard kit's kick


def test_the_cache_returns_the_same_font() -> None:
    assert load_soundfont(bundled_soundfont()) is load_soundfont(bundled_soundfont())


def test_zones_resolve_by_the_sf2_rules(tmp_path: Path, font_bytes: bytes) -> None:
    font = read_bytes(tmp_path, font_bytes)
    assert font.data.name == "Test"
    low, high = font.regions(0, 0)
    # Key ranges intersect with the preset's 30..90.
    assert (low.key_low, low.key_high) == (30, 63)
    assert (high.key_low, high.key_high, high.vel_high) == (64, 90, 100)
    # Preset generators add to the instrument's: attenuation 50 + 100, pan 0 + 200.
    assert low.gens[ATTENUATION] == 150
    assert high.gens[ATTENUATION] == 100
    assert low.gens[PAN] == high.gens[PAN] == 200
    # The instrument's global zone gives defaults to both zones.
    assert low.gens[FILTER_FC] == high.gens[FILTER_FC] == 9000
    # sampleModes is instrument-only: the preset's 0 does not unloop the low zone.
    assert low.loop_mode == 1
    assert high.loop_mode == 0
    # Indices into the sample array, which starts with GUARD_FRAMES of silence; the
    # second sample starts after the first and its 46 zeros.
    spans = (low.start, low.end, low.loop_start, low.loop_end)
    assert spans == tuple(GUARD_FRAMES + x for x in (0, 4410, 100, 4400))
    assert high.start == GUARD_FRAMES + 4410 + 46
    # overridingRootKey wins over the sample's pitch.
    assert (low.root_key, high.root_key) == (60, 70)
    assert not high.plays(80, 101)
    # Exclusive class is instrument-only too: ignored at preset level.
    assert all(r.gens[EXCLUSIVE_CLASS] == 0 for r in font.regions(128, 0))


def test_defaults_and_clamps(tmp_path: Path) -> None:
    data = build_sf2(
        [Sample(sine(441, 1000))],
        [[Zone(0, {COARSE_TUNE: 500, VOL_ENV + 4: 5000, START_OFFSET: -9999})]],
        [Preset(0, 0, 0)],
    )
    (region,) = read_bytes(tmp_path, data).regions(0, 0)
    assert region.gens[FILTER_FC] == 13_500  # default: fully open
    assert region.gens[VOL_ENV] == -12_000  # default delay
    assert region.gens[COARSE_TUNE] == 120  # clamped to -120..120
    assert region.gens[VOL_ENV + 4] == 1440  # sustain clamped to 144 dB
    assert region.start == GUARD_FRAMES  # a start offset before the data is clamped to it


def test_missing_preset_is_a_render_error(tmp_path: Path, font_bytes: bytes) -> None:
    with pytest.raises(RenderError, match="bank=0 program=5 is missing"):
        read_bytes(tmp_path, font_bytes).regions(0, 5)


def test_sm24_extends_samples_to_24_bits(tmp_path: Path) -> None:
    data = build_sf2(
        [Sample(np.array([1000, -1000, 0, 0], np.int16))], [[Zone(0)]], [Preset(0, 0, 0)]
    )
    smpl_at = data.index(b"smpl")
    size = struct.unpack("<I", data[smpl_at + 4 : smpl_at + 8])[0]
    smpl = data[smpl_at + 8 : smpl_at + 8 + size]
    # The sdta list becomes smpl followed by sm24 (one low byte per frame).
    sdta_payload = chunk(b"smpl", smpl) + chunk(b"sm24", bytes([128] * (size // 2)))
    sdta_at = data.index(b"sdta") - 8
    old_size = struct.unpack("<I", data[sdta_at + 4 : sdta_at + 8])[0]
    patched = (
        data[:sdta_at] + chunk(b"LIST", b"sdta" + sdta_payload) + data[sdta_at + 8 + old_size :]
    )
    patched = patched[:4] + struct.pack("<I", len(patched) - 8) + patched[8:]
    font = read_bytes(tmp_path, patched)
    assert font.samples[GUARD_FRAMES] == pytest.approx((1000 * 256 + 128) / 8_388_608)


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1
    return data.replace(old, new, 1)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: b"RIFX" + d[4:], r"header .* must be RIFF\.\.\.\.sfbk"),
        (lambda d: d[:8] + b"sfbq" + d[12:], r"must be RIFF\.\.\.\.sfbk"),
        (lambda d: d[:4] + struct.pack("<I", 2**31) + d[8:], "RIFF size"),
        (lambda d: d[:11], "truncated"),
        (lambda d: d[:-40], "does not fit|claims|truncated"),
        (lambda d: replace_once(d, b"LIST", b"JUNK"), "'INFO' chunk is missing"),
        (lambda d: replace_once(d, b"shdr", b"shdX"), "'shdr' is missing"),
        (lambda d: replace_once(d, b"smpl", b"smpX"), "'smpl' is missing"),
        (
            lambda d: replace_once(
                d,
                b"phdr" + d[d.index(b"phdr") + 4 : d.index(b"phdr") + 8],
                b"phdr" + struct.pack("<I", 0x7FFF_FFF0),
            ),
            "claims 2147483632 bytes",
        ),
        (
            lambda d: replace_chunk(d, b"pbag", b"\0" * 10),
            "'pbag' has 10 bytes: not a multiple of 4",
        ),
    ],
    ids=[
        "magic",
        "form",
        "riff-size",
        "header-cut",
        "tail-cut",
        "no-info",
        "no-shdr",
        "no-smpl",
        "huge-chunk",
        "record-size",
    ],
)
def test_malformed_files_raise_render_errors(
    tmp_path: Path, font_bytes: bytes, mutate: object, message: str
) -> None:
    assert callable(mutate)
    with pytest.raises(RenderError, match=message):
        read_bytes(tmp_path, mutate(font_bytes))


def test_out_of_range_indices_are_named(tmp_path: Path) -> None:
    samples = [Sample(sine(441, 1000))]
    bad_instrument = build_sf2(samples, [[Zone(0)]], [Preset(0, 0, 7)])
    with pytest.raises(RenderError, match=r"instrument=7 must be in 0\.\.0"):
        read_bytes(tmp_path, bad_instrument).regions(0, 0)
    bad_sample = build_sf2(samples, [[Zone(3)]], [Preset(0, 0, 0)])
    with pytest.raises(RenderError, match=r"sampleID=3 must be in 0\.\.0"):
        read_bytes(tmp_path, bad_sample).regions(0, 0)


def test_sample_beyond_the_data_is_an_error(tmp_path: Path) -> None:
    data = build_sf2([Sample(sine(441, 1000))], [[Zone(0)]], [Preset(0, 0, 0)])
    at = data.index(b"sample\0")
    # The header's end frame (after the 20-byte name and the start) points far away.
    patched = data[: at + 24] + struct.pack("<I", 10**8) + data[at + 28 :]
    with pytest.raises(RenderError, match=r"sample 0 .* spans 0\.\.100000000"):
        read_bytes(tmp_path, patched)


def test_falling_bag_indices_are_an_error(tmp_path: Path) -> None:
    data = build_sf2(
        [Sample(sine(441, 1000))], [[Zone(0), Zone(0)]], [Preset(0, 0, 0), Preset(0, 1, 0)]
    )
    at = data.index(b"ibag") + 8
    # The second instrument bag points at generator 0 again, after the first pointed at 0..1.
    patched = data[: at + 4] + struct.pack("<H", 0) + data[at + 6 :]
    patched = patched[:at] + struct.pack("<H", 3) + patched[at + 2 :]
    with pytest.raises(RenderError, match="generator indices must rise"):
        read_bytes(tmp_path, patched)


def test_a_preset_asking_for_too_many_regions_is_refused(tmp_path: Path) -> None:
    # One instrument of 200 zones, played by a preset of 30 zones: 6000 regions.
    zones = [Zone(0) for _ in range(200)]
    data = build_sf2([Sample(sine(441, 100))], [zones], [Preset(0, 0, 0)])
    font = read_bytes(tmp_path, data)
    assert len(font.regions(0, 0)) == 200
    # Rebuild the preset's bags: 30 zones that each play instrument 0.
    pbag = b"".join(struct.pack("<HH", i, 0) for i in range(31))
    pgen = struct.pack("<Hh", 41, 0) * 30 + b"\0\0\0\0"
    rebuilt = replace_chunk(replace_chunk(data, b"pbag", pbag), b"pgen", pgen)
    rebuilt = replace_chunk(
        rebuilt,
        b"phdr",
        rebuilt[rebuilt.index(b"phdr") + 8 :][:38]
        + struct.pack("<20sHHHIII", b"EOP", 0, 0, 30, 0, 0, 0),
    )
    with pytest.raises(RenderError, match="more than 4096 regions"):
        read_bytes(tmp_path, rebuilt).regions(0, 0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_fonts_fail_only_with_render_errors(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    original = two_zone_font()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(12, len(damaged)))
    path = tmp_path_factory.mktemp("fuzz") / "font.sf2"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        font = SoundFont(read_sf2(path))
        for bank, program in ((0, 0), (128, 0)):
            if font.has_preset(bank, program):
                # Whatever the generators say, the synthesizer plays them without error.
                setup = ChannelSetup(9, program, bank == 128, 100, 64, "t")
                keys = data.draw(st.lists(st.integers(0, 127), min_size=1, max_size=4))
                rows = [(i * 100, NOTE_ON, 9, k, 100) for i, k in enumerate(keys)]
                events = np.array(rows + [(2000, NOTE_OFF, 9, k, 0) for k in keys])
                out = np.zeros((4000, 2), np.float32)
                render_pass(font, RenderPass((setup,), events), out, sample_rate=8000)
                assert np.all(np.isfinite(out))
                for region in font.regions(bank, program):
                    assert GUARD_FRAMES <= region.start < region.end
                    assert region.end <= GUARD_FRAMES + font.data.frames
                    assert region.start <= region.loop_start <= region.loop_end <= region.end
    except RenderError:
        pass


def test_a_lazy_read_converts_only_what_is_asked_and_the_same_as_a_full_one() -> None:
    path = bundled_soundfont()
    full = read_sf2(path)
    lazy = read_sf2(path, lazy=True)
    assert lazy.frames == full.frames
    middle = GUARD_FRAMES + full.frames // 2
    assert not np.any(lazy.samples[middle : middle + 1000])  # nothing converted yet
    lazy.ensure(middle, middle + 1000)
    np.testing.assert_array_equal(
        lazy.samples[middle : middle + 1000], full.samples[middle : middle + 1000]
    )
    lazy.ensure(0, len(lazy.samples))
    np.testing.assert_array_equal(lazy.samples, full.samples)


def test_a_lazy_read_of_a_truncated_file_is_refused(tmp_path: Path) -> None:
    data = build_sf2(
        [Sample(np.array([1000, -1000, 0, 0] * 50, np.int16))], [[Zone(0)]], [Preset(0, 0, 0)]
    )
    smpl_at = data.index(b"smpl")
    path = tmp_path / "cut.sf2"
    path.write_bytes(data[: smpl_at + 20])
    with pytest.raises(RenderError, match=r"does not fit|truncated"):
        read_sf2(path, lazy=True)
