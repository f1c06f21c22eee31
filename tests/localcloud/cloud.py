"""A handle on a running local cloud, for tests: AWS clients, partner HTTP calls, waiting."""

from __future__ import annotations

from dataclasses import dataclass, field

from localstack_client.session import Session

from devtools.thin_path import Partners
from devtools.thin_path import wait_for as eventually  # noqa: F401  (the tests' name for it)


@dataclass
class LocalCloud(Partners):
    """The dev partners' HTTP calls (`call`, see devtools/thin_path.py) plus AWS clients."""

    endpoint: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    def client(self, service: str):
        return Session(localstack_host=self.endpoint.split("://", 1)[1]).client(service)

    def function_logs(self) -> dict[str, list[str]]:
        """Every line each function wrote to CloudWatch Logs (`/aws/lambda/<function name>`), by function.

        The emulator writes one stream per invocation; streams are read 100 at a time."""
        logs, functions = self.client("logs"), self.client("lambda")
        names = [f["FunctionName"] for page in functions.get_paginator("list_functions").paginate()
                 for f in page["Functions"]]
        lines: dict[str, list[str]] = {}
        for name in names:
            group = f"/aws/lambda/{name}"
            try:
                streams = [s["logStreamName"] for page in logs.get_paginator("describe_log_streams").paginate(
                    logGroupName=group) for s in page["logStreams"]]
            except logs.exceptions.ResourceNotFoundException:
                lines[name] = []  # never invoked
                continue
            lines[name] = [event["message"] for start in range(0, len(streams), 100)
                           for event in logs.filter_log_events(logGroupName=group,
                                                               logStreamNames=streams[start:start + 100])["events"]]
        return lines
