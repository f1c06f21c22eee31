"""Who may call each of refurb's routes, and on which objects (see shared/access.py).

A workshop reaches its own workshop record, queue and figures, and the work orders assigned to
it; a donor reads the erasure certificate of its own devices; administrators assign work and
load the grading rules, which every partner may read.
"""

from __future__ import annotations

from shared.access import Ownership, Reach, admins_only, every_role, grant
from shared.partners import Role

OWN = Reach.OWN

# A refurbishment step on a work order: the workshop it is assigned to (workflow.check_access).
WORK_ORDER_STEP = grant("work order", "the workshop the work order is assigned to", workshop=OWN)

ROUTES = {
    "GET /health": every_role(),
    "GET /workshops": admins_only("workshop"),
    "PUT /workshops/{workshop_id}": admins_only("workshop", "registers a workshop or changes its capacity"),
    "GET /workshops/{workshop_id}": grant("workshop", "its own", workshop=OWN),
    "GET /workshops/{workshop_id}/queue": grant("workshop", "its own queue", workshop=OWN),
    "GET /workshops/{workshop_id}/figures": grant("workshop", "its own figures", workshop=OWN),
    "GET /unassigned-work-orders": admins_only("work order"),
    "GET /work-orders/{device_id}": WORK_ORDER_STEP,
    "GET /work-orders/{device_id}/certificate": grant("work order", "the assigned workshop; the device's donor",
                                                      workshop=OWN, donor=OWN),
    "POST /work-orders/{device_id}/assignment": admins_only("work order"),
    **{f"POST /work-orders/{{device_id}}/{step}": WORK_ORDER_STEP
       for step in ("diagnosis", "erasure", "repair", "installation", "grade", "ready", "scrap")},
    "GET /grading-rules": every_role(None, "published to every partner"),
    "GET /grading-rules/{version}": every_role(None, "published to every partner"),
    "PUT /grading-rules": admins_only(None, "loads a new version of the rules"),
}


def workshop_ownership(workshop_id: str) -> Ownership:
    return Ownership(owners={Role.WORKSHOP: workshop_id})


def work_order_ownership(order) -> Ownership:
    return Ownership(owners={Role.WORKSHOP: order.workshop_id, Role.DONOR: order.donor_id},
                     territory=order.provenance.territory)
