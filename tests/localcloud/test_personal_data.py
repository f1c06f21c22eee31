"""No free text leaves its service, and no one's name reaches a log, over the real local cloud.

One run writes a person's name into every free-text field a partner can fill: where the text
is about the device (no civility, phone or address) it is accepted and must stay in the
service that received it; where it plainly names or locates someone it is refused (422) and
must be written nowhere. Then every table and every function's CloudWatch log group is read.
"""

from __future__ import annotations

import json
import uuid

from boto3.dynamodb.types import TypeDeserializer

from shared import clock
from devtools import thin_path
from shared.packed import unpack
from tests.localcloud.cloud import LocalCloud, eventually

FIRST_NAME = "Zephirine"
# One surname per service, so that a note found in another service's table says where it came from.
SURNAME = {"intake": "Aubertot", "refurb": "Bellamyre", "sales": "Cassagnou", "allocation": "Dorlhiac"}
TABLES = {"intake": "IntakeTableName", "refurb": "RefurbTableName", "sales": "SalesTableName",
          "allocation": "AllocationTableName"}


_deserializer = TypeDeserializer()


def accepted(service: str, about: str) -> str:
    """A note about the device that happens to quote a name: nothing the check can tell from a word."""
    return f"{about}, vu avec {FIRST_NAME} {SURNAME[service]}"


def refused(service: str) -> str:
    return f"remis par Mme {FIRST_NAME} {SURNAME[service]}"


def expect_refused(cloud: LocalCloud, method: str, path: str, key: str, body: dict, field: str) -> None:
    response = cloud.call(method, path, key, body)
    assert response.status_code == 422, response.text
    assert f"body.{field}: looks like personal data (a person's name)" in response.json()["message"]


def scan(cloud: LocalCloud, service: str) -> str:
    """Every item of the service's table as text, its compressed part (shared/packed.py) opened."""
    dynamodb, items = cloud.client("dynamodb"), []
    for page in dynamodb.get_paginator("scan").paginate(TableName=cloud.outputs[TABLES[service]]):
        items += [unpack({k: _deserializer.deserialize(v) for k, v in item.items()}) for item in page["Items"]]
    return json.dumps(items, ensure_ascii=False, default=str)


DIAGNOSIS = {
    "cpu_score": 5200, "battery_health_pct": 70, "keyboard_layout": "fr-azerty",
    "screen": "works", "keyboard": "faulty", "trackpad": "works", "webcam": "works", "audio": "works",
    "ports": "works", "charger": "works",
    "drives": [{"serial_number": f"S4-{uuid.uuid4().hex[:8]}", "kind": "ssd", "size_gb": 256, "smart_status": "passed"}],
}


def test_free_text_stays_in_its_service_and_no_name_reaches_a_log(local_cloud: LocalCloud):
    cloud = local_cloud
    run = thin_path.run(cloud)  # a device sold, through all four services

    # intake: the warehouse's notes on a received device and on a rejected one
    lot = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 3, "pickup_site": "Lycée Chateaubriand"})
    devices = f"/intake/lots/{lot['lot_id']}/devices"

    def laptop(**extra) -> dict:
        return {"serial_number": f"PF{uuid.uuid4().hex[:8].upper()}", "make": "Lenovo", "model": "ThinkPad T480",
                "device_type": "laptop", "specs": {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}} | extra

    expect_refused(cloud, "POST", devices, "warehouse", laptop(visible_condition=refused("intake")), "visible_condition")
    received = cloud.expect(201, "POST", devices, "warehouse",
                            laptop(visible_condition=accepted("intake", "coque rayée")))
    rejections = f"/intake/lots/{lot['lot_id']}/rejections"
    expect_refused(cloud, "POST", rejections, "warehouse", laptop(reason="liquid_damage", note=refused("intake")), "note")
    cloud.expect(201, "POST", rejections, "warehouse",
                 laptop(reason="liquid_damage", note=accepted("intake", "clavier oxydé")))

    # refurb: the workshop's notes on the received device, which it then scraps
    order = f"/refurb/work-orders/{received['device_id']}"
    eventually(lambda: cloud.call("GET", order, "workshop").ok, "the work order opening in refurb")
    expect_refused(cloud, "POST", f"{order}/diagnosis", "workshop", DIAGNOSIS | {"notes": refused("refurb")}, "notes")
    cloud.expect(200, "POST", f"{order}/diagnosis", "workshop",
                 DIAGNOSIS | {"notes": accepted("refurb", "clavier HS")})
    scrap = {"reason": "beyond_economic_repair", "recycling_channel": "ecosystem", "harvested_parts": ["RAM 8 GB DDR4"]}
    expect_refused(cloud, "POST", f"{order}/scrap", "workshop", scrap | {"note": refused("refurb")}, "note")
    cloud.expect(200, "POST", f"{order}/scrap", "workshop", scrap | {"note": accepted("refurb", "réparation trop chère")})

    # sales: a warranty claim on the device sold, and a cancellation refused for what it says
    sale = f"/sales/sales/{run.sale['sale_id']}"
    refund = [{"method": "card", "amount_eur": run.sale["price_eur"]}]
    expect_refused(cloud, "POST", f"{sale}/cancellation", "pos", {"reason": refused("sales"), "refunds": refund},
                   "reason")
    cloud.expect(200, "POST", f"{sale}/handover", "pos", {"handed_over_on": clock.today().isoformat()})
    expect_refused(cloud, "POST", f"{sale}/warranty-claims", "pos",
                   {"fault_category": "screen", "note": refused("sales")}, "note")
    cloud.expect(201, "POST", f"{sale}/warranty-claims", "pos",
                 {"fault_category": "screen", "note": accepted("sales", "l'écran clignote")})

    # allocation: a referral withdrawn, and a release refused for what it says
    referral = cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"PD-{uuid.uuid4().hex[:8]}", "category": "student", "territory": "35",
        "eligibility_proof_ref": "attestation-2026-12", "needs": {"requirements": {"min_ram_gb": 256}}})  # nothing matches: it waits
    withdraw = f"/allocation/referrals/{referral['referral_id']}/cancellation"
    expect_refused(cloud, "POST", withdraw, "referrer", {"reason": refused("allocation")}, "reason")
    cloud.expect(200, "POST", withdraw, "referrer", {"reason": accepted("allocation", "autre ordinateur trouvé")})
    reservation_id = cloud.expect(200, "GET", f"/allocation/referrals/{run.referral_id}", "referrer")["reservation_id"]
    expect_refused(cloud, "POST", f"/allocation/reservations/{reservation_id}/release", "referrer",
                   {"reason": refused("allocation")}, "reason")

    # every event of the run has been consumed
    def timeline(device_id: str) -> list[str]:
        return [s["event_type"] for s in cloud.expect(200, "GET", f"/intake/devices/{device_id}/timeline",
                                                      "admin")["items"]]

    eventually(lambda: "DeviceScrapped" in timeline(received["device_id"]), "the scrap in intake's timeline")
    eventually(lambda: "WarrantyClaimOpened" in timeline(run.device_id), "the claim in intake's timeline")
    eventually(lambda: cloud.expect(200, "GET", f"/refurb/work-orders/{run.device_id}", "admin")["status"]
               == "awaiting_repair", "refurb reopening the sold device for the claim")

    # each accepted note is in its own service's table, and in no other
    tables = {service: scan(cloud, service) for service in TABLES}
    for service, surname in SURNAME.items():
        holders = sorted(s for s, text in tables.items() if surname in text)
        assert holders == [service], f"{surname}'s note ({service}) is in the tables of {holders}"

    # and no name reached any function's log, accepted or refused
    logs = cloud.function_logs()
    assert sum(1 for lines in logs.values() if any("invocation finished" in line for line in lines)) >= 12
    assert any(run.device_id in line for lines in logs.values() for line in lines)  # the logs were read
    leaks = {name: [line for line in lines if FIRST_NAME in line or any(s in line for s in SURNAME.values())]
             for name, lines in logs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
