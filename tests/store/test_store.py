"""The decision store: durable, idempotent, append-only (PROOF-01, DESIGN §4/§5)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from bandeau.errors import SettingsError
from bandeau.store import Record, Store, open_store


def record(consent_id: str = "c-1", **changes: object) -> Record:
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


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 'db' / 'bandeau.db'}")
    yield s  # type: ignore[misc]
    s.close()


def test_append_and_read_back(store: Store) -> None:
    r = record()
    stored, created = store.append(r)
    assert created and stored.seq == 1
    assert store.get(r.decision_id) == stored
    assert stored.content() == r.content()


def test_retry_never_duplicates(store: Store) -> None:
    r = record()
    store.append(r)
    again, created = store.append(r)
    assert not created and again.seq == 1
    assert store.count() == 1


def test_history_in_order_and_isolated(store: Store) -> None:
    a1, b1, a2 = record("a"), record("b"), record("a", event="accept_all")
    for r in (a1, b1, a2):
        store.append(r)
    assert [r.decision_id for r in store.history("lequotidien", "a")] == [
        a1.decision_id,
        a2.decision_id,
    ]
    assert store.history("other-site", "a") == []
    latest = store.latest("lequotidien", "a")
    assert latest is not None and latest.event == "accept_all"


def test_records_are_immutable_in_the_database(tmp_path: Path) -> None:
    """PROOF-01 (2): the database itself refuses UPDATE and DELETE."""
    path = tmp_path / "bandeau.db"
    s = open_store(f"sqlite:///{path}")
    s.append(record())
    s.close()
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        db.execute("UPDATE decisions SET content = '{}'")
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        db.execute("DELETE FROM decisions")
    db.close()


def test_survives_reopen_and_migrations_run_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bandeau.db'}"
    s = open_store(url)
    r = record()
    s.append(r)
    s.close()
    again = open_store(url)
    assert again.get(r.decision_id) is not None
    db = sqlite3.connect(tmp_path / "bandeau.db")
    assert db.execute("SELECT name FROM migrations").fetchall() == [("0001_decisions",)]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    again.close()


def test_unknown_database_url() -> None:
    with pytest.raises(SettingsError, match="unsupported database URL"):
        open_store("mysql://x")
