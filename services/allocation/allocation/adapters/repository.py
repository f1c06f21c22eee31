"""Allocation's table: referral partners, policies, referrals and their beneficiaries, its projection
of ready devices, and reservations.

Four lists are read through the sparse index `gsi1`, each a partition whose entries exist
only while they matter, so that a list never holds what it should not:

| gsi1pk                 | gsi1sk                    | present while                      |
|------------------------|---------------------------|------------------------------------|
| `REFERRALS#waiting`    | created_at # referral id  | the referral waits (fairness order)|
| `DEVICES#available`    | ready_at # device id      | the device is in the pool          |
| `RESERVATIONS#active`  | held_until # reservation  | the reservation holds: expiry      |
| `DEVICES#window-ends`  | window end # device id    | a device's territory window is due |
| `REFERRALS#retained`   | closed_since # referral   | closed, not yet forgotten          |

Every referral is also in its partner's list, through the index `gsi2` (`gsi2pk`
`PARTNER#<partner id>#REFERRALS`, `gsi2sk` `REFERRAL#` created_at # referral id), whatever its status: a
partner's referrals are read newest first without reading anyone else's. That index holds the keys
and the status only (a referral saved again is not copied again unless its status moved): a page
filters on the status, then reads its referrals by key.

Every referral is also in the index `gsi3` (`gsi3pk` `REFERRALS#changes`, `gsi3sk` the time of its
last write # referral id), with what matching reads of it and its status: a function that keeps
the waiting pool between invocations reads there only the referrals written since it last looked
(`referral_changes`).

A referral's partition also holds one link per reservation ever made for it
(`REFERRAL#<id>` / `RESERVATION#<id>`), so that forgetting the referral finds them all.

Index times are UTC with microseconds (`index_time`), so that text order is time order.
Every state change goes through one `UnitOfWork` (conditional on the versions read).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.dynamo import TableReader
from shared.events import EventEnvelope
from shared.outbox import ConcurrencyConflict, UnitOfWork
from shared.packed import pack, unpack
from shared.paging import KeyRange, Page, query_page

from allocation.domain.devices import AvailableDevice, DeviceStatus
from allocation.domain.eligibility import DEFAULT_ELIGIBILITY_RULES, BeneficiaryRecord, EligibilityRules
from allocation.domain.matching import DEFAULT_MATCHING_POLICY, MatchingPolicy, WaitingReferral
from allocation.domain.needs import Requirements
from allocation.domain.partners import ReferralPartner
from allocation.domain.referrals import CLOSED_STATUSES, Referral, ReferralStatus
from allocation.domain.reservation import Reservation, ReservationStatus

WAITING = "REFERRALS#waiting"
AVAILABLE = "DEVICES#available"
ACTIVE_RESERVATIONS = "RESERVATIONS#active"
WINDOW_ENDS = "DEVICES#window-ends"
RETAINED = "REFERRALS#retained"
REFERRAL_CHANGES = "REFERRALS#changes"
PARTNER_REFERRALS_INDEX = "gsi2"
CHANGES_INDEX = "gsi3"


def partner_referrals(partner_id: str) -> str:
    """The `gsi2pk` of a partner's list of referrals."""
    return f"PARTNER#{partner_id}#REFERRALS"

Policy = TypeVar("Policy", EligibilityRules, MatchingPolicy)
POLICIES: dict[str, tuple[type[BaseModel], BaseModel]] = {
    "eligibility": (EligibilityRules, DEFAULT_ELIGIBILITY_RULES),
    "matching": (MatchingPolicy, DEFAULT_MATCHING_POLICY),
}


@dataclass(frozen=True)
class ReferralChange:
    """A referral's write, as index `gsi3` holds it."""

    written: str
    """When (the writer's clock) and which referral: unique per write."""
    referral_id: str
    item: dict[str, Any]

    def waiting(self) -> WaitingReferral | None:
        """What matching reads of the referral, if the write left it waiting; None if it left the line."""
        return _waiting_entry(self.item) if self.item["status"] == ReferralStatus.WAITING.value else None


def _waiting_entry(item: dict[str, Any]) -> WaitingReferral:
    """A waiting referral's item (or its copy in `gsi3`) as the waiting pool keeps it."""
    created_at = datetime.fromisoformat(item["created_at"])
    return WaitingReferral(item["referral_id"], item["territory"], int(item["priority"]), created_at,
                           created_at.isoformat(), Requirements.model_validate(item["needs"]["requirements"]),
                           tuple(item.get("declined_device_ids") or ()))


def index_time(at: datetime) -> str:
    """A time as index text: UTC, fixed width, so that comparing texts compares times."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class StoredPolicy:
    policy: Any
    version: int
    """0: the default, never changed."""
    changed_by: str | None = None
    changed_at: str | None = None


Aggregate = Referral | AvailableDevice | Reservation | BeneficiaryRecord | ReferralPartner


class AllocationRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.table_name, client=self.client)

    # --- items ------------------------------------------------------------------------------------

    @staticmethod
    def item(aggregate: Aggregate) -> dict[str, Any]:
        body = aggregate.model_dump(mode="json", exclude={"version"})
        if isinstance(aggregate, Referral):
            item = {"pk": f"REFERRAL#{aggregate.referral_id}", "sk": "REFERRAL", **body,
                    "gsi2pk": partner_referrals(aggregate.partner_id),
                    "gsi2sk": f"REFERRAL#{index_time(aggregate.created_at)}#{aggregate.referral_id}",
                    # the writer's clock: readers of the changes look back a margin for clocks and the index's lag
                    "gsi3pk": REFERRAL_CHANGES,
                    "gsi3sk": f"{index_time(datetime.now(timezone.utc))}#{aggregate.referral_id}"}
            if aggregate.status is ReferralStatus.WAITING:
                item |= {"gsi1pk": WAITING, "gsi1sk": f"{index_time(aggregate.created_at)}#{aggregate.referral_id}"}
            elif aggregate.status in CLOSED_STATUSES and aggregate.forgotten_at is None:
                item |= {"gsi1pk": RETAINED,
                         "gsi1sk": f"{index_time(aggregate.closed_since)}#{aggregate.referral_id}"}
        elif isinstance(aggregate, AvailableDevice):
            item = {"pk": f"DEVICE#{aggregate.device_id}", "sk": "DEVICE", **body}
            if aggregate.status is DeviceStatus.AVAILABLE:
                item |= {"gsi1pk": AVAILABLE, "gsi1sk": f"{index_time(aggregate.ready_at)}#{aggregate.device_id}"}
        elif isinstance(aggregate, Reservation):
            # The explanation is most of a reservation's bytes and only read with it.
            item = pack({"pk": f"RESERVATION#{aggregate.reservation_id}", "sk": "RESERVATION", **body},
                        ["explanation"])
            if aggregate.status is ReservationStatus.ACTIVE:
                item |= {"gsi1pk": ACTIVE_RESERVATIONS,
                         "gsi1sk": f"{index_time(aggregate.held_until)}#{aggregate.reservation_id}"}
        elif isinstance(aggregate, BeneficiaryRecord):
            item = {"pk": f"BENEFICIARY#{aggregate.partner_id}#{aggregate.beneficiary_ref}", "sk": "BENEFICIARY",
                    **body}
        elif isinstance(aggregate, ReferralPartner):
            item = {"pk": f"PARTNER#{aggregate.partner_id}", "sk": "PARTNER", **body}
        else:
            raise TypeError(f"no item for {type(aggregate).__name__}")
        return item

    @staticmethod
    def _label(aggregate: Aggregate) -> str:
        if isinstance(aggregate, Referral):
            return f"referral {aggregate.referral_id}"
        if isinstance(aggregate, AvailableDevice):
            return f"device {aggregate.device_id}"
        if isinstance(aggregate, Reservation):
            return f"reservation {aggregate.reservation_id}"
        if isinstance(aggregate, BeneficiaryRecord):
            return "the beneficiary's record"  # never the pseudonym: messages may be logged
        return f"partner {aggregate.partner_id}"

    def commit(self, *, create: tuple[Aggregate, ...] = (), save: tuple[Aggregate, ...] = (),
               publish: tuple[EventEnvelope, ...] = (), delete: tuple[Aggregate, ...] = (),
               unit_of_work: UnitOfWork | None = None) -> None:
        """One transaction: new aggregates (must not exist), changed ones and deleted ones (each only if
        unchanged since read, `version`), and the events announcing the change. ConcurrencyConflict otherwise."""
        work = unit_of_work or self.unit_of_work()
        for aggregate in delete:
            item = self.item(aggregate)
            work.delete({"pk": item["pk"], "sk": item["sk"]}, read_version=aggregate.version,
                        conflict_message=f"{self._label(aggregate)} changed meanwhile")
        for aggregate in create:
            work.create(self.item(aggregate), f"{self._label(aggregate)} already exists")
        for aggregate in save:
            if aggregate.version == 0:
                work.create(self.item(aggregate), f"{self._label(aggregate)} was created meanwhile")
            else:
                work.save(self.item(aggregate), read_version=aggregate.version,
                          conflict_message=f"{self._label(aggregate)} changed meanwhile")
        for event in publish:
            work.publish(event)
        work.commit()

    # --- partners and policies --------------------------------------------------------------------

    def get_partner(self, partner_id: str) -> ReferralPartner | None:
        item = self.reader.get(f"PARTNER#{partner_id}", "PARTNER")
        return ReferralPartner.model_validate(item) if item else None

    def policy(self, kind: str) -> StoredPolicy:
        model, default = POLICIES[kind]
        item = self.reader.get(f"POLICY#{kind}", "POLICY")
        if item is None:
            return StoredPolicy(default, 0)
        return StoredPolicy(model.model_validate(item["policy"]), int(item["version"]), item.get("changed_by"),
                            item.get("changed_at"))

    def eligibility_rules(self) -> EligibilityRules:
        return self.policy("eligibility").policy

    def matching_policy(self) -> MatchingPolicy:
        return self.policy("matching").policy

    def save_policy(self, kind: str, policy: BaseModel, read_version: int, changed_by: str, at: datetime) -> int:
        work = self.unit_of_work()
        item = {"pk": f"POLICY#{kind}", "sk": "POLICY", "policy": policy.model_dump(mode="json"),
                "changed_by": changed_by, "changed_at": at.isoformat()}
        if read_version == 0:
            work.create(item, f"the {kind} policy changed meanwhile")
        else:
            work.save(item, read_version=read_version, conflict_message=f"the {kind} policy changed meanwhile")
        work.commit()
        return read_version + 1

    # --- referrals and beneficiaries --------------------------------------------------------------

    def get_referral(self, referral_id: str) -> Referral | None:
        item = self.reader.get(f"REFERRAL#{referral_id}", "REFERRAL")
        return Referral.model_validate(item) if item else None

    def waiting_referrals(self) -> list[Referral]:
        """Every waiting referral, in fairness-index order (all pages)."""
        return [Referral.model_validate(i) for i in self.reader.query(WAITING, index="gsi1")]

    def waiting_in_line(self) -> Iterator[WaitingReferral]:
        """What matching reads of every waiting referral, in fairness order, a page at a time."""
        for page in self.reader.query_pages(WAITING, index="gsi1"):
            yield from map(_waiting_entry, page)

    def referral_changes(self, since: datetime) -> Iterator[ReferralChange]:
        """Each referral written since `since` (the writers' clocks), oldest write first."""
        for page in self.reader.query_pages(REFERRAL_CHANGES, index=CHANGES_INDEX, sk_after=index_time(since)):
            for item in page:
                yield ReferralChange(item["gsi3sk"], item["referral_id"], item)

    def referrals_of_partner(self, partner_id: str, status: ReferralStatus | None = None, *,
                             cursor: str | None = None, limit: int) -> Page:
        """A page of a partner's referrals, newest first, of one status or all.

        The status is a filter on the partner's list (not a key): a page of a rare status may
        read many of the partner's other referrals, never another partner's."""
        where = KeyRange("gsi2pk", partner_referrals(partner_id), "gsi2sk", "REFERRAL#", ("gsi2pk", "gsi2sk", "pk", "sk"),
                         PARTNER_REFERRALS_INDEX)
        keep = (lambda item: item["status"] == status.value) if status else None
        page = query_page(self.reader.client, self.table_name, where, cursor=cursor, limit=limit, forward=False,
                          keep=keep)
        items = self.reader.get_many([(entry["pk"], entry["sk"]) for entry in page.items], consistent=False)
        # The index follows the table a moment later: a referral whose status moved meanwhile is left out.
        return Page([Referral.model_validate(i) for i in items if keep is None or keep(i)], page.next_cursor, page.total)

    def beneficiary(self, partner_id: str, beneficiary_ref: str) -> BeneficiaryRecord:
        item = self.reader.get(f"BENEFICIARY#{partner_id}#{beneficiary_ref}", "BENEFICIARY")
        if item is None:
            return BeneficiaryRecord(partner_id=partner_id, beneficiary_ref=beneficiary_ref)
        return BeneficiaryRecord.model_validate(item)

    def referrals(self, referral_ids: tuple[str, ...]) -> list[Referral]:
        return [r for r in (self.get_referral(i) for i in referral_ids) if r is not None]

    def known_beneficiary(self, partner_id: str, beneficiary_ref: str) -> BeneficiaryRecord | None:
        """The beneficiary's record if this partner has referred them (and they are not forgotten)."""
        record = self.beneficiary(partner_id, beneficiary_ref)
        return record if record.version else None

    def referrals_closed_by(self, cutoff: datetime, limit: int) -> list[str]:
        """Ids of closed referrals not forgotten yet, closed by `cutoff`, the oldest first."""
        items = self.reader.query(RETAINED, index="gsi1", sk_between=("0", f"{index_time(cutoff)}#~"), limit=limit)
        return [i["referral_id"] for i in items]

    # --- devices ----------------------------------------------------------------------------------

    def add_device(self, device: AvailableDevice, window_ends_at: datetime | None) -> bool:
        """False if the device is already known (a redelivered or re-published DeviceReady).

        A device kept for its territory gets a marker in `DEVICES#window-ends`: the schedule
        matches it again when its window ends."""
        work = self.unit_of_work()
        work.create(self.item(device), f"device {device.device_id} already known")
        if window_ends_at is not None:
            work.put({"pk": f"DEVICE#{device.device_id}", "sk": "WINDOW", "ends_at": window_ends_at.isoformat(),
                      "gsi1pk": WINDOW_ENDS, "gsi1sk": f"{index_time(window_ends_at)}#{device.device_id}"})
        try:
            work.commit()
            return True
        except ConcurrencyConflict:
            return False

    def get_device(self, device_id: str) -> AvailableDevice | None:
        item = self.reader.get(f"DEVICE#{device_id}", "DEVICE")
        return AvailableDevice.model_validate(item) if item else None

    def available_devices(self) -> list[AvailableDevice]:
        """Every device in the pool, ready longest first (all pages)."""
        return [AvailableDevice.model_validate(i) for i in self.reader.query(AVAILABLE, index="gsi1")]

    def windows_ended(self, now: datetime, limit: int) -> list[str]:
        """Devices whose territory window ended by `now` and that were not matched again since."""
        items = self.reader.query(WINDOW_ENDS, index="gsi1", sk_between=("0", f"{index_time(now)}#~"), limit=limit)
        return [i["pk"].removeprefix("DEVICE#") for i in items]

    def window_done(self, device_id: str, at: datetime) -> None:
        """The device was matched again after its window: its marker leaves the index."""
        work = self.unit_of_work()
        work.put({"pk": f"DEVICE#{device_id}", "sk": "WINDOW", "rematched_at": at.isoformat()})
        work.commit()

    # --- reservations -----------------------------------------------------------------------------

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        item = self.reader.get(f"RESERVATION#{reservation_id}", "RESERVATION")
        return Reservation.model_validate(unpack(item)) if item else None

    def reservations(self, reservation_ids: list[str]) -> dict[str, Reservation]:
        """Several reservations by id (those that exist)."""
        items = self.reader.get_many([(f"RESERVATION#{i}", "RESERVATION") for i in reservation_ids])
        return {reservation.reservation_id: reservation for reservation in (Reservation.model_validate(unpack(i)) for i in items)}

    @staticmethod
    def reservation_link(reservation: Reservation) -> dict[str, Any]:
        """Written with the reservation: the referral's partition lists every reservation made for it."""
        return {"pk": f"REFERRAL#{reservation.referral_id}", "sk": f"RESERVATION#{reservation.reservation_id}",
                "device_id": reservation.device_id}

    def reservations_of(self, referral_id: str) -> list[Reservation]:
        links = self.reader.query(f"REFERRAL#{referral_id}", "RESERVATION#")
        found = (self.get_reservation(link["sk"].removeprefix("RESERVATION#")) for link in links)
        return [r for r in found if r is not None]

    def due_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        """Active reservations whose hold ended by `now`, the oldest deadline first."""
        items = self.reader.query(ACTIVE_RESERVATIONS, index="gsi1", sk_between=("0", f"{index_time(now)}#~"),
                                  limit=limit)
        return [Reservation.model_validate(unpack(i)) for i in items]
