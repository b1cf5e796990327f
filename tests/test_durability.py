"""Durability and the proof commands, against a real `bandeau serve` process.

A server under concurrent load is killed with SIGKILL; after restart every acknowledged
decision is present and `bandeau verify` passes, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.policy import Policy, parse_policy

from .live import free_port
from .store.conftest import PG_URL
from .wire import decision_body


def bandeau(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bandeau", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


class Served:
    """`bandeau serve` in its own process group."""

    def __init__(self, tmp: Path, policy_text: str, database: str = "") -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.policy_file = tmp / "site.toml"
        self.policy_file.write_text(policy_text.replace("http://127.0.0.1:8000", self.origin))
        self.policy: Policy = parse_policy(self.policy_file.read_text())
        self.data = tmp / "data"
        self.database = database
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def args(self) -> list[str]:
        extra = ["--database", self.database] if self.database else []
        return ["--data-dir", str(self.data), *extra]

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bandeau",
                "serve",
                "--policy",
                str(self.policy_file),
                "--port",
                str(self.port),
                "--rate-limit",
                "0",
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.origin}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("bandeau serve did not start")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)

    def body(self, action: str = "accept_all") -> dict[str, Any]:
        return decision_body(self.policy, action)


@pytest.fixture(params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path: Path, policy_text: str) -> Iterator[Served]:
    database = ""
    if request.param == "postgres":
        database = f"{PG_URL}?schema=bandeau_kill_{uuid.uuid4().hex[:10]}"
    s = Served(tmp_path, policy_text, database)
    yield s
    s.stop()
    if database:
        from bandeau.store.postgres import PostgresStore

        store = PostgresStore(database)
        store.drop()
        store.close()


def test_sigkill_under_load_loses_no_acknowledged_decision(served: Served) -> None:
    """DESIGN §4: a decision is acknowledged only after it is committed."""
    served.start()
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http:
            while not stop.is_set():
                body = served.body()
                try:
                    r = http.post("/v1/sites/lequotidien/decisions", json=body, timeout=5)
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    with lock:
                        acked.append(body["id"])

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    served.kill()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acked) >= 300
    served.start()
    with httpx.Client(base_url=served.origin) as http:
        for decision_id in acked:
            r = http.get(f"/v1/sites/lequotidien/decisions/{decision_id}/receipt")
            assert r.status_code == 200, (decision_id, r.text)
    served.stop()
    result = bandeau("verify", *served.args)
    assert result.returncode == 0, result.stderr
    assert "the log verifies" in result.stdout


def test_verify_receipt_command(tmp_path: Path, policy_text: str) -> None:
    served = Served(tmp_path, policy_text)
    served.start()
    try:
        with httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http:
            body = served.body("refuse_all")
            assert http.post("/v1/sites/lequotidien/decisions", json=body).status_code == 201
            receipt = http.get(f"/v1/sites/lequotidien/decisions/{body['id']}/receipt").json()
            # a receipt verifies with its site's key (docs/ledger.md, "Keys and sites")
            pem = http.get("/v1/sites/lequotidien/keys").json()["keys"][0]["pem"]
    finally:
        served.stop()
    (tmp_path / "key.pem").write_text(pem)
    (tmp_path / "receipt.json").write_text(json.dumps(receipt))
    ok = bandeau(
        "verify-receipt", str(tmp_path / "receipt.json"), "--public-key", str(tmp_path / "key.pem")
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"valid: decision {body['id']} (refuse_all)")
    receipt["record"]["choices"]["advertising"] = True
    (tmp_path / "forged.json").write_text(json.dumps(receipt))
    bad = bandeau(
        "verify-receipt", str(tmp_path / "forged.json"), "--public-key", str(tmp_path / "key.pem")
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "bandeau: error: the record does not match its leaf hash: it was altered"
    )


def test_verify_command_names_the_first_bad_index(tmp_path: Path, policy_text: str) -> None:
    served = Served(tmp_path, policy_text)
    served.start()
    try:
        with httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http:
            for _ in range(5):
                r = http.post("/v1/sites/lequotidien/decisions", json=served.body())
                assert r.status_code == 201
    finally:
        served.stop()
    assert bandeau("verify", *served.args).returncode == 0
    db = sqlite3.connect(served.data / "bandeau.db", isolation_level=None)
    db.execute("DROP TRIGGER decisions_only_redaction")
    db.execute(
        "UPDATE decisions SET content = replace(content, 'accept_all', 'refuse_all') WHERE seq = 3"
    )
    db.close()
    result = bandeau("verify", *served.args)
    assert result.returncode == 1
    assert "index 2: record modified" in result.stderr
    assert result.stderr.strip().endswith(
        "bandeau: error: the log does not verify: first bad index 2"
    )


def test_export_erase_purge_checkpoint_commands(tmp_path: Path, policy_text: str) -> None:
    served = Served(tmp_path, policy_text)
    served.start()
    try:
        with httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http:
            first = http.post("/v1/sites/lequotidien/decisions", json=served.body()).json()
    finally:
        served.stop()
    exported = bandeau("export", "lequotidien", first["consent_id"], *served.args)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["decisions"][0]["decision_id"] == first["decision_id"]
    checkpoint = bandeau("checkpoint", *served.args)
    assert checkpoint.returncode == 0
    erased = bandeau("erase", "lequotidien", first["consent_id"], *served.args)
    assert erased.stdout.startswith("erased 1 decision(s)")
    again = bandeau("export", "lequotidien", first["consent_id"], *served.args)
    assert again.returncode == 1
    assert "no decision is recorded" in again.stderr
    verified = bandeau("verify", *served.args)
    assert verified.returncode == 0
    assert "1 redacted" in verified.stdout
    purged = bandeau("purge", "--older-than", "1", *served.args)
    assert purged.stdout.startswith("redacted 0 decision(s)")
