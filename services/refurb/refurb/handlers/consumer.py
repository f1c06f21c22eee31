"""Refurb's consumer: a received device gets a work order; a warranty claim reopens it."""

from __future__ import annotations

import functools

from shared.consumer import EventConsumer
from shared.events import EventEnvelope
from shared.events.intake import DeviceReceived
from shared.events.sales import WarrantyClaimOpened
from shared.observability import entry_point, logger

from refurb import workflow
from refurb.adapters.repository import RefurbRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(RefurbRepository)


def open_work_order(event: DeviceReceived, envelope: EventEnvelope) -> None:
    order = workflow.open_work_order(repository(), event, envelope)
    if order is None:
        logger.info("work order already open", extra={"device_id": event.device_id})
    else:
        logger.info("work order opened", extra={"device_id": event.device_id, "workshop_id": order.workshop_id})


def reopen_for_warranty(event: WarrantyClaimOpened, envelope: EventEnvelope) -> None:
    workflow.reopen_for_warranty(repository(), event, envelope)


# Both handlers find a redelivery written and leave it (architecture decision 35): a work order is
# created only where none exists, in the transaction that claims its place; a claim is recorded
# once per claim id, on the version read.
consumer = EventConsumer({DeviceReceived: open_work_order, WarrantyClaimOpened: reopen_for_warranty},
                         idempotent_by_own_writes=[DeviceReceived, WarrantyClaimOpened])
handler = entry_point(consumer.lambda_handler)
