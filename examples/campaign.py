#!/usr/bin/env python3
"""A state's vaccination campaign end to end, through the Python API.

Hessen, summer 2021 (the generated scenario of scenario.h): 26 districts, 28
centers, four vaccines, weekly deliveries, the 7 June tier cut-off and a
waiting list. The campaign lives in a SQLite file. Every Monday a lottery
draw hands out the next week's first-dose appointments (second doses booked
with them); some people cancel (vaccinated by their GP) or withdraw, and
their seats go back to the next draw (the exchange). After each draw the
letters to send come from the Store's outbox, which is then acknowledged.
After the first draw, one winner cancels online, confirming with a one-time
code sent by SMS (mistyped once first), and a release day follows, as in
Sachsen: two days of one center's first doses, held back from the draws,
open for self-booking at an announced hour, first come, first served (hold,
then confirm). Later, a day of attendance: one center records who came, who
did not, and its no-show rate, and at the end of the day offers the doses
left to people on its standby list. At the end: a report, the invariant
check, and an audit of one draw from its published seed.

    PYTHONPATH=build/bindings /usr/bin/python3 examples/campaign.py --registrants 200000

Options: --db PATH (default: a temporary file), --registrants N, --seed S,
--draws K (default: the whole schedule), --cancel-permille P,
--no-show-permille P.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import sys
import tempfile
import time

import vaxalloc


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="campaign file (default: a temporary file)")
    parser.add_argument("--registrants", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2021, help="scenario seed")
    parser.add_argument("--draws", type=int, default=0, help="draws to run (0: all)")
    parser.add_argument("--cancel-permille", type=int, default=50,
                        help="winners who cancel before the next draw, per 1000")
    parser.add_argument("--no-show-permille", type=int, default=150,
                        help="people who miss their appointment, per 1000")
    return parser.parse_args(argv)


def progress(stage, done, total):
    print(f"\r  {stage:<12} {done:>10,} / {total:,}", end="\n" if done == total else "",
          flush=True)


def local(instant):
    return instant.astimezone(vaxalloc.SCENARIO_TIMEZONE).strftime("%a %d %b %H:%M")


def print_draw(store, record):
    eligible = sum(t.eligible for t in record.tiers)
    assigned = sum(t.assigned for t in record.tiers)
    per_tier = "  ".join(f"T{i + 1} {t.assigned:,}/{t.eligible:,}"
                         for i, t in enumerate(record.tiers) if t.eligible)
    print(f"  draw {record.id:2} {local(record.request.at)}  first doses "
          f"{record.request.first_dose_from:%d %b}-{record.request.first_dose_until:%d %b}  "
          f"{assigned:>7,} of {eligible:>9,} waiting   {per_tier}")


def exchange(store, record, rng, cancel_permille, when):
    """Some winners cancel (vaccinated elsewhere) and a few withdraw; their
    seats and doses return, and they (if not withdrawn) wait again."""
    cancelled = withdrawn = 0
    series = store.get_series_batch(record.series)
    for s in series:
        roll = rng.randrange(1000)
        if roll < cancel_permille // 5:
            store.withdraw(s.registrant, at=when)
            withdrawn += 1
        elif roll < cancel_permille:
            store.cancel_series(s.id, at=when)
            cancelled += 1
    return cancelled, withdrawn


def deliver_events(store, sent):
    """The host's side of the outbox: reads the pending events page by page,
    acts on each (here: counts the letter, SMS or e-mail it stands for) and
    then acknowledges them. Had the process died before acknowledging, the
    same events (same ids) would be pending after a restart: delivery is at
    least once, so a real host drops ids it has already sent."""
    last = 0
    counts = collections.Counter()
    while page := store.pending_events(after_id=last, limit=10_000):
        for event in page:
            counts[event.kind] += 1
            last = event.id
    if last:
        store.acknowledge_events(last)
    sent.update(counts)
    return counts


def online_cancellation(store, record, when):
    """A winner cancels online ("I was vaccinated by my GP"): the portal asks
    for a one-time code, which the SMS gateway takes from the outbox (the
    engine keeps only its salted hash). The person mistypes it once, then
    enters it right; the series is cancelled in the same transaction."""
    series = store.get_series_batch(record.series)
    people = store.get_registrant_batch([s.registrant for s in series])
    series, person = next((s, p) for s, p in zip(series, people)
                          if s.status is vaxalloc.SeriesStatus.ACTIVE
                          and p.channel is vaxalloc.Channel.ONLINE)
    issued = store.issue_code(person.id, purpose=vaxalloc.CodePurpose.CANCEL_SERIES,
                              series=series.id, at=when)
    # The gateway's side: the CODE_ISSUED event carries the digits to send.
    sms = next(event for event in store.pending_events()
               if event.kind is vaxalloc.EventKind.CODE_ISSUED
               and event.code_id == issued.code_id)
    print(f"\nOnline cancellation {local(when)}: {person.external_ref} cancels series "
          f"{series.id}; a {len(sms.code)}-digit code goes out by SMS, valid until "
          f"{local(issued.record.expires_at)}")
    typo = sms.code[:-1] + str((int(sms.code[-1]) + 1) % 10)
    try:
        store.verify_code(issued.code_id, typo, at=when + dt.timedelta(minutes=1))
    except vaxalloc.VerificationFailedError as error:
        print(f"  first try (a typo): {error.message} [{error.outcome.name}]")
    store.verify_code(issued.code_id, sms.code, at=when + dt.timedelta(minutes=2))
    code = store.get_code(issued.code_id)
    cancelled = store.get_series(series.id).status is vaxalloc.SeriesStatus.CANCELLED
    print(f"  second try: accepted; code {code.state.name.lower()} after {code.attempts} wrong "
          f"attempt(s), series cancelled: {cancelled}")
    return collections.Counter(codes=1, cancelled=1)


def add_release(store, scenario, first_draw):
    """Holds the first doses of the two days after the first draw's window
    back from the draws at the center with the most people waiting, and
    announces them for Thursday 08:00 (local time) of the draw's week."""
    report = store.summarize()
    center = max(report.centers, key=lambda c: c.residents_waiting).center
    first_day = first_draw.first_dose_until + dt.timedelta(days=1)
    local_draw = first_draw.at.astimezone(vaxalloc.SCENARIO_TIMEZONE)
    release_at = (local_draw + dt.timedelta(days=3)).replace(hour=8, minute=0)
    spec = vaxalloc.ReleaseSpec(center=center, first_day=first_day,
                                last_day=first_day + dt.timedelta(days=1), release_at=release_at,
                                first_dose_cap=max(20, scenario.registrant_count // 400))
    return store.get_release(store.add_release(spec))


def waiting_residents(store, districts, wanted, rng):
    """Up to `wanted` waiting people living in `districts`, in random order
    (fetched in pages of random ids: a campaign may hold millions)."""
    ids = list(range(1, store.registrant_count + 1))
    rng.shuffle(ids)
    found = []
    for start in range(0, len(ids), 2_000):
        for person in store.get_registrant_batch(ids[start:start + 2_000]):
            if person.status is vaxalloc.RegistrantStatus.WAITING and person.district in districts:
                found.append(person.id)
        if len(found) >= wanted:
            break
    return found[:wanted]


def release_day(store, release, rng):
    """The rush when a release opens: people try every few seconds; the
    library proposes the earliest free series and holds it for the policy's
    hold time. Most confirm, some decline, some walk away (the hold lapses
    and its seats return). Returns the number of series booked."""
    center = store.get_center(release.center)
    days = [release.first_day + dt.timedelta(days=i)
            for i in range((release.last_day - release.first_day).days + 1)]
    seats = sum(slot.seats_first for day in days
                for vaccine in range(1, store.vaccine_count + 1)
                for slot in store.slots(center=center.id, vaccine=vaccine, day=day))
    print(f"\nRelease day {local(release.release_at)}: first doses of "
          f"{release.first_day:%d %b}-{release.last_day:%d %b} at {center.name} "
          f"({seats:,} first-dose seats, at most {release.first_dose_cap:,} series)")
    people = waiting_residents(store, set(center.districts),
                               min(seats, release.first_dose_cap) * 3 // 2, rng)
    now = release.release_at
    outcome = collections.Counter()
    gone_at = None
    for person in people:
        try:
            held = store.book(registrant=person, at=now)
        except vaxalloc.CapacityExhaustedError:
            outcome["too late"] += 1
            gone_at = gone_at or now
            now += dt.timedelta(seconds=3)
            continue
        roll = rng.randrange(100)
        if roll < 80:
            store.confirm_hold(held.id, at=now + dt.timedelta(seconds=40))
            outcome["confirmed"] += 1
        elif roll < 90:
            store.decline_hold(held.id, at=now + dt.timedelta(seconds=20))
            outcome["declined"] += 1
        else:
            outcome["walked away"] += 1  # the hold lapses by itself
        now += dt.timedelta(seconds=3)
    # Holds lapse by themselves when a later booking comes by; the host also
    # lets the due ones go now and then.
    store.expire_holds(at=now + store.policy.hold)
    print(f"  {len(people):,} people tried, 3 s apart: {outcome['confirmed']:,} confirmed, "
          f"{outcome['declined']:,} declined, {outcome['walked away']:,} let the hold lapse, "
          f"{outcome['too late']:,} found nothing"
          + (f" (the first at {local(gone_at)})" if gone_at else ""))
    print(f"  release {release.id}: {store.get_release(release.id).booked:,} series booked, "
          f"{store.hold_count} holds left")
    return outcome["confirmed"]


def evening(day):
    return dt.datetime.combine(day, dt.time(21), tzinfo=vaxalloc.SCENARIO_TIMEZONE)


def standby_offers(store, center, day, rng, wanted=10):
    """The end of `day`: seats and thawed doses are left (no-shows, seats
    nobody booked). The center calls people from its standby list, best
    first (tier, then time waited), up to `wanted` who come; each is
    offered a first dose today, held for the policy's standby hold, and
    comes now or says no. Returns the number who come."""
    now = evening(day)
    left = sum(slot.seats_first - slot.booked_first
               for vaccine in range(1, store.vaccine_count + 1)
               for slot in store.slots(center=center, vaccine=vaccine, day=day))
    wanted = min(wanted, left)
    called = store.standby_list(center, at=now, limit=2 * wanted)
    outcome = collections.Counter()
    for person in called:
        if outcome["come"] == wanted:
            break
        try:
            offer = store.book(registrant=person, at=now, center=center,
                               mode=vaxalloc.BookingMode.STANDBY)
        except vaxalloc.CapacityExhaustedError:  # e.g. no second-dose seat in the interval
            outcome["no seat"] += 1
            continue
        if rng.randrange(100) < 70:
            store.confirm_hold(offer.id, at=now + dt.timedelta(minutes=1))
            outcome["come"] += 1
        else:
            store.decline_hold(offer.id, at=now + dt.timedelta(minutes=1))
            outcome["cannot"] += 1
        now += dt.timedelta(minutes=2)
    hold = store.policy.standby_hold
    print(f"  end of the day: {left:,} first-dose seats left; "
          f"{outcome['come'] + outcome['cannot']:,} standby offers to the first of "
          f"{len(called):,} called from the list: {outcome['come']:,} come within the "
          f"{hold.seconds // 60}-minute standby hold, {outcome['cannot']:,} cannot"
          + (f"; {outcome['no seat']:,} found no series that fits" if outcome["no seat"] else ""))
    return outcome["come"]


def attendance_day(store, day, rng, no_show_permille):
    """The evening of `day` at the center with the most first doses that
    day: each first dose is recorded as given or missed. A missed first
    dose ends the series, and the person waits again; the seats left go to
    the standby list. Returns the attendance and the standby bookings."""
    count = store.series_count
    due = collections.defaultdict(list)
    for start in range(1, count + 1, 10_000):
        for series in store.get_series_batch(range(start, min(start + 10_000, count + 1))):
            if (series.status is vaxalloc.SeriesStatus.ACTIVE
                    and series.appointments[0].day == day
                    and series.doses[0] is vaxalloc.DoseState.BOOKED):
                due[series.center].append(series.id)
    if not due:
        return None, 0
    center = max(due, key=lambda c: len(due[c]))
    for series in due[center]:
        missed = rng.randrange(1000) < no_show_permille
        store.record_dose(series, dose=1, at=evening(day),
                          outcome=vaxalloc.DoseOutcome.MISSED if missed
                          else vaxalloc.DoseOutcome.GIVEN)
    [attendance] = store.attendance(center, first_day=day, last_day=day)
    # Second doses that day stay open: their first doses were never recorded.
    print(f"\nAttendance on {day:%a %d %b} at {store.get_center(center).name}: "
          f"{attendance.given:,} first doses given, {attendance.missed:,} missed "
          f"(no-show rate {attendance.no_show_rate:.1%}), {attendance.booked:,} other "
          f"appointments not recorded")
    booked = standby_offers(store, center, day, rng)
    return attendance, booked


def audit(store, record):
    """Recomputes a draw's first winners from its published seed: within a
    tier, the order is the lottery number of the external reference."""
    seed = str(record.request.seed)
    series = store.get_series_batch(record.series)
    people = store.get_registrant_batch([s.registrant for s in series])
    by_tier = collections.defaultdict(list)
    for s, person in zip(series, people):
        by_tier[s.tier].append((s.category, person.external_ref))
    tier = min(by_tier)
    general = [ref for category, ref in by_tier[tier] if category == 0]
    numbers = [vaxalloc.lottery_number(seed, ref) for ref in general]
    print(f"  audit of draw {record.id}: seed {seed} (published after the draw)")
    for ref, number in list(zip(general, numbers))[:3]:
        print(f"    {ref}  lottery number {number:#018x}")
    in_order = all(a <= b for a, b in zip(numbers, numbers[1:]))
    # Winners of one tier and category are placed in ascending lottery order
    # (a later one may go to a pool an earlier one could not use, never before it).
    print(f"    tier {tier} general-pool winners in ascending lottery order: {in_order}")
    return in_order


def main(argv=None):
    args = parse_args(argv)
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="vaxalloc-")
        args.db = os.path.join(tmp.name, "hessen.sqlite")
    print(f"vaxalloc {vaxalloc.__version__}: Hessen campaign, {args.registrants:,} registrants, "
          f"file {args.db}")

    started = time.monotonic()
    scenario = vaxalloc.make_scenario(seed=args.seed, registrants=args.registrants)
    print(f"  scenario: {len(scenario.districts)} districts, {len(scenario.centers)} centers, "
          f"calendar {scenario.options.first_day} - {scenario.last_day}, "
          f"tier cut-off {local(scenario.tier_cut_off)}")
    with vaxalloc.Store.open(args.db) as store:
        scenario.populate(store, progress=progress)
        shortfalls = store.check_second_dose_capacity()
        print(f"  first-dose days without enough second-dose seats: {len(shortfalls)}")

        schedule = scenario.draw_schedule()
        if args.draws:
            schedule = schedule[:args.draws]
        rng = random.Random(args.seed)
        totals = collections.Counter()
        sent = collections.Counter()
        records = []
        release = add_release(store, scenario, schedule[0])
        # The first day of first doses, recorded that evening (before the
        # next draw: a change is stamped after the latest draw).
        attendance_on, attendance, attended = schedule[0].first_dose_from, None, False
        print(f"\n{len(schedule)} weekly draws (assigned of waiting, per tier):")
        for index, request in enumerate(schedule):
            if store.summarize().waiting == 0:
                break
            record = store.draw(request)
            records.append(record)
            print_draw(store, record)
            cancelled, withdrawn = exchange(store, record, rng, args.cancel_permille,
                                            request.at + dt.timedelta(days=2))
            totals.update(assigned=len(record.series), cancelled=cancelled,
                          withdrawn=withdrawn)
            delivered = deliver_events(store, sent)
            print(f"          outbox: {delivered[vaxalloc.EventKind.SERIES_ASSIGNED]:,} "
                  f"appointment letters, {delivered[vaxalloc.EventKind.SERIES_CANCELLED]:,} "
                  f"cancellations, {delivered[vaxalloc.EventKind.REGISTRANT_WITHDRAWN]:,} "
                  f"withdrawals sent")
            next_draw = schedule[index + 1].at if index + 1 < len(schedule) else None
            if len(records) == 1:
                totals.update(online_cancellation(
                    store, record, request.at + dt.timedelta(days=2, hours=3)))
                delivered = deliver_events(store, sent)
                print(f"  outbox: {delivered[vaxalloc.EventKind.CODE_ISSUED]:,} code SMS, "
                      f"{delivered[vaxalloc.EventKind.SERIES_CANCELLED]:,} cancellation sent")
                totals.update(booked=release_day(store, release, rng))
                delivered = deliver_events(store, sent)
                print(f"  outbox: {delivered[vaxalloc.EventKind.SERIES_BOOKED]:,} booking "
                      f"confirmations sent")
                if next_draw is not None:
                    print()
            if (not attended and request.at < evening(attendance_on)
                    and (next_draw is None or evening(attendance_on) < next_draw)):
                attended = True
                attendance, standby = attendance_day(store, attendance_on, rng,
                                                     args.no_show_permille)
                totals.update(booked=standby)
                delivered = deliver_events(store, sent)
                print(f"  outbox: {delivered[vaxalloc.EventKind.SERIES_BOOKED]:,} standby "
                      f"confirmations sent")
                if next_draw is not None:
                    print()

        report = store.summarize()
        check = store.check_invariants()
        print(f"\nAfter {report.draws} draws ({time.monotonic() - started:.1f} s):")
        print(f"  registrants {report.registrants:,}: scheduled {report.scheduled:,}, "
              f"waiting {report.waiting:,}, withdrawn {report.withdrawn:,}, "
              f"vaccinated {report.vaccinated:,}")
        print(f"  series active {report.series_active:,}, cancelled {report.series_cancelled:,} "
              f"(exchange: {totals['cancelled']:,} cancelled, {totals['withdrawn']:,} withdrew), "
              f"ended by a missed first dose {report.series_missed:,}")
        print(f"  doses recorded: {report.doses_given:,} given, {report.doses_missed:,} missed")
        waiting = ", ".join(f"T{i + 1} {n:,}" for i, n in enumerate(report.waiting_per_tier) if n)
        print(f"  still waiting by tier: {waiting or 'nobody'}")
        print("\n  center                               active  free 1st  doses in / reserved"
              "  waiting")
        for center in sorted(report.centers, key=lambda c: -c.series_active)[:10]:
            name = store.get_center(center.center).name
            print(f"  {name[:34]:<34} {center.series_active:>8,} {center.seats_first_free:>9,} "
                  f"{center.doses_delivered:>9,} / {center.doses_reserved:<9,}"
                  f"{center.residents_waiting:>8,}")
        print(f"  ... {len(report.centers)} centers in all")
        # One event per change, each sent once: every series assigned and
        # every cancellation (a withdrawal also cancels the series) told.
        outbox_ok = (sent[vaxalloc.EventKind.SERIES_ASSIGNED] == totals["assigned"]
                     and sent[vaxalloc.EventKind.SERIES_BOOKED] == totals["booked"]
                     and sent[vaxalloc.EventKind.CODE_ISSUED] == totals["codes"]
                     and sent[vaxalloc.EventKind.SERIES_CANCELLED]
                     == totals["cancelled"] + totals["withdrawn"]
                     and sent[vaxalloc.EventKind.REGISTRANT_WITHDRAWN] == totals["withdrawn"]
                     and store.pending_events() == [])
        print(f"  outbox: {sum(sent.values()):,} events sent and acknowledged, "
              f"one per change: {outbox_ok}")
        print(f"\n  invariants: {check}")
        attendance_ok = attendance is None or (
            report.doses_given == attendance.given and report.doses_missed == attendance.missed)
        ok = (check.ok and outbox_ok and attendance_ok
              and (not records or audit(store, records[0])))

    # Nothing is lost: the file holds the same campaign.
    with vaxalloc.Store.open(args.db, create_if_missing=False) as again:
        same = again.summarize() == report
        print(f"  reopened {args.db}: same campaign: {same}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
