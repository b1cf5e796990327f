"""The banner keeps a decision the server could not take, and delivers it exactly once when the
server is back (issue 3, DESIGN §4): the server is really stopped, then started again on the
same port and database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bandeau.keys import KeyRing
from bandeau.policy import parse_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store

from ..live import free_port, serving

pytestmark = pytest.mark.browser

ARTICLE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
<link rel="stylesheet" href="{api}/banner.css"></head>
<body><script src="{api}/banner.js"></script><h1>La Saône déborde</h1><p>Texte.</p>
<script type="text/plain" data-bandeau="social">window.socialRan = (window.socialRan || 0) + 1;
</script></body></html>
"""


class Api:
    """bandeau's API on a fixed port, which can be stopped and started again."""

    def __init__(self, tmp: Path, policy_text: str, page_origin: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        text = policy_text.replace("http://127.0.0.1:8000", page_origin)
        self.policy = parse_policy(text)
        self.settings = Settings(data_dir=tmp, port=self.port, rate_limit=0)
        self.keys = KeyRing.open_or_create(self.settings.keys_dir)
        self.running: AbstractContextManager[str] | None = None

    def start(self) -> None:
        store = open_store(self.settings.database_url)
        app = create_app(self.settings, [self.policy], keys=self.keys, store=store)
        self.running = serving(app, self.port)
        self.running.__enter__()
        self._store = store

    def stop(self) -> None:
        assert self.running is not None
        self.running.__exit__(None, None, None)
        self._store.close()
        self.running = None

    def decisions(self, decision_id: str) -> int:
        store = open_store(self.settings.database_url)
        try:
            return 1 if store.get(decision_id) is not None else 0
        finally:
            store.close()

    def count(self) -> int:
        store = open_store(self.settings.database_url)
        try:
            return store.count()
        finally:
            store.close()


@pytest.fixture
def site(tmp_path: Path, policy_text: str) -> Iterator[tuple[str, Api]]:
    page_port = free_port()
    page_origin = f"http://127.0.0.1:{page_port}"
    api = Api(tmp_path, policy_text, page_origin)

    async def article(_: Request) -> HTMLResponse:
        return HTMLResponse(ARTICLE.format(api=f"{api.url}/v1/sites/lequotidien"))

    pages = Starlette(routes=[Route("/", article)])
    api.start()
    with serving(pages, page_port):
        yield page_origin, api
    if api.running is not None:
        api.stop()


def test_decision_made_offline_is_delivered_once(browser: Browser, site: tuple[str, Api]) -> None:
    page_origin, api = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(page_origin + "/")
    expect(page.locator("#bandeau .bd-l1")).to_be_visible()
    api.stop()

    page.click("#bandeau .bd-l1 [data-bandeau-action=refuse_all]")
    expect(page.locator("#bandeau .bd-l1")).to_be_hidden()  # applied at once, server or not
    consent = page.evaluate("() => bandeau.consent()")
    assert consent["decided"] is True
    assert consent["purposes"]["social"] is False
    pending = page.evaluate("() => JSON.parse(localStorage.getItem('bandeau.pending'))")
    assert pending["action"] == "refuse_all"
    expect(page.locator("#bandeau [role=status]")).not_to_be_empty()
    assert api.count() == 0

    api.start()
    # the page retries by itself (the delay doubles from 4 s); a reload retries at once
    page.wait_for_function("() => localStorage.getItem('bandeau.pending') === null", timeout=20000)
    assert api.decisions(pending["id"]) == 1
    assert api.count() == 1
    assert page.evaluate("() => bandeau.consent().id") is not None
    assert "bandeau" in {c["name"] for c in context.cookies(page_origin)}

    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#bandeau .bd-l1")).to_be_hidden()
    assert api.count() == 1  # delivered exactly once
    context.close()


def test_undelivered_decision_is_sent_on_the_next_page(
    browser: Browser, site: tuple[str, Api]
) -> None:
    page_origin, api = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(page_origin + "/")
    api.stop()
    page.click("#bandeau .bd-l1 [data-bandeau-action=accept_all]")
    pending = page.evaluate("() => JSON.parse(localStorage.getItem('bandeau.pending'))")
    page.close()
    api.start()
    again = context.new_page()
    again.goto(page_origin + "/")
    again.wait_for_function("() => localStorage.getItem('bandeau.pending') === null", timeout=20000)
    assert api.decisions(pending["id"]) == 1
    assert api.count() == 1
    context.close()


def test_decision_in_flight_when_the_page_closes_is_sent_on_the_next_page(
    browser: Browser, site: tuple[str, Api]
) -> None:
    """The reader decides and leaves before the server answers: the request dies with the page,
    and the next page finds the decision waiting (its unsent cookie, then localStorage) and
    sends it, exactly once."""
    page_origin, api = site
    context = browser.new_context()
    held: list[object] = []
    # the POST is held, never answered: it dies when its page closes
    context.route(
        "**/decisions",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page = context.new_page()
    page.goto(page_origin + "/")
    page.click("#bandeau .bd-l1 [data-bandeau-action=refuse_all]")
    page.wait_for_function("() => localStorage.getItem('bandeau.pending') !== null")
    pending = page.evaluate("() => JSON.parse(localStorage.getItem('bandeau.pending'))")
    assert "bandeau_p" in {c["name"] for c in context.cookies(page_origin)}
    page.close()
    context.unroute("**/decisions")
    assert held and api.count() == 0

    again = context.new_page()
    again.goto(page_origin + "/")
    again.wait_for_function("() => localStorage.getItem('bandeau.pending') === null", timeout=20000)
    assert api.decisions(pending["id"]) == 1 and api.count() == 1
    assert "bandeau_p" not in {c["name"] for c in context.cookies(page_origin)}
    context.close()


COUNT_STORAGE_READS = """
window.storageReads = 0;
const getItem = Storage.prototype.getItem;
Storage.prototype.getItem = function (...args) {
  window.storageReads += 1;
  return getItem.apply(this, args);
};
window.idleRequests = 0;
const requestIdle = window.requestIdleCallback;
window.requestIdleCallback = function (...args) {
  window.idleRequests += 1;
  return requestIdle.apply(this, args);
};
"""

IDLE = "() => new Promise((done) => requestIdleCallback(() => requestIdleCallback(done)))"


def test_a_page_with_no_decision_waiting_does_not_read_local_storage(
    browser: Browser, site: tuple[str, Api]
) -> None:
    """Issue 9: the first read of localStorage blocks the page while the browser loads the
    site's storage. The banner reads it only on a page that has a decision waiting (its unsent
    cookie): not on a first visit, and not once a decision is acknowledged. Nor does such a
    page schedule the idle check at all (one task and one callback fewer on every page)."""
    page_origin, _api = site
    context = browser.new_context()
    context.add_init_script(COUNT_STORAGE_READS)
    page = context.new_page()
    page.goto(page_origin + "/", wait_until="load")
    expect(page.locator("#bandeau .bd-l1")).to_be_visible()
    assert page.evaluate("() => window.idleRequests") == 0  # the load event has run
    page.evaluate(IDLE)
    assert page.evaluate("() => window.storageReads") == 0

    page.click("#bandeau .bd-l1 [data-bandeau-action=refuse_all]")
    page.wait_for_function("() => localStorage.getItem('bandeau.pending') === null")
    assert "bandeau_p" not in {c["name"] for c in context.cookies(page_origin)}
    page.reload(wait_until="load")
    page.evaluate(IDLE)
    assert page.evaluate("() => window.storageReads") == 0
    assert page.evaluate("() => bandeau.consent().decided") is True
    context.close()
