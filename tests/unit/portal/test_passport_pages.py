"""The passport and warehouse pages have words for every value intake can answer (an outcome, a
device type, a grade, an erasure level, a lot's status), so a page never shows a bare code; and
the passport is the page every label's QR code names."""

from __future__ import annotations

import pytest

import catalogue
import pages
from intake.domain.labels import PASSPORT_PATH
from intake.domain.lots import LotStatus
from intake.domain.passport import Outcome
from shared.events.vocabulary import DeviceType, ErasureLevel, Grade

WORDS = catalogue.words()


@pytest.mark.parametrize("prefix, values", [
    ("public.outcome", Outcome), ("public.device_type", DeviceType), ("public.grade.meaning", Grade),
    ("public.erasure.level", ErasureLevel), ("warehouse.lot_status", LotStatus),
])
def test_every_value_intake_answers_has_its_words(prefix, values):
    assert [value.value for value in values if f"{prefix}.{value.value}" not in WORDS] == []


def test_the_passport_page_is_where_the_labels_point_and_needs_no_login():
    found = pages.find(PASSPORT_PATH.removeprefix("/portal/") + "SV-7K2M-Q9TX")
    assert found is not None
    page, params = found
    assert (page.roles, params) == (None, {"label_code": "SV-7K2M-Q9TX"})
