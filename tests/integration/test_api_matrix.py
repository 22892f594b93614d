"""Who may call what: every endpoint of the API x every kind of caller, on the real network.

``ROWS`` below is the one table; ``MATRIX`` is the same as markdown (print it to quote
it). Each row is an endpoint, the chaincode transaction behind it and who the role
table (``gridspec/roles.py``) lets call it; each cell the exact answer one caller gets:

- ``200``/``201``: allowed, done (payloads are valid for that caller: its own
  household, its own orders, idempotent repeats of fixed records);
- ``404``/``409``: allowed, and the ledger or the CA answered for the record: the access
  check passed (``409`` admin: the enrolment id is already registered at the CA;
  ``404`` h-002: revoking ``matrix-revoked`` looks in h-002's own consents only;
  ``409`` on the run's funding campaign, far from its goal and its deadline: release
  and refunds are refused for that reason);
- ``org``: 403 ``caller from <MSP> (<kind>) may not call <tx>; allowed: <org kinds>``;
- ``role``: 403 ``caller role '<role>' may not call <tx>; allowed: <roles>``;
- ``own``: 403, a household on another household's records: ``household h-002 may not
  read household h-001`` / ``... may not read the invoices of household h-001`` /
  ``... may not read the accesses of household h-001``;
- ``consent``: 403 ``no live consent of household h-001 lets CommunityMSP:advisor1 read
  readings from <start> to <end>`` (from the chaincode);
- ``admin``: 403 ``caller role '<role>' may not register identities; allowed: admin``;
- ``creator``: 403 ``<role> of <MSP> may not create campaigns: only the utility's operator
  or a community's admin may`` (from the chaincode: the role table allows both roles
  from both kinds of org);
- ``audit``: 403 ``caller role '<role>' may not audit channels; allowed: regulator``;
- ``updates``: 403 ``caller role '<role>' may not change channels; allowed: admin``
  (the admin's ``404``: the config update asked for is not known to its org's API; its
  ``409``: removing an org that is no member cannot be proposed; admitting and removing
  orgs for real is `test_onboarding.py`'s job);
- ``apikey``: 403 ``caller role '<role>' may not create API keys; allowed: admin``.

Each caller calls its own org's API: households and the advisor the community's, the
head-end, billing, the operator and the admin the utility's, the auditor the regulator's.

The callers: households h-001 (household1) and h-002 (household2), the meter head-end
(headend1) and billing (billing1) with API keys, the utility's operator (operator1) and
admin, the regulator (auditor1), and the third party advisor1 while household1's
consent is live and after it is revoked.

Then every ``org``/``role`` cell again straight against the chaincode with the same
identity (Gateway evaluate/submit, no API): the ledger refuses with the same message.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import ROLES, SUNNYSIDE, Api, Role, api_session, secret
from community_fixtures import KEYS, TARIFF, approved_tariff, posted, register, signed
from member_registry import ensure_registered

from client import EndorseError, Gateway, GatewayError
from client.greenbutton import export_readings
from client.transactions import CONSORTIUM_CONTRACTS, CONTRACTS
from network.connect import gateway
from network.scenario import Household, community, day_readings
from network.topology import UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

C = "/communities/<community>"  # the prefix of a community's resources in the URL map
COLUMNS = tuple(ROLES)  # household household2 meter operator billing regulator admin tp tp_nc
A = "200   200   200   200   200   200   200   200   200"  # anyone


@dataclass(frozen=True)
class Row:
    endpoint: str  # "METHOD /rule", exactly as the app's URL map has it
    transaction: str | None  # the chaincode transaction behind it, if any
    who: str  # "<org kinds> / <roles>" as the role table's messages name them
    cells: dict[str, str]


def row(endpoint: str, transaction: str | None, who: str, cells: str) -> Row:
    codes = cells.split()
    assert len(codes) == len(COLUMNS), endpoint
    return Row(endpoint, transaction, who, dict(zip(COLUMNS, codes, strict=True)))


UTIL_OPERATOR = "org   org   role  201   role  org   role  org   org"
UTIL_METER = "org   org   201   role  role  org   role  org   org"
UTIL_METER_200 = "org   org   200   role  role  org   role  org   org"
UTIL_OPERATOR_200 = "org   org   role  200   role  org   role  org   org"
READERS = "200   own   role  200   200   role  role  200   consent"
INVOICE_READERS = "200   own   role  role  200   org   role  role  role"
ALL_ORGS = "utility, community, regulator"
MARKET_STAFF = "utility, community / operator, billing, admin"
AUDITORS = "audit audit audit audit audit 200   audit audit audit"
AUDIT_WHO = "any org / regulator (checked by the API)"
UPDATES = "updates updates updates updates updates updates {} updates updates"
UPDATES_WHO = "any org / admin (checked by the API)"

# fmt: off
#         columns: h-001 h-002 meter oper  bill  reg   admin tp+   tp-
ROWS: list[Row] = [
    row("GET /healthz", None, "no auth", A),
    row("GET /metrics", None, "no auth", A),
    row("POST /auth/login", None, "any enrolled identity", A),
    row("POST /admin/identities", None, "any org / admin (checked by the API)",
        "admin admin admin admin admin admin 409   admin admin"),
    row("POST /admin/api-keys", None, "any org / admin (checked by the API)",
        "apikey apikey apikey apikey apikey apikey 201 apikey apikey"),
    row("POST /auth/logout", None, "any caller with a token (checked by the API)",
        "204   204   400   204   400   204   204   204   204"),
    row("GET /admin/api-keys", None, "any org / admin (checked by the API)",
        "admin admin admin admin admin admin 200   admin admin"),
    row("POST /admin/api-keys/<key_id>/rotation", None, "any org / admin (checked by the API)",
        "admin admin admin admin admin admin 404   admin admin"),
    row("DELETE /admin/api-keys/<key_id>", None, "any org / admin (checked by the API)",
        "admin admin admin admin admin admin 404   admin admin"),
    row("POST /admin/identities/<enrollment_id>/revocation", None,
        "any org / admin (checked by the API)",
        "admin admin admin admin admin admin 404   admin admin"),
    row("POST /admin/identities/<enrollment_id>/unlock", None,
        "any org / admin (checked by the API)",
        "admin admin admin admin admin admin 404   admin admin"),
    row("GET /communities", None, "any authenticated caller", A),
    row(f"POST {C}/meters", "RegisterMeter", "utility / operator", UTIL_OPERATOR),
    row(f"GET {C}/meters/<meter_id>", "GetMeter", "anyone", A),
    row(f"GET {C}/meters", "ListMeters", "utility, community / household, operator, billing, admin",
        "200   200   role  200   200   org   200   role  role"),
    row(f"POST {C}/readings", "SubmitReadings", "utility / meter", UTIL_METER),
    row(f"POST {C}/readings/green-button/payloads", "SubmitReadings", "utility / meter",
        UTIL_METER_200),
    row(f"GET {C}/households/<household_id>/readings", "GetReadings",
        f"{ALL_ORGS} / household, operator, billing, third_party", READERS),
    row(f"GET {C}/households/<household_id>/readings/green-button", "GetReadings",
        f"{ALL_ORGS} / household, operator, billing, third_party", READERS),
    row(f"GET {C}/meters/<meter_id>/readings/<interval_start>/disclosure", "DiscloseReading",
        f"{ALL_ORGS} / household, operator, billing, third_party", READERS),
    row(f"GET {C}/meters/<meter_id>/days/<day>/commitment", "GetReadingCommitment", "anyone", A),
    row(f"POST {C}/readings/verify", "VerifyReading", "anyone", A),
    row(f"POST {C}/readings/retention", "PurgeExpiredReadings", "utility / operator",
        UTIL_OPERATOR_200),
    row(f"POST {C}/consents", "GrantConsent", "community / household",
        "201   201   org   org   org   org   org   role  role"),
    row(f"DELETE {C}/consents/<consent_id>", "RevokeConsent", "community / household",
        "200   404   org   org   org   org   org   role  role"),
    row(f"GET {C}/consents", "ListConsents", "community / household",
        "200   200   org   org   org   org   org   role  role"),
    row(f"POST {C}/tariffs", "ProposeTariff", "utility / operator", UTIL_OPERATOR),
    row(f"POST {C}/tariffs/<tariff_id>/approval", "ApproveTariff", "regulator / regulator",
        "org   org   org   org   org   200   org   org   org"),
    row(f"GET {C}/tariffs/<tariff_id>", "GetTariff", "anyone", A),
    row(f"GET {C}/tariffs", "ListTariffs", "anyone", A),
    row(f"GET {C}/tariffs/in-force/<day>", "TariffInForce", "anyone", A),
    row(f"POST {C}/orders", "PlaceOrder", "community / household, agent",
        "201   201   org   org   org   org   org   role  role"),
    row(f"GET {C}/orders", "ListMyOrders", "community / household",
        "200   200   org   org   org   org   org   role  role"),
    row(f"GET {C}/intervals/<interval_start>/order-book", "GetOrderBook", "anyone", A),
    row(f"POST {C}/intervals/<interval_start>/clearing", "ClearInterval", "utility / operator",
        UTIL_OPERATOR),
    row(f"GET {C}/intervals/<interval_start>/clearing", "GetClearing", "anyone", A),
    row(f"POST {C}/intervals/<interval_start>/settlement", "SettleInterval",
        "utility / operator, billing", "org   org   role  201   201   org   role  org   org"),
    row(f"POST {C}/agents", "GrantAgent", "community / household",
        "201   201   org   org   org   org   org   role  role"),
    row(f"DELETE {C}/agents/<agent_id>", "RevokeAgent", "community / household",
        "200   404   org   org   org   org   org   role  role"),
    row(f"GET {C}/agents", "ListAgents", "community / household",
        "200   200   org   org   org   org   org   role  role"),
    row(f"GET {C}/intervals/<interval_start>/clearing/detail", "GetClearingDetail",
        MARKET_STAFF, "role  role  role  200   200   org   200   role  role"),
    row(f"GET {C}/intervals/<interval_start>/disclosure", "GetClearingDisclosure",
        MARKET_STAFF, "role  role  role  200   200   org   200   role  role"),
    row(f"POST {C}/intervals/<interval_start>/audit", "AuditClearing", "anyone", A),
    row(f"GET {C}/trades", "ListTrades", "utility, community / household, operator, billing, admin",
        "200   200   role  200   200   org   200   role  role"),
    row(f"POST {C}/invoices", "GenerateInvoice", "utility / billing",
        "org   org   role  role  201   org   role  org   org"),
    row(f"GET {C}/invoices", "ListInvoiceEvidence", "anyone", A),
    row(f"GET {C}/households/<household_id>/invoices/<period_start>/<period_end>", "GetInvoice",
        "utility, community / household, billing", INVOICE_READERS),
    row(f"GET {C}/households/<household_id>/invoices/<period_start>/<period_end>/evidence",
        "GetInvoiceEvidence", "anyone", A),
    row(f"GET {C}/households/<household_id>/invoices/green-button", "GetInvoice",
        "utility, community / household, billing", INVOICE_READERS),
    row(f"GET {C}/households/<household_id>/accesses", "ListAccesses", "community / household",
        "200   own   org   org   org   org   org   role  role"),
    row(f"GET {C}/accesses/counts", "CountAccesses", "regulator / regulator",
        "org   org   org   org   org   200   org   org   org"),
    row(f"POST {C}/certificates/issuance", "IssueCertificates", "utility / operator",
        UTIL_OPERATOR),
    row(f"POST {C}/certificates/cancellation", "CancelCertificates", "community / household",
        "201   201   org   org   org   org   org   role  role"),
    row(f"GET {C}/certificates", "ListCertificates", "community / household",
        "200   200   org   org   org   org   org   role  role"),
    row(f"GET {C}/certificates/<certificate_id>/disclosure", "DiscloseCertificate",
        "utility, community / household, operator",
        "404   own   role  404   role  org   role  role  role"),
    row(f"POST {C}/certificates/audit", "AuditCertificate", "anyone",
        "400   400   400   400   400   400   400   400   400"),
    row(f"POST {C}/grid-events", "ReportGridEvent", "utility / operator", UTIL_OPERATOR),
    row(f"POST {C}/grid-events/<event_id>/end", "EndGridEvent", "utility / operator",
        "org   org   role  200   role  org   role  org   org"),
    row(f"GET {C}/grid-events/<event_id>", "GetGridEvent", "anyone", A),
    row(f"GET {C}/grid-events", "ListGridEvents", "anyone", A),
    row(f"GET {C}/demand-response/<event_id>/history", "DemandResponseHistory", "anyone", A),
    row(f"GET {C}/demand-response/<event_id>/effect", None, "utility / operator",
        "measure measure measure 200 measure measure measure measure measure"),
    row("GET /members", "ListMembers", "anyone", A),
    row("GET /members/<msp_id>", "GetMember", "anyone", A),
    row("PUT /members/<msp_id>", "RegisterMember", f"{ALL_ORGS} / admin",
        "role  role  role  role  role  role  200   role  role"),
    row("POST /aggregates", "PublishAggregate", "utility / operator", UTIL_OPERATOR),
    row("GET /aggregates/<community>", "ListAggregates", "anyone", A),
    row("GET /aggregates/threshold", "GetThreshold", "anyone", A),
    row("PUT /aggregates/threshold", "SetThreshold", "regulator / regulator",
        "org   org   org   org   org   200   org   org   org"),
    row("POST /campaigns", "CreateCampaign", "utility, community / operator, admin",
        "role  role  role  201   role  org   creator role  role"),
    row("GET /campaigns", "ListCampaigns", "anyone", A),
    row("GET /campaigns/<campaign_id>", "GetCampaign", "anyone", A),
    row("POST /campaigns/<campaign_id>/pledges", "Pledge", "community / household",
        "201   201   org   org   org   org   org   role  role"),
    row("GET /campaigns/<campaign_id>/pledges", "ListMyPledges", "community / household",
        "200   200   org   org   org   org   org   role  role"),
    row("POST /campaigns/<campaign_id>/approvals", "ApproveMilestone", f"{ALL_ORGS} / admin",
        "role  role  role  role  role  role  201   role  role"),
    row("POST /campaigns/<campaign_id>/release", "Release", "utility / operator",
        "org   org   role  409   role  org   role  org   org"),
    # households refund their own pledge (Refund); everyone else asks for RefundAll
    row("POST /campaigns/<campaign_id>/refunds", "RefundAll", "utility / operator",
        "409   409   role  409   role  org   role  org   org"),
    row("GET /audit/channels/<channel>/verification", None, AUDIT_WHO, AUDITORS),
    row("GET /audit/channels/<channel>/config-history", None, AUDIT_WHO, AUDITORS),
    row("GET /audit/channels/<channel>/keys", None, AUDIT_WHO, AUDITORS),
    row("GET /config-updates", None, UPDATES_WHO, UPDATES.format("200")),
    row("POST /config-updates", None, UPDATES_WHO, UPDATES.format("409")),
    row("GET /config-updates/<update_id>", None, UPDATES_WHO, UPDATES.format("404")),
    row("POST /config-updates/<update_id>/signatures", None, UPDATES_WHO, UPDATES.format("404")),
    row("POST /config-updates/<update_id>/submission", None, UPDATES_WHO, UPDATES.format("404")),
]
# fmt: on


def markdown(rows: list[Row]) -> str:
    titles = [ROLES[key].title for key in COLUMNS]
    lines = [
        "| endpoint | transaction | who (org kinds / roles) | " + " | ".join(titles) + " |",
        "|" + " --- |" * (3 + len(titles)),
    ]
    for r in rows:
        codes = (r.cells[key] for key in COLUMNS)
        cells = " | ".join(code if code.isdigit() else f"403 {code}" for code in codes)
        lines.append(f"| `{r.endpoint}` | {r.transaction or '-'} | {r.who} | {cells} |")
    return "\n".join(lines)


MATRIX = markdown(ROWS)

# -- the scene: the records the rows act on, made (once per ledger) before the matrix ------

CHANNEL = "community-sunnyside"
DAY, NEXT_DAY = "2026-02-14", "2026-02-15"
WINDOW = ("2026-02-14T00:00:00Z", "2026-02-14T02:00:00Z")
H1, H2 = community()[0], community()[1]
MATRIX_DATE = datetime(2026, 2, 14, tzinfo=UTC).date()
MATRIX_READINGS = day_readings(H1, MATRIX_DATE)[:8]
FIXED_CONSENT = "matrix-grant"
AGENT_LIMITS = {
    "max_buy_price_per_kwh": 30,
    "min_sell_price_per_kwh": 5,
    "max_wh_per_interval": 900,
}
REVOKED_CONSENT = "matrix-revoked"
NO_UPDATE = "20260101T000000Z-consortium-removal-000000"
# h-001's certificate of an hour at night, when it exports nothing: never issued
NIGHT_CERTIFICATE = "gc-h-001-2026021400"
NO_KEY = "key-000000000000"  # no API key has this id
NO_IDENTITY = "matrix-never-registered"
# what the admin rows' refusals say the caller may not do
ADMIN_ACTIONS = {
    "GET /admin/api-keys": "list API keys",
    "POST /admin/api-keys/<key_id>/rotation": "rotate API keys",
    "DELETE /admin/api-keys/<key_id>": "delete API keys",
    "POST /admin/identities/<enrollment_id>/revocation": "revoke identities",
    "POST /admin/identities/<enrollment_id>/unlock": "unlock identities",
}
FIXED_EVENT = {
    "event_id": "matrix-outage",
    "event_type": "OUTAGE",
    "feeder": "F-1",
    "start": "2026-02-14T03:00:00Z",
    "end": None,
    "cause": "access matrix",
    "affected_meters": 3,
}
DR_EVENT = {  # an hour of WINDOW, in which h-001 has readings on the ledger
    "id": "matrix-dr",
    "programID": "matrix-program",
    "intervalPeriod": {"start": WINDOW[0], "duration": "PT1H"},
    "intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": [0.5]}]}],
}
AGGREGATE = {
    "community": "sunnyside",
    "interval_start": "2026-02-14T12:00:00Z",
    "households": 1000,
    "import_wh": 250_000,
    "export_wh": 40_000,
}
FMT = "%Y-%m-%dT%H:%M:%SZ"
IDENTITIES = {key: (role.org, role.user) for key, role in ROLES.items()}


def salt() -> str:
    return base64.urlsafe_b64encode(os.urandom(18)).decode()


def contract(gw: Gateway, transaction: str) -> Any:
    name = CONTRACTS[transaction][0]
    if name in CONSORTIUM_CONTRACTS:
        return gw.get_network("consortium").get_contract("consortium", name)
    return gw.get_network(CHANNEL).get_contract("community", name)


def evaluate(gw: Gateway, transaction: str, *args: str) -> Any:
    return json.loads(contract(gw, transaction).evaluate(transaction, args=args))


def submit(gw: Gateway, transaction: str, *args: str, transient: Any = None) -> Any:
    return json.loads(contract(gw, transaction).submit(transaction, args=args, transient=transient))


def missing(call: Callable[[], Any]) -> bool:
    """Whether a read answers NotFound (any other error is a failure of the setup)."""
    try:
        call()
    except GatewayError as exc:
        assert "chaincode response 404" in str(exc), exc
        return True
    return False


@dataclass
class Consent:
    """advisor1's consent from household1 over WINDOW: live for one column, then revoked."""

    api: Api
    live_id: str | None = None

    def ensure(self, live: bool) -> None:
        household = ROLES["household"]
        if live and self.live_id is None:
            consent_id = f"matrix-tp-{uuid.uuid4().hex[:8]}"
            expires = (datetime.now(UTC) + timedelta(minutes=30)).strftime(FMT)  # > the skew
            body = {
                "consent_id": consent_id,
                "grantee": ROLES["third_party"].grantee,
                "purpose": "access matrix",
                "data_from": WINDOW[0],
                "data_to": WINDOW[1],
                "expires_at": expires,
            }
            self.api.ok("POST", f"{SUNNYSIDE}/consents", household, 201, json=body)
            self.live_id = consent_id
        elif not live and self.live_id is not None:
            self.api.ok("DELETE", f"{SUNNYSIDE}/consents/{self.live_id}", household, 200)
            self.live_id = None


@dataclass
class Scene:
    """What the rows' payloads name; every record they need exists before the first row."""

    tag: str
    batch: bytes  # h-001's readings of WINDOW (transient bundles), on the ledger before the matrix
    meter: Household  # a meter of this run: the head-end's rows store new readings of it
    disclosed: dict[str, Any]
    order_interval: str
    settle_intervals: dict[str, str]
    ongoing_event: str
    k: int
    consent: Consent
    utility_name: str = ""
    order_salts: dict[str, str] = field(default_factory=dict)
    campaign: dict[str, Any] = field(default_factory=dict)  # a funding campaign of this run


def delegation_payload(limits: dict[str, int]) -> bytes:
    return json.dumps({"agent_id": "a1", "limits": limits}).encode()


def agent_of(scene: Scene, role: Role) -> str:
    """The agent identity a household of this run delegates to (a new one each run: a
    revoked delegation is final)."""
    return f"agent-mx{scene.tag}-{role.key}"


def free_intervals(gw: Gateway, count: int) -> list[str]:
    """Intervals without orders and not cleared: night slots of the last days (orders
    need an interval younger than 7 days; test_market uses midday slots)."""
    found: list[str] = []
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(1, 7):
        for slot in range(40):
            interval = (today - timedelta(days=back) + slot * timedelta(minutes=15)).strftime(FMT)
            book = evaluate(gw, "GetOrderBook", interval)
            if book["orders"] == 0 and not book["cleared"]:
                found.append(interval)
                if len(found) == count:
                    return found
    pytest.fail("no free night interval in the last 6 days; run `make clean` for a fresh ledger")


@pytest.fixture(scope="module")
def gateways() -> Iterator[dict[str, Gateway]]:
    """One Gateway per identity of the matrix, straight to its org's peer (no API)."""
    with ExitStack() as stack:
        opened: dict[tuple[str, str], Gateway] = {}
        for org, user in IDENTITIES.values():
            if (org.key, user) not in opened:
                opened[org.key, user] = stack.enter_context(gateway(org, user))
        yield {key: opened[org.key, user] for key, (org, user) in IDENTITIES.items()}


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


@pytest.fixture(scope="module")
def scene(api: Api, gateways: dict[str, Gateway]) -> Iterator[Scene]:
    operator, billing, auditor = gateways["operator"], gateways["billing"], gateways["regulator"]
    household1 = gateways["household"]
    ensure_registered()
    if missing(lambda: evaluate(auditor, "GetTariff", TARIFF["tariff_id"])) or (
        evaluate(auditor, "GetTariff", TARIFF["tariff_id"])["status"] != "approved"
    ):
        approved_tariff()
    for household in (H1, H2):
        if missing(lambda h=household: evaluate(auditor, "GetMeter", h.meter_id)):
            register(household)
    batch = signed(H1, MATRIX_READINGS)
    if missing(lambda: evaluate(auditor, "GetReadingCommitment", H1.meter_id, WINDOW[0][:10])):
        submit(gateways["meter"], "SubmitReadings", transient={"bundles": batch})
    if missing(lambda: evaluate(auditor, "GetInvoiceEvidence", "h-001", DAY, NEXT_DAY)):
        submit(billing, "GenerateInvoice", "h-001", DAY, NEXT_DAY)
    consents = {c["consent_id"] for c in evaluate(household1, "ListConsents")}
    if REVOKED_CONSENT not in consents:
        grantee, expires = "CommunityMSP:matrix-nobody", "2030-01-01T00:00:00Z"
        submit(household1, "GrantConsent", REVOKED_CONSENT, grantee, "revoked", *WINDOW, expires)
        submit(household1, "RevokeConsent", REVOKED_CONSENT)
    if missing(lambda: evaluate(auditor, "GetGridEvent", FIXED_EVENT["event_id"])):
        submit(operator, "ReportGridEvent", json.dumps(FIXED_EVENT))
    if missing(lambda: evaluate(auditor, "GetDemandResponseEvent", DR_EVENT["id"])):
        submit(operator, "PublishDemandResponseEvent", json.dumps(DR_EVENT))
    tag = uuid.uuid4().hex[:8]
    meter = replace(H2, household_id=f"h-mx{tag}", meter_id=f"m-mx{tag}")
    register(meter)
    ongoing = {**FIXED_EVENT, "event_id": f"matrix-{tag}", "start": "2026-02-14T04:00:00Z"}
    submit(operator, "ReportGridEvent", json.dumps(ongoing))
    order_interval, by_operator, by_billing = free_intervals(auditor, 3)
    for interval in (by_operator, by_billing):
        submit(operator, "ClearInterval", interval)
    disclosed = evaluate(household1, "DiscloseReading", H1.meter_id, WINDOW[0])
    campaign = {
        "campaign_id": f"matrix-{tag}",
        "title": "access matrix",
        "goal": 1_000_000,
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(days=1)).strftime(FMT),
        "contractor": "matrix contractor",
        "approvers": [UTILITY.msp_id, "CommunityMSP"],
        "milestone": "access matrix",
    }
    submit(operator, "CreateCampaign", json.dumps(campaign))
    consent = Consent(api)
    yield Scene(
        tag=tag,
        batch=batch,
        meter=meter,
        disclosed=disclosed,
        order_interval=order_interval,
        settle_intervals={"operator": by_operator, "billing": by_billing},
        ongoing_event=ongoing["event_id"],
        k=evaluate(auditor, "GetThreshold")["k"],
        consent=consent,
        utility_name=evaluate(auditor, "GetMember", UTILITY.msp_id)["name"],
        order_salts={"household": salt(), "household2": salt()},
        campaign=campaign,
    )
    consent.ensure(live=False)


# -- each endpoint's request, as the caller of a column would send it ---------------------


@dataclass
class Request:
    path: str
    json: Any = None
    query: dict[str, Any] | None = None
    data: bytes | None = None
    content_type: str | None = None


def upload(scene: Scene, first: int) -> dict[str, Any]:
    """A signed bundle of 4 new readings of the run's meter (none stored before)."""
    return posted(scene.meter, day_readings(scene.meter, MATRIX_DATE)[first : first + 4])


def green_button_upload(scene: Scene) -> Request:
    """4 readings of the run's meter as Green Button XML, to be made into payloads."""
    readings = [
        {**r, "meter_id": scene.meter.meter_id} for r in day_readings(scene.meter, MATRIX_DATE)[4:8]
    ]
    xml = export_readings(
        readings,
        household_id=scene.meter.household_id,
        meter_id=scene.meter.meter_id,
        title="matrix upload",
    )
    return Request(
        f"{SUNNYSIDE}/readings/green-button/payloads",
        query={"meter": scene.meter.meter_id},
        data=xml,
        content_type="application/atom+xml",
    )


def order_of(scene: Scene, role: Role) -> dict[str, Any]:
    owner = role.key if role.key in ("household", "household2") else "household"
    offer = owner == "household"
    return {
        "order_id": f"matrix-{scene.tag}-{owner}",
        "side": "offer" if offer else "bid",
        "interval_start": scene.order_interval,
        "energy_wh": 100,
        "price_per_kwh": 50 if offer else 10,  # they do not cross: no trade to settle
        "salt": scene.order_salts[owner],
    }


def identity_request(scene: Scene, role: Role) -> Request:
    return Request("/admin/identities", json={"enrollment_id": "operator1", "role": "operator"})


def campaign_path(scene: Scene, tail: str = "") -> str:
    return f"/campaigns/{scene.campaign['campaign_id']}{tail}"


def pledge_of(scene: Scene, role: Role) -> dict[str, Any]:
    return {"pledge_id": f"matrix-{scene.tag}-{role.key}", "amount": 100}


def refund_request(scene: Scene, role: Role) -> Request:
    """A household's refund of its own pledge; anyone else's refund of every pledge."""
    body = {"pledge_id": pledge_of(scene, role)["pledge_id"]} if role.role == "household" else {}
    return Request(campaign_path(scene, "/refunds"), json=body)


def settle_interval(scene: Scene, role: Role) -> str:
    return scene.settle_intervals.get(role.key, scene.settle_intervals["operator"])


INVOICE = f"{SUNNYSIDE}/households/h-001/invoices/{DAY}/{NEXT_DAY}"


def orders_query(scene: Scene) -> dict[str, str]:
    """The interval the matrix's households place their orders in."""
    end = datetime.strptime(scene.order_interval, FMT) + timedelta(minutes=15)
    return {"start": scene.order_interval, "end": end.strftime(FMT)}


DAY_QUERY = {"start": f"{DAY}T00:00:00Z", "end": f"{NEXT_DAY}T00:00:00Z"}
_TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
# access records are recorded now: this run's days
RECENT = {
    "start": (_TODAY - timedelta(days=1)).strftime(FMT),
    "end": (_TODAY + timedelta(days=2)).strftime(FMT),
}
REQUESTS: dict[str, Callable[[Scene, Role], Request]] = {
    "GET /healthz": lambda s, r: Request("/healthz"),
    "GET /metrics": lambda s, r: Request("/metrics"),
    "POST /auth/login": lambda s, r: Request("/auth/login"),  # sent by the test itself
    "POST /admin/identities": identity_request,
    f"POST {C}/meters": lambda s, r: Request(
        f"{SUNNYSIDE}/meters",
        json={
            "meter_id": H1.meter_id,
            "household_id": H1.household_id,
            "feeder": H1.feeder,
            "device_public_key": KEYS.public_pem(H1.meter_id),
        },
    ),
    f"GET {C}/meters/<meter_id>": lambda s, r: Request(f"{SUNNYSIDE}/meters/{H1.meter_id}"),
    f"GET {C}/meters": lambda s, r: Request(f"{SUNNYSIDE}/meters", query={"per_page": 500}),
    f"POST {C}/readings": lambda s, r: Request(f"{SUNNYSIDE}/readings", json=upload(s, first=0)),
    f"POST {C}/readings/green-button/payloads": lambda s, r: green_button_upload(s),
    f"GET {C}/households/<household_id>/readings": lambda s, r: Request(
        f"{SUNNYSIDE}/households/h-001/readings", query={"start": WINDOW[0], "end": WINDOW[1]}
    ),
    f"GET {C}/households/<household_id>/readings/green-button": lambda s, r: Request(
        f"{SUNNYSIDE}/households/h-001/readings/green-button",
        query={"start": WINDOW[0], "end": WINDOW[1]},
    ),
    f"GET {C}/meters/<meter_id>/readings/<interval_start>/disclosure": lambda s, r: Request(
        f"{SUNNYSIDE}/meters/{H1.meter_id}/readings/{WINDOW[0]}/disclosure"
    ),
    f"GET {C}/meters/<meter_id>/days/<day>/commitment": lambda s, r: Request(
        f"{SUNNYSIDE}/meters/{H1.meter_id}/days/{WINDOW[0][:10]}/commitment"
    ),
    f"POST {C}/readings/retention": lambda s, r: Request(
        f"{SUNNYSIDE}/readings/retention", json={"meter_ids": [H1.meter_id]}
    ),
    f"POST {C}/readings/verify": lambda s, r: Request(
        f"{SUNNYSIDE}/readings/verify", json=s.disclosed
    ),
    f"POST {C}/consents": lambda s, r: Request(
        f"{SUNNYSIDE}/consents",
        json={
            "consent_id": FIXED_CONSENT,
            "grantee": "CommunityMSP:matrix-nobody",
            "purpose": "access matrix",
            "data_from": WINDOW[0],
            "data_to": WINDOW[1],
            "expires_at": "2030-01-01T00:00:00Z",
        },
    ),
    f"DELETE {C}/consents/<consent_id>": lambda s, r: Request(
        f"{SUNNYSIDE}/consents/{REVOKED_CONSENT}"
    ),
    f"GET {C}/consents": lambda s, r: Request(f"{SUNNYSIDE}/consents"),
    f"POST {C}/tariffs": lambda s, r: Request(f"{SUNNYSIDE}/tariffs", json=TARIFF),
    f"POST {C}/tariffs/<tariff_id>/approval": lambda s, r: Request(
        f"{SUNNYSIDE}/tariffs/{TARIFF['tariff_id']}/approval"
    ),
    f"GET {C}/tariffs/<tariff_id>": lambda s, r: Request(
        f"{SUNNYSIDE}/tariffs/{TARIFF['tariff_id']}"
    ),
    f"GET {C}/tariffs/in-force/<day>": lambda s, r: Request(f"{SUNNYSIDE}/tariffs/in-force/{DAY}"),
    f"GET {C}/tariffs": lambda s, r: Request(f"{SUNNYSIDE}/tariffs"),
    f"GET {C}/orders": lambda s, r: Request(f"{SUNNYSIDE}/orders", query=orders_query(s)),
    f"POST {C}/orders": lambda s, r: Request(f"{SUNNYSIDE}/orders", json=order_of(s, r)),
    f"GET {C}/intervals/<interval_start>/order-book": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{s.order_interval}/order-book"
    ),
    f"POST {C}/intervals/<interval_start>/clearing": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{s.order_interval}/clearing"
    ),
    f"GET {C}/intervals/<interval_start>/clearing": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{s.settle_intervals['operator']}/clearing"
    ),
    f"POST {C}/intervals/<interval_start>/settlement": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{settle_interval(s, r)}/settlement"
    ),
    f"POST {C}/agents": lambda s, r: Request(
        f"{SUNNYSIDE}/agents", json={"agent_id": agent_of(s, r), "limits": AGENT_LIMITS}
    ),
    f"DELETE {C}/agents/<agent_id>": lambda s, r: Request(
        f"{SUNNYSIDE}/agents/{agent_of(s, ROLES['household'])}"
    ),
    f"GET {C}/agents": lambda s, r: Request(f"{SUNNYSIDE}/agents"),
    f"GET {C}/intervals/<interval_start>/clearing/detail": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{s.settle_intervals['operator']}/clearing/detail"
    ),
    f"GET {C}/intervals/<interval_start>/disclosure": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{s.settle_intervals['operator']}/disclosure"
    ),
    f"POST {C}/intervals/<interval_start>/audit": lambda s, r: Request(
        f"{SUNNYSIDE}/intervals/{s.settle_intervals['operator']}/audit", json={"orders": []}
    ),
    f"GET {C}/trades": lambda s, r: Request(f"{SUNNYSIDE}/trades", query=DAY_QUERY),
    f"GET {C}/invoices": lambda s, r: Request(
        f"{SUNNYSIDE}/invoices", query={"start": DAY, "end": NEXT_DAY}
    ),
    f"POST {C}/invoices": lambda s, r: Request(
        f"{SUNNYSIDE}/invoices",
        json={"household_id": "h-001", "period_start": DAY, "period_end": NEXT_DAY},
    ),
    f"GET {C}/households/<household_id>/invoices/<period_start>/<period_end>": lambda s, r: Request(
        INVOICE
    ),
    f"GET {C}/households/<household_id>/invoices/<period_start>/<period_end>/evidence": (
        lambda s, r: Request(f"{INVOICE}/evidence")
    ),
    f"GET {C}/households/<household_id>/invoices/green-button": lambda s, r: Request(
        f"{SUNNYSIDE}/households/h-001/invoices/green-button",
        query={"period_start": DAY, "period_end": NEXT_DAY},
    ),
    f"GET {C}/households/<household_id>/accesses": lambda s, r: Request(
        f"{SUNNYSIDE}/households/h-001/accesses", query=RECENT
    ),
    f"GET {C}/accesses/counts": lambda s, r: Request(f"{SUNNYSIDE}/accesses/counts", query=RECENT),
    f"POST {C}/certificates/issuance": lambda s, r: Request(
        f"{SUNNYSIDE}/certificates/issuance", json={"household_id": "h-001", "day": DAY}
    ),
    f"POST {C}/certificates/cancellation": lambda s, r: Request(
        f"{SUNNYSIDE}/certificates/cancellation", json={"day": DAY}
    ),
    f"GET {C}/certificates": lambda s, r: Request(
        f"{SUNNYSIDE}/certificates", query={"start": DAY, "end": NEXT_DAY}
    ),
    f"GET {C}/certificates/<certificate_id>/disclosure": lambda s, r: Request(
        f"{SUNNYSIDE}/certificates/{NIGHT_CERTIFICATE}/disclosure"
    ),
    f"POST {C}/certificates/audit": lambda s, r: Request(
        f"{SUNNYSIDE}/certificates/audit", json={"certificate": {}, "readings": []}
    ),
    f"POST {C}/grid-events": lambda s, r: Request(f"{SUNNYSIDE}/grid-events", json=FIXED_EVENT),
    f"POST {C}/grid-events/<event_id>/end": lambda s, r: Request(
        f"{SUNNYSIDE}/grid-events/{s.ongoing_event}/end", json={"end": "2026-02-14T05:00:00Z"}
    ),
    f"GET {C}/grid-events/<event_id>": lambda s, r: Request(
        f"{SUNNYSIDE}/grid-events/{FIXED_EVENT['event_id']}"
    ),
    f"GET {C}/grid-events": lambda s, r: Request(f"{SUNNYSIDE}/grid-events", query=DAY_QUERY),
    f"GET {C}/demand-response/<event_id>/history": lambda s, r: Request(
        f"{SUNNYSIDE}/demand-response/{DR_EVENT['id']}/history"
    ),
    f"GET {C}/demand-response/<event_id>/effect": lambda s, r: Request(
        f"{SUNNYSIDE}/demand-response/{DR_EVENT['id']}/effect",
        query={"baseline_days": 1, "household_id": "h-001"},
    ),
    "GET /members": lambda s, r: Request("/members"),
    "GET /members/<msp_id>": lambda s, r: Request(f"/members/{UTILITY.msp_id}"),
    "POST /aggregates": lambda s, r: Request("/aggregates", json=AGGREGATE),
    "GET /aggregates/<community>": lambda s, r: Request("/aggregates/sunnyside", query=DAY_QUERY),
    "GET /aggregates/threshold": lambda s, r: Request("/aggregates/threshold"),
    "PUT /aggregates/threshold": lambda s, r: Request("/aggregates/threshold", json={"k": s.k}),
    "POST /campaigns": lambda s, r: Request("/campaigns", json=s.campaign),
    "GET /campaigns": lambda s, r: Request("/campaigns"),
    "GET /campaigns/<campaign_id>": lambda s, r: Request(campaign_path(s)),
    "POST /campaigns/<campaign_id>/pledges": lambda s, r: Request(
        campaign_path(s, "/pledges"), json=pledge_of(s, r)
    ),
    "GET /campaigns/<campaign_id>/pledges": lambda s, r: Request(campaign_path(s, "/pledges")),
    "POST /campaigns/<campaign_id>/approvals": lambda s, r: Request(campaign_path(s, "/approvals")),
    "POST /campaigns/<campaign_id>/release": lambda s, r: Request(campaign_path(s, "/release")),
    "POST /campaigns/<campaign_id>/refunds": refund_request,
    "GET /audit/channels/<channel>/verification": lambda s, r: Request(
        "/audit/channels/consortium/verification"
    ),
    "GET /audit/channels/<channel>/config-history": lambda s, r: Request(
        "/audit/channels/consortium/config-history"
    ),
    "GET /audit/channels/<channel>/keys": lambda s, r: Request(
        "/audit/channels/consortium/keys",
        query={"namespace": "consortium", "key": f"member~{UTILITY.msp_id}"},
    ),
    "GET /config-updates": lambda s, r: Request("/config-updates"),
    "POST /config-updates": lambda s, r: Request(
        "/config-updates", json={"kind": "removal", "msp_id": "NeverAdmittedMSP"}
    ),
    "GET /config-updates/<update_id>": lambda s, r: Request(f"/config-updates/{NO_UPDATE}"),
    "POST /config-updates/<update_id>/signatures": lambda s, r: Request(
        f"/config-updates/{NO_UPDATE}/signatures", json={}
    ),
    "POST /config-updates/<update_id>/submission": lambda s, r: Request(
        f"/config-updates/{NO_UPDATE}/submission"
    ),
    "POST /admin/api-keys": lambda s, r: Request(
        "/admin/api-keys",
        json={"enrollment_id": "billing1", "secret": secret("utility", "billing1")},
    ),
    "POST /auth/logout": lambda s, r: Request("/auth/logout"),
    "GET /admin/api-keys": lambda s, r: Request("/admin/api-keys"),
    "POST /admin/api-keys/<key_id>/rotation": lambda s, r: Request(
        f"/admin/api-keys/{NO_KEY}/rotation"
    ),
    "DELETE /admin/api-keys/<key_id>": lambda s, r: Request(f"/admin/api-keys/{NO_KEY}"),
    "POST /admin/identities/<enrollment_id>/revocation": lambda s, r: Request(
        f"/admin/identities/{NO_IDENTITY}/revocation", json={"reason": "unspecified"}
    ),
    "POST /admin/identities/<enrollment_id>/unlock": lambda s, r: Request(
        f"/admin/identities/{NO_IDENTITY}/unlock"
    ),
    "GET /communities": lambda s, r: Request("/communities"),
    "PUT /members/<msp_id>": lambda s, r: Request(
        f"/members/{UTILITY.msp_id}", json={"name": s.utility_name, "kind": "utility"}
    ),
}

# what an allowed answer must also say, beyond its status
DOMAIN_MESSAGES = {
    ("POST /config-updates", "admin"): "NeverAdmittedMSP is not a member of this channel",
    **{
        (endpoint, "admin"): f"config update {NO_UPDATE} is not known here"
        for endpoint in (
            "GET /config-updates/<update_id>",
            "POST /config-updates/<update_id>/signatures",
            "POST /config-updates/<update_id>/submission",
        )
    },
    ("POST /campaigns/<campaign_id>/release", "operator"): "cannot be released: goal not met",
    **{
        ("POST /campaigns/<campaign_id>/refunds", key): "refunds start after it"
        for key in ("household", "household2", "operator")
    },
    ("POST /admin/identities", "admin"): "Identity 'operator1' is already registered",
    (f"DELETE {C}/agents/<agent_id>", "household2"): "household h-002 has no agent agent-mx",
    (f"DELETE {C}/consents/<consent_id>", "household2"): (
        f"consent {REVOKED_CONSENT} of household h-002 does not exist"
    ),
}
CHECKS: dict[str, Callable[[Any, Scene, Role], None]] = {
    f"GET {C}/demand-response/<event_id>/history": lambda body, s, r: _equal(
        [(e["revision"], e["event"]["id"]) for e in body], [(1, DR_EVENT["id"])]
    ),
    f"GET {C}/demand-response/<event_id>/effect": lambda body, s, r: _equal(
        ["h-001"], [h["household_id"] for h in body["households"]] + body["without_baseline"]
    ),
    f"GET {C}/meters": lambda body, s, r: _meters_shown(body["items"], r),
    f"GET {C}/orders": lambda body, s, r: _equal(
        [o["order_id"] for o in body["items"]], [order_of(s, r)["order_id"]]
    ),
    f"GET {C}/tariffs": lambda body, s, r: _equal(
        TARIFF["tariff_id"] in [t["tariff"]["tariff_id"] for t in body], True
    ),
    f"GET {C}/households/<household_id>/readings": lambda body, s, r: _same_readings(body["items"]),
    f"POST {C}/readings": lambda body, s, r: _stored_new(body, s),
    f"POST {C}/readings/green-button/payloads": lambda body, s, r: _equal(
        [(p["meter_id"], p["day"], p["readings"]) for p in body["payloads"]],
        [(s.meter.meter_id, MATRIX_DATE.isoformat(), 4)],
    ),
    f"GET {C}/meters/<meter_id>/readings/<interval_start>/disclosure": lambda body, s, r: _equal(
        body, s.disclosed
    ),
    f"POST {C}/readings/verify": lambda body, s, r: _verified(body),
    f"POST {C}/orders": lambda body, s, r: _equal(body["order_id"], order_of(s, r)["order_id"]),
    f"POST {C}/intervals/<interval_start>/clearing": lambda body, s, r: _equal(
        (body["price_per_kwh"], body["trades"], body["offers"] + body["bids"]), (None, 0, 2)
    ),
    f"POST {C}/agents": lambda body, s, r: _equal(
        (body["agent_id"], body["household_id"], body["limits"], body["revoked_at"]),
        (agent_of(s, r), r.household_id, AGENT_LIMITS, None),
    ),
    f"DELETE {C}/agents/<agent_id>": lambda body, s, r: _equal(
        (body["agent_id"], body["revoked_at"] is not None), (agent_of(s, r), True)
    ),
    f"POST {C}/intervals/<interval_start>/audit": lambda body, s, r: _equal(
        (body["verified"], body["orders_disclosed"], body["problems"]), (True, 0, [])
    ),
    f"POST {C}/intervals/<interval_start>/settlement": lambda body, s, r: _equal(
        (body["interval_start"], body["trades"]), (s.settle_intervals[r.key], 0)
    ),
    "PUT /aggregates/threshold": lambda body, s, r: _equal(body, {"k": s.k}),
    "POST /campaigns": lambda body, s, r: _equal({k: body[k] for k in s.campaign}, s.campaign),
    "GET /campaigns/<campaign_id>": lambda body, s, r: _pledges_shown(body["visible_pledges"], r),
    "POST /campaigns/<campaign_id>/pledges": lambda body, s, r: _equal(
        (body["household_id"], body["amount"]), (r.household_id, 100)
    ),
    "GET /campaigns/<campaign_id>/pledges": lambda body, s, r: _pledges_shown(body["items"], r),
    "GET /audit/channels/<channel>/verification": lambda body, s, r: _equal(
        (body["ok"], body["first_break"]), (True, None)
    ),
    "POST /auth/login": lambda body, s, r: _equal(
        (body["msp_id"], body["role"], body["household_id"]),
        (r.org.msp_id, r.role, r.household_id),
    ),
}


def _equal(actual: Any, expected: Any) -> None:
    assert actual == expected


def _pledges_shown(pledges: list[dict[str, Any]], role: Role) -> None:
    """A household sees its own pledges only; the utility every pledge; others none."""
    households = {p["household_id"] for p in pledges}
    if role.role == "household":
        assert households <= {role.household_id}, households
    elif role.org is not UTILITY:
        assert households == set(), households


def _meters_shown(meters: list[dict[str, Any]], role: Role) -> None:
    """A household lists its own meters only; the staff every meter, H1's and H2's too."""
    shown = {m["household_id"] for m in meters}
    if role.household_id is not None:
        assert shown == {role.household_id}
    else:
        assert {H1.household_id, H2.household_id} <= shown


def _same_readings(items: list[dict[str, Any]]) -> None:
    assert [(r["interval_start"], r["import_wh"], r["export_wh"]) for r in items] == [
        (r["interval_start"], r["import_wh"], r["export_wh"]) for r in MATRIX_READINGS
    ]


def _stored_new(body: dict[str, Any], scene: Scene) -> None:
    day = {"meter_id": scene.meter.meter_id, "day": MATRIX_DATE.isoformat()}
    assert (body["meter_days"], body["stored"], body["duplicates"]) == ([day], 4, 0)


def _verified(body: dict[str, Any]) -> None:
    assert body["verified"] is True


def expected_refusal(r: Row, role: Role) -> str:
    code = r.cells[role.key]
    orgs, _, roles = r.who.partition(" / ")
    if code == "org":
        return (
            f"caller from {role.org.msp_id} ({role.org.kind}) may not call {r.transaction}; "
            f"allowed: {orgs}"
        )
    if code == "role":
        return f"caller role '{role.role}' may not call {r.transaction}; allowed: {roles}"
    if code == "admin":
        action = ADMIN_ACTIONS.get(r.endpoint, "register identities")
        return f"caller role '{role.role}' may not {action}; allowed: admin"
    if code == "creator":
        return (
            f"{role.role} of {role.org.msp_id} may not create campaigns: "
            "only the utility's operator or a community's admin may"
        )
    if code == "audit":
        return f"caller role '{role.role}' may not audit channels; allowed: regulator"
    if code == "updates":
        return f"caller role '{role.role}' may not change channels; allowed: admin"
    if code == "measure":
        return (
            f"caller role '{role.role}' of {role.org.msp_id} may not measure demand response; "
            "allowed: the utility's operator"
        )
    if code == "apikey":
        return f"caller role '{role.role}' may not create API keys; allowed: admin"
    if code == "own" and r.transaction in ("GetReadings", "DiscloseReading"):
        return f"household {role.household_id} may not read household h-001"
    if code == "own" and r.transaction == "GetInvoice":
        return f"household {role.household_id} may not read the invoices of household h-001"
    if code == "own" and r.transaction == "DiscloseCertificate":
        return f"household {role.household_id} may not read the certificates of household h-001"
    if code == "own" and r.transaction == "ListAccesses":
        return f"household {role.household_id} may not read the accesses of household h-001"
    if code == "consent":
        # the API records the access first: a disclosure's record covers the longest
        # interval that can start at its start (client/accesses.py)
        end = WINDOW[1] if r.transaction != "DiscloseReading" else "2026-02-14T01:00:00Z"
        return (
            f"no live consent of household h-001 lets {role.grantee} "
            f"read readings from {WINDOW[0]} to {end}"
        )
    raise AssertionError(f"unknown cell {code!r} in row {r.endpoint}")


# parametrized role by role (the consent of the third party changes once, between its two
# columns) and, within a role, in table order (orders are placed before they are cleared)
CELLS = [(ROLES[key], r) for key in COLUMNS for r in ROWS]


def cell_id(cell: tuple[Role, Row]) -> str:
    role, r = cell
    return f"{role.key}:{r.endpoint}"


def test_the_matrix_covers_every_endpoint_of_the_app(api: Api) -> None:
    """Every rule of the app's URL map is a row (only the static docs, the dashboard's pages
    and the OpenADR VTN are left out)."""
    skipped = {"static", "openapi.spec", "openapi.docs", "openapi.swagger_ui_oauth_redirect"}
    endpoints = {
        f"{method} {rule.rule}"
        for rule in api.app.url_map.iter_rules()
        # the dashboard's pages read through the same calls: test_dashboard.py drives them;
        # the VTN has OpenADR's scopes for roles: test_openadr.py drives it
        if rule.endpoint not in skipped and not rule.endpoint.startswith(("dashboard.", "openadr."))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    }
    assert [r.endpoint for r in ROWS if r.endpoint not in endpoints] == []
    assert sorted(endpoints - {r.endpoint for r in ROWS}) == []
    assert set(REQUESTS) == {r.endpoint for r in ROWS}


@pytest.mark.parametrize(("role", "r"), CELLS, ids=[cell_id(c) for c in CELLS])
def test_each_caller_gets_exactly_its_cell_of_the_matrix(
    api: Api, scene: Scene, role: Role, r: Row
) -> None:
    if role.key.startswith("third_party"):
        scene.consent.ensure(live=role.key == "third_party")
    code = r.cells[role.key]
    request = REQUESTS[r.endpoint](scene, role)
    method = r.endpoint.split()[0]
    if r.endpoint == "POST /auth/login":
        credentials = {
            "org": role.org.key,
            "enrollment_id": role.user,
            "secret": secret(role.org.key, role.user),
        }
        response = api.call(method, request.path, json=credentials, org=role.org.key)
    elif r.endpoint == "POST /auth/logout" and not role.uses_api_key:
        # a token of its own: the cached login serves every other test of the run
        credentials = {"enrollment_id": role.user, "secret": secret(role.org.key, role.user)}
        token = api.ok("POST", "/auth/login", None, 200, json=credentials, org=role.org.key)
        bearer = {"Authorization": f"Bearer {token['token']}"}
        response = api.call(method, request.path, headers=bearer, org=role.org.key)
    else:
        response = api.call(
            method,
            request.path,
            role,
            json=request.json,
            query_string=request.query,
            data=request.data,
            content_type=request.content_type,
        )
    body = response.get_json(silent=True)
    if code.isdigit():
        assert response.status_code == int(code), (response.status_code, body)
        if (r.endpoint, role.key) in DOMAIN_MESSAGES:
            assert DOMAIN_MESSAGES[r.endpoint, role.key] in body["message"], body
        elif r.endpoint in CHECKS and code.startswith("2"):
            CHECKS[r.endpoint](body, scene, role)
        return
    assert response.status_code == 403, (response.status_code, body)
    assert body == {"status": 403, "message": expected_refusal(r, role), "detail": body["detail"]}


# -- the same refusals, straight from the ledger ---------------------------------------------


def chaincode_call(transaction: str, scene: Scene) -> tuple[tuple[str, ...], dict[str, bytes]]:
    """The arguments and transient map the facade would send for the matrix's payload."""
    order = json.dumps(order_of(scene, ROLES["household"])).encode()
    calls: dict[str, tuple[tuple[str, ...], dict[str, bytes]]] = {
        "RegisterMeter": (
            (H1.meter_id, H1.household_id, H1.feeder, KEYS.public_pem(H1.meter_id)),
            {},
        ),
        "SubmitReadings": ((), {"bundles": scene.batch}),
        "GetReadings": (("h-001", *WINDOW), {}),
        "DiscloseReading": ((H1.meter_id, WINDOW[0]), {}),
        "PurgeExpiredReadings": ((json.dumps([H1.meter_id]),), {}),
        "GrantConsent": (
            (
                FIXED_CONSENT,
                "CommunityMSP:matrix-nobody",
                "access matrix",
                *WINDOW,
                "2030-01-01T00:00:00Z",
            ),
            {},
        ),
        "RevokeConsent": ((REVOKED_CONSENT,), {}),
        "ListConsents": ((), {}),
        "ProposeTariff": ((json.dumps(TARIFF),), {}),
        "ApproveTariff": ((TARIFF["tariff_id"],), {}),
        "PlaceOrder": ((), {"order": order}),
        "ClearInterval": ((scene.order_interval,), {}),
        "SettleInterval": ((scene.settle_intervals["operator"],), {}),
        "GrantAgent": ((), {"agent": delegation_payload(AGENT_LIMITS)}),
        "RevokeAgent": ((), {"agent": json.dumps({"agent_id": "a1"}).encode()}),
        "ListAgents": ((), {}),
        "GetClearingDetail": ((scene.settle_intervals["operator"],), {}),
        "GetClearingDisclosure": ((scene.settle_intervals["operator"],), {}),
        "ListTrades": ((DAY_QUERY["start"], DAY_QUERY["end"]), {}),
        "ListMeters": (("",), {}),
        "ListMyOrders": (tuple(orders_query(scene).values()), {}),
        "GenerateInvoice": (("h-001", DAY, NEXT_DAY), {}),
        "GetInvoice": (("h-001", DAY, NEXT_DAY), {}),
        "ListAccesses": (("h-001", RECENT["start"], RECENT["end"]), {}),
        "CountAccesses": ((RECENT["start"], RECENT["end"]), {}),
        "IssueCertificates": (("h-001", DAY), {}),
        "CancelCertificates": ((DAY,), {}),
        "ListCertificates": ((DAY, NEXT_DAY), {}),
        "DiscloseCertificate": ((NIGHT_CERTIFICATE,), {}),
        "ReportGridEvent": ((json.dumps(FIXED_EVENT),), {}),
        "EndGridEvent": ((scene.ongoing_event, "2026-02-14T05:00:00Z"), {}),
        "PublishAggregate": (
            (
                AGGREGATE["community"],
                AGGREGATE["interval_start"],
                json.dumps({k: AGGREGATE[k] for k in ("households", "import_wh", "export_wh")}),
            ),
            {},
        ),
        "SetThreshold": ((str(scene.k),), {}),
        "RegisterMember": ((UTILITY.msp_id, scene.utility_name, "utility"), {}),
        "CreateCampaign": ((json.dumps(scene.campaign),), {}),
        "Pledge": ((scene.campaign["campaign_id"], f"matrix-{scene.tag}-ledger", "100"), {}),
        "ListMyPledges": ((scene.campaign["campaign_id"],), {}),
        "ApproveMilestone": ((scene.campaign["campaign_id"],), {}),
        "Release": ((scene.campaign["campaign_id"],), {}),
        "RefundAll": ((scene.campaign["campaign_id"],), {}),
    }
    return calls[transaction]


ROLE_TABLE_REFUSALS = [
    (role, r) for role, r in CELLS if r.transaction and r.cells[role.key] in ("org", "role")
]


@pytest.mark.parametrize(
    ("role", "r"), ROLE_TABLE_REFUSALS, ids=[cell_id(c) for c in ROLE_TABLE_REFUSALS]
)
def test_the_ledger_refuses_what_the_api_refuses_by_the_role_table(
    gateways: dict[str, Gateway], scene: Scene, role: Role, r: Row
) -> None:
    transaction = r.transaction
    assert transaction is not None
    args, transient = chaincode_call(transaction, scene)
    submits = CONTRACTS[transaction][1]
    called = contract(gateways[role.key], transaction)
    with pytest.raises(GatewayError) as refused:
        if submits:
            called.submit(transaction, args=args, transient=transient or None)
        else:
            called.evaluate(transaction, args=args, transient=transient or None)
    if submits:
        assert isinstance(refused.value, EndorseError)
    assert f"chaincode response 403, {expected_refusal(r, role)}" in str(refused.value)


def test_the_matrix_constant_is_the_table_as_markdown() -> None:
    lines = MATRIX.splitlines()
    assert len(lines) == 2 + len(ROWS)
    assert all(line.count("|") == 4 + len(COLUMNS) for line in lines)
