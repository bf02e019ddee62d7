"""Fixtures for the browser tests (see :mod:`tests.browser.harness`).

Each worker builds the studio if needed, starts its own server with a fresh data folder
and one headless chromium; each test gets fresh browser contexts, one per person, with
their own cookies, storage and IndexedDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from .harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    NewContext,
    Server,
    build_studio,
    serving,
)


@pytest.fixture(scope="session")
def studio_build() -> Path:
    return build_studio()


@pytest.fixture(scope="session")
def server(studio_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("bandmate-data")) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[NewContext]:
    """Make browser contexts (one per person); all are closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
