"""vaxalloc: allocation of scarce vaccination appointments (Python API).

A campaign lives in an :class:`Engine` (memory) or a :class:`Store` (one
SQLite file, every change one transaction); both have the same methods::

    import datetime as dt
    import vaxalloc

    utc = dt.timezone.utc
    with vaxalloc.Store.open("campaign.sqlite") as store:
        district = store.add_district(code="06412", name="Frankfurt am Main")
        vaccine = store.add_vaccine(code="comirnaty", name="Comirnaty")
        center = store.add_center(code="FFM", name="Festhalle", districts=[district])
        store.add_capacity(center=center, vaccine=vaccine, first_day=dt.date(2021, 6, 14),
                           last_day=dt.date(2021, 7, 31), seats_first=2, seats_second=2)
        store.add_supply(center=center, vaccine=vaccine, day=dt.date(2021, 6, 1), doses=5000)
        store.register_batch(external_ref=["A-1", "A-2"], district=district,
                             birth_day=[dt.date(1940, 1, 2), dt.date(1980, 5, 6)],
                             registered_at=dt.datetime(2021, 6, 1, tzinfo=utc))
        record = store.draw(seed=2021, at=dt.datetime(2021, 6, 7, tzinfo=utc),
                            first_dose_from=dt.date(2021, 6, 14),
                            first_dose_until=dt.date(2021, 6, 20))
        # Self-booking: seats released at an announced instant, first come.
        store.add_release(center=center, first_day=dt.date(2021, 6, 21),
                          last_day=dt.date(2021, 6, 23),
                          release_at=dt.datetime(2021, 6, 14, 8, tzinfo=utc))
        late = store.register(external_ref="A-3", district=district,
                              birth_day=dt.date(1975, 3, 3),
                              registered_at=dt.datetime(2021, 6, 10, tzinfo=utc))
        held = store.book(registrant=late, at=dt.datetime(2021, 6, 14, 8, 1, tzinfo=utc))
        store.confirm_hold(held.id, at=dt.datetime(2021, 6, 14, 8, 3, tzinfo=utc))
        # An online cancellation, confirmed by a one-time code sent by SMS.
        issued = store.issue_code(late, purpose=vaxalloc.CodePurpose.CANCEL_SERIES,
                                  series=held.id, at=dt.datetime(2021, 6, 15, 9, tzinfo=utc))
        store.verify_code(issued.code_id, issued.code,
                          at=dt.datetime(2021, 6, 15, 9, 2, tzinfo=utc))

Instants are timezone-aware ``datetime.datetime`` values (naive ones raise
InvalidArgumentError; results come back in UTC), civil days are
``datetime.date`` values, ids are ints. Errors are :class:`Error` subclasses
carrying the core's message and status code. See docs/python.md.
"""

# _errors first: the compiled module imports it when it loads.
from ._errors import (
    AlreadyExistsError,
    BusyError,
    CapacityExhaustedError,
    CorruptStoreError,
    Error,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    ArgumentTypeError,
    StatusCode,
    VerificationFailedError,
)
from . import _args, _core
from ._types import (
    Appointment,
    BookingMode,
    BookingRequest,
    CapacityBlock,
    Center,
    CenterReport,
    CenterSpec,
    Channel,
    CodeOutcome,
    CodePurpose,
    CodeState,
    DayAttendance,
    District,
    CommitmentStatus,
    DrawCommitment,
    DrawFairness,
    DrawRecord,
    DrawRequest,
    DrawSeed,
    DoseOutcome,
    DoseState,
    Durability,
    Event,
    EventKind,
    Invariant,
    InvariantReport,
    IssuedCode,
    JournalCheck,
    JournalEntry,
    Policy,
    PriorityGroup,
    Registrant,
    RegistrantSpec,
    RegistrantStatus,
    Release,
    ReleaseSpec,
    Report,
    ReserveCategory,
    ResidenceRule,
    ScenarioDistrict,
    ScenarioOptions,
    SecondDoseShortfall,
    Series,
    SeriesOrigin,
    SeriesStatus,
    Slot,
    SupplyDelivery,
    TierCount,
    TierFairness,
    TierForecast,
    TierRule,
    Vaccine,
    VaccineSpec,
    VerificationCode,
    WaitForecast,
    Violation,
    Weekday,
)
from ._campaign import Engine, Store
from ._scenario import SCENARIO_TIMEZONE, Scenario, make_scenario
from ._convert import to_seed as _to_seed

#: The version of the C++ library inside the module (vaxalloc::Version()).
__version__: str = _core.version()

#: Limits of the core (types.h, invariants.h).
TIER_MAX: int = _core.TIER_MAX
CODE_LENGTH_MAX: int = _core.CODE_LENGTH_MAX
NAME_LENGTH_MAX: int = _core.NAME_LENGTH_MAX
EXTERNAL_REF_LENGTH_MAX: int = _core.EXTERNAL_REF_LENGTH_MAX
VIOLATIONS_KEPT: int = _core.VIOLATIONS_KEPT
#: The largest page Store.pending_events() returns (store.h, kEventsPerReadMax).
EVENTS_PER_READ_MAX: int = _core.EVENTS_PER_READ_MAX
JOURNAL_ENTRIES_PER_READ_MAX: int = _core.JOURNAL_ENTRIES_PER_READ_MAX
#: Bounds of the self-booking fields of Policy (types.h).
TIME_ZONE_LENGTH_MAX: int = _core.TIME_ZONE_LENGTH_MAX
HOLD_MINUTES_MAX: int = _core.HOLD_MINUTES_MAX
SHORT_NOTICE_DAYS_MAX: int = _core.SHORT_NOTICE_DAYS_MAX
#: Bounds of the draw and overbooking fields of Policy (types.h).
DRAW_LEAD_DAYS_MAX: int = _core.DRAW_LEAD_DAYS_MAX
OVERBOOK_PERMILLE_MAX: int = _core.OVERBOOK_PERMILLE_MAX
#: Bounds of the one-time code fields of Policy (types.h).
CODE_DIGITS_MIN: int = _core.CODE_DIGITS_MIN
CODE_DIGITS_MAX: int = _core.CODE_DIGITS_MAX
CODE_ATTEMPTS_MAX: int = _core.CODE_ATTEMPTS_MAX
CODES_PER_DAY_MAX: int = _core.CODES_PER_DAY_MAX
CODES_PER_REGISTRANT_MAX: int = _core.CODES_PER_REGISTRANT_MAX
CODES_MAX: int = _core.CODES_MAX
CODE_LIFETIME_MINUTES_MAX: int = _core.CODE_LIFETIME_MINUTES_MAX


def lottery_number(seed, external_ref: str) -> int:
    """The lottery number of `external_ref` in a draw with `seed`:
    SipHash-2-4 keyed by (k0, k1) over the reference's UTF-8 bytes; lower
    draws earlier within a tier. seed: as for Engine.draw (int, (k0, k1),
    DrawSeed or its text)."""
    external_ref = _args.to_str(external_ref, "external_ref")
    key = _to_seed(seed)
    return _core.lottery_number(key.k0, key.k1, external_ref)


def siphash24(key, message: bytes) -> int:
    """SipHash-2-4 of `message` under the 128-bit key (k0, k1) (each the
    little-endian reading of 8 key bytes, as in the reference code)."""
    message = _args.to_bytes(message, "message")
    k = _to_seed(key, "key")
    return _core.siphash24(k0=k.k0, k1=k.k1, message=message)


def format_seed(seed) -> str:
    """The published form of a seed: 32 lowercase hex digits, k0 then k1."""
    return str(_to_seed(seed))


def parse_seed(text: str) -> DrawSeed:
    """Parses 32 hex digits (k0 then k1) or up to 16 (k1 = 0)."""
    return DrawSeed.parse(text)


# Argument errors name the function ("lottery_number: external_ref ...").
lottery_number = _args.names_function(lottery_number)
siphash24 = _args.names_function(siphash24)
format_seed = _args.names_function(format_seed)
parse_seed = _args.names_function(parse_seed)


__all__ = [
    "__version__",
    # errors
    "Error", "NotFoundError", "InvalidArgumentError", "AlreadyExistsError",
    "FailedPreconditionError", "CapacityExhaustedError", "BusyError", "CorruptStoreError",
    "VerificationFailedError", "OutOfRangeError", "ArgumentTypeError", "StatusCode",
    # campaigns
    "Engine", "Store",
    # enums
    "PriorityGroup", "Channel", "RegistrantStatus", "SeriesStatus", "ResidenceRule",
    "Durability", "Invariant", "Weekday", "EventKind", "DoseState", "SeriesOrigin",
    "BookingMode", "DoseOutcome", "CodePurpose", "CodeState", "CodeOutcome", "CommitmentStatus",
    # values
    "VaccineSpec", "CenterSpec", "CapacityBlock", "SupplyDelivery", "TierRule",
    "ReserveCategory", "Policy", "RegistrantSpec", "DrawSeed", "DrawRequest", "District",
    "Vaccine", "Center", "Registrant", "Appointment", "Series", "TierCount", "DrawRecord",
    "Slot", "SecondDoseShortfall", "CenterReport", "Report", "Violation", "InvariantReport",
    "Event", "ReleaseSpec", "Release", "BookingRequest", "DayAttendance", "VerificationCode",
    "IssuedCode", "TierForecast", "WaitForecast", "JournalEntry", "JournalCheck",
    "DrawCommitment", "DrawFairness", "TierFairness",
    # lottery
    "lottery_number", "siphash24", "format_seed", "parse_seed",
    # scenario
    "Scenario", "ScenarioOptions", "ScenarioDistrict", "make_scenario", "SCENARIO_TIMEZONE",
    # limits
    "TIER_MAX", "CODE_LENGTH_MAX", "NAME_LENGTH_MAX", "EXTERNAL_REF_LENGTH_MAX",
    "VIOLATIONS_KEPT", "EVENTS_PER_READ_MAX", "JOURNAL_ENTRIES_PER_READ_MAX",
    "TIME_ZONE_LENGTH_MAX", "HOLD_MINUTES_MAX",
    "SHORT_NOTICE_DAYS_MAX", "CODE_DIGITS_MIN", "CODE_DIGITS_MAX", "CODE_ATTEMPTS_MAX",
    "CODES_PER_DAY_MAX", "CODES_PER_REGISTRANT_MAX", "CODES_MAX",
    "CODE_LIFETIME_MINUTES_MAX", "DRAW_LEAD_DAYS_MAX", "OVERBOOK_PERMILLE_MAX",
]

# The public classes present themselves as vaxalloc.X (in reprs, tracebacks
# and pickles), not by the private module that defines them.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("vaxalloc."):
        _obj.__module__ = __name__
del _name, _obj
