"""Proof of the notice (PROOF-01, PROOF-02, CNIL-08, LAW-03): every notice a site serves is
archived, content-addressed; each record names the notice it answered and keeps the server's
word on the banner build; the archive is read over HTTP and from the command line. Servers run
over real HTTP on real SQLite."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from bandeau.banner import build_hash
from bandeau.banner.config import details_for, texts_for
from bandeau.cli import cli
from bandeau.consent import Signals, evaluate, issue_token, read_token
from bandeau.keys import KeyRing
from bandeau.notices import notice_for
from bandeau.policy import Policy, parse_policy
from bandeau.texts import BUILTIN

from .live import RunningSite, running_site
from .wire import decision_body

SITE = "/v1/sites/lequotidien"


def content_of(policy: Policy, lang: str = "fr") -> dict[str, Any]:
    notice = notice_for(policy, lang)
    assert notice.id == hashlib.sha256(notice.content.encode()).hexdigest()
    parsed: dict[str, Any] = json.loads(notice.content)
    return parsed


# ---- what a notice holds, and when it changes


def test_notice_holds_everything_the_reader_is_shown(policy: Policy) -> None:
    """PROOF-02, CNIL-08: first layer, preferences, built-in words, controller, links,
    services and the banner build, as served."""
    shown = content_of(policy, "en")
    assert shown["first_layer"] == texts_for(policy, "en")
    assert shown["preferences"] == details_for(policy, "en")
    ui = {**shown["first_layer"]["ui"], **shown["preferences"]["ui"]}
    assert ui == policy.ui_texts("en")
    assert shown["controller"]["name"] == policy.controller.name
    assert shown["links"]["privacy_policy"] == policy.privacy_url("en")
    assert shown["build"] == build_hash()
    assert shown["policy_version"] == policy.version
    services = {(s["purpose"], s["name"]) for s in shown["services"]}
    assert services == {(p.key, s.name) for p in policy.purposes for s in p.services}
    assert {p["key"]: p["digest"] for p in shown["purposes"]} == {
        p.key: p.digest for p in policy.purposes
    }
    assert notice_for(policy, "en").id != notice_for(policy, "fr").id


def test_a_built_in_word_change_is_a_new_notice(
    policy_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PROOF-02: a wording change in bandeau's own words (a new release's locale) gives a new
    notice id and a new policy version (so no cache serves the old words), and re-asks
    nothing: each purpose keeps its digest."""
    before = parse_policy(policy_text)
    was = notice_for(before, "fr").id
    monkeypatch.setitem(BUILTIN["fr"], "refuse_all", "Tout refuser, merci")
    after = parse_policy(policy_text)
    assert notice_for(after, "fr").id != was
    assert content_of(after)["first_layer"]["ui"]["refuse_all"] == "Tout refuser, merci"
    assert after.version != before.version
    assert [p.digest for p in after.purposes] == [p.digest for p in before.purposes]


def test_a_new_controller_re_asks_every_purpose(policy_text: str, policy: Policy) -> None:
    """LAW-03: consent given to one controller is not consent given to another. A new
    controller name changes every purpose's digest, so a reader's answers no longer count;
    a new contact address is a new notice, and re-asks nothing."""
    renamed = parse_policy(policy_text.replace(policy.controller.name, "Autre Éditeur SAS"))
    assert all(a.digest != b.digest for a, b in zip(policy.purposes, renamed.purposes, strict=True))
    keys = KeyRing.generate()
    now = int(time.time())
    token = issue_token(
        keys,
        site=policy.site,
        consent_id="c" * 22,
        choices={p.key: (True, p.digest) for p in policy.purposes},
        issued_at=now,
        lifetime_days=30,
        decision_id="00000000-0000-4000-8000-000000000000",
    )
    payload = read_token(token, keys.public)
    under_old = evaluate(policy, payload, Signals(), now)
    under_new = evaluate(renamed, payload, Signals(), now)
    consent = {p.key for p in policy.purposes if p.kind == "consent"}
    assert not under_old.pending
    assert set(under_new.pending) == consent
    moved = parse_policy(policy_text.replace(policy.controller.contact, "dpo@ailleurs.example"))
    assert [p.digest for p in moved.purposes] == [p.digest for p in policy.purposes]
    assert notice_for(moved, "fr").id != notice_for(policy, "fr").id


# ---- over HTTP


class Client:
    def __init__(self, site: RunningSite) -> None:
        self.site = site
        self.http = httpx.Client(base_url=site.url, headers={"Origin": site.policy.origins[0]})

    def config(self, lang: str = "fr") -> dict[str, Any]:
        data: dict[str, Any] = self.http.get(f"{SITE}/config", params={"lang": lang}).json()
        return data

    def decide(self, **changes: Any) -> httpx.Response:
        config = self.config(changes.get("lang", "fr"))
        body = decision_body(
            self.site.policy, "accept_all", notice=config["notice"], build=build_hash()
        )
        body.update(changes)
        body = {k: v for k, v in body.items() if v is not None}
        return self.http.post(f"{SITE}/decisions", json=body)

    def record_of(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        answer = response.json()
        history = self.http.get(f"{SITE}/consents/{answer['consent_id']}").json()
        [record] = [d for d in history["decisions"] if d["decision_id"] == answer["decision_id"]]
        return dict(record)


@pytest.fixture
def server(tmp_path: Path, policy_text: str) -> Any:
    with running_site(tmp_path, policy_text, rate_limit=0) as site:
        client = Client(site)
        yield client
        client.http.close()


def test_each_record_names_the_notice_it_answered(server: Client) -> None:
    """PROOF-01 (3): the record's notice is the one the banner was served, and the archived
    notice's digest is its id; the route returns it, cacheable for ever."""
    config = server.config()
    record = server.record_of(server.decide())
    assert record["notice"] == config["notice"]
    assert record["build"] == build_hash() and record["claims"] == {}
    r = server.http.get(f"{SITE}/notices/{record['notice']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert hashlib.sha256(r.content).hexdigest() == record["notice"]
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.json()["first_layer"] == config["texts"]["fr"]
    again = server.http.get(
        f"{SITE}/notices/{record['notice']}", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304


def test_an_unknown_notice_is_a_404_in_the_error_shape(server: Client) -> None:
    r = server.http.get(f"{SITE}/notices/{'0' * 64}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert r.json()["error"]["field"] == "notice_id"


def test_the_build_is_the_server_s_word(server: Client) -> None:
    """PROOF-01: a banner that claims another build is recorded with the build the server
    served for that notice; its claim is kept beside it, and flagged."""
    record = server.record_of(server.decide(build="f" * 16))
    assert record["build"] == build_hash()
    assert record["claims"] == {"build": "f" * 16}
    stored = server.site.store.history("lequotidien", record_consent(server, record))
    assert stored[0].claims == {"build": "f" * 16}
    assert json.loads(stored[0].canonical())["claims"] == {"build": "f" * 16}


def record_consent(server: Client, record: dict[str, Any]) -> str:
    found = server.site.store.get(record["decision_id"])
    assert found is not None
    return found.consent_id


def test_a_decision_that_names_no_notice_gets_the_current_one_flagged(server: Client) -> None:
    """An older banner sends no notice: the server records the notice it serves now in that
    language, and says the banner named none."""
    record = server.record_of(server.decide(notice=None, lang="en"))
    assert record["notice"] == server.config("en")["notice"]
    assert record["claims"] == {"notice": ""}


def test_a_notice_never_served_is_refused(server: Client) -> None:
    """A notice the site never served in that language is a 409, and nothing is stored."""
    size = server.site.store.count()
    for notice, lang in (("1" * 64, "fr"), (server.config("en")["notice"], "fr")):
        r = server.decide(notice=notice, lang=lang)
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "unknown_notice"
        assert r.json()["error"]["field"] == "notice"
    assert server.site.store.count() == size


def test_an_older_notice_is_recorded_as_the_one_answered(tmp_path: Path, policy_text: str) -> None:
    """PROOF-02: a reader whose cached banner still shows last release's words answers under
    that notice, which stays archived after the wording changed; `bandeau notices` lists both,
    and `bandeau export` gives the notices a consent id's records name."""
    with running_site(tmp_path, policy_text, rate_limit=0) as site:
        first = Client(site)
        old = first.config()["notice"]
        first.http.close()
    reworded = policy_text.replace(
        "[[purposes]]", '[ui.fr]\nrefuse_all = "Je refuse"\n\n[[purposes]]', 1
    )
    with running_site(tmp_path, reworded, rate_limit=0) as site:
        client = Client(site)
        current = client.config()["notice"]
        assert current != old
        record = client.record_of(client.decide(notice=old))
        assert record["notice"] == old and record["claims"] == {}
        consent_id = record_consent(client, record)
        client.http.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["notices", "lequotidien", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line.split() for line in listed.output.splitlines()[1:]}
    assert {old, current} <= set(lines)
    assert lines[old][-1] == "1" and lines[current][-1] == "0"
    assert lines[current][2:4] == ["-", "-"]
    exported = runner.invoke(
        cli, ["export", "lequotidien", consent_id, "--data-dir", str(tmp_path)]
    )
    assert exported.exit_code == 0, exported.output
    out = json.loads(exported.output)
    assert list(out["notices"]) == [old]
    assert "Je refuse" not in json.dumps(out["notices"][old], ensure_ascii=False)
    missing = runner.invoke(cli, ["notices", "nosuchsite", "--data-dir", str(tmp_path)])
    assert missing.exit_code != 0 and "no notice is archived" in str(missing.exception)
