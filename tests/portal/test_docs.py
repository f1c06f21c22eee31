"""The API's documentation in the portal: the six OpenAPI documents listed, Swagger UI (served by
the portal, nothing from another site) rendering them, and "Try it out" calling the running API
with the key given to its Authorize dialog."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.portal.conftest import ACCESSIBILITY

APIS = ["intake", "refurb", "allocation", "sales", "access", "operations"]
SWAGGER_UI = "#swagger-ui"


@pytest.fixture
def refused_by_the_page(page):
    """What the page's Content-Security-Policy refused, the portal's files that failed, and script
    errors. (An API call's refusal is not one: "Try it out" without a key is meant to get a 401.)"""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if "/portal/" in response.url and response.status >= 400 else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def open_explorer(page, portal: str, api: str) -> None:
    page.goto(f"{portal}/api/{api}")
    expect(page.locator(f"{SWAGGER_UI}[data-loaded='true']")).to_be_attached()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(f"Seconde Vie — {api} API")


def report_swagger_ui(page, name: str) -> None:
    """axe on Swagger UI's own markup, recorded in the run's accessibility summary, not held to it:
    it is not ours to fix (docs.css darkens its colours, explorer.js names its servers list)."""
    theirs = Axe().run(page, context=SWAGGER_UI).response["violations"]
    ACCESSIBILITY[f"{name}: Swagger UI itself (reported only)"] = {
        "url": page.url, "violations": [{"impact": v["impact"], "rule": v["id"], "nodes": len(v["nodes"])}
                                        for v in theirs]}


def operation(page, method: str, path: str):
    return page.locator(f".opblock-{method.lower()}").filter(
        has=page.locator(".opblock-summary-path", has_text=re.compile(f"^{re.escape(path)}$")))


def test_the_docs_page_lists_the_six_documents_each_readable_without_a_key(page, portal, check_accessibility,
                                                                         screenshot, refused_by_the_page):
    page.goto(f"{portal}/connexion")
    page.get_by_role("link", name="Documentation de l'API").click()  # every page's footer leads here
    page.wait_for_url(f"{portal}/api")
    expect(page).to_have_title("Documentation de l'API — Seconde Vie")

    entries = page.locator("#api-documents > li")
    expect(entries).to_have_count(len(APIS))
    for api in APIS:
        entry = entries.filter(has=page.locator(f"a[href='/{api}/openapi.json']"))
        expect(entry.locator(f"a[href='/portal/api/{api}']")).to_be_visible()
        # followed as the browser would, holding no key
        status, servers = entry.locator(f"a[href='/{api}/openapi.json']").evaluate(
            "link => fetch(link.href).then(async r => [r.status, (await r.json()).servers])")
        assert (status, servers) == (200, [{"url": f"/{api}"}]), api
    expect(page.get_by_role("link", name="Explorer l'API collecte")).to_be_visible()

    check_accessibility(page, "api-docs")
    screenshot(page, "api-docs")
    assert not refused_by_the_page


def test_swagger_ui_renders_intakes_document_under_the_portals_rules(page, portal, check_accessibility,
                                                                    screenshot, refused_by_the_page):
    open_explorer(page, portal, "intake")
    expect(page).to_have_title("Explorer l'API collecte — Seconde Vie")
    expect(page.locator(".swagger-ui .servers select")).to_have_value("/intake")
    expect(page.locator(".swagger-ui .btn.authorize")).to_be_visible()
    passport = operation(page, "GET", "/passport/{label_code}")
    expect(passport).to_be_visible()
    expect(passport.locator(".authorization__btn")).to_have_count(0)  # public: no padlock
    expect(operation(page, "POST", "/lots").locator(".authorization__btn")).to_have_count(1)

    # Ours must pass; Swagger UI's own markup is reported, not held to it (it is not ours to fix).
    check_accessibility(page, "api-explorer", context={"exclude": [[SWAGGER_UI]]})
    report_swagger_ui(page, "api-explorer")
    screenshot(page, "api-explorer")
    # Nothing refused by the Content-Security-Policy (no inline script, nothing from elsewhere)
    assert not refused_by_the_page


def test_try_it_out_needs_the_bearer_and_answers_200_with_the_referrers_key(page, portal, refused_by_the_page,
                                                                            screenshot):
    open_explorer(page, portal, "allocation")
    health = operation(page, "GET", "/health")
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    status = health.locator(".live-responses-table .response .response-col_status")
    expect(status).to_have_text("401")  # not yet authorized: the API's authorizer refuses it
    expect(health.locator(".request-url")).to_contain_text("/allocation/health")

    page.locator(".swagger-ui .btn.authorize").first.click()
    dialog = page.locator(".swagger-ui .dialog-ux")
    dialog.locator("input").fill("dev-referrer-key")
    dialog.locator(".auth-btn-wrapper .authorize").click()
    dialog.locator(".auth-btn-wrapper .btn-done").click()

    health.get_by_role("button", name="Execute").click()
    expect(status).to_have_text("200")
    expect(health.locator(".live-responses-table tr.response .response-col_description")).to_contain_text('"status": "ok"')
    report_swagger_ui(page, "api-explorer-tried")
    screenshot(page, "api-explorer-tried")
    assert not refused_by_the_page


def test_an_unknown_api_is_said_so_in_french(page, portal):
    page.goto(f"{portal}/api/billing")
    expect(page.get_by_text("Cette partie de l'API n'existe pas.")).to_be_visible()
    expect(page.locator(SWAGGER_UI)).to_be_empty()


def test_the_docs_pages_fit_a_phone_screen(phone_page, portal, check_accessibility, screenshot):
    phone_page.set_viewport_size({"width": 360, "height": 800})
    for path in ("api", "api/sales"):
        phone_page.goto(f"{portal}/{path}")
        if path != "api":
            expect(phone_page.locator(f"{SWAGGER_UI}[data-loaded='true']")).to_be_attached()
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"/portal/{path} is {width} px wide on a 360 px screen"
    phone_page.goto(f"{portal}/api")
    check_accessibility(phone_page, "api-docs-phone")
    screenshot(phone_page, "api-docs-phone")
