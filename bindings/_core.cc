// vaxalloc._core: the pybind11 shim under the pure-Python package `vaxalloc`.
//
// Type adaptation only (the rules all live in the C++ core):
// - instants cross as int microseconds since the Unix epoch (UTC), civil days
//   as proleptic Gregorian ordinals (Python's date.toordinal()), enums as
//   ints, records as dicts whose keys are the Python field names;
// - one function (RaiseStatus) turns an absl::Status into the exception
//   classes defined in vaxalloc/_errors.py;
// - long calls (open, reopen, batch registration, draws, invariant checks,
//   summaries, scenario generation and population, reading and
//   acknowledging the outbox, the booking flows, attendance reports, the
//   standby list, issuing and verifying codes) run without the GIL.
//
// An Engine or Store object may be used from several Python threads: every
// call holds the object's recursive mutex, taken only after the GIL is
// released when it is busy, so the two locks can never wait on each other.
// (Recursive because a populate() progress callback may query its target.)
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"
#include "vaxalloc/version.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace vaxalloc {
namespace python {
namespace {

// ---------------------------------------------------------------------------
// Errors: the one mapping from absl::Status to Python exceptions.

const char* ErrorClassName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound: return "NotFoundError";
    case absl::StatusCode::kInvalidArgument: return "InvalidArgumentError";
    case absl::StatusCode::kAlreadyExists: return "AlreadyExistsError";
    case absl::StatusCode::kFailedPrecondition: return "FailedPreconditionError";
    case absl::StatusCode::kResourceExhausted: return "CapacityExhaustedError";
    case absl::StatusCode::kUnavailable: return "BusyError";
    case absl::StatusCode::kDataLoss: return "CorruptStoreError";
    case absl::StatusCode::kUnauthenticated: return "VerificationFailedError";
    case absl::StatusCode::kOutOfRange: return "OutOfRangeError";
    default: return "Error";
  }
}

// Raises the exception for a non-OK status; needs the GIL. `attributes`
// (may be empty) are set on the exception, e.g. a code's outcome.
[[noreturn]] void RaiseStatus(const absl::Status& status, const py::dict& attributes = py::dict()) {
  // The classes are pure Python; vaxalloc/__init__.py imports _errors before
  // _core, so this import is a dictionary lookup.
  py::object errors = py::module_::import("vaxalloc._errors");
  py::object error_class = errors.attr(ErrorClassName(status.code()));
  const std::string message(status.message());
  // Core messages may quote host text; never fail on a stray byte.
  py::object text = py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "replace"));
  py::object error = error_class(text, static_cast<int>(status.code()));
  for (const auto& [name, value] : attributes) py::setattr(error, name, value);
  PyErr_SetObject(error_class.ptr(), error.ptr());
  throw py::error_already_set();
}

void Check(const absl::Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

template <class T>
T Unwrap(absl::StatusOr<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return *std::move(result);
}

// ---------------------------------------------------------------------------
// Scalars.

// A Python int narrowed to a field's type; OutOfRange names the field.
template <class T>
T Narrow(int64_t value, const char* what) {
  if (!std::in_range<T>(value)) {
    RaiseStatus(absl::OutOfRangeError(fmt::format(
        "{} {} is out of range {}..{}", what, value,
        static_cast<int64_t>(std::numeric_limits<T>::min()),
        static_cast<uint64_t>(std::numeric_limits<T>::max()))));
  }
  return static_cast<T>(value);
}

// date(1970, 1, 1).toordinal(); Python dates span ordinals 1..3652059.
constexpr int64_t kUnixEpochOrdinal = 719'163;
constexpr int64_t kOrdinalMax = 3'652'059;

absl::CivilDay DayFromOrdinal(int64_t ordinal, const char* what) {
  if (ordinal < 1 || ordinal > kOrdinalMax) {
    RaiseStatus(absl::OutOfRangeError(
        fmt::format("{}: day ordinal {} is outside 1..{}", what, ordinal, kOrdinalMax)));
  }
  return absl::CivilDay(1970, 1, 1) + (ordinal - kUnixEpochOrdinal);
}

int64_t OrdinalFromDay(absl::CivilDay day) {
  return (day - absl::CivilDay(1970, 1, 1)) + kUnixEpochOrdinal;
}

absl::Time TimeFromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }
int64_t MicrosFromTime(absl::Time time) { return absl::ToUnixMicros(time); }

// None stands for absl::InfiniteFuture() (a tier rule without a bound).
std::optional<int64_t> OptionalMicros(absl::Time time) {
  if (time == absl::InfiniteFuture()) return std::nullopt;
  return MicrosFromTime(time);
}

template <class Enum>
Enum EnumFrom(int64_t value, int64_t min, int64_t max, const char* what) {
  if (value < min || value > max) {
    RaiseStatus(absl::InvalidArgumentError(
        fmt::format("{} {} is not one of {}..{}", what, value, min, max)));
  }
  return static_cast<Enum>(value);
}

template <class Enum>
int EnumValue(Enum value) {
  return static_cast<int>(value);
}

// ---------------------------------------------------------------------------
// Records: C++ structs to dicts keyed by the Python field names.

py::dict ToDict(const District& district) {
  return py::dict("id"_a = district.id, "code"_a = district.code, "name"_a = district.name);
}

py::dict VaccineSpecDict(const VaccineSpec& spec) {
  return py::dict("code"_a = spec.code, "name"_a = spec.name, "dose_count"_a = spec.dose_count,
                  "interval_days_min"_a = spec.interval_days_min,
                  "interval_days_target"_a = spec.interval_days_target,
                  "interval_days_max"_a = spec.interval_days_max,
                  "age_years_min"_a = spec.age_years_min,
                  "age_years_max"_a = spec.age_years_max);
}

py::dict ToDict(const Vaccine& vaccine) {
  py::dict dict = VaccineSpecDict(vaccine.spec);
  dict["id"] = vaccine.id;
  return dict;
}

py::dict CenterSpecDict(const CenterSpec& spec) {
  return py::dict("code"_a = spec.code, "name"_a = spec.name,
                  "districts"_a = py::tuple(py::cast(spec.districts)));
}

py::dict ToDict(const Center& center) {
  py::dict dict = CenterSpecDict(center.spec);
  dict["id"] = center.id;
  return dict;
}

py::dict ToDict(const CapacityBlock& block) {
  return py::dict("center"_a = block.center, "vaccine"_a = block.vaccine,
                  "first_day"_a = OrdinalFromDay(block.first_day),
                  "last_day"_a = OrdinalFromDay(block.last_day), "weekdays"_a = block.weekdays,
                  "open_minute"_a = block.open_minute, "close_minute"_a = block.close_minute,
                  "slot_minutes"_a = block.slot_minutes, "seats_first"_a = block.seats_first,
                  "seats_second"_a = block.seats_second);
}

py::dict ToDict(const SupplyDelivery& delivery) {
  return py::dict("center"_a = delivery.center, "vaccine"_a = delivery.vaccine,
                  "day"_a = OrdinalFromDay(delivery.day), "doses"_a = delivery.doses);
}

py::dict ToDict(const Policy& policy) {
  py::list tier_rules;
  for (const TierRule& rule : policy.tier_rules) {
    py::tuple tiers(kPriorityGroupCount);
    for (int g = 0; g < kPriorityGroupCount; ++g) tiers[g] = rule.tier_by_group[g];
    tier_rules.append(py::dict("registered_before"_a = OptionalMicros(rule.registered_before),
                               "tier_by_group"_a = tiers));
  }
  py::list reserves;
  for (const ReserveCategory& reserve : policy.reserves) {
    reserves.append(py::dict("name"_a = reserve.name, "share_permille"_a = reserve.share_permille,
                             "age_years_min"_a = reserve.age_years_min,
                             "group_mask"_a = reserve.group_mask, "vaccine"_a = reserve.vaccine));
  }
  py::list neighbours;
  for (const auto& [a, b] : policy.neighbours) neighbours.append(py::make_tuple(a, b));
  return py::dict("tier_rules"_a = tier_rules, "reserves"_a = reserves,
                  "residence"_a = EnumValue(policy.residence), "neighbours"_a = neighbours,
                  "time_zone"_a = policy.time_zone,
                  "hold_micros"_a = absl::ToInt64Microseconds(policy.hold),
                  "short_notice_days"_a = policy.short_notice_days,
                  "standby_hold_micros"_a = absl::ToInt64Microseconds(policy.standby_hold),
                  "code_digits"_a = policy.code_digits,
                  "code_lifetime_micros"_a = absl::ToInt64Microseconds(policy.code_lifetime),
                  "code_attempts"_a = policy.code_attempts,
                  "draw_lead_days_online"_a = policy.draw_lead_days_online,
                  "draw_lead_days_phone"_a = policy.draw_lead_days_phone,
                  "overbook_permille"_a = policy.overbook_permille);
}

py::dict RegistrantSpecDict(const RegistrantSpec& spec) {
  return py::dict("external_ref"_a = spec.external_ref, "district"_a = spec.district,
                  "birth_day"_a = OrdinalFromDay(spec.birth_day), "group"_a = EnumValue(spec.group),
                  "channel"_a = EnumValue(spec.channel),
                  "registered_at"_a = MicrosFromTime(spec.registered_at),
                  "vaccine_preference"_a = spec.vaccine_preference, "standby"_a = spec.standby);
}

py::dict ToDict(const Registrant& registrant) {
  py::dict dict = RegistrantSpecDict(registrant.spec);
  dict["id"] = registrant.id;
  dict["status"] = EnumValue(registrant.status);
  dict["waiting_since"] = MicrosFromTime(registrant.waiting_since);
  dict["series"] = registrant.series;
  dict["erased"] = registrant.erased;
  return dict;
}

py::dict ToDict(const Series& series) {
  py::list appointments;
  py::list doses;
  for (int i = 0; i < series.dose_count && i < kDoseCountMax; ++i) {
    appointments.append(py::make_tuple(OrdinalFromDay(series.appointments[i].day),
                                       series.appointments[i].minute));
    doses.append(EnumValue(series.doses[i]));
  }
  // The core sets an expiry only while the series is held (InfinitePast
  // otherwise): None in Python.
  std::optional<int64_t> hold_expires_at;
  if (series.hold_expires_at != absl::InfinitePast()) {
    hold_expires_at = MicrosFromTime(series.hold_expires_at);
  }
  return py::dict("id"_a = series.id, "registrant"_a = series.registrant,
                  "center"_a = series.center, "vaccine"_a = series.vaccine,
                  "dose_count"_a = series.dose_count, "appointments"_a = appointments,
                  "doses"_a = doses, "status"_a = EnumValue(series.status),
                  "booked_at"_a = MicrosFromTime(series.booked_at),
                  "origin"_a = EnumValue(series.origin), "draw"_a = series.draw,
                  "tier"_a = series.tier, "category"_a = series.category,
                  "release"_a = series.release, "hold_expires_at"_a = hold_expires_at,
                  "replaces"_a = series.replaces);
}

py::dict ToDict(const ReleaseSpec& spec) {
  return py::dict("center"_a = spec.center, "vaccine"_a = spec.vaccine,
                  "first_day"_a = OrdinalFromDay(spec.first_day),
                  "last_day"_a = OrdinalFromDay(spec.last_day),
                  "release_at"_a = MicrosFromTime(spec.release_at),
                  "first_dose_cap"_a = spec.first_dose_cap);
}

py::dict ToDict(const Release& release) {
  py::dict dict = ToDict(release.spec);
  dict["id"] = release.id;
  dict["booked"] = release.booked;
  return dict;
}

py::dict ToDict(const DayAttendance& attendance) {
  return py::dict("day"_a = OrdinalFromDay(attendance.day), "booked"_a = attendance.booked,
                  "given"_a = attendance.given, "missed"_a = attendance.missed,
                  "no_show_rate"_a = attendance.no_show_rate());
}

py::dict ToDict(const WaitForecast& forecast) {
  py::list tiers;
  for (const TierForecast& tier : forecast.tiers) {
    py::object last = py::none();
    if (tier.last_first_dose) last = py::int_(OrdinalFromDay(*tier.last_first_dose));
    tiers.append(py::dict("waiting"_a = tier.waiting, "waiting_ahead"_a = tier.waiting_ahead,
                          "last_first_dose"_a = last, "days"_a = tier.days));
  }
  return py::dict("today"_a = OrdinalFromDay(forecast.today),
                  "first_doses_available"_a = forecast.first_doses_available, "tiers"_a = tiers);
}

py::dict ToDict(const DrawRequest& request) {
  return py::dict("seed"_a = py::make_tuple(request.seed.k0, request.seed.k1),
                  "at"_a = MicrosFromTime(request.at),
                  "first_dose_from"_a = OrdinalFromDay(request.first_dose_from),
                  "first_dose_until"_a = OrdinalFromDay(request.first_dose_until),
                  "centers"_a = py::tuple(py::cast(request.centers)),
                  "series_limit"_a = request.series_limit);
}

py::dict ToDict(const DrawRecord& record) {
  py::list tiers;
  for (const TierCount& count : record.tiers) {
    tiers.append(py::make_tuple(count.eligible, count.assigned));
  }
  return py::dict("id"_a = record.id, "request"_a = ToDict(record.request),
                  "policy_version"_a = record.policy_version, "tiers"_a = tiers,
                  "series"_a = py::tuple(py::cast(record.series)),
                  "commitment"_a = record.commitment);
}

py::bytes BytesOf(const std::array<uint8_t, 32>& hash) {
  return py::bytes(reinterpret_cast<const char*>(hash.data()), hash.size());
}

py::dict ToDict(const DrawCommitment& commitment) {
  const bool settled = commitment.status != CommitmentStatus::kPending;
  return py::dict("id"_a = commitment.id, "request"_a = ToDict(commitment.request),
                  "beacon"_a = commitment.beacon, "commitment"_a = BytesOf(commitment.commitment),
                  "policy_version"_a = commitment.policy_version,
                  "input_bytes"_a = commitment.input_bytes,
                  "status"_a = EnumValue(commitment.status),
                  "beacon_value"_a = py::bytes(commitment.beacon_value),
                  "draw"_a = commitment.draw, "abandon_reason"_a = commitment.abandon_reason,
                  "abandoned_unchanged"_a = commitment.abandoned_unchanged,
                  "library_version"_a = commitment.library_version,
                  "settled_at"_a = settled ? py::object(py::int_(MicrosFromTime(commitment.settled_at)))
                                           : py::object(py::none()));
}

py::dict ToDict(const SlotView& slot) {
  return py::dict("day"_a = OrdinalFromDay(slot.day), "minute"_a = slot.minute,
                  "seats_first"_a = slot.seats_first, "seats_second"_a = slot.seats_second,
                  "bookable_first"_a = slot.bookable_first,
                  "bookable_second"_a = slot.bookable_second, "booked_first"_a = slot.booked_first,
                  "booked_second"_a = slot.booked_second);
}

py::dict ToDict(const SecondDoseShortfall& shortfall) {
  return py::dict("center"_a = shortfall.center, "vaccine"_a = shortfall.vaccine,
                  "day"_a = OrdinalFromDay(shortfall.day),
                  "seats_first"_a = shortfall.seats_first,
                  "seats_second_in_window"_a = shortfall.seats_second_in_window);
}

py::dict ToDict(const Report& report) {
  py::list centers;
  for (const CenterReport& center : report.centers) {
    centers.append(py::dict(
        "center"_a = center.center, "series_active"_a = center.series_active,
        "seats_first_free"_a = center.seats_first_free,
        "doses_delivered"_a = center.doses_delivered, "doses_reserved"_a = center.doses_reserved,
        "residents_waiting"_a = center.residents_waiting));
  }
  return py::dict("registrants"_a = report.registrants, "waiting"_a = report.waiting,
                  "scheduled"_a = report.scheduled, "withdrawn"_a = report.withdrawn,
                  "waiting_per_tier"_a = py::tuple(py::cast(report.waiting_per_tier)),
                  "vaccinated"_a = report.vaccinated, "series_active"_a = report.series_active,
                  "series_cancelled"_a = report.series_cancelled,
                  "series_held"_a = report.series_held,
                  "series_completed"_a = report.series_completed,
                  "series_missed"_a = report.series_missed, "doses_given"_a = report.doses_given,
                  "doses_missed"_a = report.doses_missed, "draws"_a = report.draws,
                  "centers"_a = centers);
}

py::dict ToDict(const InvariantReport& report) {
  py::list violations;
  for (const Violation& violation : report.violations) {
    violations.append(py::make_tuple(EnumValue(violation.invariant), violation.message));
  }
  return py::dict("violations"_a = violations, "violation_count"_a = report.violation_count,
                  "text"_a = report.ToString());
}

// An outbox event (Store only).
py::dict ToDict(const Event& event) {
  return py::dict("id"_a = event.id, "kind"_a = EnumValue(event.kind),
                  "at"_a = MicrosFromTime(event.at), "registrant"_a = event.registrant,
                  "series"_a = event.series, "draw"_a = event.draw, "code_id"_a = event.code_id,
                  "code"_a = event.code);
}

// A code's record without its salt and hash: with them the few digits are
// found in milliseconds, so they stay inside the library (as in the C ABI).
py::dict ToDict(const VerificationCode& code) {
  return py::dict("id"_a = code.id, "registrant"_a = code.registrant,
                  "purpose"_a = EnumValue(code.purpose), "series"_a = code.series,
                  "issued_at"_a = MicrosFromTime(code.issued_at),
                  "expires_at"_a = MicrosFromTime(code.expires_at), "attempts"_a = code.attempts,
                  "state"_a = EnumValue(code.state));
}

template <class T>
py::list ToList(const std::vector<T>& values) {
  py::list list;
  for (const T& value : values) list.append(ToDict(value));
  return list;
}

// ---------------------------------------------------------------------------
// Records: Python arguments to C++ structs.

using TierRuleArg = std::pair<std::optional<int64_t>, std::vector<int64_t>>;
using ReserveArg = std::tuple<std::string, int64_t, int64_t, int64_t, int64_t>;

Policy MakePolicy(const std::vector<TierRuleArg>& tier_rules,
                  const std::vector<ReserveArg>& reserves, int64_t residence,
                  const std::vector<std::pair<int64_t, int64_t>>& neighbours, std::string time_zone,
                  int64_t hold_micros, int64_t short_notice_days, int64_t standby_hold_micros,
                  int64_t code_digits, int64_t code_lifetime_micros, int64_t code_attempts,
                  int64_t draw_lead_days_online, int64_t draw_lead_days_phone,
                  int64_t overbook_permille) {
  Policy policy;
  for (const auto& [registered_before, tiers] : tier_rules) {
    TierRule rule;
    rule.registered_before =
        registered_before ? TimeFromMicros(*registered_before) : absl::InfiniteFuture();
    if (tiers.size() != kPriorityGroupCount) {
      RaiseStatus(absl::InvalidArgumentError(
          fmt::format("tier rule: tier_by_group has {} entries; one per priority group ({}) "
                      "expected",
                      tiers.size(), kPriorityGroupCount)));
    }
    for (int g = 0; g < kPriorityGroupCount; ++g) {
      rule.tier_by_group[g] = Narrow<uint8_t>(tiers[g], "tier rule: tier");
    }
    policy.tier_rules.push_back(rule);
  }
  for (const auto& [name, share_permille, age_years_min, group_mask, vaccine] : reserves) {
    ReserveCategory reserve;
    reserve.name = name;
    reserve.share_permille = Narrow<int>(share_permille, "reserve share_permille");
    reserve.age_years_min = Narrow<int>(age_years_min, "reserve age_years_min");
    reserve.group_mask = Narrow<uint8_t>(group_mask, "reserve group_mask");
    reserve.vaccine = Narrow<VaccineId>(vaccine, "reserve vaccine id");
    policy.reserves.push_back(std::move(reserve));
  }
  policy.residence = EnumFrom<ResidenceRule>(residence, 0, 1, "residence rule");
  for (const auto& [a, b] : neighbours) {
    policy.neighbours.emplace_back(Narrow<DistrictId>(a, "neighbour district id"),
                                   Narrow<DistrictId>(b, "neighbour district id"));
  }
  policy.time_zone = std::move(time_zone);
  policy.hold = absl::Microseconds(hold_micros);
  policy.short_notice_days = Narrow<int>(short_notice_days, "policy short_notice_days");
  policy.standby_hold = absl::Microseconds(standby_hold_micros);
  policy.code_digits = Narrow<int>(code_digits, "policy code_digits");
  policy.code_lifetime = absl::Microseconds(code_lifetime_micros);
  policy.code_attempts = Narrow<int>(code_attempts, "policy code_attempts");
  policy.draw_lead_days_online = Narrow<int>(draw_lead_days_online, "policy draw_lead_days_online");
  policy.draw_lead_days_phone = Narrow<int>(draw_lead_days_phone, "policy draw_lead_days_phone");
  policy.overbook_permille = Narrow<int>(overbook_permille, "policy overbook_permille");
  return policy;
}

VaccineSpec MakeVaccineSpec(std::string code, std::string name, int64_t dose_count,
                            int64_t interval_days_min, int64_t interval_days_target,
                            int64_t interval_days_max, int64_t age_years_min,
                            int64_t age_years_max) {
  VaccineSpec spec;
  spec.code = std::move(code);
  spec.name = std::move(name);
  spec.dose_count = Narrow<int>(dose_count, "vaccine dose_count");
  spec.interval_days_min = Narrow<int>(interval_days_min, "vaccine interval_days_min");
  spec.interval_days_target = Narrow<int>(interval_days_target, "vaccine interval_days_target");
  spec.interval_days_max = Narrow<int>(interval_days_max, "vaccine interval_days_max");
  spec.age_years_min = Narrow<int>(age_years_min, "vaccine age_years_min");
  spec.age_years_max = Narrow<int>(age_years_max, "vaccine age_years_max");
  return spec;
}

// Registrants arrive as parallel columns: one conversion per column, not
// one boundary crossing per person.
struct RegistrantColumns {
  std::vector<std::string> external_ref;
  std::vector<int64_t> district;
  std::vector<int64_t> birth_day;
  std::vector<int64_t> group;
  std::vector<int64_t> channel;
  std::vector<int64_t> registered_at;
  std::vector<int64_t> vaccine_preference;
  std::vector<bool> standby;
};

std::vector<RegistrantSpec> MakeRegistrantSpecs(const RegistrantColumns& columns) {
  const size_t count = columns.external_ref.size();
  const std::pair<const char*, size_t> sizes[] = {
      {"district", columns.district.size()},
      {"birth_day", columns.birth_day.size()},
      {"group", columns.group.size()},
      {"channel", columns.channel.size()},
      {"registered_at", columns.registered_at.size()},
      {"vaccine_preference", columns.vaccine_preference.size()},
      {"standby", columns.standby.size()},
  };
  for (const auto& [name, size] : sizes) {
    if (size != count) {
      RaiseStatus(absl::InvalidArgumentError(fmt::format(
          "register_batch: column {} has {} entries but external_ref has {}", name, size, count)));
    }
  }
  std::vector<RegistrantSpec> specs(count);
  for (size_t i = 0; i < count; ++i) {
    RegistrantSpec& spec = specs[i];
    spec.external_ref = columns.external_ref[i];
    spec.district = Narrow<DistrictId>(columns.district[i], "registrant district id");
    spec.birth_day = DayFromOrdinal(columns.birth_day[i], "registrant birth_day");
    spec.group = EnumFrom<PriorityGroup>(columns.group[i], 1, 4, "registrant priority group");
    spec.channel = EnumFrom<Channel>(columns.channel[i], 0, 1, "registrant channel");
    spec.registered_at = TimeFromMicros(columns.registered_at[i]);
    spec.vaccine_preference =
        Narrow<VaccineId>(columns.vaccine_preference[i], "registrant vaccine_preference");
    spec.standby = columns.standby[i];
  }
  return specs;
}

DrawRequest MakeDrawRequest(uint64_t seed_k0, uint64_t seed_k1, int64_t at,
                            int64_t first_dose_from, int64_t first_dose_until,
                            const std::vector<int64_t>& centers, int64_t series_limit) {
  DrawRequest request;
  request.seed = DrawSeed{seed_k0, seed_k1};
  request.at = TimeFromMicros(at);
  request.first_dose_from = DayFromOrdinal(first_dose_from, "draw first_dose_from");
  request.first_dose_until = DayFromOrdinal(first_dose_until, "draw first_dose_until");
  for (int64_t center : centers) request.centers.push_back(Narrow<CenterId>(center, "center id"));
  request.series_limit = Narrow<uint32_t>(series_limit, "draw series_limit");
  return request;
}

ReleaseSpec MakeReleaseSpec(int64_t center, int64_t vaccine, int64_t first_day, int64_t last_day,
                            int64_t release_at, int64_t first_dose_cap) {
  ReleaseSpec spec;
  spec.center = Narrow<CenterId>(center, "release center id");
  spec.vaccine = Narrow<VaccineId>(vaccine, "release vaccine id");
  spec.first_day = DayFromOrdinal(first_day, "release first_day");
  spec.last_day = DayFromOrdinal(last_day, "release last_day");
  spec.release_at = TimeFromMicros(release_at);
  spec.first_dose_cap = Narrow<uint32_t>(first_dose_cap, "release first_dose_cap");
  return spec;
}

// None for a day of the window keeps the core's default (no bound).
BookingRequest MakeBookingRequest(int64_t registrant, int64_t at, int64_t mode, int64_t center,
                                  int64_t vaccine, std::optional<int64_t> first_dose_from,
                                  std::optional<int64_t> first_dose_until, bool confirm) {
  BookingRequest request;
  request.registrant = Narrow<RegistrantId>(registrant, "booking registrant id");
  request.at = TimeFromMicros(at);
  request.mode = EnumFrom<BookingMode>(mode, EnumValue(BookingMode::kRelease),
                                       EnumValue(BookingMode::kStandby), "booking mode");
  request.center = Narrow<CenterId>(center, "booking center id");
  request.vaccine = Narrow<VaccineId>(vaccine, "booking vaccine id");
  if (first_dose_from) {
    request.first_dose_from = DayFromOrdinal(*first_dose_from, "booking first_dose_from");
  }
  if (first_dose_until) {
    request.first_dose_until = DayFromOrdinal(*first_dose_until, "booking first_dose_until");
  }
  request.confirm = confirm;
  return request;
}

// ---------------------------------------------------------------------------
// Handles: an Engine or a Store plus the mutex that serializes its callers.

struct EngineHandle {
  std::recursive_mutex mutex;
  Engine engine;

  absl::Status CheckOpen() const { return absl::OkStatus(); }
  absl::Status CatchUp() { return absl::OkStatus(); }
  Engine& target() { return engine; }
  const Engine& view() const { return engine; }
};

struct StoreHandle {
  std::recursive_mutex mutex;
  std::unique_ptr<Store> store;
  std::string path;
  StoreOptions options;

  absl::Status CheckOpen() const {
    if (store != nullptr) return absl::OkStatus();
    return absl::FailedPreconditionError(
        fmt::format("the Store of campaign file '{}' is closed", path));
  }
  // What other connections committed: every call applies it first, so that
  // it answers from the file as it is now.
  absl::Status CatchUp() { return store->Refresh(); }
  Store& target() { return *store; }
  const Engine& view() const { return store->engine(); }
};

// A quick call keeps the GIL, except to catch up with other connections (a
// replay may be long). If another thread holds the handle (in a long call,
// without the GIL), it waits for it without the GIL.
template <class Handle, class Fn>
auto Quick(Handle& handle, Fn&& fn) -> decltype(fn()) {
  std::unique_lock<std::recursive_mutex> lock(handle.mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    py::gil_scoped_release release;
    lock.lock();
  }
  Check(handle.CheckOpen());
  if constexpr (std::is_same_v<Handle, StoreHandle>) {
    absl::Status caught_up;
    {
      py::gil_scoped_release release;
      caught_up = handle.CatchUp();
    }
    Check(caught_up);
  }
  return fn();
}

// A long call runs without the GIL: `fn` must not touch Python objects and
// returns a Status or StatusOr, raised once the GIL is back. `catch_up` off:
// the journal's own inspection, which must work on a journal that no longer
// chains.
template <class Handle, class Fn>
auto Slow(Handle& handle, Fn&& fn, bool catch_up = true) -> decltype(fn()) {
  py::gil_scoped_release release;
  std::lock_guard<std::recursive_mutex> lock(handle.mutex);
  if (absl::Status open = handle.CheckOpen(); !open.ok()) return open;
  if (catch_up) {
    if (absl::Status caught_up = handle.CatchUp(); !caught_up.ok()) return caught_up;
  }
  return fn();
}

// The methods Engine and Store share: every mutation and every query.
template <class Handle>
void DefineSetup(py::class_<Handle>& cls) {
  cls.def(
      "add_district",
      [](Handle& h, const std::string& code, const std::string& name) {
        return Quick(h, [&] { return Unwrap(h.target().AddDistrict(code, name)); });
      },
      py::kw_only(), "code"_a, "name"_a);
  cls.def(
      "add_vaccine",
      [](Handle& h, std::string code, std::string name, int64_t dose_count,
         int64_t interval_days_min, int64_t interval_days_target, int64_t interval_days_max,
         int64_t age_years_min, int64_t age_years_max) {
        const VaccineSpec spec =
            MakeVaccineSpec(std::move(code), std::move(name), dose_count, interval_days_min,
                            interval_days_target, interval_days_max, age_years_min, age_years_max);
        return Quick(h, [&] { return Unwrap(h.target().AddVaccine(spec)); });
      },
      py::kw_only(), "code"_a, "name"_a, "dose_count"_a, "interval_days_min"_a,
      "interval_days_target"_a, "interval_days_max"_a, "age_years_min"_a, "age_years_max"_a);
  cls.def(
      "add_center",
      [](Handle& h, std::string code, std::string name, const std::vector<int64_t>& districts) {
        CenterSpec spec;
        spec.code = std::move(code);
        spec.name = std::move(name);
        for (int64_t district : districts) {
          spec.districts.push_back(Narrow<DistrictId>(district, "center district id"));
        }
        return Quick(h, [&] { return Unwrap(h.target().AddCenter(spec)); });
      },
      py::kw_only(), "code"_a, "name"_a, "districts"_a);
  cls.def(
      "add_capacity",
      [](Handle& h, int64_t center, int64_t vaccine, int64_t first_day, int64_t last_day,
         int64_t weekdays, int64_t open_minute, int64_t close_minute, int64_t slot_minutes,
         int64_t seats_first, int64_t seats_second) {
        CapacityBlock block;
        block.center = Narrow<CenterId>(center, "capacity center id");
        block.vaccine = Narrow<VaccineId>(vaccine, "capacity vaccine id");
        block.first_day = DayFromOrdinal(first_day, "capacity first_day");
        block.last_day = DayFromOrdinal(last_day, "capacity last_day");
        block.weekdays = Narrow<uint8_t>(weekdays, "capacity weekdays");
        block.open_minute = Narrow<int>(open_minute, "capacity open_minute");
        block.close_minute = Narrow<int>(close_minute, "capacity close_minute");
        block.slot_minutes = Narrow<int>(slot_minutes, "capacity slot_minutes");
        block.seats_first = Narrow<int>(seats_first, "capacity seats_first");
        block.seats_second = Narrow<int>(seats_second, "capacity seats_second");
        Quick(h, [&] { Check(h.target().AddCapacity(block)); });
      },
      py::kw_only(), "center"_a, "vaccine"_a, "first_day"_a, "last_day"_a, "weekdays"_a,
      "open_minute"_a, "close_minute"_a, "slot_minutes"_a, "seats_first"_a, "seats_second"_a);
  cls.def(
      "add_supply",
      [](Handle& h, int64_t center, int64_t vaccine, int64_t day, int64_t doses) {
        SupplyDelivery delivery;
        delivery.center = Narrow<CenterId>(center, "supply center id");
        delivery.vaccine = Narrow<VaccineId>(vaccine, "supply vaccine id");
        delivery.day = DayFromOrdinal(day, "supply day");
        delivery.doses = doses;
        Quick(h, [&] { Check(h.target().AddSupply(delivery)); });
      },
      py::kw_only(), "center"_a, "vaccine"_a, "day"_a, "doses"_a);
  cls.def(
      "set_policy",
      [](Handle& h, const std::vector<TierRuleArg>& tier_rules,
         const std::vector<ReserveArg>& reserves, int64_t residence,
         const std::vector<std::pair<int64_t, int64_t>>& neighbours, std::string time_zone,
         int64_t hold_micros, int64_t short_notice_days, int64_t standby_hold_micros,
         int64_t code_digits, int64_t code_lifetime_micros, int64_t code_attempts,
         int64_t draw_lead_days_online, int64_t draw_lead_days_phone, int64_t overbook_permille) {
        const Policy policy = MakePolicy(
            tier_rules, reserves, residence, neighbours, std::move(time_zone), hold_micros,
            short_notice_days, standby_hold_micros, code_digits, code_lifetime_micros,
            code_attempts, draw_lead_days_online, draw_lead_days_phone, overbook_permille);
        return Quick(h, [&] { return Unwrap(h.target().SetPolicy(policy)); });
      },
      py::kw_only(), "tier_rules"_a, "reserves"_a, "residence"_a, "neighbours"_a, "time_zone"_a,
      "hold_micros"_a, "short_notice_days"_a, "standby_hold_micros"_a, "code_digits"_a,
      "code_lifetime_micros"_a, "code_attempts"_a, "draw_lead_days_online"_a,
      "draw_lead_days_phone"_a, "overbook_permille"_a);
  cls.def(
      "add_release",
      [](Handle& h, int64_t center, int64_t vaccine, int64_t first_day, int64_t last_day,
         int64_t release_at, int64_t first_dose_cap) {
        const ReleaseSpec spec =
            MakeReleaseSpec(center, vaccine, first_day, last_day, release_at, first_dose_cap);
        return Quick(h, [&] { return Unwrap(h.target().AddRelease(spec)); });
      },
      py::kw_only(), "center"_a, "vaccine"_a, "first_day"_a, "last_day"_a, "release_at"_a,
      "first_dose_cap"_a);

}

template <class Handle>
void DefineAllocation(py::class_<Handle>& cls) {
  cls.def(
      "register",
      [](Handle& h, std::string external_ref, int64_t district, int64_t birth_day,
         int64_t group, int64_t channel, int64_t registered_at, int64_t vaccine_preference,
         bool standby) {
        const std::vector<RegistrantSpec> specs = MakeRegistrantSpecs(
            {{std::move(external_ref)}, {district}, {birth_day}, {group}, {channel},
             {registered_at}, {vaccine_preference}, {standby}});
        return Quick(h, [&] { return Unwrap(h.target().Register(specs[0])); });
      },
      py::kw_only(), "external_ref"_a, "district"_a, "birth_day"_a, "group"_a, "channel"_a,
      "registered_at"_a, "vaccine_preference"_a, "standby"_a);
  cls.def(
      "register_batch",
      [](Handle& h, std::vector<std::string> external_ref, std::vector<int64_t> district,
         std::vector<int64_t> birth_day, std::vector<int64_t> group, std::vector<int64_t> channel,
         std::vector<int64_t> registered_at, std::vector<int64_t> vaccine_preference,
         std::vector<bool> standby) {
        std::vector<RegistrantSpec> specs;
        {
          const RegistrantColumns columns{
              std::move(external_ref), std::move(district),      std::move(birth_day),
              std::move(group),        std::move(channel),       std::move(registered_at),
              std::move(vaccine_preference), std::move(standby)};
          specs = MakeRegistrantSpecs(columns);
        }
        return Unwrap(Slow(h, [&] { return h.target().RegisterBatch(specs); }));
      },
      py::kw_only(), "external_ref"_a, "district"_a, "birth_day"_a, "group"_a, "channel"_a,
      "registered_at"_a, "vaccine_preference"_a, "standby"_a);
  cls.def(
      "draw",
      [](Handle& h, uint64_t seed_k0, uint64_t seed_k1, int64_t at, int64_t first_dose_from,
         int64_t first_dose_until, const std::vector<int64_t>& centers, int64_t series_limit) {
        const DrawRequest request = MakeDrawRequest(seed_k0, seed_k1, at, first_dose_from,
                                                    first_dose_until, centers, series_limit);
        const DrawRecord record = Unwrap(Slow(h, [&] { return h.target().Draw(request); }));
        return ToDict(record);
      },
      py::kw_only(), "seed_k0"_a, "seed_k1"_a, "at"_a, "first_dose_from"_a, "first_dose_until"_a,
      "centers"_a, "series_limit"_a);
  cls.def(
      "commit_draw",
      [](Handle& h, int64_t at, int64_t first_dose_from, int64_t first_dose_until,
         const std::vector<int64_t>& centers, int64_t series_limit, const std::string& beacon) {
        const DrawRequest request =
            MakeDrawRequest(0, 0, at, first_dose_from, first_dose_until, centers, series_limit);
        return ToDict(Unwrap(Slow(h, [&] { return h.target().CommitDraw(request, beacon); })));
      },
      py::kw_only(), "at"_a, "first_dose_from"_a, "first_dose_until"_a, "centers"_a,
      "series_limit"_a, "beacon"_a);
  cls.def(
      "reveal_draw",
      [](Handle& h, int64_t commitment, const py::bytes& beacon_value, int64_t at) {
        const CommitmentId id = Narrow<CommitmentId>(commitment, "draw commitment id");
        const std::string value = beacon_value;
        return ToDict(Unwrap(
            Slow(h, [&] { return h.target().RevealDraw(id, value, TimeFromMicros(at)); })));
      },
      "commitment"_a, "beacon_value"_a, py::kw_only(), "at"_a);
  cls.def(
      "abandon_draw",
      [](Handle& h, int64_t commitment, const std::string& reason, int64_t at) {
        const CommitmentId id = Narrow<CommitmentId>(commitment, "draw commitment id");
        Check(Slow(h, [&] { return h.target().AbandonDraw(id, reason, TimeFromMicros(at)); }));
      },
      "commitment"_a, "reason"_a, py::kw_only(), "at"_a);
  cls.def("get_draw_commitment", [](Handle& h, int64_t id) {
    const CommitmentId narrow = Narrow<CommitmentId>(id, "draw commitment id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetDrawCommitment(narrow))); });
  });
  cls.def("draw_bundle", [](Handle& h, int64_t id) {
    const CommitmentId narrow = Narrow<CommitmentId>(id, "draw commitment id");
    // Tens of MB for a large draw: built without the GIL.
    return py::bytes(Unwrap(Slow(h, [&] { return h.view().DrawBundle(narrow); })));
  });
  cls.def(
      "draw_fairness",
      [](Handle& h, int64_t id, int64_t buckets) {
        const CommitmentId narrow = Narrow<CommitmentId>(id, "draw commitment id");
        const int bucket_count = Narrow<int>(buckets, "buckets");
        const DrawFairness fairness =
            Unwrap(Slow(h, [&] { return h.view().CheckDrawFairness(narrow, bucket_count); }));
        py::list tiers;
        for (const TierFairness& tier : fairness.tiers) {
          tiers.append(py::dict("tier"_a = tier.tier, "candidates"_a = tier.candidates,
                                "winners"_a = tier.winners, "buckets"_a = tier.buckets,
                                "chi_square"_a = tier.chi_square,
                                "degrees_of_freedom"_a = tier.degrees_of_freedom));
        }
        return py::dict("commitment"_a = fairness.commitment, "buckets"_a = fairness.buckets,
                        "tiers"_a = tiers, "chi_square"_a = fairness.chi_square,
                        "degrees_of_freedom"_a = fairness.degrees_of_freedom,
                        "p_value"_a = fairness.p_value);
      },
      "commitment"_a, "buckets"_a);
  cls.def("draw_inputs", [](Handle& h, int64_t id) {
    const CommitmentId narrow = Narrow<CommitmentId>(id, "draw commitment id");
    return py::bytes(Unwrap(Slow(h, [&] { return h.view().DrawInputs(narrow); })));
  });
  cls.def(
      "cancel_series",
      [](Handle& h, int64_t series, int64_t at) {
        const SeriesId id = Narrow<SeriesId>(series, "series id");
        Quick(h, [&] { Check(h.target().CancelSeries(id, TimeFromMicros(at))); });
      },
      "series"_a, py::kw_only(), "at"_a);
  cls.def(
      "withdraw",
      [](Handle& h, int64_t registrant, int64_t at) {
        const RegistrantId id = Narrow<RegistrantId>(registrant, "registrant id");
        Quick(h, [&] { Check(h.target().Withdraw(id, TimeFromMicros(at))); });
      },
      "registrant"_a, py::kw_only(), "at"_a);
  cls.def(
      "delete_registration",
      [](Handle& h, int64_t registrant, int64_t at) {
        const RegistrantId id = Narrow<RegistrantId>(registrant, "registrant id");
        Quick(h, [&] { Check(h.target().DeleteRegistration(id, TimeFromMicros(at))); });
      },
      "registrant"_a, py::kw_only(), "at"_a);
}

// Self-booking and attendance. Every call runs without the GIL: a booking
// searches every pool the person may use, expiry may let many holds lapse,
// and for a Store each is a transaction that may wait for the write lock.
template <class Handle>
void DefineBooking(py::class_<Handle>& cls) {
  cls.def(
      "book",
      [](Handle& h, int64_t registrant, int64_t at, int64_t mode, int64_t center,
         int64_t vaccine, std::optional<int64_t> first_dose_from,
         std::optional<int64_t> first_dose_until, bool confirm) {
        const BookingRequest request = MakeBookingRequest(
            registrant, at, mode, center, vaccine, first_dose_from, first_dose_until, confirm);
        return ToDict(Unwrap(Slow(h, [&] { return h.target().Book(request); })));
      },
      py::kw_only(), "registrant"_a, "at"_a, "mode"_a, "center"_a, "vaccine"_a,
      "first_dose_from"_a, "first_dose_until"_a, "confirm"_a);
  cls.def(
      "confirm_hold",
      [](Handle& h, int64_t hold, int64_t at) {
        const SeriesId id = Narrow<SeriesId>(hold, "hold series id");
        return ToDict(
            Unwrap(Slow(h, [&] { return h.target().ConfirmHold(id, TimeFromMicros(at)); })));
      },
      "hold"_a, py::kw_only(), "at"_a);
  cls.def(
      "decline_hold",
      [](Handle& h, int64_t hold, int64_t at) {
        const SeriesId id = Narrow<SeriesId>(hold, "hold series id");
        Check(Slow(h, [&] { return h.target().DeclineHold(id, TimeFromMicros(at)); }));
      },
      "hold"_a, py::kw_only(), "at"_a);
  cls.def(
      "expire_holds",
      [](Handle& h, int64_t at) {
        return Unwrap(Slow(h, [&] { return h.target().ExpireHolds(TimeFromMicros(at)); }));
      },
      py::kw_only(), "at"_a);
  cls.def(
      "record_dose",
      [](Handle& h, int64_t series, int64_t dose, int64_t outcome, int64_t at) {
        const SeriesId id = Narrow<SeriesId>(series, "series id");
        const int dose_number = Narrow<int>(dose, "dose");
        const DoseOutcome dose_outcome =
            EnumFrom<DoseOutcome>(outcome, EnumValue(DoseOutcome::kGiven),
                                  EnumValue(DoseOutcome::kMissed), "dose outcome");
        return ToDict(Unwrap(Slow(h, [&] {
          return h.target().RecordDose(id, dose_number, dose_outcome, TimeFromMicros(at));
        })));
      },
      "series"_a, py::kw_only(), "dose"_a, "outcome"_a, "at"_a);
  cls.def(
      "rebook_second_dose",
      [](Handle& h, int64_t series, int64_t at) {
        const SeriesId id = Narrow<SeriesId>(series, "series id");
        return ToDict(
            Unwrap(Slow(h, [&] { return h.target().RebookSecondDose(id, TimeFromMicros(at)); })));
      },
      "series"_a, py::kw_only(), "at"_a);
  cls.def(
      "attendance",
      [](Handle& h, int64_t center, int64_t first_day, int64_t last_day) {
        const CenterId id = Narrow<CenterId>(center, "center id");
        const absl::CivilDay from = DayFromOrdinal(first_day, "attendance first_day");
        const absl::CivilDay until = DayFromOrdinal(last_day, "attendance last_day");
        return ToList(Unwrap(Slow(h, [&] { return h.view().Attendance(id, from, until); })));
      },
      "center"_a, py::kw_only(), "first_day"_a, "last_day"_a);
  // Walks every registrant: without the GIL.
  cls.def(
      "standby_list",
      [](Handle& h, int64_t center, int64_t at, int64_t limit) {
        const CenterId id = Narrow<CenterId>(center, "center id");
        // The core takes any size; this keeps a negative limit from wrapping.
        if (limit < 0) {
          RaiseStatus(
              absl::InvalidArgumentError(fmt::format("standby list: limit {} is negative", limit)));
        }
        return Unwrap(Slow(h, [&] {
          return h.view().StandbyList(id, TimeFromMicros(at), static_cast<size_t>(limit));
        }));
      },
      "center"_a, py::kw_only(), "at"_a, "limit"_a);
}

// The values of CodeOutcome are 0..4; this one says "no outcome" (the code
// was unknown or the entry malformed, so the core never got to check it).
constexpr auto kNoCodeOutcome = static_cast<CodeOutcome>(0xFF);

// One-time codes. Issuing and verifying run without the GIL: for a Store
// each is a transaction that may wait for the write lock (a wrong entry is
// committed too).
template <class Handle>
void DefineCodes(py::class_<Handle>& cls) {
  cls.def(
      "issue_code",
      [](Handle& h, int64_t registrant, int64_t purpose, int64_t series, int64_t at) {
        CodeRequest request;
        request.registrant = Narrow<RegistrantId>(registrant, "code registrant id");
        request.purpose = EnumFrom<CodePurpose>(purpose, EnumValue(CodePurpose::kCancelSeries),
                                                EnumValue(CodePurpose::kWithdraw), "code purpose");
        request.series = Narrow<SeriesId>(series, "code series id");
        request.at = TimeFromMicros(at);
        const IssuedCode issued = Unwrap(Slow(h, [&] { return h.target().IssueCode(request); }));
        return py::dict("code_id"_a = issued.record.id, "code"_a = issued.code,
                        "record"_a = ToDict(issued.record));
      },
      "registrant"_a, py::kw_only(), "purpose"_a, "series"_a, "at"_a);
  cls.def(
      "verify_code",
      [](Handle& h, int64_t code, const std::string& entered, int64_t at) {
        const CodeId id = Narrow<CodeId>(code, "code id");
        CodeOutcome outcome = kNoCodeOutcome;
        const absl::Status status = Slow(
            h, [&] { return h.target().VerifyCode(id, entered, TimeFromMicros(at), &outcome); });
        if (status.ok()) return;
        // The outcome goes with the error (wrong, expired, locked, used or
        // superseded); none when the core never got to check the code.
        py::dict attributes;
        if (outcome != kNoCodeOutcome) attributes["outcome"] = EnumValue(outcome);
        RaiseStatus(status, attributes);
      },
      "code_id"_a, py::kw_only(), "entered"_a, "at"_a);
  cls.def("get_code", [](Handle& h, int64_t id) {
    const CodeId narrow = Narrow<CodeId>(id, "code id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetCode(narrow))); });
  });
}

template <class Handle>
void DefineQueries(py::class_<Handle>& cls) {
  cls.def("counts", [](Handle& h) {
    return Quick(h, [&] {
      const Engine& e = h.view();
      return py::dict("districts"_a = e.district_count(), "vaccines"_a = e.vaccine_count(),
                      "centers"_a = e.center_count(), "registrants"_a = e.registrant_count(),
                      "series"_a = e.series_count(), "draws"_a = e.draw_count(),
                      "releases"_a = e.release_count(), "holds"_a = e.hold_count(),
                      "codes"_a = e.code_count(), "draw_commitments"_a = e.draw_commitment_count(),
                      "revision"_a = e.revision(),
                      "policy_version"_a = e.policy_version());
    });
  });
  // None before any stamped change.
  cls.def("latest_change", [](Handle& h) {
    return Quick(h, [&]() -> py::object {
      const absl::Time at = h.view().latest_change();
      if (at == absl::InfinitePast()) return py::none();
      return py::int_(absl::ToUnixMicros(at));
    });
  });
  cls.def("get_district", [](Handle& h, int64_t id) {
    const DistrictId narrow = Narrow<DistrictId>(id, "district id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetDistrict(narrow))); });
  });
  cls.def("get_vaccine", [](Handle& h, int64_t id) {
    const VaccineId narrow = Narrow<VaccineId>(id, "vaccine id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetVaccine(narrow))); });
  });
  cls.def("get_center", [](Handle& h, int64_t id) {
    const CenterId narrow = Narrow<CenterId>(id, "center id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetCenter(narrow))); });
  });
  cls.def("get_registrants", [](Handle& h, const std::vector<int64_t>& ids) {
    std::vector<RegistrantId> narrow;
    narrow.reserve(ids.size());
    for (int64_t id : ids) narrow.push_back(Narrow<RegistrantId>(id, "registrant id"));
    return Quick(h, [&] {
      py::list list;
      for (RegistrantId id : narrow) list.append(ToDict(Unwrap(h.view().GetRegistrant(id))));
      return list;
    });
  });
  cls.def("get_series", [](Handle& h, const std::vector<int64_t>& ids) {
    std::vector<SeriesId> narrow;
    narrow.reserve(ids.size());
    for (int64_t id : ids) narrow.push_back(Narrow<SeriesId>(id, "series id"));
    return Quick(h, [&] {
      py::list list;
      for (SeriesId id : narrow) list.append(ToDict(Unwrap(h.view().GetSeries(id))));
      return list;
    });
  });
  cls.def("get_draw", [](Handle& h, int64_t id) {
    const DrawId narrow = Narrow<DrawId>(id, "draw id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetDraw(narrow))); });
  });
  cls.def("get_release", [](Handle& h, int64_t id) {
    const ReleaseId narrow = Narrow<ReleaseId>(id, "release id");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetRelease(narrow))); });
  });
  cls.def("find_district", [](Handle& h, const std::string& code) {
    return Quick(h, [&] { return Unwrap(h.view().FindDistrict(code)); });
  });
  cls.def("find_vaccine", [](Handle& h, const std::string& code) {
    return Quick(h, [&] { return Unwrap(h.view().FindVaccine(code)); });
  });
  cls.def("find_center", [](Handle& h, const std::string& code) {
    return Quick(h, [&] { return Unwrap(h.view().FindCenter(code)); });
  });
  cls.def("find_registrants", [](Handle& h, const std::vector<std::string>& external_refs) {
    return Quick(h, [&] {
      std::vector<RegistrantId> ids;
      ids.reserve(external_refs.size());
      for (const std::string& ref : external_refs) {
        ids.push_back(Unwrap(h.view().FindRegistrant(ref)));
      }
      return ids;
    });
  });
  cls.def("policy", [](Handle& h) { return Quick(h, [&] { return ToDict(h.view().policy()); }); });
  cls.def("get_policy", [](Handle& h, int64_t version) {
    const uint32_t narrow = Narrow<uint32_t>(version, "policy version");
    return Quick(h, [&] { return ToDict(Unwrap(h.view().GetPolicy(narrow)).policy); });
  });
  cls.def(
      "tier_of",
      [](Handle& h, int64_t registrant, int64_t policy_version) {
        const RegistrantId id = Narrow<RegistrantId>(registrant, "registrant id");
        const uint32_t version = Narrow<uint32_t>(policy_version, "policy version");
        return Quick(h, [&] { return Unwrap(h.view().TierOf(id, version)); });
      },
      "registrant"_a, py::kw_only(), "policy_version"_a);
  cls.def("capacity_blocks",
          [](Handle& h) { return Quick(h, [&] { return ToList(h.view().capacity_blocks()); }); });
  cls.def("deliveries",
          [](Handle& h) { return Quick(h, [&] { return ToList(h.view().deliveries()); }); });
  cls.def(
      "slots",
      [](Handle& h, int64_t center, int64_t vaccine, int64_t day) {
        const CenterId center_id = Narrow<CenterId>(center, "center id");
        const VaccineId vaccine_id = Narrow<VaccineId>(vaccine, "vaccine id");
        const absl::CivilDay civil_day = DayFromOrdinal(day, "slots day");
        return Quick(h, [&] { return ToList(h.view().Slots(center_id, vaccine_id, civil_day)); });
      },
      py::kw_only(), "center"_a, "vaccine"_a, "day"_a);
  cls.def(
      "doses_available_from",
      [](Handle& h, int64_t center, int64_t vaccine, int64_t day) {
        const CenterId center_id = Narrow<CenterId>(center, "center id");
        const VaccineId vaccine_id = Narrow<VaccineId>(vaccine, "vaccine id");
        const absl::CivilDay civil_day = DayFromOrdinal(day, "doses_available_from day");
        return Quick(h, [&] {
          return h.view().DosesAvailableFrom(center_id, vaccine_id, civil_day);
        });
      },
      py::kw_only(), "center"_a, "vaccine"_a, "day"_a);
}

// Queries that walk the whole campaign run without the GIL.
template <class Handle>
void DefineChecks(py::class_<Handle>& cls) {
  cls.def("check_second_dose_capacity", [](Handle& h) {
    const std::vector<SecondDoseShortfall> shortfalls =
        Unwrap(Slow(h, [&]() -> absl::StatusOr<std::vector<SecondDoseShortfall>> {
          return h.view().CheckSecondDoseCapacity();
        }));
    return ToList(shortfalls);
  });
  cls.def("summarize", [](Handle& h) {
    const Report report = Unwrap(Slow(h, [&]() -> absl::StatusOr<Report> {
      return h.view().Summarize();
    }));
    return ToDict(report);
  });
  // Walks every registrant and pool day: without the GIL.
  cls.def(
      "forecast_wait",
      [](Handle& h, int64_t at) {
        const absl::Time time = TimeFromMicros(at);
        return ToDict(Unwrap(Slow(h, [&] { return h.view().ForecastWait(time); })));
      },
      py::kw_only(), "at"_a);
  cls.def("check_invariants", [](Handle& h) {
    const InvariantReport report = Unwrap(Slow(h, [&]() -> absl::StatusOr<InvariantReport> {
      return CheckInvariants(h.view());
    }));
    return ToDict(report);
  });
}

template <class Handle>
void DefineCampaignMethods(py::class_<Handle>& cls) {
  DefineSetup(cls);
  DefineAllocation(cls);
  DefineBooking(cls);
  DefineCodes(cls);
  DefineQueries(cls);
  DefineChecks(cls);
}

// ---------------------------------------------------------------------------
// The outbox (Store only: an Engine writes no events).

void DefineOutbox(py::class_<StoreHandle>& cls) {
  // Both run without the GIL: a page may be long, and acknowledging may wait
  // for another connection's write lock.
  cls.def(
      "pending_events",
      [](StoreHandle& h, int64_t after_id, int64_t limit) {
        const uint64_t after = Narrow<uint64_t>(after_id, "after_id");
        // The core checks the range too; this keeps a negative limit from
        // wrapping into a huge size_t first.
        if (limit < 1 || static_cast<uint64_t>(limit) > kEventsPerReadMax) {
          RaiseStatus(absl::InvalidArgumentError(fmt::format(
              "pending_events: limit {} is outside 1..{}", limit, kEventsPerReadMax)));
        }
        const std::vector<Event> events = Unwrap(Slow(h, [&] {
          return h.store->PendingEvents(after, static_cast<size_t>(limit));
        }));
        return ToList(events);
      },
      py::kw_only(), "after_id"_a, "limit"_a);
  cls.def(
      "acknowledge_events",
      [](StoreHandle& h, int64_t through_id) {
        const uint64_t through = Narrow<uint64_t>(through_id, "through_id");
        Check(Slow(h, [&] { return h.store->AcknowledgeEvents(through); }));
      },
      "through_id"_a);
}

// ---------------------------------------------------------------------------
// The journal (Store only).

void DefineJournal(py::class_<StoreHandle>& cls) {
  cls.def("refresh", [](StoreHandle& h) { Check(Slow(h, [] { return absl::OkStatus(); })); });
  cls.def_property_readonly("journal_seq", [](StoreHandle& h) {
    return Quick(h, [&] { return h.store->journal_seq(); });
  });
  cls.def_property_readonly("read_only", [](StoreHandle& h) {
    return Quick(h, [&] { return h.store->read_only(); });
  });
  // Walks the whole chain without the GIL.
  cls.def("verify_journal", [](StoreHandle& h) {
    const JournalCheck check =
        Unwrap(Slow(h, [&] { return h.store->VerifyJournal(); }, /*catch_up=*/false));
    py::dict out;
    out["entries"] = check.entries;
    out["first_bad_seq"] = check.first_bad_seq;
    out["problem"] = check.problem;
    out["head"] = check.intact() ? py::object(BytesOf(check.head)) : py::object(py::none());
    return out;
  });
  cls.def(
      "read_journal",
      [](StoreHandle& h, int64_t after_seq, int64_t limit) {
        const uint64_t after = Narrow<uint64_t>(after_seq, "after_seq");
        if (limit < 1 || static_cast<uint64_t>(limit) > kJournalEntriesPerReadMax) {
          RaiseStatus(absl::InvalidArgumentError(fmt::format(
              "read_journal: limit {} is outside 1..{}", limit, kJournalEntriesPerReadMax)));
        }
        const std::vector<JournalEntry> entries = Unwrap(Slow(
            h, [&] { return h.store->ReadJournal(after, static_cast<size_t>(limit)); },
            /*catch_up=*/false));
        py::list out;
        for (const JournalEntry& entry : entries) {
          py::dict item;
          item["seq"] = entry.seq;
          item["op"] = entry.op;
          item["op_name"] = entry.op_name;
          item["committed_at_us"] = absl::ToUnixMicros(entry.committed_at);
          // None before any stamped change.
          item["clock_us"] = entry.clock == absl::InfinitePast()
                                 ? py::object(py::none())
                                 : py::object(py::int_(absl::ToUnixMicros(entry.clock)));
          item["args"] = py::bytes(entry.args);
          item["hash"] = BytesOf(entry.hash);
          out.append(std::move(item));
        }
        return out;
      },
      py::kw_only(), "after_seq"_a, "limit"_a);
}

// ---------------------------------------------------------------------------
// Store lifetime.

StoreOptions MakeStoreOptions(int64_t durability, int64_t busy_timeout_micros,
                              bool create_if_missing, bool read_only, bool verify_journal) {
  StoreOptions options;
  options.durability = EnumFrom<Durability>(durability, 0, 1, "durability");
  if (busy_timeout_micros < 0) {
    RaiseStatus(absl::InvalidArgumentError(
        fmt::format("busy_timeout {} us is negative", busy_timeout_micros)));
  }
  options.busy_timeout = absl::Microseconds(busy_timeout_micros);
  options.create_if_missing = create_if_missing;
  options.read_only = read_only;
  options.verify_journal = verify_journal;
  return options;
}

std::unique_ptr<StoreHandle> OpenStore(const std::string& path, const StoreOptions& options) {
  absl::StatusOr<std::unique_ptr<Store>> store;
  {
    py::gil_scoped_release release;
    store = Store::Open(path, options);
  }
  auto handle = std::make_unique<StoreHandle>();
  handle->store = Unwrap(std::move(store));
  handle->path = path;
  handle->options = options;
  return handle;
}

// Closes the file without the GIL (the last checkpoint may take a while).
void CloseStore(StoreHandle& handle) {
  py::gil_scoped_release release;
  std::lock_guard<std::recursive_mutex> lock(handle.mutex);
  handle.store.reset();
}

// Closes and opens the same file with the same options, e.g. to see what
// another connection committed.
void ReopenStore(StoreHandle& handle) {
  const absl::Status status = [&] {
    py::gil_scoped_release release;
    std::lock_guard<std::recursive_mutex> lock(handle.mutex);
    handle.store.reset();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(handle.path, handle.options);
    if (!store.ok()) return store.status();
    handle.store = *std::move(store);
    return absl::OkStatus();
  }();
  Check(status);
}

// ---------------------------------------------------------------------------
// Scenario.

struct ScenarioHandle {
  Scenario scenario;
};

py::dict ScenarioOptionsDict(const ScenarioOptions& options) {
  return py::dict("seed"_a = options.seed, "registrants"_a = options.registrants,
                  "districts"_a = options.districts, "centers"_a = options.centers,
                  "days"_a = options.days, "first_day"_a = OrdinalFromDay(options.first_day),
                  "registration_days"_a = options.registration_days,
                  "seats_first_permille"_a = options.seats_first_permille,
                  "supply_series_permille"_a = options.supply_series_permille);
}

// Populate with a progress callback that runs with the GIL.
template <class Handle>
void PopulateTarget(const ScenarioHandle& scenario, Handle& handle, int64_t batch_size,
                    std::optional<py::function> progress) {
  PopulateOptions options;
  options.batch_size = Narrow<uint32_t>(batch_size, "batch_size");
  // Populate cannot be interrupted: after a callback raises, the later calls
  // are skipped and its exception is raised once Populate returns.
  std::optional<py::error_already_set> callback_error;
  if (progress) {
    options.progress = [&](std::string_view stage, uint64_t done, uint64_t total) {
      py::gil_scoped_acquire acquire;
      if (callback_error) return;
      try {
        (*progress)(std::string(stage), done, total);
      } catch (py::error_already_set& error) {
        callback_error = std::move(error);
      }
    };
  }
  const absl::Status status = Slow(handle, [&] {
    return Populate(handle.target(), scenario.scenario, options);
  });
  if (callback_error) throw std::move(*callback_error);
  Check(status);
}

void DefineScenario(py::module_& m) {
  py::class_<ScenarioHandle>(m, "Scenario")
      .def("options", [](const ScenarioHandle& s) { return ScenarioOptionsDict(s.scenario.options); })
      .def("districts",
           [](const ScenarioHandle& s) {
             py::list list;
             for (const ScenarioDistrict& d : s.scenario.districts) {
               list.append(py::dict("code"_a = d.code, "name"_a = d.name,
                                    "population"_a = d.population));
             }
             return list;
           })
      .def("vaccines",
           [](const ScenarioHandle& s) {
             py::list list;
             for (const VaccineSpec& spec : s.scenario.vaccines) list.append(VaccineSpecDict(spec));
             return list;
           })
      .def("centers",
           [](const ScenarioHandle& s) {
             py::list list;
             for (const CenterSpec& spec : s.scenario.centers) list.append(CenterSpecDict(spec));
             return list;
           })
      .def("capacity", [](const ScenarioHandle& s) { return ToList(s.scenario.capacity); })
      .def("supply", [](const ScenarioHandle& s) { return ToList(s.scenario.supply); })
      .def("policy", [](const ScenarioHandle& s) { return ToDict(s.scenario.policy); })
      .def("registrant_count",
           [](const ScenarioHandle& s) { return s.scenario.registrants.size(); })
      .def(
          "registrants",
          [](const ScenarioHandle& s, int64_t start, int64_t stop) {
            const int64_t size = static_cast<int64_t>(s.scenario.registrants.size());
            start = std::clamp<int64_t>(start, 0, size);
            stop = std::clamp<int64_t>(stop, start, size);
            py::list list;
            for (int64_t i = start; i < stop; ++i) {
              list.append(RegistrantSpecDict(s.scenario.registrants[static_cast<size_t>(i)]));
            }
            return list;
          },
          py::kw_only(), "start"_a, "stop"_a)
      .def("times",
           [](const ScenarioHandle& s) {
             return py::dict("last_day"_a = OrdinalFromDay(s.scenario.last_day),
                             "registration_opens"_a = MicrosFromTime(s.scenario.registration_opens),
                             "tier_cut_off"_a = MicrosFromTime(s.scenario.tier_cut_off),
                             "first_draw_at"_a = MicrosFromTime(s.scenario.first_draw_at));
           })
      .def("draw_schedule",
           [](const ScenarioHandle& s) { return ToList(DrawSchedule(s.scenario)); })
      .def("populate", &PopulateTarget<EngineHandle>, "target"_a, py::kw_only(), "batch_size"_a,
           "progress"_a)
      .def("populate", &PopulateTarget<StoreHandle>, "target"_a, py::kw_only(), "batch_size"_a,
           "progress"_a);

  m.def(
      "generate_scenario",
      [](uint64_t seed, int64_t registrants, int64_t districts, int64_t centers, int64_t days,
         int64_t first_day, int64_t registration_days, int64_t seats_first_permille,
         int64_t supply_series_permille) {
        ScenarioOptions options;
        options.seed = seed;
        options.registrants = Narrow<uint32_t>(registrants, "scenario registrants");
        options.districts = Narrow<int>(districts, "scenario districts");
        options.centers = Narrow<int>(centers, "scenario centers");
        options.days = Narrow<int>(days, "scenario days");
        options.first_day = DayFromOrdinal(first_day, "scenario first_day");
        options.registration_days = Narrow<int>(registration_days, "scenario registration_days");
        options.seats_first_permille =
            Narrow<int>(seats_first_permille, "scenario seats_first_permille");
        options.supply_series_permille =
            Narrow<int>(supply_series_permille, "scenario supply_series_permille");
        absl::StatusOr<Scenario> scenario;
        {
          py::gil_scoped_release release;
          scenario = GenerateScenario(options);
        }
        auto handle = std::make_unique<ScenarioHandle>();
        handle->scenario = Unwrap(std::move(scenario));
        return handle;
      },
      py::kw_only(), "seed"_a, "registrants"_a, "districts"_a, "centers"_a, "days"_a,
      "first_day"_a, "registration_days"_a, "seats_first_permille"_a,
      "supply_series_permille"_a);
  m.def("scenario_utc_offset_seconds", [] {
    return ScenarioTimeZone().At(absl::UnixEpoch()).offset;
  });
}

// ---------------------------------------------------------------------------
// For the tests: the C++ defaults and enum values the Python layer repeats.

py::dict Defaults() {
  const VaccineSpec vaccine;
  const CapacityBlock block;
  const TierRule rule;
  const ReserveCategory reserve;
  const Policy policy;
  const RegistrantSpec registrant;
  const DrawRequest request;
  const ReleaseSpec release;
  const BookingRequest booking;
  const StoreOptions store;
  const ScenarioOptions scenario;
  const PopulateOptions populate;
  py::dict vaccine_dict = VaccineSpecDict(vaccine);
  py::dict block_dict = ToDict(block);
  block_dict.attr("pop")("first_day");
  block_dict.attr("pop")("last_day");
  return py::dict(
      "VaccineSpec"_a = vaccine_dict, "CapacityBlock"_a = block_dict,
      "TierRule"_a = py::dict("registered_before"_a = OptionalMicros(rule.registered_before),
                              "tier_by_group"_a = py::tuple(py::cast(rule.tier_by_group))),
      "ReserveCategory"_a = py::dict("share_permille"_a = reserve.share_permille,
                                     "age_years_min"_a = reserve.age_years_min,
                                     "group_mask"_a = reserve.group_mask,
                                     "vaccine"_a = reserve.vaccine),
      "Policy"_a = ToDict(policy),
      "RegistrantSpec"_a = py::dict("group"_a = EnumValue(registrant.group),
                                    "channel"_a = EnumValue(registrant.channel),
                                    "vaccine_preference"_a = registrant.vaccine_preference,
                                    "standby"_a = registrant.standby),
      "DrawRequest"_a = py::dict("centers"_a = py::tuple(py::cast(request.centers)),
                                 "series_limit"_a = request.series_limit),
      "ReleaseSpec"_a = py::dict("vaccine"_a = release.vaccine,
                                 "first_dose_cap"_a = release.first_dose_cap),
      "BookingRequest"_a =
          py::dict("mode"_a = EnumValue(booking.mode), "center"_a = booking.center,
                   "vaccine"_a = booking.vaccine,
                   "first_dose_from"_a = OrdinalFromDay(booking.first_dose_from),
                   "first_dose_until"_a = OrdinalFromDay(booking.first_dose_until),
                   "confirm"_a = booking.confirm),
      "StoreOptions"_a =
          py::dict("durability"_a = EnumValue(store.durability),
                   "busy_timeout_micros"_a = absl::ToInt64Microseconds(store.busy_timeout),
                   "create_if_missing"_a = store.create_if_missing),
      "ScenarioOptions"_a = ScenarioOptionsDict(scenario),
      "PopulateOptions"_a = py::dict("batch_size"_a = populate.batch_size));
}

py::dict EnumValues() {
  return py::dict(
      "PriorityGroup"_a = py::dict("GROUP1"_a = EnumValue(PriorityGroup::kGroup1),
                                   "GROUP2"_a = EnumValue(PriorityGroup::kGroup2),
                                   "GROUP3"_a = EnumValue(PriorityGroup::kGroup3),
                                   "NONE"_a = EnumValue(PriorityGroup::kNone)),
      "Channel"_a = py::dict("ONLINE"_a = EnumValue(Channel::kOnline),
                             "PHONE"_a = EnumValue(Channel::kPhone)),
      "RegistrantStatus"_a = py::dict("WAITING"_a = EnumValue(RegistrantStatus::kWaiting),
                                      "SCHEDULED"_a = EnumValue(RegistrantStatus::kScheduled),
                                      "WITHDRAWN"_a = EnumValue(RegistrantStatus::kWithdrawn),
                                      "VACCINATED"_a = EnumValue(RegistrantStatus::kVaccinated)),
      "SeriesStatus"_a = py::dict("ACTIVE"_a = EnumValue(SeriesStatus::kActive),
                                  "CANCELLED"_a = EnumValue(SeriesStatus::kCancelled),
                                  "HELD"_a = EnumValue(SeriesStatus::kHeld),
                                  "LAPSED"_a = EnumValue(SeriesStatus::kLapsed),
                                  "COMPLETED"_a = EnumValue(SeriesStatus::kCompleted),
                                  "MISSED"_a = EnumValue(SeriesStatus::kMissed)),
      "DoseState"_a = py::dict("BOOKED"_a = EnumValue(DoseState::kBooked),
                               "GIVEN"_a = EnumValue(DoseState::kGiven),
                               "MISSED"_a = EnumValue(DoseState::kMissed),
                               "RELEASED"_a = EnumValue(DoseState::kReleased)),
      "SeriesOrigin"_a = py::dict("DRAW"_a = EnumValue(SeriesOrigin::kDraw),
                                  "RELEASE"_a = EnumValue(SeriesOrigin::kRelease),
                                  "SHORT_NOTICE"_a = EnumValue(SeriesOrigin::kShortNotice),
                                  "STANDBY"_a = EnumValue(SeriesOrigin::kStandby)),
      "BookingMode"_a = py::dict("RELEASE"_a = EnumValue(BookingMode::kRelease),
                                 "SHORT_NOTICE"_a = EnumValue(BookingMode::kShortNotice),
                                 "STANDBY"_a = EnumValue(BookingMode::kStandby)),
      "DoseOutcome"_a = py::dict("GIVEN"_a = EnumValue(DoseOutcome::kGiven),
                                 "MISSED"_a = EnumValue(DoseOutcome::kMissed)),
      "ResidenceRule"_a = py::dict(
          "HOME_DISTRICT_ONLY"_a = EnumValue(ResidenceRule::kHomeDistrictOnly),
          "HOME_OR_NEIGHBOUR_DISTRICT"_a = EnumValue(ResidenceRule::kHomeOrNeighbourDistrict)),
      "Durability"_a = py::dict("NORMAL"_a = EnumValue(Durability::kNormal),
                                "FULL"_a = EnumValue(Durability::kFull)),
      "EventKind"_a =
          py::dict("SERIES_ASSIGNED"_a = EnumValue(EventKind::kSeriesAssigned),
                   "SERIES_CANCELLED"_a = EnumValue(EventKind::kSeriesCancelled),
                   "REGISTRANT_WITHDRAWN"_a = EnumValue(EventKind::kRegistrantWithdrawn),
                   "SERIES_BOOKED"_a = EnumValue(EventKind::kSeriesBooked),
                   "SECOND_DOSE_REBOOKED"_a = EnumValue(EventKind::kSecondDoseRebooked),
                   "CODE_ISSUED"_a = EnumValue(EventKind::kCodeIssued)),
      "CodePurpose"_a = py::dict("CANCEL_SERIES"_a = EnumValue(CodePurpose::kCancelSeries),
                                 "WITHDRAW"_a = EnumValue(CodePurpose::kWithdraw)),
      "CommitmentStatus"_a =
          py::dict("PENDING"_a = EnumValue(CommitmentStatus::kPending),
                   "REVEALED"_a = EnumValue(CommitmentStatus::kRevealed),
                   "ABANDONED"_a = EnumValue(CommitmentStatus::kAbandoned)),
      "CodeState"_a = py::dict("PENDING"_a = EnumValue(CodeState::kPending),
                               "USED"_a = EnumValue(CodeState::kUsed),
                               "LOCKED"_a = EnumValue(CodeState::kLocked),
                               "SUPERSEDED"_a = EnumValue(CodeState::kSuperseded)),
      "CodeOutcome"_a = py::dict("ACCEPTED"_a = EnumValue(CodeOutcome::kAccepted),
                                 "WRONG"_a = EnumValue(CodeOutcome::kWrong),
                                 "EXPIRED"_a = EnumValue(CodeOutcome::kExpired),
                                 "LOCKED"_a = EnumValue(CodeOutcome::kLocked),
                                 "NOT_PENDING"_a = EnumValue(CodeOutcome::kNotPending)),
      "Invariant"_a = py::dict("SLOT_CAPACITY"_a = EnumValue(Invariant::kSlotCapacity),
                               "SECOND_DOSE_RESERVED"_a = EnumValue(Invariant::kSecondDoseReserved),
                               "DOSE_SUPPLY"_a = EnumValue(Invariant::kDoseSupply),
                               "ONE_ACTIVE_SERIES"_a = EnumValue(Invariant::kOneActiveSeries),
                               "RESIDENCE"_a = EnumValue(Invariant::kResidence),
                               "TIER_ORDER"_a = EnumValue(Invariant::kTierOrder),
                               "ELIGIBILITY"_a = EnumValue(Invariant::kEligibility),
                               "BOOKKEEPING"_a = EnumValue(Invariant::kBookkeeping),
                               "SERIES_STATE"_a = EnumValue(Invariant::kSeriesState),
                               "RELEASE_WINDOW"_a = EnumValue(Invariant::kReleaseWindow),
                               "RELEASE_CAP"_a = EnumValue(Invariant::kReleaseCap),
                               "CODES"_a = EnumValue(Invariant::kCodes),
                               "DRAW_COMMITMENTS"_a = EnumValue(Invariant::kDrawCommitments)),
      "Weekday"_a = py::dict("MONDAY"_a = EnumValue(kMonday), "TUESDAY"_a = EnumValue(kTuesday),
                             "WEDNESDAY"_a = EnumValue(kWednesday),
                             "THURSDAY"_a = EnumValue(kThursday), "FRIDAY"_a = EnumValue(kFriday),
                             "SATURDAY"_a = EnumValue(kSaturday), "SUNDAY"_a = EnumValue(kSunday),
                             "EVERY_DAY"_a = EnumValue(kEveryDay)));
}

}  // namespace

void DefineModule(py::module_& m) {
  m.doc() =
      "Private pybind11 shim over the vaxalloc C++ core; use the `vaxalloc` package instead.";
  // Fail at import, not at the first error, if the exception classes are missing.
  py::module_::import("vaxalloc._errors");

  m.def("version", [] { return std::string(Version()); });
  m.attr("VERSION_STRING") = VAXALLOC_VERSION_STRING;

  m.attr("TIER_MAX") = kTierMax;
  m.attr("PRIORITY_GROUP_COUNT") = kPriorityGroupCount;
  m.attr("DOSE_COUNT_MAX") = kDoseCountMax;
  m.attr("CODE_LENGTH_MAX") = kCodeLengthMax;
  m.attr("NAME_LENGTH_MAX") = kNameLengthMax;
  m.attr("EXTERNAL_REF_LENGTH_MAX") = kExternalRefLengthMax;
  m.attr("VIOLATIONS_KEPT") = kViolationsKept;
  m.attr("EVENTS_PER_READ_MAX") = kEventsPerReadMax;
  m.attr("JOURNAL_ENTRIES_PER_READ_MAX") = kJournalEntriesPerReadMax;
  m.attr("TIME_ZONE_LENGTH_MAX") = kTimeZoneLengthMax;
  m.attr("HOLD_MINUTES_MAX") = kHoldMinutesMax;
  m.attr("SHORT_NOTICE_DAYS_MAX") = kShortNoticeDaysMax;
  m.attr("DRAW_LEAD_DAYS_MAX") = kDrawLeadDaysMax;
  m.attr("OVERBOOK_PERMILLE_MAX") = kOverbookPermilleMax;
  m.attr("CODE_DIGITS_MIN") = kCodeDigitsMin;
  m.attr("CODE_DIGITS_MAX") = kCodeDigitsMax;
  m.attr("CODE_ATTEMPTS_MAX") = kCodeAttemptsMax;
  m.attr("CODES_PER_DAY_MAX") = kCodesPerDayMax;
  m.attr("CODES_PER_REGISTRANT_MAX") = kCodesPerRegistrantMax;
  m.attr("CODES_MAX") = kCodesMax;
  m.attr("CODE_LIFETIME_MINUTES_MAX") = kCodeLifetimeMinutesMax;

  // --- Lottery
  m.def(
      "lottery_number",
      [](uint64_t k0, uint64_t k1, const std::string& external_ref) {
        return LotteryNumber(DrawSeed{k0, k1}, external_ref);
      },
      "k0"_a, "k1"_a, "external_ref"_a);
  m.def(
      "siphash24",
      [](uint64_t k0, uint64_t k1, const std::string& message) {
        return SipHash24(k0, k1, message);
      },
      "k0"_a, "k1"_a, "message"_a);
  m.def(
      "format_seed", [](uint64_t k0, uint64_t k1) { return FormatSeed(DrawSeed{k0, k1}); },
      "k0"_a, "k1"_a);
  m.def("parse_seed", [](const std::string& text) {
    const DrawSeed seed = Unwrap(ParseSeed(text));
    return py::make_tuple(seed.k0, seed.k1);
  });
  m.def("invariant_name", [](int64_t invariant) {
    return std::string(InvariantName(EnumFrom<Invariant>(
        invariant, EnumValue(Invariant::kSlotCapacity), EnumValue(Invariant::kDrawCommitments),
        "invariant")));
  });

  // --- Engine
  py::class_<EngineHandle> engine(m, "Engine");
  engine.def(py::init<>());
  DefineCampaignMethods(engine);

  // --- Store
  py::class_<StoreHandle> store(m, "Store");
  store.def_static(
      "open",
      [](const std::string& path, int64_t durability, int64_t busy_timeout_micros,
         bool create_if_missing, bool read_only, bool verify_journal) {
        const StoreOptions options = MakeStoreOptions(durability, busy_timeout_micros,
                                                      create_if_missing, read_only, verify_journal);
        return OpenStore(path, options);
      },
      "path"_a, py::kw_only(), "durability"_a, "busy_timeout_micros"_a, "create_if_missing"_a,
      "read_only"_a = false, "verify_journal"_a = false);
  store.def("close", &CloseStore);
  store.def("reopen", &ReopenStore);
  store.def_property_readonly("closed", [](StoreHandle& h) {
    std::unique_lock<std::recursive_mutex> lock(h.mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
      py::gil_scoped_release release;
      lock.lock();
    }
    return h.store == nullptr;
  });
  store.def_property_readonly("path", [](const StoreHandle& h) { return h.path; });
  DefineCampaignMethods(store);
  DefineOutbox(store);
  DefineJournal(store);

  DefineScenario(m);

  // --- For the tests
  m.def("defaults", &Defaults);
  m.def("enum_values", &EnumValues);
  m.def(
      "raise_status",
      [](int64_t code, const std::string& message) {
        RaiseStatus(absl::Status(static_cast<absl::StatusCode>(code), message));
      },
      "code"_a, "message"_a);
}

}  // namespace python
}  // namespace vaxalloc

PYBIND11_MODULE(_core, m) { vaxalloc::python::DefineModule(m); }
