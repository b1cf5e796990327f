"""SQLite adapter: one file in WAL mode, one writer connection, reader connections beside it.

In WAL mode readers never wait for the writer: receipts, histories, proofs and verification
read from their own connections while the group commit holds the write transaction open and
waits for its fsync. An in-memory database (":memory:", tests and quick trials) exists only
inside its one connection, so there reads share the writer's connection and wait for it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Final

from ..errors import StorageError
from .base import Cursor, LogWriter, notices_schema

MIGRATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "0001_ledger",
        """
        CREATE TABLE decisions (
            seq INTEGER PRIMARY KEY,
            decision_id TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            consent_id TEXT NOT NULL,
            occurred_at INTEGER NOT NULL,
            content TEXT NOT NULL,
            leaf BLOB NOT NULL,
            redacted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX decisions_by_consent ON decisions (site, consent_id, seq);
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
        CREATE TRIGGER decisions_only_redaction BEFORE UPDATE ON decisions
            WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.seq = OLD.seq
                      AND NEW.leaf = OLD.leaf AND NEW.decision_id = OLD.decision_id
                      AND NEW.site = OLD.site AND NEW.occurred_at = OLD.occurred_at
                      AND NEW.consent_id = '')
            BEGIN SELECT RAISE(ABORT, 'decisions are immutable; only redaction is allowed'); END;
        CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
            BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;
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
    (
        # the hash of the deciding browser's retry secret, beside the record (docs/api.md)
        "0002_retry_hash",
        "ALTER TABLE decisions ADD COLUMN retry_hash TEXT NOT NULL DEFAULT '';",
    ),
    (
        # the notices readers were shown, archived once each (docs/ledger.md, PROOF-02), and
        # the notice each decision answered; redaction keeps a record's notice
        "0003_notices",
        notices_schema("INTEGER")
        + """
        CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices
            BEGIN SELECT RAISE(ABORT, 'notices are immutable'); END;
        CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
            BEGIN SELECT RAISE(ABORT, 'notices are immutable'); END;
        DROP TRIGGER decisions_only_redaction;
        CREATE TRIGGER decisions_only_redaction BEFORE UPDATE ON decisions
            WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.seq = OLD.seq
                      AND NEW.leaf = OLD.leaf AND NEW.decision_id = OLD.decision_id
                      AND NEW.site = OLD.site AND NEW.occurred_at = OLD.occurred_at
                      AND NEW.notice = OLD.notice AND NEW.consent_id = '')
            BEGIN SELECT RAISE(ABORT, 'decisions are immutable; only redaction is allowed'); END;
        """,
    ),
)
MEMORY: Final = ":memory:"


class SQLiteStore(LogWriter):
    """The decision log in one SQLite file. Thread-safe; one writer at a time."""

    backend = "SQLite"
    driver_error = sqlite3.Error

    def __init__(self, path: str) -> None:
        self.path = path
        self.url = f"sqlite:///{path}" if path != MEMORY else ""
        if path != MEMORY:
            _create_owner_only(Path(path))
        with self._driver_errors(f"open the SQLite database {path}"):
            self._db = self._connect(writer=True)
        self._mutex = threading.RLock()  # one write transaction at a time in this process
        self._idle: list[sqlite3.Connection] = []  # reader connections not in use
        self._readers: list[sqlite3.Connection] = []  # every reader connection, to close
        self._readers_lock = threading.Lock()
        # Across processes (--workers), writers queue on an advisory file lock: the kernel
        # wakes the next one at once, where SQLite's busy handler would sleep and poll.
        self._lockfile: IO[bytes] | None = (
            None
            if path == MEMORY
            else os.fdopen(os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600), "r+b")
        )
        try:
            self.migrate()
        except StorageError:
            self.close()
            raise

    def _connect(self, *, writer: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout=10000")
        if writer:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        else:
            db.execute("PRAGMA query_only=ON")
        return db

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Cursor]:
        with self._driver_errors(doing), self._mutex, self._file_lock():
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already
                    cur.execute("ROLLBACK")
                raise

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._lockfile is None:
            yield
            return
        fcntl.flock(self._lockfile, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lockfile, fcntl.LOCK_UN)

    @contextmanager
    def _read(self, doing: str) -> Iterator[Cursor]:
        with self._driver_errors(doing):
            if self.path == MEMORY:
                with self._mutex, closing(self._db.cursor()) as cur:
                    yield cur
                return
            db = self._reader()
            try:
                # Closing the cursor ends its statement, and with it the read snapshot: the
                # connection's next read sees the latest commit.
                with closing(db.cursor()) as cur:
                    yield cur
            finally:
                with self._readers_lock:
                    self._idle.append(db)

    def _reader(self) -> sqlite3.Connection:
        """An idle reader connection, or a new one: as many as reads run at once (the server's
        thread pool bounds them), each kept for the next read."""
        with self._readers_lock:
            if self._idle:
                return self._idle.pop()
        db = self._connect(writer=False)
        with self._readers_lock:
            self._readers.append(db)
        return db

    def _lock(self, cur: Cursor) -> None:
        """BEGIN IMMEDIATE already holds SQLite's single write lock."""

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        applied: list[str] = []
        with self._driver_errors("migrate the database"):
            with self._mutex:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at "
                    "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
                )
            for name, sql in MIGRATIONS:
                with self._transaction(f"apply migration {name}") as cur:
                    done = {row[0] for row in cur.execute("SELECT name FROM migrations")}
                    _refuse_unknown(done)
                    if name in done:
                        continue  # applied (perhaps just now, by another process)
                    for statement in _statements(sql):
                        cur.execute(statement)
                    cur.execute("INSERT INTO migrations (name) VALUES (?)", (name,))
                applied.append(name)
        return applied

    def close(self) -> None:
        with self._mutex, self._readers_lock:
            for db in [self._db, *self._readers]:
                db.close()
            self._idle.clear()
            if self._lockfile is not None:
                self._lockfile.close()


def _create_owner_only(path: Path) -> None:
    """Make the database file owner-only before SQLite opens it, like the keys: decisions are
    personal data. SQLite gives its -wal and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # an existing database keeps the permissions its owner gave it
    except OSError as e:
        raise StorageError(f"cannot create the SQLite database {path}: {e}") from e


def _refuse_unknown(done: set[str]) -> None:
    """A database made by a development version (before the schema was collapsed into one
    migration) cannot be migrated: say so instead of failing on CREATE TABLE."""
    unknown = done - {name for name, _ in MIGRATIONS}
    if unknown:
        raise StorageError(
            f"the database was made by an unreleased version of bandeau (migrations "
            f"{', '.join(sorted(unknown))})",
            hint="start from a new database file",
        )


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
