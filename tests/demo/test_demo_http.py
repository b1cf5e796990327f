"""The demo site over HTTP (no browser): pages, CSP, generated privacy policy, first-party
audience measurement, comments gated on consent, and the fake third parties."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.consent import Consent
from bandeau.demo import DemoServer, demo_policy
from bandeau.demo.words import UI
from bandeau.privacy import render_privacy_section

from ..live import serving

SITE = "lequotidien"
PAGES = [
    "/",
    "/en/",
    "/confidentialite",
    "/en/privacy",
    "/mesure",
    "/en/audience",
    "/articles/marche-croix-rousse",
    "/en/articles/voie-lyonnaise-7",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with DemoServer(tmp_path_factory.mktemp("demo-http")) as server:
        yield server


def get(demo: DemoServer, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(demo.url + path, timeout=10, **kw)


def text_of(response: httpx.Response) -> str:
    """The page's text with entities decoded, for comparing with policy texts."""
    return html.unescape(response.text)


def decide(demo: DemoServer, **granted: bool) -> str:
    """Record a decision through the API, as the banner would; return the consent token."""
    config = get(demo, f"/v1/sites/{SITE}/config").json()
    choices = {
        p["key"]: {"granted": granted.get(p["key"], p["kind"] == "exempt"), "digest": p["digest"]}
        for p in config["purposes"]
        if p["kind"] != "necessary"
    }
    body = {
        "id": str(uuid.uuid4()), "action": "save", "layer": "settings", "control": "test",
        "lang": "fr", "page": "/", "choices": choices,
    }
    r = httpx.post(f"{demo.url}/v1/sites/{SITE}/decisions", json=body,
                   headers={"Origin": demo.url}, timeout=10)
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


# ---------------------------------------------------------------------- policy


def test_demo_policy_follows_the_served_ports() -> None:
    """The packaged policy is rewritten for the port served, without double substitution."""
    p = demo_policy("127.0.0.1", 9000)
    assert p.origins == ("http://127.0.0.1:9000",)
    hosts = {s.name: s.hosts for q in p.purposes for s in q.services}
    assert hosts["Telegram"] == ("localhost:9001",)
    assert hosts["Régie Exemple"] == ("localhost:9002",)
    shifted = demo_policy("127.0.0.1", 8001)  # 8001 -> 8002 must not become 8003
    hosts = {s.name: s.hosts for q in shifted.purposes for s in q.services}
    assert hosts["Telegram"] == ("localhost:8002",)
    assert hosts["Régie Exemple"] == ("localhost:8003",)
    assert shifted.version != p.version or shifted.origins != p.origins


# ---------------------------------------------------------------------- pages and CSP


@pytest.mark.parametrize("path", PAGES)
def test_page_is_served_under_a_strict_csp(demo: DemoServer, path: str) -> None:
    """Strict CSP: a fresh nonce per response on the banner script, no inline script or style,
    the banner script preloaded from <head> and last in <body>, and no stylesheet from the
    consent server in <head> to block the first paint (DESIGN §6, issue 9)."""
    r = get(demo, path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]{16,})'", directives["script-src"])
    assert nonce, csp
    api = f"{demo.url}/v1/sites/{SITE}"
    head, body = r.text.split("<body>", 1)
    assert f"{api}/banner.css" not in head
    preload = re.search(r'<link rel="preload" as="script" ([^>]*)>', head)
    assert preload, "the banner script is not preloaded from <head>"
    assert f'href="{api}/banner.js' in preload.group(1)
    last = re.search(r"<script ([^>]*)></script>\s*</body>", body)
    assert last, "the banner script is not the last element of <body>"
    assert f'nonce="{nonce.group(1)}"' in last.group(1)
    assert f'src="{api}/banner.js' in last.group(1)
    for tag in re.findall(r"<script\b[^>]*>", r.text):
        # inline code only as gated markup, which the banner runs under the page's nonce
        gated = 'type="text/plain"' in tag and "data-bandeau=" in tag
        assert "src=" in tag or (gated and f'nonce="{nonce.group(1)}"' in tag), tag
    assert "<style" not in r.text and " style=" not in r.text
    again = get(demo, path).headers["content-security-policy"]
    assert again != csp, "the nonce must change with every response"


def test_article_marks_third_party_content_as_gated(demo: DemoServer) -> None:
    """LAW-01, LAW-08: every third-party script is inert markup until consent; the ad iframe
    has no src; comments and their explanation are both present for the banner to switch."""
    page = get(demo, "/").text
    scripts = re.findall(r"<script\b[^>]*>", page)
    third = [s for s in scripts if "localhost:" in s]
    assert len(third) == 3
    for s in third:
        assert 'type="text/plain"' in s and "data-bandeau=" in s
    assert f'data-bandeau="social" src="{demo.social_origin}/telegram.js"' in page
    assert f'data-bandeau="advertising" src="{demo.ads_origin}/ad.js"' in page
    iframe = re.search(r"<iframe\b[^>]*>", page)
    assert iframe and " src=" not in iframe.group(0)
    assert f'data-bandeau-src="{demo.ads_origin}/ad.html"' in iframe.group(0)
    assert 'data-bandeau-feature="comments"' in page
    assert 'data-bandeau-feature-off="comments"' in page
    assert page.count("data-bandeau-open") >= 2  # footer entry and the comments explanation
    assert 'data-bandeau="audience" src="/static/mesure.js"' in page


def test_english_article_is_english(demo: DemoServer) -> None:
    """S10: /en/ is the English article; its banner script asks for the English bundle."""
    page = get(demo, "/en/").text
    assert page.startswith("<!doctype html>\n<html lang=\"en\">")
    assert "banner.js?lang=en" in page
    assert "Manage cookies" in page and "Gérer mes cookies" not in page


def test_static_files_and_unknown_paths(demo: DemoServer) -> None:
    assert get(demo, "/static/photo.svg").headers["content-type"] == "image/svg+xml"
    assert get(demo, "/static/demo.css").headers["content-type"].startswith("text/css")
    assert get(demo, "/favicon.ico").status_code == 200
    assert get(demo, "/static/../policy.toml").status_code == 404
    assert get(demo, "/static/nope.js").status_code == 404
    assert get(demo, "/articles/nope").status_code == 404


# ---------------------------------------------------------------------- privacy policy


@pytest.mark.parametrize(("path", "lang"), [("/confidentialite", "fr"), ("/en/privacy", "en")])
def test_privacy_page_is_the_products(demo: DemoServer, path: str, lang: str) -> None:
    """S8, CNIL-05, LAW-06: the demo's privacy page is the product's, generated from the same
    policy as the banner (bandeau.render_privacy_section), in the site's own layout, with a
    button that reopens the banner's choices; what it contains is tested in test_privacy.py."""
    policy = demo.policy
    r = get(demo, path)
    assert r.status_code == 200
    section = render_privacy_section(policy, lang, manage_button=True)
    assert section in r.text
    assert r.text.count("<article") == 1 and r.text.count("<h1") == 1
    assert f'<html lang="{lang}">' in r.text
    page = text_of(r)
    assert policy.controller.name in page
    for p in policy.purposes:
        assert f'id="purpose-{p.key}"' in page and p.text[lang].name in page
    withdraw = page.split('class="withdraw">', 1)[1].split("</p>", 1)[0]
    assert policy.ui_texts(lang)["manage"] in withdraw
    assert 'data-bandeau-open>' in page.split('class="withdraw">', 1)[1]


def test_privacy_route_of_the_api_serves_the_same_content(demo: DemoServer) -> None:
    """Any publisher can link to the bandeau server's own page instead: the same content."""
    r = get(demo, f"/v1/sites/{SITE}/privacy?lang=en")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert render_privacy_section(demo.policy, "en") in r.text


# ---------------------------------------------------------------------- audience measurement


def _set_cookie(r: httpx.Response, name: str) -> str | None:
    for value in r.headers.get_list("set-cookie"):
        if value.startswith(f"{name}="):
            return value
    return None


def test_audience_counts_views_with_a_cookie_set_once(demo: DemoServer) -> None:
    """AM-01..05: page views are counted per path (query dropped); the site-only cookie is
    set once for 13 months and not extended on the next view; the counts are published."""
    url = f"{demo.url}/mesure/vue"
    first = httpx.post(url, json={"path": "/essai?email=a@b.c"}, timeout=10)
    assert first.status_code == 204
    cookie = _set_cookie(first, "_lq_mesure")
    assert cookie is not None
    assert f"Max-Age={395 * 86400}" in cookie and "HttpOnly" in cookie
    assert "Domain=" not in cookie  # this site only
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    second = httpx.post(url, json={"path": "/essai"}, cookies={"_lq_mesure": value}, timeout=10)
    assert second.status_code == 204
    assert _set_cookie(second, "_lq_mesure") is None  # never extended
    rejected = httpx.post(url, json={"path": "https://ailleurs.example/"}, timeout=10)
    assert rejected.status_code == 204 and _set_cookie(rejected, "_lq_mesure") is None

    stats = {row["path"]: row for row in get(demo, "/mesure.json").json()["pages"]}
    assert stats["/essai"] == {"path": "/essai", "views": 2, "visitors": 1}
    assert not any("ailleurs" in p or "email" in p for p in stats)
    page = get(demo, "/mesure").text
    assert re.search(r'data-path="/essai">.*?class="num views">2<', page, re.S)


def test_audience_respects_an_objection(demo: DemoServer) -> None:
    """AM-05, CNIL-10: a reader who objected to measurement is not counted, even if the
    script were to run."""
    token = decide(demo, audience=False)
    url = f"{demo.url}/mesure/vue"
    r = httpx.post(url, json={"path": "/objection"}, cookies={"bandeau": token}, timeout=10)
    assert r.status_code == 204 and _set_cookie(r, "_lq_mesure") is None
    stats = {row["path"] for row in get(demo, "/mesure.json").json()["pages"]}
    assert "/objection" not in stats


# ---------------------------------------------------------------------- comments


def test_comments_need_the_social_purpose(demo: DemoServer) -> None:
    """S4: the comments endpoint checks the signed consent cookie itself: without the
    social-networks purpose (no cookie, refused, or a forged token) nothing is published."""
    url = f"{demo.url}/commentaires"
    form = {"lang": "fr", "name": "Testeur", "text": "Un commentaire <script>x()</script>"}
    refused = decide(demo, social=False)
    for cookies in ({}, {"bandeau": refused}, {"bandeau": "abc.def"}):
        r = httpx.post(url, data=form, cookies=cookies, timeout=10)
        assert r.status_code == 403, cookies
        assert "Réseaux sociaux" in html.unescape(r.text)
    assert "Un commentaire" not in get(demo, "/").text

    granted = decide(demo, social=True)
    r = httpx.post(url, data=form, cookies={"bandeau": granted}, timeout=10)
    assert r.status_code == 303 and r.headers["location"] == "/#commentaires"
    page = get(demo, "/").text
    assert "Un commentaire &lt;script&gt;x()&lt;/script&gt;" in page
    assert "<script>x()" not in page
    empty = httpx.post(url, data={"lang": "fr", "name": "", "text": "x"},
                       cookies={"bandeau": granted}, timeout=10)
    assert empty.status_code == 422


def test_the_demo_asks_the_middleware_not_the_cookie(demo: DemoServer) -> None:
    """The publisher does not verify the consent token again: it uses the reading bandeau's
    middleware left in the request (`request.state.bandeau*`). Without the middleware even a
    valid grant publishes nothing (fail closed); with a reading that allows comments, no
    cookie is needed."""
    form = {"lang": "en", "name": "Probe", "text": "Read from the middleware"}
    granted = decide(demo, social=True)

    async def allowing(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["state"] = {
                "bandeau": Consent(consent_id="probe", states={"social": True}),
                "bandeau_gpc": False,
                "bandeau_features": frozenset({"comments"}),
            }
        await demo.apps.api(scope, receive, send)

    with serving(demo.apps.api, lifespan="off") as bare:
        r = httpx.post(f"{bare}/commentaires", data=form, cookies={"bandeau": granted}, timeout=10)
        assert r.status_code == 403
    with serving(allowing, lifespan="off") as told:
        r = httpx.post(f"{told}/commentaires", data=form, timeout=10)
        assert r.status_code == 303
    assert "Read from the middleware" in get(demo, "/en/").text


# ---------------------------------------------------------------------- fake third parties


def test_third_parties_record_every_request(demo: DemoServer) -> None:
    """The fake third parties log origin, path and Cookie header of what they receive; their
    scripts can be loaded cross-origin."""
    mark = len(demo.requests_seen_by_third_parties)
    social = demo.social_origin.replace("localhost", "127.0.0.1")
    r = httpx.get(f"{social}/telegram.js", headers={"Cookie": "x=1"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "_tg_session" in r.text and "tg_widget_state" in r.text
    ads = demo.ads_origin.replace("localhost", "127.0.0.1")
    assert "_ad_id" in httpx.get(f"{ads}/ad.js", timeout=10).text
    assert httpx.get(f"{ads}/px.gif?ad_id=1", timeout=10).content.startswith(b"GIF89a")
    seen = demo.requests_seen_by_third_parties.since(mark)
    assert [(s.origin, s.path, s.cookie) for s in seen] == [
        (demo.social_origin, "/telegram.js", "x=1"),
        (demo.ads_origin, "/ad.js", ""),
        (demo.ads_origin, "/px.gif?ad_id=1", ""),
    ]


def test_demo_server_releases_its_ports(tmp_path: Path) -> None:
    """DemoServer stops cleanly: after exit its three ports can be bound again."""
    import socket

    with DemoServer(tmp_path) as d:
        port = d.port
        assert get(d, "/").status_code == 200
    for p in (port, port + 1, port + 2):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))


def test_every_demo_language_has_every_word() -> None:
    """The demo's pages speak each of its languages whole: a word missing in one renders as
    nothing on its pages (Jinja's undefined), so every language has the same keys, none empty."""
    keys = {lang: set(words) for lang, words in UI.items()}
    every = set().union(*keys.values())
    assert {lang: sorted(every - given) for lang, given in keys.items()} == {
        lang: [] for lang in UI
    }
    assert not [(lang, k) for lang, words in UI.items() for k, v in words.items() if not v]
