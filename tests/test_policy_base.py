"""A publisher group: one base policy (controller, services, purposes) that each site's policy
extends with its own fields, and several sites served by one process and one store whose proof
stays apart: a token of one site never counts on another."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bandeau.consent import Signals, evaluate, issue_token, read_token
from bandeau.errors import PolicyError
from bandeau.keys import KeyRing
from bandeau.policy import Policy, load_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store

from .live import free_port, serving
from .wire import decision_body

LYON = """extends = "group.toml"
site = "lyon"
origins = ["{origin}"]

[controller]
name = "Le Quotidien de Lyon"

[[purposes]]
key = "social"
[purposes.text.fr]
name = "Réseaux sociaux lyonnais"
"""

VIENNE = """extends = "group.toml"
site = "vienne"
origins = ["{origin}"]
reprompt_after_days = 120
drop_purposes = ["social"]
"""


def group(
    tmp: Path,
    policy_text: str,
    lyon: str = "http://127.0.0.1:8101",
    vienne: str = "http://127.0.0.1:8102",
) -> tuple[Path, Path]:
    (tmp / "group.toml").write_text(
        policy_text.replace(
            'privacy_policy_url = { fr = "/confidentialite", en = "/en/privacy" }',
            'privacy_policy_url = "/privacy"',
        )
    )
    (tmp / "lyon.toml").write_text(LYON.format(origin=lyon))
    (tmp / "vienne.toml").write_text(VIENNE.format(origin=vienne))
    return tmp / "lyon.toml", tmp / "vienne.toml"


def test_a_site_extends_the_groups_base(tmp_path: Path, policy_text: str, policy: Policy) -> None:
    lyon_path, vienne_path = group(tmp_path, policy_text)
    lyon, vienne = load_policy(lyon_path), load_policy(vienne_path)
    assert (lyon.site, vienne.site) == ("lyon", "vienne")
    # tables merge field by field: the site renames the controller, the contact stays the base's
    assert lyon.controller.name == "Le Quotidien de Lyon"
    assert lyon.controller.contact == policy.controller.contact
    # purposes merge by key, in the base's order; a site overrides only what it gives
    assert [p.key for p in lyon.purposes] == [p.key for p in policy.purposes]
    social = lyon.purpose("social")
    assert social.text["fr"].name == "Réseaux sociaux lyonnais"
    assert social.text["fr"].refusal == policy.purpose("social").text["fr"].refusal
    assert social.text["en"] == policy.purpose("social").text["en"]
    assert social.services == policy.purpose("social").services
    assert social.digest != policy.purpose("social").digest  # the reader saw other words
    advertising = lyon.purpose("advertising")
    assert advertising.model_dump() == policy.purpose("advertising").model_dump()
    # the same purpose, but another controller asks for it: its readers are asked again (LAW-03)
    assert advertising.digest != policy.purpose("advertising").digest
    # a site drops a base purpose and replaces a plain value
    assert [p.key for p in vienne.purposes] == ["necessary", "audience", "advertising"]
    assert (vienne.reprompt_after_days, lyon.reprompt_after_days) == (120, 183)


def test_problems_name_both_files(tmp_path: Path, policy_text: str) -> None:
    lyon_path, _ = group(tmp_path, policy_text)
    lyon_path.write_text(lyon_path.read_text() + "reprompt_after_days = 500\n")
    with pytest.raises(PolicyError) as info:
        load_policy(lyon_path)
    [problem] = info.value.problems
    assert problem.startswith(f"{lyon_path} (extends {tmp_path / 'group.toml'}): ")
    assert "reprompt_after_days" in problem
    base = tmp_path / "group.toml"
    base.write_text('extends = "other.toml"\n' + base.read_text())
    with pytest.raises(PolicyError, match="a base cannot extend another base"):
        load_policy(lyon_path)


@pytest.fixture
def two_sites(tmp_path: Path, policy_text: str) -> Iterator[tuple[str, Policy, Policy, KeyRing]]:
    port = free_port()
    lyon_path, vienne_path = group(
        tmp_path, policy_text, "http://lyon.example", "http://vienne.example"
    )
    lyon, vienne = load_policy(lyon_path), load_policy(vienne_path)
    settings = Settings(data_dir=tmp_path / "data", port=port, rate_limit=0)
    store = open_store(settings.database_url)
    keys = KeyRing.open_or_create(settings.keys_dir)
    app = create_app(settings, [lyon, vienne], keys=keys, store=store)
    with serving(app, port) as url:
        yield url, lyon, vienne, keys
    store.close()


def test_a_token_of_one_site_never_counts_on_another(
    two_sites: tuple[str, Policy, Policy, KeyRing],
) -> None:
    """One process, one store, two sites of the group with the same purposes: a reader's
    acceptance on Lyon is proof for Lyon only."""
    url, lyon, vienne, keys = two_sites
    with httpx.Client(base_url=url) as http:
        body = decision_body(
            lyon, "accept_all", page="/", build="b" * 16, client_time=1_780_000_000_000
        )
        r = http.post(
            "/v1/sites/lyon/decisions", json=body, headers={"Origin": "http://lyon.example"}
        )
        assert r.status_code == 201, r.text
        answer = r.json()
    token = read_token(answer["token"], keys.public)
    assert token.site == "lyon"
    now = token.issued_at + 1
    on_lyon = evaluate(lyon, token, Signals(), now)
    assert on_lyon.decided and on_lyon.states["advertising"]
    # Lyon's own controller makes its digests differ from Vienne's (LAW-03); even a token of
    # Lyon that answers Vienne's very versions leaves them unanswered on Vienne
    same_versions = issue_token(
        keys,
        site="lyon",
        consent_id=token.consent_id,
        choices={p.key: (True, p.digest) for p in vienne.purposes},
        issued_at=token.issued_at,
        lifetime_days=30,
    )
    on_vienne = evaluate(vienne, read_token(same_versions, keys.public), Signals(), now)
    assert not on_vienne.decided and "advertising" in on_vienne.pending
    assert on_vienne.states["advertising"] is False
    with httpx.Client(base_url=url) as http:
        consent = f"/consents/{answer['consent_id']}"
        assert http.get("/v1/sites/vienne" + consent).status_code == 404
        assert http.get("/v1/sites/lyon" + consent).status_code == 200
        bearer = {"Authorization": f"Bearer {answer['token']}"}
        assert http.delete("/v1/sites/vienne" + consent, headers=bearer).status_code in (401, 403)
        # a decision for Vienne from Lyon's pages is refused (CSRF, per-site origins)
        other = decision_body(
            vienne, "accept_all", page="/", build="b" * 16, client_time=1_780_000_000_000
        )
        refused = http.post(
            "/v1/sites/vienne/decisions", json=other, headers={"Origin": "http://lyon.example"}
        )
        assert refused.status_code == 403
