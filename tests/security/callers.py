"""Who calls each route in the matrix: every role's partner of territory 35 (who owns the
fixture objects), the same role's partner of territory 44, the administrator, nobody (no
`Authorization` header) and a key no partner holds. Their keys are devtools/dev-partners.json's."""

from __future__ import annotations

import json
from dataclasses import dataclass

from devtools.localcloud.paths import ROOT
from shared.partners import Role

# The role names in the dev keys (`dev-<name>-key`, `dev-<name>-44-key`).
KEY_NAMES = {Role.DONOR: "donor", Role.WAREHOUSE: "warehouse", Role.WORKSHOP: "workshop",
             Role.REFERRER: "referrer", Role.POINT_OF_SALE: "pos"}
HOME, ELSEWHERE = "35", "44"


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
    callers.append(Caller("no key", None))
    callers.append(Caller("bad key", "dev-nobody-key"))
    assert callers[-1].key not in partners
    return callers


CALLERS = all_callers()
BY_NAME = {caller.name: caller for caller in CALLERS}
