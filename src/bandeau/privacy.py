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
every language of `bandeau.texts.LANGUAGES` (the `[privacy]` table of each file in
`bandeau/locales/`; `PRIVACY_TEXTS` here), as data.
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
from .texts import LOCALES, days_label, lifetime_label

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

PRIVACY_TEXTS: Final[dict[str, dict[str, str]]] = {
    lang: locale.privacy_words() for lang, locale in LOCALES.items()
}
PRIVACY_LANGUAGES: Final = frozenset(PRIVACY_TEXTS)
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
    gpc_names = [words["quote"].format(name=p.text[lang].name) for p in policy.purposes if p.gpc]
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
            _retention(p.retention_months, lang) if p.retention_months else words["retention_none"]
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


def _retention(months: int, lang: str) -> str:
    locale = LOCALES[lang]
    return locale.counted(locale.privacy["retention_months"], months)


def _duration(days: int, lang: str) -> str:
    """'183 jours (6 mois)': the exact figure, and the months a reader counts in."""
    exact = days_label(days, lang)
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
