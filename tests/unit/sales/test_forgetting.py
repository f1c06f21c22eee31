"""Sales forgets the person behind a sale: on allocation's BeneficiaryErased, and when the retention
period of an ended reservation is over. The figures still count every sale."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from shared import clock
from sales import forgetting
from sales.adapters.repository import SalesRepository
from sales.domain.sale import ForgottenBecause
from sales.handlers import api, consumer, retention
from shared.events.allocation import BeneficiaryErased, ReservationReleased
from tests.unit.sales.test_sales import reserve, sell
from tests.unit.support import LambdaContext, all_items, call, deliver

TODAY = clock.today()
CANCELLATION = {"reason": "Martin changed her mind", "refunds": [{"method": "card", "amount_eur": "105.00"}]}
SCHEDULED_EVENT = {"version": "0", "id": "r1", "detail-type": "Scheduled Event", "source": "aws.events",
                   "time": "2029-12-12T03:00:00Z", "resources": [], "detail": {}}


def sold(device_id: str) -> dict:
    reserve(device_id)
    response = sell(device_id)
    assert response.status == 201, response.body
    return response.body


def reservation_item(dynamodb, device_id: str) -> dict:
    [item] = [i for i in all_items(dynamodb) if i["pk"] == f"DEVICE#{device_id}"
              and i["sk"].startswith("RESERVATION#")]
    return item


def erased(sale: dict, referral_id: str = "ref-any") -> None:
    event = BeneficiaryErased(device_id=sale["device_id"], reservation_id=sale["reservation_id"],
                              referral_id=referral_id).to_envelope()
    assert deliver(consumer.handler, event)["batchItemFailures"] == []


def figures() -> dict:
    response = call(api.handler, "GET", "/sales/figures", "admin", query={"since": TODAY.isoformat()})
    assert response.status == 200, response.body
    return response.body


def get_sale(sale_id: str) -> dict:
    return call(api.handler, "GET", f"/sales/sales/{sale_id}", "admin").body


def test_an_erasure_drops_the_link_to_the_referral_and_the_category_and_the_figures_still_count_the_sale(
        table, dynamodb):
    handed = sold("dev-1")
    assert call(api.handler, "POST", f"/sales/sales/{handed['sale_id']}/handover", "point_of_sale",
                {"handed_over_on": TODAY.isoformat()}).status == 200
    referral_id = reservation_item(dynamodb, "dev-1")["referral_id"]
    before = figures()

    erased(handed, referral_id)

    after = figures()
    assert (after["overall"], after["by_point_of_sale"]) == (before["overall"], before["by_point_of_sale"])
    assert after["by_category"] == {"unknown": before["by_category"]["job_seeker"]}
    reservation = reservation_item(dynamodb, "dev-1")
    assert "referral_id" not in reservation and "beneficiary_category" not in reservation
    sale = get_sale(handed["sale_id"])
    assert (sale["status"], sale["beneficiary_category"], sale["forgotten_because"]) == (
        "handed_over", None, ForgottenBecause.ERASURE)
    assert referral_id not in json.dumps(all_items(dynamodb), default=str)
    # the same fact announced again (a new event id) changes nothing and fails nothing
    erased(handed, referral_id)
    assert figures() == after


def test_an_erasure_drops_what_the_point_of_sale_typed_when_it_cancelled(table, dynamodb):
    sale = sold("dev-1")
    cancelled = call(api.handler, "POST", f"/sales/sales/{sale['sale_id']}/cancellation", "point_of_sale",
                     CANCELLATION)
    assert cancelled.status == 200, cancelled.body
    before = figures()

    erased(sale)

    kept = get_sale(sale["sale_id"])
    assert kept["status"] == "cancelled" and kept["cancellation"]["reason"] is None
    assert kept["cancellation"]["refunds"] == CANCELLATION["refunds"]
    assert figures()["overall"] == before["overall"]
    assert "Martin changed" not in json.dumps(all_items(dynamodb), default=str)


def test_an_erasure_of_a_reservation_sales_never_heard_of_is_not_an_error(table):
    erased({"device_id": "dev-unknown", "reservation_id": "res-unknown"})


def test_a_reservation_erased_before_its_release_arrives_stays_forgotten(table, dynamodb):
    reservation_id = reserve("dev-1")
    erased({"device_id": "dev-1", "reservation_id": reservation_id})
    release = ReservationReleased(device_id="dev-1", reservation_id=reservation_id, referral_id="ref-late",
                                  reason="referral cancelled").to_envelope()
    assert deliver(consumer.handler, release)["batchItemFailures"] == []

    item = reservation_item(dynamodb, "dev-1")
    assert item["status"] == "released" and "gsi1pk" not in item and "beneficiary_category" not in item


# --- retention ------------------------------------------------------------------------------------

@pytest.fixture
def retention_clock(monkeypatch):
    monkeypatch.setenv("RETENTION_MONTHS", "36")
    clock = {"now": datetime.now(timezone.utc)}
    monkeypatch.setattr(retention, "now", lambda: clock["now"])
    retention.repository.cache_clear()
    yield clock
    retention.repository.cache_clear()


def run_retention() -> dict:
    return retention.handler(SCHEDULED_EVENT, LambdaContext())


def test_ended_reservations_are_forgotten_after_the_retention_period_and_open_ones_never(table, dynamodb,
                                                                                       retention_clock):
    sale = sold("dev-sold")
    cancelled = sold("dev-cancelled")
    call(api.handler, "POST", f"/sales/sales/{cancelled['sale_id']}/cancellation", "point_of_sale", CANCELLATION)
    reserve("dev-waiting")
    before = figures()

    retention_clock["now"] += timedelta(days=3 * 365)  # not yet 36 calendar months
    assert run_retention() == {"forgotten": 0, "failed": 0}
    assert "referral_id" in reservation_item(dynamodb, "dev-sold")

    retention_clock["now"] += timedelta(days=2)
    assert run_retention() == {"forgotten": 2, "failed": 0}
    for device_id in ("dev-sold", "dev-cancelled"):
        assert "referral_id" not in reservation_item(dynamodb, device_id)
    assert "referral_id" in reservation_item(dynamodb, "dev-waiting")  # still on sale: needed
    # retention keeps the category for the figures; only an erasure drops it
    assert get_sale(sale["sale_id"])["beneficiary_category"] == "job_seeker"
    assert get_sale(cancelled["sale_id"])["cancellation"]["reason"] is None
    assert figures() == before
    assert run_retention() == {"forgotten": 0, "failed": 0}


def test_the_job_pages_and_a_run_cut_short_is_continued_by_the_next(table, dynamodb):
    for n in range(12):
        sold(f"dev-{n:02d}")
    later = datetime.now(timezone.utc) + timedelta(seconds=1)
    repository = SalesRepository()
    calls = iter(range(7))

    first = forgetting.forget_ended_reservations(repository, later, later,
                                                 time_left=lambda: next(calls, None) is not None, page=5)
    assert first == {"forgotten": 5, "failed": 0}
    assert forgetting.forget_ended_reservations(repository, later, later, page=5) == {"forgotten": 7, "failed": 0}
    assert [i for i in all_items(dynamodb) if i.get("gsi1pk") == "RESERVATIONS#ended"] == []


def test_an_erasure_drops_the_notes_of_the_sale_s_warranty_claims_and_keeps_the_claims(table):
    sale = sold("dev-1")
    post = lambda path, body: call(api.handler, "POST", f"/sales/sales/{sale['sale_id']}/{path}",  # noqa: E731
                                   "point_of_sale", body)
    assert post("handover", {"handed_over_on": TODAY.isoformat()}).status == 200
    assert post("warranty-claims", {"fault_category": "battery", "note": "ne tient plus que 20 minutes"}).status == 201

    erased(sale)

    [claim] = get_sale(sale["sale_id"])["warranty_claims"]
    assert (claim["fault_category"], claim["note"]) == ("battery", None)
    assert claim["reference"].endswith("-W1")
