"""HTTP glue for a service's partner API: one Powertools router per service.

Each service has one proxy route on the HTTP API (`ANY /<service>/{proxy+}`); the router
strips that prefix, validates bodies and parameters against the pydantic models of the
route signatures (422 naming the field), and maps the shared errors to status codes.
"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from shared.errors import Forbidden, NotFound, RuleViolation, Unauthenticated
from shared.outbox import ConcurrencyConflict
from shared.partners import Partner, Role, partner_from_authorizer, require_role

_STATUS_OF = {
    NotFound: HTTPStatus.NOT_FOUND,
    RuleViolation: HTTPStatus.CONFLICT,
    ConcurrencyConflict: HTTPStatus.CONFLICT,
    Forbidden: HTTPStatus.FORBIDDEN,
    Unauthenticated: HTTPStatus.UNAUTHORIZED,
}


def error_response(status: HTTPStatus, message: str) -> Response:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": status.phrase, "message": message},
    )


class ServiceApi(APIGatewayHttpResolver):
    """The partner API of one service, mounted under `/<service>`."""

    def __init__(self, service: str):
        super().__init__(enable_validation=True, strip_prefixes=[f"/{service}"])
        self.service = service
        self.enable_swagger(path="/openapi", title=f"Seconde Vie — {service} API")
        for error_class, status in _STATUS_OF.items():
            self.exception_handler(error_class)(
                lambda error, status=status: error_response(status, str(error))
            )

    def partner(self, *roles: Role) -> Partner:
        """The calling partner, who must hold one of `roles` (or be an administrator)."""
        context = self.current_event.request_context.authorizer.get_lambda
        return require_role(partner_from_authorizer(context), *roles)
