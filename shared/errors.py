"""Errors that every service raises the same way; the HTTP layer maps them to status codes."""


class NotFound(Exception):
    """404: the thing asked for does not exist (or is not visible to this partner)."""


class RuleViolation(Exception):
    """409: the request is well-formed but the domain refuses it in the current state."""


class Forbidden(Exception):
    """403: the calling partner's role may not do this."""


class InvalidInput(Exception):
    """422: each value is well-formed but together they make no sense (a period that ends before it starts)."""


class Unauthenticated(Exception):
    """401: no partner identity in the request's authorizer context."""


class BadHeader(Exception):
    """400: a request header the service reads is malformed (its value is never echoed)."""
