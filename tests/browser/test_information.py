"""What the reader is told, in French and in English: exempt measurement is not presented as
consent (CNIL-05, EDPB-F), who receives the data (LAW-06, CNIL-05), and what refusing changes
(S7)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bandeau.banner.config import partners
from bandeau.demo import DemoServer

from .conftest import Visit

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"
SETTINGS = "#bandeau .bd-l2"
HOME = {"fr": "/", "en": "/en/"}


def names(demo: DemoServer, lang: str, kind: str) -> list[str]:
    return [p.text[lang].name for p in demo.policy.purposes if p.kind == kind]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_exempt_measurement_is_not_presented_as_consent(visit: Visit, lang: str) -> None:
    """CNIL-05, EDPB-F: the first layer lists under "with your consent" only the purposes that
    need it, and the exempt measurement apart, as something the reader can object to; in the
    preferences its switch is an objection ("I object"), and ticking it records the objection."""
    v, page, demo = visit, visit.page, visit.demo
    ui = demo.policy.ui_texts(lang)
    v.goto(HOME[lang])
    layer = page.locator(FIRST)
    consent_list, exempt_list = layer.locator("ul").nth(0), layer.locator("ul").nth(1)
    consent_text = consent_list.inner_text()
    for name in names(demo, lang, "consent"):
        assert name in consent_text
    for name in names(demo, lang, "exempt_audience_measurement"):
        assert name not in consent_text
        assert name in exempt_list.inner_text()
    intro = layer.locator("p", has_text=ui["intro"])
    exempt = layer.locator("p", has_text=ui["exempt"])
    expect(intro).to_be_visible()
    expect(exempt).to_be_visible()
    # the consent list follows the consent sentence; the exempt list the objection sentence
    order = layer.evaluate(
        "l => [...l.querySelectorAll('p, ul')].map(e => e.tagName === 'UL' ? 'list' : e.innerText)"
    )
    assert order.index(ui["intro"]) + 1 == order.index("list")
    assert order[order.index(ui["exempt"]) + 1] == "list"

    layer.locator("[data-bandeau-action=customise]").click()
    row = page.locator(f"{SETTINGS} [data-bandeau-purpose=audience]")
    switch = page.get_by_role("switch", name=ui["object"])
    expect(switch).to_be_visible()
    expect(switch).not_to_be_checked()
    assert row.locator(".bd-st").inner_text() == ui["exempt_state"]
    switch.check()
    assert row.locator(".bd-st").inner_text() == ui["objected"]
    # the measurement script ran on this page: objecting reloads it (a script cannot be unrun)
    v.decide_and_reload(f"{SETTINGS} [data-bandeau-action=save]")
    [record] = demo.store.history(demo.policy.site, v.consent()["id"])
    assert record.choices["audience"] is False
    assert v.consent()["purposes"]["audience"] is False


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_partners_and_their_privacy_policies_are_listed(visit: Visit, lang: str) -> None:
    """LAW-06, CNIL-05: the first layer gives the number of partners with a link to their
    list; the list (in the preferences) names every partner with its privacy policy, and each
    service shows its provider and privacy-policy link."""
    v, page, demo = visit, visit.page, visit.demo
    policy = demo.policy
    ui = policy.ui_texts(lang)
    expected = partners(policy)
    assert len(expected) == 3
    v.goto(HOME[lang])
    link = page.locator(f"{FIRST} [data-bandeau-open=partners]")
    expect(link).to_have_text(ui["partners"].format(count=len(expected)))
    link.click()
    heading = page.locator(f"{SETTINGS} #bd-partners")
    expect(heading).to_be_focused()
    items = page.locator(f"{SETTINGS} .bd-pt li")
    expect(items).to_have_count(len(expected))
    listed = {}
    for i in range(items.count()):
        item = items.nth(i)
        listed[item.locator("b").inner_text()] = item.locator("a").get_attribute("href")
    assert listed == {name: e["privacy_policy"] for name, e in expected.items()}
    for p in policy.purposes:
        row = page.locator(f"{SETTINGS} [data-bandeau-purpose={p.key}]")
        for s in p.services:
            row.locator("summary").click()
            service = row.locator("li", has_text=s.name)
            if s.provider:
                expect(service).to_contain_text(s.provider)
            if s.privacy_policy:
                expect(service.locator(f"a[href='{s.privacy_policy}']")).to_have_text(
                    ui["provider_policy"]
                )
            row.locator("summary").click()
    assert v.third_party_urls() == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_what_refusing_changes_is_visible_in_the_preferences(visit: Visit, lang: str) -> None:
    """S7: each consent purpose's consequence text is visible in the preferences, under the
    "if you refuse" label; each purpose is a group named by the purpose (A11Y-01)."""
    v, page, demo = visit, visit.page, visit.demo
    ui = demo.policy.ui_texts(lang)
    v.goto(HOME[lang])
    page.locator(f"{FIRST} [data-bandeau-action=customise]").click()
    for p in demo.policy.purposes:
        group = page.get_by_role("group", name=p.text[lang].name, exact=True)
        expect(group).to_be_visible()
        if p.kind == "consent":
            refusal = group.locator(".bd-rf")
            expect(refusal).to_be_visible()
            expect(refusal).to_contain_text(ui["refusal_label"])
            expect(refusal).to_contain_text(p.text[lang].refusal)
            expect(group.get_by_role("switch", name=p.text[lang].name)).to_be_visible()
