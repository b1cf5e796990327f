"""The ASGI app: serves each site's banner and config, records decisions, answers history.

Thin edge over policy/consent/store: input is validated here against the site's policy, every
error leaves as the one JSON error shape {"error": {"code", "message", "field", "hint"}}.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .banner import Bundle, render
from .banner.config import site_config
from .consent import TokenPayload, issue_token, new_consent_id, read_token
from .errors import (
    BandeauError,
    InvalidRequest,
    NotFound,
    OriginNotAllowed,
    PayloadTooLarge,
    RateLimited,
    StalePolicy,
    TokenError,
    UnknownSite,
    UnsupportedMediaType,
)
from .keys import KeyRing
from .policy import Policy
from .settings import Settings
from .signals import gpc_from_headers, ua_class
from .store import Record, Store

__all__ = ["Site", "create_app"]

API = "/v1"


# ------------------------------------------------------------------ wire models (OpenAPI)


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    granted: bool
    digest: str = Field(max_length=64, description="version digest of the purpose as shown")


class DecisionIn(BaseModel):
    """A reader's decision, as the banner sends it."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID = Field(description="decision id made by the banner; retries reuse it")
    token: str | None = Field(default=None, max_length=4096, description="current cookie value")
    action: Literal["accept_all", "refuse_all", "save", "grant"]
    layer: Literal["first", "settings", "placeholder"]
    control: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")
    lang: str = Field(max_length=8)
    page: str = Field(default="/", max_length=1024)
    build: str = Field(default="", max_length=64)
    version: str = Field(default="", max_length=64)
    choices: Annotated[dict[str, Choice], Field(max_length=64)]
    gpc: bool = False
    client_time: int | None = Field(default=None, ge=0)


class DecisionOut(BaseModel):
    consent_id: str
    decision_id: str
    token: str = Field(description="signed consent token: the value of the consent cookie")
    cookie: str = Field(description="name of the consent cookie")
    max_age: int = Field(description="seconds the token stays valid (re-prompt horizon)")
    expires_at: int = Field(description="unix seconds")
    event: str


class RecordOut(BaseModel):
    decision_id: str
    occurred_at: int
    event: str
    layer: str
    control: str
    language: str
    page: str
    policy_version: str
    build: str
    shown: dict[str, str]
    choices: dict[str, bool]
    services: dict[str, bool]
    signals: dict[str, bool]


class HistoryOut(BaseModel):
    site: str
    consent_id: str
    decisions: list[RecordOut]


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str = ""
    hint: str = ""


class ErrorOut(BaseModel):
    error: ErrorBody


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

    def bundle(self, lang: str | None = None) -> Bundle:
        """The banner in one language, built once."""
        key = self.language(lang)
        if key not in self._bundles:
            self._bundles[key] = render(self.config(key))
        return self._bundles[key]

    def allows_origin(self, origin: str) -> bool:
        return origin in self.policy.origins


class _RateLimiter:
    """Fixed one-minute windows per client address, in memory (per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, client: str) -> bool:
        if self.per_minute <= 0:
            return True
        window = int(time.time() // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            n = self._counts.get(client, 0) + 1
            self._counts[client] = n
        return n <= self.per_minute


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
    limiter = _RateLimiter(settings.rate_limit)
    app = FastAPI(
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

    @app.post(
        f"{API}/sites/{{site}}/decisions",
        tags=["decisions"],
        status_code=201,
        response_model=DecisionOut,
        responses={
            200: {"model": DecisionOut, "description": "a retry of a stored decision"},
            **ERRORS,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/DecisionIn"}}
                },
            }
        },
    )
    async def decide(site: str, request: Request) -> JSONResponse:
        """Record a reader's decision; answer once it is committed, with the signed token.

        A retry with the same decision `id` returns the stored decision (200) and stores
        nothing new.
        """
        s = site_of(site)
        origin = request.headers.get("origin", "")
        if not s.allows_origin(origin):
            raise OriginNotAllowed(
                f"origin {origin!r} may not send decisions for {site!r}",
                hint="add the page's origin to `origins` in the site's policy",
            )
        client = request.client.host if request.client else "-"
        if not limiter.hit(client):
            raise RateLimited("too many decisions from this address; try again in a minute")
        body = await read_body(request, settings.max_body_bytes)
        try:
            decision = DecisionIn.model_validate_json(body)
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            code = 400 if first["type"] == "json_invalid" else 422
            raise (InvalidRequest if code == 422 else _BadJSON)(
                str(first["msg"]), field=field
            ) from None
        gpc = decision.gpc or gpc_from_headers(request.headers.getlist("sec-gpc"))
        record = build_record(
            s.policy, decision, keys, gpc=gpc, ua=request.headers.get("user-agent", "")
        )
        stored, created = await run_in_threadpool(store.append, record)
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
        )
        max_age = max(0, issued + s.policy.reprompt_after_days * 86400 - int(time.time()))
        out = DecisionOut(
            consent_id=stored.consent_id,
            decision_id=stored.decision_id,
            token=token,
            cookie=s.policy.cookie_name,
            max_age=max_age,
            expires_at=issued + s.policy.reprompt_after_days * 86400,
            event=stored.event,
        )
        response = JSONResponse(
            out.model_dump(), status_code=201 if created else 200, headers=cors_headers(origin)
        )
        response.set_cookie(
            s.policy.cookie_name,
            token,
            max_age=max_age,
            path="/",
            domain=s.policy.cookie_domain or None,
            secure=settings.base_url.startswith("https://"),
            httponly=False,
            samesite="lax",
        )
        return response

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

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        extra = DecisionIn.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(extra.pop("$defs", {}))
        components["DecisionIn"] = extra
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


class DuplicateDecision(InvalidRequest):
    code = "duplicate_decision"
    status = 409


class _BadJSON(InvalidRequest):
    code = "malformed_json"
    status = 400


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
    versioned = request.query_params.get("v") == site.policy.version
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


def build_record(policy: Policy, d: DecisionIn, keys: KeyRing, *, gpc: bool, ua: str) -> Record:
    """Check a decision against the policy in force and turn it into a record."""
    if d.lang not in policy.languages:
        raise InvalidRequest(
            f"language {d.lang!r} is not one of the site's languages {list(policy.languages)}",
            field="lang",
        )
    asked = [p for p in policy.purposes if p.kind != "strictly_necessary"]
    for key in d.choices:
        if key not in policy.keys:
            raise InvalidRequest(f"unknown purpose {key!r}", field=f"choices.{key}")
        if key not in {p.key for p in asked}:
            raise InvalidRequest(
                f"{key!r} is strictly necessary: it is not a choice", field=f"choices.{key}"
            )
    for p in asked:
        choice = d.choices.get(p.key)
        if choice is None:
            raise InvalidRequest(f"no answer for purpose {p.key!r}", field=f"choices.{p.key}")
        if choice.digest != p.digest:
            raise StalePolicy(
                f"purpose {p.key!r} changed since the banner was loaded",
                field=f"choices.{p.key}.digest",
                hint="reload the page to get the current banner",
            )
    consent_keys = [p.key for p in asked if p.needs_consent]
    granted = {k: c.granted for k, c in d.choices.items()}
    if d.action == "accept_all" and not all(granted[k] for k in consent_keys):
        raise InvalidRequest("accept_all must grant every consent purpose", field="choices")
    if d.action == "refuse_all" and any(granted[k] for k in consent_keys):
        raise InvalidRequest("refuse_all must refuse every consent purpose", field="choices")
    if (d.action == "grant") != (d.layer == "placeholder"):
        raise InvalidRequest("action grant comes from a placeholder, and only it", field="layer")
    previous: TokenPayload | None = None
    if d.token:
        try:
            previous = read_token(d.token, keys.public)
        except TokenError:
            previous = None
        if previous is not None and previous.site != policy.site:
            previous = None
    before = {k for k, (g, _) in (previous.choices.items() if previous else ()) if g}
    after = {k for k, g in granted.items() if g}
    if d.action == "accept_all":
        event = "accept_all"
    elif d.action == "grant":
        event = "grant_one"
    elif before & set(consent_keys) and not (after - before) and (before - after):
        event = "withdraw"
    else:
        event = "refuse_all" if d.action == "refuse_all" else "save_custom"
    services = {f"{p.key}/{s.name}": granted[p.key] for p in asked for s in p.services}
    record = Record(
        decision_id=str(d.id),
        consent_id=previous.consent_id if previous else new_consent_id(),
        site=policy.site,
        occurred_at=int(time.time() * 1000),
        event=event,
        layer=d.layer,
        control=d.control,
        language=d.lang,
        page=_path_only(d.page),
        policy_version=policy.version,
        build=d.build,
        shown={p.key: p.digest for p in asked},
        choices=granted,
        services=services,
        signals={"gpc": gpc},
        ua_class=ua_class(ua),
        client_time=d.client_time,
    )
    return record


def _path_only(page: str) -> str:
    path = urlsplit(page).path or "/"
    return path if path.startswith("/") else "/" + path
