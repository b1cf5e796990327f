"""`BandeauWSGIMiddleware` around raw WSGI apps: over real HTTP (wsgiref on loopback) for what a
browser receives, and called directly for the PEP 3333 details (lazy start_response, write(),
close())."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.middleware import BandeauWSGIMiddleware
from bandeau.policy import Policy

from .conftest import NOW, TokenFactory, wsgi_serving
from .test_rewrite import PAGE

Environ = dict[str, Any]
SEEN: list[Environ] = []

APP_COOKIES = [
    ("Content-Type", "text/plain"),
    ("Set-Cookie", "_ad_id=1; Path=/; Max-Age=3600"),
    ("set-cookie", "_tg_session=2; Path=/"),
    ("Set-Cookie", "_lq_mesure=3; Path=/"),
    ("Set-Cookie", "sessionid=4; HttpOnly"),
]


def list_app(chunks: list[bytes], headers: list[tuple[str, str]]) -> Any:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        SEEN.append(dict(environ))
        start_response("200 OK", headers)
        return chunks

    return app


def generator_app(chunks: list[bytes], headers: list[tuple[str, str]]) -> Any:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", headers)  # called on the first next(), as generators do
        yield from chunks

    return app


def wrap(app: Any, policy: Policy, keys: KeyRing, **options: Any) -> BandeauWSGIMiddleware:
    return BandeauWSGIMiddleware(
        app, policy=policy, public_keys=keys.current, clock=lambda: NOW, **options
    )


def run(app: Any, environ: Environ | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app as a server would: iterate, then close."""
    got: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got["status"], got["headers"] = status, headers
        return written.append

    env = {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "http", **(environ or {})}
    body = app(env, start_response)
    try:
        for chunk in body:
            assert "status" in got, "a body chunk before start_response"
            written.append(chunk)
    finally:
        getattr(body, "close", lambda: None)()
    return got["status"], got["headers"], b"".join(written)


def test_consent_and_gpc_are_in_the_environ(
    policy: Policy, keys: KeyRing, token: TokenFactory
) -> None:
    """The app sees the reader's consent and the GPC signal (GPC-01)."""
    SEEN.clear()
    app = wrap(list_app([b"ok"], []), policy, keys)
    run(app, {"HTTP_COOKIE": f"a=1; bandeau={token(advertising=True)}", "HTTP_SEC_GPC": "1"})
    assert SEEN[-1]["bandeau.consent"].allows("advertising")
    assert SEEN[-1]["bandeau.gpc"] is True and SEEN[-1]["bandeau.features"] == frozenset()
    run(app, {"HTTP_COOKIE": "bandeau=%%%", "HTTP_SEC_GPC": "0"})
    assert SEEN[-1]["bandeau.consent"].consent_id is None and SEEN[-1]["bandeau.gpc"] is False


def test_refused_cookies_are_dropped_and_expired_over_http(
    policy: Policy, keys: KeyRing, refuse_all: str, accept_all: str
) -> None:
    """CNIL-03: over a real connection, refused cookies are neither set nor kept."""
    app = wrap(list_app([b"ok"], APP_COOKIES), policy, keys)
    with wsgi_serving(app) as url:
        refused = httpx.get(url, headers={"cookie": f"_ad_id=old; bandeau={refuse_all}"})
        accepted = httpx.get(url, headers={"cookie": f"_ad_id=old; bandeau={accept_all}"})
    assert refused.headers.get_list("set-cookie") == [
        "_lq_mesure=3; Path=/",
        "sessionid=4; HttpOnly",
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
    ]
    assert len(accepted.headers.get_list("set-cookie")) == 4
    assert refused.text == accepted.text == "ok"


def test_refresh_from_the_server(policy: Policy, keys: KeyRing, token: TokenFactory) -> None:
    app = wrap(list_app([b"ok"], []), policy, keys, refresh_cookie=True, signing_keys=keys)
    value = token(social=True, issued_at=NOW - 2 * 86400)
    _, headers, _ = run(app, {"HTTP_COOKIE": f"bandeau={value}", "wsgi.url_scheme": "https"})
    (cookie,) = [v for k, v in headers if k == "Set-Cookie"]
    assert cookie.startswith("bandeau=") and cookie.endswith("; Path=/; Secure; SameSite=Lax")


@pytest.mark.parametrize("factory", [list_app, generator_app])
@pytest.mark.parametrize("size", [1, 13, 100000])
def test_pages_are_rewritten_whatever_the_app_style(
    factory: Callable[..., Any], size: int, policy: Policy, keys: KeyRing, refuse_all: str
) -> None:
    chunks = [PAGE[i : i + size] for i in range(0, len(PAGE), size)]
    headers = [("Content-Type", "text/html; charset=utf-8")]
    app = wrap(factory(chunks, headers), policy, keys, rewrite_html=True)
    _, out_headers, body = run(app, {"HTTP_COOKIE": f"bandeau={refuse_all}"})
    assert b'<iframe data-bandeau="advertising" data-bandeau-src="http://localhost:8002/ad' in body
    assert body.count(b'type="text/plain" data-bandeau="social"') == 1
    assert not any(k.lower() == "content-length" for k, _ in out_headers)


def test_a_page_with_a_known_length_gets_its_new_length(
    policy: Policy, keys: KeyRing, refuse_all: str
) -> None:
    """A complete page (Content-Length within max_buffer) is rewritten and re-measured; a
    longer one streams without Content-Length."""
    chunks = [PAGE[:100], PAGE[100:]]
    headers = [("Content-Type", "text/html"), ("Content-Length", str(len(PAGE)))]
    env = {"HTTP_COOKIE": f"bandeau={refuse_all}"}
    app = wrap(generator_app(chunks, headers), policy, keys, rewrite_html=True)
    with wsgi_serving(app) as url:
        response = httpx.get(url, headers={"cookie": env["HTTP_COOKIE"]})
    assert response.headers["content-length"] == str(len(response.content))
    assert len(response.content) > len(PAGE) and b"data-bandeau-src" in response.content
    small = wrap(generator_app(chunks, headers), policy, keys, rewrite_html=True, max_buffer=10)
    _, out_headers, body = run(small, env)
    assert not any(k.lower() == "content-length" for k, _ in out_headers)
    assert body == response.content


def test_gzip_and_head_pass_through(policy: Policy, keys: KeyRing) -> None:
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", "9")]
    app = wrap(list_app([PAGE], headers), policy, keys, rewrite_html=True)
    assert run(app)[1:] == (headers, PAGE)
    html = [("Content-Type", "text/html"), ("Content-Length", "9")]
    app = wrap(list_app([PAGE], html), policy, keys, rewrite_html=True)
    assert run(app, {"REQUEST_METHOD": "HEAD"})[1:] == (html, PAGE)


def test_legacy_write_streams_rewritten(policy: Policy, keys: KeyRing) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/html")])
        write(b"<p><script src='http://localhost:")
        write(b"8001/a.js'></script>")
        return [b"<p>end"]

    _, _, body = run(wrap(app, policy, keys, rewrite_html=True))
    assert body == (
        b'<p><script type="text/plain" data-bandeau="social" '
        b"src='http://localhost:8001/a.js'></script><p>end"
    )


class Closing:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("rewrite_html", [False, True])
def test_the_app_body_is_closed_even_if_never_iterated(
    rewrite_html: bool, policy: Policy, keys: KeyRing
) -> None:
    body = Closing([b"<p>"])

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return body

    result = wrap(app, policy, keys, rewrite_html=rewrite_html)(
        {"REQUEST_METHOD": "GET"}, lambda *a: lambda b: None
    )
    result.close()  # type: ignore[attr-defined]
    assert body.closed


def test_an_error_after_start_is_re_raised(policy: Policy, keys: KeyRing) -> None:
    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("boom")
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b""]

    calls: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        calls.append(status)
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        return lambda b: None

    with pytest.raises(ValueError, match="boom"):
        wrap(app, policy, keys)({"REQUEST_METHOD": "GET"}, start_response)
    assert calls == ["200 OK", "500 Internal Server Error"]
