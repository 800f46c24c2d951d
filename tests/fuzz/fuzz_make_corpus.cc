// Writes the seed corpus of the fuzz harnesses:
//
//   fuzz_make_corpus OUT_DIR
//
//   OUT_DIR/fuzz_store_open/*.sqlite, OUT_DIR/fuzz_store_sql/*.sqlite
//       small valid campaign files made through the C ABI (an empty one, one
//       with setup only, then draws, cancellations, self-booking, codes,
//       attendance, committed draws, deletions), rewritten with 512-byte
//       pages and a rollback journal (VACUUM) so that they stay small;
//   OUT_DIR/fuzz_capi_ops/*.bin
//       scripted operation sequences in fuzz_capi_ops' format (fuzz_common.h)
//       that reach the deep flows: a draw and its attendance, holds, codes
//       verified right, a committed draw revealed, two handles on one file.
//
// `make fuzz-build` writes them to build-fuzz/fuzz-seeds; the fuzzers read
// them beside tests/fuzz/corpus/ (the inputs they found, kept in git).
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "vaxalloc.h"

namespace vaxfuzz {
namespace {

void Ok(int rc, const char* what) {
  if (rc != VAXALLOC_OK) Trap("%s: %s: %s", what, vaxalloc_errstr(rc), vaxalloc_last_error());
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) Trap("cannot write %s", path.c_str());
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
    Trap("cannot write %s", path.c_str());
  }
  std::fclose(file);
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::vector<uint8_t> bytes;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) Trap("cannot read %s", path.c_str());
  uint8_t buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    bytes.insert(bytes.end(), buffer, buffer + n);
  std::fclose(file);
  return bytes;
}

// --- Campaign files -----------------------------------------------------------

struct Campaign {
  vaxalloc_campaign* c = nullptr;
  explicit Campaign(const std::string& path) {
    RemoveCampaignFiles(path);
    Ok(vaxalloc_campaign_open(path.c_str(), nullptr, &c), "open");
  }
  ~Campaign() { vaxalloc_campaign_close(c); }
};

void Setup(vaxalloc_campaign* c) { SetUpTown(c, "Europe/Berlin"); }

void Draw(vaxalloc_campaign* c, uint64_t seed, int64_t at, int32_t from, int32_t until) {
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  request.seed_k0 = seed;
  request.at = at;
  request.first_dose_from = from;
  request.first_dose_until = until;
  Ok(vaxalloc_draw(c, &request, nullptr), "draw");
}

uint32_t ActiveSeries(vaxalloc_campaign* c, uint32_t registrant) {
  vaxalloc_registrant r = VAXALLOC_REGISTRANT_INIT;
  Ok(vaxalloc_registrant_get(c, registrant, &r), "registrant_get");
  return r.status == VAXALLOC_REGISTRANT_SCHEDULED ? r.series : 0;
}

uint32_t FirstScheduled(vaxalloc_campaign* c, uint32_t from) {
  vaxalloc_counts n = VAXALLOC_COUNTS_INIT;
  Ok(vaxalloc_counts_get(c, &n), "counts");
  for (uint32_t id = from; id <= n.registrants; ++id) {
    if (ActiveSeries(c, id) != 0) return id;
  }
  return 0;
}

// The instant (Unix seconds) of a series' appointment, in Europe/Berlin
// summer time (UTC+2), as the policy says.
int64_t AppointmentAt(vaxalloc_campaign* c, uint32_t series, int dose) {
  vaxalloc_series s = VAXALLOC_SERIES_INIT;
  Ok(vaxalloc_series_get(c, series, &s), "series_get");
  return static_cast<int64_t>(s.appointments[dose - 1].day) * 86400 +
         s.appointments[dose - 1].minute * 60 - 2 * 3600;
}

void Booking(vaxalloc_campaign* c) {
  vaxalloc_release_spec release = VAXALLOC_RELEASE_SPEC_INIT;
  release.center = 1;
  release.vaccine = 1;
  release.first_day = kD0 + 4;
  release.last_day = kD0 + 5;
  release.release_at = kT0 + 3600;
  release.first_dose_cap = 3;
  Ok(vaxalloc_release_add(c, &release, nullptr), "release");
  Draw(c, 1, kT0, kD0, kD0 + 6);
  uint32_t held = 0;
  for (uint32_t id = 1; id <= 10; ++id) {
    vaxalloc_registrant r = VAXALLOC_REGISTRANT_INIT;
    Ok(vaxalloc_registrant_get(c, id, &r), "registrant_get");
    if (r.status != VAXALLOC_REGISTRANT_WAITING) continue;
    vaxalloc_booking_request booking = VAXALLOC_BOOKING_REQUEST_INIT;
    booking.registrant = id;
    booking.at = kT0 + 2 * 3600 + id;
    booking.confirm = held == 1 ? 1 : 0;
    vaxalloc_series series = VAXALLOC_SERIES_INIT;
    if (vaxalloc_book(c, &booking, &series) != VAXALLOC_OK) continue;
    if (held == 0) Ok(vaxalloc_hold_confirm(c, series.id, booking.at + 60, nullptr), "confirm");
    if (held == 2) Ok(vaxalloc_hold_decline(c, series.id, booking.at + 60), "decline");
    ++held;
    if (held == 4) break;
  }
  uint32_t lapsed = 0;
  Ok(vaxalloc_holds_expire(c, kT0 + 86400, &lapsed), "expire");
}

void Codes(vaxalloc_campaign* c) {
  const uint32_t who = FirstScheduled(c, 1);
  if (who == 0) Trap("nobody scheduled");
  vaxalloc_code_request request = VAXALLOC_CODE_REQUEST_INIT;
  request.registrant = who;
  request.series = ActiveSeries(c, who);
  request.at = kT0 + 86400 + 600;
  char digits[VAXALLOC_VERIFICATION_CODE_SIZE];
  uint32_t code = 0;
  Ok(vaxalloc_code_issue(c, &request, &code, digits, sizeof digits), "code_issue");
  std::string wrong = digits;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  int32_t outcome = 0;
  if (vaxalloc_code_verify(c, code, wrong.c_str(), request.at + 60, &outcome) != VAXALLOC_EVERIFY)
    Trap("wrong code");
  Ok(vaxalloc_code_verify(c, code, digits, request.at + 120, &outcome), "code_verify");
  // A withdrawal code left pending.
  request.registrant = 2;
  request.purpose = VAXALLOC_CODE_PURPOSE_WITHDRAW;
  request.series = 0;
  request.at += 300;
  Ok(vaxalloc_code_issue(c, &request, &code, digits, sizeof digits), "code_issue");
}

void Attendance(vaxalloc_campaign* c) {
  uint32_t recorded = 0;
  for (uint32_t id = 1; id <= 10 && recorded < 3; ++id) {
    const uint32_t series = ActiveSeries(c, id);
    if (series == 0) continue;
    const int64_t at = AppointmentAt(c, series, 1) + 300;
    const int32_t outcome = recorded == 1 ? VAXALLOC_OUTCOME_MISSED : VAXALLOC_OUTCOME_GIVEN;
    if (vaxalloc_dose_record(c, series, 1, outcome, at, nullptr) != VAXALLOC_OK) continue;
    if (recorded == 2) {
      vaxalloc_series s = VAXALLOC_SERIES_INIT;
      Ok(vaxalloc_series_get(c, series, &s), "series_get");
      if (s.dose_count == 2) {
        const int64_t second = AppointmentAt(c, series, 2) + 300;
        Ok(vaxalloc_dose_record(c, series, 2, VAXALLOC_OUTCOME_MISSED, second, nullptr), "dose 2");
        (void)vaxalloc_second_dose_rebook(c, series, second + 3600, nullptr);
      }
    }
    ++recorded;
  }
}

void Committed(vaxalloc_campaign* c, bool leave_pending) {
  int64_t latest = 0;
  Ok(vaxalloc_latest_change(c, &latest), "latest_change");
  const int64_t at = std::max<int64_t>(latest, kT0) + 86400;
  const int32_t today = static_cast<int32_t>(at / 86400);
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  request.at = at;
  request.first_dose_from = today + 1;
  request.first_dose_until = today + 7;
  vaxalloc_draw_commitment commitment;
  vaxalloc_draw_commitment_init(&commitment, VAXALLOC_DRAW_COMMITMENT_VERSION);
  Ok(vaxalloc_draw_commit(c, &request, "drand quicknet round 1000", &commitment), "commit");
  const uint8_t value[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  Ok(vaxalloc_draw_reveal(c, commitment.id, value, sizeof value, at + 60, nullptr), "reveal");
  request.at = at + 3600;
  Ok(vaxalloc_draw_commit(c, &request, "drand quicknet round 1001", &commitment), "commit");
  Ok(vaxalloc_draw_abandon(c, commitment.id, "beacon unavailable", at + 3700), "abandon");
  if (leave_pending) {
    request.at = at + 7200;
    Ok(vaxalloc_draw_commit(c, &request, "drand quicknet round 1002", &commitment), "commit");
  }
}

void Deletions(vaxalloc_campaign* c) {
  int64_t latest = 0;
  Ok(vaxalloc_latest_change(c, &latest), "latest_change");
  const uint32_t who = FirstScheduled(c, 1);
  if (who != 0) Ok(vaxalloc_series_cancel(c, ActiveSeries(c, who), latest + 60), "cancel");
  Ok(vaxalloc_withdraw(c, 9, latest + 120), "withdraw");
  Ok(vaxalloc_registrant_delete(c, 9, latest + 180), "delete");
  Ok(vaxalloc_registrant_delete(c, 10, latest + 240), "delete");
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  spec.external_ref = "HE-9";  // the deleted reference, registered again
  spec.district = 1;
  spec.birth_day = kD0 - 40 * 365;
  spec.registered_at = latest + 300;
  Ok(vaxalloc_register(c, &spec, nullptr), "register");
  vaxalloc_event events[4];
  size_t count = 0;
  Ok(vaxalloc_pending_events(c, 0, events, 4, &count), "events");
  if (count > 0) Ok(vaxalloc_acknowledge_events(c, events[count - 1].id), "acknowledge");
}

// Rewrites a closed campaign file with 512-byte pages and a rollback journal.
void Compact(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Trap("sqlite3_open %s", path.c_str());
  for (const char* sql : {"PRAGMA journal_mode = DELETE", "PRAGMA page_size = 512", "VACUUM"}) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      Trap("%s: %s", sql, sqlite3_errmsg(db));
  }
  sqlite3_close(db);
}

// A seed must open (on a copy: opening switches the file to WAL).
void CheckOpens(const std::string& path) {
  const std::string copy = path + ".check";
  WriteBytes(copy, ReadBytes(path));
  vaxalloc_open_options options = VAXALLOC_OPEN_OPTIONS_INIT;
  options.create_if_missing = 0;
  options.verify_journal = 1;
  vaxalloc_campaign* c = nullptr;
  Ok(vaxalloc_campaign_open(copy.c_str(), &options, &c), "reopening a seed");
  uint64_t violations = 0;
  Ok(vaxalloc_check_invariants(c, &violations, nullptr), "invariants");
  if (violations != 0) Trap("seed %s violates invariants", path.c_str());
  vaxalloc_campaign_close(c);
  RemoveCampaignFiles(copy);
}

void WriteCampaigns(const std::string& out) {
  const std::string dirs[2] = {out + "/fuzz_store_open", out + "/fuzz_store_sql"};
  struct Seed {
    const char* name;
    int steps;  // 0: empty; 1: setup; 2: + draws; 3: + booking; 4: + codes and attendance;
                // 5: + committed draws; 6: + deletions, a pending commitment
  };
  const Seed seeds[] = {{"empty", 0},    {"setup", 1},     {"drawn", 2},  {"booked", 3},
                        {"attended", 4}, {"committed", 5}, {"deleted", 6}};
  for (const Seed& seed : seeds) {
    const std::string path = dirs[0] + "/" + seed.name + ".sqlite";
    {
      Campaign campaign(path);
      vaxalloc_campaign* c = campaign.c;
      if (seed.steps >= 1) Setup(c);
      if (seed.steps == 2) {
        Draw(c, 0x5eed, kT0, kD0, kD0 + 6);
        Ok(vaxalloc_series_cancel(c, 1, kT0 + 3600), "cancel");
      }
      if (seed.steps >= 3) Booking(c);
      if (seed.steps >= 4) {
        Codes(c);
        Attendance(c);
      }
      if (seed.steps >= 5) Committed(c, seed.steps >= 6);
      if (seed.steps >= 6) Deletions(c);
    }
    std::remove((path + "-writers").c_str());  // the writers' lock file, not part of a seed
    Compact(path);
    CheckOpens(path);
    WriteBytes(dirs[1] + "/" + seed.name + ".sqlite", ReadBytes(path));
    std::printf("%s: %zu bytes\n", path.c_str(), ReadBytes(path).size());
  }
}

// --- Operation sequences --------------------------------------------------------

// Writes fuzz_capi_ops inputs; each helper writes one operation's bytes in the
// order the harness reads them (fuzz_capi_ops.cc, RunOp()).
struct Script {
  std::vector<uint8_t> bytes;
  explicit Script(int flags) { B(flags); }
  Script& B(int v) {
    bytes.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Script& Raw(std::string_view text) {
    for (char ch : text) B(static_cast<unsigned char>(ch));
    return *this;
  }
  Script& Op(vaxfuzz::Op op, int handle = 0) { return B(op | (handle << 7)); }
  // Time(): advance by minutes (< 128), hours (< 64) or days (< 16).
  Script& Minutes(int m) { return B(m); }
  Script& Hours(int h) { return B(0x80 + h); }
  Script& Days(int d) { return B(0xC0 + d); }
  Script& Day(int offset) { return B(offset + 32); }  // kD0 + offset
  Script& Id(int id) { return B(id); }
  Script& Version() { return B(0); }
  Script& Pool(int i) { return B(i); }  // Str(): prefix + i

  Script& DrawOp(int seed, int from, int span, int handle = 0) {
    Op(kDraw, handle).Version().B(0).B(seed).B(0).Minutes(0).Day(from).B(span).B(0);
    return Version().B(1);
  }
  Script& Book(int registrant, int mode, bool confirm, int at_minutes, int handle = 0) {
    Op(kBook, handle).Version().Id(registrant).B(mode).B(confirm ? 16 : 0).Minutes(at_minutes);
    return Version();
  }
  Script& Confirm(int series, int handle = 0) {
    return Op(kHoldConfirm, handle).Id(series).Version().Minutes(1);
  }
  Script& Decline(int series) { return Op(kHoldDecline).Id(series).Minutes(1); }
  Script& Expire(int hours) { return Op(kHoldsExpire).Hours(hours).B(1); }
  // At the appointment (selector < 0x80).
  Script& Dose(int series, int dose, int outcome) {
    return Op(kDoseRecord).Id(series).B(dose - 1).B(outcome - 1).B(0).Version();
  }
  Script& Rebook(int series) { return Op(kSecondDoseRebook).Id(series).Version().Minutes(30); }
  Script& Events(int handle = 0) { return Op(kPendingEvents, handle).B(0x81).B(16); }
  Script& Ack() { return Op(kAcknowledge).B(0); }
  Script& Issue(int registrant, int purpose) {
    return Op(kCodeIssue).Version().Id(registrant).B(purpose - 1).B(0).Minutes(5).B(0);
  }
  Script& VerifyRight(int code) { return Op(kCodeVerify).Id(code).B(0).Minutes(1); }
  Script& VerifyWrong(int code) { return Op(kCodeVerify).Id(code).B(0x83).Minutes(1); }
  Script& Cancel(int series) { return Op(kSeriesCancel).Id(series).Minutes(2); }
  Script& Withdraw(int registrant) { return Op(kWithdraw).Id(registrant).Minutes(2); }
  Script& Delete(int registrant) { return Op(kRegistrantDelete).Id(registrant).Minutes(2); }
  Script& Advance(int days) { return Op(kAdvance).Days(days); }
  Script& Report() { return Op(kReports).B(0).Version(); }
  Script& Get(int kind, int id) { return Op(kGet).B(kind).Version().Id(id); }
};

void WriteScripts(const std::string& out) {
  const std::string dir = out + "/fuzz_capi_ops";
  std::vector<std::pair<std::string, Script>> scripts;

  {  // A draw, then a week of appointments: given, missed, a missed second dose rebooked.
    Script s(kFlagPrelude);
    s.DrawOp(7, 0, 6).Events().Ack();
    for (int series = 1; series <= 4; ++series) s.Get(4, series);
    s.Dose(1, 1, 1).Dose(2, 1, 2).Dose(3, 1, 1).Dose(3, 2, 2).Rebook(3).Dose(1, 2, 1);
    s.Report().Events().Op(kJournal).B(1).Version();
    scripts.emplace_back("draw_attendance.bin", s);
  }
  {  // A release: holds confirmed, declined, expiring; short notice; standby.
    Script s(kFlagPrelude | kFlagPreludeDraw);
    s.Advance(0).Op(kAdvance).Hours(2);
    for (int id = 1; id <= 10; ++id) s.Book(id, 0, id % 3 == 0, 1);
    s.Confirm(5).Decline(6).Expire(1);
    for (int id = 1; id <= 10; ++id) s.Book(id, 1, false, 1);
    s.Confirm(12);
    s.Op(kStandbyList).Id(1).Minutes(0).B(8);
    s.Op(kStandbyList).Id(2).Minutes(0).B(8);
    for (int id : {1, 4, 7, 10}) s.Book(id, 2, true, 1);
    s.Events().Op(kSlots).B(1).Id(1).Id(1).Day(4).B(8);
    scripts.emplace_back("booking.bin", s);
  }
  {  // Codes: a cancellation code entered wrong, then right; a withdrawal code.
    Script s(kFlagPrelude);
    s.DrawOp(9, 0, 6).Advance(1);
    s.Issue(1, 1).VerifyWrong(1).VerifyRight(1);
    s.Issue(2, 1).VerifyWrong(2).VerifyWrong(2).VerifyWrong(2).VerifyRight(2);  // locked
    for (int id = 3; id <= 10; ++id) s.Issue(id, 1).VerifyRight(id);
    s.Issue(5, 2).Issue(6, 2).Issue(5, 2);  // the third supersedes the first
    for (int code = 11; code <= 13; ++code) s.VerifyRight(code);
    s.Op(kPendingEvents).B(0x81).B(16).Ack();
    scripts.emplace_back("codes.bin", s);
  }
  {  // A committed draw revealed, its bundle and fairness; one abandoned.
    Script s(kFlagPrelude);
    s.Op(kDrawCommit).Version().B(0).Minutes(10).Day(0).B(6).B(0).Pool(1).Version().B(1);
    s.Op(kDrawBundle).Id(1).B(0);
    s.Op(kDrawReveal).Id(1).B(8).Raw("beacon!!").Version().Minutes(5);
    s.Op(kDrawBundle).Id(1).B(1).Op(kDrawBundle).Id(1).B(0).Op(kDrawBundle).Id(1).B(0x80);
    s.Op(kDrawFairness).Id(1).Version().B(2);
    s.Op(kDrawCommit).Version().B(0).Minutes(10).Day(7).B(6).B(0).Pool(2).Version().B(1);
    s.Op(kDrawAbandon).Id(2).Pool(0).Minutes(3);
    s.Op(kDrawCommit).Version().B(0).Minutes(10).Day(7).B(6).B(0).Pool(3).Version().B(1);
    s.Op(kGet).B(8).Version().Id(3).Op(kLists).B(3).Id(1).B(8);
    scripts.emplace_back("committed.bin", s);
  }
  {  // Cancel, withdraw, delete, register the reference again.
    Script s(kFlagPrelude);
    s.DrawOp(3, 0, 6).Cancel(1).Withdraw(2).Delete(2).Delete(3).Delete(3);
    s.Op(kRegister).Version().B(0x80).B(4).Raw("HE-2").Id(1).B(40).B(0).B(0).B(0x71).B(0).B(1);
    s.Op(kFind).B(3).B(0x80).B(4).Raw("HE-2").Events().Ack().Events();
    scripts.emplace_back("deletions.bin", s);
  }
  {  // Two handles on one file: each follows the other's journal.
    Script s(kFlagPrelude | kFlagFile | kFlagSecondHandle);
    s.DrawOp(11, 0, 6, 1).Book(5, 1, false, 30, 0).Confirm(0xE4 /* the last series */, 1);
    s.Op(kGet, 1).B(4).Version().Id(0xE4).Events(1).Events(0);
    scripts.emplace_back("two_handles.bin", s);
  }
  {  // A read-only second handle: every change refused there.
    Script s(kFlagPrelude | kFlagFile | kFlagSecondHandle | kFlagReadOnly);
    s.DrawOp(12, 0, 6, 1)
        .DrawOp(12, 0, 6, 0)
        .Book(5, 1, true, 30, 1)
        .Op(kReports, 1)
        .B(0)
        .Version();
    scripts.emplace_back("read_only.bin", s);
  }
  {  // Setup call by call, with refusals on the way.
    Script s(0);
    s.Op(kDistrictAdd)
        .Pool(1)
        .Pool(1)
        .B(1)
        .Op(kDistrictAdd)
        .Pool(2)
        .Pool(2)
        .B(1)
        .Op(kDistrictAdd)
        .Pool(1)
        .Pool(3)
        .B(1);
    s.Op(kVaccineAdd).Version().Pool(1).Pool(1).B(1).B(0).B(0);
    s.Op(kVaccineAdd).Version().Pool(2).Pool(2).B(0).B(0).B(0);
    s.Op(kCenterAdd).Version().Pool(1).Pool(1).B(2).Id(1).Id(2);
    s.Op(kCapacityAdd).Version().Id(1).Id(1).Day(0).B(13).B(0x7f).B(32).B(40).B(0).B(2).B(2);
    s.Op(kCapacityAdd).Version().Id(1).Id(2).Day(0).B(6).B(0x7f).B(36).B(38).B(1).B(1).B(0);
    s.Op(kSupplyAdd)
        .Version()
        .Id(1)
        .Id(1)
        .Day(-7)
        .B(40)
        .Op(kSupplyAdd)
        .Version()
        .Id(1)
        .Id(2)
        .Day(-7)
        .B(3);
    for (int r = 0; r < 6; ++r) {
      s.Op(kRegister)
          .Version()
          .B(0xCF + r)
          .Id(r % 2 + 1)
          .B(30 + r * 20)
          .B(r % 4)
          .B(r % 2)
          .B(0x60)
          .B(r & 2)
          .B(1);
    }
    s.Op(kRegisterBatch).B(3);
    for (int r = 0; r < 3; ++r) s.Version().B(0xD8 + r).Id(1).B(50).B(3).B(0).B(0x60).B(0);
    s.B(0);
    s.DrawOp(5, 0, 13).Report().Op(kSlots).B(3).Id(1).Id(1).Day(0).B(8);
    scripts.emplace_back("setup.bin", s);
  }
  {  // Policies: rules, reserves, neighbours, time zones, then a draw under it.
    Script s(kFlagPrelude);
    s.Op(kPolicySet).Version().B(0x15).B(0x50).B(0).B(1).B(2).B(3);  // shape, a rule
    s.Pool(1).B(0).B(124).B(60).B(0);                                // a reserve
    s.Id(1).Id(2).B(1).B(2);                                         // neighbours, residence, zone
    s.B(0x3f).B(0).B(7).B(5).B(2).B(2).B(4).B(0).B(2).B(25);         // the other fields
    s.Op(kPolicyGet)
        .B(0)
        .Id(2)
        .Version()
        .Op(kPolicyGet)
        .B(2)
        .Id(2)
        .B(8)
        .Op(kPolicyGet)
        .B(4)
        .Id(1)
        .Id(3);
    s.DrawOp(6, 0, 6).Op(kReports).B(2).Version().Minutes(0);
    scripts.emplace_back("policy.bin", s);
  }
  {  // Boundary values: times, days, strings, ids, versions.
    Script s(kFlagPrelude);
    s.Op(kDraw).Version().B(0).B(1).B(2).B(0xE1).Day(0).B(6).B(0).Version().B(1);
    s.Op(kDraw).Version().B(0).B(1).B(2).B(0xE0).Day(0).B(6).B(0).Version().B(1);
    s.Op(kBook).Version().Id(1).B(0).B(4 | 8).B(0xE0).B(0xE1).B(0xE6).Minutes(0).Version();
    s.Op(kDistrictAdd).B(0xCA).B(0xC3).B(1).Op(kDistrictAdd).B(0xC3).B(0xC9).B(1);
    s.Op(kRegister).B(0xF5).B(0xCC).Id(0xE2).B(0xE3).B(0xFC).B(0xFD).B(0xE7).B(2).B(1);
    s.Op(kCapacityAdd).Version().Id(1).Id(1).B(0xE0).B(5).B(0).B(0).B(0).B(0).B(0xFA).B(0xF9);
    s.Op(kWithdraw).Id(1).B(0xE1).Op(kSeriesCancel).Id(0xE2).B(0xE0).Op(kNullArgs).B(3).B(0);
    s.Op(kNoHandle).B(0).B(120).B(1).B(28).Op(kNoHandle).B(2).B(0xF0).B(0xF0).B(33);
    scripts.emplace_back("boundaries.bin", s);
  }
  for (auto& [name, script] : scripts) {
    WriteBytes(dir + "/" + name, script.bytes);
    std::printf("%s/%s: %zu bytes\n", dir.c_str(), name.c_str(), script.bytes.size());
  }
}

}  // namespace
}  // namespace vaxfuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  for (const char* sub : {"", "/fuzz_store_open", "/fuzz_store_sql", "/fuzz_capi_ops"}) {
    mkdir((out + sub).c_str(), 0755);
  }
  vaxfuzz::WriteCampaigns(out);
  vaxfuzz::WriteScripts(out);
  return 0;
}
