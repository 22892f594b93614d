"""A meter's signed batch of readings: the bytes the chaincode verifies.

The device key signs the canonical JSON (sorted keys, no spaces) of
``{"meter_id", "readings", "salt"}`` with ECDSA over SHA-256; the batch sent is that
object plus the base64 signature. The salt (18 random bytes here) keeps the hashes
every peer stores of the readings from being brute-forced back to their values.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["new_salt", "sign_batch"]


def new_salt() -> str:
    return base64.urlsafe_b64encode(os.urandom(18)).decode()


def sign_batch(
    device_key: ec.EllipticCurvePrivateKey,
    meter_id: str,
    readings: Sequence[dict[str, Any]],
    salt: str | None = None,
) -> bytes:
    """The transient `readings` value for SubmitReadings."""
    body = {"meter_id": meter_id, "readings": list(readings), "salt": salt or new_salt()}
    signed = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    signature = device_key.sign(signed, ec.ECDSA(hashes.SHA256()))
    return json.dumps({**body, "signature": base64.b64encode(signature).decode()}).encode()
