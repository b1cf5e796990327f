"""The publisher's policy: purposes, services, texts. Load a TOML file, validate it, version it.

Validation makes a non-compliant setup impossible to configure (CNIL-01, CNIL-06/10, CNIL-07,
EDPB-B, AM-05). Every mistake names the file, the line, the field and the fix.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Final, Literal, cast
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import PolicyError
from .labels import label_problems
from .languages import language_gaps
from .measurement import measurement_problems
from .tcf.section import (
    ConsentModeSection,
    TcfSection,
    basic_mode_problems,
    mapping_problems,
)
from .texts import BUILTIN, LOCALES, UI_KEYS

__all__ = ["Controller", "Cookie", "Policy", "Purpose", "PurposeText", "Service", "load_policy"]

Kind = Literal["strictly_necessary", "exempt_audience_measurement", "consent"]
Exemption = Literal[
    "consent_storage",
    "auth",
    "auth_security",
    "cart",
    "ui_pref",
    "load_balancing",
    "metering",
]
LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interest",
    "public_task",
    "legitimate_interest",
]

KEY_RE: Final = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
COOKIE_RE: Final = re.compile(r"^[!#$%&'+\-.^_`|~0-9A-Za-z]+\*?$")
HOST_RE: Final = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
ORIGIN_RE: Final = re.compile(r"^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
LANG_RE: Final = re.compile(r"^[a-z]{2,3}$")
THIRTEEN_MONTHS_DAYS: Final = 395
DEFAULT_REPROMPT_DAYS: Final = 183
LIFETIME_RE: Final = re.compile(r"^\s*(\d+)\s*(day|days|month|months|year|years)\s*$")
UNIT_DAYS: Final = {"day": 1, "month": 30.4, "year": 365}

# Settings other CMPs offer that produce invalid consent. Each names the rule it would break.
FORBIDDEN_KNOBS: Final[dict[str, str]] = {
    "default": "a consent purpose is never pre-ticked (EDPB-B); remove `default`",
    "pre_ticked": "a consent purpose is never pre-ticked (EDPB-B); remove `pre_ticked`",
    "preselected": "a consent purpose is never pre-ticked (EDPB-B); remove `preselected`",
    "hide_refuse_all": "refuse all is always on the first layer with the same weight as accept "
    "all (CNIL-01, EDPB-A); remove `hide_refuse_all`",
    "refuse_all": "refuse all is always on the first layer (CNIL-01); remove `refuse_all`",
    "dismiss_on_scroll": "scrolling is not consent (LAW-02); remove `dismiss_on_scroll`",
    "dismiss_on_timeout": "silence is not consent (LAW-02); remove `dismiss_on_timeout`",
    "implied_consent": "consent is a clear affirmative act (LAW-02); remove `implied_consent`",
    "accept_on_close": "closing the banner never grants consent (A11Y-02); remove "
    "`accept_on_close`",
}


def web_link(value: str, *, paths: bool) -> str:
    """`value` when a browser can only follow it as a web page: an `https://` or `http://`
    address with a host, or (when `paths`) a path on the page's own site, starting with one
    `/`. Anything else (`javascript:`, `data:`, `//host`, a relative path, spaces, control
    characters or backslashes, which browsers read in surprising ways) raises ValueError."""
    parts = urlsplit(value)
    web = parts.scheme in ("https", "http") and bool(parts.netloc)
    path = paths and value.startswith("/") and not value.startswith("//")
    if any(c.isspace() or ord(c) < 32 or c in "\\\x7f" for c in value):
        problem = "has spaces, control characters or backslashes"
    elif web or path:
        return value
    elif value.startswith("//"):
        problem = "has no scheme"
    else:
        problem = "is not a web address"
    example = ' or a path on the site such as "/privacy"' if paths else ""
    raise ValueError(
        f"{value!r} {problem}: write an https:// address (or http://){example}, e.g. "
        '"https://www.example.fr/privacy"'
    )


def _key(value: str) -> str:
    if not KEY_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid key: use 1-32 lowercase letters, digits, '_' or '-', "
            'starting with a letter (e.g. "social")'
        )
    return value


Key = Annotated[str, AfterValidator(_key)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_dark_patterns(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for knob, why in FORBIDDEN_KNOBS.items():
                if knob in data:
                    raise ValueError(f"`{knob}` is not allowed: {why}")
        return data


def parse_lifetime(value: object) -> int | None:
    """'13 months' / '390 days' / 390 / 'session' -> whole days (None for a session cookie)."""
    if isinstance(value, bool):
        raise ValueError('lifetime must be a number of days or a text such as "13 months"')
    if isinstance(value, int):
        if value < 0:
            raise ValueError("lifetime cannot be negative")
        return value
    if isinstance(value, str):
        if value.strip() == "session":
            return None
        m = LIFETIME_RE.match(value)
        if m:
            unit = m.group(2).rstrip("s")
            return round(int(m.group(1)) * UNIT_DAYS[unit])
    raise ValueError(
        f"lifetime {value!r} is not understood: write a number of days (390), "
        '"13 months", "2 years" or "session"'
    )


class Cookie(_Model):
    """A cookie (or, with `*` at the end of its name, a family of cookies) a service sets."""

    name: str
    domain: str = ""
    lifetime: int | None = Field(default=None, description="days; None = session cookie")
    cross_site: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not COOKIE_RE.fullmatch(v):
            raise ValueError(
                f"cookie name {v!r} has characters a cookie name cannot have; a trailing `*` "
                'makes it a prefix pattern (e.g. "_ga*")'
            )
        return v

    @field_validator("lifetime", mode="before")
    @classmethod
    def _lifetime(cls, v: object) -> int | None:
        return parse_lifetime(v)

    @property
    def is_pattern(self) -> bool:
        return self.name.endswith("*")

    def matches(self, name: str) -> bool:
        return name.startswith(self.name[:-1]) if self.is_pattern else name == self.name


class Service(_Model):
    """A party or a piece of code behind a purpose: where it loads from, what it stores."""

    name: str = Field(min_length=1, max_length=80)
    provider: str = ""
    privacy_policy: str = ""
    hosts: tuple[str, ...] = ()
    cookies: tuple[Cookie, ...] = ()
    storage: tuple[str, ...] = Field(default=(), description="localStorage/sessionStorage keys")
    exemption: Exemption | None = None
    justification: str = ""

    @field_validator("privacy_policy")
    @classmethod
    def _privacy_policy(cls, v: str) -> str:
        # another party's page, linked from the privacy page the consent server serves: a path
        # would point at the consent server, so only a full address
        return web_link(v, paths=False) if v else v

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for host in v:
            if not HOST_RE.fullmatch(host):
                raise ValueError(
                    f"host {host!r} is not a host name: write it without scheme or path, "
                    'e.g. "cdn.example.net", "*.example.net" or "localhost:8001"'
                )
        return v


class PurposeText(_Model):
    name: str = Field(min_length=1, max_length=60)
    short: str = Field(default="", max_length=160)
    description: str = Field(min_length=1, max_length=1200)
    refusal: str = Field(default="", max_length=600)


class Purpose(_Model):
    key: Key
    kind: Kind
    legal_basis: LegalBasis | None = None
    gpc: bool = Field(
        default=False,
        description="covered by Global Privacy Control (sale, sharing, cross-context ads)",
    )
    features: tuple[Key, ...] = ()
    text: dict[str, PurposeText]
    services: tuple[Service, ...] = ()
    retention_months: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _rules(self) -> Purpose:
        if self.kind == "consent":
            for lang, t in self.text.items():
                if not t.refusal:
                    raise ValueError(
                        f"text.{lang}.refusal is missing: say what refusing changes for the "
                        'reader (S7), e.g. "you cannot comment"'
                    )
        if self.kind == "strictly_necessary":
            if self.gpc:
                raise ValueError("a strictly necessary purpose cannot be covered by GPC")
            for s in self.services:
                if s.exemption is None or not s.justification:
                    raise ValueError(
                        f"service {s.name!r} is under a strictly necessary purpose, so it needs "
                        "`exemption` (one of consent_storage, auth, auth_security, cart, ui_pref, "
                        "load_balancing, metering: CNIL-10) and a `justification` sentence; if it "
                        "fits none, move it to a consent purpose (CNIL-06)"
                    )
        elif any(s.exemption for s in self.services):
            raise ValueError(
                "`exemption` is only for services of a strictly_necessary purpose (CNIL-10)"
            )
        if self.kind == "exempt_audience_measurement":
            self._audience_rules()
        return self

    def _audience_rules(self) -> None:
        if self.gpc:
            raise ValueError("exempt audience measurement cannot be covered by GPC (AM-03)")
        if self.retention_months is not None and self.retention_months > 25:
            raise ValueError(
                "exempt audience measurement keeps data at most 25 months (AM-05): set "
                "retention_months to 25 or less, or make this a consent purpose"
            )
        for s in self.services:
            for c in s.cookies:
                if c.lifetime is None or c.lifetime > THIRTEEN_MONTHS_DAYS:
                    raise ValueError(
                        f"cookie {c.name!r} of {s.name!r}: exempt audience measurement cookies "
                        'live at most 13 months (AM-05): set lifetime = "13 months" or less, or '
                        'make this purpose kind = "consent"'
                    )
                if c.cross_site:
                    raise ValueError(
                        f"cookie {c.name!r} of {s.name!r} is shared across sites, which excludes "
                        "the audience-measurement exemption (AM-04): make this a consent purpose"
                    )

    @property
    def needs_consent(self) -> bool:
        return self.kind == "consent"

    @property
    def basis(self) -> LegalBasis:
        """GDPR Art. 6 basis of the processing that follows the read/write (LAW-07)."""
        if self.legal_basis is not None:
            return self.legal_basis
        return "consent" if self.kind == "consent" else "legitimate_interest"

    # who asks: the policy's controller, set once the whole policy is valid (`Policy._whole`)
    _controller: str = PrivateAttr(default="")

    @cached_property
    def digest(self) -> str:
        """Version of this purpose: a digest of everything the reader is shown for it, and of
        who asks (the controller's name): a new controller re-asks every purpose (LAW-03)."""
        shown = self.model_dump(mode="json", exclude={"legal_basis", "retention_months"})
        return _digest({**shown, "controller": self._controller} if self._controller else shown)

    def all_cookies(self) -> list[Cookie]:
        return [c for s in self.services for c in s.cookies]

    def all_storage(self) -> list[str]:
        return [k for s in self.services for k in s.storage]


class Controller(_Model):
    name: str = Field(min_length=1, max_length=120)
    contact: str = Field(min_length=3, max_length=200)
    address: str = ""


class Policy(_Model):
    """A site's whole policy, validated. Build one with `load_policy`."""

    site: Key
    origins: tuple[str, ...] = Field(min_length=1)
    controller: Controller
    privacy_policy_url: str | dict[str, str] = Field(
        min_length=1, description="one URL, or one per language"
    )
    languages: tuple[str, ...] = ("fr", "en")
    default_language: str = "fr"
    reprompt_after_days: int = Field(default=DEFAULT_REPROMPT_DAYS, ge=1)
    cookie_name: str = "bandeau"
    cookie_domain: str = ""
    ui: dict[str, dict[str, str]] = Field(default_factory=dict)
    label_justifications: dict[str, dict[Literal["accept_all", "refuse_all"], str]] = Field(
        default_factory=dict,
        description="per language, why an overridden accept-all or refuse-all label that "
        "bandeau's wording lists do not know is still plain (bandeau.labels)",
    )
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    # ad-tech signals (docs/tcf.md): IAB TCF v2.3 and Google Consent Mode v2, both optional
    tcf: TcfSection | None = None
    consent_mode: ConsentModeSection | None = None

    @field_validator("origins")
    @classmethod
    def _origins(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for origin in v:
            if not ORIGIN_RE.fullmatch(origin):
                raise ValueError(
                    f"origin {origin!r} is not an origin: write scheme, host and optional port "
                    'without a path or trailing slash, e.g. "https://www.example.fr"'
                )
        return v

    @field_validator("privacy_policy_url")
    @classmethod
    def _privacy_policy_url(cls, v: str | dict[str, str]) -> str | dict[str, str]:
        # linked from the banner, on the publisher's pages: a path is on the publisher's site
        for lang, url in v.items() if isinstance(v, dict) else [("", v)]:
            try:
                web_link(url, paths=True)
            except ValueError as e:
                raise ValueError(f"{lang}: {e}" if lang else str(e)) from None
        return v

    @field_validator("reprompt_after_days")
    @classmethod
    def _reprompt(cls, v: int) -> int:
        if v > THIRTEEN_MONTHS_DAYS:
            raise ValueError(
                f"reprompt_after_days = {v} is longer than 13 months (CNIL-07): use at most "
                f"{THIRTEEN_MONTHS_DAYS}; about 6 months ({DEFAULT_REPROMPT_DAYS}) is the CNIL's "
                "recommendation"
            )
        return v

    @field_validator("cookie_name")
    @classmethod
    def _cookie_name(cls, v: str) -> str:
        if not COOKIE_RE.fullmatch(v) or v.endswith("*"):
            raise ValueError(f"cookie_name {v!r} is not a valid cookie name")
        return v

    @model_validator(mode="after")
    def _whole(self) -> Policy:
        for lang in self.languages:
            if not LANG_RE.fullmatch(lang):
                raise ValueError(f'language {lang!r} is not a language code such as "fr"')
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language {self.default_language!r} is not in languages "
                f"{list(self.languages)}: add it there or pick one of them"
            )
        seen: set[str] = set()
        for p in self.purposes:
            if p.key in seen:
                raise ValueError(f"purpose key {p.key!r} is declared twice: keys must be unique")
            seen.add(p.key)
            missing = [lang for lang in self.languages if lang not in p.text]
            if missing:
                raise ValueError(
                    f"purpose {p.key!r} has no text in {', '.join(missing)}: add "
                    f"[purposes.text.{missing[0]}] with name, short, description and refusal"
                )
        if isinstance(self.privacy_policy_url, dict):
            absent = [lang for lang in self.languages if lang not in self.privacy_policy_url]
            if absent:
                raise ValueError(
                    f"privacy_policy_url has no URL for {', '.join(absent)}: give one per "
                    "language, or a single URL for all"
                )
        if not any(p.kind == "strictly_necessary" for p in self.purposes):
            raise ValueError(
                "no strictly_necessary purpose: declare one; it holds bandeau's own consent "
                'cookie (exemption "consent_storage", CNIL-10)'
            )
        if not any(p.kind == "consent" for p in self.purposes):
            raise ValueError("no purpose needs consent, so there is nothing to ask: add one")
        for lang in self.languages:
            known = {**BUILTIN.get(lang, {}), **self.ui.get(lang, {})}
            absent = [k for k in UI_KEYS if k not in known]
            if absent:
                raise ValueError(
                    f"language {lang!r} has no built-in banner texts: add [ui.{lang}] with "
                    f"{', '.join(absent)}"
                )
        for lang, strings in self.ui.items():
            unknown = sorted(set(strings) - set(UI_KEYS))
            if unknown:
                raise ValueError(
                    f"ui.{lang} has unknown keys {unknown}: the keys are {', '.join(UI_KEYS)}"
                )
        for p in self.purposes:
            p._controller = self.controller.name
        if self.consent_mode:
            kinds = {p.key: p.kind for p in self.purposes}
            problems = mapping_problems(self.consent_mode, self.tcf is not None, kinds)
            hosts = {h: p.kind for p in self.purposes for s in p.services for h in s.hosts}
            problems += basic_mode_problems(self.consent_mode, hosts)
            if problems:
                raise ValueError("; ".join(problems))
        return self

    def purpose(self, key: str) -> Purpose:
        for p in self.purposes:
            if p.key == key:
                return p
        raise KeyError(key)

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(p.key for p in self.purposes)

    @cached_property
    def version(self) -> str:
        """Digest of the whole policy as the reader sees it (purposes, controller, settings)."""
        return _digest(
            {
                "purposes": [p.digest for p in self.purposes],
                "controller": self.controller.model_dump(),
                "privacy": self.privacy_policy_url,
                "languages": list(self.languages),
                # every word the banner shows, built-in ones included: a wording change in a
                # locale gives a new version, so no cache serves the old words (PROOF-02)
                "ui": {lang: self.ui_texts(lang) for lang in self.languages},
                "lifetime": {
                    lang: dict(LOCALES[lang].lifetime) if lang in LOCALES else {}
                    for lang in self.languages
                },
                "reprompt": self.reprompt_after_days,
                # recorded only when given, so that policies without any keep their version
                **({"label_justifications": self.label_justifications}
                   if self.label_justifications else {}),
            }
        )

    def privacy_url(self, lang: str) -> str:
        url = self.privacy_policy_url
        return url if isinstance(url, str) else url.get(lang, url[self.default_language])

    def ui_texts(self, lang: str) -> dict[str, str]:
        return {**BUILTIN.get(lang, {}), **self.ui.get(lang, {})}

    def features(self) -> dict[str, tuple[str, ...]]:
        """Feature name -> the purposes that enable it."""
        out: dict[str, list[str]] = {}
        for p in self.purposes:
            for f in p.features:
                out.setdefault(f, []).append(p.key)
        return {f: tuple(ps) for f, ps in out.items()}


def _digest(obj: object) -> str:
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise PolicyError naming file, line, field and fix.

    A file with `extends = "group.toml"` (a path relative to it) is the group's base with this
    site's fields laid over it (`extend_policy`)."""
    text = read_policy_text(path)
    data = _toml(text, str(path))
    if "extends" not in data:
        return _anchored(parse_policy(text, str(path)), Path(path).parent)
    base_path = Path(path).parent / str(data["extends"])
    base = _toml(read_policy_text(base_path), str(base_path))
    if "extends" in base:
        raise PolicyError(
            str(path), [f"{base_path}: extends: a base cannot extend another base: merge them"]
        )
    site = {k: v for k, v in data.items() if k != "extends"}
    # Line numbers would point into one of two files; the problems name both instead.
    policy = _validate(extend_policy(base, site), f"{path} (extends {base_path})", "")
    return _anchored(policy, Path(path).parent)


def _anchored(policy: Policy, folder: Path) -> Policy:
    """`[tcf]` files (the vendor list, the translations) named relative to the policy file,
    made absolute."""
    tcf = policy.tcf
    if tcf is None:
        return policy
    update = {
        name: str(folder.resolve() / where)
        for name, where in (("vendor_list", tcf.vendor_list), ("translations", tcf.translations))
        if where and not where.startswith(("https://", "http://")) and not Path(where).is_absolute()
    }
    return policy.model_copy(update={"tcf": tcf.model_copy(update=update)}) if update else policy


def extend_policy(base: Mapping[str, Any], site: Mapping[str, Any]) -> dict[str, Any]:
    """A group's base policy with one site's fields over it: tables merge key by key (the
    controller, [ui.LANG], per-language URLs), `purposes` merge by `key` (a site's purpose
    overrides the fields it gives, texts per language; a new key is added after the base's),
    `drop_purposes = ["key", …]` removes base purposes, any other value is replaced."""
    merged = _merge_tables(base, {k: v for k, v in site.items() if k != "drop_purposes"})
    dropped = site.get("drop_purposes", [])
    by_key: dict[object, Any] = {}
    for purpose in [*_list(base.get("purposes")), *_list(site.get("purposes"))]:
        if not isinstance(purpose, Mapping):  # left for validation to name
            by_key[id(purpose)] = purpose
            continue
        key = purpose.get("key")
        by_key[key] = _merge_tables(by_key.get(key, {}), purpose)
    merged["purposes"] = [p for k, p in by_key.items() if k not in _list(dropped)]
    return merged


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _merge_tables(under: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(under)
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _merge_tables(below, value)
        else:
            out[key] = value
    return out


def read_policy_text(path: str | Path) -> str:
    """A policy file's text; PolicyError when it cannot be read or is not UTF-8."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except OSError as e:
        raise PolicyError(str(p), [f"{p}: cannot read the policy file: {e.strerror}"]) from e
    except UnicodeDecodeError as e:
        raise PolicyError(str(p), [f"{p}: the policy file is not UTF-8 text ({e.reason})"]) from e


def parse_policy(text: str, name: str = "<policy>") -> Policy:
    return _validate(_toml(text, name), name, text)


def parse_extended(site_text: str, base_text: str, name: str = "<policy>") -> Policy:
    """A site's policy text laid over its group's base text, as `load_policy` reads a file that
    `extends` a base, for texts not read from files (the packaged demo's, rewritten)."""
    site = {k: v for k, v in _toml(site_text, name).items() if k != "extends"}
    return _validate(extend_policy(_toml(base_text, name), site), name, "")


def _toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(name, [f"{name}: not valid TOML: {e}"]) from e


def _validate(data: Mapping[str, Any], name: str, text: str) -> Policy:
    """`data` as a Policy; PolicyError with every problem, each on the line of `text` (the
    file as written) that holds the field, when there is one."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as e:
        lines = _key_lines(text)
        # Every text a language lacks, listed at once (validation stops at the first); the
        # validator's own words for those gaps are then left out.
        gaps = language_gaps(data, name, lambda path: _line_for(lines, path))
        problems = [
            _explain(name, lines, data, err)
            for err in e.errors()
            if not (gaps and _is_language_gap(err))
        ]
        raise PolicyError(name, gaps + problems) from None
    linted = lint(policy)
    if linted:
        lines = _key_lines(text)
        raise PolicyError(name, [_located(name, lines, data, loc, msg) for loc, msg in linted])
    return policy


def lint(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """The rules that need the whole validated policy: button labels (`bandeau.labels`) and
    exempt audience measurement (`bandeau.measurement`). Each is (where, what to do)."""
    return label_problems(policy) + measurement_problems(policy)


def _located(
    name: str, lines: Mapping[str, int], data: Mapping[str, Any], loc: Sequence[str | int], msg: str
) -> str:
    """`file:line: field: msg`, the line being the one of the field when the file has it."""
    line = _line_for(lines, _path(loc))
    where = f"{name}:{line}" if line else name
    return f"{where}: {_describe(data, loc) or '(top level)'}: {msg}"


_LANGUAGE_GAP_WORDS: Final = (
    "has no text in",
    "refusal is missing",
    "has no URL for",
    "has no built-in banner texts",
)


def _is_language_gap(err: Any) -> bool:
    """A validation error `language_gaps` states better: a missing purpose text, a missing
    per-language URL or banner words."""
    if err["type"] == "missing" and "text" in err["loc"]:
        return True
    return any(words in str(err["msg"]) for words in _LANGUAGE_GAP_WORDS)


def _explain(name: str, lines: Mapping[str, int], data: Mapping[str, Any], err: Any) -> str:
    loc: Sequence[str | int] = err["loc"]
    kind = err["type"]
    if kind == "missing":
        msg = f"`{loc[-1]}` is required: add it"
    elif kind == "extra_forbidden":
        msg = f"unknown field `{loc[-1]}`: remove it or check its spelling"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        msg = f"{err['input']!r} is not allowed here: use one of {expected}"
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
    return _located(name, lines, data, loc, msg)


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _describe(data: Mapping[str, Any], loc: Sequence[str | int]) -> str:
    """`purposes[2] (social).services[0].cookies[1].lifetime` — adds the key of each purpose."""
    out, node = "", cast(Any, data)
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, Mapping) and isinstance(node.get("key"), str):
                out += f" ({node['key']})"
        else:
            out += f".{part}" if out else part
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


_HEADER_RE: Final = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN_RE: Final = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+?)\s*=")


def _key_lines(text: str) -> dict[str, int]:
    """Map dotted field paths (with [i] for arrays of tables) to the line that defines them."""
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER_RE.match(raw)
        if header:
            parts = [p.strip().strip("\"'") for p in header.group(2).split(".")]
            current = _resolve(parts, counters, is_array=header.group(1) == "[[")
            lines.setdefault(current, number)
            continue
        assign = _ASSIGN_RE.match(raw)
        if assign:
            key = ".".join(p.strip("\"'") for p in assign.group(1).split("."))
            lines.setdefault(f"{current}.{key}" if current else key, number)
    return lines


def _resolve(parts: list[str], counters: dict[str, int], *, is_array: bool) -> str:
    resolved = ""
    for i, part in enumerate(parts):
        plain = f"{resolved}.{part}" if resolved else part
        last = i == len(parts) - 1
        if last and is_array:
            counters[plain] = counters.get(plain, -1) + 1
            resolved = f"{plain}[{counters[plain]}]"
        elif plain in counters:
            resolved = f"{plain}[{counters[plain]}]"
        else:
            resolved = plain
    return resolved


def _line_for(lines: Mapping[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
