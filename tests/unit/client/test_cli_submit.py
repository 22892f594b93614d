"""gridledger submit-readings, offline: files to per-day signed bundles to transactions.

``open_ledger`` is replaced by a fake whose ``submit_bundles`` keeps what it is given,
so the test sees exactly the bytes that would travel.
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from test_greenbutton_samples import JAN_1, NORTH_AMERICA, feed, series

from client import cli
from gridspec.reading_bundle import ReadingBundle
from gridspec.signed_bundle import SignedBundle

TWO_METERS = feed(
    [
        ("A1", "Main house", [(1, 0, series(3 * 24, 60))]),
        ("B2", "Granny flat", [(1, 0, [(JAN_1, 900, 7)]), (19, 0, [(JAN_1, 900, 3)])]),
    ],
    local_time=NORTH_AMERICA,
)


class FakeLedger:
    def __init__(self) -> None:
        self.transactions: list[list[SignedBundle]] = []

    def submit_bundles(self, bundles: Sequence[SignedBundle]) -> dict[str, int]:
        self.transactions.append(list(bundles))
        rows = sum(len(ReadingBundle.parse(b.payload).rows) for b in bundles)
        return {"stored": rows, "duplicates": 0}


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> FakeLedger:
    fake = FakeLedger()
    monkeypatch.setattr(cli, "open_ledger", lambda args: fake)
    return fake


def write_key(path: Path) -> ec.EllipticCurvePublicKey:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key.public_key()


def submit(*args: str) -> list[str]:
    return ["submit-readings", "--as", "utility.headend1", *args]


def test_a_feed_of_two_usage_points_is_signed_per_meter_day_and_sent_in_transactions(
    ledger: FakeLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keys").mkdir()
    public = {m: write_key(tmp_path / "keys" / f"{m}.pem") for m in ("m-house", "m-flat")}
    (tmp_path / "feed.xml").write_bytes(TWO_METERS)
    code = cli.main(
        submit(
            "--file", str(tmp_path / "feed.xml"),
            "--meter", "A1=m-house",
            "--meter", "Granny flat=m-flat",
            "--keys", str(tmp_path / "keys"),
            "--bundles-per-tx", "3",
        )
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == {
        "meters": ["m-house", "m-flat"],
        "readings": 73,
        "transactions": 2,
        "bundles": 4,
        "stored": 73,
        "duplicates": 0,
    }
    assert err.splitlines() == [
        "transaction 1/2: 3 bundles, 72 readings stored, 0 already there",
        "transaction 2/2: 1 bundles, 1 readings stored, 0 already there",
    ]
    sent = [bundle for tx in ledger.transactions for bundle in tx]
    parsed = [ReadingBundle.parse(bundle.payload) for bundle in sent]
    assert [(b.meter_id, b.day.isoformat(), len(b.rows)) for b in parsed] == [
        ("m-house", "2025-01-01", 24),
        ("m-house", "2025-01-02", 24),
        ("m-house", "2025-01-03", 24),
        ("m-flat", "2025-01-01", 1),
    ]
    assert parsed[3].rows == ((0, 7, 3),)
    assert all(b.local_time == NORTH_AMERICA for b in parsed)
    for bundle, found in zip(sent, parsed, strict=True):
        # the signature covers exactly the bytes sent
        public[found.meter_id].verify(bundle.signature, bundle.payload, ec.ECDSA(hashes.SHA256()))


def test_a_json_list_of_one_meter_with_its_device_key(
    ledger: FakeLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    public = write_key(tmp_path / "device.pem")
    readings = [
        {"interval_start": f"2025-01-0{d}T00:{m:02d}:00Z", "interval_minutes": 15,
         "import_wh": 10, "export_wh": 0}
        for d in (1, 2) for m in (0, 15)
    ]  # fmt: skip
    (tmp_path / "day.json").write_text(json.dumps(readings))
    code = cli.main(
        submit("--file", str(tmp_path / "day.json"), "--meter", "m-1",
               "--device-key", str(tmp_path / "device.pem"))
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["bundles"] == 2
    ((first, second),) = ledger.transactions
    public.verify(second.signature, second.payload, ec.ECDSA(hashes.SHA256()))
    assert ReadingBundle.parse(first.payload).rows == ((0, 10, 0), (1, 10, 0))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--meter", "A1=m-house", "--meter", "B2=m-flat", "--device-key", "device.pem"],
            "error: the file holds 2 meters (m-house, m-flat): give --keys DIR with one "
            "<meter_id>.pem each",
        ),
        (
            ["--meter", "A1=m-house", "--meter", "B2=m-gone", "--keys", "keys"],
            "error: keys has no device key for m-gone.pem",
        ),
        (
            ["--meter", "A1=m-house", "--keys", "keys"],
            "error: UsagePoints without a meter: B2 (Granny flat)",
        ),
        (
            ["--meter", "A1=m-house", "--meter", "m-flat", "--keys", "keys"],
            "error: meter 'm-flat': give one meter id, or USAGE_POINT=METER_ID once per UsagePoint",
        ),
        (
            ["--meter", "m-1", "--keys", "keys", "--bundles-per-tx", "1001"],
            "error: --bundles-per-tx must be from 1 to 1000",
        ),
    ],
)
def test_refusals_name_what_is_wrong_and_send_nothing(
    ledger: FakeLedger,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    write_key(tmp_path / "keys" / "m-house.pem")
    write_key(tmp_path / "device.pem")
    (tmp_path / "feed.xml").write_bytes(TWO_METERS)
    assert cli.main(submit("--file", "feed.xml", *extra)) == 1
    assert capsys.readouterr().err.strip() == message
    assert ledger.transactions == []


def test_a_cost_needs_ignore_cost(
    ledger: FakeLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).parent / "data" / "greenbutton" / "test_usage_data_01.xml"
    write_key(tmp_path / "device.pem")
    args: list[Any] = ["--file", str(sample), "--meter", "m-1", "--device-key"]
    args.append(str(tmp_path / "device.pem"))
    assert cli.main(submit(*args)) == 1
    assert "has a cost (974)" in capsys.readouterr().err
    assert cli.main(submit(*args, "--ignore-cost")) == 0
    assert len(ledger.transactions) == 1
