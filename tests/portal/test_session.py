"""Logging in and out as a person, on the login page the portal serves, against the emulator's Cognito."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.portal.conftest import dev_person


def test_a_social_worker_logs_in_sees_their_role_and_logs_out(page, portal, login, check_accessibility, screenshot):
    page.goto(f"{portal}/connexion")
    expect(page).to_have_title("Connexion — Seconde Vie")
    check_accessibility(page, "login")
    screenshot(page, "login")

    login(page, "referrer")
    expect(page.locator("#home-welcome")).to_contain_text("prescripteur (social-services-35)")
    expect(page.get_by_text("Connecté·e : orientation@seconde-vie.test")).to_be_visible()
    check_accessibility(page, "home")
    screenshot(page, "home")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/portal/connexion\?raison=deconnexion$"))
    expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()
    assert page.evaluate("() => Object.keys(sessionStorage).length") == 0
    page.goto(portal)  # the home page again, but without a session: back to the login page
    page.wait_for_url(re.compile(r"/portal/connexion\?retour="))


def test_a_wrong_password_is_refused_in_french_and_nothing_is_kept(page, portal, check_accessibility):
    email, _ = dev_person("point_of_sale")
    page.goto(f"{portal}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("not-the-password-1A")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("E-mail ou mot de passe incorrect.")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")
    assert page.evaluate("() => sessionStorage.getItem('sv.session')") is None
    check_accessibility(page, "login-refused")


def test_a_page_for_people_sends_a_visitor_to_log_in_and_back(page, portal, login):
    page.goto(portal)
    page.wait_for_url(re.compile(r"/portal/connexion\?retour=%2Fportal$"))
    email, person = dev_person("workshop")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(person["password"])
    page.keyboard.press("Enter")  # the keyboard alone submits
    page.wait_for_url(portal)
    expect(page.locator("#home-welcome")).to_contain_text("atelier (workshop-rennes)")


def test_the_login_page_never_sends_a_person_to_another_site(page, portal, login):
    email, person = dev_person("donor")
    page.goto(f"{portal}/connexion?retour=//example.org/portal")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(person["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(portal)


def test_the_login_page_works_on_a_phone(phone_page, portal, login, check_accessibility, screenshot):
    login(phone_page, "point_of_sale")
    expect(phone_page.locator("#home-welcome")).to_be_visible()
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the home page is {width} px wide on a 390 px screen"
    check_accessibility(phone_page, "home-phone")
    screenshot(phone_page, "home-phone")
