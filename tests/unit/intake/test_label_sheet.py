"""A lot's label sheet: the warehouse prints it, sticks each label on its device, and every QR code
opens that device's public passport page. The PDF is drawn as a printer would (PDFium) and every
code on it is read back with a QR decoder (zxing-cpp), as a phone camera would."""

from __future__ import annotations

import base64
import io
from datetime import date, datetime, timezone

import pypdfium2
import pytest
import segno
import zxingcpp
from pypdf import PdfReader

from intake.adapters.label_pdf import dark_runs, qr_matrix
from intake.domain.devices import Device, DeviceStatus
from intake.domain.labels import LABELS_PER_PART, label_sheet, passport_url
from intake.domain.lots import Lot
from intake.handlers import api
from shared.events.vocabulary import Provenance
from tests.unit.intake.conftest import new_serial
from tests.unit.intake.test_api import device
from tests.unit.intake.test_document_routes import fetch
from tests.unit.support import call

API_HOST = "unitapi.execute-api.us-east-1.amazonaws.com"


def received_devices(lot_id: str, count: int) -> list[dict]:
    devices = []
    for _ in range(count):
        response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device(new_serial()))
        assert response.status == 201, response.body
        devices.append(response.body)
    return devices


def pdf_of(response: dict) -> bytes:
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/pdf"
    data = base64.b64decode(response["body"])
    assert data.startswith(b"%PDF-")
    return data


def codes_read_on_each_page(pdf: bytes, dpi: int = 150) -> list[list[str]]:
    """What a QR decoder reads on each page as printed at `dpi`, in reading order (rows, then columns)."""
    pages = []
    for page in pypdfium2.PdfDocument(io.BytesIO(pdf)):
        found = zxingcpp.read_barcodes(page.render(scale=dpi / 72).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
        found.sort(key=lambda code: (round(code.position.top_left.y / 50), code.position.top_left.x))
        # The decoder now and then reports one code twice, at the same place: count each place once
        # (a label printed twice sits elsewhere on the sheet, and is still counted twice).
        places = {}
        for code in found:
            places.setdefault((code.text, round(code.position.top_left.x / 20), round(code.position.top_left.y / 20)), code)
        pages.append([code.text for code in places.values()])
    return pages


def test_every_qr_code_of_a_sheet_of_thirty_opens_its_devices_passport(lot_id):
    devices = received_devices(lot_id, 30)

    pdf = pdf_of(fetch(f"/intake/lots/{lot_id}/documents/labels", "warehouse", query={"format": "pdf"}))

    pages = codes_read_on_each_page(pdf)
    assert [len(page) for page in pages] == [24, 6]  # 24 labels an A4 page: a second page for the last six
    expected = [f"http://{API_HOST}/portal/d/{d['label_code']}" for d in devices]
    assert pages[0] + pages[1] == expected  # in the order the devices were received
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for received in devices:
        assert received["label_code"] in text and received["serial_number"] in text


def test_the_codes_decode_at_the_resolution_of_an_ordinary_office_printer(lot_id):
    received_devices(lot_id, 3)
    pdf = pdf_of(fetch(f"/intake/lots/{lot_id}/documents/labels", "warehouse", query={"format": "pdf"}))
    assert len(codes_read_on_each_page(pdf, dpi=100)[0]) == 3


def test_the_sheet_as_json_lists_what_each_qr_code_encodes(lot_id):
    devices = received_devices(lot_id, 2)

    response = call(api.handler, "GET", f"/intake/lots/{lot_id}/documents/labels", "warehouse")

    assert response.status == 200
    sheet = response.body
    assert (sheet["document_type"], sheet["lot_id"], sheet["part"], sheet["parts"], sheet["label_count"]) == (
        "label_sheet", lot_id, 1, 1, 2)
    assert [(label["label_code"], label["passport_url"], label["serial_number"]) for label in sheet["labels"]] == [
        (d["label_code"], f"http://{API_HOST}/portal/d/{d['label_code']}", d["serial_number"]) for d in devices]


@pytest.mark.parametrize("headers, origin", [
    ({"x-forwarded-proto": "https"}, f"https://{API_HOST}"),  # AWS: API Gateway says https, no port
    ({"host": "127.0.0.1:4566"}, f"http://{API_HOST}:4566"),  # the local cloud called by its path form
    ({"host": f"{API_HOST}:4566"}, f"http://{API_HOST}:4566"),  # the local cloud called by its host form
    ({"host": "127.0.0.1:4566/evil"}, f"http://{API_HOST}"),  # a port that is not one is ignored
])
def test_the_qr_code_names_the_api_that_printed_the_sheet(lot_id, headers, origin):
    code = received_devices(lot_id, 1)[0]["label_code"]
    response = call(api.handler, "GET", f"/intake/lots/{lot_id}/documents/labels", "warehouse", headers=headers)
    assert response.body["labels"][0]["passport_url"] == f"{origin}/portal/d/{code}"


def test_the_warehouse_of_another_territory_and_the_donor_get_no_labels(lot_id):
    received_devices(lot_id, 1)
    path = f"/intake/lots/{lot_id}/documents/labels"
    assert call(api.handler, "GET", path, "warehouse", territory="44").status == 404  # not its lot: not there
    assert call(api.handler, "GET", path, "donor").status == 403
    assert call(api.handler, "GET", path, "admin").status == 200


def test_a_lot_with_no_device_received_has_no_label_to_print(lot_id):
    response = call(api.handler, "GET", f"/intake/lots/{lot_id}/documents/labels", "warehouse")
    assert response.status == 409
    assert response.body["message"] == f"lot {lot_id} has no device received yet: there is no label to print"


def test_a_part_the_lot_does_not_have_is_refused_naming_it(lot_id):
    received_devices(lot_id, 1)
    response = fetch(f"/intake/lots/{lot_id}/documents/labels", "warehouse", query={"part": 2})
    assert response["statusCode"] == 422
    assert "part: lot" in response["body"] and "ask for a part from 1 to 1" in response["body"]


# ── the sheet's composition and drawing, without the API ─────────────────────────────────────

LOT = Lot(lot_id="lot-1", donor_id="donor-1", provenance=Provenance(donor_type="company", territory="35"),
          expected_count=1000, pickup_site="Rennes", declared_at=datetime(2026, 11, 1, tzinfo=timezone.utc))


def a_device(number: int, status: DeviceStatus = DeviceStatus.RECEIVED) -> Device:
    return Device(device_id=f"d-{number}", lot_id="lot-1", donor_id="donor-1", territory="35", status=status,
                  serial_number=f"SN{number:05d}", make="Lenovo", model="ThinkPad T480", device_type="laptop",
                  label_code=None if status is DeviceStatus.DECLARED else f"SV-AAAA-{number:04d}",
                  registered_at=datetime(2026, 11, 2, tzinfo=timezone.utc))


def test_a_large_lot_is_printed_in_parts_that_say_which_of_how_many():
    devices = [a_device(n) for n in range(LABELS_PER_PART + 5)] + [a_device(9999, DeviceStatus.DECLARED)]

    first = label_sheet(LOT, devices, "https://api.example.org", part=1, issued_on=date(2026, 12, 2))
    second = label_sheet(LOT, devices, "https://api.example.org", part=2, issued_on=date(2026, 12, 2))

    assert (first.parts, first.label_count, len(first.labels)) == (2, LABELS_PER_PART + 5, LABELS_PER_PART)
    assert [label.label_code for label in second.labels] == [f"SV-AAAA-{n:04d}" for n in range(LABELS_PER_PART,
                                                                                               LABELS_PER_PART + 5)]
    assert first.document_id != second.document_id


def test_a_rejected_device_has_its_label_and_a_declared_one_has_none_yet():
    devices = [a_device(1, DeviceStatus.REJECTED), a_device(2, DeviceStatus.DECLARED), a_device(3)]
    sheet = label_sheet(LOT, devices, "https://api.example.org", issued_on=date(2026, 12, 2))
    assert [label.label_code for label in sheet.labels] == ["SV-AAAA-0001", "SV-AAAA-0003"]


def test_the_same_lot_printed_twice_is_the_same_sheet():
    devices = [a_device(1), a_device(2)]
    sheet = label_sheet(LOT, devices, "https://api.example.org", issued_on=date(2026, 12, 2))
    assert sheet == label_sheet(LOT, devices, "https://api.example.org", issued_on=date(2026, 12, 2))


def test_the_passport_url_is_under_the_portal():
    assert passport_url("https://api.example.org/", "SV-7K2M-Q9TX") == "https://api.example.org/portal/d/SV-7K2M-Q9TX"


def test_the_rectangles_drawn_cover_exactly_segnos_dark_modules():
    url = "https://api.example.org/portal/d/SV-7K2M-Q9TX"
    matrix = qr_matrix(url)
    drawn = {(row, column) for row, line in enumerate(matrix)
             for start, length in dark_runs(line) for column in range(start, start + length)}
    expected = {(row, column) for row, line in enumerate(segno.make_qr(url, error="m").matrix)
                for column, module in enumerate(line) if module}
    assert drawn == expected
    # one rectangle per run: a run never touches the next one (which would leave a seam between them)
    for line in matrix:
        for start, length in dark_runs(line):
            assert (start == 0 or not line[start - 1]) and (start + length == len(line) or not line[start + length])
