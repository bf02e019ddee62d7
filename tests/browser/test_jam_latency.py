"""Latency compensation in the jam room: a manual offset kept in the browser, notes stamped
earlier by what the player hears late.

The note's clock stamp is compared with the sender's own clock reading and compensation,
never with a stopwatch.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .harness import NewContext, create_project, invite, sign_up
from .test_jam import open_jam, wait_heard


def test_a_manual_offset_is_kept_and_notes_land_earlier_by_the_compensation(
    new_context: NewContext,
) -> None:
    owner, guest = new_context(), new_context()
    sign_up(owner, "ana")
    sign_up(guest, "ben")
    project_id = create_project(owner, "Late")
    invite(owner, project_id, guest, "editor")
    ana = open_jam(owner, project_id)
    offset = ana.get_by_label("Latency offset in milliseconds")
    expect(offset).to_have_value("0")
    offset.fill("9999")  # out of range: kept at the limit
    offset.dispatch_event("change")
    expect(offset).to_have_value("500")
    offset.fill("40")
    offset.dispatch_event("change")
    ana.reload()
    ana.wait_for_selector(".jam-status[data-state='synced']")
    offset = ana.get_by_label("Latency offset in milliseconds")
    expect(offset).to_have_value("40")  # kept in this browser

    ben = open_jam(guest, project_id)
    expect(ana.locator(".jam-player")).to_have_count(2)
    played: dict[str, Any] = ana.evaluate(
        "() => { const j = window.bandmateJam; const now = j.serverNow(); j.input.noteOn(64, 90); "
        "const l = j.latency(); j.input.noteOff(64); "
        "return { now, notes: l.baseMs + l.outputMs + l.manualMs, manual: l.manualMs } }"
    )
    assert played["manual"] == 40
    assert played["notes"] >= 40  # the measured output path adds to it (0 if unreported)
    note = wait_heard(ben, 64)
    # Stamped when the key went down, less the compensation (the two clock readings differ
    # by the few instructions between them).
    assert abs(note["at"] - (played["now"] - played["notes"])) < 5.0, (note, played)
    expect(ana.locator(".jam-latency-info")).to_contain_text("notes land")
