"""forecast_wait(): when the waiting list could be through, tier by tier, on a
hand-computed campaign (one center, a one-dose and a two-dose vaccine), on
Engine and Store; the policy's time zone decides "today"; bad instants."""

from __future__ import annotations

import datetime as dt

import pytest

import vaxalloc
from vaxalloc import PriorityGroup, TierForecast, WaitForecast
from conftest import UTC, at

J = dt.date(2021, 6, 14)
DAY = dt.timedelta(days=1)


def build(target):
    """Vaccine 1 (one dose): 2 first-dose seats a day on J .. J+2, 100 doses.
    Vaccine 2 (two doses): 1 first-dose seat a day on J .. J+1 but 3 doses,
    so one series on J and none after. Free first doses from J on: 3, 2, 2.
    Waiting: 2 of group 1 (tier 1), 4 of group NONE (tier 4)."""
    district = target.add_district(code="06412", name="Frankfurt am Main")
    mono = target.add_vaccine(code="mono", name="Mono", dose_count=1)
    duo = target.add_vaccine(code="duo", name="Duo")
    center = target.add_center(code="FFM", name="Festhalle", districts=[district])
    target.add_capacity(center=center, vaccine=mono, first_day=J, last_day=J + 2 * DAY,
                        open_minute=8 * 60, close_minute=8 * 60 + 30, slot_minutes=30,
                        seats_first=2, seats_second=0)
    target.add_supply(center=center, vaccine=mono, day=J - 30 * DAY, doses=100)
    target.add_capacity(center=center, vaccine=duo, first_day=J, last_day=J + DAY,
                        open_minute=8 * 60, close_minute=8 * 60 + 30, slot_minutes=30,
                        seats_first=1, seats_second=1)
    target.add_supply(center=center, vaccine=duo, day=J - 30 * DAY, doses=3)
    for k in range(6):
        register(target, district, k, PriorityGroup.GROUP1 if k < 2 else PriorityGroup.NONE)
    return district


def register(target, district, k, group=PriorityGroup.NONE):
    return target.register(external_ref=f"F-{k:02d}", district=district,
                           birth_day=dt.date(1960, 1, 1), registered_at=at(2021, 6, 1, 9),
                           group=group)


def unset(waiting, ahead):
    return TierForecast(waiting=waiting, waiting_ahead=ahead, last_first_dose=None, days=None)


def test_tiers_through_by_day_until_seats_run_out(campaign):
    district = build(campaign)
    forecast = campaign.forecast_wait(at=at(2021, 6, 14, 9))
    assert isinstance(forecast, WaitForecast)
    assert forecast.today == J
    assert forecast.first_doses_available == 7
    assert len(forecast.tiers) == vaxalloc.TIER_MAX
    # Seats so far 3, 5, 7: tier 1 (2) through on J, tier 4 (2 + 4) on J + 2.
    assert forecast.tiers == (
        TierForecast(waiting=2, waiting_ahead=0, last_first_dose=J, days=0),
        unset(0, 2), unset(0, 2),
        TierForecast(waiting=4, waiting_ahead=2, last_first_dose=J + 2 * DAY, days=2),
        unset(0, 6), unset(0, 6), unset(0, 6), unset(0, 6))

    # Two more of tier 4: 8 waiting, 7 seats.
    register(campaign, district, 6)
    register(campaign, district, 7)
    forecast = campaign.forecast_wait(at=at(2021, 6, 14, 9))
    assert forecast.tiers[3] == unset(6, 2)
    assert forecast.tiers[0].days == 0

    # From J + 1 on: 2 + 2 one-dose seats, and vaccine 2's 3 doses now cover
    # a series on J + 1.
    forecast = campaign.forecast_wait(at=at(2021, 6, 15, 23, 59))
    assert forecast.today == J + DAY
    assert forecast.first_doses_available == 5
    assert forecast.tiers[0] == TierForecast(waiting=2, waiting_ahead=0,
                                             last_first_dose=J + DAY, days=0)

    # After the calendar: nothing.
    forecast = campaign.forecast_wait(at=at(2021, 7, 1))
    assert forecast.first_doses_available == 0
    assert forecast.tiers[0] == unset(2, 0)


def test_today_is_the_policy_days(campaign):
    build(campaign)
    evening = at(2021, 6, 13, 20)  # 14 June 08:00 in Auckland
    forecast = campaign.forecast_wait(at=evening)
    assert forecast.today == J - DAY
    assert forecast.first_doses_available == 7
    assert forecast.tiers[0].last_first_dose == J
    assert forecast.tiers[0].days == 1
    campaign.set_policy(time_zone="Pacific/Auckland")
    forecast = campaign.forecast_wait(at=evening)
    assert forecast.today == J
    assert forecast.tiers[0].days == 0
    # Any aware datetime names the instant.
    assert campaign.forecast_wait(at=evening.astimezone(dt.timezone(dt.timedelta(hours=-7)))) \
        == forecast


def test_bad_instants(campaign):
    build(campaign)
    with pytest.raises(vaxalloc.InvalidArgumentError):
        campaign.forecast_wait(at=dt.datetime(2021, 6, 14, 9))  # naive
    with pytest.raises(vaxalloc.OutOfRangeError, match="1900-2200"):
        campaign.forecast_wait(at=dt.datetime(1800, 1, 1, tzinfo=UTC))
    with pytest.raises(vaxalloc.OutOfRangeError):
        campaign.forecast_wait(at=dt.datetime(2201, 1, 1, tzinfo=UTC))
    with pytest.raises(TypeError):
        campaign.forecast_wait(at(2021, 6, 14, 9))  # keyword only
