"""Every store test runs against SQLite and against the real PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bandeau.store import Record, Store, open_store

PG_URL = os.environ.get("BANDEAU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


class Backend:
    """A store plus raw SQL access with the immutability guards off, to tamper like an attacker
    who has the database."""

    def __init__(self, kind: str, url: str, path: Path | None = None) -> None:
        self.kind, self.url, self.path = kind, url, path
        self.store: Store = open_store(url)

    def reopen(self) -> Store:
        self.store.close()
        self.store = open_store(self.url)
        return self.store

    def execute(self, *statements: str) -> None:
        """Run SQL on the store's database from a connection of its own, guards on."""
        if self.kind == "sqlite":
            db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            for sql in statements:
                db.execute(sql)
            db.close()
        else:
            import psycopg

            from bandeau.store.postgres import split_schema

            dsn, schema = split_schema(self.url)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'SET search_path TO "{schema}"')
                for sql in statements:
                    conn.execute(sql)

    def tamper(self, *statements: str, params: tuple[Any, ...] = ()) -> None:
        if self.kind == "sqlite":
            db = sqlite3.connect(str(self.path), isolation_level=None)
            triggers = [
                r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ]
            for t in triggers:
                db.execute(f"DROP TRIGGER {t}")
            for sql in statements:
                db.execute(sql, params if "?" in sql else ())
            db.close()
        else:
            import psycopg

            from bandeau.store.postgres import split_schema

            dsn, schema = split_schema(self.url)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'SET search_path TO "{schema}"')
                conn.execute("SET session_replication_role = replica")  # triggers off
                for sql in statements:
                    conn.execute(sql.replace("?", "%s"), params if "?" in sql else ())


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        path = tmp_path / "bandeau.db"
        b = Backend("sqlite", f"sqlite:///{path}", path)
        yield b
        b.store.close()
    else:
        schema = f"bandeau_test_{uuid.uuid4().hex[:12]}"
        b = Backend("postgres", f"{PG_URL}?schema={schema}")
        yield b
        from bandeau.store.postgres import PostgresStore

        assert isinstance(b.store, PostgresStore)
        b.store.drop()
        b.store.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.store


def make_record(consent_id: str = "c-1", **changes: object) -> Record:
    base: dict[str, object] = {
        "decision_id": str(uuid.uuid4()),
        "consent_id": consent_id,
        "site": "lequotidien",
        "occurred_at": 1_780_000_000_000,
        "event": "refuse_all",
        "layer": "first",
        "control": "refuse_all",
        "language": "fr",
        "page": "/",
        "policy_version": "v1",
        "build": "b1",
        "shown": {"social": "d1"},
        "choices": {"social": False},
    }
    base.update(changes)
    return Record(**base)  # type: ignore[arg-type]
