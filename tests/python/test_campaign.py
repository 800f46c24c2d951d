"""Every method of Engine and Store (each test runs on both), with exact values."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

import vaxalloc
from conftest import CEST, UTC, Small, at

G = vaxalloc.PriorityGroup


def register_four(target, small):
    """Four Frankfurt registrants: two in group 1, two without a group."""
    return target.register_batch([
        vaxalloc.RegistrantSpec(external_ref="FFM-1", district=small.ffm,
                                birth_day=dt.date(1935, 3, 1), registered_at=at(2021, 1, 10),
                                group=G.GROUP1),
        vaxalloc.RegistrantSpec(external_ref="FFM-2", district=small.ffm,
                                birth_day=dt.date(1990, 7, 2), registered_at=at(2021, 6, 1),
                                channel=vaxalloc.Channel.PHONE),
        {"external_ref": "FFM-3", "district": small.ffm, "birth_day": dt.date(1938, 1, 31),
         "registered_at": at(2021, 1, 11), "group": 1},
        {"external_ref": "FFM-4", "district": small.ffm, "birth_day": dt.date(1985, 12, 24),
         "registered_at": at(2021, 6, 2)},
    ])


def test_setup_ids_and_getters(campaign):
    small = Small(campaign)
    assert (small.ffm, small.of) == (1, 2)
    assert (small.comirnaty, small.janssen) == (1, 2)
    assert (small.festhalle, small.offenbach) == (1, 2)
    assert (campaign.district_count, campaign.vaccine_count, campaign.center_count) == (2, 2, 2)
    assert campaign.get_district(1) == vaxalloc.District(id=1, code="06412",
                                                         name="Frankfurt am Main")
    assert campaign.get_vaccine(2) == vaxalloc.Vaccine(
        id=2, code="janssen", name="Janssen", dose_count=1, interval_days_min=0,
        interval_days_target=0, interval_days_max=0, age_years_min=60, age_years_max=0)
    assert campaign.get_vaccine(1).interval_days_max == 42
    assert campaign.get_center(2) == vaxalloc.Center(id=2, code="OF", name="Offenbach",
                                                     districts=(2,))
    assert campaign.find_district("06413") == 2
    assert campaign.find_vaccine("janssen") == 2
    assert campaign.find_center("FFM") == 1


def test_capacity_blocks_deliveries_and_slots(campaign):
    Small(campaign)
    blocks = campaign.capacity_blocks
    assert len(blocks) == 2
    assert blocks[1] == vaxalloc.CapacityBlock(
        center=2, vaccine=2, first_day=dt.date(2021, 6, 14), last_day=dt.date(2021, 6, 20),
        weekdays=vaxalloc.Weekday.MONDAY | vaxalloc.Weekday.TUESDAY, open_minute=540,
        close_minute=600, slot_minutes=30, seats_first=2, seats_second=0)
    assert campaign.deliveries == [
        vaxalloc.SupplyDelivery(center=1, vaccine=1, day=dt.date(2021, 6, 1), doses=1000),
        vaxalloc.SupplyDelivery(center=2, vaccine=2, day=dt.date(2021, 6, 1), doses=3),
    ]
    # 14 June 2021 is a Monday, 16 June a Wednesday (closed in Offenbach).
    assert campaign.slots(center=2, vaccine=2, day=dt.date(2021, 6, 14)) == [
        vaxalloc.Slot(day=dt.date(2021, 6, 14), minute=540, seats_first=2, seats_second=0,
                      bookable_first=2, bookable_second=0, booked_first=0, booked_second=0),
        vaxalloc.Slot(day=dt.date(2021, 6, 14), minute=570, seats_first=2, seats_second=0,
                      bookable_first=2, bookable_second=0, booked_first=0, booked_second=0),
    ]
    assert campaign.slots(center=2, vaccine=2, day=dt.date(2021, 6, 16)) == []
    assert [s.minute for s in campaign.slots(center=1, vaccine=1, day=dt.date(2021, 7, 1))] == [
        480, 495, 510, 525]
    assert campaign.doses_available_from(center=1, vaccine=1, day=dt.date(2021, 6, 14)) == 1000
    assert campaign.doses_available_from(center=2, vaccine=2, day=dt.date(2021, 6, 14)) == 3


def test_second_dose_shortfall_is_reported(campaign):
    small = Small(campaign)
    # First-dose seats on 1 August have no second-dose seats 21-42 days later.
    campaign.add_capacity(center=small.festhalle, vaccine=small.comirnaty,
                          first_day=dt.date(2021, 8, 1), last_day=dt.date(2021, 8, 1),
                          open_minute=600, close_minute=630, slot_minutes=30, seats_first=3)
    shortfalls = campaign.check_second_dose_capacity()
    assert vaxalloc.SecondDoseShortfall(center=1, vaccine=1, day=dt.date(2021, 8, 1),
                                        seats_first=3, seats_second_in_window=0) in shortfalls


def test_register_forms_and_getters(campaign):
    small = Small(campaign)
    ids = register_four(campaign, small)
    assert ids == [1, 2, 3, 4]
    one = campaign.register(external_ref="OF-1", district=small.of,
                            birth_day=dt.date(1950, 2, 28), registered_at=at(2021, 6, 3, 9, 30),
                            group=G.GROUP3, vaccine_preference=small.janssen)
    assert one == 5
    columns = campaign.register_batch(
        external_ref=["OF-2", "OF-3"], district=small.of,
        birth_day=[dt.date(1940, 1, 1), dt.date(1941, 1, 1)],
        registered_at=at(2021, 6, 4, tz=CEST), group=[G.GROUP2, G.NONE],
        channel=vaxalloc.Channel.PHONE)
    assert columns == [6, 7]
    assert campaign.registrant_count == 7
    r = campaign.get_registrant(2)
    assert r == vaxalloc.Registrant(
        id=2, external_ref="FFM-2", district=1, birth_day=dt.date(1990, 7, 2),
        registered_at=at(2021, 6, 1), group=G.NONE, channel=vaxalloc.Channel.PHONE,
        vaccine_preference=0, standby=False, status=vaxalloc.RegistrantStatus.WAITING,
        waiting_since=at(2021, 6, 1), series=0, erased=False)
    assert r.registered_at.tzinfo is UTC
    assert campaign.get_registrant(3).group is G.GROUP1
    assert campaign.get_registrant(5).vaccine_preference == 2
    six, seven = campaign.get_registrant_batch([6, 7])
    assert (six.group, seven.group) == (G.GROUP2, G.NONE)
    assert six.registered_at == at(2021, 6, 3, 22)  # 4 June 00:00 CEST
    assert seven.channel is vaxalloc.Channel.PHONE
    assert campaign.find_registrant("OF-3") == 7
    assert campaign.find_registrant_batch(["FFM-4", "FFM-1"]) == [4, 1]
    assert campaign.tier_of(1) == 1
    assert campaign.tier_of(2) == 4
    assert campaign.tier_of(6, policy_version=1) == 2


def test_draw_cancel_withdraw_and_reports(campaign):
    small = Small(campaign)
    register_four(campaign, small)
    record = campaign.draw(seed=7, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                           first_dose_until=dt.date(2021, 6, 14), series_limit=3)
    assert record.id == 1
    assert record.policy_version == 1
    assert record.request == vaxalloc.DrawRequest(
        seed=vaxalloc.DrawSeed(k0=7, k1=0), at=at(2021, 6, 7),
        first_dose_from=dt.date(2021, 6, 14), first_dose_until=dt.date(2021, 6, 14),
        centers=(), series_limit=3)
    assert record.tiers[0] == vaxalloc.TierCount(eligible=2, assigned=2)
    assert record.tiers[3] == vaxalloc.TierCount(eligible=2, assigned=1)
    assert len(record.tiers) == vaxalloc.TIER_MAX
    assert record.series == (1, 2, 3)
    assert campaign.get_draw(1) == record
    assert campaign.draw_count == 1 and campaign.series_count == 3

    series = campaign.get_series_batch(record.series)
    # Group 1 first (tier 1), then one of tier 4; the order inside a tier is the lottery's.
    assert [s.tier for s in series] == [1, 1, 4]
    first_tier = sorted(["FFM-1", "FFM-3"], key=lambda ref: vaxalloc.lottery_number(7, ref))
    refs = [campaign.get_registrant(s.registrant).external_ref for s in series]
    assert refs[:2] == first_tier
    s = series[0]
    assert s.appointments == (
        vaxalloc.Appointment(day=dt.date(2021, 6, 14), minute=480),
        vaxalloc.Appointment(day=dt.date(2021, 7, 5), minute=480),
    )
    assert str(s.appointments[1]) == "2021-07-05 08:00"
    assert s.appointments[0].time == dt.time(8, 0)
    assert (s.status, s.draw, s.category, s.center, s.vaccine, s.dose_count) == (
        vaxalloc.SeriesStatus.ACTIVE, 1, 0, 1, 1, 2)
    # A draw's series: both doses booked, no release, no hold, nothing replaced.
    assert s.doses == (vaxalloc.DoseState.BOOKED, vaxalloc.DoseState.BOOKED)
    assert (s.origin, s.release, s.hold_expires_at, s.replaces) == (
        vaxalloc.SeriesOrigin.DRAW, 0, None, 0)
    assert s.booked_at == at(2021, 6, 7)
    winner = campaign.get_registrant(s.registrant)
    assert winner.status is vaxalloc.RegistrantStatus.SCHEDULED and winner.series == s.id
    assert campaign.slots(center=1, vaccine=1, day=dt.date(2021, 6, 14))[0].booked_first == 1

    report = campaign.summarize()
    assert (report.registrants, report.waiting, report.scheduled, report.withdrawn) == (4, 1, 3, 0)
    assert report.waiting_per_tier == (0, 0, 0, 1, 0, 0, 0, 0)
    assert (report.series_active, report.series_cancelled, report.draws) == (3, 0, 1)
    assert (report.vaccinated, report.series_held, report.series_completed,
            report.series_missed, report.doses_given, report.doses_missed) == (0, 0, 0, 0, 0, 0)
    assert report.centers[0] == vaxalloc.CenterReport(
        center=1, series_active=3, seats_first_free=48 * 4 - 3, doses_delivered=1000,
        doses_reserved=6, residents_waiting=1)

    campaign.cancel_series(s.id, at=at(2021, 6, 8, 12))
    assert campaign.get_series(s.id).status is vaxalloc.SeriesStatus.CANCELLED
    again = campaign.get_registrant(s.registrant)
    assert again.status is vaxalloc.RegistrantStatus.WAITING
    assert again.waiting_since == at(2021, 6, 8, 12)
    campaign.withdraw(series[1].registrant, at=at(2021, 6, 9))
    assert campaign.get_registrant(series[1].registrant).status is (
        vaxalloc.RegistrantStatus.WITHDRAWN)
    assert campaign.get_series(series[1].id).status is vaxalloc.SeriesStatus.CANCELLED
    report = campaign.summarize()
    assert (report.waiting, report.scheduled, report.withdrawn) == (2, 1, 1)
    assert (report.series_active, report.series_cancelled) == (1, 2)
    check = campaign.check_invariants()
    assert check.ok and check.violation_count == 0 and check.violations == ()
    assert "hold" in str(check)


def test_draw_takes_a_request_object_and_a_center_list(campaign):
    small = Small(campaign)
    campaign.register_batch(external_ref=["OF-1", "OF-2", "OF-3"], district=small.of,
                            birth_day=dt.date(1950, 1, 1), registered_at=at(2021, 6, 1))
    request = vaxalloc.DrawRequest(seed=(1, 2), at=at(2021, 6, 7),
                                   first_dose_from=dt.date(2021, 6, 14),
                                   first_dose_until=dt.date(2021, 6, 20), centers=[2])
    record = campaign.draw(request)
    assert record.request == request
    assert record.request.centers == (2,)
    # Three doses of Janssen for three people 60+, on Monday 14 June.
    series = campaign.get_series_batch(record.series)
    assert len(series) == 3
    assert {s.appointments[0].day for s in series} == {dt.date(2021, 6, 14)}
    assert all(s.dose_count == 1 and len(s.appointments) == 1 for s in series)
    with pytest.raises(TypeError):
        campaign.draw(request, series_limit=1)
    with pytest.raises(TypeError):
        campaign.draw(seed=1, at=at(2021, 6, 7))


def test_policy_round_trip_and_versions(campaign):
    small = Small(campaign)
    assert campaign.policy_version == 1
    assert campaign.policy == vaxalloc.Policy()
    policy = vaxalloc.Policy(
        tier_rules=[
            vaxalloc.TierRule(registered_before=at(2021, 6, 7, tz=CEST),
                              tier_by_group=(1, 2, 3, 4)),
            vaxalloc.TierRule(registered_before=None, tier_by_group=(4, 4, 4, 4)),
        ],
        reserves=[vaxalloc.ReserveCategory(name="80+", share_permille=250, age_years_min=80,
                                           group_mask=0b001, vaccine=small.comirnaty)],
        residence=vaxalloc.ResidenceRule.HOME_OR_NEIGHBOUR_DISTRICT,
        neighbours=[(small.ffm, small.of)],
        time_zone="Europe/Berlin",
        hold=dt.timedelta(minutes=15, microseconds=7),
        short_notice_days=4,
    )
    assert campaign.set_policy(policy) == 2
    stored = campaign.policy
    # Instants come back in UTC: the same instant, compared equal.
    assert stored == policy
    assert stored.tier_rules[0].registered_before == at(2021, 6, 6, 22)
    assert campaign.policy_version == 2
    assert campaign.get_policy(1) == vaxalloc.Policy()
    assert campaign.get_policy(2) == policy
    assert campaign.set_policy(tier_rules=[vaxalloc.TierRule(tier_by_group=(2, 2, 2, 1))]) == 3
    assert campaign.policy.tier_rules == (vaxalloc.TierRule(tier_by_group=(2, 2, 2, 1)),)
    # Fields left out take the defaults, the self-booking ones too.
    assert campaign.policy.time_zone == "UTC" and campaign.policy.short_notice_days == 0
    with pytest.raises(TypeError):
        campaign.set_policy(policy, residence=vaxalloc.ResidenceRule.HOME_OR_NEIGHBOUR_DISTRICT)


def test_revision_counts_changes(campaign):
    before = campaign.revision
    campaign.add_district(code="1", name="one")
    assert campaign.revision == before + 1


def test_value_types_are_frozen_keyword_only_and_readable():
    spec = vaxalloc.VaccineSpec(code="x", name="X")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.code = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        vaxalloc.VaccineSpec("x", "X")  # type: ignore[misc]
    assert repr(vaxalloc.PriorityGroup.GROUP1) == "PriorityGroup.GROUP1"
    assert repr(vaxalloc.CenterSpec(code="c", name="C", districts=[3, 1])) == (
        "CenterSpec(code='c', name='C', districts=(3, 1))")
    spec = vaxalloc.RegistrantSpec(external_ref="r", district=1, birth_day=dt.date(2000, 1, 1),
                                   registered_at=at(2021, 1, 1), group=2)
    assert spec.group is vaxalloc.PriorityGroup.GROUP2
    with pytest.raises(vaxalloc.InvalidArgumentError, match="not a PriorityGroup"):
        vaxalloc.RegistrantSpec(external_ref="r", district=1, birth_day=dt.date(2000, 1, 1),
                                registered_at=at(2021, 1, 1), group=9)


def test_values_pickle_and_campaigns_do_not(campaign):
    small = Small(campaign)
    register_four(campaign, small)
    record = campaign.draw(seed=3, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                           first_dose_until=dt.date(2021, 6, 14))
    campaign.add_release(center=small.festhalle, first_day=dt.date(2021, 6, 21),
                         last_day=dt.date(2021, 6, 21), release_at=at(2021, 6, 14, 6))
    values = [record, campaign.get_registrant(1), campaign.get_series(1), campaign.policy,
              campaign.summarize(), vaxalloc.PriorityGroup.GROUP2, vaxalloc.Weekday.FRIDAY,
              campaign.get_release(1), vaxalloc.SeriesOrigin.SHORT_NOTICE,
              vaxalloc.BookingRequest(registrant=1, at=at(2021, 6, 14)),
              vaxalloc.DayAttendance(day=dt.date(2021, 6, 14), booked=1, given=2, missed=1,
                                     no_show_rate=1 / 3)]
    assert pickle.loads(pickle.dumps(values)) == values
    assert type(record).__module__ == "vaxalloc"
    with pytest.raises(TypeError):
        pickle.dumps(campaign)


def test_register_batch_argument_errors(campaign):
    small = Small(campaign)
    with pytest.raises(TypeError, match="missing column"):
        campaign.register_batch(external_ref=["a"])
    with pytest.raises(TypeError, match="not both"):
        campaign.register_batch([], external_ref=["a"])
    with pytest.raises(vaxalloc.InvalidArgumentError, match="column birth_day has 1 entries"):
        campaign.register_batch(external_ref=["a", "b"], district=small.ffm,
                                birth_day=[dt.date(1950, 1, 1)], registered_at=at(2021, 6, 1))
    with pytest.raises(TypeError,
                       match=r"registrants\[0\] has the unknown field\(s\) unknown_field"):
        campaign.register_batch([{"external_ref": "a", "unknown_field": 1}])
    with pytest.raises(TypeError, match="must be an int"):
        campaign.register_batch(external_ref=["a"], district=1.5,
                                birth_day=dt.date(1950, 1, 1), registered_at=at(2021, 6, 1))
    # A bad enum value is refused and registers nobody.
    with pytest.raises(vaxalloc.InvalidArgumentError, match="group 9 is not a PriorityGroup"):
        campaign.register_batch(external_ref=["a"], district=1, group=9,
                                birth_day=dt.date(1950, 1, 1), registered_at=at(2021, 6, 1))
    assert campaign.registrant_count == 0
    assert campaign.register_batch([]) == []


def test_invariant_violations_convert():
    # The engine keeps its invariants, so violations cannot be provoked through
    # the API; the conversion of the shim's dict is checked on its own.
    report = vaxalloc._convert.invariant_report_from(
        {"violations": [(5, "registrant 7 drawn before 3")], "violation_count": 120,
         "text": "120 violations"})
    assert report.violations == (vaxalloc.Violation(invariant=vaxalloc.Invariant.TIER_ORDER,
                                                    message="registrant 7 drawn before 3"),)
    assert not report.ok and report.violation_count == 120 and str(report) == "120 violations"
