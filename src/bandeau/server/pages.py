"""Pages a reader reads on the consent server: the site's privacy policy, generated from its
policy file (`bandeau.privacy`), so any publisher can link to it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from ..privacy import PAGE_CSP
from .assets import Lang, served_as
from .compression import negotiated
from .context import API, site_of

__all__ = ["install"]


async def privacy_page(request: Request, lang: Lang = None) -> Response:
    """The site's privacy policy as an HTML page in one language (default: the site's),
    generated from its policy: controller, purposes, services, cookies, rights, GPC.

    Cacheable: `ETag` (`Cache-Control: no-cache`); compressed once per language."""
    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": PAGE_CSP,
    }
    body = site_of(request).privacy(lang)
    return negotiated(request, body, "text/html; charset=utf-8", headers)


def install(app: FastAPI) -> None:
    """This module's routes."""
    app.add_api_route(
        f"{API}/sites/{{site}}/privacy",
        privacy_page,
        tags=["pages"],
        response_class=Response,
        responses=served_as("text/html", "the privacy policy page"),
    )
