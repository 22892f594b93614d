"""One blueprint per resource, and the errors each one's operations may answer."""

from api.auth import bp as auth
from api.errors import LEDGER_ERRORS
from api.routes.admin import bp as admin
from api.routes.audit import bp as audit
from api.routes.consents import bp as consents
from api.routes.consortium import bp as consortium
from api.routes.events import bp as events
from api.routes.funding import bp as funding
from api.routes.greenbutton import bp as greenbutton
from api.routes.health import bp as health
from api.routes.invoices import bp as invoices
from api.routes.market import bp as market
from api.routes.membership import bp as membership
from api.routes.meters import bp as meters
from api.routes.readings import bp as readings
from api.routes.tariffs import bp as tariffs

BLUEPRINTS = (
    health,
    auth,
    admin,
    meters,
    readings,
    consents,
    tariffs,
    market,
    invoices,
    events,
    consortium,
    funding,
    greenbutton,
    audit,
    membership,
)

# What each blueprint's operations may answer besides their success, 401, 422, a path's
# 404 and a body's 400: errors.document_errors lists it in the OpenAPI document.
ERRORS: dict[str, dict[int, str]] = {
    auth.name: {401: "The org's CA refused the enrolment"},
    admin.name: {
        400: "The CA refused the registration",
        403: "The caller is not an org admin",
        409: "The enrollment id is already registered at the CA",
    },
    audit.name: {
        403: "The caller is not a regulator, or its org may not read the channel's blocks",
        404: "The channel does not exist on the peer of the caller's org",
    },
    membership.name: {
        403: "The caller is not an org admin, or its org may not sign the change",
        404: "No such membership change",
        409: "The change is refused in its present state (e.g. it needs more signatures)",
        502: "A step of the change failed on the network",
    },
    **{
        blueprint.name: LEDGER_ERRORS
        for blueprint in (
            meters,
            readings,
            consents,
            tariffs,
            market,
            invoices,
            events,
            consortium,
            funding,
            greenbutton,
        )
    },
}
