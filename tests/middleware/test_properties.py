"""Hypothesis: arbitrary bytes as cookie values and headers never make the middleware raise,
and always fail closed: no consent purpose is allowed without a valid signed decision (LAW-01),
and no refused cookie is set (CNIL-03)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bandeau.keys import KeyRing
from bandeau.middleware import BandeauMiddleware, BandeauWSGIMiddleware, Enforcer
from bandeau.policy import Policy

from .conftest import NOW

NOTHING = {"necessary": True, "audience": True, "social": False, "advertising": False}
REFUSED_COOKIES = [
    (b"set-cookie", b"_ad_id=1; Path=/"),
    (b"set-cookie", b"_tg_x=2"),
    (b"set-cookie", b"_social_uid=3"),
]
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

text_bytes = st.binary(max_size=600)
cookie_values = st.one_of(
    text_bytes,
    st.builds(lambda v: b"bandeau=" + v, text_bytes),
    st.builds(lambda a, b: b"bandeau=" + a + b"." + b, text_bytes, text_bytes),
    st.builds(
        lambda a: b"bandeau=" + base64.urlsafe_b64encode(a).rstrip(b"=") + b".AAAA", text_bytes
    ),
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def enforcer(policy: Policy, keys: KeyRing) -> Enforcer:
    return Enforcer(policy, keys.public)


@PROPERTY
@given(cookies=st.lists(cookie_values, max_size=3), gpc=st.lists(text_bytes, max_size=3))
def test_arbitrary_headers_fail_closed_in_the_core(
    enforcer: Enforcer, cookies: list[bytes], gpc: list[bytes]
) -> None:
    reading = enforcer.read(
        [c.decode("latin-1") for c in cookies], [g.decode("latin-1") for g in gpc], NOW
    )
    assert dict(reading.consent.states) == NOTHING
    assert reading.consent.consent_id is None and reading.token is None
    assert reading.refresh is None
    for header in enforcer.extra_cookies(reading):
        assert "\r" not in header and "\n" not in header and header.isascii()


@PROPERTY
@given(
    body=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=20)
        | st.sampled_from(["lequotidien", "reader", 1, "social", [1, "x"], [0], []]),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=12,
    ),
    fields=st.dictionaries(
        st.sampled_from(["v", "s", "i", "t", "x", "k", "p"]),
        st.one_of(
            st.integers(), st.floats(), st.text(max_size=8), st.lists(st.integers(), max_size=2)
        ),
    ),
)
def test_signed_but_malformed_payloads_fail_closed(
    enforcer: Enforcer, keys: KeyRing, body: Any, fields: dict[str, Any]
) -> None:
    """Even with a valid signature, a payload of the wrong shape is no decision."""
    payload = {**fields, "p": body} if isinstance(body, dict) else body
    if isinstance(payload, dict):
        payload.setdefault("v", 1)
        payload.setdefault("k", keys.current.key_id)
    text = b64(json.dumps(payload).encode())
    value = f"{text}.{b64(keys.sign(text.encode()))}"
    reading = enforcer.read([f"bandeau={value}"], [], NOW)
    if reading.consent.consent_id is None:
        assert dict(reading.consent.states) == NOTHING


@pytest.mark.parametrize(
    "value",
    [
        "[" * 3000 + "]" * 3000,  # deep nesting: json raises RecursionError
        '{"v":1,"k":[1]}',  # an unhashable key id: a TypeError before any signature check
        '{"v":1,"k":{}}',
    ],
)
def test_unsigned_hostile_payloads_fail_closed(enforcer: Enforcer, value: str) -> None:
    reading = enforcer.read([f"bandeau={b64(value.encode())[:4000]}.AAAA"], [], NOW)
    assert dict(reading.consent.states) == NOTHING


@PROPERTY
@given(data=st.data())
def test_mutated_tokens_never_grant_more(enforcer: Enforcer, accept_all: str, data: Any) -> None:
    """Changing any character of a valid token either leaves the same decision (base64's unused
    bits) or none at all."""
    index = data.draw(st.integers(0, len(accept_all) - 1))
    char = data.draw(st.sampled_from("ABCabc012-_.=+/% "))
    mutated = accept_all[:index] + char + accept_all[index + 1 :]
    reading = enforcer.read([f"bandeau={mutated}"], [], NOW)
    if reading.consent.consent_id is None:
        assert dict(reading.consent.states) == NOTHING
    else:
        assert reading.token == enforcer.verify(accept_all)


headers_strategy = st.lists(
    st.tuples(
        st.one_of(st.sampled_from([b"cookie", b"sec-gpc", b"x-any"]), st.binary(max_size=20)),
        st.one_of(cookie_values, text_bytes),
    ),
    max_size=6,
)


@PROPERTY
@given(headers=headers_strategy)
def test_asgi_middleware_never_raises_and_fails_closed(
    policy: Policy, keys: KeyRing, headers: list[tuple[bytes, bytes]]
) -> None:
    seen: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["state"]["bandeau"])
        await send({"type": "http.response.start", "status": 200, "headers": REFUSED_COOKIES})
        await send({"type": "http.response.body", "body": b"<p>x</p>"})

    middleware = BandeauMiddleware(
        app, policy=policy, public_keys=keys.current, rewrite_html=True, clock=lambda: NOW
    )
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "scheme": "http", "headers": headers}
    asyncio.run(middleware(scope, receive, send))
    assert dict(seen[0].states) == NOTHING
    set_cookies = [v for k, v in sent[0]["headers"] if k == b"set-cookie"]
    assert all(b"Max-Age=0" in v for v in set_cookies)  # only expiries, never the app's cookies


@PROPERTY
@given(cookie=cookie_values, gpc=text_bytes)
def test_wsgi_middleware_never_raises_and_fails_closed(
    policy: Policy, keys: KeyRing, cookie: bytes, gpc: bytes
) -> None:
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["bandeau.consent"])
        start_response("200 OK", [(k.decode(), v.decode()) for k, v in REFUSED_COOKIES])
        return [b"ok"]

    middleware = BandeauWSGIMiddleware(
        app, policy=policy, public_keys=keys.current, clock=lambda: NOW
    )
    got: list[list[tuple[str, str]]] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "HTTP_COOKIE": cookie.decode("latin-1"),
        "HTTP_SEC_GPC": gpc.decode("latin-1"),
    }
    body = middleware(environ, lambda status, headers, exc=None: got.append(headers))
    assert list(body) == [b"ok"]
    assert dict(seen[0].states) == NOTHING
    assert all("Max-Age=0" in v for k, v in got[0] if k.lower() == "set-cookie")
