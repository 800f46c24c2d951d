"""The generated campaign of scenario.h: Hessen's districts and centers in
summer 2021, four vaccines, opening hours, weekly deliveries, the 7 June tier
cut-off and a waiting list -- deterministic for given options on every
platform. For demos, tests and benchmarks."""

from __future__ import annotations

import datetime
from typing import Callable

from . import _convert as cv
from . import _core
from ._campaign import Engine, Store
from ._args import callback, name_methods, names_function
from ._types import (
    CapacityBlock,
    CenterSpec,
    DrawRequest,
    Policy,
    RegistrantSpec,
    ScenarioDistrict,
    ScenarioOptions,
    SupplyDelivery,
    VaccineSpec,
)

__all__ = ["Scenario", "make_scenario", "SCENARIO_TIMEZONE"]

#: Local time of every scenario instant: a fixed UTC+2 (CEST).
SCENARIO_TIMEZONE = datetime.timezone(
    datetime.timedelta(seconds=_core.scenario_utc_offset_seconds()), "CEST")

ProgressCallback = Callable[[str, int, int], None]


class Scenario:
    """A generated campaign, held in C++ (registrants can be millions).

    Read its parts as Python values, populate an Engine or Store with it, and
    get its weekly draw schedule. Ids follow from the order: district,
    vaccine and center i (0-based) get id i + 1 in an empty target.
    """

    __slots__ = ("_impl", "_times")

    def __init__(self, impl: _core.Scenario) -> None:
        self._impl = impl
        self._times = impl.times()

    @property
    def options(self) -> ScenarioOptions:
        return cv.scenario_options_from(self._impl.options())

    @property
    def districts(self) -> list[ScenarioDistrict]:
        return [cv.scenario_district_from(d) for d in self._impl.districts()]

    @property
    def vaccines(self) -> list[VaccineSpec]:
        return [cv.vaccine_spec_from(d) for d in self._impl.vaccines()]

    @property
    def centers(self) -> list[CenterSpec]:
        return [cv.center_spec_from(d) for d in self._impl.centers()]

    @property
    def capacity(self) -> list[CapacityBlock]:
        return [cv.capacity_from(d) for d in self._impl.capacity()]

    @property
    def supply(self) -> list[SupplyDelivery]:
        return [cv.supply_from(d) for d in self._impl.supply()]

    @property
    def policy(self) -> Policy:
        return cv.policy_from(self._impl.policy())

    @property
    def registrant_count(self) -> int:
        return self._impl.registrant_count()

    def registrants(self, start: int = 0, stop: int | None = None) -> list[RegistrantSpec]:
        """Registrants [start, stop) as specs, sorted by registered_at; their
        external refs are "HE-00000001", ... in that order."""
        count = self.registrant_count
        start = cv.to_int(start, "start")
        stop = count if stop is None else cv.to_int(stop, "stop")
        return [cv.registrant_spec_from(d)
                for d in self._impl.registrants(start=cv.to_int(start, "start"),
                                                stop=cv.to_int(stop, "stop"))]

    @property
    def last_day(self) -> datetime.date:
        """The capacity calendar's last day."""
        return cv.from_ordinal(self._times["last_day"])

    @property
    def registration_opens(self) -> datetime.datetime:
        return cv.from_micros(self._times["registration_opens"])

    @property
    def tier_cut_off(self) -> datetime.datetime:
        """Registered before it: tier by group; later: one tier for all."""
        return cv.from_micros(self._times["tier_cut_off"])

    @property
    def first_draw_at(self) -> datetime.datetime:
        return cv.from_micros(self._times["first_draw_at"])

    def draw_schedule(self) -> list[DrawRequest]:
        """The weekly draws: Mondays 06:00 local time, first doses the next
        Monday to Sunday, every center, no limit, seeds from the scenario seed."""
        return [cv.draw_request_from(d) for d in self._impl.draw_schedule()]

    def populate(
        self,
        target: Engine | Store,
        *,
        batch_size: int = 100_000,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Adds the whole scenario to an Engine or Store: districts, vaccines,
        centers, capacity, supply, policy, then registrants in batches of
        batch_size (one transaction each for a Store). A target holding a
        prefix of the scenario (an interrupted populate) is completed; one
        holding anything else raises FailedPreconditionError, unchanged.

        progress(stage, done, total) is called after each stage and batch
        (with the GIL); if it raises, later calls are skipped and its
        exception is raised when populating is done. The GIL is released
        otherwise."""
        if not isinstance(target, (Engine, Store)):
            raise cv.wrong_type("target", "an Engine or a Store", target)
        if progress is not None and not callable(progress):
            raise cv.wrong_type("progress", "callable or None", progress)
        self._impl.populate(target._impl, batch_size=cv.to_int(batch_size, "batch_size"),
                            progress=None if progress is None else callback(progress))

    def __repr__(self) -> str:
        options = self._impl.options()
        return (f"<vaxalloc.Scenario seed={options['seed']} "
                f"registrants={self.registrant_count} districts={options['districts']} "
                f"centers={options['centers']} days={options['days']}>")


def make_scenario(
    *,
    seed: int = 1,
    registrants: int = 1_000_000,
    districts: int = 26,
    centers: int = 28,
    days: int = 100,
    first_day: datetime.date = datetime.date(2021, 6, 28),
    registration_days: int = 28,
    seats_first_permille: int = 600,
    supply_series_permille: int = 500,
) -> Scenario:
    """Generates a campaign (GenerateScenario; the GIL is released).

    seed: the generator's seed (0..2**64-1); registrants: waiting-list size;
    districts: the first 26 are Hessen's, more are synthetic; centers: one per
    district, extras to the most populous; days: calendar length from
    first_day; registration_days: registration before the first draw (the
    tier cut-off lies in its middle); seats_first_permille: first-dose seats
    per 1000 registrants; supply_series_permille: doses delivered, in
    complete series, per 1000 registrants. 1,000,000 registrants take about
    0.1 s and 90 MB.
    """
    seed = cv.to_uint64(seed, "scenario seed")
    impl = _core.generate_scenario(
        seed=seed,
        registrants=cv.to_int(registrants, "registrants"),
        districts=cv.to_int(districts, "districts"),
        centers=cv.to_int(centers, "centers"),
        days=cv.to_int(days, "days"),
        first_day=cv.to_ordinal(first_day, "first_day"),
        registration_days=cv.to_int(registration_days, "registration_days"),
        seats_first_permille=cv.to_int(seats_first_permille, "seats_first_permille"),
        supply_series_permille=cv.to_int(supply_series_permille, "supply_series_permille"),
    )
    return Scenario(impl)


name_methods(Scenario)
make_scenario = names_function(make_scenario)
