"""Sales figures in the terminal, from the sales API.

    .venv/bin/python -m devtools.sales_figures --since 2026-01-01 [--until 2026-12-31]
        [--key dev-admin-key] [--base-url URL]

The base URL defaults to the local cloud started by `make up` (.build/localcloud.json);
an administrator's key shows every point of sale, a point of sale's key only its own.
"""

from __future__ import annotations

import argparse
import json
import sys

import requests

from devtools.localcloud.paths import BUILD

COLUMNS = [("sales", "sales"), ("cancelled", "cancelled"), ("revenue_eur", "revenue €"),
           ("average_price_eur", "avg €"), ("handover_rate", "handed over"),
           ("accompaniment_booked_rate", "accomp. booked"), ("accompaniment_attended_rate", "attended")]


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.0%}"
    return str(value)


def table(title: str, rows: dict[str, dict]) -> str:
    header = [title] + [label for _, label in COLUMNS]
    lines = [header] + [[name] + [_cell(figures[key]) for key, _ in COLUMNS] for name, figures in rows.items()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.sales_figures")
    parser.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--key", default="dev-admin-key")
    parser.add_argument("--base-url")
    args = parser.parse_args(argv)
    base_url = args.base_url or json.loads((BUILD / "localcloud.json").read_text())["base_url"]
    params = {"since": args.since, **({"until": args.until} if args.until else {})}
    response = requests.get(f"{base_url}/sales/figures", params=params,
                            headers={"Authorization": f"Bearer {args.key}"}, timeout=30)
    if not response.ok:
        print(f"error {response.status_code}: {response.text}", file=sys.stderr)
        return 1
    body = response.json()
    print(f"sales from {body['since']} to {body['until']}\n")
    print(table("overall", {"all": body["overall"]}) + "\n")
    print(table("point of sale", body["by_point_of_sale"]) + "\n")
    print(table("category", body["by_category"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
