// Fault injection as SQLite tests it (tests/fault_vfs.h): for each step of a
// small campaign (creating the file, every setup call, registrations single
// and batch, plain and committed draws, a reveal and an abandonment, holds
// confirmed, declined and expired, a booking at once, a standby offer,
// attendance and a rebooking, cancellation, withdrawal, deletion, codes
// issued and entered wrong and right, acknowledging events, closing (the
// checkpoint that removes the log), the background checkpoint after a large
// commit, opening an existing file, and a second Store following the
// journal), the step is run again and again from the state before it, the
// Nth I/O call (or allocation) failing for N = 1, 2, ... until the step runs
// through without reaching N. After every failure, with injection off:
//
//   - the call returned an error of the kinds an I/O or memory failure maps
//     to (Unavailable, ResourceExhausted, FailedPrecondition for a file that
//     cannot be opened), never Internal or DataLoss, or succeeded (SQLite
//     ignored the fault) and then the change is there;
//   - the Store that saw the failure holds what the file holds (it did not
//     apply a change the file lacks), and still works: the step run again on
//     it succeeds (or, if it cannot, a reopened Store runs it);
//   - a second Store opened on the file, and one opened after every
//     connection closed, hold either the state before the step or the state
//     after it, field by field (tests/snapshot.h), with the outbox and the
//     journal's length; PRAGMA integrity_check says ok and the invariant
//     checker finds nothing.
//
// Variants per step: I/O persistent (the failing call and every one after,
// SQLITE_IOERR_*), I/O transient (only the Nth) with Durability::kFull (so
// commits fsync), disk full (writes and truncations fail with SQLITE_FULL
// from the Nth on, kFull), allocation persistent and transient. Where a
// step makes more calls than a variant's budget, N is sampled evenly over
// them (always the first few and the last): 20 by default.
// VAXALLOC_TEST_SCALE=small (the ASan run) samples 3 and runs two variants
// (I/O transient, allocation persistent); VAXALLOC_FAULT_BUDGET=<n> sets the
// budget, and VAXALLOC_FAULT_STEPS=<text> runs only the steps whose names
// contain it.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
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
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "tests/crash_support.h"
#include "tests/fault_vfs.h"
#include "tests/snapshot.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/scenario.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

namespace fs = std::filesystem;
namespace fault = testing::fault;
using testing::Ok;

// --- The campaign ------------------------------------------------------------------

const Scenario& TinyScenario() {
  static const Scenario scenario = [] {
    ScenarioOptions options;
    options.seed = 22;
    options.registrants = 240;
    options.districts = 3;
    options.centers = 3;
    options.days = 42;
    options.seats_first_permille = 3000;
    options.supply_series_permille = 2500;
    return Ok(GenerateScenario(options));
  }();
  return scenario;
}

// What the steps hand on to later ones (ids, a code's digits). Each step's
// runs under faults work on a copy of the context as the reference run left
// it before the step.
struct Context {
  std::vector<RegistrantId> newcomers;  // online, standby, near center 1
  SeriesId hold_confirm = kNoId, hold_decline = kNoId, hold_expire = kNoId;
  SeriesId booked = kNoId;
  CommitmentId reveal = kNoId, abandon = kNoId;
  CodeId cancel_code = kNoId, withdraw_code = kNoId;
  std::string cancel_digits, withdraw_digits;
  RegistrantId code_registrant = kNoId;
  uint32_t bulk = 0;  // bulk registrations so far (unique references)
};

struct Clock {
  absl::Time draw;     // the first draw
  absl::Time booking;  // the booking flows, an hour later
};

Clock ClockOf(const Scenario& scenario) {
  return Clock{scenario.first_draw_at, scenario.first_draw_at + absl::Hours(1)};
}

// The release week: the calendar's second.
absl::CivilDay ReleaseDay(const Scenario& scenario) { return scenario.options.first_day + 7; }

RegistrantSpec Newcomer(const Scenario& scenario, int index, absl::Time at) {
  RegistrantSpec spec;
  spec.external_ref = fmt::format("NEW-{}", index);
  spec.district = scenario.centers[0].districts[0];
  spec.birth_day = absl::CivilDay(1970, 1, 1);
  spec.group = PriorityGroup::kNone;
  spec.channel = Channel::kOnline;
  spec.standby = true;
  spec.registered_at = at;
  return spec;
}

std::vector<RegistrantSpec> Bulk(const Scenario& scenario, Context& context, uint32_t count,
                                 absl::Time at) {
  std::vector<RegistrantSpec> specs(count);
  for (RegistrantSpec& spec : specs) {
    spec = Newcomer(scenario, 0, at);
    spec.external_ref = fmt::format("BULK-{}", context.bulk++);
    spec.standby = false;
    spec.district = static_cast<DistrictId>(1 + context.bulk % scenario.districts.size());
  }
  return specs;
}

BookingRequest ReleaseBooking(const Scenario& scenario, RegistrantId registrant, absl::Time at,
                              bool confirm) {
  BookingRequest request;
  request.registrant = registrant;
  request.at = at;
  request.vaccine = kScenarioComirnaty;
  request.first_dose_from = ReleaseDay(scenario);
  request.first_dose_until = ReleaseDay(scenario) + 6;
  request.confirm = confirm;
  return request;
}

// A scheduled registrant from a draw (the first, from `after` on).
RegistrantId ScheduledFromDraw(const Engine& engine, SeriesId after = 0) {
  for (SeriesId id = after + 1; id <= engine.series_count(); ++id) {
    const Series series = *engine.GetSeries(id);
    if (series.origin == SeriesOrigin::kDraw && series.status == SeriesStatus::kActive) {
      return series.registrant;
    }
  }
  return kNoId;
}

RegistrantId Waiting(const Engine& engine, RegistrantId from) {
  for (RegistrantId id = from; id <= engine.registrant_count(); ++id) {
    const Registrant registrant = *engine.GetRegistrant(id);
    if (registrant.status == RegistrantStatus::kWaiting && !registrant.erased) return id;
  }
  return kNoId;
}

absl::Time AfterStart(const Engine& engine, const Appointment& appointment, int minutes) {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone(engine.policy().time_zone, &zone));
  return absl::FromCivil(absl::CivilMinute(appointment.day) + appointment.minute + minutes, zone);
}

// --- Steps -------------------------------------------------------------------------

enum class Kind {
  kWrite,      // a Store call on an open Store
  kCreate,     // Store::Open of a file that does not exist
  kOpen,       // Store::Open of an existing file
  kClose,      // the Store's destructor: checkpoint, log removed
  kCheckpoint, // faults on the Store's checkpoint thread during a large commit
  kFollow,     // a second Store's Refresh after the first wrote
};

struct Step {
  std::string name;
  bool tested = true;
  Kind kind = Kind::kWrite;
  // kWrite, kClose, kCheckpoint: the call (kClose: what is written before the
  // close); kFollow: what the writer does before the follower's Refresh.
  std::function<absl::Status(Store&, Context&)> run;
};

template <class T>
absl::Status StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}
absl::Status StatusOf(const absl::Status& status) { return status; }

std::vector<Step> Steps() {
  const Scenario& s = TinyScenario();
  const Clock clock = ClockOf(s);
  const std::vector<DrawRequest> schedule = DrawSchedule(s);
  std::vector<Step> steps;
  auto add = [&](std::string name, auto run, bool tested = true) {
    Step step;
    step.name = std::move(name);
    step.tested = tested;
    step.run = [run](Store& store, Context& context) { return StatusOf(run(store, context)); };
    steps.push_back(std::move(step));
  };
  auto special = [&](std::string name, Kind kind,
                     std::function<absl::Status(Store&, Context&)> run = nullptr) {
    Step step;
    step.name = std::move(name);
    step.kind = kind;
    step.run = std::move(run);
    steps.push_back(std::move(step));
  };
  special("create the file", Kind::kCreate);
  // The setup calls: the first of each kind under faults, the rest after it.
  add("AddDistrict", [&s](Store& store, Context&) {
    return store.AddDistrict(s.districts[0].code, s.districts[0].name);
  });
  add("the other districts", [&s](Store& store, Context&) {
    for (size_t i = 1; i < s.districts.size(); ++i) {
      if (auto id = store.AddDistrict(s.districts[i].code, s.districts[i].name); !id.ok()) {
        return id.status();
      }
    }
    return absl::OkStatus();
  }, false);
  add("AddVaccine", [&s](Store& store, Context&) { return store.AddVaccine(s.vaccines[0]); });
  add("the other vaccines", [&s](Store& store, Context&) {
    for (size_t i = 1; i < s.vaccines.size(); ++i) {
      if (auto id = store.AddVaccine(s.vaccines[i]); !id.ok()) return id.status();
    }
    return absl::OkStatus();
  }, false);
  add("AddCenter", [&s](Store& store, Context&) { return store.AddCenter(s.centers[0]); });
  add("the other centers", [&s](Store& store, Context&) {
    for (size_t i = 1; i < s.centers.size(); ++i) {
      if (auto id = store.AddCenter(s.centers[i]); !id.ok()) return id.status();
    }
    return absl::OkStatus();
  }, false);
  add("AddCapacity", [&s](Store& store, Context&) { return store.AddCapacity(s.capacity[0]); });
  add("the other capacity blocks", [&s](Store& store, Context&) {
    for (size_t i = 1; i < s.capacity.size(); ++i) {
      if (auto status = store.AddCapacity(s.capacity[i]); !status.ok()) return status;
    }
    return absl::OkStatus();
  }, false);
  add("AddSupply", [&s](Store& store, Context&) { return store.AddSupply(s.supply[0]); });
  add("the other deliveries", [&s](Store& store, Context&) {
    for (size_t i = 1; i < s.supply.size(); ++i) {
      if (auto status = store.AddSupply(s.supply[i]); !status.ok()) return status;
    }
    return absl::OkStatus();
  }, false);
  add("SetPolicy", [&s](Store& store, Context&) { return store.SetPolicy(s.policy); });
  add("Register", [&s](Store& store, Context&) { return store.Register(s.registrants[0]); });
  add("RegisterBatch", [&s](Store& store, Context&) {
    return store.RegisterBatch(absl::MakeConstSpan(s.registrants).subspan(1, 99));
  });
  add("the other registrants", [&s](Store& store, Context&) {
    return store.RegisterBatch(absl::MakeConstSpan(s.registrants).subspan(100));
  }, false);
  // A release at center 1 for the second week, with doses of its own.
  add("AddRelease", [&s, clock](Store& store, Context&) {
    ReleaseSpec spec;
    spec.center = 1;
    spec.vaccine = kScenarioComirnaty;
    spec.first_day = ReleaseDay(s);
    spec.last_day = ReleaseDay(s) + 6;
    spec.release_at = clock.draw - absl::Hours(1);
    return store.AddRelease(spec);
  });
  add("the release's delivery", [&s](Store& store, Context&) {
    return store.AddSupply(testing::Supply(1, kScenarioComirnaty, ReleaseDay(s), 400));
  }, false);
  // Draws: plain, committed and revealed, committed and abandoned.
  add("Draw", [schedule, clock](Store& store, Context&) {
    DrawRequest request = schedule[0];
    request.at = clock.draw;
    return store.Draw(request);
  });
  add("CommitDraw", [schedule, clock](Store& store, Context& context) -> absl::Status {
    DrawRequest request = schedule[1];
    request.seed = {};
    request.at = clock.draw + absl::Seconds(1);
    absl::StatusOr<DrawCommitment> commitment = store.CommitDraw(request, "fault beacon 1");
    if (commitment.ok()) context.reveal = commitment->id;
    return commitment.status();
  });
  add("RevealDraw", [clock](Store& store, Context& context) {
    return store.RevealDraw(context.reveal, "beacon value 1", clock.draw + absl::Seconds(2));
  });
  add("a second commitment", [schedule, clock](Store& store, Context& context) -> absl::Status {
    DrawRequest request = schedule[2];
    request.seed = {};
    request.at = clock.draw + absl::Seconds(3);
    absl::StatusOr<DrawCommitment> commitment = store.CommitDraw(request, "fault beacon 2");
    if (commitment.ok()) context.abandon = commitment->id;
    return commitment.status();
  }, false);
  add("AbandonDraw", [clock](Store& store, Context& context) {
    return store.AbandonDraw(context.abandon, "the beacon failed", clock.draw + absl::Seconds(4));
  });
  // Booking flows on newcomers near center 1.
  add("newcomers", [&s, clock](Store& store, Context& context) -> absl::Status {
    std::vector<RegistrantSpec> specs;
    for (int i = 0; i < 8; ++i) specs.push_back(Newcomer(s, i, clock.draw + absl::Seconds(5)));
    absl::StatusOr<std::vector<RegistrantId>> ids = store.RegisterBatch(specs);
    if (ids.ok()) context.newcomers = *ids;
    return ids.status();
  }, false);
  add("Book (hold)", [&s, clock](Store& store, Context& context) -> absl::Status {
    absl::StatusOr<Series> hold =
        store.Book(ReleaseBooking(s, context.newcomers[0], clock.booking, false));
    if (hold.ok()) context.hold_confirm = hold->id;
    return hold.status();
  });
  add("ConfirmHold", [clock](Store& store, Context& context) {
    return store.ConfirmHold(context.hold_confirm, clock.booking + absl::Minutes(1));
  });
  add("a hold to decline", [&s, clock](Store& store, Context& context) -> absl::Status {
    absl::StatusOr<Series> hold = store.Book(
        ReleaseBooking(s, context.newcomers[1], clock.booking + absl::Minutes(2), false));
    if (hold.ok()) context.hold_decline = hold->id;
    return hold.status();
  }, false);
  add("DeclineHold", [clock](Store& store, Context& context) {
    return store.DeclineHold(context.hold_decline, clock.booking + absl::Minutes(3));
  });
  add("a hold to expire", [&s, clock](Store& store, Context& context) -> absl::Status {
    absl::StatusOr<Series> hold = store.Book(
        ReleaseBooking(s, context.newcomers[2], clock.booking + absl::Minutes(4), false));
    if (hold.ok()) context.hold_expire = hold->id;
    return hold.status();
  }, false);
  add("ExpireHolds", [clock](Store& store, Context&) -> absl::Status {
    absl::StatusOr<uint32_t> lapsed = store.ExpireHolds(clock.booking + absl::Minutes(20));
    if (lapsed.ok() && *lapsed != 1) return absl::InternalError("ExpireHolds: not one hold lapsed");
    return lapsed.status();
  });
  add("Book (at once)", [&s, clock](Store& store, Context& context) -> absl::Status {
    absl::StatusOr<Series> booked = store.Book(
        ReleaseBooking(s, context.newcomers[3], clock.booking + absl::Minutes(21), true));
    if (booked.ok()) context.booked = booked->id;
    return booked.status();
  });
  add("Book (standby)", [&s](Store& store, Context& context) {
    BookingRequest request;
    request.registrant = context.newcomers[4];
    request.mode = BookingMode::kStandby;
    absl::TimeZone zone;
    REQUIRE(absl::LoadTimeZone(store.engine().policy().time_zone, &zone));
    request.at = absl::FromCivil(absl::CivilMinute(ReleaseDay(s) + 1) + 10 * 60, zone);
    request.confirm = true;
    return store.Book(request);
  });
  // Codes: a cancellation entered wrong, then right; a withdrawal.
  add("IssueCode", [clock](Store& store, Context& context) -> absl::Status {
    const RegistrantId registrant = ScheduledFromDraw(store.engine());
    CodeRequest request;
    request.registrant = registrant;
    request.purpose = CodePurpose::kCancelSeries;
    request.series = store.engine().GetRegistrant(registrant)->series;
    request.at = clock.booking + absl::Minutes(30);
    absl::StatusOr<IssuedCode> issued = store.IssueCode(request);
    if (issued.ok()) {
      context.cancel_code = issued->record.id;
      context.cancel_digits = issued->code;
    }
    return issued.status();
  });
  add("VerifyCode (wrong)", [clock](Store& store, Context& context) -> absl::Status {
    std::string wrong = context.cancel_digits;
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    CodeOutcome outcome = CodeOutcome::kNotPending;
    const absl::Status status =
        store.VerifyCode(context.cancel_code, wrong, clock.booking + absl::Minutes(31), &outcome);
    // The expected refusal, committed: success for this step.
    if (status.code() == absl::StatusCode::kUnauthenticated && outcome == CodeOutcome::kWrong) {
      return absl::OkStatus();
    }
    return status.ok() ? absl::InternalError("a wrong code was accepted") : status;
  });
  add("VerifyCode (right)", [clock](Store& store, Context& context) {
    return store.VerifyCode(context.cancel_code, context.cancel_digits,
                            clock.booking + absl::Minutes(32));
  });
  add("a withdrawal code", [clock](Store& store, Context& context) -> absl::Status {
    CodeRequest request;
    request.registrant = Waiting(store.engine(), 1);
    request.purpose = CodePurpose::kWithdraw;
    request.at = clock.booking + absl::Minutes(33);
    absl::StatusOr<IssuedCode> issued = store.IssueCode(request);
    if (issued.ok()) {
      context.withdraw_code = issued->record.id;
      context.withdraw_digits = issued->code;
    }
    return issued.status();
  }, false);
  add("VerifyCode (withdrawal)", [clock](Store& store, Context& context) {
    return store.VerifyCode(context.withdraw_code, context.withdraw_digits,
                            clock.booking + absl::Minutes(34));
  });
  add("CancelSeries", [clock](Store& store, Context&) {
    const RegistrantId registrant = ScheduledFromDraw(store.engine());
    return store.CancelSeries(store.engine().GetRegistrant(registrant)->series,
                              clock.booking + absl::Minutes(40));
  });
  add("Withdraw", [clock](Store& store, Context&) {
    return store.Withdraw(ScheduledFromDraw(store.engine()), clock.booking + absl::Minutes(41));
  });
  add("DeleteRegistration", [clock](Store& store, Context&) {
    return store.DeleteRegistration(Waiting(store.engine(), 1), clock.booking + absl::Minutes(42));
  });
  // Attendance, stamped at the appointments (days ahead).
  add("RecordDose (given)", [](Store& store, Context& context) {
    const Series series = *store.engine().GetSeries(context.booked);
    return store.RecordDose(context.booked, 1, DoseOutcome::kGiven,
                            AfterStart(store.engine(), series.appointments[0], 30));
  });
  add("RecordDose (missed)", [](Store& store, Context& context) {
    const Series series = *store.engine().GetSeries(context.booked);
    return store.RecordDose(context.booked, 2, DoseOutcome::kMissed,
                            AfterStart(store.engine(), series.appointments[1], 30));
  });
  add("RebookSecondDose", [](Store& store, Context& context) {
    const Series series = *store.engine().GetSeries(context.booked);
    return store.RebookSecondDose(context.booked,
                                  AfterStart(store.engine(), series.appointments[1], 120));
  });
  add("AcknowledgeEvents", [](Store& store, Context&) -> absl::Status {
    absl::StatusOr<std::vector<Event>> pending = store.PendingEvents(0, kEventsPerReadMax);
    if (!pending.ok()) return pending.status();
    if (pending->empty()) return absl::InternalError("no event to acknowledge");
    return store.AcknowledgeEvents((*pending)[pending->size() / 2].id);
  });
  special("close (the last checkpoint)", Kind::kClose, [&s](Store& store, Context& context) {
    return StatusOf(store.RegisterBatch(Bulk(s, context, 50, s.first_draw_at + absl::Hours(3))));
  });
  special("open an existing file", Kind::kOpen);
  special("follow the journal (Refresh)", Kind::kFollow,
          [&s, clock](Store& store, Context& context) -> absl::Status {
            absl::StatusOr<std::vector<RegistrantId>> ids = store.RegisterBatch(
                Bulk(s, context, 20, s.first_draw_at + absl::Hours(4)));
            if (!ids.ok()) return ids.status();
            absl::StatusOr<Series> hold = store.Book(
                ReleaseBooking(s, context.newcomers[5], clock.booking + absl::Hours(4), true));
            if (!hold.ok()) return hold.status();
            return store.CancelSeries(hold->id, clock.booking + absl::Hours(5));
          });
  // Enough rows for more than 1000 log pages: the commit wakes the Store's
  // checkpoint thread, whose calls fail here.
  special("background checkpoint", Kind::kCheckpoint, [&s](Store& store, Context& context) {
    // References of the longest length fill pages fast (row and index).
    std::vector<RegistrantSpec> specs = Bulk(s, context, 16'000, s.first_draw_at + absl::Hours(6));
    for (RegistrantSpec& spec : specs) {
      spec.external_ref += std::string(kExternalRefLengthMax - spec.external_ref.size(), 'x');
    }
    return StatusOf(store.RegisterBatch(specs));
  });
  return steps;
}

// --- What a step leaves --------------------------------------------------------------

struct State {
  testing::Snapshot snapshot;
  std::vector<Event> events;  // pending
  uint64_t journal_seq = 0;
};

State Capture(const Store& store) {
  const Scenario& s = TinyScenario();
  State state;
  state.snapshot = testing::Take(store.engine(), s.options.first_day - 35, s.last_day);
  // A code's salt and hash come from the operating system on every issue.
  for (VerificationCode& code : state.snapshot.codes) code.salt0 = code.salt1 = code.hash = 0;
  for (uint64_t after = 0;;) {
    std::vector<Event> page = Ok(store.PendingEvents(after, kEventsPerReadMax));
    if (page.empty()) break;
    after = page.back().id;
    for (Event& event : page) {
      if (!event.code.empty()) event.code = std::string(event.code.size(), '#');
      state.events.push_back(std::move(event));
    }
  }
  state.journal_seq = store.journal_seq();
  return state;
}

void CheckSameState(const State& a, const State& b) {
  testing::CheckSame(a.snapshot, b.snapshot);
  CHECK(a.journal_seq == b.journal_seq);
  REQUIRE(a.events.size() == b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    CAPTURE(i);
    CHECK(a.events[i].id == b.events[i].id);
    CHECK(a.events[i].kind == b.events[i].kind);
    CHECK(a.events[i].at == b.events[i].at);
    CHECK(a.events[i].registrant == b.events[i].registrant);
    CHECK(a.events[i].series == b.events[i].series);
    CHECK(a.events[i].draw == b.events[i].draw);
    CHECK(a.events[i].code_id == b.events[i].code_id);
    CHECK(a.events[i].code == b.events[i].code);
  }
}

bool LooksLike(const State& state, const State& like) {
  return state.journal_seq == like.journal_seq && state.events.size() == like.events.size() &&
         state.snapshot.registrants.size() == like.snapshot.registrants.size();
}

std::string Integrity(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  std::string result;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK);
  while (sqlite3_step(statement) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(statement, 0);
    result += text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return result;
}

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

// --- Variants and budgets ------------------------------------------------------------

struct Variant {
  std::string name;
  bool malloc = false;
  fault::Mode mode = fault::Mode::kPersistent;
  bool disk_full = false;
  Durability durability = Durability::kNormal;
};

// VAXALLOC_TEST_SCALE=small: the I/O transient and allocation persistent
// variants only.
std::vector<Variant> Variants() {
  const Variant io_persistent{"I/O persistent", false, fault::Mode::kPersistent, false,
                              Durability::kNormal};
  const Variant io_transient{"I/O transient (kFull)", false, fault::Mode::kTransient, false,
                             Durability::kFull};
  const Variant disk_full{"disk full (kFull)", false, fault::Mode::kPersistent, true,
                          Durability::kFull};
  const Variant allocation_persistent{"allocation persistent", true, fault::Mode::kPersistent,
                                      false, Durability::kNormal};
  const Variant allocation_transient{"allocation transient", true, fault::Mode::kTransient, false,
                                     Durability::kNormal};
  if (testing::SmallScale()) return {io_transient, allocation_persistent};
  return {io_persistent, io_transient, disk_full, allocation_persistent, allocation_transient};
}

uint64_t Budget() {
  if (const char* text = std::getenv("VAXALLOC_FAULT_BUDGET")) return std::strtoull(text, nullptr, 10);
  return testing::SmallScale() ? 3 : 20;
}

// Which N to try for a step that makes `calls` counted calls: all of them
// within the budget, else the first few, the last few and an even spread.
std::vector<uint64_t> Points(uint64_t calls, uint64_t budget) {
  std::vector<uint64_t> points;
  budget = std::max<uint64_t>(budget, 3);
  if (calls <= budget) {
    for (uint64_t n = 1; n <= calls; ++n) points.push_back(n);
  } else {
    const uint64_t ends = std::max<uint64_t>(1, budget / 8);
    for (uint64_t n = 1; n <= ends; ++n) points.push_back(n);
    const uint64_t middle = budget - 2 * ends;
    for (uint64_t i = 0; i < middle; ++i) {
      points.push_back(ends + 1 + (calls - 2 * ends) * i / std::max<uint64_t>(1, middle));
    }
    for (uint64_t n = calls - ends + 1; n <= calls; ++n) points.push_back(n);
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
  }
  return points;
}

bool Expected(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kFailedPrecondition;
}

// --- The run -------------------------------------------------------------------------

struct Tally {
  uint64_t runs = 0;
  uint64_t faults = 0;  // calls or allocations failed
  uint64_t swallowed = 0;  // the step succeeded though a fault was injected
  std::map<std::string, uint64_t> codes;  // "Unavailable [sqlite 778]" -> count
  std::vector<std::string> unexpected;     // messages of codes outside Expected
};

std::string SqliteCodeOf(const absl::Status& status) {
  const std::string message(status.message());
  const size_t at = message.rfind("[sqlite error ");
  if (at == std::string::npos) return "";
  const size_t end = message.find(']', at);
  return message.substr(at + 14, end - at - 14);
}

class FaultRun {
 public:
  FaultRun() : dir_("fault_test"), steps_(Steps()) {}

  void Run() {
    fault::Install();
    BuildReference();
    const std::vector<Variant> variants = Variants();
    const uint64_t budget = Budget();
    const auto start = std::chrono::steady_clock::now();
    uint64_t total_runs = 0, total_faults = 0, total_swallowed = 0;
    std::map<std::string, uint64_t> all_codes;
    const char* only = std::getenv("VAXALLOC_FAULT_STEPS");  // a substring of step names
    for (size_t k = 0; k < steps_.size(); ++k) {
      if (!steps_[k].tested) continue;
      if (only != nullptr && steps_[k].name.find(only) == std::string::npos) continue;
      CAPTURE(steps_[k].name);
      std::string line = fmt::format("fault_test: {:<30}", steps_[k].name);
      const auto step_start = std::chrono::steady_clock::now();
      for (const Variant& variant : variants) {
        CAPTURE(variant.name);
        const uint64_t calls = variant.malloc ? reference_[k].allocations : reference_[k].io_calls;
        // The checkpoint thread's calls vary a little with timing: fewer points.
        const uint64_t points_budget = steps_[k].kind == Kind::kCheckpoint ? budget / 4 : budget;
        Tally tally;
        for (uint64_t n : Points(calls, points_budget)) {
          CAPTURE(n);
          RunOnce(k, variant, n, tally);
        }
        // Then on from the last call the reference run made (kFull syncs
        // more than it did) until a run reaches no N: it must succeed.
        for (uint64_t n = calls + 1;; ++n) {
          CAPTURE(n);
          REQUIRE_MESSAGE(n <= calls + 200, "the step keeps making calls");
          if (RunOnce(k, variant, n, tally) == 0) break;
        }
        total_runs += tally.runs;
        total_faults += tally.faults;
        total_swallowed += tally.swallowed;
        for (const auto& [code, count] : tally.codes) all_codes[code] += count;
        line += fmt::format(" | {}: {}/{} N, {} faults", variant.name, tally.runs, calls,
                            tally.faults);
        for (const std::string& message : tally.unexpected) {
          FAIL_CHECK("step ", steps_[k].name, ", ", variant.name, ": unexpected error ", message);
        }
      }
      fmt::print("{} | {:.1f} s\n", line,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start)
                     .count());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string codes;
    for (const auto& [code, count] : all_codes) codes += fmt::format("{} x{}; ", code, count);
    const fault::Totals totals = fault::ReadTotals();
    fmt::print(
        "fault_test: {} runs, {} injected faults ({} I/O calls, {} allocations failed in all), "
        "{:.1f} s; {} runs succeeded though a fault was injected (SQLite absorbed it); errors "
        "returned: {}\n",
        total_runs, total_faults, totals.io_faults, totals.allocation_faults, seconds,
        total_swallowed, codes);
    std::fflush(stdout);
  }

 private:
  struct Reference {
    State after;
    Context context;          // after the step
    uint64_t io_calls = 0;    // counted during the step
    uint64_t allocations = 0;
  };

  std::string StatePath(size_t k) const { return dir_.File(fmt::format("state{}.sqlite", k)); }

  // Runs every step once, without faults, from the state the previous one
  // left (closed and copied), counting what each makes.
  void BuildReference() {
    const std::string path = dir_.File("reference.sqlite");
    Context context;
    reference_.resize(steps_.size());
    for (size_t k = 0; k < steps_.size(); ++k) {
      CAPTURE(steps_[k].name);
      Reference& reference = reference_[k];
      std::unique_ptr<Store> store;
      std::unique_ptr<Store> follower;
      if (steps_[k].kind != Kind::kCreate && steps_[k].kind != Kind::kOpen) {
        store = Ok(Store::Open(path));
      }
      if (steps_[k].kind == Kind::kFollow) {
        follower = Ok(Store::Open(path, ReadOnly()));
        Ok(steps_[k].run(*store, context));
      } else if (steps_[k].kind == Kind::kClose) {
        Ok(steps_[k].run(*store, context));
      }
      fault::Plan count;
      count.threads =
          steps_[k].kind == Kind::kCheckpoint ? fault::Threads::kOthers : fault::Threads::kArming;
      fault::Arm(count);
      fault::ArmMalloc(0, false, count.threads);
      switch (steps_[k].kind) {
        case Kind::kCreate:
        case Kind::kOpen:
          store = Ok(Store::Open(path));
          break;
        case Kind::kClose:
          store.reset();
          break;
        case Kind::kFollow:
          Ok(follower->Refresh());
          break;
        case Kind::kCheckpoint:
          Ok(steps_[k].run(*store, context));
          WaitForCheckpoint();
          break;
        case Kind::kWrite:
          Ok(steps_[k].run(*store, context));
          break;
      }
      const fault::Counts counts = fault::Read();
      fault::Disarm();
      reference.io_calls = counts.calls;
      reference.allocations = counts.allocations;
      if (steps_[k].kind == Kind::kCheckpoint) CHECK(counts.calls > 0u);  // the thread ran
      if (store == nullptr) store = Ok(Store::Open(path));
      reference.after = Capture(*store);
      reference.context = context;
      store.reset();
      follower.reset();
      CopyFile(path, StatePath(k));
    }
    const Engine& engine = Ok(Store::Open(path))->engine();
    (void)engine;
  }

  static StoreOptions ReadOnly() {
    StoreOptions options;
    options.read_only = true;
    return options;
  }

  // The checkpoint thread is done once its calls stop (it runs one
  // checkpoint per wake).
  static void WaitForCheckpoint() {
    uint64_t seen = fault::Read().calls;
    for (int quiet = 0, waited = 0; quiet < 5 && waited < 400; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      const uint64_t now = fault::Read().calls;
      quiet = now == seen && now > 0 ? quiet + 1 : 0;
      seen = now;
    }
  }

  // Returns the number of faults injected.
  uint64_t RunOnce(size_t k, const Variant& variant, uint64_t n, Tally& tally) {
    const Step& step = steps_[k];
    const State* before = k == 0 ? nullptr : &reference_[k - 1].after;
    const State& after = reference_[k].after;
    Context context = k == 0 ? Context{} : reference_[k - 1].context;
    const std::string path = dir_.File("work.sqlite");
    RemoveFile(path);
    if (k > 0) CopyFile(StatePath(k - 1), path);
    StoreOptions options;
    options.durability = variant.durability;
    ++tally.runs;

    std::unique_ptr<Store> live;
    std::unique_ptr<Store> follower;
    if (step.kind != Kind::kCreate && step.kind != Kind::kOpen) live = Ok(Store::Open(path, options));
    if (step.kind == Kind::kFollow) {
      follower = Ok(Store::Open(path, ReadOnly()));
      Ok(step.run(*live, context));
    } else if (step.kind == Kind::kClose) {
      Ok(step.run(*live, context));
    }

    // Armed.
    const fault::Threads threads =
        step.kind == Kind::kCheckpoint ? fault::Threads::kOthers : fault::Threads::kArming;
    fault::Plan plan;
    plan.threads = threads;
    if (!variant.malloc) {
      plan.mode = variant.mode;
      plan.nth = n;
      plan.disk_full = variant.disk_full;
      if (variant.disk_full) plan.calls = fault::Bit(fault::Call::kWrite) | fault::Bit(fault::Call::kTruncate);
    }
    fault::Arm(plan);
    fault::ArmMalloc(variant.malloc ? n : 0, variant.mode == fault::Mode::kPersistent, threads);
    absl::Status status = absl::OkStatus();
    switch (step.kind) {
      case Kind::kCreate:
      case Kind::kOpen: {
        absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(path, options);
        status = opened.status();
        if (opened.ok()) live = *std::move(opened);
        break;
      }
      case Kind::kClose:
        live.reset();
        break;
      case Kind::kFollow:
        status = follower->Refresh();
        break;
      case Kind::kCheckpoint:
        status = step.run(*live, context);
        WaitForCheckpoint();
        break;
      case Kind::kWrite:
        status = step.run(*live, context);
        break;
    }
    const fault::Counts counts = fault::Read();
    fault::Disarm();
    const uint64_t injected = counts.faults + counts.allocation_faults;
    tally.faults += injected;
    if (injected == 0) {
      // Past the step's last call: nothing failed, and it did what it does.
      REQUIRE_MESSAGE(status.ok(), status);
    } else if (status.ok()) {
      ++tally.swallowed;
    } else {
      const std::string key =
          fmt::format("{} [sqlite {}]", absl::StatusCodeToString(status.code()), SqliteCodeOf(status));
      ++tally.codes[key];
      if (!Expected(status.code())) tally.unexpected.push_back(status.ToString());
    }

    // Injection off. A Store on the file now, beside the one that failed.
    absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(path, options);
    REQUIRE_MESSAGE(reopened.ok(), "reopening after the fault: ", reopened.status());
    State now = Capture(**reopened);
    const bool changed = before == nullptr || LooksLike(now, after) || status.ok();
    if (step.kind == Kind::kWrite && !status.ok() && changed) {
      FAIL_CHECK("the step returned ", status, " but its change is in the file");
    }
    if (step.kind == Kind::kClose || step.kind == Kind::kOpen || step.kind == Kind::kFollow ||
        step.kind == Kind::kCheckpoint || changed) {
      CheckSameState(now, after);
    } else {
      CheckSameState(now, *before);
    }
    const InvariantReport invariants = CheckInvariants((*reopened)->engine());
    REQUIRE_MESSAGE(invariants.ok(), invariants.ToString());
    CHECK(Integrity(path) == "ok");

    // The Store that saw the failure holds what the file holds, and works.
    if (step.kind == Kind::kFollow) {
      Ok(follower->Refresh());
      CheckSameState(Capture(*follower), after);
    } else if (live != nullptr && step.kind != Kind::kCreate && step.kind != Kind::kOpen) {
      const absl::Status refreshed = live->Refresh();
      CHECK_MESSAGE(refreshed.ok(), "the Store that failed cannot refresh: ", refreshed);
      if (refreshed.ok()) CheckSameState(Capture(*live), changed ? after : *before);
      if (!changed && step.kind == Kind::kWrite) {
        // Again, on the same Store: the change it could not make.
        Context retry = k == 0 ? Context{} : reference_[k - 1].context;
        absl::Status again = step.run(*live, retry);
        if (!again.ok()) {
          FAIL_CHECK("the Store that failed cannot run the step again: ", again);
          live.reset();
          reopened->reset();
          live = Ok(Store::Open(path, options));
          again = step.run(*live, retry);
          REQUIRE_MESSAGE(again.ok(), "nor can a reopened one: ", again);
        }
        CheckSameState(Capture(*live), after);
      }
    }
    // Every connection closed, then opened afresh (the log recovered).
    live.reset();
    follower.reset();
    reopened->reset();
    std::unique_ptr<Store> fresh = Ok(Store::Open(path, options));
    const State last = Capture(*fresh);
    if (!LooksLike(last, after)) {
      // Only a step that failed and was not run again stays before.
      REQUIRE(before != nullptr);
      CheckSameState(last, *before);
    } else {
      CheckSameState(last, after);
    }
    fresh.reset();
    CHECK(Integrity(path) == "ok");
    return injected;
  }

  testing::TempDir dir_;
  std::vector<Step> steps_;
  std::vector<Reference> reference_;
};

TEST_CASE("every step survives a failing I/O call or allocation at every point") {
  FaultRun().Run();
}

// A commit whose fsync fails returns Unavailable and rolls back; its frames
// are in the log all the same (SQLite does not take them back), so a crash
// right after it, before anything overwrites them, recovers them: the change
// the call refused is in the file. Either outcome is a whole change (checked
// here); which one it is, is printed. A host must take an Unavailable commit
// as "outcome unknown" (docs/reliability.md).
TEST_CASE("a commit whose fsync failed, then a crash: the change is whole or absent") {
  fault::Install();
  testing::TempDir dir("fault_test");
  const std::string base = dir.File("base.sqlite");
  const std::string path = dir.File("fsync.sqlite");
  StoreOptions options;
  options.durability = Durability::kFull;
  {
    std::unique_ptr<Store> store = Ok(Store::Open(base, options));
    Ok(store->AddDistrict("06411", "Darmstadt"));
  }
  // How many syncs the change makes (the log's header on its first frame,
  // the log at the commit).
  uint64_t syncs = 0;
  {
    CopyFile(base, path);
    std::unique_ptr<Store> store = Ok(Store::Open(path, options));
    fault::Plan count;
    count.calls = fault::Bit(fault::Call::kSync);
    fault::Arm(count);
    Ok(store->AddDistrict("06412", "Frankfurt am Main"));
    syncs = fault::Read().calls;
    fault::Disarm();
  }
  REQUIRE(syncs >= 1u);
  std::string outcomes;
  for (uint64_t nth = 1; nth <= syncs; ++nth) {
    CAPTURE(nth);
    RemoveFile(path);
    CopyFile(base, path);
    bool killed = false, finished = false;
    const std::string report = crash::RunChild(
        [&](int fd) {
          absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
          if (!store.ok()) _exit(3);
          fault::Plan plan;
          plan.mode = fault::Mode::kTransient;
          plan.calls = fault::Bit(fault::Call::kSync);
          plan.nth = nth;
          fault::Arm(plan);
          const absl::Status status = (*store)->AddDistrict("06412", "Frankfurt am Main").status();
          const char code = static_cast<char>(status.code());
          if (write(fd, &code, 1) != 1) _exit(4);
          kill(getpid(), SIGKILL);
          _exit(5);
        },
        std::chrono::milliseconds(-1), killed, finished);
    CHECK(killed);
    REQUIRE(report.size() == 1);
    const char code = report[0];
    CHECK(static_cast<absl::StatusCode>(code) == absl::StatusCode::kUnavailable);
    std::unique_ptr<Store> reopened = Ok(Store::Open(path, options));
    const uint32_t districts = reopened->engine().district_count();
    CHECK((districts == 1 || districts == 2));
    CHECK(reopened->journal_seq() == districts + 1);  // created, then one entry each
    const JournalCheck journal = Ok(reopened->VerifyJournal());
    CHECK(journal.intact());
    CHECK(CheckInvariants(reopened->engine()).ok());
    reopened.reset();
    CHECK(Integrity(path) == "ok");
    outcomes += fmt::format("{}sync {} of {} failed ({}): the change is {}", nth == 1 ? "" : "; ",
                            nth, syncs,
                            absl::StatusCodeToString(static_cast<absl::StatusCode>(code)),
                            districts == 2 ? "in the file (recovered from the log)" : "absent");
  }
  fmt::print("fault_test: a commit whose fsync failed, then a crash: {}\n", outcomes);
}

}  // namespace
}  // namespace vaxalloc
