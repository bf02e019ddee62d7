"""Jam rooms: a shared clock and transport, note events relayed on it, and takes recorded
into the song.

The pure parts (:mod:`~bandmate.jam.clock`, :mod:`~bandmate.jam.transport`,
:mod:`~bandmate.jam.protocol`, :mod:`~bandmate.jam.take`) know nothing of sockets; the
room (:mod:`~bandmate.jam.room`) queues frames in outboxes that
``bandmate.server.routes_jam`` drains. The wire protocol and close codes are documented
in ``docs/jam.md``.
"""

from __future__ import annotations
