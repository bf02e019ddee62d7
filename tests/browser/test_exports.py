"""Exports from the studio: a user renders the song, watches the progress, downloads a WAV."""

from __future__ import annotations

import struct
from pathlib import Path

from playwright.sync_api import Page, expect

from bandmate.formats.midi import write_midi
from bandmate.music.song import Instrument, Note, Song, Track

from .harness import NewContext, create_project, invite, open_studio, sign_up

SECONDS = 90
"""Long enough that the render takes a while on the server and its progress shows."""


def _long_song() -> Song:
    notes = tuple(Note((60, 64, 67, 72)[i % 4], i * 480, 460, 100) for i in range(SECONDS * 2))
    return Song(title="Long Take", tracks=(Track("Keys", Instrument(), notes),))


def _record_states(page: Page) -> None:
    # Every state and status line a job row shows, so the test can tell progress was seen.
    page.evaluate(
        """() => {
        window.__jobStates = []
        new MutationObserver(() => {
          for (const row of document.querySelectorAll('li.job')) {
            const status = row.querySelector('.job-status')?.textContent ?? ''
            window.__jobStates.push(row.dataset.state + '|' + status)
          }
        }).observe(document.body, {subtree: true, childList: true, characterData: true,
                                   attributes: true})
      }"""
    )


def test_render_shows_progress_then_downloads_a_wav(
    new_context: NewContext, tmp_path: Path
) -> None:
    context = new_context()
    sign_up(context, "producer")
    page = open_studio(context, create_project(context, "Long Take"))
    source = tmp_path / "long.mid"
    source.write_bytes(write_midi(_long_song()))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import").click()
    chooser.value.set_files(str(source))
    page.wait_for_selector(".note-list[data-count='180']", state="attached")
    page.wait_for_selector(".link[data-saved='true']")

    page.get_by_role("button", name="Export").click()
    dialog = page.locator("dialog.export-dialog")
    _record_states(page)
    dialog.get_by_label("Audio format").select_option("wav")
    dialog.get_by_role("button", name="Render audio").click()
    row = dialog.locator("li.job[data-kind='render']")
    expect(row).to_have_attribute("data-state", "succeeded", timeout=120_000)
    expect(row.locator("progress")).to_have_js_property("value", 1)
    seen: list[str] = page.evaluate("window.__jobStates")
    assert any(s.startswith("running|") and "%" in s for s in seen), seen[:20]

    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "Long Take.wav"
    data = Path(download.value.path()).read_bytes()
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    channels, rate = struct.unpack("<HI", data[22:28])
    bits = struct.unpack("<H", data[34:36])[0]
    assert (channels, rate, bits) == (2, 44100, 16)
    seconds = (len(data) - 44) / (channels * bits // 8) / rate
    assert SECONDS <= seconds <= SECONDS + 1.1  # the notes, then at most 1 s of release


def test_a_viewer_renders_but_cannot_master(new_context: NewContext) -> None:
    owner, viewer = new_context(), new_context()
    sign_up(owner, "owner")
    sign_up(viewer, "listener")
    project_id = create_project(owner, "Shared")
    invite(owner, project_id, viewer, "viewer")
    page = open_studio(viewer, project_id)
    page.get_by_role("button", name="Export").click()
    dialog = page.locator("dialog.export-dialog")
    expect(dialog.get_by_role("button", name="Master")).to_be_disabled()
    expect(dialog.get_by_role("button", name="Build release")).to_be_disabled()
    dialog.get_by_role("button", name="Render audio").click()
    row = dialog.locator("li.job[data-kind='render']")
    # An empty song has nothing to render: the error is shown as the server words it.
    expect(row).to_have_attribute("data-state", "failed", timeout=120_000)
    expect(row.locator(".job-status")).to_contain_text("nothing to render")
