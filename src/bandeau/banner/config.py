"""The site config the banner is served with: everything it shows and every rule it applies,
derived from the policy. The banner applies the rule of `bandeau.consent` and
`bandeau.declarations` to it (tests/vectors/consent.json holds both to the same cases)."""

from __future__ import annotations

from typing import Any

from ..consent import Signals, defaults
from ..declarations import cookie_declarations, storage_declarations
from ..policy import Policy
from ..texts import DETAIL_KEYS, lifetime_label
from . import build_hash

__all__ = ["asset_version", "details_for", "partners", "site_config", "texts_for"]


def asset_version(policy: Policy) -> str:
    """The `?v=` that makes a banner URL cacheable for a year: it changes with the policy and
    with the banner's code, so neither is ever served stale."""
    return policy.version + build_hash()


def site_config(
    policy: Policy, api: str, lang: str | None = None, *, gpc_reader: bool = True
) -> dict[str, Any]:
    """Config for the banner of `policy`'s site in one language (default: the policy's).

    `api` is the absolute base of the site's API. Each language gets its own bundle so a page
    downloads only its own texts; `langs` lets the banner fetch the right one when the page's
    `<html lang>` differs from the bundle it was given. `gpc_reader`: False for a browser that
    sends no Global Privacy Control signal, which never shows the GPC sentence (`texts_for`).
    """
    lang = lang or policy.default_language
    plain = defaults(policy, Signals())
    purposes = [
        {
            "key": p.key,
            "kind": _KIND[p.kind],
            "digest": p.digest,
            "default": plain[p.key],
            "gpc": p.gpc,
            "features": list(p.features),
        }
        for p in policy.purposes
    ]
    # The declarations in precedence order, as `bandeau.declarations.resolve` reads them: the
    # banner resolves a cookie name or storage key to the first that matches.
    cookies = [[d.pattern, list(d.purposes), list(d.domains)] for d in cookie_declarations(policy)]
    storage = [[d.pattern, list(d.purposes)] for d in storage_declarations(policy)]
    return {
        "site": policy.site,
        "api": api,
        "version": policy.version,
        "cookie": {
            "name": policy.cookie_name,
            "days": policy.reprompt_after_days,
            "domain": policy.cookie_domain,
        },
        "privacy": policy.privacy_url(lang),
        "partners": len(partners(policy)),
        "lang": lang,
        "langs": list(policy.languages),
        "purposes": purposes,
        "cookies": cookies,
        "storage": storage,
        "texts": {lang: texts_for(policy, lang, gpc_reader=gpc_reader)},
    }


def texts_for(policy: Policy, lang: str, *, gpc_reader: bool = True) -> dict[str, Any]:
    """What the first layer says in `lang`: the banner's own words, the controller, each
    purpose's name and one-line summary. The rest waits for the preferences (`details_for`).

    The sentence saying why GPC-covered purposes are not asked (`gpc_notice`, GPC-03) goes
    only to a `gpc_reader`, and only when some purpose is covered by GPC: other readers never
    see it, and the first layer's bytes are within their budget by that much more."""
    ui = policy.ui_texts(lang)
    left_out = set(DETAIL_KEYS)
    if not (gpc_reader and any(p.gpc for p in policy.purposes)):
        left_out.add("gpc_notice")
    return {
        "ui": {k: v for k, v in ui.items() if k not in left_out},
        "controller": policy.controller.name,
        "purposes": {
            p.key: {"name": p.text[lang].name, "short": p.text[lang].short} for p in policy.purposes
        },
    }


def partners(policy: Policy) -> dict[str, dict[str, Any]]:
    """The third parties that receive data through the site (LAW-06, CNIL-05): each service's
    provider (its name when no provider is given) other than the controller itself, in policy
    order, with its privacy-policy link (the first given) and the purposes it serves."""
    found: dict[str, dict[str, Any]] = {}
    for p in policy.purposes:
        for s in p.services:
            name = s.provider or s.name
            if name == policy.controller.name:
                continue
            entry = found.setdefault(name, {"privacy_policy": "", "purposes": [], "services": []})
            entry["privacy_policy"] = entry["privacy_policy"] or s.privacy_policy
            if p.key not in entry["purposes"]:
                entry["purposes"].append(p.key)
            entry["services"].append(s.name)
    return found


def details_for(policy: Policy, lang: str) -> dict[str, Any]:
    """What the preferences add in `lang`: each purpose's description, what refusing changes, and
    its services with their provider, privacy policy, hosts, cookies and lifetimes; and the list
    of partners (LAW-06). Loaded when the reader opens the preferences, so the first layer
    downloads only what it shows."""
    ui = policy.ui_texts(lang)
    return {
        "ui": {k: ui[k] for k in DETAIL_KEYS},
        "partners": [
            {
                "name": name,
                "privacy_policy": entry["privacy_policy"],
                "purposes": [policy.purpose(k).text[lang].name for k in entry["purposes"]],
            }
            for name, entry in partners(policy).items()
        ],
        "purposes": {
            p.key: {
                "description": p.text[lang].description,
                "refusal": p.text[lang].refusal,
                "services": [
                    {
                        "name": s.name,
                        "provider": s.provider,
                        "privacy_policy": s.privacy_policy,
                        "hosts": list(s.hosts),
                        "cookies": [
                            {"name": c.name, "lifetime": lifetime_label(c.lifetime, lang)}
                            for c in s.cookies
                        ],
                    }
                    for s in p.services
                ],
            }
            for p in policy.purposes
        },
    }


_KIND = {
    "strictly_necessary": "necessary",
    "exempt_audience_measurement": "exempt",
    "consent": "consent",
}
