"""DuckDuckGo's autoconsent as a second source on banners: its maintained rule set (npm
`@duckduckgo/autoconsent`, pinned in package.json) names the CMP it recognises and says whether
that CMP's popup is open.

- In the `before` phase it detects and never clicks (`autoAction` null).
- In the `refuse` and `accept` phases it acts only when bandeau's own detector could not
  answer the banner (`act`): it is then injected into the page's frames, and the frame where
  one of its rules found an open popup is asked to opt out (or in). The reader's effort is
  measured on the detector's path only, so a choice made by autoconsent has no click count.

Whether the site then respects the choice is judged by what the page does after it (cookies
written and held, requests made: `findings`), never by autoconsent's word: its self-test
checks the CMP's stored state, not behaviour, so it is never requested, and its result message
only says that its steps ran.

The package is read in place from the folder given (`--autoconsent DIR`): its content script
`dist/autoconsent.playwright.js` and its rules `rules/compact-rules.json`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ScanError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Frame, Page

log = logging.getLogger("bandeau.scanner")

CONFIG: dict[str, Any] = {
    "enabled": True,
    "autoAction": None,  # detect only
    "disabledCmps": [],
    "enablePrehide": False,
    "enableCosmeticRules": False,
    "detectRetries": 20,
}


@dataclass(frozen=True)
class Autoconsent:
    script: str
    rules: str
    """the init response, ready to evaluate in a frame"""
    version: str

    @classmethod
    def load(cls, folder: Path) -> Autoconsent:
        script_file = folder / "dist" / "autoconsent.playwright.js"
        rules_file = folder / "rules" / "compact-rules.json"
        try:
            script = script_file.read_text(encoding="utf-8")
            rules = json.loads(rules_file.read_text(encoding="utf-8"))
            version = json.loads((folder / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError) as e:
            raise ScanError(
                f"{folder} is not the @duckduckgo/autoconsent package ({e})",
                hint="npm install @duckduckgo/autoconsent, then pass its node_modules folder",
            ) from e
        message = {"type": "initResp", "config": CONFIG, "rules": {"compact": rules}}
        return cls(script, f"autoconsentReceiveMessage({json.dumps(message)})", str(version))


SEARCHED = ("nothingDetected", "cmpDetected", "openPopupDetected")
"""the lifecycles autoconsent reports once a search of its rules has ended in a frame"""


@dataclass
class Detection:
    """What autoconsent reported on one page view, as it reports it: its messages wake
    `settle`, so a phase waits for autoconsent's verdict rather than for a fixed time."""

    cmps: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    searched: bool = False
    """the top frame's autoconsent has searched its whole rule set once (a CMP not detected
    by then is not one of its rules', or not on the page yet)"""
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    def hear(self, message: dict[str, Any], top: bool) -> None:
        """Take one of autoconsent's messages; `top` when it came from the page's top frame."""
        kind, cmp = message.get("type"), str(message.get("cmp"))
        if kind == "cmpDetected" and cmp not in self.cmps:
            self.cmps.append(cmp)
        elif kind == "popupFound" and cmp not in self.popups:
            self.popups.append(cmp)
        elif kind == "autoconsentError":
            self.errors.append(json.dumps(message.get("details"))[:300])
        elif kind == "report" and top:
            state = message.get("state") or {}
            # an attempt's number goes up as it starts: the second means the first ended
            attempts = state.get("findCmpAttempts")
            ended = isinstance(attempts, int) and attempts >= 2
            self.searched = self.searched or ended or state.get("lifecycle") in SEARCHED
        self.changed.set()

    @property
    def concluded(self) -> bool:
        """autoconsent has its answer for the page: a rule's popup is open, or its rules
        were all tried and none recognised a CMP. A CMP recognised whose popup is not open
        yet is not an answer: its popup often shows only once the CMP's script has run."""
        return bool(self.popups) or (self.searched and not self.cmps)

    async def settle(self, cap_s: float, until: Callable[[], bool] | None = None) -> bool:
        """Wait until `until()` (by default `concluded`) holds, woken by autoconsent's
        messages, or `cap_s` seconds at most; whether it held."""
        done = until or (lambda: self.concluded)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cap_s
        while not done():
            left = deadline - loop.time()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return done()
        return True

    def to_json(self) -> dict[str, Any]:
        return {"cmps": self.cmps, "popups": self.popups, "errors": self.errors[:5]}


async def _serve(frame: Frame, message: dict[str, Any], ac: Autoconsent) -> None:
    """Answer what autoconsent's content script asks of us: its rules, and evaluations."""
    kind = message.get("type")
    try:
        if kind == "init":
            await frame.evaluate(ac.rules)
        elif kind == "eval":
            result = await frame.evaluate(message["code"])
            answer = {"id": message["id"], "type": "evalResp", "result": result}
            await frame.evaluate(f"autoconsentReceiveMessage({json.dumps(answer)})")
    except Exception as e:  # a frame that went away while autoconsent worked in it
        log.info("autoconsent in %s: %s", frame.url, str(e).splitlines()[0])


async def attach(context: BrowserContext, ac: Autoconsent) -> Detection:
    """Run autoconsent's content script in every frame of the context, detecting only; the
    phase waits for its verdict with `Detection.settle`."""
    found = Detection()

    async def on_message(source: dict[str, Any], message: dict[str, Any]) -> None:
        frame = source["frame"]
        await _serve(frame, message, ac)
        found.hear(message, frame.parent_frame is None)

    await context.expose_binding("autoconsentSendMessage", on_message)
    await context.add_init_script(ac.script)
    return found


@dataclass
class Action:
    """What autoconsent did when asked to answer a banner."""

    rule: str | None = None
    """the rule whose popup was open and which was asked to act"""
    ran: bool = False
    """autoconsent says its opt-out (or opt-in) steps ran: its word, not evidence"""
    note: str = ""


@dataclass
class _Waits:
    """Futures that autoconsent's messages resolve."""

    popup: asyncio.Future[tuple[Frame, str]]
    result: asyncio.Future[dict[str, Any]]

    def on(self, frame: Frame, message: dict[str, Any]) -> None:
        kind, cmp = message.get("type"), str(message.get("cmp"))
        if kind == "popupFound" and not self.popup.done():
            self.popup.set_result((frame, cmp))
        elif kind in ("optOutResult", "optInResult") and not self.result.done():
            self.result.set_result(message)


async def act(
    context: BrowserContext, page: Page, ac: Autoconsent, action: str, cap_s: float = 10.0
) -> Action:
    """Inject autoconsent into the page's frames now and have the rule whose popup is open
    refuse (`optOut`) or accept (`optIn`). Gives up when its top frame has tried every rule
    and none recognised a CMP (most pages without one; `cap_s` at most, however slow the
    page), or when a step outlasts ten seconds."""
    loop = asyncio.get_running_loop()
    waits = _Waits(loop.create_future(), loop.create_future())
    seen = Detection()

    async def on_message(source: dict[str, Any], message: dict[str, Any]) -> None:
        frame = source["frame"]
        await _serve(frame, message, ac)
        seen.hear(message, frame.parent_frame is None)
        waits.on(frame, message)

    await context.expose_binding("autoconsentSendMessage", on_message)
    for frame in page.frames:
        try:
            await frame.evaluate(ac.script)
        except Exception as e:  # a frame that navigates away or forbids scripts
            log.info("autoconsent not injected in %s: %s", frame.url, str(e).splitlines()[0])
    await seen.settle(cap_s, until=lambda: bool(seen.cmps) or seen.searched)
    if not seen.cmps:
        return Action(note="autoconsent recognised no CMP")
    cmp = seen.cmps[0]
    try:
        frame, rule = await asyncio.wait_for(waits.popup, 10)
    except TimeoutError:
        return Action(cmp, note=f"autoconsent found {cmp} but no open popup")
    kind = "optOut" if action == "refuse" else "optIn"
    try:
        await asyncio.wait_for(frame.evaluate(f"autoconsentReceiveMessage({{type: '{kind}'}})"), 10)
        message = await asyncio.wait_for(waits.result, 10)
    except Exception as e:  # the frame went away (a reload by the CMP) or the step hung
        log.info("autoconsent %s with %s: %s", kind, rule, str(e).splitlines()[0])
        return Action(rule, note=f"autoconsent's {kind} with {rule} did not finish")
    ran = bool(message.get("result"))
    return Action(rule, ran, "" if ran else f"autoconsent's {kind} with {rule} failed")
