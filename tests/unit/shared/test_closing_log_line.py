"""Each invocation ends with one JSON line that the cost model reads: the AWS requests the
handler made, by operation, and how long it ran (what Lambda bills by)."""

from __future__ import annotations

import io
import json
import logging
import time

import boto3
import pytest
from moto import mock_aws

from shared.observability import counted, entry_point, logger
from tests.unit.support import LambdaContext


@pytest.fixture
def closing_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()
                   if '"invocation finished"' in line]
    logger.removeHandler(handler)


@mock_aws
def test_the_closing_line_counts_the_requests_and_the_time_of_this_invocation_only(closing_lines, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    sqs = counted(boto3.client("sqs"))
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]

    def slow_sender(event, context):
        sqs.send_message(QueueUrl=queue, MessageBody="{}")
        sqs.send_message(QueueUrl=queue, MessageBody="{}")
        time.sleep(0.06)

    entry_point(slow_sender)({}, LambdaContext())
    entry_point(lambda event, context: None)({}, LambdaContext())

    first, second = closing_lines()
    assert first["aws_requests"] == 2
    assert first["aws_operations"] == {"sqs.SendMessage": 2}
    assert first["duration_ms"] >= 60  # it slept 60 ms: the duration covers the handler
    assert second["aws_requests"] == 0 and second["aws_operations"] == {}  # counted again from zero


@mock_aws
def test_the_closing_line_counts_dynamodb_capacity_units_as_on_demand_tables_bill_them(closing_lines, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    dynamodb = counted(boto3.client("dynamodb"))
    dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    small = {"pk": {"S": "DEVICE#1"}, "state": {"S": "received"}}
    large = {"pk": {"S": "DEVICE#2"}, "history": {"S": "x" * 1500}}  # between 1 and 2 KB

    def writes(event, context):
        dynamodb.put_item(TableName="t", Item=small)  # 1
        dynamodb.put_item(TableName="t", Item=large)  # 2: a unit per started KB
        dynamodb.transact_write_items(TransactItems=[  # 2 x (1 + 1): a transaction counts twice
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "OUTBOX#1"}}}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "DEVICE#1"}}, "UpdateExpression": "SET #s = :s",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":s": {"S": "ready"}}}}])

    def reads(event, context):
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "DEVICE#1"}})  # 0.5: eventually consistent
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "DEVICE#2"}}, ConsistentRead=True)  # 1

    entry_point(writes)({}, LambdaContext())
    entry_point(reads)({}, LambdaContext())

    written, read = closing_lines()
    assert written["dynamodb_units"] == {"read": 0, "write": 7}
    assert read["dynamodb_units"] == {"read": 1.5, "write": 0}
