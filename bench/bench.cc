// vaxalloc_bench: the figures of docs/benchmarks.md, each the median of
// several runs, side by side with a plain-SQL baseline on the same scenario.
//
//   vaxalloc_bench [--registrants N] [--series M] [--runs R] [--dir PATH]
//                  [--no-baseline] [--journal-only]
//
// --no-baseline skips the plain-SQL baseline (most of an 8 M run's time) and
// the two ratios that need it. --journal-only runs only the figures of the
// operation journal (docs/journal.md): catch-up per entry, bookings with 1, 2
// and 4 processes on one file, a second process's read right after a write.
//
// The scenario comes from the shared generator (scenario.h), so the demo, the
// tests and these figures describe the same kind of campaign.
#include <malloc.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/sql_baseline.h"
#include "fmt/format.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"

namespace vaxalloc::bench {
namespace {

struct Options {
  uint32_t registrants = 1'000'000;
  uint32_t series = 0;  // 0: registrants / 8
  int runs = 3;
  std::string dir = "build/bench-data";
  bool baseline = true;
  bool journal_only = false;
};

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  fmt::print(stderr, "vaxalloc_bench: {}: {}\n", what, status.ToString());
  std::exit(1);
}

template <class T>
T Check(const std::string& what, absl::StatusOr<T> value) {
  if (!value.ok()) Fail(what, value.status());
  return *std::move(value);
}

void Check(const std::string& what, const absl::Status& status) {
  if (!status.ok()) Fail(what, status);
}

double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

template <class Fn>
double Time(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return Seconds(std::chrono::steady_clock::now() - start);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

size_t HeapInUse() { return mallinfo2().uordblks + mallinfo2().hblkhd; }

struct Row {
  std::string figure;
  std::string value;
  std::string target;
  std::string verdict;
};

std::string Rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f} M/s", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f} k/s", per_second / 1e3);
  return fmt::format("{:.0f} /s", per_second);
}

std::string Verdict(bool met, double factor) {
  return met ? fmt::format("met ({:.1f}x)", factor) : fmt::format("MISSED ({:.2f}x)", factor);
}

// A draw request that can place `series` first doses: a window over most of
// the calendar, limited to the requested number of series.
DrawRequest BigDraw(const Scenario& scenario, uint32_t series, uint64_t seed) {
  DrawRequest request = DrawSchedule(scenario).front();
  request.seed = DrawSeed{seed, 0x5eed};
  request.first_dose_until = scenario.last_day - 45;
  request.series_limit = series;
  return request;
}

Engine PopulatedEngine(const Scenario& scenario) {
  Engine engine;
  Check("populate engine", Populate(engine, scenario));
  return engine;
}

void RunBaseline(const Options& options, const Scenario& scenario, uint32_t series,
                 double durable_rate, double memory_draw_rate, std::vector<Row>& rows);
void PrintRows(const std::vector<Row>& rows);
void RunJournal(const Options& options, const Scenario& scenario, const std::string& master,
                std::vector<Row>& rows);

void Run(const Options& options) {
  const uint32_t series = options.series ? options.series : options.registrants / 8;
  fmt::print("vaxalloc_bench: {} registrants, draws of {} series, median of {} runs, {} cores\n",
             options.registrants, series, options.runs, std::thread::hardware_concurrency());
  ScenarioOptions scenario_options;
  scenario_options.registrants = options.registrants;
  const Scenario scenario = Check("scenario", GenerateScenario(scenario_options));
  std::vector<Row> rows;
  if (options.journal_only) {
    std::filesystem::create_directories(options.dir);
    const std::string master = options.dir + "/bench-master.sqlite";
    std::filesystem::remove(master);
    {
      auto store = Check("open store", Store::Open(master));
      Check("populate store", Populate(*store, scenario));
    }
    RunJournal(options, scenario, master, rows);
    PrintRows(rows);
    return;
  }

  // Bulk registration and memory, in memory.
  std::vector<double> register_seconds;
  size_t bytes_per_registrant = 0;
  for (int run = 0; run < options.runs; ++run) {
    Engine engine;
    Scenario setup = scenario;
    setup.registrants.clear();
    Check("setup", Populate(engine, setup));
    const size_t heap_before = HeapInUse();
    register_seconds.push_back(Time([&] {
      for (size_t begin = 0; begin < scenario.registrants.size(); begin += 100'000) {
        const size_t count = std::min<size_t>(100'000, scenario.registrants.size() - begin);
        Check("register", engine.RegisterBatch(
                              absl::MakeConstSpan(scenario.registrants).subspan(begin, count)));
      }
    }));
    bytes_per_registrant = (HeapInUse() - heap_before) / std::max<size_t>(1, options.registrants);
  }
  const double register_rate = options.registrants / Median(register_seconds);
  rows.push_back({"bulk registration (in memory)", Rate(register_rate), ">= 500 k/s",
                  Verdict(register_rate >= 500'000, register_rate / 500'000)});
  rows.push_back(
      {"memory per registrant (heap)", fmt::format("{} bytes", bytes_per_registrant),
       "<= 200 bytes",
       Verdict(bytes_per_registrant <= 200, 200.0 / std::max<size_t>(1, bytes_per_registrant))});

  // In-memory draw: Prepare (the allocation) and Apply (the engine takes its
  // series), each run on a freshly populated engine with its own seed.
  Engine engine;
  std::vector<double> draw_seconds;
  size_t placed = 0;
  for (int run = 0; run < options.runs; ++run) {
    engine = PopulatedEngine(scenario);
    // Freeing the outcome is the caller's business, after the draw.
    std::optional<Prepared<DrawOutcome>> prepared;
    draw_seconds.push_back(Time([&] {
      prepared = Check("prepare draw", engine.PrepareDraw(BigDraw(scenario, series, 100 + run)));
      engine.Apply(*prepared);
    }));
    placed = prepared->change.series.size();
  }
  const double memory_draw_rate = placed / Median(draw_seconds);
  rows.push_back({fmt::format("in-memory draw ({} placed)", placed), Rate(memory_draw_rate),
                  ">= 2 M/s", Verdict(memory_draw_rate >= 2e6, memory_draw_rate / 2e6)});
  const InvariantReport report = CheckInvariants(engine);
  if (!report.ok())
    Fail("invariants after the in-memory draw", absl::InternalError(report.ToString()));

  // Durable: populate a store once, then per run copy the file, reopen it
  // and draw.
  std::filesystem::create_directories(options.dir);
  const std::string master = options.dir + "/bench-master.sqlite";
  std::filesystem::remove(master);
  double durable_register_seconds = 0;
  {
    auto store = Check("open store", Store::Open(master));
    Scenario setup = scenario;
    setup.registrants.clear();
    Check("setup store", Populate(*store, setup));
    durable_register_seconds = Time([&] {
      for (size_t begin = 0; begin < scenario.registrants.size(); begin += 100'000) {
        const size_t count = std::min<size_t>(100'000, scenario.registrants.size() - begin);
        Check(
            "register durably",
            store->RegisterBatch(absl::MakeConstSpan(scenario.registrants).subspan(begin, count)));
      }
    });
  }
  rows.push_back({"bulk registration (durable)",
                  Rate(options.registrants / durable_register_seconds), "(no target)", ""});
  std::vector<double> reopen_seconds, durable_seconds;
  size_t durable_placed = 0;
  for (int run = 0; run < options.runs; ++run) {
    const std::string copy = options.dir + "/bench-run.sqlite";
    std::filesystem::remove(copy);
    std::filesystem::copy_file(master, copy);
    std::unique_ptr<Store> store;
    reopen_seconds.push_back(Time([&] { store = Check("reopen", Store::Open(copy)); }));
    DrawRecord record;
    durable_seconds.push_back(Time([&] {
      record = Check("durable draw", store->Draw(BigDraw(scenario, series, 100 + run)));
    }));
    durable_placed = record.series.size();
  }
  const double durable_rate = durable_placed / Median(durable_seconds);
  const double reopen = Median(reopen_seconds);
  rows.push_back({fmt::format("durable draw ({} placed)", durable_placed), Rate(durable_rate),
                  ">= 200 k/s", Verdict(durable_rate >= 200'000, durable_rate / 200'000)});
  // The same draw committed (docs/draw.md section 9): the commit freezes and
  // hashes the inputs, the reveal builds them again, compares, and draws.
  // The peer is the plain durable draw just measured, on the same file.
  std::vector<double> commit_seconds, reveal_seconds, bundle_seconds;
  size_t input_bytes = 0, bundle_bytes = 0, committed_placed = 0;
  for (int run = 0; run < options.runs; ++run) {
    const std::string copy = options.dir + "/bench-run.sqlite";
    std::filesystem::remove(copy);
    std::filesystem::copy_file(master, copy);
    auto store = Check("reopen", Store::Open(copy));
    DrawRequest request = BigDraw(scenario, series, 0);
    request.seed = DrawSeed{};
    DrawCommitment commitment;
    commit_seconds.push_back(
        Time([&] { commitment = Check("commit draw", store->CommitDraw(request, "bench")); }));
    DrawRecord record;
    reveal_seconds.push_back(Time([&] {
      record = Check("reveal draw",
                     store->RevealDraw(commitment.id, fmt::format("beacon {}", run), request.at));
    }));
    bundle_seconds.push_back(Time([&] {
      Check("bundle", store->engine().WriteDrawBundle(commitment.id,
                                                      options.dir + "/bench-bundle.vxd"));
    }));
    input_bytes = commitment.input_bytes;
    bundle_bytes = std::filesystem::file_size(options.dir + "/bench-bundle.vxd");
    committed_placed = record.series.size();
  }
  const double reveal = Median(reveal_seconds);
  rows.push_back({fmt::format("commit draw ({:.0f} MB of inputs)", input_bytes / 1e6),
                  fmt::format("{:.2f} s", Median(commit_seconds)), "(no target)", ""});
  rows.push_back({fmt::format("reveal draw ({} placed)", committed_placed),
                  fmt::format("{:.2f} s", reveal),
                  fmt::format("plain draw {:.2f} s", durable_placed / durable_rate),
                  fmt::format("{:.2f}x the plain draw", reveal * durable_rate / durable_placed)});
  rows.push_back({fmt::format("write audit bundle ({:.0f} MB)", bundle_bytes / 1e6),
                  fmt::format("{:.2f} s", Median(bundle_seconds)), "(no target)", ""});
  // The reopen target is for 8 M registrants; scale linearly for a smaller run.
  const double reopen_target = 5.0 * options.registrants / 8e6;
  rows.push_back({fmt::format("reopen, {} registrants", options.registrants),
                  fmt::format("{:.2f} s", reopen), fmt::format("<= {:.2f} s", reopen_target),
                  Verdict(reopen <= reopen_target, reopen_target / reopen)});
  // Single transactions on the drawn store: registrations, cancellations of
  // the draw's first series (freeing early seats), short-notice swaps into
  // those seats, and self-bookings in a release.
  {
    const std::string copy = options.dir + "/bench-run.sqlite";
    std::unique_ptr<Store> store = Check("reopen for single transactions", Store::Open(copy));
    const Engine& drawn = store->engine();
    const int count = 2000;
    absl::Time at = BigDraw(scenario, series, 0).at + absl::Hours(1);
    std::vector<double> latencies;
    auto add_row = [&](const std::string& figure, const std::string& target, double per_second_min,
                       double p99_max) {
      if (latencies.empty()) {
        rows.push_back({figure, "n/a", target, "nothing measured"});
        return;
      }
      std::sort(latencies.begin(), latencies.end());
      double total = 0;
      for (double latency : latencies) total += latency;
      const double rate = latencies.size() / total;
      const double p99 = latencies[latencies.size() * 99 / 100];
      std::string verdict = fmt::format("p99 {:.3f} ms", p99 * 1e3);
      if (per_second_min > 0) {
        const bool met = rate >= per_second_min && (p99_max == 0 || p99 <= p99_max);
        verdict = fmt::format("{}, {}", Verdict(met, rate / per_second_min), verdict);
      }
      rows.push_back({figure, Rate(rate), target, verdict});
      latencies.clear();
    };
    for (int i = 0; i < count; ++i) {
      RegistrantSpec spec =
          scenario.registrants[static_cast<size_t>(i) % scenario.registrants.size()];
      spec.external_ref = fmt::format("BENCH-{:08d}", i);
      spec.registered_at = at + absl::Seconds(i);
      latencies.push_back(Time([&] { Check("single registration", store->Register(spec)); }));
    }
    add_row("single registration, own transaction", "(no target)", 0, 0);

    at += absl::Hours(2);
    for (SeriesId id = 1; id <= drawn.series_count() && latencies.size() < count; ++id) {
      at += absl::Milliseconds(1);
      latencies.push_back(Time([&] { Check("single cancellation", store->CancelSeries(id, at)); }));
    }
    add_row("single cancellation, own transaction", "(no target)", 0, 0);

    // The swaps: online people drawn for the window's last days move into
    // the seats the cancellations freed.
    Policy policy = drawn.policy();
    policy.short_notice_days = 14;
    Check("short-notice policy", store->SetPolicy(policy));
    uint32_t swaps_refused = 0;
    for (SeriesId id = drawn.series_count(); id >= 1 && latencies.size() < count; --id) {
      const Series old = Check("series", drawn.GetSeries(id));
      const Registrant person = Check("registrant", drawn.GetRegistrant(old.registrant));
      if (old.status != SeriesStatus::kActive || person.spec.channel != Channel::kOnline) continue;
      BookingRequest request;
      request.registrant = old.registrant;
      request.at = (at += absl::Milliseconds(1));
      request.mode = BookingMode::kShortNotice;
      request.confirm = true;
      absl::StatusOr<Series> swapped;
      const double seconds = Time([&] { swapped = store->Book(request); });
      if (!swapped.ok()) {
        if (swapped.status().code() != absl::StatusCode::kResourceExhausted) {
          Check("short-notice swap", swapped.status());
        }
        if (++swaps_refused > 100'000) break;
        continue;
      }
      latencies.push_back(seconds);
    }
    add_row("short-notice swap (book + cancel, one transaction)", ">= 5 k/s", 5'000, 0);

    // Self-booking in a release of every center's last free month.
    for (CenterId center = 1; center <= drawn.center_count(); ++center) {
      ReleaseSpec release;
      release.center = center;
      release.first_day = scenario.last_day - 75;
      release.last_day = scenario.last_day - 46;
      release.release_at = at;
      Check("release", store->AddRelease(release));
    }
    uint32_t bookings_refused = 0;
    for (RegistrantId id = 1; id <= drawn.registrant_count() && latencies.size() < count; ++id) {
      if (Check("registrant", drawn.GetRegistrant(id)).status != RegistrantStatus::kWaiting)
        continue;
      BookingRequest request;
      request.registrant = id;
      request.at = (at += absl::Milliseconds(1));
      request.confirm = true;
      absl::StatusOr<Series> booked;
      const double seconds = Time([&] { booked = store->Book(request); });
      if (!booked.ok()) {
        if (booked.status().code() != absl::StatusCode::kResourceExhausted) {
          Check("self-booking", booked.status());
        }
        ++bookings_refused;
        continue;
      }
      latencies.push_back(seconds);
    }
    add_row("single self-booking, own transaction", ">= 10 k/s, p99 <= 2 ms", 10'000, 2e-3);

    // The press office's page: Summarize and ForecastWait together, from the
    // engine's counters (issue 4: cheap enough for every page view).
    for (int i = 0; i < 200; ++i) {
      const double seconds = Time([&] {
        const Report report = drawn.Summarize();
        const absl::StatusOr<WaitForecast> forecast = drawn.ForecastWait(at);
        Check("forecast", forecast.status());
        if (report.registrants == 0) Fail("report", absl::InternalError("no registrants"));
      });
      latencies.push_back(seconds);
    }
    add_row("report page (Summarize + ForecastWait)", "every page view", 0, 0);
    const InvariantReport after = CheckInvariants(drawn);
    if (!after.ok())
      Fail("invariants after the single transactions", absl::InternalError(after.ToString()));
  }

  RunJournal(options, scenario, master, rows);

  // The baseline: the same scenario and draw in plain SQL.
  if (options.baseline) RunBaseline(options, scenario, series, durable_rate, memory_draw_rate, rows);
  PrintRows(rows);
  std::filesystem::remove(options.dir + "/bench-run.sqlite");
}

void RunBaseline(const Options& options, const Scenario& scenario, uint32_t series,
                 double durable_rate, double memory_draw_rate, std::vector<Row>& rows) {
  const std::string baseline_master = options.dir + "/baseline-master.sqlite";
  Check("baseline build", BuildBaseline(baseline_master, scenario));
  std::vector<double> baseline_seconds;
  uint64_t baseline_placed = 0;
  for (int run = 0; run < options.runs; ++run) {
    const std::string copy = options.dir + "/baseline-run.sqlite";
    std::filesystem::remove(copy);
    std::filesystem::copy_file(baseline_master, copy);
    baseline_seconds.push_back(Time([&] {
      baseline_placed = Check(
          "baseline draw", RunBaselineDraw(copy, scenario, BigDraw(scenario, series, 100 + run)));
    }));
  }
  const double baseline_rate = baseline_placed / Median(baseline_seconds);
  rows.push_back({fmt::format("SQL baseline draw ({} placed)", baseline_placed),
                  Rate(baseline_rate), "(reference)", ""});
  rows.push_back({"durable draw vs SQL baseline",
                  fmt::format("{:.1f}x", durable_rate / baseline_rate), ">= 5x",
                  Verdict(durable_rate / baseline_rate >= 5, durable_rate / baseline_rate / 5)});
  rows.push_back(
      {"in-memory draw vs SQL baseline", fmt::format("{:.1f}x", memory_draw_rate / baseline_rate),
       ">= 40x",
       Verdict(memory_draw_rate / baseline_rate >= 40, memory_draw_rate / baseline_rate / 40)});
  std::filesystem::remove(options.dir + "/baseline-run.sqlite");
}

// --- The journal (docs/journal.md) ------------------------------------------------

// A release of every center's last free month, opened at `at`, on `store`.
void AddReleases(Store& store, const Scenario& scenario, absl::Time at) {
  for (CenterId center = 1; center <= store.engine().center_count(); ++center) {
    ReleaseSpec release;
    release.center = center;
    release.first_day = scenario.last_day - 75;
    release.last_day = scenario.last_day - 46;
    release.release_at = at;
    Check("release", store.AddRelease(release));
  }
}

// Books the first `count` waiting registrants with id = first + k * stride;
// returns each booking's latency (refused ones are skipped).
std::vector<double> BookMany(Store& store, RegistrantId first, RegistrantId stride, size_t count,
                             absl::Time at) {
  std::vector<double> latencies;
  for (RegistrantId id = first; latencies.size() < count; id += stride) {
    if (id > store.engine().registrant_count()) break;
    BookingRequest request;
    request.registrant = id;
    request.at = at + absl::Microseconds(id);
    request.confirm = true;
    absl::StatusOr<Series> booked;
    const double seconds = Time([&] { booked = store.Book(request); });
    if (!booked.ok()) {
      if (booked.status().code() != absl::StatusCode::kResourceExhausted &&
          booked.status().code() != absl::StatusCode::kFailedPrecondition) {
        Check("booking", booked.status());
      }
      continue;
    }
    latencies.push_back(seconds);
  }
  return latencies;
}

double Percentile(std::vector<double> values, int percent) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, values.size() * percent / 100)];
}

void RunJournal(const Options& options, const Scenario& scenario, const std::string& master,
                std::vector<Row>& rows) {
  const std::string path = options.dir + "/bench-journal.sqlite";
  const absl::Time at = BigDraw(scenario, 1, 0).at + absl::Hours(1);
  auto fresh_copy = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    std::filesystem::copy_file(master, path);
    auto store = Check("open journal copy", Store::Open(path));
    AddReleases(*store, scenario, at);
  };

  // Catch-up: a follower loaded before 5,000 bookings applies them.
  {
    fresh_copy();
    auto writer = Check("open", Store::Open(path));
    StoreOptions read_only;
    read_only.read_only = true;
    auto follower = Check("open follower", Store::Open(path, read_only));
    const size_t bookings = 5000;
    const std::vector<double> written = BookMany(*writer, 1, 7, bookings, at);
    double written_seconds = 0;
    for (double seconds : written) written_seconds += seconds;
    const uint64_t behind = writer->journal_seq() - follower->journal_seq();
    const double seconds = Time([&] { Check("catch up", follower->Refresh()); });
    rows.push_back({fmt::format("catch-up, {} booking entries", behind),
                    fmt::format("{:.1f} us/entry", seconds * 1e6 / std::max<uint64_t>(1, behind)),
                    "(no target)",
                    fmt::format("writing them took {:.1f} us each",
                                written_seconds * 1e6 / std::max<size_t>(1, written.size()))});
    // A draw's entry: replayed, not reloaded.
    DrawRequest request = BigDraw(scenario, options.registrants / 8, 77);
    request.at = at + absl::Hours(24);
    const double draw_seconds =
        Time([&] { Check("journal draw", writer->Draw(request).status()); });
    const size_t placed = writer->engine().draw_count() > 0
                              ? Check("draw", writer->engine().GetDraw(
                                                  writer->engine().draw_count()))
                                    .series.size()
                              : 0;
    const double replay_seconds = Time([&] { Check("catch up draw", follower->Refresh()); });
    rows.push_back({fmt::format("catch-up, one draw entry ({} series)", placed),
                    fmt::format("{:.3f} s", replay_seconds), "(no target)",
                    fmt::format("the draw took {:.3f} s", draw_seconds)});
    double reopen_seconds = Time([&] { Check("reopen", Store::Open(path).status()); });
    rows.push_back({"reopen of that file (for comparison)", fmt::format("{:.3f} s", reopen_seconds),
                    "(no target)", ""});
    const uint64_t entries = writer->journal_seq();
    const double verify_seconds = Time([&] {
      const JournalCheck check = Check("verify", writer->VerifyJournal());
      if (!check.intact()) Fail("verify", absl::DataLossError(check.problem));
    });
    rows.push_back({fmt::format("VerifyJournal, {} entries", entries),
                    fmt::format("{:.3f} s", verify_seconds), "(no target)", ""});
  }

  // Bookings with 1, 2 and 4 processes on one file, each booking its own
  // registrants (ids k, k + P, k + 2P, ...), synchronous=NORMAL.
  for (int processes : {1, 2, 4}) {
    fresh_copy();
    const size_t per_process = 4000 / static_cast<size_t>(processes);
    std::vector<int> pipes;
    std::vector<pid_t> pids;
    std::fflush(nullptr);
    for (int p = 0; p < processes; ++p) {
      int fds[2];
      if (pipe(fds) != 0) Fail("pipe", absl::InternalError("pipe failed"));
      const pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        auto store = Check("open worker", Store::Open(path));
        // The clock (CLOCK_MONOTONIC, one for all processes) runs from after
        // the open: the rate is of bookings, not of loading the file.
        const double began = Seconds(std::chrono::steady_clock::now().time_since_epoch());
        const std::vector<double> latencies =
            BookMany(*store, static_cast<RegistrantId>(1 + p), static_cast<RegistrantId>(processes),
                     per_process, at);
        const double ended = Seconds(std::chrono::steady_clock::now().time_since_epoch());
        const std::string line = fmt::format("{} {} {} {}\n", latencies.size(),
                                             Percentile(latencies, 99), began, ended);
        if (write(fds[1], line.data(), line.size()) < 0) _exit(3);
        _exit(0);
      }
      close(fds[1]);
      pipes.push_back(fds[0]);
      pids.push_back(pid);
    }
    size_t booked = 0;
    double p99 = 0, first_began = 1e300, last_ended = 0;
    for (size_t p = 0; p < pids.size(); ++p) {
      char buffer[128] = {};
      const ssize_t n = read(pipes[p], buffer, sizeof buffer - 1);
      close(pipes[p]);
      int status = 0;
      waitpid(pids[p], &status, 0);
      if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        Fail("booking worker", absl::InternalError("a worker failed"));
      }
      size_t count = 0;
      double worker_p99 = 0, began = 0, ended = 0;
      std::sscanf(buffer, "%zu %lf %lf %lf", &count, &worker_p99, &began, &ended);
      booked += count;
      p99 = std::max(p99, worker_p99);
      first_began = std::min(first_began, began);
      last_ended = std::max(last_ended, ended);
    }
    const double seconds = last_ended - first_began;
    rows.push_back({fmt::format("self-bookings, {} process{} on one file", processes,
                                processes == 1 ? "" : "es"),
                    Rate(booked / seconds), "(no target)",
                    fmt::format("{} booked, worst p99 {:.3f} ms", booked, p99 * 1e3)});
  }

  // A second process reads right after the first wrote: the time from
  // being told the series id to reading it (catching up included).
  {
    fresh_copy();
    int to_reader[2], from_reader[2];
    if (pipe(to_reader) != 0 || pipe(from_reader) != 0) Fail("pipe", absl::InternalError("pipe"));
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      close(to_reader[1]);
      close(from_reader[0]);
      StoreOptions read_only;
      read_only.read_only = true;
      auto reader = Check("open reader", Store::Open(path, read_only));
      std::vector<double> latencies;
      uint32_t id = 0;
      while (read(to_reader[0], &id, sizeof id) == sizeof id && id != 0) {
        const double seconds = Time([&] {
          Check("reader refresh", reader->Refresh());
          Check("read after write", reader->engine().GetSeries(id).status());
        });
        latencies.push_back(seconds);
        char ack = 1;
        if (write(from_reader[1], &ack, 1) != 1) _exit(3);
      }
      const std::string line = fmt::format("{} {} {}", latencies.size(), Percentile(latencies, 50),
                                           Percentile(latencies, 99));
      if (write(from_reader[1], line.data(), line.size()) < 0) _exit(3);
      _exit(0);
    }
    close(to_reader[0]);
    close(from_reader[1]);
    auto writer = Check("open writer", Store::Open(path));
    for (RegistrantId id = 3; id < 3 + 3 * 1000; id += 3) {
      BookingRequest request;
      request.registrant = id;
      request.at = at + absl::Microseconds(id);
      request.confirm = true;
      absl::StatusOr<Series> booked = writer->Book(request);
      if (!booked.ok()) continue;
      const uint32_t series_id = booked->id;
      char ack = 0;
      if (write(to_reader[1], &series_id, sizeof series_id) != sizeof series_id ||
          read(from_reader[0], &ack, 1) != 1) {
        Fail("reader", absl::InternalError("the reader went away"));
      }
    }
    const uint32_t stop = 0;
    if (write(to_reader[1], &stop, sizeof stop) != sizeof stop) Fail("reader", absl::InternalError("stop"));
    char buffer[128] = {};
    const ssize_t n = read(from_reader[0], buffer, sizeof buffer - 1);
    int status = 0;
    waitpid(pid, &status, 0);
    size_t count = 0;
    double p50 = 0, p99 = 0;
    if (n > 0) std::sscanf(buffer, "%zu %lf %lf", &count, &p50, &p99);
    rows.push_back({"read in a second process right after a write",
                    fmt::format("p50 {:.1f} us", p50 * 1e6), "(no target)",
                    fmt::format("p99 {:.1f} us over {} reads", p99 * 1e6, count)});
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

void PrintRows(const std::vector<Row>& rows) {
  size_t width = 0;
  for (const Row& row : rows) width = std::max(width, row.figure.size());
  fmt::print("\n{:<{}}  {:>14}  {:>24}  {}\n", "figure", width, "median", "target", "verdict");
  for (const Row& row : rows) {
    fmt::print("{:<{}}  {:>14}  {:>24}  {}\n", row.figure, width, row.value, row.target,
               row.verdict);
  }
}

}  // namespace
}  // namespace vaxalloc::bench

int main(int argc, char** argv) {
  vaxalloc::bench::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "vaxalloc_bench: {} needs a value\n", arg);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--registrants") {
      options.registrants = static_cast<uint32_t>(std::stoul(next()));
    } else if (arg == "--series") {
      options.series = static_cast<uint32_t>(std::stoul(next()));
    } else if (arg == "--runs") {
      options.runs = std::max(1, std::stoi(next()));
    } else if (arg == "--dir") {
      options.dir = next();
    } else if (arg == "--no-baseline") {
      options.baseline = false;
    } else if (arg == "--journal-only") {
      options.journal_only = true;
    } else {
      fmt::print(stderr,
                 "usage: vaxalloc_bench [--registrants N] [--series M] [--runs R] [--dir PATH] "
                 "[--no-baseline] [--journal-only]\n");
      return 2;
    }
  }
  vaxalloc::bench::Run(options);
  return 0;
}
