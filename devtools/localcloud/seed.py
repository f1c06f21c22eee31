"""The local partners of devtools/dev-partners.json, written (hashed) into the key table at every deploy.

Seeding is idempotent: a key already there keeps its key id and issue date, a revoked one is
active again (the file is the truth for these keys), and a key seeded earlier but since removed
from the file is revoked.
"""

from __future__ import annotations

import json

from devtools.gateway_keys import PartnerKeyStore
from devtools.localcloud.paths import DEV_PARTNERS

SEEDED_BY = "devtools/dev-partners.json"


def seed_dev_partners(dynamodb, table_name: str) -> int:
    """Write every dev partner's key; returns how many there are."""
    store = PartnerKeyStore(table_name, client=dynamodb)
    seeded = {
        store.keep(secret, partner["partner_id"], partner["role"], partner.get("territory", ""),
                   issued_by=SEEDED_BY, label="local partner").key_id
        for secret, partner in json.loads(DEV_PARTNERS.read_text()).items()
    }
    for key in store.list():
        if key.issued_by == SEEDED_BY and key.active and key.key_id not in seeded:
            store.revoke(key.key_id, revoked_by=SEEDED_BY)
    return len(seeded)
