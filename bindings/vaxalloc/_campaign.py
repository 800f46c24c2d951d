"""Engine (a campaign in memory) and Store (a campaign in a SQLite file).

Both have the same methods; a Store commits every mutation as one SQLite
transaction before it changes memory. They are thin: every rule (validation,
ids, the draw, the invariants) is the C++ core's, and its errors arrive as
vaxalloc.Error subclasses with the core's message.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from typing import Any, Iterable, Mapping, Sequence

from . import _convert as cv
from . import _core
from ._types import (
    BookingMode,
    BookingRequest,
    CapacityBlock,
    Center,
    CenterSpec,
    Channel,
    CodeOutcome,
    CodePurpose,
    DayAttendance,
    District,
    DrawCommitment,
    DrawFairness,
    DrawRecord,
    DrawRequest,
    DrawSeed,
    DoseOutcome,
    Durability,
    Event,
    InvariantReport,
    IssuedCode,
    JournalCheck,
    JournalEntry,
    Policy,
    PriorityGroup,
    Registrant,
    RegistrantSpec,
    Release,
    ReleaseSpec,
    Report,
    ReserveCategory,
    ResidenceRule,
    SecondDoseShortfall,
    Series,
    Slot,
    SupplyDelivery,
    TierRule,
    Vaccine,
    VaccineSpec,
    VerificationCode,
    WaitForecast,
    Weekday,
    _coerce_enum,
)
from ._args import name_methods
from ._errors import ArgumentTypeError, Error

__all__ = ["Engine", "Store"]

Seed = int | tuple[int, int] | str | DrawSeed


def _default(cls: type, name: str) -> Any:
    """The default of a dataclass field (slots hide it from the class)."""
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _any_field_given(cls: type, **values: Any) -> bool:
    """Whether a call passed any of a record's fields as keywords: a value
    other than the field's default (None for the required ones)."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for name, value in values.items():
        default = defaults[name]
        if default is dataclasses.MISSING:
            if value is not None:
                return True
        elif value != default:
            return True
    return False


def _require(needs: str, **fields: Any) -> None:
    """Refuses a record's required field left out of its keyword form
    (`needs` lists them all, as the message says)."""
    for name, value in fields.items():
        if value is None:
            raise ArgumentTypeError(f"needs {needs} ({name} is missing)", argument=name)


class _Campaign:
    """The methods Engine and Store share. Not instantiated directly."""

    __slots__ = ("_impl",)
    _impl: Any

    # --- Setup -------------------------------------------------------------

    def add_district(self, *, code: str, name: str) -> int:
        """Adds a district (e.g. code "06412", name "Frankfurt am Main");
        returns its id. AlreadyExistsError if the code is taken."""
        return self._impl.add_district(code=cv.to_str(code, "district code"),
                                       name=cv.to_str(name, "district name"))

    def add_vaccine(
        self,
        *,
        code: str,
        name: str,
        dose_count: int = 2,
        interval_days_min: int = 21,
        interval_days_target: int = 21,
        interval_days_max: int = 42,
        age_years_min: int = 0,
        age_years_max: int = 0,
    ) -> int:
        """Adds a vaccine; returns its id. The second appointment is placed as
        close to interval_days_target as capacity allows, within [min, max];
        the intervals are ignored for dose_count=1. Age bounds apply on the
        day of the first dose (0 = no bound; age_years_max is inclusive)."""
        spec = VaccineSpec(code=code, name=name, dose_count=dose_count,
                           interval_days_min=interval_days_min,
                           interval_days_target=interval_days_target,
                           interval_days_max=interval_days_max,
                           age_years_min=age_years_min, age_years_max=age_years_max)
        return self._impl.add_vaccine(**cv.vaccine_args(spec))

    def add_center(self, *, code: str, name: str, districts: Sequence[int]) -> int:
        """Adds a center serving the residents of `districts` (ids); returns its id."""
        spec = CenterSpec(code=code, name=name, districts=cv.to_ints(districts, "center districts"))
        return self._impl.add_center(**cv.center_args(spec))

    def add_capacity(
        self,
        *,
        center: int,
        vaccine: int,
        first_day: datetime.date,
        last_day: datetime.date,
        weekdays: int = Weekday.EVERY_DAY,
        open_minute: int = 8 * 60,
        close_minute: int = 20 * 60,
        slot_minutes: int = 15,
        seats_first: int = 0,
        seats_second: int = 0,
    ) -> None:
        """Opens slots: on each of `weekdays` (Weekday flags) in [first_day,
        last_day], one slot every slot_minutes from open_minute to close_minute
        (minutes after local midnight), each with seats_first first-dose and
        seats_second second-dose seats of `vaccine`. Overlapping blocks add
        their seats."""
        block = CapacityBlock(center=center, vaccine=vaccine, first_day=first_day,
                              last_day=last_day, weekdays=weekdays, open_minute=open_minute,
                              close_minute=close_minute, slot_minutes=slot_minutes,
                              seats_first=seats_first, seats_second=seats_second)
        self._impl.add_capacity(**cv.capacity_args(block))

    def add_supply(self, *, center: int, vaccine: int, day: datetime.date, doses: int) -> None:
        """Records `doses` of `vaccine` promised to `center`, usable from `day` on."""
        delivery = SupplyDelivery(center=center, vaccine=vaccine, day=day, doses=doses)
        self._impl.add_supply(**cv.supply_args(delivery))

    def set_policy(
        self,
        policy: Policy | None = None,
        *,
        tier_rules: Iterable[TierRule] = (),
        reserves: Iterable[ReserveCategory] = (),
        residence: ResidenceRule = ResidenceRule.HOME_DISTRICT_ONLY,
        neighbours: Iterable[tuple[int, int]] = (),
        time_zone: str = _default(Policy, "time_zone"),
        hold: datetime.timedelta | float = _default(Policy, "hold"),
        short_notice_days: int = _default(Policy, "short_notice_days"),
        standby_hold: datetime.timedelta | float = _default(Policy, "standby_hold"),
        code_digits: int = _default(Policy, "code_digits"),
        code_lifetime: datetime.timedelta | float = _default(Policy, "code_lifetime"),
        code_attempts: int = _default(Policy, "code_attempts"),
        draw_lead_days_online: int = _default(Policy, "draw_lead_days_online"),
        draw_lead_days_phone: int = _default(Policy, "draw_lead_days_phone"),
        overbook_permille: int = _default(Policy, "overbook_permille"),
    ) -> int:
        """Replaces the policy for every draw, booking and code from now on;
        returns its version (the default policy is version 1). Pass a
        Policy, or its fields as keywords -- not both. time_zone (an IANA
        name such as "Europe/Berlin"), hold, short_notice_days and
        standby_hold govern self-booking; code_digits, code_lifetime and
        code_attempts the one-time codes; draw_lead_days_online and
        draw_lead_days_phone the notice a draw gives, overbook_permille the
        appointments a slot takes beyond its seats (see Policy)."""
        if policy is None:
            policy = Policy(tier_rules=tier_rules, reserves=reserves,
                            residence=residence, neighbours=neighbours,
                            time_zone=time_zone, hold=hold, short_notice_days=short_notice_days,
                            standby_hold=standby_hold, code_digits=code_digits,
                            code_lifetime=code_lifetime, code_attempts=code_attempts,
                            draw_lead_days_online=draw_lead_days_online,
                            draw_lead_days_phone=draw_lead_days_phone,
                            overbook_permille=overbook_permille)
        elif not isinstance(policy, Policy):
            raise cv.wrong_type("policy", "a Policy", policy)
        elif (tier_rules or reserves or neighbours
              or _any_field_given(Policy, residence=residence, time_zone=time_zone, hold=hold,
                                  short_notice_days=short_notice_days,
                                  standby_hold=standby_hold, code_digits=code_digits,
                                  code_lifetime=code_lifetime, code_attempts=code_attempts,
                                  draw_lead_days_online=draw_lead_days_online,
                                  draw_lead_days_phone=draw_lead_days_phone,
                                  overbook_permille=overbook_permille)):
            raise ArgumentTypeError("takes a Policy or keyword fields, not both",
                                    argument="policy")
        return self._impl.set_policy(**cv.policy_args(policy))

    def add_release(
        self,
        spec: ReleaseSpec | None = None,
        *,
        center: int | None = None,
        vaccine: int = _default(ReleaseSpec, "vaccine"),
        first_day: datetime.date | None = None,
        last_day: datetime.date | None = None,
        release_at: datetime.datetime | None = None,
        first_dose_cap: int = _default(ReleaseSpec, "first_dose_cap"),
    ) -> int:
        """Holds the first-dose seats of `center` on [first_day, last_day]
        back from draws and opens them for self-booking (first come, first
        served) at release_at; returns the release id. vaccine 0: every
        vaccine of the center; first_dose_cap: the most series it gives out
        (0: the seats decide). Releases of one center must not overlap
        (AlreadyExistsError). Pass a ReleaseSpec or its fields as keywords."""
        if spec is None:
            _require("center, first_day, last_day and release_at", center=center,
                     first_day=first_day, last_day=last_day, release_at=release_at)
            spec = ReleaseSpec(center=center, vaccine=vaccine, first_day=first_day,
                               last_day=last_day, release_at=release_at,
                               first_dose_cap=first_dose_cap)
        elif not isinstance(spec, ReleaseSpec):
            raise cv.wrong_type("spec", "a ReleaseSpec", spec)
        elif _any_field_given(ReleaseSpec, center=center, vaccine=vaccine, first_day=first_day,
                              last_day=last_day, release_at=release_at,
                              first_dose_cap=first_dose_cap):
            raise ArgumentTypeError("takes a ReleaseSpec or keyword fields, not both",
                                    argument="spec")
        return self._impl.add_release(**cv.release_args(spec))

    # --- Registrants and allocation -------------------------------------------

    def register(
        self,
        *,
        external_ref: str,
        district: int,
        birth_day: datetime.date,
        registered_at: datetime.datetime,
        group: PriorityGroup = PriorityGroup.NONE,
        channel: Channel = Channel.ONLINE,
        vaccine_preference: int = 0,
        standby: bool = _default(RegistrantSpec, "standby"),
    ) -> int:
        """Puts one person on the waiting list; returns the registrant id.
        external_ref is the host's unique key for the person (it decides the
        lottery number); vaccine_preference 0 means any vaccine; standby:
        the person can come at short notice and is on the standby list. For
        many people use register_batch."""
        spec = RegistrantSpec(external_ref=external_ref, district=district, birth_day=birth_day,
                              registered_at=registered_at, group=group, channel=channel,
                              vaccine_preference=vaccine_preference, standby=standby)
        return self._impl.register(**cv.registrant_args(spec))

    def register_batch(
        self,
        registrants: Iterable[RegistrantSpec | Mapping[str, Any]] | None = None,
        *,
        external_ref: Sequence[str] | None = None,
        district: Sequence[int] | int | None = None,
        birth_day: Sequence[datetime.date] | datetime.date | None = None,
        registered_at: Sequence[datetime.datetime] | datetime.datetime | None = None,
        group: Sequence[PriorityGroup] | PriorityGroup | None = None,
        channel: Sequence[Channel] | Channel | None = None,
        vaccine_preference: Sequence[int] | int | None = None,
        standby: Sequence[bool] | bool | None = None,
    ) -> list[int]:
        """Registers many people in one call (and, for a Store, one
        transaction); all or nothing: one bad entry, named in the error,
        registers nobody. Returns the ids in input order.

        Either pass `registrants`, a sequence of RegistrantSpec values or dicts
        with its field names, or parallel columns as keywords: external_ref,
        district, birth_day and registered_at are required; any column may be
        a single value for everyone (group, channel, vaccine_preference and
        standby default to NONE, ONLINE, 0 and False). The GIL is released
        while the core registers."""
        columns = {"external_ref": external_ref, "district": district, "birth_day": birth_day,
                   "registered_at": registered_at, "group": group, "channel": channel,
                   "vaccine_preference": vaccine_preference, "standby": standby}
        if registrants is not None:
            if any(value is not None for value in columns.values()):
                raise ArgumentTypeError("takes registrants or columns, not both",
                                        argument="registrants")
            if isinstance(registrants, (RegistrantSpec, Mapping)):
                raise cv.wrong_type("registrants", "a sequence of registrants", registrants,
                                    "; use register() for one")
            columns = cv.registrant_columns(registrants)
        else:
            missing = [name for name in ("external_ref", "district", "birth_day",
                                         "registered_at") if columns[name] is None]
            if missing:
                raise ArgumentTypeError(f"missing column(s) {', '.join(missing)}",
                                        argument=missing[0])
        return self._impl.register_batch(**cv.register_batch_args(**columns))

    def draw(
        self,
        request: DrawRequest | None = None,
        *,
        seed: Seed | None = None,
        at: datetime.datetime | None = None,
        first_dose_from: datetime.date | None = None,
        first_dose_until: datetime.date | None = None,
        centers: Sequence[int] = (),
        series_limit: int = 0,
    ) -> DrawRecord:
        """Runs a waitlist draw (docs/draw.md) and returns its record.

        People waiting by `at` take part, better tiers first, in lottery order
        inside a tier; first doses fall in [first_dose_from, first_dose_until].
        seed: an int (k0 = low 64 bits, k1 = high 64 bits), a (k0, k1) tuple, a
        DrawSeed or its 32-hex-digit text; a seed can be used once per
        campaign (AlreadyExistsError). centers: ids, empty = every center;
        series_limit 0 = as many as capacity allows. Pass a DrawRequest or
        the fields as keywords. The GIL is released during the draw."""
        if request is None:
            _require("seed, at, first_dose_from and first_dose_until", seed=seed, at=at,
                     first_dose_from=first_dose_from, first_dose_until=first_dose_until)
            request = DrawRequest(seed=seed, at=at, first_dose_from=first_dose_from,
                                  first_dose_until=first_dose_until, centers=centers,
                                  series_limit=series_limit)
        elif not isinstance(request, DrawRequest):
            raise cv.wrong_type("request", "a DrawRequest", request)
        elif (any(value is not None for value in (seed, at, first_dose_from, first_dose_until))
              or centers or series_limit):
            raise ArgumentTypeError("takes a DrawRequest or keyword fields, not both",
                                    argument="request")
        return cv.draw_record_from(self._impl.draw(**cv.draw_args(request)))

    def commit_draw(
        self,
        *,
        at: datetime.datetime,
        first_dose_from: datetime.date,
        first_dose_until: datetime.date,
        beacon: str,
        centers: Sequence[int] = (),
        series_limit: int = 0,
    ) -> DrawCommitment:
        """Commits a draw before its seed exists (docs/draw.md section 9): the
        request as for draw() without a seed, and `beacon` naming public
        randomness that does not exist yet (e.g. "drand quicknet round
        13371337"). Every input the draw will read is frozen; publish the
        returned commitment_hex now, then call reveal_draw with the beacon's
        value once it is out. One commitment may be pending at a time, and
        no plain draw runs meanwhile. The GIL is released."""
        return cv.draw_commitment_from(self._impl.commit_draw(
            at=cv.to_micros(at, "draw at"),
            first_dose_from=cv.to_ordinal(first_dose_from, "draw first_dose_from"),
            first_dose_until=cv.to_ordinal(first_dose_until, "draw first_dose_until"),
            centers=cv.to_ints(centers, "draw centers"),
            series_limit=cv.to_int(series_limit, "draw series_limit"),
            beacon=cv.to_str(beacon, "beacon")))

    def reveal_draw(self, commitment: int, beacon_value: bytes, *,
                    at: datetime.datetime) -> DrawRecord:
        """Runs committed draw `commitment` with the seed SHA-256(commitment ||
        beacon_value) gives (the beacon's published bytes, e.g.
        bytes.fromhex(drand_randomness)), at the committed instant; `at` is
        when it is revealed. Refused (FailedPreconditionError naming the
        section) if any input changed since the commitment: abandon it and
        commit anew. The GIL is released."""
        return cv.draw_record_from(self._impl.reveal_draw(
            cv.to_int(commitment, "draw commitment id"),
            cv.to_bytes(beacon_value, "beacon_value"), at=cv.to_micros(at, "at")))

    def abandon_draw(self, commitment: int, reason: str, *, at: datetime.datetime) -> None:
        """Closes a pending commitment unrevealed, saying why; it stays on
        record (and in a Store's journal) like every commitment."""
        self._impl.abandon_draw(cv.to_int(commitment, "draw commitment id"),
                                cv.to_str(reason, "reason"), at=cv.to_micros(at, "at"))

    def get_draw_commitment(self, id: int) -> DrawCommitment:
        return cv.draw_commitment_from(
            self._impl.get_draw_commitment(cv.to_int(id, "draw commitment id")))

    def draw_bundle(self, commitment: int) -> bytes:
        """A revealed draw's audit bundle (docs/draw.md section 11): the file
        anyone re-runs with `python3 -m vaxalloc.verify`."""
        return self._impl.draw_bundle(cv.to_int(commitment, "draw commitment id"))

    def draw_fairness(self, commitment: int, buckets: int = 10) -> DrawFairness:
        """The chi-square check of docs/draw.md section 13 on a revealed
        committed draw: per tier, winners against up to `buckets`
        registration-time buckets. A p_value near 0 says registration time
        mattered (or, read with care, something correlated with it: age or
        district rules can be). vaxalloc.verify.fairness computes the same
        from the bundle alone."""
        return cv.draw_fairness_from(self._impl.draw_fairness(
            cv.to_int(commitment, "draw commitment id"), cv.to_int(buckets, "buckets")))

    def draw_inputs(self, commitment: int) -> bytes:
        """The canonical inputs a commitment froze (docs/draw.md section 10);
        their SHA-256 is the commitment."""
        return self._impl.draw_inputs(cv.to_int(commitment, "draw commitment id"))

    def cancel_series(self, series: int, *, at: datetime.datetime) -> None:
        """Cancels an active series at `at`: its seats and doses return and its
        registrant waits again from `at`. Once the first dose was given, only
        the second appointment returns and the registrant is withdrawn (the
        series is finished elsewhere; a new one would repeat the first dose)."""
        self._impl.cancel_series(cv.to_int(series, "series id"), at=cv.to_micros(at, "at"))

    def withdraw(self, registrant: int, *, at: datetime.datetime) -> None:
        """The registrant leaves the campaign at `at`; an active series is
        cancelled and a pending hold lapses."""
        self._impl.withdraw(cv.to_int(registrant, "registrant id"), at=cv.to_micros(at, "at"))

    def delete_registration(self, registrant: int, *, at: datetime.datetime) -> None:
        """Deletes the registration at the person's request (e.g. vaccinated
        elsewhere): first withdraws the registrant at `at` if not yet
        withdrawn (as withdraw: an active series is cancelled, a hold lapses;
        a Store writes SERIES_CANCELLED and REGISTRANT_WITHDRAWN), then erases
        what names the person, for good: external_ref becomes "" and
        birth_day 1970-01-01, Registrant.erased True. The reference is free
        for a new registration at once (find_registrant no longer finds it).
        A registrant who withdrew before is only erased (no event).
        FailedPreconditionError if the registration is already deleted."""
        self._impl.delete_registration(cv.to_int(registrant, "registrant id"),
                                       at=cv.to_micros(at, "at"))

    # --- Self-booking and attendance ---------------------------------------------

    def book(
        self,
        request: BookingRequest | None = None,
        *,
        registrant: int | None = None,
        at: datetime.datetime | None = None,
        mode: BookingMode = _default(BookingRequest, "mode"),
        center: int = _default(BookingRequest, "center"),
        vaccine: int = _default(BookingRequest, "vaccine"),
        first_dose_from: datetime.date | None = None,
        first_dose_until: datetime.date | None = None,
        confirm: bool = _default(BookingRequest, "confirm"),
    ) -> Series:
        """Self-booking: proposes the earliest fitting series for `registrant`
        and returns it, HELD until at + Policy.hold (confirm_hold or
        decline_hold it), or ACTIVE at once with confirm=True.

        mode RELEASE takes a first dose inside a release opened by `at`;
        SHORT_NOTICE one within Policy.short_notice_days, for online
        registrants only (FailedPreconditionError for phone registrants,
        whose confirmation letter would arrive too late); a scheduled person
        may swap for an earlier first dose (Series.replaces; confirming
        cancels the old series). STANDBY takes any seat left today, also in
        a slot that has begun, for a waiting registrant on the standby list
        (see standby_list), held for Policy.standby_hold. center/vaccine 0:
        any the person may use; first_dose_from/until (dates, None: no
        bound) narrow the first-dose day. Holds due by `at` lapse first.
        CapacityExhaustedError when nothing fits (or the open releases
        reached their caps). Pass a BookingRequest or its fields as
        keywords. The GIL is released."""
        if request is None:
            _require("registrant and at", registrant=registrant, at=at)
            request = BookingRequest(registrant=registrant, at=at, mode=mode, center=center,
                                     vaccine=vaccine, first_dose_from=first_dose_from,
                                     first_dose_until=first_dose_until, confirm=confirm)
        elif not isinstance(request, BookingRequest):
            raise cv.wrong_type("request", "a BookingRequest", request)
        elif _any_field_given(BookingRequest, registrant=registrant, at=at, mode=mode,
                              center=center, vaccine=vaccine, first_dose_from=first_dose_from,
                              first_dose_until=first_dose_until, confirm=confirm):
            raise ArgumentTypeError("takes a BookingRequest or keyword fields, not both",
                                    argument="request")
        return cv.series_from(self._impl.book(**cv.booking_args(request)))

    def confirm_hold(self, hold: int, *, at: datetime.datetime) -> Series:
        """Confirms a HELD series before it lapses; returns it ACTIVE (the
        registrant is scheduled; for a short-notice swap the old series is
        cancelled). The GIL is released."""
        return cv.series_from(self._impl.confirm_hold(cv.to_int(hold, "hold series id"),
                                                      at=cv.to_micros(at, "at")))

    def decline_hold(self, hold: int, *, at: datetime.datetime) -> None:
        """Lets a HELD series lapse now: its seats and doses return. The GIL
        is released."""
        self._impl.decline_hold(cv.to_int(hold, "hold series id"), at=cv.to_micros(at, "at"))

    def expire_holds(self, *, at: datetime.datetime) -> int:
        """Lets every hold due by `at` lapse (call it now and then; book does
        it too); returns how many did. The GIL is released."""
        return self._impl.expire_holds(at=cv.to_micros(at, "at"))

    def record_dose(
        self, series: int, *, dose: int, outcome: DoseOutcome, at: datetime.datetime
    ) -> Series:
        """Records that dose 1 or 2 of an ACTIVE series was GIVEN or MISSED
        (its appointment must have begun by `at`); returns the series. The
        last dose given completes it (the registrant is VACCINATED); a missed
        first dose ends it (MISSED; the person waits again); a missed second
        keeps it ACTIVE for rebook_second_dose or cancel_series. The GIL is
        released."""
        outcome = _coerce_enum(DoseOutcome, outcome, "outcome")
        return cv.series_from(self._impl.record_dose(
            cv.to_int(series, "series id"), dose=cv.to_int(dose, "dose"), outcome=int(outcome),
            at=cv.to_micros(at, "at")))

    def rebook_second_dose(self, series: int, *, at: datetime.datetime) -> Series:
        """Gives a series whose second dose was missed a new second
        appointment: the earliest free seat from `at` on that still lies
        within the vaccine's interval (CapacityExhaustedError if none).
        Returns the series. The GIL is released."""
        return cv.series_from(self._impl.rebook_second_dose(cv.to_int(series, "series id"),
                                                            at=cv.to_micros(at, "at")))

    def standby_list(self, center: int, *, at: datetime.datetime, limit: int) -> list[int]:
        """The registrants `center` may call now to use doses left at the end
        of a day, best first: waiting, on the standby list (registered with
        standby=True), registered by `at`, living where the center serves,
        not holding a proposal; by tier, then by how long they have waited,
        then by external reference. At most `limit` ids. Offer a seat with
        book(mode=BookingMode.STANDBY). The GIL is released."""
        return self._impl.standby_list(cv.to_int(center, "center id"), at=cv.to_micros(at, "at"),
                                       limit=cv.to_int(limit, "limit"))

    # --- One-time codes ------------------------------------------------------

    def issue_code(
        self,
        registrant: int,
        *,
        purpose: CodePurpose,
        series: int | None = None,
        at: datetime.datetime,
    ) -> IssuedCode:
        """Creates a one-time code confirming an online cancellation
        (purpose CANCEL_SERIES, `series`: the registrant's ACTIVE series) or
        the deletion of the registration (WITHDRAW, no series; see
        delete_registration). Returns IssuedCode: the digits to
        send (Policy.code_digits of them) and the stored record, which keeps
        only their salted hash. A Store also writes a CODE_ISSUED event with
        the digits to its outbox, in the same transaction. The code can be
        used until at + Policy.code_lifetime; an earlier pending code of the
        same registrant and purpose is SUPERSEDED. The GIL is released."""
        purpose = _coerce_enum(CodePurpose, purpose, "code purpose")
        return cv.issued_code_from(self._impl.issue_code(
            cv.to_int(registrant, "registrant id"), purpose=int(purpose),
            series=0 if series is None else cv.to_int(series, "series id"),
            at=cv.to_micros(at, "at")))

    def verify_code(self, code_id: int, code: str, *, at: datetime.datetime) -> None:
        """Checks the digits a person entered (`code`, a str) for code_id. Accepted:
        the cancellation or the deletion of the registration (as
        delete_registration) is done (with its events) and None is returned. Otherwise raises, with error.outcome a CodeOutcome:

        - VerificationFailedError: WRONG ("code 3 is wrong; 2 attempt(s)
          left"; the attempt is counted, and for a Store committed, before
          the error; the last allowed one locks the code), EXPIRED, LOCKED;
        - FailedPreconditionError: NOT_PENDING (used, or superseded by a
          newer code).

        Errors that never got to check the code carry outcome None: an
        unknown id (NotFoundError), an entry that is not 1..CODE_DIGITS_MAX
        digits (InvalidArgumentError, not counted), a right code whose action
        the campaign no longer allows (e.g. FailedPreconditionError). The
        GIL is released."""
        # A str, not an int: leading zeros are part of the code.
        entered = cv.to_str(code, "code")
        try:
            self._impl.verify_code(cv.to_int(code_id, "code id"), entered=entered,
                                   at=cv.to_micros(at, "at"))
        except Error as error:
            outcome = getattr(error, "outcome", None)
            if outcome is not None:
                error.outcome = CodeOutcome(outcome)
            raise

    def get_code(self, id: int) -> VerificationCode:
        """A code's stored record (never its digits)."""
        return cv.code_from(self._impl.get_code(cv.to_int(id, "code id")))

    # --- Queries ---------------------------------------------------------------

    def _count(self, name: str) -> int:
        return self._impl.counts()[name]

    @property
    def district_count(self) -> int:
        return self._count("districts")

    @property
    def vaccine_count(self) -> int:
        return self._count("vaccines")

    @property
    def center_count(self) -> int:
        return self._count("centers")

    @property
    def registrant_count(self) -> int:
        return self._count("registrants")

    @property
    def series_count(self) -> int:
        return self._count("series")

    @property
    def draw_count(self) -> int:
        return self._count("draws")

    @property
    def draw_commitment_count(self) -> int:
        return self._count("draw_commitments")

    @property
    def release_count(self) -> int:
        return self._count("releases")

    @property
    def hold_count(self) -> int:
        """Series HELD now (proposed, neither confirmed nor lapsed)."""
        return self._count("holds")

    @property
    def code_count(self) -> int:
        """One-time codes ever issued (every state)."""
        return self._count("codes")

    @property
    def revision(self) -> int:
        """Incremented by every change (and by every record loaded by a Store)."""
        return self._count("revision")

    @property
    def latest_change(self) -> datetime.datetime | None:
        """The latest instant any change was stamped with (cancellations,
        withdrawals, booking flows, attendance, codes, draws; not
        registrations); None before the first. A draw may not be stamped
        before it (FailedPreconditionError)."""
        return cv.from_optional_micros(self._impl.latest_change())

    @property
    def policy_version(self) -> int:
        """The version of the current policy (1: the default one)."""
        return self._count("policy_version")

    @property
    def policy(self) -> Policy:
        """The current policy."""
        return cv.policy_from(self._impl.policy())

    @property
    def capacity_blocks(self) -> list[CapacityBlock]:
        """The capacity blocks as added, in order."""
        return [cv.capacity_from(d) for d in self._impl.capacity_blocks()]

    @property
    def deliveries(self) -> list[SupplyDelivery]:
        """The supply deliveries as added, in order."""
        return [cv.supply_from(d) for d in self._impl.deliveries()]

    def get_district(self, id: int) -> District:
        return cv.district_from(self._impl.get_district(cv.to_int(id, "district id")))

    def get_vaccine(self, id: int) -> Vaccine:
        return cv.vaccine_from(self._impl.get_vaccine(cv.to_int(id, "vaccine id")))

    def get_center(self, id: int) -> Center:
        return cv.center_from(self._impl.get_center(cv.to_int(id, "center id")))

    def get_registrant(self, id: int) -> Registrant:
        return cv.registrant_from(self._impl.get_registrants([cv.to_int(id, "registrant id")])[0])

    def get_registrant_batch(self, ids: Iterable[int]) -> list[Registrant]:
        """Registrants by id, in the order given (one call for many)."""
        return [cv.registrant_from(d)
                for d in self._impl.get_registrants(cv.to_ints(ids, "registrant ids"))]

    def get_series(self, id: int) -> Series:
        return cv.series_from(self._impl.get_series([cv.to_int(id, "series id")])[0])

    def get_series_batch(self, ids: Iterable[int]) -> list[Series]:
        """Series by id, in the order given (one call for many, e.g. a draw's)."""
        return [cv.series_from(d) for d in self._impl.get_series(cv.to_ints(ids, "series ids"))]

    def get_draw(self, id: int) -> DrawRecord:
        return cv.draw_record_from(self._impl.get_draw(cv.to_int(id, "draw id")))

    def get_release(self, id: int) -> Release:
        return cv.release_from(self._impl.get_release(cv.to_int(id, "release id")))

    def find_district(self, code: str) -> int:
        """The id of the district with this code (NotFoundError if none)."""
        return self._impl.find_district(cv.to_str(code, "district code"))

    def find_vaccine(self, code: str) -> int:
        return self._impl.find_vaccine(cv.to_str(code, "vaccine code"))

    def find_center(self, code: str) -> int:
        return self._impl.find_center(cv.to_str(code, "center code"))

    def find_registrant(self, external_ref: str) -> int:
        """The id of the registrant with this external reference
        (NotFoundError for a reference a deleted registration had)."""
        return self._impl.find_registrants([cv.to_str(external_ref, "external_ref")])[0]

    def find_registrant_batch(self, external_refs: Iterable[str]) -> list[int]:
        return self._impl.find_registrants(cv.to_strs(external_refs, "external_refs"))

    def get_policy(self, version: int) -> Policy:
        """The policy of a version (every version ever set is kept)."""
        return cv.policy_from(self._impl.get_policy(cv.to_int(version, "policy version")))

    def tier_of(self, registrant: int, *, policy_version: int = 0) -> int:
        """The registrant's tier under a policy version (0: the current one)."""
        return self._impl.tier_of(cv.to_int(registrant, "registrant id"),
                                  policy_version=cv.to_int(policy_version, "policy_version"))

    def slots(self, *, center: int, vaccine: int, day: datetime.date) -> list[Slot]:
        """The slots of a center's vaccine on a day, by start minute, with
        their seats, the appointments each takes (bookable_first/_second:
        seats plus the policy's overbooking) and those booked."""
        return [cv.slot_from(d) for d in self._impl.slots(
            center=cv.to_int(center, "center"), vaccine=cv.to_int(vaccine, "vaccine"),
            day=cv.to_ordinal(day, "day"))]

    def doses_available_from(self, *, center: int, vaccine: int, day: datetime.date) -> int:
        """Doses not yet reserved that appointments on `day` could still use."""
        return self._impl.doses_available_from(
            center=cv.to_int(center, "center"), vaccine=cv.to_int(vaccine, "vaccine"),
            day=cv.to_ordinal(day, "day"))

    def check_second_dose_capacity(self) -> list[SecondDoseShortfall]:
        """First-dose days whose seats cannot all be paired with a second dose."""
        return [cv.shortfall_from(d) for d in self._impl.check_second_dose_capacity()]

    def attendance(
        self, center: int, *, first_day: datetime.date, last_day: datetime.date
    ) -> list[DayAttendance]:
        """Appointments still booked, doses given and no-shows of `center`
        (all vaccines), per day, for every day in [first_day, last_day] on
        which it had an appointment. The GIL is released while counting."""
        return [cv.attendance_from(d) for d in self._impl.attendance(
            cv.to_int(center, "center id"), first_day=cv.to_ordinal(first_day, "first_day"),
            last_day=cv.to_ordinal(last_day, "last_day"))]

    def summarize(self) -> Report:
        """Counts of the whole campaign (the GIL is released while counting)."""
        return cv.report_from(self._impl.summarize())

    def forecast_wait(self, *, at: datetime.datetime) -> WaitForecast:
        """When the waiting list could be through, tier by tier, as of `at`: a
        statewide estimate for reporting (docs/booking.md, "Reporting"). Every
        free first-dose seat from today (in the policy's time zone) on, release
        days included, goes to the waiting people in tier order, a center's
        vaccine only as far as its supply covers whole series; tier t is
        through on the first day the seats so far reach everyone waiting in
        tiers 1..t. Residence, vaccine preference and age are ignored. The GIL
        is released while counting."""
        return cv.wait_forecast_from(self._impl.forecast_wait(at=cv.to_micros(at, "at")))

    def check_invariants(self) -> InvariantReport:
        """Recomputes every hard invariant of the campaign from scratch (the
        GIL is released meanwhile); report.ok is True when none is violated."""
        return cv.invariant_report_from(self._impl.check_invariants())


class Engine(_Campaign):
    """A campaign in memory: districts, vaccines, centers, capacity, supply,
    policy, registrants, series and draws, with every rule of the library.

    Nothing is persisted, and there is no outbox (pending_events and
    acknowledge_events are Store's: events are written in the transaction of
    the change they report); use Store for a campaign kept in a file. Methods
    take keyword arguments (ids may be positional), instants as aware
    datetimes, civil days as dates. An Engine may be shared between threads:
    calls are serialized, and long ones release the GIL.
    """

    __slots__ = ()

    def __init__(self) -> None:
        self._impl = _core.Engine()

    def __repr__(self) -> str:
        counts = self._impl.counts()
        return (f"<vaxalloc.Engine districts={counts['districts']} centers={counts['centers']} "
                f"registrants={counts['registrants']} series={counts['series']} "
                f"draws={counts['draws']} releases={counts['releases']}>")


class Store(_Campaign):
    """A campaign kept in one SQLite file, with Engine's methods.

    Every mutation is one transaction: committed to the file first, then
    applied in memory, so a failed call changes neither. Open with
    ``Store.open(path)`` (or ``Store(path)``) and close with ``close()`` or a
    ``with`` block::

        with vaxalloc.Store.open("campaign.sqlite") as store:
            store.add_district(code="06412", name="Frankfurt am Main")

    Using a closed Store raises FailedPreconditionError. BusyError means
    another connection held the write lock longer than busy_timeout.

    Several Stores, in this process or others, may use one file at once:
    every change is an entry of the file's operation journal, and every call
    first applies what other connections committed (see refresh()), so no
    answer is older than the call. read_only=True opens a reporting Store
    that follows the journal and never writes; verify_journal=True walks the
    whole hash chain when opening (else only its last entry is checked).
    """

    __slots__ = ("_path",)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: Durability = Durability.NORMAL,
        busy_timeout: datetime.timedelta | float = datetime.timedelta(seconds=5),
        create_if_missing: bool = True,
        read_only: bool = False,
        verify_journal: bool = False,
    ) -> None:
        """Opens or creates the campaign file at `path` and loads it. A file
        that is not a vaxalloc campaign, is corrupt or comes from a newer
        library is refused and left unchanged. The GIL is released while
        loading."""
        # The OS's bytes (a str encoded as os.open would): a NUL would end
        # the C string SQLite opens, a lone surrogate has no encoding.
        raw_path = cv.to_path(path, "path")
        durability = _coerce_enum(Durability, durability, "durability")
        options = dict(
            durability=int(durability),
            busy_timeout_micros=cv.to_micros_duration(busy_timeout, "busy_timeout"),
            create_if_missing=cv.to_bool(create_if_missing, "create_if_missing"),
            read_only=cv.to_bool(read_only, "read_only"),
            verify_journal=cv.to_bool(verify_journal, "verify_journal"))
        self._path = os.fsdecode(raw_path)
        self._impl = _core.Store.open(raw_path, **options)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        durability: Durability = Durability.NORMAL,
        busy_timeout: datetime.timedelta | float = datetime.timedelta(seconds=5),
        create_if_missing: bool = True,
        read_only: bool = False,
        verify_journal: bool = False,
    ) -> "Store":
        """Opens or creates the campaign file at `path` (see Store)."""
        return cls(path, durability=durability, busy_timeout=busy_timeout,
                   create_if_missing=create_if_missing, read_only=read_only,
                   verify_journal=verify_journal)

    @property
    def path(self) -> str:
        return self._path

    @property
    def closed(self) -> bool:
        return self._impl.closed

    def close(self) -> None:
        """Closes the file; calling it again is harmless."""
        self._impl.close()

    # --- The outbox ------------------------------------------------------------

    def pending_events(self, after_id: int = 0, limit: int = 1000) -> list[Event]:
        """The outbox: events not yet acknowledged with id > after_id, oldest
        first, at most `limit` (1..EVENTS_PER_READ_MAX) -- a page; read the
        next one with after_id = the last id read. Every draw, cancellation
        and withdrawal committed its events in its own transaction (an
        Engine has no outbox). Reading changes nothing; the GIL is released.

        Delivery is at least once: act on the events (send the letters),
        then acknowledge_events(last id). Events read but not acknowledged
        come back, with the same ids, after a crash and reopen: drop
        duplicates by id."""
        return [cv.event_from(d) for d in self._impl.pending_events(
            after_id=cv.to_event_id(after_id, "after_id"), limit=cv.to_int(limit, "limit"))]

    def acknowledge_events(self, through_id: int) -> None:
        """Marks every pending event with id <= through_id as handled: it is
        deleted from the file (one transaction) and never shown again.
        Acknowledging ids already acknowledged, or 0, is harmless; an id
        above every event ever written raises InvalidArgumentError (it cannot
        have been read). BusyError on a lock; FailedPreconditionError on a
        read_only Store. Acknowledging is no change of the campaign: it has
        no journal entry."""
        self._impl.acknowledge_events(cv.to_event_id(through_id, "through_id"))

    def reopen(self) -> None:
        """Closes and opens the file again with the same options (loading it
        whole; refresh() catches up without that)."""
        self._impl.reopen()

    # --- The journal -------------------------------------------------------------

    def refresh(self) -> None:
        """Applies what other connections committed since this Store's last
        call, entry by entry, without reloading. Every call does this first,
        so it is needed only to wait for nothing else; the GIL is released.
        DataLossError when the journal no longer chains to what this Store
        applied (an entry changed or removed)."""
        self._impl.refresh()

    @property
    def journal_seq(self) -> int:
        """The last journal entry this Store includes (after catching up)."""
        return self._impl.journal_seq

    @property
    def read_only(self) -> bool:
        return self._impl.read_only

    def read_journal(self, after_seq: int = 0,
                     limit: int = 1000) -> list[JournalEntry]:
        """Journal entries with seq > after_seq, oldest first, at most `limit`
        (1..JOURNAL_ENTRIES_PER_READ_MAX)."""
        return [JournalEntry(seq=d["seq"], op=d["op"], op_name=d["op_name"],
                             committed_at=cv.from_micros(d["committed_at_us"]),
                             clock=cv.from_optional_micros(d["clock_us"]),
                             args=d["args"], hash=d["hash"])
                for d in self._impl.read_journal(
                    after_seq=cv.to_event_id(after_seq, "after_seq"),
                    limit=cv.to_int(limit, "limit"))]

    def verify_journal(self) -> JournalCheck:
        """Walks the journal's hash chain from its first entry and reports the
        first entry that was changed, removed or moved (JournalCheck.intact
        when none). Raises only for I/O errors; the GIL is released."""
        d = self._impl.verify_journal()
        return JournalCheck(entries=d["entries"], first_bad_seq=d["first_bad_seq"],
                            problem=d["problem"], head=d["head"])

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return f"<vaxalloc.Store {self._path!r} closed>"
        counts = self._impl.counts()
        return (f"<vaxalloc.Store {self._path!r} registrants={counts['registrants']} "
                f"series={counts['series']} draws={counts['draws']}>")


# Every public method names itself in an argument error ("Store.add_district:
# district code ..."), for Engine and Store alike.
for _cls in (_Campaign, Engine, Store):
    name_methods(_cls)
del _cls
