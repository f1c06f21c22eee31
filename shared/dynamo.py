"""Small helpers around a service's own DynamoDB table (single-table: `pk`, `sk`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any

import boto3
from boto3.dynamodb.conditions import ConditionExpressionBuilder, Key
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from shared.observability import counted

BATCH_GET_MAX_KEYS = 100  # keys DynamoDB reads in one BatchGetItem
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@lru_cache(maxsize=None)
def dynamodb_client():
    # Created once per process: AWS_ENDPOINT_URL (set by the local cloud) is honoured by boto3.
    return counted(boto3.client("dynamodb"))


def _storable(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    if value is None or isinstance(value, (str, int, Decimal, bool, bytes, Binary, set)):
        return value
    return str(value)  # dates, enums: stored as their text


def plain_to_item(value: dict[str, Any]) -> dict[str, Any]:
    """JSON-like values to what DynamoDB stores (floats become Decimals, top-level None is dropped)."""
    return {k: _storable(v) for k, v in value.items() if v is not None}


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in plain_to_item(item).items()}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimals: give back the ints (and floats) that were stored.
    Amounts of money are stored as strings, so no precision is lost here."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def deserialize(image: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in image.items()}


class TableReader:
    """Reads of one table; writes go through `shared.outbox.UnitOfWork`."""

    def __init__(self, table_name: str, client=None):
        self.table_name = table_name
        self._client = client

    @property
    def client(self):
        return self._client or dynamodb_client()

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=serialize({"pk": pk, "sk": sk}), ConsistentRead=consistent
        )
        item = response.get("Item")
        return deserialize(item) if item else None

    def get_many(self, keys: list[tuple[str, str]], *, consistent: bool = True) -> list[dict[str, Any]]:
        """The items of these (pk, sk) keys that exist, in the keys' order: a `BatchGetItem` per
        hundred keys, and what DynamoDB leaves unread (under throttling) asked again, later."""
        from shared.retry import backoff_delay  # shared.retry imports the outbox, which imports this module

        found: dict[tuple[str, str], dict[str, Any]] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), BATCH_GET_MAX_KEYS):
            request = {self.table_name: {
                "Keys": [serialize({"pk": pk, "sk": sk}) for pk, sk in wanted[start:start + BATCH_GET_MAX_KEYS]],
                "ConsistentRead": consistent,
            }}
            retry = 0
            while request:
                if retry:
                    time.sleep(backoff_delay(retry))
                response = self.client.batch_get_item(RequestItems=request)
                for image in response.get("Responses", {}).get(self.table_name, []):
                    item = deserialize(image)
                    found[(item["pk"], item["sk"])] = item
                request = response.get("UnprocessedKeys") or None
                retry += 1
        return [found[key] for key in wanted if key in found]

    def query(self, pk: str, sk_prefix: str = "", *, index: str | None = None, limit: int | None = None,
              forward: bool = True, sk_between: tuple[str, str] | None = None,
              sk_after: str | None = None) -> list[dict[str, Any]]:
        """Items of one partition, by sort key prefix, between two sort keys (inclusive) or after one."""
        items: list[dict[str, Any]] = []
        for page in self.query_pages(pk, sk_prefix, index=index, limit=limit, forward=forward,
                                     sk_between=sk_between, sk_after=sk_after):
            items.extend(page)
        return items

    def query_pages(self, pk: str, sk_prefix: str = "", *, index: str | None = None, limit: int | None = None,
                    forward: bool = True, sk_between: tuple[str, str] | None = None,
                    sk_after: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """`query`, one page (one request) at a time: a long partition is never held whole.

        `index` names a global secondary index whose keys are `<index>pk` and `<index>sk`."""
        key_names = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        condition = Key(key_names[0]).eq(pk)
        if sk_prefix:
            condition = condition & Key(key_names[1]).begins_with(sk_prefix)
        elif sk_between:
            condition = condition & Key(key_names[1]).between(*sk_between)
        elif sk_after:
            condition = condition & Key(key_names[1]).gt(sk_after)
        # The condition builder comes from the resource API; render it for the client API.
        built = ConditionExpressionBuilder().build_expression(condition, is_key_condition=True)
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": built.condition_expression,
            "ExpressionAttributeNames": built.attribute_name_placeholders,
            "ExpressionAttributeValues": serialize(built.attribute_value_placeholders),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        read = 0
        while True:
            if limit:
                kwargs["Limit"] = limit - read
            response = self.client.query(**kwargs)
            page = [deserialize(i) for i in response.get("Items", [])]
            read += len(page)
            yield page
            if "LastEvaluatedKey" not in response or (limit and read >= limit):
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
