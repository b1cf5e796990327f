"""The demo's fake third parties: a social network (Telegram channel box, share buttons) and an
ad network. Each is its own origin on the host name `localhost`, so that what it stores is a
different site from the article served on 127.0.0.1 (cookies ignore ports).

They behave as real widgets do, which is what the tests need to catch a leak:

- their scripts, once run in the article, write first-party cookies and local storage
  (`_tg_session`, `tg_widget_state`, `_social_uid`, `_ad_id`) and send those identifiers back
  to their own origin in image requests;
- every request they receive is recorded (which third party, path with query, Cookie header),
  so a test sees a request even if the browser's own log missed it.

Their scripts, styles, pages and images are files beside this module (`social/`, `ads/`); the
placeholder `__ORIGIN__` in them becomes the third party's own origin when served. Nothing here
is part of bandeau: it stands in for other companies' code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final, NamedTuple

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestLog", "ThirdPartyRequest", "ads_app", "social_app"]

HERE: Final = Path(__file__).parent
MEDIA_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".webm": "video/webm",
}
# Served to any page, as widgets' assets are.
_OPEN: Final = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": "no-store",
}


class ThirdPartyRequest(NamedTuple):
    """One request a fake third party received."""

    origin: str  # the third party's own origin, e.g. http://localhost:8001
    path: str  # path and query string
    cookie: str  # the Cookie header as received ("" when none)


class RequestLog(list[ThirdPartyRequest]):
    """Every request seen by the fake third parties, in arrival order (thread-safe appends)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, item: ThirdPartyRequest) -> None:
        with self._lock:
            self.append(item)

    def since(self, mark: int) -> list[ThirdPartyRequest]:
        with self._lock:
            return list(self[mark:])


class _Recorder:
    """ASGI wrapper that logs each HTTP request before the app answers it."""

    def __init__(self, app: ASGIApp, origin: str, log: RequestLog) -> None:
        self.app, self.origin, self.log = app, origin, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope["path"] + (f"?{query}" if query else "")
            self.log.record(ThirdPartyRequest(self.origin, path, headers.get("cookie", "")))
        await self.app(scope, receive, send)


def _file(name: str, origin: str) -> Callable[[Request], Response]:
    """An endpoint serving the file `name` (relative to this package) as `origin` serves it."""
    path = HERE / name
    data = path.read_bytes()
    if path.suffix not in (".gif", ".webm"):
        data = data.replace(b"__ORIGIN__", origin.encode())
    media_type = MEDIA_TYPES[path.suffix]

    def endpoint(request: Request) -> Response:
        return Response(data, media_type=media_type, headers=_OPEN)

    return endpoint


def social_app(origin: str, log: RequestLog) -> ASGIApp:
    """The fake social network at `origin` (http://localhost:PORT+1)."""
    join = _file("social/join.html", origin)
    pixel = _file("pixel.gif", origin)
    routes = [
        Route("/telegram.js", _file("social/telegram.js", origin)),
        Route("/share.js", _file("social/share.js", origin)),
        Route("/widgets.css", _file("social/widgets.css", origin)),
        Route("/avatar.svg", _file("social/avatar.svg", origin)),
        Route("/clip.webm", _file("social/clip.webm", origin)),
        Route("/tg/pixel.gif", pixel),
        Route("/share/pixel.gif", pixel),
        Route("/join/{name}", join),
        Route("/privacy", _file("privacy.html", origin)),
        Route("/share/{network}", join),
    ]
    return _Recorder(Starlette(routes=routes), origin, log)


def ads_app(origin: str, log: RequestLog) -> ASGIApp:
    """The fake ad network at `origin` (http://localhost:PORT+2)."""
    routes = [
        Route("/ad.js", _file("ads/ad.js", origin)),
        Route("/ad.html", _file("ads/ad.html", origin)),
        Route("/ad.css", _file("ads/ad.css", origin)),
        Route("/ad-visual.svg", _file("ads/ad-visual.svg", origin)),
        Route("/px.gif", _file("pixel.gif", origin)),
        Route("/click", _file("social/join.html", origin)),
        Route("/privacy", _file("privacy.html", origin)),
        # the TCF demo (`bandeau demo --tcf`): an ad that reads __tcfapi from its iframe, and a
        # fake Google tag that shows the Consent Mode commands it finds
        Route("/tcf-ad.html", _file("ads/tcf-ad.html", origin)),
        Route("/tcf-ad.js", _file("ads/tcf-ad.js", origin)),
        Route("/gtag.js", _file("ads/gtag.js", origin)),
    ]
    return _Recorder(Starlette(routes=routes), origin, log)
