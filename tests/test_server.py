"""Every endpoint and every 4xx of the HTTP API, through a real server over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.banner.config import asset_version
from bandeau.consent import read_token
from bandeau.keys import KeyRing
from bandeau.policy import Policy, parse_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import Store, open_store

from .live import free_port, serving
from .wire import decision_body

SITE = "/v1/sites/lequotidien"


class Api:
    def __init__(self, url: str, policy: Policy, store: Store, keys: KeyRing) -> None:
        self.url, self.policy, self.store, self.keys = url, policy, store, keys
        self.origin = policy.origins[0]
        self.http = httpx.Client(base_url=url, headers={"Origin": self.origin})

    def body(self, action: str = "refuse_all", **changes: Any) -> dict[str, Any]:
        base = {
            "page": "/article?utm_source=x#top",
            "build": "b" * 16,
            "client_time": 1_780_000_000_000,
        }
        return decision_body(self.policy, action, **{**base, **changes})

    def decide(self, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.http.post(f"{SITE}/decisions", json=body, **kw)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[Api]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    policy = parse_policy(policy_text.replace("http://127.0.0.1:8000", origin))
    data = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data, port=port, rate_limit=0)
    store = open_store(settings.database_url)
    keys = KeyRing.open_or_create(settings.keys_dir)
    app = create_app(settings, [policy], keys=keys, store=store)
    with serving(app, port) as url:
        client = Api(url, policy, store, keys)
        yield client
        client.http.close()
    store.close()


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field", "hint"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return dict(body["error"])


def test_health(api: Api) -> None:
    r = api.http.get("/v1/health")
    assert r.status_code == 200 and r.json()["sites"] == ["lequotidien"]


def test_keys_endpoint_verifies_tokens(api: Api) -> None:
    r = api.http.get("/v1/keys").json()
    assert r["current"] == api.keys.current.key_id
    assert r["keys"][0]["alg"] == "Ed25519"
    token = api.decide(api.body()).json()["token"]
    from bandeau.keys import PublicKey

    public = PublicKey.from_text(r["keys"][0]["pem"])
    assert read_token(token, {public.key_id: public}).site == "lequotidien"


def test_config_carries_purposes_digests_and_texts(api: Api) -> None:
    cfg = api.http.get(f"{SITE}/config").json()
    assert cfg["version"] == api.policy.version
    assert cfg["api"] == f"{api.url}{SITE}"
    assert [(p["key"], p["kind"], p["digest"], p["default"]) for p in cfg["purposes"]] == [
        (
            p.key,
            {"strictly_necessary": "necessary", "exempt_audience_measurement": "exempt"}.get(
                p.kind, "consent"
            ),
            p.digest,
            p.kind != "consent",
        )
        for p in api.policy.purposes
    ]
    assert cfg["texts"]["fr"]["ui"]["refuse_all"] == "Tout refuser"
    assert list(cfg["texts"]) == ["fr"]
    assert cfg["langs"] == ["fr", "en", "de"]
    en = api.http.get(f"{SITE}/config?lang=en").json()
    assert list(en["texts"]) == ["en"]
    assert en["texts"]["en"]["purposes"]["social"]["name"] == "Social networks"
    e = error_of(api.http.get(f"{SITE}/config?lang=it"), 422, "invalid_request")
    assert e["field"] == "lang"
    assert cfg["texts"]["fr"]["purposes"]["social"] == {
        "name": "Réseaux sociaux",
        "short": api.policy.purpose("social").text["fr"].short,
    }
    assert "services" not in cfg["texts"]["fr"]["ui"]


def test_preferences_carry_the_details(api: Api) -> None:
    """LAW-06, S7: the preferences bundle carries each purpose's description, what refusing
    changes, and its services with cookies and lifetimes, in the language asked."""
    r = api.http.get(f"{SITE}/settings.js?lang=fr")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    social = api.policy.purpose("social").text["fr"]
    for text in ("Durée", "13 mois", "_lq_mesure", social.description, social.refusal):
        assert json.dumps(text, ensure_ascii=False)[1:-1] in r.text, text
    en = api.http.get(f"{SITE}/settings.js?lang=en").text
    assert "Lifetime" in en and "13 months" in en and "Durée" not in en
    again = api.http.get(
        f"{SITE}/settings.js?lang=fr", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    error_of(api.http.get(f"{SITE}/settings.js?lang=xx"), 422, "invalid_request")


@pytest.mark.parametrize(("path", "kind"), [("banner.js", "javascript"), ("banner.css", "css")])
def test_bundle_is_cacheable(api: Api, path: str, kind: str) -> None:
    r = api.http.get(f"{SITE}/{path}")
    assert r.status_code == 200 and kind in r.headers["content-type"]
    assert r.headers["cache-control"] == "no-cache"
    etag = r.headers["etag"]
    again = api.http.get(f"{SITE}/{path}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    versioned = api.http.get(f"{SITE}/{path}?v={asset_version(api.policy)}")
    assert "immutable" in versioned.headers["cache-control"]


def test_banner_has_the_config_inlined(api: Api) -> None:
    """S10: one bundle per language, each with its own texts only."""
    js = api.http.get(f"{SITE}/banner.js").text
    assert api.http.get(f"{SITE}/config").json()["notice"] in js  # the notice it shows
    assert "Tout refuser" in js
    assert "Refuse all" not in js
    en = api.http.get(f"{SITE}/banner.js?lang=en")
    assert "Refuse all" in en.text
    assert "Tout refuser" not in en.text
    assert en.headers["etag"] != api.http.get(f"{SITE}/banner.js").headers["etag"]
    error_of(api.http.get(f"{SITE}/banner.js?lang=xx"), 422, "invalid_request")


def test_decision_is_stored_and_signed(api: Api) -> None:
    """PROOF-01: the stored record says who, when, what was shown, what was chosen, how."""
    body = api.body("refuse_all")
    r = api.decide(body, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["decision_id"] == body["id"] and out["event"] == "refuse_all"
    assert out["cookie"] == "bandeau" and out["max_age"] > 182 * 86400
    # the banner is the cookie's one writer in the browser: a cross-site answer's Set-Cookie
    # would be dropped anyway (issue 7)
    assert "set-cookie" not in r.headers
    assert r.headers["access-control-allow-origin"] == api.origin
    token = read_token(out["token"], api.keys.public)
    assert token.consent_id == out["consent_id"]
    assert token.choices["social"] == (False, api.policy.purpose("social").digest)
    stored = api.store.get(body["id"])
    assert stored is not None
    assert stored.page == "/article"
    assert stored.ua_class == "firefox/linux"
    assert stored.shown == {p.key: p.digest for p in api.policy.purposes[1:]}
    assert stored.choices == {"audience": True, "social": False, "advertising": False}
    assert stored.services["social/Telegram"] is False
    assert stored.policy_version == api.policy.version and stored.language == "fr"
    assert "127.0.0.1" not in stored.canonical()


def test_retry_returns_the_same_decision(api: Api) -> None:
    body = api.body("accept_all")
    first = api.decide(body)
    again = api.decide(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["consent_id"] == again.json()["consent_id"]
    assert len(api.store.history("lequotidien", first.json()["consent_id"])) == 1


def test_same_id_with_other_choices_conflicts(api: Api) -> None:
    body = api.body("accept_all")
    api.decide(body)
    clash = api.body("refuse_all", id=body["id"], secret=body["secret"])
    error_of(api.decide(clash), 409, "duplicate_decision")


def test_token_keeps_consent_id_and_withdrawal_is_named(api: Api) -> None:
    """LAW-04: a later refusal after a grant is recorded as a withdrawal."""
    first = api.decide(api.body("accept_all")).json()
    second = api.decide(api.body("refuse_all", token=first["token"], layer="settings")).json()
    assert second["consent_id"] == first["consent_id"] and second["event"] == "withdraw"
    history = api.http.get(f"{SITE}/consents/{first['consent_id']}").json()
    assert [d["event"] for d in history["decisions"]] == ["accept_all", "withdraw"]
    assert history["decisions"][1]["choices"]["social"] is False


def test_forged_token_starts_a_new_consent_id(api: Api) -> None:
    first = api.decide(api.body("accept_all")).json()
    forged = first["token"][:-4] + ("AAAA" if not first["token"].endswith("AAAA") else "BBBB")
    second = api.decide(api.body("refuse_all", token=forged)).json()
    assert second["consent_id"] != first["consent_id"] and second["event"] == "refuse_all"


def test_save_custom_and_grant_one(api: Api) -> None:
    body = api.body("save", layer="settings")
    body["choices"]["social"]["granted"] = True
    assert api.decide(body).json()["event"] == "save_custom"
    one = api.body("grant", layer="placeholder")
    one["choices"] = {
        "advertising": {"granted": True, "digest": one["choices"]["advertising"]["digest"]}
    }
    assert api.decide(one).json()["event"] == "grant_one"


def test_grant_answers_only_its_purpose(api: Api) -> None:
    """S4, S9: a placeholder's button grants just that purpose; unanswered ones stay asked."""
    digest = api.policy.purpose("social").digest
    one = api.body("grant", layer="placeholder")
    one["choices"] = {"social": {"granted": True, "digest": digest}}
    out = api.decide(one).json()
    token = read_token(out["token"], api.keys.public)
    assert dict(token.choices) == {"social": (True, digest)}
    from bandeau.consent import Signals, evaluate

    consent = evaluate(api.policy, token, Signals(), token.issued_at)
    assert consent.allows("social")
    assert consent.pending == {"advertising"}
    later = api.body("refuse_all", token=out["token"])
    second = api.decide(later).json()
    ads = api.body("grant", layer="placeholder", token=second["token"])
    ads["choices"] = {
        "advertising": {"granted": True, "digest": api.policy.purpose("advertising").digest}
    }
    third = read_token(api.decide(ads).json()["token"], api.keys.public)
    assert {k: v[0] for k, v in third.choices.items()} == {
        "audience": True,
        "social": False,
        "advertising": True,
    }


def test_grant_cannot_refuse(api: Api) -> None:
    one = api.body("grant", layer="placeholder")
    e = error_of(api.decide(one), 422, "invalid_request")
    assert e["field"] == "choices"


def test_gpc_header_is_recorded(api: Api) -> None:
    body = api.body("refuse_all")
    api.decide(body, headers={"Sec-GPC": "1"})
    stored = api.store.get(body["id"])
    assert stored is not None and stored.signals == {"gpc": True}


def test_unknown_site(api: Api) -> None:
    e = error_of(api.http.post("/v1/sites/nope/decisions", json=api.body()), 404, "unknown_site")
    assert e["field"] == "site"
    error_of(api.http.get("/v1/sites/nope/banner.js"), 404, "unknown_site")


def test_unknown_purpose(api: Api) -> None:
    body = api.body()
    body["choices"]["videos"] = {"granted": False, "digest": "x"}
    assert error_of(api.decide(body), 422, "invalid_request")["field"] == "choices.videos"


def test_missing_purpose(api: Api) -> None:
    body = api.body()
    del body["choices"]["advertising"]
    assert error_of(api.decide(body), 422, "invalid_request")["field"] == "choices.advertising"


def test_necessary_is_not_a_choice(api: Api) -> None:
    body = api.body()
    body["choices"]["necessary"] = {"granted": False, "digest": "x"}
    error_of(api.decide(body), 422, "invalid_request")


def test_stale_version(api: Api) -> None:
    body = api.body()
    body["choices"]["social"]["digest"] = "0" * 16
    e = error_of(api.decide(body), 409, "stale_policy")
    assert e["field"] == "choices.social.digest" and "reload" in e["hint"]


def test_inconsistent_action(api: Api) -> None:
    body = api.body("accept_all")
    body["choices"]["social"]["granted"] = False
    error_of(api.decide(body), 422, "invalid_request")
    error_of(api.decide(api.body("grant", layer="first")), 422, "invalid_request")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "maybe"}, "action"),
        ({"id": "not-a-uuid"}, "id"),
        ({"lang": "it"}, "lang"),
        ({"extra": 1}, "extra"),
        ({"control": "<script>"}, "control"),
    ],
)
def test_malformed_fields(api: Api, change: dict[str, Any], field: str) -> None:
    e = error_of(api.decide(api.body(**change)), 422, "invalid_request")
    assert e["field"] == field


def test_malformed_json(api: Api) -> None:
    r = api.http.post(
        f"{SITE}/decisions", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    error_of(r, 400, "malformed_json")


def test_wrong_content_type(api: Api) -> None:
    r = api.http.post(f"{SITE}/decisions", content=b"a=b", headers={"Content-Type": "text/plain"})
    error_of(r, 415, "unsupported_media_type")


def test_oversized_body(api: Api) -> None:
    body = api.body(page="/" + "x" * 20000)
    error_of(api.decide(body), 413, "payload_too_large")


def test_wrong_or_missing_origin(api: Api) -> None:
    e = error_of(
        api.decide(api.body(), headers={"Origin": "http://evil.example"}), 403, "origin_not_allowed"
    )
    assert "origins" in e["hint"]
    bare = httpx.post(f"{api.url}{SITE}/decisions", json=api.body())
    error_of(bare, 403, "origin_not_allowed")


def test_cors_preflight(api: Api) -> None:
    ok = api.http.options(f"{SITE}/decisions", headers={"Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == api.origin
    # the banner's fetch sends no credentials, so none are allowed (issue 7)
    assert "access-control-allow-credentials" not in ok.headers
    bad = api.http.options(f"{SITE}/decisions", headers={"Origin": "http://evil.example"})
    error_of(bad, 403, "origin_not_allowed")


def test_history_errors(api: Api) -> None:
    error_of(api.http.get(f"{SITE}/consents/unknown-consent-id"), 404, "not_found")
    error_of(api.http.get(f"{SITE}/consents/short"), 422, "invalid_request")


def test_unknown_route_and_method(api: Api) -> None:
    error_of(api.http.get("/v1/nothing"), 404, "not_found")
    error_of(api.http.delete(f"{SITE}/decisions"), 405, "method_not_allowed")


def test_openapi_documents_every_endpoint(api: Api) -> None:
    doc = api.http.get("/v1/openapi.json").json()
    paths = set(doc["paths"])
    assert {
        "/v1/health",
        "/v1/keys",
        "/v1/sites/{site}/config",
        "/v1/sites/{site}/banner.js",
        "/v1/sites/{site}/banner.css",
        "/v1/sites/{site}/decisions",
        "/v1/sites/{site}/consents/{consent_id}",
    } <= paths
    post = doc["paths"]["/v1/sites/{site}/decisions"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "DecisionIn"
    )
    assert "DecisionIn" in doc["components"]["schemas"] and "Choice" in doc["components"]["schemas"]
    assert {"201", "409", "413", "415", "422"} <= set(post["responses"])


def test_rate_limit(tmp_path: Path, policy: Policy) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit=2)
    store = open_store(settings.database_url)
    app = create_app(settings, [policy], keys=KeyRing.generate(), store=store)
    with serving(app) as url:
        client = Api(url, policy, store, KeyRing.generate())
        codes = [client.decide(client.body()).status_code for _ in range(3)]
        assert codes[:2] == [201, 201]
        error_of(client.decide(client.body()), 429, "rate_limited")
        client.http.close()
    store.close()
