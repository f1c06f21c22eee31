"""The local cloud's command line.

    python -m devtools.localcloud up         start the emulator, deploy, redeploy on change; Ctrl-C stops all
    python -m devtools.localcloud up --once  start and deploy, then stop (a smoke run)
    python -m devtools.localcloud up --state-dir .localcloud [--fresh]
                                             keep the emulator's state there (`make up`; --fresh: wipe it first)
    python -m devtools.localcloud deploy     (re)deploy to the cloud at AWS_ENDPOINT_URL (or 127.0.0.1:LOCALCLOUD_PORT)

`AWS_ENDPOINT_URL` set and answering: that cloud is used (LocalStack, another ministack) and
nothing is started. `LOCALCLOUD_PORT` picks another port for the emulator started here (4566).
Without --state-dir every start is empty (what the tests want). While `up` runs it watches the
emulator: if it dies, it says when the state was last saved, restarts it and redeploys.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Callable

from localstack_client.session import Session

from devtools.localcloud.deploy import Deployment, deploy
from devtools.localcloud.emulator import DEFAULT_HOST, DEFAULT_PORT, Emulator, LocalCloudError, is_healthy
from devtools.localcloud.paths import BUILD, SOURCE_DIRS, TEMPLATE
from devtools.localcloud.supervise import Supervisor, describe_restored

# Where tools find the running system (endpoint, partners' base URL, stack outputs).
STATE_FILE = Path(os.environ.get("LOCALCLOUD_STATE_FILE", BUILD / "localcloud.json"))


def partner_base_url(endpoint: str | None, deployment: Deployment) -> str:
    if endpoint:
        return f"{endpoint}/_aws/execute-api/{deployment.outputs['ApiId']}"
    return deployment.outputs["ApiUrl"]


def portal_url(endpoint: str | None, deployment: Deployment) -> str:
    """The people's pages. Locally at the API's host name under `localhost` (browsers resolve
    `*.localhost`), so that the pages' absolute links work as on AWS, where the API is the origin."""
    if endpoint:
        scheme, host = endpoint.split("://", 1)
        port = host.rsplit(":", 1)[-1]
        return f"{scheme}://{deployment.outputs['ApiId']}.execute-api.localhost:{port}/portal"
    return deployment.outputs["PortalUrl"]


def session_for(endpoint: str) -> Session:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    return Session(localstack_host=endpoint.split("://", 1)[1], region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def source_signature() -> tuple:
    files = [TEMPLATE]
    for folder in SOURCE_DIRS:
        # Python anywhere; for the portal its templates, words and assets too
        pattern = "*" if folder.name == "portal" else "*.py"
        files.extend(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists()))


def report(endpoint: str, deployment: Deployment, *, emulator: Emulator | None = None,
           previous_base_url: str | None = None) -> str:
    base_url = partner_base_url(endpoint, deployment)
    STATE_FILE.parent.mkdir(exist_ok=True)
    running = {"endpoint": endpoint, "base_url": base_url, "portal_url": portal_url(endpoint, deployment),
               "outputs": deployment.outputs}
    if emulator and emulator.process:
        running["emulator_pid"] = emulator.process.pid
    # Whole or absent: tools and tests wait for this file to appear, then read it.
    partial = STATE_FILE.with_name(STATE_FILE.name + ".tmp")
    partial.write_text(json.dumps(running, indent=2))
    partial.replace(STATE_FILE)
    print(f"stack {deployment.stack_name} ready in {deployment.seconds:.1f} s")
    print(f"local cloud endpoint: {endpoint}")
    if previous_base_url and previous_base_url != base_url:
        print(f"the partners' base URL CHANGED (was {previous_base_url}): {base_url}")
        return base_url
    if previous_base_url:
        print(f"partners' base URL unchanged: {base_url}")
        return base_url
    print(f"partners' base URL: {base_url}")
    print("  e.g. curl -H 'Authorization: Bearer dev-admin-key' " + base_url + "/intake/health")
    print(f"portal (people's pages): {running['portal_url']}  (dev people: devtools/dev-people.json)")
    return base_url


def watch_sources(session: Session) -> Callable[[], None]:
    """A check to call often: redeploys when the code or the template changed since the last call."""
    last = source_signature()

    def check() -> None:
        nonlocal last
        current = source_signature()
        if current == last:
            return
        last = current
        started = time.monotonic()
        try:
            deployment = deploy(session)
        except Exception as error:  # keep watching: the next save may fix it
            print(f"redeploy failed: {error}", file=sys.stderr)
            return
        state = "live again" if deployment.changed else "unchanged"
        print(f"code change {state} in {time.monotonic() - started:.1f} s")

    return check


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
    parser.add_argument("--state-dir", type=Path, help="with up: keep the emulator's state in this folder")
    parser.add_argument("--fresh", action="store_true", help="with --state-dir: wipe the kept state first")
    parser.add_argument("--save-seconds", type=float, default=2.0,
                        help="with --state-dir: save the state this often while it changes (2 s)")
    args = parser.parse_args(argv)
    port = int(os.environ.get("LOCALCLOUD_PORT", DEFAULT_PORT))

    given_endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    emulator = None
    try:
        if given_endpoint or args.command == "deploy":
            endpoint = given_endpoint or f"http://{DEFAULT_HOST}:{port}"
            if not is_healthy(endpoint):
                raise LocalCloudError(f"no local cloud answers at {endpoint}")
            print(f"using the cloud at {endpoint}")
        else:
            # One folder per port: the state holds URLs with the port in them.
            state_dir = args.state_dir.resolve() / f"port-{port}" if args.state_dir else None
            emulator = Emulator(port=port, state_dir=state_dir, save_seconds=args.save_seconds)
            started = time.monotonic()
            emulator.start(fresh=args.fresh)
            endpoint = emulator.endpoint
            print(f"emulator up at {endpoint} in {time.monotonic() - started:.1f} s (log: {emulator.log_path})")
        session = session_for(endpoint)
        if emulator and emulator.state_dir:
            print(describe_restored(emulator, session))
        base_url = report(endpoint, deploy(session), emulator=emulator)
        if args.command == "up" and not args.once:
            checks = []
            if emulator:
                def back(deployment: Deployment) -> None:
                    report(endpoint, deployment, emulator=emulator, previous_base_url=base_url)
                checks.append(Supervisor(emulator, session, on_back=back).check)
            if args.no_watch:
                print("running — Ctrl-C stops everything")
            else:
                print("watching services/, shared/, gateway/ and template.yaml — Ctrl-C stops everything")
                checks.append(watch_sources(session))
            while True:
                time.sleep(0.5)
                for check in checks:
                    check()
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
