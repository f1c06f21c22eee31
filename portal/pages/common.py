"""The pages every person has: logging in, the home page that leads to their role's pages."""

from pages import Page
from shared.partners import Role

PAGES = [
    Page(path="", template="common/home.html", title="common.home.title", roles=tuple(Role),
         script="common/home.js", nav="common.nav.home"),
    Page(path="connexion", template="common/login.html", title="common.login.title", roles=None,
         script="common/login.js"),
]
