"""examples/campaign.py runs end to end and reports a sound campaign."""

from __future__ import annotations

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
         "--registrants", "5000" if SMALL else "20000", "--draws", "3"],
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
    with vaxalloc.Store.open(db, create_if_missing=False) as store:
        assert store.draw_count == 3
        assert store.check_invariants().ok
        assert store.pending_events() == []  # everything was acknowledged
