"""Benchmark: the jam relay against a bare ``websockets`` broadcast relay, side by side.

Both relays run on this machine under the same load: ``--rooms`` rooms of ``--players``
players, each player sending ``--rate`` note messages a second (one ``on`` event each,
stamped on the clock, with a unique sequence number ``n``). Every message goes to the
room's other players; the load generator knows when each was sent and when each copy
arrived.

- ours: ``bandmate.server.app.build_server`` (uvicorn, as ``bandmate serve`` runs it) and
  its ``/api/projects/{id}/jam`` endpoint: session cookie, membership, per-socket rate
  limits, every message decoded, checked and re-encoded (stamped with the sender's id).
- bare: ``websockets``' own asyncio server, a handler that relays each text frame as it
  is to the other sockets of its path with ``websockets.broadcast`` (no auth, no checks):
  the floor for a Python relay.

The server is pinned to one core and the load generator (a separate process: asyncio,
uvloop, ``websockets`` clients) to the other when the machine has two. After every
player joined and a warm-up, messages sent during ``--duration`` seconds are measured:
p50/p99 send-to-delivery latency, deliveries per second and the server's CPU.

Run: ``.venv/bin/python bench/jam_relay.py [--quick] [--rooms 50 --players 6 --rate 20
--duration 20 --rounds 3]``. Goal: ours' p99 within 1.2x of the bare relay's.
``BENCH_PROFILE=path.prof`` profiles our server's event loop with cProfile for its first
``BENCH_PROFILE_S`` seconds (default 15). ``BENCH_STALLS=path`` appends to ``path`` where our
server's event loop was whenever it stalled for over 10 ms (``_procs.watch_stalls``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _procs import (
    ChildServer,
    cpu_seconds,
    ours_settings,
    pinner,
    prepare_projects,
    raise_nofile,
    run_ours,
)

ROOT = Path(__file__).resolve().parent.parent
SEQ_RE = re.compile(r'"n":\s*(\d+)')
SLOTS = 20  # players are spread over this many phases of one send period


# --------------------------------------------------------------------------- servers


def serve_ours() -> None:
    """Child process: our server as ``bandmate serve`` builds it (``BANDMATE_*`` env)."""
    from bandmate.server import settings_from_env
    from bandmate.server.app import build_server

    server = build_server(dataclasses.replace(settings_from_env(), seed_demo=False))
    run_ours(server, profile_s=15.0)


def serve_bare(port: int) -> None:
    """Child process: a bare ``websockets`` relay (each frame to the others of its path)."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    rooms: dict[str, set[ServerConnection]] = {}

    async def relay(ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else "/"
        room = rooms.setdefault(path, set())
        room.add(ws)
        try:
            async for frame in ws:
                broadcast([other for other in room if other is not ws], frame)
        finally:
            room.discard(ws)

    async def main() -> None:
        async with serve(relay, "127.0.0.1", port, compression=None, ping_interval=None):
            await asyncio.Future()

    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(main())


class Server(ChildServer):
    """One relay under test, as a child process."""

    def __init__(self, kind: str, workdir: Path, args: argparse.Namespace) -> None:
        super().__init__(kind, workdir, args.server_core)

    def url(self, room: str) -> str:
        if self.kind == "ours":
            return f"ws://127.0.0.1:{self.port}/api/projects/{room}/jam"
        return f"ws://127.0.0.1:{self.port}/{room}"

    def start(self, rooms: int, players: int) -> None:
        env = {**os.environ}
        script = str(Path(__file__).resolve())
        if self.kind == "ours":
            settings, ours_env = ours_settings(self.workdir / f"data-{self.port}", self.port)
            self.rooms, self.tokens = asyncio.run(prepare_projects(settings, rooms, players, "Jam"))
            env.update(ours_env)
            cmd = [sys.executable, script, "--serve-ours"]
        else:
            self.rooms = [f"room-{r}" for r in range(rooms)]
            self.tokens = [""] * players
            cmd = [sys.executable, script, "--serve-bare", str(self.port)]
        self.launch(cmd, env)


# --------------------------------------------------------------------------- load generator


@dataclasses.dataclass
class Stats:
    window: tuple[float, float] = (float("inf"), float("inf"))
    sent_at: dict[int, float] = dataclasses.field(default_factory=dict)
    latencies: list[float] = dataclasses.field(default_factory=list)
    in_window_sent: int = 0
    copies: int = 0

    def delivered(self, seq: int, now: float) -> None:
        sent = self.sent_at.get(seq)
        if sent is not None and self.window[0] <= sent < self.window[1]:
            self.latencies.append(now - sent)
            self.copies += 1


async def generate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Run the load against one relay; returns the measurements."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    rooms, players, rate = cfg["rooms"], cfg["players"], cfg["rate"]
    urls, tokens, pid = cfg["urls"], cfg["tokens"], cfg["pid"]
    warmup, duration = cfg["warmup"], cfg["duration"]
    n = rooms * players
    stats = Stats()
    sem = asyncio.Semaphore(32)

    async def read(ws: Any) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                now = time.perf_counter()
                for seq in SEQ_RE.findall(frame):  # ours may send several messages at once
                    stats.delivered(int(seq), now)

    async def join(i: int) -> Any:
        async with sem:
            token = tokens[i % players]
            headers = {"Cookie": f"bandmate_session={token}"} if token else {}
            ws = await connect(
                urls[i // players],
                additional_headers=headers,
                open_timeout=60,
                ping_interval=None,
                compression=None,
            )
            ws.reader_task = asyncio.create_task(read(ws))  # type: ignore[attr-defined]
            return ws

    t = time.perf_counter()
    sockets = list(await asyncio.gather(*(join(i) for i in range(n))))
    join_s = time.perf_counter() - t
    await asyncio.sleep(1.0)
    tick = 1.0 / (rate * SLOTS)
    by_slot = [[i for i in range(n) if i % SLOTS == s] for s in range(SLOTS)]
    start = time.perf_counter()
    t0, t1 = start + warmup, start + warmup + duration
    stats.window = (t0, t1)
    cpu0 = None
    gen0 = resource.getrusage(resource.RUSAGE_SELF)
    k, seq, closed = 0, 0, 0
    while True:
        due = start + k * tick
        now = time.perf_counter()
        if due >= t1:
            break
        if due > now:
            await asyncio.sleep(due - now)
        if cpu0 is None and time.perf_counter() >= t0:
            cpu0, gen0 = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
        for i in by_slot[k % SLOTS]:
            seq += 1
            at = time.time() * 1000.0
            event = f'{{"k":"on","at":{at:.3f},"p":{60 + i % 24},"v":100}}'
            frame = f'{{"t":"note","n":{seq},"ev":[{event}]}}'
            ts = time.perf_counter()
            stats.sent_at[seq] = ts
            if t0 <= ts < t1:
                stats.in_window_sent += 1
            try:
                await sockets[i].send(frame)
            except ConnectionClosed:
                closed += 1
        k += 1
    cpu1 = cpu_seconds(pid)
    gen1 = resource.getrusage(resource.RUSAGE_SELF)
    expected = stats.in_window_sent * (players - 1)
    deadline = time.perf_counter() + 5.0
    while stats.copies < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for ws in sockets:
        ws.reader_task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    server_cpu = cpu1 - (cpu0 if cpu0 is not None else cpu1)
    gen_cpu = (gen1.ru_utime + gen1.ru_stime) - (gen0.ru_utime + gen0.ru_stime)
    return {
        "connections": n,
        "join_s": join_s,
        "sent_per_s": stats.in_window_sent / duration,
        "expected_copies": expected,
        "copies": stats.copies,
        "deliveries_per_s": stats.copies / duration,
        "server_cores_used": server_cpu / duration,
        "generator_cores_used": gen_cpu / duration,
        "closed_by_server": closed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": lat[-1] * 1000 if lat else float("nan"),
    }


def generator_main() -> None:
    cfg = json.loads(sys.stdin.read())
    raise_nofile()
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    print(json.dumps(asyncio.run(asyncio.wait_for(generate(cfg), cfg["timeout"]))))


def run_generator(cfg: dict[str, Any], core: int | None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--generator"],
        input=json.dumps(cfg).encode(),
        capture_output=True,
        cwd=ROOT,
        preexec_fn=pinner(core),
        timeout=cfg["timeout"] + 60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"generator failed: {proc.stderr.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- main


def bench(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    server = Server(kind, workdir, args)
    try:
        server.start(args.rooms, args.players)
        assert server.process is not None
        cfg = {
            "rooms": args.rooms,
            "players": args.players,
            "rate": args.rate,
            "urls": [server.url(r) for r in server.rooms],
            "tokens": server.tokens,
            "pid": server.process.pid,
            "warmup": args.warmup,
            "duration": args.duration,
            "timeout": 600,
        }
        return run_generator(cfg, args.generator_core)
    finally:
        server.stop()


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    ours, bare = results["ours"], results["bare"]
    print()
    print(
        f"load: {args.rooms} rooms x {args.players} players x {args.rate} messages/s, "
        f"{args.duration:g} s window after {args.warmup:g} s warm-up, round {args.round}; "
        f"server core {args.server_core}, generator core {args.generator_core}"
    )
    rows = [
        ("messages sent/s", "sent_per_s", "{:.0f}"),
        ("deliveries/s", "deliveries_per_s", "{:.0f}"),
        ("copies delivered / expected", None, None),
        ("server CPU cores used", "server_cores_used", "{:.2f}"),
        ("p50 latency ms", "p50_ms", "{:.2f}"),
        ("p99 latency ms", "p99_ms", "{:.2f}"),
        ("max latency ms", "max_ms", "{:.1f}"),
        ("generator cores used", "generator_cores_used", "{:.2f}"),
        ("closed by the server", "closed_by_server", "{:.0f}"),
    ]
    print(f"{'':30}{'ours':>12}{'bare':>12}{'ours/bare':>11}")
    for label, key, fmt in rows:
        if key is None or fmt is None:
            cells = [f"{r['copies']}/{r['expected_copies']}" for r in (ours, bare)]
            ratio = ""
        else:
            cells = [fmt.format(r[key]) for r in (ours, bare)]
            ratio = f"{ours[key] / bare[key]:.2f}" if bare[key] else ""
        print(f"{label:30}{cells[0]:>12}{cells[1]:>12}{ratio:>11}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-ours":
        serve_ours()
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--generator":
        generator_main()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--players", type=int, default=6)
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s per player")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3, help="both relays, this many times")
    parser.add_argument("--quick", action="store_true", help="10 rooms, 5 s windows")
    args = parser.parse_args()
    if args.quick:
        args.rooms, args.duration, args.warmup = 10, 5.0, 1.0
    cores = sorted(os.sched_getaffinity(0))
    args.server_core = cores[0] if len(cores) >= 2 else None
    args.generator_core = cores[1] if len(cores) >= 2 else None
    raise_nofile()
    p99_ratios = []
    with tempfile.TemporaryDirectory(prefix="jam-bench-") as tmp:
        for rnd in range(1, args.rounds + 1):
            args.round = rnd
            order = ("ours", "bare") if rnd % 2 else ("bare", "ours")  # alternate: fair to both
            results = {kind: bench(kind, args, Path(tmp)) for kind in order}
            report(results, args)
            p99_ratios.append(results["ours"]["p99_ms"] / results["bare"]["p99_ms"])
    ratios = ", ".join(f"{r:.2f}" for r in p99_ratios)
    print(
        f"\np99 ours/bare per round: {ratios}; "
        f"median {statistics.median(p99_ratios):.2f} (goal: at most 1.20)"
    )


if __name__ == "__main__":
    main()
