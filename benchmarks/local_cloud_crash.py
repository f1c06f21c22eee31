"""What a `kill -9` of the emulator during a burst of receptions loses, with `make up`'s kept state.

    .venv/bin/python -m benchmarks.local_cloud_crash [seconds of burst before the kill]

Runs `python -m devtools.localcloud up --state-dir <tmp>` (what `make up` runs) on a free
port, registers the dev donor and a lot, then receives devices one after the other as the
warehouse; after the given seconds (default 5) it kills the emulator with SIGKILL while the
burst goes on. It then waits for `up` to bring the local cloud back and asks, for every
device answered 201, whether it is still there. Prints what `up` said and the counts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from devtools.localcloud.emulator import free_port
from devtools.localcloud.paths import ROOT
from devtools.thin_path import Partners, register_donor, wait_for


def device() -> dict:
    return {"serial_number": f"5CG{uuid.uuid4().hex[:7].upper()}", "make": "HP", "model": "EliteBook 840 G5",
            "device_type": "laptop", "specs": {"cpu_model": "i5-8250U", "ram_gb": 8,
                                               "drives": [{"kind": "nvme", "size_gb": 256}]}}


def main(burst_seconds: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="seconde-vie-crash-"))
    state_file, log_file = workdir / "running.json", workdir / "up.log"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env |= {"LOCALCLOUD_PORT": str(free_port()), "LOCALCLOUD_STATE_FILE": str(state_file), "PYTHONUNBUFFERED": "1"}
    with open(log_file, "w") as log:
        up = subprocess.Popen([sys.executable, "-m", "devtools.localcloud", "up", "--no-watch",
                               "--state-dir", str(workdir / "kept")], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for(state_file.exists, "the local cloud", timeout=180, interval=0.2)
        running = json.loads(state_file.read_text())
        partners = Partners(running["base_url"])
        register_donor(partners)
        lot = partners.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 5000, "pickup_site": "Entrepôt"})
        partners.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", device())  # warm

        confirmed: list[tuple[float, str]] = []
        stop = threading.Event()

        def burst() -> None:
            session = Partners(running["base_url"], requests.Session())
            while not stop.is_set():
                try:
                    response = session.call("POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", device())
                except requests.RequestException:
                    time.sleep(0.05)
                    continue
                if response.status_code == 201:
                    confirmed.append((time.time(), response.json()["device_id"]))

        sender = threading.Thread(target=burst)
        sender.start()
        time.sleep(burst_seconds)
        os.kill(running["emulator_pid"], signal.SIGKILL)
        killed_at = time.time()
        wait_for(lambda: "local cloud back" in log_file.read_text(), "the local cloud back", timeout=180)
        stop.set()
        sender.join()

        before_kill = [d for at, d in confirmed if at <= killed_at]
        kept = [d for d in before_kill
                if partners.call("GET", f"/intake/devices/{d}", "admin").status_code == 200]
        output = log_file.read_text()
        said = output[output.index("the emulator died"):]
        print("\n".join(line for line in said.splitlines()[:8] if not line.startswith("WARNING")))
        print(f"devices answered 201 before the kill: {len(before_kill)}; still there after: {len(kept)}; "
              f"lost: {len(before_kill) - len(kept)}")
        print(f"answered 201 after the restart, while the burst went on: {len(confirmed) - len(before_kill)}")
        return 0
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0))
