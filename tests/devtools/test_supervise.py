"""What `make up` says and does when the emulator dies, fails to come back, or stops saving.

The emulator here is a stand-in with the same surface as devtools.localcloud.emulator.Emulator;
tests/devtools/test_kept_state.py does the same with the real one and a real `kill -9`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from devtools.localcloud import supervise
from devtools.localcloud.deploy import Deployment
from devtools.localcloud.emulator import LocalCloudError


@dataclass
class StandInEmulator:
    state_dir: Path | None = Path("/kept/port-4566")
    save_seconds: float = 2.0
    log_path: Path = Path(".build/localcloud-4566.log")
    process: object | None = "running"
    status: str | None = None
    answers: dict | None = None
    on_disk: dict | None = None
    starts: list = field(default_factory=list)
    refuse_starts: int = 0

    def exit_status(self):
        return self.status

    def saves(self):
        return self.answers

    def last_save_on_disk(self):
        return self.on_disk

    def stop(self):
        self.process = None

    def start(self):
        self.starts.append(True)
        if self.refuse_starts:
            self.refuse_starts -= 1
            raise LocalCloudError("port 4566 on 127.0.0.1 is busy")
        self.process, self.status = "running", None


@pytest.fixture
def redeploys(monkeypatch):
    done = []

    def deploy(session):
        done.append(session)
        return Deployment("seconde-vie", {"ApiId": "620bc81d"}, changed=False, seconds=0.1)

    monkeypatch.setattr(supervise, "deploy", deploy)
    monkeypatch.setattr(supervise, "describe_restored", lambda emulator, session: "state restored from the save")
    return done


def saved(at: datetime, **report) -> dict:
    return {"saved": True, "saved_at": at.isoformat(timespec="milliseconds"), **report}


def test_a_death_names_the_last_save_and_the_writes_answered_after_it_then_the_cloud_comes_back(redeploys):
    save = datetime.now(timezone.utc) - timedelta(seconds=1)
    emulator = StandInEmulator(answers=saved(save, changes_since_save=4, partner_writes_since_save=2))
    out, back = io.StringIO(), []
    supervisor = supervise.Supervisor(emulator, session="boto3 session", on_back=back.append, out=out)

    supervisor.check()  # alive: it only asks about saves
    assert out.getvalue() == "" and not redeploys
    emulator.status, emulator.on_disk = "killed by SIGKILL", saved(save)
    supervisor.check()

    said = out.getvalue()
    assert "the emulator died" in said and "killed by SIGKILL" in said
    assert f"last saved at {save.strftime('%H:%M:%S.%f')[:-3]} UTC" in said
    assert "whatever it answered after that save is lost" in said
    assert "lost at least: 2 partners' write(s) through the API (4 state-changing requests in all)" in said
    assert "state restored from the save" in said and "local cloud back in" in said
    assert emulator.starts and redeploys == ["boto3 session"] and len(back) == 1


def test_a_death_before_any_save_says_everything_is_lost(redeploys):
    emulator = StandInEmulator(status="exited with code 1")
    out = io.StringIO()
    supervise.Supervisor(emulator, session=None, out=out).check()
    assert "never been saved: everything since it started is lost" in out.getvalue()


def test_an_emulator_that_cannot_start_again_is_retried_every_few_seconds(redeploys, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(supervise.time, "monotonic", lambda: clock[0])
    emulator = StandInEmulator(status="killed by SIGKILL", refuse_starts=1)
    out = io.StringIO()
    supervisor = supervise.Supervisor(emulator, session=None, out=out)

    supervisor.check()
    assert "could not bring the local cloud back: port 4566 on 127.0.0.1 is busy" in out.getvalue()
    supervisor.check()  # too soon: no new attempt
    assert len(emulator.starts) == 1
    clock[0] += supervise.RETRY_START_SECONDS
    supervisor.check()
    assert len(emulator.starts) == 2 and "local cloud back" in out.getvalue() and redeploys


def test_changes_left_unsaved_far_longer_than_the_interval_are_reported_once(redeploys):
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=supervise.STALE_SAVE_SECONDS + 5)
    emulator = StandInEmulator(answers=saved(long_ago, changes_since_save=7, partner_writes_since_save=1))
    out = io.StringIO()
    supervisor = supervise.Supervisor(emulator, session=None, out=out)
    supervisor.check()
    supervisor.check()
    assert out.getvalue().count("has not saved its state since") == 1
    assert "7 changes not saved" in out.getvalue()
    emulator.answers = saved(datetime.now(timezone.utc), changes_since_save=0)
    supervisor.check()
    assert out.getvalue().count("has not saved its state since") == 1


def test_a_death_right_after_a_save_says_only_the_last_moments_are_lost(redeploys):
    save = datetime.now(timezone.utc) - timedelta(seconds=0.6)
    emulator = StandInEmulator(answers=saved(save, changes_since_save=0, partner_writes_since_save=0))
    out = io.StringIO()
    supervisor = supervise.Supervisor(emulator, session=None, out=out)
    supervisor.check()
    emulator.status, emulator.on_disk = "killed by SIGKILL", saved(save)
    supervisor.check()
    assert "nothing had changed since that save: only what it answered after then is lost" in out.getvalue()
    assert "lost at least" not in out.getvalue()
