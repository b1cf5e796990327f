"""Merkle tree hashing and proofs against RFC 6962 / 9162 (PROOF-*)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandeau.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH by its recursive definition, to check the iterative one."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(str(i).encode()) for i in range(n)]


# RFC 6962 test vectors as used by Certificate Transparency's reference code: the tree of the
# eight inputs below has these roots at sizes 1..8.
CT_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_ct_reference_roots() -> None:
    hashed = [leaf_hash(x) for x in CT_INPUTS]
    assert [root(hashed[:n]).hex() for n in range(1, 9)] == CT_ROOTS


def test_empty_tree() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_domain_separation() -> None:
    """A leaf can never pass for an interior node: prefixes differ."""
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(a + b) != node_hash(a, b)


@given(st.integers(min_value=1, max_value=70))
def test_iterative_root_matches_definition(n: int) -> None:
    assert root(leaves(n)) == reference_root(leaves(n))


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=40), st.data())
def test_inclusion_proofs_verify(n: int, data: st.DataObject) -> None:
    tree = leaves(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = inclusion_proof(i, tree)
    r = root(tree)
    assert verify_inclusion(tree[i], i, n, proof, r)
    assert not verify_inclusion(leaf_hash(b"forged"), i, n, proof, r)
    if n > 1:
        other = (i + 1) % n
        assert not verify_inclusion(tree[i], other, n, proof, r)
        assert not verify_inclusion(tree[i], i, n, proof[:-1], r)


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=40), st.data())
def test_consistency_proofs_verify(n: int, data: st.DataObject) -> None:
    tree = leaves(n)
    m = data.draw(st.integers(min_value=1, max_value=n))
    proof = consistency_proof(m, tree)
    old, new = root(tree[:m]), root(tree)
    assert verify_consistency(m, n, old, new, proof)
    if m < n:
        assert not verify_consistency(m, n, leaf_hash(b"x"), new, proof)
        assert not verify_consistency(m, n, old, leaf_hash(b"x"), proof)
        rewritten = [*tree[: m - 1], leaf_hash(b"changed"), *tree[m:]]
        assert not verify_consistency(m, n, old, root(rewritten), proof)


def test_proof_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(3, leaves(3))
    with pytest.raises(ValueError, match="cannot prove"):
        consistency_proof(0, leaves(3))
    assert not verify_inclusion(leaf_hash(b"0"), 5, 3, [], root(leaves(3)))
