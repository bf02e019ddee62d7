"""The studio's top bar on a laptop's window: who is here and Invite never fall off it."""

from __future__ import annotations

from playwright.sync_api import Page

from .harness import NewContext, create_project, open_studio, sign_up


def _right_edge(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"]


def _overflow(page: Page) -> int:
    return int(
        page.evaluate(
            "() => { const c = document.querySelector('.topbar-controls');"
            " return c.scrollWidth - c.clientWidth }"
        )
    )


def test_the_top_bar_fits_a_laptop_window(new_context: NewContext) -> None:
    owner = new_context()
    sign_up(owner, "ana")
    page = open_studio(owner, create_project(owner, "A song with a rather long name"))
    for width in (1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        for selector in (".topbar .link", ".topbar .people", ".topbar .invite"):
            assert _right_edge(page, selector) <= width, (width, selector)
    page.set_viewport_size({"width": 1440, "height": 800})
    assert _overflow(page) <= 0  # every control in view
    # Narrower, the song's controls scroll sideways: the last one can still be reached.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert _overflow(page) > 0
    jam = page.locator(".topbar .jam")
    jam.scroll_into_view_if_needed()
    assert _right_edge(page, ".topbar .jam") <= _right_edge(page, ".topbar-controls") + 1
    assert _right_edge(page, ".topbar .invite") <= 1280
