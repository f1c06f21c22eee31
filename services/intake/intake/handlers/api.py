"""Intake's partner endpoints, under /intake."""

from __future__ import annotations

from typing import Any

from shared.errors import NotFound
from shared.events.intake import DeviceReceived
from shared.events.vocabulary import Provenance
from shared.http import ServiceApi, json_response
from shared.observability import entry_point, logger
from shared.partners import Role

from intake.adapters.repository import IntakeRepository
from intake.domain.devices import DeviceDeclaration, Lot, LotDeclaration, natural_key, new_id, new_label_code, now

app = ServiceApi("intake")
_repository: IntakeRepository | None = None


def repository() -> IntakeRepository:
    global _repository
    if _repository is None:
        _repository = IntakeRepository()
    return _repository


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "intake", "status": "ok"}


@app.post("/lots")
@app.replayable
def declare_lot(declaration: LotDeclaration):
    donor = app.partner(Role.DONOR)
    lot = Lot(
        lot_id=new_id(),
        donor_id=donor.partner_id,
        provenance=Provenance(donor_type=declaration.donor_type, territory=declaration.territory),
        expected_count=declaration.expected_count,
        pickup_site=declaration.pickup_site,
        pickup_date=declaration.pickup_date,
        declared_at=now(),
    )
    repository().add_lot(lot)
    return json_response(201, lot.model_dump(mode="json"))


@app.get("/lots/<lot_id>")
def get_lot(lot_id: str) -> dict[str, Any]:
    partner = app.partner(Role.DONOR, Role.WAREHOUSE)
    lot = repository().get_lot(lot_id)
    if lot is None or (partner.role is Role.DONOR and lot.donor_id != partner.partner_id):
        raise NotFound(f"no lot {lot_id}")  # a donor sees its own lots only
    devices = repository().devices_of_lot(lot_id)
    return {**lot.model_dump(mode="json"), "devices": [_public_device(d) for d in devices]}


@app.post("/lots/<lot_id>/devices")
@app.replayable
def receive_device(lot_id: str, declaration: DeviceDeclaration):
    app.partner(Role.WAREHOUSE)
    lot = repository().get_lot(lot_id)
    if lot is None:
        raise NotFound(f"no lot {lot_id}")
    device_id, received_at = new_id(), now()
    device = {
        "device_id": device_id,
        "lot_id": lot_id,
        "donor_id": lot.donor_id,
        "label_code": new_label_code(),
        "received_at": received_at.isoformat(),
        "status": "received",
        **declaration.model_dump(mode="json"),
    }
    event = DeviceReceived(
        device_id=device_id,
        lot_id=lot_id,
        donor_id=lot.donor_id,
        provenance=lot.provenance,
        label_code=device["label_code"],
        serial_number=declaration.serial_number,
        make=declaration.make,
        model=declaration.model,
        device_type=declaration.device_type,
        asset_tag=declaration.asset_tag,
        specs=declaration.specs,
        visible_condition=declaration.visible_condition,
    ).to_envelope(occurred_at=received_at, correlation_id=app.correlation_id())
    repository().register_device(device, natural_key(declaration.make, declaration.serial_number), event)
    logger.info("device received", extra={"device_id": device_id, "lot_id": lot_id})
    return json_response(201, _public_device(device))


@app.get("/devices/<device_id>")
def get_device(device_id: str) -> dict[str, Any]:
    app.partner(Role.DONOR, Role.WAREHOUSE, Role.WORKSHOP)
    device = repository().get_device(device_id)
    if device is None:
        raise NotFound(f"no device {device_id}")
    return _public_device(device)


@app.get("/devices/<device_id>/timeline")
def get_timeline(device_id: str) -> dict[str, Any]:
    app.partner(Role.DONOR, Role.WAREHOUSE, Role.WORKSHOP, Role.POINT_OF_SALE, Role.REFERRER)
    lines = repository().timeline(device_id)
    if not lines:
        raise NotFound(f"no timeline for device {device_id}")
    lines.sort(key=lambda line: (line["occurred_at"], line["event_id"]))
    return {
        "device_id": device_id,
        "steps": [
            {k: line[k] for k in ("occurred_at", "event_type", "source", "event_id", "correlation_id", "payload")}
            for line in lines
        ],
    }


def _public_device(device: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in device.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk", "version")}


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
