"""The transactional outbox: a state change and its events are stored together, or neither."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shared.dynamo import TableReader
from shared.outbox import ConcurrencyConflict, UnitOfWork
from tests.unit.support import all_items, device_received, outbox_envelopes_in


def _device(version_note: str = "first") -> dict:
    return {"pk": "DEVICE#dev-1", "sk": "DEVICE", "status": "received", "note": version_note}


def test_a_state_change_and_its_event_are_written_together(table, dynamodb):
    envelope = device_received("dev-1").to_envelope()
    work = UnitOfWork(table)
    work.create(_device(), "device dev-1 already exists")
    work.publish(envelope)
    work.commit()

    stored = TableReader(table).get("DEVICE#dev-1", "DEVICE")
    assert stored["status"] == "received"
    assert stored["version"] == 1

    outbox = TableReader(table).get(f"OUTBOX#{envelope.event_id}", "OUTBOX")
    assert outbox["event_type"] == "DeviceReceived"
    assert json.loads(outbox["envelope"]) == json.loads(envelope.model_dump_json())
    assert outbox["expires_at"] > 0  # the outbox line is cleaned up by the table's TTL
    assert outbox_envelopes_in(dynamodb) == [envelope]


def test_save_from_the_current_version_replaces_the_item_and_bumps_its_version(table):
    first = UnitOfWork(table)
    first.create(_device(), "exists")
    first.commit()

    second = UnitOfWork(table)
    second.save(_device("second"), read_version=1, conflict_message="changed meanwhile")
    second.commit()

    stored = TableReader(table).get("DEVICE#dev-1", "DEVICE")
    assert (stored["note"], stored["version"]) == ("second", 2)


def test_a_stale_save_conflicts_and_writes_neither_the_item_nor_the_event(table, dynamodb):
    first = UnitOfWork(table)
    first.create(_device(), "exists")
    first.commit()
    before = all_items(dynamodb)

    stale = UnitOfWork(table)
    stale.save(_device("stale"), read_version=0, conflict_message="device dev-1 changed meanwhile: reload")
    stale.publish(device_received("dev-1").to_envelope())
    with pytest.raises(ConcurrencyConflict, match="device dev-1 changed meanwhile: reload"):
        stale.commit()

    assert all_items(dynamodb) == before
    assert outbox_envelopes_in(dynamodb) == []


def test_only_the_failed_writes_are_named_in_the_conflict(table):
    first = UnitOfWork(table)
    first.create(_device(), "exists")
    first.commit()

    work = UnitOfWork(table)
    work.create({"pk": "LABEL#SV-1", "sk": "LABEL"}, "label SV-1 already used")
    work.save(_device("stale"), read_version=7, conflict_message="device dev-1 changed meanwhile")
    with pytest.raises(ConcurrencyConflict) as raised:
        work.commit()
    assert str(raised.value) == "device dev-1 changed meanwhile"


def test_a_refused_write_that_asked_for_it_brings_the_item_as_stored(table):
    first = UnitOfWork(table)
    first.create(_device("stored"), "exists")
    first.commit()

    stale = UnitOfWork(table)
    stale.save(_device("stale"), read_version=7, conflict_message="changed", current_on_conflict=True)
    with pytest.raises(ConcurrencyConflict) as raised:
        stale.commit()
    assert (raised.value.current["note"], raised.value.current["version"]) == ("stored", 1)

    without = UnitOfWork(table)
    without.save(_device("stale"), read_version=7, conflict_message="changed")
    with pytest.raises(ConcurrencyConflict) as raised:
        without.commit()
    assert raised.value.current is None


def test_create_on_an_existing_key_conflicts_and_writes_nothing(table, dynamodb):
    first = UnitOfWork(table)
    first.create(_device(), "device dev-1 already exists")
    first.commit()

    again = UnitOfWork(table)
    again.create(_device("duplicate"), "device dev-1 already exists")
    again.publish(device_received("dev-1").to_envelope())
    with pytest.raises(ConcurrencyConflict, match="device dev-1 already exists"):
        again.commit()

    stored = TableReader(table).get("DEVICE#dev-1", "DEVICE")
    assert (stored["note"], stored["version"]) == ("first", 1)
    assert outbox_envelopes_in(dynamodb) == []


def test_an_invalid_event_is_refused_before_anything_is_written(table, dynamodb):
    envelope = device_received("dev-1").to_envelope()
    broken = envelope.model_copy(update={"payload": {**envelope.payload, "specs": {"ram_gb": 8, "drives": []}}})

    work = UnitOfWork(table)
    work.create(_device(), "exists")
    with pytest.raises(ValidationError, match="drives"):
        work.publish(broken)

    assert work.events == []
    assert all_items(dynamodb) == []


def test_an_event_about_another_device_than_its_subject_is_refused(table, dynamodb):
    envelope = device_received("dev-1").to_envelope()
    work = UnitOfWork(table)
    with pytest.raises(ValueError, match="subject"):
        work.publish(envelope.model_copy(update={"subject": "dev-9"}))
    assert all_items(dynamodb) == []


def test_the_same_event_cannot_enter_the_outbox_twice(table, dynamodb):
    envelope = device_received("dev-1").to_envelope()
    first = UnitOfWork(table)
    first.publish(envelope)
    first.commit()

    again = UnitOfWork(table)
    again.put({"pk": "HISTORY#1", "sk": "LINE"})
    again.publish(envelope)
    with pytest.raises(ConcurrencyConflict, match=f"event {envelope.event_id} already in the outbox"):
        again.commit()
    assert [i["pk"] for i in all_items(dynamodb)] == [f"OUTBOX#{envelope.event_id}"]


def test_a_commit_with_nothing_to_write_does_not_call_dynamodb():
    class NoCalls:
        def transact_write_items(self, **kwargs):
            raise AssertionError("nothing to write, nothing should be sent")

    UnitOfWork("any-table", client=NoCalls()).commit()


def test_an_operation_too_large_for_one_transaction_is_refused_without_writing(table, dynamodb):
    work = UnitOfWork(table)
    for n in range(101):
        work.put({"pk": f"LINE#{n}", "sk": "LINE"})
    with pytest.raises(ValueError, match="101 writes"):
        work.commit()
    assert all_items(dynamodb) == []


def test_one_write_without_an_event_is_sent_alone_not_as_a_transaction(table, dynamodb):
    """A transaction bills twice the capacity units: one conditional write is atomic by itself."""
    sent: list[str] = []

    class Recording:
        def __getattr__(self, name):
            sent.append(name)
            return getattr(dynamodb, name)

    first = UnitOfWork(table, client=Recording())
    first.create(_device(), "exists")
    first.commit()
    stale = UnitOfWork(table, client=Recording())
    stale.save(_device("stale"), read_version=7, conflict_message="device dev-1 changed meanwhile")
    with pytest.raises(ConcurrencyConflict, match="device dev-1 changed meanwhile"):
        stale.commit()
    with_event = UnitOfWork(table, client=Recording())
    with_event.save(_device("second"), read_version=1, conflict_message="changed")
    with_event.publish(device_received("dev-1").to_envelope())
    with_event.commit()

    assert sent == ["put_item", "put_item", "transact_write_items"]
    assert TableReader(table).get("DEVICE#dev-1", "DEVICE")["note"] == "second"
