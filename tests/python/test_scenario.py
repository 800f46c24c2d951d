"""make_scenario / Scenario: the generated Hessen campaign through Python."""

from __future__ import annotations

import datetime as dt

import pytest

import vaxalloc
from conftest import CEST


@pytest.fixture(scope="module")
def scenario():
    return vaxalloc.make_scenario(seed=42, registrants=5_000, days=56)


def test_scenario_parts(scenario):
    assert scenario.options == vaxalloc.ScenarioOptions(seed=42, registrants=5_000, days=56)
    assert scenario.registrant_count == 5_000
    districts = scenario.districts
    assert len(districts) == 26
    assert districts[1] == vaxalloc.ScenarioDistrict(code="06412", name="Frankfurt am Main",
                                                     population=764_100)
    assert [v.code for v in scenario.vaccines] == ["comirnaty", "spikevax", "vaxzevria",
                                                   "janssen"]
    assert scenario.vaccines[3].dose_count == 1
    assert len(scenario.centers) == 28
    assert all(isinstance(block.first_day, dt.date) for block in scenario.capacity)
    assert scenario.supply[0].doses > 0
    assert scenario.last_day == dt.date(2021, 6, 28) + dt.timedelta(days=55)
    assert vaxalloc.SCENARIO_TIMEZONE.utcoffset(None) == dt.timedelta(hours=2)
    # The cut-off is local midnight (UTC+2) in the middle of registration.
    assert scenario.tier_cut_off.astimezone(CEST).time() == dt.time(0, 0)
    assert scenario.registration_opens < scenario.tier_cut_off < scenario.first_draw_at
    assert scenario.policy.tier_rules[0].registered_before == scenario.tier_cut_off


def test_registrants_slices(scenario):
    first = scenario.registrants(0, 3)
    assert [r.external_ref for r in first] == ["HE-00000001", "HE-00000002", "HE-00000003"]
    assert first[0].registered_at <= first[1].registered_at <= first[2].registered_at
    assert scenario.registrants(4_998)[-1].external_ref == "HE-00005000"
    assert len(scenario.registrants()) == 5_000
    assert scenario.registrants(10, 5) == []


def test_draw_schedule(scenario):
    schedule = scenario.draw_schedule()
    assert schedule[0].at == scenario.first_draw_at
    for request in schedule:
        local = request.at.astimezone(vaxalloc.SCENARIO_TIMEZONE)
        assert (local.weekday(), local.time()) == (0, dt.time(6, 0))  # Monday 06:00
        assert request.first_dose_from.weekday() == 0
        assert request.first_dose_until - request.first_dose_from == dt.timedelta(days=6)
    assert len({request.seed for request in schedule}) == len(schedule)


def test_populate_a_store_then_complete_and_refuse(scenario, tmp_path):
    stages = []
    with vaxalloc.Store.open(tmp_path / "hessen.sqlite") as store:
        scenario.populate(store, batch_size=2_000,
                          progress=lambda stage, done, total: stages.append((stage, done, total)))
        assert store.registrant_count == 5_000
        assert store.center_count == 28
        assert store.policy == scenario.policy
        assert store.get_vaccine(4).code == "janssen"
        # A target holding the whole scenario is complete: populating again adds nothing.
        revision = store.revision
        scenario.populate(store)
        assert store.revision == revision
        record = store.draw(scenario.draw_schedule()[0])
        assert record.policy_version == 2
        assert store.check_invariants().ok
    assert stages[-1] == ("registrants", 5_000, 5_000)
    assert ("registrants", 2_000, 5_000) in stages
    other = vaxalloc.Engine()
    other.add_district(code="99999", name="Elsewhere")
    with pytest.raises(vaxalloc.FailedPreconditionError):
        scenario.populate(other)
    assert other.district_count == 1
    with pytest.raises(TypeError):
        scenario.populate(object())


def test_bad_options_are_refused():
    with pytest.raises(vaxalloc.InvalidArgumentError):
        vaxalloc.make_scenario(registrants=10, days=3)
    with pytest.raises(vaxalloc.OutOfRangeError):
        vaxalloc.make_scenario(seed=-1)
