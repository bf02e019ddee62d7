"""The jam rooms of one server process: made on the first join, dropped after the last leave.

A jam room holds nothing durable (the song is the sync layer's; takes are written there
as they end), so an empty room is simply forgotten.
"""

from __future__ import annotations

from bandmate.jam.room import Clock, JamLimits, JamRoom, Player, wall_clock_ms
from bandmate.jam.take import Take


class JamRooms:
    """The room manager.

    Args:
        limits: Limits for rooms and connections; may be replaced before the first join.
        clock: The server clock (ms).
    """

    def __init__(self, *, limits: JamLimits | None = None, clock: Clock = wall_clock_ms) -> None:
        self.limits = limits or JamLimits()
        self.clock = clock
        self._rooms: dict[str, JamRoom] = {}

    def get(self, project_id: str) -> JamRoom | None:
        """The open room of ``project_id``, if any."""
        return self._rooms.get(project_id)

    def join(self, project_id: str, user_id: str, name: str, *, can_play: bool) -> Player:
        """Add a player to the project's room, opening the room if needed.

        Raises:
            JamError: The room is full.
        """
        room = self._rooms.get(project_id)
        if room is None:
            room = JamRoom(project_id, limits=self.limits, clock=self.clock)
            self._rooms[project_id] = room
        try:
            return room.join(user_id, name, can_play=can_play)
        finally:
            if not room.players:
                del self._rooms[project_id]

    def leave(self, room: JamRoom, player: Player) -> Take | None:
        """Remove ``player``; returns its unfinished take, ended now."""
        take = room.leave(player)
        if not room.players and self._rooms.get(room.project_id) is room:
            del self._rooms[room.project_id]
        return take

    def remove_user(self, project_id: str, user_id: str) -> None:
        """Close every jam connection of ``user_id`` to ``project_id`` (4403)."""
        room = self._rooms.get(project_id)
        if room is not None:
            room.close_user(user_id, 4403, f"removed from project {project_id}")

    def set_can_play(self, project_id: str, user_id: str, can_play: bool) -> None:
        """Grant or withdraw playing to ``user_id``'s connections, at once."""
        room = self._rooms.get(project_id)
        if room is not None:
            room.set_can_play(user_id, can_play)

    def close_all(self) -> None:
        """Close every connection (1001): the server is shutting down."""
        for room in self._rooms.values():
            for player in room.players.values():
                player.outbox.close(1001, "server shutting down")
