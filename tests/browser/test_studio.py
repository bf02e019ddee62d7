"""One person in the studio: signing up, managing projects, editing notes by hand."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Dialog, Page, expect

from bandmate.formats.midi import read_midi, write_midi
from bandmate.music.demo import demo_song

from .harness import (
    PASSWORD,
    NewContext,
    add_instrument,
    api,
    create_project,
    draw_note,
    grid_point,
    note_count,
    open_studio,
    sign_up,
    wait_for_notes,
)


def test_sign_up_create_rename_and_delete_a_project(new_context: NewContext) -> None:
    page = new_context().new_page()
    page.goto("/")
    page.wait_for_url("**/signin?next=%2F")
    page.get_by_role("button", name="New here? Create an account").click()
    page.fill("#username", f"newcomer{id(page) % 100000}")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your songs")).to_be_visible()

    page.fill("#new-project", "Night Drive")
    page.get_by_role("button", name="New song").click()
    page.wait_for_url("**/p/*")
    page.wait_for_selector("main.studio[data-ready='true']")
    expect(page.locator(".song-title")).to_have_value("Night Drive")
    expect(page.locator(".link")).to_have_attribute("data-link", "online")

    page.locator("a.back").click()
    row = page.locator("li.project", has_text="Night Drive")
    expect(row).to_be_visible()

    def answer(dialog: Dialog) -> None:
        dialog.accept("Night Drive (mix 2)" if dialog.type == "prompt" else "")

    page.on("dialog", answer)
    row.get_by_role("button", name="Rename").click()
    expect(page.locator(".project-name", has_text="Night Drive (mix 2)")).to_be_visible()
    page.locator("li.project", has_text="mix 2").get_by_role("button", name="Delete").click()
    expect(page.locator("li.project", has_text="mix 2")).to_have_count(0)


def test_wrong_password_is_refused_with_a_message(new_context: NewContext) -> None:
    context = new_context()
    username = sign_up(context, "forgetful")
    api(context, "POST", "/api/auth/signout")
    page = context.new_page()
    page.goto("/signin")
    page.fill("#username", username)
    page.fill("#password", "not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-error")).not_to_be_empty()
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your songs")).to_be_visible()


def _notes(page: Page) -> list[dict[str, int]]:
    items = page.locator(".note-list li[data-note-id]")
    fields = ("pitch", "start", "duration")
    return [
        {key: int(items.nth(i).get_attribute(f"data-{key}") or "0") for key in fields}
        for i in range(items.count())
    ]


def _wait_for_first(page: Page, field: str, value: int) -> None:
    """Wait until the first note's ``field`` is ``value``."""
    page.wait_for_function(
        f"document.querySelector('.note-list li')?.dataset.{field} === '{value}'"
    )


def test_piano_roll_draws_moves_resizes_deletes_and_undoes(new_context: NewContext) -> None:
    context = new_context()
    sign_up(context, "player")
    page = open_studio(context, create_project(context, "Etude"))
    add_instrument(page)

    draw_note(page, dx=100, dy=120)
    wait_for_notes(page, 1)
    [drawn] = _notes(page)
    assert drawn["duration"] == 480  # a beat: the default length at 480 ticks per quarter

    # Drag the note later and two rows up: it moves on the 1/16 grid.
    x, y = grid_point(page, dx=110, dy=120)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 28, steps=6)
    page.mouse.up()
    _wait_for_first(page, "pitch", drawn["pitch"] + 2)
    [moved] = _notes(page)
    assert moved["start"] > drawn["start"]
    assert moved["start"] % 120 == 0

    # Stretch it by its right edge (64 px a beat at the default zoom: +1 beat).
    right = grid_point(page, dx=moved["start"] * 64 / 480 + 64 - 2, dy=120 - 28)
    page.mouse.move(*right)
    page.mouse.down()
    page.mouse.move(right[0] + 64, right[1], steps=6)
    page.mouse.up()
    _wait_for_first(page, "duration", 960)

    # Undo goes back one gesture at a time; redo comes forward again.
    page.keyboard.press("Control+z")
    _wait_for_first(page, "duration", 480)
    page.keyboard.press("Control+z")
    _wait_for_first(page, "start", drawn["start"])
    assert _notes(page) == [drawn]
    page.keyboard.press("Control+Shift+z")
    _wait_for_first(page, "start", moved["start"])

    page.keyboard.press("ArrowUp")
    _wait_for_first(page, "pitch", moved["pitch"] + 1)
    page.keyboard.press("Delete")
    wait_for_notes(page, 0)
    page.keyboard.press("Control+z")
    wait_for_notes(page, 1)
    assert note_count(page) == 1


def test_drum_grid_toggles_hits(new_context: NewContext) -> None:
    context = new_context()
    sign_up(context, "drummer")
    page = open_studio(context, create_project(context, "Groove"))
    page.get_by_role("button", name="+ Drums").click()
    page.wait_for_function("document.querySelector('.editor').dataset.mode === 'drums'")
    draw_note(page, dx=40, dy=11)  # the top row: a crash
    wait_for_notes(page, 1)
    assert page.get_attribute(".note-list li", "data-pitch") == "49"
    draw_note(page, dx=40, dy=11)  # the same cell again removes the hit
    wait_for_notes(page, 0)


def test_play_sounds_the_song_and_the_position_moves(new_context: NewContext) -> None:
    context = new_context()
    sign_up(context, "listener")
    page = open_studio(context, create_project(context, "Loud"))
    add_instrument(page)
    for dx in (4, 70, 134, 198):  # one note a beat (64 px at the default zoom)
        draw_note(page, dx=dx, dy=120)
    wait_for_notes(page, 4)
    page.get_by_role("button", name="Loop").click()  # bars 1-4 loop: it keeps sounding
    page.get_by_role("button", name="Play").click()
    page.wait_for_selector("button.play.active", timeout=60_000)  # the SoundFont loaded
    # The master meter hears the synth: the notes reach the speakers.
    page.wait_for_function("Number(document.querySelector('.level').dataset.peak) > 0.01")
    page.wait_for_function("document.querySelector('.position').textContent !== '1.1.000'")
    page.keyboard.press("Space")
    page.wait_for_selector("button.play:not(.active)")


def test_import_a_midi_file_then_export_the_live_song(
    new_context: NewContext, tmp_path: Path
) -> None:
    context = new_context()
    sign_up(context, "arranger")
    page = open_studio(context, create_project(context, "Imported"))
    song = demo_song()
    source = tmp_path / "demo.mid"
    source.write_bytes(write_midi(song))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import").click()
    chooser.value.set_files(str(source))
    expect(page.locator(".track-header")).to_have_count(len(song.tracks))
    wait_for_notes(page, len(song.tracks[0].notes))
    expect(page.locator(".topbar select.key")).to_have_value(str(song.key))

    page.wait_for_selector(".link[data-saved='true']")  # the server has every note
    page.get_by_role("button", name="Export").click()
    page.locator("dialog.export-dialog").get_by_role("button", name="MIDI").click()
    row = page.locator("li.job[data-kind='export-midi']")
    # A server's first job starts its worker process: 3-7 s on these machines.
    expect(row).to_have_attribute("data-state", "succeeded", timeout=120_000)
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "Imported.mid"
    exported = read_midi(Path(download.value.path()).read_bytes())
    assert [t.name for t in exported.tracks] == [t.name for t in song.tracks]
    assert [len(t.notes) for t in exported.tracks] == [len(t.notes) for t in song.tracks]
    assert exported.tracks[0].notes == song.tracks[0].notes
