"""Proof of consent over HTTP: a decision's receipt, the signed checkpoints (by page, newest
first, and the latest on its own), consistency proofs between them, and (admin) a checkpoint on
demand. docs/ledger.md says how to check them.

Nothing here reads every checkpoint: the list is paged, a proof looks its two checkpoints up by
size. The routes that cost work (receipts, proofs) are rate-limited per client, like decisions,
and a receipt asks for a checkpoint of its own at most once a `checkpoint_interval`."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated, Any, Final

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest, NotFound, RateLimited
from ..ledger import NotCheckpointed, b64, checkpoint_json, countersigned
from .context import API, Context, context, site_of
from .edge import ERROR_RESPONSES, require_admin

__all__ = ["install"]

PAGE: Final = 100
MAX_PAGE: Final = 1000
RECEIPT_WAIT: Final = 10.0
"""Longest a receipt waits for the next checkpoint; past it, a 409 with Retry-After."""


def limit_reads(request: Request, site: str = "") -> None:
    """Count a request that costs work (a receipt, a proof) against its client, in a bucket of
    its own beside the decisions', with the same client address (`ratelimit.client_address`):
    a site's receipts in the site's own bucket, the log's proofs in the server's."""
    peer = request.client.host if request.client else "-"
    limiter = context(request).limiter
    bucket = f"reads/{site}" if site else "reads"
    if not limiter.allow(peer, request.headers.getlist("x-forwarded-for"), bucket=bucket):
        raise RateLimited("too many receipts or proofs from this address; try again in a minute")


async def receipt(request: Request, decision_id: str) -> JSONResponse:
    """A receipt for one decision, verifiable offline (`bandeau verify-receipt`) with the
    site's public key (`GET /v1/sites/{site}/keys`), and no other site's.

    Available once a signed checkpoint covers the decision: when none does yet, the receipt
    asks for one if the latest is older than `checkpoint_interval`, else it waits for the next
    (a 409 `not_checkpointed` with `Retry-After` when that is more than a few seconds away)."""
    ctx = context(request)
    site = site_of(request)
    name = site.policy.site
    limit_reads(request, name)
    record = await run_in_threadpool(ctx.store.get, decision_id)
    if record is None or record.site != name:
        raise NotFound(f"no decision {decision_id!r} is recorded for {name!r}")
    await covered(ctx, record.index)
    body = await run_in_threadpool(ctx.ledger.receipt, decision_id)
    body = countersigned(body, site.keys, ctx.keys.public)
    filename = f"bandeau-receipt-{decision_id}.json"
    return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def covered(ctx: Context, index: int) -> None:
    """Make sure a checkpoint covers the record at `index`: the latest, or the next scheduled
    one if it is due within `RECEIPT_WAIT`, or one signed here once the latest is at least
    `checkpoint_interval` old. Readers alternating decisions and receipts cannot make the
    server sign faster than its schedule (at most twice an interval, with the scheduled one),
    and receipts waiting together are covered by one checkpoint, not one each."""
    interval = ctx.settings.checkpoint_interval
    for _ in range(2):  # once more after waiting: another may have signed meanwhile
        latest = await run_in_threadpool(ctx.store.latest_checkpoint)
        if latest is not None and latest.size > index:
            return
        due = 0.0 if latest is None else latest.time / 1000 + interval - time.time()
        if due > RECEIPT_WAIT:
            raise NotCheckpointed(
                "this decision is not covered by a checkpoint yet",
                hint=f"the next checkpoint is due in {math.ceil(due)} s; ask again then",
                retry_after=math.ceil(due),
            )
        if due <= 0:
            break
        await asyncio.sleep(due)
    await run_in_threadpool(ctx.ledger.checkpoint)


async def checkpoints(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Signed checkpoints of the decision log, newest first, one page at a time: `before` is
    the cursor (sizes below it), `next` the cursor of the next page (null on the last)."""
    found = await run_in_threadpool(context(request).store.checkpoints_before, before, limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return {
        "checkpoints": [checkpoint_json(c) for c in page],
        "next": page[-1].size if more else None,
    }


async def latest_checkpoint(request: Request) -> dict[str, Any]:
    """The latest signed checkpoint."""
    cp = await run_in_threadpool(context(request).store.latest_checkpoint)
    if cp is None:
        raise NotFound("no checkpoint is signed yet: the log is empty")
    return checkpoint_json(cp)


async def consistency(
    request: Request, first: Annotated[int, Query(ge=1)], second: Annotated[int, Query(ge=1)]
) -> dict[str, Any]:
    """A consistency proof: the log at size `second` extends the log at size `first`."""
    ctx = context(request)
    limit_reads(request)
    if first > second:
        raise InvalidRequest("first must not be larger than second", field="first")
    for name, size in (("first", first), ("second", second)):
        if await run_in_threadpool(ctx.store.checkpoint_at, size) is None:
            raise InvalidRequest(f"no checkpoint has size {size}", field=name)
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
    app.add_api_route(f"{API}/checkpoints/latest", latest_checkpoint, **common)
    app.add_api_route(f"{API}/checkpoints/consistency", consistency, **common)
    app.add_api_route(
        f"{API}/checkpoints", make_checkpoint, methods=["POST"], status_code=201, **common
    )
