"""The one digest Fabric signs.

Every message a client signs (proposal, transaction envelope payload, commit status
request) is hashed with SHA-256 first and the signer is handed only the digest. Keeping
that rule in one function means an offline signer (an HSM, a household's own device)
and this client always agree on what was signed.
"""

import hashlib

__all__ = ["digest"]


def digest(message: bytes) -> bytes:
    """Return the SHA-256 digest of `message`, the value a `Sign` function signs."""
    return hashlib.sha256(message).digest()
