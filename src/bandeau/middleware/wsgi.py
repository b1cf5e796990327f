"""`BandeauWSGIMiddleware`: server-side enforcement for any WSGI app (Flask, Django, Bottle…),
over the same core and options as the ASGI middleware (PEP 3333)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Unpack

from ..tcf.signals import TcfSignals
from .enforce import Reading
from .options import NOTABLE_HEADER_LENGTHS, MiddlewareOptions, Options
from .rewrite import HtmlRewriter

__all__ = ["BandeauWSGIMiddleware"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
Headers = list[tuple[str, str]]
Write = Callable[[bytes], object]
StartResponse = Callable[..., Write]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BandeauWSGIMiddleware:
    """Reads the consent cookie, exposes the reader's consent to the app, and enforces it.

    The app finds `environ["bandeau.consent"]` (a `bandeau.Consent`; Django:
    `request.META["bandeau.consent"]`), `environ["bandeau.gpc"]` (the GPC signal, GPC-01) and
    `environ["bandeau.features"]`. Options: see `docs/middleware.md`.
    """

    def __init__(self, app: WSGIApp, **options: Unpack[MiddlewareOptions]) -> None:
        self.app = app
        self.options = Options(**options)
        self.enforcer = self.options.enforcer

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        now = int(self.options.clock())
        https = environ.get("wsgi.url_scheme") == "https"
        cookie, gpc = environ.get("HTTP_COOKIE"), environ.get("HTTP_SEC_GPC")
        reading = self.enforcer.read(
            [str(cookie)] if cookie else [], [str(gpc)] if gpc else [], now, https=https
        )
        environ["bandeau.consent"] = reading.consent
        environ["bandeau.gpc"] = reading.gpc
        environ["bandeau.features"] = reading.features
        if self.options.tcf_cookie:  # the TCF mode's signals, decoded only when asked for
            cookies = [str(cookie)] if cookie else []
            environ["bandeau.tcf"] = TcfSignals(cookies, self.options.tcf_cookie, self.options.gdpr)
        if not (self.options.rewriting or reading.filters or reading.needs_edit):
            return self.app(environ, start_response)  # nothing in the response can change
        response = _Response(self, reading, start_response, now, environ)
        body = self.app(environ, response.start_response)
        if not self.options.rewriting:
            return body
        return _Body(body, response)


class _Response:
    """The app's `start_response`, seen by the middleware: cookies are edited at once; an HTML
    page being rewritten has its headers sent only when its new length is known or streaming
    starts."""

    def __init__(
        self,
        mw: BandeauWSGIMiddleware,
        reading: Reading,
        start_response: StartResponse,
        now: int,
        environ: dict[str, Any],
    ) -> None:
        self.mw = mw
        self.reading = reading
        self.real = start_response
        self.now = now
        self.head = environ.get("REQUEST_METHOD") == "HEAD"
        self.page: HtmlRewriter | None = None
        self.status = ""
        self.headers: Headers = []
        self.length: int | None = None  # the app's Content-Length, for a page being rewritten
        self.write: Write | None = None  # set once the real start_response was called

    def start_response(
        self, status: str, headers: Headers, exc_info: ExcInfo | None = None
    ) -> Write:
        if exc_info is not None and self.write is not None:
            # too late to change anything: the real server re-raises (PEP 3333)
            return self.real(status, headers, exc_info)
        enforcer, reading = self.mw.enforcer, self.reading
        kept: Headers = []
        sets_consent = False
        content_type = encoding = csp = ""
        length: str | None = None
        for name, value in headers:
            if len(name) not in NOTABLE_HEADER_LENGTHS:  # skip lowercasing most headers
                kept.append((name, value))
                continue
            lower = name.lower()
            if lower == "set-cookie":
                if not enforcer.keeps(reading, value, self.now):
                    continue
                sets_consent = sets_consent or enforcer.sets_consent(value)
            elif lower == "content-type":
                content_type = value
            elif lower == "content-encoding":
                encoding = value
            elif lower == "content-security-policy":
                csp = value
            elif lower == "content-length":
                length = value
            kept.append((name, value))
        extra = enforcer.extra_cookies(reading, app_sets_consent=sets_consent)
        kept.extend(("Set-Cookie", h) for h in extra)
        options = self.mw.options
        self.page = None
        if options.rewriting and not self.head:
            code = status.split(" ", 1)[0]
            self.page = options.page(
                reading,
                status=int(code) if code.isdigit() else 200,
                content_type=content_type,
                content_encoding=encoding,
                csp=csp,
            )
        if self.page is None:
            self.write = self.real(status, kept, exc_info)
            return self.write
        self.status = status
        self.headers = [(k, v) for k, v in kept if len(k) != 14 or k.lower() != "content-length"]
        self.length = int(length) if length and length.isdigit() else None
        if self.length is not None and self.length > options.max_buffer:
            self.length = None
        return self._legacy_write

    def send_headers(self, length: int | None = None) -> Write:
        if self.write is None:
            headers = self.headers
            if length is not None:
                headers = [*headers, ("Content-Length", str(length))]
            self.write = self.real(self.status, headers)
        return self.write

    def _legacy_write(self, data: bytes) -> object:
        """`write()` of PEP 3333 for apps that use it: the page then streams."""
        self.length = None
        write = self.send_headers()
        return write(self.page.feed(data) if self.page is not None else data)


class _Body:
    """The response body when the middleware may rewrite: an iterable with `close()` that
    closes the app's (PEP 3333), so closing works even if iteration never started."""

    def __init__(self, body: Iterable[bytes], response: _Response) -> None:
        self._body = body
        self._response = response
        self._slack = 65536  # what insertions may add to a page before it counts as streamed

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        kept: list[bytes] = []
        size = 0
        for chunk in self._body:
            page = response.page
            if page is None:
                yield chunk
                continue
            out = page.feed(chunk)
            if response.length is not None:  # a complete page: rewrite it, then say its length
                kept.append(out)
                size += len(out)
                if size <= response.length + self._slack:
                    continue
                response.length = None  # longer than announced: stream it after all
                out = b"".join(kept)
            response.send_headers()
            if out:
                yield out
        page = response.page
        if page is None:
            return
        out = page.close()
        if response.length is not None:
            body = b"".join((*kept, out))
            response.send_headers(len(body))
            yield body
            return
        response.send_headers()
        if out:
            yield out

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
