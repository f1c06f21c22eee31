"""Who calls each route in the matrix: every role's partner of territory 35 (who owns the
fixture objects), the same role's partner of territory 44, the administrator, nobody (no
`Authorization` header) and a key no partner holds. Their keys are devtools/dev-partners.json's.
And people, with the ID token of their log-in to the people pool (devtools/dev-people.json): a
person must get exactly what their partner's key gets."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from devtools.localcloud.paths import ROOT
from shared.partners import Role

# The role names in the dev keys (`dev-<name>-key`, `dev-<name>-44-key`).
KEY_NAMES = {Role.DONOR: "donor", Role.WAREHOUSE: "warehouse", Role.WORKSHOP: "workshop",
             Role.REFERRER: "referrer", Role.POINT_OF_SALE: "pos"}
HOME, ELSEWHERE = "35", "44"
# People in the matrix: one whose role owns objects, one whose role reaches a territory, an admin.
PEOPLE = {Role.REFERRER: "orientation@seconde-vie.test", Role.WORKSHOP: "atelier@seconde-vie.test",
          Role.ADMIN: "admin@seconde-vie.test"}
PERSON = "person:"
# ID tokens live 15 minutes: one is used for 10 at most, then the person logs in again.
TOKEN_USE_SECONDS = 600


@dataclass(frozen=True)
class Caller:
    name: str
    key: str | None
    role: Role | None = None
    partner_id: str | None = None
    territory: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.role is not None


def _partner(name: str, key: str, partners: dict[str, dict]) -> Caller:
    known = partners[key]
    return Caller(name, key, Role(known["role"]), known["partner_id"], known["territory"] or None)


def all_callers() -> list[Caller]:
    partners = json.loads((ROOT / "devtools" / "dev-partners.json").read_text())
    callers = []
    for role, name in KEY_NAMES.items():
        callers.append(_partner(f"{name}-{HOME}", f"dev-{name}-key", partners))
        callers.append(_partner(f"{name}-{ELSEWHERE}", f"dev-{name}-{ELSEWHERE}-key", partners))
    callers.append(_partner("admin", "dev-admin-key", partners))
    people = json.loads((ROOT / "devtools" / "dev-people.json").read_text())
    for role, email in PEOPLE.items():
        known = people[email]
        assert known["role"] == role.value
        callers.append(Caller(f"{role.value} person", PERSON + email, role, known["partner_id"],
                              known["territory"] or None))
    callers.append(Caller("no key", None))
    callers.append(Caller("bad key", "dev-nobody-key"))
    assert callers[-1].key not in partners
    return callers


CALLERS = all_callers()
BY_NAME = {caller.name: caller for caller in CALLERS}


# email, password → ID token; set by the matrix's fixture, which knows the local cloud's pool.
log_in: Callable[[str, str], str] | None = None
_tokens: dict[str, tuple[float, str]] = {}


def credential(key: str | None) -> str | None:
    """What goes after `Bearer`: the key itself, or a person's current ID token."""
    if not key or not key.startswith(PERSON):
        return key
    email = key[len(PERSON):]
    taken_at, token = _tokens.get(email, (0.0, ""))
    if time.monotonic() - taken_at > TOKEN_USE_SECONDS:
        assert log_in is not None, "the matrix's fixture logs people in"
        password = json.loads((ROOT / "devtools" / "dev-people.json").read_text())[email]["password"]
        token = log_in(email, password)
        _tokens[email] = (time.monotonic(), token)
    return token
