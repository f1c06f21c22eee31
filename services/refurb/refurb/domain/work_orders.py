"""A device's refurbishment: the steps it must go through, in order, enforced here.

    diagnosis → erasure → repair → installation (OS) → grade → ready        (refurbishment)
    repair → ready                                                          (warranty return)

and scrap at any step. The status of an open work order is the step it awaits
(`awaiting_<step>`). A step out of order is refused naming the step that is missing.

A device never becomes ready without a passed erasure (or physical destruction) of every
drive found at diagnosis and every function tested: that is the donors' first concern and
the legal condition for selling it as refurbished.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.errors import RuleViolation
from shared.events.certificates import canonical_certificate_content, certificate_id, certificate_sha256
from shared.events.refurb import DriveErasure
from shared.events.vocabulary import (
    DeviceSpecs,
    DeviceType,
    Drive,
    ErasureLevel,
    FaultCategory,
    FunctionalSummary,
    Provenance,
)

from refurb.domain.grading import GradeOutcome, RuleSet, grade
from refurb.domain.reports import (
    KINDS_OF,
    Diagnosis,
    ErasureRecord,
    Function,
    FunctionCheck,
    InstallationReport,
    RepairReport,
    ScrapReport,
)


class Step(StrEnum):
    DIAGNOSIS = "diagnosis"
    ERASURE = "erasure"
    REPAIR = "repair"
    INSTALLATION = "installation"
    GRADE = "grade"
    READY = "ready"


class WorkOrderKind(StrEnum):
    REFURBISHMENT = "refurbishment"
    WARRANTY = "warranty"


ROUTES: dict[WorkOrderKind, tuple[Step, ...]] = {
    WorkOrderKind.REFURBISHMENT: (Step.DIAGNOSIS, Step.ERASURE, Step.REPAIR, Step.INSTALLATION, Step.GRADE, Step.READY),
    WorkOrderKind.WARRANTY: (Step.REPAIR, Step.READY),
}


class WorkOrderStatus(StrEnum):
    AWAITING_DIAGNOSIS = "awaiting_diagnosis"
    AWAITING_ERASURE = "awaiting_erasure"
    AWAITING_REPAIR = "awaiting_repair"
    AWAITING_INSTALLATION = "awaiting_installation"
    AWAITING_GRADE = "awaiting_grade"
    AWAITING_READY = "awaiting_ready"
    READY = "ready"
    SCRAPPED = "scrapped"

    @property
    def is_open(self) -> bool:
        return self not in (WorkOrderStatus.READY, WorkOrderStatus.SCRAPPED)

    @property
    def next_step(self) -> Step | None:
        return Step(self.value.removeprefix("awaiting_")) if self.is_open else None


def awaiting(step: Step) -> WorkOrderStatus:
    return WorkOrderStatus(f"awaiting_{step.value}")


class ErasureCertificate(BaseModel):
    """Anyone can check it: sha256 is the SHA-256 of the canonical JSON of {device_id, drives}
    (the form is in shared/events/certificates.py, shared with intake and verifiers)."""

    model_config = ConfigDict(frozen=True)

    certificate_id: str
    device_id: str
    drives: list[DriveErasure]
    sha256: str

    def content(self) -> dict:
        return {"device_id": self.device_id, "drives": [d.model_dump(mode="json") for d in self.drives]}

    def canonical(self) -> bytes:
        return canonical_certificate_content(self.device_id, self.drives)


def issue_certificate(device_id: str, drives: list[DriveErasure]) -> ErasureCertificate:
    """A stable id and the SHA-256 of the canonical content (shared.events.certificates), so
    anyone can verify the document."""
    digest = certificate_sha256(device_id, drives)
    return ErasureCertificate(certificate_id=certificate_id(device_id, digest), device_id=device_id, drives=drives,
                              sha256=digest)


class Repair(RepairReport):
    cycle: int


class GradeRecord(GradeOutcome):
    rule_set_version: int
    rule_set_label: str


class WarrantyClaim(BaseModel):
    claim_id: str
    claim_reference: str
    sale_id: str
    fault_category: FaultCategory
    opened_at: datetime
    cycle: int


class Scrap(ScrapReport):
    at_step: Step


class Milestone(BaseModel):
    """One line of the work order's history: a step done, an assignment, an opening."""

    what: str  # a Step value, or opened / assigned / unassigned / reopened / scrapped
    at: datetime
    by: str | None = None
    cycle: int = 0


# History lines after which a workshop's clock starts (see `step_durations`).
_CLOCK_STARTS = {"opened", "assigned", "reopened"}
_STEP_NAMES = {step.value for step in Step}


class WorkOrder(BaseModel):
    device_id: str
    device_type: DeviceType
    provenance: Provenance
    donor_id: str | None = None
    serial_number: str | None = None
    make: str | None = None
    model: str | None = None
    asset_tag: str | None = None
    declared_specs: DeviceSpecs
    specs: DeviceSpecs  # as measured and repaired; DeviceReady carries it
    kind: WorkOrderKind = WorkOrderKind.REFURBISHMENT
    cycle: int = 0  # 0: refurbishment, then one per warranty return
    status: WorkOrderStatus = WorkOrderStatus.AWAITING_DIAGNOSIS
    opened_at: datetime
    closed_at: datetime | None = None
    workshop_id: str | None = None
    diagnosis: Diagnosis | None = None
    functions: dict[Function, FunctionCheck] = {}
    battery_health_pct: int | None = None
    erasures: list[DriveErasure] = []  # every attempt, failed ones included
    certificate: ErasureCertificate | None = None
    repairs: list[Repair] = []
    installation: InstallationReport | None = None
    grade: GradeRecord | None = None
    scrap: Scrap | None = None
    claims: list[WarrantyClaim] = []
    history: list[Milestone] = []
    version: int = 0

    # --- the state machine -------------------------------------------------------------------

    @property
    def next_step(self) -> Step | None:
        return self.status.next_step

    def _require(self, step: Step) -> None:
        route = ROUTES[self.kind]
        if not self.status.is_open:
            raise RuleViolation(
                f"work order {self.device_id} is {self.status.value}: no {step.value} can be recorded"
                + (" (a warranty claim reopens it)" if self.status is WorkOrderStatus.READY else "")
            )
        due = self.next_step
        if step is due:
            return
        order = " → ".join(s.value for s in route)
        if step not in route:
            raise RuleViolation(f"a {self.kind.value} work order has no {step.value} step ({order})")
        if route.index(step) > route.index(due):
            raise RuleViolation(
                f"cannot record {step.value}: the {due.value} step is missing "
                f"(work order {self.device_id} is {self.status.value}; steps: {order})"
                + self._why_erasure_is_missing(due)
            )
        raise RuleViolation(f"{step.value} is already recorded for work order {self.device_id}; "
                            f"the next step is {due.value}")

    def _advance(self, step: Step, by: str | None, now: datetime) -> None:
        route = ROUTES[self.kind]
        self.history.append(Milestone(what=step.value, at=now, by=by, cycle=self.cycle))
        following = route[route.index(step) + 1] if step is not Step.READY else None
        if following is None:
            self.status, self.closed_at = WorkOrderStatus.READY, now
        else:
            self.status = awaiting(following)

    # --- steps ---------------------------------------------------------------------------------

    def diagnose(self, diagnosis: Diagnosis, by: str, now: datetime) -> None:
        self._require(Step.DIAGNOSIS)
        self.diagnosis = diagnosis
        self.functions = diagnosis.functions()
        self.battery_health_pct = diagnosis.battery_health_pct
        self.specs = self.specs.model_copy(update={
            "cpu_score": diagnosis.cpu_score,
            "ram_gb": diagnosis.ram_gb or self.specs.ram_gb,
            "drives": [d.as_drive() for d in diagnosis.drives],
        })
        self._advance(Step.DIAGNOSIS, by, now)

    def record_erasures(self, records: list[ErasureRecord], by: str, now: datetime) -> ErasureCertificate | None:
        """Record erasure attempts; once every drive is erased or destroyed, issue the certificate.

        A failed attempt is kept (it is part of the drive's story) and the device waits
        until that drive is erased again or destroyed."""
        self._require(Step.ERASURE)
        kinds = {d.serial_number: d.kind for d in self.diagnosis.drives}
        for record in records:
            if record.drive_serial not in kinds:
                raise RuleViolation(f"drive {record.drive_serial} was not found at diagnosis of work order "
                                    f"{self.device_id} (drives: {', '.join(kinds)})")
            allowed = KINDS_OF.get(record.technique)
            if allowed and kinds[record.drive_serial] not in allowed:
                raise RuleViolation(f"drive {record.drive_serial} is {kinds[record.drive_serial].value}: "
                                    f"{record.technique.value} does not apply to it")
        self.erasures = [*self.erasures, *(r.as_contract() for r in records)]
        if self.erasure_pending():
            return None
        final = self._final_erasures()
        self.certificate = issue_certificate(self.device_id, [final[d.serial_number] for d in self.diagnosis.drives])
        self._advance(Step.ERASURE, by, now)
        return self.certificate

    def record_repair(self, report: RepairReport, by: str, now: datetime) -> None:
        self._require(Step.REPAIR)
        destroyed = self._destroyed_serials()
        fitted = report.drives if report.drives is not None else self.specs.drives
        refitted_destroyed = [d.serial_number for d in fitted if d.serial_number in destroyed]
        if refitted_destroyed:
            raise RuleViolation(
                f"drive(s) {', '.join(refitted_destroyed)} were destroyed: "
                "list in drives the ones now fitted in the device (the destroyed ones removed)"
            )
        self.repairs = [*self.repairs, Repair(**report.model_dump(), cycle=self.cycle)]
        self.functions = {**self.functions, **report.retested}
        if report.new_battery_health_pct is not None:
            self.battery_health_pct = report.new_battery_health_pct
        self.specs = self.specs.model_copy(update={
            "ram_gb": report.ram_gb or self.specs.ram_gb,
            "drives": [Drive.model_validate(d.model_dump()) for d in fitted],
        })
        self._advance(Step.REPAIR, by, now)

    def record_installation(self, report: InstallationReport, by: str, now: datetime) -> None:
        self._require(Step.INSTALLATION)
        self.installation = report
        self._advance(Step.INSTALLATION, by, now)

    def record_grade(self, rules: RuleSet, rules_version: int, by: str, now: datetime) -> GradeRecord:
        """The grade comes from the rule set and the measured specs, never from the workshop."""
        self._require(Step.GRADE)
        outcome = grade(rules, self.specs)
        self.grade = GradeRecord(**outcome.model_dump(), rule_set_version=rules_version, rule_set_label=rules.label)
        self._advance(Step.GRADE, by, now)
        return self.grade

    def mark_ready(self, by: str, now: datetime) -> None:
        self._require(Step.READY)
        self._check_releasable()
        self._advance(Step.READY, by, now)

    def scrap_it(self, report: ScrapReport, by: str, now: datetime) -> Scrap:
        if not self.status.is_open:
            raise RuleViolation(f"work order {self.device_id} is {self.status.value}: it cannot be scrapped now")
        self.scrap = Scrap(**report.model_dump(), at_step=self.next_step)
        self.history.append(Milestone(what="scrapped", at=now, by=by, cycle=self.cycle))
        self.status, self.closed_at = WorkOrderStatus.SCRAPPED, now
        return self.scrap

    # --- assignment and warranty returns -------------------------------------------------------

    def assign(self, workshop_id: str | None, now: datetime, by: str | None = None) -> None:
        self.workshop_id = workshop_id
        self.history.append(Milestone(what="assigned" if workshop_id else "unassigned", at=now, by=by,
                                      cycle=self.cycle))

    def reopen_for_warranty(self, claim: WarrantyClaim, now: datetime) -> bool:
        """A device back under warranty: a new repair → ready cycle. False if the claim changes
        nothing (already known, or joined to the cycle already open)."""
        if any(c.claim_id == claim.claim_id for c in self.claims):
            return False
        if self.kind is WorkOrderKind.WARRANTY and self.status.is_open:
            self.claims = [*self.claims, claim.model_copy(update={"cycle": self.cycle})]
            return False  # the repair under way answers this claim too
        if self.status is not WorkOrderStatus.READY:
            raise RuleViolation(f"work order {self.device_id} is {self.status.value}: "
                                "only a device that left refurbishment ready can come back under warranty")
        self.cycle += 1
        self.kind = WorkOrderKind.WARRANTY
        self.claims = [*self.claims, claim.model_copy(update={"cycle": self.cycle})]
        self.status, self.closed_at = WorkOrderStatus.AWAITING_REPAIR, None
        self.history.append(Milestone(what="reopened", at=now, cycle=self.cycle))
        return True

    # --- what the ready event and the figures need ----------------------------------------------

    def functional_summary(self) -> FunctionalSummary:
        return FunctionalSummary(
            battery_health_pct=self.battery_health_pct,
            webcam=self.functions.get(Function.WEBCAM) is FunctionCheck.WORKS,
            keyboard_layout=self.diagnosis.keyboard_layout if self.diagnosis else None,
        )

    def open_claim_ids(self) -> list[str]:
        return [c.claim_id for c in self.claims if c.cycle == self.cycle]

    def current_repair(self) -> Repair | None:
        return next((r for r in reversed(self.repairs) if r.cycle == self.cycle), None)

    def erasure_pending(self) -> list[str]:
        """What stops the erasure step from being complete, drive by drive."""
        if self.diagnosis is None:
            return []
        final = self._final_erasures()
        pending = []
        for drive in self.diagnosis.drives:
            record = final.get(drive.serial_number)
            if record is None:
                pending.append(f"drive {drive.serial_number} has no erasure record")
            elif not record.passed:
                pending.append(f"drive {drive.serial_number} failed its erasure: redo it or destroy the drive")
        return pending

    def step_durations(self) -> dict[str, float]:
        """Seconds each step of the current cycle took, counted from the previous step or from
        the moment the current workshop got the work order."""
        lines = [m for m in self.history if m.cycle == self.cycle]
        starts = [i for i, m in enumerate(lines) if m.what in _CLOCK_STARTS]
        if not starts:
            return {}
        clock, durations = lines[starts[-1]].at, {}
        for line in lines[starts[-1] + 1:]:
            if line.what in _STEP_NAMES:
                durations[line.what] = (line.at - clock).total_seconds()
                clock = line.at
        return durations

    def cost_eur(self) -> Decimal:
        repair = self.current_repair()
        return repair.cost_eur if repair else Decimal("0.00")

    # --- invariants --------------------------------------------------------------------------------

    def _final_erasures(self) -> dict[str, DriveErasure]:
        """The latest record of each drive: it says whether the drive is erased now."""
        return {record.drive_serial: record for record in self.erasures}

    def _destroyed_serials(self) -> set[str]:
        return {s for s, r in self._final_erasures().items() if r.passed and r.level is ErasureLevel.DESTROY}

    def _why_erasure_is_missing(self, due: Step) -> str:
        pending = self.erasure_pending() if due is Step.ERASURE else []
        return ": " + "; ".join(pending) if pending else ""

    def _check_releasable(self) -> None:
        """Checked again at the last step, whatever path led here: the device carries no donor
        data (every drive found erased or destroyed) and every function was tested."""
        if self.diagnosis is None or set(self.functions) != set(Function):
            raise RuleViolation(f"work order {self.device_id}: every function must be tested before ready")
        if self.certificate is None or self.erasure_pending():
            raise RuleViolation(f"work order {self.device_id}: every drive must be erased or destroyed before ready")
        destroyed = self._destroyed_serials()
        still_fitted = [d.serial_number for d in self.specs.drives if d.serial_number in destroyed]
        if still_fitted:
            raise RuleViolation(f"work order {self.device_id}: destroyed drive(s) {', '.join(still_fitted)} "
                                "are still listed as fitted")
        if self.kind is WorkOrderKind.REFURBISHMENT and self.grade is None:
            raise RuleViolation(f"work order {self.device_id}: the grade step is missing")
