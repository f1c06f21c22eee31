"""Allocation's table: its projection of ready devices, referrals and reservations.

Waiting referrals and available devices are listed through a sparse index (`gsi1`):
the index key is removed when they are reserved, so a reserved one cannot be listed.
"""

from __future__ import annotations

import os
from typing import Any

from shared.dynamo import TableReader
from shared.events import EventEnvelope
from shared.outbox import ConcurrencyConflict, UnitOfWork

from allocation.domain.matching import AvailableDevice, DeviceStatus, Referral, ReferralStatus

WAITING = "REFERRALS#waiting"
AVAILABLE = "DEVICES#available"


class AllocationRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.table_name, client=self.client)

    # items
    @staticmethod
    def referral_item(referral: Referral) -> dict[str, Any]:
        item = {"pk": f"REFERRAL#{referral.referral_id}", "sk": "REFERRAL",
                **referral.model_dump(mode="json", exclude={"version"})}
        if referral.status is ReferralStatus.WAITING:
            item |= {"gsi1pk": WAITING, "gsi1sk": f"{referral.created_at.isoformat()}#{referral.referral_id}"}
        return item

    @staticmethod
    def device_item(device: AvailableDevice) -> dict[str, Any]:
        item = {"pk": f"DEVICE#{device.device_id}", "sk": "DEVICE",
                **device.model_dump(mode="json", exclude={"version"})}
        if device.status is DeviceStatus.AVAILABLE:
            item |= {"gsi1pk": AVAILABLE, "gsi1sk": f"{device.ready_at.isoformat()}#{device.device_id}"}
        return item

    # referrals
    def add_referral(self, referral: Referral) -> None:
        work = self.unit_of_work()
        work.create(self.referral_item(referral), f"referral {referral.referral_id} already exists")
        work.commit()

    def get_referral(self, referral_id: str) -> Referral | None:
        item = self.reader.get(f"REFERRAL#{referral_id}", "REFERRAL")
        return Referral.model_validate(item) if item else None

    def waiting_referrals(self, limit: int = 100) -> list[Referral]:
        return [Referral.model_validate(i) for i in self.reader.query(WAITING, index="gsi1", limit=limit)]

    # devices
    def add_device(self, device: AvailableDevice) -> bool:
        """False if the device is already known (a redelivered DeviceReady)."""
        work = self.unit_of_work()
        work.create(self.device_item(device), f"device {device.device_id} already known")
        try:
            work.commit()
            return True
        except ConcurrencyConflict:
            return False

    def get_device(self, device_id: str) -> AvailableDevice | None:
        item = self.reader.get(f"DEVICE#{device_id}", "DEVICE")
        return AvailableDevice.model_validate(item) if item else None

    def available_devices(self, limit: int = 100) -> list[AvailableDevice]:
        return [AvailableDevice.model_validate(i) for i in self.reader.query(AVAILABLE, index="gsi1", limit=limit)]

    # reservations
    def reserve(self, device: AvailableDevice, referral: Referral, reservation: dict[str, Any],
                event: EventEnvelope) -> None:
        """Device and referral change together, each only if unchanged since read: never twice."""
        work = self.unit_of_work()
        work.save(self.device_item(device), read_version=device.version,
                  conflict_message=f"device {device.device_id} was reserved meanwhile")
        work.save(self.referral_item(referral), read_version=referral.version,
                  conflict_message=f"referral {referral.referral_id} changed meanwhile")
        work.create({"pk": f"RESERVATION#{reservation['reservation_id']}", "sk": "RESERVATION", **reservation},
                    "reservation already exists")
        work.publish(event)
        work.commit()

    def get_reservation(self, reservation_id: str) -> dict[str, Any] | None:
        return self.reader.get(f"RESERVATION#{reservation_id}", "RESERVATION")

    def fulfil(self, device: AvailableDevice, referral: Referral, reservation: dict[str, Any]) -> None:
        work = self.unit_of_work()
        work.save(self.device_item(device), read_version=device.version,
                  conflict_message=f"device {device.device_id} changed meanwhile")
        work.save(self.referral_item(referral), read_version=referral.version,
                  conflict_message=f"referral {referral.referral_id} changed meanwhile")
        work.save({"pk": f"RESERVATION#{reservation['reservation_id']}", "sk": "RESERVATION", **reservation},
                  read_version=reservation["version"], conflict_message="reservation changed meanwhile")
        work.commit()
