// Deterministic crash points. tests/crash_test.cc kills its child after
// random delays; here the child kills itself (SIGKILL, through the VAXALLOC
// fault shim, tests/fault_vfs.h) at exactly its Nth call that changes the
// disk (xWrite, xSync, xTruncate, xDelete), for N chosen over everything the
// run does. The parent then reopens the file and runs crash_test's checks
// (tests/crash_support.h): it opens, quick_check is ok, every invariant
// holds, every operation the child reported done (down a pipe) is there, the
// journal chains, and the outbox holds exactly one event per change, so
// nothing half-done is visible; every eighth point also keeps a read-only
// Store open across the kill and checks that, following the journal, it
// holds what the reopened file holds.
//
// Runs (segments), each from a file built once and copied for every point;
// the small campaign is crash_test's on 8 centers and 8 weeks:
//   setup        an empty file: created, the scenario populated, a release
//                and its delivery per center (15% of the points)
//   operations   crash_test's child and its random mix (draws plain and
//                committed, registrations single and batch, cancellations,
//                withdrawals, deletions, bookings held or at once, holds
//                confirmed, declined, expired, codes issued and entered,
//                acknowledgments), in eight parts of 100 operations, each
//                from the end of the one before (30%)
//   booking      the same continued, the first part running every booking
//                and code flow once, then attendance, rebookings and standby
//                offers in the mix (30%)
//   large        130,000 registrants: a plain draw and a committed draw of
//                100,000+ series each, acknowledging 100,000 events, a batch
//                of 20,000 registrations, cancellations (1.5%)
//   power loss   the booking flows with Durability::kFull from the end of the
//                operations, in two parts of 90 operations; every write not yet synced is
//                undone at the crash point (a power cut): still every
//                reported operation must be there (23.5%)
// Each part is first run once, counting its calls; its points are every
// sync, truncation and deletion it made (up to half of its share) and the
// rest spread evenly over its writes, on the main thread (a tenth on the
// Store's checkpoint thread, counted apart: how far a checkpoint gets
// depends on timing, and counted together the main thread's calls would
// shift from run to run). A part with fewer calls than its share gives the
// rest to the small campaign's other parts. The checks get everything the runs
// that made the part's file reported, too.
//
// VAXALLOC_CRASH_POINTS=<n> sets the number of points (default 300; 60 with
// VAXALLOC_TEST_SCALE=small); `make crash` runs 10,000. The seed is printed;
// VAXALLOC_TEST_SEED=<seed> repeats the children's choices and the points
// (a point on the checkpoint thread may land elsewhere, or after the run's
// end: "ran through"). The files are in /dev/shm unless TMPDIR is set.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "tests/crash_support.h"
#include "tests/fault_vfs.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

using namespace crash;  // NOLINT: the crash tests' child and checks
namespace fs = std::filesystem;
namespace fault = testing::fault;

// --- The campaigns -----------------------------------------------------------------

// crash_test's small campaign on fewer centers and days: loading it and
// checking its invariants (every slot of every pool) is most of a point's
// cost.
const Scenario& PointsScenario() {
  static const Scenario scenario = [] {
    ScenarioOptions options;
    options.seed = 2021;
    options.registrants = 4000;
    options.districts = 8;
    options.centers = 8;
    options.days = 56;
    options.seats_first_permille = 8000;
    options.supply_series_permille = 6000;
    return testing::Ok(GenerateScenario(options));
  }();
  return scenario;
}

const Scenario& LargeScenario() {
  static const Scenario scenario = [] {
    ScenarioOptions options;
    options.seed = 2022;
    options.registrants = 130'000;
    options.days = 70;
    options.seats_first_permille = 6000;
    options.supply_series_permille = 5000;
    return testing::Ok(GenerateScenario(options));
  }();
  return scenario;
}

constexpr uint32_t kLargeBatch = 20'000;

// The large run's child: reports as crash_test's child does (the same lines).
[[noreturn]] void LargeChild(const std::string& path, const StoreOptions& options, int fd) {
  const Scenario& scenario = LargeScenario();
  const Reporter out(fd);
  out.Write("> O\n");
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(path, options);
  if (!opened.ok()) out.Fail("Open", opened.status());
  Store& store = **opened;
  out.Write("P\n");
  const std::vector<DrawRequest> schedule = DrawSchedule(scenario);
  // A plain draw over three weeks.
  DrawRequest request;
  request.seed = {0x1a26e, 1};
  request.at = scenario.first_draw_at;
  request.first_dose_from = schedule[0].first_dose_from;
  request.first_dose_until = schedule[0].first_dose_from + 20;
  out.Write("> D\n");
  absl::StatusOr<DrawRecord> draw = store.Draw(request);
  if (!draw.ok()) out.Fail("Draw", draw.status());
  out.Write(fmt::format("D {} {}\n", draw->id, draw->series.size()));
  // A committed draw over the next three, revealed.
  request.seed = {};
  request.at = scenario.first_draw_at + absl::Seconds(1);
  request.first_dose_from = schedule[0].first_dose_from + 21;
  request.first_dose_until = schedule[0].first_dose_from + 41;
  out.Write("> M\n");
  absl::StatusOr<DrawCommitment> commitment = store.CommitDraw(request, "large beacon");
  if (!commitment.ok()) out.Fail("CommitDraw", commitment.status());
  out.Write(fmt::format("M {}\n", commitment->id));
  out.Write("> J\n");
  absl::StatusOr<DrawRecord> revealed =
      store.RevealDraw(commitment->id, "large beacon value", request.at + absl::Seconds(1));
  if (!revealed.ok()) out.Fail("RevealDraw", revealed.status());
  out.Write(fmt::format("D {} {}\n", revealed->id, revealed->series.size()));
  // The host acknowledges a page of 100,000 events.
  absl::StatusOr<std::vector<Event>> pending = store.PendingEvents(0, kEventsPerReadMax);
  if (!pending.ok()) out.Fail("PendingEvents", pending.status());
  if (!pending->empty()) {
    out.Write("> A\n");
    if (absl::Status s = store.AcknowledgeEvents(pending->back().id); !s.ok()) {
      out.Fail("AcknowledgeEvents", s);
    }
    out.Write(fmt::format("A {}\n", pending->back().id));
  }
  // A batch of latecomers, and a few cancellations.
  std::vector<RegistrantSpec> specs(kLargeBatch);
  for (uint32_t i = 0; i < kLargeBatch; ++i) {
    specs[i] = scenario.registrants[i];
    specs[i].external_ref = fmt::format("LATE-{}", i);
    specs[i].registered_at = request.at + absl::Seconds(2);
  }
  out.Write("> B\n");
  absl::StatusOr<std::vector<RegistrantId>> ids = store.RegisterBatch(specs);
  if (!ids.ok()) out.Fail("RegisterBatch", ids.status());
  std::string lines;
  for (uint32_t i = 0; i < kLargeBatch; ++i) {
    lines += fmt::format("R {} {}\n", (*ids)[i], specs[i].external_ref);
  }
  out.Write(lines);
  for (int i = 0; i < 20; ++i) {
    const size_t index = static_cast<size_t>(i) * 97;
    if (index >= draw->series.size()) break;
    const SeriesId series = draw->series[index];
    out.Write("> C\n");
    if (absl::Status s = store.CancelSeries(series, request.at + absl::Seconds(3 + i)); !s.ok()) {
      out.Fail("CancelSeries", s);
    }
    out.Write(fmt::format("C {}\n", series));
  }
  _exit(0);
}

// --- Runs and points -------------------------------------------------------------

struct Segment {
  std::string name;
  const Scenario* scenario = nullptr;
  std::string base;  // copied for every point; empty: no file
  StoreOptions options;
  bool power_loss = false;
  double share = 0;  // of the points
  bool fixed_share = false;  // not more, even when other parts have fewer calls than theirs
  std::function<void(const std::string& path, int fd)> body;
  // >= 0: the base is that run's end (a run continued in several parts, so
  // that a point replays a part, not the whole).
  int base_of = -1;
  // From the counting run: its calls on the main thread and on the
  // Store's checkpoint thread, and the file it left.
  std::vector<fault::Call> trace;
  std::vector<fault::Call> checkpoint_trace;
  std::string end;
  std::string output;
  // What the runs that made the base reported: the checks need the file's
  // whole history (the outbox's count of rebookings, the acknowledgments).
  std::string history;
};

void RemoveFile(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

void CopyFile(const std::string& from, const std::string& to) {
  RemoveFile(to);
  for (const char* suffix : {"", "-wal"}) {
    if (fs::exists(from + suffix)) fs::copy_file(from + suffix, to + suffix);
  }
}

// The points for a run of `trace` calls: every sync, truncation and deletion
// (up to half of `count`, spread evenly if more), the rest spread evenly over
// all calls with a seeded offset. 1-based, sorted, distinct.
std::vector<uint64_t> ChoosePoints(const std::vector<fault::Call>& trace, uint64_t count,
                                   SplitMix64& random) {
  std::vector<uint64_t> special;
  for (uint64_t i = 0; i < trace.size(); ++i) {
    if (trace[i] != fault::Call::kWrite) special.push_back(i + 1);
  }
  std::vector<uint64_t> points;
  count = std::min<uint64_t>(count, trace.size());
  const uint64_t special_count = std::min<uint64_t>(special.size(), count / 2);
  for (uint64_t i = 0; i < special_count; ++i) {
    points.push_back(special[i * special.size() / special_count]);
  }
  const uint64_t rest = count - special_count;
  const uint64_t calls = trace.size();
  if (calls > 0 && rest > 0) {
    const uint64_t offset = random.Below(std::max<uint64_t>(1, calls / rest));
    for (uint64_t i = 0; i < rest; ++i) points.push_back(1 + (offset + i * calls / rest) % calls);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  // Topped up to `count` with the calls not taken yet, from a random start.
  if (points.size() < count) {
    std::vector<bool> taken(calls + 1, false);
    for (uint64_t point : points) taken[point] = true;
    for (uint64_t i = 0, n = 1 + random.Below(calls); points.size() < count && i < calls;
         ++i, n = n % calls + 1) {
      if (!taken[n]) points.push_back(n);
      taken[n] = true;
    }
    std::sort(points.begin(), points.end());
  }
  return points;
}

uint64_t PointsWanted() {
  if (const char* text = std::getenv("VAXALLOC_CRASH_POINTS")) {
    return std::strtoull(text, nullptr, 10);
  }
  return testing::SmallScale() ? 60 : 300;
}

struct SegmentStats {
  uint64_t points = 0;
  uint64_t killed = 0;
  uint64_t ran_through = 0;  // the run made fewer calls than N this time
  uint64_t followed = 0;     // points checked with a Store following across the kill
  uint64_t undone_writes = 0;
  std::map<char, uint64_t> during;           // the call in flight, by its report letter
  std::map<std::string, uint64_t> at_call;   // the I/O call the kill hit
  double seconds = 0;
  double check_seconds = 0;  // the parent's checks
  uint64_t on_checkpoints = 0;  // killed at a call of the checkpoint thread
};

// A crash point: the Nth disk call of the main thread or of the others.
struct Point {
  fault::Threads threads = fault::Threads::kArming;
  uint64_t n = 0;
};

std::string Letters(const std::map<char, uint64_t>& during) {
  static const std::map<char, const char*> kNames = {
      {'O', "open"},         {'P', "populate"},   {'R', "register"},     {'B', "batch"},
      {'D', "draw"},         {'M', "commit"},     {'J', "reveal"},       {'C', "cancel"},
      {'W', "withdraw"},     {'F', "delete"},     {'A', "acknowledge"},  {'L', "release"},
      {'S', "supply"},       {'H', "hold"},       {'K', "book"},         {'Q', "standby"},
      {'Y', "confirm"},      {'N', "decline"},    {'T', "expire"},       {'G', "dose"},
      {'V', "rebook"},       {'I', "issue code"}, {'U', "verify code"},  {'-', "between calls"}};
  std::string text;
  for (const auto& [letter, count] : during) {
    auto name = kNames.find(letter);
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ",
                        name == kNames.end() ? std::string(1, letter) : name->second, count);
  }
  return text;
}

class CrashPoints {
 public:
  CrashPoints() : dir_("crash_points"), seed_(TestSeed()), random_(seed_) {}

  void Run() {
    fault::Install();
    const uint64_t wanted = PointsWanted();
    fmt::print("crash_points_test: {} points, seed {} (VAXALLOC_TEST_SEED={} repeats them)\n",
               wanted, seed_, seed_);
    std::fflush(stdout);
    INFO("seed ", seed_);
    BuildSegments();
    const auto start = std::chrono::steady_clock::now();
    // Each part once, counting its calls (and making the next one's file).
    for (size_t index = 0; index < segments_.size(); ++index) {
      Segment& segment = segments_[index];
      CAPTURE(segment.name);
      if (segment.base_of >= 0) {
        const Segment& from = segments_[static_cast<size_t>(segment.base_of)];
        segment.base = from.end;
        segment.history = from.history + from.output;
      }
      segment.end = dir_.File(fmt::format("end{}.sqlite", index));
      Count(segment);
    }
    const std::vector<uint64_t> counts = Allocate(wanted);
    uint64_t total = 0;
    for (size_t index = 0; index < segments_.size(); ++index) {
      Segment& segment = segments_[index];
      CAPTURE(segment.name);
      const uint64_t count = counts[index];
      // A tenth on the checkpoint thread, counted apart: how far each
      // checkpoint gets depends on timing, and counted together the main
      // thread's calls would shift from run to run.
      // (More where the main thread has fewer calls than the part's points.)
      const uint64_t on_checkpoints = std::min<uint64_t>(
          segment.checkpoint_trace.size(),
          std::max<uint64_t>(count / 10, count - std::min<uint64_t>(count, segment.trace.size())));
      std::vector<Point> points;
      for (uint64_t n : ChoosePoints(segment.trace, count - on_checkpoints, random_)) {
        points.push_back(Point{fault::Threads::kArming, n});
      }
      for (uint64_t n : ChoosePoints(segment.checkpoint_trace, on_checkpoints, random_)) {
        points.push_back(Point{fault::Threads::kOthers, n});
      }
      SegmentStats stats;
      const auto segment_start = std::chrono::steady_clock::now();
      for (size_t i = 0; i < points.size(); ++i) {
        CAPTURE(points[i].n);
        CAPTURE(points[i].threads == fault::Threads::kOthers);
        RunPoint(segment, points[i], !segment.power_loss && i % 8 == 7, stats);
      }
      stats.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - segment_start).count();
      total += stats.points;
      Print(segment, stats);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("crash_points_test: {} kill points in {:.1f} s ({:.0f} ms each)\n", total, seconds,
               1000 * seconds / std::max<uint64_t>(1, total));
    std::fflush(stdout);
  }

 private:
  std::string Work() const { return dir_.File("work.sqlite"); }

  // Points per part: a part with a fixed share gets it; the others share the
  // rest in proportion to their shares, none more than it has calls, what
  // one cannot take going to the others.
  std::vector<uint64_t> Allocate(uint64_t wanted) const {
    std::vector<uint64_t> counts(segments_.size(), 0);
    std::vector<uint64_t> room(segments_.size());
    uint64_t left = wanted;
    for (size_t i = 0; i < segments_.size(); ++i) {
      room[i] = segments_[i].trace.size() + segments_[i].checkpoint_trace.size();
      if (segments_[i].fixed_share) {
        counts[i] = std::min<uint64_t>(
            room[i], static_cast<uint64_t>(static_cast<double>(wanted) * segments_[i].share + 0.5));
        left -= std::min(left, counts[i]);
      }
    }
    while (left > 0) {
      double weights = 0;
      for (size_t i = 0; i < segments_.size(); ++i) {
        if (!segments_[i].fixed_share && counts[i] < room[i]) weights += segments_[i].share;
      }
      if (weights == 0) break;  // every call of every part is a point
      uint64_t given = 0;
      for (size_t i = 0; i < segments_.size() && given < left; ++i) {
        if (segments_[i].fixed_share || counts[i] >= room[i]) continue;
        const uint64_t share = std::max<uint64_t>(
            1, static_cast<uint64_t>(static_cast<double>(left) * segments_[i].share / weights));
        const uint64_t take = std::min({share, room[i] - counts[i], left - given});
        counts[i] += take;
        given += take;
      }
      left -= given;
    }
    return counts;
  }

  // The bases: the small scenario populated (by the setup run itself,
  // unkilled) and the large one.
  void BuildSegments() {
    const Scenario& small = PointsScenario();
    const uint32_t registrants_max = static_cast<uint32_t>(small.registrants.size()) + 3000;
    auto child = [registrants_max](int iteration, uint64_t seed, int ops, bool cover,
                                   bool future) {
      ChildPlan plan;
      plan.iteration = iteration;
      plan.seed = seed;
      plan.ops_max = ops;
      plan.registrants_max = registrants_max;
      plan.cover_booking_flows = cover;
      plan.future_stamps = future;
      return plan;
    };
    auto body_of = [&small](ChildPlan plan) {
      return [&small, plan](const std::string& path, int fd) mutable {
        plan.path = path;
        Child(small, plan, fd).Run();
      };
    };
    Segment setup;
    setup.name = "setup";
    setup.scenario = &small;
    setup.share = 0.15;
    setup.body = body_of(child(0, random_.Next(), 0, false, false));
    segments_.push_back(setup);
    // Random operations in eight parts of 100, then the booking and code
    // flows and more operations stamped ahead (attendance, standby).
    int iteration = 1;
    for (int part = 1; part <= kParts; ++part) {
      Segment operations;
      operations.name = fmt::format("operations {}/{}", part, kParts);
      operations.scenario = &small;
      operations.base_of = static_cast<int>(segments_.size()) - 1;
      operations.share = 0.30 / kParts;
      operations.body = body_of(child(iteration++, random_.Next(), 100, false, false));
      segments_.push_back(operations);
    }
    const int operations_end = static_cast<int>(segments_.size()) - 1;
    for (int part = 1; part <= kParts; ++part) {
      Segment booking;
      booking.name = fmt::format("booking {}/{}", part, kParts);
      booking.scenario = &small;
      booking.base_of = static_cast<int>(segments_.size()) - 1;
      booking.share = 0.30 / kParts;
      booking.body = body_of(child(iteration++, random_.Next(), 100, part == 1, true));
      segments_.push_back(booking);
    }

    const std::string large_base = dir_.File("large_base.sqlite");
    {
      const auto start = std::chrono::steady_clock::now();
      std::unique_ptr<Store> store = testing::Ok(Store::Open(large_base));
      testing::Ok(Populate(*store, LargeScenario()));
      store.reset();
      fmt::print("crash_points_test: large base ({} registrants, {:.0f} MB) built in {:.1f} s\n",
                 LargeScenario().registrants.size(),
                 static_cast<double>(fs::file_size(large_base)) / 1e6,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    Segment large;
    large.name = "large";
    large.scenario = &LargeScenario();
    large.base = large_base;
    large.share = 0.015;
    large.fixed_share = true;
    large.body = [](const std::string& path, int fd) { LargeChild(path, StoreOptions{}, fd); };
    segments_.push_back(large);

    // The booking flows again, Durability::kFull, with power cuts: from the
    // end of the operations.
    for (int part = 1; part <= 2; ++part) {
      Segment power;
      power.name = fmt::format("power loss {}/2", part);
      power.scenario = &small;
      power.base_of = part == 1 ? operations_end : static_cast<int>(segments_.size()) - 1;
      power.options.durability = Durability::kFull;
      power.power_loss = true;
      power.share = 0.1175;
      ChildPlan plan = child(iteration++, random_.Next(), 90, part == 1, true);
      plan.options.durability = Durability::kFull;
      power.body = body_of(plan);
      segments_.push_back(power);
    }
  }

  // The run once, unkilled, counting its calls.
  void Count(Segment& segment) {
    RemoveFile(Work());
    if (!segment.base.empty()) CopyFile(segment.base, Work());
    fault::Plan plan;
    plan.calls = fault::kDiskCalls;
    plan.trace = true;
    bool killed = false, finished = false;
    const auto start = std::chrono::steady_clock::now();
    const std::string output = RunChild(
        [&](int fd) {
          fault::Arm(plan);
          segment.body(Work(), fd);
        },
        std::chrono::milliseconds(-1), killed, finished);
    REQUIRE_MESSAGE(finished, output.substr(output.size() > 2000 ? output.size() - 2000 : 0));
    segment.trace.clear();
    segment.checkpoint_trace.clear();
    for (const fault::Traced& traced : fault::Trace()) {
      (traced.other_thread ? segment.checkpoint_trace : segment.trace).push_back(traced.call);
    }
    segment.output = output;
    CopyFile(Work(), segment.end);
    Reported reported;
    Stats stats;
    Parse(segment.history + output, reported, stats);
    REQUIRE_MESSAGE(reported.errors.empty(), reported.errors);
    CheckRecovered(Work(), segment.options, *segment.scenario, reported, false, {});
    // This run's own operations, for the figures.
    reported = Reported{};
    Parse(output, reported, stats);
    uint64_t largest = 0;
    for (const auto& [id, series] : reported.draws) largest = std::max<uint64_t>(largest, series);
    if (segment.name == "large") {
      CHECK(largest >= 100'000u);
      REQUIRE(reported.draws.size() == 2u);
    }
    std::map<fault::Call, uint64_t> kinds;
    for (fault::Call call : segment.trace) ++kinds[call];
    std::map<fault::Call, uint64_t> checkpoint_kinds;
    for (fault::Call call : segment.checkpoint_trace) ++checkpoint_kinds[call];
    auto text_of = [](const std::map<fault::Call, uint64_t>& counts) {
      std::string text;
      for (const auto& [call, count] : counts) {
        text += fmt::format("{}{} {}", text.empty() ? "" : ", ", fault::CallName(call), count);
      }
      return text;
    };
    fmt::print(
        "crash_points_test: {}: the run makes {} disk calls ({}) and its checkpoints {} ({}) in "
        "{:.1f} s; {} draws (the largest {} series), {} registrations, {} cancellations, {} "
        "bookings, {} codes\n",
        segment.name, segment.trace.size(), text_of(kinds), segment.checkpoint_trace.size(),
        text_of(checkpoint_kinds),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        reported.draws.size(), largest, reported.refs.size(), reported.cancelled.size(),
        reported.booked.size(), reported.codes_issued.size());
    std::fflush(stdout);
  }

  void RunPoint(const Segment& segment, const Point& point, bool follow, SegmentStats& stats) {
    RemoveFile(Work());
    if (!segment.base.empty()) CopyFile(segment.base, Work());
    std::unique_ptr<Store> follower;
    if (follow && !segment.base.empty()) {
      StoreOptions read_only;
      read_only.read_only = true;
      follower = testing::Ok(Store::Open(Work(), read_only));
    }
    fault::Plan plan;
    plan.mode = fault::Mode::kCrash;
    plan.calls = fault::kDiskCalls;
    plan.nth = point.n;
    plan.threads = point.threads;
    plan.power_loss = segment.power_loss;
    bool killed = false, finished = false;
    const std::string output = RunChild(
        [&](int fd) {
          fault::Arm(plan);
          segment.body(Work(), fd);
        },
        std::chrono::milliseconds(-1), killed, finished);
    const fault::Counts counts = fault::Read();
    const auto check_start = std::chrono::steady_clock::now();
    ++stats.points;
    Reported reported;
    Stats parsed;
    const char in_flight = Parse(segment.history + output, reported, parsed);
    REQUIRE_MESSAGE(reported.errors.empty(), reported.errors);
    if (killed) {
      ++stats.killed;
      ++stats.during[in_flight == 0 ? '-' : in_flight];
      ++stats.at_call[fault::CallName(counts.first_fault)];
      stats.undone_writes += counts.undone_writes;
      stats.on_checkpoints += point.threads == fault::Threads::kOthers;
    } else {
      REQUIRE(finished);
      ++stats.ran_through;
    }
    if (follower != nullptr) ++stats.followed;
    uint64_t followed = 0;
    CheckRecovered(Work(), segment.options, *segment.scenario, reported,
                   killed && in_flight == 'V', {}, follower != nullptr ? &follower : nullptr,
                   &followed);
    stats.check_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - check_start).count();
  }

  void Print(const Segment& segment, const SegmentStats& stats) {
    std::string calls;
    for (const auto& [call, count] : stats.at_call) {
      calls += fmt::format("{}{} {}", calls.empty() ? "" : ", ", call, count);
    }
    fmt::print(
        "crash_points_test: {}: {} points in {:.1f} s (checks {:.1f} s), {} killed ({} on the "
        "checkpoint thread; {} ran through), {} with a Store following across the kill{}; "
        "killed at {}; during {}\n",
        segment.name, stats.points, stats.seconds, stats.check_seconds, stats.killed,
        stats.on_checkpoints, stats.ran_through, stats.followed,
        segment.power_loss ? fmt::format(", {} unsynced writes undone", stats.undone_writes) : "",
        calls, Letters(stats.during));
    std::fflush(stdout);
  }

  static constexpr int kParts = 8;

  testing::TempDir dir_;
  uint64_t seed_;
  SplitMix64 random_;
  std::vector<Segment> segments_;
};

TEST_CASE("killed at chosen I/O calls, the campaign reopens with every reported change") {
  // Unless TMPDIR says otherwise, the files live in /dev/shm: a process
  // crash does not depend on the disk (a power cut is simulated by the
  // shim), and there the many copies and fsyncs cost nothing.
  std::error_code error;
  if (std::getenv("TMPDIR") == nullptr && fs::is_directory("/dev/shm", error) &&
      access("/dev/shm", W_OK) == 0) {
    setenv("TMPDIR", "/dev/shm", 0);
  }
  CrashPoints().Run();
}

}  // namespace
}  // namespace vaxalloc
