"""Builders for what AWS hands our Lambdas (HTTP API, SQS, DynamoDB stream) and sample events.

The shapes are the real ones, so the tests go through the same Powertools parsing as in
production: API Gateway HTTP API payload v2.0, SQS records whose body is an EventBridge
event with our envelope as `detail`, DynamoDB stream records with a typed `NewImage`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from samtranslator.yaml_helper import yaml_parse

from devtools.localcloud.paths import TEMPLATE

from shared.events import DomainEvent, EventEnvelope
from shared.events.allocation import BeneficiaryErased, DeviceReserved, ReservationReleased
from shared.events.intake import DeviceReceived, DeviceRejected
from shared.events.refurb import (
    DeviceReady,
    DeviceScrapped,
    DriveErasure,
    ErasureCertified,
    WarrantyRepairCompleted,
    WorkOrderAssigned,
)
from shared.events.sales import DeviceHandedOver, DeviceSold, SaleCancelled, WarrantyClaimOpened
from shared.events.vocabulary import DeviceSpecs, FunctionalSummary, Provenance
from shared.packed import unpack

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE_NAME = "unit-service-table"
EVENT_BUS_NAME = "unit-bus"
KEYS_TABLE = "unit-partner-keys"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# --- Lambda context ---------------------------------------------------------------------------

@dataclass
class LambdaContext:
    function_name: str = "unit-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:unit-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# --- DynamoDB ---------------------------------------------------------------------------------

def create_table(client, name: str = TABLE_NAME) -> str:
    """A service table with the keys and indexes every service uses (gsi1, and allocation's gsi2),
    projecting every attribute: for the shared plumbing's tests. Each service's own tests use its
    table exactly as template.yaml declares it (`create_declared_table`, in their conftest)."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gsi1pk", "AttributeType": "S"},
            {"AttributeName": "gsi1sk", "AttributeType": "S"},
            {"AttributeName": "gsi2pk", "AttributeType": "S"},
            {"AttributeName": "gsi2sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi1",
            "KeySchema": [
                {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }, {
            "IndexName": "gsi2",
            "KeySchema": [
                {"AttributeName": "gsi2pk", "KeyType": "HASH"},
                {"AttributeName": "gsi2sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return name


def create_declared_table(client, resource: str, name: str = TABLE_NAME) -> str:
    """A table exactly as template.yaml declares `resource` (keys, indexes and their projections)."""
    declared = yaml_parse(TEMPLATE.read_text())["Resources"][resource]["Properties"]
    client.create_table(TableName=name, **{k: declared[k] for k in
                                           ("BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")})
    if "StreamSpecification" in declared:
        client.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, **declared["StreamSpecification"]})
    return name


def create_keys_table(client, name: str = KEYS_TABLE) -> str:
    """The gateway's key table exactly as template.yaml declares it."""
    return create_declared_table(client, "PartnerKeysTable", name)


# --- Cognito (people's accounts) ---------------------------------------------------------------

@dataclass
class PeoplePool:
    """The people's user pool, its app client, and a login as the portal does it."""

    client: Any
    pool_id: str
    client_id: str

    def login(self, email: str, password: str) -> dict[str, Any]:
        """`InitiateAuth` USER_PASSWORD_AUTH: tokens, or a challenge (NEW_PASSWORD_REQUIRED)."""
        return self.client.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": email, "PASSWORD": password})

    def choose_password(self, email: str, challenge: dict[str, Any], password: str) -> dict[str, Any]:
        return self.client.respond_to_auth_challenge(
            ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": password})["AuthenticationResult"]

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self.client.initiate_auth(ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                         AuthParameters={"REFRESH_TOKEN": refresh_token})


def create_people_pool(region: str = REGION) -> PeoplePool:
    """The people's pool exactly as template.yaml declares it (login, password policy, attributes,
    one group per role) and its app client's login flows."""
    import boto3

    resources = yaml_parse(TEMPLATE.read_text())["Resources"]
    declared = resources["PeoplePool"]["Properties"]
    client = boto3.client("cognito-idp", region_name=region)
    pool_id = client.create_user_pool(
        PoolName="unit-people", **{k: declared[k] for k in ("UsernameAttributes", "Policies", "Schema",
                                                            "AdminCreateUserConfig")},
    )["UserPool"]["Id"]
    for resource in resources.values():
        if resource["Type"] == "AWS::Cognito::UserPoolGroup":
            client.create_group(UserPoolId=pool_id, GroupName=resource["Properties"]["GroupName"])
    portal = resources["PeoplePoolClient"]["Properties"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="unit-portal", GenerateSecret=False,
        ExplicitAuthFlows=portal["ExplicitAuthFlows"],
    )["UserPoolClient"]["ClientId"]
    return PeoplePool(client, pool_id, client_id)


def all_items(client, table: str = TABLE_NAME) -> list[dict[str, Any]]:
    """Every item, its compressed part (shared/packed.py) opened: what a check of what is stored reads."""
    items, kwargs = [], {"TableName": table, "ConsistentRead": True}
    while True:
        response = client.scan(**kwargs)
        items.extend(unpack({k: _deserializer.deserialize(v) for k, v in i.items()}) for i in response["Items"])
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def items_with_prefix(client, prefix: str, table: str = TABLE_NAME) -> list[dict[str, Any]]:
    return [i for i in all_items(client, table) if i["pk"].startswith(prefix)]


def outbox_envelopes_in(client, event_type: str | None = None, table: str = TABLE_NAME) -> list[EventEnvelope]:
    """The envelopes stored in the table's outbox, optionally of one type."""
    return [
        EventEnvelope.model_validate_json(i["envelope"])
        for i in items_with_prefix(client, "OUTBOX#", table)
        if event_type is None or i["event_type"] == event_type
    ]


# --- API Gateway HTTP API (payload v2.0) ------------------------------------------------------

ROLE_PARTNERS = {
    "donor": "donor-departement-35",
    "warehouse": "warehouse-rennes",
    "workshop": "workshop-rennes",
    "referrer": "referrer-france-travail-35",
    "point_of_sale": "pos-rennes-centre",
    "admin": "admin-seconde-vie",
}


def http_event(method: str, path: str, role: str | None = None, body: Any = None, *,
               partner_id: str | None = None, territory: str = "35",
               headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    """An HTTP API v2.0 request as the `ANY /<service>/{proxy+}` route delivers it (headers lower-cased)."""
    service, _, proxy = path.lstrip("/").partition("/")
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": "unitapi",
        "domainName": "unitapi.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "unitapi",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10",
                 "userAgent": "pytest"},
        "requestId": str(uuid.uuid4()),
        "routeKey": f"ANY /{service}/{{proxy+}}",
        "stage": "$default",
        "time": "28/Nov/2026:09:30:00 +0000",
        "timeEpoch": 1795771800000,
    }
    if role is not None:
        request_context["authorizer"] = {"lambda": {
            "partner_id": partner_id or ROLE_PARTNERS.get(role, f"partner-{role}"),
            "role": role,
            "territory": territory,
        }}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"ANY /{service}/{{proxy+}}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", "host": "unitapi.execute-api.us-east-1.amazonaws.com",
                    **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": request_context,
        "pathParameters": {"proxy": proxy},
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


@dataclass
class HttpResult:
    status: int
    body: Any

    @property
    def text(self) -> str:
        return json.dumps(self.body)


def call(handler, method: str, path: str, role: str | None = None, body: Any = None, **kwargs) -> HttpResult:
    response = handler(http_event(method, path, role, body, **kwargs), LambdaContext())
    raw = response.get("body")
    return HttpResult(response["statusCode"], json.loads(raw) if raw else None)


# --- SQS batch of EventBridge events ----------------------------------------------------------

def bus_event(detail: Any, *, detail_type: str = "DeviceReceived", source: str = "seconde-vie.intake") -> dict:
    """What an EventBridge rule delivers to an SQS target: the bus event, envelope as `detail`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": "2026-11-28T09:30:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def sqs_record(envelope: EventEnvelope | dict, message_id: str | None = None) -> dict[str, Any]:
    if isinstance(envelope, EventEnvelope):
        detail = json.loads(envelope.model_dump_json())
        body = bus_event(detail, detail_type=envelope.event_type, source=envelope.source)
    else:
        body = bus_event(envelope)
    text = json.dumps(body)
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795771800000",
            "SenderId": "AIDAEVENTBRIDGE",
            "ApproximateFirstReceiveTimestamp": "1795771800001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:unit-queue",
        "awsRegion": REGION,
    }


def sqs_batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def deliver(handler, *envelopes: EventEnvelope) -> dict[str, Any]:
    """Deliver envelopes to a consumer Lambda as one SQS batch; returns its batch response."""
    return handler(sqs_batch(*(sqs_record(e) for e in envelopes)), LambdaContext())


# --- DynamoDB stream --------------------------------------------------------------------------

def stream_record(new_image: dict[str, Any] | None, event_name: str = "INSERT", seq: int = 1) -> dict[str, Any]:
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1795771800,
        "SequenceNumber": str(100000000000000000000 + seq),
        "SizeBytes": 512,
        "StreamViewType": "NEW_IMAGE",
    }
    if new_image is not None:
        typed = {k: _serializer.serialize(v) for k, v in new_image.items()}
        dynamodb["Keys"] = {"pk": typed["pk"], "sk": typed["sk"]}
        dynamodb["NewImage"] = typed
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": dynamodb,
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE_NAME}/stream/2026-11-28T00:00:00.000",
    }


def outbox_image(envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "pk": f"OUTBOX#{envelope.event_id}",
        "sk": "OUTBOX",
        "event_type": envelope.event_type,
        "envelope": envelope.model_dump_json(),
        "expires_at": Decimal(1796376600),
    }


# --- Sample events ----------------------------------------------------------------------------

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)

SPECS = DeviceSpecs(cpu_model="i5-8250U", ram_gb=8, drives=[{"kind": "nvme", "size_gb": 256}])
TWO_DRIVE_SPECS = DeviceSpecs(ram_gb=16, drives=[{"kind": "ssd", "size_gb": 512}, {"kind": "hdd", "size_gb": 1000}])
PROVENANCE = Provenance(donor_type="public_body", territory="35")


def erasure(passed: bool = True, level: str = "purge", technique: str = "nvme_sanitize",
            drive_serial: str | None = "NV-001") -> DriveErasure:
    return DriveErasure(drive_serial=drive_serial, level=level, technique=technique, tool="nvme-cli 2.8",
                        operator="tech-07", passed=passed, completed_at=T0)


def device_received(device_id: str | None = None, **overrides: Any) -> DeviceReceived:
    fields = dict(
        device_id=device_id or str(uuid.uuid4()), lot_id="lot-1", donor_id="donor-departement-35",
        provenance=PROVENANCE, label_code="SV-ABCD-EFGH", serial_number="5CG1234567", make="HP",
        model="EliteBook 840 G5", device_type="laptop", asset_tag="CD35-2019-0412", specs=SPECS,
    )
    return DeviceReceived(**(fields | overrides))


def device_ready(device_id: str | None = None, grade: str = "A", **overrides: Any) -> DeviceReady:
    fields = dict(
        device_id=device_id or str(uuid.uuid4()), grade=grade, device_type="laptop", specs=SPECS,
        provenance=PROVENANCE, workshop_id="workshop-rennes", erasure_certificate_id="cert-1",
        functional=FunctionalSummary(battery_health_pct=85, webcam=True, keyboard_layout="fr-azerty"),
    )
    return DeviceReady(**(fields | overrides))


def device_reserved(device_id: str | None = None, *, reservation_id: str | None = None, grade: str = "A",
                    device_type: str = "laptop", territory: str = "35") -> DeviceReserved:
    return DeviceReserved(
        device_id=device_id or str(uuid.uuid4()), reservation_id=reservation_id or str(uuid.uuid4()),
        referral_id=str(uuid.uuid4()), beneficiary_category="job_seeker", grade=grade,
        device_type=device_type, expires_at=T0 + timedelta(days=14), territory=territory,
    )


def device_sold(device_id: str, reservation_id: str) -> DeviceSold:
    return DeviceSold(device_id=device_id, sale_id=str(uuid.uuid4()), reservation_id=reservation_id,
                      point_of_sale_id="pos-rennes-centre", receipt_number="pos-rennes-centre-2026-000001",
                      price_eur=Decimal("105.00"))


def sample_events(device_id: str = "dev-1") -> dict[type[DomainEvent], DomainEvent]:
    """One valid instance of every event contract."""
    samples: list[DomainEvent] = [
        device_received(device_id),
        DeviceRejected(device_id=device_id, lot_id="lot-1", reason="physical_damage"),
        ErasureCertified(device_id=device_id, certificate_id="cert-1", certificate_sha256="a" * 64,
                         drives=[erasure()]),
        device_ready(device_id),
        DeviceScrapped(device_id=device_id, reason="motherboard_failure", recycling_channel="ecosystem"),
        WarrantyRepairCompleted(device_id=device_id, claim_ids=["claim-1"], workshop_id="workshop-rennes",
                                cost_eur=Decimal("0.00")),
        device_reserved(device_id),
        ReservationReleased(device_id=device_id, reservation_id="res-1", referral_id="ref-1", reason="expired"),
        BeneficiaryErased(device_id=device_id, reservation_id="res-1", referral_id="ref-1"),
        device_sold(device_id, "res-1"),
        SaleCancelled(device_id=device_id, sale_id="sale-1", reservation_id="res-1", refund_eur=Decimal("105.00")),
        DeviceHandedOver(device_id=device_id, sale_id="sale-1", point_of_sale_id="pos-rennes-centre"),
        WarrantyClaimOpened(device_id=device_id, claim_id="claim-1", claim_reference="pos-rennes-centre-2026-000001-W1",
                            sale_id="sale-1", fault_category="battery"),
        WorkOrderAssigned(device_id=device_id, workshop_id="workshop-rennes"),
    ]
    return {type(s): s for s in samples}
