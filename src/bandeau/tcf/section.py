"""The policy's ad-tech sections: `[tcf]` (IAB TCF v2.3, with the vendors the publisher works
with) and `[consent_mode]` (Google Consent Mode v2). `bandeau.policy.Policy` holds them; each
mistake names the field and the fix, like the rest of the policy.

    [tcf]
    cmp_id = 999                      # the IAB's id for your CMP; 999 is a fake one (tests)
    vendor_list = "vendor-list.json"  # a file (relative to the policy) or an http(s) URL
    [[tcf.vendors]]
    id = 755
    consent_purposes = [1, 3, 4]
    legitimate_interest_purposes = [2, 7]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["SIGNALS", "ConsentModeSection", "TcfSection", "TcfVendor"]

# Purposes on which legitimate interest is never allowed (TCF-07, policy v4).
CONSENT_ONLY: Final = frozenset({1, 3, 4, 5, 6})
COUNTRY_RE: Final = re.compile(r"^[A-Z]{2}$")
REGION_RE: Final = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
TERM_RE: Final = re.compile(r"^(tcf:([1-9]|1[01])|[a-z][a-z0-9_-]{0,31})$")

# GCM-01: the seven Consent Mode parameters, always all sent (GCM-05: unset is not denied).
SIGNALS: Final = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)
# GCM-05, with TCF on: ad signals from purposes 1 (device storage), 3 and 4 (personalised
# ads); analytics from 1, 8 and 9 (measurement, audiences). The others stay denied unless the
# policy maps them.
TCF_MAPPING: Final[dict[str, tuple[str, ...]]] = {
    "ad_storage": ("tcf:1", "tcf:3", "tcf:4"),
    "ad_user_data": ("tcf:1", "tcf:3", "tcf:4"),
    "ad_personalization": ("tcf:1", "tcf:3", "tcf:4"),
    "analytics_storage": ("tcf:1", "tcf:8", "tcf:9"),
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TcfVendor(_Section):
    """A vendor the publisher works with, by GVL id, and the purposes it accepts for it on each
    legal basis (a subset of what the vendor declares, or of its flexible purposes)."""

    id: int = Field(ge=1, le=65535, description="the vendor's id in the Global Vendor List")
    consent_purposes: tuple[int, ...] = ()
    legitimate_interest_purposes: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _bases(self) -> TcfVendor:
        for name in ("consent_purposes", "legitimate_interest_purposes"):
            bad = [p for p in getattr(self, name) if not 1 <= p <= 11]
            if bad:
                raise ValueError(f"{name}: {bad} are not TCF purposes (1 to 11)")
        both = sorted(set(self.consent_purposes) & set(self.legitimate_interest_purposes))
        if both:
            raise ValueError(f"purposes {both} are accepted on both bases: keep one for each")
        forbidden = sorted(set(self.legitimate_interest_purposes) & CONSENT_ONLY)
        if forbidden:
            raise ValueError(
                f"legitimate_interest_purposes: {forbidden} need consent (TCF-07: purposes 1 "
                "and 3 to 6 never rest on legitimate interest); move them to consent_purposes"
            )
        return self


class TcfSection(_Section):
    """`[tcf]`: the site speaks IAB TCF v2.3 (the banner's TCF mode, the TC string)."""

    cmp_id: int = Field(
        ge=2,
        le=4095,
        description="the CMP id IAB Europe assigned to your registered CMP (999: a fake one)",
    )
    cmp_version: int = Field(default=1, ge=1, le=4095)
    vendor_list: str = Field(
        min_length=1,
        description="the Global Vendor List: a file (relative to the policy file; `#key` picks "
        "a key of a JSON file) or an http(s) URL of the publisher's own copy",
    )
    publisher_country: str = "FR"
    gdpr_applies: bool = True
    vendors: tuple[TcfVendor, ...] = Field(min_length=1)
    vendor_list_page: str = Field(
        default="", description="a page listing the vendors; empty = the banner's own list"
    )
    translations: str = Field(
        default="",
        description="where the IAB's translations of the purposes are: a file (relative to the "
        "policy file) or an http(s) URL with `{lang}` for the language, e.g. "
        '"gvl/purposes-{lang}.json"; empty = `purposes-{lang}.json` beside the vendor list',
    )
    stacks: tuple[int, ...] = Field(
        default=(),
        description="stacks of the vendor list the first layer presents in place of the "
        "purposes they group (TCF-UI-01); their purposes must be used, none in two stacks",
    )

    @field_validator("publisher_country")
    @classmethod
    def _country(cls, v: str) -> str:
        if not COUNTRY_RE.fullmatch(v):
            raise ValueError(f'{v!r} is not a country code: two capital letters, e.g. "FR"')
        return v

    @field_validator("vendors")
    @classmethod
    def _unique(cls, v: tuple[TcfVendor, ...]) -> tuple[TcfVendor, ...]:
        ids = [vendor.id for vendor in v]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"vendors {twice} are declared twice: declare each once")
        return v

    @field_validator("translations")
    @classmethod
    def _translations(cls, v: str) -> str:
        if v and "{lang}" not in v:
            raise ValueError(
                f"{v!r} names one file for every language: put {{lang}} where the language "
                'goes, e.g. "purposes-{lang}.json"'
            )
        return v

    @field_validator("stacks")
    @classmethod
    def _stacks(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        twice = sorted({i for i in v if v.count(i) > 1})
        if twice:
            raise ValueError(f"stacks {twice} are listed twice: list each once")
        bad = [i for i in v if i < 1]
        if bad:
            raise ValueError(f"{bad} are not stack ids: use the ids of the vendor list's stacks")
        return v

    def is_url(self) -> bool:
        return self.vendor_list.startswith(("https://", "http://"))

    def vendor(self, vendor_id: int) -> TcfVendor:
        return next(v for v in self.vendors if v.id == vendor_id)


class ConsentModeSection(_Section):
    """`[consent_mode]`: Google Consent Mode v2 signals from the reader's choice (GCM-01…06)."""

    mode: Literal["basic", "advanced"] = Field(
        default="basic",
        description="basic: Google tags wait for consent; advanced: they load at once and "
        "send cookieless pings (GCM-03; legal sign-off needed in France)",
    )
    ads_data_redaction: bool = True
    url_passthrough: bool = False
    wait_for_update: int = Field(default=500, ge=0, le=10000, description="milliseconds")
    region: tuple[str, ...] = ()
    mapping: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="signal -> the purposes that must all be allowed to grant it: a policy "
        "purpose key, or `tcf:N` for TCF purpose N",
    )

    @field_validator("region")
    @classmethod
    def _region(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for code in v:
            if not REGION_RE.fullmatch(code):
                raise ValueError(f'region {code!r}: write ISO 3166 codes such as "FR", "ES-CT"')
        return v

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for signal, terms in v.items():
            if signal not in SIGNALS:
                raise ValueError(f"mapping: {signal!r} is not a signal: use {', '.join(SIGNALS)}")
            bad = [t for t in terms if not TERM_RE.fullmatch(t)]
            if bad:
                raise ValueError(
                    f"mapping.{signal}: {bad} are neither purpose keys nor `tcf:1`…`tcf:11`"
                )
        return v

    def signals(self, tcf: bool) -> dict[str, tuple[str, ...]]:
        """Every signal and the purposes it needs (GCM-05 defaults under the policy's own
        mapping); an empty tuple means always denied."""
        base = TCF_MAPPING if tcf else {}
        return {s: self.mapping.get(s, base.get(s, ())) for s in SIGNALS}


def mapping_problems(
    consent_mode: ConsentModeSection, tcf: bool, purposes: Mapping[str, str]
) -> list[str]:
    """What the whole policy makes wrong in `[consent_mode]`: `purposes` maps each purpose key
    to its kind. A term names a purpose that needs asking, or a TCF purpose when TCF is on; an
    ad signal must be mapped when there is no TCF to take defaults from (GCM-05)."""
    problems = []
    for signal, terms in consent_mode.signals(tcf).items():
        for term in terms:
            if term.startswith("tcf:") and not tcf:
                problems.append(f"consent_mode.mapping.{signal}: {term!r} needs a [tcf] section")
            elif not term.startswith("tcf:") and term not in purposes:
                problems.append(f"consent_mode.mapping.{signal}: no purpose {term!r} in the policy")
            elif purposes.get(term) == "strictly_necessary" and signal != "security_storage":
                problems.append(
                    f"consent_mode.mapping.{signal}: {term!r} is strictly necessary; only "
                    "security_storage may follow it (CNIL-10)"
                )
    unmapped = [s for s in SIGNALS[:3] if not consent_mode.signals(tcf)[s]]  # the ad signals
    if unmapped and not tcf:
        problems.append(
            f"consent_mode.mapping: map {', '.join(unmapped)} to the purposes that allow them "
            '(e.g. ad_storage = ["advertising"]), or add a [tcf] section for its defaults'
        )
    return problems


# Where Google's ad and measurement tags load from and send to (GCM-03).
GOOGLE_HOSTS: Final = (
    "googletagmanager.com",
    "google-analytics.com",
    "doubleclick.net",
    "googlesyndication.com",
    "googleadservices.com",
)


def basic_mode_problems(consent_mode: ConsentModeSection, hosts: Mapping[str, str]) -> list[str]:
    """GCM-03: in basic mode Google's tags wait for consent, so a service that loads from a
    Google host must be under a purpose that needs consent. `hosts` maps each declared service
    host to the kind of its purpose."""
    if consent_mode.mode != "basic":
        return []
    problems = []
    for host, kind in hosts.items():
        bare = host.removeprefix("*.").split(":")[0]
        google = any(bare == g or bare.endswith("." + g) for g in GOOGLE_HOSTS)
        if google and kind != "consent":
            problems.append(
                f"consent_mode: {host} is a Google tag host under a purpose that does not need "
                "consent; in basic mode (GCM-03) Google tags wait for consent: move it under a "
                'consent purpose, or set mode = "advanced" (a legal choice in France)'
            )
    return problems
