"""Browser fixtures: one Chromium for the session, one demo server for the session, a fresh
browser context (empty profile) per test, and `Visit`, which records what the page did."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)

from bandeau.demo import DemoServer, ThirdPartyRequest
from bandeau.scanner.browser import HEADLESS_ARGS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = HEADLESS_ARGS

# Records CSP violations from inside the page (the console shows them too; this is exact).
CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is missing at /usr/bin/chromium: run `.ci/run`, or `apt-get install -y "
            "chromium` (Debian's package; Playwright's own download does not work here)",
            pytrace=False,
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with DemoServer(tmp_path_factory.mktemp("demo")) as server:
        yield server


@dataclass
class Visit:
    """A reader with an empty profile, and everything their browser did."""

    demo: DemoServer
    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    mark: int = 0

    # ---------------------------------------------------------------- navigation

    def url(self, path: str) -> str:
        return self.demo.url + path

    def goto(self, path: str = "/") -> None:
        self.page.goto(self.url(path), wait_until="load")
        self.settle()

    def settle(self) -> None:
        """Wait until the page and its activated scripts have stopped loading."""
        self.page.wait_for_load_state("networkidle")

    def decide(self, selector: str) -> dict[str, Any]:
        """Click a control that records a decision; return the server's answer (committed)."""
        with self.page.expect_response(self._is_decision) as info:
            self.page.click(selector)
        response = info.value
        assert response.status in (200, 201), response.text()
        self.settle()
        body: dict[str, Any] = response.json()
        return body

    def decide_and_reload(self, selector: str) -> None:
        """Like decide, for a withdrawal after which the banner reloads the page (the answer's
        body is gone with the page: read the store instead)."""
        with (
            self.page.expect_navigation(wait_until="load"),
            self.page.expect_response(self._is_decision) as info,
        ):
            self.page.click(selector)
        assert info.value.status in (200, 201)
        self.settle()

    @staticmethod
    def _is_decision(r: Response) -> bool:
        return r.request.method == "POST" and r.url.endswith("/decisions")

    # ---------------------------------------------------------------- what the browser holds

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.context.cookies(self.demo.url)}

    def cookies_when(self, names: set[str], timeout_ms: float = 10_000) -> dict[str, str]:
        """The cookies once `names` are all set (the scripts a grant activates run after the
        server's answer, and set theirs a little later), or as they are when `timeout_ms` ends:
        the caller's assertion then says what is missing."""
        waited = 0.0
        while not names <= set(self.cookies()) and waited < timeout_ms:
            self.page.wait_for_timeout(50)
            waited += 50
        return self.cookies()

    def storage(self) -> dict[str, list[str]]:
        keys: dict[str, list[str]] = self.page.evaluate(
            "() => ({local: Object.keys(localStorage), session: Object.keys(sessionStorage)})"
        )
        return keys

    def consent(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate("() => window.bandeau.consent()")
        return state

    def csp_violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("() => window.__csp || []")
        return found

    # ---------------------------------------------------------------- third parties

    def start_watching(self) -> None:
        """From now on, count requests to third parties (both logs)."""
        self.mark = len(self.demo.requests_seen_by_third_parties)
        self.requests.clear()

    def third_party_urls(self, origin: str | None = None) -> list[str]:
        """Requests the browser made to a third-party origin (Playwright's log)."""
        wanted = {origin} if origin else {self.demo.social_origin, self.demo.ads_origin}
        return [u for u in self.requests if _origin(u) in wanted]

    def seen_by_third_parties(self, origin: str | None = None) -> list[ThirdPartyRequest]:
        """Requests the fake third parties received (their own log)."""
        seen = self.demo.requests_seen_by_third_parties.since(self.mark)
        return [r for r in seen if origin is None or r.origin == origin]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def new_visit(demo: DemoServer, browser: Browser, **options: Any) -> Visit:
    context = browser.new_context(**options)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    visit = Visit(demo, context, page)

    def on_request(request: Request) -> None:
        visit.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.console_errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
    visit.start_watching()
    return visit


@pytest.fixture
def visit(demo: DemoServer, browser: Browser) -> Iterator[Visit]:
    v = new_visit(demo, browser, viewport={"width": 1280, "height": 800}, locale="fr-FR")
    yield v
    v.context.close()


def rgb(css: str) -> tuple[float, float, float, float]:
    """'rgb(1, 2, 3)' / 'rgba(1, 2, 3, 0.5)' -> (r, g, b, a)."""
    m = re.fullmatch(r"rgba?\(([^)]*)\)", css.strip())
    assert m, f"not an rgb() colour: {css!r}"
    parts = [float(x) for x in re.split(r"[,\s/]+", m.group(1).strip()) if x]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two opaque CSS colours."""

    def luminance(c: tuple[float, float, float, float]) -> float:
        def channel(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b, _ = c
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    a, b = luminance(rgb(fg)), luminance(rgb(bg))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
