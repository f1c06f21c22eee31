"""The import command: uploads a file, shows the job's progress, prints the rejected rows.

Its HTTP calls go to intake's Lambda handler in process; each wait lets the import worker
take one chunk off the queue, so the progress moves as it does against the local cloud.
"""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import urlsplit

import pytest

from devtools.import_inventory import Importer, main, progress_line
from devtools.localcloud.paths import DEV_PARTNERS
from intake import imports as import_service
from intake.handlers import api
from tests.unit.intake.conftest import queued_messages, run_worker
from tests.unit.intake.test_inventory import csv_file, row
from tests.unit.support import LambdaContext, http_event

PARTNERS = json.loads(DEV_PARTNERS.read_text())


class InProcessHttp:
    """requests.Session's `request`, answered by intake's API handler."""

    def __init__(self):
        self.calls = []

    def request(self, method, url, *, data=None, params=None, headers=None, timeout=None):
        partner = PARTNERS[headers["Authorization"].removeprefix("Bearer ")]
        event = http_event(method, urlsplit(url).path, partner["role"], partner_id=partner["partner_id"],
                           headers={"content-type": headers.get("Content-Type", "application/json")})
        if data is not None:
            event["body"], event["isBase64Encoded"] = base64.b64encode(data).decode(), True
        if params:
            event["queryStringParameters"] = {k: str(v) for k, v in params.items()}
        self.calls.append(f"{method} {urlsplit(url).path}")
        return _Response(api.handler(event, LambdaContext()))


class _Response:
    def __init__(self, raw):
        self.status_code, self.text = raw["statusCode"], raw["body"]

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        assert self.status_code < 400, self.text


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def command(lot_id, sqs, import_queue, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    clock = [0.0]

    def wait(seconds):  # while the command waits, the worker takes one chunk
        clock[0] += 3
        messages = queued_messages(sqs, import_queue)
        run_worker(messages[:1])
        for m in messages[1:]:
            sqs.send_message(QueueUrl=import_queue, MessageBody=m["Body"])

    def make(out):
        return Importer("https://api.example", "dev-warehouse-key", out=out, http=InProcessHttp(), sleep=wait,
                        clock=lambda: clock[0])

    return make


def test_the_command_uploads_follows_the_job_and_prints_the_rejected_rows(command, lot_id, tmp_path):
    path = tmp_path / "inventaire.csv"
    path.write_bytes(csv_file([row("5CG1"), row(""), row("5CG2"), row("5CG3"), row("5CG1"), row("5CG4")]))
    out = io.StringIO()

    status = command(out).run(path, lot_id, timeout=600)

    assert status == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("import imp-") and lines[0].endswith(f"into lot {lot_id}")
    assert "inventaire.csv:" in lines[1] and "cp1252, separator ';'" in lines[1]
    assert lines[1].endswith("6 rows checked in 0.0 s: 4 accepted, 2 rejected")
    progress = [line for line in lines if line.startswith("[")]
    assert progress[0].endswith(" 33% 2/6 rows · 0 registered · 2 rejected · queued · 0 s")
    assert progress[-1] == "[" + "█" * 30 + "] 100% 6/6 rows · 4 registered · 2 rejected · done · 6 s"
    assert lines[-3:] == ["2 rejected row(s):", "  row 3: missing serial number",
                          "  row 6: serial 5CG1 (HP) duplicates row 2"]


def test_on_a_terminal_the_progress_bar_is_redrawn_in_place(command, lot_id, tmp_path):
    path = tmp_path / "inventaire.csv"
    path.write_bytes(csv_file([row(f"5CG{n}") for n in range(6)]))
    out = _Terminal()

    assert command(out).run(path, lot_id, timeout=600) == 0

    redrawn = out.getvalue().split("\r")
    assert len(redrawn) >= 4  # one drawing per poll: queued, then a chunk at a time
    assert "0/6 rows" in redrawn[1] and "6/6 rows · 6 registered" in redrawn[-1]
    assert out.getvalue().rstrip().endswith("every row was registered")


def test_a_refused_upload_ends_the_command_with_the_reason(command, lot_id, tmp_path):
    path = tmp_path / "inventaire.csv"
    path.write_bytes(csv_file([row()], headers=["Marque", "Modèle"]))
    out = io.StringIO()

    assert command(out).run(path, lot_id, timeout=600) == 1
    assert out.getvalue().startswith("upload refused (422): file: no header row naming the serial number")


def test_the_progress_line_counts_rows_handled_either_way():
    report = {"status": "running", "counts": {"rows": 3800, "accepted": 3750, "rejected": 55, "registered": 2301,
                                              "pending": 1444}}
    assert progress_line(report, 12.4) == (
        "[" + "█" * 18 + "░" * 12 + "]  62% 2,356/3,800 rows · 2,301 registered · 55 rejected · running · 12 s")


def test_without_a_base_url_or_a_running_system_the_command_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setattr("devtools.import_inventory.default_base_url", lambda: None)
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "x.csv"), "--lot", "l-1"])
    assert exit_.value.code == 2
    assert "start `make up` first" in capsys.readouterr().err
