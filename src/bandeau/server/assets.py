"""What a page downloads: each site's config, its banner (first layer) and its preferences
(second layer), in one language each. Static per policy version and banner build, so they are
cacheable by browsers and CDNs for a year when the URL names that version (`?v=`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from ..banner.config import asset_version
from ..signals import gpc_from_headers
from .compression import negotiated
from .context import API, Site, site_of
from .edge import ERROR_RESPONSES

__all__ = ["install"]

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"

# `lang`: one of the site's languages (the OpenAPI document lists them, `openapi`).
Lang = Annotated[str | None, Query(max_length=8, description="one of the site's languages")]


async def config(request: Request, lang: Lang = None) -> JSONResponse:
    """The site config the banner is built with: purposes, digests, texts, defaults."""
    site = site_of(request)
    return JSONResponse(site.config(lang), headers={"Cache-Control": "no-cache"})


async def banner_js(request: Request, lang: Lang = None) -> Response:
    """The site's banner script in one language (default: the site's), config inlined.

    A browser that sends `Sec-GPC: 1` gets the variant that can say why the purposes Global
    Privacy Control answers are not asked; others get it without that sentence (`Vary:
    Sec-GPC`). Cacheable: `ETag`, and a year when `?v=` names the current asset version."""
    site = site_of(request)
    gpc_reader = gpc_from_headers(request.headers.getlist("sec-gpc"))
    bundle = site.bundle(lang, gpc_reader=gpc_reader)
    return asset(request, site, bundle.js, JS, vary="Sec-GPC")


async def banner_css(request: Request) -> Response:
    """The banner's stylesheet."""
    site = site_of(request)
    bundle = site.bundle()
    return asset(request, site, bundle.css, CSS)


async def preferences_js(request: Request, lang: Lang = None) -> Response:
    """The preferences (second layer) in one language, details inlined: the banner loads it
    the first time a reader opens them."""
    site = site_of(request)
    bundle = site.preferences(lang)
    return asset(request, site, bundle.js, JS)


async def preferences_css(request: Request) -> Response:
    """The preferences' stylesheet."""
    site = site_of(request)
    bundle = site.preferences()
    return asset(request, site, bundle.css, CSS)


def asset(request: Request, site: Site, content: bytes, media: str, vary: str = "") -> Response:
    """One file of a bundle, in the best encoding the browser accepts: 304 when the browser
    has it, cached a year under a versioned URL (the version changes with the policy and the
    banner build), else revalidated each time. No CORS headers: a page loads these with
    `<script>` and `<link>`, which need none."""
    versioned = request.query_params.get("v") == asset_version(site.policy)
    cache = "public, max-age=31536000, immutable" if versioned else "no-cache"
    return negotiated(request, content, media, {"Cache-Control": cache}, vary)


def served_as(media: str, what: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses of a route that answers `media` (not JSON), or 304."""
    return {
        200: {"description": what, "content": {media: {"schema": {"type": "string"}}}},
        304: {"description": "not modified: the If-None-Match tag is current"},
        **ERROR_RESPONSES,
    }


def install(app: FastAPI) -> None:
    """This module's routes, under /v1/sites/{site}."""
    site = f"{API}/sites/{{site}}"
    app.add_api_route(site + "/config", config, tags=["banner"], responses=ERROR_RESPONSES)
    for path, handler, media, what in (
        ("/banner.js", banner_js, JS, "the banner script, its config inlined"),
        ("/banner.css", banner_css, CSS, "the banner's stylesheet"),
        ("/settings.js", preferences_js, JS, "the preferences script, details inlined"),
        ("/settings.css", preferences_css, CSS, "the preferences' stylesheet"),
    ):  # the preferences' public URLs keep their first name (settings)
        app.add_api_route(
            site + path,
            handler,
            tags=["banner"],
            response_class=Response,
            responses=served_as(media.split(";")[0], what),
        )
