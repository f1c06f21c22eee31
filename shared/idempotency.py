"""Powertools Idempotency, stored in the calling service's own table."""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from shared.dynamo import dynamodb_client

# How long a handled event or request key is remembered. EventBridge and SQS duplicates
# arrive within minutes, client retries within hours; a week also covers a dead-letter redrive.
IDEMPOTENCY_WINDOW_SECONDS = 7 * 24 * 3600


def persistence_layer(table_name: str | None = None) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name or os.environ["TABLE_NAME"],
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value="IDEMPOTENCY",
        expiry_attr="expires_at",
        boto3_client=dynamodb_client(),
    )
