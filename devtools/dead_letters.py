"""What waits in the dead-letter queues, and moving it back to its queue, as an administrator.

    make redrive                                   every dead-letter queue: count, and each message's
                                                   event type, event id, error, deliveries, age
    make redrive ARGS='allocation'                 one queue (up to --limit messages, 50 at most)
    make redrive ARGS='allocation --move'          move its messages back to allocation's queue
    make redrive ARGS='--all --move'               every queue that has messages

It calls the operations API (`/operations/dead-letters`, docs/operations.md) over HTTP, like
`make keys`: no AWS credentials needed, the same checks as any administrator's call. The base URL
defaults to the system `make up` runs (.build/localcloud.json). The administrator's key comes from
`--admin-key-file`; else, against that local cloud, it is its development administrator's
(devtools/dev-partners.json); else it is read from standard input when it is not a terminal, or
asked for (never an argument, a URL or an environment variable).

A move by receive, send and delete (the local cloud) stops after about 20 s per call and says what
remains; this command calls again until nothing it was asked to move remains.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import requests

from devtools.localcloud.paths import DEV_PARTNERS
from devtools.partner_keys import default_base_url, read_admin_key

COLUMNS = ["event_type", "event_id", "error", "error_message", "receive_count", "age_seconds"]
MAX_CALLS = 50  # each call moves up to ~20 s worth: a backlog far larger is a job for StartMessageMoveTask on AWS


def local_admin_key() -> str:
    partners = json.loads(DEV_PARTNERS.read_text())
    return next(key for key, partner in partners.items() if partner["role"] == "admin")


class OperationsClient:
    def __init__(self, base_url: str, admin_key: str, http: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {admin_key}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base_url}/operations{path}", timeout=60, **kwargs)
        if not response.ok:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise SystemExit(f"{method} /operations{path} → {response.status_code}: {message}")
        return response.json()

    def dead_letters(self, queue: str | None, limit: int) -> list[dict[str, Any]]:
        params = {"limit": limit} | ({"queue": queue} if queue else {})
        return self._call("GET", "/dead-letters", params=params)["queues"]

    def redrive(self, queue: str) -> dict[str, Any]:
        return self._call("POST", f"/dead-letters/{queue}/redrive")


def show(queues: list[dict[str, Any]], out: TextIO) -> None:
    for queue in queues:
        in_flight = f", {queue['in_flight']} being looked at or moved" if queue["in_flight"] else ""
        print(f"{queue['queue']}: {queue['waiting']} waiting{in_flight}", file=out)
        if not queue["messages"]:
            continue
        rows = [COLUMNS] + [[str(m.get(c) if m.get(c) is not None else "") for c in COLUMNS] for m in queue["messages"]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
        for row in rows:
            print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), file=out)
        if queue["waiting"] > len(queue["messages"]):
            print(f"  … and {queue['waiting'] - len(queue['messages'])} more", file=out)


def move(client: OperationsClient, queue: str, out: TextIO) -> dict[str, Any]:
    outcome = client.redrive(queue)
    if outcome["method"] == "message-move-task":
        print(f"{queue}: move task {outcome['task_handle']} started for {outcome['to_move']} message(s)", file=out)
        return outcome
    moved, asked = outcome["moved"], outcome["to_move"]
    for _ in range(MAX_CALLS):
        if moved >= asked or not outcome["moved"]:
            break
        outcome = client.redrive(queue)
        moved += outcome["moved"]
    print(f"{queue}: {moved} of {asked} moved back to its queue; {outcome['remaining']} waiting now", file=out)
    return outcome


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m devtools.dead_letters", description=__doc__.split("\n")[0],
                                  allow_abbrev=False)
    cli.add_argument("queue", nargs="?", help="one dead-letter queue: intake, intake-import, refurb, allocation, sales")
    cli.add_argument("--move", action="store_true", help="move the queue's messages back to the queue they came from")
    cli.add_argument("--all", action="store_true", help="with --move: every queue that has messages")
    cli.add_argument("--limit", type=int, default=10, help="messages shown per queue (at most 50)")
    cli.add_argument("--base-url", default=os.environ.get("BASE_URL"), help="the partners' base URL")
    cli.add_argument("--admin-key-file", type=Path, help="a file holding the administrator's API key")
    return cli


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, stdin: TextIO = sys.stdin) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.move and not (args.queue or args.all):
        cli.error("--move needs a queue, or --all")
    local = not args.base_url
    base_url = args.base_url or default_base_url()
    if not base_url:
        cli.error("no --base-url and no running local cloud (.build/localcloud.json): start `make up` first")
    if args.admin_key_file or not local:
        admin_key = read_admin_key(args.admin_key_file, stdin)
    else:
        admin_key = local_admin_key()  # the local cloud's development administrator
    client = OperationsClient(base_url, admin_key)
    if args.move:
        targets = [args.queue] if args.queue else [q["queue"] for q in client.dead_letters(None, 0) if q["waiting"]]
        for queue in targets:
            move(client, queue, out)
        if not targets:
            print("no dead letters", file=out)
        return 0
    show(client.dead_letters(args.queue, args.limit), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
