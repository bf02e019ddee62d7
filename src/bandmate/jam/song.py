"""Writing a take into the project's song, through the sync layer's own path.

The take's track is made as an update against a copy of the room's document and handed
to the room like any member's update (:meth:`bandmate.sync.room.Room.receive`): it is
checked, appended to the update log with the player as its author, committed, applied
and only then broadcast to every open studio. The writer joins the sync room for the
duration (loading it from the log if no studio has it open) and leaves after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map

from bandmate.jam.errors import TakeError
from bandmate.jam.take import Take, take_to_track
from bandmate.music.song import DEFAULT_PPQ, Track
from bandmate.sync.document import root_map, to_shared
from bandmate.sync.edit import add_track
from bandmate.sync.protocol import SyncUpdate, encode_message
from bandmate.sync.room import Seed
from bandmate.sync.rooms import Rooms
from bandmate.sync.schema import new_id
from bandmate.sync.update import apply_update, encode_diff, encode_state_vector


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
    return await _write(
        rooms,
        project_id,
        take.user_id,
        lambda copy: add_track(copy, take_to_track(take, ppq=_ppq(copy))),
        seed=seed,
    )


@dataclass(frozen=True, slots=True)
class StemClip:
    """An audio take to place in the song: a stored stem on a track of its own.

    Attributes:
        user_id: The player who recorded it (the track's author).
        name: The track's name.
        blob: The stem's blob digest (SHA-256).
        mime: ``audio/webm``, ``audio/ogg`` or ``audio/wav``.
        start_quarter: Where its first sample lies, in quarter notes from the song's start
            (negative when the recording began during the count-in).
        duration_ms: Its length.
    """

    user_id: str
    name: str
    blob: str
    mime: str
    start_quarter: float
    duration_ms: float


def add_stem_track(doc: Doc[Any], clip: StemClip) -> str:
    """Add ``clip`` to ``doc`` as an ``audio`` track holding one clip; the new track's id.

    The track is an ordinary track (so every reader that knows only note tracks still
    reads the song) with ``kind: "audio"`` and a ``clips`` map (``docs/jam.md``): readers
    that do not know these keys ignore them.
    """
    ppq = _ppq(doc)
    # A clip starts at a tick >= 0; a recording that began in the count-in starts at tick 0
    # with the part before bar 0 skipped (``offset_q`` quarters into the recording).
    offset_q = max(0.0, -clip.start_quarter)
    with doc.transaction():
        track_id = add_track(doc, Track(name=clip.name))
        entry = root_map(doc, "tracks")[track_id]
        entry["kind"] = "audio"
        entry["clips"] = to_shared(
            {
                new_id(): {
                    "blob": clip.blob,
                    "mime": clip.mime,
                    "start": round(max(0.0, clip.start_quarter) * ppq),
                    "offset": round(offset_q * ppq),
                    "duration_ms": clip.duration_ms,
                    "author": clip.user_id,
                }
            }
        )
    return track_id


async def write_stem(rooms: Rooms, project_id: str, clip: StemClip, *, seed: Seed | None) -> str:
    """Add an audio take to the project's song as a new ``audio`` track authored by its
    player (through the sync room, like :func:`write_take`); the new track's id."""
    return await _write(
        rooms, project_id, clip.user_id, lambda c: add_stem_track(c, clip), seed=seed
    )


async def _write(
    rooms: Rooms,
    project_id: str,
    user_id: str,
    edit: Callable[[Doc[Any]], str],
    *,
    seed: Seed | None,
) -> str:
    member = rooms.new_member(user_id, can_edit=True)
    room = await rooms.join(project_id, member, seed=seed)
    try:
        copy: Doc[Any] = Doc()
        apply_update(copy, await room.committed_state())
        before = encode_state_vector(copy)
        track_id = edit(copy)
        update = encode_diff(copy, before)
        if not update:
            raise TakeError("the take changed nothing")
        await room.receive(member, encode_message(SyncUpdate(update)))
        return track_id
    finally:
        rooms.leave(room, member)
