"""A point of sale's pages: find a reserved device by its label, sell it, then everything after
the sale (receipt, handover, accompaniment, warranty), and its own sales."""

from pages import Page
from shared.partners import Role

POINT_OF_SALE = (Role.POINT_OF_SALE,)
AREA = ("point_of_sale",)

PAGES = [
    Page(path="point-de-vente", template="point_of_sale/find.html", title="point_of_sale.find.title",
         roles=POINT_OF_SALE, script="point_of_sale/find.js", catalogues=AREA, nav="point_of_sale.nav.find",
         styles=("point_of_sale.css",)),
    Page(path="point-de-vente/vendre/{device_id}", template="point_of_sale/sale_form.html",
         title="point_of_sale.sale_form.title", roles=POINT_OF_SALE, script="point_of_sale/sale_form.js",
         catalogues=AREA, styles=("point_of_sale.css",)),
    Page(path="point-de-vente/ventes", template="point_of_sale/sales.html", title="point_of_sale.sales.title",
         roles=POINT_OF_SALE, script="point_of_sale/sales.js", catalogues=AREA, nav="point_of_sale.nav.sales",
         styles=("point_of_sale.css",)),
    Page(path="point-de-vente/ventes/{sale_id}", template="point_of_sale/sale.html",
         title="point_of_sale.sale.title", roles=POINT_OF_SALE, script="point_of_sale/sale.js",
         catalogues=AREA, styles=("point_of_sale.css",)),
]
