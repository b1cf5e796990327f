"""What every handler needs, kept once in the application state: the sites, the keys, the store,
the ledger, the writer and the settings. Handlers are module-level functions that ask for it
with `context(request)` (Starlette's and Datasette's style) instead of closing over it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, cast

from starlette.requests import Request

from ..banner import Bundle, render, render_preferences
from ..banner.config import details_for, site_config
from ..errors import InvalidRequest, UnknownSite
from ..keys import KeyRing
from ..ledger import Ledger
from ..policy import Policy
from ..privacy import render_privacy_page
from ..ratelimit import RateLimiter
from ..settings import Settings
from ..store import Store
from ..store.writer import BatchWriter
from ..tcf.publisher import TcfSite

__all__ = ["API", "Context", "Site", "context", "site_of"]

API: Final = "/v1"


@dataclass
class Site:
    """A policy, served: its config and its banner bundles, each built once."""

    policy: Policy
    api: str
    tcf: TcfSite | None = None  # the TCF mode, when the policy has [tcf] (docs/tcf.md)
    _bundles: dict[str, Bundle] = field(default_factory=dict, init=False, repr=False)
    _pages: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)
    _tcf_scripts: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)

    def config(self, lang: str | None = None) -> dict[str, Any]:
        return site_config(self.policy, self.api, self.language(lang))

    def language(self, lang: str | None) -> str:
        """`lang` when the site speaks it, the site's default when None; else a 422."""
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
        """The first layer in one language."""
        key = self.language(lang)
        if key not in self._bundles:
            self._bundles[key] = render(self.config(key))
        return self._bundles[key]

    def preferences(self, lang: str | None = None) -> Bundle:
        """The preferences (second layer) in one language."""
        lang = self.language(lang)
        key = "preferences:" + lang
        if key not in self._bundles:
            self._bundles[key] = render_preferences(details_for(self.policy, lang))
        return self._bundles[key]

    def privacy(self, lang: str | None = None) -> bytes:
        """The privacy page in one language, as HTML bytes (built once)."""
        key = self.language(lang)
        if key not in self._pages:
            self._pages[key] = render_privacy_page(self.policy, key).encode()
        return self._pages[key]

    def allows_origin(self, origin: str) -> bool:
        return origin in self.policy.origins


@dataclass
class Context:
    """The server's parts, built once by `create_app`."""

    settings: Settings
    sites: dict[str, Site]
    keys: KeyRing
    store: Store
    ledger: Ledger
    writer: BatchWriter
    limiter: RateLimiter


def context(request: Request) -> Context:
    return cast(Context, request.app.state.bandeau)


def site_of(request: Request, name: str | None = None) -> Site:
    """The site named in the path (or `name`); a 404 `unknown_site` when there is none."""
    name = request.path_params["site"] if name is None else name
    site = context(request).sites.get(name)
    if site is None:
        raise UnknownSite(f"no site {name!r} is configured here", field="site")
    return site
