"""Allocation's use cases: match and reserve, fulfil on sale. Handlers call these."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from shared.events import EventEnvelope
from shared.events.allocation import DeviceReserved
from shared.observability import logger
from shared.outbox import ConcurrencyConflict

from allocation.adapters.repository import AllocationRepository
from allocation.domain.matching import (
    DeviceStatus,
    Match,
    ReferralStatus,
    longest_waiting_first,
    oldest_device_first,
    reservation_deadline,
)

MATCH_ATTEMPTS = 5


def reserve(repository: AllocationRepository, match: Match, cause: EventEnvelope | None = None) -> dict:
    now = datetime.now(timezone.utc)
    reservation_id = str(uuid.uuid4())
    device, referral = match.device, match.referral
    reservation = {
        "reservation_id": reservation_id,
        "device_id": device.device_id,
        "referral_id": referral.referral_id,
        "status": "active",
        "reserved_at": now.isoformat(),
        "expires_at_iso": reservation_deadline(now).isoformat(),
        "explanation": match.explanation,
    }
    event = DeviceReserved(
        device_id=device.device_id,
        reservation_id=reservation_id,
        referral_id=referral.referral_id,
        beneficiary_category=referral.category,
        grade=device.grade,
        device_type=device.device_type,
        expires_at=reservation_deadline(now),
    ).to_envelope(
        occurred_at=now,
        correlation_id=cause.correlation_id if cause else None,
        causation_id=cause.event_id if cause else None,
    )
    reserved_device = device.model_copy(update={"status": DeviceStatus.RESERVED, "reservation_id": reservation_id})
    reserved_referral = referral.model_copy(update={
        "status": ReferralStatus.RESERVED, "device_id": device.device_id, "reservation_id": reservation_id,
    })
    # The copies keep the versions read: the write succeeds only if neither changed since.
    repository.reserve(reserved_device, reserved_referral, reservation, event)
    logger.info("device reserved", extra={"device_id": device.device_id, "referral_id": referral.referral_id})
    return reservation


def match_device(repository: AllocationRepository, device_id: str, cause: EventEnvelope | None = None) -> dict | None:
    """A device became ready: give it to the longest-waiting referral, if any."""
    for _ in range(MATCH_ATTEMPTS):
        device = repository.get_device(device_id)
        if device is None or device.status is not DeviceStatus.AVAILABLE:
            return None
        match = longest_waiting_first(device, repository.waiting_referrals())
        if match is None:
            return None
        try:
            return reserve(repository, match, cause)
        except ConcurrencyConflict as conflict:
            logger.info("reservation raced, retrying", extra={"reason": str(conflict)})
    return None


def match_referral(repository: AllocationRepository, referral_id: str) -> dict | None:
    """A referral arrived: give it the device ready longest, if any."""
    for _ in range(MATCH_ATTEMPTS):
        referral = repository.get_referral(referral_id)
        if referral is None or referral.status is not ReferralStatus.WAITING:
            return None
        match = oldest_device_first(referral, repository.available_devices())
        if match is None:
            return None
        try:
            return reserve(repository, match)
        except ConcurrencyConflict as conflict:
            logger.info("reservation raced, retrying", extra={"reason": str(conflict)})
    return None


def fulfil(repository: AllocationRepository, device_id: str, reservation_id: str) -> None:
    """The reserved device was sold: reservation, device and referral are done."""
    reservation = repository.get_reservation(reservation_id)
    device = repository.get_device(device_id)
    if reservation is None or device is None:
        raise LookupError(f"sale of {device_id} for unknown reservation {reservation_id}")
    if reservation["status"] == "fulfilled":
        return
    referral = repository.get_referral(reservation["referral_id"])
    repository.fulfil(
        device.model_copy(update={"status": DeviceStatus.SOLD}),
        referral.model_copy(update={"status": ReferralStatus.FULFILLED}),
        {**reservation, "status": "fulfilled"},
    )
