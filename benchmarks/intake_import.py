"""A département's year of retirement in one file: import → registered devices → open work orders.

    .venv/bin/python -m benchmarks.intake_import [rows] [--probe]

Starts its own emulator on a free port, deploys the system, registers the dev donor, declares
a lot and uploads a generated inventory of `rows` rows (default 3,800; Windows-1252, `;`, with
50 bad rows on purpose) as the warehouse. Then prints: the time until the import report (the
upload's answer, every row checked), until every accepted row is registered (import done),
and until refurb has a work order for every registered device (DeviceReceived through the bus,
read in refurb's table directly); and the AWS requests the functions made, from their logs
(see benchmarks/local_cloud.py), the benchmark's own GET polls counted apart.

With `--probe`, the emulator's raw request capacity (benchmarks/raw_capacity.py) is measured
before the first file and after a second one of the same size, and each file's pipeline rate —
the functions' AWS requests from the upload to the last work order, per second — is printed as
a share of it: how much of what the emulator can serve the pipeline keeps it busy with. The
first file after the deployment also pays for starting every function's workers (each unzips
its layers); the second one meets them warm, as a département's file does on a working day.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
import uuid

from collections import Counter
from dataclasses import dataclass

from benchmarks.cpu_meter import CpuMeter, CpuUse
from benchmarks.local_cloud import aws_requests_so_far
from benchmarks.raw_capacity import create_probe_resources, requests_per_second
from devtools import thin_path
from devtools.import_inventory import Importer
from devtools.inventory_files import departement_inventory
from devtools.localcloud.__main__ import partner_base_url, session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port


def count_work_orders(dynamodb, table: str) -> int:
    total, kwargs = 0, {"TableName": table, "Select": "COUNT", "FilterExpression": "begins_with(pk, :p)",
                        "ExpressionAttributeValues": {":p": {"S": "WORKORDER#"}}}
    while True:
        page = dynamodb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass
class ImportRun:
    """One file's way from the upload to its last work order, as the functions logged it."""

    devices: int
    registered_seconds: float
    work_orders_seconds: float
    requests: Counter  # by function
    operations: Counter
    invocations: Counter
    polls: int
    processors: CpuUse

    @property
    def requests_per_second(self) -> float:
        return sum(self.requests.values()) / self.work_orders_seconds


def import_one_file(partners, base_url: str, logs, dynamodb, refurb_table: str, emulator_cpu: CpuMeter,
                    rows: int, run_tag: str) -> ImportRun:
    """Declare a lot, upload a generated file of `rows` rows as the warehouse and wait until
    refurb holds a work order for every registered device."""
    lot = partners.expect(201, "POST", "/intake/lots", "donor", {"expected_count": rows, "pickup_site": "Rennes"})
    generated = departement_inventory(rows, run_tag=run_tag)
    before_work_orders = count_work_orders(dynamodb, refurb_table)
    time.sleep(2)  # the set-up's closing log lines
    baseline_invocations = Counter()
    baseline, baseline_operations = aws_requests_so_far(logs, baseline_invocations)

    importer = Importer(base_url, "dev-warehouse-key", out=io.StringIO())
    started = time.monotonic()
    emulator_cpu.start()
    job = importer.upload(generated.content, lot["lot_id"])
    report_seconds = time.monotonic() - started
    print(f"{rows:,} rows, {len(generated.content):,} bytes: {job['counts']['accepted']:,} accepted, "
          f"{job['counts']['rejected']:,} rejected (expected {generated.accepted:,} / {len(generated.rejected_rows)})")
    print(f"import report (every row checked, chunks queued): {report_seconds:6.1f} s")

    def import_done():
        report = importer.report(job["import_id"])
        return report if report["status"] == "done" else None

    done = thin_path.wait_for(import_done, "the import's end", timeout=1800, interval=1)
    registered_seconds = time.monotonic() - started
    print(f"every accepted row registered (import done):     {registered_seconds:6.1f} s "
          f"({done['counts']['registered']:,} registered)")

    target = before_work_orders + done["counts"]["registered"]
    thin_path.wait_for(lambda: count_work_orders(dynamodb, refurb_table) >= target,
                       "a work order for every registered device", timeout=1800, interval=1)
    work_orders_seconds = time.monotonic() - started
    processors = emulator_cpu.stop()
    print(f"a work order open in refurb for every device:    {work_orders_seconds:6.1f} s")

    time.sleep(5)  # let the last invocations write their closing log line
    invocations = Counter()
    totals, operations = aws_requests_so_far(logs, invocations)
    delta, operations = totals - baseline, operations - baseline_operations
    invocations -= baseline_invocations
    polls = delta.pop("GET polls", 0)
    run = ImportRun(done["counts"]["registered"], registered_seconds, work_orders_seconds, delta, operations,
                    invocations, polls, processors)
    describe(run)
    return run


def describe(run: ImportRun) -> None:
    devices, requests = run.devices, sum(run.requests.values())
    print(f"AWS requests made by the functions: {requests:,} "
          f"({requests / devices:.1f} per device; +{run.polls:,} by the benchmark's GET polls)")
    print("  by function: " + ", ".join(f"{k} {v:,}" for k, v in sorted(run.requests.items())))
    print("  by operation: " + ", ".join(f"{k} {v:,}" for k, v in sorted(run.operations.items())))
    # A consumer gets one message a device: devices / invocations is its mean batch.
    print(f"invocations: {sum(run.invocations.values()):,}: " + ", ".join(
        f"{k} {v:,} ({devices / v:.1f} devices each)" for k, v in sorted(run.invocations.items())))
    print(f"processors from the upload to the last work order: {run.processors.describe()}")
    print(f"pipeline: {run.requests_per_second:.0f} AWS requests/s from the upload to the last work order "
          f"({devices / run.work_orders_seconds:.1f} devices/s)")


def main(rows: int = 3800, probe: bool = False) -> None:
    emulator = Emulator(port=free_port())
    try:
        emulator.start()
        session = session_for(emulator.endpoint)
        deployment = deploy(session)
        base_url = partner_base_url(emulator.endpoint, deployment)
        partners = thin_path.Partners(base_url)
        logs, dynamodb = session.client("logs"), session.client("dynamodb")
        refurb_table = deployment.outputs["RefurbTableName"]
        thin_path.register_donor(partners)
        emulator_cpu = CpuMeter(emulator.process.pid)
        raw_rates, raw_cpu = [], []
        if probe:
            probe_table, probe_queue = create_probe_resources(session)
            emulator_cpu.start()
            raw_rates.append(requests_per_second(session, probe_table, probe_queue))
            raw_cpu.append(emulator_cpu.stop())

        print("first file after the deployment (every function's workers start during it):")
        runs = [import_one_file(partners, base_url, logs, dynamodb, refurb_table, emulator_cpu, rows,
                                run_tag=uuid.uuid4().hex[:2].upper())]
        if probe:
            # A second département's file on the running system: the workers the first one
            # started are warm, as on any working day after the first import.
            print("\nsecond file, the same size (the workers warm):")
            runs.append(import_one_file(partners, base_url, logs, dynamodb, refurb_table, emulator_cpu, rows,
                                        run_tag=uuid.uuid4().hex[:2].upper()))
            emulator_cpu.start()
            raw_rates.append(requests_per_second(session, probe_table, probe_queue))
            raw_cpu.append(emulator_cpu.stop())
            print("\nprocessors during the raw capacity probes (its 8 clients included): "
                  + "; ".join(use.describe() for use in raw_cpu))
            raw_rate = statistics.mean(raw_rates)
            print(f"raw capacity (put, get, send, receive; 8 clients): "
                  + " and ".join(f"{r:.0f}" for r in raw_rates) + " requests/s, before the first file and after the second")
            for name, run in zip(("first file (workers starting)", "second file (workers warm)"), runs):
                print(f"pipeline / raw capacity, {name}: {run.requests_per_second / raw_rate:.0%}  (goal >= 50 %)")
    finally:
        emulator.stop()


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="?", type=int, default=3800)
    parser.add_argument("--probe", action="store_true", help="measure the raw capacity beside the pipeline")
    arguments = parser.parse_args()
    main(arguments.rows, arguments.probe)
