"""One device through all four services, over real HTTP and real events on the local cloud."""

from __future__ import annotations

import uuid

from tests.localcloud.cloud import LocalCloud, eventually

THIN_PATH = ["DeviceReceived", "ErasureCertified", "DeviceReady", "DeviceReserved", "DeviceSold"]


def test_a_donated_device_reaches_a_beneficiary_and_its_timeline_shows_every_step(local_cloud: LocalCloud):
    cloud = local_cloud
    lot = cloud.call("POST", "/intake/lots", "donor", {
        "donor_type": "public_body", "territory": "35", "expected_count": 1, "pickup_site": "Hôtel du Département",
    })
    assert lot.status_code == 201, lot.text
    received = cloud.call("POST", f"/intake/lots/{lot.json()['lot_id']}/devices", "warehouse", {
        "serial_number": f"5CG{uuid.uuid4().hex[:7].upper()}", "make": "HP", "model": "EliteBook 840 G5",
        "device_type": "laptop", "asset_tag": "CD35-2019-0412",
        "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]},
    })
    assert received.status_code == 201, received.text
    device_id = received.json()["device_id"]

    # refurb opened a work order from intake's DeviceReceived (stream → bus → queue → consumer)
    eventually(lambda: cloud.call("GET", f"/refurb/work-orders/{device_id}", "workshop").status_code == 200,
               what="a work order opening in refurb")
    erasure = cloud.call("POST", f"/refurb/work-orders/{device_id}/erasure", "workshop", {"drives": [{
        "level": "purge", "technique": "nvme_sanitize", "tool": "nvme-cli 2.8", "operator": "tech-07",
        "passed": True, "completed_at": "2026-11-28T09:30:00Z",
    }]})
    assert erasure.status_code == 200, erasure.text
    assert cloud.call("POST", f"/refurb/work-orders/{device_id}/grade", "workshop", {"grade": "A"}).status_code == 200
    assert cloud.call("POST", f"/refurb/work-orders/{device_id}/ready", "workshop").status_code == 200

    # allocation learns the device is ready and reserves it for the waiting referral
    referral = cloud.call("POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"FT-{uuid.uuid4().hex[:8]}", "category": "job_seeker", "territory": "35",
        "eligibility_proof_ref": "pole-emploi-attestation-2026-11",
    })
    assert referral.status_code == 201, referral.text
    referral_id = referral.json()["referral_id"]

    def reserved_device():
        body = cloud.call("GET", f"/allocation/referrals/{referral_id}", "referrer").json()
        return body.get("device_id") if body.get("status") == "reserved" else None

    assert eventually(reserved_device, what="the referral's reservation") == device_id

    # sales learnt the reservation from allocation's event: quote, then sale with a receipt
    quote = eventually(lambda: (r := cloud.call("GET", f"/sales/quotes/{device_id}", "pos")).ok and r.json(),
                       what="a quote in sales")
    sale = cloud.call("POST", "/sales/sales", "pos", {
        "device_id": device_id, "payments": [{"method": "card", "amount_eur": quote["price_eur"]}],
    })
    assert sale.status_code == 201, sale.text
    assert sale.json()["receipt_number"].startswith("pos-rennes-centre-")

    def full_timeline():
        response = cloud.call("GET", f"/intake/devices/{device_id}/timeline", "donor")
        steps = response.json().get("steps", []) if response.ok else []
        return steps if len(steps) >= len(THIN_PATH) else None

    steps = eventually(full_timeline, what="the complete timeline in intake")
    assert [s["event_type"] for s in steps] == THIN_PATH
    times = [s["occurred_at"] for s in steps]
    assert times == sorted(times)
    assert {s["source"] for s in steps} == {f"seconde-vie.{s}" for s in ("intake", "refurb", "allocation", "sales")}
    # no beneficiary detail travels in events: only the pseudonymous referral id
    reserved = steps[3]["payload"]
    assert reserved["referral_id"] == referral_id
    assert "beneficiary_ref" not in reserved

    # allocation consumed DeviceSold: the referral is fulfilled
    eventually(lambda: cloud.call("GET", f"/allocation/referrals/{referral_id}", "referrer").json()["status"]
               == "fulfilled", what="the referral being fulfilled")


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
