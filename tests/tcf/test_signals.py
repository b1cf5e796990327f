"""The TCF signals on the server (TCF-15, GPP-02): the middleware hands the app the reader's TC
string, the GPP string and the macro values, over real HTTP (ASGI under uvicorn, WSGI under
wsgiref); and it inserts tcf.js right after `<head>`."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.middleware import BandeauMiddleware, BandeauWSGIMiddleware
from bandeau.middleware.view import consent_view
from bandeau.policy import Policy, parse_policy
from bandeau.tcf import encode
from bandeau.tcf.gpp import decode_gpp
from bandeau.tcf.signals import TcfSignals

from ..middleware.conftest import asgi_serving, wsgi_serving
from .test_codec import BASE

AD_TAG = "https://ads.example/bid?gdpr=${GDPR}&c755=${GDPR_CONSENT_755}&c25=${GDPR_CONSENT_25}"


def tc_string(**sets: Any) -> str:
    return encode(replace(BASE, vendorsDisclosed=frozenset({1, 25, 755}), **sets))


def test_macros_only_for_vendors_with_a_legal_basis() -> None:
    """TCF-15: `${GDPR_CONSENT_XXXX}` is the string, unmodified, only for a vendor with consent
    or legitimate interest in it; `${GDPR}` is 1 where GDPR applies."""
    string = tc_string(purposeConsents={1}, vendorConsents={755}, vendorLegitimateInterests={1})
    signals = TcfSignals([f"a=b; bandeau_tc={string}; c=d"], "bandeau_tc", gdpr_applies=True)
    assert signals.tc_string == string and signals.gdpr == "1"
    assert signals.consent_for(755) == string and signals.consent_for(1) == string
    assert signals.consent_for(25) == ""
    assert signals.expand(AD_TAG) == f"https://ads.example/bid?gdpr=1&c755={string}&c25="
    assert signals.macros([755, 25]) == {
        "GDPR": "1",
        "GDPR_CONSENT_755": string,
        "GDPR_CONSENT_25": "",
    }
    assert decode_gpp(signals.gpp_string).sections[2] == string


@pytest.mark.parametrize(
    "cookie",
    ["bandeau_tc=not-a-string", "bandeau_tc=" + "A" * 5000, "other=1", ""],
    ids=["garbage", "too-long", "absent", "no-cookie"],
)
def test_no_valid_string_no_signal(cookie: str) -> None:
    signals = TcfSignals([cookie] if cookie else [], "bandeau_tc", gdpr_applies=True)
    assert (signals.tc_string, signals.gpp_string, signals.consent_for(755)) == ("", "", "")
    assert signals.expand("g=${GDPR}&c=${GDPR_CONSENT_755}") == "g=1&c="


def test_a_string_that_breaks_a_rule_is_no_signal() -> None:
    """TCF-07: a string with legitimate interest on purpose 1 is not passed on."""
    bad = tc_string(purposeLegitimateInterests={1})
    assert TcfSignals([f"bandeau_tc={bad}"], "bandeau_tc", gdpr_applies=True).tc_string == ""


def _values(request: Any) -> dict[str, str]:
    tcf = consent_view(request).tcf
    return {"tc": tcf.tc_string, "gpp": tcf.gpp_string, "url": tcf.expand(AD_TAG)}


def asgi_app() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = json.dumps(_values(scope)).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(_values(environ)).encode()]


@pytest.fixture
def tcf_policy(tcf_policy_text: str) -> Policy:
    return parse_policy(tcf_policy_text)


def test_the_app_reads_the_strings_over_http(tcf_policy: Policy, policy: Policy) -> None:
    """The middleware, ASGI and WSGI, puts the signals in the request; a site without [tcf]
    reads empty ones."""
    keys = KeyRing.generate()
    string = tc_string(purposeConsents={1}, vendorConsents={755})
    cookies = {"bandeau_tc": string}
    asgi = BandeauMiddleware(asgi_app(), policy=tcf_policy, public_keys=keys.public)
    wsgi = BandeauWSGIMiddleware(wsgi_app, policy=tcf_policy, public_keys=keys.public)
    for serving, app in ((asgi_serving, asgi), (wsgi_serving, wsgi)):
        with serving(app) as url:
            got = httpx.get(url + "/", cookies=cookies).json()
        assert got["tc"] == string
        assert got["gpp"] == "DBABMA~" + string
        assert got["url"] == f"https://ads.example/bid?gdpr=1&c755={string}&c25="
    plain = BandeauMiddleware(asgi_app(), policy=policy, public_keys=keys.public)
    with asgi_serving(plain) as url:
        got = httpx.get(url + "/", cookies=cookies).json()
    assert got == {"tc": "", "gpp": "", "url": "https://ads.example/bid?gdpr=0&c755=&c25="}


def test_tcf_js_goes_right_after_head(tcf_policy: Policy) -> None:
    """GCM-02, TCF-11: the script comes before anything else the head holds (ad and Google
    tags included); the banner as before."""

    async def page(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b'<!doctype html><html><head><script src="https://gtm.example/gtag.js"></script></head><body><p>x</p></body></html>'
        headers = [(b"content-type", b"text/html; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    banner = "https://consent.example/v1/sites/lequotidien"
    app = BandeauMiddleware(
        page,
        policy=tcf_policy,
        public_keys=KeyRing.generate().public,
        insert_banner=True,
        banner_url=banner,
        clock=time.time,
    )
    with asgi_serving(app) as url:
        html = httpx.get(url + "/").text
    assert html.startswith(f'<!doctype html><html><head><script src="{banner}/tcf.js"></script>')
    assert html.index("tcf.js") < html.index("gtag.js") < html.index('rel="preload"')
    assert f'<body><script defer src="{banner}/banner.js' in html
