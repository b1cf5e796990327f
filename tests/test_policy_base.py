"""A publisher group: one base policy (controller, services, purposes) that each site's policy
extends with its own fields, and several sites served by one process and one store whose proof
stays apart: a token of one site never counts on another."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from bandeau.consent import Signals, evaluate, read_token
from bandeau.errors import PolicyError, SettingsError, TokenError
from bandeau.keys import KeyRing, site_folder
from bandeau.ledger import ReceiptError, verify_receipt
from bandeau.middleware import BandeauMiddleware
from bandeau.policy import Policy, load_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import Store, open_store

from .live import free_port, serving
from .served import bandeau_serve
from .wire import decision_body

CLIENT_TIME: Final = 1_780_000_000_000

LYON = """extends = "group.toml"
site = "lyon"
origins = ["{origin}"]

[controller]
address = "1 rue de la République, 69002 Lyon"

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
            'privacy_policy_url = { fr = "/confidentialite", en = "/en/privacy", '
            'de = "/de/datenschutz" }',
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
    # tables merge field by field: the site gives the controller's address, the rest stays the
    # base's (the same controller: a new one would re-ask every purpose, LAW-03)
    assert lyon.controller.address == "1 rue de la République, 69002 Lyon"
    assert lyon.controller.name == policy.controller.name
    assert lyon.controller.contact == policy.controller.contact
    # purposes merge by key, in the base's order; a site overrides only what it gives
    assert [p.key for p in lyon.purposes] == [p.key for p in policy.purposes]
    social = lyon.purpose("social")
    assert social.text["fr"].name == "Réseaux sociaux lyonnais"
    assert social.text["fr"].refusal == policy.purpose("social").text["fr"].refusal
    assert social.text["en"] == policy.purpose("social").text["en"]
    assert social.services == policy.purpose("social").services
    assert social.digest != policy.purpose("social").digest  # the reader saw other words
    assert lyon.purpose("advertising").digest == policy.purpose("advertising").digest
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


@dataclass
class Group:
    """Two sites of a group served by one process and one store, each with its own keys."""

    url: str
    lyon: Policy
    vienne: Policy
    rings: dict[str, KeyRing]
    log_keys: KeyRing
    store: Store

    def decide(self, http: httpx.Client, site: str, action: str = "accept_all") -> httpx.Response:
        policy = self.lyon if site == "lyon" else self.vienne
        body = decision_body(policy, action, page="/", build="b" * 16, client_time=CLIENT_TIME)
        origin = {"Origin": f"http://{site}.example"}
        return http.post(f"/v1/sites/{site}/decisions", json=body, headers=origin)


@contextmanager
def group_server(tmp: Path, policy_text: str, **settings: Any) -> Iterator[Group]:
    """The group's two sites in one server, with their rings made as `bandeau serve` makes
    them (the log's at the top of the key folder, each site's in `keys.site_folder`)."""
    port = free_port()
    lyon_path, vienne_path = group(tmp, policy_text, "http://lyon.example", "http://vienne.example")
    lyon, vienne = load_policy(lyon_path), load_policy(vienne_path)
    given = Settings(data_dir=tmp / "data", port=port, **{"rate_limit": 0, **settings})
    store = open_store(given.database_url)
    log_keys = KeyRing.open_or_create(given.keys_dir)
    rings = {
        p.site: KeyRing.open_or_create(site_folder(given.keys_dir, p.site)) for p in (lyon, vienne)
    }
    app = create_app(given, [lyon, vienne], keys=log_keys, store=store, site_keys=rings)
    try:
        with serving(app, port) as url:
            yield Group(url, lyon, vienne, rings, log_keys, store)
    finally:
        store.close()


@pytest.fixture
def two_sites(tmp_path: Path, policy_text: str) -> Iterator[Group]:
    with group_server(tmp_path, policy_text) as served:
        yield served


def test_a_token_of_one_site_never_counts_on_another(two_sites: Group) -> None:
    """One process, one store, two sites of the group with the same purposes: a reader's
    acceptance on Lyon is proof for Lyon only (LAW-02, LAW-03: consent is specific to what
    the reader was asked, on that site, and demonstrable there)."""
    lyon, vienne = two_sites.lyon, two_sites.vienne
    with httpx.Client(base_url=two_sites.url) as http:
        r = two_sites.decide(http, "lyon")
        assert r.status_code == 201, r.text
        answer = r.json()
    token = read_token(answer["token"], two_sites.rings["lyon"].public)
    assert token.site == "lyon"
    # signed by Lyon's own key: neither Vienne's nor the log's verifies it
    for other in (two_sites.rings["vienne"], two_sites.log_keys):
        with pytest.raises(TokenError, match="unknown key"):
            read_token(answer["token"], other.public)
    now = token.issued_at + 1
    on_lyon = evaluate(lyon, token, Signals(), now)
    on_vienne = evaluate(vienne, token, Signals(), now)
    assert on_lyon.decided and on_lyon.states["advertising"]
    # the same purpose at the same version on Vienne: still not answered there
    assert vienne.purpose("advertising").digest == lyon.purpose("advertising").digest
    assert not on_vienne.decided and "advertising" in on_vienne.pending
    assert on_vienne.states["advertising"] is False
    with httpx.Client(base_url=two_sites.url) as http:
        consent = f"/consents/{answer['consent_id']}"
        assert http.get("/v1/sites/vienne" + consent).status_code == 404
        assert http.get("/v1/sites/lyon" + consent).status_code == 200
        bearer = {"Authorization": f"Bearer {answer['token']}"}
        assert http.delete("/v1/sites/vienne" + consent, headers=bearer).status_code in (401, 403)
        # a decision for Vienne from Lyon's pages is refused (CSRF, per-site origins)
        other = decision_body(vienne, "accept_all", page="/", build="b" * 16)
        refused = http.post(
            "/v1/sites/vienne/decisions", json=other, headers={"Origin": "http://lyon.example"}
        )
        assert refused.status_code == 403


def test_each_site_publishes_its_own_keys(two_sites: Group) -> None:
    """`GET /v1/sites/{site}/keys` serves the site's ring, `GET /v1/keys` the log's: three
    different keys, and the folder holds one ring per site beside the log's (CNIL-08)."""
    with httpx.Client(base_url=two_sites.url) as http:
        served = {
            name: http.get(path).json()["current"]
            for name, path in (
                ("lyon", "/v1/sites/lyon/keys"),
                ("vienne", "/v1/sites/vienne/keys"),
                ("log", "/v1/keys"),
            )
        }
        assert http.get("/v1/sites/nowhere/keys").json()["error"]["code"] == "unknown_site"
    assert served == {
        "lyon": two_sites.rings["lyon"].current.key_id,
        "vienne": two_sites.rings["vienne"].current.key_id,
        "log": two_sites.log_keys.current.key_id,
    }
    assert len(set(served.values())) == 3


def test_a_token_of_another_site_is_no_previous_decision(two_sites: Group) -> None:
    """A Lyon token sent with a Vienne decision is not Vienne's reader's previous choice: the
    decision is recorded as a first one (its event says so), and Vienne's answer is signed
    with Vienne's key."""
    with httpx.Client(base_url=two_sites.url) as http:
        lyon_token = two_sites.decide(http, "lyon").json()["token"]
        body = decision_body(two_sites.vienne, "refuse_all", page="/", token=lyon_token)
        r = http.post(
            "/v1/sites/vienne/decisions", json=body, headers={"Origin": "http://vienne.example"}
        )
        assert r.status_code == 201, r.text
        fresh = two_sites.decide(http, "vienne", "refuse_all").json()
    first = r.json()
    assert first["event"] == fresh["event"]
    assert read_token(first["token"], two_sites.rings["vienne"].public).site == "vienne"


def test_a_receipt_of_one_site_never_verifies_on_another(two_sites: Group) -> None:
    """A receipt's checkpoint is countersigned by its site's key: it verifies with that key
    (PROOF-01) and with no other site's; the log's own checkpoint travels beside it. Another
    site's receipt route does not know the decision."""
    with httpx.Client(base_url=two_sites.url) as http:
        answer = two_sites.decide(http, "lyon").json()
        decision = answer["decision_id"]
        assert http.get(f"/v1/sites/vienne/decisions/{decision}/receipt").status_code == 404
        r = http.get(f"/v1/sites/lyon/decisions/{decision}/receipt")
        assert r.status_code == 200, r.text
        receipt = r.json()
    record = verify_receipt(receipt, two_sites.rings["lyon"].public)
    assert (record.site, record.decision_id) == ("lyon", decision)
    with pytest.raises(ReceiptError, match="not the key given"):
        verify_receipt(receipt, two_sites.rings["vienne"].public)
    log_cp = receipt["log_checkpoint"]
    assert log_cp["key_id"] == two_sites.log_keys.current.key_id
    assert (log_cp["size"], log_cp["root"]) == (
        receipt["checkpoint"]["size"],
        receipt["checkpoint"]["root"],
    )
    assert verify_receipt({**receipt, "checkpoint": log_cp}, two_sites.log_keys.public)


def test_rate_limits_count_per_site(tmp_path: Path, policy_text: str) -> None:
    """A client at the limit on one site of the group still answers another site's banner:
    each site counts its own decisions (and its own receipts)."""
    with (
        group_server(tmp_path, policy_text, rate_limit=2) as served,
        httpx.Client(base_url=served.url) as http,
    ):
        assert [served.decide(http, "lyon").status_code for _ in range(3)] == [201, 201, 429]
        assert served.decide(http, "vienne").status_code == 201
        assert served.decide(http, "lyon").status_code == 429


def test_the_middleware_of_one_site_refuses_another_sites_token(two_sites: Group) -> None:
    """Vienne's publisher runs bandeau's middleware with Vienne's public keys: Lyon's token in
    the cookie is no consent there, and a cookie of a refused purpose is stripped (CNIL-03),
    while Lyon's middleware, with Lyon's keys, lets it through."""
    with httpx.Client(base_url=two_sites.url) as http:
        token = two_sites.decide(http, "lyon").json()["token"]

    async def page(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain"), (b"set-cookie", b"_ad_id=1; Path=/")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    kept = {}
    for name in ("lyon", "vienne"):
        policy = two_sites.lyon if name == "lyon" else two_sites.vienne
        app = BandeauMiddleware(page, policy=policy, public_keys=two_sites.rings[name].public)
        with serving(app, lifespan="off") as url:
            r = httpx.get(url + "/", headers={"Cookie": f"{policy.cookie_name}={token}"})
        kept[name] = "_ad_id" in r.headers.get("set-cookie", "")
    assert kept == {"lyon": True, "vienne": False}


def test_sites_of_one_server_need_keys_of_their_own(tmp_path: Path, policy_text: str) -> None:
    """Several sites signing with one ring would let a token of one verify on another:
    `create_app` refuses it, and `KeyRing.open` never makes a site's ring."""
    lyon_path, vienne_path = group(tmp_path, policy_text)
    policies = [load_policy(lyon_path), load_policy(vienne_path)]
    settings = Settings(data_dir=tmp_path / "data")
    store = open_store(settings.database_url)
    ring = KeyRing.generate()
    try:
        with pytest.raises(SettingsError, match="no signing keys for site"):
            create_app(settings, policies, keys=ring, store=store)
        with pytest.raises(SettingsError, match="the same key"):
            create_app(
                settings, policies, keys=ring, store=store, site_keys={"lyon": ring, "vienne": ring}
            )
    finally:
        store.close()
    folder = site_folder(settings.keys_dir, "lyon")
    with pytest.raises(SettingsError, match="no signing key in"):
        KeyRing.open(folder)
    assert not folder.exists()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bandeau", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_bandeau_serve_serves_the_group_from_one_process_and_one_store(
    tmp_path: Path, policy_text: str
) -> None:
    """`bandeau serve --policy lyon.toml --policy vienne.toml`, as a user runs it (one process):
    both sites answer, into one log, each signing with the ring `serve` made for
    it in the key folder; `bandeau keys show --site` prints that ring's key."""
    _, vienne_path = group(tmp_path, policy_text, vienne="http://vienne.example")
    lyon_text = LYON.format(origin="http://127.0.0.1:8000")
    flags = ("--policy", str(vienne_path), "--rate-limit", "0")
    with bandeau_serve(tmp_path, lyon_text, *flags) as served:
        conn = served.connect()
        status, lyon_answer = served.decide(conn)
        assert status == 201, lyon_answer
        body = decision_body(load_policy(vienne_path), "refuse_all")
        conn.request(
            "POST",
            "/v1/sites/vienne/decisions",
            json.dumps(body),
            {"Origin": "http://vienne.example", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        vienne_answer = json.loads(response.read())
        assert response.status == 201, vienne_answer
        health = served.get(conn, "/v1/health")
        keys = {s: served.get(conn, f"/v1/sites/{s}/keys")["current"] for s in ("lyon", "vienne")}
    assert health["sites"] == ["lyon", "vienne"]
    assert health["store"]["size"] == 2  # one log for the group
    data = tmp_path / "bandeau-data"  # the default data folder, in serve's working folder
    for site in ("lyon", "vienne"):
        ring = KeyRing.open(site_folder(data / "keys", site))
        assert ring.current.key_id == keys[site]
        shown = run_cli("keys", "show", "--site", site, "--data-dir", str(data))
        assert shown.returncode == 0, shown.stderr
        assert f"current key id: {keys[site]}" in shown.stdout
    assert read_token(lyon_answer["token"], KeyRing.open(site_folder(data / "keys", "lyon")).public)
    with pytest.raises(TokenError):
        read_token(vienne_answer["token"], KeyRing.open(site_folder(data / "keys", "lyon")).public)
    # the right of access reads one site's records only (LAW-03)
    lyon_id = str(lyon_answer["consent_id"])
    # options first, then `--`: a random consent id may start with "-"
    exported = run_cli("export", "--data-dir", str(data), "--", "lyon", lyon_id)
    assert exported.returncode == 0, exported.stderr
    assert {d["site"] for d in json.loads(exported.stdout)["decisions"]} == {"lyon"}
    elsewhere = run_cli("export", "--data-dir", str(data), "--", "vienne", lyon_id)
    assert elsewhere.returncode == 1 and "no decision is recorded" in elsewhere.stderr
    missing = run_cli("keys", "show", "--site", "nowhere", "--data-dir", str(data))
    assert missing.returncode == 1
    assert "no signing key in" in missing.stderr
    assert not site_folder(data / "keys", "nowhere").exists()
