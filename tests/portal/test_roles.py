"""A person of one role cannot reach another role's pages or data; logging out ends the session;
an ended or refused session sends the person to log in and back to the page they were on, with
what they had typed.

The pages tried are every page registered in portal/pages/ (each area's `PAGES`), the routes every
route of the services' access tables: a page or route added later is tried without a change here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import catalogue
import pages as portal_pages
from shared.access import services_tables
from shared.partners import Role
from tests.portal.conftest import dev_person
from tests.security.samples import PARAMETERS, SAMPLES

ROLES = [role.value for role in Role]
TEMPLATES = Path(portal_pages.__file__).parent.parent / "templates"
# Where the services answer: a page's data comes from nowhere else.
SERVICES = re.compile(r"/(intake|refurb|allocation|sales|access|operations)/")
# A value for each path parameter: the role is checked before any object is looked up.
PLACEHOLDER = "essai-0001"
REFUSED_TITLE = catalogue.translate("common.refused.title")


def refused_pages(role: str) -> list[portal_pages.Page]:
    """The registered pages for people that are not for this role."""
    return [page for page in portal_pages.PAGES if page.roles and Role(role) not in page.roles]


def page_url(portal: str, page: portal_pages.Page) -> str:
    return f"{portal}/" + re.sub(r"\{[a-z_]+\}", PLACEHOLDER, page.path)


class StandInWorld:
    """What the authorization matrix's sample requests read of its fixture world (tests/security/world.py):
    here placeholders of the right shape, and the policies as they are. A request must be valid for the
    role check to be reached: the shape of a request is checked first (422)."""

    POLICIES = {"grading_rules": ("/refurb/grading-rules", "rules"), "price_grid": ("/sales/price-grid", None),
                "eligibility_rules": ("/allocation/policies/eligibility", "policy"),
                "matching_policy": ("/allocation/policies/matching", "policy")}
    serials = ["ESSAI0001"]
    quote_eur = sale_price_eur = "100.00"

    def __init__(self, cloud):
        self.cloud = cloud

    def __getattr__(self, name: str):
        if name in self.POLICIES:
            path, field = self.POLICIES[name]
            answer = self.cloud.expect(200, "GET", path, "admin")
            return answer[field] if field else {k: v for k, v in answer.items() if k != "version"}
        return PLACEHOLDER


def refused_requests(role: str, world: StandInWorld) -> list[tuple[str, str, dict]]:
    """(method, path, request options) of every service route this role is not granted, each with the
    authorization matrix's valid request for it."""
    requests = []
    for service, table in services_tables().items():
        for key, access in table.items():
            if access.public or access.allows(Role(role)):
                continue
            method, path = key.split(" ", 1)
            sample = SAMPLES[(service, key)]
            values = {}
            for name in re.findall(r"\{([a-z_]+)\}", path):
                source = PARAMETERS.get(name) if name not in sample.ids else None
                values[name] = source(world) if callable(source) else PLACEHOLDER
            options: dict = {"params": sample.query or None}
            if sample.file:
                options |= {"data": sample.file(world), "headers": {"Content-Type": "application/octet-stream"}}
            elif sample.body is not None:
                options["json"] = sample.body(world) if callable(sample.body) else sample.body
            requests.append((method, f"/{service}" + path.format(**values), options))
    return requests


def id_token(page) -> str:
    return json.loads(page.evaluate("() => sessionStorage.getItem('sv.session')"))["idToken"]


def service_requests(page) -> list[str]:
    """Every request the page makes to a service's route from now on."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if SERVICES.search(request.url) else None)
    return seen


# An administrator is refused the pages of the roles whose pages do not list them, once there are some.
REFUSED_SOMETHING = [role for role in ROLES if refused_pages(role)]


def test_some_page_is_for_some_roles_only():
    assert len(REFUSED_SOMETHING) >= 5, f"only {REFUSED_SOMETHING} have pages to be refused"


@pytest.mark.parametrize("role", REFUSED_SOMETHING)
def test_a_person_is_refused_every_page_of_another_role_and_shown_none_of_its_data(page, portal, login, role):
    tried = refused_pages(role)
    login(page, role)
    asked = service_requests(page)
    for other in tried:
        page.goto(page_url(portal, other))
        expect(page.locator("#page-title")).to_have_text(REFUSED_TITLE)
        expect(page.locator("#access-refused")).to_contain_text(
            catalogue.translate(f"common.roles.{role}"))
        expect(page.locator("#page-content")).to_be_hidden()
        assert page.title().startswith(REFUSED_TITLE), other.path
    assert asked == [], f"pages refused to {role} still asked the services: {asked}"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_a_person_token_is_refused_every_route_of_another_role(page, login, local_cloud, role):
    login(page, role)
    token = id_token(page)
    answers = {}
    for method, path, options in refused_requests(role, StandInWorld(local_cloud)):
        headers = {**options.pop("headers", {}), "Authorization": f"Bearer {token}"}
        response = local_cloud.http.request(method, local_cloud.base_url + path, headers=headers, timeout=30,
                                            **options)
        answers[f"{method} {path}"] = response.status_code
    assert answers, f"every route is granted to {role}"
    allowed = {route: status for route, status in answers.items() if status not in (403, 404)}
    assert not allowed, f"{role}'s token was not refused: {allowed}"


def a_menu_page() -> portal_pages.Page:
    """A registered page for people, in their menu, without parameters (beside the home page)."""
    return next(p for p in portal_pages.PAGES if p.roles and p.nav and p.path and "{" not in p.path)


def test_logging_out_ends_the_session_even_through_the_back_button(page, portal, login):
    visited = a_menu_page()
    role = visited.roles[0].value
    email, _ = dev_person(role)
    login(page, role)
    page.get_by_role("link", name=catalogue.translate(visited.nav)).first.click()
    page.wait_for_url(f"{portal}/{visited.path}")
    expect(page.locator("#sv-session-person")).to_contain_text(email)
    asked = service_requests(page)

    page.get_by_role("button", name=catalogue.translate("common.logout")).click()
    page.wait_for_url(re.compile(r"/portal/connexion\?raison=deconnexion$"))
    assert page.evaluate("() => Object.keys(sessionStorage).length") == 0
    page.go_back()  # the home page the person came from: it must not show itself again
    page.wait_for_url(re.compile(r"/portal/connexion\?retour="))
    expect(page.get_by_label(catalogue.translate("common.login.email"))).to_be_visible()
    expect(page.get_by_text(email)).to_have_count(0)
    assert asked == [], f"after logging out, the pages still asked the services: {asked}"


def draft_page() -> portal_pages.Page:
    """A registered page without parameters whose form keeps a draft (`data-draft`)."""
    for candidate in portal_pages.PAGES:
        if candidate.roles and "{" not in candidate.path and \
                "data-draft" in (TEMPLATES / candidate.template).read_text(encoding="utf-8"):
            return candidate
    raise AssertionError("no registered page has a form with data-draft")


def type_a_draft(page) -> dict[str, str]:
    """Types into every text field of the page's draft form; returns what was typed, by field id."""
    typed = {}
    fields = page.locator("form[data-draft] input[type=text], form[data-draft] input[type=email], "
                          "form[data-draft] textarea")
    for n in range(fields.count()):
        field = fields.nth(n)
        if field.is_visible():
            value = f"brouillon{n}@exemple.fr" if field.get_attribute("type") == "email" else f"brouillon-{n}"
            field.fill(value)
            typed[field.get_attribute("id")] = field.input_value()  # as the field took it (its maxlength)
    assert typed, "the draft form has no text field to type in"
    return typed


def log_in_again(page, role: str) -> None:
    email, person = dev_person(role)
    page.get_by_label(catalogue.translate("common.login.email")).fill(email)
    page.get_by_label(catalogue.translate("common.login.password"), exact=True).fill(person["password"])
    page.get_by_role("button", name=catalogue.translate("common.login.submit")).click()


SPOILED_SESSIONS = {
    # the ID token expired and the refresh token no longer renews it
    "expired": "s => ({...s, expiresAt: 0, refreshToken: 'plus-valide'})",
    # a token the services refuse (its signature does not match) before its expiry
    "invalid": "s => ({...s, idToken: s.idToken.slice(0, -6) + (s.idToken.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')})",
}


@pytest.mark.parametrize("spoiled", list(SPOILED_SESSIONS))
def test_an_ended_session_sends_the_person_to_log_in_and_back_with_what_they_typed(page, portal, login, spoiled):
    drafted = draft_page()
    role = drafted.roles[0].value
    login(page, role, then=drafted.path)
    typed = type_a_draft(page)

    page.evaluate(f"""() => {{
        const spoil = {SPOILED_SESSIONS[spoiled]};
        sessionStorage.setItem('sv.session', JSON.stringify(spoil(JSON.parse(sessionStorage.getItem('sv.session')))));
    }}""")
    page.locator("form[data-draft] [type=submit]").first.click()

    page.wait_for_url(re.compile(r"/portal/connexion\?retour="))
    expect(page.get_by_text(catalogue.translate("common.login.expired"))).to_be_visible()
    log_in_again(page, role)
    page.wait_for_url(f"{portal}/{drafted.path}")
    for field_id, value in typed.items():
        expect(page.locator(f"#{field_id}")).to_have_value(value)
