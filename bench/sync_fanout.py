"""Benchmark: sync fan-out of our server against the Node y-websocket server (0.1.1).

Both servers run on this machine under the same load: ``--rooms`` rooms of ``--members``
y-protocols clients, each client sending ``--rate`` updates a second. Each update is a
small real Yjs update (pycrdt): a note map (pitch, start, duration, velocity) inserted
into the notes of a track the client created when it joined; the note's id carries a
unique token (``bmk`` + 10 digits), so the load generator knows when each update was
sent and when each copy reached another member. The same bytes go to both servers.

- ours: ``bandmate.server.app.build_server`` (uvicorn, as ``bandmate serve`` runs it),
  durability on (SQLite WAL in a temporary folder, or PostgreSQL with ``--database-url``);
  users, projects, memberships and sessions are created directly through the services,
  clients connect with a session cookie and an allowed ``Origin``, without ``?ack=1``
  (like a stock y-websocket provider).
- theirs: ``@y/websocket-server@0.1.1`` (``scripts/install-bench-sync.sh`` installs it
  into ``bench/peers``), in-memory, room name in the URL path.

The server is pinned to one core and the load generator (a separate process: asyncio,
uvloop and the ``websockets`` library) to the other when the machine has two. After all
members joined and a warm-up, updates sent during ``--duration`` seconds are measured:
deliveries per second (copies received by the other members), per server CPU second
(the server's utime + stime from ``/proc/<pid>/stat`` over the window), and p50/p99
send-to-delivery latency. Then, on a fresh server, server RSS before and after opening
``--idle`` authenticated idle sockets (synced, then silent) gives memory per connection.

Run: ``.venv/bin/python bench/sync_fanout.py [--quick] [--rooms 200 --members 5 --rate 5
--duration 30] [--rounds 3] [--idle 5000] [--skip-node] [--database-url postgresql://...]``.
The machine's speed drifts from minute to minute on a shared host, so the load runs in
``--rounds`` rounds in which the two servers take turns going first; the report gives
each round's ratios, each figure's median, and the median of the per-round ratios.
``BENCH_WS=asgi`` serves ours on uvicorn's own WebSockets instead of the lean connection
(``bandmate.server.wsconn``), to compare the two. ``BENCH_PROFILE=path.prof`` profiles our
server's event loop with cProfile for its first ``BENCH_PROFILE_S`` seconds (default 20);
``BENCH_STALLS=path`` records where it was whenever it stalled (``_procs.run_ours``).
``BENCH_TRACEMALLOC=path`` traces our server's allocations (``BENCH_TRACEMALLOC_FRAMES``
frames, default 1) while the idle sockets open and dumps what is still held after to
``path`` (the RSS figure is then inflated by the tracing: use it to see what a connection
holds, not for the figure).
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
import signal
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
    rss_bytes,
    run_ours,
)

ROOT = Path(__file__).resolve().parent.parent
NODE_SERVER = ROOT / "bench/peers/node_modules/@y/websocket-server/src/server.js"
ORIGIN = "http://bench.bandmate.test"
TOKEN_RE = re.compile(rb"bmk(\d{10})")
SLOTS = 20  # members are spread over this many phases of one send period


# --------------------------------------------------------------------------- our server


def serve_ours() -> None:
    """Child process: our server as ``bandmate serve`` builds it (``BANDMATE_*`` env)."""
    from bandmate.server import settings_from_env
    from bandmate.server.app import build_server

    settings = dataclasses.replace(settings_from_env(), seed_demo=False)
    server = build_server(settings)
    if os.environ.get("BENCH_WS") == "asgi":  # uvicorn's own WebSockets, for comparison
        server.config.ws = "auto"
    trace = os.environ.get("BENCH_TRACEMALLOC")
    if trace:
        import tracemalloc

        def on_signal(_signum: int, _frame: Any) -> None:
            # First signal: start tracing; second: dump what was allocated since.
            if not tracemalloc.is_tracing():
                tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "1")))
            else:
                tracemalloc.take_snapshot().dump(trace)
                tracemalloc.stop()

        signal.signal(signal.SIGUSR1, on_signal)
    run_ours(server, profile_s=20.0)


class Server(ChildServer):
    """One server under test, as a child process."""

    def __init__(self, kind: str, workdir: Path, args: argparse.Namespace) -> None:
        super().__init__(kind, workdir, args.server_core)
        self.args = args

    def url(self, room: str) -> str:
        if self.kind == "ours":
            return f"ws://127.0.0.1:{self.port}/api/projects/{room}/sync"
        return f"ws://127.0.0.1:{self.port}/{room}"

    def start(self, rooms: int, members: int) -> None:
        env = {**os.environ}
        if self.kind == "ours":
            data = self.workdir / f"data-{self.port}"
            settings, ours_env = ours_settings(data, self.port, self.args.database_url)
            t = time.perf_counter()
            self.rooms, self.tokens = asyncio.run(
                prepare_projects(settings, rooms, members, "Room")
            )
            print(
                f"  prepared {rooms} projects x {members} members in "
                f"{time.perf_counter() - t:.1f} s",
                flush=True,
            )
            env.update(ours_env, BANDMATE_ALLOWED_ORIGINS=ORIGIN)
            cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-ours"]
        else:
            self.rooms = [f"room-{r}" for r in range(rooms)]
            self.tokens = [""] * members
            env.update(HOST="127.0.0.1", PORT=str(self.port))
            cmd = ["node", str(NODE_SERVER)]
        self.launch(cmd, env)


# --------------------------------------------------------------------------- load generator


def make_updates(client_id: int, notes: int, first_token: int) -> tuple[bytes, list[bytes]]:
    """A client's track-creating update and ``notes`` note-inserting updates (tokens
    ``first_token`` onwards)."""
    from pycrdt import Doc, Map

    doc: Doc[Any] = Doc(client_id=client_id)
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    tracks = doc.get("tracks", type=Map)
    tid = f"t{client_id}"
    tracks[tid] = Map(
        {
            "name": f"Player {client_id}",
            "program": 0.0,
            "drums": False,
            "volume": 100.0,
            "pan": 64.0,
            "mute": False,
            "solo": False,
            "order": 0.0,
            "notes": Map(),
        }
    )
    notes_map = tracks[tid]["notes"]
    for k in range(notes):
        notes_map[f"bmk{first_token + k:010d}"] = Map(
            {
                "pitch": float(60 + k % 12),
                "start": float(480 * k),
                "duration": 240.0,
                "velocity": 96.0,
            }
        )
    return out[0], out[1:]


def sync_frame(step: int, payload: bytes) -> bytes:
    from bandmate.sync.protocol import SyncStep1, SyncStep2, SyncUpdate, encode_message

    cls = (SyncStep1, SyncStep2, SyncUpdate)[step]
    return encode_message(cls(payload))


async def open_member(url: str, token: str, synced: asyncio.Event | None) -> Any:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    from bandmate.server.security import SESSION_COOKIE

    headers = {"Cookie": f"{SESSION_COOKIE}={token}"} if token else {}
    ws = await connect(
        url,
        additional_headers=headers,
        origin=Origin(ORIGIN),
        max_size=None,
        open_timeout=60,
        close_timeout=2,
        ping_interval=None,
        compression=None,
    )
    await ws.send(sync_frame(0, b"\x00"))  # sync step 1: empty state vector
    return ws


class Member:
    def __init__(self, index: int, ws: Any) -> None:
        self.index, self.ws = index, ws
        self.synced = asyncio.Event()


async def reader(member: Member, stats: Stats, empty_step2: bytes) -> None:
    from websockets.exceptions import ConnectionClosed

    with contextlib.suppress(ConnectionClosed):
        async for frame in member.ws:
            now = time.perf_counter()
            if frame[0] == 0:  # sync
                step = frame[1]
                if step == 0:
                    await member.ws.send(empty_step2)
                    continue
                if step == 1:
                    member.synced.set()
            for match in TOKEN_RE.findall(frame):
                stats.delivered(int(match), now, member.index)


class Stats:
    def __init__(self, total_tokens: int, notes: int = 1) -> None:
        self.notes = notes  # tokens per member: token // notes is the sender
        self.echoes = 0  # copies sent back to their sender (Node's server does that)
        self.sent_at = [0.0] * total_tokens
        self.window = (float("inf"), float("inf"))
        self.latencies: list[float] = []
        self.in_window_sent = 0
        self.copies = 0

    def delivered(self, token: int, now: float, receiver: int) -> None:
        if token // self.notes == receiver:
            self.echoes += 1
            return
        sent = self.sent_at[token]
        if self.window[0] <= sent < self.window[1]:
            self.latencies.append(now - sent)
            self.copies += 1


async def generate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Run the fan-out load against one server; returns the measurements."""
    from websockets.exceptions import ConnectionClosed

    rooms, members, rate = cfg["rooms"], cfg["members"], cfg["rate"]
    urls, tokens, pid = cfg["urls"], cfg["tokens"], cfg["pid"]
    warmup, duration, drain = cfg["warmup"], cfg["duration"], cfg["drain"]
    n = rooms * members
    notes = int(rate * (warmup + duration + 2)) + 2
    t = time.perf_counter()
    firsts, updates = [], []
    for i in range(n):
        first, ups = make_updates(1000 + i, notes, i * notes)
        firsts.append(first)
        updates.append(ups)
    gen_s = time.perf_counter() - t
    stats = Stats(n * notes, notes)
    empty_step2 = sync_frame(1, b"\x00\x00")

    # join
    t = time.perf_counter()
    sem = asyncio.Semaphore(64)
    all_members: list[Member] = []

    async def join(i: int) -> Member:
        async with sem:
            ws = await open_member(urls[i // members], tokens[i % members], None)
            m = Member(i, ws)
            m.task = asyncio.create_task(reader(m, stats, empty_step2))  # type: ignore[attr-defined]
            await asyncio.wait_for(m.synced.wait(), 60)
            return m

    all_members = list(await asyncio.gather(*(join(i) for i in range(n))))
    join_s = time.perf_counter() - t
    for m in all_members:  # each member creates its track (not measured)
        await m.ws.send(sync_frame(2, firsts[m.index]))
    await asyncio.sleep(1.0)

    # load: member i sends in phase slot i % SLOTS of every period 1/rate
    tick = 1.0 / (rate * SLOTS)
    by_slot = [[m for m in all_members if m.index % SLOTS == s] for s in range(SLOTS)]
    sent_count = [0] * n
    start = time.perf_counter()
    t0, t1 = start + warmup, start + warmup + duration
    stats.window = (t0, t1)
    cpu0 = cpu1 = None
    gen0 = resource.getrusage(resource.RUSAGE_SELF)
    k = 0
    late_ticks = 0
    dropped: set[int] = set()
    while True:
        due = start + k * tick
        now = time.perf_counter()
        if due >= t1:
            break
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > tick:
            late_ticks += 1
        if cpu0 is None and time.perf_counter() >= t0:
            cpu0, gen0 = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
        for m in by_slot[k % SLOTS]:
            j = sent_count[m.index]
            if j >= notes:
                continue
            sent_count[m.index] = j + 1
            token = m.index * notes + j
            ts = time.perf_counter()
            stats.sent_at[token] = ts
            if t0 <= ts < t1:
                stats.in_window_sent += 1
            try:
                await m.ws.send(sync_frame(2, updates[m.index][j]))
            except ConnectionClosed:  # the server closed it (e.g. its keepalive timed out)
                dropped.add(m.index)
        k += 1
    cpu1 = cpu_seconds(pid)
    gen1 = resource.getrusage(resource.RUSAGE_SELF)
    expected = stats.in_window_sent * (members - 1)
    deadline = time.perf_counter() + drain
    while stats.copies < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    copies = stats.copies
    for m in all_members:
        m.task.cancel()  # type: ignore[attr-defined]
    await asyncio.gather(*(m.ws.close() for m in all_members), return_exceptions=True)
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    server_cpu = (cpu1 - cpu0) if cpu0 is not None else float("nan")
    gen_cpu = (gen1.ru_utime + gen1.ru_stime) - (gen0.ru_utime + gen0.ru_stime)
    return {
        "connections": n,
        "update_gen_s": gen_s,
        "join_s": join_s,
        "window_s": duration,
        "sent": stats.in_window_sent,
        "sent_per_s": stats.in_window_sent / duration,
        "expected_copies": expected,
        "copies": copies,
        "deliveries_per_s": copies / duration,
        "server_cpu_s": server_cpu,
        "server_cores_used": server_cpu / duration,
        "deliveries_per_cpu_s": copies / server_cpu if server_cpu > 0 else float("nan"),
        "generator_cores_used": gen_cpu / duration,
        "late_ticks": late_ticks,
        "echoes_to_sender": stats.echoes,
        "connections_closed_by_server": len(dropped),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": lat[-1] * 1000 if lat else float("nan"),
        "update_bytes": statistics.mean(len(u) for u in updates[0][:20]),
    }


async def idle(cfg: dict[str, Any]) -> dict[str, Any]:
    """Open ``count`` idle synced sockets over the rooms; server RSS before and after."""
    urls, tokens, pid, count = cfg["urls"], cfg["tokens"], cfg["pid"], cfg["count"]
    empty_step2 = sync_frame(1, b"\x00\x00")
    stats = Stats(1)
    # warm-up: one member per room joins and leaves, so the rooms exist and code is loaded
    rooms = len(urls)
    sem = asyncio.Semaphore(64)
    members: list[Member] = []

    async def join(i: int) -> Member:
        async with sem:
            ws = await open_member(urls[i % rooms], tokens[i % len(tokens)], None)
            m = Member(i, ws)
            m.task = asyncio.create_task(reader(m, stats, empty_step2))  # type: ignore[attr-defined]
            await asyncio.wait_for(m.synced.wait(), 120)
            return m

    # keep one anchor socket per room open so rooms stay loaded; measure the rest
    anchors = list(await asyncio.gather(*(join(i) for i in range(rooms))))
    await asyncio.sleep(2.0)
    rss0 = rss_bytes(pid)
    if cfg["tracemalloc"]:
        os.kill(pid, signal.SIGUSR1)
    t = time.perf_counter()
    members = list(await asyncio.gather(*(join(i) for i in range(count))))
    open_s = time.perf_counter() - t
    await asyncio.sleep(3.0)
    rss1 = rss_bytes(pid)
    if cfg["tracemalloc"]:
        os.kill(pid, signal.SIGUSR1)
        await asyncio.sleep(15.0)  # time to write the snapshot
    for m in members + anchors:
        m.task.cancel()  # type: ignore[attr-defined]
    await asyncio.gather(*(m.ws.close() for m in members + anchors), return_exceptions=True)
    return {
        "count": count,
        "rooms": rooms,
        "open_s": open_s,
        "rss_before_mb": rss0 / 2**20,
        "rss_after_mb": rss1 / 2**20,
        "kb_per_connection": (rss1 - rss0) / count / 1024,
    }


def generator_main(mode: str) -> None:
    cfg = json.loads(sys.stdin.read())
    raise_nofile()
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    coro = generate(cfg) if mode == "load" else idle(cfg)
    result = asyncio.run(asyncio.wait_for(coro, cfg["timeout"]))
    print(json.dumps(result))


def run_generator(mode: str, cfg: dict[str, Any], core: int | None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--generator", mode],
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


def bench_load(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    server = Server(kind, workdir, args)
    try:
        server.start(args.rooms, args.members)
        assert server.process is not None
        cfg = {
            "rooms": args.rooms,
            "members": args.members,
            "rate": args.rate,
            "urls": [server.url(r) for r in server.rooms],
            "tokens": server.tokens,
            "pid": server.process.pid,
            "warmup": args.warmup,
            "duration": args.duration,
            "drain": 5.0,
            "timeout": 600,
        }
        result["rss_start_mb"] = rss_bytes(server.process.pid) / 2**20
        result["load"] = run_generator("load", cfg, args.generator_core)
        result["rss_after_load_mb"] = rss_bytes(server.process.pid) / 2**20
    finally:
        server.stop()
    return result


def bench_idle(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if args.idle > 0:
        server = Server(kind, workdir, args)
        try:
            idle_rooms = min(args.idle_rooms, args.rooms)
            server.start(idle_rooms, args.members)
            assert server.process is not None
            cfg = {
                "urls": [server.url(r) for r in server.rooms],
                "tokens": server.tokens,
                "pid": server.process.pid,
                "count": args.idle,
                "timeout": 600,
                "tracemalloc": kind == "ours" and bool(os.environ.get("BENCH_TRACEMALLOC")),
            }
            result["idle"] = run_generator("idle", cfg, args.generator_core)
        finally:
            server.stop()
    return result


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def median_load(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds (copies: their sums)."""
    loads = [run["load"] for run in runs]
    out: dict[str, Any] = {}
    for key, value in loads[0].items():
        if key in ("copies", "expected_copies"):
            out[key] = sum(load[key] for load in loads)
        elif isinstance(value, int | float):
            out[key] = statistics.median(load[key] for load in loads)
    return out


def report(rounds: list[dict[str, dict[str, Any]]], args: argparse.Namespace) -> None:
    print()
    print(
        f"load: {args.rooms} rooms x {args.members} members x {args.rate} updates/s, "
        f"{args.duration:g} s window after {args.warmup:g} s warm-up, {len(rounds)} round(s) "
        f"(the servers take turns going first); server core {args.server_core}, "
        f"generator core {args.generator_core}"
    )
    both = all("ours" in r and "node" in r for r in rounds)
    if both and len(rounds) > 1:
        for index, r in enumerate(rounds, 1):
            o, n = r["ours"]["load"], r["node"]["load"]
            print(
                f"  round {index}: deliveries per server CPU s {o['deliveries_per_cpu_s']:.0f} vs "
                f"{n['deliveries_per_cpu_s']:.0f} "
                f"({ratio(o['deliveries_per_cpu_s'], n['deliveries_per_cpu_s'])}x), "
                f"p99 {o['p99_ms']:.1f} vs {n['p99_ms']:.1f} ms "
                f"({ratio(o['p99_ms'], n['p99_ms'])}x)"
            )
    medians = {
        kind: median_load([r[kind] for r in rounds])
        for kind in ("ours", "node")
        if all(kind in r for r in rounds)
    }
    ours, theirs = medians.get("ours"), medians.get("node")
    rows = [
        ("updates sent/s", "sent_per_s", "{:.0f}"),
        ("deliveries/s", "deliveries_per_s", "{:.0f}"),
        ("copies delivered / expected", None, None),
        ("server CPU cores used", "server_cores_used", "{:.2f}"),
        ("deliveries per server CPU s", "deliveries_per_cpu_s", "{:.0f}"),
        ("p50 latency ms", "p50_ms", "{:.1f}"),
        ("p99 latency ms", "p99_ms", "{:.1f}"),
        ("max latency ms", "max_ms", "{:.1f}"),
        ("generator cores used", "generator_cores_used", "{:.2f}"),
        ("join time s", "join_s", "{:.1f}"),
    ]
    print(f"{'median of the rounds':32}{'ours':>14}{'node 0.1.1':>14}{'ours/node':>11}")
    for label, key, fmt in rows:
        cells = []
        for res in (ours, theirs):
            if res is None:
                cells.append("-")
            elif key is None or fmt is None:
                cells.append(f"{res['copies']}/{res['expected_copies']}")
            else:
                cells.append(fmt.format(res[key]))
        cell = ratio(ours[key], theirs[key]) if ours and theirs and key else ""
        print(f"{label:32}{cells[0]:>14}{cells[1]:>14}{cell:>11}")
    if both and len(rounds) > 1:
        per_round = [
            r["ours"]["load"]["deliveries_per_cpu_s"] / r["node"]["load"]["deliveries_per_cpu_s"]
            for r in rounds
        ]
        p99s = [r["ours"]["load"]["p99_ms"] / r["node"]["load"]["p99_ms"] for r in rounds]
        print(
            f"{'median of the per-round ratios':32}{'':28}"
            f"{statistics.median(per_round):>11.2f} (deliveries per CPU s)"
        )
        print(f"{'':32}{'':28}{statistics.median(p99s):>11.2f} (p99)")


def report_idle(idle: dict[str, dict[str, Any]]) -> None:
    if idle:
        print()
    for name, res in idle.items():
        if "idle" in res:
            i = res["idle"]
            print(
                f"idle {name:5}: {i['count']} sockets over {i['rooms']} rooms: RSS "
                f"{i['rss_before_mb']:.1f} -> {i['rss_after_mb']:.1f} MB = "
                f"{i['kb_per_connection']:.1f} KB per connection "
                f"(opened in {i['open_s']:.1f} s)"
            )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-ours":
        serve_ours()
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--generator":
        generator_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="40 rooms x 5 x 5 for 20 s, 1,000 idle sockets"
    )
    parser.add_argument("--rooms", type=int)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--rate", type=float, default=5.0, help="updates/s per member")
    parser.add_argument("--duration", type=float)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="load rounds, each running both servers"
    )
    parser.add_argument("--idle", type=int, help="idle sockets for the memory test (0: skip)")
    parser.add_argument("--idle-rooms", type=int, default=50)
    parser.add_argument("--skip-node", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--database-url", help="PostgreSQL URL for ours (default: SQLite)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.rooms = args.rooms or (40 if args.quick else 200)
    args.duration = args.duration or (20.0 if args.quick else 30.0)
    args.idle = (1000 if args.quick else 5000) if args.idle is None else args.idle
    cores = sorted(os.sched_getaffinity(0))
    args.server_core = cores[0] if len(cores) >= 2 else None
    args.generator_core = cores[1] if len(cores) >= 2 else None
    raise_nofile()
    if not args.skip_node and not NODE_SERVER.exists():
        sys.exit(f"{NODE_SERVER} missing: run scripts/install-bench-sync.sh")
    kinds = [
        kind
        for kind in ("ours", "node")
        if not (kind == "ours" and args.skip_ours) and not (kind == "node" and args.skip_node)
    ]
    rounds: list[dict[str, dict[str, Any]]] = []
    idle: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        for index in range(max(1, args.rounds)):
            # The machine's speed drifts (other tenants, clocks): the servers take turns
            # going first, and the ratios are taken per round.
            order = kinds if index % 2 == 0 else kinds[::-1]
            rounds.append({kind: run_bench(bench_load, kind, args, Path(tmp)) for kind in order})
        for kind in kinds:
            result = run_bench(bench_idle, kind, args, Path(tmp))
            if result:
                idle[kind] = result
    report(rounds, args)
    report_idle(idle)
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, "idle": idle}, indent=1))


def run_bench(step: Any, kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    print(f"{kind}: {step.__name__}", flush=True)
    try:
        result: dict[str, Any] = step(kind, args, workdir)
    except Exception as exc:
        log = workdir / f"{kind}.log"
        print(f"{kind} failed: {exc}\n{log.read_text()[-3000:] if log.exists() else ''}")
        raise
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
