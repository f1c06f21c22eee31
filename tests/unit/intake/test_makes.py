"""One device is registered once, however its make is spelt: the serial guard compares makes in
their normal form, and a serial repeated in one file under another make waits for a person."""

from __future__ import annotations

import pytest

from intake.domain.devices import natural_key
from intake.domain.inventory import read_inventory
from intake.domain.makes import normal_make
from intake.handlers import api
from tests.unit.intake.conftest import queued_messages, run_worker
from tests.unit.intake.test_api import device
from tests.unit.intake.test_imports import devices, upload
from tests.unit.intake.test_inventory import csv_file, row
from tests.unit.support import call


@pytest.mark.parametrize("spellings, name", [
    (["HP", "hp", "Hewlett-Packard", "HEWLETT PACKARD", "Hewlett-Packard Company", "HP Inc.", "H.P."], "HP"),
    (["Dell", "DELL", "Dell Inc.", "Dell Computer Corporation", " dell  inc "], "DELL"),
    (["Lenovo", "LENOVO", "Lenovo Group Limited", "Lenovo (France) SAS"], "LENOVO"),
    (["Apple", "Apple Inc.", "Apple Computer, Inc."], "APPLE"),
    (["Acer", "Acer Inc.", "Acer Incorporated"], "ACER"),
    (["ASUS", "Asus", "ASUSTeK COMPUTER INC.", "AsusTek Computer"], "ASUS"),
    (["Toshiba", "TOSHIBA", "Toshiba Corporation", "Dynabook", "Dynabook Inc."], "TOSHIBA"),
    (["Fujitsu", "FUJITSU", "Fujitsu Siemens Computers", "Fujitsu Technology Solutions GmbH"], "FUJITSU"),
    (["Samsung", "SAMSUNG ELECTRONICS CO., LTD.", "Samsung Electronics"], "SAMSUNG"),
    (["Microsoft", "Microsoft Corporation"], "MICROSOFT"),
    (["MSI", "Micro-Star International Co., Ltd.", "Micro Star"], "MSI"),
])
def test_every_spelling_of_a_known_maker_is_one_make(spellings, name):
    assert {normal_make(spelling) for spelling in spellings} == {name}
    assert len({natural_key(spelling, "5CG 8231 xyz") for spelling in spellings}) == 1


def test_an_unknown_make_is_normalised_by_case_and_spaces_only():
    assert normal_make("  Terra   Mobile ") == normal_make("terra mobile") == "TERRA MOBILE"
    # its suffix is kept: nothing says 'Foo' and 'Foo Inc.' are one maker
    assert normal_make("Wortmann AG") != normal_make("Wortmann")
    # a suffix alone is a name, not nothing
    assert normal_make("Computer") == "COMPUTER"


def test_known_makers_stay_apart():
    names = ["HP", "Dell", "Lenovo", "Apple", "Acer", "Asus", "Toshiba", "Fujitsu", "Samsung", "Microsoft", "MSI"]
    assert len({normal_make(name) for name in names}) == len(names)
    assert normal_make("Hewlett Packard Enterprise") != normal_make("HP")  # servers, another company


def test_the_serial_guard_refuses_a_device_registered_under_another_spelling(lot_id):
    first = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                 device("5CG8231XYZ", make="Hewlett-Packard"))
    again = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device("5cg8231xyz", make="HP Inc."))

    assert first.status == 201, first.body
    assert again.status == 409, again.body
    assert first.body["make"] == "Hewlett-Packard"  # kept as typed for display


def test_within_a_file_another_spelling_is_a_duplicate_and_another_make_is_suspected():
    parsed = read_inventory(csv_file([
        row("5CG0001", "HP"), row("5CG0001", "Hewlett-Packard"), row("CN0XYZ1", "Dell Inc."),
        row("CN0XYZ1", "DELL"), row("5CG0001", "Lenovo"), row("PF1ABC", "Lenovo")]), specs_required=True)

    assert [r.row for r in parsed.accepted] == [2, 4, 7]
    reasons = {r.row: r.reason for r in parsed.rejected}
    assert reasons[3] == "serial 5CG0001 (Hewlett-Packard) duplicates row 2"
    assert reasons[5] == "serial CN0XYZ1 (DELL) duplicates row 4"
    assert reasons[6].startswith("suspected duplicate: serial 5CG0001 (Lenovo) is on row 2 under make HP")


def test_an_import_after_a_registration_under_another_spelling_registers_nothing_twice(
        lot_id, dynamodb, sqs, import_queue):
    assert call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                device("CN0XYZ1", make="DELL")).status == 201

    job = upload(lot_id, csv_file([row("CN0XYZ1", "Dell Inc."), row("5CG0001", "HP"),
                                   row("5CG0001", "Samsung")])).body
    assert run_worker(queued_messages(sqs, import_queue)) == []

    assert job["counts"]["accepted"] == 1
    assert [(r["row"], r["reason"].split(":")[0]) for r in job["rejected_rows"]] == [
        (2, "serial CN0XYZ1 (Dell Inc.) is already registered (received in this lot)"),
        (4, "suspected duplicate")]
    assert sorted(d["serial_number"] for d in devices(dynamodb)) == ["5CG0001", "CN0XYZ1"]
