"""GET /allocation/referrals: a referral partner's own referrals, newest first, by status, page by page,
each with what its page shows (the reserved device, where to collect it, why it was matched)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from allocation.handlers import api, consumer
from tests.unit.allocation.helpers import REFERRER, make_ready, ready, refer, register_partner
from tests.unit.support import T0, call, deliver, device_sold

OTHER_REFERRER = "social-centre-35-cleunay"


def list_referrals(role: str = "referrer", caller: str | None = None, **query: str):
    """The list as `caller` (by default the role's unit-test partner) asks for it."""
    return call(api.handler, "GET", "/allocation/referrals", role, partner_id=caller, query=query or None)


def refer_some(clock, count: int, prefix: str = "FT", partner_id: str | None = None) -> list[str]:
    """`count` referrals a minute apart (so that their order is their age), waiting: ids oldest first."""
    ids = []
    for n in range(count):
        clock.advance(minutes=1)
        response = refer({"beneficiary_ref": f"{prefix}-{n}"}, partner_id=partner_id)
        assert response.status == 201, response.body
        ids.append(response.body["referral_id"])
    return ids


@pytest.fixture
def other_partner(partner) -> str:
    assert register_partner(OTHER_REFERRER, name="Centre social de Cleunay", kind="social_centre").status == 201
    return OTHER_REFERRER


def test_a_partner_lists_its_own_referrals_only_newest_first(clock, other_partner):
    mine = refer_some(clock, 3)
    theirs = refer_some(clock, 2, prefix="CS", partner_id=other_partner)

    response = list_referrals()
    assert response.status == 200, response.body
    assert [r["referral_id"] for r in response.body["items"]] == mine[::-1]
    assert (response.body["partner_id"], response.body["next_cursor"], response.body["status"]) == (
        REFERRER, None, None)
    # a referral partner naming another partner still reads its own list
    assert [r["referral_id"] for r in list_referrals(caller=other_partner, partner_id=REFERRER)
            .body["items"]] == theirs[::-1]


def test_an_administrator_names_the_partner_whose_referrals_it_reads(clock, other_partner):
    theirs = refer_some(clock, 2, prefix="CS", partner_id=other_partner)
    assert [r["referral_id"] for r in list_referrals("admin", partner_id=other_partner).body["items"]] == theirs[::-1]
    refused = list_referrals("admin")
    assert refused.status == 422 and refused.body["message"].startswith("partner_id")


def test_other_roles_cannot_list_referrals(partner):
    assert list_referrals("point_of_sale").status == 403
    assert list_referrals("donor").status == 403


def test_the_status_filter_keeps_only_that_status(clock, partner):
    waiting = refer_some(clock, 3)
    make_ready(ready("dev-1", at=clock.now))  # goes to the first in line: the oldest referral
    cancelled = waiting[2]
    assert call(api.handler, "POST", f"/allocation/referrals/{cancelled}/cancellation", "referrer",
                {"reason": "la famille a trouvé un ordinateur"}).status == 200

    def ids(status: str) -> list[str]:
        response = list_referrals(status=status)
        assert response.status == 200, response.body
        assert {r["status"] for r in response.body["items"]} <= {status}
        return [r["referral_id"] for r in response.body["items"]]

    assert ids("reserved") == [waiting[0]]
    assert ids("waiting") == [waiting[1]]
    assert ids("cancelled") == [cancelled]
    assert ids("fulfilled") == []
    assert list_referrals(status="lost").status == 422


def test_pages_follow_one_another_without_gap_or_repeat(clock, partner):
    made = refer_some(clock, 5)
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        body = list_referrals(**query).body
        assert len(body["items"]) <= 2 and body["total"] is None
        seen += [r["referral_id"] for r in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (made[::-1], 3)


def test_a_filtered_page_is_full_unless_it_is_the_last(clock, partner):
    made = refer_some(clock, 6)
    for referral_id in made[1::2]:  # every other one withdrawn
        call(api.handler, "POST", f"/allocation/referrals/{referral_id}/cancellation", "referrer",
             {"reason": "plus besoin"})
    first = list_referrals(status="waiting", limit="2").body
    assert [r["referral_id"] for r in first["items"]] == [made[4], made[2]]
    last = list_referrals(status="waiting", limit="2", cursor=first["next_cursor"]).body
    assert ([r["referral_id"] for r in last["items"]], last["next_cursor"]) == ([made[0]], None)


def test_a_cursor_of_another_partners_list_is_refused(clock, other_partner):
    refer_some(clock, 3, prefix="CS", partner_id=other_partner)
    refer_some(clock, 3)
    theirs = list_referrals(caller=other_partner, limit="1").body["next_cursor"]
    refused = list_referrals(cursor=theirs)
    assert refused.status == 422 and "cursor" in refused.body["message"]


def test_a_reserved_referral_shows_the_device_where_to_collect_it_and_why(clock, partner):
    make_ready(ready("dev-1", donor="company", at=T0, grade="B"))
    clock.advance(hours=1)
    response = refer({"needs": {"uses": ["schooling"], "requirements": {"webcam": True, "min_ram_gb": 8}}})
    assert response.body["status"] == "reserved", response.body

    [listed] = list_referrals().body["items"]
    reservation = listed["reservation"]
    assert reservation["device"] == {"device_id": "dev-1", "device_type": "laptop", "grade": "B"}
    assert reservation["collect_at"] == {"territory": "35", "point_of_sale_id": None}
    matching = reservation["matching"]
    assert (matching["trigger"], matching["candidates"]) == ("referral_arrived", 1)
    assert [(r["rule"], r["code"]) for r in matching["reasons"]] == [
        ("provenance", "open_to_every_territory"), ("needs", "requirements_met"), ("order", "ready_longest")]
    assert matching["reasons"][1]["requirements"]["webcam"] is True
    assert matching["reasons"][1]["requirements"]["min_ram_gb"] == 8
    assert listed == call(api.handler, "GET", f"/allocation/referrals/{listed['referral_id']}", "referrer").body


def test_a_device_going_to_the_first_in_line_says_so_and_counts_those_passed_over(clock, partner):
    first, second, third = refer_some(clock, 3)
    make_ready(ready("dev-1", at=clock.now))  # a public body's device of 35: kept for the territory
    body = call(api.handler, "GET", f"/allocation/referrals/{first}", "referrer").body
    matching = body["reservation"]["matching"]
    assert matching["trigger"] == "device_ready"
    provenance, needs, order = matching["reasons"]
    assert (provenance["code"], provenance["donor_type"], provenance["donor_territory"]) == (
        "kept_for_territory", "public_body", "35")
    assert (needs["rule"], needs["code"], needs["requirements"]["webcam"]) == ("needs", "no_requirement", False)
    assert (order["code"], order["priority"]) == ("first_in_line", 3)
    assert matching["passed_over"] == [{"code": "referred_later", "count": 2}]


def test_once_sold_the_point_of_sale_that_sold_it_is_where_to_collect_it(clock, partner):
    make_ready(ready("dev-1", at=T0))
    referral = refer().body
    sold = device_sold("dev-1", referral["reservation_id"])
    assert deliver(consumer.handler, sold.to_envelope(occurred_at=T0 + timedelta(days=1)))["batchItemFailures"] == []
    [listed] = list_referrals(status="fulfilled").body["items"]
    assert listed["reservation"]["collect_at"] == {"territory": "35", "point_of_sale_id": "pos-rennes-centre"}
