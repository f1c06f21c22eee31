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
