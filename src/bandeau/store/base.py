"""The log-writing algorithm and the queries, written once for every SQL adapter.

Adapters give a cursor for a write transaction (`_transaction`) and one for reading (`_read`),
their parameter style, their driver's error class and how to take the log's write lock;
everything else — index assignment, the hash chain, the subtree hashes, checkpoints,
redaction — is here. The hashes themselves are `bandeau.merkle`'s.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Protocol

from ..errors import StorageError
from ..merkle import ZERO_LEAF, chained_leaf, node_hash
from . import Checkpoint, LogRow, MissingHash, Notice, NoticeUse, Record

logger = logging.getLogger(__name__)

_BIG = 2**62
FETCH = 5000


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...


class LogWriter(ABC):
    """A Store over SQL. Subclasses provide `_transaction`, `_read`, `_lock` and
    `driver_error`, and use `_driver_errors` around every use of a connection."""

    placeholder = "?"
    backend: ClassVar[str]
    """The database's name in messages: SQLite, PostgreSQL."""
    driver_error: ClassVar[type[Exception]]
    """The base class of the driver's errors: the only exceptions translated to StorageError."""

    @abstractmethod
    def _transaction(self, doing: str) -> AbstractContextManager[Cursor]:
        """A cursor inside a write transaction, committed (durably) on exit. `doing` says what
        for, in error messages ("store the decisions")."""

    @abstractmethod
    def _read(self, doing: str) -> AbstractContextManager[Cursor]:
        """A cursor for reading, that does not wait for the writer."""

    @abstractmethod
    def _lock(self, cur: Cursor) -> None:
        """Take the log's write lock for the rest of the transaction."""

    @contextmanager
    def _driver_errors(self, doing: str) -> Iterator[None]:
        """The one place where the driver's errors become `StorageError`, logged once."""
        try:
            yield
        except self.driver_error as e:
            message = f"cannot {doing}: {_first_line(e)}"
            logger.error("%s store: %s", self.backend, message)
            raise StorageError(message) from e

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _q(self, cur: Cursor, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cur.execute(self._sql(sql), params)
        return cur

    # ------------------------------------------------------------------ append

    _frontier: Frontier | None = None
    """The log's complete subtrees after this store's last committed append (`Frontier`)."""

    def append_batch(self, records: Sequence[Record]) -> list[tuple[Record, bool]]:
        with self._transaction("store the decisions") as cur:
            self._lock(cur)
            out, frontier = self._append_locked(cur, records)
        self._frontier = frontier  # committed
        return out

    def _append_locked(
        self, cur: Cursor, records: Sequence[Record]
    ) -> tuple[list[tuple[Record, bool]], Frontier | None]:
        last = self._q(cur, "SELECT seq, leaf FROM decisions ORDER BY seq DESC LIMIT 1").fetchone()
        size, prev = (int(last[0]), bytes(last[1])) if last else (0, ZERO_LEAF)
        known = self._frontier
        # the left siblings the new leaves need, without a query, when the log is as this store
        # left it: same size and same last leaf (which chains onto every record before it)
        nodes = dict(known.nodes) if known and (known.size, known.leaf) == (size, prev) else {}
        seen = self._existing(cur, records)
        plan = plan_append(size, prev, nodes, records, seen, partial(self._node, cur))
        if plan.rows:
            cur.executemany(
                self._sql(
                    "INSERT INTO decisions (seq, decision_id, site, consent_id, occurred_at, "
                    "content, leaf, retry_hash, notice, redacted) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
                ),
                plan.rows,
            )
        if plan.node_rows:
            cur.executemany(
                self._sql("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)"), plan.node_rows
            )
        return plan.out, plan.frontier

    def _existing(self, cur: Cursor, records: Sequence[Record]) -> dict[str, Record]:
        """The stored records among these decision ids (one query). An erased one answers with
        the retry's own content, since its stored content is gone."""
        wanted = {r.decision_id: r for r in records}
        marks = ", ".join("?" * len(wanted))
        self._q(
            cur,
            f"SELECT decision_id, seq, content, redacted, retry_hash FROM decisions "  # noqa: S608
            f"WHERE decision_id IN ({marks})",
            tuple(wanted),
        )
        return stored_among(records, cur.fetchall())

    # ------------------------------------------------------------------ reads

    def get(self, decision_id: str) -> Record | None:
        with self._read("read a decision") as cur:
            row = self._q(
                cur,
                "SELECT seq, content, redacted FROM decisions WHERE decision_id = ?",
                (decision_id,),
            ).fetchone()
        if row is None or row[2]:
            return None
        return Record.from_json(row[1], int(row[0]))

    def history(self, site: str, consent_id: str) -> list[Record]:
        with self._read("read a consent history") as cur:
            found = self._q(
                cur,
                "SELECT seq, content FROM decisions WHERE site = ? AND consent_id = ? "
                "AND redacted = 0 ORDER BY seq",
                (site, consent_id),
            ).fetchall()
        return [Record.from_json(content, int(seq)) for seq, content in found]

    def count(self) -> int:
        with self._read("count the log") as cur:
            return int(self._q(cur, "SELECT coalesce(max(seq), 0) FROM decisions").fetchone()[0])

    def node(self, level: int, index: int) -> bytes:
        with self._read("read the tree") as cur:
            return self._node(cur, level, index)

    def _node(self, cur: Cursor, level: int, index: int) -> bytes:
        if level == 0:
            row = self._q(cur, "SELECT leaf FROM decisions WHERE seq = ?", (index + 1,)).fetchone()
        else:
            row = self._q(
                cur, "SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
        if row is None:
            raise MissingHash(f"the log has no subtree at level {level}, index {index}")
        return bytes(row[0])

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[LogRow]:
        with self._read("read the log") as cur:
            self._q(cur, self.ROWS_SQL, (start, _BIG if stop is None else stop))
            while batch := cur.fetchmany(FETCH):
                for seq, content, leaf, redacted in batch:
                    yield seq - 1, content, leaf, redacted

    ROWS_SQL = (
        "SELECT seq, CAST(content AS BLOB), leaf, redacted FROM decisions "
        "WHERE seq > ? AND seq <= ? ORDER BY seq"
    )

    # ------------------------------------------------------------------ checkpoints

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        with self._transaction("store a checkpoint") as cur:
            self._q(
                cur,
                "INSERT INTO checkpoints (size, root, time, key_id, signature) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
                (
                    checkpoint.size,
                    checkpoint.root,
                    checkpoint.time,
                    checkpoint.key_id,
                    checkpoint.signature,
                ),
            )

    def checkpoints(self) -> list[Checkpoint]:
        with self._read("read the checkpoints") as cur:
            found = self._q(
                cur, "SELECT size, root, time, key_id, signature FROM checkpoints ORDER BY size"
            ).fetchall()
        return [_checkpoint(row) for row in found]

    def latest_checkpoint(self) -> Checkpoint | None:
        newest = self.checkpoints_before(None, 1)
        return newest[0] if newest else None

    def checkpoint_at(self, size: int) -> Checkpoint | None:
        with self._read("read a checkpoint") as cur:
            row = self._q(
                cur,
                "SELECT size, root, time, key_id, signature FROM checkpoints WHERE size = ?",
                (size,),
            ).fetchone()
        return _checkpoint(row) if row else None

    def checkpoints_before(self, before: int | None, limit: int) -> list[Checkpoint]:
        with self._read("read the checkpoints") as cur:
            found = self._q(
                cur,
                "SELECT size, root, time, key_id, signature FROM checkpoints WHERE size < ? "
                "ORDER BY size DESC LIMIT ?",
                (_BIG if before is None else before, limit),
            ).fetchall()
        return [_checkpoint(row) for row in found]

    # ------------------------------------------------------------------ notices

    def archive_notice(self, notice: Notice) -> bool:
        with self._transaction("archive a notice") as cur:
            self._q(
                cur,
                "INSERT INTO notices (id, site, language, content, archived_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (notice.id, notice.site, notice.language, notice.content, notice.archived_at),
            )
            return int(cur.rowcount) == 1

    def notice(self, site: str, notice_id: str) -> Notice | None:
        with self._read("read a notice") as cur:
            row = self._q(
                cur,
                "SELECT id, site, language, content, archived_at FROM notices "
                "WHERE site = ? AND id = ?",
                (site, notice_id),
            ).fetchone()
        return Notice(row[0], row[1], row[2], row[3], int(row[4])) if row else None

    def notices(self, site: str) -> list[NoticeUse]:
        with self._read("list the notices") as cur:
            found = self._q(
                cur,
                "SELECT n.id, n.language, n.archived_at, count(d.seq), min(d.occurred_at), "
                "max(d.occurred_at) FROM notices n LEFT JOIN decisions d "
                "ON d.notice = n.id AND d.site = n.site WHERE n.site = ? "
                "GROUP BY n.id, n.language, n.archived_at ORDER BY n.archived_at, n.id",
                (site,),
            ).fetchall()
        return [
            NoticeUse(str(id_), str(lang), int(at), int(n), _ms(first), _ms(last))
            for id_, lang, at, n, first, last in found
        ]

    # ------------------------------------------------------------------ privacy

    def redact(self, site: str, consent_id: str, note: str) -> int:
        return self._redact("site = ? AND consent_id = ?", (site, consent_id), note)

    def redact_before(self, occurred_before: int, note: str) -> int:
        return self._redact("occurred_at < ?", (occurred_before,), note)

    def _redact(self, where: str, params: Sequence[Any], note: str) -> int:
        with self._transaction("redact decisions") as cur:
            self._q(
                cur,
                f"UPDATE decisions SET content = ?, consent_id = '', redacted = 1 "  # noqa: S608
                f"WHERE redacted = 0 AND {where}",
                (note, *params),
            )
            return int(cur.rowcount)


def notices_schema(integer: str) -> str:
    """The tables of migration 0003_notices that both back-ends share (`integer`: the type of a
    unix-milliseconds column); each adds its own immutability triggers."""
    return f"""
        CREATE TABLE notices (
            id TEXT PRIMARY KEY,
            site TEXT NOT NULL,
            language TEXT NOT NULL,
            content TEXT NOT NULL,
            archived_at {integer} NOT NULL
        );
        CREATE INDEX notices_by_site ON notices (site, archived_at);
        ALTER TABLE decisions ADD COLUMN notice TEXT NOT NULL DEFAULT '';
        CREATE INDEX decisions_by_notice ON decisions (notice, occurred_at);
        """


def _ms(value: Any) -> int | None:
    return None if value is None else int(value)


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    return Checkpoint(int(row[0]), bytes(row[1]), int(row[2]), str(row[3]), bytes(row[4]))


def _first_line(error: Exception) -> str:
    """A driver message without PostgreSQL's DETAIL/HINT lines (they stay in the cause)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass(frozen=True)
class Frontier:
    """The complete subtrees of a log of `size` records whose last leaf is `leaf`: the left
    siblings every later leaf's subtrees need. The last leaf chains onto every record before
    it, so (size, leaf) read under the write lock tells whether the log is still the one these
    hashes describe (another process may have appended since)."""

    size: int
    leaf: bytes
    nodes: dict[tuple[int, int], bytes]


def frontier_of(size: int, leaf: bytes, known: dict[tuple[int, int], bytes]) -> Frontier | None:
    """The frontier of a log of `size` records from the hashes in `known`, if it has them."""
    nodes: dict[tuple[int, int], bytes] = {}
    for key in frontier_keys(size):
        found = known.get(key)
        if found is None:
            return None
        nodes[key] = found
    return Frontier(size, leaf, nodes)


def with_seq(record: Record, seq: int) -> Record:
    """A copy of `record` at its place in the log (as `dataclasses.replace` would make, without
    running `__init__` again: this is the writer's inner loop, under the commit's lock)."""
    stored = object.__new__(Record)
    stored.__dict__.update(record.__dict__, seq=seq)
    return stored


NodeLookup = Callable[[int, int], bytes]
"""(level, index) -> a stored subtree hash, for a left sibling the frontier does not hold."""


@dataclass
class AppendPlan:
    """What appending a batch writes, computed before writing: the new decision rows (seq,
    decision_id, site, consent_id, occurred_at, content, leaf, retry_hash, notice), the new
    subtree rows (level, idx, hash), each record's answer (stored record, is new) and the
    frontier after the append."""

    rows: list[tuple[Any, ...]]
    node_rows: list[tuple[int, int, bytes]]
    out: list[tuple[Record, bool]]
    frontier: Frontier | None


def plan_append(
    size: int,
    prev: bytes,
    nodes: dict[tuple[int, int], bytes],
    records: Sequence[Record],
    seen: dict[str, Record],
    lookup: NodeLookup | None = None,
) -> AppendPlan:
    """Chain and place `records` after a log of `size` records whose last leaf is `prev`.
    `nodes`: the subtree hashes known (updated in place); `seen`: the stored records among
    these decision ids (a repeated id answers with the stored one); `lookup` reads a left
    sibling that `nodes` lacks (none is needed when `nodes` holds the log's frontier)."""
    rows: list[tuple[Any, ...]] = []
    node_rows: list[tuple[int, int, bytes]] = []
    out: list[tuple[Record, bool]] = []
    for record in records:
        existing = seen.get(record.decision_id)
        if existing is not None:
            out.append((existing, False))
            continue
        text = record.canonical()
        leaf = chained_leaf(prev, text.encode())
        rows.append(
            (
                size + 1,
                record.decision_id,
                record.site,
                record.consent_id,
                record.occurred_at,
                text,
                leaf,
                record.retry_hash,
                record.notice,
            )
        )
        nodes[(0, size)] = leaf
        # the complete subtrees leaf `size` closes (amortised one), left siblings from `nodes`
        level, i, h = 0, size, leaf
        while i & 1:
            left = nodes.get((level, i - 1))
            if left is None:
                if lookup is None:
                    raise MissingHash(f"the frontier lacks the subtree ({level}, {i - 1})")
                left = nodes[(level, i - 1)] = lookup(level, i - 1)
            h = node_hash(left, h)
            level, i = level + 1, i >> 1
            nodes[(level, i)] = h
            node_rows.append((level, i, h))
        stored = with_seq(record, size + 1)
        seen[record.decision_id] = stored
        out.append((stored, True))
        size, prev = size + 1, leaf
    return AppendPlan(rows, node_rows, out, frontier_of(size, prev, nodes))


def stored_among(records: Sequence[Record], found: Sequence[Sequence[Any]]) -> dict[str, Record]:
    """decision id -> stored record, from the rows (decision_id, seq, content, redacted,
    retry_hash) found among `records`' ids. An erased one answers with the retry's own content,
    since its stored content is gone."""
    wanted = {r.decision_id: r for r in records}
    stored: dict[str, Record] = {}
    for decision_id, seq, content, redacted, retry_hash in found:
        text = wanted[decision_id].canonical() if redacted else content
        stored[decision_id] = Record.from_json(text, int(seq), retry_hash)
    return stored


def frontier_keys(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the complete subtrees of a log of `size` records: one for each
    bit set in `size`, largest first (the frontier `frontier_of` collects)."""
    keys: list[tuple[int, int]] = []
    start = 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys
