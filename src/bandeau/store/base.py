"""The log-writing algorithm and the queries, written once for every SQL adapter.

Adapters give a connection per transaction (`_transaction`), their parameter style and how to
take the log's write lock; everything else — index assignment, the hash chain, the subtree
hashes, checkpoints, redaction — is here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Protocol

from ..errors import StorageError
from ..merkle import node_hash
from . import Checkpoint, Record, Row

ZERO = bytes(32)
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


def leaf_for(prev: bytes, content: bytes) -> bytes:
    """Leaf hash of a record: SHA-256(0x00 || previous leaf hash || canonical content)."""
    from ..merkle import leaf_hash

    return leaf_hash(prev + content)


class LogWriter(ABC):
    """A Store over SQL. Subclasses provide `_transaction`, `_read` and `_lock`."""

    placeholder = "?"

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Cursor]:
        """A cursor inside a write transaction, committed (durably) on exit."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Cursor]:
        """A cursor for reading."""

    @abstractmethod
    def _lock(self, cur: Cursor) -> None:
        """Take the log's write lock for the rest of the transaction."""

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _q(self, cur: Cursor, sql: str, params: Sequence[Any] = ()) -> Any:
        return cur.execute(self._sql(sql), params)

    def _query(self, cur: Cursor) -> Query:
        def q(sql: str, params: Sequence[Any]) -> Cursor:
            cur.execute(self._sql(sql), params)
            return cur

        return q

    # ------------------------------------------------------------------ append

    def append(self, record: Record) -> tuple[Record, bool]:
        return self.append_batch([record])[0]

    def append_batch(self, records: Sequence[Record]) -> list[tuple[Record, bool]]:
        try:
            with self._transaction() as cur:
                self._lock(cur)
                return self._append_locked(cur, records)
        except StorageError:
            raise
        except Exception as e:
            raise StorageError(f"cannot store the decision: {e}") from e

    def _append_locked(self, cur: Cursor, records: Sequence[Record]) -> list[tuple[Record, bool]]:
        self._q(cur, "SELECT seq, leaf FROM decisions ORDER BY seq DESC LIMIT 1")
        last = cur.fetchone()
        size, prev = (int(last[0]), bytes(last[1])) if last else (0, ZERO)
        seen = self._existing(cur, records)
        nodes: dict[tuple[int, int], bytes] = {}
        rows: list[tuple[Any, ...]] = []
        node_rows: list[tuple[int, int, bytes]] = []
        out: list[tuple[Record, bool]] = []
        query = self._query(cur)
        for record in records:
            existing = seen.get(record.decision_id)
            if existing is not None:
                out.append((existing, False))
                continue
            text = record.canonical()
            leaf = leaf_for(prev, text.encode())
            rows.append(
                (
                    size + 1,
                    record.decision_id,
                    record.site,
                    record.consent_id,
                    record.occurred_at,
                    text,
                    leaf,
                )
            )
            nodes[(0, size)] = leaf
            complete_subtrees(query, size, leaf, nodes, node_rows)
            stored = replace(record, seq=size + 1)
            seen[record.decision_id] = stored
            out.append((stored, True))
            size, prev = size + 1, leaf
        if rows:
            cur.executemany(
                self._sql(
                    "INSERT INTO decisions (seq, decision_id, site, consent_id, occurred_at, "
                    "content, leaf, redacted) VALUES (?, ?, ?, ?, ?, ?, ?, 0)"
                ),
                rows,
            )
        if node_rows:
            cur.executemany(
                self._sql("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)"), node_rows
            )
        return out

    def _existing(self, cur: Cursor, records: Sequence[Record]) -> dict[str, Record]:
        """The stored records among these decision ids (one query). An erased one answers with
        the retry's own content, since its stored content is gone."""
        wanted = {r.decision_id: r for r in records}
        marks = ", ".join("?" * len(wanted))
        self._q(
            cur,
            f"SELECT decision_id, seq, content, redacted FROM decisions "  # noqa: S608
            f"WHERE decision_id IN ({marks})",
            tuple(wanted),
        )
        found: dict[str, Record] = {}
        for decision_id, seq, content, redacted in cur.fetchall():
            text = wanted[decision_id].canonical() if redacted else content
            found[decision_id] = Record.from_json(text, int(seq))
        return found

    # ------------------------------------------------------------------ reads

    def _get(self, cur: Cursor, decision_id: str) -> Record | None:
        self._q(
            cur,
            "SELECT seq, content, redacted FROM decisions WHERE decision_id = ?",
            (decision_id,),
        )
        row = cur.fetchone()
        if row is None or row[2]:
            return None
        return Record.from_json(row[1], int(row[0]))

    def _node(self, cur: Cursor, level: int, index: int) -> bytes:
        return read_node(self._query(cur), level, index)

    def get(self, decision_id: str) -> Record | None:
        with self._read() as cur:
            return self._get(cur, decision_id)

    def history(self, site: str, consent_id: str) -> list[Record]:
        with self._read() as cur:
            self._q(
                cur,
                "SELECT seq, content FROM decisions WHERE site = ? AND consent_id = ? "
                "AND redacted = 0 ORDER BY seq",
                (site, consent_id),
            )
            return [Record.from_json(content, int(seq)) for seq, content in cur.fetchall()]

    def latest(self, site: str, consent_id: str) -> Record | None:
        found = self.history(site, consent_id)
        return found[-1] if found else None

    def count(self) -> int:
        with self._read() as cur:
            self._q(cur, "SELECT coalesce(max(seq), 0) FROM decisions")
            return int(cur.fetchone()[0])

    def leaf(self, index: int) -> bytes:
        return self.node(0, index)

    def node(self, level: int, index: int) -> bytes:
        with self._read() as cur:
            return self._node(cur, level, index)

    def rows(self, start: int = 0) -> Iterator[Row]:
        for index, content, leaf, redacted in self.raw_rows(start):
            yield Row(index, content, leaf, redacted)

    def raw_rows(
        self, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes, bool]]:
        """(index, content bytes, leaf, redacted) tuples for indexes in [start, stop): the
        verifier's fast path."""
        with self._read() as cur:
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
        with self._transaction() as cur:
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
        with self._read() as cur:
            self._q(
                cur, "SELECT size, root, time, key_id, signature FROM checkpoints ORDER BY size"
            )
            return [_checkpoint(row) for row in cur.fetchall()]

    def latest_checkpoint(self) -> Checkpoint | None:
        with self._read() as cur:
            self._q(
                cur,
                "SELECT size, root, time, key_id, signature FROM checkpoints "
                "ORDER BY size DESC LIMIT 1",
            )
            row = cur.fetchone()
            return _checkpoint(row) if row else None

    # ------------------------------------------------------------------ privacy

    def redact(self, site: str, consent_id: str, note: str) -> int:
        return self._redact("site = ? AND consent_id = ?", (site, consent_id), note)

    def redact_before(self, occurred_before: int, note: str) -> int:
        return self._redact("occurred_at < ?", (occurred_before,), note)

    def _redact(self, where: str, params: Sequence[Any], note: str) -> int:
        with self._transaction() as cur:
            self._q(
                cur,
                f"UPDATE decisions SET content = ?, consent_id = '', redacted = 1 "  # noqa: S608
                f"WHERE redacted = 0 AND {where}",
                (note, *params),
            )
            return int(cur.rowcount)


Query = Callable[[str, Sequence[Any]], Cursor]


def read_node(q: Query, level: int, index: int) -> bytes:
    """Hash of a complete subtree (level 0: a leaf)."""
    if level == 0:
        row = q("SELECT leaf FROM decisions WHERE seq = ?", (index + 1,)).fetchone()
    else:
        row = q("SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)).fetchone()
    if row is None:
        raise StorageError(f"the log has no subtree at level {level}, index {index}")
    return bytes(row[0])


def complete_subtrees(
    q: Query,
    index: int,
    leaf: bytes,
    cache: dict[tuple[int, int], bytes],
    rows: list[tuple[int, int, bytes]] | None = None,
) -> None:
    """The hash of every complete subtree that leaf `index` closes (amortised one): stored at
    once, or added to `rows` for the caller to insert in one go."""
    level, i, h = 0, index, leaf
    while i & 1:
        left = cache.get((level, i - 1)) or read_node(q, level, i - 1)
        h = node_hash(left, h)
        level, i = level + 1, i >> 1
        cache[(level, i)] = h
        if rows is None:
            q("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", (level, i, h))
        else:
            rows.append((level, i, h))


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    return Checkpoint(int(row[0]), bytes(row[1]), int(row[2]), str(row[3]), bytes(row[4]))
