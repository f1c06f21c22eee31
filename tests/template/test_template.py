"""template.yaml is the system's only wiring: valid, deployable, and least privilege."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from devtools.localcloud.paths import ROOT, TEMPLATE
from shared.access import OPENAPI_ACCESS, OPENAPI_ROUTE, services_tables

SERVICES = ["Intake", "Refurb", "Allocation", "Sales"]
# Each function's room: its service, or the gateway (the authorizer and the keys API, `Partner…`).
ROOMS = SERVICES + ["Partner"]


def _room(name: str) -> str | None:
    return next((r for r in ROOMS if name.startswith(r)), None)


def test_cfn_lint_reports_no_error():
    lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(lint), str(TEMPLATE)], capture_output=True, text=True, cwd=ROOT)
    errors = [line for line in result.stdout.splitlines() if re.match(r"^E\d", line)]
    assert not errors and result.returncode in (0, 4, 8, 12), result.stdout + result.stderr


def test_the_sam_transform_produces_every_function_and_its_triggers(cloudformation):
    resources = cloudformation["Resources"]
    functions = {k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    for service in SERVICES:
        assert {f"{service}ApiFunction", f"{service}ConsumerFunction", f"{service}PublisherFunction"} <= functions
        mappings = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::Lambda::EventSourceMapping"
                    and v["Properties"]["FunctionName"] == {"Ref": f"{service}ConsumerFunction"}]
        assert mappings and mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_each_service_owns_a_table_with_stream_and_point_in_time_recovery(sam_template):
    for service in SERVICES:
        table = sam_template["Resources"][f"{service}Table"]["Properties"]
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["StreamSpecification"]["StreamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
        assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_tables_and_queues_are_kept_when_the_stack_is_deleted_or_they_are_replaced(sam_template):
    stateful = {name: r for name, r in sam_template["Resources"].items()
                if r["Type"] in ("AWS::DynamoDB::Table", "AWS::SQS::Queue")}
    assert len(stateful) >= 5 + 14  # the gateway's and four services' tables, every queue and DLQ
    loose = [name for name, r in stateful.items()
             if (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy")) != ("Retain", "Retain")]
    assert loose == []


def test_every_queue_keeps_its_messages_fourteen_days(sam_template):
    # A dead letter keeps its first enqueue time, so a DLQ must keep messages at least as
    # long as its source queue: both keep the longest SQS allows.
    queues = {name: r["Properties"] for name, r in sam_template["Resources"].items()
              if r["Type"] == "AWS::SQS::Queue"}
    short = {name: q.get("MessageRetentionPeriod") for name, q in queues.items()
             if q.get("MessageRetentionPeriod") != 14 * 24 * 3600}
    assert short == {}


def test_each_queue_has_a_dead_letter_queue_and_a_visibility_of_six_consumer_timeouts(sam_template):
    resources, parameters = sam_template["Resources"], sam_template["Parameters"]
    timeout = sam_template["Globals"]["Function"]["Timeout"]
    for service in SERVICES:
        queue = resources[f"{service}Queue"]["Properties"]
        assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [f"{service}DeadLetterQueue", "Arn"]}
        visibility = queue["VisibilityTimeout"]
        if isinstance(visibility, dict):
            visibility = parameters[visibility["Ref"]]["MinValue"]
        consumer_timeout = resources[f"{service}ConsumerFunction"]["Properties"].get("Timeout", timeout)
        assert visibility >= 6 * consumer_timeout


def _statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def _referenced_resources(node) -> set[str]:
    """Logical ids a policy statement points at (Ref, GetAtt, ${X.Arn} in Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Ref" in node:
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            found.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}]+)\}", text) if not m.startswith("AWS::")}
        for value in node.values():
            found |= _referenced_resources(value)
    elif isinstance(node, list):
        for value in node:
            found |= _referenced_resources(value)
    return found


def test_functions_may_touch_only_their_own_service_resources_and_put_events_on_the_bus(cloudformation):
    resources = cloudformation["Resources"]
    allowed_managed = {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}
    for name, function in resources.items():
        if function["Type"] != "AWS::Lambda::Function":
            continue
        role_name = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role = resources[role_name]
        arns = [arn if isinstance(arn, str) else arn["Fn::Sub"] for arn in role["Properties"].get("ManagedPolicyArns", [])]
        managed = {arn.rsplit("/", 1)[-1] for arn in arns}
        assert managed <= allowed_managed, f"{name} has managed policies {managed - allowed_managed}"
        if name == "OperationsApiFunction":
            continue  # it serves every service's queues, and only those (its own test below)
        service = _room(name)
        for statement in _statements(role):
            assert statement["Resource"] != "*", f"{name} may act on any resource: {statement}"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = _referenced_resources(statement["Resource"])
            if any(a.startswith("events:") for a in actions):
                assert actions == ["events:PutEvents"] and targets == {"EventBus"}, name
            else:
                assert service and all(t.startswith(service) for t in targets), f"{name} reaches {targets}"


def test_each_publisher_may_put_only_events_signed_with_its_own_service_as_source(cloudformation):
    resources = cloudformation["Resources"]
    publishers = set()
    for name, function in resources.items():
        if function["Type"] != "AWS::Lambda::Function":
            continue
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        for statement in _statements(role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("events:") for a in actions):
                service = next(s for s in SERVICES if name.startswith(s))
                own_source = {"StringEquals": {"events:source": f"seconde-vie.{service.lower()}"}}
                assert statement["Condition"] == own_source, name
                publishers.add(name)
    assert publishers == {f"{s}PublisherFunction" for s in SERVICES}


def test_a_consumer_may_send_only_to_its_own_dead_letter_queue(cloudformation):
    resources = cloudformation["Resources"]
    for service in SERVICES:
        function = resources[f"{service}ConsumerFunction"]["Properties"]
        assert function["Environment"]["Variables"]["DEAD_LETTER_QUEUE_URL"] == {"Ref": f"{service}DeadLetterQueue"}
        role = resources[function["Role"]["Fn::GetAtt"][0]]
        senders = [s for s in _statements(role) if "sqs:SendMessage" in s["Action"]]
        assert [s["Resource"] for s in senders] == [{"Fn::GetAtt": [f"{service}DeadLetterQueue", "Arn"]}]


def _source_and_dead_letter_queues(sam_template) -> dict[str, str]:
    """Every queue with a redrive policy → its dead-letter queue."""
    return {name: r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            for name, r in sam_template["Resources"].items()
            if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]}


def test_the_operations_api_may_only_peek_and_redrive_dead_letters_and_knows_every_one(sam_template, cloudformation):
    resources = cloudformation["Resources"]
    queues = _source_and_dead_letter_queues(sam_template)
    assert len(queues) == 5  # the four services' queues and intake's import queue
    granted: dict[str, set[str]] = {}
    for statement in _role_of(resources, "OperationsApiFunction"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            granted.setdefault(action, set()).update(_referenced_resources(statement["Resource"]))
    dead_letter_queues, sources = set(queues.values()), set(queues)
    assert granted.pop("sqs:SendMessage") == sources  # moving back: only to the queue a message came from
    assert set(granted) == {"sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility",
                            "sqs:DeleteMessage", "sqs:StartMessageMoveTask"}
    assert all(targets == dead_letter_queues for targets in granted.values()), granted
    configured = resources["OperationsApiFunction"]["Properties"]["Environment"]["Variables"]["DEAD_LETTER_QUEUES"]
    pairs = {(match[0], match[1]) for match in re.findall(r'"dead_letters": "\$\{(\w+)\}", "source": "\$\{(\w+)\}"',
                                                          configured["Fn::Sub"])}
    assert pairs == {(dlq, source) for source, dlq in queues.items()}


def test_every_consumer_of_a_queue_sends_its_last_failure_to_its_dead_letter_queue(sam_template, cloudformation):
    """The last delivery's error travels with the message (shared/dead_letters.py): each function an SQS
    queue triggers knows the delivery limit and its dead-letter queue, and may send to it."""
    resources, queues = cloudformation["Resources"], _source_and_dead_letter_queues(sam_template)
    consumers = {}
    for name, function in sam_template["Resources"].items():
        for event in function.get("Properties", {}).get("Events", {}).values():
            if event["Type"] == "SQS":
                consumers[name] = event["Properties"]["Queue"]["Fn::GetAtt"][0]
    assert set(consumers.values()) == set(queues)
    for name, queue in consumers.items():
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["DEAD_LETTER_QUEUE_URL"] == {"Ref": queues[queue]}, name
        assert variables["MAX_RECEIVE_COUNT"] == {"Ref": "ConsumerMaxReceiveCount"}, name
        assert sam_template["Resources"][queue]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == {
            "Ref": "ConsumerMaxReceiveCount"}, queue
        senders = [s for s in _role_of(resources, name) if "sqs:SendMessage" in s["Action"]]
        assert [s["Resource"] for s in senders] == [{"Fn::GetAtt": [queues[queue], "Arn"]}], name


def test_no_function_can_read_or_write_another_service_table(cloudformation):
    resources = cloudformation["Resources"]
    for name, function in resources.items():
        if function["Type"] != "AWS::Lambda::Function":
            continue
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        tables = {t for s in _statements(role) for t in _referenced_resources(s["Resource"]) if t.endswith("Table")}
        assert len(tables) <= 1 and all(t.startswith(_room(name)) for t in tables), (name, tables)


def _role_of(resources: dict, function: str) -> list[dict]:
    return _statements(resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]])


def test_the_authorizer_may_only_look_keys_up_one_by_one(cloudformation):
    statements = _role_of(cloudformation["Resources"], "PartnerAuthorizerFunction")
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("dynamodb:GetItem", {"Fn::GetAtt": ["PartnerKeysTable", "Arn"]}),
    ]


def test_the_keys_api_may_write_keys_but_never_delete_them(cloudformation):
    statements = _role_of(cloudformation["Resources"], "PartnerKeysApiFunction")
    granted = {(action, json.dumps(s["Resource"])) for s in statements
               for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    table = json.dumps({"Fn::GetAtt": ["PartnerKeysTable", "Arn"]})
    index = json.dumps({"Fn::Sub": "${PartnerKeysTable.Arn}/index/by_key_id"})
    assert granted == {("dynamodb:GetItem", table), ("dynamodb:PutItem", table), ("dynamodb:UpdateItem", table),
                       ("dynamodb:Scan", table), ("dynamodb:Query", index)}


PEOPLE_ACTIONS = {"AdminCreateUser", "AdminAddUserToGroup", "AdminDeleteUser", "AdminGetUser", "AdminListGroupsForUser",
                  "ListUsersInGroup", "AdminDisableUser", "AdminEnableUser", "AdminUserGlobalSignOut",
                  "AdminSetUserPassword"}


def test_the_keys_api_may_administer_people_in_the_people_pool_only(cloudformation):
    """Its own policy resource (PeopleDirectoryPolicy), which the room check above does not read: checked here."""
    resources = cloudformation["Resources"]
    policies = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::IAM::Policy"}
    assert list(policies) == ["PeopleDirectoryPolicy"], "a policy resource no test checks"
    policy = policies["PeopleDirectoryPolicy"]
    assert policy["Roles"] == [{"Ref": "PartnerKeysApiRole"}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == {"Fn::GetAtt": ["PeoplePool", "Arn"]}
    assert set(statement["Action"]) == {f"cognito-idp:{action}" for action in PEOPLE_ACTIONS}
    environment = resources["PartnerKeysApiFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["PEOPLE_POOL_ID"] == {"Ref": "PeoplePool"}


def test_the_template_holds_no_secret(sam_template, cloudformation):
    """Keys live hashed in the key table: no parameter or environment variable carries one."""
    parameters = sam_template["Parameters"]
    assert not [name for name, p in parameters.items() if p.get("NoEcho")]
    assert not [name for name in parameters if re.search(r"key|secret|password|token", name, re.I)
                and name != "PartnerKeyCacheSeconds"]
    for name, resource in cloudformation["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert not [v for v in variables if re.search(r"secret|password|token|_KEYS?$", v)], (name, variables)


def test_a_revoked_key_is_refused_within_the_stated_30_seconds(sam_template):
    """Two caches keep a key's decision, the HTTP API's and the authorizer's, each for
    PartnerKeyCacheSeconds: the worst case is their sum."""
    cache = sam_template["Parameters"]["PartnerKeyCacheSeconds"]
    assert 2 * cache["Default"] == 30 and 2 * cache["MaxValue"] <= 300
    resources = sam_template["Resources"]
    authorizer = resources["PartnerAuthorizer"]["Properties"]
    assert authorizer["AuthorizerResultTtlInSeconds"] == {"Ref": "PartnerKeyCacheSeconds"}
    variables = resources["PartnerAuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["KEY_CACHE_SECONDS"] == {"Ref": "PartnerKeyCacheSeconds"}


PUBLIC_ROUTES = {
    "GET /intake/passport/{label_code}": "IntakeApiIntegration",  # a device's passport, by its label
    # each API's OpenAPI document (shared/http.py)
    **{f"GET /{api}/openapi.json": f"{integration}Integration" for api, integration in {
        "intake": "IntakeApi", "refurb": "RefurbApi", "allocation": "AllocationApi", "sales": "SalesApi",
        "access": "PartnerKeysApi", "operations": "OperationsApi"}.items()},
    # the people's pages: a page holds no data, its script calls the routes with the person's token
    "GET /portal": "PortalIntegration",
    "GET /portal/{proxy+}": "PortalIntegration",
}


def test_http_api_routes_are_explicit_and_behind_the_partner_authorizer(sam_template):
    resources = sam_template["Resources"]
    routes = {v["Properties"]["RouteKey"]: v["Properties"] for v in resources.values()
              if v["Type"] == "AWS::ApiGatewayV2::Route"}
    service_routes = {f"ANY /{s.lower()}/{{proxy+}}" for s in SERVICES} | {"ANY /access/{proxy+}",
                                                                          "ANY /operations/{proxy+}"}
    assert set(routes) == service_routes | set(PUBLIC_ROUTES)
    for key, integration in PUBLIC_ROUTES.items():
        public = routes.pop(key)
        assert public["AuthorizationType"] == "NONE" and "AuthorizerId" not in public
        assert public["Target"] == {"Fn::Sub": f"integrations/${{{integration}}}"}
    for route in routes.values():
        assert route["AuthorizationType"] == "CUSTOM"
        assert route["AuthorizerId"] == {"Ref": "PartnerAuthorizer"}
    integrations = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::ApiGatewayV2::Integration"]
    assert all(i["PayloadFormatVersion"] == "2.0" and i["IntegrationType"] == "AWS_PROXY" for i in integrations)


def test_every_route_an_access_table_makes_public_has_its_own_route_without_the_authorizer(sam_template):
    """Otherwise the proxy route's authorizer refuses it (401) before the service's rule is read."""
    routes = {v["Properties"]["RouteKey"]: v["Properties"] for v in sam_template["Resources"].values()
              if v["Type"] == "AWS::ApiGatewayV2::Route"}
    public = {f"{key.split(' ', 1)[0]} /{api}{key.split(' ', 1)[1]}"
              for api, table in services_tables().items()
              for key, access in {**table, OPENAPI_ROUTE: OPENAPI_ACCESS}.items() if access.public}
    assert {key for key in public if routes.get(key, {}).get("AuthorizationType") != "NONE"} == set()


def test_the_operations_api_names_the_dead_letter_queues_the_template_declares(sam_template):
    """The queue names are an enum in the operations API's document: the same as the function is given."""
    from operations_api import QueueName

    variables = sam_template["Resources"]["OperationsApiFunction"]["Properties"]["Environment"]["Variables"]
    declared = json.loads(re.sub(r"\$\{\w+\}", "url", variables["DEAD_LETTER_QUEUES"]["Fn::Sub"]))
    assert set(declared) == {name.value for name in QueueName}


def test_the_runtime_matches_the_local_toolchain(sam_template):
    runtime = sam_template["Globals"]["Function"]["Runtime"]
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
    local_cloud_python = next((ROOT / ".venv-localcloud" / "lib").glob("python3.*"))
    assert local_cloud_python.name == runtime


def test_allocation_and_sales_forget_beneficiaries_on_a_schedule_after_the_retention_parameter(sam_template,
                                                                                              cloudformation):
    resources = sam_template["Resources"]
    assert sam_template["Parameters"]["BeneficiaryRetentionMonths"]["MinValue"] >= 36  # one device per 3 years
    roles = set()
    for service in ("Allocation", "Sales"):
        function = resources[f"{service}RetentionFunction"]["Properties"]
        assert function["Environment"]["Variables"]["RETENTION_MONTHS"] == {"Ref": "BeneficiaryRetentionMonths"}
        assert [e["Type"] for e in function["Events"].values()] == ["Schedule"]
        roles.add(function["Role"]["Fn::GetAtt"][0])
    assert roles == {"AllocationRetentionRole", "SalesRetentionRole"}
    transformed = cloudformation["Resources"]
    assert {"AllocationRetentionFunction", "SalesRetentionFunction"} <= {
        k for k, v in transformed.items() if v["Type"] == "AWS::Lambda::Function"}


def test_every_function_has_a_log_group_with_a_retention(sam_template):
    resources = sam_template["Resources"]
    functions = {name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    groups = {r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"] for r in resources.values()
              if r["Type"] == "AWS::Logs::LogGroup"}
    for function in functions:
        group = groups.get(f"/aws/lambda/${{{function}}}")
        assert group is not None, f"{function} has no declared log group"
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert sam_template["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_publishers_wake_only_for_new_outbox_items(sam_template):
    """The stream filter keeps exactly what `shared.publisher.outbox_envelopes` publishes."""
    from shared.outbox import OUTBOX_PREFIX

    for service in SERVICES:
        stream = sam_template["Resources"][f"{service}PublisherFunction"]["Properties"]["Events"]["OutboxStream"]
        (only,) = stream["Properties"]["FilterCriteria"]["Filters"]
        assert json.loads(only["Pattern"]) == {
            "eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": OUTBOX_PREFIX}]}}}}


def test_tracing_records_nothing_unless_asked(sam_template):
    assert sam_template["Globals"]["Function"]["Tracing"] == {"Ref": "TracingMode"}
    assert sam_template["Parameters"]["TracingMode"]["Default"] == "PassThrough"
