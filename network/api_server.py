"""The API beside the network: `make run` starts it and prints how to log in as each role.

The API runs under waitress as one more process of the network (pid file and log in
the run folder, stopped by `make down`). The demo credentials are the enrolment ids
and secrets the CAs issued at bring-up (kept in the git-ignored run folder); the two
service accounts, billing and the meter head-end, also get API keys.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

from network.ca import OrgCA
from network.console import info, step
from network.paths import REPO, run_dir
from network.procs import Process, ensure_alive, start, wait_until
from network.topology import ADMIN_USER, HOST, ORGS

API_PORT = 8800
SERVICE_ACCOUNTS = (("utility", "billing1"), ("utility", "headend1"))


def url() -> str:
    return f"http://{HOST}:{API_PORT}"


def process() -> Process:
    argv = (sys.executable, "-m", "api", "--host", HOST, "--port", str(API_PORT))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(REPO),
        "GRIDLEDGER_RUN_DIR": str(run_dir()),
        # admitting an org starts its nodes, whose configs come from the Go module cache
        **{k: v for k, v in os.environ.items() if k.startswith("GO")},
    }
    return Process("api", argv, env)


def healthy() -> bool:
    ensure_alive(process())
    try:
        with urllib.request.urlopen(url() + "/healthz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def start_api() -> None:
    step(f"API on {url()} (OpenAPI {url()}/openapi.json, docs {url()}/docs)")
    start(process(), (API_PORT,))
    wait_until(healthy, "the API to answer /healthz", timeout=60)


def service_keys() -> dict[str, str]:
    """API keys of the service accounts, made once and kept in the run folder."""
    from api import create_app
    from api.auth import create_api_key, enroll_into_wallet

    path = run_dir() / "api" / "demo-api-keys.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    app = create_app()
    keys = {}
    with app.app_context():
        for org_key, user in SERVICE_ACCOUNTS:
            org = next(o for o in ORGS if o.key == org_key)
            enrolled = enroll_into_wallet(org_key, user, OrgCA(org).secret(user))
            keys[user] = create_api_key(app, enrolled.label, org_key)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return keys


def credentials() -> None:
    keys = service_keys()
    info(f"log in: POST {url()}/auth/login with {{org, enrollment_id, secret}}:")
    for org in ORGS:
        for user in (ADMIN_USER, *org.users):
            extra = f"  X-API-Key: {keys[user.name]}" if user.name in keys else ""
            attrs = "".join(f" {k}={v}" for k, v in user.attributes.items())
            info(
                f"  {org.key:9} {user.name:11} role={user.role:11}{attrs:18} "
                f"secret={OrgCA(org).secret(user.name)}{extra}"
            )
    info(f"secrets and keys live in {run_dir()} (git-ignored); never use them beyond a demo")


def run_api() -> None:
    start_api()
    credentials()
