"""The pure core: reading the consent cookie, deciding, editing Set-Cookie headers."""

from __future__ import annotations

import pytest

from bandeau.consent import read_token
from bandeau.errors import SettingsError
from bandeau.keys import KeyRing
from bandeau.middleware import BandeauMiddleware, BandeauWSGIMiddleware, Enforcer
from bandeau.middleware.enforce import MAX_EXPIRED, cookie_pairs, set_cookie_name
from bandeau.policy import Policy, parse_policy

from .conftest import NOW, TokenFactory

NOTHING_DECIDED = {"necessary": True, "audience": True, "social": False, "advertising": False}


@pytest.fixture
def enforcer(policy: Policy, keys: KeyRing) -> Enforcer:
    return Enforcer(policy, keys.current)


def read(enforcer: Enforcer, cookie: str = "", gpc: str = "", now: int = NOW) -> dict[str, bool]:
    return dict(enforcer.read([cookie], [gpc], now).consent.states)


# ------------------------------------------------------------------ deciding (LAW-01)


def test_no_cookie_allows_only_necessary_and_exempt(enforcer: Enforcer) -> None:
    """LAW-01: without a decision only strictly necessary and exempt purposes run."""
    reading = enforcer.read([], [], NOW)
    assert dict(reading.consent.states) == NOTHING_DECIDED
    assert reading.consent.consent_id is None
    assert reading.consent.pending == {"social", "advertising"}
    assert reading.features == {"stats"}
    assert reading.token is None and reading.expire == () and reading.refresh is None


def test_accept_all_allows_everything(enforcer: Enforcer, accept_all: str) -> None:
    reading = enforcer.read([f"bandeau={accept_all}"], [], NOW)
    assert all(reading.consent.states.values())
    assert reading.consent.consent_id == "reader-1"
    assert reading.features == {"stats", "comments"}
    assert reading.token is not None and reading.token.consent_id == "reader-1"


def test_refuse_all_keeps_only_necessary_and_exempt(enforcer: Enforcer, refuse_all: str) -> None:
    """S3, CNIL-03: after refuse all, no consent purpose is allowed."""
    reading = enforcer.read([f"theme=dark; bandeau={refuse_all}; x=1"], [], NOW)
    assert dict(reading.consent.states) == NOTHING_DECIDED
    assert reading.consent.consent_id == "reader-1" and reading.consent.decided


def test_the_reader_can_object_to_exempt_measurement(
    enforcer: Enforcer, token: TokenFactory
) -> None:
    states = read(enforcer, f"bandeau={token(social=True)}")
    assert states == {"necessary": True, "audience": False, "social": True, "advertising": False}


@pytest.mark.parametrize(
    "case",
    ["forged", "expired", "other_site", "unknown_key", "truncated", "garbage", "empty", "stale"],
)
def test_invalid_tokens_fail_closed(
    case: str, enforcer: Enforcer, token: TokenFactory, accept_all: str
) -> None:
    """An invalid token, whatever the reason, is no decision: consent purposes stay off."""
    body, sig = accept_all.split(".")
    value = {
        "forged": f"{body}.{sig[:-4]}AAAA",
        "expired": token(social=True, advertising=True, issued_at=NOW - 200 * 86400),
        "other_site": token(social=True, advertising=True, site="otherpaper"),
        "unknown_key": token(social=True, advertising=True, ring=KeyRing.generate()),
        "truncated": accept_all[:-10],
        "garbage": "%%%.%%%",
        "empty": "",
        "stale": token(social=True, advertising=True, digest="0000000000000000"),
    }[case]
    reading = enforcer.read([f"bandeau={value}"], [], NOW)
    assert not reading.consent.allows("social") and not reading.consent.allows("advertising")
    assert reading.consent.pending >= {"social", "advertising"}
    if case != "stale":  # a stale purpose is asked again, the token itself stays valid
        assert reading.consent.consent_id is None and reading.token is None


def test_the_last_consent_cookie_wins_as_in_the_banner(
    enforcer: Enforcer, accept_all: str, refuse_all: str
) -> None:
    assert read(enforcer, f"bandeau={accept_all}; bandeau={refuse_all}")["social"] is False
    assert read(enforcer, f"bandeau={refuse_all}; bandeau={accept_all}")["social"] is True


def test_verification_is_cached(enforcer: Enforcer, accept_all: str) -> None:
    first = enforcer.verify(accept_all)
    assert first is not None and enforcer.verify(accept_all) is first
    assert enforcer.verify("x" * 5000) is None


def test_a_cookie_header_seen_before_reads_the_same_until_its_token_expires(
    enforcer: Enforcer, token: TokenFactory
) -> None:
    """The reading of a Cookie header is reused (a reader sends the same one page after page),
    but never past its token's expiry: then the reader has no decision (LAW-01)."""
    short = token(social=True, issued_at=NOW - 86400, days=2)  # expires at NOW + 86400
    header = [f"_ad_id=1; bandeau={short}"]
    first = enforcer.read(header, [], NOW)
    assert first.consent.states["social"] and first.expire == ("_ad_id",)
    assert enforcer.read(header, [], NOW + 60) is first
    assert enforcer.read(header, ["1"], NOW + 60) is not first  # GPC is part of the key
    later = enforcer.read(header, [], NOW + 86400)
    assert later.consent.consent_id is None and not later.consent.states["social"]


def test_a_key_mapping_verifies_tokens_of_older_keys(policy: Policy, token: TokenFactory) -> None:
    old, new = KeyRing.generate(), KeyRing.generate()
    enforcer = Enforcer(policy, {**old.public, **new.public})
    assert read(enforcer, f"bandeau={token(social=True, ring=old)}")["social"] is True
    assert read(enforcer, f"bandeau={token(social=True, ring=new)}")["social"] is True


# ------------------------------------------------------------------ GPC-01, GPC-03


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], False),
        (["1"], True),
        ([" 1 "], True),
        (["0"], False),
        (["true"], False),
        (["yes"], False),
        (["0", "1"], True),
        (["1, 0"], True),
        (["0,0"], False),
        ([""], False),
        (["11"], False),
    ],
)
def test_gpc_header_rules(enforcer: Enforcer, headers: list[str], expected: bool) -> None:
    """GPC-01: only `1` has meaning; among duplicates one `1` suffices; anything else is absent."""
    assert enforcer.read([], headers, NOW).gpc is expected


def test_gpc_refuses_covered_purposes_without_asking(enforcer: Enforcer) -> None:
    """GPC-03: under GPC a covered purpose counts as refused and is not asked; others are."""
    reading = enforcer.read([], ["1"], NOW)
    assert not reading.consent.allows("advertising")
    assert reading.consent.pending == {"social"}


def test_an_explicit_grant_overrides_gpc(enforcer: Enforcer, token: TokenFactory) -> None:
    """GPC-03: an explicit later opt-in on our banner may override GPC for this site."""
    reading = enforcer.read([f"bandeau={token(advertising=True)}"], ["1"], NOW)
    assert reading.gpc and reading.consent.allows("advertising")


# ------------------------------------------------------------------ Set-Cookie (CNIL-03)


@pytest.mark.parametrize(
    ("header", "refused", "accepted"),
    [
        ("_ad_id=42; Path=/; Max-Age=3600", False, True),
        ("_social_uid=9; HttpOnly", False, True),
        ("_tg_session=abc", False, True),  # pattern _tg_*
        ("_tg_=abc", False, True),
        ("_lq_mesure=1; Max-Age=100", True, True),  # exempt, not objected to
        ("bandeau=tok; Path=/", True, True),  # the consent cookie itself
        ("sessionid=s; HttpOnly", True, True),  # undeclared
        ("_ad_id=; Max-Age=0; Path=/", True, True),  # a deletion always passes
        ("_ad_id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", True, True),
        ("_ad_id=x; Expires=Thu, 01 Jan 2099 00:00:00 GMT", False, True),
        ("_ad_id=x; Max-Age=-1", True, True),
        ("_ad_id=x; Max-Age=junk", False, True),
        (" _ad_id = 1", False, True),
        ("_ad_idx=1", True, True),  # exact names are exact
        ("nameless", True, True),
    ],
)
def test_set_cookie_filter(
    enforcer: Enforcer,
    refuse_all: str,
    accept_all: str,
    header: str,
    refused: bool,
    accepted: bool,
) -> None:
    """CNIL-03: a cookie of a purpose the reader did not allow is never set."""
    after_refusal = enforcer.read([f"bandeau={refuse_all}"], [], NOW)
    after_acceptance = enforcer.read([f"bandeau={accept_all}"], [], NOW)
    nothing = enforcer.read([], [], NOW)
    assert enforcer.keeps(after_refusal, header, NOW) is refused
    assert enforcer.keeps(nothing, header, NOW) is refused
    assert enforcer.keeps(after_acceptance, header, NOW) is accepted


def test_objecting_to_measurement_drops_its_cookie(enforcer: Enforcer, token: TokenFactory) -> None:
    reading = enforcer.read([f"bandeau={token(social=True)}"], [], NOW)
    assert not enforcer.keeps(reading, "_lq_mesure=1", NOW)
    assert enforcer.keeps(reading, "_tg_x=1", NOW)


def test_strict_drops_undeclared_cookies(policy: Policy, keys: KeyRing, accept_all: str) -> None:
    enforcer = Enforcer(policy, keys.current, strict=True)
    reading = enforcer.read([f"bandeau={accept_all}"], [], NOW)
    assert not enforcer.keeps(reading, "sessionid=1", NOW)
    assert enforcer.keeps(reading, "sessionid=; Max-Age=0", NOW)
    assert enforcer.keeps(reading, "_ad_id=1", NOW)
    assert enforcer.keeps(reading, "bandeau=1", NOW)


def test_a_cookie_declared_twice_needs_every_purpose(policy_text: str, keys: KeyRing) -> None:
    """A name declared under two purposes serves both: both must be allowed. An exact name wins
    over a pattern, a longer prefix over a shorter one."""
    text = policy_text.replace(
        '{ name = "_ad_id", lifetime = "13 months" },',
        '{ name = "_ad_id", lifetime = "13 months" }, '
        '{ name = "_social_uid", lifetime = "13 months" }, { name = "_tg_ads*", lifetime = 30 },',
    )
    assert text != policy_text
    enforcer = Enforcer(parse_policy(text), keys.current)
    assert enforcer.declared("_social_uid") == {"social", "advertising"}
    assert enforcer.declared("_tg_ads_1") == {"advertising"}
    assert enforcer.declared("_tg_1") == {"social"}
    assert enforcer.declared("unknown") == frozenset()


def test_refused_cookies_the_browser_sends_are_expired(enforcer: Enforcer, refuse_all: str) -> None:
    """CNIL-03: cookies already placed by a now refused purpose are deleted (Max-Age=0, Path=/)."""
    cookie = f"_ad_id=1; bandeau={refuse_all}; _tg_a=2; _tg_a=3; sessionid=4; _lq_mesure=5"
    reading = enforcer.read([cookie], [], NOW)
    assert reading.expire == ("_ad_id", "_tg_a")
    headers = enforcer.extra_cookies(reading)
    assert headers == [
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
        "_tg_a=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
    ]


def test_expiry_also_targets_the_declared_domain_and_https(policy_text: str, keys: KeyRing) -> None:
    text = policy_text.replace(
        '{ name = "_ad_id", lifetime = "13 months" },',
        '{ name = "_ad_id", domain = "lequotidien.example", lifetime = "13 months" },',
    )
    assert text != policy_text
    enforcer = Enforcer(parse_policy(text), keys.current)
    reading = enforcer.read(["_ad_id=1; __Host-x=1"], [], NOW, https=True)
    assert enforcer.extra_cookies(reading) == [
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure",
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; "
        "Domain=lequotidien.example",
    ]


def test_expiry_echoes_only_valid_names_and_at_most_a_few(enforcer: Enforcer) -> None:
    many = "; ".join(f"_tg_{i}=1" for i in range(100))
    reading = enforcer.read([many + '; _tg_"bad=1; _tg_\x7f=1'], [], NOW)
    assert len(reading.expire) == MAX_EXPIRED
    assert all(name.isascii() and '"' not in name for name in reading.expire)


def test_allowed_and_undeclared_request_cookies_are_left_alone(
    enforcer: Enforcer, accept_all: str
) -> None:
    reading = enforcer.read([f"_ad_id=1; sessionid=2; bandeau={accept_all}"], [], NOW)
    assert reading.expire == () and enforcer.extra_cookies(reading) == []


# ------------------------------------------------------------------ refreshing the cookie


def test_refresh_needs_signing_keys(policy: Policy, keys: KeyRing) -> None:
    with pytest.raises(SettingsError, match="signing_keys"):
        Enforcer(policy, keys.current, refresh_cookie=True)


def test_refresh_keeps_id_choices_and_expiry(
    policy: Policy, keys: KeyRing, token: TokenFactory
) -> None:
    """The refreshed token is the same decision with the same re-prompt horizon (CNIL-07), and
    still names the decision, so the reader's receipt link stays (PROOF-01)."""
    enforcer = Enforcer(policy, keys.current, refresh_cookie=True, signing_keys=keys)
    issued = NOW - 10 * 86400 - 500
    value = token(social=True, issued_at=issued, decision_id="3f0c2a9e-decision")
    original = read_token(value, keys.public)
    reading = enforcer.read([f"bandeau={value}"], [], NOW, https=True)
    assert reading.refresh is not None
    name_value, *attributes = reading.refresh.split("; ")
    name, _, fresh = name_value.partition("=")
    assert name == "bandeau" and fresh != value
    assert attributes == [
        f"Max-Age={original.expires_at - NOW}",
        "Path=/",
        "Secure",
        "SameSite=Lax",
    ]
    renewed = read_token(fresh, keys.public)
    assert renewed.consent_id == original.consent_id
    assert renewed.decision_id == original.decision_id == "3f0c2a9e-decision"
    assert dict(renewed.choices) == dict(original.choices)
    assert renewed.expires_at == original.expires_at
    assert NOW - 86400 < renewed.issued_at <= NOW
    assert (renewed.issued_at - original.issued_at) % 86400 == 0
    # once a day at most: the refreshed token is not refreshed again the same day
    again = enforcer.read([f"bandeau={fresh}"], [], NOW + 3600)
    assert again.refresh is None and again.consent.allows("social")
    assert enforcer.read([f"bandeau={fresh}"], [], NOW + 86400).refresh is not None


def test_refresh_is_not_due_within_a_day_nor_for_invalid_tokens(
    policy: Policy, keys: KeyRing, token: TokenFactory
) -> None:
    enforcer = Enforcer(policy, keys.current, refresh_cookie=True, signing_keys=keys)
    assert enforcer.read([f"bandeau={token(issued_at=NOW - 600)}"], [], NOW).refresh is None
    expired = token(issued_at=NOW - 184 * 86400)
    assert enforcer.read([f"bandeau={expired}"], [], NOW).refresh is None
    assert enforcer.read(["bandeau=junk"], [], NOW).refresh is None


def test_refresh_is_skipped_when_the_app_sets_the_consent_cookie(
    policy: Policy, keys: KeyRing, token: TokenFactory
) -> None:
    text_policy = policy.model_copy(update={"cookie_domain": "lequotidien.example"})
    enforcer = Enforcer(text_policy, keys.current, refresh_cookie=True, signing_keys=keys)
    reading = enforcer.read([f"bandeau={token(issued_at=NOW - 3 * 86400)}"], [], NOW)
    assert reading.refresh is not None and "Domain=lequotidien.example" in reading.refresh
    assert "HttpOnly" not in reading.refresh and "Secure" not in reading.refresh
    assert enforcer.extra_cookies(reading) == [reading.refresh]
    assert enforcer.extra_cookies(reading, app_sets_consent=True) == []


# ------------------------------------------------------------------ parsing and options


def test_cookie_pairs_and_set_cookie_names() -> None:
    assert cookie_pairs(["a=1; b = 2 ;c=", "=x; d; e=f=g"]) == [
        ("a", "1"),
        ("b", "2"),
        ("c", ""),
        ("e", "f=g"),
    ]
    assert set_cookie_name("a=b; Path=/") == "a"
    assert set_cookie_name("  a  =b") == "a"
    assert set_cookie_name("novalue") == ""


@pytest.mark.parametrize("middleware", [BandeauMiddleware, BandeauWSGIMiddleware])
def test_options_are_checked_once(middleware: type, policy: Policy, keys: KeyRing) -> None:
    def app() -> None:
        raise AssertionError("never called")

    with pytest.raises(SettingsError, match="Policy"):
        middleware(app, policy="policy.toml", public_keys=keys.current)
    with pytest.raises(SettingsError, match="no public key"):
        middleware(app, policy=policy, public_keys={})
    with pytest.raises(SettingsError, match="public_keys"):
        middleware(app, policy=policy, public_keys="PEM")
    with pytest.raises(SettingsError, match="banner_url"):
        middleware(app, policy=policy, public_keys=keys.current, insert_banner=True)
    with pytest.raises(SettingsError, match="max_buffer"):
        middleware(app, policy=policy, public_keys=keys.current, max_buffer=-1)
    assert middleware(app, policy=policy, public_keys=keys.public).app is app
