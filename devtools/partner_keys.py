"""Issue, list and revoke partners' API keys, as an administrator, over the partners' HTTP API.

    .venv/bin/python -m devtools.partner_keys issue --partner-id pos-brest --role point_of_sale --territory 29
    .venv/bin/python -m devtools.partner_keys list [--partner-id pos-brest]
    .venv/bin/python -m devtools.partner_keys revoke key_0123456789ab

The base URL defaults to the system `make up` runs (.build/localcloud.json). The
administrator's key is read from `--admin-key-file`, else from standard input when it is not
a terminal, else asked for (never an argument, a URL or an environment variable); locally it
is `dev-admin-key`. An issued key is printed once: it is stored only as a hash.

The first administrator key of a new deployment cannot be issued over HTTP (no one holds a key
yet): `bootstrap` writes one, hashed, straight into the stack's key table with boto3 and the
operator's AWS credentials:

    .venv/bin/python -m devtools.partner_keys bootstrap --stack seconde-vie --partner-id association-admin
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import requests

ROLES = ["donor", "warehouse", "workshop", "referrer", "point_of_sale", "admin"]
COLUMNS = ["key_id", "partner_id", "role", "territory", "status", "issued_at", "issued_by", "revoked_at", "label"]


def default_base_url() -> str | None:
    from devtools.localcloud.__main__ import STATE_FILE

    return json.loads(STATE_FILE.read_text())["base_url"] if STATE_FILE.exists() else None


def read_admin_key(path: Path | None, stdin: TextIO = sys.stdin) -> str:
    if path is not None:
        return path.read_text().strip()
    if not stdin.isatty():
        return stdin.readline().strip()
    return getpass.getpass("administrator's API key: ").strip()


def table(records: list[dict[str, Any]], columns: list[str] = COLUMNS) -> str:
    rows = [columns] + [[str(record.get(c) or "") for c in columns] for record in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


class AccessClient:
    """The gateway's /access routes, called with an administrator's key: a refusal ends the
    command with the route's message."""

    def __init__(self, base_url: str, admin_key: str, http: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {admin_key}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base_url}/access{path}", timeout=30, **kwargs)
        if not response.ok:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise SystemExit(f"{method} /access{path} → {response.status_code}: {message}")
        return response.json()


class KeysClient(AccessClient):
    """The /access/keys routes."""

    def issue(self, partner_id: str, role: str, territory: str, label: str) -> dict[str, Any]:
        return self._call("POST", "/keys", json={"partner_id": partner_id, "role": role, "territory": territory,
                                                 "label": label})

    def list(self, partner_id: str | None) -> list[dict[str, Any]]:
        """Every key (of one partner), following the pages."""
        keys: list[dict[str, Any]] = []
        params: dict[str, Any] = {"partner_id": partner_id} if partner_id else {}
        while True:
            page = self._call("GET", "/keys", params={**params, "limit": 200})
            keys += page["items"]
            if not page["next_cursor"]:
                return keys
            params["cursor"] = page["next_cursor"]

    def revoke(self, key_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"/keys/{key_id}")


def print_issued(issued: dict[str, Any], out: TextIO) -> None:
    record = {k: v for k, v in issued.items() if k != "key"}
    print(table([record]), file=out)
    print(f"\nkey (shown once — give it to the partner now; it is stored only as a hash):\n{issued['key']}", file=out)


def bootstrap(stack: str | None, table_name: str | None, partner_id: str, label: str, out: TextIO) -> int:
    """The first administrator key, written with the operator's AWS credentials (boto3)."""
    import boto3

    from devtools.gateway_keys import PartnerKeyStore

    if not table_name:
        stack_outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
        table_name = next(o["OutputValue"] for o in stack_outputs if o["OutputKey"] == "PartnerKeysTableName")
    secret, key = PartnerKeyStore(table_name, client=boto3.client("dynamodb")).issue(
        partner_id, "admin", "", issued_by="bootstrap", label=label)
    print_issued({**key.view(), "key": secret}, out)
    return 0


def parser() -> argparse.ArgumentParser:
    # No abbreviations: `--admin-key <key>` must not pass for `--admin-key-file`.
    cli = argparse.ArgumentParser(prog="python -m devtools.partner_keys", description=__doc__.split("\n")[0],
                                  allow_abbrev=False)
    cli.add_argument("--base-url", default=os.environ.get("BASE_URL"), help="the partners' base URL")
    cli.add_argument("--admin-key-file", type=Path, help="a file holding the administrator's API key")
    commands = cli.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="issue a key (printed once)")
    issue.add_argument("--partner-id", required=True)
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--territory", default="", help="the partner's département, e.g. 35 (none for an admin)")
    issue.add_argument("--label", default="", help="what the key is for, e.g. 'asset tool'")
    listing = commands.add_parser("list", help="the keys, never their secret")
    listing.add_argument("--partner-id")
    revoke = commands.add_parser("revoke", help="revoke a key by its key id")
    revoke.add_argument("key_id")
    first = commands.add_parser("bootstrap", help="write the first administrator key straight into the table")
    where = first.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="the stack whose PartnerKeysTableName output names the table")
    where.add_argument("--table", help="the key table's name")
    first.add_argument("--partner-id", required=True)
    first.add_argument("--label", default="first administrator key")
    return cli


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, stdin: TextIO = sys.stdin) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.command == "bootstrap":
        return bootstrap(args.stack, args.table, args.partner_id, args.label, out)
    base_url = args.base_url or default_base_url()
    if not base_url:
        cli.error("no --base-url and no running local cloud (.build/localcloud.json): start `make up` first")
    client = KeysClient(base_url, read_admin_key(args.admin_key_file, stdin))
    if args.command == "issue":
        print_issued(client.issue(args.partner_id, args.role, args.territory, args.label), out)
    elif args.command == "list":
        print(table(client.list(args.partner_id)), file=out)
    else:
        print(table([client.revoke(args.key_id)]), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
