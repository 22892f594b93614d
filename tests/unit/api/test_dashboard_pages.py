"""The dashboard's pages without a network (`api/dashboard/`): sign-in, guards, headers, sums.

What a page shows of the ledger is tested in a real browser on the real network
(tests/integration/test_dashboard.py); here, what holds before any ledger call: who
is sent to the sign-in page, the CSRF check, the security headers, that the pages are
not part of the API's document, and the energy page's arithmetic.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from api import dashboard
from api.dashboard import POLICY
from api.dashboard.energy import by_day, by_interval, chart, span
from api.dashboard.session import PAGES

PAGES_BEHIND_SIGN_IN = [
    "/ui/",
    "/ui/energy",
    "/ui/bill",
    "/ui/bill.xml",
    "/ui/consents",
    "/ui/market",
    "/ui/events",
    "/ui/audit",
    "/ui/audit/history",
    "/ui/my-market",
    "/ui/funding",
    "/ui/meters",
    "/ui/invoices",
    "/ui/tariffs",
    "/ui/aggregates",
    "/ui/membership",
]


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(client) -> str:
    page = client.get("/ui/login").get_data(as_text=True)
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize("path", PAGES_BEHIND_SIGN_IN)
def test_a_page_sends_whoever_has_not_signed_in_to_the_sign_in_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ui/login")


def test_the_sign_in_page_carries_a_csrf_token_and_the_orgs_name(client):
    response = client.get("/ui/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="csrf"' in page and 'name="enrollment_id"' in page
    assert 'type="password"' in page


def test_a_sign_in_without_the_forms_token_is_refused_before_the_ca_is_asked(client):
    response = client.post("/ui/login", data={"enrollment_id": "household1", "secret": "s"})
    assert response.status_code == 400
    assert "the form is out of date" in response.get_data(as_text=True)


def test_a_sign_in_that_breaks_the_apis_rules_is_refused_with_the_rule(client):
    token = csrf_of(client)
    data = {"enrollment_id": "house:hold", "secret": "s", "csrf": token}
    response = client.post("/ui/login", data=data)
    assert response.status_code == 400
    assert "enrollment_id" in response.get_data(as_text=True)


def test_signing_out_needs_the_forms_token(client):
    assert client.post("/ui/logout").status_code == 400


def test_every_page_loads_only_this_apis_own_files_and_is_never_framed(client):
    response = client.get("/ui/login")
    assert response.headers["Content-Security-Policy"] == POLICY
    assert "default-src 'none'" in POLICY and "frame-ancestors 'none'" in POLICY
    assert "http" not in POLICY  # no other origin, not even the API's by name
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with client.get("/ui/static/charts.js") as script:
        assert script.status_code == 200


def test_the_session_cookie_is_http_only_strict_and_the_dashboards_own(client, app):
    client.get("/ui/login")
    cookie = client.get_cookie("gridledger_ui", path="/ui")
    assert cookie is not None and cookie.http_only
    assert cookie.same_site == "Strict"
    assert app.config["SESSION_COOKIE_PATH"] == "/ui"


def test_the_pages_are_not_in_the_apis_document(document):
    assert not [path for path in document["paths"] if path.startswith("/ui")]


def test_the_api_still_answers_json_beside_the_pages(client):
    response = client.get("/communities")
    assert response.status_code == 401 and response.is_json
    assert "Content-Security-Policy" not in response.headers


def test_each_role_finds_the_pages_of_the_issues_journeys():
    menus = {
        role: [e.removeprefix("dashboard.") for e, _ in pages] for role, pages in PAGES.items()
    }
    assert menus == {
        "household": ["energy", "my_market", "bill", "consents", "funding"],
        "operator": ["meters", "market", "events"],
        "billing": ["meters", "market", "invoices", "events"],
        "regulator": ["audit", "history", "tariffs", "aggregates"],
        "admin": ["membership"],
    }


def test_every_page_of_a_menu_is_a_page_of_the_app(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {e for pages in PAGES.values() for e, _ in pages} <= endpoints


def test_an_unknown_page_is_a_page_and_an_unknown_api_path_is_json(client):
    page = client.get("/ui/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "404" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == POLICY
    wrong_method = client.delete("/ui/energy")
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "text/html"
    api = client.get("/no-such-resource")
    assert api.status_code == 404 and api.is_json
    assert api.get_json()["status"] == 404


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        ("day", "2026-03-04", ("2026-03-04", "2026-03-05", "2026-03-03", "2026-03-05")),
        ("week", "2026-03-04", ("2026-03-02", "2026-03-09", "2026-02-23", "2026-03-09")),
        ("week", "2026-03-02", ("2026-03-02", "2026-03-09", "2026-02-23", "2026-03-09")),
        ("month", "2026-03-31", ("2026-03-01", "2026-04-01", "2026-02-01", "2026-04-01")),
        ("month", "2026-12-15", ("2026-12-01", "2027-01-01", "2026-11-01", "2027-01-01")),
    ],
)
def test_a_period_is_the_day_the_monday_week_or_the_month_holding_the_day(period, day, expected):
    assert tuple(d.isoformat() for d in span(period, date.fromisoformat(day))) == expected


def reading(meter: str, start: str, import_wh: int, export_wh: int) -> dict:
    return {
        "meter_id": meter,
        "interval_start": start,
        "import_wh": import_wh,
        "export_wh": export_wh,
    }


def test_a_households_meters_add_up_per_interval_in_time_order():
    first, second = "2026-03-01T00:00:00Z", "2026-03-01T00:15:00Z"
    readings = [
        reading("m-2", second, 5, 0),
        reading("m-1", first, 7, 1),
        reading("m-2", first, 3, 2),
    ]
    assert by_interval(readings) == [
        {"interval_start": first, "import_wh": 10, "export_wh": 3},
        {"interval_start": second, "import_wh": 5, "export_wh": 0},
    ]


def test_the_chart_labels_each_interval_by_its_utc_time_and_keeps_every_value():
    intervals = by_interval(
        [{"interval_start": "2026-03-01T12:45:00Z", "import_wh": 0, "export_wh": 410}]
    )
    drawn = chart(intervals, lambda i: i["interval_start"][11:16])
    assert drawn["labels"] == ["12:45"]
    assert [s["values"] for s in drawn["series"]] == [[0], [410]]


def test_a_months_days_add_up_their_intervals():
    intervals = by_interval(
        [
            reading("m-1", "2026-03-01T23:45:00Z", 4, 0),
            reading("m-1", "2026-03-01T12:00:00Z", 1, 9),
            reading("m-1", "2026-03-02T00:00:00Z", 2, 0),
        ]
    )
    assert by_day(intervals) == [
        {"day": "2026-03-01", "import_wh": 5, "export_wh": 9},
        {"day": "2026-03-02", "import_wh": 2, "export_wh": 0},
    ]


def test_every_template_compiles(app):
    folder = Path(dashboard.__file__).parent / "templates" / "dashboard"
    names = sorted(p.name for p in folder.glob("*.html"))
    assert "macros.html" in names and len(names) > 10
    for name in names:
        assert app.jinja_env.get_template(f"dashboard/{name}") is not None
