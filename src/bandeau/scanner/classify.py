"""The purpose of each cookie, storage key and third-party host, from the best source there is:

1. the site's bandeau policy (its declarations, resolved as the banner resolves them);
2. the Open Cookie Database, when the user passes a copy (`--cookie-db FILE`): an exact or
   wildcard name first, else a model learned from the database's rows at the start of the
   scan (`model.LinearModel`: a logistic regression over what a scan sees of a cookie);
3. without a database, a classifier of our own from the cookie's features (name, domain,
   lifetime, value shape); a CMP's consent record is recognised by name in every case;
4. else `unknown`: treated as not exempt, and reported at a lower severity.

Purposes: `necessary`, `preferences`, `consent` (a CMP's own consent record) are exempt;
`analytics` is exempt only when the site's bandeau policy declares it as exempt audience
measurement (AM-*); `advertising` and `unknown` never are.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..declarations import Declaration, resolve
from .errors import ScanError
from .model import LinearModel, Seen, featurise

# the purposes the database's categories map to that the bench counts as one class
FUNCTIONAL = {"necessary": "functional", "preferences": "functional"}

EXEMPT = {"necessary", "preferences", "consent"}
PURPOSES = ("necessary", "preferences", "consent", "analytics", "advertising", "unknown")

# Consent records of CMPs, by cookie or storage name (public facts of each product).
CMP_RECORDS = {
    "bandeau",
    "bandeau_p",
    "bandeau.pending",
    "cc_cookie",
    "klaro",
    "tarteaucitron",
    "cookieconsent",
    "cookieconsent_status",
    "cookielawinfo-checkbox-necessary",
    "optanonconsent",
    "optanonalertboxclosed",
    "euconsent-v2",
    "euconsent",
    "didomi_token",
    "axeptio_cookies",
    "axeptio_authorized_vendors",
    "cookieyes-consent",
    "borlabs-cookie",
    "cmplz_banner-status",
    "usprivacy",
    "__cmpconsentx",
    "consentuuid",
}

_CONSENT_WORDS = ("consent", "gdpr", "rgpd", "cmp", "cookie_choice", "cookies_ok", "choix")

# Fragments of names, by purpose (our own reading of common naming, not a list of products).
_FRAGMENTS: list[tuple[str, tuple[str, ...]]] = [
    (
        "necessary",
        (
            "sess",
            "csrf",
            "xsrf",
            "token",
            "auth",
            "login",
            "cart",
            "basket",
            "balanc",
            "__host-",
            "__secure-",
            "captcha",
            "secure",
            "cf_",
            "awsalb",
            "route",
            "jsession",
            "phpsess",
            "asp.net",
            "wp-settings",
            "test",
        ),
    ),
    (
        "preferences",
        (
            "lang",
            "locale",
            "theme",
            "currency",
            "font",
            "pref",
            "timezone",
            "region",
            "country",
            "dark",
            "viewed",
            "recent",
        ),
    ),
    (
        "analytics",
        (
            "_ga",
            "_gid",
            "_gat",
            "_pk_",
            "_hj",
            "analytic",
            "stat",
            "mesure",
            "audience",
            "visit",
            "matomo",
            "_cl",
            "amplitude",
            "mixpanel",
            "segment",
            "heap",
            "optimizely",
            "ab_",
            "experiment",
            "perf",
            "_dc_",
            "utm",
            "hotjar",
            "clarity",
            "piwik",
            "_sp_",
            "metric",
        ),
    ),
    (
        "advertising",
        (
            "ad_",
            "_ad",
            "ads",
            "adv",
            "_fbp",
            "_fbc",
            "track",
            "trk",
            "pixel",
            "uid",
            "ide",
            "doubleclick",
            "campaign",
            "marketing",
            "retarget",
            "_gcl",
            "criteo",
            "taboola",
            "outbrain",
            "ciblage",
            "tuuid",
            "bid",
            "dsp",
            "sync",
            "partner",
            "aff",
            "lead",
            "conversion",
            "_tt_",
            "_scid",
            "pin",
            "li_",
            "personaliz",
            "social",
            "share",
            "_tg",
            "widget",
        ),
    ),
]

# Cookie names of widely used products, by their vendors' public documentation (facts, written
# here from that documentation, not learned from a database): a name that starts with the
# prefix (or, ending in "$", is exactly it; names are case-sensitive). Used without a cookie
# database; with one, the database's own entries and model answer.
VENDOR_NAMES: tuple[tuple[str, str], ...] = (
    # analytics: Google Analytics (and Urchin), Matomo, Hotjar, Clarity, Segment, Mixpanel,
    # Amplitude, VWO, Adobe, Snowplow, Heap, Parse.ly, Piano Analytics
    ("_ga", "analytics"),
    ("_gid$", "analytics"),
    ("_gat", "analytics"),
    ("__utm", "analytics"),
    ("_dc_gtm_", "analytics"),
    ("_pk_", "analytics"),
    ("_hj", "analytics"),
    ("_clck$", "analytics"),
    ("_clsk$", "analytics"),
    ("ajs_", "analytics"),
    ("mp_", "analytics"),
    ("amp_", "analytics"),
    ("AMP_", "analytics"),
    ("_vwo_", "analytics"),
    ("_vis_opt_", "analytics"),
    ("s_vi$", "analytics"),
    ("s_fid$", "analytics"),
    ("s_cc$", "analytics"),
    ("s_sq$", "analytics"),
    ("AMCV_", "analytics"),
    ("AMCVS_", "analytics"),
    ("_sp_id", "analytics"),
    ("_sp_ses", "analytics"),
    ("_hp2_", "analytics"),
    ("_parsely_", "analytics"),
    ("atuserid$", "analytics"),
    # advertising: Meta, Google Ads and DoubleClick, Microsoft Ads, Pinterest, TikTok,
    # LinkedIn, Snap, Reddit, Criteo, The Trade Desk, Xandr, Quantcast, Lotame, PubMatic
    ("_fbp$", "advertising"),
    ("_fbc$", "advertising"),
    ("fr$", "advertising"),
    ("IDE$", "advertising"),
    ("DSID$", "advertising"),
    ("test_cookie$", "advertising"),
    ("__gads$", "advertising"),
    ("__gpi$", "advertising"),
    ("_gcl_", "advertising"),
    ("_gac_", "advertising"),
    ("_uetsid$", "advertising"),
    ("_uetvid$", "advertising"),
    ("MUID$", "advertising"),
    ("_pin_unauth$", "advertising"),
    ("_pinterest_", "advertising"),
    ("_ttp$", "advertising"),
    ("_tt_enable_cookie$", "advertising"),
    ("bcookie$", "advertising"),
    ("lidc$", "advertising"),
    ("li_sugr$", "advertising"),
    ("_scid", "advertising"),
    ("_rdt_uuid$", "advertising"),
    ("cto_bundle$", "advertising"),
    ("TDID$", "advertising"),
    ("uuid2$", "advertising"),
    ("anj$", "advertising"),
    ("__qca$", "advertising"),
    ("_cc_id$", "advertising"),
    ("KADUSERCOOKIE$", "advertising"),
    ("VISITOR_INFO1_LIVE$", "advertising"),
    # necessary: bot and fraud protection (Cloudflare, Akamai, Imperva, Stripe), load
    # balancers (F5), WordPress's login
    ("__cf_bm$", "necessary"),
    ("cf_clearance$", "necessary"),
    ("_abck$", "necessary"),
    ("ak_bmsc$", "necessary"),
    ("bm_sv$", "necessary"),
    ("incap_ses_", "necessary"),
    ("visid_incap_", "necessary"),
    ("__stripe_mid$", "necessary"),
    ("__stripe_sid$", "necessary"),
    ("BIGipServer", "necessary"),
    ("wordpress_logged_in_", "necessary"),
)


def vendor_purpose(name: str) -> str | None:
    """The purpose of a widely used product's cookie, by its documented name."""
    for pattern, purpose in VENDOR_NAMES:
        exact = pattern.endswith("$")
        if (name == pattern[:-1]) if exact else name.startswith(pattern):
            return purpose
    return None


_ID_LIKE = re.compile(r"^[A-Za-z0-9_\-.%]{16,}$")
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]{16,}={0,2}$")
_TIMESTAMP = re.compile(r"^1[0-9]{9}(?:[0-9]{3})?$")  # seconds or ms since 1970, 2001 to 2286
_FLAG = re.compile(r"^(?:[01]|true|false|yes|no|on|off|y|n|[a-z]{2}(?:[-_][A-Za-z]{2})?)$", re.I)


def value_shape(value: str) -> str:
    """What a cookie's value looks like: `id` (a UUID, a long random string or base64),
    `timestamp`, `json`, `flag` (a boolean, or a language code), else ''."""
    from urllib.parse import unquote

    text = unquote(value.strip().strip('"'))
    if not text:
        return ""
    if text.startswith(("{", "[")):  # the value is cut at 40 characters: no closing brace
        return "json"
    if _TIMESTAMP.match(text):
        return "timestamp"
    if _FLAG.match(text):
        return "flag"
    if _UUID.match(text) or _BASE64.match(text) or _ID_LIKE.match(text):
        return "id" if any(c.isdigit() for c in text) else ""
    return ""


def _words(name: str) -> str:
    return name.lower()


@dataclass(frozen=True)
class Verdict:
    purpose: str
    source: str  # "policy" | "cookie-db" | "cookie-db-model" | "features" | "cmp" | "unknown"
    exempt: bool

    def to_json(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "classified_by": self.source, "exempt": self.exempt}


def by_features(
    name: str, *, third_party: bool = False, lifetime_days: float | None = None, value: str = ""
) -> str:
    """Our own classifier: a CMP's record, a documented product's name, fragments of the
    name, then who wrote it, its lifetime and its value's shape."""
    low = _words(name)
    if low in CMP_RECORDS or any(w in low for w in _CONSENT_WORDS):
        return "consent"
    vendor = vendor_purpose(name)
    if vendor is not None:
        return vendor
    scores: Counter[str] = Counter()
    for purpose, fragments in _FRAGMENTS:
        for f in fragments:
            if f in low:
                scores[purpose] += len(f)
    if scores and third_party:
        scores["advertising"] += 3  # written by another site: rarely the site's own needs
    if scores:
        return scores.most_common(1)[0][0]
    if third_party:
        return "advertising"
    return _by_value(value, lifetime_days)


def _by_value(value: str, lifetime_days: float | None) -> str:
    """A first-party cookie no name tells about, by its value and lifetime: an identifier
    kept over a month (or a first-visit time) follows the reader, so it is read as audience
    measurement (never exempt without a policy saying so); an identifier gone with the
    session is the site's session; a flag or a JSON object holds a setting."""
    shape = value_shape(value)
    long_lived = lifetime_days is not None and lifetime_days > 30
    if shape in ("id", "timestamp") and long_lived:
        return "analytics"
    if shape == "id" and lifetime_days is None:
        return "necessary"
    if shape in ("flag", "json"):
        return "preferences"
    return "unknown"


# ---------------------------------------------------------------------- Open Cookie Database

_OCD_PURPOSE = {
    "functional": "necessary",
    "security": "necessary",
    "necessary": "necessary",
    "personalization": "preferences",
    "analytics": "analytics",
    "marketing": "advertising",
}


@dataclass(frozen=True)
class DbEntry:
    name: str
    domain: str
    purpose: str
    platform: str
    wildcard: bool
    lifetime: str = ""
    """`lifetime_bucket` of the database's retention period; '' when it gives none we read"""

    @property
    def site_domain(self) -> str:
        """The third-party domain the database gives (`example.com (3rd party)`), else ''."""
        domain = self.domain.split(" ")[0].lstrip(".")
        return domain if domain and "(" not in domain else ""


_UNITS = {
    "second": 1 / 86400,
    "minute": 1 / 1440,
    "hour": 1 / 24,
    "day": 1,
    "week": 7,
    "month": 30.4,
    "year": 365,
}
_RETENTION = re.compile(r"(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week|month|year)")


def lifetime_bucket(days: float | None) -> str:
    """A cookie's lifetime, coarsely: what tells a session's helper from a long-lived id."""
    if days is None:
        return "session"
    for limit, bucket in ((1 / 24, "hour"), (1, "day"), (31, "month"), (190, "half-year")):
        if days <= limit:
            return bucket
    return "year" if days <= 400 else "years"


def retention_bucket(text: str) -> str:
    """The database's retention period (`1 year`, `session`, `30 minutes`...) as a bucket;
    '' when it says nothing we can read."""
    low = text.strip().lower()
    if "session" in low:
        return "session"
    if low in ("forever", "persistent", "permanent"):
        return "years"
    m = _RETENTION.search(low)
    if not m:
        return ""
    return lifetime_bucket(float(m.group(1)) * _UNITS[m.group(2)])


def read_cookie_db(path: Path) -> list[DbEntry]:
    """The Open Cookie Database's CSV (columns: Platform, Category, Cookie / Data Key name,
    Domain, ..., Wildcard match). Errors name the file and the row."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScanError(f"cannot read the cookie database {path}: {e.strerror}") from e
    rows = list(csv.DictReader(text.splitlines()))
    needed = {"Category", "Cookie / Data Key name", "Domain", "Wildcard match", "Platform"}
    if not rows or not needed <= set(rows[0]):
        raise ScanError(
            f"{path} is not an Open Cookie Database CSV",
            hint=f"its header must have the columns {', '.join(sorted(needed))}",
        )
    entries = []
    for number, row in enumerate(rows, start=2):
        purpose = _OCD_PURPOSE.get(row["Category"].strip().lower())
        name = row["Cookie / Data Key name"].strip()
        if purpose is None or not name:
            raise ScanError(f"{path}, line {number}: unknown category {row['Category']!r}")
        entries.append(
            DbEntry(
                name=name,
                domain=row["Domain"].strip().lower(),
                purpose=purpose,
                platform=row["Platform"].strip(),
                wildcard=row["Wildcard match"].strip() == "1",
                lifetime=retention_bucket(row.get("Retention period") or ""),
            )
        )
    return entries


class CookieDb:
    def __init__(self, entries: list[DbEntry]) -> None:
        self.exact = {e.name.lower(): e for e in entries if not e.wildcard}
        self.prefixes = sorted(
            (e for e in entries if e.wildcard), key=lambda e: len(e.name), reverse=True
        )
        self.domains: dict[str, str] = {}
        for e in entries:
            if e.site_domain:
                self.domains.setdefault(e.site_domain, e.purpose)
        self.model = LinearModel(
            ((featurise(seen(e.name, e.site_domain, e.lifetime)), e.purpose) for e in entries),
            group=FUNCTIONAL,
        )

    def predict(self, name: str, domain: str = "", lifetime: str = "") -> str:
        """The model's purpose for a cookie the database does not list."""
        return self.model.predict(featurise(seen(name, domain, lifetime)))

    def lookup(self, name: str) -> DbEntry | None:
        low = name.lower()
        if low in self.exact:
            return self.exact[low]
        return next((e for e in self.prefixes if _wildcard_match(e.name, name)), None)


def _wildcard_match(prefix: str, name: str) -> bool:
    """A wildcard entry names a prefix followed by a variable part (an id, a number). Cookie
    names are case-sensitive, and a short prefix (`_s`, `tp`) matches only when what follows
    it does not go on with the same word (`_s` + `2f9c`, not `_s` + `hopify_tm`)."""
    if not name.startswith(prefix) or len(name) == len(prefix):
        return len(name) == len(prefix) and name == prefix
    if len(prefix) >= MIN_OPEN_PREFIX:
        return True
    rest = name[len(prefix)]
    same_word = (rest.islower() and prefix[-1].isalpha()) or (rest.isalpha() and prefix[-1] in "_-")
    return not same_word


MIN_OPEN_PREFIX = 4


# ---------------------------------------------------------------------- the site's policy


@dataclass
class SitePolicy:
    """What a bandeau site declares: from its `/config` (or a policy file given with
    `--policy`): purposes with their kind, cookie and storage declarations."""

    kinds: dict[str, str]  # purpose key -> "necessary" | "exempt" | "consent"
    cookies: tuple[Declaration, ...]
    storage: tuple[Declaration, ...]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SitePolicy:
        kinds = {p["key"]: p["kind"] for p in config["purposes"]}
        cookies = tuple(Declaration(c[0], tuple(c[1]), tuple(c[2])) for c in config["cookies"])
        storage = tuple(Declaration(s[0], tuple(s[1])) for s in config["storage"])
        return cls(kinds, cookies, storage)

    def verdict(self, name: str, storage: bool = False) -> Verdict | None:
        found = resolve(self.storage if storage else self.cookies, name)
        if found is None:
            return None
        kinds = {self.kinds.get(p, "consent") for p in found.purposes}
        if kinds == {"necessary"}:
            return Verdict("necessary", "policy", True)
        if kinds <= {"necessary", "exempt"}:
            return Verdict("analytics", "policy", True)
        return Verdict("+".join(found.purposes), "policy", False)


class Classifier:
    def __init__(self, policy: SitePolicy | None = None, db: CookieDb | None = None) -> None:
        self.policy = policy
        self.db = db

    def cookie(
        self,
        name: str,
        *,
        third_party: bool = False,
        lifetime_days: float | None = None,
        value: str = "",
        storage: bool = False,
        domain: str = "",
        lifetime: str = "",
    ) -> Verdict:
        """`domain`: the cookie's domain when another site set it (else empty); `lifetime`:
        its `lifetime_bucket` when the lifetime is known ('' when not: storage, a snapshot)."""
        if self.policy is not None:
            found = self.policy.verdict(name, storage)
            if found is not None:
                return found
        if name.lower() in CMP_RECORDS:
            return Verdict("consent", "cmp", True)
        # the database's entry for this very name (or its wildcard) is more specific than
        # a consent word in the name
        entry = self.db.lookup(name) if self.db is not None else None
        if entry is not None:
            return _verdict(entry.purpose, "cookie-db")
        purpose = by_features(
            name, third_party=third_party, lifetime_days=lifetime_days, value=value
        )
        if purpose == "consent":
            return _verdict(purpose, "features")
        if self.db is not None:
            # measured better than our own rules on names the database lacks (bench/scanner.py)
            guess = self.db.predict(name, domain if third_party else "", lifetime)
            return _verdict(guess, "cookie-db-model")
        if purpose != "unknown":
            return _verdict(purpose, "features")
        return Verdict("unknown", "unknown", False)

    def host(self, host: str) -> str | None:
        """The purpose of a third-party host when the database knows its domain."""
        if self.db is None:
            return None
        parts = host.split(".")
        for i in range(len(parts) - 1):
            found = self.db.domains.get(".".join(parts[i:]))
            if found:
                return found
        return None


def seen(name: str, domain: str = "", lifetime: str = "") -> Seen:
    """What the model reads of a cookie: `domain` when another site set it, its lifetime
    bucket, and what our documented product names say of it."""
    return Seen(name, domain, lifetime, vendor_purpose(name) or "")


def _verdict(purpose: str, source: str) -> Verdict:
    return Verdict(purpose, source, purpose in EXEMPT)
