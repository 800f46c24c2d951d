// Crash consistency with fault injection. A child process opens a campaign
// file, completes the scenario in it if needed, adds a release per center,
// then runs random operations (draws with fresh seeds, single and batch
// registrations, cancellations, withdrawals, self-bookings held or confirmed
// at once, standby offers, confirmations, declines and expiries of holds,
// attendance, rebooking missed second doses, one-time codes issued and
// entered right or wrong, acknowledging events) and reports each one that
// returned OK (or, for a wrong code, the attempt it cost) down a pipe. The
// parent kills it with SIGKILL after a random delay, reopens the file and
// checks that it opens, that every invariant holds, that every reported
// operation is there, and that the outbox holds exactly one event per
// change. The file is kept across kills,
// so later kills hit a bigger campaign, also in the middle of a long draw,
// batch or acknowledgment.
//
// The seed is printed; VAXALLOC_TEST_SEED=<seed> repeats the delays and the
// children's choices (the instant a kill lands still depends on the machine).
// VAXALLOC_TEST_SCALE=small (the ASan run) kills fewer times. The child and
// the checks are in tests/crash_support.h (shared with crash_points_test.cc,
// which kills at chosen I/O calls).
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"
#include "tests/crash_support.h"
#include "tests/snapshot.h"

namespace vaxalloc {
namespace {

using namespace crash;  // tests/crash_support.h: the child and the checks

void PrintSummary(const std::string& durability_name, const Reported& reported, const Stats& stats,
                  size_t pending) {
  auto during = [&](char letter) {
    auto it = stats.killed_during.find(letter);
    return it == stats.killed_during.end() ? 0 : it->second;
  };
  uint64_t series = 0, largest = 0;
  for (const auto& [id, count] : reported.draws) {
    series += count;
    largest = std::max<uint64_t>(largest, count);
  }
  fmt::print(
      "crash_test: durability {}: {} kills (during open {}, populate {}, draw {}, commit {}, "
      "reveal {}, batch {}, "
      "register {}, cancel {}, withdraw {}, acknowledge {}, add release {}, book {}, book at "
      "once {}, standby {}, confirm {}, decline {}, expire {}, record dose {}, rebook {}, issue "
      "code {}, verify code {}), {} children finished before their kill\n",
      durability_name, stats.kills, during('O'), during('P'), during('D'), during('M'),
      during('J'), during('B'), during('R'),
      during('C'), during('W'), during('A'), during('L'), during('H'), during('K'), during('Q'),
      during('Y'), during('N'), during('T'), during('G'), during('V'), during('I'), during('U'),
      stats.children_finished);
  fmt::print(
      "crash_test: reported {} releases, {} holds, {} bookings, {} standby offers, {} lapses, {} "
      "doses given, {} missed, {} second doses rebooked, {} codes issued, {} used, {} wrong "
      "entries\n",
      reported.releases.size(), reported.holds.size(), reported.booked.size(),
      reported.standby.size(), reported.lapsed.size(), reported.doses_given.size(),
      reported.doses_missed.size(), reported.rebooked.size(), reported.codes_issued.size(),
      reported.codes_used.size(), reported.wrong_attempts.size());
  fmt::print(
      "crash_test: reported {} registrations, {} draws with {} series (the largest {}; {} "
      "committed, {} commitments abandoned), {} cancellations, {} withdrawals, {} "
      "acknowledgments through event {}; {} events pending; the checks took {:.1f} s\n",
      reported.refs.size(), reported.draws.size(), series, largest, reported.commitments.size(),
      reported.abandoned.size(), reported.cancelled.size(),
      reported.withdrawn.size(), stats.acknowledgments, reported.acknowledged_through, pending,
      stats.check_seconds);
  std::fflush(stdout);
}

void RunCrashCampaign(Durability durability, int kills) {
  const Scenario& scenario = SmallScenario();
  const uint64_t seed = TestSeed();
  const std::string durability_name = durability == Durability::kFull ? "full" : "normal";
  fmt::print("crash_test: durability {}, {} kills, seed {} (VAXALLOC_TEST_SEED={} repeats it)\n",
             durability_name, kills, seed, seed);
  std::fflush(stdout);
  INFO("seed ", seed, ", durability ", durability_name);

  TempDir dir;
  ChildPlan plan;
  plan.path = dir.File("campaign.sqlite");
  plan.options.durability = durability;
  // The last round has room of its own: its newcomers are whom it books.
  const uint32_t registrants_max_killed = static_cast<uint32_t>(scenario.registrants.size()) +
                                          kRegistrationsPerKill * static_cast<uint32_t>(kills);
  SplitMix64 random(seed);
  Reported reported;
  Stats stats;
  std::vector<Event> pending;
  std::unique_ptr<Store> follower;
  uint64_t followed = 0;  // journal entries the follower applied
  if (durability == Durability::kFull) {
    // Kills during Populate are the normal run's; here every fsync'ed
    // transaction of the setup would eat the kill delays.
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(plan.path);
    REQUIRE_MESSAGE(store.ok(), store.status());
    const absl::Status populated = Populate(**store, scenario);
    REQUIRE_MESSAGE(populated.ok(), populated);
    reported.populated = true;
  }
  // The last round is not killed: it runs every booking flow once, then a
  // fixed number of operations to the end, so that every kind of operation
  // is reported and checked.
  for (int iteration = 0; iteration <= kills; ++iteration) {
    CAPTURE(iteration);
    const bool last = iteration == kills;
    plan.iteration = iteration;
    plan.seed = random.Next();
    plan.ops_max = last ? 400 : kOpsPerChildMax;
    plan.registrants_max = registrants_max_killed + (last ? kRegistrationsPerKill : 0);
    plan.cover_booking_flows = last;
    plan.future_stamps = last || iteration >= kills / 2;
    const auto delay = std::chrono::milliseconds(last ? -1 : 2 + random.Below(199));
    bool killed = false, finished = false;
    const std::string output = RunAndKill(scenario, plan, delay, killed, finished);
    const char in_flight = Parse(output, reported, stats);
    REQUIRE_MESSAGE(reported.errors.empty(), reported.errors);
    if (killed) {
      ++stats.kills;
      if (in_flight != 0) ++stats.killed_during[in_flight];
    }
    if (finished && !last) ++stats.children_finished;
    // A fast child may finish all its operations before its kill is due.
    if (last) CHECK(finished);
    const auto check_start = std::chrono::steady_clock::now();
    pending = CheckRecovered(plan.path, plan.options, scenario, reported,
                             killed && in_flight == 'V', pending, &follower, &followed);
    stats.check_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - check_start).count();
  }

  // The campaign got somewhere: every kind of operation was reported.
  CHECK(reported.populated);
  CHECK(reported.refs.size() > 0u);
  CHECK(reported.draws.size() > 0u);
  CHECK(reported.cancelled.size() > 0u);
  CHECK(reported.withdrawn.size() > 0u);
  CHECK(reported.acknowledged_through > 0u);
  CHECK(reported.releases.size() > 0u);
  CHECK(reported.holds.size() > 0u);
  CHECK(reported.booked.size() > 0u);
  CHECK(reported.lapsed.size() > 0u);
  CHECK(reported.doses_given.size() > 0u);
  CHECK(reported.doses_missed.size() > 0u);
  CHECK(reported.standby.size() > 0u);
  CHECK(reported.codes_issued.size() > 0u);
  CHECK(reported.codes_used.size() > 0u);
  CHECK(reported.wrong_attempts.size() > 0u);
  CHECK(followed > 0u);
  PrintSummary(durability_name, reported, stats, pending.size());
  fmt::print("crash_test: a read-only Store followed {} journal entries across the kills\n",
             followed);
}

TEST_CASE("killed at random instants, the campaign reopens with every reported change") {
  RunCrashCampaign(Durability::kNormal, SmallScale() ? 10 : 40);
}

TEST_CASE("the same with Durability::kFull") {
  RunCrashCampaign(Durability::kFull, SmallScale() ? 5 : 20);
}

}  // namespace
}  // namespace vaxalloc
