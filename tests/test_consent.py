"""The pure rule and the signed consent token (LAW-01, LAW-02, CNIL-07, GPC-03)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandeau.consent import (
    Signals,
    TokenPayload,
    evaluate,
    issue_token,
    new_consent_id,
    read_token,
)
from bandeau.errors import TokenError
from bandeau.keys import KeyRing
from bandeau.policy import Policy, parse_policy

NOW = 1_780_000_000
KEYS = KeyRing.generate()


def token_for(policy: Policy, granted: dict[str, bool], *, at: int = NOW, days: int = 183) -> str:
    choices = {k: (v, policy.purpose(k).digest) for k, v in granted.items()}
    return issue_token(
        KEYS,
        site=policy.site,
        consent_id="c-123456789",
        choices=choices,
        issued_at=at,
        lifetime_days=days,
    )


def verified(token: str) -> TokenPayload:
    return read_token(token, KEYS.public)


def test_no_decision_allows_only_necessary_and_exempt(policy: Policy) -> None:
    """LAW-01 / CNIL-02: before any choice only exempt purposes run; consent ones are asked."""
    c = evaluate(policy, None, Signals(), NOW)
    assert c.allowed == {"necessary", "audience"}
    assert c.pending == {"social", "advertising"}
    assert not c.decided and c.consent_id is None


def test_refuse_all_keeps_exempt_measurement(policy: Policy) -> None:
    """S3: refuse all leaves strictly necessary and exempt audience measurement."""
    t = verified(token_for(policy, {"audience": True, "social": False, "advertising": False}))
    c = evaluate(policy, t, Signals(), NOW)
    assert c.allowed == {"necessary", "audience"} and c.decided
    assert c.consent_id == "c-123456789"


def test_accept_all(policy: Policy) -> None:
    """S2."""
    t = verified(token_for(policy, {"audience": True, "social": True, "advertising": True}))
    assert evaluate(policy, t, Signals(), NOW).allowed == policy.keys


def test_reader_may_object_to_exempt_measurement(policy: Policy) -> None:
    t = verified(token_for(policy, {"audience": False, "social": True, "advertising": False}))
    assert evaluate(policy, t, Signals(), NOW).allowed == {"necessary", "social"}


def test_necessary_cannot_be_refused(policy: Policy) -> None:
    t = verified(token_for(policy, {"necessary": False, "social": False, "advertising": False}))
    assert evaluate(policy, t, Signals(), NOW).allows("necessary")


def test_expired_token_means_ask_again(policy: Policy) -> None:
    """CNIL-07: after the re-prompt period the reader is asked again."""
    t = verified(token_for(policy, {"social": True, "advertising": True}, at=NOW - 183 * 86400))
    c = evaluate(policy, t, Signals(), NOW)
    assert c.allowed == {"necessary", "audience"} and c.pending == {"social", "advertising"}
    fresh = verified(token_for(policy, {"social": True, "advertising": True}, at=NOW - 182 * 86400))
    assert evaluate(policy, fresh, Signals(), NOW).allows("social")


def test_changed_purpose_is_asked_again_alone(policy: Policy, policy_text: str) -> None:
    """A new version of one purpose re-asks that purpose only; the others keep their answer."""
    t = verified(token_for(policy, {"audience": True, "social": True, "advertising": True}))
    edited = parse_policy(policy_text.replace("Publicité", "Publicité ciblée"))
    c = evaluate(edited, t, Signals(), NOW)
    assert c.pending == {"advertising"}
    assert c.allows("social") and not c.allows("advertising")


def test_token_of_another_site_is_ignored(policy: Policy, policy_text: str) -> None:
    t = verified(token_for(policy, {"social": True, "advertising": True}))
    other = parse_policy(policy_text.replace('site = "lequotidien"', 'site = "autre"'))
    c = evaluate(other, t, Signals(), NOW)
    assert c.allowed == {"necessary", "audience"} and c.consent_id is None


def test_gpc_refuses_covered_purposes_without_asking(policy: Policy) -> None:
    """GPC-03: GPC grants nothing; GPC-covered purposes count as refused and are not asked."""
    c = evaluate(policy, None, Signals(gpc=True), NOW)
    assert c.pending == {"social"}
    assert not c.allows("advertising")


def test_explicit_grant_overrides_gpc(policy: Policy) -> None:
    t = verified(token_for(policy, {"social": False, "advertising": True}))
    assert evaluate(policy, t, Signals(gpc=True), NOW).allows("advertising")


def test_token_round_trip(policy: Policy) -> None:
    t = verified(token_for(policy, {"social": True, "advertising": False}))
    assert t.site == "lequotidien" and t.consent_id == "c-123456789"
    assert t.expires_at - t.issued_at == 183 * 86400
    assert t.choices["social"] == (True, policy.purpose("social").digest)
    assert t.key_id == KEYS.current.key_id


def test_forged_payload_fails(policy: Policy) -> None:
    token = token_for(policy, {"social": False, "advertising": False})
    body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["p"]["advertising"][0] = 1
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="signature"):
        verified(f"{forged}.{sig}")


def test_other_key_fails(policy: Policy) -> None:
    token = token_for(policy, {"social": True, "advertising": True})
    with pytest.raises(TokenError, match="unknown key"):
        read_token(token, KeyRing.generate().public)


def test_rotated_keys_still_verify_old_tokens(tmp_path: object, policy: Policy) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "keys"
    first = KeyRing.open_or_create(folder)
    old = issue_token(
        first, site="lequotidien", consent_id="c-1", choices={}, issued_at=NOW, lifetime_days=1
    )
    second = KeyRing.rotate(folder)
    assert second.current.key_id != first.current.key_id
    assert read_token(old, second.public).key_id == first.current.key_id
    assert (folder / f"{first.current.key_id}.pem").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "bad", ["", "abc", "a.b.c", "!!!.???", "e30.AAAA", "x" * 5000, "eyJ2IjoyfQ.AAAA"]
)
def test_malformed_tokens_fail_closed(bad: str) -> None:
    with pytest.raises(TokenError):
        verified(bad)


@given(st.text(max_size=300))
def test_arbitrary_text_never_verifies(text: str) -> None:
    with pytest.raises(TokenError):
        verified(text)


@given(
    st.dictionaries(st.sampled_from(["audience", "social", "advertising"]), st.booleans()),
    st.integers(min_value=0, max_value=2**40),
)
def test_issue_read_round_trip(granted: dict[str, bool], at: int) -> None:
    choices = {k: (v, "d" * 16) for k, v in granted.items()}
    cid = new_consent_id()
    token = issue_token(
        KEYS, site="s", consent_id=cid, choices=choices, issued_at=at, lifetime_days=10
    )
    back = verified(token)
    assert (back.site, back.consent_id, back.issued_at, dict(back.choices)) == (
        "s",
        cid,
        at,
        choices,
    )


def test_consent_id_is_random_and_long() -> None:
    ids = {new_consent_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)


@pytest.mark.parametrize(
    "payload",
    [b'{"v":1,"k":[1]}', b"[" * 3000 + b"]" * 3000, b'{"v":1,"k":{"a":1}}'],
)
def test_hostile_unsigned_payloads_fail_closed(payload: bytes) -> None:
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        verified(f"{body}.AAAA")


def test_signed_but_absurd_numbers_fail_closed() -> None:
    body = base64.urlsafe_b64encode(
        json.dumps(
            {"v": 1, "s": "x", "i": "c", "t": 1e400, "x": 1, "k": KEYS.current.key_id, "p": {}}
        ).encode()
    ).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(KEYS.sign(body.encode())).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        verified(f"{body}.{sig}")


def test_one_consent_cookie_builder(policy: Policy) -> None:
    """Issue 7: one Python function builds the consent cookie, with the banner's attributes."""
    from bandeau import consent_cookie

    assert consent_cookie(policy, "T.S", 100, secure=False) == (
        "bandeau=T.S; Max-Age=100; Path=/; SameSite=Lax"
    )
    shared = policy.model_copy(update={"cookie_domain": "lequotidien.fr"})
    assert consent_cookie(shared, "T.S", -5, secure=True) == (
        "bandeau=T.S; Max-Age=0; Path=/; Domain=lequotidien.fr; Secure; SameSite=Lax"
    )
