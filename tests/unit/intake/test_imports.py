"""Bulk inventory imports through the API and the import worker: checked whole, registered by a
job, idempotent, reported row by row."""

from __future__ import annotations

import base64
import json

import pytest

from intake import imports as import_service
from intake.handlers import api
from shared.events import open_envelope
from tests.unit.intake.conftest import LOT, get, queued_messages, run_worker
from tests.unit.intake.test_api import device
from tests.unit.intake.test_inventory import FRENCH_HEADERS, csv_file, row
from tests.unit.support import ROLE_PARTNERS, HttpResult, LambdaContext, all_items, call, http_event, items_with_prefix, \
    outbox_envelopes_in

DECLARATION_HEADERS = ["N° de série", "Marque", "Modèle", "N° d'inventaire", "Type", "Date d'acquisition"]


def upload(lot_id: str, data: bytes, role: str = "warehouse", *, as_text: bool = False, **kwargs) -> HttpResult:
    """POST the file as the HTTP API delivers it: binary bodies base64-encoded, text ones decoded."""
    content_type = "text/csv" if as_text else "application/octet-stream"
    body = data.decode("utf-8", errors="replace") if as_text else base64.b64encode(data).decode()
    headers = {"content-type": content_type, **kwargs.pop("headers", {})}
    event = http_event("POST", f"/intake/lots/{lot_id}/imports", role, body, headers=headers, **kwargs)
    event["isBase64Encoded"] = not as_text
    response = api.handler(event, LambdaContext())
    return HttpResult(response["statusCode"], json.loads(response["body"]))


def report(import_id: str, role: str = "warehouse", **query) -> dict:
    response = get(api.handler, f"/intake/imports/{import_id}", role, query or None)
    assert response.status == 200, response.body
    return response.body


def devices(dynamodb) -> list[dict]:
    return [i for i in items_with_prefix(dynamodb, "DEVICE#") if i["sk"] == "DEVICE"]


def mixed_reception_file() -> bytes:
    """12 rows: 9 good ones, one duplicate, one without serial, one printer."""
    rows = [row(f"5CG00{n:02d}") for n in range(9)]
    rows.insert(3, row("5CG0001"))  # row 5: the same device as row 3
    rows.insert(6, row(""))  # row 8
    rows.append(row("5CG0099", kind="Imprimante"))  # row 13
    return csv_file(rows)


def test_the_warehouse_imports_its_reception_and_every_accepted_row_becomes_a_received_device(
        lot_id, dynamodb, sqs, import_queue):
    response = upload(lot_id, mixed_reception_file(), headers={"X-Correlation-Id": "reception-2026-11"})

    assert response.status == 202, response.body
    job = response.body
    assert (job["kind"], job["status"]) == ("reception", "queued")
    assert job["counts"] == {"rows": 12, "accepted": 9, "rejected": 3, "registered": 0, "pending": 9}
    assert [(r["row"], r["reason"]) for r in job["rejected_rows"]] == [
        (5, "serial 5CG0001 (HP) duplicates row 3"),
        (8, "missing serial number"),
        (13, "unknown device type 'Imprimante' (expected laptop, desktop, tablet or phone, e.g. 'PC portable', "
             "'Unité centrale')"),
    ]
    assert (job["file"]["encoding"], job["file"]["delimiter"]) == ("cp1252", ";")
    assert devices(dynamodb) == []  # checked now, registered by the job

    assert run_worker(queued_messages(sqs, import_queue)) == []

    done = report(job["import_id"])
    assert (done["status"], done["counts"]) == (
        "done", {"rows": 12, "accepted": 9, "rejected": 3, "registered": 9, "pending": 0})
    registered = devices(dynamodb)
    assert sorted(d["serial_number"] for d in registered) == [f"5CG00{n:02d}" for n in range(9)]
    assert {d["status"] for d in registered} == {"received"}
    assert len({d["label_code"] for d in registered}) == 9
    assert {d["imported_from"]["import_id"] for d in registered} == {job["import_id"]}
    events = [open_envelope(e) for e in outbox_envelopes_in(dynamodb, "DeviceReceived")]
    assert sorted(e.device_id for e in events) == sorted(d["device_id"] for d in registered)
    assert {e.provenance.territory for e in events} == {"35"}
    assert {e.correlation_id for e in outbox_envelopes_in(dynamodb)} == {"reception-2026-11"}


def test_the_same_file_uploaded_twice_is_the_same_import_and_registers_nothing_twice(
        lot_id, dynamodb, sqs, import_queue):
    data = mixed_reception_file()
    first = upload(lot_id, data)
    again_before_the_job = upload(lot_id, data)
    assert again_before_the_job.status == 200
    assert again_before_the_job.body["import_id"] == first.body["import_id"]
    run_worker(queued_messages(sqs, import_queue))
    before = all_items(dynamodb)

    again = upload(lot_id, data)

    assert (again.status, again.body["import_id"], again.body["status"]) == (200, first.body["import_id"], "done")
    assert queued_messages(sqs, import_queue) == []
    assert all_items(dynamodb) == before


def test_a_serial_already_registered_is_rejected_when_the_file_is_checked(lot_id, dynamodb, sqs, import_queue):
    assert call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device("5CG0003")).status == 201

    job = upload(lot_id, csv_file([row("5CG0001"), row("5cg0003")])).body

    assert job["counts"]["accepted"] == 1
    assert [(r["row"], r["reason"]) for r in job["rejected_rows"]] == [
        (3, "serial 5cg0003 (HP) is already registered (received in this lot)")]


def test_a_row_registered_between_the_check_and_the_job_is_counted_as_rejected(lot_id, dynamodb, sqs, import_queue):
    job = upload(lot_id, csv_file([row("5CG0001"), row("5CG0002")])).body
    assert call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device("5CG0002")).status == 201

    run_worker(queued_messages(sqs, import_queue))

    done = report(job["import_id"])
    assert (done["status"], done["counts"]) == (
        "done", {"rows": 2, "accepted": 2, "rejected": 1, "registered": 1, "pending": 0})
    assert [(r["row"], r["reason"]) for r in done["rejected_rows"]] == [
        (3, "serial 5CG0002 (HP) is already registered")]
    assert len(devices(dynamodb)) == 2


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 rows: several chunks from a small file (the in-memory table copies itself per write)."""
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 4)


def test_a_chunk_delivered_again_after_a_crash_registers_and_counts_nothing_twice(
        lot_id, dynamodb, sqs, import_queue, small_chunks, monkeypatch):
    job = upload(lot_id, csv_file([row(f"5CG{n:04d}") for n in range(6)])).body  # two chunks: 4 + 2
    messages = queued_messages(sqs, import_queue)
    assert len(messages) == 2

    real_count = import_service.IntakeRepository.count_chunk
    crashed = []

    def crash_once(self, *args, **kwargs):
        if not crashed:
            crashed.append(True)
            raise ConnectionError("the invocation died after registering the rows")
        return real_count(self, *args, **kwargs)

    monkeypatch.setattr(import_service.IntakeRepository, "count_chunk", crash_once)
    failures = run_worker(messages, batch_size=2)
    assert [f["itemIdentifier"] for f in failures] == [messages[0]["MessageId"]]
    assert report(job["import_id"])["status"] == "running"  # the other chunk was counted

    run_worker(messages[:1])  # the queue delivers the failed chunk again
    run_worker(messages)  # and, being at-least-once, both of them once more

    done = report(job["import_id"])
    assert (done["status"], done["counts"]) == (
        "done", {"rows": 6, "accepted": 6, "rejected": 0, "registered": 6, "pending": 0})
    assert len(devices(dynamodb)) == 6
    assert len(outbox_envelopes_in(dynamodb, "DeviceReceived")) == 6


def test_the_import_shows_its_progress_chunk_by_chunk(lot_id, sqs, import_queue, small_chunks):
    job = upload(lot_id, csv_file([row(f"5CG{n:04d}") for n in range(6)])).body
    first, second = queued_messages(sqs, import_queue)

    run_worker([first])
    halfway = report(job["import_id"])
    run_worker([second])

    assert (halfway["status"], halfway["counts"]["registered"], halfway["counts"]["pending"]) == ("running", 4, 2)
    assert halfway["started_at"] and not halfway["finished_at"]
    finished = report(job["import_id"])
    assert (finished["status"], finished["counts"]["pending"]) == ("done", 0)
    assert finished["finished_at"] >= finished["started_at"]


def test_a_file_with_no_acceptable_row_is_done_at_once(lot_id, sqs, import_queue):
    job = upload(lot_id, csv_file([row(""), row("X", kind="Imprimante")])).body
    assert (job["status"], job["counts"]["rejected"], job["counts"]["pending"]) == ("done", 2, 0)
    assert queued_messages(sqs, import_queue) == []


def test_the_rejected_rows_come_page_by_page_in_row_order(lot_id, sqs, import_queue):
    job = upload(lot_id, csv_file([row("") for _ in range(7)])).body

    pages, cursor = [], None
    while True:
        page = report(job["import_id"], limit=3, **({"cursor": cursor} if cursor else {}))
        pages.append([r["row"] for r in page["rejected_rows"]])
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert [n for page in pages for n in page] == [2, 3, 4, 5, 6, 7, 8]
    assert all(len(page) <= 3 for page in pages)


def test_a_donor_declares_its_inventory_and_the_warehouse_reception_receives_those_devices(
        lot_id, dynamodb, sqs, import_queue):
    declared_rows = [["5CG0001", "HP", "EliteBook 840 G5", "CD35-2019-0001", "PC portable", "12/09/2019"],
                     ["5CG0002", "HP", "EliteBook 840 G5", "CD35-2019-0002", "PC portable", "12/09/2019"]]
    declaration = upload(lot_id, csv_file(declared_rows, headers=DECLARATION_HEADERS), "donor").body
    assert declaration["kind"] == "declaration"
    run_worker(queued_messages(sqs, import_queue))
    declared = {d["serial_number"]: d for d in devices(dynamodb)}
    assert {d["status"] for d in declared.values()} == {"declared"}
    assert all("label_code" not in d for d in declared.values())  # labels are printed at reception
    assert outbox_envelopes_in(dynamodb) == []  # nothing happens until the devices arrive

    reception = upload(lot_id, csv_file([row("5CG0001", ram="16"), row("5CG0003")])).body
    assert reception["counts"]["accepted"] == 2
    run_worker(queued_messages(sqs, import_queue))

    now = {d["serial_number"]: d for d in devices(dynamodb)}
    assert now["5CG0001"]["device_id"] == declared["5CG0001"]["device_id"]  # the declared device, received
    assert (now["5CG0001"]["status"], now["5CG0001"]["specs"]["ram_gb"]) == ("received", 16)
    assert now["5CG0001"]["asset_tag"] == "CD35-2019-0001"
    assert (now["5CG0002"]["status"], now["5CG0003"]["status"]) == ("declared", "received")
    received = sorted(open_envelope(e).serial_number for e in outbox_envelopes_in(dynamodb, "DeviceReceived"))
    assert received == ["5CG0001", "5CG0003"]
    assert report(declaration["import_id"], "donor")["counts"]["registered"] == 2

    # the donor follows what is still to arrive
    waiting = get(api.handler, f"/intake/lots/{lot_id}/devices", "donor", {"status": "declared"}).body
    assert [d["serial_number"] for d in waiting["items"]] == ["5CG0002"]


def test_the_warehouse_receives_or_rejects_a_declared_device_one_by_one(lot_id, dynamodb, sqs, import_queue):
    declared_rows = [["5CG0001", "HP", "EliteBook 840 G5", "", "PC portable", ""],
                     ["5CG0002", "HP", "EliteBook 840 G5", "", "PC portable", ""]]
    upload(lot_id, csv_file(declared_rows, headers=DECLARATION_HEADERS), "donor")
    run_worker(queued_messages(sqs, import_queue))
    ids = {d["serial_number"]: d["device_id"] for d in devices(dynamodb)}
    specs = {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}

    received = call(api.handler, "POST", f"/intake/devices/{ids['5CG0001']}/reception", "warehouse",
                    {"specs": specs, "visible_condition": "coin cassé"})
    rejected = call(api.handler, "POST", f"/intake/devices/{ids['5CG0002']}/rejection", "warehouse",
                    {"reason": "physical_damage", "note": "écran et carte mère hors d'usage"})

    assert (received.status, received.body["status"], received.body["label_code"][:3]) == (200, "received", "SV-")
    assert (rejected.status, rejected.body["status"]) == (200, "rejected")
    events = {e.event_type: open_envelope(e) for e in outbox_envelopes_in(dynamodb)}
    assert events["DeviceReceived"].device_id == ids["5CG0001"]
    assert (events["DeviceRejected"].device_id, events["DeviceRejected"].reason) == (ids["5CG0002"], "physical_damage")
    # the warehouse's words stay in intake: kept on the device, in no event
    assert [d["visible_condition"] for d in devices(dynamodb) if d["device_id"] == ids["5CG0001"]] == ["coin cassé"]
    assert [d["rejection_note"] for d in devices(dynamodb) if d["device_id"] == ids["5CG0002"]] == [
        "écran et carte mère hors d'usage"]
    published = "".join(e.model_dump_json() for e in outbox_envelopes_in(dynamodb))
    assert "coin cassé" not in published and "hors d'usage" not in published
    before = all_items(dynamodb)

    twice = call(api.handler, "POST", f"/intake/devices/{ids['5CG0001']}/reception", "warehouse", {"specs": specs})
    assert twice.status == 409
    assert twice.body["message"] == f"device {ids['5CG0001']} is already received: only a declared device can be received"
    assert call(api.handler, "POST", f"/intake/devices/{ids['5CG0001']}/reception", "warehouse",
                {"visible_condition": "ok"}).status == 422
    assert call(api.handler, "POST", "/intake/devices/nope/reception", "warehouse", {"specs": specs}).status == 404
    assert all_items(dynamodb) == before


@pytest.mark.parametrize("send, status, message", [
    (lambda lot: upload(lot, b""), 422, "body: send the CSV file as the request body"),
    (lambda lot: upload(lot, csv_file([row()], headers=FRENCH_HEADERS[1:])), 422,
     "file: no header row naming the serial number"),
    (lambda lot: upload(lot, csv_file([row()], headers=DECLARATION_HEADERS)), 422,
     "file: missing column(s): RAM ('RAM (Go)', 'Mémoire'), storage"),
    (lambda lot: upload(lot, csv_file([row(condition="Écran rayé")], encoding="cp1252"), as_text=True), 415,
     "body: the file is not UTF-8 and was altered in transit: send it with Content-Type: application/octet-stream"),
])
def test_a_file_that_cannot_be_read_is_refused_with_the_reason_and_nothing_is_written(
        lot_id, dynamodb, sqs, import_queue, send, status, message):
    before = all_items(dynamodb)
    response = send(lot_id)
    assert response.status == status
    assert response.body["message"].startswith(message)
    assert all_items(dynamodb) == before
    assert queued_messages(sqs, import_queue) == []


def test_a_utf8_file_may_be_sent_as_text(lot_id, import_queue):
    response = upload(lot_id, csv_file([row(condition="Écran rayé")], encoding="utf-8"), as_text=True)
    assert response.status == 202
    assert response.body["file"]["encoding"] == "utf-8"


def test_a_file_above_the_upload_limit_is_refused(lot_id, dynamodb, import_queue, monkeypatch):
    monkeypatch.setattr(api, "MAX_UPLOAD_BYTES", 100)
    response = upload(lot_id, csv_file([row(), row("5CG2")]))
    assert response.status == 413
    assert response.body["message"].startswith("body: ")
    assert items_with_prefix(dynamodb, "IMPORT#") == []


def test_who_may_import_into_which_lot(lot_id, dynamodb, import_queue):
    data = csv_file([row()])
    assert upload(lot_id, data, "workshop").status == 403
    assert upload(lot_id, data, "donor", partner_id="another-donor").status == 404
    job = upload(lot_id, data).body
    assert get(api.handler, f"/intake/imports/{job['import_id']}", "donor", partner_id="another-donor").status == 404
    assert get(api.handler, f"/intake/imports/{job['import_id']}", "donor").status == 200
    assert get(api.handler, "/intake/imports/imp-unknown", "warehouse").status == 404


def test_a_closed_lot_takes_no_new_import_but_still_answers_for_a_past_one(lot_id, dynamodb, import_queue):
    past = upload(lot_id, csv_file([row("5CG1")])).body
    call(api.handler, "POST", f"/intake/lots/{lot_id}/status", "warehouse", {"status": "closed"})
    before = all_items(dynamodb)

    response = upload(lot_id, csv_file([row("5CG2")]))

    assert response.status == 409
    assert response.body["message"] == f"lot {lot_id} is closed: no device can be added to it"
    assert all_items(dynamodb) == before
    assert upload(lot_id, csv_file([row("5CG1")])).body["import_id"] == past["import_id"]


def test_the_same_file_in_another_lot_is_another_import(donor, dynamodb, sqs, import_queue):
    lots = [call(api.handler, "POST", "/intake/lots", "donor", LOT).body["lot_id"] for _ in range(2)]
    data = csv_file([row()])
    first, second = (upload(lot, data).body for lot in lots)
    assert first["import_id"] != second["import_id"]
    run_worker(queued_messages(sqs, import_queue))
    # the device is registered once: the second lot's job finds it held
    assert report(second["import_id"])["rejected_rows"][0]["reason"] == "serial 5CG8231XYZ (HP) is already registered"
    assert len(devices(dynamodb)) == 1
    assert ROLE_PARTNERS["donor"] == devices(dynamodb)[0]["donor_id"]


def test_an_upload_interrupted_before_its_rows_were_queued_is_completed_by_uploading_again(
        lot_id, dynamodb, sqs, import_queue, monkeypatch):
    data = csv_file([row(f"5CG{n:04d}") for n in range(3)] + [row("")])
    real_send = import_service.ImportQueue.send

    def queue_unreachable(self, chunks):
        raise ConnectionError("the queue did not answer")

    monkeypatch.setattr(import_service.ImportQueue, "send", queue_unreachable)
    with pytest.raises(ConnectionError):
        upload(lot_id, data)
    monkeypatch.setattr(import_service.ImportQueue, "send", real_send)

    again = upload(lot_id, data)
    assert again.status == 202
    run_worker(queued_messages(sqs, import_queue))

    assert report(again.body["import_id"])["counts"] == {
        "rows": 4, "accepted": 3, "rejected": 1, "registered": 3, "pending": 0}
    assert len(devices(dynamodb)) == 3
