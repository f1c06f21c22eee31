"""A device's label code, as intake prints it and announces it (DeviceReceived.label_code).

The code is read back by people: typed from the label at a point of sale, or taken from the
label's QR code (the passport URL). Intake, which issues codes, and sales, which finds a
reserved device by its label, read a typed code the same way.
"""

from __future__ import annotations

import secrets

# Crockford base32 without I, L, O, U: nothing to misread on a printed label.
LABEL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What people type instead when they copy a label by hand.
_MISREADINGS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_label_code() -> str:
    raw = "".join(secrets.choice(LABEL_ALPHABET) for _ in range(8))
    return f"SV-{raw[:4]}-{raw[4:]}"


def normalize_label_code(typed: str) -> str:
    """A label code as someone may type it ('sv 7k2m q9tx', 'SV-7K2M-Q9TX') → 'SV-7K2M-Q9TX'."""
    compact = "".join(ch for ch in typed.upper() if ch.isalnum())
    body = compact[2:] if len(compact) == 10 and compact.startswith("SV") else compact
    body = body.translate(_MISREADINGS)
    return f"SV-{body[:4]}-{body[4:]}" if len(body) == 8 else typed.strip().upper()
