"""Many devices received at once, one workshop with room: how many requests refurb's consumer
spends opening each work order, and how long until every one is open.

    .venv/bin/python -m benchmarks.refurb_opening [devices]

Starts its own emulator on a free port, deploys the system, registers one workshop for
territory 35 with room for every device, then puts `devices` DeviceReceived (default 200) on
the bus at once, as intake's publisher does. Every opening claims a place in that one workshop.
Prints the time until refurb's table holds a work order for each device and the workshop counts
them all, the AWS requests refurb's consumer made per device (read from its logs, see
benchmarks/local_cloud.py), the retries it logged and the messages that came back from a failed
batch (a visibility timeout each: 60 s of stall).
"""

from __future__ import annotations

import json
import sys
import time
import uuid

from benchmarks.intake_import import count_work_orders
from devtools import thin_path
from devtools.localcloud.__main__ import partner_base_url, session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port
from shared.events.intake import DeviceReceived
from shared.events.vocabulary import DeviceSpecs, Provenance
from shared.publisher import to_entry

WORKSHOP = "workshop-bench-35"


def received(device_id: str) -> DeviceReceived:
    return DeviceReceived(
        device_id=device_id, lot_id="lot-bench", donor_id="donor-departement-35",
        provenance=Provenance(donor_type="public_body", territory="35"), label_code=f"SV-{device_id[-9:].upper()}",
        serial_number=f"BENCH{device_id[-8:].upper()}", make="HP", model="EliteBook 840 G5", device_type="laptop",
        specs=DeviceSpecs(cpu_model="i5-8250U", ram_gb=8, drives=[{"kind": "nvme", "size_gb": 256}]),
    )


def refurb_consumer_lines(logs) -> list[dict]:
    groups = [g["logGroupName"] for page in logs.get_paginator("describe_log_groups").paginate()
              for g in page["logGroups"] if "RefurbConsumer" in g["logGroupName"]]
    lines = []
    for group in groups:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            for event in page["events"]:
                if event["message"].startswith("{"):
                    lines.append(json.loads(event["message"]))
    return lines


def main(devices: int = 200) -> None:
    emulator = Emulator(port=free_port())
    try:
        emulator.start()
        session = session_for(emulator.endpoint)
        deployment = deploy(session)
        partners = thin_path.Partners(partner_base_url(emulator.endpoint, deployment))
        partners.expect(200, "PUT", f"/refurb/workshops/{WORKSHOP}", "admin",
                        {"name": "Atelier banc d'essai", "territories": ["35"], "capacity": devices * 2})
        logs, dynamodb, events = session.client("logs"), session.client("dynamodb"), session.client("events")
        table, bus = deployment.outputs["RefurbTableName"], deployment.outputs["EventBusName"]

        run = uuid.uuid4().hex[:6]
        entries = [to_entry(received(f"bench-{run}-{n:06d}").to_envelope(), bus) for n in range(devices)]
        started = time.monotonic()
        for start in range(0, len(entries), 10):
            assert events.put_events(Entries=entries[start:start + 10])["FailedEntryCount"] == 0
        thin_path.wait_for(lambda: count_work_orders(dynamodb, table) >= devices,
                           "a work order for every device", timeout=900, interval=0.5)
        opened_seconds = time.monotonic() - started
        counted = thin_path.wait_for(
            lambda: (w := partners.expect(200, "GET", f"/refurb/workshops/{WORKSHOP}", "admin"))["open_orders"]
            >= devices and w, "the workshop counting every work order", timeout=900, interval=0.5)
        time.sleep(3)  # the consumers' closing log lines
        lines = refurb_consumer_lines(logs)
        finished = [line for line in lines if line.get("message") == "invocation finished"]
        requests = sum(line.get("aws_requests", 0) for line in finished)
        retries = sum(line.get("message") == "conflict, retrying" for line in lines)
        gave_up = sum(line.get("message") == "gave up after conflicts" for line in lines)
        print(f"{devices} DeviceReceived at once, one workshop (capacity {devices * 2})")
        print(f"every work order open:              {opened_seconds:6.1f} s")
        print(f"the workshop counts {counted['open_orders']} open orders")
        print(f"refurb consumer invocations:        {len(finished)}")
        print(f"refurb consumer AWS requests:       {requests} ({requests / devices:.2f} per device)")
        print(f"conflicts retried / given up:       {retries} / {gave_up}")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
