"""A lot's sheet of labels: one per device handed over, each pointing at the device's public passport.

The warehouse prints the sheet and sticks each label on its device. A label shows the label
code (what a person types, `SV-7K2M-Q9TX`), the make, model and serial number (what the
warehouse matches the label to the device by) and a QR code of the passport's address,
`<origin>/portal/d/<label code>`: the portal page anyone opens with a phone camera.

A large lot is printed in parts of at most `LABELS_PER_PART` labels (20 pages): one PDF of a
3,800-device lot would take longer to draw than the HTTP API waits for an answer (30 s), and
its file would be near the largest answer a function may give. The warehouse prints the parts
one after the other; each says which part of how many it is.

Pure composition, like the donor documents: the sheet's id is derived from its content, so the
same lot printed twice with nothing changed gives the same sheet.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceType

from intake.domain.devices import Device, RefusedValue
from intake.domain.documents import DEFAULT_ISSUER, DONATED_STATUSES, Document, FrozenModel, Issuer, with_content_id
from intake.domain.lots import Lot

# The sheet: A4, 3 columns × 8 rows of labels.
LABELS_PER_PAGE = 24
# The most labels one sheet (one PDF) holds: 20 pages, drawn in about 3 s.
LABELS_PER_PART = 20 * LABELS_PER_PAGE

# Where the portal serves a device's passport, under the origin of the HTTP API.
PASSPORT_PATH = "/portal/d/"


def passport_url(origin: str, label_code: str) -> str:
    """`https://api.example.org` + `SV-7K2M-Q9TX` → `https://api.example.org/portal/d/SV-7K2M-Q9TX`."""
    return f"{origin.rstrip('/')}{PASSPORT_PATH}{label_code}"


class Label(FrozenModel):
    label_code: str = Field(description="The code printed on the label, e.g. SV-7K2M-Q9TX")
    passport_url: str = Field(description="What the label's QR code encodes: the device's public passport page")
    make: str = Field(description="The device's make, as received")
    model: str = Field(description="The device's model, as received")
    device_type: DeviceType = Field(description="laptop, desktop, tablet or phone")
    serial_number: str = Field(description="The device's serial number, to stick the label on the right device")


class LabelSheet(Document):
    """One part of the labels of a lot's devices that have one (received or rejected), oldest registered first."""

    document_type: Literal["label_sheet"] = Field(default="label_sheet", description="label_sheet")
    lot_id: str = Field(description="The lot the devices belong to")
    part: int = Field(ge=1, description=f"Which part of the lot's labels this is (at most {LABELS_PER_PART} "
                                        "labels a part), from 1")
    parts: int = Field(ge=1, description="How many parts the lot's labels are printed in")
    label_count: int = Field(ge=1, description="How many labels the lot has, in all its parts")
    labels: list[Label] = Field(description="This part's labels, in the order their devices were registered")


def label_sheet(lot: Lot, devices: list[Device], origin: str, *, part: int = 1, issued_on: date,
                issuer: Issuer = DEFAULT_ISSUER) -> LabelSheet:
    """Part `part` of the sheet of `lot`'s devices (in the given order). A declared device has no
    label yet: it is left out."""
    labels = []
    for device in devices:
        if device.lot_id != lot.lot_id:
            raise ValueError(f"device {device.device_id} is in lot {device.lot_id}, not {lot.lot_id}")
        if device.status in DONATED_STATUSES and device.label_code:
            labels.append(Label(label_code=device.label_code, passport_url=passport_url(origin, device.label_code),
                                make=device.make, model=device.model, device_type=device.device_type,
                                serial_number=device.serial_number))
    if not labels:
        raise RuleViolation(f"lot {lot.lot_id} has no device received yet: there is no label to print")
    parts = -(-len(labels) // LABELS_PER_PART)
    if not 1 <= part <= parts:
        raise RefusedValue("part", f"lot {lot.lot_id} has {len(labels)} labels, printed in {parts} part(s): "
                                   f"ask for a part from 1 to {parts}")
    first = (part - 1) * LABELS_PER_PART
    sheet = LabelSheet(document_id="", issued_on=issued_on, issuer=issuer, lot_id=lot.lot_id, part=part,
                       parts=parts, label_count=len(labels), labels=labels[first:first + LABELS_PER_PART])
    return with_content_id(sheet)
