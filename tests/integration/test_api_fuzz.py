"""Fuzzing the API with schemathesis, against its own OpenAPI document, on the real network.

The document is loaded from the app in-process (``schemathesis.openapi.from_wsgi`` on
``api_client.api_session()``'s app) and every request goes through the WSGI app, so no
server process is needed; the app talks to the running network as in production. Each
operation of the document gets a bounded number of generated cases, positive (valid for
the document) and, where it has a body or query parameters to break, negative.

Who calls. Every case is sent as the network's real identities: household1 (h-001),
headend1 (meter, API key), operator1, billing1 (API key), auditor1 (regulator), the
utility's admin, and, for writes, a household of this test's own, ``fuzz-household1``
(h-fuzz-nometer), which the community's admin registers once at its CA and which never
gets a meter.

What a response must be, for every case and caller:

- never a 5xx (in TESTING mode an unhandled exception reaches the test: also a failure).
  The network is healthy while the test runs, so even the ledger failures the API
  documents (502: not endorsed or not committed; 503: unreachable) can only come from
  an input the API should have refused, such as an id that overflows the gRPC metadata
  the chaincode's refusal travels in;
- a status the document lists for the operation (schemathesis'
  ``status_code_conformance``): every operation lists the errors it may answer, an
  operation that calls the ledger its refusals and failures (400, 403, 404, 409, 502,
  503; ``test_the_document_lists_the_statuses_of_a_ledger_operation``);
- of a documented media type for that status, and JSON for every error;
- an error (4xx, 5xx) is ``{"status", "message", "detail"}`` with the HTTP status;
- a documented body for its status (schemathesis' ``response_schema_conformance``);
- a negative case (one the document says is invalid) is refused with a 4xx.

No write from a rejected request. Around every case of a POST, PUT or DELETE, the newest
block of both channels (consortium and community-sunnyside) is read from the three
peers before and after; when blocks were added, their transactions are decoded and
those created by this test's callers counted: a caller may have at most as many valid
transactions as it had accepted (2xx) requests. Each caller's certificate is the one
this process enrolled at login, so concurrent writers, other tests included, are never
counted. Blocks are read through each peer's Deliver service as auditor1.

Keeping the shared network intact. Random successful writes would change records other
tests rely on (a tariff in force, the aggregate threshold, meters of h-001, cleared
intervals, invoices), so writes are fuzzed only in ways that are refused by
construction, and positive writes go only to records of the fuzz household:

- as every caller the role table refuses for the operation (the API's facade refuses
  it before any network call), positive and negative cases;
- as the callers it allows, negative cases only (the document's own validation, or
  the API's bound on path parameters, refuses them before the ledger is called); a
  case counts as negative only if its mutation survives sending
  (``sends_its_mutation``);
- positive cases as an allowed caller only where refusal or confinement is certain:
  orders of the fuzz household (it has no meter: PlaceOrder parses and validates the
  whole order, then refuses), readings batches of the meter head-end (no generated
  signature verifies with a device key), and consents the fuzz household grants and
  revokes (its own records: these may succeed).
- ``POST /auth/login`` gets its positive cases with the enrollment id replaced by an
  id no CA knows: a wrong secret for a real identity counts towards the CA's limit of
  failed attempts, which would lock household1 or admin out of every later test.

Each org runs its own API, so each case goes to the API of its caller's org (the
anonymous login to the utility's). The ``community`` path parameter is always
``sunnyside``, a community every founding org is on: a random one is a 404 before
anything else (`test_api_bad_input.py` covers that). ``POST /config-updates`` and its
signatures and submission get positive cases as the admin too: a random proposal names
no member and no valid bundle, and a random update id is unknown, so each is refused
before the ledger or the orderer is asked.

What the document cannot drive: ``POST /readings/green-button/payloads`` documents no
request body, so its XML is never generated (only its query); a bundle's payload is
base64 of JSON the document cannot describe, so generated payloads are refused by the
reading rules (a 422 naming the rule), never stored. Any other positive case may be
refused by the ledger or the role table, never by the document's own validation (a
422): what the document says a request may be, the API takes.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from api_client import ROLES, SUNNYSIDE, Api, Role, api_session, login
from community_fixtures import CHANNEL as COMMUNITY_CHANNEL
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from homes import ca_cert, msp_dir, secret
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import response_schema_conformance, status_code_conformance
from schemathesis.core.parameters import ParameterLocation as Location

from api.limits import MAX_PATH_PARAMETER
from client import (
    certificate_hash,
    connect,
    deliver_blocks,
    load_identity,
    load_private_key,
    new_private_key_signer,
    newest_block_number,
)
from network.ca import private_key
from network.topology import COMMUNITY, CONSORTIUM_CHANNEL, ORGS, REGULATOR

pytestmark = pytest.mark.usefixtures("fabric_network")

FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
CHANNELS = (CONSORTIUM_CHANNEL, COMMUNITY_CHANNEL)
ERROR_KEYS = {"status", "message", "detail"}
VALID = 0  # peer.TxValidationCode.VALID
# a body whose rules the document cannot state: a bundle's payload is base64 of JSON
# (gridspec.reading_bundle), so a generated one is refused by the reading rules (422)
BEYOND_THE_DOCUMENT = {"POST /communities/{community}/readings"}
UNKNOWN_USER = "fuzz-nobody"  # never registered: a wrong secret locks no one out

FUZZ_HOUSEHOLD = Role(
    "fuzz_household",
    "fuzz household, no meter",
    COMMUNITY,
    "fuzz-household1",
    "household",
    "h-fuzz-nometer",
)
READERS = ("household", "meter", "operator", "billing", "regulator", "admin")
CALLERS = (*READERS, FUZZ_HOUSEHOLD.key)


# -- the plan: how each operation of the document is fuzzed ---------------------------------


@dataclass(frozen=True)
class Plan:
    """How one operation is fuzzed (see the module docstring)."""

    kind: str  # "read", "write", "login" or "anonymous" (sent with no credential)
    allowed: tuple[str, ...] = ()  # callers the role table lets through (writes)
    positive_as: tuple[str, ...] = ()  # allowed callers also sent positive cases
    may_succeed: tuple[str, ...] = ()  # of those, the ones whose writes may be accepted

    def callers(self, negative: bool) -> list[tuple[str, bool]]:
        """(caller, must be refused) for a case: a positive or a negative one."""
        if self.kind == "read":
            return [(caller, negative) for caller in READERS]
        if negative:
            return [(caller, True) for caller in CALLERS]
        refused = [(caller, True) for caller in CALLERS if caller not in self.allowed]
        allowed = [(caller, caller not in self.may_succeed) for caller in self.positive_as]
        return refused + allowed


READ = Plan("read")
HOUSEHOLDS = ("household", FUZZ_HOUSEHOLD.key)


def write(*allowed: str, positive_as: tuple[str, ...] = (), may_succeed: tuple[str, ...] = ()):
    return Plan("write", allowed, positive_as, may_succeed)


INVOICE = (
    "GET /communities/{community}/households/{household_id}/invoices/{period_start}/{period_end}"
)
PLANS: dict[str, Plan] = {
    "GET /healthz": READ,
    "POST /auth/login": Plan("login"),
    # a logout as any caller would end the token every later case sends: anonymous only
    "POST /auth/logout": Plan("anonymous"),
    "GET /admin/api-keys": READ,
    # a random key id or enrolment id is unknown: refused as the admin too
    "POST /admin/api-keys/{key_id}/rotation": write("admin", positive_as=("admin",)),
    "DELETE /admin/api-keys/{key_id}": write("admin", positive_as=("admin",)),
    "POST /admin/identities/{enrollment_id}/revocation": write("admin"),
    "POST /admin/identities/{enrollment_id}/unlock": write("admin"),
    "POST /admin/identities": write("admin"),
    "POST /admin/api-keys": write("admin"),
    "GET /communities": READ,
    "POST /communities/{community}/meters": write("operator"),
    "GET /communities/{community}/meters/{meter_id}": READ,
    "POST /communities/{community}/readings": write("meter", positive_as=("meter",)),
    "POST /communities/{community}/readings/green-button/payloads": write(
        "meter", positive_as=("meter",)
    ),
    "POST /communities/{community}/readings/verify": READ,  # an evaluation: any caller, no write
    # retention purges only days older than 24 months: nothing a test wrote
    "POST /communities/{community}/readings/retention": write("operator"),
    "GET /communities/{community}/households/{household_id}/readings": READ,
    "GET /communities/{community}/households/{household_id}/readings/green-button": READ,
    "GET /communities/{community}/meters/{meter_id}/readings/{interval_start}/disclosure": READ,
    "GET /communities/{community}/meters/{meter_id}/days/{day}/commitment": READ,
    "POST /communities/{community}/consents": write(
        *HOUSEHOLDS, positive_as=(FUZZ_HOUSEHOLD.key,), may_succeed=(FUZZ_HOUSEHOLD.key,)
    ),
    "GET /communities/{community}/consents": READ,
    "DELETE /communities/{community}/consents/{consent_id}": write(
        *HOUSEHOLDS, positive_as=(FUZZ_HOUSEHOLD.key,), may_succeed=(FUZZ_HOUSEHOLD.key,)
    ),
    "POST /communities/{community}/tariffs": write("operator"),
    "GET /communities/{community}/tariffs/{tariff_id}": READ,
    "GET /communities/{community}/tariffs": READ,
    "GET /communities/{community}/meters": READ,
    "GET /communities/{community}/orders": READ,
    "GET /communities/{community}/invoices": READ,
    "GET /communities/{community}/tariffs/in-force/{day}": READ,
    "POST /communities/{community}/tariffs/{tariff_id}/approval": write("regulator"),
    "POST /communities/{community}/orders": write(*HOUSEHOLDS, positive_as=(FUZZ_HOUSEHOLD.key,)),
    "POST /communities/{community}/agents": write(
        *HOUSEHOLDS, positive_as=(FUZZ_HOUSEHOLD.key,), may_succeed=(FUZZ_HOUSEHOLD.key,)
    ),
    "DELETE /communities/{community}/agents/{agent_id}": write(
        *HOUSEHOLDS, positive_as=(FUZZ_HOUSEHOLD.key,), may_succeed=(FUZZ_HOUSEHOLD.key,)
    ),
    "GET /communities/{community}/agents": READ,
    "GET /communities/{community}/intervals/{interval_start}/order-book": READ,
    "POST /communities/{community}/intervals/{interval_start}/clearing": write("operator"),
    "GET /communities/{community}/intervals/{interval_start}/clearing": READ,
    "GET /communities/{community}/intervals/{interval_start}/clearing/detail": READ,
    "GET /communities/{community}/intervals/{interval_start}/disclosure": READ,
    # an audit is an evaluation on the caller's own peer: any caller, no write
    "POST /communities/{community}/intervals/{interval_start}/audit": READ,
    "POST /communities/{community}/intervals/{interval_start}/settlement": write(
        "operator", "billing"
    ),
    "GET /communities/{community}/trades": READ,
    "POST /communities/{community}/invoices": write("billing"),
    INVOICE: READ,
    f"{INVOICE}/evidence": READ,
    "GET /communities/{community}/households/{household_id}/invoices/green-button": READ,
    "GET /communities/{community}/households/{household_id}/accesses": READ,
    "GET /communities/{community}/accesses/counts": READ,
    "POST /communities/{community}/certificates/issuance": write("operator"),
    "POST /communities/{community}/certificates/cancellation": write(
        *HOUSEHOLDS, positive_as=(FUZZ_HOUSEHOLD.key,)
    ),
    "GET /communities/{community}/certificates": READ,
    "GET /communities/{community}/certificates/{certificate_id}/disclosure": READ,
    # an audit is an evaluation on the caller's own peer: any caller, no write
    "POST /communities/{community}/certificates/audit": READ,
    "POST /communities/{community}/grid-events": write("operator"),
    "GET /communities/{community}/grid-events": READ,
    "GET /communities/{community}/grid-events/{event_id}": READ,
    "POST /communities/{community}/grid-events/{event_id}/end": write("operator"),
    "GET /communities/{community}/demand-response/{event_id}/history": READ,
    "GET /communities/{community}/demand-response/{event_id}/effect": READ,
    "GET /members": READ,
    "GET /members/{msp_id}": READ,
    "PUT /members/{msp_id}": write("admin"),
    "POST /aggregates": write("operator"),
    "GET /aggregates/{community}": READ,
    "GET /aggregates/threshold": READ,
    "PUT /aggregates/threshold": write("regulator"),
    "POST /campaigns": write("operator"),
    "GET /campaigns": READ,
    "GET /campaigns/{campaign_id}": READ,
    "POST /campaigns/{campaign_id}/pledges": write(*HOUSEHOLDS),
    "GET /campaigns/{campaign_id}/pledges": READ,
    "POST /campaigns/{campaign_id}/approvals": write("admin"),
    "POST /campaigns/{campaign_id}/release": write("operator"),
    "POST /campaigns/{campaign_id}/refunds": write(*HOUSEHOLDS, "operator"),
    "GET /audit/channels/{channel}/verification": READ,
    "GET /audit/channels/{channel}/config-history": READ,
    "GET /audit/channels/{channel}/keys": READ,
    # an admin's proposal of a random update fails before anything is kept (no such org,
    # no valid bundle), and a random update id is unknown: refused, the ledger untouched
    "GET /config-updates": READ,
    "POST /config-updates": write("admin", positive_as=("admin",)),
    "GET /config-updates/{update_id}": READ,
    "POST /config-updates/{update_id}/signatures": write("admin", positive_as=("admin",)),
    "POST /config-updates/{update_id}/submission": write("admin", positive_as=("admin",)),
}


FUZZED = list(PLANS)


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


@pytest.fixture(scope="module")
def schema(api: Api) -> Any:
    """The app's OpenAPI document, as schemathesis reads it; no security headers generated
    (each case is sent with a real caller's) and no parameters the document does not name
    (an ignored extra parameter would turn a negative case into a positive one)."""
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", api.app)
    loaded.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return loaded


@pytest.fixture(scope="module")
def callers(api: Api) -> dict[str, dict[str, str]]:
    """Each caller's auth headers; the fuzz household is registered first if need be."""
    admin = login(api.client_of(COMMUNITY.key), COMMUNITY.key, "admin")
    identity = {
        "enrollment_id": FUZZ_HOUSEHOLD.user,
        "role": "household",
        "household_id": FUZZ_HOUSEHOLD.household_id,
        "secret": secret(COMMUNITY, FUZZ_HOUSEHOLD.user),
    }
    response = api.post("/admin/identities", headers=admin, json=identity, org=COMMUNITY.key)
    assert response.status_code in (201, 409), response.get_json()
    headers = {key: api.headers(ROLES[key]) for key in READERS}
    headers[FUZZ_HOUSEHOLD.key] = api.headers(FUZZ_HOUSEHOLD)
    return headers


@pytest.fixture(scope="module")
def certificates(api: Api, callers: dict[str, dict[str, str]]) -> dict[bytes, str]:
    """The enrollment certificate each caller signs with in this process -> the caller."""
    roles = {**ROLES, FUZZ_HOUSEHOLD.key: FUZZ_HOUSEHOLD}
    found = {}
    for key in callers:
        wallet = api.app_of(roles[key].org.key).extensions["gridledger"].wallet
        found[wallet.get(roles[key].user).certificate] = key
    return found


@dataclass
class Peer:
    """auditor1's way to one peer's Deliver service."""

    channel: Any
    identity: Any
    sign: Any
    tls_hash: bytes

    def newest(self, channel: str) -> int:
        return newest_block_number(
            self.channel, self.identity, self.sign, channel, tls_certificate_hash=self.tls_hash
        )

    def blocks(self, channel: str, start: int, stop: int) -> list[Any]:
        return deliver_blocks(
            self.channel,
            self.identity,
            self.sign,
            channel,
            start,
            stop,
            tls_certificate_hash=self.tls_hash,
        )


@pytest.fixture(scope="module")
def peers() -> Iterator[list[Peer]]:
    msp = msp_dir(REGULATOR, "auditor1")
    cert = (msp / "signcerts" / "cert.pem").read_bytes()
    key = private_key(msp)
    identity = load_identity(REGULATOR.msp_id, msp / "signcerts" / "cert.pem")
    sign = new_private_key_signer(load_private_key(key))
    with ExitStack() as stack:
        found = []
        for org in ORGS:  # the founding members' peers: utility, community, regulator
            channel = connect(
                org.peer_address,
                tls_root_cert=ca_cert(org).read_bytes(),
                client_cert=cert,
                client_key=key.read_bytes(),
            )
            stack.callback(channel.close)
            found.append(Peer(channel, identity, sign, certificate_hash(cert)))
        yield found


# -- no write from a rejected request ------------------------------------------------------


@dataclass(frozen=True)
class Transaction:
    channel: str
    block: int
    tx_id: str
    creator: bytes
    code: int


def heights(peers: list[Peer]) -> dict[str, int]:
    """Per channel, the newest block any of the peers has committed."""
    return {channel: max(peer.newest(channel) for peer in peers) for channel in CHANNELS}


def transactions(peer: Peer, channel: str, start: int, stop: int) -> list[Transaction]:
    found = []
    for block in peer.blocks(channel, start, stop):
        codes = block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER]
        for index, data in enumerate(block.data.data):
            payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(data).payload)
            header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
            if header.type != common_pb2.HeaderType.ENDORSER_TRANSACTION:
                continue
            signature = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
            creator = identities_pb2.SerializedIdentity.FromString(signature.creator)
            found.append(
                Transaction(
                    channel, block.header.number, header.tx_id, creator.id_bytes, codes[index]
                )
            )
    return found


def assert_no_write_from_a_refusal(
    peers: list[Peer],
    certificates: dict[bytes, str],
    before: dict[str, int],
    accepted: Counter[str],
    sent: list[str],
) -> None:
    after = heights(peers)
    written: Counter[str] = Counter()
    evidence = []
    for channel in CHANNELS:
        if after[channel] == before[channel]:
            continue
        # from a peer that has the blocks already (Deliver does not wait for them here)
        peer = next(p for p in peers if p.newest(channel) >= after[channel])
        for tx in transactions(peer, channel, before[channel] + 1, after[channel]):
            caller = certificates.get(tx.creator)
            if caller is not None and tx.code == VALID:
                written[caller] += 1
                evidence.append(f"{caller}: {tx.tx_id} in block {tx.block} of {tx.channel}")
    for caller in sent:
        assert written[caller] <= accepted[caller], (
            f"{caller} was refused but committed a transaction: {evidence}"
        )


# -- what every response must be -----------------------------------------------------------


def documented(case: Any) -> dict[str, Any]:
    return dict(case.operation.definition.raw.get("responses", {}))


def media_type(response: Any) -> str:
    values = response.headers.get("content-type") or [""]
    return str(values[0]).split(";")[0].strip().lower()


def describe(case: Any, caller: str, response: Any | None = None) -> str:
    text = f"{case.operation.label} as {caller}: {case.as_curl_command()}"
    if response is not None:
        text += f"\n-> {response.status_code} {response.content[:600]!r}"
    return text


def check(case: Any, caller: str, response: Any, must_refuse: bool) -> None:
    status = response.status_code
    where = describe(case, caller, response)
    assert status != 500, f"server error: {where}"
    assert status < 500, f"server error: {where}"
    responses = documented(case)
    assert str(status) in responses, f"undocumented status: {where}"
    declared = responses.get(str(status), {}).get("content")
    allowed = set(declared) if declared and status < 400 else {"application/json"}
    if response.content or status >= 400:
        assert media_type(response) in allowed, f"content type not {allowed}: {where}"
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        assert isinstance(body, dict) and set(body) == ERROR_KEYS, f"error shape: {where}"
        assert body["status"] == status and isinstance(body["message"], str), where
        assert body["message"], f"an error without a message: {where}"
    if must_refuse:
        assert 400 <= status < 500, f"not refused: {where}"
    case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])


def org_of(caller: str) -> str:
    """Whose API a caller calls: its own org's (anonymous: the utility's)."""
    role = {**ROLES, FUZZ_HOUSEHOLD.key: FUZZ_HOUSEHOLD}.get(caller)
    return role.org.key if role is not None else "utility"


def send(api: Api, case: Any, caller: str, headers: dict[str, str]) -> Any:
    if "community" in (case.path_parameters or {}):
        case.path_parameters["community"] = "sunnyside"  # a community every org is on
    try:
        return case.call(app=api.app_of(org_of(caller)), headers=headers)
    except Exception as exc:  # TESTING: an unhandled exception is what would be a 500
        raise AssertionError(f"server error ({exc!r}): {describe(case, caller)}") from exc


def sends_its_mutation(case: Any) -> bool:
    """Whether a negative case still breaks the document as it is sent. Two mutations do
    not survive: one of the ``community`` path parameter, which `send` replaces, and an
    optional query parameter made an empty list or object, which is not sent at all."""
    meta = case.meta
    if meta.is_negative_at(Location.BODY) or meta.is_negative_at(Location.HEADER):
        return True
    if meta.is_negative_at(Location.QUERY) and sends_a_query_mutation(case):
        return True
    kept = [v for k, v in (case.path_parameters or {}).items() if k != "community"]
    too_long = any(len(str(value)) > MAX_PATH_PARAMETER for value in kept)
    return meta.is_negative_at(Location.PATH) and too_long


def sends_a_query_mutation(case: Any) -> bool:
    """Whether any mutation of the query is in the request (a case often mutates several
    parameters at once): one of the whole query (a required parameter left out), of a
    parameter whose value is sent, or of a required one not sent. A value that is an
    empty list or object is not sent; None is, as an empty value. Without a record of the
    mutations, every value must be sent."""
    query = case.query or {}
    mutations = [
        m for m in case.meta.phase.data.mutations if m.parameter_location == Location.QUERY
    ]
    if not mutations:
        return all(v not in ([], {}) for v in query.values())
    parameters = case.operation.definition.raw.get("parameters", [])
    required = {p["name"] for p in parameters if p.get("in") == "query" and p.get("required")}
    for mutation in mutations:
        name = name_of(mutation.schema_pointer) or mutation.parameter
        sent = name in query and query[name] not in ([], {})
        if name is None or name in required or sent:
            return True
    return False


def name_of(pointer: str) -> str | None:
    """The parameter a schema pointer like ``/properties/page/anyOf/0`` is about."""
    parts = pointer.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "properties" else None


def negatable(operation: Any) -> bool:
    """Whether the operation has something a negative case may break: a body or a query
    (its path parameters are plain strings, and every string is valid)."""
    raw = operation.definition.raw
    parameters = raw.get("parameters", [])
    return "requestBody" in raw or any(p.get("in") == "query" for p in parameters)


def cases(operation: Any) -> st.SearchStrategy[Any]:
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if not negatable(operation):
        return positive
    return st.one_of(positive, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))


# -- the tests -------------------------------------------------------------------------------


def test_the_plan_covers_every_operation_of_the_document(schema: Any) -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert sorted(labels - set(PLANS)) == []
    assert sorted(set(PLANS) - labels) == []


@pytest.mark.parametrize("label", FUZZED)
def test_fuzzing_an_operation_gives_documented_answers_and_no_write_from_a_refusal(
    api: Api,
    schema: Any,
    callers: dict[str, dict[str, str]],
    peers: list[Peer],
    certificates: dict[bytes, str],
    label: str,
) -> None:
    plan = PLANS[label]
    method, path = label.split(" ", 1)
    operation = schema[path][method]

    @FUZZ
    @given(case=cases(operation))
    def fuzz(case: Any) -> None:
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        negative = negative and sends_its_mutation(case)
        if plan.kind == "login":
            if not negative and isinstance(case.body, dict) and "enrollment_id" in case.body:
                case.body["enrollment_id"] = UNKNOWN_USER
            sends = [("anonymous", True)]
        elif plan.kind == "anonymous":
            sends = [("anonymous", True)]
        else:
            sends = plan.callers(negative)
        before = heights(peers) if method != "GET" else None
        accepted: Counter[str] = Counter()
        for caller, must_refuse in sends:
            response = send(api, case, caller, callers.get(caller, {}))
            check(case, caller, response, must_refuse or negative)
            if not negative and response.status_code == 422:
                assert label in BEYOND_THE_DOCUMENT, (
                    f"valid, yet refused: {describe(case, caller, response)}"
                )
            if 200 <= response.status_code < 300:
                accepted[caller] += 1
        if before is not None:
            sent = [caller for caller, _ in sends]
            assert_no_write_from_a_refusal(peers, certificates, before, accepted, sent)

    fuzz()


def test_the_write_check_counts_a_write_of_a_caller_it_is_told_was_refused(
    api: Api,
    callers: dict[str, dict[str, str]],
    peers: list[Peer],
    certificates: dict[bytes, str],
) -> None:
    """The check itself: a consent the fuzz household grants (its own record) is a valid
    transaction with its certificate, which fails the check if the grant was refused."""
    before = heights(peers)
    consent = {
        "consent_id": f"fuzz-check-{uuid.uuid4().hex[:12]}",
        "grantee": "CommunityMSP:advisor1",
        "purpose": "the fuzz test's check of its own write detection",
        "data_from": "2026-01-01T00:00:00Z",
        "data_to": "2026-01-02T00:00:00Z",
        "expires_at": "2099-01-01T00:00:00Z",
    }
    response = api.post(
        f"{SUNNYSIDE}/consents", headers=callers[FUZZ_HOUSEHOLD.key], json=consent, org="community"
    )
    assert response.status_code == 201, response.get_json()
    sent = [FUZZ_HOUSEHOLD.key, "operator"]
    with pytest.raises(AssertionError, match="fuzz_household was refused but committed"):
        assert_no_write_from_a_refusal(peers, certificates, before, Counter(), sent)
    accepted = Counter({FUZZ_HOUSEHOLD.key: 1})
    assert_no_write_from_a_refusal(peers, certificates, before, accepted, sent)


# one operation without authentication and one with: the body is decoded before either
# the role table or the chaincode is asked
JSON_BODIES = [
    ("POST /auth/login", "anonymous"),
    ("POST /communities/sunnyside/orders", "household"),
]


@pytest.mark.parametrize(("label", "caller"), JSON_BODIES, ids=[label for label, _ in JSON_BODIES])
def test_a_deeply_nested_json_body_is_a_400(
    api: Api, callers: dict[str, dict[str, str]], label: str, caller: str
) -> None:
    method, path = label.split(" ", 1)
    body = "[" * 1000 + "]" * 1000
    headers = callers.get(caller, {})
    try:
        response = api.call(
            method,
            path,
            headers=headers,
            data=body,
            content_type="application/json",
            org=org_of(caller),
        )
    except RecursionError as exc:  # TESTING: the exception a server answers with a 500
        raise AssertionError(f"{label} answers 500: {exc}") from exc
    assert response.status_code == 400, response.get_data()[:300]
    assert response.get_json() == {
        "status": 400,
        "message": "the request body is not valid JSON: it is nested more than 100 levels deep",
        "detail": {"json": ["Nested more than 100 levels deep."]},
    }


# operations that call no chaincode: the API itself, the CA, the peers' blocks, the nodes
NOT_THE_LEDGER = ("/healthz", "/auth/", "/admin/", "/audit/", "/config-updates", "/communities ")


def off_the_ledger(label: str) -> bool:
    """Whether an operation ("METHOD /path") calls no chaincode (`/communities` itself)."""
    path = label.split(" ", 1)[1] + " "
    return any(path.startswith(part) for part in NOT_THE_LEDGER)


def test_the_document_lists_the_statuses_of_a_ledger_operation(schema: Any) -> None:
    undocumented = {
        label: sorted({400, 403, 404, 409, 502, 503} - {int(s) for s in responses(schema, label)})
        for label in PLANS
        if not off_the_ledger(label)
    }
    assert {label: missing for label, missing in undocumented.items() if missing} == {}


def responses(schema: Any, label: str) -> list[str]:
    method, path = label.split(" ", 1)
    return [s for s in schema[path][method].definition.raw["responses"] if s.isdigit()]
