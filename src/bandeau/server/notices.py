"""The notices readers were shown, archived (PROOF-02): one by its id, as the proof of what a
decision answered. Public (a notice holds what every reader of the site is shown) and
immutable (its id is the digest of its content), so cacheable for ever."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..errors import NotFound
from .compression import negotiated
from .context import API, context, site_of
from .edge import ERROR_RESPONSES

__all__ = ["install"]

NoticeId = Annotated[str, Path(min_length=1, max_length=64, description="SHA-256 (hex)")]
IMMUTABLE = "public, max-age=31536000, immutable"


async def notice(request: Request, notice_id: NoticeId) -> Response:
    """An archived notice: the texts, links, controller, services and banner build a reader of
    the site was shown in one language, exactly as archived (canonical JSON)."""
    site = site_of(request).policy.site
    found = await run_in_threadpool(context(request).store.notice, site, notice_id)
    if found is None:
        raise NotFound(
            f"no notice {notice_id!r} is archived for site {site!r}",
            field="notice_id",
            hint="a record's `notice` field names one (GET …/consents/{consent_id})",
        )
    return negotiated(
        request, found.content.encode(), "application/json", {"Cache-Control": IMMUTABLE}
    )


def install(app: FastAPI) -> None:
    """This module's route, under /v1/sites/{site}."""
    app.add_api_route(
        f"{API}/sites/{{site}}/notices/{{notice_id}}",
        notice,
        tags=["proof"],
        response_class=Response,
        responses={
            200: {
                "description": "the archived notice (canonical JSON)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            304: {"description": "not modified: the If-None-Match tag is current"},
            **ERROR_RESPONSES,
        },
    )
