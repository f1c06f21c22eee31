"""Who may call each of intake's routes, and on which objects (see shared/access.py).

A donor reaches its own donor record, lots, devices and documents; a warehouse those of its
territory (the donor's département); a workshop the devices assigned to it (intake learns the
assignment from refurb's `WorkOrderAssigned`). Referrers and points of sale have nothing here.
"""

from __future__ import annotations

from shared.access import Ownership, Reach, admins_only, every_role, grant, public
from shared.partners import Role

OWN, TERRITORY = Reach.OWN, Reach.TERRITORY

# Who reads a donor's lots and their documents.
LOT_READERS = dict(donor=OWN, warehouse=TERRITORY)
# Who reads a device and its erasure certificate.
DEVICE_READERS = dict(donor=OWN, warehouse=TERRITORY, workshop=OWN)

ROUTES = {
    "GET /health": every_role(),
    "GET /passport/{label_code}": public("device", "the label's public passport: nothing about who got it"),
    # donors
    "POST /donors": admins_only("donor", "registers a donor partner"),
    "GET /donors/{donor_id}": grant("donor", donor=OWN, warehouse=TERRITORY),
    "GET /donors/{donor_id}/documents/impact-report": grant("donor", **LOT_READERS),
    # lots
    "POST /lots": grant(None, "a donor declares a lot of its own", donor=OWN),
    "GET /lots": grant("donor", "a donor its own lots; a warehouse the lots of its territory, or of one of its "
                                "donors", **LOT_READERS),
    "GET /lots/{lot_id}": grant("lot", **LOT_READERS),
    "GET /lots/{lot_id}/devices": grant("lot", **LOT_READERS),
    "POST /lots/{lot_id}/status": grant("lot", warehouse=TERRITORY),
    "POST /lots/{lot_id}/devices": grant("lot", "receives a device into the lot", warehouse=TERRITORY),
    "POST /lots/{lot_id}/rejections": grant("lot", warehouse=TERRITORY),
    "POST /lots/{lot_id}/imports": grant("lot", "a donor's file declares, a warehouse's receives", **LOT_READERS),
    "GET /imports/{import_id}": grant("lot", "the import's lot decides", **LOT_READERS),
    "GET /lots/{lot_id}/documents/donation-certificate": grant("lot", **LOT_READERS),
    "GET /lots/{lot_id}/documents/impact-report": grant("lot", **LOT_READERS),
    "GET /lots/{lot_id}/documents/labels": grant(
        "lot", "the warehouse sticks the labels on the devices it received; not the donor", warehouse=TERRITORY),
    # devices
    "POST /devices/{device_id}/reception": grant("device", warehouse=TERRITORY),
    "POST /devices/{device_id}/rejection": grant("device", warehouse=TERRITORY),
    "GET /devices/{device_id}": grant("device", **DEVICE_READERS),
    "GET /devices/{device_id}/timeline": grant(
        "device", "admins see every step whole; others the journey, nothing about the beneficiary",
        **DEVICE_READERS),
    "GET /devices/{device_id}/documents/erasure-certificate": grant("device", **DEVICE_READERS),
}


def donor_ownership(donor) -> Ownership:
    return Ownership(owners={Role.DONOR: donor.donor_id}, territory=donor.territory)


def lot_ownership(lot) -> Ownership:
    return Ownership(owners={Role.DONOR: lot.donor_id}, territory=lot.provenance.territory)


def device_ownership(device, workshop_id: str | None) -> Ownership:
    """A device belongs to its donor, to its lot's territory and to the workshop refurbishing it."""
    return Ownership(owners={Role.DONOR: device.donor_id, Role.WORKSHOP: workshop_id},
                     territory=device.territory)
