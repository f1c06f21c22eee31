"""The authorization matrix: every route × every caller, each answer checked against what the
services' access tables (`<service>/access.py`) and the fixture objects' owners say it must be.

    401        no Authorization header (the HTTP API's authorizer has no identity source)
    403        a key no partner holds, or a role the route does not grant
    404        a granted role whose reach does not take in the object (not its owner, another
               territory): the same answer as for an object that does not exist
    allowed    a read answers 2xx; a write (with a valid body) is not refused: 2xx, or 409 when a
               domain rule refuses the object's current state (access control was passed)

A write route is called by its denied callers first (all at once: none of them may change
anything, and the route's `observe` read must answer the same after them), then by its allowed
callers one after the other: the owner (territory 35) first, then a partner of territory 44 if its
role may, the administrator last. Only on a route whose sample `consumes` the object (a reservation
sold), and only after an earlier allowed caller of that route succeeded, is a 404 also accepted
from a later allowed caller: the object is gone, as it would be for anyone.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping

import requests

from shared.access import OPENAPI_ACCESS, OPENAPI_ROUTE, Access, Reach
from shared.partners import Role
from tests.security.callers import CALLERS, HOME, Caller, credential
from tests.security.samples import PARAMETERS, SAMPLES, Sample, is_write
from tests.security.world import World

ALLOWED = "allowed"
DENIALS = {401: "401", 403: "403", 404: "404"}
THREADS = 4  # each concurrent request may start a function worker of its own locally: a few at once


@dataclass(frozen=True)
class Route:
    service: str
    key: str  # "GET /lots/{lot_id}", as in the service's OpenAPI document and access table

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.key.split(" ", 1)[1]

    def __str__(self) -> str:
        return f"{self.method} /{self.service}{self.path}"


@dataclass(frozen=True)
class Cell:
    route: Route
    caller: Caller
    expected: str
    status: int
    got: str
    body: str


@dataclass
class Result:
    routes: list[Route]
    cells: list[Cell] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    """Content leaks: a 2xx answer to a caller of territory 44, or to a role the route does not grant,
    that names a fixture object of territory 35."""
    changed_by_denied: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """How long each phase took: building the fixture world, the reads, the writes."""

    @property
    def callers(self) -> int:
        return len(CALLERS)

    def mismatches(self) -> list[Cell]:
        return [c for c in self.cells if c.got != c.expected]

    def counts(self) -> Counter:
        kinds = Counter()
        for cell in self.mismatches():
            if cell.got == ALLOWED:
                kinds["leak"] += 1
            elif cell.expected == ALLOWED and cell.got in DENIALS.values():
                kinds["unexpected denial"] += 1
            else:
                kinds["other"] += 1
        return kinds


# ── what the tables say ──────────────────────────────────────────────────────────────────

def expected_outcome(access: Access, sample: Sample, caller: Caller, objects: Mapping[str, Any]) -> str:
    """What the caller must get on this route, from the route's access rule and the object's owners.

    Written out here rather than by calling shared/access.py's checks: the matrix tests them."""
    if access.public:
        return ALLOWED
    if caller.key is None:
        return "401"
    if not caller.authenticated:
        return "403"
    if caller.role is Role.ADMIN:
        return ALLOWED
    reach = access.grants.get(caller.role)
    if reach is None:
        return "403"
    if reach is Reach.ALL or sample.target is None or caller.role in sample.own_scope:
        return ALLOWED
    owned = objects[sample.target]
    if reach is Reach.OWN:
        return ALLOWED if owned.owners.get(caller.role) == caller.partner_id else "404"
    if reach is Reach.TERRITORY:
        return ALLOWED if owned.territory is not None and owned.territory == caller.territory else "404"
    raise AssertionError(f"unknown reach {reach}")


def access_of(tables: Mapping[str, Mapping[str, Access]], route: Route) -> Access | None:
    if route.key == OPENAPI_ROUTE:  # every service serves its document (shared/http.py), to anyone
        return OPENAPI_ACCESS
    return tables.get(route.service, {}).get(route.key)


def served_routes(base_url: str, services: list[str]) -> list[Route]:
    """Every route of the services' OpenAPI documents (read without a key), and the document's own."""
    routes = []
    for service in services:
        response = requests.get(f"{base_url}/{service}/openapi.json", timeout=60)  # public: no key
        assert response.status_code == 200, f"{service}'s OpenAPI document: {response.status_code} {response.text}"
        routes.append(Route(service, OPENAPI_ROUTE))
        routes += [Route(service, f"{method.upper()} {path}")
                   for path, operations in response.json()["paths"].items() for method in operations]
    return routes


def uncovered(routes: list[Route], tables: Mapping[str, Mapping[str, Access]]) -> list[str]:
    """Routes the matrix cannot check: no rule in the service's access table, or no sample request."""
    problems = []
    for route in routes:
        if access_of(tables, route) is None:
            problems.append(f"{route}: no entry in services/{route.service}/{route.service}/access.py")
        if (route.service, route.key) not in SAMPLES:
            problems.append(f"{route}: no sample request in tests/security/samples.py")
    return problems


# ── calling ──────────────────────────────────────────────────────────────────────────────

class Http:
    """One requests session per thread (a session is not meant to be shared between threads)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._local = threading.local()

    def send(self, method: str, path: str, key: str | None, *, params: dict | None = None, json_body: Any = None,
             data: bytes | None = None) -> requests.Response:
        session = getattr(self._local, "session", None) or requests.Session()
        self._local.session = session
        headers = {"Authorization": f"Bearer {credential(key)}"} if key else {}
        if data is not None:
            headers["Content-Type"] = "application/octet-stream"
        # a read is retried if the connection drops while a function worker starts under load; a write
        # is sent once (a retried write could be applied twice)
        attempts = 3 if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                return session.request(method, self.base_url + path, params=params, json=json_body, data=data,
                                       headers=headers, timeout=60)
            except requests.exceptions.ConnectionError:
                if attempt == attempts:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")


def fill(route: Route, sample: Sample, world: World) -> str:
    values = {}
    for name in _parameters(route.path):
        source = sample.ids.get(name) or PARAMETERS[name]
        values[name] = source(world) if callable(source) else getattr(world, source)
    return f"/{route.service}" + route.path.format(**values)


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def call(http: Http, route: Route, sample: Sample, world: World, caller: Caller) -> requests.Response:
    body = sample.body(world) if callable(sample.body) else sample.body
    data = sample.file(world) if sample.file else None
    return http.send(route.method, fill(route, sample, world), caller.key, params=sample.query or None,
                     json_body=body, data=data)


def outcome_of(response: requests.Response, write: bool) -> str:
    if 200 <= response.status_code < 300 or (write and response.status_code == 409):
        return ALLOWED
    return DENIALS.get(response.status_code, str(response.status_code))


def observed(http: Http, sample: Sample, world: World) -> tuple[int, Any] | None:
    """The status and body of the write route's observed read, as the administrator sees it."""
    if sample.observe is None:
        return None
    response = http.send("GET", sample.observe.format_map(vars(world)), "dev-admin-key")
    return response.status_code, _without(response.json() if response.content else None, sample.volatile)


def _without(body: Any, volatile: frozenset[str]) -> Any:
    if isinstance(body, dict):
        return {k: _without(v, volatile) for k, v in body.items() if k not in volatile}
    if isinstance(body, list):
        return [_without(v, volatile) for v in body]
    return body


def differences(before: Any, after: Any, at: str = "") -> list[str]:
    """Where two answers differ, as `field.sub-field: before → after`."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [d for k in dict.fromkeys([*before, *after])
                for d in differences(before.get(k), after.get(k), f"{at}.{k}" if at else str(k))]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for n, (b, a) in enumerate(zip(before, after)) for d in differences(b, a, f"{at}[{n}]")]
    return [] if before == after else [f"{at or 'answer'}: {before!r} → {after!r}"[:200]]


def leaked_ids(route: Route, access: Access, caller: Caller, response: requests.Response,
               world: World) -> list[str]:
    """The fixture's ids of territory 35 in a 2xx answer that must not show any: to a partner of
    territory 44, or to a role the route does not grant (the public passport shows its label)."""
    if access.public or not caller.authenticated or caller.role is Role.ADMIN:
        return []
    if not 200 <= response.status_code < 300:
        return []
    if caller.territory == HOME and caller.role in access.grants:
        return []
    text = response.text
    return sorted(token for token in world.secrets if token in text)


class Matrix:
    def __init__(self, http: Http, world: World, routes: list[Route], tables: Mapping[str, Mapping[str, Access]]):
        self.http, self.world, self.tables = http, world, tables
        self.objects = world.objects()
        self.result = Result(routes=routes)
        self.created_referrals: list[tuple[Caller, str]] = []
        self._lock = threading.Lock()

    def run(self) -> Result:
        started = time.monotonic()
        routes = [r for r in self.result.routes if (r.service, r.key) in SAMPLES and access_of(self.tables, r)]
        reads = [r for r in routes if not is_write(r.key)]
        writes = sorted((r for r in routes if is_write(r.key)), key=lambda r: list(SAMPLES).index((r.service, r.key)))
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(lambda pair: self._check(*pair), [(r, c) for r in reads for c in CALLERS]))
            self.result.seconds["reads"] = time.monotonic() - started
            for route in writes:
                self._write_route(route, pool)
        self.result.seconds["writes"] = time.monotonic() - started - self.result.seconds["reads"]
        return self.result

    def _write_route(self, route: Route, pool: ThreadPoolExecutor) -> None:
        access, sample = access_of(self.tables, route), SAMPLES[(route.service, route.key)]
        expected = {c: expected_outcome(access, sample, c, self.objects) for c in CALLERS}
        denied = [c for c in CALLERS if expected[c] != ALLOWED]
        # the owner (territory 35) first, the other territory next, the administrator last
        allowed = sorted((c for c in CALLERS if expected[c] == ALLOWED),
                         key=lambda c: (c.role is Role.ADMIN, c.territory != HOME))
        before = observed(self.http, sample, self.world)
        list(pool.map(lambda c: self._check(route, c), denied))
        after = observed(self.http, sample, self.world)
        if before is not None and before[0] != 200:
            self.result.changed_by_denied.append(f"{route}: its observed read {sample.observe} answered {before}")
        elif before != after:
            self.result.changed_by_denied.append(
                f"{route}: {sample.observe} changed after the denied callers "
                f"({', '.join(c.name for c in denied)}): "
                + "; ".join(differences(before[0], after[0], "status") + differences(before[1], after[1])))
        succeeded = False
        for caller in allowed:
            cell = self._check(route, caller, gone_is_fine=sample.consumes and succeeded)
            succeeded = succeeded or 200 <= cell.status < 300

    def _check(self, route: Route, caller: Caller, gone_is_fine: bool = False) -> Cell:
        access, sample = access_of(self.tables, route), SAMPLES[(route.service, route.key)]
        expected = expected_outcome(access, sample, caller, self.objects)
        write = is_write(route.key)
        response = call(self.http, route, sample, self.world, caller)
        got = outcome_of(response, write)
        if gone_is_fine and expected == ALLOWED and response.status_code == 404:
            got = ALLOWED
        cell = Cell(route, caller, expected, response.status_code, got, response.text[:300])
        leaks = leaked_ids(route, access, caller, response, self.world)
        with self._lock:
            self.result.cells.append(cell)
            if leaks:
                self.result.leaks.append(f"{route} as {caller.name} ({response.status_code}): {', '.join(leaks)}")
            if route.key == "POST /referrals" and response.status_code == 201:
                self.created_referrals.append((caller, response.json()["referral_id"]))
        return cell


def mismatch_table(cells: list[Cell]) -> str:
    """The mismatching cells as a table: route, caller, expected, got (and what the answer said)."""
    rows = [("route", "caller", "expected", "got", "answer")]
    order = {c.name: n for n, c in enumerate(CALLERS)}
    for cell in sorted(cells, key=lambda c: (str(c.route), order[c.caller.name])):
        answer = _message(cell.body)
        rows.append((str(cell.route), cell.caller.name, cell.expected, f"{cell.status} ({cell.got})", answer))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row[:4], widths)) + "  " + row[4] for row in rows)


def _message(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:80]
    if isinstance(parsed, dict) and "message" in parsed:
        return str(parsed["message"])[:80]
    return body[:80]
