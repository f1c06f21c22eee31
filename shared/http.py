"""HTTP glue for a service's partner API: one Powertools router per service.

Each service has one proxy route on the HTTP API (`ANY /<service>/{proxy+}`); the router
strips that prefix, validates bodies and parameters against the pydantic models of the
route signatures (422 naming the field), and maps the shared errors to status codes.

Each service serves its OpenAPI document at `GET /<service>/openapi.json`, without a key (its
own route in template.yaml). Every operation in it says who may call it (from the access table),
needs the bearer scheme unless it is public, and lists the statuses the route can answer: its
success, and the refusals this module and the route's access rule make possible
(`documented_responses`), each with the one error body (`ErrorBody`).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from http import HTTPStatus
from collections.abc import Mapping
from typing import Annotated, Any, Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from pydantic import BaseModel, Field

from shared.access import (
    OPENAPI_ACCESS,
    OPENAPI_ROUTE,
    Access,
    Ownership,
    UndeclaredRoute,
    check_role,
    require_reach,
    route_key,
    who_may_call,
)
from shared.errors import BadHeader, Forbidden, InvalidInput, NotFound, RuleViolation, Unauthenticated
from shared.events.vocabulary import ID_PATTERN
from shared.idempotency import IDEMPOTENCY_WINDOW_SECONDS, persistence_layer
from shared.outbox import ConcurrencyConflict
from shared.partners import Partner, Role, partner_from_authorizer

IDEMPOTENCY_KEY_HEADER = "idempotency-key"
_IDEMPOTENCY_PARAMETER = "idempotency_key"  # the header, as Powertools names a parameter
IdempotencyKey = Annotated[str | None, Header(description=(
    "Any unique string (a UUID) to make a retry safe: the same key with the same body answers the first "
    f"answer again and changes nothing, for {IDEMPOTENCY_WINDOW_SECONDS // 86400} days; the same key with another "
    "body is a 422, while the first is still running a 409"))]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
METHODS_WITH_A_BODY = frozenset({"POST", "PUT", "PATCH"})

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


class Problem(BaseModel):
    """One invalid field of a request."""

    loc: list[str | int] = Field(description="Where: body, query or path, then the field")
    msg: str = Field(description="What is wrong with it, in English")
    type: str = Field(description="The kind of problem, as pydantic names it (missing, string_too_long, …): "
                                  "an open list, for programs that react to some of them")


class ErrorBody(BaseModel):
    """Every refusal. The HTTP API's own 401 (no key) and 403 (a key nobody holds) carry only `message`."""

    message: str = Field(description="What was refused and why, in English, naming the field when one is at fault")
    error: str = Field("", description="The status' phrase")
    detail: list[Problem] = Field(default_factory=list, description="Each invalid field (a 422 on the request's shape)")


# An operation's response whose body is an ErrorBody (for a route's own `responses=`).
ERROR_CONTENT = {"content": {content_types.APPLICATION_JSON: {"model": ErrorBody}}}

_REFUSALS: dict[int, str] = {
    400: "A malformed header (X-Correlation-Id)",
    401: "No Authorization header (neither an API key nor an ID token)",
    403: "A key or token no partner holds, or a role the route does not grant",
    404: "No such object, or not within the caller's reach",
    409: "Refused in the object's current state, a concurrent change, or an Idempotency-Key in progress",
    415: "A body that is not application/json",
    422: "A value that is invalid, or values that make no sense together",
}


# How every route but the public ones is called: one scheme for both kinds of caller.
BEARER = "bearer"
BEARER_DESCRIPTION = (
    "`Authorization: Bearer <token>`, where the token is either a partner system's API key (issued by an "
    "administrator, see the access API) or a person's Cognito ID token (from the portal's login). Both give the "
    "same identity to the routes: a partner id, its role and its territory.")


def documented_responses(method: str, rule: str, access: Access, success: int,
                         declared: Mapping[int, dict] | None = None) -> dict[int, dict]:
    """The statuses the route can answer, for its OpenAPI operation: the route's own (`declared`,
    or its success status) and the refusals shared by every route like it, so none can forget one."""
    refusals = [400, 422]
    if not access.public:
        refusals += [401, 403]
    if access.kind or "<" in rule:
        refusals.append(404)
    if method in WRITE_METHODS:
        refusals.append(409)
    if method in METHODS_WITH_A_BODY:
        refusals.append(415)
    responses = {status: {"description": _REFUSALS[status], **ERROR_CONTENT} for status in sorted(refusals)}
    return {**responses, **(declared or {success: {"description": "Successful Response"}})}


class _JsonBodiesOnly(OpenAPIRequestValidationMiddleware):
    """Request bodies are JSON: a form or multipart body is a 415 before anything parses it (a
    multipart type without a boundary used to fail the function, a 502)."""

    def _get_body(self, app: Any) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip().lower()
        if content_type and not content_type.startswith(content_types.APPLICATION_JSON):
            raise RequestUnsupportedContentType("Unsupported content type", errors=[
                {"type": "unsupported_content_type", "loc": ("body",), "msg": "send the body as application/json",
                 "input": {}, "ctx": {}},
            ])
        return super()._get_body(app)


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
        self._request_validation_middleware = _JsonBodiesOnly()
        self.service = service
        self._document: str | None = None
        self.get(OPENAPI_ROUTE.split(" ", 1)[1], include_in_schema=False)(self._serve_document)
        for error_class, (status, message) in _STATUS_OF.items():
            self.exception_handler(error_class)(
                lambda error, status=status, message=message: error_response(status, message or str(error))
            )
        self.exception_handler(RequestValidationError)(invalid_request_response)
        self.exception_handler(RequestUnsupportedContentType)(
            lambda error: error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json"))
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
        methods = (method,) if isinstance(method, str) else tuple(method)
        keys = [route_key(m, rule) for m in methods]
        undeclared = [key for key in keys if key not in self.access]
        if undeclared:
            raise UndeclaredRoute(f"{', '.join(undeclared)}: say who may call it in {self.service}/access.py")
        # app.get() & co. pass Powertools' options by position: bind them to add the responses
        options = inspect.signature(super().route).bind(rule, method, *args, **kwargs)
        options.apply_defaults()
        if len(methods) == 1:
            access = self.access[keys[0]]
            options.arguments["responses"] = documented_responses(
                methods[0].upper(), rule, access, options.arguments["status_code"],
                options.arguments["responses"])
            if not access.public:
                options.arguments["security"] = [{BEARER: []}]

        def decorator(func: Callable) -> Callable:
            if len(methods) == 1:
                written = options.arguments["description"] or inspect.getdoc(func)
                options.arguments["summary"] = options.arguments["summary"] or _operation_summary(
                    written, self.access[keys[0]])
                options.arguments["description"] = _operation_description(written, self.access[keys[0]])
            register = super(ServiceApi, self).route(*options.args, **options.kwargs)

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

    def openapi_document(self) -> dict:
        """The service's OpenAPI document, as served (built once: the routes do not change)."""
        if self._document is None:
            # The OpenAPI models are a heavy import that only this route needs (decision 33).
            from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

            document = json.loads(self.get_openapi_json_schema(
                title=f"Seconde Vie — {self.service} API",
                description=_document_description(self.service),
                # The document's paths lack the prefix the HTTP API routes on: its server says it.
                servers=[Server(url=f"/{self.service}")],
                security_schemes={BEARER: HTTPBearer(description=BEARER_DESCRIPTION)},
            ))
            self._document = json.dumps(_without_unused_schemas(document))
        return json.loads(self._document)

    def _serve_document(self) -> Any:  # a Response: not a model Powertools can describe
        if self._document is None:
            self.openapi_document()
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=self._document)

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
            kwargs.pop(_IDEMPOTENCY_PARAMETER, None)  # declared for the document; read from the headers below
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
        # here, where the route's module is known (they may be strings, PEP 563). The header is
        # added to them so that the OpenAPI document lists it on every route that honours it.
        signature = inspect.signature(route, eval_str=True)
        header = inspect.Parameter(_IDEMPOTENCY_PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=None,
                                   annotation=IdempotencyKey)
        run.__signature__ = signature.replace(parameters=[*signature.parameters.values(), header])
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


def _operation_summary(description: str | None, access: Access) -> str:
    """The operation's line in a list: the first sentence it was described with, else who may call it."""
    if description:
        first_paragraph = description.strip().split("\n\n", 1)[0]
        return " ".join(re.split(r"(?<=\.)\s", first_paragraph, maxsplit=1)[0].split()).rstrip(".")
    if access.public:
        return "Public"
    return "For " + ", ".join([*(role.value for role in access.grants if role is not Role.ADMIN), "admin"])


def _operation_description(description: str | None, access: Access) -> str:
    rule = who_may_call(access)
    return f"{description}\n\n{rule}" if description else rule


# Where each API's rules and workflows are written, in the repository.
_GUIDES = {"operations": "docs/operations.md"}


def _document_description(service: str) -> str:
    return (
        f"The {service} API of Seconde Vie. Paths are relative to the server `/{service}`. Every route but the "
        "public ones needs `Authorization: Bearer <token>` (the `bearer` scheme); each operation says which roles "
        "may call it. Every refusal has the `ErrorBody` shape. Lists are paged with `limit` and `cursor` (the "
        f"previous page's `next_cursor`). Rules and workflows: {_GUIDES.get(service, f'docs/services/{service}.md')}."
    )


def _without_unused_schemas(document: dict) -> dict:
    """Drop the component schemas nothing refers to (Powertools' own validation-error models, which
    no route answers: every refusal is an ErrorBody)."""
    schemas = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = [document["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in used:
                    used.add(name)
                    pending.append(schemas.get(name, {}))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    if schemas:
        document["components"]["schemas"] = {name: schema for name, schema in schemas.items() if name in used}
    return document


def _replayable_outcome(result: Response | dict) -> dict:
    if isinstance(result, Response):
        return {"status": result.status_code, "body": result.body}
    return {"status": 200, "body": result}
