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
import fcntl
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

from .errors import BandeauError, NotFound, SettingsError, StorageError
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
from .merkle import root as merkle_root
from .receipts import RECEIPT_FORMAT, parse_receipt
from .store import Checkpoint, MissingHash, Record, Store

__all__ = [
    "Ledger",
    "NotCheckpointed",
    "ReceiptError",
    "VerifyReport",
    "checkpoint_text",
    "countersigned",
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
    """No checkpoint covers the decision yet; `retry_after` says in how many seconds one
    will (the HTTP answer's Retry-After)."""

    code = "not_checkpointed"

    def __init__(self, message: str, *, hint: str = "", retry_after: int = 0) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


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


def countersigned(
    receipt: dict[str, Any], site: KeyRing, log: Mapping[str, PublicKey]
) -> dict[str, Any]:
    """`receipt` as a site hands it out: its checkpoint (same size, root and time) signed again
    with the site's own key, so that it verifies with that site's public key and no other's;
    the log's own checkpoint stays beside it as `log_checkpoint` (it matches the log's list and
    the published checkpoints). The log's signature is checked first: a site vouches only for
    what the log signed."""
    cp = checkpoint_from_json(receipt["checkpoint"])
    if not checkpoint_signed(cp, log):
        raise StorageError(f"the checkpoint of size {cp.size} does not verify with the log's keys")
    kid = site.current.key_id
    mine = Checkpoint(
        cp.size, cp.root, cp.time, kid, site.sign(checkpoint_text(cp.size, cp.root, cp.time, kid))
    )
    return {**receipt, "checkpoint": checkpoint_json(mine), "log_checkpoint": receipt["checkpoint"]}


def _now_ms() -> int:
    return int(time.time() * 1000)


class Ledger:
    """The decision log over a store: appends, erasure, retention, checkpoints (signed with the
    server's keys), proofs and receipts. Commands that never sign may leave `keys` out."""

    def __init__(
        self, store: Store, keys: KeyRing | None = None, *, published: Path | None = None
    ) -> None:
        self.store = store
        self.keys = keys
        self.subtree = subtree_from_nodes(store.node)
        self.published = None if published is None else CheckpointLog(published)
        self._signing = threading.Lock()

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
        """Sign the log's current size and root, unless the latest checkpoint already has it.

        The signer vouches for what it signs: first it checks the records added since the
        latest checkpoint as `verify_log` would (the chain, and the tree on top of the one
        that checkpoint signed), and refuses to sign a log that does not check out
        (`LogDoesNotVerify`, logged, saying where). One signer at a time in this process."""
        with self._signing:
            size = self.store.count()
            latest = self.store.latest_checkpoint()
            if size == 0 or (latest is not None and latest.size >= size):
                return latest
            if self.keys is None:
                raise SettingsError("signing a checkpoint needs the server's keys")
            self._check_published(latest)
            at = _now_ms() if now_ms is None else now_ms
            root = self._checked_root(latest, size, self.keys.public)
            kid = self.keys.current.key_id
            text = checkpoint_text(size, root, at, kid)
            cp = Checkpoint(size, root, at, kid, self.keys.sign(text))
            self.store.add_checkpoint(cp)
            if self.published is not None:  # after the database: the file never runs ahead
                self.published.append(cp)
            return cp

    def _check_published(self, latest: Checkpoint | None) -> None:
        """The database's latest checkpoint is the file's last (or later): otherwise records
        were deleted together with their checkpoints, and the signer signs nothing more."""
        if self.published is None:
            return
        last = self.published.last()
        if last is None or (latest is not None and latest.size > last.size):
            return
        if latest is None or latest.size < last.size or latest.root != last.root:
            have = "none" if latest is None else f"size {latest.size}"
            _refuse(
                last.size,
                f"the published checkpoints ({self.published.path}) go up to size "
                f"{last.size}, the database's latest is {have}: records were deleted or "
                "rewritten with their checkpoints",
            )

    def _checked_root(
        self, latest: Checkpoint | None, size: int, public: Mapping[str, PublicKey]
    ) -> bytes:
        """The root at `size`, rebuilt from the tree `latest` signed and the records appended
        since; a `LogDoesNotVerify` when any of it does not check out."""
        start = 0 if latest is None else latest.size
        tree = _Frontier()
        if latest is not None:
            tree = self._signed_frontier(latest, public)
        scan = _scan(self.store, start, size)
        findings = _record_findings(scan.broken, scan.gaps, scan.skips)
        if findings:
            _refuse(size, findings[0][1])
        for offset in range(0, len(scan.leaves), 32):
            tree.push(scan.leaves[offset : offset + 32])
        root = tree.root()
        try:
            stored = self.root(size)
        except MissingHash as e:
            _refuse(size, f"the stored tree is incomplete: {e}")
        if stored != root:
            _refuse(size, f"the stored tree does not match the records from index {start} on")
        return root

    def _signed_frontier(self, latest: Checkpoint, public: Mapping[str, PublicKey]) -> _Frontier:
        """The complete subtrees of the log at `latest.size`, from the stored hashes, checked
        against the root `latest` signed; and the last leaf checked against it too (the next
        record chains onto it)."""
        if not checkpoint_signed(latest, public):
            _refuse(
                latest.size + 1,
                f"the latest checkpoint (size {latest.size}) does not verify with the "
                "server's keys: forged or altered",
            )
        tree = _Frontier()
        try:
            lo = 0
            for level in reversed(range(latest.size.bit_length())):
                if latest.size >> level & 1:
                    tree.stack.append((level, self.store.node(level, lo >> level)))
                    lo += 1 << level
            last = self.leaf(latest.size - 1)
            path = self.inclusion_proof(latest.size - 1, latest.size)
        except MissingHash as e:
            _refuse(
                latest.size + 1, f"records or hashes signed at size {latest.size} are gone: {e}"
            )
        if tree.root() != latest.root or not verify_inclusion(
            last, latest.size - 1, latest.size, path, latest.root
        ):
            _refuse(
                latest.size + 1,
                f"the stored tree no longer gives the root signed at size {latest.size}: "
                "records before it were rewritten (run bandeau verify)",
            )
        return tree

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


class CheckpointLog:
    """Signed checkpoints published outside the database: a file of one JSON object a line
    (`checkpoint_json`), appended to and fsynced as each checkpoint is signed, before it is
    stored. Several processes may append (each line is written at once, under `flock`).
    `bandeau verify --checkpoints FILE` checks the log against it (docs/ledger.md)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, cp: Checkpoint) -> None:
        line = (json.dumps(checkpoint_json(cp), separators=(",", ":")) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            message = f"cannot publish the checkpoint of size {cp.size} to {self.path}: {e}"
            logger.error("%s", message)
            raise StorageError(message) from e

    def last(self) -> Checkpoint | None:
        """The last checkpoint in the file (read from its end), or None when it is empty."""
        try:
            with self.path.open("rb") as file:
                end = file.seek(0, os.SEEK_END)
                file.seek(max(0, end - 8192))
                tail = file.read().decode("utf-8", "replace").strip().splitlines()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StorageError(f"cannot read the published checkpoints {self.path}: {e}") from e
        try:
            return checkpoint_from_json(json.loads(tail[-1])) if tail else None
        except (KeyError, TypeError, ValueError) as e:
            raise StorageError(f"the last line of {self.path} is not a checkpoint: {e}") from e

    def read(self) -> list[Checkpoint]:
        """Every checkpoint in the file; a `SettingsError` naming the first bad line."""
        found: list[Checkpoint] = []
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise TypeError("not a JSON object")
                    found.append(checkpoint_from_json(data))
                except (KeyError, TypeError, ValueError) as e:
                    raise SettingsError(
                        f"{self.path}, line {number}: not a checkpoint ({e})"
                    ) from e
        return found


class LogDoesNotVerify(StorageError):
    """The signer found the log altered since its latest checkpoint, and signs nothing."""


def _refuse(size: int, finding: str) -> NoReturn:
    message = f"refusing to sign a checkpoint at size {size}: {finding}"
    logger.error("%s", message)
    raise LogDoesNotVerify(
        message, hint="run bandeau verify, and restore the database from a backup"
    )


class _Frontier:
    """A Merkle tree being built leaf by leaf: the hashes of its complete subtrees, largest
    first (a binary counter), as (level, hash)."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []

    def push(self, leaf: bytes) -> None:
        level, top = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            top = node_hash(self.stack.pop()[1], top)
            level += 1
        self.stack.append((level, top))

    def root(self) -> bytes:
        return _fold(self.stack)


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
            hint="use the public key whose id matches (a receipt: its site's, `bandeau keys show "
            "--site SITE`)",
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
    skips: dict[int, int] = field(default_factory=dict)  # broken index -> records it chains past
    first: int = -1  # index of the first row found
    end: int = 0  # the index expected after the last row found


INSERT_WINDOW: Final = 16
"""How many records back a record that does not chain is tried against: a run of up to this
many forged records, chained onto each other and inserted together, is named as inserted."""
SKIP_CHECKS: Final = 256
"""Broken records of one stretch tried that way (a log rewritten wholesale breaks everywhere)."""


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
            if len(out.broken) <= SKIP_CHECKS and (
                skipped := _chains_past(store, index, content, leaf)
            ):
                out.skips[index] = skipped
        prev, expected = leaf, index + 1
        leaves += leaf
    out.leaves = bytes(leaves)
    out.end = max(expected, start)
    return out


def _chains_past(store: Store, index: int, content: bytes, leaf: bytes) -> int:
    """k when the record at `index`, which does not chain onto the record before it, chains
    onto the one k + 1 places before it instead (the k records between were inserted); else 0."""
    for skipped in range(1, INSERT_WINDOW + 1):
        at = index - 1 - skipped
        if at < -1:
            break
        try:
            before = ZERO_LEAF if at == -1 else store.node(0, at)
        except MissingHash:
            return 0
        if chained_leaf(before, content) == leaf:
            return skipped
    return 0


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
    published: Sequence[Checkpoint] = (),
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

    `published` are checkpoints held outside the database (`CheckpointLog`): checked like the
    database's, they reveal records deleted together with the database's checkpoints.
    """
    report = VerifyReport()
    stored = store.checkpoints()
    outside = set(published) - set(stored)
    pending = sorted([*stored, *outside], key=lambda c: c.size)
    report.checkpoints = len(pending)
    scans = _scans(store, processes, min_parallel)
    broken = [i for sc in scans for i in sc.broken]
    skips = {k: v for sc in scans for k, v in sc.skips.items()}
    gaps = {k: v for sc in scans for k, v in sc.gaps.items()}
    found = [sc for sc in scans if sc.first >= 0]
    for before, after in itertools.pairwise(found):  # a gap where two stretches meet
        if before.end != after.first and before.end not in gaps:
            gaps[before.end] = after.first
    report.redacted = [i for sc in scans for i in sc.redacted]
    leaves = b"".join(sc.leaves for sc in scans)
    roots_bad, count = _check_roots(leaves, pending)
    report.size = count
    for index, message in _record_findings(broken, gaps, skips):
        report.bad(index, message)
    if roots_bad and not broken and not gaps:
        first, last = _locate_rewrite(store, leaves, _rewrite_bounds(pending, roots_bad))
        report.bad(first, _rewritten(first, last))
    _checkpoint_findings(report, pending, public, roots_bad, outside)
    return report


def _rewrite_bounds(pending: list[Checkpoint], roots_bad: list[Checkpoint]) -> tuple[int, int]:
    """[lo, hi): where the first rewritten record is, by the signed roots alone: at or after
    the largest checkpoint that still matches below the first that does not."""
    bad = {cp.size for cp in roots_bad}
    first_bad = min(bad)
    good = [cp.size for cp in pending if cp.size < first_bad and cp.size not in bad]
    return max(good, default=0), first_bad


def _locate_rewrite(store: Store, leaves: bytes, bounds: tuple[int, int]) -> tuple[int, int]:
    """The first and last index the first rewritten record may be at, when every leaf was
    recomputed (so the chain holds) but the signed roots differ.

    The stored subtree hashes were written as the records were appended: descending from the
    leftmost complete subtree whose stored hash the leaves no longer give narrows the place
    down to a pair of leaves (a leaf's own stored hash is the rewritten one, so no finer),
    within the bounds the signed roots give. Without those hashes, the bounds alone."""
    lo_bound, hi_bound = bounds
    count = len(leaves) // 32

    def unchanged(level: int, lo: int) -> bool | None:
        try:
            stored = store.node(level, lo >> level)
        except MissingHash:
            return None
        span = [leaves[i * 32 : i * 32 + 32] for i in range(lo, lo + (1 << level))]
        return merkle_root(span) == stored

    lo = 0
    for level in reversed(range(count.bit_length())):
        if not count >> level & 1:
            continue
        if lo + (1 << level) > lo_bound and level > 0 and unchanged(level, lo) is False:
            while level > 1:
                level -= 1
                if lo + (1 << level) <= lo_bound or unchanged(level, lo):
                    lo += 1 << level
            return max(lo, lo_bound), min(lo + 1, hi_bound - 1)
        lo += 1 << level
    return lo_bound, hi_bound - 1


def _rewritten(first: int, last: int) -> str:
    what = (
        f"index {first}: record rewritten"
        if first == last
        else f"index {first}: a record rewritten at an index from {first} to {last}"
    )
    return (
        f"{what}: its leaf and every later one were recomputed, so the chain holds, but the "
        "signed tree holds another record there"
    )


def _record_findings(
    broken: list[int], gaps: dict[int, int], skips: dict[int, int]
) -> list[tuple[int, str]]:
    """(index, finding) for each gap and each run of records that do not match their leaf,
    in index order. Records that chain correctly among themselves but that the next record
    chains past (`skips`) were inserted; otherwise a lone bad record was modified, and a run of
    them no longer chains."""
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
    explained: set[int] = set()
    for index, skipped in skips.items():
        first = index - skipped
        if flagged.intersection(range(first, index)):
            continue  # the records it chains past do not chain either: a reordering, say
        explained.add(index)
        events.append((first, _inserted(first, index)))
    for index in broken:
        if index in explained or index - 1 in flagged:
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


def _inserted(first: int, after: int) -> str:
    """The finding for records [first, after) inserted before the record at `after`."""
    onto = f"index {first - 1}" if first else "the start of the log"
    if after - first == 1:
        return (
            f"index {first}: record inserted: it was not appended there "
            f"(the record after it chains onto {onto})"
        )
    return (
        f"index {first}: {after - first} records inserted (indexes {first} to {after - 1}): "
        f"they were not appended there (the record after them chains onto {onto})"
    )


def _checkpoint_findings(
    report: VerifyReport,
    pending: list[Checkpoint],
    public: Mapping[str, PublicKey],
    roots_bad: list[Checkpoint],
    outside: set[Checkpoint],
) -> None:
    """Checkpoints forged, whose root the records no longer give, or beyond the log's end;
    those in `outside` are named as published ones."""
    count = report.size

    def name(cp: Checkpoint) -> str:
        return f"{'published checkpoint' if cp in outside else 'checkpoint'} of size {cp.size}"

    for cp in pending:
        if not checkpoint_signed(cp, public):
            who = f"unknown key {cp.key_id}" if cp.key_id not in public else f"key {cp.key_id}"
            report.bad(
                None, f"{name(cp)}: its signature ({who}) does not verify: forged or altered"
            )
    for cp in roots_bad:
        report.bad(
            None,
            f"{name(cp)}: its root does not match the records "
            "(records before that size were rewritten)",
        )
    for cp in pending:
        if cp.size > count:
            report.bad(
                count,
                f"{name(cp)} covers records beyond the end of the log "
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


def _check_roots(leaves: bytes, pending: list[Checkpoint]) -> tuple[list[Checkpoint], int]:
    """Build the tree over `leaves` (a binary counter of complete subtrees) and compare its
    root with each checkpoint's at that size. Returns the checkpoints whose root differs, and
    the number of leaves."""
    node = node_hash  # a local name: this loop runs about twice a leaf
    checks = iter(pending)
    nxt = next(checks, None)
    next_size = nxt.size if nxt is not None else -1
    heights: list[int] = []
    hashes: list[bytes] = []
    bad: list[Checkpoint] = []
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
                bad.append(nxt)
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
