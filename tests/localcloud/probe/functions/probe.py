"""Probe handlers: each records in the observations table what the cloud delivered to it.

Plain boto3, no third-party dependencies: what is probed is the emulator, not the project's code.
Observation keys: pk = "<kind>#<what was observed>", sk = a detail of one observation.
"""

from __future__ import annotations

import json
import os
import time

import boto3

observations = boto3.resource("dynamodb").Table(os.environ["OBSERVATIONS_TABLE"])


def queue_consumer(event, context):
    """Counts each delivery of each message; reports the bodies starting with "fail" as failed."""
    bodies = [record["body"] for record in event["Records"]]
    # one item per invocation: which messages shared a batch
    observations.put_item(Item={"pk": "sqs-invocation", "sk": context.aws_request_id, "bodies": bodies,
                                "recorded_at": str(time.time())})
    failures = []
    for record in event["Records"]:
        observations.update_item(
            Key={"pk": f"sqs#{record['body']}", "sk": "deliveries"},
            UpdateExpression="ADD deliveries :one, receive_counts :count",
            ExpressionAttributeValues={":one": 1, ":count": {record["attributes"]["ApproximateReceiveCount"]}},
        )
        if record["body"].startswith("fail"):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def stream_consumer(event, context):
    """Records each INSERT seen on the source table's stream, under the inserted item's key."""
    for record in event["Records"]:
        if record["eventName"] != "INSERT":
            continue
        keys = record["dynamodb"]["Keys"]
        new_image = record["dynamodb"].get("NewImage", {})
        observations.put_item(Item={
            "pk": f"stream#{keys['pk']['S']}", "sk": keys["sk"]["S"],
            "event_name": record["eventName"],
            "event_source": record.get("eventSource", ""),
            "new_image": json.dumps(new_image, sort_keys=True),
        })


class PoisonRecord(Exception):
    """Raised for a batch holding an item whose pk starts with "fail": the whole batch fails."""


def publisher(event, context):
    """Like an outbox publisher that cannot publish some records: counts each attempt at each
    record (with its sequence number), then fails the batch if it holds a "fail…" item, else
    records every item of the batch as published."""
    keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]]
    # one item per invocation: which records shared a batch
    observations.put_item(Item={"pk": "publisher-invocation", "sk": context.aws_request_id, "keys": keys,
                                "recorded_at": str(time.time())})
    for key, record in zip(keys, event["Records"]):
        observations.update_item(
            Key={"pk": f"publisher#{key}", "sk": "attempts"},
            UpdateExpression="ADD attempts :one SET sequence_number = :seq",
            ExpressionAttributeValues={":one": 1, ":seq": record["dynamodb"]["SequenceNumber"]},
        )
    poisoned = [key for key in keys if key.startswith("fail")]
    if poisoned:
        raise PoisonRecord(f"cannot publish {poisoned}")
    for key in keys:
        observations.put_item(Item={"pk": f"publisher#{key}", "sk": "published", "recorded_at": str(time.time())})


def http_echo(event, context):
    """Returns what API Gateway delivered: the payload's version, routeKey, rawPath and pathParameters."""
    body = {key: event.get(key) for key in ("version", "routeKey", "rawPath", "pathParameters")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def scheduled(event, context):
    """Records each firing of the schedule."""
    observations.put_item(Item={
        "pk": "schedule", "sk": f"{time.time():.3f}#{context.aws_request_id}",
        "recorded_at": str(time.time()),
        "source": event.get("source", ""), "detail_type": event.get("detail-type", ""),
    })
