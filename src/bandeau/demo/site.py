"""The demo publisher, "Le Quotidien du Rhône": a fictional French news site in French and English.

It is an ordinary web app that uses bandeau the way a publisher would:

- every page loads the banner (CSS in <head>, script first in <body> with the CSP nonce) and
  marks third-party content as gated (`data-bandeau="social"`, `data-bandeau="advertising"`);
- comments need the social-networks purpose: the browser shows them only when it is allowed, and
  the comments endpoint checks the signed consent cookie itself before accepting a comment;
- first-party exempt audience measurement counts page views per path (AM-01..05);
- the privacy policy is generated from the same Policy object the banner is built from, so the
  two cannot disagree (CNIL-05, LAW-06, S8);
- every page is sent with a strict Content-Security-Policy: no inline script but the nonce'd
  banner, no inline style.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..banner.config import asset_version
from ..consent import Consent, Signals, evaluate, read_token
from ..errors import TokenError
from ..keys import KeyRing
from ..policy import Policy, Service
from ..signals import gpc_from_headers
from ..texts import lifetime_label

__all__ = ["Comment", "Publisher"]

HERE: Final = Path(__file__).parent
MEASURE_COOKIE: Final = "_lq_mesure"
MAX_COMMENT_CHARS: Final = 2000
MAX_NAME_CHARS: Final = 60
MAX_FORM_BYTES: Final = 8192

STATIC_TYPES: Final = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}

NBSP: Final = "\u00a0"
_FR_SPACE_BEFORE: Final = re.compile(r" ([:;!?»])")


TARGETING_COOKIE = "_lq_ciblage"


def french(text: str) -> str:
    """French typography: a no-break space before : ; ! ? » and after «, so that no line
    starts with a lone colon."""
    return _FR_SPACE_BEFORE.sub(NBSP + r"\1", text).replace("« ", "«" + NBSP)


# Words of the site around the articles (the articles themselves are in the templates).
UI: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "home": "/",
        "privacy": "/confidentialite",
        "measure": "/mesure",
        "other_lang_url": "/en/",
        "other_lang": "English",
        "other_lang_code": "en",
        "skip": "Aller au contenu",
        "tagline": "Lyon, la Métropole et la vallée du Rhône",
        "date": "Mardi 12 mai 2026",
        "nav_label": "Rubriques",
        "nav": "Actualités|Lyon|Métropole|Économie|Culture|Sports",
        "manage": "Gérer mes cookies",
        "privacy_link": "Politique de confidentialité",
        "measure_link": "Mesure d'audience",
        "legal": "Le Quotidien du Rhône est un journal fictif, créé pour la démonstration du "
        "logiciel libre bandeau. Toute ressemblance avec un titre existant serait fortuite.",
        "read_also": "Lire aussi",
        "most_read": "Les plus lus",
        "telegram_title": "Notre chaîne Telegram",
        "telegram_off": "Notre chaîne Telegram s'affiche ici si vous autorisez la finalité "
        "« Réseaux sociaux ». Tant que vous ne l'autorisez pas, Telegram ne reçoit rien.",
        "share_off": "Les boutons de partage se chargent si vous autorisez « Réseaux sociaux ».",
        "open_settings": "Modifier mes choix",
        "ad_label": "Publicité",
        "house_ad_title": "Le Quotidien, partout avec vous",
        "house_ad_text": "Recevez chaque matin à 7 h l'essentiel de l'actualité lyonnaise dans "
        "votre boîte aux lettres électronique.",
        "house_ad_cta": "S'inscrire à la lettre",
        "comments": "Commentaires",
        "comments_count": "{n} commentaires",
        "comments_off_title": "Les commentaires sont désactivés",
        "comments_off": "Pour commenter, vous vous identifiez avec votre compte de réseau social : "
        "les commentaires ont donc besoin de votre accord pour la finalité « Réseaux sociaux ». "
        "Vous l'avez refusée, ou vous n'avez pas encore fait de choix. L'article reste "
        "entièrement lisible sans cet accord.",
        "comment_name": "Votre nom",
        "comment_text": "Votre commentaire",
        "comment_send": "Publier",
        "comment_rules": "Les commentaires sont publiés après relecture automatique. "
        "Restez courtois.",
        "comment_refused": "Votre commentaire n'a pas été publié : les commentaires ont besoin "
        "de votre accord pour la finalité « Réseaux sociaux ».",
        "comment_invalid": "Votre commentaire n'a pas été publié : indiquez un nom et un texte "
        "(2 000 caractères au plus).",
        "back": "Retour à l'article",
        "privacy_title": "Politique de confidentialité et cookies",
        "measure_title": "Mesure d'audience",
    },
    "en": {
        "home": "/en/",
        "privacy": "/en/privacy",
        "measure": "/en/audience",
        "other_lang_url": "/",
        "other_lang": "Français",
        "other_lang_code": "fr",
        "skip": "Skip to content",
        "tagline": "Lyon, its metropolis and the Rhône valley",
        "date": "Tuesday 12 May 2026",
        "nav_label": "Sections",
        "nav": "News|Lyon|Metropolis|Business|Culture|Sport",
        "manage": "Manage cookies",
        "privacy_link": "Privacy policy",
        "measure_link": "Audience measurement",
        "legal": "Le Quotidien du Rhône is a fictional newspaper made to demonstrate the free "
        "software bandeau. Any resemblance to an existing title is coincidental.",
        "read_also": "Read also",
        "most_read": "Most read",
        "telegram_title": "Our Telegram channel",
        "telegram_off": "Our Telegram channel shows here if you allow the “Social networks” "
        "purpose. Until you do, Telegram receives nothing.",
        "share_off": "Share buttons load if you allow “Social networks”.",
        "open_settings": "Change my choices",
        "ad_label": "Advertisement",
        "house_ad_title": "Le Quotidien, wherever you are",
        "house_ad_text": "Get the essential Lyon news in your inbox every morning at 7.",
        "house_ad_cta": "Sign up to the newsletter",
        "comments": "Comments",
        "comments_count": "{n} comments",
        "comments_off_title": "Comments are switched off",
        "comments_off": "You comment with your social network account, so comments need your "
        "consent to the “Social networks” purpose. You refused it, or you have not chosen "
        "yet. The article stays fully readable without it.",
        "comment_name": "Your name",
        "comment_text": "Your comment",
        "comment_send": "Post",
        "comment_rules": "Comments are published after an automatic check. Please be civil.",
        "comment_refused": "Your comment was not published: comments need your consent to the "
        "“Social networks” purpose.",
        "comment_invalid": "Your comment was not published: give a name and a text (at most "
        "2,000 characters).",
        "back": "Back to the article",
        "privacy_title": "Privacy and cookie policy",
        "measure_title": "Audience measurement",
    },
}

# The privacy policy's fixed sentences; everything specific comes from the Policy object.
PRIVACY: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "colon": " :",
        "intro": "Cette page décrit les traceurs (cookies et stockage local) que nous utilisons, "
        "pourquoi, pour combien de temps, et comment exercer vos droits. Elle est produite à "
        "partir de la même politique que le bandeau de consentement : ce que vous lisez ici est "
        "exactement ce que le bandeau applique.",
        "controller_h": "Responsable du traitement",
        "contact": "Contact et délégué à la protection des données",
        "purposes_h": "Finalités, services et traceurs",
        "kind": "Nature",
        "kind_strictly_necessary": "Strictement nécessaire : exempté de consentement",
        "kind_exempt_audience_measurement": "Mesure d'audience exemptée de consentement "
        "(vous pouvez vous y opposer)",
        "kind_consent": "Soumis à votre consentement préalable",
        "basis": "Base légale du traitement qui suit (RGPD, art. 6)",
        "basis_consent": "votre consentement (art. 6.1.a)",
        "basis_contract": "l'exécution d'un contrat (art. 6.1.b)",
        "basis_legal_obligation": "une obligation légale (art. 6.1.c)",
        "basis_vital_interest": "la sauvegarde d'intérêts vitaux (art. 6.1.d)",
        "basis_public_task": "une mission d'intérêt public (art. 6.1.e)",
        "basis_legitimate_interest": "notre intérêt légitime (art. 6.1.f)",
        "refusal": "Si vous refusez",
        "retention": "Conservation des données collectées",
        "retention_months": "{n} mois au plus",
        "retention_none": "pas de conservation au-delà de la durée des traceurs",
        "services": "Services",
        "provider": "Fournisseur",
        "hosts": "Domaines contactés",
        "hosts_none": "aucun : le service est hébergé par nous",
        "cookie": "Cookie",
        "lifetime": "Durée de vie",
        "storage": "Stockage local",
        "storage_lifetime": "jusqu'à son effacement (effacé dès que vous retirez votre accord)",
        "pattern": "(tous les cookies dont le nom commence ainsi)",
        "exemption": "Exemption",
        "features": "Fonctions qui en dépendent",
        "feature_comments": "les commentaires",
        "feature_stats": "les statistiques de fréquentation",
        "choice_h": "Votre choix et sa durée",
        "choice": "Votre choix, qu'il s'agisse d'un accord ou d'un refus, est conservé {days} "
        "jours (environ six mois) ; nous vous redemandons ensuite. Tant que vous n'avez pas "
        "choisi, seuls les traceurs strictement nécessaires et la mesure d'audience exemptée "
        "fonctionnent : continuer à naviguer ne vaut pas accord.",
        "proof": "Pour pouvoir prouver votre choix, nous enregistrons chaque décision avec un "
        "identifiant aléatoire (sans votre adresse IP), la date, les textes qui vous étaient "
        "présentés et le bouton utilisé.",
        "gpc_h": "Signal Global Privacy Control (GPC)",
        "gpc": "Si votre navigateur envoie le signal Global Privacy Control, nous le lisons comme "
        "un refus des finalités suivantes : {purposes}. Nous ne vous les demandons alors pas ; "
        "vous pouvez toujours les autoriser vous-même dans « Gérer mes cookies », et nous "
        "enregistrons le signal avec votre choix.",
        "gpc_none": "Aucune de nos finalités n'est concernée par ce signal.",
        "rights_h": "Vos droits",
        "rights": "Vous disposez d'un droit d'accès, de rectification, d'effacement, de "
        "limitation, d'opposition et de portabilité sur vos données.",
        "withdraw": "Vous pouvez retirer votre consentement à tout moment, aussi simplement que "
        "vous l'avez donné : le lien « Gérer mes cookies », en bas de chaque page, rouvre vos "
        "choix tels qu'ils sont enregistrés ; décochez une finalité et enregistrez. Les traceurs "
        "déjà déposés pour cette finalité sont alors effacés. Le retrait ne remet pas en cause "
        "ce qui a été fait avant lui.",
        "exercise": "Pour exercer vos droits, écrivez à {contact}.",
        "complaint": "Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).",
        "updated": "Version de la politique : {version}",
    },
    "en": {
        "colon": ":",
        "intro": "This page describes the trackers (cookies and local storage) we use, why, for "
        "how long, and how to exercise your rights. It is produced from the same policy as the "
        "consent banner: what you read here is exactly what the banner applies.",
        "controller_h": "Data controller",
        "contact": "Contact and data protection officer",
        "purposes_h": "Purposes, services and trackers",
        "kind": "Kind",
        "kind_strictly_necessary": "Strictly necessary: exempt from consent",
        "kind_exempt_audience_measurement": "Audience measurement exempt from consent "
        "(you may object)",
        "kind_consent": "Needs your prior consent",
        "basis": "Legal basis of the processing that follows (GDPR Art. 6)",
        "basis_consent": "your consent (Art. 6(1)(a))",
        "basis_contract": "performance of a contract (Art. 6(1)(b))",
        "basis_legal_obligation": "a legal obligation (Art. 6(1)(c))",
        "basis_vital_interest": "vital interests (Art. 6(1)(d))",
        "basis_public_task": "a task in the public interest (Art. 6(1)(e))",
        "basis_legitimate_interest": "our legitimate interest (Art. 6(1)(f))",
        "refusal": "If you refuse",
        "retention": "Retention of the data collected",
        "retention_months": "at most {n} months",
        "retention_none": "nothing kept beyond the trackers' lifetime",
        "services": "Services",
        "provider": "Provider",
        "hosts": "Domains contacted",
        "hosts_none": "none: we host the service ourselves",
        "cookie": "Cookie",
        "lifetime": "Lifetime",
        "storage": "Local storage",
        "storage_lifetime": "until erased (erased as soon as you withdraw consent)",
        "pattern": "(every cookie whose name starts this way)",
        "exemption": "Exemption",
        "features": "Features that depend on it",
        "feature_comments": "comments",
        "feature_stats": "visit statistics",
        "choice_h": "Your choice and how long it lasts",
        "choice": "Your choice, consent or refusal alike, is kept for {days} days (about six "
        "months); we then ask again. Until you choose, only strictly necessary trackers and "
        "exempt audience measurement run: browsing on is not consent.",
        "proof": "To be able to prove your choice, we record each decision with a random "
        "identifier (without your IP address), the date, the texts you were shown and the "
        "control you used.",
        "gpc_h": "Global Privacy Control (GPC) signal",
        "gpc": "If your browser sends the Global Privacy Control signal, we read it as a refusal "
        "of the following purposes: {purposes}. We then do not ask you about them; you can "
        "still allow them yourself under “Manage cookies”, and we record the signal with your "
        "choice.",
        "gpc_none": "None of our purposes is covered by this signal.",
        "rights_h": "Your rights",
        "rights": "You have the rights of access, rectification, erasure, restriction, objection "
        "and portability over your data.",
        "withdraw": "You can withdraw your consent at any time, as easily as you gave it: the "
        "“Manage cookies” link at the bottom of every page reopens your choices as they are "
        "recorded; untick a purpose and save. The trackers already placed for that purpose are "
        "then erased. Withdrawal does not affect what was done before it.",
        "exercise": "To exercise your rights, write to {contact}.",
        "complaint": "You may also lodge a complaint with the CNIL (www.cnil.fr), the French "
        "data protection authority.",
        "updated": "Policy version: {version}",
    },
}

EXEMPTIONS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "consent_storage": "mémorisation de votre choix sur les cookies",
        "auth": "authentification",
        "auth_security": "sécurité de l'authentification",
        "cart": "panier d'achat",
        "ui_pref": "personnalisation de l'interface que vous demandez",
        "load_balancing": "répartition de charge",
        "metering": "compteur d'articles gratuits",
    },
    "en": {
        "consent_storage": "remembering your cookie choice",
        "auth": "authentication",
        "auth_security": "authentication security",
        "cart": "shopping basket",
        "ui_pref": "interface preferences you ask for",
        "load_balancing": "load balancing",
        "metering": "free-article counter",
    },
}

for _table in (UI, PRIVACY, EXEMPTIONS):
    _table["fr"] = {k: french(v) for k, v in _table["fr"].items()}

# The other (short) articles of the site: slug -> template stem. "Lire aussi" links to them.
ARTICLES: Final[dict[str, tuple[str, str]]] = {
    # slug: (French title, English title)
    "marche-croix-rousse": (
        "Croix-Rousse : le marché du boulevard s'étend jusqu'à la place",
        "Croix-Rousse: the boulevard market stretches to the square",
    ),
    "voie-lyonnaise-7": (
        "Vélo : la Voie lyonnaise n° 7 ouvrira à la rentrée",
        "Cycling: Voie lyonnaise no. 7 will open in September",
    ),
    "jazz-vienne": (
        "Vienne : le festival de jazz dévoile une affiche très vocale",
        "Vienne: the jazz festival unveils a line-up of singers",
    ),
}


for _slug, (_fr, _en) in list(ARTICLES.items()):
    ARTICLES[_slug] = (french(_fr), _en)


@dataclass(frozen=True)
class Comment:
    name: str
    text: str
    when: str


@dataclass
class _Audience:
    """Anonymous aggregate counts per path (AM-02): views, and distinct first-party ids."""

    views: dict[str, int] = field(default_factory=dict)
    visitors: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str, visitor: str) -> None:
        with self.lock:
            self.views[path] = self.views.get(path, 0) + 1
            self.visitors.setdefault(path, set()).add(visitor)

    def table(self) -> list[tuple[str, int, int]]:
        with self.lock:
            return sorted(
                ((p, n, len(self.visitors.get(p, ()))) for p, n in self.views.items()),
                key=lambda row: (-row[1], row[0]),
            )


class Publisher:
    """The publisher's pages and first-party endpoints, added to the bandeau app."""

    def __init__(
        self,
        policy: Policy,
        keys: KeyRing,
        *,
        api: str,
        social_origin: str,
        ads_origin: str,
    ) -> None:
        self.policy = policy
        self.keys = keys
        self.api = api
        self.social_origin = social_origin
        self.ads_origin = ads_origin
        self.audience = _Audience()
        self._comments_lock = threading.Lock()
        self.comments: dict[str, list[Comment]] = {
            "fr": [
                Comment(
                    "Hélène D.",
                    "Enfin\u00a0! Quarante camions de moins chaque jour sur l'A6, "
                    "c'est une excellente nouvelle pour Vaise.",
                    "il y a 2 heures",
                ),
                Comment(
                    "Marc-Antoine",
                    "Reste la question des écluses : à 7 km/h, il faudra "
                    "des clients patients. Mais bravo pour l'initiative.",
                    "il y a 1 heure",
                ),
            ],
            "en": [
                Comment(
                    "Helen D.",
                    "At last! Forty fewer lorries a day on the A6 is great news for Vaise.",
                    "2 hours ago",
                ),
                Comment(
                    "Mark",
                    "The locks remain the problem: at 7 km/h customers will need "
                    "patience. Still, well done.",
                    "1 hour ago",
                ),
            ],
        }
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

    # -------------------------------------------------------------- consent, server side

    def consent_of(self, request: Request) -> Consent:
        """What this reader allowed, from the signed consent cookie (fails closed)."""
        token = request.cookies.get(self.policy.cookie_name, "")
        payload = None
        if token:
            try:
                payload = read_token(token, self.keys.public)
            except TokenError:
                payload = None
        gpc = gpc_from_headers(request.headers.getlist("sec-gpc"))
        return evaluate(self.policy, payload, Signals(gpc=gpc), int(time.time()))

    def feature_allowed(self, request: Request, feature: str) -> bool:
        purposes = self.policy.features().get(feature, ())
        consent = self.consent_of(request)
        return bool(purposes) and all(consent.allows(p) for p in purposes)

    # -------------------------------------------------------------- rendering

    def csp(self, nonce: str) -> str:
        social, ads = self.social_origin, self.ads_origin
        return "; ".join(
            (
                "default-src 'self'",
                f"script-src 'self' 'nonce-{nonce}' {social} {ads}",
                f"style-src 'self' {social}",
                f"img-src 'self' data: {social} {ads}",
                f"frame-src {ads} {social}",
                "connect-src 'self'",
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

    def privacy_context(self, lang: str) -> dict[str, Any]:
        """Everything the privacy page says, from the policy (no text invented here)."""
        words = PRIVACY[lang]
        purposes = []
        for p in self.policy.purposes:
            text = p.text[lang]
            purposes.append(
                {
                    "key": p.key,
                    "name": text.name,
                    "description": text.description,
                    "refusal": text.refusal,
                    "kind": words[f"kind_{p.kind}"],
                    "basis": words[f"basis_{p.basis}"],
                    "retention": (
                        words["retention_months"].format(n=p.retention_months)
                        if p.retention_months
                        else words["retention_none"]
                    ),
                    "features": [words.get(f"feature_{f}", f) for f in p.features],
                    "services": [self._service(s, lang) for s in p.services],
                }
            )
        gpc_names = [p.text[lang].name for p in self.policy.purposes if p.gpc]
        gpc = (
            words["gpc"].format(
                purposes=", ".join(f"« {n} »" if lang == "fr" else f"“{n}”" for n in gpc_names)
            )
            if gpc_names
            else words["gpc_none"]
        )
        return {
            "w": words,
            "controller": self.policy.controller,
            "purposes": purposes,
            "gpc": gpc,
            "choice": words["choice"].format(days=self.policy.reprompt_after_days),
            "exercise": words["exercise"].format(contact=self.policy.controller.contact),
            "updated": words["updated"].format(version=self.policy.version),
        }

    def _service(self, s: Service, lang: str) -> dict[str, Any]:
        return {
            "name": s.name,
            "provider": s.provider,
            "hosts": list(s.hosts),
            "exemption": EXEMPTIONS[lang].get(s.exemption, "") if s.exemption else "",
            "justification": s.justification,
            "cookies": [
                {
                    "name": c.name,
                    "pattern": c.is_pattern,
                    "lifetime": lifetime_label(c.lifetime, lang),
                }
                for c in s.cookies
            ],
            "storage": list(s.storage),
        }

    # -------------------------------------------------------------- routes

    def mount(self, app: FastAPI) -> None:
        """Add the publisher's routes to `app` (outside the API's OpenAPI document)."""
        add = app.add_api_route

        async def article_fr(request: Request) -> Response:
            return self.article(request, "fr")

        async def article_en(request: Request) -> Response:
            return self.article(request, "en")

        async def en_root(request: Request) -> Response:
            return RedirectResponse("/en/", status_code=308)

        async def other_fr(slug: str, request: Request) -> Response:
            return self.other(request, "fr", slug)

        async def other_en(slug: str, request: Request) -> Response:
            return self.other(request, "en", slug)

        async def privacy_fr(request: Request) -> Response:
            return self.page(
                "privacy.html",
                "fr",
                request.url.path,
                title=UI["fr"]["privacy_title"],
                **self.privacy_context("fr"),
            )

        async def privacy_en(request: Request) -> Response:
            return self.page(
                "privacy.html",
                "en",
                request.url.path,
                title=UI["en"]["privacy_title"],
                **self.privacy_context("en"),
            )

        async def measure_fr(request: Request) -> Response:
            return self.measure_page(request, "fr")

        async def measure_en(request: Request) -> Response:
            return self.measure_page(request, "en")

        add("/", article_fr, methods=["GET"], include_in_schema=False)
        add("/en/", article_en, methods=["GET"], include_in_schema=False)
        add("/en", en_root, methods=["GET"], include_in_schema=False)
        add("/articles/{slug}", other_fr, methods=["GET"], include_in_schema=False)
        add("/en/articles/{slug}", other_en, methods=["GET"], include_in_schema=False)
        add("/confidentialite", privacy_fr, methods=["GET"], include_in_schema=False)
        add("/en/privacy", privacy_en, methods=["GET"], include_in_schema=False)
        add("/mesure", measure_fr, methods=["GET"], include_in_schema=False)
        add("/en/audience", measure_en, methods=["GET"], include_in_schema=False)
        add("/mesure.json", self.measure_json, methods=["GET"], include_in_schema=False)
        add("/mesure/vue", self.measure_hit, methods=["POST"], include_in_schema=False)
        add("/commentaires", self.post_comment, methods=["POST"], include_in_schema=False)
        add("/static/{name}", self.static_file, methods=["GET"], include_in_schema=False)
        add("/favicon.ico", self.favicon, methods=["GET"], include_in_schema=False)

    def article(
        self, request: Request, lang: str, notice: str = "", status: int = 200
    ) -> HTMLResponse:
        with self._comments_lock:
            comments = list(self.comments[lang])
        response = self.page(
            f"article_{lang}.html",
            lang,
            request.url.path,
            status,
            comments=comments,
            notice=notice,
        )
        # The publisher's own server sets an ad-targeting cookie on every article, declared
        # under "advertising": bandeau's middleware removes it unless the reader allowed it.
        response.set_cookie(
            TARGETING_COOKIE, "rubrique-locale", max_age=395 * 86400, path="/", samesite="lax"
        )
        return response

    def other(self, request: Request, lang: str, slug: str) -> HTMLResponse:
        if slug not in ARTICLES:
            return self.page("missing.html", lang, request.url.path, status=404, title="404")
        return self.page(
            f"article-{slug}.html",
            lang,
            request.url.path,
            slug=slug,
            title=ARTICLES[slug][0 if lang == "fr" else 1],
        )

    def measure_page(self, request: Request, lang: str) -> HTMLResponse:
        audience = self.policy.purpose("audience")
        return self.page(
            "measure.html",
            lang,
            request.url.path,
            title=UI[lang]["measure_title"],
            rows=self.audience.table(),
            purpose=audience.text[lang],
            retention=audience.retention_months,
        )

    async def measure_json(self, request: Request) -> Response:
        rows = [{"path": p, "views": v, "visitors": u} for p, v, u in self.audience.table()]
        return Response(
            json.dumps({"pages": rows}),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def measure_hit(self, request: Request) -> Response:
        """Count one page view (AM-01..05): path only, a site-only id, no IP kept.

        The id cookie is set once with a 13-month lifetime and never re-set, so its expiry
        does not move on later visits (AM-05). A reader who objected sends nothing (the
        script is gated on the audience purpose); the server checks it again.
        """
        if not self.consent_of(request).allows("audience"):
            return Response(status_code=204)
        body = await request.body()
        try:
            data = json.loads(body[:2048] or b"{}")
        except ValueError:
            data = {}
        path = data.get("path") if isinstance(data, dict) else None
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 200:
            return Response(status_code=204)
        path = urlsplit(path).path
        visitor = request.cookies.get(MEASURE_COOKIE, "")
        fresh = not (8 <= len(visitor) <= 64 and visitor.replace("-", "").isalnum())
        if fresh:
            visitor = secrets.token_hex(8)
        self.audience.count(path, visitor)
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        if fresh:
            days = self._measure_days()
            response.set_cookie(
                MEASURE_COOKIE,
                visitor,
                max_age=days * 86400,
                path="/",
                httponly=True,
                samesite="lax",
            )
        return response

    def _measure_days(self) -> int:
        for c in self.policy.purpose("audience").all_cookies():
            if c.matches(MEASURE_COOKIE) and c.lifetime:
                return c.lifetime
        return 395

    async def post_comment(self, request: Request) -> Response:
        """A comment from the form. It needs the social-networks purpose, checked here on the
        signed consent cookie, not only in the browser (S4)."""
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        lang = "en" if form.get("lang", ["fr"])[0] == "en" else "fr"
        if not self.feature_allowed(request, "comments"):
            return self.article(request, lang, notice=UI[lang]["comment_refused"], status=403)
        name = form.get("name", [""])[0].strip()
        text = form.get("text", [""])[0].strip()
        if not name or not text or len(name) > MAX_NAME_CHARS or len(text) > MAX_COMMENT_CHARS:
            return self.article(request, lang, notice=UI[lang]["comment_invalid"], status=422)
        when = "à l'instant" if lang == "fr" else "just now"
        with self._comments_lock:
            self.comments[lang].append(Comment(name, text, when))
        return RedirectResponse(f"{UI[lang]['home']}#commentaires", status_code=303)

    async def static_file(self, name: str) -> Response:
        data = self.static.get(name)
        if data is None:
            return Response("not found", status_code=404, media_type="text/plain")
        media = STATIC_TYPES[Path(name).suffix]
        return Response(
            data,
            media_type=media,
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    async def favicon(self) -> Response:
        return await self.static_file("favicon.svg")
