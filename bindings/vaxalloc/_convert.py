"""Conversions between the Python values and what vaxalloc._core takes.

_core speaks in plain values: instants as int microseconds since the Unix
epoch (UTC), civil days as ``date.toordinal()`` ints, enums as ints, records
as dicts. This module is the only place that converts, in both directions.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Iterable, Mapping

from . import _core
from ._errors import ArgumentTypeError, InvalidArgumentError
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
    _coerce_enum,
)

from ._args import (  # noqa: F401 - the scalar checks, used as cv.to_int etc.
    _EPOCH,
    INT64_MAX,
    convert_each,
    invalid,
    out_of_range,
    to_bool,
    to_bytes,
    to_int,
    to_ints,
    to_micros,
    to_micros_duration,
    to_ordinal,
    to_path,
    to_str,
    to_strs,
    to_timedelta,
    to_tuple,
    to_uint64,
    wrong_type,
)


# ---------------------------------------------------------------------------
# Scalars, Python to _core (the checks themselves are _args')


def to_optional_micros(value: Any, what: str) -> int | None:
    return None if value is None else to_micros(value, what)


def to_optional_ordinal(value: Any, what: str) -> int | None:
    return None if value is None else to_ordinal(value, what)


#: Event ids are SQLite rowids: 1..2**63 - 1.
EVENT_ID_MAX = INT64_MAX


def to_event_id(value: Any, what: str) -> int:
    """An event id bound (0 allowed: "none yet")."""
    value = to_int(value, what)
    if not 0 <= value <= EVENT_ID_MAX:
        raise out_of_range(what, f"{what} {value} is outside 0..2**63-1 (the range of event ids)")
    return value


def to_seed(value: Any, what: str = "seed") -> DrawSeed:
    """A DrawSeed from a DrawSeed, an int (k0 = low 64 bits, k1 = high 64 bits),
    a (k0, k1) pair or the published 32-hex-digit text."""
    if isinstance(value, DrawSeed):
        return value
    if isinstance(value, str):
        text = to_str(value, what)
        try:
            k0, k1 = _core.parse_seed(text)
        except InvalidArgumentError as error:  # the core's "draw seed '...': ..."
            if what != "seed":
                error.message = f"{what}: {error.message}"
                error.args = (error.message, int(error.code))
            error.argument = what
            raise
        return DrawSeed(k0=k0, k1=k1)
    if isinstance(value, tuple) and len(value) == 2:
        return DrawSeed(k0=to_uint64(value[0], f"{what} k0"), k1=to_uint64(value[1], f"{what} k1"))
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 2**128:
            raise out_of_range(what, f"{what} {value} is outside 0..2**128-1")
        return DrawSeed.from_int(value)
    raise wrong_type(what, "an int, a (k0, k1) tuple, a DrawSeed or its 32-hex-digit text",
                     value, f" ({_tuple_length(value)})" if isinstance(value, tuple) else "")


def _tuple_length(value: tuple) -> str:
    return f"a tuple of {len(value)}, not 2"


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
    for i, rule in enumerate(policy.tier_rules):
        what = f"policy tier_rules[{i}]"
        if not isinstance(rule, TierRule):
            raise wrong_type(what, "a TierRule", rule)
        tier_rules.append((
            to_optional_micros(rule.registered_before, f"{what} registered_before"),
            to_ints(rule.tier_by_group, f"{what} tier_by_group"),
        ))
    reserves = []
    for i, reserve in enumerate(policy.reserves):
        what = f"policy reserves[{i}]"
        if not isinstance(reserve, ReserveCategory):
            raise wrong_type(what, "a ReserveCategory", reserve)
        reserves.append((
            to_str(reserve.name, f"{what} name"),
            to_int(reserve.share_permille, f"{what} share_permille"),
            to_int(reserve.age_years_min, f"{what} age_years_min"),
            to_int(reserve.group_mask, f"{what} group_mask"),
            to_int(reserve.vaccine, f"{what} vaccine"),
        ))
    neighbours = []
    for i, pair in enumerate(policy.neighbours):
        what = f"policy neighbours[{i}]"
        if not isinstance(pair, tuple):
            raise wrong_type(what, "a pair of district ids", pair)
        if len(pair) != 2:
            raise invalid(what, f"{what} has {len(pair)} district ids, not 2")
        neighbours.append((to_int(pair[0], f"{what}[0]"), to_int(pair[1], f"{what}[1]")))
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


def registrant_columns(registrants: Any) -> dict[str, list]:
    """Rows (RegistrantSpec values or dicts with its field names) as columns."""
    if isinstance(registrants, (str, bytes, bytearray)) or not isinstance(registrants, Iterable):
        raise wrong_type("registrants", "a sequence of RegistrantSpec values or dicts",
                         registrants)
    specs = []
    for index, row in enumerate(registrants):
        what = f"registrants[{index}]"
        if isinstance(row, RegistrantSpec):
            specs.append(row)
        elif isinstance(row, Mapping):
            unknown = sorted(str(key) for key in row if key not in _REGISTRANT_FIELDS)
            if unknown:
                raise ArgumentTypeError(
                    f"{what} has the unknown field(s) {', '.join(unknown)} (a RegistrantSpec has "
                    f"{', '.join(_REGISTRANT_FIELDS)})", argument=what)
            try:
                specs.append(RegistrantSpec(**row))
            except TypeError as error:  # a required field missing
                raise ArgumentTypeError(f"{what}: {error}", argument=what) from None
        else:
            raise wrong_type(what, "a RegistrantSpec or dict", row)
    return {field: [getattr(spec, field) for spec in specs] for field in _REGISTRANT_FIELDS}


def registrant_args(spec: RegistrantSpec) -> dict[str, Any]:
    """One registrant's fields as _core.register takes them."""
    return {
        "external_ref": to_str(spec.external_ref, "external_ref"),
        "district": to_int(spec.district, "district"),
        "birth_day": to_ordinal(spec.birth_day, "birth_day"),
        "registered_at": to_micros(spec.registered_at, "registered_at"),
        "group": int(spec.group),
        "channel": int(spec.channel),
        "vaccine_preference": to_int(spec.vaccine_preference, "vaccine_preference"),
        "standby": to_bool(spec.standby, "standby"),
    }


def _column(values: Any, count: int, name: str, default: Any,
            convert: Callable[[Any, str], Any]) -> list:
    """A column of `count` converted values; a single value (or None for the
    default) stands for all of them and is converted once."""
    if values is None:
        values = default
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        return [convert(values, name)] * count
    values = list(values)
    if len(values) != count:
        raise invalid(name, f"column {name} has {len(values)} entries but external_ref has {count}")
    return convert_each(convert, values, name)


def _enum_converter(cls: type) -> Callable[[Any, str], int]:
    valid = frozenset(member.value for member in cls)

    def convert(value: Any, what: str) -> int:
        if type(value) is cls or (type(value) is int and value in valid):  # the usual case
            return int(value)
        return int(_coerce_enum(cls, value, what))

    return convert


_to_group = _enum_converter(PriorityGroup)
_to_channel = _enum_converter(Channel)


def register_batch_args(
    external_ref: Any,
    district: Any,
    birth_day: Any,
    registered_at: Any,
    group: Any = None,
    channel: Any = None,
    vaccine_preference: Any = None,
    standby: Any = None,
) -> dict[str, list]:
    if isinstance(external_ref, str):
        refs = [to_str(external_ref, "external_ref")]
    else:
        refs = to_strs(external_ref, "external_ref")
    count = len(refs)
    return {
        "external_ref": refs,
        "district": _column(district, count, "district", None, to_int),
        "birth_day": _column(birth_day, count, "birth_day", None, to_ordinal),
        "registered_at": _column(registered_at, count, "registered_at", None, to_micros),
        "group": _column(group, count, "group", PriorityGroup.NONE, _to_group),
        "channel": _column(channel, count, "channel", Channel.ONLINE, _to_channel),
        "vaccine_preference": _column(vaccine_preference, count, "vaccine_preference", 0,
                                      to_int),
        "standby": _column(standby, count, "standby", False, to_bool),
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
