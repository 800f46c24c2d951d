// vaxalloc_demo: a Hessen-style campaign in an SQLite file.
//
//   vaxalloc_demo [--db PATH] [--registrants N] [--seed S] [--draws N]
//
// A new file is filled with the generated scenario (26 districts, 28
// centers, four vaccines, a waiting list); a file that already holds the
// campaign is continued with the weekly draws not yet run. Every step is
// committed, so the demo can be stopped at any point and run again. At the
// end it prints a report and checks every invariant (exit 1 on a violation).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

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
  return value < 0 ? "-" + Thousands(0 - static_cast<uint64_t>(value))
                   : Thousands(static_cast<uint64_t>(value));
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
  double prepare_seconds = 0;  // Engine::PrepareDraw: the algorithm in memory
  double commit_seconds = 0;   // Store::Draw: prepare, SQLite commit, apply
};

// Runs one scheduled draw: once in memory (timed, then discarded), once
// through the store; both must pick the same winners.
absl::Status RunDraw(Store& store, const DrawRequest& request, int number, DrawTotals* totals) {
  Stopwatch prepare_watch;
  absl::StatusOr<vaxalloc::Prepared<vaxalloc::DrawOutcome>> prepared =
      store.engine().PrepareDraw(request);
  const double prepare_seconds = prepare_watch.Seconds();
  if (!prepared.ok()) return prepared.status();

  Stopwatch commit_watch;
  absl::StatusOr<DrawRecord> record = store.Draw(request);
  const double commit_seconds = commit_watch.Seconds();
  if (!record.ok()) return record.status();
  if (record->series != prepared->change.record.series) {
    return absl::InternalError(
        fmt::format("draw {}: the committed draw differs from the prepared one", number));
  }

  uint64_t took_part = 0;
  uint64_t assigned = 0;
  std::string per_tier;
  for (size_t t = 0; t < record->tiers.size(); ++t) {
    const vaxalloc::TierCount& count = record->tiers[t];
    took_part += count.eligible;
    assigned += count.assigned;
    if (count.eligible == 0) continue;
    per_tier += fmt::format("{}tier {} {}/{}", per_tier.empty() ? "" : ", ", t + 1,
                            Thousands(uint64_t{count.assigned}),
                            Thousands(uint64_t{count.eligible}));
  }
  fmt::print("draw {:2}  {}  first doses {} .. {}  seed {}\n", number, LocalTime(request.at),
             absl::FormatCivilTime(request.first_dose_from),
             absl::FormatCivilTime(request.first_dose_until), vaxalloc::FormatSeed(request.seed));
  fmt::print("         assigned {:>8}  waiting {:>8}   ({})\n", Thousands(assigned),
             Thousands(took_part - assigned), per_tier);
  fmt::print("         in memory {:.3f} s, committed {:.3f} s\n", prepare_seconds, commit_seconds);
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
  fmt::print("\nCampaign: {} registrants, {} with a series ({:.1f}%), {} waiting, {} draws\n",
             Thousands(report.registrants), Thousands(report.scheduled),
             report.registrants == 0 ? 0.0 : 100.0 * report.scheduled / report.registrants,
             Thousands(report.waiting), report.draws);

  fmt::print("\n{:<11} {:<32} {:>9} {:>9} {:>10} {:>10} {:>10}\n", "center", "Impfzentrum",
             "series", "waiting", "delivered", "reserved", "free 1st");
  int64_t delivered = 0;
  int64_t reserved = 0;
  for (const vaxalloc::CenterReport& center : report.centers) {
    const vaxalloc::CenterSpec& spec = scenario.centers[center.center - 1];
    std::string name = spec.name;  // the header says "Impfzentrum"
    if (name.starts_with("Impfzentrum ")) name.erase(0, 12);
    fmt::print("{:<11} {:<32} {:>9} {:>9} {:>10} {:>10} {:>10}\n", spec.code,
               Shorten(name, 32), Thousands(center.series_active),
               Thousands(center.residents_waiting), Thousands(center.doses_delivered),
               Thousands(center.doses_reserved), Thousands(center.seats_first_free));
    delivered += center.doses_delivered;
    reserved += center.doses_reserved;
  }

  fmt::print("\nWaiting per tier:");
  for (size_t t = 0; t < report.waiting_per_tier.size(); ++t) {
    if (report.waiting_per_tier[t] > 0) {
      fmt::print("  tier {}: {}", t + 1, Thousands(report.waiting_per_tier[t]));
    }
  }
  fmt::print("\nDoses: {} delivered, {} reserved by appointments ({:.1f}%)\n",
             Thousands(delivered), Thousands(reserved),
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

int Run(const Arguments& arguments) {
  fmt::print("vaxalloc {} demo: a Hessen campaign, summer 2021\n\n", vaxalloc::Version());

  Stopwatch generate_watch;
  vaxalloc::ScenarioOptions options;
  options.registrants = arguments.registrants;
  options.seed = arguments.seed;
  absl::StatusOr<Scenario> scenario = vaxalloc::GenerateScenario(options);
  if (!scenario.ok()) return Fail("generating the scenario", scenario.status());
  const std::vector<DrawRequest> schedule = vaxalloc::DrawSchedule(*scenario);
  fmt::print("scenario (seed {}): {} districts, {} centers, {} vaccines, {} registrants, "
             "{} weekly draws ({:.2f} s)\n",
             options.seed, scenario->districts.size(), scenario->centers.size(),
             scenario->vaccines.size(), Thousands(uint64_t{options.registrants}),
             schedule.size(), generate_watch.Seconds());

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
  if (absl::Status status = vaxalloc::Populate(store, *scenario, populate_options);
      !status.ok()) {
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
    return Fail("continuing", absl::FailedPreconditionError(fmt::format(
                                  "the file holds {} draws, the schedule has {}", done,
                                  schedule.size())));
  }
  for (vaxalloc::DrawId id = 1; id <= done; ++id) {
    const absl::StatusOr<DrawRecord> record = engine.GetDraw(id);
    if (!record.ok()) return Fail("reading the draws", record.status());
    if (!(record->request.seed == schedule[id - 1].seed)) {
      return Fail("continuing", absl::FailedPreconditionError(fmt::format(
                                    "draw {} in the file is not the schedule's", id)));
    }
  }
  fmt::print("\n{} of {} weekly draws already run", done, schedule.size());
  if (done < schedule.size()) {
    fmt::print("; for each draw: series assigned, people still waiting, and per tier "
               "assigned/taking part");
  }
  fmt::print("\n");

  DrawTotals totals;
  for (size_t k = done; k < schedule.size() && totals.draws < arguments.draws_max; ++k) {
    if (absl::Status status = RunDraw(store, schedule[k], static_cast<int>(k + 1), &totals);
        !status.ok()) {
      return Fail(fmt::format("draw {}", k + 1), status);
    }
  }
  if (totals.draws > 0) {
    fmt::print("\nDraw speed: {} series in {} draws; in memory {:.2f} s ({} series/s), "
               "committed to SQLite {:.2f} s ({} series/s)\n",
               Thousands(totals.series), totals.draws, totals.prepare_seconds,
               PerSecond(totals.series, totals.prepare_seconds), totals.commit_seconds,
               PerSecond(totals.series, totals.commit_seconds));
  }
  if (engine.draw_count() < schedule.size()) {
    fmt::print("{} draws still to run: run the demo again to continue\n",
               schedule.size() - engine.draw_count());
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
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments arguments;
  if (!ParseArguments(argc, argv, &arguments)) return kExitError;
  return Run(arguments);
}
