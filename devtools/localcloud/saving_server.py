"""ministack, with its state saved every few seconds instead of only at a clean stop.

Run by the emulator's own interpreter (`.venv-localcloud/bin/python -P <this file>`): it may
import only ministack and the standard library. With `PERSIST_STATE=1` ministack writes every
service's state to `STATE_DIR` when it shuts down cleanly and reloads it at start; a `kill -9`
or a crash loses everything since the start. This wraps ministack's ASGI app so that, in the
server's own event loop (so no request runs halfway through a save), the same save runs:

- every `LOCALCLOUD_SAVE_SECONDS` seconds (or ten times the last save's duration, if longer,
  up to five intervals) when a request that may change state came in since the last save, and
- on demand: `POST /_localcloud/save`.

`GET /_localcloud/saves` says when the last save was and how many state-changing requests
were answered since: the watcher of `make up` reads it to say what a crash lost. Layer zips
are kept as files of their own rather than inline in the Lambda state (see LAYER_BLOBS).
docs/local-cloud.md has the figures.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs

from ministack import app as ministack
from ministack.core import persistence

serve_ministack = ministack.app  # its ASGI app, kept before main() is pointed at ours

SAVE_SECONDS = float(os.environ.get("LOCALCLOUD_SAVE_SECONDS", "2"))
GAP_TO_SAVE_RATIO = 10  # the pause before a save is at least 10 times the last save's duration
LONGEST_GAP_RATIO = 5  # ... but never more than 5 intervals: what a crash loses stays bounded
SAVE_PATH = "/_localcloud/save"
SAVES_PATH = "/_localcloud/saves"
# Written after each complete save: what survives a crash is what it describes.
MARKER = "localcloud-saved.json"
# Operations that only read (by their name's start); everything else counts as a change.
READ_OPERATIONS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "Head", "Lookup", "Search")
PARTNER_API_PATH = "/_aws/execute-api/"
NOT_COUNTED_PATHS = ("/_localcloud/", "/_ministack/", "/_localstack/", "/health")

logger = logging.getLogger("localcloud.saves")

# ministack writes function code as content-addressed files but each layer's zip inline, in
# base64, in lambda.json: 99.7 % of a save (the 13 MB dependencies layer), ~0.5 s each time.
# Layer zips are kept as files too, written once; lambda.json only names them.
LAYER_BLOBS = "localcloud-layer-blobs"
BLOB_REF = "__localcloud_layer_blob__"
_hashes: dict[int, tuple[bytes, str]] = {}  # id of a zip's bytes → (the bytes, their sha256)
# Processor time a save spent hashing and writing new layer zips: once per layer version, so it does not
# stretch the interval between saves (the first save writes the 13 MB layer).
_one_off = {"cpu_seconds": 0.0}


def _layer_versions(layers):
    stores = layers._data.values() if hasattr(layers, "_data") else (layers or {}).values()
    for layer in stores:
        yield from layer.get("versions", [])


def _blob_path(sha: str) -> str:
    return os.path.join(persistence.STATE_DIR, LAYER_BLOBS, f"{sha}.zip")


def _externalize_layers(state: dict) -> dict:
    seen: dict[int, tuple[bytes, str]] = {}
    for version in _layer_versions(state.get("layers")):
        data = version.get("_zip_data")
        if not isinstance(data, (bytes, bytearray)):
            continue
        started = time.thread_time()
        known = _hashes.get(id(data))
        known = known if known and known[0] is data else None
        sha = known[1] if known else hashlib.sha256(data).hexdigest()
        seen[id(data)] = (data, sha)
        path = _blob_path(sha)
        if not known:
            _one_off["cpu_seconds"] += time.thread_time() - started
        if not os.path.exists(path):
            started = time.thread_time()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".tmp", "wb") as file:
                file.write(data)
            os.replace(path + ".tmp", path)
            _one_off["cpu_seconds"] += time.thread_time() - started
        version["_zip_data"] = {BLOB_REF: sha}
    _hashes.clear()
    _hashes.update(seen)  # only layer versions that still exist
    return state


def _internalize_layers(state: dict) -> dict:
    for version in _layer_versions(state.get("layers")):
        ref = version.get("_zip_data")
        if isinstance(ref, dict) and BLOB_REF in ref:
            try:
                with open(_blob_path(ref[BLOB_REF]), "rb") as file:
                    version["_zip_data"] = file.read()
            except OSError as error:
                logger.error("layer %s: its zip is missing from the saved state: %s",
                             version.get("LayerVersionArn"), error)
                version["_zip_data"] = None
    return state


def _prune_layer_blobs(state_on_disk: dict) -> None:
    """After a complete save: drop the zips of layer versions that no longer exist."""
    referenced = {v["_zip_data"][BLOB_REF] for v in _layer_versions(state_on_disk.get("layers"))
                  if isinstance(v.get("_zip_data"), dict) and BLOB_REF in v["_zip_data"]}
    folder = os.path.join(persistence.STATE_DIR, LAYER_BLOBS)
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        if name.endswith(".zip") and name[:-4] not in referenced:
            os.remove(os.path.join(folder, name))


_build_save_dict = ministack._build_persistence_save_dict
_load_state = ministack.load_state
_last_lambda_state: dict = {}


def build_save_dict() -> dict:
    """ministack's {service: get_state}, with Lambda's layers written as files."""
    save_dict = _build_save_dict()
    if "lambda" in save_dict:
        get_lambda_state = save_dict["lambda"]

        def lambda_state():
            state = _externalize_layers(get_lambda_state())
            _last_lambda_state["state"] = state
            return state

        save_dict["lambda"] = lambda_state
    return save_dict


def load_state(service: str):
    data = _load_state(service)
    return _internalize_layers(data) if service == "lambda" and data else data


class _SaveErrors(logging.Handler):
    """ministack's save logs a failure and carries on: collect those lines for the caller."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class Saves:
    """When the state was last saved, and what was answered since (the crash's possible loss)."""

    def __init__(self):
        self.changes_since_save = 0  # state-changing requests answered since the last save began
        self.partner_writes_since_save = 0  # of which: partners' writes through the HTTP API
        self.changes_total = 0
        self.last: dict | None = None

    def save(self) -> dict:
        started, cpu_started = time.monotonic(), time.thread_time()
        changes, partner_writes = self.changes_since_save, self.partner_writes_since_save
        self.changes_since_save = self.partner_writes_since_save = 0
        _one_off["cpu_seconds"] = 0.0
        errors = _SaveErrors()
        persistence.logger.addHandler(errors)
        try:
            persistence.save_all(build_save_dict())
        finally:
            persistence.logger.removeHandler(errors)
        if errors.messages:
            self.changes_since_save += changes  # not safely on disk: still at risk
            self.partner_writes_since_save += partner_writes
            logger.error("save incomplete: %s", "; ".join(errors.messages))
            return {"saved": False, "errors": errors.messages}
        if "state" in _last_lambda_state:
            _prune_layer_blobs(_last_lambda_state.pop("state"))
        self.last = {
            "saved": True,
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "seconds": round(time.monotonic() - started, 3),
            # This thread's processor time, less new layer zips: the work a save costs the
            # emulator, whatever else the machine is doing (the wall time above includes waiting).
            "recurring_cpu_seconds": round(time.thread_time() - cpu_started - _one_off["cpu_seconds"], 3),
            "changes_total": self.changes_total - self.changes_since_save,
        }
        marker = os.path.join(persistence.STATE_DIR, MARKER)
        with open(marker + ".tmp", "w") as file:
            json.dump(self.last, file)
        os.replace(marker + ".tmp", marker)
        return self.last

    def report(self) -> dict:
        return {**(self.last or {"saved": False}), "changes_since_save": self.changes_since_save,
                "partner_writes_since_save": self.partner_writes_since_save, "save_seconds": SAVE_SECONDS}

    async def every(self, seconds: float) -> None:
        # One more save after the last change: what the emulator does by itself after a request
        # (a queue poller deleting the messages a function handled) is saved too.
        trailing = False
        while True:
            # A save blocks the server: never let saving take more than a tenth of its time.
            last = (self.last or {}).get("recurring_cpu_seconds", 0)
            await asyncio.sleep(min(max(seconds, GAP_TO_SAVE_RATIO * last), LONGEST_GAP_RATIO * seconds))
            if not (self.changes_since_save or trailing):
                continue
            trailing = bool(self.changes_since_save)
            try:
                self.save()
            except Exception:  # keep saving: a later save may succeed
                logger.exception("periodic save failed")


saves = Saves()


def _changes_state(scope, body: bytes) -> bool:
    path = scope.get("path", "")
    if any(path.startswith(p) for p in NOT_COUNTED_PATHS):
        return False
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    operation = headers.get("x-amz-target", "").rsplit(".", 1)[-1]
    if not operation:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "form-urlencoded" in headers.get("content-type", ""):
            query |= parse_qs(body.decode("latin-1", errors="replace"))
        operation = (query.get("Action") or [""])[0]
    if operation:
        return not operation.startswith(READ_OPERATIONS)
    return scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")


async def _respond(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        task = None

        async def on_send(message):
            nonlocal task
            if message["type"] == "lifespan.startup.complete":
                task = asyncio.create_task(saves.every(SAVE_SECONDS))
            await send(message)

        async def on_receive():
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                if task:
                    task.cancel()
                try:  # ministack saves again right after; this one also dates the marker
                    saves.save()
                except Exception:
                    logger.exception("save at shutdown failed")
            return message

        return await serve_ministack(scope, on_receive, on_send)
    if scope["type"] != "http":
        return await serve_ministack(scope, receive, send)

    path, method = scope.get("path", ""), scope.get("method", "GET")
    if path == SAVE_PATH and method == "POST":
        result = saves.save()
        return await _respond(send, 200 if result["saved"] else 500, result)
    if path == SAVES_PATH and method == "GET":
        return await _respond(send, 200, saves.report())

    # Read the body once to classify the request, then hand it to ministack unchanged.
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    changes = _changes_state(scope, body)
    partner_write = changes and path.startswith(PARTNER_API_PATH)
    try:
        await serve_ministack(scope, replay, send)
    finally:
        if changes:
            saves.changes_since_save += 1
            saves.changes_total += 1
            saves.partner_writes_since_save += partner_write


if __name__ == "__main__":
    if not persistence.PERSIST_STATE:
        raise SystemExit("PERSIST_STATE=1 and STATE_DIR are needed: this server exists to save state")
    persistence.logger.setLevel(logging.WARNING)  # not one line per service every few seconds
    # ministack's main() serves its module's `app`: serve this wrapper instead; its own save at
    # shutdown and its load at start go through the layer files too.
    ministack.app = app
    ministack._build_persistence_save_dict = build_save_dict
    ministack.load_state = load_state
    ministack.main()
