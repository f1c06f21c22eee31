"""Pages from their templates (Jinja2, autoescaped: nothing typed by anyone becomes HTML)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import catalogue
import pages

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["t"] = lambda key, **values: catalogue.translate(key, **values)
    return env


def data_attribute(name: str) -> str:
    return "data-" + name.replace("_", "-")


def render(page: pages.Page, params: dict[str, str], config: dict[str, str]) -> str:
    """The page's HTML. `config` is what the scripts need to reach the people pool."""
    menu = pages.menu_for_everyone()
    # The menu is on every page: its links' words too, whichever area's catalogue holds them.
    words_for_script = catalogue.areas(page.catalogues) | {e["label"]: catalogue.translate(e["label"]) for e in menu}
    return environment().get_template(page.template).render(
        page=page,
        params=params,
        main_attributes={data_attribute(k): v for k, v in params.items()},
        roles=" ".join(r.value for r in page.roles) if page.roles is not None else "",
        config=config,
        # JSON inside <script type="application/json">, never parsed as HTML (see _script_safe).
        words_json=_script_safe(json.dumps(words_for_script, ensure_ascii=False)),
        menu_json=_script_safe(json.dumps(menu)),
    )


def _script_safe(json_text: str) -> str:
    """JSON that no text in it can end early: a data block's content is not entity-decoded, so
    it is not HTML-escaped; every "<" becomes its JSON escape instead."""
    return json_text.replace("<", "\\u003c")
