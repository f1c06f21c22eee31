"""Who may be referred: the rules are data (`EligibilityRules`), checked before a referral is taken.

The partner checks the person's eligibility proof and gives only its reference; this
service checks what it can know by itself:

- `target_category`: the category is one of the target audiences;
- `one_device_per_period`: the beneficiary received no device within the period
  (counted from the day the previous referral was fulfilled);
- `one_open_referral`: the beneficiary has no referral still waiting or reserved, which
  would otherwise give them a second device.

A beneficiary is known only as (partner_id, beneficiary_ref): the same person referred by
two different partners cannot be recognised, by design of pseudonymity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.vocabulary import BeneficiaryCategory

from allocation.domain.referrals import OPEN_STATUSES, Referral, ReferralRequest, ReferralStatus


class EligibilityRules(BaseModel):
    """Editable by an administrator; stored as JSON. The defaults are the programme's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_categories: tuple[BeneficiaryCategory, ...] = Field(
        default=tuple(BeneficiaryCategory), min_length=1,
        description="The audiences the programme serves; a referral in another category is refused")
    one_device_per_days: int = Field(
        default=3 * 365, ge=0,
        description="After a fulfilled referral, the same beneficiary may not be referred again for this many "
                    "days (0: no limit). Three years: the extra life expected of a refurbished laptop")
    one_open_referral: bool = Field(
        default=True, description="Refuse a referral while the beneficiary has one waiting or reserved")


DEFAULT_ELIGIBILITY_RULES = EligibilityRules()


def check_eligibility(request: ReferralRequest, rules: EligibilityRules, history: Iterable[Referral],
                      now: datetime) -> list[str]:
    """Reasons to refuse the referral, each starting with the rule's name; empty if eligible.

    `history` is every earlier referral of the same (partner_id, beneficiary_ref), whatever
    its status. The reasons never quote the pseudonym (they may be logged).
    """
    reasons: list[str] = []
    if request.category not in rules.target_categories:
        targets = ", ".join(rules.target_categories)
        reasons.append(f"target_category: {request.category} is not one of the programme's audiences ({targets})")
    history = list(history)
    for previous in history:
        if previous.beneficiary_ref != request.beneficiary_ref:
            raise ValueError(f"referral {previous.referral_id} is another beneficiary's history")
    if rules.one_device_per_days:
        period = timedelta(days=rules.one_device_per_days)
        fulfilled = [p.fulfilled_at or p.created_at for p in history if p.status is ReferralStatus.FULFILLED]
        recent = [at for at in fulfilled if now - at < period]
        if recent:
            last = max(recent)
            reasons.append(f"one_device_per_period: this beneficiary received a device on {last.date()}; "
                           f"one device per {rules.one_device_per_days} days, next referral possible "
                           f"from {(last + period).date()}")
    if rules.one_open_referral:
        open_ones = sorted((p for p in history if p.status in OPEN_STATUSES), key=lambda p: p.created_at)
        if open_ones:
            first = open_ones[0]
            reasons.append(f"one_open_referral: this beneficiary already has referral {first.referral_id} "
                           f"({first.status})")
    return reasons


def ensure_eligible(request: ReferralRequest, rules: EligibilityRules, history: Iterable[Referral],
                    now: datetime) -> None:
    """`check_eligibility`, raising RuleViolation (HTTP 409) with every reason."""
    reasons = check_eligibility(request, rules, history, now)
    if reasons:
        raise RuleViolation("referral refused: " + "; ".join(reasons))


class BeneficiaryRecord(BaseModel):
    """What allocation keeps of one beneficiary, (partner_id, beneficiary_ref): every referral made for them.

    It is the beneficiary's history for `check_eligibility` (the referrals themselves say
    which are open or fulfilled), and the guard that makes eligibility hold under concurrent
    requests: a new referral is written in the same transaction as this record, conditional
    on the version read, so two simultaneous referrals of the same person cannot both pass.
    """

    partner_id: str
    beneficiary_ref: str
    referral_ids: tuple[str, ...] = ()
    version: int = 0

    def with_referral(self, referral_id: str) -> BeneficiaryRecord:
        return self.model_copy(update={"referral_ids": (*self.referral_ids, referral_id)})

    def without_referral(self, referral_id: str) -> BeneficiaryRecord:
        """Once a referral is forgotten it is no longer this beneficiary's history."""
        return self.model_copy(update={"referral_ids": tuple(i for i in self.referral_ids if i != referral_id)})
