// The crash tests' shared pieces (tests/crash_test.cc, random kills;
// tests/crash_points_test.cc, kills at chosen I/O calls): the child process
// that runs a campaign's operations and reports each one done down a pipe,
// the parser of its reports, and the checks a reopened file must pass
// (it opens, every invariant holds, every reported operation is there, the
// journal chains, the outbox holds one event per change, quick_check).
#ifndef VAXALLOC_TESTS_CRASH_SUPPORT_H_
#define VAXALLOC_TESTS_CRASH_SUPPORT_H_

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
#include <functional>
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
#include "tests/snapshot.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc::crash {

namespace fs = std::filesystem;

inline bool SmallScale() {
  const char* scale = std::getenv("VAXALLOC_TEST_SCALE");
  return scale != nullptr && std::string_view(scale) == "small";
}

inline uint64_t TestSeed() {
  if (const char* text = std::getenv("VAXALLOC_TEST_SEED")) return std::strtoull(text, nullptr, 10);
  std::random_device random;
  return (uint64_t{random()} << 32) ^ random();
}

// A fresh directory for one test, removed after it.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("crash_test") {}
};

// A small campaign with room for big draws: seats and doses for more people
// than registered, so a draw over several weeks places thousands of series.
inline const Scenario& SmallScenario() {
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
//   R <id> <ref>   registrant <id> is registered with this external_ref
//   D <id> <n>     draw <id> committed with <n> series
//   M <id>         draw commitment <id> is made (revealed at once, by a D line;
//                  a kill in between leaves it pending for the next child)
//   N <id>         draw commitment <id> is abandoned (its inputs changed)
//   C <series>     the series is cancelled
//   W <registrant> the registrant has withdrawn
//   F <registrant> its registration is deleted (withdrawn and erased)
//   A <event id>   events through this id are acknowledged
//   L <release>    the release is added
//   S              the delivery for the latest release is added
//   H <series>     a self-booking holds this series
//   K <series>     the series is booked for good (booked at once, or its
//                  hold confirmed)
//   X <series>     the hold has lapsed (declined, expired, lapsed by a later
//                  booking or by its registrant's withdrawal)
//   G <series> <dose> <g|m>  the dose was given or missed
//   V <series>     the missed second dose has a new appointment
//   Q <series>     a standby offer made this series (held, or booked at once)
//   I <code>       the code is issued
//   U <code>       the code was accepted: its cancellation or withdrawal is done
//   Z <code> <n>   a wrong entry of the code was counted: n attempts so far
//   > <letter>     it is about to call (statistics): O Open, P Populate,
//                  R Register, B RegisterBatch, D Draw, M CommitDraw,
//                  J RevealDraw, C CancelSeries,
//                  W Withdraw, F DeleteRegistration, A AcknowledgeEvents, L AddRelease, S AddSupply,
//                  H Book (hold), K Book (confirm), Q Book (standby),
//                  Y ConfirmHold, N DeclineHold, T ExpireHolds, G RecordDose,
//                  V RebookSecondDose, I IssueCode, U VerifyCode
//   E <message>    a call failed that should not have; it stops
// A booking flow may also be refused for what the campaign holds (no seat
// left, the hold lapsed, the registrant moved on): FailedPrecondition and
// ResourceExhausted are expected there and reported as nothing. So are a
// code's refusals (Unauthenticated: wrong, expired, locked;
// FailedPrecondition: used, superseded, or its action no longer possible).

inline constexpr int kOpsPerChildMax = 3000;
// Virtual seconds per operation: a 10-minute hold lapses 200 operations later.
inline constexpr int kOpSeconds = 3;
// Between the starts of two children: more than kOpsPerChildMax operations.
inline constexpr int kChildHours = 3;
static_assert(kOpSeconds * kOpsPerChildMax < kChildHours * 3600);
inline constexpr uint32_t kBatchSizeMax = 1000;
// Registrations per child and per kill: the campaign keeps growing over all
// the kills, but stays small enough to reopen and check quickly.
inline constexpr uint32_t kRegistrationsPerChildMax = 1500;
inline constexpr uint32_t kRegistrationsPerKill = 500;
inline constexpr size_t kEventsReadMax = 3000;
inline constexpr int64_t kReleaseDoses = 2000;  // per center, delivered with its release

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
  // Attendance, rebookings and standby offers, stamped on their appointment
  // days ahead of the clock: a later draw may not precede them. They come
  // only in the second half of the rounds, so that the first half draws.
  bool future_stamps = true;
  uint32_t registrants_max = 0;  // no registration beyond
  // First run every booking flow and code flow once on people of its own
  // (the round that is not killed: so that each is reported, whatever the
  // random mix did).
  bool cover_booking_flows = false;
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
    AddReleases();
    if (!absl::LoadTimeZone(engine().policy().time_zone, &zone_)) {
      out_.Fail("LoadTimeZone", absl::InternalError(engine().policy().time_zone));
    }
    FindOpenHolds();
    // Each child's virtual clock starts after the previous one's ended:
    // every change comes after the latest draw, as the engine requires, and
    // every hold of an earlier child is due. Attendance is stamped at the
    // appointment itself, days later (plan_.future_stamps), and a draw after
    // it comes later still (a draw may not precede a change already made):
    // then the clock jumps to it.
    now_ = scenario_.first_draw_at + absl::Hours(kChildHours) * plan_.iteration;
    if (engine().draw_count() > 0) {
      now_ = std::max(now_, engine().GetDraw(engine().draw_count())->request.at +
                                absl::Seconds(kOpSeconds));
    }
    if (plan_.cover_booking_flows) {
      CoverBookingFlows();
      CoverCodesAndStandby();
    }
    for (op_ = 0; op_ < plan_.ops_max; ++op_) {
      now_ += absl::Seconds(kOpSeconds);
      const uint64_t roll = random_.Below(100);
      if (roll < 6) {
        Register(1);
      } else if (roll < 12) {
        Register(1 + static_cast<uint32_t>(random_.Below(kBatchSizeMax)));
      } else if (roll < 18) {
        Draw();
      } else if (roll < 28) {
        Cancel();
      } else if (roll < 33) {
        Withdraw();
      } else if (roll < 41) {
        Book(/*confirm=*/false);
      } else if (roll < 46) {
        Book(/*confirm=*/true);
      } else if (roll < 51) {
        ConfirmHold();
      } else if (roll < 55) {
        DeclineHold();
      } else if (roll < 58) {
        ExpireHolds();
      } else if (roll < 67) {
        if (plan_.future_stamps) RecordDose(); else Book(/*confirm=*/true);
      } else if (roll < 70) {
        if (plan_.future_stamps) RebookSecondDose(); else Book(/*confirm=*/false);
      } else if (roll < 74) {
        IssueCode();
      } else if (roll < 79) {
        VerifyCode();
      } else if (roll < 82) {
        if (plan_.future_stamps) BookStandby(); else Cancel();
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
    const size_t first_newcomer = newcomers_.size();
    if (wanted == 1) {
      out_.Write("> R\n");
      absl::StatusOr<RegistrantId> id = store_->Register(specs[0]);
      if (!id.ok()) out_.Fail("Register", id.status());
      newcomers_.push_back(*id);
    } else {
      out_.Write("> B\n");
      absl::StatusOr<std::vector<RegistrantId>> ids = store_->RegisterBatch(specs);
      if (!ids.ok()) out_.Fail("RegisterBatch", ids.status());
      newcomers_.insert(newcomers_.end(), ids->begin(), ids->end());
    }
    ReportRegistered(std::vector<RegistrantId>(newcomers_.begin() + first_newcomer, newcomers_.end()),
                     specs);
  }

  // One write: a kill leaves a prefix of it at most.
  void ReportRegistered(const std::vector<RegistrantId>& ids,
                        const std::vector<RegistrantSpec>& specs) {
    std::string lines;
    for (size_t i = 0; i < specs.size(); ++i) {
      lines += fmt::format("R {} {}\n", ids[i], specs[i].external_ref);
    }
    out_.Write(lines);
  }

  RegistrantSpec NewPerson() {
    RegistrantSpec spec;
    spec.external_ref = fmt::format("K{}-{}", plan_.iteration, people_++);
    spec.district = static_cast<DistrictId>(1 + random_.Below(scenario_.districts.size()));
    spec.birth_day = absl::CivilDay(1930, 1, 1) + static_cast<int64_t>(random_.Below(75 * 365));
    spec.group = static_cast<PriorityGroup>(1 + random_.Below(kPriorityGroupCount));
    spec.channel = random_.Permille(800) ? Channel::kOnline : Channel::kPhone;
    spec.standby = spec.channel == Channel::kOnline && random_.Permille(300);
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
    // A draw may not precede a change already made: once attendance or a
    // standby offer is stamped days ahead, the killed rounds draw no more;
    // the last round's clock jumps to it (its booking flows came first).
    if (engine().latest_change() > now_) {
      if (!plan_.cover_booking_flows) return;
      now_ = engine().latest_change();
    }
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
    // A commitment a killed child left pending is revealed if nothing it
    // froze changed, else abandoned; no other draw runs while it waits.
    for (CommitmentId id = 1; id <= engine().draw_commitment_count(); ++id) {
      if (engine().GetDrawCommitment(id)->status != CommitmentStatus::kPending) continue;
      out_.Write("> J\n");
      absl::StatusOr<DrawRecord> revealed = store_->RevealDraw(id, "left pending", now_);
      if (revealed.ok()) {
        out_.Write(fmt::format("D {} {}\n", revealed->id, revealed->series.size()));
        return;
      }
      if (revealed.status().code() != absl::StatusCode::kFailedPrecondition) {
        out_.Fail("RevealDraw", revealed.status());
      }
      if (absl::Status s = store_->AbandonDraw(id, "its inputs changed", now_); !s.ok()) {
        out_.Fail("AbandonDraw", s);
      }
      out_.Write(fmt::format("N {}\n", id));
    }
    if (random_.Permille(300)) {
      // A committed draw: its seed from the commitment and a beacon value.
      request.seed = DrawSeed{};
      out_.Write("> M\n");
      absl::StatusOr<DrawCommitment> commitment =
          store_->CommitDraw(request, fmt::format("test beacon {}:{}", plan_.iteration, op_));
      if (!commitment.ok()) out_.Fail("CommitDraw", commitment.status());
      out_.Write(fmt::format("M {}\n", commitment->id));
      out_.Write("> J\n");
      absl::StatusOr<DrawRecord> record =
          store_->RevealDraw(commitment->id, fmt::format("{}:{}", plan_.seed, op_), now_);
      if (!record.ok()) out_.Fail("RevealDraw", record.status());
      out_.Write(fmt::format("D {} {}\n", record->id, record->series.size()));
      return;
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

  // A withdrawal, or (three in ten) a deletion, which also erases an
  // already withdrawn registration.
  void Withdraw() {
    const bool erase = random_.Permille(300);
    const RegistrantId registrant = FindFrom(engine().registrant_count(), [&](RegistrantId id) {
      const Registrant found = *engine().GetRegistrant(id);
      return erase ? !found.erased : found.status != RegistrantStatus::kWithdrawn;
    });
    if (registrant == kNoId) return;
    out_.Write(erase ? "> F\n" : "> W\n");
    const absl::Status s = erase ? store_->DeleteRegistration(registrant, now_)
                                 : store_->Withdraw(registrant, now_);
    if (!s.ok()) out_.Fail(erase ? "DeleteRegistration" : "Withdraw", s);
    std::string lines = fmt::format("W {}\n", registrant);
    if (erase) lines += fmt::format("F {}\n", registrant);
    ForgetHoldsOf(registrant, lines);
    out_.Write(lines);
  }

  // A withdrawal lets the registrant's hold, if any, lapse.
  void ForgetHoldsOf(RegistrantId registrant, std::string& lines) {
    std::erase_if(open_holds_, [&](const OpenHold& hold) {
      if (hold.registrant != registrant) return false;
      lines += fmt::format("X {}\n", hold.series);
      return true;
    });
  }

  // --- Self-booking and attendance ---------------------------------------------

  // Refusals a booking flow may meet in a busy campaign; anything else stops.
  void CheckExpected(std::string_view what, const absl::Status& status) const {
    if (status.code() == absl::StatusCode::kFailedPrecondition ||
        status.code() == absl::StatusCode::kResourceExhausted) {
      return;
    }
    out_.Fail(what, status);
  }

  // One release per center, the calendar's second week, open since before
  // the first draw; every other center's for Comirnaty alone, every third
  // with a cap. Each comes with a Comirnaty delivery for it: the draws, held
  // back by supply, would otherwise leave no dose to book. An interrupted
  // child's successor adds the rest (a release, then its delivery).
  void AddReleases() {
    const size_t deliveries = scenario_.supply.size() + engine().release_count();
    if (engine().deliveries().size() < deliveries) AddReleaseSupply(engine().release_count());
    for (CenterId center = engine().release_count() + 1; center <= engine().center_count();
         ++center) {
      ReleaseSpec spec;
      spec.center = center;
      spec.vaccine = center % 2 == 0 ? kScenarioComirnaty : kNoId;
      spec.first_day = scenario_.options.first_day + 7;
      spec.last_day = spec.first_day + 6;
      spec.release_at = scenario_.first_draw_at - absl::Hours(1);
      spec.first_dose_cap = center % 3 == 0 ? 40 : 0;
      out_.Write("> L\n");
      absl::StatusOr<ReleaseId> id = store_->AddRelease(spec);
      if (!id.ok()) out_.Fail("AddRelease", id.status());
      out_.Write(fmt::format("L {}\n", *id));
      AddReleaseSupply(center);
    }
  }

  void AddReleaseSupply(CenterId center) {
    SupplyDelivery delivery;
    delivery.center = center;
    delivery.vaccine = kScenarioComirnaty;
    delivery.day = scenario_.options.first_day + 7;
    delivery.doses = kReleaseDoses;
    out_.Write("> S\n");
    if (absl::Status s = store_->AddSupply(delivery); !s.ok()) out_.Fail("AddSupply", s);
    out_.Write("S\n");
  }

  struct OpenHold {
    SeriesId series = kNoId;
    RegistrantId registrant = kNoId;
    absl::Time expires_at;
  };

  // The holds in the file, also those an earlier child made and was killed
  // before reporting.
  void FindOpenHolds() {
    if (engine().hold_count() == 0) return;
    for (SeriesId id = 1; id <= engine().series_count(); ++id) {
      const Series series = *engine().GetSeries(id);
      if (series.status == SeriesStatus::kHeld) {
        open_holds_.push_back(OpenHold{id, series.registrant, series.hold_expires_at});
      }
    }
  }

  // Holds due by `at` lapse with the call that passed it: reported, forgotten.
  void ForgetDueHolds(absl::Time at, std::string& lines) {
    std::erase_if(open_holds_, [&](const OpenHold& hold) {
      if (hold.expires_at > at) return false;
      lines += fmt::format("X {}\n", hold.series);
      return true;
    });
  }

  // Mostly someone this child registered, who is likely still waiting: the
  // draws leave few others.
  void Book(bool confirm) {
    auto waiting = [&](RegistrantId id) {
      return engine().GetRegistrant(id)->status == RegistrantStatus::kWaiting;
    };
    RegistrantId registrant = kNoId;
    while (!newcomers_.empty() && random_.Permille(700)) {
      const size_t index = random_.Below(newcomers_.size());
      if (waiting(newcomers_[index])) {
        registrant = newcomers_[index];
        break;
      }
      newcomers_.erase(newcomers_.begin() + static_cast<ptrdiff_t>(index));
    }
    if (registrant == kNoId) registrant = FindFrom(engine().registrant_count(), waiting);
    if (registrant == kNoId) return;
    // Those the draws left waiting are mostly those who prefer a vaccine
    // whose doses are gone; half of them take what the releases have.
    BookFor(registrant, confirm, random_.Permille(500) ? kScenarioComirnaty : kNoId);
  }

  // The series booked, or kNoId if the campaign had none to give.
  SeriesId BookFor(RegistrantId registrant, bool confirm, VaccineId vaccine) {
    BookingRequest request;
    request.registrant = registrant;
    request.at = now_;
    request.confirm = confirm;
    request.vaccine = vaccine;
    out_.Write(confirm ? "> K\n" : "> H\n");
    absl::StatusOr<Series> series = store_->Book(request);
    if (!series.ok()) {
      CheckExpected("Book", series.status());
      return kNoId;
    }
    std::string lines;
    ForgetDueHolds(now_, lines);
    lines += fmt::format("{} {}\n", confirm ? 'K' : 'H', series->id);
    if (!confirm) open_holds_.push_back(OpenHold{series->id, registrant, series->hold_expires_at});
    out_.Write(lines);
    return series->id;
  }

  // A hold that has not expired yet.
  void ConfirmHold() {
    auto hold = std::find_if(open_holds_.begin(), open_holds_.end(),
                             [&](const OpenHold& h) { return h.expires_at > now_; });
    if (hold != open_holds_.end()) ConfirmHoldOf(hold->series);
  }

  void ConfirmHoldOf(SeriesId id) {
    out_.Write("> Y\n");
    absl::StatusOr<Series> series = store_->ConfirmHold(id, now_);
    if (!series.ok()) return CheckExpected("ConfirmHold", series.status());
    std::erase_if(open_holds_, [&](const OpenHold& hold) { return hold.series == id; });
    out_.Write(fmt::format("K {}\n", id));
  }

  void DeclineHold() {
    if (!open_holds_.empty()) DeclineHoldOf(open_holds_[random_.Below(open_holds_.size())].series);
  }

  void DeclineHoldOf(SeriesId id) {
    out_.Write("> N\n");
    if (absl::Status s = store_->DeclineHold(id, now_); !s.ok()) out_.Fail("DeclineHold", s);
    std::erase_if(open_holds_, [&](const OpenHold& hold) { return hold.series == id; });
    out_.Write(fmt::format("X {}\n", id));
  }

  // Every booking flow once, on newcomers in the most populous districts
  // (whose centers have the largest releases): a hold declined, a hold
  // confirmed, a series booked at once whose first dose is given, second
  // missed and rebooked. Refusals (a campaign with no seat left) are
  // expected as in the random mix.
  void CoverBookingFlows() {
    std::vector<DistrictId> districts(scenario_.districts.size());
    for (size_t i = 0; i < districts.size(); ++i) districts[i] = static_cast<DistrictId>(i + 1);
    std::sort(districts.begin(), districts.end(), [&](DistrictId a, DistrictId b) {
      return scenario_.districts[a - 1].population > scenario_.districts[b - 1].population;
    });
    for (size_t i = 0; i < std::min<size_t>(districts.size(), 5); ++i) {
      std::vector<RegistrantSpec> specs(3);
      for (RegistrantSpec& spec : specs) {
        spec = NewPerson();
        spec.district = districts[i];
        spec.birth_day = absl::CivilDay(1970, 1, 1);
        spec.vaccine_preference = kNoId;
      }
      out_.Write("> B\n");
      absl::StatusOr<std::vector<RegistrantId>> ids = store_->RegisterBatch(specs);
      if (!ids.ok()) out_.Fail("RegisterBatch", ids.status());
      ReportRegistered(*ids, specs);
      BookingRequest probe;
      probe.registrant = (*ids)[0];
      probe.at = now_;
      probe.vaccine = kScenarioComirnaty;
      if (!engine().PrepareBook(probe).ok()) continue;
      if (const SeriesId hold = BookFor((*ids)[0], false, kScenarioComirnaty); hold != kNoId) {
        DeclineHoldOf(hold);
      }
      if (const SeriesId hold = BookFor((*ids)[1], false, kScenarioComirnaty); hold != kNoId) {
        ConfirmHoldOf(hold);
      }
      const SeriesId booked = BookFor((*ids)[2], true, kScenarioComirnaty);
      if (booked == kNoId) continue;
      RecordDoseOf(booked, true);
      RecordDoseOf(booked, false);
      RebookSecondDoseOf(booked);
      return;
    }
  }

  void ExpireHolds() {
    size_t due = 0;
    for (const OpenHold& hold : open_holds_) due += hold.expires_at <= now_;
    out_.Write("> T\n");
    absl::StatusOr<uint32_t> lapsed = store_->ExpireHolds(now_);
    if (!lapsed.ok()) out_.Fail("ExpireHolds", lapsed.status());
    if (*lapsed != due) {
      out_.Fail("ExpireHolds",
                absl::InternalError(fmt::format("{} holds lapsed, {} were due", *lapsed, due)));
    }
    std::string lines;
    ForgetDueHolds(now_, lines);
    out_.Write(lines);
  }

  // The instant `minutes` after an appointment begins.
  absl::Time AfterStart(const Appointment& appointment, int minutes) const {
    return absl::FromCivil(absl::CivilMinute(appointment.day) + appointment.minute + minutes,
                           zone_);
  }

  static bool DoseOpen(const Series& series) {
    return series.status == SeriesStatus::kActive &&
           (series.doses[0] == DoseState::kBooked ||
            (series.dose_count == 2 && series.doses[1] == DoseState::kBooked));
  }
  static bool SecondDoseMissed(const Series& series) {
    return series.status == SeriesStatus::kActive && series.dose_count == 2 &&
           series.doses[1] == DoseState::kMissed;
  }

  // The first series on `list` (from the back) that still passes `wanted`;
  // those that no longer do are dropped.
  template <class Wanted>
  SeriesId TakeFrom(std::vector<SeriesId>& list, Wanted&& wanted) {
    while (!list.empty()) {
      const SeriesId id = list.back();
      if (wanted(*engine().GetSeries(id))) return id;
      list.pop_back();
    }
    return kNoId;
  }

  // The next dose of an active series, given (mostly) or missed, stamped
  // half an hour into its appointment. Half the time a series whose first
  // dose this child recorded: second doses get recorded too.
  void RecordDose() {
    SeriesId id = random_.Permille(500) ? TakeFrom(second_doses_due_, DoseOpen) : kNoId;
    if (id == kNoId) {
      id = FindFrom(engine().series_count(),
                    [&](SeriesId s) { return DoseOpen(*engine().GetSeries(s)); });
    }
    if (id != kNoId) RecordDoseOf(id, random_.Permille(750));
  }

  void RecordDoseOf(SeriesId id, bool given) {
    const Series series = *engine().GetSeries(id);
    const int dose = series.doses[0] == DoseState::kBooked ? 1 : 2;
    out_.Write("> G\n");
    absl::StatusOr<Series> recorded =
        store_->RecordDose(id, dose, given ? DoseOutcome::kGiven : DoseOutcome::kMissed,
                           AfterStart(series.appointments[dose - 1], 30));
    if (!recorded.ok()) return CheckExpected("RecordDose", recorded.status());
    out_.Write(fmt::format("G {} {} {}\n", id, dose, given ? 'g' : 'm'));
    if (DoseOpen(*recorded)) second_doses_due_.push_back(id);
    if (SecondDoseMissed(*recorded)) second_doses_missed_.push_back(id);
  }

  // Two hours after the missed appointment.
  void RebookSecondDose() {
    SeriesId id = TakeFrom(second_doses_missed_, SecondDoseMissed);
    if (id != kNoId) second_doses_missed_.pop_back();  // one try each
    if (id == kNoId) {
      id = FindFrom(engine().series_count(),
                    [&](SeriesId s) { return SecondDoseMissed(*engine().GetSeries(s)); });
    }
    if (id != kNoId) RebookSecondDoseOf(id);
  }

  void RebookSecondDoseOf(SeriesId id) {
    const Series series = *engine().GetSeries(id);
    out_.Write("> V\n");
    absl::StatusOr<Series> rebooked =
        store_->RebookSecondDose(id, AfterStart(series.appointments[1], 120));
    if (!rebooked.ok()) return CheckExpected("RebookSecondDose", rebooked.status());
    out_.Write(fmt::format("V {}\n", id));
  }

  // --- The standby list and one-time codes --------------------------------------

  // A waiting registrant on the standby list, mostly one this child
  // registered; kNoId if none is found.
  RegistrantId FindStandby() {
    auto wanted = [&](RegistrantId id) {
      const Registrant registrant = *engine().GetRegistrant(id);
      return registrant.spec.standby && registrant.status == RegistrantStatus::kWaiting;
    };
    for (int i = 0; i < 16 && !newcomers_.empty(); ++i) {
      const RegistrantId id = newcomers_[random_.Below(newcomers_.size())];
      if (wanted(id)) return id;
    }
    return FindFrom(engine().registrant_count(), wanted);
  }

  // What becomes of a standby hold: confirmed or declined a minute after the
  // offer, or left open (for the random mix, or to lapse).
  enum class Then { kLeave, kConfirm, kDecline };

  void BookStandby() {
    const RegistrantId registrant = FindStandby();
    if (registrant == kNoId) return;
    const uint64_t roll = random_.Below(4);
    BookStandbyFor(registrant, roll == 0,
                   roll == 1   ? Then::kConfirm
                   : roll == 2 ? Then::kDecline
                               : Then::kLeave);
  }

  // A standby offer for a day of the releases' week (the child's clock lies
  // before the calendar, and standby is for today only), between 9:00 and
  // 17:00 local time; booked at once, or held. Every hold due by then lapses
  // with it.
  SeriesId BookStandbyFor(RegistrantId registrant, bool confirm, Then then) {
    const absl::CivilDay day =
        scenario_.options.first_day + 7 + static_cast<int64_t>(random_.Below(6));
    BookingRequest request;
    request.registrant = registrant;
    request.mode = BookingMode::kStandby;
    request.at = absl::FromCivil(
        absl::CivilMinute(day) + 9 * 60 + static_cast<int64_t>(random_.Below(8 * 60)), zone_);
    request.confirm = confirm;
    request.vaccine = random_.Permille(500) ? kScenarioComirnaty : kNoId;
    out_.Write("> Q\n");
    absl::StatusOr<Series> series = store_->Book(request);
    if (!series.ok()) {
      CheckExpected("Book (standby)", series.status());
      return kNoId;
    }
    std::string lines;
    ForgetDueHolds(request.at, lines);
    lines += fmt::format("Q {}\n", series->id);
    if (confirm) {
      lines += fmt::format("K {}\n", series->id);
    } else {
      open_holds_.push_back(OpenHold{series->id, registrant, series->hold_expires_at});
    }
    out_.Write(lines);
    if (confirm || then == Then::kLeave) return series->id;
    const absl::Time decided = request.at + absl::Minutes(1);
    if (then == Then::kConfirm) {
      out_.Write("> Y\n");
      absl::StatusOr<Series> confirmed = store_->ConfirmHold(series->id, decided);
      if (!confirmed.ok()) out_.Fail("ConfirmHold (standby)", confirmed.status());
      out_.Write(fmt::format("K {}\n", series->id));
    } else {
      out_.Write("> N\n");
      if (absl::Status s = store_->DeclineHold(series->id, decided); !s.ok()) {
        out_.Fail("DeclineHold (standby)", s);
      }
      out_.Write(fmt::format("X {}\n", series->id));
    }
    std::erase_if(open_holds_, [&](const OpenHold& hold) { return hold.series == series->id; });
    return series->id;
  }

  // A code for a registrant still in the campaign: mostly the cancellation
  // of a scheduled one's series, otherwise a withdrawal.
  void IssueCode() {
    const RegistrantId registrant = FindFrom(engine().registrant_count(), [&](RegistrantId id) {
      return engine().GetRegistrant(id)->status != RegistrantStatus::kWithdrawn;
    });
    if (registrant != kNoId) IssueCodeFor(registrant, random_.Permille(700));
  }

  // The index of the code in codes_, or -1 if it was refused.
  int IssueCodeFor(RegistrantId registrant, bool cancel_if_scheduled) {
    const Registrant current = *engine().GetRegistrant(registrant);
    CodeRequest request;
    request.registrant = registrant;
    request.at = now_;
    if (current.status == RegistrantStatus::kScheduled && cancel_if_scheduled) {
      request.purpose = CodePurpose::kCancelSeries;
      request.series = current.series;
    } else {
      request.purpose = CodePurpose::kWithdraw;
    }
    out_.Write("> I\n");
    absl::StatusOr<IssuedCode> issued = store_->IssueCode(request);
    if (!issued.ok()) {
      CheckExpected("IssueCode", issued.status());
      return -1;
    }
    codes_.push_back(KnownCode{issued->record.id, issued->code});
    out_.Write(fmt::format("I {}\n", issued->record.id));
    return static_cast<int>(codes_.size()) - 1;
  }

  // A code this child issued, mostly entered right.
  void VerifyCode() {
    if (!codes_.empty()) VerifyCodeAt(random_.Below(codes_.size()), random_.Permille(700));
  }

  void VerifyCodeAt(size_t index, bool right) {
    const KnownCode known = codes_[index];
    std::string entry = known.digits;
    if (!right) entry.back() = entry.back() == '0' ? '1' : '0';
    const VerificationCode before = *engine().GetCode(known.id);
    CodeOutcome outcome = CodeOutcome::kNotPending;
    out_.Write("> U\n");
    const absl::Status status = store_->VerifyCode(known.id, entry, now_, &outcome);
    std::string lines;
    bool spent = true;  // nothing more to learn from entering it again
    if (status.ok()) {
      lines = fmt::format("U {}\n", known.id);
      if (before.purpose == CodePurpose::kWithdraw) ForgetHoldsOf(before.registrant, lines);
    } else if (status.code() == absl::StatusCode::kUnauthenticated) {
      if (outcome == CodeOutcome::kWrong) {
        const VerificationCode after = *engine().GetCode(known.id);
        lines = fmt::format("Z {} {}\n", known.id, after.attempts);
        spent = after.state != CodeState::kPending;
      }
    } else if (status.code() != absl::StatusCode::kFailedPrecondition) {
      out_.Fail("VerifyCode", status);
    }
    if (!lines.empty()) out_.Write(lines);
    if (spent) codes_.erase(codes_.begin() + static_cast<ptrdiff_t>(index));
  }

  // A cancellation code entered wrong, then right; a withdrawal code
  // superseded by a second one that is entered right; a standby offer held
  // and confirmed. On newcomers of their own, in the most populous district.
  void CoverCodesAndStandby() {
    DistrictId district = 1;
    for (size_t i = 0; i < scenario_.districts.size(); ++i) {
      if (scenario_.districts[i].population > scenario_.districts[district - 1].population) {
        district = static_cast<DistrictId>(i + 1);
      }
    }
    std::vector<RegistrantSpec> specs(2);
    for (RegistrantSpec& spec : specs) {
      spec = NewPerson();
      spec.district = district;
      spec.birth_day = absl::CivilDay(1970, 1, 1);
      spec.channel = Channel::kOnline;
      spec.vaccine_preference = kNoId;
      spec.standby = true;
    }
    out_.Write("> B\n");
    absl::StatusOr<std::vector<RegistrantId>> ids = store_->RegisterBatch(specs);
    if (!ids.ok()) out_.Fail("RegisterBatch", ids.status());
    ReportRegistered(*ids, specs);
    const RegistrantId cancelling = (*ids)[0];
    const RegistrantId withdrawing = (*ids)[1];
    // The standby offer first: the cancellation code needs a series.
    BookStandbyFor(cancelling, false, Then::kConfirm);
    if (const int index = IssueCodeFor(cancelling, true); index >= 0) {
      const CodeId id = codes_[static_cast<size_t>(index)].id;
      VerifyCodeAt(static_cast<size_t>(index), false);
      if (!codes_.empty() && codes_.back().id == id) VerifyCodeAt(codes_.size() - 1, true);
    }
    IssueCodeFor(withdrawing, false);
    if (const int index = IssueCodeFor(withdrawing, false); index >= 0) {
      VerifyCodeAt(static_cast<size_t>(index), true);
    }
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
  absl::TimeZone zone_;  // the policy's, for appointment times
  absl::Time now_;
  int op_ = 0;
  uint32_t people_ = 0;  // registered by this child
  std::vector<OpenHold> open_holds_;
  std::vector<RegistrantId> newcomers_;        // registered by this child, maybe still waiting
  std::vector<SeriesId> second_doses_due_;     // first dose recorded here as given
  std::vector<SeriesId> second_doses_missed_;  // to rebook
  struct KnownCode {
    CodeId id = kNoId;
    std::string digits;
  };
  std::vector<KnownCode> codes_;  // issued by this child, maybe still pending
};

// --- The parent ------------------------------------------------------------------

// Everything the children reported, over all kills.
struct Reported {
  bool populated = false;
  std::vector<std::pair<RegistrantId, std::string>> refs;  // (id, external_ref)
  absl::flat_hash_map<DrawId, uint32_t> draws;  // id -> series
  std::vector<CommitmentId> commitments;          // made
  std::vector<CommitmentId> abandoned;
  std::vector<SeriesId> cancelled;
  std::vector<RegistrantId> withdrawn;
  std::vector<RegistrantId> erased;
  uint64_t acknowledged_through = 0;
  std::vector<ReleaseId> releases;
  uint32_t release_deliveries = 0;  // S
  std::vector<SeriesId> holds;      // H
  std::vector<SeriesId> booked;     // K: booked at once or confirmed
  std::vector<SeriesId> lapsed;     // X
  std::vector<std::pair<SeriesId, int>> doses_given;
  std::vector<std::pair<SeriesId, int>> doses_missed;
  std::vector<SeriesId> rebooked;                      // V
  std::vector<SeriesId> standby;                       // Q
  std::vector<CodeId> codes_issued;                    // I
  std::vector<CodeId> codes_used;                      // U
  std::vector<std::pair<CodeId, int>> wrong_attempts;  // Z: attempts after the wrong entry
  // Second-dose rebookings in the file: those reported, and one more if a
  // kill landed after its commit and before its report (CheckOutbox counts).
  uint64_t rebookings_committed = 0;
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
inline char Parse(std::string_view output, Reported& reported, Stats& stats) {
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
      case 'R': {
        const size_t space = rest.find(' ');
        REQUIRE(space != std::string_view::npos);
        reported.refs.emplace_back(static_cast<RegistrantId>(std::stoul(std::string(rest.substr(0, space)))),
                                   std::string(rest.substr(space + 1)));
        break;
      }
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
      case 'F':
        reported.erased.push_back(static_cast<RegistrantId>(std::stoul(std::string(rest))));
        break;
      case 'A':
        reported.acknowledged_through =
            std::max<uint64_t>(reported.acknowledged_through, std::stoull(std::string(rest)));
        ++stats.acknowledgments;
        break;
      case 'S':
        ++reported.release_deliveries;
        break;
      case 'L':
        reported.releases.push_back(static_cast<ReleaseId>(std::stoul(std::string(rest))));
        break;
      case 'H':
        reported.holds.push_back(static_cast<SeriesId>(std::stoul(std::string(rest))));
        break;
      case 'K':
        reported.booked.push_back(static_cast<SeriesId>(std::stoul(std::string(rest))));
        break;
      case 'X':
        reported.lapsed.push_back(static_cast<SeriesId>(std::stoul(std::string(rest))));
        break;
      case 'G': {
        unsigned series = 0;
        int dose = 0;
        char outcome = 0;
        REQUIRE(std::sscanf(std::string(rest).c_str(), "%u %d %c", &series, &dose, &outcome) == 3);
        (outcome == 'g' ? reported.doses_given : reported.doses_missed)
            .emplace_back(static_cast<SeriesId>(series), dose);
        break;
      }
      case 'V':
        reported.rebooked.push_back(static_cast<SeriesId>(std::stoul(std::string(rest))));
        ++reported.rebookings_committed;
        break;
      case 'Q':
        reported.standby.push_back(static_cast<SeriesId>(std::stoul(std::string(rest))));
        break;
      case 'I':
        reported.codes_issued.push_back(static_cast<CodeId>(std::stoul(std::string(rest))));
        break;
      case 'U':
        reported.codes_used.push_back(static_cast<CodeId>(std::stoul(std::string(rest))));
        break;
      case 'M':
        reported.commitments.push_back(static_cast<CommitmentId>(std::stoul(std::string(rest))));
        break;
      case 'N':
        reported.abandoned.push_back(static_cast<CommitmentId>(std::stoul(std::string(rest))));
        break;
      case 'Z': {
        unsigned code = 0;
        int attempts = 0;
        REQUIRE(std::sscanf(std::string(rest).c_str(), "%u %d", &code, &attempts) == 2);
        reported.wrong_attempts.emplace_back(static_cast<CodeId>(code), attempts);
        break;
      }
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

inline RawFacts ReadRaw(const std::string& path) {
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

// Whether every series in (after, until) is not a draw's: draws write their
// series with dense ids, but bookings may come between two draws.
inline bool OnlyBookedBetween(const Engine& engine, SeriesId after, SeriesId until) {
  for (SeriesId id = after + 1; id < until; ++id) {
    if (engine.GetSeries(id)->origin == SeriesOrigin::kDraw) return false;
  }
  return true;
}

// Whether a series was booked for good: confirmed at some point.
inline bool Confirmed(const Series& series) {
  return series.status != SeriesStatus::kHeld && series.status != SeriesStatus::kLapsed;
}

// Every pending event agrees with the engine; kinds as documented.
inline void CheckPendingEvents(const Engine& engine, const std::vector<Event>& pending, Missing& wrong) {
  absl::flat_hash_set<SeriesId> cancelled_seen;
  absl::flat_hash_set<SeriesId> booked_seen;
  absl::flat_hash_set<RegistrantId> withdrawn_seen;
  absl::flat_hash_set<CodeId> codes_seen;
  SeriesId previous_assigned = kNoId;
  for (const Event& event : pending) {
    const std::string where = fmt::format("event {}", event.id);
    if (event.kind != EventKind::kCodeIssued && (event.code_id != kNoId || !event.code.empty())) {
      wrong.Add(where + " carries a code but is not kCodeIssued");
    }
    switch (event.kind) {
      case EventKind::kSeriesAssigned: {
        absl::StatusOr<Series> series = engine.GetSeries(event.series);
        if (!series.ok() || series->registrant != event.registrant || series->draw != event.draw ||
            series->booked_at != event.at || series->origin != SeriesOrigin::kDraw) {
          wrong.Add(where + " (assigned) does not match its series");
        }
        // Series ids ascend with event ids; only booked series lie between.
        if (previous_assigned != kNoId &&
            (event.series <= previous_assigned ||
             !OnlyBookedBetween(engine, previous_assigned, event.series))) {
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
      case EventKind::kSeriesBooked: {
        absl::StatusOr<Series> series = engine.GetSeries(event.series);
        if (!series.ok() || series->registrant != event.registrant || event.draw != kNoId ||
            series->origin == SeriesOrigin::kDraw || !Confirmed(*series) ||
            !booked_seen.insert(event.series).second) {
          wrong.Add(where + " (booked) does not match a confirmed booking");
        }
        break;
      }
      case EventKind::kSecondDoseRebooked: {
        absl::StatusOr<Series> series = engine.GetSeries(event.series);
        if (!series.ok() || series->registrant != event.registrant || event.draw != kNoId ||
            series->dose_count != 2 || series->doses[0] != DoseState::kGiven) {
          wrong.Add(where + " (rebooked) does not match a series with a first dose given");
        }
        break;
      }
      case EventKind::kCodeIssued: {
        // The digits are the code: their salted hash is the stored one.
        absl::StatusOr<VerificationCode> code = engine.GetCode(event.code_id);
        if (!code.ok() || code->registrant != event.registrant || code->series != event.series ||
            code->issued_at != event.at || event.draw != kNoId ||
            event.code.size() != static_cast<size_t>(engine.policy().code_digits) ||
            event.code.find_first_not_of("0123456789") != std::string::npos ||
            SipHash24(code->salt0, code->salt1, event.code) != code->hash ||
            !codes_seen.insert(event.code_id).second) {
          wrong.Add(where + " (code issued) does not match its code");
        }
        break;
      }
      default:
        wrong.Add(where + " has an unknown kind");
    }
  }
  // The pending assignments are the newest draw series, up to the last one.
  if (previous_assigned != kNoId &&
      !OnlyBookedBetween(engine, previous_assigned, engine.series_count() + 1)) {
    wrong.Add(
        fmt::format("the last pending assignment is of series {}, but a draw made a later one",
                    previous_assigned));
  }
}

// Every operation reported done is there.
inline void CheckReportedPresent(const Engine& engine, const Scenario& scenario,
                          const Reported& reported) {
  if (reported.populated) {
    CHECK(engine.registrant_count() >= scenario.registrants.size());
    CHECK(engine.center_count() == scenario.centers.size());
    CHECK(engine.capacity_blocks().size() == scenario.capacity.size());
    // And one delivery per release (Child::AddReleases).
    CHECK(engine.deliveries().size() >= scenario.supply.size());
    CHECK(engine.deliveries().size() <= scenario.supply.size() + engine.release_count());
    CHECK(engine.policy_version() == 2u);
  }
  Missing missing;
  for (const auto& [id, ref] : reported.refs) {
    absl::StatusOr<RegistrantId> found = engine.FindRegistrant(ref);
    if (found.ok() ? *found == id : engine.GetRegistrant(id).ok() && engine.GetRegistrant(id)->erased) {
      continue;  // a withdrawal code deletes the registration: its reference goes
    }
    missing.Add("registrant " + ref);
  }
  for (const auto& [id, series] : reported.draws) {
    absl::StatusOr<DrawRecord> draw = engine.GetDraw(id);
    if (!draw.ok() || draw->series.size() != series) {
      missing.Add(fmt::format("draw {} with {} series", id, series));
    }
  }
  for (CommitmentId id : reported.commitments) {
    if (!engine.GetDrawCommitment(id).ok()) missing.Add(fmt::format("draw commitment {}", id));
  }
  for (CommitmentId id : reported.abandoned) {
    absl::StatusOr<DrawCommitment> commitment = engine.GetDrawCommitment(id);
    if (!commitment.ok() || commitment->status != CommitmentStatus::kAbandoned) {
      missing.Add(fmt::format("abandonment of draw commitment {}", id));
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
  for (RegistrantId id : reported.erased) {
    absl::StatusOr<Registrant> registrant = engine.GetRegistrant(id);
    if (!registrant.ok() || !registrant->erased) {
      missing.Add(fmt::format("deletion of registrant {}", id));
    }
  }
  for (ReleaseId id : reported.releases) {
    if (!engine.GetRelease(id).ok()) missing.Add(fmt::format("release {}", id));
  }
  if (reported.release_deliveries > 0 &&
      engine.deliveries().size() < scenario.supply.size() + reported.release_deliveries) {
    missing.Add(fmt::format("{} deliveries for releases", reported.release_deliveries));
  }
  // Each fact below stays true whatever happens to the series later.
  for (SeriesId id : reported.holds) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || series->origin != SeriesOrigin::kRelease || series->release == kNoId) {
      missing.Add(fmt::format("hold {}", id));
    }
  }
  for (SeriesId id : reported.booked) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || !Confirmed(*series)) missing.Add(fmt::format("booking of series {}", id));
  }
  for (SeriesId id : reported.lapsed) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || series->status != SeriesStatus::kLapsed) {
      missing.Add(fmt::format("lapse of hold {}", id));
    }
  }
  for (const auto& [id, dose] : reported.doses_given) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || series->doses[dose - 1] != DoseState::kGiven) {
      missing.Add(fmt::format("dose {} given in series {}", dose, id));
    }
  }
  for (const auto& [id, dose] : reported.doses_missed) {
    // A missed second dose may have been rebooked since.
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || (dose == 1 && series->status != SeriesStatus::kMissed)) {
      missing.Add(fmt::format("dose {} missed in series {}", dose, id));
    }
  }
  for (SeriesId id : reported.rebooked) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || series->dose_count != 2 || series->doses[0] != DoseState::kGiven) {
      missing.Add(fmt::format("rebooking of series {}", id));
    }
  }
  for (SeriesId id : reported.standby) {
    absl::StatusOr<Series> series = engine.GetSeries(id);
    if (!series.ok() || series->origin != SeriesOrigin::kStandby) {
      missing.Add(fmt::format("standby offer {}", id));
    }
  }
  for (CodeId id : reported.codes_issued) {
    if (!engine.GetCode(id).ok()) missing.Add(fmt::format("code {}", id));
  }
  for (CodeId id : reported.codes_used) {
    absl::StatusOr<VerificationCode> code = engine.GetCode(id);
    if (!code.ok() || code->state != CodeState::kUsed) {
      missing.Add(fmt::format("use of code {}", id));
    }
  }
  // Attempts never go back: a wrong entry, once reported, is never undone.
  for (const auto& [id, attempts] : reported.wrong_attempts) {
    absl::StatusOr<VerificationCode> code = engine.GetCode(id);
    if (!code.ok() || code->attempts < attempts) {
      missing.Add(fmt::format("wrong entry {} of code {}", attempts, id));
    }
  }
  REQUIRE_MESSAGE(missing.count == 0, missing.count,
                  " reported operations are missing: ", missing.examples);
}

// The outbox: ids 1..last were all written (a rolled-back transaction takes
// its ids back), one per change: per draw series, per confirmed booking, per
// cancelled series, per withdrawal, per code issued and per rebooking (not
// visible in the state: reported ones, and the one a kill may have cut off
// from its report); the pending ones are exactly those above the last
// acknowledgment, and those pending before that were not acknowledged since
// come back unchanged. Returns the pending events.
inline std::vector<Event> CheckOutbox(const Store& store, Reported& reported, bool rebooking_cut_off,
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
  // Every code ever issued wrote one kCodeIssued (codes are never deleted);
  // an accepted one's cancellation or withdrawal is counted by its state.
  uint64_t changes = report.withdrawn + engine.code_count();
  for (SeriesId id = 1; id <= engine.series_count(); ++id) {
    const Series series = *engine.GetSeries(id);
    changes += series.origin == SeriesOrigin::kDraw || Confirmed(series);
    changes += series.status == SeriesStatus::kCancelled;
  }
  REQUIRE(last >= changes + reported.rebookings_committed);
  REQUIRE(last <= changes + reported.rebookings_committed + (rebooking_cut_off ? 1 : 0));
  reported.rebookings_committed = last - changes;
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
        pending[index].series != before.series || pending[index].draw != before.draw ||
        pending[index].code_id != before.code_id || pending[index].code != before.code) {
      wrong.Add(fmt::format("event {} changed or vanished without acknowledgment", before.id));
    }
  }
  REQUIRE_MESSAGE(wrong.count == 0, wrong.count, " outbox problems: ", wrong.examples);
  return pending;
}

// Reopens the file after a kill and checks everything; returns the pending
// events for the next round's comparison. The journal's whole chain must be
// intact, and `follower` (if given: a read-only Store kept open across the
// kills, opened here the first time) must, by following the journal, hold
// exactly what the reopened file holds; `followed` counts the entries it
// applied.
inline std::vector<Event> CheckRecovered(const std::string& path, const StoreOptions& options,
                                         const Scenario& scenario, Reported& reported,
                                         bool rebooking_cut_off,
                                         const std::vector<Event>& pending_before,
                                         std::unique_ptr<Store>* follower_or_null = nullptr,
                                         uint64_t* followed = nullptr) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(path, options);
  REQUIRE_MESSAGE(opened.ok(), opened.status());
  const Engine& engine = (*opened)->engine();
  const InvariantReport invariants = CheckInvariants(engine);
  REQUIRE_MESSAGE(invariants.ok(), invariants.ToString());
  CheckReportedPresent(engine, scenario, reported);
  const JournalCheck journal = testing::Ok((*opened)->VerifyJournal());
  CHECK_MESSAGE(journal.intact(), journal.problem);
  CHECK(journal.entries == (*opened)->journal_seq());
  if (follower_or_null != nullptr) {
    std::unique_ptr<Store>& follower = *follower_or_null;
    if (follower == nullptr) {
      StoreOptions read_only;
      read_only.read_only = true;
      follower = testing::Ok(Store::Open(path, read_only));
    } else {
      const uint64_t before = follower->journal_seq();
      testing::Ok(follower->Refresh());
      if (followed != nullptr) *followed += follower->journal_seq() - before;
    }
    REQUIRE(follower->journal_seq() == (*opened)->journal_seq());
    testing::CheckSame(
        testing::Take(follower->engine(), scenario.options.first_day, scenario.last_day),
        testing::Take(engine, scenario.options.first_day, scenario.last_day));
  }
  return CheckOutbox(**opened, reported, rebooking_cut_off, pending_before);
}

// Forks a child that runs `body` with the write end of its report pipe
// (body ends the process; returning is exiting with 0), kills it after
// `delay` (never, if negative, when it must finish or kill itself), and
// returns what it reported.
inline std::string RunChild(const std::function<void(int fd)>& body,
                            std::chrono::milliseconds delay, bool& killed, bool& finished) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    body(fds[1]);
    _exit(0);
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

// Forks a child for `plan`, kills it after `delay` (never, if negative, when
// it must finish by itself), and returns what it reported.
inline std::string RunAndKill(const Scenario& scenario, const ChildPlan& plan,
                              std::chrono::milliseconds delay, bool& killed, bool& finished) {
  return RunChild([&](int fd) { Child(scenario, plan, fd).Run(); }, delay, killed, finished);
}

}  // namespace vaxalloc::crash

#endif  // VAXALLOC_TESTS_CRASH_SUPPORT_H_
