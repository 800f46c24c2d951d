// Crash consistency with fault injection. A child process opens a campaign
// file, completes the scenario in it if needed, then runs random operations
// (draws with fresh seeds, single and batch registrations, cancellations,
// withdrawals, acknowledging events) and reports each one that returned OK
// down a pipe. The parent kills it with SIGKILL after a random delay, reopens
// the file and checks that it opens, that every invariant holds, that every
// reported operation is there, and that the outbox holds exactly one event
// per change. The file is kept across kills, so later kills hit a bigger
// campaign, also in the middle of a long draw, batch or acknowledgment.
//
// The seed is printed; VAXALLOC_TEST_SEED=<seed> repeats the delays and the
// children's choices (the instant a kill lands still depends on the machine).
// VAXALLOC_TEST_SCALE=small (the ASan run) kills fewer times.
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
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

namespace fs = std::filesystem;

bool SmallScale() {
  const char* scale = std::getenv("VAXALLOC_TEST_SCALE");
  return scale != nullptr && std::string_view(scale) == "small";
}

uint64_t TestSeed() {
  if (const char* text = std::getenv("VAXALLOC_TEST_SEED")) return std::strtoull(text, nullptr, 10);
  std::random_device random;
  return (uint64_t{random()} << 32) ^ random();
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device random;
    path_ = fs::temp_directory_path() /
            fmt::format("vaxalloc_crash_test_{}_{}_{}", getpid(), counter++, random());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// A small campaign with room for big draws: seats and doses for more people
// than registered, so a draw over several weeks places thousands of series.
const Scenario& SmallScenario() {
  static const Scenario scenario = [] {
    ScenarioOptions options;
    options.seed = 2021;
    options.registrants = 4000;
    options.seats_first_permille = 8000;
    options.supply_series_permille = 6000;
    absl::StatusOr<Scenario> generated = GenerateScenario(options);
    REQUIRE_MESSAGE(generated.ok(), generated.status());
    return *std::move(generated);
  }();
  return scenario;
}

// --- The child -------------------------------------------------------------------
//
// It reports with write(2) straight to the pipe, one line per fact, right
// after the call returned OK, so that nothing it reports can sit in a buffer
// when it dies:
//   P              the scenario is complete in the file
//   R <ref>        a registrant with this external_ref is registered
//   D <id> <n>     draw <id> committed with <n> series
//   C <series>     the series is cancelled
//   W <registrant> the registrant has withdrawn
//   A <event id>   events through this id are acknowledged
//   > <letter>     it is about to call (statistics): O Open, P Populate,
//                  R Register, B RegisterBatch, D Draw, C CancelSeries,
//                  W Withdraw, A AcknowledgeEvents
//   E <message>    a call failed that should not have; it stops

constexpr int kOpsPerChildMax = 3000;  // one virtual second each: under an hour
constexpr uint32_t kBatchSizeMax = 1000;
// Registrations per child and per kill: the campaign keeps growing over all
// the kills, but stays small enough to reopen and check quickly.
constexpr uint32_t kRegistrationsPerChildMax = 1500;
constexpr uint32_t kRegistrationsPerKill = 500;
constexpr size_t kEventsReadMax = 3000;

class Reporter {
 public:
  explicit Reporter(int fd) : fd_(fd) {}

  void Write(std::string_view text) const {
    while (!text.empty()) {
      const ssize_t written = write(fd_, text.data(), text.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        _exit(4);  // the parent is gone
      }
      text.remove_prefix(static_cast<size_t>(written));
    }
  }

  [[noreturn]] void Fail(std::string_view what, const absl::Status& status) const {
    std::string message = status.ToString();
    std::replace(message.begin(), message.end(), '\n', ' ');
    Write(fmt::format("E {}: {}\n", what, message));
    _exit(3);
  }

 private:
  int fd_;
};

struct ChildPlan {
  std::string path;
  StoreOptions options;
  int iteration = 0;  // unique per file: names the child's refs and seeds
  uint64_t seed = 0;  // of the child's choices
  int ops_max = kOpsPerChildMax;
  uint32_t registrants_max = 0;  // no registration beyond
};

// The child's life: open, complete the scenario, then random operations
// until killed (or ops_max is reached).
class Child {
 public:
  Child(const Scenario& scenario, const ChildPlan& plan, int fd)
      : scenario_(scenario), plan_(plan), out_(fd), random_(plan.seed) {}

  [[noreturn]] void Run() {
    out_.Write("> O\n");
    absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(plan_.path, plan_.options);
    if (!opened.ok()) out_.Fail("Open", opened.status());
    store_ = *std::move(opened);
    // Populate completes an interrupted Populate; once the scenario's people
    // are all in, the campaign has grown past it and is left alone.
    if (engine().registrant_count() < scenario_.registrants.size()) {
      out_.Write("> P\n");
      PopulateOptions populate;
      populate.batch_size = 500;
      if (absl::Status s = Populate(*store_, scenario_, populate); !s.ok())
        out_.Fail("Populate", s);
    }
    out_.Write("P\n");
    // Each child's virtual clock starts an hour after the previous one's:
    // every change comes after the latest draw, as the engine requires.
    now_ = scenario_.first_draw_at + absl::Hours(plan_.iteration);
    for (op_ = 0; op_ < plan_.ops_max; ++op_) {
      now_ += absl::Seconds(1);
      const uint64_t roll = random_.Below(100);
      if (roll < 8) {
        Register(1);
      } else if (roll < 16) {
        Register(1 + static_cast<uint32_t>(random_.Below(kBatchSizeMax)));
      } else if (roll < 24) {
        Draw();
      } else if (roll < 40) {
        Cancel();
      } else if (roll < 48) {
        Withdraw();
      } else {
        Acknowledge();
      }
    }
    _exit(0);
  }

 private:
  const Engine& engine() const { return store_->engine(); }

  // One (Register) or several (RegisterBatch), as far as the room allows.
  void Register(uint32_t wanted) {
    const uint32_t campaign_room =
        plan_.registrants_max - std::min(plan_.registrants_max, engine().registrant_count());
    const uint32_t count = std::min({wanted, kRegistrationsPerChildMax - people_, campaign_room});
    if (count == 0) return;
    std::vector<RegistrantSpec> specs(count);
    for (RegistrantSpec& spec : specs) spec = NewPerson();
    if (wanted == 1) {
      out_.Write("> R\n");
      if (auto id = store_->Register(specs[0]); !id.ok()) out_.Fail("Register", id.status());
    } else {
      out_.Write("> B\n");
      if (auto ids = store_->RegisterBatch(specs); !ids.ok()) {
        out_.Fail("RegisterBatch", ids.status());
      }
    }
    std::string lines;
    for (const RegistrantSpec& spec : specs) lines += fmt::format("R {}\n", spec.external_ref);
    out_.Write(lines);  // one write: a kill leaves a prefix of it at most
  }

  RegistrantSpec NewPerson() {
    RegistrantSpec spec;
    spec.external_ref = fmt::format("K{}-{}", plan_.iteration, people_++);
    spec.district = static_cast<DistrictId>(1 + random_.Below(scenario_.districts.size()));
    spec.birth_day = absl::CivilDay(1930, 1, 1) + static_cast<int64_t>(random_.Below(75 * 365));
    spec.group = static_cast<PriorityGroup>(1 + random_.Below(kPriorityGroupCount));
    spec.channel = random_.Permille(800) ? Channel::kOnline : Channel::kPhone;
    spec.registered_at = now_;
    if (random_.Permille(50)) {
      spec.vaccine_preference =
          static_cast<VaccineId>(1 + random_.Below(scenario_.vaccines.size()));
    }
    return spec;
  }

  // One to six of the schedule's weekly windows, every center or one, with
  // or without a limit.
  void Draw() {
    static const std::vector<DrawRequest> schedule = DrawSchedule(scenario_);
    const DrawRequest& week = schedule[random_.Below(schedule.size())];
    DrawRequest request;
    // Unique in the file: (iteration, op) never repeats.
    request.seed = DrawSeed{(uint64_t(plan_.iteration) << 32) | uint32_t(op_), plan_.seed};
    request.at = now_;
    request.first_dose_from = week.first_dose_from;
    request.first_dose_until =
        std::min(week.first_dose_from + static_cast<int64_t>(7 * (1 + random_.Below(6)) - 1),
                 scenario_.last_day);
    if (random_.Permille(300)) {
      request.series_limit = static_cast<uint32_t>(1 + random_.Below(300));
    }
    if (random_.Permille(200)) {
      request.centers = {static_cast<CenterId>(1 + random_.Below(scenario_.centers.size()))};
    }
    out_.Write("> D\n");
    absl::StatusOr<DrawRecord> record = store_->Draw(request);
    if (!record.ok()) out_.Fail("Draw", record.status());
    out_.Write(fmt::format("D {} {}\n", record->id, record->series.size()));
  }

  // The first id from a random start (wrapping) whose entity passes
  // `wanted`; kNoId after 64 misses.
  template <class Wanted>
  uint32_t FindFrom(uint32_t count, Wanted&& wanted) {
    if (count == 0) return kNoId;
    uint32_t id = static_cast<uint32_t>(1 + random_.Below(count));
    for (int i = 0; i < 64; ++i, id = id % count + 1) {
      if (wanted(id)) return id;
    }
    return kNoId;
  }

  void Cancel() {
    const SeriesId series = FindFrom(engine().series_count(), [&](SeriesId id) {
      return engine().GetSeries(id)->status == SeriesStatus::kActive;
    });
    if (series == kNoId) return;
    out_.Write("> C\n");
    if (absl::Status s = store_->CancelSeries(series, now_); !s.ok()) out_.Fail("CancelSeries", s);
    out_.Write(fmt::format("C {}\n", series));
  }

  void Withdraw() {
    const RegistrantId registrant = FindFrom(engine().registrant_count(), [&](RegistrantId id) {
      return engine().GetRegistrant(id)->status != RegistrantStatus::kWithdrawn;
    });
    if (registrant == kNoId) return;
    out_.Write("> W\n");
    if (absl::Status s = store_->Withdraw(registrant, now_); !s.ok()) out_.Fail("Withdraw", s);
    out_.Write(fmt::format("W {}\n", registrant));
  }

  // The host reads a page, sends it, acknowledges all or part of it.
  void Acknowledge() {
    absl::StatusOr<std::vector<Event>> pending =
        store_->PendingEvents(0, 1 + random_.Below(kEventsReadMax));
    if (!pending.ok()) out_.Fail("PendingEvents", pending.status());
    if (pending->empty()) return;
    const uint64_t through =
        random_.Permille(800) ? pending->back().id : (*pending)[random_.Below(pending->size())].id;
    out_.Write("> A\n");
    if (absl::Status s = store_->AcknowledgeEvents(through); !s.ok()) {
      out_.Fail("AcknowledgeEvents", s);
    }
    out_.Write(fmt::format("A {}\n", through));
  }

  const Scenario& scenario_;
  const ChildPlan& plan_;
  const Reporter out_;
  SplitMix64 random_;
  std::unique_ptr<Store> store_;
  absl::Time now_;
  int op_ = 0;
  uint32_t people_ = 0;  // registered by this child
};

// --- The parent ------------------------------------------------------------------

// Everything the children reported, over all kills.
struct Reported {
  bool populated = false;
  std::vector<std::string> refs;
  absl::flat_hash_map<DrawId, uint32_t> draws;  // id -> series
  std::vector<SeriesId> cancelled;
  std::vector<RegistrantId> withdrawn;
  uint64_t acknowledged_through = 0;
  std::string errors;  // E lines
};

struct Stats {
  int kills = 0;
  int children_finished = 0;
  absl::flat_hash_map<char, int> killed_during;  // by the letter of the call in flight
  uint64_t acknowledgments = 0;
  double check_seconds = 0;
};

// Reads complete lines; returns the letter of the call in flight at the end
// (a '>' line with no report after it), or 0.
char Parse(std::string_view output, Reported& reported, Stats& stats) {
  char in_flight = 0;
  while (true) {
    const size_t end = output.find('\n');
    if (end == std::string_view::npos) break;  // a line cut by the kill
    const std::string_view line = output.substr(0, end);
    output.remove_prefix(end + 1);
    if (line.empty()) continue;
    const std::string_view rest = line.size() > 2 ? line.substr(2) : std::string_view();
    const char kind = line[0];
    if (kind == '>') {
      in_flight = rest.empty() ? 0 : rest[0];
      continue;
    }
    in_flight = 0;
    switch (kind) {
      case 'P':
        reported.populated = true;
        break;
      case 'R':
        reported.refs.emplace_back(rest);
        break;
      case 'D': {
        unsigned draw = 0, series = 0;
        REQUIRE(std::sscanf(std::string(rest).c_str(), "%u %u", &draw, &series) == 2);
        reported.draws[draw] = series;
        break;
      }
      case 'C':
        reported.cancelled.push_back(static_cast<SeriesId>(std::stoul(std::string(rest))));
        break;
      case 'W':
        reported.withdrawn.push_back(static_cast<RegistrantId>(std::stoul(std::string(rest))));
        break;
      case 'A':
        reported.acknowledged_through =
            std::max<uint64_t>(reported.acknowledged_through, std::stoull(std::string(rest)));
        ++stats.acknowledgments;
        break;
      case 'E':
        reported.errors += std::string(line) + "\n";
        break;
      default:
        FAIL("unknown report line: ", std::string(line));
    }
  }
  return in_flight;
}

// A read-only look at what the Store keeps to itself: the outbox's
// high-water mark and SQLite's own integrity check.
struct RawFacts {
  int64_t last_event_id = 0;
  std::string integrity;
};

RawFacts ReadRaw(const std::string& path) {
  RawFacts facts;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", -1,
                             &statement, nullptr) == SQLITE_OK);
  if (sqlite3_step(statement) == SQLITE_ROW)
    facts.last_event_id = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &statement, nullptr) == SQLITE_OK);
  if (sqlite3_step(statement) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(statement, 0);
    facts.integrity = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return facts;
}

// At most a few examples of what is missing, so that a failure stays readable.
struct Missing {
  int count = 0;
  std::string examples;
  void Add(const std::string& what) {
    if (count++ < 5) examples += what + "; ";
  }
};

// Every pending event agrees with the engine; kinds as documented.
void CheckPendingEvents(const Engine& engine, const std::vector<Event>& pending, Missing& wrong) {
  absl::flat_hash_set<SeriesId> cancelled_seen;
  absl::flat_hash_set<RegistrantId> withdrawn_seen;
  SeriesId previous_assigned = kNoId;
  for (const Event& event : pending) {
    const std::string where = fmt::format("event {}", event.id);
    switch (event.kind) {
      case EventKind::kSeriesAssigned: {
        absl::StatusOr<Series> series = engine.GetSeries(event.series);
        if (!series.ok() || series->registrant != event.registrant || series->draw != event.draw ||
            series->booked_at != event.at) {
          wrong.Add(where + " (assigned) does not match its series");
        }
        // Series ids ascend with event ids, without gaps.
        if (previous_assigned != kNoId && event.series != previous_assigned + 1) {
          wrong.Add(where + " assigns series out of order");
        }
        previous_assigned = event.series;
        break;
      }
      case EventKind::kSeriesCancelled: {
        absl::StatusOr<Series> series = engine.GetSeries(event.series);
        if (!series.ok() || series->status != SeriesStatus::kCancelled ||
            series->registrant != event.registrant || event.draw != kNoId ||
            !cancelled_seen.insert(event.series).second) {
          wrong.Add(where + " (cancelled) does not match a cancelled series");
        }
        break;
      }
      case EventKind::kRegistrantWithdrawn: {
        absl::StatusOr<Registrant> registrant = engine.GetRegistrant(event.registrant);
        bool ok = registrant.ok() && registrant->status == RegistrantStatus::kWithdrawn &&
                  event.draw == kNoId && withdrawn_seen.insert(event.registrant).second;
        if (ok && event.series != kNoId) {
          absl::StatusOr<Series> series = engine.GetSeries(event.series);
          ok = series.ok() && series->registrant == event.registrant &&
               series->status == SeriesStatus::kCancelled;
        }
        if (!ok) wrong.Add(where + " (withdrawn) does not match a withdrawn registrant");
        break;
      }
      default:
        wrong.Add(where + " has an unknown kind");
    }
  }
  // The pending assignments are the newest series, up to the last one.
  if (previous_assigned != kNoId && previous_assigned != engine.series_count()) {
    wrong.Add(fmt::format("the last pending assignment is of series {}, the last series is {}",
                          previous_assigned, engine.series_count()));
  }
}

// Every operation reported done is there.
void CheckReportedPresent(const Engine& engine, const Scenario& scenario,
                          const Reported& reported) {
  if (reported.populated) {
    CHECK(engine.registrant_count() >= scenario.registrants.size());
    CHECK(engine.center_count() == scenario.centers.size());
    CHECK(engine.capacity_blocks().size() == scenario.capacity.size());
    CHECK(engine.deliveries().size() == scenario.supply.size());
    CHECK(engine.policy_version() == 2u);
  }
  Missing missing;
  for (const std::string& ref : reported.refs) {
    if (!engine.FindRegistrant(ref).ok()) missing.Add("registrant " + ref);
  }
  for (const auto& [id, series] : reported.draws) {
    absl::StatusOr<DrawRecord> draw = engine.GetDraw(id);
    if (!draw.ok() || draw->series.size() != series) {
      missing.Add(fmt::format("draw {} with {} series", id, series));
    }
  }
  for (SeriesId id : reported.cancelled) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || series->status != SeriesStatus::kCancelled) {
      missing.Add(fmt::format("cancellation of series {}", id));
    }
  }
  for (RegistrantId id : reported.withdrawn) {
    absl::StatusOr<Registrant> registrant = engine.GetRegistrant(id);
    if (!registrant.ok() || registrant->status != RegistrantStatus::kWithdrawn) {
      missing.Add(fmt::format("withdrawal of registrant {}", id));
    }
  }
  REQUIRE_MESSAGE(missing.count == 0, missing.count,
                  " reported operations are missing: ", missing.examples);
}

// The outbox: ids 1..last were all written (a rolled-back transaction takes
// its ids back), one per change; the pending ones are exactly those above
// the last acknowledgment, and those pending before that were not
// acknowledged since come back unchanged. Returns the pending events.
std::vector<Event> CheckOutbox(const Store& store, const Reported& reported,
                               const std::vector<Event>& pending_before) {
  const Engine& engine = store.engine();
  std::vector<Event> pending;
  for (uint64_t after = 0;;) {
    absl::StatusOr<std::vector<Event>> page = store.PendingEvents(after, kEventsPerReadMax);
    REQUIRE_MESSAGE(page.ok(), page.status());
    if (page->empty()) break;
    after = page->back().id;
    pending.insert(pending.end(), page->begin(), page->end());
  }
  const RawFacts raw = ReadRaw(store.path());
  CHECK(raw.integrity == "ok");
  const uint64_t last = static_cast<uint64_t>(raw.last_event_id);
  const Report report = engine.Summarize();
  REQUIRE(last == engine.series_count() + report.series_cancelled + report.withdrawn);
  const uint64_t first_pending = pending.empty() ? last + 1 : pending.front().id;
  REQUIRE(first_pending > reported.acknowledged_through);
  for (size_t i = 0; i < pending.size(); ++i) {
    REQUIRE_MESSAGE(pending[i].id == first_pending + i, "pending event ids have a gap");
  }
  if (!pending.empty()) REQUIRE(pending.back().id == last);
  Missing wrong;
  CheckPendingEvents(engine, pending, wrong);
  // At least once.
  for (const Event& before : pending_before) {
    if (before.id < first_pending) continue;
    const size_t index = before.id - first_pending;
    if (index >= pending.size() || pending[index].kind != before.kind ||
        pending[index].at != before.at || pending[index].registrant != before.registrant ||
        pending[index].series != before.series || pending[index].draw != before.draw) {
      wrong.Add(fmt::format("event {} changed or vanished without acknowledgment", before.id));
    }
  }
  REQUIRE_MESSAGE(wrong.count == 0, wrong.count, " outbox problems: ", wrong.examples);
  return pending;
}

// Reopens the file after a kill and checks everything; returns the pending
// events for the next round's comparison.
std::vector<Event> CheckRecovered(const std::string& path, const StoreOptions& options,
                                  const Scenario& scenario, const Reported& reported,
                                  const std::vector<Event>& pending_before) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(path, options);
  REQUIRE_MESSAGE(opened.ok(), opened.status());
  const InvariantReport invariants = CheckInvariants((*opened)->engine());
  REQUIRE_MESSAGE(invariants.ok(), invariants.ToString());
  CheckReportedPresent((*opened)->engine(), scenario, reported);
  return CheckOutbox(**opened, reported, pending_before);
}

// Forks a child for `plan`, kills it after `delay` (never, if negative, when
// it must finish by itself), and returns what it reported.
std::string RunAndKill(const Scenario& scenario, const ChildPlan& plan,
                       std::chrono::milliseconds delay, bool& killed, bool& finished) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    Child(scenario, plan, fds[1]).Run();
  }
  close(fds[1]);
  const bool kill_it = delay.count() >= 0;
  // A child left to finish gets a generous bound, then is killed as hung.
  const auto deadline =
      std::chrono::steady_clock::now() + (kill_it ? delay : std::chrono::milliseconds(120'000));
  std::string output;
  char buffer[65536];
  bool eof = false;
  while (!eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd poll_fd{fds[0], POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n > 0) output.append(buffer, static_cast<size_t>(n));
    if (n == 0) eof = true;  // the child exited by itself
  }
  kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  for (;;) {  // what it wrote before dying
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!killed && !finished) {
    FAIL_CHECK("child ended with status ", status, "; its last output: ",
               output.substr(output.size() > 2000 ? output.size() - 2000 : 0));
  }
  return output;
}

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
      "crash_test: durability {}: {} kills (during open {}, populate {}, draw {}, batch {}, "
      "register {}, cancel {}, withdraw {}, acknowledge {}), {} children finished before their "
      "kill\n",
      durability_name, stats.kills, during('O'), during('P'), during('D'), during('B'), during('R'),
      during('C'), during('W'), during('A'), stats.children_finished);
  fmt::print(
      "crash_test: reported {} registrations, {} draws with {} series (the largest {}), {} "
      "cancellations, {} withdrawals, {} acknowledgments through event {}; {} events pending; "
      "the checks took {:.1f} s\n",
      reported.refs.size(), reported.draws.size(), series, largest, reported.cancelled.size(),
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
  plan.registrants_max = static_cast<uint32_t>(scenario.registrants.size()) +
                         kRegistrationsPerKill * static_cast<uint32_t>(kills + 1);
  SplitMix64 random(seed);
  Reported reported;
  Stats stats;
  std::vector<Event> pending;
  if (durability == Durability::kFull) {
    // Kills during Populate are the normal run's; here every fsync'ed
    // transaction of the setup would eat the kill delays.
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(plan.path);
    REQUIRE_MESSAGE(store.ok(), store.status());
    const absl::Status populated = Populate(**store, scenario);
    REQUIRE_MESSAGE(populated.ok(), populated);
    reported.populated = true;
  }
  // The last round is not killed: it runs a fixed number of operations to the
  // end, so that every kind of operation is reported and checked.
  for (int iteration = 0; iteration <= kills; ++iteration) {
    CAPTURE(iteration);
    const bool last = iteration == kills;
    plan.iteration = iteration;
    plan.seed = random.Next();
    plan.ops_max = last ? 200 : kOpsPerChildMax;
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
    pending = CheckRecovered(plan.path, plan.options, scenario, reported, pending);
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
  PrintSummary(durability_name, reported, stats, pending.size());
}

TEST_CASE("killed at random instants, the campaign reopens with every reported change") {
  RunCrashCampaign(Durability::kNormal, SmallScale() ? 10 : 40);
}

TEST_CASE("the same with Durability::kFull") {
  RunCrashCampaign(Durability::kFull, SmallScale() ? 5 : 20);
}

}  // namespace
}  // namespace vaxalloc
