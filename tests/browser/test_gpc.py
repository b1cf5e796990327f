"""Global Privacy Control in Chromium (GPC-01, GPC-03): a browser that sends `Sec-GPC: 1` and
exposes `navigator.globalPrivacyControl === true` is not asked about the purposes GPC covers,
is told why, and its signal is recorded once per consent id (event `gpc_applied`), not on
every page. Chromium has no GPC setting: the context sends the header on every request and an
init script gives the property the value a GPC browser gives it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Response, expect

from bandeau.demo import DemoServer

from .conftest import Visit, new_visit

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"
GPC_BROWSER = """
Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {
  get: () => true, configurable: true,
});
"""


@pytest.fixture
def gpc_visit(demo: DemoServer, browser: Browser) -> Iterator[Visit]:
    v = new_visit(
        demo,
        browser,
        viewport={"width": 1280, "height": 800},
        locale="fr-FR",
        extra_http_headers={"Sec-GPC": "1"},
    )
    v.context.add_init_script(GPC_BROWSER)
    yield v
    v.context.close()


def is_decision(r: Response) -> bool:
    return r.request.method == "POST" and r.url.endswith("/decisions")


def decisions_sent(v: Visit) -> int:
    return sum(1 for u in v.requests if u.endswith("/decisions"))


def test_gpc_covered_purposes_are_not_asked_and_recorded_once(
    gpc_visit: Visit, demo: DemoServer
) -> None:
    """GPC-03: advertising (gpc = true) is refused before any click and not asked; the first
    layer says why; one `gpc_applied` record is stored for the consent id, with the signal,
    and later pages send nothing more; accept all still overrides it."""
    v, page = gpc_visit, gpc_visit.page
    policy = demo.policy
    ui = policy.ui_texts("fr")
    assert page.evaluate("() => navigator.globalPrivacyControl") is None  # before a page
    with page.expect_response(is_decision) as info:
        v.goto("/")
    assert page.evaluate("() => navigator.globalPrivacyControl") is True
    answer = info.value.json()
    assert info.value.status == 201 and answer["event"] == "gpc_applied"
    state = v.consent()
    assert state["pending"] == ["social"]
    assert state["purposes"]["advertising"] is False
    notice = ui["gpc_notice"].format(purpose=policy.purpose("advertising").text["fr"].name)
    expect(page.locator(FIRST)).to_contain_text(notice)
    consent_id = answer["consent_id"]
    assert v.consent()["id"] == consent_id

    for path in ("/", "/articles/marche-croix-rousse", "/mesure"):
        v.goto(path)  # waits until the network is idle: a GPC record would have been sent
        expect(page.locator(FIRST)).to_contain_text(notice)
        assert v.consent()["pending"] == ["social"]
    assert decisions_sent(v) == 1
    [record] = demo.store.history(policy.site, consent_id)
    assert record.event == "gpc_applied" and record.layer == "signal"
    assert record.choices == {"advertising": False} and record.signals == {"gpc": True}
    assert v.seen_by_third_parties(demo.ads_origin) == []

    v.decide(f"{FIRST} [data-bandeau-action=accept_all]")  # the reader's explicit opt-in
    history = demo.store.history(policy.site, consent_id)
    assert [r.event for r in history] == ["gpc_applied", "accept_all"]
    assert history[-1].choices["advertising"] is True and history[-1].signals == {"gpc": True}
    assert v.consent()["purposes"]["advertising"] is True
