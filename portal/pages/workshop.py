"""A workshop technician's pages: the workshop's queue, and one page per work order that walks
its steps in the order the refurb service allows them."""

from pages import Page
from shared.partners import Role

PAGES = [
    Page(path="atelier", template="workshop/queue.html", title="workshop.queue.title", roles=(Role.WORKSHOP,),
         script="workshop/queue.js", catalogues=("workshop",), styles=("workshop.css",), nav="workshop.nav.queue"),
    Page(path="atelier/appareils/{device_id}", template="workshop/work_order.html", title="workshop.order.title",
         roles=(Role.WORKSHOP,), script="workshop/work_order.js", catalogues=("workshop",), styles=("workshop.css",)),
]
