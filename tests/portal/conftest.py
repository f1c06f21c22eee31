"""Browser tests: Debian's Chromium driven by Playwright, on the portal the local cloud serves.

Nothing is mocked: the pages log in against the emulator's Cognito and call the services'
routes. Chromium is the system's (`apt-get install chromium`, done by `make install` and
`.ci/run`); Playwright's own browser download is never used. Without Chromium these tests
fail, they are not skipped.

Each test gets a fresh browser context (no session shared between tests), French, 1280×900
unless it asks for a phone (`phone_page`). `check_accessibility(page, name)` runs axe-core and
fails on any serious or critical violation; the results of the run are printed at its end and
written beside the screenshots (`PORTAL_SCREENSHOTS`, default a temporary folder;
`make screenshots` writes them into docs/portal/).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from devtools.localcloud.paths import DEV_PEOPLE, ROOT

SERIOUS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
_axe = Axe()
# page name → {"violations": [(impact, rule id, nodes)], "url": …}, for the run's summary.
ACCESSIBILITY: dict[str, dict] = {}


def chromium_path() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        pytest.fail("no chromium on this machine: `apt-get install -y chromium` (make install does it)", pytrace=False)
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 1280, "height": 900},
            "accept_downloads": True}


@pytest.fixture(scope="session")
def portal(local_cloud) -> str:
    """The portal's address, at the API's host name as a browser on AWS would see it."""
    scheme, host = local_cloud.endpoint.split("://", 1)
    port = host.rsplit(":", 1)[-1]
    return f"{scheme}://{local_cloud.outputs['ApiId']}.execute-api.localhost:{port}/portal"


@pytest.fixture
def phone_page(browser, browser_context_args):
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True})
    yield context.new_page()
    context.close()


def dev_people() -> dict[str, dict]:
    return json.loads(DEV_PEOPLE.read_text())


def dev_person(role: str, territory: str = "35") -> tuple[str, dict]:
    for email, person in dev_people().items():
        if person["role"] == role and person.get("territory", "") in (territory, ""):
            return email, person
    raise LookupError(f"no dev person with role {role} in devtools/dev-people.json")


@pytest.fixture
def login(portal):
    """login(page, role) logs in as that role's dev person through the login page and waits for
    the home page (or the page `then` names)."""

    def log_in(page, role: str, *, territory: str = "35", then: str = "") -> None:
        email, person = dev_person(role, territory)
        page.goto(f"{portal}/connexion" + (f"?retour=/portal/{then}" if then else ""))
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(person["password"])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{portal}/{then}" if then else portal)

    return log_in


def screenshots_folder(tmp_path_factory) -> Path:
    chosen = os.environ.get("PORTAL_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "portal-screenshots"
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    return screenshots_folder(tmp_path_factory)


@pytest.fixture
def screenshot(screenshots):
    """screenshot(page, name): the whole page, as docs/portal/<name>.png with `make screenshots`."""

    def take(page, name: str) -> Path:
        path = screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def check_accessibility(screenshots):
    """check_accessibility(page, name): axe-core on the page as it is; fails on a serious or
    critical violation, naming each rule and element."""

    def check(page, name: str, *, context=None) -> list[dict]:
        results = _axe.run(page, context=context)
        violations = results.response["violations"]
        ACCESSIBILITY[name] = {
            "url": page.url,
            "violations": [{"impact": v["impact"], "rule": v["id"], "nodes": len(v["nodes"])} for v in violations],
        }
        (screenshots / "accessibility.json").write_text(json.dumps(ACCESSIBILITY, indent=2, sort_keys=True))
        serious = [v for v in violations if v["impact"] in SERIOUS]
        assert not serious, f"{name}: " + "; ".join(
            f"{v['impact']} {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:5]}" for v in serious)
        return violations

    return check


def pytest_terminal_summary(terminalreporter):
    if not ACCESSIBILITY:
        return
    terminalreporter.section("portal accessibility (axe-core)")
    for name, result in sorted(ACCESSIBILITY.items()):
        found = ", ".join(f"{v['impact']} {v['rule']}×{v['nodes']}" for v in result["violations"]) or "none"
        terminalreporter.write_line(f"{name:32} violations: {found}")
