// The scenario generator: its PRNG against the reference outputs, that it is
// deterministic (pinned by a golden fingerprint so a change on any platform
// or compiler shows), the shape of what it generates, Populate into an
// engine (fresh, interrupted, foreign), and the whole draw schedule run on it.
#include "vaxalloc/scenario.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

bool SmallScale() {
  const char* scale = std::getenv("VAXALLOC_TEST_SCALE");
  return scale != nullptr && std::string(scale) == "small";
}

// FNV-1a, 64 bit: a fingerprint of a serialized scenario.
uint64_t Fnv1a(const std::string& bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string Day(absl::CivilDay day) { return absl::FormatCivilTime(day); }
std::string Seconds(absl::Time time) { return absl::StrCat(absl::ToUnixSeconds(time)); }

// Everything but the registrants, as text.
std::string SerializeSetup(const Scenario& s) {
  std::string out;
  for (const ScenarioDistrict& d : s.districts) {
    absl::StrAppend(&out, "D", d.code, "|", d.name, "|", d.population, "\n");
  }
  for (const VaccineSpec& v : s.vaccines) {
    absl::StrAppend(&out, "V", v.code, "|", v.name, "|", v.dose_count, "|", v.interval_days_min,
                    "|", v.interval_days_target, "|", v.interval_days_max, "|",
                    v.age_years_min, "|", v.age_years_max, "\n");
  }
  for (const CenterSpec& c : s.centers) {
    absl::StrAppend(&out, "C", c.code, "|", c.name);
    for (DistrictId d : c.districts) absl::StrAppend(&out, "|", d);
    absl::StrAppend(&out, "\n");
  }
  for (const CapacityBlock& b : s.capacity) {
    absl::StrAppend(&out, "B", b.center, "|", b.vaccine, "|", Day(b.first_day), "|",
                    Day(b.last_day), "|", b.weekdays, "|", b.open_minute, "|", b.close_minute,
                    "|", b.slot_minutes, "|", b.seats_first, "|", b.seats_second, "\n");
  }
  for (const SupplyDelivery& d : s.supply) {
    absl::StrAppend(&out, "S", d.center, "|", d.vaccine, "|", Day(d.day), "|", d.doses, "\n");
  }
  for (const TierRule& rule : s.policy.tier_rules) {
    absl::StrAppend(&out, "T", absl::FormatTime(rule.registered_before, absl::UTCTimeZone()));
    for (uint8_t tier : rule.tier_by_group) absl::StrAppend(&out, "|", tier);
    absl::StrAppend(&out, "\n");
  }
  for (const ReserveCategory& r : s.policy.reserves) {
    absl::StrAppend(&out, "R", r.name, "|", r.share_permille, "|", r.age_years_min, "|",
                    r.group_mask, "|", r.vaccine, "\n");
  }
  absl::StrAppend(&out, "P", static_cast<int>(s.policy.residence), "|", Day(s.last_day), "|",
                  Seconds(s.registration_opens), "|", Seconds(s.tier_cut_off), "|",
                  Seconds(s.first_draw_at), "\n");
  return out;
}

std::string SerializeRegistrants(const Scenario& s) {
  std::string out;
  for (const RegistrantSpec& r : s.registrants) {
    absl::StrAppend(&out, r.external_ref, "|", r.district, "|", Day(r.birth_day), "|",
                    static_cast<int>(r.group), "|", static_cast<int>(r.channel), "|",
                    Seconds(r.registered_at), "|", r.vaccine_preference, "\n");
  }
  return out;
}

Scenario Generate(const ScenarioOptions& options) {
  absl::StatusOr<Scenario> scenario = GenerateScenario(options);
  REQUIRE_MESSAGE(scenario.ok(), scenario.status());
  return *std::move(scenario);
}

ScenarioOptions WithRegistrants(uint32_t registrants, uint64_t seed = 1) {
  ScenarioOptions options;
  options.registrants = registrants;
  options.seed = seed;
  return options;
}

// Age in full years on `day` (the engine's rule for eligibility).
int AgeOn(absl::CivilDay birth, absl::CivilDay day) {
  int age = static_cast<int>(day.year() - birth.year());
  if (day.month() < birth.month() || (day.month() == birth.month() && day.day() < birth.day())) {
    --age;
  }
  return age;
}

TEST_CASE("SplitMix64 gives the reference outputs") {
  // Vigna's splitmix64.c seeded with 1234567, and with 0.
  SplitMix64 rng(1234567);
  const std::array<uint64_t, 5> expected = {6457827717110365317ULL, 3203168211198807973ULL,
                                            9817491932198370423ULL, 4593380528125082431ULL,
                                            16408922859458223821ULL};
  for (uint64_t value : expected) CHECK(rng.Next() == value);
  SplitMix64 zero(0);
  CHECK(zero.Next() == 0xe220a8397b1dcdafULL);
  CHECK(zero.Next() == 0x6e789e6aa1b965f4ULL);
}

TEST_CASE("SplitMix64::Below is bounded and uniform") {
  SplitMix64 rng(42);
  for (int i = 0; i < 1000; ++i) CHECK(rng.Below(1) == 0);
  std::array<int, 6> counts{};
  for (int i = 0; i < 60'000; ++i) {
    const uint64_t value = rng.Below(6);
    REQUIRE(value < 6);
    ++counts[value];
  }
  // Expected 10,000 each, standard deviation about 91.
  for (int count : counts) CHECK(std::abs(count - 10'000) < 500);
  // A bound just over 2^63 rejects almost half the raw values and still
  // never returns the bound or more.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  for (int i = 0; i < 1000; ++i) CHECK(rng.Below(big) < big);
}

TEST_CASE("streams are independent of each other and fixed by the seed") {
  CHECK(ScenarioStream(1, kScenarioStreamRegistrants).Next() ==
        ScenarioStream(1, kScenarioStreamRegistrants).Next());
  CHECK(ScenarioStream(1, kScenarioStreamRegistrants).Next() !=
        ScenarioStream(1, kScenarioStreamDrawSeeds).Next());
  CHECK(ScenarioStream(1, kScenarioStreamRegistrants).Next() !=
        ScenarioStream(2, kScenarioStreamRegistrants).Next());
}

TEST_CASE("the same seed gives the same scenario; another seed other registrants") {
  const Scenario a = Generate(WithRegistrants(20'000, 7));
  const Scenario b = Generate(WithRegistrants(20'000, 7));
  const Scenario c = Generate(WithRegistrants(20'000, 8));
  CHECK(SerializeSetup(a) == SerializeSetup(b));
  CHECK(SerializeRegistrants(a) == SerializeRegistrants(b));
  // The seed decides the people, not the campaign's setup.
  CHECK(SerializeSetup(a) == SerializeSetup(c));
  CHECK(SerializeRegistrants(a) != SerializeRegistrants(c));
  size_t same_district = 0;
  for (size_t i = 0; i < a.registrants.size(); ++i) {
    same_district += a.registrants[i].district == c.registrants[i].district;
  }
  // Independent draws agree on the district about 6% of the time.
  CHECK(same_district < a.registrants.size() / 5);
}

TEST_CASE("golden: seed 1 generates exactly this on every platform") {
  const Scenario s = Generate(WithRegistrants(1000, 1));
  const RegistrantSpec& first = s.registrants[0];
  CHECK(first.external_ref == "HE-00000001");
  CHECK(first.district == 17);
  CHECK(first.birth_day == absl::CivilDay(1996, 9, 28));
  CHECK(first.group == PriorityGroup::kNone);
  CHECK(first.channel == Channel::kOnline);
  CHECK(first.registered_at ==
        absl::FromCivil(absl::CivilSecond(2021, 5, 24, 6, 28, 54), ScenarioTimeZone()));
  CHECK(first.vaccine_preference == kNoId);
  CHECK(s.registrants.back().external_ref == "HE-00001000");
  CHECK(Fnv1a(SerializeSetup(s)) == 0x31062ff5da5dd939ULL);
  CHECK(Fnv1a(SerializeRegistrants(s)) == 0xa0f893908ef07ed9ULL);
  const std::vector<DrawRequest> draws = DrawSchedule(s);
  REQUIRE(draws.size() == 15);
  CHECK(draws[0].seed.k0 == 0xa6c7188e0551111eULL);
  CHECK(draws[0].seed.k1 == 0x6d5016879973635cULL);
}

TEST_CASE("Hessen: 26 districts, 28 centers, four vaccines and the 7 June cut-off") {
  const Scenario s = Generate(WithRegistrants(1000));
  REQUIRE(s.districts.size() == 26);
  REQUIRE(s.centers.size() == 28);
  REQUIRE(s.vaccines.size() == 4);
  CHECK(s.districts[1].code == "06412");
  CHECK(s.districts[1].name == "Frankfurt am Main");
  int64_t population = 0;
  for (const ScenarioDistrict& d : s.districts) population += d.population;
  CHECK(population > 6'200'000);
  CHECK(population < 6'400'000);

  // Every district is served by one center, Frankfurt (2) and Main-Kinzig
  // (9), the two largest, by two; center ids follow district order.
  std::vector<int> centers_of(27, 0);
  for (const CenterSpec& c : s.centers) {
    REQUIRE(c.districts.size() == 1);
    REQUIRE(c.districts[0] >= 1);
    REQUIRE(c.districts[0] <= 26);
    ++centers_of[c.districts[0]];
  }
  for (DistrictId d = 1; d <= 26; ++d) CHECK(centers_of[d] == (d == 2 || d == 9 ? 2 : 1));
  CHECK(s.centers[1].code == "IZ-06412");
  CHECK(s.centers[2].code == "IZ-06412-2");
  CHECK(s.centers[2].districts == std::vector<DistrictId>{2});

  CHECK(s.vaccines[kScenarioComirnaty - 1].code == "comirnaty");
  CHECK(s.vaccines[kScenarioSpikevax - 1].interval_days_target == 28);
  CHECK(s.vaccines[kScenarioVaxzevria - 1].age_years_min == 60);
  CHECK(s.vaccines[kScenarioVaxzevria - 1].interval_days_min == 63);
  CHECK(s.vaccines[kScenarioVaxzevria - 1].interval_days_max == 84);
  CHECK(s.vaccines[kScenarioJanssen - 1].dose_count == 1);

  const absl::TimeZone tz = ScenarioTimeZone();
  CHECK(s.tier_cut_off == absl::FromCivil(absl::CivilSecond(2021, 6, 7, 0, 0, 0), tz));
  CHECK(s.first_draw_at == absl::FromCivil(absl::CivilSecond(2021, 6, 21, 6, 0, 0), tz));
  CHECK(s.registration_opens == absl::FromCivil(absl::CivilSecond(2021, 5, 24, 6, 0, 0), tz));
  CHECK(s.last_day == absl::CivilDay(2021, 10, 5));
  REQUIRE(s.policy.tier_rules.size() == 2);
  CHECK(s.policy.tier_rules[0].registered_before == s.tier_cut_off);
  CHECK(s.policy.tier_rules[0].tier_by_group == std::array<uint8_t, 4>{1, 2, 3, 4});
  CHECK(s.policy.tier_rules[1].registered_before == absl::InfiniteFuture());
  CHECK(s.policy.tier_rules[1].tier_by_group == std::array<uint8_t, 4>{4, 4, 4, 4});
  REQUIRE(s.policy.reserves.size() == 1);
  CHECK(s.policy.reserves[0].share_permille == 500);
  CHECK(s.policy.reserves[0].age_years_min == 60);
  CHECK(s.policy.reserves[0].group_mask == 0);
  CHECK(s.policy.reserves[0].vaccine == kScenarioVaxzevria);
  CHECK(s.policy.residence == ResidenceRule::kHomeDistrictOnly);
}

TEST_CASE("registrants have the intended shares, ages and registration times") {
  const uint32_t count = SmallScale() ? 50'000 : 200'000;
  const Scenario s = Generate(WithRegistrants(count));
  REQUIRE(s.registrants.size() == count);
  std::array<int64_t, 5> groups{};
  int64_t online = 0, preference = 0, before_cut_off = 0, old_online = 0, old = 0;
  std::vector<int64_t> per_district(27, 0);
  std::array<int64_t, 28> per_day{};
  std::set<std::string> refs;
  for (size_t i = 0; i < s.registrants.size(); ++i) {
    const RegistrantSpec& r = s.registrants[i];
    REQUIRE(r.district >= 1);
    REQUIRE(r.district <= 26);
    ++per_district[r.district];
    ++groups[static_cast<int>(r.group)];
    online += r.channel == Channel::kOnline;
    preference += r.vaccine_preference != kNoId;
    REQUIRE(r.vaccine_preference <= kScenarioJanssen);
    const int age = AgeOn(r.birth_day, s.options.first_day);
    REQUIRE(age >= 16);
    REQUIRE(age <= 95);
    if (r.group == PriorityGroup::kNone) REQUIRE(age < 60);
    if (r.vaccine_preference == kScenarioVaxzevria) REQUIRE(age >= 60);
    if (age >= 80) {
      ++old;
      old_online += r.channel == Channel::kOnline;
    }
    REQUIRE(r.registered_at >= s.registration_opens);
    REQUIRE(r.registered_at < s.first_draw_at);
    if (i > 0) REQUIRE(r.registered_at >= s.registrants[i - 1].registered_at);
    before_cut_off += r.registered_at < s.tier_cut_off;
    ++per_day[(r.registered_at - s.registration_opens) / absl::Hours(24)];
    refs.insert(r.external_ref);
  }
  CHECK(refs.size() == count);
  CHECK(*refs.begin() == "HE-00000001");
  const double n = count;
  auto share = [&](int64_t part) { return static_cast<double>(part) / n; };
  // Tolerances are at least 4 standard deviations at the small scale.
  CHECK(share(groups[1]) == doctest::Approx(0.08).epsilon(0.006 / 0.08));
  CHECK(share(groups[2]) == doctest::Approx(0.12).epsilon(0.007 / 0.12));
  CHECK(share(groups[3]) == doctest::Approx(0.20).epsilon(0.009 / 0.20));
  CHECK(share(groups[4]) == doctest::Approx(0.60).epsilon(0.011 / 0.60));
  CHECK(share(online) > 0.77);
  CHECK(share(online) < 0.85);
  CHECK(static_cast<double>(old_online) / static_cast<double>(old) < 0.55);
  CHECK(share(preference) == doctest::Approx(0.03).epsilon(0.004 / 0.03));
  // Two rushes, at the opening and at the cut-off: about half register
  // before the cut-off, the first day far more than the day before the cut-off.
  CHECK(share(before_cut_off) > 0.45);
  CHECK(share(before_cut_off) < 0.55);
  CHECK(per_day[0] > 5 * per_day[13]);
  CHECK(per_day[14] > 5 * per_day[13]);
  CHECK(per_day[27] < per_day[14] / 5);
  // Registrants follow population: Frankfurt (764k of 6.29M, 12.1%) has the
  // most, the Odenwaldkreis (97k, 1.5%) the fewest.
  CHECK(share(per_district[2]) == doctest::Approx(0.1215).epsilon(0.006 / 0.12));
  CHECK(std::max_element(per_district.begin(), per_district.end()) - per_district.begin() == 2);
  CHECK(per_district[11] < per_district[2] / 5);
}

TEST_CASE("seats and supply are sized to the registrants") {
  const uint32_t count = 300'000;
  ScenarioOptions options = WithRegistrants(count);
  options.generate_registrants = false;  // the calendar is sized for them all the same
  const Scenario s = Generate(options);
  std::array<int64_t, 5> seats_first{}, seats_second{}, doses{};
  for (const CapacityBlock& b : s.capacity) {
    REQUIRE(b.center >= 1);
    REQUIRE(b.center <= 28);
    REQUIRE(b.slot_minutes == 15);
    REQUIRE(b.open_minute == 8 * 60);
    REQUIRE(b.close_minute <= 20 * 60);
    REQUIRE(b.weekdays == 0x3f);  // Monday to Saturday
    REQUIRE(b.first_day >= options.first_day);
    REQUIRE(b.last_day <= s.last_day);
    int64_t open_days = 0;
    for (absl::CivilDay d = b.first_day; d <= b.last_day; ++d) {
      open_days += absl::GetWeekday(d) != absl::Weekday::sunday;
    }
    const int64_t slots = (b.close_minute - b.open_minute) / b.slot_minutes;
    seats_first[b.vaccine] += open_days * slots * b.seats_first;
    seats_second[b.vaccine] += open_days * slots * b.seats_second;
  }
  for (const SupplyDelivery& d : s.supply) {
    REQUIRE(d.doses > 0);
    REQUIRE(d.day >= options.first_day);
    REQUIRE(d.day <= s.last_day);
    doses[d.vaccine] += d.doses;
  }
  int64_t seats_total = 0, series_supplied = 0;
  for (VaccineId v = 1; v <= 4; ++v) {
    const VaccineSpec& spec = s.vaccines[v - 1];
    seats_total += seats_first[v];
    series_supplied += doses[v] / spec.dose_count;
    // Every first-dose seat has a second-dose seat.
    if (spec.dose_count == 2) CHECK(seats_second[v] >= seats_first[v]);
  }
  // 60% first-dose seats, 50% series of doses (rounding per line adds a little).
  CHECK(static_cast<double>(seats_total) / count == doctest::Approx(0.60).epsilon(0.03 / 0.6));
  CHECK(static_cast<double>(series_supplied) / count == doctest::Approx(0.50).epsilon(0.01 / 0.5));
  CHECK(static_cast<double>(doses[kScenarioComirnaty]) / 2 / count ==
        doctest::Approx(0.325).epsilon(0.01 / 0.325));
  // Vaxzevria's 84-day target leaves only the first 16 days for first doses.
  for (const CapacityBlock& b : s.capacity) {
    if (b.vaccine == kScenarioVaxzevria && b.seats_first > 0) {
      CHECK(b.last_day == absl::CivilDay(2021, 7, 13));
    }
  }
}

TEST_CASE("options out of range are refused with their name") {
  auto refused = [](ScenarioOptions options, const char* name) {
    const absl::StatusOr<Scenario> scenario = GenerateScenario(options);
    CHECK(scenario.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_MESSAGE(absl::StrContains(scenario.status().message(), name), scenario.status());
  };
  ScenarioOptions options = WithRegistrants(10);
  options.districts = 0;
  refused(options, "districts");
  options = WithRegistrants(10);
  options.centers = kScenarioCentersMax + 1;
  refused(options, "centers");
  options = WithRegistrants(10);
  options.days = kScenarioDaysMin - 1;
  refused(options, "days");
  options = WithRegistrants(10);
  options.registration_days = 0;
  refused(options, "registration_days");
  options = WithRegistrants(kScenarioRegistrantsMax + 1);
  refused(options, "registrants");
  options = WithRegistrants(10);
  options.seats_first_permille = 0;
  refused(options, "seats_first_permille");
}

TEST_CASE("other district and center counts: every district has a center") {
  for (const std::pair<int, int>& counts :
       std::vector<std::pair<int, int>>{{30, 10}, {26, 40}, {5, 5}, {1, 3}, {40, 1}}) {
    const int districts = counts.first;  // CAPTURE's lambda takes no structured binding (clang 14)
    const int centers = counts.second;
    CAPTURE(districts);
    CAPTURE(centers);
    ScenarioOptions options = WithRegistrants(2000);
    options.districts = districts;
    options.centers = centers;
    const Scenario s = Generate(options);
    REQUIRE(s.districts.size() == static_cast<size_t>(districts));
    REQUIRE(s.centers.size() == static_cast<size_t>(centers));
    std::vector<int> served(districts + 1, 0);
    for (const CenterSpec& c : s.centers) {
      CHECK(!c.districts.empty());
      CHECK(std::is_sorted(c.districts.begin(), c.districts.end()));
      for (DistrictId d : c.districts) {
        REQUIRE(d >= 1);
        REQUIRE(d <= static_cast<DistrictId>(districts));
        ++served[d];
      }
    }
    for (int d = 1; d <= districts; ++d) CHECK(served[d] >= 1);
    std::set<std::string> codes;
    for (const CenterSpec& c : s.centers) codes.insert(c.code);
    CHECK(codes.size() == s.centers.size());
    std::set<std::string> district_codes;
    for (const ScenarioDistrict& d : s.districts) district_codes.insert(d.code);
    CHECK(district_codes.size() == s.districts.size());
    for (const RegistrantSpec& r : s.registrants) {
      REQUIRE(r.district >= 1);
      REQUIRE(r.district <= static_cast<DistrictId>(districts));
    }
  }
}

TEST_CASE("the draw schedule: Mondays 06:00, next week's first doses, distinct seeds") {
  const Scenario s = Generate(WithRegistrants(100));
  const std::vector<DrawRequest> draws = DrawSchedule(s);
  // First doses run to 5 October (Janssen): draws on 21 June ... 27 September.
  REQUIRE(draws.size() == 15);
  const absl::TimeZone tz = ScenarioTimeZone();
  std::set<std::pair<uint64_t, uint64_t>> seeds;
  for (size_t k = 0; k < draws.size(); ++k) {
    const DrawRequest& d = draws[k];
    const absl::CivilDay monday = absl::CivilDay(2021, 6, 21) + static_cast<int>(7 * k);
    CHECK(d.at == absl::FromCivil(absl::CivilSecond(monday), tz) + absl::Hours(6));
    CHECK(absl::GetWeekday(monday) == absl::Weekday::monday);
    CHECK(d.first_dose_from == monday + 7);
    CHECK(d.first_dose_until == monday + 13);
    CHECK(d.centers.empty());
    CHECK(d.series_limit == 0);
    seeds.insert({d.seed.k0, d.seed.k1});
  }
  CHECK(seeds.size() == draws.size());
  CHECK(draws[0].at == s.first_draw_at);
  // Same seed, same schedule; another seed, other lottery seeds.
  const std::vector<DrawRequest> again = DrawSchedule(Generate(WithRegistrants(100)));
  const std::vector<DrawRequest> other = DrawSchedule(Generate(WithRegistrants(100, 2)));
  REQUIRE(again.size() == draws.size());
  REQUIRE(other.size() == draws.size());
  for (size_t k = 0; k < draws.size(); ++k) {
    CHECK(again[k].seed == draws[k].seed);
    CHECK(!(other[k].seed == draws[k].seed));
    CHECK(other[k].at == draws[k].at);
  }
}

TEST_CASE("every first-dose seat can be paired with a second dose") {
  // The calendar scales with the registrants; generating it without them
  // lets us check it at every size.
  for (uint32_t registrants : {0U, 1000U, 300'000U, 1'000'000U, 8'000'000U,
                               kScenarioRegistrantsMax}) {
    CAPTURE(registrants);
    ScenarioOptions options = WithRegistrants(registrants);
    options.generate_registrants = false;
    const Scenario s = Generate(options);
    CHECK(s.registrants.empty());
    Engine engine;
    const absl::Status status = Populate(engine, s);
    REQUIRE_MESSAGE(status.ok(), status);
    CHECK(engine.capacity_blocks().size() == s.capacity.size());
    CHECK(engine.deliveries().size() == s.supply.size());
    const std::vector<SecondDoseShortfall> shortfalls = engine.CheckSecondDoseCapacity();
    CHECK(shortfalls.empty());
    for (const SecondDoseShortfall& f : shortfalls) {
      MESSAGE("center ", f.center, " vaccine ", f.vaccine, " day ", Day(f.day), ": ",
              f.seats_first, " first, ", f.seats_second_in_window, " second");
    }
  }
}

TEST_CASE("Populate fills a fresh engine and completes an interrupted one") {
  const uint32_t count = SmallScale() ? 5'000 : 20'000;
  const Scenario s = Generate(WithRegistrants(count));
  std::vector<std::string> stages;
  PopulateOptions populate_options;
  populate_options.batch_size = 3'000;
  populate_options.progress = [&](std::string_view stage, uint64_t done, uint64_t total) {
    stages.push_back(absl::StrCat(std::string(stage), " ", done, "/", total));
  };
  Engine engine;
  const absl::Status status = Populate(engine, s, populate_options);
  REQUIRE_MESSAGE(status.ok(), status);
  CHECK(engine.district_count() == 26);
  CHECK(engine.vaccine_count() == 4);
  CHECK(engine.center_count() == 28);
  CHECK(engine.capacity_blocks().size() == s.capacity.size());
  CHECK(engine.deliveries().size() == s.supply.size());
  CHECK(engine.policy_version() == 2);
  CHECK(engine.registrant_count() == count);
  CHECK(*engine.FindDistrict("06412") == 2);
  CHECK(*engine.FindVaccine("vaxzevria") == kScenarioVaxzevria);
  CHECK(*engine.FindCenter("IZ-06412-2") == 3);
  CHECK(*engine.FindRegistrant("HE-00000001") == 1);
  CHECK(engine.GetRegistrant(count)->spec.external_ref == s.registrants.back().external_ref);
  REQUIRE(stages.size() >= 4);
  CHECK(stages.back() == absl::StrCat("registrants ", count, "/", count));
  CHECK(stages[0] == "setup 28/28");
  CHECK(stages[3] == absl::StrCat("registrants 3000/", count));

  // Tier 1 is group 1 registered before the cut-off.
  for (RegistrantId id = 1; id <= 200; ++id) {
    const RegistrantSpec& spec = s.registrants[id - 1];
    const int expected = spec.registered_at < s.tier_cut_off ? static_cast<int>(spec.group) : 4;
    CHECK(*engine.TierOf(id) == expected);
  }

  // Populating again completes nothing and changes nothing.
  const uint64_t revision = engine.revision();
  CHECK(Populate(engine, s).ok());
  CHECK(engine.revision() == revision);

  // An engine that holds part of the scenario is completed.
  Scenario part = s;
  part.registrants.resize(count / 3);
  Engine interrupted;
  REQUIRE(Populate(interrupted, part).ok());
  CHECK(interrupted.registrant_count() == count / 3);
  REQUIRE(Populate(interrupted, s).ok());
  CHECK(interrupted.registrant_count() == count);
  CHECK(interrupted.GetRegistrant(count)->spec.registered_at == s.registrants.back().registered_at);
}

TEST_CASE("Populate refuses a target holding another campaign and leaves it as it was") {
  const Scenario s = Generate(WithRegistrants(2000));
  Engine engine;
  REQUIRE(Populate(engine, s).ok());
  const uint64_t revision = engine.revision();

  // Another seed: same setup, other people.
  const absl::Status other_seed = Populate(engine, Generate(WithRegistrants(2000, 99)));
  CHECK(other_seed.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(absl::StrContains(other_seed.message(), "registrant"), other_seed);
  // Fewer registrants than it holds.
  const absl::Status smaller = Populate(engine, Generate(WithRegistrants(1000)));
  CHECK(smaller.code() == absl::StatusCode::kFailedPrecondition);
  // More registrants: the stratified times of the held ones differ.
  const absl::Status larger = Populate(engine, Generate(WithRegistrants(3000)));
  CHECK(larger.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(engine.revision() == revision);

  // An engine with a district of its own.
  Engine foreign;
  REQUIRE(foreign.AddDistrict("03241", "Region Hannover").ok());
  const absl::Status status = Populate(foreign, s);
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(absl::StrContains(status.message(), "district 1"), status);
  CHECK(foreign.district_count() == 1);

  // Registrants without the capacity before them are not a prefix.
  Engine skipped;
  Scenario no_capacity = s;
  no_capacity.capacity.clear();
  no_capacity.supply.clear();
  REQUIRE(Populate(skipped, no_capacity).ok());
  const absl::Status gap = Populate(skipped, s);
  CHECK(gap.code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Populate works on a Store the same way, and resumes after a reopen") {
  const Scenario s = Generate(WithRegistrants(3'000));
  const std::string path =
      (std::filesystem::temp_directory_path() /
       absl::StrCat("vaxalloc-scenario-test-", ::getpid(), ".sqlite"))
          .string();
  auto remove_files = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path + suffix);
    }
  };
  remove_files();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
    REQUIRE_MESSAGE(store.ok(), store.status());
    Scenario part = s;
    part.registrants.resize(1'000);
    PopulateOptions options;
    options.batch_size = 400;
    const absl::Status status = Populate(**store, part, options);
    REQUIRE_MESSAGE(status.ok(), status);
    CHECK((*store)->engine().registrant_count() == 1'000);
  }
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
    REQUIRE_MESSAGE(store.ok(), store.status());
    CHECK((*store)->engine().registrant_count() == 1'000);
    const absl::Status status = Populate(**store, s);
    REQUIRE_MESSAGE(status.ok(), status);
    CHECK((*store)->engine().registrant_count() == 3'000);
    CHECK((*store)->engine().capacity_blocks().size() == s.capacity.size());
    CHECK((*store)->engine().policy_version() == 2);
    const absl::Status other = Populate(**store, Generate(WithRegistrants(3'000, 5)));
    CHECK(other.code() == absl::StatusCode::kFailedPrecondition);
  }
  remove_files();
}

TEST_CASE("running the whole draw schedule keeps every invariant") {
  const uint32_t count = SmallScale() ? 6'000 : 30'000;
  const Scenario s = Generate(WithRegistrants(count));
  Engine engine;
  REQUIRE(Populate(engine, s).ok());
  const std::vector<DrawRequest> draws = DrawSchedule(s);
  std::vector<uint32_t> assigned;
  for (const DrawRequest& request : draws) {
    const absl::StatusOr<DrawRecord> record = engine.Draw(request);
    REQUIRE_MESSAGE(record.ok(), record.status());
    assigned.push_back(static_cast<uint32_t>(record->series.size()));
  }
  const InvariantReport report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
  const Report summary = engine.Summarize();
  CHECK(summary.draws == draws.size());
  CHECK(summary.scheduled == engine.series_count());
  const double served = static_cast<double>(summary.scheduled) / count;
  INFO("served ", served, " of the registrants; per draw ", absl::StrJoin(assigned, " "));
  // The campaign is scarce: roughly half the waiting list gets a series.
  CHECK(served > 0.40);
  CHECK(served < 0.60);
  // Every draw but the late ones (first doses only of Janssen) assigns people.
  CHECK(assigned[0] > 0);
  CHECK(assigned[5] > 0);
  // Tier 1 (group 1 before the cut-off) is served first.
  CHECK(summary.waiting_per_tier[0] < summary.waiting_per_tier[3]);
}

}  // namespace
}  // namespace vaxalloc
