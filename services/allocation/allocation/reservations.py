"""Allocation's use cases: refer, match and reserve, fulfil, release (cancellation, partner's choice,
cancelled sale, expiry). Handlers call these; the rules are in `allocation.domain`.

Every state change and the event announcing it are one transaction, conditional on the
versions read (`AllocationRepository.commit`): a device is never reserved twice and a
referral never holds two devices, whoever races. A lost race is retried with fresh reads,
after a jittered wait (shared.retry).

Matching runs both ways: a device that comes into the pool (ready, or released) looks for
the first waiting referral it may go to; a referral that comes into line (new, or back)
looks for a device. After a release the device looks first, then the referral.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from shared.errors import RuleViolation
from shared.events import EventEnvelope
from shared.events.allocation import DeviceReserved, ReservationReleased
from shared.events.refurb import DeviceReady
from shared.events.sales import DeviceSold, SaleCancelled
from shared.events.vocabulary import FunctionalSummary
from shared.observability import logger
from shared.outbox import ConcurrencyConflict
from shared.retry import retry_on_conflict

from allocation.adapters.repository import AllocationRepository
from allocation.domain.devices import AvailableDevice, DeviceStatus
from allocation.domain.eligibility import ensure_eligible
from allocation.domain.matching import (
    Match,
    MatchingPolicy,
    WaitingPool,
    WaitingReferral,
    choose_device_for_referral,
    choose_referral_for_device,
    reservation_deadline,
    territory_window_ends_at,
)
from allocation.domain.needs import FunctionalFacts
from allocation.domain.referrals import OPEN_STATUSES, Referral, ReferralRequest, ReferralStatus
from allocation.domain.reservation import ReleaseReason, Reservation, ReservationStatus
from allocation.kept_pool import Declined, forget_kept_pools, kept_pool, refresh

MATCH_ATTEMPTS = 5
"""Tries of a use case whose write lost a race, besides one per candidate another writer may take."""
SWEEP_BATCH = 200


@dataclass(frozen=True)
class Cause:
    """What the events of a use case are linked to: the business flow, and what triggered them."""

    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def of(cls, envelope: EventEnvelope | None) -> Cause:
        return cls(envelope.correlation_id, envelope.event_id) if envelope else cls()


# --- matching and reserving -----------------------------------------------------------------------

def reserve(repository: AllocationRepository, match: Match, policy: MatchingPolicy, now: datetime,
            cause: Cause = Cause()) -> Reservation:
    """Reserve the match's device for its referral, with the explanation; ConcurrencyConflict if
    either changed since it was read."""
    device, referral = match.device, match.referral
    reservation_id = str(uuid.uuid4())
    held_until = reservation_deadline(now, policy)
    event = DeviceReserved(
        device_id=device.device_id, reservation_id=reservation_id, referral_id=referral.referral_id,
        beneficiary_category=referral.category, grade=device.grade, device_type=device.device_type,
        expires_at=held_until, territory=referral.territory,
    ).to_envelope(occurred_at=now, correlation_id=cause.correlation_id, causation_id=cause.causation_id)
    reservation = Reservation(
        reservation_id=reservation_id, device_id=device.device_id, referral_id=referral.referral_id,
        partner_id=referral.partner_id, reserved_at=now, held_until=held_until, explanation=match.explanation,
        device_type=device.device_type, grade=device.grade, territory=referral.territory,
        correlation_id=event.correlation_id,
    )
    reserved = referral.moved_to(ReferralStatus.RESERVED, now).model_copy(
        update={"device_id": device.device_id, "reservation_id": reservation_id})
    work = repository.unit_of_work()
    work.put(repository.reservation_link(reservation))
    repository.commit(create=(reservation,), save=(device.reserved_for(reservation_id), reserved), publish=(event,),
                      unit_of_work=work)
    logger.info("device reserved", extra={"device_id": device.device_id, "referral_id": referral.referral_id,
                                          "reservation_id": reservation_id})
    return reservation


def _as_waiting(referral: Referral | None) -> WaitingReferral | None:
    return WaitingReferral.of(referral) if referral is not None and referral.status is ReferralStatus.WAITING else None


def _chosen_as_read(pool: WaitingPool, declined: Declined, repository: AllocationRepository, match: Match) -> Match:
    """The match with its referral read from the table; ConcurrencyConflict if it changed since the
    pool was read (the pool then holds it as it is now, and the device is matched again)."""
    chosen = match.referral
    referral = repository.get_referral(chosen.referral_id)
    waiting = _as_waiting(referral)
    if waiting != chosen:
        refresh(pool, declined, chosen.referral_id, waiting)
        raise ConcurrencyConflict(f"referral {chosen.referral_id} changed since the waiting pool was read")
    return Match(match.device, referral, match.explanation)


def match_devices(repository: AllocationRepository, device_ids: Iterable[str], now: datetime,
                  cause: Cause = Cause()) -> list[Reservation]:
    """Each available device (in turn) goes to the first waiting referral it may go to.

    The waiting pool this function keeps is brought up to date once for all of them
    (`kept_pool`); each reserved referral leaves it. A device
    that keeps losing races raises ConcurrencyConflict (a consumer's message is then retried).
    """
    device_ids = list(device_ids)
    if not device_ids:
        return []
    policy = repository.matching_policy()
    pool, declined = kept_pool(repository)
    try:
        return _match_each(repository, device_ids, pool, declined, policy, now, cause)
    except BaseException:
        forget_kept_pools()  # the pool may be half changed: the next use reads it whole
        raise


def _match_each(repository: AllocationRepository, device_ids: list[str], pool: WaitingPool, declined: Declined,
                policy: MatchingPolicy, now: datetime, cause: Cause) -> list[Reservation]:
    made: list[Reservation] = []
    for device_id in device_ids:

        def attempt(device_id: str = device_id) -> Reservation | None:
            device = repository.get_device(device_id)
            if device is None or device.status is not DeviceStatus.AVAILABLE:
                return None
            set_aside = [pool.remove(r.referral_id) for r in declined.get(device_id, ()) if r.referral_id in pool]
            try:
                match = choose_referral_for_device(device, pool, policy, now)
            finally:
                for referral in set_aside:
                    pool.add(referral)
            if match is None:
                return None
            match = _chosen_as_read(pool, declined, repository, match)
            try:
                reservation = reserve(repository, match, policy, now, cause)
            except ConcurrencyConflict:
                referral_id = match.referral.referral_id
                refresh(pool, declined, referral_id, _as_waiting(repository.get_referral(referral_id)))
                raise
            pool.remove(match.referral.referral_id)
            return reservation

        # A lost race means another reservation was made: at most one per waiting referral.
        reservation = retry_on_conflict(attempt, what="reserving a device", attempts=MATCH_ATTEMPTS + len(pool))
        if reservation is not None:
            made.append(reservation)
    return made


def match_referral(repository: AllocationRepository, referral_id: str, now: datetime,
                   cause: Cause = Cause()) -> Reservation | None:
    """A waiting referral takes the device the rules give it, if any."""
    policy = repository.matching_policy()
    referral = repository.get_referral(referral_id)
    if referral is None or referral.status is not ReferralStatus.WAITING:
        return None
    devices = repository.available_devices()
    just_read = [referral]  # the first attempt uses the referral read above; a retry reads it again

    def attempt() -> Reservation | None:
        nonlocal devices
        current = just_read.pop() if just_read else repository.get_referral(referral_id)
        if current is None or current.status is not ReferralStatus.WAITING:
            return None
        candidates = [d for d in devices if d.device_id not in current.declined_device_ids]
        match = choose_device_for_referral(current, candidates, policy, now)
        if match is None:
            return None
        try:
            return reserve(repository, match, policy, now, cause)
        except ConcurrencyConflict:
            # Only the device that was taken is read again; the others are still worth trying.
            chosen = match.device.device_id
            fresh = repository.get_device(chosen)
            devices = [d for d in devices if d.device_id != chosen]
            if fresh is not None and fresh.status is DeviceStatus.AVAILABLE:
                devices.append(fresh)
            raise

    # A lost race means another reservation was made: at most one per available device.
    return retry_on_conflict(attempt, what="reserving for a referral", attempts=MATCH_ATTEMPTS + len(devices))


def _rematch(repository: AllocationRepository, device_id: str | None, referral_id: str | None, now: datetime,
             cause: Cause) -> None:
    """After a release: the device looks for a referral, then the referral (if back in line) for a device.

    The release is already committed: a match that keeps racing is left to the next trigger
    and logged, rather than failing the request that released."""
    try:
        if device_id:
            match_devices(repository, [device_id], now, cause)
        if referral_id:
            match_referral(repository, referral_id, now, cause)
    except ConcurrencyConflict as conflict:
        logger.warning("matching after a release kept racing", extra={"reason": str(conflict)})


# --- referrals ------------------------------------------------------------------------------------

def refer(repository: AllocationRepository, partner_id: str, request: ReferralRequest, now: datetime,
          cause: Cause = Cause()) -> Referral:
    """A registered partner refers a beneficiary: eligibility first, then the referral looks for a device."""
    partner = repository.get_partner(partner_id)
    if partner is None:
        raise RuleViolation(f"partner {partner_id} is not registered as a referral partner: an administrator "
                            f"registers it (PUT /allocation/partners/{partner_id}) before it refers")
    territory = partner.referral_territory(request)
    rules = repository.eligibility_rules()

    def attempt() -> Referral:
        beneficiary = repository.beneficiary(partner_id, request.beneficiary_ref)
        ensure_eligible(request, rules, repository.referrals(beneficiary.referral_ids), now)
        referral = Referral(referral_id=str(uuid.uuid4()), partner_id=partner_id, created_at=now,
                            **(request.model_dump() | {"territory": territory}))
        # With the beneficiary's record, conditional on the version read: of two simultaneous
        # referrals of the same person, one fails here and is checked again (and refused).
        repository.commit(create=(referral,), save=(beneficiary.with_referral(referral.referral_id),))
        return referral

    referral = retry_on_conflict(attempt, what="a beneficiary's referrals", attempts=2)
    logger.info("referral made", extra={"referral_id": referral.referral_id, "partner_id": partner_id})
    try:
        match_referral(repository, referral.referral_id, now, cause)
    except ConcurrencyConflict as conflict:
        logger.warning("matching a new referral kept racing", extra={"reason": str(conflict)})
    return repository.get_referral(referral.referral_id)


def _reserved_pair(repository: AllocationRepository,
                   reservation: Reservation) -> tuple[AvailableDevice, Referral]:
    device = repository.get_device(reservation.device_id)
    referral = repository.get_referral(reservation.referral_id)
    if device is None or referral is None:
        raise LookupError(f"reservation {reservation.reservation_id} names an unknown device or referral")
    return device, referral


def _released_event(reservation: Reservation, reason: ReleaseReason, now: datetime,
                    cause: Cause) -> EventEnvelope:
    return ReservationReleased(
        device_id=reservation.device_id, reservation_id=reservation.reservation_id,
        referral_id=reservation.referral_id, reason=reason.value,
    ).to_envelope(occurred_at=now, correlation_id=cause.correlation_id or reservation.correlation_id,
                  causation_id=cause.causation_id)


def cancel_referral(repository: AllocationRepository, referral_id: str, reason: str, now: datetime,
                    cause: Cause = Cause()) -> Referral:
    """The partner withdraws a referral: a waiting one is closed; a reserved one too, and its device
    goes back to the pool (ReservationReleased) and to the next in line."""
    def attempt() -> str | None:
        """The device the cancellation put back in the pool, if any."""
        referral = repository.get_referral(referral_id)
        if referral is None:
            raise LookupError(f"no referral {referral_id}")
        cancelled = referral.moved_to(ReferralStatus.CANCELLED, now, because=reason)  # RuleViolation if closed
        if referral.status is ReferralStatus.WAITING:
            repository.commit(save=(cancelled,))
            return None
        reservation = repository.get_reservation(referral.reservation_id)
        device, _ = _reserved_pair(repository, reservation)
        repository.commit(
            save=(reservation.released(ReleaseReason.REFERRAL_CANCELLED, now, note=reason),
                  device.back_in_pool(), cancelled),
            publish=(_released_event(reservation, ReleaseReason.REFERRAL_CANCELLED, now, cause),))
        return device.device_id

    released_device = retry_on_conflict(attempt, what="cancelling a referral", attempts=MATCH_ATTEMPTS)
    if released_device:
        _rematch(repository, released_device, None, now, cause)
    return repository.get_referral(referral_id)


def release(repository: AllocationRepository, reservation_id: str, note: str, now: datetime,
            cause: Cause = Cause()) -> Reservation:
    """The partner chose to release a reservation (the device does not suit): the device goes back to
    the pool, the referral back in line at its place, and it is never offered that device again."""
    def attempt() -> tuple[str, str]:
        """The device and the referral the release put back in the pool and in line."""
        reservation = repository.get_reservation(reservation_id)
        if reservation is None:
            raise LookupError(f"no reservation {reservation_id}")
        if reservation.status is not ReservationStatus.ACTIVE:
            raise RuleViolation(f"reservation {reservation_id} is {reservation.status}: only an active "
                                "reservation can be released")
        device, referral = _reserved_pair(repository, reservation)
        back = referral.moved_to(ReferralStatus.WAITING, now).declining(device.device_id)
        repository.commit(
            save=(reservation.released(ReleaseReason.PARTNER_RELEASED, now, note=note), device.back_in_pool(),
                  back),
            publish=(_released_event(reservation, ReleaseReason.PARTNER_RELEASED, now, cause),))
        return device.device_id, referral.referral_id

    device_id, referral_id = retry_on_conflict(attempt, what="releasing a reservation", attempts=MATCH_ATTEMPTS)
    _rematch(repository, device_id, referral_id, now, cause)
    return repository.get_reservation(reservation_id)


# --- the schedule ---------------------------------------------------------------------------------

def _expire(repository: AllocationRepository, reservation_id: str, now: datetime) -> str | None:
    """Release one reservation whose hold passed; the device id if it went back to the pool."""
    reservation = repository.get_reservation(reservation_id)  # the index may lag: read it again
    if reservation is None or not reservation.is_due(now):
        return None
    device, referral = _reserved_pair(repository, reservation)
    expired = referral.moved_to(ReferralStatus.EXPIRED, now, because=(
        f"the reserved device was not collected by {reservation.held_until.isoformat()}"))
    repository.commit(
        save=(reservation.released(ReleaseReason.EXPIRED, now), device.back_in_pool(), expired),
        publish=(_released_event(reservation, ReleaseReason.EXPIRED, now, Cause()),))
    logger.info("reservation expired", extra={"reservation_id": reservation_id, "device_id": device.device_id})
    return device.device_id


def sweep(repository: AllocationRepository, now: datetime, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """What the schedule runs: release the reservations whose hold passed (their referrals expire),
    then match again the devices back in the pool and those whose territory window ended."""
    released: list[str] = []
    for reservation in repository.due_reservations(now, batch):
        try:
            device_id = _expire(repository, reservation.reservation_id, now)
        except ConcurrencyConflict as conflict:  # sold or released meanwhile: the next run looks again
            logger.info("expiry raced", extra={"reason": str(conflict)})
            continue
        except (LookupError, RuleViolation) as error:  # one inconsistent item must not stop the others
            logger.error("reservation cannot expire", extra={"reservation_id": reservation.reservation_id,
                                                             "reason": str(error)})
            continue
        if device_id:
            released.append(device_id)
    windows = repository.windows_ended(now, batch)
    made: list[Reservation] = []
    try:
        made = match_devices(repository, [*released, *windows], now)
    except ConcurrencyConflict as conflict:  # the window markers stay: the next run matches them again
        logger.warning("matching after expiry kept racing", extra={"reason": str(conflict)})
    else:
        for device_id in windows:
            repository.window_done(device_id, now)
    return {"expired": len(released), "windows_ended": len(windows), "reserved": len(made)}


# --- what other services tell us ------------------------------------------------------------------

_LAYOUT_SEPARATORS = re.compile(r"[^a-z0-9_-]+")


def functional_facts(summary: FunctionalSummary) -> FunctionalFacts:
    """Allocation's copy of refurb's functional summary. A keyboard layout this service cannot
    compare (odd spelling) is normalised, or dropped: then no keyboard requirement is met."""
    facts = summary.model_dump()
    layout = facts.get("keyboard_layout")
    if layout:
        facts["keyboard_layout"] = _LAYOUT_SEPARATORS.sub("-", layout.strip().lower()).strip("-") or None
    try:
        return FunctionalFacts.model_validate(facts)
    except ValidationError:
        logger.warning("keyboard layout not understood", extra={"keyboard_layout": layout})
        return FunctionalFacts.model_validate(facts | {"keyboard_layout": None})


def device_ready(repository: AllocationRepository, event: DeviceReady, envelope: EventEnvelope,
                 now: datetime) -> list[Reservation]:
    """A ready device joins the pool (once, whatever the redeliveries) and looks for a referral."""
    device = AvailableDevice(
        device_id=event.device_id, grade=event.grade, device_type=event.device_type, specs=event.specs,
        provenance=event.provenance, ready_at=envelope.occurred_at, functional=functional_facts(event.functional),
    )
    if not repository.add_device(device, territory_window_ends_at(device, repository.matching_policy())):
        logger.info("device already in allocation", extra={"device_id": event.device_id})
        known = repository.get_device(event.device_id)
        if known is None or known.status is not DeviceStatus.AVAILABLE:
            return []  # a redelivery after its matching: reading the waiting pool again would change nothing
    return match_devices(repository, [event.device_id], now, Cause.of(envelope))


def fulfil(repository: AllocationRepository, event: DeviceSold, envelope: EventEnvelope) -> None:
    """The reserved device was sold: reservation, device and referral are done (fulfilled_at = sale time)."""
    reservation = repository.get_reservation(event.reservation_id)
    if reservation is None or reservation.device_id != event.device_id:
        raise LookupError(f"sale of {event.device_id} for unknown reservation {event.reservation_id}")
    if event.sale_id in reservation.cancelled_sale_ids:
        logger.info("sale already cancelled", extra={"sale_id": event.sale_id})  # SaleCancelled came first
        return
    if reservation.status is ReservationStatus.FULFILLED and reservation.sale_id == event.sale_id:
        return  # the same sale announced again
    if reservation.status is not ReservationStatus.ACTIVE:
        raise RuleViolation(
            f"sale {event.sale_id} of device {event.device_id} crossed the end of reservation "
            f"{event.reservation_id} ({reservation.status}, {reservation.released_because}): "
            "an administrator settles it")
    device, referral = _reserved_pair(repository, reservation)
    at = envelope.occurred_at
    repository.commit(save=(reservation.fulfilled(event.sale_id, at, event.point_of_sale_id), device.sold(),
                            referral.moved_to(ReferralStatus.FULFILLED, at)))
    logger.info("referral fulfilled", extra={"referral_id": referral.referral_id, "device_id": device.device_id})


def sale_cancelled(repository: AllocationRepository, event: SaleCancelled, envelope: EventEnvelope,
                   now: datetime) -> None:
    """A sale was cancelled before handover: its reservation is released (ReservationReleased), the
    device goes back to the pool and the referral back in line at its place; both are matched again.

    SaleCancelled may arrive before the DeviceSold it cancels (queues do not keep order): the
    reservation, still active, is released and remembers the sale, so the late DeviceSold is ignored.
    """
    cause = Cause.of(envelope)

    def attempt() -> str | None:
        """The referral to match again (with the device), None if the reservation ended otherwise."""
        reservation = repository.get_reservation(event.reservation_id)
        if reservation is None or reservation.device_id != event.device_id:
            raise LookupError(f"cancelled sale of {event.device_id} for unknown reservation {event.reservation_id}")
        if event.sale_id in reservation.cancelled_sale_ids:
            return reservation.referral_id  # released already (this is a retry): only the matching may remain to do
        sold_here = reservation.status is ReservationStatus.FULFILLED and reservation.sale_id == event.sale_id
        if reservation.status is not ReservationStatus.ACTIVE and not sold_here:
            logger.warning("cancelled sale of a reservation that ended otherwise",
                           extra={"reservation_id": reservation.reservation_id, "status": reservation.status})
            return None
        device, referral = _reserved_pair(repository, reservation)
        back = referral.moved_to(ReferralStatus.WAITING, now)
        saves = [reservation.released(ReleaseReason.SALE_CANCELLED, now).with_cancelled_sale(event.sale_id),
                 device.back_in_pool()]
        if referral.forgotten_at is not None:
            # Erased while the sale was pending: the device goes back to the pool, the person is not
            # put back in line (nobody could be told: the partner asked us to forget them).
            back = back.moved_to(ReferralStatus.CANCELLED, now)
        elif referral.status is ReferralStatus.FULFILLED:
            # Back in line, unless the beneficiary was referred again meanwhile (possible only when the
            # period rule is off): one open referral per beneficiary. The record guards the race.
            beneficiary = repository.beneficiary(referral.partner_id, referral.beneficiary_ref)
            others_open = [r for r in repository.referrals(beneficiary.referral_ids)
                           if r.referral_id != referral.referral_id and r.status in OPEN_STATUSES]
            if others_open and repository.eligibility_rules().one_open_referral:
                back = back.moved_to(ReferralStatus.CANCELLED, now, because=(
                    f"the sale was cancelled and the beneficiary has referral {others_open[0].referral_id} open"))
            saves.append(beneficiary)
        repository.commit(save=(*saves, back),
                          publish=(_released_event(reservation, ReleaseReason.SALE_CANCELLED, now, cause),))
        return reservation.referral_id

    referral_id = retry_on_conflict(attempt, what="releasing after a cancelled sale", attempts=MATCH_ATTEMPTS)
    if referral_id is None:
        return
    match_devices(repository, [event.device_id], now, cause)
    match_referral(repository, referral_id, now, cause)
