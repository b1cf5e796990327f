"""SQLite adapter: one file in WAL mode, one writer at a time, named migrations."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Final

from ..errors import StorageError
from . import Record

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
)


class SQLiteStore:
    """Decision store on one SQLite file. Thread-safe; every append is committed before return."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
        except sqlite3.Error as e:
            raise StorageError(f"cannot open SQLite database {path}: {e}") from e
        self._lock = threading.Lock()
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        applied: list[str] = []
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT "
                "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
            )
            done = {row[0] for row in self._db.execute("SELECT name FROM migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _statements(sql):
                        self._db.execute(statement)
                    self._db.execute("INSERT INTO migrations (name) VALUES (?)", (name,))
                    self._db.execute("COMMIT")
                except sqlite3.Error as e:
                    self._db.execute("ROLLBACK")
                    raise StorageError(f"migration {name} failed: {e}") from e
                applied.append(name)
        return applied

    def append(self, record: Record) -> tuple[Record, bool]:
        try:
            with self._lock:
                cur = self._db.execute(
                    "INSERT INTO decisions (decision_id, site, consent_id, occurred_at, content) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING",
                    (
                        record.decision_id,
                        record.site,
                        record.consent_id,
                        record.occurred_at,
                        record.canonical(),
                    ),
                )
                if cur.rowcount == 1:
                    return Record.from_json(record.canonical(), cur.lastrowid), True
        except sqlite3.Error as e:
            raise StorageError(f"cannot store the decision: {e}") from e
        existing = self.get(record.decision_id)
        if existing is None:  # pragma: no cover - the row exists or the insert would have run
            raise StorageError("decision vanished during insert")
        return existing, False

    def _select(self, where: str, args: tuple[str, ...]) -> list[Record]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT seq, content FROM decisions WHERE {where} ORDER BY seq",  # noqa: S608
                args,
            ).fetchall()
        return [Record.from_json(content, seq) for seq, content in rows]

    def get(self, decision_id: str) -> Record | None:
        found = self._select("decision_id = ?", (decision_id,))
        return found[0] if found else None

    def history(self, site: str, consent_id: str) -> list[Record]:
        return self._select("site = ? AND consent_id = ?", (site, consent_id))

    def latest(self, site: str, consent_id: str) -> Record | None:
        found = self.history(site, consent_id)
        return found[-1] if found else None

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM decisions").fetchone()
        return int(n)

    def close(self) -> None:
        with self._lock:
            self._db.close()


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
