"""Forgetting beneficiaries: the referring partner's erasure request, and the retention job.

A forgotten referral keeps what counts need (partner, category, territory, status, dates,
device) and nothing that could name the person: no pseudonym, no proof reference, no commune,
no needs, no free text; the beneficiary's record (keyed by the pseudonym) goes. Sales is told
through BeneficiaryErased, one per reservation, carrying ids only.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from allocation import forgetting
from allocation.adapters.repository import AllocationRepository
from allocation.domain.referrals import ForgottenBecause
from allocation.handlers import api, consumer, retention
from shared.events.sales import SaleCancelled
from shared.retention import months_before
from tests.unit.allocation.helpers import REFERRAL, get_referral, make_ready, published, ready, refer
from tests.unit.support import T0, LambdaContext, all_items, call, deliver, device_sold, items_with_prefix

REF = REFERRAL["beneficiary_ref"]
SCHEDULED_EVENT = {"version": "0", "id": "r1", "detail-type": "Scheduled Event", "source": "aws.events",
                   "time": "2029-12-12T03:00:00Z", "resources": [], "detail": {}}


def erase(ref: str = REF, role: str = "referrer", **kwargs):
    return call(api.handler, "DELETE", f"/allocation/beneficiaries/{ref}", role, **kwargs)


def sell(referral: dict) -> None:
    sold = device_sold(referral["device_id"], referral["reservation_id"]).to_envelope(occurred_at=T0)
    assert deliver(consumer.handler, sold)["batchItemFailures"] == []


def fulfilled_referral(device_id: str = "dev-1", body: dict | None = None) -> dict:
    make_ready(ready(device_id))
    referral = refer(body).body
    assert referral["status"] == "reserved", referral
    sell(referral)
    return get_referral(referral["referral_id"]).body


def nothing_names(dynamodb, *texts: str) -> bool:
    stored = json.dumps(all_items(dynamodb), default=str)
    return not any(text in stored for text in texts)


class Budget:
    """A retention run's time budget: `calls` checks of the remaining time, then it is up."""

    def __init__(self, calls: int):
        self.calls = calls

    def __call__(self) -> bool:
        self.calls -= 1
        return self.calls >= 0


# --- erasure --------------------------------------------------------------------------------------

def test_the_referring_partner_erases_a_beneficiary_and_sales_is_told_with_ids_only(partner, dynamodb):
    referral = fulfilled_referral(body={"commune": "35238"})

    response = erase()

    assert response.status == 200, response.body
    assert response.body == {"erased": {"referrals_forgotten": 1, "open_referrals_withdrawn": 0,
                                        "reservations_unlinked": 1}}
    kept = get_referral(referral["referral_id"]).body
    assert (kept["beneficiary_ref"], kept["eligibility_proof_ref"], kept["commune"]) == (None, None, None)
    assert (kept["status"], kept["category"], kept["territory"], kept["device_id"], kept["fulfilled_at"]) == (
        "fulfilled", "job_seeker", "35", "dev-1", referral["fulfilled_at"])
    assert kept["forgotten_because"] == ForgottenBecause.ERASURE
    assert items_with_prefix(dynamodb, "BENEFICIARY#") == []
    [erased] = published(dynamodb, "BeneficiaryErased")
    assert (erased.device_id, erased.reservation_id, erased.referral_id) == (
        "dev-1", referral["reservation_id"], referral["referral_id"])
    assert nothing_names(dynamodb, REF, REFERRAL["eligibility_proof_ref"], "35238")


def test_a_second_erasure_is_a_404_and_the_same_reference_may_be_referred_again_as_someone_new(partner,
                                                                                             dynamodb):
    fulfilled_referral()
    assert erase().status == 200

    again = erase()
    assert again.status == 404 and REF not in again.body["message"]
    # the one-device-per-period history went with the person: a new referral is a new beneficiary
    assert refer().status == 201


def test_another_partner_gets_the_same_404_as_for_an_unknown_reference(partner, dynamodb):
    referral = fulfilled_referral()

    other = erase(partner_id="referrer-another-association")
    unknown = erase("FT-NEVER-REFERRED")

    assert (other.status, other.body) == (unknown.status, unknown.body)
    assert other.status == 404
    assert get_referral(referral["referral_id"]).body["beneficiary_ref"] == REF
    assert published(dynamodb, "BeneficiaryErased") == []


def test_an_open_referral_is_withdrawn_first_and_its_device_goes_back_to_the_pool(partner, dynamodb):
    make_ready(ready("dev-1"))
    reserved = refer().body
    assert reserved["status"] == "reserved"

    response = erase()

    assert response.body["erased"] == {"referrals_forgotten": 1, "open_referrals_withdrawn": 1,
                                       "reservations_unlinked": 1}
    kept = get_referral(reserved["referral_id"]).body
    assert (kept["status"], kept["closed_because"], kept["beneficiary_ref"]) == ("cancelled", None, None)
    assert kept["reservation"]["status"] == "released" and kept["reservation"]["release_note"] is None
    assert call(api.handler, "GET", "/allocation/devices/dev-1", "admin").body["status"] == "available"
    [released] = published(dynamodb, "ReservationReleased")
    [erased] = published(dynamodb, "BeneficiaryErased")
    assert released.reservation_id == erased.reservation_id == reserved["reservation_id"]
    assert nothing_names(dynamodb, REF, forgetting.ERASURE_REASON)


def test_every_reservation_a_referral_had_is_unlinked_not_only_the_last(partner, dynamodb):
    make_ready(ready("dev-1"), ready("dev-2", at=ready("dev-1").occurred_at))
    first = refer().body
    released = call(api.handler, "POST", f"/allocation/reservations/{first['reservation_id']}/release",
                    "referrer", {"reason": "Dupuis needs a bigger screen"})
    assert released.status == 200, released.body
    second = get_referral(first["referral_id"]).body
    assert second["device_id"] == "dev-2"

    assert erase().body["erased"]["reservations_unlinked"] == 2
    erased = published(dynamodb, "BeneficiaryErased")
    assert sorted(e.device_id for e in erased) == ["dev-1", "dev-2"]
    assert nothing_names(dynamodb, "Dupuis")


def test_a_waiting_referral_that_never_had_a_device_tells_sales_nothing(partner, dynamodb):
    waiting = refer().body
    assert waiting["status"] == "waiting"

    assert erase().body["erased"] == {"referrals_forgotten": 1, "open_referrals_withdrawn": 1,
                                      "reservations_unlinked": 0}
    assert published(dynamodb, "BeneficiaryErased") == []
    assert items_with_prefix(dynamodb, "BENEFICIARY#") == []


def test_an_administrator_erases_naming_the_partner(partner, dynamodb):
    fulfilled_referral()
    assert erase(role="admin").status == 404  # a reference means something only with its partner
    assert erase(role="admin", query={"partner_id": partner["partner_id"]}).status == 200


def test_other_roles_may_not_erase(partner):
    fulfilled_referral()
    assert erase(role="point_of_sale").status == 403


def test_a_sale_cancelled_after_the_erasure_does_not_put_the_person_back_in_line(partner, dynamodb):
    referral = fulfilled_referral()
    erase()
    sale_id = AllocationRepository().get_reservation(referral["reservation_id"]).sale_id
    cancelled = SaleCancelled(device_id="dev-1", sale_id=sale_id, reservation_id=referral["reservation_id"],
                              refund_eur="105.00").to_envelope()

    assert deliver(consumer.handler, cancelled)["batchItemFailures"] == []

    kept = get_referral(referral["referral_id"]).body
    assert (kept["status"], kept["beneficiary_ref"]) == ("cancelled", None)
    assert call(api.handler, "GET", "/allocation/devices/dev-1", "admin").body["status"] == "available"


# --- retention ------------------------------------------------------------------------------------

@pytest.fixture
def retention_months(monkeypatch) -> int:
    monkeypatch.setenv("RETENTION_MONTHS", "36")
    return 36


def three_years_after(at: datetime) -> datetime:
    return at.replace(year=at.year + 3)  # the 36 months of `retention_months`


def run_retention() -> dict:
    return retention.handler(SCHEDULED_EVENT, LambdaContext())


def test_closed_referrals_are_forgotten_when_their_retention_ends_and_only_then(partner, dynamodb, clock,
                                                                             retention_months):
    fulfilled = fulfilled_referral()
    withdrawn = refer({"beneficiary_ref": "FT-WITHDRAWN"}).body
    call(api.handler, "POST", f"/allocation/referrals/{withdrawn['referral_id']}/cancellation", "referrer",
         {"reason": "moved to Brest"})

    clock.now = three_years_after(clock.now) - timedelta(minutes=1)
    assert run_retention() == {"forgotten": 0, "failed": 0}
    assert get_referral(fulfilled["referral_id"]).body["beneficiary_ref"] == REF

    clock.advance(minutes=2)
    assert run_retention() == {"forgotten": 2, "failed": 0}
    for referral_id in (fulfilled["referral_id"], withdrawn["referral_id"]):
        kept = get_referral(referral_id).body
        assert kept["beneficiary_ref"] is None and kept["forgotten_because"] == ForgottenBecause.RETENTION
    assert items_with_prefix(dynamodb, "BENEFICIARY#") == []
    assert nothing_names(dynamodb, REF, "FT-WITHDRAWN", "moved to Brest")
    # sales keeps its own clock: the retention job announces nothing
    assert published(dynamodb, "BeneficiaryErased") == []
    # idempotent: nothing left to do
    assert run_retention() == {"forgotten": 0, "failed": 0}


def test_an_open_referral_is_never_forgotten_and_its_beneficiary_keeps_the_rest_of_its_history(
        partner, dynamodb, clock, retention_months):
    first = fulfilled_referral()
    clock.now = three_years_after(clock.now)
    # the same person, referred again once the three-year period passed, still waiting
    second = refer().body
    assert second["status"] == "waiting"

    clock.advance(days=1)
    assert run_retention() == {"forgotten": 1, "failed": 0}
    assert get_referral(first["referral_id"]).body["beneficiary_ref"] is None
    assert get_referral(second["referral_id"]).body["beneficiary_ref"] == REF
    [record] = items_with_prefix(dynamodb, "BENEFICIARY#")
    assert record["referral_ids"] == [second["referral_id"]]


def test_the_job_pages_through_the_index_and_a_run_cut_short_is_continued_by_the_next(partner, dynamodb, clock):
    for n in range(25):
        withdrawn = refer({"beneficiary_ref": f"FT-{n:03d}"}).body
        call(api.handler, "POST", f"/allocation/referrals/{withdrawn['referral_id']}/cancellation", "referrer",
             {"reason": "no longer needed"})
    later = clock.advance(days=1)
    repository = AllocationRepository()

    first = forgetting.forget_closed_referrals(repository, later, cutoff=later, time_left=Budget(8), page=4)
    assert first == {"forgotten": 6, "failed": 0}  # eight checks of the time: two per page, one per referral
    rest = forgetting.forget_closed_referrals(repository, later, cutoff=later, page=4)
    assert rest == {"forgotten": 19, "failed": 0}
    assert items_with_prefix(dynamodb, "BENEFICIARY#") == []
    assert [i for i in all_items(dynamodb) if i.get("gsi1pk") == "REFERRALS#retained"] == []


def test_months_are_calendar_months():
    assert months_before(datetime(2029, 3, 31, tzinfo=timezone.utc), 1) == datetime(2029, 2, 28, tzinfo=timezone.utc)
    assert months_before(datetime(2029, 1, 15, tzinfo=timezone.utc), 36) == datetime(2026, 1, 15, tzinfo=timezone.utc)
