"""Small builders shared by the community domain tests."""

from chaincode.community.domain import Bid, Offer, Tariff

INTERVAL = "2026-03-01T09:15:00Z"
CLEARED_AT = "2026-03-01T09:10:00.250Z"


def offer(order_id, seller, energy_wh, price, placed_at="2026-03-01T09:00:00Z"):
    return Offer(order_id, seller, energy_wh, price, placed_at)


def bid(order_id, buyer, energy_wh, price, placed_at="2026-03-01T09:00:00Z"):
    return Bid(order_id, buyer, energy_wh, price, placed_at)


def tou_tariff(**changes):
    """night 22:00-06:00 at 20, day 06:00-17:00 at 30, peak 17:00-22:00 at 45 (EUR cents)."""
    values = {
        "tariff_id": "tou-1",
        "currency": "EUR",
        "bands": [
            ("night", "22:00", "06:00", 20),
            ("day", "06:00", "17:00", 30),
            ("peak", "17:00", "22:00", 45),
        ],
        "feed_in_price_per_kwh": 8,
        "p2p_grid_fee_per_kwh": 3,
        "daily_fixed_charge": 25,
        "valid_from": "2026-01-01",
    }
    values.update(changes)
    return Tariff(**values)
