"""The local partners' keys are seeded hashed at every deploy; the first admin key of a deployment
is written straight into its table; the CLI never takes the admin key from its arguments."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from moto import mock_aws

from devtools import partner_keys
from devtools.gateway_keys import PartnerKeyStore
from devtools.localcloud import seed
from devtools.localcloud.paths import DEV_PARTNERS
from tests.unit.support import KEYS_TABLE, all_items, create_keys_table

DEV_KEYS = json.loads(DEV_PARTNERS.read_text())


@pytest.fixture
def dynamodb(monkeypatch):
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
                        "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_keys_table(client)
        yield client


def test_every_dev_partner_is_seeded_hashed_with_its_identity_and_seeding_again_changes_nothing(dynamodb):
    assert seed.seed_dev_partners(dynamodb, KEYS_TABLE) == len(DEV_KEYS) == 11
    first = all_items(dynamodb, KEYS_TABLE)
    store = PartnerKeyStore(KEYS_TABLE, client=dynamodb)
    for secret, partner in DEV_KEYS.items():
        key = store.find(secret)
        assert (key.partner_id, key.role.value, key.territory) == (partner["partner_id"], partner["role"],
                                                                   partner["territory"])
        assert key.active
    assert not any(secret in json.dumps(first) for secret in DEV_KEYS)
    seed.seed_dev_partners(dynamodb, KEYS_TABLE)
    assert sorted(all_items(dynamodb, KEYS_TABLE), key=str) == sorted(first, key=str)


def test_seeding_restores_a_revoked_dev_key_and_leaves_issued_keys_alone(dynamodb):
    store = PartnerKeyStore(KEYS_TABLE, client=dynamodb)
    seed.seed_dev_partners(dynamodb, KEYS_TABLE)
    store.revoke(store.find("dev-pos-key").key_id, revoked_by="association-admin")
    secret, issued = store.issue("pos-brest", "point_of_sale", "29", issued_by="association-admin")
    seed.seed_dev_partners(dynamodb, KEYS_TABLE)
    assert store.find("dev-pos-key").active
    assert store.find(secret) == issued


def test_a_key_removed_from_the_dev_file_is_revoked_at_the_next_seed(dynamodb, tmp_path, monkeypatch):
    seed.seed_dev_partners(dynamodb, KEYS_TABLE)
    fewer = tmp_path / "dev-partners.json"
    fewer.write_text(json.dumps({k: v for k, v in DEV_KEYS.items() if k != "dev-donor-44-key"}))
    monkeypatch.setattr(seed, "DEV_PARTNERS", fewer)
    seed.seed_dev_partners(dynamodb, KEYS_TABLE)
    store = PartnerKeyStore(KEYS_TABLE, client=dynamodb)
    assert not store.find("dev-donor-44-key").active
    assert store.find("dev-donor-key").active


def test_bootstrap_writes_one_hashed_admin_key_and_prints_it_once(dynamodb):
    out = io.StringIO()
    assert partner_keys.main(["bootstrap", "--table", KEYS_TABLE, "--partner-id", "association-admin"], out=out) == 0
    printed = out.getvalue()
    [item] = all_items(dynamodb, KEYS_TABLE)
    [secret] = [word for word in printed.split() if word.startswith("sv_")]
    assert printed.count(secret) == 1 and secret not in json.dumps(item)
    key = PartnerKeyStore(KEYS_TABLE, client=dynamodb).find(secret)
    assert (key.partner_id, key.role.value, key.territory, key.issued_by) == ("association-admin", "admin", "",
                                                                              "bootstrap")


def test_the_admin_key_comes_from_a_file_or_standard_input(tmp_path):
    key_file = tmp_path / "admin-key"
    key_file.write_text("sv_from-a-file\n")
    assert partner_keys.read_admin_key(key_file) == "sv_from-a-file"
    assert partner_keys.read_admin_key(None, io.StringIO("sv_from-stdin\n")) == "sv_from-stdin"
    with pytest.raises(SystemExit):  # there is no option that takes the key itself
        partner_keys.parser().parse_args(["--admin-key", "sv_x", "list"])
