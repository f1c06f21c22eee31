"""Stream publisher: every outbox insert reaches the bus; refused entries are re-sent, exactly those."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from shared import publisher
from shared.publisher import PUT_EVENTS_MAX_ENTRIES, PublishFailed, outbox_envelopes, put_events, to_entry
from tests.unit.support import (
    EVENT_BUS_NAME,
    LambdaContext,
    device_ready,
    device_received,
    outbox_image,
    stream_record,
)


class FakeBus:
    """Records every PutEvents call; refuses chosen entries (by DetailType) a given number of times."""

    def __init__(self, refuse: dict[str, int] | None = None):
        self.refuse = dict(refuse or {})
        self.calls: list[list[dict]] = []

    def put_events(self, Entries):
        self.calls.append(list(Entries))
        results = []
        for entry in Entries:
            key = entry["DetailType"]
            if self.refuse.get(key, 0) > 0:
                self.refuse[key] -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                results.append({"EventId": f"id-{key}"})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}


def _entries(count: int) -> list[dict]:
    return [{"Source": "seconde-vie.intake", "DetailType": f"E{n}", "Detail": "{}", "EventBusName": "bus"}
            for n in range(count)]


def _no_sleep(seconds: float) -> None:
    pass


def test_entries_are_sent_at_most_ten_per_call_in_order():
    bus = FakeBus()
    entries = _entries(23)
    put_events(entries, bus, sleep=_no_sleep)
    assert [len(c) for c in bus.calls] == [10, 10, 3]
    assert all(len(c) <= PUT_EVENTS_MAX_ENTRIES for c in bus.calls)
    assert [e for call in bus.calls for e in call] == entries


def test_exactly_the_refused_entries_are_re_sent():
    bus = FakeBus(refuse={"E2": 1, "E5": 1})
    entries = _entries(7)
    put_events(entries, bus, sleep=_no_sleep)
    assert bus.calls[0] == entries
    assert bus.calls[1] == [entries[2], entries[5]]
    assert len(bus.calls) == 2


def test_an_entry_refused_twice_is_re_sent_until_accepted():
    bus = FakeBus(refuse={"E1": 2})
    entries = _entries(3)
    put_events(entries, bus, sleep=_no_sleep)
    assert bus.calls == [entries, [entries[1]], [entries[1]]]


def test_re_sends_of_one_chunk_do_not_resend_other_chunks():
    bus = FakeBus(refuse={"E12": 1})
    entries = _entries(15)
    put_events(entries, bus, sleep=_no_sleep)
    assert bus.calls == [entries[:10], entries[10:], [entries[12]]]


def test_entries_that_keep_being_refused_fail_the_invocation():
    bus = FakeBus(refuse={"E4": 99})
    sleeps: list[float] = []
    with pytest.raises(PublishFailed, match="E4"):
        put_events(_entries(6), bus, sleep=sleeps.append)
    # the first send and three re-sends, each re-send of the refused entry only
    assert len(bus.calls) == 4
    assert all(call == [_entries(6)[4]] for call in bus.calls[1:])
    assert len(sleeps) == 3


def test_to_entry_puts_the_envelope_on_our_bus_as_detail():
    envelope = device_received("dev-1").to_envelope()
    entry = to_entry(envelope, "the-bus")
    assert entry["Source"] == "seconde-vie.intake"
    assert entry["DetailType"] == "DeviceReceived"
    assert entry["EventBusName"] == "the-bus"
    assert entry["Resources"] == ["device/dev-1"]
    assert json.loads(entry["Detail"]) == json.loads(envelope.model_dump_json())


def _stream(*records: dict) -> list:
    return list(DynamoDBStreamEvent({"Records": list(records)}).records)


def test_only_inserted_outbox_items_are_published_in_stream_order():
    first, second = device_received("dev-1").to_envelope(), device_ready("dev-1").to_envelope()
    records = _stream(
        stream_record({"pk": "DEVICE#dev-1", "sk": "DEVICE", "status": "received"}, seq=1),
        stream_record(outbox_image(first), seq=2),
        stream_record(outbox_image(device_received("dev-2").to_envelope()), event_name="MODIFY", seq=3),
        stream_record(outbox_image(device_received("dev-3").to_envelope()), event_name="REMOVE", seq=4),
        stream_record(outbox_image(second), seq=5),
    )
    assert outbox_envelopes(records) == [first, second]


def test_an_outbox_item_holding_an_invalid_event_is_not_published():
    envelope = device_received("dev-1").to_envelope()
    image = outbox_image(envelope) | {"envelope": envelope.model_copy(update={"subject": "dev-2"}).model_dump_json()}
    with pytest.raises(ValueError, match="subject"):
        outbox_envelopes(_stream(stream_record(image)))


def test_the_handler_puts_nothing_when_the_batch_has_no_outbox_insert(monkeypatch):
    bus = FakeBus()
    monkeypatch.setattr(publisher, "events_client", lambda: bus)
    publisher.handler({"Records": [
        stream_record({"pk": "LOT#1", "sk": "LOT", "status": "declared"}),
        stream_record(outbox_image(device_received("dev-1").to_envelope()), event_name="REMOVE"),
    ]}, LambdaContext())
    assert bus.calls == []


def test_the_handler_puts_outbox_events_on_the_bus_named_in_its_environment(monkeypatch):
    bus = FakeBus()
    monkeypatch.setattr(publisher, "events_client", lambda: bus)
    envelopes = [device_received(f"dev-{n}").to_envelope() for n in range(12)]
    publisher.handler({"Records": [stream_record(outbox_image(e), seq=n) for n, e in enumerate(envelopes)]},
                      LambdaContext())
    sent = [entry for call in bus.calls for entry in call]
    assert [len(c) for c in bus.calls] == [10, 2]
    assert [json.loads(e["Detail"])["event_id"] for e in sent] == [e.event_id for e in envelopes]
    assert {e["EventBusName"] for e in sent} == {EVENT_BUS_NAME}


class SpyClient:
    """The real (moto) EventBridge client, with every PutEvents request and response kept."""

    def __init__(self, client):
        self.client = client
        self.exchanges: list[tuple[list[dict], dict]] = []

    def put_events(self, Entries):
        response = self.client.put_events(Entries=Entries)
        self.exchanges.append((list(Entries), response))
        return response


def test_the_handler_puts_outbox_events_on_a_real_bus(aws, events, monkeypatch):
    events.create_event_bus(Name=EVENT_BUS_NAME)
    spy = SpyClient(publisher.events_client())  # created inside the mock
    monkeypatch.setattr(publisher, "events_client", lambda: spy)

    envelopes = [device_received("dev-1").to_envelope(), device_ready("dev-1").to_envelope()]
    publisher.handler({"Records": [stream_record(outbox_image(e), seq=n) for n, e in enumerate(envelopes)]},
                      LambdaContext())

    assert len(spy.exchanges) == 1
    sent, response = spy.exchanges[0]
    assert response["FailedEntryCount"] == 0
    assert all(result.get("EventId") for result in response["Entries"])
    assert [(e["Source"], e["DetailType"], e["EventBusName"]) for e in sent] == [
        ("seconde-vie.intake", "DeviceReceived", EVENT_BUS_NAME),
        ("seconde-vie.refurb", "DeviceReady", EVENT_BUS_NAME),
    ]
    assert [json.loads(e["Detail"]) for e in sent] == [json.loads(e.model_dump_json()) for e in envelopes]
