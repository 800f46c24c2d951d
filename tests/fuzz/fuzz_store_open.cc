// fuzz_store_open / fuzz_store_sql: the input is a campaign file. It is
// written to the scratch directory (tmpfs) and opened with
// vaxalloc_campaign_open(). Opening must succeed or fail with a code for a
// bad file (VAXALLOC_ECORRUPT, VAXALLOC_EPRECONDITION: another application's
// or a newer file; VAXALLOC_EBUSY, VAXALLOC_EPERM from SQLite's I/O);
// VAXALLOC_EINTERNAL is a finding unless allowed (fuzz_common.h,
// AllowInternal()), and so is every other code (ERANGE, EINVALID, ... for a
// damaged row), allowed by the same switch.
//
// A file that opens is then read through every query (each id of every kind,
// the reports, the outbox, the journal, the bundles of revealed draws); the
// invariant checker must run (violations are allowed: the loader restores
// registrants, series, draws and codes as stored, docs/store.md, and
// FUZZ_STRICT_INVARIANTS=1 makes them findings). When the invariants hold,
// the campaign must stay consistent through a few changes (a draw, holds
// lapsing, a booking, a cancellation), and, for a file whose b-trees pass
// SQLite's quick_check, what the library itself wrote must reopen with the
// same counts. A file that fails quick_check may open and be found corrupt
// by a later call (VAXALLOC_ECORRUPT): the loader does not read every page.
//
// fuzz_store_sql (VAXALLOC_FUZZ_SQL_MUTATOR) is the same target with a
// libFuzzer custom mutator that loads the input into an in-memory SQLite
// database (sqlite3_deserialize) and edits the campaign's tables with SQL:
// a cell set to a nearby, boundary, foreign or random value, a row deleted or
// copied with a changed value, the schema version changed; then writes it
// back (sqlite3_serialize). Byte-level mutations rarely get past SQLite's
// header and b-tree checks; these reach the loader's validation of each row.
// Inputs that are no SQLite database fall back to libFuzzer's own mutations.
#include <sqlite3.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "vaxalloc.h"

namespace vaxfuzz {
namespace {

struct OpenStats {
  uint64_t inputs = 0, opened = 0, violations = 0, changed = 0, internal = 0, undocumented = 0;
  uint64_t corrupt_later = 0;  // opened, then a call found the (b-tree damaged) file corrupt
  uint64_t codes[16] = {};
  ~OpenStats() {
    if (!EnvFlag("FUZZ_STATS")) return;
    std::fprintf(stderr,
                 "fuzz_store_open: %" PRIu64 " inputs, %" PRIu64 " opened, %" PRIu64
                 " with invariant violations, %" PRIu64 " found corrupt after opening, %" PRIu64
                 " changed and reopened, %" PRIu64
                 " refused with another code than ECORRUPT, %" PRIu64 " EINTERNAL\n  open results:",
                 inputs, opened, violations, corrupt_later, changed, undocumented, internal);
    for (int code = 0; code < 16; ++code) {
      if (codes[code] != 0) {
        std::fprintf(stderr, " %s:%" PRIu64, code == 0 ? "ok" : vaxalloc_errstr(-code),
                     codes[code]);
      }
    }
    std::fprintf(stderr, "\n");
  }
};
OpenStats open_stats;

void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) Trap("cannot write %s", path.c_str());
  if (size > 0 && std::fwrite(data, 1, size, file) != size) Trap("cannot write %s", path.c_str());
  std::fclose(file);
}

// A call on an opened campaign: documented codes only; EINTERNAL as allowed.
int Expect(const char* what, int rc) {
  if (Tracing()) {
    std::fprintf(stderr, "  %-28s -> %s %s\n", what, rc == 0 ? "ok" : vaxalloc_errstr(rc),
                 rc == 0 ? "" : vaxalloc_last_error());
  }
  if (!KnownResult(rc)) Trap("%s returned %d", what, rc);
  if (rc == VAXALLOC_EINTERNAL) {
    ++open_stats.internal;
    if (EnvFlag("FUZZ_LOG_EINTERNAL"))
      std::fprintf(stderr, "EINTERNAL %s: %s\n", what, vaxalloc_last_error());
    if (!AllowInternal()) Trap("%s: VAXALLOC_EINTERNAL: %s", what, vaxalloc_last_error());
  }
  if (rc == VAXALLOC_ERROR || rc == VAXALLOC_ENOMEM) {
    Trap("%s: %s: %s", what, vaxalloc_errstr(rc), vaxalloc_last_error());
  }
  return rc;
}

// SQLite's own check of the file's b-trees (PRAGMA quick_check). A file
// that fails it may open and only show the damage later: every call first
// catches up with the journal (a read the loader did not make), and may then
// say VAXALLOC_ECORRUPT. Only intact files get the strict checks below.
bool BtreesIntact(const std::string& path) {
  sqlite3* db = nullptr;
  bool intact = false;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(statement, 0);
      intact = text != nullptr && std::strcmp(reinterpret_cast<const char*>(text), "ok") == 0;
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return intact;
}

bool intact_file = false;  // of the input being run

// Violations found by the checker; kCorrupt when the call found the file
// corrupt (allowed for a file whose b-trees are damaged, else a finding).
constexpr uint64_t kCorrupt = UINT64_MAX;
uint64_t Invariants(vaxalloc_campaign* c, const char* when, std::string* text_out = nullptr) {
  uint64_t violations = 0;
  char* text = nullptr;
  const int rc = vaxalloc_check_invariants(c, &violations, &text);
  if (rc == VAXALLOC_ECORRUPT && !intact_file) return kCorrupt;
  if (rc != VAXALLOC_OK)
    Trap("check_invariants %s: %s: %s", when, vaxalloc_errstr(rc), vaxalloc_last_error());
  if (text_out != nullptr && text != nullptr) *text_out = text;
  vaxalloc_free(text);
  return violations;
}

// Reads everything there is to read.
void ReadAll(vaxalloc_campaign* c) {
  vaxalloc_counts n = VAXALLOC_COUNTS_INIT;
  if (Expect("counts_get", vaxalloc_counts_get(c, &n)) != VAXALLOC_OK) return;
  const uint32_t kMax = 64;  // ids per kind, enough for the small seeds
  for (uint32_t id = 1; id <= std::min(n.districts + 1, kMax); ++id) {
    vaxalloc_district d = VAXALLOC_DISTRICT_INIT;
    Expect("district_get", vaxalloc_district_get(c, id, &d));
  }
  for (uint32_t id = 1; id <= std::min(n.vaccines + 1, kMax); ++id) {
    vaxalloc_vaccine v = VAXALLOC_VACCINE_INIT;
    Expect("vaccine_get", vaxalloc_vaccine_get(c, id, &v));
  }
  for (uint32_t id = 1; id <= std::min(n.centers + 1, kMax); ++id) {
    vaxalloc_center center = VAXALLOC_CENTER_INIT;
    Expect("center_get", vaxalloc_center_get(c, id, &center));
    uint32_t districts[8];
    size_t count = 0;
    Expect("center_districts", vaxalloc_center_districts(c, id, districts, 8, &count));
    int64_t doses = 0;
    for (uint32_t vaccine = 1; vaccine <= std::min(n.vaccines, 4u); ++vaccine) {
      Expect("doses_available", vaxalloc_doses_available(c, id, vaccine, kD0, &doses));
      vaxalloc_slot_v2 slots[16];
      Expect("slots_v2", vaxalloc_slots_v2(c, id, vaccine, kD0, slots, 16, &count));
    }
    vaxalloc_day_attendance days[8];
    Expect("attendance", vaxalloc_attendance(c, id, kD0 - 7, kD0 + 60, days, 8, &count));
    uint32_t standby[8];
    Expect("standby_list", vaxalloc_standby_list(c, id, kT0 + 7 * 86400, standby, 8, &count));
  }
  for (uint32_t id = 1; id <= std::min(n.registrants + 1, kMax); ++id) {
    vaxalloc_registrant r = VAXALLOC_REGISTRANT_INIT;
    Expect("registrant_get", vaxalloc_registrant_get(c, id, &r));
    int32_t tier = 0;
    Expect("tier_of", vaxalloc_tier_of(c, id, 0, &tier));
  }
  for (uint32_t id = 1; id <= std::min(n.series + 1, kMax); ++id) {
    vaxalloc_series s = VAXALLOC_SERIES_INIT;
    Expect("series_get", vaxalloc_series_get(c, id, &s));
  }
  for (uint32_t id = 1; id <= std::min(n.draws + 1, kMax); ++id) {
    vaxalloc_draw_info d = VAXALLOC_DRAW_INFO_INIT;
    Expect("draw_get", vaxalloc_draw_get(c, id, &d));
    uint32_t ids[16];
    size_t count = 0;
    Expect("draw_series", vaxalloc_draw_series(c, id, ids, 16, &count));
    Expect("draw_centers", vaxalloc_draw_centers(c, id, ids, 16, &count));
  }
  for (uint32_t id = 1; id <= std::min(n.releases + 1, kMax); ++id) {
    vaxalloc_release r = VAXALLOC_RELEASE_INIT;
    Expect("release_get", vaxalloc_release_get(c, id, &r));
  }
  for (uint32_t id = 1; id <= std::min(n.codes + 1, kMax); ++id) {
    vaxalloc_code code = VAXALLOC_CODE_INIT;
    Expect("code_get", vaxalloc_code_get(c, id, &code));
  }
  for (uint32_t id = 1; id <= std::min(n.draw_commitments + 1, kMax); ++id) {
    vaxalloc_draw_commitment commitment;
    vaxalloc_draw_commitment_init(&commitment, VAXALLOC_DRAW_COMMITMENT_VERSION);
    Expect("draw_commitment_get", vaxalloc_draw_commitment_get(c, id, &commitment));
    uint32_t centers[16];
    size_t count = 0;
    Expect("draw_commitment_centers", vaxalloc_draw_commitment_centers(c, id, centers, 16, &count));
    size_t size = 0;
    int rc = Expect("draw_bundle(size)", vaxalloc_draw_bundle(c, id, nullptr, 0, &size));
    if (rc == VAXALLOC_EBUFFER && size < (64u << 20)) {
      std::vector<uint8_t> bundle(size);
      Expect("draw_bundle", vaxalloc_draw_bundle(c, id, bundle.data(), bundle.size(), &size));
    }
    vaxalloc_draw_fairness fairness;
    vaxalloc_draw_fairness_init(&fairness, VAXALLOC_DRAW_FAIRNESS_VERSION);
    Expect("draw_check_fairness", vaxalloc_draw_check_fairness(c, id, 4, &fairness));
  }
  for (uint32_t version = 1; version <= std::min(n.policy_version + 1, 8u); ++version) {
    vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
    Expect("policy_get", vaxalloc_policy_get(c, version, &info));
    vaxalloc_tier_rule rules[8];
    vaxalloc_reserve reserves[8];
    vaxalloc_neighbour_pair pairs[8];
    size_t count = 0;
    Expect("policy_tier_rules", vaxalloc_policy_tier_rules(c, version, rules, 8, &count));
    Expect("policy_reserves", vaxalloc_policy_reserves(c, version, reserves, 8, &count));
    Expect("policy_neighbours", vaxalloc_policy_neighbours(c, version, pairs, 8, &count));
  }
  for (uint64_t index = 0; index <= std::min<uint64_t>(n.capacity_blocks, kMax); ++index) {
    vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
    Expect("capacity_get", vaxalloc_capacity_get(c, index, &block));
  }
  for (uint64_t index = 0; index <= std::min<uint64_t>(n.deliveries, kMax); ++index) {
    vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
    Expect("supply_get", vaxalloc_supply_get(c, index, &delivery));
  }
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  Expect("report_get", vaxalloc_report_get(c, &report));
  vaxalloc_center_report centers[8];
  size_t count = 0;
  Expect("report_centers", vaxalloc_report_centers(c, centers, 8, &count));
  vaxalloc_second_dose_shortfall shortfalls[8];
  Expect("second_dose_shortfalls", vaxalloc_second_dose_shortfalls(c, shortfalls, 8, &count));
  vaxalloc_wait_forecast forecast = VAXALLOC_WAIT_FORECAST_INIT;
  Expect("forecast_wait", vaxalloc_forecast_wait(c, kT0, &forecast));
  int64_t latest = 0;
  Expect("latest_change", vaxalloc_latest_change(c, &latest));
  vaxalloc_event_v2 events[16];
  Expect("pending_events_v2", vaxalloc_pending_events_v2(c, 0, events, 16, &count));
  vaxalloc_journal_check check = VAXALLOC_JOURNAL_CHECK_INIT;
  Expect("journal_verify", vaxalloc_journal_verify(c, &check));
  uint64_t seq = 0;
  Expect("journal_seq", vaxalloc_journal_seq(c, &seq));
  for (uint64_t s = seq > 4 ? seq - 4 : 1; s <= seq + 1; ++s) {
    vaxalloc_journal_entry entry = VAXALLOC_JOURNAL_ENTRY_INIT;
    if (Expect("journal_entry_get", vaxalloc_journal_entry_get(c, s, &entry)) == VAXALLOC_OK) {
      volatile size_t sum = std::strlen(entry.op_name);
      for (size_t i = 0; i < entry.args_size; ++i) sum = sum + entry.args[i];
      (void)sum;
    }
  }
}

// A few changes on a campaign whose invariants hold: they must keep holding,
// and a failed change must change nothing.
// False when a call found the file corrupt.
bool Change(vaxalloc_campaign* c) {
  int64_t latest = 0;
  if (vaxalloc_latest_change(c, &latest) != VAXALLOC_OK) return false;
  const int64_t at = std::max<int64_t>(latest, kT0) + 3600;
  if (at > 7289654399 - 40 * 86400) return true;
  const int32_t today = static_cast<int32_t>(at / 86400);
  auto step = [&](const char* what, int rc, uint64_t revision_before) {
    Expect(what, rc);
    vaxalloc_counts n = VAXALLOC_COUNTS_INIT;
    const int counted = Expect("counts_get", vaxalloc_counts_get(c, &n));
    if (counted != VAXALLOC_OK) {
      if (intact_file) Trap("counts_get after %s: %s", what, vaxalloc_last_error());
      return false;
    }
    if (rc != VAXALLOC_OK && n.revision != revision_before) {
      Trap("%s failed on a loaded campaign but changed it", what);
    }
    std::string text;
    const uint64_t violations = Invariants(c, what, &text);
    if (violations == kCorrupt) return false;
    if (violations != 0) {
      Trap("a loaded campaign whose invariants held violates them after %s:\n%s", what,
           text.c_str());
    }
    return true;
  };
  auto revision = [&] {
    vaxalloc_counts n = VAXALLOC_COUNTS_INIT;
    vaxalloc_counts_get(c, &n);
    return n.revision;
  };
  uint32_t lapsed = 0;
  uint64_t r = revision();
  if (!step("holds_expire", vaxalloc_holds_expire(c, at, &lapsed), r)) return false;
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  request.seed_k0 = 0xf022;
  request.seed_k1 = static_cast<uint64_t>(at);
  request.at = at;
  request.first_dose_from = today + 1;
  request.first_dose_until = today + 14;
  r = revision();
  if (!step("draw", vaxalloc_draw(c, &request, nullptr), r)) return false;
  vaxalloc_counts n = VAXALLOC_COUNTS_INIT;
  vaxalloc_counts_get(c, &n);
  for (uint32_t id = 1; id <= std::min(n.registrants, 4u); ++id) {
    vaxalloc_booking_request booking = VAXALLOC_BOOKING_REQUEST_INIT;
    booking.registrant = id;
    booking.at = at + 60;
    booking.mode = static_cast<int32_t>(id % 3);
    booking.confirm = id % 2;
    r = revision();
    if (!step("book", vaxalloc_book(c, &booking, nullptr), r)) return false;
  }
  if (n.series > 0) {
    r = revision();
    if (!step("series_cancel", vaxalloc_series_cancel(c, n.series, at + 120), r)) return false;
  }
  if (n.registrants > 0) {
    r = revision();
    if (!step("registrant_delete", vaxalloc_registrant_delete(c, 1, at + 180), r)) return false;
  }
  return true;
}

void OpenOne(const uint8_t* data, size_t size) {
  ++open_stats.inputs;
  const std::string path = ScratchDir() + "/open.sqlite";
  RemoveCampaignFiles(path);
  WriteFile(path, data, size);
  intact_file = BtreesIntact(path);
  // The last byte (free space in most files) picks the options.
  const uint8_t choice = size > 0 ? data[size - 1] : 0;
  vaxalloc_open_options options = VAXALLOC_OPEN_OPTIONS_INIT;
  options.create_if_missing = 0;
  options.busy_timeout_ms = 0;
  options.verify_journal = (choice & 1) != 0;
  options.read_only = (choice & 6) == 6;
  vaxalloc_campaign* c = nullptr;
  const int rc = vaxalloc_campaign_open(path.c_str(), &options, &c);
  if (rc <= 0 && rc >= -15) ++open_stats.codes[-rc];
  if (Tracing()) {
    std::fprintf(stderr, "open (verify %d, read-only %d) -> %s %s\n", options.verify_journal,
                 options.read_only, rc == 0 ? "ok" : vaxalloc_errstr(rc), vaxalloc_last_error());
  }
  switch (rc) {
    case VAXALLOC_OK:
      break;
    case VAXALLOC_ECORRUPT:
    case VAXALLOC_EPRECONDITION:
    case VAXALLOC_EBUSY:
    case VAXALLOC_EPERM:
    // Documented for every call that may write (opening migrates); SQLite
    // also says "out of memory" for some damaged records.
    case VAXALLOC_EEXHAUSTED:
      if (c != nullptr) Trap("a failed open left a handle");
      RemoveCampaignFiles(path);
      return;
    case VAXALLOC_EINTERNAL:
      ++open_stats.internal;
      if (EnvFlag("FUZZ_LOG_EINTERNAL"))
        std::fprintf(stderr, "EINTERNAL open: %s\n", vaxalloc_last_error());
      if (!AllowInternal()) Trap("opening a file: VAXALLOC_EINTERNAL: %s", vaxalloc_last_error());
      RemoveCampaignFiles(path);
      return;
    default:
      // ERANGE, EINVALID, ENOTFOUND, EEXISTS, ...: a damaged row refused with
      // the code a bad argument gets. Allowed (and counted) like EINTERNAL
      // until the loader says ECORRUPT for every damaged row.
      ++open_stats.undocumented;
      if (EnvFlag("FUZZ_LOG_EINTERNAL")) {
        std::fprintf(stderr, "UNDOCUMENTED open %s: %s\n", vaxalloc_errstr(rc),
                     vaxalloc_last_error());
      }
      if (!AllowInternal() || !KnownResult(rc) || rc == VAXALLOC_OK) {
        Trap("opening a file returned %s: %s", vaxalloc_errstr(rc), vaxalloc_last_error());
      }
      RemoveCampaignFiles(path);
      return;
  }
  ++open_stats.opened;
  ReadAll(c);
  std::string text;
  const uint64_t violations = Invariants(c, "after opening", &text);
  if (violations == kCorrupt) {
    ++open_stats.corrupt_later;
  } else if (violations != 0) {
    ++open_stats.violations;
    if (EnvFlag("FUZZ_STRICT_INVARIANTS")) {
      Trap("a file that opened violates %" PRIu64 " invariant(s):\n%s", violations, text.c_str());
    }
  } else if (!options.read_only && Change(c) && intact_file) {
    vaxalloc_counts before = VAXALLOC_COUNTS_INIT;
    vaxalloc_counts_get(c, &before);
    vaxalloc_campaign_close(c);
    c = nullptr;
    // What the library wrote must open again, unchanged.
    options.verify_journal = 0;
    const int again = vaxalloc_campaign_open(path.c_str(), &options, &c);
    if (again != VAXALLOC_OK) {
      Expect("reopen", again);
      Trap("a campaign the library changed does not reopen: %s: %s", vaxalloc_errstr(again),
           vaxalloc_last_error());
    }
    ++open_stats.changed;
    vaxalloc_counts after = VAXALLOC_COUNTS_INIT;
    vaxalloc_counts_get(c, &after);
    before.revision = after.revision = 0;  // one handle's count of changes applied in memory
    if (std::memcmp(&before, &after, sizeof before) != 0) {
      Trap("reopened campaign differs (registrants %u -> %u, series %u -> %u, draws %u -> %u)",
           before.registrants, after.registrants, before.series, after.series, before.draws,
           after.draws);
    }
    if (Invariants(c, "after reopening", &text) != 0) {
      Trap("a reopened campaign violates invariants:\n%s", text.c_str());
    }
  }
  vaxalloc_campaign_close(c);
  RemoveCampaignFiles(path);
}

}  // namespace
}  // namespace vaxfuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vaxfuzz::OpenOne(data, size);
  return 0;
}

#ifdef VAXALLOC_FUZZ_SQL_MUTATOR

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace vaxfuzz {
namespace {

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

struct Value {
  int type = SQLITE_NULL;
  int64_t i = 0;
  double f = 0;
  std::string bytes;  // text or blob
};

Value ReadValue(sqlite3_stmt* statement, int column) {
  Value v;
  v.type = sqlite3_column_type(statement, column);
  switch (v.type) {
    case SQLITE_INTEGER:
      v.i = sqlite3_column_int64(statement, column);
      break;
    case SQLITE_FLOAT:
      v.f = sqlite3_column_double(statement, column);
      break;
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      const void* p = v.type == SQLITE_TEXT
                          ? static_cast<const void*>(sqlite3_column_text(statement, column))
                          : sqlite3_column_blob(statement, column);
      const int n = sqlite3_column_bytes(statement, column);
      if (p != nullptr && n > 0)
        v.bytes.assign(static_cast<const char*>(p), static_cast<size_t>(n));
      break;
    }
    default:
      break;
  }
  return v;
}

void Bind(sqlite3_stmt* statement, int index, const Value& v) {
  switch (v.type) {
    case SQLITE_INTEGER:
      sqlite3_bind_int64(statement, index, v.i);
      break;
    case SQLITE_FLOAT:
      sqlite3_bind_double(statement, index, v.f);
      break;
    case SQLITE_TEXT:
      sqlite3_bind_text(statement, index, v.bytes.data(), static_cast<int>(v.bytes.size()),
                        SQLITE_TRANSIENT);
      break;
    case SQLITE_BLOB:
      sqlite3_bind_blob(statement, index, v.bytes.data(), static_cast<int>(v.bytes.size()),
                        SQLITE_TRANSIENT);
      break;
    default:
      sqlite3_bind_null(statement, index);
      break;
  }
}

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

bool Exec(sqlite3* db, const std::string& sql) {
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

int64_t QueryInt(sqlite3* db, const std::string& sql, int64_t fallback) {
  sqlite3_stmt* statement = nullptr;
  int64_t value = fallback;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    value = sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  return value;
}

class SqlMutator {
 public:
  SqlMutator(sqlite3* db, unsigned seed) : db_(db), rng_(seed) {}

  bool LoadTables() {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                           "'sqlite_%' ORDER BY name",
                           -1, &statement, nullptr) != SQLITE_OK) {
      return false;
    }
    while (sqlite3_step(statement) == SQLITE_ROW) {
      tables_.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
    }
    sqlite3_finalize(statement);
    return !tables_.empty();
  }

  // One mutation; false if it could not be made (a constraint refused it).
  bool MutateOnce() {
    const unsigned kind = Below(100);
    if (kind < 3) return Exec(db_, "PRAGMA user_version = " + std::to_string(Below(8)));
    if (kind < 4) {
      static const char* const kIds[3] = {"0", "1448626481", "1448626482"};
      return Exec(db_, std::string("PRAGMA application_id = ") + kIds[Below(3)]);
    }
    const std::string& table = tables_[Below(static_cast<unsigned>(tables_.size()))];
    if (kind < 6) {  // every row at once
      std::vector<std::string> columns = Columns(table);
      if (columns.empty()) return false;
      const std::string& column = columns[Below(static_cast<unsigned>(columns.size()))];
      static const char* const kExpressions[6] = {"%s + 1", "%s - 1", "NULL",
                                                  "0",      "-%s",    "%s * 1000"};
      char expression[256];
      std::snprintf(expression, sizeof expression, kExpressions[Below(6)], Quote(column).c_str(),
                    Quote(column).c_str());
      return Exec(db_, "UPDATE " + Quote(table) + " SET " + Quote(column) + " = " + expression);
    }
    if (kind < 8) return Exec(db_, "DELETE FROM " + Quote(table));
    const int64_t rows = QueryInt(db_, "SELECT count(*) FROM " + Quote(table), 0);
    if (rows <= 0) return false;
    std::vector<std::string> columns;
    std::vector<Value> row;
    if (!ReadRow(
            table,
            static_cast<int64_t>(Below(static_cast<unsigned>(std::min<int64_t>(rows, 1 << 20)))),
            columns, row)) {
      return false;
    }
    if (kind < 20) return Delete(table, columns, row);
    const size_t column = Below(static_cast<unsigned>(columns.size()));
    Value changed = row[column];
    NewValue(table, columns[column], changed);
    if (kind < 35) {  // a copy of the row with one value changed
      std::vector<Value> copy = row;
      copy[column] = changed;
      return Insert(table, copy);
    }
    return Update(table, columns, row, column, changed);
  }

 private:
  unsigned Below(unsigned n) { return n == 0 ? 0 : static_cast<unsigned>(rng_() % n); }

  std::vector<std::string> Columns(const std::string& table) {
    std::vector<std::string> columns;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, ("SELECT * FROM " + Quote(table) + " LIMIT 0").c_str(), -1,
                           &statement, nullptr) == SQLITE_OK) {
      for (int i = 0; i < sqlite3_column_count(statement); ++i)
        columns.emplace_back(sqlite3_column_name(statement, i));
    }
    sqlite3_finalize(statement);
    return columns;
  }

  bool ReadRow(const std::string& table, int64_t offset, std::vector<std::string>& columns,
               std::vector<Value>& row) {
    sqlite3_stmt* statement = nullptr;
    const std::string sql =
        "SELECT * FROM " + Quote(table) + " LIMIT 1 OFFSET " + std::to_string(offset);
    bool ok = false;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        columns.emplace_back(sqlite3_column_name(statement, i));
        row.push_back(ReadValue(statement, i));
      }
      ok = !columns.empty();
    }
    sqlite3_finalize(statement);
    return ok;
  }

  // "c1 IS ?k AND c2 IS ?k+1 ...": the row by all its values (tables with and
  // without rowid alike).
  static std::string Match(const std::vector<std::string>& columns, int first) {
    std::string where;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) where += " AND ";
      where += Quote(columns[i]) + " IS ?" + std::to_string(first + static_cast<int>(i));
    }
    return where;
  }

  bool Run(const std::string& sql, const std::vector<Value>& values) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) return false;
    for (size_t i = 0; i < values.size(); ++i) Bind(statement, static_cast<int>(i) + 1, values[i]);
    const int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE && sqlite3_changes(db_) > 0;
  }

  bool Delete(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<Value>& row) {
    return Run("DELETE FROM " + Quote(table) + " WHERE " + Match(columns, 1), row);
  }

  bool Insert(const std::string& table, const std::vector<Value>& row) {
    std::string sql = "INSERT INTO " + Quote(table) + " VALUES (";
    for (size_t i = 0; i < row.size(); ++i) sql += (i > 0 ? ", ?" : "?") + std::to_string(i + 1);
    return Run(sql + ")", row);
  }

  bool Update(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<Value>& row, size_t column, const Value& value) {
    std::vector<Value> values;
    values.push_back(value);
    values.insert(values.end(), row.begin(), row.end());
    return Run("UPDATE " + Quote(table) + " SET " + Quote(columns[column]) + " = ?1 WHERE " +
                   Match(columns, 2),
               values);
  }

  // Another value of the column: near, a boundary, another row's, or random.
  void NewValue(const std::string& table, const std::string& column, Value& v) {
    const unsigned how = Below(12);
    if (how == 0) {  // another row's value of the same column
      const int64_t rows = QueryInt(db_, "SELECT count(*) FROM " + Quote(table), 0);
      sqlite3_stmt* statement = nullptr;
      const std::string sql =
          "SELECT " + Quote(column) + " FROM " + Quote(table) + " LIMIT 1 OFFSET " +
          std::to_string(Below(static_cast<unsigned>(std::max<int64_t>(rows, 1))));
      if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
          sqlite3_step(statement) == SQLITE_ROW) {
        v = ReadValue(statement, 0);
      }
      sqlite3_finalize(statement);
      return;
    }
    if (how == 1) {
      v = Value();  // NULL
      return;
    }
    switch (v.type) {
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        switch (Below(7)) {
          case 0:
            v.bytes.clear();
            break;
          case 1:
            if (!v.bytes.empty()) v.bytes.resize(Below(static_cast<unsigned>(v.bytes.size())));
            break;
          case 2:
            v.bytes.append(1 + Below(300), static_cast<char>('a' + Below(26)));
            break;
          case 3:
            if (!v.bytes.empty())
              v.bytes[Below(static_cast<unsigned>(v.bytes.size()))] ^=
                  static_cast<char>(1 << Below(8));
            break;
          case 4:
            v.bytes.assign(Below(2) ? 5000 : 257, 'x');
            break;
          case 5:
            v.bytes.push_back('\0');
            break;
          default: {  // the other kind of value
            v.type = SQLITE_INTEGER;
            v.i = static_cast<int64_t>(Below(10));
            break;
          }
        }
        break;
      }
      case SQLITE_FLOAT:
        v.f = Below(2) ? -v.f : v.f * 1e300;
        break;
      default: {  // integers, and NULL becomes one
        static const int64_t kBoundaries[] = {0,
                                              1,
                                              -1,
                                              2,
                                              7,
                                              8,
                                              9,
                                              100,
                                              255,
                                              256,
                                              1000,
                                              1001,
                                              1440,
                                              1441,
                                              INT32_MAX,
                                              INT32_MIN,
                                              int64_t{INT32_MAX} + 1,
                                              int64_t{1} << 32,
                                              INT64_MAX,
                                              INT64_MIN,
                                              INT64_MAX - 1,
                                              INT64_MIN + 1,
                                              -25567,
                                              -25568,
                                              84370,
                                              84371,
                                              18806,
                                              1624255200000000LL};
        const int64_t old = v.type == SQLITE_INTEGER ? v.i : 0;
        v.type = SQLITE_INTEGER;
        switch (Below(5)) {
          case 0:
            v.i = kBoundaries[Below(sizeof kBoundaries / sizeof kBoundaries[0])];
            break;
          case 1:
            v.i = static_cast<int64_t>(static_cast<uint64_t>(old) + 1);
            break;
          case 2:
            v.i = static_cast<int64_t>(static_cast<uint64_t>(old) - 1);
            break;
          case 3:
            v.i = static_cast<int64_t>(static_cast<uint64_t>(old) + Below(100) - 50);
            break;
          default:
            v.i = static_cast<int64_t>((static_cast<uint64_t>(rng_()) << 32) ^ rng_());
            break;
        }
        if (Below(10) == 0) {  // a text where a number was
          v.type = SQLITE_TEXT;
          v.bytes = std::to_string(v.i);
        }
        break;
      }
    }
  }

  sqlite3* db_;
  std::mt19937 rng_;
  std::vector<std::string> tables_;
};

size_t SqlMutate(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  if (size < 512 || std::memcmp(data, "SQLite format 3", 16) != 0) return 0;
  Db db;
  if (sqlite3_open_v2(":memory:", &db.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    return 0;
  auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(size));
  if (copy == nullptr) return 0;
  std::memcpy(copy, data, size);
  // An in-memory database cannot be in WAL mode: read it as a rollback-journal
  // file (header bytes 18 and 19) and put the mode back afterwards.
  const uint8_t write_version = copy[18], read_version = copy[19];
  if (copy[18] == 2) copy[18] = 1;
  if (copy[19] == 2) copy[19] = 1;
  if (sqlite3_deserialize(
          db.db, "main", copy, static_cast<sqlite3_int64>(size), static_cast<sqlite3_int64>(size),
          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK) {
    return 0;
  }
  SqlMutator mutator(db.db, seed);
  if (!mutator.LoadTables()) return 0;
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  const unsigned wanted = 1 + rng() % 3;
  unsigned made = 0;
  for (unsigned attempt = 0; attempt < 24 && made < wanted; ++attempt) {
    if (mutator.MutateOnce()) ++made;
  }
  if (made == 0) return 0;
  sqlite3_int64 out_size = 0;
  unsigned char* out = sqlite3_serialize(db.db, "main", &out_size, 0);
  if (out == nullptr) return 0;
  size_t result = 0;
  if (static_cast<size_t>(out_size) <= max_size && out_size >= 100) {
    std::memcpy(data, out, static_cast<size_t>(out_size));
    data[18] = write_version;
    data[19] = read_version;
    result = static_cast<size_t>(out_size);
  }
  sqlite3_free(out);
  return result;
}

}  // namespace
}  // namespace vaxfuzz

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  // One in eight: libFuzzer's own byte mutations (they also repair inputs
  // that are no database any more, and reach the pages' structure).
  if (seed % 8 != 0) {
    const size_t mutated = vaxfuzz::SqlMutate(data, size, max_size, seed);
    if (mutated != 0) return mutated;
  }
  return LLVMFuzzerMutate(data, size, max_size);
}

#endif  // VAXALLOC_FUZZ_SQL_MUTATOR
