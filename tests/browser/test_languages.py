"""Every language bandeau has built-in words for, in Chromium (CNIL-14, A11Y-04, A11Y-05,
CNIL-01): a page with `<html lang>` gets the first layer and the preferences in that language,
with no English word of bandeau's own left, at 320 px wide without sideways scrolling, with
accept all and refuse all of equal weight. The language is the primary subtag of the page's
`<html lang>`, else the site's default."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bandeau.keys import KeyRing
from bandeau.policy import parse_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store
from bandeau.texts import DETAIL_KEYS, FIRST_LAYER_KEYS, LANGUAGES, LOCALES, lifetime_label

from ..live import free_port, serving
from ..polyglot import polyglot_policy
from ..test_locales import SAME_AS_ENGLISH

pytestmark = pytest.mark.browser

FIRST = "#bandeau .bd-l1"
SETTINGS = "#bandeau .bd-l2"
WIDTH, HEIGHT = 320, 640
PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{lang}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{api}/banner.css"></head>
<body><script src="{api}/banner.js{query}"></script><h1>{lang}</h1><p>…</p></body></html>
"""
ENGLISH = LOCALES["en"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A page server whose `/{tag}` pages have `<html lang="{tag}">` and load the banner of a
    site declaring every language (`?bundle=` picks the bundle the snippet asks for)."""
    tmp: Path = tmp_path_factory.mktemp("polyglot")
    page_port, api_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{page_port}"
    policy = parse_policy(polyglot_policy(origin))
    settings = Settings(data_dir=tmp, port=api_port, rate_limit=0)
    store = open_store(settings.database_url)
    app = create_app(
        settings, [policy], keys=KeyRing.open_or_create(settings.keys_dir), store=store
    )
    api = f"http://127.0.0.1:{api_port}/v1/sites/polyglot"

    async def page(request: Request) -> HTMLResponse:
        bundle = request.query_params.get("bundle")
        query = f"?lang={bundle}" if bundle else ""
        return HTMLResponse(PAGE.format(lang=request.path_params["tag"], api=api, query=query))

    pages = Starlette(routes=[Route("/{tag}", page)])
    with serving(app, api_port), serving(pages, page_port):
        yield origin
    store.close()


def english_fragments(lang: str, keys: tuple[str, ...]) -> list[str]:
    """bandeau's English words for `keys`, cut at placeholders, that `lang` must not show
    (except where the word is the same in both, as the locale tests allow)."""
    out = []
    for key in keys:
        if lang != "en" and (lang, "banner", key) not in SAME_AS_ENGLISH:
            out += [f for f in PLACEHOLDER.split(ENGLISH.banner[key]) if len(f.strip()) >= 5]
    return [f.strip() for f in out]


def shown(page: Page, selector: str) -> str:
    """What the reader gets from `selector`: its text and its accessible labels."""
    return str(
        page.locator(selector).evaluate(
            """root => [root.innerText, ...[...root.querySelectorAll('[aria-label],[title]')]
                .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.title || ''))]
                .join('\\n')"""
        )
    )


def first_layer_buttons(page: Page) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = page.locator(f"{FIRST} [data-bandeau-action]").evaluate_all(
        """els => els.map(e => {
          const s = getComputedStyle(e), r = e.getBoundingClientRect();
          return {action: e.dataset.bandeauAction, text: e.textContent.trim(),
            fontSize: s.fontSize, fontWeight: s.fontWeight, fontFamily: s.fontFamily,
            padding: [s.paddingTop, s.paddingRight, s.paddingBottom, s.paddingLeft].join(' '),
            color: s.color, background: s.backgroundColor, border: s.borderTopWidth + ' ' +
            s.borderTopStyle + ' ' + s.borderTopColor, clipped: e.scrollWidth > e.clientWidth,
            left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            width: r.width, height: r.height};
        })"""
    )
    return facts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_whole_and_fits_at_320(
    browser: Browser, site: str, lang: str
) -> None:
    words = LOCALES[lang].banner
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{site}/{lang}?bundle={lang}")
        expect(page.locator(FIRST)).to_be_visible()
        assert page.locator("#bandeau").get_attribute("lang") == lang  # A11Y-05
        first = shown(page, "#bandeau")
        for key in ("title", "accept_all", "refuse_all", "customise"):
            assert words[key] in first, (lang, key)
        assert "N2-" + lang in first
        for fragment in english_fragments(lang, FIRST_LAYER_KEYS):
            assert fragment not in first, (lang, fragment)
        overflow = "() => document.documentElement.scrollWidth - innerWidth"
        assert page.evaluate(overflow) <= 0, lang

        buttons = first_layer_buttons(page)
        assert [b["action"] for b in buttons] == ["accept_all", "refuse_all", "customise"]
        for b in buttons:  # whole, on screen, not cut (A11Y-04)
            assert not b["clipped"] and b["left"] >= 0 and b["right"] <= WIDTH, (lang, b)
            assert b["top"] >= 0 and b["bottom"] <= HEIGHT, (lang, b)
            assert b["height"] >= 24 and b["width"] >= 24, (lang, b)
        accept, refuse = buttons[0], buttons[1]
        for prop in (
            "fontSize",
            "fontWeight",
            "fontFamily",
            "padding",
            "color",
            "background",
            "border",
        ):
            assert accept[prop] == refuse[prop], (lang, prop)  # equal weight (CNIL-01)
        assert abs(accept["height"] - refuse["height"]) <= 2, (lang, accept, refuse)
        assert max(accept["width"], refuse["width"]) <= 1.10 * min(
            accept["width"], refuse["width"]
        ), (lang, accept, refuse)

        page.click(f"{FIRST} [data-bandeau-action=customise]")
        expect(page.locator(SETTINGS)).to_be_visible()
        expect(page.locator(SETTINGS)).to_contain_text("D2-" + lang)
        page.locator(f"{SETTINGS} details").evaluate_all("els => els.forEach(e => e.open = true)")
        second = shown(page, SETTINGS)
        for key in ("settings_title", "save", "refusal_label"):
            assert words[key] in second, (lang, key)
        for days in (395, 1, None):
            assert lifetime_label(days, lang) in second, (lang, days)
        for fragment in english_fragments(lang, DETAIL_KEYS):
            assert fragment not in second, (lang, fragment)
        for english in ("13 months", "1 day", "browser session"):
            assert lang == "en" or english not in second, (lang, english)
        assert page.evaluate(overflow) <= 0, lang
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("html_lang", "expected"),
    [
        ("de-AT", "de"),
        ("pt-BR", "pt"),
        ("nb", "no"),
        ("nn-NO", "no"),
        ("GA", "ga"),
        ("ja", "fr"),
        ("zh-Hant-TW", "fr"),
    ],
)
def test_the_pages_language_then_the_sites_default(
    browser: Browser, site: str, html_lang: str, expected: str
) -> None:
    """CNIL-14: the snippet without `lang=` gives the default bundle; the page's primary
    subtag picks its language's bundle; a language the site lacks gets the default."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{site}/{html_lang}")
        expect(page.locator(FIRST)).to_be_visible()
        assert page.locator("#bandeau").get_attribute("lang") == expected
        expect(page.locator(f"{FIRST} [data-bandeau-action=refuse_all]")).to_have_text(
            LOCALES[expected].banner["refuse_all"]
        )
    finally:
        context.close()
