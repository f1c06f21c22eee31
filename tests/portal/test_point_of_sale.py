"""A point-of-sale volunteer's whole job in the browser, against the local cloud: find a reserved
device by its label, sell it with split payments, download the receipt, hand it over, book the
accompaniment and record it, open a warranty claim; then find the sale again in "Mes ventes".
Also done with the keyboard alone, and checked at 360 px wide."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from devtools import thin_path
from tests.localcloud.cloud import eventually

PHONE_WIDTH = 360


@pytest.fixture
def reserved_device(local_cloud):
    """A device reserved in the point of sale's territory (35), set up through the API, that sales
    can already find by its label."""
    reserved = thin_path.reserve_a_device(local_cloud)
    quote = eventually(
        lambda: (r := local_cloud.call("GET", f"/sales/quotes/by-label/{reserved.label_code}", "pos")).ok and r.json(),
        what="sales finding the reserved device by its label")
    return reserved, Decimal(quote["price_eur"])


def french(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def shown_euros(amount: Decimal) -> re.Pattern:
    """As the pages show it: Intl's fr-FR puts a narrow no-break space before the €."""
    return re.compile(re.escape(french(amount)) + r"\s€")


def tab_to(page, target, *, most: int = 40) -> None:
    """Press Tab until `target` has the focus, as a person with no mouse would."""
    for _ in range(most):
        if target.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus with Tab")


def test_a_volunteer_sells_a_reserved_device_and_follows_it_up(page, portal, login, reserved_device,
                                                               check_accessibility, screenshot):
    reserved, price = reserved_device
    login(page, "point_of_sale", then="point-de-vente")
    expect(page).to_have_title("Trouver un appareil — Seconde Vie")

    # find it by its label, typed as a person may (lower case, spaces)
    page.get_by_label("Code de l'étiquette").fill(reserved.label_code.lower().replace("-", " "))
    page.get_by_role("button", name="Rechercher").click()
    quote = page.locator("#quote")
    expect(quote).to_contain_text(reserved.label_code)
    expect(quote).to_contain_text("Ordinateur portable, grade")
    expect(quote).to_contain_text(shown_euros(price))
    check_accessibility(page, "pos-find")
    screenshot(page, "pos-find")

    # an unknown label is said plainly
    page.get_by_label("Code de l'étiquette").fill("SV-ZZZZ-ZZZZ")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#find-form [role=alert]")).to_contain_text("Aucun appareil réservé ne porte l'étiquette SV-ZZZZ-ZZZZ")
    page.get_by_label("Code de l'étiquette").fill(reserved.label_code)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Vendre cet appareil").click()
    page.wait_for_url(re.compile(r"/portal/point-de-vente/vendre/"))

    # two payments; a total that is not the price is refused before anything is sent
    first = (price / 2).quantize(Decimal("0.01"))
    expect(page.get_by_label("Montant n° 1 (en euros)")).to_have_value(french(price))
    page.get_by_label("Montant n° 1 (en euros)").fill(french(first))
    page.get_by_role("button", name="Ajouter un moyen de paiement").click()
    page.get_by_label("Moyen de paiement n° 2").select_option("third_party")
    page.get_by_label("Montant n° 2 (en euros)").fill("1")
    expect(page.locator("#payment-total")).to_contain_text("Reste à répartir")
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(page.locator("#sale-form [role=alert]")).to_contain_text("Les paiements totalisent")
    # an amount that is no amount is the API's 422, shown next to its field
    page.get_by_label("Montant n° 2 (en euros)").fill("beaucoup")
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(page.locator("#payment-amount-2-error")).to_be_visible()
    expect(page.get_by_label("Montant n° 2 (en euros)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Montant n° 2 (en euros)").fill(french(price - first))
    expect(page.locator("#payment-amount-2-error")).to_have_count(0)  # corrected: the refusal goes
    expect(page.locator("#sale-form [role=alert]")).to_be_empty()
    expect(page.locator("#payment-total")).to_contain_text("Le total est égal au prix.")
    check_accessibility(page, "pos-sale-form")
    screenshot(page, "pos-sale-form")
    page.get_by_role("button", name="Enregistrer la vente").click()

    # the sale's page
    page.wait_for_url(re.compile(r"/portal/point-de-vente/ventes/[^/?]+\?vente=enregistree$"))
    notice = page.locator("#sv-page-notice")
    expect(notice).to_contain_text("Vente enregistrée : reçu n° pos-rennes-centre-")
    receipt_number = re.search(r"pos-rennes-centre-\d{4}-\d{6}", notice.inner_text()).group(0)
    facts = page.locator("#sale-facts")
    expect(facts).to_contain_text(receipt_number)
    expect(facts).to_contain_text("Espèces")
    expect(facts).to_contain_text("Tiers payeur")

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Télécharger le reçu (PDF)").click()
    download = downloading.value
    assert download.suggested_filename == f"recu-{receipt_number}.pdf"
    content = open(download.path(), "rb").read()
    assert content.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert receipt_number in text and reserved.label_code in text

    with page.context.expect_page() as opening:  # to print it: the receipt in a tab of its own
        page.get_by_role("button", name="Ouvrir le reçu pour l'imprimer").click()
    assert opening.value.url.startswith("blob:")
    opening.value.close()

    # hand it over (today, already filled in), book the accompaniment, record that the buyer came
    page.get_by_role("button", name="Enregistrer la remise").click()
    expect(notice).to_contain_text("Remise enregistrée : garantie jusqu'au")
    expect(page.locator("#handover")).to_be_hidden()
    expect(page.locator(".status")).to_have_text("Remis")
    page.get_by_label("Centre social").fill("centre-social-maurepas")
    page.get_by_label("Date et heure du rendez-vous").fill("2027-01-12T14:30")
    page.get_by_role("button", name="Réserver la séance").click()
    expect(notice).to_have_text("Séance réservée.")
    expect(facts).to_contain_text("centre-social-maurepas")
    page.get_by_label("Oui, elle est venue").check()
    page.get_by_role("button", name="Enregistrer la présence").click()
    expect(notice).to_have_text("Présence enregistrée.")
    expect(facts).to_contain_text("Venu·e au rendez-vous")

    # a warranty claim: a note naming the person is refused next to it, with the rule said
    expect(page.locator("#warranty-note-privacy")).to_contain_text("Décrivez la panne, pas la personne")
    page.get_by_label("Type de panne").select_option("keyboard")
    page.get_by_label("Description de la panne (facultatif)").fill("rappeler Mme Martin au 06 12 34 56 78")
    page.get_by_role("button", name="Ouvrir la demande de garantie").click()
    expect(page.locator("#warranty-note-error")).to_be_visible()
    page.get_by_label("Description de la panne (facultatif)").fill("trois touches ne répondent plus")
    page.get_by_role("button", name="Ouvrir la demande de garantie").click()
    expect(notice).to_contain_text(f"Demande ouverte : référence {receipt_number}-W1")
    expect(facts).to_contain_text(f"{receipt_number}-W1 — Clavier")
    check_accessibility(page, "pos-sale")
    screenshot(page, "pos-sale")

    # "Mes ventes" leads back to it
    page.get_by_role("link", name="Mes ventes", exact=True).click()
    page.wait_for_url(f"{portal}/point-de-vente/ventes")
    row = page.locator("#sales-rows tr").first
    expect(row).to_contain_text(receipt_number)
    expect(row).to_contain_text("Remis")
    check_accessibility(page, "pos-sales")
    screenshot(page, "pos-sales")
    row.get_by_role("link", name=receipt_number).click()
    expect(page.locator("#sale-facts")).to_contain_text(receipt_number)

    # every page fits a 360 px screen
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    for path in ("point-de-vente", "point-de-vente/ventes", page.url.split("/portal/", 1)[1],
                 f"point-de-vente/vendre/{reserved.device_id}"):
        page.goto(f"{portal}/{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{path} is {width} px wide on a {PHONE_WIDTH} px screen"


def test_a_sale_is_made_with_the_keyboard_alone(page, portal, login, reserved_device):
    reserved, price = reserved_device
    login(page, "point_of_sale", then="point-de-vente")
    code = page.get_by_label("Code de l'étiquette")
    tab_to(page, code)
    page.keyboard.type(reserved.label_code)
    page.keyboard.press("Enter")
    sell = page.get_by_role("link", name="Vendre cet appareil")
    expect(sell).to_be_visible()
    tab_to(page, sell)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/portal/point-de-vente/vendre/"))

    # split in two with the keyboard: change the first amount, add a line, choose its method
    first = (price - Decimal("20")).quantize(Decimal("0.01"))
    amount = page.get_by_label("Montant n° 1 (en euros)")
    expect(amount).to_have_value(french(price))
    tab_to(page, amount)
    page.keyboard.press("Control+A")
    page.keyboard.type(french(first))
    tab_to(page, page.get_by_role("button", name="Ajouter un moyen de paiement"))
    page.keyboard.press("Enter")
    method = page.get_by_label("Moyen de paiement n° 2")
    expect(method).to_be_focused()
    page.keyboard.press("ArrowDown")  # carte bancaire → chèque
    expect(method).to_have_value("cheque")
    tab_to(page, page.get_by_label("Montant n° 2 (en euros)"))
    page.keyboard.type("20")
    tab_to(page, page.get_by_role("button", name="Enregistrer la vente"))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/portal/point-de-vente/ventes/"))
    expect(page.locator("#sv-page-notice")).to_contain_text("Vente enregistrée")
    expect(page.locator("#sale-facts")).to_contain_text("Chèque")
    handover = page.get_by_role("button", name="Enregistrer la remise")
    tab_to(page, handover)
    page.keyboard.press("Enter")
    expect(page.locator("#sv-page-notice")).to_contain_text("Remise enregistrée")


# A browser that films and reads QR codes (Chrome on Android): what this Chromium lacks is given
# by the test, the camera showing a label whose QR code holds the device's passport address.
CAMERA_READING = """
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  async detect() { return [{ format: "qr_code", rawValue: %r }]; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 64 });
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream();
};
"""


def test_the_camera_button_shows_only_where_the_browser_reads_qr_codes_and_finds_the_device(
        page, portal, login, reserved_device):
    reserved, _ = reserved_device
    login(page, "point_of_sale", then="point-de-vente")
    scan = page.get_by_role("button", name="Lire le QR code avec la caméra")
    if page.evaluate("() => 'BarcodeDetector' in window"):
        expect(scan).to_be_visible()
    else:
        expect(scan).to_be_hidden()

    page.add_init_script(script=CAMERA_READING % f"{portal}/d/{reserved.label_code}")
    page.reload()
    scan.click()
    expect(page.get_by_label("Code de l'étiquette")).to_have_value(reserved.label_code)
    expect(page.locator("#quote")).to_contain_text(reserved.label_code)
    expect(page.locator("#scanner")).to_be_hidden()  # the camera is let go once the code is read
