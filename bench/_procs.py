"""What the network benchmarks share: /proc readings, file limits, ports, core pinning, our
server's projects and settings, and a server under test as a child process.

Imported as ``_procs`` by the benchmarks in this folder (run as scripts, this folder is
first on their path).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET = "bench-secret-" + "x" * 40

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid``."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def raise_nofile() -> int:
    """Raise this process's open-file limit to its hard limit; returns the new limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinner(core: int | None) -> Callable[[], None]:
    """A ``preexec_fn`` that pins a child to ``core`` (if any) and raises its file limit."""

    def pin() -> None:
        if core is not None:
            os.sched_setaffinity(0, {core})
        raise_nofile()

    return pin


async def prepare_projects(
    settings: Any, rooms: int, members: int, name: str
) -> tuple[list[str], list[str]]:
    """Create ``members`` users and ``rooms`` projects (``name`` and a number) they all belong
    to (editors). Returns the project ids and the session token of each member slot."""
    from bandmate.server.services import build_studio
    from bandmate.store.migrate import upgrade

    studio = build_studio(settings)
    try:
        await upgrade(studio.database)
        users = [
            await studio.accounts.sign_up(f"bench{i}", "correct horse battery")
            for i in range(members)
        ]
        owner = users[0][0]
        projects = []
        for r in range(rooms):
            project = (await studio.projects.create(owner, f"{name} {r}")).project
            if members > 1:
                _, invite = await studio.projects.invite(
                    owner, project.id, "editor", max_uses=members - 1
                )
                for user, _ in users[1:]:
                    await studio.projects.accept(user, invite)
            projects.append(project.id)
        return projects, [token for _, token in users]
    finally:
        await studio.close()


def ours_settings(
    data: Path, port: int, database_url: str | None = None
) -> tuple[Any, dict[str, str]]:
    """Settings for our server under test (cheap password hashing, no demo) and the
    ``BANDMATE_*`` environment that gives its child process the same."""
    from bandmate.auth.credentials import HashCost
    from bandmate.server import Settings
    from bandmate.store.engine import sqlite_url

    url = database_url or sqlite_url(data / "bandmate.db")
    settings = Settings(
        data_dir=data,
        database_url=url,
        secret=BENCH_SECRET,
        password_cost=HashCost(time_cost=1, memory_kib=1024, parallelism=1),
        seed_demo=False,
    )
    env = {
        "BANDMATE_DATA_DIR": str(data),
        "BANDMATE_DATABASE_URL": url,
        "BANDMATE_SECRET": BENCH_SECRET,
        "BANDMATE_PORT": str(port),
        "BANDMATE_HOST": "127.0.0.1",
        "BANDMATE_LOG_LEVEL": "WARNING",
    }
    return settings, env


class ChildServer:
    """A server under test in a child process pinned to a core, logging to a file."""

    def __init__(self, kind: str, workdir: Path, core: int | None) -> None:
        self.kind, self.workdir, self.core = kind, workdir, core
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.rooms: list[str] = []
        self.tokens: list[str] = []
        self.log = workdir / f"{kind}.log"

    def launch(self, cmd: list[str], env: dict[str, str]) -> None:
        """Start ``cmd`` and wait (up to a minute) until it accepts connections on the port."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                cmd, env=env, cwd=ROOT, stdout=log, stderr=log, preexec_fn=pinner(self.core)
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.log.read_text()[-2000:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} server did not start")
            time.sleep(0.1)
        time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def watch_stalls(path: str, *, threshold_s: float = 0.01, tick_s: float = 0.001) -> None:
    """Record where the event loop is when it stalls (``BENCH_STALLS=path`` in a benchmark).

    Must be called from a coroutine on the loop to watch. A callback on that loop stamps the
    time every ``tick_s``; a thread of its own looks every ``tick_s`` and, when the last stamp
    is older than ``threshold_s``, appends the loop thread's stack to ``path`` (one entry
    per stall, with the stall's length once it ends). A stack that is the loop waiting in
    its selector means the process was not running (another process had the core); the
    loop thread's scheduler state (from ``/proc``) is written with it.
    """
    loop = asyncio.get_running_loop()
    ident = threading.get_ident()
    task = Path(f"/proc/self/task/{threading.get_native_id()}")
    last = [time.monotonic()]

    def thread_state() -> str:
        # R: running (or waiting for a core); S: asleep, in the kernel function named.
        with contextlib.suppress(OSError):
            stat = (task / "stat").read_text()
            state = stat[stat.rindex(")") + 2]
            return f"{state} in {(task / 'wchan').read_text() or '-'}"
        return "?"

    def stamp() -> None:
        last[0] = time.monotonic()
        loop.call_later(tick_s, stamp)

    def watch() -> None:
        with open(path, "a") as out:
            while True:
                time.sleep(tick_s)
                lag = time.monotonic() - last[0]
                if lag < threshold_s:
                    continue
                frame = sys._current_frames().get(ident)
                stack = "".join(traceback.format_stack(frame)) if frame is not None else "?"
                states = [thread_state()]
                started = last[0]
                while last[0] == started:
                    time.sleep(tick_s)
                    states.append(thread_state())
                out.write(
                    f"--- stall of {1000 * (time.monotonic() - started):.1f} ms, "
                    f"loop thread {', '.join(dict.fromkeys(states))}\n{stack}"
                )
                out.flush()

    stamp()
    threading.Thread(target=watch, name="stall-watch", daemon=True).start()


def run_ours(server: Any, *, profile_s: float) -> None:
    """Run our built uvicorn ``server`` in this (child) process, with the benchmarks' probes.

    ``BENCH_PROFILE=path`` profiles the event loop with cProfile for its first
    ``BENCH_PROFILE_S`` seconds (default ``profile_s``); ``BENCH_STALLS=path`` records where
    the loop was whenever it stalled (:func:`watch_stalls`).
    """
    profile = os.environ.get("BENCH_PROFILE")
    stalls = os.environ.get("BENCH_STALLS")
    if not profile and not stalls:
        server.run()
        return
    profiler = cProfile.Profile()

    async def serve() -> None:
        if stalls:
            watch_stalls(stalls)
        dumping = None
        if profile:

            async def dump() -> None:
                await asyncio.sleep(float(os.environ.get("BENCH_PROFILE_S", str(profile_s))))
                profiler.disable()
                profiler.dump_stats(profile)

            dumping = asyncio.create_task(dump())
            profiler.enable()
        await server.serve()
        if dumping is not None:
            dumping.cancel()

    with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
        runner.run(serve())
