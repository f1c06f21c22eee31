"""An item's unqueried parts are stored compressed and read back exactly as they were."""

from __future__ import annotations

import boto3
from moto import mock_aws

from shared.capacity import item_size
from shared.dynamo import deserialize, serialize
from shared.packed import PACKED, pack, unpack

REPORT = {"history": [{"what": step, "at": f"2026-12-0{n}T10:00:00+00:00", "by": "workshop-rennes"}
                      for n, step in enumerate(["opened", "diagnosis", "erasure", "repair", "grade"], 1)],
          "grade": {"grade": "B", "points": 71.5, "fired": [{"rule": "battery below 80 %", "points": -10}]}}


def test_a_packed_item_keeps_its_keys_plain_and_comes_back_whole_through_the_table():
    item = {"pk": "WORKORDER#dev-1", "sk": "WORKORDER", "status": "ready", **REPORT}
    packed = pack(item, ["history", "grade", "scrap"])
    assert set(packed) == {"pk", "sk", "status", PACKED}
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-3")
        dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "sk", "KeyType": "RANGE"}])
        dynamodb.put_item(TableName="t", Item=serialize(packed))
        stored = deserialize(dynamodb.get_item(TableName="t", Key=serialize({"pk": item["pk"], "sk": item["sk"]}))["Item"])
        # A stored item read and written again (a copy, a migration) keeps its packed part.
        dynamodb.put_item(TableName="t", Item=serialize({**stored, "pk": "WORKORDER#dev-2"}))
        copied = deserialize(dynamodb.get_item(TableName="t", Key=serialize({"pk": "WORKORDER#dev-2", "sk": item["sk"]}))["Item"])
    assert unpack(stored) == item
    assert unpack(copied) == {**item, "pk": "WORKORDER#dev-2"}


def test_packing_makes_a_repetitive_report_smaller_and_an_item_stored_before_reads_as_it_is():
    item = {"pk": "p", "sk": "s", **REPORT}
    assert item_size(serialize(pack(item, REPORT))) < item_size(serialize(item)) / 2
    assert unpack(item) == item
    assert pack({"pk": "p"}, ["history"]) == {"pk": "p"}  # nothing to pack: no empty attribute
