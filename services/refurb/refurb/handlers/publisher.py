"""Refurb's outbox publisher (table stream → event bus): the shared implementation."""

from shared.publisher import handler  # noqa: F401
