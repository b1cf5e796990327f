"""The log's writer process (`bandeau.server.writerprocess`), through `bandeau serve` over real
HTTP: it answers decisions and their errors as the server's own code does, and when it is
killed mid-load every decision it acknowledged is in the ledger (PROOF-01: a decision is
acknowledged only once committed), the ones it had not are answered 503 in the one error shape,
their retries are stored once, and another writer process takes over."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, verify_log
from bandeau.notices import notice_for
from bandeau.policy import parse_policy
from bandeau.server import writerprocess
from bandeau.server.writerprocess import CRASHED, SiteDesk, work
from bandeau.store import Record, open_store

from .served import Served, bandeau_serve
from .wire import decision_body


def writer_pids(served: Served) -> set[int]:
    """The server's children that are log writer processes (by their command line)."""
    children = Path(f"/proc/{served.proc.pid}/task/{served.proc.pid}/children").read_text()
    found = set()
    for pid in (int(p) for p in children.split()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile (a killed child not yet reaped reads as ESRCH)
        if b"writerprocess" in command:
            found.add(pid)
    return found


def wait_for(condition: Any, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def post(http: httpx.Client, served: Served, body: dict[str, Any]) -> httpx.Response:
    return http.post(f"/v1/sites/{served.policy.site}/decisions", json=body)


def test_the_writer_process_answers_as_the_server_does(tmp_path: Path, policy_text: str) -> None:
    """Errors raised in the writer process keep their code, status, field and CORS headers;
    a retry with its secret gets the stored decision (200), without it a 403."""
    with (
        bandeau_serve(tmp_path, policy_text, "--data-dir", "data", "--rate-limit", "0") as served,
        httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http,
    ):
        assert writer_pids(served), "no log writer process runs beside the server"
        body = decision_body(served.policy, "accept_all")
        first = post(http, served, body)
        assert first.status_code == 201, first.text
        assert first.headers["access-control-allow-origin"] == served.origin
        again = post(http, served, body)
        assert again.status_code == 200
        assert again.json()["decision_id"] == first.json()["decision_id"] == body["id"]
        stolen = post(http, served, {**body, "secret": "x" * 32})
        assert stolen.status_code == 403
        assert stolen.json()["error"]["code"] == "retry_not_proven"
        unknown = decision_body(served.policy, "save")
        unknown["choices"]["nope"] = {"granted": False, "digest": "0" * 64}
        bad = post(http, served, unknown)
        assert bad.status_code == 422
        assert bad.json()["error"] == {
            "code": "invalid_request",
            "message": "unknown purpose 'nope'",
            "field": "choices.nope",
            "hint": "",
        }
        assert bad.headers["access-control-allow-origin"] == served.origin
        stale = decision_body(served.policy, "accept_all")
        next(iter(stale["choices"].values()))["digest"] = "f" * 64
        assert post(http, served, stale).json()["error"]["code"] == "stale_policy"
        lang = post(http, served, decision_body(served.policy, "accept_all", lang="xx"))
        assert (lang.status_code, lang.json()["error"]["field"]) == (422, "lang")


def test_killing_the_writer_process_loses_no_acknowledged_decision(
    tmp_path: Path, policy_text: str
) -> None:
    flags = ("--data-dir", "data", "--rate-limit", "0", "--checkpoint-interval", "1")
    acked: list[str] = []
    failed: list[tuple[dict[str, Any], httpx.Response]] = []
    lock = threading.Lock()
    stop = threading.Event()
    with bandeau_serve(tmp_path, policy_text, *flags) as served:

        def load() -> None:
            with httpx.Client(
                base_url=served.origin, headers={"Origin": served.origin}, timeout=60
            ) as http:
                while not stop.is_set():
                    body = decision_body(served.policy, "accept_all")
                    r = post(http, served, body)
                    with lock:
                        if r.status_code == 201:
                            acked.append(body["id"])
                        else:
                            failed.append((body, r))

        wait_for(lambda: writer_pids(served), "the writer process")
        (victim,) = writer_pids(served)
        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: len(acked) >= 100, "decisions before the kill")
            os.kill(victim, signal.SIGKILL)
            before = len(acked)
            wait_for(lambda: writer_pids(served) - {victim}, "another writer process")
            wait_for(lambda: len(acked) >= before + 100, "decisions after the restart")
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        with httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http:
            retried = {body["id"]: post(http, served, body) for body, _ in failed}
        log = (tmp_path / f"serve-{served.port}.log").read_text()
    for _, r in failed:  # what the dead process had not acknowledged: one error shape, a 503
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "storage_error"
        assert r.headers["retry-after"] == "5"
    assert all(r.status_code in (200, 201) for r in retried.values()), retried
    assert "not acknowledged" in log and f"log writer process {victim}" in log, log
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'bandeau.db'}")
    try:
        missing = [d for d in acked if store.get(d) is None]
        assert not missing, f"{len(missing)} acknowledged decisions are not in the ledger"
        assert all(store.get(d) is not None for d in retried)
        assert store.count() == len(acked) + len(retried)  # each decision stored once
        latest = store.latest_checkpoint()
        assert latest is not None and latest.size == store.count()
        assert verify_log(store, KeyRing.open(tmp_path / "data" / "keys").public).ok
    finally:
        store.close()


def test_a_bug_on_one_decision_fails_that_decision_not_its_batch(
    tmp_path: Path, policy_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the writer process (`work`, called here in process): a decision whose checks crash
    is answered `CRASHED` (a 500 in the server), a bad one its error, and the others of the
    same batch are stored and answered."""
    policy = parse_policy(policy_text)
    keys = KeyRing.generate()
    ledger = Ledger(open_store(f"sqlite:///{tmp_path / 'bandeau.db'}"))
    try:
        current: dict[str, str] = {}
        for lang in policy.languages:
            notice = notice_for(policy, lang)
            ledger.store.archive_notice(notice)
            current[lang] = notice.id
        sites = {policy.site: writerprocess._Site(SiteDesk(policy, *keys.raw(), {}, current))}
        real = writerprocess.build_record

        def build(*args: Any, **kwargs: Any) -> Record:
            if kwargs.get("ua") == "crash":
                raise RuntimeError("a bug")
            return real(*args, **kwargs)

        monkeypatch.setattr(writerprocess, "build_record", build)
        bodies = [decision_body(policy, "accept_all") for _ in range(3)]
        batch = [
            (1, "d", (policy.site, json.dumps(bodies[0]).encode(), False, "Mozilla/5.0")),
            (2, "d", (policy.site, json.dumps(bodies[1]).encode(), False, "crash")),
            (3, "d", (policy.site, b"{not json", False, "Mozilla/5.0")),
            (4, "d", (policy.site, json.dumps(bodies[2]).encode(), False, "Mozilla/5.0")),
        ]
        answers = {n: (status, answer) for n, status, answer in work(ledger, sites, batch)}
        assert answers[2] == (CRASHED, None)
        assert answers[3][0] == 0 and answers[3][1][0] == "malformed_json"
        for n, body in ((1, bodies[0]), (4, bodies[2])):
            status, answer = answers[n]
            assert status == 201
            assert json.loads(answer)["decision_id"] == body["id"]
            assert ledger.store.get(body["id"]) is not None
        assert ledger.store.count() == 2
    finally:
        ledger.store.close()


def test_a_failed_batch_on_postgresql_is_answered_storage_error_and_loses_nothing(
    policy_text: str,
) -> None:
    """In the writer process (`work`, in process) on the real PostgreSQL: a batch whose
    append fails part way (a subtree row already where it writes one, left by someone with
    the database) answers each of its decisions `storage_error` (a 503 in the server) and
    stores none of them; the decision acknowledged before stays, and once the row is gone
    the same bodies, sent again, are stored once each and the log verifies."""
    from .store.conftest import PG_URL, Backend

    policy = parse_policy(policy_text)
    keys = KeyRing.generate()
    backend = Backend("postgres", f"{PG_URL}?schema=bandeau_test_{os.urandom(6).hex()}")
    ledger = Ledger(backend.store)
    try:
        current: dict[str, str] = {}
        for lang in policy.languages:
            notice = notice_for(policy, lang)
            ledger.store.archive_notice(notice)
            current[lang] = notice.id
        sites = {policy.site: writerprocess._Site(SiteDesk(policy, *keys.raw(), {}, current))}

        def batch(*bodies: dict[str, Any]) -> list[tuple[int, str, Any]]:
            return [
                (n, "d", (policy.site, json.dumps(body).encode(), False, "Mozilla/5.0"))
                for n, body in enumerate(bodies)
            ]

        first = decision_body(policy, "accept_all")
        [(_, status, _)] = work(ledger, sites, batch(first))
        assert status == 201
        backend.tamper("INSERT INTO nodes (level, idx, hash) VALUES (2, 0, ?)", params=(b"x" * 32,))
        bodies = [decision_body(policy, "refuse_all") for _ in range(3)]
        for _, status, error in work(ledger, sites, batch(*bodies)):
            assert status == 0
            assert error[0] == "storage_error"
        assert ledger.store.count() == 1
        assert ledger.store.get(first["id"]) is not None
        backend.tamper("DELETE FROM nodes WHERE level = 2 AND idx = 0")
        answers = work(ledger, sites, batch(*bodies, first))
        assert [status for _, status, _ in answers] == [201, 201, 201, 200]
        assert ledger.store.count() == 4
        signer = Ledger(backend.store, keys)
        assert signer.checkpoint() is not None
        assert verify_log(backend.store, keys.public).ok
    finally:
        from bandeau.store.postgres import PostgresStore

        assert isinstance(backend.store, PostgresStore)
        backend.store.drop()
        backend.store.close()
