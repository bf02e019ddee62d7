"""The Listen panel: analyze the song (a real job), find loops that fit, audition one, add
it (button, and drag to the bar it is dropped on) as a normal undoable edit, a library loop
as notes and an upload as an audio clip; plays and uses reach the taste model.

Against the real server, job workers and sync endpoint. Nothing asserts on time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import soundfile
from playwright.sync_api import Page, Position, expect

from bandmate.formats.midi import write_midi
from bandmate.music.key import parse_key
from bandmate.music.song import Instrument, Note, Song, TempoChange, Track

from .harness import NewContext, api, create_project, open_studio, sign_up

JOB_MS = 120_000
"""A job worker starts on the first job (seconds, more on a loaded machine)."""


def _song() -> Song:
    """Eight bars in D major at 100 bpm: D, G, A, D arpeggios over a bass line."""
    notes: list[Note] = []
    for bar, (root, third, fifth) in enumerate([(62, 66, 69), (67, 71, 74), (69, 73, 76)] * 2):
        for beat, pitch in enumerate((root, third, fifth, third)):
            notes.append(Note(pitch, bar * 1920 + beat * 480, 440, 90))
    bass = tuple(Note(n.pitch - 24, n.start, 1800, 90) for n in notes[::4])
    return Song(
        title="Morning",
        tempos=(TempoChange(0, 100.0),),
        key=parse_key("D major"),
        tracks=(Track("Keys", Instrument(0), tuple(notes)), Track("Bass", Instrument(33), bass)),
    )


def _import(page: Page, tmp_path: Path) -> None:
    source = tmp_path / "morning.mid"
    source.write_bytes(write_midi(_song()))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import").click()
    chooser.value.set_files(str(source))
    expect(page.locator(".track-header")).to_have_count(2)
    page.wait_for_selector(".link[data-saved='true']")  # the server has every note


def test_analyze_find_audition_add_undo_and_drag_a_loop(
    new_context: NewContext, tmp_path: Path
) -> None:
    context = new_context()
    sign_up(context, "lena")
    project_id = create_project(context, "Morning")
    page = open_studio(context, project_id)
    _import(page, tmp_path)

    page.get_by_role("button", name="Listen", exact=True).click()
    panel = page.locator(".listen-panel")
    expect(panel).to_be_visible()

    # Analyze the song: a background job, its progress, then what it heard.
    panel.get_by_role("button", name="Analyze the song").click()
    expect(panel).to_have_attribute("data-analysis", "succeeded", timeout=JOB_MS)
    expect(panel.locator(".listen-key")).to_have_text("D major")
    expect(panel.locator(".listen-tempo")).to_have_text("100 bpm")
    expect(panel.locator(".listen-chords")).to_contain_text("D G A")
    expect(panel.locator(".listen-mood")).to_contain_text("valence")

    # Bass loops that fit, offered in the song's key (or its relative) and tempo.
    panel.locator(".listen-role").select_option("bass")
    panel.get_by_role("button", name="Find loops").click()
    rows = panel.locator(".listen-fit")
    expect(rows).to_have_count(12)
    expect(panel.locator(".listen-fit-status")).to_contain_text("D major")
    first = rows.nth(0)
    detail = first.locator(".listen-detail").inner_text()
    assert "D major" in detail or "B minor" in detail, detail

    # Audition: the server renders the loop in the song's key and tempo; it loads and plays.
    listen = first.locator(".listen-audition")
    listen.click()
    expect(listen).to_have_attribute("aria-pressed", "true")
    loop_id = first.get_attribute("data-id")
    expect(panel).to_have_attribute("data-auditioning", loop_id or "")
    page.wait_for_function(
        "document.querySelector('.listen-audio').readyState >= 1"
        " && document.querySelector('.listen-audio').duration > 1",
        timeout=JOB_MS,
    )
    listen.click()
    expect(listen).to_have_attribute("aria-pressed", "false")

    # Add: a new track of notes, one undo step; the panel's Undo takes it out again.
    first.locator(".listen-add").click()
    expect(page.locator(".track-header")).to_have_count(3)
    expect(panel.locator(".listen-fit-status")).to_contain_text("Added")
    page.wait_for_selector(".link[data-saved='true']")
    panel.locator(".listen-undo").click()
    expect(page.locator(".track-header")).to_have_count(2)

    # Add again, then Ctrl+Z (the person's own undo) takes it out.
    first.locator(".listen-add").click()
    expect(page.locator(".track-header")).to_have_count(3)
    page.locator("canvas.editor-canvas").focus()
    page.keyboard.press("Control+z")
    expect(page.locator(".track-header")).to_have_count(2)

    # Drag another loop onto the arrangement: added the same way, at the bar it was dropped on
    # (the playhead stays at bar 1).
    rows.nth(1).drag_to(page.locator("canvas.lanes"), target_position=_at_bar(page, 4))
    expect(page.locator(".track-header")).to_have_count(3)
    expect(panel.locator(".listen-fit-status")).to_contain_text("at bar 4.")
    page.wait_for_selector(".link[data-saved='true']")

    # The play and the uses were recorded: the taste model now knows this person.
    picks = api(context, "GET", "/api/loops/recommended?n=5")
    assert isinstance(picks, dict)
    assert picks["method"] in {"content", "als"}
    assert len(picks["loops"]) == 5


def test_a_viewer_analyzes_and_listens_but_cannot_add(
    new_context: NewContext, tmp_path: Path
) -> None:
    owner, guest = new_context(), new_context()
    sign_up(owner, "olga")
    sign_up(guest, "vic")
    project_id = create_project(owner, "Shared")
    _import(open_studio(owner, project_id), tmp_path)
    created = api(owner, "POST", f"/api/projects/{project_id}/invitations", {"role": "viewer"})
    assert isinstance(created, dict)
    api(guest, "POST", "/api/invitations/accept", {"token": created["token"]})

    page = open_studio(guest, project_id)
    page.get_by_role("button", name="Listen", exact=True).click()
    panel = page.locator(".listen-panel")
    expect(panel.locator(".listen-note")).to_contain_text("Viewers")
    panel.get_by_role("button", name="Find loops").click()
    expect(panel.locator(".listen-fit")).to_have_count(12)
    expect(panel.locator(".listen-add").first).to_be_disabled()
    expect(panel.locator(".listen-file")).to_have_count(0)


def test_upload_a_long_loop_in_parts_then_find_and_play_it_transformed(
    new_context: NewContext, tmp_path: Path
) -> None:
    context = new_context()
    sign_up(context, "uma")
    project_id = create_project(context, "Uploads")
    page = open_studio(context, project_id)
    _import(page, tmp_path)
    # 30 s of an A-minor pulse at 120 bpm: 1.3 MB, over the server's 1 MiB body cap.
    rate = 22050
    t = np.arange(30 * rate) / rate
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63))
    audio = (0.25 * np.exp(-((t * 2.0) % 1.0) * 8.0) * tone).astype(np.float32)
    source = tmp_path / "stabs.wav"
    soundfile.write(source, audio, rate, "PCM_16")
    assert source.stat().st_size > 1 << 20

    page.get_by_role("button", name="Listen", exact=True).click()
    panel = page.locator(".listen-panel")
    panel.locator(".listen-file").set_input_files(str(source))
    expect(panel).to_have_attribute("data-upload", "ready", timeout=JOB_MS)
    expect(panel.locator(".listen-upload-status")).to_contain_text("ready")

    panel.locator(".listen-role").select_option("uploads")
    panel.get_by_role("button", name="Find loops").click()
    row = panel.locator(".listen-fit[data-source='upload']")
    expect(row).to_have_count(1)
    expect(row.locator(".listen-title")).to_have_text("stabs.wav")
    row.locator(".listen-audition").click()
    # Offered in the song's key and tempo: pitch-shifted and stretched by the server.
    page.wait_for_function(
        "document.querySelector('.listen-audio').readyState >= 1"
        " && document.querySelector('.listen-audio').duration > 1",
        timeout=JOB_MS,
    )
    src = page.evaluate("document.querySelector('.listen-audio').src")
    assert "semitones=" in src
    assert "rate=" in src

    row.locator(".listen-audition").click()  # stop

    # Add it: a new audio track with one clip at the playhead's bar, in the song's key and
    # tempo; the studio fetches and decodes its recording (a stem of the project now).
    lanes = page.locator("canvas.lanes")
    row.locator(".listen-add").click()
    expect(panel.locator(".listen-fit-status")).to_contain_text("Added stabs.wav in ")
    expect(panel.locator(".listen-fit-status")).to_contain_text("at bar 1.")
    expect(page.locator(".track-header")).to_have_count(3)
    expect(lanes).to_have_attribute("data-clips", "1")
    page.wait_for_selector("canvas.lanes[data-waveforms='1']", timeout=JOB_MS)
    page.wait_for_selector(".link[data-saved='true']")
    # One undo step of the person's own.
    page.locator("canvas.editor-canvas").focus()
    page.keyboard.press("Control+z")
    expect(page.locator(".track-header")).to_have_count(2)
    expect(lanes).to_have_attribute("data-clips", "0")

    # As uploaded, dragged onto bar 3 of the arrangement: the WAV itself is the clip.
    panel.locator(".listen-fitted").uncheck()
    row.drag_to(lanes, target_position=_at_bar(page, 3))
    expect(panel.locator(".listen-fit-status")).to_have_text("Added stabs.wav at bar 3. Undo")
    expect(lanes).to_have_attribute("data-clips", "1")
    page.wait_for_selector(".link[data-saved='true']")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    stem = context.request.get(f"/api/projects/{project_id}/jam/stems/{digest}")
    assert stem.status == 200
    assert stem.body() == source.read_bytes()


def _at_bar(page: Page, bar: int) -> Position:
    """A point on the arrangement's lanes half way into ``bar`` (4/4, 480 ticks a quarter)."""
    box = page.locator("canvas.lanes").bounding_box()
    assert box is not None
    extent = float(page.get_attribute("canvas.lanes", "data-extent") or "0")
    assert extent > bar * 1920
    return Position(x=box["width"] * ((bar - 1) * 1920 + 960) / extent, y=40.0)
