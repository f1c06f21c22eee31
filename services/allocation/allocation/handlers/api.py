"""Allocation's partner endpoints (referral partners), under /allocation."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from shared.errors import NotFound
from shared.http import ServiceApi, json_response
from shared.observability import entry_point, logger
from shared.partners import Role

from allocation import reservations
from allocation.adapters.repository import AllocationRepository
from allocation.domain.matching import Referral, ReferralRequest

app = ServiceApi("allocation")
_repository: AllocationRepository | None = None


def repository() -> AllocationRepository:
    global _repository
    if _repository is None:
        _repository = AllocationRepository()
    return _repository


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "allocation", "status": "ok"}


@app.post("/referrals")
@app.replayable
def refer(request: ReferralRequest):
    partner = app.partner(Role.REFERRER)
    referral = Referral(
        referral_id=str(uuid.uuid4()),
        partner_id=partner.partner_id,
        created_at=datetime.now(timezone.utc),
        **request.model_dump(),
    )
    repository().add_referral(referral)
    reservations.match_referral(repository(), referral.referral_id)
    current = repository().get_referral(referral.referral_id)
    return json_response(201, current.model_dump(mode="json"))


@app.get("/referrals/<referral_id>")
def get_referral(referral_id: str) -> dict[str, Any]:
    partner = app.partner(Role.REFERRER)
    referral = repository().get_referral(referral_id)
    if referral is None or (partner.role is Role.REFERRER and referral.partner_id != partner.partner_id):
        raise NotFound(f"no referral {referral_id}")
    body = referral.model_dump(mode="json")
    if referral.reservation_id:
        reservation = repository().get_reservation(referral.reservation_id) or {}
        body["reservation"] = {k: v for k, v in reservation.items() if k not in ("pk", "sk", "version")}
    return body


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
