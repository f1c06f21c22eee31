"""`make redrive`: shows each dead-letter queue, moves a queue back until done, and takes the admin key
from a file or standard input anywhere but the local cloud."""

from __future__ import annotations

import io

import pytest

from devtools import dead_letters


class FakeOperations:
    instances: list["FakeOperations"] = []

    def __init__(self, base_url: str, admin_key: str):
        self.base_url, self.admin_key, self.redrives = base_url, admin_key, []
        self.moves = [{"moved": 10, "to_move": 25, "remaining": 15}, {"moved": 10, "to_move": 15, "remaining": 5},
                      {"moved": 5, "to_move": 5, "remaining": 0}]
        FakeOperations.instances.append(self)

    def dead_letters(self, queue, limit):
        return [{"queue": "allocation", "waiting": 12, "in_flight": 0, "messages": [{
            "event_type": "DeviceSold", "event_id": "evt-1", "error": "LookupError",
            "error_message": "sale of dev-1 for unknown reservation res-1", "receive_count": 5, "age_seconds": 42}]},
            {"queue": "sales", "waiting": 0, "in_flight": 0, "messages": []}]

    def redrive(self, queue):
        self.redrives.append(queue)
        return {"queue": queue, "method": "receive-send-delete", "task_handle": None, **self.moves.pop(0)}


@pytest.fixture
def operations(monkeypatch):
    FakeOperations.instances.clear()
    monkeypatch.setattr(dead_letters, "OperationsClient", FakeOperations)
    monkeypatch.setattr(dead_letters, "default_base_url", lambda: "http://local/api")
    return FakeOperations.instances


def test_the_listing_shows_each_queue_its_count_and_each_message_error(operations):
    out = io.StringIO()
    dead_letters.main([], out=out)
    text = out.getvalue()
    assert "allocation: 12 waiting" in text and "sales: 0 waiting" in text
    assert "DeviceSold  evt-1     LookupError  sale of dev-1 for unknown reservation res-1  5" in text
    assert "… and 11 more" in text
    assert operations[0].admin_key == "dev-admin-key"  # the local cloud's development administrator


def test_a_move_calls_again_until_every_message_asked_for_is_moved(operations):
    out = io.StringIO()
    dead_letters.main(["allocation", "--move"], out=out)
    assert operations[0].redrives == ["allocation"] * 3
    assert "allocation: 25 of 25 moved back to its queue; 0 waiting now" in out.getvalue()


def test_a_move_stops_when_a_call_moves_nothing(operations, monkeypatch):
    out = io.StringIO()
    original = FakeOperations.__init__

    def stuck(self, *args):
        original(self, *args)
        self.moves = [{"moved": 3, "to_move": 8, "remaining": 5}, {"moved": 0, "to_move": 5, "remaining": 5}]

    monkeypatch.setattr(FakeOperations, "__init__", stuck)
    dead_letters.main(["allocation", "--move"], out=out)
    assert "allocation: 3 of 8 moved back to its queue; 5 waiting now" in out.getvalue()


def test_another_deployment_needs_the_admin_key_from_standard_input_or_a_file(operations, tmp_path):
    dead_letters.main(["--base-url", "https://api.example"], out=io.StringIO(), stdin=io.StringIO("sv_admin\n"))
    key_file = tmp_path / "admin.key"
    key_file.write_text("sv_other\n")
    dead_letters.main(["--base-url", "https://api.example", "--admin-key-file", str(key_file)], out=io.StringIO())
    assert [o.admin_key for o in operations] == ["sv_admin", "sv_other"]


def test_move_needs_a_queue_or_all(operations):
    with pytest.raises(SystemExit):
        dead_letters.main(["--move"], out=io.StringIO())
