"""A referral partner's pages (a social worker): refer a person, follow their referrals, withdraw one.

Everything they show comes from allocation's routes (`/allocation/referrals…`), called with the
person's token: allocation decides what is theirs."""

from pages import Page
from shared.partners import Role

REFERRER = (Role.REFERRER,)

PAGES = [
    Page(path="orienter", template="referrer/new_referral.html", title="referrer.new.title", roles=REFERRER,
         script="referrer/new_referral.js", catalogues=("referrer",), styles=("referrer.css",),
         nav="referrer.nav.new"),
    Page(path="orientations", template="referrer/referrals.html", title="referrer.list.title", roles=REFERRER,
         script="referrer/referrals.js", catalogues=("referrer",), styles=("referrer.css",),
         nav="referrer.nav.list"),
    Page(path="orientations/{referral_id}", template="referrer/referral.html", title="referrer.referral.title",
         roles=REFERRER, script="referrer/referral.js", catalogues=("referrer",), styles=("referrer.css",)),
]
