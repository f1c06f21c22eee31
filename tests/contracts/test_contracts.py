"""Every event contract: what a publisher sends is what its consumers accept, and the
exported JSON Schemas describe the same thing."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import jsonschema
import pytest
from samtranslator.yaml_helper import yaml_parse

from devtools.localcloud.paths import ROOT, TEMPLATE
from shared.events import EventEnvelope, all_contracts, open_envelope
from shared.events.schema import event_schemas
from shared.publisher import to_entry
from tests.contracts.examples import EXAMPLES

CONSUMERS = {"Intake": "intake", "Refurb": "refurb", "Allocation": "allocation", "Sales": "sales"}
PERSONAL_FIELDS = {"name", "first_name", "last_name", "address", "email", "phone", "birth_date", "beneficiary_ref"}


def as_delivered_to_a_queue(entry: dict) -> dict:
    """What an EventBridge rule puts in an SQS queue for a PutEvents entry."""
    return {
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": entry["DetailType"],
        "source": entry["Source"], "account": "000000000000", "time": "2026-11-28T09:30:00Z",
        "region": "eu-west-3", "resources": entry["Resources"], "detail": json.loads(entry["Detail"]),
    }


def test_every_contract_has_an_example():
    assert {type(e) for e in EXAMPLES} == set(all_contracts())


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.EVENT_TYPE)
def test_what_the_publisher_sends_the_consumer_reads_back_unchanged(event):
    envelope = event.to_envelope(correlation_id="flow-1", causation_id="cause-1")
    delivered = json.loads(json.dumps(as_delivered_to_a_queue(to_entry(envelope, "bus"))))
    read = EventEnvelope.model_validate(delivered["detail"])
    assert read == envelope
    assert open_envelope(read) == event
    assert delivered["source"] == read.source == event.source()
    assert delivered["detail-type"] == event.EVENT_TYPE


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.EVENT_TYPE)
def test_the_json_schema_accepts_the_example_and_rejects_a_missing_field(event):
    schema = event_schemas()[f"{event.EVENT_TYPE}.v{event.SCHEMA_VERSION}"]
    payload = event.to_envelope().payload
    jsonschema.validate(payload, schema)
    without_device = {k: v for k, v in payload.items() if k != "device_id"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(without_device, schema)
    # and the model reads back what the schema accepted
    assert type(event).model_validate(json.loads(json.dumps(payload))) == event


def test_the_envelope_schema_accepts_a_real_envelope():
    envelope = EXAMPLES[0].to_envelope()
    jsonschema.validate(json.loads(envelope.model_dump_json()), event_schemas()["EventEnvelope"])


def test_the_published_schemas_in_docs_are_up_to_date():
    published = {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
                 for p in (ROOT / "docs" / "events").glob("*.schema.json")}
    assert published == json.loads(json.dumps(event_schemas())), "run `make schemas` and commit docs/events"


def _property_names(schema) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= _property_names(value)
    return names


def test_no_contract_carries_a_beneficiary_personal_field():
    for contract in all_contracts():
        fields = _property_names(contract.model_json_schema())
        assert "device_id" in fields
        assert not PERSONAL_FIELDS & fields, f"{contract.EVENT_TYPE} carries {PERSONAL_FIELDS & fields}"


@pytest.mark.parametrize("service", CONSUMERS)
def test_each_queue_receives_exactly_the_event_types_its_consumer_handles(service, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    consumer = importlib.import_module(f"{CONSUMERS[service]}.handlers.consumer").consumer
    rule = yaml_parse(TEMPLATE.read_text())["Resources"][f"{service}EventsRule"]["Properties"]
    assert sorted(rule["EventPattern"]["detail-type"]) == consumer.event_types
    expected_sources = sorted({c.source() for c in consumer.handlers})
    assert sorted(rule["EventPattern"]["source"]) == expected_sources
