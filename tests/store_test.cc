// Store: the campaign file round-trips every entity exactly (releases, holds,
// dose states, the standby list, one-time codes and the booking policy
// included), replays a draw from the stored state, leaves the file untouched
// on every refused call and on every file it cannot accept, rolls a booking
// flow or a code back whole when a write fails, commits a wrong code's
// attempt before refusing it, migrates a version 1 file with nothing lost,
// and handles a second connection. The outbox: each change writes its events
// in its own transaction, and only committed changes do; paging,
// acknowledging (which deletes a code's digits) and at-least-once delivery.
#include "vaxalloc/store.h"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/engine_state.h"
#include "tests/snapshot.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

namespace fs = std::filesystem;
using absl::CivilDay;
using absl::StatusCode;

bool SmallScale() {
  const char* scale = std::getenv("VAXALLOC_TEST_SCALE");
  return scale != nullptr && std::string_view(scale) == "small";
}

// --- Files ------------------------------------------------------------------

// A fresh directory for one test, removed after it.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("store_test") {}
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The main file and its write-ahead log: together, everything committed.
std::string FileAndWal(const std::string& path) {
  return ReadBytes(path) + "|wal|" + ReadBytes(path + "-wal");
}

// A plain SQLite connection, as another program would have.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  ~RawConnection() { sqlite3_close(db_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    REQUIRE_MESSAGE(code == SQLITE_OK, sql, ": ", message);
  }

  int64_t QueryInt(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    const int64_t value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return value;
  }

  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    const unsigned char* text = sqlite3_column_text(statement, 0);
    std::string value = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    sqlite3_finalize(statement);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

// --- Results ------------------------------------------------------------------

template <class T>
T Ok(absl::StatusOr<T> result) {
  REQUIRE_MESSAGE(result.ok(), result.status());
  return *std::move(result);
}
void Ok(const absl::Status& status) { REQUIRE_MESSAGE(status.ok(), status); }

absl::Status StatusOf(const absl::Status& status) { return status; }
template <class T>
absl::Status StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

bool Contains(const absl::Status& status, std::string_view text) {
  return absl::StrContains(status.message(), absl::string_view(text.data(), text.size()));
}

std::unique_ptr<Store> OpenOk(const std::string& path, const StoreOptions& options = {}) {
  return Ok(Store::Open(path, options));
}

// --- The campaign -------------------------------------------------------------

absl::Time At(int year, int month, int day, int hour = 0, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), absl::UTCTimeZone());
}

const CivilDay kWindowFrom(2021, 6, 1);
const CivilDay kWindowUntil(2021, 6, 3);

struct CampaignIds {
  DistrictId frankfurt, offenbach, kassel;
  VaccineId comirnaty, janssen;
  CenterId frankfurt_center, kassel_center;
};

VaccineSpec Comirnaty() {
  VaccineSpec spec;
  spec.code = "comirnaty";
  spec.name = "Comirnaty (BioNTech)";
  spec.dose_count = 2;
  spec.interval_days_min = 21;
  spec.interval_days_target = 28;
  spec.interval_days_max = 42;
  spec.age_years_min = 16;
  return spec;
}

VaccineSpec Janssen() {
  VaccineSpec spec;
  spec.code = "janssen";
  spec.name = "COVID-19 Vaccine Janssen";
  spec.dose_count = 1;
  spec.age_years_min = 60;
  return spec;
}

// Mornings 8:00-12:00 in hour slots.
CapacityBlock Block(CenterId center, VaccineId vaccine, CivilDay first_day, CivilDay last_day,
                    int seats_first, int seats_second, uint8_t weekdays = kEveryDay) {
  return testing::Block(center, vaccine, first_day, last_day, 8 * 60, 12 * 60, 60, seats_first,
                        seats_second, weekdays);
}

using testing::Supply;

// The Hessen cut-off plus two reserves and a neighbour pair, so that every
// policy table holds rows.
Policy HessenPolicy(const CampaignIds& ids) {
  Policy policy;
  TierRule before_cutoff;
  before_cutoff.registered_before = At(2021, 6, 7);
  before_cutoff.tier_by_group = {1, 2, 3, 4};
  TierRule after_cutoff;
  after_cutoff.registered_before = absl::InfiniteFuture();
  after_cutoff.tier_by_group = {4, 4, 4, 4};
  policy.tier_rules = {before_cutoff, after_cutoff};
  ReserveCategory over_sixty;
  over_sixty.name = "60+";
  over_sixty.share_permille = 250;
  over_sixty.age_years_min = 60;
  ReserveCategory group_one_janssen;
  group_one_janssen.name = "group 1, Janssen";
  group_one_janssen.share_permille = 100;
  group_one_janssen.group_mask = 0b0001;
  group_one_janssen.vaccine = ids.janssen;
  policy.reserves = {over_sixty, group_one_janssen};
  policy.residence = ResidenceRule::kHomeOrNeighbourDistrict;
  policy.neighbours = {{ids.offenbach, ids.kassel}};
  return policy;
}

CampaignIds BuildSetup(Store& store) {
  CampaignIds ids;
  ids.frankfurt = Ok(store.AddDistrict("06412", "Frankfurt am Main"));
  ids.offenbach = Ok(store.AddDistrict("06413", "Offenbach am Main"));
  ids.kassel = Ok(store.AddDistrict("06611", "Kassel"));
  ids.comirnaty = Ok(store.AddVaccine(Comirnaty()));
  ids.janssen = Ok(store.AddVaccine(Janssen()));
  CenterSpec frankfurt;
  frankfurt.code = "IZ-F";
  frankfurt.name = "Impfzentrum Frankfurt (Festhalle)";
  frankfurt.districts = {ids.offenbach, ids.frankfurt};  // order is kept
  ids.frankfurt_center = Ok(store.AddCenter(frankfurt));
  CenterSpec kassel;
  kassel.code = "IZ-KS";
  kassel.name = "Impfzentrum Kassel";
  kassel.districts = {ids.kassel};
  ids.kassel_center = Ok(store.AddCenter(kassel));

  Ok(store.AddCapacity(Block(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 6, 1),
                             CivilDay(2021, 7, 31), 2, 2)));
  Ok(store.AddCapacity(Block(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 6, 2),
                             CivilDay(2021, 6, 2), 1, 0)));  // adds to existing slots
  Ok(store.AddCapacity(Block(ids.kassel_center, ids.janssen, CivilDay(2021, 6, 1),
                             CivilDay(2021, 6, 30), 3, 0, kMonday | kWednesday | kFriday)));
  Ok(store.AddCapacity(Block(ids.kassel_center, ids.comirnaty, CivilDay(2021, 6, 1),
                             CivilDay(2021, 7, 31), 1, 1, kEveryDay & ~kSunday)));
  Ok(store.AddSupply(Supply(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 5, 31), 40)));
  Ok(store.AddSupply(Supply(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 6, 20), 30)));
  Ok(store.AddSupply(Supply(ids.kassel_center, ids.janssen, CivilDay(2021, 5, 31), 8)));
  Ok(store.AddSupply(Supply(ids.kassel_center, ids.comirnaty, CivilDay(2021, 5, 31), 100)));
  CHECK(Ok(store.SetPolicy(HessenPolicy(ids))) == 2u);
  return ids;
}

// 60 people over the three districts; times carry odd microseconds so that
// an exact round trip shows.
std::vector<RegistrantSpec> People(const CampaignIds& ids) {
  const DistrictId districts[] = {ids.frankfurt, ids.offenbach, ids.kassel};
  std::vector<RegistrantSpec> people;
  for (int i = 0; i < 60; ++i) {
    RegistrantSpec spec;
    spec.external_ref = absl::StrCat("HE-", 100000 + i * 7919);
    spec.district = districts[i % 3];
    spec.birth_day = CivilDay(1930 + i, 1 + i % 12, 1 + i % 28);
    spec.group = static_cast<PriorityGroup>(1 + i % 4);
    spec.channel = i % 5 == 0 ? Channel::kPhone : Channel::kOnline;
    spec.registered_at = At(2021, 5, 1) + absl::Microseconds(int64_t{123457} * i * i + 1);
    if (i % 7 == 3) spec.vaccine_preference = ids.comirnaty;
    if (i % 11 == 5) spec.vaccine_preference = ids.janssen;
    people.push_back(spec);
  }
  return people;
}

DrawRequest FirstDraw(const CampaignIds& ids) {
  DrawRequest request;
  request.seed = DrawSeed{0x0123456789abcdefULL, 0xfedcba9876543210ULL};  // k1 > INT64_MAX
  request.at = At(2021, 5, 28, 12) + absl::Microseconds(17);
  request.first_dose_from = kWindowFrom;
  request.first_dose_until = kWindowUntil;
  request.centers = {ids.kassel_center, ids.frankfurt_center};
  request.series_limit = 25;
  return request;
}

DrawRequest SecondDraw() {
  DrawRequest request;
  request.seed = DrawSeed{0x8000000000000001ULL, 0};
  request.at = At(2021, 5, 30);
  request.first_dose_from = CivilDay(2021, 6, 4);
  request.first_dose_until = CivilDay(2021, 6, 10);
  return request;
}

using testing::CheckSame;
using testing::CheckSameLists;
using testing::Snapshot;
using testing::Take;

void CheckInvariantsOk(const Engine& engine) {
  const InvariantReport report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
}

// --- The outbox -----------------------------------------------------------------

std::vector<Event> AllPending(const Store& store) {
  return Ok(store.PendingEvents(0, kEventsPerReadMax));
}

void CheckEvent(const Event& event, uint64_t id, EventKind kind, absl::Time at,
                RegistrantId registrant, SeriesId series, DrawId draw, CodeId code_id = kNoId,
                std::string_view code = "") {
  CAPTURE(event.id);
  CHECK(event.id == id);
  CHECK(event.kind == kind);
  CHECK(event.at == at);
  CHECK(event.registrant == registrant);
  CHECK(event.series == series);
  CHECK(event.draw == draw);
  CHECK(event.code_id == code_id);
  CHECK(event.code == code);
}

void CheckSameEvents(const std::vector<Event>& a, const std::vector<Event>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CheckEvent(a[i], b[i].id, b[i].kind, b[i].at, b[i].registrant, b[i].series, b[i].draw,
               b[i].code_id, b[i].code);
  }
}

std::vector<Event> Tail(const std::vector<Event>& events, size_t from) {
  return std::vector<Event>(events.begin() + static_cast<ptrdiff_t>(from), events.end());
}

// The first registrant (by id) with the given status.
RegistrantId FirstWithStatus(const Engine& engine, RegistrantStatus status) {
  for (RegistrantId id = 1; id <= engine.registrant_count(); ++id) {
    if (Ok(engine.GetRegistrant(id)).status == status) return id;
  }
  FAIL("no registrant with that status");
  return kNoId;
}

// The whole campaign: setup, registrations (one and a batch), two draws, a
// cancellation, a withdrawal of a scheduled and one of a waiting person.
CampaignIds BuildCampaign(Store& store) {
  const CampaignIds ids = BuildSetup(store);
  const std::vector<RegistrantSpec> people = People(ids);
  CHECK(Ok(store.Register(people[0])) == 1u);
  const std::vector<RegistrantId> batch =
      Ok(store.RegisterBatch(absl::MakeConstSpan(people).subspan(1)));
  REQUIRE(batch.size() == people.size() - 1);
  CHECK(batch.front() == 2u);
  CHECK(batch.back() == people.size());

  const DrawRecord first = Ok(store.Draw(FirstDraw(ids)));
  REQUIRE(first.series.size() >= 4);
  Ok(store.CancelSeries(first.series[0], At(2021, 5, 29, 9) + absl::Microseconds(3)));
  const RegistrantId scheduled = Ok(store.engine().GetSeries(first.series[1])).registrant;
  Ok(store.Withdraw(scheduled, At(2021, 5, 29, 10)));
  const RegistrantId waiting = FirstWithStatus(store.engine(), RegistrantStatus::kWaiting);
  Ok(store.Withdraw(waiting, At(2021, 5, 29, 11)));
  Ok(store.Draw(SecondDraw()));
  return ids;
}

// --- Self-booking and attendance ------------------------------------------------

// Hessen's policy in Berlin time (UTC+2 in summer: 08:00 local is 06:00
// UTC), with 15-minute holds and four short-notice days.
Policy BookingPolicy(const CampaignIds& ids) {
  Policy policy = HessenPolicy(ids);
  policy.time_zone = "Europe/Berlin";
  policy.hold = absl::Minutes(15);
  policy.short_notice_days = 4;
  return policy;
}

absl::Time UtcOn(CivilDay day, int hour, int minute = 0) {
  return At(static_cast<int>(day.year()), day.month(), day.day(), hour, minute);
}

// What BuildBookings made, and the events it expects in the outbox (ids unset).
struct Bookings {
  ReleaseId frankfurt_release = kNoId;
  ReleaseId kassel_release = kNoId;  // every vaccine of the center
  std::vector<RegistrantId> people;  // BK-0 .. BK-6 in Frankfurt, BK-K in Kassel
  SeriesId completed = kNoId;        // booked at once, both doses given
  SeriesId missed = kNoId;           // held, confirmed, first dose missed
  SeriesId declined = kNoId;         // held, declined
  SeriesId expired = kNoId;          // held, lapsed by ExpireHolds
  SeriesId rebooked = kNoId;         // booked at once, second dose missed and rebooked
  SeriesId swapped = kNoId;          // booked at once, cancelled by the short-notice swap
  SeriesId short_notice = kNoId;     // the swap's series, confirmed
  SeriesId kassel = kNoId;           // booked at once in the Kassel release
  SeriesId held = kNoId;             // still held at the end
  std::vector<Event> events;
};

// Releases, self-bookings in every state, attendance and a short-notice swap,
// on top of BuildCampaign (whose last draw was on 30 May).
Bookings BuildBookings(Store& store, const CampaignIds& ids) {
  Bookings b;
  CHECK(Ok(store.SetPolicy(BookingPolicy(ids))) == 3u);
  // The draws used most of Frankfurt's doses.
  Ok(store.AddSupply(Supply(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 6, 15), 100)));
  ReleaseSpec frankfurt;
  frankfurt.center = ids.frankfurt_center;
  frankfurt.vaccine = ids.comirnaty;
  frankfurt.first_day = CivilDay(2021, 6, 20);
  frankfurt.last_day = CivilDay(2021, 6, 26);
  frankfurt.release_at = At(2021, 6, 1, 6) + absl::Microseconds(5);
  frankfurt.first_dose_cap = 6;
  b.frankfurt_release = Ok(store.AddRelease(frankfurt));
  ReleaseSpec kassel;
  kassel.center = ids.kassel_center;
  kassel.first_day = CivilDay(2021, 6, 21);
  kassel.last_day = CivilDay(2021, 6, 25);
  kassel.release_at = At(2021, 6, 2, 10);
  b.kassel_release = Ok(store.AddRelease(kassel));

  std::vector<RegistrantSpec> people;
  for (int i = 0; i < 7; ++i) {
    people.push_back(testing::Person(absl::StrCat("BK-", i), ids.frankfurt, PriorityGroup::kGroup2,
                                     At(2021, 5, 31, 10, i), CivilDay(1960, 3, 3)));
  }
  people.push_back(testing::Person("BK-K", ids.kassel, PriorityGroup::kGroup3, At(2021, 5, 31, 11),
                                   CivilDay(1955, 7, 7)));
  b.people = Ok(store.RegisterBatch(people));

  auto booked_event = [&](const Series& series, absl::Time at) {
    b.events.push_back(
        internal::MakeEvent(EventKind::kSeriesBooked, at, series.registrant, series.id));
  };
  BookingRequest request;
  request.center = ids.frankfurt_center;
  request.confirm = true;

  // Booked at once.
  request.registrant = b.people[1];
  request.at = At(2021, 6, 1, 7);
  const Series completed = Ok(store.Book(request));
  REQUIRE(completed.status == SeriesStatus::kActive);
  CHECK(completed.origin == SeriesOrigin::kRelease);
  CHECK(completed.release == b.frankfurt_release);
  b.completed = completed.id;
  booked_event(completed, request.at);

  // Held, then confirmed.
  request.confirm = false;
  request.registrant = b.people[2];
  request.at = At(2021, 6, 1, 7, 10);
  const Series hold = Ok(store.Book(request));
  REQUIRE(hold.status == SeriesStatus::kHeld);
  CHECK(hold.hold_expires_at == request.at + absl::Minutes(15));
  const Series confirmed = Ok(store.ConfirmHold(hold.id, At(2021, 6, 1, 7, 15)));
  CHECK(confirmed.id == hold.id);
  CHECK(confirmed.status == SeriesStatus::kActive);
  b.missed = confirmed.id;
  booked_event(confirmed, At(2021, 6, 1, 7, 15));

  // Held, then declined.
  request.registrant = b.people[3];
  request.at = At(2021, 6, 1, 7, 20);
  b.declined = Ok(store.Book(request)).id;
  Ok(store.DeclineHold(b.declined, At(2021, 6, 1, 7, 21)));
  CHECK(Ok(store.engine().GetSeries(b.declined)).status == SeriesStatus::kLapsed);

  // Held, then lapsed: due at 7:45, not before.
  request.registrant = b.people[4];
  request.at = At(2021, 6, 1, 7, 30);
  b.expired = Ok(store.Book(request)).id;
  CHECK(Ok(store.ExpireHolds(At(2021, 6, 1, 7, 44))) == 0u);
  CHECK(Ok(store.ExpireHolds(At(2021, 6, 1, 7, 45))) == 1u);
  CHECK(Ok(store.engine().GetSeries(b.expired)).status == SeriesStatus::kLapsed);

  // Two more booked at once, and one in Kassel's release (any vaccine).
  request.confirm = true;
  request.registrant = b.people[5];
  request.at = At(2021, 6, 1, 8);
  const Series rebooked = Ok(store.Book(request));
  b.rebooked = rebooked.id;
  booked_event(rebooked, request.at);
  request.registrant = b.people[6];
  request.at = At(2021, 6, 1, 8, 10);
  const Series swapped = Ok(store.Book(request));
  b.swapped = swapped.id;
  booked_event(swapped, request.at);
  request.registrant = b.people[7];
  request.center = ids.kassel_center;
  request.at = At(2021, 6, 2, 11);
  const Series in_kassel = Ok(store.Book(request));
  CHECK(in_kassel.release == b.kassel_release);
  b.kassel = in_kassel.id;
  booked_event(in_kassel, request.at);

  // A short-notice swap: an earlier first dose than the release's, confirmed.
  request.registrant = b.people[6];
  request.center = ids.frankfurt_center;
  request.mode = BookingMode::kShortNotice;
  request.confirm = false;
  request.at = At(2021, 6, 17, 6);
  const Series swap = Ok(store.Book(request));
  REQUIRE(swap.status == SeriesStatus::kHeld);
  CHECK(swap.origin == SeriesOrigin::kShortNotice);
  CHECK(swap.replaces == swapped.id);
  CHECK(swap.appointments[0].day < swapped.appointments[0].day);
  const absl::Time swap_confirmed = At(2021, 6, 17, 6, 5);
  CHECK(Ok(store.ConfirmHold(swap.id, swap_confirmed)).status == SeriesStatus::kActive);
  CHECK(Ok(store.engine().GetSeries(swapped.id)).status == SeriesStatus::kCancelled);
  b.short_notice = swap.id;
  b.events.push_back(internal::MakeEvent(EventKind::kSeriesCancelled, swap_confirmed,
                                         swapped.registrant, swapped.id));
  booked_event(swap, swap_confirmed);

  // Attendance: both doses given; a first dose missed; a second dose missed
  // and rebooked.
  REQUIRE(completed.appointments[0].day == CivilDay(2021, 6, 20));
  const absl::Time first_doses_done = At(2021, 6, 20, 12);
  Ok(store.RecordDose(b.completed, 1, DoseOutcome::kGiven, first_doses_done));
  const Series done = Ok(store.RecordDose(b.completed, 2, DoseOutcome::kGiven,
                                          UtcOn(completed.appointments[1].day, 18)));
  CHECK(done.status == SeriesStatus::kCompleted);
  CHECK(Ok(store.engine().GetRegistrant(done.registrant)).status == RegistrantStatus::kVaccinated);
  const Series no_show = Ok(store.RecordDose(b.missed, 1, DoseOutcome::kMissed, first_doses_done));
  CHECK(no_show.status == SeriesStatus::kMissed);
  CHECK(Ok(store.engine().GetRegistrant(no_show.registrant)).status == RegistrantStatus::kWaiting);
  Ok(store.RecordDose(b.rebooked, 1, DoseOutcome::kGiven, first_doses_done));
  const CivilDay second_day = rebooked.appointments[1].day;
  const Series second_missed =
      Ok(store.RecordDose(b.rebooked, 2, DoseOutcome::kMissed, UtcOn(second_day, 18)));
  CHECK(second_missed.status == SeriesStatus::kActive);
  CHECK(second_missed.doses[1] == DoseState::kMissed);
  const absl::Time rebooked_at = UtcOn(second_day + 1, 4);
  const Series again = Ok(store.RebookSecondDose(b.rebooked, rebooked_at));
  CHECK(again.doses[1] == DoseState::kBooked);
  CHECK(again.appointments[1].day > second_day);
  b.events.push_back(
      internal::MakeEvent(EventKind::kSecondDoseRebooked, rebooked_at, again.registrant, again.id));

  // A hold left open (at an earlier instant, so that nothing above lapsed it).
  request.registrant = b.people[0];
  request.mode = BookingMode::kRelease;
  request.at = At(2021, 6, 2, 9) + absl::Microseconds(7);
  const Series open_hold = Ok(store.Book(request));
  REQUIRE(open_hold.status == SeriesStatus::kHeld);
  b.held = open_hold.id;
  CHECK(store.engine().hold_count() == 1u);
  return b;
}

// ---------------------------------------------------------------------------
// Creating and reopening
// ---------------------------------------------------------------------------

TEST_CASE("a new campaign file is a WAL-mode SQLite database with our id and version") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    CHECK(store->path() == path);
    CHECK(store->engine().district_count() == 0u);
    CHECK(store->engine().policy_version() == 1u);
  }
  RawConnection raw(path);
  CHECK(raw.QueryInt("PRAGMA application_id") == 0x56584131);
  CHECK(raw.QueryInt("PRAGMA user_version") == 5);
  CHECK(raw.QueryText("PRAGMA journal_mode") == "wal");
  CHECK(raw.QueryInt("SELECT count(*) FROM policies WHERE version = 1") == 1);
  // Every table is STRICT.
  CHECK(raw.QueryInt("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND "
                     "name NOT LIKE 'sqlite_%' AND strict = 0") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND "
                     "name NOT LIKE 'sqlite_%'") == 23);
  // The outbox's AUTOINCREMENT keeps its high-water mark here.
  CHECK(raw.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'") == 1);
}

TEST_CASE("Open with create_if_missing off refuses a missing file and creates nothing") {
  TempDir dir;
  const std::string path = dir.File("missing.sqlite");
  StoreOptions options;
  options.create_if_missing = false;
  auto store = Store::Open(path, options);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kNotFound);
  CHECK(Contains(store.status(), path));
  CHECK_FALSE(fs::exists(path));
  // An existing campaign opens without creating.
  OpenOk(path).reset();
  CHECK(OpenOk(path, options)->engine().policy_version() == 1u);
}

TEST_CASE("every entity round-trips through the file field by field") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Snapshot before;
  CampaignIds ids;
  Report report_before;
  {
    auto store = OpenOk(path);
    ids = BuildCampaign(*store);
    CheckInvariantsOk(store->engine());
    before = Take(store->engine());
    report_before = store->engine().Summarize();
  }
  // The campaign has what the comparison is meant to cover.
  REQUIRE(before.policies.size() == 2);
  REQUIRE(before.draws.size() == 2);
  REQUIRE(before.registrants.size() == 60);
  CHECK(before.policies[1].policy.tier_rules[1].registered_before == absl::InfiniteFuture());
  CHECK(before.draws[0].request.seed.k1 > uint64_t{INT64_MAX});
  int cancelled = 0, withdrawn = 0, scheduled = 0, one_dose = 0;
  for (const Series& series : before.series) {
    cancelled += series.status == SeriesStatus::kCancelled;
    one_dose += series.dose_count == 1;
  }
  for (const Registrant& registrant : before.registrants) {
    withdrawn += registrant.status == RegistrantStatus::kWithdrawn;
    scheduled += registrant.status == RegistrantStatus::kScheduled;
  }
  CHECK(cancelled == 2);
  CHECK(withdrawn == 2);
  CHECK(scheduled > 0);
  CHECK(one_dose > 0);

  auto reopened = OpenOk(path);
  const Snapshot after = Take(reopened->engine());
  CheckSame(before, after);
  CheckInvariantsOk(reopened->engine());

  const Report report_after = reopened->engine().Summarize();
  CHECK(report_after.registrants == report_before.registrants);
  CHECK(report_after.waiting == report_before.waiting);
  CHECK(report_after.scheduled == report_before.scheduled);
  CHECK(report_after.withdrawn == report_before.withdrawn);
  CHECK(report_after.waiting_per_tier == report_before.waiting_per_tier);
  CHECK(report_after.series_active == report_before.series_active);
  CHECK(report_after.series_cancelled == report_before.series_cancelled);
  CHECK(report_after.draws == report_before.draws);
  CHECK(Ok(reopened->engine().FindRegistrant("HE-100000")) == 1u);
  CHECK(Ok(reopened->engine().FindCenter("IZ-KS")) == ids.kassel_center);

  // The reopened store goes on where the first left off: same ids, and a
  // used seed is still refused (at an instant a draw may have).
  CHECK(Ok(reopened->AddDistrict("06414", "Wiesbaden")) == 4u);
  DrawRequest reused_seed = FirstDraw(ids);
  reused_seed.at = At(2021, 5, 31);
  auto reused = reopened->Draw(reused_seed);
  CHECK_MESSAGE(reused.status().code() == StatusCode::kAlreadyExists, reused.status());
  const RegistrantId holder = FirstWithStatus(reopened->engine(), RegistrantStatus::kScheduled);
  Ok(reopened->CancelSeries(Ok(reopened->engine().GetRegistrant(holder)).series, At(2021, 5, 31)));
  const Snapshot changed = Take(reopened->engine());
  reopened.reset();
  CheckSame(changed, Take(OpenOk(path)->engine()));
}

TEST_CASE("the stored values are the documented representation") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  CampaignIds ids;
  {
    auto store = OpenOk(path);
    ids = BuildCampaign(*store);
  }
  RawConnection raw(path);
  // Times in microseconds, days since 1970-01-01, seeds bit-cast.
  const int64_t registered_at_us = absl::ToUnixMicros(People(ids)[2].registered_at);
  CHECK(raw.QueryInt("SELECT registered_at_us FROM registrants WHERE id = 3") == registered_at_us);
  CHECK(raw.QueryInt("SELECT first_day FROM capacity_blocks WHERE seq = 1") ==
        CivilDay(2021, 6, 1) - CivilDay(1970, 1, 1));
  CHECK(raw.QueryInt("SELECT seed_k1 FROM draws WHERE id = 1") ==
        static_cast<int64_t>(0xfedcba9876543210ULL));
  CHECK(raw.QueryInt("SELECT registered_before_us FROM policy_tier_rules WHERE version = 2 "
                     "AND position = 1") == INT64_MAX);
  // kNoId is NULL: a registrant without preference, a waiting registrant's series.
  CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE vaccine_preference IS NULL") > 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE status = 0 AND series IS NOT NULL") ==
        0);
  CHECK(raw.QueryInt(
            "SELECT count(*) FROM series WHERE dose_count = 1 AND dose_2_day IS NOT NULL") == 0);
  CHECK(raw.QueryInt(
            "SELECT count(*) FROM policy_reserves WHERE version = 2 AND vaccine IS NULL") == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM pragma_foreign_key_check") == 0);
  // Events: kinds 1..3, the instant in microseconds, NULL for "none"; every
  // event still pending, the highest id in sqlite_sequence.
  CHECK(raw.QueryInt("SELECT kind FROM events WHERE id = 1") == 1);
  CHECK(raw.QueryInt("SELECT at_us FROM events WHERE id = 1") ==
        absl::ToUnixMicros(FirstDraw(ids).at));
  CHECK(raw.QueryInt("SELECT draw FROM events WHERE id = 1") == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind != 1 AND draw IS NOT NULL") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind = 3 AND series IS NULL") == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind = 3 AND series IS NOT NULL") == 1);
  CHECK(raw.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'events'") ==
        raw.QueryInt("SELECT count(*) FROM events"));
}

// ---------------------------------------------------------------------------
// Draw replay
// ---------------------------------------------------------------------------

TEST_CASE("a draw replayed from a copy of the file taken before it gives the same winners") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  const std::string copy = dir.File("before-draw.sqlite");
  CampaignIds ids;
  {
    auto store = OpenOk(path);
    ids = BuildSetup(*store);
    Ok(store->RegisterBatch(People(ids)));
  }
  fs::copy_file(path, copy);  // closed: everything is in the main file
  REQUIRE_FALSE(fs::exists(path + "-wal"));
  DrawOutcome original;
  {
    auto store = OpenOk(path);
    const DrawRecord record = Ok(store->Draw(FirstDraw(ids)));
    REQUIRE_FALSE(record.series.empty());
    original.record = record;
    for (SeriesId id : record.series) {
      original.series.push_back(Ok(store->engine().GetSeries(id)));
      original.registrants.push_back(original.series.back().registrant);
    }
  }
  // The seed and request as stored, read back from the reopened file.
  const DrawRecord stored = Ok(OpenOk(path)->engine().GetDraw(1));
  CheckSame(stored, original.record);
  CHECK(FormatSeed(stored.request.seed) == "0123456789abcdeffedcba9876543210");

  auto before_draw = OpenOk(copy);
  CHECK(before_draw->engine().draw_count() == 0u);
  const Prepared<DrawOutcome> replay = Ok(before_draw->engine().PrepareDraw(stored.request));
  CheckSame(replay.change.record, original.record);
  CheckSameLists(replay.change.series, original.series);
  CHECK(replay.change.registrants == original.registrants);
}

// ---------------------------------------------------------------------------
// Refused calls change nothing
// ---------------------------------------------------------------------------

struct Unchanged {
  const Store& store;
  std::string bytes;
  uint64_t revision;
  explicit Unchanged(const Store& s)
      : store(s), bytes(FileAndWal(s.path())), revision(s.engine().revision()) {}
  void Check(const char* what) const {
    CHECK_MESSAGE(FileAndWal(store.path()) == bytes, "file changed by: ", what);
    CHECK_MESSAGE(store.engine().revision() == revision, "engine changed by: ", what);
  }
};

#define CHECK_REFUSED(store, expected_code, ...)                                    \
  do {                                                                              \
    const Unchanged unchanged_(store);                                              \
    const absl::Status status_ = StatusOf(__VA_ARGS__);                             \
    CHECK_MESSAGE(status_.code() == (expected_code), #__VA_ARGS__ " -> ", status_); \
    unchanged_.Check(#__VA_ARGS__);                                                 \
  } while (0)

TEST_CASE("a refused call leaves the file and the engine as they were") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  const CampaignIds ids = BuildCampaign(*store);
  const std::vector<RegistrantSpec> people = People(ids);
  const std::vector<Event> events = AllPending(*store);
  REQUIRE_FALSE(events.empty());

  CHECK_REFUSED(*store, StatusCode::kAlreadyExists, store->AddDistrict("06412", "again"));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument, store->AddDistrict("", "no code"));
  VaccineSpec three_doses = Comirnaty();
  three_doses.code = "three";
  three_doses.dose_count = 3;
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument, store->AddVaccine(three_doses));
  CenterSpec nowhere;
  nowhere.code = "IZ-X";
  nowhere.name = "Nowhere";
  nowhere.districts = {99};
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->AddCenter(nowhere));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument,
                store->AddCapacity(Block(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 6, 2),
                                         CivilDay(2021, 6, 1), 1, 1)));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument,
                store->AddSupply(Supply(ids.kassel_center, ids.janssen, CivilDay(2021, 6, 1), 0)));
  Policy bad_policy = HessenPolicy(ids);
  bad_policy.neighbours.push_back({ids.kassel, ids.kassel});
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument, store->SetPolicy(bad_policy));
  CHECK_REFUSED(*store, StatusCode::kAlreadyExists, store->Register(people[5]));
  std::vector<RegistrantSpec> batch = {people[0], people[1]};
  batch[0].external_ref = "HE-new-1";
  batch[1].external_ref = "HE-new-2";
  batch[0].registered_at = batch[1].registered_at = At(2021, 5, 31);  // after the last draw
  batch[1].district = 42;
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->RegisterBatch(batch));
  batch[1].district = ids.kassel;
  batch[1].registered_at = At(2021, 5, 29);  // before the last draw
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition, store->RegisterBatch(batch));
  DrawRequest reused_seed = FirstDraw(ids);
  reused_seed.at = At(2021, 5, 31);
  CHECK_REFUSED(*store, StatusCode::kAlreadyExists, store->Draw(reused_seed));
  DrawRequest before_last_draw = SecondDraw();
  before_last_draw.seed.k0 = 98;
  before_last_draw.at = At(2021, 5, 29);
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition, store->Draw(before_last_draw));
  DrawRequest backwards = SecondDraw();
  backwards.seed.k0 = 99;
  backwards.first_dose_until = CivilDay(2021, 5, 1);
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument, store->Draw(backwards));
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->CancelSeries(10'000, At(2021, 6, 1)));
  const SeriesId cancelled = Ok(store->engine().GetDraw(1)).series[0];
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->CancelSeries(cancelled, At(2021, 6, 1)));
  CHECK_REFUSED(
      *store, StatusCode::kInvalidArgument,
      store->CancelSeries(Ok(store->engine().GetDraw(1)).series[2], absl::InfiniteFuture()));
  const RegistrantId withdrawn = FirstWithStatus(store->engine(), RegistrantStatus::kWithdrawn);
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->Withdraw(withdrawn, At(2021, 6, 1)));
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->Withdraw(0, At(2021, 6, 1)));
  // Before the last draw's instant (30 May): the draw would not replay.
  const RegistrantId scheduled = FirstWithStatus(store->engine(), RegistrantStatus::kScheduled);
  CHECK_REFUSED(
      *store, StatusCode::kFailedPrecondition,
      store->CancelSeries(Ok(store->engine().GetRegistrant(scheduled)).series, At(2021, 5, 29)));
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->Withdraw(scheduled, At(2021, 5, 29)));
  // The outbox's own refusals.
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument, store->PendingEvents(0, 0));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument,
                store->AcknowledgeEvents(events.back().id + 1));

  // No refused call wrote an event, and the file still holds exactly the
  // engine's state.
  CheckSameEvents(AllPending(*store), events);
  const Snapshot in_memory = Take(store->engine());
  store.reset();
  CheckSame(in_memory, Take(OpenOk(path)->engine()));
}

TEST_CASE("an SQLite error halfway through a draw rolls everything back") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  CampaignIds ids;
  {
    auto store = OpenOk(path);
    ids = BuildSetup(*store);
    Ok(store->RegisterBatch(People(ids)));
  }
  {
    // A trigger fails the insert of series 2, after the draw row and
    // series 1 were written.
    RawConnection raw(path);
    raw.Exec(
        "CREATE TRIGGER fail_series_2 BEFORE INSERT ON series WHEN NEW.id = 2 "
        "BEGIN SELECT RAISE(ABORT, 'injected failure at series 2'); END");
  }
  auto store = OpenOk(path);
  const Unchanged unchanged(*store);
  const absl::Status failed = StatusOf(store->Draw(FirstDraw(ids)));
  CHECK(failed.code() == StatusCode::kInternal);
  CHECK_MESSAGE(Contains(failed, "injected failure at series 2"), failed);
  CHECK_MESSAGE(Contains(failed, path), failed);
  unchanged.Check("the failed draw");
  CHECK(store->engine().draw_count() == 0u);
  CHECK(store->engine().series_count() == 0u);
  // The transaction is closed: the next change commits on its own.
  CHECK(Ok(store->AddDistrict("06414", "Wiesbaden")) == 4u);
  RawConnection raw(path);
  CHECK(raw.QueryInt("SELECT count(*) FROM districts") == 4);
  CHECK(raw.QueryInt("SELECT count(*) FROM draws") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM series") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE status != 0") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM events") == 0);
  CHECK(AllPending(*store).empty());

  // Without the trigger the same draw commits, its events from id 1.
  raw.Exec("DROP TRIGGER fail_series_2");
  store.reset();
  store = OpenOk(path);
  const DrawRecord record = Ok(store->Draw(FirstDraw(ids)));
  CHECK_FALSE(record.series.empty());
  CHECK(raw.QueryInt("SELECT count(*) FROM draws") == 1);
  const std::vector<Event> events = AllPending(*store);
  REQUIRE(events.size() == record.series.size());
  CHECK(events.front().id == 1u);
  CHECK(events.back().id == record.series.size());
}

// ---------------------------------------------------------------------------
// The outbox
// ---------------------------------------------------------------------------

TEST_CASE("each change writes its events in its own transaction, ids ascending") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  const CampaignIds ids = BuildSetup(*store);
  const std::vector<RegistrantSpec> people = People(ids);
  Ok(store->Register(people[0]));
  Ok(store->RegisterBatch(absl::MakeConstSpan(people).subspan(1)));
  // Setup and registration tell no one anything.
  CHECK(AllPending(*store).empty());

  // A draw: one kSeriesAssigned per new series, in assignment order, at the
  // draw's instant (to the microsecond).
  const DrawRecord first = Ok(store->Draw(FirstDraw(ids)));
  REQUIRE(first.series.size() >= 4);
  std::vector<Event> events = AllPending(*store);
  REQUIRE(events.size() == first.series.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const Series series = Ok(store->engine().GetSeries(first.series[i]));
    CheckEvent(events[i], i + 1, EventKind::kSeriesAssigned, FirstDraw(ids).at, series.registrant,
               series.id, first.id);
  }
  uint64_t last = events.size();

  // A cancellation: one kSeriesCancelled.
  const absl::Time cancel_at = At(2021, 5, 29, 9) + absl::Microseconds(3);
  const Series cancelled = Ok(store->engine().GetSeries(first.series[0]));
  Ok(store->CancelSeries(cancelled.id, cancel_at));
  events = Ok(store->PendingEvents(last, 10));
  REQUIRE(events.size() == 1);
  CheckEvent(events[0], last + 1, EventKind::kSeriesCancelled, cancel_at, cancelled.registrant,
             cancelled.id, kNoId);
  last += 1;

  // A scheduled registrant withdraws: the series is cancelled, then the
  // registrant leaves, naming the series it held.
  const Series held = Ok(store->engine().GetSeries(first.series[1]));
  Ok(store->Withdraw(held.registrant, At(2021, 5, 29, 10)));
  events = Ok(store->PendingEvents(last, 10));
  REQUIRE(events.size() == 2);
  CheckEvent(events[0], last + 1, EventKind::kSeriesCancelled, At(2021, 5, 29, 10), held.registrant,
             held.id, kNoId);
  CheckEvent(events[1], last + 2, EventKind::kRegistrantWithdrawn, At(2021, 5, 29, 10),
             held.registrant, held.id, kNoId);
  last += 2;

  // A waiting registrant withdraws: one kRegistrantWithdrawn without series.
  const RegistrantId waiting = FirstWithStatus(store->engine(), RegistrantStatus::kWaiting);
  Ok(store->Withdraw(waiting, At(2021, 5, 29, 11)));
  events = Ok(store->PendingEvents(last, 10));
  REQUIRE(events.size() == 1);
  CheckEvent(events[0], last + 1, EventKind::kRegistrantWithdrawn, At(2021, 5, 29, 11), waiting,
             kNoId, kNoId);
  last += 1;

  // Changes that concern no registrant write nothing.
  Ok(store->AddDistrict("06414", "Wiesbaden"));
  Ok(store->AddSupply(Supply(ids.kassel_center, ids.comirnaty, CivilDay(2021, 6, 7), 10)));
  RegistrantSpec late = people[0];
  late.external_ref = "HE-late";
  late.registered_at = At(2021, 5, 29, 12);
  Ok(store->Register(late));
  CHECK(Ok(store->PendingEvents(last, 10)).empty());

  // The next draw goes on from the last id.
  const DrawRecord second = Ok(store->Draw(SecondDraw()));
  REQUIRE_FALSE(second.series.empty());
  events = Ok(store->PendingEvents(last, kEventsPerReadMax));
  REQUIRE(events.size() == second.series.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const Series series = Ok(store->engine().GetSeries(second.series[i]));
    CheckEvent(events[i], last + 1 + i, EventKind::kSeriesAssigned, SecondDraw().at,
               series.registrant, series.id, second.id);
  }
  last += events.size();

  // One event per series, per cancellation and per withdrawal: nothing else.
  const Report report = store->engine().Summarize();
  CHECK(report.series_cancelled == 2u);
  CHECK(report.withdrawn == 2u);
  CHECK(last == report.series_active + 2 * report.series_cancelled + report.withdrawn);
  CHECK(AllPending(*store).size() == last);
}

TEST_CASE("pending events page by after_id and limit and keep their ids across reopening") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  BuildCampaign(*store);
  const std::vector<Event> all = AllPending(*store);
  REQUIRE(all.size() >= 8);
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i].id == i + 1);

  // Pages of 3 cover every event once, in order.
  std::vector<Event> paged;
  uint64_t after = 0;
  for (int page = 0; page < 1000; ++page) {
    const std::vector<Event> chunk = Ok(store->PendingEvents(after, 3));
    CHECK(chunk.size() <= 3u);
    if (chunk.empty()) break;
    paged.insert(paged.end(), chunk.begin(), chunk.end());
    after = chunk.back().id;
  }
  CheckSameEvents(paged, all);

  CheckSameEvents(Ok(store->PendingEvents(all[2].id, 2)), {all[3], all[4]});
  CheckSameEvents(Ok(store->PendingEvents()), all);  // after 0, at most 1000
  CheckSameEvents(Ok(store->PendingEvents(0, 1)), {all[0]});
  CHECK(Ok(store->PendingEvents(all.back().id, 10)).empty());
  CHECK(Ok(store->PendingEvents(uint64_t{INT64_MAX}, 10)).empty());
  CHECK(Ok(store->PendingEvents(UINT64_MAX, kEventsPerReadMax)).empty());

  for (size_t limit : {size_t{0}, kEventsPerReadMax + 1, SIZE_MAX}) {
    CAPTURE(limit);
    const absl::Status refused = StatusOf(store->PendingEvents(0, limit));
    CHECK(refused.code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(Contains(refused, absl::StrCat("limit ", limit, " is outside 1..100000")),
                  refused);
  }

  store.reset();
  CheckSameEvents(AllPending(*OpenOk(path)), all);
}

TEST_CASE("acknowledged events are gone for good, twice is harmless, ids are never reused") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  BuildCampaign(*store);
  const std::vector<Event> all = AllPending(*store);
  REQUIRE(all.size() >= 8);

  Ok(store->AcknowledgeEvents(all[2].id));
  CheckSameEvents(AllPending(*store), Tail(all, 3));
  // An id below the acknowledged one does not bring anything back.
  CheckSameEvents(Ok(store->PendingEvents(1, 2)), {all[3], all[4]});

  // Again, an older id, zero: nothing changes, not even the file.
  {
    const std::string bytes = FileAndWal(path);
    Ok(store->AcknowledgeEvents(all[2].id));
    Ok(store->AcknowledgeEvents(all[0].id));
    Ok(store->AcknowledgeEvents(0));
    CHECK(FileAndWal(path) == bytes);
  }
  CheckSameEvents(AllPending(*store), Tail(all, 3));

  // An id never written cannot have been read: refused, nothing acknowledged.
  const absl::Status beyond = store->AcknowledgeEvents(all.back().id + 1);
  CHECK(beyond.code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(Contains(beyond, absl::StrCat("through id ", all.back().id + 1)), beyond);
  CHECK_MESSAGE(Contains(beyond, absl::StrCat("up to id ", all.back().id, " only")), beyond);
  CHECK(store->AcknowledgeEvents(UINT64_MAX).code() == StatusCode::kInvalidArgument);
  CheckSameEvents(AllPending(*store), Tail(all, 3));

  // Acknowledgment survives reopening; the table keeps only what is pending.
  store.reset();
  store = OpenOk(path);
  CheckSameEvents(AllPending(*store), Tail(all, 3));
  {
    RawConnection raw(path);
    CHECK(raw.QueryInt("SELECT count(*) FROM events") == static_cast<int64_t>(all.size() - 3));
    CHECK(raw.QueryInt("SELECT min(id) FROM events") == static_cast<int64_t>(all[3].id));
  }

  // Acknowledging everything empties the outbox; the next event still gets
  // the next id, also after reopening with an empty table.
  Ok(store->AcknowledgeEvents(all.back().id));
  CHECK(AllPending(*store).empty());
  store.reset();
  store = OpenOk(path);
  CHECK(AllPending(*store).empty());
  const RegistrantId scheduled = FirstWithStatus(store->engine(), RegistrantStatus::kScheduled);
  const SeriesId series = Ok(store->engine().GetRegistrant(scheduled)).series;
  Ok(store->CancelSeries(series, At(2021, 5, 31)));
  const std::vector<Event> next = AllPending(*store);
  REQUIRE(next.size() == 1);
  CheckEvent(next[0], all.back().id + 1, EventKind::kSeriesCancelled, At(2021, 5, 31), scheduled,
             series, kNoId);
  store.reset();
  RawConnection raw(path);
  CHECK(raw.QueryInt("SELECT count(*) FROM events") == 1);
}

TEST_CASE("at least once: events read but not acknowledged come back with the same ids") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  std::vector<Event> read;
  {
    auto store = OpenOk(path);
    BuildCampaign(*store);
    read = Ok(store->PendingEvents(0, 5));
    REQUIRE(read.size() == 5u);
    // The host sends them and stops before acknowledging.
  }
  std::vector<Event> again;
  {
    auto store = OpenOk(path);
    again = Ok(store->PendingEvents(0, 5));
    CheckSameEvents(again, read);  // the host drops them as duplicates by id
    Ok(store->AcknowledgeEvents(again[2].id));
    // Stops again, with two of the five unacknowledged.
  }
  auto store = OpenOk(path);
  const std::vector<Event> rest = Ok(store->PendingEvents(0, 2));
  CheckSameEvents(rest, {read[3], read[4]});
}

TEST_CASE("another connection's acknowledgment is seen by the other Store, which may go on") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto first = OpenOk(path);
  BuildCampaign(*first);
  const std::vector<Event> all = AllPending(*first);
  auto second = OpenOk(path);
  Ok(second->AcknowledgeEvents(all[1].id));
  // Reading shows the file as it is.
  CheckSameEvents(AllPending(*first), Tail(all, 2));
  // Acknowledging is no change of the campaign: no journal entry, and the
  // other Store acknowledges on.
  const uint64_t seq = first->journal_seq();
  Ok(first->AcknowledgeEvents(all[3].id));
  CHECK(first->journal_seq() == seq);
  CheckSameEvents(AllPending(*second), Tail(all, 4));
}

TEST_CASE("a failure while writing events rolls the change back with them") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  CampaignIds ids;
  {
    auto store = OpenOk(path);
    ids = BuildSetup(*store);
    Ok(store->RegisterBatch(People(ids)));
  }
  // The third series' event fails, after two events, three series and their
  // registrants were written.
  RawConnection raw(path);
  raw.Exec(
      "CREATE TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.series = 3 "
      "BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END");
  auto store = OpenOk(path);
  {
    const Unchanged unchanged(*store);
    const absl::Status failed = StatusOf(store->Draw(FirstDraw(ids)));
    CHECK(failed.code() == StatusCode::kInternal);
    CHECK_MESSAGE(Contains(failed, "injected outbox failure"), failed);
    unchanged.Check("the draw whose events failed");
  }
  CHECK(store->engine().draw_count() == 0u);
  CHECK(raw.QueryInt("SELECT count(*) FROM draws") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM series") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE status != 0") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM events") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM sqlite_sequence WHERE name = 'events'") == 0);

  // Without the trigger the draw commits, its events from id 1.
  raw.Exec("DROP TRIGGER refuse_event");
  store.reset();
  store = OpenOk(path);
  const DrawRecord record = Ok(store->Draw(FirstDraw(ids)));
  REQUIRE(record.series.size() >= 3);
  const std::vector<Event> drawn = AllPending(*store);
  REQUIRE(drawn.size() == record.series.size());
  CHECK(drawn.back().id == record.series.size());

  // A withdrawal whose second event fails keeps the series it would have
  // cancelled, and its first event is gone too: the next event takes its id.
  raw.Exec(
      "CREATE TRIGGER refuse_withdrawal BEFORE INSERT ON events WHEN NEW.kind = 3 "
      "BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END");
  store.reset();
  store = OpenOk(path);
  const Series held = Ok(store->engine().GetSeries(record.series[0]));
  {
    const Unchanged unchanged(*store);
    const absl::Status failed = store->Withdraw(held.registrant, At(2021, 5, 29));
    CHECK(failed.code() == StatusCode::kInternal);
    CHECK_MESSAGE(Contains(failed, "injected outbox failure"), failed);
    unchanged.Check("the withdrawal whose events failed");
  }
  CHECK(Ok(store->engine().GetSeries(held.id)).status == SeriesStatus::kActive);
  CHECK(raw.QueryInt("SELECT status FROM series WHERE id = 1") == 0);
  CheckSameEvents(AllPending(*store), drawn);
  Ok(store->CancelSeries(held.id, At(2021, 5, 29)));
  const std::vector<Event> after = Ok(store->PendingEvents(drawn.back().id, 10));
  REQUIRE(after.size() == 1);
  CheckEvent(after[0], drawn.back().id + 1, EventKind::kSeriesCancelled, At(2021, 5, 29),
             held.registrant, held.id, kNoId);
}

// ---------------------------------------------------------------------------
// Files the store cannot accept are reported and left alone
// ---------------------------------------------------------------------------

// Opens `path` expecting `code` and a message containing every one of
// `fragments`; the file's bytes must not change.
void CheckRefusedFile(const std::string& path, StatusCode code,
                      std::vector<std::string> fragments) {
  const std::string bytes = ReadBytes(path);
  auto store = Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK_MESSAGE(store.status().code() == code, store.status());
  CHECK_MESSAGE(Contains(store.status(), path), store.status());
  for (const std::string& fragment : fragments) {
    CHECK_MESSAGE(Contains(store.status(), fragment), store.status(), " lacks ", fragment);
  }
  CHECK(ReadBytes(path) == bytes);
}

TEST_CASE("a truncated campaign file is DataLoss and stays as it was") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildSetup(*store);
    std::vector<RegistrantSpec> many;
    for (int i = 0; i < 3000; ++i) {
      RegistrantSpec spec = People(ids)[i % 60];
      spec.external_ref = absl::StrCat("truncated-", i);
      many.push_back(spec);
    }
    Ok(store->RegisterBatch(many));
  }
  const std::string bytes = ReadBytes(path);
  REQUIRE(bytes.size() > 16 * 4096);
  WriteBytes(path, bytes.substr(0, bytes.size() / 2));
  CheckRefusedFile(path, StatusCode::kDataLoss, {});
}

TEST_CASE("random bytes are not a campaign: DataLoss, file untouched") {
  TempDir dir;
  const std::string path = dir.File("random.sqlite");
  std::mt19937_64 random(20210607);
  std::string bytes(16384, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random());
  WriteBytes(path, bytes);
  CheckRefusedFile(path, StatusCode::kDataLoss, {"not a readable SQLite database"});
}

TEST_CASE("another application's SQLite file is refused, untouched") {
  TempDir dir;
  const std::string path = dir.File("other.sqlite");
  {
    RawConnection raw(path);
    raw.Exec("PRAGMA application_id = 305419896");  // 0x12345678
    raw.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
    raw.Exec("INSERT INTO notes (text) VALUES ('keep me')");
  }
  CheckRefusedFile(path, StatusCode::kFailedPrecondition,
                   {"another application", "0x12345678", "0x56584131"});

  // With no application id at all, but tables: still not ours.
  const std::string plain = dir.File("plain.sqlite");
  {
    RawConnection raw(plain);
    raw.Exec("CREATE TABLE districts (id INTEGER PRIMARY KEY)");
  }
  CheckRefusedFile(plain, StatusCode::kFailedPrecondition, {"another application", "0x00000000"});
}

TEST_CASE("a campaign of a newer schema version is refused, naming both versions") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    BuildSetup(*store);
  }
  {
    RawConnection raw(path);
    raw.Exec("PRAGMA user_version = 7");
  }
  CheckRefusedFile(path, StatusCode::kFailedPrecondition,
                   {"schema version 7", "version 5", "newer"});
}

TEST_CASE("a campaign whose tables are missing is DataLoss") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  OpenOk(path).reset();
  {
    RawConnection raw(path);
    raw.Exec("DROP TABLE draw_tiers");
  }
  CheckRefusedFile(path, StatusCode::kDataLoss, {"draw_tiers"});
  // A file made before the outbox existed (nothing released had one).
  const std::string before_outbox = dir.File("before-outbox.sqlite");
  OpenOk(before_outbox).reset();
  {
    RawConnection raw(before_outbox);
    raw.Exec("DROP TABLE events");
  }
  CheckRefusedFile(before_outbox, StatusCode::kDataLoss, {"expected schema", "events"});
}

TEST_CASE("a stored row the engine rejects is DataLoss naming it") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    BuildSetup(*store);
  }
  {
    RawConnection raw(path);
    raw.Exec(
        "UPDATE vaccines SET dose_count = 2, interval_days_min = 30, "
        "interval_days_max = 10 WHERE id = 1");
  }
  CheckRefusedFile(path, StatusCode::kDataLoss, {"stored vaccine 1"});
  {
    RawConnection raw(path);
    raw.Exec("UPDATE vaccines SET interval_days_min = 21, interval_days_max = 42 WHERE id = 1");
    raw.Exec("UPDATE vaccines SET dose_count = 9 WHERE id = 2");
  }
  CheckRefusedFile(path, StatusCode::kDataLoss, {"dose_count", "9"});
}

// ---------------------------------------------------------------------------
// Self-booking, holds and attendance
// ---------------------------------------------------------------------------

TEST_CASE("every booking state round-trips through the file") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Snapshot before;
  Bookings b;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildCampaign(*store);
    b = BuildBookings(*store, ids);
    CheckInvariantsOk(store->engine());
    before = Take(store->engine());
  }
  // The campaign has what the comparison is meant to cover.
  REQUIRE(before.releases.size() == 2);
  // First appointments booked (held, active) or given (completed) count
  // against a cap; lapsed, cancelled before the first dose (the swapped
  // series) and missed ones do not.
  CHECK(before.releases[0].booked == 3u);
  CHECK(before.releases[1].booked == 1u);
  CHECK(before.releases[1].spec.vaccine == kNoId);
  CHECK(before.holds == 1u);
  REQUIRE(before.policies.size() == 3);
  CHECK(before.policies[2].policy.time_zone == "Europe/Berlin");
  CHECK(before.policies[2].policy.hold == absl::Minutes(15));
  CHECK(before.policies[2].policy.short_notice_days == 4);
  CHECK(before.report.vaccinated == 1u);
  CHECK(before.report.series_held == 1u);
  CHECK(before.report.series_completed == 1u);
  CHECK(before.report.series_missed == 1u);
  CHECK(before.report.doses_given == 3u);
  CHECK(before.report.doses_missed >= 1u);
  CHECK_FALSE(before.attendance.empty());
  const Series& held = before.series[b.held - 1];
  CHECK(held.status == SeriesStatus::kHeld);
  CHECK(held.hold_expires_at == At(2021, 6, 2, 9, 15) + absl::Microseconds(7));
  CHECK(before.series[b.declined - 1].status == SeriesStatus::kLapsed);
  CHECK(before.series[b.expired - 1].status == SeriesStatus::kLapsed);
  CHECK(before.series[b.completed - 1].doses[1] == DoseState::kGiven);
  CHECK(before.series[b.missed - 1].doses[0] == DoseState::kMissed);
  CHECK(before.series[b.missed - 1].doses[1] == DoseState::kReleased);
  CHECK(before.series[b.rebooked - 1].doses[0] == DoseState::kGiven);
  // The missed second appointment the rebooking replaced still counts.
  REQUIRE(before.no_shows.size() == 1);
  CHECK(before.no_shows[0].series == b.rebooked);
  CHECK(before.no_shows[0].appointment.day != before.series[b.rebooked - 1].appointments[1].day);
  CHECK(before.report.doses_missed == 2);  // b.missed's first dose, b.rebooked's second
  CHECK(before.series[b.swapped - 1].status == SeriesStatus::kCancelled);
  CHECK(before.series[b.short_notice - 1].replaces == b.swapped);
  CHECK(before.registrants[b.people[1] - 1].status == RegistrantStatus::kVaccinated);
  CHECK(before.registrants[b.people[1] - 1].series == b.completed);

  auto reopened = OpenOk(path);
  CheckSame(before, Take(reopened->engine()));
  CheckInvariantsOk(reopened->engine());
  // Outside a hold there is no expiry.
  CHECK(Ok(reopened->engine().GetSeries(b.declined)).hold_expires_at == absl::InfinitePast());

  // The reopened store goes on: the hold is still open until its expiry,
  // and the cap still counts it.
  const Series confirmed = Ok(reopened->ConfirmHold(b.held, At(2021, 6, 2, 9, 10)));
  CHECK(confirmed.status == SeriesStatus::kActive);
  CHECK(reopened->engine().hold_count() == 0u);
  CHECK(Ok(reopened->engine().GetRelease(b.frankfurt_release)).booked == 3u);
  Ok(reopened->RecordDose(b.short_notice, 1, DoseOutcome::kGiven, At(2021, 6, 19, 12)));
  // A withdrawal lets the registrant's hold lapse, in the file too.
  BookingRequest request;
  request.registrant = b.people[3];
  request.at = At(2021, 6, 2, 9, 20);
  const Series hold = Ok(reopened->Book(request));
  REQUIRE(hold.status == SeriesStatus::kHeld);
  Ok(reopened->Withdraw(b.people[3], At(2021, 6, 2, 9, 21)));
  CHECK(Ok(reopened->engine().GetSeries(hold.id)).status == SeriesStatus::kLapsed);
  CHECK(reopened->engine().hold_count() == 0u);
  const Snapshot changed = Take(reopened->engine());
  reopened.reset();
  CheckSame(changed, Take(OpenOk(path)->engine()));
}

TEST_CASE("the booking columns hold the documented values") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Bookings b;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildCampaign(*store);
    b = BuildBookings(*store, ids);
  }
  RawConnection raw(path);
  auto series_value = [&](SeriesId id, const char* column) {
    return raw.QueryInt(
        absl::StrCat("SELECT coalesce(", column, ", -1) FROM series WHERE id = ", id));
  };
  // Dose states 0 booked, 1 given, 2 missed, 3 released; NULL for the
  // second dose of a one-dose series.
  CHECK(series_value(b.completed, "dose_1_state") == 1);
  CHECK(series_value(b.completed, "dose_2_state") == 1);
  CHECK(series_value(b.missed, "dose_1_state") == 2);
  CHECK(series_value(b.missed, "dose_2_state") == 3);
  CHECK(series_value(b.declined, "dose_2_state") == 3);
  CHECK(series_value(b.rebooked, "dose_2_state") == 0);
  CHECK(raw.QueryInt(absl::StrCat("SELECT count(*) FROM replaced_no_shows WHERE series = ",
                                  b.rebooked, " AND day < (SELECT dose_2_day FROM series WHERE id = ",
                                  b.rebooked, ")")) == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM series WHERE dose_count = 1 AND "
                     "dose_2_state IS NOT NULL") == 0);
  // Status and origin as their enum values; the release and the replaced
  // series as ids.
  CHECK(series_value(b.held, "status") == 2);
  CHECK(series_value(b.expired, "status") == 3);
  CHECK(series_value(b.completed, "status") == 4);
  CHECK(series_value(b.missed, "status") == 5);
  CHECK(series_value(b.completed, "origin") == 1);
  CHECK(series_value(b.completed, "release") == b.frankfurt_release);
  CHECK(series_value(b.short_notice, "origin") == 2);
  CHECK(series_value(b.short_notice, "release") == -1);
  CHECK(series_value(b.short_notice, "replaces") == b.swapped);
  CHECK(raw.QueryInt("SELECT count(*) FROM series WHERE draw IS NOT NULL AND "
                     "(origin != 0 OR release IS NOT NULL)") == 0);
  // The expiry in microseconds, for the hold only.
  CHECK(series_value(b.held, "hold_expires_us") == absl::ToUnixMicros(At(2021, 6, 2, 9, 15)) + 7);
  CHECK(raw.QueryInt("SELECT count(*) FROM series WHERE hold_expires_us IS NOT NULL") == 1);
  // Releases: NULL for every vaccine.
  CHECK(raw.QueryInt("SELECT release_at_us FROM releases WHERE id = 1") ==
        absl::ToUnixMicros(At(2021, 6, 1, 6)) + 5);
  CHECK(raw.QueryInt("SELECT first_dose_cap FROM releases WHERE id = 1") == 6);
  CHECK(raw.QueryInt("SELECT vaccine IS NULL FROM releases WHERE id = 2") == 1);
  // Policies: the zone's name, the hold in microseconds.
  CHECK(raw.QueryText("SELECT time_zone FROM policies WHERE version = 1") == "UTC");
  CHECK(raw.QueryInt("SELECT hold_us FROM policies WHERE version = 1") == 600'000'000);
  CHECK(raw.QueryText("SELECT time_zone FROM policies WHERE version = 3") == "Europe/Berlin");
  CHECK(raw.QueryInt("SELECT hold_us FROM policies WHERE version = 3") == 900'000'000);
  CHECK(raw.QueryInt("SELECT short_notice_days FROM policies WHERE version = 3") == 4);
  CHECK(raw.QueryInt("SELECT status FROM registrants WHERE id = " + std::to_string(b.people[1])) ==
        3);
  // Events: kinds 4 and 5 name their series, never a draw.
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind = 4") == 6);
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind = 5") == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind >= 4 AND "
                     "(series IS NULL OR draw IS NOT NULL)") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM pragma_foreign_key_check") == 0);
}

TEST_CASE("the booking flows write their events with their change") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  const CampaignIds ids = BuildCampaign(*store);
  const std::vector<Event> before = AllPending(*store);
  REQUIRE_FALSE(before.empty());
  const Bookings b = BuildBookings(*store, ids);
  const std::vector<Event> after = AllPending(*store);
  // Booked at once, confirmed, booked at once (x3), the swap (the replaced
  // series' cancellation, then the booking), the rebooking; holds, lapses
  // and attendance write none.
  REQUIRE(b.events.size() == 8);
  REQUIRE(after.size() == before.size() + b.events.size());
  const std::vector<Event> added = Tail(after, before.size());
  for (size_t i = 0; i < added.size(); ++i) {
    CAPTURE(i);
    const Event& expected = b.events[i];
    CheckEvent(added[i], before.back().id + 1 + i, expected.kind, expected.at, expected.registrant,
               expected.series, expected.draw);
  }
  store.reset();
  CheckSameEvents(AllPending(*OpenOk(path)), after);
}

// Four registrants in Frankfurt, a release from 20 June, nothing drawn.
struct FaultCampaign {
  CampaignIds ids;
  std::vector<RegistrantId> people;
};

FaultCampaign BuildFaultCampaign(Store& store) {
  FaultCampaign campaign;
  campaign.ids = BuildSetup(store);
  const CampaignIds& ids = campaign.ids;
  Ok(store.SetPolicy(BookingPolicy(ids)));
  ReleaseSpec release;
  release.center = ids.frankfurt_center;
  release.vaccine = ids.comirnaty;
  release.first_day = CivilDay(2021, 6, 20);
  release.last_day = CivilDay(2021, 6, 26);
  release.release_at = At(2021, 6, 1, 6);
  Ok(store.AddRelease(release));
  std::vector<RegistrantSpec> people;
  for (int i = 0; i < 4; ++i) {
    people.push_back(testing::Person(absl::StrCat("FC-", i), ids.frankfurt, PriorityGroup::kGroup1,
                                     At(2021, 5, 20, 9, i)));
  }
  campaign.people = Ok(store.RegisterBatch(people));
  return campaign;
}

// Creates a trigger that refuses writes `when` (its WHEN and event part):
// `on_what` is e.g. "INSERT ON events".
void InjectFailure(RawConnection& raw, const std::string& name, const std::string& on_what,
                   const std::string& when) {
  raw.Exec(absl::StrCat("CREATE TRIGGER ", name, " BEFORE ", on_what, " WHEN ", when,
                        " BEGIN SELECT RAISE(ABORT, 'injected ", name, "'); END"));
}

// The call fails with the injected error and leaves file and engine alone.
#define CHECK_INJECTED(store, name, ...)                                                  \
  do {                                                                                    \
    const Unchanged unchanged_(store);                                                    \
    const absl::Status status_ = StatusOf(__VA_ARGS__);                                   \
    CHECK_MESSAGE(status_.code() == StatusCode::kInternal, #__VA_ARGS__ " -> ", status_); \
    CHECK_MESSAGE(Contains(status_, "injected " name), status_);                          \
    unchanged_.Check(#__VA_ARGS__);                                                       \
  } while (0)

TEST_CASE("a failure inside a booking flow rolls all of it back") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  FaultCampaign campaign;
  {
    auto store = OpenOk(path);
    campaign = BuildFaultCampaign(*store);
  }
  const CampaignIds& ids = campaign.ids;
  RawConnection raw(path);
  BookingRequest request;
  request.registrant = campaign.people[0];
  request.center = ids.frankfurt_center;
  request.at = At(2021, 6, 1, 7);
  request.confirm = true;

  // Booking at once fails at its event, after the series and the registrant.
  InjectFailure(raw, "booked_event", "INSERT ON events", "NEW.kind = 4");
  auto store = OpenOk(path);
  CHECK_INJECTED(*store, "booked_event", store->Book(request));
  CHECK(store->engine().series_count() == 0u);
  CHECK(raw.QueryInt("SELECT count(*) FROM series") == 0);
  CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE status != 0") == 0);
  // A hold writes no event; its confirmation fails the same way and leaves it held.
  request.confirm = false;
  const Series hold = Ok(store->Book(request));
  CHECK_INJECTED(*store, "booked_event", store->ConfirmHold(hold.id, At(2021, 6, 1, 7, 5)));
  CHECK(raw.QueryInt("SELECT status FROM series WHERE id = 1") == 2);
  CHECK(raw.QueryInt("SELECT count(*) FROM events") == 0);
  raw.Exec("DROP TRIGGER booked_event");

  // Letting the hold lapse fails on its row: declined, expired, or lapsed
  // by another booking, the hold stays.
  InjectFailure(raw, "lapse", "UPDATE ON series", "NEW.status = 3");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "lapse", store->DeclineHold(hold.id, At(2021, 6, 1, 7, 6)));
  CHECK_INJECTED(*store, "lapse", store->ExpireHolds(At(2021, 6, 1, 7, 30)));
  BookingRequest other = request;
  other.registrant = campaign.people[1];
  other.at = At(2021, 6, 1, 7, 30);
  CHECK_INJECTED(*store, "lapse", store->Book(other));
  CHECK(Ok(store->engine().GetSeries(hold.id)).status == SeriesStatus::kHeld);
  CHECK(raw.QueryInt("SELECT status FROM series WHERE id = 1") == 2);
  CHECK(raw.QueryInt("SELECT count(*) FROM series") == 1);
  raw.Exec("DROP TRIGGER lapse");
  store = OpenOk(path);
  Ok(store->ConfirmHold(hold.id, At(2021, 6, 1, 7, 10)));
  REQUIRE(AllPending(*store).size() == 1);

  // Completing the series fails at the registrant, after the series row.
  Ok(store->RecordDose(hold.id, 1, DoseOutcome::kGiven, At(2021, 6, 20, 12)));
  const Series first_given = Ok(store->engine().GetSeries(hold.id));
  const absl::Time second_done = UtcOn(first_given.appointments[1].day, 18);
  InjectFailure(raw, "vaccinated", "UPDATE ON registrants", "NEW.status = 3");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "vaccinated",
                 store->RecordDose(hold.id, 2, DoseOutcome::kGiven, second_done));
  CHECK(raw.QueryInt("SELECT status FROM series WHERE id = 1") == 0);
  CHECK(raw.QueryInt("SELECT dose_2_state FROM series WHERE id = 1") == 0);
  raw.Exec("DROP TRIGGER vaccinated");

  // Rebooking a missed second dose fails at its event.
  InjectFailure(raw, "rebooked_event", "INSERT ON events", "NEW.kind = 5");
  store = OpenOk(path);
  Ok(store->RecordDose(hold.id, 2, DoseOutcome::kMissed, second_done));
  CHECK_INJECTED(*store, "rebooked_event",
                 store->RebookSecondDose(hold.id, second_done + absl::Hours(12)));
  CHECK(raw.QueryInt("SELECT dose_2_state FROM series WHERE id = 1") == 2);
  raw.Exec("DROP TRIGGER rebooked_event");

  // A short-notice swap fails at its second event: the replaced series'
  // cancellation, its row and its event go too.
  store = OpenOk(path);
  request.registrant = campaign.people[2];
  request.confirm = true;
  const Series booked = Ok(store->Book(request));
  request.mode = BookingMode::kShortNotice;
  request.confirm = false;
  request.at = At(2021, 6, 17, 6);
  const Series swap = Ok(store->Book(request));
  REQUIRE(swap.replaces == booked.id);
  const int64_t events_written =
      raw.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
  InjectFailure(raw, "booked_event", "INSERT ON events", "NEW.kind = 4");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "booked_event", store->ConfirmHold(swap.id, At(2021, 6, 17, 6, 5)));
  CHECK(raw.QueryInt("SELECT status FROM series WHERE id = " + std::to_string(booked.id)) == 0);
  CHECK(raw.QueryInt("SELECT status FROM series WHERE id = " + std::to_string(swap.id)) == 2);
  CHECK(raw.QueryInt("SELECT series FROM registrants WHERE id = " +
                     std::to_string(booked.registrant)) == booked.id);
  CHECK(raw.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'events'") == events_written);
  raw.Exec("DROP TRIGGER booked_event");
  store = OpenOk(path);
  Ok(store->ConfirmHold(swap.id, At(2021, 6, 17, 6, 5)));
  CheckInvariantsOk(store->engine());
  const Snapshot in_memory = Take(store->engine());
  store.reset();
  CheckSame(in_memory, Take(OpenOk(path)->engine()));
}

TEST_CASE("a refused booking flow leaves the file and the engine as they were") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  const FaultCampaign campaign = BuildFaultCampaign(*store);
  const CampaignIds& ids = campaign.ids;
  ReleaseSpec overlapping;
  overlapping.center = ids.frankfurt_center;
  overlapping.first_day = CivilDay(2021, 6, 25);
  overlapping.last_day = CivilDay(2021, 6, 30);
  overlapping.release_at = At(2021, 6, 1);
  CHECK_REFUSED(*store, StatusCode::kAlreadyExists, store->AddRelease(overlapping));
  overlapping.center = 99;
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->AddRelease(overlapping));
  BookingRequest request;
  request.registrant = campaign.people[0];
  request.at = At(2021, 5, 31);  // before the release opens
  CHECK_REFUSED(*store, StatusCode::kResourceExhausted, store->Book(request));
  request.registrant = 77;
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->Book(request));
  request.registrant = campaign.people[0];
  request.at = At(2021, 6, 1, 7);
  const Series hold = Ok(store->Book(request));
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition, store->Book(request));  // holds one
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->ConfirmHold(hold.id, At(2021, 6, 1, 8)));  // lapsed by then
  CHECK_REFUSED(*store, StatusCode::kNotFound, store->DeclineHold(99, At(2021, 6, 1, 7, 1)));
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->RecordDose(hold.id, 1, DoseOutcome::kGiven, At(2021, 6, 20, 12)));
  Ok(store->ConfirmHold(hold.id, At(2021, 6, 1, 7, 1)));
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->RecordDose(hold.id, 1, DoseOutcome::kGiven, At(2021, 6, 19)));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument,
                store->RecordDose(hold.id, 3, DoseOutcome::kGiven, At(2021, 6, 20, 12)));
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->RebookSecondDose(hold.id, At(2021, 6, 20, 12)));
  const Snapshot in_memory = Take(store->engine());
  store.reset();
  CheckSame(in_memory, Take(OpenOk(path)->engine()));
}

// ---------------------------------------------------------------------------
// The standby list and one-time codes
// ---------------------------------------------------------------------------

// Hessen's policy with every standby and code field off its default.
Policy CodePolicy(const CampaignIds& ids) {
  Policy policy = HessenPolicy(ids);
  policy.standby_hold = absl::Minutes(45);
  policy.code_digits = 8;
  policy.code_lifetime = absl::Minutes(20);
  policy.code_attempts = 2;
  return policy;
}

// Another entry of the same length: the last digit changed.
std::string WrongCode(std::string code) {
  code.back() = code.back() == '0' ? '1' : '0';
  return code;
}

CodeRequest CancelCode(const Engine& engine, RegistrantId registrant, absl::Time at) {
  CodeRequest request;
  request.registrant = registrant;
  request.purpose = CodePurpose::kCancelSeries;
  request.series = Ok(engine.GetRegistrant(registrant)).series;
  request.at = at;
  return request;
}

CodeRequest WithdrawCode(RegistrantId registrant, absl::Time at) {
  CodeRequest request;
  request.registrant = registrant;
  request.purpose = CodePurpose::kWithdraw;
  request.at = at;
  return request;
}

// The expected kCodeIssued event of a code (its id as IssueCode reported it).
Event ExpectedCodeEvent(const IssuedCode& issued) {
  Event event = internal::MakeEvent(EventKind::kCodeIssued, issued.record.issued_at,
                                    issued.record.registrant, issued.record.series);
  event.id = issued.event.id;
  event.code_id = issued.record.id;
  event.code = issued.code;
  return event;
}

// What BuildCodes made, and the events it expects in the outbox.
struct Codes {
  RegistrantId standby_booked = kNoId;   // on the standby list, booked a standby series
  RegistrantId standby_waiting = kNoId;  // on the standby list, still waiting
  SeriesId standby_series = kNoId;       // held, then confirmed
  IssuedCode accepted;                   // cancels a drawn series after one wrong entry: used
  IssuedCode superseded;  // a withdrawal code of standby_waiting, replaced by `pending`
  IssuedCode pending;
  IssuedCode locked;          // policy.code_attempts wrong entries
  IssuedCode expired;         // entered at its expiry: still pending, but no good
  std::vector<Event> events;  // ids unset, except the codes'
};

// On top of BuildCampaign (whose last draw was on 30 May): a policy with
// every new field set, two registrants on the standby list, a standby
// booking, and a code in every state.
Codes BuildCodes(Store& store, const CampaignIds& ids) {
  Codes c;
  CHECK(Ok(store.SetPolicy(CodePolicy(ids))) == 3u);
  const Engine& engine = store.engine();

  // Codes on 5 June. A cancellation code, entered wrong once, then right.
  const RegistrantId cancelling = FirstWithStatus(engine, RegistrantStatus::kScheduled);
  const absl::Time issued_at = At(2021, 6, 5, 10) + absl::Microseconds(3);
  c.accepted = Ok(store.IssueCode(CancelCode(engine, cancelling, issued_at)));
  c.events.push_back(ExpectedCodeEvent(c.accepted));
  CodeOutcome outcome = CodeOutcome::kAccepted;
  const absl::Status wrong = store.VerifyCode(c.accepted.record.id, WrongCode(c.accepted.code),
                                              At(2021, 6, 5, 10, 1), &outcome);
  CHECK(wrong.code() == StatusCode::kUnauthenticated);
  CHECK(outcome == CodeOutcome::kWrong);
  const absl::Time accepted_at = At(2021, 6, 5, 10, 2);
  Ok(store.VerifyCode(c.accepted.record.id, c.accepted.code, accepted_at, &outcome));
  CHECK(outcome == CodeOutcome::kAccepted);
  CHECK(Ok(engine.GetSeries(c.accepted.record.series)).status == SeriesStatus::kCancelled);
  CHECK(Ok(engine.GetRegistrant(cancelling)).status == RegistrantStatus::kWaiting);
  c.events.push_back(internal::MakeEvent(EventKind::kSeriesCancelled, accepted_at, cancelling,
                                         c.accepted.record.series));

  // Two on the standby list (Kassel, online), registered after the draws.
  std::vector<RegistrantSpec> standby;
  for (int i = 0; i < 2; ++i) {
    RegistrantSpec spec =
        testing::Person(absl::StrCat("SB-", i), ids.kassel, PriorityGroup::kGroup3,
                        At(2021, 6, 1, 8, i), CivilDay(1970, 4, 4));
    spec.standby = true;
    standby.push_back(spec);
  }
  const std::vector<RegistrantId> people = Ok(store.RegisterBatch(standby));
  c.standby_booked = people[0];
  c.standby_waiting = people[1];

  // A withdrawal code superseded by a second one, left pending.
  c.superseded = Ok(store.IssueCode(WithdrawCode(c.standby_waiting, At(2021, 6, 5, 11))));
  c.events.push_back(ExpectedCodeEvent(c.superseded));
  c.pending = Ok(store.IssueCode(WithdrawCode(c.standby_waiting, At(2021, 6, 5, 11, 5))));
  c.events.push_back(ExpectedCodeEvent(c.pending));
  REQUIRE(c.pending.superseded.size() == 1);
  CHECK(c.pending.superseded[0].id == c.superseded.record.id);

  // A cancellation code locked by wrong entries; the same registrant's
  // withdrawal code entered at its expiry.
  const RegistrantId locking = FirstWithStatus(engine, RegistrantStatus::kScheduled);
  c.locked = Ok(store.IssueCode(CancelCode(engine, locking, At(2021, 6, 5, 12))));
  c.events.push_back(ExpectedCodeEvent(c.locked));
  for (int attempt = 1; attempt <= engine.policy().code_attempts; ++attempt) {
    CHECK(
        store.VerifyCode(c.locked.record.id, WrongCode(c.locked.code), At(2021, 6, 5, 12, attempt))
            .code() == StatusCode::kUnauthenticated);
  }
  c.expired = Ok(store.IssueCode(WithdrawCode(locking, At(2021, 6, 5, 13))));
  c.events.push_back(ExpectedCodeEvent(c.expired));
  CHECK(store.VerifyCode(c.expired.record.id, c.expired.code, At(2021, 6, 5, 13, 20), &outcome)
            .code() == StatusCode::kUnauthenticated);
  CHECK(outcome == CodeOutcome::kExpired);

  // A standby offer on a Monday outside the draws' windows, held for the
  // policy's 45 minutes, then confirmed.
  BookingRequest request;
  request.registrant = c.standby_booked;
  request.mode = BookingMode::kStandby;
  request.center = ids.kassel_center;
  request.vaccine = ids.comirnaty;
  request.at = At(2021, 6, 14, 9, 30) + absl::Microseconds(11);
  const Series offer = Ok(store.Book(request));
  REQUIRE(offer.status == SeriesStatus::kHeld);
  CHECK(offer.origin == SeriesOrigin::kStandby);
  CHECK(offer.appointments[0].day == CivilDay(2021, 6, 14));
  CHECK(offer.hold_expires_at == request.at + absl::Minutes(45));
  const absl::Time confirmed_at = At(2021, 6, 14, 9, 40);
  CHECK(Ok(store.ConfirmHold(offer.id, confirmed_at)).status == SeriesStatus::kActive);
  c.standby_series = offer.id;
  c.events.push_back(
      internal::MakeEvent(EventKind::kSeriesBooked, confirmed_at, c.standby_booked, offer.id));
  return c;
}

TEST_CASE("codes, the standby list and the new policy fields round-trip through the file") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Snapshot before;
  Codes c;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildCampaign(*store);
    c = BuildCodes(*store, ids);
    CheckInvariantsOk(store->engine());
    before = Take(store->engine());
  }
  // The campaign has what the comparison is meant to cover.
  REQUIRE(before.codes.size() == 5);
  const auto state_of = [&](const IssuedCode& issued) {
    return before.codes[issued.record.id - 1].state;
  };
  CHECK(state_of(c.accepted) == CodeState::kUsed);
  CHECK(before.codes[c.accepted.record.id - 1].attempts == 1);
  CHECK(state_of(c.superseded) == CodeState::kSuperseded);
  CHECK(state_of(c.pending) == CodeState::kPending);
  CHECK(state_of(c.locked) == CodeState::kLocked);
  CHECK(before.codes[c.locked.record.id - 1].attempts == 2);
  CHECK(state_of(c.expired) == CodeState::kPending);
  CHECK(before.codes[c.superseded.record.id - 1].series == kNoId);
  REQUIRE(before.policies.size() == 3);
  CHECK(before.policies[2].policy.standby_hold == absl::Minutes(45));
  CHECK(before.policies[2].policy.code_digits == 8);
  CHECK(before.registrants[c.standby_booked - 1].spec.standby);
  CHECK(before.registrants[c.standby_waiting - 1].spec.standby);
  CHECK_FALSE(before.registrants[0].spec.standby);
  CHECK(before.series[c.standby_series - 1].origin == SeriesOrigin::kStandby);

  auto reopened = OpenOk(path);
  CheckSame(before, Take(reopened->engine()));
  CheckInvariantsOk(reopened->engine());
  // Waiting on the standby list after reopening too.
  const std::vector<RegistrantId> standby_list = Ok(reopened->engine().StandbyList(
      Ok(reopened->engine().FindCenter("IZ-KS")), At(2021, 6, 14, 10), 10));
  CHECK(std::find(standby_list.begin(), standby_list.end(), c.standby_waiting) !=
        standby_list.end());

  // The reopened store goes on: the pending code still works (and only it:
  // the superseded, locked, used and expired ones do not), and a new code
  // supersedes what is pending now.
  CodeOutcome outcome = CodeOutcome::kWrong;
  CHECK(reopened
            ->VerifyCode(c.superseded.record.id, c.superseded.code, At(2021, 6, 5, 11, 6), &outcome)
            .code() == StatusCode::kFailedPrecondition);
  CHECK(outcome == CodeOutcome::kNotPending);
  CHECK(reopened->VerifyCode(c.locked.record.id, c.locked.code, At(2021, 6, 5, 12, 5), &outcome)
            .code() == StatusCode::kUnauthenticated);
  CHECK(outcome == CodeOutcome::kLocked);
  CHECK(reopened->VerifyCode(c.accepted.record.id, c.accepted.code, At(2021, 6, 5, 10, 3), &outcome)
            .code() == StatusCode::kFailedPrecondition);
  CHECK(reopened->VerifyCode(c.expired.record.id, c.expired.code, At(2021, 6, 5, 13, 30), &outcome)
            .code() == StatusCode::kUnauthenticated);
  CHECK(outcome == CodeOutcome::kExpired);
  const IssuedCode again = Ok(
      reopened->IssueCode(CancelCode(reopened->engine(), c.standby_booked, At(2021, 6, 14, 10))));
  CHECK(again.record.id == 6u);
  CHECK(again.superseded.empty());
  Ok(reopened->VerifyCode(c.pending.record.id, c.pending.code, At(2021, 6, 5, 11, 10), &outcome));
  CHECK(outcome == CodeOutcome::kAccepted);
  CHECK(Ok(reopened->engine().GetRegistrant(c.standby_waiting)).status ==
        RegistrantStatus::kWithdrawn);
  const Snapshot changed = Take(reopened->engine());
  reopened.reset();
  CheckSame(changed, Take(OpenOk(path)->engine()));
}

TEST_CASE("the code and standby columns hold the documented values") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Codes c;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildCampaign(*store);
    c = BuildCodes(*store, ids);
  }
  RawConnection raw(path);
  auto code_value = [&](const IssuedCode& issued, const char* column) {
    return raw.QueryInt(
        absl::StrCat("SELECT coalesce(", column, ", -1) FROM codes WHERE id = ", issued.record.id));
  };
  // Purpose 1 cancel (its series), 2 withdraw (NULL); state 0 pending,
  // 1 used, 2 locked, 3 superseded; wrong attempts counted.
  CHECK(code_value(c.accepted, "purpose") == 1);
  CHECK(code_value(c.accepted, "series") == c.accepted.record.series);
  CHECK(code_value(c.pending, "purpose") == 2);
  CHECK(code_value(c.pending, "series") == -1);
  CHECK(code_value(c.accepted, "state") == 1);
  CHECK(code_value(c.locked, "state") == 2);
  CHECK(code_value(c.superseded, "state") == 3);
  CHECK(code_value(c.pending, "state") == 0);
  CHECK(code_value(c.expired, "state") == 0);
  CHECK(code_value(c.accepted, "attempts") == 1);
  CHECK(code_value(c.locked, "attempts") == 2);
  CHECK(code_value(c.pending, "attempts") == 0);
  // Instants in microseconds; the expiry is the policy's 20 minutes later.
  CHECK(code_value(c.accepted, "issued_at_us") == absl::ToUnixMicros(At(2021, 6, 5, 10)) + 3);
  CHECK(code_value(c.accepted, "expires_at_us") - code_value(c.accepted, "issued_at_us") ==
        20 * 60'000'000LL);
  // The salt and the hash bit-cast, and the hash is SipHash-2-4 of the
  // digits under the salt: the code itself is in no column.
  for (const IssuedCode* issued : {&c.accepted, &c.superseded, &c.pending, &c.locked, &c.expired}) {
    CAPTURE(issued->record.id);
    CHECK(issued->code.size() == 8u);
    CHECK(code_value(*issued, "salt0") == static_cast<int64_t>(issued->record.salt0));
    CHECK(code_value(*issued, "salt1") == static_cast<int64_t>(issued->record.salt1));
    CHECK(
        code_value(*issued, "hash") ==
        static_cast<int64_t>(SipHash24(issued->record.salt0, issued->record.salt1, issued->code)));
  }
  // The standby list and the standby origin.
  CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE standby = 1") == 2);
  CHECK(raw.QueryInt(
            absl::StrCat("SELECT standby FROM registrants WHERE id = ", c.standby_booked)) == 1);
  CHECK(raw.QueryInt(absl::StrCat("SELECT origin FROM series WHERE id = ", c.standby_series)) == 3);
  // The policy: both durations in microseconds.
  CHECK(raw.QueryInt("SELECT standby_hold_us FROM policies WHERE version = 3") == 2'700'000'000);
  CHECK(raw.QueryInt("SELECT code_digits FROM policies WHERE version = 3") == 8);
  CHECK(raw.QueryInt("SELECT code_lifetime_us FROM policies WHERE version = 3") == 1'200'000'000);
  CHECK(raw.QueryInt("SELECT code_attempts FROM policies WHERE version = 3") == 2);
  CHECK(raw.QueryInt("SELECT standby_hold_us FROM policies WHERE version = 1") == 1'800'000'000);
  CHECK(raw.QueryInt("SELECT code_digits FROM policies WHERE version = 1") == 6);
  CHECK(raw.QueryInt("SELECT code_lifetime_us FROM policies WHERE version = 1") == 900'000'000);
  CHECK(raw.QueryInt("SELECT code_attempts FROM policies WHERE version = 1") == 3);
  // Events: kind 6 carries code_id and the digits; no other kind does.
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE kind = 6") == 5);
  CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE (kind = 6) != (code IS NOT NULL) OR "
                     "(kind = 6) != (code_id IS NOT NULL)") == 0);
  CHECK(raw.QueryText(absl::StrCat("SELECT code FROM events WHERE id = ", c.pending.event.id)) ==
        c.pending.code);
  CHECK(raw.QueryInt(absl::StrCat("SELECT code_id FROM events WHERE id = ", c.pending.event.id)) ==
        c.pending.record.id);
  CHECK(raw.QueryInt(absl::StrCat("SELECT series IS NULL FROM events WHERE id = ",
                                  c.pending.event.id)) == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM pragma_foreign_key_check") == 0);
}

TEST_CASE("codes write their events; acknowledging one deletes its digits") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  const CampaignIds ids = BuildCampaign(*store);
  const std::vector<Event> before = AllPending(*store);
  REQUIRE_FALSE(before.empty());
  const Codes c = BuildCodes(*store, ids);
  const std::vector<Event> after = AllPending(*store);
  // Five codes issued, one accepted (its cancellation), the standby booking;
  // wrong, locked and expired entries and holds write none.
  REQUIRE(c.events.size() == 7);
  REQUIRE(after.size() == before.size() + c.events.size());
  const std::vector<Event> added = Tail(after, before.size());
  for (size_t i = 0; i < added.size(); ++i) {
    CAPTURE(i);
    const Event& expected = c.events[i];
    // IssueCode reports the event's id as written.
    if (expected.kind == EventKind::kCodeIssued) CHECK(expected.id == added[i].id);
    CheckEvent(added[i], before.back().id + 1 + i, expected.kind, expected.at, expected.registrant,
               expected.series, expected.draw, expected.code_id, expected.code);
  }
  store.reset();
  store = OpenOk(path);
  CheckSameEvents(AllPending(*store), after);

  // Acknowledged, the digits are gone from the file's tables, and (with
  // secure_delete, once the log is checkpointed into the file on closing)
  // from its bytes; the codes still work (the engine kept their hashes).
  const std::string digits_before = FileAndWal(path);
  for (const IssuedCode* issued : {&c.accepted, &c.superseded, &c.pending, &c.locked, &c.expired}) {
    REQUIRE(absl::StrContains(digits_before, issued->code));
  }
  Ok(store->AcknowledgeEvents(after.back().id));
  CHECK(AllPending(*store).empty());
  {
    RawConnection raw(path);
    CHECK(raw.QueryInt("SELECT count(*) FROM events") == 0);
    CHECK(raw.QueryInt("SELECT count(*) FROM codes") == 5);
  }
  store.reset();
  REQUIRE_FALSE(fs::exists(path + "-wal"));
  const std::string bytes = ReadBytes(path);
  for (const IssuedCode* issued : {&c.accepted, &c.superseded, &c.pending, &c.locked, &c.expired}) {
    CHECK_MESSAGE(!absl::StrContains(bytes, issued->code), issued->code, " is still in the file");
  }
  store = OpenOk(path);
  Ok(store->VerifyCode(c.pending.record.id, c.pending.code, At(2021, 6, 5, 11, 10)));
  const std::vector<Event> withdrawn = AllPending(*store);
  REQUIRE(withdrawn.size() == 1);
  CheckEvent(withdrawn[0], after.back().id + 1, EventKind::kRegistrantWithdrawn,
             At(2021, 6, 5, 11, 10), c.standby_waiting, kNoId, kNoId);
}

TEST_CASE("a wrong code's attempt is committed before the error; a lock survives reopening") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  RegistrantId registrant = kNoId;
  SeriesId series = kNoId;
  IssuedCode issued;
  int attempts_allowed = 0;
  {
    auto store = OpenOk(path);
    BuildCampaign(*store);
    attempts_allowed = store->engine().policy().code_attempts;  // the default, 3
    REQUIRE(attempts_allowed == 3);
    registrant = FirstWithStatus(store->engine(), RegistrantStatus::kScheduled);
    series = Ok(store->engine().GetRegistrant(registrant)).series;
    issued = Ok(store->IssueCode(CancelCode(store->engine(), registrant, At(2021, 6, 1, 10))));
  }
  // Each wrong entry in a Store of its own, closed right after the error (as
  // a process that dies then): the attempt is in the file.
  for (int attempt = 1; attempt <= attempts_allowed; ++attempt) {
    CAPTURE(attempt);
    {
      auto store = OpenOk(path);
      CHECK(Ok(store->engine().GetCode(issued.record.id)).attempts == attempt - 1);
      CodeOutcome outcome = CodeOutcome::kAccepted;
      const absl::Status wrong = store->VerifyCode(issued.record.id, WrongCode(issued.code),
                                                   At(2021, 6, 1, 10, attempt), &outcome);
      CHECK(wrong.code() == StatusCode::kUnauthenticated);
      CHECK(outcome == CodeOutcome::kWrong);
      if (attempt < attempts_allowed) {
        CHECK_MESSAGE(Contains(wrong, absl::StrCat(attempts_allowed - attempt, " attempt(s) left")),
                      wrong);
      } else {
        CHECK_MESSAGE(Contains(wrong, "locked"), wrong);
      }
    }
    RawConnection raw(path);
    CHECK(raw.QueryInt(absl::StrCat("SELECT attempts FROM codes WHERE id = ", issued.record.id)) ==
          attempt);
  }
  auto store = OpenOk(path);
  const VerificationCode locked = Ok(store->engine().GetCode(issued.record.id));
  CHECK(locked.state == CodeState::kLocked);
  CHECK(locked.attempts == attempts_allowed);
  // Locked: even the right code is refused, and nothing is written.
  CodeOutcome outcome = CodeOutcome::kAccepted;
  CHECK_REFUSED(*store, StatusCode::kUnauthenticated,
                store->VerifyCode(issued.record.id, issued.code, At(2021, 6, 1, 10, 5), &outcome));
  CHECK(outcome == CodeOutcome::kLocked);
  CHECK(Ok(store->engine().GetSeries(series)).status == SeriesStatus::kActive);
  // A new code for the same series is not locked.
  const IssuedCode fresh =
      Ok(store->IssueCode(CancelCode(store->engine(), registrant, At(2021, 6, 1, 11))));
  CHECK(fresh.superseded.empty());
  Ok(store->VerifyCode(fresh.record.id, fresh.code, At(2021, 6, 1, 11, 1)));
  CHECK(Ok(store->engine().GetSeries(series)).status == SeriesStatus::kCancelled);
  CheckInvariantsOk(store->engine());
  const Snapshot in_memory = Take(store->engine());
  store.reset();
  CheckSame(in_memory, Take(OpenOk(path)->engine()));
}

TEST_CASE("a failure inside IssueCode or VerifyCode rolls all of it back") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    BuildCampaign(*store);
  }
  RawConnection raw(path);
  auto store = OpenOk(path);
  const RegistrantId registrant = FirstWithStatus(store->engine(), RegistrantStatus::kScheduled);
  const SeriesId series = Ok(store->engine().GetRegistrant(registrant)).series;
  const CodeRequest request = CancelCode(store->engine(), registrant, At(2021, 6, 1, 10));
  const int64_t events_written =
      raw.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
  auto code_column = [&](CodeId id, const char* column) {
    return raw.QueryInt(absl::StrCat("SELECT ", column, " FROM codes WHERE id = ", id));
  };

  // Issuing fails at its event, after the code row.
  InjectFailure(raw, "code_event", "INSERT ON events", "NEW.kind = 6");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "code_event", store->IssueCode(request));
  CHECK(store->engine().code_count() == 0u);
  CHECK(raw.QueryInt("SELECT count(*) FROM codes") == 0);
  CHECK(raw.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'events'") == events_written);
  raw.Exec("DROP TRIGGER code_event");
  store = OpenOk(path);
  const IssuedCode first = Ok(store->IssueCode(request));
  CHECK(first.record.id == 1u);

  // A second code fails at superseding the first, and at its event: the
  // first stays pending either way.
  CodeRequest again = request;
  again.at = At(2021, 6, 1, 10, 1);
  InjectFailure(raw, "supersede", "UPDATE ON codes", "NEW.state = 3");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "supersede", store->IssueCode(again));
  raw.Exec("DROP TRIGGER supersede");
  InjectFailure(raw, "code_event", "INSERT ON events", "NEW.kind = 6");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "code_event", store->IssueCode(again));
  raw.Exec("DROP TRIGGER code_event");
  CHECK(store->engine().code_count() == 1u);
  CHECK(Ok(store->engine().GetCode(first.record.id)).state == CodeState::kPending);
  CHECK(raw.QueryInt("SELECT count(*) FROM codes") == 1);
  CHECK(code_column(first.record.id, "state") == 0);

  // A wrong entry whose attempt cannot be written is not counted: the caller
  // gets the storage error, not Unauthenticated, and no outcome.
  InjectFailure(raw, "attempt", "UPDATE ON codes", "NEW.attempts > OLD.attempts");
  store = OpenOk(path);
  CodeOutcome outcome = CodeOutcome::kNotPending;
  CHECK_INJECTED(
      *store, "attempt",
      store->VerifyCode(first.record.id, WrongCode(first.code), At(2021, 6, 1, 10, 2), &outcome));
  CHECK(outcome == CodeOutcome::kNotPending);
  CHECK(Ok(store->engine().GetCode(first.record.id)).attempts == 0);
  CHECK(code_column(first.record.id, "attempts") == 0);
  raw.Exec("DROP TRIGGER attempt");

  // The right code whose cancellation fails at its event: the code stays
  // pending, the series active, the registrant scheduled.
  InjectFailure(raw, "cancel_event", "INSERT ON events", "NEW.kind = 2");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "cancel_event",
                 store->VerifyCode(first.record.id, first.code, At(2021, 6, 1, 10, 3), &outcome));
  CHECK(outcome == CodeOutcome::kNotPending);
  CHECK(Ok(store->engine().GetCode(first.record.id)).state == CodeState::kPending);
  CHECK(Ok(store->engine().GetSeries(series)).status == SeriesStatus::kActive);
  CHECK(code_column(first.record.id, "state") == 0);
  CHECK(raw.QueryInt(absl::StrCat("SELECT status FROM series WHERE id = ", series)) == 0);
  CHECK(raw.QueryInt(absl::StrCat("SELECT status FROM registrants WHERE id = ", registrant)) == 1);
  raw.Exec("DROP TRIGGER cancel_event");

  // A withdrawal code whose withdrawal fails at the registrant's row.
  store = OpenOk(path);
  const IssuedCode withdrawal =
      Ok(store->IssueCode(WithdrawCode(registrant, At(2021, 6, 1, 10, 4))));
  InjectFailure(raw, "withdraw", "UPDATE ON registrants", "NEW.status = 2");
  store = OpenOk(path);
  CHECK_INJECTED(*store, "withdraw",
                 store->VerifyCode(withdrawal.record.id, withdrawal.code, At(2021, 6, 1, 10, 5)));
  CHECK(code_column(withdrawal.record.id, "state") == 0);
  CHECK(raw.QueryInt(absl::StrCat("SELECT status FROM series WHERE id = ", series)) == 0);
  raw.Exec("DROP TRIGGER withdraw");

  // Without the triggers the cancellation code is accepted.
  store = OpenOk(path);
  const std::vector<Event> pending = AllPending(*store);
  Ok(store->VerifyCode(first.record.id, first.code, At(2021, 6, 1, 10, 6), &outcome));
  CHECK(outcome == CodeOutcome::kAccepted);
  CHECK(Ok(store->engine().GetSeries(series)).status == SeriesStatus::kCancelled);
  const std::vector<Event> after = Ok(store->PendingEvents(pending.back().id, 10));
  REQUIRE(after.size() == 1);
  CheckEvent(after[0], pending.back().id + 1, EventKind::kSeriesCancelled, At(2021, 6, 1, 10, 6),
             registrant, series, kNoId);
  CheckInvariantsOk(store->engine());
  const Snapshot in_memory = Take(store->engine());
  store.reset();
  CheckSame(in_memory, Take(OpenOk(path)->engine()));
}

TEST_CASE("a refused code call leaves the file and the engine as they were") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  const CampaignIds ids = BuildCampaign(*store);
  const Engine& engine = store->engine();
  const RegistrantId scheduled = FirstWithStatus(engine, RegistrantStatus::kScheduled);
  const RegistrantId withdrawn = FirstWithStatus(engine, RegistrantStatus::kWithdrawn);
  CHECK_REFUSED(*store, StatusCode::kNotFound,
                store->IssueCode(WithdrawCode(9999, At(2021, 6, 1))));
  // A withdrawn registrant may only ask to delete the registration.
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->IssueCode(CancelCode(engine, withdrawn, At(2021, 6, 1))));
  // Before the last draw (30 May).
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->IssueCode(WithdrawCode(scheduled, At(2021, 5, 29))));
  CodeRequest with_series = CancelCode(engine, scheduled, At(2021, 6, 1));
  with_series.purpose = CodePurpose::kWithdraw;
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument, store->IssueCode(with_series));
  const SeriesId cancelled = Ok(engine.GetDraw(1)).series[0];
  CodeRequest not_active = CancelCode(engine, scheduled, At(2021, 6, 1));
  not_active.series = cancelled;
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition, store->IssueCode(not_active));

  const IssuedCode issued = Ok(store->IssueCode(CancelCode(engine, scheduled, At(2021, 6, 1))));
  CodeOutcome outcome = CodeOutcome::kAccepted;
  CHECK_REFUSED(*store, StatusCode::kNotFound,
                store->VerifyCode(99, issued.code, At(2021, 6, 1, 0, 1), &outcome));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument,
                store->VerifyCode(issued.record.id, "12ab", At(2021, 6, 1, 0, 1), &outcome));
  CHECK_REFUSED(*store, StatusCode::kInvalidArgument,
                store->VerifyCode(issued.record.id, "", At(2021, 6, 1, 0, 1), &outcome));
  CHECK(outcome == CodeOutcome::kAccepted);  // no outcome without a verification
  // Expired: refused, and nothing to write.
  CHECK_REFUSED(*store, StatusCode::kUnauthenticated,
                store->VerifyCode(issued.record.id, issued.code,
                                  At(2021, 6, 1) + engine.policy().code_lifetime, &outcome));
  CHECK(outcome == CodeOutcome::kExpired);
  // The series went away another way: the right code's action is refused.
  const IssuedCode late = Ok(store->IssueCode(CancelCode(engine, scheduled, At(2021, 6, 2))));
  Ok(store->CancelSeries(late.record.series, At(2021, 6, 2, 0, 1)));
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition,
                store->VerifyCode(late.record.id, late.code, At(2021, 6, 2, 0, 2)));
  // Standby booking of someone not on the list.
  BookingRequest standby;
  standby.registrant = FirstWithStatus(engine, RegistrantStatus::kWaiting);
  standby.mode = BookingMode::kStandby;
  standby.center = ids.kassel_center;
  standby.at = At(2021, 6, 14, 9);
  CHECK_REFUSED(*store, StatusCode::kFailedPrecondition, store->Book(standby));
  const Snapshot in_memory = Take(engine);
  store.reset();
  CheckSame(in_memory, Take(OpenOk(path)->engine()));
}

// ---------------------------------------------------------------------------
// Schema migration
// ---------------------------------------------------------------------------

// Version 1 of the schema exactly as that library created it (src/store.cc
// keeps the same text as its first migration).
constexpr const char* kSchemaVersion1 = R"sql(
CREATE TABLE districts (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
) STRICT;

CREATE TABLE vaccines (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  dose_count INTEGER NOT NULL,
  interval_days_min INTEGER NOT NULL,
  interval_days_target INTEGER NOT NULL,
  interval_days_max INTEGER NOT NULL,
  age_years_min INTEGER NOT NULL,
  age_years_max INTEGER NOT NULL
) STRICT;

CREATE TABLE centers (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
) STRICT;

-- The districts a center serves, in the order given.
CREATE TABLE center_districts (
  center INTEGER NOT NULL REFERENCES centers(id),
  position INTEGER NOT NULL,
  district INTEGER NOT NULL REFERENCES districts(id),
  PRIMARY KEY (center, position)
) STRICT, WITHOUT ROWID;

-- Append-only, in the order added.
CREATE TABLE capacity_blocks (
  seq INTEGER PRIMARY KEY,
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  weekdays INTEGER NOT NULL,
  open_minute INTEGER NOT NULL,
  close_minute INTEGER NOT NULL,
  slot_minutes INTEGER NOT NULL,
  seats_first INTEGER NOT NULL,
  seats_second INTEGER NOT NULL
) STRICT;

-- Append-only, in the order added.
CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY,
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  day INTEGER NOT NULL,
  doses INTEGER NOT NULL
) STRICT;

-- Version 1 is the engine's default policy, written when the file is created.
CREATE TABLE policies (
  version INTEGER PRIMARY KEY,
  residence INTEGER NOT NULL CHECK (residence IN (0, 1))
) STRICT;

CREATE TABLE policy_tier_rules (
  version INTEGER NOT NULL REFERENCES policies(version),
  position INTEGER NOT NULL,
  registered_before_us INTEGER NOT NULL,
  tier_group_1 INTEGER NOT NULL,
  tier_group_2 INTEGER NOT NULL,
  tier_group_3 INTEGER NOT NULL,
  tier_group_none INTEGER NOT NULL,
  PRIMARY KEY (version, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE policy_reserves (
  version INTEGER NOT NULL REFERENCES policies(version),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  share_permille INTEGER NOT NULL,
  age_years_min INTEGER NOT NULL,
  group_mask INTEGER NOT NULL,
  vaccine INTEGER REFERENCES vaccines(id),
  PRIMARY KEY (version, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE policy_neighbours (
  version INTEGER NOT NULL REFERENCES policies(version),
  position INTEGER NOT NULL,
  district_a INTEGER NOT NULL REFERENCES districts(id),
  district_b INTEGER NOT NULL REFERENCES districts(id),
  PRIMARY KEY (version, position)
) STRICT, WITHOUT ROWID;

-- Value checks use BETWEEN rather than IN (a, b, c): SQLite evaluates an IN
-- list of three or more through a temporary index built anew by every
-- statement run, which was half the time of a draw's registrant updates.
CREATE TABLE registrants (
  id INTEGER PRIMARY KEY,
  external_ref TEXT NOT NULL UNIQUE,
  district INTEGER NOT NULL REFERENCES districts(id),
  birth_day INTEGER NOT NULL,
  priority_group INTEGER NOT NULL CHECK (priority_group BETWEEN 1 AND 4),
  channel INTEGER NOT NULL CHECK (channel IN (0, 1)),
  registered_at_us INTEGER NOT NULL,
  vaccine_preference INTEGER REFERENCES vaccines(id),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
  waiting_since_us INTEGER NOT NULL,
  series INTEGER REFERENCES series(id)
) STRICT;

-- Appointment 2 is NULL for a one-dose vaccine.
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  registrant INTEGER NOT NULL REFERENCES registrants(id),
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  dose_count INTEGER NOT NULL CHECK (dose_count IN (1, 2)),
  dose_1_day INTEGER NOT NULL,
  dose_1_minute INTEGER NOT NULL,
  dose_2_day INTEGER,
  dose_2_minute INTEGER,
  status INTEGER NOT NULL CHECK (status IN (0, 1)),
  booked_at_us INTEGER NOT NULL,
  draw INTEGER REFERENCES draws(id),
  tier INTEGER NOT NULL,
  category INTEGER NOT NULL
) STRICT;

CREATE TABLE draws (
  id INTEGER PRIMARY KEY,
  seed_k0 INTEGER NOT NULL,
  seed_k1 INTEGER NOT NULL,
  at_us INTEGER NOT NULL,
  first_dose_from INTEGER NOT NULL,
  first_dose_until INTEGER NOT NULL,
  series_limit INTEGER NOT NULL,
  policy_version INTEGER NOT NULL REFERENCES policies(version),
  UNIQUE (seed_k0, seed_k1)
) STRICT;

-- The centers a draw was limited to (none: every center).
CREATE TABLE draw_centers (
  draw INTEGER NOT NULL REFERENCES draws(id),
  position INTEGER NOT NULL,
  center INTEGER NOT NULL REFERENCES centers(id),
  PRIMARY KEY (draw, position)
) STRICT, WITHOUT ROWID;

-- Only tiers with a candidate; a missing tier counted zero.
CREATE TABLE draw_tiers (
  draw INTEGER NOT NULL REFERENCES draws(id),
  tier INTEGER NOT NULL,
  eligible INTEGER NOT NULL,
  assigned INTEGER NOT NULL,
  PRIMARY KEY (draw, tier)
) STRICT, WITHOUT ROWID;

-- The transactional outbox (store.h): pending events only; acknowledging
-- deletes them. kind: 1 series assigned (series and draw set), 2 series
-- cancelled (series set), 3 registrant withdrawn (series: the one it held).
-- No foreign keys: each row copies ids from a series or registrant row that
-- the same transaction has just written or updated (and checked); checking
-- them again would cost more than half of what a draw spends on its events.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 3),
  at_us INTEGER NOT NULL,
  registrant INTEGER NOT NULL,
  series INTEGER,
  draw INTEGER,
  CHECK ((kind = 1) = (draw IS NOT NULL)),
  CHECK (kind = 3 OR series IS NOT NULL)
) STRICT;
)sql";

// Writes `v1_path` as the version 1 library would have: its schema, and every
// row of the closed campaign file `source` (which must use version 1's
// features only) in its columns, the outbox's high-water mark included.
void WriteVersion1Copy(const std::string& source, const std::string& v1_path) {
  RawConnection raw(v1_path);
  REQUIRE(raw.QueryText("PRAGMA journal_mode = WAL") == "wal");
  raw.Exec("PRAGMA application_id = 1448624433");  // 0x56584131, 'VXA1'
  raw.Exec(absl::StrCat("ATTACH DATABASE '", source, "' AS source"));
  raw.Exec("BEGIN");
  raw.Exec(kSchemaVersion1);
  // Same columns in both versions.
  for (const char* table : {"districts", "vaccines", "centers", "center_districts",
                            "capacity_blocks", "deliveries", "policy_tier_rules", "policy_reserves",
                            "policy_neighbours", "draws", "draw_centers", "draw_tiers"}) {
    raw.Exec(absl::StrCat("INSERT INTO main.", table, " SELECT * FROM source.", table));
  }
  raw.Exec("INSERT INTO main.policies SELECT version, residence FROM source.policies");
  raw.Exec(
      "INSERT INTO main.registrants SELECT id, external_ref, district, birth_day, "
      "priority_group, channel, registered_at_us, vaccine_preference, status, waiting_since_us, "
      "series FROM source.registrants");
  raw.Exec(
      "INSERT INTO main.events SELECT id, kind, at_us, registrant, series, draw "
      "FROM source.events");
  raw.Exec(
      "INSERT INTO main.series SELECT id, registrant, center, vaccine, dose_count, dose_1_day, "
      "dose_1_minute, dose_2_day, dose_2_minute, status, booked_at_us, draw, tier, category "
      "FROM source.series");
  raw.Exec("DELETE FROM main.sqlite_sequence");
  raw.Exec("INSERT INTO main.sqlite_sequence SELECT name, seq FROM source.sqlite_sequence");
  raw.Exec("PRAGMA user_version = 1");
  raw.Exec("COMMIT");
  raw.Exec("DETACH DATABASE source");
}

TEST_CASE("a version 1 file is migrated on open with nothing lost") {
  TempDir dir;
  const std::string source = dir.File("source.sqlite");
  const std::string path = dir.File("version1.sqlite");
  Snapshot before;
  CampaignIds ids;
  std::vector<Event> pending;
  uint64_t last_event = 0;
  {
    auto store = OpenOk(source);
    ids = BuildCampaign(*store);
    const std::vector<Event> all = AllPending(*store);
    REQUIRE(all.size() > 3);
    Ok(store->AcknowledgeEvents(all[2].id));
    pending = Tail(all, 3);
    last_event = all.back().id;
    before = Take(store->engine());
  }
  WriteVersion1Copy(source, path);
  {
    RawConnection raw(path);
    REQUIRE(raw.QueryInt("PRAGMA user_version") == 1);
    REQUIRE(raw.QueryInt("SELECT count(*) FROM series") ==
            static_cast<int64_t>(before.series.size()));
    REQUIRE(raw.QueryInt("SELECT count(*) FROM series WHERE status = 1") == 2);
  }

  auto store = OpenOk(path);
  // Every entity as it was: active series with their doses booked,
  // cancelled ones released, all from draws; the default policy fields.
  CheckSame(before, Take(store->engine()));
  CheckInvariantsOk(store->engine());
  CheckSameEvents(AllPending(*store), pending);
  {
    RawConnection raw(path);
    CHECK(raw.QueryInt("PRAGMA user_version") == 5);
    CHECK(raw.QueryText("PRAGMA integrity_check") == "ok");
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND "
                       "name NOT LIKE 'sqlite_%'") == 23);
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND "
                       "name NOT LIKE 'sqlite_%' AND strict = 0") == 0);
    // No table is left over from the rebuilds, and external_ref keeps its index.
    CHECK(raw.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v2%' OR name "
                       "LIKE '%_v3%'") == 0);
    // Version 3's columns: no lead time, no overbooking, nobody erased.
    CHECK(raw.QueryInt("SELECT count(*) FROM policies WHERE draw_lead_days_online = 0 AND "
                       "draw_lead_days_phone = 0 AND overbook_permille = 0") == 2);
    CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE external_ref IS NULL") == 0);
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_index_list('registrants') WHERE "
                       "\"unique\" = 1") == 1);
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_index_list('draws') WHERE "
                       "\"unique\" = 1") == 1);
    CHECK(raw.QueryInt("SELECT count(*) FROM series WHERE origin != 0 OR dose_1_state != "
                       "(CASE status WHEN 0 THEN 0 ELSE 3 END) OR dose_2_state IS NOT "
                       "(CASE WHEN dose_count = 1 THEN NULL WHEN status = 0 THEN 0 ELSE 3 END)") ==
          0);
    CHECK(raw.QueryInt("SELECT count(*) FROM policies WHERE time_zone = 'UTC' AND "
                       "hold_us = 600000000 AND short_notice_days = 0") == 2);
    // Step 2's columns: nobody on the standby list, the default policy's
    // standby hold and codes, no code yet.
    CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE standby = 0") ==
          static_cast<int64_t>(before.registrants.size()));
    CHECK(raw.QueryInt("SELECT count(*) FROM policies WHERE standby_hold_us = 1800000000 AND "
                       "code_digits = 6 AND code_lifetime_us = 900000000 AND "
                       "code_attempts = 3") == 2);
    CHECK(raw.QueryInt("SELECT count(*) FROM codes") == 0);
    CHECK(raw.QueryInt("SELECT count(*) FROM events WHERE code_id IS NOT NULL OR "
                       "code IS NOT NULL") == 0);
    CHECK(raw.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'events'") ==
          static_cast<int64_t>(last_event));
    // The new checks are in force: a registrant may be vaccinated, a series
    // neither status 6 nor a second dose state without a second dose.
    CHECK(raw.QueryText("SELECT sql FROM sqlite_schema WHERE name = 'registrants'")
              .find("status BETWEEN 0 AND 3") != std::string::npos);
    CHECK(raw.QueryText("SELECT sql FROM sqlite_schema WHERE name = 'series'")
              .find("status BETWEEN 0 AND 5") != std::string::npos);
    CHECK(raw.QueryText("SELECT sql FROM sqlite_schema WHERE name = 'series'")
              .find("origin BETWEEN 0 AND 3") != std::string::npos);
    CHECK(raw.QueryText("SELECT sql FROM sqlite_schema WHERE name = 'events'")
              .find("kind BETWEEN 1 AND 6") != std::string::npos);
  }
  // In memory too: the default policy's new fields, nobody on standby.
  const Snapshot migrated = Take(store->engine());
  for (const PolicyVersion& version : migrated.policies) {
    CHECK(version.policy.standby_hold == absl::Minutes(30));
    CHECK(version.policy.code_digits == 6);
    CHECK(version.policy.code_lifetime == absl::Minutes(15));
    CHECK(version.policy.code_attempts == 3);
  }
  for (const Registrant& registrant : migrated.registrants) CHECK_FALSE(registrant.spec.standby);

  // The migrated campaign takes the new flows; the outbox goes on above its
  // old high-water mark.
  CHECK(Ok(store->SetPolicy(BookingPolicy(ids))) == 3u);
  ReleaseSpec release;
  release.center = ids.frankfurt_center;
  release.vaccine = ids.comirnaty;
  release.first_day = CivilDay(2021, 7, 1);
  release.last_day = CivilDay(2021, 7, 2);
  release.release_at = At(2021, 6, 1);
  Ok(store->AddSupply(Supply(ids.frankfurt_center, ids.comirnaty, CivilDay(2021, 6, 15), 20)));
  Ok(store->AddRelease(release));
  const RegistrantId newcomer = Ok(store->Register(
      testing::Person("after-migration", ids.frankfurt, PriorityGroup::kGroup3, At(2021, 5, 31))));
  BookingRequest request;
  request.registrant = newcomer;
  request.at = At(2021, 6, 2);
  request.confirm = true;
  const Series booked = Ok(store->Book(request));
  CodeRequest withdrawal;
  withdrawal.registrant = newcomer;
  withdrawal.purpose = CodePurpose::kWithdraw;
  withdrawal.at = At(2021, 6, 2, 1);
  const IssuedCode issued = Ok(store->IssueCode(withdrawal));
  const std::vector<Event> next = Ok(store->PendingEvents(pending.back().id, 10));
  REQUIRE(next.size() == 2);
  CheckEvent(next[0], last_event + 1, EventKind::kSeriesBooked, At(2021, 6, 2), newcomer, booked.id,
             kNoId);
  CheckEvent(next[1], last_event + 2, EventKind::kCodeIssued, withdrawal.at, newcomer, kNoId, kNoId,
             issued.record.id, issued.code);
  CheckInvariantsOk(store->engine());
  const Snapshot changed = Take(store->engine());
  store.reset();
  CheckSame(changed, Take(OpenOk(path)->engine()));
}

// Version 2's registrants table, as 0.2 wrote it: a frozen fixture (a
// change to src/store.cc's text must not change what the test builds).
constexpr const char* kVersion2Registrants = R"sql(
CREATE TABLE registrants_old (
  id INTEGER PRIMARY KEY,
  external_ref TEXT NOT NULL UNIQUE,
  district INTEGER NOT NULL REFERENCES districts(id),
  birth_day INTEGER NOT NULL,
  priority_group INTEGER NOT NULL CHECK (priority_group BETWEEN 1 AND 4),
  channel INTEGER NOT NULL CHECK (channel IN (0, 1)),
  registered_at_us INTEGER NOT NULL,
  vaccine_preference INTEGER REFERENCES vaccines(id),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
  waiting_since_us INTEGER NOT NULL,
  series INTEGER REFERENCES series(id),
  standby INTEGER NOT NULL DEFAULT 0 CHECK (standby BETWEEN 0 AND 1)
) STRICT;
INSERT INTO registrants_old SELECT id, external_ref, district, birth_day, priority_group, channel,
  registered_at_us, vaccine_preference, status, waiting_since_us, series, standby
  FROM registrants ORDER BY id;
DROP TABLE registrants;
ALTER TABLE registrants_old RENAME TO registrants;
ALTER TABLE policies DROP COLUMN draw_lead_days_online;
ALTER TABLE policies DROP COLUMN draw_lead_days_phone;
ALTER TABLE policies DROP COLUMN overbook_permille;
DROP TABLE replaced_no_shows;
DROP TABLE journal;
DROP TABLE draw_commitment_centers;
DROP TABLE draw_inputs;
DROP TABLE draw_commitments;
PRAGMA user_version = 2;
)sql";

TEST_CASE("a version 2 file is migrated on open with nothing lost") {
  TempDir dir;
  const std::string path = dir.File("version2.sqlite");
  Snapshot before;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildCampaign(*store);
    BuildCodes(*store, ids);
    before = Take(store->engine());
  }
  {
    RawConnection raw(path);
    raw.Exec("PRAGMA foreign_keys = OFF");
    raw.Exec(absl::StrCat("BEGIN;", kVersion2Registrants, "COMMIT;"));
    REQUIRE(raw.QueryInt("PRAGMA user_version") == 2);
    REQUIRE(raw.QueryText("SELECT sql FROM sqlite_schema WHERE name = 'registrants'")
                .find("external_ref TEXT NOT NULL UNIQUE") != std::string::npos);
  }
  auto store = OpenOk(path);
  CheckSame(before, Take(store->engine()));
  CheckInvariantsOk(store->engine());
  {
    RawConnection raw(path);
    CHECK(raw.QueryInt("PRAGMA user_version") == 5);
    CHECK(raw.QueryText("PRAGMA integrity_check") == "ok");
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(raw.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v3%'") == 0);
    CHECK(raw.QueryInt("SELECT count(*) FROM pragma_index_list('registrants') WHERE "
                       "\"unique\" = 1") == 1);
    CHECK(raw.QueryText("SELECT sql FROM sqlite_schema WHERE name = 'registrants'")
              .find("external_ref TEXT UNIQUE") != std::string::npos);
  }
  // The migrated file takes the new fields and a deletion.
  Policy policy = store->engine().policy();
  policy.overbook_permille = 100;
  Ok(store->SetPolicy(policy));
  Ok(store->DeleteRegistration(FirstWithStatus(store->engine(), RegistrantStatus::kWaiting),
                               At(2021, 6, 20)));
  CheckInvariantsOk(store->engine());
  const Snapshot changed = Take(store->engine());
  store.reset();
  CheckSame(changed, Take(OpenOk(path)->engine()));
}

TEST_CASE("lead days, overbooking and deleted registrations round-trip; the file forgets the "
          "reference") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Snapshot before;
  std::vector<std::string> erased_refs;
  RegistrantSpec reusable;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildCampaign(*store);
    Policy policy = BookingPolicy(ids);
    policy.draw_lead_days_online = 1;
    policy.draw_lead_days_phone = 5;
    policy.overbook_permille = 120;
    Ok(store->SetPolicy(policy));
    const Engine& engine = store->engine();
    const RegistrantId scheduled = FirstWithStatus(engine, RegistrantStatus::kScheduled);
    const RegistrantId withdrawn = FirstWithStatus(engine, RegistrantStatus::kWithdrawn);
    const SeriesId series = Ok(engine.GetRegistrant(scheduled)).series;
    reusable = Ok(engine.GetRegistrant(withdrawn)).spec;
    for (RegistrantId id : {scheduled, withdrawn}) {
      erased_refs.push_back(Ok(engine.GetRegistrant(id)).spec.external_ref);
    }
    const uint64_t events_before = AllPending(*store).size();
    Ok(store->DeleteRegistration(scheduled, At(2021, 6, 20, 9)));
    Ok(store->DeleteRegistration(withdrawn, At(2021, 6, 20, 9)));
    // The scheduled one: its series cancelled, then the withdrawal; the
    // withdrawn one: nothing more to tell.
    const std::vector<Event> events = AllPending(*store);
    REQUIRE(events.size() == events_before + 2);
    CHECK(events[events.size() - 2].kind == EventKind::kSeriesCancelled);
    CHECK(events[events.size() - 2].series == series);
    CHECK(events.back().kind == EventKind::kRegistrantWithdrawn);
    CHECK(events.back().registrant == scheduled);
    CHECK(store->DeleteRegistration(withdrawn, At(2021, 6, 20, 10)).code() ==
          StatusCode::kFailedPrecondition);
    CheckInvariantsOk(engine);
    before = Take(engine);
  }
  // Closed: the WAL is checkpointed, and secure_delete zeroed what the
  // updates freed. Neither reference is left anywhere in the file.
  const std::string bytes = ReadBytes(path);
  REQUIRE(bytes.size() > 0);
  for (const std::string& ref : erased_refs) {
    CAPTURE(ref);
    CHECK(bytes.find(ref) == std::string::npos);
    CHECK(ReadBytes(path + "-wal").find(ref) == std::string::npos);
  }
  {
    RawConnection raw(path);
    CHECK(raw.QueryInt("SELECT count(*) FROM registrants WHERE external_ref IS NULL AND "
                       "birth_day IS NULL AND status = 2") == 2);
    CHECK(raw.QueryInt("SELECT draw_lead_days_online * 10000 + draw_lead_days_phone * 1000 + "
                       "overbook_permille FROM policies ORDER BY version DESC LIMIT 1") == 15120);
  }
  auto store = OpenOk(path);
  CheckSame(before, Take(store->engine()));
  CheckInvariantsOk(store->engine());
  // Reopened: the references are free again, the deletions stay final.
  CHECK(store->engine().FindRegistrant(erased_refs[0]).status().code() == StatusCode::kNotFound);
  reusable.registered_at = At(2021, 6, 21);
  const RegistrantId again = Ok(store->Register(reusable));
  CHECK(again == before.registrants.size() + 1);
  CHECK(Ok(store->engine().FindRegistrant(erased_refs[1])) == again);
  CheckInvariantsOk(store->engine());
}

TEST_CASE("a migrated outbox keeps its high-water mark with every event acknowledged") {
  TempDir dir;
  const std::string source = dir.File("source.sqlite");
  const std::string path = dir.File("version1.sqlite");
  uint64_t last_event = 0;
  {
    auto store = OpenOk(source);
    BuildCampaign(*store);
    last_event = AllPending(*store).back().id;
    Ok(store->AcknowledgeEvents(last_event));
  }
  WriteVersion1Copy(source, path);
  {
    RawConnection raw(path);
    REQUIRE(raw.QueryInt("SELECT count(*) FROM events") == 0);
  }
  auto store = OpenOk(path);
  CHECK(AllPending(*store).empty());
  CHECK_MESSAGE(StatusOf(store->AcknowledgeEvents(last_event)).ok(), "ids up to the mark exist");
  CHECK(store->AcknowledgeEvents(last_event + 1).code() == StatusCode::kInvalidArgument);
  const RegistrantId scheduled = FirstWithStatus(store->engine(), RegistrantStatus::kScheduled);
  const SeriesId series = Ok(store->engine().GetRegistrant(scheduled)).series;
  Ok(store->CancelSeries(series, At(2021, 5, 31)));
  const std::vector<Event> next = AllPending(*store);
  REQUIRE(next.size() == 1);
  CheckEvent(next[0], last_event + 1, EventKind::kSeriesCancelled, At(2021, 5, 31), scheduled,
             series, kNoId);
}

TEST_CASE("a version 1 file whose rows break a foreign key is refused, unchanged") {
  TempDir dir;
  const std::string source = dir.File("source.sqlite");
  const std::string path = dir.File("version1.sqlite");
  {
    auto store = OpenOk(source);
    BuildCampaign(*store);
  }
  WriteVersion1Copy(source, path);
  {
    RawConnection raw(path);  // foreign keys are off by default
    raw.Exec("UPDATE registrants SET series = 9999 WHERE id = 2");
  }
  // The migration copies the rows, finds the broken reference before its
  // commit and rolls back: still version 1, whole.
  CheckRefusedFile(path, StatusCode::kDataLoss,
                   {"schema version 2", "foreign key", "registrants", "series"});
  RawConnection raw(path);
  CHECK(raw.QueryInt("PRAGMA user_version") == 1);
  CHECK(raw.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'releases'") == 0);
  CHECK(raw.QueryInt("SELECT series FROM registrants WHERE id = 2") == 9999);
}

// The four edited files a tester found reaching "a bug in vaxalloc" (issue
// 22): each is now DataLoss naming the table and row, and the file stays
// as it was.
TEST_CASE("rows that break the limits of input or the links between rows are DataLoss") {
  TempDir dir;
  const std::string source = dir.File("source.sqlite");
  {
    auto store = OpenOk(source);
    const CampaignIds ids = BuildCampaign(*store);
    BuildCodes(*store, ids);
  }
  const std::string bytes = FileAndWal(source);
  auto edited = [&](const std::string& name, const std::string& sql) {
    const std::string path = dir.File(name);
    WriteBytes(path, bytes);
    RawConnection raw(path);  // foreign keys are off by default
    raw.Exec(sql);
    return path;
  };

  SUBCASE("an outbox code longer than any code") {
    const std::string path = edited(
        "code.sqlite", absl::StrCat("UPDATE events SET code = '", std::string(88, '7'),
                                    "' WHERE id = (SELECT max(id) FROM events WHERE kind = 6)"));
    CheckRefusedFile(path, StatusCode::kDataLoss, {"events", "code", "88"});
    const std::string letters =
        edited("letters.sqlite", "UPDATE events SET code = 'x1y2z3' WHERE kind = 6");
    CheckRefusedFile(letters, StatusCode::kDataLoss, {"events", "code", "digits"});
    // Edited by another connection after the open: the read says so too.
    const std::string later = edited("later.sqlite", "SELECT 1");
    auto store = OpenOk(later);
    RawConnection(later).Exec("UPDATE events SET code = '12' WHERE kind = 6");
    const absl::StatusOr<std::vector<Event>> events = store->PendingEvents(0, 1000);
    REQUIRE_FALSE(events.ok());
    CHECK_MESSAGE(events.status().code() == StatusCode::kDataLoss, events.status());
    CHECK_MESSAGE(Contains(events.status(), "events"), events.status());
  }
  SUBCASE("a schema version older than the file's tables") {
    for (int version : {1, 2, 3, 4}) {
      CAPTURE(version);
      const std::string path = edited(absl::StrCat("version", version, ".sqlite"),
                                      absl::StrCat("PRAGMA user_version = ", version));
      CheckRefusedFile(path, StatusCode::kDataLoss,
                       {absl::StrCat("schema version ", version), "do not match"});
      RawConnection raw(path);
      CHECK(raw.QueryInt("PRAGMA user_version") == version);
    }
  }
  SUBCASE("a draw's tier row moved to a draw that does not exist") {
    const std::string path =
        edited("tiers.sqlite", "UPDATE draw_tiers SET draw = 99 WHERE draw = 1 AND tier = 1");
    CheckRefusedFile(path, StatusCode::kDataLoss, {"draw_tiers", "draws", "foreign key"});
  }
  SUBCASE("a draw's row deleted while its series remain") {
    const std::string path = edited(
        "draws.sqlite",
        "DELETE FROM draw_tiers WHERE draw = 2; DELETE FROM draw_centers WHERE draw = 2; "
        "DELETE FROM draws WHERE id = 2");
    CheckRefusedFile(path, StatusCode::kDataLoss, {"series", "draw 2"});
  }
  SUBCASE("a header SQLite cannot read (schema format 5)") {
    const std::string path = dir.File("format.sqlite");
    {
      auto store = OpenOk(path);  // closed: the log checkpointed into the file
      BuildSetup(*store);
    }
    std::string file = ReadBytes(path);
    REQUIRE(file.size() > 48);
    file[47] = 5;  // offset 44: the schema format number, big-endian, 1..4
    WriteBytes(path, file);
    CheckRefusedFile(path, StatusCode::kDataLoss, {"not a readable SQLite database"});
  }
  SUBCASE("a center's district row naming a missing district") {
    const std::string path =
        edited("districts.sqlite", "UPDATE center_districts SET district = 77 WHERE center = 1");
    CheckRefusedFile(path, StatusCode::kDataLoss, {"center_districts", "districts"});
  }
}

// ---------------------------------------------------------------------------
// Two connections
// ---------------------------------------------------------------------------

TEST_CASE("a second Store on the same file reads the committed campaign") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto writer = OpenOk(path);
  BuildCampaign(*writer);
  auto reader = OpenOk(path);  // while the first is open
  CheckSame(Take(writer->engine()), Take(reader->engine()));

  // Once the first has written, the second catches up before its own
  // write: it gets the next id, not a copy of the first's.
  Ok(writer->AddDistrict("06414", "Wiesbaden"));
  CHECK(reader->engine().district_count() == 3u);  // until its next call
  CHECK(Ok(reader->AddDistrict("06415", "Darmstadt")) == 5u);
  CHECK(reader->engine().district_count() == 5u);
  Ok(writer->Refresh());
  CHECK(Ok(writer->engine().GetDistrict(5)).code == "06415");
  CheckSame(Take(writer->engine()), Take(reader->engine()));

  auto fresh = OpenOk(path);
  CheckSame(Take(fresh->engine()), Take(reader->engine()));
}

// Issue 22: SQLite's busy handler let a process that writes without pause
// keep the lock (62,458 writes in 15 s against none). Two processes register
// as fast as they can; each gets a fair share, neither is ever refused, and
// the log stays bounded (the checkpointer takes its turn too).
TEST_CASE("two writer processes take turns: neither starves") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    Ok(store->AddDistrict("06412", "Frankfurt am Main"));
  }
  const absl::Duration span = absl::Milliseconds(SmallScale() ? 1500 : 2500);
  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int writer = 0; writer < 2; ++writer) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      int64_t written = 0, refused = 0;
      absl::Duration slowest;
      StoreOptions options;
      options.busy_timeout = absl::Seconds(2);
      absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
      if (store.ok()) {
        const absl::Time end = absl::Now() + span;
        for (int i = 0; absl::Now() < end; ++i) {
          RegistrantSpec spec = testing::Person(absl::StrCat("W", writer, "-", i), 1,
                                                PriorityGroup::kNone, At(2021, 5, 1),
                                                CivilDay(1970, 1, 1));
          const absl::Time start = absl::Now();
          (*store)->Register(spec).ok() ? ++written : ++refused;
          slowest = std::max(slowest, absl::Now() - start);
        }
      } else {
        refused = -1;
      }
      const int64_t counts[3] = {written, refused, absl::ToInt64Milliseconds(slowest)};
      const bool sent = write(fds[1], counts, sizeof counts) == sizeof counts;
      _exit(sent ? 0 : 1);
    }
    close(fds[1]);
    children.push_back(pid);
    pipes.push_back(fds[0]);
  }
  int64_t written[2] = {}, refused[2] = {}, slowest_ms[2] = {};
  for (int writer = 0; writer < 2; ++writer) {
    int64_t counts[3] = {-1, -1, -1};
    CHECK(read(pipes[writer], counts, sizeof counts) == sizeof counts);
    close(pipes[writer]);
    int status = 0;
    CHECK(waitpid(children[writer], &status, 0) == children[writer]);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    written[writer] = counts[0];
    refused[writer] = counts[1];
    slowest_ms[writer] = counts[2];
  }
  MESSAGE("writes: ", written[0], " and ", written[1], "; slowest: ", slowest_ms[0], " and ",
          slowest_ms[1], " ms");
  const int64_t total = written[0] + written[1];
  CHECK(total > 100);
  // Measured: about half each, the slowest call 60 ms. Before the turns, one
  // had 29..39%, waited 2.0..2.5 s for a call and was refused at times.
  for (int writer = 0; writer < 2; ++writer) {
    CHECK(refused[writer] == 0);
    CHECK(written[writer] * 3 > total);
    CHECK(slowest_ms[writer] < 1000);
  }
  auto store = OpenOk(path);
  CHECK(store->engine().registrant_count() == static_cast<uint64_t>(total));
  CheckInvariantsOk(store->engine());
}

TEST_CASE("a writer blocked by another connection's transaction gets Unavailable (busy)") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  StoreOptions options;
  options.busy_timeout = absl::Milliseconds(50);
  options.durability = Durability::kFull;
  auto store = OpenOk(path, options);
  Ok(store->AddDistrict("06412", "Frankfurt am Main"));

  RawConnection other(path);
  other.Exec("BEGIN IMMEDIATE");
  const uint64_t revision = store->engine().revision();
  const auto start = std::chrono::steady_clock::now();
  const absl::Status busy = StatusOf(store->AddDistrict("06414", "Wiesbaden"));
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(busy.code() == StatusCode::kUnavailable);
  CHECK_MESSAGE(Contains(busy, "busy"), busy);
  CHECK(waited >= std::chrono::milliseconds(45));
  CHECK(waited < std::chrono::seconds(5));
  CHECK(store->engine().revision() == revision);
  CHECK(store->engine().district_count() == 1u);

  // Once the lock is gone the same call succeeds with the id it would have had.
  other.Exec("ROLLBACK");
  CHECK(Ok(store->AddDistrict("06414", "Wiesbaden")) == 2u);
  store.reset();
  CHECK(OpenOk(path)->engine().district_count() == 2u);
}

// ---------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------

TEST_CASE("a large batch is one transaction and loads back in order") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  const int count = SmallScale() ? 5'000 : 50'000;
  std::vector<RegistrantSpec> specs;
  {
    auto store = OpenOk(path);
    const CampaignIds ids = BuildSetup(*store);
    const std::vector<RegistrantSpec> people = People(ids);
    specs.reserve(count);
    for (int i = 0; i < count; ++i) {
      RegistrantSpec spec = people[i % people.size()];
      spec.external_ref = absl::StrCat("bulk-", i);
      spec.registered_at += absl::Seconds(i);
      specs.push_back(std::move(spec));
    }
    const std::vector<RegistrantId> ids_assigned = Ok(store->RegisterBatch(specs));
    CHECK(ids_assigned.size() == static_cast<size_t>(count));
    CHECK(ids_assigned.back() == static_cast<RegistrantId>(count));
  }
  auto store = OpenOk(path);
  REQUIRE(store->engine().registrant_count() == static_cast<uint32_t>(count));
  for (int i : {0, 1, count / 2, count - 1}) {
    const Registrant registrant =
        Ok(store->engine().GetRegistrant(static_cast<RegistrantId>(i + 1)));
    CHECK(registrant.spec.external_ref == specs[i].external_ref);
    CHECK(registrant.spec.registered_at == specs[i].registered_at);
    CHECK(registrant.spec.birth_day == specs[i].birth_day);
    CHECK(registrant.waiting_since == specs[i].registered_at);
  }
}

TEST_CASE("open refuses options that make no sense") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  StoreOptions options;
  options.busy_timeout = absl::Milliseconds(-1);
  CHECK(Store::Open(path, options).status().code() == StatusCode::kInvalidArgument);
  options.busy_timeout = absl::Seconds(1);
  options.durability = static_cast<Durability>(7);
  CHECK(Store::Open(path, options).status().code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(std::filesystem::exists(path));  // refused before anything was created
  // A NUL would open the file named by the bytes before it.
  const std::string cut = dir.File("zz");
  const absl::Status nul = Store::Open(cut + std::string("\0evil.sqlite", 12)).status();
  CHECK(nul.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(nul, "NUL"));
  CHECK_FALSE(std::filesystem::exists(cut));
}

}  // namespace
}  // namespace vaxalloc
