"""Checkpoints, receipts and verification of the log, on both back-ends (PROOF-01..03).

Tamper tests change the database directly, as someone with access to it would, with the
immutability guards switched off, and expect the exact finding.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from bandeau.keys import KeyRing
from bandeau.ledger import (
    DAY_MS,
    Ledger,
    LogDoesNotVerify,
    NotCheckpointed,
    ReceiptError,
    VerifyReport,
    checkpoint_text,
    verify_log,
    verify_receipt,
)
from bandeau.merkle import chained_leaf, root, verify_consistency
from bandeau.store import Checkpoint, Record, Store

from .conftest import Backend, make_record

KEYS = KeyRing.generate()
Verify = Callable[[Store], VerifyReport]


@pytest.fixture(params=[1, 3], ids=["serial", "3-processes"])
def verify(request: pytest.FixtureRequest) -> Verify:
    """verify_log, in one process and split across three (the findings must not change)."""

    def run(store: Store) -> VerifyReport:
        return verify_log(store, KEYS.public, processes=request.param, min_parallel=0)

    return run


def fill(backend: Backend, n: int = 12, checkpoint: bool = True) -> tuple[Ledger, list[Record]]:
    ledger = Ledger(backend.store, KEYS)
    records = [make_record(f"c{i % 4}", occurred_at=1_780_000_000_000 + i) for i in range(n)]
    ledger.append_batch(records[: n // 2])
    if checkpoint:
        ledger.checkpoint(now_ms=1_780_000_000_500)
    ledger.append_batch(records[n // 2 :])
    if checkpoint:
        ledger.checkpoint(now_ms=1_780_000_001_000)
    return ledger, records


def test_clean_log_verifies(backend: Backend, verify: Verify) -> None:
    fill(backend)
    report = verify(backend.store)
    assert report.ok, report.findings
    assert (report.size, report.checkpoints) == (12, 2)


def test_checkpoint_signs_size_and_root(backend: Backend) -> None:
    ledger, _ = fill(backend)
    cp = backend.store.latest_checkpoint()
    assert cp is not None
    assert cp.size == 12
    assert cp.root == root([ledger.leaf(i) for i in range(12)])
    assert KEYS.current.verify(cp.signature, checkpoint_text(cp.size, cp.root, cp.time, cp.key_id))
    assert ledger.checkpoint() == cp  # nothing new: no new checkpoint


def test_consistency_between_checkpoints(backend: Backend) -> None:
    ledger, _ = fill(backend)
    old, new = backend.store.checkpoints()
    proof = ledger.consistency_proof(old.size, new.size)
    assert verify_consistency(old.size, new.size, old.root, new.root, proof)
    assert not verify_consistency(old.size, new.size, new.root, old.root, proof)


def test_every_record_gets_a_receipt_that_verifies_offline(backend: Backend) -> None:
    ledger, records = fill(backend, n=13)
    for r in records:
        receipt = json.loads(json.dumps(ledger.receipt(r.decision_id)))
        assert verify_receipt(receipt, KEYS.public).decision_id == r.decision_id


def test_receipt_waits_for_a_checkpoint(backend: Backend) -> None:
    ledger, records = fill(backend, checkpoint=False)
    with pytest.raises(NotCheckpointed):
        ledger.receipt(records[0].decision_id)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda r: r["record"]["choices"].update(social=True), "altered"),
        (lambda r: r.update(index=r["index"] + 1), "inclusion proof"),
        (lambda r: r["proof"].pop(), "inclusion proof"),
        (lambda r: r["checkpoint"].update(size=r["checkpoint"]["size"] + 1), "signature"),
        (lambda r: r["checkpoint"].update(key_id="0" * 16), "not the key given"),
        (lambda r: r.update(format="other"), "not a bandeau receipt"),
        (lambda r: r.pop("proof"), "malformed"),
    ],
)
def test_altered_receipts_fail(backend: Backend, change: object, error: str) -> None:
    ledger, records = fill(backend)
    receipt = ledger.receipt(records[3].decision_id)
    bad = copy.deepcopy(receipt)
    change(bad)  # type: ignore[operator]
    with pytest.raises(ReceiptError, match=error):
        verify_receipt(bad, KEYS.public)


def test_receipt_needs_the_right_key(backend: Backend) -> None:
    ledger, records = fill(backend)
    with pytest.raises(ReceiptError, match="not the key given"):
        verify_receipt(ledger.receipt(records[0].decision_id), KeyRing.generate().public)


def test_modified_record_is_named(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    fill(backend)
    backend.tamper(
        "UPDATE decisions SET content = replace(content, 'refuse_all', 'accept_all') WHERE seq = 6"
    )
    report = verify(backend.store)
    assert report.first_bad_index == 5
    assert report.findings == ["index 5: record modified: its content does not match its leaf hash"]


def test_deleted_record_is_named(backend: Backend, verify: Verify) -> None:
    fill(backend)
    backend.tamper("DELETE FROM decisions WHERE seq = 4")
    report = verify(backend.store)
    assert report.first_bad_index == 3
    assert report.findings[0] == (
        "index 3: record missing (deleted): the log jumps from index 2 to 4"
    )
    assert any("its root does not match" in f for f in report.findings)


def test_deleted_and_renumbered_is_named(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    fill(backend)
    backend.tamper(
        "DELETE FROM decisions WHERE seq = 4", "UPDATE decisions SET seq = seq - 1 WHERE seq > 4"
    )
    report = verify(backend.store)
    assert report.first_bad_index == 3
    assert report.findings[0].startswith("index 3: ")
    assert "checkpoint of size 12 covers records beyond the end of the log (11 records)" in (
        " ".join(report.findings)
    )


def test_inserted_record_is_named(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    fill(backend)
    forged = make_record("intruder")
    backend.tamper(
        "UPDATE decisions SET seq = seq + 100 WHERE seq >= 5",
        "UPDATE decisions SET seq = seq - 99 WHERE seq >= 105",
    )
    backend.tamper(
        "INSERT INTO decisions (seq, decision_id, site, consent_id, occurred_at, content, leaf, "
        "redacted) VALUES (5, ?, 'lequotidien', 'intruder', 1, ?, ?, 0)",
        params=(forged.decision_id, forged.canonical(), b"\x01" * 32),
    )
    report = verify(backend.store)
    assert report.first_bad_index == 4
    assert report.findings[0] == (
        "index 4: chain broken: records from here do not follow each other "
        "(inserted, deleted or reordered)"
    )


def test_reordered_records_are_named(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    fill(backend)
    backend.tamper(
        "UPDATE decisions SET seq = 1000 WHERE seq = 8",
        "UPDATE decisions SET seq = 8 WHERE seq = 9",
        "UPDATE decisions SET seq = 9 WHERE seq = 1000",
    )
    report = verify(backend.store)
    assert report.first_bad_index == 7
    assert report.findings[0].startswith("index 7: chain broken")


def test_forged_checkpoint_is_named(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    fill(backend)
    backend.tamper("UPDATE checkpoints SET time = time + 1 WHERE size = 6")
    report = verify(backend.store)
    assert report.findings == [
        f"checkpoint of size 6: its signature (key {KEYS.current.key_id}) does not verify: "
        "forged or altered"
    ]


def test_checkpoint_by_an_unknown_key_is_named(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    fill(backend)
    other = KeyRing.generate()
    ledger = Ledger(backend.store)
    ledger.append_batch([make_record()])
    size, root_ = 13, ledger.root(13)  # signed with a key of the attacker's own
    kid = other.current.key_id
    text = checkpoint_text(size, root_, 1, kid)
    backend.store.add_checkpoint(Checkpoint(size, root_, 1, kid, other.sign(text)))
    report = verify(backend.store)
    assert report.findings == [
        f"checkpoint of size 13: its signature (unknown key {other.current.key_id}) does not "
        "verify: forged or altered"
    ]


def test_rewritten_hashes_fail_the_checkpoint(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    """Rewriting a record together with its leaf hash breaks the chain after it and the
    signed roots."""
    fill(backend)
    backend.tamper("UPDATE decisions SET leaf = ? WHERE seq = 3", params=(b"\x02" * 32,))
    report = verify(backend.store)
    assert not report.ok
    assert report.first_bad_index == 2
    assert any("checkpoint of size 6: its root does not match" in f for f in report.findings)


def test_erasure_keeps_the_log_verifiable(backend: Backend, verify: Verify) -> None:
    """Erasure redacts content, keeps the leaf hash: the log still verifies and shows where."""
    ledger, records = fill(backend)
    assert ledger.erase("lequotidien", "c1") == 3
    report = verify(backend.store)
    assert report.ok, report.findings
    assert report.redacted == [1, 5, 9]
    assert backend.store.history("lequotidien", "c1") == []
    other = ledger.receipt(records[2].decision_id)
    assert verify_receipt(other, KEYS.public).consent_id == "c2"


def test_retention_redacts_old_records(
    backend: Backend, verify: Callable[[Store], VerifyReport]
) -> None:
    ledger, _ = fill(backend)
    a_day_later = 1_780_000_000_004 + DAY_MS
    assert ledger.apply_retention(0, now_ms=a_day_later) == 0
    assert ledger.apply_retention(1, now_ms=a_day_later) == 4
    report = verify(backend.store)
    assert report.ok
    assert report.redacted == [0, 1, 2, 3]


@pytest.mark.parametrize("seq", [4, 5, 9])
def test_deletions_where_stretches_meet_are_named(
    backend: Backend, verify: Verify, seq: int
) -> None:
    """Split across three processes the log is read as [0, 4), [4, 8), [8, 12): a record
    missing at either side of a boundary is named as in one process."""
    fill(backend)
    backend.tamper("DELETE FROM decisions WHERE seq = ?", params=(seq,))
    report = verify(backend.store)
    assert report.first_bad_index == seq - 1
    assert report.findings[0] == (
        f"index {seq - 1}: record missing (deleted): the log jumps from index {seq - 2} to {seq}"
    )


def insert_chained_forgery(backend: Backend, at: int) -> None:
    """Insert a forged record at index `at` as someone with the database would do it well:
    chained onto the record before it, with its own leaf, every later record moved up one."""
    leaf_before = Ledger(backend.store).leaf(at - 1)
    forged = make_record("intruder", choices={"social": True})
    leaf = chained_leaf(leaf_before, forged.canonical().encode())
    backend.tamper(
        "UPDATE decisions SET seq = seq + 1000 WHERE seq > ?",
        params=(at,),
    )
    backend.tamper("UPDATE decisions SET seq = seq - 999 WHERE seq > 1000")
    backend.tamper(
        "INSERT INTO decisions (seq, decision_id, site, consent_id, occurred_at, content, leaf, "
        "redacted) VALUES (?, ?, 'lequotidien', 'intruder', 1, ?, ?, 0)",
        params=(at + 1, forged.decision_id, forged.canonical(), leaf),
    )


def test_a_chained_forgery_inserted_is_named_at_its_own_index(
    backend: Backend, verify: Verify
) -> None:
    """Issue 8: the forged record, not the genuine one after it, is named."""
    fill(backend)
    insert_chained_forgery(backend, 4)
    report = verify(backend.store)
    assert report.first_bad_index == 4
    assert report.findings[0] == (
        "index 4: record inserted: it was not appended there (the record after it chains "
        "onto index 3)"
    )
    assert not any("record modified" in f for f in report.findings)


def rewrite_from(backend: Backend, index: int) -> None:
    """Change the record at `index` and recompute its leaf and every later one, so the chain
    holds (the stored subtree hashes and the checkpoints are left as they are)."""
    rows = list(backend.store.rows())
    prev = rows[index - 1][2] if index else bytes(32)
    for i, content, _, _ in rows[index:]:
        text = bytes(content).decode()
        if i == index:
            text = text.replace('"refuse_all"', '"accept_all"')
        prev = chained_leaf(prev, text.encode())
        backend.tamper(
            "UPDATE decisions SET content = ?, leaf = ? WHERE seq = ?", params=(text, prev, i + 1)
        )


def test_a_rewrite_with_every_later_leaf_recomputed_names_where_it_starts(
    backend: Backend, verify: Verify
) -> None:
    """The chain holds; the stored subtree hashes and the signed roots place the first
    rewritten record within a pair of leaves, and exactly with a checkpoint between them."""
    fill(backend)
    rewrite_from(backend, 5)
    report = verify(backend.store)
    assert report.first_bad_index == 4
    assert report.findings[0].startswith(
        "index 4: a record rewritten at an index from 4 to 5: its leaf and every later one "
        "were recomputed"
    )
    assert "checkpoint of size 6: its root does not match" in " ".join(report.findings)


def test_a_rewrite_is_named_exactly_when_a_checkpoint_splits_the_pair(
    backend: Backend, verify: Verify
) -> None:
    ledger = Ledger(backend.store, KEYS)
    for i in range(12):
        ledger.append_batch([make_record(f"c{i % 4}")])
        if i + 1 in (5, 12):
            ledger.checkpoint()
    rewrite_from(backend, 5)
    report = verify(backend.store)
    assert report.first_bad_index == 5
    assert report.findings[0].startswith("index 5: record rewritten: its leaf and every later")


def grow_after_checkpoint(backend: Backend) -> Ledger:
    ledger, _ = fill(backend, checkpoint=False)
    backend.store.add_checkpoint(_signed(ledger, 6))
    return ledger


def _signed(ledger: Ledger, size: int) -> Checkpoint:
    root_ = ledger.root(size)
    kid = KEYS.current.key_id
    return Checkpoint(size, root_, 1, kid, KEYS.sign(checkpoint_text(size, root_, 1, kid)))


@pytest.mark.parametrize(
    ("tamper", "finding"),
    [
        (
            lambda b: b.tamper(
                "UPDATE decisions SET content = replace(content, 'refuse_all', 'accept_all') "
                "WHERE seq = 9"
            ),
            "index 8: record modified",
        ),
        (lambda b: insert_chained_forgery(b, 8), "index 8: record inserted"),
        (lambda b: b.tamper("DELETE FROM decisions WHERE seq = 10"), "index 9: record missing"),
        (
            lambda b: b.tamper("UPDATE decisions SET leaf = ? WHERE seq = 6", params=(bytes(32),)),
            "the stored tree no longer gives the root signed at size 6",
        ),
        (
            lambda b: b.tamper("UPDATE checkpoints SET time = 2 WHERE size = 6"),
            "the latest checkpoint (size 6) does not verify",
        ),
    ],
    ids=["modified", "inserted", "deleted", "signed-leaf-rewritten", "checkpoint-forged"],
)
def test_the_signer_refuses_a_log_that_does_not_verify(
    backend: Backend,
    tamper: Callable[[Backend], None],
    finding: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 8: `Ledger.checkpoint` checks what it signs: the records since the latest
    checkpoint (chain and tree) and that checkpoint itself; it signs nothing otherwise."""
    ledger = grow_after_checkpoint(backend)
    tamper(backend)
    with pytest.raises(LogDoesNotVerify, match="refusing to sign a checkpoint") as refused:
        ledger.checkpoint()
    assert finding in str(refused.value)
    assert [c.size for c in backend.store.checkpoints()] == [6]
    assert any(finding in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


def test_the_signer_signs_a_log_that_verifies(backend: Backend) -> None:
    ledger = grow_after_checkpoint(backend)
    made = ledger.checkpoint()
    assert made is not None and made.size == 12
    assert verify_log(backend.store, KEYS.public).ok
