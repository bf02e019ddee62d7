"""The Bandmate panel: ask for chords, see alternatives, insert one; everyone sees it; undo.

Against the real server, models and sync endpoint. Nothing asserts on time.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .harness import NewContext, create_project, invite, open_studio, sign_up

FIRST_ANSWER_MS = 120_000
"""The server loads the models on the first request that needs them (seconds, more on a
loaded machine)."""


def _open_panel(page: Page) -> None:
    page.get_by_role("button", name="Bandmate").click()
    expect(page.locator(".assist-panel")).to_be_visible()
    # The server's list of kinds (with the parts and their styles) replaces the chord kinds.
    expect(page.locator(".assist-panel")).to_have_attribute(
        "data-kinds", "server", timeout=FIRST_ANSWER_MS
    )


def test_ask_for_chords_insert_one_everyone_sees_it_undo_removes_it(
    new_context: NewContext,
) -> None:
    owner, guest = new_context(), new_context()
    sign_up(owner, "ana")
    sign_up(guest, "ben")
    project_id = create_project(owner, "With the bandmate")
    invite(owner, project_id, guest, "editor")

    ana = open_studio(owner, project_id)
    ana.locator("select.key").select_option("C major")  # chords need a key to be in
    expect(ana.locator(".link")).to_have_attribute("data-saved", "true")

    _open_panel(ana)
    ana.locator(".assist-kind").select_option("chords")
    ana.locator(".assist-count").select_option("3")
    ana.get_by_role("button", name="Ask", exact=True).click()
    alternatives = ana.locator(".assist-alternative")
    expect(alternatives).to_have_count(3, timeout=FIRST_ANSWER_MS)
    expect(ana.locator(".assist-status")).to_contain_text("in C major")
    labels = [alternatives.nth(i).locator(".assist-label").inner_text() for i in range(3)]
    assert len(set(labels)) == 3  # three different chords, "G (V)" and the like
    assert all("(" in label for label in labels)  # each with its roman numeral
    expect(ana.locator(".assist-inserted li")).to_have_count(0)

    alternatives.nth(0).get_by_role("button", name="Insert").click()
    symbol = labels[0].split(" (")[0]
    inserted = ana.locator(".assist-inserted li[data-kind='chord']")
    expect(inserted).to_have_count(1)
    assert inserted.get_attribute("data-symbol") == symbol
    expect(inserted).to_contain_text("bar 1")
    expect(ana.locator(".link")).to_have_attribute("data-saved", "true")

    # Ben, in another browser, sees the bandmate's chord in the song.
    ben = open_studio(guest, project_id)
    _open_panel(ben)
    seen = ben.locator(".assist-inserted li[data-kind='chord']")
    expect(seen).to_have_count(1)
    assert seen.get_attribute("data-symbol") == symbol

    # Ana's undo takes it out again, for both.
    ana.locator(".assist-undo").click()
    expect(ana.locator(".assist-inserted li")).to_have_count(0)
    expect(seen).to_have_count(0)

    # Ask again; insert another; Ctrl+Z (Ana's own undo) takes it out for both.
    ana.get_by_role("button", name="Ask again").click()
    expect(alternatives).to_have_count(3)
    alternatives.nth(1).get_by_role("button", name="Insert").click()
    expect(seen).to_have_count(1)
    ana.locator("canvas.editor-canvas").focus()
    ana.keyboard.press("Control+z")
    expect(seen).to_have_count(0)
    expect(ana.locator(".assist-inserted li")).to_have_count(0)

    # Anyone who may edit can take out what the bandmate put in: Ben removes Ana's insert.
    alternatives.nth(2).get_by_role("button", name="Insert").click()
    expect(seen).to_have_count(1)
    seen.get_by_role("button", name="Remove").click()
    expect(ana.locator(".assist-inserted li")).to_have_count(0)


def test_listening_plays_the_suggestion_over_the_song_without_adding_it(
    new_context: NewContext,
) -> None:
    owner = new_context()
    sign_up(owner, "cleo")
    project_id = create_project(owner, "Silent so far")
    page = open_studio(owner, project_id)  # an empty song: whatever sounds is the suggestion
    _open_panel(page)
    page.locator(".assist-kind").select_option("drums")
    page.locator(".assist-count").select_option("2")
    page.get_by_role("button", name="Ask", exact=True).click()
    alternatives = page.locator(".assist-alternative")
    expect(alternatives).to_have_count(2, timeout=FIRST_ANSWER_MS)
    listen = alternatives.nth(0).locator(".assist-listen")
    listen.click()
    expect(listen).to_have_attribute("aria-pressed", "true")
    page.wait_for_selector("button.play.active", timeout=60_000)  # the SoundFont loaded
    page.wait_for_function("Number(document.querySelector('.level').dataset.peak) > 0.01")
    expect(page.locator(".track-header")).to_have_count(0)  # not in the song
    listen.click()  # "Stop"
    expect(listen).to_have_attribute("aria-pressed", "false")
    page.wait_for_selector("button.play:not(.active)")
