"""HTTP glue for a service's partner API: one Powertools router per service.

Each service has one proxy route on the HTTP API (`ANY /<service>/{proxy+}`); the router
strips that prefix, validates bodies and parameters against the pydantic models of the
route signatures (422 naming the field), and maps the shared errors to status codes.
"""

from __future__ import annotations

import functools
import inspect
import re
from http import HTTPStatus
from collections.abc import Mapping
from typing import Any, Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from shared.access import (
    OPENAPI_ACCESS,
    OPENAPI_ROUTE,
    Access,
    Ownership,
    UndeclaredRoute,
    check_role,
    require_reach,
    route_key,
)
from shared.errors import BadHeader, Forbidden, InvalidInput, NotFound, RuleViolation, Unauthenticated
from shared.events.vocabulary import ID_PATTERN
from shared.idempotency import IDEMPOTENCY_WINDOW_SECONDS, persistence_layer
from shared.outbox import ConcurrencyConflict
from shared.partners import Partner, partner_from_authorizer

IDEMPOTENCY_KEY_HEADER = "idempotency-key"

_STATUS_OF: dict[type[Exception], tuple[HTTPStatus, str | None]] = {
    NotFound: (HTTPStatus.NOT_FOUND, None),
    InvalidInput: (HTTPStatus.UNPROCESSABLE_ENTITY, None),
    RuleViolation: (HTTPStatus.CONFLICT, None),
    ConcurrencyConflict: (HTTPStatus.CONFLICT, None),
    Forbidden: (HTTPStatus.FORBIDDEN, None),
    Unauthenticated: (HTTPStatus.UNAUTHORIZED, None),
    BadHeader: (HTTPStatus.BAD_REQUEST, None),
    IdempotencyAlreadyInProgressError: (HTTPStatus.CONFLICT, "a request with this Idempotency-Key is in progress"),
    IdempotencyValidationError: (
        HTTPStatus.UNPROCESSABLE_ENTITY, "this Idempotency-Key was already used with a different body",
    ),
}


def error_response(status: HTTPStatus, message: str) -> Response:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": status.phrase, "message": message},
    )


def invalid_request_response(error: RequestValidationError) -> Response:
    """422 that says, for each problem, which field and what is wrong with it."""
    problems = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in error.errors()
    ]
    message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in problems)
    return Response(
        status_code=HTTPStatus.UNPROCESSABLE_ENTITY.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": HTTPStatus.UNPROCESSABLE_ENTITY.phrase, "message": message, "detail": problems},
    )


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


class ServiceApi(APIGatewayHttpResolver):
    """The partner API of one service, mounted under `/<service>`.

    `access` is the service's table of who may call each route (`<service>/access.py`, see
    shared/access.py): a route it does not name cannot be registered, and the caller's role
    is checked against it before the route runs."""

    def __init__(self, service: str, access: Mapping[str, Access]):
        self.access = {OPENAPI_ROUTE: OPENAPI_ACCESS, **access}
        self._current_access: Access | None = None
        super().__init__(enable_validation=True, strip_prefixes=[f"/{service}"])
        self.service = service
        self.enable_swagger(path="/openapi", title=f"Seconde Vie — {service} API")
        for error_class, (status, message) in _STATUS_OF.items():
            self.exception_handler(error_class)(
                lambda error, status=status, message=message: error_response(status, message or str(error))
            )
        self.exception_handler(RequestValidationError)(invalid_request_response)
        self._replay_once: Callable[..., dict] | None = None
        self._pending_route: Callable[[], dict] | None = None
        self._replay_config = IdempotencyConfig(
            event_key_jmespath="[partner_id, route, key]",
            payload_validation_jmespath="body",
            expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
        )

    def resolve(self, event: dict, context: Any) -> dict:
        # Lets a request that dies mid-way (timeout) free its Idempotency-Key once the
        # invocation's time is up, instead of holding it for the whole idempotency window.
        self._replay_config.register_lambda_context(context)
        return super().resolve(event, context)

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Callable:
        register = super().route(rule, method, *args, **kwargs)
        keys = [route_key(m, rule) for m in ((method,) if isinstance(method, str) else method)]
        undeclared = [key for key in keys if key not in self.access]
        if undeclared:
            raise UndeclaredRoute(f"{', '.join(undeclared)}: say who may call it in {self.service}/access.py")

        def decorator(func: Callable) -> Callable:
            @functools.wraps(func)
            def guarded(*call_args: Any, **call_kwargs: Any) -> Any:
                access = self.access[route_key(self.current_event.http_method, rule)]
                self._current_access = access
                if not access.public:
                    check_role(access, self.partner())
                self.correlation_id()  # a header that is not an id is refused before anything is read
                return func(*call_args, **call_kwargs)

            guarded.__signature__ = inspect.signature(func, eval_str=True)
            return register(guarded)

        return decorator

    def partner(self) -> Partner:
        """The calling partner (its role was checked against the route's access rule)."""
        return partner_from_authorizer(self._authorizer_context())

    def require_reach(self, ownership: Ownership | None, not_found: str) -> Partner:
        """The caller, if `ownership` (None: no such object) is within its reach on this route;
        otherwise NotFound(`not_found`), the same answer as for an object that does not exist."""
        partner = self.partner()
        require_reach(self._current_access, partner, ownership, not_found)
        return partner

    def correlation_id(self) -> str | None:
        """The caller's `X-Correlation-Id`, carried by the events this request causes: an id, so
        that nothing else (a name typed in a partner's tool) travels with the events."""
        value = self.current_event.headers.get("x-correlation-id") or None
        if value is not None and (len(value) > 128 or not re.fullmatch(ID_PATTERN, value)):
            raise BadHeader("X-Correlation-Id must be an id: letters, digits, '.', '_', ':' or '-', "
                            "at most 128 characters")
        return value

    def _authorizer_context(self) -> dict:
        return self.current_event.request_context.authorizer.get_lambda or {}

    def replayable(self, route: Callable[..., Response]) -> Callable[..., Response]:
        """A POST that a partner may safely retry with the same `Idempotency-Key` header:
        the first response is stored in the service's table and returned again, and the
        state change happens once. Without the header the route runs as usual."""

        @functools.wraps(route)
        def run(*args: Any, **kwargs: Any) -> Response:
            key = self.current_event.headers.get(IDEMPOTENCY_KEY_HEADER)
            if not key:
                return route(*args, **kwargs)
            self._pending_route = lambda: _replayable_outcome(route(*args, **kwargs))
            outcome = self._replayer()(request={
                "partner_id": self._authorizer_context().get("partner_id", ""),
                "route": f"{self.current_event.http_method} {self.current_event.path}",
                "key": key,
                "body": self.current_event.json_body,
            })
            return json_response(outcome["status"], outcome["body"])

        # The router reads the route's parameters from the signature; resolve its annotations
        # here, where the route's module is known (they may be strings, PEP 563).
        run.__signature__ = inspect.signature(route, eval_str=True)
        return run

    def _replayer(self) -> Callable[..., dict]:
        if self._replay_once is None:
            @idempotent_function(
                data_keyword_argument="request",
                persistence_store=persistence_layer(),
                config=self._replay_config,
            )
            def replay_once(request: dict) -> dict:
                return self._pending_route()

            self._replay_once = replay_once
        return self._replay_once


def _replayable_outcome(result: Response | dict) -> dict:
    if isinstance(result, Response):
        return {"status": result.status_code, "body": result.body}
    return {"status": 200, "body": result}
