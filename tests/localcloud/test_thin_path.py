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
        "seconde-vie.intake", "seconde-vie.refurb", "seconde-vie.refurb", "seconde-vie.refurb",
        "seconde-vie.allocation", "seconde-vie.sales",
    ]
    assert run.sale["receipt_number"].startswith("pos-rennes-centre-")
    # events carry the pseudonymous referral id, never the partner's reference for the person
    reserved = run.steps[4]["payload"]
    assert reserved["referral_id"] == run.referral_id
    assert "beneficiary_ref" not in reserved

    # the donor follows the same journey, without anything about the person who got the device
    journey = thin_path.Partners(local_cloud.base_url).expect(
        200, "GET", f"/intake/devices/{run.device_id}/timeline", "donor")
    assert [s["event_type"] for s in journey["items"]] == thin_path.THIN_PATH
    assert run.referral_id not in str(journey) and run.sale["receipt_number"] not in str(journey)

