"""SQLite reads (receipts, histories, proofs, verification) do not wait behind the writer: in
WAL mode they run on connections of their own while a write transaction is open."""

from __future__ import annotations

import threading
from pathlib import Path

from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, verify_log
from bandeau.store import open_store
from bandeau.store.sqlite import SQLiteStore

from .conftest import make_record

KEYS = KeyRing.generate()
SAFETY_RELEASE_S = 60  # only if the reads wait for the writer (then the order check fails)


def test_reads_complete_while_a_write_transaction_is_open(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'bandeau.db'}")
    assert isinstance(store, SQLiteStore)
    ledger = Ledger(store, KEYS)
    first = make_record("reader")
    ledger.append_batch([first])
    ledger.checkpoint()
    holding, reads_done = threading.Event(), threading.Event()
    order: list[str] = []

    def writer() -> None:
        """The group commit's part: a write transaction open, a record appended, no commit
        yet (as while it waits for fsync)."""
        with store._transaction("hold the write lock") as cur:
            store._lock(cur)
            store._append_locked(cur, [make_record("pending")])
            holding.set()
            reads_done.wait(SAFETY_RELEASE_S)
            order.append("commit")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(SAFETY_RELEASE_S)
        got = store.get(first.decision_id)
        history = store.history("lequotidien", "reader")
        size = store.count()
        receipt = ledger.receipt(first.decision_id)
        report = verify_log(store, KEYS.public)
        order.append("reads")
    finally:
        reads_done.set()
        thread.join()
    assert order == ["reads", "commit"]
    assert got is not None
    assert [r.decision_id for r in history] == [first.decision_id]
    assert size == 1  # the open transaction's record is not visible yet
    assert receipt["index"] == 0
    assert report.ok
    assert report.size == 1
    assert store.count() == 2  # committed now
    store.close()
