"""Conversions between the Python values and what vaxalloc._core takes.

_core speaks in plain values: instants as int microseconds since the Unix
epoch (UTC), civil days as ``date.toordinal()`` ints, enums as ints, records
as dicts. This module is the only place that converts, in both directions.
"""

from __future__ import annotations

import datetime
import operator
from typing import Any, Iterable, Mapping

from ._errors import InvalidArgumentError, OutOfRangeError
from ._types import (
    Appointment,
    BookingRequest,
    CapacityBlock,
    Center,
    CenterReport,
    CenterSpec,
    Channel,
    CodePurpose,
    CodeState,
    DayAttendance,
    District,
    DrawRecord,
    DrawCommitment,
    DrawFairness,
    CommitmentStatus,
    DrawRequest,
    DrawSeed,
    DoseState,
    Event,
    EventKind,
    Invariant,
    InvariantReport,
    IssuedCode,
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
    Violation,
    WaitForecast,
)

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MICROSECOND = datetime.timedelta(microseconds=1)

_NAIVE_HINT = (
    "vaxalloc needs timezone-aware datetimes, e.g. "
    "datetime(2021, 6, 7, 8, 0, tzinfo=datetime.timezone.utc) or "
    "tzinfo=zoneinfo.ZoneInfo('Europe/Berlin')"
)


# ---------------------------------------------------------------------------
# Scalars, Python to _core


def to_micros(value: Any, what: str) -> int:
    """An aware datetime as microseconds since the epoch (UTC); naive ones are
    refused rather than guessed to be local time or UTC."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{what} must be a datetime.datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"{what} {value.isoformat()} is a naive datetime (no time zone); {_NAIVE_HINT}"
        )
    return (value - _EPOCH) // _MICROSECOND


def to_optional_micros(value: Any, what: str) -> int | None:
    return None if value is None else to_micros(value, what)


def to_ordinal(value: Any, what: str) -> int:
    """A civil day as its proleptic Gregorian ordinal. A datetime is refused:
    which day it falls on depends on a time zone the caller must choose."""
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(
            f"{what} must be a datetime.date, not {type(value).__name__}"
            + (" (use .date() in the time zone you mean)"
               if isinstance(value, datetime.datetime) else "")
        )
    return value.toordinal()


def to_micros_duration(value: Any, what: str) -> int:
    """A timedelta, or a number of seconds, as microseconds."""
    if isinstance(value, datetime.timedelta):
        return value // _MICROSECOND
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * 1_000_000)
    raise TypeError(f"{what} must be a datetime.timedelta or seconds, not {type(value).__name__}")


def to_optional_ordinal(value: Any, what: str) -> int | None:
    return None if value is None else to_ordinal(value, what)


def to_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return value


def to_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, not {type(value).__name__}") from None


def to_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


def to_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


#: Event ids are SQLite rowids: 1..2**63 - 1.
EVENT_ID_MAX = 2**63 - 1


def to_event_id(value: Any, what: str) -> int:
    """An event id bound (0 allowed: "none yet")."""
    value = to_int(value, what)
    if not 0 <= value <= EVENT_ID_MAX:
        raise OutOfRangeError(f"{what} {value} is outside 0..2**63-1 (the range of event ids)")
    return value


def to_ints(values: Iterable[Any], what: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of ints, not {type(values).__name__}")
    return [to_int(v, what) for v in values]


def to_seed(value: Any) -> DrawSeed:
    """A DrawSeed from a DrawSeed, an int (k0 = low 64 bits, k1 = high 64 bits),
    a (k0, k1) pair or the published 32-hex-digit text."""
    if isinstance(value, DrawSeed):
        return value
    if isinstance(value, str):
        return DrawSeed.parse(value)
    if isinstance(value, tuple) and len(value) == 2:
        return DrawSeed(k0=value[0], k1=value[1])
    if isinstance(value, int) and not isinstance(value, bool):
        return DrawSeed.from_int(value)
    raise TypeError(
        "seed must be an int, a (k0, k1) tuple, a DrawSeed or its 32-hex-digit text, "
        f"not {type(value).__name__}"
    )


# ---------------------------------------------------------------------------
# Scalars, _core to Python


def from_micros(micros: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(microseconds=micros)


def from_optional_micros(micros: int | None) -> datetime.datetime | None:
    return None if micros is None else from_micros(micros)


def from_ordinal(ordinal: int) -> datetime.date:
    return datetime.date.fromordinal(ordinal)


# ---------------------------------------------------------------------------
# Records, Python to _core keyword arguments


def vaccine_args(spec: VaccineSpec) -> dict[str, Any]:
    return {
        "code": to_str(spec.code, "vaccine code"),
        "name": to_str(spec.name, "vaccine name"),
        "dose_count": to_int(spec.dose_count, "dose_count"),
        "interval_days_min": to_int(spec.interval_days_min, "interval_days_min"),
        "interval_days_target": to_int(spec.interval_days_target, "interval_days_target"),
        "interval_days_max": to_int(spec.interval_days_max, "interval_days_max"),
        "age_years_min": to_int(spec.age_years_min, "age_years_min"),
        "age_years_max": to_int(spec.age_years_max, "age_years_max"),
    }


def center_args(spec: CenterSpec) -> dict[str, Any]:
    return {
        "code": to_str(spec.code, "center code"),
        "name": to_str(spec.name, "center name"),
        "districts": to_ints(spec.districts, "center districts"),
    }


def capacity_args(block: CapacityBlock) -> dict[str, Any]:
    return {
        "center": to_int(block.center, "capacity center"),
        "vaccine": to_int(block.vaccine, "capacity vaccine"),
        "first_day": to_ordinal(block.first_day, "capacity first_day"),
        "last_day": to_ordinal(block.last_day, "capacity last_day"),
        "weekdays": to_int(block.weekdays, "capacity weekdays"),
        "open_minute": to_int(block.open_minute, "capacity open_minute"),
        "close_minute": to_int(block.close_minute, "capacity close_minute"),
        "slot_minutes": to_int(block.slot_minutes, "capacity slot_minutes"),
        "seats_first": to_int(block.seats_first, "capacity seats_first"),
        "seats_second": to_int(block.seats_second, "capacity seats_second"),
    }


def supply_args(delivery: SupplyDelivery) -> dict[str, Any]:
    return {
        "center": to_int(delivery.center, "supply center"),
        "vaccine": to_int(delivery.vaccine, "supply vaccine"),
        "day": to_ordinal(delivery.day, "supply day"),
        "doses": to_int(delivery.doses, "supply doses"),
    }


def policy_args(policy: Policy) -> dict[str, Any]:
    tier_rules = []
    for rule in policy.tier_rules:
        if not isinstance(rule, TierRule):
            raise TypeError(f"tier_rules must hold TierRule values, not {type(rule).__name__}")
        tier_rules.append((
            to_optional_micros(rule.registered_before, "tier rule registered_before"),
            to_ints(rule.tier_by_group, "tier rule tier_by_group"),
        ))
    reserves = []
    for reserve in policy.reserves:
        if not isinstance(reserve, ReserveCategory):
            raise TypeError(
                f"reserves must hold ReserveCategory values, not {type(reserve).__name__}")
        reserves.append((
            to_str(reserve.name, "reserve name"),
            to_int(reserve.share_permille, "reserve share_permille"),
            to_int(reserve.age_years_min, "reserve age_years_min"),
            to_int(reserve.group_mask, "reserve group_mask"),
            to_int(reserve.vaccine, "reserve vaccine"),
        ))
    neighbours = []
    for pair in policy.neighbours:
        if len(pair) != 2:
            raise InvalidArgumentError(f"a neighbour pair has {len(pair)} district ids, not 2")
        neighbours.append((to_int(pair[0], "neighbour district"),
                           to_int(pair[1], "neighbour district")))
    return {
        "tier_rules": tier_rules,
        "reserves": reserves,
        "residence": int(policy.residence),
        "neighbours": neighbours,
        "time_zone": to_str(policy.time_zone, "policy time_zone"),
        "hold_micros": to_micros_duration(policy.hold, "policy hold"),
        "short_notice_days": to_int(policy.short_notice_days, "policy short_notice_days"),
        "standby_hold_micros": to_micros_duration(policy.standby_hold, "policy standby_hold"),
        "code_digits": to_int(policy.code_digits, "policy code_digits"),
        "code_lifetime_micros": to_micros_duration(policy.code_lifetime, "policy code_lifetime"),
        "code_attempts": to_int(policy.code_attempts, "policy code_attempts"),
        "draw_lead_days_online": to_int(policy.draw_lead_days_online,
                                        "policy draw_lead_days_online"),
        "draw_lead_days_phone": to_int(policy.draw_lead_days_phone,
                                       "policy draw_lead_days_phone"),
        "overbook_permille": to_int(policy.overbook_permille, "policy overbook_permille"),
    }


_REGISTRANT_FIELDS = (
    "external_ref", "district", "birth_day", "registered_at", "group", "channel",
    "vaccine_preference", "standby",
)


def registrant_columns(registrants: Iterable[RegistrantSpec | Mapping[str, Any]]) -> dict[str, list]:
    """Rows (RegistrantSpec values or dicts with its field names) as columns."""
    specs = []
    for index, row in enumerate(registrants):
        if isinstance(row, RegistrantSpec):
            specs.append(row)
        elif isinstance(row, Mapping):
            try:
                specs.append(RegistrantSpec(**row))
            except TypeError as error:
                raise TypeError(f"registrant {index}: {error}") from None
        else:
            raise TypeError(
                f"registrant {index} is a {type(row).__name__}, not a RegistrantSpec or dict")
    return {field: [getattr(spec, field) for spec in specs] for field in _REGISTRANT_FIELDS}


def _column(values: Any, count: int, name: str, default: Any) -> list:
    """A column of `count` values; a single value (or None for the default)
    stands for all of them."""
    if values is None:
        return [default] * count
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return [values] * count
    values = list(values)
    if len(values) != count:
        raise InvalidArgumentError(
            f"register_batch: column {name} has {len(values)} entries but external_ref has {count}")
    return values


def register_batch_args(
    external_ref: Iterable[str],
    district: Any,
    birth_day: Any,
    registered_at: Any,
    group: Any = None,
    channel: Any = None,
    vaccine_preference: Any = None,
    standby: Any = None,
) -> dict[str, list]:
    refs = list(external_ref) if not isinstance(external_ref, str) else [external_ref]
    for ref in refs:
        if not isinstance(ref, str):
            raise TypeError(f"external_ref must be a str, not {type(ref).__name__}")
    count = len(refs)
    districts = _column(district, count, "district", None)
    birth_days = _column(birth_day, count, "birth_day", None)
    times = _column(registered_at, count, "registered_at", None)
    return {
        "external_ref": refs,
        "district": [to_int(v, "district") for v in districts],
        "birth_day": [to_ordinal(v, "birth_day") for v in birth_days],
        "registered_at": [to_micros(v, "registered_at") for v in times],
        "group": [to_int(v, "group")
                  for v in _column(group, count, "group", PriorityGroup.NONE)],
        "channel": [to_int(v, "channel")
                    for v in _column(channel, count, "channel", Channel.ONLINE)],
        "vaccine_preference": [to_int(v, "vaccine_preference")
                               for v in _column(vaccine_preference, count,
                                                "vaccine_preference", 0)],
        "standby": [to_bool(v, "standby") for v in _column(standby, count, "standby", False)],
    }


def draw_args(request: DrawRequest) -> dict[str, Any]:
    seed = to_seed(request.seed)
    return {
        "seed_k0": seed.k0,
        "seed_k1": seed.k1,
        "at": to_micros(request.at, "draw at"),
        "first_dose_from": to_ordinal(request.first_dose_from, "draw first_dose_from"),
        "first_dose_until": to_ordinal(request.first_dose_until, "draw first_dose_until"),
        "centers": to_ints(request.centers, "draw centers"),
        "series_limit": to_int(request.series_limit, "draw series_limit"),
    }


def release_args(spec: ReleaseSpec) -> dict[str, Any]:
    return {
        "center": to_int(spec.center, "release center"),
        "vaccine": to_int(spec.vaccine, "release vaccine"),
        "first_day": to_ordinal(spec.first_day, "release first_day"),
        "last_day": to_ordinal(spec.last_day, "release last_day"),
        "release_at": to_micros(spec.release_at, "release release_at"),
        "first_dose_cap": to_int(spec.first_dose_cap, "release first_dose_cap"),
    }


def booking_args(request: BookingRequest) -> dict[str, Any]:
    return {
        "registrant": to_int(request.registrant, "booking registrant"),
        "at": to_micros(request.at, "booking at"),
        "mode": int(request.mode),
        "center": to_int(request.center, "booking center"),
        "vaccine": to_int(request.vaccine, "booking vaccine"),
        "first_dose_from": to_optional_ordinal(request.first_dose_from,
                                               "booking first_dose_from"),
        "first_dose_until": to_optional_ordinal(request.first_dose_until,
                                                "booking first_dose_until"),
        "confirm": to_bool(request.confirm, "booking confirm"),
    }


# ---------------------------------------------------------------------------
# Records, _core dicts to Python


def district_from(d: dict) -> District:
    return District(**d)


def vaccine_spec_from(d: dict) -> VaccineSpec:
    return VaccineSpec(**d)


def vaccine_from(d: dict) -> Vaccine:
    return Vaccine(**d)


def center_spec_from(d: dict) -> CenterSpec:
    return CenterSpec(**d)


def center_from(d: dict) -> Center:
    return Center(**d)


def capacity_from(d: dict) -> CapacityBlock:
    d = dict(d)
    d["first_day"] = from_ordinal(d["first_day"])
    d["last_day"] = from_ordinal(d["last_day"])
    return CapacityBlock(**d)


def supply_from(d: dict) -> SupplyDelivery:
    d = dict(d)
    d["day"] = from_ordinal(d["day"])
    return SupplyDelivery(**d)


def policy_from(d: dict) -> Policy:
    return Policy(
        tier_rules=tuple(
            TierRule(registered_before=from_optional_micros(rule["registered_before"]),
                     tier_by_group=tuple(rule["tier_by_group"]))
            for rule in d["tier_rules"]),
        reserves=tuple(ReserveCategory(**reserve) for reserve in d["reserves"]),
        residence=ResidenceRule(d["residence"]),
        neighbours=tuple(tuple(pair) for pair in d["neighbours"]),
        time_zone=d["time_zone"],
        hold=datetime.timedelta(microseconds=d["hold_micros"]),
        short_notice_days=d["short_notice_days"],
        standby_hold=datetime.timedelta(microseconds=d["standby_hold_micros"]),
        code_digits=d["code_digits"],
        code_lifetime=datetime.timedelta(microseconds=d["code_lifetime_micros"]),
        code_attempts=d["code_attempts"],
        draw_lead_days_online=d["draw_lead_days_online"],
        draw_lead_days_phone=d["draw_lead_days_phone"],
        overbook_permille=d["overbook_permille"],
    )


def registrant_spec_from(d: dict) -> RegistrantSpec:
    return RegistrantSpec(
        external_ref=d["external_ref"],
        district=d["district"],
        birth_day=from_ordinal(d["birth_day"]),
        registered_at=from_micros(d["registered_at"]),
        group=PriorityGroup(d["group"]),
        channel=Channel(d["channel"]),
        vaccine_preference=d["vaccine_preference"],
        standby=d["standby"],
    )


def registrant_from(d: dict) -> Registrant:
    return Registrant(
        id=d["id"],
        external_ref=d["external_ref"],
        district=d["district"],
        birth_day=from_ordinal(d["birth_day"]),
        registered_at=from_micros(d["registered_at"]),
        group=PriorityGroup(d["group"]),
        channel=Channel(d["channel"]),
        vaccine_preference=d["vaccine_preference"],
        standby=d["standby"],
        status=RegistrantStatus(d["status"]),
        waiting_since=from_micros(d["waiting_since"]),
        series=d["series"],
        erased=d["erased"],
    )


def series_from(d: dict) -> Series:
    return Series(
        id=d["id"],
        registrant=d["registrant"],
        center=d["center"],
        vaccine=d["vaccine"],
        dose_count=d["dose_count"],
        appointments=tuple(Appointment(day=from_ordinal(day), minute=minute)
                           for day, minute in d["appointments"]),
        doses=tuple(DoseState(state) for state in d["doses"]),
        status=SeriesStatus(d["status"]),
        booked_at=from_micros(d["booked_at"]),
        origin=SeriesOrigin(d["origin"]),
        draw=d["draw"],
        tier=d["tier"],
        category=d["category"],
        release=d["release"],
        hold_expires_at=from_optional_micros(d["hold_expires_at"]),
        replaces=d["replaces"],
    )


def release_from(d: dict) -> Release:
    return Release(
        id=d["id"],
        center=d["center"],
        vaccine=d["vaccine"],
        first_day=from_ordinal(d["first_day"]),
        last_day=from_ordinal(d["last_day"]),
        release_at=from_micros(d["release_at"]),
        first_dose_cap=d["first_dose_cap"],
        booked=d["booked"],
    )


def attendance_from(d: dict) -> DayAttendance:
    d = dict(d)
    d["day"] = from_ordinal(d["day"])
    return DayAttendance(**d)


def draw_request_from(d: dict) -> DrawRequest:
    k0, k1 = d["seed"]
    return DrawRequest(
        seed=DrawSeed(k0=k0, k1=k1),
        at=from_micros(d["at"]),
        first_dose_from=from_ordinal(d["first_dose_from"]),
        first_dose_until=from_ordinal(d["first_dose_until"]),
        centers=tuple(d["centers"]),
        series_limit=d["series_limit"],
    )


def draw_record_from(d: dict) -> DrawRecord:
    return DrawRecord(
        id=d["id"],
        request=draw_request_from(d["request"]),
        policy_version=d["policy_version"],
        tiers=tuple(TierCount(eligible=e, assigned=a) for e, a in d["tiers"]),
        series=tuple(d["series"]),
        commitment=d["commitment"],
    )


def draw_fairness_from(d: dict) -> DrawFairness:
    return DrawFairness(commitment=d["commitment"], buckets=d["buckets"],
                        tiers=tuple(TierFairness(**t) for t in d["tiers"]),
                        chi_square=d["chi_square"], degrees_of_freedom=d["degrees_of_freedom"],
                        p_value=d["p_value"])


def draw_commitment_from(d: dict) -> DrawCommitment:
    return DrawCommitment(
        id=d["id"],
        request=draw_request_from(d["request"]),
        beacon=d["beacon"],
        commitment=d["commitment"],
        policy_version=d["policy_version"],
        input_bytes=d["input_bytes"],
        status=CommitmentStatus(d["status"]),
        beacon_value=d["beacon_value"],
        draw=d["draw"],
        abandon_reason=d["abandon_reason"],
        abandoned_unchanged=d["abandoned_unchanged"],
        library_version=d["library_version"],
        settled_at=None if d["settled_at"] is None else from_micros(d["settled_at"]),
    )


def slot_from(d: dict) -> Slot:
    d = dict(d)
    d["day"] = from_ordinal(d["day"])
    return Slot(**d)


def shortfall_from(d: dict) -> SecondDoseShortfall:
    d = dict(d)
    d["day"] = from_ordinal(d["day"])
    return SecondDoseShortfall(**d)


def report_from(d: dict) -> Report:
    d = dict(d)
    d["waiting_per_tier"] = tuple(d["waiting_per_tier"])
    d["centers"] = tuple(CenterReport(**c) for c in d["centers"])
    return Report(**d)


def wait_forecast_from(d: dict) -> WaitForecast:
    tiers = []
    for t in d["tiers"]:
        unset = t["last_first_dose"] is None
        tiers.append(TierForecast(
            waiting=t["waiting"], waiting_ahead=t["waiting_ahead"],
            last_first_dose=None if unset else from_ordinal(t["last_first_dose"]),
            days=None if unset else t["days"]))
    return WaitForecast(today=from_ordinal(d["today"]),
                        first_doses_available=d["first_doses_available"], tiers=tuple(tiers))


def invariant_report_from(d: dict) -> InvariantReport:
    return InvariantReport(
        violations=tuple(Violation(invariant=Invariant(i), message=m) for i, m in d["violations"]),
        violation_count=d["violation_count"],
        text=d["text"],
    )


def scenario_options_from(d: dict) -> ScenarioOptions:
    d = dict(d)
    d["first_day"] = from_ordinal(d["first_day"])
    return ScenarioOptions(**d)


def scenario_district_from(d: dict) -> ScenarioDistrict:
    return ScenarioDistrict(**d)


def event_from(d: dict) -> Event:
    kind = EventKind(d["kind"])
    code_issued = kind is EventKind.CODE_ISSUED
    return Event(
        id=d["id"],
        kind=kind,
        at=from_micros(d["at"]),
        registrant=d["registrant"],
        series=d["series"],
        draw=d["draw"],
        code_id=d["code_id"] if code_issued else None,
        code=d["code"] if code_issued else None,
    )


def code_from(d: dict) -> VerificationCode:
    return VerificationCode(
        id=d["id"],
        registrant=d["registrant"],
        purpose=CodePurpose(d["purpose"]),
        series=d["series"],
        issued_at=from_micros(d["issued_at"]),
        expires_at=from_micros(d["expires_at"]),
        attempts=d["attempts"],
        state=CodeState(d["state"]),
    )


def issued_code_from(d: dict) -> IssuedCode:
    return IssuedCode(code_id=d["code_id"], code=d["code"], record=code_from(d["record"]))
