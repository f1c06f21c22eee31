"""The matrix's expectations, on made-up rules: what each kind of caller must get (matrix.py)."""

from __future__ import annotations

from shared.access import Reach, admins_only, grant, public
from shared.partners import Role
from tests.security.callers import BY_NAME
from tests.security.matrix import ALLOWED, expected_outcome
from tests.security.samples import Sample
from tests.security.world import Owned

OBJECTS = {"lot": Owned({Role.DONOR: "donor-departement-35"}, "35")}
LOT_READERS = grant("lot", donor=Reach.OWN, warehouse=Reach.TERRITORY)


def outcomes(access, sample) -> dict[str, str]:
    return {name: expected_outcome(access, sample, caller, OBJECTS) for name, caller in BY_NAME.items()}


def test_an_owned_object_is_found_by_its_owner_its_territory_and_the_admin_only():
    got = outcomes(LOT_READERS, Sample("lot"))
    assert {name for name, outcome in got.items() if outcome == ALLOWED} == {"donor-35", "warehouse-35", "admin",
                                                                            "admin person"}
    assert got["donor-44"] == got["warehouse-44"] == "404"  # out of reach: not found
    assert got["pos-35"] == got["workshop-44"] == "403"  # the role may not use the route
    assert (got["no key"], got["bad key"]) == ("401", "403")
    assert got["referrer person"] == got["workshop person"] == "403"


def test_a_person_is_expected_to_get_what_their_partner_s_key_gets():
    for access in (LOT_READERS, grant("lot", referrer=Reach.OWN, workshop=Reach.TERRITORY), admins_only("lot")):
        got = outcomes(access, Sample("lot"))
        assert (got["referrer person"], got["workshop person"], got["admin person"]) == (
            got["referrer-35"], got["workshop-35"], got["admin"])


def test_a_route_about_the_callers_own_objects_is_allowed_to_every_partner_of_the_role():
    got = outcomes(LOT_READERS, Sample("lot", own_scope=frozenset({Role.DONOR})))
    assert got["donor-44"] == ALLOWED and got["warehouse-44"] == "404"
    assert outcomes(grant(None, donor=Reach.OWN), Sample())["donor-44"] == ALLOWED


def test_admins_only_and_public_routes():
    assert {n for n, o in outcomes(admins_only("lot"), Sample("lot")).items() if o == ALLOWED} == {"admin", "admin person"}
    assert set(outcomes(public("device"), Sample("lot")).values()) == {ALLOWED}
