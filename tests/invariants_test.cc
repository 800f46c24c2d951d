// CheckInvariants: for every invariant, a small campaign where it holds, then
// the same campaign made to break it (the engine refuses invalid operations,
// so the broken states come in through the Restore* API, as a damaged or
// hand-edited database would), and the report must name exactly that
// invariant.
#include "vaxalloc/invariants.h"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/lottery.h"

namespace vaxalloc {
namespace {

const absl::CivilDay kDay(2021, 6, 1);  // a Tuesday
const int kMinute = 8 * 60;

absl::Time May(int day, int hour = 8) {
  return absl::FromCivil(absl::CivilSecond(2021, 5, day, hour, 0, 0), absl::UTCTimeZone());
}

// The distinct invariants a report names, in enum order, e.g. "residence".
std::string Kinds(const InvariantReport& report) {
  std::set<Invariant> kinds;
  for (const Violation& violation : report.violations) kinds.insert(violation.invariant);
  std::vector<std::string> names;
  for (Invariant kind : kinds) names.push_back(InvariantName(kind));
  return absl::StrJoin(names, ",");
}

bool Mentions(const InvariantReport& report, std::string_view text) {
  return report.ToString().find(text) != std::string::npos;
}

struct PersonArgs {
  DistrictId district = 1;
  RegistrantStatus status = RegistrantStatus::kWaiting;
  SeriesId series = kNoId;
  PriorityGroup group = PriorityGroup::kNone;
  absl::CivilDay birth_day = absl::CivilDay(1970, 1, 1);
  VaccineId vaccine_preference = kNoId;
  absl::Time registered_at = May(1);
  std::optional<absl::Time> waiting_since = std::nullopt;  // default: registered_at
  bool standby = false;
};

struct SeriesArgs {
  RegistrantId registrant = kNoId;
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  absl::CivilDay first_day = kDay;
  std::optional<absl::CivilDay> second_day = std::nullopt;  // two-dose vaccines
  int second_minute = kMinute;
  DrawId draw = kNoId;
  uint8_t tier = 0;
  uint8_t category = 0;
  SeriesStatus status = SeriesStatus::kActive;
  // Default: what the status implies (DosesFor).
  std::optional<std::array<DoseState, kDoseCountMax>> doses = std::nullopt;
  // Default: kRelease when `release` is set, else kDraw.
  std::optional<SeriesOrigin> origin = std::nullopt;
  ReleaseId release = kNoId;
  absl::Time booked_at = May(10);
  // Default for a hold: booked_at + 10 minutes.
  std::optional<absl::Time> hold_expires_at = std::nullopt;
  SeriesId replaces = kNoId;
};

// The dose states a series of this status has when nothing went wrong.
std::array<DoseState, kDoseCountMax> DosesFor(SeriesStatus status) {
  switch (status) {
    case SeriesStatus::kActive:
    case SeriesStatus::kHeld:
      return {DoseState::kBooked, DoseState::kBooked};
    case SeriesStatus::kCancelled:
    case SeriesStatus::kLapsed:
      return {DoseState::kReleased, DoseState::kReleased};
    case SeriesStatus::kCompleted:
      return {DoseState::kGiven, DoseState::kGiven};
    case SeriesStatus::kMissed:
      return {DoseState::kMissed, DoseState::kReleased};
  }
  return {};
}

// Districts A, B, C; a one-dose and a two-dose (21..42 days) vaccine; center
// A serves district A, center B district B.
class Campaign {
 public:
  Campaign() {
    district_a = *engine.AddDistrict("A", "District A");
    district_b = *engine.AddDistrict("B", "District B");
    district_c = *engine.AddDistrict("C", "District C");
    VaccineSpec mono_spec;
    mono_spec.code = "mono";
    mono_spec.name = "One dose";
    mono_spec.dose_count = 1;
    mono = *engine.AddVaccine(mono_spec);
    VaccineSpec duo_spec;
    duo_spec.code = "duo";
    duo_spec.name = "Two doses";
    duo_spec.dose_count = 2;
    duo_spec.interval_days_min = 21;
    duo_spec.interval_days_target = 21;
    duo_spec.interval_days_max = 42;
    duo = *engine.AddVaccine(duo_spec);
    center_a = *engine.AddCenter(CenterSpec{"CA", "Center A", {district_a}});
    center_b = *engine.AddCenter(CenterSpec{"CB", "Center B", {district_b}});
  }

  VaccineId AddVaccine(const char* code, int age_years_min, int age_years_max) {
    VaccineSpec spec;
    spec.code = code;
    spec.name = code;
    spec.dose_count = 1;
    spec.age_years_min = age_years_min;
    spec.age_years_max = age_years_max;
    return *engine.AddVaccine(spec);
  }

  // One 15-minute slot at 08:00.
  void Slot(CenterId center, VaccineId vaccine, absl::CivilDay day, int seats_first,
            int seats_second) {
    CapacityBlock block;
    block.center = center;
    block.vaccine = vaccine;
    block.first_day = block.last_day = day;
    block.open_minute = kMinute;
    block.close_minute = kMinute + 15;
    block.slot_minutes = 15;
    block.seats_first = seats_first;
    block.seats_second = seats_second;
    const absl::Status status = engine.AddCapacity(block);
    REQUIRE_MESSAGE(status.ok(), status);
  }

  void Supply(CenterId center, VaccineId vaccine, absl::CivilDay day, int64_t doses) {
    const absl::Status status = engine.AddSupply(SupplyDelivery{center, vaccine, day, doses});
    REQUIRE_MESSAGE(status.ok(), status);
  }

  RegistrantId Person(const PersonArgs& args) {
    Registrant registrant;
    registrant.id = engine.registrant_count() + 1;
    registrant.spec.external_ref = absl::StrCat("person-", registrant.id);
    registrant.spec.district = args.district;
    registrant.spec.birth_day = args.birth_day;
    registrant.spec.group = args.group;
    registrant.spec.registered_at = args.registered_at;
    registrant.spec.vaccine_preference = args.vaccine_preference;
    registrant.spec.standby = args.standby;
    registrant.status = args.status;
    registrant.waiting_since = args.waiting_since.value_or(args.registered_at);
    registrant.series = args.series;
    const absl::Status status = engine.RestoreRegistrant(registrant);
    REQUIRE_MESSAGE(status.ok(), status);
    return registrant.id;
  }

  absl::Status TryBook(const SeriesArgs& args) {
    Series series;
    series.id = engine.series_count() + 1;
    series.registrant = args.registrant;
    series.center = args.center;
    series.vaccine = args.vaccine;
    series.dose_count = engine.GetVaccine(args.vaccine)->spec.dose_count;
    series.appointments[0] = Appointment{args.first_day, kMinute};
    if (args.second_day.has_value()) {
      series.appointments[1] = Appointment{*args.second_day, args.second_minute};
    }
    series.status = args.status;
    series.doses = args.doses.value_or(DosesFor(args.status));
    series.booked_at = args.booked_at;
    series.draw = args.draw;
    series.tier = args.tier;
    series.category = args.category;
    series.release = args.release;
    series.origin =
        args.origin.value_or(args.release != kNoId ? SeriesOrigin::kRelease : SeriesOrigin::kDraw);
    if (args.status == SeriesStatus::kHeld || args.hold_expires_at.has_value()) {
      series.hold_expires_at = args.hold_expires_at.value_or(args.booked_at + absl::Minutes(10));
    }
    series.replaces = args.replaces;
    return engine.RestoreSeries(series);
  }

  SeriesId Book(const SeriesArgs& args) {
    const absl::Status status = TryBook(args);
    REQUIRE_MESSAGE(status.ok(), status);
    return engine.series_count();
  }

  // Records the next draw with the series that name it; tier counts follow
  // from them unless `tiers` is given.
  DrawId RecordDraw(absl::Time at, uint32_t policy_version = 1,
                    std::optional<std::array<TierCount, kTierMax>> tiers = std::nullopt,
                    std::optional<std::vector<SeriesId>> series = std::nullopt) {
    DrawRecord record;
    record.id = engine.draw_count() + 1;
    record.request.seed = DrawSeed{record.id, 7};
    record.request.at = at;
    record.request.first_dose_from = kDay;
    record.request.first_dose_until = kDay + 6;
    record.policy_version = policy_version;
    for (SeriesId id = 1; id <= engine.series_count(); ++id) {
      const Series stored = *engine.GetSeries(id);
      if (stored.draw != record.id) continue;
      record.series.push_back(id);
      ++record.tiers[stored.tier - 1].assigned;
      ++record.tiers[stored.tier - 1].eligible;
    }
    if (tiers.has_value()) record.tiers = *tiers;
    if (series.has_value()) record.series = *series;
    const absl::Status status = engine.RestoreDraw(record);
    REQUIRE_MESSAGE(status.ok(), status);
    return record.id;
  }

  uint32_t SetNeighbourPolicy(DistrictId a, DistrictId b) {
    Policy policy;
    policy.residence = ResidenceRule::kHomeOrNeighbourDistrict;
    policy.neighbours = {{a, b}};
    return *engine.SetPolicy(policy);
  }

  Engine engine;
  DistrictId district_a = kNoId, district_b = kNoId, district_c = kNoId;
  VaccineId mono = kNoId, duo = kNoId;
  CenterId center_a = kNoId, center_b = kNoId;
};

const RegistrantStatus kScheduled = RegistrantStatus::kScheduled;
const RegistrantStatus kWaiting = RegistrantStatus::kWaiting;
const RegistrantStatus kWithdrawn = RegistrantStatus::kWithdrawn;
const RegistrantStatus kVaccinated = RegistrantStatus::kVaccinated;

TEST_CASE("names and the report's text") {
  const std::vector<Invariant> all = {
      Invariant::kSlotCapacity,    Invariant::kSecondDoseReserved, Invariant::kDoseSupply,
      Invariant::kOneActiveSeries, Invariant::kResidence,          Invariant::kTierOrder,
      Invariant::kEligibility,     Invariant::kBookkeeping,        Invariant::kSeriesState,
      Invariant::kReleaseWindow,   Invariant::kReleaseCap,         Invariant::kCodes};
  std::set<std::string> names;
  for (Invariant invariant : all) names.insert(InvariantName(invariant));
  CHECK(names.size() == all.size());
  CHECK(std::string(InvariantName(Invariant::kTierOrder)) == "tier_order");
  CHECK(std::string(InvariantName(Invariant::kSeriesState)) == "series_state");
  CHECK(std::string(InvariantName(Invariant::kReleaseWindow)) == "release_window");
  CHECK(std::string(InvariantName(Invariant::kReleaseCap)) == "release_cap");
  CHECK(std::string(InvariantName(Invariant::kCodes)) == "codes");
  // The bindings expose the values: existing ones never move.
  CHECK(static_cast<int>(Invariant::kBookkeeping) == 7);
  CHECK(static_cast<int>(Invariant::kReleaseCap) == 10);
  CHECK(static_cast<int>(Invariant::kCodes) == 11);

  InvariantReport report;
  CHECK(report.ok());
  CHECK(report.ToString() == "all invariants hold");
  report.violations.push_back({Invariant::kResidence, "series 3 is elsewhere"});
  report.violation_count = 2;
  CHECK_FALSE(report.ok());
  CHECK(report.ToString() ==
        "2 invariant violation(s) (first 1 shown):\n  [residence] series 3 is elsewhere\n");
}

TEST_CASE("an empty engine and a campaign run through the engine hold every invariant") {
  Campaign campaign;
  CHECK(CheckInvariants(campaign.engine).ok());
  Engine& engine = campaign.engine;
  campaign.Slot(campaign.center_a, campaign.duo, kDay, 2, 0);
  campaign.Slot(campaign.center_a, campaign.duo, kDay + 21, 0, 2);
  campaign.Supply(campaign.center_a, campaign.duo, kDay, 3);
  campaign.Slot(campaign.center_b, campaign.mono, kDay, 1, 0);
  campaign.Supply(campaign.center_b, campaign.mono, kDay, 1);
  std::vector<RegistrantId> people;
  for (int i = 0; i < 6; ++i) {
    RegistrantSpec spec;
    spec.external_ref = absl::StrCat("r", i);
    spec.district = i % 2 == 0 ? campaign.district_a : campaign.district_b;
    spec.birth_day = absl::CivilDay(1950 + i, 3, 4);
    spec.group = static_cast<PriorityGroup>(1 + i % 4);
    spec.registered_at = May(1, 8 + i);
    people.push_back(*engine.Register(spec));
  }
  DrawRequest request;
  request.seed = DrawSeed{1, 2};
  request.at = May(2);
  request.first_dose_from = kDay;
  request.first_dose_until = kDay;
  absl::StatusOr<DrawRecord> draw = engine.Draw(request);
  REQUIRE(draw.ok());
  // Supply holds one two-dose series (3 doses) and one one-dose series.
  CHECK(draw->series.size() == 2);
  InvariantReport report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
  REQUIRE(engine.CancelSeries(draw->series[0], May(3)).ok());
  REQUIRE(engine.Withdraw(people[5], May(3)).ok());
  report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
}

TEST_CASE("slot_capacity: more appointments than seats in a slot") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 1, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 10);
  const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
  campaign.Book({.registrant = first, .center = campaign.center_a, .vaccine = campaign.mono});
  InvariantReport report = CheckInvariants(campaign.engine);
  CHECK_MESSAGE(report.ok(), report.ToString());

  const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
  campaign.Book({.registrant = second, .center = campaign.center_a, .vaccine = campaign.mono});
  report = CheckInvariants(campaign.engine);
  CHECK(Kinds(report) == "slot_capacity");
  CHECK(report.violation_count == 1);
  CHECK(Mentions(report,
                 "center 1 vaccine 1, 2021-06-01 minute 480: 2 first-dose appointments "
                 "for 1 seats"));
}

TEST_CASE("second_dose_reserved: the interval outside the vaccine's bounds") {
  Campaign campaign;
  const CenterId center = campaign.center_a;
  const VaccineId duo = campaign.duo;
  campaign.Slot(center, duo, kDay, 2, 0);
  campaign.Slot(center, duo, kDay + 10, 0, 1);
  campaign.Slot(center, duo, kDay + 21, 0, 1);
  campaign.Supply(center, duo, kDay, 4);
  const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
  campaign.Book({.registrant = first, .center = center, .vaccine = duo, .second_day = kDay + 21});
  InvariantReport report = CheckInvariants(campaign.engine);
  CHECK_MESSAGE(report.ok(), report.ToString());

  const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
  campaign.Book({.registrant = second, .center = center, .vaccine = duo, .second_day = kDay + 10});
  report = CheckInvariants(campaign.engine);
  CHECK(Kinds(report) == "second_dose_reserved");
  CHECK(report.violation_count == 1);
  CHECK(Mentions(report,
                 "active series 2: second dose 2021-06-11 is 10 days after the first "
                 "(2021-06-01); vaccine 2 allows 21..42"));
}

TEST_CASE("second_dose_reserved: a second dose on a slot without second-dose seats") {
  Campaign campaign;
  const CenterId center = campaign.center_a;
  const VaccineId duo = campaign.duo;
  campaign.Slot(center, duo, kDay, 1, 0);
  campaign.Slot(center, duo, kDay + 21, 1, 0);  // first-dose seats only
  campaign.Supply(center, duo, kDay, 2);
  const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
  campaign.Book({.registrant = person, .center = center, .vaccine = duo, .second_day = kDay + 21});
  const InvariantReport report = CheckInvariants(campaign.engine);
  // The second-dose booking also overfills the slot's zero second-dose seats.
  CHECK(Kinds(report) == "slot_capacity,second_dose_reserved");
  CHECK(report.violation_count == 2);
  CHECK(Mentions(report, "without second-dose seats"));
}

TEST_CASE("second_dose_reserved: states the Restore API refuses to build") {
  // A series with the wrong number of appointments, or one on a slot the
  // calendar lacks, cannot be manufactured through the public API: the
  // engine's RestoreSeries rejects both as DataLoss. CheckInvariants would
  // report them as second_dose_reserved.
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.duo, kDay, 1, 0);
  campaign.Slot(campaign.center_a, campaign.duo, kDay + 21, 0, 1);
  const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
  Series series;
  series.id = 1;
  series.registrant = person;
  series.center = campaign.center_a;
  series.vaccine = campaign.duo;
  series.dose_count = 1;
  series.appointments[0] = Appointment{kDay, kMinute};
  CHECK(campaign.engine.RestoreSeries(series).code() == absl::StatusCode::kDataLoss);
  series.dose_count = 2;
  series.appointments[1] = Appointment{kDay + 22, kMinute};
  CHECK(campaign.engine.RestoreSeries(series).code() == absl::StatusCode::kDataLoss);
  series.appointments[1] = Appointment{kDay + 21, kMinute + 5};
  CHECK(campaign.engine.RestoreSeries(series).code() == absl::StatusCode::kDataLoss);
  CHECK(campaign.engine.series_count() == 0);
}

TEST_CASE("dose_supply: more appointments than doses delivered by their day") {
  SUBCASE("too few doses") {
    Campaign campaign;
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 1);
    const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Book({.registrant = first, .center = campaign.center_a, .vaccine = campaign.mono});
    InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
    campaign.Book({.registrant = second, .center = campaign.center_a, .vaccine = campaign.mono});
    report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "dose_supply");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report,
                   "center 1 vaccine 1: by 2021-06-01, 2 appointments booked or given "
                   "but 1 doses delivered"));
  }
  SUBCASE("doses arrive after the appointment") {
    Campaign campaign;
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
    campaign.Slot(campaign.center_a, campaign.mono, kDay + 2, 5, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay + 1, 5);
    const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Book({.registrant = first,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .first_day = kDay + 2});
    InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
    campaign.Book({.registrant = second, .center = campaign.center_a, .vaccine = campaign.mono});
    report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "dose_supply");
    CHECK(Mentions(report, "by 2021-06-01, 1 appointments booked or given but 0 doses"));
  }
  SUBCASE("a cancelled series holds no doses") {
    Campaign campaign;
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 1);
    const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
    const RegistrantId second = campaign.Person({});
    campaign.Book({.registrant = first, .center = campaign.center_a, .vaccine = campaign.mono});
    campaign.Book({.registrant = second,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .status = SeriesStatus::kCancelled});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
}

TEST_CASE("one_active_series: status, series and active series agree") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 5);
  const SeriesArgs at_a{.center = campaign.center_a, .vaccine = campaign.mono};
  auto book_for = [&](RegistrantId registrant, SeriesStatus status = SeriesStatus::kActive) {
    SeriesArgs args = at_a;
    args.registrant = registrant;
    args.status = status;
    return campaign.Book(args);
  };
  SUBCASE("holds") {
    book_for(campaign.Person({.status = kScheduled, .series = 1}));
    const RegistrantId waiting_again = campaign.Person({.status = kWaiting});
    book_for(waiting_again, SeriesStatus::kCancelled);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
  SUBCASE("two active series") {
    const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
    book_for(person);
    book_for(person);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report, "registrant 1 holds 2 active series (e.g. 1 and 2)"));
  }
  SUBCASE("a waiting registrant with an active series") {
    book_for(campaign.Person({.status = kWaiting}));
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "waiting registrant 1 holds active series 1"));
  }
  SUBCASE("a withdrawn registrant with an active series") {
    book_for(campaign.Person({.status = kWithdrawn}));
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "withdrawn registrant 1 holds active series 1"));
  }
  SUBCASE("scheduled with a series that is not active") {
    book_for(campaign.Person({.status = kScheduled, .series = 1}), SeriesStatus::kCancelled);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "registrant 1 is scheduled with series 1 but holds 0 active series"));
  }
  SUBCASE("a waiting registrant naming a series") {
    book_for(campaign.Person({.status = kWaiting, .series = 1}), SeriesStatus::kCancelled);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "waiting registrant 1 names series 1"));
  }
  SUBCASE("scheduled naming another person's series") {
    const RegistrantId first = campaign.Person({.status = kScheduled, .series = 2});
    const RegistrantId second = campaign.Person({.status = kScheduled, .series = 1});
    book_for(first);
    book_for(second);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(report.violation_count == 2);
  }
}

TEST_CASE("residence: the home district's center, or a neighbour's when the policy says so") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 5);
  // A resident of district B at center A (which serves only A).
  const RegistrantId person =
      campaign.Person({.district = campaign.district_b, .status = kScheduled, .series = 1});
  SUBCASE("a self-booked series: some policy version must allow it") {
    // Which version was current at the booking is not recorded.
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .origin = SeriesOrigin::kShortNotice});
    InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "residence");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report,
                   "active series 1 (origin short-notice): registrant 1 lives in district 2, "
                   "which center 1 does not serve, nor a neighbour of it under any policy "
                   "version 1..1"));
    // Neighbours of someone else's district do not count.
    campaign.SetNeighbourPolicy(campaign.district_a, campaign.district_c);
    report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "residence");
    CHECK(Mentions(report, "under any policy version 1..2"));
    campaign.SetNeighbourPolicy(campaign.district_a, campaign.district_b);
    report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    // A later policy without neighbours does not make the booking wrong.
    REQUIRE(campaign.engine.SetPolicy(Policy{}).ok());
    report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
  SUBCASE("a draw's series: its draw's policy decides, not the current one") {
    const uint32_t neighbourly =
        campaign.SetNeighbourPolicy(campaign.district_a, campaign.district_b);
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    campaign.RecordDraw(May(10), /*policy_version=*/1);
    InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "residence");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report, "(policy version 1)"));

    Campaign allowed;
    allowed.Slot(allowed.center_a, allowed.mono, kDay, 5, 0);
    allowed.Supply(allowed.center_a, allowed.mono, kDay, 5);
    const RegistrantId resident =
        allowed.Person({.district = allowed.district_b, .status = kScheduled, .series = 1});
    const uint32_t version = allowed.SetNeighbourPolicy(allowed.district_a, allowed.district_b);
    CHECK(version == neighbourly);
    allowed.Book({.registrant = resident,
                  .center = allowed.center_a,
                  .vaccine = allowed.mono,
                  .draw = 1,
                  .tier = 4});
    allowed.RecordDraw(May(10), version);
    REQUIRE(allowed.engine.SetPolicy(Policy{}).ok());  // home district only from now on
    report = CheckInvariants(allowed.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
}

TEST_CASE("residence and eligibility: every series, whatever its status or origin") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 5);
  SUBCASE("a lapsed hold at the wrong center") {
    const RegistrantId person = campaign.Person({.district = campaign.district_b});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .status = SeriesStatus::kLapsed,
                   .origin = SeriesOrigin::kShortNotice});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "residence");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report, "lapsed series 1 (origin short-notice): registrant 1 lives in "));
  }
  SUBCASE("a completed self-booked series of the wrong vaccine") {
    const RegistrantId person =
        campaign.Person({.status = kVaccinated, .series = 1, .vaccine_preference = campaign.duo});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .status = SeriesStatus::kCompleted,
                   .origin = SeriesOrigin::kShortNotice});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "eligibility");
    CHECK(Mentions(report, "series 1: registrant 1 prefers vaccine 2 but got vaccine 1"));
  }
  SUBCASE("a held self-booking of someone too young") {
    const VaccineId adults = campaign.AddVaccine("adults", 18, 0);
    campaign.Slot(campaign.center_a, adults, kDay, 5, 0);
    campaign.Supply(campaign.center_a, adults, kDay, 5);
    const RegistrantId person = campaign.Person({.birth_day = absl::CivilDay(2003, 6, 2)});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = adults,
                   .status = SeriesStatus::kHeld,
                   .origin = SeriesOrigin::kShortNotice});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "eligibility");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report, "is 17 on 2021-06-01"));
  }
}

TEST_CASE("eligibility: age on the first-dose day") {
  Campaign campaign;
  const VaccineId under_sixty = campaign.AddVaccine("under60", 0, 59);
  const VaccineId adults = campaign.AddVaccine("adults", 18, 0);
  const VaccineId twenty = campaign.AddVaccine("twenty", 20, 0);
  struct Case {
    VaccineId vaccine;
    absl::CivilDay birth_day;
    absl::CivilDay first_day;
    bool eligible;
  };
  const std::vector<Case> cases = {
      {under_sixty, absl::CivilDay(1961, 6, 2), absl::CivilDay(2021, 6, 1), true},   // 59
      {under_sixty, absl::CivilDay(1961, 6, 2), absl::CivilDay(2021, 6, 2), false},  // 60
      // Born on 29 February: a year older on 1 March in common years...
      {adults, absl::CivilDay(2000, 2, 29), absl::CivilDay(2018, 2, 28), false},
      {adults, absl::CivilDay(2000, 2, 29), absl::CivilDay(2018, 3, 1), true},
      // ...and on 29 February in leap years.
      {twenty, absl::CivilDay(2000, 2, 29), absl::CivilDay(2020, 2, 28), false},
      {twenty, absl::CivilDay(2000, 2, 29), absl::CivilDay(2020, 2, 29), true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    INFO("case ", i, ": born ", absl::FormatCivilTime(c.birth_day), ", first dose ",
         absl::FormatCivilTime(c.first_day));
    Campaign one;
    const VaccineId vaccine = c.vaccine == under_sixty ? one.AddVaccine("under60", 0, 59)
                              : c.vaccine == adults    ? one.AddVaccine("adults", 18, 0)
                                                       : one.AddVaccine("twenty", 20, 0);
    one.Slot(one.center_a, vaccine, c.first_day, 1, 0);
    one.Supply(one.center_a, vaccine, c.first_day, 1);
    const RegistrantId person =
        one.Person({.status = kScheduled, .series = 1, .birth_day = c.birth_day});
    one.Book({.registrant = person,
              .center = one.center_a,
              .vaccine = vaccine,
              .first_day = c.first_day});
    const InvariantReport report = CheckInvariants(one.engine);
    if (c.eligible) {
      CHECK_MESSAGE(report.ok(), report.ToString());
    } else {
      CHECK(Kinds(report) == "eligibility");
      CHECK(report.violation_count == 1);
    }
  }
}

TEST_CASE("eligibility: vaccine preference and reserve categories") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 5);
  SUBCASE("preference") {
    const RegistrantId person =
        campaign.Person({.status = kScheduled, .series = 1, .vaccine_preference = campaign.duo});
    campaign.Book({.registrant = person, .center = campaign.center_a, .vaccine = campaign.mono});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "eligibility");
    CHECK(Mentions(report, "series 1: registrant 1 prefers vaccine 2 but got vaccine 1"));
  }
  SUBCASE("reserve category") {
    Policy policy;
    ReserveCategory seniors;
    seniors.name = "60+ and group 3";
    seniors.share_permille = 500;
    seniors.age_years_min = 60;
    seniors.group_mask = 1 << 2;  // group 3
    policy.reserves.push_back(seniors);
    const uint32_t version = *campaign.engine.SetPolicy(policy);
    const RegistrantId admitted = campaign.Person({.status = kScheduled,
                                                   .series = 1,
                                                   .group = PriorityGroup::kGroup3,
                                                   .birth_day = absl::CivilDay(1950, 1, 1)});
    const RegistrantId too_young = campaign.Person({.status = kScheduled,
                                                    .series = 2,
                                                    .group = PriorityGroup::kGroup3,
                                                    .birth_day = absl::CivilDay(1990, 1, 1)});
    const RegistrantId other_group = campaign.Person({.status = kScheduled,
                                                      .series = 3,
                                                      .group = PriorityGroup::kGroup2,
                                                      .birth_day = absl::CivilDay(1950, 1, 1)});
    const std::vector<std::pair<RegistrantId, int>> winners = {
        {admitted, 3}, {too_young, 3}, {other_group, 2}};
    for (const auto& [person, tier] : winners) {
      campaign.Book({.registrant = person,
                     .center = campaign.center_a,
                     .vaccine = campaign.mono,
                     .draw = 1,
                     .tier = static_cast<uint8_t>(tier),
                     .category = 1});
    }
    campaign.RecordDraw(May(10), version);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "eligibility");
    CHECK(report.violation_count == 2);
    CHECK(Mentions(report, "series 2: registrant 2 (group 3, 31 on 2021-06-01) is not admitted"));
    CHECK(Mentions(report, "series 3: registrant 3 (group 2, 71 on 2021-06-01) is not admitted"));
  }
}

// Draw 1 (at 10 May, policy 1: tier = group number) gave person 1 (group
// "none", tier 4) a seat at center A on 1 June. Person 2 varies.
struct TierOrderCase {
  const char* name;
  PersonArgs waiting;
  bool violation;
};

TEST_CASE("tier_order: nobody drawn while a better tier who could use the seat waits") {
  Campaign base;  // only for its ids, which every Campaign shares
  const std::vector<TierOrderCase> cases = {
      {"group 1 waiting since before the draw", {.group = PriorityGroup::kGroup1}, true},
      {"group 3 too", {.group = PriorityGroup::kGroup3}, true},
      {"the same tier", {.group = PriorityGroup::kNone}, false},
      {"registered after the draw",
       {.group = PriorityGroup::kGroup1, .registered_at = May(11)},
       false},
      {"registered at the draw's instant",
       {.group = PriorityGroup::kGroup1, .registered_at = May(10)},
       true},
      {"waiting again only since after the draw",
       {.group = PriorityGroup::kGroup1, .waiting_since = May(12)},
       false},
      {"lives in a district center A does not serve",
       {.district = base.district_b, .group = PriorityGroup::kGroup1},
       false},
      {"prefers another vaccine",
       {.group = PriorityGroup::kGroup1, .vaccine_preference = base.duo},
       false},
      {"prefers that vaccine",
       {.group = PriorityGroup::kGroup1, .vaccine_preference = base.mono},
       true},
      {"too young for the vaccine on the winner's day",
       {.group = PriorityGroup::kGroup1, .birth_day = absl::CivilDay(2003, 6, 2)},
       false},
      {"of age on the winner's day",
       {.group = PriorityGroup::kGroup1, .birth_day = absl::CivilDay(2003, 6, 1)},
       true},
      {"withdrawn", {.status = kWithdrawn, .group = PriorityGroup::kGroup1}, false},
  };
  for (const TierOrderCase& c : cases) {
    INFO("case: ", c.name);
    Campaign campaign;
    const VaccineId adults = campaign.AddVaccine("adults", 18, 0);  // id 3
    campaign.Slot(campaign.center_a, adults, kDay, 1, 0);
    campaign.Supply(campaign.center_a, adults, kDay, 1);
    PersonArgs waiting = c.waiting;
    if (waiting.vaccine_preference == base.mono) waiting.vaccine_preference = adults;
    const RegistrantId winner = campaign.Person({.status = kScheduled, .series = 1});
    const RegistrantId other = campaign.Person(waiting);
    campaign.Book({.registrant = winner,
                   .center = campaign.center_a,
                   .vaccine = adults,
                   .draw = 1,
                   .tier = 4});
    campaign.RecordDraw(May(10));
    const InvariantReport report = CheckInvariants(campaign.engine);
    if (c.violation) {
      CHECK(Kinds(report) == "tier_order");
      CHECK(report.violation_count == 1);
      CHECK(Mentions(report, absl::StrCat("draw 1 gave series 1 (tier 4, category 0) at center 1 "
                                          "vaccine 3 on 2021-06-01 while registrant ",
                                          other)));
    } else {
      CHECK_MESSAGE(report.ok(), report.ToString());
    }
  }
}

TEST_CASE("tier_order: reserve categories, neighbours and the draw's own policy") {
  SUBCASE("a reserve's winner passes over only people the reserve admits") {
    Campaign campaign;
    Policy policy;
    ReserveCategory group3;
    group3.name = "group 3";
    group3.share_permille = 500;
    group3.group_mask = 1 << 2;
    policy.reserves.push_back(group3);
    const uint32_t version = *campaign.engine.SetPolicy(policy);
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 1, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 1);
    const RegistrantId winner =
        campaign.Person({.status = kScheduled, .series = 1, .group = PriorityGroup::kGroup3});
    campaign.Person({.group = PriorityGroup::kGroup1});  // better, but not admitted
    campaign.Book({.registrant = winner,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 3,
                   .category = 1});
    campaign.RecordDraw(May(10), version);
    InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    // The same winner in the general pool passes over the group 1 person.
    Campaign general;
    general.Slot(general.center_a, general.mono, kDay, 1, 0);
    general.Supply(general.center_a, general.mono, kDay, 1);
    const RegistrantId general_winner =
        general.Person({.status = kScheduled, .series = 1, .group = PriorityGroup::kGroup3});
    general.Person({.group = PriorityGroup::kGroup1});
    general.Book({.registrant = general_winner,
                  .center = general.center_a,
                  .vaccine = general.mono,
                  .draw = 1,
                  .tier = 3});
    general.RecordDraw(May(10));
    report = CheckInvariants(general.engine);
    CHECK(Kinds(report) == "tier_order");
  }
  SUBCASE("a neighbour counts only under the draw's policy") {
    for (bool neighbourly_draw : {false, true}) {
      INFO("the draw's policy allows neighbours: ", neighbourly_draw);
      Campaign campaign;
      const uint32_t neighbourly =
          campaign.SetNeighbourPolicy(campaign.district_a, campaign.district_b);
      campaign.Slot(campaign.center_a, campaign.mono, kDay, 1, 0);
      campaign.Supply(campaign.center_a, campaign.mono, kDay, 1);
      const RegistrantId winner = campaign.Person({.status = kScheduled, .series = 1});
      campaign.Person({.district = campaign.district_b, .group = PriorityGroup::kGroup1});
      campaign.Book({.registrant = winner,
                     .center = campaign.center_a,
                     .vaccine = campaign.mono,
                     .draw = 1,
                     .tier = 4});
      campaign.RecordDraw(May(10), neighbourly_draw ? neighbourly : 1);
      const InvariantReport report = CheckInvariants(campaign.engine);
      if (neighbourly_draw) {
        CHECK(Kinds(report) == "tier_order");
      } else {
        CHECK_MESSAGE(report.ok(), report.ToString());
      }
    }
  }
  SUBCASE("tiers come from the draw's policy version") {
    // Policy 2 puts everyone registered before 5 May in tier 1.
    Campaign campaign;
    Policy policy;
    policy.tier_rules = {TierRule{May(5), {1, 1, 1, 1}}};
    const uint32_t version = *campaign.engine.SetPolicy(policy);
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 1, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 1);
    const RegistrantId winner = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Person({.group = PriorityGroup::kGroup1});
    campaign.Book({.registrant = winner,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 1});
    campaign.RecordDraw(May(10), version);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
  SUBCASE("a winner of the same draw, cancelled at the draw's instant, was not passed over") {
    Campaign campaign;
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 2, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 2);
    const RegistrantId winner = campaign.Person({.status = kScheduled, .series = 2});
    const RegistrantId cancelled =
        campaign.Person({.group = PriorityGroup::kGroup1, .waiting_since = May(10)});
    campaign.Book({.registrant = cancelled,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 1,
                   .status = SeriesStatus::kCancelled});
    campaign.Book({.registrant = winner,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    campaign.RecordDraw(May(10));
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
}

// --- The booking model: dose states, holds, releases ------------------------------

const DoseState kBooked = DoseState::kBooked;
const DoseState kGiven = DoseState::kGiven;
const DoseState kMissed = DoseState::kMissed;
const DoseState kReleased = DoseState::kReleased;

struct StateCase {
  const char* name;
  SeriesStatus status;
  std::array<DoseState, kDoseCountMax> doses;
  bool two_doses;
  const char* kinds;  // "" when the state is consistent
};

TEST_CASE("series_state: a series' status agrees with its dose states") {
  const std::vector<StateCase> cases = {
      {"active, both booked", SeriesStatus::kActive, {kBooked, kBooked}, true, ""},
      {"active, first given", SeriesStatus::kActive, {kGiven, kBooked}, true, ""},
      {"active, second missed", SeriesStatus::kActive, {kGiven, kMissed}, true, ""},
      {"held", SeriesStatus::kHeld, {kBooked, kBooked}, true, ""},
      {"cancelled before", SeriesStatus::kCancelled, {kReleased, kReleased}, true, ""},
      {"cancelled after dose 1", SeriesStatus::kCancelled, {kGiven, kReleased}, true, ""},
      {"cancelled after a missed dose 2", SeriesStatus::kCancelled, {kGiven, kMissed}, true, ""},
      {"lapsed", SeriesStatus::kLapsed, {kReleased, kReleased}, true, ""},
      {"completed", SeriesStatus::kCompleted, {kGiven, kGiven}, true, ""},
      {"missed", SeriesStatus::kMissed, {kMissed, kReleased}, true, ""},
      {"one dose, completed", SeriesStatus::kCompleted, {kGiven, kBooked}, false, ""},
      {"one dose, missed", SeriesStatus::kMissed, {kMissed, kBooked}, false, ""},
      // Broken.
      {"active, every dose given", SeriesStatus::kActive, {kGiven, kGiven}, true, "series_state"},
      {"active one-dose series given",
       SeriesStatus::kActive,
       {kGiven, kBooked},
       false,
       "series_state"},
      {"active, first missed", SeriesStatus::kActive, {kMissed, kReleased}, true, "series_state"},
      {"active, second released after dose 1",
       SeriesStatus::kActive,
       {kGiven, kReleased},
       true,
       "series_state"},
      {"active, second released before dose 1",
       SeriesStatus::kActive,
       {kBooked, kReleased},
       true,
       "second_dose_reserved"},
      {"active, second missed before dose 1",
       SeriesStatus::kActive,
       {kBooked, kMissed},
       true,
       "second_dose_reserved"},
      {"held, second released",
       SeriesStatus::kHeld,
       {kBooked, kReleased},
       true,
       "second_dose_reserved"},
      {"held, first released", SeriesStatus::kHeld, {kReleased, kBooked}, true, "series_state"},
      {"cancelled, still booked",
       SeriesStatus::kCancelled,
       {kBooked, kBooked},
       true,
       "series_state"},
      {"cancelled, second still booked",
       SeriesStatus::kCancelled,
       {kGiven, kBooked},
       true,
       "series_state"},
      {"lapsed, still booked", SeriesStatus::kLapsed, {kBooked, kBooked}, true, "series_state"},
      {"completed, second booked",
       SeriesStatus::kCompleted,
       {kGiven, kBooked},
       true,
       "series_state"},
      {"missed, second booked", SeriesStatus::kMissed, {kMissed, kBooked}, true, "series_state"},
      {"missed, first given", SeriesStatus::kMissed, {kGiven, kReleased}, true, "series_state"},
  };
  for (const StateCase& c : cases) {
    INFO("case: ", c.name);
    Campaign campaign;
    const VaccineId vaccine = c.two_doses ? campaign.duo : campaign.mono;
    campaign.Slot(campaign.center_a, vaccine, kDay, 1, 0);
    if (c.two_doses) campaign.Slot(campaign.center_a, vaccine, kDay + 21, 0, 1);
    campaign.Supply(campaign.center_a, vaccine, kDay, 2);
    PersonArgs person;
    if (c.status == SeriesStatus::kActive) person = {.status = kScheduled, .series = 1};
    if (c.status == SeriesStatus::kCompleted) person = {.status = kVaccinated, .series = 1};
    const RegistrantId id = campaign.Person(person);
    SeriesArgs series{.registrant = id,
                      .center = campaign.center_a,
                      .vaccine = vaccine,
                      .status = c.status,
                      .doses = c.doses};
    if (c.two_doses) series.second_day = kDay + 21;
    campaign.Book(series);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(Kinds(report) == c.kinds, report.ToString());
    if (std::string_view(c.kinds) == "series_state") {
      CHECK(report.violation_count == 1);
      CHECK(Mentions(report, absl::StrCat(" series 1 has doses ")));
    }
  }
  // A hold without an expiry cannot be restored.
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 1, 0);
  const RegistrantId person = campaign.Person({});
  CHECK(campaign
            .TryBook({.registrant = person,
                      .center = campaign.center_a,
                      .vaccine = campaign.mono,
                      .status = SeriesStatus::kHeld,
                      .hold_expires_at = absl::InfiniteFuture()})
            .code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("series_state: seats follow the dose states, whatever the status") {
  // One seat: a cancelled series that kept its given first dose still sits
  // in it, so an active series there overfills the slot.
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.duo, kDay, 1, 0);
  campaign.Slot(campaign.center_a, campaign.duo, kDay + 21, 0, 1);
  campaign.Supply(campaign.center_a, campaign.duo, kDay, 4);
  const RegistrantId first = campaign.Person({});
  campaign.Book({.registrant = first,
                 .center = campaign.center_a,
                 .vaccine = campaign.duo,
                 .second_day = kDay + 21,
                 .status = SeriesStatus::kCancelled,
                 .doses = std::array<DoseState, kDoseCountMax>{kGiven, kReleased}});
  InvariantReport report = CheckInvariants(campaign.engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
  CHECK(campaign.engine.Slots(campaign.center_a, campaign.duo, kDay)[0].booked_first == 1);
  CHECK(campaign.engine.Slots(campaign.center_a, campaign.duo, kDay + 21)[0].booked_second == 0);
  const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
  campaign.Book({.registrant = second,
                 .center = campaign.center_a,
                 .vaccine = campaign.duo,
                 .second_day = kDay + 21});
  report = CheckInvariants(campaign.engine);
  CHECK(Kinds(report) == "slot_capacity");
  CHECK(report.violation_count == 1);
  CHECK(Mentions(report, "2021-06-01 minute 480: 2 first-dose appointments for 1 seats"));
}

TEST_CASE("one_active_series: holds, completed series and vaccinated registrants") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 10, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 10);
  auto series_for = [&](RegistrantId registrant, SeriesStatus status,
                        SeriesOrigin origin = SeriesOrigin::kShortNotice,
                        SeriesId replaces = kNoId) {
    return campaign.Book({.registrant = registrant,
                          .center = campaign.center_a,
                          .vaccine = campaign.mono,
                          .status = status,
                          .origin = origin,
                          .replaces = replaces});
  };
  SUBCASE("holds") {
    series_for(campaign.Person({}), SeriesStatus::kHeld);
    // A swap: scheduled with series 2, holding series 3 that replaces it.
    const RegistrantId swapping = campaign.Person({.status = kScheduled, .series = 2});
    series_for(swapping, SeriesStatus::kActive);
    series_for(swapping, SeriesStatus::kHeld, SeriesOrigin::kShortNotice, 2);
    // A swap whose old series was cancelled meanwhile: waiting with the hold.
    const RegistrantId cancelled = campaign.Person({});
    series_for(cancelled, SeriesStatus::kCancelled);
    series_for(cancelled, SeriesStatus::kHeld, SeriesOrigin::kShortNotice, 4);
    series_for(campaign.Person({.status = kVaccinated, .series = 6}), SeriesStatus::kCompleted);
    series_for(campaign.Person({.status = kWithdrawn}), SeriesStatus::kCompleted);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    CHECK(campaign.engine.hold_count() == 3);
  }
  SUBCASE("a second hold cannot be restored") {
    const RegistrantId person = campaign.Person({});
    series_for(person, SeriesStatus::kHeld);
    CHECK(campaign
              .TryBook({.registrant = person,
                        .center = campaign.center_a,
                        .vaccine = campaign.mono,
                        .status = SeriesStatus::kHeld,
                        .origin = SeriesOrigin::kShortNotice})
              .code() == absl::StatusCode::kDataLoss);
  }
  SUBCASE("a withdrawn registrant's hold") {
    series_for(campaign.Person({.status = kWithdrawn}), SeriesStatus::kHeld);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report,
                   "withdrawn registrant 1 (series 0) holds series 1, which replaces "
                   "series 0"));
  }
  SUBCASE("a scheduled registrant's hold that replaces nothing") {
    const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
    series_for(person, SeriesStatus::kActive);
    series_for(person, SeriesStatus::kHeld);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "scheduled registrant 1 (series 1) holds series 2"));
  }
  SUBCASE("a vaccinated registrant's swap hold") {
    const RegistrantId person = campaign.Person({.status = kVaccinated, .series = 1});
    series_for(person, SeriesStatus::kCompleted);
    series_for(person, SeriesStatus::kHeld, SeriesOrigin::kShortNotice, 1);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "vaccinated registrant 1 (series 1) holds series 2"));
  }
  SUBCASE("vaccinated without a completed series") {
    series_for(campaign.Person({.status = kVaccinated, .series = 1}), SeriesStatus::kCancelled);
    campaign.Person({.status = kVaccinated});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(report.violation_count == 2);
    CHECK(Mentions(report, "vaccinated registrant 1 names series 1, not a completed series"));
    CHECK(Mentions(report, "vaccinated registrant 2 names series 0, not a completed series"));
  }
  SUBCASE("vaccinated with an active series") {
    const RegistrantId person = campaign.Person({.status = kVaccinated, .series = 1});
    series_for(person, SeriesStatus::kCompleted);
    series_for(person, SeriesStatus::kActive);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(Mentions(report, "vaccinated registrant 1 holds active series 2"));
  }
  SUBCASE("a completed series of someone waiting, or of someone else") {
    series_for(campaign.Person({}), SeriesStatus::kCompleted);
    const RegistrantId other = campaign.Person({.status = kVaccinated, .series = 1});
    series_for(other, SeriesStatus::kCompleted);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "one_active_series");
    CHECK(report.violation_count == 3);
    CHECK(Mentions(report,
                   "completed series 1 belongs to waiting registrant 1, who names "
                   "series 0"));
    CHECK(Mentions(report,
                   "completed series 2 belongs to vaccinated registrant 2, who names "
                   "series 1"));
    CHECK(Mentions(report, "vaccinated registrant 2 names series 1, not a completed series"));
  }
}

struct ReleaseArgs {
  VaccineId vaccine = kNoId;
  absl::CivilDay first_day = kDay;
  absl::CivilDay last_day = kDay + 2;
  absl::Time release_at = May(9);
  uint32_t cap = 0;
};

ReleaseId AddRelease(Campaign& campaign, const ReleaseArgs& args) {
  ReleaseSpec spec;
  spec.center = campaign.center_a;
  spec.vaccine = args.vaccine;
  spec.first_day = args.first_day;
  spec.last_day = args.last_day;
  spec.release_at = args.release_at;
  spec.first_dose_cap = args.cap;
  absl::StatusOr<ReleaseId> id = campaign.engine.AddRelease(spec);
  REQUIRE_MESSAGE(id.ok(), id.status());
  return *id;
}

TEST_CASE("release_window: a release's first doses, on its days, from release_at on") {
  Campaign campaign;
  for (int day = 0; day < 3; ++day)
    campaign.Slot(campaign.center_a, campaign.mono, kDay + day, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 15);
  SUBCASE("inside") {
    const ReleaseId release = AddRelease(campaign, {.vaccine = campaign.mono});
    const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .first_day = kDay + 2,
                   .release = release,
                   .booked_at = May(9)});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    CHECK(campaign.engine.GetRelease(release)->booked == 1);
  }
  SUBCASE("booked before it opened") {
    const ReleaseId release = AddRelease(campaign, {});
    const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .release = release,
                   .booked_at = May(9) - absl::Seconds(1)});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "release_window");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report,
                   "series 1 of release 1 was booked at 2021-05-09T07:59:59+00:00, before "
                   "release_at 2021-05-09T08:00:00+00:00"));
  }
  SUBCASE("outside its days or of another vaccine") {
    const ReleaseId release =
        AddRelease(campaign, {.vaccine = campaign.mono, .first_day = kDay + 1});
    const ReleaseId duo_release =
        AddRelease(campaign, {.vaccine = campaign.duo, .first_day = kDay, .last_day = kDay});
    const RegistrantId early = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Book({.registrant = early,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .release = release});
    const RegistrantId other = campaign.Person({.status = kScheduled, .series = 2});
    campaign.Book({.registrant = other,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .release = duo_release});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "release_window");
    CHECK(report.violation_count == 2);
    CHECK(Mentions(report,
                   "series 1 of release 1: first dose at center 1 vaccine 1 on "
                   "2021-06-01, but the release is center 1 vaccine 1 (0 = any), "
                   "2021-06-02..2021-06-03"));
    CHECK(Mentions(report, "series 2 of release 2: first dose at center 1 vaccine 1"));
  }
  SUBCASE("a draw's first dose on a release day") {
    struct Case {
      absl::Time release_at;
      bool violation;
    };
    // Draw 1 is at 10 May 08:00; a release opening at or after that instant
    // may have been added after the draw.
    for (const Case& c : {Case{May(9), true}, Case{May(10) - absl::Seconds(1), true},
                          Case{May(10), false}, Case{May(11), false}}) {
      INFO("release_at ", absl::FormatTime(c.release_at));
      Campaign one;
      one.Slot(one.center_a, one.mono, kDay, 5, 0);
      one.Supply(one.center_a, one.mono, kDay, 5);
      AddRelease(one, {.release_at = c.release_at});
      const RegistrantId person = one.Person({.status = kScheduled, .series = 1});
      one.Book({.registrant = person,
                .center = one.center_a,
                .vaccine = one.mono,
                .draw = 1,
                .tier = 4});
      one.RecordDraw(May(10));
      const InvariantReport report = CheckInvariants(one.engine);
      if (c.violation) {
        CHECK(Kinds(report) == "release_window");
        CHECK(report.violation_count == 1);
        CHECK(Mentions(report,
                       "draw 1 (at 2021-05-10T08:00:00+00:00) placed series 1's first dose "
                       "on 2021-06-01, a day of release 1"));
      } else {
        CHECK_MESSAGE(report.ok(), report.ToString());
      }
    }
  }
  SUBCASE("a release of another vaccine does not hold the draw's day") {
    AddRelease(campaign, {.vaccine = campaign.duo});
    const RegistrantId person = campaign.Person({.status = kScheduled, .series = 1});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    campaign.RecordDraw(May(10));
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
}

TEST_CASE("release_cap: first appointments booked or given count against the cap") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 10, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 10);
  const ReleaseId release = AddRelease(campaign, {.cap = 2});
  auto book = [&](PersonArgs person, SeriesStatus status) {
    campaign.Book({.registrant = campaign.Person(person),
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .status = status,
                   .release = release});
  };
  book({.status = kScheduled, .series = 1}, SeriesStatus::kActive);
  book({}, SeriesStatus::kCancelled);
  book({}, SeriesStatus::kLapsed);
  book({}, SeriesStatus::kHeld);
  InvariantReport report = CheckInvariants(campaign.engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
  CHECK(campaign.engine.GetRelease(release)->booked == 2);
  SUBCASE("a missed first dose gives its place back") {
    book({}, SeriesStatus::kMissed);
    report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
    CHECK(campaign.engine.GetRelease(release)->booked == 2);
    return;
  }
  book({.status = kVaccinated, .series = 5}, SeriesStatus::kCompleted);  // over the cap
  report = CheckInvariants(campaign.engine);
  CHECK(Kinds(report) == "release_cap");
  CHECK(report.violation_count == 1);
  CHECK(Mentions(report,
                 "release 1 (center 1, 2021-06-01..2021-06-03) gave out 3 first appointments "
                 "(booked or given); its first_dose_cap is 2"));
  CHECK(campaign.engine.GetRelease(release)->booked == 3);
  // GetRelease's count is kept by the engine with every row it writes; the
  // public API cannot make it disagree with the recount.
}

TEST_CASE("bookkeeping: origin, draw, release, category and replaced series agree") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
  campaign.Slot(campaign.center_a, campaign.mono, kDay + 1, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 10);
  // The release leaves kDay to draws.
  const ReleaseId release = AddRelease(campaign, {.first_day = kDay + 1});
  SeriesArgs args{.registrant = 1, .center = campaign.center_a, .vaccine = campaign.mono};
  std::string rule;
  bool standby = false;
  SUBCASE("a standby series of someone not on the standby list") {
    args.origin = SeriesOrigin::kStandby;
    args.booked_at = absl::FromCivil(absl::CivilSecond(2021, 6, 1, 19, 0, 0), absl::UTCTimeZone());
    rule = "a standby series belongs to a registrant on the standby list";
  }
  SUBCASE("a standby series whose first dose is not on the day it was booked") {
    args.origin = SeriesOrigin::kStandby;
    standby = true;
    rule = "a standby series' first dose lies on the local day it was booked";
  }
  SUBCASE("release origin without a release") {
    args.origin = SeriesOrigin::kRelease;
    rule = "a series names a release exactly when its origin is release";
  }
  SUBCASE("a release with another origin") {
    args.release = release;
    args.first_day = kDay + 1;
    args.origin = SeriesOrigin::kShortNotice;
    rule = "a series names a release exactly when its origin is release";
  }
  SUBCASE("a reserve category without a draw") {
    args.category = 1;
    rule = "only a draw places a series in a reserve category";
  }
  SUBCASE("a draw's series with another origin") {
    args.origin = SeriesOrigin::kShortNotice;
    args.draw = 1;
    args.tier = 4;
    rule = "a series naming a draw has origin draw";
  }
  SUBCASE("a release booking that replaces a series") {
    args.release = release;
    args.first_day = kDay + 1;
    args.replaces = 1;
    rule = "only a short-notice booking replaces a series";
  }
  SUBCASE("replacing someone else's series") {
    args.origin = SeriesOrigin::kShortNotice;
    args.replaces = 1;
    rule = "a series replaces an earlier series of its own registrant";
  }
  if (args.replaces != kNoId) {
    // Series 1 belongs to registrant 2 (cancelled); registrant 1 books series 2.
    campaign.Person({.status = kScheduled, .series = 2});
    const RegistrantId owner = campaign.Person({});
    campaign.Book({.registrant = owner,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .status = SeriesStatus::kCancelled});
  } else {
    campaign.Person({.status = kScheduled, .series = 1, .standby = standby});
  }
  campaign.Book(args);
  if (args.draw != kNoId) campaign.RecordDraw(May(10));
  const InvariantReport report = CheckInvariants(campaign.engine);
  CHECK(Kinds(report) == "bookkeeping");
  CHECK(report.violation_count == 1);
  CHECK(Mentions(report, rule));
}

TEST_CASE("tier_order: a registrant who may have held a hold during the draw is not flagged") {
  struct Case {
    const char* name;
    SeriesStatus status;
    absl::Time booked_at;
    bool violation;
  };
  // Draw 1 at 10 May gives a seat to a tier-4 winner while a group 1 person
  // waits; the group 1 person also has a hold, booked at various times.
  const std::vector<Case> cases = {
      {"a hold still held, booked before the draw", SeriesStatus::kHeld, May(9), false},
      {"a lapsed hold booked before the draw", SeriesStatus::kLapsed, May(9), false},
      {"a lapsed hold booked at the draw's instant", SeriesStatus::kLapsed, May(10), false},
      {"a lapsed hold booked after the draw", SeriesStatus::kLapsed, May(11), true},
      {"a hold booked after the draw", SeriesStatus::kHeld, May(11), true},
      {"a cancelled self-booking before the draw", SeriesStatus::kCancelled, May(9), true},
  };
  for (const Case& c : cases) {
    INFO("case: ", c.name);
    Campaign campaign;
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 2, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 2);
    const RegistrantId winner = campaign.Person({.status = kScheduled, .series = 1});
    const RegistrantId waiting = campaign.Person({.group = PriorityGroup::kGroup1});
    campaign.Book({.registrant = winner,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    campaign.Book({.registrant = waiting,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .status = c.status,
                   .origin = SeriesOrigin::kShortNotice,
                   .booked_at = c.booked_at});
    campaign.RecordDraw(May(10));
    const InvariantReport report = CheckInvariants(campaign.engine);
    if (c.violation) {
      CHECK(Kinds(report) == "tier_order");
      CHECK(report.violation_count == 1);
    } else {
      CHECK_MESSAGE(report.ok(), report.ToString());
    }
  }
}

TEST_CASE("bookkeeping: draw records that disagree with their series") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 2, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 2);
  const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
  const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
  campaign.Book({.registrant = first,
                 .center = campaign.center_a,
                 .vaccine = campaign.mono,
                 .draw = 1,
                 .tier = 4});
  SUBCASE("consistent") {
    campaign.Book({.registrant = second,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    campaign.RecordDraw(May(10));
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK_MESSAGE(report.ok(), report.ToString());
  }
  SUBCASE("tier counts") {
    campaign.Book({.registrant = second,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    std::array<TierCount, kTierMax> tiers{};
    tiers[3] = TierCount{5, 1};
    campaign.RecordDraw(May(10), 1, tiers);
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "bookkeeping");
    CHECK(report.violation_count == 1);
    CHECK(Mentions(report, "draw 1 records tier 4 as 5 eligible, 1 assigned; its series give 2"));
  }
  SUBCASE("a series the record does not list") {
    campaign.Book({.registrant = second,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 4});
    std::array<TierCount, kTierMax> tiers{};
    tiers[3] = TierCount{2, 2};
    campaign.RecordDraw(May(10), 1, tiers, std::vector<SeriesId>{1});
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "bookkeeping");
    CHECK(Mentions(report, "draw 1 lists series {1} but the series with draw 1 are {1,2}"));
  }
  SUBCASE("a recorded tier that is not the registrant's") {
    campaign.Book({.registrant = second,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .draw = 1,
                   .tier = 2});
    campaign.RecordDraw(May(10));
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "bookkeeping");
    CHECK(Mentions(report, "series 2 of draw 1 records tier 2, but registrant 2 has tier 4"));
  }
  // The engine's own counters (Slots' booked counts, DosesAvailableFrom,
  // Summarize) cannot be made to disagree through the public API: every
  // Restore and Apply updates them together with the entities. The checks
  // comparing them with the recount are covered by the mutation runs
  // described in the report, not here.
}

TEST_CASE("bookkeeping: a standby series' day in the time zone of some policy version") {
  // Booked at 23:30 UTC on 31 May: 1 June in Berlin, 31 May in UTC.
  const absl::Time booked_at =
      absl::FromCivil(absl::CivilSecond(2021, 5, 31, 23, 30, 0), absl::UTCTimeZone());
  for (const bool berlin : {false, true}) {
    INFO("a policy version in Europe/Berlin: ", berlin);
    Campaign campaign;
    campaign.Slot(campaign.center_a, campaign.mono, kDay, 1, 0);
    campaign.Supply(campaign.center_a, campaign.mono, kDay, 1);
    if (berlin) {
      Policy policy;
      policy.time_zone = "Europe/Berlin";
      REQUIRE(campaign.engine.SetPolicy(policy).ok());
      REQUIRE(campaign.engine.SetPolicy(Policy{}).ok());  // and back to UTC
    }
    const RegistrantId person =
        campaign.Person({.status = kScheduled, .series = 1, .standby = true});
    campaign.Book({.registrant = person,
                   .center = campaign.center_a,
                   .vaccine = campaign.mono,
                   .origin = SeriesOrigin::kStandby,
                   .booked_at = booked_at});
    const InvariantReport report = CheckInvariants(campaign.engine);
    if (berlin) {
      CHECK_MESSAGE(report.ok(), report.ToString());
    } else {
      CHECK(Kinds(report) == "bookkeeping");
      CHECK(report.violation_count == 1);
      CHECK(Mentions(report,
                     "series 1 (origin standby, draw 0, release 0, category 0, replaces "
                     "0): a standby series' first dose lies on the local day it was "
                     "booked"));
    }
  }
}

struct CodeArgs {
  RegistrantId registrant = 1;
  CodePurpose purpose = CodePurpose::kCancelSeries;
  SeriesId series = 1;
  absl::Time issued_at = May(20);
  std::optional<absl::Time> expires_at = std::nullopt;  // default: 15 minutes later
  uint8_t attempts = 0;
  CodeState state = CodeState::kPending;
};

absl::Status RestoreCode(Engine& engine, const CodeArgs& args) {
  VerificationCode code;
  code.id = engine.code_count() + 1;
  code.registrant = args.registrant;
  code.purpose = args.purpose;
  code.series = args.series;
  code.issued_at = args.issued_at;
  code.expires_at = args.expires_at.value_or(args.issued_at + absl::Minutes(15));
  code.attempts = args.attempts;
  code.state = args.state;
  code.salt0 = 0x5a17 + code.id;
  code.salt1 = 0xfeed;
  code.hash = SipHash24(code.salt0, code.salt1, "123456");
  return engine.RestoreCode(code);
}

// Registrant 1 is scheduled with active series 1 and has an earlier,
// cancelled series 3; registrant 2 is scheduled with series 2; registrant 3
// has withdrawn. `policies` are set before the codes are restored.
Campaign CodeCampaign(const std::vector<Policy>& policies = {}) {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 5, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 5);
  for (const Policy& policy : policies) REQUIRE(campaign.engine.SetPolicy(policy).ok());
  const RegistrantId first = campaign.Person({.status = kScheduled, .series = 1});
  const RegistrantId second = campaign.Person({.status = kScheduled, .series = 2});
  campaign.Person({.status = kWithdrawn});
  campaign.Book({.registrant = first, .center = campaign.center_a, .vaccine = campaign.mono});
  campaign.Book({.registrant = second, .center = campaign.center_a, .vaccine = campaign.mono});
  campaign.Book({.registrant = first,
                 .center = campaign.center_a,
                 .vaccine = campaign.mono,
                 .status = SeriesStatus::kCancelled});
  return campaign;
}

TEST_CASE("codes: consistent codes of every purpose and state hold") {
  Campaign campaign = CodeCampaign();
  const CodePurpose withdraw = CodePurpose::kWithdraw;
  const std::vector<CodeArgs> codes = {
      // Superseded codes of the earlier and of the current series.
      {.series = 3, .issued_at = May(19), .state = CodeState::kSuperseded},
      {.series = 1, .state = CodeState::kSuperseded},
      {.series = 1, .attempts = 2},  // pending, one attempt left
      {.purpose = withdraw, .series = kNoId, .attempts = 3, .state = CodeState::kLocked},
      {.series = 3, .attempts = 1, .state = CodeState::kUsed},  // its series cancelled
      {.registrant = 3, .purpose = withdraw, .series = kNoId, .state = CodeState::kUsed},
      {.registrant = 2, .series = 2, .attempts = 3, .state = CodeState::kLocked},
      {.registrant = 3, .purpose = withdraw, .series = kNoId},
  };
  for (const CodeArgs& code : codes) {
    const absl::Status status = RestoreCode(campaign.engine, code);
    REQUIRE_MESSAGE(status.ok(), status);
  }
  CHECK(campaign.engine.code_count() == codes.size());
  const InvariantReport report = CheckInvariants(campaign.engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
}

TEST_CASE("codes: each broken rule is named") {
  const CodePurpose withdraw = CodePurpose::kWithdraw;
  struct Case {
    const char* name;
    std::vector<CodeArgs> codes;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"attempts used up, still pending",
       {{.attempts = 3}},
       "pending cancel-series code 1 of registrant 1: has 3 wrong attempts but is not locked "
       "(code_attempts is at most 3 in every policy version)"},
      {"attempts used up, superseded",
       {{.attempts = 3, .state = CodeState::kSuperseded}, {}},
       "superseded cancel-series code 1 of registrant 1: has 3 wrong attempts but is not locked"},
      {"locked without a wrong attempt",
       {{.attempts = 0, .state = CodeState::kLocked}},
       "locked cancel-series code 1 of registrant 1: is locked after 0 wrong attempt(s); it "
       "locks after 3 at the least"},
      {"locked after more attempts than any policy allows",
       {{.attempts = 4, .state = CodeState::kLocked}},
       "locked cancel-series code 1 of registrant 1: has 4 wrong attempts; no policy version "
       "allows more than 3"},
      {"a cancel code for another registrant's series",
       {{.series = 2}},
       "pending cancel-series code 1 of registrant 1: names series 2, which is not a series of "
       "its registrant"},
      {"a cancel code naming no series",
       {{.series = kNoId}},
       "names series 0, which is not a series of its registrant"},
      {"a withdrawal code naming a series",
       {{.purpose = withdraw, .series = 1}},
       "pending withdraw code 1 of registrant 1: names series 1; a withdrawal code names none"},
      {"expiring when issued",
       {{.expires_at = May(20)}},
       "expires at 2021-05-20T08:00:00+00:00, not after it was issued "
       "(2021-05-20T08:00:00+00:00)"},
      {"expiring before it was issued",
       {{.expires_at = May(19)}},
       "expires at 2021-05-19T08:00:00+00:00, not after it was issued"},
      {"a lifetime no policy had",
       {{.expires_at = May(20) + absl::Minutes(20)}},
       "lives 20m (2021-05-20T08:00:00+00:00 .. 2021-05-20T08:20:00+00:00), the code_lifetime "
       "of no policy version"},
      {"used, but the series is still active",
       {{.state = CodeState::kUsed}},
       "used cancel-series code 1 of registrant 1: was used, but series 1 is active, not "
       "cancelled"},
      {"used, but the registrant has not withdrawn",
       {{.purpose = withdraw, .series = kNoId, .state = CodeState::kUsed}},
       "used withdraw code 1 of registrant 1: was used, but the registrant is scheduled, not "
       "withdrawn"},
      {"superseded by nothing",
       {{.state = CodeState::kSuperseded}},
       "superseded cancel-series code 1 of registrant 1: is superseded, but no later code of "
       "its registrant and purpose exists"},
      {"superseded only by a code of another purpose",
       {{.state = CodeState::kSuperseded}, {.purpose = withdraw, .series = kNoId}},
       "is superseded, but no later code of its registrant and purpose exists"},
      {"superseded only by an earlier code",
       {{.registrant = 2, .series = 2},
        {.registrant = 2, .series = 2, .state = CodeState::kSuperseded}},
       "superseded cancel-series code 2 of registrant 2: is superseded, but no later code"},
  };
  for (const Case& c : cases) {
    INFO("case: ", c.name);
    Campaign campaign = CodeCampaign();
    for (const CodeArgs& code : c.codes) {
      const absl::Status status = RestoreCode(campaign.engine, code);
      REQUIRE_MESSAGE(status.ok(), status);
    }
    const InvariantReport report = CheckInvariants(campaign.engine);
    CHECK(Kinds(report) == "codes");
    CHECK(report.violation_count == 1);
    CHECK_MESSAGE(Mentions(report, c.message), report.ToString());
  }
}

TEST_CASE("codes: limits and lifetimes of any policy version are allowed") {
  // Policy versions carry no time: a code may come from any of them, and a
  // later, lower code_attempts leaves pending codes above it (the engine
  // treats them as locked).
  Policy generous;
  generous.code_attempts = 5;
  generous.code_lifetime = absl::Minutes(20);
  Policy strict;
  strict.code_attempts = 2;
  struct Case {
    const char* name;
    CodeArgs code;
    const char* message;  // nullptr: holds
  };
  const std::vector<Case> cases = {
      {"pending with 4 attempts", {.attempts = 4}, nullptr},
      {"pending with 5 attempts",
       {.attempts = 5},
       "has 5 wrong attempts but is not locked (code_attempts is at most 5 in every policy "
       "version)"},
      {"locked after 2", {.attempts = 2, .state = CodeState::kLocked}, nullptr},
      {"locked after 1",
       {.attempts = 1, .state = CodeState::kLocked},
       "is locked after 1 wrong attempt(s); it locks after 2 at the least"},
      {"locked after 5", {.attempts = 5, .state = CodeState::kLocked}, nullptr},
      {"living 20 minutes", {.expires_at = May(20) + absl::Minutes(20)}, nullptr},
      {"living 15 minutes", {}, nullptr},
      {"living 10 minutes",
       {.expires_at = May(20) + absl::Minutes(10)},
       "the code_lifetime of no policy version"},
  };
  for (const Case& c : cases) {
    INFO("case: ", c.name);
    Campaign campaign = CodeCampaign({generous, strict});
    const absl::Status status = RestoreCode(campaign.engine, c.code);
    REQUIRE_MESSAGE(status.ok(), status);
    const InvariantReport report = CheckInvariants(campaign.engine);
    if (c.message == nullptr) {
      CHECK_MESSAGE(report.ok(), report.ToString());
    } else {
      CHECK(Kinds(report) == "codes");
      CHECK(report.violation_count == 1);
      CHECK_MESSAGE(Mentions(report, c.message), report.ToString());
    }
  }
}

TEST_CASE("codes: states the Restore API refuses to build") {
  // A second pending code of a registrant and purpose, or a code naming an
  // unknown registrant, purpose, state or series, is DataLoss on restore;
  // CheckInvariants would report the first as kCodes.
  Campaign campaign = CodeCampaign();
  Engine& engine = campaign.engine;
  REQUIRE(RestoreCode(engine, {}).ok());
  CHECK(RestoreCode(engine, {.issued_at = May(21)}).code() == absl::StatusCode::kDataLoss);
  CHECK(RestoreCode(engine, {.registrant = 4}).code() == absl::StatusCode::kDataLoss);
  CHECK(RestoreCode(engine, {.registrant = 0}).code() == absl::StatusCode::kDataLoss);
  CHECK(RestoreCode(engine, {.purpose = static_cast<CodePurpose>(3)}).code() ==
        absl::StatusCode::kDataLoss);
  CHECK(RestoreCode(engine, {.state = static_cast<CodeState>(4)}).code() ==
        absl::StatusCode::kDataLoss);
  CHECK(RestoreCode(engine, {.series = 4}).code() == absl::StatusCode::kDataLoss);
  // Another purpose, or another registrant, may have its own pending code.
  CHECK(RestoreCode(engine, {.purpose = CodePurpose::kWithdraw, .series = kNoId}).ok());
  CHECK(RestoreCode(engine, {.registrant = 2, .series = 2}).ok());
  CHECK(engine.code_count() == 3u);
  const InvariantReport report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
}

TEST_CASE("codes: a campaign's codes through the engine hold every invariant") {
  Campaign campaign = CodeCampaign();
  Engine& engine = campaign.engine;
  CodeRequest request;
  request.registrant = 2;
  request.series = 2;
  request.at = May(22);
  absl::StatusOr<IssuedCode> first = engine.IssueCode(request);
  REQUIRE(first.ok());
  request.at = May(22) + absl::Minutes(1);
  absl::StatusOr<IssuedCode> second = engine.IssueCode(request);
  REQUIRE(second.ok());
  const std::string wrong = second->code == "000000" ? "000001" : "000000";
  CHECK(engine.VerifyCode(second->record.id, wrong, May(22) + absl::Minutes(2)).code() ==
        absl::StatusCode::kUnauthenticated);
  InvariantReport report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
  REQUIRE(engine.VerifyCode(second->record.id, second->code, May(22) + absl::Minutes(3)).ok());
  request.registrant = 1;
  request.purpose = CodePurpose::kWithdraw;
  request.series = kNoId;
  absl::StatusOr<IssuedCode> withdrawal = engine.IssueCode(request);
  REQUIRE(withdrawal.ok());
  for (int i = 0; i < 3; ++i) {
    (void)engine.VerifyCode(withdrawal->record.id, withdrawal->code + "0",
                            May(22) + absl::Minutes(4));
  }
  CHECK(engine.GetCode(withdrawal->record.id)->state == CodeState::kLocked);
  report = CheckInvariants(engine);
  CHECK_MESSAGE(report.ok(), report.ToString());
}

TEST_CASE("at most kViolationsKept messages, every violation counted") {
  Campaign campaign;
  campaign.Slot(campaign.center_a, campaign.mono, kDay, 200, 0);
  campaign.Supply(campaign.center_a, campaign.mono, kDay, 200);
  const int people = 150;
  for (int i = 0; i < people; ++i) campaign.Person({.status = kWaiting});
  for (RegistrantId id = 1; id <= people; ++id) {
    campaign.Book({.registrant = id, .center = campaign.center_a, .vaccine = campaign.mono});
  }
  const InvariantReport report = CheckInvariants(campaign.engine);
  CHECK(Kinds(report) == "one_active_series");
  CHECK(report.violation_count == people);
  CHECK(report.violations.size() == kViolationsKept);
  CHECK(Mentions(report, "150 invariant violation(s) (first 100 shown):"));
}

// A state-sized campaign: 1M registrants, 10 draws. Run it with
// `invariants_test -ns -tc='*million*'`; it is skipped by default.
TEST_CASE("CheckInvariants on a million registrants and ten draws" * doctest::skip()) {
  using Clock = std::chrono::steady_clock;
  Engine engine;
  const int districts = 40;
  for (int d = 1; d <= districts; ++d) {
    REQUIRE(engine.AddDistrict(absl::StrCat("D", d), "District").ok());
  }
  VaccineSpec duo;
  duo.code = "duo";
  duo.name = "Two doses";
  duo.interval_days_min = 21;
  duo.interval_days_target = 28;
  duo.interval_days_max = 42;
  REQUIRE(engine.AddVaccine(duo).ok());
  VaccineSpec mono;
  mono.code = "mono";
  mono.name = "One dose";
  mono.dose_count = 1;
  mono.age_years_min = 60;
  REQUIRE(engine.AddVaccine(mono).ok());
  for (int c = 1; c <= districts; ++c) {
    CenterSpec spec{absl::StrCat("C", c), "Center", {static_cast<DistrictId>(c)}};
    if (c % 4 == 0) spec.districts.push_back(static_cast<DistrictId>(c - 1));
    REQUIRE(engine.AddCenter(spec).ok());
    for (VaccineId vaccine = 1; vaccine <= 2; ++vaccine) {
      CapacityBlock block;
      block.center = static_cast<CenterId>(c);
      block.vaccine = vaccine;
      block.first_day = kDay;
      block.last_day = kDay + 90;
      block.weekdays = kEveryDay & ~kSunday;
      block.seats_first = 1;
      block.seats_second = vaccine == 1 ? 1 : 0;
      REQUIRE(engine.AddCapacity(block).ok());
      REQUIRE(
          engine.AddSupply(SupplyDelivery{static_cast<CenterId>(c), vaccine, kDay - 1, 4000}).ok());
    }
  }
  Policy policy;
  policy.tier_rules = {TierRule{May(20), {1, 2, 3, 4}}, TierRule{}};
  policy.tier_rules[1].tier_by_group = {4, 4, 4, 4};
  policy.reserves.push_back(ReserveCategory{"60+", 200, 60, 0, 2});
  policy.residence = ResidenceRule::kHomeOrNeighbourDistrict;
  policy.neighbours = {{1, 2}, {5, 6}};
  REQUIRE(engine.SetPolicy(policy).ok());
  const int registrants = 1'000'000;
  std::vector<RegistrantSpec> specs(registrants);
  uint64_t state = 42;
  for (int i = 0; i < registrants; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    RegistrantSpec& spec = specs[static_cast<size_t>(i)];
    spec.external_ref = absl::StrCat("person-", i);
    spec.district = static_cast<DistrictId>(1 + (state >> 33) % districts);
    spec.birth_day =
        absl::CivilDay(1930 + static_cast<int>((state >> 20) % 70), 1 + i % 12, 1 + i % 28);
    spec.group = static_cast<PriorityGroup>(1 + (state >> 45) % 4);
    spec.registered_at = May(1) + absl::Seconds(i);
  }
  REQUIRE(engine.RegisterBatch(specs).ok());
  specs.clear();
  for (int draw = 0; draw < 10; ++draw) {
    DrawRequest request;
    request.seed = DrawSeed{static_cast<uint64_t>(draw) + 1, 99};
    request.at = May(25) + absl::Hours(draw);
    request.first_dose_from = kDay + 7 * draw;
    request.first_dose_until = kDay + 7 * draw + 6;
    const auto started = Clock::now();
    absl::StatusOr<DrawRecord> record = engine.Draw(request);
    REQUIRE(record.ok());
    MESSAGE("draw ", draw + 1, ": ", record->series.size(), " series in ",
            std::chrono::duration<double>(Clock::now() - started).count(), " s");
  }
  const auto started = Clock::now();
  const InvariantReport report = CheckInvariants(engine);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  MESSAGE("CheckInvariants: ", seconds, " s for ", engine.registrant_count(), " registrants, ",
          engine.series_count(), " series, ", engine.draw_count(), " draws");
  CHECK_MESSAGE(report.ok(), report.ToString());
}

}  // namespace
}  // namespace vaxalloc
