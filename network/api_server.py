"""An org's own API: the operator starts it beside the org's nodes, and says how to log in.

The API runs under waitress as one more process of the org (pid file and log in its
home, stopped by `down`). It finds the network through the org's connection profile
and keeps its wallet in the org's home; its secrets (the wallet passphrase, the token
signing key) reach it as paths to files in the home's secrets folder, never on its
command line and never beside the wallet they protect. This module never imports the
API: it starts a process and talks HTTP to it, as any operator would.

The demo logins are the enrolment ids and secrets the org's CA issued at bring-up;
the org's service accounts (billing, meter head-ends) also get API keys, which the
org admin creates through the API (`POST /admin/api-keys`).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

from network.console import NetworkError, info, step
from network.home import OrgHome, write_private
from network.paths import REPO
from network.procs import Process, wait_until
from network.runtime import ensure_alive, start
from network.topology import ADMIN_USER, API_OFFSET

SERVICE_ROLES = ("billing", "meter")


def process(home: OrgHome) -> Process:
    org = home.org
    port = str(org.port(API_OFFSET))
    argv = (sys.executable, "-m", "api", "--host", org.listen_host, "--port", port)
    tls = home.identity_tls("api")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home.path),
        "PYTHONPATH": str(REPO),
        "GRIDLEDGER_CONNECTION_PROFILE": str(home.profile),
        "GRIDLEDGER_API_DIR": str(home.api),
        "GRIDLEDGER_WALLET_PASSPHRASE_FILE": str(secret_file(home, "api-wallet-passphrase")),
        "GRIDLEDGER_API_SECRET_FILE": str(secret_file(home, "api-token-key")),
        "GRIDLEDGER_API_TLS_CERT": str(tls / "cert.pem"),
        "GRIDLEDGER_API_TLS_KEY": str(tls / "key.pem"),
    }
    return Process(f"api-{org.key}", argv, env, home.path)


def secret_file(home: OrgHome, name: str) -> Any:
    home.secret(name)
    return home.secret_file(name)


def request(home: OrgHome, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """One JSON request to the org's API; NetworkError with the API's message on an error."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(home.org.api_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        req.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            detail = exc.read().decode(errors="replace")[:500]
        raise NetworkError(f"{method} {path} at {home.org.api_url}: {exc.code} {detail}") from exc


def healthy(home: OrgHome) -> bool:
    ensure_alive(home, process(home))
    try:
        with urllib.request.urlopen(home.org.api_url + "/healthz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def start_api(home: OrgHome) -> None:
    org = home.org
    url = org.api_url
    if not home.profile.exists():
        raise NetworkError(f"{org.key} has no connection profile yet: join a channel first")
    step(f"{org.key}: API on {url} (OpenAPI {url}/openapi.json, docs {url}/docs)")
    start(home, process(home), ((org.host, org.port(API_OFFSET)),))
    wait_until(lambda: healthy(home), f"the API of {org.key} to answer /healthz", timeout=60)


def login(home: OrgHome, user: str) -> str:
    """A bearer token of `user`, logged in with the secret the org's CA issued it."""
    body = {"enrollment_id": user, "secret": home.secret(f"enrollment-{user}")}
    return str(request(home, "POST", "/auth/login", body)["token"])


def service_keys(home: OrgHome) -> dict[str, str]:
    """API keys of the org's service accounts, made once by its admin, kept in its secrets."""
    path = home.secret_file("demo-api-keys.json")
    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = [u.name for u in home.org.users if u.role in SERVICE_ROLES and u.name not in keys]
    if wanted:
        token = login(home, ADMIN_USER.name)
        for name in wanted:
            body = {"enrollment_id": name, "secret": home.secret(f"enrollment-{name}")}
            made = request(home, "POST", "/admin/api-keys", body, Authorization=f"Bearer {token}")
            keys[name] = made["api_key"]
        write_private(path, json.dumps(keys, indent=2) + "\n")
    return keys


def credentials(home: OrgHome) -> None:
    org = home.org
    keys = service_keys(home)
    info(f"{org.key}: log in with POST {org.api_url}/auth/login {{enrollment_id, secret}}:")
    for user in (ADMIN_USER, *org.users):
        extra = f"  X-API-Key: {keys[user.name]}" if user.name in keys else ""
        attrs = "".join(f" {k}={v}" for k, v in user.attributes.items())
        secret = home.secret(f"enrollment-{user.name}")
        info(f"  {user.name:11} role={user.role:11}{attrs:22} secret={secret}{extra}")
    info(f"{org.key}: dashboard {org.api_url}/ui/, signing in with the same ids and secrets")
    if org.kind == "utility":
        info(
            f"{org.key}: OpenADR 3 VTN {org.api_url}/communities/<community>/openadr3/3.0.1 "
            "(token: POST auth/token, client_id and client_secret as above)"
        )
    info(f"{org.key}: its secrets and keys live in {home.secrets} (never use them beyond a demo)")


def run_api(home: OrgHome) -> None:
    start_api(home)
    credentials(home)
