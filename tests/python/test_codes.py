"""One-time codes and the standby list through Store on a file.

Codes: issued for an online cancellation or withdrawal, the digits in the
CODE_ISSUED event and nowhere in the stored record (only its salted hash);
a wrong entry counted and committed (also across a reopen), the lock after
Policy.code_attempts, expiry, a newer code superseding the older, and an
accepted code cancelling the series or deleting the registration. Standby:
the order of the list, a standby offer and its hold. Then the errors for bad
input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

import vaxalloc
from vaxalloc import (
    Appointment,
    BookingMode,
    CodeOutcome,
    CodePurpose,
    CodeState,
    Event,
    EventKind,
    IssuedCode,
    PriorityGroup,
    RegistrantStatus,
    SeriesOrigin,
    SeriesStatus,
    VerificationCode,
)
from conftest import Small, at

DRAW_AT = at(2021, 6, 7, 6)
ISSUED_AT = at(2021, 6, 8, 9)
LIFETIME = dt.timedelta(minutes=15)  # the core's default code_lifetime
US = dt.timedelta(microseconds=1)


def wrong(code: str) -> str:
    """Another code of the same length."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "codes.sqlite"


@pytest.fixture
def store(path):
    with vaxalloc.Store.open(path) as store:
        yield store


class Codes:
    """Small's campaign with A, B and C in Frankfurt, all three placed by a
    draw on 7 June for 14 June (the draw's letters acknowledged)."""

    def __init__(self, target):
        self.target = target
        self.small = Small(target)
        refs = ["A", "B", "C"]
        ids = target.register_batch(external_ref=refs, district=self.small.ffm,
                                    birth_day=dt.date(1970, 1, 1),
                                    registered_at=at(2021, 6, 1, 9))
        self.id = dict(zip(refs, ids))
        record = target.draw(seed=1, at=DRAW_AT, first_dose_from=dt.date(2021, 6, 14),
                             first_dose_until=dt.date(2021, 6, 14))
        assert len(record.series) == 3
        self.series = {ref: target.get_registrant(self.id[ref]).series for ref in refs}
        if isinstance(target, vaxalloc.Store):
            target.acknowledge_events(target.pending_events()[-1].id)

    def issue(self, ref="A", purpose=CodePurpose.CANCEL_SERIES, when=ISSUED_AT):
        series = self.series[ref] if purpose is CodePurpose.CANCEL_SERIES else None
        return self.target.issue_code(self.id[ref], purpose=purpose, series=series, at=when)


@pytest.fixture
def codes(store):
    return Codes(store)


# ---------------------------------------------------------------------------
# Issuing


def test_issue_a_code_and_its_event(codes):
    store = codes.target
    issued = codes.issue("A")
    assert isinstance(issued, IssuedCode)
    assert issued.code_id == 1 and store.code_count == 1
    assert len(issued.code) == 6 and issued.code.isdigit()
    record = issued.record
    assert record == VerificationCode(
        id=1, registrant=codes.id["A"], purpose=CodePurpose.CANCEL_SERIES,
        series=codes.series["A"], issued_at=ISSUED_AT, expires_at=ISSUED_AT + LIFETIME,
        attempts=0, state=CodeState.PENDING)
    assert record.expires_at.tzinfo is dt.timezone.utc
    assert store.get_code(1) == record
    # The record shows neither the digits nor the salted hash that would give
    # them away.
    assert issued.code not in str(dataclasses.astuple(record))
    assert not hasattr(record, "hash") and not hasattr(record, "salt0")
    # Neither repr shows what would give the code away.
    assert "code=" not in repr(issued) and "salt" not in repr(record)
    assert "hash" not in repr(record) and "PENDING" in repr(record)

    # The digits go to the outbox, to be sent by SMS.
    [event] = store.pending_events()
    assert event == Event(id=event.id, kind=EventKind.CODE_ISSUED, at=ISSUED_AT,
                          registrant=codes.id["A"], series=codes.series["A"], draw=0,
                          code_id=1, code=issued.code)
    assert "code_id=1" in repr(event) and "code=" not in repr(event)
    store.acknowledge_events(event.id)
    assert store.pending_events() == []
    # Other events carry no code.
    store.cancel_series(codes.series["B"], at=ISSUED_AT)
    [cancelled] = store.pending_events()
    assert (cancelled.kind, cancelled.code_id, cancelled.code) == (
        EventKind.SERIES_CANCELLED, None, None)


def test_a_withdrawal_code_names_no_series(codes):
    issued = codes.issue("B", CodePurpose.WITHDRAW)
    assert (issued.record.purpose, issued.record.series) == (CodePurpose.WITHDRAW, 0)
    [event] = codes.target.pending_events()
    assert (event.kind, event.series, event.code) == (EventKind.CODE_ISSUED, 0, issued.code)


def test_the_policy_decides_length_lifetime_and_attempts(codes, path):
    store = codes.target
    policy = dataclasses.replace(store.policy, code_digits=vaxalloc.CODE_DIGITS_MAX,
                                 code_lifetime=90, code_attempts=1,
                                 standby_hold=dt.timedelta(minutes=45))
    assert policy.code_lifetime == dt.timedelta(seconds=90)
    assert store.set_policy(policy) == 2
    issued = codes.issue("A")
    assert len(issued.code) == 10 and issued.code.isdigit()
    assert issued.record.expires_at == ISSUED_AT + dt.timedelta(seconds=90)
    with pytest.raises(vaxalloc.VerificationFailedError,
                       match="that was the last of 1 attempts, the code is locked"):
        store.verify_code(1, wrong(issued.code), at=ISSUED_AT + US)
    store.close()
    with vaxalloc.Store.open(path) as again:
        assert again.policy == policy


# ---------------------------------------------------------------------------
# Verifying


def test_a_wrong_code_counts_and_is_committed(codes, path):
    store = codes.target
    issued = codes.issue("A")
    revision = store.revision
    with pytest.raises(vaxalloc.VerificationFailedError) as info:
        store.verify_code(issued.code_id, wrong(issued.code), at=ISSUED_AT + US)
    error = info.value
    assert error.message == "code 1 is wrong; 2 attempt(s) left"
    assert error.code is vaxalloc.StatusCode.UNAUTHENTICATED
    assert error.outcome is CodeOutcome.WRONG
    assert store.revision == revision + 1
    assert store.get_code(1).attempts == 1
    # The outcome survives a pickle, as message and code do.
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.message, copy.outcome) == (
        vaxalloc.VerificationFailedError, error.message, CodeOutcome.WRONG)

    # The attempt is in the file: a reopened Store counts on from it.
    store.close()
    with vaxalloc.Store.open(path, create_if_missing=False) as again:
        assert again.get_code(1) == dataclasses.replace(issued.record, attempts=1)
        with pytest.raises(vaxalloc.VerificationFailedError,
                           match="^code 1 is wrong; 1 attempt\\(s\\) left$"):
            again.verify_code(1, wrong(issued.code), at=ISSUED_AT + 2 * US)
        # The right code still works while attempts are left.
        assert again.verify_code(1, issued.code, at=ISSUED_AT + 3 * US) is None
        assert again.get_code(1).state is CodeState.USED
        assert again.get_code(1).attempts == 2


def test_the_last_attempt_locks_the_code(codes, path):
    store = codes.target
    issued = codes.issue("A")
    for attempt, left in enumerate([r"2 attempt\(s\) left", r"1 attempt\(s\) left"], 1):
        with pytest.raises(vaxalloc.VerificationFailedError, match=left):
            store.verify_code(1, wrong(issued.code), at=ISSUED_AT + attempt * US)
    with pytest.raises(vaxalloc.VerificationFailedError) as info:
        store.verify_code(1, wrong(issued.code), at=ISSUED_AT + 3 * US)
    assert info.value.message == (
        "code 1 is wrong; that was the last of 3 attempts, the code is locked")
    assert info.value.outcome is CodeOutcome.WRONG
    assert store.get_code(1).state is CodeState.LOCKED
    store.reopen()
    # Locked for good: the right code no longer helps, and changes nothing.
    revision = store.revision
    with pytest.raises(vaxalloc.VerificationFailedError) as info:
        store.verify_code(1, issued.code, at=ISSUED_AT + 4 * US)
    assert info.value.message == "code 1 is locked after 3 wrong attempts"
    assert info.value.outcome is CodeOutcome.LOCKED
    assert store.revision == revision
    assert store.get_code(1).attempts == 3
    assert store.get_series(codes.series["A"]).status is SeriesStatus.ACTIVE


def test_a_code_expires(codes):
    store = codes.target
    issued = codes.issue("A")
    revision = store.revision
    with pytest.raises(vaxalloc.VerificationFailedError) as info:
        store.verify_code(1, issued.code, at=ISSUED_AT + LIFETIME)
    assert info.value.message == "code 1 expired at 2021-06-08T09:15:00+00:00"
    assert info.value.outcome is CodeOutcome.EXPIRED
    # An expired code stays pending; the attempt changes nothing.
    assert store.revision == revision
    assert store.get_code(1) == issued.record
    with pytest.raises(vaxalloc.VerificationFailedError, match="expired"):
        store.verify_code(1, wrong(issued.code), at=ISSUED_AT + LIFETIME)
    assert store.get_code(1).attempts == 0
    assert store.get_series(codes.series["A"]).status is SeriesStatus.ACTIVE


def test_a_new_code_supersedes_the_pending_one(codes):
    store = codes.target
    first = codes.issue("A")
    withdrawal = codes.issue("A", CodePurpose.WITHDRAW, ISSUED_AT + US)
    second = codes.issue("A", when=ISSUED_AT + 2 * US)
    assert (first.code_id, withdrawal.code_id, second.code_id) == (1, 2, 3)
    assert store.get_code(1).state is CodeState.SUPERSEDED
    # Another purpose is another code: the withdrawal code stays pending.
    assert store.get_code(2).state is CodeState.PENDING
    with pytest.raises(vaxalloc.FailedPreconditionError) as info:
        store.verify_code(1, first.code, at=ISSUED_AT + 3 * US)
    assert info.value.message == "code 1 was already replaced by a newer code"
    assert info.value.outcome is CodeOutcome.NOT_PENDING
    assert store.verify_code(3, second.code, at=ISSUED_AT + 4 * US) is None
    with pytest.raises(vaxalloc.FailedPreconditionError, match="^code 3 was already used$") as info:
        store.verify_code(3, second.code, at=ISSUED_AT + 5 * US)
    assert info.value.outcome is CodeOutcome.NOT_PENDING
    assert [e.code_id for e in store.pending_events() if e.kind is EventKind.CODE_ISSUED] == [
        1, 2, 3]


def test_codes_per_registrant_and_day_are_limited(codes, path):
    store = codes.target
    assert vaxalloc.CODES_PER_DAY_MAX == 5
    assert vaxalloc.CODES_PER_REGISTRANT_MAX == 100 and vaxalloc.CODES_MAX == 2 ** 25
    for k in range(vaxalloc.CODES_PER_DAY_MAX):  # both purposes count
        purpose = CodePurpose.WITHDRAW if k % 2 else CodePurpose.CANCEL_SERIES
        codes.issue("A", purpose, ISSUED_AT + k * dt.timedelta(hours=1))
    revision, seq = store.revision, store.journal_seq
    with pytest.raises(vaxalloc.CapacityExhaustedError,
                       match="was issued 5 codes within 24 hours") as info:
        codes.issue("A", CodePurpose.WITHDRAW, ISSUED_AT + dt.timedelta(hours=5))
    assert "the next can be issued from 2021-06-09T09:00:00+00:00" in info.value.message
    assert (store.revision, store.journal_seq, store.code_count) == (revision, seq, 5)
    codes.issue("B", CodePurpose.WITHDRAW, ISSUED_AT + dt.timedelta(hours=5))
    # The limit holds after a reopen: the codes are counted from the file.
    store.close()
    with vaxalloc.Store.open(path) as reopened:
        with pytest.raises(vaxalloc.CapacityExhaustedError):
            reopened.issue_code(codes.id["A"], purpose=CodePurpose.WITHDRAW,
                                at=ISSUED_AT + dt.timedelta(hours=6))
        reopened.issue_code(codes.id["A"], purpose=CodePurpose.WITHDRAW,
                            at=ISSUED_AT + dt.timedelta(hours=24))


def test_an_accepted_code_cancels_the_series(codes, path):
    store = codes.target
    issued = codes.issue("A")
    store.acknowledge_events(store.pending_events()[-1].id)
    series = codes.series["A"]
    accepted_at = ISSUED_AT + dt.timedelta(minutes=3)
    assert store.verify_code(issued.code_id, issued.code, at=accepted_at) is None
    assert store.get_code(1).state is CodeState.USED
    assert store.get_series(series).status is SeriesStatus.CANCELLED
    person = store.get_registrant(codes.id["A"])
    assert (person.status, person.series, person.waiting_since) == (
        RegistrantStatus.WAITING, 0, accepted_at)
    assert store.pending_events() == [
        Event(id=store.pending_events()[0].id, kind=EventKind.SERIES_CANCELLED, at=accepted_at,
              registrant=codes.id["A"], series=series, draw=0)]
    assert store.check_invariants().ok
    store.close()
    with vaxalloc.Store.open(path, create_if_missing=False) as again:
        assert again.get_code(1).state is CodeState.USED
        assert again.get_series(series).status is SeriesStatus.CANCELLED
        assert again.code_count == 1


def test_an_accepted_code_withdraws_the_registrant(codes):
    store = codes.target
    issued = codes.issue("B", CodePurpose.WITHDRAW)
    store.acknowledge_events(store.pending_events()[-1].id)
    accepted_at = ISSUED_AT + dt.timedelta(minutes=1)
    store.verify_code(issued.code_id, issued.code, at=accepted_at)
    assert store.get_registrant(codes.id["B"]).status is RegistrantStatus.WITHDRAWN
    # Since 0.3 a withdrawal code deletes the registration: reference and
    # birth day are erased (see test_erasure_overbooking.py).
    assert store.get_registrant(codes.id["B"]).erased is True
    assert store.get_registrant(codes.id["B"]).external_ref == ""
    assert store.get_series(codes.series["B"]).status is SeriesStatus.CANCELLED
    assert [(e.kind, e.series) for e in store.pending_events()] == [
        (EventKind.SERIES_CANCELLED, codes.series["B"]), (EventKind.REGISTRANT_WITHDRAWN,
                                                          codes.series["B"])]
    # A deleted registration gets no more codes.
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="code: registrant 2's registration is deleted"):
        codes.issue("B", CodePurpose.WITHDRAW, accepted_at + US)


def test_a_right_code_whose_action_is_gone(codes):
    store = codes.target
    issued = codes.issue("C")
    store.cancel_series(codes.series["C"], at=ISSUED_AT + US)  # at the counter, meanwhile
    revision = store.revision
    with pytest.raises(vaxalloc.FailedPreconditionError, match="^code 1 can no longer be used: ") as info:
        store.verify_code(1, issued.code, at=ISSUED_AT + 2 * US)
    assert info.value.outcome is None  # the core refused the action, not the code
    assert store.revision == revision
    assert store.get_code(1).state is CodeState.PENDING


def test_codes_in_an_engine_and_a_store(campaign):
    codes = Codes(campaign)
    issued = codes.issue("A")
    with pytest.raises(vaxalloc.VerificationFailedError, match="2 attempt"):
        campaign.verify_code(1, wrong(issued.code), at=ISSUED_AT + US)
    campaign.verify_code(1, issued.code, at=ISSUED_AT + 2 * US)
    assert campaign.get_code(1).state is CodeState.USED
    assert campaign.get_series(codes.series["A"]).status is SeriesStatus.CANCELLED
    assert campaign.code_count == 1


# ---------------------------------------------------------------------------
# Standby

TODAY = dt.date(2021, 6, 14)
END_OF_DAY = at(2021, 6, 14, 8, 50)  # the last slot (8:45-9:00 UTC) has begun
STANDBY_HOLD = dt.timedelta(minutes=30)  # the core's default standby_hold


class Standby:
    """Small's campaign with standby registrants: S-early and S-same (group
    NONE, same instant), S-group2 (tier 2, registered later), N (not on
    standby), S-of (in Offenbach), S-late (registered after END_OF_DAY)."""

    def __init__(self, target):
        self.target = target
        self.small = Small(target)
        ffm, of = self.small.ffm, self.small.of
        rows = [
            ("S-early", ffm, at(2021, 6, 1, 9), PriorityGroup.NONE, True),
            ("S-same", ffm, at(2021, 6, 1, 9), PriorityGroup.NONE, True),
            ("S-group2", ffm, at(2021, 6, 3, 9), PriorityGroup.GROUP2, True),
            ("N", ffm, at(2021, 6, 1, 8), PriorityGroup.NONE, False),
            ("S-of", of, at(2021, 6, 1, 9), PriorityGroup.NONE, True),
            ("S-late", ffm, at(2021, 6, 14, 10), PriorityGroup.NONE, True),
        ]
        refs = [row[0] for row in rows]
        ids = target.register_batch(
            external_ref=refs, district=[row[1] for row in rows], birth_day=dt.date(1970, 1, 1),
            registered_at=[row[2] for row in rows], group=[row[3] for row in rows],
            standby=[row[4] for row in rows])
        self.id = dict(zip(refs, ids))

    def ids(self, *refs):
        return [self.id[ref] for ref in refs]


def test_registrants_keep_their_standby_flag(store, path):
    s = Standby(store)
    assert [p.standby for p in store.get_registrant_batch(range(1, 7))] == [
        True, True, True, False, True, True]
    one = store.register(external_ref="single", district=1, birth_day=dt.date(1970, 1, 1),
                         registered_at=at(2021, 6, 2), standby=True)
    assert store.get_registrant(one).standby is True
    assert store.get_registrant(s.id["N"]).standby is False
    store.close()
    with vaxalloc.Store.open(path, create_if_missing=False) as again:
        assert [p.standby for p in again.get_registrant_batch(range(1, 8))] == [
            True, True, True, False, True, True, True]


def test_the_standby_list_order(store):
    s = Standby(store)
    festhalle = s.small.festhalle
    # Tier first (GROUP2 is tier 2), then waiting since, then the reference;
    # not N (not on standby), S-of (another district), S-late (not yet registered).
    assert store.standby_list(festhalle, at=END_OF_DAY, limit=10) == s.ids(
        "S-group2", "S-early", "S-same")
    assert store.standby_list(festhalle, at=END_OF_DAY, limit=2) == s.ids("S-group2", "S-early")
    assert store.standby_list(festhalle, at=END_OF_DAY, limit=0) == []
    assert store.standby_list(s.small.offenbach, at=END_OF_DAY, limit=10) == s.ids("S-of")
    assert store.standby_list(festhalle, at=at(2021, 6, 14, 10), limit=10) == s.ids(
        "S-group2", "S-early", "S-same", "S-late")


def test_a_standby_offer(store):
    s = Standby(store)
    festhalle = s.small.festhalle
    [first] = store.standby_list(festhalle, at=END_OF_DAY, limit=1)
    offer = store.book(registrant=first, at=END_OF_DAY, mode=BookingMode.STANDBY)
    # Today, in a seat of a slot that has begun: the person comes now.
    assert offer.appointments[0] == Appointment(day=TODAY, minute=8 * 60)
    assert (offer.status, offer.origin, offer.hold_expires_at) == (
        SeriesStatus.HELD, SeriesOrigin.STANDBY, END_OF_DAY + STANDBY_HOLD)
    # Holding an offer takes the person off the list.
    assert store.standby_list(festhalle, at=END_OF_DAY, limit=10) == s.ids("S-early", "S-same")
    confirmed = store.confirm_hold(offer.id, at=END_OF_DAY + dt.timedelta(minutes=2))
    assert confirmed.status is SeriesStatus.ACTIVE and confirmed.origin is SeriesOrigin.STANDBY
    assert [(e.kind, e.registrant) for e in store.pending_events()] == [
        (EventKind.SERIES_BOOKED, first)]
    # The next one gets the next seat left today.
    second = store.book(registrant=s.id["S-early"], at=END_OF_DAY + dt.timedelta(minutes=3),
                        mode=BookingMode.STANDBY, confirm=True)
    assert second.appointments[0] == Appointment(day=TODAY, minute=8 * 60 + 15)
    # Only people on the standby list get standby offers.
    with pytest.raises(vaxalloc.FailedPreconditionError,
                       match="booking: registrant 4 is not on the standby list"):
        store.book(registrant=s.id["N"], at=END_OF_DAY, mode=BookingMode.STANDBY)
    assert store.check_invariants().ok


def test_a_standby_offer_lapses_after_the_standby_hold(store):
    s = Standby(store)
    store.set_policy(standby_hold=dt.timedelta(minutes=5))
    offer = store.book(registrant=s.id["S-same"], at=END_OF_DAY, mode=BookingMode.STANDBY)
    assert offer.hold_expires_at == END_OF_DAY + dt.timedelta(minutes=5)
    assert store.expire_holds(at=END_OF_DAY + dt.timedelta(minutes=5)) == 1
    assert store.get_series(offer.id).status is SeriesStatus.LAPSED
    assert s.id["S-same"] in store.standby_list(s.small.festhalle, at=END_OF_DAY, limit=10)


# ---------------------------------------------------------------------------
# Bad input

NAIVE = dt.datetime(2021, 6, 8, 9, 0)


@pytest.mark.parametrize("call, error, match", [
    # naive datetimes and wrong Python types, refused before the core
    (lambda c, s: c.issue_code(1, purpose=CodePurpose.WITHDRAW, at=NAIVE),
     vaxalloc.InvalidArgumentError, "at 2021-06-08T09:00:00 is a naive datetime"),
    (lambda c, s: c.verify_code(1, "123456", at=NAIVE), vaxalloc.InvalidArgumentError, "naive"),
    (lambda c, s: c.standby_list(1, at=NAIVE, limit=5), vaxalloc.InvalidArgumentError, "naive"),
    (lambda c, s: c.verify_code(1, 123456, at=ISSUED_AT), TypeError, "code must be a str"),
    (lambda c, s: c.verify_code("1", "123456", at=ISSUED_AT), TypeError, "code id must be an int"),
    (lambda c, s: c.issue_code(1, purpose=CodePurpose.CANCEL_SERIES, series="1", at=ISSUED_AT),
     TypeError, "series id must be an int"),
    (lambda c, s: c.standby_list(1, at=ISSUED_AT, limit=2.5), TypeError, "limit must be an int"),
    (lambda c, s: c.register(external_ref="X", district=1, birth_day=dt.date(1970, 1, 1),
                             registered_at=ISSUED_AT, standby="yes"),
     TypeError, "standby must be a bool"),
    (lambda c, s: c.register_batch(external_ref=["X", "Y"], district=1,
                                   birth_day=dt.date(1970, 1, 1), registered_at=ISSUED_AT,
                                   standby=[True]),
     vaxalloc.InvalidArgumentError, "column standby has 1 entries but external_ref has 2"),
    # bad values
    (lambda c, s: c.issue_code(1, purpose=7, at=ISSUED_AT), vaxalloc.InvalidArgumentError,
     "code purpose 7 is not a CodePurpose"),
    (lambda c, s: c.issue_code(1, purpose=CodePurpose.WITHDRAW, series=s["A"], at=ISSUED_AT),
     vaxalloc.InvalidArgumentError, "code: a withdrawal code names no series"),
    (lambda c, s: c.issue_code(1, purpose=CodePurpose.CANCEL_SERIES, series=s["B"],
                               at=ISSUED_AT),
     vaxalloc.FailedPreconditionError, "is not an active series of registrant 1"),
    (lambda c, s: c.verify_code(1, "12a456", at=ISSUED_AT + US), vaxalloc.InvalidArgumentError,
     "code 1: the entry is not 1..10 digits"),
    (lambda c, s: c.verify_code(1, "", at=ISSUED_AT + US), vaxalloc.InvalidArgumentError,
     "not 1..10 digits"),
    (lambda c, s: c.verify_code(1, "1" * 11, at=ISSUED_AT + US), vaxalloc.InvalidArgumentError,
     "not 1..10 digits"),
    (lambda c, s: c.standby_list(1, at=ISSUED_AT, limit=-1), vaxalloc.InvalidArgumentError,
     "standby list: limit -1 is negative"),
    (lambda c, s: c.book(registrant=1, at=ISSUED_AT, mode=3), vaxalloc.InvalidArgumentError,
     "booking mode 3 is not a BookingMode"),
    # unknown ids
    (lambda c, s: c.issue_code(99, purpose=CodePurpose.WITHDRAW, at=ISSUED_AT),
     vaxalloc.NotFoundError, "code: unknown registrant id 99"),
    (lambda c, s: c.issue_code(1, purpose=CodePurpose.CANCEL_SERIES, at=ISSUED_AT),
     vaxalloc.NotFoundError, "code: unknown series id 0"),
    (lambda c, s: c.verify_code(99, "123456", at=ISSUED_AT), vaxalloc.NotFoundError,
     "unknown code id 99"),
    (lambda c, s: c.get_code(2), vaxalloc.NotFoundError, "unknown code id 2"),
    (lambda c, s: c.get_code(0), vaxalloc.NotFoundError, "unknown code id 0"),
    (lambda c, s: c.get_code(-1), vaxalloc.OutOfRangeError, "code id -1 is out of range"),
    (lambda c, s: c.verify_code(2**32, "1", at=ISSUED_AT), vaxalloc.OutOfRangeError,
     "code id 4294967296 is out of range"),
    (lambda c, s: c.standby_list(9, at=ISSUED_AT, limit=5), vaxalloc.NotFoundError,
     "standby: unknown center id 9"),
    # stamps must come after the latest draw
    (lambda c, s: c.issue_code(1, purpose=CodePurpose.WITHDRAW, at=DRAW_AT),
     vaxalloc.FailedPreconditionError, "not after the latest draw's instant"),
])
def test_bad_input_raises_and_changes_nothing(codes, call, error, match):
    store = codes.target
    codes.issue("A")  # code 1, pending
    revision = store.revision
    events = store.pending_events()
    with pytest.raises(error, match=match) as info:
        call(store, codes.series)
    assert getattr(info.value, "outcome", None) is None
    assert store.revision == revision
    assert store.get_code(1).attempts == 0 and store.code_count == 1
    assert store.pending_events() == events


@pytest.mark.parametrize("fields, error, match", [
    ({"code_digits": vaxalloc.CODE_DIGITS_MIN - 1}, vaxalloc.InvalidArgumentError,
     "policy: code_digits 3 is outside 4..10"),
    ({"code_digits": vaxalloc.CODE_DIGITS_MAX + 1}, vaxalloc.InvalidArgumentError,
     "policy: code_digits 11 is outside 4..10"),
    ({"code_digits": "6"}, TypeError, "policy code_digits must be an int"),
    ({"code_attempts": 0}, vaxalloc.InvalidArgumentError,
     "policy: code_attempts 0 is outside 1..10"),
    ({"code_attempts": vaxalloc.CODE_ATTEMPTS_MAX + 1}, vaxalloc.InvalidArgumentError,
     "policy: code_attempts 11 is outside 1..10"),
    ({"code_lifetime": dt.timedelta(0)}, vaxalloc.InvalidArgumentError,
     "policy: code_lifetime 0 is outside 1 s .. 1440 minutes"),
    ({"code_lifetime": dt.timedelta(minutes=vaxalloc.CODE_LIFETIME_MINUTES_MAX + 1)},
     vaxalloc.InvalidArgumentError, "policy: code_lifetime 24h1m is outside"),
    ({"code_lifetime": "15 minutes"}, TypeError,
     "policy code_lifetime must be a datetime.timedelta or seconds"),
    ({"standby_hold": -1}, vaxalloc.InvalidArgumentError, "policy: standby_hold -1s is outside"),
    ({"standby_hold": dt.timedelta(minutes=vaxalloc.HOLD_MINUTES_MAX + 1)},
     vaxalloc.InvalidArgumentError, "policy: standby_hold 24h1m is outside 1 s .. 1440 minutes"),
    ({"code_attempts": 2**40}, vaxalloc.OutOfRangeError, "policy code_attempts"),
])
def test_bad_policy_fields(store, fields, error, match):
    with pytest.raises(error, match=match):
        store.set_policy(**fields)
    assert store.policy_version == 1
    assert store.policy == vaxalloc.Policy()
