"""What one device's whole lifecycle costs on AWS, priced from what it really uses locally.

    .venv/bin/python -m benchmarks.cost_model [devices]

Starts its own emulator, deploys the system, drives one device through the thin path to warm
the functions, then `devices` more (default 5). Every function's closing log line
(shared/observability.py) gives, per invocation, the AWS requests by operation, the DynamoDB
capacity units (shared/capacity.py) and the duration; the function's memory comes from its
deployed configuration. The script adds what AWS does on the system's behalf and the
functions cannot see (the HTTP API request, the queue's receive and delete around each
consumer invocation, each event's delivery) and prices everything at the list prices below.

Reads (GET) are the benchmark's own polling while it waits: they are counted apart and
priced as one extra read request, so that a reader can add as many as the staff make.

Fixed monthly costs that do not grow with devices (the queue pollers' empty long polls, the
people's pool) are printed apart and not spread over devices.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from devtools import thin_path
from devtools.localcloud.__main__ import partner_base_url, session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port
from shared.capacity import item_size

# Public list prices, eu-west-3 (Paris), on-demand, in USD, as published on each service's
# pricing page (aws.amazon.com/<service>/pricing) and written here on 2026-12-02; DynamoDB's are
# those after the on-demand reduction of 14 November 2024. Free tiers are left out on purpose.
PRICES_DATE = "2026-12-02"
USD_PER_EUR = 1.05  # a rate above the recent ones would lower the bill: this one is on the dear side
PRICES_USD = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,  # x86_64, as the template deploys
    "http_api_request": 1.11 / 1e6,  # first 300 million a month
    "dynamodb_write_unit": 0.7423 / 1e6,
    "dynamodb_read_unit": 0.1485 / 1e6,
    "dynamodb_gb_month": 0.2975,
    "sqs_request": 0.40 / 1e6,  # standard queue, each 64 KB counts as one request
    "eventbridge_event": 1.00 / 1e6,  # custom event published
    "s3_put": 0.0053 / 1000,
    "s3_get": 0.00042 / 1000,
    "logs_ingested_gb": 0.53,
    "logs_stored_gb_month": 0.0318,
    "xray_trace_recorded": 5.00 / 1e6,
    "cognito_mau": 0.0055,  # Essentials tier, above the free 10,000 monthly active users
}

# The device's data is kept this long before the retention jobs purge it (docs/security.md).
STORAGE_MONTHS = 12
# CloudWatch counts 26 bytes per log event beside its message; Lambda adds START, END and
# REPORT lines to each invocation (about 320 bytes with their overhead).
LOG_EVENT_OVERHEAD, PLATFORM_LINES_BYTES = 26, 320
# Lambda's SQS pollers long-poll each queue with five connections, one receive per 20 s when idle.
SQS_IDLE_RECEIVES_PER_MONTH = 5 * 3 * 60 * 24 * 30


@dataclass
class Invocation:
    function: str
    trigger: str
    aws_operations: dict[str, int]
    read_units: float
    write_units: float
    duration_ms: float
    log_bytes: int = 0
    events_published: int = 0


@dataclass
class Usage:
    """What a number of devices used, summed."""

    invocations: Counter = field(default_factory=Counter)
    gb_seconds: float = 0.0
    http_requests: int = 0
    operations: Counter = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    consumer_batches: int = 0
    log_bytes: int = 0
    events_published: int = 0

    def add(self, invocation: Invocation, memory_mb: int) -> None:
        self.invocations[invocation.function] += 1
        self.gb_seconds += memory_mb / 1024 * math.ceil(invocation.duration_ms) / 1000
        self.operations.update(invocation.aws_operations)
        self.read_units += invocation.read_units
        self.write_units += invocation.write_units
        self.log_bytes += invocation.log_bytes + PLATFORM_LINES_BYTES
        self.events_published += invocation.events_published
        if invocation.trigger.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE", "GET") \
                and "Authorizer" not in invocation.function:
            self.http_requests += 1
        if invocation.trigger.startswith("sqs "):
            self.consumer_batches += 1


def function_name(log_group: str) -> str:
    return log_group.rsplit("/", 1)[-1].removeprefix("seconde-vie-").rsplit("-", 1)[0]


def invocations_since(logs, since_ms: int) -> list[Invocation]:
    """Every invocation that closed since `since_ms`, with the bytes its lines wrote."""
    found: list[Invocation] = []
    groups = [g["logGroupName"] for page in logs.get_paginator("describe_log_groups").paginate()
              for g in page["logGroups"] if g["logGroupName"].startswith("/aws/lambda/seconde-vie-")]
    for group in groups:
        bytes_by_request, published_by_request = Counter(), Counter()
        closing: list[tuple[str, dict]] = []
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=since_ms):
            for event in page["events"]:
                message = event["message"]
                try:
                    line = json.loads(message)
                except ValueError:
                    continue
                request_id = line.get("function_request_id", "")
                bytes_by_request[request_id] += len(message.encode()) + LOG_EVENT_OVERHEAD
                if line.get("message") == "published":  # a publisher's line: the events it put
                    published_by_request[request_id] += line.get("count", 0)
                if "aws_requests" in line:
                    closing.append((request_id, line))
        for request_id, line in closing:
            units = line.get("dynamodb_units", {})
            found.append(Invocation(function_name(group), line.get("trigger", ""), line["aws_operations"],
                                    units.get("read", 0), units.get("write", 0), line.get("duration_ms", 0.0),
                                    bytes_by_request[request_id], published_by_request[request_id]))
    return found


SECONDS_PER_MONTH = 30 * 24 * 3600


def months_kept(item: dict, now: float) -> float:
    """How long an item is billed: until its TTL (`expires_at`, the outbox lines and idempotency
    records: days) or, for the rest, the retention period."""
    expires_at = item.get("expires_at", {}).get("N")
    if expires_at is None:
        return STORAGE_MONTHS
    return min(STORAGE_MONTHS, max(0.0, (float(expires_at) - now) / SECONDS_PER_MONTH))


def stored_byte_months_of_tables(dynamodb) -> tuple[int, float, Counter, float]:
    """Bytes the system's tables hold (each item's size plus DynamoDB's 100 bytes of index, and
    the same again for each global secondary index's copy, as projected), the byte-months they
    bill for, each item over the time it is kept (an index copy without `expires_at`: 12 months),
    those byte-months by table and kind of item (`<table> <pk prefix>`, `<table> <index>`), and the
    item-months (each item or index copy over the time it is kept, whatever its size)."""
    now, total, byte_months, by_kind, item_months = time.time(), 0, 0.0, Counter(), 0.0
    for table in dynamodb.list_tables()["TableNames"]:
        indexes = dynamodb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        for index in [None, *(i["IndexName"] for i in indexes)]:
            scan = {"TableName": table, **({"IndexName": index} if index else {})}
            for page in dynamodb.get_paginator("scan").paginate(**scan):
                for item in page["Items"]:
                    size = item_size(item) + 100
                    total += size
                    byte_months += size * months_kept(item, now)
                    if "PartnerKeys" not in table:  # a lower bound: the keys do not grow with devices
                        item_months += months_kept(item, now)
                    kind = index or item.get("pk", {}).get("S", "keys").split("#")[0]
                    by_kind[f"{table} {kind}"] += size * months_kept(item, now)
    return total, byte_months, by_kind, item_months


def is_poll(invocation: Invocation) -> bool:
    return invocation.trigger.startswith("GET ")


def cost_usd(usage: Usage, devices: int, stored_byte_months_per_device: float = 0.0) -> dict[str, float]:
    """Each line of the bill for `devices` devices."""
    ops, p = usage.operations, PRICES_USD
    sqs_by_functions = sum(n for op, n in ops.items() if op.startswith("sqs."))
    # Around each consumer invocation Lambda's poller made one receive that returned the batch
    # and one batch delete; the delivery of each event into its queue is EventBridge's (free).
    sqs_requests = sqs_by_functions + 2 * usage.consumer_batches
    return {
        "Lambda requests": sum(usage.invocations.values()) * p["lambda_request"],
        "Lambda GB-seconds": usage.gb_seconds * p["lambda_gb_second"],
        "HTTP API requests": usage.http_requests * p["http_api_request"],
        "DynamoDB writes": usage.write_units * p["dynamodb_write_unit"],
        "DynamoDB reads": usage.read_units * p["dynamodb_read_unit"],
        "DynamoDB storage": devices * stored_byte_months_per_device / 1024**3 * p["dynamodb_gb_month"],
        "SQS requests": sqs_requests * p["sqs_request"],
        "EventBridge events": usage.events_published * p["eventbridge_event"],
        "S3 requests": sum(n for op, n in ops.items() if op.startswith("s3.Put")) * p["s3_put"]
        + sum(n for op, n in ops.items() if op.startswith("s3.Get")) * p["s3_get"],
        "CloudWatch logs": usage.log_bytes / 1024**3 * (p["logs_ingested_gb"] + p["logs_stored_gb_month"]),
        "X-Ray (tracing off: TracingMode PassThrough)": 0.0,
    }


def floor_usd(usage: Usage, devices: int, item_months_per_device: float) -> dict[str, float]:
    """The least the same requests could bill, however the items were shaped: every item under
    1 KB and without an index copy (a write 1 unit, a transaction's item 2 and a transaction at
    least 2 items, since one alone is sent as a single write), every read eventually consistent,
    no log line of the functions' own (only Lambda's START, END and REPORT), each item kept stored
    as its 100 bytes of DynamoDB's overhead alone, for as long as it is kept today. What
    the path does (its HTTP requests, invocations, queue batches, events) is kept as measured."""
    ops, least = usage.operations, Usage()
    least.invocations, least.gb_seconds = usage.invocations, usage.gb_seconds
    least.http_requests, least.consumer_batches = usage.http_requests, usage.consumer_batches
    least.events_published, least.operations = usage.events_published, ops
    least.write_units = (4 * ops["dynamodb.TransactWriteItems"] + ops["dynamodb.PutItem"]
                         + ops["dynamodb.UpdateItem"] + ops["dynamodb.DeleteItem"])
    least.read_units = 0.5 * (ops["dynamodb.GetItem"] + ops["dynamodb.Query"])
    least.log_bytes = sum(usage.invocations.values()) * PLATFORM_LINES_BYTES
    return cost_usd(least, devices, 100 * item_months_per_device)


def main(devices: int = 5) -> None:
    emulator = Emulator(port=free_port())
    try:
        emulator.start()
        session = session_for(emulator.endpoint)
        deployment = deploy(session)
        partners = thin_path.Partners(partner_base_url(emulator.endpoint, deployment))
        lambda_client, logs = session.client("lambda"), session.client("logs")
        memory = {function_name("/" + f["FunctionName"]): f["MemorySize"]
                  for page in lambda_client.get_paginator("list_functions").paginate()
                  for f in page["Functions"]}

        queues = sum(1 for page in lambda_client.get_paginator("list_event_source_mappings").paginate()
                     for mapping in page["EventSourceMappings"] if ":sqs:" in mapping["EventSourceArn"])
        thin_path.run(partners)  # warm: the bill is for a running system, not its first containers
        time.sleep(2)
        since_ms = int(time.time() * 1000)
        for n in range(devices):
            thin_path.run(partners)
            print(f"device {n + 1} of {devices} through the thin path", flush=True)
        time.sleep(3)  # the last invocations write their closing lines
        measured = invocations_since(logs, since_ms)
        stored_bytes, stored_byte_months, stored_by_kind, item_months = stored_byte_months_of_tables(session.client("dynamodb"))
    finally:
        emulator.stop()

    lifecycle, reads = Usage(), Usage()
    for invocation in measured:
        (reads if is_poll(invocation) else lifecycle).add(invocation, memory.get(invocation.function, 256))
    polls = reads.http_requests or 1

    # Everything the tables hold, over every device run (the warm one too): an upper bound,
    # since partner keys and the like are in it.
    stored_per_device = stored_bytes / (devices + 1)
    bill = cost_usd(lifecycle, devices, stored_byte_months / (devices + 1))
    per_10k_eur = {line: usd / devices * 10_000 / USD_PER_EUR for line, usd in bill.items()}
    read_eur = sum(cost_usd(reads, 0).values()) / polls * 10_000 / USD_PER_EUR

    print(f"\nper device (mean of {devices}, warm):")
    print(f"  invocations {sum(lifecycle.invocations.values()) / devices:.1f}: "
          + ", ".join(f"{k} {v / devices:.1f}" for k, v in sorted(lifecycle.invocations.items())))
    print(f"  HTTP API requests {lifecycle.http_requests / devices:.1f}; GB-seconds {lifecycle.gb_seconds / devices:.3f}; "
          f"AWS requests by the functions {sum(lifecycle.operations.values()) / devices:.1f}")
    print(f"  DynamoDB units: write {lifecycle.write_units / devices:.1f}, read {lifecycle.read_units / devices:.1f}; "
          f"consumer batches {lifecycle.consumer_batches / devices:.1f}; events published "
          f"{lifecycle.events_published / devices:.1f}; log bytes {lifecycle.log_bytes / devices:.0f}; "
          f"bytes stored {stored_per_device:.0f}, billed as {STORAGE_MONTHS} months of "
          f"{stored_byte_months / (devices + 1) / STORAGE_MONTHS:.0f}")
    print("  storage per device, by table and kind of item (bytes billed as kept 12 months):")
    for kind, kept in stored_by_kind.most_common(12):
        print(f"    {kind:<60} {kept / (devices + 1) / STORAGE_MONTHS:8.0f}")
    by_function: dict[str, Counter] = defaultdict(Counter)
    for invocation in measured:
        if not is_poll(invocation):
            by_function[invocation.function]["write units"] += invocation.write_units
            by_function[invocation.function].update(invocation.aws_operations)
    print("  per function, per device (write units; requests by operation):")
    for function, counted in sorted(by_function.items(), key=lambda kv: -kv[1]["write units"]):
        operations = ", ".join(f"{op} {n / devices:.1f}" for op, n in sorted(counted.items()) if op != "write units")
        print(f"    {function:<28} {counted['write units'] / devices:6.1f}  {operations}")
    print(f"\nbill per 10,000 devices, EUR (prices of {PRICES_DATE}, eu-west-3, 1 EUR = {USD_PER_EUR} USD):")
    for line, eur in per_10k_eur.items():
        print(f"  {line:<46} {eur:8.4f}")
    total = sum(per_10k_eur.values())
    print(f"  {'total':<46} {total:8.4f}  ({total:.2f} EUR per 10,000 devices; goal < 1)")
    compute = per_10k_eur["Lambda GB-seconds"]
    if total < 1 and compute:
        print(f"  headroom: the functions could run {((1 - total) + compute) / compute:.1f}x "
              f"as long as measured here before 10,000 devices cost 1 EUR")
    else:
        print(f"  over the goal by {total - 1:.2f} EUR: even functions that took no time would leave "
              f"{total - compute:.2f} EUR")
    floor_eur = {line: usd / devices * 10_000 / USD_PER_EUR for line, usd in floor_usd(lifecycle, devices, item_months / (devices + 1)).items()}
    print(f"\nthe least the same path could bill (same requests; items under 1 KB, no index copy, "
          f"no log line of the functions' own, each item stored as its 100 bytes of overhead): {sum(floor_eur.values()):.4f} EUR per 10,000 devices")
    print("  " + ", ".join(f"{line} {eur:.4f}" for line, eur in floor_eur.items() if eur))
    print(f"\neach further read (a GET, with its authorizer share): {read_eur:.4f} EUR per 10,000 reads "
          f"({polls} measured)")
    fixed_usd = {
        f"queue pollers' idle receives ({queues} queues)": queues * SQS_IDLE_RECEIVES_PER_MONTH * PRICES_USD["sqs_request"],
    }
    print("fixed each month whatever the devices: " + ", ".join(
        f"{k} {v / USD_PER_EUR:.2f} EUR" for k, v in fixed_usd.items())
        + f"; people's pool {PRICES_USD['cognito_mau'] / USD_PER_EUR:.4f} EUR per monthly active person "
          f"above 10,000")


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
