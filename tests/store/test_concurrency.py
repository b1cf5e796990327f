"""Several processes append to one log at once: one order, no gaps, one chain (docs/ledger.md,
"Sequencing"), on SQLite (file lock + BEGIN IMMEDIATE) and PostgreSQL (advisory lock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bandeau.keys import KeyRing
from bandeau.ledger import Ledger, verify_log

from .conftest import Backend

WRITER = textwrap.dedent(
    """
    import random, sys, uuid
    from bandeau.store import Record, open_store
    store = open_store(sys.argv[1])
    name, n = sys.argv[2], int(sys.argv[3])
    done = 0
    while done < n:
        k = min(n - done, random.randint(1, 9))
        store.append_batch([
            Record(decision_id=str(uuid.uuid4()), consent_id=f"{name}-{done + i}",
                   site="lequotidien", occurred_at=done + i, event="accept_all",
                   layer="first", control="accept_all", language="fr", page="/",
                   policy_version="v", build="b", shown={"social": "d"},
                   choices={"social": True})
            for i in range(k)
        ])
        done += k
    store.close()
    """
)


def test_concurrent_writers_keep_one_chain(backend: Backend) -> None:
    backend.store.close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, backend.url, f"w{i}", "150"])
        for i in range(3)
    ]
    for p in procs:
        assert p.wait(timeout=180) == 0
    store = backend.reopen()
    assert store.count() == 450
    assert [index for index, *_ in store.rows()] == list(range(450))
    keys = KeyRing.generate()
    assert Ledger(store, keys).checkpoint() is not None
    report = verify_log(store, keys.public)
    assert report.ok, report.findings
    per_writer = {f"w{i}": 0 for i in range(3)}
    for i in range(3):
        for j in range(150):
            per_writer[f"w{i}"] += len(store.history("lequotidien", f"w{i}-{j}"))
    assert per_writer == {"w0": 150, "w1": 150, "w2": 150}
