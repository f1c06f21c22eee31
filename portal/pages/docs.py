"""The API's documentation, for integrators: the six OpenAPI documents, each explorable in Swagger UI.

Public pages, like the documents themselves (`GET /<api>/openapi.json` needs no key). Swagger UI
is served from portal/static/vendor/swagger-ui/ (no CDN) and started by our own script; its
"Try it out" calls the API from this origin with the key or token given to its Authorize dialog.
"""

from pages import Page

SWAGGER_STYLES = ("../vendor/swagger-ui/swagger-ui.css", "docs.css")

PAGES = [
    Page(path="api", template="docs/index.html", title="docs.index.title", roles=None,
         script="docs/index.js", catalogues=("docs",), styles=("docs.css",)),
    Page(path="api/{api}", template="docs/explorer.html", title="docs.explorer.title", roles=None,
         script="docs/explorer.js", catalogues=("docs",), styles=SWAGGER_STYLES),
]
