"""A device received in intake goes through every refurbishment step to ready, over the real
HTTP API and the real bus on the local cloud; the workshop's figures come out of the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import uuid

from devtools import thin_path, workshop_figures
from shared.events.certificates import certificate_sha256
from tests.localcloud.cloud import LocalCloud, eventually

WORKSHOP = "workshop-rennes"
SSD, HDD = "S3Z-" + uuid.uuid4().hex[:6], "WD-" + uuid.uuid4().hex[:6]
DIAGNOSIS = {
    "cpu_score": 4200, "battery_health_pct": 77, "keyboard_layout": "fr-azerty",
    "screen": "works", "keyboard": "works", "trackpad": "works", "webcam": "faulty", "audio": "works",
    "ports": "works", "charger": "absent",
    "drives": [{"serial_number": SSD, "kind": "ssd", "size_gb": 256, "smart_status": "passed"},
               {"serial_number": HDD, "kind": "hdd", "size_gb": 500, "smart_status": "failed"}],
}


def erasure(serial: str, **overrides) -> dict:
    return {"drive_serial": serial, "level": "purge", "technique": "ata_secure_erase", "tool": "hdparm 9.65",
            "operator": "tech-07", "passed": True, "completed_at": "2026-11-20T09:30:00Z"} | overrides


def receive_a_two_drive_laptop(cloud: LocalCloud) -> str:
    """As the warehouse would, in territory 35 (the thin path's donor and lot)."""
    thin_path.register_donor(cloud)
    lot = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 1, "pickup_site": "Collège Anne de Bretagne"})
    device = cloud.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", {
        "serial_number": f"PF{uuid.uuid4().hex[:8].upper()}", "make": "Lenovo", "model": "ThinkPad T460",
        "device_type": "laptop",
        "specs": {"cpu_model": "i5-6300U", "ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256},
                                                                   {"kind": "hdd", "size_gb": 500}]},
    })
    return device["device_id"]


def test_a_received_device_goes_through_refurbishment_to_ready(local_cloud: LocalCloud):
    cloud = local_cloud
    cloud.expect(200, "PUT", f"/refurb/workshops/{WORKSHOP}", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    device_id = receive_a_two_drive_laptop(cloud)
    order = f"/refurb/work-orders/{device_id}"

    opened = eventually(lambda: (r := cloud.call("GET", order, "workshop")).ok and r.json(),
                        "the work order opening in refurb")
    assert (opened["workshop_id"], opened["status"]) == (WORKSHOP, "awaiting_diagnosis")
    assert opened["allowed_steps"] == ["diagnosis", "scrap"]
    queue = f"/refurb/workshops/{WORKSHOP}/queue"
    queued = eventually(lambda: [o for o in cloud.expect(200, "GET", queue, "workshop")["items"]
                                 if o["device_id"] == device_id], "the device in the queue")
    assert queued[0]["label_code"] == opened["label_code"] is not None  # the code on the device's label

    # out of turn, or badly written: refused, naming what is wrong, and nothing changes
    early = cloud.call("POST", f"{order}/grade", "workshop")
    assert early.status_code == 409 and "the diagnosis step is missing" in early.json()["message"]
    bad = cloud.call("POST", f"{order}/diagnosis", "workshop", {k: v for k, v in DIAGNOSIS.items() if k != "webcam"})
    assert bad.status_code == 422 and "webcam" in bad.text
    assert cloud.expect(200, "GET", order, "workshop")["status"] == "awaiting_diagnosis"

    diagnosed = cloud.expect(200, "POST", f"{order}/diagnosis", "workshop", DIAGNOSIS)
    # each drive with the techniques its kind allows: the NVMe commands are not offered for SATA drives
    offered = {d["serial_number"]: {m["technique"] for m in d["methods"]} for d in diagnosed["drives_to_erase"]}
    assert offered[SSD] == offered[HDD] == {"overwrite", "ata_secure_erase", "cryptographic_erase",
                                            "physical_destruction"}

    # the failing HDD cannot be erased: it holds the device until it is destroyed
    pending = cloud.expect(200, "POST", f"{order}/erasure", "workshop",
                           {"drives": [erasure(SSD), erasure(HDD, level="clear", technique="overwrite", passed=False)]})
    assert pending["erasure_pending"] == [f"drive {HDD} failed its erasure: redo it or destroy the drive"]
    assert [d["state"] for d in pending["drives_to_erase"]] == ["erased", "failed"]
    assert pending["allowed_steps"] == ["erasure", "scrap"]
    held = cloud.call("POST", f"{order}/repair", "workshop", {"parts": []})
    assert held.status_code == 409 and f"{HDD} failed its erasure" in held.json()["message"]
    certified = cloud.expect(200, "POST", f"{order}/erasure", "workshop", {"drives": [
        erasure(HDD, level="destroy", technique="physical_destruction", tool="shredder")]})
    certificate = certified["certificate"]

    cloud.expect(200, "POST", f"{order}/repair", "workshop", {
        "parts": [{"name": "webcam module", "cost_eur": "9.90"}, {"name": "charger 65 W", "cost_eur": "12.00"}],
        "retested": {"webcam": "works", "charger": "works"},
        "drives": [{"kind": "ssd", "size_gb": 256, "serial_number": SSD}],  # the destroyed HDD is out
    })
    cloud.expect(200, "POST", f"{order}/installation", "workshop", {"os_name": "Linux Mint", "os_version": "22"})
    graded = cloud.expect(200, "POST", f"{order}/grade", "workshop")["grade"]
    # CPU 4200 (+2), 8 GB (+3), 256 GB SSD (+3) = 8 → A; no HDD is left to cap it
    assert (graded["grade"], graded["points"]) == ("A", 8)
    assert [(r["rule"], r["facts"][0]["measure"], r["facts"][0]["value"]) for r in graded["fired"]] == [
        ("cpu", "cpu_score", 4200), ("ram", "ram_gb", 8), ("ssd", "ssd_gb", 256)]
    ready = cloud.expect(200, "POST", f"{order}/ready", "workshop")
    assert (ready["status"], ready["allowed_steps"]) == ("ready", [])
    assert {s["state"] for s in ready["steps"]} == {"done"}

    # the events reached intake: the donor sees the erasure and the device ready on its timeline
    def timeline() -> list[dict] | None:
        response = cloud.call("GET", f"/intake/devices/{device_id}/timeline", "donor")
        steps = response.json().get("items", []) if response.ok else []
        types = [s["event_type"] for s in steps]
        return steps if "DeviceReady" in types and "ErasureCertified" in types else None

    journey = {s["event_type"]: s["details"] for s in eventually(timeline, "ErasureCertified and DeviceReady in intake")}
    assert journey["DeviceReady"]["grade"] == "A"
    # what was announced, whole, as an administrator sees it
    steps = {s["event_type"]: s["payload"]
             for s in cloud.expect(200, "GET", f"/intake/devices/{device_id}/timeline", "admin")["items"]}
    assert steps["ErasureCertified"]["certificate_id"] == certificate["certificate_id"]
    assert certificate_sha256(device_id, steps["ErasureCertified"]["drives"]) == certificate["sha256"]
    announced = steps["DeviceReady"]
    assert (announced["grade"], announced["erasure_certificate_id"]) == ("A", certificate["certificate_id"])
    assert announced["functional"] == {"battery_health_pct": 77, "webcam": True, "keyboard_layout": "fr-azerty"}
    assert (announced["specs"]["cpu_score"], [d["serial_number"] for d in announced["specs"]["drives"]]) == (4200, [SSD])

    # allocation can use it: a referral of the territory reserves it (this also leaves the pool
    # as the other end-to-end tests expect it, with no ready device waiting)
    thin_path.register_referrer(cloud)
    referral = cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"FT-{uuid.uuid4().hex[:8]}", "category": "student", "territory": "35",
        "eligibility_proof_ref": "attestation-2026-11",
    })
    eventually(lambda: cloud.call("GET", f"/allocation/referrals/{referral['referral_id']}", "referrer").json()
               .get("device_id") == device_id, "allocation reserving the ready device")

    # the workshop's figures, through the CLI
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert workshop_figures.main(["--workshop", WORKSHOP, "--base-url", cloud.base_url,
                                      "--key", "dev-workshop-key", "--json"]) == 0
    figures = json.loads(output.getvalue())
    assert figures["devices_ready"] >= 1
    assert set(figures["median_seconds_per_step"]) >= {"diagnosis", "erasure", "repair", "installation", "grade",
                                                       "ready"}


def test_a_workshop_scraps_a_device_with_its_reason_and_the_parts_it_keeps(local_cloud: LocalCloud,
                                                                           thin_path_workshop_restored):
    cloud = local_cloud
    cloud.expect(200, "PUT", f"/refurb/workshops/{WORKSHOP}", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    device_id = receive_a_two_drive_laptop(cloud)
    order = f"/refurb/work-orders/{device_id}"
    eventually(lambda: cloud.call("GET", order, "workshop").ok, "the work order opening in refurb")
    cloud.expect(200, "POST", f"{order}/diagnosis", "workshop", DIAGNOSIS)

    scrapped = cloud.expect(200, "POST", f"{order}/scrap", "workshop", {
        "reason": "motherboard_failure", "recycling_channel": "certified_recycler",
        "harvested_parts": ["RAM 8 GB DDR4", "charger 65 W"], "note": "carte mère HS après test"})
    assert (scrapped["status"], scrapped["allowed_steps"]) == ("scrapped", [])
    assert [s["state"] for s in scrapped["steps"]] == ["done"] + ["skipped"] * 5
    assert scrapped["scrap"]["harvested_parts"] == ["RAM 8 GB DDR4", "charger 65 W"]
    # first among the scrapped ones (most recently received first)
    listed = cloud.expect(200, "GET", f"/refurb/workshops/{WORKSHOP}/queue?status=scrapped", "workshop")
    assert listed["items"][0]["device_id"] == device_id
    again = cloud.call("POST", f"{order}/erasure", "workshop", {"drives": [erasure(SSD)]})
    assert again.status_code == 409 and "scrapped" in again.json()["message"]
