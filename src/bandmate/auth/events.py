"""In-process membership events, so the sync layer can react when rights change.

The sync layer registers callbacks; the project service fires them right after
the change is committed, before the HTTP response goes out, so a removed member's
sockets can be closed within the same second::

    events.on_member_removed(close_sockets)   # close_sockets(project_id, user_id)

Callbacks may be plain functions or coroutines. One that raises is logged and
does not stop the others or the request.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from bandmate.store.records import Role

log = logging.getLogger(__name__)

MemberRemoved = Callable[[str, str], Awaitable[None] | None]
RoleChanged = Callable[[str, str, Role], Awaitable[None] | None]


class MemberEvents:
    """A registry of callbacks for membership changes."""

    def __init__(self) -> None:
        self._removed: list[MemberRemoved] = []
        self._role_changed: list[RoleChanged] = []

    def on_member_removed(self, callback: MemberRemoved) -> Callable[[], None]:
        """Call ``callback(project_id, user_id)`` whenever someone loses access to a project.

        Fired when a member is removed and, for every member, when a project is deleted.

        Returns:
            A function that unregisters the callback.
        """
        self._removed.append(callback)
        return lambda: self._removed.remove(callback)

    def on_role_changed(self, callback: RoleChanged) -> Callable[[], None]:
        """Call ``callback(project_id, user_id, new_role)`` whenever a member's role changes.

        Returns:
            A function that unregisters the callback.
        """
        self._role_changed.append(callback)
        return lambda: self._role_changed.remove(callback)

    async def member_removed(self, project_id: str, user_id: str) -> None:
        """Tell every registered callback that ``user_id`` left ``project_id``."""
        for callback in list(self._removed):
            await _call(callback, project_id, user_id)

    async def role_changed(self, project_id: str, user_id: str, role: Role) -> None:
        """Tell every registered callback that ``user_id`` now holds ``role``."""
        for callback in list(self._role_changed):
            await _call(callback, project_id, user_id, role)


async def _call(callback: Callable[..., Awaitable[None] | None], *args: str) -> None:
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("membership callback %r failed", callback, extra={"event_args": args})
