"""API keys and revocations (api/credentials.py), and how the API answers with them."""

import time

import pytest

from api.auth import issue_token
from api.credentials import ROTATION_GRACE_SECONDS, ApiKeys
from api.ledger import User, access
from gridspec.revoked import Revocations


@pytest.fixture
def keys(tmp_path):
    return ApiKeys(tmp_path / "api-keys.json", ttl_days=90)


def test_a_key_is_stored_only_as_its_digest(keys, tmp_path):
    key, record = keys.create("billing1")
    stored = (tmp_path / "api-keys.json").read_text()
    assert key not in stored and record["key_id"] in stored
    assert (tmp_path / "api-keys.json").stat().st_mode & 0o777 == 0o600
    assert keys.find(key)["label"] == "billing1"
    assert keys.find(key + "x") is None


def test_a_key_expires(keys, monkeypatch):
    key, record = keys.create("billing1")
    assert record["expires_at"] - record["created_at"] == 90 * 86400
    later = time.time() + 90 * 86400 + 1
    monkeypatch.setattr("api.credentials.time.time", lambda: later)
    assert keys.find(key) is None
    assert keys.listed() == []


def test_rotation_gives_a_new_key_and_the_old_one_an_hour(keys, monkeypatch):
    old, record = keys.create("billing1")
    new, rotated = keys.rotate(record["key_id"])
    assert rotated["label"] == "billing1" and rotated["key_id"] != record["key_id"]
    assert keys.find(old) is not None and keys.find(new) is not None
    later = time.time() + ROTATION_GRACE_SECONDS + 1
    monkeypatch.setattr("api.credentials.time.time", lambda: later)
    assert keys.find(old) is None
    assert keys.find(new) is not None
    assert keys.rotate("key-unknown") is None


def test_deleting_a_key_or_every_key_of_an_account(keys):
    first, record = keys.create("billing1")
    second, _ = keys.create("billing1")
    other, _ = keys.create("headend1")
    assert keys.delete(record["key_id"]) == 1
    assert keys.find(first) is None and keys.find(second) is not None
    assert keys.delete(label="billing1") == 1
    assert keys.find(second) is None and keys.find(other) is not None


def test_a_key_file_of_an_older_api_has_keys_that_no_longer_work(tmp_path):
    (tmp_path / "api-keys.json").write_text('{"%s": {"label": "billing1"}}' % ("0" * 64))
    keys = ApiKeys(tmp_path / "api-keys.json", ttl_days=90)
    assert keys.listed() == []


def test_revocations_are_seen_by_another_process_at_once(tmp_path):
    mine, theirs = Revocations(tmp_path / "r.json"), Revocations(tmp_path / "r.json")
    assert theirs.identity("household7") is None
    mine.revoke_identity("household7", "keycompromise", "admin")
    assert theirs.identity("household7")["reason"] == "keycompromise"
    mine.revoke_token("t-1", int(time.time()) + 60)
    mine.revoke_token("t-old", int(time.time()) - 1)
    mine.revoke_token("t-2", int(time.time()) + 60)
    assert theirs.token("t-1") and theirs.token("t-2")
    assert not theirs.token("t-old")  # expired anyway: no longer kept


def token_for(app, label):
    with app.test_request_context():
        return issue_token(User(label))


def test_logout_stops_the_token_at_once(app):
    token = token_for(app, "household1")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.post("/auth/logout", headers=headers).status_code == 204
    again = client.post("/auth/logout", headers=headers)
    assert (again.status_code, again.get_json()["message"]) == (
        401,
        "the token was logged out: log in again",
    )
    other = token_for(app, "household1")  # another login of the same person still works
    assert (
        client.post("/auth/logout", headers={"Authorization": f"Bearer {other}"}).status_code == 204
    )


def test_a_revoked_identity_is_refused_with_its_token_and_its_key(app):
    token = token_for(app, "household9")
    with app.app_context():
        key, _ = access().api_keys.create("household9")
        access().revocations.revoke_identity("household9", "keycompromise", "admin")
    client = app.test_client()
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": key}):
        response = client.get("/communities/sunnyside/meters/m-1", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["message"] == (
            "household9 was revoked (keycompromise): it may no longer use this API"
        )


def test_an_api_key_cannot_be_logged_out(app):
    with app.app_context():
        key, _ = access().api_keys.create("billing1")
    response = app.test_client().post("/auth/logout", headers={"X-API-Key": key})
    assert response.status_code == 400
