"""The portal's pages: where each is, what it shows it with, and who may open it.

Each area (a role's pages, the public passport, the API docs…) declares its `PAGES` in a
module of this package, so that areas never edit one shared list. A page holds no data and
no rule: its script asks the services' routes with the person's token, and those routes decide
what the person may see. `roles` only spares a person a page that would answer them "refused".
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field

from shared.partners import Role


@dataclass(frozen=True)
class Page:
    path: str                       # under /portal, "" for the home page; "{name}" is a parameter
    template: str                   # under portal/templates/, extends base.html
    title: str                      # catalogue key of the page's title
    roles: tuple[Role, ...] | None  # who may open it; None: anyone, logged in or not
    script: str | None = None       # its module under portal/static/js/pages/
    catalogues: tuple[str, ...] = ()  # the catalogue areas its script reads (common always)
    styles: tuple[str, ...] = ()    # extra style sheets under portal/static/css/
    nav: str | None = None          # catalogue key of its link in its roles' menu, if it has one
    extra_csp: dict[str, str] = field(default_factory=dict)  # e.g. {"img-src": "data:"}

    @property
    def pattern(self) -> re.Pattern:
        parts = re.split(r"(\{[a-z_]+\})", self.path)
        regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
        return re.compile(f"^{regex}$")


def _all_pages() -> list[Page]:
    pages: list[Page] = []
    for module in pkgutil.iter_modules(__path__):
        pages += importlib.import_module(f"{__name__}.{module.name}").PAGES
    return pages


PAGES: list[Page] = _all_pages()


def find(path: str) -> tuple[Page, dict[str, str]] | None:
    """The page at `path` (relative to /portal) and its parameters."""
    for page in PAGES:
        match = page.pattern.match(path)
        if match:
            return page, match.groupdict()
    return None


def menu_for_everyone() -> list[dict]:
    """Every menu link and the roles it is for: the page's script shows the person's own."""
    return [{"href": "/portal" + (f"/{p.path}" if p.path else ""), "label": p.nav,
             "roles": [r.value for r in p.roles or ()]}
            for p in PAGES if p.nav and "{" not in p.path]
