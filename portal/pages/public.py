"""The device's public passport: what anyone holding its label may read, without logging in."""

from pages import Page

PAGES = [
    # The address every label's QR code encodes (intake/domain/labels.py: PASSPORT_PATH).
    Page(path="d/{label_code}", template="public/passport.html", title="public.passport.title", roles=None,
         script="public/passport.js", catalogues=("public",), styles=("public.css",)),
]
