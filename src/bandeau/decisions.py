"""Decisions as readers send them: the wire format, its checks against the policy in force,
and the record each one becomes (PROOF-01)."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from .consent import Consent, TokenPayload, decide, issue_token, new_consent_id, read_token
from .errors import Forbidden, InvalidRequest, StalePolicy, TokenError
from .keys import KeyRing
from .notices import Served
from .policy import Policy, Purpose
from .signals import ua_class
from .store import Record
from .tcf.publisher import TcfChoices, TcfSite

__all__ = ["DecisionIn", "DecisionOut", "HistoryOut", "RecordOut", "build_record", "token_of"]

MAX_CLIENT_TIME: Final = 2**53 - 1
"""The largest integer a browser's clock (`Date.now()`, a double) gives exactly."""

# The proof is stored as sent: every field is parsed strictly (PROOF-01). A boolean is a JSON
# boolean, never "yes", "on", "1" or 1; an integer is a JSON integer, never true or a string.
STRICT: Final = ConfigDict(extra="forbid", strict=True)


class Choice(BaseModel):
    model_config = STRICT
    granted: bool
    digest: str = Field(max_length=64, description="version digest of the purpose as shown")


class DecisionIn(BaseModel):
    """A reader's decision, as the banner sends it."""

    model_config = STRICT
    id: uuid.UUID = Field(
        strict=False,  # JSON has no UUID type: a UUID is text, in Python as on the wire
        description="decision id made by the banner; retries reuse it",
    )
    token: str | None = Field(default=None, max_length=4096, description="current cookie value")
    action: Literal["accept_all", "refuse_all", "save", "grant", "gpc"]
    layer: Literal["first", "settings", "placeholder", "signal"]
    control: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")
    lang: str = Field(max_length=8)
    page: str = Field(default="/", max_length=1024)
    build: str = Field(default="", max_length=64, description="the build the banner says it is")
    notice: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[0-9a-f]{64}$",
        description="id of the archived notice the banner showed (its config's `notice`)",
    )
    choices: Annotated[dict[Annotated[str, Field(max_length=64)], Choice], Field(max_length=64)]
    gpc: bool = False
    tcf: TcfChoices | None = Field(default=None, description="the TCF choices (TCF mode only)")
    client_time: int | None = Field(default=None, ge=0, le=MAX_CLIENT_TIME)
    secret: str | None = Field(
        default=None,
        min_length=22,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="random secret the banner keeps with the pending decision and sends again "
        "with every retry: only a retry carrying it gets the stored decision's token",
    )


class DecisionOut(BaseModel):
    consent_id: str
    decision_id: str
    token: str = Field(description="signed consent token: the value of the consent cookie")
    cookie: str = Field(description="name of the consent cookie")
    max_age: int = Field(description="seconds the token stays valid (re-prompt horizon)")
    expires_at: int = Field(description="unix seconds")
    event: str


class RecordOut(BaseModel):
    decision_id: str
    occurred_at: int
    event: str
    layer: str
    control: str
    language: str
    page: str
    policy_version: str
    build: str
    notice: str = ""
    claims: dict[str, str] = {}
    shown: dict[str, str]
    choices: dict[str, bool]
    services: dict[str, bool]
    signals: dict[str, bool]
    tcf: dict[str, Any] = Field(default_factory=dict, description="TCF choices and TC string")


class HistoryOut(BaseModel):
    site: str
    consent_id: str
    decisions: list[RecordOut]


class DuplicateDecision(InvalidRequest):
    code = "duplicate_decision"


class BadJSON(InvalidRequest):
    code = "malformed_json"


class RetryNotProven(Forbidden):
    code = "retry_not_proven"


def retry_hash(secret: str | None) -> str:
    """What the store keeps of a decision's retry secret: its SHA-256 (hex), or nothing."""
    return hashlib.sha256(secret.encode()).hexdigest() if secret else ""


def token_of(keys: KeyRing, stored: Record, lifetime_days: int) -> str:
    """The signed consent token of a stored decision (the reader's cookie): its choices at the
    versions shown, issued at the decision's time. The server process signs it, or the log's
    writer process right after the commit (`server.writerprocess`): the same bytes either way."""
    return issue_token(
        keys,
        site=stored.site,
        consent_id=stored.consent_id,
        choices={k: (v, stored.shown[k]) for k, v in stored.choices.items()},
        issued_at=stored.occurred_at // 1000,
        lifetime_days=lifetime_days,
        decision_id=stored.decision_id,
    )


def build_record(
    policy: Policy,
    d: DecisionIn,
    keys: KeyRing,
    *,
    gpc: bool,
    ua: str,
    served: Served,
    tcf: TcfSite | None = None,
) -> Record:
    """Check a decision against the policy in force and turn it into a record.

    `served` is the server's word on the notice the decision answered and its banner build
    (`Site.served`): the record keeps it, and what the banner claimed beside it when that
    differs (`claims`, PROOF-01).

    A decision answers every purpose that is not strictly necessary, except `grant` (a
    placeholder's button), which answers only the purposes it grants, and `gpc` (Global Privacy
    Control, GPC-03), which refuses only purposes the signal covers: the reader's other answers
    stay as they were, and purposes never answered stay to be asked.
    """
    _check_request(d, policy, gpc)
    asked = [p for p in policy.purposes if p.kind != "strictly_necessary"]
    _check_choices(policy, d, asked)
    previous = _previous(d.token, keys, policy)
    consent_keys = [p.key for p in asked if p.needs_consent]
    granted = _answers(policy, d, previous, consent_keys)
    event = _event(d.action, previous, granted, consent_keys)
    now, tcf_part = _tcf_part(tcf, d)
    return Record(
        decision_id=str(d.id),
        consent_id=previous.consent_id if previous else new_consent_id(),
        site=policy.site,
        occurred_at=now,
        event=event,
        layer=d.layer,
        control=d.control,
        language=d.lang,
        page=_path_only(d.page),
        policy_version=policy.version,
        build=served.build,
        notice=served.notice,
        claims=_claims(d, served),
        shown={p.key: p.digest for p in asked if p.key in granted},
        choices=granted,
        services=_services(asked, granted),
        signals={"gpc": gpc},
        ua_class=ua_class(ua),
        client_time=d.client_time,
        retry_hash=retry_hash(d.secret),
        tcf=tcf_part,
    )


def _check_request(d: DecisionIn, policy: Policy, gpc: bool) -> None:
    """Refuse what the site cannot have asked: another language, a grant from anywhere but a
    placeholder, a GPC record from anywhere but the signal, or one without the signal."""
    if d.lang not in policy.languages:
        raise InvalidRequest(
            f"language {d.lang!r} is not one of the site's languages {list(policy.languages)}",
            field="lang",
        )
    if (d.action == "grant") != (d.layer == "placeholder"):
        raise InvalidRequest("action grant comes from a placeholder, and only it", field="layer")
    if (d.action == "gpc") != (d.layer == "signal"):
        raise InvalidRequest("action gpc comes from the signal layer, and only it", field="layer")
    if d.action == "gpc" and not gpc:
        raise InvalidRequest(
            "action gpc records Global Privacy Control, and the request carries no GPC signal",
            field="gpc",
            hint="send it only when navigator.globalPrivacyControl is true or with Sec-GPC: 1",
        )


def _services(asked: list[Purpose], granted: dict[str, bool]) -> dict[str, bool]:
    """`purpose/service` -> granted, for each service of each purpose the decision answers."""
    return {
        f"{p.key}/{s.name}": granted[p.key] for p in asked if p.key in granted for s in p.services
    }


def _tcf_part(tcf: TcfSite | None, d: DecisionIn) -> tuple[int, dict[str, Any]]:
    """The decision's time (unix ms) and its record's TCF part (docs/tcf.md): a TCF site's
    decision carries its TCF choices, another site's none."""
    now = int(time.time() * 1000)
    if tcf is None:
        if d.tcf is not None:
            raise InvalidRequest("this site does not speak TCF: send no tcf choices", field="tcf")
        return now, {}
    return now, tcf.decision_part(d.tcf, d.action, d.lang, now)


def _claims(d: DecisionIn, served: Served) -> dict[str, str]:
    """What the banner claimed that differs from the server's word: its build, or that it
    named no notice (a banner older than the notice archive)."""
    # the banner names no build (its notice names it); another client may claim one
    claims = {"build": d.build} if d.build and d.build != served.build else {}
    if d.notice is None:
        claims["notice"] = ""
    return claims


def _answers(
    policy: Policy, d: DecisionIn, previous: TokenPayload | None, consent_keys: list[str]
) -> dict[str, bool]:
    """What the decision answers, per purpose. A grant answers only what it grants, a gpc
    decision only the GPC-covered purposes it refuses, and the reader's other answers at their
    current digest stay; accept and refuse all must say what
    they are named for."""
    granted = {k: c.granted for k, c in d.choices.items()}
    if d.action == "gpc":
        _check_gpc(policy, granted, previous)
    if d.action == "grant" and (not granted or not all(granted.values())):
        raise InvalidRequest("a grant answers only the purposes it allows", field="choices")
    if d.action in ("grant", "gpc"):
        kept = {
            k: g
            for k, (g, digest) in (previous.choices.items() if previous else ())
            if k in policy.keys and digest == policy.purpose(k).digest and k not in granted
        }
        return {**kept, **granted}
    if d.action in ("accept_all", "refuse_all"):
        _check_action(policy, d.action, granted, consent_keys)
    return granted


def _check_gpc(policy: Policy, granted: dict[str, bool], previous: TokenPayload | None) -> None:
    """A gpc decision refuses purposes GPC covers, and none the reader has allowed in its
    current version: the signal never overrides an explicit opt-in (GPC-03)."""
    covered = {p.key for p in policy.purposes if p.gpc}
    if not granted or any(granted.values()) or not set(granted) <= covered:
        raise InvalidRequest(
            "a gpc decision refuses purposes covered by GPC, and only them "
            f"({', '.join(sorted(covered)) or 'none in this policy'})",
            field="choices",
        )
    allowed = {
        k
        for k, (on, digest) in (previous.choices.items() if previous else ())
        if on and k in policy.keys and digest == policy.purpose(k).digest
    }
    if set(granted) & allowed:
        raise InvalidRequest(
            f"{', '.join(sorted(set(granted) & allowed))} already allowed by the reader: GPC "
            "does not override an explicit opt-in",
            field="choices",
        )


def _event(
    action: str, previous: TokenPayload | None, granted: dict[str, bool], consent_keys: list[str]
) -> str:
    """The event a record names: a later decision that only takes back earlier grants of
    consent purposes is a withdrawal."""
    if action == "accept_all":
        return "accept_all"
    if action == "grant":
        return "grant_one"
    if action == "gpc":
        return "gpc_applied"
    before = {k for k, (g, _) in (previous.choices.items() if previous else ()) if g}
    after = {k for k, g in granted.items() if g}
    if before & set(consent_keys) and not (after - before) and (before - after):
        return "withdraw"
    return "refuse_all" if action == "refuse_all" else "save_custom"


def _check_choices(policy: Policy, d: DecisionIn, asked: list[Purpose]) -> None:
    """Every key is a purpose to ask; every answer is at the purpose's current version; every
    purpose is answered (a grant answers only what it grants)."""
    asked_keys = {p.key for p in asked}
    for key in d.choices:
        if key not in policy.keys:
            raise InvalidRequest(f"unknown purpose {key!r}", field=f"choices.{key}")
        if key not in asked_keys:
            raise InvalidRequest(
                f"{key!r} is strictly necessary: it is not a choice", field=f"choices.{key}"
            )
    for p in asked:
        choice = d.choices.get(p.key)
        if choice is None:
            if d.action in ("grant", "gpc"):
                continue
            raise InvalidRequest(f"no answer for purpose {p.key!r}", field=f"choices.{p.key}")
        if choice.digest != p.digest:
            raise StalePolicy(
                f"purpose {p.key!r} changed since the banner was loaded",
                field=f"choices.{p.key}.digest",
                hint="reload the page to get the current banner",
            )


def _check_action(
    policy: Policy,
    action: Literal["accept_all", "refuse_all"],
    granted: dict[str, bool],
    consent_keys: list[str],
) -> None:
    """Accept all and refuse all answer every consent purpose as `consent.decide` says (the
    rule the banner applies); exempt purposes may take any answer (their switch)."""
    expected = decide(policy, Consent(None, granted), action, switches=granted).choices
    if any(granted[k] != expected[k] for k in consent_keys):
        verb = "grant" if action == "accept_all" else "refuse"
        raise InvalidRequest(f"{action} must {verb} every consent purpose", field="choices")


def _previous(token: str | None, keys: KeyRing, policy: Policy) -> TokenPayload | None:
    """The reader's current decision, if their token is genuine and of this site."""
    if not token:
        return None
    try:
        previous = read_token(token, keys.public)
    except TokenError:
        return None
    return previous if previous.site == policy.site else None


def _path_only(page: str) -> str:
    path = urlsplit(page).path or "/"
    return path if path.startswith("/") else "/" + path
