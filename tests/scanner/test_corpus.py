"""Each page of the corpus gets its golden verdict: the banner (found, CMP, clicks to refuse
and to accept) and the findings as (rule, severity) pairs, seen on both viewports unless the
verdict names the viewports (issue 12, item 7). The corpus is scanned on the desktop window
and on a 320 px phone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bandeau.scanner.autoconsent import Detection
from bandeau.scanner.browser import VIEWPORTS
from bandeau.scanner.crawl import PageResult
from bandeau.scanner.design import Look
from bandeau.scanner.report import banner_json, to_json

from .corpus import FIXTURES

GOLDEN = json.loads((Path(__file__).parent / "golden.json").read_text())

pytestmark = pytest.mark.browser


def test_every_fixture_has_a_golden_verdict() -> None:
    assert set(GOLDEN) == {*FIXTURES, "demo"}


@pytest.mark.parametrize("fixture", sorted(GOLDEN))
def test_verdict_matches_the_golden_one(fixture: str, scanned: dict[str, PageResult]) -> None:
    """CNIL-01/02/03, LAW-01, EDPB-A/B/C/D/E/H, AM-05: the scanner's verdict on each fixture,
    and the viewports each finding was seen on (both, unless the verdict names them)."""
    page = scanned[fixture]
    expected = GOLDEN[fixture]
    assert list(page.views) == list(VIEWPORTS)
    assert banner_json(page) == expected["banner"]
    # each (rule, severity) and the viewports any of its findings was seen on
    seen: dict[tuple[str, str], set[str]] = {}
    for f in page.findings:
        seen.setdefault((f.rule, f.severity), set()).update(f.viewports)
    found = sorted((rule, sev, tuple(sorted(v))) for (rule, sev), v in seen.items())
    wanted = [
        (x[0], x[1], tuple(sorted(x[2] if len(x) > 2 else VIEWPORTS))) for x in expected["findings"]
    ]
    assert found == sorted(wanted), [(f.rule, f.title, f.viewports) for f in page.findings]


def test_a_banner_shown_late_is_answered_by_our_detector(scanned: dict[str, PageResult]) -> None:
    """A slow site: the CMP's global is defined at once, its banner shows three seconds later
    with the network quiet. Every phase waits for it (up to the settle cap), so our detector
    sees it on arrival and measures the reader's path, on both screens."""
    for phases in scanned["cc-late-popup"].views.values():
        for name in ("before", "refuse", "accept"):
            assert phases[name].banner_found, name
        refusal = phases["refuse"].choice
        assert refusal is not None and refusal.by == "detector" and refusal.done


def test_tracker_before_consent_evidence_names_the_cookie_and_its_script(
    scanned: dict[str, PageResult],
) -> None:
    """CNIL-02: the evidence of a tracker placed on arrival is the cookie, the script that wrote
    it (on the third party) and its real lifetime."""
    page = scanned["no-banner-tracker"]
    cookies = [
        e
        for f in page.findings
        if f.rule == "CNIL-02"
        for e in f.evidence
        if e["kind"] == "cookie" and e["name"] == "_trk_uid"
    ]
    assert cookies and cookies[0]["set_by"].endswith("/assets/tracker.js")
    assert cookies[0]["via"] == "script" and round(cookies[0]["lifetime_days"]) == 390


def test_third_party_cookie_lifetime_comes_from_the_raw_header(
    scanned: dict[str, PageResult],
) -> None:
    """The pixel's Set-Cookie header is recorded as sent, with its lifetime and its URL."""
    writes = scanned["no-banner-tracker"].phases["before"].recording.cookie_writes
    pixel = [w for w in writes if w.name == "trk_id"]
    assert pixel and pixel[0].via == "header" and pixel[0].lifetime_days == 365
    assert pixel[0].domain == "127.0.0.2" and "Max-Age=31536000" in pixel[0].raw


def test_fresh_contexts_keep_third_party_cookies(scanned: dict[str, PageResult]) -> None:
    """Issue 12's pitfall: a fresh profile blocks third-party cookies, a reader's default
    one does not. Each phase's new context inherits the seeded setting: the pixel's cookie,
    set by 127.0.0.2 under a page of 127.0.0.1, is stored, in every phase, not blocked."""
    for phase in scanned["no-banner-tracker"].phases.values():
        held = {(c["name"], c["domain"]) for c in phase.recording.snapshots[0].cookies}
        assert ("trk_id", "127.0.0.2") in held, phase.name
        assert not any(w.blocked for w in phase.recording.cookie_writes)


def test_refusal_ignored_shows_on_the_next_page_view(scanned: dict[str, PageResult]) -> None:
    """CNIL-03: the tracker that ignores a refusal loads on the page followed after reload."""
    page = scanned["klaro-ignores-refusal"]
    stages = {
        e["stage"] for f in page.findings if f.rule == "CNIL-03" for e in f.evidence if "stage" in e
    }
    assert "next_page" in stages
    assert page.phases["refuse"].next_page is not None


def test_banner_in_a_frame_and_in_shadow_dom_are_found(scanned: dict[str, PageResult]) -> None:
    assert scanned["iframe-banner"].phases["refuse"].banner_in_frame
    assert scanned["shadow-banner"].phases["refuse"].choice is not None
    assert scanned["shadow-banner"].phases["refuse"].choice.done


def test_demo_policy_comes_from_its_config(scanned: dict[str, PageResult]) -> None:
    """bandeau's own site: the policy is read from its /config, so the exempt audience cookie
    is exempt by the policy and every cookie is declared (EDPB-G)."""
    page = scanned["demo"]
    assert page.policy_source == "config"
    verdict = page.evidence.classifier.cookie("_lq_mesure")
    assert (verdict.source, verdict.exempt) == ("policy", True)


def test_json_report_has_the_contract_shape(scanned: dict[str, PageResult]) -> None:
    report = to_json([scanned["cc-tracker-before"]])
    assert set(report) == {"pages"}
    page = report["pages"][0]
    assert set(page) == {"url", "viewports", "banner", "phases", "other_viewports", "findings"}
    assert page["viewports"] == ["desktop", "mobile"]
    assert set(page["other_viewports"]) == {"mobile"}
    assert set(page["other_viewports"]["mobile"]) == {"banner", "phases"}
    assert set(page["other_viewports"]["mobile"]["phases"]) == {"before", "refuse", "accept"}
    assert set(page["banner"]) == {
        "found",
        "cmp",
        "refuse_clicks",
        "accept_clicks",
        "refused_by",
        "accepted_by",
    }
    assert set(page["phases"]) == {"before", "refuse", "accept"}
    for f in page["findings"]:
        assert set(f) == {"rule", "severity", "title", "evidence", "viewports"}
        assert f["viewports"] and set(f["viewports"]) <= {"desktop", "mobile"}
        assert f["severity"] in ("high", "medium", "low") and f["evidence"]
    json.dumps(report)


def test_autoconsent_names_the_real_cmps_and_only_detects(scanned: dict[str, PageResult]) -> None:
    """autoconsent's rules, a second source: they recognise the popups of the CMPs installed
    from npm, nothing on a homemade banner; in the `before` phase they only detect (no click,
    no self-test), so the phase shows no choice; in the others they act only where our
    detector could not answer (test_autoconsent.py). The `before` phase waits for autoconsent's
    verdict (a popup open, or every rule tried), not for a fixed time, so a loaded machine or a
    slow site does not end the phase before the popup is reported: `cc-late-popup` shows its
    banner three seconds after its script ran, long after the network went quiet."""
    names = ("cc-compliant", "cc-late-popup", "klaro-compliant", "tac-compliant", "homemade")
    popups = {
        name: (scanned[name].phases["before"].autoconsent or Detection()).popups for name in names
    }
    assert popups["cc-compliant"] == ["cookieconsent3"]
    assert popups["cc-late-popup"] == ["cookieconsent3"]
    assert popups["klaro-compliant"] == ["Klaro"]
    assert popups["tac-compliant"] and all("tarteaucitron" in p for p in popups["tac-compliant"])
    assert popups["homemade"] == []
    assert all(scanned[n].phases["before"].choice is None for n in popups)
    assert scanned["cc-compliant"].phases["refuse"].autoconsent is None


def _evidence(page: PageResult, rule: str, kind: str) -> list[dict[str, object]]:
    return [e for f in page.findings if f.rule == rule for e in f.evidence if e["kind"] == kind]


def test_refusal_link_in_the_text_is_measured_on_the_page(scanned: dict[str, PageResult]) -> None:
    """EDPB-C: the refusal our detector clicks is an <a> inside the notice's paragraph, plain
    text (no background, no border), under 24 px high; the evidence names it and shows it."""
    page = scanned["dark-link-refuse"]
    controls = _evidence(page, "EDPB-C", "control")
    assert controls and controls[0]["tag"] == "a" and controls[0]["in_paragraph"]
    assert controls[0]["style"] == "text" and controls[0]["label"] == "continuer sans accepter"
    shots = _evidence(page, "EDPB-C", "screenshot")
    assert shots and "arrival" in page.phases["refuse"].screenshots


def test_refusal_outside_the_banner_is_named(scanned: dict[str, PageResult]) -> None:
    """EDPB-C: the banner only accepts; the page's own "Continuer sans accepter" link, outside
    it, is the evidence on each screen (and a reader's path has no refusal: CNIL-01, EDPB-A)."""
    controls = _evidence(scanned["refuse-outside-banner"], "EDPB-C", "control")
    assert [(c["label"], c["viewport"]) for c in controls] == [
        ("Continuer sans accepter", "desktop"),
        ("Continuer sans accepter", "mobile"),
    ]


def test_pale_refusal_contrast_comes_from_computed_colours(scanned: dict[str, PageResult]) -> None:
    """EDPB-D/E: #ccc on the white behind the button, 1.61:1, from the computed styles."""
    controls = _evidence(scanned["low-contrast-refuse"], "EDPB-D/E", "control")
    assert controls and controls[0]["color"] == "rgb(204, 204, 204)"
    assert controls[0]["background"] == "rgb(255, 255, 255)"
    assert controls[0]["contrast"] == 1.61


def test_preticked_switch_is_read_before_we_untick_it(scanned: dict[str, PageResult]) -> None:
    """EDPB-B: the settings layer opened on the refusal path has the audience switch on (the
    necessary one, disabled, is left out); a screenshot of the layer is the evidence."""
    page = scanned["preticked-settings"]
    switches = _evidence(page, "EDPB-B", "switch")
    assert [s["label"] for s in switches] == ["Mesure d'audience"]
    assert "settings" in page.phases["refuse"].screenshots
    # and the refusal still took: the switch was unticked before saving
    assert not any(f.rule == "CNIL-03" for f in page.findings)


def test_compliant_cmps_raise_no_dark_pattern(scanned: dict[str, PageResult]) -> None:
    """The compliant configurations (bandeau's demo, vanilla-cookieconsent, Klaro,
    tarteaucitron), with their default styling, measured on the desktop window and on a
    320 px phone: no EDPB-B/C/D/E/H finding, and the measurement did run on their first
    layer where our detector reads it, each control reachable on each screen."""
    dark = {"EDPB-B", "EDPB-C", "EDPB-D/E", "EDPB-H"}
    for name in ("demo", "cc-compliant", "klaro-compliant", "tac-compliant"):
        page = scanned[name]
        assert not [f.title for f in page.findings if f.rule in dark], name
        for viewport, phases in page.views.items():
            refuse = phases["refuse"]
            assert refuse.first_layer, (name, viewport)
            for m in refuse.first_layer or []:
                assert m["reachable"] is True, (name, viewport, m["label"])
            assert any(refuse.persistent.values()), (name, viewport)


def test_no_way_back_after_refusal(scanned: dict[str, PageResult]) -> None:
    """EDPB-H: on the reload and the next page after refusal nothing leads back to the
    choices; the homemade banner's floating "Cookies" button does."""
    titles = [f.title for f in scanned["no-withdrawal"].findings if f.rule == "EDPB-H"]
    assert titles and "reload" in titles[0] and "next_page" in titles[0]
    assert not any(f.rule == "EDPB-H" for f in scanned["homemade"].findings)


def test_json_report_shows_what_was_measured(scanned: dict[str, PageResult]) -> None:
    """The refuse phase's JSON carries the first layer's controls as measured and the ways
    back found after refusal, so that a clean verdict can be checked too."""
    refuse = to_json([scanned["cc-compliant"]])["pages"][0]["phases"]["refuse"]
    roles = {c["role"]: c for c in refuse["first_layer"]}
    assert roles["refuse"]["label"] == "Reject all" and roles["refuse"]["contrast"] >= 4.5
    assert [c["label"] for c in refuse["ways_back"]["reload"]] == ["Cookie settings"]
    before = to_json([scanned["cc-compliant"]])["pages"][0]["phases"]["before"]
    assert before["first_layer"] is None and before["ways_back"] == {}


def test_mobile_screen_is_a_phone(scanned: dict[str, PageResult]) -> None:
    """The mobile pass lays the page out 320 CSS px wide (the fixtures ask for the device's
    width), the desktop pass 1280: the banner's box is measured on each."""
    boxes = {v: p["refuse"].banner_box for v, p in scanned["homemade"].views.items()}
    assert boxes["desktop"] and boxes["desktop"]["viewport_width"] == 1280
    assert boxes["mobile"] and boxes["mobile"]["viewport_width"] == 320
    assert boxes["mobile"]["width"] <= 320 and 0 < boxes["mobile"]["covers"] < 1


def test_refusal_off_a_phone_screen_is_edpb_c_on_mobile_only(
    scanned: dict[str, PageResult],
) -> None:
    """EDPB-C: accept, settings and refuse in one row that does not wrap, in a bar that clips
    it: on the desktop window every control is on screen; at 320 px the refusal is past the
    right edge, and the bar (overflow hidden) is not something a reader can scroll."""
    page = scanned["refuse-offscreen-mobile"]
    (finding,) = [f for f in page.findings if f.rule == "EDPB-C"]
    assert finding.viewports == ["mobile"] and "320 px" in finding.title
    controls = [e for e in finding.evidence if e["kind"] == "control"]
    assert [(c["role"], c["reachable"]) for c in controls] == [("refuse", False), ("accept", True)]
    assert all(c["viewport"] == "mobile" for c in controls)
    shots = [e for e in finding.evidence if e["kind"] == "screenshot"]
    assert shots == [
        {"kind": "screenshot", "phase": "refuse", "label": "arrival", "viewport": "mobile"}
    ]
    (banner,) = [e for e in finding.evidence if e["kind"] == "banner"]
    assert banner["viewport_width"] == 320 and banner["width"] <= 320
    desktop = page.views["desktop"]["refuse"].first_layer or []
    assert desktop and all(m["reachable"] for m in desktop)


def test_contrast_on_a_gradient_is_read_from_the_pixels(scanned: dict[str, PageResult]) -> None:
    """EDPB-D/E: the refusal's pale text (#e4e4e4) on a light gradient whose fallback colour is
    dark navy: computed styles alone would say 12:1; the pixels behind the glyphs say under
    1.3:1, on each viewport."""
    page = scanned["gradient-refuse"]
    (finding,) = [f for f in page.findings if f.rule == "EDPB-D/E"]
    controls = [e for e in finding.evidence if e["kind"] == "control"]
    assert controls and all(c["background_from"] == "pixels" for c in controls)
    assert all(c["contrast"] < 1.3 for c in controls)
    for phases in page.views.values():
        measured = next(m for m in phases["refuse"].first_layer or [] if m["role"] == "refuse")
        assert measured["sampled"]["glyph_pixels"] > 100
        styles_only = Look.from_measure({**measured, "sampled": None})
        assert styles_only.contrast > 10  # what the computed colours alone said


@pytest.mark.parametrize("fixture", ["preticked-vendors", "unnamed-vendors"])
def test_preticked_vendor_list_is_read_in_the_third_layer(
    fixture: str, scanned: dict[str, PageResult]
) -> None:
    """EDPB-B: the settings layer's own switches are off; the vendor list it opens ("Voir nos
    partenaires"; or "Afficher le détail", no vendor word, whose aria-controls names the list
    built hidden) has both vendors ticked. They are read before anything is unticked, a
    screenshot of the list is the evidence, and the detour is not counted as the reader's
    effort (refusal: settings, save). The refusal took: no tracker after it."""
    page = scanned[fixture]
    (finding,) = [f for f in page.findings if f.rule == "EDPB-B"]
    assert "vendor list" in finding.title
    switches = [e["label"] for e in finding.evidence if e["kind"] == "switch"]
    assert switches == ["Régie Alpha (publicité)", "Beta Mesure (audience)"]
    for phases in page.views.values():
        refuse = phases["refuse"]
        assert refuse.choice is not None and refuse.choice.switches is not None
        assert not any(s["checked"] and not s["disabled"] for s in refuse.choice.switches)
        assert refuse.choice.path == ["Personnaliser", "Enregistrer"]
        assert "vendors" in refuse.screenshots
    assert not any(f.rule == "CNIL-03" for f in page.findings)


@pytest.mark.parametrize(
    ("fixture", "how"),
    [
        ("withdraw-icon", "icon"),
        ("withdraw-closed-icon", "icon"),
        ("withdraw-bare-icon", "icon"),
        ("withdraw-menu", "menu"),
    ],
)
def test_an_icon_or_a_menu_link_that_reopens_the_banner_is_a_way_back(
    fixture: str, how: str, scanned: dict[str, PageResult]
) -> None:
    """EDPB-H: after refusal, the only way back is an unnamed floating cookie icon (its class
    says so; or the same inside a closed shadow root; or one whose markup says nothing, only
    small, floating and with a pointer cursor), or "Gérer mes cookies" in a menu that "Menu"
    opens. Each is tried as a reader would (the menu opened first, the icon tapped at its
    centre) and brings the banner back: no EDPB-H, on either screen; no-withdrawal, with
    none of them, keeps its EDPB-H."""
    page = scanned[fixture]
    assert not any(f.rule == "EDPB-H" for f in page.findings)
    for viewport, phases in page.views.items():
        ways = [c for cs in phases["refuse"].persistent.values() for c in cs if c.get("reopens")]
        assert ways and all(c["how"] == how for c in ways), viewport
    back = to_json([page])["pages"][0]["phases"]["refuse"]["ways_back"]
    assert back["reload"] and back["reload"][0]["how"] == how
    if fixture == "withdraw-bare-icon":
        assert back["reload"][0]["hint"] == ""  # found by its shape, not its markup
    assert any(f.rule == "EDPB-H" for f in scanned["no-withdrawal"].findings)


def test_a_page_without_viewport_meta_is_measured_as_shown_on_the_phone(
    scanned: dict[str, PageResult],
) -> None:
    """No viewport meta: the phone lays the page out 980 px wide and shows it at 320 / 980.
    The refusal's evidence gives its layout size and what the reader sees; on the desktop
    the same controls are at scale 1 and raise nothing."""
    page = scanned["no-viewport-mobile"]
    controls = [c for c in _evidence(page, "EDPB-C", "control") if c["role"] == "refuse"]
    assert controls and controls[0]["viewport"] == "mobile"
    assert controls[0]["scale"] == pytest.approx(320 / 980, abs=0.01)
    assert controls[0]["height"] == 34 and controls[0]["shown_height"] < 24
    assert controls[0]["text_size"] < 12
    desktop = page.views["desktop"]["refuse"].first_layer or []
    assert desktop and all(Look.from_measure(m).scale == 1 for m in desktop)
