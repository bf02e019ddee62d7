"""A TCP proxy that delays each direction by ``delay_ms`` +- ``jitter_ms`` (uniform), in order.

Stands in for ``tc qdisc ... netem delay`` where the kernel has no netem: every chunk
read from one side is written to the other ``delay + U(-jitter, jitter)`` milliseconds
later, never before the chunk ahead of it (TCP keeps order, as it does through netem).

Usage: ``python -m tests.jam.delay_proxy LISTEN_HOST TARGET_HOST TARGET_PORT DELAY_MS
JITTER_MS SEED``; prints the port it listens on, then serves until killed.
"""

from __future__ import annotations

import asyncio
import random
import sys


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay_s: float,
    jitter_s: float,
    rng: random.Random,
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            at, data = await queue.get()
            if not data:
                writer.close()
                return
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(deliver())
    last = 0.0
    try:
        while True:
            data = await reader.read(1 << 16)
            at = max(last, loop.time() + delay_s + rng.uniform(-jitter_s, jitter_s))
            last = at
            queue.put_nowait((at, data))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()
        writer.close()


async def main(argv: list[str]) -> None:
    """Serve until killed."""
    listen_host, target_host, target_port = argv[1], argv[2], int(argv[3])
    delay_s, jitter_s, seed = float(argv[4]) / 1000, float(argv[5]) / 1000, int(argv[6])
    rng = random.Random(seed)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        await asyncio.gather(
            _pipe(reader, up_writer, delay_s, jitter_s, rng),
            _pipe(up_reader, writer, delay_s, jitter_s, rng),
        )

    server = await asyncio.start_server(handle, listen_host, 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
