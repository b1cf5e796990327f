"""What the browser did during one phase: every request (URL, frame, type, initiator), every
raw `Set-Cookie` header (the lifetime the site asked for: Chromium caps what it stores at 400
days), every write to `document.cookie` and Web Storage with the script that made it, and the
cookies and storage of every frame's origin at each snapshot."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, CDPSession, Page

log = logging.getLogger("bandeau.scanner")

# Runs in every frame before the page's scripts: reports each write to document.cookie and to
# Web Storage, with the URL of the script that made it (from the call stack).
WRITES_PROBE = """
(() => {
  if (window.__bdscanProbe) return;
  window.__bdscanProbe = true;
  const report = (kind, area, text) => {
    const urls = (new Error().stack || "").match(/(https?:\\/\\/[^\\s()]+?):\\d+:\\d+/g) || [];
    const by = urls.length ? urls[0].replace(/:\\d+:\\d+$/, "") : location.href;
    try { window.__bdscanWrite(kind, area, String(text), by, location.origin); } catch (e) {}
  };
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (desc && desc.set) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true, enumerable: true,
      get() { return desc.get.call(this); },
      set(v) { report("cookie", "document", v); desc.set.call(this, v); },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    report("storage", this === window.sessionStorage ? "session" : "local", k);
    return setItem.call(this, k, v);
  };
})();
"""

STORAGE_OF_FRAME = """() => {
  const keys = (s) => { try { return Object.keys(s); } catch (e) { return []; } };
  let local = [], session = [];
  try { local = keys(window.localStorage); session = keys(window.sessionStorage); } catch (e) {}
  return {origin: location.origin, local, session};
}"""

MAX_AGE = re.compile(r";\s*max-age\s*=\s*(-?\d+)", re.I)
EXPIRES = re.compile(r";\s*expires\s*=\s*([^;]+)", re.I)
DOMAIN = re.compile(r";\s*domain\s*=\s*([^;]+)", re.I)


def lifetime_days(cookie: str, now: float) -> float | None:
    """The lifetime a `Set-Cookie` header or a `document.cookie` string asks for, in days;
    None for a session cookie. Max-Age wins over Expires, as in browsers."""
    m = MAX_AGE.search(cookie)
    if m:
        return int(m.group(1)) / 86400
    m = EXPIRES.search(cookie)
    if m:
        try:
            when = parsedate_to_datetime(m.group(1).strip()).timestamp()
        except (TypeError, ValueError):
            return None
        return (when - now) / 86400
    return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class RequestSeen:
    url: str
    method: str
    type: str
    frame: str
    initiator: str
    stage: str


@dataclass
class CookieWrite:
    """A cookie the site asked to store, from a response header or from a script."""

    name: str
    domain: str
    value_sample: str
    lifetime_days: float | None
    via: str  # "header" | "script"
    set_by: str  # response URL, or the script's URL
    stage: str
    raw: str
    blocked: list[str] = field(default_factory=list)


@dataclass
class StorageWrite:
    origin: str
    area: str  # "local" | "session"
    key: str
    set_by: str
    stage: str


@dataclass
class Snapshot:
    stage: str
    cookies: list[dict[str, Any]]
    storage: dict[str, dict[str, list[str]]]


@dataclass
class Recording:
    requests: list[RequestSeen] = field(default_factory=list)
    cookie_writes: list[CookieWrite] = field(default_factory=list)
    storage_writes: list[StorageWrite] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": [asdict(r) for r in self.requests],
            "cookie_writes": [asdict(c) for c in self.cookie_writes],
            "storage_writes": [asdict(s) for s in self.storage_writes],
            "snapshots": [asdict(s) for s in self.snapshots],
        }


def parse_cookie(text: str, default_domain: str) -> tuple[str, str, str]:
    """(name, domain, value) of a cookie string."""
    first = text.split(";", 1)[0]
    name, _, value = first.partition("=")
    m = DOMAIN.search(text)
    domain = m.group(1).strip().lstrip(".").lower() if m else default_domain
    return name.strip(), domain, value.strip()[:40]


class Recorder:
    """Listens to one page of one profile; `stage` labels what happens from now on."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.stage = "load"
        self.recording = Recording()
        self._urls: dict[str, str] = {}
        self._pending_headers: dict[str, list[tuple[str, list[str]]]] = {}
        self._cdp: CDPSession | None = None
        self._inflight: set[str] = set()
        self._last_activity = time.monotonic()
        self._activity = asyncio.Event()
        """set at each request that starts or ends: wakes `quiet`"""

    async def attach(self) -> None:
        await self.context.expose_binding("__bdscanWrite", self._on_write)
        await self.context.add_init_script(WRITES_PROBE)
        cdp = await self.context.new_cdp_session(self.page)
        cdp.on("Network.requestWillBeSent", self._on_request)
        cdp.on("Network.responseReceivedExtraInfo", self._on_headers)
        cdp.on("Network.loadingFinished", self._on_done)
        cdp.on("Network.loadingFailed", self._on_done)
        await cdp.send("Network.enable")
        self._cdp = cdp

    async def quiet(
        self, cap_ms: int, idle_ms: int = 500, after_action_ms: int | None = None
    ) -> None:
        """Wait until no request has been in flight for `idle_ms`, or `cap_ms` at most, woken
        by the network's own events (no polling). After an action (`after_action_ms` given),
        the window starts at the action: a quiet network before it says nothing about what
        the action triggers, so the wait lasts `after_action_ms` when nothing starts, and
        the usual window after the last request when something does."""
        start = time.monotonic()
        deadline = start + cap_ms / 1000
        while (now := time.monotonic()) < deadline:
            if self._inflight:
                wait = deadline - now
            elif after_action_ms is not None and self._last_activity < start:
                wait = after_action_ms / 1000 - (now - start)
            else:
                wait = idle_ms / 1000 - (now - self._last_activity)
            if wait <= 0:
                return
            self._activity.clear()
            try:
                await asyncio.wait_for(self._activity.wait(), min(wait, deadline - now))
            except TimeoutError:
                continue

    # ------------------------------------------------------------------ events

    def _on_done(self, event: dict[str, Any]) -> None:
        self._inflight.discard(event.get("requestId", ""))
        self._last_activity = time.monotonic()
        self._activity.set()

    def _on_request(self, event: dict[str, Any]) -> None:
        request = event.get("request", {})
        url = str(request.get("url", ""))
        if not url.startswith("http"):
            return
        self._urls[event["requestId"]] = url
        self._inflight.add(event["requestId"])
        self._last_activity = time.monotonic()
        self._activity.set()
        initiator = event.get("initiator", {})
        by = str(initiator.get("url") or "")
        frames = (initiator.get("stack") or {}).get("callFrames") or []
        if not by and frames:
            by = str(frames[0].get("url") or "")
        self.recording.requests.append(
            RequestSeen(
                url=url,
                method=str(request.get("method", "GET")),
                type=str(event.get("type", "Other")).lower(),
                frame=str(event.get("documentURL", "")),
                initiator=by or str(initiator.get("type", "")),
                stage=self.stage,
            )
        )
        for header, blocked in self._pending_headers.pop(event["requestId"], []):
            self._add_header_cookies(url, header, blocked)

    def _on_headers(self, event: dict[str, Any]) -> None:
        headers = event.get("headers") or {}
        value = next((v for k, v in headers.items() if k.lower() == "set-cookie"), None)
        if not value:
            return
        blocked = [
            f"{b.get('cookieLine', '')}: {','.join(b.get('blockedReasons', []))}"
            for b in event.get("blockedCookies", [])
        ]
        url = self._urls.get(event["requestId"])
        if url is None:  # the headers arrived before the request event
            self._pending_headers.setdefault(event["requestId"], []).append((value, blocked))
            return
        self._add_header_cookies(url, value, blocked)

    def _add_header_cookies(self, url: str, header: str, blocked: list[str]) -> None:
        for line in header.split("\n"):
            if "=" in line:
                mine = [b for b in blocked if b.startswith(line)]
                self._cookie(line, host_of(url), "header", url, mine)

    def _cookie(
        self, text: str, default_domain: str, via: str, by: str, blocked: list[str]
    ) -> None:
        """One cookie write, from a `Set-Cookie` line or a `document.cookie` string."""
        name, domain, value = parse_cookie(text, default_domain)
        self.recording.cookie_writes.append(
            CookieWrite(
                name=name,
                domain=domain,
                value_sample=value,
                lifetime_days=lifetime_days(text, time.time()),
                via=via,
                set_by=by,
                stage=self.stage,
                raw=text[:300],
                blocked=blocked,
            )
        )

    def _on_write(self, source: Any, kind: str, area: str, text: str, by: str, origin: str) -> None:
        if kind == "cookie":
            self._cookie(text, host_of(origin), "script", by, [])
        else:
            self.recording.storage_writes.append(
                StorageWrite(origin=origin, area=area, key=text, set_by=by, stage=self.stage)
            )

    # ------------------------------------------------------------------ snapshots

    async def snapshot(self) -> Snapshot:
        """The cookies of the profile and the storage of every frame's origin, now."""
        cookies = [
            {
                "name": c.get("name", ""),
                "domain": str(c.get("domain", "")).lstrip("."),
                "expires": c.get("expires", -1),
                "http_only": c.get("httpOnly", False),
                "secure": c.get("secure", False),
                "same_site": c.get("sameSite", ""),
            }
            for c in await self.context.cookies()
        ]
        storage: dict[str, dict[str, list[str]]] = {}
        for frame in self.page.frames:
            try:
                found = await frame.evaluate(STORAGE_OF_FRAME)
            except Exception as e:  # a detached or sandboxed frame has no storage to read
                log.info("storage of frame %s not read: %s", frame.url, str(e).splitlines()[0])
                continue
            if found["origin"] and found["origin"] != "null":
                storage[found["origin"]] = {"local": found["local"], "session": found["session"]}
        shot = Snapshot(self.stage, cookies, storage)
        self.recording.snapshots.append(shot)
        return shot
