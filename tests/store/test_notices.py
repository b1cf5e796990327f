"""The notice archive on both back-ends (PROOF-02, CNIL-08): each notice kept once, immutable,
beside the decisions that name it; a database made before notices migrates and still verifies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, verify_log
from bandeau.merkle import ZERO_LEAF, chained_leaf
from bandeau.store import Notice, Store, open_store
from bandeau.store.sqlite import MIGRATIONS

from .conftest import Backend, make_record


def notice(n: int, language: str = "fr", site: str = "lequotidien") -> Notice:
    return Notice(f"{n:064x}", site, language, f'{{"n":{n}}}', 1_780_000_000_000 + n)


def test_a_notice_is_archived_once_and_read_back(store: Store) -> None:
    """PROOF-02: archiving the same notice again keeps the first copy."""
    first = notice(1)
    assert store.archive_notice(first) is True
    assert store.archive_notice(Notice(first.id, first.site, "fr", first.content, 1)) is False
    assert store.notice("lequotidien", first.id) == first
    assert store.notice("other", first.id) is None
    assert store.notice("lequotidien", notice(2).id) is None


def test_notices_list_their_use(store: Store) -> None:
    """`bandeau notices`: per notice, the decisions answered under it, first and last."""
    a, b, c = notice(1), notice(2, "en"), notice(3, site="other")
    for n in (a, b, c):
        store.archive_notice(n)
    store.append_batch(
        [
            make_record(notice=a.id, occurred_at=1_780_000_000_500),
            make_record(notice=a.id, occurred_at=1_780_000_000_900),
            make_record(notice=a.id, occurred_at=1_780_000_000_700, site="other"),
        ]
    )
    uses = {u.id: u for u in store.notices("lequotidien")}
    assert set(uses) == {a.id, b.id}
    assert (uses[a.id].decisions, uses[a.id].first_used, uses[a.id].last_used) == (
        2,
        1_780_000_000_500,
        1_780_000_000_900,
    )
    assert (uses[b.id].language, uses[b.id].decisions, uses[b.id].first_used) == ("en", 0, None)


def test_archived_notices_are_immutable(backend: Backend) -> None:
    """PROOF-02: the database itself refuses to change or delete an archived notice."""
    backend.store.archive_notice(notice(1))
    for sql in ("UPDATE notices SET content = '{}'", "DELETE FROM notices"):
        with pytest.raises(Exception, match="immutable"):
            backend.execute(sql)
    assert backend.store.notice("lequotidien", notice(1).id) == notice(1)


def test_erasure_keeps_the_record_s_notice(backend: Backend) -> None:
    """A redacted record still counts under its notice; redaction cannot change it."""
    store = backend.store
    store.archive_notice(notice(1))
    store.append_batch([make_record("gone", notice=notice(1).id)])
    assert Ledger(store).erase("lequotidien", "gone") == 1
    [use] = store.notices("lequotidien")
    assert use.decisions == 1
    with pytest.raises(Exception, match="immutable"):
        backend.execute("UPDATE decisions SET notice = 'x'")


def test_a_database_from_before_notices_migrates_and_verifies(tmp_path: Path) -> None:
    """A log written before 0003_notices gets the archive; its old records keep their leaf
    hashes (they have no `notice`), and new ones name theirs."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, sql in MIGRATIONS[:2]:
        db.executescript(sql)
        db.execute("INSERT INTO migrations VALUES (?, 'then')", (name,))
    old = make_record("before")  # a record as the old code wrote it: no notice, no claims
    text = old.canonical()
    assert '"notice"' not in text and '"claims"' not in text
    db.execute(
        "INSERT INTO decisions (seq, decision_id, site, consent_id, occurred_at, content, leaf)"
        " VALUES (1, ?, ?, ?, ?, ?, ?)",
        (
            old.decision_id,
            old.site,
            old.consent_id,
            old.occurred_at,
            text,
            chained_leaf(ZERO_LEAF, text.encode()),
        ),
    )
    db.close()
    keys = KeyRing.generate()
    store = open_store(f"sqlite:///{path}")
    try:
        ledger = Ledger(store, keys)
        ledger.append_batch([make_record("after", notice=notice(1).id)])
        store.archive_notice(notice(1))
        ledger.checkpoint()
        assert verify_log(store, keys.public).ok
        assert [r.notice for r in store.history("lequotidien", "before")] == [""]
        assert [u.decisions for u in store.notices("lequotidien")] == [1]
    finally:
        store.close()


def test_only_later_fields_that_are_set_are_hashed() -> None:
    """PROOF-01: `notice` and `claims` are content when set, and absent otherwise, so the
    canonical form of a record from before them is unchanged."""
    plain = make_record()
    named = make_record(notice="a" * 64, claims={"build": "x"})
    assert '"notice"' not in plain.canonical() and '"claims"' not in plain.canonical()
    assert named.content()["notice"] == "a" * 64
    assert named.content()["claims"] == {"build": "x"}

