"""The privacy page generated from a policy: the function itself, and the route
`GET /v1/sites/{site}/privacy` through a real server (S8, CNIL-05, LAW-06, LAW-07, AM-05, GPC-03).
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from bandeau import InvalidRequest, Policy, parse_policy, render_privacy_page
from bandeau.keys import KeyRing
from bandeau.privacy import PAGE_CSP, PRIVACY_TEXTS, render_privacy_section
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store
from bandeau.texts import LOCALES, lifetime_label

from .live import free_port, serving

HOSTILE = "<script>alert(1)</script>"

# A policy whose every free text tries to inject markup.
HOSTILE_POLICY = f"""
site = "hostile"
origins = ["http://127.0.0.1:9999"]
privacy_policy_url = "/privacy"
languages = ["fr", "en", "tr"]

[controller]
name = "Evil & Co {HOSTILE}"
contact = "javascript:alert(1)"
address = "1 rue \\"<b>\\", Paris"

[label_justifications.tr]
accept_all = "Turkish has no built-in words yet: our translator wrote this label."
refuse_all = "Turkish has no built-in words yet: our translator wrote this label."

[ui.tr]
title = "t"
intro = "i"
withdraw = "w"
accept_all = "a"
refuse_all = "r"
customise = "c"
settings_title = "s"
save = "s"
close = "c"
allowed = "a"
refused = "r"
always_on = "a"
services = "s"
lifetime = "l"
privacy_link = "p"
manage = "m"
placeholder = "p"
placeholder_button = "p"
saved = "s"
controller = "c"
refusal_label = "r"
offline = "o"
receipt = "r"
exempt = "e"
partners = "p"
gpc_notice = "g"
object = "o"
exempt_state = "e"
objected = "o"
provider_policy = "p"

[[purposes]]
key = "necessary"
kind = "strictly_necessary"
[purposes.text.fr]
name = "N {HOSTILE}"
description = "D {HOSTILE}"
[purposes.text.en]
name = "N {HOSTILE}"
description = "D {HOSTILE}"
[purposes.text.tr]
name = "N"
description = "D"
[[purposes.services]]
name = "S {HOSTILE}"
provider = "P {HOSTILE}"
exemption = "auth"
justification = "J {HOSTILE}"
cookies = [{{ name = "sid&x", lifetime = "session" }}]

[[purposes]]
key = "ads"
kind = "consent"
[purposes.text.fr]
name = "A {HOSTILE}"
description = "D"
refusal = "R {HOSTILE}"
[purposes.text.en]
name = "A {HOSTILE}"
description = "D"
refusal = "R {HOSTILE}"
[purposes.text.tr]
name = "A"
description = "D"
refusal = "R"
[[purposes.services]]
name = "Ads"
privacy_policy = 'https://ads.example/p?q="><b>x'
hosts = ["ads.example"]
cookies = [{{ name = "_ad*", lifetime = 30, cross_site = true }}]
"""


class Outline(HTMLParser):
    """What a reader (or a screen reader) gets from a page: its tags, text and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @classmethod
    def of(cls, page: str) -> Outline:
        outline = cls()
        outline.feed(page)
        outline.close()
        return outline

    def named(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def plain(self) -> str:
        return " ".join("".join(self.text).split())


def squash(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------- the function


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_page_states_everything_the_policy_says(policy: Policy, lang: str) -> None:
    """S8, CNIL-05, LAW-06, LAW-07: controller; each purpose's kind, legal basis, retention,
    description and refusal; each service's provider and hosts; each cookie with its lifetime
    and each storage key; the choice's duration; GPC; rights and withdrawal."""
    page = render_privacy_page(policy, lang)
    text = Outline.of(page).plain
    words = PRIVACY_TEXTS[lang]
    c = policy.controller
    assert c.name in text and c.contact in text and c.address in text
    for p in policy.purposes:
        t = p.text[lang]
        section = html.unescape(page.split(f'id="purpose-{p.key}"', 1)[1].split("</section>")[0])
        assert t.name in section and t.description in section and t.refusal in section
        assert words[f"kind_{p.kind}"] in section and words[f"basis_{p.basis}"] in section
        if p.retention_months:
            locale = LOCALES[lang]
            assert locale.counted(locale.privacy["retention_months"], p.retention_months) in section
        for s in p.services:
            assert s.name in section and s.provider in section
            for host in s.hosts:
                assert f'<code class="host">{host}</code>' in section
            for cookie in s.cookies:
                row = section.split(f'data-cookie="{cookie.name}"', 1)[1].split("</tr>", 1)[0]
                assert lifetime_label(cookie.lifetime, lang) in row
            for key in s.storage:
                assert f'data-storage="{key}"' in section
    assert f"{policy.reprompt_after_days} " in text  # how long a choice lasts (CNIL-07)
    manage = policy.ui_texts(lang)["manage"]
    withdraw = squash(html.unescape(page.split('class="withdraw">', 1)[1].split("</p>")[0]))
    assert manage in withdraw
    gpc = html.unescape(page.split('class="gpc">', 1)[1].split("</p>")[0])
    for p in policy.purposes:
        assert (p.text[lang].name in gpc) == p.gpc  # GPC-03: exactly the covered purposes
    assert "CNIL" in text and policy.version in text


def test_exempt_audience_measurement_states_its_terms(policy: Policy) -> None:
    """AM-01..05: the exempt purpose says what makes it exempt, and how to object."""
    page = render_privacy_page(policy, "en")
    audience = page.split('id="purpose-audience"', 1)[1].split("</section>")[0]
    terms = Outline.of(audience).plain
    for phrase in ("for us alone", "anonymous statistics", "third parties", "one site to another",
                   "13 months", "never extended", "object"):
        assert phrase in terms, phrase
    social = page.split('id="purpose-social"', 1)[1].split("</section>")[0]
    assert "audience-terms" not in social


def test_page_is_a_complete_accessible_document(policy: Policy) -> None:
    """A11Y: the language is declared; one <main>, one <h1>, no heading level skipped; every
    table has a caption and header cells with a scope; no script at all; the only style is
    the inline sheet PAGE_CSP allows by its hash."""
    page = render_privacy_page(policy, "fr")
    assert page.startswith('<!doctype html>\n<html lang="fr">')
    outline = Outline.of(page)
    tags = [name for name, _ in outline.tags]
    assert tags.count("main") == 1 and tags.count("h1") == 1 and tags.count("title") == 1
    levels = [int(t[1]) for t in tags if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert tags.count("table") == tags.count("caption") > 0
    assert all(a.get("scope") in ("col", "row") for a in outline.named("th"))
    assert "script" not in tags and " style=" not in page
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in PAGE_CSP


def test_default_language_is_the_sites(policy: Policy) -> None:
    assert render_privacy_page(policy) == render_privacy_page(policy, policy.default_language)
    assert render_privacy_page(policy, "en") != render_privacy_page(policy, "fr")


def test_every_policy_text_is_escaped() -> None:
    """No text of the policy can add markup to the page; a contact that is no web address is
    never a link (a link field that is none does not load: test_policy)."""
    hostile = parse_policy(HOSTILE_POLICY)
    for lang in ("fr", "en"):
        page = render_privacy_page(hostile, lang)
        assert "<script" not in page and "<b>" not in page
        assert page.count(html.escape(HOSTILE, quote=False)) >= 8
        assert "Evil &amp; Co" in page and 'data-cookie="sid&amp;x"' in page
        assert "javascript:" not in [a.get("href", "")[:11] for a in Outline.of(page).named("a")]
        hrefs = [a.get("href", "") for a in Outline.of(page).named("a")]
        assert 'https://ads.example/p?q="><b>x' in hrefs  # one attribute, escaped
        assert "sid&amp;x" in page


def test_section_fits_in_a_sites_own_layout(policy: Policy) -> None:
    """The same content as one <article>, with the banner's "manage" button on request."""
    section = render_privacy_section(policy, "en")
    assert section.startswith('<article class="bandeau-privacy" lang="en">')
    assert section.rstrip().endswith("</article>")
    assert "data-bandeau-open" not in section and "<html" not in section
    with_button = render_privacy_section(policy, "en", manage_button=True)
    button = Outline.of(with_button).named("button")
    assert button == [{"type": "button", "class": "btn", "data-bandeau-open": ""}]
    assert section in render_privacy_page(policy, "en")


def test_languages_without_text_are_refused() -> None:
    """A language the policy lacks, or one without built-in page words, is an InvalidRequest
    on the `lang` field, with a hint naming what exists."""
    hostile = parse_policy(HOSTILE_POLICY)
    with pytest.raises(InvalidRequest, match="not one of the site's languages") as lacking:
        render_privacy_page(hostile, "it")
    assert lacking.value.field == "lang"
    with pytest.raises(InvalidRequest, match="no built-in words") as unknown:
        render_privacy_page(hostile, "tr")
    assert unknown.value.field == "lang" and "'en', 'fr'" in unknown.value.hint


def test_contact_links_and_gpc_without_purposes(policy_text: str) -> None:
    """An e-mail contact becomes mailto:, a web address a link; with no GPC purpose the page
    says the signal changes nothing."""
    plain = parse_policy(policy_text.replace("gpc = true", "gpc = false"))
    page = render_privacy_page(plain, "en")
    assert '<a href="mailto:dpo@lequotidien.example">' in page
    assert PRIVACY_TEXTS["en"]["gpc_none"] in html.unescape(page)
    web = parse_policy(
        policy_text.replace('"dpo@lequotidien.example"', '"https://example.fr/contact"')
    )
    assert '<a href="https://example.fr/contact">' in render_privacy_page(web, "en")


# ---------------------------------------------------------------------- the route, over HTTP


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Iterator[str]:
    data: Path = tmp_path_factory.mktemp("privacy")
    port = free_port()
    settings = Settings(data_dir=data, port=port)
    store = open_store(settings.database_url)
    policies = [policy, parse_policy(HOSTILE_POLICY)]
    rings = {p.site: KeyRing.generate() for p in policies}  # each site its own
    keys = KeyRing.open_or_create(settings.keys_dir)
    app = create_app(settings, policies, keys=keys, store=store, site_keys=rings)
    with serving(app, port) as url:
        yield url
    store.close()


def get(server: str, path: str, **kw: object) -> httpx.Response:
    return httpx.get(server + path, timeout=10, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("query", "lang"), [("", "fr"), ("?lang=fr", "fr"), ("?lang=en", "en")])
def test_route_serves_the_page(server: str, policy: Policy, query: str, lang: str) -> None:
    """The page in the language asked for (default: the site's), exactly what the function
    renders, as HTML under a CSP that allows nothing but its stylesheet."""
    r = get(server, f"/v1/sites/lequotidien/privacy{query}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == render_privacy_page(policy, lang)
    assert r.headers["content-security-policy"] == PAGE_CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert f'<html lang="{lang}">' in r.text


def test_route_answers_304_to_its_etag(server: str) -> None:
    """Cacheable like the banner's assets: an ETag per language, 304 when it still holds."""
    first = get(server, "/v1/sites/lequotidien/privacy?lang=en")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = get(server, "/v1/sites/lequotidien/privacy?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = get(server, "/v1/sites/lequotidien/privacy?lang=fr", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/sites/lequotidien/privacy?lang=it", 422, "invalid_request"),
        ("/v1/sites/hostile/privacy?lang=de", 422, "invalid_request"),
        ("/v1/sites/nowhere/privacy", 404, "unknown_site"),
    ],
)
def test_route_errors_have_the_json_shape(server: str, path: str, status: int, code: str) -> None:
    r = get(server, path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert set(error) == {"code", "message", "field", "hint"} and error["code"] == code
    if status == 422:
        assert error["field"] == "lang"


def test_route_escapes_the_policy_texts(server: str) -> None:
    r = get(server, "/v1/sites/hostile/privacy?lang=en")
    assert r.status_code == 200
    assert "<script" not in r.text and html.escape(HOSTILE, quote=False) in r.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_partner_is_named_with_its_privacy_policy(policy: Policy, lang: str) -> None:
    """LAW-06: every service of the demo that has a `privacy_policy` is linked from the privacy
    page, beside its provider; the demo's three partners all have one."""
    page = render_privacy_page(policy, lang)
    links = {a.get("href") for a in Outline.of(page).named("a")}
    third_parties = [s for p in policy.purposes for s in p.services if s.privacy_policy]
    assert len(third_parties) == 3
    for s in third_parties:
        assert s.privacy_policy in links and s.provider in page
