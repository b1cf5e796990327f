"""A failing database gives a logged StorageError with the driver's reason, from every kind of
call (reads, appends, checkpoints, erasure), and the store works again once the database is
back. The failures are real: a table renamed away from another connection, PostgreSQL backends
terminated, a file that is not a database."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from bandeau.errors import StorageError
from bandeau.keys import KeyRing
from bandeau.ledger import Ledger
from bandeau.store import Checkpoint, open_store
from bandeau.store.writer import BatchWriter

from .conftest import PG_URL, Backend, make_record

KEYS = KeyRing.generate()


def missing(backend: Backend, table: str) -> str:
    """The driver's words for a table that is not there."""
    if backend.kind == "sqlite":
        return f"no such table: {table}"
    return f'relation "{table}" does not exist'


def store_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bandeau.store.base"]


def test_reads_and_appends_fail_clearly_while_the_log_is_gone(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = Ledger(backend.store, KEYS)
    first = make_record("c-1")
    ledger.append_batch([first])
    store = backend.store
    calls: dict[str, Callable[[], object]] = {
        "read a decision": lambda: store.get(first.decision_id),
        "read a consent history": lambda: store.history("lequotidien", "c-1"),
        "count the log": store.count,
        "read the tree": lambda: store.node(0, 0),
        "read the log": lambda: list(store.rows()),
        "store the decisions": lambda: ledger.append_batch([make_record()]),
        "redact decisions": lambda: ledger.erase("lequotidien", "c-1"),
    }
    gone = missing(backend, "decisions")
    backend.execute("ALTER TABLE decisions RENAME TO decisions_away")
    with caplog.at_level(logging.ERROR, logger="bandeau.store"):
        for doing, call in calls.items():
            with pytest.raises(StorageError, match=f"^cannot {doing}: {gone}"):
                call()
    assert len(store_errors(caplog)) == len(calls)
    backend.execute("ALTER TABLE decisions_away RENAME TO decisions")
    assert store.get(first.decision_id) is not None
    assert ledger.append_batch([make_record()])[0][1]
    assert store.count() == 2


def test_checkpoints_fail_clearly_while_their_table_is_gone(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = Ledger(backend.store, KEYS)
    ledger.append_batch([make_record()])
    store = backend.store
    backend.execute("ALTER TABLE checkpoints RENAME TO checkpoints_away")
    gone = missing(backend, "checkpoints")
    with caplog.at_level(logging.ERROR, logger="bandeau.store"):
        with pytest.raises(StorageError, match=f"^cannot read the checkpoints: {gone}"):
            ledger.checkpoint()
        with pytest.raises(StorageError, match=f"^cannot read the checkpoints: {gone}"):
            store.checkpoints()
        with pytest.raises(StorageError, match=f"^cannot store a checkpoint: {gone}"):
            store.add_checkpoint(Checkpoint(1, ledger.root(1), 1, "k", b"s" * 64))
    assert len(store_errors(caplog)) == 3
    backend.execute("ALTER TABLE checkpoints_away RENAME TO checkpoints")
    made = ledger.checkpoint()
    assert made is not None
    assert store.checkpoints() == [made]


def test_postgres_connections_killed_under_the_store(caplog: pytest.LogCaptureFixture) -> None:
    """Each call on a connection the server killed fails with the server's reason (an append,
    sent in pipeline mode, may see only the closed connection: libpq reads the server's last
    message and the end of the connection together); the pool replaces the connection and the
    next call works."""
    import psycopg

    from bandeau.store.postgres import PostgresStore, split_schema

    name = f"bandeau_test_{uuid.uuid4().hex[:12]}"
    store = PostgresStore(f"{PG_URL}?schema={name}&application_name={name}", max_size=1)
    ledger = Ledger(store, KEYS)
    dsn, _ = split_schema(PG_URL)

    def kill() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            ).fetchall()
        assert killed == [(True,)]

    record = make_record()
    calls: list[tuple[str, Callable[[], object]]] = [
        ("store the decisions", lambda: ledger.append_batch([record])),
        ("read a decision", lambda: store.get(record.decision_id)),
        ("count the log", store.count),
        ("read the log", lambda: list(store.rows())),
        ("store a checkpoint", lambda: store.add_checkpoint(Checkpoint(1, b"r" * 32, 1, "k", b""))),
    ]
    try:
        with caplog.at_level(logging.ERROR, logger="bandeau.store"):
            for doing, call in calls:
                kill()
                reason = "terminating connection due to admin"
                if doing == "store the decisions":
                    reason = f"({reason}|consuming input failed: server closed the connection)"
                with pytest.raises(StorageError, match=f"^cannot {doing}: {reason}"):
                    call()
                call()  # on a new connection
        assert len(store_errors(caplog)) == len(calls)
        assert store.get(record.decision_id) is not None
        assert [c.size for c in store.checkpoints()] == [1]
    finally:
        store.drop()
        store.close()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "bandeau.db"
    path.write_bytes(b"this is not a database, " * 200)
    with pytest.raises(StorageError, match=r"^cannot open the SQLite database .*: file is not a"):
        open_store(f"sqlite:///{path}")


def test_the_writer_reports_failures_to_every_waiter_and_goes_on(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch that fails fails each of its waiters (logged); the writer thread survives and
    commits the next batch. A failure that is not the database's (here a record that cannot
    be serialised) is passed on as it is, with its traceback in the log."""
    ledger = Ledger(backend.store, KEYS)
    writer = BatchWriter(ledger)
    try:
        backend.execute("ALTER TABLE decisions RENAME TO decisions_away")
        with caplog.at_level(logging.WARNING, logger="bandeau"):
            failed = [writer.submit(make_record()) for _ in range(3)]
            for future in failed:
                with pytest.raises(StorageError, match="cannot store the decisions"):
                    future.result()
            backend.execute("ALTER TABLE decisions_away RENAME TO decisions")
            unserialisable = writer.submit(make_record(shown={"social": object()}))
            with pytest.raises(TypeError, match="not JSON serializable"):
                unserialisable.result()
        written = [r for r in caplog.records if r.name == "bandeau.store.writer"]
        assert any("not stored: cannot store the decisions" in r.getMessage() for r in written)
        assert any(r.exc_info and r.exc_info[0] is TypeError for r in written)
        stored, created = writer.submit(make_record()).result()
        assert created
        assert stored.seq == 1
    finally:
        writer.close()
