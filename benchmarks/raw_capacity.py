"""The emulator's raw request capacity: how many plain AWS requests a second it serves.

The reference the pipeline's throughput is compared with (`benchmarks/intake_import.py
--probe`): `clients` threads, each with its own boto3 clients, repeat for `seconds` the four
requests a pipeline is made of — a `PutItem` and a `GetItem` on a table of their own, a
`SendMessage` and a `ReceiveMessage` (and the `DeleteMessage` of what it received) on a queue
of their own. Nothing else runs meanwhile.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

PROBE = "capacity-probe"


def create_probe_resources(session) -> tuple[str, str]:
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    table = f"{PROBE}-{uuid.uuid4().hex[:6]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    queue_url = sqs.create_queue(QueueName=table)["QueueUrl"]
    return table, queue_url


def requests_per_second(session, table: str, queue_url: str, *, clients: int = 8, seconds: float = 10.0) -> float:
    """Requests the emulator answered a second, every client looping over the four requests."""
    start = threading.Barrier(clients)
    deadline_box: list[float] = []

    def client(n: int) -> int:
        dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
        start.wait()
        if n == 0:
            deadline_box.append(time.monotonic() + seconds)
        while not deadline_box:
            time.sleep(0.001)
        done, i = 0, 0
        while time.monotonic() < deadline_box[0]:
            key = {"pk": {"S": f"probe-{n}-{i}"}}
            dynamodb.put_item(TableName=table, Item={**key, "body": {"S": "x" * 400}})
            dynamodb.get_item(TableName=table, Key=key)
            sqs.send_message(QueueUrl=queue_url, MessageBody="x" * 400)
            received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
            done += 4
            for message in received:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
            i += 1
        return done

    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(client, range(clients)))
    return total / (time.monotonic() - (deadline_box[0] - seconds))
