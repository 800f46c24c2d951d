"""examples/campaign.py runs end to end and reports a sound campaign."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
import sys

import vaxalloc
from conftest import REPO, SMALL


def test_campaign_example_runs(tmp_path):
    db = tmp_path / "hessen.sqlite"
    env = dict(os.environ)
    # The child imports the package this test imports.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(pathlib.Path(vaxalloc.__file__).parent.parent), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "campaign.py"), "--db", str(db),
         "--registrants", "5000" if SMALL else "20000", "--draws", "3",
         # enough no-shows on the day of attendance for standby offers
         "--no-show-permille", "300"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "draw  1 Mon 21 Jun 06:00" in out
    assert "draw  3 Mon 05 Jul 06:00" in out
    assert "invariants: all invariants hold" in out
    assert "one per change: True" in out
    assert "          outbox: " in out
    assert "winners in ascending lottery order: True" in out
    assert "same campaign: True" in out
    assert "Release day Thu 24 Jun 08:00: first doses of 05 Jul-06 Jul" in out
    assert "booking confirmations sent" in out
    assert "Attendance on Mon 28 Jun at " in out and "no-show rate" in out
    assert "Online cancellation Wed 23 Jun 09:00: " in out
    assert "a 6-digit code goes out by SMS, valid until Wed 23 Jun 09:15" in out
    assert "first try (a typo): code 1 is wrong; 2 attempt(s) left [WRONG]" in out
    assert ("second try: accepted; code used after 1 wrong attempt(s), series cancelled: True"
            in out)
    assert "outbox: 1 code SMS, 1 cancellation sent" in out
    assert "end of the day: " in out and "standby offers" in out
    with vaxalloc.Store.open(db, create_if_missing=False) as store:
        assert store.draw_count == 3
        assert store.check_invariants().ok
        assert store.pending_events() == []  # everything was acknowledged
        release = store.get_release(1)
        assert release.booked > 0 and store.hold_count == 0
        # The release's days went to self-bookers only: no draw placed anyone there.
        booked = [s for s in store.get_series_batch(range(1, store.series_count + 1))
                  if s.center == release.center
                  and release.first_day <= s.appointments[0].day <= release.last_day
                  and s.status is not vaxalloc.SeriesStatus.LAPSED]
        assert booked and {s.origin for s in booked} == {vaxalloc.SeriesOrigin.RELEASE}
        # One day of first doses was recorded at one center.
        report = store.summarize()
        recorded = [day for center in range(1, store.center_count + 1)
                    for day in store.attendance(center, first_day=dt.date(2021, 6, 28),
                                                last_day=dt.date(2021, 7, 31))
                    if day.given + day.missed]
        assert [day.day for day in recorded] == [dt.date(2021, 6, 28)]
        assert (recorded[0].given, recorded[0].missed) == (report.doses_given,
                                                           report.doses_missed)
        # The online cancellation: one code, used after one wrong attempt.
        assert store.code_count == 1
        code = store.get_code(1)
        assert (code.purpose, code.state, code.attempts) == (
            vaxalloc.CodePurpose.CANCEL_SERIES, vaxalloc.CodeState.USED, 1)
        assert store.get_series(code.series).status is vaxalloc.SeriesStatus.CANCELLED
        # The standby offers: today's first doses, to people on the standby list.
        standby = [s for s in store.get_series_batch(range(1, store.series_count + 1))
                   if s.origin is vaxalloc.SeriesOrigin.STANDBY]
        assert standby
        assert {s.appointments[0].day for s in standby} == {dt.date(2021, 6, 28)}
        assert all(p.standby for p in store.get_registrant_batch([s.registrant
                                                                  for s in standby]))
