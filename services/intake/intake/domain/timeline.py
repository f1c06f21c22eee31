"""A device's timeline as each kind of reader may see it.

Administrators see every step whole (ids, payloads). Everyone else who may follow a device
(its donor, the warehouse of its territory, the workshop refurbishing it) sees its journey:
when and what happened, and only the facts about the *device* — nothing about the person who
received it. No beneficiary category, no referral or reservation id, no price or receipt, no
free text, no correlation id that would tie the device to a referral's flow.

What a journey step may show is a list of allowed payload fields per event type: an event
type that is not listed shows no payload at all, so a new event cannot leak by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JOURNEY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "DeviceReceived": ("lot_id", "label_code", "serial_number", "asset_tag", "make", "model", "device_type"),
    "DeviceRejected": ("lot_id",),
    "WorkOrderAssigned": ("workshop_id",),
    "ErasureCertified": ("certificate_id", "certificate_sha256"),
    "DeviceReady": ("grade", "device_type", "erasure_certificate_id", "workshop_id"),
    "DeviceScrapped": ("at_step", "harvested_parts"),
    "WarrantyRepairCompleted": ("workshop_id",),
    # DeviceReserved, ReservationReleased, DeviceSold, SaleCancelled, DeviceHandedOver and
    # WarrantyClaimOpened are about the beneficiary's side: the step shows, its payload does not.
}

FULL_STEP_KEYS = ("occurred_at", "event_type", "source", "event_id", "correlation_id", "payload")


def full_step(line: Mapping[str, Any]) -> dict[str, Any]:
    return {key: line[key] for key in FULL_STEP_KEYS}


def journey_step(line: Mapping[str, Any]) -> dict[str, Any]:
    allowed = JOURNEY_FIELDS.get(line["event_type"], ())
    payload = line.get("payload") or {}
    return {
        "occurred_at": line["occurred_at"],
        "event_type": line["event_type"],
        "source": line["source"],
        "details": {field: payload[field] for field in allowed if payload.get(field) is not None},
    }
