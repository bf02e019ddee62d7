"""Several people on one song: live edits both ways, presence, a viewer, offline work.

These run against the real sync endpoint (``/api/projects/{id}/sync``) with the stock
y-websocket provider in each browser context. Waits are generous and nothing asserts on
time: "within a second" is what people see, not what a loaded CI machine guarantees.
"""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from .harness import (
    NewContext,
    add_instrument,
    create_project,
    draw_note,
    invite,
    note_count,
    open_studio,
    sign_up,
    wait_for_notes,
)


def _pair(
    new_context: NewContext, role: str = "editor"
) -> tuple[BrowserContext, BrowserContext, str]:
    owner = new_context()
    guest = new_context()
    sign_up(owner, "ana")
    sign_up(guest, "ben")
    project_id = create_project(owner, "Together")
    invite(owner, project_id, guest, role)
    return owner, guest, project_id


def test_two_people_see_each_others_notes_and_each_other(new_context: NewContext) -> None:
    owner, guest, project_id = _pair(new_context)
    ana = open_studio(owner, project_id)
    ben = open_studio(guest, project_id)

    add_instrument(ana)
    ben.wait_for_selector(".track-header")  # the track reached Ben and opened in his editor
    ben.wait_for_function("document.querySelector('.editor').dataset.mode === 'piano'")

    draw_note(ana, dx=100, dy=120)
    wait_for_notes(ana, 1)
    wait_for_notes(ben, 1)
    assert ana.get_attribute(".note-list li", "data-pitch") == ben.get_attribute(
        ".note-list li", "data-pitch"
    )

    draw_note(ben, dx=300, dy=200)
    wait_for_notes(ben, 2)
    wait_for_notes(ana, 2)

    # Presence: each sees the other's avatar, in the other's colour.
    expect(ana.locator(".people .avatar:not(.me)")).to_have_count(1)
    expect(ben.locator(".people .avatar:not(.me)")).to_have_count(1)
    ana_colour = ana.locator(".people .avatar.me").get_attribute("style")
    assert ana_colour == ben.locator(".people .avatar:not(.me)").get_attribute("style")

    # Undo is per person: Ben's undo removes his note, not Ana's.
    ben.locator("canvas.editor-canvas").focus()
    ben.keyboard.press("Control+z")
    wait_for_notes(ana, 1)
    wait_for_notes(ben, 1)
    expect(ana.locator(".link")).to_have_attribute("data-saved", "true")


def test_a_viewer_sees_edits_but_cannot_edit(new_context: NewContext) -> None:
    owner, guest, project_id = _pair(new_context, role="viewer")
    ana = open_studio(owner, project_id)
    add_instrument(ana)
    draw_note(ana, dx=100, dy=120)
    wait_for_notes(ana, 1)

    viewer = open_studio(guest, project_id)
    wait_for_notes(viewer, 1)
    expect(viewer.locator(".banner")).to_contain_text("viewing")
    expect(viewer.get_by_role("button", name="+ Instrument")).to_have_count(0)
    expect(viewer.locator(".track-header select.instrument")).to_be_disabled()
    expect(viewer.locator(".link")).to_have_text("Live · view only")

    draw_note(viewer, dx=400, dy=160)  # the grid ignores the click: no note is drawn
    viewer.keyboard.press("Control+a")
    viewer.keyboard.press("Delete")  # and the keyboard cannot delete
    # The owner's next edit reaches the viewer; by then any edit of the viewer's would have
    # shown up too. The viewer still has exactly the owner's notes, and is still connected.
    draw_note(ana, dx=200, dy=60)
    wait_for_notes(ana, 2)
    wait_for_notes(viewer, 2)
    assert note_count(ana) == 2
    expect(viewer.locator(".link")).to_have_attribute("data-link", "online")


def _wait_for_service_worker(page: Page) -> None:
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(r => !!r.active && r.active.state === 'activated')"
    )


def test_an_offline_edit_survives_a_reload_and_merges_on_reconnect(new_context: NewContext) -> None:
    owner, guest, project_id = _pair(new_context)
    ana = open_studio(owner, project_id)
    ben = open_studio(guest, project_id)
    add_instrument(ana)
    draw_note(ana, dx=100, dy=120)
    wait_for_notes(ben, 1)
    _wait_for_service_worker(ana)

    owner.set_offline(True)
    expect(ana.locator(".link")).to_have_attribute("data-link", "offline")
    draw_note(ana, dx=400, dy=60)
    wait_for_notes(ana, 2)
    expect(ana.locator(".link")).to_contain_text("kept on this device")

    # Meanwhile Ben keeps working online.
    draw_note(ben, dx=250, dy=200)
    wait_for_notes(ben, 2)

    # A reload while offline: the shell comes from the service worker, the song (with the
    # offline note) from IndexedDB.
    ana.reload()
    ana.wait_for_selector("main.studio[data-ready='true']")
    wait_for_notes(ana, 2)
    expect(ana.locator(".link")).to_have_attribute("data-link", "offline")
    expect(ana.locator(".link")).to_contain_text("kept on this device")

    owner.set_offline(False)
    expect(ana.locator(".link")).to_have_attribute("data-link", "online")
    wait_for_notes(ana, 3)
    wait_for_notes(ben, 3)
    expect(ana.locator(".link")).to_have_attribute("data-saved", "true")
