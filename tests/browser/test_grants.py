"""Grants count once recorded (LAW-03, CNIL-08; docs/banner.md): in the shipped banner, a grant
takes effect only when the server has acknowledged it, a refusal at once; a choice the server
rejects or cannot hear grants nothing and the reader is told; a pending grant is retried on a
later page and grants nothing there until it is recorded. The consent server is a real one
(stopped, changed and started again on the same port and database); a slow or broken network
is Chromium's own request interception, holding or dropping the decision on its way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from bandeau.policy import parse_policy

from .test_offline import Api, site  # noqa: F401 (the fixture: a page with a social script)

pytestmark = pytest.mark.browser

ACCEPT = "#bandeau .bd-l1 [data-bandeau-action=accept_all]"
STATUS = "#bandeau [role=status]"


def social(page: Page) -> bool:
    return bool(page.evaluate("() => bandeau.consent().purposes.social"))


def ran(page: Page) -> int:
    return int(page.evaluate("() => window.socialRan || 0"))


def test_a_grant_takes_effect_once_the_server_has_recorded_it(
    browser: Browser, site: tuple[str, Api]  # noqa: F811 (the fixture imported above)
) -> None:
    """LAW-03: while the server has not answered, accept all has closed the first layer but
    allowed nothing; its 2xx answer (the signed token) switches the purposes on."""
    page_origin, api = site
    context = browser.new_context()
    page = context.new_page()
    held: list[Route] = []
    page.route(
        "**/decisions",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.goto(page_origin + "/")
    page.click(ACCEPT)
    while not held:  # the decision is on its way, and held there
        page.wait_for_timeout(20)
    expect(page.locator("#bandeau .bd-l1")).to_be_hidden()
    assert page.evaluate("() => bandeau.consent().decided") is True
    assert social(page) is False and ran(page) == 0
    assert "bandeau" not in {c["name"] for c in context.cookies(page_origin)}
    assert api.count() == 0

    held[0].continue_()
    page.wait_for_function("() => window.socialRan === 1")
    assert social(page) is True
    expect(page.locator(STATUS)).to_contain_text(api.policy.ui_texts("fr")["saved"])
    assert api.count() == 1
    context.close()


def test_a_refusal_takes_effect_before_the_server_answers(
    browser: Browser, site: tuple[str, Api]  # noqa: F811 (the fixture imported above)
) -> None:
    """A withdrawal needs no answer: the purpose is off at once, while the decision is still
    on its way (the page then reloads, since a script that ran cannot be unrun)."""
    page_origin, api = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(page_origin + "/")
    page.click(ACCEPT)
    page.wait_for_function("() => window.socialRan === 1")
    page.evaluate("() => bandeau.open()")
    expect(page.locator("#bd-s-refuse-all")).to_be_visible()
    held: list[Route] = []
    page.route(
        "**/decisions",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.click("#bd-s-refuse-all")
    while not held:
        page.wait_for_timeout(20)
    assert social(page) is False
    assert api.count() == 1  # only the grant is recorded yet
    with page.expect_navigation():
        held[0].continue_()
    assert api.count() == 2
    context.close()


def test_a_rejected_grant_grants_nothing_and_the_reader_is_told(
    browser: Browser, site: tuple[str, Api], policy_text: str  # noqa: F811
) -> None:
    """A 4xx (here 409 stale_policy: the purpose changed while the page was open) records
    nothing, so nothing runs; the live region says the choice was not recorded."""
    page_origin, api = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(page_origin + "/")
    expect(page.locator("#bandeau .bd-l1")).to_be_visible()
    api.stop()
    changed = policy_text.replace("déposent des traceurs", "placent des traceurs")
    assert changed != policy_text
    api.policy = parse_policy(changed.replace("http://127.0.0.1:8000", page_origin))
    api.start()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(ACCEPT)
    assert answer.value.status == 409
    expect(page.locator(STATUS)).to_contain_text(api.policy.ui_texts("fr")["offline"])
    page.wait_for_function("() => localStorage.getItem('bandeau.pending') === null")
    assert social(page) is False and ran(page) == 0
    assert api.count() == 0
    context.close()


def test_an_unrecorded_grant_is_retried_on_the_next_page_and_grants_nothing_till_then(
    browser: Browser, site: tuple[str, Api]  # noqa: F811 (the fixture imported above)
) -> None:
    """Offline (the network drops every decision), accept all grants nothing and says so; on
    the next page the unsigned pending cookie is no grant (the first layer asks again) until
    the retried decision is recorded, which then closes the first layer and runs what was
    allowed."""
    page_origin, api = site
    context = browser.new_context()
    context.route(
        "**/decisions",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page = context.new_page()
    page.goto(page_origin + "/")
    page.click(ACCEPT)
    expect(page.locator(STATUS)).to_contain_text(api.policy.ui_texts("fr")["offline"])
    assert social(page) is False and ran(page) == 0
    page.close()

    again = context.new_page()
    again.goto(page_origin + "/")
    assert "bandeau_p" in {c["name"] for c in context.cookies(page_origin)}
    expect(again.locator("#bandeau .bd-l1")).to_be_visible()
    assert social(again) is False and ran(again) == 0
    assert "social" in again.evaluate("() => bandeau.consent().pending")
    assert api.count() == 0

    context.unroute("**/decisions")  # back online: the page's next retry gets through
    again.wait_for_function("() => window.socialRan === 1", timeout=20000)
    expect(again.locator("#bandeau .bd-l1")).to_be_hidden()
    assert social(again) is True
    assert api.count() == 1
    context.close()
