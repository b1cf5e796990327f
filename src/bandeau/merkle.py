"""Merkle trees as in Certificate Transparency (RFC 6962 §2.1, RFC 9162 §2.1).

Pure functions over leaf hashes, and the only place the log's hashes are written down. Leaves
and interior nodes are hashed with domain separation: leaf = SHA-256(0x00 || data),
node = SHA-256(0x01 || left || right); the hash of the empty tree is SHA-256 of nothing. The
decision log's leaves are chained (`chained_leaf`, docs/ledger.md). Inclusion and consistency
proofs, and their verification, follow the RFC 9162 algorithms so that any CT verifier can
check them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "ZERO_LEAF",
    "chained_leaf",
    "consistency_path",
    "consistency_proof",
    "inclusion_path",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "subtree_from_nodes",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256
_LEAF, _NODE = b"\x00", b"\x01"  # RFC 6962's domain separation prefixes
EMPTY_ROOT = _sha256(b"").digest()
ZERO_LEAF = bytes(32)
"""The leaf before the first record of the decision log."""


def leaf_hash(data: bytes) -> bytes:
    return _sha256(_LEAF + data).digest()


def chained_leaf(prev: bytes, content: bytes) -> bytes:
    """Leaf of a decision log record: SHA-256(0x00 || previous leaf || canonical record), that
    is `leaf_hash(prev + content)`, written out because the verifier calls it once a record."""
    return _sha256(_LEAF + prev + content).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """Merkle tree hash of a list of leaf hashes, bottom-up (no recursion, one pass a level).

    Pairing adjacent nodes level by level and carrying an odd last node up unchanged gives the
    same tree as RFC 6962's largest-power-of-two split.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


SubtreeHash = Callable[[int, int], bytes]
"""Hash of the subtree over leaves [lo, hi); callers back it by a list or by stored nodes."""


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Audit path for leaf `index` in the tree of `leaves` (RFC 6962 PATH(m, D[n]))."""
    return inclusion_path(index, len(leaves), lambda lo, hi: root(leaves[lo:hi]))


def inclusion_path(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """Audit path for leaf `index` in a tree of `size` leaves, from subtree hashes."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
    path: list[bytes] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of the first `old_size` leaves is a prefix of the tree of `leaves`."""
    return consistency_path(old_size, len(leaves), lambda lo, hi: root(leaves[lo:hi]))


def consistency_path(old_size: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]) from subtree hashes."""
    if not 0 < old_size <= size:
        raise ValueError(f"cannot prove size {old_size} against a tree of {size} leaves")
    if old_size == size:
        return []
    path: list[bytes] = []
    lo, hi, m, complete = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        path.append(subtree(lo, hi))
    path.reverse()
    return path


def subtree_from_nodes(node: Callable[[int, int], bytes]) -> SubtreeHash:
    """A SubtreeHash over stored complete-subtree hashes: node(level, index) is the hash of
    leaves [index * 2**level, (index + 1) * 2**level)."""

    def subtree(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            level = n.bit_length() - 1
            return node(level, lo >> level)
        k = _split(n)
        return node_hash(subtree(lo, lo + k), subtree(lo + k, hi))

    return subtree


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` place leaf hash `leaf` at `index` under `expected_root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show the old tree is a prefix of the new one?"""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
