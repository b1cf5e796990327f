"""The database goes away while readers keep deciding (issue 8, "keep it closed").

Clients posting all along get either 201 (stored) or 503 with the JSON error shape and
Retry-After, never anything else; the health route says the store is down (503); nothing that
was acknowledged is lost; and when the database is back the server records again by itself,
without a restart. PostgreSQL: a database of the test's own refuses connections and its
backends are terminated. SQLite: the log's table is renamed away under the server.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.ledger import verify_log
from bandeau.store import open_store

from .served import Served, bandeau_serve
from .store.conftest import PG_URL
from .wire import decision_body


@dataclass
class Outage:
    url: str
    down: Callable[[], None]
    up: Callable[[], None]


@pytest.fixture(params=["postgres", "sqlite"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    if request.param == "sqlite":
        path = tmp_path / "data" / "bandeau.db"

        def rename(old: str, new: str) -> Callable[[], None]:
            def run() -> None:
                with sqlite3.connect(path, isolation_level=None, timeout=30) as db:
                    db.execute(f"ALTER TABLE {old} RENAME TO {new}")

            return run

        yield Outage(f"sqlite:///{path}", rename("decisions", "away"), rename("away", "decisions"))
        return
    import psycopg

    name = f"bandeau_down_{uuid.uuid4().hex[:10]}"
    admin = PG_URL  # the shared test database: only to administer the test's own

    def sql(*statements: str) -> Callable[[], None]:
        def run() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                for statement in statements:
                    conn.execute(statement)

        return run

    sql(f"CREATE DATABASE {name}")()
    down = sql(
        f"ALTER DATABASE {name} ALLOW_CONNECTIONS false",
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",  # noqa: S608
    )
    yield Outage(
        PG_URL.rsplit("/", 1)[0] + f"/{name}",
        down,
        sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    )
    sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")()


@dataclass
class Load:
    """Clients posting decisions until stopped; every answer kept."""

    served: Served
    answers: list[tuple[float, str, int, Any, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        with httpx.Client(
            base_url=self.served.origin, headers={"Origin": self.served.origin}, timeout=60
        ) as http:
            while not self.stop.is_set():
                body = decision_body(self.served.policy, "refuse_all")
                r = http.post(f"/v1/sites/{self.served.policy.site}/decisions", json=body)
                with self.lock:
                    retry = r.headers.get("retry-after", "")
                    self.answers.append(
                        (time.monotonic(), body["id"], r.status_code, r.json(), retry)
                    )

    def count(self, status: int, since: float = 0.0) -> int:
        with self.lock:
            return sum(1 for at, _, s, _, _ in self.answers if s == status and at >= since)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def test_clients_get_503_and_the_server_recovers_by_itself(
    outage: Outage, tmp_path: Path, policy_text: str
) -> None:
    flags = ("--database", outage.url, "--data-dir", "data", "--rate-limit", "0")
    with bandeau_serve(tmp_path, policy_text, *flags, "--checkpoint-interval", "0.5") as served:
        load = Load(served)
        threads = [threading.Thread(target=load.run) for _ in range(6)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: load.count(201) >= 100, "decisions before the outage")
            went_down = time.monotonic()
            outage.down()
            wait_until(lambda: load.count(503, went_down) >= 12, "503s during the outage")
            health = httpx.get(f"{served.origin}/v1/health", timeout=60)
            assert health.status_code == 503, health.text
            assert health.json()["status"] == "unavailable"
            assert health.json()["store"]["ok"] is False
            came_back = time.monotonic()
            outage.up()
            wait_until(lambda: load.count(201, came_back) >= 100, "decisions after the outage")
            health = httpx.get(f"{served.origin}/v1/health", timeout=60)
            assert health.status_code == 200 and health.json()["store"]["ok"] is True
        finally:
            load.stop.set()
            for t in threads:
                t.join(timeout=90)
    statuses = {status for _, _, status, _, _ in load.answers}
    assert statuses == {201, 503}
    for _, _, status, body, retry in load.answers:
        if status == 503:
            assert set(body["error"]) == {"code", "message", "field", "hint"}
            assert body["error"]["code"] == "storage_error" and int(retry) > 0
    acked = [decision for _, decision, status, _, _ in load.answers if status == 201]
    store = open_store(outage.url)
    try:
        assert all(store.get(d) is not None for d in acked)
        assert verify_log(store, KeyRing.open(tmp_path / "data" / "keys").public).ok
    finally:
        store.close()
