"""The server when its database fails under it (issue 7): the failure is logged, the reader gets
the JSON error shape with a 503 (nothing acknowledged), and once the database is back the
server records again and its checkpoint loop, which failed meanwhile, is still running."""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.policy import Policy, parse_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store

from .live import free_port, serving
from .store.conftest import PG_URL
from .wire import decision_body

SITE = "/v1/sites/lequotidien"
Rename = Callable[[str, str], None]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Rename]]:
    """A database URL, and a way to rename a table in it behind the server's back (a real
    failure of every statement that touches the table, on the real database)."""
    if request.param == "sqlite":
        path = tmp_path / "bandeau.db"

        def rename_sqlite(old: str, new: str) -> None:
            with sqlite3.connect(path, isolation_level=None) as db:
                db.execute(f"ALTER TABLE {old} RENAME TO {new}")

        yield f"sqlite:///{path}", rename_sqlite
        return
    import psycopg

    schema = f"bandeau_fail_{uuid.uuid4().hex[:12]}"

    def rename_postgres(old: str, new: str) -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'ALTER TABLE "{schema}".{old} RENAME TO {new}')

    yield f"{PG_URL}?schema={schema}", rename_postgres
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


def test_database_failure_is_logged_answered_and_survived(
    database: tuple[str, Rename], policy_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    url, rename = database
    port = free_port()
    policy: Policy = parse_policy(
        policy_text.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
    )
    settings = Settings(port=port, rate_limit=0, checkpoint_interval=0.2)
    store = open_store(url)
    app = create_app(settings, [policy], keys=KeyRing.generate(), store=store)
    caplog.set_level(logging.INFO, logger="bandeau")
    try:
        run_the_failure(app, port, policy, rename, caplog)
    finally:
        store.close()


def run_the_failure(
    app: object, port: int, policy: Policy, rename: Rename, caplog: pytest.LogCaptureFixture
) -> None:
    with serving(app, port) as base, httpx.Client(
        base_url=base, headers={"Origin": policy.origins[0]}
    ) as http:

        def decide() -> httpx.Response:
            return http.post(f"{SITE}/decisions", json=decision_body(policy, "refuse_all"))

        def checkpoint_sizes() -> list[int]:
            return [c["size"] for c in http.get("/v1/checkpoints").json()["checkpoints"]]

        assert decide().status_code == 201
        wait_for(lambda: checkpoint_sizes() == [1], "the first checkpoint")

        rename("decisions", "decisions_away")
        failed = decide()
        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "storage_error"
        assert set(failed.json()["error"]) == {"code", "message", "field", "hint"}
        assert failed.headers["retry-after"]

        def logged(logger: str, text: str) -> bool:
            return any(
                r.name == logger and r.levelno >= logging.ERROR and text in r.getMessage()
                for r in caplog.records
            )

        assert logged("bandeau.server.edge", "/decisions failed")
        wait_for(lambda: logged("bandeau.server.app", "housekeeping failed"), "a logged failure")

        rename("decisions_away", "decisions")
        assert decide().status_code == 201
        wait_for(lambda: checkpoint_sizes() == [2, 1], "a checkpoint after the failure")
