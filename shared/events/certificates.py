"""The erasure certificate's canonical form: what its SHA-256 is computed over.

This is a contract, like the events next to it: refurb issues the certificate, intake
relays it to the donor, and a donor or an auditor recomputes the hash to check that the
document they hold is the one refurb issued. All of them must serialise the content the
same way, byte for byte, so the form lives here once and is never rewritten elsewhere.

    content   = {"device_id": ..., "drives": [each DriveErasure as JSON]}
    canonical = JSON with sorted keys, no whitespace (",", ":"), ASCII-escaped, UTF-8
    sha256    = hex digest of canonical
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from shared.events.refurb import DriveErasure


def canonical_certificate_content(device_id: str, drives: Iterable[DriveErasure | Mapping[str, Any]]) -> bytes:
    """The bytes the certificate's SHA-256 covers.

    Drives given as JSON (a relayed payload) are read through `DriveErasure` first, so a
    timestamp written `+00:00` or `Z` hashes the same: what counts is the value, not how
    the relaying service happened to print it.
    """
    content = {
        "device_id": device_id,
        "drives": [DriveErasure.model_validate(drive).model_dump(mode="json") for drive in drives],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def certificate_sha256(device_id: str, drives: Iterable[DriveErasure | Mapping[str, Any]]) -> str:
    return hashlib.sha256(canonical_certificate_content(device_id, drives)).hexdigest()


def certificate_id(device_id: str, sha256: str) -> str:
    """A stable id: the same device and content always give the same certificate id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"seconde-vie:erasure:{device_id}:{sha256}"))
