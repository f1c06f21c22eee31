"""Who may call a route, and on which objects: one check for every service.

Each service states its rules once, in `<service>/access.py`: a table from route
("GET /lots/{lot_id}") to the roles that may call it and how far each role reaches:

    ALL        every object of the kind (administrators always reach this far)
    OWN        the objects that name the caller as their owner for its role
               (a donor's lots, a referrer's referrals, a point of sale's sales, the work
               orders assigned to a workshop)
    TERRITORY  the objects of the caller's territory (warehouses, workshops, points of sale)

`ServiceApi` (shared/http.py) refuses to register a route the table does not name, checks
the role before the route runs (403), and a route asks `require_reach` for each object it
touches: an object out of the caller's reach is "not found" (404), exactly like an object
that does not exist, so nothing reveals that it exists. docs/security.md is generated from
these tables (`python -m shared.access docs/security.md`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from shared.errors import Forbidden, NotFound
from shared.partners import Partner, Role


class Reach(StrEnum):
    ALL = "all"
    OWN = "own"
    TERRITORY = "territory"


@dataclass(frozen=True)
class Ownership:
    """What an object says about who it belongs to: its owner for each role, and its territory.

    A role may have several owners (a device's certificate belongs to its donor and to the
    workshop that erased it); `None` means the object has no owner of that role (yet)."""

    owners: Mapping[Role, str | frozenset[str] | None] = field(default_factory=dict)
    territory: str | None = None

    def owned_by(self, partner: Partner) -> bool:
        owner = self.owners.get(partner.role)
        if owner is None:
            return False
        return partner.partner_id in owner if isinstance(owner, frozenset) else partner.partner_id == owner


@dataclass(frozen=True)
class Access:
    """One route's rule: which roles may call it, how far each reaches, on which kind of object."""

    grants: Mapping[Role, Reach]
    kind: str | None = None
    """The kind of object the route reads or changes ("lot", "device", …); None: no object."""
    public: bool = False
    """No partner identity at all (a route of its own in template.yaml, without the authorizer)."""
    note: str = ""

    def allows(self, role: Role) -> bool:
        return self.public or role is Role.ADMIN or role in self.grants

    def reach_of(self, partner: Partner) -> Reach | None:
        if partner.role is Role.ADMIN:
            return Reach.ALL
        return self.grants.get(partner.role)

    def reaches(self, partner: Partner, ownership: Ownership) -> bool:
        reach = self.reach_of(partner)
        if reach is Reach.ALL:
            return True
        if reach is Reach.OWN:
            return ownership.owned_by(partner)
        if reach is Reach.TERRITORY:
            return partner.territory is not None and partner.territory == ownership.territory
        return False


def grant(kind: str | None = None, note: str = "", **reaches: Reach) -> Access:
    """`grant("lot", donor=Reach.OWN, warehouse=Reach.TERRITORY)`: roles by name, admins implied."""
    return Access(grants={Role(role): reach for role, reach in reaches.items()}, kind=kind, note=note)


def every_role(kind: str | None = None, note: str = "") -> Access:
    """Any authenticated partner (published data, a partner's own identity)."""
    return Access(grants={role: Reach.ALL for role in Role if role is not Role.ADMIN}, kind=kind, note=note)


def admins_only(kind: str | None = None, note: str = "") -> Access:
    return Access(grants={}, kind=kind, note=note)


def public(kind: str | None = None, note: str = "") -> Access:
    return Access(grants={}, kind=kind, public=True, note=note)


# The OpenAPI document every service serves: public, so that a tool (or a person choosing how
# to integrate) reads it before holding a key; it says nothing the routes do not refuse anyway.
OPENAPI_ROUTE = "GET /openapi.json"
OPENAPI_ACCESS = public(note="the service's OpenAPI document")


class UndeclaredRoute(LookupError):
    """A route was registered that its service's access table does not name."""


def route_key(method: str, rule: str) -> str:
    """Powertools' `/lots/<lot_id>` → the OpenAPI form `/lots/{lot_id}`, with the method."""
    path = re.sub(r"<([^>]+)>", r"{\1}", rule)
    return f"{method.upper()} {path}"


_REACH_PHRASE = {
    Reach.ALL: "every {kind}",
    Reach.OWN: "its own {kind}s only",
    Reach.TERRITORY: "the {kind}s of its territory only",
}


def who_may_call(access: Access) -> str:
    """The route's rule in a sentence or two, for its OpenAPI operation: who may call it, how far each reaches."""
    if access.public:
        return f"Public: no key needed — {access.note}." if access.note else "Public: no key needed."
    callers = []
    for role in ROLES_IN_ORDER:
        reach = Reach.ALL if role is Role.ADMIN else access.grants.get(role)
        if reach is None:
            continue
        reaches = _REACH_PHRASE[reach].format(kind=access.kind)
        callers.append(role.value if access.kind is None else f"{role.value} ({reaches})")
    sentence = "Who may call it: " + ", ".join(callers) + (f" — {access.note}." if access.note else ".")
    if any(reach is not Reach.ALL for reach in access.grants.values()):
        sentence += " An object out of the caller's reach answers 404, as if it did not exist."
    return sentence


def check_role(access: Access, partner: Partner) -> Partner:
    if not access.allows(partner.role):
        allowed = ", ".join(r.value for r in access.grants) or "admin"
        raise Forbidden(f"role {partner.role.value} may not do this (needs {allowed})")
    return partner


def require_reach(access: Access, partner: Partner, ownership: Ownership | None, not_found: str) -> None:
    """Raise NotFound unless the object exists and is within the caller's reach for this route."""
    if ownership is None or not access.reaches(partner, ownership):
        raise NotFound(not_found)


# ── docs/security.md ──────────────────────────────────────────────────────────────────────

ROLES_IN_ORDER = [Role.DONOR, Role.WAREHOUSE, Role.WORKSHOP, Role.REFERRER, Role.POINT_OF_SALE, Role.ADMIN]


def markdown_table(service: str, routes: Mapping[str, Access]) -> str:
    header = "| route | object | " + " | ".join(r.value for r in ROLES_IN_ORDER) + " | note |"
    lines = [f"### {service}", "", header, "|" + "---|" * (len(ROLES_IN_ORDER) + 3)]
    for key in sorted(routes, key=lambda k: (k.split(" ", 1)[1], k)):
        access = routes[key]
        cells = []
        for role in ROLES_IN_ORDER:
            if access.public:
                cells.append("public")
            elif role is Role.ADMIN:
                cells.append("all")
            else:
                reach = access.grants.get(role)
                cells.append(reach.value if reach else "—")
        lines.append(f"| `{key}` | {access.kind or ''} | " + " | ".join(cells) + f" | {access.note} |")
    return "\n".join(lines) + "\n"


GENERATED_START = "<!-- access tables: generated from <service>/access.py by `make security-doc`; do not edit -->"
GENERATED_END = "<!-- end of the generated access tables -->"


def services_tables() -> dict[str, Mapping[str, Access]]:
    """Every service's access table (imported from the services' packages, the gateway's keys and operations APIs)."""
    from allocation.access import ROUTES as allocation
    from intake.access import ROUTES as intake
    from keys_api import ROUTES as access
    from operations_api import ROUTES as operations
    from refurb.access import ROUTES as refurb
    from sales.access import ROUTES as sales

    return {"intake": intake, "refurb": refurb, "allocation": allocation, "sales": sales, "access": access,
            "operations": operations}


def security_tables_markdown(tables: Mapping[str, Mapping[str, Access]] | None = None) -> str:
    tables = tables or services_tables()
    return "\n".join(markdown_table(service, routes) for service, routes in tables.items())


def with_generated_tables(document: str, tables: Mapping[str, Mapping[str, Access]] | None = None) -> str:
    """`document` with the part between the markers replaced by the tables as the code states them."""
    before, _, rest = document.partition(GENERATED_START)
    _, _, after = rest.partition(GENERATED_END)
    return f"{before}{GENERATED_START}\n\n{security_tables_markdown(tables)}\n{GENERATED_END}{after}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/security.md")
    target.write_text(with_generated_tables(target.read_text()))
    print(f"wrote the access tables into {target}")
