"""A social worker's pages, in Chromium, against the local cloud: refer a family with the keyboard
alone, see the device reserved for them with the reasons in French, list and filter their
referrals, withdraw one (and see the refusal when it was closed meanwhile).

The device comes the real way, through the dev partners' keys: a donor's lot, the warehouse's
reception, every refurbishment step (as devtools/thin_path.py does). The family is referred
as urgent, so the device goes to them and not to another test's referral of territory 35.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from devtools import thin_path
from tests.localcloud.cloud import LocalCloud, eventually
from tests.portal.conftest import dev_person

PATIENCE = 60.0  # seconds for events to go through the bus, queues and consumers on 2 shared cores
RUN = uuid.uuid4().hex[:6]
NARROW = {"width": 360, "height": 800}


def device_ready_through_the_api(cloud: LocalCloud) -> str:
    """A device of the dev donor (a public body of 35) received, refurbished and ready: its id."""
    cloud.expect(200, "PUT", "/refurb/workshops/workshop-rennes", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    thin_path.register_donor(cloud, "35")
    lot = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 1, "pickup_site": "Hôtel du Département"})
    device = cloud.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", {
        "serial_number": f"5CG{uuid.uuid4().hex[:7].upper()}", "make": "HP", "model": "EliteBook 840 G5",
        "device_type": "laptop", "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]},
    })
    device_id = device["device_id"]
    eventually(lambda: cloud.call("GET", f"/refurb/work-orders/{device_id}", "workshop").ok,
               "a work order opening in refurb", timeout=PATIENCE)
    thin_path.refurbish(cloud, device_id, drive_serial=f"NV-{RUN}")
    return device_id


def referral_through_the_api(cloud: LocalCloud, key: str) -> str:
    """A waiting referral of the dev referrer (normal priority, a need no device of the pool meets first)."""
    body = cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"API-{RUN}-{key}", "category": "student", "eligibility_proof_ref": f"certificat-{key}",
        "needs": {"requirements": {"min_ram_gb": 256}}})
    return body["referral_id"]


def referral_state(cloud: LocalCloud, referral_id: str) -> dict:
    return cloud.expect(200, "GET", f"/allocation/referrals/{referral_id}", "referrer")


def tab_to(page: Page, element_id: str) -> None:
    """One Tab, which must land on `element_id`: the form's keyboard order is the one it shows."""
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.id")
    assert focused == element_id, f"Tab went to #{focused}, not #{element_id}"


def fits_a_narrow_screen(page: Page) -> None:
    page.set_viewport_size(NARROW)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wider = page.evaluate("""(limit) => [...document.querySelectorAll("body *")]
        .filter((node) => node.getBoundingClientRect().right > limit)
        .map((node) => node.id ? `#${node.id}` : node.tagName.toLowerCase()).slice(0, 8)""", NARROW["width"])
    assert width <= NARROW["width"], f"{page.url} is {width} px wide on a {NARROW['width']} px screen: {wider}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_social_worker_refers_a_family_sees_the_reservation_lists_and_cancels(
        page: Page, portal, local_cloud, login, check_accessibility, screenshot):
    cloud = local_cloud
    thin_path.register_referrer(cloud, "35")
    others = [referral_through_the_api(cloud, "waiting-1"), referral_through_the_api(cloud, "waiting-2")]
    family = f"CAF-{RUN}"
    try:
        login(page, "referrer", then="orienter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Orienter une personne")
        check_accessibility(page, "referrer-new-referral")
        screenshot(page, "referrer-new-referral")
        fits_a_narrow_screen(page)

        # the keyboard alone fills and sends the form: Tab, the arrows, Space and Enter
        for _ in range(40):
            if page.evaluate("() => document.activeElement.id") == "beneficiary_ref":
                break
            page.keyboard.press("Tab")
        page.keyboard.type("Famille Martin")  # a name, with a space: refused next to the field
        tab_to(page, "category-minimum_social_benefits")
        page.keyboard.press("ArrowDown")  # moves to, and chooses, "Demandeur ou demandeuse d'emploi"
        tab_to(page, "eligibility_proof_ref")
        page.keyboard.type(f"attestation-caf-{RUN}")
        tab_to(page, "commune")
        page.keyboard.type("35238")
        tab_to(page, "use-schooling")
        tab_to(page, "use-job_search")
        page.keyboard.press("Space")
        tab_to(page, "use-administrative_procedures")
        page.keyboard.press("Space")
        tab_to(page, "use-training")
        tab_to(page, "webcam")
        page.keyboard.press("Space")
        tab_to(page, "min_ram_gb")
        page.keyboard.type("8")  # chooses "8 Go au moins"
        tab_to(page, "min_battery_health_pct")
        tab_to(page, "keyboard_layout")
        tab_to(page, "accompaniment_wanted")
        page.keyboard.press("Space")
        tab_to(page, "priority-3")  # "Normale" is chosen at first
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")  # "Urgente"
        tab_to(page, "referral-submit")
        page.keyboard.press("Enter")

        field = page.locator(".field", has=page.locator("#beneficiary_ref"))
        expect(field.locator(".field-error")).to_be_visible()
        expect(page.locator("#beneficiary_ref")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("alert")).to_contain_text("1 erreur")
        check_accessibility(page, "referrer-new-referral-refused")

        # the session ends before it is sent (its token expired, and can no longer be refreshed):
        # the person logs in again and finds what they typed
        page.evaluate("""() => {
            const session = JSON.parse(sessionStorage.getItem("sv.session"));
            session.expiresAt = 0;
            delete session.refreshToken;
            sessionStorage.setItem("sv.session", JSON.stringify(session));
        }""")
        page.locator("#beneficiary_ref").fill(family)
        page.locator("#beneficiary_ref").press("Enter")
        page.wait_for_url(re.compile(r"/portal/connexion\?retour=%2Fportal%2Forienter"))
        email, person = dev_person("referrer")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(person["password"])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{portal}/orienter")
        expect(page.locator("#beneficiary_ref")).to_have_value(family)
        expect(page.locator("#category-job_seeker")).to_be_checked()
        expect(page.locator("#webcam")).to_be_checked()
        expect(page.locator("#min_ram_gb")).to_have_value("8")
        expect(page.locator("#priority-1")).to_be_checked()
        page.get_by_role("button", name="Orienter la personne").press("Enter")

        page.wait_for_url(re.compile(r"/portal/orientations/[^/?]+\?nouvelle=1$"))
        referral_id = page.url.rsplit("/", 1)[-1].split("?")[0]
        expect(page.get_by_text("Orientation enregistrée.")).to_be_visible()
        expect(page.locator("#referral")).to_contain_text("En attente d'un appareil")  # no device in the pool yet
        sent = referral_state(cloud, referral_id)
        assert (sent["beneficiary_ref"], sent["category"], sent["priority"], sent["accompaniment_wanted"]) == (
            family, "job_seeker", 1, True)
        assert sent["needs"]["uses"] == ["administrative_procedures", "job_search"]
        assert (sent["needs"]["requirements"]["webcam"], sent["needs"]["requirements"]["min_ram_gb"]) == (True, 8)
        others.append(referral_id)

        # a device becomes ready: it goes to the family, and the page says what, where and why
        device_id = device_ready_through_the_api(cloud)
        eventually(lambda: referral_state(cloud, referral_id)["device_id"] == device_id,
                   "the ready device reserved for the family", timeout=PATIENCE, interval=0.5)
        page.goto(f"{portal}/orientations/{referral_id}")
        detail = page.locator("#referral")
        expect(detail).to_contain_text("Appareil réservé")
        expect(detail).to_contain_text("Ordinateur portable")
        expect(detail).to_contain_text("Dans un point de vente du département 35")
        expect(detail).to_contain_text("Provenance : l'appareil a été donné par un organisme public du département 35")
        expect(detail).to_contain_text("Besoins : l'appareil remplit toutes les exigences du diagnostic "
                                       "(une webcam qui fonctionne, au moins 8 Go de mémoire)")
        expect(detail).to_contain_text("Ordre : votre orientation était la première de la file (priorité urgente")
        expect(detail).to_contain_text("dont les exigences ne sont pas remplies par cet appareil")
        expect(detail).to_contain_text("Demandeur ou demandeuse d'emploi")
        check_accessibility(page, "referrer-referral")
        screenshot(page, "referrer-referral")
        fits_a_narrow_screen(page)

        # the list: newest first, each with its status and device; the filter keeps one status
        page.get_by_role("link", name="Retour à mes orientations").click()
        page.wait_for_url(f"{portal}/orientations")
        cards = page.locator("#referrals > li")
        expect(cards.first).to_contain_text(family)
        expect(cards.first).to_contain_text("Appareil réservé")
        expect(cards.first).to_contain_text("Ordinateur portable")
        cards.first.locator("summary").click()
        expect(cards.first).to_contain_text("Ordre : votre orientation était la première de la file")
        check_accessibility(page, "referrer-referrals")
        screenshot(page, "referrer-referrals")
        fits_a_narrow_screen(page)

        page.get_by_label("Statut").select_option(label="En attente d'un appareil")
        page.get_by_role("button", name="Afficher", exact=True).click()
        page.wait_for_url(f"{portal}/orientations?statut=waiting")
        expect(cards.first).to_contain_text(f"API-{RUN}-waiting-2")
        expect(page.locator("#referrals")).not_to_contain_text(family)
        for status in page.locator("#referrals .status").all_text_contents():
            assert status == "En attente d'un appareil"
        page.get_by_label("Statut").select_option(label="Appareil réservé")
        page.get_by_role("button", name="Afficher", exact=True).click()
        expect(cards.first).to_contain_text(family)
        expect(page.locator("#referrals")).not_to_contain_text(f"API-{RUN}-waiting")

        # withdrawing a waiting referral, after a confirmation
        first_other, second_other = others[0], others[1]
        page.goto(f"{portal}/orientations/{first_other}")
        expect(page.locator("#referral")).to_contain_text("En attente d'un appareil")
        page.get_by_role("button", name="Annuler l'orientation…").click()
        expect(page.get_by_label("Motif de l'annulation *")).to_be_focused()
        page.get_by_label("Motif de l'annulation *").fill("la famille a déjà un ordinateur")
        check_accessibility(page, "referrer-referral-cancel")
        page.get_by_role("button", name="Confirmer l'annulation").click()
        expect(page.get_by_text("Orientation annulée.")).to_be_visible()
        expect(page.locator("#referral")).to_contain_text("Annulée")
        expect(page.locator("#cancel-section")).to_be_hidden()
        assert referral_state(cloud, first_other)["status"] == "cancelled"

        # closed meanwhile (a colleague withdrew it): the page shows the refusal, not a success
        page.goto(f"{portal}/orientations/{second_other}")
        page.get_by_role("button", name="Annuler l'orientation…").click()
        page.get_by_label("Motif de l'annulation *").fill("plus de besoin")
        cloud.expect(200, "POST", f"/allocation/referrals/{second_other}/cancellation", "referrer",
                     {"reason": "retirée par un collègue"})
        page.get_by_role("button", name="Confirmer l'annulation").click()
        alert = page.locator("#cancel-form [role=alert]")
        expect(alert).to_contain_text("l'orientation n'a pas été annulée : elle n'est plus ouverte")
        expect(page.locator("#referral")).to_contain_text("Annulée")
        expect(page.locator("#referral")).to_contain_text("retirée par un collègue")
    finally:
        for referral_id in others:
            if referral_state(cloud, referral_id)["status"] == "waiting":
                cloud.call("POST", f"/allocation/referrals/{referral_id}/cancellation", "referrer",
                           {"reason": "fin du test"})


def test_another_role_is_refused_the_social_workers_pages(page: Page, portal, login):
    login(page, "point_of_sale", then="")
    page.goto(f"{portal}/orientations")
    expect(page.locator("#access-refused")).to_be_visible()
    expect(page.locator("#referrals")).to_be_hidden()


def test_another_partners_social_worker_does_not_see_the_referral(page: Page, portal, local_cloud, login):
    cloud = local_cloud
    thin_path.register_referrer(cloud, "35")
    referral_id = referral_through_the_api(cloud, "not-theirs")
    try:
        login(page, "referrer", territory="44")
        page.goto(f"{portal}/orientations/{referral_id}")
        expect(page.locator("#sv-page-notice")).to_have_text("Introuvable (ou hors de votre périmètre).")
        expect(page.locator("main")).not_to_contain_text(f"API-{RUN}-not-theirs")
        page.goto(f"{portal}/orientations")
        expect(page.locator("#referrals-count")).to_be_visible()
        expect(page.locator("#referrals")).not_to_contain_text(f"API-{RUN}")
    finally:
        cloud.call("POST", f"/allocation/referrals/{referral_id}/cancellation", "referrer", {"reason": "fin du test"})


def test_the_list_shows_the_following_referrals_on_demand(page: Page, portal, local_cloud, login):
    cloud = local_cloud
    thin_path.register_referrer(cloud, "35")
    mine = [referral_through_the_api(cloud, f"page-{n:02d}") for n in range(21)]  # one more than a page
    try:
        login(page, "referrer")
        page.goto(f"{portal}/orientations?statut=waiting")
        cards = page.locator("#referrals > li h2")
        expect(page.locator("#referrals-count")).to_have_text("20 orientation(s) affichée(s).")
        assert cards.all_text_contents() == [f"API-{RUN}-page-{n:02d}" for n in range(20, 0, -1)]
        page.get_by_role("button", name="Afficher les suivantes").click()
        expect(cards.nth(20)).to_have_text(f"API-{RUN}-page-00")
        shown = cards.all_text_contents()
        assert len(shown) == len(set(shown)), "a referral shown twice"
    finally:
        for referral_id in mine:
            cloud.call("POST", f"/allocation/referrals/{referral_id}/cancellation", "referrer", {"reason": "fin du test"})
