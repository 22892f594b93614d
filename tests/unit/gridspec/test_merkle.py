"""RFC 6962 Merkle trees: the published test vectors, and proofs of every leaf of small trees."""

from __future__ import annotations

import pytest

from gridspec.merkle import MerkleError, inclusion_path, leaf_hash, root_from_path, tree_root

# the leaf inputs and roots of certificate-transparency's reference tests (RFC 6962)
INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size: int) -> None:
    leaves = [leaf_hash(data) for data in INPUTS[:size]]
    assert tree_root(leaves).hex() == ROOTS[size - 1]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 96, 97, 288])
def test_every_leaf_proves_the_root_and_no_other_leaf_does(size: int) -> None:
    leaves = [leaf_hash(n.to_bytes(2, "big")) for n in range(size)]
    root = tree_root(leaves)
    for index in range(size):
        path = inclusion_path(leaves, index)
        assert root_from_path(leaves[index], index, size, path) == root
        other = leaves[(index + 1) % size]
        if size > 1:
            assert root_from_path(other, index, size, path) != root


def test_a_proof_of_the_wrong_length_is_refused() -> None:
    leaves = [leaf_hash(bytes([n])) for n in range(8)]
    path = inclusion_path(leaves, 3)
    with pytest.raises(MerkleError, match="shorter"):
        root_from_path(leaves[3], 3, 8, path[:-1])
    with pytest.raises(MerkleError, match="longer"):
        root_from_path(leaves[3], 3, 8, [*path, path[0]])
    with pytest.raises(MerkleError, match="not in a tree"):
        root_from_path(leaves[3], 8, 8, path)
