"""Referral partners, referrals and the policies, as partners and administrators use them over HTTP.

A partner must be registered to refer; its referrals stay in its territory; eligibility is
checked before anything is written; bad input is a 4xx naming the field, with nothing written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from allocation import reservations
from allocation.adapters.repository import AllocationRepository
from allocation.domain.eligibility import DEFAULT_ELIGIBILITY_RULES
from allocation.domain.referrals import ReferralRequest
from allocation.handlers import api
from shared.errors import RuleViolation
from tests.unit.allocation.helpers import REFERRAL, REFERRER, make_ready, ready, refer, register_partner
from tests.unit.support import T0, call, device_sold, items_with_prefix


def fields_named(response) -> set[str]:
    return {str(part) for problem in response.body.get("detail", []) for part in problem["loc"]}


def test_a_partner_that_is_not_registered_cannot_refer_and_nothing_is_written(table, dynamodb):
    response = refer()

    assert response.status == 409
    assert f"partner {REFERRER} is not registered" in response.body["message"]
    assert f"PUT /allocation/partners/{REFERRER}" in response.body["message"]
    assert items_with_prefix(dynamodb, "REFERRAL#") == items_with_prefix(dynamodb, "BENEFICIARY#") == []


def test_an_administrator_registers_a_referral_partner_and_may_change_it(table):
    first = register_partner(kind="social_centre", communes=["35238", "35051", "35238"])
    assert first.status == 201, first.body
    assert (first.body["partner_id"], first.body["kind"], first.body["communes"]) == (
        REFERRER, "social_centre", ["35051", "35238"])

    same = register_partner(kind="social_centre", communes=["35051", "35238"])
    assert (same.status, same.body) == (200, first.body)
    moved = register_partner(territory="56", communes=[])
    assert (moved.status, moved.body["territory"], moved.body["registered_at"]) == (
        200, "56", first.body["registered_at"])

    path = f"/allocation/partners/{REFERRER}"
    assert call(api.handler, "GET", path, "referrer").body["territory"] == "56"
    assert call(api.handler, "GET", path, "referrer", partner_id="referrer-another-association").status == 404
    assert call(api.handler, "PUT", path, "referrer", {"name": "x", "kind": "social_centre",
                                                       "territory": "35"}).status == 403


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "charity"}, "kind"),
    ({"territory": "Bretagne"}, "territory"),
    ({"communes": ["56121"]}, "communes"),  # Lorient is not in territory 35
    ({"communes": ["Rennes"]}, "communes"),
    ({"name": ""}, "name"),
])
def test_a_registration_that_is_not_valid_is_refused_naming_the_field(table, dynamodb, change, field):
    response = register_partner(**change)

    assert response.status == 422
    assert field in fields_named(response)
    assert items_with_prefix(dynamodb, "PARTNER#") == []


def test_a_partner_id_that_is_not_one_is_refused(table):
    response = call(api.handler, "PUT", "/allocation/partners/not%20an%20id", "admin",
                    {"name": "x", "kind": "social_centre", "territory": "35"})
    assert response.status == 422 and "partner_id" in fields_named(response)


def test_a_referral_is_in_its_partners_territory(partner, dynamodb):
    without = refer({"territory": None})
    assert (without.status, without.body["territory"]) == (201, "35")

    elsewhere = refer({"beneficiary_ref": "FT-OTHER", "territory": "56"})
    assert elsewhere.status == 409
    assert elsewhere.body["message"] == (f"territory: partner {REFERRER} refers people of territory 35 only; "
                                         "this referral is for territory 56")
    foreign_commune = refer({"beneficiary_ref": "FT-OTHER", "commune": "56121"})
    assert foreign_commune.status == 409 and foreign_commune.body["message"].startswith("commune:")
    assert len(items_with_prefix(dynamodb, "REFERRAL#")) == 1


def test_a_social_centre_refers_only_people_of_the_communes_it_serves(table):
    register_partner(kind="social_centre", communes=["35238"])

    outside = refer({"commune": "35047"})
    assert outside.status == 409
    assert outside.body["message"] == f"commune: partner {REFERRER} does not serve commune 35047"
    inside = refer({"commune": "35238"})
    assert (inside.status, inside.body["commune"]) == (201, "35238")


def test_a_beneficiary_with_a_referral_open_is_refused_naming_the_rule_and_nothing_is_written(partner, dynamodb):
    assert refer().status == 201

    again = refer({"eligibility_proof_ref": "another-proof"})

    assert again.status == 409
    assert "one_open_referral" in again.body["message"]
    assert REFERRAL["beneficiary_ref"] not in again.body["message"]
    assert len(items_with_prefix(dynamodb, "REFERRAL#")) == 1
    # the pseudonym is the partner's own: another partner's beneficiary with the same reference is someone else
    register_partner("referrer-social-centre-35", kind="social_centre")
    assert refer(partner_id="referrer-social-centre-35").status == 201


def test_a_category_the_programme_no_longer_serves_is_refused(partner, dynamodb):
    changed = call(api.handler, "PUT", "/allocation/policies/eligibility", "admin", {"target_categories": ["student"]})
    assert changed.status == 200, changed.body

    response = refer()

    assert response.status == 409 and "target_category: job_seeker" in response.body["message"]
    assert items_with_prefix(dynamodb, "REFERRAL#") == []


def test_a_beneficiary_who_received_a_device_may_be_referred_again_only_after_the_period(partner, clock):
    referral = refer().body
    make_ready(ready("dev-1"))
    sold_on = clock.advance(days=3)
    make_ready(device_sold("dev-1", refer_reservation(referral["referral_id"])).to_envelope(occurred_at=sold_on))

    clock.advance(days=365)
    refused = refer({"eligibility_proof_ref": "proof-2027"})
    assert refused.status == 409
    assert f"received a device on {sold_on.date()}" in refused.body["message"]
    assert f"from {(sold_on + timedelta(days=1095)).date()}" in refused.body["message"]

    clock.now = sold_on + timedelta(days=1095)
    assert refer({"eligibility_proof_ref": "proof-2029"}).status == 201


def refer_reservation(referral_id: str) -> str:
    return call(api.handler, "GET", f"/allocation/referrals/{referral_id}", "referrer").body["reservation_id"]


def test_two_simultaneous_referrals_of_the_same_beneficiary_cannot_both_pass(partner, dynamodb):
    request = ReferralRequest(**REFERRAL)

    class RacedRepository(AllocationRepository):
        """The other request writes its referral between our eligibility check and our write."""

        raced = False

        def beneficiary(self, partner_id, beneficiary_ref):
            record = super().beneficiary(partner_id, beneficiary_ref)
            if not self.raced:
                self.raced = True
                reservations.refer(AllocationRepository(), partner_id, request, T0)
            return record

    with pytest.raises(RuleViolation, match="one_open_referral"):
        reservations.refer(RacedRepository(), REFERRER, request, T0)

    assert len(items_with_prefix(dynamodb, "REFERRAL#")) == 1
    [record] = items_with_prefix(dynamodb, "BENEFICIARY#")
    assert len(record["referral_ids"]) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"beneficiary_ref": "Jean Dupont"}, "beneficiary_ref"),
    ({"category": "retired"}, "category"),
    ({"territory": "Ille-et-Vilaine"}, "territory"),
    ({"commune": "Rennes"}, "commune"),
    ({"priority": 7}, "priority"),
    ({"needs": {"requirements": {"min_ram_gb": "lots"}}}, "min_ram_gb"),
    ({"needs": {"uses": ["gaming"]}}, "uses"),
    ({"address": "1 rue de la Paix"}, "address"),
])
def test_a_referral_that_is_not_valid_is_refused_naming_the_field_with_nothing_written(partner, dynamodb, change,
                                                                                       field):
    response = refer(change)

    assert response.status == 422
    assert field in fields_named(response)
    assert items_with_prefix(dynamodb, "REFERRAL#") == []


def test_only_referral_partners_refer(partner):
    assert refer(role="point_of_sale").status == 403


def test_policies_are_the_defaults_until_an_administrator_changes_them(table):
    current = call(api.handler, "GET", "/allocation/policies/eligibility", "admin").body
    assert (current["version"], current["policy"]) == (0, DEFAULT_ELIGIBILITY_RULES.model_dump(mode="json"))

    path = "/allocation/policies/matching"
    changed = call(api.handler, "PUT", path, "admin", {"territory_window_days": 10, "reservation_hold": "P7D"})
    assert changed.status == 200, changed.body
    assert (changed.body["version"], changed.body["changed_by"]) == (1, "admin-seconde-vie")
    assert changed.body["policy"]["territory_first_donor_types"] == ["public_body", "school"]  # defaults kept
    assert (changed.body["policy"]["territory_window_days"], changed.body["policy"]["reservation_hold"]) == (10, "P7D")

    assert call(api.handler, "PUT", path, "referrer", {"territory_window_days": 5}).status == 403
    assert call(api.handler, "GET", path, "referrer").status == 403
    for bad, field in (({"territory_window_days": -1}, "territory_window_days"), ({"speed": 3}, "speed"),
                       ({"territory_first_donor_types": ["church"]}, "territory_first_donor_types")):
        response = call(api.handler, "PUT", path, "admin", bad)
        assert response.status == 422 and field in fields_named(response)
    assert call(api.handler, "GET", path, "admin").body == changed.body


def test_a_new_hold_applies_to_the_reservations_made_after_it(partner, dynamodb):
    call(api.handler, "PUT", "/allocation/policies/matching", "admin", {"reservation_hold": "PT48H"})
    make_ready(ready("dev-1"))

    reserved = refer().body

    assert reserved["reservation"]["held_until"].startswith((T0 + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M"))
