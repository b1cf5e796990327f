"""Proof of consent over HTTP: receipts, checkpoints, consistency, erasure (PROOF-01..04)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.consent import read_token
from bandeau.keys import KeyRing, PublicKey
from bandeau.ledger import verify_log, verify_receipt
from bandeau.merkle import verify_consistency
from bandeau.policy import Policy
from bandeau.store import Store

from .live import running_site
from .wire import decision_body

SITE = "/v1/sites/lequotidien"
ADMIN = "s3cret-admin-token"


class Server:
    def __init__(self, url: str, policy: Policy, store: Store, keys: KeyRing) -> None:
        self.url, self.policy, self.store, self.keys = url, policy, store, keys
        self.http = httpx.Client(base_url=url, headers={"Origin": policy.origins[0]})

    def decide(self, action: str = "accept_all") -> dict[str, Any]:
        body = decision_body(self.policy, action)
        r = self.http.post(f"{SITE}/decisions", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())


@contextmanager
def own_server(tmp: Path, policy_text: str, **settings: Any) -> Iterator[Server]:
    """A server of the test's own (its own log and rate-limit counters)."""
    with running_site(tmp, policy_text, admin_token=ADMIN, **settings) as site:
        s = Server(site.url, site.policy, site.store, site.keys)
        yield s
        s.http.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[Server]:
    with own_server(
        tmp_path_factory.mktemp("proof"), policy_text, rate_limit=0, checkpoint_interval=3600
    ) as s:
        yield s


def test_token_names_the_decision(server: Server) -> None:
    out = server.decide()
    assert read_token(out["token"], server.keys.public).decision_id == out["decision_id"]


def test_receipt_downloads_and_verifies_offline(server: Server, tmp_path: Path) -> None:
    """PROOF-01, CNIL-08: a reader's receipt checks out with the public key alone."""
    out = server.decide("refuse_all")
    r = server.http.get(f"{SITE}/decisions/{out['decision_id']}/receipt")
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    pem = server.http.get("/v1/keys").json()["keys"][0]["pem"]
    public = PublicKey.from_text(pem)
    record = verify_receipt(r.json(), {public.key_id: public})
    assert record.decision_id == out["decision_id"]
    assert record.event == "refuse_all"
    assert record.choices["social"] is False


def test_receipt_of_unknown_decision(server: Server) -> None:
    r = server.http.get(f"{SITE}/decisions/{uuid.uuid4()}/receipt")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_checkpoints_and_consistency(server: Server) -> None:
    server.decide()
    first = server.http.post("/v1/checkpoints", headers={"Authorization": f"Bearer {ADMIN}"})
    assert first.status_code == 201, first.text
    server.decide()
    second = server.http.post("/v1/checkpoints", headers={"Authorization": f"Bearer {ADMIN}"})
    a, b = first.json(), second.json()
    assert b["size"] == a["size"] + 1
    listed = server.http.get("/v1/checkpoints").json()["checkpoints"]
    assert [c["size"] for c in listed][:2] == [b["size"], a["size"]]
    proof = server.http.get(
        "/v1/checkpoints/consistency", params={"first": a["size"], "second": b["size"]}
    ).json()["proof"]
    import base64

    assert verify_consistency(
        a["size"],
        b["size"],
        base64.b64decode(a["root"]),
        base64.b64decode(b["root"]),
        [base64.b64decode(h) for h in proof],
    )
    bad = server.http.get("/v1/checkpoints/consistency", params={"first": 99999, "second": 1})
    assert bad.status_code == 422


def test_admin_endpoints_need_the_token(server: Server) -> None:
    assert server.http.post("/v1/checkpoints").status_code == 403
    wrong = server.http.post("/v1/checkpoints", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "forbidden"


def test_reader_erases_their_own_records(server: Server) -> None:
    """GDPR Art. 17: erasure redacts content, keeps leaf hashes; the log still verifies."""
    out = server.decide()
    cid = out["consent_id"]
    other = server.decide()
    path = f"{SITE}/consents/{cid}"
    assert server.http.delete(path).status_code == 403
    forged = server.http.delete(path, headers={"Authorization": f"Bearer {other['token']}"})
    assert forged.status_code == 403
    ok = server.http.delete(path, headers={"Authorization": f"Bearer {out['token']}"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["erased"] == 1
    assert server.http.get(path).status_code == 404
    report = verify_log(server.store, server.keys.public)
    assert report.ok
    assert len(report.redacted) == 1
    again = server.http.delete(path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert again.status_code == 404


def test_history_is_the_export(server: Server) -> None:
    out = server.decide()
    data = server.http.get(f"{SITE}/consents/{out['consent_id']}").json()
    assert json.loads(json.dumps(data))["decisions"][0]["decision_id"] == out["decision_id"]


def test_checkpoints_are_paged_newest_first(tmp_path: Path, policy_text: str) -> None:
    """Issue 8: the list is paged (newest first, a cursor, a bounded page), the latest
    checkpoint has its own route, and proofs look checkpoints up by size."""
    with own_server(tmp_path, policy_text, rate_limit=0, checkpoint_interval=3600) as server:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        assert server.http.get("/v1/checkpoints/latest").status_code == 404
        for _ in range(5):
            server.decide()
            assert server.http.post("/v1/checkpoints", headers=admin).status_code == 201
        pages, cursor = [], None
        while True:
            params = {"limit": 2} if cursor is None else {"limit": 2, "before": cursor}
            body = server.http.get("/v1/checkpoints", params=params).json()
            pages.append([c["size"] for c in body["checkpoints"]])
            cursor = body["next"]
            if cursor is None:
                break
        assert pages == [[5, 4], [3, 2], [1]]
        latest = server.http.get("/v1/checkpoints/latest").json()
        assert latest == server.http.get("/v1/checkpoints").json()["checkpoints"][0]
        assert latest["size"] == 5
        for limit in (0, 1001):
            r = server.http.get("/v1/checkpoints", params={"limit": limit})
            assert r.status_code == 422 and r.json()["error"]["field"] == "limit"
        missing = server.http.get("/v1/checkpoints/consistency", params={"first": 2, "second": 6})
        assert missing.status_code == 422 and missing.json()["error"]["field"] == "second"
        ok = server.http.get("/v1/checkpoints/consistency", params={"first": 2, "second": 5})
        assert ok.status_code == 200 and ok.json()["proof"]


def test_receipts_cannot_make_checkpoints_faster_than_the_schedule(
    tmp_path: Path, policy_text: str
) -> None:
    """Issue 8: a client alternating decisions and receipts gets no checkpoint of its own
    sooner than `checkpoint_interval` after the latest: a 409 with Retry-After instead."""
    with own_server(tmp_path, policy_text, rate_limit=0, checkpoint_interval=3600) as server:
        first = server.decide()
        assert server.http.get(f"{SITE}/decisions/{first['decision_id']}/receipt").is_success
        for _ in range(3):
            out = server.decide()
            r = server.http.get(f"{SITE}/decisions/{out['decision_id']}/receipt")
            assert r.status_code == 409, r.text
            assert r.json()["error"]["code"] == "not_checkpointed"
            assert 0 < int(r.headers["retry-after"]) <= 3600
        assert len(server.store.checkpoints()) == 1


def test_a_receipt_waits_for_the_next_checkpoint_when_it_is_close(
    tmp_path: Path, policy_text: str
) -> None:
    with own_server(tmp_path, policy_text, rate_limit=0, checkpoint_interval=0.5) as server:
        for _ in range(3):
            out = server.decide()
            r = server.http.get(f"{SITE}/decisions/{out['decision_id']}/receipt")
            assert r.status_code == 200, r.text
            assert r.json()["checkpoint"]["size"] > r.json()["index"]


def test_receipts_and_proofs_are_rate_limited_per_client(tmp_path: Path, policy_text: str) -> None:
    """Issue 8: the GET routes that cost work count against the client like decisions do
    (buckets of their own: reading proofs never costs a decision). A site's receipts count in
    the site's bucket (issue 13: each site of a group counts its own), the log's consistency
    proofs in the server's."""
    with own_server(tmp_path, policy_text, rate_limit=3) as server:
        out = server.decide()
        path = f"{SITE}/decisions/{out['decision_id']}/receipt"
        answers = [server.http.get(path).status_code for _ in range(3)]
        assert answers == [200, 200, 200]
        limited = server.http.get(path)
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        proofs = [
            server.http.get("/v1/checkpoints/consistency", params={"first": 1, "second": 1})
            for _ in range(4)
        ]
        assert [p.status_code for p in proofs] == [200, 200, 200, 429]
        assert server.http.get("/v1/checkpoints/latest").status_code == 200  # cheap: not counted
        server.decide()  # the decisions' own bucket is untouched
