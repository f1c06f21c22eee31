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

import hashlib
import json
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

def fact_key(event_type: str, schema_version: int, occurred_at: str, payload: Mapping[str, Any]) -> str:
    """What makes a timeline line the same fact, whatever event id announced it.

    A service that announces a fact again (a stream replayed, an outbox item re-published, a
    DeviceReceived rebuilt from the device's record) gives it a fresh event id but the same
    type, moment and payload: the line must not appear twice. The moment is part of the key so
    that a genuine repeat (a work order given back to a workshop it had before) stays a line
    of its own. `payload` is the contract's JSON form, so that equal facts hash equally.
    """
    canonical = json.dumps([event_type, schema_version, occurred_at, payload], sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


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
