"""The export document of a household's granular certificates (docs/certificates.md)."""

from datetime import UTC, datetime

from client.certificate_export import FORMAT, export_certificates

LISTING = {
    "household_id": "h-002",
    "issued": [
        {
            "certificate_id": "gc-h-002-2026030111",
            "household_id": "h-002",
            "meters": ["m-002"],
            "energy_source": "solar",
            "hour": "2026-03-01T11:00:00Z",
            "volume_wh": 410,
            "issued_at": "2026-03-02T06:00:00Z",
            "tx_id": "tx-issue",
        }
    ],
    "holdings": [
        {
            "household": "h-002",
            "hour": "2026-03-01T10:00:00Z",
            "parts": {"gc-h-001-2026030110": 20},
            "cancellation": {
                "consumed_wh": 120,
                "cancelled_wh": 30,
                "parts": [["gc-h-001-2026030110", 30]],
                "cancelled_at": "2026-03-02T07:00:00Z",
                "tx_id": "tx-cancel",
            },
        },
        {
            "household": "h-002",
            "hour": "2026-03-01T11:00:00Z",
            "parts": {"gc-h-002-2026030111": 410},
            "cancellation": None,
        },
    ],
}
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_the_export_names_each_certificate_produced_with_its_hour_and_devices():
    document = export_certificates(LISTING, "sunnyside", "2026-03-01", "2026-03-02", NOW)
    assert document["format"] == FORMAT == "gridledger-certificates/1"
    assert (document["community"], document["household_id"]) == ("sunnyside", "h-002")
    assert document["period"] == {"start": "2026-03-01", "end": "2026-03-02"}
    assert document["exported_at"] == "2026-03-03T08:00:00Z"
    assert document["produced"] == [
        {
            "certificate_id": "gc-h-002-2026030111",
            "production_devices": ["m-002"],
            "energy_carrier": "electricity",
            "energy_source": "solar",
            "production_start": "2026-03-01T11:00:00Z",
            "production_end": "2026-03-01T12:00:00Z",
            "volume_wh": 410,
            "issued_at": "2026-03-02T06:00:00Z",
            "issuance_tx_id": "tx-issue",
        }
    ]


def test_the_export_gives_each_hours_holding_and_its_share_of_local_solar():
    held = export_certificates(LISTING, "sunnyside", "2026-03-01", "2026-03-02", NOW)["held"]
    assert held[0] == {
        "hour": "2026-03-01T10:00:00Z",
        "certificates": [{"certificate_id": "gc-h-001-2026030110", "volume_wh": 20}],
        "cancellation": {
            "consumed_wh": 120,
            "cancelled_wh": 30,
            "local_solar_share": 0.25,
            "certificates": [{"certificate_id": "gc-h-001-2026030110", "volume_wh": 30}],
            "cancelled_at": "2026-03-02T07:00:00Z",
            "cancellation_tx_id": "tx-cancel",
        },
    }
    assert held[1]["cancellation"] is None
    assert held[1]["certificates"] == [{"certificate_id": "gc-h-002-2026030111", "volume_wh": 410}]


def test_an_hour_without_consumption_has_a_share_of_zero():
    listing = {
        **LISTING,
        "holdings": [
            {
                **LISTING["holdings"][0],
                "cancellation": {**LISTING["holdings"][0]["cancellation"], "consumed_wh": 0},
            }
        ],
    }
    held = export_certificates(listing, "sunnyside", "2026-03-01", "2026-03-02", NOW)["held"]
    assert held[0]["cancellation"]["local_solar_share"] == 0
