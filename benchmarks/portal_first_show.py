"""How long a portal page takes to first show on the local cloud, cold and warm.

    .venv/bin/python -m benchmarks.portal_first_show [rounds]

Starts its own emulator on a free port, deploys the system, and opens the login page in
Debian's Chromium (Playwright), each time in a new browser context (no cache, no session):
- cold: the portal function's first invocation (after deploying, and again after each change
  of its configuration, which makes the emulator start a new worker);
- warm: the function already running (median of `rounds`, default 10);
- repeat visit: the same context again (its assets from the browser's cache);
- logged in: the home page after logging in (Cognito round trip included).
"Shown" is the login form visible (Playwright waits for it), measured from the navigation's
start. Beside them, in the same run: one GET of the page's HTML alone (the function behind the
HTTP API, no browser), and one GET of a service route with a partner key (a function behind
the authorizer): the floor the emulator sets for one request.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time

import requests
from playwright.sync_api import sync_playwright

from devtools.localcloud.__main__ import partner_base_url, portal_url, session_for
from devtools.localcloud.deploy import deploy
from devtools.localcloud.emulator import Emulator, free_port
from tests.portal.conftest import dev_person


def shown(context, url: str, selector: str = "#login-form") -> float:
    page = context.new_page()
    page.set_default_timeout(180_000)  # a cold worker on a busy machine takes seconds
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, state="visible")
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def fresh(browser, url: str, selector: str = "#login-form") -> float:
    context = browser.new_context(locale="fr-FR")
    try:
        return shown(context, url, selector)
    finally:
        context.close()


def timed_get(url: str, headers: dict | None = None) -> float:
    started = time.perf_counter()
    response = requests.get(url, headers=headers or {}, timeout=60)
    response.raise_for_status()
    return time.perf_counter() - started


def main(rounds: int = 10) -> None:
    emulator = Emulator(port=free_port())
    try:
        emulator.start()
        session = session_for(emulator.endpoint)
        deployment = deploy(session)
        portal = portal_url(emulator.endpoint, deployment)
        base = partner_base_url(emulator.endpoint, deployment)
        functions = session.client("lambda")
        portal_function = next(f["FunctionName"] for page in functions.get_paginator("list_functions").paginate()
                               for f in page["Functions"] if "PortalFunction" in f["FunctionName"])
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
            cold = [fresh(browser, f"{portal}/connexion")]
            for n in range(2):
                environment = functions.get_function_configuration(FunctionName=portal_function)["Environment"]
                environment["Variables"]["BENCHMARK_ROUND"] = str(n)
                functions.update_function_configuration(FunctionName=portal_function, Environment=environment)
                time.sleep(1)
                cold.append(fresh(browser, f"{portal}/connexion"))
            warm = [fresh(browser, f"{portal}/connexion") for _ in range(rounds)]
            context = browser.new_context(locale="fr-FR")
            shown(context, f"{portal}/connexion")
            repeat = [shown(context, f"{portal}/connexion") for _ in range(rounds)]

            email, person = dev_person("referrer")
            logged_in = []
            for _ in range(max(3, rounds // 2)):
                page = context.new_page()
                page.set_default_timeout(180_000)
                page.goto(f"{portal}/connexion")
                page.fill("#login-email", email)
                page.fill("#login-password", person["password"])
                started = time.perf_counter()
                page.click("#login-form button[type=submit]")
                page.wait_for_function("() => document.getElementById('home-welcome')?.textContent.length > 0")
                logged_in.append(time.perf_counter() - started)
                page.evaluate("() => sessionStorage.clear()")
                page.close()
            context.close()
            browser.close()
        html_only = statistics.median(timed_get(f"{base}/portal/connexion") for _ in range(rounds))
        service = statistics.median(timed_get(f"{base}/intake/health", {"Authorization": "Bearer dev-donor-key"})
                                    for _ in range(rounds))
        warm_median = statistics.median(warm)
        print(f"portal page first shown (login form visible), {rounds} rounds, medians")
        print(f"  cold function, new browser:     {', '.join(f'{s * 1000:.0f}' for s in cold)} ms")
        print(f"  warm function, new browser:     {warm_median * 1000:6.0f} ms  (max {max(warm) * 1000:.0f})")
        print(f"  repeat visit (browser cache):   {statistics.median(repeat) * 1000:6.0f} ms")
        print(f"  log in → home page shown:       {statistics.median(logged_in) * 1000:6.0f} ms")
        print(f"  the page's HTML alone (GET):    {html_only * 1000:6.0f} ms")
        print(f"  a service route with a key:     {service * 1000:6.0f} ms")
        print(f"  warm page / one service request: {warm_median / service:5.1f}x")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
