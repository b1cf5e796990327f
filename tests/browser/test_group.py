"""The demo group in Chromium (issue 13): the first title end to end in German, and the group's
second title, on another origin, served by the same bandeau server and store under a policy
that extends the first's, whose readers' choices stay its own."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bandeau.consent import read_token
from bandeau.demo import DemoServer
from bandeau.demo.site import TARGETING_COOKIE
from bandeau.demo.words import UI
from bandeau.errors import TokenError
from bandeau.keys import KeyRing, site_folder

from .conftest import Visit, new_visit

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"
SETTINGS = "#bandeau .bd-l2"
FOOTER_LINK = "footer [data-bandeau-open]"


def ring(demo: DemoServer, site: str) -> KeyRing:
    return KeyRing.open(site_folder(demo.settings.keys_dir, site))


def decide(page: Page, action: str) -> dict[str, object]:
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/decisions")
    ) as info:
        page.click(f"{FIRST} [data-bandeau-action={action}]")
    assert info.value.status == 201, info.value.text()
    page.wait_for_load_state("networkidle")
    answer: dict[str, object] = info.value.json()
    return answer


def test_the_demo_speaks_german_end_to_end(visit: Visit, demo: DemoServer) -> None:
    """S10, CNIL-14: `/de/` is the article in German; the banner, the preferences (every
    purpose's name, description and what refusing changes), the site's own words and the
    privacy page are German, with no French or English text of the policy; the decision
    records the language."""
    v, page, policy = visit, visit.page, demo.policy
    v.goto("/de/")
    assert page.locator("html").get_attribute("lang") == "de"
    layer = page.locator(FIRST)
    expect(layer).to_be_visible()
    ui = policy.ui_texts("de")
    buttons = [
        page.locator(f"{FIRST} [data-bandeau-action={a}]").inner_text()
        for a in ("accept_all", "refuse_all", "customise")
    ]
    assert buttons == [ui["accept_all"], ui["refuse_all"], ui["customise"]]
    expect(page.locator("[data-bandeau-feature-off=comments]")).to_contain_text(
        UI["de"]["comments_off_title"]
    )
    page.click(f"{FIRST} [data-bandeau-action=customise]")
    settings = page.locator(SETTINGS)
    expect(settings).to_be_visible()
    shown = settings.inner_text()
    for purpose in policy.purposes:
        german = purpose.text["de"]
        assert german.name in shown, purpose.key
        for lang in ("fr", "en"):
            assert purpose.text[lang].name not in shown, (purpose.key, lang)
        if german.refusal:
            assert german.refusal in shown, purpose.key
    page.keyboard.press("Escape")
    answer = decide(page, "refuse_all")
    [record] = demo.store.history(policy.site, str(answer["consent_id"]))
    assert (record.language, record.page) == ("de", "/de/")
    v.goto("/de/datenschutz")
    body = page.locator("main").inner_text()
    for purpose in policy.purposes:
        assert purpose.text["de"].description in body
        assert purpose.text["fr"].description not in body
    assert v.console_errors == [] and v.csp_violations() == []


def test_the_groups_second_site_shares_the_server_not_the_choices(
    demo: DemoServer, browser: Browser
) -> None:
    """Issue 13: one reader, both titles of the group. The second site's pages load their banner
    from the same bandeau server (one process, one store), under the policy that extends the
    first's (same purposes, its own controller). Accepting everything on the first site counts
    on it alone (LAW-02): the second site asks, its third parties receive nothing; even the
    first site's token copied into the second site's cookie is no consent there (its banner
    asks, its server strips the ad-targeting cookie and refuses a comment, its key does not
    verify it). The second site's own decision is recorded in the same log, signed with its
    own key."""
    v = new_visit(demo, browser, viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page, second = v.page, demo.second_url
    try:
        v.goto("/")
        first = decide(page, "accept_all")
        v.goto("/")  # the next article from the first site's server sets its ad cookie
        assert TARGETING_COOKIE in v.cookies()
        assert read_token(str(first["token"]), ring(demo, "lequotidien").public).site == (
            "lequotidien"
        )

        v.start_watching()
        page.goto(second + "/", wait_until="load")
        v.settle()
        expect(page.locator(".logo")).to_contain_text("Écho")
        expect(page.locator(FIRST)).to_be_visible()  # asked again: another site
        assert v.seen_by_third_parties() == [] and v.third_party_urls() == []
        assert page.evaluate("() => window.bandeau.consent().id") is None

        # the first site's token, carried over into the second site's cookie jar
        v.context.add_cookies(
            [
                {
                    "name": demo.apps.second_policy.cookie_name,
                    "value": str(first["token"]),
                    "url": second,
                }
            ]
        )
        page.goto(second + "/", wait_until="load")
        v.settle()
        expect(page.locator(FIRST)).to_be_visible()
        jar = {c["name"] for c in v.context.cookies(second)}
        assert TARGETING_COOKIE not in jar  # the middleware stripped it: no consent here
        assert v.seen_by_third_parties() == []
        with pytest.raises(TokenError):
            read_token(str(first["token"]), ring(demo, "echo").public)
        cookie = {demo.apps.second_policy.cookie_name: str(first["token"])}
        comment = httpx.post(
            second + "/commentaires",
            data={"lang": "fr", "name": "Lecteur", "text": "Bonjour"},
            cookies=cookie,
        )
        assert comment.status_code == 403

        own = decide(page, "refuse_all")
        token = read_token(str(own["token"]), ring(demo, "echo").public)
        assert token.site == "echo"
        with pytest.raises(TokenError):
            read_token(str(own["token"]), ring(demo, "lequotidien").public)
        [record] = demo.store.history("echo", str(own["consent_id"]))
        assert record.event == "refuse_all"
        assert demo.store.history("echo", str(first["consent_id"])) == []
        assert demo.store.history("lequotidien", str(own["consent_id"])) == []

        v.goto("/")  # back on the first site: its choice stands
        expect(page.locator(FIRST)).to_be_hidden()
        assert page.evaluate("() => window.bandeau.consent().purposes.advertising") is True
        assert v.console_errors == [] and v.csp_violations() == []
    finally:
        v.context.close()
