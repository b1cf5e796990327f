"""Readers' decisions: recording one (the hot path), reading a consent id's history (right of
access) and erasing it (right to erasure)."""

from __future__ import annotations

import dataclasses
import hmac
import json
import time
from typing import Annotated, Any, Final

from fastapi import FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ..consent import read_token
from ..decisions import (
    BadJSON,
    DecisionIn,
    DuplicateDecision,
    HistoryOut,
    RecordOut,
    RetryNotProven,
    build_record,
    token_of,
)
from ..errors import InvalidRequest, NotFound, OriginNotAllowed, RateLimited, TokenError
from ..keys import KeyRing
from ..policy import Policy
from ..signals import gpc_from_headers
from ..store import Record
from ..tcf.publisher import tcf_answer
from .context import API, Context, Site, context, site_of
from .edge import (
    ERROR_RESPONSES,
    accept_origin,
    bearer,
    cors_headers,
    read_json_body,
    require_admin,
)

__all__ = ["decide", "install"]

# A consent id as `consent.new_consent_id` makes them (22 characters), with room to spare.
ConsentId = Annotated[str, Path(min_length=8, max_length=64)]


def allowed_origin(request: Request, site: Site) -> str:
    """The request's Origin, when the site's policy lists it (from then on, errors are readable
    by that page too); else a 403, without CORS headers."""
    origin = request.headers.get("origin", "")
    if not site.allows_origin(origin):
        raise OriginNotAllowed(
            f"origin {origin!r} may not send decisions for {site.policy.site!r}",
            hint="add the page's origin to `origins` in the site's policy",
        )
    accept_origin(request, origin)
    return origin


async def preflight(request: Request) -> Response:
    """CORS preflight of the banner's POST."""
    origin = allowed_origin(request, site_of(request))
    headers = {
        **cors_headers(origin),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


async def decide(request: Request) -> Response:
    """Record a reader's decision; answer once it is committed, with the signed token.

    A plain Starlette route (no dependency solving: this is the hot path); its OpenAPI
    operation is written by `openapi.decide_operation` from the same models. A retry with the
    same decision `id` and `secret` returns the stored decision (200) and stores nothing new.

    With a log writer process (`ctx.desk`), the body goes to it as it came: it checks and
    builds the record, appends it, signs the token and writes the answer, on another core
    (`writerprocess`); a TCF site's record is built here (its vendor list lives here)."""
    ctx = context(request)
    site = site_of(request)
    origin = allowed_origin(request, site)
    peer = request.client.host if request.client else "-"
    bucket = f"decisions/{site.policy.site}"  # each site counts its own
    if not ctx.limiter.allow(peer, request.headers.getlist("x-forwarded-for"), bucket=bucket):
        raise RateLimited("too many decisions from this address; try again in a minute")
    body = await read_json_body(request, ctx.settings.max_body_bytes)
    gpc = gpc_from_headers(request.headers.getlist("sec-gpc"))
    ua = request.headers.get("user-agent", "")
    if ctx.desk is not None and site.tcf is None:
        status, answer = await ctx.desk.decide(site.policy.site, body, gpc, ua)
    else:
        status, answer = await decide_here(ctx, site, body, gpc, ua)
    return Response(
        answer, status_code=status, media_type="application/json", headers=cors_headers(origin)
    )


async def decide_here(
    ctx: Context, site: Site, body: bytes, header_gpc: bool, ua: str
) -> tuple[int, bytes]:
    """`decide` in this process: (status, answer). The record goes to the log through the
    writer process when there is one, else through this process's writer thread."""
    decision = parse_decision(body)
    gpc = decision.gpc or header_gpc
    served = site.served(decision.lang, decision.notice)
    if served is None:  # an older notice than this process archived: ask the archive
        lang, claimed = decision.lang, decision.notice
        served = await run_in_threadpool(site.served_from, ctx.store, lang, claimed)
    record = build_record(
        site.policy, decision, site.keys, gpc=gpc, ua=ua, served=served, tcf=site.tcf
    )
    if record.event == "gpc_applied" and decision.token:  # a new consent id has no history
        history = await run_in_threadpool(ctx.store.history, record.site, record.consent_id)
        earlier = earlier_gpc(history, record, set(decision.choices))
        if earlier is not None:  # once per consent id (GPC-03): nothing new to store
            stored = dataclasses.replace(record, decision_id=earlier.decision_id)
            return 200, answer_bytes(site.policy, site.keys, stored)
    if ctx.desk is not None:
        return await ctx.desk.settle(record)
    stored, created = await ctx.writer.append(record)
    if not created:
        check_retry(stored, record)
    return 201 if created else 200, answer_bytes(site.policy, site.keys, stored)


def earlier_gpc(history: list[Record], record: Record, refused: set[str]) -> Record | None:
    """The `gpc_applied` record already stored under `record`'s consent id (its `history`)
    for the same versions of the purposes it refuses, if any: GPC is recorded once per consent
    id, however many pages, tabs or retries send it again. The answer then names that record,
    with a token of the reader's current answers (all of them recorded already)."""
    for earlier in history:
        if earlier.event == "gpc_applied" and all(
            earlier.shown.get(k) == record.shown[k] for k in refused
        ):
            return earlier
    return None


def check_retry(stored: Record, retry: Record) -> None:
    """A decision id already stored is answered (with the reader's token) only to the browser
    that made it: the retry carries the secret whose hash was stored with the decision. Anyone
    else who knows the id and the choices (from a receipt, say) gets a 403, and no token."""
    if not stored.retry_hash or not hmac.compare_digest(stored.retry_hash, retry.retry_hash):
        raise RetryNotProven(
            "this decision id is already recorded, and the request does not carry its secret",
            field="secret",
            hint="make a new id for each decision; a retry sends the first sending's secret",
        )
    if (stored.site, stored.choices) != (retry.site, retry.choices):
        raise DuplicateDecision(
            "this decision id is already stored with other choices",
            field="id",
            hint="make a new id for each decision; reuse one only to retry",
        )


def parse_decision(body: bytes) -> DecisionIn:
    """The decision in `body`; a 400 when it is not JSON, a 422 naming the first bad field."""
    try:
        return DecisionIn.model_validate_json(body)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        if first["type"] == "json_invalid":
            raise BadJSON(str(first["msg"]), field=field) from None
        raise InvalidRequest(str(first["msg"]), field=field) from None


def answer_bytes(policy: Policy, keys: KeyRing, stored: Record) -> bytes:
    """The answer to a recorded decision, as sent: its ids and the signed token the banner
    stores as the consent cookie (the banner is the cookie's only writer in the browser)."""
    issued = stored.occurred_at // 1000
    expires = issued + policy.reprompt_after_days * 86400
    answer = {
        "consent_id": stored.consent_id,
        "decision_id": stored.decision_id,
        "token": token_of(keys, stored, policy.reprompt_after_days),
        "cookie": policy.cookie_name,
        "max_age": max(0, expires - int(time.time())),
        "expires_at": expires,
        "event": stored.event,
        **({"tcf": tcf_answer(stored.tcf)} if stored.tcf else {}),
    }
    return _ANSWER_JSON.encode(answer).encode()


_ANSWER_JSON: Final = json.JSONEncoder(separators=(",", ":"))
"""`json.dumps(..., separators=(",", ":"))`, made once: the answer is on the hot path."""


async def history(request: Request, consent_id: ConsentId) -> HistoryOut:
    """Every decision recorded under a consent id, oldest first (what the reader chose)."""
    site = site_of(request)
    records = await run_in_threadpool(context(request).store.history, site.policy.site, consent_id)
    if not records:
        raise NotFound(f"no decision is recorded under consent id {consent_id!r}")
    return HistoryOut(
        site=site.policy.site,
        consent_id=consent_id,
        decisions=[RecordOut(**r.content()) for r in records],
    )


async def erase(request: Request, consent_id: ConsentId) -> dict[str, Any]:
    """Erase a consent id's records (right to erasure): their content is redacted, their
    leaf hashes stay, so the log still verifies. Allowed to an admin, or to the reader
    with their own consent token as `Authorization: Bearer TOKEN`."""
    ctx = context(request)
    site = site_of(request)
    name = site.policy.site
    if not holds_token_of(request, site, consent_id):
        require_admin(request)
    erased = await run_in_threadpool(ctx.ledger.erase, name, consent_id)
    if erased == 0:
        raise NotFound(f"no decision is recorded under consent id {consent_id!r}")
    return {"site": name, "consent_id": consent_id, "erased": erased}


def holds_token_of(request: Request, site: Site, consent_id: str) -> bool:
    """Whether the request's bearer is a genuine, unexpired consent token of this consent id,
    signed by this site's keys (an expired one proves only that its holder once had it)."""
    given = bearer(request)
    if given.count(".") != 1:
        return False
    try:
        token = read_token(given, site.keys.public)
    except TokenError:
        return False
    current = token.expires_at > time.time()
    return current and token.site == site.policy.site and token.consent_id == consent_id


def install(app: FastAPI) -> None:
    """This module's routes, under /v1/sites/{site}."""
    site = f"{API}/sites/{{site}}"
    common: dict[str, Any] = {"tags": ["decisions"], "responses": ERROR_RESPONSES}
    # the hot path: a plain Starlette route, described in the OpenAPI document by `openapi`
    app.add_route(f"{site}/decisions", decide, methods=["POST"], include_in_schema=False)
    app.add_api_route(
        f"{site}/decisions", preflight, methods=["OPTIONS"], include_in_schema=False, **common
    )
    consents = f"{site}/consents/{{consent_id}}"
    app.add_api_route(consents, history, response_model=HistoryOut, **common)
    app.add_api_route(consents, erase, methods=["DELETE"], **common)
