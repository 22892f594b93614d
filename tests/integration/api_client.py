"""What the API's integration tests share: each org's API on the real network, and who calls it.

Every org runs its own API, so ``api_session()`` makes, for one test module, a Flask
test client of ``api.create_app({"TESTING": True, ...})`` per org, each configured as
that org's operator configures its API: the org's connection profile and the API's own
TLS client certificate from the org's home. A call as a role goes to the API of the
role's org (households at the community's, operators and billing at the utility's,
the auditor at the regulator's). The apps' wallets and API-key files live in a
temporary folder of this test process, one per org, shared by every module's app, so
the APIs' own wallets in the orgs' homes are left alone.

Logins are cached per identity for the whole test process: ``login(client, org_key,
user)`` enrols once at the org's CA through ``POST /auth/login`` (with the secret the
org's CA issued at bring-up) and returns the ``Authorization`` header; the service
accounts (billing1, headend1) get an ``X-API-Key`` as their admin makes one. Tokens and
keys are valid in every module's app of the same org: they share its signing key and
wallet.
"""

from __future__ import annotations

import atexit
import secrets
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
from api.auth import enroll_into_wallet
from api.ledger import access
from network.home import OrgHome
from network.topology import ADMIN_USER, COMMUNITY, REGULATOR, UTILITY, Org

__all__ = [
    "ROLES",
    "SUNNYSIDE",
    "Api",
    "Role",
    "api_key",
    "api_session",
    "assert_error",
    "login",
    "make_app",
    "secret",
]


SUNNYSIDE = "/communities/sunnyside"  # where the first community's resources live


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


def make_app(org_key: str = "utility", **config: Any) -> APIFlask:
    """Org `org_key`'s API as ``create_app({"TESTING": True, ...})``, with this process's
    wallet, key file and secrets for that org."""
    org_home = OrgHome.of(org_key)
    tls = org_home.identity_tls("api")
    keys = _state.setdefault("keys", {})
    settings = {
        "TESTING": True,
        "PROFILE": org_home.profile,
        "API_DIR": _state_dir() / org_key,
        "TLS_CERT": tls / "cert.pem",
        "TLS_KEY": tls / "key.pem",
        "WALLET_PASSPHRASE": "tests-wallet-passphrase",
        "SECRET_KEY": keys.setdefault(org_key, secrets.token_urlsafe(32)),
    }
    return create_app({**settings, **config})


def secret(org_key: str, user: str) -> str:
    return OrgHome.of(org_key).secret(f"enrollment-{user}")


def login_response(client: FlaskClient, org_key: str, user: str) -> dict[str, Any]:
    """The body of a successful ``POST /auth/login`` of `user`, made once per process."""
    if (org_key, user) not in _logins:
        response = client.post(
            "/auth/login", json={"enrollment_id": user, "secret": secret(org_key, user)}
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
            enrolled = enroll_into_wallet(user, secret(org_key, user))
            _keys[org_key, user] = access().api_keys.create(enrolled.label)[0]
    return {"X-API-Key": _keys[org_key, user]}


@dataclass
class Api:
    """A test client of each org's app, and the headers of each role."""

    config: dict[str, Any] = field(default_factory=dict)
    apps: dict[str, APIFlask] = field(default_factory=dict)
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def app_of(self, org_key: str) -> APIFlask:
        if org_key not in self.apps:
            self.apps[org_key] = make_app(org_key, **self.config)
            self.clients[org_key] = self.apps[org_key].test_client()
        return self.apps[org_key]

    @property
    def app(self) -> APIFlask:
        """The utility's app (for calls that need no caller)."""
        return self.app_of("utility")

    def client_of(self, org_key: str) -> FlaskClient:
        self.app_of(org_key)
        return self.clients[org_key]

    @property
    def client(self) -> FlaskClient:
        return self.client_of("utility")

    def headers(self, role: Role) -> dict[str, str]:
        if role.uses_api_key:
            return api_key(self.app_of(role.org.key), role.org.key, role.user)
        return login(self.client_of(role.org.key), role.org.key, role.user)

    def call(
        self,
        method: str,
        path: str,
        role: Role | None = None,
        *,
        headers: dict[str, str] | None = None,
        org: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """`method path` at the API of `org` (default: the role's org; else the utility's)."""
        sent = dict(self.headers(role)) if role is not None else {}
        sent.update(headers or {})
        target = org or (role.org.key if role is not None else "utility")
        return self.client_of(target).open(path, method=method, headers=sent, **kwargs)

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
    """An Api over fresh apps (one per org, per test module); their channels closed at the end."""
    api = Api(config)
    try:
        yield api
    finally:
        for app in api.apps.values():
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
