"""A site's privacy-policy page, generated from its policy (S8, CNIL-05, LAW-06, LAW-07, AM-05).

The page and the banner come from the same `Policy`, so they cannot disagree: the controller,
each purpose with its kind, legal basis, retention and what refusing changes, each service with
its provider, hosts, cookies and lifetimes, the exempt audience measurement's terms, how long a
choice lasts, how Global Privacy Control is read, the reader's rights and how to withdraw.

- `render_privacy_page(policy, lang)`: a complete HTML document (the bandeau server serves it at
  `GET /v1/sites/{site}/privacy`);
- `render_privacy_section(policy, lang)`: the same content as one `<article>`, for a site that
  puts it in its own layout (the demo does).

Everything that comes from the policy is HTML-escaped. The sentences around it are built in, in
French and English (`PRIVACY_TEXTS`), as data.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .errors import InvalidRequest
from .policy import Cookie, Policy, Purpose, Service
from .texts import LIFETIME_UNITS, lifetime_label

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "PAGE_CSP",
    "PRIVACY_LANGUAGES",
    "PRIVACY_TEXTS",
    "render_privacy_page",
    "render_privacy_section",
]

TEMPLATES: Final = Path(__file__).parent / "templates"
PAGE_STYLE: Final = (TEMPLATES / "privacy.css").read_text(encoding="utf-8")
# What the complete page may load: nothing but its own inline stylesheet, named by its hash.
PAGE_CSP: Final = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()
    + "'; base-uri 'none'; form-action 'none'"
)

_FR_SPACE_BEFORE: Final = re.compile(r" ([:;!?»])")
NARROW_NBSP: Final = "\u202f"


def _french(text: str) -> str:
    """French typography, as in texts.py: a narrow no-break space before : ; ! ? » and after «,
    so that no line starts with a lone colon."""
    return _FR_SPACE_BEFORE.sub(NARROW_NBSP + r"\1", text).replace("« ", "«" + NARROW_NBSP)


# The page's own sentences; everything specific to the site comes from the policy.
# `{manage}` is the banner's "manage cookies" label (policy.ui_texts), so the page names the
# control the reader actually sees.
_FR: Final[dict[str, str]] = {
    "title": "Politique de confidentialité et cookies",
    "colon": " :",
    "intro": "Cette page décrit les traceurs (cookies et stockage local) que nous utilisons, "
    "pourquoi, pour combien de temps, et comment exercer vos droits. Elle est produite à partir "
    "de la même politique que le bandeau de consentement : ce que vous lisez ici est exactement "
    "ce que le bandeau applique.",
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
    "provider": "Fournisseur",
    "provider_policy": "Politique de confidentialité du fournisseur",
    "hosts": "Domaines contactés",
    "hosts_none": "aucun : le service est hébergé par nous",
    "cookies_caption": "Traceurs de {service}",
    "cookie": "Traceur",
    "lifetime": "Durée de vie",
    "storage": "stockage local",
    "storage_lifetime": "jusqu'à son effacement (effacé dès que vous retirez votre accord)",
    "pattern": "(tous les cookies dont le nom commence ainsi)",
    "cross_site": "(partagé avec d'autres sites)",
    "exemption": "Exemption",
    "exemption_consent_storage": "mémorisation de votre choix sur les cookies",
    "exemption_auth": "authentification",
    "exemption_auth_security": "sécurité de l'authentification",
    "exemption_cart": "panier d'achat",
    "exemption_ui_pref": "personnalisation de l'interface que vous demandez",
    "exemption_load_balancing": "répartition de charge",
    "exemption_metering": "compteur d'articles gratuits",
    "audience_h": "Conditions de l'exemption",
    "audience_purpose": "la mesure sert uniquement à connaître la fréquentation de ce site et "
    "à l'améliorer, pour notre seul compte ;",
    "audience_anonymous": "elle ne produit que des statistiques anonymes ;",
    "audience_no_transfer": "ses données ne sont ni recoupées avec d'autres traitements ni "
    "transmises à des tiers ;",
    "audience_no_tracking": "elle ne vous suit pas d'un site à l'autre ;",
    "audience_lifetime": "ses traceurs vivent 13 mois au plus, comptés depuis leur premier "
    "dépôt et jamais prolongés par vos visites suivantes ;",
    "audience_object": "vous pouvez vous y opposer à tout moment dans « {manage} ».",
    "choice_h": "Votre choix et sa durée",
    "choice": "Votre choix, qu'il s'agisse d'un accord ou d'un refus, est conservé {duration} ; "
    "nous vous redemandons ensuite. Tant que vous n'avez pas choisi, seuls les traceurs "
    "strictement nécessaires et la mesure d'audience exemptée fonctionnent : continuer à "
    "naviguer ne vaut pas accord.",
    "proof": "Pour pouvoir prouver votre choix, nous enregistrons chaque décision avec un "
    "identifiant aléatoire (sans votre adresse IP), la date, les textes qui vous étaient "
    "présentés et le bouton utilisé.",
    "gpc_h": "Signal Global Privacy Control (GPC)",
    "gpc": "Si votre navigateur envoie le signal Global Privacy Control, nous le lisons comme un "
    "refus des finalités suivantes : {purposes}. Nous ne vous les demandons alors pas ; vous "
    "pouvez toujours les autoriser vous-même dans « {manage} », et nous enregistrons le signal "
    "avec votre choix.",
    "gpc_none": "Aucune de nos finalités n'est concernée par ce signal.",
    "rights_h": "Vos droits",
    "rights": "Vous disposez d'un droit d'accès, de rectification, d'effacement, de limitation, "
    "d'opposition et de portabilité sur vos données.",
    "withdraw": "Vous pouvez retirer votre consentement à tout moment, aussi simplement que vous "
    "l'avez donné : le lien « {manage} », présent sur chaque page du site, rouvre vos choix tels "
    "qu'ils sont enregistrés ; décochez une finalité et enregistrez. Les traceurs déjà déposés "
    "pour cette finalité sont alors effacés. Le retrait ne remet pas en cause ce qui a été fait "
    "avant lui.",
    "exercise": "Pour exercer vos droits, écrivez à {contact}.",
    "complaint": "Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).",
    "updated": "Version de la politique : {version}",
    "back": "Retour au site",
}

_EN: Final[dict[str, str]] = {
    "title": "Privacy and cookie policy",
    "colon": ":",
    "intro": "This page describes the trackers (cookies and local storage) we use, why, for how "
    "long, and how to exercise your rights. It is produced from the same policy as the consent "
    "banner: what you read here is exactly what the banner applies.",
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
    "provider": "Provider",
    "provider_policy": "The provider's privacy policy",
    "hosts": "Domains contacted",
    "hosts_none": "none: we host the service ourselves",
    "cookies_caption": "Trackers of {service}",
    "cookie": "Tracker",
    "lifetime": "Lifetime",
    "storage": "local storage",
    "storage_lifetime": "until erased (erased as soon as you withdraw consent)",
    "pattern": "(every cookie whose name starts this way)",
    "cross_site": "(shared with other sites)",
    "exemption": "Exemption",
    "exemption_consent_storage": "remembering your cookie choice",
    "exemption_auth": "authentication",
    "exemption_auth_security": "authentication security",
    "exemption_cart": "shopping basket",
    "exemption_ui_pref": "interface preferences you ask for",
    "exemption_load_balancing": "load balancing",
    "exemption_metering": "free-article counter",
    "audience_h": "Terms of the exemption",
    "audience_purpose": "the measurement only serves to know and improve how this site is "
    "read, for us alone;",
    "audience_anonymous": "it produces anonymous statistics only;",
    "audience_no_transfer": "its data are neither combined with other processing nor passed "
    "on to third parties;",
    "audience_no_tracking": "it does not follow you from one site to another;",
    "audience_lifetime": "its trackers live at most 13 months, counted from when they are first "
    "set and never extended by your later visits;",
    "audience_object": "you can object to it at any time under “{manage}”.",
    "choice_h": "Your choice and how long it lasts",
    "choice": "Your choice, consent or refusal alike, is kept for {duration}; we then ask "
    "again. Until you choose, only strictly necessary trackers and exempt audience measurement "
    "run: browsing on is not consent.",
    "proof": "To be able to prove your choice, we record each decision with a random identifier "
    "(without your IP address), the date, the texts you were shown and the control you used.",
    "gpc_h": "Global Privacy Control (GPC) signal",
    "gpc": "If your browser sends the Global Privacy Control signal, we read it as a refusal of "
    "the following purposes: {purposes}. We then do not ask you about them; you can still "
    "allow them yourself under “{manage}”, and we record the signal with your choice.",
    "gpc_none": "None of our purposes is covered by this signal.",
    "rights_h": "Your rights",
    "rights": "You have the rights of access, rectification, erasure, restriction, objection "
    "and portability over your data.",
    "withdraw": "You can withdraw your consent at any time, as easily as you gave it: the "
    "“{manage}” link on every page of the site reopens your choices as they are recorded; "
    "untick a purpose and save. The trackers already placed for that purpose are then erased. "
    "Withdrawal does not affect what was done before it.",
    "exercise": "To exercise your rights, write to {contact}.",
    "complaint": "You may also lodge a complaint with the CNIL (www.cnil.fr), the French data "
    "protection authority.",
    "updated": "Policy version: {version}",
    "back": "Back to the site",
}

PRIVACY_TEXTS: Final[dict[str, dict[str, str]]] = {
    "fr": {key: _french(text) for key, text in _FR.items()},
    "en": dict(_EN),
}
PRIVACY_LANGUAGES: Final = frozenset(PRIVACY_TEXTS)
_QUOTES: Final = {"fr": "«" + NARROW_NBSP + "{}" + NARROW_NBSP + "»", "en": "“{}”"}
_AUDIENCE_TERMS: Final = (
    "audience_purpose",
    "audience_anonymous",
    "audience_no_transfer",
    "audience_no_tracking",
    "audience_lifetime",
)


def render_privacy_page(policy: Policy, lang: str | None = None) -> str:
    """The site's privacy policy as a complete, standalone HTML page in `lang` (default: the
    policy's default language): `<html lang>`, a title, one `<main>`, headings in order, tables
    with header cells, and one small inline stylesheet allowed by `PAGE_CSP`.

    Raises `InvalidRequest` (field "lang") for a language the policy does not have, or one with
    no built-in words (`PRIVACY_LANGUAGES`).
    """
    from markupsafe import Markup

    context = _context(policy, _language(policy, lang), manage_button=False)
    # The stylesheet is ours and must stay byte for byte what PAGE_CSP's hash names.
    style = Markup(PAGE_STYLE)  # noqa: S704
    return _templates().get_template("privacy_page.html").render(style=style, **context)


def render_privacy_section(
    policy: Policy, lang: str | None = None, *, manage_button: bool = False
) -> str:
    """The same content as `render_privacy_page`, as one `<article class="bandeau-privacy">`
    starting with its `<h1>`, to place in a site's own layout. `manage_button=True` adds a
    `<button data-bandeau-open>` that reopens the reader's choices: only useful on a page that
    loads the banner."""
    context = _context(policy, _language(policy, lang), manage_button=manage_button)
    return _templates().get_template("privacy_section.html").render(**context)


@functools.cache
def _templates() -> Environment:
    """The templates, loaded on first use (importing bandeau does not import Jinja)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _language(policy: Policy, lang: str | None) -> str:
    chosen = policy.default_language if lang is None else lang
    if chosen not in policy.languages:
        raise InvalidRequest(
            f"language {chosen!r} is not one of the site's languages {list(policy.languages)}",
            field="lang",
        )
    if chosen not in PRIVACY_TEXTS:
        raise InvalidRequest(
            f"the privacy page has no built-in words in {chosen!r}",
            field="lang",
            hint=f"ask for one of {sorted(PRIVACY_LANGUAGES & set(policy.languages))}",
        )
    return chosen


def _context(policy: Policy, lang: str, *, manage_button: bool) -> dict[str, Any]:
    """Everything the templates show, from the policy and the built-in words (no HTML here:
    the templates escape every value)."""
    words = PRIVACY_TEXTS[lang]
    manage = policy.ui_texts(lang).get("manage", "")
    gpc_names = [_QUOTES[lang].format(p.text[lang].name) for p in policy.purposes if p.gpc]
    gpc = words["gpc"].format(purposes=", ".join(gpc_names), manage=manage)
    controller = policy.controller
    return {
        "lang": lang,
        "w": words,
        "controller": controller,
        "contact_href": _contact_href(controller.contact),
        "purposes": [_purpose(p, lang, manage) for p in policy.purposes],
        "gpc": gpc if gpc_names else words["gpc_none"],
        "choice": words["choice"].format(duration=_duration(policy.reprompt_after_days, lang)),
        "withdraw": words["withdraw"].format(manage=manage),
        "exercise": words["exercise"].format(contact=controller.contact),
        "updated": words["updated"].format(version=policy.version),
        "manage": manage,
        "manage_button": manage_button,
        "site_url": policy.origins[0] + "/",
    }


def _purpose(p: Purpose, lang: str, manage: str) -> dict[str, Any]:
    words = PRIVACY_TEXTS[lang]
    text = p.text[lang]
    terms = []
    if p.kind == "exempt_audience_measurement":  # AM-01..05, stated where the reader looks
        terms = [words[key] for key in _AUDIENCE_TERMS]
        terms.append(words["audience_object"].format(manage=manage))
    return {
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
        "audience_terms": terms,
        "services": [_service(s, lang) for s in p.services],
    }


def _service(s: Service, lang: str) -> dict[str, Any]:
    words = PRIVACY_TEXTS[lang]
    return {
        "name": s.name,
        "provider": s.provider,
        "policy_url": s.privacy_policy if _is_web_url(s.privacy_policy) else "",
        "policy_text": "" if _is_web_url(s.privacy_policy) else s.privacy_policy,
        "hosts": list(s.hosts),
        "exemption": words[f"exemption_{s.exemption}"] if s.exemption else "",
        "justification": s.justification,
        "cookies": [_cookie(c, lang) for c in s.cookies],
        "storage": list(s.storage),
    }


def _cookie(c: Cookie, lang: str) -> dict[str, Any]:
    return {
        "name": c.name,
        "pattern": c.is_pattern,
        "cross_site": c.cross_site,
        "lifetime": lifetime_label(c.lifetime, lang),
    }


def _duration(days: int, lang: str) -> str:
    """'183 jours (6 mois)': the exact figure, and the months a reader counts in."""
    day, days_word = LIFETIME_UNITS[lang][:2]
    exact = f"{days} {day if days == 1 else days_word}"
    rounded = lifetime_label(days, lang)
    return exact if rounded == exact else f"{exact} ({rounded})"


def _is_web_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _contact_href(contact: str) -> str:
    """A link for the controller's contact: a web address as is, an e-mail address as mailto:,
    anything else (a postal address, a phone number) no link."""
    if _is_web_url(contact):
        return contact
    if re.fullmatch(r"[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+", contact):
        return "mailto:" + contact
    return ""
