"""Chromium started as a reader's browser: an empty profile for each phase (a browser context
of its own), no automation flag the page can see, third-party cookies allowed as in a default
desktop profile.

Pitfalls this module handles (issue 12):

- sites hide their banners from automation: `--disable-blink-features=AutomationControlled`
  (so `navigator.webdriver` is false) and a user agent without "HeadlessChrome";
- a fresh profile blocks third-party cookies: `Default/Preferences` is seeded with
  `{"profile": {"cookie_controls_mode": 0}}`;
- Chromium keeps only the last `--disable-features` flag: ours holds every feature we need off
  (those Playwright turns off when it starts Chromium itself, and site isolation: every frame
  then runs in the page's process, and one DevTools session sees every frame's requests).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ScanError

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Playwright

log = logging.getLogger("bandeau.scanner")

CHROMIUM = Path("/usr/bin/chromium")

# Playwright's own list (it must stay off for Playwright to work) and ours, in one flag.
DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "MediaRouter",
    "PaintHolding",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "IsolateOrigins",
    "site-per-process",
]

# Debian's Chromium, headless, quiet: no background traffic of its own (the browser tests and
# bench/banner.py start it with the same flags, DESIGN 8)
HEADLESS_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ARGS = [
    *HEADLESS_ARGS,
    "--disable-blink-features=AutomationControlled",
    "--disable-site-isolation-trials",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
]

VIEWPORT = {"width": 1280, "height": 800}

VIEWPORTS = ("desktop", "mobile")
"""the screens a page is scanned on (`--viewport`): a desktop window, and a phone 320 CSS px
wide (the narrowest width WCAG 2.1's reflow criterion and the standards list ask a page to
work at) with a device scale factor of 2, touch and a mobile user agent"""

MOBILE = {"width": 320, "height": 640}


@dataclass(frozen=True)
class BrowserOptions:
    executable: Path = CHROMIUM
    locale: str = "fr-FR"
    timeout_ms: int = 15_000
    """cap on one navigation"""
    settle_ms: int = 4_000
    """cap on waiting for the network to go quiet after a load or a click"""


def user_agent(version: str) -> str:
    """A desktop Chrome user agent for this Chromium's major version (headless mode otherwise
    announces itself as HeadlessChrome)."""
    major = version.split(".")[0]
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


def mobile_user_agent(version: str) -> str:
    """Chrome on Android's user agent for this Chromium's major version (the reduced form
    Chrome sends: a fixed Android version and model)."""
    major = version.split(".")[0]
    return (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Mobile Safari/537.36"
    )


def require(executable: Path) -> None:
    """A clear error when the browser is not where we were told."""
    if not executable.exists():
        raise ScanError(
            f"Chromium is missing at {executable}",
            hint="install it (`apt-get install chromium`, or `playwright install chromium` "
            "and pass its path with --chromium)",
        )


def seed_profile(folder: Path) -> None:
    """A new profile that allows third-party cookies, as a default desktop Chrome does."""
    default = folder / "Default"
    default.mkdir(parents=True, exist_ok=True)
    prefs = {"profile": {"cookie_controls_mode": 0}}
    (default / "Preferences").write_text(json.dumps(prefs))


class Chromium:
    """One Chromium started on a seeded profile (so that third-party cookies behave as in a
    default desktop profile), driven over the DevTools protocol. Each phase gets a fresh
    browser context from it: an empty profile of its own (cookies, storage, cache), which
    inherits the seeded settings. Starting a context takes tens of milliseconds where a new
    browser takes seconds."""

    def __init__(self, pw: Playwright, options: BrowserOptions) -> None:
        self.pw = pw
        self.options = options
        self.folder = Path(tempfile.mkdtemp(prefix="bandeau-scan-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.browser: Browser | None = None
        self.agent = ""
        self.mobile_agent = ""

    async def __aenter__(self) -> Chromium:
        require(self.options.executable)
        seed_profile(self.folder)
        command = [
            str(self.options.executable),
            *ARGS,
            f"--user-data-dir={self.folder}",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our own argument list)
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            port = await self._port()
            self.browser = await self.pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        except Exception as e:
            await self.__aexit__()
            if isinstance(e, ScanError):
                raise
            raise ScanError(f"Chromium did not start: {e}".splitlines()[0]) from e
        self.agent = user_agent(self.browser.version)
        self.mobile_agent = mobile_user_agent(self.browser.version)
        return self

    async def _port(self) -> int:
        """The DevTools port Chromium chose, from the file it writes in its profile."""
        marker = self.folder / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ScanError(f"Chromium exited at start (status {self.process.returncode})")
            text = marker.read_text() if marker.exists() else ""
            if text.strip():
                return int(text.split()[0])
            await asyncio.sleep(0.05)
        raise ScanError("Chromium did not open its DevTools port within 30 s")

    async def __aexit__(self, *exc: object) -> None:
        if self.browser is not None:
            try:
                await self.browser.close()
            except Exception as e:  # the process may be gone already
                log.info("closing Chromium: %s", str(e).splitlines()[0])
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    @asynccontextmanager
    async def fresh_profile(self, viewport: str = "desktop") -> AsyncIterator[BrowserContext]:
        """An empty profile of its own, closed on exit, on the desktop window or the phone's
        screen (320 x 640 CSS px, scale factor 2, touch, a mobile user agent)."""
        if self.browser is None:
            raise ScanError("Chromium is not running")
        if viewport == "mobile":
            context = await self.browser.new_context(
                viewport=MOBILE,  # type: ignore[arg-type]
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale=self.options.locale,
                user_agent=self.mobile_agent,
            )
        else:
            context = await self.browser.new_context(
                viewport=VIEWPORT,  # type: ignore[arg-type]
                locale=self.options.locale,
                user_agent=self.agent,
            )
        context.set_default_timeout(self.options.timeout_ms)
        try:
            yield context
        finally:
            await context.close()
