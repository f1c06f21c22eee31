"""Local cloud figures: start-up, redeploy after a code change, and the thin path.

    .venv/bin/python -m benchmarks.local_cloud [devices]

Starts its own emulator on a free port (nothing else needs to run), deploys the system,
touches a source file and redeploys, then drives `devices` devices (default 3) one after
the other through the thin path. AWS requests are counted inside the functions by a
botocore hook (shared/observability.py) and read back from the functions' CloudWatch logs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from devtools import thin_path
from devtools.localcloud.__main__ import partner_base_url, session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port
from devtools.localcloud.paths import ROOT


def aws_requests_so_far(logs, invocations: Counter | None = None) -> tuple[Counter, Counter]:
    """AWS requests logged by every function so far, by function and by operation (and, into
    `invocations` if given, each function's invocations: one closing line each).

    GET invocations are the benchmark's own polling while it waits for asynchronous
    steps; they are counted apart, under "GET polls", so the path's cost stays exact.
    """
    by_function, by_operation = Counter(), Counter()
    groups = [g["logGroupName"] for page in logs.get_paginator("describe_log_groups").paginate()
              for g in page["logGroups"] if g["logGroupName"].startswith("/aws/lambda/seconde-vie-")]
    for group in groups:
        function = group.rsplit("/", 1)[-1].removeprefix("seconde-vie-").rsplit("-", 1)[0]
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            for event in page["events"]:
                if '"aws_requests"' not in event["message"]:
                    continue
                line = json.loads(event["message"])
                if line.get("trigger", "").startswith("GET "):
                    by_function["GET polls"] += line["aws_requests"]
                    continue
                by_function[function] += line["aws_requests"]
                if invocations is not None:
                    invocations[function] += 1
                by_operation.update(line["aws_operations"])
    return by_function, by_operation


def main(devices: int = 3) -> None:
    emulator = Emulator(port=free_port())
    try:
        started = time.monotonic()
        emulator.start()
        emulator_seconds = time.monotonic() - started
        session = session_for(emulator.endpoint)
        first = deploy(session)
        print(f"emulator answering:             {emulator_seconds:5.1f} s")
        print(f"first deploy (stack complete):  {first.seconds:5.1f} s")
        print(f"system ready after start:       {time.monotonic() - started:5.1f} s")

        source = ROOT / "services" / "intake" / "intake" / "handlers" / "api.py"
        original = source.read_text()
        try:
            source.write_text(original + "\n# benchmark edit\n")
            redeploy = deploy(session)
        finally:
            source.write_text(original)
        print(f"redeploy after a code change:   {redeploy.seconds:5.1f} s (changed: {redeploy.changed})")
        deploy(session)  # back to the committed code

        partners = thin_path.Partners(partner_base_url(emulator.endpoint, first))
        logs = session.client("logs")
        previous_invocations = Counter()
        previous, _ = aws_requests_so_far(logs, previous_invocations)
        for n in range(1, devices + 1):
            run = thin_path.run(partners)
            time.sleep(2)  # let the last invocations write their closing log line
            invocations = Counter()
            totals, operations = aws_requests_so_far(logs, invocations)
            delta, invoked = totals - previous, invocations - previous_invocations
            previous, previous_invocations = totals, invocations
            polls = delta.pop("GET polls", 0)
            print(f"\ndevice {n}: thin path {run.seconds['timeline complete']:.2f} s end to end; "
                  f"{sum(delta.values())} AWS requests made by the functions (+{polls} by GET polls while waiting)")
            print("  steps (s from start): " + ", ".join(f"{k} {v}" for k, v in run.seconds.items()))
            print("  by function: " + ", ".join(f"{k} {v}" for k, v in sorted(delta.items())))
            print(f"  invocations ({sum(invoked.values())}): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(invoked.items())))
        print("\nall devices, by operation: " + ", ".join(f"{k} {v}" for k, v in sorted(operations.items())))
    finally:
        emulator.stop()


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
