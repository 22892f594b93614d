"""What the API's integration tests share: an app on the real network, and who calls it.

``api_session()`` makes a Flask test client of ``api.create_app({"TESTING": True})`` for
one test module (the app talks to the running network through the peers' gateways).
Its wallet and API-key file live in a temporary folder of this test process, shared by
every module's app, so the API's own wallet in the run folder is left alone and the
tests' identities do not collect there run after run.

Logins are cached per identity for the whole test process: ``login(client, org_key,
user)`` enrols once at the org's CA through ``POST /auth/login`` (with the demo secret
kept in the run folder) and returns the ``Authorization`` header; the service accounts
(billing1, headend1) get an ``X-API-Key`` the way ``make run`` makes one
(``enroll_into_wallet`` + ``create_api_key`` in an app context). Tokens and keys are
valid in every module's app: they share the signing key (run folder) and the wallet.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from flask.testing import FlaskClient

from api import create_app
from api.auth import create_api_key, enroll_into_wallet
from api.settings import Paths
from network.ca import OrgCA
from network.topology import ADMIN_USER, COMMUNITY, REGULATOR, UTILITY, Org, org_by_key

__all__ = [
    "ROLES",
    "Api",
    "Role",
    "api_key",
    "api_session",
    "assert_error",
    "login",
    "make_app",
    "secret",
]


@dataclass(frozen=True)
class Role:
    """One column of the access matrix: an identity of the network, and how it authenticates."""

    key: str
    title: str
    org: Org
    user: str
    role: str
    household_id: str | None = None
    uses_api_key: bool = False

    @property
    def grantee(self) -> str:
        return f"{self.org.msp_id}:{self.user}"


HOUSEHOLD = Role("household", "household h-001", COMMUNITY, "household1", "household", "h-001")
HOUSEHOLD2 = Role("household2", "household h-002", COMMUNITY, "household2", "household", "h-002")
METER = Role("meter", "meter headend1 (key)", UTILITY, "headend1", "meter", uses_api_key=True)
OPERATOR = Role("operator", "operator operator1", UTILITY, "operator1", "operator")
BILLING = Role(
    "billing", "billing billing1 (key)", UTILITY, "billing1", "billing", uses_api_key=True
)
REGULATOR_ROLE = Role("regulator", "regulator auditor1", REGULATOR, "auditor1", "regulator")
ADMIN = Role("admin", "utility admin", UTILITY, ADMIN_USER.name, ADMIN_USER.role)
THIRD_PARTY = Role("third_party", "advisor1, consent", COMMUNITY, "advisor1", "third_party")
THIRD_PARTY_NO_CONSENT = Role(
    "third_party_nc", "advisor1, no consent", COMMUNITY, "advisor1", "third_party"
)

ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        HOUSEHOLD,
        HOUSEHOLD2,
        METER,
        OPERATOR,
        BILLING,
        REGULATOR_ROLE,
        ADMIN,
        THIRD_PARTY,
        THIRD_PARTY_NO_CONSENT,
    )
}

_state: dict[str, Any] = {}
_logins: dict[tuple[str, str], dict[str, Any]] = {}
_keys: dict[tuple[str, str], str] = {}


def _state_dir() -> Path:
    """This test process's folder for the apps' wallet and API keys (removed at exit)."""
    if "dir" not in _state:
        folder = Path(tempfile.mkdtemp(prefix="gridledger-api-tests-"))
        atexit.register(shutil.rmtree, folder, True)
        _state["dir"] = folder
    folder: Path = _state["dir"]
    return folder


def make_app(**config: Any) -> APIFlask:
    """``create_app({"TESTING": True, ...})`` with this process's wallet and key file."""
    folder = _state_dir()
    paths = Paths(wallet=folder / "wallet", api_keys=folder / "api-keys.json")
    return create_app({"TESTING": True, "PATHS": paths, **config})


def secret(org_key: str, user: str) -> str:
    return OrgCA(org_by_key(org_key)).secret(user)


def login_response(client: FlaskClient, org_key: str, user: str) -> dict[str, Any]:
    """The body of a successful ``POST /auth/login`` of `user`, made once per process."""
    if (org_key, user) not in _logins:
        response = client.post(
            "/auth/login",
            json={"org": org_key, "enrollment_id": user, "secret": secret(org_key, user)},
        )
        assert response.status_code == 200, response.get_json()
        _logins[org_key, user] = response.get_json()
    return _logins[org_key, user]


def login(client: FlaskClient, org_key: str, user: str) -> dict[str, str]:
    """Bearer auth headers of `user` of `org_key` (cached per identity)."""
    return {"Authorization": f"Bearer {login_response(client, org_key, user)['token']}"}


def api_key(app: APIFlask, org_key: str, user: str) -> dict[str, str]:
    """``X-API-Key`` headers of a service account (cached per identity)."""
    if (org_key, user) not in _keys:
        with app.app_context():
            enrolled = enroll_into_wallet(org_key, user, secret(org_key, user))
            _keys[org_key, user] = create_api_key(app, enrolled.label, org_key)
    return {"X-API-Key": _keys[org_key, user]}


@dataclass
class Api:
    """A test client of one app, and the headers of each role."""

    app: APIFlask
    client: FlaskClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = self.app.test_client()

    def headers(self, role: Role) -> dict[str, str]:
        if role.uses_api_key:
            return api_key(self.app, role.org.key, role.user)
        return login(self.client, role.org.key, role.user)

    def call(
        self,
        method: str,
        path: str,
        role: Role | None = None,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        sent = dict(self.headers(role)) if role is not None else {}
        sent.update(headers or {})
        return self.client.open(path, method=method, headers=sent, **kwargs)

    def get(self, path: str, role: Role | None = None, **kwargs: Any) -> Any:
        return self.call("GET", path, role, **kwargs)

    def post(self, path: str, role: Role | None = None, **kwargs: Any) -> Any:
        return self.call("POST", path, role, **kwargs)

    def ok(self, method: str, path: str, role: Role | None, status: int, **kwargs: Any) -> Any:
        """The JSON body of a call that must answer `status`."""
        response = self.call(method, path, role, **kwargs)
        assert response.status_code == status, (method, path, response.get_json(silent=True))
        return response.get_json()


@contextmanager
def api_session(**config: Any) -> Iterator[Api]:
    """An Api over a fresh app (one per test module); its peer channels closed at the end."""
    app = make_app(**config)
    try:
        yield Api(app)
    finally:
        app.extensions["gridledger"].close()


def assert_error(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    """A JSON error of exactly `status` in the API's shape, whose text has every fragment."""
    body = response.get_json(silent=True)
    assert response.status_code == status, (response.status_code, body or response.data[:300])
    assert isinstance(body, dict), response.data[:300]
    assert set(body) == {"status", "message", "detail"}, body
    assert body["status"] == status, body
    assert isinstance(body["message"], str) and body["message"], body
    text = f"{body['message']} {body['detail']}"
    for fragment in fragments:
        assert fragment in text, (fragment, body)
    return body
