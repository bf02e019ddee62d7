"""The Bandmate server as a process of its own, for tests that kill it (SIGKILL) and restart it.

Usage: ``python tests/server/sync_server.py COMPACT_EVERY``, configured like
``bandmate serve`` by ``BANDMATE_*`` variables (data folder, database URL, secret, port).
Rooms write a snapshot every ``COMPACT_EVERY`` updates so that restarts load from
snapshots and tails, and close one second after their last member leaves.
"""

from __future__ import annotations

import dataclasses
import sys

import uvicorn

from bandmate.server import create_app, settings_from_env
from bandmate.server.app import PROJECT_SOCKETS
from bandmate.server.logs import configure_logging
from bandmate.server.routes_sync import rooms_of
from bandmate.server.wsconn import lean_ws


def main(argv: list[str]) -> None:
    """Serve until killed."""
    compact_every = int(argv[1])
    settings = dataclasses.replace(settings_from_env(), seed_demo=False)
    configure_logging(settings.log_level)
    app = create_app(settings)
    rooms = rooms_of(app)
    rooms.limits = dataclasses.replace(rooms.limits, compact_every=compact_every, close_grace_s=1.0)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        ws=lean_ws(PROJECT_SOCKETS),  # as ``bandmate serve`` runs it (with uvloop)
        ws_max_size=settings.max_body_bytes,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(sys.argv)
