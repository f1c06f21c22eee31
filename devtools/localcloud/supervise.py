"""Watch the emulator `up` started: if it dies, say what may be lost, start it again, redeploy.

What is lost is what was answered after the last save of its state (saving_server.py): the
supervisor asks the emulator twice a second how many state-changing requests it answered since
its last save, so when it dies the supervisor can name the last save and a lower bound.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from typing import Callable

from devtools.localcloud.deploy import Deployment, deploy
from devtools.localcloud.emulator import Emulator

RETRY_START_SECONDS = 5.0
STALE_SAVE_SECONDS = 60.0  # changes unsaved for longer than this (and 20 intervals) are reported


def _clock(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%H:%M:%S.%f")[:-3] + " UTC"


def _saved_at(save: dict | None) -> datetime | None:
    return datetime.fromisoformat(save["saved_at"]) if save and save.get("saved_at") else None


def inventory(session) -> dict[str, int]:
    """What the cloud holds that partners' work lives in: tables and their items, queued messages."""
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    tables = [name for page in dynamodb.get_paginator("list_tables").paginate() for name in page["TableNames"]]
    items = sum(page["Count"] for name in tables
                for page in dynamodb.get_paginator("scan").paginate(TableName=name, Select="COUNT"))
    queues = sqs.list_queues().get("QueueUrls", [])
    messages = 0
    for url in queues:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        messages += sum(int(value) for value in attributes.values())
    return {"tables": len(tables), "items": items, "queues": len(queues), "messages": messages}


def describe_restored(emulator: Emulator, session) -> str:
    save = emulator.last_save_on_disk()
    if not save:
        return f"no saved state in {emulator.state_dir}: starting empty (kept there from now on, saved every " \
               f"{emulator.save_seconds:g} s while it changes; `make reset` starts clean)"
    restored = f"state restored from {emulator.state_dir} as saved at {_clock(_saved_at(save))}"
    try:
        held = inventory(session)
    except Exception as error:  # only a summary: never a reason to stop
        return f"{restored} (could not count what it holds: {error})"
    return (f"{restored}: {held['tables']} tables ({held['items']} items), "
            f"{held['queues']} queues ({held['messages']} messages)")


class Supervisor:
    """`check()` often: it notices a dead emulator, reports, restarts it and redeploys."""

    def __init__(self, emulator: Emulator, session, on_back: Callable[[Deployment], None] = lambda d: None,
                 out=sys.stdout):
        self.emulator = emulator
        self.session = session
        self.on_back = on_back
        self.out = out
        self.last_seen: tuple[datetime, dict] | None = None  # the emulator's last answer about its saves
        self.retry_at = 0.0
        self.warned_late = False

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def check(self) -> None:
        if self.emulator.process is None:  # a restart failed: try again now and then
            if time.monotonic() >= self.retry_at:
                self._restart()
            return
        status = self.emulator.exit_status()
        if status is None:
            if self.emulator.state_dir:
                saves = self.emulator.saves()
                if saves is not None:
                    self.last_seen = (datetime.now(timezone.utc), saves)
                    self._warn_if_not_saving(saves)
            return
        self._report_death(status)
        self.emulator.stop()  # its function workers and temporary folder
        self._restart()

    def _warn_if_not_saving(self, saves: dict) -> None:
        """Changes waiting far longer than the save interval: saves fail (the emulator's log says why)."""
        saved_at = _saved_at(saves) if saves.get("saved") else None
        waiting = (datetime.now(timezone.utc) - saved_at).total_seconds() if saved_at else None
        late = bool(saves.get("changes_since_save")) and waiting is not None and waiting > max(
            STALE_SAVE_SECONDS, 20 * self.emulator.save_seconds)
        if late and not self.warned_late:
            self.say(f"warning: the emulator has not saved its state since {_clock(saved_at)} "
                     f"({saves['changes_since_save']} changes not saved); see {self.emulator.log_path}")
        self.warned_late = late

    def _report_death(self, status: str) -> None:
        died = datetime.now(timezone.utc)
        self.say(f"\nthe emulator died at {_clock(died)} ({status}; log: {self.emulator.log_path})")
        if not self.emulator.state_dir:
            self.say("  it kept no state: every table, queue and the stack are lost; starting again from nothing")
            return
        save = self.emulator.last_save_on_disk()
        saved_at = _saved_at(save)
        if not saved_at:
            self.say("  its state had never been saved: everything since it started is lost")
            return
        self.say(f"  its state was last saved at {_clock(saved_at)}, {(died - saved_at).total_seconds():.1f} s "
                 "before: whatever it answered after that save is lost")
        if self.last_seen and _saved_at(self.last_seen[1]) == saved_at:
            seen_at, seen = self.last_seen
            if not seen.get("changes_since_save"):
                self.say(f"  when last counted, at {_clock(seen_at)}, {(died - seen_at).total_seconds():.1f} s before "
                         "it died, nothing had changed since that save: only what it answered after then is lost")
                return
            self.say(f"  lost at least: {seen['partner_writes_since_save']} partners' write(s) through the API "
                     f"({seen['changes_since_save']} state-changing requests in all), counted at {_clock(seen_at)}, "
                     f"{(died - seen_at).total_seconds():.1f} s before it died; partners must send those again")

    def _restart(self) -> None:
        self.say(f"starting the emulator again{' from ' + str(self.emulator.state_dir) if self.emulator.state_dir else ''}")
        started = time.monotonic()
        try:
            self.emulator.start()
            if self.emulator.state_dir:
                self.say(describe_restored(self.emulator, self.session))
            deployment = deploy(self.session)
        except Exception as error:  # keep supervising, and say why
            self.say(f"could not bring the local cloud back: {error}; trying again in {RETRY_START_SECONDS:.0f} s")
            self.emulator.stop()
            self.retry_at = time.monotonic() + RETRY_START_SECONDS
            return
        self.last_seen = None
        self.say(f"local cloud back in {time.monotonic() - started:.1f} s "
                 f"(stack {'redeployed' if deployment.changed else 'unchanged'})")
        self.on_back(deployment)
