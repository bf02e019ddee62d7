"""The section lane: one person marks, renames, moves and deletes sections, another sees it live.

Bars are found through the arrangement canvas, which says how many ticks it spans
(``data-extent``); the section lane above it spans the same width. The songs here are in
4/4 at 480 ticks per quarter note: bar ``n`` starts at tick ``(n - 1) * 1920``.
"""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from .harness import NewContext, create_project, invite, open_studio, sign_up

BAR = 1920


def _pair(new_context: NewContext, role: str) -> tuple[BrowserContext, BrowserContext, str]:
    owner = new_context()
    guest = new_context()
    sign_up(owner, "ana")
    sign_up(guest, "ben")
    project_id = create_project(owner, "Sections")
    invite(owner, project_id, guest, role)
    return owner, guest, project_id


def _lane_x(page: Page, tick: int) -> tuple[float, float]:
    """The point on the section lane at ``tick`` (a little past it, inside the bar)."""
    box = page.locator(".section-lane").bounding_box()
    assert box is not None
    extent = int(page.get_attribute("canvas.lanes", "data-extent") or "0")
    assert extent > 0
    return box["x"] + (tick + 120) / extent * box["width"], box["y"] + box["height"] / 2


def _band(page: Page, name: str) -> str:
    return f".section-band[data-name='{name}']"


def _sections(page: Page) -> list[tuple[str, str]]:
    bands = page.locator(".section-band")
    return [
        (
            bands.nth(i).get_attribute("data-tick") or "",
            bands.nth(i).get_attribute("data-name") or "",
        )
        for i in range(bands.count())
    ]


def _add_at(page: Page, tick: int, name: str) -> None:
    page.mouse.click(*_lane_x(page, tick))
    field = page.locator(".section-popover input")
    expect(field).to_be_focused()
    field.fill(name)
    field.press("Enter")
    expect(page.locator(".section-popover")).to_have_count(0)


def test_sections_are_marked_renamed_moved_and_deleted_live(new_context: NewContext) -> None:
    owner, guest, project_id = _pair(new_context, "editor")
    ana = open_studio(owner, project_id)
    ben = open_studio(guest, project_id)
    expect(ben.locator(".section-lane")).to_have_attribute("data-count", "0")

    # "+ Section" adds at the play head's bar (bar 1), with the usual names offered.
    ana.get_by_role("button", name="+ Section").click()
    expect(ana.locator(".section-popover .popover-label")).to_have_text("New section at bar 1")
    ana.locator(".section-popover").get_by_role("button", name="Intro").click()
    expect(ben.locator(_band(ben, "Intro"))).to_have_attribute("data-tick", "0")

    # A click on the lane adds at that bar; a bad name is refused and nothing is written.
    ana.mouse.click(*_lane_x(ana, 2 * BAR))
    expect(ana.locator(".section-popover .popover-label")).to_have_text("New section at bar 3")
    field = ana.locator(".section-popover input")
    expect(field).to_have_value("Verse")  # the name that usually follows an intro
    field.fill("   ")
    field.press("Enter")
    expect(ana.locator(".section-popover .hint")).to_have_class("hint error")
    field.fill("x" * 41)
    field.press("Enter")
    expect(ana.locator(".section-popover .hint")).to_contain_text("at most 40")
    field.fill("Verse")
    field.press("Enter")
    expect(ben.locator(".section-band")).to_have_count(2)
    assert _sections(ben) == [("0", "Intro"), (str(2 * BAR), "Verse")]

    # Double-click a marker to rename it.
    ana.locator(_band(ana, "Verse") + " .section-marker").dblclick()
    field = ana.locator(".section-popover input")
    expect(field).to_have_value("Verse")
    field.fill("Chorus")
    field.press("Enter")
    expect(ben.locator(_band(ben, "Chorus"))).to_have_attribute("data-tick", str(2 * BAR))

    # Drag a marker: it snaps to the bar it is dropped on (bar 5).
    marker = ana.locator(_band(ana, "Chorus") + " .section-marker").bounding_box()
    assert marker is not None
    ana.mouse.move(marker["x"] + 8, marker["y"] + marker["height"] / 2)
    ana.mouse.down()
    x, y = _lane_x(ana, 4 * BAR)
    ana.mouse.move(x, y, steps=8)
    ana.mouse.up()
    expect(ben.locator(_band(ben, "Chorus"))).to_have_attribute("data-tick", str(4 * BAR))
    expect(ana.locator(".section-popover")).to_have_count(0)  # a drag adds nothing

    # Select a marker, Delete removes it; Ctrl+Z (Ana's own undo) brings it back.
    ana.locator(_band(ana, "Intro") + " .section-marker").click()
    expect(ana.locator(_band(ana, "Intro"))).to_have_class("section-band selected")
    ana.keyboard.press("Delete")
    expect(ben.locator(".section-band")).to_have_count(1)
    ana.keyboard.press("Control+z")
    expect(ben.locator(".section-band")).to_have_count(2)
    assert _sections(ben) == [("0", "Intro"), (str(4 * BAR), "Chorus")]

    # Ben edits too: his rename reaches Ana.
    ben.locator(_band(ben, "Intro") + " .section-marker").dblclick()
    ben.locator(".section-popover").get_by_role("button", name="Verse").click()
    expect(ana.locator(".section-band").first).to_have_attribute("data-name", "Verse")
    expect(ana.locator(".link")).to_have_attribute("data-saved", "true")


def test_a_viewer_sees_sections_but_cannot_edit_them(new_context: NewContext) -> None:
    owner, guest, project_id = _pair(new_context, "viewer")
    ana = open_studio(owner, project_id)
    _add_at(ana, 0, "Intro")

    viewer = open_studio(guest, project_id)
    expect(viewer.locator(_band(viewer, "Intro"))).to_have_count(1)
    expect(viewer.locator(".section-lane")).to_have_class("section-lane read-only")
    expect(viewer.get_by_role("button", name="+ Section")).to_have_count(0)

    viewer.mouse.click(*_lane_x(viewer, 3 * BAR))  # no popover to add one
    viewer.locator(_band(viewer, "Intro") + " .section-marker").dblclick()  # nor to rename
    expect(viewer.locator(".popover")).to_have_count(0)
    viewer.locator(_band(viewer, "Intro") + " .section-marker").click()
    viewer.keyboard.press("Delete")  # and the keyboard cannot delete

    # The owner's next edit reaches the viewer; by then any edit of the viewer's would have
    # shown up too. Both still have exactly the owner's sections.
    _add_at(ana, 2 * BAR, "Verse")
    expect(viewer.locator(".section-band")).to_have_count(2)
    assert _sections(viewer) == [("0", "Intro"), (str(2 * BAR), "Verse")]
    assert _sections(ana) == _sections(viewer)


def test_escape_clears_a_section_selection(new_context: NewContext) -> None:
    owner = new_context()
    sign_up(owner, "ana")
    project_id = create_project(owner, "Sections")
    ana = open_studio(owner, project_id)
    _add_at(ana, 0, "Intro")
    marker = ana.locator(_band(ana, "Intro") + " .section-marker")
    marker.click()
    expect(marker).to_have_attribute("aria-pressed", "true")
    ana.locator("canvas.lanes").focus()
    ana.keyboard.press("Escape")
    expect(marker).to_have_attribute("aria-pressed", "false")
    ana.keyboard.press("Delete")  # nothing is selected any more: nothing is deleted
    expect(ana.locator(".section-band")).to_have_count(1)


def test_the_piano_roll_shows_the_sections_in_view(new_context: NewContext) -> None:
    owner = new_context()
    sign_up(owner, "cleo")
    page = open_studio(owner, create_project(owner, "Form"))
    editor = page.locator("div.editor")
    expect(editor).to_have_attribute("data-sections", "")
    page.get_by_role("button", name="+ Section").click()
    page.locator(".section-popover").get_by_role("button", name="Intro").click()
    _add_at(page, 2 * BAR, "Verse")
    # Both start within the piano roll's first bars: both are drawn, in song order, live.
    expect(editor).to_have_attribute("data-sections", "Intro|Verse")
    page.locator(_band(page, "Verse") + " .section-marker").dblclick()
    field = page.locator(".section-popover input")
    field.fill("Chorus")
    field.press("Enter")
    expect(editor).to_have_attribute("data-sections", "Intro|Chorus")
