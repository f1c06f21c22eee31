"""The template, as written and as AWS sees it after the SAM transform, for the template tests."""

from __future__ import annotations

import json

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from devtools.localcloud.paths import TEMPLATE


class _NoManagedPolicies:
    def load(self):
        return {}


@pytest.fixture(scope="module")
def sam_template() -> dict:
    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def cloudformation(sam_template, monkeypatch_module) -> dict:
    """The template as AWS would see it after the SAM transform, done offline."""
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    packaged = json.loads(json.dumps(sam_template))
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    return transform(packaged, {}, _NoManagedPolicies())


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
