"""The protocol of one phase, each in a fresh profile (issue 12, item 1):

- `before`: load, let the network settle (or hit the cap), scroll a little; no click;
- `refuse`: the same, then refuse by the shortest path, then reload and follow one internal link
  (trackers that ignore a refusal often show only on the next page view);
- `accept`: the same with accept;
- `necessary`: refuse through the settings layer (optional; `--necessary-only`).

Screenshots: on arrival, and after the choice. Each phase runs on one viewport (`desktop` or
`mobile`, browser.VIEWPORTS): a page scanned on both gets each phase twice, each in its own
profile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin, urlsplit

from . import autoconsent, banners, design, pixels
from .autoconsent import Autoconsent
from .browser import Chromium
from .instrument import Recorder, Recording
from .words import role_of

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger("bandeau.scanner")

PHASES = ("before", "refuse", "accept")

ACTION_GRACE_MS = 250
"""after a scroll or a click, how long the first request it triggers may take to start (a
script's fetch, an IntersectionObserver's lazy load at the next frame); once one has, the
usual quiet window applies"""

LINKS = """() => Array.from(document.querySelectorAll('a[href]'), (a) => a.href)"""


@dataclass
class PhaseResult:
    name: str
    url: str
    recording: Recording = field(default_factory=Recording)
    screenshots: dict[str, bytes] = field(default_factory=dict)
    banner_found: bool = False
    banner_text: str = ""
    banner_in_frame: bool = False
    cmp: str | None = None
    bandeau: dict[str, Any] | None = None
    choice: banners.Choice | None = None
    banner_after_reload: bool | None = None
    next_page: str | None = None
    links: list[str] = field(default_factory=list)
    error: str | None = None
    autoconsent: autoconsent.Detection | None = None
    first_layer: list[dict[str, Any]] | None = None
    """in `refuse`: how the first layer's refuse and accept controls look (design.MEASURE),
    the one our detector clicks first first; None when no banner was measured"""
    outside_refusals: list[dict[str, Any]] = field(default_factory=list)
    """in `refuse`, when the first layer has no refusal: refusal-named controls elsewhere"""
    persistent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """in `refuse`, after the choice: the controls of each later page view (`reload`,
    `next_page`) that could lead back to the choices (design.PERSISTENT)"""
    viewport: str = "desktop"
    """the screen it ran on (browser.VIEWPORTS)"""
    banner_box: dict[str, Any] | None = None
    """in `refuse`: the banner's container as measured on arrival (design.BANNER_BOX): its
    box, the viewport's size, the share of the viewport it covers"""


def same_site_links(base: str, hrefs: list[str]) -> list[str]:
    """Links of the page to other pages of the same host, without fragments, in page order."""
    host = urlsplit(base).netloc
    seen: list[str] = []
    for href in hrefs:
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != host:
            continue
        if url != urldefrag(base)[0] and url not in seen:
            seen.append(url)
    return seen


async def run_phase(
    chromium: Chromium,
    url: str,
    name: str,
    ac: Autoconsent | None = None,
    detector_answers: bool = True,
    viewport: str = "desktop",
) -> PhaseResult:
    """One phase of the protocol in a profile of its own, on one viewport. `detector_answers`
    False leaves the answer to autoconsent (the tests exercise its path on banners our
    detector can answer)."""
    from playwright.async_api import Error as PlaywrightError

    result = PhaseResult(name, url, viewport=viewport)
    options = chromium.options
    async with chromium.fresh_profile(viewport) as context:
        page = context.pages[0] if context.pages else await context.new_page()
        await context.add_init_script(banners.SHADOW_HOOK)
        recorder = Recorder(context, page)
        await recorder.attach()
        result.recording = recorder.recording
        if ac is not None and name == "before":
            result.autoconsent = await autoconsent.attach(context, ac)

        async def settle() -> None:  # after a navigation's load event
            await recorder.quiet(options.settle_ms)

        async def settle_action() -> None:  # after a scroll or a click
            await recorder.quiet(options.settle_ms, after_action_ms=ACTION_GRACE_MS)

        try:
            await _arrive(page, url, settle, settle_action)
            await _wait_for_banner(page, result, options.settle_ms / 1000)
            await _look(page, result)
            result.screenshots["arrival"] = await _shot(page)
            await recorder.snapshot()
            if name != "before":
                answerer = _Answerer(page, settle_action, ac, detector_answers)
                await _choose(page, recorder, result, answerer, settle)
        except PlaywrightError as e:  # the page failed or hung: reported, the scan goes on
            result.error = str(e).splitlines()[0]
            log.warning("%s phase of %s: %s", name, url, result.error)
    return result


async def _arrive(page: Page, url: str, settle: Any, settle_action: Any) -> None:
    await page.goto(url, wait_until="load")
    await settle()
    await page.mouse.wheel(0, 600)
    await settle_action()


async def _wait_for_banner(page: Page, result: PhaseResult, cap_s: float) -> None:
    """A slow site shows its banner late: after its CMP's script has run, past the network's
    quiet window. Wait for the sources' verdicts rather than for a fixed time, each up to
    the network settle's cap: autoconsent's (in `before`: a rule's popup open, or every rule
    tried and none recognising a CMP), and, when a CMP's global is defined and our detector
    sees no banner yet, our detector's. autoconsent's word that a popup is open does not end
    the second wait: its cookieconsent3 rule says so of a modal built and still hidden."""
    ac = result.autoconsent
    if ac is not None and not await ac.settle(cap_s):
        log.info("autoconsent gave no verdict on %s within %.1f s", result.url, cap_s)
    cmp = await banners.cmp_name(page)
    if cmp is None or cmp == "bandeau":
        return
    if await banners.appear(page, tries=max(1, int(cap_s / 0.25))) is None:
        log.info("%s defines %s and showed no banner within %.1f s", result.url, cmp, cap_s)


async def _look(page: Page, result: PhaseResult) -> None:
    result.cmp = await banners.cmp_name(page)
    result.bandeau = await banners.bandeau_state(page)
    found = await banners.appear(page)
    if result.bandeau is not None:
        result.banner_found = bool(result.bandeau["pending"]) or found is not None
    else:
        result.banner_found = found is not None
    if found is not None:
        result.banner_text = found.text[:500]
        result.banner_in_frame = found.in_frame
        if result.name == "refuse":
            await _measure(found, result)
    result.links = same_site_links(page.url, await page.evaluate(LINKS))


async def _measure(found: banners.Found, result: PhaseResult) -> None:
    """How the first layer's refusal and acceptance look (EDPB-C, EDPB-D/E), measured on the
    controls our detector would click; refusal-named controls outside the banner when it has
    none (EDPB-C)."""
    wanted = [c for c in found.controls if c.role in ("refuse", "accept", "acknowledge")]
    roles = {c.id: c.role for c in wanted}
    try:
        result.banner_box = await found.frame.evaluate(design.BANNER_BOX, found.box)
        looks = await found.frame.evaluate(design.MEASURE, [c.id for c in wanted])
        result.first_layer = [{**m, "role": roles.get(m["id"])} for m in looks]
        refusal = next((m for m in result.first_layer if m["role"] == "refuse"), None)
        if refusal is not None and refusal.get("gradient"):
            refusal["sampled"] = await pixels.sample_text_background(found.frame, refusal)
        if "refuse" not in roles.values():
            outside = await found.frame.page.main_frame.evaluate(design.OUTSIDE, found.box)
            result.outside_refusals = [o for o in outside if role_of(o["label"]) == "refuse"]
    except Exception as e:  # the banner re-rendered or its frame went away
        log.info("first layer not measured: %s", str(e).splitlines()[0])


async def _persistent(page: Page, result: PhaseResult, stage: str) -> None:
    """After refusal: the controls a reader could use to change the choice (EDPB-H)."""
    try:
        result.persistent[stage] = await page.evaluate(design.PERSISTENT)
    except Exception as e:  # a page that navigates away while we read it
        log.info("persistent controls not read: %s", str(e).splitlines()[0])


async def _try_ways_back(page: Page, result: PhaseResult, settle: Any) -> None:
    """EDPB-H, once every page view is recorded: when the last one shows no named way back,
    try its unnamed floating icons and the consent links of its closed menus (opening the
    menu first) until one brings the banner back; the verdict (`reopens`) goes to the same
    control on every page view read."""
    stage = "next_page" if "next_page" in result.persistent else "reload"
    controls = result.persistent.get(stage) or []
    if any(map(design.way_back, controls)):
        return
    tried: dict[tuple[str, str, str], bool] = {}
    named_first = sorted(filter(design.to_try, controls), key=lambda c: not c.get("hint", True))
    for control in named_first[:3]:
        control["reopens"] = await _reopens(page, control, settle)
        tried[(control["how"], control["label"], control["selector"])] = control["reopens"]
        if control["reopens"]:
            break
    for others in result.persistent.values():
        for c in others:
            key = (c.get("how", ""), c.get("label", ""), c.get("selector", ""))
            if key in tried and "reopens" not in c:
                c["reopens"] = tried[key]


async def _reopens(page: Page, control: dict[str, Any], settle: Any) -> bool:
    """Click a control as a reader would (its menu opened first) and look for the banner."""
    from playwright.async_api import Error as PlaywrightError

    try:
        if control["how"] == "menu":
            await page.locator(f'[data-bdscan-toggle="{control["id"]}"]').first.click(timeout=3_000)
            await settle()
            await page.locator(f'[data-bdscan-back="{control["id"]}"]').first.click(timeout=3_000)
        else:  # an icon: tapped at its centre, also inside a closed shadow root
            point = await page.evaluate(design.LOCATE_BACK, control["id"])
            if point is None:
                log.info("way back %r went away before the click", control.get("selector"))
                return False
            await page.mouse.click(point["x"], point["y"])
        await settle()
    except PlaywrightError as e:  # gone, covered, or not clickable by a reader
        log.info("way back %r not tried: %s", control.get("label"), str(e).splitlines()[0])
        return False
    return await banners.appear(page, tries=4) is not None


@dataclass
class _Answerer:
    """Who answers a banner: bandeau's API, our detector, then autoconsent when given."""

    page: Page
    settle: Any
    ac: Autoconsent | None
    detector_answers: bool

    async def answer(self, result: PhaseResult, action: str) -> banners.Choice:
        page, settle = self.page, self.settle
        if result.bandeau is not None:
            return await banners.answer_bandeau(page, action, settle)
        if result.name == "necessary":
            return await banners.answer_through_settings(page, settle)
        if not self.detector_answers:
            mine = banners.Choice(action, note="our detector was told not to answer")
        elif not result.banner_found:  # it looked on arrival: looking again costs seconds
            mine = banners.Choice(action, note="no banner on screen")
        else:
            mine = await banners.answer(page, action, settle)
        if mine.done or self.ac is None:
            return mine
        return await self._autoconsent(self.ac, result, action, mine)

    async def _autoconsent(
        self, ac: Autoconsent, result: PhaseResult, action: str, mine: banners.Choice
    ) -> banners.Choice:
        """Our path failed: autoconsent's rule for the CMP answers, if it has one. Whether the
        banner went away is what we see; whether the site respects the choice is judged by
        what it does next (findings), never by autoconsent."""
        acted = await autoconsent.act(self.page.context, self.page, ac, action)
        if acted.rule is None or not acted.ran:
            mine.note = "; ".join(n for n in (mine.note, acted.note) if n)
            return mine
        result.banner_found = True  # one of its rules saw the CMP's popup open
        result.cmp = result.cmp or acted.rule
        await self.settle()
        choice = banners.Choice(
            action,
            layers=mine.layers,
            by=f"autoconsent:{acted.rule}",
            path=[f"autoconsent {acted.rule}: {'optOut' if action == 'refuse' else 'optIn'}"],
            first_layer_roles=mine.first_layer_roles,
            note=f"our detector: {mine.note}",
        )
        choice.done = await banners.gone(self.page)
        if not choice.done:
            choice.note += "; the banner stayed on screen after autoconsent's answer"
        return choice


async def _choose(
    page: Page, recorder: Recorder, result: PhaseResult, answerer: _Answerer, settle: Any
) -> None:
    """Refuse or accept, then reload, then follow one internal link."""
    action = "refuse" if result.name in ("refuse", "necessary") else "accept"
    recorder.stage = "choice"
    result.choice = await answerer.answer(result, action)
    if result.choice.settings_shot is not None:
        result.screenshots["settings"] = result.choice.settings_shot
    if result.choice.vendors_shot is not None:
        result.screenshots["vendors"] = result.choice.vendors_shot
    result.screenshots["after_choice"] = await _shot(page)
    await recorder.snapshot()
    recorder.stage = "reload"
    await page.reload(wait_until="load")
    await settle()
    result.banner_after_reload = await _banner_shown(page)
    refused = result.name == "refuse" and result.choice is not None and result.choice.done
    if refused:
        await _persistent(page, result, "reload")
    await recorder.snapshot()
    if result.links:
        recorder.stage = "next_page"
        result.next_page = result.links[0]
        await page.goto(result.links[0], wait_until="load")
        await settle()
        if refused:
            await _persistent(page, result, "next_page")
        await recorder.snapshot()
    if refused:
        recorder.stage = "withdrawal"  # what trying a way back loads is the reader's doing
        await _try_ways_back(page, result, answerer.settle)


async def _banner_shown(page: Page) -> bool:
    state = await banners.bandeau_state(page)
    if state is not None:
        return bool(state["pending"])
    return await banners.find(page) is not None


async def _shot(page: Page) -> bytes:
    return await page.screenshot(type="jpeg", quality=60)
