"""Create or update the CloudFormation stack from the packaged template, and wait for it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from devtools.localcloud.emulator import LocalCloudError
from devtools.localcloud.package import Packager, TemplateError, build_layers, load_template, template_body
from devtools.localcloud.paths import TEMPLATE
from devtools.localcloud.seed import seed_dev_partners, seed_dev_people

STACK_NAME = "seconde-vie"
ARTIFACT_BUCKET = "seconde-vie-artifacts"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass
class Deployment:
    stack_name: str
    outputs: dict[str, str]
    changed: bool
    seconds: float


def upload_template(s3, stack_name: str, body: str) -> str:
    """Put the packaged template in the artifact bucket; its URL, path-style on the cloud's S3."""
    key = f"templates/{stack_name}-{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=body.encode())
    return f"{s3.meta.endpoint_url.rstrip('/')}/{ARTIFACT_BUCKET}/{key}"


def deploy(session, stack_name: str = STACK_NAME, *, template: Path = TEMPLATE,
           parameters: list[dict[str, str]] | None = None, timeout: float = 120.0) -> Deployment:
    """Package `template` (the system's by default) into the cloud's S3 and create or update its stack.
    The system's stack then gets the local partners' keys (devtools/dev-partners.json) and people
    (devtools/dev-people.json)."""
    started = time.monotonic()
    system = template == TEMPLATE
    if system:
        build_layers()
    s3, cloudformation = session.client("s3"), session.client("cloudformation")
    packager = Packager(s3, ARTIFACT_BUCKET, root=template.parent)
    packager.ensure_bucket()
    try:
        body = template_body(packager.package(load_template(template)))
    except (TemplateError, FileNotFoundError) as error:
        raise LocalCloudError(f"the template cannot be deployed: {error}") from None
    # Through S3, like `sam deploy`: an inline TemplateBody stops at 51,200 bytes (the emulator
    # enforces it too), a template in S3 at 1 MB; the system's is close to the first already.
    arguments = dict(StackName=stack_name, TemplateURL=upload_template(s3, stack_name, body),
                     Parameters=parameters or [], Capabilities=CAPABILITIES)
    status = _stack_status(cloudformation, stack_name)
    if status == "ROLLBACK_COMPLETE":  # a failed first creation cannot be updated: start again
        cloudformation.delete_stack(StackName=stack_name)
        _wait(cloudformation, stack_name, timeout, deleting=True)
        status = None
    exists = status not in (None, "DELETE_COMPLETE")
    try:
        if exists:
            cloudformation.update_stack(**arguments)
        else:
            cloudformation.create_stack(**arguments)
    except ClientError as error:
        if "No updates are to be performed" not in str(error):
            raise LocalCloudError(f"the stack was refused: {error.response['Error']['Message']}") from error
        changed = False
    else:
        _wait(cloudformation, stack_name, timeout)
        changed = True
    stack_outputs = outputs(cloudformation, stack_name)
    if system:
        seed_dev_partners(session.client("dynamodb"), stack_outputs["PartnerKeysTableName"])
        seed_dev_people(session.client("cognito-idp"), stack_outputs["PeoplePoolId"])
    return Deployment(stack_name, stack_outputs, changed, time.monotonic() - started)


def outputs(cloudformation, stack_name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _stack_status(cloudformation, stack_name: str) -> str | None:
    try:
        return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    except ClientError:
        return None


def _wait(cloudformation, stack_name: str, timeout: float, *, deleting: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = _stack_status(cloudformation, stack_name) or "MISSING"
        if deleting:
            if status in ("MISSING", "DELETE_COMPLETE"):
                return
            time.sleep(0.2)
            continue
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return
        if status.endswith("FAILED") or "ROLLBACK" in status and status.endswith("COMPLETE"):
            raise LocalCloudError(f"stack {stack_name} is {status}:\n" + _failure_reasons(cloudformation, stack_name))
        time.sleep(0.2)
    raise LocalCloudError(f"stack {stack_name} not complete after {timeout:.0f} s")


def _failure_reasons(cloudformation, stack_name: str) -> str:
    events: list[dict[str, Any]] = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [e for e in events if e.get("ResourceStatus", "").endswith("FAILED")]
    return "\n".join(
        f"  {e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}" for e in failed[:10]
    ) or "  (no resource reported a reason)"
