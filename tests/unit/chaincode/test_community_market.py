"""MarketContract over the in-memory ledger: sealed orders, clearing, settlement.

FakeLedger stamps its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n), so the
market trades the interval 2026-03-01T08:15Z, which has ended (its readings can be
submitted) and is well within the seven days orders may look back. Only a household
with an active meter may trade, so most tests start from the ``ledger`` fixture, where
the operator has registered the meters of h-001 to h-004 (transactions 1-4; the first
order is the 5th, at 09:35). The auction and settlement maths are tested in
tests/unit/community; here the contract: access, sealing, state, idempotency, events,
exact messages and wiring to meters and tariffs.
"""

import base64
import dataclasses
import datetime
import hashlib
import json
import secrets

import pytest
from ccfakes import T0, identity
from ccommunity import (
    BILLING,
    HEAD_END,
    OPERATOR,
    REGULATOR,
    TOU,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    household,
    invoke,
    keyed,
    member,
    register,
    snapshot,
    submit_readings,
)

from network.scenario import community

H1, H2, H3, H4 = community()[:4]
H9 = community()[8]  # h-009: its meter is never registered
INTERVAL = "2026-03-01T08:15:00Z"

FIELDS = "energy_wh, interval_start, order_id, price_per_kwh, salt, side"
SALT_RULE = "salt must be 16 to 64 random bytes in base64url"
BOTH_SIDES = "a household may not both sell and buy in one interval"

HOUSEHOLDS = {n: household(n) for n in (1, 2, 3, 4, 9)}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def at(n):
    """The timestamp of the ledger's n-th transaction."""
    return (T0 + datetime.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


SALTS: dict[tuple[str, str], str] = {}


def order_salt(order_id, interval=INTERVAL):
    """The salt the household's app drew for an order: random, the same per order all run."""
    return SALTS.setdefault((order_id, interval), secrets.token_urlsafe(18))


def order(order_id="o-1", side="offer", energy_wh=1000, price=20, interval=INTERVAL, salt=None):
    return {
        "order_id": order_id,
        "side": side,
        "interval_start": interval,
        "energy_wh": energy_wh,
        "price_per_kwh": price,
        "salt": order_salt(order_id, interval) if salt is None else salt,
    }


def place(ledger, cc, n=1, creator=None, raw=None, **changes):
    """Household n places order(**changes), or the raw transient value *raw*."""
    value = canonical(order(**changes)) if raw is None else raw
    return invoke(
        ledger,
        cc,
        creator or HOUSEHOLDS[n],
        "MarketContract:PlaceOrder",
        transient={"order": value},
    )


def clear(ledger, cc, interval=INTERVAL, creator=OPERATOR):
    return invoke(ledger, cc, creator, "MarketContract:ClearInterval", interval)


def settle(ledger, cc, interval=INTERVAL, creator=OPERATOR):
    return invoke(ledger, cc, creator, "MarketContract:SettleInterval", interval)


def order_key(order_id, interval=INTERVAL):
    return keyed("order", interval, order_id)


def commitment_key(order_id, interval=INTERVAL):
    return f"ordercommit~{interval}~{order_id}"


def side_key(household_id, interval=INTERVAL):
    return keyed("orderside", interval, household_id)


def metered(ledger, cc, meter, import_wh, export_wh):
    """One 15-minute reading of *meter* for INTERVAL."""
    return submit_readings(ledger, cc, meter, (INTERVAL, 15, import_wh, export_wh))


def approve_tariff(ledger, cc):
    proposed = invoke(ledger, cc, OPERATOR, "TariffContract:ProposeTariff", json.dumps(TOU))
    approved = invoke(ledger, cc, REGULATOR, "TariffContract:ApproveTariff", "tou-1")
    assert (proposed.status, approved.status) == (200, 200)


def with_meters(cc, meters=(H1, H2, H3, H4)):
    """A ledger where the operator has registered *meters* (one transaction each)."""
    ledger = community_ledger()
    for meter in meters:
        result = register(ledger, cc, meter)
        assert result.status == 200, result.message
    return ledger


@pytest.fixture
def ledger(cc):
    """h-001 to h-004 each have an active meter; the next transaction is the 5th (09:35)."""
    return with_meters(cc)


# --- PlaceOrder ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "party", "limit"),
    [("offer", "seller", "min_price_per_kwh"), ("bid", "buyer", "max_price_per_kwh")],
)
def test_a_household_places_a_sealed_order(cc, ledger, side, party, limit):
    result = place(ledger, cc, side=side, energy_wh=1234, price=17)
    assert result.status == 200, result.message
    summary = {"order_id": "o-1", "interval_start": INTERVAL}
    assert result.json() == summary

    salt = order_salt("o-1")
    stored = canonical(
        {
            "side": side,
            "interval_start": INTERVAL,
            "order_id": "o-1",
            party: "h-001",
            "energy_wh": 1234,
            limit: 17,
            "placed_at": at(5),
            "salt": salt,
        }
    )
    marker = canonical({"orders": ["o-1"], "salt": salt, "side": side})
    # the order and the household's side live only in the orders collection
    assert ledger.private["orders"] == {order_key("o-1"): stored, side_key("h-001"): marker}
    assert set(result.stub.private_writes) == {
        ("orders", order_key("o-1")),
        ("orders", side_key("h-001")),
    }
    # public state gains exactly the commitment: the SHA-256 of the stored bytes
    assert result.stub.writes == {commitment_key("o-1"): canonical({"sha256": sha256(stored)})}
    # (so no household, side, price or salt: a hex digest cannot spell any of them)
    for secret in (b"h-001", side.encode(), salt.encode()):
        assert not any(secret in value for value in result.stub.writes.values()), secret
    assert ledger.events[-1] == ("OrderPlaced", canonical(summary))
    assert result.stub.events == [("OrderPlaced", canonical(summary))]

    book = invoke(ledger, cc, REGULATOR, "MarketContract:GetOrderBook", INTERVAL)
    assert book.json() == {"interval_start": INTERVAL, "orders": 1, "cleared": False}


def test_the_salt_blinds_the_commitment_and_the_private_data_hashes(cc):
    """The same terms, placed at the same moment with two salts, leave nothing in common
    that every peer sees: not the public commitment, not the hashes of the private keys."""
    placed = []
    for salt in (order_salt("o-1"), order_salt("o-1", "another")):
        ledger = with_meters(cc)
        assert place(ledger, cc, salt=salt).status == 200
        placed.append(ledger)
    first, second = placed
    assert first.state[commitment_key("o-1")] != second.state[commitment_key("o-1")]
    for key in (order_key("o-1"), side_key("h-001")):
        assert first.private_hash("orders", key) != second.private_hash("orders", key), key
    # and what is hashed is exactly what is stored, salt included
    stored = first.private["orders"][order_key("o-1")]
    assert json.loads(stored)["salt"] == order_salt("o-1")
    assert first.state[commitment_key("o-1")] == canonical({"sha256": sha256(stored)})
    assert first.private_hash("orders", order_key("o-1")) == hashlib.sha256(stored).digest()


@pytest.mark.parametrize("side", ["offer", "bid"])
def test_the_side_marker_keeps_the_first_salt_and_lists_each_order(cc, ledger, side):
    assert place(ledger, cc, order_id="o-1", side=side).status == 200
    second = place(ledger, cc, order_id="o-2", side=side)
    assert second.status == 200, second.message
    # the second order of the same side writes its order, its commitment and the marker
    assert set(second.stub.private_writes) == {
        ("orders", order_key("o-2")),
        ("orders", side_key("h-001")),
    }
    assert set(second.stub.writes) == {commitment_key("o-2")}
    # the marker keeps the first order's salt and lists both orders, as canonical JSON
    first_marker = canonical({"orders": ["o-1"], "salt": order_salt("o-1"), "side": side})
    marker = canonical({"orders": ["o-1", "o-2"], "salt": order_salt("o-1"), "side": side})
    assert ledger.private["orders"][side_key("h-001")] == marker
    assert ledger.private_history[("orders", side_key("h-001"))] == [first_marker, marker]
    # each order's commitment is the SHA-256 of its own stored, salted bytes
    for order_id in ("o-1", "o-2"):
        stored = ledger.private["orders"][order_key(order_id)]
        assert json.loads(stored)["salt"] == order_salt(order_id)
        assert ledger.state[commitment_key(order_id)] == canonical({"sha256": sha256(stored)})


def test_placing_the_same_order_again_is_a_no_op_though_placed_at_differs(cc, ledger):
    first = place(ledger, cc)
    before = snapshot(ledger)
    again = place(ledger, cc)  # a later transaction: its placed_at would differ
    assert (again.status, again.payload) == (200, first.payload)
    assert (again.stub.writes, again.stub.private_writes, again.stub.events) == ({}, {}, [])
    assert snapshot(ledger) == before
    assert json.loads(ledger.private["orders"][order_key("o-1")])["placed_at"] == at(5)


@pytest.mark.parametrize(
    ("n", "changes"),
    [
        (1, {"energy_wh": 999}),
        (1, {"price": 21}),
        (1, {"side": "bid"}),
        (1, {"salt": order_salt("o-1", "another")}),
        (2, {}),
    ],
    ids=["energy", "price", "side", "salt", "other-household"],
)
def test_reusing_an_order_id_with_other_terms_is_refused(cc, ledger, n, changes):
    assert place(ledger, cc).status == 200
    before = snapshot(ledger)
    result = place(ledger, cc, n, **changes)
    assert (result.status, result.message) == (500, "order o-1 already exists with other terms")
    assert snapshot(ledger) == before


def test_an_order_id_may_be_reused_in_another_interval(cc, ledger):
    assert place(ledger, cc).status == 200
    assert place(ledger, cc, interval="2026-03-01T08:30:00Z").status == 200
    assert sorted(k for k in ledger.state if k.startswith("ordercommit~")) == [
        commitment_key("o-1"),
        commitment_key("o-1", "2026-03-01T08:30:00Z"),
    ]


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (
            "offer",
            "bid",
            f"household h-001 already has an offer in interval {INTERVAL}; {BOTH_SIDES}",
        ),
        (
            "bid",
            "offer",
            f"household h-001 already has a bid in interval {INTERVAL}; {BOTH_SIDES}",
        ),
    ],
)
def test_a_household_may_not_both_sell_and_buy_in_one_interval(cc, ledger, first, second, message):
    assert place(ledger, cc, order_id="o-1", side=first).status == 200
    assert place(ledger, cc, order_id="o-2", side=first).status == 200  # same side: fine
    before = snapshot(ledger)
    result = place(ledger, cc, order_id="o-3", side=second)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == before
    # the other side in another interval, or another household on the other side, is fine
    assert (
        place(ledger, cc, order_id="o-3", side=second, interval="2026-03-01T08:30:00Z").status
        == 200
    )
    assert place(ledger, cc, 2, order_id="o-4", side=second).status == 200


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (
            identity("UtilityMSP", "household", cn="h"),
            "caller from UtilityMSP (utility) may not call PlaceOrder; allowed: community",
        ),
        (
            OPERATOR,
            "caller from UtilityMSP (utility) may not call PlaceOrder; allowed: community",
        ),
        (
            member("RegulatorMSP", "h", "household", household_id="h-001"),
            "caller from RegulatorMSP (regulator) may not call PlaceOrder; allowed: community",
        ),
        (
            identity("CommunityMSP", "operator", cn="op"),
            "caller role 'operator' may not call PlaceOrder; allowed: household, agent",
        ),
        (
            identity("CommunityMSP", None, cn="nobody"),
            "caller without a role may not call PlaceOrder; allowed: household, agent",
        ),
        (identity("CommunityMSP", "household", cn="h"), "caller has no household_id attribute"),
    ],
    ids=[
        "utility-household-role",
        "utility-operator",
        "regulator",
        "community-operator",
        "no-role",
        "no-household-id",
    ],
)
def test_only_households_of_the_community_place_orders(cc, ledger, creator, message):
    before = snapshot(ledger)
    result = place(ledger, cc, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == before


def purge(ledger, cc, household_id):
    args = (household_id, "household request")
    result = invoke(ledger, cc, OPERATOR, "MeterContract:PurgeHousehold", *args)
    assert result.status == 200, result.message


@pytest.mark.parametrize(
    ("n", "erase"),
    [(9, None), (1, "h-001")],
    ids=["never-registered", "erased"],
)
@pytest.mark.parametrize("side", ["offer", "bid"])
def test_a_household_without_an_active_meter_may_not_place_orders(cc, ledger, n, erase, side):
    if erase is not None:
        purge(ledger, cc, erase)
        assert json.loads(ledger.state["meter~m-001"])["status"] == "erased"
    before = snapshot(ledger)
    result = place(ledger, cc, n, side=side)
    assert (result.status, result.message) == (
        500,
        f"household h-{n:03d} has no active meter to deliver with",
    )
    assert snapshot(ledger) == before
    # another household with its meter places the same order
    assert place(ledger, cc, 2, side=side).status == 200


def test_registering_a_meter_lets_a_household_trade(cc, ledger):
    assert place(ledger, cc, 9).status == 500
    assert register(ledger, cc, H9).status == 200
    result = place(ledger, cc, 9)
    assert result.status == 200, result.message
    assert json.loads(ledger.private["orders"][order_key("o-1")])["seller"] == "h-009"


def without(name):
    return canonical({k: v for k, v in order().items() if k != name})


def salted(salt):
    return canonical(order(salt=salt))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "the order must be sent in the transient map under 'order'"),
        (b"an offer of 1 kwh", "transient 'order' must be a JSON object"),
        (b"\xff\xfe", "transient 'order' must be a JSON object"),
        (canonical([order()]), f"transient 'order' must have exactly: {FIELDS}"),
        (
            canonical({**order(), "seller": "h-002"}),
            f"transient 'order' must have exactly: {FIELDS}",
        ),
        (without("price_per_kwh"), f"transient 'order' must have exactly: {FIELDS}"),
        (without("interval_start"), f"transient 'order' must have exactly: {FIELDS}"),
        (without("salt"), f"transient 'order' must have exactly: {FIELDS}"),
        # the field set is checked first, then the interval, then the salt
        (
            canonical({k: v for k, v in order(interval="soon").items() if k != "salt"}),
            f"transient 'order' must have exactly: {FIELDS}",
        ),
        (
            canonical(order(interval="2026-03-01T08:10:00Z", salt="short")),
            "interval 2026-03-01T08:10:00Z is not aligned to 15 minutes",
        ),
        (canonical(order(side="sell")), "order o-1: side must be 'offer' or 'bid'"),
        (canonical(order(side="sell", salt="short")), f"order o-1: {SALT_RULE}"),
        (
            canonical(order(energy_wh=0)),
            "offer o-1: energy_wh must be between 1 and 1000000",
        ),
        (canonical(order(energy_wh="10")), "offer o-1: energy_wh must be an integer"),
        (
            canonical(order(side="bid", price=-1)),
            "bid o-1: max_price_per_kwh must be between 0 and 100000",
        ),
        (
            canonical(order(order_id="o~1")),
            "offer id 'o~1' is invalid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        ),
        (
            canonical(order(interval="2026-03-01T08:10:00Z")),
            "interval 2026-03-01T08:10:00Z is not aligned to 15 minutes",
        ),
        (
            canonical(order(interval="2026-03-01 08:15")),
            "interval '2026-03-01 08:15' is not an iso-8601 utc time like 2026-03-01T09:15:00Z",
        ),
        (
            canonical(order(interval="2026-02-22T09:30:00Z")),
            "interval 2026-02-22T09:30:00Z started more than 7 days ago",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "transient 'order' is nested too deeply"),
        (
            canonical(order(energy_wh="X")).replace(b'"X"', b"Infinity"),
            "transient 'order' holds Infinity: numbers must be finite",
        ),
        (
            canonical(order(energy_wh="X")).replace(b'"X"', b"1" * 4301),
            "transient 'order' holds a number of more than 4300 digits",
        ),
    ],
    ids=[
        "missing",
        "not-json",
        "not-utf8",
        "not-an-object",
        "extra-field",
        "missing-price",
        "missing-interval",
        "missing-salt",
        "fields-before-interval",
        "interval-before-salt",
        "side",
        "salt-before-side",
        "energy-zero",
        "energy-not-int",
        "price-negative",
        "order-id",
        "interval-unaligned",
        "interval-malformed",
        "interval-over-7-days-old",
        "nested-100000-deep",
        "infinity",
        "4301-digits",
    ],
)
def test_a_malformed_order_is_refused_with_the_exact_reason(cc, ledger, raw, message):
    before = snapshot(ledger)
    transient = None if raw is None else {"order": raw}
    result = invoke(ledger, cc, HOUSEHOLDS[1], "MarketContract:PlaceOrder", transient=transient)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == before


def b64url(n):
    """*n* bytes in base64url without padding, as the household's app sends a salt."""
    return base64.urlsafe_b64encode(bytes(range(256))[:n]).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "salt",
    [
        b64url(15),  # 20 characters
        "A" * 21,
        b64url(65),  # 87 characters
        "A" * 87,
        base64.b64encode(b"\xfb\xff\xff" * 6).decode(),  # "+///" six times
        base64.urlsafe_b64encode(bytes(16)).decode(),  # 22 characters and '==' padding
        "A" * 21 + " ",
        "A" * 21 + "~",
        "A" * 21 + "é",
        "A" * 22 + "\n",
        "",
    ],
    ids=[
        "15-bytes",
        "21-chars",
        "65-bytes",
        "87-chars",
        "standard-base64",
        "padding",
        "space",
        "tilde",
        "non-ascii",
        "trailing-newline",
        "empty",
    ],
)
def test_a_salt_that_is_not_16_to_64_bytes_of_base64url_is_refused(cc, ledger, salt):
    before = snapshot(ledger)
    result = place(ledger, cc, salt=salt)
    assert (result.status, result.message) == (500, f"order o-1: {SALT_RULE}")
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    "salt",
    [b64url(16), "A" * 22, b64url(64), "z" * 86, "-_" * 11, order_salt("o-1")],
    ids=["16-bytes", "22-chars", "64-bytes", "86-chars", "dash-underscore", "simulated"],
)
def test_a_salt_of_16_to_64_bytes_of_base64url_is_accepted(cc, ledger, salt):
    result = place(ledger, cc, salt=salt)
    assert result.status == 200, result.message
    assert json.loads(ledger.private["orders"][order_key("o-1")])["salt"] == salt


def test_an_interval_up_to_7_days_old_is_still_open(cc, ledger):
    result = place(ledger, cc, interval="2026-02-22T09:45:00Z")  # placed at 09:35
    assert result.status == 200, result.message


def test_orders_for_a_cleared_interval_are_refused(cc, ledger):
    assert place(ledger, cc).status == 200
    assert clear(ledger, cc).status == 200
    before = snapshot(ledger)
    for n, changes in ((2, {"order_id": "o-2"}), (1, {})):  # a new order, the same one again
        result = place(ledger, cc, n, **changes)
        assert (result.status, result.message) == (500, f"interval {INTERVAL} is already cleared")
    assert snapshot(ledger) == before


# --- ClearInterval ---------------------------------------------------------------------

BOOK = [  # (household, order_id, side, energy_wh, price)
    (1, "o-1", "offer", 1000, 10),
    (2, "o-2", "offer", 500, 14),
    (3, "b-1", "bid", 800, 20),
    (4, "b-2", "bid", 600, 12),
]


def place_book(ledger, cc, book=BOOK, interval=INTERVAL):
    for n, order_id, side, energy_wh, price in book:
        result = place(
            ledger,
            cc,
            n,
            order_id=order_id,
            side=side,
            energy_wh=energy_wh,
            price=price,
            interval=interval,
        )
        assert result.status == 200, result.message


def trade(number, seller, buyer, seller_order, buyer_order, energy_wh, price, amount, at):
    return {
        "trade_id": f"t-20260301T0815Z-{number:05d}",
        "interval_start": INTERVAL,
        "seller": seller,
        "buyer": buyer,
        "seller_order_id": seller_order,
        "buyer_order_id": buyer_order,
        "energy_wh": energy_wh,
        "price_per_kwh": price,
        "timestamp": at,
        "status": "matched",
        "amount": amount,
    }


def sealed(matched):
    """A trade as the orders collection keeps it: salted by its two orders' salts."""
    offer, bid = order_salt(matched["seller_order_id"]), order_salt(matched["buyer_order_id"])
    salt = sha256(f"trade|{offer}|{bid}|{matched['trade_id']}".encode())
    return {**matched, "salt": salt}


def index_key(household_id, interval=INTERVAL):
    return f"{keyed('tradesof', household_id)}~{interval}"


def list_trades(ledger, cc, creator=OPERATOR, start=INTERVAL, end="2026-03-01T08:30:00Z"):
    result = invoke(ledger, cc, creator, "MarketContract:ListTrades", start, end)
    assert result.status == 200, result.message
    return result.json()


MATCHED = [
    # bids 20 and 12 meet offers 10 and 14: 800 + 200 Wh match. b-2 (12) is left partly
    # unserved, so the price cannot be below 12, nor above the accepted bid of 12
    trade(1, "h-001", "h-003", "o-1", "b-1", 800, 12, 10, at(9)),
    trade(2, "h-001", "h-004", "o-1", "b-2", 200, 12, 2, at(9)),
]


def test_clearing_keeps_the_trades_private_and_publishes_price_volume_and_commitments(cc, ledger):
    place_book(ledger, cc)
    result = clear(ledger, cc)  # after 4 registrations and 4 orders: the 9th transaction
    assert result.status == 200, result.message
    trades = [sealed(t) for t in MATCHED]
    public = {
        "interval_start": INTERVAL,
        "price_per_kwh": 12,
        "matched_wh": 1000,
        "offers": 2,
        "bids": 2,
        "trades": 2,
        "trade_commitments": {t["trade_id"]: sha256(canonical(t)) for t in trades},
        "cleared_at": at(9),
        "tx_id": "tx-9",
    }
    assert result.json() == public
    assert result.stub.writes == {f"clearing~{INTERVAL}": canonical(public)}
    # a trade's commitment is also the private-data hash every peer holds of it
    for t in trades:
        key = f"trade~{INTERVAL}~{t['trade_id']}"
        assert (
            ledger.private_hashes["orders"][key].hex() == public["trade_commitments"][t["trade_id"]]
        )
    detail = canonical(
        {
            "offer_fills": [
                {"order_id": "o-1", "household": "h-001", "side": "offer",
                 "energy_wh": 1000, "matched_wh": 1000, "unmatched_wh": 0},
                {"order_id": "o-2", "household": "h-002", "side": "offer",
                 "energy_wh": 500, "matched_wh": 0, "unmatched_wh": 500},
            ],
            "bid_fills": [
                {"order_id": "b-1", "household": "h-003", "side": "bid",
                 "energy_wh": 800, "matched_wh": 800, "unmatched_wh": 0},
                {"order_id": "b-2", "household": "h-004", "side": "bid",
                 "energy_wh": 600, "matched_wh": 200, "unmatched_wh": 400},
            ],
            "unmatched_supply": {"h-002": 500},
            "unmatched_demand": {"h-004": 400},
        }
    )  # fmt: skip
    ids = [t["trade_id"] for t in trades]
    assert {key: w.value for (_, key), w in result.stub.private_writes.items()} == {
        **{f"trade~{INTERVAL}~{t['trade_id']}": canonical(t) for t in trades},
        index_key("h-001"): canonical({"trade_ids": ids}),
        index_key("h-003"): canonical({"trade_ids": ids[:1]}),
        index_key("h-004"): canonical({"trade_ids": ids[1:]}),
        f"clearingdetail~{INTERVAL}": detail,
    }
    summary = {"interval_start": INTERVAL, "price_per_kwh": 12, "matched_wh": 1000, "trades": 2}
    assert ledger.events[-1] == ("IntervalCleared", canonical(summary))

    # anyone reads the public record; only members' staff read the detail
    read = invoke(ledger, cc, REGULATOR, "MarketContract:GetClearing", INTERVAL)
    assert read.payload == canonical(public)
    full = invoke(ledger, cc, OPERATOR, "MarketContract:GetClearingDetail", INTERVAL)
    listed = [{**t, "invoiced": []} for t in trades]
    assert full.json() == {**public, **json.loads(detail), "trades": listed}
    book = invoke(ledger, cc, REGULATOR, "MarketContract:GetOrderBook", INTERVAL)
    assert book.json() == {"interval_start": INTERVAL, "orders": 4, "cleared": True}


def test_the_public_state_of_a_cleared_market_names_no_household_energy_or_price(cc, ledger):
    """What orders and clearing add to what the regulator's peer holds in plain: no
    household id, no order's energy or limit, no trade's parties."""
    before, seen = dict(ledger.state), len(ledger.events)
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    added = b"".join(
        key.encode() + value for key, value in ledger.state.items() if key not in before
    )
    events = b"".join(payload for _, payload in ledger.events[seen:])
    for secret in (b"h-00", b'"energy_wh"', b"min_price", b"max_price", b'"seller"', b'"buyer"'):
        assert secret not in added, secret
        assert secret not in events, secret
    assert b"1000" in added  # the volume is public: the check above can see values


@pytest.mark.parametrize(
    ("creator", "expected"),
    [
        (OPERATOR, [0, 1]),
        (BILLING, [0, 1]),
        (member("CommunityMSP", "admin1", "admin"), [0, 1]),
        (HOUSEHOLDS[1], [0, 1]),
        (HOUSEHOLDS[3], [0]),
        (HOUSEHOLDS[4], [1]),
        (HOUSEHOLDS[2], []),
    ],
    ids=["operator", "billing", "community-admin", "seller", "buyer", "buyer-2", "no-trade"],
)
def test_a_household_lists_its_own_trades_and_the_staff_every_trade(cc, ledger, creator, expected):
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    trades = [{**sealed(t), "invoiced": []} for t in MATCHED]
    assert list_trades(ledger, cc, creator) == [trades[n] for n in expected]
    later = list_trades(ledger, cc, creator, "2026-03-01T08:30:00Z", "2026-03-01T09:00:00Z")
    assert later == []


@pytest.mark.parametrize(
    ("transaction", "creator", "message"),
    [
        ("ListTrades", REGULATOR, "caller from RegulatorMSP (regulator) may not call ListTrades; "
         "allowed: utility, community"),
        ("GetClearingDetail", REGULATOR, "caller from RegulatorMSP (regulator) may not call "
         "GetClearingDetail; allowed: utility, community"),
        ("GetClearingDisclosure", HOUSEHOLDS[1], "caller role 'household' may not call "
         "GetClearingDisclosure; allowed: operator, billing, admin"),
        ("GetClearingDetail", HOUSEHOLDS[1], "caller role 'household' may not call "
         "GetClearingDetail; allowed: operator, billing, admin"),
    ],
)  # fmt: skip
def test_who_may_not_read_the_markets_private_records(cc, ledger, transaction, creator, message):
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    args = (INTERVAL, "2026-03-01T08:30:00Z") if transaction == "ListTrades" else (INTERVAL,)
    result = invoke(ledger, cc, creator, f"MarketContract:{transaction}", *args)
    assert (result.status, result.message) == (500, message)


def test_an_interval_is_cleared_once(cc, ledger):
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    before = snapshot(ledger)
    again = clear(ledger, cc)
    assert (again.status, again.message) == (500, f"interval {INTERVAL} is already cleared")
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    "book",
    [BOOK[:2], BOOK[2:], []],
    ids=["offers-only", "bids-only", "empty"],
)
def test_a_one_sided_book_clears_without_price_or_trades(cc, ledger, book):
    place_book(ledger, cc, book)
    result = clear(ledger, cc)
    assert result.status == 200, result.message
    record = result.json()
    assert (record["price_per_kwh"], record["matched_wh"], record["trades"]) == (None, 0, 0)
    assert (record["offers"], record["bids"], record["trade_commitments"]) == (
        sum(side == "offer" for _, _, side, _, _ in book),
        sum(side == "bid" for _, _, side, _, _ in book),
        {},
    )
    assert list(result.stub.writes) == [f"clearing~{INTERVAL}"]
    assert [key for _, key in result.stub.private_writes] == [f"clearingdetail~{INTERVAL}"]
    summary = {"interval_start": INTERVAL, "price_per_kwh": None, "matched_wh": 0, "trades": 0}
    assert ledger.events[-1] == ("IntervalCleared", canonical(summary))


def tamper(**changes):
    def change(orders):
        record = json.loads(orders[order_key("o-1")])
        orders[order_key("o-1")] = canonical({**record, **changes})

    return change


@pytest.mark.parametrize(
    "tamper",
    [
        tamper(min_price_per_kwh=1),
        tamper(salt=order_salt("o-1", "another")),
        lambda orders: orders.pop(order_key("o-1")),
    ],
    ids=["price-changed", "salt-changed", "missing"],
)
def test_a_private_order_that_does_not_match_its_commitment_is_refused(cc, ledger, tamper):
    place_book(ledger, cc)
    missing = tamper.__name__ == "<lambda>"
    tamper(ledger.private["orders"])
    before = snapshot(ledger)
    result = clear(ledger, cc)
    message = (
        f"this peer does not hold order o-1 of interval {INTERVAL}; "
        "ask a peer of the utility or the community"
        if missing
        else "order o-1 does not match its commitment"
    )
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (BILLING, "caller role 'billing' may not call ClearInterval; allowed: operator"),
        (
            identity("CommunityMSP", "operator", cn="op"),
            "caller from CommunityMSP (community) may not call ClearInterval; allowed: utility",
        ),
        (
            HOUSEHOLDS[1],
            "caller from CommunityMSP (community) may not call ClearInterval; allowed: utility",
        ),
        (
            REGULATOR,
            "caller from RegulatorMSP (regulator) may not call ClearInterval; allowed: utility",
        ),
    ],
    ids=["billing", "community-operator", "household", "regulator"],
)
def test_only_the_utilitys_operator_clears(cc, ledger, creator, message):
    place_book(ledger, cc)
    before = snapshot(ledger)
    result = clear(ledger, cc, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    ("transaction", "interval", "message"),
    [
        (
            "ClearInterval",
            "2026-03-01T08:10:00Z",
            "interval 2026-03-01T08:10:00Z is not aligned to 15 minutes",
        ),
        (
            "SettleInterval",
            "2026-03-01T08:15",
            "interval '2026-03-01T08:15' is not an iso-8601 utc time like 2026-03-01T09:15:00Z",
        ),
        ("SettleInterval", INTERVAL, f"interval {INTERVAL} is not cleared"),
        ("GetClearing", INTERVAL, f"interval {INTERVAL} is not cleared"),
    ],
)
def test_interval_arguments_are_checked(cc, ledger, transaction, interval, message):
    place_book(ledger, cc)
    result = invoke(ledger, cc, OPERATOR, f"MarketContract:{transaction}", interval)
    assert (result.status, result.message) == (500, message)


# --- SettleInterval --------------------------------------------------------------------


@pytest.fixture
def cleared(cc, ledger):
    """H1-H4 registered, tou-1 approved, BOOK placed and cleared (h-001 sells 800 Wh to
    h-003 and 200 Wh to h-004); no readings yet."""
    approve_tariff(ledger, cc)
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    return ledger


def settled_trade(matched, delivered_wh, status):
    shortfall = matched["energy_wh"] - delivered_wh
    return {
        **matched,
        "delivered_wh": delivered_wh,
        "shortfall_price_per_kwh": 30,  # the day band's import price at 08:15
        "status": status,
        "delivered_amount": (delivered_wh * matched["price_per_kwh"] + 500) // 1000,
        "shortfall_wh": shortfall,
        "shortfall_charge": (shortfall * 30 + 500) // 1000,
    }


@pytest.mark.parametrize(
    ("h1_export", "deliveries"),
    [
        (1000, [(800, "delivered"), (200, "delivered")]),
        (900, [(800, "delivered"), (100, "partially_delivered")]),
        (0, [(0, "partially_delivered"), (0, "partially_delivered")]),
    ],
    ids=["delivered", "partially-delivered", "nothing-delivered"],
)
@pytest.mark.parametrize("creator", [OPERATOR, BILLING], ids=["operator", "billing"])
def test_settlement_compares_the_trades_with_the_meters(
    cc, cleared, creator, h1_export, deliveries
):
    metered(cleared, cc, H1, 0, h1_export)
    metered(cleared, cc, H3, 900, 0)
    metered(cleared, cc, H4, 300, 0)  # h-002 traded nothing: it needs no reading
    matched = list_trades(cleared, cc)
    result = settle(cleared, cc, creator=creator)
    assert result.status == 200, result.message

    settled = [
        settled_trade(m, wh, status) for m, (wh, status) in zip(matched, deliveries, strict=True)
    ]
    statuses = [status for _, status in deliveries]
    summary = {
        "interval_start": INTERVAL,
        "tariff_id": "tou-1",
        "trades": 2,
        "delivered": statuses.count("delivered"),
        "partially_delivered": statuses.count("partially_delivered"),
        "delivered_wh": sum(wh for wh, _ in deliveries),
        "shortfall_wh": 1000 - sum(wh for wh, _ in deliveries),
        "tx_id": result.stub.tx_id,
    }
    assert result.json() == summary
    assert result.stub.writes == {f"settlement~{INTERVAL}": canonical(summary)}
    deliveries_written = {
        key: json.loads(write.value) for (_, key), write in result.stub.private_writes.items()
    }
    assert deliveries_written == {
        f"tradedelivery~{INTERVAL}~{t['trade_id']}": {
            "delivered_wh": t["delivered_wh"],
            "shortfall_price_per_kwh": 30,
            "status": t["status"],
        }
        for t in settled
    }
    assert cleared.events[-1] == ("IntervalSettled", canonical(summary))
    assert list_trades(cleared, cc) == settled


def test_an_interval_is_settled_once(cc, cleared):
    for meter, import_wh, export_wh in ((H1, 0, 1000), (H3, 900, 0), (H4, 300, 0)):
        metered(cleared, cc, meter, import_wh, export_wh)
    assert settle(cleared, cc).status == 200
    before = snapshot(cleared)
    again = settle(cleared, cc, creator=BILLING)
    assert (again.status, again.message) == (500, f"interval {INTERVAL} is already settled")
    assert snapshot(cleared) == before


@pytest.mark.parametrize(
    ("readings", "missing"),
    [
        ({H3: (900, 0), H4: (300, 0)}, ("h-001", "m-001")),
        ({H1: (0, 1000), H4: (300, 0)}, ("h-003", "m-003")),
        ({H1: (0, 1000), H3: (900, 0)}, ("h-004", "m-004")),
        ({}, ("h-001", "m-001")),
    ],
    ids=["seller", "buyer", "second-buyer", "none"],
)
def test_settlement_needs_a_reading_of_every_household_that_traded(cc, cleared, readings, missing):
    for meter, (import_wh, export_wh) in readings.items():
        metered(cleared, cc, meter, import_wh, export_wh)
    before = snapshot(cleared)
    result = settle(cleared, cc)
    household_id, meter_id = missing
    assert (result.status, result.message) == (
        500,
        f"household {household_id} has no reading of meter {meter_id} for interval {INTERVAL}",
    )
    assert snapshot(cleared) == before


def test_a_reading_of_another_interval_does_not_count(cc, cleared):
    metered(cleared, cc, H1, 0, 1000)
    metered(cleared, cc, H3, 900, 0)
    submit_readings(cleared, cc, H4, ("2026-03-01T08:00:00Z", 15, 300, 0))
    result = settle(cleared, cc)
    assert (
        result.message == f"household h-004 has no reading of meter m-004 for interval {INTERVAL}"
    )


def test_settlement_needs_an_approved_tariff(cc, ledger):
    proposal = invoke(ledger, cc, OPERATOR, "TariffContract:ProposeTariff", json.dumps(TOU))
    assert proposal.status == 200  # proposed, never approved
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    for meter, import_wh, export_wh in ((H1, 0, 1000), (H3, 900, 0), (H4, 300, 0)):
        metered(ledger, cc, meter, import_wh, export_wh)
    result = settle(ledger, cc)
    assert (result.status, result.message) == (500, "no approved tariff is in force on 2026-03-01")


def test_the_readings_of_all_of_a_households_meters_are_added_up(cc, cleared):
    second = dataclasses.replace(H1, meter_id="m-101")
    assert register(cleared, cc, second).status == 200
    metered(cleared, cc, H1, 0, 600)
    metered(cleared, cc, second, 0, 300)
    metered(cleared, cc, H3, 900, 0)
    metered(cleared, cc, H4, 300, 0)
    result = settle(cleared, cc)
    assert result.status == 200, result.message
    assert [t["delivered_wh"] for t in list_trades(cleared, cc)] == [800, 100]


FIVE_MINUTES = ("2026-03-01T08:15:00Z", "2026-03-01T08:20:00Z", "2026-03-01T08:25:00Z")


@pytest.mark.parametrize(
    ("h1_exports", "deliveries"),
    [
        # the first five minutes alone (400 Wh) would fill only the first trade, partly
        ((400, 300, 300), [(800, "delivered"), (200, "delivered")]),
        ((400, 300, 200), [(800, "delivered"), (100, "partially_delivered")]),
        ((0, 0, 700), [(700, "partially_delivered"), (0, "partially_delivered")]),
    ],
    ids=["all-delivered", "partly-delivered", "only-the-last-five-minutes"],
)
def test_three_five_minute_readings_are_summed_into_the_interval(
    cc, cleared, h1_exports, deliveries
):
    submit_readings(
        cleared, cc, H1, *[(s, 5, 0, e) for s, e in zip(FIVE_MINUTES, h1_exports, strict=True)]
    )
    metered(cleared, cc, H3, 900, 0)
    submit_readings(cleared, cc, H4, *[(s, 5, 100, 0) for s in FIVE_MINUTES])
    result = settle(cleared, cc)
    assert result.status == 200, result.message
    settled = list_trades(cleared, cc)
    assert [(t["delivered_wh"], t["status"]) for t in settled] == deliveries
    assert result.json()["delivered_wh"] == sum(wh for wh, _ in deliveries)


@pytest.mark.parametrize("absent", [1, 2], ids=["second", "third"])
def test_five_minute_readings_count_only_when_all_three_are_there(cc, cleared, absent):
    starts = [s for i, s in enumerate(FIVE_MINUTES) if i != absent]
    submit_readings(cleared, cc, H1, *[(s, 5, 0, 500) for s in starts])
    metered(cleared, cc, H3, 900, 0)
    metered(cleared, cc, H4, 300, 0)
    before = snapshot(cleared)
    result = settle(cleared, cc)
    assert (result.status, result.message) == (
        500,
        f"household h-001 has no reading of meter m-001 for interval {INTERVAL}",
    )
    assert snapshot(cleared) == before


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (
            HEAD_END,
            "caller role 'meter' may not call SettleInterval; allowed: operator, billing",
        ),
        (
            HOUSEHOLDS[1],
            "caller from CommunityMSP (community) may not call SettleInterval; allowed: utility",
        ),
        (
            REGULATOR,
            "caller from RegulatorMSP (regulator) may not call SettleInterval; allowed: utility",
        ),
        (
            identity("CommunityMSP", "billing", cn="billing2"),
            "caller from CommunityMSP (community) may not call SettleInterval; allowed: utility",
        ),
    ],
    ids=["head-end", "household", "regulator", "community-billing"],
)
def test_only_the_utilitys_operator_or_billing_settles(cc, cleared, creator, message):
    before = snapshot(cleared)
    result = settle(cleared, cc, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(cleared) == before


def test_a_salt_that_is_not_a_string_is_refused(ledger, cc):
    result = place(ledger, cc, order_id="o-num", salt=10**21)
    assert (result.status, result.message) == (
        500,
        "order o-num: salt must be 16 to 64 random bytes in base64url",
    )


def test_an_erased_households_unsettled_trades_settle_as_not_delivered(cc, cleared):
    # h-001 sold to h-003 and h-004, then asked to be erased before settlement
    erased = invoke(cleared, cc, OPERATOR, "MeterContract:PurgeHousehold", "h-001", "retention")
    assert erased.status == 200, erased.message
    metered(cleared, cc, H3, 900, 0)
    metered(cleared, cc, H4, 300, 0)
    settled = settle(cleared, cc)
    assert settled.status == 200, settled.message
    trades = list_trades(cleared, cc)
    assert [(t["seller"], t["delivered_wh"], t["status"]) for t in trades] == [
        ("h-001", 0, "partially_delivered"),
        ("h-001", 0, "partially_delivered"),
    ]
