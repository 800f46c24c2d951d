// The invariant checker. Everything is recomputed from the engine's public
// queries (series, registrants, draws, releases, policies, capacity blocks,
// deliveries) and compared with what the engine reports (Slots,
// DosesAvailableFrom, GetRelease, hold_count, Summarize). It never reads
// Engine::State: a checker that trusted the engine's counters would agree
// with the engine's bugs.
//
// Some history is not stored, so a few checks are bounded by what the public
// data can tell soundly (never a false alarm):
// - Releases carry no creation time. AddRelease refuses a release_at before
//   the latest draw's instant, so a release whose release_at lies strictly
//   before a draw's `at` existed at that draw, and only those releases are
//   held against the draw's first doses (kReleaseWindow). A release added
//   later may cover days a draw had already filled.
// - A draw may not be stamped before a change already made, nor a change
//   (other than a registration) at or before the latest draw
//   (Engine::latest_change): so every booking flow's row, code and
//   cancellation stamped after a draw's instant happened after that draw.
// - Holds lapse lazily (ExpireHolds, the next Book, a withdrawal) and a
//   declined hold keeps its original expiry, so when a hold ended is unknown.
//   A registrant with a hold (held or lapsed) booked at or before a draw's
//   instant may have held it during the draw, which skips holders: such
//   (registrant, draw) pairs are not tested for kTierOrder.
// - Policy versions carry no time. A draw's series is held to its draw's
//   policy; a self-booked series to residence under some policy version (the
//   one current at the booking is not recorded), and never to a reserve. A
//   standby series' first dose lies on its booking's local day in the time
//   zone of some policy version. A code's lifetime is that of some policy
//   version, and its attempts are bounded by the largest and smallest
//   code_attempts of all versions: a policy that lowers the limit leaves a
//   pending code with more wrong entries than the new limit (the engine
//   treats it as locked), so the current limit alone would give false alarms.
//   A slot holds at most the seats some version's overbooking gave it: a
//   policy that lowers the overbooking leaves fuller slots behind.
#include "vaxalloc/invariants.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/journal.h"  // SHA-256 and the little-endian reader only

namespace vaxalloc {

const char* InvariantName(Invariant invariant) {
  switch (invariant) {
    case Invariant::kSlotCapacity:
      return "slot_capacity";
    case Invariant::kSecondDoseReserved:
      return "second_dose_reserved";
    case Invariant::kDoseSupply:
      return "dose_supply";
    case Invariant::kOneActiveSeries:
      return "one_active_series";
    case Invariant::kResidence:
      return "residence";
    case Invariant::kTierOrder:
      return "tier_order";
    case Invariant::kEligibility:
      return "eligibility";
    case Invariant::kBookkeeping:
      return "bookkeeping";
    case Invariant::kSeriesState:
      return "series_state";
    case Invariant::kReleaseWindow:
      return "release_window";
    case Invariant::kReleaseCap:
      return "release_cap";
    case Invariant::kCodes:
      return "codes";
    case Invariant::kDrawCommitments:
      return "draw_commitments";
  }
  return "unknown";
}

std::string InvariantReport::ToString() const {
  if (ok()) return "all invariants hold";
  std::string text = absl::StrCat(violation_count, " invariant violation(s)");
  if (violations.size() < violation_count) {
    absl::StrAppend(&text, " (first ", violations.size(), " shown)");
  }
  text += ":\n";
  for (const Violation& violation : violations) {
    absl::StrAppend(&text, "  [", InvariantName(violation.invariant), "] ", violation.message,
                    "\n");
  }
  return text;
}

namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);

int64_t DayNumber(absl::CivilDay day) { return day - kEpochDay; }
absl::CivilDay DayFromNumber(int64_t number) { return kEpochDay + number; }
std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }
std::string DayText(int64_t number) { return DayText(DayFromNumber(number)); }
std::string TimeText(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

// Full years since `birth` on `day`; someone born on 29 February has a
// birthday on 1 March in non-leap years (docs/draw.md section 5).
int64_t AgeOn(absl::CivilDay birth, absl::CivilDay day) {
  int64_t years = day.year() - birth.year();
  if (day.month() < birth.month() || (day.month() == birth.month() && day.day() < birth.day())) {
    --years;
  }
  return years;
}

// The first day on which someone born on `birth` is `years` old. CivilDay
// normalizes 29 February of a non-leap year to 1 March, which is the rule.
int64_t DayReachingAge(absl::CivilDay birth, int years) {
  return DayNumber(absl::CivilDay(birth.year() + years, birth.month(), birth.day()));
}

bool AgeWithin(absl::CivilDay birth, absl::CivilDay day, int age_years_min, int age_years_max) {
  const int64_t age = AgeOn(birth, day);
  if (age_years_min > 0 && age < age_years_min) return false;
  if (age_years_max > 0 && age > age_years_max) return false;
  return true;
}

int GroupNumber(PriorityGroup group) {
  const int number = static_cast<int>(group);
  return (number >= 1 && number <= kPriorityGroupCount) ? number : kPriorityGroupCount;
}

bool GroupInMask(PriorityGroup group, uint8_t group_mask) {
  return group_mask == 0 || (group_mask & (1u << (GroupNumber(group) - 1))) != 0;
}

// Keeps the first kViolationsKept messages and counts all. Messages are only
// formatted while they are kept, so that a state with millions of violations
// is still checked quickly.
class Collector {
 public:
  // `message` is called only while messages are kept.
  template <typename Message>
  void Add(Invariant invariant, Message&& message) {
    ++report_.violation_count;
    if (report_.violations.size() < kViolationsKept) {
      report_.violations.push_back({invariant, message()});
    }
  }
  InvariantReport Take() { return std::move(report_); }

 private:
  InvariantReport report_;
};

struct VaccineInfo {
  bool present = false;
  VaccineSpec spec;
};

struct CenterInfo {
  bool present = false;
  std::vector<DistrictId> districts;  // sorted
  bool Serves(DistrictId district) const {
    return std::binary_search(districts.begin(), districts.end(), district);
  }
};

struct PolicyInfo {
  bool present = false;
  uint32_t version = 0;
  Policy policy;
  std::vector<TierRule> rules;  // stably sorted by registered_before
  absl::flat_hash_map<DistrictId, std::vector<DistrictId>> neighbours;

  bool neighbour_rule() const {
    return policy.residence == ResidenceRule::kHomeOrNeighbourDistrict;
  }
  // docs/draw.md section 2.
  int Tier(PriorityGroup group, absl::Time registered_at) const {
    const int number = GroupNumber(group);
    for (const TierRule& rule : rules) {
      if (registered_at < rule.registered_before) return rule.tier_by_group[number - 1];
    }
    return number;
  }
};

struct RegistrantInfo {
  bool present = false;
  bool erased = false;  // its age and preference are gone: not checked
  bool standby = false;
  Channel channel = Channel::kOnline;
  RegistrantStatus status = RegistrantStatus::kWaiting;
  PriorityGroup group = PriorityGroup::kNone;
  DistrictId district = kNoId;
  VaccineId vaccine_preference = kNoId;
  SeriesId series = kNoId;
  absl::CivilDay birth_day;
  absl::Time registered_at;
  absl::Time waiting_since;
};

const char* StatusName(SeriesStatus status) {
  switch (status) {
    case SeriesStatus::kActive:
      return "active";
    case SeriesStatus::kCancelled:
      return "cancelled";
    case SeriesStatus::kHeld:
      return "held";
    case SeriesStatus::kLapsed:
      return "lapsed";
    case SeriesStatus::kCompleted:
      return "completed";
    case SeriesStatus::kMissed:
      return "missed";
  }
  return "unknown-status";
}

const char* RegistrantStatusName(RegistrantStatus status) {
  switch (status) {
    case RegistrantStatus::kWaiting:
      return "waiting";
    case RegistrantStatus::kScheduled:
      return "scheduled";
    case RegistrantStatus::kWithdrawn:
      return "withdrawn";
    case RegistrantStatus::kVaccinated:
      return "vaccinated";
  }
  return "unknown-status";
}

const char* DoseStateName(DoseState state) {
  switch (state) {
    case DoseState::kBooked:
      return "booked";
    case DoseState::kGiven:
      return "given";
    case DoseState::kMissed:
      return "missed";
    case DoseState::kReleased:
      return "released";
  }
  return "unknown";
}

const char* OriginName(SeriesOrigin origin) {
  switch (origin) {
    case SeriesOrigin::kDraw:
      return "draw";
    case SeriesOrigin::kRelease:
      return "release";
    case SeriesOrigin::kShortNotice:
      return "short-notice";
    case SeriesOrigin::kStandby:
      return "standby";
  }
  return "unknown";
}

struct SeriesInfo {
  bool present = false;
  SeriesStatus status = SeriesStatus::kActive;
  SeriesOrigin origin = SeriesOrigin::kDraw;
  uint8_t tier = 0;
  uint8_t category = 0;
  int dose_count = 0;
  RegistrantId registrant = kNoId;
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  DrawId draw = kNoId;
  ReleaseId release = kNoId;
  SeriesId replaces = kNoId;
  absl::Time booked_at;
  absl::Time hold_expires_at;
  std::array<Appointment, kDoseCountMax> appointments;
  std::array<DoseState, kDoseCountMax> doses{};
  // Appointments to count: dose_count clamped to what the array holds.
  int used() const { return std::clamp(dose_count, 0, kDoseCountMax); }
  // docs/booking.md: an appointment holds its seat and dose while booked or
  // given, whatever the series' status.
  bool HoldsSeat(int dose) const {
    return doses[dose] == DoseState::kBooked || doses[dose] == DoseState::kGiven;
  }
  bool HoldsAnySeat() const {
    for (int dose = 0; dose < used(); ++dose) {
      if (HoldsSeat(dose)) return true;
    }
    return false;
  }
  std::string DosesText() const {
    std::vector<std::string> names;
    for (int dose = 0; dose < used(); ++dose) names.push_back(DoseStateName(doses[dose]));
    return absl::StrJoin(names, "/");
  }
};

struct ReleaseInfo {
  bool present = false;
  Release release;
};

struct SlotKey {
  uint32_t pool = 0;
  int32_t minute = 0;
  int64_t day = 0;
  friend bool operator==(const SlotKey&, const SlotKey&) = default;
  template <typename H>
  friend H AbslHashValue(H hash, const SlotKey& key) {
    return H::combine(std::move(hash), key.pool, key.minute, key.day);
  }
};

// One slot as recounted from the active series and recomputed from the
// capacity blocks.
struct SlotTally {
  int64_t booked_first = 0;
  int64_t booked_second = 0;
  int64_t seats_first = 0;
  int64_t seats_second = 0;
  bool on_slot = false;  // the capacity blocks define this slot
};

struct Pool {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  std::vector<size_t> blocks;                          // indices into capacity_blocks()
  std::vector<std::pair<int64_t, int64_t>> delivered;  // (day, doses)
  absl::flat_hash_map<int64_t, int64_t> appointments_per_day;
  std::vector<int64_t> calendar_days;  // days some block covers, ascending
};

// Winners of one draw in one pool, category and tier: the days of their
// first doses, each with one series as an example for the message.
struct WinnerGroup {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  uint8_t category = 0;
  int tier = 0;
  int age_years_min = 0;  // the vaccine's and, for a reserve, the reserve's
  int age_years_max = 0;
  const ReserveCategory* reserve = nullptr;
  std::vector<std::pair<int64_t, SeriesId>> first_days;  // ascending, one per day
};

uint64_t WinnerKey(RegistrantId registrant, DrawId draw) {
  return (uint64_t{registrant} << 32) | draw;
}

struct DrawIndex {
  DrawId id = kNoId;
  absl::Time at;
  // The first day its policy's lead time allowed, by channel (none: no bound).
  std::array<std::optional<int64_t>, 2> first_day_by_channel;
  const PolicyInfo* policy = nullptr;
  size_t policy_slot = 0;  // index into Checker::tier_policies_
  int tier_max = 0;        // the worst tier among its winners
  std::vector<WinnerGroup> groups;
  std::vector<std::vector<uint32_t>> groups_by_district;  // by district id, worst tier first
};

class Checker {
 public:
  explicit Checker(const Engine& engine) : engine_(engine) {}

  InvariantReport Run() {
    LoadSetup();
    LoadRegistrants();
    LoadSeries();
    LoadDraws();
    LoadReleases();
    LoadPolicies();
    BuildPools();
    CheckSeries();
    CheckSlots();
    CheckAppointmentsOnSlots();
    CheckSupply();
    CheckOneActiveSeries();
    CheckResidenceAndEligibility();
    CheckDrawRecords();
    CheckReleases();
    CheckTierOrder();
    CheckCodes();
    CheckDrawCommitments();
    CheckReplacedNoShows();
    CheckSummary();
    return out_.Take();
  }

 private:
  // --- Loading ---------------------------------------------------------------

  void LoadSetup() {
    vaccines_.resize(engine_.vaccine_count() + size_t{1});
    for (VaccineId id = 1; id < vaccines_.size(); ++id) {
      absl::StatusOr<Vaccine> vaccine = engine_.GetVaccine(id);
      if (!vaccine.ok()) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("vaccine_count() is %d but GetVaccine(%d) fails: %s",
                                 engine_.vaccine_count(), id, vaccine.status().ToString());
        });
        continue;
      }
      vaccines_[id] = {true, vaccine->spec};
    }
    centers_.resize(engine_.center_count() + size_t{1});
    for (CenterId id = 1; id < centers_.size(); ++id) {
      absl::StatusOr<Center> center = engine_.GetCenter(id);
      if (!center.ok()) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("center_count() is %d but GetCenter(%d) fails: %s",
                                 engine_.center_count(), id, center.status().ToString());
        });
        continue;
      }
      centers_[id].present = true;
      centers_[id].districts = center->spec.districts;
      std::vector<DistrictId>& districts = centers_[id].districts;
      std::sort(districts.begin(), districts.end());
      districts.erase(std::unique(districts.begin(), districts.end()), districts.end());
    }
    current_policy_ = GetPolicyInfo(engine_.policy_version(), "the current policy");
  }

  // Policies by version, loaded once; nullptr (reported) when unknown.
  const PolicyInfo* GetPolicyInfo(uint32_t version, const std::string& user) {
    auto [it, inserted] = policies_.try_emplace(version);
    PolicyInfo& info = it->second;
    if (!inserted) return info.present ? &info : nullptr;
    absl::StatusOr<PolicyVersion> policy = engine_.GetPolicy(version);
    if (!policy.ok()) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat("%s refers to policy version %d, but GetPolicy fails: %s", user,
                               version, policy.status().ToString());
      });
      return nullptr;
    }
    info.present = true;
    info.version = version;
    info.policy = std::move(policy->policy);
    info.rules = info.policy.tier_rules;
    std::stable_sort(info.rules.begin(), info.rules.end(),
                     [](const TierRule& a, const TierRule& b) {
                       return a.registered_before < b.registered_before;
                     });
    for (const auto& [a, b] : info.policy.neighbours) {
      info.neighbours[a].push_back(b);
      info.neighbours[b].push_back(a);
    }
    return &info;
  }

  void LoadRegistrants() {
    registrants_.resize(engine_.registrant_count() + size_t{1});
    for (RegistrantId id = 1; id < registrants_.size(); ++id) {
      absl::StatusOr<Registrant> registrant = engine_.GetRegistrant(id);
      if (!registrant.ok() || registrant->id != id) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("registrant_count() is %d but GetRegistrant(%d) gives %s",
                                 engine_.registrant_count(), id,
                                 registrant.ok() ? absl::StrCat("id ", registrant->id)
                                                 : registrant.status().ToString());
        });
        continue;
      }
      RegistrantInfo& info = registrants_[id];
      info.present = true;
      info.status = registrant->status;
      info.standby = registrant->spec.standby;
      info.channel = registrant->spec.channel;
      info.group = registrant->spec.group;
      info.district = registrant->spec.district;
      info.vaccine_preference = registrant->spec.vaccine_preference;
      info.series = registrant->series;
      info.birth_day = registrant->spec.birth_day;
      info.registered_at = registrant->spec.registered_at;
      info.waiting_since = registrant->waiting_since;
      info.erased = registrant->erased;
      if (info.erased) CheckErased(*registrant);
    }
  }

  // DeleteRegistration leaves a withdrawn registrant with nothing personal,
  // unreachable by its old reference.
  void CheckErased(const Registrant& registrant) {
    const RegistrantSpec& spec = registrant.spec;
    if (registrant.status != RegistrantStatus::kWithdrawn || !spec.external_ref.empty() ||
        spec.birth_day != absl::CivilDay(1970, 1, 1)) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat("erased registrant %d keeps status %d, reference \"%s\", birth day %s",
                               registrant.id, static_cast<int>(registrant.status),
                               spec.external_ref, DayText(spec.birth_day));
      });
    }
  }

  void LoadSeries() {
    series_.resize(engine_.series_count() + size_t{1});
    hold_since_.assign(registrants_.size(), absl::InfiniteFuture());
    for (SeriesId id = 1; id < series_.size(); ++id) {
      absl::StatusOr<Series> series = engine_.GetSeries(id);
      if (!series.ok() || series->id != id) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat(
              "series_count() is %d but GetSeries(%d) gives %s", engine_.series_count(), id,
              series.ok() ? absl::StrCat("id ", series->id) : series.status().ToString());
        });
        continue;
      }
      SeriesInfo& info = series_[id];
      info.present = true;
      info.status = series->status;
      info.tier = series->tier;
      info.category = series->category;
      info.dose_count = series->dose_count;
      info.registrant = series->registrant;
      info.center = series->center;
      info.vaccine = series->vaccine;
      info.draw = series->draw;
      info.appointments = series->appointments;
      info.origin = series->origin;
      info.release = series->release;
      info.replaces = series->replaces;
      info.booked_at = series->booked_at;
      info.hold_expires_at = series->hold_expires_at;
      info.doses = series->doses;
      if (series->status == SeriesStatus::kHeld || series->status == SeriesStatus::kLapsed) {
        if (series->registrant < hold_since_.size()) {
          hold_since_[series->registrant] =
              std::min(hold_since_[series->registrant], series->booked_at);
        }
      }
    }
  }

  void LoadReleases() {
    releases_.resize(engine_.release_count() + size_t{1});
    releases_by_center_.assign(centers_.size(), {});
    for (ReleaseId id = 1; id < releases_.size(); ++id) {
      absl::StatusOr<Release> release = engine_.GetRelease(id);
      if (!release.ok() || release->id != id) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat(
              "release_count() is %d but GetRelease(%d) gives %s", engine_.release_count(), id,
              release.ok() ? absl::StrCat("id ", release->id) : release.status().ToString());
        });
        continue;
      }
      releases_[id] = {true, *std::move(release)};
      const CenterId center = releases_[id].release.spec.center;
      if (center < centers_.size()) releases_by_center_[center].push_back(id);
    }
  }

  // Every policy version, for what may have held at some unrecorded instant:
  // the time zones, code lifetimes and attempt limits (see the top).
  void LoadPolicies() {
    for (uint32_t version = 1; version <= engine_.policy_version(); ++version) {
      const PolicyInfo* policy = GetPolicyInfo(version, "policy_version()");
      if (policy == nullptr) continue;
      const Policy& fields = policy->policy;
      code_lifetimes_.insert(fields.code_lifetime);
      code_attempts_min_ = std::min(code_attempts_min_, fields.code_attempts);
      code_attempts_max_ = std::max(code_attempts_max_, fields.code_attempts);
      overbook_permilles_.insert(fields.overbook_permille);
      if (zones_.contains(fields.time_zone)) continue;
      absl::TimeZone zone;
      if (absl::LoadTimeZone(fields.time_zone, &zone)) {
        zones_.emplace(fields.time_zone, zone);
      } else {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("policy version %d has time zone \"%s\", which does not load",
                                 version, fields.time_zone);
        });
      }
    }
  }

  void LoadDraws() {
    draws_.resize(engine_.draw_count() + size_t{1});
    draw_present_.assign(draws_.size(), false);
    for (DrawId id = 1; id < draws_.size(); ++id) {
      absl::StatusOr<DrawRecord> record = engine_.GetDraw(id);
      if (!record.ok() || record->id != id) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat(
              "draw_count() is %d but GetDraw(%d) gives %s", engine_.draw_count(), id,
              record.ok() ? absl::StrCat("id ", record->id) : record.status().ToString());
        });
        continue;
      }
      draws_[id] = *std::move(record);
      draw_present_[id] = true;
    }
  }

  // The policy a series was placed under: its draw's, else the current one.
  const PolicyInfo* PolicyOfSeries(const SeriesInfo& series) {
    if (series.draw == kNoId) return current_policy_;
    if (series.draw >= draws_.size() || !draw_present_[series.draw]) return nullptr;
    return GetPolicyInfo(draws_[series.draw].policy_version, absl::StrCat("draw ", series.draw));
  }

  uint32_t PoolIndex(CenterId center, VaccineId vaccine) const {
    auto it = pool_index_.find(std::make_pair(center, vaccine));
    return it == pool_index_.end() ? std::numeric_limits<uint32_t>::max() : it->second;
  }

  // Pools in (center, vaccine) order, so that messages come out in a stable
  // order.
  void BuildPools() {
    std::vector<std::pair<CenterId, VaccineId>> keys;
    const std::vector<CapacityBlock>& blocks = engine_.capacity_blocks();
    const std::vector<SupplyDelivery>& deliveries = engine_.deliveries();
    for (const CapacityBlock& block : blocks) keys.emplace_back(block.center, block.vaccine);
    for (const SupplyDelivery& delivery : deliveries) {
      keys.emplace_back(delivery.center, delivery.vaccine);
    }
    for (SeriesId id = 1; id < series_.size(); ++id) {
      if (series_[id].present) keys.emplace_back(series_[id].center, series_[id].vaccine);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    pools_.resize(keys.size());
    for (uint32_t index = 0; index < keys.size(); ++index) {
      pools_[index].center = keys[index].first;
      pools_[index].vaccine = keys[index].second;
      pool_index_[keys[index]] = index;
    }
    for (size_t index = 0; index < blocks.size(); ++index) {
      pools_[PoolIndex(blocks[index].center, blocks[index].vaccine)].blocks.push_back(index);
    }
    for (const SupplyDelivery& delivery : deliveries) {
      pools_[PoolIndex(delivery.center, delivery.vaccine)].delivered.emplace_back(
          DayNumber(delivery.day), delivery.doses);
    }
  }

  // --- kSecondDoseReserved (shape), kSeriesState, the recount of seats -------

  void CheckSeries() {
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present) continue;
      if (series.vaccine >= vaccines_.size() || !vaccines_[series.vaccine].present) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("series %d has unknown vaccine %d", id, series.vaccine);
        });
        continue;
      }
      if (series.center >= centers_.size() || !centers_[series.center].present) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("series %d has unknown center %d", id, series.center);
        });
        continue;
      }
      CheckSeriesState(id, series);
      CheckOrigin(id, series);
      const VaccineSpec& vaccine = vaccines_[series.vaccine].spec;
      if (series.dose_count != vaccine.dose_count) {
        out_.Add(Invariant::kSecondDoseReserved, [&] {
          return absl::StrFormat("%s series %d has %d appointment(s) but vaccine %d needs %d doses",
                                 StatusName(series.status), id, series.dose_count, series.vaccine,
                                 vaccine.dose_count);
        });
      } else if (series.dose_count == 2 && series.HoldsSeat(1)) {
        const int64_t interval_days = series.appointments[1].day - series.appointments[0].day;
        if (interval_days < vaccine.interval_days_min ||
            interval_days > vaccine.interval_days_max) {
          out_.Add(Invariant::kSecondDoseReserved, [&] {
            return absl::StrFormat(
                "%s series %d: second dose %s is %d days after the first (%s); vaccine %d "
                "allows %d..%d",
                StatusName(series.status), id, DayText(series.appointments[1].day), interval_days,
                DayText(series.appointments[0].day), series.vaccine, vaccine.interval_days_min,
                vaccine.interval_days_max);
          });
        }
      }
      const uint32_t pool = PoolIndex(series.center, series.vaccine);
      for (int dose = 0; dose < series.used(); ++dose) {
        if (!series.HoldsSeat(dose)) continue;
        const Appointment& appointment = series.appointments[dose];
        SlotTally& tally = tallies_[SlotKey{pool, appointment.minute, DayNumber(appointment.day)}];
        (dose == 0 ? tally.booked_first : tally.booked_second) += 1;
        pools_[pool].appointments_per_day[DayNumber(appointment.day)] += 1;
      }
    }
  }

  // docs/booking.md's table: what each status allows of the dose states. A
  // first dose still to come without its second reserved (in a held or
  // active series) is kSecondDoseReserved; every other disagreement is
  // kSeriesState.
  void CheckSeriesState(SeriesId id, const SeriesInfo& series) {
    const int used = series.used();
    const DoseState first = series.doses[0];
    const bool two = used == 2;
    const DoseState second = two ? series.doses[1] : DoseState::kBooked;
    const bool first_to_come = first == DoseState::kBooked;
    if ((series.status == SeriesStatus::kActive || series.status == SeriesStatus::kHeld) &&
        first_to_come && two && second != DoseState::kBooked) {
      out_.Add(Invariant::kSecondDoseReserved, [&] {
        return absl::StrFormat(
            "%s series %d: the first dose is still to come but the second is %s, not reserved",
            StatusName(series.status), id, DoseStateName(second));
      });
      return;
    }
    auto all = [&](DoseState state) {
      for (int dose = 0; dose < used; ++dose) {
        if (series.doses[dose] != state) return false;
      }
      return true;
    };
    const char* rule = nullptr;
    switch (series.status) {
      case SeriesStatus::kActive:
        if (first != DoseState::kBooked && first != DoseState::kGiven) {
          rule = "an active series' first dose is booked or given";
        } else if (all(DoseState::kGiven)) {
          rule = "an active series has a dose still to give (every dose given: completed)";
        } else if (two && first == DoseState::kGiven && second != DoseState::kBooked &&
                   second != DoseState::kMissed) {
          rule = "after a given first dose an active series' second is booked or missed";
        }
        break;
      case SeriesStatus::kCancelled:
        for (int dose = 0; dose < used; ++dose) {
          if (series.doses[dose] == DoseState::kBooked) {
            rule = "a cancelled series keeps no booked dose";
          }
        }
        break;
      case SeriesStatus::kHeld:
        if (!all(DoseState::kBooked)) {
          rule = "a hold has every dose booked";
        } else if (series.hold_expires_at == absl::InfinitePast() ||
                   series.hold_expires_at == absl::InfiniteFuture()) {
          rule = "a hold has a finite hold_expires_at";
        }
        break;
      case SeriesStatus::kLapsed:
        if (!all(DoseState::kReleased)) rule = "a lapsed hold has every dose released";
        break;
      case SeriesStatus::kCompleted:
        if (!all(DoseState::kGiven)) rule = "a completed series has every dose given";
        break;
      case SeriesStatus::kMissed:
        if (first != DoseState::kMissed || (two && second != DoseState::kReleased)) {
          rule = "a missed series has its first dose missed and its second released";
        }
        break;
      default:
        rule = "the status is one of SeriesStatus";
        break;
    }
    if (rule == nullptr) return;
    out_.Add(Invariant::kSeriesState, [&] {
      return absl::StrFormat("%s series %d has doses %s, but %s", StatusName(series.status), id,
                             series.DosesText(), rule);
    });
  }

  // The origin, draw, release and replaced series agree.
  void CheckOrigin(SeriesId id, const SeriesInfo& series) {
    const char* rule = nullptr;
    if (series.draw != kNoId && series.origin != SeriesOrigin::kDraw) {
      rule = "a series naming a draw has origin draw";
    } else if ((series.release != kNoId) != (series.origin == SeriesOrigin::kRelease)) {
      rule = "a series names a release exactly when its origin is release";
    } else if (series.category != 0 && series.draw == kNoId) {
      rule = "only a draw places a series in a reserve category";
    } else if (series.replaces != kNoId) {
      if (series.origin != SeriesOrigin::kShortNotice) {
        rule = "only a short-notice booking replaces a series";
      } else if (series.replaces >= id || !series_[series.replaces].present ||
                 series_[series.replaces].registrant != series.registrant) {
        rule = "a series replaces an earlier series of its own registrant";
      }
    } else if (series.origin == SeriesOrigin::kStandby) {
      rule = StandbyRule(series);
    } else if (series.origin != SeriesOrigin::kDraw && series.origin != SeriesOrigin::kRelease &&
               series.origin != SeriesOrigin::kShortNotice) {
      rule = "the origin is one of SeriesOrigin";
    }
    if (rule == nullptr) return;
    out_.Add(Invariant::kBookkeeping, [&] {
      return absl::StrFormat(
          "series %d (origin %s, draw %d, release %d, category %d, replaces %d): %s", id,
          OriginName(series.origin), series.draw, series.release, series.category, series.replaces,
          rule);
    });
  }

  // A standby offer goes to a standby registrant, for a first dose on the
  // day it was made (local time under some policy version: see the top).
  const char* StandbyRule(const SeriesInfo& series) const {
    if (series.registrant < registrants_.size() && registrants_[series.registrant].present &&
        !registrants_[series.registrant].standby) {
      return "a standby series belongs to a registrant on the standby list";
    }
    if (zones_.empty()) return nullptr;
    for (const auto& [name, zone] : zones_) {
      if (absl::CivilDay(absl::ToCivilSecond(series.booked_at, zone)) ==
          series.appointments[0].day) {
        return nullptr;
      }
    }
    return "a standby series' first dose lies on the local day it was booked";
  }

  // --- kSlotCapacity ---------------------------------------------------------

  struct ExpectedSlot {
    int minute = 0;
    int64_t seats_first = 0;
    int64_t seats_second = 0;
    // Extra seats from overbooking under each permille of overbook_permilles_.
    std::vector<int64_t> extra_first;
    std::vector<int64_t> extra_second;
    // With overbooking: under the current policy, and the most any policy
    // version gave this slot (which version held when each appointment was
    // made is not recorded, and a larger permille may give a slot fewer).
    int64_t bookable_first = 0;
    int64_t bookable_second = 0;
    int64_t capacity_first = 0;
    int64_t capacity_second = 0;
  };

  // Policy::overbook_permille: a block's seats on a day are overbooked
  // together, the extra seats spread over its slots in time order by
  // cumulative rounding; slot k (from 0) of the block gets
  // O((k + 1) * s) - O(k * s) - s extra, O(s) = s + s * permille / 1000.
  ExpectedSlot BlockSlot(const CapacityBlock& block, int start) const {
    ExpectedSlot slot;
    slot.minute = start;
    slot.seats_first = block.seats_first;
    slot.seats_second = block.seats_second;
    const int64_t k = (start - block.open_minute) / block.slot_minutes;
    for (int permille : overbook_permilles_) {
      for (auto [seats, extra] : {std::pair{int64_t{block.seats_first}, &slot.extra_first},
                                  std::pair{int64_t{block.seats_second}, &slot.extra_second}}) {
        extra->push_back(Overbooked((k + 1) * seats, permille) - Overbooked(k * seats, permille) -
                         seats);
      }
    }
    return slot;
  }

  void CheckSlots() {
    const std::vector<CapacityBlock>& blocks = engine_.capacity_blocks();
    for (uint32_t pool_index = 0; pool_index < pools_.size(); ++pool_index) {
      Pool& pool = pools_[pool_index];
      // (day, block) for every day a block covers.
      std::vector<std::pair<int64_t, size_t>> covered;
      for (size_t block_index : pool.blocks) {
        const CapacityBlock& block = blocks[block_index];
        for (absl::CivilDay day = block.first_day; day <= block.last_day; ++day) {
          const int weekday = static_cast<int>(absl::GetWeekday(day));  // Monday = 0
          if ((block.weekdays & (1u << weekday)) != 0) {
            covered.emplace_back(DayNumber(day), block_index);
          }
        }
      }
      std::sort(covered.begin(), covered.end());
      // Days inside the blocks' ranges that no block covers must have no slots.
      int64_t unchecked_day = std::numeric_limits<int64_t>::max();
      int64_t range_last = std::numeric_limits<int64_t>::min();
      for (size_t block_index : pool.blocks) {
        unchecked_day = std::min(unchecked_day, DayNumber(blocks[block_index].first_day));
        range_last = std::max(range_last, DayNumber(blocks[block_index].last_day));
      }
      std::vector<ExpectedSlot> expected;
      for (size_t begin = 0; begin < covered.size();) {
        size_t end = begin;
        expected.clear();
        while (end < covered.size() && covered[end].first == covered[begin].first) {
          const CapacityBlock& block = blocks[covered[end].second];
          if (block.slot_minutes > 0) {
            for (int start = block.open_minute; start + block.slot_minutes <= block.close_minute;
                 start += block.slot_minutes) {
              expected.push_back(BlockSlot(block, start));
            }
          }
          ++end;
        }
        const int64_t day = covered[begin].first;
        for (; unchecked_day < day; ++unchecked_day) CheckDaySlots(pool_index, unchecked_day, {});
        unchecked_day = day + 1;
        pool.calendar_days.push_back(day);
        CheckDaySlots(pool_index, day, MergeSlots(expected));
        begin = end;
      }
      for (; unchecked_day <= range_last; ++unchecked_day) {
        CheckDaySlots(pool_index, unchecked_day, {});
      }
    }
  }

  std::vector<ExpectedSlot> MergeSlots(std::vector<ExpectedSlot> slots) const {
    std::sort(slots.begin(), slots.end(),
              [](const ExpectedSlot& a, const ExpectedSlot& b) { return a.minute < b.minute; });
    std::vector<ExpectedSlot> merged;
    for (const ExpectedSlot& slot : slots) {
      if (!merged.empty() && merged.back().minute == slot.minute) {
        ExpectedSlot& into = merged.back();
        into.seats_first += slot.seats_first;
        into.seats_second += slot.seats_second;
        for (size_t i = 0; i < slot.extra_first.size(); ++i) {
          into.extra_first[i] += slot.extra_first[i];
          into.extra_second[i] += slot.extra_second[i];
        }
      } else {
        merged.push_back(slot);
      }
    }
    const int current = CurrentOverbooking();
    for (ExpectedSlot& slot : merged) {
      size_t i = 0;
      for (int permille : overbook_permilles_) {
        slot.capacity_first = std::max(slot.capacity_first, slot.seats_first + slot.extra_first[i]);
        slot.capacity_second =
            std::max(slot.capacity_second, slot.seats_second + slot.extra_second[i]);
        if (permille == current) {
          slot.bookable_first = slot.seats_first + slot.extra_first[i];
          slot.bookable_second = slot.seats_second + slot.extra_second[i];
        }
        ++i;
      }
    }
    return merged;
  }

  void CheckDaySlots(uint32_t pool_index, int64_t day, const std::vector<ExpectedSlot>& expected) {
    const Pool& pool = pools_[pool_index];
    const std::vector<SlotView> views =
        engine_.Slots(pool.center, pool.vaccine, DayFromNumber(day));
    size_t view_index = 0;
    for (const ExpectedSlot& slot : expected) {
      while (view_index < views.size() && views[view_index].minute < slot.minute) {
        ReportUnexpectedSlot(pool, views[view_index]);
        ++view_index;
      }
      const SlotView* view = nullptr;
      if (view_index < views.size() && views[view_index].minute == slot.minute) {
        view = &views[view_index++];
      }
      SlotTally tally;
      auto it = tallies_.find(SlotKey{pool_index, slot.minute, day});
      if (it != tallies_.end()) {
        it->second.on_slot = true;
        it->second.seats_first = slot.seats_first;
        it->second.seats_second = slot.seats_second;
        tally = it->second;
      }
      CheckSlot(pool, day, slot, tally, view);
      seats_first_free_[pool.center] +=
          static_cast<uint64_t>(std::max<int64_t>(0, slot.bookable_first - tally.booked_first));
    }
    for (; view_index < views.size(); ++view_index) ReportUnexpectedSlot(pool, views[view_index]);
  }

  // Seats plus overbooking (Policy::overbook_permille), rounded down.
  static int64_t Overbooked(int64_t seats, int permille) { return seats + seats * permille / 1000; }
  int CurrentOverbooking() const {
    return current_policy_ == nullptr ? 0 : current_policy_->policy.overbook_permille;
  }

  void CheckSlot(const Pool& pool, int64_t day, const ExpectedSlot& slot, const SlotTally& tally,
                 const SlotView* view) {
    const int64_t capacity_first = slot.capacity_first;
    const int64_t capacity_second = slot.capacity_second;
    if (tally.booked_first > capacity_first) {
      out_.Add(Invariant::kSlotCapacity, [&] {
        return absl::StrFormat(
            "center %d vaccine %d, %s minute %d: %d first-dose appointments for %d seats "
            "(%d with overbooking)",
            pool.center, pool.vaccine, DayText(day), slot.minute, tally.booked_first,
            slot.seats_first, capacity_first);
      });
    }
    if (tally.booked_second > capacity_second) {
      out_.Add(Invariant::kSlotCapacity, [&] {
        return absl::StrFormat(
            "center %d vaccine %d, %s minute %d: %d second-dose appointments for %d seats "
            "(%d with overbooking)",
            pool.center, pool.vaccine, DayText(day), slot.minute, tally.booked_second,
            slot.seats_second, capacity_second);
      });
    }
    if (view == nullptr) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat(
            "center %d vaccine %d, %s: Slots() lacks the slot at minute %d that the capacity "
            "blocks define (%d/%d seats)",
            pool.center, pool.vaccine, DayText(day), slot.minute, slot.seats_first,
            slot.seats_second);
      });
      return;
    }
    const int64_t bookable_first = slot.bookable_first;
    const int64_t bookable_second = slot.bookable_second;
    if (view->day != DayFromNumber(day) || view->seats_first != slot.seats_first ||
        view->seats_second != slot.seats_second || view->bookable_first != bookable_first ||
        view->bookable_second != bookable_second || view->booked_first != tally.booked_first ||
        view->booked_second != tally.booked_second) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat(
            "center %d vaccine %d, %s minute %d: Slots() says day %s, seats %d/%d, bookable "
            "%d/%d, booked %d/%d; recount gives seats %d/%d, bookable %d/%d, booked %d/%d",
            pool.center, pool.vaccine, DayText(day), slot.minute, DayText(view->day),
            view->seats_first, view->seats_second, view->bookable_first, view->bookable_second,
            view->booked_first, view->booked_second, slot.seats_first, slot.seats_second,
            bookable_first, bookable_second, tally.booked_first, tally.booked_second);
      });
    }
  }

  void ReportUnexpectedSlot(const Pool& pool, const SlotView& view) {
    out_.Add(Invariant::kBookkeeping, [&] {
      return absl::StrFormat(
          "center %d vaccine %d, %s: Slots() has a slot at minute %d (seats %d/%d) that no "
          "capacity block defines",
          pool.center, pool.vaccine, DayText(view.day), view.minute, view.seats_first,
          view.seats_second);
    });
  }

  // --- kSecondDoseReserved (appointments on slots) ----------------------------

  void CheckAppointmentsOnSlots() {
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present) continue;
      if (series.vaccine >= vaccines_.size() || !vaccines_[series.vaccine].present ||
          series.center >= centers_.size() || !centers_[series.center].present) {
        continue;  // reported by CheckSeries
      }
      const uint32_t pool = PoolIndex(series.center, series.vaccine);
      for (int dose = 0; dose < series.used(); ++dose) {
        if (!series.HoldsSeat(dose)) continue;
        const Appointment& appointment = series.appointments[dose];
        auto it = tallies_.find(SlotKey{pool, appointment.minute, DayNumber(appointment.day)});
        if (it == tallies_.end()) continue;  // cannot happen: CheckSeries counted it
        const SlotTally& tally = it->second;
        const int64_t seats = dose == 0 ? tally.seats_first : tally.seats_second;
        if (!tally.on_slot) {
          out_.Add(Invariant::kSecondDoseReserved, [&] {
            return absl::StrFormat(
                "%s series %d: appointment %d (%s minute %d) is on no slot of center %d "
                "vaccine %d",
                StatusName(series.status), id, dose + 1, DayText(appointment.day),
                appointment.minute, series.center, series.vaccine);
          });
        } else if (seats <= 0) {
          out_.Add(Invariant::kSecondDoseReserved, [&] {
            return absl::StrFormat(
                "%s series %d: appointment %d (%s minute %d) is on a slot of center %d "
                "vaccine %d without %s-dose seats",
                StatusName(series.status), id, dose + 1, DayText(appointment.day),
                appointment.minute, series.center, series.vaccine, dose == 0 ? "first" : "second");
          });
        }
      }
    }
  }

  // --- kDoseSupply -----------------------------------------------------------

  void CheckSupply() {
    for (Pool& pool : pools_) {
      // Events: (day, doses delivered that day, appointments that day).
      std::vector<std::array<int64_t, 3>> events;
      for (const auto& [day, doses] : pool.delivered) events.push_back({day, doses, 0});
      for (const auto& [day, count] : pool.appointments_per_day) events.push_back({day, 0, count});
      std::sort(events.begin(), events.end());
      std::vector<int64_t> days;
      std::vector<int64_t> slack;  // at the end of days[i]
      int64_t delivered = 0;
      int64_t booked = 0;
      int64_t first_short_day = 0;
      int64_t short_days = 0;
      int64_t short_delivered = 0;
      int64_t short_booked = 0;
      for (size_t i = 0; i < events.size();) {
        const int64_t day = events[i][0];
        for (; i < events.size() && events[i][0] == day; ++i) {
          delivered += events[i][1];
          booked += events[i][2];
        }
        days.push_back(day);
        slack.push_back(delivered - booked);
        if (delivered < booked) {
          if (short_days++ == 0) {
            first_short_day = day;
            short_delivered = delivered;
            short_booked = booked;
          }
        }
      }
      if (short_days > 0) {
        out_.Add(Invariant::kDoseSupply, [&] {
          return absl::StrFormat(
              "center %d vaccine %d: by %s, %d appointments booked or given but %d doses "
              "delivered (short on %d event day(s))",
              pool.center, pool.vaccine, DayText(first_short_day), short_booked, short_delivered,
              short_days);
        });
        continue;  // the engine's slack is meaningless for an over-committed pool
      }
      CheckDosesAvailable(pool, days, slack);
    }
  }

  void CheckDosesAvailable(const Pool& pool, const std::vector<int64_t>& days,
                           const std::vector<int64_t>& slack) {
    std::vector<int64_t> suffix_min(slack.size());
    for (size_t i = slack.size(); i-- > 0;) {
      suffix_min[i] = i + 1 < slack.size() ? std::min(slack[i], suffix_min[i + 1]) : slack[i];
    }
    std::vector<int64_t> queries = pool.calendar_days;
    for (const auto& [day, doses] : pool.delivered) queries.push_back(day);
    std::sort(queries.begin(), queries.end());
    queries.erase(std::unique(queries.begin(), queries.end()), queries.end());
    for (int64_t day : queries) {
      // Slack on `day` itself is that of the last event on or before it.
      const size_t next = std::lower_bound(days.begin(), days.end(), day) - days.begin();
      int64_t expected;
      if (next < days.size() && days[next] == day) {
        expected = suffix_min[next];
      } else {
        const int64_t slack_today = next == 0 ? 0 : slack[next - 1];
        expected = next < days.size() ? std::min(slack_today, suffix_min[next]) : slack_today;
      }
      const int64_t reported =
          engine_.DosesAvailableFrom(pool.center, pool.vaccine, DayFromNumber(day));
      if (reported != expected) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat(
              "center %d vaccine %d: DosesAvailableFrom(%s) is %d, recount gives %d", pool.center,
              pool.vaccine, DayText(day), reported, expected);
        });
      }
    }
  }

  // --- kOneActiveSeries --------------------------------------------------------

  // Per registrant: its active, held and completed series (the first two ids
  // of each kept for messages).
  struct Holdings {
    uint32_t active = 0;
    uint32_t held = 0;
    std::array<SeriesId, 2> active_ids = {kNoId, kNoId};
    std::array<SeriesId, 2> held_ids = {kNoId, kNoId};
  };

  void CheckOneActiveSeries() {
    std::vector<Holdings> holdings(registrants_.size());
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present) continue;
      if (series.registrant >= registrants_.size() || !registrants_[series.registrant].present) {
        out_.Add(Invariant::kOneActiveSeries, [&] {
          return absl::StrFormat("series %d belongs to unknown registrant %d", id,
                                 series.registrant);
        });
        continue;
      }
      Holdings& holding = holdings[series.registrant];
      if (series.status == SeriesStatus::kActive) {
        if (holding.active < 2) holding.active_ids[holding.active] = id;
        ++holding.active;
      } else if (series.status == SeriesStatus::kHeld) {
        if (holding.held < 2) holding.held_ids[holding.held] = id;
        ++holding.held;
      } else if (series.status == SeriesStatus::kCompleted) {
        CheckCompletedOwner(id, series);
      }
    }
    for (RegistrantId id = 1; id < registrants_.size(); ++id) {
      if (registrants_[id].present) CheckRegistrantSeries(id, registrants_[id], holdings[id]);
    }
  }

  // A completed series belongs to a vaccinated registrant that names it, or
  // to one who withdrew since.
  void CheckCompletedOwner(SeriesId id, const SeriesInfo& series) {
    const RegistrantInfo& registrant = registrants_[series.registrant];
    if (registrant.status == RegistrantStatus::kWithdrawn) return;
    if (registrant.status == RegistrantStatus::kVaccinated && registrant.series == id) return;
    out_.Add(Invariant::kOneActiveSeries, [&] {
      return absl::StrFormat("completed series %d belongs to %s registrant %d, who names series %d",
                             id, RegistrantStatusName(registrant.status), series.registrant,
                             registrant.series);
    });
  }

  void CheckRegistrantSeries(RegistrantId id, const RegistrantInfo& registrant,
                             const Holdings& holding) {
    const char* status = RegistrantStatusName(registrant.status);
    if (holding.active > 1) {
      out_.Add(Invariant::kOneActiveSeries, [&] {
        return absl::StrFormat("registrant %d holds %d active series (e.g. %d and %d)", id,
                               holding.active, holding.active_ids[0], holding.active_ids[1]);
      });
      return;
    }
    if (holding.held > 1) {
      out_.Add(Invariant::kOneActiveSeries, [&] {
        return absl::StrFormat("registrant %d holds %d holds (e.g. series %d and %d)", id,
                               holding.held, holding.held_ids[0], holding.held_ids[1]);
      });
      return;
    }
    switch (registrant.status) {
      case RegistrantStatus::kScheduled:
        if (holding.active != 1 || registrant.series != holding.active_ids[0]) {
          out_.Add(Invariant::kOneActiveSeries, [&] {
            return absl::StrFormat(
                "registrant %d is scheduled with series %d but holds %d active series%s", id,
                registrant.series, holding.active,
                holding.active == 1 ? absl::StrCat(" (", holding.active_ids[0], ")")
                                    : std::string());
          });
          return;
        }
        break;
      case RegistrantStatus::kVaccinated: {
        const bool names_completed =
            registrant.series != kNoId && registrant.series < series_.size() &&
            series_[registrant.series].present && series_[registrant.series].registrant == id &&
            series_[registrant.series].status == SeriesStatus::kCompleted;
        if (!names_completed && holding.active == 0) {
          out_.Add(Invariant::kOneActiveSeries, [&] {
            return absl::StrFormat(
                "vaccinated registrant %d names series %d, not a completed "
                "series of its own",
                id, registrant.series);
          });
          return;
        }
        break;
      }
      case RegistrantStatus::kWaiting:
      case RegistrantStatus::kWithdrawn:
        if (holding.active == 0 && registrant.series != kNoId) {
          out_.Add(Invariant::kOneActiveSeries, [&] {
            return absl::StrFormat("%s registrant %d names series %d", status, id,
                                   registrant.series);
          });
          return;
        }
        break;
    }
    if (registrant.status != RegistrantStatus::kScheduled && holding.active != 0) {
      out_.Add(Invariant::kOneActiveSeries, [&] {
        return absl::StrFormat("%s registrant %d holds active series %d", status, id,
                               holding.active_ids[0]);
      });
      return;
    }
    if (holding.held == 1) CheckHold(id, registrant, holding.held_ids[0]);
  }

  // A hold belongs to a waiting registrant, or to a scheduled one whose
  // active series it would replace (a short-notice swap).
  void CheckHold(RegistrantId id, const RegistrantInfo& registrant, SeriesId hold) {
    if (registrant.status == RegistrantStatus::kWaiting) return;
    const SeriesId replaces = series_[hold].replaces;
    if (registrant.status == RegistrantStatus::kScheduled && replaces != kNoId &&
        replaces == registrant.series) {
      return;
    }
    out_.Add(Invariant::kOneActiveSeries, [&] {
      return absl::StrFormat(
          "%s registrant %d (series %d) holds series %d, which replaces series %d; only a "
          "waiting registrant, or a scheduled one swapping its active series, may hold",
          RegistrantStatusName(registrant.status), id, registrant.series, hold, replaces);
    });
  }

  // --- kResidence and kEligibility ---------------------------------------------

  bool MayUseCenter(const PolicyInfo& policy, const CenterInfo& center, DistrictId district) const {
    if (center.Serves(district)) return true;
    if (!policy.neighbour_rule()) return false;
    auto it = policy.neighbours.find(district);
    if (it == policy.neighbours.end()) return false;
    for (DistrictId neighbour : it->second) {
      if (center.Serves(neighbour)) return true;
    }
    return false;
  }

  // Every series, whatever its status: the registrant's data and the
  // policies never change, so what held when it was placed still holds.
  void CheckResidenceAndEligibility() {
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present) continue;
      if (series.registrant >= registrants_.size() || !registrants_[series.registrant].present ||
          series.center >= centers_.size() || !centers_[series.center].present ||
          series.vaccine >= vaccines_.size() || !vaccines_[series.vaccine].present) {
        continue;  // reported elsewhere
      }
      const RegistrantInfo& registrant = registrants_[series.registrant];
      if (series.draw == kNoId) {
        CheckSelfBookedResidence(id, series, registrant);
        CheckEligibility(id, series, registrant, nullptr);
        continue;
      }
      const PolicyInfo* policy = PolicyOfSeries(series);
      if (policy == nullptr) continue;  // reported by CheckDrawRecords
      if (!MayUseCenter(*policy, centers_[series.center], registrant.district)) {
        out_.Add(Invariant::kResidence, [&] {
          return absl::StrFormat(
              "series %d: registrant %d lives in district %d, which center %d does not serve%s "
              "(policy version %d)",
              id, series.registrant, registrant.district, series.center,
              policy->neighbour_rule() ? ", nor a neighbour of it" : "", policy->version);
        });
      }
      CheckEligibility(id, series, registrant, policy);
    }
  }

  // Which policy was current at a self-booking is not recorded: the center
  // must be one the registrant may use under some policy version.
  void CheckSelfBookedResidence(SeriesId id, const SeriesInfo& series,
                                const RegistrantInfo& registrant) {
    const CenterInfo& center = centers_[series.center];
    if (center.Serves(registrant.district)) return;
    const uint32_t versions = engine_.policy_version();
    for (uint32_t version = versions; version >= 1; --version) {
      const PolicyInfo* policy = version == versions
                                     ? current_policy_
                                     : GetPolicyInfo(version, absl::StrCat("series ", id));
      if (policy != nullptr && MayUseCenter(*policy, center, registrant.district)) return;
    }
    out_.Add(Invariant::kResidence, [&] {
      return absl::StrFormat(
          "%s series %d (origin %s): registrant %d lives in district %d, which center %d does "
          "not serve, nor a neighbour of it under any policy version 1..%d",
          StatusName(series.status), id, OriginName(series.origin), series.registrant,
          registrant.district, series.center, versions);
    });
  }

  // `policy` is the draw's, or nullptr for a self-booked series.
  void CheckEligibility(SeriesId id, const SeriesInfo& series, const RegistrantInfo& registrant,
                        const PolicyInfo* draw_policy) {
    const VaccineSpec& vaccine = vaccines_[series.vaccine].spec;
    const absl::CivilDay first_day = series.appointments[0].day;
    // An erased birth day tells nothing (the age was checked while it was there).
    if (!registrant.erased && !AgeWithin(registrant.birth_day, first_day, vaccine.age_years_min, vaccine.age_years_max)) {
      out_.Add(Invariant::kEligibility, [&] {
        return absl::StrFormat(
            "series %d: registrant %d (born %s) is %d on %s; vaccine %d admits ages %d..%d "
            "(0 = no bound)",
            id, series.registrant, DayText(registrant.birth_day),
            AgeOn(registrant.birth_day, first_day), DayText(first_day), series.vaccine,
            vaccine.age_years_min, vaccine.age_years_max);
      });
    }
    if (registrant.vaccine_preference != kNoId && registrant.vaccine_preference != series.vaccine) {
      out_.Add(Invariant::kEligibility, [&] {
        return absl::StrFormat("series %d: registrant %d prefers vaccine %d but got vaccine %d", id,
                               series.registrant, registrant.vaccine_preference, series.vaccine);
      });
    }
    if (series.category == 0 || draw_policy == nullptr) return;  // CheckOrigin: no reserve
    const PolicyInfo& policy = *draw_policy;
    if (series.category > policy.policy.reserves.size()) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat(
            "series %d has category %d but policy version %d has %d reserve categories", id,
            series.category, policy.version, policy.policy.reserves.size());
      });
      return;
    }
    const ReserveCategory& reserve = policy.policy.reserves[series.category - 1];
    const bool admitted = GroupInMask(registrant.group, reserve.group_mask) &&
                          (registrant.erased ||
                           AgeWithin(registrant.birth_day, first_day, reserve.age_years_min, 0)) &&
                          (reserve.vaccine == kNoId || reserve.vaccine == series.vaccine);
    if (!admitted) {
      out_.Add(Invariant::kEligibility, [&] {
        return absl::StrFormat(
            "series %d: registrant %d (group %d, %d on %s) is not admitted by reserve "
            "category %d \"%s\" of policy version %d (group mask %d, age min %d, vaccine %d) "
            "but got vaccine %d in it",
            id, series.registrant, GroupNumber(registrant.group),
            AgeOn(registrant.birth_day, first_day), DayText(first_day), series.category,
            reserve.name, policy.version, reserve.group_mask, reserve.age_years_min,
            reserve.vaccine, series.vaccine);
      });
    }
  }

  // --- Draw records (kBookkeeping) and the winner index for kTierOrder --------

  void CheckDrawRecords() {
    std::vector<std::vector<SeriesId>> series_of_draw(draws_.size());
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present || series.draw == kNoId) continue;
      if (series.draw >= draws_.size() || !draw_present_[series.draw]) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("series %d refers to unknown draw %d", id, series.draw);
        });
        continue;
      }
      series_of_draw[series.draw].push_back(id);
    }
    for (DrawId id = 1; id < draws_.size(); ++id) {
      if (!draw_present_[id]) continue;
      const DrawRecord& record = draws_[id];
      const PolicyInfo* policy = GetPolicyInfo(record.policy_version, absl::StrCat("draw ", id));
      std::vector<SeriesId> listed = record.series;
      std::sort(listed.begin(), listed.end());
      if (listed != series_of_draw[id]) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("draw %d lists series {%s} but the series with draw %d are {%s}",
                                 id, absl::StrJoin(listed, ","), id,
                                 absl::StrJoin(series_of_draw[id], ","));
        });
      }
      std::array<uint32_t, kTierMax> assigned{};
      for (SeriesId series_id : series_of_draw[id]) {
        const SeriesInfo& series = series_[series_id];
        if (series.tier >= 1 && series.tier <= kTierMax) ++assigned[series.tier - 1];
        CheckWinner(record, policy, series_id, series);
      }
      for (int tier = 1; tier <= kTierMax; ++tier) {
        const TierCount& count = record.tiers[tier - 1];
        if (count.assigned != assigned[tier - 1] || count.eligible < count.assigned) {
          out_.Add(Invariant::kBookkeeping, [&] {
            return absl::StrFormat(
                "draw %d records tier %d as %d eligible, %d assigned; its series give %d "
                "assigned",
                id, tier, count.eligible, count.assigned, assigned[tier - 1]);
          });
        }
      }
      if (policy != nullptr) IndexWinners(record, *policy, series_of_draw[id]);
    }
  }

  // --- Committed draws (docs/draw.md sections 9-11) ---------------------------
  void CheckDrawCommitments() {
    auto add = [&](CommitmentId id, std::string what) {
      out_.Add(Invariant::kDrawCommitments,
               [&] { return absl::StrCat("draw commitment ", id, " ", what); });
    };
    std::vector<CommitmentId> revealing(draws_.size(), kNoId);
    uint32_t pending = 0;
    const uint32_t count = engine_.draw_commitment_count();
    for (CommitmentId id = 1; id <= count; ++id) {
      absl::StatusOr<DrawCommitment> commitment = engine_.GetDrawCommitment(id);
      absl::StatusOr<std::string> inputs = engine_.DrawInputs(id);
      if (!commitment.ok() || !inputs.ok()) {
        add(id, "cannot be read");
        continue;
      }
      if (internal::Sha256Of(*inputs) != commitment->commitment ||
          inputs->size() != commitment->input_bytes) {
        add(id, "does not hash to the inputs it keeps");
      }
      switch (commitment->status) {
        case CommitmentStatus::kPending:
          ++pending;
          if (commitment->draw != kNoId) add(id, "is pending but names a draw");
          break;
        case CommitmentStatus::kAbandoned:
          if (commitment->abandon_reason.empty()) add(id, "is abandoned without a reason");
          if (commitment->draw != kNoId) add(id, "is abandoned but names a draw");
          break;
        case CommitmentStatus::kRevealed:
          if (commitment->draw == kNoId || commitment->draw >= draws_.size() ||
              !draw_present_[commitment->draw]) {
            add(id, absl::StrCat("names unknown draw ", commitment->draw));
            break;
          }
          revealing[commitment->draw] = id;
          CheckRevealed(*commitment, *inputs, draws_[commitment->draw]);
          break;
      }
    }
    if (pending > 1) {
      out_.Add(Invariant::kDrawCommitments,
               [&] { return absl::StrCat(pending, " draw commitments are pending; at most one"); });
    }
    for (DrawId id = 1; id < draws_.size(); ++id) {
      if (!draw_present_[id] || draws_[id].commitment == revealing[id]) continue;
      out_.Add(Invariant::kDrawCommitments, [&] {
        return absl::StrCat("draw ", id, " names draw commitment ", draws_[id].commitment,
                            " but is revealed by ", revealing[id]);
      });
    }
  }


  // The draw's record against the commitment, and the bundle's results
  // (docs/draw.md section 11) against the draw's series and their people.
  void CheckRevealed(const DrawCommitment& commitment, std::string_view inputs,
                     const DrawRecord& record) {
    const CommitmentId id = commitment.id;
    auto add = [&](std::string what) {
      out_.Add(Invariant::kDrawCommitments,
               [&] { return absl::StrCat("draw commitment ", id, " ", what); });
    };
    const DrawRequest& request = record.request;
    const DrawRequest& committed = commitment.request;
    if (request.at != committed.at || request.first_dose_from != committed.first_dose_from ||
        request.first_dose_until != committed.first_dose_until ||
        request.centers != committed.centers || request.series_limit != committed.series_limit) {
      add(absl::StrCat("committed another request than draw ", record.id, " ran"));
    }
    if (commitment.policy_version != record.policy_version) {
      add(absl::StrCat("froze policy version ", commitment.policy_version, " but draw ",
                       record.id, " used ", record.policy_version));
    }
    std::string message(reinterpret_cast<const char*>(commitment.commitment.data()),
                        commitment.commitment.size());
    message += commitment.beacon_value;
    const internal::Sha256 digest = internal::Sha256Of(message);
    const std::string_view digest_bytes(reinterpret_cast<const char*>(digest.data()), 16);
    const DrawSeed seed{internal::LittleEndianAt(digest_bytes, 0, 8), internal::LittleEndianAt(digest_bytes, 8, 8)};
    if (request.seed != seed || committed.seed != seed) {
      add(absl::StrCat("and its beacon value give another seed than draw ", record.id, " used"));
    }
    if (commitment.settled_at < committed.at) add("was revealed before it was made");
    absl::StatusOr<std::string> bundle = engine_.DrawBundle(id);
    if (!bundle.ok()) {
      add(absl::StrCat("has no bundle: ", bundle.status().message()));
      return;
    }
    // The candidates' digests: the inputs' last section (tag 7).
    std::vector<std::string_view> digests;
    for (size_t offset = 8; offset + 9 <= inputs.size();) {
      const uint8_t tag = static_cast<uint8_t>(inputs[offset]);
      const uint64_t length = internal::LittleEndianAt(inputs, offset + 1, 8);
      if (length > inputs.size() - offset - 9) break;
      if (tag == 7 && length >= 4) {
        const uint64_t candidates = internal::LittleEndianAt(inputs, offset + 9, 4);
        constexpr size_t kCandidateBytes = internal::kDrawInputCandidateBytes;
        if (length == 4 + candidates * kCandidateBytes) {
          for (uint64_t c = 0; c < candidates; ++c) {
            digests.push_back(inputs.substr(offset + 13 + c * kCandidateBytes, 32));
          }
        }
      }
      offset += 9 + length;
    }
    // The results follow the inputs, the commitment, the beacon value and the seed.
    const std::string_view bytes = *bundle;
    size_t at = 8 + 8 + inputs.size() + 32;
    if (bytes.size() < at + 4) return add("has a bundle cut short");
    at += 4 + internal::LittleEndianAt(bytes, at, 4) + 16;
    if (bytes.size() < at + 12 + 8 * 8 + 4) return add("has a bundle cut short");
    if (internal::LittleEndianAt(bytes, at, 4) != record.id) add("'s bundle names another draw");
    at += 12;
    for (int t = 0; t < kTierMax; ++t, at += 8) {
      if (internal::LittleEndianAt(bytes, at, 4) != record.tiers[t].eligible ||
          internal::LittleEndianAt(bytes, at + 4, 4) != record.tiers[t].assigned) {
        add(absl::StrCat("'s bundle counts tier ", t + 1, " otherwise than draw ", record.id));
      }
    }
    const uint64_t series_count = internal::LittleEndianAt(bytes, at, 4);
    at += 4;
    if (series_count != record.series.size()) {
      return add(absl::StrCat("'s bundle lists ", series_count, " series; draw ", record.id,
                              " made ", record.series.size()));
    }
    for (size_t i = 0; i < series_count; ++i) {
      if (bytes.size() < at + 15) return add("has a bundle cut short");
      const uint64_t candidate = internal::LittleEndianAt(bytes, at, 4);
      const uint64_t dose_count = internal::LittleEndianAt(bytes, at + 14, 1);
      const SeriesInfo& series = series_[record.series[i]];
      if (internal::LittleEndianAt(bytes, at + 4, 4) != series.center ||
          internal::LittleEndianAt(bytes, at + 8, 4) != series.vaccine ||
          internal::LittleEndianAt(bytes, at + 12, 1) != series.tier ||
          internal::LittleEndianAt(bytes, at + 13, 1) != series.category ||
          dose_count != static_cast<uint64_t>(series.dose_count) || bytes.size() < at + 15 + 6 ||
          static_cast<int32_t>(internal::LittleEndianAt(bytes, at + 15, 4)) !=
              DayNumber(series.appointments[0].day) ||
          static_cast<int>(internal::LittleEndianAt(bytes, at + 19, 2)) != series.appointments[0].minute) {
        // A second dose may be rebooked later; the first appointment never moves.
        add(absl::StrCat("'s bundle lists series ", i + 1, " otherwise than draw ", record.id,
                         "'s series ", record.series[i]));
      }
      absl::StatusOr<Registrant> winner = engine_.GetRegistrant(series.registrant);
      if (candidate >= digests.size()) {
        add(absl::StrCat("'s bundle names candidate ", candidate, " of ", digests.size()));
      } else if (winner.ok() && !winner->erased) {
        const internal::Sha256 ref = internal::Sha256Of(winner->spec.external_ref);
        if (std::string_view(reinterpret_cast<const char*>(ref.data()), ref.size()) !=
            digests[candidate]) {
          add(absl::StrCat("'s bundle gives series ", record.series[i],
                           " to another candidate than its registrant ", series.registrant));
        }
      }
      at += 15 + 6 * dose_count;
    }
    if (at != bytes.size()) add("has bytes after its bundle's last series");
  }

  void CheckWinner(const DrawRecord& record, const PolicyInfo* policy, SeriesId id,
                   const SeriesInfo& series) {
    const DrawRequest& request = record.request;
    const absl::CivilDay first_day = series.appointments[0].day;
    if (first_day < request.first_dose_from || first_day > request.first_dose_until) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat(
            "series %d of draw %d has its first dose on %s, outside the window %s..%s", id,
            record.id, DayText(first_day), DayText(request.first_dose_from),
            DayText(request.first_dose_until));
      });
    }
    if (!request.centers.empty() && std::find(request.centers.begin(), request.centers.end(),
                                              series.center) == request.centers.end()) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat("series %d of draw %d is at center %d, not one the draw named", id,
                               record.id, series.center);
      });
    }
    if (policy == nullptr || series.registrant >= registrants_.size() ||
        !registrants_[series.registrant].present) {
      return;
    }
    const RegistrantInfo& registrant = registrants_[series.registrant];
    const int tier = policy->Tier(registrant.group, registrant.registered_at);
    if (series.tier != tier) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat(
            "series %d of draw %d records tier %d, but registrant %d has tier %d under policy "
            "version %d",
            id, record.id, series.tier, series.registrant, tier, policy->version);
      });
    }
  }

  // Groups the draw's winners by (pool, category, tier), with the true tier
  // of each winner (a recorded tier that differs is reported above).
  void IndexWinners(const DrawRecord& record, const PolicyInfo& policy,
                    const std::vector<SeriesId>& winners) {
    DrawIndex index;
    index.id = record.id;
    index.at = record.request.at;
    index.policy = &policy;
    index.policy_slot = PolicySlot(policy);
    if (auto zone = zones_.find(policy.policy.time_zone); zone != zones_.end()) {
      const int64_t today = DayNumber(absl::ToCivilDay(record.request.at, zone->second));
      const int online = policy.policy.draw_lead_days_online;
      const int phone = policy.policy.draw_lead_days_phone;
      if (online > 0) index.first_day_by_channel[0] = today + online;
      if (phone > 0) index.first_day_by_channel[1] = today + phone;
    }
    std::map<std::tuple<CenterId, VaccineId, uint8_t, int>, uint32_t> group_of;
    for (SeriesId id : winners) {
      const SeriesInfo& series = series_[id];
      if (series.registrant >= registrants_.size() || !registrants_[series.registrant].present ||
          series.center >= centers_.size() || !centers_[series.center].present ||
          series.vaccine >= vaccines_.size() || !vaccines_[series.vaccine].present) {
        continue;
      }
      const std::vector<CenterId>& centers = record.request.centers;
      if (!centers.empty() &&
          std::find(centers.begin(), centers.end(), series.center) == centers.end()) {
        continue;  // nobody could use that pool in this draw
      }
      if (series.category > policy.policy.reserves.size()) continue;
      const RegistrantInfo& registrant = registrants_[series.registrant];
      const int tier = policy.Tier(registrant.group, registrant.registered_at);
      const std::optional<int64_t> first_allowed =
          index.first_day_by_channel[static_cast<int>(registrant.channel)];
      if (first_allowed && DayNumber(series.appointments[0].day) < *first_allowed) {
        out_.Add(Invariant::kEligibility, [&] {
          return absl::StrFormat(
              "draw %d gave %s registrant %d series %d with a first dose on %s, before its "
              "policy's notice allows (from %s)",
              record.id, registrant.channel == Channel::kPhone ? "phone" : "online",
              series.registrant, id, DayText(series.appointments[0].day),
              DayText(*first_allowed));
        });
      }
      auto [it, inserted] = group_of.try_emplace(
          std::make_tuple(series.center, series.vaccine, series.category, tier),
          static_cast<uint32_t>(index.groups.size()));
      if (inserted) {
        WinnerGroup group;
        group.center = series.center;
        group.vaccine = series.vaccine;
        group.category = series.category;
        group.tier = tier;
        const VaccineSpec& vaccine = vaccines_[series.vaccine].spec;
        group.age_years_min = vaccine.age_years_min;
        group.age_years_max = vaccine.age_years_max;
        if (series.category > 0) {
          group.reserve = &policy.policy.reserves[series.category - 1];
          group.age_years_min = std::max(group.age_years_min, group.reserve->age_years_min);
        }
        index.groups.push_back(std::move(group));
      }
      index.groups[it->second].first_days.emplace_back(DayNumber(series.appointments[0].day), id);
      winners_.insert(WinnerKey(series.registrant, record.id));
      index.tier_max = std::max(index.tier_max, tier);
    }
    for (WinnerGroup& group : index.groups) {
      std::sort(group.first_days.begin(), group.first_days.end());
      group.first_days.erase(
          std::unique(group.first_days.begin(), group.first_days.end(),
                      [](const auto& a, const auto& b) { return a.first == b.first; }),
          group.first_days.end());
    }
    IndexByDistrict(index);
    draw_indices_.push_back(std::move(index));
  }

  size_t PolicySlot(const PolicyInfo& policy) {
    for (size_t slot = 0; slot < tier_policies_.size(); ++slot) {
      if (tier_policies_[slot] == &policy) return slot;
    }
    tier_policies_.push_back(&policy);
    return tier_policies_.size() - 1;
  }

  // For each district, the groups whose center its residents may use under
  // the draw's policy, worst tier first.
  void IndexByDistrict(DrawIndex& index) const {
    const size_t district_slots = engine_.district_count() + size_t{1};
    index.groups_by_district.assign(district_slots, {});
    for (uint32_t group_index = 0; group_index < index.groups.size(); ++group_index) {
      const WinnerGroup& group = index.groups[group_index];
      std::vector<DistrictId> districts = centers_[group.center].districts;
      if (index.policy->neighbour_rule()) {
        for (DistrictId served : centers_[group.center].districts) {
          auto it = index.policy->neighbours.find(served);
          if (it == index.policy->neighbours.end()) continue;
          districts.insert(districts.end(), it->second.begin(), it->second.end());
        }
      }
      std::sort(districts.begin(), districts.end());
      districts.erase(std::unique(districts.begin(), districts.end()), districts.end());
      for (DistrictId district : districts) {
        if (district < district_slots) index.groups_by_district[district].push_back(group_index);
      }
    }
    for (std::vector<uint32_t>& groups : index.groups_by_district) {
      std::stable_sort(groups.begin(), groups.end(), [&](uint32_t a, uint32_t b) {
        return index.groups[a].tier > index.groups[b].tier;
      });
    }
  }

  // --- kReleaseWindow and kReleaseCap --------------------------------------------

  // A release's cap counts first appointments that hold their seat: booked
  // (held or active) or given, even if the series was cancelled afterwards.
  static bool CountsAgainstCap(const SeriesInfo& series) { return series.HoldsSeat(0); }

  static bool InRelease(const ReleaseSpec& release, const SeriesInfo& series) {
    const absl::CivilDay first_day = series.appointments[0].day;
    return release.center == series.center &&
           (release.vaccine == kNoId || release.vaccine == series.vaccine) &&
           first_day >= release.first_day && first_day <= release.last_day;
  }

  void CheckReleases() {
    std::vector<uint32_t> counted(releases_.size(), 0);
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present) continue;
      if (series.release != kNoId) {
        if (series.release >= releases_.size() || !releases_[series.release].present) {
          out_.Add(Invariant::kBookkeeping, [&] {
            return absl::StrFormat("series %d names unknown release %d", id, series.release);
          });
          continue;
        }
        if (CountsAgainstCap(series)) ++counted[series.release];
        CheckReleaseSeries(id, series, releases_[series.release].release);
      } else if (series.draw != kNoId && series.draw < draws_.size() &&
                 draw_present_[series.draw] && series.center < releases_by_center_.size()) {
        CheckDrawSeriesOffReleases(id, series, draws_[series.draw]);
      }
    }
    for (ReleaseId id = 1; id < releases_.size(); ++id) {
      if (!releases_[id].present) continue;
      const Release& release = releases_[id].release;
      const uint32_t cap = release.spec.first_dose_cap;
      if (cap != 0 && counted[id] > cap) {
        out_.Add(Invariant::kReleaseCap, [&] {
          return absl::StrFormat(
              "release %d (center %d, %s..%s) gave out %d first appointments (booked or "
              "given); its first_dose_cap is %d",
              id, release.spec.center, DayText(release.spec.first_day),
              DayText(release.spec.last_day), counted[id], cap);
        });
      }
      if (release.booked != counted[id]) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("GetRelease(%d) says %d booked; recount gives %d", id,
                                 release.booked, counted[id]);
        });
      }
    }
  }

  // A series booked in a release: first dose on its days, at its center (and
  // vaccine, when it names one), booked no earlier than it opened.
  void CheckReleaseSeries(SeriesId id, const SeriesInfo& series, const Release& release) {
    const ReleaseSpec& spec = release.spec;
    if (!InRelease(spec, series)) {
      out_.Add(Invariant::kReleaseWindow, [&] {
        return absl::StrFormat(
            "series %d of release %d: first dose at center %d vaccine %d on %s, but the "
            "release is center %d vaccine %d (0 = any), %s..%s",
            id, release.id, series.center, series.vaccine, DayText(series.appointments[0].day),
            spec.center, spec.vaccine, DayText(spec.first_day), DayText(spec.last_day));
      });
    }
    if (series.booked_at < spec.release_at) {
      out_.Add(Invariant::kReleaseWindow, [&] {
        return absl::StrFormat("series %d of release %d was booked at %s, before release_at %s", id,
                               release.id, TimeText(series.booked_at), TimeText(spec.release_at));
      });
    }
  }

  // Draws leave a release's first-dose days alone. Only releases opening
  // strictly before the draw's instant certainly existed at the draw (see
  // the top of this file).
  void CheckDrawSeriesOffReleases(SeriesId id, const SeriesInfo& series, const DrawRecord& draw) {
    for (ReleaseId release_id : releases_by_center_[series.center]) {
      const ReleaseSpec& spec = releases_[release_id].release.spec;
      if (spec.release_at >= draw.request.at || !InRelease(spec, series)) continue;
      out_.Add(Invariant::kReleaseWindow, [&] {
        return absl::StrFormat(
            "draw %d (at %s) placed series %d's first dose on %s, a day of release %d (center "
            "%d, %s..%s, opening %s)",
            draw.id, TimeText(draw.request.at), id, DayText(series.appointments[0].day), release_id,
            spec.center, DayText(spec.first_day), DayText(spec.last_day),
            TimeText(spec.release_at));
      });
      return;
    }
  }

  // --- kTierOrder ------------------------------------------------------------

  // One pass over the waiting registrants; each is tested against the draws
  // it took part in, and only against winners of a worse tier in pools it
  // could have used. One violation per (registrant, draw).
  void CheckTierOrder() {
    if (draw_indices_.empty()) return;
    std::vector<int> tiers(tier_policies_.size());
    for (RegistrantId id = 1; id < registrants_.size(); ++id) {
      const RegistrantInfo& registrant = registrants_[id];
      if (!registrant.present || registrant.status != RegistrantStatus::kWaiting) continue;
      std::fill(tiers.begin(), tiers.end(), 0);
      const absl::Time hold_since = hold_since_[id];
      for (const DrawIndex& draw : draw_indices_) {
        if (registrant.registered_at > draw.at || registrant.waiting_since > draw.at) continue;
        // A draw skips holders, and a hold may have lasted until any later
        // draw (see the top of this file).
        if (hold_since <= draw.at) continue;
        if (registrant.district >= draw.groups_by_district.size()) continue;
        int& tier = tiers[draw.policy_slot];
        if (tier == 0) tier = RegistrantTier(id, registrant, *draw.policy);
        if (tier >= draw.tier_max) continue;
        CheckWaitingAgainstDraw(id, registrant, tier, draw);
      }
    }
  }

  // The tier by our own rule, cross-checked once against Engine::TierOf.
  int RegistrantTier(RegistrantId id, const RegistrantInfo& registrant, const PolicyInfo& policy) {
    const int tier = policy.Tier(registrant.group, registrant.registered_at);
    absl::StatusOr<int> reported = engine_.TierOf(id, policy.version);
    if (!reported.ok() || *reported != tier) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat(
            "TierOf(%d, %d) gives %s; the policy's tier rules give %d", id, policy.version,
            reported.ok() ? absl::StrCat(*reported) : reported.status().ToString(), tier);
      });
    }
    return tier;
  }

  void CheckWaitingAgainstDraw(RegistrantId id, const RegistrantInfo& registrant, int tier,
                               const DrawIndex& draw) {
    for (uint32_t group_index : draw.groups_by_district[registrant.district]) {
      const WinnerGroup& group = draw.groups[group_index];
      if (group.tier <= tier) break;
      if (registrant.vaccine_preference != kNoId &&
          registrant.vaccine_preference != group.vaccine) {
        continue;
      }
      if (group.reserve != nullptr &&
          (!GroupInMask(registrant.group, group.reserve->group_mask) ||
           (group.reserve->vaccine != kNoId && group.reserve->vaccine != group.vaccine))) {
        continue;
      }
      // Days eligible by age and the draw's notice form [lowest, highest].
      int64_t lowest = draw.first_day_by_channel[static_cast<int>(registrant.channel)].value_or(
          std::numeric_limits<int64_t>::min());
      int64_t highest = std::numeric_limits<int64_t>::max();
      if (group.age_years_min > 0) {
        lowest = std::max(lowest, DayReachingAge(registrant.birth_day, group.age_years_min));
      }
      if (group.age_years_max > 0) {
        highest = DayReachingAge(registrant.birth_day, group.age_years_max + 1) - 1;
      }
      auto it = std::lower_bound(group.first_days.begin(), group.first_days.end(),
                                 std::make_pair(lowest, SeriesId{0}));
      if (it == group.first_days.end() || it->first > highest) continue;
      // Placed by this very draw and cancelled since at the draw's instant:
      // not someone the draw passed over.
      if (winners_.contains(WinnerKey(id, draw.id))) return;
      out_.Add(Invariant::kTierOrder, [&] {
        return absl::StrFormat(
            "draw %d gave series %d (tier %d, category %d) at center %d vaccine %d on %s while "
            "registrant %d (tier %d, waiting since %s, registered %s) who could use it still "
            "waits",
            draw.id, it->second, group.tier, group.category, group.center, group.vaccine,
            DayText(it->first), id, tier, TimeText(registrant.waiting_since),
            TimeText(registrant.registered_at));
      });
      return;
    }
  }

  // --- kCodes -----------------------------------------------------------------------

  static const char* CodeStateName(CodeState state) {
    switch (state) {
      case CodeState::kPending:
        return "pending";
      case CodeState::kUsed:
        return "used";
      case CodeState::kLocked:
        return "locked";
      case CodeState::kSuperseded:
        return "superseded";
    }
    return "unknown-state";
  }

  static const char* PurposeName(CodePurpose purpose) {
    switch (purpose) {
      case CodePurpose::kCancelSeries:
        return "cancel-series";
      case CodePurpose::kWithdraw:
        return "withdraw";
    }
    return "unknown-purpose";
  }

  void CheckCodes() {
    const uint32_t count = engine_.code_count();
    std::vector<VerificationCode> codes;
    codes.reserve(count);
    for (CodeId id = 1; id <= count; ++id) {
      absl::StatusOr<VerificationCode> code = engine_.GetCode(id);
      if (!code.ok() || code->id != id) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat(
              "code_count() is %d but GetCode(%d) gives %s", count, id,
              code.ok() ? absl::StrCat("id ", code->id) : code.status().ToString());
        });
        continue;
      }
      codes.push_back(*std::move(code));
    }
    // Per (registrant, purpose): the pending codes and the latest code.
    struct KeyCodes {
      std::vector<CodeId> pending;
      CodeId latest = kNoId;
    };
    std::map<std::pair<RegistrantId, int>, KeyCodes> by_key;
    for (const VerificationCode& code : codes) {
      KeyCodes& key = by_key[{code.registrant, static_cast<int>(code.purpose)}];
      key.latest = std::max(key.latest, code.id);
      if (code.state == CodeState::kPending) key.pending.push_back(code.id);
    }
    for (const auto& key_entry : by_key) {
      // Named references, not a structured binding: a lambda may not
      // capture those before C++20 as clang 14 implements it.
      const std::pair<RegistrantId, int>& key = key_entry.first;
      const KeyCodes& entry = key_entry.second;
      if (entry.pending.size() < 2) continue;
      out_.Add(Invariant::kCodes, [&] {
        return absl::StrFormat("registrant %d has %d pending %s codes (%s); at most one", key.first,
                               entry.pending.size(),
                               PurposeName(static_cast<CodePurpose>(key.second)),
                               absl::StrJoin(entry.pending, ","));
      });
    }
    for (const VerificationCode& code : codes) {
      CheckCode(code, by_key[{code.registrant, static_cast<int>(code.purpose)}].latest);
    }
  }

  // One code on its own; `latest` is the last code of its registrant and purpose.
  void CheckCode(const VerificationCode& code, CodeId latest) {
    const char* state = CodeStateName(code.state);
    const char* purpose = PurposeName(code.purpose);
    auto add = [&](const std::string& what) {
      out_.Add(Invariant::kCodes, [&] {
        return absl::StrFormat("%s %s code %d of registrant %d: %s", state, purpose, code.id,
                               code.registrant, what);
      });
    };
    if (code.registrant == kNoId || code.registrant >= registrants_.size() ||
        !registrants_[code.registrant].present) {
      add("names an unknown registrant");
      return;
    }
    if (code.purpose != CodePurpose::kCancelSeries && code.purpose != CodePurpose::kWithdraw) {
      add(absl::StrCat("has unknown purpose ", static_cast<int>(code.purpose)));
      return;
    }
    if (code.state != CodeState::kPending && code.state != CodeState::kUsed &&
        code.state != CodeState::kLocked && code.state != CodeState::kSuperseded) {
      add(absl::StrCat("has unknown state ", static_cast<int>(code.state)));
      return;
    }
    if (code.purpose == CodePurpose::kCancelSeries) {
      if (code.series == kNoId || code.series >= series_.size() || !series_[code.series].present ||
          series_[code.series].registrant != code.registrant) {
        add(absl::StrFormat("names series %d, which is not a series of its registrant",
                            code.series));
      } else if (code.state == CodeState::kUsed &&
                 series_[code.series].status != SeriesStatus::kCancelled) {
        add(absl::StrFormat("was used, but series %d is %s, not cancelled", code.series,
                            StatusName(series_[code.series].status)));
      }
    } else {
      if (code.series != kNoId) {
        add(absl::StrFormat("names series %d; a withdrawal code names none", code.series));
      }
      if (code.state == CodeState::kUsed &&
          registrants_[code.registrant].status != RegistrantStatus::kWithdrawn) {
        add(absl::StrFormat("was used, but the registrant is %s, not withdrawn",
                            RegistrantStatusName(registrants_[code.registrant].status)));
      }
    }
    if (code.expires_at <= code.issued_at) {
      add(absl::StrFormat("expires at %s, not after it was issued (%s)", TimeText(code.expires_at),
                          TimeText(code.issued_at)));
    } else if (!code_lifetimes_.empty() &&
               !code_lifetimes_.contains(code.expires_at - code.issued_at)) {
      add(absl::StrFormat("lives %s (%s .. %s), the code_lifetime of no policy version",
                          absl::FormatDuration(code.expires_at - code.issued_at),
                          TimeText(code.issued_at), TimeText(code.expires_at)));
    }
    if (code_attempts_max_ > 0) {
      if (code.state == CodeState::kLocked) {
        const int least = std::max(1, code_attempts_min_);
        if (code.attempts < least) {
          add(absl::StrFormat("is locked after %d wrong attempt(s); it locks after %d at the least",
                              code.attempts, least));
        } else if (code.attempts > code_attempts_max_) {
          add(absl::StrFormat("has %d wrong attempts; no policy version allows more than %d",
                              code.attempts, code_attempts_max_));
        }
      } else if (code.attempts >= code_attempts_max_) {
        add(absl::StrFormat(
            "has %d wrong attempts but is not locked (code_attempts is at most %d in every "
            "policy version)",
            code.attempts, code_attempts_max_));
      }
    }
    if (code.state == CodeState::kSuperseded && latest <= code.id) {
      add("is superseded, but no later code of its registrant and purpose exists");
    }
  }

  // --- Summarize() against a recount (kBookkeeping) -----------------------------

  // A rebooking replaced a missed second appointment: of a two-dose series
  // whose first dose was given, within the vaccine's interval after it, and
  // before the series' current second appointment.
  void CheckReplacedNoShows() {
    for (const ReplacedNoShow& no_show : engine_.replaced_no_shows()) {
      const absl::CivilDay day = no_show.appointment.day;
      std::string problem;
      if (no_show.series == kNoId || no_show.series >= series_.size() ||
          !series_[no_show.series].present) {
        problem = "names no series";
      } else {
        const SeriesInfo& series = series_[no_show.series];
        const VaccineSpec& vaccine = vaccines_[series.vaccine].spec;
        const int64_t after_first = day - series.appointments[0].day;
        if (series.dose_count != 2 || series.doses[0] != DoseState::kGiven) {
          problem = "is of a series without a given first dose and a second";
        } else if (after_first < vaccine.interval_days_min ||
                   after_first > vaccine.interval_days_max) {
          problem = "lies outside the vaccine's interval after the first dose";
        } else if (series.appointments[1].day < day) {
          problem = "lies after the series' current second appointment";
        }
      }
      if (problem.empty()) continue;
      out_.Add(Invariant::kSeriesState, [&] {
        return absl::StrFormat("the missed second appointment of series %d on %s minute %d %s",
                               no_show.series, DayText(day), no_show.appointment.minute, problem);
      });
    }
  }

  void CheckSummary() {
    const Report report = engine_.Summarize();
    Report expected;
    expected.registrants = engine_.registrant_count();
    expected.draws = engine_.draw_count();
    absl::flat_hash_map<CenterId, CenterReport> centers;
    absl::flat_hash_map<DistrictId, std::vector<CenterId>> centers_serving;
    for (CenterId id = 1; id < centers_.size(); ++id) {
      centers[id].center = id;
      for (DistrictId district : centers_[id].districts) centers_serving[district].push_back(id);
    }
    for (RegistrantId id = 1; id < registrants_.size(); ++id) {
      const RegistrantInfo& registrant = registrants_[id];
      if (!registrant.present) continue;
      switch (registrant.status) {
        case RegistrantStatus::kWaiting: {
          ++expected.waiting;
          if (current_policy_ != nullptr) {
            const int tier = current_policy_->Tier(registrant.group, registrant.registered_at);
            if (tier >= 1 && tier <= kTierMax) ++expected.waiting_per_tier[tier - 1];
          }
          auto serving = centers_serving.find(registrant.district);
          if (serving == centers_serving.end()) break;
          for (CenterId center : serving->second) ++centers[center].residents_waiting;
          break;
        }
        case RegistrantStatus::kScheduled:
          ++expected.scheduled;
          break;
        case RegistrantStatus::kWithdrawn:
          ++expected.withdrawn;
          break;
        case RegistrantStatus::kVaccinated:
          ++expected.vaccinated;
          break;
      }
    }
    uint64_t held = 0;
    for (SeriesId id = 1; id < series_.size(); ++id) {
      const SeriesInfo& series = series_[id];
      if (!series.present) continue;
      auto center = centers.find(series.center);
      switch (series.status) {
        case SeriesStatus::kActive:
          ++expected.series_active;
          if (center != centers.end()) ++center->second.series_active;
          break;
        case SeriesStatus::kCancelled:
          ++expected.series_cancelled;
          break;
        case SeriesStatus::kHeld:
          ++expected.series_held;
          ++held;
          break;
        case SeriesStatus::kLapsed:
          break;
        case SeriesStatus::kCompleted:
          ++expected.series_completed;
          break;
        case SeriesStatus::kMissed:
          ++expected.series_missed;
          break;
      }
      for (int dose = 0; dose < series.used(); ++dose) {
        expected.doses_given += series.doses[dose] == DoseState::kGiven;
        expected.doses_missed += series.doses[dose] == DoseState::kMissed;
        if (series.HoldsSeat(dose) && center != centers.end()) {
          ++center->second.doses_reserved;
        }
      }
    }
    if (engine_.hold_count() != held) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat("hold_count() is %d; %d series are held", engine_.hold_count(),
                               held);
      });
    }
    for (auto& [id, center] : centers) {
      auto it = seats_first_free_.find(id);
      if (it != seats_first_free_.end()) center.seats_first_free = it->second;
    }
    for (const SupplyDelivery& delivery : engine_.deliveries()) {
      auto it = centers.find(delivery.center);
      if (it != centers.end()) it->second.doses_delivered += delivery.doses;
    }
    CompareCount("registrants", report.registrants, expected.registrants);
    CompareCount("waiting", report.waiting, expected.waiting);
    CompareCount("scheduled", report.scheduled, expected.scheduled);
    CompareCount("withdrawn", report.withdrawn, expected.withdrawn);
    CompareCount("series_active", report.series_active, expected.series_active);
    CompareCount("series_cancelled", report.series_cancelled, expected.series_cancelled);
    CompareCount("vaccinated", report.vaccinated, expected.vaccinated);
    CompareCount("series_held", report.series_held, expected.series_held);
    CompareCount("series_completed", report.series_completed, expected.series_completed);
    CompareCount("series_missed", report.series_missed, expected.series_missed);
    CompareCount("doses_given", report.doses_given, expected.doses_given);
    CompareCount("doses_missed", report.doses_missed,
                 expected.doses_missed + engine_.replaced_no_shows().size());
    CompareCount("draws", report.draws, expected.draws);
    for (int tier = 1; tier <= kTierMax; ++tier) {
      CompareCount(absl::StrCat("waiting_per_tier[", tier - 1, "]"),
                   report.waiting_per_tier[tier - 1], expected.waiting_per_tier[tier - 1]);
    }
    if (report.centers.size() != centers_.size() - 1) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat("Summarize() reports %d centers, center_count() is %d",
                               report.centers.size(), centers_.size() - 1);
      });
    }
    for (const CenterReport& reported : report.centers) {
      auto it = centers.find(reported.center);
      if (it == centers.end()) {
        out_.Add(Invariant::kBookkeeping, [&] {
          return absl::StrFormat("Summarize() reports unknown center %d", reported.center);
        });
        continue;
      }
      const CenterReport& recount = it->second;
      const std::string name = absl::StrCat("center ", reported.center, " ");
      CompareCount(name + "series_active", reported.series_active, recount.series_active);
      CompareCount(name + "doses_delivered", reported.doses_delivered, recount.doses_delivered);
      CompareCount(name + "doses_reserved", reported.doses_reserved, recount.doses_reserved);
      CompareCount(name + "seats_first_free", reported.seats_first_free, recount.seats_first_free);
      CompareCount(name + "residents_waiting", reported.residents_waiting,
                   recount.residents_waiting);
    }
  }

  template <typename T>
  void CompareCount(const std::string& name, T reported, T recount) {
    if (reported != recount) {
      out_.Add(Invariant::kBookkeeping, [&] {
        return absl::StrFormat("Summarize() gives %s = %d, recount gives %d", name, reported,
                               recount);
      });
    }
  }

  const Engine& engine_;
  Collector out_;
  std::vector<VaccineInfo> vaccines_;  // by id; [0] unused
  std::vector<CenterInfo> centers_;    // by id; [0] unused
  std::vector<RegistrantInfo> registrants_;
  std::vector<SeriesInfo> series_;
  std::vector<DrawRecord> draws_;
  std::vector<bool> draw_present_;
  std::vector<ReleaseInfo> releases_;                       // by id; [0] unused
  std::vector<std::vector<ReleaseId>> releases_by_center_;  // by center id
  // By registrant: the earliest booked_at of its held and lapsed series.
  std::vector<absl::Time> hold_since_;
  std::map<uint32_t, PolicyInfo> policies_;  // by version; std::map keeps pointers stable
  const PolicyInfo* current_policy_ = nullptr;
  std::vector<Pool> pools_;
  absl::flat_hash_map<std::pair<CenterId, VaccineId>, uint32_t> pool_index_;
  absl::flat_hash_map<SlotKey, SlotTally> tallies_;
  absl::flat_hash_map<CenterId, uint64_t> seats_first_free_;  // recounted per slot
  std::set<int> overbook_permilles_;  // of every policy version
  std::vector<DrawIndex> draw_indices_;
  std::vector<const PolicyInfo*> tier_policies_;  // distinct policies of draws
  absl::flat_hash_set<uint64_t> winners_;         // WinnerKey(registrant, draw)
  // Over every policy version (LoadPolicies).
  std::map<std::string, absl::TimeZone> zones_;  // by name
  std::set<absl::Duration> code_lifetimes_;
  int code_attempts_min_ = std::numeric_limits<int>::max();
  int code_attempts_max_ = 0;
};

}  // namespace

InvariantReport CheckInvariants(const Engine& engine) { return Checker(engine).Run(); }

}  // namespace vaxalloc
