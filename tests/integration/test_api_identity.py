"""Identities at the API on the real network: logins throttled before the CA locks anyone
out, admins unlocking and revoking, logout, and API keys that rotate, expire and go.

Each test registers fresh identities of its own through the community's admin, so no
other test's people are locked, revoked or logged out. The CA is the community's real
Fabric CA, which locks an identity after 10 wrong secrets in a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from api_client import SUNNYSIDE, Api, api_session, assert_error, login
from homes import home

from api.logins import CA_FAILURE_BUDGET
from client import CAError
from network.ca import OrgCA
from network.topology import COMMUNITY, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

CA_LOCK = 10


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


def register(api: Api, org: str, role: str, household_id: str | None = None) -> tuple[str, str]:
    """A fresh identity of `org` registered by its admin: (enrolment id, secret)."""
    admin = login(api.client_of(org), org, "admin")
    name = f"{role}-id-{uuid.uuid4().hex[:8]}"
    identity = {"enrollment_id": name, "role": role}
    if household_id:
        identity["household_id"] = household_id
    created = api.ok("POST", "/admin/identities", None, 201, headers=admin, org=org, json=identity)
    return name, created["secret"]


def log_in(api: Api, name: str, secret: str, org: str = "community") -> object:
    body = {"enrollment_id": name, "secret": secret}
    return api.post("/auth/login", json=body, org=org)


def bearer(response: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.get_json()['token']}"}  # type: ignore[attr-defined]


def enrols_at_the_ca(name: str, secret: str) -> bool:
    """Whether the CA itself still takes the secret (it does not once it locked `name`)."""
    try:
        OrgCA(home(COMMUNITY)).client().enroll(name, secret)
    except CAError:
        return False
    return True


def test_guesses_through_the_api_never_lock_the_owner_out_at_the_ca(api: Api) -> None:
    name, secret = register(api, "community", "household", "h-id-guard")
    assert log_in(api, name, secret).status_code == 200
    answers = [log_in(api, name, f"guess-{number}") for number in range(2 * CA_LOCK)]
    statuses = [response.status_code for response in answers]
    assert statuses[:CA_FAILURE_BUDGET] == [401] * CA_FAILURE_BUDGET
    assert set(statuses[CA_FAILURE_BUDGET:]) == {429}
    throttled = answers[-1]
    assert int(throttled.headers["Retry-After"]) >= 1
    assert_error(throttled, 429, f"has failed {CA_FAILURE_BUDGET} logins in a row at the CA")
    # the owner is not held back by someone else's guesses, and the CA never locked it
    assert log_in(api, name, secret).status_code == 200
    assert enrols_at_the_ca(name, secret)


def test_an_admin_unlocks_an_identity_with_a_new_secret(api: Api) -> None:
    name, secret = register(api, "community", "household", "h-id-unlock")
    for number in range(CA_FAILURE_BUDGET):
        assert log_in(api, name, f"guess-{number}").status_code == 401
    assert_error(log_in(api, name, secret), 429, f"POST /admin/identities/{name}/unlock")
    admin = login(api.client_of("community"), "community", "admin")
    household = login(api.client_of("community"), "community", "household1")
    assert (
        api.post(f"/admin/identities/{name}/unlock", headers=household, org="community").status_code
        == 403
    )
    unlocked = api.ok(
        "POST", f"/admin/identities/{name}/unlock", None, 201, headers=admin, org="community"
    )
    assert unlocked["enrollment_id"] == name and unlocked["secret"] != secret
    assert log_in(api, name, unlocked["secret"]).status_code == 200
    assert log_in(api, name, secret).status_code == 401  # the old secret is gone at the CA


def test_a_revoked_identity_is_refused_by_the_api_at_once(api: Api) -> None:
    name, secret = register(api, "community", "household", "h-id-revoked")
    session = log_in(api, name, secret)
    consents = f"{SUNNYSIDE}/consents"
    assert api.get(consents, headers=bearer(session), org="community").status_code == 200
    admin = login(api.client_of("community"), "community", "admin")
    revoked = api.ok(
        "POST",
        f"/admin/identities/{name}/revocation",
        None,
        201,
        headers=admin,
        org="community",
        json={"reason": "keycompromise"},
    )
    assert revoked == {"enrollment_id": name, "reason": "keycompromise", "api_keys_deleted": 0}
    assert_error(
        api.get(consents, headers=bearer(session), org="community"), 401, f"{name} was revoked"
    )
    assert log_in(api, name, secret).status_code in (401, 429)  # the CA refuses it too
    assert not enrols_at_the_ca(name, secret)


def test_logout_ends_the_token_and_no_other(api: Api) -> None:
    name, secret = register(api, "community", "household", "h-id-logout")
    first, second = log_in(api, name, secret), log_in(api, name, secret)
    consents = f"{SUNNYSIDE}/consents"
    out = api.post("/auth/logout", headers=bearer(first), org="community")
    assert out.status_code == 204
    assert_error(api.get(consents, headers=bearer(first), org="community"), 401, "logged out")
    assert api.get(consents, headers=bearer(second), org="community").status_code == 200


def test_api_keys_are_listed_rotated_and_deleted(api: Api) -> None:
    name, secret = register(api, UTILITY.key, "billing")
    admin = login(api.client_of(UTILITY.key), UTILITY.key, "admin")
    made = api.ok(
        "POST",
        "/admin/api-keys",
        None,
        201,
        headers=admin,
        org=UTILITY.key,
        json={"enrollment_id": name, "secret": secret},
    )
    assert made["expires_at"] > made["created_at"]
    listed = api.ok("GET", "/admin/api-keys", None, 200, headers=admin, org=UTILITY.key)
    assert made["key_id"] in {k["key_id"] for k in listed}
    assert all(made["api_key"] not in str(k) for k in listed)
    tariffs = f"{SUNNYSIDE}/tariffs/in-force/2026-03-01"
    old = {"X-API-Key": made["api_key"]}
    assert api.get(tariffs, headers=old, org=UTILITY.key).status_code in (200, 404)

    rotated = api.ok(
        "POST",
        f"/admin/api-keys/{made['key_id']}/rotation",
        None,
        201,
        headers=admin,
        org=UTILITY.key,
    )
    new = {"X-API-Key": rotated["api_key"]}
    assert rotated["enrollment_id"] == name and rotated["key_id"] != made["key_id"]
    assert api.get(tariffs, headers=new, org=UTILITY.key).status_code in (200, 404)
    assert api.get(tariffs, headers=old, org=UTILITY.key).status_code in (200, 404)  # grace

    deleted = api.call(
        "DELETE", f"/admin/api-keys/{rotated['key_id']}", None, headers=admin, org=UTILITY.key
    )
    assert deleted.status_code == 204
    assert_error(api.get(tariffs, headers=new, org=UTILITY.key), 401, "unknown or expired API key")
    assert_error(
        api.call(
            "DELETE", f"/admin/api-keys/{rotated['key_id']}", None, headers=admin, org=UTILITY.key
        ),
        404,
    )
