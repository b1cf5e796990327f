"""The banner a site serves: the first layer (`banner.js` with the site config inlined, and
`banner.css`) and the preferences, its second layer (`preferences.js` with the details
inlined, and `preferences.css`; served as `settings.js` and `settings.css`).

The readable sources live beside this file; what is served is their minified copy in `dist/`,
built by a pinned esbuild (`make banner`, scripts/build-banner.mjs) and committed, so that
installing bandeau needs no Node. `render(config)` only puts one site's config in place of the
placeholder. `build_hash()` identifies the shipped bytes: the ledger records it with each
decision as the "banner build", so a record says which banner code asked the question.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["SHIPPED", "Bundle", "build_hash", "render", "render_preferences"]

TOKEN = "__BANDEAU_CONFIG__"  # noqa: S105 (a placeholder, not a secret)
DETAILS_TOKEN = "__BANDEAU_DETAILS__"  # noqa: S105

SHIPPED = ("banner.js", "banner.css", "preferences.js", "preferences.css")
"""The built files under `dist/`, in the order `build_hash()` reads them."""


@dataclass(frozen=True)
class Bundle:
    """One site's banner assets (first layer or preferences)."""

    js: bytes
    """the script, with the site's config (or details) inlined"""
    css: bytes
    """the stylesheet, as built"""
    build: str
    """the banner build hash (`build_hash()`), the same for every site"""


@cache
def shipped(name: str) -> bytes:
    """One built file of `dist/`, as it is served (before any config is inlined)."""
    data = (resources.files(__name__) / "dist" / name).read_bytes()
    token = {"banner.js": TOKEN, "preferences.js": DETAILS_TOKEN}.get(name)
    if token and data.count(token.encode()) != 1:
        raise RuntimeError(f"dist/{name} must contain the token {token} exactly once")
    return data


@cache
def build_hash() -> str:
    """Hex SHA-256 (first 16 digits) of the shipped files (`SHIPPED`, each preceded by its
    length): the "banner build" a record names."""
    digest = hashlib.sha256()
    for name in SHIPPED:
        data = shipped(name)
        digest.update(b"%d\0" % len(data) + data)
    return digest.hexdigest()[:16]


def _config_json(config: Mapping[str, object]) -> str:
    """`config` as a JSON literal that is safe to inline in a script, even inside HTML."""
    text = json.dumps(dict(config), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _bundle(script: str, token: str, inlined: Mapping[str, object], stylesheet: str) -> Bundle:
    js = shipped(script).replace(token.encode(), _config_json(inlined).encode("utf-8"))
    return Bundle(js=js, css=shipped(stylesheet), build=build_hash())


def render_preferences(details: Mapping[str, object]) -> Bundle:
    """The preferences for one site and language: preferences.js with the `details` (as
    `bandeau.banner.config.details_for` builds them) inlined, and preferences.css."""
    return _bundle("preferences.js", DETAILS_TOKEN, details, "preferences.css")


def render(config: Mapping[str, object]) -> Bundle:
    """The first layer for one site: its `config` (as `bandeau.banner.config.site_config`
    builds it) inlined in banner.js, and banner.css."""
    return _bundle("banner.js", TOKEN, _as_inlined(config), "banner.css")


def _as_inlined(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` as banner.js reads it, in fewer bytes (the first layer's budget counts each
    one): the policy version stays out, since the notice id (which the server adds) names the
    words and the build the banner shows and versions the preferences' URLs; a purpose's fields,
    a declaration's cookie domains and the cookie's domain are left out when empty or false,
    which is what banner.js takes a missing one for. What the banner never reads of a strictly
    necessary purpose (always allowed, never sent) stays out too: its digest and default, and
    the declarations that only it governs (`_kept_declarations`)."""
    inlined = {key: value for key, value in config.items() if key != "version"}
    inlined["purposes"] = [_inlined_purpose(purpose) for purpose in config["purposes"]]
    necessary = {p["key"] for p in config["purposes"] if p["kind"] == "necessary"}
    cookies = _kept_declarations(config["cookies"], necessary)
    inlined["cookies"] = [entry if entry[2] else entry[:2] for entry in cookies]
    inlined["storage"] = _kept_declarations(config["storage"], necessary)
    cookie = config["cookie"]
    inlined["cookie"] = {key: value for key, value in cookie.items() if value != ""}
    return inlined


def _inlined_purpose(purpose: Mapping[str, Any]) -> dict[str, Any]:
    unread = ("digest", "default") if purpose["kind"] == "necessary" else ()
    return {
        key: value
        for key, value in purpose.items()
        if value not in (False, [], "") and key not in unread
    }


def _kept_declarations(declarations: list[list[Any]], necessary: set[str]) -> list[list[Any]]:
    """The declarations (in precedence order) the banner needs. One governed only by strictly
    necessary purposes is never refused, and without it a name it matches is kept all the same
    (an undeclared name is never deleted), unless a wider prefix declared after it would then
    govern that name: such a declaration stays, so that every name resolves as before."""

    def stem(pattern: str) -> str:
        return pattern.removesuffix("*")

    def shadows(entry: list[Any]) -> bool:
        return any(
            other is not entry
            and other[0].endswith("*")
            and stem(entry[0]).startswith(stem(other[0]))
            for other in declarations
        )

    return [
        entry
        for entry in declarations
        if not set(entry[1]) <= necessary or shadows(entry)
    ]
