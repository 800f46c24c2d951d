// vaxalloc_demo: a Hessen-style campaign in an SQLite file.
//
//   vaxalloc_demo [--db PATH] [--registrants N] [--seed S] [--draws N]
//
// A new file is filled with the generated scenario (26 districts, 28
// centers, four vaccines, a waiting list); a file that already holds the
// campaign is continued with the weekly draws not yet run. Every step is
// committed, so the demo can be stopped at any point and run again. At the
// end it prints a report and checks every invariant (exit 1 on a violation).
#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/version.h"

namespace {

using vaxalloc::DrawRecord;
using vaxalloc::DrawRequest;
using vaxalloc::Engine;
using vaxalloc::Scenario;
using vaxalloc::Store;

constexpr int kExitViolation = 1;
constexpr int kExitError = 2;

struct Arguments {
  std::string db = "demo-campaign.sqlite";
  uint32_t registrants = 300'000;
  uint64_t seed = 1;
  uint32_t draws_max = UINT32_MAX;  // draws to run now, at most
};

void PrintUsage(std::FILE* out) {
  fmt::print(out,
             "usage: vaxalloc_demo [--db PATH] [--registrants N] [--seed S] [--draws N]\n"
             "  --db PATH         the campaign file (default demo-campaign.sqlite);\n"
             "                    an existing campaign is continued\n"
             "  --registrants N   size of the waiting list (default 300000)\n"
             "  --seed S          scenario seed: people and lottery seeds (default 1)\n"
             "  --draws N         run at most N of the pending weekly draws now\n");
}

// Parses the command line; false on a usage error (already printed).
bool ParseArguments(int argc, char** argv, Arguments* arguments) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      PrintUsage(stdout);
      std::exit(0);
    }
    if (flag != "--db" && flag != "--registrants" && flag != "--seed" && flag != "--draws") {
      fmt::print(stderr, "vaxalloc_demo: unknown option {}\n", flag);
      PrintUsage(stderr);
      return false;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "vaxalloc_demo: {} needs a value\n", flag);
      return false;
    }
    const char* value = argv[++i];
    bool ok = true;
    if (flag == "--db") {
      arguments->db = value;
    } else if (flag == "--registrants") {
      ok = absl::SimpleAtoi(value, &arguments->registrants) &&
           arguments->registrants <= vaxalloc::kScenarioRegistrantsMax;
    } else if (flag == "--seed") {
      ok = absl::SimpleAtoi(value, &arguments->seed);
    } else {
      ok = absl::SimpleAtoi(value, &arguments->draws_max);
    }
    if (!ok) {
      fmt::print(stderr, "vaxalloc_demo: bad value for {}: {}\n", flag, value);
      return false;
    }
  }
  return true;
}

// 1234567 -> "1,234,567".
std::string Thousands(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
std::string Thousands(int64_t value) {
  if (value >= 0) return Thousands(static_cast<uint64_t>(value));
  // Appended rather than `"-" + ...`: g++ 12 at -O3 warned (-Wrestrict, a
  // false positive) on the operator+ form.
  std::string out = "-";
  out += Thousands(0 - static_cast<uint64_t>(value));
  return out;
}

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string PerSecond(uint64_t count, double seconds) {
  if (seconds <= 0) return "-";
  return Thousands(static_cast<uint64_t>(static_cast<double>(count) / seconds));
}

std::string LocalTime(absl::Time time, const char* format = "%a %Y-%m-%d %H:%M") {
  return absl::FormatTime(format, time, vaxalloc::ScenarioTimeZone());
}

int Fail(std::string_view what, const absl::Status& status) {
  fmt::print(stderr, "vaxalloc_demo: {}: {}\n", what, status.ToString());
  return kExitError;
}

// What the run of the draws measured.
struct DrawTotals {
  uint32_t draws = 0;
  uint64_t series = 0;
  double prepare_seconds = 0;  // Engine::PrepareRevealDraw: the algorithm in memory
  double commit_seconds = 0;   // Store::CommitDraw and RevealDraw: prepare, SQLite, apply
};

// The public randomness a week's draw commits to, and its value. A real
// campaign names a future drand round or NIST pulse and passes the value it
// publishes; the demo, offline, stands in for both with fixed texts
// (tests/python/test_crosscheck.py repeats them).
std::string DemoBeacon(int week) {
  return fmt::format("demo week {}: stands in for a drand round", week);
}
std::string DemoBeaconValue(int week, uint64_t scenario_seed) {
  return fmt::format("demo stand-in for the beacon's value, week {}, scenario {}", week,
                     scenario_seed);
}

// Runs one scheduled draw as a committed draw (docs/draw.md section 9): the
// commitment first, then the reveal, once in memory (timed, then discarded)
// and once through the store; both must pick the same winners.
absl::Status RunDraw(Store& store, const DrawRequest& scheduled, int number,
                     uint64_t scenario_seed, DrawTotals* totals, vaxalloc::CommitmentId* last) {
  // A run stopped between commit and reveal left its commitment pending.
  for (vaxalloc::CommitmentId id = 1; id <= store.engine().draw_commitment_count(); ++id) {
    const absl::StatusOr<vaxalloc::DrawCommitment> left = store.engine().GetDrawCommitment(id);
    if (!left.ok()) return left.status();
    if (left->status != vaxalloc::CommitmentStatus::kPending) continue;
    if (absl::Status status =
            store.AbandonDraw(id, "the demo stopped before revealing it", scheduled.at);
        !status.ok()) {
      return status;
    }
  }
  DrawRequest request = scheduled;
  request.seed = vaxalloc::DrawSeed{};
  Stopwatch commit_watch;
  const absl::StatusOr<vaxalloc::DrawCommitment> commitment =
      store.CommitDraw(request, DemoBeacon(number));
  if (!commitment.ok()) return commitment.status();
  const double commitment_seconds = commit_watch.Seconds();
  const std::string value = DemoBeaconValue(number, scenario_seed);

  Stopwatch prepare_watch;
  absl::StatusOr<vaxalloc::Prepared<vaxalloc::DrawOutcome>> prepared =
      store.engine().PrepareRevealDraw(commitment->id, value, request.at);
  const double prepare_seconds = prepare_watch.Seconds();
  if (!prepared.ok()) return prepared.status();

  Stopwatch reveal_watch;
  absl::StatusOr<DrawRecord> record = store.RevealDraw(commitment->id, value, request.at);
  const double commit_seconds = commitment_seconds + reveal_watch.Seconds();
  if (!record.ok()) return record.status();
  if (record->series != prepared->change.record.series) {
    return absl::InternalError(
        fmt::format("draw {}: the committed draw differs from the prepared one", number));
  }
  request.seed = record->request.seed;
  *last = commitment->id;

  uint64_t took_part = 0;
  uint64_t assigned = 0;
  std::string per_tier;
  for (size_t t = 0; t < record->tiers.size(); ++t) {
    const vaxalloc::TierCount& count = record->tiers[t];
    took_part += count.eligible;
    assigned += count.assigned;
    if (count.eligible == 0) continue;
    per_tier +=
        fmt::format("{}tier {} {}/{}", per_tier.empty() ? "" : ", ", t + 1,
                    Thousands(uint64_t{count.assigned}), Thousands(uint64_t{count.eligible}));
  }
  std::string hash;
  for (uint8_t byte : commitment->commitment) hash += fmt::format("{:02x}", byte);
  fmt::print("draw {:2}  {}  first doses {} .. {}  seed {}\n", number, LocalTime(request.at),
             absl::FormatCivilTime(request.first_dose_from),
             absl::FormatCivilTime(request.first_dose_until), vaxalloc::FormatSeed(request.seed));
  fmt::print("         commitment {}... ({:.1f} MB of inputs), beacon \"{}\"\n",
             hash.substr(0, 24), commitment->input_bytes / 1e6, commitment->beacon);
  fmt::print("         assigned {:>8}  waiting {:>8}   ({})\n", Thousands(assigned),
             Thousands(took_part - assigned), per_tier);
  fmt::print("         in memory {:.3f} s, committed and revealed {:.3f} s\n", prepare_seconds,
             commit_seconds);
  totals->draws += 1;
  totals->series += assigned;
  totals->prepare_seconds += prepare_seconds;
  totals->commit_seconds += commit_seconds;
  return absl::OkStatus();
}

std::string Shorten(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  // Cut on a UTF-8 character boundary.
  size_t cut = width - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return text.substr(0, cut) + ".";
}

void PrintReport(const Engine& engine, const Scenario& scenario) {
  const vaxalloc::Report report = engine.Summarize();
  fmt::print(
      "\nCampaign: {} registrants, {} with a series ({:.1f}%), {} vaccinated, {} waiting, "
      "{} draws\n",
      Thousands(report.registrants), Thousands(report.scheduled),
      report.registrants == 0 ? 0.0 : 100.0 * report.scheduled / report.registrants,
      Thousands(report.vaccinated), Thousands(report.waiting), report.draws);
  fmt::print(
      "Series: {} active, {} completed, {} cancelled, {} ended by a missed first dose; "
      "doses given {}, missed {}\n",
      Thousands(report.series_active), Thousands(report.series_completed),
      Thousands(report.series_cancelled), Thousands(report.series_missed),
      Thousands(report.doses_given), Thousands(report.doses_missed));

  fmt::print("\n{:<11} {:<32} {:>9} {:>9} {:>10} {:>10} {:>10}\n", "center", "Impfzentrum",
             "series", "waiting", "delivered", "reserved", "free 1st");
  int64_t delivered = 0;
  int64_t reserved = 0;
  for (const vaxalloc::CenterReport& center : report.centers) {
    const vaxalloc::CenterSpec& spec = scenario.centers[center.center - 1];
    std::string name = spec.name;  // the header says "Impfzentrum"
    if (name.starts_with("Impfzentrum ")) name.erase(0, 12);
    fmt::print("{:<11} {:<32} {:>9} {:>9} {:>10} {:>10} {:>10}\n", spec.code, Shorten(name, 32),
               Thousands(center.series_active), Thousands(center.residents_waiting),
               Thousands(center.doses_delivered), Thousands(center.doses_reserved),
               Thousands(center.seats_first_free));
    delivered += center.doses_delivered;
    reserved += center.doses_reserved;
  }

  fmt::print("\nWaiting per tier:");
  for (size_t t = 0; t < report.waiting_per_tier.size(); ++t) {
    if (report.waiting_per_tier[t] > 0) {
      fmt::print("  tier {}: {}", t + 1, Thousands(report.waiting_per_tier[t]));
    }
  }
  fmt::print("\nDoses: {} delivered, {} reserved by appointments ({:.1f}%)\n", Thousands(delivered),
             Thousands(reserved),
             delivered == 0 ? 0.0 : 100.0 * static_cast<double>(reserved) / delivered);

  std::vector<uint64_t> per_vaccine(scenario.vaccines.size() + 1, 0);
  std::vector<uint64_t> reserve(2, 0);
  for (vaxalloc::SeriesId id = 1; id <= engine.series_count(); ++id) {
    const absl::StatusOr<vaxalloc::Series> series = engine.GetSeries(id);
    if (!series.ok() || series->status != vaxalloc::SeriesStatus::kActive) continue;
    if (series->vaccine < per_vaccine.size()) ++per_vaccine[series->vaccine];
    ++reserve[series->category == 0 ? 0 : 1];
  }
  fmt::print("Series per vaccine:");
  for (size_t v = 1; v < per_vaccine.size(); ++v) {
    fmt::print("  {} {}", scenario.vaccines[v - 1].code, Thousands(per_vaccine[v]));
  }
  fmt::print("\nFrom the reserve \"{}\": {}\n",
             scenario.policy.reserves.empty() ? "" : scenario.policy.reserves[0].name,
             Thousands(reserve[1]));
}

// --- The booking flows, one week each, between two weekly draws ------------
//
// Every phase only does what the file does not show as done yet, so a demo
// stopped in the middle of one continues it when run again.

// A stable coin per id: the same people no-show and abandon on every run.
bool Coin(uint64_t salt, uint64_t id, int percent) {
  vaxalloc::SplitMix64 mix(salt * 0x9e3779b97f4a7c15ULL + id);
  return mix.Next() % 100 < static_cast<uint64_t>(percent);
}

absl::Time LocalAt(absl::CivilDay day, int hour, int minute = 0, int second = 0) {
  return absl::FromCivil(
      absl::CivilSecond(day.year(), day.month(), day.day(), hour, minute, second),
      vaxalloc::ScenarioTimeZone());
}

absl::CivilDay LocalDay(absl::Time time) {
  return absl::ToCivilDay(time, vaxalloc::ScenarioTimeZone());
}

// Release day (Sachsen): on Tuesday 08:00 three centers open their first-dose
// seats of Tuesday-Thursday in two weeks for first-come booking, 1,500 first
// appointments at most. Waiting people book one every 2 s; 85% confirm within
// a minute, the others close the browser tab and their hold lapses.
absl::Status ReleaseDay(Store& store, absl::CivilDay monday) {
  const Engine& engine = store.engine();
  constexpr uint32_t kCap = 1500;
  constexpr int kCenters = 3;
  const absl::Time release_at = LocalAt(monday + 1, 8);
  if (engine.release_count() == 0) {
    for (vaxalloc::CenterId center = 1; center <= kCenters; ++center) {
      vaxalloc::ReleaseSpec spec;
      spec.center = center;
      spec.first_day = monday + 15;
      spec.last_day = monday + 17;
      spec.release_at = release_at;
      spec.first_dose_cap = kCap / kCenters;
      if (auto id = store.AddRelease(spec); !id.ok()) return id.status();
    }
  }
  fmt::print("\nRelease day {}: centers 1-{} open first doses {} .. {}, at most {}\n",
             LocalTime(release_at), kCenters, absl::FormatCivilTime(monday + 15),
             absl::FormatCivilTime(monday + 17), Thousands(uint64_t{kCap}));
  std::vector<bool> served(engine.district_count() + 1, false);
  for (vaxalloc::CenterId center = 1; center <= kCenters; ++center) {
    const absl::StatusOr<vaxalloc::Center> found = engine.GetCenter(center);
    if (!found.ok()) return found.status();
    for (vaxalloc::DistrictId district : found->spec.districts) served[district] = true;
  }
  uint32_t held = 0, confirmed = 0, abandoned = 0, refused = 0, failures_in_a_row = 0;
  Stopwatch watch;
  absl::Time now = release_at;
  for (vaxalloc::RegistrantId id = 1; id <= engine.registrant_count() && failures_in_a_row < 200;
       ++id) {
    const absl::StatusOr<vaxalloc::Registrant> person = engine.GetRegistrant(id);
    if (!person.ok()) return person.status();
    if (person->status != vaxalloc::RegistrantStatus::kWaiting) continue;
    if (!served[person->spec.district]) continue;
    now += absl::Seconds(2);
    vaxalloc::BookingRequest request;
    request.registrant = id;
    request.at = now;
    absl::StatusOr<vaxalloc::Series> hold = store.Book(request);
    if (!hold.ok()) {
      if (hold.status().code() != absl::StatusCode::kResourceExhausted &&
          hold.status().code() != absl::StatusCode::kFailedPrecondition) {
        return hold.status();
      }
      ++refused;
      ++failures_in_a_row;
      continue;
    }
    failures_in_a_row = 0;
    ++held;
    if (Coin(1, id, 15)) {
      ++abandoned;
      continue;
    }
    if (auto booked = store.ConfirmHold(hold->id, now + absl::Seconds(40)); !booked.ok()) {
      return booked.status();
    }
    ++confirmed;
  }
  absl::StatusOr<uint32_t> lapsed = store.ExpireHolds(now + absl::Minutes(15));
  if (!lapsed.ok()) return lapsed.status();
  uint32_t booked = 0;
  for (vaxalloc::ReleaseId id = 1; id <= engine.release_count(); ++id) {
    booked += engine.GetRelease(id)->booked;
  }
  fmt::print(
      "  {} holds, {} confirmed, {} abandoned (lapsed after 10 minutes; {} at the end), "
      "{} turned away;\n  {} of {} first appointments booked by {} ({:.2f} s)\n",
      Thousands(uint64_t{held}), Thousands(uint64_t{confirmed}), Thousands(uint64_t{abandoned}),
      Thousands(uint64_t{*lapsed}), Thousands(uint64_t{refused}), Thousands(uint64_t{booked}),
      Thousands(uint64_t{kCap}), LocalTime(now, "%H:%M:%S"), watch.Seconds());
  return absl::OkStatus();
}

// Short-notice day (Hessen): from Thursday the short-notice pool is open for
// the next four days. 6% of the people with a first appointment in those
// days cancel at 07:00; from 09:00 online registrants take the freed seats,
// waiting people and people whose appointment lies later alike (a swap).
absl::Status ShortNoticeDay(Store& store, absl::CivilDay monday) {
  const Engine& engine = store.engine();
  const absl::CivilDay thursday = monday + 3;
  if (engine.policy().short_notice_days == 0) {
    vaxalloc::Policy policy = engine.policy();
    policy.short_notice_days = 4;
    if (auto version = store.SetPolicy(policy); !version.ok()) return version.status();
  }
  uint32_t cancelled = 0, by_code = 0, mistyped = 0, deleted = 0;
  absl::Time now = LocalAt(thursday, 7);
  for (vaxalloc::SeriesId id = 1; id <= engine.series_count(); ++id) {
    const vaxalloc::Series series = *engine.GetSeries(id);
    if (series.status != vaxalloc::SeriesStatus::kActive ||
        series.doses[0] != vaxalloc::DoseState::kBooked) {
      continue;
    }
    const absl::CivilDay first = series.appointments[0].day;
    if (first < thursday || first > thursday + 3 || !Coin(2, id, 6)) continue;
    now += absl::Seconds(1);
    const vaxalloc::Registrant person = *engine.GetRegistrant(series.registrant);
    if (person.spec.channel == vaxalloc::Channel::kPhone) {
      // The call center cancels after checking who is calling.
      if (absl::Status status = store.CancelSeries(id, now); !status.ok()) return status;
    } else {
      // Online: a code goes to the person's phone (the host sends the
      // kCodeIssued event); one in ten mistypes it once. One in five was
      // vaccinated by their GP and deletes the registration.
      const bool delete_registration = Coin(7, id, 20);
      vaxalloc::CodeRequest request;
      request.registrant = series.registrant;
      request.purpose = delete_registration ? vaxalloc::CodePurpose::kWithdraw
                                            : vaxalloc::CodePurpose::kCancelSeries;
      request.series = delete_registration ? vaxalloc::kNoId : id;
      request.at = now;
      absl::StatusOr<vaxalloc::IssuedCode> issued = store.IssueCode(request);
      if (!issued.ok()) return issued.status();
      now += absl::Seconds(30);
      if (Coin(6, id, 10)) {
        std::string typo = issued->code;
        typo.back() = typo.back() == '9' ? '0' : static_cast<char>(typo.back() + 1);
        absl::Status wrong = store.VerifyCode(issued->record.id, typo, now);
        if (wrong.code() != absl::StatusCode::kUnauthenticated) {
          return absl::InternalError(fmt::format("a mistyped code gave {}", wrong.ToString()));
        }
        ++mistyped;
        now += absl::Seconds(10);
      }
      if (absl::Status status = store.VerifyCode(issued->record.id, issued->code, now);
          !status.ok()) {
        return status;
      }
      ++by_code;
      deleted += delete_registration;
    }
    ++cancelled;
  }
  uint32_t booked = 0, swapped = 0, phone = 0, failures_in_a_row = 0;
  now = std::max(now, LocalAt(thursday, 9));
  for (vaxalloc::RegistrantId id = 1; id <= engine.registrant_count() && failures_in_a_row < 300;
       ++id) {
    const vaxalloc::Registrant person = *engine.GetRegistrant(id);
    const bool later = person.status == vaxalloc::RegistrantStatus::kScheduled &&
                       engine.GetSeries(person.series)->appointments[0].day > thursday + 3 &&
                       engine.GetSeries(person.series)->doses[0] == vaxalloc::DoseState::kBooked;
    if (person.status != vaxalloc::RegistrantStatus::kWaiting && !later) continue;
    if (!Coin(3, id, 20)) continue;  // a fifth of them look at the portal today
    now += absl::Seconds(3);
    vaxalloc::BookingRequest request;
    request.registrant = id;
    request.at = now;
    request.mode = vaxalloc::BookingMode::kShortNotice;
    request.confirm = true;
    absl::StatusOr<vaxalloc::Series> series = store.Book(request);
    if (series.ok()) {
      ++booked;
      swapped += series->replaces != vaxalloc::kNoId;
      failures_in_a_row = 0;
    } else if (series.status().code() == absl::StatusCode::kFailedPrecondition) {
      ++phone;  // registered by phone: a letter would not arrive in time
    } else if (series.status().code() == absl::StatusCode::kResourceExhausted) {
      ++failures_in_a_row;
    } else {
      return series.status();
    }
  }
  fmt::print(
      "\nShort-notice day {}: {} first appointments of the next 4 days cancelled ({} online with "
      "a code sent by SMS, {} mistyped once, {} deleting the registration); "
      "{} booked at short notice ({} of them swapped a later appointment), "
      "{} phone registrants refused\n",
      absl::FormatCivilTime(thursday), Thousands(uint64_t{cancelled}), Thousands(uint64_t{by_code}),
      Thousands(uint64_t{mistyped}), Thousands(uint64_t{deleted}), Thousands(uint64_t{booked}),
      Thousands(uint64_t{swapped}),
      Thousands(uint64_t{phone}));
  return absl::OkStatus();
}

// The end of a day: each center offers the doses its no-shows left to the
// people on its standby list, best first; four in five come within the
// offer's 30 minutes and get their first dose. Returns the doses given so.
absl::StatusOr<uint32_t> OfferLeftoverDoses(Store& store, absl::CivilDay day) {
  const Engine& engine = store.engine();
  absl::Time now = LocalAt(day, 20, 30);  // every center at once
  uint32_t given = 0;
  for (vaxalloc::CenterId center = 1; center <= engine.center_count(); ++center) {
    absl::StatusOr<std::vector<vaxalloc::DayAttendance>> today =
        engine.Attendance(center, day, day);
    if (!today.ok()) return today.status();
    const uint32_t left = today->empty() ? 0 : today->front().missed;
    if (left == 0) continue;
    now += absl::Seconds(1);
    absl::StatusOr<std::vector<vaxalloc::RegistrantId>> list =
        engine.StandbyList(center, now, left);
    if (!list.ok()) return list.status();
    for (vaxalloc::RegistrantId id : *list) {
      vaxalloc::BookingRequest request;
      request.registrant = id;
      request.at = now;
      request.center = center;
      request.mode = vaxalloc::BookingMode::kStandby;
      absl::StatusOr<vaxalloc::Series> offer = store.Book(request);
      if (!offer.ok()) {
        if (offer.status().code() == absl::StatusCode::kResourceExhausted) break;  // none left
        if (offer.status().code() == absl::StatusCode::kFailedPrecondition) continue;
        return offer.status();
      }
      if (!Coin(7, id, 80)) {
        if (absl::Status status = store.DeclineHold(offer->id, now + absl::Minutes(5));
            !status.ok()) {
          return status;
        }
        continue;
      }
      const absl::Time arrives = now + absl::Minutes(20);  // within the 30-minute offer
      if (auto booked = store.ConfirmHold(offer->id, now + absl::Minutes(2)); !booked.ok()) {
        return booked.status();
      }
      if (auto dose = store.RecordDose(offer->id, 1, vaxalloc::DoseOutcome::kGiven, arrives);
          !dose.ok()) {
        return dose.status();
      }
      ++given;
    }
  }
  return given;
}

// A week of attendance: every evening the centers record who came; about 12%
// do not. A missed second dose gets a new appointment the same evening.
// The first-dose seats overbooking adds from `from` on, over every pool.
int64_t OverbookedFirstSeats(const Engine& engine, absl::CivilDay from, absl::CivilDay until) {
  int64_t extra = 0;
  for (vaxalloc::CenterId center = 1; center <= engine.center_count(); ++center) {
    for (vaxalloc::VaccineId vaccine = 1; vaccine <= engine.vaccine_count(); ++vaccine) {
      for (absl::CivilDay day = from; day <= until; ++day) {
        for (const vaxalloc::SlotView& slot : engine.Slots(center, vaccine, day)) {
          extra += slot.bookable_first - slot.seats_first;
        }
      }
    }
  }
  return extra;
}

absl::Status AttendanceWeek(Store& store, absl::CivilDay monday) {
  const Engine& engine = store.engine();
  uint64_t week_given = 0, week_missed = 0;
  fmt::print("\nAttendance, week of {}:\n", absl::FormatCivilTime(monday));
  for (absl::CivilDay day = monday; day < monday + 7; ++day) {
    absl::Time now = LocalAt(day, 20);
    uint32_t rebooked = 0;
    for (vaxalloc::SeriesId id = 1; id <= engine.series_count(); ++id) {
      const vaxalloc::Series series = *engine.GetSeries(id);
      if (series.status != vaxalloc::SeriesStatus::kActive) continue;
      for (int dose = 1; dose <= series.dose_count; ++dose) {
        if (series.appointments[dose - 1].day != day ||
            series.doses[dose - 1] != vaxalloc::DoseState::kBooked) {
          continue;
        }
        // First doses before this week were not recorded: their second stays open.
        if (dose == 2 && series.doses[0] != vaxalloc::DoseState::kGiven) break;
        const auto outcome =
            Coin(4 + dose, id, 12) ? vaxalloc::DoseOutcome::kMissed : vaxalloc::DoseOutcome::kGiven;
        now += absl::Milliseconds(100);
        absl::StatusOr<vaxalloc::Series> recorded = store.RecordDose(id, dose, outcome, now);
        if (!recorded.ok()) return recorded.status();
        if (dose == 2 && outcome == vaxalloc::DoseOutcome::kMissed) {
          absl::StatusOr<vaxalloc::Series> again = store.RebookSecondDose(id, now);
          if (again.ok()) {
            ++rebooked;
          } else if (again.status().code() != absl::StatusCode::kResourceExhausted) {
            return again.status();
          }
        }
        break;
      }
    }
    absl::StatusOr<uint32_t> standby = OfferLeftoverDoses(store, day);
    if (!standby.ok()) return standby.status();
    uint32_t given = 0, missed = 0;
    for (vaxalloc::CenterId center = 1; center <= engine.center_count(); ++center) {
      absl::StatusOr<std::vector<vaxalloc::DayAttendance>> days =
          engine.Attendance(center, day, day);
      if (!days.ok()) return days.status();
      for (const vaxalloc::DayAttendance& entry : *days) {
        given += entry.given;
        missed += entry.missed;
      }
    }
    week_given += given;
    week_missed += missed;
    fmt::print(
        "  {}  doses given {:>7}  missed {:>6}  no-show rate {:4.1f}%  "
        "second doses rebooked {}  standby first doses {}\n",
        LocalTime(LocalAt(day, 20), "%a %Y-%m-%d"), Thousands(uint64_t{given}),
        Thousands(uint64_t{missed}), given + missed == 0 ? 0.0 : 100.0 * missed / (given + missed),
        Thousands(uint64_t{rebooked}), Thousands(uint64_t{*standby}));
  }
  // The state overbooks by the week's no-show rate (rounded down to whole
  // percent) from now on; doses still bound every appointment.
  const int permille = week_given + week_missed == 0
                           ? 0
                           : static_cast<int>(100 * week_missed / (week_given + week_missed)) * 10;
  vaxalloc::Policy policy = engine.policy();
  policy.overbook_permille = std::min(permille, vaxalloc::kOverbookPermilleMax);
  if (auto version = store.SetPolicy(policy); !version.ok()) return version.status();
  fmt::print("  from now on slots are overbooked by {}%: {} more first-dose seats in the next 4 weeks\n",
             policy.overbook_permille / 10,
             Thousands(OverbookedFirstSeats(engine, monday + 7, monday + 34)));
  return absl::OkStatus();
}

// The phase that follows weekly draw `draws_done` (1-based), if any.
absl::Status PhaseAfterDraw(Store& store, const std::vector<DrawRequest>& schedule,
                            size_t draws_done) {
  if (draws_done == 0 || draws_done > schedule.size()) return absl::OkStatus();
  const absl::CivilDay monday = LocalDay(schedule[draws_done - 1].at);
  switch (draws_done) {
    case 3:
      return ReleaseDay(store, monday);
    case 4:
      return ShortNoticeDay(store, monday);
    case 5:
      return AttendanceWeek(store, monday);
    default:
      return absl::OkStatus();
  }
}

int Run(const Arguments& arguments) {
  fmt::print("vaxalloc {} demo: a Hessen campaign, summer 2021\n\n", vaxalloc::Version());

  Stopwatch generate_watch;
  vaxalloc::ScenarioOptions options;
  options.registrants = arguments.registrants;
  options.seed = arguments.seed;
  absl::StatusOr<Scenario> scenario = vaxalloc::GenerateScenario(options);
  if (!scenario.ok()) return Fail("generating the scenario", scenario.status());
  const std::vector<DrawRequest> schedule = vaxalloc::DrawSchedule(*scenario);
  fmt::print(
      "scenario (seed {}): {} districts, {} centers, {} vaccines, {} registrants, "
      "{} weekly draws ({:.2f} s)\n",
      options.seed, scenario->districts.size(), scenario->centers.size(), scenario->vaccines.size(),
      Thousands(uint64_t{options.registrants}), schedule.size(), generate_watch.Seconds());

  Stopwatch open_watch;
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(arguments.db);
  if (!opened.ok()) return Fail(fmt::format("opening {}", arguments.db), opened.status());
  Store& store = **opened;
  const Engine& engine = store.engine();
  if (engine.district_count() == 0) {
    fmt::print("{}: new campaign file ({:.2f} s)\n", arguments.db, open_watch.Seconds());
  } else {
    fmt::print("{}: loaded {} registrants, {} series, {} draws ({:.2f} s)\n", arguments.db,
               Thousands(uint64_t{engine.registrant_count()}),
               Thousands(uint64_t{engine.series_count()}), engine.draw_count(),
               open_watch.Seconds());
  }

  // Populate completes whatever part of the scenario the file lacks (all of
  // it when new, nothing when complete) and refuses another campaign.
  Stopwatch populate_watch;
  const uint32_t registrants_before = engine.registrant_count();
  vaxalloc::PopulateOptions populate_options;
  populate_options.progress = [&](std::string_view stage, uint64_t done, uint64_t total) {
    if (stage == "registrants" && done > registrants_before) {
      fmt::print("  registered {:>10} of {}  ({:.2f} s)\n", Thousands(done), Thousands(total),
                 populate_watch.Seconds());
    }
  };
  if (absl::Status status = vaxalloc::Populate(store, *scenario, populate_options); !status.ok()) {
    fmt::print(stderr,
               "vaxalloc_demo: {} does not hold this campaign: {}\n"
               "  (run with the --registrants and --seed it was created with, "
               "or delete the file)\n",
               arguments.db, status.ToString());
    return kExitError;
  }
  if (engine.registrant_count() > registrants_before) {
    fmt::print("populated in {:.2f} s\n", populate_watch.Seconds());
  }

  // Draws already in the file must be the schedule's first ones.
  const uint32_t done = engine.draw_count();
  if (done > schedule.size()) {
    return Fail("continuing",
                absl::FailedPreconditionError(fmt::format(
                    "the file holds {} draws, the schedule has {}", done, schedule.size())));
  }
  for (vaxalloc::DrawId id = 1; id <= done; ++id) {
    const absl::StatusOr<DrawRecord> record = engine.GetDraw(id);
    if (!record.ok()) return Fail("reading the draws", record.status());
    const DrawRequest& scheduled = schedule[id - 1];
    if (record->request.at != scheduled.at ||
        record->request.first_dose_from != scheduled.first_dose_from ||
        record->request.first_dose_until != scheduled.first_dose_until) {
      return Fail("continuing", absl::FailedPreconditionError(
                                    fmt::format("draw {} in the file is not the schedule's", id)));
    }
  }
  fmt::print("\n{} of {} weekly draws already run", done, schedule.size());
  if (done < schedule.size()) {
    fmt::print(
        "; for each draw: series assigned, people still waiting, and per tier "
        "assigned/taking part");
  }
  fmt::print("\n");

  DrawTotals totals;
  vaxalloc::CommitmentId last_commitment = vaxalloc::kNoId;
  for (size_t k = done; k < schedule.size() && totals.draws < arguments.draws_max; ++k) {
    // The week's booking flows run before the next draw.
    if (absl::Status status = PhaseAfterDraw(store, schedule, k); !status.ok()) {
      return Fail(fmt::format("the week after draw {}", k), status);
    }
    if (absl::Status status = RunDraw(store, schedule[k], static_cast<int>(k + 1), options.seed,
                                      &totals, &last_commitment);
        !status.ok()) {
      return Fail(fmt::format("draw {}", k + 1), status);
    }
  }
  if (totals.draws > 0) {
    fmt::print(
        "\nDraw speed: {} series in {} draws; in memory {:.2f} s ({} series/s), "
        "committed to SQLite {:.2f} s ({} series/s)\n",
        Thousands(totals.series), totals.draws, totals.prepare_seconds,
        PerSecond(totals.series, totals.prepare_seconds), totals.commit_seconds,
        PerSecond(totals.series, totals.commit_seconds));
  }
  if (engine.draw_count() < schedule.size()) {
    fmt::print("{} draws still to run: run the demo again to continue\n",
               schedule.size() - engine.draw_count());
  }

  if (last_commitment != vaxalloc::kNoId) {
    // The audit bundle of the last draw: anyone re-runs it from this file.
    const std::string bundle = arguments.db + fmt::format(".draw-{}.vxd", engine.draw_count());
    if (absl::Status status = engine.WriteDrawBundle(last_commitment, bundle); !status.ok()) {
      return Fail("writing the audit bundle", status);
    }
    const absl::StatusOr<vaxalloc::DrawFairness> fairness =
        engine.CheckDrawFairness(last_commitment);
    if (!fairness.ok()) return Fail("the fairness check", fairness.status());
    fmt::print(
        "Audit bundle of draw {}: {}\n  registration time inside the tiers: chi-square {:.1f}, "
        "{} degrees of freedom, p = {:.3f}\n  re-run it: python3 -m vaxalloc.verify {} "
        "--fairness\n",
        engine.draw_count(), bundle, fairness->chi_square, fairness->degrees_of_freedom,
        fairness->p_value, bundle);
  }

  PrintReport(engine, *scenario);

  Stopwatch check_watch;
  const vaxalloc::InvariantReport invariants = vaxalloc::CheckInvariants(engine);
  if (!invariants.ok()) {
    fmt::print("\nInvariants: {} VIOLATIONS ({:.2f} s)\n{}\n", invariants.violation_count,
               check_watch.Seconds(), invariants.ToString());
    return kExitViolation;
  }
  fmt::print("\nInvariants: OK ({:.2f} s)\n", check_watch.Seconds());

  // The operation journal: every change above is an entry, chained by
  // SHA-256 (docs/journal.md); publish the head to make the record final.
  Stopwatch journal_watch;
  const absl::StatusOr<vaxalloc::JournalCheck> journal = store.VerifyJournal();
  if (!journal.ok()) return Fail("verifying the journal", journal.status());
  if (!journal->intact()) {
    fmt::print("Journal: BROKEN at entry {}: {}\n", journal->first_bad_seq, journal->problem);
    return kExitViolation;
  }
  std::string head;
  for (uint8_t byte : journal->head) head += fmt::format("{:02x}", byte);
  fmt::print("Journal: {} entries, chain intact, head {} ({:.2f} s)\n", journal->entries, head,
             journal_watch.Seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments arguments;
  if (!ParseArguments(argc, argv, &arguments)) return kExitError;
  return Run(arguments);
}
