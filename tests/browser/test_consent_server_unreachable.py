"""The recommended snippet leaves the article's first paint to the article, and blocks gated
content, whether the consent server is slow or down (issue 9, item 3; LAW-01, CNIL-02).

A slow consent server is a real one behind a proxy that accepts each connection at once and
answers only when the test lets it; a down one is a port where nothing listens. The page is
the snippet of `bandeau snippet` (a preload in <head>, the script last in <body>) around an
article with a gated external script, a gated inline script and a gated embed, all pointing at a
fake third party on another port that records every request it gets. The timing figures are in
bench/firstpaint.py; here only what must hold whatever the timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..live import free_port, running_site, serving

pytestmark = pytest.mark.browser

ARTICLE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
<link rel="preload" as="script" href="{api}/banner.js?lang=fr"></head>
<body><h1 id="headline">La Saône déborde</h1><p>Texte de l'article.</p>
<script type="text/plain" data-bandeau="social" src="{third}/widget.js"></script>
<script type="text/plain" data-bandeau="advertising">window.__ads = true;</script>
<iframe data-bandeau="social" data-bandeau-src="{third}/frame.html" title="Telegram"></iframe>
<script src="{api}/banner.js?lang=fr"></script></body></html>
"""


@dataclass
class HeldServer:
    """A consent server that accepts requests and answers them (from `upstream`) only once
    `release()` is called."""

    upstream: str
    released: threading.Event = field(default_factory=threading.Event)
    held: int = 0

    def app(self) -> Starlette:
        async def relay(request: Request) -> Response:
            self.held += 1
            await anyio.to_thread.run_sync(self.released.wait)
            async with httpx.AsyncClient() as client:
                answer = await client.get(
                    self.upstream + request.url.path, params=request.query_params
                )
            return Response(
                answer.content, answer.status_code, media_type=answer.headers["content-type"]
            )

        return Starlette(routes=[Route("/{path:path}", relay)])

    def release(self) -> None:
        self.released.set()


@dataclass
class Site:
    page_url: str
    third_party_requests: list[str]
    held: HeldServer | None


@pytest.fixture(params=["slow", "down"])
def site(request: pytest.FixtureRequest, tmp_path: Path, policy_text: str) -> Iterator[Site]:
    seen: list[str] = []

    async def third_party(request: Request) -> PlainTextResponse:
        seen.append(str(request.url))
        return PlainTextResponse("window.__widget = true;", media_type="text/javascript")

    with running_site(tmp_path, policy_text, rate_limit=0) as real:
        held = HeldServer(real.url) if request.param == "slow" else None
        consent_port = free_port()  # down: nothing ever listens there
        with serving(Starlette(routes=[Route("/{path:path}", third_party)])) as third:
            api = f"http://127.0.0.1:{consent_port}/v1/sites/lequotidien"
            page = ARTICLE.format(api=api, third=third)

            async def article(_: Request) -> HTMLResponse:
                return HTMLResponse(page)

            with serving(Starlette(routes=[Route("/", article)])) as pages:
                if held is None:
                    yield Site(pages + "/", seen, None)
                else:
                    with serving(held.app(), consent_port):
                        yield Site(pages + "/", seen, held)
                        held.release()  # let the held requests end before the servers stop


def assert_nothing_gated_ran(page: Page, site: Site) -> None:
    assert site.third_party_requests == []
    assert page.evaluate("() => window.__ads === undefined && window.__widget === undefined")
    assert page.locator("iframe").get_attribute("src") is None
    assert page.locator("script[data-bandeau]").count() == 2  # still inert, never replaced


def test_article_paints_while_the_consent_server_has_not_answered(
    browser: Browser, site: Site
) -> None:
    """Slow (LAW-01): the article's first contentful paint happens while the consent server
    holds every request, with nothing gated run or loaded; once the server answers, the banner
    shows and still nothing gated runs. Down: the article paints and loads, nothing gated runs
    or loads, and the page has no banner."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.page_url, wait_until="commit")
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0"
    )
    expect(page.locator("#headline")).to_be_visible()
    if site.held is not None:
        assert site.held.held >= 1 and not site.held.released.is_set()
        assert page.evaluate("() => document.readyState") == "loading"  # the script is awaited
        assert_nothing_gated_ran(page, site)
        site.held.release()
        expect(page.locator("#bandeau .bd-l1")).to_be_visible()
    else:
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.bandeau === undefined")
    assert_nothing_gated_ran(page, site)
    context.close()
