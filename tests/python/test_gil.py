"""Long calls release the GIL: a background Python thread keeps running in the
middle of them. And an Engine shared by threads stays consistent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

import pytest

import vaxalloc
from vaxalloc import _convert, _core
from conftest import SMALL, at

REGISTRANTS = 40_000 if SMALL else 200_000
MIN_DURATION_S = 0.03  # long enough that a middle stretch excludes one 5 ms switch interval


class Ticker:
    """A thread that notes the time about every half millisecond. It can only
    run while nobody holds the GIL, so its notes show when it was free."""

    def __init__(self):
        self.times = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            self.times.append(time.monotonic())
            time.sleep(0.0005)

    def __enter__(self):
        self.thread.start()
        while not self.times:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def assert_runs_without_gil(call):
    """Runs call() and checks that the ticker ran in the middle 40% of it. A
    call holding the GIL lets the ticker run at most one switch interval
    (5 ms) around its start, never in the middle."""
    with Ticker() as ticker:
        start = time.monotonic()
        result = call()
        end = time.monotonic()
    duration = end - start
    assert duration >= MIN_DURATION_S, f"workload too small to tell: {duration * 1000:.1f} ms"
    middle = [t for t in ticker.times if start + 0.3 * duration <= t <= start + 0.7 * duration]
    assert middle, f"no progress in the middle of a {duration * 1000:.0f} ms call"
    return result


def test_the_check_fails_for_a_call_that_holds_the_gil():
    """list.sort runs in C holding the GIL: no progress in its middle."""
    count = 1_000_000
    data = [(i * 7919) % count for i in range(count)]
    with pytest.raises(AssertionError, match="no progress in the middle"):
        assert_runs_without_gil(lambda: sorted(data))


@pytest.fixture(scope="module")
def big():
    scenario = assert_runs_without_gil(
        lambda: _core.generate_scenario(**{**_core.defaults()["ScenarioOptions"],
                                           "registrants": REGISTRANTS}))
    scenario = vaxalloc._scenario.Scenario(scenario)
    engine = vaxalloc.Engine()
    assert_runs_without_gil(lambda: scenario.populate(engine))
    return scenario, engine


def test_populate_and_generate_release_the_gil(big):
    scenario, engine = big
    assert engine.registrant_count == REGISTRANTS


def test_draw_releases_the_gil(big):
    scenario, engine = big
    first = scenario.draw_schedule()[0]
    # Sixteen weeks of first doses at once: a long draw (eleven weeks took
    # 29-50 ms at 200,000 registrants, at times too quick to tell).
    request = dataclasses.replace(first, seed=0x5EED,
                                  first_dose_until=first.first_dose_from + dt.timedelta(days=112))
    args = _convert.draw_args(request)
    record = assert_runs_without_gil(lambda: engine._impl.draw(**args))
    assert len(record["series"]) > 0


def test_invariant_check_releases_the_gil(big):
    scenario, engine = big
    report = assert_runs_without_gil(lambda: engine._impl.check_invariants())
    assert report["violation_count"] == 0


def test_register_batch_releases_the_gil():
    engine = vaxalloc.Engine()
    district = engine.add_district(code="06412", name="Frankfurt am Main")
    count = REGISTRANTS
    columns = _convert.register_batch_args(
        external_ref=[f"R-{i:08}" for i in range(count)], district=district,
        birth_day=dt.date(1960, 1, 1), registered_at=at(2021, 6, 1))
    ids = assert_runs_without_gil(lambda: engine._impl.register_batch(**columns))
    assert ids[0] == 1 and ids[-1] == count


def test_store_open_releases_the_gil(tmp_path):
    path = tmp_path / "big.sqlite"
    scenario = vaxalloc.make_scenario(registrants=REGISTRANTS // 2, seed=3)
    with vaxalloc.Store.open(path) as store:
        scenario.populate(store)
    handle = assert_runs_without_gil(
        lambda: _core.Store.open(str(path), durability=0, busy_timeout_micros=0,
                                 create_if_missing=False))
    assert handle.counts()["registrants"] == REGISTRANTS // 2
    handle.close()


def test_threads_share_an_engine_safely(big):
    scenario, engine = big
    requests = scenario.draw_schedule()[1:4]
    draws_before = engine.draw_count
    errors = []
    seen = []

    def draw_all():
        try:
            for request in requests:
                engine.draw(request)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    def query_all():
        try:
            while drawer.is_alive():
                seen.append(engine.summarize().series_active)
                engine.get_registrant(1)
        except Exception as error:  # pragma: no cover
            errors.append(error)

    drawer = threading.Thread(target=draw_all)
    reader = threading.Thread(target=query_all)
    drawer.start()
    reader.start()
    drawer.join()
    reader.join()
    assert errors == []
    # Every reader saw a state between draws, never a half-applied one.
    assert seen == sorted(seen)
    assert engine.draw_count == draws_before + 3
    assert engine.check_invariants().ok


def test_a_raising_progress_callback_is_reported_after_populate():
    scenario = vaxalloc.make_scenario(registrants=2_000, seed=5)
    engine = vaxalloc.Engine()
    stages = []

    def progress(stage, done, total):
        stages.append(stage)
        raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        scenario.populate(engine, progress=progress)
    assert stages == ["setup"]  # later calls were skipped
    assert engine.registrant_count == 2_000  # populate itself cannot be interrupted


def test_progress_callback_may_query_its_target():
    scenario = vaxalloc.make_scenario(registrants=3_000, seed=5)
    engine = vaxalloc.Engine()
    counts = []
    scenario.populate(engine, batch_size=1_000,
                      progress=lambda stage, done, total: counts.append(
                          (stage, done, total, engine.registrant_count)))
    assert counts[-3:] == [("registrants", 1000, 3000, 1000), ("registrants", 2000, 3000, 2000),
                           ("registrants", 3000, 3000, 3000)]
