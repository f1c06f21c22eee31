"""What one DeviceReady costs allocation's consumer, at two sizes of the waiting pool, on the local cloud.

    .venv/bin/python -m benchmarks.allocation_pool_reads [--small 1000] [--large 10000] [--devices 3]

Starts its own emulator and deploys the template. Seeds `--small` waiting referrals straight
into allocation's table (items as the repository writes them), announces `--devices` ready
devices one after the other on the bus (a `DeviceReady` from refurb, the real envelope), each
waited for until it is reserved and `--pause` apart; then seeds the pool up to `--large` and does the same again.
The first device after each seeding catches up with the seeded referrals (or, for the
function's first invocation, reads the pool whole); the next ones show the steady cost. The
AWS requests, read capacity units and duration of each consumer invocation are read from its
closing log line (the emulator answers a query in one page whatever its size, so read units,
not the number of queries, show what a query read).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "allocation"))

from benchmarks.cost_model import Invocation, invocations_since
from devtools.localcloud.__main__ import session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port
from shared.dynamo import serialize
from shared.events.vocabulary import DeviceSpecs, FunctionalSummary, Provenance
from shared.events.refurb import DeviceReady
from shared.publisher import to_entry

from allocation.adapters.repository import AllocationRepository  # noqa: E402
from allocation.domain.needs import Needs, Requirements  # noqa: E402
from allocation.domain.referrals import Referral  # noqa: E402

NOW = datetime.now(timezone.utc)


def seed_referrals(dynamodb, table: str, first: int, count: int, rng: random.Random) -> None:
    """`count` waiting referrals, numbered from `first`, written 25 at a time."""
    items = []
    for n in range(first, first + count):
        referral = Referral(
            referral_id=f"bench-ref-{n:06d}", partner_id="bench-partner", beneficiary_ref=f"B-{n:06d}",
            category="job_seeker", territory=rng.choice(["35", "56", "29", "22", "44"]),
            eligibility_proof_ref="proof", priority=rng.choice([1, 2, 3, 3, 3]),
            needs=Needs(requirements=Requirements(webcam=rng.random() < 0.4)),
            created_at=NOW - timedelta(seconds=rng.randrange(365 * 86_400)))
        item = AllocationRepository.item(referral) | {"version": 1}  # as a first write stores it
        items.append({"PutRequest": {"Item": serialize(item)}})
    for start in range(0, len(items), 25):
        batch = {table: items[start:start + 25]}
        while batch:
            batch = dynamodb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or None


def announce_ready(events, bus: str, device_id: str) -> None:
    event = DeviceReady(
        device_id=device_id, grade="B", device_type="laptop",
        specs=DeviceSpecs(ram_gb=8, drives=[{"kind": "ssd", "size_gb": 256}]),
        provenance=Provenance(donor_type="company", territory="35"), workshop_id="bench-workshop",
        erasure_certificate_id=f"cert-{device_id}",
        functional=FunctionalSummary(battery_health_pct=85, webcam=True, keyboard_layout="azerty-fr"))
    response = events.put_events(Entries=[to_entry(event.to_envelope(occurred_at=datetime.now(timezone.utc)), bus)])
    assert not response.get("FailedEntryCount"), response


def wait_reserved(dynamodb, table: str, device_id: str, timeout: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        item = dynamodb.get_item(TableName=table, Key=serialize({"pk": f"DEVICE#{device_id}", "sk": "DEVICE"}),
                                 ConsistentRead=True).get("Item")
        if item and item["status"]["S"] == "reserved":
            return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"{device_id} not reserved after {timeout} s")


def consumer_invocations(logs, since_ms: int) -> list[Invocation]:
    time.sleep(2)  # the invocation writes its closing line
    return [i for i in invocations_since(logs, since_ms)
            if i.function == "AllocationConsumerFunction" and i.trigger.startswith("sqs")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--pause", type=float, default=11.0,
                        help="seconds between two devices: past the kept pool's look-back, a write is not read twice")
    args = parser.parse_args()
    rng = random.Random(20261203)
    emulator = Emulator(port=free_port())
    try:
        emulator.start()
        session = session_for(emulator.endpoint)
        outputs = deploy(session).outputs
        table, bus = outputs["AllocationTableName"], outputs["EventBusName"]
        dynamodb, events, logs = session.client("dynamodb"), session.client("events"), session.client("logs")
        seeded = 0
        for size in (args.small, args.large):
            started = time.monotonic()
            seed_referrals(dynamodb, table, seeded, size - seeded, rng)
            print(f"\npool of {size:,} waiting referrals ({size - seeded:,} seeded in "
                  f"{time.monotonic() - started:.1f} s)", flush=True)
            seeded = size
            for n in range(args.devices):
                if n:
                    time.sleep(args.pause)
                device_id = f"bench-dev-{size}-{n}"
                since_ms = int(time.time() * 1000)
                announce_ready(events, bus, device_id)
                seconds = wait_reserved(dynamodb, table, device_id)
                for invocation in consumer_invocations(logs, since_ms):
                    requests = invocation.aws_operations
                    print(f"  {device_id}: reserved {seconds:4.1f} s after its announce; consumer "
                          f"{invocation.duration_ms:6.0f} ms, {invocation.read_units:7.1f} read units, "
                          f"{sum(requests.values())} requests "
                          f"({', '.join(f'{op} {k}' for op, k in sorted(requests.items()))})", flush=True)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
