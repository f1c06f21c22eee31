"""Intake's consumer: every device event of every service goes into the device's timeline,
and the events that tell intake something (stage, grade, erasure certificate, beneficiary
category) update the device's summary, which the passport and the donor documents read."""

from __future__ import annotations

import functools

from shared.consumer import EventConsumer
from shared.events import DomainEvent, EventEnvelope, all_contracts
from shared.events.allocation import BeneficiaryErased
from shared.observability import entry_point, logger

from intake.adapters.repository import IntakeRepository
from intake.domain.passport import facts_from

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(IntakeRepository)


def record_device_event(event: DomainEvent, envelope: EventEnvelope) -> None:
    if not repository().record_in_timeline(envelope, event):
        logger.info("the timeline already has this fact", extra={"event_type": envelope.event_type})
    for fact in facts_from(event):
        if not repository().record_passport_fact(envelope.subject, fact, envelope.occurred_at):
            logger.info("the summary already has a newer fact", extra={"fact": fact.name})


# An erasure is about a person, not a step of the device's journey: it stays out of the timeline.
NOT_DEVICE_STEPS = {BeneficiaryErased}
DEVICE_STEPS = [contract for contract in all_contracts() if contract not in NOT_DEVICE_STEPS]
# The timeline line is created only if absent (keyed by the fact) and each summary fact only if
# newer: a redelivered event changes nothing, so no idempotency record is kept for it.
consumer = EventConsumer({contract: record_device_event for contract in DEVICE_STEPS},
                         idempotent_by_own_writes=DEVICE_STEPS)
handler = entry_point(consumer.lambda_handler)
