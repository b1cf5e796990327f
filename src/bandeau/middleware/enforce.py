"""The pure part of server-side enforcement: no I/O, no framework, no clock (callers pass `now`).

Given the policy and the request's `Cookie` and `Sec-GPC` header values, `Enforcer.read` decides
what the reader allowed (through `bandeau.evaluate`, the one rule, DESIGN §2) and what to do
about it; `Enforcer.keeps` and `Enforcer.extra_cookies` then edit the response's `Set-Cookie`
headers. The ASGI and WSGI adapters in this package only move bytes in and out of it.

Everything fails closed: a cookie that cannot be read for any reason counts as no decision, so
only strictly necessary and exempt purposes are allowed (LAW-01).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final

from ..consent import (
    Consent,
    Signals,
    TokenPayload,
    consent_cookie,
    evaluate,
    features_on,
    issue_token,
    read_token,
)
from ..declarations import Declaration, cookie_declarations, resolve
from ..errors import SettingsError, TokenError
from ..keys import KeyRing, PublicKey
from ..policy import Policy
from ..signals import gpc_from_headers

__all__ = ["Enforcer", "Reading", "cookie_pairs", "set_cookie_name"]

DAY: Final = 86400
MAX_COOKIE_PAIRS: Final = 200  # cookies read from one request; the rest are ignored
MAX_EXPIRED: Final = 40  # expiring Set-Cookie headers added to one response
TOKEN_CACHE: Final = 4096  # verified tokens remembered (a signature check is the costly part)
DECISION_CACHE: Final = 1024  # answers of `evaluate` remembered, by cookie value and GPC
READING_CACHE: Final = 1024  # readings remembered, by the request's Cookie and Sec-GPC headers
# RFC 6265 cookie-name token: the only names echoed back into an expiring Set-Cookie header.
_NAME_RE: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,200}")
_EXPIRED_DATE: Final = "Thu, 01 Jan 1970 00:00:00 GMT"
_FOREVER: Final = 1 << 62
_MAX_AGE_RE: Final = re.compile(r";\s*max-age\s*=\s*(-?\d*)", re.IGNORECASE)
_EXPIRES_RE: Final = re.compile(r";\s*expires\s*=\s*([^;]*)", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What the middleware learnt from one request, and what it owes the response.

    `consent` is `evaluate`'s answer; `token` the verified token when it is valid for this site
    (else None); `expire` the request's cookies of purposes not allowed, to be expired (CNIL-03);
    `refresh` the `Set-Cookie` value of a re-signed token, when refreshing is due; `secure`
    whether cookies set for this request carry `Secure`; `allowed` the allowed purposes;
    `filters` whether `Enforcer.keeps` may drop a `Set-Cookie` header of the response (False:
    every purpose that declares a cookie is allowed and undeclared cookies pass).
    """

    consent: Consent
    gpc: bool
    features: frozenset[str]
    token: TokenPayload | None = None
    expire: tuple[str, ...] = ()
    refresh: str | None = None
    secure: bool = False
    allowed: frozenset[str] = frozenset()
    filters: bool = True

    @property
    def needs_edit(self) -> bool:
        """True when the response gets headers whatever the app sends."""
        return bool(self.expire) or self.refresh is not None


@dataclass(frozen=True)
class _Decision:
    consent: Consent
    allowed: frozenset[str]
    features: frozenset[str]
    token: TokenPayload | None
    until: int  # the answer holds while now < until
    plain: Mapping[tuple[bool, bool], Reading]  # (gpc, secure): the reading with nothing owed


def cookie_pairs(headers: Iterable[str]) -> list[tuple[str, str]]:
    """`name=value` pairs of `Cookie` header values, in order; malformed pieces are skipped."""
    pairs: list[tuple[str, str]] = []
    for header in headers:
        for piece in header.split(";"):
            name, eq, value = piece.partition("=")
            name = name.strip()
            if eq and name:
                pairs.append((name, value.strip()))
                if len(pairs) >= MAX_COOKIE_PAIRS:
                    return pairs
    return pairs


def set_cookie_name(header: str) -> str:
    """The cookie name a `Set-Cookie` value sets ('' for a nameless cookie, RFC 6265bis 5.6)."""
    pair = header.partition(";")[0]
    name, eq, _ = pair.partition("=")
    return name.strip() if eq else ""


def _deletes(header: str, now: int) -> bool:
    """True when a `Set-Cookie` value removes its cookie (Max-Age <= 0 or Expires in the past)."""
    lower = header.lower()
    if "max-age" not in lower and "expires" not in lower:
        return False
    age = _MAX_AGE_RE.search(header)
    if age is not None:
        text = age.group(1)
        return text.startswith("-") or (text.isdigit() and int(text) == 0)
    expires = _EXPIRES_RE.search(header)
    if expires is None:
        return False
    try:
        when = parsedate_to_datetime(expires.group(1).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return when.tzinfo is not None and when.timestamp() <= now


class Enforcer:
    """The policy's cookies and keys, prepared once; then one `read` per request.

    `public_keys` verify consent tokens (the site's, `GET /v1/sites/{site}/keys`); a
    `signing_keys` ring is only needed to refresh the consent cookie (`refresh_cookie=True`).
    `strict=True` also drops `Set-Cookie` headers of cookies the policy does not declare.
    """

    def __init__(
        self,
        policy: Policy,
        public_keys: PublicKey | Mapping[str, PublicKey],
        *,
        strict: bool = False,
        refresh_cookie: bool = False,
        signing_keys: KeyRing | None = None,
        secure: bool | None = None,
    ) -> None:
        if not isinstance(policy, Policy):
            raise SettingsError(
                "policy must be a bandeau Policy", hint="load it with bandeau.load_policy(PATH)"
            )
        if isinstance(public_keys, PublicKey):
            public = {public_keys.key_id: public_keys}
        elif isinstance(public_keys, Mapping):
            public = dict(public_keys)
        else:
            raise SettingsError(
                "public_keys must be a PublicKey or a mapping of key id to PublicKey",
                hint="PublicKey.from_text(PEM) reads a key printed by "
                "`bandeau keys show --site SITE`",
            )
        if not public or not all(isinstance(k, PublicKey) for k in public.values()):
            raise SettingsError(
                "no public key to verify consent tokens with",
                hint="pass the site's public key(s), from `GET /v1/sites/SITE/keys` or "
                "`bandeau keys show --site SITE`",
            )
        if refresh_cookie and signing_keys is None:
            raise SettingsError(
                "refresh_cookie needs signing_keys",
                hint="pass signing_keys=KeyRing.open(site_folder(DATA_DIR / 'keys', SITE)), the "
                "site's ring on the bandeau server, or leave refresh_cookie off",
            )
        if signing_keys is not None:
            public = {**signing_keys.public, **public}
        self.policy = policy
        self.public: Mapping[str, PublicKey] = public
        self.strict = strict
        self.refresh_cookie = refresh_cookie
        self.signing_keys = signing_keys
        self.secure = secure
        self.cookie_name = policy.cookie_name
        # the policy's cookie declarations, in the precedence order `resolve` reads them
        self._declarations = cookie_declarations(policy)
        self._verify = functools.lru_cache(maxsize=TOKEN_CACHE)(self._verify_uncached)
        self._decisions: dict[tuple[str, bool], _Decision] = {}
        self._readings: dict[tuple[tuple[str, ...], tuple[str, ...], bool], tuple[Reading, int]]
        self._readings = {}
        self._names: dict[str, frozenset[str]] = {}
        self._expiries: dict[tuple[str, bool], tuple[str, ...]] = {}
        self._cookie_purposes = frozenset(
            p.key for p in policy.purposes if p.kind != "strictly_necessary" and p.all_cookies()
        )
        # every purpose some cookie declaration names: when all are allowed, and undeclared
        # cookies pass (not strict), no Set-Cookie header can be dropped
        self._declaring = frozenset(p for d in self._declarations for p in d.purposes)

    # ------------------------------------------------------------------ request

    def declared(self, name: str) -> frozenset[str]:
        """Purposes that declare cookie `name`, by the one resolution rule
        (`bandeau.declarations.resolve`: an exact name wins over patterns, and a longer prefix
        over a shorter one). Empty when the policy does not declare it."""
        found = self._names.get(name)
        if found is None:
            declared = self._declaration(name)
            found = frozenset(declared.purposes) if declared else frozenset()
            if len(self._names) >= TOKEN_CACHE:
                self._names.clear()
            self._names[name] = found
        return found

    def _declaration(self, name: str) -> Declaration | None:
        return resolve(self._declarations, name)

    def _verify_uncached(self, value: str) -> TokenPayload | None:
        try:
            return read_token(value, self.public)
        except TokenError:  # fail closed: a token that does not verify is no decision (LAW-01)
            return None

    def verify(self, value: str) -> TokenPayload | None:
        """The verified payload of a consent cookie value, or None (cached: same value, same
        answer, since verification depends on nothing else)."""
        if not value or len(value) > 4096:
            return None
        return self._verify(value)

    def read(
        self,
        cookie_headers: Sequence[str],
        gpc_headers: Sequence[str],
        now: int,
        *,
        https: bool = False,
    ) -> Reading:
        """Decide for one request. `cookie_headers` and `gpc_headers` are the raw values of the
        `Cookie` and `Sec-GPC` request headers (latin-1 text), in order; `https` whether the
        request came over https (cookies the middleware sets are then `Secure`).

        A reader's browser sends the same `Cookie` header page after page: the reading of a
        header seen before is reused while its decision holds (`_decide`'s `until`), unless
        the consent cookie is refreshed (that depends on the day)."""
        if self.refresh_cookie:
            return self._read(cookie_headers, gpc_headers, now, https)[0]
        key = (tuple(cookie_headers), tuple(gpc_headers), https)
        cached = self._readings.get(key)
        if cached is not None and now < cached[1]:
            return cached[0]
        reading, until = self._read(cookie_headers, gpc_headers, now, https)
        if len(self._readings) >= READING_CACHE:
            self._readings.clear()
        self._readings[key] = (reading, until)
        return reading

    def _read(
        self, cookie_headers: Sequence[str], gpc_headers: Sequence[str], now: int, https: bool
    ) -> tuple[Reading, int]:
        """`read`, uncached: the reading, and until when it holds."""
        pairs = cookie_pairs(cookie_headers)
        value = ""
        for name, v in pairs:
            if name == self.cookie_name:
                value = v  # the last one wins, as in the banner's own reading
        gpc = bool(gpc_headers) and gpc_from_headers(v for h in gpc_headers for v in h.split(","))
        decision = self._decide(value, gpc, now)
        consent, allowed, valid = decision.consent, decision.allowed, decision.token
        expire: list[str] = []
        if not self._cookie_purposes <= allowed:  # some declared cookie is not allowed
            # `cookies_to_delete`'s rule, with each name's declaration looked up once per name
            # (`declared`, cached) rather than matched against every pattern on each request
            refused = [
                name
                for name in dict.fromkeys(name for name, _ in pairs)
                if name != self.cookie_name and not self.declared(name) <= allowed
            ]
            expire = [name for name in refused if _NAME_RE.fullmatch(name)][:MAX_EXPIRED]
        secure = https if self.secure is None else self.secure
        refresh = None
        if self.refresh_cookie and valid is not None:
            token = self._refreshed(valid, now)
            if token is not None:
                refresh = consent_cookie(self.policy, token, valid.expires_at - now, secure=secure)
        if not expire and refresh is None:
            return decision.plain[gpc, secure], decision.until
        reading = Reading(
            consent=consent,
            gpc=gpc,
            features=decision.features,
            token=valid,
            expire=tuple(expire),
            refresh=refresh,
            secure=secure,
            allowed=allowed,
            filters=self._filters(allowed),
        )
        return reading, decision.until

    def _decide(self, value: str, gpc: bool, now: int) -> _Decision:
        """`evaluate` for a cookie value and GPC, memoised: the answer depends on `now` only
        until the token expires (a token never becomes valid later), so a cached answer is used
        while `now` is before that. Assumes a clock that does not go back."""
        key = (value, gpc)
        cached = self._decisions.get(key)
        if cached is not None and now < cached.until:
            return cached
        payload = self.verify(value)
        consent = evaluate(self.policy, payload, Signals(gpc=gpc), now)
        valid = payload if payload is not None and consent.consent_id is not None else None
        allowed = consent.allowed
        features = frozenset(f for f, on in features_on(self.policy, consent.states).items() if on)
        until = valid.expires_at if valid is not None else _FOREVER
        plain = {
            (gpc, secure): Reading(
                consent=consent,
                gpc=gpc,
                features=features,
                token=valid,
                secure=secure,
                allowed=allowed,
                filters=self._filters(allowed),
            )
            for secure in (False, True)
        }
        decision = _Decision(consent, allowed, features, valid, until, plain)
        if len(self._decisions) >= DECISION_CACHE:
            self._decisions.clear()
        self._decisions[key] = decision
        return decision

    def _refreshed(self, token: TokenPayload, now: int) -> str | None:
        """A re-signed copy of a valid token, once a day at most: same consent id, decision id,
        choices and expiry; the issue time moves forward by whole days so it says when it was
        last signed."""
        keys = self.signing_keys
        if keys is None or now - token.issued_at < DAY:
            return None
        remaining = token.expires_at - now
        if remaining <= 60:
            return None
        days = math.ceil(remaining / DAY)
        return issue_token(
            keys,
            site=token.site,
            consent_id=token.consent_id,
            choices=token.choices,
            issued_at=token.expires_at - days * DAY,
            lifetime_days=days,
            decision_id=token.decision_id,  # the reader's receipt link stays
        )

    # ------------------------------------------------------------------ response

    def keeps(self, reading: Reading, header: str, now: int) -> bool:
        """Whether a response `Set-Cookie` value may reach the browser.

        Dropped: a cookie declared under a purpose the reader did not allow (all the purposes
        declaring it must be allowed), and with `strict`, a cookie the policy does not declare.
        Always kept: the consent cookie itself, and any header that deletes its cookie.
        """
        name, eq, _ = header.partition(";")[0].partition("=")  # `set_cookie_name`, inlined
        name = name.strip() if eq else ""
        if name == self.cookie_name:
            return True
        purposes = self._names.get(name)
        if purposes is None:
            purposes = self.declared(name)
        if purposes:
            return purposes <= reading.allowed or _deletes(header, now)
        return not self.strict or _deletes(header, now)

    def _expiry(self, name: str, secure: bool) -> tuple[str, ...]:
        """The `Set-Cookie` values expiring cookie `name`: for its host, and for each domain
        its declaration names (remembered: they depend on the policy alone)."""
        tail = f"=; Max-Age=0; Expires={_EXPIRED_DATE}; Path=/"
        if secure or name.startswith(("__Secure-", "__Host-")):
            tail += "; Secure"
        out = [name + tail]
        declared = self._declaration(name)
        if declared is not None and not name.startswith("__Host-"):
            out.extend(f"{name}{tail}; Domain={d}" for d in declared.domains)
        if len(self._expiries) >= TOKEN_CACHE:
            self._expiries.clear()
        found = self._expiries[name, secure] = tuple(out)
        return found

    def _filters(self, allowed: frozenset[str]) -> bool:
        """Whether `keeps` may drop a `Set-Cookie` header for a reader who allowed `allowed`."""
        return self.strict or not self._declaring <= allowed

    def sets_consent(self, header: str) -> bool:
        return set_cookie_name(header) == self.cookie_name

    def extra_cookies(self, reading: Reading, *, app_sets_consent: bool = False) -> list[str]:
        """`Set-Cookie` values the middleware adds: expiry of the request's cookies of purposes
        not allowed (CNIL-03), then the refreshed consent cookie unless the app set one."""
        out: list[str] = []
        secure = reading.secure
        for name in reading.expire:
            found = self._expiries.get((name, secure))
            out += found if found is not None else self._expiry(name, secure)
        if reading.refresh is not None and not app_sets_consent:
            out.append(reading.refresh)
        return out
