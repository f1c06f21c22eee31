"""A partner retrying a POST with the same Idempotency-Key gets the first answer; nothing happens twice."""

from __future__ import annotations

from intake.handlers.api import handler
from tests.unit.intake.conftest import DEPARTEMENT, LOT
from tests.unit.intake.test_api import device
from tests.unit.support import all_items, call, items_with_prefix, outbox_envelopes_in


def post(path: str, role: str, body: dict, key: str | None = None, **kwargs):
    headers = {"Idempotency-Key": key} if key else {}
    return call(handler, "POST", path, role, body, headers=headers, **kwargs)


def test_a_retried_reception_returns_the_first_answer_and_registers_one_device(donor, dynamodb):
    lot_id = post("/intake/lots", "donor", LOT).body["lot_id"]

    first = post(f"/intake/lots/{lot_id}/devices", "warehouse", device(), key="scan-0001")
    retry = post(f"/intake/lots/{lot_id}/devices", "warehouse", device(), key="scan-0001")

    assert (first.status, retry.status) == (201, 201)
    assert retry.body == first.body
    assert len(items_with_prefix(dynamodb, "DEVICE#")) == 1
    assert len(outbox_envelopes_in(dynamodb, "DeviceReceived")) == 1


def test_without_a_key_a_repeated_post_is_a_new_request(donor, dynamodb):
    first, second = post("/intake/lots", "donor", LOT), post("/intake/lots", "donor", LOT)
    assert first.body["lot_id"] != second.body["lot_id"]
    assert len(items_with_prefix(dynamodb, "LOT#")) == 2


def test_a_key_reused_with_another_body_is_refused(donor, dynamodb):
    assert post("/intake/lots", "donor", LOT, key="lot-key").status == 201
    before = all_items(dynamodb)

    reused = post("/intake/lots", "donor", LOT | {"expected_count": 99}, key="lot-key")

    assert reused.status == 422
    assert "Idempotency-Key" in reused.body["message"]
    assert all_items(dynamodb) == before


def test_two_partners_may_use_the_same_key(table, dynamodb):
    for donor_id in ("donor-a", "donor-b"):
        assert post("/intake/donors", "admin", DEPARTEMENT | {"donor_id": donor_id}).status == 201
    mine = post("/intake/lots", "donor", LOT, key="k-1", partner_id="donor-a")
    theirs = post("/intake/lots", "donor", LOT, key="k-1", partner_id="donor-b")
    assert (mine.status, theirs.status) == (201, 201)
    assert (mine.body["donor_id"], theirs.body["donor_id"]) == ("donor-a", "donor-b")
    assert len(items_with_prefix(dynamodb, "LOT#")) == 2


def test_a_refused_request_is_not_remembered_under_its_key(donor, dynamodb):
    missing = post("/intake/lots/no-such-lot/devices", "warehouse", device(), key="scan-0002")
    assert missing.status == 404

    lot_id = post("/intake/lots", "donor", LOT).body["lot_id"]
    # the same key on the right lot is a new request (the path is part of the key's scope)
    assert post(f"/intake/lots/{lot_id}/devices", "warehouse", device(), key="scan-0002").status == 201
    # and the failed one, retried, still fails: failures are not replayed as successes
    assert post("/intake/lots/no-such-lot/devices", "warehouse", device(), key="scan-0002").status == 404


def test_the_callers_correlation_id_follows_the_event(donor, dynamodb):
    lot_id = post("/intake/lots", "donor", LOT).body["lot_id"]
    call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device(),
         headers={"X-Correlation-Id": "donation-2026-35-001"})
    [received] = outbox_envelopes_in(dynamodb, "DeviceReceived")
    assert received.correlation_id == "donation-2026-35-001"


class _LambdaTimeout(BaseException):
    """What the runtime does to an invocation that runs out of time: nothing is caught."""


def test_a_request_that_dies_mid_way_does_not_hold_its_key_beyond_the_invocation(donor, dynamodb, monkeypatch):
    from intake.handlers import api

    def timeout(lot):
        raise _LambdaTimeout()

    monkeypatch.setattr(api.repository(), "add_lot", timeout)
    try:
        post("/intake/lots", "donor", LOT, key="lot-7")
    except _LambdaTimeout:
        pass
    [record] = items_with_prefix(dynamodb, "IDEMPOTENCY")
    assert "in_progress_expiration" in record  # the key frees itself when the invocation's time is up
