"""`bandeau verify` throughput and checkpoint time on a large log (default 1,000,000 records).

Builds the log once (SQLite by default; --postgres for PostgreSQL) with records shaped like the
demo's, then times, in this process: a full verification (chain + tree + every checkpoint's
signature and root), a checkpoint at the full size, and one receipt (also while another thread
holds the write transaction open, as the group commit does). Budget: ≥ 200,000 records/s.

    python bench/verify.py [--records 1000000] [--keep /tmp/bench-log.db] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, verify_log, verify_receipt
from bandeau.store import Store, open_store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fill, table

PG = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="SQLite file to build once and reuse")
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            url = f"{PG}?schema=bench_verify_{uuid.uuid4().hex[:8]}"
        else:
            url = f"sqlite:///{args.keep or Path(tmp) / 'log.db'}"
        store = open_store(url)
        # a reused log keeps its keys beside it: its checkpoints must still verify
        keys = (
            KeyRing.open_or_create(args.keep.with_suffix(".keys"))
            if args.keep
            else KeyRing.generate()
        )
        ledger = Ledger(store, keys)
        started = time.perf_counter()
        before = store.count()
        fill(store, args.records)
        built = time.perf_counter() - started
        for size in (args.records // 4, args.records // 2):  # earlier checkpoints, as in life
            ledger.store.add_checkpoint(_checkpoint_at(ledger, keys, size))
        started = time.perf_counter()
        cp = ledger.checkpoint()
        checkpoint_s = time.perf_counter() - started
        assert cp is not None
        started = time.perf_counter()
        report = verify_log(store, keys.public)
        serial_s = time.perf_counter() - started
        processes = os.cpu_count() or 1
        started = time.perf_counter()
        report = verify_log(store, keys.public, processes=processes)
        verify_s = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"the log does not verify: {report.findings[:3]}")
        some = store.get(_decision_at(store, args.records // 3))
        started = time.perf_counter()
        assert some is not None
        receipt = ledger.receipt(some.decision_id)
        verify_receipt(receipt, keys.public)
        receipt_s = time.perf_counter() - started
        during_write_s = _receipt_during_write(ledger, some.decision_id, keys)
        rows = [
            ("records in the log", f"{report.size:,}", ""),
            (
                "build (append in batches of 5,000)",
                f"{built:.1f} s" if before < args.records else "reused",
                "",
            ),
            ("verify, one process: records/s", f"{report.size / serial_s:,.0f}", ""),
            (
                f"verify, {processes} processes (the CLI's default): records/s",
                f"{report.size / verify_s:,.0f}",
                "≥ 200,000",
            ),
            ("verify: total", f"{verify_s:.2f} s", ""),
            ("checkpoint at full size", f"{checkpoint_s * 1000:.1f} ms", ""),
            ("receipt: build + verify", f"{receipt_s * 1000:.1f} ms", ""),
            (
                "receipt: build + verify, a write transaction open",
                f"{during_write_s * 1000:.1f} ms",
                "",
            ),
        ]
        print(
            table(
                f"ledger bench ({'PostgreSQL' if args.postgres else 'SQLite'})",
                ["figure", "value", "budget"],
                rows,
            )
        )
        rate = report.size / verify_s
        print(
            f"verdict: verify with {processes} processes, {rate:,.0f} records/s "
            f"(budget >= 200,000): {'ok' if rate >= 200_000 else 'UNDER'}"
        )
        if args.postgres:
            from bandeau.store.postgres import PostgresStore

            assert isinstance(store, PostgresStore)
            store.drop()
        store.close()


def _checkpoint_at(ledger: Ledger, keys: KeyRing, size: int):  # type: ignore[no-untyped-def]
    from bandeau.ledger import checkpoint_text
    from bandeau.store import Checkpoint

    root = ledger.root(size)
    at = int(time.time() * 1000)
    kid = keys.current.key_id
    return Checkpoint(size, root, at, kid, keys.sign(checkpoint_text(size, root, at, kid)))


def _receipt_during_write(ledger: Ledger, decision_id: str, keys: KeyRing) -> float:
    """Time a receipt while another thread holds the log's write transaction open (as the
    group commit does while it waits for fsync): reads must not wait for it."""
    import threading

    from bandeau.store.base import LogWriter

    store = ledger.store
    assert isinstance(store, LogWriter)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with store._transaction("hold the write lock") as cur:
            store._lock(cur)
            holding.set()
            done.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    started = time.perf_counter()
    verify_receipt(ledger.receipt(decision_id), keys.public)
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    return elapsed


def _decision_at(store: Store, index: int) -> str:
    _, content, _, _ = next(store.rows(index, index + 1))
    return str(json.loads(content)["decision_id"])


if __name__ == "__main__":
    main()
