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
def test_the_closing_line_counts_the_units_dynamodb_reports_and_estimates_those_it_does_not(closing_lines, monkeypatch):
    """DynamoDB's own figures are checked against the emulator in tests/localcloud/test_capacity_units.py;
    here, what a reply without them (a failed conditional write) is counted for."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    dynamodb = counted(boto3.client("dynamodb"))
    dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    small = {"pk": {"S": "DEVICE#1"}, "state": {"S": "received"}}
    large = {"pk": {"S": "DEVICE#1"}, "history": {"S": "x" * 1500}}  # between 1 and 2 KB

    def writes(event, context):
        dynamodb.put_item(TableName="t", Item=small)  # the reply says 1
        try:  # refused: the reply carries no units, the 1.5 KB sent count for 2
            dynamodb.put_item(TableName="t", Item=large, ConditionExpression="attribute_not_exists(pk)")
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass

    def reads(event, context):
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "DEVICE#1"}})  # the reply says 0.5

    entry_point(writes)({}, LambdaContext())
    entry_point(reads)({}, LambdaContext())

    written, read = closing_lines()
    assert written["dynamodb_units"] == {"read": 0, "write": 3}
    assert read["dynamodb_units"] == {"read": 0.5, "write": 0}


def test_each_line_names_its_invocation_but_not_what_the_log_group_already_says(closing_lines):
    context = LambdaContext()
    entry_point(lambda event, context: None)({}, context)
    entry_point(lambda event, context: None)({}, context)

    for line in closing_lines():  # the second invocation too: the context is injected again
        assert line["function_request_id"] == context.aws_request_id
        assert "cold_start" in line
        assert not {"function_name", "function_arn", "function_memory_size"} & line.keys()
