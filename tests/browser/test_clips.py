"""Audio clips in the studio: a stem uploaded through the jam API shows in the arrangement
with its waveform and plays in time with the song.

Nothing asserts on elapsed time: the transport's own audio-clock times are compared with
each other (the clip starts exactly one second, two quarters at 120 bpm, after tick 0).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, expect

from tests.jam.stems import opus_file

from .harness import NewContext, create_project, open_studio, sign_up


def upload_stem(
    context: BrowserContext, project_id: str, data: bytes, quarter: float, seconds: float = 1.0
) -> str:
    """Upload ``data`` as one part of an audio take and finish it; the stem's blob."""
    token = context.request.get("/api/auth/csrf").json()["csrf_token"]
    headers = {"X-CSRF-Token": token}
    base = f"/api/projects/{project_id}/jam/stems/take-clips-0001"
    put = context.request.put(f"{base}/parts/0", data=data, headers=headers)
    assert put.status == 204, put.text()
    body = {"parts": 1, "start_quarter": quarter, "duration_ms": seconds * 1000, "label": "voice"}
    finished = context.request.post(base, data=body, headers=headers)
    assert finished.status == 201, finished.text()
    blob: str = finished.json()["blob"]
    return blob


def test_an_uploaded_stem_shows_as_a_clip_and_plays_at_its_place(
    new_context: NewContext,
) -> None:
    context = new_context()
    name = sign_up(context, "drummer")
    project_id = create_project(context, "Clips")
    # What Chrome's MediaRecorder makes: Opus in WebM; recorded from quarter 2 (1.0 s).
    upload_stem(context, project_id, opus_file(1.0), 2.0)
    page = open_studio(context, project_id)

    header = page.locator(".track-header", has_text=f"{name} – voice audio")
    expect(header).to_have_count(1)
    expect(header.locator(".audio-kind")).to_have_text("Audio")
    # The recording was fetched and decoded: the clip is drawn with its waveform.
    page.wait_for_selector("canvas.lanes[data-clips='1'][data-waveforms='1']", timeout=30_000)

    page.get_by_role("button", name="Play").click()
    page.wait_for_selector("button.play.active", timeout=60_000)  # the SoundFont loaded
    page.wait_for_function("window.bandmateStudio?.transport.clipPlayer.started.length > 0")
    started: dict[str, Any] = page.evaluate(
        "() => { const t = window.bandmateStudio.transport; "
        "return { ...t.clipPlayer.started[0], origin: t.segment.time, tick: t.segment.tick } }"
    )
    assert started["tick"] == 0  # played from the start of the song
    assert abs(started["when"] - (started["origin"] + 1.0)) < 1e-6, started
    assert started["offsetS"] == 0
    assert started["stopAt"] is None
    assert abs(started["bufferSeconds"] - 1.0) < 0.05, started
    # The song has no notes: what the master meter hears is the clip.
    page.wait_for_function(
        "Number(document.querySelector('.level').dataset.peak) > 0.05", timeout=30_000
    )
    page.keyboard.press("Space")
    page.wait_for_selector("button.play:not(.active)")


def test_playing_from_inside_a_clip_starts_it_part_way_in(new_context: NewContext) -> None:
    context = new_context()
    sign_up(context, "singer")
    project_id = create_project(context, "Count-in")
    # Recording began two quarters before bar 0 (1.0 s at 120 bpm): the clip starts at tick 0
    # with that second skipped, and sounds for the four seconds left (two bars).
    upload_stem(context, project_id, opus_file(5.0), -2.0, seconds=5.0)
    page = open_studio(context, project_id)
    page.wait_for_selector("canvas.lanes[data-clips='1'][data-waveforms='1']", timeout=30_000)
    # Put the play head on bar 2 (2.0 s in): a click on the ruler snaps to the bar.
    box = page.locator("canvas.lanes").bounding_box()
    assert box is not None
    extent = float(page.get_attribute("canvas.lanes", "data-extent") or "0")
    assert extent > 2000
    page.mouse.click(box["x"] + box["width"] * 2000 / extent, box["y"] + 10)
    page.get_by_role("button", name="Play").click()
    page.wait_for_selector("button.play.active", timeout=60_000)
    page.wait_for_function("window.bandmateStudio?.transport.clipPlayer.started.length > 0")
    started: dict[str, Any] = page.evaluate(
        "() => { const t = window.bandmateStudio.transport; "
        "return { ...t.clipPlayer.started[0], origin: t.segment.time, tick: t.segment.tick } }"
    )
    assert started["tick"] == 1920, started  # bar 2
    assert abs(started["when"] - started["origin"]) < 1e-6, started  # at once
    # One second skipped (the count-in) plus two seconds into the clip.
    assert abs(started["offsetS"] - 3.0) < 1e-6, started
    page.keyboard.press("Space")
    page.wait_for_selector("button.play:not(.active)")


def test_an_audio_track_opens_a_note_not_a_piano_roll(new_context: NewContext) -> None:
    context = new_context()
    name = sign_up(context, "singer")
    project_id = create_project(context, "Take")
    upload_stem(context, project_id, opus_file(1.0), 2.0)
    page = open_studio(context, project_id)
    page.locator(".track-header", has_text=f"{name} – voice audio").click()
    expect(page.locator(".editor")).to_have_attribute("data-mode", "audio")
    note = page.locator(".editor-audio")
    expect(note).to_be_visible()
    summary = f"Audio track: 1 clip, recorded by {name} (you)"
    expect(note.locator(".editor-audio-line")).to_have_text(summary)
    expect(note.locator("li")).to_have_text(f"Bar 1, 1.0 s · {name} (you)")
    expect(page.locator(".editor-title")).to_contain_text("Audio — ")
    for tool in ("button.tool >> nth=0", "button.tool >> nth=1", "select.grid"):
        expect(page.locator(tool)).to_be_disabled()
    box = page.locator(".editor").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 200, box["y"] + 150)  # would draw a note on a piano roll
    assert page.get_attribute(".note-list", "data-count") == "0"
    # Back on an instrument: piano roll and tools again.
    page.get_by_role("button", name="+ Instrument").click()
    expect(page.locator(".editor")).to_have_attribute("data-mode", "piano")
    expect(page.locator(".editor-audio")).to_be_hidden()
    expect(page.locator("button.tool >> nth=0")).to_be_enabled()
