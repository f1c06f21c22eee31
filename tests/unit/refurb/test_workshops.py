"""Which workshop gets a new work order, and counters of open orders that stay right under races."""

from __future__ import annotations

import pytest

from refurb import workflow
from refurb.adapters.repository import Changes, RefurbRepository
from refurb.domain.workshops import Workshop, WorkshopRegistration, choose_workshop
from shared.outbox import ConcurrencyConflict
from tests.unit.refurb.samples import walk
from tests.unit.support import device_received


def workshop(workshop_id: str, territories: list[str], capacity: int, open_orders: int = 0) -> Workshop:
    return Workshop(workshop_id=workshop_id, territories=territories, capacity=capacity, open_orders=open_orders)


def test_the_local_workshop_with_the_most_free_places_gets_the_order():
    workshops = [workshop("w-rennes", ["35"], 10, 8), workshop("w-vitre", ["35", "53"], 5, 1),
                 workshop("w-brest", ["29"], 100)]
    assert choose_workshop(workshops, "35").workshop_id == "w-vitre"


def test_a_full_territory_sends_the_order_to_any_workshop_with_room():
    workshops = [workshop("w-rennes", ["35"], 2, 2), workshop("w-brest", ["29"], 10, 9), workshop("w-nantes", ["44"], 3)]
    assert choose_workshop(workshops, "35").workshop_id == "w-nantes"


def test_no_room_anywhere_leaves_the_order_unassigned():
    assert choose_workshop([workshop("w-rennes", ["35"], 2, 2), workshop("w-zero", ["35"], 0)], "35") is None
    assert choose_workshop([], "35") is None


def test_ties_are_broken_the_same_way_every_time():
    workshops = [workshop("w-b", ["35"], 3), workshop("w-a", ["35"], 3)]
    assert choose_workshop(workshops, "35").workshop_id == choose_workshop(workshops[::-1], "35").workshop_id == "w-a"


def test_a_warranty_return_prefers_the_workshop_that_refurbished_the_device_if_it_has_room():
    workshops = [workshop("w-rennes", ["35"], 10, 9), workshop("w-vitre", ["35"], 10)]
    assert choose_workshop(workshops, "35", prefer="w-rennes").workshop_id == "w-rennes"
    workshops[0].open_orders = 10
    assert choose_workshop(workshops, "35", prefer="w-rennes").workshop_id == "w-vitre"


def test_registration_validates_territories():
    with pytest.raises(ValueError, match="not département codes: 3500"):
        WorkshopRegistration(territories=["35", "3500"], capacity=3)
    assert WorkshopRegistration(territories=["56", "35", "35"], capacity=3).territories == ["35", "56"]


# --- against the table -----------------------------------------------------------------------------

@pytest.fixture
def repository(table) -> RefurbRepository:
    return RefurbRepository()


def register(repository: RefurbRepository, workshop_id: str, capacity: int, territories=("35",)) -> None:
    workflow.register_workshop(repository, workshop_id,
                               WorkshopRegistration(territories=list(territories), capacity=capacity))


class RacedRepository(RefurbRepository):
    """Reads the workshops, then lets a competitor open its work order before this one writes."""

    def __init__(self, competitor):
        super().__init__()
        self.competitor = competitor
        self.reads = 0

    def workshops(self):
        self.reads += 1
        snapshot = super().workshops()
        if self.competitor:
            competitor, self.competitor = self.competitor, None
            competitor()
        return snapshot


def _receive(repository: RefurbRepository, device_id: str):
    event = device_received(device_id)
    return lambda: workflow.open_work_order(repository, event, event.to_envelope())


def test_two_assignments_racing_for_the_last_place_cannot_both_take_it(repository):
    register(repository, "workshop-rennes", capacity=1)
    raced = RacedRepository(competitor=_receive(repository, "dev-first"))

    mine = _receive(raced, "dev-second")()

    assert repository.get("dev-first").workshop_id == "workshop-rennes"
    assert mine.workshop_id is None  # retried with fresh counters: no room left
    assert repository.get_workshop("workshop-rennes").open_orders == 1
    assert [o.device_id for o in repository.queue(None).items] == ["dev-second"]


def test_two_assignments_racing_are_both_counted(repository):
    register(repository, "workshop-rennes", capacity=5)
    raced = RacedRepository(competitor=_receive(repository, "dev-first"))
    _receive(raced, "dev-second")()
    assert repository.get_workshop("workshop-rennes").open_orders == 2  # no lost update
    # the place is claimed on the counter itself, not on the version read: no conflict, no re-read
    assert raced.reads == 1


def test_re_registering_a_workshop_keeps_its_count_of_open_orders(repository):
    register(repository, "workshop-rennes", capacity=5)
    _receive(repository, "dev-1")()
    register(repository, "workshop-rennes", capacity=8, territories=("35", "56"))
    stored = repository.get_workshop("workshop-rennes")
    assert (stored.capacity, stored.territories, stored.open_orders) == (8, ["35", "56"], 1)


def test_two_saves_of_the_same_read_cannot_both_win(repository):
    register(repository, "workshop-rennes", capacity=5)
    _receive(repository, "dev-1")()
    first, second = repository.get("dev-1"), repository.get("dev-1")
    read = first.version
    walk(first, "awaiting_erasure")
    walk(second, "awaiting_erasure")
    repository.commit(Changes(order=first))
    with pytest.raises(ConcurrencyConflict, match="work order dev-1 changed meanwhile"):
        repository.commit(Changes(order=second))
    assert repository.get("dev-1").version == first.version == read + 1  # the winner holds what is stored
