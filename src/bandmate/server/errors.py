"""The one place where errors become HTTP responses.

Every error body has the same shape::

    {"error": {"code": "not_found", "message": "project_id='...' does not exist"}}

Bandmate's error families map to statuses below (the most specific class wins);
FastAPI's validation errors become 422 and Starlette's HTTP errors keep their
status. Bad input is always a 4xx; only a bug or a damaged data folder is a 500,
and an unexpected error's message says nothing about the internals.
"""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bandmate.auth.errors import (
    AuthError,
    InvalidInputError,
    InvitationGoneError,
    NotAuthenticatedError,
    PermissionDeniedError,
    RateLimitedError,
)
from bandmate.errors import BandmateError, FormatError, MusicError
from bandmate.jobs.errors import JobLimitError, JobStateError
from bandmate.store.blobs import CorruptBlobError
from bandmate.store.errors import ConflictError, NotFoundError, StoreError

log = logging.getLogger(__name__)


class ServerError(BandmateError):
    """Root of the HTTP edge's own family."""

    code: ClassVar[str] = "bad_request"


class CsrfError(ServerError):
    """A state-changing request without a valid CSRF token or from a foreign origin."""

    code: ClassVar[str] = "csrf_failed"


class PayloadTooLargeError(ServerError):
    """A request body larger than the configured cap."""

    code: ClassVar[str] = "payload_too_large"


# Most specific first: the first family an error belongs to decides its status; the code is
# the error class's own ``code`` when it has one, else the family's.
STATUS: tuple[tuple[type[BandmateError], int, str], ...] = (
    (CorruptBlobError, 500, "corrupt_blob"),  # the disk's fault, not the client's
    (PayloadTooLargeError, 413, "payload_too_large"),
    (CsrfError, 403, "csrf_failed"),
    (RateLimitedError, 429, "rate_limited"),
    (JobLimitError, 429, "too_many_jobs"),
    (JobStateError, 409, "job_state"),
    (NotAuthenticatedError, 401, "not_authenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (InvitationGoneError, 410, "invitation_gone"),
    (InvalidInputError, 422, "invalid_input"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (MusicError, 422, "invalid_music"),
    (FormatError, 422, "invalid_format"),
    (AuthError, 400, "auth_error"),
    (StoreError, 400, "store_error"),
    (BandmateError, 400, "bad_request"),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}


def status_of(exc: BandmateError) -> tuple[int, str]:
    """The HTTP status and the error code for ``exc``."""
    status, code = next((s, c) for family, s, c in STATUS if isinstance(exc, family))
    own = getattr(type(exc), "code", None)
    return status, own if isinstance(own, str) else code


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"error": {"code": code, "message": message, **extra}}


def error_response(exc: BandmateError) -> JSONResponse:
    """The response for a Bandmate error (also used by middleware outside the router)."""
    status, code = status_of(exc)
    headers = {}
    if isinstance(exc, RateLimitedError | JobLimitError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return JSONResponse(error_body(code, str(exc)), status_code=status, headers=headers)


def _describe(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    # Never echo the offending input: it may be a password.
    details = [
        {"field": ".".join(str(part) for part in e.get("loc", ())), "rule": str(e.get("msg", ""))}
        for e in errors[:20]
    ]
    first = details[0] if details else {"field": "body", "rule": "is invalid"}
    return f"{first['field']}: {first['rule']}", details


async def _on_bandmate_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BandmateError)
    return error_response(exc)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, details = _describe(list(exc.errors()))
    return JSONResponse(error_body("invalid_input", message, details=details), status_code=422)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return JSONResponse(error_body("internal", "internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(BandmateError, _on_bandmate_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
