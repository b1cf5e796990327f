"""Where decisions live: the rows of the append-only, hash-chained log. A protocol with one
adapter per file; `open_store` picks the adapter by URL.

Every adapter keeps the same data: the records in log order (index = seq - 1, without gaps),
each with its leaf hash (`bandeau.merkle.chained_leaf`); the hashes of the complete subtrees of
the Merkle tree above the leaves (`nodes`), so proofs need O(log² n) lookups; and the signed
checkpoints. The algorithm that appends is written once, in `base.LogWriter`. What the rows
mean (checkpoints, receipts, erasure, retention, verification) is `bandeau.ledger`'s business:
only the ledger writes, and the server's read routes read (`get`, `history`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final, Protocol

from ..errors import SettingsError, StorageError

__all__ = ["Checkpoint", "MissingHash", "Notice", "NoticeUse", "Record", "Store", "open_store"]


@dataclass(frozen=True)
class Record:
    """One decision event, as proof (PROOF-01). Immutable once stored; never a raw IP address."""

    decision_id: str
    consent_id: str
    site: str
    occurred_at: int  # server time, unix milliseconds
    event: str  # accept_all | refuse_all | save_custom | withdraw | grant_one
    layer: str  # first | settings | placeholder
    control: str
    language: str
    page: str  # path only, no query string
    policy_version: str
    build: str  # banner build hash
    shown: dict[str, str]  # purpose -> version digest shown
    choices: dict[str, bool]  # purpose -> granted
    services: dict[str, bool] = field(default_factory=dict)  # "purpose/service" -> granted
    signals: dict[str, bool] = field(default_factory=dict)
    ua_class: str = ""
    client_time: int | None = None
    # the TCF part (docs/tcf.md): the reader's TCF choices, what writes the TC string again,
    # and the string; left out of the content when empty, so records without TCF read as before
    tcf: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None  # position in the log + 1, assigned on append
    # SHA-256 (hex) of the secret the deciding browser sent, so only it can retry the decision
    # (docs/api.md); kept beside the record, never part of its content, receipts or exports.
    retry_hash: str = field(default="", compare=False, repr=False)
    # the archived notice the decision answered (`bandeau.notices`, PROOF-02): its id
    notice: str = ""
    # what the banner claimed where it differs from the server's word (docs/ledger.md): the
    # `build` it said it ran, or `notice` "" when it named no notice
    claims: dict[str, str] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """The record's fields as a dict (without `seq`, which is its place, not its content,
        nor `retry_hash`, which is kept beside it). The fields added after the first release
        (`LATER_FIELDS`) appear only when set, so a record stored before them hashes as it did."""
        values = self.__dict__  # a frozen dataclass without slots: its fields, read at once
        return {
            name: values[name]
            for name in _CONTENT_FIELDS
            if name not in LATER_FIELDS or values[name]
        }

    def canonical(self) -> str:
        """The exact text that is hashed into the log: sorted keys, no spaces, UTF-8."""
        return _CANONICAL.encode(self.content())

    @classmethod
    def from_json(cls, text: str, seq: int | None = None, retry_hash: str = "") -> Record:
        return cls(**json.loads(text), seq=seq, retry_hash=retry_hash)

    @property
    def index(self) -> int:
        if self.seq is None:
            raise ValueError("this record is not stored yet")
        return self.seq - 1


_CONTENT_FIELDS = tuple(f.name for f in fields(Record) if f.name not in ("seq", "retry_hash"))
_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""`json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, made once
(`json.dumps` with options builds an encoder at each call)."""
LATER_FIELDS = frozenset({"notice", "claims", "tcf"})


@dataclass(frozen=True)
class Notice:
    """One notice as the server served it (PROOF-02): what a reader of a site was shown in one
    language, as canonical JSON; `id` is the SHA-256 (hex) of `content`. Immutable."""

    id: str
    site: str
    language: str
    content: str  # canonical JSON (`bandeau.notices.canonical`)
    archived_at: int  # unix milliseconds of its first archiving


@dataclass(frozen=True)
class NoticeUse:
    """An archived notice and the decisions answered under it (`bandeau notices`)."""

    id: str
    language: str
    archived_at: int
    decisions: int
    first_used: int | None  # unix ms of the first decision under it, None when unused
    last_used: int | None


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the log's size and root at a time (see docs/ledger.md)."""

    size: int
    root: bytes
    time: int  # unix milliseconds
    key_id: str
    signature: bytes


class MissingHash(StorageError):
    """The log has no leaf or subtree hash there: that part of the log is missing."""


LogRow = tuple[int, bytes, bytes, bool]
"""(index, content as stored, leaf hash, redacted): one entry as the verifier reads it."""


class Store(Protocol):
    """Storage of the decision log's rows. Every adapter passes the same test modules.

    Every method raises `StorageError` (logged) when the database fails, and `MissingHash`
    when asked for a hash the log does not have.
    """

    url: str
    """The URL that opens this store again (another process can verify it); empty in memory."""

    def append_batch(self, records: Sequence[Record]) -> list[tuple[Record, bool]]:
        """Append records in one transaction; return each stored record and whether it is new.

        A decision id already stored returns the stored record unchanged (retries never make
        duplicates). Returns only after the transaction is committed.
        """
        ...

    def get(self, decision_id: str) -> Record | None:
        """The record of a decision id, unless it is unknown or redacted."""
        ...

    def history(self, site: str, consent_id: str) -> list[Record]:
        """Every unredacted record of a consent id on a site, oldest first."""
        ...

    def count(self) -> int:
        """Size of the log (redacted records included)."""
        ...

    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree of 2**level leaves starting at leaf index * 2**level
        (level 0: the leaf hash of record `index`)."""
        ...

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[LogRow]:
        """The entries with indexes in [start, stop), in log order, streamed."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, smallest size first (verification reads them all; the server
        reads them by page or by size)."""
        ...

    def latest_checkpoint(self) -> Checkpoint | None: ...

    def checkpoint_at(self, size: int) -> Checkpoint | None:
        """The checkpoint of that size, if one was signed."""
        ...

    def checkpoints_before(self, before: int | None, limit: int) -> list[Checkpoint]:
        """At most `limit` checkpoints of sizes below `before` (None: all), largest first:
        one page of the list, newest first, `before` being the cursor."""
        ...

    def archive_notice(self, notice: Notice) -> bool:
        """Keep `notice` unless a notice of its id is archived already; whether it is new.
        An archived notice never changes (its id is the digest of its content)."""
        ...

    def notice(self, site: str, notice_id: str) -> Notice | None:
        """The archived notice of that id on that site, if any."""
        ...

    def notices(self, site: str) -> list[NoticeUse]:
        """Every notice archived for a site with its use, oldest first."""
        ...

    def redact(self, site: str, consent_id: str, note: str) -> int:
        """Replace the content of a consent id's records by `note`, keeping their leaf hashes;
        return how many were redacted."""
        ...

    def redact_before(self, occurred_before: int, note: str) -> int:
        """Redact every record that occurred before `occurred_before` (unix ms)."""
        ...

    def close(self) -> None: ...


def open_store(url: str) -> Store:
    """Open (and create or migrate) the store named by `url`."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url in ("sqlite://", ":memory:"):
        from .sqlite import SQLiteStore

        return SQLiteStore(":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise SettingsError(
        f"unsupported database URL {url!r}",
        hint="use sqlite:///path/to/bandeau.db (the default) or postgresql://user@host/db",
    )
