"""The TCF mode's script for one site and language: `dist/tcf.js` (built from
`bandeau/banner/tcf.js`) with the site's TCF and Consent Mode config inlined. Served as
`tcf.js`, only to sites whose policy has `[tcf]` or `[consent_mode]`; not part of the first
layer's budget (DESIGN 7: its own, 12 KB on the wire)."""

from __future__ import annotations

import hashlib
import time
from functools import cache
from importlib import resources
from typing import Any

from ..policy import Policy
from ..texts import LOCALES
from .gpp import TCF_EU_V2, GppString
from .gvl import Vendor
from .publisher import Snapshot, TcfChoices, TcfSite
from .translations import Texts

__all__ = ["TCF_TOKEN", "tcf_config", "tcf_notice", "tcf_script", "tcf_script_hash"]

TCF_TOKEN = "__BANDEAU_TCF__"  # noqa: S105 (a placeholder, not a secret)


@cache
def shipped_tcf() -> bytes:
    data = (resources.files("bandeau.banner") / "dist" / "tcf.js").read_bytes()
    if data.count(TCF_TOKEN.encode()) != 1:
        raise RuntimeError(f"dist/tcf.js must contain the token {TCF_TOKEN} exactly once")
    return data


@cache
def tcf_script_hash() -> str:
    return hashlib.sha256(shipped_tcf()).hexdigest()[:16]


def tcf_script(config: dict[str, Any]) -> bytes:
    from ..banner import _config_json  # the same safe inlining as the first layer's

    return shipped_tcf().replace(TCF_TOKEN.encode(), _config_json(config).encode("utf-8"))


def tcf_texts(lang: str) -> dict[str, str]:
    """The TCF mode's words in `lang` (the `[tcf]` table of its locale file)."""
    locale = LOCALES.get(lang) or LOCALES["en"]
    return dict(locale.tcf)


def tcf_config(policy: Policy, site: TcfSite | None, api: str, lang: str) -> dict[str, Any]:
    """What tcf.js needs: the narrowed vendor list as the interface shows it, what each choice
    can be, the publisher restrictions, and the Consent Mode signals."""
    gcm = policy.consent_mode
    return {
        "api": api,
        "cookie": policy.cookie_name + "_tc",
        "cookieDomain": policy.cookie_domain,
        "tcf": None if site is None else tcf_part(site, lang),
        "gcm": gcm
        and {
            "signals": {s: list(terms) for s, terms in gcm.signals(site is not None).items()},
            "wait": gcm.wait_for_update,
            "region": list(gcm.region),
            "redact": gcm.ads_data_redaction,
            "passthrough": gcm.url_passthrough,
            "mode": gcm.mode,
        },
        "texts": tcf_texts(lang),
    }


def tcf_part(site: TcfSite, lang: str) -> dict[str, Any]:
    snapshot = site.snapshot()
    gvl = snapshot.gvl
    texts = site.texts(lang, snapshot)
    offered = snapshot.everything()
    shown = snapshot.used_purposes()
    return {
        "cmpId": site.section.cmp_id,
        "cmpVersion": site.section.cmp_version,
        "gdprApplies": site.section.gdpr_applies,
        "policyVersion": gvl.tcfPolicyVersion,
        "vendorListVersion": gvl.vendorListVersion,
        "publisherCC": site.section.publisher_country,
        "page": site.section.vendor_list_page,
        "language": texts.language,
        "purposes": described(texts, "purposes", shown),
        "stacks": [
            [*texts.tables["stacks"][i], gvl.stacks[i].purposes, gvl.stacks[i].specialFeatures]
            for i in site.section.stacks
        ],
        "consent": sorted(snapshot.consent_purposes),
        "li": sorted(snapshot.li_purposes),
        "specialFeatures": described(texts, "specialFeatures", set(snapshot.special_features)),
        "specialPurposes": named(texts, "specialPurposes"),
        "features": named(texts, "features"),
        "dataCategories": named(texts, "dataCategories"),
        "vendors": [vendor_entry(site, snapshot, v) for v in gvl.vendors.values()],
        "vendorConsents": sorted(offered["vendorConsents"]),
        "vendorLI": sorted(offered["vendorLegitimateInterests"]),
        "restrictions": [
            [r.purposeId, r.restrictionType, sorted(r.vendorIds)] for r in snapshot.restrictions
        ],
        "initial": initial_string(site, snapshot, lang),
        "gppHeader": GppString({TCF_EU_V2: ""}).encode().split("~")[0],
    }


def described(texts: Texts, kind: str, ids: set[int]) -> dict[int, list[str]]:
    """id -> [name, description] for the entries of `kind` shown, in the reader's language."""
    return {i: list(entry) for i, entry in texts.tables[kind].items() if i in ids}


def named(texts: Texts, kind: str) -> dict[int, list[str]]:
    return {i: [name] for i, (name, _) in texts.tables[kind].items()}


def vendor_entry(site: TcfSite, snapshot: Snapshot, vendor: Vendor) -> dict[str, Any]:
    """One vendor as the vendor list shows it (TCF-UI-01): the purposes the publisher accepts
    on each basis, what it declares besides, retention, data, storage and its links."""
    declared = site.section.vendor(vendor.id)
    url = next((u for u in vendor.urls if u.langId.lower() == "en"), vendor.urls[0])
    retention = vendor.dataRetention.stdRetention if vendor.dataRetention else None
    return {
        "id": vendor.id,
        "name": vendor.name,
        "purposes": list(declared.consent_purposes),
        "legIntPurposes": list(declared.legitimate_interest_purposes),
        "specialPurposes": vendor.specialPurposes,
        "features": vendor.features,
        "specialFeatures": vendor.specialFeatures,
        "dataDeclaration": vendor.dataDeclaration,
        "retention": retention,
        "usesCookies": bool(vendor.usesCookies),
        "cookieMaxAgeSeconds": vendor.cookieMaxAgeSeconds or 0,
        "usesNonCookieAccess": bool(vendor.usesNonCookieAccess),
        "deviceStorageDisclosureUrl": vendor.deviceStorageDisclosureUrl,
        "privacy": url.privacy,
        "legIntClaim": url.legIntClaim,
    }


def initial_string(site: TcfSite, snapshot: Snapshot, lang: str) -> str:
    """The string while the interface shows (TCF-14 cmpuishown): no consent, the legitimate
    interests of the vendors shown not objected to."""
    offered = snapshot.everything()
    choices = TcfChoices(
        vendorListVersion=snapshot.gvl.vendorListVersion,
        purposeLegitimateInterests=sorted(offered["purposeLegitimateInterests"]),
        vendorLegitimateInterests=sorted(offered["vendorLegitimateInterests"]),
    )
    part = site.decision_part(choices, "save", lang, int(time.time() * 1000))
    return str(part["tcString"])


def tcf_notice(policy: Policy, lang: str, site: TcfSite | None = None) -> dict[str, Any]:
    """What the notice archive (`bandeau.notices`) keeps of the TCF mode: the policy's
    `[tcf]` and `[consent_mode]` sections, the words in `lang`, the script's build and, with
    the served `site`, the purposes' texts shown in `lang` (`purposes`: their language, the
    archived translation they come from, and each text). The vendor list changes without the
    policy: each record names the version it was shown (`tcf.vendorList`, an
    `ArchivedList.reference` of the server's vendor list archive) and the translation
    (`tcf.purposeTexts`)."""
    notice: dict[str, Any] = {
        "section": policy.tcf.model_dump(mode="json") if policy.tcf else None,
        "consent_mode": policy.consent_mode.model_dump(mode="json")
        if policy.consent_mode
        else None,
        "words": tcf_texts(lang),
        "script": tcf_script_hash(),
    }
    if site is not None:
        snapshot = site.snapshot()
        texts = site.texts(lang, snapshot)
        notice["purposes"] = {
            "language": texts.language,
            "translation": texts.reference,
            "vendorList": snapshot.reference,
            "texts": {
                kind: {str(i): list(t) for i, t in table.items()}
                for kind, table in texts.tables.items()
            },
        }
    return notice
