"""Start, probe and stop the emulator (ministack, in its own virtual environment)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from devtools.localcloud.paths import BUILD, LOCALCLOUD_VENV, SAVING_SERVER

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
SAVE_MARKER = "localcloud-saved.json"  # written by saving_server.py after each complete save


class LocalCloudError(Exception):
    """A problem the person running the local cloud can fix; the message says how."""


def is_healthy(endpoint: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return True
        except OSError:
            return False


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class Emulator:
    """A ministack process this tool started (and must stop).

    With a `state_dir`, ministack keeps its state there: reloaded at start, saved every
    `save_seconds` while something changes, and at a clean stop (saving_server.py). Without
    one, every start is empty."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    state_dir: Path | None = None
    save_seconds: float = 2.0
    process: subprocess.Popen | None = None
    tmpdir: Path | None = None
    log_path: Path | None = None

    def __post_init__(self) -> None:
        self.log_path = self.log_path or BUILD / f"localcloud-{self.port}.log"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, ready_timeout: float = 30.0, *, fresh: bool = False) -> None:
        """Start ministack; `fresh` first wipes the state kept in `state_dir`."""
        executable = LOCALCLOUD_VENV / "bin" / "ministack"
        if not executable.exists():
            raise LocalCloudError(f"{executable} is missing: run `make install` first")
        if not port_is_free(self.host, self.port):
            hint = (
                "something that answers like a local cloud is already there: stop it, or use it with "
                f"AWS_ENDPOINT_URL={self.endpoint}"
                if is_healthy(self.endpoint)
                else "another program holds it: stop it, or choose another port with LOCALCLOUD_PORT"
            )
            raise LocalCloudError(f"port {self.port} on {self.host} is busy; {hint}")
        BUILD.mkdir(exist_ok=True)
        # Functions run as ministack's subprocesses and unpack code under TMPDIR: give them a
        # folder of their own, removed on stop (ministack leaves its folders behind).
        self.tmpdir = Path(tempfile.mkdtemp(prefix="seconde-vie-localcloud-"))
        env = {
            **os.environ,
            "BIND_HOST": self.host,
            "GATEWAY_PORT": str(self.port),
            "TMPDIR": str(self.tmpdir),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        env.pop("AWS_ENDPOINT_URL", None)
        command = [str(executable)]
        if self.state_dir:
            if fresh:
                shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir.mkdir(parents=True, exist_ok=True)
            env |= {
                "PERSIST_STATE": "1", "STATE_DIR": str(self.state_dir),
                # S3 objects (function code, documents) are files of their own, written at once.
                "S3_PERSIST": "1", "S3_DATA_DIR": str(self.state_dir / "s3"),
                "LOCALCLOUD_SAVE_SECONDS": str(self.save_seconds),
            }
            # -P: the script's folder is not put first on sys.path (it holds modules of ours).
            command = [str(LOCALCLOUD_VENV / "bin" / "python"), "-P", str(SAVING_SERVER)]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalCloudError(f"the emulator exited at start (code {self.process.returncode}); see {self.log_path}")
            if is_healthy(self.endpoint, timeout=0.5):
                return
            time.sleep(0.1)
        self.stop()
        raise LocalCloudError(f"the emulator did not answer within {ready_timeout:.0f} s; see {self.log_path}")

    def exit_status(self) -> str | None:
        """None while it runs; once it has ended, how (for a message)."""
        if not self.process or self.process.poll() is None:
            return None
        code = self.process.returncode
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code}"

    def saves(self) -> dict | None:
        """When the state was last saved and how many changes were answered since (None: no answer)."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_localcloud/saves", timeout=1.0) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def last_save_on_disk(self) -> dict | None:
        """What the state folder holds: the last complete save, whether the emulator runs or not."""
        marker = self.state_dir / SAVE_MARKER if self.state_dir else None
        try:
            return json.loads(marker.read_text()) if marker else None
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        elif self.process:
            # It died on its own: its function workers (same process group) may live on.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
