// The operation journal (docs/journal.md): every change is an entry, every
// Store follows it, its hash chain catches edits. Several processes on one
// file give the answers a single process gives running the same calls in
// journal order.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "src/journal.h"
#include "tests/snapshot.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

namespace fs = std::filesystem;
using absl::CivilDay;
using absl::StatusCode;
using testing::At;
using testing::Block;
using testing::CenterOf;
using testing::CheckSame;
using testing::Ok;
using testing::Person;
using testing::Snapshot;
using testing::StatusOf;
using testing::Supply;
using testing::Take;
using testing::Sql;
using testing::TwoDose;

// A fresh directory for one test, removed after it.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("journal_test") {}
};


std::unique_ptr<Store> OpenOk(const std::string& path, StoreOptions options = {}) {
  return Ok(Store::Open(path, options));
}

StoreOptions ReadOnly() {
  StoreOptions options;
  options.read_only = true;
  return options;
}

bool Contains(const absl::Status& status, std::string_view text) {
  return absl::StrContains(status.message(), absl::string_view(text.data(), text.size()));
}

// --- One small campaign, the same on an Engine or a Store --------------------

const CivilDay kFirstDay(2021, 6, 14);
constexpr int kDays = 10;      // released for self-booking
constexpr int kDrawDays = 4;  // after them, for draws
const absl::Time kReleaseAt = At(2021, 6, 1, 7);
const absl::Time kRegisteredAt = At(2021, 5, 3);

// A center open ten days from 8:00 to 12:00 in 30-minute slots of `seats`
// first-dose seats (second doses 21 days on, as many), all released for
// self-booking on 1 June 07:00, then four days for draws; `people`
// registrants.
template <class Campaign>
void BuildCampaign(Campaign& campaign, int seats, uint32_t people) {
  const DistrictId district = Ok(campaign.AddDistrict("06412", "Frankfurt am Main"));
  const VaccineId vaccine = Ok(campaign.AddVaccine(TwoDose("comirnaty")));
  const CenterId center = Ok(campaign.AddCenter(CenterOf("FFM", {district})));
  Ok(campaign.AddCapacity(Block(center, vaccine, kFirstDay, kFirstDay + (kDays + kDrawDays - 1),
                                8 * 60, 12 * 60, 30, seats, 0)));
  Ok(campaign.AddCapacity(Block(center, vaccine, kFirstDay + 21, kFirstDay + 21 + kDays + 21,
                                8 * 60, 12 * 60, 30, 0, seats)));
  Ok(campaign.AddSupply(Supply(center, vaccine, CivilDay(2021, 6, 1), 1'000'000)));
  ReleaseSpec release;
  release.center = center;
  release.first_day = kFirstDay;
  release.last_day = kFirstDay + (kDays - 1);
  release.release_at = kReleaseAt;
  Ok(campaign.AddRelease(release));
  std::vector<RegistrantSpec> specs;
  for (uint32_t i = 0; i < people; ++i) {
    specs.push_back(Person(fmt::format("HE-{:06}", i + 1), district,
                           static_cast<PriorityGroup>(1 + i % 4), kRegisteredAt));
  }
  if (!specs.empty()) Ok(campaign.RegisterBatch(specs));
}

BookingRequest Booking(RegistrantId registrant, absl::Time at) {
  BookingRequest request;
  request.registrant = registrant;
  request.at = at;
  request.confirm = true;
  return request;
}

// --- The entries -----------------------------------------------------------------

TEST_CASE("every change writes one entry; calls that change nothing write none") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  std::vector<JournalEntry> entries = Ok(store->ReadJournal());
  REQUIRE(entries.size() == 1u);
  CHECK(entries[0].seq == 1u);
  CHECK(entries[0].op_name == "created");
  CHECK(store->journal_seq() == 1u);

  BuildCampaign(*store, 2, 6);
  const absl::Time now = At(2021, 6, 2, 9);
  const Series booked = Ok(store->Book(Booking(1, now)));
  BookingRequest hold = Booking(2, now + absl::Minutes(1));
  hold.confirm = false;
  const Series held = Ok(store->Book(hold));
  Ok(store->ConfirmHold(held.id, now + absl::Minutes(2)));
  hold.registrant = 3;
  hold.at = now + absl::Minutes(3);
  const Series declined = Ok(store->Book(hold));
  Ok(store->DeclineHold(declined.id, now + absl::Minutes(4)));
  CHECK(Ok(store->ExpireHolds(now + absl::Minutes(5))) == 0u);  // none due: no entry
  Ok(store->CancelSeries(booked.id, now + absl::Minutes(6)));
  Ok(store->Withdraw(4, now + absl::Minutes(7)));
  Ok(store->DeleteRegistration(5, now + absl::Minutes(8)));
  CodeRequest code_request;
  code_request.registrant = 6;
  code_request.purpose = CodePurpose::kWithdraw;
  code_request.at = now + absl::Minutes(9);
  const IssuedCode code = Ok(store->IssueCode(code_request));
  const std::string wrong = code.code == "000000" ? "111111" : "000000";
  CHECK_CODE(StatusCode::kUnauthenticated,
             store->VerifyCode(code.record.id, wrong, now + absl::Minutes(10)));
  Ok(store->VerifyCode(code.record.id, code.code, now + absl::Minutes(11)));
  // A used code changes nothing: no entry.
  CHECK_CODE(StatusCode::kFailedPrecondition,
             store->VerifyCode(code.record.id, code.code, now + absl::Minutes(12)));
  Ok(store->RegisterBatch({}));  // nobody: no entry
  const uint64_t events = Ok(store->PendingEvents(0, kEventsPerReadMax)).back().id;
  Ok(store->AcknowledgeEvents(events));  // the outbox: no entry
  // A refused change writes none either.
  CHECK_CODE(StatusCode::kNotFound, store->CancelSeries(999, now + absl::Minutes(13)));

  entries = Ok(store->ReadJournal());
  std::vector<std::string> names;
  for (const JournalEntry& entry : entries) names.push_back(entry.op_name);
  const std::vector<std::string> expected = {
      "created",      "add_district",  "add_vaccine",   "add_center",    "add_capacity",
      "add_capacity", "add_supply",    "add_release",   "register",      "book",
      "book",         "confirm_hold",  "book",          "decline_hold",  "cancel_series",
      "withdraw",     "delete_registration", "issue_code", "verify_code", "verify_code"};
  CHECK(names == expected);
  for (size_t i = 0; i < entries.size(); ++i) CHECK(entries[i].seq == i + 1);
  CHECK(store->journal_seq() == entries.size());
  const JournalCheck check = Ok(store->VerifyJournal());
  CHECK_MESSAGE(check.intact(), check.problem);
  CHECK(check.entries == entries.size());
  CHECK(check.head == entries.back().hash);
  // Paging.
  const std::vector<JournalEntry> page = Ok(store->ReadJournal(3, 2));
  REQUIRE(page.size() == 2u);
  CHECK(page[0].seq == 4u);
  CHECK_CODE(StatusCode::kInvalidArgument, store->ReadJournal(0, 0));
  CHECK_CODE(StatusCode::kInvalidArgument, store->ReadJournal(0, kJournalEntriesPerReadMax + 1));
}

TEST_CASE("the chain is SHA-256 over the previous hash and the entry, as docs/journal.md says") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  BuildCampaign(*store, 1, 3);
  const std::vector<JournalEntry> entries = Ok(store->ReadJournal());
  internal::Sha256 previous{};
  for (const JournalEntry& entry : entries) {
    // The documented bytes, assembled here rather than by the library.
    std::string bytes(previous.begin(), previous.end());
    auto little = [&](uint64_t value, int size) {
      for (int i = 0; i < size; ++i) bytes.push_back(static_cast<char>(value >> (8 * i)));
    };
    little(entry.seq, 8);
    little(entry.op, 1);
    little(static_cast<uint64_t>(absl::ToUnixMicros(entry.committed_at)), 8);
    little(entry.clock == absl::InfinitePast()
               ? uint64_t{1} << 63
               : static_cast<uint64_t>(absl::ToUnixMicros(entry.clock)),
           8);
    little(entry.args.size(), 4);
    bytes += entry.args;
    const internal::Sha256 hash = internal::Sha256Of(bytes);
    CHECK(std::equal(hash.begin(), hash.end(), entry.hash.begin()));
    previous = hash;
  }
  // A known vector: SHA-256("abc").
  CHECK(internal::HexOf(internal::Sha256Of("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // The registration entry keeps no personal data.
  for (const JournalEntry& entry : entries) {
    CHECK(entry.args.find("HE-000001") == std::string::npos);
  }
}

// --- Following ---------------------------------------------------------------------

TEST_CASE("a booking refused for want of a seat succeeds once another process freed one") {
  // The issue's hotline: the portal (one Store) frees a seat, the hotline
  // (another Store, loaded before) books it, without reopening.
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto portal = OpenOk(path);
  BuildCampaign(*portal, 1, 100);
  auto hotline = OpenOk(path);
  const absl::Time now = At(2021, 6, 2, 9);
  std::vector<Series> booked;
  for (RegistrantId r = 1; r <= 8 * kDays + 1; ++r) {
    absl::StatusOr<Series> series = portal->Book(Booking(r, now));
    if (!series.ok()) {
      CHECK(series.status().code() == StatusCode::kResourceExhausted);
      break;
    }
    booked.push_back(*series);
  }
  REQUIRE(booked.size() == 8u * kDays);  // 8 slots a day, one seat each
  CHECK_CODE(StatusCode::kResourceExhausted, hotline->Book(Booking(100, now)));
  Ok(portal->CancelSeries(booked[3].id, now + absl::Minutes(1)));
  const Series rebooked = Ok(hotline->Book(Booking(100, now + absl::Minutes(2))));
  CHECK(rebooked.appointments[0].day == booked[3].appointments[0].day);
  CHECK(rebooked.appointments[0].minute == booked[3].appointments[0].minute);
  // The portal sees the hotline's booking at its next call.
  CHECK_CODE(StatusCode::kResourceExhausted, portal->Book(Booking(99, now + absl::Minutes(3))));
  CHECK(Ok(portal->engine().GetRegistrant(100)).status == RegistrantStatus::kScheduled);
  CheckSame(Take(portal->engine()), Take(hotline->engine()));
}

TEST_CASE("a write prepared on a stale state is prepared again, never written stale") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto first = OpenOk(path);
  BuildCampaign(*first, 1, 200);
  auto second = OpenOk(path);
  const absl::Time now = At(2021, 6, 2, 9);
  // Both think seat one is free; the second books after the first took it,
  // and gets the next seat, not a second booking of the same one.
  const Series a = Ok(first->Book(Booking(1, now)));
  const Series b = Ok(second->Book(Booking(2, now)));
  CHECK((a.appointments[0].day != b.appointments[0].day ||
         a.appointments[0].minute != b.appointments[0].minute));
  // Registration ids follow the journal too.
  const RegistrantId next = Ok(first->Register(Person("HE-X1", 1, PriorityGroup::kNone,
                                                      kRegisteredAt)));
  const RegistrantId after = Ok(second->Register(Person("HE-X2", 1, PriorityGroup::kNone,
                                                        kRegisteredAt)));
  CHECK(after == next + 1);
  // The same reference from the stale side is refused on the caught-up state.
  CHECK_CODE(StatusCode::kAlreadyExists,
             first->Register(Person("HE-X2", 1, PriorityGroup::kNone, kRegisteredAt)));
  Ok(first->Refresh());
  CheckSame(Take(first->engine()), Take(second->engine()));
  const InvariantReport report = CheckInvariants(second->engine());
  CHECK_MESSAGE(report.ok(), report.ToString());
}

TEST_CASE("a follower behind a deleted registration reloads and agrees with the file") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto writer = OpenOk(path);
  BuildCampaign(*writer, 1, 5);
  auto follower = OpenOk(path, ReadOnly());
  // Registered and deleted while the follower was not looking: the
  // registration's entry has no reference, and the file no longer has it.
  const RegistrantId id =
      Ok(writer->Register(Person("HE-GONE", 1, PriorityGroup::kGroup1, kRegisteredAt)));
  Ok(writer->Register(Person("HE-STAYS", 1, PriorityGroup::kGroup2, kRegisteredAt)));
  Ok(writer->DeleteRegistration(id, At(2021, 6, 2)));
  Ok(follower->Refresh());
  CHECK(follower->journal_seq() == writer->journal_seq());
  CHECK(Ok(follower->engine().GetRegistrant(id)).erased);
  CHECK(Ok(follower->engine().FindRegistrant("HE-STAYS")) == id + 1);
  CheckSame(Take(follower->engine()), Take(writer->engine()));
}

TEST_CASE("a follower whose reload failed stays where it was and catches up later") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto writer = OpenOk(path);
  BuildCampaign(*writer, 1, 5);
  auto follower = OpenOk(path);
  const RegistrantId gone =
      Ok(writer->Register(Person("HE-GONE", 1, PriorityGroup::kGroup1, kRegisteredAt)));
  Ok(writer->DeleteRegistration(gone, At(2021, 6, 2)));
  Ok(writer->Book(Booking(1, At(2021, 6, 2, 9))));
  // The reload the deletion needs meets a row the engine refuses.
  Sql(path, "UPDATE vaccines SET dose_count = 9");
  CHECK_CODE(StatusCode::kDataLoss, follower->Refresh());
  CHECK_CODE(StatusCode::kDataLoss, follower->Book(Booking(2, At(2021, 6, 2, 10))));
  Sql(path, "UPDATE vaccines SET dose_count = 2");
  Ok(follower->Refresh());
  CHECK(follower->journal_seq() == writer->journal_seq());
  CheckSame(Take(follower->engine()), Take(writer->engine()));
  const Series second = Ok(follower->Book(Booking(2, At(2021, 6, 2, 10))));
  Ok(writer->Refresh());
  CHECK(Ok(writer->engine().GetSeries(second.id)).registrant == 2u);
  CheckSame(Take(follower->engine()), Take(writer->engine()));
}

TEST_CASE("an entry whose clock does not replay is reported once and never applied twice") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto writer = OpenOk(path);
  BuildCampaign(*writer, 1, 5);
  auto follower = OpenOk(path, ReadOnly());
  Ok(writer->Book(Booking(1, At(2021, 6, 2, 9))));
  // The last entry's clock changed and the chain rehashed to match: only
  // the replay can tell.
  const JournalEntry last = Ok(writer->ReadJournal(writer->journal_seq() - 1, 1)).front();
  const JournalEntry before = Ok(writer->ReadJournal(writer->journal_seq() - 2, 1)).front();
  internal::Sha256 previous;
  std::copy(before.hash.begin(), before.hash.end(), previous.begin());
  const int64_t wrong_clock = absl::ToUnixMicros(At(2021, 6, 3));
  const internal::Sha256 rehashed = internal::JournalEntryHash(
      previous, last.seq, last.op, absl::ToUnixMicros(last.committed_at), wrong_clock, last.args);
  writer.reset();
  Sql(path, fmt::format("UPDATE journal SET clock_us = {}, hash = x'{}' WHERE seq = {}",
                        wrong_clock, internal::HexOf(rehashed), last.seq));
  const absl::Status status = follower->Refresh();
  CHECK(status.code() == StatusCode::kDataLoss);
  CHECK_MESSAGE(Contains(status, "clock"), status);
  // Applied once: the next call neither fails again nor books twice.
  Ok(follower->Refresh());
  CHECK(follower->journal_seq() == last.seq);
  CHECK(follower->engine().series_count() == 1u);
}

TEST_CASE("a read-only Store follows and refuses every change") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  CHECK_CODE(StatusCode::kFailedPrecondition, Store::Open(path, ReadOnly()));
  CHECK_FALSE(fs::exists(path));  // nothing created
  auto writer = OpenOk(path);
  BuildCampaign(*writer, 1, 5);
  auto reader = OpenOk(path, ReadOnly());
  CHECK(reader->read_only());
  const absl::Time now = At(2021, 6, 2, 9);
  Ok(writer->Book(Booking(1, now)));
  Ok(reader->Refresh());
  CHECK(Ok(reader->engine().GetRegistrant(1)).status == RegistrantStatus::kScheduled);
  const uint64_t seq = reader->journal_seq();
  for (const absl::Status& status : std::vector<absl::Status>{
           StatusOf(reader->AddDistrict("06413", "Offenbach")), StatusOf(reader->Book(Booking(2, now))),
        reader->CancelSeries(1, now), reader->Withdraw(2, now),
        StatusOf(reader->ExpireHolds(now)), reader->AcknowledgeEvents(1)}) {
    CHECK(status.code() == StatusCode::kFailedPrecondition);
    CHECK_MESSAGE(Contains(status, "read-only"), status);
  }
  CHECK(reader->journal_seq() == seq);
  CHECK(Ok(writer->ReadJournal()).size() == seq);
  // An older schema is not migrated by a reader.
  writer.reset();
  reader.reset();
  Sql(path, "PRAGMA user_version = 3");
  const absl::Status old = Store::Open(path, ReadOnly()).status();
  CHECK(old.code() == StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(Contains(old, "needs migrating"), old);
}

TEST_CASE("a file of schema 3 gets its journal when migrated, starting with 'migrated'") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Snapshot before;
  {
    auto store = OpenOk(path);
    BuildCampaign(*store, 2, 8);
    before = Take(store->engine());
  }
  Sql(path,
      "DROP TABLE journal; DROP TABLE draw_commitment_centers; DROP TABLE draw_inputs; "
      "DROP TABLE draw_commitments; "
      "PRAGMA user_version = 3");
  auto store = OpenOk(path);
  CheckSame(before, Take(store->engine()));
  const std::vector<JournalEntry> entries = Ok(store->ReadJournal());
  REQUIRE(entries.size() == 1u);
  CHECK(entries[0].op_name == "migrated");
  // Only registrations so far: they do not move the clock.
  CHECK(entries[0].clock == absl::InfinitePast());
  CHECK(store->engine().latest_change() == absl::InfinitePast());
  Ok(store->Book(Booking(1, At(2021, 6, 2, 9))));
  CHECK(Ok(store->VerifyJournal()).entries == 2u);
}

TEST_CASE("the campaign clock survives a reopen and reaches followers (issue 19)") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  BuildCampaign(*store, 1, 5);
  auto follower = OpenOk(path, ReadOnly());
  // A decline at 10:00: no table keeps its instant, the journal does.
  BookingRequest hold = Booking(1, At(2021, 6, 2, 9));
  hold.confirm = false;
  const Series held = Ok(store->Book(hold));
  const absl::Time declined_at = At(2021, 6, 2, 10);
  Ok(store->DeclineHold(held.id, declined_at));
  CHECK(store->engine().latest_change() == declined_at);
  CHECK(Ok(store->ReadJournal(store->journal_seq() - 1, 1)).front().clock == declined_at);
  DrawRequest draw;
  draw.seed = {19, 1};
  draw.at = At(2021, 6, 2, 9, 30);
  draw.first_dose_from = kFirstDay + kDays;
  draw.first_dose_until = kFirstDay + kDays;
  store.reset();
  auto reopened = OpenOk(path);
  CHECK(reopened->engine().latest_change() == declined_at);
  CHECK_CODE(StatusCode::kFailedPrecondition, reopened->Draw(draw));
  Ok(follower->Refresh());
  CHECK(follower->engine().latest_change() == declined_at);
  draw.at = declined_at;
  Ok(reopened->Draw(draw));
  Ok(follower->Refresh());
  CHECK(follower->engine().draw_count() == 1u);
}

// --- Edits the chain catches ---------------------------------------------------------

// A campaign of some entries, a follower that has applied all but the last
// few, and the edit `sql` made with the sqlite3 shell.
void CheckEditCaught(const std::string& sql, uint64_t first_bad_seq,
                     std::string_view problem_fragment) {
  CAPTURE(sql);
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto writer = OpenOk(path);
  BuildCampaign(*writer, 2, 10);
  auto follower = OpenOk(path, ReadOnly());
  const absl::Time now = At(2021, 6, 2, 9);
  for (RegistrantId r = 1; r <= 6; ++r) Ok(writer->Book(Booking(r, now + absl::Minutes(r))));
  const uint64_t entries = writer->journal_seq();
  writer.reset();
  Sql(path, sql);

  StoreOptions verify;
  verify.verify_journal = true;
  const absl::Status opened = Store::Open(path, verify).status();
  CHECK(opened.code() == StatusCode::kDataLoss);
  CHECK_MESSAGE(Contains(opened, problem_fragment), opened);
  // The follower, which had not seen the last entries, is told too.
  const absl::Status refreshed = follower->Refresh();
  if (first_bad_seq > follower->journal_seq()) {
    CHECK(refreshed.code() == StatusCode::kDataLoss);
  }
  const JournalCheck check = Ok(follower->VerifyJournal());
  CHECK_FALSE(check.intact());
  CHECK(check.first_bad_seq == first_bad_seq);
  CHECK_MESSAGE(Contains(absl::UnknownError(check.problem), problem_fragment), check.problem);
  CHECK(entries > first_bad_seq);
}

TEST_CASE("an entry changed, removed or moved with the sqlite3 shell is found and named") {
  // Entry 12 is the first booking (1 created, 8 of setup... see BuildCampaign).
  CheckEditCaught("UPDATE journal SET args = zeroblob(length(args)) WHERE seq = 5", 5,
                  "entry 5 (add_capacity) does not match its hash");
  CheckEditCaught("UPDATE journal SET committed_at_us = committed_at_us + 1 WHERE seq = 3", 3,
                  "entry 3");
  CheckEditCaught("DELETE FROM journal WHERE seq = 7", 7, "entry 7 is missing");
  // Two entries swapped (their contents traded, seq and hash left).
  CheckEditCaught(
      "CREATE TEMP TABLE t AS SELECT * FROM journal WHERE seq IN (11, 12);"
      "UPDATE journal SET op = (SELECT op FROM t WHERE seq = 12), args = (SELECT args FROM t "
      "WHERE seq = 12), committed_at_us = (SELECT committed_at_us FROM t WHERE seq = 12), "
      "hash = (SELECT hash FROM t WHERE seq = 12) WHERE seq = 11;"
      "UPDATE journal SET op = (SELECT op FROM t WHERE seq = 11), args = (SELECT args FROM t "
      "WHERE seq = 11), committed_at_us = (SELECT committed_at_us FROM t WHERE seq = 11), "
      "hash = (SELECT hash FROM t WHERE seq = 11) WHERE seq = 12",
      11, "entry 11");
}

TEST_CASE("opening a file whose last entry was edited or removed says so") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  {
    auto store = OpenOk(path);
    BuildCampaign(*store, 1, 3);
  }
  Sql(path, "UPDATE journal SET args = CAST(x'00' || args AS BLOB) WHERE seq = (SELECT max(seq) FROM journal)");
  const absl::Status edited = Store::Open(path).status();
  CHECK(edited.code() == StatusCode::kDataLoss);
  CHECK_MESSAGE(Contains(edited, "does not match its hash"), edited);
  Sql(path, "DELETE FROM journal");
  const absl::Status emptied = Store::Open(path).status();
  CHECK(emptied.code() == StatusCode::kDataLoss);
  CHECK_MESSAGE(Contains(emptied, "empty journal"), emptied);
}

TEST_CASE("entries cut off the end are noticed by a Store that had applied them") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto store = OpenOk(path);
  BuildCampaign(*store, 1, 3);
  auto other = OpenOk(path);
  const uint64_t last = store->journal_seq();
  Sql(path, fmt::format("DELETE FROM journal WHERE seq > {}", last - 2));
  const absl::Status status = other->Refresh();
  // Nothing new to read: the cut is found only when something changed;
  // the edit itself changed the file.
  CHECK(status.code() == StatusCode::kDataLoss);
  CHECK_MESSAGE(Contains(status, "were removed"), status);
  const JournalCheck check = Ok(store->VerifyJournal());
  CHECK(check.first_bad_seq == last - 1);
}

// --- Several processes on one file ----------------------------------------------------

// One call a worker made and what it was told. `seq`: for a change that
// committed, its own entry; for anything else (a read, a refusal), the last
// entry the Store had applied when it answered.
struct Call {
  int worker = 0;
  bool committed = false;
  uint64_t seq = 0;
  char op = 0;  // B book, C cancel, D draw, R registrant read, S summary read
  uint32_t id = 0;
  int64_t at_us = 0;
  std::string answer;
};

std::string Answer(const absl::Status& status) {
  return fmt::format("{}", static_cast<int>(status.code()));
}

std::string Answer(const absl::StatusOr<Series>& series) {
  if (!series.ok()) return Answer(series.status());
  return fmt::format("0 {} {} {}", series->id, series->appointments[0].day - kFirstDay,
                     series->appointments[0].minute);
}

// Runs one call on `campaign` (a worker's Store or the reference Engine).
template <class Campaign>
std::string Run(Campaign& campaign, const Engine& view, char op, uint32_t id, absl::Time at) {
  switch (op) {
    case 'B':
      return Answer(campaign.Book(Booking(id, at)));
    case 'C':
      return Answer(campaign.CancelSeries(id, at));
    case 'D': {
      DrawRequest request;
      request.seed = DrawSeed{id, 0x5EED};
      request.at = at;
      request.first_dose_from = kFirstDay + kDays;
      request.first_dose_until = kFirstDay + (kDays + kDrawDays - 1);
      request.series_limit = 3;
      absl::StatusOr<DrawRecord> record = campaign.Draw(request);
      if (!record.ok()) return Answer(record.status());
      return fmt::format("0 {} {}", record->id, fmt::join(record->series, ","));
    }
    case 'R': {
      absl::StatusOr<Registrant> registrant = view.GetRegistrant(id);
      if (!registrant.ok()) return Answer(registrant.status());
      return fmt::format("0 {} {}", static_cast<int>(registrant->status), registrant->series);
    }
    case 'S': {
      const Report report = view.Summarize();
      uint64_t free = 0;
      for (int day = 0; day < kDays; ++day) {
        for (const SlotView& slot : view.Slots(1, 1, kFirstDay + day)) {
          free += static_cast<uint64_t>(slot.bookable_first - slot.booked_first);
        }
      }
      return fmt::format("0 {} {} {} {}", report.scheduled, report.waiting,
                         report.series_cancelled, free);
    }
  }
  return "?";
}

constexpr int kSeatsPerSlot = 2;
constexpr uint32_t kPeople = 300;

// A worker process: `ops` random calls, each logged to `log_path`.
[[noreturn]] void Work(const std::string& path, const std::string& log_path, int worker, int ops,
                       absl::Time start) {
  int code = 0;
  {
    absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(path);
    if (!opened.ok()) _exit(10);
    Store& store = **opened;
    std::ofstream log(log_path);
    std::mt19937_64 random(static_cast<uint64_t>(worker) * 7919 + 1);
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < ops; ++i) {
      const uint64_t roll = random() % 100;
      const char op = roll < 45 ? 'B' : roll < 68 ? 'C' : roll < 72 ? 'D' : roll < 86 ? 'R' : 'S';
      const uint32_t id = op == 'C' ? static_cast<uint32_t>(1 + random() % (kPeople / 2))
                                    : static_cast<uint32_t>(1 + random() % kPeople);
      // Instants follow the machine's clock: calls of different processes
      // interleave in time as they do in the file.
      const absl::Time at =
          start + absl::FromChrono(std::chrono::steady_clock::now() - began) +
          absl::Microseconds(worker);
      if (op == 'R' || op == 'S') {
        if (!store.Refresh().ok()) code = 11;
      }
      const uint64_t before = store.journal_seq();
      const std::string answer = Run(store, store.engine(), op, id, at);
      const uint64_t seq = store.journal_seq();
      // A change that committed (status 0) appended exactly its own entry.
      const bool committed = (op == 'B' || op == 'C' || op == 'D') && answer.rfind("0", 0) == 0;
      if (committed && seq <= before) code = 12;
      log << worker << ' ' << committed << ' ' << seq << ' ' << op << ' ' << id << ' '
          << absl::ToUnixMicros(at) << ' ' << answer << '\n';
    }
    if (!log.good()) code = 13;
  }
  _exit(code);
}

std::vector<Call> ReadLog(const std::string& log_path) {
  std::vector<Call> calls;
  std::ifstream log(log_path);
  std::string line;
  while (std::getline(log, line)) {
    std::istringstream fields(line);
    Call call;
    fields >> call.worker >> call.committed >> call.seq >> call.op >> call.id >> call.at_us;
    std::getline(fields >> std::ws, call.answer);
    calls.push_back(call);
  }
  return calls;
}

void RunProcesses(int workers, int ops) {
  CAPTURE(workers);
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  uint64_t setup_seq = 0;
  {
    auto store = OpenOk(path);
    BuildCampaign(*store, kSeatsPerSlot, kPeople);
    setup_seq = store->journal_seq();
  }
  const absl::Time start = At(2021, 6, 2, 9);
  std::vector<pid_t> pids;
  std::fflush(nullptr);
  for (int worker = 0; worker < workers; ++worker) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) Work(path, dir.File(fmt::format("worker{}.log", worker)), worker, ops, start);
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0), "worker status ", status);
  }

  // Every committed call claims exactly one entry, and every entry after the
  // setup belongs to exactly one committed call.
  std::map<uint64_t, Call> writes;
  std::multimap<uint64_t, Call> observed;
  size_t calls = 0;
  for (int worker = 0; worker < workers; ++worker) {
    for (const Call& call : ReadLog(dir.File(fmt::format("worker{}.log", worker)))) {
      ++calls;
      if (call.committed) {
        CHECK_MESSAGE(writes.emplace(call.seq, call).second, "entry ", call.seq, " twice");
      } else {
        observed.emplace(call.seq, call);
      }
    }
  }
  CHECK(calls == static_cast<size_t>(workers * ops));
  auto store = OpenOk(path);
  const uint64_t last = store->journal_seq();
  CHECK(writes.size() == last - setup_seq);
  const JournalCheck check = Ok(store->VerifyJournal());
  CHECK_MESSAGE(check.intact(), check.problem);

  // The reference: one Engine running the same calls in journal order, each
  // read and refusal at the state its process had applied.
  Engine reference;
  BuildCampaign(reference, kSeatsPerSlot, kPeople);
  size_t compared = 0, refusals = 0;
  std::map<std::string, size_t> refused_by;  // "op:status code"
  for (uint64_t seq = setup_seq; seq <= last; ++seq) {
    if (seq > setup_seq) {
      auto write = writes.find(seq);
      REQUIRE_MESSAGE(write != writes.end(), "entry ", seq, " has no committed call");
      const Call& call = write->second;
      CAPTURE(seq);
      CHECK(Run(reference, reference, call.op, call.id, absl::FromUnixMicros(call.at_us)) ==
            call.answer);
      ++compared;
    }
    const auto [from, until] = observed.equal_range(seq);
    for (auto it = from; it != until; ++it) {
      const Call& call = it->second;
      CAPTURE(seq);
      CAPTURE(call.worker);
      CAPTURE(call.op);
      CAPTURE(call.id);
      // A refused change refuses again on the reference, changing nothing.
      CHECK(Run(reference, reference, call.op, call.id, absl::FromUnixMicros(call.at_us)) ==
            call.answer);
      if (call.op == 'B' || call.op == 'C' || call.op == 'D') {
        ++refusals;
        ++refused_by[fmt::format("{}:{}", call.op, call.answer)];
      }
      ++compared;
    }
  }
  CHECK(compared == calls);
  CheckSame(Take(reference), Take(store->engine()));
  const InvariantReport report = CheckInvariants(store->engine());
  CHECK_MESSAGE(report.ok(), report.ToString());
  fmt::print("journal_test: {} processes, {} calls ({} committed, {} refused changes {}, {} reads) "
             "agree with one Engine in journal order\n",
             workers, calls, writes.size(), refusals, refused_by,
             calls - writes.size() - refusals);
}

TEST_CASE("two and four processes on one file answer as one process in journal order") {
  const int ops = testing::SmallScale() ? 150 : 600;
  RunProcesses(2, ops);
  RunProcesses(4, ops);
}

TEST_CASE("a follower killed while catching up leaves the file whole") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto writer = OpenOk(path);
  BuildCampaign(*writer, kSeatsPerSlot, kPeople);
  const uint64_t setup_seq = writer->journal_seq();
  const absl::Time now = At(2021, 6, 2, 9);
  for (RegistrantId r = 1; r <= 60; ++r) Ok(writer->Book(Booking(r, now + absl::Seconds(r))));
  std::mt19937_64 random(42);
  for (int round = 0; round < 6; ++round) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    // Killed on every way out, also when a check below fails.
    struct Reaper {
      pid_t pid;
      ~Reaper() {
        if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
      }
    } reaper{pid};
    if (pid == 0) {
      reaper.pid = 0;
      // Loads, then catches up with the entries written after its load,
      // over and over, until killed.
      absl::StatusOr<std::unique_ptr<Store>> follower = Store::Open(path, ReadOnly());
      if (!follower.ok()) _exit(10);
      for (;;) {
        if (!(*follower)->Refresh().ok()) _exit(11);
      }
    }
    // Writes while the child follows, then kills it in the middle.
    for (int i = 0; i < 15; ++i) {
      const RegistrantId r = static_cast<RegistrantId>(61 + round * 15 + i);
      Ok(writer->Book(Booking(r, now + absl::Minutes(10 + round * 15 + i))));
    }
    usleep(static_cast<useconds_t>(random() % 20'000));
    kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    reaper.pid = 0;
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  }
  const JournalCheck check = Ok(writer->VerifyJournal());
  CHECK_MESSAGE(check.intact(), check.problem);
  auto fresh = OpenOk(path);
  CHECK(fresh->journal_seq() == writer->journal_seq());
  CHECK(fresh->journal_seq() == setup_seq + 60 + 6 * 15);
  CheckSame(Take(fresh->engine()), Take(writer->engine()));
}

}  // namespace
}  // namespace vaxalloc
