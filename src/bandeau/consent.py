"""What a reader allowed: the pure rule, and the signed consent token that carries a decision.

One rule decides everywhere (DESIGN §2): `evaluate(policy, token, signals, now)` maps a policy,
a verified token (or none) and the browser's signals to the allowed purposes;
`features_on(policy, states)` says which features that turns on; `decide(policy, before,
action, ...)` says what an action of the reader decides and sends. The banner (`banner.js`)
applies the same rule in the browser; tests/vectors/consent.json holds both to the same cases.
Which purpose governs a cookie or a storage key is `bandeau.declarations`.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from .errors import TokenError
from .keys import KeyRing, PublicKey
from .policy import Policy, Purpose

__all__ = [
    "Action",
    "Consent",
    "Outcome",
    "Signals",
    "TokenPayload",
    "consent_cookie",
    "decide",
    "defaults",
    "evaluate",
    "features_on",
    "holds",
    "issue_token",
    "new_consent_id",
    "read_token",
]

TOKEN_VERSION: Final = 1
MAX_TOKEN_LENGTH: Final = 4096


@dataclass(frozen=True)
class Signals:
    """What the browser says about the reader before any choice (GPC-01)."""

    gpc: bool = False


@dataclass(frozen=True)
class TokenPayload:
    """The content of a verified consent token."""

    site: str
    consent_id: str
    issued_at: int
    expires_at: int
    key_id: str
    choices: Mapping[str, tuple[bool, str]]  # purpose key -> (granted, digest)
    decision_id: str = ""  # the decision this token carries (for the reader's receipt)


@dataclass(frozen=True)
class Consent:
    """The answer of the rule for one reader at one moment."""

    consent_id: str | None
    states: Mapping[str, bool]
    pending: frozenset[str] = field(default_factory=frozenset)

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(k for k, v in self.states.items() if v)

    @property
    def decided(self) -> bool:
        """True when the reader answered every purpose currently asked."""
        return not self.pending

    def allows(self, purpose: str) -> bool:
        return self.states.get(purpose, False)


def holds(expression: str, allowed: frozenset[str]) -> bool:
    """Whether a `data-bandeau` expression holds: space-separated terms that must all hold,
    `key` allowed, `!key` refused (an unknown key counts as refused); an empty expression is
    false. The banner's `bandeau.allowed` reads it the same way (docs/banner.md)."""
    terms = expression.split()
    return bool(terms) and all(
        (t[1:] not in allowed) if t.startswith("!") else (t in allowed) for t in terms
    )


def new_consent_id() -> str:
    """A random pseudonymous id (128 bits, base64url), the only link between a reader's records."""
    return secrets.token_urlsafe(16)


def default_state(purpose: Purpose, signals: Signals) -> bool:
    """State of a purpose the reader never answered: only exempt ones may run (LAW-01).

    GPC cannot grant anything, so it leaves every default as it is (GPC-03)."""
    del signals
    return purpose.kind != "consent"


def defaults(policy: Policy, signals: Signals) -> dict[str, bool]:
    return {p.key: default_state(p, signals) for p in policy.purposes}


def evaluate(policy: Policy, token: TokenPayload | None, signals: Signals, now: int) -> Consent:
    """The allowed purposes for a reader. Pure: no I/O, no clock (pass `now`, unix seconds).

    - strictly necessary purposes are always allowed;
    - a purpose answered in a valid, unexpired token for this site, at the purpose's current
      version (digest), takes the reader's answer;
    - any other purpose takes its default, and a consent purpose is then pending (asked again);
    - under GPC, an unanswered purpose marked `gpc` counts as refused and is not asked; the
      reader may still grant it explicitly later (GPC-03).
    """
    valid = token is not None and token.site == policy.site and token.expires_at > now
    states: dict[str, bool] = {}
    pending: set[str] = set()
    for p in policy.purposes:
        answer = token.choices.get(p.key) if valid and token is not None else None
        if p.kind == "strictly_necessary":
            states[p.key] = True
        elif answer is not None and answer[1] == p.digest:
            states[p.key] = answer[0]
        else:
            states[p.key] = default_state(p, signals)
            if p.needs_consent and not (signals.gpc and p.gpc):
                pending.add(p.key)
    consent_id = token.consent_id if valid and token is not None else None
    return Consent(consent_id, states, frozenset(pending))


def features_on(policy: Policy, states: Mapping[str, bool]) -> dict[str, bool]:
    """Every feature of the policy and whether it is on: a feature is on when every purpose
    that lists it is allowed (S4)."""
    return {
        name: all(states.get(key, False) for key in keys)
        for name, keys in policy.features().items()
    }


Action = Literal["accept_all", "refuse_all", "save", "grant"]


@dataclass(frozen=True)
class Outcome:
    """What an action of the reader decides, as the banner applies it at once."""

    states: Mapping[str, bool]
    """every purpose after the action"""
    pending: frozenset[str]
    """the purposes still to be asked"""
    choices: Mapping[str, bool]
    """what the decision sends and records: purpose key -> granted"""


def decide(
    policy: Policy,
    before: Consent,
    action: Action,
    *,
    switches: Mapping[str, bool] | None = None,
    grant: Collection[str] = (),
) -> Outcome:
    """What `action` decides, from the states `before` it (pure).

    - accept_all allows every purpose;
    - refuse_all refuses every consent purpose; an exempt purpose stays as it was, or, from the
      preferences (pass their `switches`), as its switch says (S3);
    - save takes each purpose's switch (`switches` holds every purpose but the strictly
      necessary ones);
    - grant (a placeholder's button) allows the purposes in `grant` and answers only those: the
      other purposes keep their state, and those never asked stay pending.

    The strictly necessary purposes are always allowed and never a choice.
    """
    states: dict[str, bool] = {}
    choices: dict[str, bool] = {}
    for p in policy.purposes:
        state = _decided_state(p, before, action, switches, grant)
        states[p.key] = state
        if p.kind != "strictly_necessary" and (action != "grant" or p.key in grant):
            choices[p.key] = state
    pending = before.pending - set(grant) if action == "grant" else frozenset()
    return Outcome(states=states, pending=frozenset(pending), choices=choices)


def _decided_state(
    purpose: Purpose,
    before: Consent,
    action: Action,
    switches: Mapping[str, bool] | None,
    grant: Collection[str],
) -> bool:
    if purpose.kind == "strictly_necessary" or action == "accept_all":
        return True
    if action == "grant":
        return purpose.key in grant or before.allows(purpose.key)
    exempt = purpose.kind == "exempt_audience_measurement"
    if action == "save" or (exempt and switches is not None):
        if switches is None or purpose.key not in switches:
            raise ValueError(f"{action} needs the switch of purpose {purpose.key!r}")
        return bool(switches[purpose.key])
    return exempt and before.allows(purpose.key)  # refuse_all


_TOKEN_JSON: Final = json.JSONEncoder(separators=(",", ":"), sort_keys=True)
"""The token payload's JSON: `json.dumps` with these options, made once."""
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


def _b64e(data: bytes) -> str:
    """base64url without padding (`base64.urlsafe_b64encode`, in fewer steps)."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    keys: KeyRing,
    *,
    site: str,
    consent_id: str,
    choices: Mapping[str, tuple[bool, str]],
    issued_at: int,
    lifetime_days: int,
    decision_id: str = "",
) -> str:
    """Sign a decision into the compact cookie value `b64url(payload).b64url(signature)`."""
    payload = {
        "v": TOKEN_VERSION,
        "s": site,
        "i": consent_id,
        "t": issued_at,
        "x": issued_at + lifetime_days * 86400,
        "k": keys.current.key_id,
        "p": {k: [1 if granted else 0, digest] for k, (granted, digest) in choices.items()},
    }
    if decision_id:
        payload["d"] = decision_id
    body = _b64e(_TOKEN_JSON.encode(payload).encode())
    return f"{body}.{_b64e(keys.sign(body.encode('ascii')))}"


def consent_cookie(policy: Policy, token: str, max_age: int, *, secure: bool) -> str:
    """The consent cookie as a `Set-Cookie` value: the one builder on the Python side (the
    banner is the one writer in the browser and sets the same attributes). Readable by the
    banner (no HttpOnly), `SameSite=Lax`, `Path=/`, the policy's `cookie_domain`; `secure`
    when the request it answers came over https."""
    parts = [f"{policy.cookie_name}={token}", f"Max-Age={max(0, max_age)}", "Path=/"]
    if policy.cookie_domain:
        parts.append(f"Domain={policy.cookie_domain}")
    if secure:
        parts.append("Secure")
    parts.append("SameSite=Lax")
    return "; ".join(parts)


def read_token(token: str, public: Mapping[str, PublicKey]) -> TokenPayload:
    """Verify a token's signature and shape. Raises TokenError for anything off (fail closed).

    Expiry and policy version are not judged here: `evaluate` does that with the policy and
    the clock, so a stale purpose only re-asks that purpose.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenError("malformed consent token")
    body, sig = token.split(".")
    try:
        payload = json.loads(_b64d(body))
        signature = _b64d(sig)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as e:
        raise TokenError("malformed consent token") from e
    if not isinstance(payload, dict) or payload.get("v") != TOKEN_VERSION:
        raise TokenError("unknown consent token version")
    kid = payload.get("k")
    key = public.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenError("consent token signed by an unknown key")
    if not key.verify(signature, body.encode("ascii")):
        raise TokenError("consent token signature does not verify")
    try:
        choices = {str(k): (bool(int(v[0])), str(v[1])) for k, v in dict(payload["p"]).items()}
        return TokenPayload(
            site=str(payload["s"]),
            consent_id=str(payload["i"]),
            issued_at=int(payload["t"]),
            expires_at=int(payload["x"]),
            key_id=str(payload["k"]),
            choices=choices,
            decision_id=str(payload.get("d", "")),
        )
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
        raise TokenError("consent token lacks a field") from e
