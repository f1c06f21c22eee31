"""The authorization matrix runs once per test session on the shared local cloud (tests/conftest.py);
its figures are printed at the end of the run."""

from __future__ import annotations

import time

import pytest

from shared.access import services_tables
from tests.localcloud.cloud import LocalCloud
from tests.security import world as fixture_world
from tests.security import callers
from tests.security.callers import BY_NAME
from tests.security.matrix import Http, Matrix, Result, served_routes

# Every API that declares an access table: the four services and the gateway's keys and operations APIs.
SERVICES = list(services_tables())
_figures: dict[str, Result] = {}


@pytest.fixture(scope="session")
def served(local_cloud: LocalCloud):
    """Every route the running services serve, from their OpenAPI documents."""
    return served_routes(local_cloud.base_url, SERVICES)


@pytest.fixture(scope="session")
def matrix(local_cloud: LocalCloud, served) -> Result:
    started = time.monotonic()
    cognito = local_cloud.client("cognito-idp")
    callers.log_in = lambda email, password: cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=local_cloud.outputs["PeoplePoolClientId"],
        AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]["IdToken"]
    world = fixture_world.build(local_cloud)
    run = Matrix(Http(local_cloud.base_url), world, served, services_tables())
    try:
        result = run.run()
        result.seconds = {"world": time.monotonic() - started - sum(result.seconds.values()), **result.seconds}
    finally:
        # referrals left waiting would take the next device of their territory in another test
        # (the waiting fixture referral is normally withdrawn by the cancellation route already)
        for caller, referral_id in [(BY_NAME["referrer-35"], world.waiting_referral), *run.created_referrals]:
            local_cloud.http.post(f"{local_cloud.base_url}/allocation/referrals/{referral_id}/cancellation",
                                  json={"reason": "end of the authorization matrix"}, timeout=30,
                                  headers={"Authorization": f"Bearer {caller.key}"})
    _figures["result"] = result
    return result


def pytest_terminal_summary(terminalreporter):
    result = _figures.get("result")
    if result is None:
        return
    counts = result.counts()
    terminalreporter.section("authorization matrix")
    terminalreporter.write_line(
        f"{len(result.routes)} routes × {result.callers} callers = {len(result.cells)} cells: {counts['leak']} leaks, {counts['unexpected denial']} unexpected denials, "
        f"{counts['other']} other mismatches; {len(result.leaks)} answers naming another territory's objects; "
        f"{len(result.changed_by_denied)} writes changed by a denied caller")
    terminalreporter.write_line("seconds: " + ", ".join(f"{phase} {s:.1f}" for phase, s in result.seconds.items()))
