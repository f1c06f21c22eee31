"""Every served OpenAPI document holds: schemathesis generates requests from each operation of the
six documents (four services, the keys API and the operations API) and sends them to the running local cloud, twice:
with generated ids (examples, coverage and fuzzing phases), then with the ids of real objects, one
device's journey through all four services, so that generated bodies reach the rules behind.

A response fails the test if it is a server error (5xx), has a status its operation does not list,
a content type it does not list, or a body that does not match the listed schema. Requests are
sent with the administrator's key, who may call every route: the refusals a partner meets (401,
403, 404 out of reach) are the authorization matrix's subject (tests/security/).

The fuzzer writes whatever the documents allow (price grids, policies, workshops with capacity,
referrals), so it runs on a local cloud of its own: nothing it writes reaches the other tests.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from schemathesis.engine import Status, StopReason, from_schema
from schemathesis.engine.events import (
    EngineFinished,
    FatalError,
    FuzzScenarioFinished,
    NonFatalError,
    ScenarioFinished,
)

from devtools import thin_path
from tests.conftest import THIN_PATH_WORKSHOP, started_local_cloud
from tests.localcloud.cloud import LocalCloud

DOCUMENTS = ["intake", "refurb", "allocation", "sales", "access", "operations"]
ADMIN = {"Authorization": "Bearer dev-admin-key"}
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance"]
# Generated cases per operation and phase (examples, coverage, fuzzing) with random ids, and of
# fuzzing on real objects: about 5,000 requests in all, a few minutes on 2 cores.
MAX_EXAMPLES = 10
MAX_EXAMPLES_ON_REAL_OBJECTS = 25
# A fixed seed: `make test` sends the same requests every time (raise MAX_EXAMPLES or change the
# seed to look further).
SEED = 20261202
WORKERS = 2


@pytest.fixture(scope="module")
def fuzzed_cloud(tmp_path_factory) -> LocalCloud:
    with started_local_cloud(tmp_path_factory.mktemp("fuzzed-cloud")) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def real_ids(fuzzed_cloud: LocalCloud) -> dict[str, str]:
    """Ids of real objects, one device driven through all four services (devtools/thin_path.py):
    generated ids mostly reach "not found"; on these, generated bodies reach the rules behind.
    Made before anything is fuzzed: fuzzed policies and workshops could stop the journey."""
    run = thin_path.run(fuzzed_cloud)
    device = fuzzed_cloud.expect(200, "GET", f"/intake/devices/{run.device_id}", "admin")
    keys = fuzzed_cloud.expect(200, "GET", "/access/keys", "admin")["items"]
    return {"device_id": run.device_id, "lot_id": device["lot_id"], "donor_id": device["donor_id"],
            "label_code": device["label_code"], "referral_id": run.referral_id,
            "reservation_id": run.sale["reservation_id"], "sale_id": run.sale["sale_id"],
            "workshop_id": THIN_PATH_WORKSHOP, "partner_id": "social-services-35",  # the dev referrer
            "version": "1", "key_id": keys[0]["key_id"]}


def served_document(cloud: LocalCloud, service: str, path_ids: dict[str, str] | None = None,
                    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing"), max_examples: int = MAX_EXAMPLES):
    """The document as the service serves it, aimed at the service's prefix on the HTTP API; with
    `path_ids`, every path parameter of those names takes that value."""
    config = schemathesis.Config()
    config.update(seed=SEED, max_failures=None)
    project = config.projects.override
    project.update(base_url=f"{cloud.base_url}/{service}", headers=ADMIN, workers=WORKERS,
                   request_timeout=60, request_retries=1,
                   parameters={f"path.{name}": value for name, value in (path_ids or {}).items()})
    project.phases.update(phases=list(phases))
    project.checks.update(included_check_names=CHECKS)
    project.generation.update(max_examples=max_examples, database="none")
    return schemathesis.openapi.from_url(f"{cloud.base_url}/{service}/openapi.json", config=config, timeout=60)


@pytest.mark.usefixtures("real_ids")
@pytest.mark.parametrize("service", DOCUMENTS)
def test_every_answer_is_documented(fuzzed_cloud: LocalCloud, service: str):
    check_document(served_document(fuzzed_cloud, service), service)


@pytest.mark.parametrize("service", DOCUMENTS)
def test_every_answer_about_a_real_object_is_documented(fuzzed_cloud: LocalCloud, real_ids: dict[str, str],
                                                        service: str):
    # the coverage phase's boundary values were sent with random ids above: generated bodies here
    schema = served_document(fuzzed_cloud, service, real_ids, phases=("examples", "fuzzing"),
                             max_examples=MAX_EXAMPLES_ON_REAL_OBJECTS)
    check_document(schema, f"{service} (real objects)")


def check_document(schema, service: str) -> None:
    listed = {operation.ok().label for operation in schema.get_all_operations()}
    exercised, statuses, failures, errors, stop_reason = set(), Counter(), [], [], None
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, (ScenarioFinished, FuzzScenarioFinished)):
            recorder = event.recorder
            if recorder.interactions:
                exercised.add(recorder.label)
            statuses.update(i.response.status_code for i in recorder.interactions.values() if i.response)
            failures += [f"{recorder.label}: {check.name} — {_describe(check)}"
                         for checks in recorder.checks.values() for check in checks if check.status is Status.FAILURE]
        elif isinstance(event, (NonFatalError, FatalError)):
            errors.append(f"{getattr(event, 'label', '')}: {getattr(event, 'info', event)}")
        elif isinstance(event, EngineFinished):
            stop_reason = event.stop_reason
    cases = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"\n{service}: {len(exercised)}/{len(listed)} operations, {cases} cases in "
          f"{time.monotonic() - started:.0f} s, {server_errors} server errors; statuses "
          + ", ".join(f"{status}×{n}" for status, n in sorted(statuses.items())))
    assert not errors, "\n".join(errors)
    assert not failures, "\n".join(sorted(set(failures)))
    assert stop_reason is StopReason.COMPLETED
    assert listed == exercised, f"never called: {sorted(listed - exercised)}"


def _describe(check) -> str:
    info = check.failure_info
    if info is None:
        return ""
    failure = info.failure
    return f"{failure.title}: {failure.message}"[:400] + f"\n    {info.code_sample}"
