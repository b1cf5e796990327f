"""Accessibility checked by a tool and by the reader's moves (A11Y-01, A11Y-03, A11Y-04):
Deque's axe-core (pinned in package.json, injected into each page by these tests) runs on the
first layer, the preferences and the placeholders, in French and in English, on a desktop and
at 320 px: no serious or critical violation. Focus never hides behind the first layer, and the
banner works at 200 % zoom."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from bandeau.demo import DemoServer

from .conftest import Visit, new_visit

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FIRST = "#bandeau .bd-l1"
SETTINGS = "#bandeau .bd-l2"
HOME = {"fr": "/", "en": "/en/"}
SIZES = {"desktop": {"width": 1280, "height": 800}, "320px": {"width": 320, "height": 640}}
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"axe-core is missing at {AXE}: run `make install-dev` (npm ci installs the version "
            "pinned in package.json)",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


def visit_with_axe(demo: DemoServer, browser: Browser, axe: str, size: str) -> Visit:
    """A reader whose pages get axe-core before any of their own scripts (an init script is
    not subject to the page's Content-Security-Policy)."""
    mobile = size == "320px"
    v = new_visit(demo, browser, viewport=SIZES[size], is_mobile=mobile, has_touch=mobile,
                  locale="fr-FR")
    v.context.add_init_script(axe)
    return v


def serious_violations(v: Visit, selector: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations of serious or critical impact inside `selector`,
    each with its rule, impact and the nodes concerned."""
    found: list[dict[str, Any]] = v.page.evaluate(
        """async (selector) => {
            const result = await axe.run({include: [[selector]]}, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                'wcag22aa', 'best-practice']},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' '))}));
        }""",
        selector,
    )
    return [f for f in found if f["impact"] in SERIOUS]


@pytest.fixture(params=[(lang, size) for lang in ("fr", "en") for size in SIZES],
                ids=lambda p: f"{p[0]}-{p[1]}")
def reader(request: pytest.FixtureRequest, demo: DemoServer, browser: Browser,
           axe_source: str) -> Iterator[tuple[Visit, str]]:
    lang, size = request.param
    v = visit_with_axe(demo, browser, axe_source, size)
    yield v, lang
    v.context.close()


def test_axe_finds_nothing_serious_in_the_banner(reader: tuple[Visit, str]) -> None:
    """A11Y-01, A11Y-04: axe-core on the first layer, then the preferences, then the
    placeholders after refuse all: no serious or critical violation, in both languages, on a
    desktop and at 320 px."""
    v, lang = reader
    page = v.page
    v.goto(HOME[lang])
    expect(page.locator(FIRST)).to_be_visible()
    assert page.evaluate("() => typeof axe.run") == "function"
    assert serious_violations(v, "#bandeau") == []

    page.locator(f"{FIRST} [data-bandeau-action=customise]").click()
    expect(page.locator(SETTINGS)).to_be_visible()
    page.locator(f"{SETTINGS} details").first.evaluate("d => d.open = true")
    assert serious_violations(v, "#bandeau") == []

    v.decide(f"{SETTINGS} [data-bandeau-action=refuse_all]")
    placeholders = page.locator(".bd-ph")
    expect(placeholders.first).to_be_visible()
    assert placeholders.count() >= 2  # the video's and the ad's
    assert serious_violations(v, ".bd-ph") == []
    assert v.console_errors == [] and v.csp_violations() == []


def test_each_switch_is_grouped_with_its_purpose(reader: tuple[Visit, str]) -> None:
    """A11Y-01: in the preferences each purpose is a group named by the purpose, holding its
    switch (a native checkbox with role switch and a name)."""
    v, lang = reader
    page = v.page
    v.goto(HOME[lang])
    page.locator(f"{FIRST} [data-bandeau-action=customise]").click()
    for p in v.demo.policy.purposes:
        group = page.get_by_role("group", name=p.text[lang].name, exact=True)
        expect(group).to_have_count(1)
        switch = group.get_by_role("switch")
        expect(switch).to_have_count(1)
        assert switch.evaluate("e => e.labels.length > 0 || e.hasAttribute('aria-labelledby')")


def focus_hidden_behind_first_layer(v: Visit) -> bool:
    """Whether the focused element, outside the banner, is entirely under the first layer."""
    hidden: bool = v.page.evaluate(
        """() => {
            const e = document.activeElement, layer = document.querySelector('#bandeau .bd-l1');
            if (!e || !layer || layer.hidden || e.closest('#bandeau') || e === document.body)
                return false;
            const a = e.getBoundingClientRect(), b = layer.getBoundingClientRect();
            if (!a.width && !a.height) return false;
            return a.top >= b.top && a.bottom <= b.bottom && a.left >= b.left && a.right <= b.right;
        }"""
    )
    return hidden


@pytest.mark.parametrize("zoom", [1, 2], ids=["100%", "200%"])
def test_focus_is_never_hidden_behind_the_first_layer(
    demo: DemoServer, browser: Browser, zoom: int
) -> None:
    """A11Y-03 (WCAG 2.4.11): tabbing through the whole page while the first layer is shown,
    no focused element is entirely covered by it, at 100 % and at 200 % zoom (a 1280 by 800
    window zoomed to 200 % lays the page out in 640 by 400 CSS pixels)."""
    size = {"width": 1280 // zoom, "height": 800 // zoom}
    v = new_visit(demo, browser, viewport=size, device_scale_factor=zoom, locale="fr-FR")
    try:
        page = v.page
        v.goto("/")
        expect(page.locator(FIRST)).to_be_visible()
        reached = 0
        for _ in range(120):
            page.keyboard.press("Tab")
            assert not focus_hidden_behind_first_layer(v), page.evaluate(
                "() => document.activeElement.outerHTML.slice(0, 120)"
            )
            reached += page.evaluate("() => !document.activeElement.closest('#bandeau')")
        assert reached > 20  # the page's own links and buttons were reached
    finally:
        v.context.close()


def test_the_banner_works_at_200_percent_zoom(demo: DemoServer, browser: Browser) -> None:
    """A11Y-04 (WCAG 1.4.4, 1.4.10): at 200 % zoom the first layer's three buttons are on
    screen, nothing scrolls sideways, the preferences open with their buttons reachable, and a
    choice made there is recorded."""
    v = new_visit(demo, browser, viewport={"width": 640, "height": 400}, device_scale_factor=2,
                  locale="fr-FR")
    try:
        page = v.page
        v.goto("/")
        overflow = (
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        for action in ("accept_all", "refuse_all", "customise"):
            box = page.locator(f"{FIRST} [data-bandeau-action={action}]").bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= 640, action
            assert box["y"] >= 0 and box["y"] + box["height"] <= 400, action
        assert page.evaluate(overflow) <= 0
        page.locator(f"{FIRST} [data-bandeau-action=customise]").click()
        expect(page.locator(SETTINGS)).to_be_visible()
        save = page.locator(f"{SETTINGS} [data-bandeau-action=save]")
        box = save.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 400
        page.get_by_role("switch", name=demo.policy.purpose("social").text["fr"].name).check()
        answer = v.decide(f"{SETTINGS} [data-bandeau-action=save]")
        [record] = demo.store.history(demo.policy.site, answer["consent_id"])
        assert record.choices["social"] is True and record.choices["advertising"] is False
        assert page.evaluate(overflow) <= 0
    finally:
        v.context.close()
