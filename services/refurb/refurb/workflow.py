"""Refurb's operations: read, apply a domain rule, write the changes and their events at once.

Every operation retries on a concurrency conflict with fresh reads (shared.retry, jittered
waits). A work order is written conditionally on the version read; a place in a workshop is
claimed by incrementing its counter on condition that it is below the capacity, not on the
version read, so work orders opened at once for many devices do not conflict on the workshop
they share, and two racing for its last place cannot both take it: the loser reads again and
goes elsewhere. A retried step meets the domain rules again, so a step someone else completed
meanwhile is refused with the usual message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from shared import clock
from shared.access import require_reach
from shared.errors import NotFound, RuleViolation
from shared.events import EventEnvelope
from shared.events.intake import DeviceReceived
from shared.events.refurb import (
    DeviceReady,
    DeviceScrapped,
    ErasureCertified,
    WarrantyRepairCompleted,
    WorkOrderAssigned,
)
from shared.events.sales import WarrantyClaimOpened
from shared.observability import logger
from shared.partners import Partner
from shared.retry import retry_on_conflict

from refurb.access import WORK_ORDER_STEP, work_order_ownership
from refurb.adapters.repository import Changes, RefurbRepository, StoredRuleSet
from refurb.domain.figures import ClosedOrder, workshop_figures
from refurb.domain.grading import RuleSet, default_rule_set
from refurb.domain.reports import Diagnosis, ErasureReport, InstallationReport, RepairReport, ScrapReport
from refurb.domain.work_orders import Milestone, WarrantyClaim, WorkOrder, WorkOrderKind
from refurb.domain.workshops import Workshop, WorkshopRegistration, choose_workshop


def now() -> datetime:
    return clock.now()


# --- opening and assignment --------------------------------------------------------------------

def open_work_order(repository: RefurbRepository, event: DeviceReceived, envelope: EventEnvelope) -> WorkOrder | None:
    """A received device gets a work order, assigned to a workshop if one has room. None if it had one."""

    def attempt() -> WorkOrder | None:
        if repository.get(event.device_id) is not None:
            return None  # a redelivered or repeated DeviceReceived
        order = WorkOrder(
            device_id=event.device_id, label_code=event.label_code, device_type=event.device_type,
            provenance=event.provenance,
            donor_id=event.donor_id, serial_number=event.serial_number, make=event.make, model=event.model,
            asset_tag=event.asset_tag, declared_specs=event.specs, specs=event.specs,
            opened_at=envelope.occurred_at,
        )
        order.history.append(Milestone(what="opened", at=envelope.occurred_at))
        changes = Changes(order=order, new_order=True)
        _assign_automatically(repository, order, changes, cause=envelope)
        repository.commit(changes)
        return order

    return retry_on_conflict(attempt, what="opening a work order")


def _assign_automatically(repository: RefurbRepository, order: WorkOrder, changes: Changes,
                          prefer: str | None = None, cause: EventEnvelope | None = None) -> None:
    chosen = choose_workshop(repository.workshops(), order.provenance.territory, prefer=prefer)
    if chosen is None:
        logger.warning("no workshop has room: work order left unassigned", extra={"device_id": order.device_id})
        order.assign(None, now())
        return
    chosen.take()
    order.assign(chosen.workshop_id, now())
    changes.places_taken.append(chosen.workshop_id)
    changes.events.append(_assigned(order, cause))


def _assigned(order: WorkOrder, cause: EventEnvelope | None = None, correlation_id: str | None = None) -> EventEnvelope:
    """Tells intake which workshop now follows the device (its journey becomes visible to it)."""
    event = WorkOrderAssigned(device_id=order.device_id, workshop_id=order.workshop_id)
    if cause is not None:
        return event.to_envelope(correlation_id=cause.correlation_id, causation_id=cause.event_id)
    return event.to_envelope(correlation_id=correlation_id)


def assign(repository: RefurbRepository, device_id: str, workshop_id: str, by: Partner) -> WorkOrder:
    """An administrator gives a work order to a workshop (within its capacity)."""

    def attempt() -> WorkOrder:
        order = load_order(repository, device_id)
        if not order.status.is_open:
            raise RuleViolation(f"work order {device_id} is {order.status.value}: it cannot be reassigned")
        if order.workshop_id == workshop_id:
            return order
        target = repository.get_workshop(workshop_id)
        if target is None:
            raise NotFound(f"no workshop {workshop_id} (an administrator registers it first)")
        target.take()
        changes = Changes(order=order, places_taken=[workshop_id])
        if order.workshop_id and (previous := repository.get_workshop(order.workshop_id)) and previous.open_orders:
            changes.places_freed.append(previous.workshop_id)
        order.assign(workshop_id, now(), by=by.partner_id)
        changes.events.append(_assigned(order))
        repository.commit(changes)
        return order

    return retry_on_conflict(attempt, what="assigning a work order")


def register_workshop(repository: RefurbRepository, workshop_id: str, registration: WorkshopRegistration) -> Workshop:
    """Create or update a workshop; its count of open work orders is kept."""

    def attempt() -> Workshop:
        workshop = repository.get_workshop(workshop_id) or Workshop(workshop_id=workshop_id, territories=[],
                                                                     capacity=0)
        workshop = workshop.model_copy(update=registration.model_dump())
        repository.commit(Changes(workshops=[workshop]))
        return workshop

    return retry_on_conflict(attempt, what="registering a workshop")


# --- the steps ---------------------------------------------------------------------------------

def check_access(order: WorkOrder, partner: Partner) -> None:
    """A workshop acts on the work orders assigned to it; administrators on all (refurb/access.py).
    To another workshop the work order does not exist."""
    require_reach(WORK_ORDER_STEP, partner, work_order_ownership(order), f"no work order for device {order.device_id}")


def load_order(repository: RefurbRepository, device_id: str) -> WorkOrder:
    order = repository.get(device_id)
    if order is None:
        raise NotFound(f"no work order for device {device_id}")
    return order


def _step(repository: RefurbRepository, device_id: str, partner: Partner,
          apply: Callable[[WorkOrder], list[EventEnvelope]]) -> WorkOrder:
    """Load, check access, apply one step (which returns the events it raises), commit; closing a
    work order frees its workshop's place and adds a line to the workshop's figures."""

    def attempt() -> WorkOrder:
        order = load_order(repository, device_id)
        check_access(order, partner)
        was_open = order.status.is_open
        events = apply(order)
        changes = Changes(order=order, events=events)
        if was_open and not order.status.is_open and order.workshop_id:
            workshop = repository.get_workshop(order.workshop_id)
            if workshop is not None and workshop.open_orders:
                changes.places_freed.append(workshop.workshop_id)
            changes.closed.append((order.workshop_id, ClosedOrder(
                device_id=order.device_id, kind=order.kind.value, outcome=order.status.value,
                closed_at=order.closed_at, durations=order.step_durations(),
            )))
        repository.commit(changes)
        return order

    return retry_on_conflict(attempt, what="a work order's step")


def diagnose(repository: RefurbRepository, device_id: str, partner: Partner, report: Diagnosis) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        order.diagnose(report, partner.partner_id, now())
        return []

    return _step(repository, device_id, partner, apply)


def record_erasure(repository: RefurbRepository, device_id: str, partner: Partner, report: ErasureReport,
                   correlation_id: str | None) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        certificate = order.record_erasures(report.drives, partner.partner_id, now())
        if certificate is None:
            return []  # a drive still needs erasing: nothing to announce yet
        return [ErasureCertified(
            device_id=device_id, certificate_id=certificate.certificate_id,
            certificate_sha256=certificate.sha256, drives=certificate.drives,
        ).to_envelope(correlation_id=correlation_id)]

    return _step(repository, device_id, partner, apply)


def record_repair(repository: RefurbRepository, device_id: str, partner: Partner, report: RepairReport) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        order.record_repair(report, partner.partner_id, now())
        return []

    return _step(repository, device_id, partner, apply)


def record_installation(repository: RefurbRepository, device_id: str, partner: Partner,
                        report: InstallationReport) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        order.record_installation(report, partner.partner_id, now())
        return []

    return _step(repository, device_id, partner, apply)


def record_grade(repository: RefurbRepository, device_id: str, partner: Partner) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        rules = active_rules(repository)
        order.record_grade(rules.rules, rules.version, partner.partner_id, now())
        return []

    return _step(repository, device_id, partner, apply)


def mark_ready(repository: RefurbRepository, device_id: str, partner: Partner, correlation_id: str | None) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        order.mark_ready(partner.partner_id, now())
        if order.kind is WorkOrderKind.WARRANTY:
            repair = order.current_repair()
            event = WarrantyRepairCompleted(
                device_id=device_id, claim_ids=order.open_claim_ids(), workshop_id=order.workshop_id or partner.partner_id,
                parts=[p.name for p in repair.parts] if repair else [], cost_eur=order.cost_eur(),
            )
        else:
            event = DeviceReady(
                device_id=device_id, grade=order.grade.grade, device_type=order.device_type, specs=order.specs,
                provenance=order.provenance, workshop_id=order.workshop_id or partner.partner_id,
                erasure_certificate_id=order.certificate.certificate_id, functional=order.functional_summary(),
            )
        return [event.to_envelope(correlation_id=correlation_id)]

    return _step(repository, device_id, partner, apply)


def scrap(repository: RefurbRepository, device_id: str, partner: Partner, report: ScrapReport,
          correlation_id: str | None) -> WorkOrder:
    def apply(order: WorkOrder) -> list[EventEnvelope]:
        scrapped = order.scrap_it(report, partner.partner_id, now())
        return [DeviceScrapped(
            device_id=device_id, reason=scrapped.reason, recycling_channel=scrapped.recycling_channel,
            harvested_parts=scrapped.harvested_parts, at_step=scrapped.at_step.value,
        ).to_envelope(correlation_id=correlation_id)]

    return _step(repository, device_id, partner, apply)


# --- warranty returns --------------------------------------------------------------------------

def reopen_for_warranty(repository: RefurbRepository, event: WarrantyClaimOpened, envelope: EventEnvelope) -> None:
    """The device's work order reopens for repair → ready, with the workshop that refurbished it
    if it has room. A claim that cannot reopen anything is logged, not retried for ever."""

    def attempt() -> None:
        order = repository.get(event.device_id)
        if order is None:
            logger.warning("warranty claim for a device refurb never saw", extra={"device_id": event.device_id})
            return
        claim = WarrantyClaim(claim_id=event.claim_id, claim_reference=event.claim_reference, sale_id=event.sale_id,
                              fault_category=event.fault_category, opened_at=envelope.occurred_at, cycle=order.cycle)
        known_claims = len(order.claims)
        try:
            reopened = order.reopen_for_warranty(claim, now())
        except RuleViolation as refused:
            logger.warning("warranty claim not applied", extra={"device_id": event.device_id, "why": str(refused)})
            return
        if len(order.claims) == known_claims:
            return  # this claim is already recorded
        changes = Changes(order=order)
        if reopened:
            _assign_automatically(repository, order, changes, prefer=order.workshop_id, cause=envelope)
        repository.commit(changes)

    retry_on_conflict(attempt, what="reopening a work order for a warranty claim")


# --- grading rules -----------------------------------------------------------------------------

def active_rules(repository: RefurbRepository) -> StoredRuleSet:
    """The rule set in force: the last one an administrator loaded, else the packaged one (version 0)."""
    return repository.active_rules() or StoredRuleSet(version=0, rules=default_rule_set())


def rules_version(repository: RefurbRepository, version: int) -> StoredRuleSet:
    if version == 0:
        return StoredRuleSet(version=0, rules=default_rule_set())
    stored = repository.rules_version(version)
    if stored is None:
        raise NotFound(f"no grading rules version {version}")
    return stored


def load_rules(repository: RefurbRepository, rules: RuleSet, by: Partner) -> StoredRuleSet:
    """A new version of the rules, used for every grade from now on (grades already given stay)."""
    at = now()
    version = repository.store_rules(rules, repository.active_rules(), by.partner_id, at)
    return StoredRuleSet(version=version, rules=rules, loaded_at=at, loaded_by=by.partner_id)


# --- figures -----------------------------------------------------------------------------------

def figures(repository: RefurbRepository, workshop_id: str, since: date, until: date | None = None) -> dict:
    until = until or now().date()
    if until < since:
        raise RuleViolation(f"since ({since}) is after until ({until})")
    closed = repository.closed_orders(workshop_id, since.isoformat(), until.isoformat())
    return workshop_figures(workshop_id, closed, since, until)
