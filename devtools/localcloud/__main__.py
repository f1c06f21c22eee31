"""The local cloud's command line.

    python -m devtools.localcloud up         start the emulator, deploy, redeploy on change; Ctrl-C stops all
    python -m devtools.localcloud up --once  start and deploy, then stop (a smoke run)
    python -m devtools.localcloud deploy     (re)deploy to the cloud at AWS_ENDPOINT_URL (or 127.0.0.1:4566)

`AWS_ENDPOINT_URL` set and answering: that cloud is used (LocalStack, another ministack) and
nothing is started. `LOCALCLOUD_PORT` picks another port for the emulator started here.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from localstack_client.session import Session

from devtools.localcloud.deploy import Deployment, deploy
from devtools.localcloud.emulator import DEFAULT_HOST, DEFAULT_PORT, Emulator, LocalCloudError, is_healthy
from devtools.localcloud.paths import BUILD, SOURCE_DIRS, TEMPLATE

# Where tools find the running system (endpoint, partners' base URL, stack outputs).
STATE_FILE = Path(os.environ.get("LOCALCLOUD_STATE_FILE", BUILD / "localcloud.json"))


def partner_base_url(endpoint: str | None, deployment: Deployment) -> str:
    if endpoint:
        return f"{endpoint}/_aws/execute-api/{deployment.outputs['ApiId']}"
    return deployment.outputs["ApiUrl"]


def session_for(endpoint: str) -> Session:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    return Session(localstack_host=endpoint.split("://", 1)[1], region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def source_signature() -> tuple:
    files = [TEMPLATE]
    for folder in SOURCE_DIRS:
        files.extend(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists()))


def report(endpoint: str, deployment: Deployment) -> None:
    base_url = partner_base_url(endpoint, deployment)
    STATE_FILE.parent.mkdir(exist_ok=True)
    STATE_FILE.write_text(json.dumps({"endpoint": endpoint, "base_url": base_url, "outputs": deployment.outputs}, indent=2))
    print(f"stack {deployment.stack_name} ready in {deployment.seconds:.1f} s")
    print(f"local cloud endpoint: {endpoint}")
    print(f"partners' base URL: {base_url}")
    print("  e.g. curl -H 'Authorization: Bearer dev-admin-key' " + base_url + "/intake/health")


def watch(endpoint: str, session: Session) -> None:
    print("watching services/, shared/, gateway/ and template.yaml — Ctrl-C stops everything")
    last = source_signature()
    while True:
        time.sleep(0.5)
        current = source_signature()
        if current == last:
            continue
        last = current
        started = time.monotonic()
        try:
            deployment = deploy(session)
        except Exception as error:  # keep watching: the next save may fix it
            print(f"redeploy failed: {error}", file=sys.stderr)
            continue
        state = "live again" if deployment.changed else "unchanged"
        print(f"code change {state} in {time.monotonic() - started:.1f} s")


def _stop_on_signal(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C and a supervisor's stop both clean up; SIGINT is set explicitly because a shell
    # starting us in the background would otherwise have us ignore it.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    parser = argparse.ArgumentParser(prog="python -m devtools.localcloud")
    parser.add_argument("command", choices=["up", "deploy"])
    parser.add_argument("--once", action="store_true", help="with up: deploy, report and stop")
    parser.add_argument("--no-watch", action="store_true", help="with up: keep running but do not redeploy on change")
    args = parser.parse_args(argv)

    given_endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    emulator = None
    try:
        if given_endpoint or args.command == "deploy":
            endpoint = given_endpoint or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
            if not is_healthy(endpoint):
                raise LocalCloudError(f"no local cloud answers at {endpoint}")
            print(f"using the cloud at {endpoint}")
        else:
            emulator = Emulator(port=int(os.environ.get("LOCALCLOUD_PORT", DEFAULT_PORT)))
            started = time.monotonic()
            emulator.start()
            endpoint = emulator.endpoint
            print(f"emulator up at {endpoint} in {time.monotonic() - started:.1f} s (log: {emulator.log_path})")
        session = session_for(endpoint)
        report(endpoint, deploy(session))
        if args.command == "up" and not args.once:
            if args.no_watch:
                print("running — Ctrl-C stops everything")
                while True:
                    time.sleep(3600)
            watch(endpoint, session)
        return 0
    except LocalCloudError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping")
        return 0
    finally:
        if emulator:
            emulator.stop()
            STATE_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
