#include "bench/sql_baseline.h"

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <tuple>
#include <memory>
#include <vector>

#include "fmt/format.h"

namespace vaxalloc::bench {
namespace {

int64_t Day(absl::CivilDay day) { return day - absl::CivilDay(1970, 1, 1); }

struct Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close(handle); }
  absl::Status Error(const std::string& what) const {
    return absl::InternalError(fmt::format("baseline {}: {}", what, sqlite3_errmsg(handle)));
  }
  absl::Status Exec(const char* sql) const {
    if (sqlite3_exec(handle, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Error(sql);
    return absl::OkStatus();
  }
};

struct Statement {
  sqlite3_stmt* handle = nullptr;
  ~Statement() { sqlite3_finalize(handle); }
};

absl::Status Prepare(const Db& db, const char* sql, Statement& statement) {
  if (sqlite3_prepare_v3(db.handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement.handle,
                         nullptr) != SQLITE_OK) {
    return db.Error(sql);
  }
  return absl::OkStatus();
}

absl::Status Open(const std::string& path, Db& db) {
  if (sqlite3_open(path.c_str(), &db.handle) != SQLITE_OK) return db.Error("open");
  return db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
}

// Binds integers 1..n and steps once (for INSERT and UPDATE).
template <class... Values>
absl::Status Run(const Db& db, Statement& statement, Values... values) {
  int index = 0;
  ((sqlite3_bind_int64(statement.handle, ++index, static_cast<int64_t>(values))), ...);
  const int rc = sqlite3_step(statement.handle);
  sqlite3_reset(statement.handle);
  if (rc != SQLITE_DONE) return db.Error("step");
  return absl::OkStatus();
}

#define RETURN_IF_ERROR(expr)         \
  do {                                \
    absl::Status status_ = (expr);    \
    if (!status_.ok()) return status_; \
  } while (0)

}  // namespace

absl::Status BuildBaseline(const std::string& path, const Scenario& scenario) {
  std::filesystem::remove(path);
  Db db;
  RETURN_IF_ERROR(Open(path, db));
  RETURN_IF_ERROR(db.Exec(R"sql(
    CREATE TABLE vaccines(id INTEGER PRIMARY KEY, doses INT, interval_min INT, interval_target INT,
                          interval_max INT, age_min INT, age_max INT);
    CREATE TABLE center_districts(center INT, district INT, PRIMARY KEY(center, district));
    CREATE TABLE slots(id INTEGER PRIMARY KEY, center INT, vaccine INT, day INT, minute INT,
                       seats_first INT, booked_first INT, seats_second INT, booked_second INT);
    CREATE TABLE registrants(id INTEGER PRIMARY KEY, ref TEXT UNIQUE, district INT, birth_day INT,
                             tier INT, registered_at INT, preference INT, status INT);
    CREATE TABLE series(id INTEGER PRIMARY KEY, registrant INT, center INT, vaccine INT,
                        day1 INT, minute1 INT, day2 INT, minute2 INT);
    BEGIN;)sql"));
  Statement vaccine, center_district, slot, registrant;
  RETURN_IF_ERROR(Prepare(db, "INSERT INTO vaccines VALUES(?,?,?,?,?,?,?)", vaccine));
  RETURN_IF_ERROR(Prepare(db, "INSERT INTO center_districts VALUES(?,?)", center_district));
  RETURN_IF_ERROR(Prepare(
      db,
      "INSERT INTO slots(center,vaccine,day,minute,seats_first,booked_first,seats_second,"
      "booked_second) VALUES(?,?,?,?,?,0,?,0)",
      slot));
  RETURN_IF_ERROR(Prepare(db, "INSERT INTO registrants VALUES(?,?,?,?,?,?,?,0)", registrant));
  for (size_t i = 0; i < scenario.vaccines.size(); ++i) {
    const VaccineSpec& v = scenario.vaccines[i];
    RETURN_IF_ERROR(Run(db, vaccine, i + 1, v.dose_count, v.interval_days_min,
                        v.interval_days_target, v.interval_days_max, v.age_years_min,
                        v.age_years_max));
  }
  for (size_t c = 0; c < scenario.centers.size(); ++c) {
    for (DistrictId district : scenario.centers[c].districts) {
      RETURN_IF_ERROR(Run(db, center_district, c + 1, district));
    }
  }
  // Blocks may overlap; an engineer would sum them the same way.
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t>, std::pair<int64_t, int64_t>> seats;
  for (const CapacityBlock& block : scenario.capacity) {
    for (absl::CivilDay day = block.first_day; day <= block.last_day; ++day) {
      const int weekday = static_cast<int>(absl::GetWeekday(day));  // Monday = 0
      if ((block.weekdays & (1 << weekday)) == 0) continue;
      for (int minute = block.open_minute; minute + block.slot_minutes <= block.close_minute;
           minute += block.slot_minutes) {
        auto& s = seats[{block.center, block.vaccine, Day(day), minute}];
        s.first += block.seats_first;
        s.second += block.seats_second;
      }
    }
  }
  for (const auto& [key, s] : seats) {
    const auto& [center, vaccine_id, day, minute] = key;
    RETURN_IF_ERROR(Run(db, slot, center, vaccine_id, day, minute, s.first, s.second));
  }
  for (size_t i = 0; i < scenario.registrants.size(); ++i) {
    const RegistrantSpec& r = scenario.registrants[i];
    int tier = static_cast<int>(r.group);
    for (const TierRule& rule : scenario.policy.tier_rules) {
      if (r.registered_at < rule.registered_before) {
        tier = rule.tier_by_group[static_cast<int>(r.group) - 1];
        break;
      }
    }
    sqlite3_bind_int64(registrant.handle, 1, static_cast<int64_t>(i + 1));
    sqlite3_bind_text(registrant.handle, 2, r.external_ref.data(),
                      static_cast<int>(r.external_ref.size()), SQLITE_STATIC);
    sqlite3_bind_int64(registrant.handle, 3, r.district);
    sqlite3_bind_int64(registrant.handle, 4, Day(r.birth_day));
    sqlite3_bind_int64(registrant.handle, 5, tier);
    sqlite3_bind_int64(registrant.handle, 6, absl::ToUnixSeconds(r.registered_at));
    sqlite3_bind_int64(registrant.handle, 7, r.vaccine_preference);
    const int rc = sqlite3_step(registrant.handle);
    sqlite3_reset(registrant.handle);
    if (rc != SQLITE_DONE) return db.Error("insert registrant");
  }
  return db.Exec(R"sql(
    COMMIT;
    CREATE INDEX slots_by_day ON slots(center, vaccine, day, minute);
    CREATE INDEX registrants_waiting ON registrants(district, tier, status);
    ANALYZE;)sql");
}

absl::StatusOr<uint64_t> RunBaselineDraw(const std::string& path, const Scenario& scenario,
                                         const DrawRequest& request) {
  Db db;
  RETURN_IF_ERROR(Open(path, db));
  Statement candidates, first, second, book_first, book_second, add_series, schedule;
  RETURN_IF_ERROR(Prepare(db,
                          "SELECT r.id, r.birth_day, r.preference FROM registrants r "
                          "JOIN center_districts cd ON cd.district = r.district "
                          "WHERE cd.center = ? AND r.tier = ? AND r.status = 0 "
                          "AND r.registered_at <= ? ORDER BY random()",
                          candidates));
  RETURN_IF_ERROR(Prepare(db,
                          "SELECT id, day, minute FROM slots WHERE center = ? AND vaccine = ? "
                          "AND day BETWEEN ? AND ? AND booked_first < seats_first "
                          "ORDER BY day, minute LIMIT 1",
                          first));
  RETURN_IF_ERROR(Prepare(db,
                          "SELECT id, day, minute FROM slots WHERE center = ? AND vaccine = ? "
                          "AND day BETWEEN ? AND ? AND booked_second < seats_second "
                          "ORDER BY abs(day - ?), day, minute LIMIT 1",
                          second));
  RETURN_IF_ERROR(
      Prepare(db, "UPDATE slots SET booked_first = booked_first + 1 WHERE id = ?", book_first));
  RETURN_IF_ERROR(
      Prepare(db, "UPDATE slots SET booked_second = booked_second + 1 WHERE id = ?", book_second));
  RETURN_IF_ERROR(Prepare(db, "INSERT INTO series VALUES(NULL,?,?,?,?,?,?,?)", add_series));
  RETURN_IF_ERROR(Prepare(db, "UPDATE registrants SET status = 1 WHERE id = ?", schedule));
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  const int64_t window_first = Day(request.first_dose_from);
  const int64_t window_last = Day(request.first_dose_until);
  uint64_t assigned = 0;
  const uint64_t limit = request.series_limit ? request.series_limit : UINT64_MAX;
  for (int tier = 1; tier <= kTierMax && assigned < limit; ++tier) {
    for (size_t center = 1; center <= scenario.centers.size() && assigned < limit; ++center) {
      sqlite3_bind_int64(candidates.handle, 1, static_cast<int64_t>(center));
      sqlite3_bind_int64(candidates.handle, 2, tier);
      sqlite3_bind_int64(candidates.handle, 3, absl::ToUnixSeconds(request.at));
      // Read the tier's candidates first: the loop below updates their rows.
      std::vector<std::tuple<int64_t, int64_t, int64_t>> people;
      while (sqlite3_step(candidates.handle) == SQLITE_ROW) {
        people.emplace_back(sqlite3_column_int64(candidates.handle, 0),
                            sqlite3_column_int64(candidates.handle, 1),
                            sqlite3_column_int64(candidates.handle, 2));
      }
      sqlite3_reset(candidates.handle);
      for (const auto& [id, birth_day, preference] : people) {
        if (assigned >= limit) break;
        for (size_t v = 1; v <= scenario.vaccines.size(); ++v) {
          const VaccineSpec& vaccine = scenario.vaccines[v - 1];
          if (preference != 0 && preference != static_cast<int64_t>(v)) continue;
          int64_t from = window_first;
          if (vaccine.age_years_min > 0) from = std::max(from, birth_day + 365 * vaccine.age_years_min + vaccine.age_years_min / 4);
          sqlite3_bind_int64(first.handle, 1, static_cast<int64_t>(center));
          sqlite3_bind_int64(first.handle, 2, static_cast<int64_t>(v));
          sqlite3_bind_int64(first.handle, 3, from);
          sqlite3_bind_int64(first.handle, 4, window_last);
          if (sqlite3_step(first.handle) != SQLITE_ROW) {
            sqlite3_reset(first.handle);
            continue;
          }
          const int64_t slot1 = sqlite3_column_int64(first.handle, 0);
          const int64_t day1 = sqlite3_column_int64(first.handle, 1);
          const int64_t minute1 = sqlite3_column_int64(first.handle, 2);
          sqlite3_reset(first.handle);
          int64_t slot2 = 0, day2 = 0, minute2 = 0;
          if (vaccine.dose_count == 2) {
            sqlite3_bind_int64(second.handle, 1, static_cast<int64_t>(center));
            sqlite3_bind_int64(second.handle, 2, static_cast<int64_t>(v));
            sqlite3_bind_int64(second.handle, 3, day1 + vaccine.interval_days_min);
            sqlite3_bind_int64(second.handle, 4, day1 + vaccine.interval_days_max);
            sqlite3_bind_int64(second.handle, 5, day1 + vaccine.interval_days_target);
            const bool found = sqlite3_step(second.handle) == SQLITE_ROW;
            if (found) {
              slot2 = sqlite3_column_int64(second.handle, 0);
              day2 = sqlite3_column_int64(second.handle, 1);
              minute2 = sqlite3_column_int64(second.handle, 2);
            }
            sqlite3_reset(second.handle);
            if (!found) continue;
            RETURN_IF_ERROR(Run(db, book_second, slot2));
          }
          RETURN_IF_ERROR(Run(db, book_first, slot1));
          RETURN_IF_ERROR(Run(db, add_series, id, center, v, day1, minute1, day2, minute2));
          RETURN_IF_ERROR(Run(db, schedule, id));
          ++assigned;
          break;
        }
      }
    }
  }
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  return assigned;
}

}  // namespace vaxalloc::bench
