"""Chromium started as a reader's browser: a fresh profile for each phase, no automation flag
the page can see, third-party cookies allowed as in a default desktop profile.

Pitfalls this module handles (issue 12):

- sites hide their banners from automation: `--disable-blink-features=AutomationControlled`
  (so `navigator.webdriver` is false) and a user agent without "HeadlessChrome";
- a fresh profile blocks third-party cookies: `Default/Preferences` is seeded with
  `{"profile": {"cookie_controls_mode": 0}}`;
- Chromium keeps only the last `--disable-features` flag: Playwright passes one of its own, so
  ours repeats the features Playwright needs off, plus site isolation (every frame then runs in
  the page's process, and one DevTools session sees every frame's requests).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ScanError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Playwright

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

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-blink-features=AutomationControlled",
    "--disable-site-isolation-trials",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
]

VIEWPORT = {"width": 1280, "height": 800}


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


def seed_profile(folder: Path) -> None:
    """A new profile that allows third-party cookies, as a default desktop Chrome does."""
    default = folder / "Default"
    default.mkdir(parents=True, exist_ok=True)
    prefs = {"profile": {"cookie_controls_mode": 0}}
    (default / "Preferences").write_text(json.dumps(prefs))


@asynccontextmanager
async def fresh_profile(
    pw: Playwright, options: BrowserOptions, version: str | None = None
) -> AsyncIterator[BrowserContext]:
    """A browser with a profile nobody used before, removed on exit."""
    if not options.executable.exists():
        raise ScanError(
            f"Chromium is missing at {options.executable}",
            hint="install it (`apt-get install chromium`, or `playwright install chromium` "
            "and pass its path)",
        )
    folder = Path(tempfile.mkdtemp(prefix="bandeau-scan-"))
    try:
        seed_profile(folder)
        extra = {"user_agent": user_agent(version)} if version else {}
        try:
            context = await pw.chromium.launch_persistent_context(
                str(folder),
                executable_path=str(options.executable),
                args=ARGS,
                headless=True,
                viewport=VIEWPORT,  # type: ignore[arg-type]
                locale=options.locale,
                **extra,  # type: ignore[arg-type]
            )
        except Exception as e:
            raise ScanError(f"Chromium did not start: {e}".splitlines()[0]) from e
        context.set_default_timeout(options.timeout_ms)
        try:
            yield context
        finally:
            await context.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def browser_version(pw: Playwright, options: BrowserOptions) -> str:
    """The Chromium version (for the user agent), from one short launch."""
    if not options.executable.exists():
        raise ScanError(
            f"Chromium is missing at {options.executable}",
            hint="install it (`apt-get install chromium`, or `playwright install chromium` "
            "and pass its path)",
        )
    try:
        browser = await pw.chromium.launch(executable_path=str(options.executable), args=ARGS)
    except Exception as e:
        raise ScanError(f"Chromium did not start: {e}".splitlines()[0]) from e
    version = browser.version
    await browser.close()
    return version
