"""p95 of three partners' reads under 20 and 50 concurrent clients, beside the platform's floor.

    .venv/bin/python -m benchmarks.read_latency [rounds] [--requests N]   # default 3 rounds, 10 requests a client

Starts its own emulator on a free port, deploys the system and drives one device through the
thin path, so that there is a timeline (intake), a work order (refurb) and a referral
(allocation) to read. It then puts a no-op function behind the same HTTP API (`GET
/bench/floor`, no authorizer): one invocation that does nothing, the least a request costs on
this platform. Each round, for each read, the read's function and the floor are first brought
to 50 running containers (the emulator starts one per concurrent invocation, slowly: ten more
at a time), then measured one after the other at 20 and 50 concurrent clients, each client
sending `--requests` requests in sequence with a partner key (the authorizer's decision cached,
`PartnerKeyCacheSeconds`). Beside them, the emulator's raw `GetItem` of the device's item at the
same concurrency, through boto3. Prints each p95 and its ratio to the floor measured next to it.
"""

from __future__ import annotations

import argparse
import io
import statistics
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import requests
from samtranslator.yaml_helper import yaml_parse

from devtools import thin_path
from devtools.localcloud.__main__ import partner_base_url, session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port
from devtools.localcloud.paths import TEMPLATE

CONCURRENCIES = (20, 50)
FLOOR_PATH = "/bench/floor"
FLOOR_CODE = 'def handler(event, context):\n    return {"statusCode": 200, "body": "{}"}\n'


@dataclass(frozen=True)
class Read:
    name: str
    path: str
    key: str  # the dev partner whose key reads it


def add_floor(session, api_id: str) -> None:
    """A function that does nothing, behind the system's HTTP API, without authorizer."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("floor.py", FLOOR_CODE)
    function = session.client("lambda").create_function(
        FunctionName="bench-floor", Runtime="python3.12", Handler="floor.handler", MemorySize=256, Timeout=10,
        Role="arn:aws:iam::000000000000:role/bench-floor", Code={"ZipFile": code.getvalue()})
    gateway = session.client("apigatewayv2")
    integration = gateway.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                             IntegrationUri=function["FunctionArn"])
    gateway.create_route(ApiId=api_id, RouteKey=f"GET {FLOOR_PATH}",
                         Target=f"integrations/{integration['IntegrationId']}")


def http_request(base_url: str, read: Read) -> Callable[[requests.Session], None]:
    headers = {"Authorization": f"Bearer dev-{read.key}-key"} if read.key else {}

    def send(http: requests.Session) -> None:
        response = http.get(base_url + read.path, headers=headers, timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"GET {read.path} → {response.status_code}: {response.text[:200]}")

    return send


def latencies(send: Callable[[requests.Session], None], clients: int, requests_each: int,
              make_client: Callable[[], object] = requests.Session) -> list[float]:
    """Every request's seconds: `clients` threads released together, each sending in sequence."""
    start = threading.Barrier(clients)

    def client() -> list[float]:
        http = make_client()
        start.wait()
        seconds = []
        for _ in range(requests_each):
            begun = time.perf_counter()
            send(http)
            seconds.append(time.perf_counter() - begun)
        return seconds

    with ThreadPoolExecutor(clients) as pool:
        return [s for done in [pool.submit(client) for _ in range(clients)] for s in done.result()]


def warm(send: Callable[[requests.Session], None], containers: int, authorizer_cache_seconds: float = 0) -> None:
    """As many containers as concurrent clients: bursts of 10, 20, … at once, one request each.
    Behind the authorizer, one more burst once its cached decision has expired: every request of
    it asks the authorizer, so the authorizer has as many containers too (else the first expiry
    in a measurement starts 50 of them)."""
    for at_once in range(10, containers + 1, 10):
        latencies(send, at_once, 1)
    if authorizer_cache_seconds:
        time.sleep(authorizer_cache_seconds + 1)
        latencies(send, containers, 1)


def p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20)[-1]


def main(rounds: int, requests_each: int) -> None:
    emulator = Emulator(port=free_port())
    try:
        emulator.start()
        session = session_for(emulator.endpoint)
        deployment = deploy(session)
        base_url = partner_base_url(emulator.endpoint, deployment)
        run = thin_path.run(thin_path.Partners(base_url))
        add_floor(session, deployment.outputs["ApiId"])
        floor = http_request(base_url, Read("floor", FLOOR_PATH, ""))
        reads = [
            Read("device timeline (intake)", f"/intake/devices/{run.device_id}/timeline", "admin"),
            Read("work order (refurb)", f"/refurb/work-orders/{run.device_id}", "workshop"),
            Read("referral (allocation)", f"/allocation/referrals/{run.referral_id}", "referrer"),
        ]
        table, key = deployment.outputs["IntakeTableName"], {"pk": {"S": f"DEVICE#{run.device_id}"},
                                                              "sk": {"S": "DEVICE"}}

        def get_item(dynamodb) -> None:
            dynamodb.get_item(TableName=table, Key=key)

        def dynamodb_client():
            return session_for(emulator.endpoint).client("dynamodb")

        authorizer_cache_seconds = float(yaml_parse(TEMPLATE.read_text())["Parameters"]["PartnerKeyCacheSeconds"]["Default"])
        print(f"{rounds} rounds, {requests_each} requests a client; p95 in ms (ratio to the floor measured beside it)")
        worst: dict[tuple[str, int], float] = {}
        for n in range(1, rounds + 1):
            for read in reads:
                send = http_request(base_url, read)
                warm(floor, max(CONCURRENCIES))
                warm(send, max(CONCURRENCIES), authorizer_cache_seconds)
                for clients in CONCURRENCIES:
                    floor_p95 = p95(latencies(floor, clients, requests_each))
                    read_p95 = p95(latencies(send, clients, requests_each))
                    raw_p95 = p95(latencies(get_item, clients, requests_each, dynamodb_client))
                    ratio = read_p95 / floor_p95
                    worst[(read.name, clients)] = max(worst.get((read.name, clients), 0.0), ratio)
                    print(f"round {n}  {read.name:<26} {clients:>2} clients: floor {floor_p95 * 1000:6.0f}  "
                          f"read {read_p95 * 1000:6.0f} ({ratio:.2f}x)  raw GetItem {raw_p95 * 1000:5.0f} "
                          f"(floor {floor_p95 / raw_p95:.1f}x it)", flush=True)
        print("\nworst round, read p95 / floor p95:")
        for (name, clients), ratio in worst.items():
            print(f"  {name:<26} {clients:>2} clients: {ratio:.2f}x  (goal <= 1.3x at 50)")
    finally:
        emulator.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("--requests", type=int, default=10, help="requests each client sends in sequence")
    arguments = parser.parse_args()
    main(arguments.rounds, arguments.requests)
