"""`make up` keeps the local cloud's state: a clean stop and a start find every table item, every
queued message and the same partners' URL; a `kill -9` of the emulator is noticed by `up`,
which names the last save and what was answered after it, starts the emulator again from
that save and redeploys.

Each test runs `python -m devtools.localcloud up --state-dir <tmp>` as `make up` does, on a
free port, and talks to it with real HTTP and boto3. They need ministack (`make install`),
not the session's local cloud, and are marked `localcloud` so `make unit` leaves them out.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.localcloud.emulator import free_port
from devtools.localcloud.paths import ROOT
from tests.localcloud.cloud import LocalCloud, eventually

pytestmark = pytest.mark.localcloud

START_TIMEOUT = 180


@dataclass
class Up:
    """One `up` process and what it wrote: its report file and its output."""

    process: subprocess.Popen
    state_file: Path
    log_file: Path

    def output(self) -> str:
        return self.log_file.read_text()

    def running(self) -> dict:
        return json.loads(self.state_file.read_text())

    def cloud(self) -> LocalCloud:
        state = self.running()
        return LocalCloud(endpoint=state["endpoint"], base_url=state["base_url"], outputs=state["outputs"])

    def stop(self) -> None:
        """What Ctrl-C does: `up` stops the emulator cleanly, which saves its state."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(port: int, state_dir: Path, workdir: Path, *arguments: str) -> Up:
    """`up` as `make up` runs it, on `port`, keeping its state under `state_dir`."""
    run = len(list(workdir.glob("up-*.log")))
    state_file, log_file = workdir / f"running-{run}.json", workdir / f"up-{run}.log"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env |= {"LOCALCLOUD_PORT": str(port), "LOCALCLOUD_STATE_FILE": str(state_file), "PYTHONUNBUFFERED": "1"}
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.localcloud", "up", "--no-watch", "--state-dir", str(state_dir),
             *arguments],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    up = Up(process, state_file, log_file)
    deadline = time.monotonic() + START_TIMEOUT
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            up.stop()
            pytest.fail(f"the local cloud did not start:\n{up.output()}", pytrace=False)
        time.sleep(0.2)
    return up


@pytest.fixture(scope="module")
def port() -> int:
    # One port for the module: the kept state holds URLs with the port, and every test starts
    # from a copy of one deployed stack's state.
    return free_port()


@dataclass
class Deployed:
    state_dir: Path
    base_url: str


@pytest.fixture(scope="module")
def deployed(port, tmp_path_factory) -> Deployed:
    """The state folder of a stack deployed once from nothing and stopped cleanly."""
    workdir = tmp_path_factory.mktemp("deployed")
    up = start(port, workdir / "kept", workdir)
    try:
        assert "starting empty" in up.output()
        return Deployed(workdir / "kept", up.running()["base_url"])
    finally:
        up.stop()


@pytest.fixture
def start_up(port, deployed, tmp_path):
    """Start `up` on a copy of the deployed state; every `up` started is stopped afterwards."""
    shutil.copytree(deployed.state_dir, tmp_path / "kept")
    started: list[Up] = []

    def start_again(*arguments: str) -> Up:
        started.append(start(port, tmp_path / "kept", tmp_path, *arguments))
        return started[-1]

    yield start_again
    for up in started:
        up.stop()


def workshop(name: str) -> dict:
    return {"name": name, "territories": ["35"], "capacity": 2}


def test_a_clean_stop_and_a_start_find_the_data_the_queued_messages_and_the_same_url_until_a_reset(
        start_up, deployed, port):
    first = start_up()
    cloud = first.cloud()
    assert "state restored" in first.output()
    assert cloud.base_url == deployed.base_url  # the URL of the first start from nothing
    cloud.expect(200, "PUT", "/refurb/workshops/workshop-kept", "admin", workshop("Atelier gardé"))
    sqs = cloud.client("sqs")
    queue = cloud.outputs["SalesDeadLetterQueueUrl"]  # nothing consumes it: a message stays until read
    sqs.send_message(QueueUrl=queue, MessageBody='{"kept": true}')
    # `make deploy` finds the emulator on LOCALCLOUD_PORT, like `make up`, and changes nothing.
    redeploy = subprocess.run(
        [sys.executable, "-m", "devtools.localcloud", "deploy"], cwd=ROOT, capture_output=True, text=True,
        env={**{k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}, "LOCALCLOUD_PORT": str(port),
             "LOCALCLOUD_STATE_FILE": str(first.state_file.with_name("deploy.json"))}, timeout=120,
    )
    assert redeploy.returncode == 0, redeploy.stdout + redeploy.stderr
    assert f"using the cloud at {cloud.endpoint}" in redeploy.stdout
    assert f"partners' base URL: {deployed.base_url}" in redeploy.stdout
    first.stop()

    second = start_up()
    again = second.cloud()
    assert again.base_url == deployed.base_url
    assert again.expect(200, "GET", "/refurb/workshops/workshop-kept", "admin")["name"] == "Atelier gardé"
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])]
    assert bodies == ['{"kept": true}']
    # The redeploy over the restored stack changed nothing and wiped nothing: a new write works too.
    again.expect(200, "PUT", "/refurb/workshops/workshop-after", "admin", workshop("Atelier après"))
    second.stop()

    reset = start_up("--fresh")  # what `make reset` runs
    assert "starting empty" in reset.output()
    assert reset.cloud().call("GET", "/refurb/workshops/workshop-kept", "admin").status_code == 404
    assert not sqs.receive_message(QueueUrl=reset.cloud().outputs["SalesDeadLetterQueueUrl"]).get("Messages")


def test_a_killed_emulator_is_reported_restarted_from_its_last_save_and_redeployed(start_up):
    # Saves 6 s apart at least: room for the second write to land after one and before the next.
    up = start_up("--save-seconds", "6")
    cloud = up.cloud()
    saves_url = f"{cloud.endpoint}/_localcloud/saves"

    def saves() -> dict:
        return cloud.http.get(saves_url, timeout=10).json()

    cloud.expect(200, "PUT", "/refurb/workshops/workshop-saved", "admin", workshop("Atelier sauvé"))
    saved = eventually(lambda: (s := saves())["changes_since_save"] == 0 and s,
                       "the periodic save of the first write", timeout=30)
    cloud.expect(200, "PUT", "/refurb/workshops/workshop-lost", "admin", workshop("Atelier perdu"))
    eventually(lambda: saves()["partner_writes_since_save"] >= 1, "the second write counted", timeout=10)
    time.sleep(1.5)  # `up` asks the emulator about its saves twice a second
    assert saves()["saved_at"] == saved["saved_at"], "a save came before the kill: the test cannot tell a loss"
    os.kill(up.running()["emulator_pid"], signal.SIGKILL)

    eventually(lambda: "local cloud back" in up.output(), "the local cloud back after the kill", timeout=60)
    output = up.output()
    assert "the emulator died" in output and "killed by SIGKILL" in output
    saved_clock = saved["saved_at"][11:23]  # HH:MM:SS.mmm, as `up` prints it
    assert f"last saved at {saved_clock} UTC" in output
    assert "whatever it answered after that save is lost" in output
    assert "lost at least: 1 partners' write(s) through the API" in output
    assert "partners' base URL unchanged" in output
    assert up.process.poll() is None, "up keeps running after bringing the emulator back"

    back = up.cloud()
    assert back.base_url == cloud.base_url
    assert back.expect(200, "GET", "/refurb/workshops/workshop-saved", "admin")["name"] == "Atelier sauvé"
    assert back.call("GET", "/refurb/workshops/workshop-lost", "admin").status_code == 404
    back.expect(200, "PUT", "/refurb/workshops/workshop-after-crash", "admin", workshop("Atelier d'après"))
