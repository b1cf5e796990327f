"""The TCF mode's routes: its script (`tcf.js`, for sites with `[tcf]` or `[consent_mode]`)
and the site's narrowed vendor list (`getVendorList`, TCF-10: browsers never fetch the IAB's)."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..errors import NotFound
from ..tcf.bundle import tcf_config, tcf_script, tcf_script_hash
from .assets import JS, Lang, served_as
from .compression import negotiated
from .context import API, Site, site_of

__all__ = ["install", "tcf_version"]

JSON = "application/json"


def tcf_version(site: Site, lang: str = "") -> str:
    """The `?v=` that makes tcf.js cacheable for a year: the policy, the script, the vendor
    list version and the translation of the purposes into `lang` in use."""
    if site.tcf is None:
        return f"{site.policy.version}{tcf_script_hash()}0"
    snapshot = site.tcf.snapshot()
    texts = site.tcf.texts(lang, snapshot) if lang else None
    translation = texts.reference.rsplit(":", 1)[-1][:8] if texts and texts.reference else ""
    return f"{site.policy.version}{tcf_script_hash()}{snapshot.gvl.vendorListVersion}{translation}"


def enabled(site: Site) -> None:
    if site.tcf is None and site.policy.consent_mode is None:
        raise NotFound(
            f"site {site.policy.site!r} has no TCF mode",
            hint="add a [tcf] or [consent_mode] section to its policy (docs/tcf.md)",
        )


async def tcf_js(request: Request, lang: Lang = None) -> Response:
    """The TCF mode's script (TCF, Consent Mode, GPP) in one language, its config inlined; 404
    for a site without [tcf] or [consent_mode]."""
    site = site_of(request)
    enabled(site)
    language = site.language(lang)
    version = await run_in_threadpool(tcf_version, site, language)  # may refetch the lists
    key = f"tcf:{language}:{version}"
    if key not in site._tcf_scripts:
        config = tcf_config(site.policy, site.tcf, site.api, language)
        site._tcf_scripts[key] = tcf_script(config)
    versioned = request.query_params.get("v") == version
    cache = "public, max-age=31536000, immutable" if versioned else "no-cache"
    return negotiated(request, site._tcf_scripts[key], JS, {"Cache-Control": cache})


async def vendor_list(request: Request) -> Response:
    """The site's vendor list, narrowed to the vendors its policy declares (TCF-09)."""
    site = site_of(request)
    if site.tcf is None:
        raise NotFound(
            f"site {site.policy.site!r} does not speak TCF", hint="add [tcf] to its policy"
        )
    snapshot = await run_in_threadpool(site.tcf.snapshot)
    body = json.dumps(
        snapshot.gvl.model_dump(mode="json", exclude_none=True), separators=(",", ":")
    )
    return negotiated(request, body.encode(), JSON, {"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """This module's routes, under /v1/sites/{site}."""
    site = f"{API}/sites/{{site}}"
    app.add_api_route(
        site + "/tcf.js",
        tcf_js,
        tags=["banner"],
        response_class=Response,
        responses=served_as("text/javascript", "the TCF mode's script, its config inlined"),
    )
    app.add_api_route(
        site + "/vendor-list.json",
        vendor_list,
        tags=["banner"],
        response_class=Response,
        responses=served_as(JSON, "the narrowed Global Vendor List"),
    )
