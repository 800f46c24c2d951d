"""Enums and value types of vaxalloc, mirroring include/vaxalloc/types.h.

Every value type is a frozen, keyword-only dataclass: what a host defines
(``VaccineSpec``, ``CapacityBlock``, ``Policy``, ``RegistrantSpec``,
``DrawRequest``, ...) and what the engine reports (``Registrant``,
``Series``, ``DrawRecord``, ``Report``, ...). Instants are timezone-aware
``datetime.datetime`` values (results are in UTC), civil days are
``datetime.date`` values, ids are ints (0 means "none").
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import zoneinfo
from typing import Tuple

from . import _args, _core
from ._errors import InvalidArgumentError

__all__ = [
    "PriorityGroup",
    "Channel",
    "RegistrantStatus",
    "SeriesStatus",
    "DoseState",
    "SeriesOrigin",
    "BookingMode",
    "DoseOutcome",
    "CodePurpose",
    "CodeState",
    "CodeOutcome",
    "ResidenceRule",
    "Durability",
    "EventKind",
    "Invariant",
    "Weekday",
    "VaccineSpec",
    "CenterSpec",
    "CapacityBlock",
    "SupplyDelivery",
    "TierRule",
    "ReserveCategory",
    "Policy",
    "RegistrantSpec",
    "DrawSeed",
    "DrawRequest",
    "ReleaseSpec",
    "BookingRequest",
    "District",
    "Vaccine",
    "Center",
    "Registrant",
    "Appointment",
    "Series",
    "Release",
    "DayAttendance",
    "TierCount",
    "DrawRecord",
    "CommitmentStatus",
    "DrawCommitment",
    "TierFairness",
    "DrawFairness",
    "Slot",
    "SecondDoseShortfall",
    "CenterReport",
    "Report",
    "Violation",
    "InvariantReport",
    "Event",
    "VerificationCode",
    "IssuedCode",
    "ScenarioOptions",
    "ScenarioDistrict",
]

_UINT64_MAX = 2**64 - 1

#: The core's defaults, for the fields added with self-booking, standby and
#: codes: read from the core rather than repeated here (tests/python/test_api.py compares the rest).
_DEFAULTS = _core.defaults()


class _Enum(enum.IntEnum):
    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class PriorityGroup(_Enum):
    """Priority groups of the German vaccination ordinance (1 was 80+)."""

    GROUP1 = 1
    GROUP2 = 2
    GROUP3 = 3
    NONE = 4


class Channel(_Enum):
    """How a person registered; phone registrants are reached by letter."""

    ONLINE = 0
    PHONE = 1


class RegistrantStatus(_Enum):
    """Where a registrant stands."""

    WAITING = 0  #: on the waiting list, no active series
    SCHEDULED = 1  #: holds exactly one active series
    WITHDRAWN = 2  #: left the campaign; keeps no series
    VACCINATED = 3  #: every dose of a series given (Registrant.series names it)


class SeriesStatus(_Enum):
    """Where an appointment series stands; only ACTIVE and HELD reserve seats
    and doses (see Series.doses for each appointment's fate)."""

    ACTIVE = 0  #: appointments reserved; the doses given so far recorded
    CANCELLED = 1  #: ended early; the seats and doses not yet given returned
    HELD = 2  #: proposed to a self-booker and reserved until hold_expires_at
    LAPSED = 3  #: a hold declined or expired; nothing reserved
    COMPLETED = 4  #: every dose given
    MISSED = 5  #: the first dose was missed; the second's seat returned


class DoseState(_Enum):
    """One appointment's fate: its seat and dose are reserved while BOOKED
    and used once GIVEN; MISSED and RELEASED give both back."""

    BOOKED = 0
    GIVEN = 1
    MISSED = 2  #: the person did not come
    RELEASED = 3  #: cancelled, or its hold lapsed


class SeriesOrigin(_Enum):
    """How a series came about."""

    DRAW = 0  #: a waitlist draw (Series.draw)
    RELEASE = 1  #: self-booked in a scheduled release (Series.release)
    SHORT_NOTICE = 2  #: self-booked from the short-notice pool
    STANDBY = 3  #: offered from the standby list (seats left today)


class BookingMode(_Enum):
    """Where a self-booking looks for a first dose."""

    RELEASE = 0  #: a first-dose day inside an opened release
    SHORT_NOTICE = 1  #: a first-dose day within Policy.short_notice_days
    #: today, any seat left (also in a slot that has begun: the person comes
    #: within Policy.standby_hold); standby registrants only
    STANDBY = 2


class DoseOutcome(_Enum):
    """What record_dose() records for an appointment."""

    GIVEN = 1
    MISSED = 2  #: the person did not come


class ResidenceRule(_Enum):
    """Which centers a registrant may be placed in."""

    HOME_DISTRICT_ONLY = 0  #: only a center serving the home district
    HOME_OR_NEIGHBOUR_DISTRICT = 1  #: also centers serving a neighbouring district


class Durability(_Enum):
    """How a Store commits (see store.h)."""

    NORMAL = 0  #: WAL, synchronous=NORMAL: a power loss may drop the last commits
    FULL = 1  #: synchronous=FULL: every commit is on disk when the call returns


class EventKind(_Enum):
    """What an outbox Event tells a host to act on (types.h, EventKind)."""

    SERIES_ASSIGNED = 1  #: a draw gave the registrant a series
    SERIES_CANCELLED = 2  #: the series was cancelled (also by a withdrawal or a swap)
    REGISTRANT_WITHDRAWN = 3  #: the registrant left; personal data may go
    SERIES_BOOKED = 4  #: a self-booking or short-notice swap was confirmed
    SECOND_DOSE_REBOOKED = 5  #: a missed second dose got a new appointment
    CODE_ISSUED = 6  #: send Event.code to the registrant's phone


class CodePurpose(_Enum):
    """What a one-time verification code confirms."""

    CANCEL_SERIES = 1  #: cancel VerificationCode.series
    WITHDRAW = 2  #: delete the registration (Engine.delete_registration), withdrawal included


class CommitmentStatus(_Enum):
    """Where a committed draw stands (docs/draw.md section 9)."""

    PENDING = 0  #: committed; waiting for the beacon's value
    REVEALED = 1  #: the draw ran with the seed commitment and beacon gave
    ABANDONED = 2  #: closed unrevealed; the reason says why


class CodeState(_Enum):
    """Where a one-time code stands."""

    PENDING = 0
    USED = 1  #: verified; its action is done
    LOCKED = 2  #: too many wrong attempts
    SUPERSEDED = 3  #: a newer code for the same registrant and purpose


class CodeOutcome(_Enum):
    """What one verify_code() attempt came to (VerificationFailedError.outcome)."""

    ACCEPTED = 0
    WRONG = 1  #: counted as an attempt
    EXPIRED = 2
    LOCKED = 3  #: no attempts left
    NOT_PENDING = 4  #: used or superseded


class Invariant(_Enum):
    """The hard invariants that check_invariants() verifies."""

    SLOT_CAPACITY = 0
    SECOND_DOSE_RESERVED = 1
    DOSE_SUPPLY = 2
    ONE_ACTIVE_SERIES = 3
    RESIDENCE = 4
    TIER_ORDER = 5
    ELIGIBILITY = 6
    BOOKKEEPING = 7
    SERIES_STATE = 8
    RELEASE_WINDOW = 9
    RELEASE_CAP = 10
    CODES = 11
    DRAW_COMMITMENTS = 12

    @property
    def label(self) -> str:
        """The core's name of the invariant (InvariantName)."""
        return _core.invariant_name(int(self))


class Weekday(enum.IntFlag):
    """Weekday bits of CapacityBlock.weekdays (bit 0 is Monday)."""

    MONDAY = 1 << 0
    TUESDAY = 1 << 1
    WEDNESDAY = 1 << 2
    THURSDAY = 1 << 3
    FRIDAY = 1 << 4
    SATURDAY = 1 << 5
    SUNDAY = 1 << 6
    EVERY_DAY = 0x7F


def _coerce_enum(cls, value, what: str):
    """A member of `cls` from itself or its int value (not a bool, a float or
    a name: an ArgumentTypeError; an int that is none: InvalidArgumentError)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise _args.wrong_type(what, f"a {cls.__name__} or its int value", value)
    try:
        return cls(value)
    except (ValueError, TypeError):
        choices = ", ".join(f"{m.name}={m.value}" for m in cls)
        raise InvalidArgumentError(
            f"{what} {value!r} is not a {cls.__name__} ({choices})", argument=what
        ) from None


def _set(obj, name: str, value) -> None:
    object.__setattr__(obj, name, value)


_record = dataclasses.dataclass(frozen=True, kw_only=True, slots=True)


# ---------------------------------------------------------------------------
# What a host defines


@_record
class VaccineSpec:
    """A vaccine: dose count, interval between doses (days) and age bounds
    (0 = no bound; age_years_max is inclusive)."""

    code: str
    name: str
    dose_count: int = 2
    interval_days_min: int = 21
    interval_days_target: int = 21
    interval_days_max: int = 42
    age_years_min: int = 0
    age_years_max: int = 0


@_record
class CenterSpec:
    """A vaccination center and the district ids whose residents it serves."""

    code: str
    name: str
    districts: Tuple[int, ...]

    def __post_init__(self) -> None:
        _set(self, "districts", _args.to_tuple(self.districts, "center districts"))


@_record
class CapacityBlock:
    """Opening hours of one vaccination line: on each selected weekday in
    [first_day, last_day], slots of slot_minutes from open_minute to
    close_minute (minutes after local midnight), each seating seats_first
    first-dose and seats_second second-dose appointments of one vaccine."""

    center: int
    vaccine: int
    first_day: datetime.date
    last_day: datetime.date
    weekdays: int = Weekday.EVERY_DAY
    open_minute: int = 8 * 60
    close_minute: int = 20 * 60
    slot_minutes: int = 15
    seats_first: int = 0
    seats_second: int = 0

    def __post_init__(self) -> None:
        if (isinstance(self.weekdays, int) and not isinstance(self.weekdays, (Weekday, bool))):
            if 0 <= self.weekdays <= Weekday.EVERY_DAY:
                _set(self, "weekdays", Weekday(self.weekdays))


@_record
class SupplyDelivery:
    """Doses of one vaccine promised to one center, usable from `day` on."""

    center: int
    vaccine: int
    day: datetime.date
    doses: int


@_record
class TierRule:
    """Tier by priority group for registrations made before
    `registered_before` (exclusive; None = no bound). tier_by_group[g - 1] is
    the tier of group g (PriorityGroup.NONE is g = 4)."""

    registered_before: datetime.datetime | None = None
    tier_by_group: Tuple[int, int, int, int] = (1, 2, 3, 4)

    def __post_init__(self) -> None:
        _set(self, "tier_by_group", _args.to_tuple(self.tier_by_group, "tier rule tier_by_group"))


@_record
class ReserveCategory:
    """A share of each pool's new first-dose seats in a draw, held for the
    people it admits. group_mask: bit (g - 1) admits group g, 0 = every
    group; vaccine 0 = every pool; age_years_min 0 = no bound."""

    name: str
    share_permille: int = 0
    age_years_min: int = 0
    group_mask: int = 0
    vaccine: int = 0


@_record
class Policy:
    """Tier rules, reserve categories and the residence rule for draws, and
    the settings of self-booking:

    - time_zone: the IANA name of the zone of the slots' local times (what
      "today" and "a slot has started" mean for an instant); a
      zoneinfo.ZoneInfo is accepted and kept as its name.
    - hold: how long a proposed series stays reserved for the person to
      confirm (a timedelta; a number is seconds), 1 s .. HOLD_MINUTES_MAX.
    - short_notice_days: short-notice first doses lie on today .. today +
      short_notice_days - 1 (local time); 0 turns short-notice booking off.
    - standby_hold: how long a standby offer (BookingMode.STANDBY) stays
      held, 1 s .. HOLD_MINUTES_MAX (a timedelta; a number is seconds).

    and of the one-time codes confirming an online cancellation or
    withdrawal:

    - code_digits: CODE_DIGITS_MIN .. CODE_DIGITS_MAX digits.
    - code_lifetime: how long a code can be used, 1 s ..
      CODE_LIFETIME_MINUTES_MAX (a timedelta; a number is seconds).
    - code_attempts: wrong entries before the code locks, 1 ..
      CODE_ATTEMPTS_MAX.

    and of draws and overbooking:

    - draw_lead_days_online, draw_lead_days_phone: days of notice a draw
      gives, by the registrant's channel: it offers nobody a first dose
      before the draw's local day (in time_zone) + these days, since the
      message must reach the person first (a letter takes days); closer
      seats stay for short-notice booking and standby. 0 ..
      DRAW_LEAD_DAYS_MAX; 0 (the default): no bound.
    - overbook_permille: the slots a capacity block opens on a day take
      its seats plus seats * overbook_permille // 1000 appointments of
      each kind, the extra ones spread over its slots in time order
      (each slot's share: Slot.bookable_first and bookable_second), to
      absorb expected no-shows; doses still bound the appointments. 0 ..
      OVERBOOK_PERMILLE_MAX; 0 (the default): none.
    """

    tier_rules: Tuple[TierRule, ...] = ()
    reserves: Tuple[ReserveCategory, ...] = ()
    residence: ResidenceRule = ResidenceRule.HOME_DISTRICT_ONLY
    neighbours: Tuple[Tuple[int, int], ...] = ()
    time_zone: str = _DEFAULTS["Policy"]["time_zone"]
    hold: datetime.timedelta = datetime.timedelta(
        microseconds=_DEFAULTS["Policy"]["hold_micros"])
    short_notice_days: int = _DEFAULTS["Policy"]["short_notice_days"]
    standby_hold: datetime.timedelta = datetime.timedelta(
        microseconds=_DEFAULTS["Policy"]["standby_hold_micros"])
    code_digits: int = _DEFAULTS["Policy"]["code_digits"]
    code_lifetime: datetime.timedelta = datetime.timedelta(
        microseconds=_DEFAULTS["Policy"]["code_lifetime_micros"])
    code_attempts: int = _DEFAULTS["Policy"]["code_attempts"]
    draw_lead_days_online: int = _DEFAULTS["Policy"]["draw_lead_days_online"]
    draw_lead_days_phone: int = _DEFAULTS["Policy"]["draw_lead_days_phone"]
    overbook_permille: int = _DEFAULTS["Policy"]["overbook_permille"]

    def __post_init__(self) -> None:
        _set(self, "tier_rules", _args.to_tuple(self.tier_rules, "policy tier_rules"))
        _set(self, "reserves", _args.to_tuple(self.reserves, "policy reserves"))
        _set(self, "residence", _coerce_enum(ResidenceRule, self.residence, "policy residence"))
        _set(self, "neighbours", tuple(
            _args.to_tuple(pair, f"policy neighbours[{i}]")
            for i, pair in enumerate(_args.to_tuple(self.neighbours, "policy neighbours"))))
        if isinstance(self.time_zone, zoneinfo.ZoneInfo) and self.time_zone.key:
            _set(self, "time_zone", self.time_zone.key)
        for name in ("hold", "standby_hold", "code_lifetime"):
            value = getattr(self, name)
            if not isinstance(value, datetime.timedelta):  # seconds; checked when used
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    _set(self, name, _args.to_timedelta(value, f"policy {name}"))


@_record
class RegistrantSpec:
    """A person joining the waiting list. external_ref is the host's unique,
    stable key for the person; it also decides the lottery number. standby:
    the person can come at short notice (within Policy.standby_hold) when
    doses are left at the end of a day, and is on the standby list."""

    external_ref: str
    district: int
    birth_day: datetime.date
    registered_at: datetime.datetime
    group: PriorityGroup = PriorityGroup.NONE
    channel: Channel = Channel.ONLINE
    vaccine_preference: int = 0  #: 0: any vaccine
    standby: bool = _DEFAULTS["RegistrantSpec"]["standby"]

    def __post_init__(self) -> None:
        _set(self, "group", _coerce_enum(PriorityGroup, self.group, "group"))
        _set(self, "channel", _coerce_enum(Channel, self.channel, "channel"))


@_record
class DrawSeed:
    """The 128-bit SipHash key (k0, k1) that decides a draw's lottery numbers.

    As an int: ``seed = k0 | k1 << 64`` (so a seed below 2**64 is k0 with
    k1 = 0, the library's 64-bit seed). As text (``str(seed)``, the published
    form): 32 lowercase hex digits, k0 then k1, each most significant digit
    first -- note this is *not* ``hex(int(seed))`` when k1 != 0.
    """

    k0: int
    k1: int = 0

    def __post_init__(self) -> None:
        for name in ("k0", "k1"):
            _set(self, name, _args.to_uint64(getattr(self, name), f"seed {name}"))

    @classmethod
    def from_int(cls, seed: int) -> "DrawSeed":
        """k0 = the low 64 bits, k1 = the high 64 bits of a 0 <= seed < 2**128."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise _args.wrong_type("seed", "an int", seed)
        if not 0 <= seed < 2**128:
            raise _args.out_of_range("seed", f"seed {seed} is outside 0..2**128-1")
        return cls(k0=seed & _UINT64_MAX, k1=seed >> 64)

    @classmethod
    def parse(cls, text: str) -> "DrawSeed":
        """Parses the published form: 32 hex digits (k0 then k1), or up to 16
        for a 64-bit seed (k1 = 0). Raises InvalidArgumentError."""
        text = _args.to_str(text, "seed text")
        try:
            k0, k1 = _core.parse_seed(text)
        except InvalidArgumentError as error:  # the core's message; the call's name in front
            error.argument = "seed text"
            raise
        return cls(k0=k0, k1=k1)

    def __int__(self) -> int:
        return self.k0 | (self.k1 << 64)

    def __str__(self) -> str:
        return _core.format_seed(self.k0, self.k1)

    def __repr__(self) -> str:
        return f"DrawSeed('{self}')"


@_record
class DrawRequest:
    """A waitlist draw: people waiting by `at` take part; first doses in
    [first_dose_from, first_dose_until]; centers empty = every center;
    series_limit 0 = as many as capacity allows."""

    seed: DrawSeed
    at: datetime.datetime
    first_dose_from: datetime.date
    first_dose_until: datetime.date
    centers: Tuple[int, ...] = ()
    series_limit: int = 0

    def __post_init__(self) -> None:
        from ._convert import to_seed  # _convert imports this module

        _set(self, "seed", to_seed(self.seed))
        _set(self, "centers", _args.to_tuple(self.centers, "draw centers"))


@_record
class ReleaseSpec:
    """Capacity held back from draws and opened for self-booking (first come,
    first served) at release_at: the first-dose seats of one center on
    [first_day, last_day] (vaccine 0: every vaccine of the center). Before
    release_at the release is invisible and unbookable; first_dose_cap
    limits the series it gives out (0: the seats decide). Second doses go
    wherever the vaccine's interval fits."""

    center: int
    vaccine: int = _DEFAULTS["ReleaseSpec"]["vaccine"]
    first_day: datetime.date
    last_day: datetime.date
    release_at: datetime.datetime
    first_dose_cap: int = _DEFAULTS["ReleaseSpec"]["first_dose_cap"]


@_record
class BookingRequest:
    """A self-booking: the library proposes the earliest fitting series and
    holds it for Policy.hold (or books it at once with confirm=True).

    at is "now" (slots that have started are not offered); mode RELEASE
    looks in the opened releases, SHORT_NOTICE in the next
    Policy.short_notice_days (online registrants only; a scheduled person
    may swap for an earlier first dose, and confirming cancels the old
    series), STANDBY at any seat left today, also in a slot that has begun
    (standby registrants only; held for Policy.standby_hold). center/vaccine 0: any the registrant may use (vaccine: the
    registrant's preference, else any). first_dose_from/until bound the
    first-dose day (None: from today on / without end)."""

    registrant: int
    at: datetime.datetime
    mode: BookingMode = BookingMode(_DEFAULTS["BookingRequest"]["mode"])
    center: int = _DEFAULTS["BookingRequest"]["center"]
    vaccine: int = _DEFAULTS["BookingRequest"]["vaccine"]
    first_dose_from: datetime.date | None = None
    first_dose_until: datetime.date | None = None
    confirm: bool = _DEFAULTS["BookingRequest"]["confirm"]

    def __post_init__(self) -> None:
        _set(self, "mode", _coerce_enum(BookingMode, self.mode, "booking mode"))


# ---------------------------------------------------------------------------
# What the engine reports


@_record
class District:
    id: int
    code: str
    name: str


@_record
class Vaccine:
    id: int
    code: str
    name: str
    dose_count: int
    interval_days_min: int
    interval_days_target: int
    interval_days_max: int
    age_years_min: int
    age_years_max: int


@_record
class Center:
    id: int
    code: str
    name: str
    districts: Tuple[int, ...]


@_record
class Registrant:
    """A registrant as the engine holds it. waiting_since: when the person
    (re-)entered the waiting list; series: the active series, or for a
    VACCINATED person the completed one (0 if none). A pending hold is not
    counted here (see Engine.book). standby: on the standby list (see
    RegistrantSpec). erased: the registration was deleted
    (Engine.delete_registration): the person is WITHDRAWN, external_ref is
    "" and birth_day 1970-01-01; district, group, channel, registered_at,
    vaccine_preference and series stay for the statistics."""

    id: int
    external_ref: str
    district: int
    birth_day: datetime.date
    registered_at: datetime.datetime
    group: PriorityGroup
    channel: Channel
    vaccine_preference: int
    standby: bool
    status: RegistrantStatus
    waiting_since: datetime.datetime
    series: int
    erased: bool


@_record
class Appointment:
    """A seat in the slot starting `minute` after local midnight of `day`."""

    day: datetime.date
    minute: int

    @property
    def time(self) -> datetime.time:
        """The slot's local start time."""
        return datetime.time(self.minute // 60, self.minute % 60)

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.time.strftime('%H:%M')}"


@_record
class Series:
    """An appointment series: both appointments of a two-dose vaccine (one for
    a single dose), and each one's DoseState in doses (same order).

    origin: how it came about; draw: the draw that assigned it (0 if none);
    tier: the registrant's tier when it was assigned or booked; category: 0 =
    general pool, k = policy reserve k - 1; release: the release it was
    booked in (0 if none); hold_expires_at: while HELD, the instant the hold
    lapses unless confirmed (None otherwise); replaces: for a short-notice
    hold, the registrant's later series that confirming cancels (0 if none).
    """

    id: int
    registrant: int
    center: int
    vaccine: int
    dose_count: int
    appointments: Tuple[Appointment, ...]
    doses: Tuple[DoseState, ...]
    status: SeriesStatus
    booked_at: datetime.datetime
    origin: SeriesOrigin
    draw: int
    tier: int
    category: int
    release: int
    hold_expires_at: datetime.datetime | None
    replaces: int


@_record
class Release:
    """A scheduled release as the engine holds it: its ReleaseSpec fields and
    booked, the series that count against first_dose_cap (held, active,
    completed or missed)."""

    id: int
    center: int
    vaccine: int
    first_day: datetime.date
    last_day: datetime.date
    release_at: datetime.datetime
    first_dose_cap: int
    booked: int


@_record
class DayAttendance:
    """Appointments of one center (all vaccines) on one day: booked (still
    open), given, missed, and the core's no_show_rate = missed / (given +
    missed), 0.0 when nobody was recorded."""

    day: datetime.date
    booked: int
    given: int
    missed: int
    no_show_rate: float


@_record
class TierCount:
    eligible: int  #: waiting people of the tier who took part
    assigned: int


@_record
class DrawRecord:
    """What a draw leaves behind for an audit: its request (with the seed),
    the policy version, per tier (index t - 1) who took part and who was
    placed, and the ids of the series created, in assignment order."""

    id: int
    request: DrawRequest
    policy_version: int
    tiers: Tuple[TierCount, ...]
    series: Tuple[int, ...]
    #: the commitment a committed draw revealed; 0 for a plain draw
    commitment: int = 0

    def __repr__(self) -> str:
        return (
            f"DrawRecord(id={self.id}, request={self.request!r}, "
            f"policy_version={self.policy_version}, commitment={self.commitment}, "
            f"eligible={sum(t.eligible for t in self.tiers)}, "
            f"assigned={sum(t.assigned for t in self.tiers)}, "
            f"series=<{len(self.series)} ids>)"
        )


@_record
class TierFairness:
    """One tier's chi-square test: candidates and winners, the registration
    time buckets it could use (each expecting at least 5 winners and 5
    losers), the statistic and its degrees of freedom."""

    tier: int
    candidates: int
    winners: int
    buckets: int
    chi_square: float
    degrees_of_freedom: int


@_record
class DrawFairness:
    """Whether registration time decided who won a committed draw, inside
    its tiers (docs/draw.md section 13). p_value: the chance of a statistic
    this large if it did not; 1 when no tier could be tested. Publish it
    with the bundle."""

    commitment: int
    buckets: int
    tiers: Tuple[TierFairness, ...]
    chi_square: float
    degrees_of_freedom: int
    p_value: float


@_record
class DrawCommitment:
    """A draw frozen before its seed exists (docs/draw.md section 9): the
    request (its seed unset until revealed), the public randomness it names,
    and the SHA-256 of every input the draw reads. Publish `commitment_hex`
    before the beacon's value exists."""

    id: int
    request: DrawRequest
    beacon: str
    commitment: bytes
    policy_version: int
    input_bytes: int
    status: CommitmentStatus
    beacon_value: bytes = b""  #: once revealed
    draw: int = 0  #: once revealed: the draw it ran
    abandon_reason: str = ""
    #: abandoned while its inputs were still the committed ones (it could
    #: have been revealed): what an auditor looks for in seed shopping
    abandoned_unchanged: bool = False
    #: the vaxalloc version that made it (the inputs' header)
    library_version: str = ""
    settled_at: datetime.datetime | None = None  #: revealed or abandoned at

    @property
    def commitment_hex(self) -> str:
        return self.commitment.hex()


@_record
class Slot:
    """One slot of a pool's calendar as it stands. seats_first and
    seats_second are as the capacity blocks give them; bookable_first and
    bookable_second the appointments the slot takes: the seats plus its
    share of the current policy's overbooking (Policy.overbook_permille;
    equal to the seats without it). booked_first may exceed seats_first,
    and exceeds bookable_first only after a policy lowered the
    overbooking."""

    day: datetime.date
    minute: int
    seats_first: int
    seats_second: int
    bookable_first: int
    bookable_second: int
    booked_first: int
    booked_second: int


@_record
class SecondDoseShortfall:
    """A first-dose day whose seats cannot all be paired with a second dose."""

    center: int
    vaccine: int
    day: datetime.date
    seats_first: int
    seats_second_in_window: int


@_record
class CenterReport:
    center: int
    series_active: int
    seats_first_free: int  #: in the whole calendar, past days included
    doses_delivered: int
    doses_reserved: int  #: by active series, both doses
    residents_waiting: int  #: waiting people whose home district it serves


@_record
class Report:
    """Counts of a campaign; waiting_per_tier[t - 1] by the current policy."""

    registrants: int
    waiting: int
    scheduled: int
    withdrawn: int
    waiting_per_tier: Tuple[int, ...]
    vaccinated: int
    series_active: int
    series_cancelled: int
    series_held: int
    series_completed: int
    series_missed: int  #: ended by a missed first dose
    doses_given: int
    doses_missed: int
    draws: int
    centers: Tuple[CenterReport, ...]


@_record
class TierForecast:
    """One tier of a WaitForecast: waiting people of the tier and of better
    tiers, and the day the tier's last person would get a first dose (days
    from today to it); both None when the calendar's seats or the supply run
    out first, or nobody of the tier waits."""

    waiting: int
    waiting_ahead: int
    last_first_dose: datetime.date | None
    days: int | None


@_record
class WaitForecast:
    """When the waiting list could be through, tier by tier (see
    forecast_wait()); tiers[t - 1] for tier t."""

    today: datetime.date  #: in the policy's time zone
    first_doses_available: int  #: free first-dose seats from today on that supply can serve
    tiers: Tuple[TierForecast, ...]


@_record
class Violation:
    invariant: Invariant
    message: str


@_record
class InvariantReport:
    """The result of check_invariants(): at most VIOLATIONS_KEPT violations,
    and the count of all of them. str() gives the core's text."""

    violations: Tuple[Violation, ...]
    violation_count: int
    text: str = dataclasses.field(repr=False)

    @property
    def ok(self) -> bool:
        return self.violation_count == 0

    def __str__(self) -> str:
        return self.text


@_record
class Event:
    """A pending event of a Store's outbox: something a host must act on
    (send a letter, an SMS, an e-mail), written in the same transaction as
    the change that caused it. Delivery is at least once: until acknowledged
    it is shown again, with the same id, also after a crash and reopen; drop
    duplicates by id.

    id: ascending in commit order, never reused. at: the instant of the
    change (UTC). series: the series assigned, cancelled, booked or rebooked;
    0 for REGISTRANT_WITHDRAWN when the registrant held no series; draw: the
    draw for SERIES_ASSIGNED, else 0 (0 means "none", as for every id). A
    short-notice swap gives SERIES_CANCELLED (the old series) then
    SERIES_BOOKED; holds, declines, expiries and recorded doses tell nobody
    anything.

    For CODE_ISSUED: code_id is the code's id and code its digits, to send
    to the registrant's phone (series: the series a cancellation code is
    for, else 0). The outbox keeps the digits only until the event is
    acknowledged (the engine keeps a salted hash); they are left out of
    repr() so that a log line does not leak them. Both are None for every
    other kind."""

    id: int
    kind: EventKind
    at: datetime.datetime
    registrant: int
    series: int
    draw: int
    code_id: int | None = None
    code: str | None = dataclasses.field(default=None, repr=False)


@_record
class JournalEntry:
    """One entry of a Store's operation journal (docs/journal.md): every
    committed change, in order. seq: 1, 2, 3, ...; op: the operation's
    number and op_name its name ("book", "draw", ...); clock: the latest
    instant any change was stamped with once the entry is applied (None
    before the first; a draw may not be stamped before it); args: its
    canonical arguments, exactly the bytes hashed; hash: SHA-256 over the
    previous entry's hash and this entry (32 bytes)."""

    seq: int
    op: int
    op_name: str
    committed_at: datetime.datetime
    clock: datetime.datetime | None
    args: bytes = dataclasses.field(repr=False)
    hash: bytes = dataclasses.field(repr=False)


@_record
class JournalCheck:
    """What Store.verify_journal found. entries: entries checked and found
    intact; first_bad_seq: 0 when the whole chain is intact, else the first
    entry that was changed, removed or moved, and problem says what; head:
    the last entry's hash when intact (publish it: a chain cut short after it
    is then detectable), else None."""

    entries: int
    first_bad_seq: int
    problem: str
    head: bytes | None

    @property
    def intact(self) -> bool:
        return self.first_bad_seq == 0


@_record
class VerificationCode:
    """A one-time code as the engine keeps it, without the digits (the engine
    keeps only a salted hash, which the package does not expose: with it the
    few digits would be found in milliseconds).

    purpose: what it confirms; series: for CANCEL_SERIES, the series it
    cancels (0 for WITHDRAW); attempts: wrong entries so far; state: PENDING
    until used, locked (after Policy.code_attempts wrong entries) or
    superseded by a newer code of the same registrant and purpose. Expired
    codes stay PENDING: expiry is decided by the time of the attempt."""

    id: int
    registrant: int
    purpose: CodePurpose
    series: int
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    attempts: int
    state: CodeState


@_record
class IssuedCode:
    """What issue_code() returns: code_id, code (the digits to send; the
    engine keeps none, and repr() leaves them out) and the stored record.
    A Store also writes them to the outbox (EventKind.CODE_ISSUED)."""

    code_id: int
    code: str = dataclasses.field(repr=False)
    record: VerificationCode


@_record
class ScenarioOptions:
    """Options of the generated campaign (scenario.h)."""

    seed: int = 1
    registrants: int = 1_000_000
    districts: int = 26
    centers: int = 28
    days: int = 100
    first_day: datetime.date = datetime.date(2021, 6, 28)
    registration_days: int = 28
    seats_first_permille: int = 600
    supply_series_permille: int = 500


@_record
class ScenarioDistrict:
    code: str  #: the official district key, e.g. "06412"
    name: str
    population: int


# The records that check their fields when built name themselves in an
# argument error ("Policy(): policy hold nan is not a finite number"); built
# inside a call (set_policy, draw, ...), the call's name replaces it.
for _cls in (CenterSpec, TierRule, Policy, RegistrantSpec, DrawSeed, DrawRequest,
             BookingRequest):
    _args.name_methods(_cls)
del _cls
