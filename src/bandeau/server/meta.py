"""What the server is: liveness and health (its store, its checkpoints' age), and the public
keys that verify its checkpoints (the log's) and each site's tokens and receipts (the site's)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..errors import StorageError
from ..keys import KeyRing
from .context import API, context, site_of
from .edge import ERROR_RESPONSES

__all__ = ["install"]


async def health(request: Request) -> JSONResponse:
    """Liveness and what to watch: the server answers and knows its sites, its store answers
    (the log's size), and how old the latest checkpoint is. When the store does not answer:
    a 503 with the same body, `status` "unavailable" and the store's error."""
    ctx = context(request)
    body: dict[str, Any] = {"status": "ok", "version": __version__, "sites": sorted(ctx.sites)}
    backend = getattr(ctx.store, "backend", "")
    try:
        size = await run_in_threadpool(ctx.store.count)
        latest = await run_in_threadpool(ctx.store.latest_checkpoint)
    except StorageError as e:  # logged by the store
        body["status"] = "unavailable"
        body["store"] = {"ok": False, "backend": backend, "error": e.message}
        body["checkpoint"] = None
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    body["store"] = {"ok": True, "backend": backend, "size": size}
    body["checkpoint"] = (
        None
        if latest is None
        else {
            "size": latest.size,
            "age_seconds": round(max(0.0, time.time() - latest.time / 1000), 1),
            "unsigned": size - latest.size,
        }
    )
    return JSONResponse(body)


async def public_keys(request: Request) -> dict[str, Any]:
    """Public keys of the decision log, that verify its checkpoints, by key id (the current one
    first). A site's tokens and receipts verify with that site's keys instead
    (`GET /v1/sites/{site}/keys`)."""
    return ring_json(context(request).keys)


async def site_keys(request: Request) -> dict[str, Any]:
    """Public keys that verify the site's consent tokens and receipts, by key id (the current
    one first): the site's own, which verify nothing another site signed."""
    return ring_json(site_of(request).keys)


def ring_json(keys: KeyRing) -> dict[str, Any]:
    ordered = [keys.current, *(k for k in keys.public.values() if k is not keys.current)]
    return {
        "current": keys.current.key_id,
        "keys": [
            {"key_id": k.key_id, "alg": "Ed25519", "public_key": k.raw_b64(), "pem": k.pem()}
            for k in ordered
        ],
    }


def install(app: FastAPI) -> None:
    """This module's routes."""
    app.add_api_route(f"{API}/health", health, tags=["meta"])
    app.add_api_route(f"{API}/keys", public_keys, tags=["meta"])
    app.add_api_route(
        f"{API}/sites/{{site}}/keys", site_keys, tags=["meta"], responses=ERROR_RESPONSES
    )
