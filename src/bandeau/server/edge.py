"""Where the domain meets HTTP: errors become one JSON shape with a status chosen here, CORS
headers, the headers every response carries, the decision body's size and type checks, and the
admin token check.

Every error leaves as `{"error": {"code", "message", "field", "hint"}}`: bandeau's own errors
with the status `STATUS` gives their code, framework errors (validation, unknown route or
method) with theirs, and anything unexpected as a logged 500 `internal_error`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, cast

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import BandeauError, Forbidden, PayloadTooLarge, UnsupportedMediaType
from .context import context

__all__ = [
    "STATUS",
    "accept_origin",
    "bearer",
    "cors_headers",
    "error_response",
    "etag_matches",
    "install_error_handlers",
    "read_json_body",
    "require_admin",
]

logger = logging.getLogger(__name__)
Handler = Callable[[Request, Exception], Awaitable[JSONResponse]]

# The HTTP status of each error code; a code not listed is a 400. The errors themselves know
# nothing of HTTP (the CLI shows the same errors as one line and an exit code).
STATUS: Final[dict[str, int]] = {
    "malformed_json": 400,
    "forbidden": 403,
    "origin_not_allowed": 403,
    "retry_not_proven": 403,
    "unknown_site": 404,
    "not_found": 404,
    "stale_policy": 409,
    "duplicate_decision": 409,
    "not_checkpointed": 409,
    "unknown_notice": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_request": 422,
    "rate_limited": 429,
    "storage_error": 503,
}
RETRY_AFTER: Final[dict[str, str]] = {"rate_limited": "60", "storage_error": "5"}


def status_of(error: BandeauError) -> int:
    return STATUS.get(error.code, 400)


# Every response says how it may be cached; one that says nothing else is not stored (decisions,
# histories, receipts and errors carry personal data or answer one request; docs/api.md).
DEFAULT_CACHE_CONTROL: Final = "no-store"
NOSNIFF: Final = {"X-Content-Type-Options": "nosniff"}


def cors_headers(origin: str) -> dict[str, str]:
    """The headers that let the page at `origin` read the answer (its banner's fetch). No
    credentials: the banner sends its token in the body and sets the cookie itself."""
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def accept_origin(request: Request, origin: str) -> dict[str, str]:
    """Mark `origin` as one the route allows (a site's listed origin, checked by the caller),
    so that an error after this point is readable by that page too; its CORS headers."""
    request.state.cors_origin = origin
    return cors_headers(origin)


def error_response(
    request: Request, status: int, code: str, message: str, field: str = "", hint: str = ""
) -> JSONResponse:
    """The one error shape. CORS headers only for an origin the route accepted before failing
    (`accept_origin`): any other Origin is never echoed."""
    body = {"error": {"code": code, "message": message, "field": field, "hint": hint}}
    origin: str = getattr(request.state, "cors_origin", "")
    headers = {**(cors_headers(origin) if origin else {}), **NOSNIFF}
    headers["Cache-Control"] = DEFAULT_CACHE_CONTROL  # a 500 leaves outside `SecurityHeaders`
    if code in RETRY_AFTER:
        headers["Retry-After"] = RETRY_AFTER[code]
    return JSONResponse(body, status_code=status, headers=headers)


async def bandeau_error(request: Request, exc: BandeauError) -> JSONResponse:
    status = status_of(exc)
    if status >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    response = error_response(request, status, exc.code, exc.message, exc.field, exc.hint)
    if getattr(exc, "retry_after", 0):  # an error that knows when to come back (a receipt)
        response.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"][1:])
    return error_response(request, 422, "invalid_request", str(first["msg"]), field)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = error_response(request, exc.status_code, code, str(exc.detail))
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at the request's path (several routes may share a path,
    one per method: Starlette's own `Allow` names only the first route's)."""
    path = request.url.path
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return sorted(methods)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug, not a bad request: logged with its traceback, answered in the one shape."""
    logger.error("%s %s crashed", request.method, request.url.path, exc_info=exc)
    return error_response(
        request,
        500,
        "internal_error",
        "the server failed to handle this request",
        hint="nothing was recorded; retry later, and report it if it persists",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Errors in the one shape, and the headers every response carries (`SecurityHeaders`)."""
    # Starlette types a handler as taking any Exception; each of these is registered for the
    # one class it is written for.
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(BandeauError, cast(Handler, bandeau_error))
    app.add_exception_handler(RequestValidationError, cast(Handler, validation_error))
    app.add_exception_handler(HTTPException, cast(Handler, http_error))
    app.add_exception_handler(Exception, unexpected_error)


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` on every response, and `Cache-Control: no-store` on
    every one that does not say how it may be cached. Pure ASGI: it touches only the start
    message's header list (the decision route is the hot path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", DEFAULT_CACHE_CONTROL.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (or `*`), compared weakly as RFC 9110 says
    for this header: each listed tag whole, never a substring of another."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def require_admin(request: Request) -> None:
    """Admin endpoints need `Authorization: Bearer ADMIN_TOKEN`; without the setting they are
    off."""
    expected = context(request).settings.admin_token
    if not expected:
        raise Forbidden(
            "admin endpoints are disabled",
            hint="set admin_token (BANDEAU_ADMIN_TOKEN) to enable them",
        )
    if not hmac.compare_digest(bearer(request).encode(), expected.encode()):
        raise Forbidden("a valid admin token is needed", hint="send Authorization: Bearer …")


def bearer(request: Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ").strip()


async def read_json_body(request: Request, limit: int) -> bytes:
    """The body of a JSON request, refused early when it is not JSON or over `limit` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType(
            f"decisions are JSON, not {media or 'an untyped body'}",
            hint="send Content-Type: application/json",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body has {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body has more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str = ""
    hint: str = ""


class ErrorOut(BaseModel):
    """The one error shape (OpenAPI)."""

    error: ErrorBody


# The error statuses the OpenAPI document lists for the routes that can answer them.
ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    code: {"model": ErrorOut} for code in (400, 403, 404, 409, 413, 415, 422, 429, 503)
}
