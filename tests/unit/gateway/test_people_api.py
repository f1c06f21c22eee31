"""Administrators create, list, disable and enable people's accounts under /access/people, and
reset their password; a person then logs in to the pool with what the administrator gave them."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

import keys_api
from people_directory import PeopleDirectory, temporary_password
from tests.unit.support import call

REFERRER = {"email": "a.martin@ccas-rennes.fr", "role": "referrer", "partner_id": "social-services-35",
            "territory": "35"}
CHOSEN = "Un-mot-de-passe-choisi-2026"


def api(method: str, path: str, role: str | None = "admin", body=None, **kwargs):
    return call(keys_api.handler, method, path, role, body, territory="", **kwargs)


def create(person: dict = REFERRER) -> dict:
    created = api("POST", "/access/people", body=person)
    assert created.status == 201, created.body
    return created.body


def log_in_for_the_first_time(people_pool, email: str, temporary: str) -> dict:
    challenge = people_pool.login(email, temporary)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    return people_pool.choose_password(email, challenge, CHOSEN)


def refused(login) -> str:
    with pytest.raises(ClientError) as refusal:
        login()
    return refusal.value.response["Error"]["Code"]


def test_an_admin_creates_a_person_who_logs_in_with_the_temporary_password_then_their_own(people_pool):
    created = create()
    temporary = created.pop("temporary_password")
    assert created | {"username": "…", "created_at": "…"} == {
        "username": "…", "email": "a.martin@ccas-rennes.fr", "role": "referrer", "partner_id": "social-services-35",
        "territory": "35", "status": "active", "password_status": "temporary", "created_at": "…"}

    tokens = log_in_for_the_first_time(people_pool, REFERRER["email"], temporary)
    assert tokens["IdToken"] and tokens["RefreshToken"]
    assert "AuthenticationResult" in people_pool.login(REFERRER["email"], CHOSEN)
    assert refused(lambda: people_pool.login(REFERRER["email"], temporary)) == "NotAuthorizedException"

    [listed] = api("GET", "/access/people").body["items"]
    assert listed == {**created, "password_status": "chosen"}


def test_the_account_carries_the_role_as_its_group_and_the_partner_as_attributes(people_pool):
    username = create()["username"]
    user = people_pool.client.admin_get_user(UserPoolId=people_pool.pool_id, Username=username)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:partner_id"] == "social-services-35" and attributes["custom:territory"] == "35"
    assert attributes["email"] == "a.martin@ccas-rennes.fr" and attributes["email_verified"] == "true"
    groups = people_pool.client.admin_list_groups_for_user(UserPoolId=people_pool.pool_id, Username=username)
    assert [g["GroupName"] for g in groups["Groups"]] == ["referrer"]


def test_an_administrator_account_has_no_territory(people_pool):
    admin = create({"email": "l.durand@seconde-vie.org", "role": "admin", "partner_id": "association-admin"})
    assert (admin["role"], admin["territory"]) == ("admin", "")


def test_the_list_never_shows_a_password_and_filters_by_partner_and_role(people_pool):
    temporary = create()["temporary_password"]
    create({"email": "caisse@pos-rennes.fr", "role": "point_of_sale", "partner_id": "pos-rennes-centre",
            "territory": "35"})
    listed = api("GET", "/access/people")
    assert listed.status == 200 and listed.body["total"] == 2
    assert temporary not in listed.text and "temporary_password" not in listed.text
    only = api("GET", "/access/people", query={"partner_id": "pos-rennes-centre"}).body
    assert [p["email"] for p in only["items"]] == ["caisse@pos-rennes.fr"]
    referrers = api("GET", "/access/people", query={"role": "referrer"}).body
    assert [p["email"] for p in referrers["items"]] == ["a.martin@ccas-rennes.fr"]


def test_people_are_listed_page_by_page(people_pool):
    emails = {create({**REFERRER, "email": f"agent-{n}@ccas-rennes.fr"})["email"] for n in range(5)}
    first = api("GET", "/access/people", query={"limit": "3"}).body
    second = api("GET", "/access/people", query={"limit": "3", "cursor": first["next_cursor"]}).body
    assert len(first["items"]) == 3 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert {p["email"] for p in first["items"] + second["items"]} == emails


def test_a_disabled_person_cannot_log_in_nor_refresh_a_session_until_enabled_again(people_pool):
    created = create()
    tokens = log_in_for_the_first_time(people_pool, REFERRER["email"], created["temporary_password"])

    disabled = api("POST", f"/access/people/{created['username']}/disable")
    assert disabled.status == 200 and disabled.body["status"] == "disabled"
    assert "temporary_password" not in disabled.body
    assert refused(lambda: people_pool.login(REFERRER["email"], CHOSEN)) == "NotAuthorizedException"
    assert refused(lambda: people_pool.refresh(tokens["RefreshToken"])) == "NotAuthorizedException"
    assert api("GET", "/access/people").body["items"][0]["status"] == "disabled"

    enabled = api("POST", f"/access/people/{created['username']}/enable")
    assert enabled.status == 200 and enabled.body["status"] == "active"
    assert "AuthenticationResult" in people_pool.login(REFERRER["email"], CHOSEN)
    # the session ended by the disabling stays ended
    assert refused(lambda: people_pool.refresh(tokens["RefreshToken"])) == "NotAuthorizedException"


def test_a_password_reset_gives_a_new_temporary_password_and_ends_every_session(people_pool):
    created = create()
    tokens = log_in_for_the_first_time(people_pool, REFERRER["email"], created["temporary_password"])

    reset = api("POST", f"/access/people/{created['username']}/password-reset")
    assert reset.status == 200 and reset.body["password_status"] == "temporary"
    new_temporary = reset.body["temporary_password"]
    assert new_temporary != created["temporary_password"]
    assert refused(lambda: people_pool.login(REFERRER["email"], CHOSEN)) == "NotAuthorizedException"
    assert refused(lambda: people_pool.refresh(tokens["RefreshToken"])) == "NotAuthorizedException"
    assert "IdToken" in log_in_for_the_first_time(people_pool, REFERRER["email"], new_temporary)


def test_the_same_email_twice_is_a_conflict_whatever_its_case(people_pool):
    create()
    again = api("POST", "/access/people", body={**REFERRER, "email": "A.Martin@CCAS-Rennes.fr"})
    assert again.status == 409
    assert api("GET", "/access/people").body["total"] == 1


@pytest.mark.parametrize("action", ["disable", "enable", "password-reset"])
def test_an_unknown_person_is_not_found(people_pool, action):
    assert api("POST", f"/access/people/3f0c7a52-0000-4000-8000-000000000000/{action}").status == 404


@pytest.mark.parametrize("role", ["donor", "warehouse", "workshop", "referrer", "point_of_sale"])
def test_only_an_administrator_may_manage_people(people_pool, role):
    username = create()["username"]
    assert api("POST", "/access/people", role, {**REFERRER, "email": "x@ccas-rennes.fr"}).status == 403
    assert api("GET", "/access/people", role).status == 403
    for action in ("disable", "enable", "password-reset"):
        assert api("POST", f"/access/people/{username}/{action}", role).status == 403
    [person] = api("GET", "/access/people").body["items"]
    assert (person["email"], person["status"]) == (REFERRER["email"], "active")


def test_without_an_identity_nothing_is_done(people_pool):
    assert api("POST", "/access/people", None, REFERRER).status == 401
    assert api("GET", "/access/people").body["items"] == []


@pytest.mark.parametrize("body, field", [
    ({**REFERRER, "email": "a.martin"}, "email"),
    ({**REFERRER, "email": "a martin@ccas-rennes.fr"}, "email"),
    ({**REFERRER, "territory": ""}, "territory"),                  # a partner's person has a territory
    ({**REFERRER, "territory": "999"}, "territory"),
    ({**REFERRER, "role": "admin"}, "territory"),                  # an administrator has none
    ({**REFERRER, "role": "superuser"}, "role"),
    ({**REFERRER, "partner_id": "CCAS Rennes"}, "partner_id"),
    ({**REFERRER, "password": "Choisi-par-l-admin-1"}, "password"),  # a password is never chosen by the caller
])
def test_a_bad_request_is_refused_with_the_field_named(people_pool, body, field):
    response = api("POST", "/access/people", body=body)
    assert response.status == 422 and field in response.text
    assert api("GET", "/access/people").body["items"] == []


def test_an_account_whose_role_cannot_be_given_is_not_left_behind(people_pool):
    people_pool.client.delete_group(UserPoolId=people_pool.pool_id, GroupName="donor")
    directory = PeopleDirectory(people_pool.pool_id, client=boto3.client("cognito-idp"))
    with pytest.raises(ClientError):
        directory.create("asset@cd35.fr", keys_api.Role.DONOR, "donor-departement-35", "35")
    assert people_pool.client.list_users(UserPoolId=people_pool.pool_id)["Users"] == []


def test_temporary_passwords_are_readable_and_never_twice_the_same():
    drawn = {temporary_password() for _ in range(200)}
    assert len(drawn) == 200
    for password in drawn:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert not set(password) & set("0O1lI")
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)


@pytest.mark.parametrize("body", [{**REFERRER, "territory": "999"}, {k: v for k, v in REFERRER.items() if k != "territory"}])
def test_a_territory_that_does_not_fit_is_refused_on_the_territory_field(people_pool, body):
    response = api("POST", "/access/people", body=body)
    assert response.status == 422
    assert [problem["loc"] for problem in response.body["detail"]] == [["body", "territory"]]
