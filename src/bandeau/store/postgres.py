"""PostgreSQL adapter (psycopg 3 with a connection pool). Several server processes may write
at once: appends take a transaction-scoped advisory lock, so the log gets one order, no gaps,
and one chain (docs/ledger.md, "Sequencing")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import SettingsError, StorageError
from . import LogRow
from .base import Cursor, LogWriter, notices_schema

try:
    import psycopg
    from psycopg_pool import ConnectionPool
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise SettingsError(
        "PostgreSQL support is not installed",
        hint="pip install 'bandeau[postgres]'",
    ) from e

POOL_WAIT: Final = 5.0
"""Seconds a call waits for a connection before failing (StorageError, a 503): while the
database is unreachable, readers get an answer soon instead of after psycopg's 30 s."""
LOG_LOCK: Final = 0x62616E64  # "band": the advisory lock that serialises appends

MIGRATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "0001_ledger",
        """
        CREATE TABLE decisions (
            seq BIGINT PRIMARY KEY,
            decision_id TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            consent_id TEXT NOT NULL,
            occurred_at BIGINT NOT NULL,
            content TEXT NOT NULL,
            leaf BYTEA NOT NULL,
            redacted SMALLINT NOT NULL DEFAULT 0
        );
        CREATE INDEX decisions_by_consent ON decisions (site, consent_id, seq);
        CREATE INDEX decisions_by_time ON decisions (occurred_at);
        CREATE TABLE nodes (
            level INTEGER NOT NULL,
            idx BIGINT NOT NULL,
            hash BYTEA NOT NULL,
            PRIMARY KEY (level, idx)
        );
        CREATE TABLE checkpoints (
            size BIGINT PRIMARY KEY,
            root BYTEA NOT NULL,
            time BIGINT NOT NULL,
            key_id TEXT NOT NULL,
            signature BYTEA NOT NULL
        );
        CREATE FUNCTION bandeau_only_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.redacted = 0 AND NEW.redacted = 1
               AND NEW.seq = OLD.seq AND NEW.leaf = OLD.leaf
               AND NEW.decision_id = OLD.decision_id AND NEW.site = OLD.site
               AND NEW.occurred_at = OLD.occurred_at AND NEW.consent_id = '' THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'decisions are immutable; only redaction is allowed';
        END $$;
        CREATE TRIGGER decisions_only_redaction BEFORE UPDATE OR DELETE ON decisions
            FOR EACH ROW EXECUTE FUNCTION bandeau_only_redaction();
        CREATE FUNCTION bandeau_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
        END $$;
        CREATE TRIGGER nodes_immutable BEFORE UPDATE OR DELETE ON nodes
            FOR EACH ROW EXECUTE FUNCTION bandeau_immutable();
        CREATE TRIGGER checkpoints_immutable BEFORE UPDATE OR DELETE ON checkpoints
            FOR EACH ROW EXECUTE FUNCTION bandeau_immutable();
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
        notices_schema("BIGINT")
        + """
        CREATE TRIGGER notices_immutable BEFORE UPDATE OR DELETE ON notices
            FOR EACH ROW EXECUTE FUNCTION bandeau_immutable();
        CREATE OR REPLACE FUNCTION bandeau_only_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.redacted = 0 AND NEW.redacted = 1
               AND NEW.seq = OLD.seq AND NEW.leaf = OLD.leaf
               AND NEW.decision_id = OLD.decision_id AND NEW.site = OLD.site
               AND NEW.occurred_at = OLD.occurred_at AND NEW.notice = OLD.notice
               AND NEW.consent_id = '' THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'decisions are immutable; only redaction is allowed';
        END $$;
        """,
    ),
)


def split_schema(url: str) -> tuple[str, str | None]:
    """`postgresql://…?schema=name` → (URL without it, name): keeps a deployment's tables
    apart from others in one database (and each test run's)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    if schema is not None and not schema.replace("_", "").isalnum():
        raise SettingsError(f"schema {schema!r} must be letters, digits and underscores")
    return urlunsplit(parts._replace(query=rest)), schema


class PostgresStore(LogWriter):
    """The decision log in PostgreSQL. A connection that breaks (a restarted server, a killed
    backend) fails the one call using it; the pool replaces it for the next."""

    placeholder = "%s"
    backend = "PostgreSQL"
    driver_error = psycopg.Error

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        self.url = url
        dsn, self.schema = split_schema(url)

        def configure(conn: psycopg.Connection[Any]) -> None:
            if self.schema:
                conn.execute(f'SET search_path TO "{self.schema}"')
                conn.commit()

        self._pool = ConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            configure=configure,
            open=False,
            timeout=POOL_WAIT,
        )
        try:
            with self._driver_errors(f"connect to PostgreSQL at {_safe(dsn)}"):
                self._pool.open(wait=True, timeout=10)
            self.migrate()
        except StorageError:
            self.close()
            raise

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Cursor]:
        with (
            self._driver_errors(doing),
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            yield cur

    @contextmanager
    def _read(self, doing: str) -> Iterator[Cursor]:
        with self._driver_errors(doing), self._pool.connection() as conn, conn.cursor() as cur:
            yield cur

    def _lock(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK,))

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[LogRow]:
        """Stream the log with a server-side cursor (constant memory at any size)."""
        with (
            self._driver_errors("read the log"),
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="bandeau_rows") as cur,
        ):
            cur.itersize = 10000
            cur.execute(
                "SELECT seq, convert_to(content, 'UTF8'), leaf, redacted FROM decisions "
                "WHERE seq > %s AND seq <= %s ORDER BY seq",
                (start, 2**62 if stop is None else stop),
            )
            for seq, content, leaf, redacted in cur:
                yield seq - 1, content, leaf, bool(redacted)

    def migrate(self) -> list[str]:
        applied: list[str] = []
        with (
            self._driver_errors("migrate the database"),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            if self.schema:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                conn.execute(f'SET LOCAL search_path TO "{self.schema}"')
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK + 1,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT name FROM migrations").fetchall()}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                conn.execute(sql)
                conn.execute("INSERT INTO migrations (name) VALUES (%s)", (name,))
                applied.append(name)
        return applied

    def drop(self) -> None:
        """Remove this store's schema (tests, and `bandeau` never calls it on its own)."""
        if not self.schema:
            raise StorageError("drop() is only for a store in its own schema")
        with self._driver_errors("drop the schema"), self._pool.connection() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        self._pool.close()


def _safe(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)
