"""Instants and civil days across the boundary: aware datetimes are converted
to UTC exactly, naive ones are refused, days are dates."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

import vaxalloc
from conftest import CEST, UTC, at

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def register_at(target, district, ref, when):
    return target.register(external_ref=ref, district=district, birth_day=dt.date(1950, 1, 1),
                           registered_at=when, group=vaxalloc.PriorityGroup.GROUP2)


def test_aware_datetimes_are_the_same_instant_in_utc(small):
    t = small.target
    ids = [
        register_at(t, small.ffm, "berlin", dt.datetime(2021, 6, 6, 23, 30, tzinfo=BERLIN)),
        register_at(t, small.ffm, "fixed", dt.datetime(2021, 6, 6, 23, 30, tzinfo=CEST)),
        register_at(t, small.ffm, "utc", dt.datetime(2021, 6, 6, 21, 30, tzinfo=UTC)),
        register_at(t, small.ffm, "micro", dt.datetime(1969, 12, 31, 23, 59, 59, 999_999,
                                                       tzinfo=UTC)),
    ]
    got = t.get_registrant_batch(ids)
    for registrant in got[:3]:
        assert registrant.registered_at == dt.datetime(2021, 6, 6, 21, 30, tzinfo=UTC)
        assert registrant.registered_at.utcoffset() == dt.timedelta(0)
        assert registrant.registered_at.hour == 21
    # Microseconds survive, also before the epoch.
    assert got[3].registered_at == dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def test_daylight_saving_fold_is_respected(small):
    t = small.target
    # 31 Oct 2021, 02:30 happens twice in Berlin: CEST (fold=0), then CET (fold=1).
    first = register_at(t, small.ffm, "a", dt.datetime(2021, 10, 31, 2, 30, tzinfo=BERLIN))
    second = register_at(t, small.ffm, "b",
                         dt.datetime(2021, 10, 31, 2, 30, fold=1, tzinfo=BERLIN))
    a, b = t.get_registrant_batch([first, second])
    assert a.registered_at == at(2021, 10, 31, 0, 30)
    assert b.registered_at == at(2021, 10, 31, 1, 30)


def test_tier_cut_off_at_local_midnight(small):
    """Hessen: groups 1-3 registered up to and including 6 June keep their
    tier. 23:30 and 00:30 local time fall on either side of the cut-off,
    though both are 6 June in UTC."""
    t = small.target
    t.set_policy(tier_rules=[
        vaxalloc.TierRule(registered_before=dt.datetime(2021, 6, 7, tzinfo=BERLIN),
                          tier_by_group=(1, 2, 3, 4)),
        vaxalloc.TierRule(tier_by_group=(4, 4, 4, 4)),
    ])
    before = register_at(t, small.ffm, "before", dt.datetime(2021, 6, 6, 23, 30, tzinfo=BERLIN))
    after = register_at(t, small.ffm, "after", dt.datetime(2021, 6, 7, 0, 30, tzinfo=BERLIN))
    assert t.get_registrant(after).registered_at.date() == dt.date(2021, 6, 6)  # in UTC
    assert t.tier_of(before) == 2
    assert t.tier_of(after) == 4


def test_naive_datetimes_are_refused_with_a_clear_error(small):
    t = small.target
    naive = dt.datetime(2021, 6, 1, 12, 0)
    with pytest.raises(vaxalloc.InvalidArgumentError, match="naive datetime") as info:
        register_at(t, small.ffm, "naive", naive)
    assert "registered_at 2021-06-01T12:00:00" in str(info.value)
    assert "tzinfo" in str(info.value)
    assert info.value.code is vaxalloc.StatusCode.INVALID_ARGUMENT
    assert t.registrant_count == 0
    with pytest.raises(vaxalloc.InvalidArgumentError, match="naive"):
        t.draw(seed=1, at=naive, first_dose_from=dt.date(2021, 6, 14),
               first_dose_until=dt.date(2021, 6, 14))
    with pytest.raises(vaxalloc.InvalidArgumentError, match="naive"):
        t.set_policy(tier_rules=[vaxalloc.TierRule(registered_before=naive)])
    with pytest.raises(vaxalloc.InvalidArgumentError, match="naive"):
        t.withdraw(1, at=naive)
    assert t.policy_version == 1 and t.draw_count == 0


def test_wrong_types_for_instants_and_days(small):
    t = small.target
    with pytest.raises(TypeError, match="registered_at must be a datetime.datetime"):
        register_at(t, small.ffm, "x", dt.date(2021, 6, 1))
    with pytest.raises(TypeError, match="must be a datetime.date, not datetime"):
        t.add_supply(center=1, vaccine=1, day=at(2021, 6, 1), doses=1)
    with pytest.raises(TypeError, match="must be a datetime.date, not str"):
        t.slots(center=1, vaccine=1, day="2021-06-14")


def test_days_cross_as_dates(small):
    t = small.target
    # The first and last days the core accepts, each in a pool of its own.
    t.add_supply(center=2, vaccine=1, day=dt.date(2200, 12, 31), doses=1)
    assert t.deliveries[-1].day == dt.date(2200, 12, 31)
    t.add_supply(center=1, vaccine=2, day=dt.date(1900, 1, 1), doses=1)
    assert t.deliveries[-1].day == dt.date(1900, 1, 1)
    # 29 February survives; a leap-day birthday is a date like any other.
    rid = t.register(external_ref="leap", district=small.ffm, birth_day=dt.date(1952, 2, 29),
                     registered_at=at(2021, 6, 1))
    assert t.get_registrant(rid).birth_day == dt.date(1952, 2, 29)
