"""Everything that loads third-party content waits for its purpose (LAW-08, LAW-01): the
demo's video (a `<video>` from the social network), its tracking pixel (an `<img>` from the ad
network) and an inline ad snippet (`<script type="text/plain" data-bandeau>` with the page's
CSP nonce)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import Visit

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"
VIDEO = "video.clip"
PIXEL = "img.pixel"


def loaded(v: Visit, origin: str, path: str) -> bool:
    """Whether the browser asked `origin` for `path`, in its own log and in the third party's."""
    asked = any(u.startswith(origin + path) for u in v.requests)
    received = any(r.path.startswith(path) for r in v.seen_by_third_parties(origin))
    assert asked == received, (asked, received)
    return asked


def test_video_pixel_and_inline_snippet_wait_for_consent(visit: Visit) -> None:
    """LAW-08: before a choice neither the video nor the pixel loads and the gated inline
    script does not run; the video shows a placeholder naming its purpose. Granting social
    (the placeholder's button) loads the video alone; accept all loads the pixel and runs the
    snippet, once."""
    v, page, demo = visit, visit.page, visit.demo
    v.goto("/")
    page.wait_for_timeout(500)
    assert not loaded(v, demo.social_origin, "/clip.webm")
    assert not loaded(v, demo.ads_origin, "/px.gif")
    assert page.get_attribute(VIDEO, "src") is None and page.get_attribute(PIXEL, "src") is None
    assert page.evaluate("() => document.documentElement.dataset.adSlots") is None
    snippet = page.locator("script[data-bandeau=advertising]:not([src])")
    assert snippet.get_attribute("type") == "text/plain"
    placeholder = page.locator(".video-box [data-bandeau-placeholder=social]")
    expect(placeholder).to_be_visible()
    expect(placeholder).to_contain_text("Réseaux sociaux")
    expect(page.locator(".pixel + [data-bandeau-placeholder], .bd-ph + .pixel")).to_have_count(0)

    v.decide(".video-box [data-bandeau-placeholder=social] button")
    expect(page.locator(VIDEO)).to_be_visible()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/clip.webm'))",
        polling=100,
    )
    assert loaded(v, demo.social_origin, "/clip.webm")
    assert not loaded(v, demo.ads_origin, "/px.gif")
    assert page.evaluate("() => document.documentElement.dataset.adSlots") is None

    v.decide(f"{FIRST} [data-bandeau-action=accept_all]")  # advertising is still to be asked
    # the pixel loads once the server has answered; wait until its answer is in, so the third
    # party has logged the request by the time both logs are compared
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/px.gif'))",
        polling=100,
    )
    assert loaded(v, demo.ads_origin, "/px.gif")
    assert page.evaluate("() => document.documentElement.dataset.adSlots") == "requested"
    assert v.console_errors == [] and v.csp_violations() == []

    v.start_watching()
    v.goto("/")  # a later page: everything allowed loads from the start
    assert loaded(v, demo.ads_origin, "/px.gif") and loaded(v, demo.social_origin, "/clip.webm")
    assert page.evaluate("() => document.documentElement.dataset.adSlots") == "requested"


def test_expressions_read_the_same_in_the_banner_and_on_the_server(visit: Visit) -> None:
    """The rewriter decides with `bandeau.consent.holds`, the banner with `bandeau.allowed`:
    the same expressions give the same answers."""
    from bandeau.consent import holds

    visit.goto("/")
    state = visit.consent()
    allowed = frozenset(k for k, on in state["purposes"].items() if on)
    for expression in ("audience", "social", "!social", "audience !advertising", "", "nope",
                       "!nope", "audience social", "  audience  "):
        in_browser = visit.page.evaluate("e => window.bandeau.allowed(e)", expression)
        assert in_browser == holds(expression, allowed), expression
