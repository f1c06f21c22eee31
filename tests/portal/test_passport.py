"""The device passport and the label sheet, in a real browser against the local cloud.

Anyone who scans a label opens the device's passport without logging in: the address is read from
the QR code of the label sheet the warehouse downloads, as a phone camera would read it. The device
is taken through diagnosis and erasure only, so that it never reaches allocation's pool of ready
devices, where another test's referral could take it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from devtools import thin_path
from tests.localcloud.cloud import LocalCloud, eventually

PATIENCE = 60.0  # seconds for an event to cross the bus, a queue and a consumer on 2 shared cores
DRIVE = "NV-PASSPORT"


def qr_codes_of(pdf: bytes) -> list[str]:
    """What a QR decoder reads on the sheet's pages, printed at 150 dpi."""
    return [code.text for page in pypdfium2.PdfDocument(pdf)
            for code in zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())]


def erase(cloud: LocalCloud, device_id: str) -> None:
    """The workshop's first two steps: diagnosis, then the erasure of the device's one drive."""
    order = f"/refurb/work-orders/{device_id}"
    eventually(lambda: cloud.call("GET", order, "workshop").ok, "the work order opening in refurb", timeout=PATIENCE)
    cloud.expect(200, "POST", f"{order}/diagnosis", "workshop", {
        "cpu_score": 6100, "battery_health_pct": 84, "keyboard_layout": "fr-azerty",
        "screen": "works", "keyboard": "works", "trackpad": "works", "webcam": "works", "audio": "works",
        "ports": "works", "charger": "works",
        "drives": [{"serial_number": DRIVE, "kind": "ssd", "size_gb": 256, "smart_status": "passed"}],
    })
    cloud.expect(200, "POST", f"{order}/erasure", "workshop", {"drives": [{
        "drive_serial": DRIVE, "level": "purge", "technique": "ata_secure_erase", "tool": "hdparm 9.65",
        "operator": "tech-07", "passed": True, "completed_at": "2026-11-20T09:30:00Z",
    }]})


def lot_row(page, site: str):
    """The row of the lot collected at `site`, asking for the next lots until it shows."""
    row = page.get_by_role("row").filter(has_text=site)
    more = page.get_by_role("button", name="Afficher la suite")
    expect(page.locator("#lots-loading")).to_have_count(0)
    while not row.is_visible() and more.is_visible():
        more.click()
        page.wait_for_load_state("networkidle")
    expect(row).to_be_visible()
    return row


@pytest.fixture(scope="module")
def lot(local_cloud: LocalCloud) -> dict:
    """A lot of the dev donor (territory 35): two devices received, the first one erased, and a third
    rejected at reception (it goes to recycling, and keeps its label)."""
    cloud = local_cloud
    cloud.expect(200, "PUT", "/refurb/workshops/workshop-rennes", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    thin_path.register_donor(cloud)
    site = f"Collège Anne de Bretagne {uuid.uuid4().hex[:6]}"
    lot_id = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 2, "pickup_site": site})["lot_id"]
    devices = [cloud.expect(201, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", {
        "serial_number": f"PF{uuid.uuid4().hex[:8].upper()}", "make": "Lenovo", "model": "ThinkPad T480",
        "device_type": "laptop", "specs": {"cpu_model": "i5-8350U", "ram_gb": 8,
                                           "drives": [{"kind": "ssd", "size_gb": 256}]}}) for _ in range(2)]
    devices.append(cloud.expect(201, "POST", f"/intake/lots/{lot_id}/rejections", "warehouse", {
        "serial_number": f"PF{uuid.uuid4().hex[:8].upper()}", "make": "Dell", "model": "Latitude E6410",
        "device_type": "laptop", "reason": "obsolete"}))
    erase(cloud, devices[0]["device_id"])
    eventually(lambda: cloud.expect(200, "GET", f"/intake/passport/{devices[0]['label_code']}", None)["erasure_done"],
               "ErasureCertified reaching intake", timeout=PATIENCE, interval=0.3)
    return {"lot_id": lot_id, "site": site, "devices": devices}


def test_anyone_opens_the_passport_from_the_qr_code_of_the_label(local_cloud, lot, page, portal,
                                                                 check_accessibility, screenshot):
    sheet = local_cloud.call("GET", f"/intake/lots/{lot['lot_id']}/documents/labels?format=pdf", "warehouse")
    assert sheet.status_code == 200, sheet.text
    erased = lot["devices"][0]
    url = next(text for text in qr_codes_of(sheet.content) if text.endswith(erased["label_code"]))
    assert url == f"{portal}/d/{erased['label_code']}"

    page.goto(url)  # no login: a visitor with a phone

    expect(page).to_have_title("Passeport de l'appareil — Seconde Vie")
    passport = page.locator("#passport")
    expect(passport.get_by_role("heading", name=f"Étiquette {erased['label_code']}")).to_be_visible()
    expect(page.locator("#passport-device")).to_have_text("Lenovo ThinkPad T480 (ordinateur portable)")
    expect(page.locator("#passport-erasure")).to_have_text(
        "Oui, terminé le 20 novembre 2026, selon la norme NIST SP 800-88 (purge).")
    expect(page.locator("#passport-grade")).to_have_text(
        "Pas encore évalué : l'appareil est en cours de reconditionnement.")
    expect(page.locator("#passport-outcome")).to_have_text("En cours de reconditionnement dans un atelier.")
    text = page.locator("main").inner_text()
    assert erased["serial_number"] not in text and "donor-departement-35" not in text  # nothing about anyone
    expect(page.locator("#sv-session")).to_be_hidden()  # nobody is logged in, and nothing asked them to
    check_accessibility(page, "passport")
    screenshot(page, "passport")

    page.set_viewport_size({"width": 360, "height": 780})  # a small phone: nothing wider than the screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    expect(page.locator("#passport-outcome")).to_be_visible()


def test_an_unknown_label_says_so_and_another_code_can_be_typed(lot, page, portal, check_accessibility, screenshot):
    page.goto(f"{portal}/d/SV-0000-0000")

    expect(page.get_by_role("heading", level=1)).to_have_text("Étiquette inconnue")
    expect(page).to_have_title("Étiquette inconnue — Seconde Vie")
    expect(page.locator("#passport-unknown-text")).to_contain_text("Aucun appareil ne porte l'étiquette « SV-0000-0000 »")
    expect(page.locator("#passport")).to_be_hidden()
    check_accessibility(page, "passport-unknown")
    screenshot(page, "passport-unknown")

    # the code as a person copies it from the label, with the keyboard alone
    known = lot["devices"][1]["label_code"]
    page.get_by_label("Code de l'étiquette").fill(known.lower().replace("-", " "))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{portal}/d/{known.lower()}")
    expect(page.locator("#passport-code")).to_have_text(f"Étiquette {known}")
    expect(page.locator("#passport-erasure")).to_have_text(
        "Pas encore : les données seront effacées pendant le reconditionnement, avant toute remise.")


def test_a_device_rejected_at_reception_says_it_went_to_recycling(local_cloud, lot, page, portal):
    rejected = lot["devices"][2]
    eventually(lambda: local_cloud.expect(200, "GET", f"/intake/passport/{rejected['label_code']}", None)
               ["outcome"] == "recycled", "DeviceRejected reaching intake's summary", timeout=PATIENCE, interval=0.3)

    page.goto(f"{portal}/d/{rejected['label_code']}")

    expect(page.locator("#passport-device")).to_have_text("Dell Latitude E6410 (ordinateur portable)")
    expect(page.locator("#passport-outcome")).to_have_text("Non réemployable : confié à une filière de recyclage.")
    expect(page.locator("#passport-erasure")).to_have_text("Non : l'appareil n'a pas été reconditionné.")
    expect(page.locator("#passport-grade")).to_have_text("Non évalué : l'appareil n'a pas été reconditionné.")


def test_the_warehouse_downloads_the_label_sheet_of_a_lot(lot, page, portal, login, check_accessibility, screenshot,
                                                         tmp_path: Path):
    login(page, "warehouse", then="entrepot/etiquettes")

    expect(page).to_have_title("Lots et planches d'étiquettes — Seconde Vie")
    row = lot_row(page, lot["site"])
    check_accessibility(page, "warehouse-labels")
    screenshot(page, "warehouse-labels")

    with page.expect_download() as downloaded:
        row.get_by_role("button", name="Télécharger la planche d'étiquettes (A4)").click()
    saved = tmp_path / downloaded.value.suggested_filename
    downloaded.value.save_as(saved)
    pdf = saved.read_bytes()
    assert saved.name == f"etiquettes-lot-{lot['lot_id']}-1.pdf" and pdf.startswith(b"%PDF-")
    assert sorted(qr_codes_of(pdf)) == sorted(f"{portal}/d/{d['label_code']}" for d in lot["devices"])
    expect(page.get_by_text("Planche d'étiquettes téléchargée.")).to_be_visible()


def test_a_lot_with_nothing_received_has_no_sheet_and_the_page_says_why(local_cloud, page, login):
    site = f"Mairie de Vitré {uuid.uuid4().hex[:6]}"
    local_cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 5, "pickup_site": site})
    login(page, "warehouse", then="entrepot/etiquettes")

    lot_row(page, site).get_by_role("button").click()

    expect(page.locator("#sv-page-notice")).to_have_text(
        "Aucun appareil n'a encore été reçu dans ce lot : il n'y a pas encore d'étiquette à imprimer.")
