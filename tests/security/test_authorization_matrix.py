"""Every route of the four services and the keys API × every kind of caller, on the running local cloud: each
answer is the one the services' access tables say (matrix.py explains the rules of the game)."""

from __future__ import annotations

from shared.access import services_tables
from tests.security.matrix import Result, mismatch_table, uncovered
from tests.security.samples import SAMPLES


def test_every_served_route_has_an_access_rule_and_a_sample_request(served):
    problems = uncovered(served, services_tables())
    served_keys = {(route.service, route.key) for route in served}
    problems += [f"{service} {key}: a sample request for a route no service serves"
                 for service, key in SAMPLES if (service, key) not in served_keys]
    assert not problems, "\n".join(problems)


def test_every_caller_gets_what_the_access_tables_say(matrix: Result):
    assert len(matrix.cells) == len(matrix.routes) * matrix.callers, "some cells were not called"
    mismatches = matrix.mismatches()
    counts = matrix.counts()
    assert not mismatches, (
        f"{len(mismatches)} of {len(matrix.cells)} cells differ from the access tables "
        f"({counts['leak']} leaks, {counts['unexpected denial']} unexpected denials, {counts['other']} other):\n"
        + mismatch_table(mismatches))


def test_no_answer_names_the_objects_of_another_territory(matrix: Result):
    assert not matrix.leaks, "\n".join(matrix.leaks)


def test_a_denied_write_changes_nothing(matrix: Result):
    assert not matrix.changed_by_denied, "\n".join(matrix.changed_by_denied)
