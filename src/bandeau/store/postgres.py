"""PostgreSQL adapter (psycopg 3 with a connection pool). Several server processes may write
at once: appends take a transaction-scoped advisory lock, so the log gets one order, no gaps,
and one chain (docs/ledger.md, "Sequencing").

Appends are the hot path (docs/operations.md, "Decisions per second"): a batch is written by
one statement (`APPEND`: its decision rows and subtree rows from arrays), in pipeline mode, so
the round trips do not grow with the batch. A store that wrote the log's last batch itself
knows its head and frontier, and sends the lock, the statement and the commit in one round
trip; the statement checks, under the lock, that the head is still the one it chained onto,
and writes nothing otherwise. A store that does not know the head (another writer appended
since, or a decision of the batch is already stored: a retry) reads it first: two round trips,
three when it must read the frontier too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import SettingsError, StorageError
from ..merkle import ZERO_LEAF
from . import LogRow, Record
from .base import (
    AppendPlan,
    Cursor,
    Frontier,
    LogWriter,
    frontier_keys,
    notices_schema,
    plan_append,
    stored_among,
)

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

PIPELINE: Final = psycopg.Pipeline.is_supported()
"""Whether psycopg's libpq has pipeline mode (libpq 14 or later; the binary wheels bring one)."""
LOCK: Final = "SELECT pg_advisory_xact_lock(%s)"
HEAD: Final = "SELECT seq, leaf FROM decisions ORDER BY seq DESC LIMIT 1"
EXISTING: Final = (
    "SELECT decision_id, seq, content, redacted, retry_hash FROM decisions "
    "WHERE decision_id = ANY(%s::text[])"
)
FRONTIER: Final = (
    "SELECT level, idx, hash FROM nodes "
    "JOIN unnest(%s::integer[], %s::bigint[]) AS f (level, idx) USING (level, idx)"
)
APPEND: Final = """
    WITH head AS (
        SELECT true AS ok WHERE (SELECT coalesce(max(seq), 0) FROM decisions) = %(size)s::bigint
        AND (%(size)s::bigint = 0
             OR (SELECT leaf FROM decisions WHERE seq = %(size)s::bigint) = %(leaf)s::bytea)
        AND NOT EXISTS (SELECT FROM decisions WHERE decision_id = ANY(%(decision_id)b::text[]))
    ), new_nodes AS (
        INSERT INTO nodes (level, idx, hash)
        SELECT n.* FROM unnest(%(level)b::integer[], %(idx)b::bigint[], %(hash)b::bytea[]) AS n
        WHERE EXISTS (SELECT FROM head)
    ), new_decisions AS (
        INSERT INTO decisions (seq, decision_id, site, consent_id, occurred_at, content, leaf,
                               retry_hash, notice, redacted)
        SELECT d.*, 0 FROM unnest(%(seq)b::bigint[], %(decision_id)b::text[], %(site)b::text[],
            %(consent_id)b::text[], %(occurred_at)b::bigint[], %(content)b::text[],
            %(leaf_)b::bytea[], %(retry_hash)b::text[], %(notice)b::text[]) AS d
        WHERE EXISTS (SELECT FROM head)
        RETURNING 1
    )
    SELECT count(*) FROM new_decisions
"""
"""A batch in one statement, written only if the log still ends at record `size` with leaf
`leaf` and none of its decision ids is stored (a retry: checked here rather than left to the
unique index, whose error would abort the transaction and log an error in the database's log;
its data-modifying parts see one snapshot, taken after the lock): the count of decision rows
written, all of the batch's or none. The arrays go in binary (`%b`): as text, each
element would be quoted and escaped, a regular expression substitution per quote of a
record's JSON.

It is never prepared (`prepare=False`): psycopg prepares a statement run five times, and
PostgreSQL then may keep a generic plan made while the log was small, which looks the batch's
ids up with a sequential scan of `decisions` (seen: 743 scans reading 4.4 million rows for
11,839 decisions, and decisions/s falling as the log grew). Planned each time, the lookups
use the unique index."""
DECISION_COLUMNS: Final = (
    "seq",
    "decision_id",
    "site",
    "consent_id",
    "occurred_at",
    "content",
    "leaf_",
    "retry_hash",
    "notice",
)

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
        cur.execute(LOCK, (LOG_LOCK,))

    _guess = True
    """Whether the next append assumes the log ends where this store's last append left it
    (one round trip): false once another writer was seen appending in between."""

    def append_batch(self, records: Sequence[Record]) -> list[tuple[Record, bool]]:
        if not PIPELINE:  # a libpq older than 14: a round trip per statement, as SQLite does
            return super().append_batch(records)
        if not records:
            return []
        with self._driver_errors("store the decisions"), self._pool.connection() as conn:
            known = self._frontier
            plan = None
            if known is not None and self._guess:
                plan = self._append_after(conn, known, records)
            if plan is None:
                plan = self._append_reading(conn, records)
        self._frontier = plan.frontier  # committed
        return plan.out

    def _append_after(
        self, conn: psycopg.Connection[Any], known: Frontier, records: Sequence[Record]
    ) -> AppendPlan | None:
        """Append after the head this store left, in one round trip; None, with nothing
        written, when the log has moved since or a decision of the batch is already stored."""
        plan = plan_append(known.size, known.leaf, dict(known.nodes), records, {})
        with conn.cursor() as lock, conn.cursor() as cur:
            try:
                with _pipelined_transaction(conn, lock):  # one Sync, at the end: one round trip
                    lock.execute(LOCK, (LOG_LOCK,))
                    cur.execute(APPEND, _append_params(known.size, known.leaf, plan), prepare=False)
            except psycopg.errors.UniqueViolation:
                return None  # rolled back: the reading append will say what is wrong
            written = _count(cur)
        if written == len(plan.rows):
            return plan
        if written:  # cannot happen: the statement writes every row or none
            raise StorageError(f"{written} of {len(plan.rows)} decisions written")
        # another writer appended since (read the head while that lasts), or a retry (the next
        # append reads the head once more and finds it where this one left it)
        self._guess = False
        return None

    def _append_reading(
        self, conn: psycopg.Connection[Any], records: Sequence[Record]
    ) -> AppendPlan:
        """Append after reading, under the lock, the head, the stored records among the
        batch's ids, and the frontier when this store does not know it."""
        ids = [r.decision_id for r in records]
        with conn.cursor() as lock, conn.cursor() as head, conn.cursor() as cur:
            with _pipelined_transaction(conn, lock):
                lock.execute(LOCK, (LOG_LOCK,))
                head.execute(HEAD)
                cur.execute(EXISTING, (ids,))
                last = head.fetchone()  # the round trip
                seen = stored_among(records, cur.fetchall())
                size, prev = (int(last[0]), bytes(last[1])) if last else (0, ZERO_LEAF)
                known = self._frontier
                same = known is not None and (known.size, known.leaf) == (size, prev)
                self._guess = known is None or same
                if known is not None and same:
                    nodes = dict(known.nodes)
                else:
                    nodes = _frontier(head, size)
                    if size & 1:  # the last leaf is a complete subtree of its own
                        nodes[(0, size - 1)] = prev
                plan = plan_append(size, prev, nodes, records, seen, partial(self._node, head))
                if plan.rows:
                    cur.execute(APPEND, _append_params(size, prev, plan), prepare=False)
            if plan.rows and _count(cur) != len(plan.rows):  # cannot happen: under the lock
                raise StorageError("the log moved under its lock: nothing was written")
        return plan

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


def _frontier(cur: Cursor, size: int) -> dict[tuple[int, int], bytes]:
    """The stored subtree hashes of the frontier of a log of `size` records (one query; the
    last leaf, when it is one of them, is the head's)."""
    keys = [key for key in frontier_keys(size) if key[0] > 0]
    if not keys:
        return {}
    cur.execute(FRONTIER, ([level for level, _ in keys], [idx for _, idx in keys]))
    return {(int(level), int(idx)): bytes(h) for level, idx, h in cur.fetchall()}


def _append_params(size: int, leaf: bytes, plan: AppendPlan) -> dict[str, Any]:
    """`APPEND`'s parameters: the head it expects and the plan's rows, a column an array."""
    params: dict[str, Any] = {"size": size, "leaf": leaf}
    columns = list(zip(*plan.rows, strict=True)) if plan.rows else [()] * len(DECISION_COLUMNS)
    for name, column in zip(DECISION_COLUMNS, columns, strict=True):
        params[name] = list(column)
    node_columns = list(zip(*plan.node_rows, strict=True)) if plan.node_rows else [(), (), ()]
    for name, column in zip(("level", "idx", "hash"), node_columns, strict=True):
        params[name] = list(column)
    return params


@contextmanager
def _pipelined_transaction(conn: psycopg.Connection[Any], cur: Cursor) -> Iterator[None]:
    """The block's statements in one transaction, in pipeline mode, with its own BEGIN and
    COMMIT queued by `cur`: the server is waited for only where the block reads a result, and
    once at the end. psycopg's transaction block waits after its BEGIN, after the statements
    and after its COMMIT (`strace`: four round trips for one append); with autocommit on,
    nothing is sent that the block did not queue. A block that fails inside its transaction
    rolls it back here (the server skipped its COMMIT, or it was never queued), and the
    connection goes back to the pool as it came."""
    conn.autocommit = True
    try:
        with conn.pipeline():
            cur.execute("BEGIN")
            yield
            cur.execute("COMMIT")
    finally:
        status = psycopg.pq.TransactionStatus
        if conn.info.transaction_status in (status.INERROR, status.INTRANS):
            conn.execute("ROLLBACK")
        if conn.info.transaction_status == status.IDLE:
            conn.autocommit = False


def _count(cur: Cursor) -> int:
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _safe(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)
