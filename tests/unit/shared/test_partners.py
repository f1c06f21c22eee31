"""Who is calling: identity comes from the authorizer's context only; roles gate what a partner may do."""

from __future__ import annotations

import pytest

from shared.errors import Forbidden, Unauthenticated
from shared.partners import Partner, Role, partner_from_authorizer


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
