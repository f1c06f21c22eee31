"""Event contracts: what a producer puts in an envelope is what a consumer reads back."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.events import EventEnvelope, UnknownEventType, all_contracts, contract_for, open_envelope
from tests.unit.support import device_received, sample_events

SAMPLES = sample_events("dev-42")


def test_there_is_a_sample_for_every_contract():
    # A new contract without a sample here would escape the round-trip test below.
    assert set(SAMPLES) == set(all_contracts())


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.EVENT_TYPE)
def test_every_contract_round_trips_through_its_envelope(contract):
    event = SAMPLES[contract]
    envelope = event.to_envelope(correlation_id="flow-1", causation_id="cause-1")

    # what travels on the bus is JSON: read it back as a consumer would
    received = EventEnvelope.model_validate_json(envelope.model_dump_json())
    opened = open_envelope(received)

    assert type(opened) is contract
    assert opened == event
    assert received.event_type == contract.EVENT_TYPE
    assert received.schema_version == contract.SCHEMA_VERSION
    assert received.source == f"seconde-vie.{contract.SOURCE_SERVICE}"
    assert received.subject == "dev-42"
    assert (received.correlation_id, received.causation_id) == ("flow-1", "cause-1")


def test_an_event_starts_its_own_flow_when_no_correlation_is_given():
    envelope = device_received("dev-1").to_envelope()
    assert envelope.correlation_id == envelope.event_id
    assert envelope.causation_id is None
    assert envelope.occurred_at.tzinfo is not None


def test_each_envelope_gets_a_new_event_id():
    event = device_received("dev-1")
    assert event.to_envelope().event_id != event.to_envelope().event_id


def test_an_envelope_from_the_wrong_source_is_refused():
    envelope = device_received("dev-1").to_envelope()
    forged = envelope.model_copy(update={"source": "seconde-vie.sales"})
    with pytest.raises(UnknownEventType, match="seconde-vie.intake"):
        open_envelope(forged)


def test_an_envelope_whose_subject_is_not_the_payload_device_is_refused():
    envelope = device_received("dev-1").to_envelope()
    mismatched = envelope.model_copy(update={"subject": "dev-2"})
    with pytest.raises(ValueError, match="dev-2"):
        open_envelope(mismatched)


def test_an_unknown_event_type_is_refused():
    envelope = device_received("dev-1").to_envelope()
    with pytest.raises(UnknownEventType, match="DeviceTeleported"):
        open_envelope(envelope.model_copy(update={"event_type": "DeviceTeleported"}))
    with pytest.raises(UnknownEventType):
        contract_for("DeviceTeleported", 1)


def test_an_unknown_schema_version_is_refused():
    envelope = device_received("dev-1").to_envelope()
    with pytest.raises(UnknownEventType, match="v2"):
        open_envelope(envelope.model_copy(update={"schema_version": 2}))


def test_a_payload_that_breaks_its_contract_is_refused():
    envelope = device_received("dev-1").to_envelope()
    payload = {k: v for k, v in envelope.payload.items() if k != "serial_number"}
    with pytest.raises(ValidationError, match="serial_number"):
        open_envelope(envelope.model_copy(update={"payload": payload}))


def test_a_payload_with_an_undeclared_field_is_refused():
    envelope = device_received("dev-1").to_envelope()
    with pytest.raises(ValidationError, match="beneficiary_ref"):
        open_envelope(envelope.model_copy(update={"payload": {**envelope.payload, "beneficiary_ref": "FT-1"}}))


def test_an_envelope_with_an_invalid_source_format_does_not_validate():
    data = device_received("dev-1").to_envelope().model_dump(mode="json")
    with pytest.raises(ValidationError, match="source"):
        EventEnvelope.model_validate({**data, "source": "intake"})
