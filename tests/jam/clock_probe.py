"""Estimate the server clock from another process (and network namespace), as a player would.

Usage: ``python -m tests.jam.clock_probe URL TOKEN SKEW_MS EXCHANGES INTERVAL_MS``; the
client's clock is this machine's plus ``SKEW_MS``. Prints the last estimate as JSON,
plus each exchange's raw offset (to show what the filter had to work with).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from tests.jam.jam_client import JamClient


async def main(argv: list[str]) -> None:
    """Run the exchanges and print the estimate."""
    url, token, skew = argv[1], argv[2], float(argv[3])
    exchanges, interval_s = int(argv[4]), float(argv[5]) / 1000
    client = JamClient(url, token, skew_ms=skew)
    await client.connect()
    await client.next_of("welcome")
    estimate = None
    for _ in range(exchanges):
        estimate = await client.ping()
        await asyncio.sleep(interval_s)
    await client.close()
    assert estimate is not None
    print(
        json.dumps(
            {**dataclasses.asdict(estimate), "raw_offsets": [s.offset for s in client.samples]}
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
