"""The Bandmate panel's voices and grouping controls, against the real server and models.

Harmony voices under an imported melody become new tracks; in 7/8 the band parts take a
grouping, checked in the panel as the server checks it. Nothing asserts on time.
"""

from __future__ import annotations

from playwright.sync_api import FilePayload, Page, expect

from bandmate.formats.midi_write import write_midi
from bandmate.music.key import parse_key
from bandmate.music.song import Instrument, Note, Song, Track

from .harness import NewContext, create_project, open_studio, sign_up

FIRST_ANSWER_MS = 120_000
"""The server loads the models on the first request that needs them."""
PPQ = 480


def _melody_midi() -> bytes:
    """Four bars of a C major tune, one quarter note a beat."""
    pitches = [60, 64, 67, 72, 71, 67, 65, 64, 62, 65, 69, 67, 64, 62, 60, 60]
    notes = tuple(Note(p, i * PPQ, PPQ, 90) for i, p in enumerate(pitches))
    song = Song(
        title="Tune",
        ppq=PPQ,
        key=parse_key("C major"),
        tracks=(Track("Lead", Instrument(0), notes),),
    )
    return write_midi(song)


def _ask(page: Page) -> dict[str, object]:
    """Press Ask; the JSON body the panel sent."""
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/suggestions")
    ) as sent:
        page.get_by_role("button", name="Ask", exact=True).click()
    body = sent.value.post_data_json
    assert isinstance(body, dict)
    return body


def test_voices_under_the_melody_and_a_grouping_in_seven_eight(new_context: NewContext) -> None:
    context = new_context()
    sign_up(context, "dora")
    project_id = create_project(context, "Voices")
    page = open_studio(context, project_id)
    tune: FilePayload = {"name": "tune.mid", "mimeType": "audio/midi", "buffer": _melody_midi()}
    page.locator("input[type=file][accept*='.mid']").set_input_files(files=[tune])
    expect(page.locator(".track-header")).to_have_count(1)
    page.locator("select.key").select_option("C major")
    expect(page.locator(".link")).to_have_attribute("data-saved", "true")

    page.get_by_role("button", name="Bandmate").click()
    panel = page.locator(".assist-panel")
    expect(panel).to_have_attribute("data-kinds", "server", timeout=FIRST_ANSWER_MS)
    page.locator(".assist-kind").select_option("voices")
    expect(page.locator(".assist-kind option[value='voices']")).to_have_text("Harmony voices")
    expect(page.locator(".assist-voices-row")).to_be_visible()
    expect(page.locator(".assist-over")).to_be_visible()  # under which melody
    expect(page.locator(".assist-grouping-row")).to_be_hidden()  # 4/4: nothing to group
    styles = page.locator(".assist-style option").all_inner_texts()
    assert styles == ["Any", "chorale", "palestrina"]
    page.locator(".assist-voices").select_option("3")
    page.locator(".assist-style").select_option("chorale")
    page.locator(".assist-count").select_option("2")
    body = _ask(page)
    assert body["kind"] == "voices"
    assert body["voices"] == 3
    assert "grouping" not in body
    alternatives = page.locator(".assist-alternative")
    expect(alternatives).to_have_count(2, timeout=FIRST_ANSWER_MS)
    expect(alternatives.nth(0).locator(".assist-detail")).to_contain_text("3 tracks")
    alternatives.nth(0).get_by_role("button", name="Insert").click()
    inserted = page.locator(".assist-inserted li[data-kind='track']")
    expect(inserted).to_have_count(3)
    names = sorted(inserted.nth(i).get_attribute("data-name") or "" for i in range(3))
    assert names == ["Bandmate alto", "Bandmate bass", "Bandmate tenor"]
    expect(page.locator(".track-header")).to_have_count(4)
    expect(page.locator(".link")).to_have_attribute("data-saved", "true")

    # Two voices: a voice and a bass.
    page.locator(".assist-voices").select_option("2")
    assert _ask(page)["voices"] == 2
    expect(alternatives.nth(0).locator(".assist-detail")).to_contain_text("2 tracks")

    # 7/8: the band parts offer the usual groupings; a wrong one is said before asking.
    page.locator("input.meter-num").fill("7")
    page.locator("select.meter-den").select_option("8")
    page.locator("input.meter-num").dispatch_event("change")
    page.locator(".assist-kind").select_option("drums")
    expect(page.locator(".assist-voices-row")).to_be_hidden()
    row = page.locator(".assist-grouping-row")
    expect(row).to_be_visible()
    grouping = page.locator(".assist-grouping")
    expect(grouping).to_have_attribute("placeholder", "usual: 2+2+3")
    offered = page.locator(".assist-grouping-row datalist option")
    expect(offered).to_have_count(3)
    assert [offered.nth(i).get_attribute("value") for i in range(3)] == [
        "2+2+3", "3+2+2", "2+3+2",
    ]  # fmt: skip
    refused = (("3+2", "fits no bar in 7/8"), ("4+3", "2 or 3 eighths"), ("3+x", "joined by"))
    for bad, says in refused:
        grouping.fill(bad)
        page.get_by_role("button", name="Ask", exact=True).click()
        expect(page.locator(".assist-status")).to_contain_text(says)
        expect(alternatives).to_have_count(0)
    grouping.fill("3+2+2")
    page.locator(".assist-count").select_option("1")
    body = _ask(page)
    assert body["grouping"] == "3+2+2"
    assert "voices" not in body
    expect(alternatives).to_have_count(1, timeout=FIRST_ANSWER_MS)
    expect(page.locator(".assist-status")).not_to_have_class("error")
    # The grouping is not sent for kinds that do not use it.
    page.locator(".assist-kind").select_option("melody")
    expect(row).to_be_hidden()
    assert "grouping" not in _ask(page)
