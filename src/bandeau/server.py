"""The ASGI app: serves each site's banner and config, records decisions, answers history.

Thin edge over policy/consent/store: input is validated here against the site's policy, every
error leaves as the one JSON error shape {"error": {"code", "message", "field", "hint"}}.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .banner import Bundle, render, render_settings
from .banner.config import asset_version, details_for, site_config
from .consent import issue_token, read_token
from .decisions import (
    BadJSON,
    DecisionIn,
    DecisionOut,
    DuplicateDecision,
    HistoryOut,
    RecordOut,
    build_record,
)
from .errors import (
    BandeauError,
    InvalidRequest,
    NotFound,
    OriginNotAllowed,
    PayloadTooLarge,
    RateLimited,
    TokenError,
    UnknownSite,
    UnsupportedMediaType,
)
from .keys import KeyRing
from .ledger import Ledger, b64, checkpoint_json
from .policy import Policy
from .ratelimit import RateLimiter
from .settings import Settings
from .signals import gpc_from_headers
from .store import Store
from .store.writer import BatchWriter

__all__ = ["Site", "app_from_settings", "create_app"]

API = "/v1"
REDACTED_ERASURE = '{"redacted":"erasure"}'
REDACTED_RETENTION = '{"redacted":"retention"}'


# ------------------------------------------------------------------ wire models (OpenAPI)


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str = ""
    hint: str = ""


class ErrorOut(BaseModel):
    error: ErrorBody


class Forbidden(BandeauError):
    code = "forbidden"
    status = 403


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 403, 404, 409, 413, 415, 422, 429, 503)
}


# ------------------------------------------------------------------ sites


@dataclass
class Site:
    """A policy, served: its config and its banner bundle, built once."""

    policy: Policy
    api: str

    def __post_init__(self) -> None:
        self._bundles: dict[str, Bundle] = {}
        self._details: dict[str, tuple[bytes, str]] = {}

    def config(self, lang: str | None = None) -> dict[str, Any]:
        return site_config(self.policy, self.api, self.language(lang))

    def language(self, lang: str | None) -> str:
        if lang is None:
            return self.policy.default_language
        if lang not in self.policy.languages:
            raise InvalidRequest(
                f"language {lang!r} is not one of the site's languages "
                f"{list(self.policy.languages)}",
                field="lang",
            )
        return lang

    def details(self, lang: str | None = None) -> tuple[bytes, str]:
        """The settings' details in one language, as JSON bytes, and their ETag."""
        key = self.language(lang)
        if key not in self._details:
            body = json.dumps(
                details_for(self.policy, key), ensure_ascii=False, separators=(",", ":")
            ).encode()
            self._details[key] = (body, f'"{hashlib.sha256(body).hexdigest()[:20]}"')
        return self._details[key]

    def settings(self, lang: str | None = None) -> Bundle:
        """The second layer in one language, built once."""
        key = "settings:" + self.language(lang)
        if key not in self._bundles:
            self._bundles[key] = render_settings(details_for(self.policy, key[9:]))
        return self._bundles[key]

    def bundle(self, lang: str | None = None) -> Bundle:
        """The banner in one language, built once."""
        key = self.language(lang)
        if key not in self._bundles:
            self._bundles[key] = render(self.config(key))
        return self._bundles[key]

    def allows_origin(self, origin: str) -> bool:
        return origin in self.policy.origins


def decide_operation() -> dict[str, Any]:
    """The OpenAPI operation of POST /v1/sites/{site}/decisions."""

    def ref(name: str) -> dict[str, Any]:
        return {
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
        }

    errors = {str(code): {"description": "error", **ref("ErrorOut")} for code in ERRORS}
    return {
        "tags": ["decisions"],
        "summary": "Record a decision",
        "description": "Record a reader's decision; answer once it is committed, with the "
        "signed token (also set as the consent cookie). A retry with the same decision `id` "
        "returns the stored decision (200) and stores nothing new.",
        "operationId": "decide",
        "parameters": [
            {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {"required": True, **ref("DecisionIn")},
        "responses": {
            "201": {"description": "recorded", **ref("DecisionOut")},
            "200": {"description": "a retry of a stored decision", **ref("DecisionOut")},
            **errors,
        },
    }


# ------------------------------------------------------------------ app


def create_app(
    settings: Settings,
    policies: list[Policy],
    *,
    keys: KeyRing,
    store: Store,
) -> FastAPI:
    """The bandeau HTTP API for `policies`, signing with `keys`, recording into `store`."""
    sites = {p.site: Site(p, f"{settings.base_url}{API}/sites/{p.site}") for p in policies}
    limiter = RateLimiter.from_settings(settings)
    ledger = Ledger(store, keys)
    writer = BatchWriter(store)
    retention_ms = settings.retention_days * 86_400_000

    def housekeeping() -> None:
        if retention_ms:
            store.redact_before(int(time.time() * 1000) - retention_ms, REDACTED_RETENTION)
        ledger.checkpoint()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def every_interval() -> None:
            while True:
                await asyncio.sleep(settings.checkpoint_interval)
                with contextlib.suppress(BandeauError):
                    await run_in_threadpool(housekeeping)

        task = asyncio.create_task(every_interval())
        try:
            yield
        finally:
            task.cancel()
            await run_in_threadpool(writer.close)
            limiter.close()
            with contextlib.suppress(BandeauError):
                await run_in_threadpool(ledger.checkpoint)

    app = FastAPI(
        lifespan=lifespan,
        title="bandeau",
        version=__version__,
        description="Consent banner, decisions and proof of consent.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.sites = sites
    app.state.store = store
    app.state.keys = keys
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.writer = writer

    def require_admin(request: Request) -> None:
        if not settings.admin_token:
            raise Forbidden(
                "admin endpoints are disabled",
                hint="set admin_token (BANDEAU_ADMIN_TOKEN) to enable them",
            )
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.admin_token.encode()):
            raise Forbidden("a valid admin token is needed", hint="send Authorization: Bearer …")

    def site_of(name: str) -> Site:
        site = sites.get(name)
        if site is None:
            raise UnknownSite(f"no site {name!r} is configured here", field="site")
        return site

    @app.exception_handler(BandeauError)
    async def _bandeau_error(request: Request, exc: BandeauError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.hint, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"][1:])
        return error_response(422, "invalid_request", str(first["msg"]), field, "", request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), "", "", request)

    @app.get(f"{API}/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        """Liveness: the server answers and knows its sites."""
        return {"status": "ok", "version": __version__, "sites": sorted(sites)}

    @app.get(f"{API}/keys", tags=["meta"])
    async def public_keys() -> dict[str, Any]:
        """Public keys that verify consent tokens, by key id (the current one first)."""
        ordered = [keys.current, *(k for k in keys.public.values() if k is not keys.current)]
        return {
            "current": keys.current.key_id,
            "keys": [
                {"key_id": k.key_id, "alg": "Ed25519", "public_key": k.raw_b64(), "pem": k.pem()}
                for k in ordered
            ],
        }

    @app.get(f"{API}/sites/{{site}}/config", tags=["banner"], responses=ERRORS)
    async def config(site: str, lang: str | None = None) -> JSONResponse:
        """The site config the banner is built with: purposes, digests, texts, defaults."""
        s = site_of(site)
        return JSONResponse(s.config(lang), headers={"Cache-Control": "no-cache"})

    @app.get(f"{API}/sites/{{site}}/details", tags=["banner"], responses=ERRORS)
    async def details(site: str, request: Request, lang: str | None = None) -> Response:
        """What the settings show beyond the first layer, in one language: each purpose's
        description, what refusing changes, its services, hosts, cookies and lifetimes."""
        s = site_of(site)
        body, etag = s.details(lang)
        headers = {"ETag": etag, "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    @app.get(f"{API}/sites/{{site}}/settings.js", tags=["banner"], responses=ERRORS)
    async def settings_js(site: str, request: Request, lang: str | None = None) -> Response:
        """The settings (second layer) in one language, details inlined: the banner loads it
        the first time a reader opens the settings."""
        s = site_of(site)
        bundle = s.settings(lang)
        return asset(request, s, bundle, bundle.js, "text/javascript; charset=utf-8")

    @app.get(f"{API}/sites/{{site}}/settings.css", tags=["banner"], responses=ERRORS)
    async def settings_css(site: str, request: Request) -> Response:
        """The settings' stylesheet."""
        s = site_of(site)
        bundle = s.settings()
        return asset(request, s, bundle, bundle.css, "text/css; charset=utf-8")

    @app.get(f"{API}/sites/{{site}}/banner.js", tags=["banner"], responses=ERRORS)
    async def banner_js(site: str, request: Request, lang: str | None = None) -> Response:
        """The site's banner script in one language (default: the site's), config inlined.

        Cacheable: `ETag`, and a year when `?v=` names the current policy version."""
        s = site_of(site)
        bundle = s.bundle(lang)
        return asset(request, s, bundle, bundle.js, "text/javascript; charset=utf-8")

    @app.get(f"{API}/sites/{{site}}/banner.css", tags=["banner"], responses=ERRORS)
    async def banner_css(site: str, request: Request) -> Response:
        """The banner's stylesheet."""
        s = site_of(site)
        bundle = s.bundle()
        return asset(request, s, bundle, bundle.css, "text/css; charset=utf-8")

    @app.options(f"{API}/sites/{{site}}/decisions", include_in_schema=False)
    async def preflight(site: str, request: Request) -> Response:
        s = site_of(site)
        origin = request.headers.get("origin", "")
        if not s.allows_origin(origin):
            raise OriginNotAllowed(f"origin {origin!r} may not send decisions for {site!r}")
        return Response(
            status_code=204,
            headers={
                **cors_headers(origin),
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600",
            },
        )

    # A plain Starlette route (no dependency solving: this is the hot path); its OpenAPI
    # operation is written in custom_openapi from the same models.
    async def decide(request: Request) -> Response:
        """Record a reader's decision; answer once it is committed, with the signed token.

        A retry with the same decision `id` returns the stored decision (200) and stores
        nothing new.
        """
        site = request.path_params["site"]
        s = site_of(site)
        origin = request.headers.get("origin", "")
        if not s.allows_origin(origin):
            raise OriginNotAllowed(
                f"origin {origin!r} may not send decisions for {site!r}",
                hint="add the page's origin to `origins` in the site's policy",
            )
        peer = request.client.host if request.client else "-"
        if not limiter.allow(peer, request.headers.getlist("x-forwarded-for")):
            raise RateLimited("too many decisions from this address; try again in a minute")
        body = await read_body(request, settings.max_body_bytes)
        try:
            decision = DecisionIn.model_validate_json(body)
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            code = 400 if first["type"] == "json_invalid" else 422
            raise (InvalidRequest if code == 422 else BadJSON)(
                str(first["msg"]), field=field
            ) from None
        gpc = decision.gpc or gpc_from_headers(request.headers.getlist("sec-gpc"))
        record = build_record(
            s.policy, decision, keys, gpc=gpc, ua=request.headers.get("user-agent", "")
        )
        stored, created = await asyncio.wrap_future(writer.submit(record))
        if not created and (stored.site, stored.choices) != (record.site, record.choices):
            raise DuplicateDecision(
                "this decision id is already stored with other choices",
                field="id",
                hint="make a new id for each decision; reuse one only to retry",
            )
        issued = stored.occurred_at // 1000
        token = issue_token(
            keys,
            site=site,
            consent_id=stored.consent_id,
            choices={k: (v, stored.shown[k]) for k, v in stored.choices.items()},
            issued_at=issued,
            lifetime_days=s.policy.reprompt_after_days,
            decision_id=stored.decision_id,
        )
        expires = issued + s.policy.reprompt_after_days * 86400
        max_age = max(0, expires - int(time.time()))
        out = {
            "consent_id": stored.consent_id,
            "decision_id": stored.decision_id,
            "token": token,
            "cookie": s.policy.cookie_name,
            "max_age": max_age,
            "expires_at": expires,
            "event": stored.event,
        }
        cookie = f"{s.policy.cookie_name}={token}; Max-Age={max_age}; Path=/; SameSite=Lax"
        if s.policy.cookie_domain:
            cookie += f"; Domain={s.policy.cookie_domain}"
        if settings.base_url.startswith("https://"):
            cookie += "; Secure"
        return Response(
            json.dumps(out, separators=(",", ":")).encode(),
            status_code=201 if created else 200,
            media_type="application/json",
            headers={**cors_headers(origin), "Set-Cookie": cookie},
        )

    app.add_route(
        f"{API}/sites/{{site}}/decisions", decide, methods=["POST"], include_in_schema=False
    )

    @app.get(
        f"{API}/sites/{{site}}/consents/{{consent_id}}",
        tags=["decisions"],
        response_model=HistoryOut,
        responses=ERRORS,
    )
    async def history(site: str, consent_id: str) -> HistoryOut:
        """Every decision recorded under a consent id, oldest first (what the reader chose)."""
        site_of(site)
        if not 8 <= len(consent_id) <= 64:
            raise InvalidRequest("a consent id has 8 to 64 characters", field="consent_id")
        records = await run_in_threadpool(store.history, site, consent_id)
        if not records:
            raise NotFound(f"no decision is recorded under consent id {consent_id!r}")
        return HistoryOut(
            site=site,
            consent_id=consent_id,
            decisions=[RecordOut(**r.content()) for r in records],
        )

    @app.get(
        f"{API}/sites/{{site}}/decisions/{{decision_id}}/receipt",
        tags=["proof"],
        responses=ERRORS,
    )
    async def receipt(site: str, decision_id: str) -> JSONResponse:
        """A receipt for one decision, verifiable offline (`bandeau verify-receipt`).

        Available once a signed checkpoint covers the decision; asking makes one if the last
        is older than a second."""
        site_of(site)
        record = await run_in_threadpool(store.get, decision_id)
        if record is None or record.site != site:
            raise NotFound(f"no decision {decision_id!r} is recorded for {site!r}")
        latest = await run_in_threadpool(store.latest_checkpoint)
        stale = latest is None or time.time() * 1000 - latest.time > 1000
        if (latest is None or latest.size <= record.index) and stale:
            await run_in_threadpool(ledger.checkpoint)
        body = await run_in_threadpool(ledger.receipt, decision_id)
        filename = f"bandeau-receipt-{decision_id}.json"
        return JSONResponse(
            body, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )

    @app.get(f"{API}/checkpoints", tags=["proof"])
    async def checkpoints() -> dict[str, Any]:
        """Every signed checkpoint of the decision log, oldest first (sizes, roots, times)."""
        return {
            "checkpoints": [checkpoint_json(c) for c in await run_in_threadpool(store.checkpoints)]
        }

    @app.get(f"{API}/checkpoints/consistency", tags=["proof"], responses=ERRORS)
    async def consistency(first: int, second: int) -> dict[str, Any]:
        """A consistency proof: the log at size `second` extends the log at size `first`."""
        known = {c.size for c in await run_in_threadpool(store.checkpoints)}
        if first not in known or second not in known or not 0 < first <= second:
            raise InvalidRequest(
                "first and second must be sizes of existing checkpoints, first <= second",
                field="first",
            )
        proof = await run_in_threadpool(ledger.consistency_proof, first, second)
        return {"first": first, "second": second, "proof": [b64(h) for h in proof]}

    @app.post(f"{API}/checkpoints", tags=["proof"], responses=ERRORS, status_code=201)
    async def make_checkpoint(request: Request) -> dict[str, Any]:
        """Sign a checkpoint now (admin)."""
        require_admin(request)
        cp = await run_in_threadpool(ledger.checkpoint)
        if cp is None:
            raise InvalidRequest("the log is empty: there is nothing to checkpoint")
        return checkpoint_json(cp)

    @app.delete(
        f"{API}/sites/{{site}}/consents/{{consent_id}}", tags=["decisions"], responses=ERRORS
    )
    async def erase(site: str, consent_id: str, request: Request) -> dict[str, Any]:
        """Erase a consent id's records (right to erasure): their content is redacted, their
        leaf hashes stay, so the log still verifies. Allowed to an admin, or to the reader
        with their own consent token as `Authorization: Bearer TOKEN`."""
        site_of(site)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        owner = False
        if given and given.count(".") == 1:
            with contextlib.suppress(TokenError):
                token = read_token(given, keys.public)
                owner = token.site == site and token.consent_id == consent_id
        if not owner:
            require_admin(request)
        n = await run_in_threadpool(store.redact, site, consent_id, REDACTED_ERASURE)
        if n == 0:
            raise NotFound(f"no decision is recorded under consent id {consent_id!r}")
        return {"site": site, "consent_id": consent_id, "erased": n}

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (DecisionIn, DecisionOut, ErrorOut):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(extra.pop("$defs", {}))
            components[model.__name__] = extra
        schema["paths"].setdefault(f"{API}/sites/{{site}}/decisions", {})["post"] = (
            decide_operation()
        )
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


def app_from_settings(settings: Settings) -> FastAPI:
    """The app of one `bandeau serve` worker, for validated `settings` (passed to each worker
    process by `bandeau serve`). The keys must exist: `serve` makes them before workers start."""
    from .policy import load_policy
    from .store import open_store

    return create_app(
        settings,
        [load_policy(p) for p in settings.policy],
        keys=KeyRing.open(settings.keys_dir),
        store=open_store(settings.database_url),
    )


def error_response(
    status: int, code: str, message: str, field: str, hint: str, request: Request
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field, "hint": hint}}
    origin = request.headers.get("origin", "")
    headers = cors_headers(origin) if origin else {}
    return JSONResponse(body, status_code=status, headers=headers)


def cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def asset(
    request: Request, site: Site, bundle: Bundle, content: bytes, media_type: str
) -> Response:
    etag = bundle.etag
    versioned = request.query_params.get("v") == asset_version(site.policy)
    cache = "public, max-age=31536000, immutable" if versioned else "no-cache"
    headers = {"ETag": etag, "Cache-Control": cache, "Access-Control-Allow-Origin": "*"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise UnsupportedMediaType(
            f"decisions are JSON, not {ctype or 'an untyped body'}",
            hint="send Content-Type: application/json",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body has {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body has more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
