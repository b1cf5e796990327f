"""Merkle trees as in Certificate Transparency (RFC 6962 §2.1, RFC 9162 §2.1).

Pure functions over leaf hashes. Leaves and interior nodes are hashed with domain separation:
leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right); the hash of the empty tree
is SHA-256 of nothing. Inclusion and consistency proofs, and their verification, follow the
RFC 9162 algorithms so that any CT verifier can check them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


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
    prefix = b"\x01"
    while len(level) > 1:
        nxt = [
            _sha256(prefix + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Audit path for leaf `index` in the tree of `leaves` (RFC 6962 PATH(m, D[n]))."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of {n} leaves")
    return _path(index, leaves, 0, n)


def _path(m: int, leaves: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves, lo, lo + k), root(leaves[lo + k : hi])]
    return [*_path(m - k, leaves, lo + k, hi), root(leaves[lo : lo + k])]


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of the first `old_size` leaves is a prefix of the tree of `leaves`."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError(f"cannot prove size {old_size} against a tree of {n} leaves")
    if old_size == n:
        return []
    return _subproof(old_size, leaves, 0, n, True)


def _subproof(m: int, leaves: Sequence[bytes], lo: int, hi: int, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [root(leaves[lo:hi])]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves, lo, lo + k, complete), root(leaves[lo + k : hi])]
    return [*_subproof(m - k, leaves, lo + k, hi, False), root(leaves[lo : lo + k])]


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
