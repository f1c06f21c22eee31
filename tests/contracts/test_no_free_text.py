"""Events carry ids, codes, enums, numbers and dates, never free text (docs/architecture.md, 11).

Every string field of every contract, nested value models included, must be one of the
kinds of `shared.events.vocabulary` (`Id`, `Code`, `Designation`: each bounded and
patterned) or an enum. A `str` field of any other kind fails here.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import pytest
from pydantic import BaseModel, Field

from shared.events import EventEnvelope, all_contracts
from shared.events.vocabulary import Code, Designation, Id, TextKind

KINDS = {"id", "code", "designation"}
PLAIN_VALUES = (bool, int, float, Decimal, datetime, date)
# The envelope's payload is the event itself, checked field by field as its own contract.
OPAQUE = {("EventEnvelope", "payload")}


def loose_strings(model: type[BaseModel], path: str = "") -> list[str]:
    """Every string field of `model` (recursively) that is not a bounded, patterned kind or an enum."""
    problems = []
    for name, field in model.model_fields.items():
        if (model.__name__, name) in OPAQUE:
            continue
        problems += _loose(field.annotation, list(field.metadata), f"{path or model.__name__}.{name}")
    return problems


def _loose(annotation, metadata: list, where: str) -> list[str]:
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *more = typing.get_args(annotation)
        return _loose(inner, metadata + more, where)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [p for arg in typing.get_args(annotation) if arg is not type(None) for p in _loose(arg, [], where)]
    if origin in (list, tuple, set, frozenset):
        return [p for arg in typing.get_args(annotation) if arg is not Ellipsis for p in _loose(arg, [], f"{where}[]")]
    if annotation is str:
        return _unbounded_kind(metadata, where)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return loose_strings(annotation, where)
    if isinstance(annotation, type) and issubclass(annotation, PLAIN_VALUES):
        return []
    return [f"{where}: {annotation!r} is neither a value, an enum, a kind of text nor a contract model"]


def _unbounded_kind(metadata: list, where: str) -> list[str]:
    kinds = {m.name for m in metadata if isinstance(m, TextKind)}
    max_length = min((m.max_length for m in metadata if getattr(m, "max_length", None)), default=None)
    pattern = next((m.pattern for m in metadata if getattr(m, "pattern", None)), None)
    if not kinds & KINDS:
        return [f"{where}: a string that is not an Id, a Code, a Designation or an enum (free text?)"]
    if max_length is None or pattern is None:
        return [f"{where}: a {kinds} without a maximum length and a pattern"]
    return []


@pytest.mark.parametrize("contract", [EventEnvelope, *all_contracts()], ids=lambda c: c.__name__)
def test_every_string_of_a_contract_is_an_id_a_code_a_designation_or_an_enum(contract):
    assert loose_strings(contract) == []


class _Leaky(BaseModel):
    """What the check exists to catch."""

    class Nested(BaseModel):
        tool: str

    reference: Id
    fault: str
    note: str | None = None
    parts: list[str] = []
    label: typing.Annotated[str, TextKind("code")] = Field(default="x")  # a kind, but unbounded
    nested: Nested
    serial: Code
    model: Designation


def test_the_check_names_each_free_or_unbounded_string():
    assert loose_strings(_Leaky) == [
        "_Leaky.fault: a string that is not an Id, a Code, a Designation or an enum (free text?)",
        "_Leaky.note: a string that is not an Id, a Code, a Designation or an enum (free text?)",
        "_Leaky.parts[]: a string that is not an Id, a Code, a Designation or an enum (free text?)",
        "_Leaky.label: a {'code'} without a maximum length and a pattern",
        "_Leaky.nested.tool: a string that is not an Id, a Code, a Designation or an enum (free text?)",
    ]


@pytest.mark.parametrize("kind, good, bad", [
    (Id, "0b7f4a52-2f8e-4d0e-9d57-6f1c1b0a9e11", "Jean Dupont"),
    (Code, "SV-7K2M-Q9TX", "scratched lid"),
    (Designation, "EliteBook 840 G5", "écran cassé; appeler Mme Martin !"),
    (Designation, "nvme-cli 2.8", "M. Dupont"),
])
def test_each_kind_accepts_its_values_and_refuses_prose(kind, good, bad):
    class Probe(BaseModel):
        value: kind

    assert Probe(value=good).value == good
    with pytest.raises(ValueError):
        Probe(value=bad)
