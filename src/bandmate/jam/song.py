"""Writing a take into the project's song, through the sync layer's own path.

The take's track is made as an update against a copy of the room's document and handed
to the room like any member's update (:meth:`bandmate.sync.room.Room.receive`): it is
checked, appended to the update log with the player as its author, committed, applied
and only then broadcast to every open studio. The writer joins the sync room for the
duration (loading it from the log if no studio has it open) and leaves after.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map

from bandmate.jam.errors import TakeError
from bandmate.jam.take import Take, take_to_track
from bandmate.music.song import DEFAULT_PPQ
from bandmate.sync.edit import add_track
from bandmate.sync.protocol import SyncUpdate, encode_message
from bandmate.sync.room import Seed
from bandmate.sync.rooms import Rooms
from bandmate.sync.update import apply_update, encode_diff, encode_state, encode_state_vector


def _ppq(doc: Doc[Any]) -> int:
    ppq = doc.get("meta", type=Map).get("ppq")
    if isinstance(ppq, int | float) and 1 <= ppq <= 32767 and float(ppq).is_integer():
        return int(ppq)
    return DEFAULT_PPQ


async def write_take(rooms: Rooms, project_id: str, take: Take, *, seed: Seed | None) -> str:
    """Add ``take`` to the project's song as a new track authored by its player.

    Args:
        rooms: The sync rooms of this server.
        project_id: The project.
        take: An ended take.
        seed: Makes the song's first update if its log is empty.

    Returns:
        The new track's id.

    Raises:
        TakeError: The take holds no note.
        Exception: What the sync room raises (a viewer, the log failing, too big).
    """
    member = rooms.new_member(take.user_id, can_edit=True)
    room = await rooms.join(project_id, member, seed=seed)
    try:
        copy: Doc[Any] = Doc()
        apply_update(copy, encode_state(room.doc))
        track = take_to_track(take, ppq=_ppq(copy))
        before = encode_state_vector(copy)
        track_id = add_track(copy, track)
        update = encode_diff(copy, before)
        if not update:
            raise TakeError("the take changed nothing")
        await room.receive(member, encode_message(SyncUpdate(update)))
        return track_id
    finally:
        rooms.leave(room, member)
