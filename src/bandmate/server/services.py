"""The services one server process shares, and the FastAPI dependencies that reach them.

:class:`Studio` is what request handlers (and the sync layer's WebSocket handler)
reach through ``app.state.studio``: the database, blobs, the update log, the
account and project services, the membership event bus and the job runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from bandmate.auth.accounts import Accounts
from bandmate.auth.credentials import Passwords
from bandmate.auth.events import MemberEvents
from bandmate.auth.projects import Projects
from bandmate.auth.ratelimit import MemoryRateLimiter
from bandmate.jobs.pool import LocalPool
from bandmate.jobs.runner import JobRunner
from bandmate.server.security import SESSION_COOKIE
from bandmate.server.settings import Settings
from bandmate.store.blobs import BlobStore
from bandmate.store.engine import Database
from bandmate.store.jobs import JobStore, Limits
from bandmate.store.records import User
from bandmate.store.updates import SqlUpdateLog, UpdateLog


@dataclass(frozen=True, slots=True)
class Studio:
    """Everything a request may need, created once per app."""

    settings: Settings
    database: Database
    blobs: BlobStore
    updates: UpdateLog
    events: MemberEvents
    accounts: Accounts
    projects: Projects
    jobs: JobRunner

    async def close(self) -> None:
        """Release the database connections."""
        await self.database.close()


def build_studio(settings: Settings) -> Studio:
    """Create the services for ``settings`` (no connection is opened yet)."""
    database = Database(settings.database_url)
    events = MemberEvents()
    accounts = Accounts(
        database,
        Passwords(settings.password_cost),
        per_user=MemoryRateLimiter(
            limit=settings.login_max_per_user, window_s=settings.login_window_s
        ),
        per_address=MemoryRateLimiter(
            limit=settings.login_max_per_address, window_s=settings.login_window_s
        ),
        session_ttl=timedelta(seconds=settings.session_ttl_s),
    )
    blobs = BlobStore(settings.blob_dir)
    updates = SqlUpdateLog(database)
    jobs = JobRunner(
        JobStore(database),
        updates=updates,
        blobs=blobs,
        pool=LocalPool(settings.job_workers),
        work_dir=settings.job_dir,
        limits=Limits(per_project=settings.jobs_per_project, per_user=settings.jobs_per_user),
    )
    return Studio(
        settings=settings,
        database=database,
        blobs=blobs,
        updates=updates,
        events=events,
        accounts=accounts,
        projects=Projects(database, events),
        jobs=jobs,
    )


def studio_of(app: FastAPI) -> Studio:
    """The :class:`Studio` of an app made by :func:`bandmate.server.create_app`."""
    studio = app.state.studio
    if not isinstance(studio, Studio):
        raise TypeError(f"app.state.studio={studio!r} is not a Studio")
    return studio


# FastAPI dependencies ----------------------------------------------------------------------


def get_studio(request: Request) -> Studio:
    """The app's shared services."""
    return studio_of(request.app)


def session_token(request: Request) -> str | None:
    """The session token from the cookie, if any."""
    return request.cookies.get(SESSION_COOKIE)


async def current_user(
    studio: Annotated[Studio, Depends(get_studio)],
    token: Annotated[str | None, Depends(session_token)],
) -> User:
    """The signed-in user; 401 without a valid session."""
    return await studio.accounts.require_user(token)


def client_address(request: Request) -> str:
    """The client's address (the proxy's view when uvicorn trusts forwarded headers)."""
    return request.client.host if request.client else "unknown"


StudioDep = Annotated[Studio, Depends(get_studio)]
UserDep = Annotated[User, Depends(current_user)]
TokenDep = Annotated[str | None, Depends(session_token)]
AddressDep = Annotated[str, Depends(client_address)]
