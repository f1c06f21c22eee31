"""Who may call each of sales' routes, and on which objects (see shared/access.py).

A point of sale quotes and sells the reservations of its territory (the beneficiary's
département, as allocation announced it) and then reaches its own sales only; administrators
edit the price grid and see every sale.
"""

from __future__ import annotations

from shared.access import Ownership, Reach, admins_only, every_role, grant
from shared.partners import Role

OWN, TERRITORY = Reach.OWN, Reach.TERRITORY

OWN_SALE = grant("sale", "its own sales", point_of_sale=OWN)

ROUTES = {
    "GET /health": every_role(),
    "GET /price-grid": grant(None, "published to points of sale", point_of_sale=Reach.ALL),
    "PUT /price-grid": admins_only(),
    "GET /quotes/{device_id}": grant("reservation", "reservations of its territory", point_of_sale=TERRITORY),
    "GET /quotes/by-label/{label_code}": grant("reservation", "reservations of its territory, found by the "
                                                              "device's label", point_of_sale=TERRITORY),
    "GET /sales": grant(None, "its own sales; administrators name the point of sale", point_of_sale=OWN),
    "POST /sales": grant("reservation", "sells a reservation of its territory", point_of_sale=TERRITORY),
    "GET /sales/{sale_id}": OWN_SALE,
    "GET /sales/{sale_id}/receipt": OWN_SALE,
    "POST /sales/{sale_id}/cancellation": OWN_SALE,
    "POST /sales/{sale_id}/handover": OWN_SALE,
    "POST /sales/{sale_id}/accompaniment": OWN_SALE,
    "POST /sales/{sale_id}/accompaniment/outcome": OWN_SALE,
    "POST /sales/{sale_id}/warranty-claims": OWN_SALE,
    "GET /figures": grant("sale", "figures of its own sales", point_of_sale=OWN),
}


def reservation_ownership(reservation: dict) -> Ownership:
    return Ownership(territory=reservation.get("territory"))


def sale_ownership(sale) -> Ownership:
    return Ownership(owners={Role.POINT_OF_SALE: sale.point_of_sale_id})
