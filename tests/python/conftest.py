"""Shared fixtures of the Python binding tests.

ctest runs these with PYTHONPATH=<build>/bindings (bindings/CMakeLists.txt).
Run by hand, they also find a package built in <repo>/build/bindings.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

try:
    import vaxalloc  # noqa: F401
except ImportError:
    candidate = REPO / "build" / "bindings"
    if (candidate / "vaxalloc").is_dir():
        sys.path.insert(0, str(candidate))
    import vaxalloc  # noqa: F401

UTC = dt.timezone.utc
#: Germany in summer, as a fixed offset (the zoneinfo tests use Europe/Berlin).
CEST = dt.timezone(dt.timedelta(hours=2), "CEST")

#: VAXALLOC_TEST_SCALE=small (set under ASan) shrinks the large workloads.
SMALL = os.environ.get("VAXALLOC_TEST_SCALE") == "small"


def at(year, month, day, hour=0, minute=0, tz=UTC):
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.fixture(params=["engine", "store"])
def campaign(request, tmp_path):
    """An empty Engine, then an empty Store: every campaign test runs on both."""
    if request.param == "engine":
        yield vaxalloc.Engine()
    else:
        with vaxalloc.Store.open(tmp_path / "campaign.sqlite") as store:
            yield store


class Small:
    """A small campaign with known ids: two districts (Frankfurt, Offenbach),
    two vaccines (two-dose Comirnaty 21 days, one-dose Janssen), one center
    per district, opening on 14-20 June 2021, supply from 1 June."""

    def __init__(self, target):
        self.target = target
        self.ffm = target.add_district(code="06412", name="Frankfurt am Main")
        self.of = target.add_district(code="06413", name="Offenbach am Main")
        self.comirnaty = target.add_vaccine(code="comirnaty", name="Comirnaty")
        self.janssen = target.add_vaccine(code="janssen", name="Janssen", dose_count=1,
                                          age_years_min=60)
        self.festhalle = target.add_center(code="FFM", name="Festhalle", districts=[self.ffm])
        self.offenbach = target.add_center(code="OF", name="Offenbach", districts=[self.of])
        # Comirnaty at the Festhalle: four 15-minute slots 8:00-9:00 with one
        # first and one second seat each, every day of 14 June - 31 July.
        target.add_capacity(center=self.festhalle, vaccine=self.comirnaty,
                            first_day=dt.date(2021, 6, 14), last_day=dt.date(2021, 7, 31),
                            open_minute=8 * 60, close_minute=9 * 60, slot_minutes=15,
                            seats_first=1, seats_second=1)
        target.add_supply(center=self.festhalle, vaccine=self.comirnaty,
                          day=dt.date(2021, 6, 1), doses=1000)
        target.add_capacity(center=self.offenbach, vaccine=self.janssen,
                            first_day=dt.date(2021, 6, 14), last_day=dt.date(2021, 6, 20),
                            weekdays=vaxalloc.Weekday.MONDAY | vaxalloc.Weekday.TUESDAY,
                            open_minute=9 * 60, close_minute=10 * 60, slot_minutes=30,
                            seats_first=2, seats_second=0)
        target.add_supply(center=self.offenbach, vaccine=self.janssen,
                          day=dt.date(2021, 6, 1), doses=3)


@pytest.fixture
def small(campaign):
    return Small(campaign)
