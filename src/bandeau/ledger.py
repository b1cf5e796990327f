"""Proof of consent: checkpoints, receipts and verification of the decision log.

The log (kept by `bandeau.store`) is a hash chain and a Merkle tree at once (docs/ledger.md):
leaf i = SHA-256(0x00 || leaf i-1 || record i), with 32 zero bytes before the first record;
the tree over the leaves is RFC 6962's. Checkpoints sign (size, root, time, key id) with the
server's Ed25519 key. A receipt carries a record, its index, the leaf before it, an inclusion
proof and a checkpoint: anyone holding the public key can check it offline.

The ledger is the only writer of the log: it appends (through the server's `BatchWriter`),
erases, applies retention and signs checkpoints; the store (`bandeau.store`) keeps the rows.
The hashes are `bandeau.merkle`'s (`chained_leaf`, `node_hash`).
"""

from __future__ import annotations

import base64
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import BandeauError, NotFound, SettingsError
from .keys import KeyRing, PublicKey
from .merkle import (
    EMPTY_ROOT,
    ZERO_LEAF,
    chained_leaf,
    consistency_path,
    inclusion_path,
    node_hash,
    subtree_from_nodes,
    verify_inclusion,
)
from .receipts import RECEIPT_FORMAT, parse_receipt
from .store import Checkpoint, MissingHash, Record, Store

__all__ = [
    "Ledger",
    "NotCheckpointed",
    "ReceiptError",
    "VerifyReport",
    "checkpoint_text",
    "verify_log",
    "verify_receipt",
]

logger = logging.getLogger(__name__)

CHECKPOINT_HEADER: Final = "bandeau decision log checkpoint v1"
REDACTED_ERASURE: Final = '{"redacted":"erasure"}'
"""What an erased record's content becomes (docs/ledger.md, "Erasure and retention")."""
REDACTED_RETENTION: Final = '{"redacted":"retention"}'
DAY_MS: Final = 86_400_000


class NotCheckpointed(BandeauError):
    code = "not_checkpointed"


class ReceiptError(BandeauError):
    code = "invalid_receipt"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def checkpoint_text(size: int, root: bytes, at: int, key_id: str) -> bytes:
    """The exact bytes a checkpoint signature covers (UTF-8, one field a line, final newline)."""
    return (
        f"{CHECKPOINT_HEADER}\nsize {size}\nroot {b64(root)}\ntime {at}\nkey {key_id}\n"
    ).encode()


def checkpoint_json(cp: Checkpoint) -> dict[str, Any]:
    return {
        "size": cp.size,
        "root": b64(cp.root),
        "time": cp.time,
        "key_id": cp.key_id,
        "signature": b64(cp.signature),
    }


def checkpoint_from_json(data: Mapping[str, Any]) -> Checkpoint:
    return Checkpoint(
        int(data["size"]),
        unb64(str(data["root"])),
        int(data["time"]),
        str(data["key_id"]),
        unb64(str(data["signature"])),
    )


def checkpoint_signed(cp: Checkpoint, public: Mapping[str, PublicKey]) -> bool:
    key = public.get(cp.key_id)
    return key is not None and key.verify(
        cp.signature, checkpoint_text(cp.size, cp.root, cp.time, cp.key_id)
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


class Ledger:
    """The decision log over a store: appends, erasure, retention, checkpoints (signed with the
    server's keys), proofs and receipts. Commands that never sign may leave `keys` out."""

    def __init__(self, store: Store, keys: KeyRing | None = None) -> None:
        self.store = store
        self.keys = keys
        self.subtree = subtree_from_nodes(store.node)

    def append_batch(self, records: Sequence[Record]) -> list[tuple[Record, bool]]:
        """Append in one durable transaction (what `store.writer.BatchWriter` calls); each
        stored record, and whether it is new (a retried decision id is stored once)."""
        return self.store.append_batch(records)

    def erase(self, site: str, consent_id: str) -> int:
        """Erase a consent id's records (right to erasure): content redacted, leaf hashes
        kept, so the log still verifies. Returns how many were erased."""
        erased = self.store.redact(site, consent_id, REDACTED_ERASURE)
        logger.info("erased %d decision(s) of a consent id on %s", erased, site)
        return erased

    def apply_retention(self, days: int, now_ms: int | None = None) -> int:
        """Redact every record older than `days` days (PROOF-03); 0 days keeps everything.
        Returns how many were redacted."""
        if days <= 0:
            return 0
        before = (_now_ms() if now_ms is None else now_ms) - days * DAY_MS
        redacted = self.store.redact_before(before, REDACTED_RETENTION)
        if redacted:
            logger.info("retention: redacted %d decision(s) older than %d days", redacted, days)
        return redacted

    def leaf(self, index: int) -> bytes:
        return self.store.node(0, index)

    def root(self, size: int) -> bytes:
        return self.subtree(0, size) if size else EMPTY_ROOT

    def checkpoint(self, now_ms: int | None = None) -> Checkpoint | None:
        """Sign the log's current size and root, unless the latest checkpoint already has it."""
        size = self.store.count()
        latest = self.store.latest_checkpoint()
        if size == 0 or (latest is not None and latest.size >= size):
            return latest
        if self.keys is None:
            raise SettingsError("signing a checkpoint needs the server's keys")
        at = _now_ms() if now_ms is None else now_ms
        root = self.root(size)
        kid = self.keys.current.key_id
        cp = Checkpoint(size, root, at, kid, self.keys.sign(checkpoint_text(size, root, at, kid)))
        self.store.add_checkpoint(cp)
        return cp

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_path(index, size, self.subtree)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return consistency_path(old_size, new_size, self.subtree)

    def receipt(self, decision_id: str) -> dict[str, Any]:
        """A receipt for a decision covered by the latest checkpoint (PROOF-01, CNIL-08)."""
        record = self.store.get(decision_id)
        if record is None:
            raise NotFound(f"no decision {decision_id!r} is recorded")
        cp = self.store.latest_checkpoint()
        if cp is None or cp.size <= record.index:
            raise NotCheckpointed(
                "this decision is not covered by a checkpoint yet",
                hint="checkpoints are made every few seconds; try again shortly",
            )
        prev = self.leaf(record.index - 1) if record.index else ZERO_LEAF
        return {
            "format": RECEIPT_FORMAT,
            "record": record.content(),
            "index": record.index,
            "prev_leaf": b64(prev),
            "leaf": b64(self.leaf(record.index)),
            "proof": [b64(h) for h in self.inclusion_proof(record.index, cp.size)],
            "checkpoint": checkpoint_json(cp),
        }


def verify_receipt(receipt: Mapping[str, Any], public: Mapping[str, PublicKey]) -> Record:
    """Check a receipt offline; return its record. Raises ReceiptError saying what fails.

    The receipt is hostile input: `receipts.parse_receipt` checks every field's type and
    bounds before anything in it is used."""
    try:
        parsed = parse_receipt(receipt)
        record, index = parsed.record, parsed.receipt.index
        prev = unb64(parsed.receipt.prev_leaf)
        proof = [unb64(h) for h in parsed.receipt.proof]
        cp = checkpoint_from_json(parsed.receipt.checkpoint.model_dump())
    except ValueError as e:
        raise ReceiptError(f"the receipt is malformed: {e}") from None
    leaf = chained_leaf(prev, record.canonical().encode())
    if b64(leaf) != parsed.receipt.leaf:
        raise ReceiptError("the record does not match its leaf hash: it was altered")
    if cp.key_id not in public:
        raise ReceiptError(
            f"the checkpoint is signed by key {cp.key_id}, which is not the key given",
            hint="use the public key whose id matches (bandeau keys show)",
        )
    if not checkpoint_signed(cp, public):
        raise ReceiptError("the checkpoint signature does not verify: it is forged or altered")
    if not verify_inclusion(leaf, index, cp.size, proof, cp.root):
        raise ReceiptError(
            f"the inclusion proof does not place the record at index {index} under the "
            f"checkpoint of size {cp.size}"
        )
    return record


@dataclass
class VerifyReport:
    """What `verify_log` found. `ok` is true when there is no finding."""

    size: int = 0
    checkpoints: int = 0
    redacted: list[int] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    first_bad_index: int | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def bad(self, index: int | None, message: str) -> None:
        if index is not None and self.first_bad_index is None:
            self.first_bad_index = index
        self.findings.append(message)


@dataclass
class _Scan:
    """What one pass over a stretch of the log found (picklable: it crosses processes)."""

    leaves: bytes = b""  # the stored leaves, 32 bytes each, in log order
    broken: list[int] = field(default_factory=list)
    gaps: dict[int, int] = field(default_factory=dict)
    redacted: list[int] = field(default_factory=list)
    first: int = -1  # index of the first row found
    end: int = 0  # the index expected after the last row found


def _scan(store: Store, start: int, stop: int | None) -> _Scan:
    """Recompute the leaves of indexes [start, stop) and compare them with the stored ones."""
    out = _Scan()
    leaf_of = chained_leaf  # a local name: this loop runs once a record
    leaves = bytearray()
    expected, prev = start, ZERO_LEAF
    if start:
        try:
            prev = store.node(0, start - 1)
        except MissingHash:
            expected = -1  # the record before this stretch is gone: its gap is reported there
    for index, content, leaf, redacted in store.rows(start, stop):
        if out.first < 0:
            out.first = index
        if index != expected:
            if expected >= 0:
                out.gaps[expected] = index
        elif redacted:
            out.redacted.append(index)
        elif leaf_of(prev, content) != leaf:
            out.broken.append(index)
        prev, expected = leaf, index + 1
        leaves += leaf
    out.leaves = bytes(leaves)
    out.end = max(expected, start)
    return out


def _scan_url(url: str, start: int, stop: int | None) -> _Scan:
    from .store import open_store

    store = open_store(url)
    try:
        return _scan(store, start, stop)
    finally:
        store.close()


def verify_log(
    store: Store,
    public: Mapping[str, PublicKey],
    *,
    processes: int = 1,
    min_parallel: int = 50_000,
) -> VerifyReport:
    """Recompute the chain and the tree; check every checkpoint's signature and root.

    Findings name where the log stops being what was appended and signed (docs/ledger.md):
    a record whose content no longer matches its leaf hash while the next record still chains
    onto it (modified), a run of records that do not chain (inserted, deleted with the rest
    renumbered, or reordered: the first index of the run), a gap in the indexes (deleted),
    a checkpoint whose signature or root does not verify, or one beyond the end of the log.

    With `processes` > 1 (and a store that other processes can open), stretches of the log are
    rehashed in parallel (from `min_parallel` records up); the tree is then built here from
    their leaves.
    """
    report = VerifyReport()
    pending = sorted(store.checkpoints(), key=lambda c: c.size)
    report.checkpoints = len(pending)
    scans = _scans(store, processes, min_parallel)
    broken = [i for sc in scans for i in sc.broken]
    gaps = {k: v for sc in scans for k, v in sc.gaps.items()}
    found = [sc for sc in scans if sc.first >= 0]
    for before, after in itertools.pairwise(found):  # a gap where two stretches meet
        if before.end != after.first and before.end not in gaps:
            gaps[before.end] = after.first
    report.redacted = [i for sc in scans for i in sc.redacted]
    roots_bad, count = _check_roots(b"".join(sc.leaves for sc in scans), pending)
    report.size = count
    for index, message in _record_findings(broken, gaps):
        report.bad(index, message)
    _checkpoint_findings(report, pending, public, roots_bad)
    return report


def _record_findings(broken: list[int], gaps: dict[int, int]) -> list[tuple[int, str]]:
    """(index, finding) for each gap and each run of records that do not match their leaf,
    in index order. A lone bad record was modified; a run of them no longer chains."""
    events: list[tuple[int, str]] = []
    for start, end in gaps.items():
        events.append(
            (
                start,
                f"index {start}: record missing (deleted): the log jumps from "
                f"index {start - 1} to {end}",
            )
        )
    flagged = set(broken)
    for index in broken:
        if index - 1 in flagged:
            continue
        if index + 1 in flagged:
            events.append(
                (
                    index,
                    f"index {index}: chain broken: records from here do not "
                    "follow each other (inserted, deleted or reordered)",
                )
            )
        else:
            events.append(
                (index, f"index {index}: record modified: its content does not match its leaf hash")
            )
    return sorted(events)


def _checkpoint_findings(
    report: VerifyReport,
    pending: list[Checkpoint],
    public: Mapping[str, PublicKey],
    roots_bad: list[int],
) -> None:
    """Checkpoints forged, whose root the records no longer give, or beyond the log's end."""
    count = report.size
    for cp in pending:
        if not checkpoint_signed(cp, public):
            who = f"unknown key {cp.key_id}" if cp.key_id not in public else f"key {cp.key_id}"
            report.bad(
                None,
                f"checkpoint of size {cp.size}: its signature ({who}) does not "
                "verify: forged or altered",
            )
    for size in roots_bad:
        report.bad(
            None,
            f"checkpoint of size {size}: its root does not match the records "
            "(records before that size were rewritten)",
        )
    for cp in pending:
        if cp.size > count:
            report.bad(
                count,
                f"checkpoint of size {cp.size} covers records beyond the end of the log "
                f"({count} records): records were deleted from the end",
            )


def _scans(store: Store, processes: int, min_parallel: int) -> list[_Scan]:
    size = store.count()  # the highest index + 1 (deleted rows leave gaps below it)
    url = getattr(store, "url", "")
    if processes <= 1 or not url or size < max(min_parallel, processes):
        return [_scan(store, 0, None)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = [size * k // processes for k in range(processes)] + [size]
    stops: list[int | None] = [*bounds[1:-1], None]  # the last stretch takes anything after
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_scan_url, url, lo, hi) for lo, hi in zip(bounds[:-1], stops, strict=True)
        ]
        return [f.result() for f in futures]


def _check_roots(leaves: bytes, pending: list[Checkpoint]) -> tuple[list[int], int]:
    """Build the tree over `leaves` (a binary counter of complete subtrees) and compare its
    root with each checkpoint's at that size. Returns the sizes whose root differs, and the
    number of leaves."""
    node = node_hash  # a local name: this loop runs about twice a leaf
    checks = iter(pending)
    nxt = next(checks, None)
    next_size = nxt.size if nxt is not None else -1
    heights: list[int] = []
    hashes: list[bytes] = []
    bad: list[int] = []
    count = 0
    for offset in range(0, len(leaves), 32):
        top = leaves[offset : offset + 32]
        count += 1
        h, n = 0, count
        while not n & 1 and heights:
            top = node(hashes.pop(), top)
            heights.pop()
            h += 1
            n >>= 1
        heights.append(h)
        hashes.append(top)
        if count < next_size:
            continue
        stack = list(zip(heights, hashes, strict=True))
        while nxt is not None and nxt.size <= count:
            if nxt.size == count and _fold(stack) != nxt.root:
                bad.append(nxt.size)
            nxt = next(checks, None)
        next_size = nxt.size if nxt is not None else -1
    return bad, count


def _fold(stack: list[tuple[int, bytes]]) -> bytes:
    if not stack:
        return EMPTY_ROOT
    acc = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        acc = node_hash(h, acc)
    return acc
