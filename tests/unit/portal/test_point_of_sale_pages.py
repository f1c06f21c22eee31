"""The point of sale's pages speak the catalogue's words for every code the API answers with, and
offer every choice the API accepts."""

from __future__ import annotations

import re
from pathlib import Path

import catalogue
import pages
import rendering
from sales.domain.sale import PaymentMethod, SaleStatus
from shared.events.vocabulary import DeviceType, FaultCategory

PORTAL = Path(__file__).parents[3] / "portal"
SCRIPTS = PORTAL / "static/js/pages/point_of_sale"
CONFIG = {"pool_endpoint": "http://127.0.0.1:4566/", "client_id": "client", "region": "eu-west-3"}


def page_at(path: str) -> tuple[pages.Page, dict[str, str]]:
    found = pages.find(path)
    assert found is not None, path
    return found


def test_every_word_the_scripts_ask_for_is_in_the_catalogue():
    words = catalogue.areas(("point_of_sale",))
    asked = {key for script in SCRIPTS.glob("*.js")
             for key in re.findall(r"""\bt\(\s*["'`]([a-z_]+\.[a-z_.]+)["'`]""", script.read_text())}
    assert asked and not asked - set(words.keys())


def test_every_code_the_sales_api_answers_with_has_a_french_word():
    words = catalogue.areas(("point_of_sale",))
    for group, codes in (("fault", FaultCategory), ("methods", PaymentMethod), ("device_types", DeviceType),
                         ("statuses", SaleStatus)):
        missing = [c.value for c in codes if f"point_of_sale.{group}.{c.value}" not in words]
        assert missing == [], group


def test_the_warranty_form_offers_every_fault_category_and_the_pages_render():
    for path in ("point-de-vente", "point-de-vente/ventes", "point-de-vente/vendre/dev-1",
                 "point-de-vente/ventes/sale-1"):
        page, params = page_at(path)
        html = rendering.render(page, params, CONFIG)
        assert 'lang="fr"' in html and "<script>" not in html
    page, params = page_at("point-de-vente/ventes/sale-1")
    assert params == {"sale_id": "sale-1"}
    html = rendering.render(page, params, CONFIG)
    offered = re.findall(r'<option value="([a-z_]+)">', html)
    assert offered == [c.value for c in FaultCategory]
    assert 'data-sale-id="sale-1"' in html
