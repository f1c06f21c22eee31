"""Sales' consumer: the label intake gives a device (a point of sale finds it by it); what allocation reserves can be quoted and sold (one reservation of a device at
a time, sales.reservations); what it releases cannot; a beneficiary it erases is no longer linked
to the reservation and sale (sales.forgetting)."""

from __future__ import annotations

import functools

from shared.consumer import EventConsumer
from shared.events import EventEnvelope
from shared.events.allocation import BeneficiaryErased, DeviceReserved, ReservationReleased
from shared.events.intake import DeviceReceived
from shared.observability import entry_point, logger

from sales import forgetting, reservations
from sales.adapters.repository import SalesRepository
from sales.domain.sale import ForgottenBecause

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(SalesRepository)


def on_device_received(event: DeviceReceived, envelope: EventEnvelope) -> None:
    # Only the label: the serial number, the donor and the rest are none of sales' business.
    repository().learn_label(event.device_id, event.label_code)


def on_device_reserved(event: DeviceReserved, envelope: EventEnvelope) -> None:
    reservations.learn_reservation(repository(), {
        "device_id": event.device_id,
        "reservation_id": event.reservation_id,
        "referral_id": event.referral_id,
        "beneficiary_category": event.beneficiary_category.value,
        "grade": event.grade.value,
        "device_type": event.device_type.value,
        "territory": event.territory,
        "expires_at": event.expires_at.isoformat(),
        "status": "reserved",
        "reserved_at": envelope.occurred_at.isoformat(),
    })


def on_reservation_released(event: ReservationReleased, envelope: EventEnvelope) -> None:
    reservations.learn_release(repository(), event.device_id, event.reservation_id, event.referral_id, event.reason)


def on_beneficiary_erased(event: BeneficiaryErased, envelope: EventEnvelope) -> None:
    if not forgetting.forget_reservation(repository(), event.device_id, event.reservation_id,
                                         ForgottenBecause.ERASURE, envelope.occurred_at):
        logger.info("erasure of a reservation unknown or already forgotten",
                    extra={"reservation_id": event.reservation_id})


# Every handler finds a redelivery written and leaves it (architecture decision 35): the label is
# given once at reception, so hearing it again rewrites the same two items; a reservation is
# created only if unknown; a release and a forgetting are saved on the version read and skipped
# once done.
consumer = EventConsumer({DeviceReceived: on_device_received, DeviceReserved: on_device_reserved, ReservationReleased: on_reservation_released,
                          BeneficiaryErased: on_beneficiary_erased},
                         idempotent_by_own_writes=[DeviceReceived, DeviceReserved, ReservationReleased, BeneficiaryErased])
handler = entry_point(consumer.lambda_handler)
