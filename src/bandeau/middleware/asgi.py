"""`BandeauMiddleware`: server-side enforcement for any ASGI app (Starlette, FastAPI, Django's
ASGI handler, Quart…). A plain ASGI class (STYLE 3): the app first, keyword options checked once,
other scope types passed straight through, `send` wrapped to edit the response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Unpack

from ..tcf.signals import TcfSignals
from .enforce import Reading
from .options import NOTABLE_HEADER_LENGTHS, MiddlewareOptions, Options
from .rewrite import HtmlRewriter

__all__ = ["BandeauMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BandeauMiddleware:
    """Reads the consent cookie, exposes the reader's consent to the app, and enforces it.

    The app finds `scope["state"]["bandeau"]` (a `bandeau.Consent`; Starlette and FastAPI:
    `request.state.bandeau`), `scope["state"]["bandeau_gpc"]` (the GPC signal, GPC-01) and
    `scope["state"]["bandeau_features"]` (the features whose purposes are all allowed).
    Options: see `docs/middleware.md`.
    """

    def __init__(self, app: ASGIApp, **options: Unpack[MiddlewareOptions]) -> None:
        self.app = app
        self.options = Options(**options)
        self.enforcer = self.options.enforcer
        self._clock = self.options.clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        cookies: list[str] = []
        gpc: list[str] = []
        for key, value in scope["headers"]:
            if key == b"cookie":
                cookies.append(value.decode("latin-1"))
            elif key == b"sec-gpc":
                gpc.append(value.decode("latin-1"))
        now = int(self._clock())
        https = scope.get("scheme") in ("https", "wss")
        reading = self.enforcer.read(cookies, gpc, now, https=https)
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["bandeau"] = reading.consent
        state["bandeau_gpc"] = reading.gpc
        state["bandeau_features"] = reading.features
        if self.options.tcf_cookie:  # the TCF mode's signals, decoded only when asked for
            state["bandeau_tcf"] = TcfSignals(cookies, self.options.tcf_cookie, self.options.gdpr)
        if kind != "http" or not (
            self.options.rewriting or reading.filters or reading.needs_edit
        ):  # nothing in the response can change: the app sends it itself
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Response(self, reading, scope, send, now).send)


class _Response:
    """Edits one response on its way out: `Set-Cookie` headers always, the body only when
    HTML rewriting applies to it."""

    __slots__ = ("_held", "_lengths", "_mw", "_now", "_page", "_reading", "_scope", "_send")

    def __init__(
        self, mw: BandeauMiddleware, reading: Reading, scope: Scope, send: Send, now: int
    ) -> None:
        self._mw = mw
        self._reading = reading
        self._scope = scope
        self._send = send
        self._now = now
        self._page: HtmlRewriter | None = None
        self._held: Message | None = None
        self._lengths: list[int] = []

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            edited = self._start(message)
            if edited is None:  # held until the body
                return
            message = edited
        elif self._page is not None and kind == "http.response.body":
            await self._body(message)
            return
        elif self._held is not None:  # e.g. http.response.pathsend: the body is not ours
            start, self._held, self._page = self._held, None, None
            await self._send(start)
        await self._send(message)

    def _start(self, message: Message) -> Message | None:
        """The start message to send: as it came when nothing changes, else a copy with the
        headers edited; None when it is held for a page being rewritten."""
        options, reading = self._mw.options, self._reading
        enforcer, now = self._mw.enforcer, self._now
        headers: list[tuple[bytes, bytes]] = []
        changed = reading.needs_edit
        sets_consent = False
        content_type = encoding = csp = b""
        lengths: list[int] = []  # where the app's Content-Length is in `headers`
        for key, value in message.get("headers", ()):
            if len(key) in NOTABLE_HEADER_LENGTHS:  # skip lowercasing most headers
                name = key.lower()
                if name == b"set-cookie":
                    text = value.decode("latin-1")
                    if not enforcer.keeps(reading, text, now):
                        changed = True
                        continue
                    sets_consent = sets_consent or enforcer.sets_consent(text)
                elif name == b"content-type":
                    content_type = value
                elif name == b"content-length":
                    lengths.append(len(headers))
                elif name == b"content-encoding":
                    encoding = value
                elif name == b"content-security-policy":
                    csp = value
            headers.append((key, value))
        if changed:
            extra = enforcer.extra_cookies(reading, app_sets_consent=sets_consent)
            headers += [(b"set-cookie", h.encode("latin-1")) for h in extra]
        if options.rewriting and self._scope.get("method") != "HEAD":
            self._page = options.page(
                reading,
                status=int(message.get("status", 200)),
                content_type=content_type.decode("latin-1"),
                content_encoding=encoding.decode("latin-1"),
                csp=csp.decode("latin-1"),
            )
            if self._page is not None:  # held until the body: its length changes
                self._held, self._lengths = {**message, "headers": headers}, lengths
                return None
        return {**message, "headers": headers} if changed else message

    async def _body(self, message: Message) -> None:
        page = self._page
        if page is None:  # pragma: no cover - send() only calls this with a page
            return
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        out = page.feed(body) if more else page.whole(body)
        held, self._held = self._held, None
        if held is not None:
            headers = held["headers"]
            for at in reversed(self._lengths):
                del headers[at]
            if not more:  # the whole body came at once: its new length is known
                headers.append((b"content-length", b"%d" % len(out)))
            await self._send(held)
        await self._send({**message, "body": out, "more_body": more})
