"""The benchmark's Node baselines on the real network: the official Node Gateway client
(`bench/node/client/submit.mjs`) and the Node chaincode (`readings-node`, fabric-contract-api,
chaincode-as-a-service) beside GridLedger's Python client and chaincode.

The module installs the Node packages (`bench/node/install.sh`, quick when installed) and
deploys `readings-node` on community-sunnyside (idempotent) itself: nothing is skipped,
a missing `node` fails the run. Each test registers meters no other run has seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import shutil
import subprocess
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from community_fixtures import HOUSEHOLDS
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2
from homes import ca_cert, msp_dir

from bench.ledger_setup import deploy_node_chaincode
from chaincode.community.readings import check_utc
from chaincode.runtime import ValidationError
from client import (
    EndorseError,
    certificate_hash,
    connect,
    deliver_blocks,
    load_identity,
    load_private_key,
    new_private_key_signer,
)
from network.ca import private_key
from network.chaincode_servers import status
from network.chaincodes import node_readings
from network.channelinfo import ChannelInfo
from network.connect import gateway
from network.home import OrgHome
from network.lifecycle import committed_sequence
from network.paths import REPO
from network.scenario import Household, day_readings, signed_batch
from network.topology import FOUNDING, REGULATOR, SUNNYSIDE_CHANNEL, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

CHANNEL = SUNNYSIDE_CHANNEL
PYTHON_CC, NODE_CC = "community", "readings-node"
DAY = date(2026, 2, 1)
DAY_START, DAY_END = "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"
NODE_DIR = REPO / "bench" / "node"
SUBMIT = NODE_DIR / "client" / "submit.mjs"
ORACLE = NODE_DIR / "chaincode" / "test" / "oracle.js"


@pytest.fixture(scope="module", autouse=True)
def node_baseline() -> None:
    """The Node packages installed and the Node chaincode deployed on community-sunnyside."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the Node baselines need {' and '.join(missing)} on PATH (Node.js >= 20)")
    done = subprocess.run(
        ["bash", str(NODE_DIR / "install.sh")], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        pytest.fail(f"bench/node/install.sh failed:\n{done.stdout}\n{done.stderr}")
    deploy_node_chaincode()


def fresh_household() -> Household:
    tag = uuid.uuid4().hex[:8]
    return replace(HOUSEHOLDS[1], household_id=f"h-nb{tag}", meter_id=f"m-nb{tag}")


def meters(gw, chaincode: str):
    return gw.get_network(CHANNEL).get_contract(chaincode, "MeterContract")


def register(chaincode: str, household: Household) -> dict:
    with gateway(UTILITY, "operator1") as gw:
        result = meters(gw, chaincode).submit(
            "RegisterMeter",
            args=(
                household.meter_id,
                household.household_id,
                household.feeder,
                household.device_public_key_pem,
            ),
        )
    return json.loads(result)


def submit(chaincode: str, batch: bytes) -> dict:
    with gateway(UTILITY, "headend1") as gw:
        return json.loads(
            meters(gw, chaincode).submit("SubmitReadings", transient={"readings": batch})
        )


def read_write_set(chaincode: str, block_number: int, transaction_id: str) -> dict:
    """What the transaction read and wrote in `chaincode`'s namespace, as its block holds it:
    public keys, and the hashes of private keys and values (what the regulator's peer keeps)."""
    msp = msp_dir(UTILITY, "operator1")
    cert = (msp / "signcerts" / "cert.pem").read_bytes()
    channel = connect(
        UTILITY.peer_address,
        tls_root_cert=ca_cert(UTILITY).read_bytes(),
        client_cert=cert,
        client_key=private_key(msp).read_bytes(),
    )
    with channel:
        [block] = deliver_blocks(
            channel,
            load_identity(UTILITY.msp_id, msp / "signcerts" / "cert.pem"),
            new_private_key_signer(load_private_key(private_key(msp))),
            CHANNEL,
            block_number,
            block_number,
            tls_certificate_hash=certificate_hash(cert),
        )
    for data in block.data.data:
        payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(data).payload)
        if (
            common_pb2.ChannelHeader.FromString(payload.header.channel_header).tx_id
            == transaction_id
        ):
            break
    else:
        raise AssertionError(f"transaction {transaction_id} is not in block {block_number}")
    action = transaction_pb2.ChaincodeActionPayload.FromString(
        transaction_pb2.Transaction.FromString(payload.data).actions[0].payload
    ).action
    response = proposal_response_pb2.ProposalResponsePayload.FromString(
        action.proposal_response_payload
    )
    results = rwset_pb2.TxReadWriteSet.FromString(
        proposal_pb2.ChaincodeAction.FromString(response.extension).results
    )
    [namespace] = [ns for ns in results.ns_rwset if ns.namespace == chaincode]
    public = kv_rwset_pb2.KVRWSet.FromString(namespace.rwset)
    found: dict = {
        "reads": sorted(r.key for r in public.reads),
        "writes": sorted((w.key, w.value, w.is_delete) for w in public.writes),
    }
    for collection in namespace.collection_hashed_rwset:
        hashed = kv_rwset_pb2.HashedRWSet.FromString(collection.hashed_rwset)
        found[collection.collection_name] = {
            "reads": sorted(r.key_hash for r in hashed.hashed_reads),
            "writes": sorted((w.key_hash, w.value_hash, w.is_delete) for w in hashed.hashed_writes),
        }
    return found


def submit_and_trace(chaincode: str, batch: bytes) -> tuple[dict, dict]:
    """SubmitReadings, committed: its result and its read-write set."""
    with gateway(UTILITY, "headend1") as gw:
        proposal = meters(gw, chaincode).new_proposal(
            "SubmitReadings", transient={"readings": batch}
        )
        transaction = proposal.endorse()
        status = transaction.submit().status()
    assert status.successful, status.code_name
    trace = read_write_set(chaincode, status.block_number, transaction.transaction_id)
    return json.loads(transaction.result), trace


def readings(chaincode: str, household: Household) -> list[dict]:
    with gateway(UTILITY, "operator1") as gw:
        raw = meters(gw, chaincode).evaluate(
            "GetReadings", args=(household.household_id, DAY_START, DAY_END)
        )
    return json.loads(raw)


def reading_hash(chaincode: str, meter_id: str, interval_start: str) -> str:
    with gateway(REGULATOR, "auditor1") as gw:
        raw = meters(gw, chaincode).evaluate("GetReadingHash", args=(meter_id, interval_start))
    return json.loads(raw)["sha256"]


def workload(path: Path, batches: list[bytes]) -> Path:
    lines = [
        {
            "function": "SubmitReadings",
            "args": [],
            "transient": {"readings": base64.b64encode(b).decode()},
        }
        for b in batches
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def node_client(chaincode: str, jobs: Path, duration: float = 30) -> dict:
    """Run the Node Gateway client as the meter head-end; its JSON report."""
    msp = msp_dir(UTILITY, "headend1")
    argv = [
        "node",
        str(SUBMIT),
        "--peer",
        UTILITY.peer_address,
        "--tls-root",
        str(ca_cert(UTILITY)),
        "--cert",
        str(msp / "signcerts" / "cert.pem"),
        "--key",
        str(private_key(msp)),
        "--msp-id",
        UTILITY.msp_id,
        "--channel",
        CHANNEL,
        "--chaincode",
        chaincode,
        "--workload",
        str(jobs),
        "--concurrency",
        "1",
        "--duration",
        str(duration),
        "--warmup",
        "0",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_node_chaincode_is_committed_and_served_by_every_org():
    home = OrgHome.of(UTILITY.key)
    spec = node_readings(ChannelInfo.load(home, CHANNEL))
    assert spec.name == NODE_CC
    assert committed_sequence(home, spec) == spec.sequence
    for org in FOUNDING:
        servers = status(OrgHome.of(org.key))
        assert servers[f"chaincode-readings-node-{org.key}"] == "running"


def test_the_node_gateway_client_commits_batches_on_the_node_chaincode(tmp_path):
    household = fresh_household()
    register(NODE_CC, household)
    day = day_readings(household, DAY)
    batches = [signed_batch(household, day[:48]), signed_batch(household, day[48:])]
    report = node_client(NODE_CC, workload(tmp_path / "jobs.jsonl", batches))
    assert report["client"] == "node-fabric-gateway"
    assert (report["committed"], report["failures"], report["submitted"]) == (2, {}, 2)
    assert report["workload_exhausted"] is True
    assert len(report["latencies_ms"]) == 2 and all(ms > 0 for ms in report["latencies_ms"])
    assert report["cpu_s"] > 0 and report["tx_per_s"] == pytest.approx(2 / 30, abs=1e-3)
    stored = readings(NODE_CC, household)
    assert [(r["interval_start"], r["import_wh"], r["export_wh"]) for r in stored] == [
        (r["interval_start"], r["import_wh"], r["export_wh"]) for r in day
    ]
    first = stored[0]
    canonical = json.dumps(first, sort_keys=True, separators=(",", ":")).encode()
    on_ledger = reading_hash(NODE_CC, household.meter_id, first["interval_start"])
    assert on_ledger == hashlib.sha256(canonical).hexdigest()


def test_the_node_gateway_client_commits_on_the_python_chaincode_too(tmp_path):
    household = fresh_household()
    register(PYTHON_CC, household)
    batch = signed_batch(household, day_readings(household, DAY)[:24])
    report = node_client(PYTHON_CC, workload(tmp_path / "jobs.jsonl", [batch]))
    assert (report["committed"], report["failures"]) == (1, {})
    assert len(readings(PYTHON_CC, household)) == 24


def test_the_node_gateway_client_counts_refusals_by_kind(tmp_path):
    unregistered = fresh_household()
    batch = signed_batch(unregistered, day_readings(unregistered, DAY)[:4])
    report = node_client(NODE_CC, workload(tmp_path / "jobs.jsonl", [batch]), duration=10)
    assert (report["committed"], report["failures"]) == (0, {"endorsement": 1})
    example = report["failure_examples"]["endorsement"]
    assert f"chaincode response 404, meter {unregistered.meter_id} is not registered" in example


def test_both_chaincodes_store_the_same_bytes_for_the_same_batch():
    household = fresh_household()  # one meter id, registered in each chaincode's namespace
    registered = [register(cc, household) for cc in (PYTHON_CC, NODE_CC)]
    python, node = (
        {k: v for k, v in r.items() if k not in ("registered_at", "tx_id")} for r in registered
    )
    assert python == node
    day = day_readings(household, DAY)
    # the second batch repeats 24 readings, on a day the meter's index already lists
    for batch, stored, indexes in ((day[:48], 48, 2), (day[24:72], 24, 1)):
        signed = signed_batch(household, batch)
        (result, trace), (node_result, node_trace) = (
            submit_and_trace(cc, signed) for cc in (PYTHON_CC, NODE_CC)
        )
        assert result == node_result and result["stored"] == stored
        assert trace == node_trace  # every key read and written, private values by hash
        assert len(trace["readings"]["writes"]) == stored + indexes
    assert readings(PYTHON_CC, household) == readings(NODE_CC, household)
    for reading in day[:72:9]:
        start = reading["interval_start"]
        python_hash = reading_hash(PYTHON_CC, household.meter_id, start)
        assert reading_hash(NODE_CC, household.meter_id, start) == python_hash


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda day: [{**day[4], "import_wh": day[4]["import_wh"] + 1}],
            "chaincode response 409, reading of meter {meter} at 2026-02-01T01:00:00Z "
            "conflicts with the recorded value",
        ),
        (
            lambda day: [{**day[5], "interval_minutes": 60}],
            "chaincode response 400, reading of meter {meter} at 2026-02-01T01:15:00Z: "
            "interval is not aligned to 60 minutes",
        ),
        (
            lambda day: [{**day[9], "import_wh": 1.0}],
            "chaincode response 400, reading of meter {meter} at 2026-02-01T02:15:00Z: "
            "import_wh must be an integer from 0 to 50000",
        ),
    ],
    ids=["conflict", "unaligned", "float"],
)
def test_both_chaincodes_refuse_alike(change, message):
    household = fresh_household()
    day = day_readings(household, DAY)
    refusals = []
    for cc in (PYTHON_CC, NODE_CC):
        register(cc, household)
        submit(cc, signed_batch(household, day[4:8]))
        with pytest.raises(EndorseError) as refused:
            submit(cc, signed_batch(household, change(day)))
        refusals.append({d.message for d in refused.value.details})
    assert refusals == [{message.format(meter=household.meter_id)}] * 2


# ------------------------------------------------------- the port reads input as Python does

JSON_ATOMS = (
    *("0", "-0", "12", "1.0", "1.5", "1e5", "-2.5e-3", "1e400", "NaN", "-Infinity", "1e16"),
    *("1e15", "1e-4", "5e-324", "1.7976931348623157e308", "-0.0", "2.5E+20"),
    *("123456789012345678901234567890", "9007199254740993", "0.0001", "1e-05", "true", "null"),
    *('"a"', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\u0001"', '"q\'"', '"\\""'),
    *('"\u00a0"', '"\u2028"', '"\U0001f600"', '"x\\/y"', "01", "1.", "+1", "tru", '"\\x41"'),
)
KEYS = ('"a"', '"B"', '"\u00e9"', '"\U0001f600"', '"\uffff"', '"1"', '"__proto__"')
ENCODINGS = ("utf-8",) * 5 + ("utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32")
DIGITS = "0123456789" * 5 + "\u0660\u0665\u0669\U0001d7ce\U0001d7d7\uff10 "


def json_text(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.5:
        return rng.choice(JSON_ATOMS)
    if roll < 0.75:
        return "[" + ", ".join(json_text(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    items = (f"{rng.choice(KEYS)}: {json_text(rng, depth + 1)}" for _ in range(rng.randint(0, 3)))
    return "{" + ",".join(items) + "}"


def tagged(value):
    if value is None or isinstance(value, bool):
        return ["c", repr(value)]
    if isinstance(value, int):
        return ["i", str(value)]
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, str):
        return ["s", [ord(c) for c in value]]
    if isinstance(value, list):
        return ["l", [tagged(v) for v in value]]
    return ["d", [[tagged(k), tagged(v)] for k, v in value.items()]]


def python_answer(kind: str, raw: bytes) -> dict:
    """What the Python chaincode makes of `raw`, in the oracle's terms."""
    if kind == "json":
        try:
            value = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            return {"error": True}
        try:
            dumped = json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode()
            dumps = base64.b64encode(dumped).decode()
        except ValueError:  # NaN, or a lone surrogate UTF-8 cannot encode
            dumps = "error"
        return {"value": tagged(value), "str": [ord(c) for c in str(value)], "dumps": dumps}
    text = raw.decode()
    if kind == "utc":
        try:
            return {"seconds": int(check_utc("t", text).timestamp())}
        except ValidationError:
            return {"seconds": None}
    try:
        return {"hex": base64.b64decode(text, validate=True).hex()}
    except (binascii.Error, ValueError):
        return {"hex": None}


def oracle_cases(rng: random.Random) -> list[tuple[str, bytes]]:
    cases = []
    for _ in range(1500):
        text = rng.choice(("", " ", "\n")) + json_text(rng) + rng.choice(("", "\t", " x"))
        cases.append(("json", text.encode(rng.choice(ENCODINGS), "surrogatepass")))

    def part(*likely: str) -> str:
        if rng.random() < 0.8:
            return rng.choice(likely)
        return "".join(rng.choice(DIGITS) for _ in range(len(likely[0])))

    for _ in range(1500):
        year = part("2024", "2025", "0001", "9999", "0000", "\u0662\u0660\u0662\u0665")
        month = part("01", "02", "12", "13", "00", "1 ", " 1", "0\u0665")
        day = part("01", "28", "29", "30", "31", "32", " 5", "1\u0665", "\U0001d7cf\U0001d7d0")
        hour = part("00", "09", "23", "24", "0\U0001d7d7")
        text = f"{year}-{month}-{day}T{hour}:{part('00', '59', '60')}:{part('00', '59', '61')}Z"
        cases.append(("utc", text.encode()))
    for _ in range(1500):
        text = "".join(rng.choice("AB+/=a9-_\u00e9 ") for _ in range(rng.randint(0, 9)))
        cases.append(("b64", text.encode()))
    return cases


def test_the_node_port_reads_json_times_and_base64_as_the_python_chaincode_does():
    """JSON (values, str(), canonical bytes), UTC times and strict base64, case by case."""
    cases = oracle_cases(random.Random(20260201))
    lines = "".join(
        json.dumps({"kind": kind, "input": base64.b64encode(raw).decode()}) + "\n"
        for kind, raw in cases
    )
    done = subprocess.run(
        ["node", str(ORACLE)], input=lines, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(cases)
    differing = [
        (kind, raw, python, node)
        for (kind, raw), node in zip(cases, answers, strict=True)
        if (python := python_answer(kind, raw)) != node
    ]
    assert differing == []
