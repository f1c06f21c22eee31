"""A handle on a running local cloud, for tests: AWS clients, partner HTTP calls, waiting."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import requests
from localstack_client.session import Session

T = TypeVar("T")


@dataclass
class LocalCloud:
    endpoint: str
    base_url: str
    outputs: dict[str, str]
    http: requests.Session = field(default_factory=requests.Session)

    def client(self, service: str):
        return Session(localstack_host=self.endpoint.split("://", 1)[1]).client(service)

    def call(self, method: str, path: str, key: str | None, body: Any = None, **kwargs) -> requests.Response:
        """A partner's HTTP call; `key` is a dev partner key name, e.g. "donor" for dev-donor-key."""
        headers = {"Authorization": f"Bearer dev-{key}-key"} if key else {}
        return self.http.request(method, self.base_url + path, headers=headers, json=body, timeout=30, **kwargs)


def eventually(probe: Callable[[], T | None], *, timeout: float = 30.0, interval: float = 0.2,
               what: str = "the condition") -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)
