// The booking flows of docs/booking.md: scheduled releases, holds,
// short-notice booking (swaps included), local time, attendance, rebooking a
// missed second dose, cancellation and withdrawal with holds, the reports,
// the standby list, verification codes, and every bad input. CheckInvariants runs after every step
// that changes the engine; every refused call is checked to leave the engine as it was.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

using absl::CivilDay;
using absl::StatusCode;
using namespace ::vaxalloc::testing;  // NOLINT: the suites' shared builders

const CivilDay kDay(2021, 6, 7);  // a Monday: "today" in most cases
const int kEight = 8 * 60;        // the first slot of the default capacity

// An instant on a civil day, UTC (unless a test sets a time zone).
absl::Time On(CivilDay day, int hour, int minute = 0, int second = 0) {
  return absl::FromCivil(
      absl::CivilSecond(day.year(), day.month(), day.day(), hour, minute, second),
      absl::UTCTimeZone());
}

void CheckAll(const Engine& engine) {
  const InvariantReport report = CheckInvariants(engine);
  REQUIRE_MESSAGE(report.ok(), report.ToString());
}

// Everything a refused call could have changed.
std::string Digest(const Engine& engine) {
  const Report report = engine.Summarize();
  std::string text = absl::StrCat(
      "rev ", engine.revision(), " registrants ", engine.registrant_count(), " series ",
      engine.series_count(), " draws ", engine.draw_count(), " releases ", engine.release_count(),
      " holds ", engine.hold_count(), " policy ", engine.policy_version(), " waiting ",
      report.waiting, " scheduled ", report.scheduled, " vaccinated ", report.vaccinated,
      " withdrawn ", report.withdrawn, " active ", report.series_active, " held ",
      report.series_held, " cancelled ", report.series_cancelled, " completed ",
      report.series_completed, " missed ", report.series_missed, " given ", report.doses_given,
      " no-shows ", report.doses_missed);
  for (const CenterReport& center : report.centers) {
    absl::StrAppend(&text, " | ", center.center, ":", center.series_active, ",",
                    center.seats_first_free, ",", center.doses_reserved);
  }
  for (SeriesId id = 1; id <= engine.series_count(); ++id) {
    const Series series = *engine.GetSeries(id);
    absl::StrAppend(&text, " s", id, ":", static_cast<int>(series.status), ":",
                    static_cast<int>(series.doses[0]), static_cast<int>(series.doses[1]));
  }
  for (ReleaseId id = 1; id <= engine.release_count(); ++id) {
    absl::StrAppend(&text, " r", id, ":", engine.GetRelease(id)->booked);
  }
  for (CodeId id = 1; id <= engine.code_count(); ++id) {
    const VerificationCode code = *engine.GetCode(id);
    absl::StrAppend(&text, " c", id, ":", static_cast<int>(code.state), ":",
                    static_cast<int>(code.attempts));
  }
  return text;
}

// The call must fail with `code` and change nothing; gives the message.
std::string RefusedImpl(const Engine& engine, StatusCode code, const char* call,
                        const std::function<absl::Status()>& run) {
  const std::string before = Digest(engine);
  const absl::Status status = run();
  CHECK_MESSAGE(status.code() == code, std::string(call), " -> ", status);
  CHECK_MESSAGE(Digest(engine) == before, "state changed by: ", std::string(call));
  return std::string(status.message());
}
#define REFUSED(engine, code, ...) \
  RefusedImpl(engine, code, #__VA_ARGS__, [&] { return StatusOf(__VA_ARGS__); })

// Districts A and B with one center each; a two-dose vaccine (21..28 days,
// target 21) and a one-dose one. Capacity is added per test.
class Town {
 public:
  Town() {
    district_a = Ok(engine.AddDistrict("A", "District A"));
    district_b = Ok(engine.AddDistrict("B", "District B"));
    duo = Ok(engine.AddVaccine(TwoDose("duo", 21, 21, 28)));
    mono = Ok(engine.AddVaccine(OneDose("mono")));
    center_a = Ok(engine.AddCenter(CenterOf("CA", {district_a})));
    center_b = Ok(engine.AddCenter(CenterOf("CB", {district_b})));
  }

  // Slots of slot_minutes from open to close on every day of [first, last]
  // (by default one 08:00 slot a day), with doses for all of them.
  void Capacity(CenterId center, VaccineId vaccine, CivilDay first, CivilDay last, int seats_first,
                int seats_second, int open_minute = kEight, int close_minute = kEight + 30,
                int slot_minutes = 30) {
    Ok(engine.AddCapacity(Block(center, vaccine, first, last, open_minute, close_minute,
                                slot_minutes, seats_first, seats_second)));
    Ok(engine.AddSupply(Supply(center, vaccine, CivilDay(2021, 5, 1), 1000)));
  }

  RegistrantId Person(Channel channel = Channel::kOnline, DistrictId district = 0,
                      VaccineId preference = kNoId, PriorityGroup group = PriorityGroup::kNone,
                      bool standby = false) {
    // Registered on 1 May, or just after the latest draw.
    absl::Time registered_at = On(CivilDay(2021, 5, 1), 8);
    if (engine.draw_count() > 0) {
      registered_at = engine.GetDraw(engine.draw_count())->request.at + absl::Seconds(1);
    }
    RegistrantSpec spec =
        ::vaxalloc::testing::Person(absl::StrCat("person-", engine.registrant_count() + 1),
                                    district == 0 ? district_a : district, group, registered_at);
    spec.channel = channel;
    spec.vaccine_preference = preference;
    spec.standby = standby;
    const RegistrantId id = Ok(engine.Register(spec));
    CheckAll(engine);
    return id;
  }

  ReleaseId Release(CivilDay first, CivilDay last, absl::Time release_at, uint32_t cap = 0,
                    VaccineId vaccine = kNoId, CenterId center = 0) {
    ReleaseSpec spec;
    spec.center = center == 0 ? center_a : center;
    spec.vaccine = vaccine;
    spec.first_day = first;
    spec.last_day = last;
    spec.release_at = release_at;
    spec.first_dose_cap = cap;
    const ReleaseId id = Ok(engine.AddRelease(spec));
    CheckAll(engine);
    return id;
  }

  void SetPolicy(int short_notice_days, const std::string& time_zone = "UTC",
                 absl::Duration hold = absl::Minutes(10)) {
    Policy policy;
    policy.short_notice_days = short_notice_days;
    policy.time_zone = time_zone;
    policy.hold = hold;
    Ok(engine.SetPolicy(policy));
  }

  static BookingRequest Request(RegistrantId registrant, absl::Time at,
                                BookingMode mode = BookingMode::kRelease, bool confirm = false) {
    BookingRequest request;
    request.registrant = registrant;
    request.at = at;
    request.mode = mode;
    request.confirm = confirm;
    return request;
  }

  Series Book(RegistrantId registrant, absl::Time at, BookingMode mode = BookingMode::kRelease,
              bool confirm = false) {
    const Series series = Ok(engine.Book(Request(registrant, at, mode, confirm)));
    CheckAll(engine);
    return series;
  }

  // A draw over [from, until] at `at`; returns its series.
  std::vector<SeriesId> Draw(absl::Time at, CivilDay from, CivilDay until) {
    DrawRequest request;
    request.seed = DrawSeed{++seeds_, 0xb00c};
    request.at = at;
    request.first_dose_from = from;
    request.first_dose_until = until;
    const DrawRecord record = Ok(engine.Draw(request));
    CheckAll(engine);
    return record.series;
  }

  Registrant Who(RegistrantId id) const { return *engine.GetRegistrant(id); }
  Series Get(SeriesId id) const { return *engine.GetSeries(id); }
  SlotView SlotAt(VaccineId vaccine, CivilDay day, int minute = kEight, CenterId center = 0) const {
    for (const SlotView& slot : engine.Slots(center == 0 ? center_a : center, vaccine, day)) {
      if (slot.minute == minute) return slot;
    }
    FAIL("no slot at minute ", minute, " on ", absl::FormatCivilTime(day));
    return {};
  }

  Engine engine;
  DistrictId district_a = kNoId, district_b = kNoId;
  VaccineId duo = kNoId, mono = kNoId;
  CenterId center_a = kNoId, center_b = kNoId;

 private:
  uint64_t seeds_ = 0;
};

const SeriesStatus kHeld = SeriesStatus::kHeld;
const SeriesStatus kActive = SeriesStatus::kActive;
const SeriesStatus kLapsed = SeriesStatus::kLapsed;
const SeriesStatus kCancelled = SeriesStatus::kCancelled;
const RegistrantStatus kWaiting = RegistrantStatus::kWaiting;
const RegistrantStatus kScheduled = RegistrantStatus::kScheduled;

// ---------------------------------------------------------------------------
// Releases
// ---------------------------------------------------------------------------

TEST_CASE("a release is invisible before release_at and bookable exactly at it") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 2, 2, 0);
  const absl::Time opens = On(kDay - 5, 8);
  const ReleaseId release = town.Release(kDay, kDay + 2, opens);
  const RegistrantId person = town.Person();

  const std::string message =
      REFUSED(town.engine, StatusCode::kResourceExhausted,
              town.engine.Book(Town::Request(person, opens - absl::Microseconds(1))));
  CHECK(absl::StrContains(message, "in an open release"));
  CHECK(town.Who(person).status == kWaiting);

  const Series held = town.Book(person, opens);
  CHECK(held.status == kHeld);
  CHECK(held.origin == SeriesOrigin::kRelease);
  CHECK(held.release == release);
  CHECK(held.registrant == person);
  CHECK(held.center == town.center_a);
  CHECK(held.vaccine == town.mono);
  CHECK(held.appointments[0].day == kDay);
  CHECK(held.appointments[0].minute == kEight);
  CHECK(held.doses[0] == DoseState::kBooked);
  CHECK(held.booked_at == opens);
  CHECK(held.hold_expires_at == opens + absl::Minutes(10));
  CHECK(town.engine.GetRelease(release)->booked == 1);
  CHECK(town.engine.hold_count() == 1);
  CHECK(town.SlotAt(town.mono, kDay).booked_first == 1);
  // A hold leaves the registrant waiting.
  CHECK(town.Who(person).status == kWaiting);
  CHECK(town.Who(person).series == kNoId);
}

TEST_CASE("release mode books only inside releases; release days are left out of draws") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 4, 1, 0);
  // Days 1 and 2 are released on 3 June; the draw runs on 1 June, before.
  const ReleaseId release = town.Release(kDay + 1, kDay + 2, On(kDay - 4, 8));
  std::vector<RegistrantId> people;
  for (int i = 0; i < 5; ++i) people.push_back(town.Person());
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 6, 9), kDay, kDay + 4);
  REQUIRE(drawn.size() == 3);
  std::vector<CivilDay> days;
  for (SeriesId id : drawn) days.push_back(town.Get(id).appointments[0].day);
  std::sort(days.begin(), days.end());
  CHECK(days == std::vector<CivilDay>{kDay, kDay + 3, kDay + 4});
  CHECK(town.SlotAt(town.mono, kDay + 1).booked_first == 0);
  // After the draw and after release_at, the released days are booked.
  std::vector<RegistrantId> waiting;
  for (RegistrantId id : people) {
    if (town.Who(id).status == kWaiting) waiting.push_back(id);
  }
  REQUIRE(waiting.size() == 2);
  const Series first = town.Book(waiting[0], On(kDay - 4, 8), BookingMode::kRelease, true);
  CHECK(first.appointments[0].day == kDay + 1);
  CHECK(first.status == kActive);
  const Series second = town.Book(waiting[1], On(kDay - 4, 9), BookingMode::kRelease, true);
  CHECK(second.appointments[0].day == kDay + 2);
  CHECK(town.engine.GetRelease(release)->booked == 2);
  // A later draw leaves the (now full) release days alone, and finds nothing.
  const RegistrantId late = town.Person();
  CHECK(town.Draw(On(kDay - 3, 9), kDay, kDay + 4).empty());
  CHECK(town.Who(late).status == kWaiting);
}

TEST_CASE("a release of one vaccine holds back only that vaccine's first-dose days") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0);
  town.Capacity(town.center_a, town.duo, kDay, kDay, 1, 0);
  town.Capacity(town.center_a, town.duo, kDay + 21, kDay + 21, 0, 1);
  town.Release(kDay, kDay, On(kDay - 1, 8), 0, town.duo);
  const RegistrantId mono_person = town.Person(Channel::kOnline, 0, town.mono);
  const RegistrantId duo_person = town.Person(Channel::kOnline, 0, town.duo);
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 6, 9), kDay, kDay);
  REQUIRE(drawn.size() == 1);
  CHECK(town.Get(drawn[0]).registrant == mono_person);
  const Series booked = town.Book(duo_person, On(kDay - 1, 8), BookingMode::kRelease, true);
  CHECK(booked.vaccine == town.duo);
  CHECK(booked.appointments[1].day == kDay + 21);
}

TEST_CASE("the booking that reaches a release's cap succeeds; the next one is refused") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 2, 5, 0);
  const absl::Time opens = On(kDay - 5, 8);
  const ReleaseId release = town.Release(kDay, kDay + 2, opens, 2);
  const RegistrantId first = town.Person();
  const RegistrantId second = town.Person();
  const RegistrantId third = town.Person();
  town.Book(first, opens, BookingMode::kRelease, true);
  CHECK(town.engine.GetRelease(release)->booked == 1);
  const Series hold = town.Book(second, opens + absl::Minutes(1));
  CHECK(town.engine.GetRelease(release)->booked == 2);
  const std::string message =
      REFUSED(town.engine, StatusCode::kResourceExhausted,
              town.engine.Book(Town::Request(third, opens + absl::Minutes(2))));
  CHECK(absl::StrContains(message, "cap"));
  CHECK(town.Who(third).status == kWaiting);
  CHECK(town.engine.hold_count() == 1);
  // A cancelled or lapsed series gives its place back.
  SUBCASE("declined") {
    Ok(town.engine.DeclineHold(hold.id, opens + absl::Minutes(3)));
    CheckAll(town.engine);
    CHECK(town.engine.GetRelease(release)->booked == 1);
    town.Book(third, opens + absl::Minutes(4));
  }
  SUBCASE("the hold is due: the booking lets it lapse first") {
    const absl::Time later = hold.hold_expires_at;
    absl::StatusOr<Prepared<SeriesChange>> prepared =
        town.engine.PrepareBook(Town::Request(third, later));
    REQUIRE_MESSAGE(prepared.ok(), prepared.status());
    CHECK(prepared->change.holds_lapsed == 1);
    town.engine.Apply(*prepared);
    CheckAll(town.engine);
    CHECK(town.Get(hold.id).status == kLapsed);
    CHECK(town.Get(prepared->change.subject).status == kHeld);
  }
  SUBCASE("the first booking is cancelled") {
    Ok(town.engine.CancelSeries(1, opens + absl::Minutes(3)));
    CheckAll(town.engine);
    town.Book(third, opens + absl::Minutes(4));
  }
  CHECK(town.engine.GetRelease(release)->booked == 2);
}

// ---------------------------------------------------------------------------
// Holds
// ---------------------------------------------------------------------------

TEST_CASE("a hold confirmed in time becomes the registrant's series") {
  Town town;
  town.Capacity(town.center_a, town.duo, kDay, kDay, 1, 0);
  town.Capacity(town.center_a, town.duo, kDay + 20, kDay + 22, 0, 1);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay, opens);
  const RegistrantId person = town.Person();
  const Series hold = town.Book(person, opens);
  CHECK(hold.appointments[1].day == kDay + 21);
  CHECK(town.engine.Summarize().series_held == 1);
  CHECK(town.SlotAt(town.duo, kDay + 21).booked_second == 1);

  const absl::Time confirmed_at = hold.hold_expires_at - absl::Microseconds(1);
  absl::StatusOr<Prepared<SeriesChange>> prepared =
      town.engine.PrepareConfirmHold(hold.id, confirmed_at);
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  REQUIRE(prepared->change.events.size() == 1);
  const Event& event = prepared->change.events[0];
  CHECK(event.kind == EventKind::kSeriesBooked);
  CHECK(event.registrant == person);
  CHECK(event.series == hold.id);
  CHECK(event.at == confirmed_at);
  town.engine.Apply(*prepared);
  CheckAll(town.engine);

  const Series booked = town.Get(hold.id);
  CHECK(booked.status == kActive);
  CHECK(booked.appointments[0].day == kDay);
  CHECK(booked.appointments[1].day == kDay + 21);
  CHECK(town.Who(person).status == kScheduled);
  CHECK(town.Who(person).series == hold.id);
  CHECK(town.engine.hold_count() == 0);
  CHECK(town.engine.Summarize().series_active == 1);
  CHECK(town.engine.GetRelease(1)->booked == 1);
  CHECK(
      absl::StrContains(REFUSED(town.engine, StatusCode::kFailedPrecondition,
                                town.engine.ConfirmHold(hold.id, confirmed_at + absl::Minutes(1))),
                        "not a hold"));
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.DeclineHold(hold.id, confirmed_at + absl::Minutes(1)));
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.Book(Town::Request(person, confirmed_at + absl::Minutes(1))));
}

TEST_CASE("a hold lapses at hold_expires_at; its seats go to the next booking") {
  Town town;
  town.SetPolicy(0, "UTC", absl::Minutes(15));
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0);
  const absl::Time opens = On(kDay - 5, 8);
  const ReleaseId release = town.Release(kDay, kDay, opens);
  const RegistrantId slow = town.Person();
  const RegistrantId next = town.Person();
  const Series hold = town.Book(slow, opens);
  CHECK(hold.hold_expires_at == opens + absl::Minutes(15));
  // While held, nobody else gets the seat.
  REFUSED(town.engine, StatusCode::kResourceExhausted,
          town.engine.Book(Town::Request(next, opens + absl::Minutes(5))));
  const std::string lapsed = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                                     town.engine.ConfirmHold(hold.id, hold.hold_expires_at));
  CHECK(absl::StrContains(lapsed, "lapsed"));
  SUBCASE("ExpireHolds") {
    CHECK(Ok(town.engine.ExpireHolds(hold.hold_expires_at - absl::Microseconds(1))) == 0u);
    CheckAll(town.engine);
    CHECK(town.Get(hold.id).status == kHeld);
    CHECK(Ok(town.engine.ExpireHolds(hold.hold_expires_at)) == 1u);
    CheckAll(town.engine);
    CHECK(Ok(town.engine.ExpireHolds(hold.hold_expires_at + absl::Minutes(1))) == 0u);
    CheckAll(town.engine);
  }
  SUBCASE("the next booking lets it lapse") {}
  const Series taken = town.Book(next, hold.hold_expires_at + absl::Minutes(2));
  CHECK(taken.id == hold.id + 1);
  CHECK(taken.appointments[0].day == kDay);
  CHECK(taken.appointments[0].minute == kEight);
  const Series gone = town.Get(hold.id);
  CHECK(gone.status == kLapsed);
  CHECK(gone.doses[0] == DoseState::kReleased);
  CHECK(town.Who(slow).status == kWaiting);
  CHECK(town.engine.hold_count() == 1);
  CHECK(town.engine.GetRelease(release)->booked == 1);
  CHECK(town.SlotAt(town.mono, kDay).booked_first == 1);
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.ConfirmHold(hold.id, hold.hold_expires_at + absl::Minutes(3)));
}

TEST_CASE("a declined hold gives its seats back at once") {
  Town town;
  town.Capacity(town.center_a, town.duo, kDay, kDay, 1, 0);
  town.Capacity(town.center_a, town.duo, kDay + 21, kDay + 21, 0, 1);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay, opens);
  const RegistrantId person = town.Person();
  const Series hold = town.Book(person, opens);
  absl::StatusOr<Prepared<SeriesChange>> prepared =
      town.engine.PrepareDeclineHold(hold.id, opens + absl::Minutes(1));
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  CHECK(prepared->change.events.empty());
  town.engine.Apply(*prepared);
  CheckAll(town.engine);
  const Series declined = town.Get(hold.id);
  CHECK(declined.status == kLapsed);
  CHECK(declined.doses[0] == DoseState::kReleased);
  CHECK(declined.doses[1] == DoseState::kReleased);
  CHECK(town.SlotAt(town.duo, kDay).booked_first == 0);
  CHECK(town.SlotAt(town.duo, kDay + 21).booked_second == 0);
  CHECK(town.engine.GetRelease(1)->booked == 0);
  CHECK(town.engine.hold_count() == 0);
  CHECK(town.Who(person).status == kWaiting);
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.DeclineHold(hold.id, opens + absl::Minutes(2)));
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.ConfirmHold(hold.id, opens + absl::Minutes(2)));
  // The same person books again and gets the same seats.
  const Series again = town.Book(person, opens + absl::Minutes(3));
  CHECK(again.appointments[0].day == kDay);
  CHECK(again.appointments[1].day == kDay + 21);
}

TEST_CASE("a registrant with a hold can neither book again nor be drawn") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 3, 1, 0);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay, opens);
  const RegistrantId holder = town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup1);
  const RegistrantId other = town.Person();
  const Series hold = town.Book(holder, opens);
  const std::string message =
      REFUSED(town.engine, StatusCode::kFailedPrecondition,
              town.engine.Book(Town::Request(holder, opens + absl::Minutes(1))));
  CHECK(absl::StrContains(message, absl::StrCat("already holds series ", hold.id)));
  // The draw passes over the holder (group 1) and takes the other (tier 4).
  absl::StatusOr<DrawRecord> draw = town.engine.Draw([&] {
    DrawRequest request;
    request.seed = DrawSeed{1, 2};
    request.at = opens + absl::Minutes(2);
    request.first_dose_from = kDay + 1;
    request.first_dose_until = kDay + 3;
    return request;
  }());
  REQUIRE_MESSAGE(draw.ok(), draw.status());
  CheckAll(town.engine);
  REQUIRE(draw->series.size() == 1);
  CHECK(town.Get(draw->series[0]).registrant == other);
  CHECK(draw->tiers[0].eligible == 0);
  CHECK(town.Who(holder).status == kWaiting);
  // Once the hold is confirmed the holder is scheduled.
  Ok(town.engine.ConfirmHold(hold.id, opens + absl::Minutes(3)));
  CheckAll(town.engine);
  CHECK(town.Who(holder).status == kScheduled);
}

TEST_CASE("confirm = true books at once, without a hold") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay, opens);
  const RegistrantId person = town.Person();
  absl::StatusOr<Prepared<SeriesChange>> prepared =
      town.engine.PrepareBook(Town::Request(person, opens, BookingMode::kRelease, true));
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  const SeriesChange& change = prepared->change;
  REQUIRE(change.series.size() == 1);
  CHECK(change.series[0].status == kActive);
  CHECK(change.series[0].hold_expires_at == absl::InfinitePast());
  REQUIRE(change.registrants.size() == 1);
  CHECK(change.registrants[0].status == kScheduled);
  REQUIRE(change.events.size() == 1);
  CHECK(change.events[0].kind == EventKind::kSeriesBooked);
  CHECK(change.events[0].series == change.subject);
  town.engine.Apply(*prepared);
  CheckAll(town.engine);
  CHECK(town.Who(person).status == kScheduled);
  CHECK(town.Who(person).series == change.subject);
  CHECK(town.engine.hold_count() == 0);
  CHECK(town.engine.GetRelease(1)->booked == 1);
}

// ---------------------------------------------------------------------------
// Short notice
// ---------------------------------------------------------------------------

TEST_CASE("short notice: online registrants only, when the policy turns it on") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 9, 1, 0);
  const RegistrantId online = town.Person();
  const RegistrantId phone = town.Person(Channel::kPhone);
  const absl::Time now = On(kDay, 7);
  std::string message =
      REFUSED(town.engine, StatusCode::kFailedPrecondition,
              town.engine.Book(Town::Request(online, now, BookingMode::kShortNotice)));
  CHECK(absl::StrContains(message, "short_notice_days is 0"));
  town.SetPolicy(4);
  message = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                    town.engine.Book(Town::Request(phone, now, BookingMode::kShortNotice)));
  CHECK(absl::StrContains(message, "by letter, which cannot arrive in time"));
  // Phone registrants book releases like anyone (a call center books for them).
  town.Release(kDay + 5, kDay + 5, now);
  const Series released = town.Book(phone, now, BookingMode::kRelease, true);
  CHECK(released.appointments[0].day == kDay + 5);
  const Series quick = town.Book(online, now, BookingMode::kShortNotice, true);
  CHECK(quick.origin == SeriesOrigin::kShortNotice);
  CHECK(quick.release == kNoId);
  CHECK(quick.appointments[0].day == kDay);
}

TEST_CASE("short notice: first doses on today .. today + N - 1, outside every release") {
  Town town;
  town.SetPolicy(4);
  town.Capacity(town.center_a, town.mono, kDay + 2, kDay + 9, 1, 0);
  // Day 2 is a release's (not open yet): short notice leaves it alone.
  town.Release(kDay + 2, kDay + 2, On(kDay + 1, 8));
  const absl::Time now = On(kDay, 7);
  const RegistrantId first = town.Person();
  const RegistrantId second = town.Person();
  const Series booked = town.Book(first, now, BookingMode::kShortNotice, true);
  CHECK(booked.appointments[0].day == kDay + 3);
  const std::string message =
      REFUSED(town.engine, StatusCode::kResourceExhausted,
              town.engine.Book(Town::Request(second, now, BookingMode::kShortNotice)));
  CHECK(absl::StrContains(message, "2021-06-07 .. 2021-06-10"));
  CHECK(absl::StrContains(message, "short-notice"));
  // A day later the window reaches day 4.
  CHECK(town.Book(second, now + absl::Hours(24), BookingMode::kShortNotice, true)
            .appointments[0]
            .day == kDay + 4);
  // first_dose_from / first_dose_until narrow the window further: two days
  // later it is days 2 .. 5, and only day 5 is free.
  const RegistrantId third = town.Person();
  BookingRequest request = Town::Request(third, now + absl::Hours(48), BookingMode::kShortNotice);
  request.first_dose_until = kDay + 4;
  REFUSED(town.engine, StatusCode::kResourceExhausted, town.engine.Book(request));
  request.first_dose_until = CivilDay(kYearMax, 12, 31);
  request.first_dose_from = kDay + 5;
  const Series narrowed = Ok(town.engine.Book(request));
  CheckAll(town.engine);
  CHECK(narrowed.appointments[0].day == kDay + 5);
}

// A scheduled registrant (first dose on kDay + 3, drawn on 1 June) swaps for
// a short-notice first dose.
struct SwapTown : Town {
  SwapTown() {
    SetPolicy(4);
    Capacity(center_a, mono, kDay, kDay + 3, 1, 0);
    person = Person();
    const std::vector<SeriesId> drawn = Draw(On(kDay - 6, 9), kDay + 3, kDay + 3);
    REQUIRE(drawn.size() == 1);
    old_series = drawn[0];
  }
  RegistrantId person = kNoId;
  SeriesId old_series = kNoId;
};

TEST_CASE("short notice: a swap cancels the old series in the same change") {
  SwapTown town;
  const absl::Time now = On(kDay, 7);
  const Series hold = town.Book(town.person, now, BookingMode::kShortNotice);
  CHECK(hold.status == kHeld);
  CHECK(hold.replaces == town.old_series);
  CHECK(hold.appointments[0].day == kDay);
  // The old series keeps its seat while the swap is held.
  CHECK(town.Get(town.old_series).status == kActive);
  CHECK(town.SlotAt(town.mono, kDay + 3).booked_first == 1);
  CHECK(town.Who(town.person).status == kScheduled);

  absl::StatusOr<Prepared<SeriesChange>> prepared =
      town.engine.PrepareConfirmHold(hold.id, now + absl::Minutes(1));
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  const SeriesChange& change = prepared->change;
  REQUIRE(change.events.size() == 2);
  CHECK(change.events[0].kind == EventKind::kSeriesCancelled);
  CHECK(change.events[0].series == town.old_series);
  CHECK(change.events[1].kind == EventKind::kSeriesBooked);
  CHECK(change.events[1].series == hold.id);
  REQUIRE(change.series.size() == 2);
  town.engine.Apply(*prepared);
  CheckAll(town.engine);
  CHECK(town.Get(town.old_series).status == kCancelled);
  CHECK(town.Get(town.old_series).doses[0] == DoseState::kReleased);
  CHECK(town.Get(hold.id).status == kActive);
  CHECK(town.Who(town.person).status == kScheduled);
  CHECK(town.Who(town.person).series == hold.id);
  CHECK(town.SlotAt(town.mono, kDay + 3).booked_first == 0);
  CHECK(town.engine.Summarize().series_cancelled == 1);
}

TEST_CASE("short notice: a confirmed-at-once swap, and swaps only to an earlier day") {
  SwapTown town;
  const absl::Time now = On(kDay + 1, 7);
  SUBCASE("nothing earlier") {
    // Free seats on day 1 and 2 are earlier than day 3; take both first.
    const RegistrantId a = town.Person();
    const RegistrantId b = town.Person();
    town.Book(a, now, BookingMode::kShortNotice, true);
    town.Book(b, now, BookingMode::kShortNotice, true);
    const std::string message =
        REFUSED(town.engine, StatusCode::kResourceExhausted,
                town.engine.Book(Town::Request(town.person, now, BookingMode::kShortNotice)));
    CHECK(absl::StrContains(message, "2021-06-08 .. 2021-06-09"));  // before day 3 only
    CHECK(town.Get(town.old_series).status == kActive);
  }
  SUBCASE("confirm at once") {
    absl::StatusOr<Prepared<SeriesChange>> prepared =
        town.engine.PrepareBook(Town::Request(town.person, now, BookingMode::kShortNotice, true));
    REQUIRE_MESSAGE(prepared.ok(), prepared.status());
    REQUIRE(prepared->change.events.size() == 2);
    CHECK(prepared->change.events[0].kind == EventKind::kSeriesCancelled);
    CHECK(prepared->change.events[1].kind == EventKind::kSeriesBooked);
    town.engine.Apply(*prepared);
    CheckAll(town.engine);
    CHECK(town.Get(prepared->change.subject).appointments[0].day == kDay + 1);
    CHECK(town.Get(town.old_series).status == kCancelled);
    CHECK(town.Who(town.person).series == prepared->change.subject);
  }
}

TEST_CASE("short notice: a swap never takes the old series' second-dose seat") {
  // Interval 21..22 days. The old series: first dose on day 1, second on day
  // 22 (the only second-dose seat). A swap to day 0 needs a second dose on
  // day 21 or 22: day 22 is the old series' own, so the swap waits for a
  // seat on day 21.
  Town town;
  town.SetPolicy(4);
  const VaccineId pair = Ok(town.engine.AddVaccine(TwoDose("pair", 21, 21, 22)));
  town.Capacity(town.center_a, pair, kDay, kDay + 1, 1, 0);
  town.Capacity(town.center_a, pair, kDay + 22, kDay + 22, 0, 1);
  const RegistrantId person = town.Person();
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 6, 9), kDay + 1, kDay + 1);
  REQUIRE(drawn.size() == 1);
  const Series old_series = town.Get(drawn[0]);
  CHECK(old_series.appointments[1].day == kDay + 22);
  const absl::Time now = On(kDay, 7);
  REFUSED(town.engine, StatusCode::kResourceExhausted,
          town.engine.Book(Town::Request(person, now, BookingMode::kShortNotice)));
  town.Capacity(town.center_a, pair, kDay + 21, kDay + 21, 0, 1);
  const Series hold = town.Book(person, now + absl::Minutes(1), BookingMode::kShortNotice);
  CHECK(hold.appointments[0].day == kDay);
  CHECK(hold.appointments[1].day == kDay + 21);
  Ok(town.engine.ConfirmHold(hold.id, now + absl::Minutes(2)));
  CheckAll(town.engine);
  CHECK(town.SlotAt(pair, kDay + 22).booked_second == 0);
  CHECK(town.SlotAt(pair, kDay + 21).booked_second == 1);
}

TEST_CASE("short notice: a swap whose old series changed meanwhile lapses or is refused") {
  SwapTown town;
  const absl::Time now = On(kDay, 7);
  const Series hold = town.Book(town.person, now, BookingMode::kShortNotice);
  SUBCASE("the old series was cancelled") {
    // The hold has nothing left to replace: it lapses in the same change,
    // its seats back at once.
    Ok(town.engine.CancelSeries(town.old_series, now + absl::Minutes(1)));
    CheckAll(town.engine);
    CHECK(town.Who(town.person).status == kWaiting);
    CHECK(town.engine.hold_count() == 0);
    CHECK(town.Get(hold.id).status == SeriesStatus::kLapsed);
    const std::string message = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                                        town.engine.ConfirmHold(hold.id, now + absl::Minutes(2)));
    CHECK(absl::StrContains(message, "is not a hold"));
  }
  SUBCASE("the registrant withdrew: the hold lapses with the series") {
    absl::StatusOr<Prepared<Cancellation>> prepared =
        town.engine.PrepareWithdraw(town.person, now + absl::Minutes(1));
    REQUIRE_MESSAGE(prepared.ok(), prepared.status());
    CHECK(prepared->change.series == town.old_series);
    CHECK(prepared->change.hold == hold.id);
    CHECK(prepared->change.written.size() == 2);
    town.engine.Apply(*prepared);
    CheckAll(town.engine);
    CHECK(town.Get(town.old_series).status == kCancelled);
    CHECK(town.Get(hold.id).status == kLapsed);
    CHECK(town.engine.hold_count() == 0);
    CHECK(town.SlotAt(town.mono, kDay).booked_first == 0);
    CHECK(town.SlotAt(town.mono, kDay + 3).booked_first == 0);
  }
}

// ---------------------------------------------------------------------------
// Local time
// ---------------------------------------------------------------------------

TEST_CASE("slots that have begun are not offered; today is the policy's local day") {
  Town town;
  const absl::TimeZone berlin = [] {
    absl::TimeZone zone;
    REQUIRE(absl::LoadTimeZone("Europe/Berlin", &zone));
    return zone;
  }();
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0, 9 * 60, 10 * 60, 30);
  auto berlin_time = [&](int hour, int minute, CivilDay day = kDay) {
    return absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute),
                           berlin);
  };
  SUBCASE("09:10 in Berlin skips the 09:00 slot") {
    town.SetPolicy(1, "Europe/Berlin");
    const Series booked = town.Book(town.Person(), berlin_time(9, 10), BookingMode::kShortNotice);
    CHECK(booked.appointments[0].minute == 9 * 60 + 30);
  }
  SUBCASE("09:00 exactly still gets the 09:00 slot") {
    town.SetPolicy(1, "Europe/Berlin");
    const Series booked = town.Book(town.Person(), berlin_time(9, 0), BookingMode::kShortNotice);
    CHECK(booked.appointments[0].minute == 9 * 60);
  }
  SUBCASE("in UTC, 09:10 Berlin is 07:10: both slots are ahead") {
    town.SetPolicy(1, "UTC");
    const Series booked = town.Book(town.Person(), berlin_time(9, 10), BookingMode::kShortNotice);
    CHECK(booked.appointments[0].minute == 9 * 60);
  }
  SUBCASE("01:30 Berlin on the day is still the day before in UTC") {
    const absl::Time night = berlin_time(1, 30);
    town.SetPolicy(1, "UTC");
    const RegistrantId person = town.Person();
    REFUSED(town.engine, StatusCode::kResourceExhausted,
            town.engine.Book(Town::Request(person, night, BookingMode::kShortNotice)));
    town.SetPolicy(1, "Europe/Berlin");
    CHECK(town.Book(person, night, BookingMode::kShortNotice).appointments[0].day == kDay);
  }
  SUBCASE("after the last slot began, the day is gone") {
    town.SetPolicy(1, "Europe/Berlin");
    const RegistrantId person = town.Person();
    REFUSED(town.engine, StatusCode::kResourceExhausted,
            town.engine.Book(Town::Request(person, berlin_time(9, 31), BookingMode::kShortNotice)));
  }
}

// ---------------------------------------------------------------------------
// Attendance
// ---------------------------------------------------------------------------

// Two drawn duo series: first doses on kDay at 08:00 and 08:30, second doses
// three weeks later; capacity for a rebooking in the week after.
struct Clinic : Town {
  Clinic() {
    Capacity(center_a, duo, kDay, kDay, 1, 0, kEight, kEight + 60, 30);
    Capacity(center_a, duo, kDay + 21, kDay + 27, 0, 1, kEight, kEight + 60, 30);
    Person();
    Person();
    const std::vector<SeriesId> drawn = Draw(On(kDay - 6, 9), kDay, kDay);
    REQUIRE(drawn.size() == 2);
    for (SeriesId id : drawn) {
      (Get(id).appointments[0].minute == kEight ? early : late) = id;
    }
    early_person = Get(early).registrant;
    late_person = Get(late).registrant;
  }
  Series Record(SeriesId series, int dose, DoseOutcome outcome, absl::Time at) {
    const Series result = Ok(engine.RecordDose(series, dose, outcome, at));
    CheckAll(engine);
    return result;
  }
  RegistrantId early_person = kNoId, late_person = kNoId;
  SeriesId early = kNoId, late = kNoId;
};

TEST_CASE("attendance: doses given complete the series and vaccinate the registrant") {
  Clinic clinic;
  const Series series = clinic.Get(clinic.early);
  const CivilDay second_day = series.appointments[1].day;
  const int second_minute = series.appointments[1].minute;
  std::string message =
      REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
              clinic.engine.RecordDose(clinic.early, 1, DoseOutcome::kGiven, On(kDay, 7, 59, 59)));
  CHECK(absl::StrContains(message, "has not begun"));
  message =
      REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
              clinic.engine.RecordDose(clinic.early, 2, DoseOutcome::kGiven, On(second_day, 12)));
  CHECK(absl::StrContains(message, "before dose 1 was given"));
  Series after = clinic.Record(clinic.early, 1, DoseOutcome::kGiven, On(kDay, 8));
  CHECK(after.status == kActive);
  CHECK(after.doses[0] == DoseState::kGiven);
  CHECK(after.doses[1] == DoseState::kBooked);
  message = REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
                    clinic.engine.RecordDose(clinic.early, 1, DoseOutcome::kMissed, On(kDay, 9)));
  CHECK(absl::StrContains(message, "already recorded"));
  // The given dose keeps its seat and its dose.
  CHECK(clinic.SlotAt(clinic.duo, kDay).booked_first == 1);
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.RecordDose(clinic.early, 2, DoseOutcome::kGiven,
                                   On(second_day, 8, second_minute - kEight) - absl::Seconds(1)));
  after = clinic.Record(clinic.early, 2, DoseOutcome::kGiven, On(second_day, 10));
  CHECK(after.status == SeriesStatus::kCompleted);
  CHECK(clinic.Who(clinic.early_person).status == RegistrantStatus::kVaccinated);
  CHECK(clinic.Who(clinic.early_person).series == clinic.early);
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.RecordDose(clinic.early, 2, DoseOutcome::kGiven, On(second_day, 11)));
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.CancelSeries(clinic.early, On(second_day, 11)));
  // A vaccinated registrant books nothing more.
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.Book(Town::Request(clinic.early_person, On(second_day, 11))));
  const Report report = clinic.engine.Summarize();
  CHECK(report.vaccinated == 1);
  CHECK(report.series_completed == 1);
  CHECK(report.series_active == 1);
  CHECK(report.doses_given == 2);
  CHECK(report.doses_missed == 0);
  // Withdrawing later keeps the completed series.
  Ok(clinic.engine.Withdraw(clinic.early_person, On(second_day, 12)));
  CheckAll(clinic.engine);
  CHECK(clinic.Get(clinic.early).status == SeriesStatus::kCompleted);
  CHECK(clinic.engine.Summarize().vaccinated == 0);
}

TEST_CASE("attendance: a one-dose series completes with its only dose") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0);
  const RegistrantId person = town.Person();
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 6, 9), kDay, kDay);
  REQUIRE(drawn.size() == 1);
  REFUSED(town.engine, StatusCode::kInvalidArgument,
          town.engine.RecordDose(drawn[0], 2, DoseOutcome::kGiven, On(kDay, 9)));
  const Series done = Ok(town.engine.RecordDose(drawn[0], 1, DoseOutcome::kGiven, On(kDay, 9)));
  CheckAll(town.engine);
  CHECK(done.status == SeriesStatus::kCompleted);
  CHECK(town.Who(person).status == RegistrantStatus::kVaccinated);
}

TEST_CASE("attendance: a missed first dose ends the series and the person waits again") {
  Clinic clinic;
  const Series series = clinic.Get(clinic.late);
  const Series missed = clinic.Record(clinic.late, 1, DoseOutcome::kMissed, On(kDay, 9));
  CHECK(missed.status == SeriesStatus::kMissed);
  CHECK(missed.doses[0] == DoseState::kMissed);
  CHECK(missed.doses[1] == DoseState::kReleased);
  const Registrant person = clinic.Who(clinic.late_person);
  CHECK(person.status == kWaiting);
  CHECK(person.series == kNoId);
  CHECK(person.waiting_since == On(kDay, 9));
  // Both seats go back: the first (for anyone coming that evening) and the second.
  CHECK(clinic.SlotAt(clinic.duo, kDay, kEight + 30).booked_first == 0);
  CHECK(clinic.SlotAt(clinic.duo, series.appointments[1].day, series.appointments[1].minute)
            .booked_second == 0);
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.RecordDose(clinic.late, 2, DoseOutcome::kGiven, On(kDay + 21, 12)));
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.CancelSeries(clinic.late, On(kDay, 10)));
  const Report report = clinic.engine.Summarize();
  CHECK(report.series_missed == 1);
  CHECK(report.doses_missed == 1);
  CHECK(report.waiting == 1);
}

TEST_CASE("attendance: a missed second dose is rebooked within the interval") {
  Clinic clinic;
  clinic.Record(clinic.early, 1, DoseOutcome::kGiven, On(kDay, 8));
  const Series booked = clinic.Get(clinic.early);
  const CivilDay second_day = booked.appointments[1].day;
  REQUIRE(second_day == kDay + 21);
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.RebookSecondDose(clinic.early, On(second_day, 7)));
  const Series missed = clinic.Record(clinic.early, 2, DoseOutcome::kMissed, On(second_day, 9));
  CHECK(missed.status == kActive);
  CHECK(missed.doses[1] == DoseState::kMissed);
  CHECK(clinic.SlotAt(clinic.duo, second_day, booked.appointments[1].minute).booked_second == 0);
  CHECK(clinic.Who(clinic.early_person).status == kScheduled);
  // Rebooked at 09:10: the 08:00 and 08:30 slots of the day have begun, so
  // the next free second-dose seat is the next day's 08:00.
  absl::StatusOr<Prepared<SeriesChange>> prepared =
      clinic.engine.PrepareRebookSecondDose(clinic.early, On(second_day, 9, 10));
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  REQUIRE(prepared->change.events.size() == 1);
  CHECK(prepared->change.events[0].kind == EventKind::kSecondDoseRebooked);
  CHECK(prepared->change.events[0].series == clinic.early);
  // The missed appointment leaves the series but not the no-show counts.
  REQUIRE(prepared->change.no_shows.size() == 1);
  CHECK(prepared->change.no_shows[0].series == clinic.early);
  CHECK(prepared->change.no_shows[0].appointment.day == second_day);
  CHECK(prepared->change.no_shows[0].rebooked_at == On(second_day, 9, 10));
  const uint64_t missed_before = clinic.engine.Summarize().doses_missed;
  clinic.engine.Apply(*prepared);
  CheckAll(clinic.engine);
  CHECK(clinic.engine.replaced_no_shows().size() == 1);
  CHECK(clinic.engine.Summarize().doses_missed == missed_before);
  const std::vector<DayAttendance> that_day =
      Ok(clinic.engine.Attendance(clinic.center_a, second_day, second_day));
  REQUIRE(that_day.size() == 1);
  CHECK(that_day[0].missed == 1);
  const Series rebooked = clinic.Get(clinic.early);
  CHECK(rebooked.doses[1] == DoseState::kBooked);
  CHECK(rebooked.appointments[1].day == kDay + 22);
  CHECK(rebooked.appointments[1].minute == kEight);
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.RebookSecondDose(clinic.early, On(second_day, 9, 11)));
  // Missed again at the end of the interval: nothing is left inside it.
  clinic.Record(clinic.early, 2, DoseOutcome::kMissed, On(kDay + 22, 9));
  const std::string message =
      REFUSED(clinic.engine, StatusCode::kResourceExhausted,
              clinic.engine.RebookSecondDose(clinic.early, On(kDay + 28, 12)));
  CHECK(absl::StrContains(message, "no second-dose seat"));
  // The host may cancel: the given first dose keeps its seat, and the
  // person, who would otherwise get a first dose again, is withdrawn.
  Ok(clinic.engine.CancelSeries(clinic.early, On(kDay + 28, 13)));
  CheckAll(clinic.engine);
  const Series cancelled = clinic.Get(clinic.early);
  CHECK(cancelled.status == kCancelled);
  CHECK(cancelled.doses[0] == DoseState::kGiven);
  CHECK(cancelled.doses[1] == DoseState::kMissed);
  CHECK(clinic.SlotAt(clinic.duo, kDay).booked_first == 1);
  CHECK(clinic.Who(clinic.early_person).status == RegistrantStatus::kWithdrawn);
  CHECK(clinic.Who(clinic.early_person).series == kNoId);
}

TEST_CASE("attendance: bad input") {
  Clinic clinic;
  const absl::Time at = On(kDay, 12);
  REFUSED(clinic.engine, StatusCode::kNotFound,
          clinic.engine.RecordDose(0, 1, DoseOutcome::kGiven, at));
  REFUSED(clinic.engine, StatusCode::kNotFound,
          clinic.engine.RecordDose(99, 1, DoseOutcome::kGiven, at));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.RecordDose(clinic.early, 0, DoseOutcome::kGiven, at));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.RecordDose(clinic.early, 3, DoseOutcome::kGiven, at));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.RecordDose(clinic.early, 1, static_cast<DoseOutcome>(7), at));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.RecordDose(clinic.early, 1, DoseOutcome::kGiven, absl::InfiniteFuture()));
  REFUSED(
      clinic.engine, StatusCode::kOutOfRange,
      clinic.engine.RecordDose(clinic.early, 1, DoseOutcome::kGiven, On(CivilDay(2201, 1, 1), 8)));
  // At or before the latest draw's instant.
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.RecordDose(clinic.early, 1, DoseOutcome::kGiven, On(kDay - 6, 9)));
  REFUSED(clinic.engine, StatusCode::kNotFound, clinic.engine.RebookSecondDose(0, at));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.RebookSecondDose(clinic.early, absl::InfinitePast()));
  REFUSED(clinic.engine, StatusCode::kNotFound, clinic.engine.Attendance(0, kDay, kDay));
  REFUSED(clinic.engine, StatusCode::kNotFound, clinic.engine.Attendance(3, kDay, kDay));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.Attendance(clinic.center_a, kDay, kDay - 1));
  REFUSED(clinic.engine, StatusCode::kInvalidArgument,
          clinic.engine.Attendance(clinic.center_a, kDay, kDay + kCalendarDaysMax));
  REFUSED(clinic.engine, StatusCode::kOutOfRange,
          clinic.engine.Attendance(clinic.center_a, CivilDay(1899, 12, 31), kDay));
}

TEST_CASE("Attendance() and Summarize() count appointments, doses given and no-shows") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay, 2, 0, kEight, kEight + 120, 30);
  town.Capacity(town.center_b, town.mono, kDay, kDay, 1, 0);
  std::vector<RegistrantId> people;
  for (int i = 0; i < 8; ++i) people.push_back(town.Person());
  const RegistrantId elsewhere = town.Person(Channel::kOnline, town.district_b);
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 6, 9), kDay, kDay);
  REQUIRE(drawn.size() == 9);
  std::vector<SeriesId> at_a;
  for (SeriesId id : drawn) {
    if (town.Get(id).center == town.center_a) at_a.push_back(id);
  }
  REQUIRE(at_a.size() == 8);
  const absl::Time evening = On(kDay, 20);
  for (size_t i = 0; i < 5; ++i) {
    Ok(town.engine.RecordDose(at_a[i], 1, DoseOutcome::kGiven, evening));
  }
  for (size_t i = 5; i < 7; ++i) {
    Ok(town.engine.RecordDose(at_a[i], 1, DoseOutcome::kMissed, evening));
  }
  CheckAll(town.engine);
  const std::vector<DayAttendance> days =
      Ok(town.engine.Attendance(town.center_a, kDay - 3, kDay + 3));
  REQUIRE(days.size() == 1);
  CHECK(days[0].day == kDay);
  CHECK(days[0].booked == 1);
  CHECK(days[0].given == 5);
  CHECK(days[0].missed == 2);
  CHECK(days[0].no_show_rate() == doctest::Approx(2.0 / 7.0));
  CHECK(Ok(town.engine.Attendance(town.center_a, kDay + 1, kDay + 3)).empty());
  const std::vector<DayAttendance> b = Ok(town.engine.Attendance(town.center_b, kDay, kDay));
  REQUIRE(b.size() == 1);
  CHECK(b[0].booked == 1);
  CHECK(b[0].no_show_rate() == 0.0);
  CHECK(town.Who(elsewhere).status == kScheduled);

  const Report report = town.engine.Summarize();
  CHECK(report.registrants == 9);
  CHECK(report.vaccinated == 5);
  CHECK(report.scheduled == 2);
  CHECK(report.waiting == 2);
  CHECK(report.series_active == 2);
  CHECK(report.series_completed == 5);
  CHECK(report.series_missed == 2);
  CHECK(report.series_cancelled == 0);
  CHECK(report.series_held == 0);
  CHECK(report.doses_given == 5);
  CHECK(report.doses_missed == 2);
  REQUIRE(report.centers.size() == 2);
  // Given doses keep their seats; missed ones give them back.
  CHECK(report.centers[0].doses_reserved == 6);
  CHECK(report.centers[0].seats_first_free == 2);
  CHECK(report.centers[0].series_active == 1);
}

// ---------------------------------------------------------------------------
// Cancellation and withdrawal
// ---------------------------------------------------------------------------

TEST_CASE("cancelling: once only; after dose 1 only dose 2's seat goes back, the person leaves") {
  Clinic clinic;
  Ok(clinic.engine.CancelSeries(clinic.late, On(kDay - 1, 8)));
  CheckAll(clinic.engine);
  const std::string message = REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
                                      clinic.engine.CancelSeries(clinic.late, On(kDay - 1, 9)));
  CHECK(absl::StrContains(message, "already cancelled"));
  clinic.Record(clinic.early, 1, DoseOutcome::kGiven, On(kDay, 8));
  const Series given = clinic.Get(clinic.early);
  Ok(clinic.engine.CancelSeries(clinic.early, On(kDay, 9)));
  CheckAll(clinic.engine);
  const Series cancelled = clinic.Get(clinic.early);
  CHECK(cancelled.status == kCancelled);
  CHECK(cancelled.doses[0] == DoseState::kGiven);
  CHECK(cancelled.doses[1] == DoseState::kReleased);
  CHECK(clinic.SlotAt(clinic.duo, kDay).booked_first == 1);
  CHECK(clinic.SlotAt(clinic.duo, given.appointments[1].day, given.appointments[1].minute)
            .booked_second == 0);
  // Back on the waiting list a draw would give a first dose again.
  CHECK(clinic.Who(clinic.early_person).status == RegistrantStatus::kWithdrawn);
  CHECK(clinic.engine.Summarize().doses_given == 1);
  REFUSED(clinic.engine, StatusCode::kFailedPrecondition,
          clinic.engine.Withdraw(clinic.early_person, On(kDay, 10)));
}

TEST_CASE("a hold is declined, not cancelled; a withdrawal lets it lapse") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay, opens);
  const RegistrantId person = town.Person();
  const Series hold = town.Book(person, opens);
  const std::string message = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                                      town.engine.CancelSeries(hold.id, opens + absl::Minutes(1)));
  CHECK(absl::StrContains(message, "decline"));
  absl::StatusOr<Prepared<Cancellation>> prepared =
      town.engine.PrepareWithdraw(person, opens + absl::Minutes(1));
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  CHECK(prepared->change.series == kNoId);
  CHECK(prepared->change.hold == hold.id);
  REQUIRE(prepared->change.written.size() == 1);
  CHECK(prepared->change.written[0].status == kLapsed);
  town.engine.Apply(*prepared);
  CheckAll(town.engine);
  CHECK(town.Who(person).status == RegistrantStatus::kWithdrawn);
  CHECK(town.Get(hold.id).status == kLapsed);
  CHECK(town.engine.hold_count() == 0);
  CHECK(town.engine.GetRelease(1)->booked == 0);
  CHECK(town.SlotAt(town.mono, kDay).booked_first == 0);
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.Book(Town::Request(person, opens + absl::Minutes(2))));
}

// ---------------------------------------------------------------------------
// Rules added with the invariant checker
// ---------------------------------------------------------------------------

TEST_CASE("a registrant's vaccine preference binds a self-booking too") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0);
  town.Capacity(town.center_a, town.duo, kDay, kDay, 1, 0);
  town.Capacity(town.center_a, town.duo, kDay + 21, kDay + 21, 0, 1);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay, opens);
  const RegistrantId person = town.Person(Channel::kOnline, 0, town.duo);
  BookingRequest request = Town::Request(person, opens);
  request.vaccine = town.mono;
  const std::string message =
      REFUSED(town.engine, StatusCode::kFailedPrecondition, town.engine.Book(request));
  CHECK(absl::StrContains(message, "registered for vaccine 1 only, not vaccine 2"));
  request.vaccine = town.duo;
  CHECK(Ok(town.engine.Book(request)).vaccine == town.duo);
  CheckAll(town.engine);
}

TEST_CASE("giving the first dose lets a swap hold of that series lapse") {
  // A one-dose series on day 1 and a swap to day 0 held for 24 hours: the
  // day-1 dose is given while the swap is still held.
  Town town;
  town.SetPolicy(4, "UTC", absl::Hours(24));
  town.Capacity(town.center_a, town.mono, kDay, kDay, 1, 0, 23 * 60, 23 * 60 + 30);
  town.Capacity(town.center_a, town.mono, kDay + 1, kDay + 1, 1, 0);
  const RegistrantId person = town.Person();
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 6, 9), kDay + 1, kDay + 1);
  REQUIRE(drawn.size() == 1);
  const Series hold = town.Book(person, On(kDay, 23), BookingMode::kShortNotice);
  REQUIRE(hold.replaces == drawn[0]);
  REQUIRE(hold.appointments[0].day == kDay);
  absl::StatusOr<Prepared<SeriesChange>> prepared =
      town.engine.PrepareRecordDose(drawn[0], 1, DoseOutcome::kGiven, On(kDay + 1, 9));
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  CHECK(prepared->change.series.size() == 2);
  town.engine.Apply(*prepared);
  CheckAll(town.engine);
  CHECK(town.Who(person).status == RegistrantStatus::kVaccinated);
  CHECK(town.Get(hold.id).status == kLapsed);
  CHECK(town.engine.hold_count() == 0);
  CHECK(town.SlotAt(town.mono, kDay, 23 * 60).booked_first == 0);
}

TEST_CASE("a release may not open before the latest draw") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 5, 1, 0);
  town.Person();
  town.Draw(On(kDay - 6, 9), kDay, kDay);
  ReleaseSpec spec;
  spec.center = town.center_a;
  spec.first_day = kDay + 1;
  spec.last_day = kDay + 2;
  spec.release_at = On(kDay - 6, 9) - absl::Microseconds(1);
  const std::string message =
      REFUSED(town.engine, StatusCode::kFailedPrecondition, town.engine.AddRelease(spec));
  CHECK(absl::StrContains(message, "before the latest draw's instant"));
  spec.release_at = On(kDay - 6, 9);  // the same instant is fine
  Ok(town.engine.AddRelease(spec));
  CheckAll(town.engine);
}

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

TEST_CASE("AddRelease: bad input") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 5, 1, 0);
  ReleaseSpec good;
  good.center = town.center_a;
  good.vaccine = town.mono;
  good.first_day = kDay;
  good.last_day = kDay + 2;
  good.release_at = On(kDay - 5, 8);
  Engine& engine = town.engine;
  ReleaseSpec spec = good;
  spec.center = 0;
  REFUSED(engine, StatusCode::kNotFound, engine.AddRelease(spec));
  spec.center = 3;
  REFUSED(engine, StatusCode::kNotFound, engine.AddRelease(spec));
  spec = good;
  spec.vaccine = 3;
  REFUSED(engine, StatusCode::kNotFound, engine.AddRelease(spec));
  spec = good;
  spec.last_day = kDay - 1;
  REFUSED(engine, StatusCode::kInvalidArgument, engine.AddRelease(spec));
  spec = good;
  spec.last_day = kDay + kCapacityBlockDaysMax;
  REFUSED(engine, StatusCode::kInvalidArgument, engine.AddRelease(spec));
  spec = good;
  spec.first_day = CivilDay(1899, 12, 31);
  REFUSED(engine, StatusCode::kOutOfRange, engine.AddRelease(spec));
  spec = good;
  spec.last_day = CivilDay(2201, 1, 1);
  REFUSED(engine, StatusCode::kOutOfRange, engine.AddRelease(spec));
  spec = good;
  spec.release_at = absl::InfiniteFuture();
  REFUSED(engine, StatusCode::kInvalidArgument, engine.AddRelease(spec));
  spec.release_at = On(CivilDay(2201, 1, 1), 0);
  REFUSED(engine, StatusCode::kOutOfRange, engine.AddRelease(spec));

  CHECK(Ok(engine.AddRelease(good)) == 1u);
  CheckAll(engine);
  spec = good;
  spec.first_day = kDay + 2;
  spec.last_day = kDay + 4;
  std::string message = REFUSED(engine, StatusCode::kAlreadyExists, engine.AddRelease(spec));
  CHECK(absl::StrContains(message, "overlap release 1"));
  spec.vaccine = kNoId;  // every vaccine meets the mono release
  REFUSED(engine, StatusCode::kAlreadyExists, engine.AddRelease(spec));
  spec.vaccine = town.duo;  // another vaccine on the same days is fine
  CHECK(Ok(engine.AddRelease(spec)) == 2u);
  spec.center = town.center_b;  // another center too
  spec.vaccine = town.mono;
  CHECK(Ok(engine.AddRelease(spec)) == 3u);
  spec = good;
  spec.first_day = kDay + 3;  // adjacent days
  spec.last_day = kDay + 3;
  CHECK(Ok(engine.AddRelease(spec)) == 4u);
  CheckAll(engine);
  CHECK(engine.release_count() == 4u);
  REFUSED(engine, StatusCode::kNotFound, engine.GetRelease(0));
  REFUSED(engine, StatusCode::kNotFound, engine.GetRelease(5));
  const Release first = Ok(engine.GetRelease(1));
  CHECK(first.spec.first_day == kDay);
  CHECK(first.booked == 0);
}

TEST_CASE("Book, ConfirmHold, DeclineHold, ExpireHolds: bad input") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 5, 1, 0);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay, kDay + 5, opens);
  const RegistrantId person = town.Person();
  const RegistrantId b_resident = town.Person(Channel::kOnline, town.district_b);
  Engine& engine = town.engine;
  BookingRequest request = Town::Request(person, opens);
  BookingRequest bad = request;
  bad.registrant = 0;
  REFUSED(engine, StatusCode::kNotFound, engine.Book(bad));
  bad.registrant = 3;
  REFUSED(engine, StatusCode::kNotFound, engine.Book(bad));
  bad = request;
  bad.center = 3;
  REFUSED(engine, StatusCode::kNotFound, engine.Book(bad));
  bad = request;
  bad.vaccine = 3;
  REFUSED(engine, StatusCode::kNotFound, engine.Book(bad));
  bad = request;
  bad.mode = static_cast<BookingMode>(9);
  REFUSED(engine, StatusCode::kInvalidArgument, engine.Book(bad));
  bad = request;
  bad.at = absl::InfinitePast();
  REFUSED(engine, StatusCode::kInvalidArgument, engine.Book(bad));
  bad.at = On(CivilDay(1899, 12, 31), 8);
  REFUSED(engine, StatusCode::kOutOfRange, engine.Book(bad));
  bad = request;
  bad.first_dose_from = CivilDay(1899, 1, 1);
  REFUSED(engine, StatusCode::kOutOfRange, engine.Book(bad));
  bad = request;
  bad.first_dose_until = CivilDay(2201, 1, 1);
  REFUSED(engine, StatusCode::kOutOfRange, engine.Book(bad));
  bad = request;
  bad.at = On(CivilDay(2021, 4, 30), 8);  // before the registration
  REFUSED(engine, StatusCode::kFailedPrecondition, engine.Book(bad));
  bad = request;
  bad.first_dose_from = kDay + 6;  // nothing released there
  REFUSED(engine, StatusCode::kResourceExhausted, engine.Book(bad));
  bad = request;
  bad.first_dose_until = kDay - 1;  // an empty range finds nothing either
  REFUSED(engine, StatusCode::kResourceExhausted, engine.Book(bad));
  bad = Town::Request(b_resident, opens);
  bad.center = town.center_a;  // not the resident's center
  std::string message = REFUSED(engine, StatusCode::kFailedPrecondition, engine.Book(bad));
  CHECK(absl::StrContains(message, "does not serve registrant 2"));
  bad.center = kNoId;  // center B has no release
  REFUSED(engine, StatusCode::kResourceExhausted, engine.Book(bad));

  REFUSED(engine, StatusCode::kNotFound, engine.ConfirmHold(0, opens));
  REFUSED(engine, StatusCode::kNotFound, engine.ConfirmHold(1, opens));
  REFUSED(engine, StatusCode::kNotFound, engine.DeclineHold(1, opens));
  REFUSED(engine, StatusCode::kInvalidArgument, engine.ExpireHolds(absl::InfiniteFuture()));
  const Series hold = town.Book(person, opens);
  REFUSED(engine, StatusCode::kInvalidArgument, engine.ConfirmHold(hold.id, absl::InfinitePast()));
  REFUSED(engine, StatusCode::kOutOfRange,
          engine.DeclineHold(hold.id, On(CivilDay(2201, 1, 1), 0)));
  Ok(engine.ConfirmHold(hold.id, opens + absl::Minutes(1)));
  CheckAll(engine);
  // A scheduled registrant books no release; a withdrawn one nothing at all.
  message = REFUSED(engine, StatusCode::kFailedPrecondition,
                    engine.Book(Town::Request(person, opens + absl::Minutes(2))));
  CHECK(absl::StrContains(message, "not waiting"));
  Ok(engine.Withdraw(b_resident, opens + absl::Minutes(3)));
  REFUSED(engine, StatusCode::kFailedPrecondition,
          engine.Book(Town::Request(b_resident, opens + absl::Minutes(4))));
  // Every booking-flow call comes after the latest draw.
  town.Person();
  town.Draw(opens + absl::Minutes(10), kDay + 10, kDay + 10);
  REFUSED(engine, StatusCode::kFailedPrecondition,
          engine.Book(Town::Request(3, opens + absl::Minutes(10))));
  REFUSED(engine, StatusCode::kFailedPrecondition, engine.ExpireHolds(opens + absl::Minutes(10)));
  CHECK(Ok(engine.ExpireHolds(opens + absl::Minutes(11))) == 0u);
}

TEST_CASE("policy: time zone, hold and short_notice_days are validated") {
  Town town;
  Engine& engine = town.engine;
  Policy policy;
  policy.time_zone = "Mars/Olympus_Mons";
  std::string message = REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  CHECK(absl::StrContains(message, "Mars/Olympus_Mons"));
  policy.time_zone = "";
  REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  policy.time_zone = std::string(kTimeZoneLengthMax + 1, 'x');
  REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  policy = Policy{};
  policy.hold = absl::ZeroDuration();
  message = REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  CHECK(absl::StrContains(message, "hold"));
  policy.hold = absl::Minutes(kHoldMinutesMax) + absl::Seconds(1);
  REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  policy.hold = -absl::Minutes(1);
  REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  policy = Policy{};
  policy.short_notice_days = kShortNoticeDaysMax + 1;
  message = REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  CHECK(absl::StrContains(message, "short_notice_days 61"));
  policy.short_notice_days = -1;
  REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
  // The bounds themselves are fine.
  policy = Policy{};
  policy.time_zone = "Europe/Berlin";
  policy.hold = absl::Minutes(kHoldMinutesMax);
  policy.short_notice_days = kShortNoticeDaysMax;
  CHECK(Ok(engine.SetPolicy(policy)) == 2u);
  policy.hold = absl::Seconds(1);
  policy.short_notice_days = 0;
  CHECK(Ok(engine.SetPolicy(policy)) == 3u);
  CHECK(engine.policy().time_zone == "Europe/Berlin");
}

// ---------------------------------------------------------------------------
// The standby list
// ---------------------------------------------------------------------------

TEST_CASE("standby: the list holds waiting standby registrants the center serves, best first") {
  Town town;
  Engine& engine = town.engine;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 3, 1, 0);
  const absl::Time may1 = On(CivilDay(2021, 5, 1), 8);
  auto add = [&](const std::string& ref, PriorityGroup group, absl::Time registered_at,
                 bool standby = true, DistrictId district = kNoId) {
    RegistrantSpec spec = ::vaxalloc::testing::Person(
        ref, district == kNoId ? town.district_a : district, group, registered_at);
    spec.standby = standby;
    const RegistrantId id = Ok(engine.Register(spec));
    CheckAll(engine);
    return id;
  };
  const PriorityGroup g1 = PriorityGroup::kGroup1;
  const RegistrantId late_g1 = add("g1-late", g1, may1 + absl::Hours(2));
  const RegistrantId early_g1 = add("g1-early", g1, may1);
  const RegistrantId b_none = add("b", PriorityGroup::kNone, may1);  // ties with "a": ref decides
  const RegistrantId a_none = add("a", PriorityGroup::kNone, may1);
  const RegistrantId g3 = add("g3", PriorityGroup::kGroup3, may1 + absl::Hours(5));
  // Registered first, but waits again only since its cancellation.
  const RegistrantId cancelled = add("cancelled", g1, may1 - absl::Hours(1));
  add("not-standby", g1, may1, false);
  const RegistrantId district_b = add("district-b", g1, may1, true, town.district_b);
  const RegistrantId registers_later = add("registers-later", g1, On(kDay, 20));
  const RegistrantId holder = add("holder", g1, may1);
  const RegistrantId scheduled = add("scheduled", g1, may1);
  const RegistrantId withdrawn = add("withdrawn", g1, may1);
  const absl::Time opens = On(kDay - 5, 8);
  town.Release(kDay + 2, kDay + 3, opens);
  town.Book(scheduled, opens, BookingMode::kRelease, true);
  const Series dropped = town.Book(cancelled, opens, BookingMode::kRelease, true);
  Ok(engine.CancelSeries(dropped.id, opens + absl::Minutes(1)));
  Ok(engine.Withdraw(withdrawn, opens + absl::Minutes(2)));
  CheckAll(engine);
  // The holder holds today's seat until 18:30.
  const Series offer = town.Book(holder, On(kDay, 18), BookingMode::kStandby);
  CHECK(offer.hold_expires_at == On(kDay, 18, 30));

  const std::string before = Digest(engine);
  using Ids = std::vector<RegistrantId>;
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 18, 10), 100)) ==
        Ids{early_g1, late_g1, cancelled, g3, a_none, b_none});
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 18, 10), 2)) == Ids{early_g1, late_g1});
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 18, 10), 0)).empty());
  // A hold that is due no longer keeps its holder off the list, even before
  // anything lets it lapse.
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 18, 30), 3)) ==
        Ids{early_g1, holder, late_g1});
  // A registration counts from its instant.
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 21), 100)) ==
        Ids{early_g1, holder, late_g1, cancelled, registers_later, g3, a_none, b_none});
  CHECK(Ok(engine.StandbyList(town.center_b, On(kDay, 21), 100)) == Ids{district_b});
  CHECK(Digest(engine) == before);
  // Tiers are the current policy's: with every group in tier 1 only the wait
  // and the reference decide.
  Policy policy;
  TierRule everyone;
  everyone.tier_by_group = {1, 1, 1, 1};
  policy.tier_rules = {everyone};
  Ok(engine.SetPolicy(policy));
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 18, 10), 100)) ==
        Ids{a_none, b_none, early_g1, late_g1, g3, cancelled});
  REFUSED(engine, StatusCode::kNotFound, engine.StandbyList(kNoId, On(kDay, 19), 5));
  REFUSED(engine, StatusCode::kNotFound, engine.StandbyList(3, On(kDay, 19), 5));
  REFUSED(engine, StatusCode::kInvalidArgument,
          engine.StandbyList(town.center_a, absl::InfiniteFuture(), 5));
  REFUSED(engine, StatusCode::kOutOfRange,
          engine.StandbyList(town.center_a, On(CivilDay(2201, 1, 1), 8), 5));
}

// One 09:00 slot a day; the drawn person's first dose is on kDay at 09:00.
struct StandbyTown : Town {
  StandbyTown() {
    Policy policy;
    policy.standby_hold = absl::Minutes(45);
    Ok(engine.SetPolicy(policy));
    Capacity(center_a, mono, kDay, kDay + 1, 1, 0, 9 * 60, 10 * 60, 60);
    Person();
    const std::vector<SeriesId> drawn = Draw(On(kDay - 6, 9), kDay, kDay);
    REQUIRE(drawn.size() == 1);
    no_show = drawn[0];
    standby = Person(Channel::kOnline, 0, kNoId, PriorityGroup::kNone, true);
    plain = Person();
  }
  SeriesId no_show = kNoId;
  RegistrantId standby = kNoId, plain = kNoId;
};

TEST_CASE("standby: a no-show's seat is offered the same evening, held for standby_hold") {
  StandbyTown town;
  Engine& engine = town.engine;
  // Before the no-show nothing is left today; tomorrow's seat is no standby seat.
  std::string message =
      REFUSED(engine, StatusCode::kResourceExhausted,
              engine.Book(Town::Request(town.standby, On(kDay, 8), BookingMode::kStandby)));
  CHECK(absl::StrContains(message, "2021-06-07 .. 2021-06-07"));
  CHECK(absl::StrContains(message, "left today"));
  Ok(engine.RecordDose(town.no_show, 1, DoseOutcome::kMissed, On(kDay, 10)));
  CheckAll(engine);
  message = REFUSED(engine, StatusCode::kFailedPrecondition,
                    engine.Book(Town::Request(town.plain, On(kDay, 19), BookingMode::kStandby)));
  CHECK(absl::StrContains(message, "not on the standby list"));
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 19), 10)) ==
        std::vector<RegistrantId>{town.standby});

  // At 19:00 the 09:00 seat (its slot long begun) goes to the standby registrant.
  const Series offer = town.Book(town.standby, On(kDay, 19), BookingMode::kStandby);
  CHECK(offer.status == kHeld);
  CHECK(offer.origin == SeriesOrigin::kStandby);
  CHECK(offer.release == kNoId);
  CHECK(offer.replaces == kNoId);
  CHECK(offer.appointments[0].day == kDay);
  CHECK(offer.appointments[0].minute == 9 * 60);
  CHECK(offer.booked_at == On(kDay, 19));
  CHECK(offer.hold_expires_at == On(kDay, 19, 45));  // standby_hold, not hold (10 min)
  CHECK(town.Who(town.standby).status == kWaiting);
  CHECK(engine.hold_count() == 1);
  CHECK(town.SlotAt(town.mono, kDay, 9 * 60).booked_first == 1);
  CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 19, 1), 10)).empty());
  SUBCASE("confirmed and given the same evening") {
    Ok(engine.ConfirmHold(offer.id, On(kDay, 19, 44)));
    CheckAll(engine);
    CHECK(town.Who(town.standby).status == kScheduled);
    const Series given = Ok(engine.RecordDose(offer.id, 1, DoseOutcome::kGiven, On(kDay, 19, 50)));
    CheckAll(engine);
    CHECK(given.status == SeriesStatus::kCompleted);
    CHECK(town.Who(town.standby).status == RegistrantStatus::kVaccinated);
  }
  SUBCASE("not confirmed in time") {
    message = REFUSED(engine, StatusCode::kFailedPrecondition,
                      engine.ConfirmHold(offer.id, On(kDay, 19, 45)));
    CHECK(absl::StrContains(message, "lapsed"));
    CHECK(Ok(engine.ExpireHolds(On(kDay, 19, 45))) == 1u);
    CheckAll(engine);
    CHECK(town.Get(offer.id).status == kLapsed);
    CHECK(town.SlotAt(town.mono, kDay, 9 * 60).booked_first == 0);
    CHECK(Ok(engine.StandbyList(town.center_a, On(kDay, 19, 46), 10)) ==
          std::vector<RegistrantId>{town.standby});
  }
}

TEST_CASE("standby: who may book, and what") {
  StandbyTown town;
  Engine& engine = town.engine;
  Ok(engine.RecordDose(town.no_show, 1, DoseOutcome::kMissed, On(kDay, 10)));
  // Phone registrants are on the list too (the center calls them).
  const RegistrantId phone =
      town.Person(Channel::kPhone, 0, kNoId, PriorityGroup::kNone, /*standby=*/true);
  SUBCASE("booked at once; the registrant is then no longer waiting") {
    const Series booked = town.Book(phone, On(kDay, 18), BookingMode::kStandby, true);
    CHECK(booked.status == kActive);
    CHECK(booked.origin == SeriesOrigin::kStandby);
    CHECK(booked.hold_expires_at == absl::InfinitePast());
    CHECK(town.Who(phone).series == booked.id);
    const std::string message =
        REFUSED(engine, StatusCode::kFailedPrecondition,
                engine.Book(Town::Request(phone, On(kDay, 18, 5), BookingMode::kStandby)));
    CHECK(absl::StrContains(message, "not waiting"));
    // The seat is gone for the next one.
    REFUSED(engine, StatusCode::kResourceExhausted,
            engine.Book(Town::Request(town.standby, On(kDay, 18, 5), BookingMode::kStandby)));
  }
  SUBCASE("a two-dose vaccine gets its second dose inside the interval") {
    town.Capacity(town.center_a, town.duo, kDay, kDay, 1, 0, 12 * 60, 13 * 60, 60);
    town.Capacity(town.center_a, town.duo, kDay + 21, kDay + 21, 0, 1, 12 * 60, 13 * 60, 60);
    BookingRequest request = Town::Request(phone, On(kDay, 18), BookingMode::kStandby, true);
    request.vaccine = town.duo;
    const Series booked = Ok(engine.Book(request));
    CheckAll(engine);
    CHECK(booked.appointments[0].day == kDay);
    CHECK(booked.appointments[0].minute == 12 * 60);
    CHECK(booked.appointments[1].day == kDay + 21);
  }
  SUBCASE("tomorrow's seat is not offered, today's the day after is") {
    town.Book(phone, On(kDay, 18), BookingMode::kStandby, true);
    REFUSED(engine, StatusCode::kResourceExhausted,
            engine.Book(Town::Request(town.standby, On(kDay, 18, 1), BookingMode::kStandby)));
    CHECK(town.Book(town.standby, On(kDay + 1, 7), BookingMode::kStandby).appointments[0].day ==
          kDay + 1);
  }
}

// ---------------------------------------------------------------------------
// Verification codes
// ---------------------------------------------------------------------------

// Entropy values whose six-digit codes are known: multiply-shift maps a
// value v onto floor(v * 10^6 / 2^64).
const uint64_t kValue000042 = 0x0002c0a4a05dd8faULL;
const uint64_t kValue123456 = 0x1f9acffa7eb6bf45ULL;

// Two registrants, each with an active drawn series (mono, kDay and kDay + 1).
struct CodeTown : Town {
  CodeTown() {
    Capacity(center_a, mono, kDay, kDay + 3, 1, 0);
    person = Person();
    other = Person();
    const std::vector<SeriesId> drawn = Draw(On(kDay - 6, 9), kDay, kDay + 1);
    REQUIRE(drawn.size() == 2);
    series = Who(person).series;
    other_series = Who(other).series;
  }

  static CodeRequest Request(RegistrantId registrant, CodePurpose purpose, SeriesId series,
                             absl::Time at) {
    CodeRequest request;
    request.registrant = registrant;
    request.purpose = purpose;
    request.series = series;
    request.at = at;
    return request;
  }
  CodeRequest CancelRequest(absl::Time at) const {
    return Request(person, CodePurpose::kCancelSeries, series, at);
  }

  IssuedCode Issue(const CodeRequest& request, uint64_t value, uint64_t salt0 = 0x5a17,
                   uint64_t salt1 = 0xfeed) {
    absl::StatusOr<Prepared<IssuedCode>> prepared =
        engine.PrepareIssueCode(request, CodeEntropy{value, salt0, salt1});
    REQUIRE_MESSAGE(prepared.ok(), prepared.status());
    engine.Apply(*prepared);
    CheckAll(engine);
    return prepared->change;
  }

  // A verification that changes the engine (an attempt counted, or accepted).
  absl::Status Verify(CodeId code, std::string_view entered, absl::Time at,
                      CodeOutcome expected_outcome) {
    const uint64_t revision = engine.revision();
    CodeOutcome outcome = CodeOutcome::kNotPending;
    const absl::Status status = engine.VerifyCode(code, entered, at, &outcome);
    CheckAll(engine);
    CHECK(outcome == expected_outcome);
    CHECK(engine.revision() > revision);
    return status;
  }

  VerificationCode Code(CodeId id) const { return *engine.GetCode(id); }

  const absl::Time now = On(kDay - 5, 10);
  RegistrantId person = kNoId, other = kNoId;
  SeriesId series = kNoId, other_series = kNoId;
};

// The record holds nothing but numbers: no digits can hide in it.
static_assert(std::is_trivially_copyable_v<VerificationCode>);

TEST_CASE("codes: code_digits digits, zero-padded; the engine keeps only a salted hash") {
  CodeTown town;
  absl::StatusOr<Prepared<IssuedCode>> prepared =
      town.engine.PrepareIssueCode(town.CancelRequest(town.now), CodeEntropy{kValue000042, 7, 9});
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  CHECK(town.engine.code_count() == 0u);  // nothing before Apply
  const IssuedCode& issued = prepared->change;
  CHECK(issued.code == "000042");
  CHECK(issued.superseded.empty());
  const VerificationCode& record = issued.record;
  CHECK(record.id == 1u);
  CHECK(record.registrant == town.person);
  CHECK(record.purpose == CodePurpose::kCancelSeries);
  CHECK(record.series == town.series);
  CHECK(record.issued_at == town.now);
  CHECK(record.expires_at == town.now + absl::Minutes(15));
  CHECK(record.attempts == 0);
  CHECK(record.state == CodeState::kPending);
  CHECK(record.salt0 == 7u);
  CHECK(record.salt1 == 9u);
  CHECK(record.hash == SipHash24(7, 9, "000042"));
  CHECK(record.hash != SipHash24(7, 9, "42"));
  const Event& event = issued.event;
  CHECK(event.kind == EventKind::kCodeIssued);
  CHECK(event.at == town.now);
  CHECK(event.registrant == town.person);
  CHECK(event.series == town.series);
  CHECK(event.code_id == record.id);
  CHECK(event.code == "000042");
  town.engine.Apply(*prepared);
  CheckAll(town.engine);
  CHECK(town.engine.code_count() == 1u);
  const VerificationCode stored = town.Code(1);
  CHECK(stored.hash == record.hash);
  CHECK(stored.state == CodeState::kPending);

  CHECK(town.Issue(town.Request(town.other, CodePurpose::kWithdraw, kNoId, town.now), kValue123456)
            .code == "123456");
  // The edges of the range, and other lengths.
  CHECK(town.Issue(town.CancelRequest(town.now), 0).code == "000000");
  CHECK(town.Issue(town.CancelRequest(town.now), std::numeric_limits<uint64_t>::max()).code ==
        "999999");
  Policy policy;
  policy.code_digits = 4;
  Ok(town.engine.SetPolicy(policy));
  CHECK(town.Issue(town.CancelRequest(town.now), 0x002de00d1b71758fULL).code == "0007");
  policy.code_digits = 10;
  Ok(town.engine.SetPolicy(policy));
  CHECK(town.Issue(town.CancelRequest(town.now), 0x6df37f68ULL).code == "0000000001");
  // A day later: five codes within 24 hours is the most (kCodesPerDayMax).
  CHECK(town.Issue(town.CancelRequest(town.now + absl::Hours(24)), 0xfcd6e9e072b5c3e1ULL).code ==
        "9876543210");
}

TEST_CASE("codes: the right code cancels the series or withdraws the registrant") {
  CodeTown town;
  SUBCASE("cancel the series") {
    const IssuedCode issued = town.Issue(town.CancelRequest(town.now), kValue123456);
    absl::StatusOr<Prepared<CodeVerification>> prepared =
        town.engine.PrepareVerifyCode(issued.record.id, "123456", town.now + absl::Minutes(1));
    REQUIRE_MESSAGE(prepared.ok(), prepared.status());
    const CodeVerification& verification = prepared->change;
    CHECK(verification.outcome == CodeOutcome::kAccepted);
    CHECK(verification.record_changed);
    CHECK(verification.record.state == CodeState::kUsed);
    REQUIRE(verification.action.has_value());
    CHECK(verification.action->series == town.series);
    CHECK(verification.action->registrant == town.person);
    CHECK_FALSE(verification.action->withdraw);
    town.engine.Apply(*prepared);
    CheckAll(town.engine);
    CHECK(town.Get(town.series).status == kCancelled);
    CHECK(town.Who(town.person).status == kWaiting);
    CHECK(town.Who(town.person).waiting_since == town.now + absl::Minutes(1));
    CHECK(town.Code(issued.record.id).state == CodeState::kUsed);
    CHECK(town.Code(issued.record.id).attempts == 0);
  }
  SUBCASE("withdraw the registrant") {
    const IssuedCode issued =
        town.Issue(town.Request(town.person, CodePurpose::kWithdraw, kNoId, town.now), 0);
    CHECK(issued.event.series == kNoId);
    CHECK(
        town.Verify(issued.record.id, "000000", town.now + absl::Minutes(1), CodeOutcome::kAccepted)
            .ok());
    CHECK(town.Who(town.person).status == RegistrantStatus::kWithdrawn);
    // A withdrawal code deletes the registration: nothing names the person.
    CHECK(town.Who(town.person).erased);
    CHECK(town.Who(town.person).spec.external_ref.empty());
    CHECK(town.engine.FindRegistrant("person-1").status().code() == StatusCode::kNotFound);
    CHECK(town.Get(town.series).status == kCancelled);
    CHECK(town.Code(issued.record.id).state == CodeState::kUsed);
  }
  // Used once only.
  CodeOutcome outcome = CodeOutcome::kAccepted;
  const std::string message =
      REFUSED(town.engine, StatusCode::kFailedPrecondition,
              town.engine.VerifyCode(
                  1, town.Code(1).purpose == CodePurpose::kWithdraw ? "000000" : "123456",
                  town.now + absl::Minutes(2), &outcome));
  CHECK(absl::StrContains(message, "code 1 was already used"));
  CHECK(outcome == CodeOutcome::kNotPending);
  // The other registrant is untouched.
  CHECK(town.Who(town.other).status == kScheduled);
}

TEST_CASE("codes: wrong entries count down the attempts, then the code locks") {
  CodeTown town;
  const CodeId id = town.Issue(town.CancelRequest(town.now), kValue123456).record.id;
  const absl::Time at = town.now + absl::Minutes(1);
  absl::StatusOr<Prepared<CodeVerification>> prepared =
      town.engine.PrepareVerifyCode(id, "654321", at);
  REQUIRE_MESSAGE(prepared.ok(), prepared.status());
  CHECK(prepared->change.outcome == CodeOutcome::kWrong);
  CHECK(prepared->change.record_changed);
  CHECK(prepared->change.record.attempts == 1);
  CHECK_FALSE(prepared->change.action.has_value());
  absl::Status status = town.Verify(id, "654321", at, CodeOutcome::kWrong);
  CHECK(status.code() == StatusCode::kUnauthenticated);
  CHECK(std::string(status.message()) == "code 1 is wrong; 2 attempt(s) left");
  CHECK(town.Code(id).attempts == 1);
  CHECK(town.Code(id).state == CodeState::kPending);
  // A shorter entry of digits is just as wrong.
  status = town.Verify(id, "12345", at + absl::Seconds(1), CodeOutcome::kWrong);
  CHECK(std::string(status.message()) == "code 1 is wrong; 1 attempt(s) left");
  status = town.Verify(id, "000000", at + absl::Seconds(2), CodeOutcome::kWrong);
  CHECK(status.code() == StatusCode::kUnauthenticated);
  CHECK(absl::StrContains(status.message(), "the code is locked"));
  CHECK(town.Code(id).attempts == 3);
  CHECK(town.Code(id).state == CodeState::kLocked);
  // The right code no longer helps, and nothing more is counted.
  CodeOutcome outcome = CodeOutcome::kAccepted;
  const std::string message =
      REFUSED(town.engine, StatusCode::kUnauthenticated,
              town.engine.VerifyCode(id, "123456", at + absl::Seconds(3), &outcome));
  CHECK(message == "code 1 is locked after 3 wrong attempts");
  CHECK(outcome == CodeOutcome::kLocked);
  CHECK(town.Get(town.series).status == kActive);
  // A new code starts afresh.
  const IssuedCode fresh = town.Issue(town.CancelRequest(at + absl::Minutes(1)), 0);
  CHECK(fresh.superseded.empty());  // a locked code is not pending
  CHECK(town.Verify(fresh.record.id, "000000", at + absl::Minutes(2), CodeOutcome::kAccepted).ok());
  CHECK(town.Code(id).state == CodeState::kLocked);
}

TEST_CASE("codes: a lower code_attempts applies to codes already pending") {
  CodeTown town;
  Policy policy;
  policy.code_attempts = 5;
  Ok(town.engine.SetPolicy(policy));
  const CodeId id = town.Issue(town.CancelRequest(town.now), kValue123456).record.id;
  town.Verify(id, "111111", town.now + absl::Minutes(1), CodeOutcome::kWrong).IgnoreError();
  const absl::Status status =
      town.Verify(id, "222222", town.now + absl::Minutes(2), CodeOutcome::kWrong);
  CHECK(std::string(status.message()) == "code 1 is wrong; 3 attempt(s) left");
  policy.code_attempts = 2;
  Ok(town.engine.SetPolicy(policy));
  CheckAll(town.engine);  // two wrong attempts, pending: fine under the earlier limit
  CodeOutcome outcome = CodeOutcome::kAccepted;
  const std::string message =
      REFUSED(town.engine, StatusCode::kUnauthenticated,
              town.engine.VerifyCode(id, "123456", town.now + absl::Minutes(3), &outcome));
  CHECK(message == "code 1 is locked after 2 wrong attempts");
  CHECK(outcome == CodeOutcome::kLocked);
  CHECK(town.Get(town.series).status == kActive);
}

TEST_CASE("codes: a code expires at expires_at, and the message names the instant") {
  CodeTown town;
  const IssuedCode issued = town.Issue(town.CancelRequest(town.now), kValue123456);
  const absl::Time expires_at = issued.record.expires_at;
  CHECK(expires_at == On(kDay - 5, 10, 15));
  CodeOutcome outcome = CodeOutcome::kAccepted;
  std::string message = REFUSED(town.engine, StatusCode::kUnauthenticated,
                                town.engine.VerifyCode(1, "123456", expires_at, &outcome));
  CHECK(message == "code 1 expired at 2021-06-02T10:15:00+00:00");
  CHECK(outcome == CodeOutcome::kExpired);
  // An expired code counts no attempt either.
  message = REFUSED(town.engine, StatusCode::kUnauthenticated,
                    town.engine.VerifyCode(1, "000000", expires_at + absl::Hours(1)));
  CHECK(absl::StrContains(message, "expired"));
  SUBCASE("a microsecond earlier it is accepted") {
    CHECK(
        town.Verify(1, "123456", expires_at - absl::Microseconds(1), CodeOutcome::kAccepted).ok());
  }
  SUBCASE("the lifetime is the policy's") {
    Policy policy;
    policy.code_lifetime = absl::Minutes(3);
    Ok(town.engine.SetPolicy(policy));
    const IssuedCode second = town.Issue(town.CancelRequest(town.now + absl::Minutes(20)), 0);
    CHECK(second.record.expires_at == town.now + absl::Minutes(23));
    REFUSED(town.engine, StatusCode::kUnauthenticated,
            town.engine.VerifyCode(second.record.id, "000000", town.now + absl::Minutes(23)));
  }
}

TEST_CASE("codes: a new code supersedes the pending one of the same purpose") {
  CodeTown town;
  const IssuedCode first = town.Issue(town.CancelRequest(town.now), kValue123456);
  const IssuedCode withdraw =
      town.Issue(town.Request(town.person, CodePurpose::kWithdraw, kNoId, town.now), 0);
  CHECK(withdraw.superseded.empty());  // another purpose
  const IssuedCode second = town.Issue(town.CancelRequest(town.now + absl::Minutes(1)), 0x42);
  REQUIRE(second.superseded.size() == 1);
  CHECK(second.superseded[0].id == first.record.id);
  CHECK(second.superseded[0].state == CodeState::kSuperseded);
  CHECK(town.Code(first.record.id).state == CodeState::kSuperseded);
  CHECK(town.Code(withdraw.record.id).state == CodeState::kPending);
  CodeOutcome outcome = CodeOutcome::kAccepted;
  const std::string message = REFUSED(
      town.engine, StatusCode::kFailedPrecondition,
      town.engine.VerifyCode(first.record.id, "123456", town.now + absl::Minutes(2), &outcome));
  CHECK(absl::StrContains(message, "replaced by a newer code"));
  CHECK(outcome == CodeOutcome::kNotPending);
  CHECK(town.Get(town.series).status == kActive);
  CHECK(town.Verify(second.record.id, second.code, town.now + absl::Minutes(2),
                    CodeOutcome::kAccepted)
            .ok());
  CHECK(town.Get(town.series).status == kCancelled);
  // The withdrawal code is still good.
  CHECK(
      town.Verify(withdraw.record.id, "000000", town.now + absl::Minutes(3), CodeOutcome::kAccepted)
          .ok());
  CHECK(town.Who(town.person).status == RegistrantStatus::kWithdrawn);
}

// Issue 22: each new code started with no wrong entries, so an attacker who
// requested withdrawal codes for a victim again and again guessed without
// end (1.19 M guesses in 20 s, one right). Now: kCodesPerDayMax codes within
// 24 hours, kCodesPerRegistrantMax in all.
TEST_CASE("codes: reissuing codes gives at most kCodesPerDayMax * code_attempts guesses a day") {
  CodeTown town;
  const int attempts = town.engine.policy().code_attempts;
  const CodeRequest withdraw = town.Request(town.person, CodePurpose::kWithdraw, kNoId, town.now);
  // The attacker: a code, then wrong entries until it locks, then the next,
  // once a minute for a day. Every guess is one the engine weighed.
  auto attack = [&](absl::Time from, absl::Duration span) {
    int guesses = 0, refused = 0;
    for (absl::Time at = from; at < from + span; at += absl::Minutes(1)) {
      CodeRequest request = withdraw;
      request.at = at;
      absl::StatusOr<IssuedCode> issued = town.engine.IssueCode(request);
      if (!issued.ok()) {
        CHECK(issued.status().code() == StatusCode::kResourceExhausted);
        ++refused;
        continue;
      }
      const std::string wrong = issued->code == "000000" ? "000001" : "000000";
      for (int i = 0; i < attempts; ++i) {
        CodeOutcome outcome = CodeOutcome::kAccepted;
        (void)town.engine.VerifyCode(issued->record.id, wrong, at, &outcome);
        CHECK(outcome == CodeOutcome::kWrong);
        ++guesses;
      }
    }
    return std::pair{guesses, refused};
  };
  const auto [guesses, refused] = attack(town.now, absl::Hours(24));
  CHECK(guesses == kCodesPerDayMax * attempts);
  CHECK(refused == 24 * 60 - kCodesPerDayMax);
  CheckAll(town.engine);

  // The message names the limit and when the next code can be had: 24 hours
  // after the first of the five, issued at `now`.
  CodeRequest request = withdraw;
  request.at = town.now + absl::Hours(23);
  std::string message =
      REFUSED(town.engine, StatusCode::kResourceExhausted, town.engine.IssueCode(request));
  CHECK(absl::StrContains(message, absl::StrCat("registrant ", town.person, " was issued 5 codes")));
  CHECK(absl::StrContains(message, "the next can be issued from 2021-06-03T10:00:00+00:00"));
  // Another registrant, and the same one a day later, are not affected.
  request.registrant = town.other;
  CHECK(town.engine.IssueCode(request).ok());
  request.registrant = town.person;
  request.at = town.now + absl::Hours(24);
  CHECK(town.engine.IssueCode(request).ok());
  // Backdated into the window of those five: refused as well.
  request.at = town.now - absl::Hours(1);
  message = REFUSED(town.engine, StatusCode::kResourceExhausted, town.engine.IssueCode(request));
  CHECK_FALSE(absl::StrContains(message, "next can be issued"));

  // Day after day until the registrant's lifetime cap.
  int total = 1 + kCodesPerDayMax;  // the one a day later, and the first day's
  for (int day = 2; total < kCodesPerRegistrantMax; ++day) {
    total += attack(town.now + absl::Hours(24) * day, absl::Minutes(10)).first / attempts;
  }
  CHECK(total == kCodesPerRegistrantMax);
  request.at = town.now + absl::Hours(24 * 400);
  message = REFUSED(town.engine, StatusCode::kResourceExhausted, town.engine.IssueCode(request));
  CHECK(absl::StrContains(message, "has been issued 100 codes"));
  CheckAll(town.engine);
}

TEST_CASE("codes: a malformed entry is InvalidArgument and counts no attempt") {
  CodeTown town;
  const CodeId id = town.Issue(town.CancelRequest(town.now), kValue123456).record.id;
  const absl::Time at = town.now + absl::Minutes(1);
  for (const std::string_view entry :
       {std::string_view("12a456"), std::string_view(""), std::string_view("12345678901"),
        std::string_view(" 23456"), std::string_view("-12345"), std::string_view("１２３")}) {
    INFO("entry '", std::string(entry), "'");
    CodeOutcome outcome = CodeOutcome::kAccepted;
    const std::string message = REFUSED(town.engine, StatusCode::kInvalidArgument,
                                        town.engine.VerifyCode(id, entry, at, &outcome));
    CHECK(absl::StrContains(message, "not 1..10 digits"));
  }
  CHECK(town.Code(id).attempts == 0);
  CHECK(town.Verify(id, "123456", at, CodeOutcome::kAccepted).ok());
}

TEST_CASE("codes: the right code after the series was cancelled another way") {
  CodeTown town;
  const CodeId cancel_code = town.Issue(town.CancelRequest(town.now), kValue123456).record.id;
  const CodeId withdraw_code =
      town.Issue(town.Request(town.other, CodePurpose::kWithdraw, kNoId, town.now), 0).record.id;
  Ok(town.engine.CancelSeries(town.series, town.now + absl::Minutes(1)));
  Ok(town.engine.DeleteRegistration(town.other, town.now + absl::Minutes(1)));
  CheckAll(town.engine);
  std::string message =
      REFUSED(town.engine, StatusCode::kFailedPrecondition,
              town.engine.VerifyCode(cancel_code, "123456", town.now + absl::Minutes(2)));
  CHECK(message ==
        absl::StrCat("code 1 can no longer be used: series ", town.series,
                     " is already cancelled"));
  CHECK(town.Code(cancel_code).state == CodeState::kPending);
  message = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                    town.engine.VerifyCode(withdraw_code, "000000", town.now + absl::Minutes(2)));
  CHECK(message == absl::StrCat("code 2 can no longer be used: registrant ", town.other,
                                "'s registration is already deleted"));
  CHECK(town.Code(withdraw_code).state == CodeState::kPending);
  // A wrong entry gets the same answer and counts nothing: the refusal
  // tells a guesser nothing about the digits.
  message = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                    town.engine.VerifyCode(cancel_code, "000001", town.now + absl::Minutes(3)));
  CHECK(message ==
        absl::StrCat("code 1 can no longer be used: series ", town.series,
                     " is already cancelled"));
  CHECK(town.Code(cancel_code).attempts == 0);
}

TEST_CASE("codes: a withdrawn person may still delete the registration by code") {
  CodeTown town;
  const CodeId pending =
      town.Issue(town.Request(town.other, CodePurpose::kWithdraw, kNoId, town.now), 0).record.id;
  Ok(town.engine.Withdraw(town.other, town.now + absl::Minutes(1)));
  CheckAll(town.engine);
  // Withdrawn: no cancellation code any more, but a withdrawal code, which
  // supersedes the pending one.
  const std::string message = REFUSED(
      town.engine, StatusCode::kFailedPrecondition,
      town.engine.IssueCode(town.Request(town.other, CodePurpose::kCancelSeries,
                                         town.other_series, town.now + absl::Minutes(2))));
  CHECK(message == absl::StrCat("code: registrant ", town.other, " has withdrawn"));
  const IssuedCode again = town.Issue(
      town.Request(town.other, CodePurpose::kWithdraw, kNoId, town.now + absl::Minutes(2)),
      kValue123456);
  CHECK(town.Code(pending).state == CodeState::kSuperseded);
  CHECK(town.Verify(again.record.id, "123456", town.now + absl::Minutes(3), CodeOutcome::kAccepted)
            .ok());
  CHECK(town.Who(town.other).erased);
  CHECK(town.Who(town.other).status == RegistrantStatus::kWithdrawn);
  // Deleted: no code at all.
  CHECK(REFUSED(town.engine, StatusCode::kFailedPrecondition,
                town.engine.IssueCode(town.Request(town.other, CodePurpose::kWithdraw, kNoId,
                                                   town.now + absl::Minutes(4)))) ==
        absl::StrCat("code: registrant ", town.other, "'s registration is deleted"));
}

TEST_CASE("codes: IssueCode, VerifyCode, GetCode: bad input") {
  CodeTown town;
  Engine& engine = town.engine;
  const absl::Time at = town.now;
  auto request = [&](RegistrantId registrant, CodePurpose purpose, SeriesId series) {
    return CodeTown::Request(registrant, purpose, series, at);
  };
  const CodeEntropy entropy{1, 2, 3};
  const CodePurpose cancel = CodePurpose::kCancelSeries;
  REFUSED(engine, StatusCode::kNotFound,
          engine.PrepareIssueCode(request(0, CodePurpose::kWithdraw, kNoId), entropy));
  REFUSED(engine, StatusCode::kNotFound,
          engine.PrepareIssueCode(request(3, CodePurpose::kWithdraw, kNoId), entropy));
  REFUSED(engine, StatusCode::kNotFound,
          engine.PrepareIssueCode(request(town.person, cancel, kNoId), entropy));
  REFUSED(engine, StatusCode::kNotFound,
          engine.PrepareIssueCode(request(town.person, cancel, 3), entropy));
  // Another registrant's series, and the registrant's own once cancelled.
  std::string message = REFUSED(engine, StatusCode::kFailedPrecondition,
                                engine.IssueCode(request(town.person, cancel, town.other_series)));
  CHECK(absl::StrContains(message, "not an active series of registrant 1"));
  REFUSED(engine, StatusCode::kInvalidArgument,
          engine.IssueCode(request(town.person, CodePurpose::kWithdraw, town.series)));
  REFUSED(engine, StatusCode::kInvalidArgument,
          engine.IssueCode(request(town.person, static_cast<CodePurpose>(9), kNoId)));
  REFUSED(engine, StatusCode::kInvalidArgument,
          engine.IssueCode(
              CodeTown::Request(town.person, cancel, town.series, absl::InfiniteFuture())));
  REFUSED(engine, StatusCode::kOutOfRange,
          engine.IssueCode(
              CodeTown::Request(town.person, cancel, town.series, On(CivilDay(1899, 12, 31), 8))));
  // At or before the latest draw's instant.
  REFUSED(engine, StatusCode::kFailedPrecondition,
          engine.IssueCode(CodeTown::Request(town.person, cancel, town.series, On(kDay - 6, 9))));
  Ok(engine.CancelSeries(town.other_series, at));
  REFUSED(engine, StatusCode::kFailedPrecondition,
          engine.IssueCode(request(town.other, cancel, town.other_series)));
  Ok(engine.Withdraw(town.other, at));
  message = REFUSED(engine, StatusCode::kFailedPrecondition,
                    engine.IssueCode(request(town.other, cancel, town.other_series)));
  CHECK(absl::StrContains(message, "has withdrawn"));
  CheckAll(engine);

  REFUSED(engine, StatusCode::kNotFound, engine.VerifyCode(0, "123456", at));
  REFUSED(engine, StatusCode::kNotFound, engine.VerifyCode(1, "123456", at));
  REFUSED(engine, StatusCode::kNotFound, engine.GetCode(0));
  REFUSED(engine, StatusCode::kNotFound, engine.GetCode(1));
  town.Issue(request(town.person, cancel, town.series), 0);
  REFUSED(engine, StatusCode::kInvalidArgument,
          engine.VerifyCode(1, "000000", absl::InfinitePast()));
  REFUSED(engine, StatusCode::kNotFound, engine.VerifyCode(2, "000000", at));
  CHECK(engine.code_count() == 1u);
}

TEST_CASE("codes: IssueCode takes its digits and salt from the operating system") {
  CodeTown town;
  const IssuedCode first = Ok(town.engine.IssueCode(town.CancelRequest(town.now)));
  CheckAll(town.engine);
  const IssuedCode second = Ok(town.engine.IssueCode(town.CancelRequest(town.now)));
  CheckAll(town.engine);
  for (const IssuedCode* issued : {&first, &second}) {
    CHECK(issued->code.size() == 6u);
    CHECK(issued->code.find_first_not_of("0123456789") == std::string::npos);
    CHECK(issued->event.code == issued->code);
    CHECK(issued->record.hash ==
          SipHash24(issued->record.salt0, issued->record.salt1, issued->code));
  }
  CHECK((first.record.salt0 != second.record.salt0 || first.record.salt1 != second.record.salt1));
  REQUIRE(second.superseded.size() == 1);
  CHECK(town.Code(first.record.id).state == CodeState::kSuperseded);
  CHECK(town.engine.VerifyCode(second.record.id, second.code, town.now + absl::Minutes(1)).ok());
  CheckAll(town.engine);
  CHECK(town.Get(town.series).status == kCancelled);
  // CodeEntropy::FromSystem itself: three independent words.
  const CodeEntropy a = Ok(CodeEntropy::FromSystem());
  const CodeEntropy b = Ok(CodeEntropy::FromSystem());
  CHECK((a.value != b.value || a.salt0 != b.salt0 || a.salt1 != b.salt1));
}

// Pearson's chi-square statistic of counts against a uniform distribution.
double ChiSquare(const std::vector<int>& counts, int total) {
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi = 0;
  for (int count : counts) chi += (count - expected) * (count - expected) / expected;
  return chi;
}

TEST_CASE("codes: every digit position is uniform over the entropy values") {
  CodeTown town;
  // A fixed sequence (SplitMix64), so the statistic is the same on every run;
  // the bound is the 99.9 % quantile of chi-square with 9 degrees of freedom.
  const int draws = 20000;
  const double bound = 27.88;
  uint64_t state = 0xc0de;
  std::vector<std::vector<int>> counts(6, std::vector<int>(10, 0));
  for (int i = 0; i < draws; ++i) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    absl::StatusOr<Prepared<IssuedCode>> prepared =
        town.engine.PrepareIssueCode(town.CancelRequest(town.now), CodeEntropy{z, 1, 2});
    REQUIRE(prepared.ok());
    const std::string& code = prepared->change.code;
    REQUIRE(code.size() == 6u);
    for (size_t position = 0; position < code.size(); ++position) {
      ++counts[position][code[position] - '0'];
    }
  }
  for (size_t position = 0; position < counts.size(); ++position) {
    const double chi = ChiSquare(counts[position], draws);
    CHECK_MESSAGE(chi < bound, "digit ", position + 1, ": chi-square ", chi, " counts ",
                  absl::StrJoin(counts[position], ","));
  }
  CHECK(town.engine.code_count() == 0u);
}

TEST_CASE("policy: standby_hold and the code fields are validated") {
  Town town;
  Engine& engine = town.engine;
  struct Case {
    const char* name;
    void (*set)(Policy&);
    const char* message;
  };
  const std::vector<Case> cases = {
      {"standby_hold 0", [](Policy& p) { p.standby_hold = absl::ZeroDuration(); }, "standby_hold"},
      {"standby_hold < 0", [](Policy& p) { p.standby_hold = -absl::Minutes(5); }, "standby_hold"},
      {"standby_hold too long",
       [](Policy& p) { p.standby_hold = absl::Minutes(kHoldMinutesMax) + absl::Seconds(1); },
       "standby_hold"},
      {"code_digits 3", [](Policy& p) { p.code_digits = 3; }, "code_digits 3 is outside 4..10"},
      {"code_digits 11", [](Policy& p) { p.code_digits = 11; }, "code_digits 11 is outside 4..10"},
      {"code_attempts 0", [](Policy& p) { p.code_attempts = 0; },
       "code_attempts 0 is outside 1..10"},
      {"code_attempts 11", [](Policy& p) { p.code_attempts = 11; },
       "code_attempts 11 is outside 1..10"},
      {"code_lifetime 0", [](Policy& p) { p.code_lifetime = absl::ZeroDuration(); },
       "code_lifetime"},
      {"code_lifetime too long",
       [](Policy& p) { p.code_lifetime = absl::Minutes(kCodeLifetimeMinutesMax + 1); },
       "code_lifetime"},
      {"code_lifetime infinite", [](Policy& p) { p.code_lifetime = absl::InfiniteDuration(); },
       "code_lifetime"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Policy policy;
    c.set(policy);
    const std::string message =
        REFUSED(engine, StatusCode::kInvalidArgument, engine.SetPolicy(policy));
    CHECK(absl::StrContains(message, c.message));
  }
  // The bounds themselves are fine.
  Policy policy;
  policy.standby_hold = absl::Minutes(kHoldMinutesMax);
  policy.code_digits = kCodeDigitsMin;
  policy.code_attempts = 1;
  policy.code_lifetime = absl::Minutes(kCodeLifetimeMinutesMax);
  CHECK(Ok(engine.SetPolicy(policy)) == 2u);
  policy.standby_hold = absl::Seconds(1);
  policy.code_digits = kCodeDigitsMax;
  policy.code_attempts = kCodeAttemptsMax;
  policy.code_lifetime = absl::Seconds(1);
  CHECK(Ok(engine.SetPolicy(policy)) == 3u);
  CHECK(engine.policy().code_digits == 10);
  CHECK(engine.policy().standby_hold == absl::Seconds(1));
  CheckAll(engine);
}

// ---------------------------------------------------------------------------
// ForecastWait
// ---------------------------------------------------------------------------

// The forecast's tiers as "waiting/ahead/days" (days -1: unset), for one CHECK.
std::string Tiers(const WaitForecast& forecast) {
  std::vector<std::string> parts;
  for (const TierForecast& tier : forecast.tiers) {
    CHECK(tier.last_first_dose.has_value() == (tier.days >= 0));
    if (tier.last_first_dose.has_value()) {
      CHECK(*tier.last_first_dose == forecast.today + tier.days);
    }
    parts.push_back(absl::StrCat(tier.waiting, "/", tier.waiting_ahead, "/", tier.days));
  }
  return absl::StrJoin(parts, " ");
}

TEST_CASE("ForecastWait: one-dose seats from today on, tier by tier, until they run out") {
  Town town;
  // Two first-dose seats a day, 5 to 11 June; plenty of doses. The days
  // before today (5 and 6 June) do not count.
  town.Capacity(town.center_a, town.mono, kDay - 2, kDay + 4, 2, 0);
  for (int i = 0; i < 3; ++i) town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup1);
  for (int i = 0; i < 4; ++i) town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup3);
  for (int i = 0; i < 3; ++i) town.Person(Channel::kOnline, town.district_b);  // tier 4

  WaitForecast forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(forecast.today == kDay);
  CHECK(forecast.first_doses_available == 10);
  // Cumulative seats 2, 4, 6, 8, 10: tier 1 (3) is through on day 1, tier 3
  // (3 + 4 = 7) on day 3, tier 4 (10) on day 4; empty tiers stay unset.
  CHECK(Tiers(forecast) == "3/0/1 0/3/-1 4/3/3 3/7/4 0/10/-1 0/10/-1 0/10/-1 0/10/-1");
  CHECK(*forecast.tiers[0].last_first_dose == kDay + 1);
  CHECK(*forecast.tiers[3].last_first_dose == kDay + 4);

  // One more tier-4 person than there are seats: tier 4 is unset.
  town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kNone);
  forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(Tiers(forecast) == "3/0/1 0/3/-1 4/3/3 4/7/-1 0/11/-1 0/11/-1 0/11/-1 0/11/-1");

  // A booked seat is no longer free: a draw gives kDay's two seats to tier 1,
  // which leaves 1 tier-1 person for 8 seats from kDay + 1 on.
  town.Draw(On(kDay - 3, 9), kDay, kDay);
  forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(forecast.first_doses_available == 8);
  CHECK(Tiers(forecast) == "1/0/1 0/1/-1 4/1/3 4/5/-1 0/9/-1 0/9/-1 0/9/-1 0/9/-1");

  // "Today" is the policy's local day: 23:00 UTC on 6 June is 7 June in
  // Berlin, and 6 June in UTC (whose seats are then free and count).
  forecast = Ok(town.engine.ForecastWait(On(kDay - 1, 23)));
  CHECK(forecast.today == kDay - 1);
  CHECK(forecast.first_doses_available == 10);
  CHECK(Tiers(forecast) == "1/0/0 0/1/-1 4/1/3 4/5/5 0/9/-1 0/9/-1 0/9/-1 0/9/-1");
  town.SetPolicy(0, "Europe/Berlin");
  forecast = Ok(town.engine.ForecastWait(On(kDay - 1, 23)));
  CHECK(forecast.today == kDay);
  CHECK(forecast.first_doses_available == 8);
  CHECK(Tiers(forecast) == "1/0/1 0/1/-1 4/1/3 4/5/-1 0/9/-1 0/9/-1 0/9/-1 0/9/-1");
  CheckAll(town.engine);
}

TEST_CASE("ForecastWait: a two-dose series takes two doses of the supply from its first day on") {
  Town town;
  // Two first-dose seats a day, 7 to 10 June, but 5 doses delivered (on 28
  // May): kDay can start 2 series (4 doses), the day after none (1 dose left).
  Ok(town.engine.AddCapacity(
      Block(town.center_a, town.duo, kDay, kDay + 3, kEight, kEight + 30, 30, 2, 2)));
  Ok(town.engine.AddSupply(Supply(town.center_a, town.duo, kDay - 10, 5)));
  town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup1);
  town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kNone);
  town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kNone);

  WaitForecast forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(forecast.first_doses_available == 2);
  CHECK(Tiers(forecast) == "1/0/0 0/1/-1 0/1/-1 2/1/-1 0/3/-1 0/3/-1 0/3/-1 0/3/-1");

  // 4 more doses arrive on 9 June: from then on 9 - 4 = 5 doses, 2 series.
  Ok(town.engine.AddSupply(Supply(town.center_a, town.duo, kDay + 2, 4)));
  forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(forecast.first_doses_available == 4);
  CHECK(Tiers(forecast) == "1/0/0 0/1/-1 0/1/-1 2/1/2 0/3/-1 0/3/-1 0/3/-1 0/3/-1");

  // A one-dose pool at the same center adds its seats day by day: one seat
  // on 8 June brings tier 4 through then.
  town.Capacity(town.center_a, town.mono, kDay + 1, kDay + 1, 1, 0);
  forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(forecast.first_doses_available == 5);
  CHECK(Tiers(forecast) == "1/0/0 0/1/-1 0/1/-1 2/1/1 0/3/-1 0/3/-1 0/3/-1 0/3/-1");

  // After the calendar's last day nothing is left.
  forecast = Ok(town.engine.ForecastWait(On(kDay + 4, 9)));
  CHECK(forecast.today == kDay + 4);
  CHECK(forecast.first_doses_available == 0);
  CHECK(Tiers(forecast) == "1/0/-1 0/1/-1 0/1/-1 2/1/-1 0/3/-1 0/3/-1 0/3/-1 0/3/-1");
}

TEST_CASE("ForecastWait: bad `at`; a campaign without capacity") {
  Town town;
  town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup2);
  const WaitForecast forecast = Ok(town.engine.ForecastWait(On(kDay, 9)));
  CHECK(forecast.first_doses_available == 0);
  CHECK(Tiers(forecast) == "0/0/-1 1/0/-1 0/1/-1 0/1/-1 0/1/-1 0/1/-1 0/1/-1 0/1/-1");

  std::string message = REFUSED(town.engine, StatusCode::kInvalidArgument,
                                town.engine.ForecastWait(absl::InfiniteFuture()));
  CHECK(absl::StrContains(message, "`at`"));
  REFUSED(town.engine, StatusCode::kInvalidArgument,
          town.engine.ForecastWait(absl::InfinitePast()));
  message = REFUSED(town.engine, StatusCode::kOutOfRange,
                    town.engine.ForecastWait(On(CivilDay(1800, 1, 1), 0)));
  CHECK(absl::StrContains(message, "1900-2200"));
  REFUSED(town.engine, StatusCode::kOutOfRange,
          town.engine.ForecastWait(On(CivilDay(2201, 1, 1), 0)));
}

// ---------------------------------------------------------------------------
// Draw lead times, overbooking, deleting a registration
// ---------------------------------------------------------------------------

TEST_CASE("draw lead times: each channel's first doses start lead days after the draw's day") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 9, 1, 0);
  Policy policy;
  policy.draw_lead_days_online = 1;
  policy.draw_lead_days_phone = 5;
  policy.time_zone = "Europe/Berlin";
  Ok(town.engine.SetPolicy(policy));
  // Phone people of the better tier first in every lottery: they still
  // cannot take the days their letter would miss.
  const RegistrantId phone_1 = town.Person(Channel::kPhone, 0, kNoId, PriorityGroup::kGroup1);
  const RegistrantId phone_2 = town.Person(Channel::kPhone, 0, kNoId, PriorityGroup::kGroup1);
  const RegistrantId online_1 = town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup2);
  const RegistrantId online_2 = town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup2);
  // 23:30 UTC on kDay - 1 is already kDay in Berlin: "today" is the local day.
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 1, 23, 30), kDay, kDay + 9);
  REQUIRE(drawn.size() == 4);
  std::vector<CivilDay> phone_days, online_days;
  for (RegistrantId id : {phone_1, phone_2}) {
    phone_days.push_back(town.Get(town.Who(id).series).appointments[0].day);
  }
  for (RegistrantId id : {online_1, online_2}) {
    online_days.push_back(town.Get(town.Who(id).series).appointments[0].day);
  }
  std::sort(phone_days.begin(), phone_days.end());
  std::sort(online_days.begin(), online_days.end());
  CHECK(phone_days == std::vector<CivilDay>{kDay + 5, kDay + 6});
  CHECK(online_days == std::vector<CivilDay>{kDay + 1, kDay + 2});
  // Today's seat was drawn for nobody: it is left for short notice.
  CHECK(town.SlotAt(town.mono, kDay).booked_first == 0);

  SUBCASE("a lead time beyond the window leaves the channel out of the draw") {
    const RegistrantId phone_3 = town.Person(Channel::kPhone, 0, kNoId, PriorityGroup::kGroup1);
    const RegistrantId online_3 = town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kNone);
    const std::vector<SeriesId> later = town.Draw(On(kDay, 9), kDay + 3, kDay + 4);
    REQUIRE(later.size() == 1);  // phone people need kDay + 5 or later
    CHECK(town.Get(later[0]).registrant == online_3);
    CHECK(town.Who(phone_3).status == kWaiting);
  }
}

TEST_CASE("draw lead times and overbooking: the policy checks their ranges") {
  Town town;
  const std::string before = Digest(town.engine);
  for (auto [online, phone, overbook, fragment] :
       {std::tuple{-1, 0, 0, "draw_lead_days_online -1 is outside 0..60"},
        std::tuple{0, 61, 0, "draw_lead_days_phone 61 is outside 0..60"},
        std::tuple{0, 0, -1, "overbook_permille -1 is outside 0..500"},
        std::tuple{0, 0, 501, "overbook_permille 501 is outside 0..500"}}) {
    Policy policy;
    policy.draw_lead_days_online = online;
    policy.draw_lead_days_phone = phone;
    policy.overbook_permille = overbook;
    const absl::Status status = StatusOf(town.engine.SetPolicy(policy));
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(absl::StrContains(status.message(), fragment), status);
  }
  CHECK(Digest(town.engine) == before);
}

TEST_CASE("overbooking adds seats per slot, never more appointments than doses") {
  Town town;
  Ok(town.engine.AddCapacity(
      Block(town.center_a, town.mono, kDay, kDay, kEight, kEight + 30, 30, 10, 0)));
  Ok(town.engine.AddSupply(Supply(town.center_a, town.mono, CivilDay(2021, 5, 1), 11)));
  Policy policy;
  policy.overbook_permille = 250;  // 10 seats take 12 appointments
  Ok(town.engine.SetPolicy(policy));
  CheckAll(town.engine);
  CHECK(town.SlotAt(town.mono, kDay).seats_first == 10);
  CHECK(town.SlotAt(town.mono, kDay).bookable_first == 12);
  std::vector<RegistrantId> people;
  for (int i = 0; i < 14; ++i) people.push_back(town.Person());
  // 12 seats with overbooking, but 11 doses: 11 series.
  std::vector<SeriesId> drawn = town.Draw(On(kDay - 3, 9), kDay, kDay);
  CHECK(drawn.size() == 11);
  CHECK(town.SlotAt(town.mono, kDay).booked_first == 11);
  CHECK(town.engine.DosesAvailableFrom(town.center_a, town.mono, kDay) == 0);

  SUBCASE("with a twelfth dose the twelfth seat fills, and no more") {
    Ok(town.engine.AddSupply(Supply(town.center_a, town.mono, CivilDay(2021, 5, 2), 5)));
    drawn = town.Draw(On(kDay - 2, 9), kDay, kDay);
    CHECK(drawn.size() == 1);
    CHECK(town.SlotAt(town.mono, kDay).booked_first == 12);
  }
  SUBCASE("a policy without overbooking leaves the slot over its seats until it empties") {
    Ok(town.engine.AddSupply(Supply(town.center_a, town.mono, CivilDay(2021, 5, 2), 5)));
    Ok(town.engine.SetPolicy(Policy{}));
    CheckAll(town.engine);
    CHECK(town.SlotAt(town.mono, kDay).bookable_first == 10);
    CHECK(town.engine.Summarize().centers[0].seats_first_free == 0);
    CHECK(town.Draw(On(kDay - 2, 9), kDay, kDay).empty());
    // A cancellation brings it to its 10 seats: still none free.
    auto cancel_one = [&](absl::Time at) {
      for (RegistrantId id : people) {
        if (town.Who(id).status == kScheduled) {
          Ok(town.engine.CancelSeries(town.Who(id).series, at));
          CheckAll(town.engine);
          return;
        }
      }
      FAIL("nobody scheduled");
    };
    cancel_one(On(kDay - 2, 10));
    CHECK(town.engine.Summarize().centers[0].seats_first_free == 0);
    CHECK(town.Draw(On(kDay - 2, 11), kDay, kDay).empty());
    // A second frees a seat.
    cancel_one(On(kDay - 2, 12));
    CHECK(town.engine.Summarize().centers[0].seats_first_free == 1);
    CHECK(town.Draw(On(kDay - 2, 13), kDay, kDay).size() == 1);
  }
}

TEST_CASE("overbooking spreads a block's extra seats over its slots; other blocks leave them") {
  Town town;
  Policy policy;
  policy.overbook_permille = 250;
  Ok(town.engine.SetPolicy(policy));
  // Four slots of one seat: 4 seats take 5 appointments, the fifth in the
  // last slot (cumulative rounding), where a slot's own 1.25 would give none.
  Ok(town.engine.AddCapacity(
      Block(town.center_a, town.mono, kDay, kDay, kEight, kEight + 60, 15, 1, 0)));
  auto bookable = [&] {
    std::vector<int> seats;
    for (const SlotView& slot : town.engine.Slots(town.center_a, town.mono, kDay)) {
      seats.push_back(slot.bookable_first);
    }
    return seats;
  };
  CHECK(bookable() == std::vector<int>{1, 1, 1, 2});
  // A second block over the first two slots adds its own spread only.
  Ok(town.engine.AddCapacity(
      Block(town.center_a, town.mono, kDay, kDay, kEight, kEight + 30, 15, 2, 0)));
  CHECK(bookable() == std::vector<int>{3, 4, 1, 2});
  CheckAll(town.engine);
  // Another permille spreads anew; none gives the seats back.
  policy.overbook_permille = 500;
  Ok(town.engine.SetPolicy(policy));
  CHECK(bookable() == std::vector<int>{4, 5, 1, 2});
  Ok(town.engine.SetPolicy(Policy{}));
  CHECK(bookable() == std::vector<int>{3, 3, 1, 1});
  CheckAll(town.engine);
}

TEST_CASE("overbooking the largest block: a day of one-minute slots of 10,000 seats") {
  Town town;
  Ok(town.engine.AddCapacity(Block(town.center_a, town.mono, kDay, kDay, 0, 24 * 60, 1,
                                   kSeatsPerSlotMax, 0)));
  Policy policy;
  policy.overbook_permille = kOverbookPermilleMax;  // cumulative seats reach 14.4 million
  Ok(town.engine.SetPolicy(policy));
  const std::vector<SlotView> slots = town.engine.Slots(town.center_a, town.mono, kDay);
  REQUIRE(slots.size() == 24 * 60);
  for (const SlotView& slot : slots) {
    CHECK_MESSAGE(slot.bookable_first == kSeatsPerSlotMax * 3 / 2, "minute ", slot.minute);
  }
  CheckAll(town.engine);
}

TEST_CASE("reserve quotas share only the first-dose days a draw may use") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 9, 1, 0);
  // Eight of the ten days are released: the draw may use two.
  town.Release(kDay + 2, kDay + 9, On(kDay - 10, 8));
  Policy policy;
  ReserveCategory elderly;
  elderly.name = "group 1";
  elderly.share_permille = 500;  // half of 2 seats: 1 (of 10 seats, it would be 5)
  elderly.group_mask = 0x1;
  policy.reserves.push_back(elderly);
  Ok(town.engine.SetPolicy(policy));
  // The reserve takes one of the two seats the draw may use (with release
  // days counted it would take both).
  std::vector<RegistrantId> first_group;
  for (int i = 0; i < 3; ++i) {
    first_group.push_back(town.Person(Channel::kOnline, 0, kNoId, PriorityGroup::kGroup1));
  }
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 5, 9), kDay, kDay + 9);
  REQUIRE(drawn.size() == 2);
  int in_reserve = 0;
  for (SeriesId id : drawn) in_reserve += town.Get(id).category == 1;
  CHECK(in_reserve == 1);
}

TEST_CASE("DeleteRegistration erases what names the person and keeps the counts") {
  Town town;
  town.Capacity(town.center_a, town.mono, kDay, kDay + 3, 1, 0);
  const RegistrantId scheduled = town.Person(Channel::kPhone, 0, town.mono, PriorityGroup::kGroup2,
                                             /*standby=*/true);
  const RegistrantId waiting = town.Person();
  const std::vector<SeriesId> drawn = town.Draw(On(kDay - 5, 9), kDay, kDay);
  REQUIRE(drawn.size() == 1);
  const RegistrantId drawn_person = town.Get(drawn[0]).registrant;
  const RegistrantId other = drawn_person == scheduled ? waiting : scheduled;
  const Registrant before = town.Who(drawn_person);
  const Report report_before = town.engine.Summarize();

  Ok(town.engine.DeleteRegistration(drawn_person, On(kDay - 4, 9)));
  CheckAll(town.engine);
  const Registrant after = town.Who(drawn_person);
  CHECK(after.erased);
  CHECK(after.status == RegistrantStatus::kWithdrawn);
  CHECK(after.spec.external_ref.empty());
  CHECK(after.spec.birth_day == CivilDay(1970, 1, 1));
  // Kept for the statistics.
  CHECK(after.spec.district == before.spec.district);
  CHECK(after.spec.group == before.spec.group);
  CHECK(after.spec.channel == before.spec.channel);
  CHECK(after.spec.registered_at == before.spec.registered_at);
  CHECK(after.spec.vaccine_preference == before.spec.vaccine_preference);
  CHECK(town.Get(drawn[0]).status == kCancelled);
  const Report report = town.engine.Summarize();
  CHECK(report.registrants == report_before.registrants);
  CHECK(report.withdrawn == report_before.withdrawn + 1);
  CHECK(report.series_cancelled == report_before.series_cancelled + 1);
  // The reference is free: nobody finds the person by it, and it may register anew.
  CHECK(town.engine.FindRegistrant(before.spec.external_ref).status().code() ==
        StatusCode::kNotFound);
  RegistrantSpec again = before.spec;
  again.registered_at = On(kDay - 4, 10);
  const RegistrantId new_id = Ok(town.engine.Register(again));
  CHECK(new_id != drawn_person);
  CHECK(Ok(town.engine.FindRegistrant(before.spec.external_ref)) == new_id);
  CheckAll(town.engine);
  // Deleted once only.
  const std::string message = REFUSED(town.engine, StatusCode::kFailedPrecondition,
                                      town.engine.DeleteRegistration(drawn_person, On(kDay - 4, 11)));
  CHECK(message == absl::StrCat("registrant ", drawn_person, "'s registration is already deleted"));
  REFUSED(town.engine, StatusCode::kFailedPrecondition,
          town.engine.Withdraw(drawn_person, On(kDay - 4, 11)));

  SUBCASE("an already withdrawn registrant is only erased") {
    Ok(town.engine.Withdraw(other, On(kDay - 4, 12)));
    const uint64_t withdrawn = town.engine.Summarize().withdrawn;
    absl::StatusOr<Prepared<Cancellation>> prepared =
        town.engine.PrepareDeleteRegistration(other, On(kDay - 4, 13));
    REQUIRE_MESSAGE(prepared.ok(), prepared.status());
    CHECK_FALSE(prepared->change.withdraw);  // no second withdrawal event
    CHECK(prepared->change.erase);
    CHECK(prepared->change.series == kNoId);
    town.engine.Apply(*prepared);
    CheckAll(town.engine);
    CHECK(town.Who(other).erased);
    CHECK(town.engine.Summarize().withdrawn == withdrawn);
  }
  SUBCASE("bad input") {
    REFUSED(town.engine, StatusCode::kNotFound, town.engine.DeleteRegistration(0, On(kDay, 9)));
    REFUSED(town.engine, StatusCode::kNotFound, town.engine.DeleteRegistration(99, On(kDay, 9)));
    REFUSED(town.engine, StatusCode::kInvalidArgument,
            town.engine.DeleteRegistration(other, absl::InfiniteFuture()));
  }
}

// Issue 19's smallest case: one center, a one-dose vaccine, one seat on 14
// June, a release on 15 June opening 10 June 07:00. A (tier 1) holds the
// release's seat at 10:00; a draw stamped 09:00 would have run on a state
// where A was not holding yet, and is refused naming both instants. At
// 10:00 it runs, leaves A out and gives the seat to B, and the checker finds
// nothing whether A's hold is then confirmed, declined or left to lapse.
TEST_CASE("a draw stamped before a committed hold is refused; at its instant it is consistent") {
  for (const char* then : {"confirm", "decline", "leave"}) {
    CAPTURE(then);
    Engine engine;
    const DistrictId district = Ok(engine.AddDistrict("06412", "Frankfurt am Main"));
    const VaccineId vaccine = Ok(engine.AddVaccine(OneDose("janssen")));
    const CenterId center = Ok(engine.AddCenter(CenterOf("FFM", {district})));
    const CivilDay june_14(2021, 6, 14), june_15(2021, 6, 15);
    Ok(engine.AddCapacity(Block(center, vaccine, june_14, june_14, kEight, kEight + 15, 15, 1, 0)));
    Ok(engine.AddCapacity(Block(center, vaccine, june_15, june_15, kEight, kEight + 15, 15, 1, 0)));
    Ok(engine.AddSupply(Supply(center, vaccine, CivilDay(2021, 6, 1), 10)));
    ReleaseSpec release;
    release.center = center;
    release.first_day = june_15;
    release.last_day = june_15;
    release.release_at = On(CivilDay(2021, 6, 10), 7);
    Ok(engine.AddRelease(release));
    const RegistrantId a = Ok(engine.Register(
        Person("A", district, PriorityGroup::kGroup1, On(CivilDay(2021, 6, 1), 9))));
    const RegistrantId b = Ok(engine.Register(
        Person("B", district, PriorityGroup::kGroup2, On(CivilDay(2021, 6, 1), 9))));
    BookingRequest hold;
    hold.registrant = a;
    hold.at = On(CivilDay(2021, 6, 10), 10);
    const Series held = Ok(engine.Book(hold));
    CHECK(engine.latest_change() == hold.at);

    DrawRequest draw;
    draw.seed = {19, 19};
    draw.at = On(CivilDay(2021, 6, 10), 9);
    draw.first_dose_from = june_14;
    draw.first_dose_until = june_15;
    const std::string before = Digest(engine);
    const absl::Status backdated = engine.Draw(draw).status();
    CHECK(backdated.code() == StatusCode::kFailedPrecondition);
    CHECK_MESSAGE(absl::StrContains(backdated.message(), "2021-06-10T09:00:00+00:00"), backdated);
    CHECK_MESSAGE(absl::StrContains(backdated.message(), "2021-06-10T10:00:00+00:00"), backdated);
    CHECK(Digest(engine) == before);

    draw.at = hold.at;
    const DrawRecord record = Ok(engine.Draw(draw));
    REQUIRE(record.series.size() == 1u);
    CHECK(Ok(engine.GetSeries(record.series[0])).registrant == b);
    CheckAll(engine);
    const absl::Time later = hold.at + absl::Minutes(5);
    if (std::string_view(then) == "confirm") {
      Ok(engine.ConfirmHold(held.id, later));
    } else if (std::string_view(then) == "decline") {
      Ok(engine.DeclineHold(held.id, later));
    } else {
      CHECK(Ok(engine.ExpireHolds(hold.at + absl::Hours(1))) == 1u);
    }
    CheckAll(engine);
    // And a change stamped before that draw is refused, as before.
    CHECK_CODE(StatusCode::kFailedPrecondition, engine.CancelSeries(record.series[0], draw.at));
  }
}

}  // namespace
}  // namespace vaxalloc
