"""Store: context manager, close, persistence, reopen, options."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

import vaxalloc
from conftest import Small, at


def test_context_manager_closes_and_data_persists(tmp_path):
    path = tmp_path / "campaign.sqlite"
    with vaxalloc.Store.open(path) as store:
        assert isinstance(store, vaxalloc.Store)
        assert not store.closed
        assert store.path == str(path)
        small = Small(store)
        store.register(external_ref="R-1", district=small.ffm, birth_day=dt.date(1950, 1, 1),
                       registered_at=at(2021, 6, 1))
        record = store.draw(seed=11, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                            first_dose_until=dt.date(2021, 6, 20))
    assert store.closed
    assert repr(store) == f"<vaxalloc.Store {str(path)!r} closed>"
    with pytest.raises(vaxalloc.FailedPreconditionError, match="is closed"):
        store.registrant_count
    with pytest.raises(vaxalloc.FailedPreconditionError, match="is closed"):
        store.add_district(code="x", name="y")
    store.close()  # harmless again

    with vaxalloc.Store(path) as again:
        assert again.registrant_count == 1
        assert again.get_draw(1) == record
        assert again.get_series(record.series[0]).registrant == 1
        assert [b.seats_first for b in again.capacity_blocks] == [1, 2]
        assert again.check_invariants().ok
        assert "registrants=1" in repr(again)


def test_an_exception_inside_with_still_closes(tmp_path):
    with pytest.raises(RuntimeError):
        with vaxalloc.Store.open(tmp_path / "c.sqlite") as store:
            raise RuntimeError("boom")
    assert store.closed


def test_a_failed_call_changes_neither_file_nor_memory(tmp_path):
    path = tmp_path / "c.sqlite"
    with vaxalloc.Store.open(path) as store:
        store.add_district(code="06412", name="Frankfurt am Main")
        revision = store.revision
        with pytest.raises(vaxalloc.AlreadyExistsError):
            store.add_district(code="06412", name="again")
        assert store.revision == revision
    with vaxalloc.Store.open(path) as store:
        assert store.district_count == 1


def test_every_call_sees_what_another_connection_committed(tmp_path):
    path = tmp_path / "shared.sqlite"
    with vaxalloc.Store.open(path) as first, vaxalloc.Store.open(path) as second:
        first.add_district(code="06412", name="Frankfurt am Main")
        # A read follows the journal first: no reopen needed.
        assert second.district_count == 1
        assert second.get_district(1).code == "06412"
        assert second.add_district(code="06413", name="Offenbach am Main") == 2
        assert first.get_district(2).code == "06413"
        assert first.journal_seq == second.journal_seq
        second.reopen()
        assert not second.closed
        assert second.district_count == 2


def test_open_options(tmp_path):
    path = pathlib.Path(tmp_path / "full.sqlite")
    with vaxalloc.Store.open(path, durability=vaxalloc.Durability.FULL, busy_timeout=0.5) as s:
        s.add_district(code="1", name="one")
    with vaxalloc.Store.open(str(path), durability=1, create_if_missing=False) as s:
        assert s.district_count == 1
    with pytest.raises(vaxalloc.InvalidArgumentError, match="not a Durability"):
        vaxalloc.Store.open(path, durability=5)
    with pytest.raises(TypeError, match="busy_timeout"):
        vaxalloc.Store.open(path, busy_timeout="soon")
    with pytest.raises(vaxalloc.InvalidArgumentError, match="negative"):
        vaxalloc.Store.open(path, busy_timeout=-1)
