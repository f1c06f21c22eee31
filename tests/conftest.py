"""Starts the local cloud once per test session, as `make up` does but from nothing
(no kept state: every run starts clean), in a subprocess.

The end-to-end tests (tests/localcloud), the authorization matrix (tests/security), the
fault tier (tests/faults) and the browser tests (tests/portal) share it: one emulator per test run. Every test in those folders is
marked `localcloud` and needs it: if it cannot start, the tests fail (they are never skipped).
The other tiers never start it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.localcloud.emulator import free_port
from devtools.localcloud.paths import ROOT
from tests.localcloud.cloud import LocalCloud

START_TIMEOUT = 180
TIERS_ON_THE_LOCAL_CLOUD = [Path(__file__).parent / "localcloud", Path(__file__).parent / "security",
                            Path(__file__).parent / "faults", Path(__file__).parent / "portal"]


def pytest_collection_modifyitems(items):
    for item in items:
        if any(Path(str(item.fspath)).is_relative_to(tier) for tier in TIERS_ON_THE_LOCAL_CLOUD):
            item.add_marker(pytest.mark.localcloud)


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory) -> LocalCloud:
    with started_local_cloud(tmp_path_factory.mktemp("localcloud")) as cloud:
        yield cloud


@contextlib.contextmanager
def started_local_cloud(workdir: Path) -> Iterator[LocalCloud]:
    """A local cloud of its own on a free port, as `make up` starts it; stopped on leaving."""
    state_file, log_file = workdir / "state.json", workdir / "up.log"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env |= {"LOCALCLOUD_PORT": str(free_port()), "LOCALCLOUD_STATE_FILE": str(state_file), "PYTHONUNBUFFERED": "1"}
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.localcloud", "up", "--no-watch"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the local cloud did not start:\n{log_file.read_text()}", pytrace=False)
        time.sleep(0.2)
    state = json.loads(state_file.read_text())
    try:
        yield LocalCloud(endpoint=state["endpoint"], base_url=state["base_url"], outputs=state["outputs"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


THIN_PATH_WORKSHOP = "workshop-rennes"


@pytest.fixture
def thin_path_workshop_restored(local_cloud: LocalCloud):
    """A test that runs the thin path registers its workshop for territory 35 with room for 1,000
    orders; afterwards the workshop is put back as it was (if it did not exist: with no room, so
    it takes no work order), so that a later test (intake's 3,800-device import) is not served by it."""
    path = f"/refurb/workshops/{THIN_PATH_WORKSHOP}"
    before = local_cloud.call("GET", path, "admin")
    yield
    previous = before.json() if before.ok else {"name": "Atelier Rennes", "territories": ["35"], "capacity": 0}
    local_cloud.expect(200, "PUT", path, "admin", {k: previous[k] for k in ("name", "territories", "capacity")})
