// A deterministic, realistic campaign for the demo, the tests and the
// benchmarks: Hessen's 26 districts and 28 vaccination centers in summer 2021,
// four vaccines, opening hours, weekly deliveries, the 7 June tier cut-off
// and a waiting list of registrants.
//
// Everything follows from ScenarioOptions alone, identically on every
// platform: the generator uses only integer arithmetic and its own PRNG
// (SplitMix64 below), never <random> distributions or floating point, whose
// results differ between standard libraries and compilers.
//
// A Scenario holds plain specs. Ids are assigned by the engine densely from 1
// in order of creation, so the specs refer to districts, vaccines and centers
// by position + 1, and Populate() checks that a target assigns exactly those.
#ifndef VAXALLOC_SCENARIO_H_
#define VAXALLOC_SCENARIO_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/types.h"

namespace vaxalloc {

// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", 2014), as in Vigna's reference code:
//   state += 0x9e3779b97f4a7c15;
//   z = state;
//   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
//   z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
//   return z ^ (z >> 31);
// Below(n) is unbiased: it rejects raw values under 2^64 mod n and returns
// the rest mod n (the arc4random_uniform method).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound); bound must be at least 1.
  uint64_t Below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
      const uint64_t value = Next();
      if (value >= threshold) return value % bound;
    }
  }

  // True with probability permille / 1000.
  bool Permille(uint64_t permille) { return Below(1000) < permille; }

 private:
  uint64_t state_;
};

// The independent random streams of a scenario: the first state of stream
// `stream` is SplitMix64(seed ^ (stream * 0x9e3779b97f4a7c15)).Next().
inline constexpr uint64_t kScenarioStreamRegistrants = 1;
inline constexpr uint64_t kScenarioStreamDrawSeeds = 2;
// One output per registrant: 15% of online registrants are on standby.
inline constexpr uint64_t kScenarioStreamStandby = 3;
SplitMix64 ScenarioStream(uint64_t seed, uint64_t stream);

// Limits of ScenarioOptions; outside them GenerateScenario gives InvalidArgument.
inline constexpr uint32_t kScenarioRegistrantsMax = 50'000'000;
inline constexpr int kScenarioDistrictsMax = 400;
inline constexpr int kScenarioCentersMax = 1000;
inline constexpr int kScenarioDaysMin = 7;
inline constexpr int kScenarioDaysMax = kCapacityBlockDaysMax;
inline constexpr int kScenarioRegistrationDaysMax = 365;
inline constexpr int kScenarioPermilleMax = 10'000;

// The scenario's vaccines, in the order (and so with the ids) they are added.
inline constexpr VaccineId kScenarioComirnaty = 1;  // 2 doses, 21 days
inline constexpr VaccineId kScenarioSpikevax = 2;   // 2 doses, 28 days
inline constexpr VaccineId kScenarioVaxzevria = 3;  // 2 doses, 9-12 weeks, 60+
inline constexpr VaccineId kScenarioJanssen = 4;    // 1 dose

struct ScenarioOptions {
  uint64_t seed = 1;
  uint32_t registrants = 1'000'000;
  // The first 26 districts are Hessen's (by official key, with their 2020
  // populations); more are synthetic with Zipf-like populations.
  int districts = 26;
  // One center per district; extra centers go to the most populous districts
  // (Hessen: Frankfurt and Main-Kinzig get two). Fewer centers than districts
  // make centers serve several districts.
  int centers = 28;
  // The capacity calendar: days from first_day on. The first draw is the
  // Monday a week before first_day's week, registration closes at that draw.
  int days = 100;
  absl::CivilDay first_day = absl::CivilDay(2021, 6, 28);
  // Registration runs this many days before the first draw; the tier
  // cut-off lies at the midnight in its middle (by default 7 June 2021 00:00,
  // Hessen's date).
  int registration_days = 28;
  // First-dose seats over the whole calendar, per 1000 registrants.
  int seats_first_permille = 600;
  // Doses delivered over the calendar, counted in complete series, per 1000
  // registrants. Deliveries ramp up week by week, so early on supply is the
  // binding constraint and later the seats are.
  int supply_series_permille = 500;
  // False: everything but the registrants list, which stays empty (the
  // calendar is still sized for `registrants`).
  bool generate_registrants = true;
};

struct ScenarioDistrict {
  std::string code;  // the official district key, e.g. "06412"
  std::string name;
  int64_t population = 0;  // inhabitants; registrants are spread in proportion
};

struct Scenario {
  ScenarioOptions options;
  std::vector<ScenarioDistrict> districts;  // district id = index + 1
  std::vector<VaccineSpec> vaccines;        // vaccine id = index + 1
  std::vector<CenterSpec> centers;          // center id = index + 1
  std::vector<CapacityBlock> capacity;
  std::vector<SupplyDelivery> supply;
  Policy policy;
  // Sorted by registered_at; external refs "HE-00000001", ... in that order.
  std::vector<RegistrantSpec> registrants;

  absl::CivilDay last_day;        // the calendar's last day
  absl::Time registration_opens;  // the first registered_at possible
  absl::Time tier_cut_off;        // registered before it: tier by group
  absl::Time first_draw_at;       // registration closes before it
};

// Local time of every scenario instant: a fixed UTC+2 (Central European
// Summer Time), so that generating needs no time zone database.
absl::TimeZone ScenarioTimeZone();

// What it generates:
// - Vaccines: Comirnaty (21/21/42 days), Spikevax (28/28/42), Vaxzevria
//   (63/84/84, age 60+), Janssen (one dose); 65/15/10/10% of seats and supply.
// - For each center and vaccine a line, Monday to Saturday from 8:00 in
//   15-minute slots, scaled to the population the center serves (small lines
//   close early rather than round up): first-dose seats up to the last day
//   whose target second-dose day is in the calendar, the same seats for
//   second doses from first_day + interval_days_min on. Every minimum
//   interval is whole weeks, so each first-dose day has as many second-dose
//   seats on its weekday interval_days_min later: CheckSecondDoseCapacity
//   finds no shortfall.
// - Weekly deliveries on Mondays per line, in proportion to its seats that
//   week times a ramp from 1 to 3.
// - The policy: Hessen's cut-off (tier_rules {cut-off: 1,2,3,4},
//   {InfiniteFuture: 4,4,4,4}) and the reserve "60+ for vaxzevria" (500
//   permille of Vaxzevria's first-dose seats, age 60).
// - Registrants: district in proportion to population; group 1 8%, 2 12%,
//   3 20%, none 60%; ages 16-95 by group (group 1 mostly 80+, group 2 70-79,
//   group 3 60-69, the rest by profession or health; none under 60) with the
//   German age pyramid's shape; online 88% under 60, 70% at 60-79, 45% at
//   80+ (81% overall); 3% prefer a vaccine; registration times with a rush at
//   the opening and another at the cut-off, and a daily rhythm.
// Generating 1,000,000 registrants takes about 0.2 s and 90 MB.
absl::StatusOr<Scenario> GenerateScenario(const ScenarioOptions& options);

// The campaign's weekly draws: each at a Monday 06:00 local time, from the
// first draw while first doses can still be given, for first doses on the
// next Monday to Sunday (7 to 13 days ahead), every center, no limit. Seeds
// come from stream kScenarioStreamDrawSeeds: draw k takes outputs 2k and 2k+1.
std::vector<DrawRequest> DrawSchedule(const Scenario& scenario);

struct PopulateOptions {
  uint32_t batch_size = 100'000;  // registrants per RegisterBatch call
  // Called after each stage and batch with what is done so far (may be empty).
  std::function<void(std::string_view stage, uint64_t done, uint64_t total)> progress;
};

namespace scenario_internal {

absl::Status Annotate(const absl::Status& status, absl::string_view context);
// How much of each part of a scenario a target already holds.
struct Held {
  size_t districts = 0;
  size_t vaccines = 0;
  size_t centers = 0;
  size_t capacity = 0;
  size_t supply = 0;
  bool policy = false;
  size_t registrants = 0;
};
// FailedPrecondition unless what `engine` holds is a prefix of `scenario`,
// compared field by field (registrants by a few samples).
absl::StatusOr<Held> CheckPrefix(const Engine& engine, const Scenario& scenario);
absl::Status CheckId(const char* what, size_t index, uint32_t id);
absl::Status CheckBatchIds(size_t index, size_t count, absl::Span<const uint32_t> ids);

template <class Target>
const Engine& EngineOf(const Target& target) {
  if constexpr (requires { target.engine(); }) {
    return target.engine();
  } else {
    return target;
  }
}

}  // namespace scenario_internal

// Adds the scenario to an Engine or a Store (anything with their method
// names): districts, vaccines, centers, capacity, supply, the policy, then
// the registrants in batches. A target that already holds a prefix of the
// scenario (an interrupted Populate) is completed; one that holds anything
// else gives FailedPrecondition and is not changed. Every error names the
// entry it failed at.
template <class Target>
absl::Status Populate(Target& target, const Scenario& scenario,
                      const PopulateOptions& options = {}) {
  namespace si = scenario_internal;
  const absl::StatusOr<si::Held> held = si::CheckPrefix(si::EngineOf(target), scenario);
  if (!held.ok()) return held.status();
  auto progress = [&](std::string_view stage, uint64_t done, uint64_t total) {
    if (options.progress) options.progress(stage, done, total);
  };

  for (size_t i = held->districts; i < scenario.districts.size(); ++i) {
    const ScenarioDistrict& district = scenario.districts[i];
    auto id = target.AddDistrict(district.code, district.name);
    if (!id.ok()) return si::Annotate(id.status(), absl::StrCat("district ", district.code));
    if (auto s = si::CheckId("district", i, *id); !s.ok()) return s;
  }
  for (size_t i = held->vaccines; i < scenario.vaccines.size(); ++i) {
    auto id = target.AddVaccine(scenario.vaccines[i]);
    if (!id.ok()) {
      return si::Annotate(id.status(), absl::StrCat("vaccine ", scenario.vaccines[i].code));
    }
    if (auto s = si::CheckId("vaccine", i, *id); !s.ok()) return s;
  }
  for (size_t i = held->centers; i < scenario.centers.size(); ++i) {
    auto id = target.AddCenter(scenario.centers[i]);
    if (!id.ok()) {
      return si::Annotate(id.status(), absl::StrCat("center ", scenario.centers[i].code));
    }
    if (auto s = si::CheckId("center", i, *id); !s.ok()) return s;
  }
  progress("setup", scenario.centers.size(), scenario.centers.size());
  for (size_t i = held->capacity; i < scenario.capacity.size(); ++i) {
    if (auto s = target.AddCapacity(scenario.capacity[i]); !s.ok()) {
      return si::Annotate(s, absl::StrCat("capacity block ", i));
    }
  }
  progress("capacity", scenario.capacity.size(), scenario.capacity.size());
  for (size_t i = held->supply; i < scenario.supply.size(); ++i) {
    if (auto s = target.AddSupply(scenario.supply[i]); !s.ok()) {
      return si::Annotate(s, absl::StrCat("delivery ", i));
    }
  }
  progress("supply", scenario.supply.size(), scenario.supply.size());
  if (!held->policy) {
    auto version = target.SetPolicy(scenario.policy);
    if (!version.ok()) return si::Annotate(version.status(), "policy");
  }
  const size_t total = scenario.registrants.size();
  const size_t batch_size = options.batch_size == 0 ? 100'000 : options.batch_size;
  for (size_t begin = held->registrants; begin < total; begin += batch_size) {
    const size_t count = std::min(batch_size, total - begin);
    auto ids = target.RegisterBatch(
        absl::MakeConstSpan(scenario.registrants).subspan(begin, count));
    if (!ids.ok()) {
      return si::Annotate(ids.status(), absl::StrCat("registrants from ",
                                                     scenario.registrants[begin].external_ref));
    }
    if (auto s = si::CheckBatchIds(begin, count, *ids); !s.ok()) return s;
    progress("registrants", begin + count, total);
  }
  return absl::OkStatus();
}

}  // namespace vaxalloc

#endif  // VAXALLOC_SCENARIO_H_
