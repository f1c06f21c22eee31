"""The objects the authorization matrix calls the routes on, built through the real HTTP API as
the dev partners would, and who owns each of them.

Everything belongs to the partners of territory 35: a donor's lot with three devices (one sold
and handed over later in the matrix, one reserved but unsold for the quote and sale routes, one
in refurbishment for the step routes), a second lot with an import and two declared devices (one
to receive, one to reject), referrals and reservations of the referrer, a sale of the point of
sale. The partners of territory 44 are registered where a route needs them to exist (a donor
declaring its own lot, a referrer referring its own beneficiary), and own nothing of this.

The world shares allocation's pool with the end-to-end tests that ran before it: a device another
test left ready (it stopped half-way) is taken by an extra referral rather than failing the matrix,
and a device of the matrix reserved by a referral someone left waiting is used with that referral
(every referral of territory 35 is the dev referrer's).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from shared import clock
from devtools import thin_path
from devtools.thin_path import Partners
from shared.partners import Role
from tests.localcloud.cloud import LocalCloud, eventually

RUN = uuid.uuid4().hex[:6].upper()
PATIENCE = 60.0  # seconds for an event to cross the bus, a queue and a consumer on two shared cores
WORKSHOP = "workshop-rennes"
DONOR_44 = {"donor_id": "donor-departement-44", "name": "Département de Loire-Atlantique",
            "donor_type": "public_body", "territory": "44",
            "legal_basis": {"convention_ref": "CD44-2026-003", "signed_on": "2026-04-02"}}
REFERRER_44 = {"name": "Services sociaux de Loire-Atlantique", "kind": "social_services", "territory": "44"}
SPECS = {"cpu_model": "i5-8350U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]}


@dataclass(frozen=True)
class Owned:
    """Who an object belongs to, as the test knows it from building the world: its owner for
    each role (a partner id) and its territory."""

    owners: dict[Role, str] = field(default_factory=dict)
    territory: str | None = None


@dataclass
class World:
    lot_id: str
    import_lot_id: str
    sold_device: str
    reserved_device: str
    device_in_refurbishment: str
    declared_to_receive: str
    declared_to_reject: str
    label_code: str
    import_id: str
    sold_referral: str
    sold_beneficiary_ref: str
    """The referrer's pseudonym for the person the sold device went to (the erasure route's object)."""
    reserved_referral: str
    waiting_referral: str
    sold_reservation: str
    reserved_reservation: str
    reserved_label_code: str
    """The label of the device reserved and not sold (a point of sale finds it by it)."""
    sale_id: str
    quote_eur: str
    """The reserved device's price."""
    sale_price_eur: str
    grading_rules_version: int
    grading_rules: dict
    eligibility_rules: dict
    matching_policy: dict
    price_grid: dict
    serials: list[str]
    spare_key_id: str
    """A partner key issued for the matrix to revoke (the dev keys stay untouched)."""
    spare_person: str
    """The username of a person's account made for the matrix to disable, enable and reset (the dev people
    stay untouched)."""
    secrets: set[str]
    """Every id of the fixture objects: no answer to a partner of territory 44 may contain one."""

    def objects(self) -> dict[str, Owned]:
        """The fixture objects by name (the samples' `target`), with who owns them. A warehouse owns
        nothing: it reaches the objects of its territory; so does a point of sale a reservation."""
        donor, workshop, referrer, pos = "donor-departement-35", WORKSHOP, "social-services-35", "pos-rennes-centre"
        return {
            "donor": Owned({Role.DONOR: donor}, "35"),
            "lot": Owned({Role.DONOR: donor}, "35"),
            "import lot": Owned({Role.DONOR: donor}, "35"),
            "device": Owned({Role.DONOR: donor, Role.WORKSHOP: workshop}, "35"),
            "declared device": Owned({Role.DONOR: donor}, "35"),
            "workshop": Owned({Role.WORKSHOP: workshop}),
            "work order": Owned({Role.WORKSHOP: workshop, Role.DONOR: donor}, "35"),
            "referral partner": Owned({Role.REFERRER: referrer}),
            "referral": Owned({Role.REFERRER: referrer}, "35"),
            "reservation": Owned({Role.REFERRER: referrer}, "35"),
            "sellable reservation": Owned({}, "35"),
            "sale": Owned({Role.POINT_OF_SALE: pos}),
            "beneficiary": Owned({Role.REFERRER: referrer}),
            "partner key": Owned({}),  # the administrators' alone
            "person": Owned({}),  # so are people's accounts
        }


def declaration_file(serials: list[str]) -> bytes:
    """A donor's inventory as spreadsheets export it (with the specs a reception needs too)."""
    lines = ["N° de série;Marque;Modèle;Type;RAM;Stockage"]
    lines += [f"{serial};Dell;Latitude 5490;PC portable;8;SSD 256 Go" for serial in serials]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def serial(n: int) -> str:
    """The serial number of the run's n-th device (unique to the run: a serial is registered once)."""
    return f"MX{RUN}{n}"


MAX_REFERRALS = 40  # how many devices another test may have left in the pool before the world gives up


def pool_status(cloud: LocalCloud, device_id: str) -> str | None:
    response = cloud.call("GET", f"/allocation/devices/{device_id}", "admin")
    return response.json()["status"] if response.ok else None


def refer(cloud: LocalCloud, tag: str) -> dict:
    """A referral of the dev referrer, for a beneficiary of its territory (35)."""
    return cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"MX-{RUN}-{tag}", "category": "job_seeker", "eligibility_proof_ref": "attestation-2026-11"})


def reserve(cloud: LocalCloud, devices: set[str]) -> None:
    """Refer beneficiaries of territory 35 until each of `devices` is reserved.

    A referral takes the pool's oldest device it may have: if an earlier test stopped half-way and
    left devices in the pool, the first referrals take those (they stay reserved, out of the way)."""
    for n in range(MAX_REFERRALS):
        if all(pool_status(cloud, d) == "reserved" for d in devices):
            return
        referral = refer(cloud, str(n))
        assert referral["status"] == "reserved", f"a referral waits while {devices} are in the pool: {referral}"
    raise AssertionError(f"{MAX_REFERRALS} referrals did not reach the matrix's devices {devices}")


def holder(cloud: LocalCloud, device_id: str) -> dict:
    """The referral a device is reserved for (its reservation id included)."""
    reservation_id = cloud.expect(200, "GET", f"/allocation/devices/{device_id}", "admin")["reservation_id"]
    referral_id = cloud.expect(200, "GET", f"/allocation/reservations/{reservation_id}", "admin")["referral_id"]
    referral = cloud.expect(200, "GET", f"/allocation/referrals/{referral_id}", "admin")
    assert referral["partner_id"] == "social-services-35" and referral["reservation_id"] == reservation_id, referral
    return referral


def waiting_referral(cloud: LocalCloud) -> dict:
    """A referral of territory 35 left waiting: the first one that finds no device (the ones before
    take what the pool may still hold for any territory)."""
    for n in range(MAX_REFERRALS):
        referral = refer(cloud, f"waiting-{n}")
        if referral["status"] == "waiting":
            return referral
    raise AssertionError(f"{MAX_REFERRALS} referrals of territory 35 all found a device")


# The partner a throwaway key is issued to, for the key routes.
SPARE_KEY = {"partner_id": "pos-matrix", "role": "point_of_sale", "territory": "35", "label": "banc de test"}
# The partner a throwaway person's account is made for, for the people routes (their e-mails carry the run).
SPARE_PERSON = {"email": f"matrix-spare-{RUN.lower()}@example.org", "role": "point_of_sale",
                "partner_id": "pos-matrix", "territory": "35"}


def build(cloud: LocalCloud) -> World:
    thin_path.register_donor(cloud, "35")
    cloud.expect(200, "PUT", f"/refurb/workshops/{WORKSHOP}", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    registered = cloud.call("POST", "/intake/donors", "admin", DONOR_44)
    assert registered.status_code in (200, 201), registered.text
    thin_path.register_referrer(cloud, "35")
    registered = cloud.call("PUT", "/allocation/partners/social-services-44", "admin", REFERRER_44)
    assert registered.status_code in (200, 201), registered.text

    lot_id = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 5, "pickup_site": "Matrice"})[
        "lot_id"]
    import_lot_id = cloud.expect(201, "POST", "/intake/lots", "donor",
                                 {"expected_count": 4, "pickup_site": "Matrice, second lot"})["lot_id"]
    devices = [cloud.expect(201, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", {
        "serial_number": serial(n), "make": "HP", "model": "EliteBook 840 G5", "device_type": "laptop",
        "specs": SPECS}) for n in range(3)]
    first, second, in_refurbishment = (d["device_id"] for d in devices)

    # the donor's file declares two devices in the second lot: the import, and devices to receive or reject
    upload = cloud.http.post(f"{cloud.base_url}/intake/lots/{import_lot_id}/imports",
                             data=declaration_file([serial(3), serial(4)]), timeout=60,
                             headers={"Authorization": "Bearer dev-donor-key",
                                      "Content-Type": "application/octet-stream"})
    assert upload.status_code == 202, upload.text
    import_id = upload.json()["import_id"]

    for device_id in (first, second, in_refurbishment):
        eventually(lambda d=device_id: cloud.call("GET", f"/refurb/work-orders/{d}", "workshop").ok,
                   f"the work order of {device_id} opening in refurb for {WORKSHOP}", timeout=PATIENCE)
    with ThreadPoolExecutor(max_workers=2) as pool:  # one HTTP session per thread
        list(pool.map(lambda d: thin_path.refurbish(Partners(cloud.base_url), d, drive_serial=f"NV-{d[:8]}"),
                      (first, second)))
    for device_id in (first, second):
        eventually(lambda d=device_id: pool_status(cloud, d) in ("available", "reserved"),
                   f"{device_id} in allocation's pool", timeout=PATIENCE)
    reserve(cloud, {first, second})
    sold_device, reserved_device = first, second
    sold_referral, reserved_referral = (holder(cloud, d) for d in (first, second))
    quotes = {device_id: eventually(
        lambda d=device_id: (r := cloud.call("GET", f"/sales/quotes/{d}", "pos")).ok and r.json(),
        f"the reservation of {device_id} reaching sales", timeout=PATIENCE) for device_id in (first, second)}
    sale = cloud.expect(201, "POST", "/sales/sales", "pos", {
        "device_id": sold_device, "payments": [{"method": "card", "amount_eur": quotes[sold_device]["price_eur"]}]})
    waiting = waiting_referral(cloud)

    # what the reads need settled: the sale in allocation, the assignment and the certificate in intake
    eventually(lambda: cloud.call("GET", f"/allocation/referrals/{sold_referral['referral_id']}", "referrer")
               .json().get("status") == "fulfilled", "the sale fulfilling its referral", timeout=PATIENCE)
    for device_id in (sold_device, in_refurbishment):
        eventually(lambda d=device_id: cloud.call("GET", f"/intake/devices/{d}", "workshop").ok,
                   f"intake learning that {WORKSHOP} refurbishes {device_id}", timeout=PATIENCE)
    eventually(lambda: cloud.call("GET", f"/intake/devices/{sold_device}/documents/erasure-certificate",
                                  "donor").ok, "the erasure certificate in intake", timeout=PATIENCE)
    report = eventually(lambda: (r := cloud.expect(200, "GET", f"/intake/imports/{import_id}", "donor"))
                        ["status"] == "done" and r, "the declaration import's end", timeout=PATIENCE)
    assert report["counts"]["registered"] == 2, report
    declared = {d["serial_number"]: d for d in cloud.expect(
        200, "GET", f"/intake/lots/{import_lot_id}/devices", "donor")["items"]}

    rules = cloud.expect(200, "GET", "/refurb/grading-rules", "admin")
    grid = cloud.expect(200, "GET", "/sales/price-grid", "admin")
    sold_device_record = cloud.expect(200, "GET", f"/intake/devices/{sold_device}", "admin")
    world = World(
        lot_id=lot_id, import_lot_id=import_lot_id, sold_device=sold_device, reserved_device=reserved_device,
        device_in_refurbishment=in_refurbishment,
        declared_to_receive=declared[serial(3)]["device_id"], declared_to_reject=declared[serial(4)]["device_id"],
        label_code=sold_device_record["label_code"], import_id=import_id,
        reserved_label_code=cloud.expect(200, "GET", f"/intake/devices/{reserved_device}", "admin")["label_code"],
        sold_referral=sold_referral["referral_id"], sold_beneficiary_ref=sold_referral["beneficiary_ref"],
        reserved_referral=reserved_referral["referral_id"],
        waiting_referral=waiting["referral_id"],
        sold_reservation=sold_referral["reservation_id"], reserved_reservation=reserved_referral["reservation_id"],
        sale_id=sale["sale_id"], quote_eur=quotes[reserved_device]["price_eur"], sale_price_eur=sale["price_eur"],
        grading_rules_version=rules["version"], grading_rules=rules["rules"],
        eligibility_rules=cloud.expect(200, "GET", "/allocation/policies/eligibility", "admin")["policy"],
        matching_policy=cloud.expect(200, "GET", "/allocation/policies/matching", "admin")["policy"],
        price_grid={k: v for k, v in grid.items() if k != "version"},
        serials=[serial(n) for n in range(5)],
        spare_key_id=cloud.expect(201, "POST", "/access/keys", "admin", SPARE_KEY)["key_id"],
        spare_person=cloud.expect(201, "POST", "/access/people", "admin", SPARE_PERSON)["username"],
        secrets=set(),
    )
    world.secrets = {
        lot_id, import_lot_id, sold_device, reserved_device, in_refurbishment, world.declared_to_receive,
        world.declared_to_reject, world.label_code, import_id, world.sold_referral, world.reserved_referral,
        world.sold_beneficiary_ref,
        world.waiting_referral, world.sold_reservation, world.reserved_reservation, world.sale_id,
        sale["receipt_number"], *world.serials,
        *(cloud.expect(200, "GET", f"/intake/devices/{d}", "admin")["label_code"] for d in (reserved_device,
                                                                                           in_refurbishment)),
        # the partners of territory 35 by name: a list or figures that names one of them leaks its objects
        "donor-departement-35", "warehouse-rennes", WORKSHOP, "social-services-35", "pos-rennes-centre",
    }
    return world


def today() -> str:
    return clock.today().isoformat()


def in_a_week() -> str:
    return (clock.today() + timedelta(days=7)).isoformat() + "T14:00:00+01:00"
