"""``/api/projects`` and ``/api/invitations``: projects, members and invitation links.

Rights (see :mod:`bandmate.auth.rights`): anonymous callers get 401; a project
the caller is not a member of answers 404 as if it did not exist; a member whose
role is too low gets 403.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool

from bandmate.server.routes_jam import clean_up_stems, stem_leftovers
from bandmate.server.routes_listen import clean_up_uploads, upload_leftovers
from bandmate.server.schemas import (
    CreatedInvitationOut,
    ErrorOut,
    InvitationOut,
    InvitationToken,
    MemberOut,
    NewInvitation,
    NewProject,
    ProjectOut,
    Rename,
    RoleChange,
)
from bandmate.server.services import StudioDep, UserDep
from bandmate.store.errors import NotFoundError

router = APIRouter(tags=["projects"])

_COMMON: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "Role too low, or CSRF check failed"},
    404: {"model": ErrorOut, "description": "No such project (or not a member)"},
}
_CONFLICT: dict[int | str, dict[str, object]] = {
    **_COMMON,
    409: {"model": ErrorOut, "description": "The project would be left without an owner"},
}

MIDI_TYPE = "audio/midi"


@router.post("/api/projects", status_code=status.HTTP_201_CREATED, responses=_COMMON)
async def create_project(body: NewProject, user: UserDep, studio: StudioDep) -> ProjectOut:
    """Create a project; the caller becomes its owner."""
    return ProjectOut.of(await studio.projects.create(user, body.name))


@router.get("/api/projects", responses=_COMMON)
async def list_projects(user: UserDep, studio: StudioDep) -> list[ProjectOut]:
    """The caller's projects, most recently active first."""
    return [ProjectOut.of(a) for a in await studio.projects.list_for(user)]


@router.get("/api/projects/{project_id}", responses=_COMMON)
async def get_project(project_id: str, user: UserDep, studio: StudioDep) -> ProjectOut:
    """One project (any member)."""
    return ProjectOut.of(await studio.projects.access(user, project_id))


@router.patch("/api/projects/{project_id}", responses=_COMMON)
async def rename_project(
    project_id: str, body: Rename, user: UserDep, studio: StudioDep
) -> ProjectOut:
    """Rename a project (editors and owners)."""
    return ProjectOut.of(await studio.projects.rename(user, project_id, body.name))


@router.delete(
    "/api/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_COMMON
)
async def delete_project(
    project_id: str, request: Request, user: UserDep, studio: StudioDep
) -> None:
    """Delete a project and everything in it (owners), its jobs, stems, uploaded loops and
    their files included."""
    leftovers = await studio.jobs.project_leftovers(project_id)
    stems = await stem_leftovers(studio, project_id)
    uploads = await upload_leftovers(studio, project_id)
    await studio.projects.delete(user, project_id)
    await studio.jobs.clean_up(leftovers)
    await clean_up_stems(request.app, project_id, stems)
    await clean_up_uploads(studio, project_id, uploads)


@router.get(
    "/api/projects/{project_id}/song.mid",
    response_class=Response,
    responses={**_COMMON, 200: {"content": {MIDI_TYPE: {}}, "description": "A MIDI file"}},
)
async def get_song_midi(project_id: str, user: UserDep, studio: StudioDep) -> Response:
    """The project's seed song as a Standard MIDI File (any member; 404 when it has none)."""
    access = await studio.projects.access(user, project_id)
    digest = access.project.song_blob
    if digest is None:
        raise NotFoundError(f"project {project_id!r} has no song file")
    data = await run_in_threadpool(studio.blobs.get, digest)
    return Response(content=data, media_type=MIDI_TYPE)


@router.get("/api/projects/{project_id}/members", responses=_COMMON)
async def list_members(project_id: str, user: UserDep, studio: StudioDep) -> list[MemberOut]:
    """The members of a project (any member)."""
    return [MemberOut.of(m) for m in await studio.projects.members(user, project_id)]


@router.patch("/api/projects/{project_id}/members/{user_id}", responses=_CONFLICT)
async def change_role(
    project_id: str, user_id: str, body: RoleChange, user: UserDep, studio: StudioDep
) -> MemberOut:
    """Give a member another role (owners; the last owner cannot step down)."""
    return MemberOut.of(await studio.projects.set_role(user, project_id, user_id, body.role))


@router.delete(
    "/api/projects/{project_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_CONFLICT,
)
async def remove_member(project_id: str, user_id: str, user: UserDep, studio: StudioDep) -> None:
    """Remove a member (owners; never the last owner). Their live connections close."""
    await studio.projects.remove_member(user, project_id, user_id)


@router.post(
    "/api/projects/{project_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses=_COMMON,
)
async def create_invitation(
    project_id: str, body: NewInvitation, user: UserDep, studio: StudioDep
) -> CreatedInvitationOut:
    """Create an invitation link (owners). The token is shown only in this response."""
    invitation, token = await studio.projects.invite(
        user,
        project_id,
        body.role,
        expires_in=timedelta(seconds=body.expires_in_s),
        max_uses=body.max_uses,
    )
    shown = InvitationOut.of(invitation).model_dump()
    return CreatedInvitationOut(**shown, token=token, link=f"/invite/{token}")


@router.get("/api/projects/{project_id}/invitations", responses=_COMMON)
async def list_invitations(
    project_id: str, user: UserDep, studio: StudioDep
) -> list[InvitationOut]:
    """A project's invitations, without their tokens (owners)."""
    return [InvitationOut.of(i) for i in await studio.projects.invitations(user, project_id)]


@router.delete(
    "/api/projects/{project_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_COMMON,
)
async def revoke_invitation(
    project_id: str, invitation_id: str, user: UserDep, studio: StudioDep
) -> None:
    """Revoke an invitation so its link stops working (owners)."""
    await studio.projects.revoke(user, project_id, invitation_id)


@router.post(
    "/api/invitations/accept",
    responses={
        **_COMMON,
        404: {"model": ErrorOut, "description": "No invitation has this token"},
        410: {"model": ErrorOut, "description": "Invitation expired or used up"},
    },
)
async def accept_invitation(body: InvitationToken, user: UserDep, studio: StudioDep) -> ProjectOut:
    """Join a project with an invitation token; members keep their role."""
    return ProjectOut.of(await studio.projects.accept(user, body.token))
