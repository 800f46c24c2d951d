"""Store's outbox: pending_events and acknowledge_events (the same cases as
tests/c_api_test.c): the events of a draw, a cancellation and withdrawals,
paging, acknowledging (also twice), at-least-once across a reopen, and the
error paths, after which nothing has changed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import vaxalloc
from vaxalloc import Event, EventKind
from conftest import UTC, Small, at

DRAW_AT = at(2021, 6, 7, 6, 0) + dt.timedelta(microseconds=250_000)
CANCEL_AT = at(2021, 6, 8, 9, 30)
WITHDRAW_SCHEDULED_AT = at(2021, 6, 8, 10, 0)
WITHDRAW_WAITING_AT = at(2021, 6, 8, 11, 0)


class Outbox:
    """A Store with seven events: a draw gives series 1-3; series 1 is
    cancelled (4); the holder of series 2 withdraws (5: its series
    cancelled, 6: withdrawn); the holder of series 1, waiting again,
    withdraws without a series (7)."""

    def __init__(self, store):
        self.store = store
        small = Small(store)
        store.register_batch(external_ref=["R-1", "R-2", "R-3"],
                             district=[small.ffm, small.ffm, small.of],
                             birth_day=[dt.date(1950, 1, 1), dt.date(1960, 1, 1),
                                        dt.date(1940, 1, 1)],
                             registered_at=at(2021, 6, 1))
        assert store.pending_events() == []  # setup and registration tell nobody anything
        self.record = store.draw(seed=11, at=DRAW_AT, first_dose_from=dt.date(2021, 6, 14),
                                 first_dose_until=dt.date(2021, 6, 20))
        assert self.record.series == (1, 2, 3)
        self.holders = [store.get_series(s).registrant for s in self.record.series]
        assert sorted(self.holders) == [1, 2, 3]
        store.cancel_series(1, at=CANCEL_AT)
        store.withdraw(self.holders[1], at=WITHDRAW_SCHEDULED_AT)
        store.withdraw(self.holders[0], at=WITHDRAW_WAITING_AT)
        h = self.holders
        self.expected = [
            Event(id=1, kind=EventKind.SERIES_ASSIGNED, at=DRAW_AT, registrant=h[0], series=1,
                  draw=1),
            Event(id=2, kind=EventKind.SERIES_ASSIGNED, at=DRAW_AT, registrant=h[1], series=2,
                  draw=1),
            Event(id=3, kind=EventKind.SERIES_ASSIGNED, at=DRAW_AT, registrant=h[2], series=3,
                  draw=1),
            Event(id=4, kind=EventKind.SERIES_CANCELLED, at=CANCEL_AT, registrant=h[0],
                  series=1, draw=0),
            Event(id=5, kind=EventKind.SERIES_CANCELLED, at=WITHDRAW_SCHEDULED_AT,
                  registrant=h[1], series=2, draw=0),
            Event(id=6, kind=EventKind.REGISTRANT_WITHDRAWN, at=WITHDRAW_SCHEDULED_AT,
                  registrant=h[1], series=2, draw=0),
            Event(id=7, kind=EventKind.REGISTRANT_WITHDRAWN, at=WITHDRAW_WAITING_AT,
                  registrant=h[0], series=0, draw=0),
        ]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "outbox.sqlite"


@pytest.fixture
def outbox(path):
    with vaxalloc.Store.open(path) as store:
        yield Outbox(store)


def ids(events):
    return [e.id for e in events]


def test_draw_cancel_and_withdraw_write_their_events(outbox):
    events = outbox.store.pending_events()
    assert events == outbox.expected
    first = events[0]
    assert type(first.kind) is EventKind and first.kind.name == "SERIES_ASSIGNED"
    # An aware UTC datetime, to the microsecond the core keeps.
    assert first.at.tzinfo is UTC and first.at.microsecond == 250_000
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.id = 9
    assert "EventKind.SERIES_ASSIGNED" in repr(first)


def test_paging(outbox):
    store = outbox.store
    assert store.pending_events(limit=3) == outbox.expected[:3]
    assert store.pending_events(after_id=3, limit=3) == outbox.expected[3:6]
    assert store.pending_events(6, 3) == outbox.expected[6:]
    assert store.pending_events(after_id=7) == []
    assert store.pending_events(after_id=2**63 - 1) == []
    assert store.pending_events(limit=vaxalloc.EVENTS_PER_READ_MAX) == outbox.expected
    # Reading changes nothing.
    assert store.pending_events() == outbox.expected


def test_acknowledge(outbox):
    store = outbox.store
    revision = store.revision
    store.acknowledge_events(2)
    assert store.pending_events() == outbox.expected[2:]
    store.acknowledge_events(2)  # twice: harmless
    store.acknowledge_events(1)
    store.acknowledge_events(0)
    assert store.pending_events() == outbox.expected[2:]
    assert store.revision == revision  # the campaign itself is untouched
    store.acknowledge_events(7)
    assert store.pending_events() == []
    store.acknowledge_events(7)


def test_unacknowledged_events_come_back_after_a_reopen(outbox, path):
    store = outbox.store
    # The host sent 1-5, acknowledged 1-3, then died.
    assert ids(store.pending_events(limit=5)) == [1, 2, 3, 4, 5]
    store.acknowledge_events(3)
    store.close()
    with vaxalloc.Store.open(path) as again:
        assert again.pending_events() == outbox.expected[3:]  # same ids, same contents
        again.acknowledge_events(7)
    with vaxalloc.Store.open(path) as again:
        assert again.pending_events() == []
        with pytest.raises(vaxalloc.InvalidArgumentError, match="through id 8"):
            again.acknowledge_events(8)
        # Ids are never reused: the next event is 8, though 1-7 are gone.
        again.cancel_series(3, at=at(2021, 6, 9))
        assert again.pending_events() == [
            Event(id=8, kind=EventKind.SERIES_CANCELLED, at=at(2021, 6, 9),
                  registrant=outbox.holders[2], series=3, draw=0)]


def test_reopen_method_keeps_pending_events(outbox):
    outbox.store.reopen()
    assert outbox.store.pending_events() == outbox.expected


def test_an_acknowledgement_by_another_connection(outbox, path):
    store = outbox.store
    with vaxalloc.Store.open(path) as other:
        other.acknowledge_events(4)
        # Reading sees the file as it is now.
        assert ids(store.pending_events()) == [5, 6, 7]
        # Acknowledging is no change of the campaign (no journal entry): the
        # other Store acknowledges on.
        seq = store.journal_seq
        store.acknowledge_events(5)
        assert store.journal_seq == seq
        assert ids(other.pending_events()) == [6, 7]


@pytest.mark.parametrize("call, error, match", [
    (lambda s: s.pending_events(limit=0), vaxalloc.InvalidArgumentError, "limit 0"),
    (lambda s: s.pending_events(limit=-1), vaxalloc.InvalidArgumentError, "limit -1"),
    (lambda s: s.pending_events(limit=vaxalloc.EVENTS_PER_READ_MAX + 1),
     vaxalloc.InvalidArgumentError, "100001"),
    (lambda s: s.pending_events(after_id=-1), vaxalloc.OutOfRangeError, "after_id -1"),
    (lambda s: s.pending_events(after_id=2**63), vaxalloc.OutOfRangeError, "after_id"),
    (lambda s: s.pending_events(after_id="1"), TypeError, "after_id"),
    (lambda s: s.pending_events(limit=1.5), TypeError, "limit"),
    (lambda s: s.pending_events(limit=True), TypeError, "limit"),
    (lambda s: s.acknowledge_events(8), vaxalloc.InvalidArgumentError, "up to id 7"),
    (lambda s: s.acknowledge_events(2**63 - 1), vaxalloc.InvalidArgumentError, "through id"),
    (lambda s: s.acknowledge_events(-1), vaxalloc.OutOfRangeError, "through_id -1"),
    (lambda s: s.acknowledge_events(None), TypeError, "through_id"),
])
def test_errors_change_nothing(outbox, call, error, match):
    store = outbox.store
    revision = store.revision
    with pytest.raises(error, match=match):
        call(store)
    assert store.pending_events() == outbox.expected
    assert store.revision == revision


def test_a_closed_store(outbox):
    outbox.store.close()
    with pytest.raises(vaxalloc.FailedPreconditionError, match="is closed"):
        outbox.store.pending_events()
    with pytest.raises(vaxalloc.FailedPreconditionError, match="is closed"):
        outbox.store.acknowledge_events(1)


def test_engine_has_no_outbox():
    engine = vaxalloc.Engine()
    assert not hasattr(engine, "pending_events")
    assert not hasattr(engine, "acknowledge_events")
    assert "no outbox" in vaxalloc.Engine.__doc__


def test_in_memory_store_has_an_outbox():
    with vaxalloc.Store.open(":memory:") as store:
        Small(store)
        store.register(external_ref="R-1", district=1, birth_day=dt.date(1950, 1, 1),
                       registered_at=at(2021, 6, 1))
        store.draw(seed=1, at=at(2021, 6, 7), first_dose_from=dt.date(2021, 6, 14),
                   first_dose_until=dt.date(2021, 6, 20))
        assert [(e.id, e.kind, e.series) for e in store.pending_events()] == [
            (1, EventKind.SERIES_ASSIGNED, 1)]
        store.acknowledge_events(1)
        assert store.pending_events() == []
