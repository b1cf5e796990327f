"""Server-side enforcement on the demo: a cookie the demo's own backend sets under a refused
purpose never reaches the browser (issue 4; CNIL-02, CNIL-03, LAW-01)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Response

from bandeau.demo.site import TARGETING_COOKIE

from .conftest import Visit

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"


def article_set_cookies(v: Visit) -> list[str]:
    """The Set-Cookie headers of the next article response the browser receives."""
    seen: list[str] = []

    def on_response(r: Response) -> None:
        if r.request.resource_type == "document":
            seen.extend(h["value"] for h in r.headers_array() if h["name"].lower() == "set-cookie")

    v.page.on("response", on_response)
    v.page.reload()
    v.settle()
    v.page.remove_listener("response", on_response)
    return seen


def test_backend_ad_cookie_never_reaches_the_browser_until_allowed(visit: Visit) -> None:
    """The demo's server sets `_lq_ciblage` (declared under advertising) on every article; the
    middleware strips it before any choice and after refusal, lets it through after accept all,
    and expires it again after withdrawal."""
    v = visit
    v.goto("/")
    assert TARGETING_COOKIE not in v.cookies()
    v.decide(f"{FIRST} [data-bandeau-action=refuse_all]")
    headers = article_set_cookies(v)
    assert not any(h.startswith(f"{TARGETING_COOKIE}=") for h in headers)
    assert TARGETING_COOKIE not in v.cookies()

    v.page.click("#bandeau-icon")
    v.decide("#bandeau .bd-l2 [data-bandeau-action=accept_all]")
    headers = article_set_cookies(v)
    assert any(h.startswith(f"{TARGETING_COOKIE}=rubrique-locale") for h in headers)
    assert v.cookies()[TARGETING_COOKIE] == "rubrique-locale"

    v.page.click("#bandeau-icon")
    v.decide_and_reload("#bandeau .bd-l2 [data-bandeau-action=refuse_all]")
    assert TARGETING_COOKIE not in v.cookies()
    headers = article_set_cookies(v)
    assert not any(h.startswith(f"{TARGETING_COOKIE}=rubrique") for h in headers)
    assert TARGETING_COOKIE not in v.cookies()
