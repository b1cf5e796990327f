"""What every handler needs, kept once in the application state: the sites (each with its own
signing keys), the log's keys, the store, the ledger, the writer and the settings. Handlers are
module-level functions that ask for it with `context(request)` (Starlette's and Datasette's
style) instead of closing over it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from starlette.requests import Request

from ..banner import Bundle, render, render_preferences
from ..banner.config import details_for, site_config
from ..errors import InvalidRequest, UnknownSite
from ..keys import KeyRing
from ..ledger import Ledger
from ..notices import Served, UnknownNotice, build_of, notice_for
from ..policy import Policy
from ..privacy import render_privacy_page
from ..ratelimit import RateLimiter
from ..settings import Settings
from ..store import Notice, Store
from ..store.writer import BatchWriter
from ..tcf.publisher import TcfSite

if TYPE_CHECKING:
    from .writerprocess import ProcessWriter

__all__ = ["API", "Context", "Site", "archived_served", "context", "site_language", "site_of"]

API: Final = "/v1"


@dataclass
class Site:
    """A policy, served: its config and its banner bundles, each built once, and the key ring
    that signs its tokens and receipts (its own: what it signs verifies on no other site)."""

    policy: Policy
    api: str
    keys: KeyRing
    tcf: TcfSite | None = None  # the TCF mode, when the policy has [tcf] (docs/tcf.md)
    _bundles: dict[str, Bundle] = field(default_factory=dict, init=False, repr=False)
    _pages: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)
    _notices: dict[str, Notice] = field(default_factory=dict, init=False, repr=False)
    # every notice id known to be archived for this site -> the server's word on it
    _served: dict[tuple[str, str], Served] = field(default_factory=dict, init=False, repr=False)
    _tcf_scripts: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)

    def config(self, lang: str | None = None, *, gpc_reader: bool = True) -> dict[str, Any]:
        lang = self.language(lang)
        config = site_config(self.policy, self.api, lang, gpc_reader=gpc_reader)
        return {**config, "notice": self.notice(lang).id}

    def archive_notices(self, store: Store) -> None:
        """Archive the notice of each of the site's languages (once: an archived id is kept as
        it is). Done when the server starts, so no request builds or stores a notice."""
        for lang in self.policy.languages:
            notice = notice_for(self.policy, lang, tcf=self.tcf)
            store.archive_notice(notice)
            self._notices[lang] = notice
            self._served[(lang, notice.id)] = Served(notice.id, build_of(notice))

    def notice(self, lang: str) -> Notice:
        """The notice the site serves now in `lang` (archived by `archive_notices`)."""
        if lang not in self._notices:
            raise RuntimeError(f"the notices of site {self.policy.site!r} are not archived")
        return self._notices[lang]

    def served(self, lang: str, claimed: str | None) -> Served | None:
        """The server's word on the notice a decision in `lang` answered: the one the banner
        names when it is archived for this site and language, the current one when it names
        none; None when only the archive can tell (`served_from`)."""
        lang = self.language(lang)
        return self._served.get((lang, self.notice(lang).id if claimed is None else claimed))

    def served_from(self, store: Store, lang: str, claimed: str | None) -> Served:
        """`served` for a notice this process did not archive (an older one): read from the
        archive, then remembered. A 409 `unknown_notice` when the site never served it."""
        served = archived_served(store, self.policy.site, lang, claimed)
        self._served[(lang, served.notice)] = served
        return served

    def served_notices(self) -> dict[tuple[str, str], Served]:
        """(language, notice id) -> the server's word, for every notice known to be archived
        (what the log's writer process starts with: `writerprocess.SiteDesk`)."""
        return dict(self._served)

    def language(self, lang: str | None) -> str:
        """`lang` when the site speaks it, the site's default when None; else a 422."""
        return site_language(self.policy, lang)

    def bundle(self, lang: str | None = None, *, gpc_reader: bool = False) -> Bundle:
        """The first layer in one language, for a browser that sends Global Privacy Control
        (`gpc_reader`) or not: only the first carries the GPC sentence (`texts_for`)."""
        lang = self.language(lang)
        key = lang + (":gpc" if gpc_reader else "")
        if key not in self._bundles:
            self._bundles[key] = render(self.config(lang, gpc_reader=gpc_reader))
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


def site_language(policy: Policy, lang: str | None) -> str:
    """`lang` when the site speaks it, the site's default when None; else a 422."""
    if lang is None:
        return policy.default_language
    if lang not in policy.languages:
        raise InvalidRequest(
            f"language {lang!r} is not one of the site's languages {list(policy.languages)}",
            field="lang",
        )
    return lang


def archived_served(store: Store, site: str, lang: str, claimed: str | None) -> Served:
    """The server's word on notice `claimed`, read from the archive: a 409 `unknown_notice`
    when `site` never served it in `lang`."""
    notice = store.notice(site, claimed) if claimed else None
    if notice is None or notice.language != lang:
        raise UnknownNotice(
            f"notice {claimed!r} was never served by site {site!r} in {lang!r}",
            field="notice",
            hint="reload the page to get the current banner",
        )
    return Served(notice.id, build_of(notice))


@dataclass
class Context:
    """The server's parts, built once by `create_app`."""

    settings: Settings
    sites: dict[str, Site]
    keys: KeyRing  # the log's: it signs checkpoints
    store: Store
    ledger: Ledger
    writer: BatchWriter
    limiter: RateLimiter
    desk: ProcessWriter | None = None
    """The log's writer process, when `app.lifespan` started one: decisions go to it instead
    of `writer` (`server.writerprocess`)."""


def context(request: Request) -> Context:
    return cast(Context, request.app.state.bandeau)


def site_of(request: Request, name: str | None = None) -> Site:
    """The site named in the path (or `name`); a 404 `unknown_site` when there is none."""
    name = request.path_params["site"] if name is None else name
    site = context(request).sites.get(name)
    if site is None:
        raise UnknownSite(f"no site {name!r} is configured here", field="site")
    return site
