"""``/api/projects/{id}/jobs`` and ``/api/jobs/{id}``: background jobs and their results.

Renders, exports, mastering and releases take seconds to minutes, so a request only
queues a job (201) and the client watches it: ``GET /api/jobs/{id}/events`` is a
Server-Sent Events stream of the job (``event: job``, the :class:`JobOut` as JSON) each
time it changes, ending once it has ended; ``GET /api/jobs/{id}`` polls the same thing.
A succeeded job's file is at ``GET /api/jobs/{id}/result``.

Rights: any member may start an export or a render (reading the song) and see the
project's jobs; mastering and releasing need an editor or owner (403 for a viewer).
Cancelling or deleting a job is for whoever asked for it and the project's owners.
A job of a project the caller is not a member of answers 404, as a missing one does.
More than ``settings.jobs_per_project`` unfinished jobs in a project (or
``jobs_per_user`` by one person) is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, status
from fastapi.responses import FileResponse, Response, StreamingResponse

from bandmate.auth.errors import PermissionDeniedError
from bandmate.jobs.errors import JobStateError
from bandmate.jobs.specs import NEEDED_ROLE, JobSpec
from bandmate.server.schemas import ErrorOut, JobOut
from bandmate.server.services import Studio, StudioDep, UserDep
from bandmate.store.errors import NotFoundError
from bandmate.store.jobs import Job
from bandmate.store.records import Access, User

router = APIRouter(tags=["jobs"])

_COMMON: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "Role too low, or CSRF check failed"},
    404: {"model": ErrorOut, "description": "No such project or job (or not a member)"},
}
_SUBMIT: dict[int | str, dict[str, object]] = {
    **_COMMON,
    429: {"model": ErrorOut, "description": "Too many unfinished jobs; see Retry-After"},
}
_STATE: dict[int | str, dict[str, object]] = {
    **_COMMON,
    409: {"model": ErrorOut, "description": "The job is not in a state that allows this"},
}

KEEPALIVE_S = 15.0
"""An SSE comment line is sent after this long without news, so that proxies keep the
stream open."""

SpecBody = Annotated[
    JobSpec,
    Body(
        openapi_examples={
            "render": {"value": {"kind": "render", "format": "wav", "sample_rate": 44100}},
            "midi": {"value": {"kind": "export-midi"}},
            "master": {"value": {"kind": "master", "target": "spotify"}},
            "release": {"value": {"kind": "release", "title": "Song", "artists": ["Band"]}},
        }
    ),
]


async def _job(studio: Studio, user: User, job_id: str) -> tuple[Job, Access]:
    """The job and the caller's access to its project; 404 for non-members."""
    try:
        job = await studio.jobs.get(job_id)
        access = await studio.projects.access(user, job.project_id)
    except NotFoundError:
        raise NotFoundError(f"job_id={job_id[:40]!r} does not exist") from None
    return job, access


def _may_manage(job: Job, access: Access, user: User) -> None:
    if job.requester_id != user.id and access.role != "owner":
        raise PermissionDeniedError(
            f"job {job.id!r} was started by someone else; only they and the project's "
            "owners may cancel or delete it"
        )


@router.post(
    "/api/projects/{project_id}/jobs", status_code=status.HTTP_201_CREATED, responses=_SUBMIT
)
async def create_job(project_id: str, spec: SpecBody, user: UserDep, studio: StudioDep) -> JobOut:
    """Start a job on the project's current song (exports and renders: any member; master
    and release: editors and owners)."""
    access = await studio.projects.access(user, project_id, NEEDED_ROLE[spec.kind])
    return JobOut.of(await studio.jobs.submit(access.project, user.id, spec))


@router.get("/api/projects/{project_id}/jobs", responses=_COMMON)
async def list_jobs(project_id: str, user: UserDep, studio: StudioDep) -> list[JobOut]:
    """The project's jobs, newest first (any member; the 50 most recent)."""
    await studio.projects.access(user, project_id)
    return [JobOut.of(j) for j in await studio.jobs.list_for_project(project_id)]


@router.get("/api/jobs/{job_id}", responses=_COMMON)
async def get_job(job_id: str, user: UserDep, studio: StudioDep) -> JobOut:
    """One job (any member of its project)."""
    job, _ = await _job(studio, user, job_id)
    return JobOut.of(job)


@router.get(
    "/api/jobs/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        **_COMMON,
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: job` with the job as JSON at each change, until it ends",
        },
    },
)
async def job_events(job_id: str, user: UserDep, studio: StudioDep) -> StreamingResponse:
    """Server-Sent Events: the job now and at each change of state or progress; the stream
    ends after the event that shows it ended (any member)."""
    await _job(studio, user, job_id)

    async def events() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        last: str | None = None
        sent = time.monotonic()
        try:
            async for job in studio.jobs.watch(job_id):
                data = JobOut.of(job).model_dump_json()
                if data != last:
                    last, sent = data, time.monotonic()
                    yield f"event: job\ndata: {data}\n\n"
                elif time.monotonic() - sent >= KEEPALIVE_S:
                    sent = time.monotonic()
                    yield ": still waiting\n\n"
        except NotFoundError:
            yield 'event: gone\ndata: {"message": "the job was deleted"}\n\n'

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/api/jobs/{job_id}/result",
    response_class=FileResponse,
    responses={
        **_STATE,
        200: {"content": {"application/octet-stream": {}}, "description": "The job's file"},
    },
)
async def job_result(job_id: str, user: UserDep, studio: StudioDep) -> Response:
    """Download a succeeded job's file (any member), as an attachment named after the song."""
    job, _ = await _job(studio, user, job_id)
    if job.result is None:
        raise JobStateError(f"job {job.id!r} has no result: it is {job.state}")
    path = studio.blobs.path_of(job.result.blob)
    if not path.is_file():
        raise NotFoundError(f"the result of job {job.id!r} is no longer stored")
    return FileResponse(
        path,
        media_type=job.result.media_type,
        filename=job.result.name,
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.post("/api/jobs/{job_id}/cancel", responses=_STATE)
async def cancel_job(job_id: str, user: UserDep, studio: StudioDep) -> JobOut:
    """Cancel a queued or running job (whoever started it, or an owner); 409 once ended."""
    job, access = await _job(studio, user, job_id)
    _may_manage(job, access, user)
    return JobOut.of(await studio.jobs.cancel(job, f"cancelled by {user.username}"))


@router.delete("/api/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_COMMON)
async def delete_job(job_id: str, user: UserDep, studio: StudioDep) -> None:
    """Delete a job and its file, cancelling it first if it has not ended (whoever started
    it, or an owner)."""
    job, access = await _job(studio, user, job_id)
    _may_manage(job, access, user)
    await studio.jobs.delete(job)
