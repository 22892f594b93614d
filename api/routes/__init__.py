"""One blueprint per resource."""

from api.auth import bp as auth
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
