"""The capacity units the cost model prices are DynamoDB's own figures, read from its replies:
an index's writes and an update's stored size are billed though no request carries them."""

from __future__ import annotations

import uuid

from shared.capacity import capacity_units
from shared.observability import counted
from tests.localcloud.cloud import LocalCloud


def test_writes_count_each_index_copy_and_the_stored_size_of_an_update(local_cloud: LocalCloud):
    dynamodb = counted(local_cloud.client("dynamodb"))
    table = f"capacity-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "queue", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_queue", "KeySchema": [{"AttributeName": "queue", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    history = {"S": "x" * 1500}  # an item between 1 and 2 KB
    try:
        capacity_units.clear()
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "ORDER#1"}, "queue": {"S": "open"}, "history": history})
        assert capacity_units["write"] == 4  # 2 on the table, 2 on the index that projects it all

        capacity_units.clear()
        dynamodb.update_item(TableName=table, Key={"pk": {"S": "ORDER#1"}}, UpdateExpression="SET #q = :closed",
                             ExpressionAttributeNames={"#q": "queue"}, ExpressionAttributeValues={":closed": {"S": "closed"}})
        # the request carries a few bytes; the stored item is 1.5 KB, and its index entry moves (a delete and a put)
        assert capacity_units["write"] == 6

        capacity_units.clear()
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "OUTBOX#1"}}}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "ORDER#1"}}, "UpdateExpression": "SET #q = :open",
                        "ExpressionAttributeNames": {"#q": "queue"}, "ExpressionAttributeValues": {":open": {"S": "open"}}}}])
        assert capacity_units["write"] == 2 * (1 + 2) + 4  # a transaction counts twice on the table

        capacity_units.clear()
        dynamodb.get_item(TableName=table, Key={"pk": {"S": "ORDER#1"}})
        dynamodb.get_item(TableName=table, Key={"pk": {"S": "ORDER#1"}}, ConsistentRead=True)
        assert capacity_units == {"read": 1.5}
    finally:
        dynamodb.delete_table(TableName=table)
