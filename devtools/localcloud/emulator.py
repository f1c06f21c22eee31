"""Start, probe and stop the emulator (ministack, in its own virtual environment)."""

from __future__ import annotations

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

from devtools.localcloud.paths import BUILD, LOCALCLOUD_VENV

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566


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
    """A ministack process this tool started (and must stop)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    process: subprocess.Popen | None = None
    tmpdir: Path | None = None
    log_path: Path | None = None

    def __post_init__(self) -> None:
        self.log_path = self.log_path or BUILD / f"localcloud-{self.port}.log"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, ready_timeout: float = 30.0) -> None:
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
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(executable)], env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalCloudError(f"the emulator exited at start (code {self.process.returncode}); see {self.log_path}")
            if is_healthy(self.endpoint, timeout=0.5):
                return
            time.sleep(0.1)
        self.stop()
        raise LocalCloudError(f"the emulator did not answer within {ready_timeout:.0f} s; see {self.log_path}")

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
        self.process = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
