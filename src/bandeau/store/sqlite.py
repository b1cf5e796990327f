"""SQLite adapter: one file in WAL mode, one writer at a time, named migrations."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from ..errors import StorageError
from .base import ZERO, Cursor, LogWriter, complete_subtrees, leaf_for

MIGRATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "0001_decisions",
        """
        CREATE TABLE decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            decision_id TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            consent_id TEXT NOT NULL,
            occurred_at INTEGER NOT NULL,
            content TEXT NOT NULL
        );
        CREATE INDEX decisions_by_consent ON decisions (site, consent_id, seq);
        CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
            BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;
        CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
            BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;
        """,
    ),
    (
        "0002_ledger",
        """
        ALTER TABLE decisions ADD COLUMN leaf BLOB;
        ALTER TABLE decisions ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX decisions_by_time ON decisions (occurred_at);
        CREATE TABLE nodes (
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (level, idx)
        ) WITHOUT ROWID;
        CREATE TABLE checkpoints (
            size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            time INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            signature BLOB NOT NULL
        );
        DROP TRIGGER decisions_no_update;
        CREATE TRIGGER decisions_only_redaction BEFORE UPDATE ON decisions
            WHEN NOT (OLD.leaf IS NULL AND NEW.redacted = 0)
             AND NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.seq = OLD.seq
                      AND NEW.leaf = OLD.leaf AND NEW.decision_id = OLD.decision_id
                      AND NEW.site = OLD.site AND NEW.occurred_at = OLD.occurred_at
                      AND NEW.consent_id = '')
            BEGIN SELECT RAISE(ABORT, 'decisions are immutable; only redaction is allowed'); END;
        CREATE TRIGGER nodes_no_update BEFORE UPDATE ON nodes
            BEGIN SELECT RAISE(ABORT, 'the tree is immutable'); END;
        CREATE TRIGGER nodes_no_delete BEFORE DELETE ON nodes
            BEGIN SELECT RAISE(ABORT, 'the tree is immutable'); END;
        CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
        CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
        """,
    ),
)


class SQLiteStore(LogWriter):
    """The decision log in one SQLite file. Thread-safe; one writer at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.url = f"sqlite:///{path}" if path != ":memory:" else ""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as e:
            raise StorageError(f"cannot open SQLite database {path}: {e}") from e
        self._mutex = threading.RLock()
        # Across processes (--workers), writers queue on an advisory file lock: the kernel
        # wakes the next one at once, where SQLite's busy handler would sleep and poll.
        self._lockfile = None if path == ":memory:" else open(f"{path}.lock", "a+b")  # noqa: SIM115
        self.migrate()

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        with self._mutex:
            if self._lockfile is not None:
                fcntl.flock(self._lockfile, fcntl.LOCK_EX)
            try:
                cur = self._db.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                if self._lockfile is not None:
                    fcntl.flock(self._lockfile, fcntl.LOCK_UN)

    @contextmanager
    def _read(self) -> Iterator[Cursor]:
        with self._mutex:
            yield self._db.cursor()

    def _lock(self, cur: Cursor) -> None:
        """BEGIN IMMEDIATE already holds SQLite's single write lock."""

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        applied: list[str] = []
        with self._mutex:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT "
                "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
            )
            for name, sql in MIGRATIONS:
                try:
                    with self._transaction() as cur:
                        cur.execute("SELECT 1 FROM migrations WHERE name = ?", (name,))
                        if cur.fetchone():
                            continue  # applied (perhaps just now, by another process)
                        for statement in _statements(sql):
                            cur.execute(statement)
                        if name == "0002_ledger":
                            _backfill_leaves(cur)
                        cur.execute("INSERT INTO migrations (name) VALUES (?)", (name,))
                except sqlite3.Error as e:
                    raise StorageError(f"migration {name} failed: {e}") from e
                applied.append(name)
        return applied

    def close(self) -> None:
        with self._mutex:
            self._db.close()
            if self._lockfile is not None:
                self._lockfile.close()


def _backfill_leaves(cur: Cursor) -> None:
    """Chain and hash records stored before the ledger existed, in their order."""
    cur.execute("SELECT seq, content FROM decisions ORDER BY seq")
    rows = cur.fetchall()
    prev = ZERO

    def q(sql: str, params: Sequence[Any]) -> Cursor:
        cur.execute(sql, params)
        return cur

    for position, (seq, content) in enumerate(rows):
        if int(seq) != position + 1:
            raise StorageError(f"decision seq {seq} leaves a gap; cannot build the log")
        leaf = leaf_for(prev, content.encode())
        cur.execute("UPDATE decisions SET leaf = ? WHERE seq = ?", (leaf, seq))
        complete_subtrees(q, position, leaf, {(0, position): leaf})
        prev = leaf


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out: list[str] = []
    buf = ""
    for line in sql.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out
