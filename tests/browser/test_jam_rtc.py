"""Two chromium pages exchange audio over WebRTC through the jam room's signalling.

Chromium offers no ICE candidate on a loopback address, so the test makes a network
namespace with a veth pair: the server listens on the host's end, chromium runs inside the
namespace (``ip netns exec``) and both pages gather host candidates on the namespace's end.
The microphone is chromium's fake device (a beep). Nothing asserts on elapsed time: the
test waits until ``getStats()`` shows audio packets and bytes arriving, then growing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from bandmate.render.soundfont import bundled_soundfont
from bandmate.server.security import SESSION_COOKIE
from tests.jam.jam_client import JamClient
from tests.jam.rtc_peer import RtcPeer

from .harness import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, create_project, invite, sign_up


@dataclass(frozen=True)
class Netns:
    name: str
    host_ip: str
    ns_ip: str


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def netns() -> Iterator[Netns]:
    """A network namespace joined to the host by a veth pair (both ends addressed)."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2's `ip` to make a network namespace")
    tag = f"{os.getpid() % 100000}"
    name, host_if, ns_if = f"bmrtc{tag}", f"bmrh{tag}", f"bmrn{tag}"
    subnet = 16 + (os.getpid() + 101) % 200
    host_ip, ns_ip = f"10.214.{subnet}.1", f"10.214.{subnet}.2"
    try:
        _ip("netns", "add", name)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"`ip netns add` is not available here: {exc.stderr.decode().strip()}")
    try:
        _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _ip("link", "set", ns_if, "netns", name)
        _ip("addr", "add", f"{host_ip}/30", "dev", host_if)
        _ip("link", "set", host_if, "up")
        _ip("netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        _ip("netns", "exec", name, "ip", "link", "set", ns_if, "up")
        _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield Netns(name, host_ip, ns_ip)
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def rtc_server(
    studio_build: Path, netns: Netns, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``bandmate serve`` on the host's end of the veth pair; yields its URL."""
    data_dir = tmp_path_factory.mktemp("bandmate-rtc")
    port = 20000 + os.getpid() % 20000
    env = {
        **os.environ,
        "BANDMATE_DATA_DIR": str(data_dir),
        "BANDMATE_LOG_LEVEL": "WARNING",
        "BANDMATE_SOUNDFONT": str(bundled_soundfont()),
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bandmate.cli.main",
            "serve",
            "--host",
            netns.host_ip,
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{netns.host_ip}:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"bandmate serve did not start:\n{(data_dir / 'server.log').read_text()}"
                )
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def ns_browser(
    playwright: Playwright, netns: Netns, rtc_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium inside the namespace, with a fake microphone that needs no permission prompt."""
    wrapper = tmp_path_factory.mktemp("chromium-netns") / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {netns.name} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    browser = playwright.chromium.launch(
        executable_path=str(wrapper),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            # getUserMedia needs a secure context; the server is plain http on the veth.
            f"--unsafely-treat-insecure-origin-as-secure={rtc_server}",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ],
    )
    yield browser
    browser.close()


INBOUND = """async () => {
  const out = {}
  for (const [id, peer] of window.bandmateJam.mesh.peers) {
    const report = await peer.pc.getStats()
    const inbound = [...report.values()].find(r => r.type === 'inbound-rtp' && r.kind === 'audio')
    const pair = [...report.values()].find(r => r.type === 'candidate-pair' && r.nominated
                                               && r.state === 'succeeded')
    const local = pair && report.get(pair.localCandidateId)
    const codec = inbound && report.get(inbound.codecId)
    out[id] = {
      packets: inbound ? inbound.packetsReceived : 0,
      bytes: inbound ? inbound.bytesReceived : 0,
      samples: inbound ? (inbound.totalSamplesReceived ?? 0) : 0,
      bufferMs: inbound && inbound.jitterBufferEmittedCount
        ? 1000 * inbound.jitterBufferDelay / inbound.jitterBufferEmittedCount : null,
      local: local ? local.address : null,
      codec: codec ? codec.mimeType : null,
      remoteSdp: peer.pc.remoteDescription ? peer.pc.remoteDescription.sdp : '',
    }
  }
  return out
}"""


ENERGY = """async () => {
  for (const peer of window.bandmateJam.mesh.peers.values()) {
    const report = await peer.pc.getStats()
    for (const r of report.values()) {
      if (r.type === 'inbound-rtp' && r.kind === 'audio' && r.totalAudioEnergy > 0) return true
    }
  }
  return false
}"""


def inbound(page: Page) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = page.evaluate(INBOUND)
    return stats


def open_jam(context: BrowserContext, project_id: str) -> Page:
    page = context.new_page()
    page.goto(f"/p/{project_id}/jam")
    page.wait_for_selector(".jam-status[data-state='synced']")
    return page


def test_two_browsers_exchange_audio_through_the_jam_signalling(
    ns_browser: Browser, rtc_server: str, netns: Netns
) -> None:
    contexts = []
    for _ in range(2):
        context = ns_browser.new_context(base_url=rtc_server)
        context.set_default_timeout(TIMEOUT_MS * 2)
        contexts.append(context)
    owner, guest = contexts
    try:
        sign_up(owner, "ana")
        sign_up(guest, "ben")
        project_id = create_project(owner, "Audio jam")
        invite(owner, project_id, guest, "editor")
        ana, ben = open_jam(owner, project_id), open_jam(guest, project_id)
        expect(ana.locator(".jam-player")).to_have_count(2)
        expect(ben.locator(".jam-player")).to_have_count(2)
        ana.select_option(".jam-audio-source", "instrument")
        ben.select_option(".jam-audio-source", "voice")
        for page in (ana, ben):
            page.evaluate("() => window.bandmateJam.toggleAudio()")
            expect(page.locator(".jam-audio")).to_have_class("jam-audio sending")

        # Each page's players list shows the other's audio connected, with packets arriving.
        for page in (ana, ben):
            expect(page.locator(".jam-player .audio[data-state='connected']")).to_have_count(1)
            page.wait_for_function(
                "() => Number(document.querySelector('.jam-player .audio').dataset.packets) > 0"
            )
        # Our Opus preferences are in the remote description each applied (Ben chose voice after
        # the first negotiation: his page negotiated again for it).
        for page, stereo in ((ana, "stereo=1"), (ben, "stereo=0")):
            page.wait_for_function(
                "s => [...window.bandmateJam.mesh.peers.values()].every(p =>"
                " p.pc.remoteDescription && p.pc.remoteDescription.sdp.includes(s))",
                arg=stereo,
            )
        first = {"ana": inbound(ana), "ben": inbound(ben)}
        for who, page in (("ana", ana), ("ben", ben)):
            (peer,) = first[who]
            page.wait_for_function(
                "([id, n]) => window.bandmateJam.mesh.peers.get(id).stats.packetsReceived > n",
                arg=[peer, first[who][peer]["packets"] + 50],
            )
        later = {"ana": inbound(ana), "ben": inbound(ben)}
        for who in ("ana", "ben"):
            (peer,) = later[who]
            before, after = first[who][peer], later[who][peer]
            assert after["packets"] > before["packets"] > 0, (before, after)
            assert after["bytes"] > before["bytes"] > 0, (before, after)
            print(who, "hears", after["packets"], "packets, buffer", after["bufferMs"], "ms")
            assert after["codec"] == "audio/opus", after
            assert after["local"] == netns.ns_ip, after  # the veth, not loopback
            # Our Opus preferences went into the remote description we applied.
            assert "usedtx=0" in after["remoteSdp"], after["remoteSdp"]
            assert "a=ptime:10" in after["remoteSdp"]
        assert "stereo=1" in later["ana"][next(iter(later["ana"]))]["remoteSdp"]  # instrument
        assert "stereo=0" in later["ben"][next(iter(later["ben"]))]["remoteSdp"]  # voice
        for page in (ana, ben):  # the fake microphone's beep, not silence, was decoded
            page.wait_for_function(ENERGY)
        text = ana.locator(".jam-player .audio").text_content() or ""
        for shown in ("round trip", "jitter", "lost"):
            assert shown in text, text

        # Ben leaves: Ana's connection to him goes away with him.
        ben.close()
        expect(ana.locator(".jam-player")).to_have_count(1)
        ana.wait_for_function("() => window.bandmateJam.mesh.peers.size === 0")
    finally:
        for context in contexts:
            context.close()


PENDING = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('bandmate-jam-stems', 1)
  open.onupgradeneeded = () => open.result.createObjectStore('stems', { keyPath: 'id' })
  open.onsuccess = () => {
    const all = open.result.transaction('stems').objectStore('stems').getAll()
    all.onsuccess = () => { resolve(all.result.map(s => s.blob.size)); open.result.close() }
    all.onerror = () => reject(all.error)
  }
  open.onerror = () => reject(open.error)
})"""


def test_an_audio_take_is_kept_until_the_server_has_it_and_lands_in_the_song(
    ns_browser: Browser, rtc_server: str
) -> None:
    context = ns_browser.new_context(base_url=rtc_server)
    context.set_default_timeout(TIMEOUT_MS * 2)
    try:
        name = sign_up(context, "cleo")
        project_id = create_project(context, "Audio take")
        page = open_jam(context, project_id)
        page.evaluate("() => window.bandmateJam.toggleAudio()")
        expect(page.locator(".jam-audio")).to_have_class("jam-audio sending")
        page.select_option(".jam-count-in", "0")
        page.click(".jam-start")
        page.wait_for_function(
            "() => Number(document.querySelector('.jam-position').dataset.bar ?? -1) >= 0"
        )
        # The network fails while the take is sent: the stem stays in this browser.
        context.route("**/jam/stems/**", lambda route: route.abort())
        page.click(".jam-record")
        page.wait_for_function("() => window.bandmateJam.recorder.recording")
        page.wait_for_function("() => window.bandmateJam.recorder.chunks.length >= 2")
        page.click(".jam-record")
        expect(page.locator(".jam-stem[data-ok='false']").first).to_contain_text("kept here")
        sizes = page.evaluate(PENDING)
        assert len(sizes) == 1, sizes
        assert sizes[0] > 1000, sizes

        # Back online, the page opened again: the stem goes, the server acknowledges it, the
        # browser forgets it, and the song has the player's audio track.
        context.unroute("**/jam/stems/**")
        page.close()
        page = open_jam(context, project_id)
        saved = page.locator(".jam-stem[data-ok='true']")
        expect(saved).to_have_count(1)
        assert page.evaluate(PENDING) == []
        assert saved.get_attribute("data-track")
        blob = saved.get_attribute("data-blob")
        stem = context.request.get(f"/api/projects/{project_id}/jam/stems/{blob}")
        assert stem.ok
        assert stem.headers["content-type"] == "audio/webm"
        assert stem.body()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: WebM, as the server checked
        assert len(stem.body()) == sizes[0]
        studio = context.new_page()
        studio.goto(f"/p/{project_id}")
        studio.wait_for_selector("main.studio[data-ready='true']")
        expect(studio.locator(".track-name")).to_contain_text([f"{name} – instrument audio"])
    finally:
        context.close()


def _aiortc_player(url: str, token: str, done: threading.Event, out: dict[str, Any]) -> None:
    """A scripted player (aiortc) in this process: joins, connects to the other player as the
    browser does, sends a 660 Hz tone, keeps what it hears until ``done``."""

    async def main() -> None:
        client = JamClient(url, token)
        await client.connect()
        await client.next_of("welcome")

        def others() -> list[str]:
            rooms = client.of_type("welcome") + client.of_type("state")
            return [p["id"] for p in rooms[-1]["players"] if p["id"] != client.me]

        await client.wait_for(lambda: bool(others()))
        peer = RtcPeer(client, 660.0)
        try:
            await peer.connect(others()[0])
            out["heard"] = await peer.wait_heard(1.5, timeout=60)
            while not done.is_set():
                await asyncio.sleep(0.1)
        finally:
            await peer.close()
            await client.close()

    try:
        asyncio.run(main())
    except BaseException as exc:  # reported to the test's thread
        out["error"] = exc


def test_an_aiortc_player_and_a_browser_hear_each_other(
    ns_browser: Browser, rtc_server: str
) -> None:
    owner, guest = (
        ns_browser.new_context(base_url=rtc_server),
        ns_browser.new_context(base_url=rtc_server),
    )
    done = threading.Event()
    out: dict[str, Any] = {}
    thread: threading.Thread | None = None
    try:
        owner.set_default_timeout(TIMEOUT_MS * 3)
        sign_up(owner, "dora")
        sign_up(guest, "rob")
        project_id = create_project(owner, "Mixed jam")
        invite(owner, project_id, guest, "editor")
        token = next(c["value"] for c in guest.cookies() if c["name"] == SESSION_COOKIE)
        page = open_jam(owner, project_id)
        page.evaluate("() => window.bandmateJam.toggleAudio()")
        url = rtc_server.replace("http://", "ws://") + f"/api/projects/{project_id}/jam"
        thread = threading.Thread(target=_aiortc_player, args=(url, token, done, out))
        thread.start()
        expect(page.locator(".jam-player .audio[data-state='connected']")).to_have_count(1)
        page.wait_for_function(
            "() => Number(document.querySelector('.jam-player .audio').dataset.packets) > 100"
        )
        page.wait_for_function(ENERGY)  # the tone, decoded in the browser
        first = inbound(page)
        (peer,) = first
        page.wait_for_function(
            "([id, n]) => window.bandmateJam.mesh.peers.get(id).stats.packetsReceived > n",
            arg=[peer, first[peer]["packets"] + 50],
        )
        assert inbound(page)[peer]["bytes"] > first[peer]["bytes"]
        assert first[peer]["codec"] == "audio/opus"
    finally:
        done.set()
        if thread is not None:
            thread.join(timeout=60)
        owner.close()
        guest.close()
    assert "error" not in out, out.get("error")
    heard = out["heard"]  # 1.5 s or more of the browser's fake microphone: it beeps
    assert float(abs(heard).max()) > 0.01
