"""Who may call a route and on which objects: the one check every service uses (shared/access.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.access import (
    GENERATED_START,
    OPENAPI_ROUTE,
    Ownership,
    Reach,
    UndeclaredRoute,
    check_role,
    grant,
    require_reach,
    route_key,
    services_tables,
    with_generated_tables,
)
from shared.errors import Forbidden, NotFound
from shared.http import ServiceApi
from shared.partners import Partner, Role

ROOT = Path(__file__).resolve().parents[3]
LOT = grant("lot", donor=Reach.OWN, warehouse=Reach.TERRITORY)
LOT_OF_DONOR_35 = Ownership(owners={Role.DONOR: "donor-35"}, territory="35")


def test_the_owner_reaches_its_object_another_partner_of_the_same_role_does_not():
    require_reach(LOT, Partner("donor-35", Role.DONOR, "35"), LOT_OF_DONOR_35, "no lot")
    with pytest.raises(NotFound, match="no lot"):
        require_reach(LOT, Partner("donor-44", Role.DONOR, "35"), LOT_OF_DONOR_35, "no lot")


def test_territory_reach_is_the_callers_territory_only():
    require_reach(LOT, Partner("warehouse-rennes", Role.WAREHOUSE, "35"), LOT_OF_DONOR_35, "no lot")
    for territory in ("44", None):
        with pytest.raises(NotFound):
            require_reach(LOT, Partner("warehouse-x", Role.WAREHOUSE, territory), LOT_OF_DONOR_35, "no lot")


def test_an_object_that_does_not_exist_and_one_out_of_reach_get_the_same_answer():
    outsider = Partner("donor-44", Role.DONOR, "44")
    with pytest.raises(NotFound) as missing:
        require_reach(LOT, outsider, None, "no lot L-1")
    with pytest.raises(NotFound) as not_theirs:
        require_reach(LOT, outsider, LOT_OF_DONOR_35, "no lot L-1")
    assert str(missing.value) == str(not_theirs.value)


def test_administrators_reach_everything_roles_without_a_grant_nothing():
    admin = Partner("association-admin", Role.ADMIN)
    require_reach(LOT, check_role(LOT, admin), Ownership(), "no lot")
    with pytest.raises(Forbidden, match="role point_of_sale may not do this \\(needs donor, warehouse\\)"):
        check_role(LOT, Partner("pos-1", Role.POINT_OF_SALE, "35"))


def test_an_object_without_an_owner_of_the_callers_role_is_out_of_its_reach():
    unassigned = Ownership(owners={Role.WORKSHOP: None}, territory="35")
    with pytest.raises(NotFound):
        require_reach(grant("work order", workshop=Reach.OWN), Partner("workshop-rennes", Role.WORKSHOP, "35"),
                      unassigned, "no work order")


def test_route_keys_are_written_as_in_the_openapi_documents():
    assert route_key("get", "/lots/<lot_id>/devices") == "GET /lots/{lot_id}/devices"


def test_a_route_that_its_service_table_does_not_name_cannot_be_registered():
    app = ServiceApi("example", {"GET /known": grant(None, donor=Reach.OWN)})
    app.get("/known")(lambda: {})
    with pytest.raises(UndeclaredRoute, match="POST /unknown"):
        app.post("/unknown")


GATEWAY_APIS = {"access": "keys_api", "operations": "operations_api"}


@pytest.mark.parametrize("service", ["intake", "refurb", "allocation", "sales", *GATEWAY_APIS])
def test_every_entry_of_a_service_table_is_a_route_of_that_service(service):
    """No stale rule: the table and the router name the same routes."""
    import importlib

    api = importlib.import_module(GATEWAY_APIS.get(service) or f"{service}.handlers.api")
    registered = {route_key(method, rule) for rule, method in _registered_routes(api.app)}
    assert set(services_tables()[service]) | {OPENAPI_ROUTE} == registered


def _registered_routes(app):
    for route in (*app._static_routes, *app._dynamic_routes):
        yield route.path, route.method


def test_docs_security_md_states_the_tables_as_the_code_does():
    document = (ROOT / "docs" / "security.md").read_text()
    assert GENERATED_START in document
    assert document == with_generated_tables(document), "run `make security-doc` and commit docs/security.md"
