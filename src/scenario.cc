#include "vaxalloc/scenario.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vaxalloc {
namespace {

// Hessen's districts by official key, with their populations at the end of
// 2020 (Hessisches Statistisches Landesamt, rounded).
struct DistrictData {
  const char* code;
  const char* name;
  int64_t population;
};
constexpr std::array<DistrictData, 26> kHessen = {{
    {"06411", "Darmstadt", 159'200},
    {"06412", "Frankfurt am Main", 764'100},
    {"06413", "Offenbach am Main", 130'300},
    {"06414", "Wiesbaden", 278'500},
    {"06431", "Landkreis Bergstraße", 270'300},
    {"06432", "Landkreis Darmstadt-Dieburg", 298'000},
    {"06433", "Landkreis Groß-Gerau", 275'800},
    {"06434", "Hochtaunuskreis", 237'900},
    {"06435", "Main-Kinzig-Kreis", 421'700},
    {"06436", "Main-Taunus-Kreis", 238'600},
    {"06437", "Odenwaldkreis", 96'800},
    {"06438", "Landkreis Offenbach", 355'800},
    {"06439", "Rheingau-Taunus-Kreis", 187'400},
    {"06440", "Wetteraukreis", 309'500},
    {"06531", "Landkreis Gießen", 271'700},
    {"06532", "Lahn-Dill-Kreis", 253'300},
    {"06533", "Landkreis Limburg-Weilburg", 172'100},
    {"06534", "Landkreis Marburg-Biedenkopf", 246'600},
    {"06535", "Vogelsbergkreis", 105'600},
    {"06611", "Kassel", 200'400},
    {"06631", "Landkreis Fulda", 223'100},
    {"06632", "Landkreis Hersfeld-Rotenburg", 120'700},
    {"06633", "Landkreis Kassel", 236'600},
    {"06634", "Schwalm-Eder-Kreis", 179'800},
    {"06635", "Landkreis Waldeck-Frankenberg", 156'400},
    {"06636", "Werra-Meißner-Kreis", 101'000},
}};

// Share of each vaccine in seats and supply, permille (summer 2021).
constexpr std::array<int64_t, 4> kVaccineSharePermille = {650, 150, 100, 100};

// Inhabitants per single year of age, in thousands (Germany 2020, by band):
// the shape the registrants' ages follow within each group's age range.
constexpr int kAgeMin = 16;
constexpr int kAgeMax = 95;
constexpr int64_t AgeWeight(int age) {
  if (age < 20) return 780;
  if (age < 30) return 950;
  if (age < 40) return 1080;
  if (age < 50) return 1000;
  if (age < 60) return 1330;
  if (age < 70) return 1120;
  if (age < 80) return 780;
  if (age < 90) return 550;
  return 150;
}

// Registrations per local hour of day (relative).
constexpr std::array<int64_t, 24> kHourWeight = {5,  3,  2,  2,  2,  4,  15, 40,
                                                 80, 100, 100, 95, 90, 90, 90, 90,
                                                 95, 100, 100, 100, 90, 70, 45, 20};

constexpr int kOpenMinute = 8 * 60;
constexpr int kSlotMinutes = 15;
constexpr int kSlotsPerDayMax = 48;  // 8:00 - 20:00
constexpr uint8_t kMondayToSaturday =
    kMonday | kTuesday | kWednesday | kThursday | kFriday | kSaturday;
constexpr int kDrawHour = 6;

absl::CivilDay MondayOnOrBefore(absl::CivilDay day) {
  return absl::PrevWeekday(day + 1, absl::Weekday::monday);
}

bool IsOpen(absl::CivilDay day, uint8_t weekdays) {
  // absl::Weekday counts from Monday = 0, like WeekdayBit.
  const int index = static_cast<int>(absl::GetWeekday(day));
  return (weekdays >> index) & 1;
}

int64_t OpenDays(absl::CivilDay first, absl::CivilDay last, uint8_t weekdays) {
  int64_t count = 0;
  for (absl::CivilDay day = first; day <= last; ++day) count += IsOpen(day, weekdays);
  return count;
}

// The last day that can take a first dose of `spec`: its target second-dose
// day must still lie in the calendar, so every first-dose seat can be paired.
absl::CivilDay LastFirstDoseDay(const VaccineSpec& spec, absl::CivilDay last_day) {
  return spec.dose_count == 1 ? last_day : last_day - spec.interval_days_target;
}

std::vector<VaccineSpec> MakeVaccines() {
  std::vector<VaccineSpec> vaccines(4);
  vaccines[0] = {"comirnaty", "Comirnaty (BioNTech/Pfizer)", 2, 21, 21, 42, 0, 0};
  vaccines[1] = {"spikevax", "Spikevax (Moderna)", 2, 28, 28, 42, 0, 0};
  vaccines[2] = {"vaxzevria", "Vaxzevria (AstraZeneca)", 2, 63, 84, 84, 60, 0};
  vaccines[3] = {"janssen", "COVID-19 Vaccine Janssen", 1, 0, 0, 0, 0, 0};
  return vaccines;
}

std::vector<ScenarioDistrict> MakeDistricts(int count) {
  std::vector<ScenarioDistrict> districts;
  districts.reserve(count);
  for (int i = 0; i < count; ++i) {
    if (i < static_cast<int>(kHessen.size())) {
      districts.push_back({kHessen[i].code, kHessen[i].name, kHessen[i].population});
    } else {
      // Zipf-like tail: the k-th extra district has about 1/k of 4 million.
      const int number = i + 1;
      districts.push_back({absl::StrFormat("99%03d", number), absl::StrCat("Kreis ", number),
                           std::max<int64_t>(20'000, 4'000'000 / (number - 24))});
    }
  }
  return districts;
}

// District indices by population, largest first (ties: lower index first).
std::vector<int> ByPopulation(const std::vector<ScenarioDistrict>& districts) {
  std::vector<int> order(districts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return districts[a].population > districts[b].population;
  });
  return order;
}

// Centers and, for each, the population it serves (a district's population
// split evenly among its centers).
void MakeCenters(const std::vector<ScenarioDistrict>& districts, int center_count,
                 std::vector<CenterSpec>* centers, std::vector<int64_t>* served) {
  const int district_count = static_cast<int>(districts.size());
  const std::vector<int> ranked = ByPopulation(districts);
  if (center_count >= district_count) {
    std::vector<int> centers_of(district_count, 1);
    for (int extra = 0; extra < center_count - district_count; ++extra) {
      ++centers_of[ranked[extra % district_count]];
    }
    for (int d = 0; d < district_count; ++d) {
      for (int k = 1; k <= centers_of[d]; ++k) {
        CenterSpec spec;
        spec.code = absl::StrCat("IZ-", districts[d].code, k > 1 ? absl::StrCat("-", k) : "");
        spec.name = absl::StrCat("Impfzentrum ", districts[d].name,
                                 k > 1 ? absl::StrCat(" ", k) : "");
        spec.districts = {static_cast<DistrictId>(d + 1)};
        centers->push_back(std::move(spec));
        served->push_back(districts[d].population / centers_of[d]);
      }
    }
    return;
  }
  // Fewer centers than districts: deal the districts out by population.
  std::vector<std::vector<int>> members(center_count);
  for (int r = 0; r < district_count; ++r) members[r % center_count].push_back(ranked[r]);
  for (int c = 0; c < center_count; ++c) {
    const ScenarioDistrict& largest = districts[members[c].front()];
    CenterSpec spec;
    spec.code = absl::StrCat("IZ-", largest.code);
    spec.name = absl::StrCat("Impfzentrum ", largest.name);
    int64_t population = 0;
    std::sort(members[c].begin(), members[c].end());
    for (int d : members[c]) {
      spec.districts.push_back(static_cast<DistrictId>(d + 1));
      population += districts[d].population;
    }
    centers->push_back(std::move(spec));
    served->push_back(population);
  }
}

// One vaccine line of one center: first-dose seats from the first day, the
// same grid of second-dose seats from the first day a second dose can fall
// on. A second-dose day d1 + interval_days_min has the weekday of d1 (all
// minimum intervals are whole weeks), so it is open and seats as many
// second doses as d1 seats first doses: no first-dose day falls short.
struct Line {
  CapacityBlock first;
  CapacityBlock second;  // unused (seats 0) for a one-dose vaccine
  bool has_second = false;
};

Line MakeLine(CenterId center, VaccineId vaccine, const VaccineSpec& spec,
              absl::CivilDay first_day, absl::CivilDay last_day, int64_t seats_first_target) {
  Line line;
  const absl::CivilDay last_first = LastFirstDoseDay(spec, last_day);
  const int64_t open_days = OpenDays(first_day, last_first, kMondayToSaturday);
  const int64_t per_day = std::max<int64_t>(1, (seats_first_target + open_days / 2) / open_days);
  const int64_t seats_per_slot =
      std::min<int64_t>(kSeatsPerSlotMax, (per_day + kSlotsPerDayMax - 1) / kSlotsPerDayMax);
  // Small lines open for fewer hours rather than seating a rounded-up 1 per slot.
  const int64_t slots = std::clamp<int64_t>((per_day + seats_per_slot / 2) / seats_per_slot, 1,
                                            kSlotsPerDayMax);
  CapacityBlock block;
  block.center = center;
  block.vaccine = vaccine;
  block.weekdays = kMondayToSaturday;
  block.open_minute = kOpenMinute;
  block.close_minute = kOpenMinute + static_cast<int>(slots) * kSlotMinutes;
  block.slot_minutes = kSlotMinutes;
  line.first = block;
  line.first.first_day = first_day;
  line.first.last_day = last_first;
  line.first.seats_first = static_cast<int>(seats_per_slot);
  if (spec.dose_count == 2) {
    line.has_second = true;
    line.second = block;
    line.second.first_day = first_day + spec.interval_days_min;
    line.second.last_day = last_day;
    line.second.seats_second = static_cast<int>(seats_per_slot);
  }
  return line;
}

int64_t SeatsIn(const CapacityBlock& block, absl::CivilDay from, absl::CivilDay until) {
  const absl::CivilDay first = std::max(from, block.first_day);
  const absl::CivilDay last = std::min(until, block.last_day);
  if (first > last) return 0;
  const int64_t slots = (block.close_minute - block.open_minute) / block.slot_minutes;
  return OpenDays(first, last, block.weekdays) * slots *
         (block.seats_first + block.seats_second);
}

// Weekly deliveries on Mondays (the first one on the first day) in
// proportion to the line's seats that week times a ramp rising from 1 to
// about 3, so that early weeks are short of doses and later ones are not.
void AddDeliveries(const Line& line, absl::CivilDay first_day, absl::CivilDay last_day,
                   int64_t doses_total, std::vector<SupplyDelivery>* supply) {
  std::vector<absl::CivilDay> mondays;
  for (absl::CivilDay monday = MondayOnOrBefore(first_day); monday <= last_day; monday += 7) {
    mondays.push_back(monday);
  }
  const int64_t weeks = static_cast<int64_t>(mondays.size());
  std::vector<int64_t> cumulative(1, 0);
  for (int64_t k = 0; k < weeks; ++k) {
    const absl::CivilDay monday = mondays[k];
    int64_t need = SeatsIn(line.first, monday, monday + 6);
    if (line.has_second) need += SeatsIn(line.second, monday, monday + 6);
    cumulative.push_back(cumulative.back() + need * (weeks + 2 * k));
  }
  const int64_t weight_total = cumulative.back();
  if (weight_total == 0 || doses_total == 0) return;
  for (int64_t k = 0; k < weeks; ++k) {
    // Rounding the running total keeps the sum exactly doses_total.
    const int64_t doses = doses_total * cumulative[k + 1] / weight_total -
                          doses_total * cumulative[k] / weight_total;
    if (doses == 0) continue;
    supply->push_back({line.first.center, line.first.vaccine,
                       std::max(mondays[k], first_day), doses});
  }
}

void MakeCalendar(Scenario* scenario, const std::vector<int64_t>& served) {
  const ScenarioOptions& options = scenario->options;
  int64_t population_total = 0;
  for (const ScenarioDistrict& district : scenario->districts) {
    population_total += district.population;
  }
  for (size_t c = 0; c < scenario->centers.size(); ++c) {
    for (size_t v = 0; v < scenario->vaccines.size(); ++v) {
      const VaccineSpec& spec = scenario->vaccines[v];
      const absl::CivilDay last_first = LastFirstDoseDay(spec, scenario->last_day);
      // A calendar too short for the vaccine's interval gets no line of it.
      if (last_first < options.first_day ||
          OpenDays(options.first_day, last_first, kMondayToSaturday) == 0) {
        continue;
      }
      const int64_t share = kVaccineSharePermille[v];
      const int64_t seats_state =
          int64_t{options.registrants} * options.seats_first_permille * share / 1'000'000;
      const int64_t series_state =
          int64_t{options.registrants} * options.supply_series_permille * share / 1'000'000;
      const Line line = MakeLine(static_cast<CenterId>(c + 1), static_cast<VaccineId>(v + 1),
                                 spec, options.first_day, scenario->last_day,
                                 seats_state * served[c] / population_total);
      scenario->capacity.push_back(line.first);
      if (line.has_second) scenario->capacity.push_back(line.second);
      AddDeliveries(line, options.first_day, scenario->last_day,
                    series_state * served[c] / population_total * spec.dose_count,
                    &scenario->supply);
    }
  }
}

Policy MakePolicy(absl::Time tier_cut_off) {
  Policy policy;
  // Hessen, 7 June: groups 1-3 registered before the cut-off keep their
  // preference; everyone registered later is one tier.
  policy.tier_rules.push_back({tier_cut_off, {1, 2, 3, 4}});
  policy.tier_rules.push_back({absl::InfiniteFuture(), {4, 4, 4, 4}});
  ReserveCategory reserve;
  reserve.name = "60+ for vaxzevria";
  reserve.share_permille = 500;
  reserve.age_years_min = 60;
  reserve.group_mask = 0;
  reserve.vaccine = kScenarioVaxzevria;
  policy.reserves.push_back(reserve);
  policy.residence = ResidenceRule::kHomeDistrictOnly;
  // Central European summer time all campaign long, as ScenarioTimeZone()
  // (POSIX names count the offset the other way round).
  policy.time_zone = "Etc/GMT-2";
  return policy;
}

// --- Registrants -----------------------------------------------------------

// Cumulative weights and a sampler over them.
struct Table {
  std::vector<int64_t> cumulative{0};  // cumulative[i] = sum of weights [0, i)
  void Add(int64_t weight) { cumulative.push_back(cumulative.back() + weight); }
  int64_t total() const { return cumulative.back(); }
  // The index whose interval holds `position` (0 <= position < total()).
  size_t Find(int64_t position) const {
    return static_cast<size_t>(
               std::upper_bound(cumulative.begin(), cumulative.end(), position) -
               cumulative.begin()) - 1;
  }
};

int64_t Rush(int days_after) {
  int64_t weight = 3000;
  for (int i = 0; i < days_after && weight > 0; ++i) weight = weight * 3 / 4;
  return weight;
}

// Registrations per hour of the registration period: a base rate, a rush at
// the opening and another at the cut-off (when registration opened to all),
// both decaying by a quarter a day, and the daily rhythm.
Table RegistrationHours(const ScenarioOptions& options) {
  Table hours;
  const int half = options.registration_days / 2;
  for (int hour = 0; hour < options.registration_days * 24; ++hour) {
    const int local_hour = (kDrawHour + hour) % 24;
    const int local_day = (kDrawHour + hour) / 24;  // since the opening day
    int64_t day_weight = 300 + Rush(hour / 24);
    if (local_day >= half) day_weight += Rush(local_day - half);
    hours.Add(day_weight * kHourWeight[local_hour]);
  }
  return hours;
}

struct AgeRange {
  int min;
  int max;
};

// Ages by priority group: mostly the ordinance's age bands (group 1: 80+,
// group 2: 70+, group 3: 60+), the rest by profession or health.
AgeRange SampleAgeRange(PriorityGroup group, SplitMix64& rng) {
  const uint64_t roll = rng.Below(1000);
  switch (group) {
    case PriorityGroup::kGroup1: return roll < 850 ? AgeRange{80, 95} : AgeRange{18, 64};
    case PriorityGroup::kGroup2: return roll < 550 ? AgeRange{70, 79} : AgeRange{16, 69};
    case PriorityGroup::kGroup3: return roll < 500 ? AgeRange{60, 69} : AgeRange{16, 59};
    case PriorityGroup::kNone: break;
  }
  return AgeRange{16, 59};
}

std::string ExternalRef(uint32_t number) {
  std::string ref = "HE-00000000";
  for (size_t i = ref.size(); number > 0 && i > 3; --i, number /= 10) {
    ref[i - 1] = static_cast<char>('0' + number % 10);
  }
  return ref;
}

void MakeRegistrants(Scenario* scenario) {
  const ScenarioOptions& options = scenario->options;
  const absl::CivilDay first_day = options.first_day;
  Table districts;
  for (const ScenarioDistrict& district : scenario->districts) districts.Add(district.population);
  Table ages;
  for (int age = kAgeMin; age <= kAgeMax; ++age) ages.Add(AgeWeight(age));
  const Table hours = RegistrationHours(options);
  const int64_t hours_total = hours.total();
  const uint64_t count = options.registrants;

  SplitMix64 rng = ScenarioStream(options.seed, kScenarioStreamRegistrants);
  SplitMix64 standby = ScenarioStream(options.seed, kScenarioStreamStandby);
  std::vector<RegistrantSpec>& registrants = scenario->registrants;
  registrants.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    RegistrantSpec& spec = registrants[i];
    spec.external_ref = ExternalRef(static_cast<uint32_t>(i + 1));
    // Stratified: registrant i lies in the i-th of `count` equal slices of
    // the registration mass, so the times come out sorted.
    const int64_t position = static_cast<int64_t>(
        (i * hours_total + rng.Below(hours_total)) / count);
    const size_t hour = hours.Find(position);
    const int64_t hour_weight = hours.cumulative[hour + 1] - hours.cumulative[hour];
    const int64_t second = (position - hours.cumulative[hour]) * 3600 / hour_weight;
    spec.registered_at = scenario->registration_opens +
                         absl::Seconds(static_cast<int64_t>(hour) * 3600 + second);
    spec.district = static_cast<DistrictId>(
        districts.Find(static_cast<int64_t>(rng.Below(districts.total()))) + 1);
    const uint64_t group_roll = rng.Below(1000);
    spec.group = group_roll < 80    ? PriorityGroup::kGroup1
                 : group_roll < 200 ? PriorityGroup::kGroup2
                 : group_roll < 400 ? PriorityGroup::kGroup3
                                    : PriorityGroup::kNone;
    const AgeRange range = SampleAgeRange(spec.group, rng);
    const int64_t low = ages.cumulative[range.min - kAgeMin];
    const int64_t high = ages.cumulative[range.max - kAgeMin + 1];
    const int age = kAgeMin + static_cast<int>(ages.Find(
                                  low + static_cast<int64_t>(rng.Below(high - low))));
    // Aged exactly `age` on the first day of the campaign.
    spec.birth_day = absl::CivilDay(first_day.year() - age, first_day.month(), first_day.day()) -
                     static_cast<int>(rng.Below(365));
    const uint64_t online_permille = age < 60 ? 880 : age < 80 ? 700 : 450;
    spec.channel = rng.Permille(online_permille) ? Channel::kOnline : Channel::kPhone;
    spec.standby = standby.Permille(150) && spec.channel == Channel::kOnline;
    spec.vaccine_preference = kNoId;
    if (rng.Permille(30)) {
      const uint64_t which = rng.Below(100);
      spec.vaccine_preference = which < 55   ? kScenarioComirnaty
                                : which < 75 ? kScenarioSpikevax
                                : which < 95 ? kScenarioJanssen
                                : age >= 60  ? kScenarioVaxzevria
                                             : kScenarioComirnaty;
    }
  }
}

absl::Status ValidateOptions(const ScenarioOptions& options) {
  auto out_of_range = [](const char* name, int64_t value, int64_t min, int64_t max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "scenario option %s is %d, must be in [%d, %d]", name, value, min, max));
  };
  if (options.registrants > kScenarioRegistrantsMax) {
    return out_of_range("registrants", options.registrants, 0, kScenarioRegistrantsMax);
  }
  if (options.districts < 1 || options.districts > kScenarioDistrictsMax) {
    return out_of_range("districts", options.districts, 1, kScenarioDistrictsMax);
  }
  if (options.centers < 1 || options.centers > kScenarioCentersMax) {
    return out_of_range("centers", options.centers, 1, kScenarioCentersMax);
  }
  if (options.days < kScenarioDaysMin || options.days > kScenarioDaysMax) {
    return out_of_range("days", options.days, kScenarioDaysMin, kScenarioDaysMax);
  }
  if (options.registration_days < 1 ||
      options.registration_days > kScenarioRegistrationDaysMax) {
    return out_of_range("registration_days", options.registration_days, 1,
                        kScenarioRegistrationDaysMax);
  }
  if (options.seats_first_permille < 1 || options.seats_first_permille > kScenarioPermilleMax) {
    return out_of_range("seats_first_permille", options.seats_first_permille, 1,
                        kScenarioPermilleMax);
  }
  if (options.supply_series_permille < 1 ||
      options.supply_series_permille > kScenarioPermilleMax) {
    return out_of_range("supply_series_permille", options.supply_series_permille, 1,
                        kScenarioPermilleMax);
  }
  return absl::OkStatus();
}

absl::Time LocalTime(absl::CivilDay day, int hour) {
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), hour, 0, 0),
                         ScenarioTimeZone());
}

absl::CivilDay FirstDrawDay(const Scenario& scenario) {
  return MondayOnOrBefore(scenario.options.first_day) - 7;
}

// --- Comparing what a target holds with the scenario ------------------------

bool SameVaccine(const VaccineSpec& a, const VaccineSpec& b) {
  return a.code == b.code && a.name == b.name && a.dose_count == b.dose_count &&
         a.interval_days_min == b.interval_days_min &&
         a.interval_days_target == b.interval_days_target &&
         a.interval_days_max == b.interval_days_max && a.age_years_min == b.age_years_min &&
         a.age_years_max == b.age_years_max;
}

bool SameCenter(const CenterSpec& a, const CenterSpec& b) {
  return a.code == b.code && a.name == b.name && a.districts == b.districts;
}

bool SameBlock(const CapacityBlock& a, const CapacityBlock& b) {
  return a.center == b.center && a.vaccine == b.vaccine && a.first_day == b.first_day &&
         a.last_day == b.last_day && a.weekdays == b.weekdays &&
         a.open_minute == b.open_minute && a.close_minute == b.close_minute &&
         a.slot_minutes == b.slot_minutes && a.seats_first == b.seats_first &&
         a.seats_second == b.seats_second;
}

bool SameDelivery(const SupplyDelivery& a, const SupplyDelivery& b) {
  return a.center == b.center && a.vaccine == b.vaccine && a.day == b.day && a.doses == b.doses;
}

bool SamePolicy(const Policy& a, const Policy& b) {
  if (a.tier_rules.size() != b.tier_rules.size() || a.reserves.size() != b.reserves.size()) {
    return false;
  }
  for (size_t i = 0; i < a.tier_rules.size(); ++i) {
    if (a.tier_rules[i].registered_before != b.tier_rules[i].registered_before ||
        a.tier_rules[i].tier_by_group != b.tier_rules[i].tier_by_group) {
      return false;
    }
  }
  for (size_t i = 0; i < a.reserves.size(); ++i) {
    const ReserveCategory& x = a.reserves[i];
    const ReserveCategory& y = b.reserves[i];
    if (x.name != y.name || x.share_permille != y.share_permille ||
        x.age_years_min != y.age_years_min || x.group_mask != y.group_mask ||
        x.vaccine != y.vaccine) {
      return false;
    }
  }
  return a.residence == b.residence && a.neighbours == b.neighbours;
}

bool SameRegistrant(const RegistrantSpec& a, const RegistrantSpec& b) {
  return a.external_ref == b.external_ref && a.district == b.district &&
         a.birth_day == b.birth_day && a.group == b.group && a.channel == b.channel &&
         a.standby == b.standby &&
         a.registered_at == b.registered_at && a.vaccine_preference == b.vaccine_preference;
}

absl::Status Mismatch(const char* what, size_t index) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the target holds another campaign: its ", what, " ", index + 1,
      " differs from the scenario's (other seed or options?)"));
}

absl::Status TooMany(const char* what, size_t held, size_t total) {
  return absl::FailedPreconditionError(absl::StrCat("the target holds ", held, " ", what,
                                                    ", the scenario only ", total,
                                                    ": it holds another campaign"));
}

}  // namespace

SplitMix64 ScenarioStream(uint64_t seed, uint64_t stream) {
  SplitMix64 root(seed ^ (stream * 0x9e3779b97f4a7c15ULL));
  return SplitMix64(root.Next());
}

absl::TimeZone ScenarioTimeZone() { return absl::FixedTimeZone(2 * 60 * 60); }

absl::StatusOr<Scenario> GenerateScenario(const ScenarioOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  Scenario scenario;
  scenario.options = options;
  scenario.last_day = options.first_day + (options.days - 1);
  const absl::CivilDay first_draw_day = FirstDrawDay(scenario);
  scenario.first_draw_at = LocalTime(first_draw_day, kDrawHour);
  scenario.registration_opens =
      scenario.first_draw_at - absl::Hours(24 * options.registration_days);
  scenario.tier_cut_off =
      LocalTime(first_draw_day - options.registration_days + options.registration_days / 2, 0);

  scenario.districts = MakeDistricts(options.districts);
  scenario.vaccines = MakeVaccines();
  std::vector<int64_t> served;
  MakeCenters(scenario.districts, options.centers, &scenario.centers, &served);
  MakeCalendar(&scenario, served);
  scenario.policy = MakePolicy(scenario.tier_cut_off);
  if (options.generate_registrants) MakeRegistrants(&scenario);
  return scenario;
}

std::vector<DrawRequest> DrawSchedule(const Scenario& scenario) {
  absl::CivilDay last_first_dose = scenario.options.first_day - 1;
  for (const VaccineSpec& spec : scenario.vaccines) {
    last_first_dose = std::max(last_first_dose, LastFirstDoseDay(spec, scenario.last_day));
  }
  SplitMix64 seeds = ScenarioStream(scenario.options.seed, kScenarioStreamDrawSeeds);
  std::vector<DrawRequest> draws;
  for (absl::CivilDay monday = FirstDrawDay(scenario); monday + 7 <= last_first_dose;
       monday += 7) {
    DrawRequest request;
    request.seed.k0 = seeds.Next();
    request.seed.k1 = seeds.Next();
    request.at = LocalTime(monday, kDrawHour);
    request.first_dose_from = monday + 7;
    request.first_dose_until = monday + 13;
    draws.push_back(std::move(request));
  }
  return draws;
}

namespace scenario_internal {

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  return absl::Status(status.code(), absl::StrCat("populating ", context, ": ", status.message()));
}

absl::Status CheckId(const char* what, size_t index, uint32_t id) {
  if (id == index + 1) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "populating: the target gave ", what, " ", index + 1, " the id ", id, ", expected ",
      index + 1, " (scenario specs refer to ids by position: populate a fresh target)"));
}

absl::Status CheckBatchIds(size_t index, size_t count, absl::Span<const uint32_t> ids) {
  if (ids.size() != count) {
    return absl::InternalError(absl::StrCat("populating: RegisterBatch of ", count,
                                            " registrants returned ", ids.size(), " ids"));
  }
  for (size_t i = 0; i < count; ++i) {
    if (auto status = CheckId("registrant", index + i, ids[i]); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<Held> CheckPrefix(const Engine& engine, const Scenario& scenario) {
  Held held;
  held.districts = engine.district_count();
  held.vaccines = engine.vaccine_count();
  held.centers = engine.center_count();
  held.capacity = engine.capacity_blocks().size();
  held.supply = engine.deliveries().size();
  held.policy = engine.policy_version() > 1;
  held.registrants = engine.registrant_count();

  // Each part may only be started once the parts before it are complete.
  const std::array<std::pair<size_t, size_t>, 7> parts = {{
      {held.districts, scenario.districts.size()},
      {held.vaccines, scenario.vaccines.size()},
      {held.centers, scenario.centers.size()},
      {held.capacity, scenario.capacity.size()},
      {held.supply, scenario.supply.size()},
      {held.policy ? 1 : 0, 1},
      {held.registrants, scenario.registrants.size()},
  }};
  constexpr std::array<const char*, 7> kNames = {
      "districts", "vaccines", "centers", "capacity blocks", "deliveries", "policies",
      "registrants"};
  for (size_t p = 0; p < parts.size(); ++p) {
    if (parts[p].first > parts[p].second) {
      return TooMany(kNames[p], parts[p].first, parts[p].second);
    }
    if (p > 0 && parts[p].first > 0 && parts[p - 1].first < parts[p - 1].second) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the target holds ", kNames[p], " but only ", parts[p - 1].first, " of the ",
          parts[p - 1].second, " ", kNames[p - 1], ": it holds another campaign"));
    }
  }

  for (size_t i = 0; i < held.districts; ++i) {
    const absl::StatusOr<District> district = engine.GetDistrict(static_cast<DistrictId>(i + 1));
    if (!district.ok()) return district.status();
    if (district->code != scenario.districts[i].code ||
        district->name != scenario.districts[i].name) {
      return Mismatch("district", i);
    }
  }
  for (size_t i = 0; i < held.vaccines; ++i) {
    const absl::StatusOr<Vaccine> vaccine = engine.GetVaccine(static_cast<VaccineId>(i + 1));
    if (!vaccine.ok()) return vaccine.status();
    if (!SameVaccine(vaccine->spec, scenario.vaccines[i])) return Mismatch("vaccine", i);
  }
  for (size_t i = 0; i < held.centers; ++i) {
    const absl::StatusOr<Center> center = engine.GetCenter(static_cast<CenterId>(i + 1));
    if (!center.ok()) return center.status();
    if (!SameCenter(center->spec, scenario.centers[i])) return Mismatch("center", i);
  }
  for (size_t i = 0; i < held.capacity; ++i) {
    if (!SameBlock(engine.capacity_blocks()[i], scenario.capacity[i])) {
      return Mismatch("capacity block", i);
    }
  }
  for (size_t i = 0; i < held.supply; ++i) {
    if (!SameDelivery(engine.deliveries()[i], scenario.supply[i])) {
      return Mismatch("delivery", i);
    }
  }
  if (held.policy && !SamePolicy(engine.policy(), scenario.policy)) {
    return Mismatch("policy", 0);
  }
  if (held.registrants > 0) {
    // Registrants are too many to compare all; the first, the middle and the
    // last one held tell another seed or size apart.
    for (size_t i : {size_t{0}, held.registrants / 2, held.registrants - 1}) {
      const absl::StatusOr<Registrant> registrant =
          engine.GetRegistrant(static_cast<RegistrantId>(i + 1));
      if (!registrant.ok()) return registrant.status();
      if (!SameRegistrant(registrant->spec, scenario.registrants[i])) {
        return Mismatch("registrant", i);
      }
    }
  }
  return held;
}

}  // namespace scenario_internal
}  // namespace vaxalloc
