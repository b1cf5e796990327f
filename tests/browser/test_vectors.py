"""The consent vectors (tests/vectors/consent.json) against the shipped banner, in Chromium.

A real bandeau server (create_app over HTTP) serves every vector policy; a page server on
another origin serves a page with the banner and a grant button. For each case the browser
starts from the case's jar (its consent cookie signed by the server's own keys), loads the page,
reads `window.bandeau.consent()`, acts through the banner's controls, and the test observes the
decision the banner POSTs (its body, and that it carries no cookies) and what is left in the jar.
The Python side of the same file: tests/test_vectors.py.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, expect
from starlette.applications import Starlette
from starlette.requests import Request as PageRequest
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bandeau.consent import Signals, evaluate, read_token
from bandeau.keys import KeyRing
from bandeau.policy import Policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store

from ..live import free_port, serving
from ..vectors import Case, load, make_policy, sign_token, unsent_cookie

pytestmark = pytest.mark.browser

POLICIES, CASES = load()
PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Vector</title>
<link rel="stylesheet" href="{api}/banner.css"></head><body><h1>Article</h1>
<button id="grant" type="button" data-bandeau-action="grant"
 data-bandeau-grant="{grant}">ok</button>
<script src="{api}/banner.js"></script></body></html>"""
# Chromium has no Global Privacy Control switch: the page sees it as a browser sending it would.
GPC_ON = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
PREFERENCES_CONTROL = {"accept_all": "#bd-s-accept-all", "refuse_all": "#bd-s-refuse-all",
                       "save": "#bd-s-save"}


@dataclass
class Sites:
    page_origin: str
    api: str
    keys: dict[str, KeyRing]  # by site
    policies: dict[str, Policy]

    def page_url(self, case: Case) -> str:
        return f"{self.page_origin}/{case.policy}?grant={' '.join(case.action.get('keys', []))}"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    page_port, api_port = free_port(), free_port()
    page_origin = f"http://127.0.0.1:{page_port}"
    policies = {name: make_policy(name, spec, page_origin) for name, spec in POLICIES.items()}
    settings = Settings(data_dir=tmp_path_factory.mktemp("vectors"), port=api_port, rate_limit=0)
    keys = {p.site: KeyRing.generate() for p in policies.values()}  # each site's own
    store = open_store(settings.database_url)
    app = create_app(
        settings, list(policies.values()), keys=KeyRing.generate(), store=store, site_keys=keys
    )

    async def page(request: PageRequest) -> HTMLResponse:
        site = request.path_params["site"]
        api = f"http://127.0.0.1:{api_port}/v1/sites/{site}"
        grant = html.escape(request.query_params.get("grant", ""))
        return HTMLResponse(PAGE.format(api=api, grant=grant))

    pages = Starlette(routes=[Route("/{site}", page)])
    with serving(app, api_port) as api_url, serving(pages, page_port):
        yield Sites(page_origin, api_url, keys, policies)
    store.close()


def act(page: Page, case: Case) -> Request:
    """Perform the case's action through the banner's controls; the decision request."""
    action = case.action
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/decisions")) as sent:
        if action["do"] == "grant":
            page.click("#grant")
        elif action["layer"] == "first":
            page.click(f"#bandeau .bd-l1 [data-bandeau-action={action['do']}]")
        else:
            page.evaluate("() => bandeau.open()")
            expect(page.locator("#bandeau .bd-l2")).to_be_visible()
            for key, on in action.get("switches", {}).items():
                # an exempt purpose's switch is an objection: ticked means not allowed
                switch = page.locator(f"#bd-c-{key}")
                objection = switch.evaluate("e => !!e.closest('.bd-o')")
                switch.set_checked(on != objection)
            page.click(PREFERENCES_CONTROL[action["do"]])
    request = sent.value
    response = request.response()
    assert response is not None and response.status in (200, 201), response
    # the banner forgets the pending body once it has written the cookie from the answer
    page.wait_for_function("() => localStorage.getItem('bandeau.pending') === null")
    return request


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_vector_in_the_shipped_banner(browser: Browser, sites: Sites, case: Case) -> None:
    policy = sites.policies[case.policy]
    now = int(time.time())
    context = browser.new_context()
    try:
        if case.gpc:
            context.add_init_script(GPC_ON)
        token = sign_token(case, policy, sites.keys[policy.site], now)
        jar = list(case.jar.get("cookies", []))
        cookies = [{"name": n, "value": "1", "url": sites.page_origin} for n in jar]
        if token is not None:
            cookies.append({"name": policy.cookie_name, "value": token, "url": sites.page_origin})
        unsent = unsent_cookie(case, policy, now)
        if unsent is not None:  # never a grant (LAW-03): only a recorded choice grants
            cookies.append({"name": f"{policy.cookie_name}_p", "value": unsent,
                            "url": sites.page_origin})
        if cookies:
            context.add_cookies(cookies)  # type: ignore[arg-type]
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(sites.page_url(case), wait_until="load")
        if case.gpc:
            # a GPC browser's page records the signal once it is idle (event gpc_applied), when
            # it answers purposes for the first time; the decision then carries that token
            page.wait_for_load_state("networkidle")
            page.wait_for_function("() => localStorage.getItem('bandeau.pending') === null")
            token = {c["name"]: c["value"] for c in context.cookies(sites.page_origin)}.get(
                policy.cookie_name, token
            )
        storage = list(case.jar.get("storage", []))
        page.evaluate("keys => keys.forEach(k => localStorage.setItem(k, '1'))", storage)

        request = act(page, case) if case.action["do"] != "none" else None
        consent: dict[str, Any] = page.evaluate("() => bandeau.consent()")
        expected = case.expect
        assert consent["purposes"] == expected["states"]
        assert consent["features"] == expected["features"]
        assert sorted(consent["pending"]) == sorted(expected["pending"])
        assert errors == []
        if request is None:
            assert expected["sent"] is None
            return

        body = request.post_data_json
        assert {k: c["granted"] for k, c in body["choices"].items()} == expected["sent"]
        assert all(c["digest"] == policy.purpose(k).digest for k, c in body["choices"].items())
        assert body["gpc"] is case.gpc and body["token"] == token
        assert "cookie" not in request.all_headers()  # the decision carries no credentials

        left = {c["name"]: c["value"] for c in context.cookies(sites.page_origin)}
        assert [n for n in jar if n not in left] == expected["delete"]
        kept: list[str] = page.evaluate("() => Object.keys(localStorage)")
        assert [k for k in storage if k not in kept] == expected["delete_storage"]

        # the banner wrote the server's token; read back, it gives what the page applied
        written = read_token(left[policy.cookie_name], sites.keys[policy.site].public)
        after = evaluate(policy, written, Signals(gpc=case.gpc), int(time.time()))
        assert dict(after.states) == expected["states"]
        assert sorted(after.pending) == sorted(expected["pending"])
    finally:
        context.close()


def test_every_vector_case_runs_here() -> None:
    """The browser runs the same list as Python: nothing is skipped on either side."""
    assert len(CASES) >= 20
    assert Path(__file__).parent.parent.joinpath("vectors", "consent.json").is_file()
