"""A 10,000-operation soak: the client's log and the ledger agree, 0 lost, 0 duplicated.

Readings, orders and invoices go in concurrently, one worker thread per lane of work
(`soakload`), through the utility's peer (head-end readings, billing invoices) and the
community's (household orders). The client logs every operation: its id, kind, ledger
keys and each transaction it sent, with how it ended; an operation is acknowledged
when one of its transactions commits VALID, and is sent again, same payload, until
then. One operation in `UNKNOWN_EVERY` of each kind first asks for its commit status
with a deadline no commit meets, so the unknown-outcome path (send again, the
chaincode makes the repeat a no-op) is exercised on every run, not only when the
network happens to be slow.

Then the log is compared with the ledger: every acknowledged transaction is VALID in
a block; every key an acknowledged operation writes was written by exactly one valid
transaction of its own (a meter-day's keys once by each of the day's batches) and by
none the log does not know of; the utility's and the community's peers hold every
acknowledged reading with the values and salt sent, every meter-day's commitment is
that of its bundles once each, each interval's order book counts exactly its
acknowledged orders, every acknowledged invoice exists and bills exactly the day's
acknowledged readings; and nothing with the run's ids is on the ledger that the log
does not know of. Finally the same comparison, given a log with one invented reading
and one order left out, must find both: the check can fail.

Everything carries the run's tag: fresh meters and households, order ids, and order
intervals on a far-future day no other test uses, so no other test's records are
touched. The run time is printed, never asserted.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from soakload import (
    compare,
    height,
    plan_soak,
    prepare,
    run,
    run_tag,
    snapshot,
    tampered,
    totals,
    write_log,
)

pytestmark = pytest.mark.usefixtures("fabric_network")

OPERATIONS = 10_000
WORKERS = 25  # operations in flight at once, one per worker thread
HOUSEHOLDS_PER_WORKER = 2  # 50 fresh households, a meter each, registered for the run
DAYS = 8  # each fresh household's billed days: 400 household-days
BATCHES_PER_DAY = 20  # 1, 2, 3, 4, 1, ... readings: 50 of the day's 96 readings
ORDERS_PER_WORKER = 64  # one far-future interval per worker, 16 orders per trader
UNKNOWN_EVERY = 50  # of each kind, one operation in 50 first times out on its commit status
MIX = {
    "reading": WORKERS * HOUSEHOLDS_PER_WORKER * DAYS * BATCHES_PER_DAY,  # 8,000 (20,000 readings)
    "order": WORKERS * ORDERS_PER_WORKER,  # 1,600
    "invoice": WORKERS * HOUSEHOLDS_PER_WORKER * DAYS,  # 400: one per household and day
}


@pytest.mark.long
def test_ten_thousand_operations_none_lost_none_duplicated():
    assert sum(MIX.values()) == OPERATIONS
    plan = plan_soak(
        run_tag(),
        workers=WORKERS,
        households_per_worker=HOUSEHOLDS_PER_WORKER,
        days=DAYS,
        batches_per_day=BATCHES_PER_DAY,
        orders_per_worker=ORDERS_PER_WORKER,
        unknown_every=UNKNOWN_EVERY,
    )
    assert Counter(op.kind for op in plan.operations) == MIX
    prepare(plan)

    first = height() + 1
    try:
        seconds = run(plan)
    finally:
        log = write_log(plan)
    last = height()
    started = time.monotonic()
    ledger = snapshot(plan, first, last)
    report = compare(plan, ledger)
    audit = time.monotonic() - started

    print(f"\nsoak {plan.tag}: {OPERATIONS} operations in {seconds:.0f}s")
    print(f"  ({OPERATIONS / seconds:.1f}/s, {WORKERS} in flight), blocks {first}-{last}")
    for kind, row in totals(plan).items():
        print(f"  {kind:8} {row}")
    print(f"  audit in {audit:.0f}s of {len(ledger.valid)} valid transactions (all clients')")
    for name in ("lost", "duplicated", "unknown", "altered", "unacknowledged"):
        print(f"  {name}: {len(getattr(report, name))}")
    print(f"  client log: {log}")

    assert report.unacknowledged == [], report.unacknowledged[:10]
    assert report.lost == [], report.lost[:10]
    assert report.duplicated == [], report.duplicated[:10]
    assert report.unknown == [], report.unknown[:10]
    assert report.altered == [], report.altered[:10]

    # the comparison can fail: a log with a reading never sent and without one order
    wrong, invented, unlogged = tampered(plan)
    found = compare(wrong, ledger)
    assert any(invented in finding for finding in found.lost), found.lost
    assert any(unlogged in finding for finding in found.unknown), found.unknown
