"""Create, list, disable and enable people's portal accounts, as an administrator, over /access/people.

    .venv/bin/python -m devtools.people create --email a.martin@ccas-rennes.fr --role referrer --partner-id social-services-35 --territory 35
    .venv/bin/python -m devtools.people list [--partner-id social-services-35] [--role referrer]
    .venv/bin/python -m devtools.people disable a.martin@ccas-rennes.fr
    .venv/bin/python -m devtools.people enable a.martin@ccas-rennes.fr
    .venv/bin/python -m devtools.people reset-password a.martin@ccas-rennes.fr

Like devtools/partner_keys.py: the base URL defaults to the system `make up` runs, and the
administrator's API key is read from `--admin-key-file`, else standard input, else asked for
(never an argument). A temporary password is printed once, on creation and reset: give it to
the person, who chooses their own at their first login. A person is named by their e-mail here;
the CLI finds their account in the list, so that no e-mail is ever put in a URL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from devtools.partner_keys import ROLES, AccessClient, default_base_url, read_admin_key, table

COLUMNS = ["email", "role", "partner_id", "territory", "status", "password_status", "created_at", "username"]


class PeopleClient(AccessClient):
    """The /access/people routes."""

    def create(self, email: str, role: str, partner_id: str, territory: str) -> dict[str, Any]:
        return self._call("POST", "/people", json={"email": email, "role": role, "partner_id": partner_id,
                                                   "territory": territory})

    def list(self, partner_id: str | None = None, role: str | None = None) -> list[dict[str, Any]]:
        """Every account (of one partner, one role), following the pages."""
        people: list[dict[str, Any]] = []
        params: dict[str, Any] = {k: v for k, v in {"partner_id": partner_id, "role": role}.items() if v}
        while True:
            page = self._call("GET", "/people", params={**params, "limit": 200})
            people += page["items"]
            if not page["next_cursor"]:
                return people
            params["cursor"] = page["next_cursor"]

    def username_of(self, email: str) -> str:
        matches = [p["username"] for p in self.list() if p["email"] == email.strip().lower()]
        if not matches:
            raise SystemExit(f"no account has the e-mail {email}")
        return matches[0]

    def disable(self, email: str) -> dict[str, Any]:
        return self._call("POST", f"/people/{self.username_of(email)}/disable")

    def enable(self, email: str) -> dict[str, Any]:
        return self._call("POST", f"/people/{self.username_of(email)}/enable")

    def reset_password(self, email: str) -> dict[str, Any]:
        return self._call("POST", f"/people/{self.username_of(email)}/password-reset")


def print_people(people: list[dict[str, Any]], out: TextIO) -> None:
    print(table([{c: p.get(c) for c in COLUMNS} for p in people], COLUMNS), file=out)


def print_with_password(person: dict[str, Any], out: TextIO) -> None:
    print_people([person], out)
    print("\ntemporary password (shown once — give it to the person now; they choose their own at their first "
          f"login):\n{person['temporary_password']}", file=out)


def parser() -> argparse.ArgumentParser:
    # No abbreviations: `--admin-key <key>` must not pass for `--admin-key-file`.
    cli = argparse.ArgumentParser(prog="python -m devtools.people", description=__doc__.split("\n")[0],
                                  allow_abbrev=False)
    cli.add_argument("--base-url", help="the partners' base URL (default: the local cloud `make up` runs)")
    cli.add_argument("--admin-key-file", type=Path, help="a file holding the administrator's API key")
    commands = cli.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account (its temporary password printed once)")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--partner-id", required=True)
    create.add_argument("--territory", default="", help="the partner's département, e.g. 35 (none for an admin)")
    listing = commands.add_parser("list", help="the accounts, never a password")
    listing.add_argument("--partner-id")
    listing.add_argument("--role", choices=ROLES)
    for command, what in [("disable", "refuse the person's logins and end every session"),
                          ("enable", "let the person log in again"),
                          ("reset-password", "a new temporary password (printed once); every session ends")]:
        commands.add_parser(command, help=what).add_argument("email")
    return cli


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, stdin: TextIO = sys.stdin) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    base_url = args.base_url or default_base_url()
    if not base_url:
        cli.error("no --base-url and no running local cloud (.build/localcloud.json): start `make up` first")
    client = PeopleClient(base_url, read_admin_key(args.admin_key_file, stdin))
    if args.command == "create":
        print_with_password(client.create(args.email, args.role, args.partner_id, args.territory), out)
    elif args.command == "list":
        print_people(client.list(args.partner_id, args.role), out)
    elif args.command == "reset-password":
        print_with_password(client.reset_password(args.email), out)
    else:
        print_people([getattr(client, args.command)(args.email)], out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
