"""Request and response schemas of the API (marshmallow, through APIFlask), made of the
bounded fields of :mod:`api.routes.fields` (units and bounds are explained there)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range, Regexp

from api.routes.fields import DAY, ENROLLMENT_ID, MAX_MONEY, MAX_PRICE, UTC, Whole


class Period(Schema):
    start = String(required=True, validate=UTC)
    end = String(required=True, validate=UTC)


class Days(Schema):
    """Days [start, end), end exclusive."""

    start = String(required=True, validate=DAY)
    end = String(required=True, validate=DAY)


class MeterQuery(Schema):
    household_id = String(
        load_default="",
        validate=Length(0, 64),
        metadata={"description": "one household's meters; empty: every meter (staff)"},
    )


class BillingPeriod(Schema):
    period_start = String(required=True, validate=DAY)
    period_end = String(required=True, validate=DAY)


class Personal(Schema):
    """A household's personal details, as the chaincode keeps them (each 1-200 characters)."""

    name = String(validate=Length(1, 200))
    address = String(validate=Length(1, 200))
    email = String(validate=Length(1, 200))
    phone = String(validate=Length(1, 200))


class MeterIn(Schema):
    meter_id = String(required=True, validate=Length(1, 64))
    household_id = String(required=True, validate=Length(3, 64))
    feeder = String(required=True, validate=Length(1, 64))
    device_public_key = String(
        required=True, validate=Length(1, 4096), metadata={"description": "PEM, ECDSA P-256"}
    )
    personal = Nested(
        "Personal", load_default=None, metadata={"description": "kept private (households)"}
    )


class Meter(Schema):
    meter_id = String()
    household_id = String()
    feeder = String()
    device_public_key = String()
    status = String()
    registered_at = String()
    registered_by = String()
    tx_id = String()


class ConsentIn(Schema):
    consent_id = String(required=True, validate=Length(1, 64))
    grantee = String(
        required=True, validate=Length(3, 129), metadata={"example": "CommunityMSP:advisor1"}
    )
    purpose = String(required=True, validate=Length(1, 200))
    data_from = String(required=True, validate=UTC)
    data_to = String(required=True, validate=UTC)
    expires_at = String(required=True, validate=UTC)


class Consent(Schema):
    consent_id = String()
    household_id = String()
    grantee = String()
    purpose = String()
    data_from = String()
    data_to = String()
    expires_at = String()
    granted_at = String()
    revoked_at = String(allow_none=True)


class InvoiceIn(BillingPeriod):
    household_id = String(required=True, validate=Length(3, 64))


class InvoiceLine(Schema):
    code = String()
    description = String()
    quantity_wh = Integer()
    unit_price_per_kwh = Integer(allow_none=True)
    amount = Integer()


class Invoice(Schema):
    household = String()
    period_start = String()
    period_end = String()
    tariff_id = String()
    currency = String()
    lines = List(Nested(InvoiceLine))
    total = Integer()
    inputs_hash = String()
    issued_at = String()


class InvoiceEvidence(Schema):
    household_id = String()
    period_start = String()
    period_end = String()
    invoice_sha256 = String()
    inputs_hash = String()
    tx_id = String()


class GridEventIn(Schema):
    event_id = String(required=True, validate=Length(1, 64))
    event_type = String(required=True, validate=Length(1, 64))
    feeder = String(required=True, validate=Length(1, 64))
    start = String(required=True, validate=UTC)
    end = String(load_default=None, validate=UTC)
    cause = String(load_default="", validate=Length(0, 500))
    affected_meters = Whole(load_default=0, validate=Range(0, 10_000_000))


class GridEvent(Schema):
    event_id = String()
    event_type = String()
    feeder = String()
    start = String()
    end = String(allow_none=True)
    cause = String()
    affected_meters = Integer()
    reported_by = String()
    reported_at = String()
    tx_id = String()


class EndIn(Schema):
    end = String(required=True, validate=UTC)


class Band(Schema):
    """A time-of-use band: [start, end) of each UTC day, at its import price."""

    name = String(required=True, validate=Length(1, 64), metadata={"example": "peak"})
    start = String(required=True, validate=Length(5, 5), metadata={"example": "17:00"})
    end = String(required=True, validate=Length(5, 5), metadata={"example": "21:00"})
    import_price_per_kwh = Whole(required=True, validate=Range(0, MAX_PRICE))


class TariffIn(Schema):
    tariff_id = String(required=True, validate=Length(1, 64))
    currency = String(required=True, validate=Length(3, 3))
    bands = List(Nested(Band), required=True, validate=Length(1, 96))
    feed_in_price_per_kwh = Whole(required=True, validate=Range(0, MAX_PRICE))
    p2p_grid_fee_per_kwh = Whole(required=True, validate=Range(0, MAX_PRICE))
    daily_fixed_charge = Whole(required=True, validate=Range(0, MAX_MONEY))
    valid_from = String(required=True, validate=DAY)


class Tariff(Schema):
    tariff = Raw()
    status = String()
    proposed_by = String()
    proposed_at = String()
    approved_by = String(allow_none=True)
    approved_at = String(allow_none=True)


class Member(Schema):
    msp_id = String()
    name = String()
    kind = String()
    status = String()
    registered_at = String()
    registered_by = String()
    recorded_by_msp = String()
    tx_id = String()
    onboarding = Dict(metadata={"description": "the config update that admitted the org"})
    removal = Dict(metadata={"description": "the config updates that removed the org"})
    removed_at = String()
    removed_by = String()


class MemberIn(Schema):
    name = String(required=True, validate=Length(1, 200), metadata={"example": "GridCo"})
    kind = String(required=True, validate=OneOf(["utility", "community", "regulator"]))


class MembershipChangeIn(Schema):
    kind = String(required=True, validate=OneOf(["admission", "removal"]))
    org = String(
        required=True,
        validate=Regexp(r"^[a-z][a-z0-9]{1,30}$", error="use 2-31 lowercase letters or digits"),
        metadata={"example": "riverside", "description": "the org's key"},
    )
    name = String(validate=Length(1, 128), metadata={"example": "Riverside Energy Cooperative"})
    msp_id = String(
        validate=Regexp(r"^[A-Za-z][A-Za-z0-9.-]{0,63}$", error="not an MSP id"),
        metadata={"example": "RiversideMSP"},
    )


class MembershipChange(Schema):
    id = String()
    kind = String()
    org_key = String()
    msp_id = String()
    proposed_by = String()
    proposed_at = String()
    proposals = Dict(keys=String(), values=String())
    status = String()
    signatures = List(Dict())
    outstanding = Dict()
    requirements = Dict()
    result = Dict()


class AggregateIn(Schema):
    community = String(required=True, validate=Length(1, 64))
    interval_start = String(required=True, validate=UTC)
    households = Whole(required=True, validate=Range(0, 10_000_000))
    import_wh = Whole(required=True, validate=Range(0, MAX_MONEY))
    export_wh = Whole(required=True, validate=Range(0, MAX_MONEY))


class Aggregate(Schema):
    community = String()
    interval_start = String()
    households = Integer()
    import_wh = Integer()
    export_wh = Integer()
    k = Integer()
    published_by = String()
    published_at = String()


class ThresholdIn(Schema):
    k = Whole(required=True, validate=Range(2, 1000))


class Threshold(Schema):
    k = Integer()


class IdentityIn(Schema):
    enrollment_id = String(required=True, validate=ENROLLMENT_ID)
    role = String(
        required=True,
        validate=OneOf(
            [
                "household",
                "agent",
                "meter",
                "operator",
                "billing",
                "regulator",
                "third_party",
                "ven",
            ]
        ),
    )
    household_id = String(load_default=None, validate=Length(3, 64))
    secret = String(load_default=None, validate=Length(8, 128))


class IdentityOut(Schema):
    enrollment_id = String()
    secret = String()
    org = String()
    role = String()


class ChainBreak(Schema):
    block_number = Integer()
    check = String(metadata={"description": "number, previous_hash or data_hash"})
    expected = String()
    found = String()


class ChainVerification(Schema):
    channel = String()
    ok = Boolean()
    blocks_checked = Integer()
    first_block = Integer(allow_none=True)
    last_block = Integer(allow_none=True)
    head_hash = String(
        allow_none=True, metadata={"description": "hex SHA-256 of the newest header"}
    )
    first_break = Nested(ChainBreak, allow_none=True)


class KeyQuery(Schema):
    namespace = String(required=True, validate=Length(1, 128), metadata={"example": "consortium"})
    key = String(required=True, validate=Length(1, 1024), metadata={"example": "member~UtilityMSP"})
