"""The consent server as public infrastructure (issue 8): replayed receipts, loose proof types,
CORS and headers. Through a real server over HTTP."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bandeau.consent import issue_token
from bandeau.keys import KeyRing
from bandeau.policy import Policy
from bandeau.store import Store

from .live import running_site
from .test_server import error_of
from .wire import decision_body

SITE = "/v1/sites/lequotidien"
ADMIN = "an-admin-token-for-tests"


class Server:
    def __init__(self, url: str, policy: Policy, store: Store, keys: KeyRing) -> None:
        self.url, self.policy, self.store, self.keys = url, policy, store, keys
        self.origin = policy.origins[0]
        self.http = httpx.Client(base_url=url, headers={"Origin": self.origin})

    def decide(self, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.http.post(f"{SITE}/decisions", json=body, **kw)

    def receipt(self, decision_id: str) -> httpx.Response:
        """The decision's receipt, after a checkpoint (admin) that covers it."""
        signed = self.http.post("/v1/checkpoints", headers={"Authorization": f"Bearer {ADMIN}"})
        assert signed.status_code == 201, signed.text
        return self.http.get(f"{SITE}/decisions/{decision_id}/receipt")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("hardening")
    settings = {"rate_limit": 0, "admin_token": ADMIN, "checkpoint_interval": 3600}
    with running_site(data, policy_text, **settings) as site:
        s = Server(site.url, site.policy, site.store, site.keys)
        yield s
        s.http.close()


# ---------------------------------------------------------------- item 1: receipt replay


def replay_of(receipt: dict[str, Any], policy: Policy, **changes: Any) -> dict[str, Any]:
    """A decision rebuilt from what a receipt shows: its id and its choices."""
    record = receipt["record"]
    body = decision_body(policy, "accept_all", id=record["decision_id"], **changes)
    body.pop("secret")
    body["choices"] = {
        k: {"granted": g, "digest": record["shown"][k]} for k, g in record["choices"].items()
    }
    return body


def test_a_receipt_hands_over_no_token(server: Server) -> None:
    """PROOF-01: a receipt shows the decision; replaying it gets neither the reader's token
    nor anything that would erase their records."""
    body = decision_body(server.policy, "accept_all")
    first = server.decide(body)
    assert first.status_code == 201
    decision_id = first.json()["decision_id"]
    receipt = server.receipt(decision_id).json()
    for replay in (
        replay_of(receipt, server.policy),
        replay_of(receipt, server.policy, secret="x" * 32),
    ):
        answer = server.decide(replay)
        e = error_of(answer, 403, "retry_not_proven")
        assert e["field"] == "secret"
        assert "token" not in answer.text
    # the browser that decided still gets its answer on a retry (same body, same secret)
    again = server.decide(body)
    assert again.status_code == 200
    assert again.json()["token"] == first.json()["token"]


def test_the_secret_is_kept_only_as_a_hash_beside_the_record(server: Server) -> None:
    body = decision_body(server.policy, "refuse_all")
    answer = server.decide(body).json()
    receipt = server.receipt(answer["decision_id"])
    history = server.http.get(f"{SITE}/consents/{answer['consent_id']}")
    digest = hashlib.sha256(body["secret"].encode()).hexdigest()
    for shown in (receipt.text, history.text):
        assert body["secret"] not in shown and digest not in shown
    assert "retry_hash" not in receipt.json()["record"]
    with sqlite3.connect(server.store.url.removeprefix("sqlite:///")) as db:
        row = db.execute(
            "SELECT retry_hash, content FROM decisions WHERE decision_id = ?", (body["id"],)
        ).fetchone()
    assert row[0] == digest and body["secret"] not in row[1] and digest not in row[1]


def test_a_decision_sent_without_a_secret_cannot_be_retried(server: Server) -> None:
    """A banner older than the secret still records decisions; their retries get no token."""
    body = decision_body(server.policy, "refuse_all")
    del body["secret"]
    assert server.decide(body).status_code == 201
    error_of(server.decide(body), 403, "retry_not_proven")


@pytest.mark.parametrize("secret", ["short", "x" * 129, "not base64url!" * 3, 12345678901234567890])
def test_a_malformed_secret_is_refused(server: Server, secret: Any) -> None:
    e = error_of(server.decide(decision_body(server.policy, secret=secret)), 422, "invalid_request")
    assert e["field"] == "secret"


def test_erasure_needs_a_current_token(server: Server) -> None:
    answer = server.decide(decision_body(server.policy, "accept_all")).json()
    path = f"{SITE}/consents/{answer['consent_id']}"
    expired = issue_token(
        server.keys,
        site=server.policy.site,
        consent_id=answer["consent_id"],
        choices={},
        issued_at=int(time.time()) - 400 * 86400,
        lifetime_days=183,
    )
    refused = server.http.delete(path, headers={"Authorization": f"Bearer {expired}"})
    error_of(refused, 403, "forbidden")
    assert server.http.get(path).status_code == 200
    ok = server.http.delete(path, headers={"Authorization": f"Bearer {answer['token']}"})
    assert ok.status_code == 200 and ok.json()["erased"] == 1


# ---------------------------------------------------------------- item 2: strict proof types


def with_granted(policy: Policy, value: Any) -> dict[str, Any]:
    body = decision_body(policy, "save")
    body["choices"]["social"]["granted"] = value
    return body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        *[
            (("granted", value), "choices.social.granted")
            for value in ("yes", "on", "1", "true", 1, 0, None, [True], {"v": True})
        ],
        ({"client_time": 2**63}, "client_time"),
        ({"client_time": 2**53}, "client_time"),
        ({"client_time": True}, "client_time"),
        ({"client_time": "1780000000000"}, "client_time"),
        ({"client_time": 1.5}, "client_time"),
        ({"client_time": -1}, "client_time"),
        ({"gpc": "false"}, "gpc"),
        ({"gpc": 0}, "gpc"),
        ({"gpc": 1}, "gpc"),
        ({"token": 12}, "token"),
        ({"lang": 1}, "lang"),
        ({"page": ["/"]}, "page"),
        ({"build": False}, "build"),
        ({"control": 7}, "control"),
        ({"id": 5}, "id"),
        ({"choices": []}, "choices"),
    ],
)
def test_proof_fields_are_parsed_strictly(server: Server, change: Any, field: str) -> None:
    """PROOF-01: what is stored as consent is what the reader sent, as JSON booleans and
    bounded integers; anything else is a 422 naming the field, and nothing is stored."""
    if isinstance(change, tuple):
        body = with_granted(server.policy, change[1])
    else:
        body = decision_body(server.policy, "save", **change)
    answer = server.decide(body)
    e = error_of(answer, 422, "invalid_request")
    assert e["field"] == field
    assert server.store.get(body["id"]) is None if isinstance(body["id"], str) else True


def test_strict_types_still_take_what_the_banner_sends(server: Server) -> None:
    body = with_granted(server.policy, True)
    answer = server.decide({**body, "gpc": True, "client_time": 2**53 - 1, "token": None})
    assert answer.status_code == 201, answer.text
    stored = server.store.get(body["id"])
    assert stored is not None and stored.choices["social"] is True
    assert stored.signals == {"gpc": True} and stored.client_time == 2**53 - 1


# ---------------------------------------------------------------- item 8: CORS and headers

EVIL = "http://evil.example"


def test_cors_only_for_listed_origins_on_the_decision_route(server: Server) -> None:
    """An error answers a listed origin on the route that needs CORS (the banner reads it), and
    never echoes any other Origin, on any route; nothing allows credentials."""
    listed = server.decide(decision_body(server.policy, lang="it"))
    error_of(listed, 422, "invalid_request")
    assert listed.headers["access-control-allow-origin"] == server.origin
    unlisted = server.decide(decision_body(server.policy), headers={"Origin": EVIL})
    error_of(unlisted, 403, "origin_not_allowed")
    others = [
        unlisted,
        server.http.get("/v1/nothing", headers={"Origin": EVIL}),
        server.http.get(f"{SITE}/consents/unknown-consent-id", headers={"Origin": EVIL}),
        server.http.get(f"{SITE}/consents/unknown-consent-id"),  # the listed origin
        server.http.get(f"{SITE}/config?lang=xx", headers={"Origin": EVIL}),
        server.http.delete(f"{SITE}/decisions", headers={"Origin": EVIL}),
        server.http.get(f"{SITE}/banner.js", headers={"Origin": EVIL}),
        server.http.get(f"{SITE}/banner.css"),
    ]
    for answer in others:
        assert "access-control-allow-origin" not in answer.headers, answer.request.url
    for answer in [listed, *others]:
        assert "access-control-allow-credentials" not in answer.headers


def every_kind_of_answer(server: Server) -> list[httpx.Response]:
    banner = server.http.get(f"{SITE}/banner.js")
    decided = server.decide(decision_body(server.policy))
    return [
        server.http.get("/v1/health"),
        server.http.get("/v1/keys"),
        server.http.get("/v1/openapi.json"),
        server.http.get(f"{SITE}/config"),
        banner,
        server.http.get(f"{SITE}/banner.js", headers={"If-None-Match": banner.headers["etag"]}),
        server.http.get(f"{SITE}/privacy"),
        decided,
        server.http.options(f"{SITE}/decisions", headers={"Access-Control-Request-Method": "POST"}),
        server.http.get(f"{SITE}/consents/{decided.json()['consent_id']}"),
        server.receipt(decided.json()["decision_id"]),
        server.http.get("/v1/checkpoints"),
        server.http.get("/v1/nothing"),
        server.http.put(f"{SITE}/decisions"),
        server.decide({}),
    ]


def test_every_response_says_nosniff_and_how_to_cache_it(server: Server) -> None:
    answers = every_kind_of_answer(server)
    assert {a.status_code for a in answers} >= {200, 201, 204, 304, 404, 405, 422}
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert answer.headers["cache-control"], answer.request.url


@pytest.mark.parametrize(
    "path",
    ["/v1/keys", "/v1/checkpoints", "consents", "receipt", "decision", "error"],
)
def test_json_answers_are_not_stored(server: Server, path: str) -> None:
    """Histories, receipts and decision answers carry personal data; keys and checkpoints
    change with rotation and growth: none of them is kept by a cache (docs/api.md)."""
    decided = server.decide(decision_body(server.policy)).json()
    answer = {
        "consents": lambda: server.http.get(f"{SITE}/consents/{decided['consent_id']}"),
        "receipt": lambda: server.receipt(decided["decision_id"]),
        "decision": lambda: server.decide(decision_body(server.policy)),
        "error": lambda: server.http.get(f"{SITE}/consents/unknown-consent-id"),
    }.get(path, lambda: server.http.get(path))()
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("script", "sheet"), [("banner.js", "banner.css"), ("settings.js", "settings.css")]
)
def test_each_asset_has_its_own_etag(server: Server, script: str, sheet: str) -> None:
    js = server.http.get(f"{SITE}/{script}")
    css = server.http.get(f"{SITE}/{sheet}")
    assert js.headers["etag"] != css.headers["etag"]
    crossed = server.http.get(f"{SITE}/{sheet}", headers={"If-None-Match": js.headers["etag"]})
    assert crossed.status_code == 200 and crossed.content == css.content
    for answer, path in ((js, script), (css, sheet)):
        tag = answer.headers["etag"]
        for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = server.http.get(f"{SITE}/{path}", headers={"If-None-Match": header})
            assert again.status_code == 304, header
    prefix = server.http.get(
        f"{SITE}/{script}", headers={"If-None-Match": js.headers["etag"][:-2] + '"'}
    )
    assert prefix.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/decisions", "OPTIONS, POST"),
        ("GET", "/decisions", "OPTIONS, POST"),
        ("PUT", "/consents/some-consent-id", "DELETE, GET"),
        ("POST", "/banner.js", "GET"),
    ],
)
def test_405_says_what_is_allowed(server: Server, method: str, path: str, allowed: str) -> None:
    answer = server.http.request(method, SITE + path)
    error_of(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == allowed


def test_openapi_states_media_types_and_constraints(server: Server) -> None:
    doc = server.http.get("/v1/openapi.json").json()
    paths = doc["paths"]
    for path, media in (
        ("banner.js", "text/javascript"),
        ("banner.css", "text/css"),
        ("settings.js", "text/javascript"),
        ("settings.css", "text/css"),
        ("privacy", "text/html"),
    ):
        operation = paths[f"/v1/sites/{{site}}/{path}"]["get"]
        assert list(operation["responses"]["200"]["content"]) == [media]
        assert "304" in operation["responses"]
    for operations in paths.values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status >= "400":
                    assert list(response["content"]) == ["application/json"]
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            if "site" in parameters:
                assert parameters["site"]["schema"]["enum"] == ["lequotidien"]
            if "lang" in parameters:
                assert parameters["lang"]["schema"]["enum"] == ["de", "en", "fr"]
            if "consent_id" in parameters:
                schema = parameters["consent_id"]["schema"]
                assert (schema["minLength"], schema["maxLength"]) == (8, 64)
    assert all(
        any(p["name"] == "site" for p in op.get("parameters", []))
        for path, ops in paths.items()
        if "{site}" in path
        for op in ops.values()
    )
