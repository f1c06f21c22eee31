"""Who may call the system, managed by administrators under /access (no deploy needed).

The partners' API keys:

    POST   /access/keys            issue a key: 201 with the key itself, shown this once
    GET    /access/keys            a page of the keys (?partner_id=…), never a key nor its hash
    DELETE /access/keys/<key_id>   revoke: refused by the authorizer within its cache time

People's accounts (the portal's logins, in the Cognito pool; people_directory.py):

    POST   /access/people                              create: 201 with a temporary password, shown this once
    GET    /access/people                              a page of the accounts (?partner_id=…, ?role=…)
    POST   /access/people/<username>/disable           no more logins, every session ended
    POST   /access/people/<username>/enable
    POST   /access/people/<username>/password-reset    a new temporary password, shown this once

Only administrators may call these routes. See docs/services/access.md.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.access import admins_only
from shared.http import ServiceApi, json_response
from shared.observability import entry_point, logger
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, page_of_sorted
from shared.partners import Role
from shared.personal_data import free_text

from key_store import PartnerKeyStore
from people_directory import PeopleDirectory, Person

# Who may call each route (shared/access.py): partner keys are the administrators' alone.
ROUTES = {
    "POST /keys": admins_only("partner key", "issues a key, shown once"),
    "GET /keys": admins_only("partner key", "lists keys, never a secret nor its hash"),
    "DELETE /keys/{key_id}": admins_only("partner key", "revokes a key"),
    # …and so are people's accounts.
    "POST /people": admins_only("person", "creates an account; its temporary password shown once"),
    "GET /people": admins_only("person", "lists accounts, never a password"),
    "POST /people/{username}/disable": admins_only("person", "refuses logins and ends every session"),
    "POST /people/{username}/enable": admins_only("person", "lets the person log in again"),
    "POST /people/{username}/password-reset": admins_only("person", "a new temporary password, shown once"),
}

app = ServiceApi("access", ROUTES)
store = functools.cache(lambda: PartnerKeyStore(os.environ["PARTNER_KEYS_TABLE"]))
people = functools.cache(lambda: PeopleDirectory(os.environ["PEOPLE_POOL_ID"]))

PARTNER_ID = r"^[a-z0-9][a-z0-9._-]{0,79}$"
# A département: 01–95, 2A, 2B, or an overseas one (971–976).
TERRITORY = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$"
TERRITORY_OR_NONE = r"^((0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6]))?$"

PARTNER_ID_TEXT = ("The partner's id, as the services know it (e.g. social-services-35): lower-case letters, digits, "
                   "'.', '_' or '-'; every key of a partner gives the same identity")
ROLE_TEXT = ("What the partner is, which decides the routes it may call: donor, warehouse, workshop, referrer "
             "(a referral partner), point_of_sale, admin")
TERRITORY_TEXT = "The partner's département (01–95, 2A, 2B, 971–976), e.g. 35; empty for an administrator"

# One "@", no space, a dot in the domain: enough to catch a typo; the pool checks the rest.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# The pool's name for an account: a UUID where the e-mail is the login name.
USERNAME = r"^[A-Za-z0-9._@+-]{1,128}$"


class KeyRequest(BaseModel):
    """A key to issue for a partner."""

    model_config = ConfigDict(extra="forbid")
    partner_id: str = Field(pattern=PARTNER_ID, description=PARTNER_ID_TEXT)
    role: Role = Field(description=ROLE_TEXT)
    territory: str = Field("", pattern=TERRITORY_OR_NONE,
                           description=f"{TERRITORY_TEXT}; required for every other role")
    # Kept in this table only.
    label: free_text(80, "say what the key is for, not who holds it") = Field(
        "", description="What the key is for (asset tool, test bench), never who holds it; at most 80 characters")

    @model_validator(mode="after")
    def territory_fits_the_role(self) -> KeyRequest:
        if self.role is Role.ADMIN and self.territory:
            raise ValueError("an administrator's key has no territory")
        if self.role is not Role.ADMIN and not re.match(TERRITORY, self.territory):
            raise ValueError(f"territory must be a département code (e.g. 35), not {self.territory!r}")
        return self


class KeyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class KeyView(BaseModel):
    """A key as listed: never the key itself nor its hash."""

    key_id: str = Field(description="The key's id (key_ and 12 hex digits), to revoke it; not the key")
    partner_id: str = Field(description=PARTNER_ID_TEXT)
    role: Role = Field(description=ROLE_TEXT)
    territory: str = Field(description=TERRITORY_TEXT)
    label: str = Field(description="What the key is for, as given when it was issued")
    issued_at: datetime = Field(description="When it was issued (UTC)")
    issued_by: str = Field(description="The partner id of the administrator who issued it")
    revoked_at: datetime | None = Field(description="When it was revoked (UTC); null while it is active")
    revoked_by: str | None = Field(description="The partner id of the administrator who revoked it; null while active")
    status: KeyStatus = Field(description="active: the authorizer accepts it; revoked: refused (403) within the "
                                          "authorizer's cache time, 30 s at most")


class IssuedKey(KeyView):
    """A key just issued: the only answer that holds the key itself."""

    key: str = Field(description="The key, to send as `Authorization: Bearer <key>`: shown this once, never again "
                                 "(only its hash is kept)")


class KeyPage(BaseModel):
    """One page of keys, oldest first."""

    partner_id: str | None = Field(description="The partner whose keys these are, as asked; null: every partner's")
    items: list[KeyView] = Field(description="The keys of this page")
    next_cursor: str | None = Field(description="Give it as ?cursor= for the next page; null on the last page")
    total: int | None = Field(description="How many keys in all, when known")


def answers(status: int, model: type[BaseModel], description: str) -> dict[int, dict]:
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}

def territory_fits_the_role(role: Role | None, territory: str) -> str:
    """A partner's person has its département; an administrator has none (as for a key). Checked on
    the territory field, so that a refusal names it (`loc` body.territory); no role: refused already."""
    if role is None:
        return territory
    if role is Role.ADMIN and territory:
        raise ValueError("an administrator has no territory")
    if role is not Role.ADMIN and not re.match(TERRITORY, territory):
        raise ValueError(f"territory must be a département code (e.g. 35), not {territory!r}")
    return territory


class PersonRequest(BaseModel):
    """A person's account: their e-mail (the name they log in with), role, partner and territory.
    No password field: the caller cannot choose one; the API draws a temporary one and returns it once."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(pattern=EMAIL, max_length=254, description="The person's professional e-mail: their login")
    role: Role = Field(description="The person's role, their partner's: it decides the pages and routes they may use")
    partner_id: str = Field(pattern=PARTNER_ID, description="The organisation the person acts for")
    territory: str = Field("", validate_default=True, description="The partner's département, e.g. 35; empty for an administrator")

    @field_validator("territory")
    @classmethod
    def territory_fits_the_role(cls, territory: str, fields: ValidationInfo) -> str:
        return territory_fits_the_role(fields.data.get("role"), territory)


# Not `app.replayable`: a replay store would keep the answer, and the answer holds the key.
# A retried issue makes a second key; the unused one is listed and can be revoked.
@app.post("/keys", status_code=201, responses=answers(201, IssuedKey, "Issued: the key, shown this once"))
def issue_key(request: KeyRequest) -> Any:
    """Issue a key for a partner (the first of a new partner, or another one, e.g. to replace a key without a
    gap: issue, switch, then revoke the old one)."""
    admin = app.partner()
    secret, key = store().issue(request.partner_id, request.role, request.territory,
                                issued_by=admin.partner_id, label=request.label)
    logger.info("partner key issued", extra={"key_id": key.key_id, "partner_id": key.partner_id,
                                             "role": key.role.value, "issued_by": admin.partner_id})
    return json_response(201, {**key.view(), "key": secret})


OnlyPartner = Annotated[str | None, Query(pattern=PARTNER_ID, description="Only this partner's keys")]


@app.get("/keys", responses=answers(200, KeyPage, "A page of keys"))
def list_keys(partner_id: OnlyPartner = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """The keys issued, active and revoked, oldest first."""
    # The table holds a few hundred small items: read whole, sorted oldest first, then paged.
    page = page_of_sorted(store().list(partner_id), lambda key: f"{key.issued_at}#{key.key_id}",
                          cursor=cursor, limit=limit)
    return page.body(lambda key: key.view(), partner_id=partner_id)


@app.delete("/keys/<key_id>", responses=answers(200, KeyView, "Revoked (or already revoked): the key as it is now"))
def revoke_key(key_id: Annotated[str, Path(max_length=40, description="The key's id, as listed (key_…)")]
               ) -> dict[str, Any]:
    """Revoke a key: the authorizer refuses it within its cache time (30 s at most)."""
    admin = app.partner()
    key = store().revoke(key_id, revoked_by=admin.partner_id)
    logger.info("partner key revoked", extra={"key_id": key.key_id, "partner_id": key.partner_id,
                                              "revoked_by": admin.partner_id})
    return key.view()


# People's accounts. Like a key, a temporary password is in one answer and nowhere else: not
# `app.replayable`; a retried create is a 409 (the e-mail exists), and a reset gives a new one.
@app.post("/people", status_code=201)
def create_person(request: PersonRequest) -> Any:
    admin = app.partner()
    person, password = people().create(request.email.lower(), request.role, request.partner_id, request.territory)
    _log("person created", person, admin.partner_id)
    return json_response(201, {**person.view(), "temporary_password": password})


Username = Annotated[str, Path(pattern=USERNAME, description="The account's username, as listed (not the e-mail)")]
OnlyPartnersPeople = Annotated[str | None, Query(pattern=PARTNER_ID, description="Only this partner's people")]
OnlyRole = Annotated[Role | None, Query(description="Only the people of this role")]


@app.get("/people")
def list_people(partner_id: OnlyPartnersPeople = None, role: OnlyRole = None,
                cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    everyone = [p for p in people().everyone()
                if (partner_id is None or p.partner_id == partner_id) and (role is None or p.role is role)]
    page = page_of_sorted(everyone, lambda p: f"{p.created_at}#{p.username}", cursor=cursor, limit=limit)
    return page.body(lambda p: p.view(), partner_id=partner_id, role=role.value if role else None)


@app.post("/people/<username>/disable")
def disable_person(username: Username) -> dict[str, Any]:
    admin = app.partner()
    person = people().disable(username)
    _log("person disabled and signed out", person, admin.partner_id)
    return person.view()


@app.post("/people/<username>/enable")
def enable_person(username: Username) -> dict[str, Any]:
    admin = app.partner()
    person = people().enable(username)
    _log("person enabled", person, admin.partner_id)
    return person.view()


@app.post("/people/<username>/password-reset")
def reset_password(username: Username) -> dict[str, Any]:
    admin = app.partner()
    person, password = people().reset_password(username)
    _log("temporary password reset and person signed out", person, admin.partner_id)
    return {**person.view(), "temporary_password": password}


def _log(what: str, person: Person, admin: str) -> None:
    # The account's username, never its e-mail (personal data) nor a password.
    logger.info(what, extra={"username": person.username, "role": person.role.value if person.role else None,
                             "partner_id": person.partner_id, "by": admin})


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
