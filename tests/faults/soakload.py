"""A soak of readings, orders and invoices with a client-side log, and its audit against the ledger.

The plan (`plan_soak`) gives each worker thread its own lanes: the reading batches
and invoices of a few fresh households (a day's batches, each a signed bundle of part
of the meter-day, then that day's invoice) and the orders of one far-future interval
(four community households, one side each).
A worker runs its operations one after another in a shuffled merge of its lanes, so
nothing it sends can conflict with another worker's transactions, and the operations
of one meter or one household's side of an interval are never in flight together.

Every operation is sent in Fabric's long form (endorse, submit, commit status), so
the log (`Operation.attempts`) holds each transaction id and how it ended: VALID,
invalid with a validation code, not endorsed, or unknown (the submit or the commit
status call failed). An operation is acknowledged once a transaction of it commits
VALID; until then it is sent again, a new transaction with the same payload. That is
safe because all three are idempotent in the chaincode: a bundle whose readings are
stored already is a no-op (`duplicates` in the result), the same order again returns
its summary without writing, and the same invoice again returns the record already
issued (an invoice whose inputs changed since would be refused, never rewritten).

`snapshot` reads the ledger once (a `Ledger`): every fresh household's readings from
the utility's and the community's peer, every meter-day's commitment, the order book
of every interval, every invoice and its public evidence, and every block committed
during the run with the keys each valid transaction wrote. `compare` then checks the
log against it, at three levels: every acknowledged transaction is VALID in a block;
every key an acknowledged operation writes (its meter-day's bundles and roots, a
sealed order and its commitment, an invoice and its evidence) was written by exactly
one valid transaction of the operation's own, and by no transaction the log does not
know of (a meter-day's keys are written once by each of the day's batches); and the
state holds each acknowledged item exactly once, with the values sent (a meter-day's
commitment is that of the bundles sent, once each, in order), and nothing of the
run's ids the log does not know of.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from community_fixtures import CHANNEL, KEYS, approved_tariff, contract, read_recorded, register
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2

from client import (
    Contract,
    EndorseError,
    Gateway,
    GatewayError,
)
from client.accesses import Access, invoice_access, recorded
from gridspec.reading_bundle import ReadingBundle, commitment_key, commitment_of
from gridspec.signed_bundle import SignedBundle
from network.connect import gateway, peer_session
from network.paths import run_dir
from network.scenario import Household, community, day_readings, signed_days
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

NAMESPACE = "community"
FMT = "%Y-%m-%dT%H:%M:%SZ"
BATCH_SIZES = (1, 2, 3, 4)
TRADERS = {  # the community's households with an identity, and their users
    "h-001": "household1",
    "h-002": "household2",
    "h-009": "household9",
    "h-010": "household10",
}
FIRST_DAY = date(2026, 6, 1)  # the fresh households' billed days: the tariff is in force
MAX_ATTEMPTS = 8
IMPATIENT = 0.01  # seconds: a commit status deadline that no commit meets
TRANSACTIONS_FILTER = common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER
ENDORSER_TRANSACTION = common_pb2.HeaderType.ENDORSER_TRANSACTION
VALID = transaction_pb2.TxValidationCode.VALID
EVERYTHING = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def private(collection: str, key: str) -> str:
    """A private key as the log names it: ``collection/key``."""
    return f"{collection}/{key}"


def meter_day_keys(meter_id: str, day: str) -> tuple[str, str]:
    """The private keys a reading batch writes: its meter-day's bundles and roots."""
    return (
        private("readings", f"meterday~{meter_id}~{day}"),
        private("readings", commitment_key(meter_id, day)),
    )


def on_chain(key: str) -> str:
    """How a block names a written key: a public key itself, a private one by its
    collection and the SHA-256 of the key (``collection#hex``)."""
    collection, slash, name = key.partition("/")
    return f"{collection}#{sha256(name)}" if slash else key


# ---------------------------------------------------------------- the log


@dataclass(frozen=True)
class Attempt:
    """One transaction of an operation and how it ended (`VALID` acknowledges it)."""

    transaction_id: str
    outcome: str  # VALID, a validation code, "not endorsed" or "unknown"
    detail: str = ""


@dataclass(eq=False)
class Operation:
    """One operation of the soak, its ledger keys, and what became of it."""

    op_id: str
    kind: str  # reading, order or invoice
    user: str  # the identity that sends it
    function: str  # Contract:Function
    household_id: str
    args: tuple[str, ...] = ()
    transient: dict[str, bytes] | None = None
    readings: list[dict[str, Any]] = field(default_factory=list)  # as GetReadings gives them
    root: bytes = b""  # a reading batch's bundle root
    order: dict[str, Any] | None = None
    keys: tuple[str, ...] = ()  # what it writes, once: public keys, private() ones
    impatient: bool = False  # its first commit status times out: sent again, outcome unknown
    attempts: list[Attempt] = field(default_factory=list)
    result: dict[str, Any] | None = None

    @property
    def acknowledged(self) -> bool:
        return any(a.outcome == "VALID" for a in self.attempts)

    @property
    def valid_transaction(self) -> str | None:
        return next((a.transaction_id for a in self.attempts if a.outcome == "VALID"), None)

    @property
    def transaction_ids(self) -> set[str]:
        """The transactions that may have written for it: VALID or of unknown outcome."""
        return {a.transaction_id for a in self.attempts if a.outcome in ("VALID", "unknown")}

    def entry(self) -> dict[str, Any]:
        """The operation as one line of the log file."""
        return {
            "op": self.op_id,
            "kind": self.kind,
            "household": self.household_id,
            "keys": list(self.keys),
            "acknowledged": self.acknowledged,
            "impatient": self.impatient,
            "attempts": [[a.transaction_id, a.outcome, a.detail] for a in self.attempts],
        }


@dataclass
class Plan:
    tag: str
    households: list[Household]
    days: list[date]
    intervals: list[str]
    lanes: list[list[Operation]]  # one per worker, in the order it sends them

    @property
    def operations(self) -> list[Operation]:
        return [op for lane in self.lanes for op in lane]


# ---------------------------------------------------------------- the plan


def run_tag() -> str:
    return f"s{os.urandom(4).hex()}"


def far_future_day(tag: str) -> date:
    """The day whose intervals this run's orders use: in 2200-2299, picked by the tag."""
    return date(2200, 1, 1) + timedelta(days=int(tag[1:], 16) % 36_500)


def fresh_households(tag: str, count: int) -> list[Household]:
    """`count` households no other run has, with the community's varied profiles."""
    base = community()
    return [
        replace(base[n % len(base)], household_id=f"h-{tag}-{n:03d}", meter_id=f"m-{tag}-{n:03d}")
        for n in range(count)
    ]


def reading_ops(home: Household, day: date, batches: int, number: Iterator[int]) -> list[Operation]:
    """The day's first readings in `batches` batches of 1, 2, 3, 4, 1, ... readings, each
    batch a signed bundle: the meter-day in parts."""
    sizes = [BATCH_SIZES[n % len(BATCH_SIZES)] for n in range(batches)]
    readings = day_readings(home, day)[: sum(sizes)]
    ops, start = [], 0
    for size in sizes:
        (signed,) = signed_days(KEYS, home, readings[start : start + size])
        start += size
        bundle = ReadingBundle.parse(signed.payload)
        ops.append(
            Operation(
                op_id=f"r{next(number):05d}",
                kind="reading",
                user="headend1",
                function="ReadingContract:SubmitReadings",
                household_id=home.household_id,
                transient={"bundles": SignedBundle.submission([signed])},
                readings=[r.record() for r in bundle.readings()],
                root=bundle.root(),
                keys=meter_day_keys(home.meter_id, day.isoformat()),
            )
        )
    return ops


def invoice_op(home: Household, day: date, number: Iterator[int]) -> Operation:
    period = (day.isoformat(), (day + timedelta(days=1)).isoformat())
    suffix = f"{home.household_id}~{period[0]}~{period[1]}"
    return Operation(
        op_id=f"i{next(number):05d}",
        kind="invoice",
        user="billing1",
        function="BillingContract:GenerateInvoice",
        household_id=home.household_id,
        args=(home.household_id, *period),
        # the invoice's private name is keyed with the channel's salt (chaincode/community/
        # keyed.py), which only the chaincode holds: its public evidence is what is tracked
        keys=(f"invoicerec~{suffix}",),
    )


def order_ops(
    tag: str, interval: str, sellers: tuple[str, ...], count: int, number: Iterator[int]
) -> list[Operation]:
    """`count` orders of one interval, round-robin over the four traders; `sellers` offer."""
    ops = []
    for n in range(count):
        household_id = sorted(TRADERS)[n % len(TRADERS)]
        op_id = f"o{next(number):05d}"
        order = {
            "order_id": f"o-{tag}-{op_id}",
            "side": "offer" if household_id in sellers else "bid",
            "interval_start": interval,
            "energy_wh": 50 + (n * 37) % 450,
            "price_per_kwh": 5 + (n * 13) % 36,
            "salt": base64.urlsafe_b64encode(os.urandom(18)).decode(),
        }
        ops.append(
            Operation(
                op_id=op_id,
                kind="order",
                user=TRADERS[household_id],
                function="MarketContract:PlaceOrder",
                household_id=household_id,
                transient={"order": json.dumps(order).encode()},
                order=order,
                # keyed private names cannot be computed outside the chaincode: the
                # order's public commitment is what is tracked
                keys=(f"ordercommit~{interval}~{order['order_id']}",),
            )
        )
    return ops


def merged(lanes: list[list[Operation]], rng: random.Random) -> list[Operation]:
    """The lanes interleaved at random, each lane's own order kept."""
    queues = [list(reversed(lane)) for lane in lanes if lane]
    out: list[Operation] = []
    while queues:
        queue = rng.choices(queues, weights=[len(q) for q in queues])[0]
        out.append(queue.pop())
        if not queue:
            queues.remove(queue)
    return out


def plan_soak(
    tag: str,
    *,
    workers: int,
    households_per_worker: int,
    days: int,
    batches_per_day: int,
    orders_per_worker: int,
    unknown_every: int = 0,
) -> Plan:
    """Per worker: its households' days (batches, then the day's invoice) and one interval's
    orders; in all, workers * households_per_worker * days * (batches_per_day + 1) +
    workers * orders_per_worker operations. Of each kind, one operation in
    `unknown_every` is impatient (its first commit status times out)."""
    homes = fresh_households(tag, workers * households_per_worker)
    billed = [FIRST_DAY + timedelta(days=d) for d in range(days)]
    midnight = datetime.combine(far_future_day(tag), datetime.min.time(), UTC)
    intervals = [(midnight + n * timedelta(minutes=15)).strftime(FMT) for n in range(workers)]
    readings, invoices, orders = (iter(range(10**6)) for _ in range(3))
    lanes = []
    for w in range(workers):
        own: list[list[Operation]] = []
        for home in homes[w * households_per_worker : (w + 1) * households_per_worker]:
            lane: list[Operation] = []
            for day in billed:
                lane += reading_ops(home, day, batches_per_day, readings)
                lane.append(invoice_op(home, day, invoices))
            own.append(lane)
        sellers = ("h-001", "h-002") if w % 2 == 0 else ("h-009", "h-010")
        own.append(order_ops(tag, intervals[w], sellers, orders_per_worker, orders))
        lanes.append(merged(own, random.Random(f"{tag}:{w}")))
    if unknown_every:
        seen: Counter[str] = Counter()
        for op in sorted((op for lane in lanes for op in lane), key=lambda op: op.op_id):
            op.impatient = seen[op.kind] % unknown_every == unknown_every // 2
            seen[op.kind] += 1
    return Plan(tag, homes, billed, intervals, lanes)


# ---------------------------------------------------------------- connections


def height(peer: Org = UTILITY) -> int:
    """The newest block number of the channel on `peer`."""
    with peer_session(REGULATOR, "auditor1", peer) as session:
        return session.newest(CHANNEL)


# ---------------------------------------------------------------- preparing and running


def prepare(plan: Plan, workers: int = 16) -> None:
    """The tariff in force, the traders' meters, the fresh meters; the intervals unused."""
    approved_tariff()
    by_id = {h.household_id: h for h in community()}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(register, [by_id[h] for h in TRADERS] + plan.households))
    with gateway(REGULATOR, "auditor1") as gw:
        market = contract(gw, "MarketContract")
        for interval in plan.intervals:
            book = json.loads(market.evaluate("GetOrderBook", args=(interval,)))
            assert book == {"interval_start": interval, "orders": 0, "cleared": False}, book


Senders = dict[tuple[str, str, bool], Contract]


@contextmanager
def senders() -> Iterator[Senders]:
    """A contract per (user, contract name, impatient): the head-end and billing at the
    utility's peer, the households at the community's; an impatient one asks for the
    commit status with a deadline too short for any commit."""
    with ExitStack() as stack:
        contracts = {}
        for user, org in [("headend1", UTILITY), ("billing1", UTILITY)] + [
            (user, COMMUNITY) for user in TRADERS.values()
        ]:
            connection = stack.enter_context(peer_session(org, user))
            for impatient in (False, True):
                timeouts = {"commit_status_timeout": IMPATIENT} if impatient else {}
                network = connection.gateway(**timeouts).get_network(CHANNEL)
                for name in ("ReadingContract", "BillingContract", "MarketContract"):
                    contracts[(user, name, impatient)] = network.get_contract(NAMESPACE, name)
        yield contracts


def message(exc: BaseException) -> str:
    """The error's text on one line, per-peer details included."""
    return " | ".join(line.strip() for line in str(exc).splitlines())[:500]


def execute(op: Operation, contracts: Senders) -> None:
    """Send `op` until a transaction of it commits VALID (or MAX_ATTEMPTS are spent); an
    impatient operation's first commit status times out, so its outcome is unknown."""
    contract_name, function = op.function.split(":")
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            time.sleep(min(5.0, 0.2 * 2**attempt) * random.uniform(0.5, 1))
        target = contracts[(op.user, contract_name, op.impatient and attempt == 0)]
        proposal = target.new_proposal(function, args=op.args, transient=op.transient)
        tx_id = proposal.transaction_id
        try:
            transaction = proposal.endorse()
        except EndorseError as exc:  # nothing was sent for ordering
            op.attempts.append(Attempt(tx_id, "not endorsed", message(exc)))
            continue
        try:
            status = transaction.submit().status()
        except GatewayError as exc:  # the orderer or the commit status failed: may commit
            op.attempts.append(Attempt(tx_id, "unknown", message(exc)))
            continue
        op.attempts.append(Attempt(tx_id, status.code_name, f"block {status.block_number}"))
        if status.successful:
            op.result = json.loads(transaction.result)
            return


def run(plan: Plan, progress_every: float = 30) -> float:
    """Every lane on its own thread, all at once; the seconds it took."""
    done = [0]
    lock = threading.Lock()
    finished = threading.Event()
    total = len(plan.operations)

    def work(lane: list[Operation], contracts: Senders) -> None:
        for op in lane:
            execute(op, contracts)
            with lock:
                done[0] += 1

    def report(started: float) -> None:
        while not finished.wait(progress_every):
            print(f"  soak: {done[0]}/{total} operations after {time.monotonic() - started:.0f}s")

    with senders() as contracts:
        started = time.monotonic()
        reporter = threading.Thread(target=report, args=(started,), daemon=True)
        reporter.start()
        try:
            with ThreadPoolExecutor(max_workers=len(plan.lanes)) as pool:
                futures = [pool.submit(work, lane, contracts) for lane in plan.lanes]
                for future in futures:
                    future.result()
        finally:
            finished.set()
        return time.monotonic() - started


def write_log(plan: Plan) -> Path:
    """The client's log, one operation a line, in run/faults/soak-log.jsonl (the last run's)."""
    path = run_dir() / "faults" / "soak-log.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for op in plan.operations:
            out.write(json.dumps(op.entry()) + "\n")
    return path


# ---------------------------------------------------------------- the ledger


@dataclass
class Ledger:
    """What the ledger holds of the run, read once after it."""

    readings: dict[str, dict[str, list[dict[str, Any]]]]  # peer -> household -> readings
    commitments: dict[tuple[str, str], str | None]  # (meter, day) -> GetReadingCommitment
    books: dict[str, dict[str, Any]]  # interval -> GetOrderBook
    invoices: dict[str, dict[str, Any] | None]  # invoice operation's id -> GetInvoice
    evidence: dict[str, dict[str, Any] | None]  # the same -> GetInvoiceEvidence
    writes: dict[str, list[str]]  # key written, as on_chain() names it -> valid tx ids
    valid: set[str]  # every valid transaction of the blocks
    blocks: tuple[int, int]


def written_keys(block: Any, writes: dict[str, list[str]], valid: set[str]) -> None:
    """Add the keys each valid endorser transaction of `block` wrote in the namespace."""
    codes = bytes(block.metadata.metadata[TRANSACTIONS_FILTER])
    for index, data in enumerate(block.data.data):
        if codes[index] != VALID:
            continue
        payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(data).payload)
        header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        if header.type != ENDORSER_TRANSACTION:
            continue
        valid.add(header.tx_id)
        for action in transaction_pb2.Transaction.FromString(payload.data).actions:
            action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
            response = proposal_response_pb2.ProposalResponsePayload.FromString(
                action_payload.action.proposal_response_payload
            )
            results = proposal_pb2.ChaincodeAction.FromString(response.extension).results
            for ns in rwset_pb2.TxReadWriteSet.FromString(results).ns_rwset:
                if ns.namespace != NAMESPACE:
                    continue
                for write in kv_rwset_pb2.KVRWSet.FromString(ns.rwset).writes:
                    writes[write.key].append(header.tx_id)
                for collection in ns.collection_hashed_rwset:
                    hashed = kv_rwset_pb2.HashedRWSet.FromString(collection.hashed_rwset)
                    for hashed_write in hashed.hashed_writes:
                        name = f"{collection.collection_name}#{hashed_write.key_hash.hex()}"
                        writes[name].append(header.tx_id)


def chain_writes(first: int, last: int) -> tuple[dict[str, list[str]], set[str]]:
    """Blocks `first` to `last` from the regulator's peer (it holds only hashes of the
    private data: the blocks are the same everywhere), and what their valid
    transactions wrote."""
    writes: dict[str, list[str]] = defaultdict(list)
    valid: set[str] = set()
    with peer_session(REGULATOR, "auditor1") as auditor:
        for start in range(first, last + 1, 200):
            for block in auditor.blocks(CHANNEL, start, min(last, start + 199), timeout=180):
                written_keys(block, writes, valid)
    return dict(writes), valid


def readings_on(peer: Org, plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Each fresh household's readings on `peer`, as billing reads them (recording each
    access first)."""
    with gateway(UTILITY, "billing1", peer_org=peer) as gw:
        found = {}
        for h in plan.households:
            period = (h.household_id, *EVERYTHING)
            access = Access("readings", *period)
            found[h.household_id] = read_recorded(
                gw, "ReadingContract", "GetReadings", period, access
            )
        return found


def settled_readings(peer: Org, plan: Plan, timeout: float) -> dict[str, list[dict[str, Any]]]:
    """The fresh households' readings on `peer`, once it has every acknowledged one (a
    peer that did not endorse gets private data by gossip), or as they are at `timeout`."""
    wanted: Counter[str] = Counter()
    for op in plan.operations:
        if op.kind == "reading" and op.acknowledged:
            wanted[op.household_id] += len(op.readings)
    deadline = time.monotonic() + timeout
    while True:
        found = readings_on(peer, plan)
        if all(len(found[h]) >= n for h, n in wanted.items()) or time.monotonic() > deadline:
            return found
        time.sleep(2)


def snapshot(plan: Plan, first: int, last: int, gossip_timeout: float = 120) -> Ledger:
    """Read what the ledger holds of `plan`, and blocks `first` to `last`."""
    readings = {
        org.key: settled_readings(org, plan, gossip_timeout) for org in (UTILITY, COMMUNITY)
    }
    invoices: dict[str, dict[str, Any] | None] = {}
    evidence: dict[str, dict[str, Any] | None] = {}
    with gateway(UTILITY, "billing1") as billing, gateway(REGULATOR, "auditor1") as auditor:
        commitments = {
            (h.meter_id, day.isoformat()): commitment(auditor, h.meter_id, day.isoformat())
            for h in plan.households
            for day in plan.days
        }
        market = contract(auditor, "MarketContract")
        books = {i: json.loads(market.evaluate("GetOrderBook", args=(i,))) for i in plan.intervals}
        for op in plan.operations:
            if op.kind != "invoice":
                continue
            access = recorded(contract(billing, "AccessContract"), invoice_access(*op.args))
            invoices[op.op_id] = evaluated(
                contract(billing, "BillingContract"), "GetInvoice", op, access
            )
            evidence[op.op_id] = evaluated(
                contract(auditor, "BillingContract"), "GetInvoiceEvidence", op
            )
    writes, valid = chain_writes(first, last)
    return Ledger(readings, commitments, books, invoices, evidence, writes, valid, (first, last))


def commitment(auditor: Gateway, meter_id: str, day: str) -> str | None:
    """The SHA-256 the regulator's peer keeps of a meter-day's roots, None if it has none."""
    try:
        held = json.loads(
            contract(auditor, "ReadingContract").evaluate(
                "GetReadingCommitment", args=(meter_id, day)
            )
        )
    except GatewayError as exc:
        if "no readings are committed under" in str(exc):
            return None
        raise
    return str(held["sha256"])


def evaluated(
    target: Contract, function: str, op: Operation, transient: dict[str, bytes] | None = None
) -> dict[str, Any] | None:
    """The record, or None when the chaincode answers that there is none."""
    try:
        return dict(json.loads(target.evaluate(function, args=op.args, transient=transient)))
    except GatewayError as exc:
        if "no invoice of household" in str(exc):
            return None
        raise


# ---------------------------------------------------------------- the comparison


@dataclass
class Report:
    """What the comparison found: each list names the operation or key and what is wrong."""

    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # on the ledger, not in the log
    altered: list[str] = field(default_factory=list)  # on the ledger with other values
    unacknowledged: list[str] = field(default_factory=list)  # given up after MAX_ATTEMPTS


def compare(plan: Plan, ledger: Ledger) -> Report:
    report = Report()
    ops = plan.operations
    for op in ops:
        if not op.acknowledged:
            report.unacknowledged.append(f"{op.op_id} ({op.kind}): {op.attempts[-1:]}")
    compare_transactions(plan, ledger, report)
    compare_readings(plan, ledger, report)
    compare_orders(plan, ledger, report)
    compare_invoices(plan, ledger, report)
    return report


def compare_transactions(plan: Plan, ledger: Ledger, report: Report) -> None:
    """Acknowledged = VALID in a block; each operation wrote each of its keys in exactly one
    transaction of its own, and no transaction outside the log wrote them."""
    owners: dict[str, list[Operation]] = defaultdict(list)
    for op in plan.operations:
        for key in op.keys:
            owners[key].append(op)
    for op in plan.operations:
        if op.acknowledged and op.valid_transaction not in ledger.valid:
            report.lost.append(f"{op.op_id}: transaction {op.valid_transaction} is not valid")
        for key in op.keys:
            own = [tx for tx in ledger.writes.get(on_chain(key), []) if tx in op.transaction_ids]
            if op.acknowledged and not own:
                report.lost.append(f"{op.op_id}: no valid transaction of it wrote {key}")
            if len(own) > 1:
                report.duplicated.append(f"{op.op_id}: {key} written by {len(own)} of its txs")
    for key, ops in owners.items():
        logged = set().union(*(op.transaction_ids for op in ops))
        foreign = set(ledger.writes.get(on_chain(key), [])) - logged
        if foreign:
            report.unknown.append(f"{key} written by {sorted(foreign)}, not in the log")
    # the run's public keys (order commitments, invoice evidence) carry its tag
    tagged = {k for k in ledger.writes if "#" not in k and f"-{plan.tag}-" in k}
    for key in sorted(tagged - {on_chain(key) for key in owners}):
        report.unknown.append(f"{key} written by {ledger.writes[key]}, not in the log")


def compare_readings(plan: Plan, ledger: Ledger, report: Report) -> None:
    """Per peer: every acknowledged reading, with the values and salt its bundle gave it;
    nothing else. Per meter-day: the commitment of the bundles sent, once each, in order."""
    sent: dict[tuple[str, str], tuple[Operation, dict[str, Any]]] = {}
    days: dict[tuple[str, str], list[Operation]] = defaultdict(list)
    for op in plan.operations:
        if op.kind != "reading":
            continue
        for r in op.readings:
            sent[(r["meter_id"], r["interval_start"])] = (op, r)
        days[(op.readings[0]["meter_id"], op.readings[0]["interval_start"][:10])].append(op)
    for peer, households in ledger.readings.items():
        stored: set[tuple[str, str]] = set()
        for household_id, readings in households.items():
            for r in readings:
                key = (r["meter_id"], r["interval_start"])
                stored.add(key)
                if key not in sent:
                    report.unknown.append(f"peer-{peer}: {household_id} reading {key}")
                elif r != sent[key][1]:
                    report.altered.append(f"peer-{peer}: reading {key} is {r}")
        for key, (op, _) in sent.items():
            if op.acknowledged and key not in stored:
                report.lost.append(f"peer-{peer}: {op.op_id} reading {key}")
    for (meter_id, day), ops in days.items():
        bundles_key = on_chain(meter_day_keys(meter_id, day)[0])
        wrote = [op for op in ops if op.transaction_ids & set(ledger.writes.get(bundles_key, []))]
        expected = commitment_of(op.root for op in wrote) if wrote else None
        if ledger.commitments[(meter_id, day)] != expected:
            report.duplicated.append(
                f"meter {meter_id} on {day}: the roots on the ledger are not those of the "
                f"{len(wrote)} bundles that wrote it, once each"
            )


def compare_orders(plan: Plan, ledger: Ledger, report: Report) -> None:
    """Each interval's order book counts exactly its acknowledged orders (and is open)."""
    for interval in plan.intervals:
        ops = [op for op in plan.operations if op.order and op.order["interval_start"] == interval]
        acknowledged = sum(op.acknowledged for op in ops)
        book = ledger.books[interval]
        if book["cleared"]:
            report.unknown.append(f"interval {interval} is cleared")
        if book["orders"] < acknowledged:
            report.lost.append(f"interval {interval}: {book['orders']} orders of {acknowledged}")
        if book["orders"] > len(ops):
            report.unknown.append(f"interval {interval}: {book['orders']} orders, {len(ops)} sent")


def compare_invoices(plan: Plan, ledger: Ledger, report: Report) -> None:
    """Each acknowledged invoice exists, bills exactly the day's acknowledged readings, and
    its public evidence names one of the operation's own transactions."""
    energy: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for op in plan.operations:
        if op.kind == "reading" and op.acknowledged:
            for r in op.readings:
                total = energy[(op.household_id, str(r["interval_start"])[:10])]
                total[0] += int(r["import_wh"])
                total[1] += int(r["export_wh"])
    for op in plan.operations:
        if op.kind != "invoice":
            continue
        invoice, evidence = ledger.invoices[op.op_id], ledger.evidence[op.op_id]
        if invoice is None or evidence is None:
            if op.acknowledged:
                report.lost.append(f"{op.op_id}: invoice {op.args}")
            elif invoice or evidence:
                report.unknown.append(f"{op.op_id}: invoice {op.args}, never acknowledged")
            continue
        household_id, start, _ = op.args
        billed = (invoice["household"], invoice["period_start"], invoice["period_end"])
        lines: Counter[str] = Counter()
        for line in invoice["lines"]:
            lines[line["code"]] += line["quantity_wh"]
        imported, exported = energy[(household_id, start)]
        if billed != op.args or (lines["grid_import"], lines["feed_in"]) != (imported, exported):
            report.altered.append(
                f"{op.op_id}: invoice {billed} bills {lines['grid_import']}/{lines['feed_in']} "
                f"wh, the acknowledged readings are {imported}/{exported} wh"
            )
        if evidence["tx_id"] not in op.transaction_ids:
            report.unknown.append(f"{op.op_id}: invoice issued by {evidence['tx_id']}")


def tampered(plan: Plan) -> tuple[Plan, str, str]:
    """A copy of the log with an acknowledged reading that was never sent, and without one
    acknowledged order: what the comparison must then find lost and unknown."""
    fake = copy.deepcopy(next(op for op in plan.operations if op.kind == "reading"))
    home = next(h for h in plan.households if h.household_id == fake.household_id)
    moment = f"{plan.days[0].isoformat()}T23:45:00Z"
    fake.op_id = "r-never-sent"
    fake.readings = [
        {
            "meter_id": home.meter_id,
            "interval_start": moment,
            "interval_minutes": 15,
            "import_wh": 1,
            "export_wh": 0,
            "salt": "never-sent",
        }
    ]
    fake.keys = meter_day_keys(home.meter_id, plan.days[0].isoformat())
    fake.attempts = [Attempt("0" * 64, "VALID", "never sent")]
    dropped = next(op for op in plan.operations if op.kind == "order" and op.acknowledged)
    lanes = [[op for op in lane if op is not dropped] for lane in plan.lanes]
    lanes[0] = [*lanes[0], fake]
    return replace(plan, lanes=lanes), fake.op_id, dropped.keys[0]


# ---------------------------------------------------------------- totals


def totals(plan: Plan) -> dict[str, dict[str, int]]:
    """Per kind: operations, acknowledged, transactions sent, and how they ended."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for op in plan.operations:
        row = table[op.kind]
        row["operations"] += 1
        row["acknowledged"] += op.acknowledged
        row["impatient"] += op.impatient
        row["transactions"] += len(op.attempts)
        row["items"] += len(op.readings) if op.kind == "reading" else 1
        for attempt in op.attempts:
            if attempt.outcome != "VALID":
                row[attempt.outcome] += 1
        if op.result and op.kind == "reading":
            row["stored"] += int(op.result["stored"])
            row["repeats (no-op)"] += int(op.result["duplicates"])
    return {kind: dict(row) for kind, row in sorted(table.items())}
