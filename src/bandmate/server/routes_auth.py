"""``/api/auth``: sign up, sign in, sign out, who am I, and the CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from bandmate.server.schemas import Credentials, CsrfOut, ErrorOut, UserOut
from bandmate.server.security import CSRF_SCOPE_KEY, clear_session_cookie, set_session_cookie
from bandmate.server.services import AddressDep, StudioDep, TokenDep, UserDep

router = APIRouter(prefix="/api/auth", tags=["auth"])

_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorOut, "description": "CSRF token missing or wrong, or a foreign origin"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


@router.get("/csrf")
async def csrf(request: Request) -> CsrfOut:
    """The token to send as ``X-CSRF-Token`` on every state-changing request.

    The same value is set as the ``bandmate_csrf`` cookie.
    """
    return CsrfOut(csrf_token=str(request.scope[CSRF_SCOPE_KEY]))


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 409: {"model": ErrorOut, "description": "Username taken"}},
)
async def sign_up(
    body: Credentials, request: Request, response: Response, studio: StudioDep
) -> UserOut:
    """Create an account and sign in. Sets the HttpOnly session cookie."""
    user, token = await studio.accounts.sign_up(body.username, body.password)
    set_session_cookie(response, request.scope, token, max_age=studio.settings.session_ttl_s)
    return UserOut.of(user)


@router.post(
    "/signin",
    responses={
        **_ERRORS,
        401: {"model": ErrorOut, "description": "Wrong username or password"},
        429: {"model": ErrorOut, "description": "Too many failures; see Retry-After"},
    },
)
async def sign_in(
    body: Credentials,
    request: Request,
    response: Response,
    studio: StudioDep,
    address: AddressDep,
) -> UserOut:
    """Sign in with username and password. Sets the HttpOnly session cookie."""
    user, token = await studio.accounts.sign_in(body.username, body.password, address=address)
    set_session_cookie(response, request.scope, token, max_age=studio.settings.session_ttl_s)
    return UserOut.of(user)


@router.post("/signout", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def sign_out(
    request: Request, response: Response, studio: StudioDep, token: TokenDep
) -> None:
    """End the current session (if any) and clear its cookie."""
    if token:
        await studio.accounts.sign_out(token)
    clear_session_cookie(response, request.scope)


@router.get("/me", responses={401: {"model": ErrorOut, "description": "Not signed in"}})
async def me(user: UserDep) -> UserOut:
    """The signed-in user."""
    return UserOut.of(user)
