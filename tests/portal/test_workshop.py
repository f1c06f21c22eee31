"""A workshop technician in the portal: the queue, then one page per work order that walks its
steps in the order the refurb service allows, on the local cloud (a donor's lot, a reception at
the warehouse, the work order refurb opens), in Chromium."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from devtools import thin_path
from tests.localcloud.cloud import LocalCloud, eventually
from tests.portal.conftest import dev_person

# The queue's first answer may start refurb's API function on the emulator: seconds on two shared
# cores after a whole run, beyond Playwright's 5 s.
FIRST_ANSWER_MS = 30_000

WORKSHOP = "workshop-rennes"
STEPS = ["Diagnostic", "Effacement des données", "Réparation", "Installation du système", "Notation",
         "Contrôle final et mise à disposition"]
pytestmark = pytest.mark.usefixtures("thin_path_workshop_restored")


NVME_ONLY = [{"kind": "nvme", "size_gb": 256}]


def received_device(cloud: LocalCloud, drives: list[dict] = NVME_ONLY) -> dict:
    """A laptop (one NVMe drive unless told), received at the warehouse against a donor's lot:
    refurb opens its work order in the Rennes workshop. Returns the work order."""
    cloud.expect(200, "PUT", f"/refurb/workshops/{WORKSHOP}", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    thin_path.register_donor(cloud)
    lot = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 1, "pickup_site": "Lycée Chateaubriand"})
    device = cloud.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", {
        "serial_number": f"5CG{uuid.uuid4().hex[:7].upper()}", "make": "HP", "model": "EliteBook 840 G5",
        "device_type": "laptop", "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": drives},
    })
    path = f"/refurb/work-orders/{device['device_id']}"
    return eventually(lambda: (r := cloud.call("GET", path, "workshop")).ok and r.json(), "the work order opening")


def reserve_for_a_referral(cloud: LocalCloud, device_id: str) -> None:
    """A ready device joins allocation's pool: a referral of its territory reserves it, so the
    pool is left as the other end-to-end tests expect it, with no ready device waiting."""
    thin_path.register_referrer(cloud)
    referral = cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"FT-{uuid.uuid4().hex[:8]}", "category": "student", "territory": "35",
        "eligibility_proof_ref": "attestation-2026-11",
    })
    eventually(lambda: cloud.call("GET", f"/allocation/referrals/{referral['referral_id']}", "referrer").json()
               .get("device_id") == device_id, "allocation reserving the ready device")


def work_order(cloud: LocalCloud, device_id: str) -> dict:
    return cloud.expect(200, "GET", f"/refurb/work-orders/{device_id}", "workshop")


def current_step(page: Page):
    return page.locator("#wo-current")


def fill_diagnosis(page: Page, drive_serial: str) -> None:
    form = current_step(page)
    form.get_by_label("Score du processeur").fill("6100")
    form.get_by_label("Santé de la batterie (%)").fill("84")
    for function in ("Écran", "Clavier", "Pavé tactile", "Webcam", "Son (haut-parleurs, micro, prise casque)",
                     "Ports (USB, vidéo, réseau)", "Chargeur"):
        form.get_by_role("group", name=function, exact=True).get_by_label("Fonctionne").check()
    form.get_by_label("Disposition du clavier").fill("fr-azerty")
    drive = form.get_by_role("group", name="Disque 1")
    expect(drive.get_by_label("Nature")).to_have_value("nvme")  # as the warehouse declared it
    expect(drive.get_by_label("Capacité (Go)")).to_have_value("256")
    drive.get_by_label("Numéro de série").fill(drive_serial)
    drive.get_by_label("État SMART").select_option(label="SMART correct")


def step_states(page: Page) -> list[str]:
    return page.locator("#wo-steps > li").evaluate_all("items => items.map(i => i.dataset.state)")


def tab_to(page: Page, locator, presses: int = 30) -> None:
    """Presses Tab until `locator` has the focus: it is reachable with the keyboard alone."""
    for _ in range(presses):
        if locator.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(locator).to_be_focused()


def test_a_technician_takes_a_received_device_from_the_queue_through_every_step_to_ready(
        page, portal, login, local_cloud, check_accessibility, screenshot):
    order = received_device(local_cloud)
    device_id, label = order["device_id"], order["label_code"]
    drive_serial = f"NV-{uuid.uuid4().hex[:6]}"

    login(page, "workshop", then="atelier")
    expect(page).to_have_title("File d'attente de l'atelier — Seconde Vie")
    page.get_by_label("Statut").select_option(label="Diagnostic à faire")
    page.get_by_role("button", name="Afficher", exact=True).click()
    expect(page.locator("#queue-caption")).to_have_text("Ordres de travail : Diagnostic à faire, plus anciens d'abord",
                                                        timeout=FIRST_ANSWER_MS)
    line = page.locator("#queue-rows tr", has_text=label)
    expect(line).to_contain_text("Diagnostic à faire")
    expect(line).to_contain_text("Ordinateur portable")
    assert "statut=awaiting_diagnosis" in page.url  # kept in the address, for going back
    check_accessibility(page, "workshop-queue")
    screenshot(page, "workshop-queue")

    line.get_by_role("link", name="HP EliteBook 840 G5").click()
    page.wait_for_url(re.compile(rf"/portal/atelier/appareils/{device_id}$"))
    expect(page.locator("#wo-device")).to_contain_text(label)
    expect(page.locator("#wo-steps h3")).to_have_text(STEPS)
    assert step_states(page) == ["due"] + ["to_do"] * 5
    # only the step due is offered (and scrapping)
    expect(current_step(page).locator(".step-form")).to_have_count(1)
    expect(page.get_by_role("heading", name="Étape à enregistrer : Diagnostic")).to_be_visible()

    fill_diagnosis(page, drive_serial)
    check_accessibility(page, "workshop-work-order")
    screenshot(page, "workshop-work-order")
    current_step(page).get_by_role("button", name="Enregistrer le diagnostic").click()
    expect(page.get_by_text("Étape « Diagnostic » enregistrée.")).to_be_visible()
    expect(page.locator("#wo-steps li[data-step=diagnosis]")).to_contain_text("Score processeur : 6100")

    # erasure: the techniques the service allows for an NVMe drive, and the levels each reaches
    drive = current_step(page).get_by_role("group", name=re.compile(drive_serial))
    techniques = drive.get_by_label("Technique").locator("option").all_inner_texts()
    assert techniques == ["Choisissez…", "Réécriture", "NVMe Sanitize", "NVMe Format (effacement sécurisé)",
                          "Effacement cryptographique", "Destruction physique"]
    drive.get_by_label("Technique").select_option(label="Réécriture")
    assert drive.get_by_label("Niveau NIST atteint").locator("option").all_inner_texts() == [
        "Choisissez…", "Clear (effacement)"]
    drive.get_by_label("Technique").select_option(label="NVMe Sanitize")
    drive.get_by_label("Niveau NIST atteint").select_option(label="Purge (purge)")
    drive.get_by_label("Outil et version").fill("nvme-cli 2.8")
    drive.get_by_label("Votre référence de technicien").fill("tech-07")
    drive.get_by_label("Réussi").check()
    current_step(page).get_by_role("button", name="Enregistrer l'effacement").click()
    expect(page.get_by_role("heading", name="Étape à enregistrer : Réparation")).to_be_visible()
    expect(page.locator("#wo-steps li[data-step=erasure]")).to_contain_text("Certificat d'effacement")

    # repair: one part, its cost typed the French way
    current_step(page).get_by_role("button", name="Ajouter une pièce").click()
    part = current_step(page).get_by_role("group", name="Pièce 1")
    part.get_by_label("Désignation").fill("charger 65 W")
    part.get_by_label("Coût (€)").fill("12,50")
    current_step(page).get_by_role("button", name="Enregistrer la réparation").click()
    expect(page.get_by_role("heading", name="Étape à enregistrer : Installation du système")).to_be_visible()
    expect(page.locator("#wo-steps li[data-step=repair]")).to_contain_text("charger 65 W (12,50 €)")

    # the last three steps with the keyboard alone: after each step the focus is on the next one
    heading = page.get_by_role("heading", name="Étape à enregistrer : Installation du système")
    expect(heading).to_be_focused()
    os_name = current_step(page).get_by_label("Système d'exploitation")
    tab_to(page, os_name)
    page.keyboard.type("Linux Mint")
    page.keyboard.press("Tab")
    expect(current_step(page).get_by_label("Version")).to_be_focused()
    page.keyboard.type("22")
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("heading", name="Étape à enregistrer : Notation")).to_be_focused()
    tab_to(page, current_step(page).get_by_role("button", name="Calculer la note"))
    page.keyboard.press("Enter")

    # the grade and the rules that fired, in French
    expect(page.get_by_role("heading", name="Étape à enregistrer : Contrôle final et mise à disposition")).to_be_focused()
    grade = page.locator("#wo-steps li[data-step=grade]")
    expect(grade).to_contain_text("Note A (10 points)")
    expect(grade.locator(".fired-rules li")).to_have_text([
        "score processeur 6100 (au moins 5000) : +3 point(s)",
        "mémoire vive (Go) 8 (au moins 8) : +3 point(s)",
        "stockage SSD (Go) 256 (au moins 200) : +3 point(s)",
        "disque NVMe présent : +1 point(s)",
    ])
    check_accessibility(page, "workshop-graded")
    screenshot(page, "workshop-graded")

    tab_to(page, current_step(page).get_by_role("button", name="Déclarer l'appareil prêt"))
    page.keyboard.press("Enter")
    expect(page.locator("#wo-status")).to_have_text("Prêt")
    expect(page.get_by_text("Cet appareil est prêt")).to_be_visible()
    assert step_states(page) == ["done"] * 6
    expect(page.locator("#wo-scrap")).to_be_hidden()

    ready = work_order(local_cloud, device_id)
    assert (ready["status"], ready["grade"]["grade"], ready["installation"]["os_name"]) == ("ready", "A", "Linux Mint")
    assert ready["repairs"][0]["parts"] == [{"name": "charger 65 W", "cost_eur": "12.50"}]
    reserve_for_a_referral(local_cloud, device_id)  # the device the page made ready reaches allocation


def erase(page: Page, serial: str, technique: str, level: str, *, passed: bool = True, tool: str = "hdparm 9.65"):
    drive = current_step(page).get_by_role("group", name=re.compile(serial))
    drive.get_by_label("Technique").select_option(label=technique)
    drive.get_by_label("Niveau NIST atteint").select_option(label=level)
    drive.get_by_label("Outil et version").fill(tool)
    drive.get_by_label("Votre référence de technicien").fill("tech-07")
    drive.get_by_label("Réussi" if passed else "Échoué").check()


def test_a_drive_that_fails_its_erasure_waits_for_its_destruction_and_leaves_the_device(
        page, portal, login, local_cloud):
    order = received_device(local_cloud, drives=[{"kind": "ssd", "size_gb": 256}, {"kind": "hdd", "size_gb": 500}])
    device_id = order["device_id"]
    ssd, hdd = f"S3Z-{uuid.uuid4().hex[:6]}", f"WD-{uuid.uuid4().hex[:6]}"
    local_cloud.expect(200, "POST", f"/refurb/work-orders/{device_id}/diagnosis", "workshop", {
        "cpu_score": 4200, "battery_health_pct": 77, "screen": "works", "keyboard": "works", "trackpad": "works",
        "webcam": "works", "audio": "works", "ports": "works", "charger": "works",
        "drives": [{"serial_number": ssd, "kind": "ssd", "size_gb": 256, "smart_status": "passed"},
                   {"serial_number": hdd, "kind": "hdd", "size_gb": 500, "smart_status": "failed"}]})
    login(page, "workshop", then=f"atelier/appareils/{device_id}")

    # no NVMe command is offered for SATA drives
    options = current_step(page).get_by_role("group", name=re.compile(hdd)).get_by_label("Technique")
    assert "NVMe Sanitize" not in options.locator("option").all_inner_texts()
    erase(page, ssd, "ATA Secure Erase", "Purge (purge)")
    erase(page, hdd, "Réécriture", "Clear (effacement)", passed=False)
    current_step(page).get_by_role("button", name="Enregistrer l'effacement").click()

    # the failed drive alone is asked again, and the step stays due
    expect(page.get_by_role("heading", name="Étape à enregistrer : Effacement des données")).to_be_focused()
    expect(current_step(page).locator("fieldset[data-drive]")).to_have_count(1)
    expect(current_step(page).get_by_role("group", name=re.compile(hdd))).to_contain_text("Dernier effacement en échec")
    erase(page, hdd, "Destruction physique", "Destroy (destruction)", tool="broyeur")
    current_step(page).get_by_role("button", name="Enregistrer l'effacement").click()

    # the destroyed drive is out of the device: the repair lists the drives fitted now
    expect(page.get_by_role("heading", name="Étape à enregistrer : Réparation")).to_be_visible()
    fitted = current_step(page).get_by_role("group", name="Disques installés maintenant")
    expect(fitted.get_by_label(re.compile(ssd))).to_be_checked()
    expect(fitted.get_by_label(re.compile(hdd))).not_to_be_checked()
    current_step(page).get_by_role("button", name="Enregistrer la réparation").click()
    expect(page.get_by_role("heading", name="Étape à enregistrer : Installation du système")).to_be_visible()

    repaired = work_order(local_cloud, device_id)
    assert [d["serial_number"] for d in repaired["specs"]["drives"]] == [ssd]
    assert [d["state"] for d in repaired["drives_to_erase"]] == ["erased", "destroyed"]


def test_a_technician_scraps_a_device_with_its_reason_and_harvested_parts(
        page, portal, login, local_cloud, check_accessibility, screenshot):
    order = received_device(local_cloud)
    device_id = order["device_id"]
    login(page, "workshop", then=f"atelier/appareils/{device_id}")

    scrap = page.locator("#wo-scrap")
    scrap.get_by_text("Mettre l'appareil au rebut").click()
    scrap.get_by_role("button", name="Mettre au rebut").click()
    # the service's refusal, next to the fields it names
    expect(scrap.get_by_role("alert")).to_contain_text("2 erreur(s)")
    expect(scrap.locator(".field-error")).to_have_count(2)
    expect(scrap.get_by_label("Motif")).to_have_attribute("aria-invalid", "true")

    scrap.get_by_label("Motif").select_option(label="Carte mère défaillante")
    scrap.get_by_label("Filière de recyclage").select_option(label="Recycleur certifié")
    scrap.get_by_role("button", name="Ajouter une pièce récupérée").click()
    scrap.get_by_role("group", name="Pièce récupérée 1").get_by_label("Désignation").fill("RAM 8 GB DDR4")
    scrap.get_by_role("button", name="Ajouter une pièce récupérée").click()
    scrap.get_by_role("group", name="Pièce récupérée 2").get_by_label("Désignation").fill("charger 65 W")
    scrap.get_by_label("Remarque").fill("ne démarre plus après test de la carte mère")
    scrap.get_by_role("button", name="Mettre au rebut").click()

    expect(page.get_by_text("L'appareil a été mis au rebut.")).to_be_visible()
    expect(page.locator("#wo-status")).to_have_text("Mis au rebut")
    expect(page.locator("#wo-scrap-record")).to_contain_text("Mis au rebut à l'étape : Diagnostic")
    expect(page.locator("#wo-scrap-record")).to_contain_text("Pièces récupérées : RAM 8 GB DDR4, charger 65 W")
    assert step_states(page) == ["skipped"] * 6
    expect(page.locator(".step-form")).to_have_count(0)  # nothing more is offered
    check_accessibility(page, "workshop-scrapped")

    scrapped = work_order(local_cloud, device_id)
    assert (scrapped["status"], scrapped["scrap"]["reason"], scrapped["scrap"]["harvested_parts"]) == (
        "scrapped", "motherboard_failure", ["RAM 8 GB DDR4", "charger 65 W"])


def test_a_step_recorded_in_another_tab_first_is_a_conflict_said_plainly(
        browser, browser_context_args, page, portal, login, local_cloud, check_accessibility):
    order = received_device(local_cloud)
    device_id = order["device_id"]
    login(page, "workshop", then=f"atelier/appareils/{device_id}")
    fill_diagnosis(page, "NV-FIRST")

    # meanwhile another tab (its own session) records the diagnosis
    other = browser.new_context(**browser_context_args).new_page()
    try:
        login(other, "workshop", then=f"atelier/appareils/{device_id}")
        fill_diagnosis(other, "NV-OTHER")
        current_step(other).get_by_role("button", name="Enregistrer le diagnostic").click()
        expect(other.get_by_role("heading", name="Étape à enregistrer : Effacement des données")).to_be_visible()
    finally:
        other.context.close()

    current_step(page).get_by_role("button", name="Enregistrer le diagnostic").click()
    alert = current_step(page).get_by_role("alert")
    expect(alert).to_contain_text("l'ordre de travail a changé entre-temps")
    expect(alert).to_contain_text("Son statut est maintenant : Effacement à faire.")
    expect(alert.locator("p")).to_be_focused()
    check_accessibility(page, "workshop-conflict")
    assert work_order(local_cloud, device_id)["diagnosis"]["drives"][0]["serial_number"] == "NV-OTHER"

    alert.get_by_role("button", name="Afficher l'état actuel").click()
    expect(page.get_by_role("heading", name="Étape à enregistrer : Effacement des données")).to_be_focused()
    expect(current_step(page).get_by_role("group", name=re.compile("NV-OTHER"))).to_be_visible()


def test_what_was_typed_survives_an_expired_session(page, portal, login, local_cloud):
    order = received_device(local_cloud)
    device_id = order["device_id"]
    path = f"/refurb/work-orders/{device_id}"
    diagnosis = {"cpu_score": 6100, "battery_health_pct": 84, "screen": "works", "keyboard": "works",
                 "trackpad": "works", "webcam": "works", "audio": "works", "ports": "works", "charger": "works",
                 "drives": [{"serial_number": "NV-EXP", "kind": "nvme", "size_gb": 256, "smart_status": "passed"}]}
    local_cloud.expect(200, "POST", f"{path}/diagnosis", "workshop", diagnosis)
    local_cloud.expect(200, "POST", f"{path}/erasure", "workshop", {"drives": [{
        "drive_serial": "NV-EXP", "level": "purge", "technique": "nvme_sanitize", "tool": "nvme-cli 2.8",
        "operator": "tech-07", "passed": True, "completed_at": "2026-11-20T09:30:00Z"}]})
    local_cloud.expect(200, "POST", f"{path}/repair", "workshop", {"parts": []})
    login(page, "workshop", then=f"atelier/appareils/{device_id}")
    current_step(page).get_by_label("Système d'exploitation").fill("Linux Mint")
    current_step(page).get_by_label("Version").fill("22")

    page.evaluate("() => sessionStorage.removeItem('sv.session')")  # the session ends meanwhile
    current_step(page).get_by_role("button", name="Enregistrer l'installation").click()
    page.wait_for_url(re.compile(r"/portal/connexion\?"))
    email, person = dev_person("workshop")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(person["password"])
    page.get_by_role("button", name="Se connecter").click()

    page.wait_for_url(re.compile(rf"/portal/atelier/appareils/{device_id}$"))
    expect(current_step(page).get_by_label("Système d'exploitation")).to_have_value("Linux Mint")
    expect(current_step(page).get_by_label("Version")).to_have_value("22")
    current_step(page).get_by_role("button", name="Enregistrer l'installation").click()
    expect(page.get_by_role("heading", name="Étape à enregistrer : Notation")).to_be_visible()
    assert work_order(local_cloud, device_id)["installation"]["os_name"] == "Linux Mint"


def test_the_queue_comes_a_page_at_a_time_oldest_first(page, portal, login, local_cloud):
    first, second = received_device(local_cloud), received_device(local_cloud)
    login(page, "workshop", then="atelier")
    page.goto(f"{portal}/atelier?statut=awaiting_diagnosis&par_page=1")
    expect(page.get_by_label("Statut")).to_have_value("awaiting_diagnosis")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(1)
    more = page.get_by_role("button", name="Afficher la suite")
    expect(more).to_be_visible()  # at least two devices await their diagnosis
    while more.is_visible():
        before = rows.count()
        more.click()
        expect(rows).not_to_have_count(before)
        expect(rows.nth(before).get_by_role("link")).to_be_focused()  # where the new lines start
    labels = rows.locator("td:nth-child(2)").all_inner_texts()
    assert labels.index(first["label_code"]) < labels.index(second["label_code"])  # oldest first
    assert len(labels) == len(set(labels))  # each once


def test_the_workshop_pages_fit_a_360_pixel_screen(browser, browser_context_args, portal, login, local_cloud):
    order = received_device(local_cloud)
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": 360, "height": 800},
                                     "is_mobile": True, "has_touch": True})
    try:
        phone = context.new_page()
        login(phone, "workshop", then="atelier")
        expect(phone.locator("#queue-rows tr").first).to_be_visible(timeout=FIRST_ANSWER_MS)
        for path in ("atelier", f"atelier/appareils/{order['device_id']}"):
            phone.goto(f"{portal}/{path}")
            expect(phone.locator("#page-content")).to_be_visible()
            phone.wait_for_load_state("networkidle")
            width = phone.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide on a 360 px screen"
    finally:
        context.close()


def test_another_role_cannot_open_the_workshop_pages(page, portal, login):
    login(page, "point_of_sale", then="atelier/appareils/any-device")
    expect(page.locator("#access-refused")).to_contain_text("réservée à un autre rôle")
    expect(page.locator(".step-form")).to_have_count(0)
