"""A workshop's figures from the command line, through the partners' HTTP API.

    .venv/bin/python -m devtools.workshop_figures --workshop workshop-rennes [--since 2026-11-01] [--until …]
        [--base-url URL] [--key API_KEY] [--json]

The key is the workshop's own (it sees its own figures) or an administrator's (any workshop):
`--key`, else $SECONDE_VIE_API_KEY, else the local administrator key of devtools/dev-partners.json.
The URL is `--base-url`, else $SECONDE_VIE_BASE_URL, else the local cloud started by `make up`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import requests

from devtools.localcloud.paths import BUILD

LOCAL_ADMIN_KEY = "dev-admin-key"


def fetch(base_url: str, key: str, workshop: str, since: str | None, until: str | None) -> requests.Response:
    query = {k: v for k, v in (("since", since), ("until", until)) if v}
    return requests.get(f"{base_url}/refurb/workshops/{workshop}/figures", params=query,
                        headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def render(figures: dict[str, Any]) -> str:
    rate = figures["scrap_rate"]
    lines = [
        f"Workshop {figures['workshop_id']}, {figures['since']} to {figures['until']}",
        f"  devices ready      {figures['devices_ready']}  ({figures['devices_per_day']} per day)",
        f"  devices scrapped   {figures['devices_scrapped']}  (scrap rate {'-' if rate is None else f'{rate:.1%}'})",
        f"  warranty repairs   {figures['warranty_repairs']}",
        "  median time per step:",
        *(f"    {step:<13} {_duration(seconds)}" for step, seconds in figures["median_seconds_per_step"].items()),
        "  per day (ready / scrapped):",
        *(f"    {day['date']}  {day['ready']} / {day['scrapped']}" for day in figures["per_day"]
          if day["ready"] or day["scrapped"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.workshop_figures", description=__doc__.split("\n")[0])
    parser.add_argument("--workshop", required=True, help="the workshop's partner id, e.g. workshop-rennes")
    parser.add_argument("--since", help="first day, YYYY-MM-DD (default: 30 days ago)")
    parser.add_argument("--until", help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--base-url", default=os.environ.get("SECONDE_VIE_BASE_URL"))
    parser.add_argument("--key", default=os.environ.get("SECONDE_VIE_API_KEY", LOCAL_ADMIN_KEY))
    parser.add_argument("--json", action="store_true", help="print the API's JSON as is")
    args = parser.parse_args(argv)

    base_url = args.base_url
    if not base_url:
        state = BUILD / "localcloud.json"
        if not state.exists():
            parser.error("no --base-url and no local cloud running (start one with `make up`)")
        base_url = json.loads(state.read_text())["base_url"]

    response = fetch(base_url.rstrip("/"), args.key, args.workshop, args.since, args.until)
    if not response.ok:
        print(f"{response.status_code}: {response.text}", file=sys.stderr)
        return 1
    print(json.dumps(response.json(), indent=2) if args.json else render(response.json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
