"""The local partners of devtools/dev-partners.json, written (hashed) into the key table at every
deploy, and the local people of devtools/dev-people.json, one per role, into the people pool.

Seeding is idempotent: a key already there keeps its key id and issue date, a revoked one is
active again (the file is the truth for these keys), and a key seeded earlier but since removed
from the file is revoked.
"""

from __future__ import annotations

import json

from devtools.gateway_keys import PartnerKeyStore
from devtools.localcloud.paths import DEV_PARTNERS, DEV_PEOPLE

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


def seed_dev_people(cognito, pool_id: str) -> int:
    """Every dev person of devtools/dev-people.json, with the file's password, group and partner
    (created once; the file's password, attributes and group are put back at every deploy)."""
    people = json.loads(DEV_PEOPLE.read_text())
    for email, person in people.items():
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                      {"Name": "custom:partner_id", "Value": person["partner_id"]},
                      {"Name": "custom:territory", "Value": person.get("territory", "")}]
        try:
            cognito.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes,
                                      MessageAction="SUPPRESS")
        except cognito.exceptions.UsernameExistsException:
            cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=email, UserAttributes=attributes)
            cognito.admin_enable_user(UserPoolId=pool_id, Username=email)
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=person["password"],
                                        Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=person["role"])
    return len(people)
