// Builders and checks shared by the engine's doctest suites.
#ifndef VAXALLOC_TESTS_TEST_SUPPORT_H_
#define VAXALLOC_TESTS_TEST_SUPPORT_H_

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/types.h"

namespace vaxalloc::testing {

// The sqlite3 shell's view of a campaign file: edits behind the library's back.
inline void Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(code == SQLITE_OK, sql, ": ", message);
}

// VAXALLOC_TEST_SCALE=small (set for the sanitizer build) shrinks big cases.
inline bool SmallScale() {
  const char* scale = std::getenv("VAXALLOC_TEST_SCALE");
  return scale != nullptr && std::string_view(scale) == "small";
}

// A fresh directory under the system temp dir, removed with everything in it;
// `suite` names it ("vaxalloc_<suite>_<pid>_<n>_<random>").
class TempDir {
 public:
  explicit TempDir(std::string_view suite) {
    static std::atomic<int> counter{0};
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("vaxalloc_" + std::string(suite) + "_" + std::to_string(getpid()) + "_" +
             std::to_string(counter++) + "_" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// All times in the tests are UTC: only their order matters to the engine.
inline absl::Time At(int year, int month, int day, int hour = 0, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), absl::UTCTimeZone());
}

inline absl::Status StatusOf(const absl::Status& status) { return status; }
template <class T>
absl::Status StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// Asserts success and returns the value (REQUIRE stops the test case).
template <class T>
T Ok(absl::StatusOr<T> result) {
  REQUIRE_MESSAGE(result.ok(), result.status());
  return *std::move(result);
}
inline void Ok(const absl::Status& status) { REQUIRE_MESSAGE(status.ok(), status); }

inline VaccineSpec TwoDose(std::string code, int interval_days_min = 21,
                           int interval_days_target = 21, int interval_days_max = 42) {
  VaccineSpec spec;
  spec.name = "Vaccine " + code;
  spec.code = std::move(code);
  spec.dose_count = 2;
  spec.interval_days_min = interval_days_min;
  spec.interval_days_target = interval_days_target;
  spec.interval_days_max = interval_days_max;
  return spec;
}

inline VaccineSpec OneDose(std::string code) {
  VaccineSpec spec = TwoDose(std::move(code));
  spec.dose_count = 1;
  return spec;
}

inline CenterSpec CenterOf(std::string code, std::vector<DistrictId> districts) {
  CenterSpec spec;
  spec.name = "Impfzentrum " + code;
  spec.code = std::move(code);
  spec.districts = std::move(districts);
  return spec;
}

inline CapacityBlock Block(CenterId center, VaccineId vaccine, absl::CivilDay first_day,
                           absl::CivilDay last_day, int open_minute, int close_minute,
                           int slot_minutes, int seats_first, int seats_second,
                           uint8_t weekdays = kEveryDay) {
  CapacityBlock block;
  block.center = center;
  block.vaccine = vaccine;
  block.first_day = first_day;
  block.last_day = last_day;
  block.weekdays = weekdays;
  block.open_minute = open_minute;
  block.close_minute = close_minute;
  block.slot_minutes = slot_minutes;
  block.seats_first = seats_first;
  block.seats_second = seats_second;
  return block;
}

inline SupplyDelivery Supply(CenterId center, VaccineId vaccine, absl::CivilDay day,
                             int64_t doses) {
  SupplyDelivery delivery;
  delivery.center = center;
  delivery.vaccine = vaccine;
  delivery.day = day;
  delivery.doses = doses;
  return delivery;
}

inline RegistrantSpec Person(std::string ref, DistrictId district, PriorityGroup group,
                             absl::Time registered_at,
                             absl::CivilDay birth_day = absl::CivilDay(1950, 1, 1)) {
  RegistrantSpec spec;
  spec.external_ref = std::move(ref);
  spec.district = district;
  spec.birth_day = birth_day;
  spec.group = group;
  spec.registered_at = registered_at;
  return spec;
}

}  // namespace vaxalloc::testing

// The call must fail with `expected_code`.
#define CHECK_CODE(expected_code, ...)                                              \
  do {                                                                              \
    const absl::Status status_ = ::vaxalloc::testing::StatusOf(__VA_ARGS__);        \
    CHECK_MESSAGE(status_.code() == (expected_code), #__VA_ARGS__ " -> ", status_); \
  } while (0)

#endif  // VAXALLOC_TESTS_TEST_SUPPORT_H_
