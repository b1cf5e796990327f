"""DuckDuckGo's autoconsent as a second source on banners: its maintained rule set (npm
`@duckduckgo/autoconsent`, pinned in package.json) names the CMP it recognises and says whether
that CMP's popup is open. It runs in the `before` phase only, detecting, never clicking
(`autoAction` null): the reader's effort is measured on bandeau's own detector path. Its
self-test checks the CMP's stored state, not behaviour, so it is never requested and never
counted as evidence.

The package is read in place from the folder given (`--autoconsent DIR`): its content script
`dist/autoconsent.playwright.js` and its rules `rules/compact-rules.json`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ScanError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

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


@dataclass
class Detection:
    """What autoconsent reported on one page view."""

    cmps: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"cmps": self.cmps, "popups": self.popups, "errors": self.errors[:5]}


async def attach(context: BrowserContext, ac: Autoconsent) -> Detection:
    """Run autoconsent's content script in every frame of the context, detecting only."""
    found = Detection()

    async def on_message(source: dict[str, Any], message: dict[str, Any]) -> None:
        frame = source["frame"]
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
        if kind == "cmpDetected" and message.get("cmp") not in found.cmps:
            found.cmps.append(str(message.get("cmp")))
        elif kind == "popupFound" and message.get("cmp") not in found.popups:
            found.popups.append(str(message.get("cmp")))
        elif kind == "autoconsentError":
            found.errors.append(json.dumps(message.get("details"))[:300])

    await context.expose_binding("autoconsentSendMessage", on_message)
    await context.add_init_script(ac.script)
    return found
