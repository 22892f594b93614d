"""Where the tests find each org's identities: its home on this machine (`run/orgs/<org>`).

The tests look at the consortium from outside, as every party at once: they read each
org's home for the identities they act as. The operator's commands never do that;
each opens its own org's home only.
"""

from __future__ import annotations

from pathlib import Path

from network.ca import private_key
from network.home import OrgHome
from network.topology import Org


def home(org: Org) -> OrgHome:
    return OrgHome.of(org.key)


def secret(org: Org, user: str) -> str:
    """The enrolment secret the org's CA issued `user` at bring-up."""
    return home(org).secret(f"enrollment-{user}")


def msp_dir(org: Org, user: str) -> Path:
    return home(org).identity_msp(user)


def key_file(org: Org, user: str) -> Path:
    return private_key(msp_dir(org, user))


def ca_cert(org: Org) -> Path:
    return home(org).ca_cert
