// Store: a campaign in one SQLite file (store.h).
//
// The file holds one table per entity, written by the same Prepared changes
// that the engine applies, so that what is on disk is exactly what the engine
// holds in memory. Loading replays the setup through the engine's Prepare and
// Apply halves and restores registrants, series and draws as stored.
//
// Representation:
// - ids are INTEGER PRIMARY KEYs; kNoId is stored as NULL in columns that may
//   hold "none" (so that they can be foreign keys).
// - absl::CivilDay is an INTEGER of days since 1970-01-01.
// - absl::Time is an INTEGER of Unix microseconds (columns end in `_us`); the
//   engine keeps microsecond precision, so these round-trip exactly. The
//   infinite future and past are INT64 max and min.
// - A draw seed's halves, and a code's salt and hash, are uint64 bit-cast to
//   SQLite's signed 64 bits.
// - Append-only logs (capacity blocks, deliveries) are ordered by `seq` from 1.
// - The outbox (`events`) is written by the same transaction as the change
//   that causes it. An acknowledged event is deleted, so the table holds only
//   what is pending; AUTOINCREMENT (its high-water mark in sqlite_sequence)
//   keeps a deleted id from ever being handed out again, even once the table
//   is empty. Ids are dense: 1 .. sqlite_sequence's seq were all committed,
//   since a rolled-back transaction rolls back its sequence update too. A
//   kCodeIssued event carries the code's digits, so acknowledging it deletes
//   the only copy of the code the file ever had (codes keeps a salted hash).
// - A series row is written whole, by every change that touches it (an
//   UPSERT on its id): the booking flows, cancellations and draws all leave
//   the row exactly as the engine holds it. Dose states, status and origin
//   are their enum values; hold_expires_us is set only while the series is
//   held.
#include "vaxalloc/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/engine_state.h"
#include "src/journal.h"
#include "vaxalloc/version.h"

#define VAXALLOC_STORE_RETURN_IF_ERROR(expr) \
  do {                                       \
    absl::Status status_ = (expr);           \
    if (!status_.ok()) return status_;       \
  } while (0)

namespace vaxalloc {
namespace {

// 'VXA1': PRAGMA application_id marks a file as a vaxalloc campaign.
constexpr int32_t kApplicationId = 0x56584131;

// Schema versions (PRAGMA user_version). Each migration takes a file from the
// previous version to `version` in one transaction; a new file runs them all.
// Migrations may rebuild tables: they run with foreign keys off, and the
// foreign keys are checked before the commit.
struct Migration {
  int version;
  const char* sql;
};

constexpr const char* kSchemaVersion1 = R"sql(
CREATE TABLE districts (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
) STRICT;

CREATE TABLE vaccines (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  dose_count INTEGER NOT NULL,
  interval_days_min INTEGER NOT NULL,
  interval_days_target INTEGER NOT NULL,
  interval_days_max INTEGER NOT NULL,
  age_years_min INTEGER NOT NULL,
  age_years_max INTEGER NOT NULL
) STRICT;

CREATE TABLE centers (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
) STRICT;

-- The districts a center serves, in the order given.
CREATE TABLE center_districts (
  center INTEGER NOT NULL REFERENCES centers(id),
  position INTEGER NOT NULL,
  district INTEGER NOT NULL REFERENCES districts(id),
  PRIMARY KEY (center, position)
) STRICT, WITHOUT ROWID;

-- Append-only, in the order added.
CREATE TABLE capacity_blocks (
  seq INTEGER PRIMARY KEY,
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  weekdays INTEGER NOT NULL,
  open_minute INTEGER NOT NULL,
  close_minute INTEGER NOT NULL,
  slot_minutes INTEGER NOT NULL,
  seats_first INTEGER NOT NULL,
  seats_second INTEGER NOT NULL
) STRICT;

-- Append-only, in the order added.
CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY,
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  day INTEGER NOT NULL,
  doses INTEGER NOT NULL
) STRICT;

-- Version 1 is the engine's default policy, written when the file is created.
CREATE TABLE policies (
  version INTEGER PRIMARY KEY,
  residence INTEGER NOT NULL CHECK (residence IN (0, 1))
) STRICT;

CREATE TABLE policy_tier_rules (
  version INTEGER NOT NULL REFERENCES policies(version),
  position INTEGER NOT NULL,
  registered_before_us INTEGER NOT NULL,
  tier_group_1 INTEGER NOT NULL,
  tier_group_2 INTEGER NOT NULL,
  tier_group_3 INTEGER NOT NULL,
  tier_group_none INTEGER NOT NULL,
  PRIMARY KEY (version, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE policy_reserves (
  version INTEGER NOT NULL REFERENCES policies(version),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  share_permille INTEGER NOT NULL,
  age_years_min INTEGER NOT NULL,
  group_mask INTEGER NOT NULL,
  vaccine INTEGER REFERENCES vaccines(id),
  PRIMARY KEY (version, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE policy_neighbours (
  version INTEGER NOT NULL REFERENCES policies(version),
  position INTEGER NOT NULL,
  district_a INTEGER NOT NULL REFERENCES districts(id),
  district_b INTEGER NOT NULL REFERENCES districts(id),
  PRIMARY KEY (version, position)
) STRICT, WITHOUT ROWID;

-- Value checks use BETWEEN rather than IN (a, b, c): SQLite evaluates an IN
-- list of three or more through a temporary index built anew by every
-- statement run, which was half the time of a draw's registrant updates.
CREATE TABLE registrants (
  id INTEGER PRIMARY KEY,
  external_ref TEXT NOT NULL UNIQUE,
  district INTEGER NOT NULL REFERENCES districts(id),
  birth_day INTEGER NOT NULL,
  priority_group INTEGER NOT NULL CHECK (priority_group BETWEEN 1 AND 4),
  channel INTEGER NOT NULL CHECK (channel IN (0, 1)),
  registered_at_us INTEGER NOT NULL,
  vaccine_preference INTEGER REFERENCES vaccines(id),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
  waiting_since_us INTEGER NOT NULL,
  series INTEGER REFERENCES series(id)
) STRICT;

-- Appointment 2 is NULL for a one-dose vaccine.
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  registrant INTEGER NOT NULL REFERENCES registrants(id),
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  dose_count INTEGER NOT NULL CHECK (dose_count IN (1, 2)),
  dose_1_day INTEGER NOT NULL,
  dose_1_minute INTEGER NOT NULL,
  dose_2_day INTEGER,
  dose_2_minute INTEGER,
  status INTEGER NOT NULL CHECK (status IN (0, 1)),
  booked_at_us INTEGER NOT NULL,
  draw INTEGER REFERENCES draws(id),
  tier INTEGER NOT NULL,
  category INTEGER NOT NULL
) STRICT;

CREATE TABLE draws (
  id INTEGER PRIMARY KEY,
  seed_k0 INTEGER NOT NULL,
  seed_k1 INTEGER NOT NULL,
  at_us INTEGER NOT NULL,
  first_dose_from INTEGER NOT NULL,
  first_dose_until INTEGER NOT NULL,
  series_limit INTEGER NOT NULL,
  policy_version INTEGER NOT NULL REFERENCES policies(version),
  UNIQUE (seed_k0, seed_k1)
) STRICT;

-- The centers a draw was limited to (none: every center).
CREATE TABLE draw_centers (
  draw INTEGER NOT NULL REFERENCES draws(id),
  position INTEGER NOT NULL,
  center INTEGER NOT NULL REFERENCES centers(id),
  PRIMARY KEY (draw, position)
) STRICT, WITHOUT ROWID;

-- Only tiers with a candidate; a missing tier counted zero.
CREATE TABLE draw_tiers (
  draw INTEGER NOT NULL REFERENCES draws(id),
  tier INTEGER NOT NULL,
  eligible INTEGER NOT NULL,
  assigned INTEGER NOT NULL,
  PRIMARY KEY (draw, tier)
) STRICT, WITHOUT ROWID;

-- The transactional outbox (store.h): pending events only; acknowledging
-- deletes them. kind: 1 series assigned (series and draw set), 2 series
-- cancelled (series set), 3 registrant withdrawn (series: the one it held).
-- No foreign keys: each row copies ids from a series or registrant row that
-- the same transaction has just written or updated (and checked); checking
-- them again would cost more than half of what a draw spends on its events.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 3),
  at_us INTEGER NOT NULL,
  registrant INTEGER NOT NULL,
  series INTEGER,
  draw INTEGER,
  CHECK ((kind = 1) = (draw IS NOT NULL)),
  CHECK (kind = 3 OR series IS NOT NULL)
) STRICT;
)sql";

// Version 2: self-booking (releases, holds) and attendance (dose states).
// A CHECK cannot be altered, so registrants, series and events are rebuilt by
// SQLite's procedure for other schema changes (lang_altertable.html): with
// foreign keys off (Migrate turns them off outside the transaction), create
// each new table, copy the rows, drop the old table, rename the new one to
// the old name (which keeps every other table's REFERENCES pointing at it),
// then check the foreign keys before the commit. Renaming carries the
// UNIQUE index of external_ref along. The events table keeps its
// AUTOINCREMENT high-water mark: the copy's own mark is only the highest id
// still pending (acknowledged rows are gone), so the old mark replaces it.
// v1 series: active ones have every dose booked, cancelled ones released;
// all came from draws. v1 registrants are not on the standby list. Step 2 of
// the booking flows (the standby list, one-time codes) is part of version 2
// too: that version had not been released when they came.
constexpr const char* kSchemaVersion2 = R"sql(
-- Capacity held back from draws and opened for self-booking at release_at_us.
-- vaccine NULL: every vaccine of the center.
CREATE TABLE releases (
  id INTEGER PRIMARY KEY,
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER REFERENCES vaccines(id),
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  release_at_us INTEGER NOT NULL,
  first_dose_cap INTEGER NOT NULL CHECK (first_dose_cap >= 0)
) STRICT;

ALTER TABLE policies ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE policies ADD COLUMN hold_us INTEGER NOT NULL DEFAULT 600000000;
ALTER TABLE policies ADD COLUMN short_notice_days INTEGER NOT NULL DEFAULT 0;
-- 30 minutes, 6 digits, 15 minutes, 3 attempts: the engine's default policy.
ALTER TABLE policies ADD COLUMN standby_hold_us INTEGER NOT NULL DEFAULT 1800000000;
ALTER TABLE policies ADD COLUMN code_digits INTEGER NOT NULL DEFAULT 6;
ALTER TABLE policies ADD COLUMN code_lifetime_us INTEGER NOT NULL DEFAULT 900000000;
ALTER TABLE policies ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 3;

CREATE TABLE registrants_v2 (
  id INTEGER PRIMARY KEY,
  external_ref TEXT NOT NULL UNIQUE,
  district INTEGER NOT NULL REFERENCES districts(id),
  birth_day INTEGER NOT NULL,
  priority_group INTEGER NOT NULL CHECK (priority_group BETWEEN 1 AND 4),
  channel INTEGER NOT NULL CHECK (channel IN (0, 1)),
  registered_at_us INTEGER NOT NULL,
  vaccine_preference INTEGER REFERENCES vaccines(id),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
  waiting_since_us INTEGER NOT NULL,
  series INTEGER REFERENCES series(id),
  standby INTEGER NOT NULL DEFAULT 0 CHECK (standby BETWEEN 0 AND 1)
) STRICT;
INSERT INTO registrants_v2 (id, external_ref, district, birth_day, priority_group, channel,
                            registered_at_us, vaccine_preference, status, waiting_since_us, series)
  SELECT id, external_ref, district, birth_day, priority_group, channel, registered_at_us,
         vaccine_preference, status, waiting_since_us, series
  FROM registrants ORDER BY id;

-- Appointment 2 and its state are NULL for a one-dose vaccine. Dose states:
-- 0 booked, 1 given, 2 missed, 3 released. Status: 0 active, 1 cancelled,
-- 2 held (until hold_expires_us), 3 lapsed, 4 completed, 5 missed. Origin:
-- 0 draw, 1 release, 2 short notice, 3 standby. replaces: the series a confirmed
-- short-notice hold cancels.
CREATE TABLE series_v2 (
  id INTEGER PRIMARY KEY,
  registrant INTEGER NOT NULL REFERENCES registrants(id),
  center INTEGER NOT NULL REFERENCES centers(id),
  vaccine INTEGER NOT NULL REFERENCES vaccines(id),
  dose_count INTEGER NOT NULL CHECK (dose_count IN (1, 2)),
  dose_1_day INTEGER NOT NULL,
  dose_1_minute INTEGER NOT NULL,
  dose_1_state INTEGER NOT NULL CHECK (dose_1_state BETWEEN 0 AND 3),
  dose_2_day INTEGER,
  dose_2_minute INTEGER,
  dose_2_state INTEGER CHECK (dose_2_state BETWEEN 0 AND 3),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 5),
  booked_at_us INTEGER NOT NULL,
  origin INTEGER NOT NULL CHECK (origin BETWEEN 0 AND 3),
  draw INTEGER REFERENCES draws(id),
  tier INTEGER NOT NULL,
  category INTEGER NOT NULL,
  release INTEGER REFERENCES releases(id),
  hold_expires_us INTEGER,
  replaces INTEGER REFERENCES series(id),
  CHECK ((dose_count = 2) = (dose_2_day IS NOT NULL AND dose_2_minute IS NOT NULL AND
                             dose_2_state IS NOT NULL)),
  CHECK ((status = 2) = (hold_expires_us IS NOT NULL))
) STRICT;
INSERT INTO series_v2 (id, registrant, center, vaccine, dose_count, dose_1_day, dose_1_minute,
                       dose_1_state, dose_2_day, dose_2_minute, dose_2_state, status,
                       booked_at_us, origin, draw, tier, category, release, hold_expires_us,
                       replaces)
  SELECT id, registrant, center, vaccine, dose_count, dose_1_day, dose_1_minute,
         CASE status WHEN 0 THEN 0 ELSE 3 END, dose_2_day, dose_2_minute,
         CASE WHEN dose_count = 2 THEN (CASE status WHEN 0 THEN 0 ELSE 3 END) END, status,
         booked_at_us, 0, draw, tier, category, NULL, NULL, NULL
  FROM series ORDER BY id;

-- Kinds as in version 1, and 4 series booked (series set), 5 second dose
-- rebooked (series set), 6 code issued (code_id and code set; series: the
-- series a cancellation code is for, NULL for a withdrawal code). `code` is
-- the digits to send: the only place they are kept, and only until the event
-- is acknowledged (which deletes the row).
CREATE TABLE events_v2 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 6),
  at_us INTEGER NOT NULL,
  registrant INTEGER NOT NULL,
  series INTEGER,
  draw INTEGER,
  code_id INTEGER,
  code TEXT,
  CHECK ((kind = 1) = (draw IS NOT NULL)),
  CHECK (kind = 3 OR kind = 6 OR series IS NOT NULL),
  CHECK ((kind = 6) = (code_id IS NOT NULL)),
  CHECK ((kind = 6) = (code IS NOT NULL))
) STRICT;
INSERT INTO events_v2 (id, kind, at_us, registrant, series, draw)
  SELECT id, kind, at_us, registrant, series, draw FROM events ORDER BY id;
DELETE FROM sqlite_sequence WHERE name = 'events_v2';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'events_v2', seq FROM sqlite_sequence WHERE name = 'events';

DROP TABLE events;
DROP TABLE series;
DROP TABLE registrants;
ALTER TABLE registrants_v2 RENAME TO registrants;
ALTER TABLE series_v2 RENAME TO series;
ALTER TABLE events_v2 RENAME TO events;

-- One-time codes (after the rebuild: it references the new series table).
-- Never the code itself: hash is SipHash-2-4 of the digits keyed by
-- (salt0, salt1); all three are uint64 bit-cast to signed. purpose: 1 cancel
-- `series`, 2 withdraw (series NULL). state: 0 pending, 1 used, 2 locked,
-- 3 superseded. attempts: wrong entries so far (at most the largest
-- code_attempts, 10).
CREATE TABLE codes (
  id INTEGER PRIMARY KEY,
  registrant INTEGER NOT NULL REFERENCES registrants(id),
  purpose INTEGER NOT NULL CHECK (purpose BETWEEN 1 AND 2),
  series INTEGER REFERENCES series(id),
  issued_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  attempts INTEGER NOT NULL CHECK (attempts BETWEEN 0 AND 10),
  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
  salt0 INTEGER NOT NULL,
  salt1 INTEGER NOT NULL,
  hash INTEGER NOT NULL,
  CHECK ((purpose = 1) = (series IS NOT NULL))
) STRICT;
)sql";

// Version 3: draw lead times and overbooking in the policy; a deleted
// registration keeps no reference or birth day (both NULL: erased).
constexpr const char* kSchemaVersion3 = R"sql(
ALTER TABLE policies ADD COLUMN draw_lead_days_online INTEGER NOT NULL DEFAULT 0;
ALTER TABLE policies ADD COLUMN draw_lead_days_phone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE policies ADD COLUMN overbook_permille INTEGER NOT NULL DEFAULT 0;

CREATE TABLE registrants_v3 (
  id INTEGER PRIMARY KEY,
  external_ref TEXT UNIQUE,
  district INTEGER NOT NULL REFERENCES districts(id),
  birth_day INTEGER,
  priority_group INTEGER NOT NULL CHECK (priority_group BETWEEN 1 AND 4),
  channel INTEGER NOT NULL CHECK (channel IN (0, 1)),
  registered_at_us INTEGER NOT NULL,
  vaccine_preference INTEGER REFERENCES vaccines(id),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
  waiting_since_us INTEGER NOT NULL,
  series INTEGER REFERENCES series(id),
  standby INTEGER NOT NULL DEFAULT 0 CHECK (standby BETWEEN 0 AND 1),
  -- Erased (both NULL): withdrawn, and nothing that names the person left.
  CHECK ((external_ref IS NULL) = (birth_day IS NULL)),
  CHECK (external_ref IS NOT NULL OR status = 2)
) STRICT;
INSERT INTO registrants_v3 (id, external_ref, district, birth_day, priority_group, channel,
                            registered_at_us, vaccine_preference, status, waiting_since_us,
                            series, standby)
  SELECT id, external_ref, district, birth_day, priority_group, channel, registered_at_us,
         vaccine_preference, status, waiting_since_us, series, standby
  FROM registrants ORDER BY id;
DROP TABLE registrants;
ALTER TABLE registrants_v3 RENAME TO registrants;

-- Missed second appointments a rebooking replaced in their series, kept for
-- the no-show counts; in the order they happened.
CREATE TABLE replaced_no_shows (
  seq INTEGER PRIMARY KEY,
  series INTEGER NOT NULL REFERENCES series(id),
  day INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  rebooked_at_us INTEGER NOT NULL
) STRICT;
)sql";

// Version 4: the operation journal (docs/journal.md). One row per committed
// change, written in its transaction; seq is dense from 1 and each hash
// chains to the previous entry's. The first entry says how the journal
// began (a new file, or the migration of an older one).
constexpr const char* kSchemaVersion4 = R"sql(
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY,
  op INTEGER NOT NULL CHECK (op BETWEEN 1 AND 22),
  committed_at_us INTEGER NOT NULL,
  clock_us INTEGER NOT NULL,
  args BLOB NOT NULL,
  hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
)sql";
constexpr int kJournalSchemaVersion = 4;

// Version 5: committed draws (docs/draw.md section 9). A commitment keeps the
// inputs it hashes and, once revealed, the results of its draw: together
// the audit bundle. The draw it revealed names no commitment in its row (the
// commitment names it), so that the draws table keeps its columns. The journal takes the three new operations (its CHECK
// is rebuilt: SQLite cannot alter one).
constexpr const char* kSchemaVersion5 = R"sql(
CREATE TABLE draw_commitments (
  id INTEGER PRIMARY KEY,
  at_us INTEGER NOT NULL,
  first_dose_from INTEGER NOT NULL,
  first_dose_until INTEGER NOT NULL,
  series_limit INTEGER NOT NULL,
  beacon TEXT NOT NULL UNIQUE,
  library_version TEXT NOT NULL,
  policy_version INTEGER NOT NULL REFERENCES policies(version),
  commitment BLOB NOT NULL CHECK (length(commitment) = 32),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
  settled_at_us INTEGER,
  beacon_value BLOB,
  seed_k0 INTEGER,
  seed_k1 INTEGER,
  draw INTEGER UNIQUE REFERENCES draws(id),
  abandon_reason TEXT,
  abandoned_unchanged INTEGER CHECK (abandoned_unchanged BETWEEN 0 AND 1),
  results BLOB,
  CHECK ((status = 0) = (settled_at_us IS NULL)),
  CHECK ((status = 1) = (draw IS NOT NULL AND results IS NOT NULL AND beacon_value IS NOT NULL)),
  CHECK ((status = 2) = (abandon_reason IS NOT NULL AND abandoned_unchanged IS NOT NULL))
) STRICT;

-- At most one pending, whoever writes the file.
CREATE UNIQUE INDEX draw_commitments_one_pending ON draw_commitments (status) WHERE status = 0;

-- A table of its own: revealing updates the commitment's row, and SQLite
-- rewrites a whole row on update, tens of MB of inputs included.
CREATE TABLE draw_inputs (
  commitment INTEGER PRIMARY KEY REFERENCES draw_commitments(id),
  inputs BLOB NOT NULL
) STRICT;

CREATE TABLE draw_commitment_centers (
  commitment INTEGER NOT NULL REFERENCES draw_commitments(id),
  position INTEGER NOT NULL,
  center INTEGER NOT NULL REFERENCES centers(id),
  PRIMARY KEY (commitment, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE journal_v5 (
  seq INTEGER PRIMARY KEY,
  op INTEGER NOT NULL CHECK (op BETWEEN 1 AND 25),
  committed_at_us INTEGER NOT NULL,
  clock_us INTEGER NOT NULL,
  args BLOB NOT NULL,
  hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
INSERT INTO journal_v5 SELECT seq, op, committed_at_us, clock_us, args, hash FROM journal;
DROP TABLE journal;
ALTER TABLE journal_v5 RENAME TO journal;
)sql";

constexpr Migration kMigrations[] = {
    {1, kSchemaVersion1},
    {2, kSchemaVersion2},
    {3, kSchemaVersion3},
    {kJournalSchemaVersion, kSchemaVersion4},
    {5, kSchemaVersion5},
};
constexpr int kSchemaVersion = kMigrations[std::size(kMigrations) - 1].version;
// The CHECKs of version 2 spell these out.
static_assert(kCodeAttemptsMax == 10);
static_assert(internal::kJournalOpMax == 25);
static_assert(static_cast<int>(SeriesOrigin::kStandby) == 3);
static_assert(static_cast<int>(EventKind::kCodeIssued) == 6);
static_assert(static_cast<int>(CodeState::kSuperseded) == 3);

// The series table has one column triple (day, minute, state) per appointment.
static_assert(kDoseCountMax == 2);
// Every column of a series row, in the order BindSeries binds and LoadSeries
// reads them.
constexpr const char* kSeriesColumnNames[] = {
    "id",           "registrant",    "center",       "vaccine",         "dose_count",
    "dose_1_day",   "dose_1_minute", "dose_1_state", "dose_2_day",      "dose_2_minute",
    "dose_2_state", "status",        "booked_at_us", "origin",          "draw",
    "tier",         "category",      "release",      "hold_expires_us", "replaces",
};
constexpr int kSeriesColumns = static_cast<int>(std::size(kSeriesColumnNames));
// Rows per multi-row INSERT of a draw's series (parameters: 20 per row).
constexpr int kSeriesPerInsert = 32;
// Winners per multi-row UPDATE of the registrants a draw scheduled.
constexpr int kSchedulesPerUpdate = 64;

// --- Values as stored --------------------------------------------------------

const absl::CivilDay kEpochDay(1970, 1, 1);

int64_t DayToStored(absl::CivilDay day) { return day - kEpochDay; }
// The engine's own conversion: a direct calculation, not absl's
// day-by-cycle normalization (a twentieth of a reopen).
absl::CivilDay DayFromStored(int64_t days) { return internal::CivilDayFromDays(days); }

// The engine's own conversions (the infinite future and past as INT64 max
// and min).
int64_t TimeToStored(absl::Time time) { return internal::ToMicros(time); }
absl::Time TimeFromStored(int64_t micros) { return internal::FromMicros(micros); }

// An id column that may hold kNoId, stored as NULL.
struct NullableId {
  uint32_t id;
};

// Debian's Abseil has its own string_view type, distinct from std's.
absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

std::string_view BytesOf(const std::array<uint8_t, 32>& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// --- SQLite handles and errors -------------------------------------------------

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct ConnectionDeleter {
  // Every statement is finalized before (Database declares them after the
  // connection), so close cannot be refused for open statements.
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionDeleter>;

// The one translation of SQLite result codes into absl::Status. `context`
// says what was being done; the message adds SQLite's own text and code.
absl::Status SqliteError(sqlite3* db, int code, absl::string_view context) {
  const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  const std::string detail = absl::StrFormat("%s [sqlite error %d]", text, code);
  const std::string message = absl::StrCat(context, ": ", detail);
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(
          absl::StrCat(context,
                       ": database busy: another connection holds the lock and did not release it "
                       "within the busy timeout: ",
                       detail));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(message);
    case SQLITE_IOERR:
      return absl::UnavailableError(message);
    case SQLITE_CANTOPEN:  // a missing directory, permissions, no file handles
      return absl::FailedPreconditionError(message);
    case SQLITE_CONSTRAINT:  // the engine validated the change: file and memory disagree
    default:
      return absl::InternalError(message);
  }
}

// A short name of a statement for error messages: its SQL up to the first
// parenthesis or line break.
std::string StatementLabel(sqlite3_stmt* statement) {
  std::string_view sql = sqlite3_sql(statement);
  sql = sql.substr(0, std::min(sql.find_first_of("(\n"), size_t{64}));
  while (!sql.empty() && sql.back() == ' ') sql.remove_suffix(1);
  return std::string(sql);
}

// The table a SELECT reads, for error messages: the word after FROM.
std::string QueriedTable(sqlite3_stmt* statement) {
  std::string_view sql = sqlite3_sql(statement);
  const size_t from = sql.find(" FROM ");
  if (from == std::string_view::npos) return "value";
  sql.remove_prefix(from + 6);
  return std::string(sql.substr(0, sql.find(' ')));
}

// Used only in a discarded branch's static_assert, which clang counts as unused.
template <class>
[[maybe_unused]] constexpr bool kUnsupportedBindType = false;

template <class T>
constexpr bool kIsOptional = false;
template <class T>
constexpr bool kIsOptional<std::optional<T>> = true;

// Bytes bound as a BLOB (a plain string binds as TEXT).
struct Blob {
  std::string_view bytes;
};

template <class T>
int BindValue(sqlite3_stmt* statement, int index, const T& value) {
  if constexpr (std::is_same_v<T, NullableId>) {
    return value.id == kNoId ? sqlite3_bind_null(statement, index)
                             : sqlite3_bind_int64(statement, index, value.id);
  } else if constexpr (std::is_same_v<T, std::nullopt_t>) {
    return sqlite3_bind_null(statement, index);
  } else if constexpr (std::is_integral_v<T>) {
    // uint64 (draw seeds) wraps to its two's complement bit pattern.
    return sqlite3_bind_int64(statement, index, static_cast<int64_t>(value));
  } else if constexpr (std::is_enum_v<T>) {
    return sqlite3_bind_int64(statement, index, static_cast<int64_t>(value));
  } else if constexpr (std::is_same_v<T, absl::CivilDay>) {
    return sqlite3_bind_int64(statement, index, DayToStored(value));
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    return sqlite3_bind_int64(statement, index, TimeToStored(value));
  } else if constexpr (kIsOptional<T>) {
    return value.has_value() ? BindValue(statement, index, *value)
                             : sqlite3_bind_null(statement, index);
  } else if constexpr (std::is_same_v<T, Blob>) {
    return sqlite3_bind_blob(statement, index, value.bytes.empty() ? "" : value.bytes.data(),
                             static_cast<int>(value.bytes.size()), SQLITE_STATIC);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    const std::string_view text = value;
    // A null data pointer would bind NULL; an empty text stays text. The
    // text outlives the step, so SQLite need not copy it.
    return sqlite3_bind_text(statement, index, text.data() != nullptr ? text.data() : "",
                             static_cast<int>(text.size()), SQLITE_STATIC);
  } else {
    static_assert(kUnsupportedBindType<T>, "no SQLite binding for this type");
  }
}

// Reads the columns of the current row of a SELECT, checking that each value
// fits its field; the first value that does not becomes status() (DataLoss).
class Row {
 public:
  explicit Row(sqlite3_stmt* statement) : statement_(statement) {}

  int64_t Int64(int column) { return sqlite3_column_int64(statement_, column); }

  template <class T>
  T Int(int column, int64_t min, int64_t max) {
    const int64_t value = Int64(column);
    if (value < min || value > max) {
      Fail(column, absl::StrFormat("%d is outside %d..%d", value, min, max));
      return T{};
    }
    return static_cast<T>(value);
  }

  template <class Enum>
  Enum EnumValue(int column, int64_t min, int64_t max) {
    return static_cast<Enum>(Int<std::underlying_type_t<Enum>>(column, min, max));
  }

  // A nullable id column: NULL is kNoId.
  uint32_t Id(int column) {
    if (IsNull(column)) return kNoId;
    return Int<uint32_t>(column, 1, std::numeric_limits<uint32_t>::max());
  }

  bool IsNull(int column) { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

  std::string_view Text(int column) {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    if (text == nullptr) return {};
    return std::string_view(reinterpret_cast<const char*>(text),
                            static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
  }

  std::string_view Bytes(int column) {
    const void* bytes = sqlite3_column_blob(statement_, column);
    if (bytes == nullptr) return {};
    return std::string_view(static_cast<const char*>(bytes),
                            static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
  }

  // A code as the outbox keeps it: `min`..`max` ASCII digits.
  std::string_view Digits(int column, size_t min, size_t max) {
    const std::string_view text = Text(column);
    if (text.size() < min || text.size() > max ||
        text.find_first_not_of("0123456789") != std::string_view::npos) {
      Fail(column, absl::StrFormat("is %d bytes, not %d..%d digits", text.size(), min, max));
      return {};
    }
    return text;
  }

  absl::CivilDay Day(int column) {
    // Far beyond the engine's 1900-2200, small enough for civil arithmetic.
    constexpr int64_t kDaysMax = 100'000'000;
    return DayFromStored(Int<int64_t>(column, -kDaysMax, kDaysMax));
  }

  absl::Time Time(int column) { return TimeFromStored(Int64(column)); }

  const absl::Status& status() const { return status_; }

 private:
  void Fail(int column, absl::string_view what) {
    if (!status_.ok()) return;
    status_ = absl::DataLossError(absl::StrCat("stored ", QueriedTable(statement_), ".",
                                               sqlite3_column_name(statement_, column), " ", what));
  }

  sqlite3_stmt* statement_;
  absl::Status status_;
};

// What the file says about itself before anything is read or written.
struct FileHeader {
  int64_t application_id = 0;
  int64_t user_version = 0;
  int64_t schema_objects = 0;
  bool empty() const { return application_id == 0 && user_version == 0 && schema_objects == 0; }
};

}  // namespace

// ---------------------------------------------------------------------------
// Copies the write-ahead log back into the database file (a checkpoint) on a
// connection and a thread of its own. SQLite's default runs it inside the
// commit that crosses 1000 log pages, so the call that committed (a draw)
// waited for it, though the commit was already complete: the log holds it,
// synced as `synchronous` says. Here the main connection's WAL hook only
// wakes this thread; PASSIVE checkpoints never block the writer or readers.
// Takes turns among the processes and threads that write one campaign.
// SQLite's busy handler polls the write lock with growing sleeps, so a
// process that writes without pause takes the lock again before a waiting
// one looks: one writer made 77,584 registrations in 5 s, the other 31,202
// and was refused once; the checkpointer never got the lock at all and the
// log grew to gigabytes. Here every writer takes an open-file-description
// lock on byte 0 of `<campaign>-writers` around its transaction, and says it
// is waiting by a shared lock on byte 1; one that held the turn last and
// sees another waiting lets that one have it first. The locks go with the
// file description, so a killed process leaves none behind. Without the
// file (a read-only directory) writers rely on the busy handler alone.
class WriterTurns {
 public:
  // Null where the file cannot be had.
  static std::unique_ptr<WriterTurns> Open(const std::string& campaign_path) {
    const std::string path = campaign_path + "-writers";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return nullptr;
    return std::unique_ptr<WriterTurns>(new WriterTurns(fd));
  }
  ~WriterTurns() { ::close(fd_); }
  WriterTurns(const WriterTurns&) = delete;
  WriterTurns& operator=(const WriterTurns&) = delete;

  // False if another writer kept the turn until `deadline`.
  bool Take(absl::Time deadline) {
    // Turns of at least kQuantum: handing over after every transaction cost
    // a third of two writers' throughput.
    if (held_last_ && absl::Now() - turn_since_ >= kQuantum && Held(kWaitingByte)) {
      // Hand over: until the waiter took the turn (a few polls of its).
      const absl::Time until = std::min(deadline, absl::Now() + kHandOverMax);
      while (Held(kWaitingByte) && !Held(kTurnByte) && absl::Now() < until) {
        absl::SleepFor(kPollMin);
      }
      held_last_ = false;
    }
    const bool continuing = held_last_;
    held_last_ = false;
    (void)Lock(F_RDLCK, kWaitingByte);
    absl::Duration pause = kPollMin;
    bool taken;
    while (!(taken = Lock(F_WRLCK, kTurnByte)) && absl::Now() < deadline) {
      absl::SleepFor(pause);
      pause = std::min(pause * 2, kPollMax);
    }
    (void)Lock(F_UNLCK, kWaitingByte);
    if (taken && !continuing) turn_since_ = absl::Now();
    return taken;
  }

  void Give() {
    (void)Lock(F_UNLCK, kTurnByte);
    held_last_ = true;
  }

 private:
  static constexpr off_t kTurnByte = 0;
  static constexpr off_t kWaitingByte = 1;
  static constexpr absl::Duration kPollMin = absl::Microseconds(10);
  static constexpr absl::Duration kPollMax = absl::Microseconds(50);
  static constexpr absl::Duration kHandOverMax = absl::Milliseconds(5);
  static constexpr absl::Duration kQuantum = absl::Milliseconds(2);

  explicit WriterTurns(int fd) : fd_(fd) {}

  bool Lock(short type, off_t byte) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = byte;
    lock.l_len = 1;
    return ::fcntl(fd_, F_OFD_SETLK, &lock) == 0;
  }

  // Whether another file description holds a lock on `byte`.
  bool Held(off_t byte) {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = byte;
    lock.l_len = 1;
    return ::fcntl(fd_, F_OFD_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  }

  int fd_;
  bool held_last_ = false;  // this writer had the last turn
  absl::Time turn_since_;   // when this writer's run of turns began
};

class Checkpointer {
 public:
  // Log pages after a commit that start a checkpoint (SQLite's default).
  static constexpr int kPages = 1000;

  // Null (SQLite's own checkpointing stays on) if no connection or thread
  // can be had.
  static std::unique_ptr<Checkpointer> Start(sqlite3* main, const std::string& path,
                                             bool full_sync) {
    sqlite3* raw = nullptr;
    const int code =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    Connection connection(raw);
    if (code != SQLITE_OK) return nullptr;
    // A checkpoint syncs the log and then the file as `synchronous` says.
    if (sqlite3_exec(raw, full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                     nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_busy_timeout(raw, kTruncateWaitMs) != SQLITE_OK) {
      return nullptr;
    }
    std::unique_ptr<Checkpointer> checkpointer(new Checkpointer(std::move(connection)));
    checkpointer->turns_ = WriterTurns::Open(path);
    try {
      checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->Loop(); });
    } catch (const std::system_error&) {
      return nullptr;
    }
    sqlite3_wal_hook(main, &Checkpointer::OnCommit, checkpointer.get());
    checkpointer->main_ = main;
    return checkpointer;
  }

  ~Checkpointer() {
    if (!thread_.joinable()) return;  // Start failed: no hook, no thread
    // SQLite's own checkpointing back on for the main connection's last
    // commits (none follow in practice: the Store is closing).
    if (main_ != nullptr) sqlite3_wal_autocheckpoint(main_, kPages);
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  explicit Checkpointer(Connection connection) : connection_(std::move(connection)) {}

  // After a commit on the main connection; `pages` is the log's length. A
  // checkpoint copies the log but leaves its length until the next writer
  // starts it over: one is started per kPages the log grew.
  static int OnCommit(void* self, sqlite3*, const char*, int pages) {
    auto* checkpointer = static_cast<Checkpointer*>(self);
    if (pages < checkpointer->pages_at_wake_) checkpointer->pages_at_wake_ = 0;  // started over
    if (pages - checkpointer->pages_at_wake_ >= kPages) {
      checkpointer->pages_at_wake_ = pages;
      {
        std::lock_guard lock(checkpointer->mutex_);
        checkpointer->pending_ = true;
        checkpointer->truncate_ = pages >= kTruncatePages;
      }
      checkpointer->wake_.notify_one();
    }
    return SQLITE_OK;
  }

  // Under writes without a pause a passive checkpoint never catches up with
  // the log, so the log never starts over: 1.7 GB after 5 s of one writer's
  // registrations. From this length on the checkpoint waits (a little) for
  // the writers and readers, copies all of the log and truncates it.
  static constexpr int kTruncatePages = 16 * kPages;
  static constexpr int kTruncateWaitMs = 250;  // less than a writer's usual busy timeout

  void Loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
      const bool truncate = truncate_;
      lock.unlock();
      // Busy or failed: the log stays as it is, complete, and the next
      // commit over kPages tries again.
      (void)sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                      nullptr, nullptr);
      // Alongside the writers first, then what they added meanwhile with
      // the writers waiting: they wait only for the last part.
      if (truncate && (turns_ == nullptr ||
                       turns_->Take(absl::Now() + absl::Milliseconds(kTruncateWaitMs)))) {
        (void)sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                        nullptr, nullptr);
        if (turns_ != nullptr) turns_->Give();
      }
      lock.lock();
    }
  }

  Connection connection_;
  std::unique_ptr<WriterTurns> turns_;  // the writers', taken for a truncation
  sqlite3* main_ = nullptr;
  int pages_at_wake_ = 0;  // the log's length when the last checkpoint was asked for (main thread)
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool truncate_ = false;  // the log is over kTruncatePages
  bool stop_ = false;
};

// Store::Database: the connection, its statements and every SQL the store runs.

struct Store::Database {
  Connection connection;
  std::string path;
  StoreOptions options;
  // PRAGMA data_version when this Store last looked at the journal: a
  // different value means another connection committed something since
  // (perhaps only an acknowledgment), so the journal is read again.
  int64_t data_version = 0;
  // The last journal entry the engine in memory includes, and its hash.
  uint64_t journal_seq = 0;
  internal::Sha256 journal_hash{};
  // The head entry's campaign clock as loaded (Engine::latest_change).
  int64_t journal_clock_us = std::numeric_limits<int64_t>::min();
  // The entry the open transaction appends, until it commits.
  uint64_t appended_seq = 0;
  internal::Sha256 appended_hash{};

  // Statements, prepared once after the schema is known to be ours. Declared
  // after `connection` so that they are finalized before it closes.
  Statement begin, commit, rollback, read_data_version;
  Statement insert_journal, select_journal_after;
  Statement insert_district, insert_vaccine, insert_center, insert_center_district;
  Statement insert_capacity_block, insert_delivery;
  Statement insert_policy, insert_tier_rule, insert_reserve, insert_neighbour;
  Statement insert_registrant, update_registrant, erase_registrant;
  Statement insert_code, upsert_code;  // a new code row; one written whole
  Statement insert_no_show;
  Statement upsert_series;             // one whole row, new or changed
  Statement insert_series_chunk;       // kSeriesPerInsert new rows
  Statement insert_release;
  Statement schedule_registrants_chunk;  // kSchedulesPerUpdate registrants
  Statement insert_draw, insert_draw_center, insert_draw_tier;
  Statement insert_commitment, insert_draw_inputs, insert_commitment_center, settle_commitment;
  Statement insert_event, insert_draw_events, select_events, delete_events, select_last_event_id;
  // Foreign keys are off on the connection (WithoutForeignKeys); and whether
  // that is on purpose, for the change running.
  bool foreign_keys_off = false;
  bool keep_foreign_keys_off = false;
  // Inside Transaction's write: the open transaction is ours.
  bool writing = false;

  // WAL checkpoints, on a connection and a thread of their own (declared
  // last: stopped and closed first, so that the main connection is the last
  // to close and leaves no log behind).
  std::unique_ptr<Checkpointer> checkpointer;
  std::unique_ptr<WriterTurns> turns;  // null: none to be had, or not yet tried
  bool turns_tried = false;

  sqlite3* db() const { return connection.get(); }

  absl::Status Error(int code, absl::string_view what) const {
    return SqliteError(db(), code, absl::StrCat(what, " (campaign file '", path, "')"));
  }

  // --- Running statements ------------------------------------------------

  absl::Status Exec(const char* sql, absl::string_view what) {
    const int code = sqlite3_exec(db(), sql, nullptr, nullptr, nullptr);
    return code == SQLITE_OK ? absl::OkStatus() : Error(code, what);
  }

  absl::StatusOr<Statement> Prepare(const char* sql) {
    sqlite3_stmt* raw = nullptr;
    const int code = sqlite3_prepare_v3(db(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    Statement statement(raw);
    if (code != SQLITE_OK) return Error(code, absl::StrCat("preparing '", sql, "'"));
    return statement;
  }

  // Binds `values` to the parameters from 1 on; the first failure's code.
  template <class... Values>
  static int BindAll([[maybe_unused]] sqlite3_stmt* statement, const Values&... values) {
    int index = 0;
    int code = SQLITE_OK;
    ((code = code == SQLITE_OK ? BindValue(statement, ++index, values) : code), ...);
    return code;
  }

  // Binds `values` to the parameters in order, runs the statement to
  // completion and resets it.
  template <class... Values>
  absl::Status Run(sqlite3_stmt* statement, const Values&... values) {
    sqlite3_reset(statement);
    int code = BindAll(statement, values...);
    if (code == SQLITE_OK) code = sqlite3_step(statement);
    absl::Status status = absl::OkStatus();
    if (code != SQLITE_DONE && code != SQLITE_ROW) status = Error(code, StatementLabel(statement));
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    return status;
  }

  // Run() for an UPDATE that must change exactly one row.
  template <class... Values>
  absl::Status RunUpdateOne(sqlite3_stmt* statement, absl::string_view what,
                            const Values&... values) {
    VAXALLOC_STORE_RETURN_IF_ERROR(Run(statement, values...));
    if (sqlite3_changes(db()) != 1) {
      return absl::DataLossError(absl::StrCat(what, " is missing from campaign file '", path,
                                              "'; the file no longer matches memory"));
    }
    return absl::OkStatus();
  }

  // Steps a SELECT, calling `on_row(Row&)` for each row; stops at the first
  // error, of SQLite, of a value, or of the callback.
  template <class OnRow>
  absl::Status ForEachRow(sqlite3_stmt* statement, OnRow&& on_row) {
    absl::Status status = absl::OkStatus();
    for (;;) {
      const int code = sqlite3_step(statement);
      if (code == SQLITE_DONE) break;
      if (code != SQLITE_ROW) {
        status = Error(code, StatementLabel(statement));
        break;
      }
      Row row(statement);
      status = on_row(row);
      if (status.ok()) status = row.status();
      if (!status.ok()) break;
    }
    sqlite3_reset(statement);
    return status;
  }

  // A SELECT prepared for one load, with `values` bound.
  template <class... Values>
  absl::StatusOr<Statement> Query(const char* sql, const Values&... values) {
    absl::StatusOr<Statement> statement = Prepare(sql);
    if (!statement.ok()) return statement.status();
    const int code = BindAll(statement->get(), values...);
    if (code != SQLITE_OK) return Error(code, sql);
    return statement;
  }

  absl::StatusOr<int64_t> QueryInt(const char* sql) {
    absl::StatusOr<Statement> statement = Prepare(sql);
    if (!statement.ok()) return statement.status();
    const int code = sqlite3_step(statement->get());
    if (code != SQLITE_ROW) return Error(code == SQLITE_DONE ? SQLITE_ERROR : code, sql);
    return sqlite3_column_int64(statement->get(), 0);
  }

  // Runs `write` inside BEGIN IMMEDIATE ... COMMIT; on any error rolls back
  // and returns it, leaving the file as it was.
  template <class Write>
  absl::Status Transaction(Write&& write) {
    VAXALLOC_STORE_RETURN_IF_ERROR(EndLeftoverTransaction());
    if (!keep_foreign_keys_off) VAXALLOC_STORE_RETURN_IF_ERROR(EnableForeignKeys());
    // Opened at the first write: by then the file is known to be a campaign.
    if (!turns_tried) {
      turns_tried = true;
      if (path != ":memory:") turns = WriterTurns::Open(path);
    }
    if (turns != nullptr && !turns->Take(absl::Now() + options.busy_timeout)) {
      return absl::UnavailableError(absl::StrCat(
          "campaign file '", path, "': database busy: other writers kept their turn for longer "
          "than the busy timeout (", absl::FormatDuration(options.busy_timeout), ")"));
    }
    absl::Cleanup give_turn = [this] {
      if (turns != nullptr) turns->Give();
    };
    VAXALLOC_STORE_RETURN_IF_ERROR(Run(begin.get()));
    appended_seq = 0;
    writing = true;
    absl::Status status = write();
    writing = false;
    if (status.ok()) status = Run(commit.get());
    if (!status.ok() && !sqlite3_get_autocommit(db())) {
      // Some errors roll back by themselves; only roll back what is open.
      // A failed ROLLBACK leaves nothing better to do than report the cause.
      (void)Run(rollback.get());
    }
    if (status.ok() && appended_seq != 0) {
      journal_seq = appended_seq;
      journal_hash = appended_hash;
    }
    appended_seq = 0;
    return status;
  }

  // Between calls no transaction is open, except one whose ROLLBACK or
  // COMMIT failed (out of memory, I/O): ended here, before the next call
  // reads or writes, or that call would read the old snapshot (and miss
  // what others committed since) or fail to BEGIN.
  absl::Status EndLeftoverTransaction() {
    if (writing || sqlite3_get_autocommit(db())) return absl::OkStatus();
    return Run(rollback.get());
  }

  absl::Status CheckWritable() const {
    if (!options.read_only) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "campaign file '", path, "' is open read-only (StoreOptions::read_only); it was not changed"));
  }

  // --- Opening -------------------------------------------------------------

  absl::Status Connect() {
    int flags = SQLITE_OPEN_NOMUTEX;
    if (options.read_only) {
      flags |= SQLITE_OPEN_READONLY;
    } else {
      flags |= SQLITE_OPEN_READWRITE;
      if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
    }
    sqlite3* raw = nullptr;
    const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    connection.reset(raw);
    if (code != SQLITE_OK) return Error(code, "opening");
    sqlite3_extended_result_codes(db(), 1);
    const int64_t busy_ms = absl::ToInt64Milliseconds(options.busy_timeout);
    sqlite3_busy_timeout(db(), static_cast<int>(std::clamp<int64_t>(busy_ms, 0, INT32_MAX)));
    return absl::OkStatus();
  }

  // Connection settings only: none of them writes to the file.
  absl::Status Configure() {
    VAXALLOC_STORE_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys = ON", "enabling foreign keys"));
    // A draw updates registrant rows all over the table; with SQLite's
    // default 2 MiB page cache its dirty pages spill to the log before the
    // commit. 64 MiB (a ceiling, taken as used) cut a 100k-series draw's
    // writing by about a quarter.
    VAXALLOC_STORE_RETURN_IF_ERROR(Exec("PRAGMA cache_size = -65536", "setting the cache size"));
    // Acknowledging a kCodeIssued event deletes the code's digits: zero the
    // freed bytes rather than leave them in the file. Debian's SQLite does
    // this by default (the figures in docs/benchmarks.md include it); other
    // builds do not.
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Exec("PRAGMA secure_delete = ON", "zeroing deleted content (secure_delete)"));
    return Exec(options.durability == Durability::kFull ? "PRAGMA synchronous = FULL"
                                                        : "PRAGMA synchronous = NORMAL",
                "setting synchronous");
  }

  // Reads only: a file that is not a database fails here, unchanged.
  absl::StatusOr<FileHeader> ReadHeader() {
    FileHeader header;
    absl::StatusOr<int64_t> value = QueryInt("PRAGMA application_id");
    if (!value.ok()) return NotOurs(value.status());
    header.application_id = *value;
    value = QueryInt("PRAGMA user_version");
    if (!value.ok()) return NotOurs(value.status());
    header.user_version = *value;
    value = QueryInt("SELECT count(*) FROM sqlite_schema");
    if (!value.ok()) return NotOurs(value.status());
    header.schema_objects = *value;
    return header;
  }

  absl::Status NotOurs(const absl::Status& status) const {
    // SQLite says "unsupported file format" (a plain SQLITE_ERROR, so
    // Internal) for a header it cannot read: as damaged as a bad page.
    if (status.code() != absl::StatusCode::kDataLoss &&
        !(status.code() == absl::StatusCode::kInternal &&
          absl::StrContains(status.message(), "unsupported file format"))) {
      return status;
    }
    return absl::DataLossError(absl::StrCat("campaign file '", path,
                                            "' is not a readable SQLite database (corrupt, "
                                            "truncated or another kind of file): ",
                                            status.message()));
  }

  absl::Status Validate(const FileHeader& header) const {
    if (header.application_id != kApplicationId) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "campaign file '%s' is a SQLite database of another application (application_id "
          "0x%08x, a vaxalloc campaign has 0x%08x); it was not changed",
          path, static_cast<uint32_t>(header.application_id),
          static_cast<uint32_t>(kApplicationId)));
    }
    if (header.user_version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "campaign file '%s' has schema version %d, newer than version %d that this vaxalloc "
          "library knows; open it with a newer library (the file was not changed)",
          path, header.user_version, kSchemaVersion));
    }
    if (header.user_version < 1) {
      return absl::DataLossError(absl::StrFormat(
          "campaign file '%s' has the vaxalloc application_id but schema version %d", path,
          header.user_version));
    }
    return absl::OkStatus();
  }

  absl::Status SwitchToWal() {
    absl::StatusOr<Statement> statement = Prepare("PRAGMA journal_mode = WAL");
    if (!statement.ok()) return statement.status();
    const int code = sqlite3_step(statement->get());
    if (code != SQLITE_ROW) return Error(code, "switching to WAL mode");
    const std::string_view mode = Row(statement->get()).Text(0);
    if (mode != "wal" && path != ":memory:") {
      return absl::FailedPreconditionError(
          absl::StrCat("campaign file '", path, "' could not switch to WAL mode (journal mode is '",
                       AbslView(mode), "')"));
    }
    // Once: a new file switches here and again after its first load; a
    // second checkpointer's start would have the first one's end put
    // SQLite's own hook back.
    if (mode == "wal" && checkpointer == nullptr) {
      checkpointer = Checkpointer::Start(db(), path, options.durability == Durability::kFull);
    }
    return absl::OkStatus();
  }

  // Makes an empty file a campaign of the current schema, in one transaction.
  absl::Status Initialize(const Policy& default_policy) {
    VAXALLOC_STORE_RETURN_IF_ERROR(SwitchToWal());
    return WithoutForeignKeys([&] {
      VAXALLOC_STORE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "creating the campaign"));
      absl::Status status = InitializeLocked(default_policy);
      if (status.ok()) status = Exec("COMMIT", "creating the campaign");
      if (!status.ok() && !sqlite3_get_autocommit(db())) (void)Exec("ROLLBACK", "rolling back");
      return status;
    });
  }

  // Runs `change` (which opens and ends its own transaction) with foreign
  // keys off, as migrations that rebuild tables need: PRAGMA foreign_keys is
  // a no-op inside a transaction. They are back on afterwards, whatever
  // happened; a statement prepared meanwhile is prepared again by SQLite.
  // The change's status is what happened to the file: should switching them
  // back on fail, the next transaction tries again before it writes.
  template <class Change>
  absl::Status WithoutForeignKeys(Change&& change) {
    // The pragma does nothing inside a transaction.
    if (rollback != nullptr) VAXALLOC_STORE_RETURN_IF_ERROR(EndLeftoverTransaction());
    VAXALLOC_STORE_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys = OFF", "disabling foreign keys"));
    foreign_keys_off = true;
    keep_foreign_keys_off = true;
    absl::Cleanup back_on = [this] {
      keep_foreign_keys_off = false;
      (void)EnableForeignKeys();
    };
    return change();
  }

  // Inside a transaction the pragma changes nothing (and says nothing): the
  // flag clears only once SQLite reports them on.
  absl::Status EnableForeignKeys() {
    if (!foreign_keys_off) return absl::OkStatus();
    if (!sqlite3_get_autocommit(db())) {
      return absl::InternalError("foreign keys cannot be switched back on inside a transaction");
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys = ON", "enabling foreign keys"));
    absl::StatusOr<int64_t> on = QueryInt("PRAGMA foreign_keys");
    if (!on.ok()) return on.status();
    if (*on != 1) return absl::InternalError("PRAGMA foreign_keys = ON left them off");
    foreign_keys_off = false;
    return absl::OkStatus();
  }

  // Inside a migration's transaction, before its commit: the rows as copied
  // must satisfy every foreign key, which nothing checked while they were
  // off.
  absl::Status CheckForeignKeys(absl::string_view what) {
    absl::StatusOr<Statement> check = Prepare("PRAGMA foreign_key_check");
    if (!check.ok()) return check.status();
    int64_t broken = 0;
    std::string first;
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(check->get(), [&](Row& row) {
      // Columns: table, rowid, parent table, foreign key index.
      if (broken++ == 0) {
        first = absl::StrCat("row ", row.Int64(1), " of ", AbslView(row.Text(0)),
                             " names a missing row of ", AbslView(row.Text(2)));
      }
      return absl::OkStatus();
    }));
    if (broken == 0) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat(what, " (campaign file '", path, "'): ", broken,
                                            " stored rows break a foreign key (", first,
                                            "); the file was not changed"));
  }

  absl::Status InitializeLocked(const Policy& default_policy) {
    // Another process may have created the campaign while we waited.
    absl::StatusOr<FileHeader> header = ReadHeader();
    if (!header.ok()) return header.status();
    if (!header->empty()) return absl::OkStatus();
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Exec(absl::StrCat("PRAGMA application_id = ", kApplicationId).c_str(),
             "setting the application id"));
    for (const Migration& migration : kMigrations) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          Exec(migration.sql, absl::StrCat("creating schema version ", migration.version)));
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Exec(absl::StrCat("PRAGMA user_version = ", kSchemaVersion).c_str(),
             "setting the schema version"));
    VAXALLOC_STORE_RETURN_IF_ERROR(PrepareStatements());
    VAXALLOC_STORE_RETURN_IF_ERROR(InsertPolicy(PolicyVersion{1, default_policy}));
    internal::JournalWriter args;
    args.U32(kSchemaVersion);
    args.Str(VAXALLOC_VERSION_STRING);
    return AppendJournal(internal::JournalOp::kCreated, args.Take(),
                         std::numeric_limits<int64_t>::min());
  }

  // Brings a file of an older schema version to the current one, one
  // transaction per version: a failure leaves the file at the last version
  // reached, whole.
  absl::Status Migrate(int64_t from_version) {
    for (const Migration& migration : kMigrations) {
      if (migration.version <= from_version) continue;
      const std::string what = absl::StrCat("migrating to schema version ", migration.version);
      VAXALLOC_STORE_RETURN_IF_ERROR(WithoutForeignKeys([&] {
        VAXALLOC_STORE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", what));
        absl::Status status = MigrateLocked(migration, from_version, what);
        if (status.ok()) status = Exec("COMMIT", what);
        if (!status.ok() && !sqlite3_get_autocommit(db())) (void)Exec("ROLLBACK", what);
        return status;
      }));
    }
    return absl::OkStatus();
  }

  absl::Status MigrateLocked(const Migration& migration, int64_t from_version,
                             const std::string& what) {
    // Another process may have migrated the file while we waited for the lock.
    absl::StatusOr<int64_t> version = QueryInt("PRAGMA user_version");
    if (!version.ok()) return version.status();
    if (*version >= migration.version) return absl::OkStatus();
    if (absl::Status status = Exec(migration.sql, what); !status.ok()) {
      // A table that exists already or a column added twice: the file says
      // an older version than its tables have (or was edited), not a bug.
      if (status.code() != absl::StatusCode::kInternal) return status;
      return absl::DataLossError(absl::StrFormat(
          "campaign file '%s' says schema version %d but its tables do not match it (%s); the "
          "file was not changed",
          path, from_version, status.message()));
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(CheckForeignKeys(what));
    if (migration.version == kJournalSchemaVersion) {
      // The journal begins here: what came before is in the tables only.
      internal::JournalWriter args;
      args.U32(static_cast<uint32_t>(from_version));
      args.U32(kJournalSchemaVersion);
      // The clock so far, from the instants the tables keep (a withdrawal's,
      // a decline's or an attendance record's are in none of them). Not
      // registrations: a waiting_since later than registered_at is a
      // cancellation's.
      absl::StatusOr<int64_t> clock = QueryInt(
          "SELECT max(coalesce((SELECT max(waiting_since_us) FROM registrants WHERE "
          "waiting_since_us > registered_at_us), -9223372036854775808), "
          "coalesce((SELECT max(booked_at_us) FROM series), "
          "-9223372036854775808), coalesce((SELECT max(issued_at_us) FROM codes), "
          "-9223372036854775808), coalesce((SELECT max(rebooked_at_us) FROM replaced_no_shows), "
          "-9223372036854775808), coalesce((SELECT max(at_us) FROM draws), "
          "-9223372036854775808))");
      if (!clock.ok()) return clock.status();
      VAXALLOC_STORE_RETURN_IF_ERROR(AppendJournal(internal::JournalOp::kMigrated, args.Take(),
                                                   *clock, /*statements=*/false));
    }
    return Exec(absl::StrCat("PRAGMA user_version = ", migration.version).c_str(), what);
  }

  absl::Status PrepareStatements() {
    const std::pair<Statement Database::*, const char*> statements[] = {
        {&Database::begin, "BEGIN IMMEDIATE"},
        {&Database::commit, "COMMIT"},
        {&Database::rollback, "ROLLBACK"},
        {&Database::read_data_version, "PRAGMA data_version"},
        {&Database::insert_journal,
         "INSERT INTO journal (seq, op, committed_at_us, clock_us, args, hash) "
         "VALUES (?, ?, ?, ?, ?, ?)"},
        {&Database::select_journal_after,
         "SELECT seq, op, committed_at_us, clock_us, args, hash FROM journal WHERE seq > ? "
         "ORDER BY seq LIMIT ?"},
        {&Database::insert_district, "INSERT INTO districts (id, code, name) VALUES (?, ?, ?)"},
        {&Database::insert_vaccine,
         "INSERT INTO vaccines (id, code, name, dose_count, interval_days_min, "
         "interval_days_target, interval_days_max, age_years_min, age_years_max) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_center, "INSERT INTO centers (id, code, name) VALUES (?, ?, ?)"},
        {&Database::insert_center_district,
         "INSERT INTO center_districts (center, position, district) VALUES (?, ?, ?)"},
        {&Database::insert_capacity_block,
         "INSERT INTO capacity_blocks (seq, center, vaccine, first_day, last_day, weekdays, "
         "open_minute, close_minute, slot_minutes, seats_first, seats_second) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_delivery,
         "INSERT INTO deliveries (seq, center, vaccine, day, doses) VALUES (?, ?, ?, ?, ?)"},
        {&Database::insert_policy,
         "INSERT INTO policies (version, residence, time_zone, hold_us, short_notice_days, "
         "standby_hold_us, code_digits, code_lifetime_us, code_attempts, draw_lead_days_online, "
         "draw_lead_days_phone, overbook_permille) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_tier_rule,
         "INSERT INTO policy_tier_rules (version, position, registered_before_us, tier_group_1, "
         "tier_group_2, tier_group_3, tier_group_none) VALUES (?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_reserve,
         "INSERT INTO policy_reserves (version, position, name, share_permille, age_years_min, "
         "group_mask, vaccine) VALUES (?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_neighbour,
         "INSERT INTO policy_neighbours (version, position, district_a, district_b) "
         "VALUES (?, ?, ?, ?)"},
        {&Database::insert_registrant,
         "INSERT INTO registrants (id, external_ref, district, birth_day, priority_group, "
         "channel, registered_at_us, vaccine_preference, status, waiting_since_us, series, "
         "standby) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        // A NULL waiting_since leaves it as it is.
        {&Database::update_registrant,
         "UPDATE registrants SET status = ?2, series = ?3, "
         "waiting_since_us = coalesce(?4, waiting_since_us) WHERE id = ?1"},
        {&Database::erase_registrant,
         "UPDATE registrants SET external_ref = NULL, birth_day = NULL WHERE id = ?1"},
        {&Database::insert_release,
         "INSERT INTO releases (id, center, vaccine, first_day, last_day, release_at_us, "
         "first_dose_cap) VALUES (?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_draw,
         "INSERT INTO draws (id, seed_k0, seed_k1, at_us, first_dose_from, first_dose_until, "
         "series_limit, policy_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
        {&Database::insert_commitment,
         "INSERT INTO draw_commitments (id, at_us, first_dose_from, first_dose_until, "
         "series_limit, beacon, library_version, policy_version, commitment, status) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"},
        {&Database::insert_draw_inputs,
         "INSERT INTO draw_inputs (commitment, inputs) VALUES (?, ?)"},
        {&Database::insert_commitment_center,
         "INSERT INTO draw_commitment_centers (commitment, position, center) VALUES (?, ?, ?)"},
        {&Database::settle_commitment,
         "UPDATE draw_commitments SET status = ?2, settled_at_us = ?3, beacon_value = ?4, "
         "seed_k0 = ?5, seed_k1 = ?6, draw = ?7, abandon_reason = ?8, results = ?9, "
         "abandoned_unchanged = ?10 "
         "WHERE id = ?1 AND status = 0"},
        {&Database::insert_draw_center,
         "INSERT INTO draw_centers (draw, position, center) VALUES (?, ?, ?)"},
        {&Database::insert_draw_tier,
         "INSERT INTO draw_tiers (draw, tier, eligible, assigned) VALUES (?, ?, ?, ?)"},
        {&Database::insert_no_show,
         "INSERT INTO replaced_no_shows (series, day, minute, rebooked_at_us) VALUES (?, ?, ?, ?)"},
        {&Database::insert_code,
         "INSERT INTO codes (id, registrant, purpose, series, issued_at_us, expires_at_us, "
         "attempts, state, salt0, salt1, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {&Database::upsert_code,
         "INSERT INTO codes (id, registrant, purpose, series, issued_at_us, expires_at_us, "
         "attempts, state, salt0, salt1, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
         "ON CONFLICT(id) DO UPDATE SET registrant = excluded.registrant, "
         "purpose = excluded.purpose, series = excluded.series, "
         "issued_at_us = excluded.issued_at_us, expires_at_us = excluded.expires_at_us, "
         "attempts = excluded.attempts, state = excluded.state, salt0 = excluded.salt0, "
         "salt1 = excluded.salt1, hash = excluded.hash"},
        // The id comes from AUTOINCREMENT: above every id ever used.
        {&Database::insert_event,
         "INSERT INTO events (kind, at_us, registrant, series, draw, code_id, code) "
         "VALUES (?, ?, ?, ?, ?, ?, ?)"},
        // A draw's events in one statement, from the series rows it just
        // wrote (ids first..last, in assignment order): AUTOINCREMENT reads
        // and writes sqlite_sequence once per statement, not once per row.
        {&Database::insert_draw_events,
         "INSERT INTO events (kind, at_us, registrant, series, draw) "
         "SELECT ?1, booked_at_us, registrant, id, draw FROM series "
         "WHERE id BETWEEN ?2 AND ?3 ORDER BY id"},
        {&Database::select_events,
         "SELECT id, kind, at_us, registrant, series, draw, code_id, code FROM events "
         "WHERE id > ? ORDER BY id LIMIT ?"},
        {&Database::delete_events, "DELETE FROM events WHERE id <= ?"},
        // No row until the first event is written.
        {&Database::select_last_event_id, "SELECT seq FROM sqlite_sequence WHERE name = 'events'"},
    };
    auto prepare = [&](Statement Database::*member, const char* sql) {
      absl::StatusOr<Statement> statement = Prepare(sql);
      // Out of memory, I/O: not the file's fault.
      if (!statement.ok() && statement.status().code() != absl::StatusCode::kInternal) {
        return statement.status();
      }
      if (!statement.ok()) {
        // Our application id and version, but not our tables (SQLITE_ERROR:
        // no such table or column).
        return absl::DataLossError(
            absl::StrCat("campaign file '", path,
                         "' does not have the expected schema: ", statement.status().message()));
      }
      this->*member = std::move(*statement);
      return absl::OkStatus();
    };
    for (const auto& [member, sql] : statements) {
      VAXALLOC_STORE_RETURN_IF_ERROR(prepare(member, sql));
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(prepare(&Database::upsert_series, UpsertSeriesSql().c_str()));
    VAXALLOC_STORE_RETURN_IF_ERROR(
        prepare(&Database::insert_series_chunk, SeriesChunkSql().c_str()));
    return prepare(&Database::schedule_registrants_chunk, ScheduleChunkSql().c_str());
  }

  // A draw's winners get their series kSchedulesPerUpdate at a time: ?1 the
  // status, then (registrant, series) pairs.
  static std::string ScheduleChunkSql() {
    std::string sql = "UPDATE registrants SET status = ?1, series = winner.column2 FROM (VALUES ";
    for (int row = 0; row < kSchedulesPerUpdate; ++row) {
      absl::StrAppend(&sql, row == 0 ? "" : ", ", "(?, ?)");
    }
    absl::StrAppend(&sql, ") AS winner WHERE registrants.id = winner.column1");
    return sql;
  }

  // "(?, ?, ..., ?)": one series row's parameters.
  static std::string SeriesRowParameters() {
    std::string row = "(";
    for (int column = 0; column < kSeriesColumns; ++column) {
      absl::StrAppend(&row, column == 0 ? "?" : ", ?");
    }
    return row + ")";
  }

  // One series row, written whole: inserted if its id is new, else every
  // column replaced. Every change that touches a series writes it this way.
  static std::string UpsertSeriesSql() {
    std::string sql =
        absl::StrCat("INSERT INTO series (", absl::StrJoin(kSeriesColumnNames, ", "), ") VALUES ",
                     SeriesRowParameters(), " ON CONFLICT(id) DO UPDATE SET ");
    for (int column = 1; column < kSeriesColumns; ++column) {  // all but the id
      absl::StrAppend(&sql, column == 1 ? "" : ", ", kSeriesColumnNames[column], " = excluded.",
                      kSeriesColumnNames[column]);
    }
    return sql;
  }

  // kSeriesPerInsert new rows: a draw's series go in chunks, paying SQLite's
  // per-statement cost once per chunk.
  static std::string SeriesChunkSql() {
    std::string sql =
        absl::StrCat("INSERT INTO series (", absl::StrJoin(kSeriesColumnNames, ", "), ") VALUES ");
    const std::string row_parameters = SeriesRowParameters();
    for (int row = 0; row < kSeriesPerInsert; ++row) {
      absl::StrAppend(&sql, row == 0 ? "" : ", ", row_parameters);
    }
    return sql;
  }

  // Binds one series row's kSeriesColumns values (kSeriesColumnNames) from
  // parameter `first` on.
  static int BindSeries(sqlite3_stmt* statement, int first, const Series& series) {
    struct Value {
      int64_t value;
      bool null;  // "none", or a second dose a one-dose series lacks
    };
    const Appointment& dose_1 = series.appointments[0];
    const Appointment& dose_2 = series.appointments[1];
    const bool one_dose = series.dose_count != 2;
    const bool held = series.status == SeriesStatus::kHeld;
    const Value values[] = {
        {series.id, false},
        {series.registrant, false},
        {series.center, false},
        {series.vaccine, false},
        {series.dose_count, false},
        {DayToStored(dose_1.day), false},
        {dose_1.minute, false},
        {static_cast<int64_t>(series.doses[0]), false},
        {one_dose ? 0 : DayToStored(dose_2.day), one_dose},
        {dose_2.minute, one_dose},
        {static_cast<int64_t>(series.doses[1]), one_dose},
        {static_cast<int64_t>(series.status), false},
        {TimeToStored(series.booked_at), false},
        {static_cast<int64_t>(series.origin), false},
        {series.draw, series.draw == kNoId},
        {series.tier, false},
        {series.category, false},
        {series.release, series.release == kNoId},
        {held ? TimeToStored(series.hold_expires_at) : 0, !held},
        {series.replaces, series.replaces == kNoId},
    };
    static_assert(std::size(values) == kSeriesColumns);
    int code = SQLITE_OK;
    for (int column = 0; column < kSeriesColumns && code == SQLITE_OK; ++column) {
      code = values[column].null
                 ? sqlite3_bind_null(statement, first + column)
                 : sqlite3_bind_int64(statement, first + column, values[column].value);
    }
    return code;
  }

  // --- Writing: one function per change ----------------------------------

  absl::Status InsertDistrict(const District& district) {
    return Run(insert_district.get(), district.id, district.code, district.name);
  }

  absl::Status InsertVaccine(const Vaccine& vaccine) {
    const VaccineSpec& spec = vaccine.spec;
    return Run(insert_vaccine.get(), vaccine.id, spec.code, spec.name, spec.dose_count,
               spec.interval_days_min, spec.interval_days_target, spec.interval_days_max,
               spec.age_years_min, spec.age_years_max);
  }

  absl::Status InsertCenter(const Center& center) {
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Run(insert_center.get(), center.id, center.spec.code, center.spec.name));
    for (size_t i = 0; i < center.spec.districts.size(); ++i) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          Run(insert_center_district.get(), center.id, i, center.spec.districts[i]));
    }
    return absl::OkStatus();
  }

  absl::Status InsertCapacityBlock(size_t seq, const CapacityBlock& block) {
    return Run(insert_capacity_block.get(), seq, block.center, block.vaccine, block.first_day,
               block.last_day, block.weekdays, block.open_minute, block.close_minute,
               block.slot_minutes, block.seats_first, block.seats_second);
  }

  absl::Status InsertDelivery(size_t seq, const SupplyDelivery& delivery) {
    return Run(insert_delivery.get(), seq, delivery.center, delivery.vaccine, delivery.day,
               delivery.doses);
  }

  absl::Status InsertPolicy(const PolicyVersion& policy_version) {
    const uint32_t version = policy_version.version;
    const Policy& policy = policy_version.policy;
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Run(insert_policy.get(), version, policy.residence, policy.time_zone,
            absl::ToInt64Microseconds(policy.hold), policy.short_notice_days,
            absl::ToInt64Microseconds(policy.standby_hold), policy.code_digits,
            absl::ToInt64Microseconds(policy.code_lifetime), policy.code_attempts,
            policy.draw_lead_days_online, policy.draw_lead_days_phone, policy.overbook_permille));
    for (size_t i = 0; i < policy.tier_rules.size(); ++i) {
      const TierRule& rule = policy.tier_rules[i];
      VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_tier_rule.get(), version, i, rule.registered_before,
                                         rule.tier_by_group[0], rule.tier_by_group[1],
                                         rule.tier_by_group[2], rule.tier_by_group[3]));
    }
    for (size_t i = 0; i < policy.reserves.size(); ++i) {
      const ReserveCategory& reserve = policy.reserves[i];
      VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_reserve.get(), version, i, reserve.name,
                                         reserve.share_permille, reserve.age_years_min,
                                         reserve.group_mask, NullableId{reserve.vaccine}));
    }
    for (size_t i = 0; i < policy.neighbours.size(); ++i) {
      VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_neighbour.get(), version, i,
                                         policy.neighbours[i].first, policy.neighbours[i].second));
    }
    return absl::OkStatus();
  }

  absl::Status InsertRegistrants(const std::vector<Registrant>& registrants) {
    for (const Registrant& registrant : registrants) {
      const RegistrantSpec& spec = registrant.spec;
      VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_registrant.get(), registrant.id, spec.external_ref,
                                         spec.district, spec.birth_day, spec.group, spec.channel,
                                         spec.registered_at, NullableId{spec.vaccine_preference},
                                         registrant.status, registrant.waiting_since,
                                         NullableId{registrant.series}, spec.standby));
    }
    return absl::OkStatus();
  }

  // The one writer of series rows outside a draw's chunks: each row as the
  // engine holds it after the change, new (the next id) or changed.
  absl::Status WriteSeriesRows(absl::Span<const Series> rows) {
    sqlite3_stmt* statement = upsert_series.get();
    for (const Series& series : rows) {
      sqlite3_reset(statement);
      int code = BindSeries(statement, 1, series);
      if (code == SQLITE_OK) code = sqlite3_step(statement);
      absl::Status status = absl::OkStatus();
      if (code != SQLITE_DONE) {
        status = Error(code, absl::StrCat(StatementLabel(statement), " (series ", series.id, ")"));
      }
      sqlite3_reset(statement);
      sqlite3_clear_bindings(statement);
      VAXALLOC_STORE_RETURN_IF_ERROR(status);
    }
    return absl::OkStatus();
  }

  // A draw's new rows in order: whole chunks with insert_series_chunk, the
  // rest one by one.
  absl::Status InsertSeriesRows(absl::Span<const Series> rows) {
    sqlite3_stmt* chunk = insert_series_chunk.get();
    size_t done = 0;
    for (; rows.size() - done >= kSeriesPerInsert; done += kSeriesPerInsert) {
      sqlite3_reset(chunk);
      int code = SQLITE_OK;
      for (int row = 0; row < kSeriesPerInsert && code == SQLITE_OK; ++row) {
        code = BindSeries(chunk, 1 + row * kSeriesColumns, rows[done + row]);
      }
      if (code == SQLITE_OK) code = sqlite3_step(chunk);
      if (code != SQLITE_DONE) {
        const absl::Status status = Error(code, StatementLabel(chunk));
        sqlite3_reset(chunk);
        return status;
      }
    }
    sqlite3_reset(chunk);
    return WriteSeriesRows(rows.subspan(done));
  }

  // The references of the rows InsertDraw wrote, for a draw written with
  // foreign keys off; together they are every foreign key of those rows:
  // - each series' registrant: the winners' UPDATE must change exactly the
  //   series' registrants (InsertDraw fails otherwise), and the events copy
  //   registrant, series and draw from the series rows;
  // - the series ids the registrants now name, and each series' draw: checked
  //   against the record by InsertDraw, inserted in this transaction;
  // - a drawn series names no release and replaces none (checked here);
  // - the draw's policy version, the centers it was limited to, and the
  //   centers and vaccines of its series: one lookup each, here.
  absl::Status CheckDrawReferences(const DrawOutcome& outcome) {
    const DrawRecord& record = outcome.record;
    absl::btree_set<CenterId> centers(record.request.centers.begin(),
                                      record.request.centers.end());
    absl::btree_set<VaccineId> vaccines;
    for (const Series& series : outcome.series) {
      if (series.release != kNoId || series.replaces != kNoId) {
        return absl::InternalError(absl::StrFormat(
            "draw %d's series %d names a release or a series it replaces", record.id, series.id));
      }
      centers.insert(series.center);
      vaccines.insert(series.vaccine);
    }
    auto check = [this](const std::string& sql, const std::string& what) -> absl::Status {
      absl::StatusOr<int64_t> found = QueryInt(sql.c_str());
      if (!found.ok()) return found.status();
      if (*found == 1) return absl::OkStatus();
      return absl::DataLossError(absl::StrCat(what, " is missing from campaign file '", path,
                                              "'; the file no longer matches memory"));
    };
    VAXALLOC_STORE_RETURN_IF_ERROR(
        check(absl::StrCat("SELECT count(*) FROM policies WHERE version = ", record.policy_version),
              absl::StrCat("policy version ", record.policy_version)));
    if (record.commitment != kNoId) {
      VAXALLOC_STORE_RETURN_IF_ERROR(check(
          absl::StrCat("SELECT count(*) FROM draw_commitments WHERE id = ", record.commitment),
          absl::StrCat("draw commitment ", record.commitment)));
    }
    for (CenterId center : centers) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          check(absl::StrCat("SELECT count(*) FROM centers WHERE id = ", center),
                absl::StrCat("center ", center)));
    }
    for (VaccineId vaccine : vaccines) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          check(absl::StrCat("SELECT count(*) FROM vaccines WHERE id = ", vaccine),
                absl::StrCat("vaccine ", vaccine)));
    }
    return absl::OkStatus();
  }

  absl::Status InsertCommitment(const CommitmentChange& change) {
    const DrawCommitment& commitment = change.commitment;
    const DrawRequest& request = commitment.request;
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Run(insert_commitment.get(), commitment.id, request.at, request.first_dose_from,
            request.first_dose_until, request.series_limit, commitment.beacon,
            commitment.library_version, commitment.policy_version,
            Blob{BytesOf(commitment.commitment)}));
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Run(insert_draw_inputs.get(), commitment.id, Blob{*change.inputs}));
    for (size_t i = 0; i < request.centers.size(); ++i) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          Run(insert_commitment_center.get(), commitment.id, i, request.centers[i]));
    }
    return absl::OkStatus();
  }

  // A pending commitment revealed (`results` set) or abandoned.
  absl::Status SettleCommitment(const DrawCommitment& commitment, const std::string* results) {
    const bool revealed = commitment.status == CommitmentStatus::kRevealed;
    VAXALLOC_STORE_RETURN_IF_ERROR(Run(
        settle_commitment.get(), commitment.id, commitment.status, commitment.settled_at,
        revealed ? std::optional<Blob>(Blob{commitment.beacon_value}) : std::nullopt,
        revealed ? std::optional<uint64_t>(commitment.request.seed.k0) : std::nullopt,
        revealed ? std::optional<uint64_t>(commitment.request.seed.k1) : std::nullopt,
        NullableId{commitment.draw},
        revealed ? std::nullopt : std::optional<std::string_view>(commitment.abandon_reason),
        results != nullptr ? std::optional<Blob>(Blob{*results}) : std::nullopt,
        revealed ? std::nullopt : std::optional<bool>(commitment.abandoned_unchanged)));
    if (sqlite3_changes(db()) != 1) {
      return absl::DataLossError(absl::StrCat("draw commitment ", commitment.id,
                                              " is not pending in campaign file '", path,
                                              "'; the file no longer matches memory"));
    }
    return absl::OkStatus();
  }

  absl::Status InsertDraw(const DrawOutcome& outcome) {
    const DrawRecord& record = outcome.record;
    const DrawRequest& request = record.request;
    if (outcome.series.size() != outcome.registrants.size() ||
        outcome.series.size() != record.series.size()) {
      return absl::InternalError("draw outcome lists different numbers of series and winners");
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_draw.get(), record.id, request.seed.k0,
                                       request.seed.k1, request.at, request.first_dose_from,
                                       request.first_dose_until, request.series_limit,
                                       record.policy_version));
    for (size_t i = 0; i < request.centers.size(); ++i) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          Run(insert_draw_center.get(), record.id, i, request.centers[i]));
    }
    for (int tier = 1; tier <= kTierMax; ++tier) {
      const TierCount& count = record.tiers[tier - 1];
      if (count.eligible == 0 && count.assigned == 0) continue;
      VAXALLOC_STORE_RETURN_IF_ERROR(
          Run(insert_draw_tier.get(), record.id, tier, count.eligible, count.assigned));
    }
    for (size_t i = 0; i < outcome.series.size(); ++i) {
      const Series& series = outcome.series[i];
      // Dense ids in assignment order: the events below rely on it.
      if (series.id != record.series[i] || series.registrant != outcome.registrants[i] ||
          series.id != outcome.series.front().id + i || series.draw != record.id) {
        return absl::InternalError(absl::StrFormat(
            "draw outcome's series %d does not match its record or winner", series.id));
      }
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(InsertSeriesRows(outcome.series));
    // Winners come in lottery order, scattered over the registrants table;
    // updating them by ascending id walks its pages once.
    std::vector<std::pair<RegistrantId, SeriesId>> scheduled;
    scheduled.reserve(outcome.series.size());
    for (const Series& series : outcome.series)
      scheduled.emplace_back(series.registrant, series.id);
    std::sort(scheduled.begin(), scheduled.end());
    size_t done = 0;
    for (; scheduled.size() - done >= kSchedulesPerUpdate; done += kSchedulesPerUpdate) {
      sqlite3_stmt* chunk = schedule_registrants_chunk.get();
      sqlite3_reset(chunk);
      int code = BindValue(chunk, 1, RegistrantStatus::kScheduled);
      for (int row = 0; row < kSchedulesPerUpdate && code == SQLITE_OK; ++row) {
        const auto& [registrant, series] = scheduled[done + row];
        code = BindValue(chunk, 2 + 2 * row, registrant);
        if (code == SQLITE_OK) code = BindValue(chunk, 3 + 2 * row, series);
      }
      if (code == SQLITE_OK) code = sqlite3_step(chunk);
      absl::Status status = absl::OkStatus();
      if (code != SQLITE_DONE) {
        status = Error(code, StatementLabel(chunk));
      } else if (sqlite3_changes(db()) != kSchedulesPerUpdate) {
        status = absl::DataLossError(absl::StrCat(
            "a winner among registrants ", scheduled[done].first, "..",
            scheduled[done + kSchedulesPerUpdate - 1].first, " is missing from campaign file '",
            path, "'; the file no longer matches memory"));
      }
      sqlite3_reset(chunk);
      VAXALLOC_STORE_RETURN_IF_ERROR(status);
    }
    scheduled.erase(scheduled.begin(), scheduled.begin() + done);
    for (const auto& [registrant, series] : scheduled) {
      VAXALLOC_STORE_RETURN_IF_ERROR(Run(update_registrant.get(), registrant,
                                         RegistrantStatus::kScheduled, series, std::nullopt));
      if (sqlite3_changes(db()) != 1) {
        return absl::DataLossError(absl::StrCat("registrant ", registrant,
                                                " is missing from campaign file '", path,
                                                "'; the file no longer matches memory"));
      }
    }
    if (outcome.series.empty()) return absl::OkStatus();
    // One kSeriesAssigned per new series, at its booked_at, ids in
    // assignment order.
    VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_draw_events.get(), EventKind::kSeriesAssigned,
                                       outcome.series.front().id, outcome.series.back().id));
    const int64_t written = sqlite3_changes64(db());
    if (written != static_cast<int64_t>(outcome.series.size())) {
      return absl::InternalError(absl::StrFormat("draw %d wrote %d events for its %d series",
                                                 record.id, written, outcome.series.size()));
    }
    return absl::OkStatus();
  }

  // The engine's Apply(Cancellation): the series (if any) is cancelled and a
  // hold (if any) lapses, as their rows in `written` say; the registrant
  // waits again from `at`, or withdraws keeping its waiting_since. Its
  // events: the series' cancellation, then the withdrawal (which names the
  // series the registrant held, if any).
  absl::Status WriteCancellation(const Cancellation& cancellation) {
    VAXALLOC_STORE_RETURN_IF_ERROR(WriteSeriesRows(cancellation.written));
    if (cancellation.series != kNoId) {
      VAXALLOC_STORE_RETURN_IF_ERROR(InsertEvent(EventKind::kSeriesCancelled, cancellation.at,
                                                 cancellation.registrant, cancellation.series,
                                                 kNoId));
    }
    const std::string what = absl::StrCat("registrant ", cancellation.registrant);
    if (cancellation.withdraw) {
      VAXALLOC_STORE_RETURN_IF_ERROR(
          RunUpdateOne(update_registrant.get(), what, cancellation.registrant,
                       RegistrantStatus::kWithdrawn, NullableId{kNoId}, std::nullopt));
    }
    if (cancellation.erase) {
      // After the withdrawal (the table's CHECK); secure_delete overwrites
      // the freed bytes in the file.
      VAXALLOC_STORE_RETURN_IF_ERROR(
          RunUpdateOne(erase_registrant.get(), what, cancellation.registrant));
    }
    if (cancellation.withdraw) {
      return InsertEvent(EventKind::kRegistrantWithdrawn, cancellation.at, cancellation.registrant,
                         cancellation.series, kNoId);
    }
    if (cancellation.erase) return absl::OkStatus();  // withdrawn before
    return RunUpdateOne(update_registrant.get(), what, cancellation.registrant,
                        RegistrantStatus::kWaiting, NullableId{kNoId},
                        std::optional<absl::Time>(cancellation.at));
  }

  absl::Status InsertRelease(const Release& release) {
    const ReleaseSpec& spec = release.spec;
    return Run(insert_release.get(), release.id, spec.center, NullableId{spec.vaccine},
               spec.first_day, spec.last_day, spec.release_at, spec.first_dose_cap);
  }

  // A booking flow's change: the series rows first (a registrant may point
  // at a new one), then the registrants, then the events in order.
  absl::Status WriteSeriesChange(const SeriesChange& change) {
    VAXALLOC_STORE_RETURN_IF_ERROR(WriteSeriesRows(change.series));
    for (const RegistrantUpdate& update : change.registrants) {
      VAXALLOC_STORE_RETURN_IF_ERROR(RunUpdateOne(
          update_registrant.get(), absl::StrCat("registrant ", update.id), update.id, update.status,
          NullableId{update.series}, std::optional<absl::Time>(update.waiting_since)));
    }
    for (const ReplacedNoShow& no_show : change.no_shows) {
      VAXALLOC_STORE_RETURN_IF_ERROR(Run(insert_no_show.get(), no_show.series,
                                         no_show.appointment.day, no_show.appointment.minute,
                                         no_show.rebooked_at));
    }
    for (const Event& event : change.events) VAXALLOC_STORE_RETURN_IF_ERROR(InsertEvent(event));
    return absl::OkStatus();
  }

  // One code row, whole, with `statement` (insert_code or upsert_code).
  absl::Status WriteCode(sqlite3_stmt* statement, const VerificationCode& code) {
    return Run(statement, code.id, code.registrant, code.purpose, NullableId{code.series},
               code.issued_at, code.expires_at, code.attempts, code.state, code.salt0, code.salt1,
               code.hash);
  }

  // A new code: the codes it supersedes (written whole), its own row, its
  // kCodeIssued event carrying the digits. Sets *event_id to the event's id.
  absl::Status WriteIssuedCode(const IssuedCode& issued, uint64_t* event_id) {
    for (const VerificationCode& old : issued.superseded) {
      VAXALLOC_STORE_RETURN_IF_ERROR(WriteCode(upsert_code.get(), old));
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(WriteCode(insert_code.get(), issued.record));
    VAXALLOC_STORE_RETURN_IF_ERROR(InsertEvent(issued.event));
    *event_id = static_cast<uint64_t>(sqlite3_last_insert_rowid(db()));
    return absl::OkStatus();
  }

  // A verification that changed the code (an attempt counted, a lock, a use):
  // its row, and for an accepted code the cancellation or withdrawal it
  // confirms, written exactly as CancelSeries and Withdraw write theirs.
  absl::Status WriteVerification(const CodeVerification& verification) {
    VAXALLOC_STORE_RETURN_IF_ERROR(WriteCode(upsert_code.get(), verification.record));
    if (verification.action.has_value()) return WriteCancellation(*verification.action);
    return absl::OkStatus();
  }

  // The write path of every operation. Prepare; then, holding the write
  // lock, catch up with the journal and prepare once more if another
  // connection committed meanwhile (a change is never written on a stale
  // state, nor refused for one: a refusal is checked against the caught-up
  // state too); write the rows (`write` returns the journal entry's
  // arguments), append the entry, commit, and only then apply.
  // `changes(prepared)` false: nothing to write (no hold was due), the
  // change is applied without a transaction.
  template <class PrepareFn, class WriteFn, class ChangesFn>
  std::invoke_result_t<PrepareFn&> Commit(Engine& engine, internal::JournalOp op,
                                          PrepareFn&& prepare, WriteFn&& write,
                                          ChangesFn&& changes, bool without_foreign_keys = false) {
    VAXALLOC_STORE_RETURN_IF_ERROR(CheckWritable());
    std::invoke_result_t<PrepareFn&> prepared = prepare();
    if (!prepared.ok() || !changes(*prepared)) {
      // An answer that writes nothing must hold for the file as it is now:
      // catch up (a write checks under the lock instead, below, saving a
      // read transaction on the path of every change).
      bool applied = false;
      VAXALLOC_STORE_RETURN_IF_ERROR(CatchUp(engine, &applied));
      if (applied) prepared = prepare();
      if (!prepared.ok() || !changes(*prepared)) {
        if (prepared.ok()) engine.Apply(*prepared);
        return prepared;
      }
    }
    auto transaction = [&] {
      return Transaction([&]() -> absl::Status {
        bool applied = false;
        VAXALLOC_STORE_RETURN_IF_ERROR(CatchUp(engine, &applied));
        if (applied) {
          prepared = prepare();
          if (!prepared.ok()) return prepared.status();
          if (!changes(*prepared)) return absl::OkStatus();
        }
        absl::StatusOr<std::string> args = write(*prepared);
        if (!args.ok()) return args.status();
        const int64_t clock = std::max(engine.state().latest_change_us,
                                       internal::ChangeInstantUs(prepared->change));
        return AppendJournal(op, *args, clock);
      });
    };
    const absl::Status status =
        without_foreign_keys ? WithoutForeignKeys(transaction) : transaction();
    if (!status.ok()) return status;
    engine.Apply(*prepared);
    return prepared;
  }

  template <class PrepareFn, class WriteFn>
  std::invoke_result_t<PrepareFn&> Commit(Engine& engine, internal::JournalOp op,
                                          PrepareFn&& prepare, WriteFn&& write) {
    return Commit(engine, op, prepare, write, [](const auto&) { return true; });
  }

  // A booking flow's change; one that touches nothing writes nothing.
  template <class PrepareFn>
  absl::StatusOr<Prepared<SeriesChange>> CommitSeriesChange(Engine& engine, internal::JournalOp op,
                                                            PrepareFn&& prepare,
                                                            absl::FunctionRef<std::string(
                                                                const SeriesChange&)> args) {
    return Commit(
        engine, op, prepare,
        [&](const Prepared<SeriesChange>& prepared) -> absl::StatusOr<std::string> {
          VAXALLOC_STORE_RETURN_IF_ERROR(WriteSeriesChange(prepared.change));
          return args(prepared.change);
        },
        [](const Prepared<SeriesChange>& prepared) { return !prepared.change.empty(); });
  }

  // A cancellation, withdrawal or deletion: `id` and `at` are its arguments.
  template <class PrepareFn>
  absl::Status CommitCancellation(Engine& engine, internal::JournalOp op, uint32_t id,
                                  absl::Time at, PrepareFn&& prepare) {
    return Commit(engine, op, prepare,
                  [&](const Prepared<Cancellation>& prepared) -> absl::StatusOr<std::string> {
                    VAXALLOC_STORE_RETURN_IF_ERROR(WriteCancellation(prepared.change));
                    return internal::JournalArgs(id, at);
                  })
        .status();
  }

  // --- The outbox ------------------------------------------------------------

  absl::Status InsertEvent(EventKind kind, absl::Time at, RegistrantId registrant, SeriesId series,
                           DrawId draw) {
    return Run(insert_event.get(), kind, at, registrant, NullableId{series}, NullableId{draw},
               std::nullopt, std::nullopt);
  }

  // An event as the engine made it; only kCodeIssued carries a code (the
  // table's CHECKs hold the engine to that).
  absl::Status InsertEvent(const Event& event) {
    std::optional<std::string_view> code;
    if (!event.code.empty()) code = event.code;
    return Run(insert_event.get(), event.kind, event.at, event.registrant, NullableId{event.series},
               NullableId{event.draw}, NullableId{event.code_id}, code);
  }

  // The highest event id ever written (0: none), acknowledged or not.
  absl::StatusOr<uint64_t> LastEventId() {
    uint64_t last = 0;
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(select_last_event_id.get(), [&](Row& row) {
      last = row.Int<uint64_t>(0, 0, std::numeric_limits<int64_t>::max());
      return absl::OkStatus();
    }));
    return last;
  }

  // One SELECT, so one snapshot: a page never mixes two commits' states.
  absl::StatusOr<std::vector<Event>> ReadEvents(uint64_t after_id, size_t limit) {
    std::vector<Event> events;
    // Ids are SQLite rowids, at most INT64_MAX: nothing lies above.
    if (after_id >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return events;
    sqlite3_stmt* statement = select_events.get();
    sqlite3_reset(statement);
    const int code = BindAll(statement, after_id, limit);
    if (code != SQLITE_OK) return Error(code, "reading pending events");
    events.reserve(std::min<size_t>(limit, 4096));
    const absl::Status status = ForEachRow(statement, [&](Row& row) {
      Event& event = events.emplace_back();
      event.id = row.Int<uint64_t>(0, 1, std::numeric_limits<int64_t>::max());
      event.kind = row.EnumValue<EventKind>(1, 1, static_cast<int>(EventKind::kCodeIssued));
      event.at = row.Time(2);
      event.registrant = row.Int<RegistrantId>(3, 1, UINT32_MAX);
      event.series = row.Id(4);
      event.draw = row.Id(5);
      event.code_id = row.Id(6);
      if (!row.IsNull(7)) event.code = row.Digits(7, kCodeDigitsMin, kCodeDigitsMax);
      return row.status();
    });
    sqlite3_clear_bindings(statement);
    if (!status.ok()) {
      if (absl::StrContains(status.message(), path)) return status;
      return absl::Status(status.code(), absl::StrCat("reading pending events of campaign file '",
                                                      path, "': ", status.message()));
    }
    return events;
  }

  // Inside a transaction. An id above every id written cannot have been
  // read, so acknowledging it is a host bug, not something to ignore.
  absl::Status DeleteEvents(uint64_t through_id) {
    absl::StatusOr<uint64_t> last = LastEventId();
    if (!last.ok()) return last.status();
    if (through_id > *last) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot acknowledge events through id ", through_id, ": campaign file '",
                       path, "' has written events up to id ", *last, " only"));
    }
    return Run(delete_events.get(), through_id);
  }

  // --- The journal (docs/journal.md) ------------------------------------------

  // Appends the entry after journal_seq to the open transaction; it becomes
  // journal_seq once that commits (Transaction). `statements`: false during
  // a migration, which runs before the statements are prepared.
  // `clock_us`: Engine::latest_change once the entry is applied.
  absl::Status AppendJournal(internal::JournalOp op, const std::string& args, int64_t clock_us,
                             bool statements = true) {
    const uint64_t seq = journal_seq + 1;
    const int64_t committed_at_us = absl::ToUnixMicros(absl::Now());
    const internal::Sha256 hash = internal::JournalEntryHash(
        journal_hash, seq, static_cast<uint8_t>(op), committed_at_us, clock_us, args);
    const Blob hash_bytes{
        std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size())};
    absl::StatusOr<Statement> one_off;
    sqlite3_stmt* insert = insert_journal.get();
    if (!statements) {
      one_off = Prepare(
          "INSERT INTO journal (seq, op, committed_at_us, clock_us, args, hash) "
          "VALUES (?, ?, ?, ?, ?, ?)");
      if (!one_off.ok()) return one_off.status();
      insert = one_off->get();
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(
        Run(insert, seq, op, committed_at_us, clock_us, Blob{args}, hash_bytes));
    appended_seq = seq;
    appended_hash = hash;
    return absl::OkStatus();
  }

  struct JournalRow {
    uint64_t seq = 0;
    uint8_t op = 0;
    int64_t committed_at_us = 0;
    int64_t clock_us = 0;
    std::string args;
    internal::Sha256 hash{};
  };

  // Entries with seq > after_seq in order, at most `limit`; one statement,
  // so one snapshot.
  absl::StatusOr<std::vector<JournalRow>> ReadJournalRows(uint64_t after_seq, size_t limit) {
    std::vector<JournalRow> rows;
    if (after_seq >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return rows;
    sqlite3_stmt* statement = select_journal_after.get();
    sqlite3_reset(statement);
    const int code = BindAll(statement, after_seq, limit);
    if (code != SQLITE_OK) return Error(code, "reading the journal");
    const absl::Status status = ForEachRow(statement, [&](Row& row) {
      JournalRow& entry = rows.emplace_back();
      entry.seq = row.Int<uint64_t>(0, 1, std::numeric_limits<int64_t>::max());
      entry.op = row.Int<uint8_t>(1, 1, internal::kJournalOpMax);
      entry.committed_at_us = row.Int64(2);
      entry.clock_us = row.Int64(3);
      entry.args = row.Bytes(4);
      const std::string_view hash = row.Bytes(5);
      if (hash.size() != entry.hash.size()) {
        return absl::DataLossError(absl::StrCat("journal entry ", entry.seq, " has a hash of ",
                                                hash.size(), " bytes, not 32"));
      }
      std::copy(hash.begin(), hash.end(), entry.hash.begin());
      return absl::OkStatus();
    });
    sqlite3_clear_bindings(statement);
    if (!status.ok()) return status;
    return rows;
  }

  // Where the chain breaks: the first entry changed, removed or moved.
  struct ChainBreak {
    uint64_t seq = 0;
    std::string problem;  // "entry 7 is missing ...", "entry 5 (book) does not match ..."
  };

  // Whether `row` follows an entry `expected_seq - 1` whose hash is
  // `previous`: the one check of the chain, for loading, following and
  // VerifyJournal alike.
  static std::optional<ChainBreak> BreakAt(uint64_t expected_seq, const internal::Sha256& previous,
                                           const JournalRow& row) {
    if (row.seq != expected_seq) {
      return ChainBreak{expected_seq, absl::StrCat("entry ", expected_seq,
                                                   " is missing (the next stored entry is ",
                                                   row.seq, ")")};
    }
    if (internal::JournalEntryHash(previous, row.seq, row.op, row.committed_at_us, row.clock_us,
                                   row.args) != row.hash) {
      return ChainBreak{row.seq, absl::StrCat("entry ", row.seq, " (",
                                              AbslView(internal::JournalOpName(row.op)),
                                              ") does not match its hash: its contents or its "
                                              "place in the chain were changed")};
    }
    return std::nullopt;
  }

  // Entries from last_seq + 1 on, which this Store has applied, are gone.
  ChainBreak CutOffAfter(uint64_t last_seq) const {
    return ChainBreak{last_seq + 1, absl::StrCat("entries ", last_seq + 1, "..", journal_seq,
                                                 ", which this Store has applied, were removed")};
  }

  absl::Status BrokenJournal(const ChainBreak& chain_break) const {
    return absl::DataLossError(absl::StrCat("campaign file '", path, "': journal ",
                                            chain_break.problem,
                                            "; run VerifyJournal for the whole chain"));
  }

  // In the load's read transaction: the last entry, checked against its
  // predecessor's hash. That is the cheap part of VerifyJournal; the rest of
  // the chain is checked by VerifyJournal and by StoreOptions::verify_journal.
  absl::Status LoadJournalHead() {
    absl::StatusOr<int64_t> last = QueryInt("SELECT coalesce(max(seq), 0) FROM journal");
    if (!last.ok()) return last.status();
    if (*last == 0) {
      return absl::DataLossError(absl::StrCat(
          "campaign file '", path, "' has an empty journal: its first entry was removed"));
    }
    if (*last < 0) {  // else `*last - 2` may overflow, and no entry has seq > 0
      return absl::DataLossError(absl::StrCat("campaign file '", path, "': journal entry ", *last,
                                              " is not a valid entry number (they start at 1)"));
    }
    absl::StatusOr<std::vector<JournalRow>> rows =
        ReadJournalRows(static_cast<uint64_t>(std::max<int64_t>(*last - 2, 0)), 2);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {  // a damaged b-tree: max(seq) names a row the scan does not find
      return absl::DataLossError(absl::StrCat("campaign file '", path, "': journal entry ", *last,
                                              " cannot be read (a damaged journal table)"));
    }
    const JournalRow& head = rows->back();
    if (head.seq > 1 && rows->size() != 2) {
      return BrokenJournal(ChainBreak{head.seq - 1, absl::StrCat("entry ", head.seq - 1,
                                                                 " is missing")});
    }
    const std::optional<ChainBreak> broken =
        head.seq > 1 ? BreakAt(rows->front().seq + 1, rows->front().hash, head)
                     : BreakAt(1, internal::Sha256{}, head);
    if (broken.has_value()) return BrokenJournal(*broken);
    journal_seq = head.seq;
    journal_hash = head.hash;
    journal_clock_us = head.clock_us;
    return absl::OkStatus();
  }

  // Walks the whole chain from entry 1 (one read transaction).
  absl::StatusOr<JournalCheck> VerifyJournal() {
    const bool own_transaction = sqlite3_get_autocommit(db()) != 0;
    if (own_transaction) VAXALLOC_STORE_RETURN_IF_ERROR(Exec("BEGIN", "verifying the journal"));
    absl::Cleanup end = [&] {
      if (own_transaction) (void)Exec("COMMIT", "ending the journal's verification");
    };
    JournalCheck check;
    internal::Sha256 previous{};
    uint64_t expected_seq = 1;
    constexpr size_t kRowsPerRead = 256;
    for (;;) {
      absl::StatusOr<std::vector<JournalRow>> rows = ReadJournalRows(expected_seq - 1,
                                                                     kRowsPerRead);
      if (!rows.ok()) return rows.status();
      for (const JournalRow& row : *rows) {
        if (std::optional<ChainBreak> broken = BreakAt(expected_seq, previous, row)) {
          check.first_bad_seq = broken->seq;
          check.problem = std::move(broken->problem);
          return check;
        }
        previous = row.hash;
        ++expected_seq;
        ++check.entries;
      }
      if (rows->size() < kRowsPerRead) break;
    }
    if (check.entries == 0) {
      check.first_bad_seq = 1;
      check.problem = "the journal is empty: its first entry was removed";
      return check;
    }
    if (check.entries < journal_seq) {
      ChainBreak cut = CutOffAfter(check.entries);
      check.first_bad_seq = cut.seq;
      check.problem = std::move(cut.problem);
      return check;
    }
    std::copy(previous.begin(), previous.end(), check.head.begin());
    return check;
  }

  // Applies what other connections committed since journal_seq, in order,
  // each entry checked against the chain. Cheap when nothing was committed
  // (one PRAGMA data_version). `applied` (may be null) is set when the
  // engine changed.
  absl::Status CatchUp(Engine& engine, bool* applied = nullptr) {
    VAXALLOC_STORE_RETURN_IF_ERROR(EndLeftoverTransaction());
    int64_t version = 0;
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(read_data_version.get(), [&](Row& row) {
      version = row.Int64(0);
      return absl::OkStatus();
    }));
    if (version == data_version) return absl::OkStatus();
    // Outside a write: one read transaction, so that the entries and the
    // rows a replay reads come from one snapshot.
    const bool own_transaction = sqlite3_get_autocommit(db()) != 0;
    if (own_transaction) VAXALLOC_STORE_RETURN_IF_ERROR(Exec("BEGIN", "following the journal"));
    absl::Status status = CatchUpLocked(engine, applied);
    if (own_transaction) (void)Exec("COMMIT", "following the journal");
    // Read before the entries: a commit in between is seen now and again
    // next time, never missed.
    if (status.ok()) data_version = version;
    return status;
  }

  absl::Status CatchUpLocked(Engine& engine, bool* applied) {
    constexpr size_t kRowsPerRead = 64;  // a registration batch's entry may be megabytes
    for (;;) {
      absl::StatusOr<std::vector<JournalRow>> rows = ReadJournalRows(journal_seq, kRowsPerRead);
      if (!rows.ok()) return rows.status();
      if (rows->empty()) {
        absl::StatusOr<int64_t> last = QueryInt("SELECT coalesce(max(seq), 0) FROM journal");
        if (!last.ok()) return last.status();
        if (static_cast<uint64_t>(*last) < journal_seq) {
          return BrokenJournal(CutOffAfter(static_cast<uint64_t>(*last)));
        }
        return absl::OkStatus();
      }
      for (const JournalRow& row : *rows) {
        if (std::optional<ChainBreak> broken = BreakAt(journal_seq + 1, journal_hash, row)) {
          return BrokenJournal(*broken);
        }
        bool reload = false;
        VAXALLOC_STORE_RETURN_IF_ERROR(ReplayEntry(engine, row, &reload));
        if (applied != nullptr) *applied = true;
        if (reload) return Reload(engine);
        // Applied: never again, whatever the check below finds.
        journal_seq = row.seq;
        journal_hash = row.hash;
        if (engine.state().latest_change_us != row.clock_us) {
          return BrokenJournal(ChainBreak{
              row.seq, absl::StrCat("entry ", row.seq, " says the campaign's clock is ",
                                    row.clock_us, " us, replaying it gives ",
                                    engine.state().latest_change_us)});
        }
      }
      if (rows->size() < kRowsPerRead) return absl::OkStatus();
    }
  }

  // Loads the campaign anew inside the open transaction: for an entry that
  // cannot be replayed (a registration deleted since, whose reference is
  // gone from the file).
  absl::Status Reload(Engine& engine) {
    // The load sets where this Store stands in the journal; a load that
    // fails must leave it where the engine still is.
    const int64_t kept_data_version = data_version;
    const uint64_t kept_seq = journal_seq;
    const internal::Sha256 kept_hash = journal_hash;
    const int64_t kept_clock = journal_clock_us;
    Engine fresh;
    const absl::Status status = LoadAll(fresh);
    if (!status.ok()) {
      data_version = kept_data_version;
      journal_seq = kept_seq;
      journal_hash = kept_hash;
      journal_clock_us = kept_clock;
      return status;
    }
    engine = std::move(fresh);
    return absl::OkStatus();
  }

  // One entry through the engine's Prepare and Apply, exactly as the
  // connection that wrote it did. `reload` is set, and nothing applied, for
  // a registration whose personal data has been erased since.
  absl::Status ReplayEntry(Engine& engine, const JournalRow& row, bool* reload) {
    const uint8_t op = row.op;
    const std::string what =
        absl::StrCat("journal entry ", row.seq, " (", AbslView(internal::JournalOpName(op)), ")");
    auto parse = [&](auto&... fields) -> absl::Status {
      const absl::Status status = internal::ParseJournalArgs(row.args, op, fields...);
      if (status.ok()) return status;
      return absl::DataLossError(absl::StrCat(what, ": ", status.message()));
    };
    // A change without an id of its own to compare.
    auto apply = [&](auto prepared) { return Replay(engine, std::move(prepared), what, 0, 0); };
    using internal::JournalOp;
    switch (static_cast<JournalOp>(op)) {
      case JournalOp::kCreated:
      case JournalOp::kMigrated:
        return absl::DataLossError(absl::StrCat(what, " can only be the journal's first entry"));
      case JournalOp::kAddDistrict: {
        District district;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(district));
        return Replay(engine, engine.PrepareAddDistrict(district.code, district.name), what,
                      district.id, kIdOf);
      }
      case JournalOp::kAddVaccine: {
        Vaccine vaccine;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(vaccine));
        return Replay(engine, engine.PrepareAddVaccine(vaccine.spec), what, vaccine.id, kIdOf);
      }
      case JournalOp::kAddCenter: {
        Center center;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(center));
        return Replay(engine, engine.PrepareAddCenter(center.spec), what, center.id, kIdOf);
      }
      case JournalOp::kAddCapacity: {
        uint32_t seq = 0;
        CapacityBlock block;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(seq, block));
        return Replay(engine, engine.PrepareAddCapacity(block), what, seq,
                      engine.capacity_blocks().size() + 1);
      }
      case JournalOp::kAddSupply: {
        uint32_t seq = 0;
        SupplyDelivery delivery;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(seq, delivery));
        return Replay(engine, engine.PrepareAddSupply(delivery), what, seq,
                      engine.deliveries().size() + 1);
      }
      case JournalOp::kSetPolicy: {
        PolicyVersion version;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(version));
        return Replay(engine, engine.PrepareSetPolicy(version.policy), what, version.version,
                      [](const auto& change) { return change.version; });
      }
      case JournalOp::kRegister: {
        RegistrantId first = kNoId;
        std::vector<RegistrantSpec> specs;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(first, specs));
        VAXALLOC_STORE_RETURN_IF_ERROR(ReadPersonalData(what, first, specs, reload));
        if (*reload) return absl::OkStatus();
        return Replay(engine, engine.PrepareRegister(specs), what, first,
                      engine.registrant_count() + 1);
      }
      case JournalOp::kDraw: {
        DrawId draw = kNoId;
        DrawRequest request;
        SeriesId first_series = kNoId;
        uint32_t series_count = 0;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(draw, request, first_series, series_count));
        return ReplayDraw(engine, engine.PrepareDraw(request), what, draw, first_series,
                          series_count);
      }
      case JournalOp::kCommitDraw: {
        DrawCommitment recorded;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(recorded));
        auto prepared = engine.PrepareReplayCommitDraw(recorded.request, recorded.beacon,
                                                       recorded.library_version);
        if (prepared.ok() && (prepared->change.commitment.commitment != recorded.commitment ||
                              prepared->change.commitment.input_bytes != recorded.input_bytes)) {
          return absl::DataLossError(absl::StrCat(
              what, " committed to ", internal::HexOf(recorded.commitment),
              "; building its inputs again gives ",
              internal::HexOf(prepared->change.commitment.commitment)));
        }
        return Replay(engine, std::move(prepared), what, recorded.id,
                      [](const CommitmentChange& change) { return change.commitment.id; });
      }
      case JournalOp::kRevealDraw: {
        CommitmentId commitment = kNoId;
        std::string beacon_value;
        absl::Time at;
        DrawId draw = kNoId;
        SeriesId first_series = kNoId;
        uint32_t series_count = 0;
        VAXALLOC_STORE_RETURN_IF_ERROR(
            parse(commitment, beacon_value, at, draw, first_series, series_count));
        return ReplayDraw(engine, engine.PrepareRevealDraw(commitment, beacon_value, at), what,
                          draw, first_series, series_count);
      }
      case JournalOp::kAbandonDraw: {
        CommitmentId commitment = kNoId;
        std::string reason;
        absl::Time at;
        bool unchanged = false;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(commitment, reason, at, unchanged));
        auto prepared = engine.PrepareAbandonDraw(commitment, reason, at);
        if (prepared.ok() && prepared->change.commitment.abandoned_unchanged != unchanged) {
          return absl::DataLossError(absl::StrCat(
              what, " says the inputs were ", unchanged ? "unchanged" : "changed",
              "; replaying it finds them ", unchanged ? "changed" : "unchanged"));
        }
        return apply(std::move(prepared));
      }
      case JournalOp::kCancelSeries:
      case JournalOp::kWithdraw:
      case JournalOp::kDeleteRegistration: {
        uint32_t id = kNoId;
        absl::Time at;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(id, at));
        if (op == static_cast<uint8_t>(JournalOp::kCancelSeries)) {
          return apply(engine.PrepareCancelSeries(id, at));
        }
        if (op == static_cast<uint8_t>(JournalOp::kWithdraw)) {
          return apply(engine.PrepareWithdraw(id, at));
        }
        return apply(engine.PrepareDeleteRegistration(id, at));
      }
      case JournalOp::kAddRelease: {
        Release release;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(release));
        return Replay(engine, engine.PrepareAddRelease(release.spec), what, release.id, kIdOf);
      }
      case JournalOp::kBook: {
        BookingRequest request;
        SeriesId subject = kNoId;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(request, subject));
        return Replay(engine, engine.PrepareBook(request), what, subject,
                      [](const auto& change) { return change.subject; });
      }
      case JournalOp::kConfirmHold:
      case JournalOp::kDeclineHold:
      case JournalOp::kRebookSecondDose: {
        SeriesId series = kNoId;
        absl::Time at;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(series, at));
        if (op == static_cast<uint8_t>(JournalOp::kConfirmHold)) {
          return apply(engine.PrepareConfirmHold(series, at));
        }
        if (op == static_cast<uint8_t>(JournalOp::kDeclineHold)) {
          return apply(engine.PrepareDeclineHold(series, at));
        }
        return apply(engine.PrepareRebookSecondDose(series, at));
      }
      case JournalOp::kExpireHolds: {
        absl::Time at;
        uint32_t lapsed = 0;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(at, lapsed));
        return Replay(engine, engine.PrepareExpireHolds(at), what, lapsed,
                      [](const auto& change) { return change.holds_lapsed; });
      }
      case JournalOp::kRecordDose: {
        SeriesId series = kNoId;
        uint8_t dose = 0;
        DoseOutcome outcome = DoseOutcome::kGiven;
        absl::Time at;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(series, dose, outcome, at));
        return apply(engine.PrepareRecordDose(series, dose, outcome, at));
      }
      case JournalOp::kIssueCode: {
        CodeRequest request;
        VerificationCode code;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(request, code));
        return apply(engine.PrepareReplayIssueCode(request, code));
      }
      case JournalOp::kVerifyCode: {
        CodeId code = kNoId;
        absl::Time at;
        bool matched = false;
        VAXALLOC_STORE_RETURN_IF_ERROR(parse(code, at, matched));
        auto prepared = engine.PrepareReplayVerifyCode(code, at, matched);
        if (prepared.ok() && !prepared->change.record_changed) {
          return absl::DataLossError(absl::StrCat(what, " changes nothing when replayed"));
        }
        return apply(std::move(prepared));
      }
    }
    return absl::DataLossError(absl::StrCat(what, ": unknown operation"));
  }

  // The references and birth days of a journalled registration batch, from
  // the registrants table (the journal never holds them). `reload` is set
  // when one of them has been erased since.
  absl::Status ReadPersonalData(absl::string_view what, RegistrantId first,
                                std::vector<RegistrantSpec>& specs, bool* reload) {
    if (specs.empty() || first == kNoId) {
      return absl::DataLossError(absl::StrCat(what, " registers nobody"));
    }
    const int64_t last = int64_t{first} + static_cast<int64_t>(specs.size()) - 1;
    absl::StatusOr<Statement> query = Query(
        "SELECT id, external_ref, birth_day FROM registrants WHERE id BETWEEN ? AND ? ORDER BY id",
        first, last);
    if (!query.ok()) return query.status();
    size_t next = 0;
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(query->get(), [&](Row& row) {
      if (next >= specs.size() || row.Int64(0) != int64_t{first} + static_cast<int64_t>(next)) {
        return absl::DataLossError(absl::StrCat(what, ": registrant ", row.Int64(0),
                                                " is out of sequence in the registrants table"));
      }
      if (row.IsNull(1)) {
        *reload = true;
      } else {
        specs[next].external_ref = row.Text(1);
        specs[next].birth_day = row.Day(2);
      }
      ++next;
      return absl::OkStatus();
    }));
    if (next != specs.size()) {
      return absl::DataLossError(absl::StrCat(what, ": registrants ", first, "..", last,
                                              " are not all in the registrants table"));
    }
    return absl::OkStatus();
  }

  // --- Loading: one function per table, in dependency order -----------------

  absl::Status Load(Engine& engine) {
    // One read transaction: every table from the same snapshot, and the data
    // version of exactly that snapshot.
    VAXALLOC_STORE_RETURN_IF_ERROR(Exec("BEGIN", "loading"));
    absl::Status status = LoadAll(engine);
    (void)Exec("COMMIT", "ending the load");
    if (status.ok() || absl::StrContains(status.message(), path)) return status;
    return absl::Status(status.code(),
                        absl::StrCat("loading campaign file '", path, "': ", status.message()));
  }

  absl::Status LoadAll(Engine& engine) {
    absl::StatusOr<int64_t> version = QueryInt("PRAGMA data_version");
    if (!version.ok()) return version.status();
    data_version = *version;
    series_by_draw.clear();
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadJournalHead());
    VAXALLOC_STORE_RETURN_IF_ERROR(CheckStoredLinks());
    VAXALLOC_STORE_RETURN_IF_ERROR(CheckStoredEvents());
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadDistricts(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadVaccines(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadCenters(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadCapacityBlocks(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadDeliveries(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadPolicies(engine));
    // Before the series: restoring a series counts it against its release.
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadReleases(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadRegistrants(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadSeries(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadNoShows(engine));
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadDraws(engine));
    if (!series_by_draw.empty()) {
      // LoadDraws took every draw's series: these name draws that are gone.
      const auto first = std::min_element(series_by_draw.begin(), series_by_draw.end());
      return absl::DataLossError(absl::StrCat("stored series ", first->second.front(),
                                              " names draw ", first->first,
                                              ", which is not in the draws table"));
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadDrawCommitments(engine));
    // After the registrants and series they name.
    VAXALLOC_STORE_RETURN_IF_ERROR(LoadCodes(engine));
    engine.RestoreLatestChange(internal::FromMicros(journal_clock_us));
    return engine.CheckRestoredLinks();
  }

  // Rows the loader reaches only through their parent (a draw's tiers, a
  // center's districts, ...) would otherwise go unseen when their parent is
  // missing, and break a later write. Every table with a foreign key but
  // the two big ones, whose links the engine checks row by row as it
  // restores them (the registrants' and the series'; a series' draw below).
  absl::Status CheckStoredLinks() {
    absl::StatusOr<Statement> tables = Query(
        "SELECT name FROM sqlite_schema AS t WHERE type = 'table' AND name NOT IN "
        "('registrants', 'series') AND EXISTS (SELECT 1 FROM pragma_foreign_key_list(t.name)) "
        "ORDER BY name");
    if (!tables.ok()) return tables.status();
    std::vector<std::string> names;
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(tables->get(), [&](Row& row) {
      names.emplace_back(row.Text(0));
      return absl::OkStatus();
    }));
    for (const std::string& name : names) {
      absl::StatusOr<Statement> check =
          Prepare(absl::StrCat("PRAGMA foreign_key_check(\"", name, "\")").c_str());
      if (!check.ok()) return check.status();
      const int code = sqlite3_step(check->get());
      if (code == SQLITE_DONE) continue;
      if (code != SQLITE_ROW) return Error(code, absl::StrCat("checking the links of ", name));
      // Columns: table, rowid (NULL in a table without one), parent table.
      Row row(check->get());
      const std::string which =
          row.IsNull(1) ? std::string("a row") : absl::StrCat("row ", row.Int64(1));
      return absl::DataLossError(absl::StrCat("stored ", AbslView(row.Text(0)), ": ", which,
                                              " names a missing row of ", AbslView(row.Text(2)),
                                              " (a foreign key)"));
    }
    return absl::OkStatus();
  }

  // The outbox is read only when the host asks for it; a code the library
  // could never have written is refused at open rather than handed out.
  absl::Status CheckStoredEvents() {
    absl::StatusOr<Statement> query =
        Query("SELECT id, code FROM events WHERE code IS NOT NULL ORDER BY id");
    if (!query.ok()) return query.status();
    return ForEachRow(query->get(), [&](Row& row) {
      row.Digits(1, kCodeDigitsMin, kCodeDigitsMax);
      return row.status();
    });
  }

  // Applies a stored setup entity, or a change from the journal, through the
  // engine's own validation; the id it gets must be the recorded one.
  template <class T>
  static absl::Status Replay(Engine& engine, absl::StatusOr<Prepared<T>> prepared,
                             absl::string_view what, int64_t recorded_id, int64_t engine_id) {
    if (!prepared.ok()) {
      return absl::DataLossError(
          absl::StrCat(what, " is rejected by the engine: ", prepared.status().message()));
    }
    if (engine_id != recorded_id) {
      return absl::DataLossError(absl::StrCat(what, " says id ", recorded_id,
                                              " but replaying it gives ", engine_id));
    }
    engine.Apply(*prepared);
    return absl::OkStatus();
  }

  // Replay(), the replay's id being `id_of(change)`.
  template <class T, class IdOf>
    requires std::invocable<IdOf&, const T&>
  static absl::Status Replay(Engine& engine, absl::StatusOr<Prepared<T>> prepared,
                             absl::string_view what, int64_t recorded_id, IdOf&& id_of) {
    const int64_t engine_id = prepared.ok() ? static_cast<int64_t>(id_of(prepared->change)) : 0;
    return Replay(engine, std::move(prepared), what, recorded_id, engine_id);
  }
  static constexpr auto kIdOf = [](const auto& change) { return change.id; };

  // Replay() of a draw, which must also make the recorded series.
  static absl::Status ReplayDraw(Engine& engine, absl::StatusOr<Prepared<DrawOutcome>> prepared,
                                 absl::string_view what, DrawId draw, SeriesId first_series,
                                 uint32_t series_count) {
    if (prepared.ok()) {
      const DrawOutcome& outcome = prepared->change;
      const SeriesId first = outcome.series.empty() ? kNoId : outcome.series.front().id;
      if (outcome.series.size() != series_count || first != first_series) {
        return absl::DataLossError(absl::StrFormat(
            "%s made %d series from %d, replaying it makes %d from %d", what, series_count,
            first_series, outcome.series.size(), first));
      }
    }
    const int64_t id = prepared.ok() ? prepared->change.record.id : 0;
    return Replay(engine, std::move(prepared), what, draw, id);
  }

  absl::Status LoadDistricts(Engine& engine) {
    absl::StatusOr<Statement> query = Query("SELECT id, code, name FROM districts ORDER BY id");
    if (!query.ok()) return query.status();
    return ForEachRow(query->get(), [&](Row& row) {
      const int64_t id = row.Int64(0);
      return Replay(engine, engine.PrepareAddDistrict(row.Text(1), row.Text(2)),
                    absl::StrCat("stored district ", id), id, kIdOf);
    });
  }

  absl::Status LoadVaccines(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT id, code, name, dose_count, interval_days_min, interval_days_target, "
        "interval_days_max, age_years_min, age_years_max FROM vaccines ORDER BY id");
    if (!query.ok()) return query.status();
    VaccineSpec spec;
    return ForEachRow(query->get(), [&](Row& row) {
      const int64_t id = row.Int64(0);
      spec.code = row.Text(1);
      spec.name = row.Text(2);
      spec.dose_count = row.Int<int>(3, 0, kDoseCountMax);
      spec.interval_days_min = row.Int<int>(4, 0, kIntervalDaysMax);
      spec.interval_days_target = row.Int<int>(5, 0, kIntervalDaysMax);
      spec.interval_days_max = row.Int<int>(6, 0, kIntervalDaysMax);
      spec.age_years_min = row.Int<int>(7, 0, kAgeYearsMax);
      spec.age_years_max = row.Int<int>(8, 0, kAgeYearsMax);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      return Replay(engine, engine.PrepareAddVaccine(spec), absl::StrCat("stored vaccine ", id), id,
                    kIdOf);
    });
  }

  absl::Status LoadCenters(Engine& engine) {
    absl::StatusOr<Statement> query = Query("SELECT id, code, name FROM centers ORDER BY id");
    if (!query.ok()) return query.status();
    absl::StatusOr<Statement> districts =
        Query("SELECT district FROM center_districts WHERE center = ? ORDER BY position");
    if (!districts.ok()) return districts.status();
    CenterSpec spec;
    return ForEachRow(query->get(), [&](Row& row) {
      const int64_t id = row.Int64(0);
      spec.code = row.Text(1);
      spec.name = row.Text(2);
      spec.districts.clear();
      sqlite3_bind_int64(districts->get(), 1, id);
      VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(districts->get(), [&](Row& district) {
        spec.districts.push_back(district.Int<DistrictId>(0, 1, UINT32_MAX));
        return absl::OkStatus();
      }));
      return Replay(engine, engine.PrepareAddCenter(spec), absl::StrCat("stored center ", id), id,
                    kIdOf);
    });
  }

  absl::Status LoadCapacityBlocks(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT seq, center, vaccine, first_day, last_day, weekdays, open_minute, close_minute, "
        "slot_minutes, seats_first, seats_second FROM capacity_blocks ORDER BY seq");
    if (!query.ok()) return query.status();
    CapacityBlock block;
    return ForEachRow(query->get(), [&](Row& row) {
      const int64_t seq = row.Int64(0);
      block.center = row.Int<CenterId>(1, 1, UINT32_MAX);
      block.vaccine = row.Int<VaccineId>(2, 1, UINT32_MAX);
      block.first_day = row.Day(3);
      block.last_day = row.Day(4);
      block.weekdays = row.Int<uint8_t>(5, 0, UINT8_MAX);
      block.open_minute = row.Int<int>(6, 0, 24 * 60);
      block.close_minute = row.Int<int>(7, 0, 24 * 60);
      block.slot_minutes = row.Int<int>(8, 0, 24 * 60);
      block.seats_first = row.Int<int>(9, 0, kSeatsPerSlotMax);
      block.seats_second = row.Int<int>(10, 0, kSeatsPerSlotMax);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      return Replay(engine, engine.PrepareAddCapacity(block), absl::StrCat("stored capacity block ", seq),
                    seq, static_cast<int64_t>(engine.capacity_blocks().size()) + 1);
    });
  }

  absl::Status LoadDeliveries(Engine& engine) {
    absl::StatusOr<Statement> query =
        Query("SELECT seq, center, vaccine, day, doses FROM deliveries ORDER BY seq");
    if (!query.ok()) return query.status();
    SupplyDelivery delivery;
    return ForEachRow(query->get(), [&](Row& row) {
      const int64_t seq = row.Int64(0);
      delivery.center = row.Int<CenterId>(1, 1, UINT32_MAX);
      delivery.vaccine = row.Int<VaccineId>(2, 1, UINT32_MAX);
      delivery.day = row.Day(3);
      delivery.doses = row.Int64(4);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      return Replay(engine, engine.PrepareAddSupply(delivery), absl::StrCat("stored delivery ", seq), seq,
                    static_cast<int64_t>(engine.deliveries().size()) + 1);
    });
  }

  absl::Status LoadPolicies(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT version, residence, time_zone, hold_us, short_notice_days, standby_hold_us, "
        "code_digits, code_lifetime_us, code_attempts, draw_lead_days_online, "
        "draw_lead_days_phone, overbook_permille FROM policies ORDER BY version");
    if (!query.ok()) return query.status();
    bool default_seen = false;
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(query->get(), [&](Row& row) {
      const int64_t version = row.Int64(0);
      Policy policy;
      policy.residence = row.EnumValue<ResidenceRule>(1, 0, 1);
      policy.time_zone = row.Text(2);
      // The engine checks the ranges; these only keep the conversions exact.
      policy.hold =
          absl::Microseconds(row.Int<int64_t>(3, 0, int64_t{kHoldMinutesMax} * 60'000'000));
      policy.short_notice_days = row.Int<int>(4, 0, kShortNoticeDaysMax);
      policy.standby_hold =
          absl::Microseconds(row.Int<int64_t>(5, 0, int64_t{kHoldMinutesMax} * 60'000'000));
      policy.code_digits = row.Int<int>(6, 0, kCodeDigitsMax);
      policy.code_lifetime =
          absl::Microseconds(row.Int<int64_t>(7, 0, int64_t{kCodeLifetimeMinutesMax} * 60'000'000));
      policy.code_attempts = row.Int<int>(8, 0, kCodeAttemptsMax);
      policy.draw_lead_days_online = row.Int<int>(9, 0, kDrawLeadDaysMax);
      policy.draw_lead_days_phone = row.Int<int>(10, 0, kDrawLeadDaysMax);
      policy.overbook_permille = row.Int<int>(11, 0, kOverbookPermilleMax);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      VAXALLOC_STORE_RETURN_IF_ERROR(LoadPolicyChildren(version, policy));
      if (version == 1) {
        // Every engine starts with version 1; the file must agree with it.
        default_seen = true;
        if (!SamePolicy(policy, engine.policy())) {
          return absl::DataLossError(
              "stored policy version 1 differs from this library's default policy");
        }
        return absl::OkStatus();
      }
      return Replay(engine, engine.PrepareSetPolicy(policy),
                    absl::StrCat("stored policy version ", version), version,
                    [](const auto& change) { return change.version; });
    }));
    if (!default_seen) return absl::DataLossError("stored policy version 1 is missing");
    return absl::OkStatus();
  }

  absl::Status LoadPolicyChildren(int64_t version, Policy& policy) {
    absl::StatusOr<Statement> rules = Query(
        "SELECT registered_before_us, tier_group_1, tier_group_2, tier_group_3, tier_group_none "
        "FROM policy_tier_rules WHERE version = ? ORDER BY position",
        version);
    if (!rules.ok()) return rules.status();
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(rules->get(), [&](Row& row) {
      TierRule& rule = policy.tier_rules.emplace_back();
      rule.registered_before = row.Time(0);
      for (int g = 0; g < kPriorityGroupCount; ++g) {
        rule.tier_by_group[g] = row.Int<uint8_t>(1 + g, 0, UINT8_MAX);
      }
      return absl::OkStatus();
    }));
    absl::StatusOr<Statement> reserves = Query(
        "SELECT name, share_permille, age_years_min, group_mask, vaccine FROM policy_reserves "
        "WHERE version = ? ORDER BY position",
        version);
    if (!reserves.ok()) return reserves.status();
    VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(reserves->get(), [&](Row& row) {
      ReserveCategory& reserve = policy.reserves.emplace_back();
      reserve.name = row.Text(0);
      reserve.share_permille = row.Int<int>(1, INT32_MIN, INT32_MAX);
      reserve.age_years_min = row.Int<int>(2, INT32_MIN, INT32_MAX);
      reserve.group_mask = row.Int<uint8_t>(3, 0, UINT8_MAX);
      reserve.vaccine = row.Id(4);
      return absl::OkStatus();
    }));
    absl::StatusOr<Statement> neighbours = Query(
        "SELECT district_a, district_b FROM policy_neighbours WHERE version = ? "
        "ORDER BY position",
        version);
    if (!neighbours.ok()) return neighbours.status();
    return ForEachRow(neighbours->get(), [&](Row& row) {
      policy.neighbours.emplace_back(row.Int<DistrictId>(0, 1, UINT32_MAX),
                                     row.Int<DistrictId>(1, 1, UINT32_MAX));
      return absl::OkStatus();
    });
  }

  static bool SamePolicy(const Policy& a, const Policy& b) {
    auto same_rule = [](const TierRule& x, const TierRule& y) {
      return x.registered_before == y.registered_before && x.tier_by_group == y.tier_by_group;
    };
    auto same_reserve = [](const ReserveCategory& x, const ReserveCategory& y) {
      return x.name == y.name && x.share_permille == y.share_permille &&
             x.age_years_min == y.age_years_min && x.group_mask == y.group_mask &&
             x.vaccine == y.vaccine;
    };
    return a.residence == b.residence && a.neighbours == b.neighbours &&
           a.time_zone == b.time_zone && a.hold == b.hold &&
           a.short_notice_days == b.short_notice_days && a.standby_hold == b.standby_hold &&
           a.code_digits == b.code_digits && a.code_lifetime == b.code_lifetime &&
           a.code_attempts == b.code_attempts &&
           a.draw_lead_days_online == b.draw_lead_days_online &&
           a.draw_lead_days_phone == b.draw_lead_days_phone &&
           a.overbook_permille == b.overbook_permille &&
           std::equal(a.tier_rules.begin(), a.tier_rules.end(), b.tier_rules.begin(),
                      b.tier_rules.end(), same_rule) &&
           std::equal(a.reserves.begin(), a.reserves.end(), b.reserves.begin(), b.reserves.end(),
                      same_reserve);
  }

  // The big table, in id order. A reader thread steps the SELECT and decodes
  // rows into batches while this thread restores the previous batch into the
  // engine: on two cores SQLite's decoding and the engine's index inserts
  // overlap (a 1M-registrant reopen took 0.81 s in one thread). The rows are
  // restored in the same order and the first error, of SQLite, of a stored
  // value or of the engine, ends the load as a plain loop would.
  absl::Status LoadRegistrants(Engine& engine) {
    // Ids are dense from 1 (RestoreRegistrant checks it): the highest is the
    // count, read from the table's last b-tree page. A damaged file may claim
    // any id: the hint never exceeds what the file could hold (a stored row
    // takes well over 8 bytes).
    absl::StatusOr<int64_t> last = QueryInt("SELECT coalesce(max(id), 0) FROM registrants");
    if (!last.ok()) return last.status();
    absl::StatusOr<int64_t> bytes =
        QueryInt("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    if (!bytes.ok()) return bytes.status();
    const int64_t hint = std::min(*last, *bytes / 8);
    if (hint > 0) engine.ReserveRegistrants(static_cast<size_t>(hint));
    absl::StatusOr<Statement> query = Query(
        "SELECT id, external_ref, district, birth_day, priority_group, channel, "
        "registered_at_us, vaccine_preference, status, waiting_since_us, series, standby "
        "FROM registrants ORDER BY id");
    if (!query.ok()) return query.status();
    RegistrantPipe pipe;
    std::optional<std::thread> reader;
    try {
      reader.emplace([&] { ReadRegistrants(query->get(), pipe); });
    } catch (const std::system_error&) {
      // No thread to be had: decode and restore by turns in this one.
      pipe.single_threaded = true;
    }
    absl::Status status = RestoreRegistrants(engine, query->get(), pipe);
    if (reader.has_value()) reader->join();
    return status;
  }

  // A batch of decoded rows; the reader's error (if any) follows its rows.
  struct RegistrantBatch {
    std::vector<Registrant> rows = std::vector<Registrant>(kRegistrantsPerBatch);
    size_t count = 0;
    absl::Status status;  // what ended the reading after these rows
    bool last = false;
  };
  static constexpr size_t kRegistrantsPerBatch = 4096;
  static constexpr size_t kRegistrantBatches = 3;  // one restoring, two read ahead

  struct RegistrantPipe {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::unique_ptr<RegistrantBatch>> free;  // for the reader to fill
    std::deque<std::unique_ptr<RegistrantBatch>> full;   // for the restorer, in order
    bool stop = false;                                   // the restorer failed: read no further
    bool single_threaded = false;  // no reader thread: the restorer reads itself
    RegistrantPipe() {
      for (size_t i = 0; i < kRegistrantBatches; ++i) {
        free.push_back(std::make_unique<RegistrantBatch>());
      }
    }
  };

  // Fills `batch` with the next rows; sets `last` at the end or an error.
  void ReadRegistrantBatch(sqlite3_stmt* statement, RegistrantBatch& batch) {
    batch.count = 0;
    batch.status = absl::OkStatus();
    batch.last = false;
    while (batch.count < batch.rows.size()) {
      const int code = sqlite3_step(statement);
      if (code != SQLITE_ROW) {
        if (code != SQLITE_DONE) batch.status = Error(code, StatementLabel(statement));
        batch.last = true;
        break;
      }
      Row row(statement);
      Registrant& registrant = batch.rows[batch.count];
      registrant.id = row.Int<RegistrantId>(0, 1, UINT32_MAX);
      // Both NULL once erased (the table's CHECK); the engine checks the rest.
      registrant.erased = row.IsNull(1);
      registrant.spec.external_ref = registrant.erased ? std::string() : row.Text(1);
      registrant.spec.district = row.Int<DistrictId>(2, 1, UINT32_MAX);
      registrant.spec.birth_day = registrant.erased ? absl::CivilDay(1970, 1, 1) : row.Day(3);
      registrant.spec.group = row.EnumValue<PriorityGroup>(4, 1, kPriorityGroupCount);
      registrant.spec.channel = row.EnumValue<Channel>(5, 0, 1);
      registrant.spec.registered_at = row.Time(6);
      registrant.spec.vaccine_preference = row.Id(7);
      registrant.status =
          row.EnumValue<RegistrantStatus>(8, 0, static_cast<int>(RegistrantStatus::kVaccinated));
      registrant.waiting_since = row.Time(9);
      registrant.series = row.Id(10);
      registrant.spec.standby = row.Int<int>(11, 0, 1) != 0;
      if (!row.status().ok()) {
        batch.status = row.status();
        batch.last = true;
        break;
      }
      ++batch.count;
    }
    if (batch.last) sqlite3_reset(statement);
  }

  // The reader thread: the only user of the connection until it returns.
  void ReadRegistrants(sqlite3_stmt* statement, RegistrantPipe& pipe) {
    for (;;) {
      std::unique_ptr<RegistrantBatch> batch;
      {
        std::unique_lock lock(pipe.mutex);
        pipe.changed.wait(lock, [&] { return pipe.stop || !pipe.free.empty(); });
        if (pipe.stop) break;
        batch = std::move(pipe.free.back());
        pipe.free.pop_back();
      }
      ReadRegistrantBatch(statement, *batch);
      const bool last = batch->last;
      {
        std::lock_guard lock(pipe.mutex);
        pipe.full.push_back(std::move(batch));
      }
      pipe.changed.notify_all();
      if (last) return;
    }
    sqlite3_reset(statement);  // stopped early by the restorer
  }

  absl::Status RestoreRegistrants(Engine& engine, sqlite3_stmt* statement, RegistrantPipe& pipe) {
    absl::Status status = absl::OkStatus();
    for (;;) {
      std::unique_ptr<RegistrantBatch> batch;
      if (pipe.single_threaded) {
        batch = std::move(pipe.free.back());
        pipe.free.pop_back();
        ReadRegistrantBatch(statement, *batch);
      } else {
        std::unique_lock lock(pipe.mutex);
        pipe.changed.wait(lock, [&] { return !pipe.full.empty(); });
        batch = std::move(pipe.full.front());
        pipe.full.pop_front();
      }
      status = engine.RestoreRegistrants(absl::MakeConstSpan(batch->rows).first(batch->count));
      if (status.ok()) status = batch->status;
      const bool done = !status.ok() || batch->last;
      {
        std::lock_guard lock(pipe.mutex);
        pipe.free.push_back(std::move(batch));
        pipe.stop = done;
      }
      pipe.changed.notify_all();
      if (done) break;
    }
    if (pipe.single_threaded) sqlite3_reset(statement);
    return status;
  }

  // Filled by LoadSeries for LoadDraws.
  absl::flat_hash_map<DrawId, std::vector<SeriesId>> series_by_draw;

  absl::Status LoadSeries(Engine& engine) {
    const std::string sql = absl::StrCat("SELECT ", absl::StrJoin(kSeriesColumnNames, ", "),
                                         " FROM series ORDER BY id");
    absl::StatusOr<Statement> query = Query(sql.c_str());
    if (!query.ok()) return query.status();
    constexpr int kDoseStateMax = static_cast<int>(DoseState::kReleased);
    return ForEachRow(query->get(), [&](Row& row) {
      // Columns as in kSeriesColumnNames.
      Series series;
      series.id = row.Int<SeriesId>(0, 1, UINT32_MAX);
      series.registrant = row.Int<RegistrantId>(1, 1, UINT32_MAX);
      series.center = row.Int<CenterId>(2, 1, UINT32_MAX);
      series.vaccine = row.Int<VaccineId>(3, 1, UINT32_MAX);
      series.dose_count = row.Int<int>(4, 1, kDoseCountMax);
      series.appointments[0] = Appointment{row.Day(5), row.Int<int>(6, 0, 24 * 60)};
      series.doses[0] = row.EnumValue<DoseState>(7, 0, kDoseStateMax);
      if (series.dose_count == 2) {
        if (row.IsNull(8) || row.IsNull(9) || row.IsNull(10)) {
          return absl::DataLossError(
              absl::StrCat("stored series ", series.id, " lacks its second appointment"));
        }
        series.appointments[1] = Appointment{row.Day(8), row.Int<int>(9, 0, 24 * 60)};
        series.doses[1] = row.EnumValue<DoseState>(10, 0, kDoseStateMax);
      }
      series.status = row.EnumValue<SeriesStatus>(11, 0, static_cast<int>(SeriesStatus::kMissed));
      series.booked_at = row.Time(12);
      series.origin = row.EnumValue<SeriesOrigin>(13, 0, static_cast<int>(SeriesOrigin::kStandby));
      series.draw = row.Id(14);
      series.tier = row.Int<uint8_t>(15, 0, kTierMax);
      series.category = row.Int<uint8_t>(16, 0, kReserveCategoriesMax);
      series.release = row.Id(17);
      if (!row.IsNull(18)) series.hold_expires_at = row.Time(18);
      series.replaces = row.Id(19);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      // A draw's series are its rows in id order: a draw writes them with
      // dense ids in assignment order.
      if (series.draw != kNoId) series_by_draw[series.draw].push_back(series.id);
      return engine.RestoreSeries(series);
    });
  }

  absl::Status LoadReleases(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT id, center, vaccine, first_day, last_day, release_at_us, first_dose_cap "
        "FROM releases ORDER BY id");
    if (!query.ok()) return query.status();
    ReleaseSpec spec;
    return ForEachRow(query->get(), [&](Row& row) {
      const int64_t id = row.Int64(0);
      spec.center = row.Int<CenterId>(1, 1, UINT32_MAX);
      spec.vaccine = row.Id(2);
      spec.first_day = row.Day(3);
      spec.last_day = row.Day(4);
      spec.release_at = row.Time(5);
      spec.first_dose_cap = row.Int<uint32_t>(6, 0, UINT32_MAX);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      return Replay(engine, engine.PrepareAddRelease(spec), absl::StrCat("stored release ", id), id,
                    kIdOf);
    });
  }

  absl::Status LoadNoShows(Engine& engine) {
    absl::StatusOr<Statement> query =
        Query("SELECT series, day, minute, rebooked_at_us FROM replaced_no_shows ORDER BY seq");
    if (!query.ok()) return query.status();
    return ForEachRow(query->get(), [&](Row& row) {
      ReplacedNoShow no_show;
      no_show.series = row.Int<SeriesId>(0, 1, UINT32_MAX);
      no_show.appointment.day = row.Day(1);
      no_show.appointment.minute = row.Int<int>(2, 0, 24 * 60 - 1);
      no_show.rebooked_at = row.Time(3);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      return engine.RestoreNoShow(no_show);
    });
  }

  absl::Status LoadCodes(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT id, registrant, purpose, series, issued_at_us, expires_at_us, attempts, state, "
        "salt0, salt1, hash FROM codes ORDER BY id");
    if (!query.ok()) return query.status();
    return ForEachRow(query->get(), [&](Row& row) {
      VerificationCode code;
      code.id = row.Int<CodeId>(0, 1, UINT32_MAX);
      code.registrant = row.Int<RegistrantId>(1, 1, UINT32_MAX);
      code.purpose = row.EnumValue<CodePurpose>(2, 1, static_cast<int>(CodePurpose::kWithdraw));
      code.series = row.Id(3);
      code.issued_at = row.Time(4);
      code.expires_at = row.Time(5);
      code.attempts = row.Int<uint8_t>(6, 0, kCodeAttemptsMax);
      code.state = row.EnumValue<CodeState>(7, 0, static_cast<int>(CodeState::kSuperseded));
      code.salt0 = static_cast<uint64_t>(row.Int64(8));
      code.salt1 = static_cast<uint64_t>(row.Int64(9));
      code.hash = static_cast<uint64_t>(row.Int64(10));
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      return engine.RestoreCode(code);
    });
  }

  absl::Status LoadDraws(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT id, seed_k0, seed_k1, at_us, first_dose_from, first_dose_until, series_limit, "
        "policy_version FROM draws ORDER BY id");
    if (!query.ok()) return query.status();
    absl::StatusOr<Statement> centers =
        Query("SELECT center FROM draw_centers WHERE draw = ? ORDER BY position");
    if (!centers.ok()) return centers.status();
    absl::StatusOr<Statement> tiers =
        Query("SELECT tier, eligible, assigned FROM draw_tiers WHERE draw = ? ORDER BY tier");
    if (!tiers.ok()) return tiers.status();
    return ForEachRow(query->get(), [&](Row& row) {
      DrawRecord record;
      record.id = row.Int<DrawId>(0, 1, UINT32_MAX);
      record.request.seed.k0 = static_cast<uint64_t>(row.Int64(1));
      record.request.seed.k1 = static_cast<uint64_t>(row.Int64(2));
      record.request.at = row.Time(3);
      record.request.first_dose_from = row.Day(4);
      record.request.first_dose_until = row.Day(5);
      record.request.series_limit = row.Int<uint32_t>(6, 0, UINT32_MAX);
      record.policy_version = row.Int<uint32_t>(7, 1, UINT32_MAX);
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      for (sqlite3_stmt* child : {centers->get(), tiers->get()}) {
        sqlite3_bind_int64(child, 1, record.id);
      }
      VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(centers->get(), [&](Row& center) {
        record.request.centers.push_back(center.Int<CenterId>(0, 1, UINT32_MAX));
        return absl::OkStatus();
      }));
      VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(tiers->get(), [&](Row& tier) {
        // A tier outside 1..kTierMax reads as 0: refuse it before indexing.
        const int number = tier.Int<int>(0, 1, kTierMax);
        VAXALLOC_STORE_RETURN_IF_ERROR(tier.status());
        TierCount& count = record.tiers[number - 1];
        count.eligible = tier.Int<uint32_t>(1, 0, UINT32_MAX);
        count.assigned = tier.Int<uint32_t>(2, 0, UINT32_MAX);
        return absl::OkStatus();
      }));
      if (auto it = series_by_draw.find(record.id); it != series_by_draw.end()) {
        record.series = std::move(it->second);
        series_by_draw.erase(it);
      }
      return engine.RestoreDraw(record);
    });
  }

  absl::Status LoadDrawCommitments(Engine& engine) {
    absl::StatusOr<Statement> query = Query(
        "SELECT c.id, c.at_us, c.first_dose_from, c.first_dose_until, c.series_limit, c.beacon, "
        "c.policy_version, c.commitment, i.inputs, c.status, c.settled_at_us, c.beacon_value, "
        "c.seed_k0, c.seed_k1, c.draw, c.abandon_reason, c.results, c.library_version, "
        "c.abandoned_unchanged "
        "FROM draw_commitments AS c LEFT JOIN draw_inputs AS i ON i.commitment = c.id "
        "ORDER BY c.id");
    if (!query.ok()) return query.status();
    absl::StatusOr<Statement> centers = Query(
        "SELECT center FROM draw_commitment_centers WHERE commitment = ? ORDER BY position");
    if (!centers.ok()) return centers.status();
    return ForEachRow(query->get(), [&](Row& row) {
      DrawCommitment commitment;
      commitment.id = row.Int<CommitmentId>(0, 1, UINT32_MAX);
      DrawRequest& request = commitment.request;
      request.at = row.Time(1);
      request.first_dose_from = row.Day(2);
      request.first_dose_until = row.Day(3);
      request.series_limit = row.Int<uint32_t>(4, 0, UINT32_MAX);
      commitment.beacon = row.Text(5);
      commitment.policy_version = row.Int<uint32_t>(6, 1, UINT32_MAX);
      const std::string_view hash = row.Bytes(7);
      if (hash.size() == commitment.commitment.size()) {
        std::copy(hash.begin(), hash.end(), commitment.commitment.begin());
      }
      std::string inputs(row.Bytes(8));
      commitment.input_bytes = inputs.size();
      commitment.status = row.EnumValue<CommitmentStatus>(9, 0, 2);
      if (!row.IsNull(10)) commitment.settled_at = row.Time(10);
      commitment.beacon_value = row.Bytes(11);
      request.seed.k0 = static_cast<uint64_t>(row.Int64(12));
      request.seed.k1 = static_cast<uint64_t>(row.Int64(13));
      commitment.draw = row.Id(14);
      commitment.abandon_reason = row.Text(15);
      std::string results(row.Bytes(16));
      commitment.library_version = row.Text(17);
      commitment.abandoned_unchanged = row.Int<int>(18, 0, 1) == 1;
      VAXALLOC_STORE_RETURN_IF_ERROR(row.status());
      sqlite3_bind_int64(centers->get(), 1, commitment.id);
      VAXALLOC_STORE_RETURN_IF_ERROR(ForEachRow(centers->get(), [&](Row& center) {
        request.centers.push_back(center.Int<CenterId>(0, 1, UINT32_MAX));
        return absl::OkStatus();
      }));
      return engine.RestoreDrawCommitment(commitment, std::move(inputs), std::move(results));
    });
  }
};

// ---------------------------------------------------------------------------
// Store

Store::Store(std::string path, std::unique_ptr<Database> database)
    : path_(std::move(path)), database_(std::move(database)) {}

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("campaign file path is empty");
  if (path.find('\0') != std::string::npos) {
    // SQLite would open the file named by the bytes before it.
    return absl::InvalidArgumentError(
        absl::StrCat("campaign file path '", absl::CHexEscape(path), "' contains a NUL byte"));
  }
  if (options.busy_timeout < absl::ZeroDuration() ||
      options.busy_timeout > absl::Milliseconds(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("busy_timeout ", absl::FormatDuration(options.busy_timeout),
                     " is outside 0 .. ", std::numeric_limits<int>::max(), " ms"));
  }
  if (options.durability != Durability::kNormal && options.durability != Durability::kFull) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown durability ", static_cast<int>(options.durability)));
  }
  std::error_code error;
  const bool exists = std::filesystem::exists(path, error);
  if (!exists && !options.create_if_missing) {
    return absl::NotFoundError(
        absl::StrCat("campaign file '", path, "' does not exist (and create_if_missing is off)"));
  }
  auto database = std::make_unique<Database>();
  database->path = path;
  database->options = options;
  VAXALLOC_STORE_RETURN_IF_ERROR(database->Connect());

  // Nothing is written before the file is known to be ours (or empty).
  absl::StatusOr<FileHeader> header = database->ReadHeader();
  if (!header.ok()) return header.status();
  VAXALLOC_STORE_RETURN_IF_ERROR(database->Configure());
  if (options.read_only && header->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "campaign file '", path, "' is an empty database (and the Store is read-only)"));
  }
  if (header->empty()) {
    if (!options.create_if_missing) {
      return absl::FailedPreconditionError(absl::StrCat(
          "campaign file '", path, "' is an empty database (and create_if_missing is off)"));
    }
    const Engine fresh_engine;
    VAXALLOC_STORE_RETURN_IF_ERROR(database->Initialize(fresh_engine.policy()));
    header = database->ReadHeader();
    if (!header.ok()) return header.status();
  }
  VAXALLOC_STORE_RETURN_IF_ERROR(database->Validate(*header));
  if (header->user_version < kSchemaVersion) {
    if (options.read_only) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "campaign file '%s' has schema version %d and needs migrating to version %d; open it "
          "once without read_only (the file was not changed)",
          path, header->user_version, kSchemaVersion));
    }
    VAXALLOC_STORE_RETURN_IF_ERROR(database->Migrate(header->user_version));
  }
  if (database->begin == nullptr) VAXALLOC_STORE_RETURN_IF_ERROR(database->PrepareStatements());

  std::unique_ptr<Store> store(new Store(path, std::move(database)));
  VAXALLOC_STORE_RETURN_IF_ERROR(store->database_->Load(store->engine_));
  if (options.verify_journal) {
    absl::StatusOr<JournalCheck> check = store->database_->VerifyJournal();
    if (!check.ok()) return check.status();
    if (!check->intact()) {
      return absl::DataLossError(absl::StrCat("campaign file '", path, "': the journal is broken: ",
                                              check->problem));
    }
  }
  // WAL is set when the file is created (a no-op then); a copy made without
  // it gets it back, once the file has loaded. A reader leaves the file be.
  if (!options.read_only) VAXALLOC_STORE_RETURN_IF_ERROR(store->database_->SwitchToWal());
  return store;
}

using internal::JournalArgs;
using internal::JournalOp;

absl::StatusOr<DistrictId> Store::AddDistrict(std::string_view code, std::string_view name) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kAddDistrict, [&] { return engine_.PrepareAddDistrict(code, name); },
      [&](const Prepared<District>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertDistrict(prepared.change));
        return JournalArgs(prepared.change);
      });
  if (!prepared.ok()) return prepared.status();
  return prepared->change.id;
}

absl::StatusOr<VaccineId> Store::AddVaccine(const VaccineSpec& spec) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kAddVaccine, [&] { return engine_.PrepareAddVaccine(spec); },
      [&](const Prepared<Vaccine>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertVaccine(prepared.change));
        return JournalArgs(prepared.change);
      });
  if (!prepared.ok()) return prepared.status();
  return prepared->change.id;
}

absl::StatusOr<CenterId> Store::AddCenter(const CenterSpec& spec) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kAddCenter, [&] { return engine_.PrepareAddCenter(spec); },
      [&](const Prepared<Center>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertCenter(prepared.change));
        return JournalArgs(prepared.change);
      });
  if (!prepared.ok()) return prepared.status();
  return prepared->change.id;
}

absl::Status Store::AddCapacity(const CapacityBlock& block) {
  return database_
      ->Commit(engine_, JournalOp::kAddCapacity, [&] { return engine_.PrepareAddCapacity(block); },
               [&](const Prepared<CapacityBlock>& prepared) -> absl::StatusOr<std::string> {
                 const uint32_t seq = static_cast<uint32_t>(engine_.capacity_blocks().size() + 1);
                 VAXALLOC_STORE_RETURN_IF_ERROR(
                     database_->InsertCapacityBlock(seq, prepared.change));
                 return JournalArgs(seq, prepared.change);
               })
      .status();
}

absl::Status Store::AddSupply(const SupplyDelivery& delivery) {
  return database_
      ->Commit(engine_, JournalOp::kAddSupply, [&] { return engine_.PrepareAddSupply(delivery); },
               [&](const Prepared<SupplyDelivery>& prepared) -> absl::StatusOr<std::string> {
                 const uint32_t seq = static_cast<uint32_t>(engine_.deliveries().size() + 1);
                 VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertDelivery(seq, prepared.change));
                 return JournalArgs(seq, prepared.change);
               })
      .status();
}

absl::StatusOr<uint32_t> Store::SetPolicy(const Policy& policy) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kSetPolicy, [&] { return engine_.PrepareSetPolicy(policy); },
      [&](const Prepared<PolicyVersion>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertPolicy(prepared.change));
        return JournalArgs(prepared.change);
      });
  if (!prepared.ok()) return prepared.status();
  return prepared->change.version;
}

absl::StatusOr<RegistrantId> Store::Register(const RegistrantSpec& spec) {
  auto ids = RegisterBatch(absl::MakeConstSpan(&spec, 1));
  if (!ids.ok()) return ids.status();
  return ids->front();
}

absl::StatusOr<std::vector<RegistrantId>> Store::RegisterBatch(
    absl::Span<const RegistrantSpec> specs) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kRegister, [&] { return engine_.PrepareRegister(specs); },
      [&](const Prepared<std::vector<Registrant>>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertRegistrants(prepared.change));
        // JournalFields(first id, specs) without copying the specs: the
        // fields the journal keeps (not the reference and birth day).
        internal::JournalWriter args;
        const std::vector<Registrant>& rows = prepared.change;
        args.Id(rows.front().id);
        args.Count(rows.size());
        for (const Registrant& registrant : rows) {
          internal::JournalRegistrantFields(args, registrant.spec);
        }
        return args.Take();
      },
      // An empty batch registers nobody and writes nothing.
      [](const Prepared<std::vector<Registrant>>& prepared) { return !prepared.change.empty(); });
  if (!prepared.ok()) return prepared.status();
  std::vector<RegistrantId> ids;
  ids.reserve(prepared->change.size());
  for (const Registrant& registrant : prepared->change) ids.push_back(registrant.id);
  return ids;
}

absl::StatusOr<DrawRecord> Store::Draw(const DrawRequest& request) {
  // SQLite's per-row foreign-key checks were most of a large draw's write
  // (four parent lookups per series row): InsertDraw checks the draw's
  // references itself, once (CheckDrawReferences).
  auto prepared = database_->Commit(
      engine_, JournalOp::kDraw, [&] { return engine_.PrepareDraw(request); },
      [&](const Prepared<DrawOutcome>& prepared) -> absl::StatusOr<std::string> {
        const DrawOutcome& outcome = prepared.change;
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertDraw(outcome));
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->CheckDrawReferences(outcome));
        const SeriesId first = outcome.series.empty() ? kNoId : outcome.series.front().id;
        return JournalArgs(outcome.record.id, outcome.record.request, first,
                           static_cast<uint32_t>(outcome.series.size()));
      },
      [](const auto&) { return true; }, /*without_foreign_keys=*/true);
  if (!prepared.ok()) return prepared.status();
  return std::move(prepared->change.record);
}

absl::StatusOr<DrawCommitment> Store::CommitDraw(const DrawRequest& request,
                                                 std::string_view beacon) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kCommitDraw, [&] { return engine_.PrepareCommitDraw(request, beacon); },
      [&](const Prepared<CommitmentChange>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertCommitment(prepared.change));
        return JournalArgs(prepared.change.commitment);
      });
  if (!prepared.ok()) return prepared.status();
  return std::move(prepared->change.commitment);
}

absl::StatusOr<DrawRecord> Store::RevealDraw(CommitmentId commitment,
                                             std::string_view beacon_value, absl::Time at) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kRevealDraw,
      [&] { return engine_.PrepareRevealDraw(commitment, beacon_value, at); },
      [&](const Prepared<DrawOutcome>& prepared) -> absl::StatusOr<std::string> {
        const DrawOutcome& outcome = prepared.change;
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertDraw(outcome));
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->CheckDrawReferences(outcome));
        VAXALLOC_STORE_RETURN_IF_ERROR(
            database_->SettleCommitment(*outcome.revealed, outcome.results.get()));
        const SeriesId first = outcome.series.empty() ? kNoId : outcome.series.front().id;
        return JournalArgs(outcome.revealed->id, outcome.revealed->beacon_value,
                           outcome.revealed->settled_at, outcome.record.id, first,
                           static_cast<uint32_t>(outcome.series.size()));
      },
      [](const auto&) { return true; }, /*without_foreign_keys=*/true);
  if (!prepared.ok()) return prepared.status();
  return std::move(prepared->change.record);
}

absl::Status Store::AbandonDraw(CommitmentId commitment, std::string_view reason,
                                absl::Time at) {
  return database_
      ->Commit(
          engine_, JournalOp::kAbandonDraw,
          [&] { return engine_.PrepareAbandonDraw(commitment, reason, at); },
          [&](const Prepared<CommitmentChange>& prepared) -> absl::StatusOr<std::string> {
            const DrawCommitment& settled = prepared.change.commitment;
            VAXALLOC_STORE_RETURN_IF_ERROR(database_->SettleCommitment(settled, nullptr));
            return JournalArgs(settled.id, settled.abandon_reason, settled.settled_at,
                               settled.abandoned_unchanged);
          })
      .status();
}

absl::Status Store::CancelSeries(SeriesId series, absl::Time at) {
  return database_->CommitCancellation(engine_, JournalOp::kCancelSeries, series, at,
                                       [&] { return engine_.PrepareCancelSeries(series, at); });
}

absl::Status Store::Withdraw(RegistrantId registrant, absl::Time at) {
  return database_->CommitCancellation(engine_, JournalOp::kWithdraw, registrant, at,
                                       [&] { return engine_.PrepareWithdraw(registrant, at); });
}

absl::Status Store::DeleteRegistration(RegistrantId registrant, absl::Time at) {
  return database_->CommitCancellation(
      engine_, JournalOp::kDeleteRegistration, registrant, at,
      [&] { return engine_.PrepareDeleteRegistration(registrant, at); });
}

absl::StatusOr<ReleaseId> Store::AddRelease(const ReleaseSpec& spec) {
  auto prepared = database_->Commit(
      engine_, JournalOp::kAddRelease, [&] { return engine_.PrepareAddRelease(spec); },
      [&](const Prepared<Release>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->InsertRelease(prepared.change));
        return JournalArgs(prepared.change);
      });
  if (!prepared.ok()) return prepared.status();
  return prepared->change.id;
}

absl::StatusOr<Series> Store::Book(const BookingRequest& request) {
  auto prepared = database_->CommitSeriesChange(
      engine_, JournalOp::kBook, [&] { return engine_.PrepareBook(request); },
      [&](const SeriesChange& change) { return JournalArgs(request, change.subject); });
  if (!prepared.ok()) return prepared.status();
  return engine_.GetSeries(prepared->change.subject);
}

absl::StatusOr<Series> Store::ConfirmHold(SeriesId hold, absl::Time at) {
  auto prepared = database_->CommitSeriesChange(
      engine_, JournalOp::kConfirmHold, [&] { return engine_.PrepareConfirmHold(hold, at); },
      [&](const SeriesChange&) { return JournalArgs(hold, at); });
  if (!prepared.ok()) return prepared.status();
  return engine_.GetSeries(prepared->change.subject);
}

absl::Status Store::DeclineHold(SeriesId hold, absl::Time at) {
  return database_
      ->CommitSeriesChange(
          engine_, JournalOp::kDeclineHold, [&] { return engine_.PrepareDeclineHold(hold, at); },
          [&](const SeriesChange&) { return JournalArgs(hold, at); })
      .status();
}

absl::StatusOr<uint32_t> Store::ExpireHolds(absl::Time at) {
  auto prepared = database_->CommitSeriesChange(
      engine_, JournalOp::kExpireHolds, [&] { return engine_.PrepareExpireHolds(at); },
      [&](const SeriesChange& change) { return JournalArgs(at, change.holds_lapsed); });
  if (!prepared.ok()) return prepared.status();
  return prepared->change.holds_lapsed;
}

absl::StatusOr<Series> Store::RecordDose(SeriesId series, int dose, DoseOutcome outcome,
                                         absl::Time at) {
  auto prepared = database_->CommitSeriesChange(
      engine_, JournalOp::kRecordDose,
      [&] { return engine_.PrepareRecordDose(series, dose, outcome, at); },
      [&](const SeriesChange&) {
        // Prepare accepted it: dose is 1 or 2.
        return JournalArgs(series, static_cast<uint8_t>(dose), outcome, at);
      });
  if (!prepared.ok()) return prepared.status();
  return engine_.GetSeries(prepared->change.subject);
}

absl::StatusOr<Series> Store::RebookSecondDose(SeriesId series, absl::Time at) {
  auto prepared = database_->CommitSeriesChange(
      engine_, JournalOp::kRebookSecondDose,
      [&] { return engine_.PrepareRebookSecondDose(series, at); },
      [&](const SeriesChange&) { return JournalArgs(series, at); });
  if (!prepared.ok()) return prepared.status();
  return engine_.GetSeries(prepared->change.subject);
}

absl::StatusOr<IssuedCode> Store::IssueCode(const CodeRequest& request) {
  absl::StatusOr<CodeEntropy> entropy = CodeEntropy::FromSystem();
  if (!entropy.ok()) return entropy.status();
  uint64_t event_id = 0;
  auto prepared = database_->Commit(
      engine_, JournalOp::kIssueCode,
      [&] { return engine_.PrepareIssueCode(request, *entropy); },
      [&](const Prepared<IssuedCode>& prepared) -> absl::StatusOr<std::string> {
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->WriteIssuedCode(prepared.change, &event_id));
        return JournalArgs(request, prepared.change.record);
      });
  if (!prepared.ok()) return prepared.status();
  IssuedCode issued = std::move(prepared->change);
  issued.event.id = event_id;  // written: the host may match it with the outbox
  return issued;
}

absl::Status Store::VerifyCode(CodeId code, std::string_view entered, absl::Time at,
                               CodeOutcome* outcome) {
  // A wrong code's attempt is committed before its error is returned, so
  // that reopening (or a crash) cannot give the attempt back. If the commit
  // fails nothing was verified: *outcome is left alone. The journal keeps
  // whether the digits matched, never the digits.
  auto prepared = database_->Commit(
      engine_, JournalOp::kVerifyCode,
      [&] { return engine_.PrepareVerifyCode(code, entered, at); },
      [&](const Prepared<CodeVerification>& prepared) -> absl::StatusOr<std::string> {
        const CodeVerification& verification = prepared.change;
        VAXALLOC_STORE_RETURN_IF_ERROR(database_->WriteVerification(verification));
        const bool matched = verification.outcome == CodeOutcome::kAccepted;
        return JournalArgs(code, at, matched);
      },
      [](const Prepared<CodeVerification>& prepared) { return prepared.change.record_changed; });
  if (!prepared.ok()) return prepared.status();
  const CodeVerification& verification = prepared->change;
  if (outcome != nullptr) *outcome = verification.outcome;
  return internal::CodeOutcomeStatus(verification, engine_.policy());
}

absl::StatusOr<std::vector<Event>> Store::PendingEvents(uint64_t after_id, size_t limit) const {
  if (limit < 1 || limit > kEventsPerReadMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("PendingEvents: limit ", limit, " is outside 1..", kEventsPerReadMax));
  }
  return database_->ReadEvents(after_id, limit);
}

absl::Status Store::AcknowledgeEvents(uint64_t through_id) {
  VAXALLOC_STORE_RETURN_IF_ERROR(database_->CheckWritable());
  // Nothing has id 0: acknowledging it touches nothing, not even the lock.
  if (through_id == 0) return absl::OkStatus();
  // The outbox is delivery housekeeping, not a change of the campaign: no
  // journal entry, and nothing to catch up with first.
  return database_->Transaction([&] { return database_->DeleteEvents(through_id); });
}

absl::Status Store::Refresh() { return database_->CatchUp(engine_); }

uint64_t Store::journal_seq() const { return database_->journal_seq; }

bool Store::read_only() const { return database_->options.read_only; }

absl::StatusOr<JournalCheck> Store::VerifyJournal() const { return database_->VerifyJournal(); }

absl::StatusOr<std::vector<JournalEntry>> Store::ReadJournal(uint64_t after_seq,
                                                              size_t limit) const {
  if (limit < 1 || limit > kJournalEntriesPerReadMax) {
    return absl::InvalidArgumentError(absl::StrCat("ReadJournal: limit ", limit,
                                                   " is outside 1..", kJournalEntriesPerReadMax));
  }
  absl::StatusOr<std::vector<Database::JournalRow>> rows =
      database_->ReadJournalRows(after_seq, limit);
  if (!rows.ok()) return rows.status();
  std::vector<JournalEntry> entries;
  entries.reserve(rows->size());
  for (Database::JournalRow& row : *rows) {
    JournalEntry& entry = entries.emplace_back();
    entry.seq = row.seq;
    entry.op = row.op;
    entry.op_name = std::string(internal::JournalOpName(row.op));
    entry.committed_at = absl::FromUnixMicros(row.committed_at_us);
    entry.clock = internal::FromMicros(row.clock_us);
    entry.args = std::move(row.args);
    std::copy(row.hash.begin(), row.hash.end(), entry.hash.begin());
  }
  return entries;
}

}  // namespace vaxalloc
