"""Clock sync through a real network path with 40 ms round trip and 5 ms jitter.

The server runs in this process on the host's side of a veth pair; the client runs in
its own process inside a network namespace on the other side, its clock skewed by a
known amount. The path gets ``netem delay 20ms 2.5ms`` on both ends when the kernel has
netem; where it does not (``CONFIG_NET_SCH_NETEM`` unset, as on these machines), a
delaying proxy (:mod:`tests.jam.delay_proxy`) in its own process on the host side of
the veth adds the same delay and jitter to each direction. The truth is known (one
machine clock, a known skew): the estimate must be within 2 ms of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bandmate.server import Settings
from tests.server.sync_peer import serving

from .conftest import Server, make_app

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SKEW_MS = 1234.5  # the client's clock runs this far ahead of the server's
DELAY_MS, JITTER_MS = 20.0, 2.5  # each way: 40 ms round trip, 5 ms of jitter


def _ip(*args: str, netns: str | None = None) -> None:
    cmd = ["ip", "netns", "exec", netns, *args] if netns else list(args)
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


@pytest.fixture
def veth() -> Iterator[tuple[str, str, str, bool]]:
    """A namespace and a veth pair: ``(namespace, host address, client address, netem)``."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2's `ip` to make a network namespace")
    tag = f"{os.getpid() % 100000}"
    ns, host_if, ns_if = f"bmjam{tag}", f"bmjh{tag}", f"bmjn{tag}"
    subnet = 16 + os.getpid() % 200
    host_ip, ns_ip = f"10.213.{subnet}.1", f"10.213.{subnet}.2"
    try:
        _ip("ip", "netns", "add", ns)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"`ip netns add` is not available here: {exc.stderr.decode().strip()}")
    try:
        _ip("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _ip("ip", "link", "set", ns_if, "netns", ns)
        _ip("ip", "addr", "add", f"{host_ip}/30", "dev", host_if)
        _ip("ip", "link", "set", host_if, "up")
        _ip("ip", "addr", "add", f"{ns_ip}/30", "dev", ns_if, netns=ns)
        _ip("ip", "link", "set", ns_if, "up", netns=ns)
        _ip("ip", "link", "set", "lo", "up", netns=ns)
        netem = ["qdisc", "add", "dev"]
        delay = ["root", "netem", "delay", f"{DELAY_MS}ms", f"{JITTER_MS}ms"]
        try:
            _ip("tc", *netem, host_if, *delay)
            _ip("tc", *netem, ns_if, *delay, netns=ns)
            has_netem = True
        except subprocess.CalledProcessError:
            has_netem = False
        yield ns, host_ip, ns_ip, has_netem
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


async def _start_proxy(listen: str, target: str) -> tuple[asyncio.subprocess.Process, int]:
    host, port = target.split(":")
    proxy = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.jam.delay_proxy", listen, host, port,
        str(DELAY_MS), str(JITTER_MS), "7",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proxy.stdout is not None
    line = await asyncio.wait_for(proxy.stdout.readline(), 30)
    return proxy, int(line)


async def test_offset_within_2_ms_at_40_ms_round_trip_and_5_ms_jitter(
    settings: Settings, veth: tuple[str, str, str, bool]
) -> None:
    ns, host_ip, _, has_netem = veth
    app = make_app(settings)
    async with serving(app, "0.0.0.0" if has_netem else "127.0.0.1") as address:
        server = Server(app, address)
        alice, token = await server.person("alice")
        project_id = await server.project(alice)
        proxy = None
        port = int(address.rsplit(":", 1)[1])
        if not has_netem:
            proxy, port = await _start_proxy(host_ip, address)
        try:
            url = f"ws://{host_ip}:{port}/api/projects/{project_id}/jam"
            probe = await asyncio.create_subprocess_exec(
                "ip", "netns", "exec", ns, sys.executable, "-m", "tests.jam.clock_probe",
                url, token, str(SKEW_MS), "64", "50",
                cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(probe.communicate(), 120)
            assert probe.returncode == 0, err.decode()[-2000:]
        finally:
            if proxy is not None:
                proxy.kill()
                await proxy.wait()
    result = json.loads(out)
    truth = -SKEW_MS  # server minus client
    figures = {k: round(result[k], 3) for k in ("offset_ms", "rtt_ms", "min_rtt_ms", "jitter_ms")}
    print(f"netem={has_netem} truth={truth} {figures}")  # shown with -s: the figures
    assert abs(result["offset_ms"] - truth) < 2.0, result
    assert 38.0 < result["min_rtt_ms"] <= result["rtt_ms"] < 70.0, result  # the path was slow
    raw_errors = [abs(o - truth) for o in result["raw_offsets"]]
    assert max(raw_errors) > 1.0, result  # and jittery: single exchanges are off
    assert result["samples"] == 32
