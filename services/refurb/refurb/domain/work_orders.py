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

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.certificates import canonical_certificate_content, certificate_id, certificate_sha256
from shared.events.refurb import DriveErasure
from shared.events.vocabulary import (
    DeviceSpecs,
    DeviceType,
    Drive,
    DriveKind,
    ErasureLevel,
    FaultCategory,
    FunctionalSummary,
    Provenance,
)

from refurb.domain.grading import GradeOutcome, RuleSet, grade
from refurb.domain.reports import (
    KINDS_OF,
    Diagnosis,
    ErasureMethod,
    ErasureRecord,
    Function,
    FunctionCheck,
    InstallationReport,
    RepairReport,
    ScrapReport,
    erasure_methods,
)


class Step(StrEnum):
    """A refurbishment step, in the order they are recorded."""

    DIAGNOSIS = "diagnosis"
    ERASURE = "erasure"
    REPAIR = "repair"
    INSTALLATION = "installation"
    GRADE = "grade"
    READY = "ready"


class WorkOrderKind(StrEnum):
    """refurbishment: a donated device's first pass; warranty: a sold device brought back."""

    REFURBISHMENT = "refurbishment"
    WARRANTY = "warranty"


class Action(StrEnum):
    """What a workshop can record on a work order: a step, or scrapping it."""

    DIAGNOSIS = "diagnosis"
    ERASURE = "erasure"
    REPAIR = "repair"
    INSTALLATION = "installation"
    GRADE = "grade"
    READY = "ready"
    SCRAP = "scrap"


class StepState(StrEnum):
    DONE = "done"
    DUE = "due"  # the one to record now
    TO_DO = "to_do"  # after the one due
    SKIPPED = "skipped"  # never done: the work order was scrapped first


class StepProgress(BaseModel):
    """One step of the current cycle's route, in order."""

    step: Step = Field(description="The step")
    state: StepState = Field(description="done, due (the one to record now), to_do, or skipped (scrapped before)")
    done_at: datetime | None = Field(default=None, description="When it was recorded")
    done_by: str | None = Field(default=None, description="The partner that recorded it")


class DriveState(StrEnum):
    TO_ERASE = "to_erase"  # no record yet
    FAILED = "failed"  # its latest attempt failed: erase it again or destroy it
    ERASED = "erased"
    DESTROYED = "destroyed"


class DriveToErase(BaseModel):
    """A drive found at diagnosis, where its erasure stands and what may be recorded for it."""

    serial_number: str = Field(description="As recorded at diagnosis; an erasure record names it in drive_serial")
    kind: DriveKind = Field(description="Its kind, which decides the techniques that apply")
    size_gb: int = Field(description="Capacity in GB")
    state: DriveState = Field(description="to_erase, failed (erase again or destroy), erased or destroyed")
    attempts: int = Field(description="Erasure records so far, failed ones included")
    methods: list[ErasureMethod] = Field(description="The techniques that apply to its kind, each with the levels "
                                                     "it can reach (anything else is refused)")


ROUTES: dict[WorkOrderKind, tuple[Step, ...]] = {
    WorkOrderKind.REFURBISHMENT: (Step.DIAGNOSIS, Step.ERASURE, Step.REPAIR, Step.INSTALLATION, Step.GRADE, Step.READY),
    WorkOrderKind.WARRANTY: (Step.REPAIR, Step.READY),
}


class WorkOrderStatus(StrEnum):
    """An open work order awaits a step (awaiting_<step>); a closed one is ready or scrapped."""

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

    certificate_id: str = Field(description="Stable id, derived from the device and the content")
    device_id: str = Field(description="The device erased")
    drives: list[DriveErasure] = Field(description="The passing record of each drive, in diagnosis order")
    sha256: str = Field(description="SHA-256 of the canonical JSON of {device_id, drives}")

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
    cycle: int = Field(description="0: refurbishment; 1, 2…: the warranty return it belongs to")


class GradeRecord(GradeOutcome):
    rule_set_version: int = Field(description="The version of the grading rules used (0: the shipped ones)")
    rule_set_label: str = Field(description="That rule set's label")


class WarrantyClaim(BaseModel):
    claim_id: str = Field(description="The claim's id in sales")
    claim_reference: str = Field(description="The reference the point of sale gave, e.g. pos-1-2026-000001-W1")
    sale_id: str = Field(description="The sale it is about")
    fault_category: FaultCategory = Field(description="What the device does wrong")
    opened_at: datetime = Field(description="When the point of sale opened it")
    cycle: int = Field(description="The warranty cycle that answers it")


class Scrap(ScrapReport):
    at_step: Step = Field(description="The step that was due when the device was scrapped")


class Milestone(BaseModel):
    """One line of the work order's history: a step done, an assignment, an opening."""

    what: str = Field(description="A step's name, or opened, assigned, unassigned, reopened, scrapped")
    at: datetime = Field(description="When")
    by: str | None = Field(default=None, description="The partner that did it (none: the system)")
    cycle: int = Field(default=0, description="0: refurbishment; 1, 2…: a warranty return")


# History lines after which a workshop's clock starts (see `step_durations`).
_CLOCK_STARTS = {"opened", "assigned", "reopened"}
_STEP_NAMES = {step.value for step in Step}


class WorkOrderRecord(BaseModel):
    """What a work order holds, as stored; `WorkOrder` adds the state machine, and the API's view
    what the state machine says about it."""

    device_id: str = Field(description="The device's id in intake")
    label_code: str | None = Field(default=None, description="The code on the device's label, e.g. SV-7K2M-Q9TX "
                                                             "(none on work orders opened before it was kept)")
    device_type: DeviceType = Field(description="What kind of device")
    provenance: Provenance = Field(description="Who gave it, and the département it came from")
    donor_id: str | None = Field(default=None, description="The donor partner")
    serial_number: str | None = Field(default=None, description="The maker's serial number")
    make: str | None = Field(default=None, description="The maker, e.g. HP")
    model: str | None = Field(default=None, description="The model, e.g. EliteBook 840 G5")
    asset_tag: str | None = Field(default=None, description="The donor's inventory tag")
    declared_specs: DeviceSpecs = Field(description="The specs the warehouse declared at reception")
    specs: DeviceSpecs = Field(description="The specs as measured at diagnosis and changed by repairs: "
                                           "grading and DeviceReady use these")
    kind: WorkOrderKind = Field(default=WorkOrderKind.REFURBISHMENT,
                                description="refurbishment, or warranty once a sold device came back")
    cycle: int = Field(default=0, description="0: refurbishment, then one per warranty return")
    status: WorkOrderStatus = Field(default=WorkOrderStatus.AWAITING_DIAGNOSIS,
                                    description="awaiting_<the step due>, then ready or scrapped")
    opened_at: datetime = Field(description="When the device was received and the work order opened")
    closed_at: datetime | None = Field(default=None, description="When it became ready or was scrapped")
    workshop_id: str | None = Field(default=None, description="The workshop it is assigned to (none: unassigned)")
    diagnosis: Diagnosis | None = Field(default=None, description="What the diagnosis step recorded")
    functions: dict[Function, FunctionCheck] = Field(default={}, description="Each function as last tested "
                                                                             "(diagnosis, then repairs)")
    battery_health_pct: int | None = Field(default=None, description="Battery health as last measured, in %")
    erasures: list[DriveErasure] = Field(default=[], description="What the erasure step recorded: every attempt, "
                                                                "failed ones included, in the order recorded")
    certificate: ErasureCertificate | None = Field(default=None, description="Issued once every drive is erased "
                                                                             "or destroyed")
    repairs: list[Repair] = Field(default=[], description="What each repair step recorded (one per cycle)")
    installation: InstallationReport | None = Field(default=None, description="What the installation step recorded")
    grade: GradeRecord | None = Field(default=None, description="What the grade step computed, with the rules "
                                                                "that fired")
    scrap: Scrap | None = Field(default=None, description="Why and how the device was scrapped")
    claims: list[WarrantyClaim] = Field(default=[], description="Warranty claims that brought it back")
    history: list[Milestone] = Field(default=[], description="Every step, assignment and reopening, in order")
    version: int = Field(default=0, description="Changes with every write")


class WorkOrder(WorkOrderRecord):

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

    def allowed_actions(self) -> list[Action]:
        """What may be recorded now: the step due, and scrapping, while the work order is open."""
        if not self.status.is_open:
            return []
        return [Action(self.next_step.value), Action.SCRAP]

    def progress(self) -> list[StepProgress]:
        """The current cycle's steps in order, each done (when, by whom), due, to do or skipped."""
        done = {m.what: m for m in self.history if m.cycle == self.cycle and m.what in _STEP_NAMES}
        lines = []
        for step in ROUTES[self.kind]:
            milestone = done.get(step.value)
            if milestone is not None:
                lines.append(StepProgress(step=step, state=StepState.DONE, done_at=milestone.at, done_by=milestone.by))
            elif self.status is WorkOrderStatus.SCRAPPED:
                lines.append(StepProgress(step=step, state=StepState.SKIPPED))
            else:
                lines.append(StepProgress(step=step, state=StepState.DUE if step is self.next_step else StepState.TO_DO))
        return lines

    def drives_to_erase(self) -> list[DriveToErase]:
        """Each drive found at diagnosis: where its erasure stands and the methods allowed for it."""
        if self.diagnosis is None:
            return []
        final, attempts = self._final_erasures(), {}
        for record in self.erasures:
            attempts[record.drive_serial] = attempts.get(record.drive_serial, 0) + 1
        drives = []
        for drive in self.diagnosis.drives:
            record = final.get(drive.serial_number)
            if record is None:
                state = DriveState.TO_ERASE
            elif not record.passed:
                state = DriveState.FAILED
            else:
                state = DriveState.DESTROYED if record.level is ErasureLevel.DESTROY else DriveState.ERASED
            drives.append(DriveToErase(serial_number=drive.serial_number, kind=drive.kind, size_gb=drive.size_gb,
                                       state=state, attempts=attempts.get(drive.serial_number, 0),
                                       methods=erasure_methods(drive.kind)))
        return drives

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
