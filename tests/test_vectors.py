"""The consent vectors (tests/vectors/consent.json) against the Python rule, then through the
server's `build_record`: the token the server would issue says what the banner applied.
The same file runs in Chromium against the shipped banner (tests/browser/test_vectors.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from bandeau.banner import build_hash
from bandeau.banner.config import site_config
from bandeau.consent import (
    Consent,
    Outcome,
    Signals,
    decide,
    evaluate,
    features_on,
    issue_token,
    read_token,
)
from bandeau.decisions import DecisionIn, build_record
from bandeau.declarations import cookie_declarations, cookies_to_delete, storage_to_delete
from bandeau.keys import KeyRing
from bandeau.notices import Served, notice_for
from bandeau.policy import Policy

from .vectors import Case, load, make_policy, sign_token

POLICIES, CASES = load()
KEYS = KeyRing.generate()
WIRE_LAYER = {"first": "first", "preferences": "settings"}


def act(policy: Policy, before: Consent, action: dict[str, Any]) -> Outcome | None:
    """What the case's action decides, by `consent.decide`."""
    if action["do"] == "none":
        return None
    return decide(
        policy,
        before,
        action["do"],
        switches=action.get("switches"),
        grant=tuple(action.get("keys", ())),
    )


def server_reads_back(policy: Policy, case: Case, token: str | None, outcome: Outcome) -> Consent:
    """Send the decision through `build_record`, sign what it records as the server does, and
    evaluate that token: the state the reader's next page starts from."""
    action = case.action["do"]
    layer = "placeholder" if action == "grant" else WIRE_LAYER[case.action["layer"]]
    decision = DecisionIn.model_validate(
        {
            "id": str(uuid.uuid4()),
            "token": token,
            "action": action,
            "layer": layer,
            "control": "bd-vector",
            "lang": "fr",
            "choices": {
                k: {"granted": g, "digest": policy.purpose(k).digest}
                for k, g in outcome.choices.items()
            },
            "gpc": case.gpc,
        }
    )
    served = Served(notice_for(policy, "fr").id, build_hash())
    record = build_record(policy, decision, KEYS, gpc=case.gpc, ua="", served=served)
    issued = issue_token(
        KEYS,
        site=policy.site,
        consent_id=record.consent_id,
        choices={k: (g, record.shown[k]) for k, g in record.choices.items()},
        issued_at=int(time.time()),
        lifetime_days=policy.reprompt_after_days,
    )
    return evaluate(
        policy, read_token(issued, KEYS.public), Signals(gpc=case.gpc), int(time.time())
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_vector(case: Case) -> None:
    policy = make_policy(case.policy, POLICIES[case.policy])
    now = int(time.time())
    token = sign_token(case, policy, KEYS, now)
    payload = read_token(token, KEYS.public) if token else None
    before = evaluate(policy, payload, Signals(gpc=case.gpc), now)
    outcome = act(policy, before, case.action)
    states = outcome.states if outcome else before.states
    pending = outcome.pending if outcome else before.pending
    expect = case.expect

    assert dict(states) == expect["states"]
    assert features_on(policy, states) == expect["features"]
    assert set(pending) == set(expect["pending"])
    jar = [*case.jar.get("cookies", []), *([policy.cookie_name] if token else [])]
    assert cookies_to_delete(policy, jar, states) == expect["delete"]
    storage = case.jar.get("storage", [])
    assert storage_to_delete(policy, storage, states) == expect["delete_storage"]
    assert (dict(outcome.choices) if outcome else None) == expect["sent"]

    if outcome is not None:
        after = server_reads_back(policy, case, token, outcome)
        assert dict(after.states) == expect["states"]
        assert set(after.pending) == set(expect["pending"])


def test_vectors_cover_the_known_drift_and_every_action() -> None:
    """The file keeps the cases issue 7 asks for: `_ga*` against `_ga_*`, every action."""
    names = " ".join(c.name for c in CASES)
    assert "_ga* under audience, _ga_* under advertising" in names
    assert {c.action["do"] for c in CASES} == {"none", "accept_all", "refuse_all", "save", "grant"}
    assert len(CASES) >= 20


def test_the_banner_gets_the_declarations_in_resolution_order() -> None:
    """Exact names first, then prefixes from longest to shortest: the order in which both
    `declarations.resolve` and banner.js take the first match (site config `cookies`)."""
    policy = make_policy("news", POLICIES["news"])
    order = [d.pattern for d in cookie_declarations(policy)]
    assert order == [
        "_ad_id", "_ga_consent", "_social_uid", "bandeau", "bandeau_p", "_ga_*", "_tg_*", "_ga*",
    ]
    assert cookie_declarations(policy)[2].purposes == ("social", "advertising")
    config = site_config(policy, "http://127.0.0.1:8000/v1/sites/news")
    assert [c[0] for c in config["cookies"]] == order
    assert config["storage"] == [["tg_ads_*", ["advertising"]], ["stats_*", ["audience"]],
                                 ["tg_*", ["social"]]]
