"""The demo publishers, "Le Quotidien du Rhône" and its group's second title "L'Écho de Vienne":
fictional French news sites in French, English and German.

It is an ordinary web app that uses bandeau the way a publisher would:

- every page loads the banner (CSS in <head>, script first in <body> with the CSP nonce) and
  marks third-party content as gated (`data-bandeau="social"`, `data-bandeau="advertising"`);
- it runs behind bandeau's middleware and asks it what the reader allowed
  (`bandeau.middleware.consent_view`): comments need the social-networks purpose, checked by the
  comments endpoint as well as in the browser, and the audience endpoint honours an objection;
- first-party exempt audience measurement counts page views per path (AM-01..05, audience.py);
- the privacy policy is the product's (`bandeau.render_privacy_section`), generated from the
  same Policy object the banner is built from, so the two cannot disagree (CNIL-05, LAW-06, S8);
- every page is sent with a strict Content-Security-Policy: no inline script but the nonce'd
  banner, no inline style.

Each page has one handler, parametrised by language; `mount` routes each language's paths
(words.UI) to it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..banner.config import asset_version
from ..middleware import consent_view
from ..policy import Policy
from ..privacy import PRIVACY_TEXTS, render_privacy_section
from .audience import Audience
from .comments import CommentBoard
from .words import ARTICLES, LANGUAGE_NAMES, LANGUAGES, TITLES, UI

__all__ = ["Publisher"]

HERE: Final = Path(__file__).parent
MAX_FORM_BYTES: Final = 8192
# Set by the publisher's own server on every article for ad targeting, declared under
# "advertising": bandeau's middleware removes it unless the reader allowed it.
TARGETING_COOKIE: Final = "_lq_ciblage"

STATIC_TYPES: Final = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}

PageView = Callable[[Request, str], HTMLResponse]


def _in(lang: str, view: PageView) -> Callable[[Request], Awaitable[Response]]:
    """A route endpoint that serves `view` in `lang`."""

    async def endpoint(request: Request) -> Response:
        return view(request, lang)

    return endpoint


class Publisher:
    """The publisher's pages and first-party endpoints, added to the bandeau app."""

    def __init__(
        self,
        policy: Policy,
        *,
        api: str,
        social_origin: str,
        ads_origin: str,
    ) -> None:
        self.policy = policy
        self.api = api
        self.brand, logo = TITLES[policy.site]
        self.logo = Markup(logo)  # noqa: S704 (our own markup, from words.TITLES)
        # the bandeau server, when it is not this site's own origin (the group's second title)
        api_origin = "{0.scheme}://{0.netloc}".format(urlsplit(api))
        self.api_origin = "" if api_origin in policy.origins else api_origin
        self.social_origin = social_origin
        self.ads_origin = ads_origin
        self.audience = Audience(policy)
        self.comments = CommentBoard()
        self.static = {
            p.name: p.read_bytes()
            for p in sorted((HERE / "static").iterdir())
            if p.suffix in STATIC_TYPES
        }
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(("html",), default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # The product's privacy page, in the site's layout with a working "manage" button.
        self.privacy = {
            lang: Markup(render_privacy_section(policy, lang, manage_button=True))  # noqa: S704
            for lang in LANGUAGES
        }

    # -------------------------------------------------------------- routes

    def mount(self, app: FastAPI) -> None:
        """Add the publisher's routes to `app` (outside the API's OpenAPI document)."""

        def add(path: str, endpoint: Callable[..., Any], method: str = "GET") -> None:
            app.add_route(path, endpoint, methods=[method], include_in_schema=False)

        for lang in LANGUAGES:
            ui = UI[lang]
            add(ui["home"], _in(lang, self.article_page))
            add(ui["article_path"], _in(lang, self.short_article_page))
            add(ui["privacy"], _in(lang, self.privacy_page))
            add(ui["measure"], _in(lang, self.measure_page))
        for lang in LANGUAGES:
            if UI[lang]["home"] != "/":
                add(UI[lang]["home"].rstrip("/"), self.language_root)
        add("/mesure.json", self.audience.published)
        add("/mesure/vue", self.audience.hit, "POST")
        add("/commentaires", self.post_comment, "POST")
        add("/static/{name}", self.static_file)
        add("/favicon.ico", self.favicon)

    # -------------------------------------------------------------- rendering

    def csp(self, nonce: str) -> str:
        social, ads = self.social_origin, self.ads_origin
        api = f" {self.api_origin}" if self.api_origin else ""
        return "; ".join(
            (
                "default-src 'self'",
                f"script-src 'self' 'nonce-{nonce}'{api} {social} {ads}",
                f"style-src 'self'{api} {social}",
                f"img-src 'self' data: {social} {ads}",
                f"frame-src {ads} {social}",
                f"media-src {social}",
                f"connect-src 'self'{api}",
                "font-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'self'",
            )
        )

    def page(
        self, template: str, lang: str, path: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        nonce = secrets.token_urlsafe(18)
        body = self.env.get_template(template).render(
            lang=lang,
            ui=UI[lang],
            path=path,
            nonce=nonce,
            api=self.api,
            version=asset_version(self.policy),
            social=self.social_origin,
            ads=self.ads_origin,
            articles=ARTICLES,
            canonical=self.policy.origins[0] + path,
            grant_social=self._grant_label(lang, "social"),
            brand=self.brand,
            logo=self.logo,
            other_languages=[
                (code, LANGUAGE_NAMES[code], UI[code]["home"]) for code in LANGUAGES if code != lang
            ],
            tcf=self.policy.tcf is not None or self.policy.consent_mode is not None,
            **context,
        )
        headers = {
            "Content-Security-Policy": self.csp(nonce),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }
        return HTMLResponse(body, status_code=status, headers=headers)

    def _grant_label(self, lang: str, key: str) -> str:
        """The same words as the banner's placeholder button, for our own placeholders."""
        template = self.policy.ui_texts(lang).get("placeholder_button", "{purpose}")
        return template.replace("{purpose}", self.policy.purpose(key).text[lang].name)

    # -------------------------------------------------------------- pages

    def article_page(
        self, request: Request, lang: str, notice: str = "", status: int = 200
    ) -> HTMLResponse:
        response = self.page(
            f"article_{lang}.html",
            lang,
            request.url.path,
            status,
            comments=self.comments.of(lang),
            notice=notice,
        )
        response.set_cookie(
            TARGETING_COOKIE, "rubrique-locale", max_age=395 * 86400, path="/", samesite="lax"
        )
        return response

    def short_article_page(self, request: Request, lang: str) -> HTMLResponse:
        slug = request.path_params["slug"]
        if slug not in ARTICLES:
            return self.page("missing.html", lang, request.url.path, status=404, title="404")
        return self.page(
            f"article-{slug}.html",
            lang,
            request.url.path,
            slug=slug,
            title=ARTICLES[slug][lang],
        )

    def privacy_page(self, request: Request, lang: str) -> HTMLResponse:
        return self.page(
            "privacy.html",
            lang,
            request.url.path,
            title=PRIVACY_TEXTS[lang]["title"],
            privacy=self.privacy[lang],
        )

    def measure_page(self, request: Request, lang: str) -> HTMLResponse:
        audience = self.policy.purpose("audience")
        return self.page(
            "measure.html",
            lang,
            request.url.path,
            title=UI[lang]["measure_title"],
            rows=self.audience.counts.table(),
            purpose=audience.text[lang],
            retention=audience.retention_months,
        )

    async def language_root(self, request: Request) -> Response:
        """`/en` and `/de` lead to `/en/` and `/de/`."""
        return RedirectResponse(request.url.path + "/", status_code=308)

    # -------------------------------------------------------------- first-party endpoints

    async def post_comment(self, request: Request) -> Response:
        """A comment from the form. It needs the `comments` feature (the social-networks
        purpose), as bandeau's middleware read it from the signed consent cookie: checked
        here, not only in the browser (S4)."""
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        given = form.get("lang", ["fr"])[0]
        lang = given if given in LANGUAGES else "fr"
        if not consent_view(request).feature("comments"):
            return self.article_page(request, lang, UI[lang]["comment_refused"], status=403)
        name, text = form.get("name", [""])[0], form.get("text", [""])[0]
        if not self.comments.publish(lang, name, text):
            return self.article_page(request, lang, UI[lang]["comment_invalid"], status=422)
        return RedirectResponse(f"{UI[lang]['home']}#commentaires", status_code=303)

    async def static_file(self, request: Request) -> Response:
        return self._static(request.path_params["name"])

    async def favicon(self, request: Request) -> Response:
        return self._static("favicon.svg")

    def _static(self, name: str) -> Response:
        data = self.static.get(name)
        if data is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(
            data,
            media_type=STATIC_TYPES[Path(name).suffix],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )
