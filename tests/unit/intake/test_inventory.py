"""Reading inventory spreadsheets as départements, schools and the warehouse export them."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from intake.domain import inventory
from intake.domain.inventory import InventoryError, parse_drives, parse_ram_gb, read_inventory
from shared.events.vocabulary import DeviceType

FRENCH_HEADERS = ["N° de série", "Marque", "Modèle", "N° d'inventaire", "Type", "Date d'acquisition",
                  "Processeur", "RAM (Go)", "Stockage", "État visuel"]


def csv_file(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "cp1252", bom: bool = False,
             headers: list[str] | None = None, before: list[str] = (), trailing_blank_lines: int = 0) -> bytes:
    """A spreadsheet export: CRLF lines, cells quoted only when they must be, as Excel writes them."""
    def line(cells: list[str]) -> str:
        return delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c for c in cells)

    lines = list(before) + [line(headers or FRENCH_HEADERS)] + [line(r) for r in rows]
    lines += [delimiter * (len(headers or FRENCH_HEADERS) - 1)] + [""] * trailing_blank_lines
    data = "\r\n".join(lines).encode(encoding)
    return (codecs.BOM_UTF8 + data) if bom else data


def row(serial: str = "5CG8231XYZ", make: str = "HP", model: str = "EliteBook 840 G5", tag: str = "CD35-2019-0412",
        kind: str = "PC portable", acquired: str = "12/09/2019", cpu: str = "Intel Core i5-8250U",
        ram: str = "8", storage: str = "SSD 256 Go", condition: str = "Rayures sur le capot") -> list[str]:
    return [serial, make, model, tag, kind, acquired, cpu, ram, storage, condition]


def reasons(parsed) -> dict[int, str]:
    return {r.row: r.reason for r in parsed.rejected}


def test_a_windows_1252_semicolon_export_with_blank_trailing_lines_is_read_whole():
    data = csv_file([row(), row("CZC4321ABC", "HP", "ProDesk 600 G3", kind="Unité centrale", condition="Écran rayé")],
                    delimiter=";", encoding="cp1252", trailing_blank_lines=3)
    assert "é".encode("cp1252") in data  # really Windows-1252, not UTF-8

    parsed = read_inventory(data, specs_required=True)

    assert (parsed.encoding, parsed.delimiter, parsed.header_row, parsed.rows) == ("cp1252", ";", 1, 2)
    assert parsed.rejected == []
    first, second = (r.device for r in parsed.accepted)
    assert (first.serial_number, first.make, first.model, first.asset_tag) == (
        "5CG8231XYZ", "HP", "EliteBook 840 G5", "CD35-2019-0412")
    assert (first.device_type, first.acquired_on) == (DeviceType.LAPTOP, date(2019, 9, 12))
    assert (first.specs.cpu_model, first.specs.ram_gb, [(d.kind, d.size_gb) for d in first.specs.drives]) == (
        "Intel Core i5-8250U", 8, [("ssd", 256)])
    assert (second.device_type, second.visible_condition) == (DeviceType.DESKTOP, "Écran rayé")
    assert [r.row for r in parsed.accepted] == [2, 3]


def test_a_utf8_export_with_a_bom_and_commas_is_read_with_its_quoted_cells():
    headers = ["Numéro de série", "Marque", "Modèle", "Type", "Date d'acquisition", "RAM", "Stockage", "Observations"]
    data = csv_file([["PF1ABCDE", "Lenovo", "ThinkPad T480", "Ordinateur portable", "03/01/2018", "16 Go",
                      "NVMe 512 Go", "Clavier usé, charnière fragile"]],
                    delimiter=",", encoding="utf-8", bom=True, headers=headers)
    assert data.startswith(codecs.BOM_UTF8)

    parsed = read_inventory(data, specs_required=True)

    assert (parsed.encoding, parsed.delimiter) == ("utf-8-sig", ",")
    assert parsed.columns["serial_number"] == "Numéro de série"  # the BOM does not hide the first header
    [accepted] = parsed.accepted
    assert accepted.device.visible_condition == "Clavier usé, charnière fragile"
    assert (accepted.device.specs.ram_gb, accepted.device.specs.drives[0].kind) == (16, "nvme")


def test_a_tab_separated_utf8_export_without_bom_is_read():
    data = csv_file([row()], delimiter="\t", encoding="utf-8")
    parsed = read_inventory(data, specs_required=True)
    assert (parsed.encoding, parsed.delimiter, len(parsed.accepted)) == ("utf-8", "\t", 1)


def test_a_title_above_the_headers_is_skipped_and_rows_keep_their_spreadsheet_numbers():
    data = csv_file([row("A1"), ["", "", "", "", "", "", "", "", "", ""], row("A2")],
                    before=["Inventaire des postes réformés 2026;;;;;;;;;", ";;;;;;;;;"])
    parsed = read_inventory(data, specs_required=True)
    assert parsed.header_row == 3
    assert [r.row for r in parsed.accepted] == [4, 6]  # the blank row 5 is neither a device nor a rejection
    assert parsed.rows == 2


@pytest.mark.parametrize("header, field", [
    ("N° de série", "serial_number"), ("Numéro de série", "serial_number"), ("No série", "serial_number"),
    ("Nº de série", "serial_number"), ("N° série", "serial_number"), ("Serial number", "serial_number"),
    ("S/N", "serial_number"), ("Marque", "make"), ("Fabricant", "make"), ("Modèle", "model"), ("MODELE", "model"),
    ("N° d'inventaire", "asset_tag"), ("Numéro d’inventaire", "asset_tag"), ("N° inventaire", "asset_tag"),
    ("Type", "device_type"), ("Type de matériel", "device_type"), ("Date d'acquisition", "acquired_on"),
    ("Date d’achat", "acquired_on"), ("RAM (Go)", "ram_gb"), ("Mémoire vive (Go)", "ram_gb"),
    ("Stockage", "storage"), ("Disque dur", "storage"), ("État", "visible_condition"), ("Service", None),
])
def test_header_spellings_map_to_device_fields(header, field):
    assert inventory.field_of_header(header) == field


@pytest.mark.parametrize("word, device_type", [
    ("PC portable", "laptop"), ("Ordinateur portable", "laptop"), ("Portable", "laptop"), ("Laptop", "laptop"),
    ("Unité centrale", "desktop"), ("PC fixe", "desktop"), ("UC", "desktop"), ("Tout-en-un", "desktop"),
    ("Tablette", "tablet"), ("iPad", "tablet"), ("Téléphone portable", "phone"), ("Smartphone", "phone"),
])
def test_device_types_are_read_in_french_and_english(word, device_type):
    [accepted] = read_inventory(csv_file([row(kind=word)]), specs_required=True).accepted
    assert accepted.device.device_type == device_type


def test_a_serial_repeated_in_the_file_is_rejected_naming_the_first_row():
    data = csv_file([row("5CG8231XYZ", "HP"), row("R90ABCD", "Lenovo"), row(" 5cg 8231xyz ", "hp"),
                     row("5CG8231XYZ", "Dell"), row("5CG8231XYZ", "HP")])

    parsed = read_inventory(data, specs_required=True)

    assert [r.row for r in parsed.accepted] == [2, 3]
    assert reasons(parsed) == {
        4: "serial 5cg8231xyz (hp) duplicates row 2",
        # the same serial under another make: for a person to confirm, not registered on its own
        5: "suspected duplicate: serial 5CG8231XYZ (Dell) is on row 2 under make HP; check the device, and "
           "register it on its own if it is another one",
        6: "serial 5CG8231XYZ (HP) duplicates row 2"}


def test_each_bad_row_is_rejected_with_its_reason_and_the_others_are_kept():
    data = csv_file([
        row(serial=""),
        row(serial="X1", kind="Imprimante"),
        row(serial="X2", kind=""),
        row(serial="X3", make=""),
        row(serial="X4", acquired="31/02/2019"),
        row(serial="X5", acquired="12/09/2999"),
        row(serial="X6", ram=""),
        row(serial="X7", storage="gros disque"),
        row(serial="X8", ram="beaucoup"),
        row(serial="X" * 65),
        row(serial="OK1"),
    ])

    parsed = read_inventory(data, specs_required=True)

    assert [r.device.serial_number for r in parsed.accepted] == ["OK1"]
    assert reasons(parsed) == {
        2: "missing serial number",
        3: "unknown device type 'Imprimante' (expected laptop, desktop, tablet or phone, e.g. 'PC portable', "
           "'Unité centrale')",
        4: "missing device type",
        5: "missing make",
        6: "invalid acquisition date '31/02/2019' (expected dd/mm/yyyy)",
        7: "acquisition date 12/09/2999 is in the future",
        8: "missing RAM",
        9: "invalid storage 'gros disque' (expected e.g. 'SSD 256 Go' or 'HDD 500 Go + SSD 128 Go')",
        10: "invalid RAM 'beaucoup' (expected e.g. '8 Go')",
        11: "serial_number: String should have at most 64 characters",
    }
    assert parsed.rejected[1].serial_number == "X1"


def test_a_donor_declaration_may_leave_out_ram_and_storage():
    headers = ["N° de série", "Marque", "Modèle", "N° d'inventaire", "Type", "Date d'acquisition"]
    data = csv_file([["5CG1", "HP", "EliteBook 840 G5", "CD35-1", "PC portable", "12/09/2019"]], headers=headers)

    [accepted] = read_inventory(data, specs_required=False).accepted

    assert accepted.device.specs is None
    with pytest.raises(InventoryError, match=r"^missing column\(s\): RAM \('RAM \(Go\)', 'Mémoire'\), storage"):
        read_inventory(data, specs_required=True)


@pytest.mark.parametrize("headers, message", [
    (["Marque", "Modèle", "Type"], "no header row naming the serial number"),
    (["N° de série", "Modèle", "Type", "RAM", "Stockage"], "missing column(s): make ('Marque'); columns found: "
                                                           "'N° de série', 'Modèle', 'Type', 'RAM', 'Stockage'"),
    (["N° de série", "Numéro de série", "Marque", "Modèle", "Type"], "two columns give the serial number"),
])
def test_a_file_without_the_columns_it_needs_is_refused_whole(headers, message):
    data = csv_file([["x"] * len(headers)], headers=headers)
    with pytest.raises(InventoryError) as refused:
        read_inventory(data, specs_required=False)
    assert message in str(refused.value)


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b"\r\n\r\n", "the file is empty"),
    ("N° de série;Marque;Modèle;Type\r\n;;;\r\n".encode("cp1252"), "the file has a header row but no device row"),
    (b"N\xb0 de s\xe9rie;Marque\r\n\x81\x8d\xff\xfe;x\r\n", "neither UTF-8 nor Windows-1252"),
])
def test_an_unreadable_file_is_refused_whole(data, message):
    with pytest.raises(InventoryError, match=message):
        read_inventory(data, specs_required=False)


def test_a_file_above_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(inventory, "MAX_ROWS", 3)
    with pytest.raises(InventoryError, match="the file has 4 rows; at most 3 per import: split it"):
        read_inventory(csv_file([row(f"S{n}") for n in range(4)]), specs_required=True)


@pytest.mark.parametrize("text, drives", [
    ("SSD 256 Go", [("ssd", 256)]),
    ("256Go SSD", [("ssd", 256)]),
    ("HDD 500 Go + SSD 128 Go", [("hdd", 500), ("ssd", 128)]),
    ("NVMe 512", [("nvme", 512)]),
    ("1 To HDD", [("hdd", 1000)]),
    ("SSD M.2 256 Go", [("ssd", 256)]),
    ("eMMC 64 Go", [("ssd", 64)]),
    ("256 Go", None),  # the kind matters for grading: never guessed
    ("SSD", None),
])
def test_storage_cells_become_drives(text, drives):
    parsed = parse_drives(text)
    assert (None if parsed is None else [(d.kind, d.size_gb) for d in parsed]) == drives


@pytest.mark.parametrize("text, ram_gb", [("8", 8), ("8 Go", 8), ("16GB DDR4", 16), ("4096 Mo", 4), ("0,5 Go", None),
                                          ("huit", None)])
def test_ram_cells_become_gigabytes(text, ram_gb):
    assert parse_ram_gb(text) == ram_gb


def test_a_row_whose_condition_names_or_locates_a_person_is_rejected_saying_why():
    data = csv_file([row("5CG0000001", condition="Rayures sur le capot"),
                     row("5CG0000002", condition="affecté à Mme Leroy, bureau 12"),
                     row("5CG0000003", condition="à reprendre au 3 place de la Mairie"),
                     row("5CG0000004", cpu="Intel Core i5-8250U", model="Latitude 5490 (Mme Leroy)")])

    parsed = read_inventory(data, specs_required=True)

    assert [r.row for r in parsed.accepted] == [2]
    assert reasons(parsed) == {
        3: "visible_condition: looks like personal data (a person's name): describe the device's condition, "
           "not a person",
        4: "visible_condition: looks like personal data (a postal address): describe the device's condition, "
           "not a person",
        5: "model: looks like personal data (a person's name): give the maker's designation, nothing about a person",
    }
