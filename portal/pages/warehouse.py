"""The warehouse's pages: the lots of its territory and their label sheets."""

from pages import Page
from shared.partners import Role

PAGES = [
    Page(path="entrepot/etiquettes", template="warehouse/labels.html", title="warehouse.labels.title",
         roles=(Role.WAREHOUSE,), script="warehouse/labels.js", catalogues=("warehouse",), styles=("warehouse.css",),
         nav="warehouse.nav.labels"),
]
