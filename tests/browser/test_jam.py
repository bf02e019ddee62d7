"""Two players jam in two browser contexts: shared clock, notes relayed on it, a take recorded.

Web MIDI does not start headless, so notes go in through the page's instrument input path
(``window.bandmateJam.input``, what the on-screen keys call) as well as through the real
on-screen keyboard and the computer keyboard. Nothing asserts on elapsed time: the notes'
clock stamps and play times are compared with each other, not with a stopwatch.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from .harness import NewContext, create_project, invite, open_studio, sign_up


def open_jam(context: BrowserContext, project_id: str) -> Page:
    """Open the jam page and wait until its clock is synchronized."""
    page = context.new_page()
    page.goto(f"/p/{project_id}/jam")
    page.wait_for_selector(".jam-status[data-state='synced']")
    return page


def heard(page: Page, pitch: int) -> list[dict[str, Any]]:
    """The note-on events of ``pitch`` the page received, as it scheduled them."""
    events: list[dict[str, Any]] = page.evaluate(
        "p => window.bandmateJam.heard.filter(e => e.k === 'on' && e.p === p)", pitch
    )
    return events


def wait_heard(page: Page, pitch: int) -> dict[str, Any]:
    page.wait_for_function(
        "p => window.bandmateJam.heard.some(e => e.k === 'on' && e.p === p)", arg=pitch
    )
    return heard(page, pitch)[0]


def test_two_players_hear_each_other_on_the_shared_clock_and_record_a_take(
    new_context: NewContext,
) -> None:
    owner, guest = new_context(), new_context()
    ana_name = sign_up(owner, "ana")
    sign_up(guest, "ben")
    project_id = create_project(owner, "Jam session")
    invite(owner, project_id, guest, "editor")
    ana = open_jam(owner, project_id)
    ben = open_jam(guest, project_id)
    expect(ana.locator(".jam-player")).to_have_count(2)
    expect(ben.locator(".jam-player")).to_have_count(2)

    # Each browser's estimate of the server clock matches the truth: server and browsers share
    # this machine's wall clock (``Date.now()``), from which a page's performance clock (what
    # the jam page counts in) may stray.
    for page in (ana, ben):
        estimate, truth = page.evaluate(
            "() => { const c = window.bandmateJam.connection; "
            "return [c.clock.estimate.offsetMs, Date.now() - c.localNow()] }"
        )
        # A sanity check of the browser side only, loose enough for a busy CI machine whose
        # round trips stretch; the 2 ms accuracy itself is tests/jam/test_clock_netns.py's.
        assert abs(estimate - truth) < 50.0, (estimate, truth)

    # Ana plays through the instrument input path; Ben gets the note stamped when she played it.
    played_at = ana.evaluate(
        "() => { const j = window.bandmateJam; const at = j.serverNow(); "
        "j.input.noteOn(60, 90); j.input.noteOff(60); return at }"
    )
    note = wait_heard(ben, 60)
    assert note["from"] == ana.evaluate("() => window.bandmateJam.connection.me")
    assert abs(note["at"] - played_at) < 5.0, (note, played_at)
    # Live mode: the room's play-out delay (the slowest pair's one-way path + 10 ms), which
    # moves with the players' round trips: small on one machine, however busy (a sanity
    # bound, not a timing assertion).
    assert 10.0 <= note["delayMs"] < 1000.0, note
    assert note["playAt"] == note["at"] + note["delayMs"]
    expect(ben.locator(".jam-heard .jam-note[data-pitch='60']")).to_have_count(1)

    # The on-screen keyboard and the computer keyboard go the same way.
    key = ana.locator(".jam-key[data-pitch='62']")
    key.dispatch_event("pointerdown", {"pointerId": 1})
    key.dispatch_event("pointerup", {"pointerId": 1})
    wait_heard(ben, 62)
    ana.locator("body").press("d")  # A W S E D: C D# ... E4 = 64
    wait_heard(ben, 64)

    # Long-distance mode: Ben hears Ana exactly one bar late (120 bpm 4/4: 2000 ms).
    ben.select_option(".jam-mode", "interval")
    ana.wait_for_function("() => window.bandmateJam.connection.state.mode === 'interval'")
    ben.wait_for_function("() => window.bandmateJam.connection.state.mode === 'interval'")
    ana.evaluate(
        "() => { window.bandmateJam.input.noteOn(65); window.bandmateJam.input.noteOff(65) }"
    )
    late = wait_heard(ben, 65)
    assert late["delayMs"] == 2000.0
    assert late["playAt"] == late["at"] + 2000.0
    ben.select_option(".jam-mode", "live")

    # A take: start with no count-in, record from bar 1, play, stop: it lands in the song.
    ana.select_option(".jam-count-in", "0")
    ana.click(".jam-start")
    ana.wait_for_function(
        "() => Number(document.querySelector('.jam-position').dataset.bar ?? -1) >= 0"
    )
    ana.click(".jam-record")
    expect(ben.locator(".jam-player .rec")).to_have_count(1)
    for pitch in (67, 71, 74):
        ana.evaluate(
            "p => { window.bandmateJam.input.noteOn(p, 100); window.bandmateJam.input.noteOff(p) }",
            pitch,
        )
        wait_heard(ben, pitch)
    ana.click(".jam-record")
    expect(ben.locator(".jam-take[data-ok='true']")).to_have_count(1)
    expect(ben.locator(".jam-take")).to_contain_text(f"{ana_name} – Acoustic Grand Piano")

    studio = open_studio(guest, project_id)  # Ben's studio: the take is in the shared song
    expect(studio.locator(".track-name")).to_have_text([f"{ana_name} – Acoustic Grand Piano"])
