// Tests of the waitlist draw as docs/draw.md specifies it: dose pairing,
// supply, tiers, residence, age, vaccine preference, reserve categories,
// reproducibility, lottery order and a chi-square check that registration
// time has no influence on who wins. Expected values are exact; the lottery
// order is recomputed independently with LotteryNumber.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/types.h"
#include "tests/test_support.h"

namespace vaxalloc {
namespace {

using absl::CivilDay;
using namespace ::vaxalloc::testing;  // NOLINT: the suites' shared builders
using absl::StatusCode;

const CivilDay kDay(2021, 6, 1);                   // the usual first-dose day
const absl::Time kRegistered = At(2021, 5, 1);     // when people registered
const absl::Time kDrawAt = At(2021, 5, 31, 12, 0);  // "now" of the usual draw

// Most people here are group 1 and registered at kRegistered.
RegistrantSpec Person(std::string ref, DistrictId district,
                      PriorityGroup group = PriorityGroup::kGroup1,
                      absl::Time registered_at = kRegistered,
                      CivilDay birth_day = CivilDay(1950, 1, 1)) {
  return testing::Person(std::move(ref), district, group, registered_at, birth_day);
}

// One 15-minute slot at 08:00 on each day of [first_day, last_day].
CapacityBlock FirstSeats(CenterId center, VaccineId vaccine, CivilDay first_day, CivilDay last_day,
                         int seats) {
  return Block(center, vaccine, first_day, last_day, 480, 495, 15, seats, 0);
}
CapacityBlock SecondSeats(CenterId center, VaccineId vaccine, CivilDay first_day,
                          CivilDay last_day, int seats) {
  return Block(center, vaccine, first_day, last_day, 480, 495, 15, 0, seats);
}

DrawSeed Seed(uint64_t n) { return DrawSeed{n, 0x5eed0000u + n}; }

DrawRequest Request(uint64_t seed, CivilDay from, CivilDay until, absl::Time at = kDrawAt) {
  DrawRequest request;
  request.seed = Seed(seed);
  request.at = at;
  request.first_dose_from = from;
  request.first_dose_until = until;
  return request;
}

// The registrant references ordered as the draw must walk them inside one
// tier: lottery number ascending, then the reference bytewise.
std::vector<std::string> ByLottery(const DrawSeed& seed, std::vector<std::string> refs) {
  std::sort(refs.begin(), refs.end(), [&](const std::string& a, const std::string& b) {
    return std::make_tuple(LotteryNumber(seed, a), a) < std::make_tuple(LotteryNumber(seed, b), b);
  });
  return refs;
}

std::vector<std::string> First(std::vector<std::string> refs, size_t count) {
  REQUIRE(refs.size() >= count);
  refs.resize(count);
  return refs;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> Refs(const std::string& prefix, int count) {
  std::vector<std::string> refs;
  for (int i = 0; i < count; ++i) refs.push_back(absl::StrCat(prefix, i));
  return refs;
}

void RegisterAll(Engine& engine, const std::vector<std::string>& refs, DistrictId district,
                 PriorityGroup group, CivilDay birth_day = CivilDay(1950, 1, 1),
                 absl::Time registered_at = kRegistered) {
  for (const std::string& ref : refs) {
    Ok(engine.Register(Person(ref, district, group, registered_at, birth_day)));
  }
}

std::string RefOf(const Engine& engine, RegistrantId id) {
  return Ok(engine.GetRegistrant(id)).spec.external_ref;
}

std::vector<Series> SeriesOf(const Engine& engine, const DrawRecord& record) {
  std::vector<Series> series;
  for (SeriesId id : record.series) series.push_back(Ok(engine.GetSeries(id)));
  return series;
}

// The registrants' references in the draw's assignment order.
std::vector<std::string> WinnerRefs(const Engine& engine, const DrawRecord& record) {
  std::vector<std::string> refs;
  for (const Series& series : SeriesOf(engine, record)) {
    refs.push_back(RefOf(engine, series.registrant));
  }
  return refs;
}

// Everything a placement decides, as one comparable line per series.
std::string Describe(const Engine& engine, const Series& series) {
  std::string line = absl::StrCat(RefOf(engine, series.registrant), " center ", series.center,
                                  " vaccine ", series.vaccine, " tier ", series.tier,
                                  " category ", series.category);
  for (int dose = 0; dose < series.dose_count; ++dose) {
    absl::StrAppend(&line, " ", absl::FormatCivilTime(series.appointments[dose].day), "@",
                    series.appointments[dose].minute);
  }
  return line;
}

std::vector<std::string> DescribeAll(const Engine& engine, const std::vector<Series>& series) {
  std::vector<std::string> lines;
  for (const Series& one : series) lines.push_back(Describe(engine, one));
  return lines;
}

// The first slot of a pool's day; the test stops if the day has none.
SlotView FirstSlot(const Engine& engine, CenterId center, VaccineId vaccine, CivilDay day) {
  const std::vector<SlotView> slots = engine.Slots(center, vaccine, day);
  REQUIRE_MESSAGE(!slots.empty(), "no slot on ", absl::FormatCivilTime(day));
  return slots.front();
}

// One district (1), one vaccine (1) and one center (1) serving the district.
Engine OnePool(const VaccineSpec& vaccine) {
  Engine engine;
  Ok(engine.AddDistrict("06412", "Frankfurt am Main"));
  Ok(engine.AddVaccine(vaccine));
  Ok(engine.AddCenter(CenterOf("FFM", {1})));
  return engine;
}

// ---------------------------------------------------------------------------
// Dose pairs
// ---------------------------------------------------------------------------

TEST_CASE("the second dose is booked with the first, at the target interval when free") {
  Engine engine = OnePool(TwoDose("vaxzevria", 21, 28, 42));
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay, 1)));
  Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 42, 1)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 10)));
  const RegistrantId anna = Ok(engine.Register(Person("anna", 1)));

  const DrawRequest request = Request(1, kDay, kDay);
  const DrawRecord record = Ok(engine.Draw(request));
  CHECK(record.id == 1u);
  CHECK(record.policy_version == 1u);
  CHECK(record.request.seed == request.seed);
  CHECK(record.request.at == request.at);
  CHECK(record.request.first_dose_from == kDay);
  CHECK(record.request.first_dose_until == kDay);
  CHECK(record.request.series_limit == 0u);
  CHECK(record.tiers[0].eligible == 1u);
  CHECK(record.tiers[0].assigned == 1u);
  for (int tier = 2; tier <= kTierMax; ++tier) {
    CHECK(record.tiers[tier - 1].eligible == 0u);
    CHECK(record.tiers[tier - 1].assigned == 0u);
  }
  REQUIRE(record.series == std::vector<SeriesId>{1});

  const Series series = Ok(engine.GetSeries(1));
  CHECK(series.id == 1u);
  CHECK(series.registrant == anna);
  CHECK(series.center == 1u);
  CHECK(series.vaccine == 1u);
  CHECK(series.dose_count == 2);
  CHECK(series.appointments[0].day == kDay);
  CHECK(series.appointments[0].minute == 480);
  CHECK(series.appointments[1].day == kDay + 28);
  CHECK(series.appointments[1].minute == 480);
  CHECK(series.status == SeriesStatus::kActive);
  CHECK(series.booked_at == request.at);
  CHECK(series.draw == 1u);
  CHECK(int{series.tier} == 1);
  CHECK(int{series.category} == 0);

  const Registrant registrant = Ok(engine.GetRegistrant(anna));
  CHECK(registrant.status == RegistrantStatus::kScheduled);
  CHECK(registrant.series == 1u);
  CHECK(FirstSlot(engine, 1, 1, kDay).booked_first == 1);
  CHECK(FirstSlot(engine, 1, 1, kDay + 28).booked_second == 1);
  CHECK(FirstSlot(engine, 1, 1, kDay + 21).booked_second == 0);
  CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 8);

  const DrawRecord stored = Ok(engine.GetDraw(1));
  CHECK(stored.series == record.series);
  CHECK(stored.request.seed == request.seed);
  CHECK(stored.tiers[0].assigned == 1u);
  CHECK(engine.draw_count() == 1u);
}

// A pool of the 21/28/42 vaccine with one first-dose seat on kDay (and on
// kDay + 1 if `two_days`) and one second-dose seat on each given offset.
Engine SecondDosePool(const std::vector<int>& second_offsets, int first_seats = 1,
                      bool two_days = false) {
  Engine engine = OnePool(TwoDose("vaxzevria", 21, 28, 42));
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, two_days ? kDay + 1 : kDay, first_seats)));
  for (int offset : second_offsets) {
    Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + offset, kDay + offset, 1)));
  }
  Ok(engine.AddSupply(Supply(1, 1, kDay, 100)));
  return engine;
}

std::optional<Appointment> SecondAppointmentOfOnePerson(Engine& engine, CivilDay until = kDay) {
  Ok(engine.Register(Person("solo", 1)));
  const DrawRecord record = Ok(engine.Draw(Request(1, kDay, until)));
  if (record.series.empty()) return std::nullopt;
  REQUIRE(record.series.size() == 1u);
  return Ok(engine.GetSeries(record.series[0])).appointments[1];
}

TEST_CASE("without a seat on the target day the second dose takes the nearest day") {
  SUBCASE("nearest") {
    Engine engine = SecondDosePool({26, 31});  // target +28: distances 2 and 3
    const auto second = SecondAppointmentOfOnePerson(engine);
    REQUIRE(second.has_value());
    CHECK(second->day == kDay + 26);
  }
  SUBCASE("nearest is later") {
    Engine engine = SecondDosePool({21, 29});
    const auto second = SecondAppointmentOfOnePerson(engine);
    REQUIRE(second.has_value());
    CHECK(second->day == kDay + 29);
  }
  SUBCASE("a tie goes to the earlier day") {
    Engine engine = SecondDosePool({25, 31});
    const auto second = SecondAppointmentOfOnePerson(engine);
    REQUIRE(second.has_value());
    CHECK(second->day == kDay + 25);
  }
  SUBCASE("the interval's bounds are inclusive") {
    Engine at_min = SecondDosePool({21});
    REQUIRE(SecondAppointmentOfOnePerson(at_min).has_value());
    CHECK(Ok(at_min.GetSeries(1)).appointments[1].day == kDay + 21);
    Engine at_max = SecondDosePool({42});
    REQUIRE(SecondAppointmentOfOnePerson(at_max).has_value());
    CHECK(Ok(at_max.GetSeries(1)).appointments[1].day == kDay + 42);
  }
  SUBCASE("the target taken by an earlier winner: the nearest free day, ties earlier") {
    Engine engine = SecondDosePool({27, 28, 29}, /*first_seats=*/2);
    Ok(engine.Register(Person("p0", 1)));
    Ok(engine.Register(Person("p1", 1)));
    const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
    const std::vector<Series> series = SeriesOf(engine, record);
    REQUIRE(series.size() == 2u);
    CHECK(series[0].appointments[1].day == kDay + 28);
    CHECK(series[1].appointments[1].day == kDay + 27);
    CHECK(WinnerRefs(engine, record) == ByLottery(Seed(1), {"p0", "p1"}));
  }
}

TEST_CASE("no second-dose seat within [min, max]: the registrant stays waiting") {
  Engine engine = SecondDosePool({20, 43});
  const RegistrantId solo = Ok(engine.Register(Person("solo", 1)));
  const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
  CHECK(record.series.empty());
  CHECK(record.tiers[0].eligible == 1u);
  CHECK(record.tiers[0].assigned == 0u);
  CHECK(engine.series_count() == 0u);
  CHECK(engine.draw_count() == 1u);
  const Registrant registrant = Ok(engine.GetRegistrant(solo));
  CHECK(registrant.status == RegistrantStatus::kWaiting);
  CHECK(registrant.waiting_since == kRegistered);
  CHECK(FirstSlot(engine, 1, 1, kDay).booked_first == 0);
  CHECK(FirstSlot(engine, 1, 1, kDay + 43).booked_second == 0);
  CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 100);

  // A first-dose day later in the window whose interval does reach +43.
  Engine later = SecondDosePool({20, 43}, 1, /*two_days=*/true);
  Ok(later.Register(Person("solo", 1)));
  const DrawRecord placed = Ok(later.Draw(Request(1, kDay, kDay + 1)));
  REQUIRE(placed.series.size() == 1u);
  const Series series = Ok(later.GetSeries(placed.series[0]));
  CHECK(series.appointments[0].day == kDay + 1);
  CHECK(series.appointments[1].day == kDay + 43);
}

TEST_CASE("a one-dose vaccine books a single appointment, earliest free slot first") {
  Engine engine = OnePool(OneDose("jcovden"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 510, 15, 1, 0)));  // 08:00 and 08:15
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay + 1, kDay + 1, 1)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 10)));
  const std::vector<std::string> refs = Refs("j", 4);
  RegisterAll(engine, refs, 1, PriorityGroup::kGroup2);

  const DrawRecord record = Ok(engine.Draw(Request(3, kDay, kDay + 1)));
  CHECK(record.tiers[1].eligible == 4u);
  CHECK(record.tiers[1].assigned == 3u);
  const std::vector<Series> series = SeriesOf(engine, record);
  REQUIRE(series.size() == 3u);
  CHECK(WinnerRefs(engine, record) == First(ByLottery(Seed(3), refs), 3));
  const std::vector<std::pair<CivilDay, int>> expected = {
      {kDay, 480}, {kDay, 495}, {kDay + 1, 480}};
  for (size_t i = 0; i < series.size(); ++i) {
    CAPTURE(i);
    CHECK(series[i].dose_count == 1);
    CHECK(series[i].vaccine == 1u);
    CHECK(series[i].appointments[0].day == expected[i].first);
    CHECK(series[i].appointments[0].minute == expected[i].second);
    CHECK(int{series[i].tier} == 2);
  }
  CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 7);
  CHECK(FirstSlot(engine, 1, 1, kDay + 1).booked_first == 1);
  CHECK(FirstSlot(engine, 1, 1, kDay + 1).booked_second == 0);
  const std::string loser = ByLottery(Seed(3), refs)[3];
  CHECK(Ok(engine.GetRegistrant(Ok(engine.FindRegistrant(loser)))).status ==
        RegistrantStatus::kWaiting);
}

// ---------------------------------------------------------------------------
// Supply
// ---------------------------------------------------------------------------

TEST_CASE("D doses of a two-dose vaccine book floor(D / 2) series; more supply books more") {
  Engine engine = OnePool(TwoDose("comirnaty"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 540, 15, 5, 0)));  // 20 first seats
  Ok(engine.AddCapacity(Block(1, 1, kDay + 21, kDay + 21, 480, 540, 15, 0, 5)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 7)));
  const std::vector<std::string> refs = Refs("p", 10);
  RegisterAll(engine, refs, 1, PriorityGroup::kGroup1);

  const DrawRecord first = Ok(engine.Draw(Request(1, kDay, kDay)));
  CHECK(first.series.size() == 3u);
  CHECK(first.tiers[0].eligible == 10u);
  CHECK(first.tiers[0].assigned == 3u);
  CHECK(WinnerRefs(engine, first) == First(ByLottery(Seed(1), refs), 3));
  CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 1);
  CHECK(engine.Summarize().waiting == 7u);

  // Three more doses: two more series (1 + 3 = 4 doses left, 2 per series).
  Ok(engine.AddSupply(Supply(1, 1, kDay, 3)));
  const DrawRecord second = Ok(engine.Draw(Request(2, kDay, kDay, kDrawAt + absl::Hours(1))));
  CHECK(second.series.size() == 2u);
  CHECK(second.tiers[0].eligible == 7u);
  CHECK(second.tiers[0].assigned == 2u);
  CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 0);
  CHECK(engine.Summarize().waiting == 5u);
  CHECK(engine.Summarize().series_active == 5u);

  const DrawRecord third = Ok(engine.Draw(Request(3, kDay, kDay, kDrawAt + absl::Hours(2))));
  CHECK(third.series.empty());
  CHECK(third.tiers[0].eligible == 5u);
}

TEST_CASE("a delivery on day X is usable only from X on") {
  SUBCASE("the second dose waits for the delivery that covers it") {
    Engine engine = OnePool(TwoDose("comirnaty"));  // 21/21/42
    Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay, 5)));
    Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 30, 5)));
    Ok(engine.AddSupply(Supply(1, 1, kDay, 1)));
    Ok(engine.AddSupply(Supply(1, 1, kDay + 22, 1)));
    const auto second = SecondAppointmentOfOnePerson(engine);
    REQUIRE(second.has_value());
    CHECK(second->day == kDay + 22);  // the target +21 has seats but no dose yet
    CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 0);
  }
  SUBCASE("a delivery on the second-dose day itself is in time") {
    Engine engine = OnePool(TwoDose("comirnaty"));
    Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay, 5)));
    Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 30, 5)));
    Ok(engine.AddSupply(Supply(1, 1, kDay, 1)));
    Ok(engine.AddSupply(Supply(1, 1, kDay + 21, 1)));
    const auto second = SecondAppointmentOfOnePerson(engine);
    REQUIRE(second.has_value());
    CHECK(second->day == kDay + 21);
  }
  SUBCASE("doses arriving the day after the first dose are too late for it") {
    Engine engine = OnePool(TwoDose("comirnaty"));
    Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay, 5)));
    Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 30, 5)));
    Ok(engine.AddSupply(Supply(1, 1, kDay + 1, 2)));
    CHECK_FALSE(SecondAppointmentOfOnePerson(engine).has_value());
    CHECK(engine.Summarize().waiting == 1u);
  }
  SUBCASE("first doses start on the delivery day") {
    Engine engine = OnePool(TwoDose("comirnaty"));
    Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay + 9, 10)));
    Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 30, 10)));
    Ok(engine.AddSupply(Supply(1, 1, kDay + 5, 4)));
    CHECK(engine.DosesAvailableFrom(1, 1, kDay) == 0);
    CHECK(engine.DosesAvailableFrom(1, 1, kDay + 5) == 4);
    const std::vector<std::string> refs = Refs("p", 3);
    RegisterAll(engine, refs, 1, PriorityGroup::kGroup1);
    const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay + 9)));
    CHECK(record.tiers[0].assigned == 2u);
    for (const Series& series : SeriesOf(engine, record)) {
      CHECK(series.appointments[0].day == kDay + 5);
      CHECK(series.appointments[1].day == kDay + 26);
    }
    CHECK(WinnerRefs(engine, record) == First(ByLottery(Seed(1), refs), 2));
    CHECK(engine.DosesAvailableFrom(1, 1, kDay + 5) == 0);
    CHECK(FirstSlot(engine, 1, 1, kDay + 5).booked_first == 2);
  }
}

// ---------------------------------------------------------------------------
// Tiers
// ---------------------------------------------------------------------------

// Six first-dose seats (08:00..09:15, one each), matching second-dose seats,
// plenty of doses; four people in each of groups 1, 2 and 3.
Engine TieredCampaign() {
  Engine engine = OnePool(TwoDose("comirnaty"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 570, 15, 1, 0)));
  Ok(engine.AddCapacity(Block(1, 1, kDay + 21, kDay + 21, 480, 570, 15, 0, 1)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 100)));
  // Interleaved registration, lowest tier first, so registration order
  // cannot be what decides.
  for (int i = 0; i < 4; ++i) {
    Ok(engine.Register(Person(absl::StrCat("t3-", i), 1, PriorityGroup::kGroup3)));
    Ok(engine.Register(Person(absl::StrCat("t2-", i), 1, PriorityGroup::kGroup2)));
    Ok(engine.Register(Person(absl::StrCat("t1-", i), 1, PriorityGroup::kGroup1)));
  }
  return engine;
}

TEST_CASE("tier 1 is placed completely before tier 2; lower tiers get what is left") {
  Engine engine = TieredCampaign();
  const DrawRecord record = Ok(engine.Draw(Request(11, kDay, kDay)));
  const std::vector<std::string> expected =
      Concat(ByLottery(Seed(11), Refs("t1-", 4)), First(ByLottery(Seed(11), Refs("t2-", 4)), 2));
  CHECK(WinnerRefs(engine, record) == expected);
  const std::vector<Series> series = SeriesOf(engine, record);
  REQUIRE(series.size() == 6u);
  for (size_t i = 0; i < series.size(); ++i) {
    CAPTURE(i);
    CHECK(int{series[i].tier} == (i < 4 ? 1 : 2));
    CHECK(series[i].appointments[0].minute == 480 + 15 * static_cast<int>(i));
  }
  CHECK(record.tiers[0].eligible == 4u);
  CHECK(record.tiers[0].assigned == 4u);
  CHECK(record.tiers[1].eligible == 4u);
  CHECK(record.tiers[1].assigned == 2u);
  CHECK(record.tiers[2].eligible == 4u);
  CHECK(record.tiers[2].assigned == 0u);
  CHECK(record.tiers[3].eligible == 0u);
  for (const std::string& ref : Refs("t3-", 4)) {
    CHECK(Ok(engine.GetRegistrant(Ok(engine.FindRegistrant(ref)))).status ==
          RegistrantStatus::kWaiting);
  }
}

TEST_CASE("series_limit caps a draw") {
  Engine engine = TieredCampaign();
  DrawRequest request = Request(11, kDay, kDay);
  request.series_limit = 3;
  const DrawRecord limited = Ok(engine.Draw(request));
  CHECK(limited.request.series_limit == 3u);
  CHECK(WinnerRefs(engine, limited) == First(ByLottery(Seed(11), Refs("t1-", 4)), 3));
  CHECK(limited.tiers[0].eligible == 4u);
  CHECK(limited.tiers[0].assigned == 3u);
  CHECK(limited.tiers[1].eligible == 4u);
  CHECK(limited.tiers[1].assigned == 0u);

  // The next draw fills the remaining three seats: the last of tier 1 first.
  const DrawRecord rest = Ok(engine.Draw(Request(12, kDay, kDay, kDrawAt + absl::Hours(1))));
  const std::vector<std::string> tier1_order = ByLottery(Seed(11), Refs("t1-", 4));
  const std::vector<std::string> rest_refs = WinnerRefs(engine, rest);
  REQUIRE(rest_refs.size() == 3u);
  CHECK(rest_refs[0] == tier1_order[3]);
  CHECK(std::vector<std::string>(rest_refs.begin() + 1, rest_refs.end()) ==
        First(ByLottery(Seed(12), Refs("t2-", 4)), 2));
  CHECK(rest.tiers[0].eligible == 1u);
  CHECK(rest.tiers[0].assigned == 1u);
  CHECK(rest.tiers[1].assigned == 2u);
}

TEST_CASE("tiers follow the policy in force: the Hessen cut-off") {
  Engine engine = OnePool(TwoDose("comirnaty"));
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay + 20, kDay + 20, 2)));
  Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 41, kDay + 41, 2)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 100)));
  Policy hessen;
  hessen.tier_rules = {TierRule{At(2021, 6, 7), {1, 2, 3, 4}},
                       TierRule{absl::InfiniteFuture(), {4, 4, 4, 4}}};
  REQUIRE(Ok(engine.SetPolicy(hessen)) == 2u);
  // Group 1 after the cut-off is tier 4, like everyone registering later.
  Ok(engine.Register(Person("g1-late", 1, PriorityGroup::kGroup1, At(2021, 6, 8))));
  Ok(engine.Register(Person("none-early", 1, PriorityGroup::kNone, At(2021, 6, 1))));
  Ok(engine.Register(Person("g3-early", 1, PriorityGroup::kGroup3, At(2021, 6, 5))));
  Ok(engine.Register(Person("g1-early", 1, PriorityGroup::kGroup1, At(2021, 6, 6, 23, 59))));

  const DrawRecord record = Ok(engine.Draw(Request(5, kDay + 20, kDay + 20, At(2021, 6, 10))));
  CHECK(record.policy_version == 2u);
  CHECK(WinnerRefs(engine, record) == std::vector<std::string>{"g1-early", "g3-early"});
  CHECK(record.tiers[0].eligible == 1u);
  CHECK(record.tiers[0].assigned == 1u);
  CHECK(record.tiers[2].eligible == 1u);
  CHECK(record.tiers[2].assigned == 1u);
  CHECK(record.tiers[3].eligible == 2u);
  CHECK(record.tiers[3].assigned == 0u);
  const std::vector<Series> series = SeriesOf(engine, record);
  REQUIRE(series.size() == 2u);
  CHECK(int{series[0].tier} == 1);
  CHECK(int{series[1].tier} == 3);
}

TEST_CASE("only people registered and waiting by `at` take part") {
  Engine engine = OnePool(TwoDose("comirnaty"));
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay + 9, 10)));
  Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 30, 10)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 100)));
  const absl::Time at = At(2021, 5, 31, 10, 0);
  const RegistrantId early = Ok(engine.Register(Person("early", 1)));
  const RegistrantId exact = Ok(engine.Register(Person("exact", 1, PriorityGroup::kGroup1, at)));
  const RegistrantId late = Ok(engine.Register(
      Person("late", 1, PriorityGroup::kGroup1, at + absl::Microseconds(1))));

  const DrawRecord first = Ok(engine.Draw(Request(1, kDay, kDay, at)));
  CHECK(first.tiers[0].eligible == 2u);
  CHECK(first.tiers[0].assigned == 2u);
  CHECK(Ok(engine.GetRegistrant(early)).status == RegistrantStatus::kScheduled);
  CHECK(Ok(engine.GetRegistrant(exact)).status == RegistrantStatus::kScheduled);
  CHECK(Ok(engine.GetRegistrant(late)).status == RegistrantStatus::kWaiting);

  // `late` (registered after the first draw's instant) is drawn at 12:00.
  const DrawRecord second = Ok(engine.Draw(Request(2, kDay, kDay, At(2021, 5, 31, 12, 0))));
  CHECK(second.tiers[0].eligible == 1u);
  CHECK(WinnerRefs(engine, second) == std::vector<std::string>{"late"});

  // `early` cancels at 14:00: a draw "at" 13:00 would give out the seat the
  // cancellation freed before it was free, and is refused (time moves
  // forward past a draw, both ways).
  Ok(engine.CancelSeries(Ok(engine.GetRegistrant(early)).series, At(2021, 5, 31, 14, 0)));
  CHECK_CODE(StatusCode::kFailedPrecondition,
             engine.Draw(Request(3, kDay, kDay, At(2021, 5, 31, 13, 0))));
  CHECK(Ok(engine.GetRegistrant(early)).status == RegistrantStatus::kWaiting);
  const DrawRecord third = Ok(engine.Draw(Request(3, kDay, kDay, At(2021, 5, 31, 14, 0))));
  CHECK(third.tiers[0].eligible == 1u);
  CHECK(WinnerRefs(engine, third) == std::vector<std::string>{"early"});
}

// ---------------------------------------------------------------------------
// Residence, age, vaccine preference
// ---------------------------------------------------------------------------

// Districts A (1), B (2), C (3); one-dose vaccine 1. Center 1 serves B
// (5 seats), centers 2 and 3 serve A (1 seat each).
Engine ResidenceCampaign() {
  Engine engine;
  Ok(engine.AddDistrict("A", "District A"));
  Ok(engine.AddDistrict("B", "District B"));
  Ok(engine.AddDistrict("C", "District C"));
  Ok(engine.AddVaccine(OneDose("jcovden")));
  Ok(engine.AddCenter(CenterOf("CB", {2})));
  Ok(engine.AddCenter(CenterOf("CA", {1})));
  Ok(engine.AddCenter(CenterOf("CA2", {1})));
  const int seats[] = {5, 1, 1};
  for (CenterId center = 1; center <= 3; ++center) {
    Ok(engine.AddCapacity(FirstSeats(center, 1, kDay, kDay, seats[center - 1])));
    Ok(engine.AddSupply(Supply(center, 1, kDay, 100)));
  }
  RegisterAll(engine, Refs("a", 4), 1, PriorityGroup::kGroup1);
  RegisterAll(engine, {"b0"}, 2, PriorityGroup::kGroup1);
  RegisterAll(engine, {"c0"}, 3, PriorityGroup::kGroup1);
  return engine;
}

std::map<std::string, CenterId> CenterByRef(const Engine& engine, const DrawRecord& record) {
  std::map<std::string, CenterId> centers;
  for (const Series& series : SeriesOf(engine, record)) {
    centers[RefOf(engine, series.registrant)] = series.center;
  }
  return centers;
}

TEST_CASE("residence: home centers by id, then neighbours' when the policy allows") {
  Engine engine = ResidenceCampaign();
  const std::vector<std::string> a = ByLottery(Seed(1), Refs("a", 4));

  SUBCASE("home district only") {
    const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
    const std::map<std::string, CenterId> expected = {{a[0], 2}, {a[1], 3}, {"b0", 1}};
    CHECK(CenterByRef(engine, record) == expected);
    CHECK(record.tiers[0].eligible == 6u);
    CHECK(record.tiers[0].assigned == 3u);
  }
  SUBCASE("neighbour pairs are ignored under kHomeDistrictOnly") {
    Policy policy;
    policy.neighbours = {{2, 1}};
    Ok(engine.SetPolicy(policy));
    const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
    const std::map<std::string, CenterId> expected = {{a[0], 2}, {a[1], 3}, {"b0", 1}};
    CHECK(CenterByRef(engine, record) == expected);
  }
  SUBCASE("home or neighbour: home centers first, then the neighbour's") {
    Policy policy;
    policy.residence = ResidenceRule::kHomeOrNeighbourDistrict;
    policy.neighbours = {{2, 1}};  // B-A, listed one way: pairs are symmetric
    Ok(engine.SetPolicy(policy));
    const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
    const std::map<std::string, CenterId> expected = {
        {a[0], 2}, {a[1], 3}, {a[2], 1}, {a[3], 1}, {"b0", 1}};
    CHECK(CenterByRef(engine, record) == expected);
    CHECK(record.tiers[0].assigned == 5u);  // c0: C has no neighbour
  }
  SUBCASE("a request naming centers drops the others") {
    DrawRequest request = Request(1, kDay, kDay);
    request.centers = {3};
    const DrawRecord record = Ok(engine.Draw(request));
    const std::map<std::string, CenterId> expected = {{a[0], 3}};
    CHECK(CenterByRef(engine, record) == expected);
    CHECK(record.request.centers == std::vector<CenterId>{3});
  }
}

// The first-dose day of one person under a one-dose vaccine with the given
// age bounds, with a seat on every day of the window; nullopt if not placed.
std::optional<CivilDay> FirstDoseDay(CivilDay birth_day, int age_years_min, int age_years_max,
                                     CivilDay from, CivilDay until) {
  VaccineSpec vaccine = OneDose("aged");
  vaccine.age_years_min = age_years_min;
  vaccine.age_years_max = age_years_max;
  Engine engine = OnePool(vaccine);
  Ok(engine.AddCapacity(FirstSeats(1, 1, from, until, 1)));
  Ok(engine.AddSupply(Supply(1, 1, from, 10)));
  Ok(engine.Register(Person("aged", 1, PriorityGroup::kGroup1, At(2019, 1, 1), birth_day)));
  const DrawRecord record = Ok(engine.Draw(Request(1, from, until, At(2020, 1, 1))));
  if (record.series.empty()) return std::nullopt;
  return Ok(engine.GetSeries(record.series[0])).appointments[0].day;
}

TEST_CASE("age on the first-dose day decides vaccine eligibility") {
  const CivilDay from(2021, 6, 1);
  const CivilDay until(2021, 6, 20);
  // age_years_min 60.
  CHECK(FirstDoseDay(CivilDay(1962, 1, 1), 60, 0, from, until) == std::nullopt);
  CHECK(FirstDoseDay(CivilDay(1961, 6, 10), 60, 0, from, until) == CivilDay(2021, 6, 10));
  CHECK(FirstDoseDay(CivilDay(1961, 6, 20), 60, 0, from, until) == CivilDay(2021, 6, 20));
  CHECK(FirstDoseDay(CivilDay(1961, 6, 21), 60, 0, from, until) == std::nullopt);
  CHECK(FirstDoseDay(CivilDay(1956, 3, 3), 60, 0, from, until) == from);
  // age_years_max 59 ("under 60"): only before the 60th birthday.
  CHECK(FirstDoseDay(CivilDay(1961, 6, 10), 0, 59, from, until) == from);
  CHECK(FirstDoseDay(CivilDay(1961, 6, 10), 0, 59, CivilDay(2021, 6, 9), until) ==
        CivilDay(2021, 6, 9));
  CHECK(FirstDoseDay(CivilDay(1961, 6, 10), 0, 59, CivilDay(2021, 6, 10), until) == std::nullopt);
  // Both bounds: exactly 60.
  CHECK(FirstDoseDay(CivilDay(1961, 6, 10), 60, 60, from, until) == CivilDay(2021, 6, 10));
}

TEST_CASE("someone born on 29 February turns a year older on 1 March in common years") {
  // 2021 is a common year: 61 on 1 March 2021, not on 28 February.
  CHECK(FirstDoseDay(CivilDay(1960, 2, 29), 61, 0, CivilDay(2021, 2, 25), CivilDay(2021, 3, 5)) ==
        CivilDay(2021, 3, 1));
  CHECK(FirstDoseDay(CivilDay(1960, 2, 28), 61, 0, CivilDay(2021, 2, 25), CivilDay(2021, 3, 5)) ==
        CivilDay(2021, 2, 28));
  CHECK(FirstDoseDay(CivilDay(1960, 2, 29), 0, 60, CivilDay(2021, 2, 28), CivilDay(2021, 3, 5)) ==
        CivilDay(2021, 2, 28));
  CHECK(FirstDoseDay(CivilDay(1960, 2, 29), 0, 60, CivilDay(2021, 3, 1), CivilDay(2021, 3, 5)) ==
        std::nullopt);
  // 2024 is a leap year: 64 on 29 February 2024.
  CHECK(FirstDoseDay(CivilDay(1960, 2, 29), 64, 0, CivilDay(2024, 2, 26), CivilDay(2024, 3, 3)) ==
        CivilDay(2024, 2, 29));
}

TEST_CASE("a vaccine preference is honoured") {
  Engine engine;
  Ok(engine.AddDistrict("A", "District A"));
  const VaccineId v1 = Ok(engine.AddVaccine(OneDose("first")));
  const VaccineId v2 = Ok(engine.AddVaccine(OneDose("second")));
  Ok(engine.AddCenter(CenterOf("C", {1})));
  Ok(engine.AddCapacity(FirstSeats(1, v1, kDay, kDay, 1)));
  Ok(engine.AddCapacity(FirstSeats(1, v2, kDay, kDay, 5)));
  Ok(engine.AddSupply(Supply(1, v1, kDay, 100)));
  Ok(engine.AddSupply(Supply(1, v2, kDay, 100)));
  // One person per tier, so the order is known without the lottery.
  RegistrantSpec x = Person("x-any", 1, PriorityGroup::kGroup1);
  RegistrantSpec y = Person("y-first", 1, PriorityGroup::kGroup2);
  y.vaccine_preference = v1;
  RegistrantSpec z = Person("z-second", 1, PriorityGroup::kGroup3);
  z.vaccine_preference = v2;
  RegistrantSpec w = Person("w-any", 1, PriorityGroup::kNone);
  for (const RegistrantSpec& spec : {x, y, z, w}) Ok(engine.Register(spec));

  const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
  std::map<std::string, VaccineId> vaccine_by_ref;
  for (const Series& series : SeriesOf(engine, record)) {
    vaccine_by_ref[RefOf(engine, series.registrant)] = series.vaccine;
  }
  // x takes the lower vaccine id; y wants only that one, now full; z and w get v2.
  const std::map<std::string, VaccineId> expected = {
      {"x-any", v1}, {"z-second", v2}, {"w-any", v2}};
  CHECK(vaccine_by_ref == expected);
  CHECK(WinnerRefs(engine, record) == std::vector<std::string>{"x-any", "z-second", "w-any"});
  CHECK(record.tiers[1].eligible == 1u);
  CHECK(record.tiers[1].assigned == 0u);
}

// ---------------------------------------------------------------------------
// Reserve categories
// ---------------------------------------------------------------------------

// One pool of the two-dose vaccine with `seats` first-dose seats on kDay (one
// slot), as many outside the window on kDay + 1, and second-dose seats.
Engine ReservePool(int seats) {
  Engine engine = OnePool(TwoDose("comirnaty"));
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay + 1, seats)));
  Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 22, seats)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 1000)));
  return engine;
}

Policy ReservePolicy(std::vector<ReserveCategory> reserves) {
  Policy policy;
  policy.reserves = std::move(reserves);
  return policy;
}

std::vector<int> Categories(const Engine& engine, const DrawRecord& record) {
  std::vector<int> categories;
  for (const Series& series : SeriesOf(engine, record)) categories.push_back(series.category);
  return categories;
}

std::vector<int> Repeat(int value, size_t count, std::vector<int> tail = {}) {
  std::vector<int> values(count, value);
  values.insert(values.end(), tail.begin(), tail.end());
  return values;
}

constexpr uint8_t kMaskGroup2 = 1 << 1;
constexpr uint8_t kMaskGroup3 = 1 << 2;

TEST_CASE("a reserve holds floor(share * free first seats in the window / 1000) per pool") {
  // 10 free first-dose seats in the window (another 10 outside it do not count).
  Engine engine = ReservePool(10);
  const std::vector<std::string> group1 = Refs("g1-", 20);
  const std::vector<std::string> group2 = Refs("g2-", 5);
  RegisterAll(engine, group1, 1, PriorityGroup::kGroup1);
  RegisterAll(engine, group2, 1, PriorityGroup::kGroup2);

  int share_permille = 0;
  size_t quota = 0;
  SUBCASE("300 permille of 10: 3") {
    share_permille = 300;
    quota = 3;
  }
  SUBCASE("250 permille of 10: floor(2.5) = 2") {
    share_permille = 250;
    quota = 2;
  }
  SUBCASE("99 permille of 10: 0") {
    share_permille = 99;
    quota = 0;
  }
  REQUIRE(Ok(engine.SetPolicy(ReservePolicy(
              {ReserveCategory{"group 2", share_permille, 0, kMaskGroup2, kNoId}}))) == 2u);
  const DrawRecord record = Ok(engine.Draw(Request(21, kDay, kDay)));
  // The category's people first, up to the quota; then the general pool in
  // tier order, where group 1 takes every seat left.
  CHECK(WinnerRefs(engine, record) == Concat(First(ByLottery(Seed(21), group2), quota),
                                             First(ByLottery(Seed(21), group1), 10 - quota)));
  CHECK(Categories(engine, record) == Repeat(1, quota, Repeat(0, 10 - quota)));
  CHECK(record.tiers[0].eligible == 20u);
  CHECK(record.tiers[0].assigned == 10u - quota);
  CHECK(record.tiers[1].eligible == 5u);
  CHECK(record.tiers[1].assigned == quota);
  CHECK(record.policy_version == 2u);
  for (const Series& series : SeriesOf(engine, record)) {
    CHECK(series.appointments[0].day == kDay);
    CHECK(int{series.tier} == (series.category == 1 ? 2 : 1));
  }
}

TEST_CASE("unused reserve quota spills over to the general pool") {
  Engine engine = ReservePool(10);
  const std::vector<std::string> group1 = Refs("g1-", 10);
  const std::vector<std::string> group2 = Refs("g2-", 2);
  RegisterAll(engine, group1, 1, PriorityGroup::kGroup1);
  RegisterAll(engine, group2, 1, PriorityGroup::kGroup2);
  Ok(engine.SetPolicy(ReservePolicy({ReserveCategory{"group 2", 500, 0, kMaskGroup2, kNoId}})));
  const DrawRecord record = Ok(engine.Draw(Request(22, kDay, kDay)));
  // Quota 5, only two takers: the other three seats go to group 1.
  CHECK(WinnerRefs(engine, record) ==
        Concat(ByLottery(Seed(22), group2), First(ByLottery(Seed(22), group1), 8)));
  CHECK(Categories(engine, record) == Repeat(1, 2, Repeat(0, 8)));
  CHECK(record.tiers[0].assigned == 8u);
  CHECK(record.tiers[1].assigned == 2u);
}

TEST_CASE("reserve categories are processed in order; age is checked on the first-dose day") {
  Engine engine = ReservePool(10);
  const std::vector<std::string> old_group3 = Refs("old3-", 3);
  const std::vector<std::string> old_none = Refs("old-", 5);
  const std::vector<std::string> young = Refs("young-", 10);
  RegisterAll(engine, old_group3, 1, PriorityGroup::kGroup3, CivilDay(1936, 1, 1));
  RegisterAll(engine, old_none, 1, PriorityGroup::kNone, CivilDay(1936, 1, 1));
  RegisterAll(engine, young, 1, PriorityGroup::kGroup1, CivilDay(1971, 1, 1));
  // An 80-year limit that someone reaches one day after the window does not admit.
  Ok(engine.Register(Person("almost-80", 1, PriorityGroup::kNone, kRegistered,
                            CivilDay(1941, 6, 2))));
  Ok(engine.SetPolicy(ReservePolicy({ReserveCategory{"group 3", 200, 0, kMaskGroup3, kNoId},
                                     ReserveCategory{"80+", 300, 80, 0, kNoId}})));
  const DrawRecord record = Ok(engine.Draw(Request(23, kDay, kDay)));

  // Category 1 (quota 2): two of group 3. Category 2 (quota 3): everyone 80+
  // not yet placed, in tier order: the last of group 3, then two of group none.
  const std::vector<std::string> group3_order = ByLottery(Seed(23), old_group3);
  const std::vector<std::string> expected = Concat(
      Concat(group3_order, First(ByLottery(Seed(23), old_none), 2)),
      First(ByLottery(Seed(23), young), 5));
  CHECK(WinnerRefs(engine, record) == expected);
  CHECK(Categories(engine, record) == std::vector<int>{1, 1, 2, 2, 2, 0, 0, 0, 0, 0});
  CHECK(record.tiers[0].eligible == 10u);
  CHECK(record.tiers[0].assigned == 5u);
  CHECK(record.tiers[2].eligible == 3u);
  CHECK(record.tiers[2].assigned == 3u);
  CHECK(record.tiers[3].eligible == 6u);
  CHECK(record.tiers[3].assigned == 2u);
}

TEST_CASE("a reserve restricted to one vaccine holds seats in that vaccine's pools only") {
  Engine engine;
  Ok(engine.AddDistrict("A", "District A"));
  const VaccineId v1 = Ok(engine.AddVaccine(TwoDose("comirnaty")));
  const VaccineId v2 = Ok(engine.AddVaccine(OneDose("jcovden")));
  Ok(engine.AddCenter(CenterOf("C", {1})));
  Ok(engine.AddCapacity(FirstSeats(1, v1, kDay, kDay, 4)));
  Ok(engine.AddCapacity(SecondSeats(1, v1, kDay + 21, kDay + 21, 4)));
  Ok(engine.AddCapacity(FirstSeats(1, v2, kDay, kDay, 4)));
  Ok(engine.AddSupply(Supply(1, v1, kDay, 100)));
  Ok(engine.AddSupply(Supply(1, v2, kDay, 100)));
  const std::vector<std::string> group1 = Refs("g1-", 4);
  const std::vector<std::string> group2 = Refs("g2-", 4);
  RegisterAll(engine, group1, 1, PriorityGroup::kGroup1);
  RegisterAll(engine, group2, 1, PriorityGroup::kGroup2);
  Ok(engine.SetPolicy(ReservePolicy({ReserveCategory{"group 2, v2", 500, 0, kMaskGroup2, v2}})));

  const DrawRecord record = Ok(engine.Draw(Request(24, kDay, kDay)));
  const std::vector<std::string> group2_order = ByLottery(Seed(24), group2);
  // Phase 1: two of group 2 in v2's pool (quota 2 of 4). Phase 2: group 1
  // fills v1 (the lower id), the rest of group 2 takes v2's last two seats.
  CHECK(WinnerRefs(engine, record) ==
        Concat(Concat(First(group2_order, 2), ByLottery(Seed(24), group1)),
               {group2_order[2], group2_order[3]}));
  CHECK(Categories(engine, record) == std::vector<int>{1, 1, 0, 0, 0, 0, 0, 0});
  std::vector<VaccineId> vaccines;
  for (const Series& series : SeriesOf(engine, record)) vaccines.push_back(series.vaccine);
  CHECK(vaccines == std::vector<VaccineId>{v2, v2, v1, v1, v1, v1, v2, v2});
}

TEST_CASE("a reserve quota is per pool and counts the seats free when the draw starts") {
  SUBCASE("two pools, two quotas") {
    Engine engine;
    Ok(engine.AddDistrict("A", "District A"));
    Ok(engine.AddDistrict("B", "District B"));
    Ok(engine.AddVaccine(TwoDose("comirnaty")));
    Ok(engine.AddCenter(CenterOf("CA", {1})));
    Ok(engine.AddCenter(CenterOf("CB", {2})));
    const int seats[] = {10, 5};
    for (CenterId center = 1; center <= 2; ++center) {
      Ok(engine.AddCapacity(FirstSeats(center, 1, kDay, kDay, seats[center - 1])));
      Ok(engine.AddCapacity(SecondSeats(center, 1, kDay + 21, kDay + 21, seats[center - 1])));
      Ok(engine.AddSupply(Supply(center, 1, kDay, 100)));
    }
    const std::vector<std::string> in_a = Refs("a", 5);
    const std::vector<std::string> in_b = Refs("b", 5);
    RegisterAll(engine, in_a, 1, PriorityGroup::kGroup2);
    RegisterAll(engine, in_b, 2, PriorityGroup::kGroup2);
    Ok(engine.SetPolicy(ReservePolicy({ReserveCategory{"group 2", 300, 0, kMaskGroup2, kNoId}})));
    const DrawRecord record = Ok(engine.Draw(Request(25, kDay, kDay)));
    // Quotas: floor(300 * 10 / 1000) = 3 in A's pool, floor(1.5) = 1 in B's.
    std::map<std::string, int> category_by_ref;
    for (const Series& series : SeriesOf(engine, record)) {
      category_by_ref[RefOf(engine, series.registrant)] = series.category;
    }
    REQUIRE(category_by_ref.size() == 10u);
    const std::vector<std::string> a_order = ByLottery(Seed(25), in_a);
    const std::vector<std::string> b_order = ByLottery(Seed(25), in_b);
    for (size_t i = 0; i < 5; ++i) {
      CAPTURE(i);
      CHECK(category_by_ref[a_order[i]] == (i < 3 ? 1 : 0));
      CHECK(category_by_ref[b_order[i]] == (i < 1 ? 1 : 0));
    }
  }
  SUBCASE("seats booked by an earlier draw do not count") {
    Engine engine = ReservePool(10);
    RegisterAll(engine, Refs("early-", 4), 1, PriorityGroup::kGroup1);
    REQUIRE(Ok(engine.Draw(Request(26, kDay, kDay))).series.size() == 4u);

    const std::vector<std::string> group1 = Refs("g1-", 6);
    const std::vector<std::string> group2 = Refs("g2-", 5);
    // Registered after the first draw: time only moves forward past a draw.
    const absl::Time later = kDrawAt + absl::Minutes(30);
    RegisterAll(engine, group1, 1, PriorityGroup::kGroup1, CivilDay(1950, 1, 1), later);
    RegisterAll(engine, group2, 1, PriorityGroup::kGroup2, CivilDay(1950, 1, 1), later);
    Ok(engine.SetPolicy(ReservePolicy({ReserveCategory{"group 2", 500, 0, kMaskGroup2, kNoId}})));
    const DrawRecord record = Ok(engine.Draw(Request(27, kDay, kDay, kDrawAt + absl::Hours(1))));
    // 6 seats free: quota 3, then 3 for group 1.
    CHECK(WinnerRefs(engine, record) == Concat(First(ByLottery(Seed(27), group2), 3),
                                               First(ByLottery(Seed(27), group1), 3)));
    CHECK(Categories(engine, record) == std::vector<int>{1, 1, 1, 0, 0, 0});
    CHECK(record.tiers[0].eligible == 6u);
    CHECK(record.tiers[1].eligible == 5u);
  }
}

// ---------------------------------------------------------------------------
// Reproducibility and the lottery
// ---------------------------------------------------------------------------

// Two districts, a two-dose and a one-dose vaccine, two centers, ten seats
// for 30 people of four groups, some preferring the one-dose vaccine.
Engine ReproCampaign(bool reverse) {
  Engine engine;
  Ok(engine.AddDistrict("A", "District A"));
  Ok(engine.AddDistrict("B", "District B"));
  Ok(engine.AddVaccine(TwoDose("comirnaty")));
  Ok(engine.AddVaccine(OneDose("jcovden")));
  Ok(engine.AddCenter(CenterOf("CA", {1})));
  Ok(engine.AddCenter(CenterOf("CB", {2})));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay + 1, 480, 510, 15, 1, 0)));
  Ok(engine.AddCapacity(Block(1, 2, kDay, kDay, 480, 495, 15, 2, 0)));
  Ok(engine.AddCapacity(Block(2, 1, kDay, kDay + 1, 480, 510, 15, 1, 0)));
  for (CenterId center = 1; center <= 2; ++center) {
    Ok(engine.AddCapacity(Block(center, 1, kDay + 21, kDay + 22, 480, 510, 15, 0, 2)));
    Ok(engine.AddSupply(Supply(center, 1, kDay, 100)));
  }
  Ok(engine.AddSupply(Supply(1, 2, kDay, 100)));
  std::vector<RegistrantSpec> people;
  for (int i = 0; i < 30; ++i) {
    RegistrantSpec spec = Person(absl::StrFormat("r%02d", i), i % 3 == 0 ? 2 : 1,
                                 static_cast<PriorityGroup>(1 + i % 4),
                                 kRegistered + absl::Minutes(i));
    if (i % 5 == 0) spec.vaccine_preference = 2;
    people.push_back(spec);
  }
  if (reverse) std::reverse(people.begin(), people.end());
  for (const RegistrantSpec& spec : people) Ok(engine.Register(spec));
  return engine;
}

TEST_CASE("the same state and seed give the same outcome, whatever the registration order") {
  Engine forward = ReproCampaign(false);
  Engine again = ReproCampaign(false);
  Engine reverse = ReproCampaign(true);
  CHECK(RefOf(forward, 1) == "r00");
  CHECK(RefOf(reverse, 1) == "r29");

  const Prepared<DrawOutcome> prepared_1 = Ok(forward.PrepareDraw(Request(31, kDay, kDay + 1)));
  const Prepared<DrawOutcome> prepared_2 = Ok(forward.PrepareDraw(Request(31, kDay, kDay + 1)));
  const std::vector<std::string> lines = DescribeAll(forward, prepared_1.change.series);
  REQUIRE(lines.size() == 10u);
  CHECK(DescribeAll(forward, prepared_2.change.series) == lines);
  CHECK(prepared_1.change.record.series == prepared_2.change.record.series);
  REQUIRE(prepared_1.change.registrants.size() == 10u);
  for (size_t i = 0; i < 10; ++i) {
    CHECK(prepared_1.change.registrants[i] == prepared_1.change.series[i].registrant);
    CHECK(prepared_1.change.series[i].id == prepared_1.change.record.series[i]);
  }

  // Committed draws in three engines: the first matches the prepared one.
  const DrawRecord record_forward = Ok(forward.Draw(Request(31, kDay, kDay + 1)));
  const DrawRecord record_again = Ok(again.Draw(Request(31, kDay, kDay + 1)));
  const DrawRecord record_reverse = Ok(reverse.Draw(Request(31, kDay, kDay + 1)));
  CHECK(DescribeAll(forward, SeriesOf(forward, record_forward)) == lines);
  CHECK(DescribeAll(again, SeriesOf(again, record_again)) == lines);
  CHECK(DescribeAll(reverse, SeriesOf(reverse, record_reverse)) == lines);
  for (int tier = 0; tier < kTierMax; ++tier) {
    CAPTURE(tier);
    CHECK(record_reverse.tiers[tier].eligible == record_forward.tiers[tier].eligible);
    CHECK(record_reverse.tiers[tier].assigned == record_forward.tiers[tier].assigned);
  }

  // Another seed orders people differently.
  Engine other = ReproCampaign(false);
  const DrawRecord record_other = Ok(other.Draw(Request(32, kDay, kDay + 1)));
  CHECK(WinnerRefs(other, record_other) != WinnerRefs(forward, record_forward));
}

TEST_CASE("within a tier the winners are the smallest lottery numbers, in lottery order") {
  Engine engine = OnePool(OneDose("jcovden"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 555, 15, 1, 0)));  // 5 seats
  Ok(engine.AddSupply(Supply(1, 1, kDay, 100)));
  const std::vector<std::string> refs = Refs("person-", 20);
  RegisterAll(engine, refs, 1, PriorityGroup::kGroup2);
  DrawRequest request = Request(0, kDay, kDay);
  request.seed = DrawSeed{0x0706050403020100u, 0x0f0e0d0c0b0a0908u};  // SipHash's test key
  const DrawRecord record = Ok(engine.Draw(request));

  std::vector<std::pair<uint64_t, std::string>> numbers;
  for (const std::string& ref : refs) numbers.emplace_back(LotteryNumber(request.seed, ref), ref);
  std::sort(numbers.begin(), numbers.end());
  const std::vector<Series> series = SeriesOf(engine, record);
  REQUIRE(series.size() == 5u);
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(RefOf(engine, series[i].registrant) == numbers[i].second);
    CHECK(series[i].appointments[0].minute == 480 + 15 * static_cast<int>(i));
  }
  // The first loser's number is above every winner's.
  CHECK(numbers[4].first < numbers[5].first);
}

TEST_CASE("a large draw, gathered by several threads, keeps the lottery order") {
  Engine engine = OnePool(OneDose("jcovden"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 1200, 15, 2, 0)));  // 96 seats
  Ok(engine.AddSupply(Supply(1, 1, kDay, 1000)));
  const int people = SmallScale() ? 70'000 : 150'000;
  std::vector<RegistrantSpec> specs;
  for (int i = 0; i < people; ++i) {
    specs.push_back(Person("big-" + std::to_string(i), 1, PriorityGroup::kGroup2, kRegistered));
  }
  Ok(engine.RegisterBatch(specs));
  const DrawRecord record = Ok(engine.Draw(Request(4242, kDay, kDay)));
  std::vector<std::pair<uint64_t, std::string>> numbers;
  for (const RegistrantSpec& spec : specs) {
    numbers.emplace_back(LotteryNumber(Seed(4242), spec.external_ref), spec.external_ref);
  }
  std::partial_sort(numbers.begin(), numbers.begin() + 96, numbers.end());
  const std::vector<Series> series = SeriesOf(engine, record);
  REQUIRE(series.size() == 96u);
  for (size_t i = 0; i < series.size(); ++i) {
    CAPTURE(i);
    CHECK(RefOf(engine, series[i].registrant) == numbers[i].second);
  }
  CHECK(record.tiers[1].eligible == static_cast<uint32_t>(people));
}

TEST_CASE("a draw sizes its lists by the seats and doses it can use, not by the seats alone") {
  // 48,000 seats but 1,000 doses: room for 1,000 series, not 48,000 (at 136
  // bytes a series, a state-wide draw short of vaccine would hold hundreds
  // of megabytes for nothing).
  Engine engine = OnePool(OneDose("jcovden"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 1200, 15, 1000, 0)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 1'000)));
  std::vector<RegistrantSpec> specs;
  for (int i = 0; i < 5'000; ++i) {
    specs.push_back(Person("short-" + std::to_string(i), 1, PriorityGroup::kGroup2, kRegistered));
  }
  Ok(engine.RegisterBatch(specs));
  const Prepared<DrawOutcome> prepared = Ok(engine.PrepareDraw(Request(4444, kDay, kDay)));
  CHECK(prepared.change.series.size() == 1'000u);
  CHECK(prepared.change.series.capacity() == 1'000u);
  CHECK(prepared.change.record.series.capacity() == 1'000u);
}

TEST_CASE("a draw applied on two threads keeps every row and counter right") {
  // 48,000 series: above the size from which Apply marks the winners on a
  // second thread while it appends the series.
  Engine engine = OnePool(OneDose("jcovden"));
  Ok(engine.AddCapacity(Block(1, 1, kDay, kDay, 480, 1200, 15, 1000, 0)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 50'000)));
  const int people = 60'000;
  std::vector<RegistrantSpec> specs;
  for (int i = 0; i < people; ++i) {
    specs.push_back(Person("two-" + std::to_string(i), 1,
                           i % 3 == 0 ? PriorityGroup::kGroup1 : PriorityGroup::kGroup2,
                           kRegistered));
  }
  Ok(engine.RegisterBatch(specs));
  const DrawRecord record = Ok(engine.Draw(Request(4343, kDay, kDay)));
  REQUIRE(record.series.size() == 48'000u);
  const Report report = engine.Summarize();
  CHECK(report.scheduled == 48'000u);
  CHECK(report.waiting == 12'000u);
  CHECK(report.waiting_per_tier[0] == 0u);  // all 20,000 of group 1 drawn first
  CHECK(report.waiting_per_tier[1] == 12'000u);
  CHECK(report.series_active == 48'000u);
  for (SeriesId id : {record.series.front(), record.series[20'000], record.series.back()}) {
    const Series series = Ok(engine.GetSeries(id));
    CHECK(Ok(engine.GetRegistrant(series.registrant)).series == id);
  }
  const InvariantReport invariants = CheckInvariants(engine);  // recounts every counter
  CHECK_MESSAGE(invariants.ok(), invariants.ToString());
}

TEST_CASE("invalid draw requests are refused and change nothing") {
  Engine engine = TieredCampaign();
  const uint64_t revision = engine.revision();
  CHECK_CODE(StatusCode::kInvalidArgument, engine.Draw(Request(1, kDay + 1, kDay)));
  CHECK_CODE(StatusCode::kInvalidArgument, engine.Draw(Request(1, kDay, kDay + kCalendarDaysMax)));
  DrawRequest unknown_center = Request(1, kDay, kDay);
  unknown_center.centers = {1, 9};
  CHECK_CODE(StatusCode::kNotFound, engine.Draw(unknown_center));
  CHECK_CODE(StatusCode::kNotFound, engine.PrepareDraw(unknown_center));
  // A center named twice (or 100,000 times) is refused, naming it; the
  // first problem in the list is the one reported.
  DrawRequest twice = Request(1, kDay, kDay);
  twice.centers = {1, 1};
  CHECK_CODE(StatusCode::kInvalidArgument, engine.Draw(twice));
  CHECK(engine.PrepareDraw(twice).status().message() ==
        "draw: center id 1 is listed twice in the request's centers");
  twice.centers.assign(100'000, 1);
  CHECK_CODE(StatusCode::kInvalidArgument, engine.Draw(twice));
  CHECK_CODE(StatusCode::kInvalidArgument,
             engine.CommitDraw(twice, "drand quicknet round 42"));
  twice.centers = {1, 1, 9};
  CHECK_CODE(StatusCode::kInvalidArgument, engine.Draw(twice));
  twice.centers = {9, 1, 1};
  CHECK_CODE(StatusCode::kNotFound, engine.Draw(twice));
  CHECK_CODE(StatusCode::kInvalidArgument,
             engine.Draw(Request(1, kDay, kDay, absl::InfiniteFuture())));
  // A window day in no plausible century: the year limit is the engine's own
  // (1900-2200), not in the headers, so either refusal code will do.
  const absl::Status ancient =
      engine.Draw(Request(1, CivilDay(1800, 1, 1), CivilDay(1800, 1, 2))).status();
  CHECK_MESSAGE((ancient.code() == StatusCode::kInvalidArgument ||
                 ancient.code() == StatusCode::kOutOfRange),
                ancient);
  CHECK(engine.revision() == revision);
  CHECK(engine.draw_count() == 0u);
  CHECK(engine.series_count() == 0u);
  CHECK(engine.Summarize().waiting == 12u);
  CHECK(FirstSlot(engine, 1, 1, kDay).booked_first == 0);

  // A refused request did not use up its seed.
  const DrawRecord record = Ok(engine.Draw(Request(1, kDay, kDay)));
  CHECK(record.series.size() == 6u);
  const uint64_t revision_after = engine.revision();
  // Reusing the seed of a committed draw: refused, also for a different request.
  CHECK_CODE(StatusCode::kAlreadyExists,
             engine.Draw(Request(1, kDay, kDay + 1, kDrawAt + absl::Hours(5))));
  CHECK_CODE(StatusCode::kAlreadyExists, engine.PrepareDraw(Request(1, kDay, kDay)));
  CHECK(engine.revision() == revision_after);
  CHECK(engine.draw_count() == 1u);
  // The same k0 with another k1 is another seed.
  DrawRequest other_half = Request(1, kDay, kDay, kDrawAt + absl::Hours(5));
  other_half.seed.k1 += 1;
  CHECK(Ok(engine.Draw(other_half)).id == 2u);
}

// ---------------------------------------------------------------------------
// Registration time has no influence: chi-square over registration buckets
// ---------------------------------------------------------------------------

constexpr int kBuckets = 10;
constexpr double kChiSquare999With9Df = 27.877;  // 0.999 quantile, 9 degrees of freedom

// Winners per bucket of registration order against a uniform spread.
double ChiSquare(const std::vector<int>& winners_per_bucket, int winners) {
  const double expected = static_cast<double>(winners) / kBuckets;
  double statistic = 0;
  for (int observed : winners_per_bucket) {
    statistic += (observed - expected) * (observed - expected) / expected;
  }
  return statistic;
}

TEST_CASE("winners are spread over registration time as a uniform draw would spread them") {
  const int people = SmallScale() ? 10'000 : 20'000;
  const int seats = people / 4;
  const int bucket_size = people / kBuckets;
  Engine engine = OnePool(TwoDose("comirnaty"));
  Ok(engine.AddCapacity(FirstSeats(1, 1, kDay, kDay, seats)));
  Ok(engine.AddCapacity(SecondSeats(1, 1, kDay + 21, kDay + 21, seats)));
  Ok(engine.AddSupply(Supply(1, 1, kDay, 2 * seats)));
  std::vector<RegistrantSpec> specs;
  specs.reserve(people);
  for (int i = 0; i < people; ++i) {
    specs.push_back(Person(absl::StrFormat("hessen-%06d", i), 1, PriorityGroup::kGroup1,
                           At(2021, 6, 7, 8, 0) + absl::Seconds(i)));
  }
  const std::vector<RegistrantId> ids = Ok(engine.RegisterBatch(specs));
  REQUIRE(ids.size() == static_cast<size_t>(people));
  REQUIRE(ids.front() == 1u);
  REQUIRE(ids.back() == static_cast<RegistrantId>(people));
  // Registration order is id order: bucket k holds ids [k * size + 1, (k + 1) * size].
  auto bucket_of = [&](RegistrantId id) { return static_cast<int>((id - 1) / bucket_size); };

  const int seed_count = SmallScale() ? 3 : 6;
  for (int s = 0; s < seed_count; ++s) {
    CAPTURE(s);
    const DrawRequest request = Request(1000 + s, kDay, kDay, At(2021, 6, 30));
    const Prepared<DrawOutcome> outcome = Ok(engine.PrepareDraw(request));
    REQUIRE(outcome.change.registrants.size() == static_cast<size_t>(seats));
    std::vector<int> winners(kBuckets, 0);
    for (RegistrantId id : outcome.change.registrants) ++winners[bucket_of(id)];
    const double statistic = ChiSquare(winners, seats);
    CAPTURE(statistic);
    CHECK(statistic < kChiSquare999With9Df);
    CHECK(outcome.change.record.tiers[0].eligible == static_cast<uint32_t>(people));
    CHECK(outcome.change.record.tiers[0].assigned == static_cast<uint32_t>(seats));

    if (s == 0) {
      // The winners are exactly the `seats` smallest lottery numbers.
      std::vector<uint64_t> numbers;
      for (const RegistrantSpec& spec : specs) {
        numbers.push_back(LotteryNumber(request.seed, spec.external_ref));
      }
      std::vector<uint64_t> sorted = numbers;
      std::nth_element(sorted.begin(), sorted.begin() + seats, sorted.end());
      const uint64_t first_loser = sorted[seats];
      int winners_above_cut = 0;
      for (RegistrantId id : outcome.change.registrants) {
        if (numbers[id - 1] >= first_loser) ++winners_above_cut;
      }
      CHECK(winners_above_cut == 0);
    }
  }

  // The test can fail: "first come, first served" (the first quarter by
  // registration time) is far from uniform: 6.5 * bucket_size exactly.
  std::vector<int> biased(kBuckets, 0);
  for (RegistrantId id = 1; id <= static_cast<RegistrantId>(seats); ++id) ++biased[bucket_of(id)];
  const double biased_statistic = ChiSquare(biased, seats);
  CHECK(biased_statistic == doctest::Approx(6.5 * bucket_size));
  CHECK(biased_statistic > 100 * kChiSquare999With9Df);
  // So does a milder bias: a quarter of the last bucket's fair share moved
  // to the first bucket (statistic = expected / 8: 62.5, or 31.25 when small).
  std::vector<int> shifted(kBuckets, seats / kBuckets);
  shifted[0] += seats / kBuckets / 4;
  shifted[kBuckets - 1] -= seats / kBuckets / 4;
  CHECK(ChiSquare(shifted, seats) > kChiSquare999With9Df);
}

}  // namespace
}  // namespace vaxalloc
