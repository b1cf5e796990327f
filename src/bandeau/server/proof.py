"""Proof of consent over HTTP: a decision's receipt, the signed checkpoints, consistency
proofs between them, and (admin) a checkpoint on demand. docs/ledger.md says how to check them."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest, NotFound
from ..ledger import b64, checkpoint_json
from .context import API, context, site_of
from .edge import ERROR_RESPONSES, require_admin

__all__ = ["install"]


async def receipt(request: Request, decision_id: str) -> JSONResponse:
    """A receipt for one decision, verifiable offline (`bandeau verify-receipt`).

    Available once a signed checkpoint covers the decision; asking makes one if the last
    is older than a second."""
    ctx = context(request)
    name = site_of(request).policy.site
    record = await run_in_threadpool(ctx.store.get, decision_id)
    if record is None or record.site != name:
        raise NotFound(f"no decision {decision_id!r} is recorded for {name!r}")
    latest = await run_in_threadpool(ctx.store.latest_checkpoint)
    stale = latest is None or time.time() * 1000 - latest.time > 1000
    if (latest is None or latest.size <= record.index) and stale:
        await run_in_threadpool(ctx.ledger.checkpoint)
    body = await run_in_threadpool(ctx.ledger.receipt, decision_id)
    filename = f"bandeau-receipt-{decision_id}.json"
    return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def checkpoints(request: Request) -> dict[str, Any]:
    """Every signed checkpoint of the decision log, oldest first (sizes, roots, times)."""
    found = await run_in_threadpool(context(request).store.checkpoints)
    return {"checkpoints": [checkpoint_json(c) for c in found]}


async def consistency(request: Request, first: int, second: int) -> dict[str, Any]:
    """A consistency proof: the log at size `second` extends the log at size `first`."""
    ctx = context(request)
    known = {c.size for c in await run_in_threadpool(ctx.store.checkpoints)}
    if first not in known or second not in known or not 0 < first <= second:
        raise InvalidRequest(
            "first and second must be sizes of existing checkpoints, first <= second",
            field="first",
        )
    proof = await run_in_threadpool(ctx.ledger.consistency_proof, first, second)
    return {"first": first, "second": second, "proof": [b64(h) for h in proof]}


async def make_checkpoint(request: Request) -> dict[str, Any]:
    """Sign a checkpoint now (admin)."""
    require_admin(request)
    made = await run_in_threadpool(context(request).ledger.checkpoint)
    if made is None:
        raise InvalidRequest("the log is empty: there is nothing to checkpoint")
    return checkpoint_json(made)


def install(app: FastAPI) -> None:
    """This module's routes."""
    common: dict[str, Any] = {"tags": ["proof"], "responses": ERROR_RESPONSES}
    app.add_api_route(f"{API}/sites/{{site}}/decisions/{{decision_id}}/receipt", receipt, **common)
    app.add_api_route(f"{API}/checkpoints", checkpoints, **common)
    app.add_api_route(f"{API}/checkpoints/consistency", consistency, **common)
    app.add_api_route(
        f"{API}/checkpoints", make_checkpoint, methods=["POST"], status_code=201, **common
    )
