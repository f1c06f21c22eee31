"""Administrators issue, list and revoke partners' keys under /access; nobody else may."""

from __future__ import annotations

import hashlib

import pytest

import keys_api
import partner_authorizer
from tests.unit.support import LambdaContext, call

POS_29 = {"partner_id": "pos-brest", "role": "point_of_sale", "territory": "29", "label": "caisse 1"}


def api(method: str, path: str, role: str | None = "admin", body=None, **kwargs):
    return call(keys_api.handler, method, path, role, body, territory="", **kwargs)


def authorizes(secret: str) -> dict:
    event = {"version": "2.0", "type": "REQUEST", "rawPath": "/sales/health",
             "headers": {"authorization": f"Bearer {secret}"}}
    return partner_authorizer.handler(event, LambdaContext())


def test_an_admin_issues_a_key_that_is_shown_once_and_works_at_once(keys_table):
    issued = api("POST", "/access/keys", body=POS_29)
    assert issued.status == 201
    secret = issued.body.pop("key")
    assert secret.startswith("sv_")
    assert issued.body | {"key_id": "…", "issued_at": "…"} == {
        "key_id": "…", "partner_id": "pos-brest", "role": "point_of_sale", "territory": "29", "label": "caisse 1",
        "issued_at": "…", "issued_by": "admin-seconde-vie", "revoked_at": None, "revoked_by": None, "status": "active",
    }
    assert authorizes(secret)["context"] == {"partner_id": "pos-brest", "role": "point_of_sale", "territory": "29",
                                             "key_id": issued.body["key_id"]}


def test_the_list_never_shows_a_key_or_its_hash_and_filters_by_partner(keys_table):
    secret = api("POST", "/access/keys", body=POS_29).body["key"]
    api("POST", "/access/keys", body={"partner_id": "donor-29", "role": "donor", "territory": "29"})
    listed = api("GET", "/access/keys")
    assert listed.status == 200 and {k["partner_id"] for k in listed.body["items"]} == {"pos-brest", "donor-29"}
    assert secret not in listed.text and hashlib.sha256(secret.encode()).hexdigest() not in listed.text
    assert all("key" not in k and "key_hash" not in k for k in listed.body["items"])
    only = api("GET", "/access/keys", query={"partner_id": "pos-brest"})
    assert [k["partner_id"] for k in only.body["items"]] == ["pos-brest"]


def test_a_revoked_key_is_listed_as_revoked_and_refused_by_a_fresh_authorizer(keys_table):
    issued = api("POST", "/access/keys", body=POS_29).body
    revoked = api("DELETE", f"/access/keys/{issued['key_id']}")
    assert revoked.status == 200
    assert revoked.body["status"] == "revoked" and revoked.body["revoked_by"] == "admin-seconde-vie"
    assert api("GET", "/access/keys").body["items"][0]["status"] == "revoked"
    assert authorizes(issued["key"]) == {"isAuthorized": False}


def test_revoking_an_unknown_key_is_not_found(keys_table):
    assert api("DELETE", "/access/keys/key_0123456789ab").status == 404
    assert api("DELETE", "/access/keys/anything-else").status == 404


@pytest.mark.parametrize("role", ["donor", "warehouse", "workshop", "referrer", "point_of_sale"])
def test_only_an_administrator_may_manage_keys(keys_table, role):
    issued = api("POST", "/access/keys", body=POS_29).body
    assert api("POST", "/access/keys", role, POS_29).status == 403
    assert api("GET", "/access/keys", role).status == 403
    assert api("DELETE", f"/access/keys/{issued['key_id']}", role).status == 403
    assert api("GET", "/access/keys").body["items"][0]["status"] == "active"


def test_without_an_identity_nothing_is_done(keys_table):
    assert api("POST", "/access/keys", None, POS_29).status == 401
    assert api("GET", "/access/keys").body["items"] == []


@pytest.mark.parametrize("body, field", [
    ({**POS_29, "territory": ""}, "territory"),                 # a partner has a territory
    ({**POS_29, "territory": "999"}, "territory"),              # …that is a département
    ({"partner_id": "admin-2", "role": "admin", "territory": "35"}, "territory"),  # an admin has none
    ({**POS_29, "role": "superuser"}, "role"),
    ({**POS_29, "partner_id": "Pos Brest"}, "partner_id"),
    ({**POS_29, "label": "x" * 81}, "label"),
    ({**POS_29, "label": "portable de Mme Martin"}, "label"),  # a key names its use, not a person
    ({**POS_29, "key": "sv_chosen-by-the-caller"}, "key"),      # a key is never chosen by the caller
])
def test_a_bad_request_is_refused_with_the_field_named(keys_table, body, field):
    response = api("POST", "/access/keys", body=body)
    assert response.status == 422 and field in response.text
    assert api("GET", "/access/keys").body["items"] == []


def test_an_admin_key_and_an_overseas_or_corsican_territory_are_accepted(keys_table):
    assert api("POST", "/access/keys", body={"partner_id": "admin-2", "role": "admin"}).status == 201
    for territory in ("2A", "974", "01", "95"):
        assert api("POST", "/access/keys", body={**POS_29, "territory": territory}).status == 201


def test_the_keys_are_listed_page_by_page_with_their_count(keys_table):
    issued = {api("POST", "/access/keys", body={**POS_29, "partner_id": f"pos-{n}"}).body["key_id"] for n in range(7)}

    pages, cursor = [], None
    while True:
        page = api("GET", "/access/keys", query={"limit": "3", **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page.body
        pages.append(page.body)
        if not (cursor := page.body["next_cursor"]):
            break

    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    listed = [k["key_id"] for p in pages for k in p["items"]]
    assert sorted(listed) == sorted(issued) and len(set(listed)) == 7
    assert {p["total"] for p in pages} == {7}
    assert api("GET", "/access/keys", query={"cursor": pages[0]["next_cursor"][:-4]}).status == 422
