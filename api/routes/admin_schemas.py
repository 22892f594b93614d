"""Request and response schemas of the org admins' routes: API keys, revocation, unlocking."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Integer, String
from apiflask.validators import Length, OneOf

from api.routes.fields import ENROLLMENT_ID
from client.ca import REVOCATION_REASONS


class ApiKeyIn(Schema):
    enrollment_id = String(required=True, validate=ENROLLMENT_ID)
    secret = String(required=True, validate=Length(1, 256))


class ApiKeyRecord(Schema):
    key_id = String(metadata={"description": "names the key in lists, rotations and logs"})
    enrollment_id = String()
    created_at = String()
    expires_at = String()


class ApiKeyOut(ApiKeyRecord):
    role = String(allow_none=True)
    api_key = String(metadata={"description": "shown once; the API keeps only its digest"})


class RevocationIn(Schema):
    reason = String(
        load_default="unspecified",
        validate=OneOf(sorted(REVOCATION_REASONS)),
        metadata={"description": "an X.509 reason, as Fabric CA names it"},
    )


class Revocation(Schema):
    enrollment_id = String()
    reason = String()
    api_keys_deleted = Integer()


class Unlocked(Schema):
    enrollment_id = String()
    secret = String(metadata={"description": "the new enrolment secret: hand it to its owner"})
