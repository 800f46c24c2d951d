// Engine: setup, registrants, cancellation, bookkeeping and queries.
// The draw itself is in draw.cc.
#include "vaxalloc/engine.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "fmt/format.h"
#include "src/engine_state.h"

namespace vaxalloc {
namespace internal {

void AssertionFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "vaxalloc: assertion failed: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

DayNumber ToDayNumber(absl::CivilDay day) {
  return static_cast<DayNumber>(day - absl::CivilDay(1970, 1, 1));
}

// H. Hinnant's civil_from_days, exact for the proleptic Gregorian calendar;
// absl's day-by-cycle normalization cost a twentieth of a reopen.
absl::CivilDay CivilDayFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month =
      static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return absl::CivilDay(year, month, day);
}

absl::CivilDay ToCivilDay(DayNumber day) { return CivilDayFromDays(day); }

DayNumber BirthdayOfAge(DayNumber birth, int years) {
  absl::CivilDay day = ToCivilDay(birth);
  return ToDayNumber(absl::CivilDay(day.year() + years, day.month(), day.day()));
}

int64_t ToMicros(absl::Time time) {
  if (time == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  if (time == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  return absl::ToUnixMicros(time);
}

absl::Time FromMicros(int64_t micros) {
  if (micros == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (micros == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return absl::FromUnixMicros(micros);
}

std::vector<CenterId> CentersFor(const Engine::State& state, const Policy& policy,
                                 DistrictId district) {
  std::vector<CenterId> centers = state.centers_by_district[district - 1];
  if (policy.residence != ResidenceRule::kHomeOrNeighbourDistrict) return centers;
  std::vector<CenterId> neighbour_centers;
  for (const auto& [a, b] : policy.neighbours) {
    if (a != district && b != district) continue;
    for (CenterId center : state.centers_by_district[(a == district ? b : a) - 1]) {
      if (std::find(centers.begin(), centers.end(), center) == centers.end()) {
        neighbour_centers.push_back(center);
      }
    }
  }
  std::sort(neighbour_centers.begin(), neighbour_centers.end());
  neighbour_centers.erase(std::unique(neighbour_centers.begin(), neighbour_centers.end()),
                          neighbour_centers.end());
  centers.insert(centers.end(), neighbour_centers.begin(), neighbour_centers.end());
  return centers;
}

void WriteSeriesRows(Engine::State& state, const std::vector<Series>& rows) {
  absl::InlinedVector<Pool*, 4> touched;
  auto seats = [&](const Series& series, bool book) {
    Pool& pool = state.PoolFor(series.center, series.vaccine);
    for (int dose = 0; dose < series.dose_count; ++dose) {
      if (!HoldsSeat(series.doses[dose])) continue;
      const Appointment& appointment = series.appointments[dose];
      if (book) {
        pool.Book(ToDayNumber(appointment.day), appointment.minute, dose > 0, false);
      } else {
        pool.Unbook(ToDayNumber(appointment.day), appointment.minute, dose > 0);
      }
    }
    if (std::find(touched.begin(), touched.end(), &pool) == touched.end()) touched.push_back(&pool);
  };
  auto track = [&](const Series& series, int direction) {
    if (series.release != kNoId && CountsAgainstCap(series)) {
      state.releases[series.release - 1].booked += direction;
    }
    if (series.status != SeriesStatus::kHeld) return;
    const std::pair<int64_t, SeriesId> key{ToMicros(series.hold_expires_at), series.id};
    if (direction > 0) {
      VAXALLOC_ASSERT(state.hold_by_registrant.emplace(series.registrant, series.id).second);
      state.holds_by_expiry.insert(key);
    } else {
      state.hold_by_registrant.erase(series.registrant);
      state.holds_by_expiry.erase(key);
    }
  };
  for (const Series& row : rows) {
    if (row.id == state.series.size() + 1) {
      state.series.push_back(row);
      state.series_by_center[row.center - 1].push_back(row.id);
    } else {
      VAXALLOC_ASSERT(row.id != kNoId && row.id <= state.series.size());
      Series& old = state.series[row.id - 1];
      VAXALLOC_ASSERT(old.registrant == row.registrant && old.center == row.center &&
                      old.vaccine == row.vaccine);
      seats(old, false);
      track(old, -1);
      state.CountSeries(old, -1);
      old = row;
    }
    seats(row, true);
    track(row, +1);
    state.CountSeries(row, +1);
  }
  // Unbooking kept the slack current; booking without it did not.
  for (Pool* pool : touched) pool->RecomputeSlack();
}

int TierOf(const Policy& policy, PriorityGroup group, int64_t registered_at_us) {
  return TierRules(policy).TierOf(group, registered_at_us);
}

TierRules::TierRules(const Policy& policy) {
  for (const TierRule& rule : policy.tier_rules) {
    rules_.push_back(Rule{ToMicros(rule.registered_before), rule.tier_by_group});
  }
}

void Pool::Cover(DayNumber day) {
  if (days.empty()) {
    first_day = day;
    days.resize(1);
  } else if (day < first_day) {
    days.insert(days.begin(), static_cast<size_t>(first_day - day), PoolDay{});
    first_day = day;
  } else if (!Contains(day)) {
    days.resize(static_cast<size_t>(day - first_day) + 1);
  }
}

void Pool::RecomputeSlack() {
  slack.resize(days.size());
  slack_suffix_min.resize(days.size());
  int64_t running = 0;
  for (size_t i = 0; i < days.size(); ++i) {
    running += days[i].delivered - days[i].booked();
    slack[i] = running;
  }
  int64_t suffix = std::numeric_limits<int64_t>::max();
  for (size_t i = days.size(); i-- > 0;) {
    suffix = std::min(suffix, slack[i]);
    slack_suffix_min[i] = suffix;
  }
}

const PoolSlot* Pool::FindSlot(DayNumber day, int minute) const {
  if (!Contains(day)) return nullptr;
  const std::vector<PoolSlot>& slots = days[day - first_day].slots;
  auto it = std::lower_bound(slots.begin(), slots.end(), minute,
                             [](const PoolSlot& slot, int m) { return slot.minute < m; });
  if (it == slots.end() || it->minute != minute) return nullptr;
  return &*it;
}

void Pool::Book(DayNumber day, int minute, bool second_dose, bool update_slack) {
  const PoolSlot* slot = FindSlot(day, minute);
  VAXALLOC_ASSERT(slot != nullptr);
  const size_t day_index = static_cast<size_t>(day - first_day);
  BookSlot(day_index, static_cast<size_t>(slot - days[day_index].slots.data()), second_dose,
           update_slack);
}

void Pool::BookSlot(size_t day_index, size_t slot_index, bool second_dose, bool update_slack) {
  PoolDay& pool_day = days[day_index];
  PoolSlot& slot = pool_day.slots[slot_index];
  if (second_dose) {
    if (slot.second_free()) --pool_day.free_second_seats;
    ++slot.booked_second;
    ++pool_day.booked_second;
  } else {
    if (slot.first_free()) --pool_day.free_first_seats;
    ++slot.booked_first;
    ++pool_day.booked_first;
  }
  if (!update_slack) return;
  // Every slack from the day on drops by one, and so does every suffix
  // minimum there; before it a suffix minimum changes only until one comes
  // from an unchanged day.
  for (size_t i = day_index; i < days.size(); ++i) {
    --slack[i];
    --slack_suffix_min[i];
  }
  for (size_t i = day_index; i-- > 0;) {
    const int64_t suffix = std::min(slack[i], slack_suffix_min[i + 1]);
    if (slack_suffix_min[i] == suffix) break;
    slack_suffix_min[i] = suffix;
  }
}

void Pool::Unbook(DayNumber day, int minute, bool second_dose) {
  PoolSlot* slot = FindSlot(day, minute);
  VAXALLOC_ASSERT(slot != nullptr);
  PoolDay& pool_day = days[day - first_day];
  if (second_dose) {
    VAXALLOC_ASSERT(slot->booked_second > 0);
    --slot->booked_second;
    --pool_day.booked_second;
    if (slot->second_free()) ++pool_day.free_second_seats;
  } else {
    VAXALLOC_ASSERT(slot->booked_first > 0);
    --slot->booked_first;
    --pool_day.booked_first;
    if (slot->first_free()) ++pool_day.free_first_seats;
  }
  RecomputeSlack();
}

namespace {
// The free seats of one kind in a slot, never negative.
int FreeSeats(int bookable, int booked) { return std::max(0, bookable - booked); }
}  // namespace

void Pool::AddSeats(DayNumber day, int minute, int seats_first, int seats_second,
                    int extra_first, int extra_second) {
  PoolDay& pool_day = days[day - first_day];
  auto at = std::lower_bound(pool_day.slots.begin(), pool_day.slots.end(), minute,
                             [](const PoolSlot& s, int m) { return s.minute < m; });
  if (at == pool_day.slots.end() || at->minute != minute) {
    PoolSlot slot;
    slot.minute = static_cast<uint16_t>(minute);
    at = pool_day.slots.insert(at, slot);
  }
  PoolSlot& slot = *at;
  pool_day.free_first_seats -= FreeSeats(slot.bookable_first, slot.booked_first);
  pool_day.free_second_seats -= FreeSeats(slot.bookable_second, slot.booked_second);
  slot.seats_first = static_cast<uint16_t>(slot.seats_first + seats_first);
  slot.seats_second = static_cast<uint16_t>(slot.seats_second + seats_second);
  slot.bookable_first = static_cast<uint16_t>(slot.bookable_first + seats_first + extra_first);
  slot.bookable_second = static_cast<uint16_t>(slot.bookable_second + seats_second + extra_second);
  pool_day.free_first_seats += FreeSeats(slot.bookable_first, slot.booked_first);
  pool_day.free_second_seats += FreeSeats(slot.bookable_second, slot.booked_second);
  pool_day.seats_first += seats_first;
  pool_day.seats_second += seats_second;
}

void Pool::ResetBookable() {
  for (PoolDay& pool_day : days) {
    pool_day.free_first_seats = 0;
    pool_day.free_second_seats = 0;
    for (PoolSlot& slot : pool_day.slots) {
      slot.bookable_first = slot.seats_first;
      slot.bookable_second = slot.seats_second;
      pool_day.free_first_seats += FreeSeats(slot.bookable_first, slot.booked_first);
      pool_day.free_second_seats += FreeSeats(slot.bookable_second, slot.booked_second);
    }
  }
}

// The extra seats a block's slot at `minute` gets: the block's seats on a
// day are overbooked together, its extra seats spread over its slots in
// time order by cumulative rounding, so that slots of a few seats overbook
// too (a slot's own share would round to 0). Other blocks never change it.
int OverbookedExtra(const CapacityBlock& block, int minute, bool second_dose, int permille) {
  const int64_t seats = second_dose ? block.seats_second : block.seats_first;
  const int64_t k = (minute - block.open_minute) / block.slot_minutes;  // slots of the block before
  return static_cast<int>(Overbooked((k + 1) * seats, permille) - Overbooked(k * seats, permille) -
                          seats);
}

absl::Status CheckDay(std::string_view what, absl::CivilDay day) {
  if (day.year() < kYearMin || day.year() > kYearMax) {
    return absl::OutOfRangeError(fmt::format("{} {} is outside the years {}-{}", what,
                                             absl::FormatCivilTime(day), kYearMin, kYearMax));
  }
  return absl::OkStatus();
}
absl::Status CheckTime(std::string_view what, absl::Time time) {
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return absl::InvalidArgumentError(fmt::format("{} must be a finite time", what));
  }
  // Far instants would saturate to the infinities in microseconds.
  static const absl::Time kFirst =
      absl::FromCivil(absl::CivilDay(kYearMin, 1, 1), absl::UTCTimeZone());
  static const absl::Time kEnd =
      absl::FromCivil(absl::CivilDay(kYearMax + 1, 1, 1), absl::UTCTimeZone());
  if (time < kFirst || time >= kEnd) {
    return absl::OutOfRangeError(fmt::format("{} {} is outside the years {}-{}", what,
                                             absl::FormatTime(time, absl::UTCTimeZone()), kYearMin,
                                             kYearMax));
  }
  return absl::OkStatus();
}

// A registration is the one change a draw may precede: registered_at only
// decides whether the person takes part (docs/draw.md, section 1).
int64_t ChangeInstantUs(const std::vector<Registrant>&) {
  return std::numeric_limits<int64_t>::min();
}
// A reveal happens after the instant its draw ran at.
int64_t ChangeInstantUs(const DrawOutcome& outcome) {
  const int64_t drawn = ToMicros(outcome.record.request.at);
  return outcome.revealed ? std::max(drawn, ToMicros(outcome.revealed->settled_at)) : drawn;
}
int64_t ChangeInstantUs(const CommitmentChange& change) {
  const DrawCommitment& commitment = change.commitment;
  return ToMicros(commitment.status == CommitmentStatus::kPending ? commitment.request.at
                                                                  : commitment.settled_at);
}
int64_t ChangeInstantUs(const Cancellation& cancellation) { return ToMicros(cancellation.at); }
// An ExpireHolds with nothing due changes nothing, and has no instant.
int64_t ChangeInstantUs(const SeriesChange& change) {
  return change.empty() ? std::numeric_limits<int64_t>::min() : ToMicros(change.at);
}
int64_t ChangeInstantUs(const IssuedCode& issued) { return ToMicros(issued.record.issued_at); }
int64_t ChangeInstantUs(const CodeVerification& verification) {
  return verification.record_changed ? ToMicros(verification.at)
                                     : std::numeric_limits<int64_t>::min();
}

absl::Status CheckNotBeforeLatestChange(const Engine::State& state, std::string_view what,
                                        absl::Time time) {
  if (ToMicros(time) >= state.latest_change_us) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "{} {} is before the latest change already made, at {}: a draw cannot go back in time "
      "past a booking, hold, cancellation, withdrawal, attendance record or code",
      what, absl::FormatTime(time, absl::UTCTimeZone()),
      absl::FormatTime(FromMicros(state.latest_change_us), absl::UTCTimeZone())));
}

absl::Status CheckAfterLatestDraw(const Engine::State& state, std::string_view what,
                                  absl::Time time, bool same_instant_allowed) {
  if (state.draws.empty()) return absl::OkStatus();
  const int64_t latest_us = ToMicros(state.draws.back().request.at);
  const int64_t time_us = ToMicros(time);
  if (time_us > latest_us || (same_instant_allowed && time_us == latest_us)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(fmt::format(
      "{} {} is {} the latest draw's instant {}", what, absl::FormatTime(time, absl::UTCTimeZone()),
      same_instant_allowed ? "before" : "not after",
      absl::FormatTime(state.draws.back().request.at, absl::UTCTimeZone())));
}

}  // namespace internal

using internal::CheckAfterLatestDraw;
using internal::CheckDay;
using internal::CheckTime;
using internal::DayNumber;
using internal::Pool;
using internal::PoolDay;
using internal::PoolSlot;
using internal::RegistrantRow;
using internal::ToCivilDay;
using internal::ToDayNumber;

namespace {
uint64_t NextStateInstance() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

Engine::State::State()
    : instance(NextStateInstance()), registrant_by_ref(0, RefHash{this}, RefEq{this}) {
  policies.push_back(PolicyVersion{1, Policy{}});
}

const Pool* Engine::State::FindPool(CenterId center, VaccineId vaccine) const {
  auto it = pool_by_key.find(PoolKey(center, vaccine));
  return it == pool_by_key.end() ? nullptr : &pools[it->second];
}

Pool& Engine::State::PoolFor(CenterId center, VaccineId vaccine) {
  auto [it, inserted] = pool_by_key.try_emplace(PoolKey(center, vaccine), pools.size());
  if (inserted) {
    pools.emplace_back();
    pools.back().center = center;
    pools.back().vaccine = vaccine;
    std::vector<uint32_t>& of_center = pools_by_center[center - 1];
    of_center.push_back(it->second);
    std::sort(of_center.begin(), of_center.end(),
              [this](uint32_t a, uint32_t b) { return pools[a].vaccine < pools[b].vaccine; });
  }
  return pools[it->second];
}

void Engine::State::CountRegistrant(const RegistrantRow& row, int sign) {
  counts.registrants_by_status[static_cast<size_t>(row.status)] += sign;
  if (row.status != RegistrantStatus::kWaiting) return;
  counts.waiting_by_district[row.district - 1] += sign;
  const int tier = internal::TierOf(current_policy().policy, row.group, row.registered_at_us);
  counts.waiting_per_tier[tier - 1] += sign;
}

void Engine::State::CountSeries(const Series& series, int sign) {
  counts.series_by_status[static_cast<size_t>(series.status)] += sign;
  if (series.status == SeriesStatus::kActive) counts.active_by_center[series.center - 1] += sign;
  for (int dose = 0; dose < series.dose_count; ++dose) {
    counts.doses_given += sign * (series.doses[dose] == DoseState::kGiven);
    counts.doses_missed += sign * (series.doses[dose] == DoseState::kMissed);
  }
}

void Engine::State::RecountWaitingTiers() {
  counts.waiting_per_tier.fill(0);
  const internal::TierRules tier_rules(current_policy().policy);
  for (const RegistrantRow& row : registrants) {
    if (row.status != RegistrantStatus::kWaiting) continue;
    ++counts.waiting_per_tier[tier_rules.TierOf(row.group, row.registered_at_us) - 1];
  }
}

Registrant Engine::State::MakeRegistrant(RegistrantId id) const {
  const RegistrantRow& row = registrants[id - 1];
  Registrant registrant;
  registrant.id = id;
  registrant.spec.external_ref = std::string(Ref(id));
  registrant.spec.district = row.district;
  registrant.spec.birth_day = ToCivilDay(row.birth_day);
  registrant.spec.group = row.group;
  registrant.spec.channel = row.channel;
  registrant.spec.standby = row.standby;
  registrant.spec.registered_at = internal::FromMicros(row.registered_at_us);
  registrant.spec.vaccine_preference = row.vaccine_preference;
  registrant.erased = row.erased();
  registrant.status = row.status;
  registrant.waiting_since = internal::FromMicros(row.waiting_since_us);
  registrant.series = row.series;
  return registrant;
}

namespace internal {

absl::Status CheckText(std::string_view what, std::string_view text, size_t length_max) {
  if (text.empty()) return absl::InvalidArgumentError(fmt::format("{}{}", what, " is empty"));
  if (text.size() > length_max) {
    return absl::InvalidArgumentError(
        fmt::format("{} is {} bytes long; at most {} allowed", what, text.size(), length_max));
  }
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format("{} contains a NUL byte", what));
  }
  if (const size_t bad = InvalidUtf8At(text); bad != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not UTF-8 (byte {} of {}: 0x{:02x})", what, bad + 1, text.size(),
                    static_cast<unsigned char>(text[bad])));
  }
  return absl::OkStatus();
}

size_t InvalidUtf8At(std::string_view text) {
  // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char low = 0x80, high = 0xbf;  // the second byte's range
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return i;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return i;
    for (size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace internal

using internal::CheckText;

// ---------------------------------------------------------------------------
// Construction

Engine::Engine() : state_(std::make_unique<State>()) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

// ---------------------------------------------------------------------------
// Setup: Prepare

absl::StatusOr<Prepared<District>> Engine::PrepareAddDistrict(std::string_view code,
                                                              std::string_view name) const {
  VAXALLOC_RETURN_IF_ERROR(CheckText("district code", code, kCodeLengthMax));
  VAXALLOC_RETURN_IF_ERROR(CheckText("district name", name, kNameLengthMax));
  if (state_->district_by_code.contains(absl::string_view(code.data(), code.size()))) {
    return absl::AlreadyExistsError(
        fmt::format("{}{}{}", "district code '", code, "' already exists"));
  }
  District district;
  district.id = static_cast<DistrictId>(state_->districts.size() + 1);
  district.code = std::string(code);
  district.name = std::string(name);
  return Prepared<District>{state_->revision, std::move(district)};
}

absl::StatusOr<Prepared<Vaccine>> Engine::PrepareAddVaccine(const VaccineSpec& spec) const {
  VAXALLOC_RETURN_IF_ERROR(CheckText("vaccine code", spec.code, kCodeLengthMax));
  VAXALLOC_RETURN_IF_ERROR(CheckText("vaccine name", spec.name, kNameLengthMax));
  if (state_->vaccine_by_code.contains(spec.code)) {
    return absl::AlreadyExistsError(
        fmt::format("{}{}{}", "vaccine code '", spec.code, "' already exists"));
  }
  if (spec.dose_count < 1 || spec.dose_count > kDoseCountMax) {
    return absl::InvalidArgumentError(
        fmt::format("vaccine '{}': dose_count {} is not 1 or 2 (a booster is a new series)",
                    spec.code, spec.dose_count));
  }
  if (spec.dose_count == 2) {
    const bool ordered = 1 <= spec.interval_days_min &&
                         spec.interval_days_min <= spec.interval_days_target &&
                         spec.interval_days_target <= spec.interval_days_max &&
                         spec.interval_days_max <= kIntervalDaysMax;
    if (!ordered) {
      return absl::InvalidArgumentError(
          fmt::format("vaccine '{}': interval days min/target/max {}/{}/{} must satisfy "
                      "1 <= min <= target <= max <= {}",
                      spec.code, spec.interval_days_min, spec.interval_days_target,
                      spec.interval_days_max, kIntervalDaysMax));
    }
  }
  if (spec.age_years_min < 0 || spec.age_years_min > kAgeYearsMax || spec.age_years_max < 0 ||
      spec.age_years_max > kAgeYearsMax) {
    return absl::InvalidArgumentError(
        fmt::format("vaccine '{}': age bounds {}..{} must lie in 0..{}", spec.code,
                    spec.age_years_min, spec.age_years_max, kAgeYearsMax));
  }
  if (spec.age_years_max != 0 && spec.age_years_min > spec.age_years_max) {
    return absl::InvalidArgumentError(
        fmt::format("vaccine '{}': age_years_min {} exceeds age_years_max {}", spec.code,
                    spec.age_years_min, spec.age_years_max));
  }
  if (state_->vaccines.size() >= static_cast<size_t>(kVaccinesMax)) {
    return absl::ResourceExhaustedError(
        fmt::format("too many vaccines: a campaign has at most {}", kVaccinesMax));
  }
  Vaccine vaccine;
  vaccine.id = static_cast<VaccineId>(state_->vaccines.size() + 1);
  vaccine.spec = spec;
  if (spec.dose_count == 1) {
    vaccine.spec.interval_days_min = vaccine.spec.interval_days_target =
        vaccine.spec.interval_days_max = 0;
  }
  return Prepared<Vaccine>{state_->revision, std::move(vaccine)};
}

absl::StatusOr<Prepared<Center>> Engine::PrepareAddCenter(const CenterSpec& spec) const {
  VAXALLOC_RETURN_IF_ERROR(CheckText("center code", spec.code, kCodeLengthMax));
  VAXALLOC_RETURN_IF_ERROR(CheckText("center name", spec.name, kNameLengthMax));
  if (state_->center_by_code.contains(spec.code)) {
    return absl::AlreadyExistsError(
        fmt::format("{}{}{}", "center code '", spec.code, "' already exists"));
  }
  if (spec.districts.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}{}{}", "center '", spec.code, "' serves no district"));
  }
  if (spec.districts.size() > static_cast<size_t>(kDistrictsPerCenterMax)) {
    return absl::InvalidArgumentError(fmt::format("center '{}' lists {} districts; at most {}",
                                                  spec.code, spec.districts.size(),
                                                  kDistrictsPerCenterMax));
  }
  absl::flat_hash_set<DistrictId> seen;
  for (DistrictId district : spec.districts) {
    if (district == kNoId || district > state_->districts.size()) {
      return absl::NotFoundError(
          fmt::format("center '{}': unknown district id {}", spec.code, district));
    }
    if (!seen.insert(district).second) {
      return absl::InvalidArgumentError(
          fmt::format("center '{}' lists district {} twice", spec.code, district));
    }
  }
  Center center;
  center.id = static_cast<CenterId>(state_->centers.size() + 1);
  center.spec = spec;
  return Prepared<Center>{state_->revision, std::move(center)};
}

namespace {

// Calls fn(day_number, minute) for every slot a block covers.
template <class Fn>
void ForEachSlot(const CapacityBlock& block, Fn&& fn) {
  for (absl::CivilDay day = block.first_day; day <= block.last_day; ++day) {
    // absl::GetWeekday: Monday is kMonday; our bit 0 is Monday.
    const int weekday_index =
        (static_cast<int>(absl::GetWeekday(day)) - static_cast<int>(absl::Weekday::monday) + 7) % 7;
    if ((block.weekdays & (1u << weekday_index)) == 0) continue;
    for (int minute = block.open_minute; minute + block.slot_minutes <= block.close_minute;
         minute += block.slot_minutes) {
      fn(ToDayNumber(day), minute);
    }
  }
}

absl::Status CheckPoolRange(const Pool* pool, DayNumber from, DayNumber to) {
  DayNumber first = from, last = to;
  if (pool != nullptr && !pool->days.empty()) {
    first = std::min(first, pool->first_day);
    last = std::max(last, pool->first_day + static_cast<DayNumber>(pool->days.size()) - 1);
  }
  if (last - first + 1 > kCalendarDaysMax) {
    return absl::InvalidArgumentError(
        fmt::format("a center's calendar for one vaccine would span {} days; at most {}",
                    last - first + 1, kCalendarDaysMax));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Prepared<CapacityBlock>> Engine::PrepareAddCapacity(
    const CapacityBlock& block) const {
  if (block.center == kNoId || block.center > state_->centers.size()) {
    return absl::NotFoundError(fmt::format("capacity: unknown center id {}", block.center));
  }
  if (block.vaccine == kNoId || block.vaccine > state_->vaccines.size()) {
    return absl::NotFoundError(fmt::format("capacity: unknown vaccine id {}", block.vaccine));
  }
  VAXALLOC_RETURN_IF_ERROR(CheckDay("capacity first_day", block.first_day));
  VAXALLOC_RETURN_IF_ERROR(CheckDay("capacity last_day", block.last_day));
  if (block.last_day < block.first_day) {
    return absl::InvalidArgumentError(fmt::format("capacity: last_day {} is before first_day {}",
                                                  absl::FormatCivilTime(block.last_day),
                                                  absl::FormatCivilTime(block.first_day)));
  }
  if (block.last_day - block.first_day + 1 > kCapacityBlockDaysMax) {
    return absl::InvalidArgumentError(fmt::format("capacity: a block spans {} days; at most {}",
                                                  block.last_day - block.first_day + 1,
                                                  kCapacityBlockDaysMax));
  }
  if (block.weekdays == 0 || block.weekdays > kEveryDay) {
    return absl::InvalidArgumentError(
        fmt::format("capacity: weekday mask 0x{:x} selects no valid weekday", block.weekdays));
  }
  if (block.slot_minutes < kSlotMinutesMin || block.slot_minutes > kSlotMinutesMax) {
    return absl::InvalidArgumentError(fmt::format("capacity: slot_minutes {} outside {}..{}",
                                                  block.slot_minutes, kSlotMinutesMin,
                                                  kSlotMinutesMax));
  }
  // Each bound on its own first: a sum of unchecked values could overflow.
  if (block.open_minute < 0 || block.close_minute > 24 * 60 ||
      block.open_minute >= block.close_minute ||
      block.close_minute - block.open_minute < block.slot_minutes) {
    return absl::InvalidArgumentError(
        fmt::format("capacity: opening hours {}..{} (minutes after midnight) hold no {}-minute "
                    "slot within 0..1440",
                    block.open_minute, block.close_minute, block.slot_minutes));
  }
  if (block.seats_first < 0 || block.seats_first > kSeatsPerSlotMax || block.seats_second < 0 ||
      block.seats_second > kSeatsPerSlotMax) {
    return absl::InvalidArgumentError(
        fmt::format("capacity: seats per slot {} (first) and {} (second) must lie in 0..{}",
                    block.seats_first, block.seats_second, kSeatsPerSlotMax));
  }
  if (block.seats_first == 0 && block.seats_second == 0) {
    return absl::InvalidArgumentError("capacity: a block with no seats adds nothing");
  }
  const VaccineSpec& vaccine = state_->vaccines[block.vaccine - 1].spec;
  if (vaccine.dose_count == 1 && block.seats_second > 0) {
    return absl::InvalidArgumentError(fmt::format(
        "capacity: vaccine '{}' has one dose; it takes no second-dose seats", vaccine.code));
  }
  const Pool* pool = state_->FindPool(block.center, block.vaccine);
  VAXALLOC_RETURN_IF_ERROR(
      CheckPoolRange(pool, ToDayNumber(block.first_day), ToDayNumber(block.last_day)));
  // Seats accumulate over blocks; a slot's total must stay within the limit.
  int slots = 0;
  absl::Status overflow = absl::OkStatus();
  ForEachSlot(block, [&](DayNumber day, int minute) {
    ++slots;
    if (pool == nullptr || !overflow.ok()) return;
    const PoolSlot* slot = pool->FindSlot(day, minute);
    if (slot != nullptr && (slot->seats_first + block.seats_first > kSeatsPerSlotMax ||
                            slot->seats_second + block.seats_second > kSeatsPerSlotMax)) {
      overflow = absl::InvalidArgumentError(fmt::format(
          "capacity: slot {} {:02d}:{:02d} would exceed {} seats",
          absl::FormatCivilTime(ToCivilDay(day)), minute / 60, minute % 60, kSeatsPerSlotMax));
    }
  });
  VAXALLOC_RETURN_IF_ERROR(overflow);
  if (slots == 0) {
    return absl::InvalidArgumentError("capacity: the block's weekdays fall on none of its days");
  }
  return Prepared<CapacityBlock>{state_->revision, block};
}

absl::StatusOr<Prepared<SupplyDelivery>> Engine::PrepareAddSupply(
    const SupplyDelivery& delivery) const {
  if (delivery.center == kNoId || delivery.center > state_->centers.size()) {
    return absl::NotFoundError(fmt::format("supply: unknown center id {}", delivery.center));
  }
  if (delivery.vaccine == kNoId || delivery.vaccine > state_->vaccines.size()) {
    return absl::NotFoundError(fmt::format("supply: unknown vaccine id {}", delivery.vaccine));
  }
  VAXALLOC_RETURN_IF_ERROR(CheckDay("supply day", delivery.day));
  if (delivery.doses <= 0 || delivery.doses > kDosesPerDeliveryMax) {
    return absl::InvalidArgumentError(
        fmt::format("supply: doses {} outside 1..{}", delivery.doses, kDosesPerDeliveryMax));
  }
  const DayNumber day = ToDayNumber(delivery.day);
  VAXALLOC_RETURN_IF_ERROR(
      CheckPoolRange(state_->FindPool(delivery.center, delivery.vaccine), day, day));
  return Prepared<SupplyDelivery>{state_->revision, delivery};
}

absl::StatusOr<Prepared<PolicyVersion>> Engine::PrepareSetPolicy(const Policy& requested) const {
  for (size_t i = 0; i < requested.tier_rules.size(); ++i) {
    const absl::Time bound = requested.tier_rules[i].registered_before;
    if (bound == absl::InfiniteFuture() || bound == absl::InfinitePast()) continue;
    VAXALLOC_RETURN_IF_ERROR(
        CheckTime(fmt::format("policy: tier rule {}'s registered_before", i), bound));
  }
  // Microsecond precision is what the engine and the store keep.
  Policy policy = requested;
  for (TierRule& rule : policy.tier_rules) {
    rule.registered_before = internal::FromMicros(internal::ToMicros(rule.registered_before));
  }
  for (size_t i = 0; i < policy.tier_rules.size(); ++i) {
    const TierRule& rule = policy.tier_rules[i];
    if (i > 0 && !(policy.tier_rules[i - 1].registered_before < rule.registered_before)) {
      return absl::InvalidArgumentError(
          fmt::format("policy: tier rule {}'s registered_before is not after rule {}'s", i, i - 1));
    }
    if (rule.registered_before == absl::InfinitePast()) {
      return absl::InvalidArgumentError(
          fmt::format("policy: tier rule {} applies to no registration", i));
    }
    for (int g = 0; g < kPriorityGroupCount; ++g) {
      if (rule.tier_by_group[g] < 1 || rule.tier_by_group[g] > kTierMax) {
        return absl::InvalidArgumentError(
            fmt::format("policy: tier rule {} gives group {} tier {}; tiers are 1..{}", i, g + 1,
                        rule.tier_by_group[g], kTierMax));
      }
    }
  }
  if (policy.reserves.size() > static_cast<size_t>(kReserveCategoriesMax)) {
    return absl::InvalidArgumentError(fmt::format("policy: {} reserve categories; at most {}",
                                                  policy.reserves.size(), kReserveCategoriesMax));
  }
  int share_total = 0;
  for (size_t i = 0; i < policy.reserves.size(); ++i) {
    const ReserveCategory& reserve = policy.reserves[i];
    VAXALLOC_RETURN_IF_ERROR(
        CheckText(fmt::format("policy: reserve {} name", i), reserve.name, kNameLengthMax));
    if (reserve.share_permille < 0 || reserve.share_permille > 1000) {
      return absl::InvalidArgumentError(
          fmt::format("policy: reserve '{}' share {} permille outside 0..1000", reserve.name,
                      reserve.share_permille));
    }
    share_total += reserve.share_permille;
    if (reserve.age_years_min < 0 || reserve.age_years_min > kAgeYearsMax) {
      return absl::InvalidArgumentError(
          fmt::format("policy: reserve '{}' age_years_min {} outside 0..{}", reserve.name,
                      reserve.age_years_min, kAgeYearsMax));
    }
    if (reserve.group_mask > 0x0f) {
      return absl::InvalidArgumentError(
          fmt::format("policy: reserve '{}' group_mask 0x{:x} names no priority group",
                      reserve.name, reserve.group_mask));
    }
    if (reserve.vaccine != kNoId && reserve.vaccine > state_->vaccines.size()) {
      return absl::NotFoundError(fmt::format("policy: reserve '{}' names unknown vaccine id {}",
                                             reserve.name, reserve.vaccine));
    }
  }
  if (share_total > 1000) {
    return absl::InvalidArgumentError(
        fmt::format("policy: reserve shares add up to {} permille; at most 1000", share_total));
  }
  if (policy.residence != ResidenceRule::kHomeDistrictOnly &&
      policy.residence != ResidenceRule::kHomeOrNeighbourDistrict) {
    return absl::InvalidArgumentError(
        fmt::format("policy: unknown residence rule {}", static_cast<int>(policy.residence)));
  }
  for (const auto& [a, b] : policy.neighbours) {
    for (DistrictId district : {a, b}) {
      if (district == kNoId || district > state_->districts.size()) {
        return absl::NotFoundError(
            fmt::format("policy: neighbour pair names unknown district id {}", district));
      }
    }
    if (a == b) {
      return absl::InvalidArgumentError(
          fmt::format("policy: district {} cannot neighbour itself", a));
    }
  }
  VAXALLOC_RETURN_IF_ERROR(CheckText("policy: time_zone", policy.time_zone, kTimeZoneLengthMax));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(policy.time_zone, &zone)) {
    return absl::InvalidArgumentError(fmt::format(
        "policy: unknown time zone '{}' (an IANA name such as Europe/Berlin)", policy.time_zone));
  }
  if (policy.hold < absl::Seconds(1) || policy.hold > absl::Minutes(kHoldMinutesMax)) {
    return absl::InvalidArgumentError(fmt::format("policy: hold {} is outside 1 s .. {} minutes",
                                                  std::string(absl::FormatDuration(policy.hold)),
                                                  kHoldMinutesMax));
  }
  policy.hold = absl::Microseconds(absl::ToInt64Microseconds(policy.hold));
  for (const auto& [channel, days] : {std::pair{"online", policy.draw_lead_days_online},
                                      std::pair{"phone", policy.draw_lead_days_phone}}) {
    if (days < 0 || days > kDrawLeadDaysMax) {
      return absl::InvalidArgumentError(fmt::format(
          "policy: draw_lead_days_{} {} is outside 0..{}", channel, days, kDrawLeadDaysMax));
    }
  }
  if (policy.overbook_permille < 0 || policy.overbook_permille > kOverbookPermilleMax) {
    return absl::InvalidArgumentError(fmt::format("policy: overbook_permille {} is outside 0..{}",
                                                  policy.overbook_permille,
                                                  kOverbookPermilleMax));
  }
  if (policy.short_notice_days < 0 || policy.short_notice_days > kShortNoticeDaysMax) {
    return absl::InvalidArgumentError(fmt::format("policy: short_notice_days {} is outside 0..{}",
                                                  policy.short_notice_days, kShortNoticeDaysMax));
  }
  if (policy.standby_hold < absl::Seconds(1) ||
      policy.standby_hold > absl::Minutes(kHoldMinutesMax)) {
    return absl::InvalidArgumentError(
        fmt::format("policy: standby_hold {} is outside 1 s .. {} minutes",
                    std::string(absl::FormatDuration(policy.standby_hold)), kHoldMinutesMax));
  }
  policy.standby_hold = absl::Microseconds(absl::ToInt64Microseconds(policy.standby_hold));
  if (policy.code_digits < kCodeDigitsMin || policy.code_digits > kCodeDigitsMax) {
    return absl::InvalidArgumentError(fmt::format("policy: code_digits {} is outside {}..{}",
                                                  policy.code_digits, kCodeDigitsMin,
                                                  kCodeDigitsMax));
  }
  if (policy.code_lifetime < absl::Seconds(1) ||
      policy.code_lifetime > absl::Minutes(kCodeLifetimeMinutesMax)) {
    return absl::InvalidArgumentError(fmt::format(
        "policy: code_lifetime {} is outside 1 s .. {} minutes",
        std::string(absl::FormatDuration(policy.code_lifetime)), kCodeLifetimeMinutesMax));
  }
  policy.code_lifetime = absl::Microseconds(absl::ToInt64Microseconds(policy.code_lifetime));
  if (policy.code_attempts < 1 || policy.code_attempts > kCodeAttemptsMax) {
    return absl::InvalidArgumentError(fmt::format("policy: code_attempts {} is outside 1..{}",
                                                  policy.code_attempts, kCodeAttemptsMax));
  }
  PolicyVersion version{static_cast<uint32_t>(state_->policies.size() + 1), policy};
  return Prepared<PolicyVersion>{state_->revision, std::move(version)};
}

// ---------------------------------------------------------------------------
// Setup: Apply

namespace {
template <class T>
void CheckRevision(const Prepared<T>& prepared, uint64_t revision) {
  // A change prepared against another state would corrupt this one.
  VAXALLOC_ASSERT(prepared.revision == revision);
}
}  // namespace

void Engine::Apply(const Prepared<District>& prepared) {
  CheckRevision(prepared, state_->revision);
  const District& district = prepared.change;
  VAXALLOC_ASSERT(district.id == state_->districts.size() + 1);
  state_->district_by_code.emplace(district.code, district.id);
  state_->districts.push_back(district);
  state_->centers_by_district.emplace_back();
  state_->counts.waiting_by_district.push_back(0);
  ++state_->revision;
}

void Engine::Apply(const Prepared<Vaccine>& prepared) {
  CheckRevision(prepared, state_->revision);
  const Vaccine& vaccine = prepared.change;
  VAXALLOC_ASSERT(vaccine.id == state_->vaccines.size() + 1);
  state_->vaccine_by_code.emplace(vaccine.spec.code, vaccine.id);
  state_->vaccines.push_back(vaccine);
  ++state_->revision;
}

void Engine::Apply(const Prepared<Center>& prepared) {
  CheckRevision(prepared, state_->revision);
  const Center& center = prepared.change;
  VAXALLOC_ASSERT(center.id == state_->centers.size() + 1);
  state_->center_by_code.emplace(center.spec.code, center.id);
  state_->centers.push_back(center);
  state_->pools_by_center.emplace_back();
  state_->releases_by_center.emplace_back();
  state_->counts.active_by_center.push_back(0);
  state_->series_by_center.emplace_back();
  for (DistrictId district : center.spec.districts) {
    std::vector<CenterId>& serving = state_->centers_by_district[district - 1];
    serving.insert(std::upper_bound(serving.begin(), serving.end(), center.id), center.id);
  }
  ++state_->revision;
}

void Engine::Apply(const Prepared<CapacityBlock>& prepared) {
  CheckRevision(prepared, state_->revision);
  const CapacityBlock& block = prepared.change;
  Pool& pool = state_->PoolFor(block.center, block.vaccine);
  pool.Cover(ToDayNumber(block.first_day));
  pool.Cover(ToDayNumber(block.last_day));
  const int permille = state_->current_policy().policy.overbook_permille;
  ForEachSlot(block, [&](DayNumber day, int minute) {
    pool.AddSeats(day, minute, block.seats_first, block.seats_second,
                  internal::OverbookedExtra(block, minute, false, permille),
                  internal::OverbookedExtra(block, minute, true, permille));
  });
  pool.RecomputeSlack();
  state_->capacity_blocks.push_back(block);
  ++state_->revision;
}

void Engine::Apply(const Prepared<SupplyDelivery>& prepared) {
  CheckRevision(prepared, state_->revision);
  const SupplyDelivery& delivery = prepared.change;
  Pool& pool = state_->PoolFor(delivery.center, delivery.vaccine);
  const DayNumber day = ToDayNumber(delivery.day);
  pool.Cover(day);
  pool.days[day - pool.first_day].delivered += delivery.doses;
  pool.RecomputeSlack();
  state_->deliveries.push_back(delivery);
  ++state_->revision;
}

void Engine::Apply(const Prepared<PolicyVersion>& prepared) {
  CheckRevision(prepared, state_->revision);
  VAXALLOC_ASSERT(prepared.change.version == state_->policies.size() + 1);
  const int old_permille = state_->current_policy().policy.overbook_permille;
  state_->policies.push_back(prepared.change);
  state_->RecountWaitingTiers();
  // Validated by PrepareSetPolicy; absl caches loaded zones.
  const bool loaded = absl::LoadTimeZone(prepared.change.policy.time_zone, &state_->time_zone);
  VAXALLOC_ASSERT(loaded);
  // A new overbooking: every pool's extra seats again, block by block.
  const int permille = prepared.change.policy.overbook_permille;
  if (permille != old_permille) {
    for (Pool& pool : state_->pools) pool.ResetBookable();
    for (const CapacityBlock& block : state_->capacity_blocks) {
      Pool& pool = state_->PoolFor(block.center, block.vaccine);
      ForEachSlot(block, [&](DayNumber day, int minute) {
        pool.AddSeats(day, minute, 0, 0, internal::OverbookedExtra(block, minute, false, permille),
                      internal::OverbookedExtra(block, minute, true, permille));
      });
    }
  }
  ++state_->revision;
}

// ---------------------------------------------------------------------------
// Registrants

namespace {
// Everything about a registration but the uniqueness of its reference.
absl::Status CheckRegistrantFields(const Engine::State& state, const RegistrantSpec& spec) {
  if (spec.district == kNoId || spec.district > state.districts.size()) {
    return absl::NotFoundError(
        fmt::format("unknown district id {} for '{}'", spec.district, spec.external_ref));
  }
  if (spec.vaccine_preference != kNoId && spec.vaccine_preference > state.vaccines.size()) {
    return absl::NotFoundError(fmt::format("unknown preferred vaccine id {} for '{}'",
                                           spec.vaccine_preference, spec.external_ref));
  }
  const int group = static_cast<int>(spec.group);
  if (group < 1 || group > kPriorityGroupCount) {
    return absl::InvalidArgumentError(
        fmt::format("priority group {} of '{}' is not 1..4", group, spec.external_ref));
  }
  if (spec.channel != Channel::kOnline && spec.channel != Channel::kPhone) {
    return absl::InvalidArgumentError(fmt::format(
        "channel {} of '{}' is unknown", static_cast<int>(spec.channel), spec.external_ref));
  }
  absl::Status status = CheckTime("registered_at", spec.registered_at);
  if (status.ok()) status = CheckDay("birth_day", spec.birth_day);
  if (!status.ok()) {
    return absl::Status(status.code(), fmt::format("{} for '{}'", std::string(status.message()),
                                                   spec.external_ref));
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<Prepared<std::vector<Registrant>>> Engine::PrepareRegister(
    absl::Span<const RegistrantSpec> specs) const {
  if (state_->registrants.size() + specs.size() >= std::numeric_limits<RegistrantId>::max()) {
    return absl::ResourceExhaustedError("registrant ids exhausted");
  }
  absl::flat_hash_set<std::string_view> batch_refs;
  if (specs.size() > 1) batch_refs.reserve(specs.size());
  Prepared<std::vector<Registrant>> prepared;
  prepared.revision = state_->revision;
  prepared.change.reserve(specs.size());
  RegistrantId next_id = static_cast<RegistrantId>(state_->registrants.size() + 1);
  for (size_t i = 0; i < specs.size(); ++i) {
    const RegistrantSpec& spec = specs[i];
    absl::Status status = CheckText("external_ref", spec.external_ref, kExternalRefLengthMax);
    if (status.ok() && (state_->registrant_by_ref.contains(std::string_view(spec.external_ref)) ||
                        (specs.size() > 1 && !batch_refs.insert(spec.external_ref).second))) {
      status = absl::AlreadyExistsError(
          fmt::format("external_ref '{}' is already registered", spec.external_ref));
    }
    if (status.ok()) status = CheckRegistrantFields(*state_, spec);
    if (status.ok()) {
      status = CheckAfterLatestDraw(*state_, "registered_at", spec.registered_at, false);
      if (!status.ok()) {
        status = absl::Status(
            status.code(),
            fmt::format("{} for '{}'", std::string(status.message()), spec.external_ref));
      }
    }
    if (!status.ok()) {
      // In a batch, every error names the entry's position.
      if (specs.size() == 1) return status;
      return absl::Status(status.code(),
                          fmt::format("registrant #{}: {}", i, std::string(status.message())));
    }
    Registrant registrant;
    registrant.id = next_id++;
    registrant.spec = spec;
    // Microsecond precision is what the engine and the store keep.
    registrant.spec.registered_at = internal::FromMicros(internal::ToMicros(spec.registered_at));
    registrant.status = RegistrantStatus::kWaiting;
    registrant.waiting_since = registrant.spec.registered_at;
    prepared.change.push_back(std::move(registrant));
  }
  return prepared;
}

namespace {
// Appends a registrant row; the caller has validated it. False (and nothing
// appended) when the reference is already taken.
bool AppendRegistrant(Engine::State& state, const Registrant& registrant) {
  RegistrantRow row;
  row.registered_at_us = internal::ToMicros(registrant.spec.registered_at);
  row.waiting_since_us = internal::ToMicros(registrant.waiting_since);
  static_assert(uint64_t{std::numeric_limits<RegistrantId>::max()} * kExternalRefLengthMax <=
                RegistrantRow::kRefOffsetMax);
  row.set_ref_offset(state.refs.size());
  row.ref_length = static_cast<uint8_t>(registrant.spec.external_ref.size());
  row.series = registrant.series;
  row.district = registrant.spec.district;
  row.birth_day = ToDayNumber(registrant.spec.birth_day);
  row.vaccine_preference = static_cast<uint16_t>(registrant.spec.vaccine_preference);
  row.group = registrant.spec.group;
  row.channel = registrant.spec.channel;
  row.standby = registrant.spec.standby;
  row.status = registrant.status;
  state.refs += registrant.spec.external_ref;
  state.registrants.push_back(row);
  if (!row.erased() && !state.registrant_by_ref.insert(registrant.id).second) {
    // Only a restored file can hold a duplicate: take the row back.
    state.registrants.pop_back();
    state.refs.resize(row.ref_offset());
    return false;
  }
  state.CountRegistrant(row, +1);
  if (row.standby) state.standby_registrants.push_back(registrant.id);
  return true;
}
}  // namespace

void Engine::Apply(const Prepared<std::vector<Registrant>>& prepared) {
  CheckRevision(prepared, state_->revision);
  state_->NoteChange(internal::ChangeInstantUs(prepared.change));
  internal::ReserveMore(state_->registrants, prepared.change.size());
  for (const Registrant& registrant : prepared.change) {
    VAXALLOC_ASSERT(registrant.id == state_->registrants.size() + 1);
    const bool appended = AppendRegistrant(*state_, registrant);
    VAXALLOC_ASSERT(appended);
  }
  ++state_->revision;
}

// ---------------------------------------------------------------------------
// Cancellation and withdrawal

namespace {
std::string_view StatusName(SeriesStatus status) {
  switch (status) {
    case SeriesStatus::kActive:
      return "active";
    case SeriesStatus::kCancelled:
      return "cancelled";
    case SeriesStatus::kHeld:
      return "a hold";
    case SeriesStatus::kLapsed:
      return "a lapsed hold";
    case SeriesStatus::kCompleted:
      return "completed";
    case SeriesStatus::kMissed:
      return "ended by a missed first dose";
  }
  return "in an unknown state";
}
}  // namespace

namespace internal {
Series CancelledRow(const Series& series) {
  Series row = series;
  row.status = SeriesStatus::kCancelled;
  for (int dose = 0; dose < row.dose_count; ++dose) {
    if (row.doses[dose] == DoseState::kBooked) row.doses[dose] = DoseState::kReleased;
  }
  return row;
}

Series LapsedRow(const Series& hold) {
  Series row = hold;
  row.status = SeriesStatus::kLapsed;
  row.hold_expires_at = absl::InfinitePast();  // meaningful only while held
  for (int dose = 0; dose < row.dose_count; ++dose) row.doses[dose] = DoseState::kReleased;
  return row;
}

absl::Status NotActiveError(SeriesId id, SeriesStatus status) {
  return absl::FailedPreconditionError(
      fmt::format("series {} is {}, not active", id, StatusName(status)));
}
}  // namespace internal

absl::StatusOr<Prepared<Cancellation>> Engine::PrepareCancelSeries(SeriesId series_id,
                                                                   absl::Time at) const {
  VAXALLOC_RETURN_IF_ERROR(CheckTime("cancellation time", at));
  VAXALLOC_RETURN_IF_ERROR(CheckAfterLatestDraw(*state_, "cancellation time", at, false));
  if (series_id == kNoId || series_id > state_->series.size()) {
    return absl::NotFoundError(fmt::format("unknown series id {}", series_id));
  }
  const Series& series = state_->series[series_id - 1];
  if (series.status == SeriesStatus::kCancelled) {
    return absl::FailedPreconditionError(fmt::format("series {} is already cancelled", series_id));
  }
  if (series.status == SeriesStatus::kHeld) {
    return absl::FailedPreconditionError(
        fmt::format("series {} is a hold: decline it rather than cancel it", series_id));
  }
  if (series.status != SeriesStatus::kActive) {
    return internal::NotActiveError(series_id, series.status);
  }
  Cancellation cancellation;
  cancellation.series = series_id;
  cancellation.registrant = series.registrant;
  cancellation.at = internal::FromMicros(internal::ToMicros(at));
  // After a given first dose only the second appointment is left to cancel,
  // and a new series would repeat the first dose: the person finishes
  // elsewhere (vaccinated by their GP) and leaves the waiting list.
  cancellation.withdraw = series.doses[0] == DoseState::kGiven;
  cancellation.written.push_back(internal::CancelledRow(series));
  // A short-notice hold that was to replace this series has nothing left to
  // replace: it lapses with it.
  if (auto hold = state_->hold_by_registrant.find(series.registrant);
      hold != state_->hold_by_registrant.end() &&
      state_->series[hold->second - 1].replaces == series_id) {
    cancellation.hold = hold->second;
    cancellation.written.push_back(internal::LapsedRow(state_->series[hold->second - 1]));
  }
  return Prepared<Cancellation>{state_->revision, std::move(cancellation)};
}

absl::StatusOr<Prepared<Cancellation>> Engine::PrepareDeleteRegistration(RegistrantId registrant_id,
                                                                         absl::Time at) const {
  VAXALLOC_RETURN_IF_ERROR(CheckTime("deletion time", at));
  if (registrant_id == kNoId || registrant_id > state_->registrants.size()) {
    return absl::NotFoundError(fmt::format("unknown registrant id {}", registrant_id));
  }
  const RegistrantRow& row = state_->registrants[registrant_id - 1];
  if (row.erased()) {
    return absl::FailedPreconditionError(
        fmt::format("registrant {}'s registration is already deleted", registrant_id));
  }
  if (row.status == RegistrantStatus::kWithdrawn) {
    // Only the erasure is left to do; nothing about the campaign changes.
    Cancellation cancellation;
    cancellation.registrant = registrant_id;
    cancellation.at = internal::FromMicros(internal::ToMicros(at));
    cancellation.erase = true;
    return Prepared<Cancellation>{state_->revision, std::move(cancellation)};
  }
  absl::StatusOr<Prepared<Cancellation>> prepared = PrepareWithdraw(registrant_id, at);
  if (prepared.ok()) prepared->change.erase = true;
  return prepared;
}

absl::StatusOr<Prepared<Cancellation>> Engine::PrepareWithdraw(RegistrantId registrant_id,
                                                               absl::Time at) const {
  VAXALLOC_RETURN_IF_ERROR(CheckTime("withdrawal time", at));
  VAXALLOC_RETURN_IF_ERROR(CheckAfterLatestDraw(*state_, "withdrawal time", at, false));
  if (registrant_id == kNoId || registrant_id > state_->registrants.size()) {
    return absl::NotFoundError(fmt::format("unknown registrant id {}", registrant_id));
  }
  const RegistrantRow& row = state_->registrants[registrant_id - 1];
  if (row.status == RegistrantStatus::kWithdrawn) {
    return absl::FailedPreconditionError(
        fmt::format("registrant {} has already withdrawn", registrant_id));
  }
  // A completed series stays completed; only a scheduled one is cancelled.
  const SeriesId active = row.status == RegistrantStatus::kScheduled ? row.series : kNoId;
  Cancellation cancellation;
  cancellation.series = active;
  cancellation.registrant = registrant_id;
  cancellation.at = internal::FromMicros(internal::ToMicros(at));
  cancellation.withdraw = true;
  if (active != kNoId) cancellation.written.push_back(internal::CancelledRow(state_->series[active - 1]));
  if (auto hold = state_->hold_by_registrant.find(registrant_id);
      hold != state_->hold_by_registrant.end()) {
    cancellation.hold = hold->second;
    cancellation.written.push_back(internal::LapsedRow(state_->series[hold->second - 1]));
  }
  return Prepared<Cancellation>{state_->revision, std::move(cancellation)};
}

void Engine::Apply(const Prepared<Cancellation>& prepared) {
  CheckRevision(prepared, state_->revision);
  const Cancellation& cancellation = prepared.change;
  state_->NoteChange(internal::ChangeInstantUs(cancellation));
  RegistrantRow& row = state_->registrants[cancellation.registrant - 1];
  for (const Series& written : cancellation.written) {
    VAXALLOC_ASSERT(written.registrant == cancellation.registrant);
  }
  internal::WriteSeriesRows(*state_, cancellation.written);
  state_->CountRegistrant(row, -1);
  if (cancellation.series != kNoId || cancellation.withdraw) row.series = kNoId;
  if (cancellation.withdraw) {
    row.status = RegistrantStatus::kWithdrawn;
  } else if (!cancellation.erase) {
    row.status = RegistrantStatus::kWaiting;
    row.waiting_since_us = internal::ToMicros(cancellation.at);
  }
  if (cancellation.erase) {
    VAXALLOC_ASSERT(row.status == RegistrantStatus::kWithdrawn && !row.erased());
    // Unindexed first: the index hashes the reference.
    state_->registrant_by_ref.erase(cancellation.registrant);
    std::fill_n(state_->refs.begin() + row.ref_offset(), row.ref_length, '\0');
    row.ref_length = 0;
    row.birth_day = 0;
  }
  state_->CountRegistrant(row, +1);
  ++state_->revision;
}

// ---------------------------------------------------------------------------
// Restore

namespace {
// An erased registrant as DeleteRegistration leaves it.
absl::Status CheckErased(const Registrant& registrant) {
  const RegistrantSpec& spec = registrant.spec;
  if (registrant.status != RegistrantStatus::kWithdrawn || !spec.external_ref.empty() ||
      spec.birth_day != absl::CivilDay(1970, 1, 1)) {
    return absl::InvalidArgumentError(
        "an erased registration must be withdrawn and keep no reference or birth day");
  }
  return absl::OkStatus();
}
}  // namespace

void Engine::ReserveRegistrants(size_t count) {
  const size_t total = state_->registrants.size() + count;
  if (total >= std::numeric_limits<RegistrantId>::max()) return;
  // Headroom for the registrations that follow a restore: without it the
  // first one would copy the whole table (0.3 s at 8 M). Pages never written
  // cost no memory.
  state_->registrants.reserve(total + total / 8);
  state_->registrant_by_ref.reserve(total);
}

absl::Status Engine::RestoreRegistrant(const Registrant& registrant) {
  if (registrant.id != state_->registrants.size() + 1) {
    return absl::DataLossError(fmt::format("registrant id {} out of sequence (expected {})",
                                           registrant.id, state_->registrants.size() + 1));
  }
  absl::Status status =
      registrant.erased
          ? CheckErased(registrant)
          : CheckText("external_ref", registrant.spec.external_ref, kExternalRefLengthMax);
  if (status.ok()) status = CheckRegistrantFields(*state_, registrant.spec);
  const int registrant_status = static_cast<int>(registrant.status);
  if (status.ok() && (registrant_status < 0 ||
                      registrant_status > static_cast<int>(RegistrantStatus::kVaccinated))) {
    status = absl::InvalidArgumentError(fmt::format("unknown status {}", registrant_status));
  }
  if (status.ok() && !AppendRegistrant(*state_, registrant)) {
    status = absl::AlreadyExistsError(
        fmt::format("external_ref '{}' is already registered", registrant.spec.external_ref));
  }
  if (!status.ok()) {
    return absl::DataLossError(
        fmt::format("stored registrant {}: {}", registrant.id, std::string(status.message())));
  }
  ++state_->revision;
  return absl::OkStatus();
}

absl::Status Engine::RestoreRegistrants(absl::Span<const Registrant> registrants) {
  // At millions of registrants each insert into the reference index misses
  // the cache; fetching a few rows ahead overlaps those misses.
  constexpr size_t kPrefetch = 8;
  for (size_t i = 0; i < registrants.size(); ++i) {
    if (i + kPrefetch < registrants.size()) {
      state_->registrant_by_ref.prefetch(
          std::string_view(registrants[i + kPrefetch].spec.external_ref));
    }
    VAXALLOC_RETURN_IF_ERROR(RestoreRegistrant(registrants[i]));
  }
  return absl::OkStatus();
}

absl::Status Engine::RestoreSeries(const Series& series) {
  const std::string what = fmt::format("stored series {}", series.id);
  if (series.id != state_->series.size() + 1) {
    return absl::DataLossError(fmt::format("{}{}", what, " out of sequence"));
  }
  if (series.registrant == kNoId || series.registrant > state_->registrants.size()) {
    return absl::DataLossError(fmt::format("{}{}", what, " names an unknown registrant"));
  }
  if (series.vaccine == kNoId || series.vaccine > state_->vaccines.size() ||
      series.dose_count != state_->vaccines[series.vaccine - 1].spec.dose_count) {
    return absl::DataLossError(
        fmt::format("{}{}", what, " names an unknown vaccine or dose count"));
  }
  if (static_cast<int>(series.status) > static_cast<int>(SeriesStatus::kMissed) ||
      static_cast<int>(series.origin) > static_cast<int>(SeriesOrigin::kStandby)) {
    return absl::DataLossError(fmt::format("{}{}", what, " has an unknown status or origin"));
  }
  for (int dose = 0; dose < series.dose_count; ++dose) {
    if (static_cast<int>(series.doses[dose]) > static_cast<int>(DoseState::kReleased)) {
      return absl::DataLossError(fmt::format("{} has an unknown dose {} state", what, dose + 1));
    }
  }
  if (series.release != kNoId &&
      (series.release > state_->releases.size() ||
       state_->releases[series.release - 1].spec.center != series.center)) {
    return absl::DataLossError(fmt::format("{}{}", what, " names a release of another center"));
  }
  if (series.status == SeriesStatus::kHeld) {
    if (state_->Holding(series.registrant)) {
      return absl::DataLossError(fmt::format("{}{}", what, " is a second hold of its registrant"));
    }
    if (series.hold_expires_at == absl::InfinitePast() ||
        series.hold_expires_at == absl::InfiniteFuture()) {
      return absl::DataLossError(fmt::format("{}{}", what, " is a hold without an expiry"));
    }
  }
  if (series.replaces != kNoId && series.replaces >= series.id) {
    return absl::DataLossError(fmt::format("{}{}", what, " replaces a later series"));
  }
  const Pool* pool = state_->FindPool(series.center, series.vaccine);
  for (int dose = 0; dose < series.dose_count; ++dose) {
    const Appointment& appointment = series.appointments[dose];
    if (pool == nullptr ||
        pool->FindSlot(ToDayNumber(appointment.day), appointment.minute) == nullptr) {
      return absl::DataLossError(fmt::format("{}{}", what, " sits in a slot the calendar lacks"));
    }
  }
  // Capacity and supply are not checked here: CheckInvariants reports them.
  internal::WriteSeriesRows(*state_, {series});
  ++state_->revision;
  return absl::OkStatus();
}

absl::Status Engine::CheckRestoredLinks() const {
  for (RegistrantId id = 1; id <= state_->registrants.size(); ++id) {
    const RegistrantRow& row = state_->registrants[id - 1];
    // Whatever the status, a series named is one of the registrant's own.
    if (row.series != kNoId && (row.series > state_->series.size() ||
                                state_->series[row.series - 1].registrant != id)) {
      return absl::DataLossError(fmt::format(
          "stored registrant {} names series {}, which is not one of its own", id, row.series));
    }
    SeriesStatus expected;
    if (row.status == RegistrantStatus::kScheduled) {
      expected = SeriesStatus::kActive;
    } else if (row.status == RegistrantStatus::kVaccinated) {
      expected = SeriesStatus::kCompleted;
    } else {
      continue;
    }
    if (row.series == kNoId || row.series > state_->series.size() ||
        state_->series[row.series - 1].registrant != id ||
        state_->series[row.series - 1].status != expected) {
      return absl::DataLossError(fmt::format(
          "stored registrant {} is {} but names series {}, which is not its own {} series", id,
          row.status == RegistrantStatus::kScheduled ? "scheduled" : "vaccinated", row.series,
          row.status == RegistrantStatus::kScheduled ? "active" : "completed"));
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::RestoreDraw(const DrawRecord& record) {
  if (record.id != state_->draws.size() + 1) {
    return absl::DataLossError(fmt::format("stored draw {} out of sequence", record.id));
  }
  if (record.policy_version == 0 || record.policy_version > state_->policies.size()) {
    return absl::DataLossError(fmt::format("stored draw {} names unknown policy version {}",
                                           record.id, record.policy_version));
  }
  for (SeriesId id : record.series) {
    if (id == kNoId || id > state_->series.size() || state_->series[id - 1].draw != record.id) {
      return absl::DataLossError(
          fmt::format("stored draw {} lists series {} that it did not create", record.id, id));
    }
  }
  state_->seeds_used.insert({record.request.seed.k0, record.request.seed.k1});
  state_->draws.push_back(record);
  ++state_->revision;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// One-call forms

namespace {
template <class T, class Fn>
auto PrepareAndApply(Engine& engine, absl::StatusOr<Prepared<T>> prepared, Fn&& result)
    -> absl::StatusOr<decltype(result(prepared->change))> {
  if (!prepared.ok()) return prepared.status();
  auto value = result(prepared->change);
  engine.Apply(*prepared);
  return value;
}
}  // namespace

absl::StatusOr<DistrictId> Engine::AddDistrict(std::string_view code, std::string_view name) {
  return PrepareAndApply(*this, PrepareAddDistrict(code, name),
                         [](const District& d) { return d.id; });
}

absl::StatusOr<VaccineId> Engine::AddVaccine(const VaccineSpec& spec) {
  return PrepareAndApply(*this, PrepareAddVaccine(spec), [](const Vaccine& v) { return v.id; });
}

absl::StatusOr<CenterId> Engine::AddCenter(const CenterSpec& spec) {
  return PrepareAndApply(*this, PrepareAddCenter(spec), [](const Center& c) { return c.id; });
}

absl::Status Engine::AddCapacity(const CapacityBlock& block) {
  return PrepareAndApply(*this, PrepareAddCapacity(block), [](const CapacityBlock&) { return 0; })
      .status();
}

absl::Status Engine::AddSupply(const SupplyDelivery& delivery) {
  return PrepareAndApply(*this, PrepareAddSupply(delivery), [](const SupplyDelivery&) { return 0; })
      .status();
}

absl::StatusOr<uint32_t> Engine::SetPolicy(const Policy& policy) {
  return PrepareAndApply(*this, PrepareSetPolicy(policy),
                         [](const PolicyVersion& p) { return p.version; });
}

absl::StatusOr<RegistrantId> Engine::Register(const RegistrantSpec& spec) {
  return PrepareAndApply(*this, PrepareRegister(absl::MakeConstSpan(&spec, 1)),
                         [](const std::vector<Registrant>& r) { return r.front().id; });
}

absl::StatusOr<std::vector<RegistrantId>> Engine::RegisterBatch(
    absl::Span<const RegistrantSpec> specs) {
  return PrepareAndApply(*this, PrepareRegister(specs), [](const std::vector<Registrant>& r) {
    std::vector<RegistrantId> ids;
    ids.reserve(r.size());
    for (const Registrant& registrant : r) ids.push_back(registrant.id);
    return ids;
  });
}

absl::StatusOr<DrawRecord> Engine::Draw(const DrawRequest& request) {
  return PrepareAndApply(*this, PrepareDraw(request),
                         [](const DrawOutcome& outcome) { return outcome.record; });
}

absl::StatusOr<DrawCommitment> Engine::CommitDraw(const DrawRequest& request,
                                                  std::string_view beacon) {
  return PrepareAndApply(*this, PrepareCommitDraw(request, beacon),
                         [](const CommitmentChange& change) { return change.commitment; });
}

absl::StatusOr<DrawRecord> Engine::RevealDraw(CommitmentId commitment,
                                              std::string_view beacon_value, absl::Time at) {
  return PrepareAndApply(*this, PrepareRevealDraw(commitment, beacon_value, at),
                         [](const DrawOutcome& outcome) { return outcome.record; });
}

absl::Status Engine::AbandonDraw(CommitmentId commitment, std::string_view reason, absl::Time at) {
  return PrepareAndApply(*this, PrepareAbandonDraw(commitment, reason, at),
                         [](const CommitmentChange&) { return 0; })
      .status();
}

absl::Status Engine::CancelSeries(SeriesId series, absl::Time at) {
  return PrepareAndApply(*this, PrepareCancelSeries(series, at),
                         [](const Cancellation&) { return 0; })
      .status();
}

absl::Status Engine::Withdraw(RegistrantId registrant, absl::Time at) {
  return PrepareAndApply(*this, PrepareWithdraw(registrant, at),
                         [](const Cancellation&) { return 0; })
      .status();
}

absl::Status Engine::DeleteRegistration(RegistrantId registrant, absl::Time at) {
  return PrepareAndApply(*this, PrepareDeleteRegistration(registrant, at),
                         [](const Cancellation&) { return 0; })
      .status();
}

// ---------------------------------------------------------------------------
// Queries

uint32_t Engine::district_count() const { return static_cast<uint32_t>(state_->districts.size()); }
uint32_t Engine::vaccine_count() const { return static_cast<uint32_t>(state_->vaccines.size()); }
uint32_t Engine::center_count() const { return static_cast<uint32_t>(state_->centers.size()); }
uint32_t Engine::registrant_count() const {
  return static_cast<uint32_t>(state_->registrants.size());
}
uint32_t Engine::series_count() const { return static_cast<uint32_t>(state_->series.size()); }
uint32_t Engine::draw_count() const { return static_cast<uint32_t>(state_->draws.size()); }
uint64_t Engine::revision() const { return state_->revision; }

absl::Time Engine::latest_change() const {
  return internal::FromMicros(state_->latest_change_us);
}

void Engine::RestoreLatestChange(absl::Time at) {
  state_->NoteChange(internal::ToMicros(at));
  ++state_->revision;
}

namespace {
template <class T>
absl::StatusOr<T> ById(const std::vector<T>& items, uint32_t id, std::string_view what) {
  if (id == kNoId || id > items.size()) {
    return absl::NotFoundError(fmt::format("unknown {} id {}", what, id));
  }
  return items[id - 1];
}

absl::StatusOr<uint32_t> ByCode(const absl::flat_hash_map<std::string, uint32_t>& index,
                                std::string_view code, std::string_view what) {
  auto it = index.find(absl::string_view(code.data(), code.size()));
  if (it == index.end())
    return absl::NotFoundError(fmt::format("{}{}{}{}{}", "unknown ", what, " '", code, "'"));
  return it->second;
}
}  // namespace

absl::StatusOr<District> Engine::GetDistrict(DistrictId id) const {
  return ById(state_->districts, id, "district");
}
absl::StatusOr<Vaccine> Engine::GetVaccine(VaccineId id) const {
  return ById(state_->vaccines, id, "vaccine");
}
absl::StatusOr<Center> Engine::GetCenter(CenterId id) const {
  return ById(state_->centers, id, "center");
}
absl::StatusOr<Series> Engine::GetSeries(SeriesId id) const {
  return ById(state_->series, id, "series");
}
absl::StatusOr<DrawRecord> Engine::GetDraw(DrawId id) const {
  return ById(state_->draws, id, "draw");
}
absl::StatusOr<Registrant> Engine::GetRegistrant(RegistrantId id) const {
  if (id == kNoId || id > state_->registrants.size()) {
    return absl::NotFoundError(fmt::format("unknown registrant id {}", id));
  }
  return state_->MakeRegistrant(id);
}

absl::StatusOr<DistrictId> Engine::FindDistrict(std::string_view code) const {
  return ByCode(state_->district_by_code, code, "district code");
}
absl::StatusOr<VaccineId> Engine::FindVaccine(std::string_view code) const {
  return ByCode(state_->vaccine_by_code, code, "vaccine code");
}
absl::StatusOr<CenterId> Engine::FindCenter(std::string_view code) const {
  return ByCode(state_->center_by_code, code, "center code");
}
absl::StatusOr<RegistrantId> Engine::FindRegistrant(std::string_view external_ref) const {
  auto it = state_->registrant_by_ref.find(external_ref);
  if (it == state_->registrant_by_ref.end()) {
    return absl::NotFoundError(
        fmt::format("{}{}{}", "no registrant with external_ref '", external_ref, "'"));
  }
  return *it;
}

const Policy& Engine::policy() const { return state_->current_policy().policy; }
uint32_t Engine::policy_version() const { return state_->current_policy().version; }

absl::StatusOr<PolicyVersion> Engine::GetPolicy(uint32_t version) const {
  return ById(state_->policies, version, "policy version");
}

absl::StatusOr<int> Engine::TierOf(RegistrantId id, uint32_t version) const {
  if (id == kNoId || id > state_->registrants.size()) {
    return absl::NotFoundError(fmt::format("unknown registrant id {}", id));
  }
  if (version == 0) version = policy_version();
  if (version > state_->policies.size()) {
    return absl::NotFoundError(fmt::format("unknown policy version {}", version));
  }
  const RegistrantRow& row = state_->registrants[id - 1];
  return internal::TierOf(state_->policies[version - 1].policy, row.group, row.registered_at_us);
}

const std::vector<CapacityBlock>& Engine::capacity_blocks() const {
  return state_->capacity_blocks;
}
const std::vector<SupplyDelivery>& Engine::deliveries() const { return state_->deliveries; }

std::vector<SlotView> Engine::Slots(CenterId center, VaccineId vaccine, absl::CivilDay day) const {
  std::vector<SlotView> views;
  const Pool* pool = state_->FindPool(center, vaccine);
  const DayNumber number = ToDayNumber(day);
  if (pool == nullptr || !pool->Contains(number)) return views;
  for (const PoolSlot& slot : pool->days[number - pool->first_day].slots) {
    views.push_back(SlotView{day, slot.minute, slot.seats_first, slot.seats_second,
                             slot.bookable_first, slot.bookable_second, slot.booked_first,
                             slot.booked_second});
  }
  return views;
}

int64_t Engine::DosesAvailableFrom(CenterId center, VaccineId vaccine, absl::CivilDay day) const {
  const Pool* pool = state_->FindPool(center, vaccine);
  if (pool == nullptr || pool->days.empty()) return 0;
  DayNumber number = ToDayNumber(day);
  const DayNumber last = pool->first_day + static_cast<DayNumber>(pool->days.size()) - 1;
  number = std::clamp(number, pool->first_day, last);
  return pool->slack_suffix_min[number - pool->first_day];
}

std::vector<SecondDoseShortfall> Engine::CheckSecondDoseCapacity() const {
  std::vector<SecondDoseShortfall> shortfalls;
  for (const Pool& pool : state_->pools) {
    const VaccineSpec& vaccine = state_->vaccines[pool.vaccine - 1].spec;
    if (vaccine.dose_count < 2) continue;
    for (size_t i = 0; i < pool.days.size(); ++i) {
      if (pool.days[i].seats_first == 0) continue;
      int64_t seconds = 0;
      for (size_t j = i + vaccine.interval_days_min;
           j <= i + vaccine.interval_days_max && j < pool.days.size(); ++j) {
        seconds += pool.days[j].seats_second;
      }
      if (seconds < pool.days[i].seats_first) {
        shortfalls.push_back(SecondDoseShortfall{
            pool.center, pool.vaccine, ToCivilDay(pool.first_day + static_cast<DayNumber>(i)),
            pool.days[i].seats_first, seconds});
      }
    }
  }
  std::sort(shortfalls.begin(), shortfalls.end(), [](const auto& a, const auto& b) {
    return std::tie(a.center, a.vaccine, a.day) < std::tie(b.center, b.vaccine, b.day);
  });
  return shortfalls;
}

Report Engine::Summarize() const {
  // From the counters and the pools: no walk over registrants or series.
  const State::Counts& counts = state_->counts;
  auto count = [](int64_t value) {
    VAXALLOC_ASSERT(value >= 0);
    return static_cast<uint64_t>(value);
  };
  Report report;
  report.registrants = state_->registrants.size();
  report.draws = state_->draws.size();
  report.waiting = count(counts.registrants_by_status[static_cast<size_t>(RegistrantStatus::kWaiting)]);
  report.scheduled =
      count(counts.registrants_by_status[static_cast<size_t>(RegistrantStatus::kScheduled)]);
  report.withdrawn =
      count(counts.registrants_by_status[static_cast<size_t>(RegistrantStatus::kWithdrawn)]);
  report.vaccinated =
      count(counts.registrants_by_status[static_cast<size_t>(RegistrantStatus::kVaccinated)]);
  for (int t = 0; t < kTierMax; ++t) report.waiting_per_tier[t] = count(counts.waiting_per_tier[t]);
  auto series = [&](SeriesStatus status) {
    return count(counts.series_by_status[static_cast<size_t>(status)]);
  };
  report.series_active = series(SeriesStatus::kActive);
  report.series_cancelled = series(SeriesStatus::kCancelled);
  report.series_held = series(SeriesStatus::kHeld);
  report.series_completed = series(SeriesStatus::kCompleted);
  report.series_missed = series(SeriesStatus::kMissed);
  report.doses_given = count(counts.doses_given);
  report.doses_missed = count(counts.doses_missed) + state_->replaced_no_shows.size();
  report.centers.resize(state_->centers.size());
  for (size_t i = 0; i < report.centers.size(); ++i) {
    report.centers[i].center = static_cast<CenterId>(i + 1);
    report.centers[i].series_active = count(counts.active_by_center[i]);
  }
  for (size_t d = 0; d < state_->districts.size(); ++d) {
    for (CenterId center : state_->centers_by_district[d]) {
      report.centers[center - 1].residents_waiting += count(counts.waiting_by_district[d]);
    }
  }
  for (const Pool& pool : state_->pools) {
    CenterReport& center = report.centers[pool.center - 1];
    for (const PoolDay& day : pool.days) {
      // A restored, overbooked pool must not wrap around.
      center.seats_first_free += static_cast<uint64_t>(std::max(0, day.free_first()));
      center.doses_delivered += day.delivered;
      center.doses_reserved += day.booked();
    }
  }
  return report;
}

}  // namespace vaxalloc
