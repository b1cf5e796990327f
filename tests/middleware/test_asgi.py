"""`BandeauMiddleware` around raw ASGI apps: in-process for the ASGI details, over real HTTP
(uvicorn on loopback) for what a browser would receive."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from bandeau.banner.config import asset_version
from bandeau.consent import read_token
from bandeau.keys import KeyRing
from bandeau.middleware import BandeauMiddleware
from bandeau.policy import Policy

from .conftest import NOW, TokenFactory, asgi_serving
from .test_rewrite import EXPECTED, PAGE

Message = MutableMapping[str, Any]
SEEN: list[dict[str, Any]] = []


def raw_app(
    chunks: list[bytes],
    headers: list[tuple[bytes, bytes]],
    status: int = 200,
) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            SEEN.append({"lifespan": True, "state": "state" in scope})
            return
        if scope["type"] == "websocket":
            SEEN.append(dict(scope.get("state", {})))
            return
        SEEN.append(dict(scope.get("state", {})))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for i, chunk in enumerate(chunks):
            more = i < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app


def wrap(app: Any, policy: Policy, keys: KeyRing, **options: Any) -> BandeauMiddleware:
    return BandeauMiddleware(
        app, policy=policy, public_keys=keys.public, clock=lambda: NOW, **options
    )


def call(
    app: Any, headers: list[tuple[bytes, bytes]] = (), scheme: str = "http", method: str = "GET"
) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "scheme": scheme,
        "path": "/",
        "headers": list(headers),
    }
    asyncio.run(app(scope, receive, send))
    return sent


def header_list(message: Message, name: bytes) -> list[bytes]:
    return [v for k, v in message["headers"] if k.lower() == name]


HTML = [(b"content-type", b"text/html; charset=utf-8")]


# ------------------------------------------------------------------ state


def test_consent_and_gpc_are_in_the_scope_state(
    policy: Policy, keys: KeyRing, token: TokenFactory
) -> None:
    """The app sees the reader's consent and the GPC signal (GPC-01)."""
    SEEN.clear()
    app = wrap(raw_app([b"ok"], []), policy, keys)
    call(app, [(b"cookie", f"bandeau={token(social=True)}".encode()), (b"sec-gpc", b"1")])
    state = SEEN[-1]
    assert state["bandeau"].allows("social") and not state["bandeau"].allows("advertising")
    assert state["bandeau_gpc"] is True
    assert state["bandeau_features"] == {"comments"}
    call(app, [(b"cookie", b"bandeau=forged.token")])
    assert SEEN[-1]["bandeau"].consent_id is None and SEEN[-1]["bandeau_gpc"] is False


def test_websocket_gets_the_state_and_lifespan_passes_through(
    policy: Policy, keys: KeyRing, accept_all: str
) -> None:
    SEEN.clear()
    app = wrap(raw_app([], []), policy, keys)

    async def go() -> None:
        async def receive() -> Message:
            return {}

        async def send(message: Message) -> None:
            raise AssertionError("nothing is sent")

        headers = [(b"cookie", f"bandeau={accept_all}".encode())]
        await app({"type": "websocket", "headers": headers, "scheme": "ws"}, receive, send)
        await app({"type": "lifespan"}, receive, send)

    asyncio.run(go())
    assert SEEN[0]["bandeau"].allows("advertising")
    assert SEEN[1] == {"lifespan": True, "state": False}


# ------------------------------------------------------------------ cookies (CNIL-03)

APP_COOKIES = [
    (b"content-type", b"text/plain"),
    (b"set-cookie", b"_ad_id=1; Path=/; Max-Age=3600"),
    (b"Set-Cookie", b"_tg_session=2; Path=/"),
    (b"set-cookie", b"_lq_mesure=3; Path=/"),
    (b"set-cookie", b"sessionid=4; HttpOnly"),
]


def test_refused_set_cookie_headers_never_leave_over_http(
    policy: Policy, keys: KeyRing, refuse_all: str, accept_all: str
) -> None:
    """CNIL-03, LAW-01: over a real connection, cookies of refused purposes are not set."""
    app = wrap(raw_app([b"ok"], APP_COOKIES), policy, keys)
    with asgi_serving(app) as url:
        refused = httpx.get(url, headers={"cookie": f"bandeau={refuse_all}"})
        undecided = httpx.get(url)
        accepted = httpx.get(url, headers={"cookie": f"bandeau={accept_all}"})
    assert refused.headers.get_list("set-cookie") == [
        "_lq_mesure=3; Path=/",
        "sessionid=4; HttpOnly",
    ]
    assert undecided.headers.get_list("set-cookie") == refused.headers.get_list("set-cookie")
    assert len(accepted.headers.get_list("set-cookie")) == 4
    assert refused.text == accepted.text == "ok"


def test_cookies_the_browser_still_sends_are_expired(
    policy: Policy, keys: KeyRing, refuse_all: str
) -> None:
    """CNIL-03: a refused purpose's cookies already on the device are deleted."""
    app = wrap(raw_app([b"ok"], [(b"content-type", b"text/plain")]), policy, keys)
    cookie = f"_ad_id=old; bandeau={refuse_all}; _tg_x=old; sessionid=keep"
    with asgi_serving(app) as url:
        response = httpx.get(url, headers={"cookie": cookie})
    assert response.headers.get_list("set-cookie") == [
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
        "_tg_x=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
    ]
    jar = httpx.Cookies()
    jar.extract_cookies(response)
    assert "_ad_id" not in jar and "_tg_x" not in jar


def test_headers_are_untouched_when_there_is_nothing_to_do(
    policy: Policy, keys: KeyRing, accept_all: str
) -> None:
    headers = [(b"content-type", b"text/plain"), (b"x-a", b"1")]
    app = wrap(raw_app([b"ok"], headers), policy, keys)
    start = call(app, [(b"cookie", f"bandeau={accept_all}".encode())])[0]
    assert start["headers"] is headers


def test_refreshed_consent_cookie_over_https(
    policy: Policy, keys: KeyRing, token: TokenFactory
) -> None:
    """The server re-sets the consent cookie so it outlives script-written cookie caps."""
    app = wrap(raw_app([b"ok"], []), policy, keys, refresh_cookie=True, signing_keys=keys)
    value = token(social=True, issued_at=NOW - 8 * 86400)
    start = call(app, [(b"cookie", f"bandeau={value}".encode())], scheme="https")[0]
    (header,) = header_list(start, b"set-cookie")
    text = header.decode()
    assert text.startswith("bandeau=") and "; Secure; SameSite=Lax" in text
    assert "HttpOnly" not in text
    fresh = read_token(text.split(";")[0].split("=", 1)[1], keys.public)
    assert fresh.consent_id == "reader-1" and fresh.expires_at == NOW - 8 * 86400 + 183 * 86400
    # the app sets the consent cookie itself: it wins
    own = [(b"set-cookie", b"bandeau=new; Path=/")]
    app = wrap(raw_app([b"ok"], own), policy, keys, refresh_cookie=True, signing_keys=keys)
    start = call(app, [(b"cookie", f"bandeau={value}".encode())], scheme="https")[0]
    assert header_list(start, b"set-cookie") == [b"bandeau=new; Path=/"]


# ------------------------------------------------------------------ HTML rewriting


def chunked(doc: bytes, size: int) -> list[bytes]:
    return [doc[i : i + size] for i in range(0, len(doc), size)] or [b""]


@pytest.mark.parametrize("size", [1, 7, 64, 100000])
def test_streamed_pages_are_rewritten_over_http(
    size: int, policy: Policy, keys: KeyRing, refuse_all: str
) -> None:
    """Gated markup for refused hosts whatever the chunking; a streamed page loses its
    Content-Length, a page sent at once gets the new one."""
    page = PAGE
    app = wrap(
        raw_app(chunked(page, size), [*HTML, (b"content-length", str(len(page)).encode())]),
        policy,
        keys,
        rewrite_html=True,
        insert_banner=True,
        banner_url="http://127.0.0.1:8000/v1/sites/lequotidien",
    )
    with asgi_serving(app) as url:
        response = httpx.get(url, headers={"cookie": f"bandeau={refuse_all}"})
    body = response.content
    assert (
        b'<script type="text/plain" data-bandeau="social" src="http://localhost:8001/widget.js"'
        in body
    )
    assert (
        b'<iframe data-bandeau="advertising" data-bandeau-src="http://localhost:8002/ad?slot=1"'
        in body
    )
    assert b"banner.css" not in body  # nothing render-blocking from the consent server
    api = b"http://127.0.0.1:8000/v1/sites/lequotidien"
    assert b'<link rel="preload" as="script" href="' + api + b"/banner.js?v=" in body
    assert body.count(b"<script defer src=") == 1
    if size >= len(page):
        assert response.headers["content-length"] == str(len(body))
    else:
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"


EMBEDS = (
    b"<html><head><link rel=stylesheet href=http://localhost:8001/w.css></head><body>"
    b"<img src='http://localhost:8002/px.gif?p=1' alt=''>"
    b'<video src="http://localhost:8001/clip.webm" controls></video>'
    b'<audio><source src="http://localhost:8001/a.ogg"></audio>'
    b'<object data="http://localhost:8001/o"></object><embed src="http://localhost:8002/e">'
    b'<script data-bandeau="advertising">adSlots()</script>'
    b'<script data-bandeau="audience">count()</script></body></html>'
)


def test_every_kind_of_embed_is_gated_over_http(
    policy: Policy, keys: KeyRing, refuse_all: str, token: TokenFactory
) -> None:
    """LAW-08: pixels, stylesheets, media, objects, embeds and inline marked scripts of a
    refused purpose reach the browser as gated markup; for a reader who allowed everything the
    page goes through as it is."""
    app = wrap(raw_app([EMBEDS], HTML), policy, keys, rewrite_html=True)
    with asgi_serving(app) as url:
        refused = httpx.get(url, headers={"cookie": f"bandeau={refuse_all}"}).content
        everything = token(social=True, advertising=True, audience=True)
        allowed = httpx.get(url, headers={"cookie": f"bandeau={everything}"}).content
    for gated in (
        b'<link data-bandeau="social" rel=stylesheet data-bandeau-src=http://localhost:8001/w.css>',
        b"<img data-bandeau=\"advertising\" data-bandeau-src='http://localhost:8002/px.gif?p=1'",
        b'<video data-bandeau="social" data-bandeau-src="http://localhost:8001/clip.webm"',
        b'<source data-bandeau="social" data-bandeau-src="http://localhost:8001/a.ogg">',
        b'<object data-bandeau="social" data-bandeau-src="http://localhost:8001/o">',
        b'<embed data-bandeau="advertising" data-bandeau-src="http://localhost:8002/e">',
        b'<script type="text/plain" data-bandeau="advertising">adSlots()</script>',
        b'<script data-bandeau="audience">count()</script>',  # exempt, on by default
    ):
        assert gated in refused, gated
    assert allowed == EMBEDS


def test_rewrite_matches_the_reference_for_each_split(policy: Policy, keys: KeyRing) -> None:
    """The gate comes from the policy; each two-chunk split gives the same page."""
    doc = (
        b"<html><head></head><body><script src='http://localhost:8001/a.js'></script>"
        b'<iframe src="http://localhost:8002/ad"></iframe></body></html>'
    )
    whole = None
    for k in range(len(doc) + 1):
        app = wrap(raw_app([doc[:k], doc[k:]], HTML), policy, keys, rewrite_html=True)
        sent = call(app)
        body = b"".join(m.get("body", b"") for m in sent[1:])
        whole = whole or body
        assert body == whole
    assert whole is not None
    assert (
        b'data-bandeau="social"' in whole
        and b'data-bandeau-src="http://localhost:8002/ad"' in whole
    )


def test_the_reader_who_allowed_everything_gets_the_page_as_is(
    policy: Policy, keys: KeyRing, accept_all: str
) -> None:
    headers = [*HTML, (b"content-length", str(len(PAGE)).encode())]
    app = wrap(raw_app([PAGE], headers), policy, keys, rewrite_html=True)
    sent = call(app, [(b"cookie", f"bandeau={accept_all}".encode())])
    assert sent[0]["headers"] == headers and sent[1]["body"] == PAGE


def test_whole_page_rewrite_matches_the_reference(policy: Policy, keys: KeyRing) -> None:
    app = wrap(raw_app([PAGE], HTML), policy, keys, rewrite_html=True)
    sent = call(app)
    expected = EXPECTED.replace(b"<LINK>", b"").replace(b"<SCRIPT>", b"")
    # the demo policy declares localhost:8001 (social) and :8002 (advertising), not the others
    expected = expected.replace(
        b'<SCRIPT type="text/plain" data-bandeau="advertising" data-type="module" SRC=',
        b'<SCRIPT TYPE="module" SRC=',
    ).replace(
        b'<script type="text/plain" data-bandeau="social advertising" src="https://cdn.both',
        b'<script src="https://cdn.both',
    )
    assert sent[1]["body"] == expected
    assert header_list(sent[0], b"content-length") == [str(len(expected)).encode()]


@pytest.mark.parametrize(
    ("headers", "method", "status"),
    [
        ([(b"content-type", b"text/html"), (b"content-encoding", b"gzip")], "GET", 200),
        ([(b"content-type", b"application/json")], "GET", 200),
        ([(b"content-type", b"text/html; charset=utf-16")], "GET", 200),
        (HTML, "HEAD", 200),
        (HTML, "GET", 304),
    ],
)
def test_pages_left_alone(
    headers: list[tuple[bytes, bytes]], method: str, status: int, policy: Policy, keys: KeyRing
) -> None:
    """Compressed bodies pass through untouched, as do non-HTML, HEAD and bodiless responses."""
    body = gzip.compress(PAGE) if (b"content-encoding", b"gzip") in headers else PAGE
    full = [*headers, (b"content-length", str(len(body)).encode())]
    app = wrap(raw_app([body], full, status), policy, keys, rewrite_html=True)
    sent = call(app, method=method)
    assert sent[0]["headers"] == full
    assert sent[1]["body"] == body


def test_pathsend_passes_through(policy: Policy, keys: KeyRing) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*HTML, (b"content-length", b"5")],
            }
        )
        await send({"type": "http.response.pathsend", "path": "/tmp/x.html"})

    sent = call(wrap(app, policy, keys, rewrite_html=True))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert (b"content-length", b"5") in sent[0]["headers"]


def test_banner_uses_the_page_csp_nonce(policy: Policy, keys: KeyRing, accept_all: str) -> None:
    headers = [*HTML, (b"content-security-policy", b"script-src 'nonce-r4nd0m' 'self'")]
    app = wrap(
        raw_app([b"<head></head><body><p>x</p></body>"], headers),
        policy,
        keys,
        insert_banner=True,
        banner_url="/bandeau/v1/sites/lequotidien",
    )
    sent = call(app, [(b"cookie", f"bandeau={accept_all}".encode())])
    assert (
        sent[1]["body"]
        == (
            '<head><link rel="preload" as="script" '
            f'href="/bandeau/v1/sites/lequotidien/banner.js?v={asset_version(policy)}" '
            'nonce="r4nd0m"></head><body><script nonce="r4nd0m" defer '
            f'src="/bandeau/v1/sites/lequotidien/banner.js?v={asset_version(policy)}"></script>'
            "<p>x</p></body>"
        ).encode()
    )


def test_each_page_gets_its_own_nonce_and_a_fresh_rewriter(
    policy: Policy, keys: KeyRing, accept_all: str
) -> None:
    """Pages of one reader with different CSP nonces, and the same page again: each gets the
    snippet with its own nonce (or none), and nothing from an earlier page, though the rewriter
    each starts from is kept per plan and nonce."""
    nonce: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [*HTML]
        if nonce[-1]:
            headers.append((b"content-security-policy", b"script-src 'nonce-%s'" % nonce[-1]))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"<head></head><body>x", "more_body": True}
        )
        await send({"type": "http.response.body", "body": b"</body>"})

    wrapped = wrap(app, policy, keys, insert_banner=True, banner_url="/b")
    cookie = [(b"cookie", f"bandeau={accept_all}".encode())]
    for value in (b"n1", b"", b"n2", b"n1", b""):
        nonce.append(value)
        body = b"".join(m.get("body", b"") for m in call(wrapped, cookie)[1:])
        attr = b' nonce="%s"' % value if value else b""
        assert body.count(b"banner.js") == 2
        assert body.count(b"nonce=") == (2 if value else 0)
        assert b"<script%s defer" % attr in body
        assert body.endswith(b"x</body>")
