"""The site config the banner is served with: everything it shows and every rule it applies,
derived from the policy (and, for defaults, from the pure rule in `consent`)."""

from __future__ import annotations

from typing import Any

from ..consent import Signals, defaults
from ..policy import Policy
from ..texts import lifetime_label

__all__ = ["site_config"]


def site_config(policy: Policy, api: str, lang: str | None = None) -> dict[str, Any]:
    """Config for the banner of `policy`'s site in one language (default: the policy's).

    `api` is the absolute base of the site's API. Each language gets its own bundle so a page
    downloads only its own texts; `langs` lets the banner fetch the right one when the page's
    `<html lang>` differs from the bundle it was given.
    """
    lang = lang or policy.default_language
    plain, gpc = defaults(policy, Signals(gpc=False)), defaults(policy, Signals(gpc=True))
    purposes = [
        {
            "key": p.key,
            "kind": _KIND[p.kind],
            "digest": p.digest,
            "default": plain[p.key],
            "gpc_default": gpc[p.key],
            "gpc": p.gpc,
            "features": list(p.features),
            "cookies": [{"name": c.name, "domain": c.domain} for c in p.all_cookies()],
            "storage": p.all_storage(),
        }
        for p in policy.purposes
    ]
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
        "lang": lang,
        "langs": list(policy.languages),
        "purposes": purposes,
        "texts": {lang: texts_for(policy, lang)},
    }


def texts_for(policy: Policy, lang: str) -> dict[str, Any]:
    """Everything the banner says in `lang`: its own words, the controller, each purpose."""
    return {
        "ui": policy.ui_texts(lang),
        "controller": policy.controller.name,
        "purposes": {
            p.key: {
                "name": p.text[lang].name,
                "short": p.text[lang].short,
                "description": p.text[lang].description,
                "refusal": p.text[lang].refusal,
                "services": [
                    {
                        "name": s.name,
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
