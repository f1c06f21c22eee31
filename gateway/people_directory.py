"""People's accounts in the Cognito user pool (`PeoplePool`): the only module that calls it.

A person is an account of the pool: their e-mail (the name they log in with), one group (their
role, a `Role` value), and two custom attributes, `custom:partner_id` and `custom:territory`, which
the authorizer turns into the same partner identity an API key gives. The pool keeps the
passwords; nothing here stores or logs one.

An account is created with a temporary password that this module draws (`MessageAction:
SUPPRESS`: the pool sends no e-mail; the administrator gives the password to the person). Its
status is then `FORCE_CHANGE_PASSWORD`: the first login answers the `NEW_PASSWORD_REQUIRED`
challenge, and the person chooses their own password. A reset does the same again. See
docs/services/access.md.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterator

import boto3
from botocore.exceptions import ClientError

from shared.errors import NotFound, RuleViolation
from shared.observability import counted
from shared.partners import Role

PARTNER_ID_ATTRIBUTE = "custom:partner_id"
TERRITORY_ATTRIBUTE = "custom:territory"
TEMPORARY, CHOSEN = "temporary", "chosen"

# Letters and digits a person reads aloud or copies without confusion (no 0/O, 1/l/I).
_READABLE = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
_GROUPS, _GROUP_LENGTH = 4, 4


def temporary_password() -> str:
    """Four groups of four readable characters joined by "-" (about 90 bits): meets any policy that
    asks for upper and lower case letters, a digit and a symbol, and can be read out on the phone."""
    while True:
        groups = ["".join(secrets.choice(_READABLE) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)]
        password = "-".join(groups)
        if (any(c.isupper() for c in password) and any(c.islower() for c in password)
                and any(c.isdigit() for c in password)):
            return password


@lru_cache(maxsize=None)
def cognito_client():
    return counted(boto3.client("cognito-idp"))


@dataclass(frozen=True)
class Person:
    username: str
    """The pool's own name for the account (a UUID where the e-mail is the login name): the id in paths."""
    email: str
    role: Role | None
    """None: the account is in no role's group (made outside this API); it can then call nothing."""
    partner_id: str
    territory: str
    enabled: bool
    password_status: str
    """`temporary` (the person must choose a password at their next login) or `chosen`."""
    created_at: str

    def view(self) -> dict[str, Any]:
        return {"username": self.username, "email": self.email, "role": self.role.value if self.role else None,
                "partner_id": self.partner_id, "territory": self.territory,
                "status": "active" if self.enabled else "disabled", "password_status": self.password_status,
                "created_at": self.created_at}


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="seconds")
    return datetime.fromtimestamp(float(value), timezone.utc).isoformat(timespec="seconds")


def _person(user: dict[str, Any], role: Role | None) -> Person:
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}
    return Person(
        username=user["Username"], email=attributes.get("email", ""), role=role,
        partner_id=attributes.get(PARTNER_ID_ATTRIBUTE, ""), territory=attributes.get(TERRITORY_ATTRIBUTE, ""),
        enabled=user.get("Enabled", True),
        password_status=TEMPORARY if user.get("UserStatus") == "FORCE_CHANGE_PASSWORD" else CHOSEN,
        created_at=_timestamp(user["UserCreateDate"]),
    )


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


class PeopleDirectory:
    def __init__(self, pool_id: str, client: Any = None):
        self.pool_id = pool_id
        self.client = client or cognito_client()

    def create(self, email: str, role: Role, partner_id: str, territory: str) -> tuple[Person, str]:
        """A new account in the role's group, with a temporary password returned this once."""
        password = temporary_password()
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                      {"Name": PARTNER_ID_ATTRIBUTE, "Value": partner_id}]
        if territory:  # an administrator has none: the attribute is left out rather than empty
            attributes.append({"Name": TERRITORY_ATTRIBUTE, "Value": territory})
        try:
            user = self.client.admin_create_user(UserPoolId=self.pool_id, Username=email, TemporaryPassword=password,
                                                 MessageAction="SUPPRESS", UserAttributes=attributes)["User"]
        except ClientError as error:
            if _code(error) in ("UsernameExistsException", "AliasExistsException"):
                raise RuleViolation("an account with this e-mail exists already") from None
            raise
        try:
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=user["Username"],
                                                GroupName=role.value)
        except Exception:
            # An account without its role would be listed nowhere and refused everywhere: undo it.
            self.client.admin_delete_user(UserPoolId=self.pool_id, Username=user["Username"])
            raise
        return _person(user, role), password

    def everyone(self) -> list[Person]:
        """Every account of every role's group (a few hundred at most), oldest first."""
        people = [_person(user, role) for role in Role for user in self._members(role)]
        return sorted(people, key=lambda person: (person.created_at, person.username))

    def _members(self, role: Role) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"UserPoolId": self.pool_id, "GroupName": role.value, "Limit": 60}
        while True:
            page = self.client.list_users_in_group(**kwargs)
            yield from page["Users"]
            if not page.get("NextToken"):
                return
            kwargs["NextToken"] = page["NextToken"]

    def get(self, username: str) -> Person:
        try:
            user = self.client.admin_get_user(UserPoolId=self.pool_id, Username=username)
            groups = self.client.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=username)["Groups"]
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise NotFound("no such person") from None
            raise
        known = {role.value for role in Role}
        roles = [Role(g["GroupName"]) for g in groups if g["GroupName"] in known]
        return _person(user, roles[0] if roles else None)

    def disable(self, username: str) -> Person:
        """Refuses every new login and ends every session (refresh tokens revoked). An ID token
        already issued stays valid until it expires: see docs/services/access.md."""
        person = self.get(username)
        self.client.admin_disable_user(UserPoolId=self.pool_id, Username=person.username)
        self._sign_out_everywhere(person)
        return self.get(person.username)

    def enable(self, username: str) -> Person:
        person = self.get(username)
        self.client.admin_enable_user(UserPoolId=self.pool_id, Username=person.username)
        return self.get(person.username)

    def reset_password(self, username: str) -> tuple[Person, str]:
        """A new temporary password (returned this once): the old one stops working, every session
        ends, and the person chooses a new password at their next login."""
        person = self.get(username)
        password = temporary_password()
        self.client.admin_set_user_password(UserPoolId=self.pool_id, Username=person.username, Password=password,
                                            Permanent=False)
        self._sign_out_everywhere(person)
        return self.get(person.username), password

    def _sign_out_everywhere(self, person: Person) -> None:
        """Revokes the person's refresh tokens: no session is renewed. Named by the e-mail they log in
        with, which Cognito resolves like the account's own name (and moto, in the unit tests, matches
        sessions by that name only)."""
        self.client.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=person.email or person.username)
