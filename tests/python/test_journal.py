"""The operation journal: Stores on one file follow each other, the hash
chain is verified by the library and, from docs/journal.md alone, here."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import struct
import subprocess
import sys

import pytest

import vaxalloc
from conftest import Small, at


def journal_chain_ok(path) -> tuple[int, int]:
    """An independent check of docs/journal.md: (entries, first bad seq or 0)."""
    previous = bytes(32)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT seq, op, committed_at_us, clock_us, args, hash FROM journal "
                          "ORDER BY seq").fetchall()
    for expected, (seq, op, committed_at_us, clock_us, args, stored) in enumerate(rows, start=1):
        if seq != expected:
            return len(rows), expected
        digest = hashlib.sha256(
            previous + struct.pack("<QBqqI", seq, op, committed_at_us, clock_us, len(args))
            + args).digest()
        if digest != stored:
            return len(rows), seq
        previous = digest
    return len(rows), 0


def book(store, registrant, when):
    return store.book(registrant=registrant, at=when, confirm=True)


@pytest.fixture
def campaign_file(tmp_path):
    path = tmp_path / "shared.sqlite"
    with vaxalloc.Store.open(path) as store:
        small = Small(store)
        store.add_release(center=small.festhalle, first_day=dt.date(2021, 6, 14),
                          last_day=dt.date(2021, 6, 20), release_at=at(2021, 6, 1, 7))
        for i in range(20):
            store.register(external_ref=f"R-{i}", district=small.ffm,
                           birth_day=dt.date(1950, 1, 1),
                           registered_at=at(2021, 5, 3))
    return path


def test_two_stores_follow_each_other_without_reopening(campaign_file):
    with vaxalloc.Store.open(campaign_file) as portal, \
            vaxalloc.Store.open(campaign_file) as hotline:
        series = book(portal, 1, at(2021, 6, 2, 9))
        # The hotline's next call, a read, sees the portal's booking.
        assert hotline.get_registrant(1).status == vaxalloc.RegistrantStatus.SCHEDULED
        assert hotline.get_series(series.id) == series
        other = book(hotline, 2, at(2021, 6, 2, 9, 1))
        assert other.id == series.id + 1
        portal.cancel_series(series.id, at=at(2021, 6, 2, 9, 2))
        assert hotline.get_series(series.id).status == vaxalloc.SeriesStatus.CANCELLED
        assert portal.journal_seq == hotline.journal_seq
        hotline.refresh()
        assert [e.op_name for e in portal.read_journal(after_seq=portal.journal_seq - 3)] == [
            "book", "book", "cancel_series"]


def test_another_process_is_seen_at_the_next_call(campaign_file):
    with vaxalloc.Store.open(campaign_file) as store:
        before = store.registrant_count
        script = (
            "import sys, datetime as dt, vaxalloc\n"
            "with vaxalloc.Store.open(sys.argv[1]) as s:\n"
            "    s.register(external_ref='FROM-CHILD', district=1,"
            " birth_day=dt.date(1960, 1, 1),"
            " registered_at=dt.datetime(2021, 5, 4, tzinfo=dt.timezone.utc))\n")
        subprocess.run([sys.executable, "-c", script, str(campaign_file)], check=True,
                       env=os.environ.copy(), timeout=120)
        assert store.registrant_count == before + 1
        assert store.find_registrant("FROM-CHILD") == before + 1


def test_the_chain_verifies_here_exactly_as_the_library_says(campaign_file):
    with vaxalloc.Store.open(campaign_file) as store:
        book(store, 3, at(2021, 6, 2, 9))
        check = store.verify_journal()
        entries = store.read_journal(limit=vaxalloc.JOURNAL_ENTRIES_PER_READ_MAX)
    assert check.intact and check.problem == ""
    assert check.entries == len(entries) == entries[-1].seq
    assert check.head == entries[-1].hash
    assert entries[0].op_name == "created"
    assert journal_chain_ok(campaign_file) == (len(entries), 0)
    # No reference in the journal: deleting a registration erases it.
    assert not any(b"R-1" in e.args for e in entries)


def test_an_edited_entry_is_found_by_both_and_opening_can_refuse_it(campaign_file):
    with sqlite3.connect(campaign_file) as db:
        db.execute("UPDATE journal SET args = zeroblob(length(args)) WHERE seq = 4")
    entries, bad = journal_chain_ok(campaign_file)
    assert bad == 4
    with vaxalloc.Store.open(campaign_file) as store:  # the tail is intact
        check = store.verify_journal()
    assert not check.intact and check.first_bad_seq == 4 and check.head is None
    assert "entry 4" in check.problem
    with pytest.raises(vaxalloc.CorruptStoreError, match="journal is broken"):
        vaxalloc.Store.open(campaign_file, verify_journal=True)


def test_a_store_behind_an_edited_entry_can_still_verify_and_read(campaign_file):
    with vaxalloc.Store.open(campaign_file) as behind:
        with vaxalloc.Store.open(campaign_file) as writer:
            book(writer, 6, at(2021, 6, 2, 9))
            seq = writer.journal_seq
        with sqlite3.connect(campaign_file) as db:
            db.execute("UPDATE journal SET args = zeroblob(length(args)) WHERE seq = ?", (seq,))
        with pytest.raises(vaxalloc.CorruptStoreError, match=f"journal entry {seq}"):
            behind.refresh()
        check = behind.verify_journal()  # reports, does not raise
        assert check.first_bad_seq == seq and not check.intact
        assert behind.read_journal(after_seq=seq - 1)[0].seq == seq


def test_a_read_only_store_follows_and_refuses_changes(campaign_file):
    with vaxalloc.Store.open(campaign_file) as writer, \
            vaxalloc.Store.open(campaign_file, read_only=True) as reader:
        assert reader.read_only and not writer.read_only
        book(writer, 4, at(2021, 6, 2, 9))
        assert reader.summarize().scheduled == 1
        seq = reader.journal_seq
        with pytest.raises(vaxalloc.FailedPreconditionError, match="read-only"):
            book(reader, 5, at(2021, 6, 2, 9))
        with pytest.raises(vaxalloc.FailedPreconditionError, match="read-only"):
            reader.acknowledge_events(1)
        assert reader.journal_seq == seq == writer.journal_seq


def test_read_journal_arguments_are_checked(campaign_file):
    with vaxalloc.Store.open(campaign_file) as store:
        with pytest.raises(vaxalloc.InvalidArgumentError, match="limit 0"):
            store.read_journal(limit=0)
        with pytest.raises(vaxalloc.OutOfRangeError, match="after_seq"):
            store.read_journal(after_seq=-1)
        assert store.read_journal(after_seq=10**6) == []


def test_a_draw_stamped_before_a_committed_hold_is_refused(campaign_file):
    with vaxalloc.Store.open(campaign_file) as store:
        assert store.latest_change is None
        store.book(registrant=5, at=at(2021, 6, 2, 10))  # a hold at 10:00
        assert store.latest_change == at(2021, 6, 2, 10)
        with pytest.raises(vaxalloc.FailedPreconditionError,
                           match="before the latest change already made, at 2021-06-02T10:00"):
            store.draw(seed=19, at=at(2021, 6, 2, 9), first_dose_from=dt.date(2021, 6, 21),
                       first_dose_until=dt.date(2021, 6, 27))
        assert store.read_journal(after_seq=store.journal_seq - 1)[0].clock == at(2021, 6, 2, 10)
        store.draw(seed=19, at=at(2021, 6, 2, 10), first_dose_from=dt.date(2021, 6, 21),
                   first_dose_until=dt.date(2021, 6, 27))
        assert store.check_invariants().ok
