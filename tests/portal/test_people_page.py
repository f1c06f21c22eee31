"""The administrators' page of people's accounts: an account opened there works at once (the person
chooses their password at their first login on the login page), a disabled one is refused in French."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

import catalogue

PAGE = "admin/comptes"
# The accounts' first list starts the keys API's function on the emulator: seconds on two shared cores.
FIRST_ANSWER_MS = 30_000
CHOSEN = "Mon-mot-de-passe-2026"


def words(key: str, **values) -> str:
    return catalogue.translate(key, **values)


def open_an_account(page, email: str) -> str:
    page.get_by_label(words("admin.people.form.email.label")).fill(email)
    page.get_by_label(words("admin.people.form.role.label")).select_option("referrer")
    page.get_by_label(words("admin.people.form.partner_id.label")).fill("social-services-35")
    page.get_by_label(words("admin.people.form.territory.label")).fill("35")
    page.get_by_role("button", name=words("admin.people.form.submit")).click()
    shown = page.locator("#temporary-password")
    expect(shown).to_contain_text(words("admin.people.password.created", email=email))
    expect(shown).to_be_focused()
    return page.locator("#temporary-password code").inner_text()


def log_in(page, portal: str, email: str, password: str) -> None:
    page.goto(f"{portal}/connexion")
    page.get_by_label(words("common.login.email")).fill(email)
    page.get_by_label(words("common.login.password"), exact=True).fill(password)
    page.get_by_role("button", name=words("common.login.submit")).click()


def test_an_account_opened_on_the_page_logs_in_and_is_refused_once_disabled(
        page, browser, browser_context_args, portal, login, check_accessibility, screenshot):
    email = f"agent-{uuid.uuid4().hex[:6]}@ccas-rennes.fr"
    login(page, "admin", then=PAGE)
    expect(page.locator("#people-rows tr").first).to_be_visible(timeout=FIRST_ANSWER_MS)  # the dev people
    check_accessibility(page, "admin-people")
    temporary = open_an_account(page, email)
    row = page.locator("#people-rows tr", has_text=email)
    expect(row).to_contain_text(words("admin.people.status.temporary"))
    assert temporary not in page.locator("#people-table").inner_text()
    screenshot(page, "admin-people")
    check_accessibility(page, "admin-people-created")

    person = browser.new_context(**browser_context_args).new_page()
    log_in(person, portal, email, temporary)
    expect(person.get_by_text(words("common.login.new_password_intro"))).to_be_visible()
    person.get_by_label(words("common.login.new_password")).fill(CHOSEN)
    person.get_by_role("button", name=words("common.login.new_password_submit")).click()
    person.wait_for_url(portal)
    expect(person.locator("#home-welcome")).to_contain_text("social-services-35")

    page.reload()
    row.get_by_role("button", name=words("admin.people.actions.disable_for", email=email)).click()
    expect(page.locator("#sv-page-notice")).to_contain_text(words("admin.people.done.disable", email=email))
    expect(row).to_contain_text(words("admin.people.status.disabled"))

    fresh = browser.new_context(**browser_context_args).new_page()
    log_in(fresh, portal, email, CHOSEN)
    expect(fresh.get_by_role("alert")).to_have_text(words("common.login.disabled"))


def test_a_refused_account_says_why_next_to_the_field(page, login, check_accessibility):
    login(page, "admin", then=PAGE)
    page.get_by_label(words("admin.people.form.email.label")).fill(f"agent-{uuid.uuid4().hex[:6]}@ccas-rennes.fr")
    page.get_by_label(words("admin.people.form.role.label")).select_option("referrer")
    page.get_by_label(words("admin.people.form.partner_id.label")).fill("social-services-35")
    page.get_by_label(words("admin.people.form.territory.label")).fill("999")
    page.get_by_role("button", name=words("admin.people.form.submit")).click()
    expect(page.locator("#person-territory")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator("#temporary-password")).to_be_hidden()
    check_accessibility(page, "admin-people-refused")


def test_the_same_email_twice_is_refused_in_the_form(page, login):
    login(page, "admin", then=PAGE)
    email = f"agent-{uuid.uuid4().hex[:6]}@ccas-rennes.fr"
    open_an_account(page, email)
    page.get_by_label(words("admin.people.form.email.label")).fill(email.upper())
    page.get_by_label(words("admin.people.form.role.label")).select_option("referrer")
    page.get_by_label(words("admin.people.form.partner_id.label")).fill("social-services-35")
    page.get_by_label(words("admin.people.form.territory.label")).fill("35")
    page.get_by_role("button", name=words("admin.people.form.submit")).click()
    expect(page.locator("#person-email-error")).to_have_text(words("admin.people.form.email.exists"))
    expect(page.locator("#person-email")).to_have_attribute("aria-invalid", "true")


def test_the_page_fits_a_phone(phone_page, login, check_accessibility, screenshot):
    login(phone_page, "admin", then=PAGE)
    expect(phone_page.locator("#people-rows tr").first).to_be_visible(timeout=FIRST_ANSWER_MS)
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the accounts page is {width} px wide on a 390 px screen"
    check_accessibility(phone_page, "admin-people-phone")
    screenshot(phone_page, "admin-people-phone")
