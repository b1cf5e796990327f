"""A scan: every page through the protocol, phases in parallel up to `--concurrency` browsers,
and a same-site crawl up to `--max-pages` from each URL given."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from .autoconsent import Autoconsent
from .browser import VIEWPORTS, BrowserOptions, Chromium, require
from .classify import Classifier, CookieDb, SitePolicy, read_cookie_db
from .errors import ScanError
from .findings import Evidence, Finding, banner_seen, evaluate_views, site_host
from .visit import PHASES, PhaseResult, run_phase

if TYPE_CHECKING:
    from playwright.async_api import Playwright

log = logging.getLogger("bandeau.scanner")


@dataclass(frozen=True)
class ScanOptions:
    max_pages: int = 1
    concurrency: int = 2
    cookie_db: Path | None = None
    policy: Path | None = None
    necessary_only: bool = False
    autoconsent: Path | None = None
    """the @duckduckgo/autoconsent package folder, to use its rules as a second source"""
    detector_answers: bool = True
    """False: our detector finds banners but leaves answering them to autoconsent (tests)"""
    viewports: tuple[str, ...] = VIEWPORTS
    """the screens each page is scanned on, each with the whole protocol (`--viewport`):
    `desktop`, `mobile` or both; the first is the one `phases` and `banner` report"""
    browser: BrowserOptions = field(default_factory=BrowserOptions)


@dataclass
class PageResult:
    url: str
    phases: dict[str, PhaseResult]
    """the phases on the first viewport scanned"""
    findings: list[Finding]
    cmp: str | None
    policy_source: str | None
    evidence: Evidence
    views: dict[str, dict[str, PhaseResult]] = field(default_factory=dict)
    """every viewport's phases, `phases` among them: {viewport: {phase: result}}"""

    @property
    def banner_found(self) -> bool:
        """bandeau's API or our detector saw a banner, or autoconsent found a CMP's popup."""
        return banner_seen(self.phases)

    @property
    def autoconsent_popups(self) -> list[str]:
        before = self.phases.get("before")
        return before.autoconsent.popups if before and before.autoconsent else []


Progress = Callable[[str, str], None]
"""called with (url, what happened): "start", "phase:<name>", "done"."""


def _quiet(url: str, what: str) -> None:
    return None


async def scan(
    urls: list[str], options: ScanOptions, progress: Progress = _quiet
) -> list[PageResult]:
    """Scan each URL (and up to `max_pages` same-site pages from each) in a real browser."""
    from playwright.async_api import async_playwright

    require(options.browser.executable)  # before Playwright's driver starts
    db = CookieDb(read_cookie_db(options.cookie_db)) if options.cookie_db else None
    policy = _policy_file(options.policy) if options.policy else None
    ac = Autoconsent.load(options.autoconsent) if options.autoconsent else None
    async with async_playwright() as pw, Chromium(pw, options.browser) as chromium:
        gate = asyncio.Semaphore(max(1, options.concurrency))
        scanner = _Scanner(pw, chromium, options, gate, db, policy, progress, ac)
        results = await asyncio.gather(*(scanner.site(u) for u in urls))
    return [page for site in results for page in site]


@dataclass
class _Scanner:
    pw: Playwright
    chromium: Chromium
    options: ScanOptions
    gate: asyncio.Semaphore
    db: CookieDb | None
    policy: SitePolicy | None
    progress: Progress
    autoconsent: Autoconsent | None

    async def site(self, url: str) -> list[PageResult]:
        first = await self.page(url)
        pages = [first]
        todo = [u for u in first.phases["before"].links if _is_page(u)]
        todo = todo[: self.options.max_pages - 1]
        pages += await asyncio.gather(*(self.page(u) for u in todo))
        return pages

    async def page(self, url: str) -> PageResult:
        self.progress(url, "start")
        names = [*PHASES, "necessary"] if self.options.necessary_only else list(PHASES)
        runs = [(v, n) for v in self.options.viewports or VIEWPORTS[:1] for n in names]
        results = await asyncio.gather(*(self.phase(url, n, v) for v, n in runs))
        views: dict[str, dict[str, PhaseResult]] = {}
        for (v, n), r in zip(runs, results, strict=True):
            views.setdefault(v, {})[n] = r
        phases = next(iter(views.values()))
        policy, source = self.policy, "file" if self.policy else None
        bandeau = next((p.bandeau for p in results if p.bandeau), None)
        if policy is None and bandeau and bandeau.get("script"):
            policy = await self._site_config(bandeau["script"])
            source = "config" if policy else None
        classifier = Classifier(policy, self.db)
        evidence = Evidence(site_host(url), classifier)
        found = evaluate_views(views, evidence, declared=policy is not None)
        cmp = next((p.cmp for p in results if p.cmp), None)
        ac = phases["before"].autoconsent
        if cmp is None and ac is not None and ac.popups:
            cmp = ac.popups[0]  # named by autoconsent's rule when no global names it
        self.progress(url, "done")
        return PageResult(url, phases, found, cmp, source, evidence, views)

    async def phase(self, url: str, name: str, viewport: str = "desktop") -> PhaseResult:
        async with self.gate:
            result = await run_phase(
                self.chromium,
                url,
                name,
                self.autoconsent,
                self.options.detector_answers,
                viewport,
            )
        self.progress(url, f"phase:{name}" + (f" ({viewport})" if viewport != "desktop" else ""))
        return result

    async def _site_config(self, script: str) -> SitePolicy | None:
        """The site's bandeau config, from the URL beside its banner script."""
        config_url = urljoin(script.split("?")[0], "config")
        request = await self.pw.request.new_context()
        try:
            response = await request.get(config_url)
            if not response.ok:
                log.warning("bandeau config %s answered %s", config_url, response.status)
                return None
            return SitePolicy.from_config(await response.json())
        except Exception as e:
            log.warning("bandeau config %s not read: %s", config_url, str(e).splitlines()[0])
            return None
        finally:
            await request.dispose()


def _is_page(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return not path.endswith((".pdf", ".jpg", ".png", ".zip", ".svg", ".gif", ".css", ".js"))


def _policy_file(path: Path) -> SitePolicy:
    """A bandeau policy file given with --policy, as the site's config would say it."""
    from ..banner.config import site_config
    from ..policy import load_policy

    policy = load_policy(path)
    return SitePolicy.from_config(site_config(policy, "http://localhost/v1"))


def run(urls: list[str], options: ScanOptions, progress: Progress = _quiet) -> list[PageResult]:
    """`scan` for synchronous callers (the CLI, the benchmark)."""
    if not urls:
        raise ScanError("no URL to scan", hint="give at least one http(s) URL")
    return asyncio.run(scan(urls, options, progress))
