"""The TCF mode in Chromium, on the demo in TCF mode (`bandeau demo --tcf`, the shared test
vendor list read in place): `__tcfapi` and its events, the first layer's TCF part, refuse all,
accept all and a per-vendor choice, the strings checked with `@iabtcf/core`, the fake ad network
reading `__tcfapi` from its iframe, Google Consent Mode commands, and `__gpp`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from bandeau.demo import DemoServer
from bandeau.tcf.section import SIGNALS

from ..tcf.conftest import TRANSLATIONS, shared_vectors, vectors_path
from ..tcf.test_reference import reference
from .conftest import Visit, new_visit

pytestmark = [
    pytest.mark.skipif(not shared_vectors(), reason=f"no TCF vectors at {vectors_path()}"),
    pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed"),
]

# An IAB-style stub that queues calls made before tcf.js arrives, and a listener registered
# through it that keeps every event status and TC string (TCF-11, TCF-14).
PROBE = """
(function () {
  var queue = [];
  window.__tcfapi = function () {
    if (!arguments.length) return queue;
    queue.push([].slice.call(arguments));
  };
  window.__events = [];
  window.__tcfapi('addEventListener', 2, function (tc, ok) {
    window.__events.push([tc.eventStatus, tc.tcString, ok, tc.enableAdvertiserConsentMode]);
  });
})();
"""
DEMO_VENDORS = [1, 25, 50, 52, 755]


@pytest.fixture(scope="module")
def tcf_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with DemoServer(
        tmp_path_factory.mktemp("tcf"),
        tcf=f"{vectors_path()}#gvlFixture",
        translations=TRANSLATIONS,  # bandeau's own French test texts; none in German
    ) as server:
        yield server


@pytest.fixture
def reader(tcf_demo: DemoServer, browser: Browser) -> Iterator[Visit]:
    visit = new_visit(tcf_demo, browser, viewport={"width": 1280, "height": 900}, locale="fr-FR")
    visit.context.add_init_script(PROBE)
    yield visit
    visit.context.close()


def events(visit: Visit) -> list[list[Any]]:
    found: list[list[Any]] = visit.page.evaluate("() => window.__events")
    return found


def call(visit: Visit, command: str, parameter: Any = None) -> list[Any]:
    """One __tcfapi call, its callback's two arguments."""
    answer: list[Any] = visit.page.evaluate(
        """([command, parameter]) => new Promise((done) =>
            window.__tcfapi(command, 2, (value, ok) => done([value, ok]), parameter))""",
        [command, parameter],
    )
    return answer


def consent_commands(visit: Visit) -> list[list[Any]]:
    found: list[list[Any]] = visit.page.evaluate(
        "() => window.dataLayer.map((a) => Array.from(a)).filter((a) => a[0] === 'consent')"
    )
    return found


def ad_status(visit: Visit) -> str:
    """What the fake ad network's slot says, once it has heard from the CMP."""
    status = visit.page.frame_locator("iframe.tcf-ad").locator(
        "#status:not([data-tcf-status=waiting])"
    )
    if visit.page.evaluate("() => (window.__events.slice(-1)[0] || [])[0]") == "cmpuishown":
        status = visit.page.frame_locator("iframe.tcf-ad").locator("#status")
    status.wait_for()
    value: str = status.get_attribute("data-tcf-status") or ""
    return value


def test_first_visit_shows_the_tcf_first_layer(reader: Visit) -> None:
    """TCF-11…14, TCF-UI-01: the API answers at once; the UI is shown (cmpuishown, with the
    legitimate-interest-only string); the first layer lists the purposes, the special
    features and the number of vendors, with a link to them; nothing Google before consent."""
    reader.goto("/")
    ping, ok = call(reader, "ping")
    assert ok and ping["cmpLoaded"] and ping["cmpStatus"] == "loaded"
    assert ping["displayStatus"] == "visible" and ping["cmpId"] == 999
    [[status, tc_string, success, gcm]] = events(reader)
    assert (status, success, gcm) == ("cmpuishown", True, True)  # queued by the stub, replayed
    [model] = reference({"decode": [tc_string]})
    assert model["purposeConsents"] == [] and model["vendorConsents"] == []
    assert model["vendorLegitimateInterests"] == [1, 52, 755]
    layer = reader.page.locator("#bandeau .bd-tcf")
    assert "Nos partenaires (5)" in layer.inner_text()
    # the purposes 1-11 the demo's vendors use: stack 2 (purposes 2 and 7), then the 9 others
    assert layer.locator("li").count() == 10
    assert layer.locator("li[data-bandeau-stack]").count() == 1
    assert "Fonctionnalités spéciales" in layer.inner_text()
    vendor_list, ok = call(reader, "getVendorList")
    assert ok and sorted(map(int, vendor_list["vendors"])) == DEMO_VENDORS
    assert call(reader, "removeEventListener", 42) == [False, False]
    assert call(reader, "ping", None)[1]
    assert (
        reader.page.evaluate(
            "() => new Promise((done) => __tcfapi('ping', 1, (v, ok) => done(ok)))"
        )
        is False
    )  # TCF-12: version 1 is a failure
    commands = reader.page.evaluate("() => window.dataLayer.map((a) => Array.from(a))")
    assert commands[:2] == [  # GCM-02, GCM-04: the default first, then the options
        ["consent", "default", {**{s: "denied" for s in SIGNALS}, "wait_for_update": 500}],
        ["set", "ads_data_redaction", True],
    ]
    [default] = consent_commands(reader)
    assert default[1] == "default" and default[2]["ad_storage"] == "denied"
    assert all(default[2][s] == "denied" for s in ("ad_user_data", "ad_personalization"))
    assert not [u for u in reader.requests if u.endswith("/gtag.js")]  # basic mode: not loaded
    assert ad_status(reader) == "waiting"
    # TCF-11, GPP-04: the locator frames, made at once (the ad network's frame found one)
    frames = reader.page.evaluate(
        "() => [...document.querySelectorAll('iframe[hidden]')].map((f) => f.name)"
    )
    assert {"__tcfapiLocator", "__gppLocator"} <= set(frames)


def test_refuse_all_objects_to_every_legitimate_interest(reader: Visit) -> None:
    """EDPB-F, TCF-07: refuse all gives a string with no consent and no legitimate interest;
    the record keeps it; the ad network reads no consent; Consent Mode stays denied."""
    reader.goto("/")
    answer = reader.decide("#bd-refuse-all")
    tc_string = answer["tcf"]["tcString"]
    assert [e[0] for e in events(reader)] == ["cmpuishown", "useractioncomplete"]
    assert events(reader)[-1][1] == tc_string
    [model] = reference({"decode": [tc_string]})
    for name in (
        "purposeConsents",
        "purposeLegitimateInterests",
        "vendorConsents",
        "vendorLegitimateInterests",
        "specialFeatureOptins",
    ):
        assert model[name] == [], name
    assert model["vendorsDisclosed"] == DEMO_VENDORS and model["cmpId"] == 999
    record = reader.demo.apps.store.get(answer["decision_id"])
    assert record is not None and record.tcf["tcString"] == tc_string
    assert reader.cookies()["bandeau_tc"] == tc_string
    assert ad_status(reader) == "no-consent"
    update = consent_commands(reader)[-1]
    assert update[1] == "update" and set(update[2].values()) == {"denied"}


def test_accept_all_and_the_next_page(reader: Visit) -> None:
    """Accept all: every choice offered; the ad network gets consent; Consent Mode grants the
    ad signals (GCM-05) and the Google tag, loaded now, records default then update. The next
    page: tcloaded only, with the same string (TCF-14)."""
    reader.goto("/")
    answer = reader.decide("#bd-accept-all")
    tc_string = answer["tcf"]["tcString"]
    [model] = reference({"decode": [tc_string]})
    assert model["purposeConsents"] == list(range(1, 8))
    assert model["purposeLegitimateInterests"] == [2, 7, 8, 9, 10, 11]
    assert model["vendorConsents"] == [1, 25, 52, 755]
    assert model["specialFeatureOptins"] == [1]  # the only one the demo vendors declare
    assert ad_status(reader) == "consent"
    update = consent_commands(reader)[-1]
    assert update[1] == "update"
    assert {s: update[2][s] for s in ("ad_storage", "ad_user_data", "ad_personalization")} == {
        "ad_storage": "granted",
        "ad_user_data": "granted",
        "ad_personalization": "granted",
    }
    reader.page.wait_for_selector("html[data-gtag=ready]")
    log = reader.page.locator("[data-gcm-log] li").all_inner_texts()
    assert log[0].startswith("consent default") and any(x.startswith("consent update") for x in log)
    reader.goto("/")
    assert [e[0] for e in events(reader)] == ["tcloaded"]
    assert events(reader)[0][1] == tc_string
    assert ad_status(reader) == "consent"
    # reopened and changed: cmpuishown, then useractioncomplete (TCF-14); taking back purpose
    # 1 sets the ad signals back to denied (GCM-02)
    reader.page.click("#bandeau-icon")
    reader.page.wait_for_selector("#bd-tcf-vendors")
    assert call(reader, "ping")[0]["displayStatus"] == "visible"
    reader.page.keyboard.press("Escape")  # closed without a choice: the UI is hidden again
    reader.page.wait_for_selector("#bd-tcf-vendors", state="detached")
    assert call(reader, "ping")[0]["displayStatus"] == "hidden"
    reader.page.click("#bandeau-icon")
    reader.page.wait_for_selector("#bd-tcf-vendors")
    assert call(reader, "ping")[0]["displayStatus"] == "visible"
    reader.page.uncheck('input[data-bandeau-tcf="purposeConsents:1"]')
    changed = reader.decide("#bd-s-save")
    assert [e[0] for e in events(reader)] == ["tcloaded", "cmpuishown", "useractioncomplete"]
    assert events(reader)[-1][1] == changed["tcf"]["tcString"] != tc_string
    assert consent_commands(reader)[-1][2]["ad_storage"] == "denied"
    assert call(reader, "ping")[0]["displayStatus"] == "hidden"
    assert ad_status(reader) == "no-consent"


def test_a_choice_per_vendor(reader: Visit) -> None:
    """TCF-UI-01: the vendor list shows each vendor's purposes, bases, retention, data and
    storage; consent and objection per purpose and per vendor reach the string."""
    reader.goto("/")
    reader.page.click("#bandeau .bd-tcf a")  # CNIL-05: the first layer's link to the partners
    reader.page.wait_for_selector("dialog #bd-tcf-vendors")  # the preferences load first
    assert reader.page.locator("dialog details[data-bandeau-vendor]").count() == len(DEMO_VENDORS)
    vendor = reader.page.locator('details[data-bandeau-vendor="755"]')
    vendor.locator("summary").click()
    text = vendor.inner_text()
    assert "Conservation (jours)" in text and "Données collectées" in text
    assert "cookies, durée maximale en jours" in text
    reader.page.check('input[data-bandeau-tcf="purposeConsents:1"]')
    reader.page.check('input[data-bandeau-tcf="vendorConsents:755"]')
    first = reader.page.locator('details[data-bandeau-vendor="1"]')
    first.locator("summary").click()
    reader.page.uncheck('input[data-bandeau-tcf="vendorLegitimateInterests:1"]')
    reader.page.uncheck('input[data-bandeau-tcf="purposeLegitimateInterests:10"]')
    answer = reader.decide("#bd-s-save")
    [model] = reference({"decode": [answer["tcf"]["tcString"]]})
    assert model["purposeConsents"] == [1] and model["vendorConsents"] == [755]
    assert model["vendorLegitimateInterests"] == [52, 755]
    assert (
        10 not in model["purposeLegitimateInterests"] and 2 in model["purposeLegitimateInterests"]
    )
    # the ad network (vendor 755) needs purpose 1 and its own consent: both given
    reader.page.frame_locator("iframe.tcf-ad").locator("[data-tcf-status=consent]").wait_for()


def test_gpp_carries_the_tc_string(reader: Visit) -> None:
    """GPP-01, GPP-02, GPP-04: __gpp answers ping and the tcfeuv2 section, whose string is the
    TC string."""
    reader.goto("/")
    answer = reader.decide("#bd-accept-all")
    tc_string = answer["tcf"]["tcString"]
    ping = reader.page.evaluate("() => new Promise((done) => __gpp('ping', (v) => done(v)))")
    assert ping["gppVersion"] == "1.1" and ping["signalStatus"] == "ready"
    assert ping["supportedAPIs"] == ["2:tcfeuv2"]
    assert ping["gppString"] == answer["tcf"]["gppString"]
    assert ping["gppString"].split("~")[1] == tc_string
    field = reader.page.evaluate(
        "() => new Promise((done) => __gpp('getField', (v) => done(v), 'tcfeuv2.CmpId'))"
    )
    assert field == 999


def test_the_purposes_are_in_the_readers_language(reader: Visit, browser: Browser) -> None:
    """§6.2 test note, TCF-UI-01: the French page shows the purposes, the stack and the special
    features in French (the translation's texts), and its strings say FR; the German page,
    without a translation, shows the list's English and its strings say EN."""
    reader.goto("/")
    layer = reader.page.locator("#bandeau .bd-tcf")
    text = layer.inner_text()
    assert "Enregistrer des informations sur votre appareil ou y accéder" in text
    assert "Publicité à partir de données limitées et mesure publicitaire" in text
    assert "Utiliser une géolocalisation précise" in text
    assert "Store and/or access" not in text
    [[_, tc_string, _, _]] = events(reader)
    [model] = reference({"decode": [tc_string]})
    assert model["consentLanguage"] == "FR"
    reader.page.click("#bandeau .bd-tcf a")
    reader.page.wait_for_selector("dialog #bd-tcf-vendors")
    purpose = reader.page.locator('dialog [data-bandeau-tcf-purpose="8"] h3')
    assert purpose.inner_text() == "Mesurer l'audience des contenus"
    answer = reader.decide("#bd-s-save")
    [model] = reference({"decode": [answer["tcf"]["tcString"]]})
    assert model["consentLanguage"] == "FR"
    german = new_visit(reader.demo, browser, locale="de-DE")
    try:
        german.goto("/de/")
        text = german.page.locator("#bandeau .bd-tcf").inner_text()
        assert "Store and/or access information on a device" in text
        answer = german.decide("#bd-refuse-all")
        [model] = reference({"decode": [answer["tcf"]["tcString"]]})
        assert model["consentLanguage"] == "EN"
    finally:
        german.context.close()
