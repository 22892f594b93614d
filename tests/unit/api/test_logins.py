"""The login guard (api/logins.py) against a CA that locks at 10 wrong secrets in a row.

The CA here is a model of Fabric CA's rule: each wrong secret adds one to the identity's
count, a right one resets it, and at 10 the identity is locked. Whatever an attacker
sends through the guard, the count never reaches the lock, and the owner, who logged in
before, still gets in.
"""

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.logins import ADDRESS_FAILURES, CA_FAILURE_BUDGET, IDENTITY_FAILURES, LoginGuard, Throttled

RIGHT = "the-right-secret"
CA_LOCK = 10


class ModelCA:
    def __init__(self):
        self.wrong_in_a_row = 0

    def enroll(self, secret: str) -> bool:
        if self.wrong_in_a_row >= CA_LOCK:
            return False
        if secret != RIGHT:
            self.wrong_in_a_row += 1
            return False
        self.wrong_in_a_row = 0
        return True


def attempt(guard: LoginGuard, ca: ModelCA, secret: str, address: str = "10.0.0.9") -> str:
    """One login through the guard: 'in', 'refused' (by the CA) or 'throttled'."""
    try:
        guard.admit("household1", address, secret)
    except Throttled:
        return "throttled"
    if ca.enroll(secret):
        guard.succeeded("household1", secret)
        return "in"
    guard.failed("household1", address)
    return "refused"


@pytest.fixture
def guard(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("api.logins.time.monotonic", lambda: clock[0])
    guard = LoginGuard(tmp_path / "logins.json")
    guard.clock = clock  # type: ignore[attr-defined]
    return guard


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["wrong", "right", "wait"]), st.sampled_from(["a", "b", "c"])),
        max_size=40,
    )
)
def test_no_sequence_of_logins_reaches_the_ca_lock(tmp_path_factory, steps):
    clock = [1000.0]
    with mock.patch("api.logins.time.monotonic", lambda: clock[0]):
        guard = LoginGuard(tmp_path_factory.mktemp("guard") / "logins.json")
        ca = ModelCA()
        assert attempt(guard, ca, RIGHT) == "in"  # the owner logged in here before
        for kind, address in steps:
            if kind == "wait":
                clock[0] += 301  # past every time limit
                continue
            attempt(guard, ca, RIGHT if kind == "right" else f"guess-{kind}", address)
            assert ca.wrong_in_a_row <= CA_FAILURE_BUDGET < CA_LOCK
        clock[0] += 301
        assert attempt(guard, ca, RIGHT) == "in"


def test_wrong_logins_are_throttled_per_identity_with_a_time_to_wait(guard):
    ca = ModelCA()
    assert attempt(guard, ca, RIGHT) == "in"
    for number in range(IDENTITY_FAILURES):
        assert attempt(guard, ca, f"guess-{number}", address=f"10.0.0.{number}") == "refused"
    with pytest.raises(Throttled) as throttled:
        guard.admit("household1", "10.0.1.1", "guess-again")
    assert 1 <= throttled.value.retry_after <= 301
    assert attempt(guard, ca, RIGHT) == "in"  # the owner's secret is not held back
    for number in range(IDENTITY_FAILURES):
        attempt(guard, ca, f"guess-{number}", address=f"10.0.0.{number}")
    guard.clock[0] += 301  # the window is over, the budget is not
    assert attempt(guard, ca, "guess-after-the-window") == "throttled"
    assert ca.wrong_in_a_row == CA_FAILURE_BUDGET


def test_wrong_logins_are_throttled_per_address(guard):
    for number in range(ADDRESS_FAILURES):
        guard.failed(f"user{number}", "10.0.0.66")
    with pytest.raises(Throttled, match=r"from 10\.0\.0\.66"):
        guard.admit("someone-else", "10.0.0.66", "x")
    guard.admit("someone-else", "10.0.0.67", "x")  # another address is not held back


def test_after_the_budget_only_the_last_working_secret_goes_to_the_ca(guard):
    ca = ModelCA()
    assert attempt(guard, ca, RIGHT) == "in"
    for number in range(CA_FAILURE_BUDGET):
        guard.clock[0] += 301  # slow enough for the time limits
        assert attempt(guard, ca, f"guess-{number}", address=f"10.1.0.{number}") == "refused"
    guard.clock[0] += 301
    with pytest.raises(Throttled, match="ask your org admin to unlock it"):
        guard.admit("household1", "10.2.0.1", "guess-again")
    assert ca.wrong_in_a_row == CA_FAILURE_BUDGET
    assert attempt(guard, ca, RIGHT) == "in"
    assert ca.wrong_in_a_row == 0


def test_an_unlock_forgets_the_failures_and_the_old_secret(guard, tmp_path):
    ca = ModelCA()
    for number in range(CA_FAILURE_BUDGET):
        guard.clock[0] += 301
        attempt(guard, ca, f"guess-{number}", address=f"10.1.0.{number}")
    guard.clock[0] += 301
    with pytest.raises(Throttled):
        guard.admit("household1", "10.2.0.1", RIGHT)  # never logged in: no verifier
    guard.unlock("household1")
    guard.admit("household1", "10.2.0.1", RIGHT)
    assert LoginGuard(tmp_path / "logins.json")._load() == {}  # on disk too


def test_the_guard_keeps_no_secret_and_its_file_is_the_apis_alone(guard, tmp_path):
    attempt(guard, ModelCA(), RIGHT)
    stored = (tmp_path / "logins.json").read_text()
    assert RIGHT not in stored
    assert (tmp_path / "logins.json").stat().st_mode & 0o777 == 0o600
