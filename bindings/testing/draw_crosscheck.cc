// The C++ half of the cross-binding check (tests/python/test_crosscheck.py):
// generates a scenario, populates an Engine in C++, runs the first draws of
// its schedule and prints every series they created, one line each:
//
//   draw <id> seed <32 hex digits> eligible <per tier> assigned <per tier>
//   <external_ref> center <id> vaccine <id> tier <t> category <c> <day> <minute> [<day> <minute>]
//
// The Python test builds the same campaign through the Python API (every
// district, block, delivery, rule and registrant converted to Python objects
// and back) and must print exactly the same lines.
//
// Usage: vaxalloc_draw_crosscheck <scenario seed> <registrants> <days> <draws>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "fmt/format.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/scenario.h"

namespace {

bool ParseUint(const char* text, uint64_t* value) {
  const std::string_view view(text);
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), *value);
  return error == std::errc() && end == view.data() + view.size();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "vaxalloc_draw_crosscheck: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 0, registrants = 0, days = 0, draws = 0;
  if (argc != 5 || !ParseUint(argv[1], &seed) || !ParseUint(argv[2], &registrants) ||
      !ParseUint(argv[3], &days) || !ParseUint(argv[4], &draws) || registrants > UINT32_MAX ||
      days > 10000) {
    return Fail("usage: vaxalloc_draw_crosscheck <scenario seed> <registrants> <days> <draws>");
  }
  vaxalloc::ScenarioOptions options;
  options.seed = seed;
  options.registrants = static_cast<uint32_t>(registrants);
  options.days = static_cast<int>(days);
  absl::StatusOr<vaxalloc::Scenario> scenario = vaxalloc::GenerateScenario(options);
  if (!scenario.ok()) return Fail(scenario.status().ToString());
  vaxalloc::Engine engine;
  if (absl::Status status = vaxalloc::Populate(engine, *scenario); !status.ok()) {
    return Fail(status.ToString());
  }
  const std::vector<vaxalloc::DrawRequest> schedule = vaxalloc::DrawSchedule(*scenario);
  for (size_t k = 0; k < schedule.size() && k < draws; ++k) {
    absl::StatusOr<vaxalloc::DrawRecord> record = engine.Draw(schedule[k]);
    if (!record.ok()) return Fail(record.status().ToString());
    std::string eligible, assigned;
    for (const vaxalloc::TierCount& count : record->tiers) {
      eligible += fmt::format(" {}", count.eligible);
      assigned += fmt::format(" {}", count.assigned);
    }
    fmt::print("draw {} seed {} eligible{} assigned{}\n", record->id,
               vaxalloc::FormatSeed(record->request.seed), eligible, assigned);
    for (vaxalloc::SeriesId id : record->series) {
      const vaxalloc::Series series = *engine.GetSeries(id);
      const vaxalloc::Registrant registrant = *engine.GetRegistrant(series.registrant);
      std::string line = fmt::format("{} center {} vaccine {} tier {} category {}",
                                     registrant.spec.external_ref, series.center, series.vaccine,
                                     series.tier, series.category);
      for (int dose = 0; dose < series.dose_count; ++dose) {
        const absl::CivilDay day = series.appointments[dose].day;
        line += fmt::format(" {:04}-{:02}-{:02} {}", day.year(), day.month(), day.day(),
                            series.appointments[dose].minute);
      }
      fmt::print("{}\n", line);
    }
  }
  const vaxalloc::InvariantReport report = vaxalloc::CheckInvariants(engine);
  if (!report.ok()) return Fail(report.ToString());
  return 0;
}
