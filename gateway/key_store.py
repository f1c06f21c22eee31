"""The partners' API keys, in the gateway's own table (`PartnerKeysTable`), stored hashed.

One item per key, keyed by the SHA-256 of the key (`key_hash`): the authorizer finds a
presented key with one GetItem and no secret is ever stored. A short random `key_id` names
the key for listing and revocation (index `by_key_id`). A revoked key keeps its item, with
`revoked_at` / `revoked_by`, so the table is also the record of who held which key when.

Keys issued here are `sv_` + 32 random bytes (urlsafe base64): with 256 bits of entropy a
plain SHA-256 cannot be reversed by guessing, so no salt or slow hash is needed (a slow hash
would only slow every request down). See docs/services/access.md.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from shared.dynamo import deserialize, dynamodb_client, serialize
from shared.errors import NotFound
from shared.partners import Role

KEY_PREFIX = "sv_"
KEY_ID_INDEX = "by_key_id"
# A presented key longer than this is not one of ours: refused before it is even hashed.
MAX_KEY_LENGTH = 200


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_key_id() -> str:
    return "key_" + secrets.token_hex(6)


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PartnerKey:
    """What is known of a key: never the key itself, and its hash only inside this module."""

    key_id: str
    partner_id: str
    role: Role
    territory: str
    label: str
    issued_at: str
    issued_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def view(self) -> dict[str, Any]:
        """The public description of the key, for listings."""
        return {**asdict(self), "role": self.role.value, "status": "active" if self.active else "revoked"}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PartnerKey:
        return cls(
            key_id=item["key_id"], partner_id=item["partner_id"], role=Role(item["role"]),
            territory=item.get("territory", ""), label=item.get("label", ""), issued_at=item["issued_at"],
            issued_by=item["issued_by"], revoked_at=item.get("revoked_at"), revoked_by=item.get("revoked_by"),
        )


class PartnerKeyStore:
    def __init__(self, table_name: str, client=None):
        self.table_name = table_name
        self._client = client

    @property
    def client(self):
        return self._client or dynamodb_client()

    def find(self, secret: str) -> PartnerKey | None:
        """The key presented by a caller, revoked or not; None if no such key was ever issued."""
        if not secret or len(secret) > MAX_KEY_LENGTH:
            return None
        # Consistent: a revocation is seen by the very next look-up.
        response = self.client.get_item(TableName=self.table_name, Key=serialize({"key_hash": hash_of(secret)}),
                                        ConsistentRead=True)
        item = response.get("Item")
        return PartnerKey.from_item(deserialize(item)) if item else None

    def issue(self, partner_id: str, role: Role, territory: str, *, issued_by: str,
              label: str = "") -> tuple[str, PartnerKey]:
        """A new key for `partner_id`; returns the key itself (to be shown once) and its record."""
        secret = new_secret()
        key = PartnerKey(key_id=new_key_id(), partner_id=partner_id, role=Role(role), territory=territory,
                         label=label, issued_at=_now(), issued_by=issued_by)
        item = {**asdict(key), "role": key.role.value, "key_hash": hash_of(secret)}
        self.client.put_item(TableName=self.table_name, Item=serialize(item),
                             ConditionExpression="attribute_not_exists(key_hash)")
        return secret, key

    def keep(self, secret: str, partner_id: str, role: Role, territory: str, *, issued_by: str,
             label: str = "") -> PartnerKey:
        """Make an existing `secret` an active key with this identity (the local partners, seeded at
        every deploy): written again with the same values it changes nothing, and it keeps its key id
        and issue date; a revoked one becomes active again."""
        response = self.client.update_item(
            TableName=self.table_name,
            Key=serialize({"key_hash": hash_of(secret)}),
            UpdateExpression=("SET partner_id = :partner_id, #role = :role, territory = :territory, label = :label, "
                              "issued_by = :issued_by, key_id = if_not_exists(key_id, :key_id), "
                              "issued_at = if_not_exists(issued_at, :now) REMOVE revoked_at, revoked_by"),
            ExpressionAttributeNames={"#role": "role"},
            ExpressionAttributeValues=serialize({
                ":partner_id": partner_id, ":role": Role(role).value, ":territory": territory, ":label": label,
                ":issued_by": issued_by, ":key_id": new_key_id(), ":now": _now(),
            }),
            ReturnValues="ALL_NEW",
        )
        return PartnerKey.from_item(deserialize(response["Attributes"]))

    def list(self, partner_id: str | None = None) -> list[PartnerKey]:
        """Every key (of one partner), oldest first. A scan: the table holds one small item per
        key, a few hundred at most."""
        kwargs: dict[str, Any] = {"TableName": self.table_name, "ConsistentRead": True}
        if partner_id:
            kwargs |= {"FilterExpression": "partner_id = :partner_id",
                       "ExpressionAttributeValues": serialize({":partner_id": partner_id})}
        keys: list[PartnerKey] = []
        while True:
            response = self.client.scan(**kwargs)
            keys.extend(PartnerKey.from_item(deserialize(i)) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return sorted(keys, key=lambda k: (k.issued_at, k.key_id))
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def revoke(self, key_id: str, *, revoked_by: str) -> PartnerKey:
        """Revoke the key named `key_id` (NotFound if there is none). Revoking it again changes
        nothing: the first revocation's date and author are kept."""
        found = self.client.query(
            TableName=self.table_name, IndexName=KEY_ID_INDEX, KeyConditionExpression="key_id = :key_id",
            ExpressionAttributeValues=serialize({":key_id": key_id}),
        ).get("Items", [])
        if not found:
            raise NotFound(f"no key {key_id}")
        key_hash = deserialize(found[0])["key_hash"]
        try:
            response = self.client.update_item(
                TableName=self.table_name, Key=serialize({"key_hash": key_hash}),
                UpdateExpression="SET revoked_at = :now, revoked_by = :by",
                ConditionExpression="attribute_exists(key_hash) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues=serialize({":now": _now(), ":by": revoked_by}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = self.client.get_item(TableName=self.table_name, Key=serialize({"key_hash": key_hash}),
                                        ConsistentRead=True).get("Item")
            if not item:
                raise NotFound(f"no key {key_id}") from None
            return PartnerKey.from_item(deserialize(item))
        return PartnerKey.from_item(deserialize(response["Attributes"]))
