"""The reference scenario (DESIGN §1, S1-S10) played in Chromium on the demo news site.

Each test starts from an empty browser profile. "Third-party request" is checked twice: in the
browser's own request log and in the fake third parties' log (what they actually received).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, expect

from bandeau.banner import build_hash
from bandeau.demo import DemoServer
from bandeau.store import Record

from .conftest import Visit, contrast, new_visit, rgb

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"  # the first layer (docs/banner.md, Styling)
SETTINGS = "#bandeau .bd-l2"  # the settings dialog, present only while open
ICON = "#bandeau-icon"
FOOTER_LINK = "footer [data-bandeau-open]"
CONSENT_KEYS = ("social", "advertising")
TRACKER_COOKIES = ("_tg_session", "_social_uid", "_ad_id")


def first_button(v: Visit, action: str) -> Locator:
    return v.page.locator(f"{FIRST} [data-bandeau-action={action}]")


def settings_row(v: Visit, key: str) -> Locator:
    return v.page.locator(f"{SETTINGS} [data-bandeau-purpose={key}]")


def toggle(v: Visit, key: str) -> Locator:
    return settings_row(v, key).locator("input[type=checkbox]")


def band_colour(v: Visit, key: str) -> tuple[float, float, float, float]:
    band = settings_row(v, key).locator("[data-bandeau-band]")
    return rgb(band.evaluate("e => getComputedStyle(e).backgroundColor"))


def is_green(c: tuple[float, float, float, float]) -> bool:
    return c[1] > c[0] + 40 and c[1] > c[2]


def is_red(c: tuple[float, float, float, float]) -> bool:
    return c[0] > c[1] + 40 and c[0] > c[2]


def follow(v: Visit, selector: str) -> None:
    """Click the first link matching `selector`, brought to the top of the viewport so that the
    first layer (at the bottom) does not cover it, and wait for the next page."""
    link = v.page.locator(selector).first
    link.evaluate("e => e.scrollIntoView({block: 'start'})")
    with v.page.expect_navigation():
        link.click()
    v.settle()


def history(demo: DemoServer, consent_id: str) -> list[Record]:
    return demo.store.history(demo.policy.site, consent_id)


def editorial(v: Visit) -> dict[str, Any]:
    """What a reader reads: headline, lede, body, photo, credit, 'read also' links (S9)."""
    page = v.page
    return {
        "headline": page.locator("article h1").inner_text(),
        "lede": page.locator(".lede").inner_text(),
        "body": page.locator(".article-body").inner_text(),
        "caption": page.locator(".photo figcaption").inner_text(),
        "read_also": page.locator(".read-also a").all_inner_texts(),
        "photo_loaded": page.eval_on_selector(
            ".photo img", "i => i.complete && i.naturalWidth > 0 && i.offsetHeight > 100"
        ),
    }


def assert_no_third_party(v: Visit) -> None:
    assert v.third_party_urls() == [], "the browser contacted a third party"
    assert v.seen_by_third_parties() == [], "a third party received a request"


def assert_only_exempt_storage(v: Visit, *, decided: bool) -> None:
    expected = {"_lq_mesure", "bandeau"} if decided else {"_lq_mesure"}
    assert set(v.cookies()) == expected
    assert v.storage() == {"local": [], "session": []}


# ---------------------------------------------------------------------- before any choice


def test_nothing_but_exempt_before_any_choice(visit: Visit) -> None:
    """LAW-01, CNIL-02, S3: before a choice, only the exempt audience cookie exists and no
    request reaches a third party, even after waiting, scrolling, clicking elsewhere and
    navigating (navigation is not consent), on a second and third page view."""
    v, page = visit, visit.page
    with page.expect_response(lambda r: r.url.endswith("/mesure/vue")):
        v.goto("/")
    expect(page.locator(FIRST)).to_be_visible()
    page.wait_for_timeout(1500)
    assert_only_exempt_storage(v, decided=False)
    assert_no_third_party(v)
    consent = v.consent()
    assert consent["decided"] is False
    assert sorted(consent["pending"]) == sorted(CONSENT_KEYS)
    assert not any(consent["purposes"][k] for k in CONSENT_KEYS)
    assert consent["purposes"]["audience"] is True  # exempt, on by default (CNIL-10, AM-*)

    page.mouse.wheel(0, 2500)
    page.keyboard.press("End")
    page.locator(".article-body p").nth(3).click()
    page.locator(".lede").click()
    page.keyboard.press("Home")
    page.wait_for_timeout(800)
    assert_no_third_party(v)
    assert_only_exempt_storage(v, decided=False)

    # second page view, reached by a link: still no consent, the banner asks again
    follow(v, ".read-also a")
    expect(page.locator(FIRST)).to_be_visible()
    follow(v, ".read-also a")  # "back to the article"
    assert page.url == v.url("/")
    expect(page.locator(FIRST)).to_be_visible()
    page.wait_for_timeout(800)
    assert_no_third_party(v)
    assert_only_exempt_storage(v, decided=False)
    # gated content shows its placeholders, not the widgets
    expect(page.locator(".tg-box")).to_be_hidden()
    expect(page.locator(".ad-box [data-bandeau-placeholder]")).to_be_visible()
    assert page.locator("iframe.ad-frame").get_attribute("src") is None
    assert v.console_errors == [] and v.csp_violations() == []


# ---------------------------------------------------------------------- first layer


def test_first_layer_buttons_have_equal_weight(visit: Visit) -> None:
    """CNIL-01, S1, EDPB-D/E, A11Y-04: accept all, refuse all and customise are three buttons
    of the same container, same font, padding and colours, same size, readable (4.5:1)."""
    v = visit
    v.goto("/")
    buttons = v.page.locator(f"{FIRST} [data-bandeau-action]")
    expect(buttons).to_have_count(3)
    facts: list[dict[str, Any]] = buttons.evaluate_all(
        """els => els.map(e => {
          const s = getComputedStyle(e), r = e.getBoundingClientRect();
          let bg = 'rgba(0, 0, 0, 0)', n = e;
          while (n && n.nodeType === 1) {
            const c = getComputedStyle(n).backgroundColor;
            if (!/rgba\\(.*,\\s*0\\)$/.test(c) && c !== 'transparent') { bg = c; break; }
            n = n.parentElement;
          }
          return {tag: e.tagName, action: e.dataset.bandeauAction, text: e.textContent.trim(),
            sameParent: e.parentElement === els[0].parentElement,
            fontSize: s.fontSize, fontWeight: s.fontWeight, fontFamily: s.fontFamily,
            padding: [s.paddingTop, s.paddingRight, s.paddingBottom, s.paddingLeft].join(' '),
            color: s.color, background: s.backgroundColor, effectiveBg: bg,
            border: s.borderTopWidth + ' ' + s.borderTopStyle + ' ' + s.borderTopColor,
            width: r.width, height: r.height,
            inView: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth};
        })"""
    )
    assert [f["action"] for f in facts] == ["accept_all", "refuse_all", "customise"]
    assert [f["text"] for f in facts] == ["Tout accepter", "Tout refuser", "Paramétrer vos choix"]
    assert all(f["tag"] == "BUTTON" and f["sameParent"] and f["inView"] for f in facts)
    for prop in ("fontSize", "fontWeight", "fontFamily", "padding", "color", "background",
                 "border"):
        assert len({f[prop] for f in facts}) == 1, (prop, [f[prop] for f in facts])
    heights = [f["height"] for f in facts]
    widths = [f["width"] for f in facts]
    assert max(heights) - min(heights) <= 2, heights
    assert max(widths) <= min(widths) * 1.10, widths
    ratios = [contrast(f["color"], f["effectiveBg"]) for f in facts]
    assert min(ratios) >= 4.5, ratios
    # one click refuses everything (CNIL-01 d)
    v.decide(f"{FIRST} [data-bandeau-action=refuse_all]")
    consent = v.consent()
    assert consent["decided"] is True
    assert not any(consent["purposes"][k] for k in CONSENT_KEYS)


def test_first_layer_informs_and_links_to_every_partner(visit: Visit) -> None:
    """CNIL-05, S7, S8, LAW-04: the first layer names each purpose, says that consent can be
    withdrawn at any time, names the controller and links to a privacy policy that lists
    every service and cookie of the policy."""
    v, policy = visit, visit.demo.policy
    v.goto("/")
    layer = v.page.locator(FIRST)
    text = layer.inner_text()
    for p in policy.purposes:
        if p.kind != "strictly_necessary":
            assert p.text["fr"].name in text, p.key
    assert policy.ui_texts("fr")["withdraw"] in text
    assert policy.controller.name in text
    link = layer.locator(f"a[href='{policy.privacy_url('fr')}']")
    expect(link).to_be_visible()
    follow(v, f"{FIRST} a[href='{policy.privacy_url('fr')}']")
    privacy = v.page.locator("main").inner_text()
    for p in policy.purposes:
        assert p.text["fr"].name in privacy
        for s in p.services:
            assert s.name in privacy
            for c in s.cookies:
                assert c.name in privacy
    assert_no_third_party(v)


# ---------------------------------------------------------------------- refuse all


def test_refuse_all_keeps_the_article_and_blocks_every_tracker(
    visit: Visit, demo: DemoServer, browser: Browser
) -> None:
    """S3, S4, S9, CNIL-03, LAW-05: after refuse all the banner is gone, comments are off with
    their explanation, widgets are placeholders, the article reads the same as after accept
    all, no third party is contacted, and the refusal is stored."""
    v, page = visit, visit.page
    v.goto("/")
    answer = v.decide(f"{FIRST} [data-bandeau-action=refuse_all]")
    expect(page.locator(FIRST)).to_be_hidden()
    expect(page.locator(ICON)).to_be_visible()

    expect(page.locator("[data-bandeau-feature=comments]")).to_be_hidden()
    off = page.locator("[data-bandeau-feature-off=comments]")
    expect(off).to_be_visible()
    expect(off).to_contain_text("Réseaux sociaux")
    expect(off.locator("[data-bandeau-open]")).to_be_visible()
    expect(page.locator(".tg-box")).to_be_hidden()
    expect(page.locator(".telegram [data-bandeau='!social']")).to_be_visible()
    expect(page.locator(".share-off")).to_be_visible()
    ad_placeholder = page.locator(".ad-box [data-bandeau-placeholder]")
    expect(ad_placeholder).to_be_visible()
    expect(ad_placeholder.locator("button")).to_be_visible()
    assert page.locator("iframe.ad-frame").get_attribute("src") is None

    refused = editorial(v)
    assert refused["photo_loaded"] is True
    assert "inès corbière" in refused["caption"].lower()
    assert len(refused["read_also"]) == 3
    assert refused["body"].count("\n") >= 8

    page.reload()
    v.settle()
    expect(page.locator(FIRST)).to_be_hidden()
    assert_no_third_party(v)
    assert_only_exempt_storage(v, decided=True)

    records = history(demo, answer["consent_id"])
    assert [r.event for r in records] == ["refuse_all"]
    rec = records[0]
    assert rec.layer == "first" and "refuse" in rec.control
    assert rec.choices == {"audience": True, "social": False, "advertising": False}

    # LAW-05: the same editorial content as a reader who accepted everything
    other = new_visit(demo, browser, viewport={"width": 1280, "height": 800})
    try:
        other.goto("/")
        other.decide(f"{FIRST} [data-bandeau-action=accept_all]")
        assert editorial(other) == refused
    finally:
        other.context.close()
    assert v.console_errors == [] and v.csp_violations() == []


# ---------------------------------------------------------------------- customise


def test_customise_social_only(visit: Visit, demo: DemoServer) -> None:
    """S4, S5, CNIL-04, EDPB-B: settings start with every consent toggle off; each band turns
    green or red as its toggle changes; saving only social turns on comments and the Telegram
    box but not the ad; social is contacted, the ad network is not."""
    v, page = visit, visit.page
    v.goto("/")
    page.click(f"{FIRST} [data-bandeau-action=customise]")
    expect(page.locator(SETTINGS)).to_be_visible()
    for key in CONSENT_KEYS:
        box = toggle(v, key)
        expect(box).not_to_be_checked()
        assert box.get_attribute("aria-checked") == "false"
        assert settings_row(v, key).locator("[data-bandeau-band]").get_attribute(
            "data-state") == "refused"
        assert is_red(band_colour(v, key)), key
    assert is_green(band_colour(v, "necessary"))
    assert toggle(v, "necessary").is_disabled()

    social = toggle(v, "social")
    social.click()
    band = settings_row(v, "social").locator("[data-bandeau-band]")
    expect(band).to_have_attribute("data-state", "allowed")
    assert is_green(band_colour(v, "social"))
    social.click()
    expect(band).to_have_attribute("data-state", "refused")
    assert is_red(band_colour(v, "social"))
    social.click()
    expect(band).to_have_attribute("data-state", "allowed")
    assert is_red(band_colour(v, "advertising"))
    assert_no_third_party(v)  # toggling is not saving

    answer = v.decide(f"{SETTINGS} [data-bandeau-action=save]")
    expect(page.locator(SETTINGS)).to_have_count(0)
    expect(page.locator(FIRST)).to_be_hidden()
    expect(page.locator("[data-bandeau-feature=comments]")).to_be_visible()
    expect(page.locator("[data-bandeau-feature-off=comments]")).to_be_hidden()
    expect(page.locator(".tg-box[data-tg-ready] .tgw")).to_be_visible()
    expect(page.locator("[data-share-ready] .shw")).to_be_visible()
    expect(page.locator(".ad-box [data-bandeau-placeholder]")).to_be_visible()
    assert page.locator("iframe.ad-frame").get_attribute("src") is None

    social_origin, ads_origin = demo.social_origin, demo.ads_origin
    assert v.third_party_urls(social_origin), "the Telegram box did not load"
    paths = {r.path.split("?")[0] for r in v.seen_by_third_parties(social_origin)}
    assert {"/telegram.js", "/share.js", "/widgets.css", "/tg/pixel.gif"} <= paths
    assert v.third_party_urls(ads_origin) == []
    assert v.seen_by_third_parties(ads_origin) == []
    cookies = v.cookies()
    assert "_tg_session" in cookies and "_social_uid" in cookies and "_ad_id" not in cookies

    consent = v.consent()
    assert consent["purposes"]["social"] is True and consent["purposes"]["advertising"] is False
    assert consent["features"]["comments"] is True
    records = history(demo, answer["consent_id"])
    assert records[-1].event == "save_custom" and records[-1].layer == "settings"
    assert records[-1].choices == {"audience": True, "social": True, "advertising": False}

    # S4 end to end: with the purpose allowed, a comment can be posted (first-party endpoint)
    page.fill("#c-name", "Lectrice de test")
    page.fill("#c-text", "Merci pour cet article <b>précis</b>.")
    with page.expect_navigation():
        page.click(".comment-form button[type=submit]")
    v.settle()
    last = page.locator(".comment-list .comment").last
    expect(last).to_contain_text("Lectrice de test")
    expect(last).to_contain_text("Merci pour cet article <b>précis</b>.")
    assert v.console_errors == [] and v.csp_violations() == []


def test_placeholder_button_allows_just_its_purpose(visit: Visit, demo: DemoServer) -> None:
    """S9, CNIL-04: the ad placeholder's button grants advertising and nothing else; the ad
    then loads in place, and the social widgets stay placeholders."""
    v, page = visit, visit.page
    v.goto("/")
    v.decide(f"{FIRST} [data-bandeau-action=refuse_all]")
    v.start_watching()
    answer = v.decide(".ad-box [data-bandeau-placeholder] button")
    frame = page.locator("iframe.ad-frame")
    expect(frame).to_have_attribute("src", f"{demo.ads_origin}/ad.html")
    expect(frame).to_be_visible()
    expect(page.locator(".ad-box [data-bandeau-placeholder]")).to_have_count(0)
    expect(page.locator(".tg-box")).to_be_hidden()
    assert v.seen_by_third_parties(demo.ads_origin)
    assert v.seen_by_third_parties(demo.social_origin) == []
    consent = v.consent()
    assert consent["purposes"]["advertising"] is True and consent["purposes"]["social"] is False
    rec = history(demo, answer["consent_id"])[-1]
    assert rec.event == "grant_one" and rec.layer == "placeholder"
    assert rec.choices == {"audience": True, "social": False, "advertising": True}


# ---------------------------------------------------------------------- withdraw


def test_withdrawing_social_deletes_its_trackers(visit: Visit, demo: DemoServer) -> None:
    """S6, CNIL-03, CNIL-11, LAW-04: the footer link and the icon reopen the settings with the
    current state; withdrawing social deletes its cookies and storage, switches comments off,
    and after reload nothing is sent to the social network any more."""
    v, page = visit, visit.page
    v.goto("/")
    answer = v.decide(f"{FIRST} [data-bandeau-action=accept_all]")
    expect(page.locator(".tg-box[data-tg-ready]")).to_be_visible()
    cookies = v.cookies_when(set(TRACKER_COOKIES))
    assert set(TRACKER_COOKIES) <= set(cookies)
    assert "tg_widget_state" in v.storage()["local"]

    # the icon opens the settings showing what was chosen, not the defaults (CNIL-11)
    page.click(ICON)
    expect(page.locator(SETTINGS)).to_be_visible()
    for key in CONSENT_KEYS:
        expect(toggle(v, key)).to_be_checked()
        assert is_green(band_colour(v, key))
    page.click(f"{SETTINGS} [data-bandeau-action=close]")
    expect(page.locator(SETTINGS)).to_have_count(0)
    expect(page.locator(FIRST)).to_be_hidden()

    # the footer link does the same; untick social and save = withdrawal
    page.click(FOOTER_LINK)
    expect(page.locator(SETTINGS)).to_be_visible()
    expect(toggle(v, "social")).to_be_checked()
    expect(toggle(v, "advertising")).to_be_checked()
    toggle(v, "social").click()
    assert is_red(band_colour(v, "social"))
    v.start_watching()
    v.decide_and_reload(f"{SETTINGS} [data-bandeau-action=save]")

    cookies = v.cookies()
    assert "_tg_session" not in cookies and "_social_uid" not in cookies
    assert "_ad_id" in cookies  # advertising is still allowed
    assert "tg_widget_state" not in v.storage()["local"]
    expect(page.locator("[data-bandeau-feature=comments]")).to_be_hidden()
    expect(page.locator("[data-bandeau-feature-off=comments]")).to_be_visible()
    expect(page.locator(".tg-box")).to_be_hidden()
    expect(page.locator("iframe.ad-frame")).to_be_visible()

    page.reload()
    v.settle()
    assert v.third_party_urls(demo.social_origin) == []
    assert v.seen_by_third_parties(demo.social_origin) == []
    assert all(r.cookie == "" for r in v.seen_by_third_parties())
    assert "_tg_session" not in v.cookies() and "_social_uid" not in v.cookies()

    records = history(demo, answer["consent_id"])
    assert [r.event for r in records] == ["accept_all", "withdraw"]
    assert records[-1].choices == {"audience": True, "social": False, "advertising": True}
    assert v.console_errors == [] and v.csp_violations() == []


# ---------------------------------------------------------------------- accept all, proof


def test_accept_all_loads_everything_and_is_proven(visit: Visit, demo: DemoServer) -> None:
    """S2, LAW-03, CNIL-07, CNIL-08: accept all loads every widget; a reload keeps the choice
    without asking again; the stored decision says what was shown, chosen and how, with the
    page path without its query, the banner build, and no IP address."""
    v, page, policy = visit, visit.page, demo.policy
    v.goto("/?utm_source=lettre&id=42")
    answer = v.decide(f"{FIRST} [data-bandeau-action=accept_all]")
    expect(page.locator(".tg-box[data-tg-ready] .tgw")).to_be_visible()
    expect(page.locator("[data-share-ready] .shw")).to_be_visible()
    expect(page.locator("iframe.ad-frame")).to_have_attribute("src", f"{demo.ads_origin}/ad.html")
    expect(page.locator("html[data-ad-tag=ready]")).to_have_count(1)
    expect(page.frame_locator("iframe.ad-frame").locator(".ad strong")).to_be_visible()
    expect(page.locator("[data-bandeau-feature=comments]")).to_be_visible()
    assert v.seen_by_third_parties(demo.social_origin)
    assert v.seen_by_third_parties(demo.ads_origin)
    assert set(TRACKER_COOKIES) <= set(v.cookies_when(set(TRACKER_COOKIES)))

    page.reload()
    v.settle()
    expect(page.locator(FIRST)).to_be_hidden()
    expect(page.locator(ICON)).to_be_visible()
    consent = v.consent()
    assert consent["decided"] is True and consent["pending"] == []
    assert all(consent["purposes"][k] for k in CONSENT_KEYS)
    assert consent["id"] == answer["consent_id"]

    records = history(demo, answer["consent_id"])
    assert len(records) == 1
    rec = records[0]
    asked = [p for p in policy.purposes if p.kind != "strictly_necessary"]
    assert rec.event == "accept_all" and rec.layer == "first" and "accept" in rec.control
    assert rec.language == "fr"
    assert rec.page == "/"
    assert rec.shown == {p.key: p.digest for p in asked}
    assert rec.choices == {p.key: True for p in asked}
    assert all(rec.services.values()) and len(rec.services) == sum(len(p.services) for p in asked)
    assert rec.build == build_hash()
    assert rec.policy_version == policy.version
    assert rec.signals == {"gpc": False}
    stored = json.dumps(rec.content())
    assert "127.0.0.1" not in stored and "localhost" not in stored
    assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", stored), "an IP address is stored"
    assert "utm_source" not in stored
    assert v.console_errors == [] and v.csp_violations() == []


# ---------------------------------------------------------------------- keyboard


def _tab_to(v: Visit, predicate: str, *, back: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until `predicate(document.activeElement)` holds."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        if v.page.evaluate(f"() => ({predicate})(document.activeElement)"):
            return
        v.page.keyboard.press(key)
    raise AssertionError(f"{predicate} is not reachable with {key}")


def _active(v: Visit, expression: str) -> Any:
    return v.page.evaluate(f"() => (e => {expression})(document.activeElement)")


def test_closing_then_reopening_at_once_leaves_the_preferences_open(visit: Visit) -> None:
    """A11Y-02: Esc then Enter in quick succession reopens the preferences. A dialog's close
    event is queued, so it fires after the new dialog is open and must not close that one (seen
    once in CI as test_keyboard_alone failing under load)."""
    v, page = visit, visit.page
    v.goto("/")
    page.evaluate("() => bandeau.open()")
    expect(page.locator(SETTINGS)).to_be_visible()
    page.evaluate("() => { bandeau.close(); bandeau.open(); }")
    # let the first dialog's queued close event fire, then a frame pass
    page.evaluate("() => new Promise(r => setTimeout(() => requestAnimationFrame(r), 50))")
    expect(page.locator(SETTINGS)).to_have_count(1)
    expect(page.locator(SETTINGS)).to_be_visible()
    assert page.evaluate("() => document.querySelector('#bandeau .bd-l2').open") is True


def test_keyboard_alone(visit: Visit, demo: DemoServer) -> None:
    """A11Y-02, LAW-02: by keyboard alone a reader reaches customise, each toggle and save;
    Esc never grants anything; closing the settings returns focus to the control that opened
    them."""
    v, page = visit, visit.page
    v.goto("/")
    assert _active(v, "!!e.closest('#bandeau')"), "focus did not move into the banner"

    page.keyboard.press("Escape")  # Esc on the first layer: no choice, nothing granted
    expect(page.locator(FIRST)).to_be_visible()
    assert v.consent()["decided"] is False

    is_customise = "e => e.dataset && e.dataset.bandeauAction === 'customise'"
    _tab_to(v, is_customise)
    page.keyboard.press("Enter")
    expect(page.locator(SETTINGS)).to_be_visible()
    assert _active(v, "!!e.closest('dialog')"), "focus is not in the settings"

    is_social = "e => e.id && e.closest('[data-bandeau-purpose=social]') && e.type === 'checkbox'"
    is_ads = "e => e.closest && !!e.closest('[data-bandeau-purpose=advertising]') && " \
        "e.type === 'checkbox'"
    _tab_to(v, is_social)
    page.keyboard.press("Space")
    expect(toggle(v, "social")).to_be_checked()
    _tab_to(v, is_ads)
    page.keyboard.press("Space")
    expect(toggle(v, "advertising")).to_be_checked()
    page.keyboard.press("Space")
    expect(toggle(v, "advertising")).not_to_be_checked()
    _tab_to(v, is_social, back=True)  # Shift+Tab goes back up in visual order

    # Esc closes the settings without saving anything and gives focus back to the opener
    page.keyboard.press("Escape")
    expect(page.locator(SETTINGS)).to_have_count(0)
    expect(page.locator(FIRST)).to_be_visible()
    consent = v.consent()
    assert consent["decided"] is False and consent["purposes"]["social"] is False
    assert _active(v, "e.dataset.bandeauAction") == "customise"
    assert v.seen_by_third_parties() == []

    page.keyboard.press("Enter")  # reopen: nothing was kept, toggles are off again (EDPB-B)
    expect(page.locator(SETTINGS)).to_be_visible()
    expect(toggle(v, "social")).not_to_be_checked()
    _tab_to(v, is_social)
    page.keyboard.press("Space")
    _tab_to(v, "e => e.dataset && e.dataset.bandeauAction === 'save'")
    with page.expect_response(lambda r: r.url.endswith("/decisions")) as info:
        page.keyboard.press("Enter")
    assert info.value.ok
    v.settle()
    consent = v.consent()
    assert consent["purposes"]["social"] is True and consent["purposes"]["advertising"] is False
    expect(page.locator("[data-bandeau-feature=comments]")).to_be_visible()

    # the footer entry, by keyboard: opens the current state; Esc returns focus to it
    _tab_to(v, "e => e.matches && e.matches('footer [data-bandeau-open]')", limit=200)
    page.keyboard.press("Enter")
    expect(page.locator(SETTINGS)).to_be_visible()
    expect(toggle(v, "social")).to_be_checked()
    page.keyboard.press("Escape")
    expect(page.locator(SETTINGS)).to_have_count(0)
    assert _active(v, "e.matches('footer [data-bandeau-open]')") is True
    assert v.consent()["purposes"]["advertising"] is False
    assert v.console_errors == [] and v.csp_violations() == []


# ---------------------------------------------------------------------- language, small screens


def test_english_page_gets_the_english_banner(visit: Visit, demo: DemoServer) -> None:
    """S10, CNIL-14: <html lang="en"> gets the banner in English, and the decision records
    the language and the page."""
    v, page, policy = visit, visit.page, demo.policy
    v.goto("/en/")
    layer = page.locator(FIRST)
    expect(layer).to_be_visible()
    texts = [first_button(v, a).inner_text() for a in ("accept_all", "refuse_all", "customise")]
    ui = policy.ui_texts("en")
    assert texts == [ui["accept_all"], ui["refuse_all"], ui["customise"]]
    body = layer.inner_text()
    assert ui["title"] in body and ui["withdraw"] in body
    assert policy.purpose("social").text["en"].name in body
    assert "Tout accepter" not in body
    assert page.locator("#bandeau").get_attribute("lang") == "en"
    expect(page.locator("[data-bandeau-feature-off=comments]")).to_contain_text("Social networks")
    answer = v.decide(f"{FIRST} [data-bandeau-action=refuse_all]")
    rec = history(demo, answer["consent_id"])[-1]
    assert rec.language == "en" and rec.page == "/en/"


@pytest.mark.parametrize("width", [320, 390])
def test_small_screen_no_horizontal_scroll(demo: DemoServer, browser: Browser,
                                           width: int) -> None:
    """A11Y-04, EDPB-C: at 320 px the page does not scroll sideways and all three first-layer
    buttons are visible without scrolling; after accept all the widgets fit too."""
    v = new_visit(demo, browser, viewport={"width": width, "height": 640}, is_mobile=True,
                  has_touch=True)
    try:
        v.goto("/")
        page = v.page
        for action in ("accept_all", "refuse_all", "customise"):
            box = first_button(v, action).bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, action
            assert box["y"] >= 0 and box["y"] + box["height"] <= 640, action
            assert box["height"] >= 24 and box["width"] >= 24  # target size (A11Y-04)
        overflow = ("() => document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth")
        assert page.evaluate(overflow) <= 0
        v.decide(f"{FIRST} [data-bandeau-action=accept_all]")
        expect(page.locator(".tg-box[data-tg-ready] .tgw")).to_be_visible()
        assert page.evaluate(overflow) <= 0
        page.click(FOOTER_LINK)
        expect(page.locator(SETTINGS)).to_be_visible()
        assert page.evaluate(overflow) <= 0
        assert v.console_errors == [] and v.csp_violations() == []
    finally:
        v.context.close()


# ---------------------------------------------------------------------- every page, clean


PAGES = ["/", "/en/", "/confidentialite", "/en/privacy", "/mesure", "/en/audience",
         "/articles/marche-croix-rousse", "/en/articles/jazz-vienne"]


def test_every_page_has_the_banner_and_no_error(visit: Visit) -> None:
    """CNIL-11, S6, S8: every page has the persistent entry and the privacy link; under the
    strict CSP no page logs a console error or a CSP violation, before and after accept all."""
    v, page = visit, visit.page
    for path in PAGES:
        v.goto(path)
        expect(page.locator(FIRST)).to_be_visible()
        expect(page.locator(FOOTER_LINK)).to_be_visible()
        expect(page.locator("footer a[href$='privacy'], footer a[href='/confidentialite']")
               ).to_have_count(1)
        assert v.console_errors == [], (path, v.console_errors)
        assert v.csp_violations() == [], (path, v.csp_violations())
    v.goto("/")
    v.decide(f"{FIRST} [data-bandeau-action=accept_all]")
    for path in PAGES:
        v.goto(path)
        expect(page.locator(FIRST)).to_be_hidden()
        expect(page.locator(ICON)).to_be_visible()
        page.click(FOOTER_LINK)
        expect(page.locator(SETTINGS)).to_be_visible()
        page.keyboard.press("Escape")
        assert v.console_errors == [], (path, v.console_errors)
        assert v.csp_violations() == [], (path, v.csp_violations())
