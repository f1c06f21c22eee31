"""The fault tier runs on the shared local cloud (tests/conftest.py) with partners of its own:
territory 22, whose donor, warehouse, referrer and point of sale exist only for these tests, so
that what they sell, refer and receive crosses nobody else's objects. Each test records its
figures (sent, correct, lost, duplicated); they are printed at the end of the run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
import requests

from tests.localcloud.cloud import LocalCloud

TERRITORY = "22"
RUN = uuid.uuid4().hex[:6]
PARTNERS = {"donor": f"donor-faults-{RUN}", "warehouse": f"warehouse-faults-{RUN}",
            "referrer": f"referrer-faults-{RUN}", "point_of_sale": f"pos-faults-{RUN}"}


@dataclass
class Figures:
    """What one fault test measured: N sent, how many had the right effect, lost, duplicated."""

    sent: int = 0
    correct: int = 0
    lost: int = 0
    duplicated: int = 0
    note: str = ""


_figures: dict[str, Figures] = {}


@pytest.fixture
def figures(request) -> Figures:
    """This test's figures, kept for the summary even if the test fails midway."""
    return _figures.setdefault(request.node.name.removeprefix("test_"), Figures())


@dataclass
class FaultPartners:
    """HTTP calls as the tier's own partners (keys issued by the administrator at the start).
    One connection per call: the races make 20 at once."""

    cloud: LocalCloud
    keys: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, role: str, body=None, *, timeout: float = 60) -> requests.Response:
        key = "dev-admin-key" if role == "admin" else self.keys[role]
        return requests.request(method, self.cloud.base_url + path, json=body, timeout=timeout,
                                headers={"Authorization": f"Bearer {key}"})

    def expect(self, status: int, method: str, path: str, role: str, body=None) -> dict:
        response = self.call(method, path, role, body)
        assert response.status_code == status, f"{method} {path} → {response.status_code}: {response.text}"
        return response.json()


@pytest.fixture(scope="session")
def partners(local_cloud: LocalCloud) -> FaultPartners:
    """Territory 22's partners: keys issued over /access, the donor registered in intake and the
    referral partner in allocation. The keys are revoked at the end."""
    fault_partners, key_ids = FaultPartners(local_cloud), []
    for role, partner_id in PARTNERS.items():
        issued = fault_partners.expect(201, "POST", "/access/keys", "admin", {
            "partner_id": partner_id, "role": role, "territory": TERRITORY, "label": "banc de pannes"})
        fault_partners.keys[role] = issued["key"]
        key_ids.append(issued["key_id"])
    fault_partners.expect(201, "POST", "/intake/donors", "admin", {
        "donor_id": PARTNERS["donor"], "name": "Collectivité d'essai", "donor_type": "public_body",
        "territory": TERRITORY, "legal_basis": {"convention_ref": f"ESSAI-{RUN}", "signed_on": "2026-03-12"}})
    fault_partners.expect(201, "PUT", f"/allocation/partners/{PARTNERS['referrer']}", "admin", {
        "name": "Service d'essai", "kind": "social_services", "territory": TERRITORY})
    yield fault_partners
    for key_id in key_ids:
        fault_partners.call("DELETE", f"/access/keys/{key_id}", "admin")


def pytest_terminal_summary(terminalreporter):
    if not _figures:
        return
    terminalreporter.section("fault tier")
    width = max(len(name) for name in _figures)
    terminalreporter.write_line(f"{'test':<{width}}  {'sent':>5} {'correct':>7} {'lost':>5} {'dup':>5}  note")
    for name, f in _figures.items():
        terminalreporter.write_line(f"{name:<{width}}  {f.sent:>5} {f.correct:>7} {f.lost:>5} {f.duplicated:>5}  {f.note}")
