"""A beneficiary's erasure on the local cloud: refer, reserve, sell and hand over, then the referring
partner erases the person. Allocation no longer holds the reference, sales no longer links the sale
to the referral or the category, and every figure still counts the device as sold and handed over.
The retention jobs are deployed and run (invoked directly: their schedule is daily)."""

from __future__ import annotations

import json

import pytest
from boto3.dynamodb.types import TypeDeserializer

from shared import clock
from devtools import thin_path
from shared.packed import unpack
from tests.localcloud.cloud import LocalCloud, eventually

PATIENCE = 60.0
_deserializer = TypeDeserializer()


def sales_reservation(cloud: LocalCloud, device_id: str, reservation_id: str) -> dict:
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.outputs["SalesTableName"], ConsistentRead=True,
        Key={"pk": {"S": f"DEVICE#{device_id}"}, "sk": {"S": f"RESERVATION#{reservation_id}"}})["Item"]
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def allocation_items_naming(cloud: LocalCloud, text: str) -> list[dict]:
    items = cloud.client("dynamodb").scan(TableName=cloud.outputs["AllocationTableName"])["Items"]
    # A reservation's explanation is stored compressed (shared/packed.py): read it opened.
    opened = [unpack({k: _deserializer.deserialize(v) for k, v in i.items()}) for i in items]
    return [i for i in opened if text in json.dumps(i, default=str)]


def figures(cloud: LocalCloud) -> dict:
    return cloud.expect(200, "GET", f"/sales/figures?since={clock.today().isoformat()}", "admin")


@pytest.mark.usefixtures("thin_path_workshop_restored")
def test_an_erased_beneficiary_is_no_longer_linked_to_the_sale_and_the_figures_do_not_move(local_cloud: LocalCloud):
    cloud = local_cloud
    run = thin_path.run(cloud)
    sale_id, reservation_id = run.sale["sale_id"], run.sale["reservation_id"]
    cloud.expect(200, "POST", f"/sales/sales/{sale_id}/handover", "pos", {"handed_over_on": clock.today().isoformat()})
    referral = cloud.expect(200, "GET", f"/allocation/referrals/{run.referral_id}", "referrer")
    ref = referral["beneficiary_ref"]
    lot_id = cloud.expect(200, "GET", f"/intake/devices/{run.device_id}", "donor")["lot_id"]
    impact_path = f"/intake/lots/{lot_id}/documents/impact-report"
    impact_before = eventually(
        lambda: (body := cloud.expect(200, "GET", impact_path, "donor"))["outcomes"]["reused"] == 1 and body,
        what="intake counting the device as handed over", timeout=PATIENCE)
    figures_before = figures(cloud)
    assert sales_reservation(cloud, run.device_id, reservation_id)["referral_id"] == run.referral_id

    # another referral partner gets exactly what an unknown reference gets
    other = cloud.call("DELETE", f"/allocation/beneficiaries/{ref}", "referrer-44")
    unknown = cloud.call("DELETE", "/allocation/beneficiaries/FT-never-referred", "referrer")
    assert (other.status_code, other.json()) == (unknown.status_code, unknown.json())
    assert other.status_code == 404

    erased = cloud.call("DELETE", f"/allocation/beneficiaries/{ref}", "referrer")

    assert erased.status_code == 200, erased.text
    assert erased.json() == {"erased": {"referrals_forgotten": 1, "open_referrals_withdrawn": 0,
                                        "reservations_unlinked": 1}}
    kept = cloud.expect(200, "GET", f"/allocation/referrals/{run.referral_id}", "referrer")
    assert (kept["beneficiary_ref"], kept["status"], kept["device_id"]) == (None, "fulfilled", run.device_id)
    assert allocation_items_naming(cloud, ref) == []

    def unlinked() -> dict | None:
        item = sales_reservation(cloud, run.device_id, reservation_id)
        return item if "referral_id" not in item else None

    item = eventually(unlinked, what="sales dropping the reservation's link to the referral", timeout=PATIENCE)
    assert "beneficiary_category" not in item
    sale = cloud.expect(200, "GET", f"/sales/sales/{sale_id}", "admin")
    assert (sale["status"], sale["beneficiary_category"]) == ("handed_over", None)

    figures_after = figures(cloud)
    assert figures_after["overall"] == figures_before["overall"]
    assert figures_after["by_point_of_sale"] == figures_before["by_point_of_sale"]
    impact_after = cloud.expect(200, "GET", impact_path, "donor")
    assert (impact_after["outcomes"], impact_after["people_equipped_total"]) == (
        impact_before["outcomes"], impact_before["people_equipped_total"])
    # the reference is gone: asking again is a 404, as for any unknown reference
    assert cloud.call("DELETE", f"/allocation/beneficiaries/{ref}", "referrer").status_code == 404


def test_the_retention_jobs_are_deployed_and_report_counts(local_cloud: LocalCloud):
    client = local_cloud.client("lambda")
    names = [f["FunctionName"] for page in client.get_paginator("list_functions").paginate()
             for f in page["Functions"]]
    for part in ("AllocationRetention", "SalesRetention"):
        [name] = [n for n in names if part in n]
        response = client.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in response, response["Payload"].read()
        summary = json.loads(response["Payload"].read())
        # 36 months have not passed since anything on this fresh local cloud ended
        assert summary == {"forgotten": 0, "failed": 0}
