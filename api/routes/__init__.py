"""One blueprint per resource, where each is mounted, and the errors each one may answer.

The dashboard's pages (`api/dashboard/`, under /ui) and the utility's OpenADR 3 VTN
(`api/openadr/`) are mounted here too, after the API's own blueprints: they use its login
and its ledger facade, and are not in its document (the VTN follows OpenADR's own).
"""

from __future__ import annotations

from apiflask import APIFlask

from api import dashboard, openadr
from api.auth import bp as auth
from api.errors import LEDGER_ERRORS
from api.routes.accesses import bp as accesses
from api.routes.admin import bp as admin
from api.routes.agents import bp as agents
from api.routes.audit import bp as audit
from api.routes.certificates import bp as certificates
from api.routes.communities import PREFIX, pick_community
from api.routes.communities import bp as communities
from api.routes.consents import bp as consents
from api.routes.consortium import bp as consortium
from api.routes.demand_response import bp as demand_response
from api.routes.events import bp as events
from api.routes.funding import bp as funding
from api.routes.greenbutton import bp as greenbutton
from api.routes.health import bp as health
from api.routes.invoices import bp as invoices
from api.routes.market import bp as market
from api.routes.meters import bp as meters
from api.routes.readings import bp as readings
from api.routes.tariffs import bp as tariffs
from api.routes.updates import bp as updates

# the org's own: mounted at their own prefix
BLUEPRINTS = (health, auth, admin, communities, consortium, funding, audit, updates)
# one community's: mounted under /communities/<community>
COMMUNITY_BLUEPRINTS = (
    meters,
    readings,
    consents,
    tariffs,
    market,
    agents,
    invoices,
    events,
    demand_response,
    greenbutton,
    accesses,
    certificates,
)

# What each blueprint's operations may answer besides their success, 401, 422, a path's
# 404 and a body's 400: errors.document_errors lists it in the OpenAPI document.
ERRORS: dict[str, dict[int, str]] = {
    auth.name: {
        400: "An API key is not logged out (logout)",
        401: "The org's CA refused the enrolment",
        429: "Too many failed logins: retry after the Retry-After header's seconds, or ask "
        "your org admin to unlock the identity (the message says which)",
    },
    admin.name: {
        400: "The CA refused the registration, revocation or new secret",
        403: "The caller is not an org admin",
        404: "No such API key, or the CA has no such identity",
        409: "The enrollment id is already registered at the CA, or an admin revokes itself",
    },
    audit.name: {
        403: "The caller is not a regulator, or its org may not read the channel's blocks",
        404: "The channel does not exist on the peer of the caller's org",
    },
    updates.name: {
        400: "A proposal, signature or bundle that cannot be used (the message says why)",
        403: "The caller is not an org admin",
        404: "No such config update",
        409: "The update is refused in its present state (e.g. it needs more signatures)",
        502: "The orderer refused the update, or the channel could not be read",
        503: "No orderer of the channel could be reached",
    },
    **{blueprint.name: LEDGER_ERRORS for blueprint in (*COMMUNITY_BLUEPRINTS, consortium, funding)},
}


for _blueprint in COMMUNITY_BLUEPRINTS:
    _blueprint.url_value_preprocessor(pick_community)


def register(app: APIFlask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for blueprint in COMMUNITY_BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=PREFIX + (blueprint.url_prefix or ""))
    openadr.init_app(app)
    dashboard.init_app(app)
