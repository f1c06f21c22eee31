"""Upload an inventory spreadsheet (CSV) into a lot, follow the import, print its report.

    .venv/bin/python -m devtools.import_inventory FILE --lot LOT_ID [--base-url URL] [--key KEY]

With the warehouse's key (the default, dev-warehouse-key) the rows are received devices; with
a donor's key they are declared devices of its lot. The base URL defaults to the system that
`make up` runs (.build/localcloud.json). The file is sent as it is (application/octet-stream):
the service finds its encoding and separator. Uploading the same file again is harmless: it is
the same import. Exit status: 0 once the import is done (rejected rows are part of a normal
report), 1 if the upload is refused, 2 if the import is not done within --timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

import requests

BAR_WIDTH = 30
REJECTIONS_PAGE = 200


def default_base_url() -> str | None:
    from devtools.localcloud.__main__ import STATE_FILE

    return json.loads(STATE_FILE.read_text())["base_url"] if STATE_FILE.exists() else None


def progress_line(report: dict[str, Any], seconds: float) -> str:
    """'[██████░░░░]  62% 2,356/3,800 rows · 2,301 registered · 55 rejected · running · 12 s'"""
    counts = report["counts"]
    rows = counts["rows"] or 1
    handled = counts["rows"] - counts["pending"]
    filled = BAR_WIDTH * handled // rows
    return (f"[{'█' * filled}{'░' * (BAR_WIDTH - filled)}] {100 * handled // rows:3d}% "
            f"{handled:,}/{counts['rows']:,} rows · {counts['registered']:,} registered · "
            f"{counts['rejected']:,} rejected · {report['status']} · {seconds:.0f} s")


@dataclass
class Importer:
    base_url: str
    key: str
    out: TextIO = sys.stdout
    http: Any = None
    interval: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.http = self.http or requests.Session()

    def upload(self, data: bytes, lot_id: str) -> dict[str, Any]:
        response = self.http.request(
            "POST", f"{self.base_url}/intake/lots/{lot_id}/imports", data=data, timeout=60,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/octet-stream"},
        )
        if response.status_code not in (200, 202):
            raise UploadRefused(f"upload refused ({response.status_code}): {_message(response)}")
        return response.json()

    def report(self, import_id: str, cursor: str | None = None) -> dict[str, Any]:
        params = {"limit": REJECTIONS_PAGE, **({"cursor": cursor} if cursor else {})}
        response = self.http.request("GET", f"{self.base_url}/intake/imports/{import_id}", params=params,
                                     headers={"Authorization": f"Bearer {self.key}"}, timeout=30)
        response.raise_for_status()
        return response.json()

    def run(self, path: Path, lot_id: str, timeout: float) -> int:
        data = path.read_bytes()
        started = self.clock()
        try:
            job = self.upload(data, lot_id)
        except UploadRefused as refused:
            print(refused, file=self.out)
            return 1
        file = job["file"]
        again = "" if job["status"] == "queued" else " (this file was uploaded before: same import)"
        print(f"import {job['import_id']} into lot {lot_id}{again}", file=self.out)
        print(f"{path.name}: {file['bytes']:,} bytes, {file['encoding']}, separator {file['delimiter']!r}, "
              f"headers on row {file['header_row']}; {job['counts']['rows']:,} rows checked in "
              f"{self.clock() - started:.1f} s: {job['counts']['accepted']:,} accepted, "
              f"{job['counts']['rejected']:,} rejected", file=self.out)
        if file["ignored_columns"]:
            print(f"columns not used: {', '.join(file['ignored_columns'])}", file=self.out)
        job = self.follow(job, started, timeout)
        self.print_rejections(job)
        return 0 if job["status"] == "done" else 2

    def follow(self, job: dict[str, Any], started: float, timeout: float) -> dict[str, Any]:
        """Poll until done, redrawing one progress line (a line every few seconds when not a terminal)."""
        live, last_printed = self.out.isatty(), None
        while True:
            elapsed = self.clock() - started
            line = progress_line(job, elapsed)
            if live:
                print("\r" + line, end="", file=self.out, flush=True)
            elif job["status"] == "done" or last_printed is None or elapsed - last_printed >= 5:
                print(line, file=self.out, flush=True)
                last_printed = elapsed
            if job["status"] == "done" or elapsed > timeout:
                if live:
                    print(file=self.out)
                if job["status"] != "done":
                    print(f"not done after {timeout:.0f} s; follow it with GET /intake/imports/{job['import_id']}",
                          file=self.out)
                return job
            self.sleep(self.interval)
            job = self.report(job["import_id"])

    def print_rejections(self, job: dict[str, Any]) -> None:
        rejected, page = [], job
        while True:
            rejected += page["rejected_rows"]
            if not page["next_cursor"]:
                break
            page = self.report(job["import_id"], page["next_cursor"])
        if not rejected:
            print("every row was registered", file=self.out)
            return
        print(f"{len(rejected):,} rejected row(s):", file=self.out)
        for line in sorted(rejected, key=lambda r: r["row"]):
            print(f"  row {line['row']}: {line['reason']}", file=self.out)


class UploadRefused(Exception):
    pass


def _message(response) -> str:
    try:
        return response.json().get("message") or response.text
    except ValueError:
        return response.text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.import_inventory", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="the CSV export")
    parser.add_argument("--lot", required=True, help="the lot the devices belong to")
    parser.add_argument("--base-url", default=os.environ.get("BASE_URL"), help="the partners' base URL")
    parser.add_argument("--key", default="dev-warehouse-key", help="the partner's API key")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the import to finish")
    args = parser.parse_args(argv)
    base_url = args.base_url or default_base_url()
    if not base_url:
        parser.error("no --base-url and no running local cloud (.build/localcloud.json): start `make up` first")
    if not args.file.is_file():
        parser.error(f"{args.file}: no such file")
    return Importer(base_url.rstrip("/"), args.key).run(args.file, args.lot, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
