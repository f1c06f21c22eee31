"""What allocation's unit tests share: a registered partner, referrals and devices put in place, a clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allocation.adapters.repository import AllocationRepository
from allocation.domain.eligibility import BeneficiaryRecord
from allocation.domain.needs import Needs, Requirements
from allocation.domain.referrals import Referral
from allocation.handlers import api, consumer
from shared.events import EventEnvelope, open_envelope
from shared.events.vocabulary import FunctionalSummary, Provenance
from tests.unit.support import ROLE_PARTNERS, T0, HttpResult, call, deliver, device_ready, outbox_envelopes_in

REFERRER = ROLE_PARTNERS["referrer"]
PARTNER = {"name": "France Travail Rennes Nord", "kind": "employment_service", "territory": "35"}
REFERRAL = {"beneficiary_ref": "FT-8812-XK", "category": "job_seeker", "territory": "35",
            "eligibility_proof_ref": "pole-emploi-attestation-2026-11"}
NO_WEBCAM = FunctionalSummary(battery_health_pct=60, webcam=False, keyboard_layout="fr-azerty")


def register_partner(partner_id: str = REFERRER, **changes: Any) -> HttpResult:
    return call(api.handler, "PUT", f"/allocation/partners/{partner_id}", "admin", PARTNER | changes)


def refer(body: dict | None = None, partner_id: str | None = None, role: str = "referrer") -> HttpResult:
    return call(api.handler, "POST", "/allocation/referrals", role, REFERRAL | (body or {}), partner_id=partner_id)


def get_referral(referral_id: str, partner_id: str | None = None) -> HttpResult:
    return call(api.handler, "GET", f"/allocation/referrals/{referral_id}", "referrer", partner_id=partner_id)


def add_referral(referral_id: str, waited_days: float, *, territory: str = "35", priority: int = 3,
                 now: datetime = T0, partner_id: str = REFERRER, **requirements: Any) -> Referral:
    """A waiting referral put straight in the table (as if referred `waited_days` ago)."""
    referral = Referral(referral_id=referral_id, partner_id=partner_id, beneficiary_ref=f"FT-{referral_id}",
                        category="student", territory=territory, eligibility_proof_ref="proof", priority=priority,
                        needs=Needs(requirements=Requirements(**requirements)),
                        created_at=now - timedelta(days=waited_days))
    record = BeneficiaryRecord(partner_id=partner_id, beneficiary_ref=referral.beneficiary_ref,
                               referral_ids=(referral_id,))
    AllocationRepository().commit(create=(referral, record))
    return referral


def ready(device_id: str, *, donor: str = "public_body", territory: str = "35", at: datetime = T0,
          functional: FunctionalSummary | None = None, **changes: Any) -> EventEnvelope:
    if functional is not None:
        changes["functional"] = functional
    event = device_ready(device_id, provenance=Provenance(donor_type=donor, territory=territory), **changes)
    return event.to_envelope(occurred_at=at)


def make_ready(*envelopes: EventEnvelope) -> None:
    assert deliver(consumer.handler, *envelopes)["batchItemFailures"] == []


def published(dynamodb, event_type: str) -> list:
    return [open_envelope(e) for e in outbox_envelopes_in(dynamodb, event_type)]
