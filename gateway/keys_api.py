"""The partners' API keys, managed by administrators under /access (no deploy needed).

    POST   /access/keys            issue a key: 201 with the key itself, shown this once
    GET    /access/keys            a page of the keys (?partner_id=…), never a key nor its hash
    DELETE /access/keys/<key_id>   revoke: refused by the authorizer within its cache time

Only administrators may call these routes. See docs/services/access.md.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.access import admins_only
from shared.http import ServiceApi, json_response
from shared.observability import entry_point, logger
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, page_of_sorted
from shared.partners import Role
from shared.personal_data import free_text

from key_store import PartnerKeyStore

# Who may call each route (shared/access.py): partner keys are the administrators' alone.
ROUTES = {
    "POST /keys": admins_only("partner key", "issues a key, shown once"),
    "GET /keys": admins_only("partner key", "lists keys, never a secret nor its hash"),
    "DELETE /keys/{key_id}": admins_only("partner key", "revokes a key"),
}

app = ServiceApi("access", ROUTES)
store = functools.cache(lambda: PartnerKeyStore(os.environ["PARTNER_KEYS_TABLE"]))

PARTNER_ID = r"^[a-z0-9][a-z0-9._-]{0,79}$"
# A département: 01–95, 2A, 2B, or an overseas one (971–976).
TERRITORY = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$"


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_id: str = Field(pattern=PARTNER_ID)
    role: Role
    territory: str = Field("", description="The partner's département, e.g. 35; empty for an administrator")
    # What the key is for ("asset tool", "test bench"), kept in this table only.
    label: free_text(80, "say what the key is for, not who holds it") = ""

    @model_validator(mode="after")
    def territory_fits_the_role(self) -> KeyRequest:
        if self.role is Role.ADMIN and self.territory:
            raise ValueError("an administrator's key has no territory")
        if self.role is not Role.ADMIN and not re.match(TERRITORY, self.territory):
            raise ValueError(f"territory must be a département code (e.g. 35), not {self.territory!r}")
        return self


# Not `app.replayable`: a replay store would keep the answer, and the answer holds the key.
# A retried issue makes a second key; the unused one is listed and can be revoked.
@app.post("/keys", status_code=201)
def issue_key(request: KeyRequest) -> Any:
    admin = app.partner()
    secret, key = store().issue(request.partner_id, request.role, request.territory,
                                issued_by=admin.partner_id, label=request.label)
    logger.info("partner key issued", extra={"key_id": key.key_id, "partner_id": key.partner_id,
                                             "role": key.role.value, "issued_by": admin.partner_id})
    return json_response(201, {**key.view(), "key": secret})


@app.get("/keys")
def list_keys(partner_id: Annotated[str | None, Query(pattern=PARTNER_ID)] = None,
              cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    # The table holds a few hundred small items: read whole, sorted oldest first, then paged.
    page = page_of_sorted(store().list(partner_id), lambda key: f"{key.issued_at}#{key.key_id}",
                          cursor=cursor, limit=limit)
    return page.body(lambda key: key.view(), partner_id=partner_id)


@app.delete("/keys/<key_id>")
def revoke_key(key_id: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    admin = app.partner()
    key = store().revoke(key_id, revoked_by=admin.partner_id)
    logger.info("partner key revoked", extra={"key_id": key.key_id, "partner_id": key.partner_id,
                                              "revoked_by": admin.partner_id})
    return key.view()


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
