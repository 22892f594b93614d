"""Merkle trees as RFC 6962 (Certificate Transparency) defines them: roots and inclusion proofs.

A bundle of readings is committed to by the root of the tree over its leaves; a
disclosed reading carries its audit path, so anyone can recompute the root from
that one leaf without seeing any other. The hashes are SHA-256 with the RFC's
domain separation: a leaf is hashed as ``0x00 || data``, an inner node as
``0x01 || left || right``, so a leaf can never pass for a node. A tree of *n*
leaves splits at the largest power of two below *n* (RFC 6962 §2.1), and a proof is
checked with the algorithm of RFC 9162 §2.1.3.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["MerkleError", "inclusion_path", "leaf_hash", "root_from_path", "tree_root"]


class MerkleError(ValueError):
    """An inclusion proof that cannot be right whatever the root (bad index or length)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than *n* (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """The root over leaf hashes (already :func:`leaf_hash`-ed), at least one.

    Level by level, pairing neighbours and carrying an odd last node up unchanged: the
    same tree as RFC 6962's recursive split at the largest power of two (the left
    subtrees are always complete), without the recursion."""
    if not leaves:
        raise MerkleError("a tree needs at least one leaf")
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [
            sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf *index*: sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaves):
        raise MerkleError(f"leaf {index} is not in a tree of {len(leaves)} leaves")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_path(leaves[:k], index), tree_root(leaves[k:])]
    return [*inclusion_path(leaves[k:], index - k), tree_root(leaves[:k])]


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root that leaf hash *leaf* at *index* of a *size*-leaf tree proves with *path*."""
    if not 0 <= index < size:
        raise MerkleError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise MerkleError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            node = _node(sibling, node)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = _node(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise MerkleError("the proof is shorter than the tree is deep")
    return node
