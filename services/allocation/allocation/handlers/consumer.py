"""Allocation's consumer: ready devices join the pool and are matched; sales fulfil reservations,
and a cancelled sale puts the device back in the pool and the referral back in line.

The handlers tolerate the same fact delivered or announced twice, and a SaleCancelled arriving
before its DeviceSold, by their own conditional writes: a device joins the pool only if unknown
(and a redelivery after its matching stops there), a reservation is fulfilled or released on the
version read and a sale once fulfilled or cancelled is recognised. So no idempotency record is
kept for them (architecture decision 35).
"""

from __future__ import annotations

import functools

from datetime import datetime, timezone

from shared.consumer import EventConsumer
from shared.events import EventEnvelope
from shared.events.refurb import DeviceReady
from shared.events.sales import DeviceSold, SaleCancelled
from shared.observability import entry_point

from allocation import reservations
from allocation.adapters.repository import AllocationRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(AllocationRepository)


def now() -> datetime:
    return datetime.now(timezone.utc)


def on_device_ready(event: DeviceReady, envelope: EventEnvelope) -> None:
    reservations.device_ready(repository(), event, envelope, now())


def on_device_sold(event: DeviceSold, envelope: EventEnvelope) -> None:
    reservations.fulfil(repository(), event, envelope)


def on_sale_cancelled(event: SaleCancelled, envelope: EventEnvelope) -> None:
    reservations.sale_cancelled(repository(), event, envelope, now())


consumer = EventConsumer({DeviceReady: on_device_ready, DeviceSold: on_device_sold,
                          SaleCancelled: on_sale_cancelled},
                         idempotent_by_own_writes=[DeviceReady, DeviceSold, SaleCancelled])
handler = entry_point(consumer.lambda_handler)
