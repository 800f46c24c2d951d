"""The same campaign and seeds through Python and through C++ give the same
winners, appointments and counts.

The C++ side is bindings/testing/draw_crosscheck.cc (path in
VAXALLOC_CROSSCHECK_BIN, set by ctest): it generates a scenario, populates an
Engine with scenario.h's Populate and runs the first draws of the schedule.
The Python side converts every part of the same scenario into Python values
(dates, aware datetimes, enums, policy) and builds the campaign through the
public Python API, then runs the same draw requests, also converted. Any
conversion that shifted a day, an instant or an enum would change a tier, a
pool or a slot, and so the output.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess

import pytest

import vaxalloc
from conftest import SMALL

SEED = 20210607
REGISTRANTS = 3_000 if SMALL else 12_000
DAYS = 63
DRAWS = 3


def build_through_python(scenario):
    """An Engine holding `scenario`, every part passed through the Python API."""
    engine = vaxalloc.Engine()
    for district in scenario.districts:
        engine.add_district(code=district.code, name=district.name)
    for vaccine in scenario.vaccines:
        engine.add_vaccine(**dataclasses.asdict(vaccine))
    for center in scenario.centers:
        engine.add_center(code=center.code, name=center.name, districts=center.districts)
    for block in scenario.capacity:
        engine.add_capacity(**{f.name: getattr(block, f.name)
                               for f in dataclasses.fields(block)})
    for delivery in scenario.supply:
        engine.add_supply(center=delivery.center, vaccine=delivery.vaccine, day=delivery.day,
                          doses=delivery.doses)
    engine.set_policy(scenario.policy)
    engine.register_batch(scenario.registrants())
    assert engine.policy == scenario.policy
    return engine


def draw_lines(target, record):
    """A draw and its series in draw_crosscheck.cc's format."""
    eligible = "".join(f" {t.eligible}" for t in record.tiers)
    assigned = "".join(f" {t.assigned}" for t in record.tiers)
    lines = [f"draw {record.id} seed {record.request.seed} eligible{eligible} "
             f"assigned{assigned}"]
    series = target.get_series_batch(record.series)
    people = target.get_registrant_batch([s.registrant for s in series])
    for s, person in zip(series, people):
        line = (f"{person.external_ref} center {s.center} vaccine {s.vaccine} "
                f"tier {s.tier} category {s.category}")
        for appointment in s.appointments:
            line += f" {appointment.day.isoformat()} {appointment.minute}"
        lines.append(line)
    return lines


def python_lines(seed, registrants, days, draws, committed=False):
    """committed: each draw committed and revealed with the demo's stand-in
    beacon (examples/demo.cc DemoBeacon and DemoBeaconValue), as the demo
    runs them."""
    scenario = vaxalloc.make_scenario(seed=seed, registrants=registrants, days=days)
    engine = build_through_python(scenario)
    lines = []
    for week, request in enumerate(scenario.draw_schedule()[:draws], start=1):
        # Rebuilt field by field: the request crosses the boundary as Python values.
        fields = dict(at=request.at, first_dose_from=request.first_dose_from,
                      first_dose_until=request.first_dose_until,
                      centers=list(request.centers), series_limit=request.series_limit)
        if committed:
            commitment = engine.commit_draw(
                beacon=f"demo week {week}: stands in for a drand round", **fields)
            value = f"demo stand-in for the beacon's value, week {week}, scenario {seed}"
            record = engine.reveal_draw(commitment.id, value.encode(), at=request.at)
        else:
            record = engine.draw(seed=str(request.seed), **fields)
        lines.extend(draw_lines(engine, record))
    assert engine.check_invariants().ok
    return lines


def test_python_and_cpp_draw_the_same_winners():
    binary = os.environ.get("VAXALLOC_CROSSCHECK_BIN")
    if not binary or not os.path.exists(binary):
        pytest.skip("VAXALLOC_CROSSCHECK_BIN is not set (run through ctest)")
    cpp = subprocess.run([binary, str(SEED), str(REGISTRANTS), str(DAYS), str(DRAWS)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    py = python_lines(SEED, REGISTRANTS, DAYS, DRAWS)
    assert len([line for line in cpp if line.startswith("draw ")]) == DRAWS
    assert len(cpp) > DRAWS + 100  # the draws did place people
    assert py == cpp


def test_manual_build_equals_populate():
    """Without the binary: the Python-built campaign draws exactly as one
    populated by the C++ Populate (one conversion path against the other)."""
    scenario = vaxalloc.make_scenario(seed=SEED, registrants=2_000, days=DAYS)
    engine = vaxalloc.Engine()
    scenario.populate(engine)
    expected = []
    for request in scenario.draw_schedule()[:2]:
        record = engine.draw(request)
        expected.extend(s.registrant for s in engine.get_series_batch(record.series))
    refs = [r.external_ref for r in engine.get_registrant_batch(expected)]
    lines = python_lines(SEED, 2_000, DAYS, 2)
    got = [line.split(" ")[0] for line in lines if not line.startswith("draw ")]
    assert got == refs


def test_a_campaign_file_of_the_cpp_demo_reads_as_python_draws_it(tmp_path):
    """examples/demo.cc (C++, Store) writes a campaign file; Python reads its
    draws and finds the winners it computes itself for the same scenario,
    committing and revealing each draw as the demo does."""
    binary = os.environ.get("VAXALLOC_DEMO_BIN")
    if not binary or not os.path.exists(binary):
        pytest.skip("VAXALLOC_DEMO_BIN is not set (run through ctest with the examples built)")
    db = tmp_path / "demo.sqlite"
    registrants = 2_000 if SMALL else 6_000
    subprocess.run([binary, "--db", str(db), "--registrants", str(registrants), "--seed", "9",
                    "--draws", "2"], capture_output=True, text=True, check=True)
    with vaxalloc.Store.open(db, create_if_missing=False) as store:
        assert store.draw_count == 2
        cpp = [line for id in (1, 2) for line in draw_lines(store, store.get_draw(id))]
        assert store.check_invariants().ok
    py = python_lines(9, registrants, vaxalloc.ScenarioOptions().days, 2, committed=True)
    assert py == cpp
