"""The association's staff pages: people's accounts (opening, disabling, a new temporary password)."""

from pages import Page
from shared.partners import Role

ADMIN = (Role.ADMIN,)
AREA = ("admin",)

PAGES = [
    Page(path="admin/comptes", template="admin/people.html", title="admin.people.title", roles=ADMIN,
         script="admin/people.js", catalogues=AREA, nav="admin.nav.people", styles=("admin.css",)),
]
