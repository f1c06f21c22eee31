"""Intake over the local cloud: a département's year of retirement imported in one file, each
accepted device reaching refurb through events; the import command; the public passport."""

from __future__ import annotations

import io
import uuid

import requests

from devtools import thin_path
from devtools.import_inventory import Importer
from devtools.inventory_files import departement_inventory
from tests.localcloud.cloud import LocalCloud, eventually

SPECS = {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}
ALREADY_REGISTERED = 5


def declare_lot(cloud: LocalCloud, expected: int) -> str:
    thin_path.register_donor(cloud)
    return cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": expected, "pickup_site": "Rennes"})[
        "lot_id"]


def all_pages(cloud: LocalCloud, path: str, items: str, key: str = "warehouse") -> list[dict]:
    found, cursor = [], None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = cloud.http.get(cloud.base_url + path, params=params, timeout=30,
                              headers={"Authorization": f"Bearer dev-{key}-key"})
        assert page.status_code == 200, page.text
        found += page.json()[items]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return found


def work_orders_in_refurb(cloud: LocalCloud) -> set[str]:
    """Device ids with a work order, read in refurb's own table."""
    dynamodb, ids = cloud.client("dynamodb"), set()
    kwargs = {"TableName": cloud.outputs["RefurbTableName"], "ProjectionExpression": "pk",
              "FilterExpression": "begins_with(pk, :p)", "ExpressionAttributeValues": {":p": {"S": "WORKORDER#"}}}
    while True:
        page = dynamodb.scan(**kwargs)
        ids |= {item["pk"]["S"].removeprefix("WORKORDER#") for item in page["Items"]}
        if "LastEvaluatedKey" not in page:
            return ids
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_year_of_retirement_in_one_file_opens_a_work_order_for_every_accepted_device(local_cloud: LocalCloud):
    lot_id, elsewhere = declare_lot(local_cloud, 3800), declare_lot(local_cloud, ALREADY_REGISTERED)
    inventory = departement_inventory(3800, run_tag=uuid.uuid4().hex[:2].upper())
    # a few of the file's devices were already received in another lot: the import must refuse them
    for row, make, serial in inventory.accepted_devices[:ALREADY_REGISTERED]:
        local_cloud.expect(201, "POST", f"/intake/lots/{elsewhere}/devices", "warehouse", {
            "serial_number": serial, "make": make, "model": "EliteBook 840 G5", "device_type": "laptop", "specs": SPECS})
        inventory.rejected_rows[row] = f"serial {serial} ({make}) is already registered"
    expected_accepted = 3800 - len(inventory.rejected_rows)
    importer = Importer(local_cloud.base_url, "dev-warehouse-key", out=io.StringIO())

    job = importer.upload(inventory.content, lot_id)

    assert (job["status"], job["file"]["encoding"], job["file"]["delimiter"]) == ("queued", "cp1252", ";")
    assert job["counts"] == {"rows": 3800, "accepted": expected_accepted, "rejected": 55, "registered": 0,
                             "pending": expected_accepted}
    rejected = {r["row"]: r["reason"] for r in all_pages(local_cloud, f"/intake/imports/{job['import_id']}",
                                                          "rejected_rows")}
    assert set(rejected) == set(inventory.rejected_rows)
    assert all(rejected[row].startswith(reason) for row, reason in inventory.rejected_rows.items())

    done = eventually(lambda: (r := importer.report(job["import_id"]))["status"] == "done" and r,
                      "the import's end", timeout=900, interval=2)
    assert done["counts"] == {"rows": 3800, "accepted": expected_accepted, "rejected": 55,
                              "registered": expected_accepted, "pending": 0}
    devices = all_pages(local_cloud, f"/intake/lots/{lot_id}/devices", "items")
    assert len(devices) == expected_accepted and {d["status"] for d in devices} == {"received"}
    expected_serials = {serial for _, _, serial in inventory.accepted_devices[ALREADY_REGISTERED:]}
    assert {d["serial_number"] for d in devices} == expected_serials
    device_ids = {d["device_id"] for d in devices}

    eventually(lambda: device_ids <= work_orders_in_refurb(local_cloud),
               "a work order in refurb for every imported device", timeout=1200, interval=3)
    for device_id in sorted(device_ids)[:3]:  # and refurb's own API agrees
        assert local_cloud.call("GET", f"/refurb/work-orders/{device_id}", "admin").status_code == 200

    again = importer.upload(inventory.content, lot_id)
    assert (again["import_id"], again["status"], again["counts"]) == (job["import_id"], "done", done["counts"])
    assert len(all_pages(local_cloud, f"/intake/lots/{lot_id}/devices", "items")) == expected_accepted


def test_the_import_command_sends_a_utf8_file_with_a_bom_and_reports_its_rows(local_cloud: LocalCloud, tmp_path):
    lot_id = declare_lot(local_cloud, 60)
    inventory = departement_inventory(60, run_tag=uuid.uuid4().hex[:2].upper(), dialect="utf-8-bom,",
                                      duplicates=2, missing_serials=1, unknown_types=1)
    path = tmp_path / "inventaire-colleges.csv"
    path.write_bytes(inventory.content)
    out = io.StringIO()

    status = Importer(local_cloud.base_url, "dev-warehouse-key", out=out, interval=1).run(path, lot_id, timeout=300)

    assert status == 0, out.getvalue()
    text = out.getvalue()
    assert "utf-8-sig, separator ','" in text and "60 rows checked" in text
    assert "100% 60/60 rows · 56 registered · 4 rejected · done" in text
    lines = text.splitlines()
    assert "4 rejected row(s):" in lines
    for row, reason in inventory.rejected_rows.items():
        assert any(line.startswith(f"  row {row}: {reason}") for line in lines), (row, reason)


def test_anyone_reads_a_passport_by_its_label_without_a_key(local_cloud: LocalCloud):
    lot_id = declare_lot(local_cloud, 1)
    device = local_cloud.expect(201, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", {
        "serial_number": f"PF{uuid.uuid4().hex[:8]}", "make": "Lenovo", "model": "ThinkPad T480",
        "device_type": "laptop", "specs": SPECS})

    passport = requests.get(f"{local_cloud.base_url}/intake/passport/{device['label_code']}", timeout=30)

    assert passport.status_code == 200, passport.text
    assert passport.json() == {"label_code": device["label_code"], "make": "Lenovo", "model": "ThinkPad T480",
                               "device_type": "laptop", "grade": None, "erasure_done": False,
                               "erasure": None, "outcome": "in_progress"}
    assert requests.get(f"{local_cloud.base_url}/intake/passport/SV-0000-0000", timeout=30).status_code == 404
    # the rest of intake still needs a key
    assert requests.get(f"{local_cloud.base_url}/intake/devices/{device['device_id']}", timeout=30).status_code == 401


def test_a_file_that_cannot_be_read_is_refused_over_http_with_the_reason(local_cloud: LocalCloud):
    lot_id = declare_lot(local_cloud, 1)
    response = requests.post(f"{local_cloud.base_url}/intake/lots/{lot_id}/imports", timeout=30,
                             data="Marque;Modèle\r\nHP;EliteBook\r\n".encode("cp1252"),
                             headers={"Authorization": "Bearer dev-warehouse-key",
                                      "Content-Type": "application/octet-stream"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("file: no header row naming the serial number")


def test_a_file_spelling_a_make_another_way_registers_no_device_twice(local_cloud: LocalCloud):
    lot_id, elsewhere = declare_lot(local_cloud, 4), declare_lot(local_cloud, 1)
    tag = uuid.uuid4().hex[:6].upper()
    hp, dell = f"5CG{tag}", f"CN0{tag}"
    local_cloud.expect(201, "POST", f"/intake/lots/{elsewhere}/devices", "warehouse", {
        "serial_number": dell, "make": "DELL", "model": "Latitude 5490", "device_type": "laptop", "specs": SPECS})
    rows = [(hp, "HP"), (hp.lower(), "Hewlett-Packard"), (hp, "Lenovo"), (dell, "Dell Inc.")]
    content = "\r\n".join(["N° de série;Marque;Modèle;Type;RAM (Go);Stockage"]
                          + [f"{serial};{make};EliteBook 840 G5;PC portable;8;SSD 256 Go" for serial, make in rows])
    importer = Importer(local_cloud.base_url, "dev-warehouse-key", out=io.StringIO())

    job = importer.upload(content.encode("utf-8"), lot_id)
    done = eventually(lambda: (r := importer.report(job["import_id"]))["status"] == "done" and r, "the import's end")

    assert done["counts"]["registered"] == 1
    reasons = {r["row"]: r["reason"] for r in done["rejected_rows"]}
    assert reasons[3] == f"serial {hp.lower()} (Hewlett-Packard) duplicates row 2"
    assert reasons[4].startswith(f"suspected duplicate: serial {hp} (Lenovo) is on row 2 under make HP")
    assert reasons[5].startswith(f"serial {dell} (Dell Inc.) is already registered")
    devices = all_pages(local_cloud, f"/intake/lots/{lot_id}/devices", "items")
    assert [(d["serial_number"], d["make"]) for d in devices] == [(hp, "HP")]
