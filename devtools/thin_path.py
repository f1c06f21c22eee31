"""Drive one device through all four services over the partners' HTTP API.

Used by the end-to-end test and the request-count benchmark, and handy against `make up`:

    .venv/bin/python -m devtools.thin_path            # uses .build/localcloud.json
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import requests

from devtools.localcloud.paths import BUILD

THIN_PATH = ["DeviceReceived", "WorkOrderAssigned", "ErasureCertified", "DeviceReady", "DeviceReserved", "DeviceSold"]


class StepFailed(AssertionError):
    pass


def wait_for(probe: Callable[[], Any], what: str = "the condition", *, timeout: float = 30.0,
             interval: float = 0.1) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise StepFailed(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class Partners:
    """HTTP calls as the dev partners of devtools/dev-partners.json."""

    base_url: str
    http: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, key: str | None, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer dev-{key}-key"} if key else {}
        return self.http.request(method, self.base_url + path, headers=headers, json=body, timeout=30)

    def expect(self, status: int, method: str, path: str, key: str, body: Any = None) -> dict:
        response = self.call(method, path, key, body)
        if response.status_code != status:
            raise StepFailed(f"{method} {path} → {response.status_code} (expected {status}): {response.text}")
        return response.json()


def refurbish(partners: Partners, device_id: str, drive_serial: str = "NV-0001") -> dict:
    """Every refurbishment step, in order, as the device's workshop; returns the ready work order."""
    order = f"/refurb/work-orders/{device_id}"
    partners.expect(200, "POST", f"{order}/diagnosis", "workshop", {
        "cpu_score": 6100, "battery_health_pct": 84, "keyboard_layout": "fr-azerty",
        "screen": "works", "keyboard": "works", "trackpad": "works", "webcam": "works", "audio": "works",
        "ports": "works", "charger": "works",
        "drives": [{"serial_number": drive_serial, "kind": "nvme", "size_gb": 256, "smart_status": "passed"}],
    })
    partners.expect(200, "POST", f"{order}/erasure", "workshop", {"drives": [{
        "drive_serial": drive_serial, "level": "purge", "technique": "nvme_sanitize", "tool": "nvme-cli 2.8",
        "operator": "tech-07", "passed": True, "completed_at": "2026-11-20T09:30:00Z",
    }]})
    partners.expect(200, "POST", f"{order}/repair", "workshop", {"parts": []})
    partners.expect(200, "POST", f"{order}/installation", "workshop", {"os_name": "Linux Mint", "os_version": "22"})
    partners.expect(200, "POST", f"{order}/grade", "workshop")
    return partners.expect(200, "POST", f"{order}/ready", "workshop")


# The dev donor partner (devtools/dev-partners.json), as the administrator registers it.
DONOR = {"donor_id": "donor-departement-35", "name": "Département d'Ille-et-Vilaine", "donor_type": "public_body",
         "legal_basis": {"convention_ref": "CD35-2026-014", "signed_on": "2026-03-12"}}


def register_donor(partners: Partners, territory: str = "35") -> dict:
    """Register the dev donor; registering it again with the same details changes nothing (200)."""
    response = partners.call("POST", "/intake/donors", "admin", {**DONOR, "territory": territory})
    if response.status_code not in (200, 201):
        raise StepFailed(f"POST /intake/donors → {response.status_code}: {response.text}")
    return response.json()


# The dev referrer partner (devtools/dev-partners.json), as the administrator registers it in allocation.
REFERRER = {"partner_id": "social-services-35", "name": "Services sociaux du Département", "kind": "social_services"}


def register_referrer(partners: Partners, territory: str = "35") -> dict:
    """Register the dev referrer for `territory` (its referrals' territory); again: an update."""
    body = {k: v for k, v in REFERRER.items() if k != "partner_id"} | {"territory": territory}
    response = partners.call("PUT", f"/allocation/partners/{REFERRER['partner_id']}", "admin", body)
    if response.status_code not in (200, 201):
        raise StepFailed(f"PUT /allocation/partners/{REFERRER['partner_id']} → {response.status_code}: {response.text}")
    return response.json()


@dataclass
class ThinPathRun:
    device_id: str
    referral_id: str
    sale: dict
    steps: list[dict]
    seconds: dict[str, float]


@dataclass
class ReservedDevice:
    device_id: str
    referral_id: str
    label_code: str


def reserve_a_device(partners: Partners, territory: str = "35",
                     lap: Callable[[str], None] = lambda name: None) -> ReservedDevice:
    """A device donated, received, refurbished and reserved for a new referral of the territory:
    what a point of sale of that territory can sell."""
    # the workshop serving the territory (registering it again only updates it)
    partners.expect(200, "PUT", "/refurb/workshops/workshop-rennes", "admin", {
        "name": "Atelier Rennes", "territories": [territory], "capacity": 1000,
    })
    register_donor(partners, territory)
    lot = partners.expect(201, "POST", "/intake/lots", "donor", {
        "expected_count": 1, "pickup_site": "Hôtel du Département",
    })
    device = partners.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", {
        "serial_number": f"5CG{uuid.uuid4().hex[:7].upper()}", "make": "HP", "model": "EliteBook 840 G5",
        "device_type": "laptop", "asset_tag": "CD35-2019-0412",
        "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]},
    })
    device_id = device["device_id"]
    lap("device received")

    wait_for(lambda: partners.call("GET", f"/refurb/work-orders/{device_id}", "workshop").ok,
             "a work order opening in refurb")
    lap("work order open")
    refurbish(partners, device_id)
    lap("device ready")

    register_referrer(partners, territory)
    referral = partners.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"FT-{uuid.uuid4().hex[:8]}", "category": "job_seeker", "territory": territory,
        "eligibility_proof_ref": "attestation-2026-11",
    })
    referral_id = referral["referral_id"]

    def reserved() -> bool:
        body = partners.call("GET", f"/allocation/referrals/{referral_id}", "referrer").json()
        return body.get("status") == "reserved" and body.get("device_id") == device_id

    wait_for(reserved, "the device's reservation for the referral")
    lap("device reserved")
    label_code = partners.expect(200, "GET", f"/intake/devices/{device_id}", "admin")["label_code"]
    return ReservedDevice(device_id, referral_id, label_code)


def run(partners: Partners, territory: str = "35") -> ThinPathRun:
    started, seconds = time.monotonic(), {}

    def lap(name: str) -> None:
        seconds[name] = round(time.monotonic() - started, 3)

    reserved = reserve_a_device(partners, territory, lap)
    device_id, referral_id = reserved.device_id, reserved.referral_id
    quote = wait_for(lambda: (r := partners.call("GET", f"/sales/quotes/{device_id}", "pos")).ok and r.json(),
                     "a quote in sales")
    sale = partners.expect(201, "POST", "/sales/sales", "pos", {
        "device_id": device_id, "payments": [{"method": "card", "amount_eur": quote["price_eur"]}],
    })
    lap("device sold")

    def full_timeline() -> list[dict] | None:
        response = partners.call("GET", f"/intake/devices/{device_id}/timeline", "admin")  # every step, whole
        steps = response.json().get("items", []) if response.ok else []
        return steps if len(steps) >= len(THIN_PATH) else None

    steps = wait_for(full_timeline, "the complete timeline in intake")
    wait_for(lambda: partners.call("GET", f"/allocation/referrals/{referral_id}", "referrer").json()["status"]
             == "fulfilled", "the referral being fulfilled")
    lap("timeline complete")
    return ThinPathRun(device_id, referral_id, sale, steps, seconds)


def main() -> int:
    state = json.loads((BUILD / "localcloud.json").read_text())
    result = run(Partners(state["base_url"]))
    for step in result.steps:
        print(f"{step['occurred_at']}  {step['event_type']:<18} {step['source']}")
    print(json.dumps(result.seconds, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
