"""Who is calling: identity comes from the authorizer's context only; roles gate what a partner may do."""

from __future__ import annotations

import pytest

from shared.errors import Forbidden, Unauthenticated
from shared.partners import Partner, Role, partner_from_authorizer, require_role


def test_the_authorizer_context_gives_the_partner():
    partner = partner_from_authorizer({"partner_id": "pos-1", "role": "point_of_sale", "territory": "35"})
    assert partner == Partner("pos-1", Role.POINT_OF_SALE, "35")


def test_an_empty_territory_means_none():
    assert partner_from_authorizer({"partner_id": "pos-1", "role": "point_of_sale", "territory": ""}).territory is None


@pytest.mark.parametrize("context", [None, {}, {"partner_id": "x"}, {"role": "donor"}, {"partner_id": "", "role": "donor"}])
def test_no_identity_is_unauthenticated(context):
    with pytest.raises(Unauthenticated):
        partner_from_authorizer(context)


def test_an_unknown_role_is_forbidden():
    with pytest.raises(Forbidden, match="superuser"):
        partner_from_authorizer({"partner_id": "x", "role": "superuser"})


def test_a_role_outside_the_allowed_ones_is_forbidden_with_both_named():
    with pytest.raises(Forbidden, match="role donor may not do this \\(needs warehouse, workshop\\)"):
        require_role(Partner("d", Role.DONOR), Role.WAREHOUSE, Role.WORKSHOP)


def test_an_allowed_role_and_an_admin_pass():
    workshop, admin = Partner("w", Role.WORKSHOP), Partner("a", Role.ADMIN)
    assert require_role(workshop, Role.WAREHOUSE, Role.WORKSHOP) is workshop
    assert require_role(admin, Role.WAREHOUSE) is admin
