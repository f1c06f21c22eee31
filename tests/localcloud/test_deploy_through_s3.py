"""The local deploy sends its template through S3, like `sam deploy`: a template over the
51,200 bytes CloudFormation accepts inline still deploys (the system's packaged template is
close to that size, and the portal adds to it)."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from devtools.localcloud.__main__ import session_for
from devtools.localcloud.deploy import deploy
from tests.localcloud.cloud import LocalCloud

INLINE_LIMIT = 51_200


def big_template() -> dict:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        # Metadata is carried as is: an easy way to make a template of any size.
        "Metadata": {"Padding": "x" * (INLINE_LIMIT + 10_000)},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
    }


def test_a_template_over_the_inline_limit_deploys(local_cloud: LocalCloud, tmp_path):
    template = tmp_path / "template.json"
    template.write_text(json.dumps(big_template()))
    assert template.stat().st_size > INLINE_LIMIT
    session = session_for(local_cloud.endpoint)
    stack = f"big-template-{uuid.uuid4().hex[:8]}"

    with pytest.raises(ClientError, match="51200"):  # what an inline body would meet
        session.client("cloudformation").create_stack(StackName=stack, TemplateBody=template.read_text())

    deployment = deploy(session, stack, template=template, parameters=[])
    try:
        assert deployment.outputs["QueueUrl"].startswith("http")
    finally:
        session.client("cloudformation").delete_stack(StackName=stack)
