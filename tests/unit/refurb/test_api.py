"""Refurb through its Lambda entry points: the consumer opens work orders, workshops move them on."""

from __future__ import annotations

import pytest

from refurb.adapters.repository import RefurbRepository
from refurb.handlers import api, consumer
from shared.events import open_envelope
from shared.events.refurb import DeviceReady, ErasureCertified
from shared.outbox import ConcurrencyConflict
from tests.unit.support import (
    ROLE_PARTNERS,
    TWO_DRIVE_SPECS,
    all_items,
    call,
    deliver,
    device_received,
    erasure,
    items_with_prefix,
    outbox_envelopes_in,
)

PURGED = {"level": "purge", "technique": "nvme_sanitize", "tool": "nvme-cli 2.8", "operator": "tech-07",
          "passed": True, "completed_at": "2026-11-28T09:30:00Z"}


@pytest.fixture
def device_id(table) -> str:
    received = device_received("dev-1").to_envelope()
    assert deliver(consumer.handler, received)["batchItemFailures"] == []
    return "dev-1"


def workshop(method: str, path: str, body=None, role: str = "workshop"):
    return call(api.handler, method, f"/refurb/work-orders/{path}", role, body)


def test_a_received_device_gets_a_work_order(device_id):
    response = workshop("GET", device_id)
    assert response.status == 200
    assert response.body["status"] == "awaiting_erasure"
    assert response.body["device_type"] == "laptop"
    assert response.body["provenance"] == {"donor_type": "public_body", "territory": "35"}


def test_a_device_received_twice_gets_one_work_order(table, dynamodb):
    received = device_received("dev-1").to_envelope()
    # the same event delivered twice, and then a second event about the same device
    assert deliver(consumer.handler, received, received)["batchItemFailures"] == []
    assert deliver(consumer.handler, device_received("dev-1").to_envelope())["batchItemFailures"] == []

    orders = items_with_prefix(dynamodb, "WORKORDER#")
    assert len(orders) == 1
    assert (orders[0]["device_id"], orders[0]["version"]) == ("dev-1", 1)


def test_a_workshop_takes_a_device_to_ready_and_each_step_announces_itself(device_id, dynamodb):
    erased = workshop("POST", f"{device_id}/erasure", {"drives": [PURGED]})
    assert erased.status == 200, erased.body
    assert erased.body["status"] == "erased"
    assert erased.body["workshop_id"] == ROLE_PARTNERS["workshop"]
    certificate = erased.body["certificate"]

    [certified] = outbox_envelopes_in(dynamodb, "ErasureCertified")
    event = open_envelope(certified)
    assert isinstance(event, ErasureCertified)
    assert (event.certificate_id, event.certificate_sha256) == (certificate["certificate_id"], certificate["sha256"])

    graded = workshop("POST", f"{device_id}/grade", {"grade": "A"})
    assert (graded.status, graded.body["status"], graded.body["grade"]) == (200, "graded", "A")
    assert len(outbox_envelopes_in(dynamodb)) == 1  # grading alone announces nothing

    ready = workshop("POST", f"{device_id}/ready")
    assert (ready.status, ready.body["status"]) == (200, "ready")
    [announced] = outbox_envelopes_in(dynamodb, "DeviceReady")
    event = open_envelope(announced)
    assert isinstance(event, DeviceReady)
    assert (event.device_id, event.grade, event.erasure_certificate_id, event.workshop_id) == (
        device_id, "A", certificate["certificate_id"], ROLE_PARTNERS["workshop"])
    assert workshop("GET", device_id).body["status"] == "ready"


@pytest.mark.parametrize("step, body, expected", [
    ("grade", {"grade": "A"}, "expected erased"),
    ("ready", None, "expected graded"),
])
def test_a_step_out_of_order_is_a_conflict_and_changes_nothing(device_id, dynamodb, step, body, expected):
    before = all_items(dynamodb)
    response = workshop("POST", f"{device_id}/{step}", body)
    assert response.status == 409
    assert expected in response.body["message"]
    assert all_items(dynamodb) == before


def test_a_failed_erasure_is_a_conflict_and_announces_nothing(device_id, dynamodb):
    response = workshop("POST", f"{device_id}/erasure", {"drives": [PURGED | {"passed": False}]})
    assert response.status == 409
    assert "erasure failed" in response.body["message"]
    assert outbox_envelopes_in(dynamodb) == []
    assert workshop("GET", device_id).body["status"] == "awaiting_erasure"


def test_an_erasure_report_missing_a_drive_is_a_conflict(table):
    deliver(consumer.handler, device_received("dev-2", specs=TWO_DRIVE_SPECS).to_envelope())
    response = workshop("POST", "dev-2/erasure", {"drives": [PURGED]})
    assert response.status == 409
    assert "every drive must be erased" in response.body["message"]


def test_a_malformed_erasure_report_names_the_field(device_id):
    response = workshop("POST", f"{device_id}/erasure", {"drives": [{k: v for k, v in PURGED.items() if k != "level"}]})
    assert response.status == 422
    assert "level" in {str(p) for problem in response.body["detail"] for p in problem["loc"]}


def test_an_unknown_device_has_no_work_order(table):
    assert workshop("GET", "nope").status == 404
    assert workshop("POST", "nope/erasure", {"drives": [PURGED]}).status == 404


def test_only_workshops_move_work_orders(device_id, dynamodb):
    before = all_items(dynamodb)
    response = workshop("POST", f"{device_id}/erasure", {"drives": [PURGED]}, role="warehouse")
    assert response.status == 403
    assert all_items(dynamodb) == before


def test_two_workshops_saving_the_same_read_cannot_both_win(device_id, dynamodb):
    repository = RefurbRepository()
    first, second = repository.get(device_id), repository.get(device_id)
    assert (first.version, second.version) == (1, 1)

    first.record_erasure([erasure(technique="nvme_sanitize")], "tech-07")
    second.record_erasure([erasure(technique="cryptographic_erase")], "tech-08")
    repository.save(first, _certified(first))
    with pytest.raises(ConcurrencyConflict, match=f"work order {device_id} changed meanwhile"):
        repository.save(second, _certified(second))

    assert len(outbox_envelopes_in(dynamodb, "ErasureCertified")) == 1
    stored = repository.get(device_id)
    assert (stored.version, stored.certificate, stored.workshop_id) == (2, first.certificate, "tech-07")


def _certified(work_order):
    return ErasureCertified(
        device_id=work_order.device_id, certificate_id=work_order.certificate.certificate_id,
        certificate_sha256=work_order.certificate.sha256, drives=work_order.certificate.drives,
    ).to_envelope()
