"""Dark patterns a browser sees (EDPB-B, EDPB-C, EDPB-D/E, EDPB-H), on measurements written by
hand: the WCAG contrast computation on known colour pairs, then each rule, without a browser."""

from __future__ import annotations

from typing import Any

import pytest

from bandeau.scanner.banners import Choice
from bandeau.scanner.classify import Classifier
from bandeau.scanner.design import (
    Look,
    contrast,
    effective_background,
    first_layer_issues,
    manages_consent,
    parse_colour,
    preticked_issues,
    to_try,
    way_back,
    withdrawal_issues,
)
from bandeau.scanner.findings import Evidence, evaluate, evaluate_views
from bandeau.scanner.visit import PhaseResult

SHOT = {"kind": "screenshot", "phase": "refuse", "label": "arrival"}
WHITE = (255.0, 255.0, 255.0, 1.0)
BLACK = (0.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("fg", "bg", "ratio"),
    [
        ("rgb(0, 0, 0)", "rgb(255, 255, 255)", 21.0),
        ("rgb(255, 255, 255)", "rgb(255, 255, 255)", 1.0),
        ("rgb(118, 118, 118)", "rgb(255, 255, 255)", 4.54),  # #767676: the lightest AA grey
        ("rgb(119, 119, 119)", "rgb(255, 255, 255)", 4.48),  # #777: just under AA
        ("rgb(255, 0, 0)", "rgb(255, 255, 255)", 4.0),
        ("rgb(0, 0, 255)", "rgb(255, 255, 255)", 8.59),
        ("rgb(204, 204, 204)", "rgb(255, 255, 255)", 1.61),
    ],
)
def test_wcag_contrast_of_known_pairs(fg: str, bg: str, ratio: float) -> None:
    a, b = parse_colour(fg), parse_colour(bg)
    assert a is not None and b is not None
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)
    assert contrast(b, a) == pytest.approx(ratio, abs=0.01)


def test_computed_colours_are_parsed() -> None:
    assert parse_colour("rgba(0, 0, 0, 0)") == (0, 0, 0, 0)
    assert parse_colour("transparent") == (0, 0, 0, 0)
    assert parse_colour("rgb(10 20 30 / 50%)") == (10, 20, 30, 0.5)
    assert parse_colour("rgba(1, 2, 3, 0.25)") == (1, 2, 3, 0.25)
    assert parse_colour("color(display-p3 1 0 0)") is None


def test_effective_background_walks_up_through_transparent_layers() -> None:
    """The button is transparent, its bar half-transparent black, the page white: grey."""
    chain = ["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0.5)", "rgb(255, 255, 255)"]
    assert effective_background(chain) == pytest.approx((127.5, 127.5, 127.5, 1.0))
    assert effective_background(["rgba(0, 0, 0, 0)"]) == WHITE  # the canvas
    assert effective_background(["rgb(27, 42, 78)", "rgb(255, 255, 255)"])[:3] == (27, 42, 78)


def measure(role: str, **over: Any) -> dict[str, Any]:
    """A control as MEASURE returns it: a 120 x 40 dark filled button with white text."""
    m: dict[str, Any] = {
        "role": role,
        "label": "Tout refuser" if role == "refuse" else "Tout accepter",
        "selector": "button.b",
        "tag": "button",
        "width": 120,
        "height": 40,
        "color": "rgb(255, 255, 255)",
        "backgrounds": ["rgb(27, 42, 78)"],
        "border_width": 0,
        "border_style": "none",
        "border_color": "rgb(0, 0, 0)",
        "in_paragraph": False,
    }
    return m | over


TEXT_LINK = {
    "tag": "a",
    "color": "rgb(6, 69, 173)",
    "backgrounds": ["rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"],
    "height": 17,
}


def rules_of(
    *measures: dict[str, Any], outside: list[dict[str, Any]] | None = None
) -> set[tuple[str, str]]:
    looks = [Look.from_measure(m) for m in measures]
    return {(i.rule, i.severity) for i in first_layer_issues(looks, outside or [], SHOT)}


def test_equal_buttons_are_fine() -> None:
    assert rules_of(measure("accept"), measure("refuse")) == set()


ZOOMED_OUT = 320 / 980
"""a phone's visual scale for a page without a viewport meta tag (laid out 980 px wide)"""


def test_a_page_zoomed_out_on_a_phone_is_judged_as_the_reader_sees_it() -> None:
    """No viewport meta: on a 320 px phone the page is shown at a third. Acceptance (80 px
    high, 38 px text) stays a target with legible text; refusal (34 px high, 15 px text)
    shrinks to 11 px high with 4.9 px text: EDPB-C (target size) and EDPB-D/E (text size),
    where the same controls at scale 1, on the desktop, raise nothing."""
    accept = measure("accept", width=300, height=80, font_size=38)
    refuse = measure("refuse", width=380, height=34, font_size=15)
    assert rules_of(accept, refuse) == set()
    zoomed = [m | {"scale": ZOOMED_OUT} for m in (accept, refuse)]
    assert rules_of(*zoomed) == {("EDPB-C", "medium"), ("EDPB-D/E", "medium")}
    control = Look.from_measure(zoomed[1]).to_json()
    assert (control["width"], control["shown_height"], control["text_size"]) == (380, 11.1, 4.9)


def test_text_too_small_on_both_answers_favours_neither() -> None:
    """Both texts under 12 px as shown: an accessibility matter, not a steer."""
    small = {"font_size": 11, "scale": 1.0}
    assert rules_of(measure("accept", **small), measure("refuse", **small)) == set()
    assert rules_of(measure("accept", font_size=16), measure("refuse", font_size=11)) == {
        ("EDPB-D/E", "medium")
    }


def test_refusal_as_a_link_in_the_text_is_edpb_c() -> None:
    """EDPB-C: the only refusal a link inside the notice's paragraph; acceptance a button,
    so refusal is also outshone (EDPB-D/E, medium)."""
    link = measure("refuse", in_paragraph=True, **TEXT_LINK)
    assert rules_of(measure("accept"), link) == {("EDPB-C", "high"), ("EDPB-D/E", "medium")}


def test_a_second_refusal_that_is_a_button_clears_edpb_c() -> None:
    link = measure("refuse", in_paragraph=True, **TEXT_LINK)
    assert ("EDPB-C", "high") not in rules_of(measure("accept"), link, measure("refuse"))


def test_refusal_smaller_than_24_px_beside_a_larger_acceptance_is_edpb_c() -> None:
    small = measure("refuse", width=60, height=18)
    assert rules_of(measure("accept"), small) == {("EDPB-C", "medium"), ("EDPB-D/E", "medium")}


def test_two_equally_small_buttons_are_not_a_deceptive_design() -> None:
    """Browser-default buttons, 21 px high both: WCAG 2.5.8, not EDPB-C."""
    assert rules_of(measure("accept", height=21), measure("refuse", height=21)) == set()


@pytest.mark.parametrize(
    ("colour", "severity"),
    [("rgb(204, 204, 204)", "high"), ("rgb(130, 130, 130)", "medium"), ("rgb(90, 90, 90)", None)],
)
def test_refusal_contrast_thresholds(colour: str, severity: str | None) -> None:
    """EDPB-D/E: under 3:1 high (unreadable), under 4.5:1 medium; the button keeps a visible
    border so that only the contrast is at stake."""
    pale = measure(
        "refuse",
        color=colour,
        backgrounds=["rgb(255, 255, 255)"],
        border_width=1,
        border_style="solid",
        border_color="rgb(153, 153, 153)",
    )
    expected = set() if severity is None else {("EDPB-D/E", severity)}
    assert rules_of(measure("accept"), pale) == expected


def test_contrast_uses_the_background_behind_a_transparent_button() -> None:
    """White text on a transparent button over a white banner: unreadable, whatever the
    button's own (transparent) colour says."""
    ghost = measure("refuse", backgrounds=["rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"])
    assert ("EDPB-D/E", "high") in rules_of(measure("accept"), ghost)


def test_acceptance_over_twice_refusals_area_is_prominence() -> None:
    big = measure("accept", width=400, height=60)
    assert rules_of(big, measure("refuse")) == {("EDPB-D/E", "medium")}


def test_refusal_only_outside_the_banner_is_edpb_c() -> None:
    outside = [{"kind": "control", "label": "Continuer sans accepter", "selector": "a"}]
    assert rules_of(measure("accept"), outside=outside) == {("EDPB-C", "high")}
    assert rules_of(measure("accept")) == set()  # EDPB-A's business, not EDPB-C's


def test_preticked_switch_is_edpb_b_unless_read_only() -> None:
    switches = [
        {"label": "Nécessaires", "selector": "input", "checked": True, "disabled": True},
        {"label": "Mesure d'audience", "selector": "input", "checked": True, "disabled": False},
        {"label": "Publicité", "selector": "input", "checked": False, "disabled": False},
    ]
    issues = preticked_issues(switches, SHOT)
    assert [(i.rule, i.severity) for i in issues] == [("EDPB-B", "high")]
    assert [e["label"] for e in issues[0].evidence if e["kind"] == "switch"] == [
        "Mesure d'audience"
    ]
    assert preticked_issues(switches[:1] + switches[2:], SHOT) == []


@pytest.mark.parametrize(
    ("label", "floating", "manages"),
    [
        ("Gérer les cookies", False, True),
        ("Cookie settings", False, True),
        ("Datenschutz-Einstellungen", False, True),
        ("Cookies", True, True),
        ("Manage preferences", True, True),
        ("Manage preferences", False, False),  # a settings word alone, in the page: an account
        ("Privacy policy", False, False),
        ("Politique de confidentialité et cookies", False, False),
        ("Lire aussi", False, False),
    ],
)
def test_what_counts_as_a_way_back_to_the_choices(
    label: str, floating: bool, manages: bool
) -> None:
    assert manages_consent(label, floating) is manages


def test_no_way_back_after_refusal_is_edpb_h() -> None:
    link = {"label": "Gérer les cookies", "selector": "a", "floating": False}
    other = {"label": "Lire aussi", "selector": "a", "floating": False}
    assert withdrawal_issues({"reload": [link], "next_page": [link, other]}, SHOT) == []
    issues = withdrawal_issues({"reload": [link], "next_page": [other]}, SHOT)
    assert [(i.rule, i.severity) for i in issues] == [("EDPB-H", "medium")]
    assert "next_page" in issues[0].title


def refused(**fields: Any) -> PhaseResult:
    result = PhaseResult("refuse", "http://127.0.0.1:8000/", banner_found=True, **fields)
    result.choice = Choice("refuse", clicks=1, layers=1, done=True)
    result.choice.first_layer_roles = ["accept", "refuse"]
    return result


def evaluated(phase: PhaseResult) -> set[tuple[str, str]]:
    found = evaluate({"refuse": phase}, Evidence("127.0.0.1", Classifier()))
    return {(f.rule, f.severity) for f in found}


def test_findings_read_the_refuse_phase_measurements() -> None:
    """evaluate(): EDPB-C/D/E from the first layer, EDPB-H from the later page views, with
    the control's selector, text and computed values as evidence."""
    link = measure("refuse", in_paragraph=True, **TEXT_LINK)
    phase = refused(first_layer=[measure("accept"), link], persistent={"reload": []})
    found = evaluate({"refuse": phase}, Evidence("127.0.0.1", Classifier()))
    assert {(f.rule, f.severity) for f in found} == {
        ("EDPB-C", "high"),
        ("EDPB-D/E", "medium"),
        ("EDPB-H", "medium"),
    }
    edpb_c = next(f for f in found if f.rule == "EDPB-C")
    control = next(e for e in edpb_c.evidence if e["kind"] == "control")
    assert control["selector"] == "button.b" and control["style"] == "text"
    assert control["in_paragraph"] and control["contrast"] == pytest.approx(8.53, abs=0.01)
    assert {"kind": "screenshot", "phase": "refuse", "label": "arrival"} in edpb_c.evidence


def test_a_banner_that_asks_again_is_its_own_way_back() -> None:
    """EDPB-H is not reported when the banner is back on the reload (CNIL-07 is)."""
    phase = refused(persistent={"reload": []})
    phase.banner_after_reload = True
    assert evaluated(phase) == {("CNIL-07", "medium")}


def test_switches_on_in_the_necessary_only_phase_are_edpb_b() -> None:
    phase = PhaseResult("necessary", "http://127.0.0.1:8000/", banner_found=True)
    phase.choice = Choice("necessary", clicks=2, layers=2, done=True)
    phase.choice.switches = [
        {"label": "Audience", "selector": "input", "checked": True, "disabled": False}
    ]
    found = evaluate({"necessary": phase}, Evidence("127.0.0.1", Classifier()))
    assert {(f.rule, f.severity) for f in found} == {("EDPB-B", "high")}


def test_acknowledge_stands_for_acceptance_when_the_layer_has_no_accept() -> None:
    """Klaro's "That's ok": the control our detector clicks to accept is the one compared."""
    ok = measure("acknowledge", width=400, height=60)
    assert rules_of(ok, measure("refuse")) == {("EDPB-D/E", "medium")}
    assert rules_of(ok, measure("accept"), measure("refuse")) == set()


def test_a_refusal_no_reader_can_reach_is_edpb_c() -> None:
    """EDPB-C: on a 320 px screen the refusal is off screen (and cannot be scrolled into
    view) while acceptance is on it; reachable everywhere, nothing."""
    gone = measure("refuse", reachable=False, viewport_width=320)
    issues = first_layer_issues(
        [Look.from_measure(measure("accept", reachable=True)), Look.from_measure(gone)], [], SHOT
    )
    assert [(i.rule, i.severity) for i in issues] == [("EDPB-C", "high")]
    assert "320 px" in issues[0].title
    control = next(e for e in issues[0].evidence if e["kind"] == "control")
    assert control["reachable"] is False
    both = measure("refuse", reachable=True)
    assert rules_of(measure("accept", reachable=True), both) == set()
    # a second refusal a reader can reach clears it; so does an unreachable acceptance too
    assert (
        rules_of(measure("accept", reachable=True), gone, measure("refuse", reachable=True))
        == set()
    )
    assert rules_of(measure("accept", reachable=False), gone) == set()


def test_sampled_pixels_stand_for_the_computed_background() -> None:
    """A gradient: the colour computed styles give (dark navy, 12:1 with pale text) is
    replaced by the pixels read behind the glyphs."""
    pale = measure("refuse", color="rgb(228, 228, 228)", gradient=True)
    assert Look.from_measure(pale).contrast > 10
    sampled = {"contrast": 1.18, "background": [245, 247, 249], "glyph_pixels": 600}
    look = Look.from_measure({**pale, "sampled": sampled})
    assert look.contrast == 1.18 and look.to_json()["background_from"] == "pixels"
    assert look.to_json()["background"] == "rgb(245, 247, 249)"
    assert rules_of(measure("accept"), {**pale, "sampled": sampled}) == {("EDPB-D/E", "high")}


def test_preticked_vendors_name_their_layer() -> None:
    vendors = [{"label": "Régie Alpha", "selector": "input", "checked": True, "disabled": False}]
    (issue,) = preticked_issues(vendors, SHOT, "the vendor list")
    assert issue.rule == "EDPB-B" and "of the vendor list on" in issue.title


def test_vendor_switches_of_a_phase_are_edpb_b() -> None:
    phase = refused()
    assert phase.choice is not None
    phase.choice.switches = [
        {"label": "Audience", "selector": "input", "checked": False, "disabled": False}
    ]
    phase.choice.vendor_switches = [
        {"label": "Régie Alpha", "selector": "input", "checked": True, "disabled": False}
    ]
    found = evaluate({"refuse": phase}, Evidence("127.0.0.1", Classifier()))
    (b,) = [f for f in found if f.rule == "EDPB-B"]
    assert "vendor list" in b.title


def test_each_viewport_is_judged_alone_and_named() -> None:
    """evaluate_views(): a finding seen on both viewports is one finding naming both; one seen
    on the phone only names it; screenshot and control evidence say which screen."""
    link = measure("refuse", in_paragraph=True, **TEXT_LINK)
    desktop = refused(first_layer=[measure("accept"), link], persistent={"reload": []})
    phone = refused(
        viewport="mobile",
        first_layer=[
            measure("accept", reachable=True),
            {**link, "reachable": False, "viewport_width": 320},
        ],
        persistent={"reload": []},
    )
    views = {"desktop": {"refuse": desktop}, "mobile": {"refuse": phone}}
    found = evaluate_views(views, Evidence("127.0.0.1", Classifier()))
    by_title = {f.title: f.viewports for f in found}
    assert by_title["the only refusal is a link-styled element inside a paragraph of text"] == [
        "desktop",
        "mobile",
    ]
    off = next(f for f in found if "cannot be reached" in f.title)
    assert off.viewports == ["mobile"]
    assert all(e["viewport"] == "mobile" for e in off.evidence if e["kind"] != "host")
    assert off.to_json()["viewports"] == ["mobile"]


@pytest.mark.parametrize(
    ("control", "back"),
    [
        ({"label": "Gérer les cookies", "floating": False, "how": "shown"}, True),
        ({"label": "", "hint": "cookie", "floating": True, "how": "icon"}, False),
        ({"label": "", "hint": "cookie", "floating": True, "how": "icon", "reopens": True}, True),
        ({"label": "Gérer mes cookies", "floating": False, "how": "menu"}, False),
        ({"label": "Gérer mes cookies", "floating": False, "how": "menu", "reopens": True}, True),
        ({"label": "Gérer mes cookies", "floating": False, "how": "menu", "reopens": False}, False),
    ],
)
def test_icons_and_menu_links_count_once_they_bring_the_banner_back(
    control: dict[str, Any], back: bool
) -> None:
    """EDPB-H: a control on screen counts by its label; an unnamed icon or a link hidden in a
    menu only once trying it brought the banner back."""
    assert way_back(control) is back


def test_what_is_worth_trying_as_a_way_back() -> None:
    assert to_try({"label": "", "hint": "consent", "floating": True, "how": "icon"})
    assert to_try({"label": "Gérer mes cookies", "floating": False, "how": "menu"})
    assert not to_try({"label": "Rubriques", "floating": False, "how": "menu"})
    assert not to_try({"label": "Gérer les cookies", "floating": False, "how": "shown"})


def test_an_icon_that_brought_the_banner_back_clears_edpb_h() -> None:
    icon = {"label": "", "hint": "cookie", "selector": "div", "floating": True, "how": "icon"}
    assert withdrawal_issues({"reload": [icon]}, SHOT)
    assert withdrawal_issues({"reload": [{**icon, "reopens": True}]}, SHOT) == []
