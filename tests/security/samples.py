"""A valid request for every route of the four services and the keys and operations APIs, on the fixture objects
(world.py).

The path is the route's own, its parameters filled with the fixture's ids (`PARAMETERS`, or the
sample's `ids`), so a sample cannot call another route by mistake. The table's order is the
order the write routes run in: each one finds the objects in the state its valid request needs
(a sale is handed over before a warranty claim; a work order goes through its steps, and is
scrapped before `ready` so that no device of territory 35 is left in allocation's pool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from shared import clock
from shared.partners import Role
from tests.security.world import SPARE_KEY, SPARE_PERSON, WORKSHOP, World, declaration_file, in_a_week, today

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
Body = dict[str, Any] | Callable[[World], Any] | None


@dataclass(frozen=True)
class Sample:
    target: str | None = None
    """The fixture object the request names (World.objects()); None: no object, or the caller's own."""
    ids: dict[str, str] = field(default_factory=dict)
    """Path parameter → the World attribute that fills it, where it is not the one of PARAMETERS."""
    query: dict[str, str] = field(default_factory=dict)
    body: Body = None
    file: Callable[[World], bytes] | None = None
    """A raw file as the body (an inventory upload) instead of JSON."""
    own_scope: frozenset[Role] = frozenset()
    """Roles for which the route answers about the caller's own objects, whatever the request names."""
    observe: str | None = None
    """Write routes: a route (GET, as the administrator) showing what the write would change; its answer
    must be the same after the denied callers' attempts as before. None: the service has no such read."""
    volatile: frozenset[str] = frozenset()
    """Fields of the observed answer that other parts of the system change meanwhile (left out)."""
    consumes: bool = False
    """A successful write uses the object up (a reservation becomes a sale): a later allowed caller of the
    same route may then find it gone (404)."""


# Path parameter → the World attribute (or the fixed partner id) that fills it by default.
PARAMETERS: dict[str, str | Callable[[World], Any]] = {
    "donor_id": lambda w: "donor-departement-35",
    "lot_id": "lot_id",
    "import_id": "import_id",
    "device_id": "sold_device",
    "label_code": "label_code",
    "workshop_id": lambda w: WORKSHOP,
    "version": "grading_rules_version",
    "partner_id": lambda w: "social-services-35",
    "referral_id": "sold_referral",
    "reservation_id": "sold_reservation",
    "sale_id": "sale_id",
    "key_id": "spare_key_id",
    "username": "spare_person",
    "beneficiary_ref": "sold_beneficiary_ref",
    "queue": lambda w: "sales",
}

DRIVE = "NV-MATRIX"
DIAGNOSIS = {
    "cpu_score": 6100, "battery_health_pct": 84, "keyboard_layout": "fr-azerty",
    "screen": "works", "keyboard": "works", "trackpad": "works", "webcam": "works", "audio": "works",
    "ports": "works", "charger": "works",
    "drives": [{"serial_number": DRIVE, "kind": "nvme", "size_gb": 256, "smart_status": "passed"}],
}
ERASURE = {"drives": [{"drive_serial": DRIVE, "level": "purge", "technique": "nvme_sanitize", "tool": "nvme-cli 2.8",
                       "operator": "tech-07", "passed": True, "completed_at": "2026-11-20T09:30:00Z"}]}
NEW_DEVICE = {"make": "Lenovo", "model": "ThinkPad T480", "device_type": "laptop",
              "specs": {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}}
IN_REFURBISHMENT = {"device_id": "device_in_refurbishment"}
WORK_ORDER_OF_REFURBISHMENT = "/refurb/work-orders/{device_in_refurbishment}"


def _step(body: Body = None) -> Sample:
    return Sample("work order", ids=IN_REFURBISHMENT, body=body, observe=WORK_ORDER_OF_REFURBISHMENT)


def _on_the_sale(body: Body) -> Sample:
    return Sample("sale", body=body, observe="/sales/sales/{sale_id}")


# (service, "METHOD /path as in its OpenAPI document") → the sample request
SAMPLES: dict[tuple[str, str], Sample] = {
    # ── intake ──
    ("intake", "GET /openapi.json"): Sample(),
    ("intake", "GET /health"): Sample(),
    ("intake", "GET /passport/{label_code}"): Sample("device"),
    ("intake", "GET /donors/{donor_id}"): Sample("donor"),
    ("intake", "GET /donors/{donor_id}/documents/impact-report"): Sample("donor"),
    ("intake", "GET /lots"): Sample("donor", query={"donor_id": "donor-departement-35"},
                                    own_scope=frozenset({Role.DONOR})),
    ("intake", "GET /lots/{lot_id}"): Sample("lot"),
    ("intake", "GET /lots/{lot_id}/devices"): Sample("lot"),
    ("intake", "GET /lots/{lot_id}/documents/donation-certificate"): Sample("lot"),
    ("intake", "GET /lots/{lot_id}/documents/impact-report"): Sample("lot"),
    ("intake", "GET /lots/{lot_id}/documents/labels"): Sample("lot"),
    ("intake", "GET /imports/{import_id}"): Sample("import lot"),
    ("intake", "GET /devices/{device_id}"): Sample("device"),
    ("intake", "GET /devices/{device_id}/timeline"): Sample("device"),
    ("intake", "GET /devices/{device_id}/documents/erasure-certificate"): Sample("device"),
    ("intake", "POST /donors"): Sample(body=lambda w: {
        "donor_id": "donor-departement-35", "name": "Département d'Ille-et-Vilaine", "donor_type": "public_body",
        "territory": "35", "legal_basis": {"convention_ref": "CD35-2026-014", "signed_on": "2026-03-12"}},
        observe="/intake/donors/donor-departement-35"),
    ("intake", "POST /lots"): Sample(body={"expected_count": 2, "pickup_site": "Matrice, lot de plus"},
                                     observe="/intake/lots?donor_id=donor-departement-35"),
    ("intake", "POST /lots/{lot_id}/devices"): Sample(
        "lot", body=lambda w: {**NEW_DEVICE, "serial_number": f"{w.serials[0]}R"},
        observe="/intake/lots/{lot_id}/devices"),
    ("intake", "POST /lots/{lot_id}/rejections"): Sample(
        "lot", body=lambda w: {**NEW_DEVICE, "serial_number": f"{w.serials[0]}X", "reason": "physical_damage"},
        observe="/intake/lots/{lot_id}/devices"),
    ("intake", "POST /lots/{lot_id}/status"): Sample("lot", body={"status": "collected"}, observe="/intake/lots/{lot_id}"),
    ("intake", "POST /lots/{lot_id}/imports"): Sample(
        "import lot", ids={"lot_id": "import_lot_id"}, file=lambda w: declaration_file([f"{w.serials[0]}I"]),
        observe="/intake/lots/{import_lot_id}/devices"),
    ("intake", "POST /devices/{device_id}/reception"): Sample(
        "declared device", ids={"device_id": "declared_to_receive"},
        body={"specs": {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}},
        observe="/intake/devices/{declared_to_receive}"),
    ("intake", "POST /devices/{device_id}/rejection"): Sample(
        "declared device", ids={"device_id": "declared_to_reject"}, body={"reason": "liquid_damage", "note": "traces d'oxydation sous le clavier"},
        observe="/intake/devices/{declared_to_reject}"),
    # ── refurb ──
    ("refurb", "GET /openapi.json"): Sample(),
    ("refurb", "GET /health"): Sample(),
    ("refurb", "GET /workshops"): Sample("workshop"),
    ("refurb", "GET /workshops/{workshop_id}"): Sample("workshop"),
    ("refurb", "GET /workshops/{workshop_id}/queue"): Sample("workshop"),
    ("refurb", "GET /workshops/{workshop_id}/figures"): Sample("workshop"),
    ("refurb", "GET /unassigned-work-orders"): Sample("work order"),
    ("refurb", "GET /work-orders/{device_id}"): Sample("work order"),
    ("refurb", "GET /work-orders/{device_id}/certificate"): Sample("work order"),
    ("refurb", "GET /grading-rules"): Sample(),
    ("refurb", "GET /grading-rules/{version}"): Sample(),
    ("refurb", "PUT /workshops/{workshop_id}"): Sample(
        "workshop", body={"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000},
        observe=f"/refurb/workshops/{WORKSHOP}", volatile=frozenset({"free"})),
    ("refurb", "PUT /grading-rules"): Sample(body=lambda w: w.grading_rules, observe="/refurb/grading-rules"),
    ("refurb", "POST /work-orders/{device_id}/assignment"): Sample(
        "work order", ids=IN_REFURBISHMENT, body={"workshop_id": WORKSHOP}, observe=WORK_ORDER_OF_REFURBISHMENT),
    ("refurb", "POST /work-orders/{device_id}/diagnosis"): _step(DIAGNOSIS),
    ("refurb", "POST /work-orders/{device_id}/erasure"): _step(ERASURE),
    ("refurb", "POST /work-orders/{device_id}/repair"): _step({"parts": []}),
    ("refurb", "POST /work-orders/{device_id}/installation"): _step({"os_name": "Linux Mint", "os_version": "22"}),
    ("refurb", "POST /work-orders/{device_id}/grade"): _step(),
    ("refurb", "POST /work-orders/{device_id}/scrap"): _step({"reason": "motherboard_failure",
                                                              "recycling_channel": "ecosystem"}),
    ("refurb", "POST /work-orders/{device_id}/ready"): _step(),
    # ── allocation ──
    ("allocation", "GET /openapi.json"): Sample(),
    ("allocation", "GET /health"): Sample(),
    ("allocation", "GET /partners/{partner_id}"): Sample("referral partner"),
    ("allocation", "GET /referrals"): Sample("referral partner", query={"partner_id": "social-services-35"},
                                             own_scope=frozenset({Role.REFERRER})),
    ("allocation", "GET /referrals/{referral_id}"): Sample("referral"),
    ("allocation", "GET /reservations/{reservation_id}"): Sample("reservation"),
    ("allocation", "GET /devices/{device_id}"): Sample("device"),
    ("allocation", "GET /policies/eligibility"): Sample(),
    ("allocation", "GET /policies/matching"): Sample(),
    ("allocation", "PUT /partners/{partner_id}"): Sample(
        "referral partner", body={"name": "Services sociaux du Département", "kind": "social_services",
                                  "territory": "35"},
        observe="/allocation/partners/social-services-35"),
    # allocation has no list of referrals to observe: a denied referral is proven by its answer only
    ("allocation", "POST /referrals"): Sample(body={"beneficiary_ref": "MX-matrix-referral", "category": "student",
                                                    "eligibility_proof_ref": "attestation-2026-12"}),
    ("allocation", "POST /referrals/{referral_id}/cancellation"): Sample(
        "referral", ids={"referral_id": "waiting_referral"}, body={"reason": "la personne a déménagé"},
        observe="/allocation/referrals/{waiting_referral}"),
    ("allocation", "POST /reservations/{reservation_id}/release"): Sample(
        "reservation", body={"reason": "le clavier ne convient pas"}, observe="/allocation/reservations/{sold_reservation}"),
    ("allocation", "PUT /policies/eligibility"): Sample(body=lambda w: w.eligibility_rules,
                                                        observe="/allocation/policies/eligibility"),
    ("allocation", "PUT /policies/matching"): Sample(body=lambda w: w.matching_policy,
                                                     observe="/allocation/policies/matching"),
    # the person the sold device went to asks to be forgotten: last of allocation's writes (the referral
    # then holds no reference); administrators name the partner, and find nothing once it is done
    ("allocation", "DELETE /beneficiaries/{beneficiary_ref}"): Sample(
        "beneficiary", query={"partner_id": "social-services-35"}, observe="/allocation/referrals/{sold_referral}",
        consumes=True),
    # ── sales ──
    ("sales", "GET /openapi.json"): Sample(),
    ("sales", "GET /health"): Sample(),
    ("sales", "GET /price-grid"): Sample(),
    ("sales", "GET /quotes/{device_id}"): Sample("sellable reservation", ids={"device_id": "reserved_device"}),
    ("sales", "GET /quotes/by-label/{label_code}"): Sample("sellable reservation",
                                                           ids={"label_code": "reserved_label_code"}),
    ("sales", "GET /sales"): Sample("sale", query={"point_of_sale_id": "pos-rennes-centre"},
                                    own_scope=frozenset({Role.POINT_OF_SALE})),
    ("sales", "GET /sales/{sale_id}"): Sample("sale"),
    ("sales", "GET /sales/{sale_id}/receipt"): Sample("sale"),
    ("sales", "GET /figures"): Sample(query={"since": (clock.today() - timedelta(days=30)).isoformat()}),
    ("sales", "PUT /price-grid"): Sample(body=lambda w: w.price_grid, observe="/sales/price-grid"),
    ("sales", "POST /sales"): Sample(
        "sellable reservation",
        body=lambda w: {"device_id": w.reserved_device, "payments": [{"method": "cash", "amount_eur": w.quote_eur}]},
        observe="/sales/quotes/{reserved_device}", consumes=True),
    ("sales", "POST /sales/{sale_id}/accompaniment"): _on_the_sale(
        lambda w: {"social_centre_id": "csc-cleunay", "slot_starts_at": in_a_week()}),
    ("sales", "POST /sales/{sale_id}/accompaniment/outcome"): _on_the_sale({"attended": True}),
    ("sales", "POST /sales/{sale_id}/handover"): _on_the_sale(lambda w: {"handed_over_on": today()}),
    ("sales", "POST /sales/{sale_id}/warranty-claims"): _on_the_sale({"fault_category": "keyboard"}),
    ("sales", "POST /sales/{sale_id}/cancellation"): _on_the_sale(
        lambda w: {"reason": "paiement refusé", "refunds": [{"method": "card", "amount_eur": w.sale_price_eur}]}),
}

PEOPLE_OF_THE_SPARE_PARTNER = f"/access/people?partner_id={SPARE_PERSON['partner_id']}"

SAMPLES |= {
    # ── access (the gateway's partner keys and people's accounts) ──
    ("access", "GET /openapi.json"): Sample(),
    ("access", "GET /keys"): Sample(query={"partner_id": SPARE_KEY["partner_id"]}),
    ("access", "POST /keys"): Sample(body=SPARE_KEY, observe=f"/access/keys?partner_id={SPARE_KEY['partner_id']}"),
    ("access", "DELETE /keys/{key_id}"): Sample(
        "partner key", observe=f"/access/keys?partner_id={SPARE_KEY['partner_id']}"),
    ("access", "GET /people"): Sample(query={"partner_id": SPARE_PERSON["partner_id"]}),
    ("access", "POST /people"): Sample(body={**SPARE_PERSON, "email": SPARE_PERSON["email"].replace("spare", "new")},
                                       observe=PEOPLE_OF_THE_SPARE_PARTNER),
    ("access", "POST /people/{username}/disable"): Sample("person", observe=PEOPLE_OF_THE_SPARE_PARTNER),
    ("access", "POST /people/{username}/enable"): Sample("person", observe=PEOPLE_OF_THE_SPARE_PARTNER),
    ("access", "POST /people/{username}/password-reset"): Sample("person", observe=PEOPLE_OF_THE_SPARE_PARTNER),
    # ── operations (the dead-letter queues) ──
    ("operations", "GET /openapi.json"): Sample(),
    ("operations", "GET /dead-letters"): Sample(query={"queue": "sales", "limit": "5"}),
    ("operations", "POST /dead-letters/{queue}/redrive"): Sample(observe="/operations/dead-letters?queue=sales&limit=0"),
}


def is_write(route: str) -> bool:
    return route.split(" ", 1)[0] in WRITE_METHODS
