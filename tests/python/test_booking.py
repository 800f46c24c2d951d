"""Self-booking and attendance through Store on a file: a scheduled release
(visible exactly at release_at, its cap, holds confirmed, declined and
expired), short-notice booking (refused for phone registrants, a swap for an
earlier first dose), recorded doses, a rebooked second dose and the
attendance report; the events of the new kinds in the outbox; the same
campaign after a reopen and in an Engine; and the errors for bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

import vaxalloc
from vaxalloc import (
    Appointment,
    BookingMode,
    BookingRequest,
    DayAttendance,
    DoseOutcome,
    DoseState,
    Event,
    EventKind,
    RegistrantStatus,
    Release,
    ReleaseSpec,
    SeriesOrigin,
    SeriesStatus,
)
from conftest import UTC, Small

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
HOLD = dt.timedelta(minutes=10)
US = dt.timedelta(microseconds=1)


def berlin(month, day, hour=0, minute=0, second=0):
    return dt.datetime(2021, month, day, hour, minute, second, tzinfo=BERLIN)


#: Monday 14 June, 08:00 in Berlin (06:00 UTC): the release opens.
RELEASE_AT = berlin(6, 14, 8)
RELEASE_DAY = dt.date(2021, 6, 21)
SHORT_NOTICE_AT = berlin(6, 15, 10)  # Tuesday, after that day's slots (8:00-9:00) began


class Campaign:
    """Small's campaign with the self-booking policy (Berlin time, 10-minute
    holds, 4 short-notice days), online registrants A-E and phone registrant
    P in Frankfurt, a release of Monday 21 June at the Festhalle (four
    first-dose seats, capped at three series) opened on 14 June at 08:00
    Berlin time, and a draw on 10 June for that day, which places nobody."""

    def __init__(self, target):
        self.target = target
        self.small = Small(target)
        assert target.set_policy(time_zone="Europe/Berlin", hold=HOLD, short_notice_days=4) == 2
        refs = ["A", "B", "C", "D", "E", "P"]
        ids = target.register_batch(
            external_ref=refs, district=self.small.ffm, birth_day=dt.date(1970, 1, 1),
            registered_at=berlin(6, 1, 9),
            channel=[vaxalloc.Channel.ONLINE] * 5 + [vaxalloc.Channel.PHONE])
        self.id = dict(zip(refs, ids))
        self.spec = ReleaseSpec(center=self.small.festhalle, vaccine=self.small.comirnaty,
                                first_day=RELEASE_DAY, last_day=RELEASE_DAY,
                                release_at=RELEASE_AT, first_dose_cap=3)
        assert target.add_release(self.spec) == 1
        # Draws leave a release's days alone: nobody is placed on 21 June.
        self.draw = target.draw(seed=1, at=berlin(6, 10, 6), first_dose_from=RELEASE_DAY,
                                first_dose_until=RELEASE_DAY)
        assert self.draw.series == ()

    def book(self, ref, at, **kwargs):
        return self.target.book(registrant=self.id[ref], at=at, **kwargs)


def run_story(target):
    """Every flow once, in time order; returns the Campaign."""
    c = Campaign(target)
    t = target
    a = c.book("A", RELEASE_AT)                       # series 1, held, then confirmed
    t.confirm_hold(a.id, at=RELEASE_AT + dt.timedelta(minutes=5))
    b = c.book("B", RELEASE_AT + dt.timedelta(minutes=1), confirm=True)  # series 2
    held = c.book("C", RELEASE_AT + dt.timedelta(minutes=2))             # series 3
    t.decline_hold(held.id, at=RELEASE_AT + dt.timedelta(minutes=3))
    c.book("D", RELEASE_AT + dt.timedelta(minutes=4))                    # series 4, expires
    assert t.expire_holds(at=RELEASE_AT + dt.timedelta(minutes=14)) == 1
    swap = c.book("A", SHORT_NOTICE_AT, mode=BookingMode.SHORT_NOTICE)   # series 5
    t.confirm_hold(swap.id, at=SHORT_NOTICE_AT + dt.timedelta(minutes=1))
    t.record_dose(swap.id, dose=1, outcome=DoseOutcome.GIVEN, at=berlin(6, 16, 8, 5))
    t.record_dose(b.id, dose=1, outcome=DoseOutcome.MISSED, at=berlin(6, 21, 12))
    t.record_dose(swap.id, dose=2, outcome=DoseOutcome.MISSED, at=berlin(7, 7, 12))
    t.rebook_second_dose(swap.id, at=berlin(7, 7, 12, 30))
    t.record_dose(swap.id, dose=2, outcome=DoseOutcome.GIVEN, at=berlin(7, 8, 8, 20))
    c.book("E", berlin(7, 8, 9), mode=BookingMode.SHORT_NOTICE)          # series 6, held
    return c


def snapshot(target):
    """Everything a campaign shows through the API."""
    return {
        "counts": (target.registrant_count, target.series_count, target.release_count,
                   target.hold_count, target.draw_count, target.policy_version),
        "policy": target.policy,
        "registrants": target.get_registrant_batch(range(1, target.registrant_count + 1)),
        "series": target.get_series_batch(range(1, target.series_count + 1)),
        "releases": [target.get_release(i) for i in range(1, target.release_count + 1)],
        "attendance": target.attendance(1, first_day=dt.date(2021, 6, 14),
                                        last_day=dt.date(2021, 7, 31)),
        "report": target.summarize(),
        "slots": target.slots(center=1, vaccine=1, day=RELEASE_DAY),
    }


@pytest.fixture
def path(tmp_path):
    return tmp_path / "booking.sqlite"


@pytest.fixture
def store(path):
    with vaxalloc.Store.open(path) as store:
        yield store


@pytest.fixture
def booking(store):
    return Campaign(store)


# ---------------------------------------------------------------------------
# Releases


def test_release_round_trips_and_counts(booking):
    store = booking.target
    assert store.release_count == 1
    assert store.get_release(1) == Release(
        id=1, center=1, vaccine=1, first_day=RELEASE_DAY, last_day=RELEASE_DAY,
        release_at=dt.datetime(2021, 6, 14, 6, 0, tzinfo=UTC), first_dose_cap=3, booked=0)
    assert store.get_release(1).release_at.tzinfo is UTC
    # The keyword form is the same call.
    assert store.add_release(center=1, first_day=dt.date(2021, 6, 28),
                             last_day=dt.date(2021, 6, 29), release_at=berlin(6, 21, 8)) == 2
    second = store.get_release(2)
    assert (second.vaccine, second.first_dose_cap, second.booked) == (0, 0, 0)
    with pytest.raises(TypeError, match="not both"):
        store.add_release(booking.spec, first_dose_cap=5)
    with pytest.raises(TypeError, match="needs center"):
        store.add_release(center=1, first_day=RELEASE_DAY)
    with pytest.raises(TypeError, match="must be a ReleaseSpec"):
        store.add_release({"center": 1})


def test_release_is_visible_exactly_at_release_at(booking):
    store = booking.target
    revision = store.revision
    with pytest.raises(vaxalloc.CapacityExhaustedError, match="in an open release") as info:
        booking.book("A", RELEASE_AT - US)
    assert "no free series for registrant 1" in info.value.message
    assert store.revision == revision and store.series_count == 0

    held = booking.book("A", RELEASE_AT)
    assert held == vaxalloc.Series(
        id=1, registrant=1, center=1, vaccine=1, dose_count=2,
        appointments=(Appointment(day=RELEASE_DAY, minute=8 * 60),
                      Appointment(day=dt.date(2021, 7, 12), minute=8 * 60)),
        doses=(DoseState.BOOKED, DoseState.BOOKED), status=SeriesStatus.HELD,
        booked_at=RELEASE_AT, origin=SeriesOrigin.RELEASE, draw=0, tier=4, category=0,
        release=1, hold_expires_at=RELEASE_AT + HOLD, replaces=0)
    assert held.hold_expires_at.tzinfo is UTC
    assert store.get_series(1) == held
    # A hold reserves the seat but does not schedule the person yet.
    person = store.get_registrant(1)
    assert (person.status, person.series) == (RegistrantStatus.WAITING, 0)
    assert store.hold_count == 1
    assert store.get_release(1).booked == 1
    assert store.slots(center=1, vaccine=1, day=RELEASE_DAY)[0].booked_first == 1
    assert store.summarize().series_held == 1
    assert store.pending_events() == []  # a hold tells nobody anything yet
    assert store.check_invariants().ok


def test_the_cap_of_a_release(booking):
    store = booking.target
    for minute, ref in enumerate(["A", "B", "C"]):
        series = booking.book(ref, RELEASE_AT + dt.timedelta(minutes=minute), confirm=True)
        assert series.status is SeriesStatus.ACTIVE and series.hold_expires_at is None
    assert store.get_release(1).booked == 3
    with pytest.raises(vaxalloc.CapacityExhaustedError,
                       match="no free series for registrant 4: the open releases have reached "
                             "their caps"):
        booking.book("D", RELEASE_AT + dt.timedelta(minutes=5))
    # The cap, not the seats, stopped it: the fourth seat of the day is free.
    assert [s.booked_first for s in store.slots(center=1, vaccine=1, day=RELEASE_DAY)] == [
        1, 1, 1, 0]
    # Booked at once: one event per series, no hold in between.
    assert [(e.kind, e.registrant, e.series) for e in store.pending_events()] == [
        (EventKind.SERIES_BOOKED, 1, 1), (EventKind.SERIES_BOOKED, 2, 2),
        (EventKind.SERIES_BOOKED, 3, 3)]
    assert store.hold_count == 0


# ---------------------------------------------------------------------------
# Holds


def test_confirm_a_hold(booking):
    store = booking.target
    held = booking.book("A", RELEASE_AT)
    confirmed_at = RELEASE_AT + HOLD - US
    active = store.confirm_hold(held.id, at=confirmed_at)
    assert active == dataclasses.replace(held, status=SeriesStatus.ACTIVE, hold_expires_at=None)
    person = store.get_registrant(1)
    assert (person.status, person.series) == (RegistrantStatus.SCHEDULED, held.id)
    assert store.hold_count == 0
    assert store.pending_events() == [
        Event(id=1, kind=EventKind.SERIES_BOOKED, at=confirmed_at, registrant=1, series=1,
              draw=0)]
    with pytest.raises(vaxalloc.FailedPreconditionError, match="series 1 is not a hold"):
        store.confirm_hold(held.id, at=confirmed_at + US)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="not waiting"):
        booking.book("A", RELEASE_AT + HOLD)


def test_decline_a_hold(booking):
    store = booking.target
    held = booking.book("B", RELEASE_AT)
    assert store.decline_hold(held.id, at=RELEASE_AT + dt.timedelta(minutes=1)) is None
    lapsed = store.get_series(held.id)
    assert lapsed == dataclasses.replace(held, status=SeriesStatus.LAPSED,
                                         doses=(DoseState.RELEASED, DoseState.RELEASED),
                                         hold_expires_at=None)
    assert store.get_registrant(held.registrant).status is RegistrantStatus.WAITING
    assert store.get_release(1).booked == 0
    assert store.slots(center=1, vaccine=1, day=RELEASE_DAY)[0].booked_first == 0
    assert store.hold_count == 0
    with pytest.raises(vaxalloc.FailedPreconditionError, match="series 1 is not a hold"):
        store.decline_hold(held.id, at=RELEASE_AT + dt.timedelta(minutes=2))
    assert store.pending_events() == []
    # The seat is free again: the next person gets it.
    assert booking.book("C", RELEASE_AT + dt.timedelta(minutes=2)).appointments[0].minute == 480


def test_holds_expire(booking):
    store = booking.target
    held = booking.book("C", RELEASE_AT)
    expires = RELEASE_AT + HOLD
    assert held.hold_expires_at == expires
    assert store.expire_holds(at=expires - US) == 0
    assert store.get_series(held.id).status is SeriesStatus.HELD
    # At the expiry instant the hold is gone (due by `at`), and it cannot be confirmed.
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match=r"hold 1 lapsed at 2021-06-14T06:10:00\+00:00"):
        store.confirm_hold(held.id, at=expires)
    assert store.expire_holds(at=expires) == 1
    assert store.get_series(held.id).status is SeriesStatus.LAPSED
    assert store.expire_holds(at=expires) == 0
    assert (store.hold_count, store.get_release(1).booked) == (0, 0)


def test_booking_lets_due_holds_lapse_first(booking):
    store = booking.target
    first = booking.book("D", RELEASE_AT)
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="registrant 4 already holds series 1; confirm or decline it first"):
        booking.book("D", RELEASE_AT + HOLD - US)
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="series 1 is a hold: decline it rather than cancel it"):
        store.cancel_series(first.id, at=RELEASE_AT + dt.timedelta(minutes=1))
    again = booking.book("D", RELEASE_AT + HOLD)  # the first hold lapses in the same call
    assert again.id == 2 and again.status is SeriesStatus.HELD
    assert store.get_series(first.id).status is SeriesStatus.LAPSED
    assert store.hold_count == 1


def test_withdrawing_lets_a_hold_lapse(booking):
    store = booking.target
    held = booking.book("E", RELEASE_AT)
    store.withdraw(held.registrant, at=RELEASE_AT + dt.timedelta(minutes=1))
    assert store.get_series(held.id).status is SeriesStatus.LAPSED
    assert store.hold_count == 0
    assert [e.kind for e in store.pending_events()] == [EventKind.REGISTRANT_WITHDRAWN]


# ---------------------------------------------------------------------------
# Short notice


def test_short_notice_is_refused_for_phone_registrants(booking):
    store = booking.target
    revision = store.revision
    with pytest.raises(vaxalloc.FailedPreconditionError) as info:
        booking.book("P", SHORT_NOTICE_AT, mode=BookingMode.SHORT_NOTICE)
    assert info.value.message == (
        "booking: registrant 6 registered by phone; a short-notice appointment would be "
        "confirmed by letter, which cannot arrive in time")
    assert info.value.code is vaxalloc.StatusCode.FAILED_PRECONDITION
    assert store.revision == revision


def test_short_notice_needs_the_policy(store):
    Small(store)
    store.register(external_ref="A", district=1, birth_day=dt.date(1970, 1, 1),
                   registered_at=berlin(6, 1))
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match=r"short-notice booking is off \(policy short_notice_days is 0\)"):
        store.book(registrant=1, at=SHORT_NOTICE_AT, mode=BookingMode.SHORT_NOTICE)


def test_short_notice_swap_for_an_earlier_first_dose(booking):
    store = booking.target
    old = booking.book("A", RELEASE_AT, confirm=True)
    store.acknowledge_events(1)
    # 10:00 in Berlin: the day's slots (8:00-9:00 local) have begun, so the
    # earliest first dose is Wednesday 16 June.
    request = BookingRequest(registrant=1, at=SHORT_NOTICE_AT, mode=BookingMode.SHORT_NOTICE)
    held = store.book(request)
    assert held.appointments[0] == Appointment(day=dt.date(2021, 6, 16), minute=480)
    assert (held.status, held.origin, held.release, held.replaces) == (
        SeriesStatus.HELD, SeriesOrigin.SHORT_NOTICE, 0, old.id)
    assert store.get_series(old.id).status is SeriesStatus.ACTIVE  # until confirmed
    confirmed_at = SHORT_NOTICE_AT + dt.timedelta(minutes=2)
    new = store.confirm_hold(held.id, at=confirmed_at)
    assert new.status is SeriesStatus.ACTIVE and new.replaces == old.id
    cancelled = store.get_series(old.id)
    assert cancelled.status is SeriesStatus.CANCELLED
    assert cancelled.doses == (DoseState.RELEASED, DoseState.RELEASED)
    person = store.get_registrant(1)
    assert (person.status, person.series) == (RegistrantStatus.SCHEDULED, new.id)
    assert store.get_release(1).booked == 0  # the cancelled series no longer counts
    # The swap tells the person both: the old series cancelled, the new one booked.
    assert store.pending_events() == [
        Event(id=2, kind=EventKind.SERIES_CANCELLED, at=confirmed_at, registrant=1,
              series=old.id, draw=0),
        Event(id=3, kind=EventKind.SERIES_BOOKED, at=confirmed_at, registrant=1,
              series=new.id, draw=0),
    ]


def test_the_time_zone_decides_what_has_begun(store):
    """The same instant, 08:00 UTC on 15 June, is 08:00 in UTC (the 08:00
    slot is still offered) and 10:00 in Berlin (none of the day's slots)."""
    Small(store)
    store.register_batch(external_ref=["A", "B"], district=1, birth_day=dt.date(1970, 1, 1),
                         registered_at=berlin(6, 1))
    store.set_policy(short_notice_days=2)
    now = dt.datetime(2021, 6, 15, 8, 0, tzinfo=UTC)
    utc = store.book(registrant=1, at=now, mode=BookingMode.SHORT_NOTICE)
    assert utc.appointments[0] == Appointment(day=dt.date(2021, 6, 15), minute=480)
    store.set_policy(time_zone=BERLIN, short_notice_days=2)  # a ZoneInfo is kept as its name
    assert store.policy.time_zone == "Europe/Berlin"
    local = store.book(registrant=2, at=now, mode=BookingMode.SHORT_NOTICE)
    assert local.appointments[0] == Appointment(day=dt.date(2021, 6, 16), minute=480)


# ---------------------------------------------------------------------------
# Attendance


def test_attendance_rebooking_and_the_report(booking):
    store = booking.target
    a = booking.book("A", RELEASE_AT, confirm=True)  # 21 June 08:00 and 12 July 08:00
    b = booking.book("B", RELEASE_AT, confirm=True)  # 21 June 08:15 and 12 July 08:15
    first = a.appointments[0]
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="dose 1 of series 1 is on 2021-06-21 at 08:00, which has not begun"):
        store.record_dose(a.id, dose=1, outcome=DoseOutcome.GIVEN, at=berlin(6, 21, 7, 59))
    with pytest.raises(vaxalloc.FailedPreconditionError, match="before dose 1 was given"):
        store.record_dose(a.id, dose=2, outcome=DoseOutcome.GIVEN, at=berlin(7, 12, 9))
    given = store.record_dose(a.id, dose=1, outcome=DoseOutcome.GIVEN, at=berlin(6, 21, 8))
    assert given.doses == (DoseState.GIVEN, DoseState.BOOKED)
    assert given.status is SeriesStatus.ACTIVE and given.appointments[0] == first
    with pytest.raises(vaxalloc.FailedPreconditionError, match="already recorded"):
        store.record_dose(a.id, dose=1, outcome=DoseOutcome.MISSED, at=berlin(6, 21, 9))

    # B misses the first dose: the series ends and B waits again.
    missed_at = berlin(6, 21, 12)
    missed = store.record_dose(b.id, dose=1, outcome=DoseOutcome.MISSED, at=missed_at)
    assert (missed.status, missed.doses) == (SeriesStatus.MISSED,
                                             (DoseState.MISSED, DoseState.RELEASED))
    person = store.get_registrant(b.registrant)
    assert (person.status, person.series, person.waiting_since) == (
        RegistrantStatus.WAITING, 0, missed_at)

    # A misses the second dose and gets a new one within the interval.
    store.record_dose(a.id, dose=2, outcome=DoseOutcome.MISSED, at=berlin(7, 12, 10))
    assert store.summarize().doses_missed == 2
    assert store.attendance(1, first_day=dt.date(2021, 7, 12),
                            last_day=dt.date(2021, 7, 12)) == [
        DayAttendance(day=dt.date(2021, 7, 12), booked=0, given=0, missed=1, no_show_rate=1.0)]
    store.acknowledge_events(2)
    rebooked_at = berlin(7, 12, 10, 30)
    rebooked = store.rebook_second_dose(a.id, at=rebooked_at)
    assert rebooked.appointments == (first, Appointment(day=dt.date(2021, 7, 13), minute=480))
    assert rebooked.doses == (DoseState.GIVEN, DoseState.BOOKED)
    assert store.pending_events() == [
        Event(id=3, kind=EventKind.SECOND_DOSE_REBOOKED, at=rebooked_at, registrant=1,
              series=a.id, draw=0)]
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="series 1 has no missed second dose to rebook"):
        store.rebook_second_dose(a.id, at=rebooked_at + US)
    completed = store.record_dose(a.id, dose=2, outcome=DoseOutcome.GIVEN,
                                  at=berlin(7, 13, 8, 30))
    assert (completed.status, completed.doses) == (SeriesStatus.COMPLETED,
                                                   (DoseState.GIVEN, DoseState.GIVEN))
    person = store.get_registrant(1)
    assert (person.status, person.series) == (RegistrantStatus.VACCINATED, a.id)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="series 1 is completed, not active"):
        store.record_dose(a.id, dose=2, outcome=DoseOutcome.GIVEN, at=berlin(7, 13, 9))

    assert store.attendance(booking.small.festhalle, first_day=dt.date(2021, 6, 1),
                            last_day=dt.date(2021, 7, 31)) == [
        DayAttendance(day=RELEASE_DAY, booked=0, given=1, missed=1, no_show_rate=0.5),
        # The missed second appointment the rebooking replaced still counts.
        DayAttendance(day=dt.date(2021, 7, 12), booked=0, given=0, missed=1, no_show_rate=1.0),
        DayAttendance(day=dt.date(2021, 7, 13), booked=0, given=1, missed=0, no_show_rate=0.0),
    ]
    assert store.attendance(2, first_day=dt.date(2021, 6, 1), last_day=dt.date(2021, 7, 31)) == []
    report = store.summarize()
    assert (report.vaccinated, report.scheduled, report.waiting) == (1, 0, 5)
    assert (report.series_active, report.series_completed, report.series_missed,
            report.series_held, report.series_cancelled) == (0, 1, 1, 0, 0)
    # The rebooked second dose's missed appointment still counts.
    assert (report.doses_given, report.doses_missed) == (2, 2)
    assert store.check_invariants().ok


# ---------------------------------------------------------------------------
# The whole story: outbox, reopen, Engine


def test_the_outbox_holds_the_new_kinds(store):
    run_story(store)
    events = store.pending_events()
    assert [(e.kind, e.registrant, e.series) for e in events] == [
        (EventKind.SERIES_BOOKED, 1, 1),
        (EventKind.SERIES_BOOKED, 2, 2),
        (EventKind.SERIES_CANCELLED, 1, 1),
        (EventKind.SERIES_BOOKED, 1, 5),
        (EventKind.SECOND_DOSE_REBOOKED, 1, 5),
    ]
    assert {e.draw for e in events} == {0}
    assert events[-1].at == berlin(7, 7, 12, 30)
    assert repr(events[-1].kind) == "EventKind.SECOND_DOSE_REBOOKED"
    store.acknowledge_events(events[-1].id)
    assert store.pending_events() == []


def test_the_story_survives_a_reopen(store, path):
    run_story(store)
    before = snapshot(store)
    series = before["series"]
    assert [s.status for s in series] == [
        SeriesStatus.CANCELLED, SeriesStatus.MISSED, SeriesStatus.LAPSED, SeriesStatus.LAPSED,
        SeriesStatus.COMPLETED, SeriesStatus.HELD]
    assert [s.origin for s in series] == [SeriesOrigin.RELEASE] * 4 + [
        SeriesOrigin.SHORT_NOTICE] * 2
    assert series[5].hold_expires_at == berlin(7, 8, 9) + HOLD
    assert before["counts"] == (6, 6, 1, 1, 1, 2)
    pending = store.pending_events()
    store.close()
    with vaxalloc.Store.open(path, create_if_missing=False) as again:
        assert snapshot(again) == before
        assert again.pending_events() == pending
        assert again.check_invariants().ok
        # The booking goes on where it stopped: the hold is still there.
        assert again.confirm_hold(6, at=berlin(7, 8, 9, 5)).status is SeriesStatus.ACTIVE
    with vaxalloc.Store.open(path) as third:
        assert third.get_series(6).status is SeriesStatus.ACTIVE
        assert third.pending_events()[-1].kind is EventKind.SERIES_BOOKED


def test_engine_and_store_agree(store):
    run_story(store)
    engine = vaxalloc.Engine()
    run_story(engine)
    assert snapshot(engine) == snapshot(store)
    assert engine.check_invariants().ok
    assert "releases=1" in repr(engine)


# ---------------------------------------------------------------------------
# Bad input


def test_book_takes_a_request_or_keywords(booking):
    store = booking.target
    request = BookingRequest(registrant=1, at=RELEASE_AT)
    with pytest.raises(TypeError, match="not both"):
        store.book(request, confirm=True)
    with pytest.raises(TypeError, match="needs registrant and at"):
        store.book(registrant=1)
    with pytest.raises(TypeError, match="must be a BookingRequest"):
        store.book({"registrant": 1})
    assert BookingRequest(registrant=1, at=RELEASE_AT, mode=1).mode is BookingMode.SHORT_NOTICE
    with pytest.raises(vaxalloc.InvalidArgumentError, match="booking mode 7 is not a BookingMode"):
        BookingRequest(registrant=1, at=RELEASE_AT, mode=7)
    # The window narrows the first-dose day; None is no bound.
    with pytest.raises(vaxalloc.CapacityExhaustedError, match="2021-06-22 .. 2021-06-30"):
        store.book(registrant=1, at=RELEASE_AT, first_dose_from=dt.date(2021, 6, 22),
                   first_dose_until=dt.date(2021, 6, 30))
    assert store.book(request).appointments[0].day == RELEASE_DAY


NAIVE = dt.datetime(2021, 6, 14, 8, 0)


@pytest.mark.parametrize("call, error, match", [
    # naive datetimes, refused before anything reaches the core
    (lambda c: c.book(registrant=1, at=NAIVE), vaxalloc.InvalidArgumentError,
     "booking at 2021-06-14T08:00:00 is a naive datetime"),
    (lambda c: c.confirm_hold(1, at=NAIVE), vaxalloc.InvalidArgumentError, "naive"),
    (lambda c: c.decline_hold(1, at=NAIVE), vaxalloc.InvalidArgumentError, "naive"),
    (lambda c: c.expire_holds(at=NAIVE), vaxalloc.InvalidArgumentError, "naive"),
    (lambda c: c.record_dose(1, dose=1, outcome=DoseOutcome.GIVEN, at=NAIVE),
     vaxalloc.InvalidArgumentError, "naive"),
    (lambda c: c.rebook_second_dose(1, at=NAIVE), vaxalloc.InvalidArgumentError, "naive"),
    (lambda c: c.add_release(center=1, first_day=dt.date(2021, 7, 1),
                             last_day=dt.date(2021, 7, 1), release_at=NAIVE),
     vaxalloc.InvalidArgumentError, "release release_at 2021-06-14T08:00:00 is a naive"),
    # wrong Python types
    (lambda c: c.book(registrant=1, at=RELEASE_AT, first_dose_from=RELEASE_AT), TypeError,
     "booking first_dose_from must be a datetime.date, not datetime"),
    (lambda c: c.book(registrant=1, at=RELEASE_AT, confirm="yes"), TypeError,
     "booking confirm must be a bool"),
    (lambda c: c.book(registrant="1", at=RELEASE_AT), TypeError, "booking registrant"),
    (lambda c: c.attendance(1, first_day="2021-06-21", last_day=RELEASE_DAY), TypeError,
     "first_day must be a datetime.date"),
    (lambda c: c.record_dose(1, dose=1.0, outcome=DoseOutcome.GIVEN, at=RELEASE_AT), TypeError,
     "dose must be an int"),
    # unknown ids
    (lambda c: c.book(registrant=99, at=RELEASE_AT), vaxalloc.NotFoundError,
     "booking: unknown registrant id 99"),
    (lambda c: c.book(registrant=1, at=RELEASE_AT, center=9), vaxalloc.NotFoundError,
     "booking: unknown center id 9"),
    (lambda c: c.book(registrant=1, at=RELEASE_AT, vaccine=9), vaxalloc.NotFoundError,
     "booking: unknown vaccine id 9"),
    (lambda c: c.confirm_hold(99, at=RELEASE_AT), vaxalloc.NotFoundError, "unknown series id 99"),
    (lambda c: c.decline_hold(0, at=RELEASE_AT), vaxalloc.NotFoundError, "unknown series id 0"),
    (lambda c: c.record_dose(99, dose=1, outcome=DoseOutcome.GIVEN, at=RELEASE_AT),
     vaxalloc.NotFoundError, "unknown series id 99"),
    (lambda c: c.rebook_second_dose(99, at=RELEASE_AT), vaxalloc.NotFoundError,
     "unknown series id 99"),
    (lambda c: c.get_release(2), vaxalloc.NotFoundError, "unknown release id 2"),
    (lambda c: c.get_release(-1), vaxalloc.OutOfRangeError, "release id -1 is out of range"),
    (lambda c: c.attendance(9, first_day=RELEASE_DAY, last_day=RELEASE_DAY),
     vaxalloc.NotFoundError, "attendance: unknown center id 9"),
    (lambda c: c.add_release(center=9, first_day=dt.date(2021, 7, 1),
                             last_day=dt.date(2021, 7, 1), release_at=RELEASE_AT),
     vaxalloc.NotFoundError, "release: unknown center id 9"),
    (lambda c: c.book(registrant=2**32, at=RELEASE_AT), vaxalloc.OutOfRangeError,
     "booking registrant id 4294967296 is out of range"),
    # bad values
    (lambda c: c.record_dose(1, dose=1, outcome=0, at=RELEASE_AT), vaxalloc.InvalidArgumentError,
     "outcome 0 is not a DoseOutcome"),
    (lambda c: c.book(registrant=1, at=RELEASE_AT, mode=5), vaxalloc.InvalidArgumentError,
     "booking mode 5 is not a BookingMode"),
    (lambda c: c.add_release(center=1, first_day=dt.date(2021, 7, 2),
                             last_day=dt.date(2021, 7, 1), release_at=RELEASE_AT),
     vaxalloc.InvalidArgumentError, "release: last_day 2021-07-01 is before first_day 2021-07-02"),
    (lambda c: c.add_release(center=1, vaccine=0, first_day=dt.date(2021, 6, 20),
                             last_day=dt.date(2021, 6, 21), release_at=RELEASE_AT),
     vaxalloc.AlreadyExistsError, "overlap release 1 of the same center"),
    (lambda c: c.add_release(center=1, first_day=dt.date(2021, 7, 1),
                             last_day=dt.date(2021, 7, 1), release_at=RELEASE_AT,
                             first_dose_cap=-1),
     vaxalloc.OutOfRangeError, "release first_dose_cap -1 is out of range"),
    (lambda c: c.attendance(1, first_day=RELEASE_DAY, last_day=dt.date(2021, 6, 20)),
     vaxalloc.InvalidArgumentError, "attendance: 2021-06-21 .. 2021-06-20 is not a range"),
    (lambda c: c.book(registrant=1, at=RELEASE_AT, first_dose_from=dt.date(1800, 1, 1)),
     vaxalloc.OutOfRangeError, "1800-01-01 is outside"),
    # stamps must come after the latest draw
    (lambda c: c.book(registrant=1, at=berlin(6, 10, 6)), vaxalloc.FailedPreconditionError,
     "not after the latest draw's instant"),
    (lambda c: c.expire_holds(at=berlin(6, 9)), vaxalloc.FailedPreconditionError,
     "expiry time .* is not after the latest draw"),
])
def test_bad_input_raises_and_changes_nothing(booking, call, error, match):
    store = booking.target
    revision = store.revision
    with pytest.raises(error, match=match):
        call(store)
    assert store.revision == revision
    assert (store.series_count, store.release_count, store.hold_count) == (0, 1, 0)


def test_record_dose_checks_the_dose(booking):
    store = booking.target
    series = booking.book("A", RELEASE_AT, confirm=True)
    with pytest.raises(vaxalloc.InvalidArgumentError,
                       match="attendance: series 1 has doses 1..2, not 3"):
        store.record_dose(series.id, dose=3, outcome=DoseOutcome.GIVEN, at=berlin(7, 20))
    held = booking.book("B", RELEASE_AT + US)
    with pytest.raises(vaxalloc.FailedPreconditionError, match="series 2 is a hold, not active"):
        store.record_dose(held.id, dose=1, outcome=DoseOutcome.GIVEN, at=berlin(7, 20))


@pytest.mark.parametrize("fields, error, match", [
    ({"time_zone": "Mars/Olympus_Mons"}, vaxalloc.InvalidArgumentError,
     "policy: unknown time zone 'Mars/Olympus_Mons' \\(an IANA name such as Europe/Berlin\\)"),
    ({"time_zone": ""}, vaxalloc.InvalidArgumentError, "time_zone"),
    ({"time_zone": 5}, TypeError, "policy time_zone must be a str"),
    ({"hold": dt.timedelta(0)}, vaxalloc.InvalidArgumentError,
     "policy: hold 0 is outside 1 s .. 1440 minutes"),
    ({"hold": dt.timedelta(minutes=vaxalloc.HOLD_MINUTES_MAX + 1)},
     vaxalloc.InvalidArgumentError, "policy: hold 24h1m is outside"),
    ({"hold": -5}, vaxalloc.InvalidArgumentError, "policy: hold -5s is outside"),
    ({"hold": "10 minutes"}, TypeError, "policy hold must be a datetime.timedelta or seconds"),
    ({"short_notice_days": vaxalloc.SHORT_NOTICE_DAYS_MAX + 1}, vaxalloc.InvalidArgumentError,
     "policy: short_notice_days 61 is outside 0..60"),
    ({"short_notice_days": -1}, vaxalloc.InvalidArgumentError,
     "policy: short_notice_days -1 is outside"),
    ({"short_notice_days": 2**40}, vaxalloc.OutOfRangeError, "policy short_notice_days"),
])
def test_bad_policy_fields(store, fields, error, match):
    with pytest.raises(error, match=match):
        store.set_policy(**fields)
    assert store.policy_version == 1
    assert store.policy == vaxalloc.Policy()


def test_policy_fields_round_trip(store, path):
    policy = vaxalloc.Policy(time_zone=BERLIN, hold=90,
                             short_notice_days=vaxalloc.SHORT_NOTICE_DAYS_MAX)
    assert policy.time_zone == "Europe/Berlin"
    assert policy.hold == dt.timedelta(seconds=90)
    assert store.set_policy(policy) == 2
    assert store.policy == policy
    store.close()
    with vaxalloc.Store.open(path) as again:
        assert again.get_policy(2) == policy
        assert again.get_policy(1) == vaxalloc.Policy()
        with pytest.raises(TypeError, match="not both"):
            again.set_policy(policy, hold=dt.timedelta(minutes=5))
