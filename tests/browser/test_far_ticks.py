"""A note, chord or section far out (near tick 2**53, the schema's limit) does not hang the
studio: the arrangement still draws (one bar line per pixel at most) and stays responsive."""

from __future__ import annotations

from .harness import NewContext, api, create_project, open_studio, sign_up

FAR = 2**53 - 1 - 10 * 1920  # ten bars before the largest tick the song document allows


def test_a_note_and_a_chord_near_tick_2_to_the_53_leave_the_studio_usable(
    new_context: NewContext,
) -> None:
    owner = new_context()
    sign_up(owner, "far")
    project_id = create_project(owner, "Far out")
    alternative = {
        "kind": "melody",
        "tracks": [
            {
                "name": "Far",
                "program": 0,
                "notes": [
                    {"pitch": 60, "start": 0, "duration": 480, "velocity": 90},
                    {"pitch": 64, "start": FAR, "duration": 480, "velocity": 90},
                ],
            }
        ],
        "chords": [{"tick": FAR, "duration": 1920, "symbol": "C"}],
    }
    api(
        owner,
        "POST",
        f"/api/projects/{project_id}/suggestions/insert",
        {"ppq": 480, "alternative": alternative},
    )
    page = open_studio(owner, project_id)
    # The overview spans the far note and chord, and the page still runs script.
    page.wait_for_function(
        "far => Number(document.querySelector('canvas.lanes').dataset.extent) > far",
        arg=FAR,
        timeout=10_000,
    )
    assert page.evaluate("() => 1 + 1") == 2


def test_playing_near_tick_2_to_the_53_with_the_click_on_keeps_the_page_running(
    new_context: NewContext,
) -> None:
    # The metronome, the piano roll's grid and its ruler enumerate only the bars in view: from
    # tick 0 to a far playhead they were trillions.
    owner = new_context()
    sign_up(owner, "farplay")
    project_id = create_project(owner, "Far play")
    alternative = {
        "kind": "melody",
        "tracks": [
            {
                "name": "Far",
                "program": 0,
                "notes": [{"pitch": 64, "start": FAR, "duration": 480, "velocity": 90}],
            }
        ],
    }
    api(
        owner,
        "POST",
        f"/api/projects/{project_id}/suggestions/insert",
        {"ppq": 480, "alternative": alternative},
    )
    page = open_studio(owner, project_id)
    lanes = page.locator("canvas.lanes")
    page.wait_for_function(
        "far => Number(document.querySelector('canvas.lanes').dataset.extent) > far",
        arg=FAR,
        timeout=10_000,
    )
    box = lanes.bounding_box()
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
