"""People's accounts on the local cloud: an administrator creates one over /access/people, the person
logs in to the emulator's Cognito with the temporary password, chooses their own, and calls the
services with their ID token; once disabled, they can no longer log in nor renew their session."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from devtools import people
from tests.localcloud.cloud import LocalCloud

ADMIN = {"Authorization": "Bearer dev-admin-key"}
CHOSEN = "Mon-mot-de-passe-2026"
A_LOT = {"expected_count": 3, "pickup_site": "Rennes HQ"}  # a donor's valid request


class Pool:
    """The people's pool and the portal's app client, logged into as the login page does."""

    def __init__(self, cloud: LocalCloud):
        self.client = cloud.client("cognito-idp")
        self.client_id = cloud.outputs["PeoplePoolClientId"]

    def login(self, email: str, password: str) -> dict:
        return self.client.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": email, "PASSWORD": password})

    def first_login(self, email: str, temporary: str) -> dict:
        challenge = self.login(email, temporary)
        assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        return self.client.respond_to_auth_challenge(
            ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": CHOSEN})["AuthenticationResult"]

    def refresh(self, refresh_token: str) -> dict:
        return self.client.initiate_auth(ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                         AuthParameters={"REFRESH_TOKEN": refresh_token})


@pytest.fixture(scope="module")
def pool(local_cloud: LocalCloud) -> Pool:
    return Pool(local_cloud)


def new_referrer() -> dict:
    return {"email": f"agent-{uuid.uuid4().hex[:8]}@ccas-rennes.fr", "role": "referrer",
            "partner_id": "social-services-35", "territory": "35"}


def create(cloud: LocalCloud, person: dict) -> dict:
    created = cloud.http.post(cloud.base_url + "/access/people", json=person, headers=ADMIN, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()


def with_token(cloud: LocalCloud, method: str, path: str, id_token: str, body: dict | None = None):
    return cloud.http.request(method, cloud.base_url + path, headers={"Authorization": f"Bearer {id_token}"},
                              json=body, timeout=30)


def past_the_second_of(tokens: dict) -> None:
    """Waits until the second the tokens were issued in is over. The emulator revokes, at a global
    sign-out, the refresh tokens issued *before* that second (it compares whole seconds): one issued
    in the same second would survive it, which Cognito does not let happen. The refresh token's own
    `iat` is read: it can fall in the second after the ID token's."""
    issued_at = max(_issued_at(tokens["IdToken"]), _issued_at(tokens["RefreshToken"]))
    while time.time() < issued_at + 1:
        time.sleep(0.05)


def _issued_at(token: str) -> int:
    """A JWT's `iat` (the emulator's refresh tokens are JWTs too); 0 for one that is not."""
    try:
        payload = token.split(".")[1]
        return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iat"])
    except (IndexError, ValueError, KeyError):
        return 0


def refused(login) -> str:
    with pytest.raises(ClientError) as refusal:
        login()
    return refusal.value.response["Error"]["Code"]


def test_a_created_person_logs_in_calls_the_services_as_their_partner_and_is_refused_once_disabled(
        local_cloud: LocalCloud, pool: Pool):
    person = new_referrer()
    created = create(local_cloud, person)
    tokens = pool.first_login(person["email"], created["temporary_password"])

    assert with_token(local_cloud, "GET", "/allocation/health", tokens["IdToken"]).status_code == 200
    # the token carries the referrer's role: neither a donor's route nor an administrator's
    assert with_token(local_cloud, "POST", "/intake/lots", tokens["IdToken"], A_LOT).status_code == 403
    assert with_token(local_cloud, "GET", "/allocation/policies/eligibility", tokens["IdToken"]).status_code == 403

    past_the_second_of(tokens)

    disabled = local_cloud.http.post(local_cloud.base_url + f"/access/people/{created['username']}/disable",
                                     headers=ADMIN, timeout=30)
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert refused(lambda: pool.login(person["email"], CHOSEN)) == "NotAuthorizedException"
    assert refused(lambda: pool.refresh(tokens["RefreshToken"])) == "NotAuthorizedException"
    # the ID token already issued works until it expires, 15 minutes at most (docs/services/access.md)
    assert with_token(local_cloud, "GET", "/allocation/health", tokens["IdToken"]).status_code == 200

    enabled = local_cloud.http.post(local_cloud.base_url + f"/access/people/{created['username']}/enable",
                                    headers=ADMIN, timeout=30)
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    assert "AuthenticationResult" in pool.login(person["email"], CHOSEN)


def test_a_password_reset_replaces_the_password_with_a_temporary_one(local_cloud: LocalCloud, pool: Pool):
    person = new_referrer()
    created = create(local_cloud, person)
    tokens = pool.first_login(person["email"], created["temporary_password"])
    past_the_second_of(tokens)
    reset = local_cloud.http.post(local_cloud.base_url + f"/access/people/{created['username']}/password-reset",
                                  headers=ADMIN, timeout=30)
    assert reset.status_code == 200 and reset.json()["password_status"] == "temporary"
    assert refused(lambda: pool.login(person["email"], CHOSEN)) == "NotAuthorizedException"
    assert refused(lambda: pool.refresh(tokens["RefreshToken"])) == "NotAuthorizedException"
    assert "IdToken" in pool.first_login(person["email"], reset.json()["temporary_password"])


def test_the_list_shows_people_without_their_passwords_and_only_to_administrators(local_cloud: LocalCloud):
    person = new_referrer()
    temporary = create(local_cloud, person)["temporary_password"]
    listed = local_cloud.http.get(local_cloud.base_url + "/access/people", params={"role": "referrer"},
                                  headers=ADMIN, timeout=30)
    assert listed.status_code == 200 and person["email"] in {p["email"] for p in listed.json()["items"]}
    assert temporary not in listed.text
    for key in ("donor", "warehouse", "workshop", "referrer", "pos"):
        assert local_cloud.call("GET", "/access/people", key).status_code == 403
        assert local_cloud.call("POST", "/access/people", key, new_referrer()).status_code == 403
    assert local_cloud.call("GET", "/access/people", None).status_code == 401


def test_the_command_line_creates_lists_and_disables_by_email(local_cloud: LocalCloud, pool: Pool, tmp_path):
    key_file = tmp_path / "admin-key"
    key_file.write_text("dev-admin-key\n")
    person = new_referrer()

    def cli(*args: str) -> str:
        out = io.StringIO()
        assert people.main(["--base-url", local_cloud.base_url, "--admin-key-file", str(key_file), *args],
                           out=out) == 0
        return out.getvalue()

    created = cli("create", "--email", person["email"], "--role", "referrer", "--partner-id", person["partner_id"],
                  "--territory", "35")
    temporary = created.strip().splitlines()[-1]
    assert "IdToken" in pool.first_login(person["email"], temporary)
    assert person["email"] in cli("list", "--partner-id", person["partner_id"])
    assert "disabled" in cli("disable", person["email"])
    assert refused(lambda: pool.login(person["email"], CHOSEN)) == "NotAuthorizedException"
