"""One device through all four services, over real HTTP and real events on the local cloud."""

from __future__ import annotations

from devtools import thin_path
from tests.localcloud.cloud import LocalCloud


def test_a_donated_device_reaches_a_beneficiary_and_its_timeline_shows_every_step(local_cloud: LocalCloud):
    run = thin_path.run(thin_path.Partners(local_cloud.base_url))

    assert [s["event_type"] for s in run.steps] == thin_path.THIN_PATH
    times = [s["occurred_at"] for s in run.steps]
    assert times == sorted(times)
    assert [s["source"] for s in run.steps] == [
        "seconde-vie.intake", "seconde-vie.refurb", "seconde-vie.refurb", "seconde-vie.allocation", "seconde-vie.sales",
    ]
    assert run.sale["receipt_number"].startswith("pos-rennes-centre-")
    # events carry the pseudonymous referral id, never the partner's reference for the person
    reserved = run.steps[3]["payload"]
    assert reserved["referral_id"] == run.referral_id
    assert "beneficiary_ref" not in reserved


def test_partner_calls_without_a_valid_key_are_refused(local_cloud: LocalCloud):
    assert local_cloud.call("GET", "/intake/health", None).status_code == 401
    assert local_cloud.call("GET", "/intake/health", "nobody").status_code == 403


def test_a_partner_cannot_act_outside_its_role(local_cloud: LocalCloud):
    response = local_cloud.call("POST", "/intake/lots", "pos", {
        "donor_type": "company", "territory": "35", "expected_count": 3, "pickup_site": "HQ",
    })
    assert response.status_code == 403
    assert "point_of_sale" in response.json()["message"]


def test_bad_input_is_refused_with_the_field_named(local_cloud: LocalCloud):
    response = local_cloud.call("POST", "/intake/lots", "donor", {
        "donor_type": "public_body", "territory": "35", "expected_count": 0, "pickup_site": "x",
    })
    assert response.status_code == 422
    assert "expected_count" in response.text
