"""What the browser tests stand on: a built studio, a real server, Debian's chromium.

The studio is built (``npm run build --prefix web``) when ``web/dist`` is missing or older
than its sources; a file lock keeps parallel workers from building at once. Each worker
starts its own ``bandmate serve`` on a free port with a fresh data folder, and one headless
chromium (``/usr/bin/chromium``, never a downloaded browser). Each test gets fresh browser
contexts: separate people with separate cookies, storage and IndexedDB.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from bandmate.render.soundfont import bundled_soundfont

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST_INDEX = WEB / "dist" / "index.html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--autoplay-policy=no-user-gesture-required",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
NewContext = Callable[[], BrowserContext]
"""Makes a browser context: one person, with their own cookies, storage and IndexedDB."""

TIMEOUT_MS = 20_000
"""Generous waits: these machines are small and shared; nothing asserts on time."""


def _newest_source() -> float:
    sources = [WEB / "index.html", WEB / "vite.config.ts", WEB / "package-lock.json"]
    sources += [p for p in (WEB / "src").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources)


def build_studio() -> Path:
    """Build web/dist unless it is newer than every source file; return its index.html.

    Installs web/node_modules first when missing. Parallel test workers take turns through
    a lock file in the temporary folder, so only one of them builds.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to build the studio (apt-get install nodejs npm)")
    tag = hashlib.sha256(str(WEB).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"bandmate-web-build-{tag}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (WEB / "node_modules" / ".bin" / "vite").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
        if not DIST_INDEX.exists() or DIST_INDEX.stat().st_mtime < _newest_source():
            built = subprocess.run([npm, "run", "build"], cwd=WEB, capture_output=True, text=True)
            if built.returncode != 0:
                raise RuntimeError(f"npm run build failed:\n{built.stdout}\n{built.stderr}")
    return DIST_INDEX


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    """A running ``bandmate serve``."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]


@contextmanager
def serving(data_dir: Path) -> Iterator[Server]:
    """Run ``bandmate serve`` on a free port with ``data_dir`` until the block ends."""
    port = _free_port()
    env = {
        **os.environ,
        "BANDMATE_DATA_DIR": str(data_dir),
        "BANDMATE_LOG_LEVEL": "WARNING",
        # The small GM SoundFont that ships in pretty-midi's wheel: the studio downloads
        # 6 MB instead of FluidR3's 148 MB, and the server renders with the same one.
        "BANDMATE_SOUNDFONT": str(bundled_soundfont()),
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bandmate.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "bandmate serve did not start:\n" + (data_dir / "server.log").read_text()
                )
            time.sleep(0.2)
        yield Server(url=url, data_dir=data_dir, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def api(context: BrowserContext, method: str, path: str, body: object | None = None) -> object:
    """Call the JSON API with the context's cookies (and its CSRF token)."""
    token = context.request.get("/api/auth/csrf").json()["csrf_token"]
    response = context.request.fetch(
        path, method=method, headers={"X-CSRF-Token": token}, data=body
    )
    if not response.ok:
        raise AssertionError(f"{method} {path} -> {response.status}: {response.text()}")
    return None if response.status == 204 else response.json()


_counter = iter(range(1, 1_000_000))


def sign_up(context: BrowserContext, prefix: str) -> str:
    """Create an account (signed in, in this context); return its username."""
    username = f"{prefix}{os.getpid()}x{next(_counter)}"
    api(context, "POST", "/api/auth/signup", {"username": username, "password": PASSWORD})
    return username


def create_project(context: BrowserContext, name: str) -> str:
    project = api(context, "POST", "/api/projects", {"name": name})
    assert isinstance(project, dict)
    project_id = project["id"]
    assert isinstance(project_id, str)
    return project_id


def invite(owner: BrowserContext, project_id: str, guest: BrowserContext, role: str) -> None:
    """Invite ``guest`` into the project with ``role`` and accept in the guest's context."""
    created = api(owner, "POST", f"/api/projects/{project_id}/invitations", {"role": role})
    assert isinstance(created, dict)
    api(guest, "POST", "/api/invitations/accept", {"token": created["token"]})


def open_studio(context: BrowserContext, project_id: str) -> Page:
    """Open the studio on a project and wait until the song is loaded."""
    page = context.new_page()
    page.goto(f"/p/{project_id}")
    page.wait_for_selector("main.studio[data-ready='true']")
    return page


def note_count(page: Page) -> int:
    """How many notes the open track has, as the editor's note list says."""
    return int(page.get_attribute(".note-list", "data-count") or "0")


def wait_for_notes(page: Page, count: int) -> None:
    """Wait until the open track shows ``count`` notes."""
    page.wait_for_selector(f".note-list[data-count='{count}']", state="attached")


def grid_point(page: Page, *, dx: float, dy: float) -> tuple[float, float]:
    """A point on the note grid, ``dx``/``dy`` pixels from its top-left corner."""
    box = page.locator("canvas.editor-canvas").bounding_box()
    assert box is not None
    keys = 150 if page.get_attribute(".editor", "data-mode") == "drums" else 72
    return box["x"] + keys + dx, box["y"] + 48 + dy


def draw_note(page: Page, *, dx: float = 100, dy: float = 120) -> None:
    """Click the grid with the draw tool: one new note."""
    x, y = grid_point(page, dx=dx, dy=dy)
    page.mouse.click(x, y)


def add_instrument(page: Page) -> None:
    """Add an instrument track and wait until the editor has it open."""
    before = page.locator(".track-header").count()
    page.get_by_role("button", name="+ Instrument").click()
    page.wait_for_function(
        f"document.querySelectorAll('.track-header').length > {before}"
        " && document.querySelector('.editor').dataset.mode === 'piano'"
    )
