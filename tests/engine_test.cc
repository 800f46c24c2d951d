// Unit tests of the engine's rules other than the draw algorithm itself
// (docs/draw.md is covered by draw_test.cc): setup validation, capacity,
// supply, policy, registrants, cancellation, the report and the two-phase API.
// Every expected value is exact; every refused call is checked to leave the
// engine as it was.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/types.h"
#include "src/engine_state.h"
#include "src/placement.h"
#include "tests/test_support.h"

namespace vaxalloc {
namespace {

using absl::CivilDay;
using namespace ::vaxalloc::testing;  // NOLINT: the suites' shared builders
using absl::StatusCode;

// What a refused call must leave untouched.
struct Counts {
  uint64_t revision = 0;
  uint32_t districts = 0;
  uint32_t vaccines = 0;
  uint32_t centers = 0;
  uint32_t registrants = 0;
  uint32_t series = 0;
  uint32_t draws = 0;
  size_t capacity_blocks = 0;
  size_t deliveries = 0;
  uint32_t policy_version = 0;
  bool operator==(const Counts&) const = default;
};

Counts CountsOf(const Engine& engine) {
  return Counts{engine.revision(),         engine.district_count(),
                engine.vaccine_count(),    engine.center_count(),
                engine.registrant_count(), engine.series_count(),
                engine.draw_count(),       engine.capacity_blocks().size(),
                engine.deliveries().size(), engine.policy_version()};
}

// The call must fail with `expected_code` and change nothing.
#define CHECK_REFUSED(engine, expected_code, ...)                              \
  do {                                                                         \
    const Counts before_ = CountsOf(engine);                                   \
    const absl::Status status_ = StatusOf(__VA_ARGS__);                        \
    CHECK_MESSAGE(status_.code() == (expected_code), #__VA_ARGS__ " -> ", status_); \
    CHECK_MESSAGE(CountsOf(engine) == before_, "state changed by: " #__VA_ARGS__); \
  } while (0)

DrawRequest Request(uint64_t seed, absl::Time at, CivilDay from, CivilDay until) {
  DrawRequest request;
  request.seed = DrawSeed{seed, 0x5eed};
  request.at = at;
  request.first_dose_from = from;
  request.first_dose_until = until;
  return request;
}

// Asserts success and returns the value (doctest REQUIRE stops the test case).
std::vector<int> Minutes(const std::vector<SlotView>& slots) {
  std::vector<int> minutes;
  for (const SlotView& slot : slots) minutes.push_back(slot.minute);
  return minutes;
}
std::vector<int> BookedFirst(const std::vector<SlotView>& slots) {
  std::vector<int> booked;
  for (const SlotView& slot : slots) booked.push_back(slot.booked_first);
  return booked;
}
std::vector<int> BookedSecond(const std::vector<SlotView>& slots) {
  std::vector<int> booked;
  for (const SlotView& slot : slots) booked.push_back(slot.booked_second);
  return booked;
}

// ---------------------------------------------------------------------------
// Districts, vaccines, centers
// ---------------------------------------------------------------------------

TEST_CASE("a campaign holds at most kVaccinesMax vaccines") {
  Engine engine;
  for (int i = 0; i < kVaccinesMax; ++i) {
    REQUIRE(engine.AddVaccine(OneDose(absl::StrCat("v", i))).ok());
  }
  const absl::Status refused = engine.AddVaccine(OneDose("one-too-many")).status();
  CHECK(refused.code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(refused.message()) == "too many vaccines: a campaign has at most 65535");
  CHECK(engine.vaccine_count() == static_cast<uint32_t>(kVaccinesMax));
}

TEST_CASE("districts get ids 1..n in creation order and are found by code") {
  Engine engine;
  const uint64_t revision_start = engine.revision();
  CHECK(Ok(engine.AddDistrict("06412", "Frankfurt am Main")) == 1u);
  CHECK(engine.revision() == revision_start + 1);
  CHECK(Ok(engine.AddDistrict("06414", "Wiesbaden")) == 2u);
  CHECK(Ok(engine.AddDistrict("06611", "Kassel")) == 3u);
  CHECK(engine.revision() == revision_start + 3);
  CHECK(engine.district_count() == 3u);

  const District wiesbaden = Ok(engine.GetDistrict(2));
  CHECK(wiesbaden.id == 2u);
  CHECK(wiesbaden.code == "06414");
  CHECK(wiesbaden.name == "Wiesbaden");
  CHECK(Ok(engine.FindDistrict("06611")) == 3u);
  CHECK(Ok(engine.FindDistrict("06412")) == 1u);
  CHECK_CODE(StatusCode::kNotFound, engine.FindDistrict("99999"));
  CHECK_CODE(StatusCode::kNotFound, engine.GetDistrict(0));
  CHECK_CODE(StatusCode::kNotFound, engine.GetDistrict(4));
}

TEST_CASE("district codes are unique and codes and names are bounded") {
  Engine engine;
  CHECK(Ok(engine.AddDistrict("06412", "Frankfurt am Main")) == 1u);

  CHECK_REFUSED(engine, StatusCode::kAlreadyExists, engine.AddDistrict("06412", "Offenbach"));
  CHECK(absl::StrContains(engine.AddDistrict("06412", "Offenbach").status().message(), "06412"));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddDistrict("", "No code"));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddDistrict(std::string(kCodeLengthMax + 1, 'c'), "Long code"));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddDistrict("06413", ""));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddDistrict("06413", std::string(kNameLengthMax + 1, 'n')));

  // Exactly at the limits is fine, and the refused calls used no id.
  CHECK(Ok(engine.AddDistrict(std::string(kCodeLengthMax, 'c'),
                              std::string(kNameLengthMax, 'n'))) == 2u);
  CHECK(Ok(engine.GetDistrict(2)).name.size() == size_t{kNameLengthMax});
}

// Issue 20: the offset of a reference in the one buffer holding them all
// was 32 bits; 33,554,433 registrants with 128-byte references overflowed
// it (Apply aborted after the Store had committed). 40 bits now, in the
// row's 40 bytes.
TEST_CASE("a reference's offset has 40 bits, enough for every id's longest reference") {
  internal::RegistrantRow row;
  for (uint64_t offset : {uint64_t{0}, uint64_t{0xffffffff}, uint64_t{1} << 32,
                          (uint64_t{1} << 32) + 129, internal::RegistrantRow::kRefOffsetMax}) {
    row.set_ref_offset(offset);
    CHECK(row.ref_offset() == offset);
  }
  // Opt-in (about 10 GB and a few minutes): the tester's case itself.
  const char* huge = std::getenv("VAXALLOC_TEST_HUGE");
  if (huge == nullptr || std::string_view(huge) != "1") return;
  Engine engine;
  const DistrictId district = Ok(engine.AddDistrict("D", "District"));
  constexpr uint32_t kCount = (uint32_t{1} << 25) + 1;  // 2^32 / 128 + 1
  constexpr uint32_t kBatch = 1 << 20;
  std::vector<RegistrantSpec> batch(kBatch);
  for (uint32_t first = 0; first < kCount; first += kBatch) {
    const uint32_t count = std::min(kBatch, kCount - first);
    batch.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      RegistrantSpec& spec = batch[i];
      spec.external_ref = fmt::format("{:0128d}", first + i);
      spec.district = district;
      spec.birth_day = absl::CivilDay(1960, 1, 1);
      spec.registered_at = absl::FromUnixSeconds(1600000000);
    }
    REQUIRE(engine.RegisterBatch(batch).ok());
  }
  CHECK(engine.registrant_count() == kCount);
  // The last one lies beyond 2^32 bytes and is found by its reference.
  const std::string last = fmt::format("{:0128d}", kCount - 1);
  const RegistrantId id = Ok(engine.FindRegistrant(last));
  CHECK(id == kCount);
  CHECK(Ok(engine.GetRegistrant(id)).spec.external_ref == last);
  CHECK(Ok(engine.GetRegistrant(1)).spec.external_ref == fmt::format("{:0128d}", 0));
}

// Text crosses to C as NUL-terminated UTF-8 and to Python as str: a NUL
// would cut it short, bytes that are not UTF-8 could not be handed out.
TEST_CASE("codes, names and references are UTF-8 without NUL bytes") {
  Engine engine;
  using namespace std::string_literals;
  for (const std::string& bad :
       {"064\0" "12"s, "\xff"s, "Frankfurt \xc3"s, "\xc0\xaf"s /* overlong '/' */,
        "\xe0\x80\xaf"s /* overlong */, "\xed\xa0\x80"s /* a surrogate */,
        "\xf4\x90\x80\x80"s /* above U+10FFFF */, "\xe2\x82"s /* cut short */,
        "a\x80" "b"s /* a lone continuation */}) {
    CAPTURE(absl::CHexEscape(bad));
    const absl::Status name = StatusOf(engine.AddDistrict("06412", bad));
    CHECK(name.code() == StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(name.message(), "name"));
    CHECK(StatusOf(engine.AddDistrict(bad, "Frankfurt")).code() == StatusCode::kInvalidArgument);
  }
  CHECK(absl::StrContains(StatusOf(engine.AddDistrict("064\xff", "x")).message(),
                          "is not UTF-8 (byte 4 of 4: 0xff)"));
  // Every length of sequence, at the edges of its range.
  const std::string good = "Göttingen € \xf0\x9d\x84\x9e \xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf";
  CHECK(Ok(engine.AddDistrict("03159", good)) == 1u);
  CHECK(Ok(engine.GetDistrict(1)).name == good);
  CHECK(engine.revision() == 1u);
}

TEST_CASE("vaccines get ids in order and keep their spec") {
  Engine engine;
  CHECK(Ok(engine.AddVaccine(TwoDose("comirnaty", 21, 21, 42))) == 1u);
  VaccineSpec vector_vaccine = TwoDose("vaxzevria", 63, 84, 84);
  vector_vaccine.age_years_min = 60;
  CHECK(Ok(engine.AddVaccine(vector_vaccine)) == 2u);
  CHECK(Ok(engine.AddVaccine(OneDose("jcovden"))) == 3u);
  CHECK(engine.vaccine_count() == 3u);

  const Vaccine got = Ok(engine.GetVaccine(2));
  CHECK(got.id == 2u);
  CHECK(got.spec.code == "vaxzevria");
  CHECK(got.spec.name == "Vaccine vaxzevria");
  CHECK(got.spec.dose_count == 2);
  CHECK(got.spec.interval_days_min == 63);
  CHECK(got.spec.interval_days_target == 84);
  CHECK(got.spec.interval_days_max == 84);
  CHECK(got.spec.age_years_min == 60);
  CHECK(got.spec.age_years_max == 0);
  CHECK(Ok(engine.GetVaccine(3)).spec.dose_count == 1);
  CHECK(Ok(engine.FindVaccine("jcovden")) == 3u);
  CHECK_CODE(StatusCode::kNotFound, engine.FindVaccine("sputnik"));
  CHECK_CODE(StatusCode::kNotFound, engine.GetVaccine(4));
}

TEST_CASE("vaccine specs that make no sense are refused") {
  Engine engine;
  CHECK(Ok(engine.AddVaccine(TwoDose("comirnaty"))) == 1u);

  CHECK_REFUSED(engine, StatusCode::kAlreadyExists, engine.AddVaccine(TwoDose("comirnaty")));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(TwoDose("")));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddVaccine(TwoDose(std::string(kCodeLengthMax + 1, 'v'))));
  VaccineSpec no_name = TwoDose("noname");
  no_name.name = "";
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(no_name));
  VaccineSpec long_name = TwoDose("longname");
  long_name.name = std::string(kNameLengthMax + 1, 'n');
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(long_name));

  for (int dose_count : {0, 3, -1}) {
    CAPTURE(dose_count);
    VaccineSpec spec = TwoDose("bad-doses");
    spec.dose_count = dose_count;
    CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(spec));
  }
  // min > target, target > max, min < 1, max beyond the limit.
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(TwoDose("v1", 28, 21, 42)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(TwoDose("v2", 21, 43, 42)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(TwoDose("v3", 0, 21, 42)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(TwoDose("v4", -7, 21, 42)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddVaccine(TwoDose("v5", 21, 21, kIntervalDaysMax + 1)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddVaccine(TwoDose("v6", kIntervalDaysMax + 1, kIntervalDaysMax + 1,
                                          kIntervalDaysMax + 1)));

  // Ages: inside 0..kAgeYearsMax, and min <= max when both are set.
  const std::vector<std::pair<int, int>> bad_ages = {
      {-1, 0}, {0, -1}, {kAgeYearsMax + 1, 0}, {0, kAgeYearsMax + 1}, {60, 59}, {18, 17}};
  for (const std::pair<int, int>& ages : bad_ages) {
    const int age_min = ages.first;  // no structured binding: CAPTURE's lambda takes it (clang 14)
    const int age_max = ages.second;
    CAPTURE(age_min);
    CAPTURE(age_max);
    VaccineSpec spec = TwoDose("bad-age");
    spec.age_years_min = age_min;
    spec.age_years_max = age_max;
    CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddVaccine(spec));
  }
  CHECK(engine.vaccine_count() == 1u);

  // The edges that are fine, each given the next id.
  CHECK(Ok(engine.AddVaccine(TwoDose("ok-1", 1, 1, 1))) == 2u);
  CHECK(Ok(engine.AddVaccine(TwoDose("ok-365", 21, kIntervalDaysMax, kIntervalDaysMax))) == 3u);
  VaccineSpec age_band = TwoDose("ok-age-band");
  age_band.age_years_min = 60;
  age_band.age_years_max = 60;
  CHECK(Ok(engine.AddVaccine(age_band)) == 4u);
  VaccineSpec under_60 = TwoDose("ok-under-60");
  under_60.age_years_max = 59;
  CHECK(Ok(engine.AddVaccine(under_60)) == 5u);
  VaccineSpec oldest = TwoDose("ok-oldest");
  oldest.age_years_min = kAgeYearsMax;
  CHECK(Ok(engine.AddVaccine(oldest)) == 6u);
  VaccineSpec longest = TwoDose(std::string(kCodeLengthMax, 'v'));
  longest.name = std::string(kNameLengthMax, 'n');
  CHECK(Ok(engine.AddVaccine(longest)) == 7u);
  // Intervals are ignored for a single-dose vaccine (types.h), so not checked.
  VaccineSpec single = OneDose("ok-single");
  single.interval_days_min = 0;
  single.interval_days_target = 0;
  single.interval_days_max = 0;
  CHECK(Ok(engine.AddVaccine(single)) == 8u);
}

TEST_CASE("centers: ids, districts and validation") {
  Engine engine;
  CHECK(Ok(engine.AddDistrict("06412", "Frankfurt am Main")) == 1u);
  CHECK(Ok(engine.AddDistrict("06414", "Wiesbaden")) == 2u);

  CHECK(Ok(engine.AddCenter(CenterOf("FFM", {1}))) == 1u);
  CHECK(Ok(engine.AddCenter(CenterOf("WI", {2, 1}))) == 2u);
  CHECK(engine.center_count() == 2u);
  const Center wiesbaden = Ok(engine.GetCenter(2));
  CHECK(wiesbaden.id == 2u);
  CHECK(wiesbaden.spec.code == "WI");
  CHECK(wiesbaden.spec.name == "Impfzentrum WI");
  std::vector<DistrictId> districts = wiesbaden.spec.districts;
  std::sort(districts.begin(), districts.end());
  CHECK(districts == std::vector<DistrictId>{1, 2});
  CHECK(Ok(engine.FindCenter("WI")) == 2u);
  CHECK_CODE(StatusCode::kNotFound, engine.FindCenter("KS"));
  CHECK_CODE(StatusCode::kNotFound, engine.GetCenter(3));

  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.AddCenter(CenterOf("KS", {1, 9})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCenter(CenterOf("KS", {})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCenter(CenterOf("KS", {2, 1, 2})));
  CHECK_REFUSED(engine, StatusCode::kAlreadyExists, engine.AddCenter(CenterOf("FFM", {2})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCenter(CenterOf("", {1})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddCenter(CenterOf(std::string(kCodeLengthMax + 1, 'c'), {1})));
  CenterSpec no_name = CenterOf("KS", {1});
  no_name.name = "";
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCenter(no_name));
  CenterSpec long_name = CenterOf("KS", {1});
  long_name.name = std::string(kNameLengthMax + 1, 'n');
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCenter(long_name));

  CHECK(Ok(engine.AddCenter(CenterOf("KS", {2}))) == 3u);
}

TEST_CASE("a center serves at most kDistrictsPerCenterMax districts") {
  Engine engine;
  std::vector<DistrictId> districts;
  for (int i = 0; i <= kDistrictsPerCenterMax; ++i) {
    districts.push_back(Ok(engine.AddDistrict(absl::StrCat("d", i), absl::StrCat("District ", i))));
  }
  REQUIRE(districts.size() == size_t{kDistrictsPerCenterMax} + 1);
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCenter(CenterOf("BIG", districts)));
  districts.pop_back();
  CHECK(Ok(engine.AddCenter(CenterOf("BIG", districts))) == 1u);
}

// ---------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------

// One district, a two-dose vaccine (id 1, 21/21/42), a one-dose vaccine
// (id 2) and one center (id 1).
Engine SetupEngine() {
  Engine engine;
  Ok(engine.AddDistrict("06412", "Frankfurt am Main"));
  Ok(engine.AddVaccine(TwoDose("comirnaty", 21, 21, 42)));
  Ok(engine.AddVaccine(OneDose("jcovden")));
  Ok(engine.AddCenter(CenterOf("FFM", {1})));
  return engine;
}

TEST_CASE("a capacity block expands to slots with exact minutes and seats") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  const uint64_t revision_before = engine.revision();
  Ok(engine.AddCapacity(Block(1, 1, day, day, 8 * 60, 9 * 60, 15, 3, 2)));
  CHECK(engine.revision() == revision_before + 1);

  const std::vector<SlotView> slots = engine.Slots(1, 1, day);
  REQUIRE(slots.size() == 4u);
  CHECK(Minutes(slots) == std::vector<int>{480, 495, 510, 525});
  for (const SlotView& slot : slots) {
    CHECK(slot.day == day);
    CHECK(slot.seats_first == 3);
    CHECK(slot.seats_second == 2);
    CHECK(slot.booked_first == 0);
    CHECK(slot.booked_second == 0);
  }
  CHECK(engine.Slots(1, 1, day + 1).empty());
  CHECK(engine.Slots(1, 1, day - 1).empty());
  CHECK(engine.Slots(1, 2, day).empty());  // another vaccine's pool

  REQUIRE(engine.capacity_blocks().size() == 1u);
  CHECK(engine.capacity_blocks()[0].close_minute == 9 * 60);
  CHECK(engine.capacity_blocks()[0].seats_first == 3);

  // A whole day in slots of the longest length.
  Ok(engine.AddCapacity(Block(1, 1, day + 1, day + 1, 0, 1440, kSlotMinutesMax, 1, 1)));
  CHECK(Minutes(engine.Slots(1, 1, day + 1)) == std::vector<int>{0, 240, 480, 720, 960, 1200});
  // Slots of one minute.
  Ok(engine.AddCapacity(Block(1, 1, day + 2, day + 2, 600, 603, kSlotMinutesMin, 1, 0)));
  CHECK(Minutes(engine.Slots(1, 1, day + 2)) == std::vector<int>{600, 601, 602});
  // A slot must end by closing time: 08:00-08:50 in 20-minute slots is two.
  Ok(engine.AddCapacity(Block(1, 1, day + 3, day + 3, 480, 530, 20, 1, 1)));
  CHECK(Minutes(engine.Slots(1, 1, day + 3)) == std::vector<int>{480, 500});
}

TEST_CASE("a capacity block opens only on its weekdays (bit 0 is Monday)") {
  Engine engine = SetupEngine();
  const CivilDay monday(2021, 5, 3);
  REQUIRE(absl::GetWeekday(monday) == absl::Weekday::monday);
  Ok(engine.AddCapacity(Block(1, 1, monday, monday + 6, 600, 630, 30, 1, 1,
                              kMonday | kWednesday | kSunday)));
  const std::vector<bool> open_expected = {true, false, true, false, false, false, true};
  for (int offset = 0; offset < 7; ++offset) {
    CAPTURE(offset);
    const std::vector<SlotView> slots = engine.Slots(1, 1, monday + offset);
    CHECK(!slots.empty() == open_expected[offset]);
    if (!slots.empty()) CHECK(Minutes(slots) == std::vector<int>{600});
  }
  // Saturday alone, over two weeks: two days.
  Ok(engine.AddCapacity(Block(1, 2, monday, monday + 13, 600, 630, 30, 4, 0, kSaturday)));
  for (int offset = 0; offset < 14; ++offset) {
    CAPTURE(offset);
    CHECK(engine.Slots(1, 2, monday + offset).size() == ((offset == 5 || offset == 12) ? 1u : 0u));
  }
}

TEST_CASE("overlapping capacity blocks add their seats") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  Ok(engine.AddCapacity(Block(1, 1, day, day, 8 * 60, 10 * 60, 15, 2, 1)));
  Ok(engine.AddCapacity(Block(1, 1, day, day + 1, 9 * 60, 11 * 60, 15, 1, 3)));

  const std::vector<SlotView> slots = engine.Slots(1, 1, day);
  REQUIRE(slots.size() == 12u);
  for (size_t i = 0; i < slots.size(); ++i) {
    CAPTURE(i);
    CHECK(slots[i].minute == 480 + 15 * static_cast<int>(i));
    const int seats_first_expected = i < 4 ? 2 : (i < 8 ? 3 : 1);
    const int seats_second_expected = i < 4 ? 1 : (i < 8 ? 4 : 3);
    CHECK(slots[i].seats_first == seats_first_expected);
    CHECK(slots[i].seats_second == seats_second_expected);
  }
  const std::vector<SlotView> next_day = engine.Slots(1, 1, day + 1);
  REQUIRE(next_day.size() == 8u);
  CHECK(next_day.front().minute == 540);
  CHECK(next_day.front().seats_first == 1);
  CHECK(next_day.front().seats_second == 3);
  REQUIRE(engine.capacity_blocks().size() == 2u);
  CHECK(engine.capacity_blocks()[1].open_minute == 9 * 60);
  CHECK(engine.capacity_blocks()[1].last_day == day + 1);
}

TEST_CASE("summed seats of overlapping blocks are never wrapped around") {
  // Each block is at the per-block limit; the sum exceeds 16 bits. Whether the
  // engine refuses a block that would overfill a slot is open; what it keeps
  // must be exact.
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  int accepted = 0;
  for (int i = 0; i < 7; ++i) {
    const absl::Status status =
        engine.AddCapacity(Block(1, 1, day, day, 480, 495, 15, kSeatsPerSlotMax, 0));
    if (status.ok()) {
      ++accepted;
    } else {
      CHECK_MESSAGE(status.code() == StatusCode::kInvalidArgument, status);
    }
  }
  const std::vector<SlotView> slots = engine.Slots(1, 1, day);
  REQUIRE(slots.size() == 1u);
  CHECK(slots[0].seats_first == kSeatsPerSlotMax * accepted);
}

TEST_CASE("capacity blocks that make no sense are refused") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);  // a Tuesday
  const CapacityBlock valid = Block(1, 1, day, day + 4, 480, 720, 15, 5, 5);

  auto with = [&](auto change) {
    CapacityBlock block = valid;
    change(block);
    return block;
  };
  const std::vector<std::pair<const char*, CapacityBlock>> invalid = {
      {"last_day < first_day", with([&](CapacityBlock& b) { b.last_day = day - 1; })},
      {"close == open", with([](CapacityBlock& b) { b.close_minute = b.open_minute; })},
      {"close < open", with([](CapacityBlock& b) { b.close_minute = 400; })},
      {"open < 0", with([](CapacityBlock& b) { b.open_minute = -15; })},
      {"close > 1440", with([](CapacityBlock& b) { b.close_minute = 1441; })},
      {"open > 1440", with([](CapacityBlock& b) { b.open_minute = 1445; b.close_minute = 1460; })},
      {"slot_minutes 0", with([](CapacityBlock& b) { b.slot_minutes = 0; })},
      {"slot_minutes < 0", with([](CapacityBlock& b) { b.slot_minutes = -15; })},
      {"slot_minutes > max", with([](CapacityBlock& b) { b.slot_minutes = kSlotMinutesMax + 1; })},
      {"no whole slot", with([](CapacityBlock& b) { b.close_minute = b.open_minute + 10; })},
      {"seats_first < 0", with([](CapacityBlock& b) { b.seats_first = -1; })},
      {"seats_second < 0", with([](CapacityBlock& b) { b.seats_second = -1; })},
      {"seats_first > max", with([](CapacityBlock& b) { b.seats_first = kSeatsPerSlotMax + 1; })},
      {"seats_second > max",
       with([](CapacityBlock& b) { b.seats_second = kSeatsPerSlotMax + 1; })},
      {"no seats", with([](CapacityBlock& b) { b.seats_first = b.seats_second = 0; })},
      {"no weekday", with([](CapacityBlock& b) { b.weekdays = 0; })},
      {"weekday outside the days", with([](CapacityBlock& b) { b.weekdays = kMonday; })},
      {"too many days",
       with([&](CapacityBlock& b) { b.last_day = day + kCapacityBlockDaysMax; })},
      {"second seats, one-dose vaccine", with([](CapacityBlock& b) {
         b.vaccine = 2;
         b.seats_second = 1;
       })},
  };
  for (const auto& what_block : invalid) {
    // Named references: CAPTURE's lambda takes no structured binding (clang 14).
    const auto& what = what_block.first;
    const auto& block = what_block.second;
    CAPTURE(what);
    CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddCapacity(block));
  }
  CHECK_REFUSED(engine, StatusCode::kNotFound,
                engine.AddCapacity(with([](CapacityBlock& b) { b.center = 9; })));
  CHECK_REFUSED(engine, StatusCode::kNotFound,
                engine.AddCapacity(with([](CapacityBlock& b) { b.vaccine = 9; })));
  CHECK(engine.Slots(1, 1, day).empty());
  CHECK(engine.Slots(1, 2, day).empty());

  // The limits themselves are fine.
  Ok(engine.AddCapacity(with([&](CapacityBlock& b) {
    b.last_day = day + (kCapacityBlockDaysMax - 1);
    b.open_minute = 0;
    b.close_minute = kSlotMinutesMax;
    b.slot_minutes = kSlotMinutesMax;
    b.seats_first = kSeatsPerSlotMax;
    b.seats_second = kSeatsPerSlotMax;
  })));
  CHECK(engine.Slots(1, 1, day + (kCapacityBlockDaysMax - 1)).size() == 1u);
  CHECK(engine.Slots(1, 1, day + kCapacityBlockDaysMax).empty());
  Ok(engine.AddCapacity(with([](CapacityBlock& b) {  // one-dose, first seats only
    b.vaccine = 2;
    b.seats_second = 0;
  })));
  // A second-dose-only block for a two-dose vaccine.
  Ok(engine.AddCapacity(with([](CapacityBlock& b) { b.seats_first = 0; })));
  CHECK(engine.capacity_blocks().size() == 3u);
}

TEST_CASE("a pool's calendar spans at most kCalendarDaysMax days") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 1, 1);
  Ok(engine.AddCapacity(Block(1, 1, day, day, 480, 495, 15, 1, 1)));
  Ok(engine.AddCapacity(Block(1, 1, day + (kCalendarDaysMax - 1), day + (kCalendarDaysMax - 1),
                              480, 495, 15, 1, 1)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddCapacity(Block(1, 1, day + kCalendarDaysMax, day + kCalendarDaysMax,
                                         480, 495, 15, 1, 1)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddCapacity(Block(1, 1, day - 1, day - 1, 480, 495, 15, 1, 1)));
}

// ---------------------------------------------------------------------------
// CheckSecondDoseCapacity
// ---------------------------------------------------------------------------

TEST_CASE("CheckSecondDoseCapacity reports first-dose days without second-dose seats") {
  Engine engine = SetupEngine();  // vaccine 1: interval 21..42 days
  const CivilDay day(2021, 6, 1);
  CHECK(engine.CheckSecondDoseCapacity().empty());

  // 10 first-dose seats on `day`; the one-dose vaccine needs no second dose.
  Ok(engine.AddCapacity(Block(1, 1, day, day, 480, 510, 15, 5, 0)));
  Ok(engine.AddCapacity(Block(1, 2, day, day, 480, 510, 15, 5, 0)));
  auto check_single = [&](int64_t seats_second_in_window) {
    const std::vector<SecondDoseShortfall> shortfalls = engine.CheckSecondDoseCapacity();
    REQUIRE(shortfalls.size() == 1u);
    CHECK(shortfalls[0].center == 1u);
    CHECK(shortfalls[0].vaccine == 1u);
    CHECK(shortfalls[0].day == day);
    CHECK(shortfalls[0].seats_first == 10);
    CHECK(shortfalls[0].seats_second_in_window == seats_second_in_window);
  };
  check_single(0);
  // Second-dose seats one day too early and one day too late do not count.
  Ok(engine.AddCapacity(Block(1, 1, day + 20, day + 20, 480, 495, 15, 0, 4)));
  Ok(engine.AddCapacity(Block(1, 1, day + 43, day + 43, 480, 495, 15, 0, 4)));
  check_single(0);
  // The window's first day (+21) and last day (+42) do.
  Ok(engine.AddCapacity(Block(1, 1, day + 21, day + 21, 480, 495, 15, 0, 4)));
  check_single(4);
  Ok(engine.AddCapacity(Block(1, 1, day + 42, day + 42, 480, 495, 15, 0, 5)));
  check_single(9);
  Ok(engine.AddCapacity(Block(1, 1, day + 42, day + 42, 495, 510, 15, 0, 1)));
  CHECK(engine.CheckSecondDoseCapacity().empty());
}

TEST_CASE("CheckSecondDoseCapacity: a well-formed calendar reports nothing") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  // A week of 10 first doses a day and, three weeks later, a week of 10 second doses.
  Ok(engine.AddCapacity(Block(1, 1, day, day + 6, 480, 490, 10, 10, 0)));
  Ok(engine.AddCapacity(Block(1, 1, day + 21, day + 27, 480, 490, 10, 0, 10)));
  CHECK(engine.CheckSecondDoseCapacity().empty());

  // Two first-dose days, one second-dose day at day + 21: enough for `day`,
  // but day + 1's window [day + 22, day + 43] misses it.
  Engine tight = SetupEngine();
  Ok(tight.AddCapacity(Block(1, 1, day, day + 1, 480, 490, 10, 10, 0)));
  Ok(tight.AddCapacity(Block(1, 1, day + 21, day + 21, 480, 490, 10, 0, 10)));
  const std::vector<SecondDoseShortfall> shortfalls = tight.CheckSecondDoseCapacity();
  REQUIRE(shortfalls.size() == 1u);
  CHECK(shortfalls[0].day == day + 1);
  CHECK(shortfalls[0].seats_first == 10);
  CHECK(shortfalls[0].seats_second_in_window == 0);
}

// ---------------------------------------------------------------------------
// Supply
// ---------------------------------------------------------------------------

TEST_CASE("supply deliveries are validated") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.AddSupply(Supply(9, 1, day, 100)));
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.AddSupply(Supply(1, 9, day, 100)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddSupply(Supply(1, 1, day, 0)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.AddSupply(Supply(1, 1, day, -5)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddSupply(Supply(1, 1, day, kDosesPerDeliveryMax + 1)));

  const uint64_t revision_before = engine.revision();
  Ok(engine.AddSupply(Supply(1, 1, day, kDosesPerDeliveryMax)));
  Ok(engine.AddSupply(Supply(1, 2, day + 3, 1)));
  CHECK(engine.revision() == revision_before + 2);
  REQUIRE(engine.deliveries().size() == 2u);
  CHECK(engine.deliveries()[0].doses == kDosesPerDeliveryMax);
  CHECK(engine.deliveries()[1].center == 1u);
  CHECK(engine.deliveries()[1].vaccine == 2u);
  CHECK(engine.deliveries()[1].day == day + 3);
  CHECK(engine.deliveries()[1].doses == 1);
}

TEST_CASE("DosesAvailableFrom is the smallest slack from a day on") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  // One-dose vaccine: 5 seats a day for ten days, 10 doses arriving on day 3.
  Ok(engine.AddCapacity(Block(1, 2, day, day + 9, 480, 495, 15, 5, 0)));
  Ok(engine.AddSupply(Supply(1, 2, day + 2, 10)));
  CHECK(engine.DosesAvailableFrom(1, 2, day) == 0);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 1) == 0);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 2) == 10);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 9) == 10);

  for (int i = 0; i < 3; ++i) {
    Ok(engine.Register(Person(absl::StrCat("p", i), 1, PriorityGroup::kGroup1, At(2021, 5, 20))));
  }
  const DrawRecord record = Ok(engine.Draw(Request(1, At(2021, 5, 31), day, day + 9)));
  REQUIRE(record.series.size() == 3u);
  for (SeriesId id : record.series) {
    // The doses only arrive on day 3: nobody is booked before.
    CHECK(Ok(engine.GetSeries(id)).appointments[0].day == day + 2);
  }
  CHECK(engine.DosesAvailableFrom(1, 2, day) == 0);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 2) == 7);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 9) == 7);

  Ok(engine.AddSupply(Supply(1, 2, day + 7, 5)));
  CHECK(engine.DosesAvailableFrom(1, 2, day + 2) == 7);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 6) == 7);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 7) == 12);
  CHECK(engine.DosesAvailableFrom(1, 2, day + 9) == 12);
  // The two-dose vaccine's pool got nothing.
  CHECK(engine.DosesAvailableFrom(1, 1, day + 2) == 0);
}

// ---------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------

TEST_CASE("the default policy is version 1 and SetPolicy numbers versions 2, 3, ...") {
  Engine engine = SetupEngine();
  Ok(engine.AddDistrict("06414", "Wiesbaden"));
  CHECK(engine.policy_version() == 1u);
  CHECK(engine.policy().tier_rules.empty());
  CHECK(engine.policy().reserves.empty());
  CHECK(engine.policy().neighbours.empty());
  CHECK(engine.policy().residence == ResidenceRule::kHomeDistrictOnly);
  const PolicyVersion first = Ok(engine.GetPolicy(1));
  CHECK(first.version == 1u);
  CHECK(first.policy.tier_rules.empty());
  CHECK_CODE(StatusCode::kNotFound, engine.GetPolicy(2));

  Policy neighbourly;
  neighbourly.residence = ResidenceRule::kHomeOrNeighbourDistrict;
  neighbourly.neighbours = {{1, 2}};
  const uint64_t revision_before = engine.revision();
  CHECK(Ok(engine.SetPolicy(neighbourly)) == 2u);
  CHECK(engine.revision() == revision_before + 1);
  CHECK(engine.policy_version() == 2u);
  CHECK(engine.policy().residence == ResidenceRule::kHomeOrNeighbourDistrict);

  Policy hessen;
  hessen.tier_rules = {TierRule{At(2021, 6, 7), {1, 2, 3, 4}},
                       TierRule{absl::InfiniteFuture(), {4, 4, 4, 4}}};
  hessen.reserves = {ReserveCategory{"over-80", 300, 80, 0, kNoId}};
  CHECK(Ok(engine.SetPolicy(hessen)) == 3u);
  CHECK(engine.policy_version() == 3u);

  const PolicyVersion second = Ok(engine.GetPolicy(2));
  CHECK(second.version == 2u);
  CHECK(second.policy.residence == ResidenceRule::kHomeOrNeighbourDistrict);
  REQUIRE(second.policy.neighbours.size() == 1u);
  CHECK(second.policy.neighbours[0] == std::pair<DistrictId, DistrictId>{1, 2});
  const PolicyVersion third = Ok(engine.GetPolicy(3));
  REQUIRE(third.policy.tier_rules.size() == 2u);
  CHECK(third.policy.tier_rules[0].registered_before == At(2021, 6, 7));
  CHECK(third.policy.tier_rules[1].tier_by_group[0] == 4);
  REQUIRE(third.policy.reserves.size() == 1u);
  CHECK(third.policy.reserves[0].name == "over-80");
  CHECK(third.policy.reserves[0].share_permille == 300);
  CHECK(third.policy.reserves[0].age_years_min == 80);
  CHECK(third.policy.residence == ResidenceRule::kHomeDistrictOnly);
  // The old versions are unchanged.
  CHECK(Ok(engine.GetPolicy(1)).policy.tier_rules.empty());
}

TEST_CASE("policies that make no sense are refused") {
  Engine engine = SetupEngine();
  Ok(engine.AddDistrict("06414", "Wiesbaden"));
  const absl::Time june_1 = At(2021, 6, 1);
  const absl::Time june_7 = At(2021, 6, 7);

  auto tiers = [](std::vector<TierRule> rules) {
    Policy policy;
    policy.tier_rules = std::move(rules);
    return policy;
  };
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(tiers({TierRule{june_7, {1, 2, 3, 4}},
                                        TierRule{june_1, {1, 2, 3, 4}}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(tiers({TierRule{june_7, {1, 2, 3, 4}},
                                        TierRule{june_7, {4, 4, 4, 4}}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(tiers({TierRule{june_7, {0, 2, 3, 4}}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(tiers({TierRule{june_7, {1, 2, 3, kTierMax + 1}}})));
  CHECK(engine.policy_version() == 1u);

  auto reserves = [](std::vector<ReserveCategory> categories) {
    Policy policy;
    policy.reserves = std::move(categories);
    return policy;
  };
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{"negative", -1, 0, 0, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{"too much", 1001, 0, 0, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{"a", 600, 0, 0, kNoId},
                                           ReserveCategory{"b", 401, 0, 0, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kNotFound,
                engine.SetPolicy(reserves({ReserveCategory{"unknown vaccine", 100, 0, 0, 9}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{"age", 100, -1, 0, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(
                    reserves({ReserveCategory{"age", 100, kAgeYearsMax + 1, 0, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{"", 100, 0, 0, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{std::string(kNameLengthMax + 1, 'n'),
                                                           100, 0, 0, kNoId}})));
  // group_mask has one bit per priority group (4); a higher bit names none.
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(reserves({ReserveCategory{"mask", 100, 0, 0x10, kNoId}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.SetPolicy(tiers({TierRule{absl::InfinitePast(), {1, 2, 3, 4}}})));
  Policy unknown_residence;
  unknown_residence.residence = static_cast<ResidenceRule>(2);
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(unknown_residence));
  std::vector<ReserveCategory> too_many;
  for (int i = 0; i <= kReserveCategoriesMax; ++i) {
    too_many.push_back(ReserveCategory{absl::StrCat("c", i), 10, 0, 0, kNoId});
  }
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(reserves(too_many)));

  auto neighbours = [](std::vector<std::pair<DistrictId, DistrictId>> pairs) {
    Policy policy;
    policy.residence = ResidenceRule::kHomeOrNeighbourDistrict;
    policy.neighbours = std::move(pairs);
    return policy;
  };
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.SetPolicy(neighbours({{1, 9}})));
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.SetPolicy(neighbours({{9, 1}})));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(neighbours({{2, 2}})));
  CHECK(engine.policy_version() == 1u);

  // The edges that are fine.
  CHECK(Ok(engine.SetPolicy(tiers({TierRule{june_1, {kTierMax, 1, 1, 1}},
                                   TierRule{june_7, {1, 2, 3, 4}}}))) == 2u);
  CHECK(Ok(engine.SetPolicy(reserves({ReserveCategory{"a", 600, 0, 0, 1},
                                      ReserveCategory{"b", 400, kAgeYearsMax, 0, kNoId}}))) == 3u);
  too_many.pop_back();
  CHECK(Ok(engine.SetPolicy(reserves(too_many))) == 4u);
  CHECK(Ok(engine.SetPolicy(reserves({ReserveCategory{"all", 1000, 0, 0x0f, kNoId}}))) == 5u);
  CHECK(Ok(engine.SetPolicy(neighbours({{2, 1}}))) == 6u);
}

TEST_CASE("TierOf under the Hessen cut-off of 7 June") {
  Engine engine = SetupEngine();
  const RegistrantId group1_late_6_june =
      Ok(engine.Register(Person("g1-0606", 1, PriorityGroup::kGroup1, At(2021, 6, 6, 23, 59))));
  const RegistrantId group1_7_june =
      Ok(engine.Register(Person("g1-0706", 1, PriorityGroup::kGroup1, At(2021, 6, 7, 0, 0))));
  const RegistrantId group3_early =
      Ok(engine.Register(Person("g3-0601", 1, PriorityGroup::kGroup3, At(2021, 6, 1, 10, 0))));
  const RegistrantId none_early =
      Ok(engine.Register(Person("none-0601", 1, PriorityGroup::kNone, At(2021, 6, 1, 10, 0))));
  const RegistrantId group2_late =
      Ok(engine.Register(Person("g2-0806", 1, PriorityGroup::kGroup2, At(2021, 6, 8, 9, 0))));

  // Default policy: the tier is the group.
  CHECK(Ok(engine.TierOf(group1_late_6_june)) == 1);
  CHECK(Ok(engine.TierOf(group1_7_june)) == 1);
  CHECK(Ok(engine.TierOf(group3_early)) == 3);
  CHECK(Ok(engine.TierOf(none_early)) == 4);
  CHECK(Ok(engine.TierOf(group2_late)) == 2);

  Policy hessen;
  hessen.tier_rules = {TierRule{At(2021, 6, 7), {1, 2, 3, 4}},
                       TierRule{absl::InfiniteFuture(), {4, 4, 4, 4}}};
  REQUIRE(Ok(engine.SetPolicy(hessen)) == 2u);
  CHECK(Ok(engine.TierOf(group1_late_6_june)) == 1);
  CHECK(Ok(engine.TierOf(group1_7_june)) == 4);
  CHECK(Ok(engine.TierOf(group3_early)) == 3);
  CHECK(Ok(engine.TierOf(none_early)) == 4);
  CHECK(Ok(engine.TierOf(group2_late)) == 4);
  // Earlier versions still answer by their own rules.
  CHECK(Ok(engine.TierOf(group1_7_june, 1)) == 1);
  CHECK(Ok(engine.TierOf(group1_7_june, 2)) == 4);
  CHECK_CODE(StatusCode::kNotFound, engine.TierOf(group1_7_june, 3));
  CHECK_CODE(StatusCode::kNotFound, engine.TierOf(99));

  // A registration after every rule's bound has its group number as tier.
  Policy bounded;
  bounded.tier_rules = {TierRule{At(2021, 6, 7), {2, 2, 2, 2}}};
  REQUIRE(Ok(engine.SetPolicy(bounded)) == 3u);
  CHECK(Ok(engine.TierOf(group1_late_6_june)) == 2);
  CHECK(Ok(engine.TierOf(none_early)) == 2);
  CHECK(Ok(engine.TierOf(group1_7_june)) == 1);
  CHECK(Ok(engine.TierOf(group2_late)) == 2);
}

// ---------------------------------------------------------------------------
// Registrants
// ---------------------------------------------------------------------------

TEST_CASE("Register assigns ids and keeps the registrant waiting since registration") {
  Engine engine = SetupEngine();
  RegistrantSpec anna = Person("ref-anna", 1, PriorityGroup::kGroup2, At(2021, 6, 1, 9, 30),
                               CivilDay(1950, 4, 17));
  anna.channel = Channel::kPhone;
  anna.vaccine_preference = 2;
  const uint64_t revision_before = engine.revision();
  CHECK(Ok(engine.Register(anna)) == 1u);
  CHECK(engine.revision() == revision_before + 1);
  CHECK(Ok(engine.Register(Person("ref-bert", 1, PriorityGroup::kNone, At(2021, 6, 1, 9, 31)))) ==
        2u);
  CHECK(engine.registrant_count() == 2u);

  const Registrant got = Ok(engine.GetRegistrant(1));
  CHECK(got.id == 1u);
  CHECK(got.spec.external_ref == "ref-anna");
  CHECK(got.spec.district == 1u);
  CHECK(got.spec.birth_day == CivilDay(1950, 4, 17));
  CHECK(got.spec.group == PriorityGroup::kGroup2);
  CHECK(got.spec.channel == Channel::kPhone);
  CHECK(got.spec.registered_at == At(2021, 6, 1, 9, 30));
  CHECK(got.spec.vaccine_preference == 2u);
  CHECK(got.status == RegistrantStatus::kWaiting);
  CHECK(got.waiting_since == At(2021, 6, 1, 9, 30));
  CHECK(got.series == kNoId);

  CHECK(Ok(engine.FindRegistrant("ref-bert")) == 2u);
  CHECK(Ok(engine.FindRegistrant("ref-anna")) == 1u);
  CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant("ref-carl"));
  CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant(""));
  CHECK_CODE(StatusCode::kNotFound, engine.GetRegistrant(3));
  CHECK_CODE(StatusCode::kNotFound, engine.GetRegistrant(0));
}

TEST_CASE("Register refuses duplicates, unknown districts and vaccines and bad references") {
  Engine engine = SetupEngine();
  const absl::Time at = At(2021, 6, 1);
  CHECK(Ok(engine.Register(Person("ref-anna", 1, PriorityGroup::kGroup1, at))) == 1u);

  CHECK_REFUSED(engine, StatusCode::kAlreadyExists,
                engine.Register(Person("ref-anna", 1, PriorityGroup::kGroup3, at)));
  CHECK(absl::StrContains(
      engine.Register(Person("ref-anna", 1, PriorityGroup::kGroup3, at)).status().message(),
      "ref-anna"));
  CHECK_REFUSED(engine, StatusCode::kNotFound,
                engine.Register(Person("ref-bert", 7, PriorityGroup::kGroup1, at)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.Register(Person("", 1, PriorityGroup::kGroup1, at)));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.Register(Person(std::string(kExternalRefLengthMax + 1, 'r'), 1,
                                       PriorityGroup::kGroup1, at)));
  RegistrantSpec unknown_vaccine = Person("ref-carl", 1, PriorityGroup::kGroup1, at);
  unknown_vaccine.vaccine_preference = 3;
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.Register(unknown_vaccine));
  CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant("ref-carl"));

  // Enum values outside their range and infinite times.
  for (int group : {0, kPriorityGroupCount + 1}) {
    CAPTURE(group);
    CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                  engine.Register(Person("ref-dora", 1, static_cast<PriorityGroup>(group), at)));
  }
  RegistrantSpec bad_channel = Person("ref-dora", 1, PriorityGroup::kGroup1, at);
  bad_channel.channel = static_cast<Channel>(2);
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.Register(bad_channel));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.Register(Person("ref-dora", 1, PriorityGroup::kGroup1,
                                       absl::InfiniteFuture())));
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.Register(Person("ref-dora", 1, PriorityGroup::kGroup1,
                                       absl::InfinitePast())));
  // A birth day in no plausible century: the limit is the engine's own
  // (1900-2200), not in types.h, so either refusal code will do.
  {
    const Counts before = CountsOf(engine);
    RegistrantSpec ancient = Person("ref-dora", 1, PriorityGroup::kGroup1, at);
    ancient.birth_day = CivilDay(1800, 1, 1);
    const absl::Status status = engine.Register(ancient).status();
    CHECK_MESSAGE((status.code() == StatusCode::kInvalidArgument ||
                   status.code() == StatusCode::kOutOfRange),
                  status);
    CHECK(CountsOf(engine) == before);
  }

  const std::string longest(kExternalRefLengthMax, 'r');
  CHECK(Ok(engine.Register(Person(longest, 1, PriorityGroup::kGroup1, at))) == 2u);
  CHECK(Ok(engine.FindRegistrant(longest)) == 2u);
}

TEST_CASE("RegisterBatch is all or nothing and names the bad entry") {
  Engine engine = SetupEngine();
  const absl::Time at = At(2021, 6, 1);
  CHECK(Ok(engine.Register(Person("existing", 1, PriorityGroup::kGroup1, at))) == 1u);

  auto batch = [&](std::vector<std::string> refs) {
    std::vector<RegistrantSpec> specs;
    for (std::string& ref : refs) {
      specs.push_back(Person(std::move(ref), 1, PriorityGroup::kGroup2, at));
    }
    return specs;
  };

  SUBCASE("a bad entry in the middle registers nobody; the error names its index") {
    std::vector<RegistrantSpec> specs = batch({"ra", "rb", "rc", "rd", "re", "rf"});
    specs[4].district = 77;
    const Counts before = CountsOf(engine);
    const auto result = engine.RegisterBatch(specs);
    CHECK_MESSAGE(result.status().code() == StatusCode::kNotFound, result.status());
    // Indices count from 0, as in the span: 4, not 5.
    CHECK_MESSAGE(absl::StrContains(result.status().message(), "4"), result.status());
    CHECK_MESSAGE(!absl::StrContains(result.status().message(), "5"), result.status());
    CHECK(CountsOf(engine) == before);
    for (const char* ref : {"ra", "rb", "rc", "rd", "re", "rf"}) {
      CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant(ref));
    }
  }
  SUBCASE("an invalid reference in the middle registers nobody") {
    std::vector<RegistrantSpec> specs = batch({"ra", "rb", "", "rd"});
    CHECK_REFUSED(engine, StatusCode::kInvalidArgument, engine.RegisterBatch(specs));
    CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant("ra"));
  }
  SUBCASE("a reference twice inside the batch") {
    const std::vector<RegistrantSpec> specs = batch({"ra", "dup-ref", "rc", "dup-ref"});
    const Counts before = CountsOf(engine);
    const auto result = engine.RegisterBatch(specs);
    CHECK_MESSAGE(result.status().code() == StatusCode::kAlreadyExists, result.status());
    CHECK_MESSAGE(absl::StrContains(result.status().message(), "dup-ref"), result.status());
    CHECK(CountsOf(engine) == before);
  }
  SUBCASE("a reference already registered") {
    const std::vector<RegistrantSpec> specs = batch({"ra", "rb", "existing"});
    const Counts before = CountsOf(engine);
    const auto result = engine.RegisterBatch(specs);
    CHECK_MESSAGE(result.status().code() == StatusCode::kAlreadyExists, result.status());
    CHECK_MESSAGE(absl::StrContains(result.status().message(), "existing"), result.status());
    CHECK(CountsOf(engine) == before);
    CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant("ra"));
  }
  SUBCASE("a good batch gets consecutive ids") {
    const uint64_t revision_before = engine.revision();
    const std::vector<RegistrantId> ids = Ok(engine.RegisterBatch(batch({"ra", "rb", "rc"})));
    CHECK(ids == std::vector<RegistrantId>{2, 3, 4});
    CHECK(engine.revision() == revision_before + 1);
    CHECK(engine.registrant_count() == 4u);
    CHECK(Ok(engine.FindRegistrant("rc")) == 4u);
    CHECK(Ok(engine.GetRegistrant(3)).spec.external_ref == "rb");
    CHECK(Ok(engine.GetRegistrant(3)).status == RegistrantStatus::kWaiting);
  }
}

// ---------------------------------------------------------------------------
// Cancel and Withdraw
// ---------------------------------------------------------------------------

// SetupEngine plus four first-dose seats on 1 June (08:00-09:00), four
// second-dose seats on 22 June, 10 doses on 1 June, three people booked.
struct BookedCampaign {
  Engine engine = SetupEngine();
  CivilDay first_day{2021, 6, 1};
  CivilDay second_day{2021, 6, 22};
  DrawRecord record;
};

void Book(BookedCampaign& campaign) {
  Engine& engine = campaign.engine;
  Ok(engine.AddCapacity(Block(1, 1, campaign.first_day, campaign.first_day, 480, 540, 15, 1, 0)));
  Ok(engine.AddCapacity(
      Block(1, 1, campaign.second_day, campaign.second_day, 480, 540, 15, 0, 1)));
  Ok(engine.AddSupply(Supply(1, 1, campaign.first_day, 10)));
  for (const char* ref : {"p1", "p2", "p3"}) {
    Ok(engine.Register(Person(ref, 1, PriorityGroup::kGroup1, At(2021, 5, 20))));
  }
  campaign.record = Ok(engine.Draw(
      Request(1, At(2021, 5, 31, 12, 0), campaign.first_day, campaign.first_day)));
}

TEST_CASE("CancelSeries returns seats and doses and puts the registrant back on the list") {
  BookedCampaign campaign;
  Book(campaign);
  Engine& engine = campaign.engine;
  REQUIRE(campaign.record.series == std::vector<SeriesId>{1, 2, 3});
  CHECK(BookedFirst(engine.Slots(1, 1, campaign.first_day)) == std::vector<int>{1, 1, 1, 0});
  CHECK(BookedSecond(engine.Slots(1, 1, campaign.second_day)) == std::vector<int>{1, 1, 1, 0});
  CHECK(engine.DosesAvailableFrom(1, 1, campaign.first_day) == 4);

  const Series before = Ok(engine.GetSeries(2));
  CHECK(before.status == SeriesStatus::kActive);
  CHECK(before.appointments[0].minute == 495);  // the second placed takes the second slot
  CHECK(before.appointments[1].day == campaign.second_day);
  CHECK(before.appointments[1].minute == 495);
  const RegistrantId registrant = before.registrant;
  CHECK(Ok(engine.GetRegistrant(registrant)).status == RegistrantStatus::kScheduled);
  CHECK(Ok(engine.GetRegistrant(registrant)).series == 2u);

  const absl::Time cancelled_at = At(2021, 5, 31, 18, 0);
  const uint64_t revision_before = engine.revision();
  Ok(engine.CancelSeries(2, cancelled_at));
  CHECK(engine.revision() == revision_before + 1);
  const Series after = Ok(engine.GetSeries(2));
  CHECK(after.status == SeriesStatus::kCancelled);
  CHECK(after.registrant == registrant);
  const Registrant waiting = Ok(engine.GetRegistrant(registrant));
  CHECK(waiting.status == RegistrantStatus::kWaiting);
  CHECK(waiting.waiting_since == cancelled_at);
  CHECK(waiting.series == kNoId);
  CHECK(BookedFirst(engine.Slots(1, 1, campaign.first_day)) == std::vector<int>{1, 0, 1, 0});
  CHECK(BookedSecond(engine.Slots(1, 1, campaign.second_day)) == std::vector<int>{1, 0, 1, 0});
  CHECK(engine.DosesAvailableFrom(1, 1, campaign.first_day) == 6);
  CHECK(engine.series_count() == 3u);  // series are never deleted

  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.CancelSeries(2, At(2021, 5, 31, 19, 0)));
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.CancelSeries(99, At(2021, 5, 31, 19, 0)));
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.CancelSeries(0, At(2021, 5, 31, 19, 0)));
  CHECK(Ok(engine.GetRegistrant(registrant)).waiting_since == cancelled_at);
}

TEST_CASE("Withdraw cancels the active series and removes the registrant for good") {
  BookedCampaign campaign;
  Book(campaign);
  Engine& engine = campaign.engine;
  const Series first = Ok(engine.GetSeries(1));
  const RegistrantId scheduled = first.registrant;

  Ok(engine.Withdraw(scheduled, At(2021, 5, 31, 18, 0)));
  const Registrant withdrawn = Ok(engine.GetRegistrant(scheduled));
  CHECK(withdrawn.status == RegistrantStatus::kWithdrawn);
  CHECK(withdrawn.series == kNoId);
  CHECK(Ok(engine.GetSeries(1)).status == SeriesStatus::kCancelled);
  CHECK(BookedFirst(engine.Slots(1, 1, campaign.first_day)) == std::vector<int>{0, 1, 1, 0});
  CHECK(engine.DosesAvailableFrom(1, 1, campaign.first_day) == 6);

  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.Withdraw(scheduled, At(2021, 5, 31, 19, 0)));
  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.CancelSeries(1, At(2021, 5, 31, 19, 0)));
  CHECK_REFUSED(engine, StatusCode::kNotFound, engine.Withdraw(99, At(2021, 5, 31, 19, 0)));

  // A waiting registrant withdraws: no series is touched.
  const RegistrantId second = Ok(engine.GetSeries(2)).registrant;
  Ok(engine.CancelSeries(2, At(2021, 5, 31, 18, 30)));
  Ok(engine.Withdraw(second, At(2021, 5, 31, 19, 0)));
  CHECK(Ok(engine.GetRegistrant(second)).status == RegistrantStatus::kWithdrawn);
  CHECK(engine.Summarize().series_cancelled == 2u);

  // Withdrawn people never take part in a draw, even with seats to spare.
  const DrawRecord empty_draw =
      Ok(engine.Draw(Request(2, At(2021, 5, 31, 20, 0), campaign.first_day, campaign.first_day)));
  CHECK(empty_draw.series.empty());
  CHECK(empty_draw.tiers[0].eligible == 0u);
  CHECK(empty_draw.tiers[0].assigned == 0u);

  // A newcomer of the worst tier takes part; the withdrawn still do not.
  const RegistrantId newcomer =
      Ok(engine.Register(Person("p4", 1, PriorityGroup::kNone, At(2021, 5, 31, 20, 30))));
  const DrawRecord next_draw =
      Ok(engine.Draw(Request(3, At(2021, 5, 31, 21, 0), campaign.first_day, campaign.first_day)));
  REQUIRE(next_draw.series.size() == 1u);
  CHECK(Ok(engine.GetSeries(next_draw.series[0])).registrant == newcomer);
  CHECK(next_draw.tiers[0].eligible == 0u);
  CHECK(next_draw.tiers[3].eligible == 1u);
  CHECK(next_draw.tiers[3].assigned == 1u);
  CHECK(Ok(engine.GetRegistrant(scheduled)).status == RegistrantStatus::kWithdrawn);
  CHECK(Ok(engine.GetRegistrant(second)).status == RegistrantStatus::kWithdrawn);
}

// ---------------------------------------------------------------------------
// Summarize
// ---------------------------------------------------------------------------

TEST_CASE("Summarize counts a small campaign exactly") {
  Engine engine;
  const DistrictId a = Ok(engine.AddDistrict("A", "District A"));
  const DistrictId b = Ok(engine.AddDistrict("B", "District B"));
  const DistrictId c = Ok(engine.AddDistrict("C", "District C"));
  const VaccineId vaccine = Ok(engine.AddVaccine(TwoDose("comirnaty", 21, 21, 42)));
  const CenterId center_1 = Ok(engine.AddCenter(CenterOf("C1", {a})));
  const CenterId center_2 = Ok(engine.AddCenter(CenterOf("C2", {b, c})));
  const CivilDay day(2021, 6, 1);
  // C1: 4 first seats, 4 second seats, 6 doses (3 series). C2: 4 and 4, 100 doses.
  Ok(engine.AddCapacity(Block(center_1, vaccine, day, day, 480, 540, 15, 1, 0)));
  Ok(engine.AddCapacity(Block(center_1, vaccine, day + 21, day + 21, 480, 540, 15, 0, 1)));
  Ok(engine.AddCapacity(Block(center_2, vaccine, day, day, 480, 510, 15, 2, 0)));
  Ok(engine.AddCapacity(Block(center_2, vaccine, day + 21, day + 21, 480, 510, 15, 0, 2)));
  Ok(engine.AddSupply(Supply(center_1, vaccine, day, 6)));
  Ok(engine.AddSupply(Supply(center_2, vaccine, day, 100)));

  const absl::Time registered = At(2021, 5, 20);
  for (int i = 1; i <= 5; ++i) {
    Ok(engine.Register(Person(absl::StrCat("a", i), a, PriorityGroup::kGroup1, registered)));
  }
  Ok(engine.Register(Person("b1", b, PriorityGroup::kGroup2, registered)));
  const RegistrantId c1 = Ok(engine.Register(Person("c1", c, PriorityGroup::kNone, registered)));
  const RegistrantId c2 = Ok(engine.Register(Person("c2", c, PriorityGroup::kGroup3, registered)));

  Report report = engine.Summarize();
  CHECK(report.registrants == 8u);
  CHECK(report.waiting == 8u);
  CHECK(report.waiting_per_tier[0] == 5u);
  CHECK(report.waiting_per_tier[1] == 1u);
  CHECK(report.waiting_per_tier[2] == 1u);
  CHECK(report.waiting_per_tier[3] == 1u);
  REQUIRE(report.centers.size() == 2u);
  CHECK(report.centers[0].seats_first_free == 4u);
  CHECK(report.centers[0].residents_waiting == 5u);
  CHECK(report.centers[1].residents_waiting == 3u);
  CHECK(report.centers[1].doses_delivered == 100);
  CHECK(report.centers[1].doses_reserved == 0);

  const DrawRecord record = Ok(engine.Draw(Request(7, At(2021, 5, 31), day, day)));
  REQUIRE(record.series.size() == 6u);  // three in C1 (doses), three in C2 (everyone)
  CHECK(record.tiers[0].eligible == 5u);
  CHECK(record.tiers[0].assigned == 3u);
  CHECK(Ok(engine.GetRegistrant(c2)).status == RegistrantStatus::kScheduled);

  // Cancel one of C1's series, withdraw c1 (scheduled in C2), register d1 in C.
  SeriesId c1_series = kNoId;
  SeriesId a_series = kNoId;
  for (SeriesId id : record.series) {
    const Series series = Ok(engine.GetSeries(id));
    if (series.registrant == c1) c1_series = id;
    if (series.center == center_1 && a_series == kNoId) a_series = id;
  }
  REQUIRE(c1_series != kNoId);
  REQUIRE(a_series != kNoId);
  Ok(engine.CancelSeries(a_series, At(2021, 5, 31, 10, 0)));
  Ok(engine.Withdraw(c1, At(2021, 5, 31, 11, 0)));
  Ok(engine.Register(Person("d1", c, PriorityGroup::kGroup2, At(2021, 5, 31, 12, 0))));
  CHECK(Ok(engine.GetSeries(c1_series)).status == SeriesStatus::kCancelled);

  report = engine.Summarize();
  CHECK(report.registrants == 9u);
  CHECK(report.waiting == 4u);    // two of A never placed, one cancelled, d1
  CHECK(report.scheduled == 4u);  // two of A, b1, c2
  CHECK(report.withdrawn == 1u);  // c1
  CHECK(report.waiting_per_tier[0] == 3u);
  CHECK(report.waiting_per_tier[1] == 1u);
  for (int tier = 3; tier <= kTierMax; ++tier) CHECK(report.waiting_per_tier[tier - 1] == 0u);
  CHECK(report.series_active == 4u);
  CHECK(report.series_cancelled == 2u);
  CHECK(report.draws == 1u);
  REQUIRE(report.centers.size() == 2u);
  const CenterReport& r1 = report.centers[0];
  CHECK(r1.center == center_1);
  CHECK(r1.series_active == 2u);
  CHECK(r1.seats_first_free == 2u);
  CHECK(r1.doses_delivered == 6);
  CHECK(r1.doses_reserved == 4);
  CHECK(r1.residents_waiting == 3u);
  const CenterReport& r2 = report.centers[1];
  CHECK(r2.center == center_2);
  CHECK(r2.series_active == 2u);
  CHECK(r2.seats_first_free == 2u);
  CHECK(r2.doses_delivered == 100);
  CHECK(r2.doses_reserved == 4);
  CHECK(r2.residents_waiting == 1u);
}

// ---------------------------------------------------------------------------
// The two-phase API
// ---------------------------------------------------------------------------

TEST_CASE("Prepare alone changes nothing; Apply makes exactly the prepared change") {
  Engine engine = SetupEngine();
  const CivilDay day(2021, 6, 1);
  const Counts start = CountsOf(engine);

  const Prepared<District> district = Ok(engine.PrepareAddDistrict("06414", "Wiesbaden"));
  CHECK(district.revision == engine.revision());
  CHECK(district.change.id == 2u);
  CHECK(district.change.code == "06414");
  const auto vaccine = Ok(engine.PrepareAddVaccine(TwoDose("spikevax", 28, 28, 42)));
  CHECK(vaccine.change.id == 3u);
  const auto center = Ok(engine.PrepareAddCenter(CenterOf("OF", {1})));
  CHECK(center.change.id == 2u);
  Ok(engine.PrepareAddCapacity(Block(1, 1, day, day, 480, 540, 15, 1, 0)));
  Ok(engine.PrepareAddSupply(Supply(1, 1, day, 10)));
  const auto policy = Ok(engine.PrepareSetPolicy(Policy{}));
  CHECK(policy.change.version == 2u);
  const RegistrantSpec anna = Person("anna", 1, PriorityGroup::kGroup1, At(2021, 5, 20));
  const auto registrants = Ok(engine.PrepareRegister({&anna, 1}));
  REQUIRE(registrants.change.size() == 1u);
  CHECK(registrants.change[0].id == 1u);
  CHECK(registrants.change[0].spec.external_ref == "anna");

  CHECK(CountsOf(engine) == start);
  CHECK_CODE(StatusCode::kNotFound, engine.FindDistrict("06414"));
  CHECK_CODE(StatusCode::kNotFound, engine.FindVaccine("spikevax"));
  CHECK_CODE(StatusCode::kNotFound, engine.FindRegistrant("anna"));
  CHECK(engine.Slots(1, 1, day).empty());
  CHECK(engine.policy_version() == 1u);
  // A refused Prepare is the same refusal as the one-call form.
  CHECK_REFUSED(engine, StatusCode::kAlreadyExists, engine.PrepareAddDistrict("06412", "Again"));

  engine.Apply(district);
  CHECK(engine.revision() == start.revision + 1);
  CHECK(Ok(engine.FindDistrict("06414")) == 2u);
  CHECK(Ok(engine.GetDistrict(2)).name == "Wiesbaden");

  // Set up bookings, then prepare a draw, a cancellation and a withdrawal.
  Ok(engine.AddCapacity(Block(1, 1, day, day, 480, 540, 15, 1, 0)));
  Ok(engine.AddCapacity(Block(1, 1, day + 21, day + 21, 480, 540, 15, 0, 1)));
  Ok(engine.AddSupply(Supply(1, 1, day, 10)));
  Ok(engine.Register(anna));
  Ok(engine.Register(Person("bert", 1, PriorityGroup::kGroup1, At(2021, 5, 20))));
  const Counts before_draw = CountsOf(engine);
  const Prepared<DrawOutcome> draw =
      Ok(engine.PrepareDraw(Request(1, At(2021, 5, 31), day, day)));
  REQUIRE(draw.change.series.size() == 2u);
  CHECK(draw.change.record.id == 1u);
  CHECK(draw.change.record.series == std::vector<SeriesId>{1, 2});
  CHECK(draw.change.registrants.size() == 2u);
  CHECK(CountsOf(engine) == before_draw);
  CHECK(BookedFirst(engine.Slots(1, 1, day)) == std::vector<int>{0, 0, 0, 0});
  CHECK(Ok(engine.GetRegistrant(1)).status == RegistrantStatus::kWaiting);

  engine.Apply(draw);
  CHECK(engine.revision() == before_draw.revision + 1);
  CHECK(engine.series_count() == 2u);
  CHECK(engine.draw_count() == 1u);
  CHECK(BookedFirst(engine.Slots(1, 1, day)) == std::vector<int>{1, 1, 0, 0});
  const Series applied = Ok(engine.GetSeries(1));
  CHECK(applied.registrant == draw.change.series[0].registrant);
  CHECK(applied.appointments[0].minute == draw.change.series[0].appointments[0].minute);

  const Counts before_cancel = CountsOf(engine);
  const Prepared<Cancellation> cancel = Ok(engine.PrepareCancelSeries(1, At(2021, 6, 1)));
  CHECK(cancel.change.series == 1u);
  CHECK(cancel.change.registrant == applied.registrant);
  CHECK(!cancel.change.withdraw);
  const Prepared<Cancellation> withdraw =
      Ok(engine.PrepareWithdraw(applied.registrant, At(2021, 6, 1)));
  CHECK(withdraw.change.withdraw);
  CHECK(withdraw.change.series == 1u);
  CHECK(CountsOf(engine) == before_cancel);
  CHECK(Ok(engine.GetSeries(1)).status == SeriesStatus::kActive);
  CHECK(Ok(engine.GetRegistrant(applied.registrant)).status == RegistrantStatus::kScheduled);

  engine.Apply(withdraw);
  CHECK(engine.revision() == before_cancel.revision + 1);
  CHECK(Ok(engine.GetSeries(1)).status == SeriesStatus::kCancelled);
  CHECK(Ok(engine.GetRegistrant(applied.registrant)).status == RegistrantStatus::kWithdrawn);
}

TEST_CASE("time only moves forward past a draw") {
  BookedCampaign campaign;
  Book(campaign);
  Engine& engine = campaign.engine;
  const absl::Time draw_at = campaign.record.request.at;
  const absl::Time later = draw_at + absl::Seconds(1);
  // A change stamped at or before the draw would rewrite who took part in it.
  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.Register(Person("late-but-backdated", 1, PriorityGroup::kGroup1, draw_at)));
  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition, engine.CancelSeries(1, draw_at));
  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.Withdraw(Ok(engine.GetSeries(1)).registrant, draw_at - absl::Hours(1)));
  // A later draw may share the instant (another set of centers), not precede it.
  CHECK_REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.Draw(Request(777, draw_at - absl::Seconds(1), campaign.first_day,
                                    campaign.first_day)));
  Ok(engine.Register(Person("on-time", 1, PriorityGroup::kGroup1, later)));
  Ok(engine.Draw(Request(778, draw_at, campaign.first_day, campaign.first_day)));
  // Nor may a draw precede a change already made: the cancellation's seat
  // was not free yet at the draw's instant (issue 19).
  Ok(engine.CancelSeries(1, later));
  CHECK(engine.latest_change() == later);
  const absl::Status backdated =
      StatusOf(engine.Draw(Request(779, later - absl::Microseconds(1), campaign.first_day,
                                   campaign.first_day)));
  CHECK(backdated.code() == StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(absl::StrContains(backdated.message(), "before the latest change"), backdated);
  CHECK_MESSAGE(absl::StrContains(backdated.message(),
                                  absl::FormatTime(later, absl::UTCTimeZone())),
                backdated);
  Ok(engine.Draw(Request(780, later, campaign.first_day, campaign.first_day)));
}

TEST_CASE("times outside the supported years and overflowing opening hours are refused") {
  BookedCampaign campaign;
  Book(campaign);
  Engine& engine = campaign.engine;
  // Far instants would saturate to the infinities in microseconds and stick
  // the campaign behind an "infinite" draw.
  const absl::Time far = absl::FromUnixSeconds(10'000'000'000'000);
  CHECK_REFUSED(engine, StatusCode::kOutOfRange,
                engine.Register(Person("far-future", 1, PriorityGroup::kGroup1, far)));
  CHECK_REFUSED(engine, StatusCode::kOutOfRange, engine.CancelSeries(1, far));
  CHECK_REFUSED(engine, StatusCode::kOutOfRange,
                engine.Draw(Request(991, far, campaign.first_day, campaign.first_day)));
  Policy policy;
  policy.tier_rules.push_back(TierRule{far, {1, 2, 3, 4}});
  CHECK_REFUSED(engine, StatusCode::kOutOfRange, engine.SetPolicy(policy));
  // open + slot would overflow int: each bound is checked on its own first.
  CHECK_REFUSED(engine, StatusCode::kInvalidArgument,
                engine.AddCapacity(Block(1, 1, campaign.first_day, campaign.first_day,
                                         std::numeric_limits<int>::max() - 5, 1200, 15, 1, 1)));
}

TEST_CASE("the engine's day conversion agrees with absl's over the supported years and beyond") {
  const absl::CivilDay epoch(1970, 1, 1);
  for (int64_t days = -800'000; days <= 800'000; days += 3) {
    REQUIRE(internal::CivilDayFromDays(days) == epoch + days);
  }
  CHECK(internal::CivilDayFromDays(11'016) == absl::CivilDay(2000, 2, 29));
  CHECK(internal::CivilDayFromDays(-1) == absl::CivilDay(1969, 12, 31));
}

TEST_CASE("a draw's slack tree agrees with plain arrays under any bookings") {
  std::mt19937_64 random(7);  // specified by the standard: the same sequence everywhere
  auto below = [&random](uint64_t bound) { return static_cast<size_t>(random() % bound); };
  for (size_t days : {1, 2, 3, 5, 8, 13, 64, 100, 150, 257}) {
    std::vector<int64_t> slack(days);
    for (int64_t& value : slack) value = static_cast<int64_t>(below(30)) - 5;
    internal::SlackTree tree(slack);
    for (int step = 0; step < 300; ++step) {
      const size_t from = below(days);
      const int64_t delta = step % 7 == 0 ? 1 : -static_cast<int64_t>(1 + below(2));
      tree.AddFrom(from, delta);
      for (size_t i = from; i < days; ++i) slack[i] += delta;
      for (size_t i = 0; i < days; ++i) {
        REQUIRE(tree.SuffixMin(i) == *std::min_element(slack.begin() + i, slack.end()));
      }
      const size_t a = below(days);
      const size_t b = a + 1 + below(days - a);
      REQUIRE(tree.Min(a, b) == *std::min_element(slack.begin() + a, slack.begin() + b));
    }
  }
}

}  // namespace
}  // namespace vaxalloc
