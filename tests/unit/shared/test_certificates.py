"""The erasure certificate's canonical form: issuer, relayer and verifier must hash the same bytes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from refurb.domain.work_orders import issue_certificate
from shared.events.certificates import canonical_certificate_content, certificate_id, certificate_sha256
from shared.events.refurb import DriveErasure

AT = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
DRIVE = DriveErasure(drive_serial="NV-001", level="purge", technique="nvme_sanitize", tool="nvme-cli 2.8",
                     operator="tech-07", passed=True, completed_at=AT)

# Written out by hand: a change to the canonical form breaks every certificate already issued.
CANONICAL = (
    b'{"device_id":"dev-1","drives":[{"completed_at":"2026-11-28T09:00:00Z","drive_serial":"NV-001",'
    b'"level":"purge","operator":"tech-07","passed":true,"technique":"nvme_sanitize","tool":"nvme-cli 2.8"}]}'
)


def test_the_canonical_content_is_sorted_compact_json_of_the_device_and_its_drives():
    assert canonical_certificate_content("dev-1", [DRIVE]) == CANONICAL
    assert certificate_sha256("dev-1", [DRIVE]) == hashlib.sha256(CANONICAL).hexdigest()


def test_drives_relayed_as_json_hash_like_the_drives_refurb_erased():
    relayed = DRIVE.model_dump(mode="json") | {"completed_at": "2026-11-28T09:00:00+00:00"}
    assert certificate_sha256("dev-1", [relayed]) == certificate_sha256("dev-1", [DRIVE])


@pytest.mark.parametrize("change", [
    {"operator": "tech-08"},
    {"passed": False},
    {"tool": "nvme-cli 2.9"},
    {"completed_at": AT + timedelta(seconds=1)},
    {"drive_serial": None},
], ids=lambda c: next(iter(c)))
def test_any_change_to_a_drive_changes_the_hash(change):
    assert certificate_sha256("dev-1", [DRIVE.model_copy(update=change)]) != certificate_sha256("dev-1", [DRIVE])


def test_the_hash_covers_the_device_and_the_order_of_its_drives():
    second = DRIVE.model_copy(update={"drive_serial": "HD-002"})
    assert certificate_sha256("dev-2", [DRIVE]) != certificate_sha256("dev-1", [DRIVE])
    assert certificate_sha256("dev-1", [DRIVE, second]) != certificate_sha256("dev-1", [second, DRIVE])


def test_the_certificate_id_is_stable_for_a_device_and_content():
    digest = certificate_sha256("dev-1", [DRIVE])
    assert certificate_id("dev-1", digest) == certificate_id("dev-1", digest)
    assert certificate_id("dev-1", digest) != certificate_id("dev-2", digest)


def test_refurb_issues_certificates_in_the_shared_canonical_form():
    issued = issue_certificate("dev-1", [DRIVE])
    assert issued.sha256 == certificate_sha256("dev-1", [DRIVE])
    assert issued.certificate_id == certificate_id("dev-1", issued.sha256)
