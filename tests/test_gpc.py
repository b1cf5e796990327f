"""Global Privacy Control over real HTTP (GPC-01, GPC-03): the signal refuses the purposes it
covers, is recorded with event `gpc_applied` once per consent id, and never overrides an
explicit choice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bandeau.consent import read_token
from bandeau.policy import Policy

from .live import RunningSite, running_site

SITE = "/v1/sites/lequotidien"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[RunningSite]:
    with running_site(tmp_path_factory.mktemp("gpc"), policy_text, rate_limit=0) as s:
        yield s


def body(policy: Policy, action: str, choices: dict[str, bool], token: str | None = None,
         **extra: Any) -> dict[str, Any]:
    layer = {"gpc": "signal", "accept_all": "first"}[action]
    return {
        "id": str(uuid.uuid4()),
        "token": token,
        "action": action,
        "layer": layer,
        "control": action,
        "lang": "fr",
        "page": "/",
        "choices": {
            k: {"granted": on, "digest": policy.purpose(k).digest} for k, on in choices.items()
        },
        "secret": "s" * 32,
        **extra,
    }


def post(site: RunningSite, payload: dict[str, Any], gpc: bool = True) -> httpx.Response:
    headers = {"Origin": site.policy.origins[0], **({"Sec-GPC": "1"} if gpc else {})}
    return httpx.post(f"{site.url}{SITE}/decisions", json=payload, headers=headers)


def test_gpc_is_recorded_once_per_consent_id(site: RunningSite) -> None:
    """GPC-03: the first page with `Sec-GPC: 1` records `gpc_applied` (advertising refused,
    signals.gpc true); later pages, tabs and retries with the reader's token store nothing
    more and are answered with that same record."""
    policy = site.policy
    first = post(site, body(policy, "gpc", {"advertising": False}))
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["event"] == "gpc_applied"
    token = read_token(answer["token"], site.keys.public)
    assert token.choices == {"advertising": (False, policy.purpose("advertising").digest)}
    for page in ("/", "/articles/un", "/en/"):
        again = post(site, body(policy, "gpc", {"advertising": False}, answer["token"], page=page))
        assert again.status_code == 200, again.text
        assert again.json()["decision_id"] == answer["decision_id"]
        assert again.json()["consent_id"] == answer["consent_id"]
    [record] = site.store.history(policy.site, answer["consent_id"])
    assert record.event == "gpc_applied" and record.layer == "signal"
    assert record.signals == {"gpc": True}
    assert record.choices == {"advertising": False}


def test_gpc_keeps_the_readers_other_answers_and_never_overrides_a_choice(
    site: RunningSite,
) -> None:
    """GPC-03: an explicit accept all after GPC stands (the override is the reader's); a gpc
    decision for a purpose the reader allowed is refused, naming it."""
    policy = site.policy
    gpc = post(site, body(policy, "gpc", {"advertising": False})).json()
    everything = {"audience": True, "social": True, "advertising": True}
    accepted = post(site, body(policy, "accept_all", everything, gpc["token"], gpc=True))
    assert accepted.status_code == 201, accepted.text
    history = site.store.history(policy.site, gpc["consent_id"])
    assert [r.event for r in history] == ["gpc_applied", "accept_all"]
    assert history[-1].signals == {"gpc": True}
    late = post(site, body(policy, "gpc", {"advertising": False}, accepted.json()["token"]))
    assert late.status_code == 422
    error = late.json()["error"]
    assert error["field"] == "choices" and "advertising already allowed" in error["message"]
    assert len(site.store.history(policy.site, gpc["consent_id"])) == 2


@pytest.mark.parametrize(
    ("choices", "gpc", "field"),
    [
        ({"advertising": False}, False, "gpc"),  # no signal: nothing to record
        ({"social": False}, True, "choices"),  # not covered by GPC
        ({"advertising": True}, True, "choices"),  # GPC never grants
        ({}, True, "choices"),
    ],
)
def test_a_gpc_decision_that_is_not_one_is_refused(
    site: RunningSite, choices: dict[str, bool], gpc: bool, field: str
) -> None:
    response = post(site, body(site.policy, "gpc", choices), gpc=gpc)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
