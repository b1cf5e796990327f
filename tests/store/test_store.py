"""The decision store on both back-ends: durable, idempotent, append-only (PROOF-01)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bandeau.errors import SettingsError, StorageError
from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, verify_log
from bandeau.merkle import root
from bandeau.store import Checkpoint, MissingHash, Store, open_store

from .conftest import Backend, make_record


def test_append_and_read_back(store: Store) -> None:
    r = make_record()
    [(stored, created)] = store.append_batch([r])
    assert created
    assert stored.seq == 1
    assert stored.index == 0
    assert store.get(r.decision_id) == stored
    assert stored.content() == r.content()


def test_retry_never_duplicates(store: Store) -> None:
    r = make_record()
    store.append_batch([r])
    [(again, created)] = store.append_batch([r])
    assert not created
    assert again.seq == 1
    assert store.count() == 1


def test_batch_with_a_repeated_id(store: Store) -> None:
    a, b = make_record(), make_record()
    out = store.append_batch([a, b, a])
    assert [(r.seq, new) for r, new in out] == [(1, True), (2, True), (1, False)]
    assert store.count() == 2


def test_a_retry_among_new_decisions(store: Store) -> None:
    """A batch that retries a stored decision between new ones (the PostgreSQL store first
    appends after the head it left, meets the stored id, and appends again after reading):
    the retry answers with the stored record, the new ones follow in order, and the log
    verifies."""
    a, b, c, d = make_record(), make_record(), make_record(), make_record()
    store.append_batch([a, b])
    out = store.append_batch([c, a, d, c])
    assert [(r.decision_id, r.seq, new) for r, new in out] == [
        (c.decision_id, 3, True),
        (a.decision_id, 1, False),
        (d.decision_id, 4, True),
        (c.decision_id, 3, False),
    ]
    [(e_stored, created)] = store.append_batch([e := make_record()])  # after the fallback
    assert (e_stored.seq, created) == (5, True)
    assert [index for index, *_ in store.rows()] == list(range(5))
    keys = KeyRing.generate()
    assert Ledger(store, keys).checkpoint() is not None
    report = verify_log(store, keys.public)
    assert report.ok, report.findings
    assert store.get(e.decision_id) == e_stored


def test_a_batch_that_fails_is_stored_not_at_all(backend: Backend) -> None:
    """A batch whose writing fails part way (here a subtree row already where its second
    decision closes one, as an attacker with the database could leave) fails whole: none of
    its decisions is stored, the ones acknowledged before stay, and once the row is gone the
    same batch is stored and the log verifies."""
    store = backend.store
    first = make_record()
    store.append_batch([first])
    backend.tamper("INSERT INTO nodes (level, idx, hash) VALUES (2, 0, ?)", params=(b"x" * 32,))
    batch = [make_record() for _ in range(3)]  # leaves 1..3: the fourth leaf closes (2, 0)
    with pytest.raises(StorageError, match=r"^cannot store the decisions"):
        store.append_batch(batch)
    assert store.count() == 1
    assert all(store.get(r.decision_id) is None for r in batch)
    assert store.get(first.decision_id) is not None
    backend.tamper("DELETE FROM nodes WHERE level = 2 AND idx = 0")
    out = store.append_batch(batch)
    assert [(r.seq, new) for r, new in out] == [(2, True), (3, True), (4, True)]
    keys = KeyRing.generate()
    assert Ledger(store, keys).checkpoint() is not None
    report = verify_log(store, keys.public)
    assert report.ok, report.findings
    assert store.node(2, 0) == root([store.node(0, i) for i in range(4)])


def test_history_in_order_and_isolated(store: Store) -> None:
    a1, b1, a2 = make_record("a"), make_record("b"), make_record("a", event="accept_all")
    for r in (a1, b1, a2):
        store.append_batch([r])
    history = store.history("lequotidien", "a")
    assert [r.decision_id for r in history] == [a1.decision_id, a2.decision_id]
    assert history[-1].event == "accept_all"
    assert store.history("other-site", "a") == []


def test_leaves_and_nodes_form_the_tree(store: Store) -> None:
    store.append_batch([make_record(str(i)) for i in range(11)])
    store.append_batch([make_record(str(i)) for i in range(11, 21)])
    leaves = [store.node(0, i) for i in range(21)]
    assert len(set(leaves)) == 21
    assert store.node(4, 0) == root(leaves[:16])
    assert store.node(2, 4) == root(leaves[16:20])
    with pytest.raises(MissingHash, match="no subtree"):
        store.node(3, 2)


def test_two_writers_interleaving_build_one_tree(backend: Backend) -> None:
    """Each store remembers the log's complete subtrees after its own append and reuses them
    only while the log is still as it left it: with two writers of one database taking turns
    (a server process and its log writer process, or two workers), the stored tree is the tree
    of the leaves, whatever the batch sizes."""
    other = open_store(backend.url)
    try:
        sizes = [1, 3, 1, 7, 2, 1, 1, 9, 4, 3]
        for turn, n in enumerate(sizes):
            writer = backend.store if turn % 2 == 0 else other
            writer.append_batch([make_record(f"{turn}-{i}") for i in range(n)])
            backend.store.append_batch([make_record(f"{turn}-again")])  # the same writer twice
        total = sum(sizes) + len(sizes)
        leaves = [backend.store.node(0, i) for i in range(total)]
        assert backend.store.node(5, 0) == root(leaves[:32])
        assert backend.store.node(3, 4) == root(leaves[32:40])
        ledger = Ledger(backend.store)
        assert ledger.root(total) == root(leaves)
    finally:
        other.close()


def test_rows_stream_in_order(store: Store) -> None:
    records = [make_record(str(i)) for i in range(7)]
    store.append_batch(records)
    rows = list(store.rows())
    assert [index for index, *_ in rows] == list(range(7))
    assert [content for _, content, _, _ in rows] == [r.canonical().encode() for r in records]
    assert [leaf for _, _, leaf, _ in rows] == [store.node(0, i) for i in range(7)]
    assert not any(redacted for *_, redacted in rows)
    assert [index for index, *_ in store.rows(5)] == [5, 6]
    assert [index for index, *_ in store.rows(2, 4)] == [2, 3]


def test_records_are_immutable_in_the_database(backend: Backend) -> None:
    """PROOF-01 (2): the database itself refuses UPDATE and DELETE, except redaction."""
    backend.store.append_batch([make_record(), make_record()])
    backend.store.add_checkpoint(Checkpoint(2, b"r" * 32, 1, "k", b"s" * 64))
    if backend.kind == "sqlite":
        db = sqlite3.connect(str(backend.path))
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            db.execute("UPDATE decisions SET content = '{}'")
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            db.execute("DELETE FROM decisions")
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            db.execute("DELETE FROM nodes")
        db.close()
    else:
        import psycopg

        from bandeau.store.postgres import split_schema

        dsn, schema = split_schema(backend.url)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
                conn.execute("UPDATE decisions SET content = '{}'")
            with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
                conn.execute("DELETE FROM decisions")
            with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
                conn.execute("DELETE FROM checkpoints")


def test_erasure_keeps_the_leaf(store: Store) -> None:
    a, b = make_record("a"), make_record("b")
    ledger = Ledger(store)
    ledger.append_batch([a, b])
    leaf = store.node(0, 0)
    assert ledger.erase("lequotidien", "a") == 1
    assert ledger.erase("lequotidien", "a") == 0
    assert store.node(0, 0) == leaf
    assert store.history("lequotidien", "a") == []
    assert store.get(a.decision_id) is None
    (_, content, _, redacted), (*_, other_redacted) = store.rows()
    assert redacted
    assert content == b'{"redacted":"erasure"}'
    assert not other_redacted


def test_survives_reopen_and_migrations_run_once(backend: Backend) -> None:
    r = make_record()
    backend.store.append_batch([r])
    again = backend.reopen()
    assert again.get(r.decision_id) is not None
    again.append_batch([make_record()])
    assert again.count() == 2


def test_sqlite_is_wal_and_migrated(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'bandeau.db'}")
    s.close()
    db = sqlite3.connect(tmp_path / "bandeau.db")
    assert db.execute("SELECT name FROM migrations ORDER BY name").fetchall() == [
        ("0001_ledger",),
        ("0002_retry_hash",),
        ("0003_notices",),
    ]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_sqlite_made_by_a_development_version_is_refused(tmp_path: Path) -> None:
    """The schema was collapsed into one migration before release: a database from before
    is named as such, not half-migrated."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    db.execute("INSERT INTO migrations VALUES ('0001_decisions', 'then')")
    db.execute("CREATE TABLE decisions (seq INTEGER PRIMARY KEY)")
    db.close()
    with pytest.raises(StorageError, match=r"unreleased version of bandeau \(migrations 0001_"):
        open_store(f"sqlite:///{path}")


def test_memory_store_reads_and_writes() -> None:
    """ ":memory:" lives in one connection: reads share it with the writer."""
    s = open_store(":memory:")
    r = make_record()
    s.append_batch([r])
    assert s.get(r.decision_id) is not None
    assert [index for index, *_ in s.rows()] == [0]
    assert s.url == ""
    s.close()


def test_unknown_database_url() -> None:
    with pytest.raises(SettingsError, match="unsupported database URL"):
        open_store("mysql://x")


def test_postgres_unreachable_is_a_clear_error() -> None:
    with pytest.raises(
        StorageError, match="cannot connect to PostgreSQL at postgresql://u:\\*\\*\\*@"
    ):
        open_store("postgresql://u:secret@127.0.0.1:1/none?connect_timeout=1")


def test_postgres_without_pipeline_mode_appends_as_before(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a libpq older than 14 (no pipeline mode) the PostgreSQL store appends statement by
    statement, with the same log: retries stored once, one chain, one tree."""
    if backend.kind != "postgres":
        pytest.skip("PostgreSQL only")
    from bandeau.store import postgres

    monkeypatch.setattr(postgres, "PIPELINE", False)
    a, b, c = make_record(), make_record(), make_record()
    store = backend.store
    assert [new for _, new in store.append_batch([a, b])] == [True, True]
    out = store.append_batch([c, a])
    assert [(r.seq, new) for r, new in out] == [(3, True), (1, False)]
    keys = KeyRing.generate()
    assert Ledger(store, keys).checkpoint() is not None
    assert verify_log(store, keys.public).ok


def test_postgres_append_leaves_its_connections_as_it_found_them(backend: Backend) -> None:
    """The append after a known head sends its own BEGIN and COMMIT (one round trip): after
    an append, and after one that met a stored decision and was rolled back, every pooled
    connection is idle, with no transaction open, in the pool's usual (non-autocommit) mode,
    and the store goes on appending."""
    if backend.kind != "postgres":
        pytest.skip("PostgreSQL only")
    import psycopg

    store = backend.store
    a, b = make_record(), make_record()
    store.append_batch([a])
    store.append_batch([b, a])  # the guess meets a's stored id: rolled back, then read
    pool = store._pool  # type: ignore[attr-defined]
    for _ in range(pool.get_stats()["pool_size"]):
        with pool.connection() as conn:
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.autocommit is False
    [(c, created)] = store.append_batch([make_record()])
    assert (c.seq, created) == (3, True)


def test_postgres_never_keeps_a_prepared_plan_for_the_append(backend: Backend) -> None:
    """The append is planned each time: a plan PostgreSQL kept from when the log was small
    looked the batch's ids up by scanning the whole table, each batch slower than the last."""
    if backend.kind != "postgres":
        pytest.skip("PostgreSQL only")
    store = backend.store
    for _ in range(24):  # psycopg prepares a statement on its fifth run on a connection
        store.append_batch([make_record(), make_record()])
    pool = store._pool  # type: ignore[attr-defined]
    for _ in range(pool.get_stats()["pool_size"]):
        with pool.connection() as conn:
            kept = conn.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ("%new_decisions%",),
            ).fetchone()
            assert kept == (0,)
    assert store.count() == 48
