"""Draw lead times, overbooking and deleting a registration (0.3), on an
Engine and on a Store file: the cases of tests/c_api_test.c.

Policy: draw_lead_days_online, draw_lead_days_phone and overbook_permille
with the core's defaults and bounds (its messages name the field), round
trips across a reopen. Overbooking: Slot.bookable_first takes the seats plus
the permille, draws fill it, doses still bound them, a lower overbooking
leaves the appointments made. Lead times: a phone registrant is not drawn
for a first dose before the draw's day + its lead days. Deletion: a
scheduled registrant is withdrawn (with its events) and erased, the
reference is free at once, a second deletion is refused, a withdrawn
registrant is only erased, and a withdrawal code deletes too."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import vaxalloc
from vaxalloc import Channel, CodePurpose, EventKind, RegistrantStatus, SeriesStatus
from conftest import at

J = dt.date(2021, 6, 14)  # a Monday
DAY = dt.timedelta(days=1)
FIRST_DRAW_AT = at(2021, 6, 14, 6)
SECOND_DRAW_AT = at(2021, 6, 14, 7)
REGISTERED_AT = at(2021, 6, 4, 9)
EPOCH_DAY = dt.date(1970, 1, 1)


class Lead:
    """One center, a one-dose vaccine, one 08:00 slot a day on J .. J + 13
    with 5 first-dose seats, 6 doses; registrant 1 (L-01) by phone, 2-10
    (L-02 .. L-10) online, all registered on 4 June. Policy 2: phone lead 3
    days, overbooking 400 permille (each slot takes 7)."""

    def __init__(self, target):
        self.target = target
        self.district = target.add_district(code="06412", name="Frankfurt am Main")
        self.vaccine = target.add_vaccine(code="janssen", name="Janssen", dose_count=1)
        self.center = target.add_center(code="IZ-F", name="Impfzentrum Frankfurt",
                                        districts=[self.district])
        target.add_capacity(center=self.center, vaccine=self.vaccine, first_day=J,
                            last_day=J + 13 * DAY, open_minute=480, close_minute=510,
                            slot_minutes=30, seats_first=5)
        target.add_supply(center=self.center, vaccine=self.vaccine, day=J - 30 * DAY, doses=6)
        refs = [f"L-{k:02d}" for k in range(1, 11)]
        self.ids = target.register_batch(
            external_ref=refs, district=self.district, birth_day=dt.date(1960, 1, 1),
            registered_at=REGISTERED_AT,
            channel=[Channel.PHONE] + [Channel.ONLINE] * 9)
        assert self.ids == list(range(1, 11))
        assert target.set_policy(draw_lead_days_phone=3, overbook_permille=400) == 2

    def slot(self, day):
        (slot,) = self.target.slots(center=self.center, vaccine=self.vaccine, day=day)
        return slot

    def first_day(self, registrant):
        person = self.target.get_registrant(registrant)
        assert person.status is RegistrantStatus.SCHEDULED
        return self.target.get_series(person.series).appointments[0].day

    def draw_twice(self):
        """Draw 1 (6 doses: six online people on J, the phone registrant
        left waiting), 10 doses more, draw 2 (window to J + 6)."""
        first = self.target.draw(seed=1, at=FIRST_DRAW_AT, first_dose_from=J,
                                 first_dose_until=J + 2 * DAY)
        self.target.add_supply(center=self.center, vaccine=self.vaccine, day=J - 30 * DAY,
                               doses=10)
        second = self.target.draw(seed=2, at=SECOND_DRAW_AT, first_dose_from=J,
                                  first_dose_until=J + 6 * DAY)
        return first, second


@pytest.fixture
def lead(campaign):
    return Lead(campaign)


# --- The policy ---------------------------------------------------------------


def test_the_new_policy_fields_default_to_zero(campaign):
    policy = campaign.policy
    assert (policy.draw_lead_days_online, policy.draw_lead_days_phone,
            policy.overbook_permille) == (0, 0, 0)
    assert vaxalloc.DRAW_LEAD_DAYS_MAX == 60
    assert vaxalloc.OVERBOOK_PERMILLE_MAX == 500


@pytest.mark.parametrize("fields, error, match", [
    ({"draw_lead_days_online": -1}, vaxalloc.InvalidArgumentError,
     "policy: draw_lead_days_online -1 is outside 0..60"),
    ({"draw_lead_days_online": vaxalloc.DRAW_LEAD_DAYS_MAX + 1}, vaxalloc.InvalidArgumentError,
     "policy: draw_lead_days_online 61 is outside 0..60"),
    ({"draw_lead_days_phone": -1}, vaxalloc.InvalidArgumentError,
     "policy: draw_lead_days_phone -1 is outside 0..60"),
    ({"draw_lead_days_phone": vaxalloc.DRAW_LEAD_DAYS_MAX + 1}, vaxalloc.InvalidArgumentError,
     "policy: draw_lead_days_phone 61 is outside"),
    ({"overbook_permille": -1}, vaxalloc.InvalidArgumentError,
     "policy: overbook_permille -1 is outside 0..500"),
    ({"overbook_permille": vaxalloc.OVERBOOK_PERMILLE_MAX + 1}, vaxalloc.InvalidArgumentError,
     "policy: overbook_permille 501 is outside 0..500"),
    ({"overbook_permille": 2**40}, vaxalloc.OutOfRangeError, "policy overbook_permille"),
    ({"draw_lead_days_phone": 2**40}, vaxalloc.OutOfRangeError, "policy draw_lead_days_phone"),
    ({"draw_lead_days_online": "3"}, TypeError, "policy draw_lead_days_online must be an int"),
    ({"overbook_permille": 1.5}, TypeError, "policy overbook_permille must be an int"),
])
def test_bad_policy_fields(campaign, fields, error, match):
    with pytest.raises(error, match=match):
        campaign.set_policy(**fields)
    assert campaign.policy_version == 1
    assert campaign.policy == vaxalloc.Policy()


def test_policy_fields_round_trip(tmp_path):
    path = tmp_path / "policy.sqlite"
    policy = vaxalloc.Policy(draw_lead_days_online=vaxalloc.DRAW_LEAD_DAYS_MAX,
                             draw_lead_days_phone=7,
                             overbook_permille=vaxalloc.OVERBOOK_PERMILLE_MAX)
    with vaxalloc.Store.open(path) as store:
        assert store.set_policy(policy) == 2
        assert store.policy == policy
        # Keywords give the same policy; a Policy and keywords together do not.
        assert store.set_policy(draw_lead_days_online=60, draw_lead_days_phone=7,
                                overbook_permille=500) == 3
        with pytest.raises(TypeError, match="not both"):
            store.set_policy(policy, overbook_permille=100)
        with pytest.raises(TypeError, match="not both"):
            store.set_policy(policy, draw_lead_days_phone=1)
    with vaxalloc.Store.open(path) as again:
        assert again.get_policy(2) == again.get_policy(3) == policy
        assert again.get_policy(1) == vaxalloc.Policy()
        changed = dataclasses.replace(policy, overbook_permille=0)
        assert again.set_policy(changed) == 4
        assert again.policy.overbook_permille == 0
        assert again.policy.draw_lead_days_phone == 7


# --- Overbooking and lead times -------------------------------------------------


def test_slots_show_the_bookable_appointments(lead):
    assert lead.slot(J) == vaxalloc.Slot(day=J, minute=480, seats_first=5, seats_second=0,
                                         bookable_first=7, bookable_second=0, booked_first=0,
                                         booked_second=0)
    assert lead.target.slots(center=lead.center, vaccine=lead.vaccine, day=J - DAY) == []


def test_draws_overbook_and_respect_the_phone_lead_time(lead):
    target = lead.target
    first, second = lead.draw_twice()
    # Draw 1: the doses (6) bound it, all on J, one over the seats; the
    # phone registrant may not have a first dose before J + 3 and waits.
    assert first.policy_version == 2
    assert len(first.series) == 6
    assert first.tiers[3] == vaxalloc.TierCount(eligible=10, assigned=6)
    drawn_first = {target.get_series(s).registrant for s in first.series}
    assert 1 not in drawn_first
    assert {target.get_series(s).appointments[0].day for s in first.series} == {J}
    # Draw 2: J's last bookable appointment, J + 1 for the online rest, and
    # J + 3 for the phone registrant.
    assert len(second.series) == 4
    assert lead.first_day(1) == J + 3 * DAY
    days = [lead.first_day(k) for k in range(2, 11)]
    assert (days.count(J), days.count(J + DAY)) == (7, 2)
    assert (lead.slot(J).seats_first, lead.slot(J).bookable_first,
            lead.slot(J).booked_first) == (5, 7, 7)
    assert lead.slot(J + DAY).booked_first == 2
    assert lead.slot(J + 2 * DAY).booked_first == 0
    assert lead.slot(J + 3 * DAY).booked_first == 1
    assert target.check_invariants().ok


def test_a_phone_registrant_waits_when_the_window_ends_before_the_lead(lead):
    target = lead.target
    target.add_supply(center=lead.center, vaccine=lead.vaccine, day=J - 30 * DAY, doses=100)
    record = target.draw(seed=3, at=FIRST_DRAW_AT, first_dose_from=J,
                         first_dose_until=J + 2 * DAY)
    assert len(record.series) == 9  # every online registrant, on J and J + 1
    assert target.get_registrant(1).status is RegistrantStatus.WAITING


def test_lowering_the_overbooking_keeps_the_appointments(lead):
    lead.draw_twice()
    policy = dataclasses.replace(lead.target.policy, overbook_permille=0)
    assert lead.target.set_policy(policy) == 3
    assert (lead.slot(J).bookable_first, lead.slot(J).booked_first) == (5, 7)
    assert (lead.slot(J + DAY).bookable_first, lead.slot(J + DAY).booked_first) == (5, 2)
    assert lead.target.check_invariants().ok


# --- Deleting a registration ---------------------------------------------------------


def expect_erased(target, registrant, registered_at=REGISTERED_AT):
    person = target.get_registrant(registrant)
    assert person.erased is True
    assert person.status is RegistrantStatus.WITHDRAWN
    assert person.external_ref == ""
    assert person.birth_day == EPOCH_DAY
    assert person.series == 0
    # What the statistics need stays.
    assert person.district == 1
    assert person.registered_at == registered_at


def test_delete_a_scheduled_registration(lead):
    target = lead.target
    lead.draw_twice()
    person = target.get_registrant(1)
    assert (person.erased, person.external_ref) == (False, "L-01")
    series = person.series
    last = target.pending_events()[-1].id if isinstance(target, vaxalloc.Store) else 0
    deleted_at = at(2021, 6, 14, 9)
    assert target.delete_registration(1, at=deleted_at) is None
    expect_erased(target, 1)
    assert target.get_series(series).status is SeriesStatus.CANCELLED
    assert lead.slot(J + 3 * DAY).booked_first == 0
    if isinstance(target, vaxalloc.Store):
        events = target.pending_events(after_id=last)
        assert [(e.kind, e.registrant, e.series, e.at) for e in events] == [
            (EventKind.SERIES_CANCELLED, 1, series, deleted_at),
            (EventKind.REGISTRANT_WITHDRAWN, 1, series, deleted_at)]
    # The reference is gone, and free for a new registration.
    with pytest.raises(vaxalloc.NotFoundError):
        target.find_registrant("L-01")
    new = target.register(external_ref="L-01", district=lead.district,
                          birth_day=dt.date(1961, 2, 2), registered_at=at(2021, 6, 14, 9, 15),
                          channel=Channel.PHONE)
    assert new == 11
    assert target.find_registrant("L-01") == 11
    assert target.get_registrant(11).erased is False
    # Deleting again is refused and changes nothing.
    revision = target.revision
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="registrant 1's registration is already deleted"):
        target.delete_registration(1, at=deleted_at + dt.timedelta(minutes=1))
    with pytest.raises(vaxalloc.FailedPreconditionError):
        target.withdraw(1, at=deleted_at + dt.timedelta(minutes=1))
    assert target.revision == revision
    assert target.check_invariants().ok


def test_delete_a_withdrawn_registration(lead):
    target = lead.target
    target.withdraw(2, at=at(2021, 6, 10))
    events = len(target.pending_events()) if isinstance(target, vaxalloc.Store) else 0
    target.delete_registration(2, at=at(2021, 6, 10, 1))
    expect_erased(target, 2)
    if isinstance(target, vaxalloc.Store):
        assert len(target.pending_events()) == events  # only erased: no event
    assert target.summarize().withdrawn == 1


def test_delete_registration_errors_change_nothing(lead):
    target = lead.target
    lead.draw_twice()
    revision = target.revision
    with pytest.raises(vaxalloc.NotFoundError, match="unknown registrant id 99"):
        target.delete_registration(99, at=at(2021, 6, 14, 9))
    with pytest.raises(vaxalloc.NotFoundError):
        target.delete_registration(0, at=at(2021, 6, 14, 9))
    with pytest.raises(vaxalloc.FailedPreconditionError, match="latest draw"):
        target.delete_registration(1, at=at(2021, 6, 14, 6, 30))  # before draw 2
    with pytest.raises(vaxalloc.OutOfRangeError):
        target.delete_registration(1, at=at(2201, 1, 1))
    with pytest.raises(vaxalloc.OutOfRangeError, match="registrant id"):
        target.delete_registration(2**40, at=at(2021, 6, 14, 9))
    with pytest.raises(vaxalloc.InvalidArgumentError, match="naive"):
        target.delete_registration(1, at=dt.datetime(2021, 6, 14, 9))
    with pytest.raises(TypeError):
        target.delete_registration("1", at=at(2021, 6, 14, 9))
    assert target.revision == revision
    assert target.get_registrant(1).erased is False


def test_a_withdrawal_code_deletes_the_registration(lead):
    target = lead.target
    issued = target.issue_code(3, purpose=CodePurpose.WITHDRAW, at=at(2021, 6, 10, 9))
    target.verify_code(issued.code_id, issued.code, at=at(2021, 6, 10, 9, 5))
    expect_erased(target, 3)
    with pytest.raises(vaxalloc.NotFoundError):
        target.find_registrant("L-03")


def test_an_erasure_survives_a_reopen(tmp_path):
    path = tmp_path / "deletion.sqlite"
    with vaxalloc.Store.open(path) as store:
        lead = Lead(store)
        lead.draw_twice()
        store.delete_registration(1, at=at(2021, 6, 14, 9))
        store.register(external_ref="L-01", district=lead.district,
                       birth_day=dt.date(1961, 2, 2), registered_at=at(2021, 6, 14, 9, 15))
        before = store.get_registrant_batch(range(1, 12))
    with vaxalloc.Store.open(path) as again:
        assert again.get_registrant_batch(range(1, 12)) == before
        expect_erased(again, 1)
        assert again.find_registrant("L-01") == 11
        assert again.policy.overbook_permille == 400
        (slot,) = again.slots(center=1, vaccine=1, day=J)
        assert (slot.bookable_first, slot.booked_first) == (7, 7)
        assert again.check_invariants().ok
