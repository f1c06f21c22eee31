"""What every partner relies on at the HTTP edge: authentication, roles, validation, retries."""

from __future__ import annotations

import uuid

import pytest

from devtools.thin_path import register_donor
from tests.localcloud.cloud import LocalCloud

LOT = {"expected_count": 3, "pickup_site": "Rennes HQ"}


@pytest.fixture(autouse=True)
def registered_donor(local_cloud: LocalCloud):
    """Lots are declared by a donor the administrator registered (registering it again changes nothing)."""
    register_donor(local_cloud)


def test_calls_without_a_valid_key_are_refused(local_cloud: LocalCloud):
    assert local_cloud.call("GET", "/intake/health", None).status_code == 401
    assert local_cloud.call("GET", "/intake/health", "nobody").status_code == 403


def test_a_partner_cannot_act_outside_its_role(local_cloud: LocalCloud):
    response = local_cloud.call("POST", "/intake/lots", "pos", LOT)
    assert response.status_code == 403
    assert "point_of_sale" in response.json()["message"]


def test_bad_input_is_refused_with_the_field_named(local_cloud: LocalCloud):
    response = local_cloud.call("POST", "/intake/lots", "donor", {**LOT, "expected_count": 0})
    assert response.status_code == 422
    assert "expected_count" in response.text


def test_identity_comes_from_the_key_not_from_the_body(local_cloud: LocalCloud):
    response = local_cloud.call("POST", "/intake/lots", "donor", {**LOT, "donor_id": "someone-else"})
    assert response.status_code == 422  # unknown fields are refused, identity cannot be claimed
    lot = local_cloud.call("POST", "/intake/lots", "donor", LOT).json()
    assert lot["donor_id"] == "donor-departement-35"


def test_a_retried_create_with_the_same_idempotency_key_creates_once(local_cloud: LocalCloud):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = local_cloud.http.post(local_cloud.base_url + "/intake/lots", json=LOT,
                                  headers={"Authorization": "Bearer dev-donor-key", **key}, timeout=30)
    again = local_cloud.http.post(local_cloud.base_url + "/intake/lots", json=LOT,
                                  headers={"Authorization": "Bearer dev-donor-key", **key}, timeout=30)
    assert first.status_code == again.status_code == 201
    assert again.json()["lot_id"] == first.json()["lot_id"]

    other_body = local_cloud.http.post(local_cloud.base_url + "/intake/lots", json={**LOT, "expected_count": 4},
                                       headers={"Authorization": "Bearer dev-donor-key", **key}, timeout=30)
    assert other_body.status_code == 422
    assert "Idempotency-Key" in other_body.json()["message"]


def test_a_duplicate_serial_is_refused_with_a_clear_message(local_cloud: LocalCloud):
    lot = local_cloud.call("POST", "/intake/lots", "donor", LOT).json()
    device = {"serial_number": f"PF{uuid.uuid4().hex[:8]}", "make": "Lenovo", "model": "ThinkPad T480",
              "device_type": "laptop", "specs": {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}}
    assert local_cloud.call("POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", device).status_code == 201
    again = local_cloud.call("POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse",
                             {**device, "serial_number": " " + device["serial_number"].lower()})
    assert again.status_code == 409
    assert device["serial_number"].lower() in again.json()["message"]
    assert len(local_cloud.call("GET", f"/intake/lots/{lot['lot_id']}", "warehouse").json()["devices"]) == 1
