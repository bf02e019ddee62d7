"""A note, chord or section far out (near tick 2**53, the schema's limit) does not hang the
studio: the arrangement still draws (one bar line per pixel at most) and stays responsive."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from .harness import NewContext, api, create_project, open_studio, sign_up

FAR = 2**53 - 1 - 10 * 1920  # ten bars before the largest tick the song document allows


def _note(start: int, pitch: int) -> dict[str, int]:
    return {"pitch": pitch, "start": start, "duration": 480, "velocity": 90}


def _far_studio(
    new_context: NewContext, name: str, notes: list[dict[str, int]], chords: list[dict[str, Any]]
) -> Page:
    """A studio open on a song with one track, "Far", holding ``notes`` (and ``chords``),
    once its overview spans them (the page still runs script)."""
    owner = new_context()
    sign_up(owner, name.lower().replace(" ", ""))
    project_id = create_project(owner, name)
    alternative = {
        "kind": "melody",
        "tracks": [{"name": "Far", "program": 0, "notes": notes}],
        "chords": chords,
    }
    api(
        owner,
        "POST",
        f"/api/projects/{project_id}/suggestions/insert",
        {"ppq": 480, "alternative": alternative},
    )
    page = open_studio(owner, project_id)
    page.wait_for_function(
        "far => Number(document.querySelector('canvas.lanes').dataset.extent) > far",
        arg=FAR,
        timeout=10_000,
    )
    return page


def test_a_note_and_a_chord_near_tick_2_to_the_53_leave_the_studio_usable(
    new_context: NewContext,
) -> None:
    chords = [{"tick": FAR, "duration": 1920, "symbol": "C"}]
    page = _far_studio(new_context, "Far out", [_note(0, 60), _note(FAR, 64)], chords)
    assert page.evaluate("() => 1 + 1") == 2


def test_playing_near_tick_2_to_the_53_with_the_click_on_keeps_the_page_running(
    new_context: NewContext,
) -> None:
    # The metronome, the piano roll's grid and its ruler enumerate only the bars in view: from
    # tick 0 to a far playhead they were trillions.
    page = _far_studio(new_context, "Far play", [_note(FAR, 64)], [])
    box = page.locator("canvas.lanes").bounding_box()
    assert box is not None
    # Near the right end of the Far track's lane: the playhead goes there, its editor opens.
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + 40)
    page.wait_for_function(
        "() => document.querySelector('output.position').textContent.length > 12"
    )
    page.get_by_role("button", name="Click").click()
    page.get_by_role("button", name="Play").click()
    page.wait_for_selector("button.play.active", timeout=60_000)  # the SoundFont loaded
    page.wait_for_timeout(500)
    assert page.evaluate("() => 1 + 1") == 2
    page.keyboard.press("Space")
    page.wait_for_selector("button.play:not(.active)")
