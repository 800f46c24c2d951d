// The C ABI (vaxalloc.h) over vaxalloc::Store: one mechanical translation
// per function, as LevelDB's db/c.cc. Every rule of the domain lives in the
// core; this file only converts types, checks what C cannot express (NULL
// pointers, enum ranges, struct versions, array bounds) and turns
// absl::Status and C++ exceptions into result codes, each in one helper:
// CodeOf() and Call().
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"
// Defines the same VAXALLOC_VERSION_* macros as vaxalloc.h: should the two
// ever differ, this include fails to compile (GCC warns of a redefined macro
// by default, and the library is built with -Werror).
#include "vaxalloc/version.h"

namespace {

namespace vx = vaxalloc;

// --- The C header mirrors the core: checked here, at compile time. ---------

static_assert(VAXALLOC_VERSION_NUMBER == VAXALLOC_VERSION_MAJOR * 1000000 +
                                             VAXALLOC_VERSION_MINOR * 1000 +
                                             VAXALLOC_VERSION_PATCH);
static_assert(VAXALLOC_CODE_LENGTH_MAX == vx::kCodeLengthMax);
static_assert(VAXALLOC_NAME_LENGTH_MAX == vx::kNameLengthMax);
static_assert(VAXALLOC_EXTERNAL_REF_LENGTH_MAX == vx::kExternalRefLengthMax);
static_assert(VAXALLOC_TIER_MAX == vx::kTierMax);
static_assert(VAXALLOC_DOSE_COUNT_MAX == vx::kDoseCountMax);
static_assert(VAXALLOC_PRIORITY_GROUP_COUNT == vx::kPriorityGroupCount);
static_assert(VAXALLOC_NO_ID == vx::kNoId);
static_assert(VAXALLOC_GROUP_1 == static_cast<int>(vx::PriorityGroup::kGroup1));
static_assert(VAXALLOC_GROUP_2 == static_cast<int>(vx::PriorityGroup::kGroup2));
static_assert(VAXALLOC_GROUP_3 == static_cast<int>(vx::PriorityGroup::kGroup3));
static_assert(VAXALLOC_GROUP_NONE == static_cast<int>(vx::PriorityGroup::kNone));
static_assert(VAXALLOC_CHANNEL_ONLINE == static_cast<int>(vx::Channel::kOnline));
static_assert(VAXALLOC_CHANNEL_PHONE == static_cast<int>(vx::Channel::kPhone));
static_assert(VAXALLOC_REGISTRANT_WAITING == static_cast<int>(vx::RegistrantStatus::kWaiting));
static_assert(VAXALLOC_REGISTRANT_SCHEDULED == static_cast<int>(vx::RegistrantStatus::kScheduled));
static_assert(VAXALLOC_REGISTRANT_WITHDRAWN == static_cast<int>(vx::RegistrantStatus::kWithdrawn));
static_assert(VAXALLOC_REGISTRANT_VACCINATED ==
              static_cast<int>(vx::RegistrantStatus::kVaccinated));
static_assert(VAXALLOC_SERIES_ACTIVE == static_cast<int>(vx::SeriesStatus::kActive));
static_assert(VAXALLOC_SERIES_CANCELLED == static_cast<int>(vx::SeriesStatus::kCancelled));
static_assert(VAXALLOC_SERIES_HELD == static_cast<int>(vx::SeriesStatus::kHeld));
static_assert(VAXALLOC_SERIES_LAPSED == static_cast<int>(vx::SeriesStatus::kLapsed));
static_assert(VAXALLOC_SERIES_COMPLETED == static_cast<int>(vx::SeriesStatus::kCompleted));
static_assert(VAXALLOC_SERIES_MISSED == static_cast<int>(vx::SeriesStatus::kMissed));
static_assert(VAXALLOC_DOSE_BOOKED == static_cast<int>(vx::DoseState::kBooked));
static_assert(VAXALLOC_DOSE_GIVEN == static_cast<int>(vx::DoseState::kGiven));
static_assert(VAXALLOC_DOSE_MISSED == static_cast<int>(vx::DoseState::kMissed));
static_assert(VAXALLOC_DOSE_RELEASED == static_cast<int>(vx::DoseState::kReleased));
static_assert(VAXALLOC_ORIGIN_DRAW == static_cast<int>(vx::SeriesOrigin::kDraw));
static_assert(VAXALLOC_ORIGIN_RELEASE == static_cast<int>(vx::SeriesOrigin::kRelease));
static_assert(VAXALLOC_ORIGIN_SHORT_NOTICE == static_cast<int>(vx::SeriesOrigin::kShortNotice));
static_assert(VAXALLOC_ORIGIN_STANDBY == static_cast<int>(vx::SeriesOrigin::kStandby));
static_assert(VAXALLOC_BOOKING_RELEASE == static_cast<int>(vx::BookingMode::kRelease));
static_assert(VAXALLOC_BOOKING_SHORT_NOTICE == static_cast<int>(vx::BookingMode::kShortNotice));
static_assert(VAXALLOC_BOOKING_STANDBY == static_cast<int>(vx::BookingMode::kStandby));
static_assert(VAXALLOC_CODE_PURPOSE_CANCEL_SERIES ==
              static_cast<int>(vx::CodePurpose::kCancelSeries));
static_assert(VAXALLOC_CODE_PURPOSE_WITHDRAW == static_cast<int>(vx::CodePurpose::kWithdraw));
static_assert(VAXALLOC_CODE_STATE_PENDING == static_cast<int>(vx::CodeState::kPending));
static_assert(VAXALLOC_CODE_STATE_USED == static_cast<int>(vx::CodeState::kUsed));
static_assert(VAXALLOC_CODE_STATE_LOCKED == static_cast<int>(vx::CodeState::kLocked));
static_assert(VAXALLOC_CODE_STATE_SUPERSEDED == static_cast<int>(vx::CodeState::kSuperseded));
static_assert(VAXALLOC_CODE_OUTCOME_ACCEPTED == static_cast<int>(vx::CodeOutcome::kAccepted));
static_assert(VAXALLOC_CODE_OUTCOME_WRONG == static_cast<int>(vx::CodeOutcome::kWrong));
static_assert(VAXALLOC_CODE_OUTCOME_EXPIRED == static_cast<int>(vx::CodeOutcome::kExpired));
static_assert(VAXALLOC_CODE_OUTCOME_LOCKED == static_cast<int>(vx::CodeOutcome::kLocked));
static_assert(VAXALLOC_CODE_OUTCOME_NOT_PENDING == static_cast<int>(vx::CodeOutcome::kNotPending));
static_assert(VAXALLOC_VERIFICATION_DIGITS_MIN == vx::kCodeDigitsMin);
static_assert(VAXALLOC_VERIFICATION_DIGITS_MAX == vx::kCodeDigitsMax);
static_assert(VAXALLOC_VERIFICATION_LIFETIME_MINUTES_MAX == vx::kCodeLifetimeMinutesMax);
static_assert(VAXALLOC_VERIFICATION_ATTEMPTS_MAX == vx::kCodeAttemptsMax);
static_assert(VAXALLOC_VERIFICATION_CODES_PER_DAY_MAX == vx::kCodesPerDayMax);
static_assert(VAXALLOC_VERIFICATION_CODES_PER_REGISTRANT_MAX == vx::kCodesPerRegistrantMax);
static_assert(VAXALLOC_VERIFICATION_CODES_MAX == vx::kCodesMax);
static_assert(std::is_same_v<vx::CodeId, uint32_t>);
static_assert(VAXALLOC_OUTCOME_GIVEN == static_cast<int>(vx::DoseOutcome::kGiven));
static_assert(VAXALLOC_OUTCOME_MISSED == static_cast<int>(vx::DoseOutcome::kMissed));
static_assert(VAXALLOC_TIME_ZONE_LENGTH_MAX == vx::kTimeZoneLengthMax);
static_assert(VAXALLOC_HOLD_MINUTES_MAX == vx::kHoldMinutesMax);
static_assert(VAXALLOC_SHORT_NOTICE_DAYS_MAX == vx::kShortNoticeDaysMax);
static_assert(VAXALLOC_DRAW_LEAD_DAYS_MAX == vx::kDrawLeadDaysMax);
static_assert(VAXALLOC_OVERBOOK_PERMILLE_MAX == vx::kOverbookPermilleMax);
static_assert(std::is_same_v<vx::ReleaseId, uint32_t>);
static_assert(VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY ==
              static_cast<int>(vx::ResidenceRule::kHomeDistrictOnly));
static_assert(VAXALLOC_RESIDENCE_HOME_OR_NEIGHBOUR_DISTRICT ==
              static_cast<int>(vx::ResidenceRule::kHomeOrNeighbourDistrict));
static_assert(VAXALLOC_MONDAY == vx::kMonday && VAXALLOC_SUNDAY == vx::kSunday &&
              VAXALLOC_EVERY_DAY == vx::kEveryDay);
static_assert(std::is_same_v<vx::DistrictId, uint32_t> && std::is_same_v<vx::SeriesId, uint32_t>);
static_assert(VAXALLOC_EVENT_SERIES_ASSIGNED == static_cast<int>(vx::EventKind::kSeriesAssigned));
static_assert(VAXALLOC_EVENT_SERIES_CANCELLED == static_cast<int>(vx::EventKind::kSeriesCancelled));
static_assert(VAXALLOC_EVENT_REGISTRANT_WITHDRAWN ==
              static_cast<int>(vx::EventKind::kRegistrantWithdrawn));
static_assert(VAXALLOC_EVENT_SERIES_BOOKED == static_cast<int>(vx::EventKind::kSeriesBooked));
static_assert(VAXALLOC_EVENT_SECOND_DOSE_REBOOKED ==
              static_cast<int>(vx::EventKind::kSecondDoseRebooked));
static_assert(VAXALLOC_EVENT_CODE_ISSUED == static_cast<int>(vx::EventKind::kCodeIssued));
static_assert(VAXALLOC_EVENTS_PER_READ_MAX == vx::kEventsPerReadMax);
static_assert(std::is_same_v<vx::RegistrantId, uint32_t> && std::is_same_v<vx::DrawId, uint32_t>);
// vaxalloc_event is frozen: its layout is part of the ABI (x86-64 and
// AArch64 align uint64_t and int64_t to 8 bytes).
static_assert(sizeof(vaxalloc_event) == 40 && alignof(vaxalloc_event) == 8);
static_assert(offsetof(vaxalloc_event, id) == 0 && offsetof(vaxalloc_event, kind) == 8 &&
              offsetof(vaxalloc_event, at) == 16 && offsetof(vaxalloc_event, registrant) == 24 &&
              offsetof(vaxalloc_event, series) == 28 && offsetof(vaxalloc_event, draw) == 32);
// vaxalloc_event_v2 is frozen too, and begins as vaxalloc_event does.
static_assert(sizeof(vaxalloc_event_v2) == 56 && alignof(vaxalloc_event_v2) == 8);
static_assert(offsetof(vaxalloc_event_v2, id) == 0 && offsetof(vaxalloc_event_v2, kind) == 8 &&
              offsetof(vaxalloc_event_v2, at) == 16 &&
              offsetof(vaxalloc_event_v2, registrant) == 24 &&
              offsetof(vaxalloc_event_v2, series) == 28 &&
              offsetof(vaxalloc_event_v2, draw) == 32 &&
              offsetof(vaxalloc_event_v2, code_id) == 36 &&
              offsetof(vaxalloc_event_v2, digits) == 40);
// vaxalloc_slot is frozen, and vaxalloc_slot_v2 begins as it does.
static_assert(sizeof(vaxalloc_slot) == 24 && alignof(vaxalloc_slot) == 4);
static_assert(sizeof(vaxalloc_slot_v2) == 32 && alignof(vaxalloc_slot_v2) == 4);
static_assert(offsetof(vaxalloc_slot_v2, day) == offsetof(vaxalloc_slot, day) &&
              offsetof(vaxalloc_slot_v2, minute) == offsetof(vaxalloc_slot, minute) &&
              offsetof(vaxalloc_slot_v2, seats_first) == offsetof(vaxalloc_slot, seats_first) &&
              offsetof(vaxalloc_slot_v2, seats_second) == offsetof(vaxalloc_slot, seats_second) &&
              offsetof(vaxalloc_slot_v2, booked_first) == offsetof(vaxalloc_slot, booked_first) &&
              offsetof(vaxalloc_slot_v2, booked_second) == offsetof(vaxalloc_slot, booked_second) &&
              offsetof(vaxalloc_slot_v2, bookable_first) == 24 &&
              offsetof(vaxalloc_slot_v2, bookable_second) == 28);
static_assert(sizeof(vaxalloc_day_attendance) == 24 && alignof(vaxalloc_day_attendance) == 8);
static_assert(offsetof(vaxalloc_day_attendance, missed) == 12 &&
              offsetof(vaxalloc_day_attendance, no_show_rate) == 16);

// --- Errors ------------------------------------------------------------------

// A last-error record. Setting it never throws: when the message cannot be
// copied (out of memory) the code's static name stands in for it.
class ErrorSlot {
 public:
  void Set(int code, std::string_view message) noexcept {
    code_ = code;
    try {
      text_.assign(message.data(), message.size());
      fallback_ = nullptr;
    } catch (...) {
      text_.clear();
      fallback_ = vaxalloc_errstr(code);
    }
  }
  int code() const noexcept { return code_; }
  const char* c_str() const noexcept { return fallback_ != nullptr ? fallback_ : text_.c_str(); }

 private:
  int code_ = VAXALLOC_OK;
  std::string text_;
  const char* fallback_ = nullptr;
};

thread_local ErrorSlot thread_last_error;

// The one mapping of the core's status codes to C result codes.
int CodeOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return VAXALLOC_OK;
    case absl::StatusCode::kInvalidArgument:
      return VAXALLOC_EINVALID;
    case absl::StatusCode::kNotFound:
      return VAXALLOC_ENOTFOUND;
    case absl::StatusCode::kAlreadyExists:
      return VAXALLOC_EEXISTS;
    case absl::StatusCode::kFailedPrecondition:
      return VAXALLOC_EPRECONDITION;
    case absl::StatusCode::kResourceExhausted:
      return VAXALLOC_EEXHAUSTED;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
      return VAXALLOC_EBUSY;
    case absl::StatusCode::kDataLoss:
      return VAXALLOC_ECORRUPT;
    case absl::StatusCode::kOutOfRange:
      return VAXALLOC_ERANGE;
    case absl::StatusCode::kPermissionDenied:
      return VAXALLOC_EPERM;
    case absl::StatusCode::kUnauthenticated:  // only a refused verification code
      return VAXALLOC_EVERIFY;
    case absl::StatusCode::kInternal:
      return VAXALLOC_EINTERNAL;
    default:
      return VAXALLOC_ERROR;  // kUnknown, kCancelled, kUnimplemented
  }
}

// What a translated call produced: a result code and its message.
struct Outcome {
  int code = VAXALLOC_OK;
  std::string message;

  Outcome() = default;
  Outcome(int code_in, std::string message_in) : code(code_in), message(std::move(message_in)) {}
  Outcome(const absl::Status& status)  // NOLINT: implicit on purpose
      : code(CodeOf(status.code())), message(std::string(status.message())) {}
  bool ok() const { return code == VAXALLOC_OK; }
};

template <class... Args>
Outcome Fail(int code, fmt::format_string<Args...> format, Args&&... args) {
  return Outcome(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace

struct vaxalloc_campaign {
  mutable std::mutex mutex;  // serializes every call on the handle
  std::unique_ptr<vx::Store> store;
  ErrorSlot error;  // guarded by mutex
  // What vaxalloc_journal_entry_get lends until the next call.
  vx::JournalEntry journal_entry;  // guarded by mutex
};

namespace {

int Record(vaxalloc_campaign* campaign, int code, std::string_view message) noexcept {
  if (campaign != nullptr) campaign->error.Set(code, message);
  thread_last_error.Set(code, message);
  return code;
}

// The one exception boundary: runs `fn` (returning Outcome) under the
// handle's mutex, if there is a handle, and records the result.
template <class Fn>
int Call(vaxalloc_campaign* campaign, Fn&& fn) noexcept {
  std::unique_lock<std::mutex> lock;
  try {
    if (campaign != nullptr) lock = std::unique_lock<std::mutex>(campaign->mutex);
    const Outcome outcome = fn();
    return Record(campaign, outcome.code, outcome.message);
  } catch (const std::bad_alloc&) {
    return Record(campaign, VAXALLOC_ENOMEM, "out of memory");
  } catch (const std::exception& exception) {
    return Record(campaign, VAXALLOC_EINTERNAL, exception.what());
  } catch (...) {
    return Record(campaign, VAXALLOC_EINTERNAL, "unknown C++ exception inside vaxalloc");
  }
}

// For functions on a handle: rejects a NULL handle, catches up with what
// other connections committed (unless `catch_up` is off: the journal's own
// inspection, which must work on a journal that no longer chains), then runs
// fn(store).
template <class Fn>
int CallOn(vaxalloc_campaign* campaign, const char* function, Fn&& fn,
           bool catch_up = true) noexcept {
  if (campaign == nullptr) {
    return Call(nullptr, [&] {
      return Fail(VAXALLOC_EINVALID, "{}: the campaign handle is NULL", function);
    });
  }
  return Call(campaign, [&]() -> Outcome {
    if (catch_up) {
      const absl::Status refreshed = campaign->store->Refresh();
      if (!refreshed.ok()) return refreshed;
    }
    return fn(*campaign->store);
  });
}

// --- Arguments ---------------------------------------------------------------

Outcome NullArgument(const char* function, const char* name) {
  return Fail(VAXALLOC_EINVALID, "{}: {} is NULL", function, name);
}

#define VAXALLOC_C_REQUIRE(pointer)                                    \
  do {                                                                 \
    if ((pointer) == nullptr) return NullArgument(function, #pointer); \
  } while (0)

#define VAXALLOC_C_RETURN_IF_ERROR(expr) \
  do {                                   \
    Outcome outcome_ = (expr);           \
    if (!outcome_.ok()) return outcome_; \
  } while (0)

// The name and current version of each versioned struct.
template <class T>
struct StructInfo;
#define VAXALLOC_C_STRUCT(type, current)          \
  template <>                                     \
  struct StructInfo<type> {                       \
    static constexpr uint32_t kVersion = current; \
    static constexpr const char* kName = #type;   \
  }
VAXALLOC_C_STRUCT(vaxalloc_open_options, VAXALLOC_OPEN_OPTIONS_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_district, VAXALLOC_DISTRICT_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_vaccine_spec, VAXALLOC_VACCINE_SPEC_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_vaccine, VAXALLOC_VACCINE_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_center_spec, VAXALLOC_CENTER_SPEC_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_center, VAXALLOC_CENTER_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_capacity_block, VAXALLOC_CAPACITY_BLOCK_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_supply_delivery, VAXALLOC_SUPPLY_DELIVERY_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_policy, VAXALLOC_POLICY_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_policy_info, VAXALLOC_POLICY_INFO_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_registrant_spec, VAXALLOC_REGISTRANT_SPEC_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_registrant, VAXALLOC_REGISTRANT_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_draw_request, VAXALLOC_DRAW_REQUEST_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_draw_info, VAXALLOC_DRAW_INFO_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_series, VAXALLOC_SERIES_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_counts, VAXALLOC_COUNTS_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_report, VAXALLOC_REPORT_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_release_spec, VAXALLOC_RELEASE_SPEC_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_release, VAXALLOC_RELEASE_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_booking_request, VAXALLOC_BOOKING_REQUEST_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_code_request, VAXALLOC_CODE_REQUEST_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_code, VAXALLOC_CODE_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_wait_forecast, VAXALLOC_WAIT_FORECAST_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_journal_check, VAXALLOC_JOURNAL_CHECK_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_journal_entry, VAXALLOC_JOURNAL_ENTRY_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_draw_commitment, VAXALLOC_DRAW_COMMITMENT_VERSION);
VAXALLOC_C_STRUCT(vaxalloc_draw_fairness, VAXALLOC_DRAW_FAIRNESS_VERSION);

// The bytes a caller of struct version v has: kBytes[v - 1]. A struct that
// never grew has one layout; a grown one lists, per older version, the
// offset of the first field appended after it (never beyond that version's
// sizeof, whatever the padding), so that the library reads and writes only
// what an older caller allocated.
template <class T>
struct StructLayout {
  static constexpr std::array<size_t, 1> kBytes = {sizeof(T)};
};
#define VAXALLOC_C_LAYOUT(type, ...)                                  \
  template <>                                                         \
  struct StructLayout<type> {                                         \
    static constexpr std::array kBytes = {__VA_ARGS__, sizeof(type)}; \
  }
// 0.2 appended fields to these; version 1 is the 0.1 layout. 0.3 appended
// more to vaxalloc_policy, vaxalloc_policy_info and vaxalloc_registrant;
// version 2 is the 0.2 layout.
VAXALLOC_C_LAYOUT(vaxalloc_policy, offsetof(vaxalloc_policy, time_zone),
                  offsetof(vaxalloc_policy, draw_lead_days_online));
VAXALLOC_C_LAYOUT(vaxalloc_policy_info, offsetof(vaxalloc_policy_info, time_zone),
                  offsetof(vaxalloc_policy_info, draw_lead_days_online));
VAXALLOC_C_LAYOUT(vaxalloc_series, offsetof(vaxalloc_series, doses));
VAXALLOC_C_LAYOUT(vaxalloc_report, offsetof(vaxalloc_report, vaccinated));
VAXALLOC_C_LAYOUT(vaxalloc_registrant_spec, offsetof(vaxalloc_registrant_spec, standby));
// `erased` lies in what was the padding of version 2: a version-2 caller's
// byte there is never written.
VAXALLOC_C_LAYOUT(vaxalloc_registrant, offsetof(vaxalloc_registrant, standby),
                  offsetof(vaxalloc_registrant, erased));
// 0.4 appended read_only and verify_journal to version 1 (0.1-0.3).
VAXALLOC_C_LAYOUT(vaxalloc_open_options, offsetof(vaxalloc_open_options, read_only));
// 0.5 appended commitment to vaxalloc_draw_info (version 1: 0.1-0.4) and
// draw_commitments to vaxalloc_counts (version 2: 0.2-0.4; it lies in what
// was version 2's padding).
VAXALLOC_C_LAYOUT(vaxalloc_draw_info, offsetof(vaxalloc_draw_info, commitment));
VAXALLOC_C_LAYOUT(vaxalloc_counts, offsetof(vaxalloc_counts, releases),
                  offsetof(vaxalloc_counts, draw_commitments));
static_assert(offsetof(vaxalloc_draw_info, commitment) == 120);
static_assert(sizeof(vaxalloc_tier_fairness) == 32 &&
              offsetof(vaxalloc_tier_fairness, chi_square) == 24);
static_assert(vaxalloc::kFairnessBucketsMax == VAXALLOC_FAIRNESS_BUCKETS_MAX);
static_assert(vaxalloc::kLibraryVersionMax + 1 == VAXALLOC_LIBRARY_VERSION_SIZE);
static_assert(offsetof(vaxalloc_open_options, create_if_missing) == 16);
// The 0.1 sizes (x86-64 and AArch64): version 1 of each fits in them.
static_assert(StructLayout<vaxalloc_policy>::kBytes[0] == 64);
static_assert(StructLayout<vaxalloc_policy_info>::kBytes[0] == 24);
static_assert(StructLayout<vaxalloc_series>::kBytes[0] <= 72 &&
              offsetof(vaxalloc_series, category) == 64);
static_assert(StructLayout<vaxalloc_counts>::kBytes[0] == 56);
static_assert(StructLayout<vaxalloc_report>::kBytes[0] == 136);
static_assert(StructLayout<vaxalloc_registrant_spec>::kBytes[0] <= 48 &&
              offsetof(vaxalloc_registrant_spec, vaccine_preference) == 40);
static_assert(StructLayout<vaxalloc_registrant>::kBytes[0] <= 192 &&
              offsetof(vaxalloc_registrant, series) == 184);
// The 0.2 sizes: version 2 of each fits in them.
static_assert(StructLayout<vaxalloc_policy>::kBytes[1] == 112 &&
              offsetof(vaxalloc_policy, code_lifetime_seconds) == 104);
static_assert(StructLayout<vaxalloc_policy_info>::kBytes[1] == 136 &&
              offsetof(vaxalloc_policy_info, code_lifetime_seconds) == 128);
static_assert(StructLayout<vaxalloc_registrant>::kBytes[1] <= 192 &&
              offsetof(vaxalloc_registrant, standby) == 188);

template <class T>
size_t StructBytes(uint32_t version) {
  static_assert(StructLayout<T>::kBytes.size() == StructInfo<T>::kVersion,
                "a struct version without its size in StructLayout");
  return StructLayout<T>::kBytes[version - 1];  // CheckStruct/CheckVersion ran first
}

Outcome CheckVersion(const char* function, const char* struct_name, uint32_t version,
                     uint32_t current) {
  if (version == 0 || version > current) {
    return Fail(VAXALLOC_EVERSION,
                "{}: {} has struct version {}; this library (vaxalloc {}) knows versions "
                "1..{} (initialize the struct with its _INIT macro or _init function)",
                function, struct_name, version, VAXALLOC_VERSION_STRING, current);
  }
  return Outcome();
}

// A non-NULL struct of a version this library knows.
template <class T>
Outcome CheckStruct(const char* function, const char* argument, const T* value) {
  if (value == nullptr) return NullArgument(function, argument);
  if (value->version == 0 || value->version > StructInfo<T>::kVersion) {
    return CheckVersion(function, fmt::format("{} ({})", argument, StructInfo<T>::kName).c_str(),
                        value->version, StructInfo<T>::kVersion);
  }
  return Outcome();
}

// Writes a result into a caller's struct of a version we know: only the
// bytes of that version, with the caller's version number.
template <class T>
void WriteStruct(const T& value, T* out) {
  T copy = value;
  copy.version = out->version;
  std::memcpy(static_cast<void*>(out), &copy, StructBytes<T>(copy.version));
}

// Reads a caller's input struct of a version we know: the fields of that
// version, and `defaults` (those of the _init function) for the newer ones.
template <class T>
T ReadStruct(const T* in, const T& defaults) {
  T copy = defaults;
  std::memcpy(static_cast<void*>(&copy), static_cast<const void*>(in), StructBytes<T>(in->version));
  return copy;
}

Outcome CheckEnum(const char* function, const char* field, int32_t value, int32_t first,
                  int32_t last) {
  if (value < first || value > last) {
    return Fail(VAXALLOC_EINVALID, "{}: {} {} is not a valid value ({}..{})", function, field,
                value, first, last);
  }
  return Outcome();
}

Outcome CheckArray(const char* function, const char* field, const void* pointer, size_t count) {
  if (pointer == nullptr && count > 0) {
    return Fail(VAXALLOC_EINVALID, "{}: {} is NULL but its count is {}", function, field, count);
  }
  return Outcome();
}

// --- Values --------------------------------------------------------------------

constexpr absl::CivilDay kEpochDay(1970, 1, 1);

absl::CivilDay DayFromC(int32_t day) { return kEpochDay + day; }

static_assert(absl::CivilDay(vx::kYearMin, 1, 1) - kEpochDay == VAXALLOC_DAY_MIN);
static_assert(absl::CivilDay(vx::kYearMax, 12, 31) - kEpochDay == VAXALLOC_DAY_MAX);

absl::Time TimeFromC(int64_t seconds) {
  if (seconds == VAXALLOC_TIME_INFINITE_FUTURE) return absl::InfiniteFuture();
  if (seconds == VAXALLOC_TIME_INFINITE_PAST) return absl::InfinitePast();
  return absl::FromUnixSeconds(seconds);
}

// Rounds down to the second; the infinite times become INT64_MAX / INT64_MIN.
int64_t TimeToC(absl::Time time) {
  if (time == absl::InfiniteFuture()) return VAXALLOC_TIME_INFINITE_FUTURE;
  if (time == absl::InfinitePast()) return VAXALLOC_TIME_INFINITE_PAST;
  return absl::ToUnixSeconds(time);
}

// Collects the narrowing conversions of one result. The core keeps days as
// int32 day numbers and limits string lengths to the header's array sizes,
// so a failure here is a bug (VAXALLOC_EINTERNAL), never silent truncation.
class Narrow {
 public:
  explicit Narrow(const char* function) : function_(function) {}

  int32_t Day(absl::CivilDay day) {
    const int64_t number = day - kEpochDay;
    if (number < std::numeric_limits<int32_t>::min() ||
        number > std::numeric_limits<int32_t>::max()) {
      Problem(fmt::format("day {} does not fit an int32_t day number", absl::FormatCivilTime(day)));
      return 0;
    }
    return static_cast<int32_t>(number);
  }

  template <size_t N>
  void Text(std::string_view text, char (&out)[N], const char* field) {
    if (text.size() >= N) {
      Problem(fmt::format("{} is {} bytes long; the C array holds {}", field, text.size(), N - 1));
      out[0] = '\0';
      return;
    }
    std::memcpy(out, text.data(), text.size());
    std::memset(out + text.size(), 0, N - text.size());
  }

  template <class T>
  T Count(size_t count, const char* field) {
    if (count > std::numeric_limits<T>::max()) {
      Problem(fmt::format("{} {} does not fit the C field", field, count));
      return 0;
    }
    return static_cast<T>(count);
  }

  Outcome Result() const {
    if (problem_.empty()) return Outcome();
    return Fail(VAXALLOC_EINTERNAL, "{}: {}", function_, problem_);
  }

 private:
  void Problem(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }
  const char* function_;
  std::string problem_;
};

// Copies `items`, converted by `convert(narrow, item) -> T`, into a caller
// buffer (vaxalloc.h, "Caller buffers").
template <class T, class Items, class Convert>
Outcome CopyToBuffer(const char* function, const Items& items, T* out, size_t capacity,
                     size_t* count_out, Convert convert) {
  VAXALLOC_C_REQUIRE(count_out);
  if (out == nullptr && capacity > 0) {
    return Fail(VAXALLOC_EINVALID, "{}: out is NULL but capacity is {}", function, capacity);
  }
  const size_t needed = std::size(items);
  if (needed > capacity) {
    *count_out = needed;
    return Fail(VAXALLOC_EBUFFER, "{}: the buffer holds {} elements; {} are needed", function,
                capacity, needed);
  }
  Narrow narrow(function);
  std::vector<T> converted;
  converted.reserve(needed);
  for (const auto& item : items) converted.push_back(convert(narrow, item));
  VAXALLOC_C_RETURN_IF_ERROR(narrow.Result());
  std::copy(converted.begin(), converted.end(), out);
  *count_out = needed;
  return Outcome();
}

Outcome CopyIds(const char* function, const std::vector<uint32_t>& ids, uint32_t* out,
                size_t capacity, size_t* count_out) {
  return CopyToBuffer(function, ids, out, capacity, count_out,
                      [](Narrow&, uint32_t id) { return id; });
}

// --- Conversions from C --------------------------------------------------------

Outcome FromC(const char* function, const vaxalloc_open_options& in, vx::StoreOptions* out) {
  VAXALLOC_C_RETURN_IF_ERROR(CheckEnum(function, "options->durability", in.durability,
                                       VAXALLOC_DURABILITY_NORMAL, VAXALLOC_DURABILITY_FULL));
  out->durability =
      in.durability == VAXALLOC_DURABILITY_FULL ? vx::Durability::kFull : vx::Durability::kNormal;
  out->busy_timeout = absl::Milliseconds(in.busy_timeout_ms);
  out->create_if_missing = in.create_if_missing != 0;
  out->read_only = in.read_only != 0;
  out->verify_journal = in.verify_journal != 0;
  return Outcome();
}

Outcome FromC(const char* function, const vaxalloc_vaccine_spec& in, vx::VaccineSpec* out) {
  if (in.code == nullptr) return NullArgument(function, "spec->code");
  if (in.name == nullptr) return NullArgument(function, "spec->name");
  out->code = in.code;
  out->name = in.name;
  out->dose_count = in.dose_count;
  out->interval_days_min = in.interval_days_min;
  out->interval_days_target = in.interval_days_target;
  out->interval_days_max = in.interval_days_max;
  out->age_years_min = in.age_years_min;
  out->age_years_max = in.age_years_max;
  return Outcome();
}

Outcome FromC(const char* function, const vaxalloc_center_spec& in, vx::CenterSpec* out) {
  if (in.code == nullptr) return NullArgument(function, "spec->code");
  if (in.name == nullptr) return NullArgument(function, "spec->name");
  VAXALLOC_C_RETURN_IF_ERROR(
      CheckArray(function, "spec->districts", in.districts, in.district_count));
  out->code = in.code;
  out->name = in.name;
  out->districts.assign(in.districts, in.districts + in.district_count);
  return Outcome();
}

vx::CapacityBlock FromC(const vaxalloc_capacity_block& in) {
  vx::CapacityBlock out;
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.first_day = DayFromC(in.first_day);
  out.last_day = DayFromC(in.last_day);
  out.weekdays = in.weekdays;
  out.open_minute = in.open_minute;
  out.close_minute = in.close_minute;
  out.slot_minutes = in.slot_minutes;
  out.seats_first = in.seats_first;
  out.seats_second = in.seats_second;
  return out;
}

vx::SupplyDelivery FromC(const vaxalloc_supply_delivery& in) {
  vx::SupplyDelivery out;
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.day = DayFromC(in.day);
  out.doses = in.doses;
  return out;
}

Outcome FromC(const char* function, const vaxalloc_policy& in, vx::Policy* out) {
  VAXALLOC_C_RETURN_IF_ERROR(
      CheckArray(function, "policy->tier_rules", in.tier_rules, in.tier_rule_count));
  VAXALLOC_C_RETURN_IF_ERROR(
      CheckArray(function, "policy->reserves", in.reserves, in.reserve_count));
  VAXALLOC_C_RETURN_IF_ERROR(
      CheckArray(function, "policy->neighbours", in.neighbours, in.neighbour_count));
  VAXALLOC_C_RETURN_IF_ERROR(CheckEnum(function, "policy->residence", in.residence,
                                       VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY,
                                       VAXALLOC_RESIDENCE_HOME_OR_NEIGHBOUR_DISTRICT));
  for (size_t i = 0; i < in.tier_rule_count; ++i) {
    const vaxalloc_tier_rule& rule = in.tier_rules[i];
    vx::TierRule& converted = out->tier_rules.emplace_back();
    converted.registered_before = TimeFromC(rule.registered_before);
    std::copy(std::begin(rule.tier_by_group), std::end(rule.tier_by_group),
              converted.tier_by_group.begin());
  }
  for (size_t i = 0; i < in.reserve_count; ++i) {
    const vaxalloc_reserve& reserve = in.reserves[i];
    const void* end = std::memchr(reserve.name, '\0', sizeof reserve.name);
    if (end == nullptr) {
      return Fail(VAXALLOC_EINVALID,
                  "{}: policy->reserves[{}].name is not NUL-terminated within its {} bytes",
                  function, i, sizeof reserve.name);
    }
    vx::ReserveCategory& converted = out->reserves.emplace_back();
    converted.name.assign(reserve.name, static_cast<const char*>(end));
    converted.share_permille = reserve.share_permille;
    converted.age_years_min = reserve.age_years_min;
    converted.group_mask = reserve.group_mask;
    converted.vaccine = reserve.vaccine;
  }
  out->residence = static_cast<vx::ResidenceRule>(in.residence);
  for (size_t i = 0; i < in.neighbour_count; ++i) {
    out->neighbours.emplace_back(in.neighbours[i].district_a, in.neighbours[i].district_b);
  }
  if (in.time_zone != nullptr) out->time_zone = in.time_zone;  // NULL: the core's default
  out->hold = absl::Seconds(in.hold_seconds);
  out->short_notice_days = in.short_notice_days;
  out->standby_hold = absl::Seconds(in.standby_hold_seconds);
  out->code_digits = in.code_digits;
  out->code_attempts = in.code_attempts;
  out->code_lifetime = absl::Seconds(in.code_lifetime_seconds);
  out->draw_lead_days_online = in.draw_lead_days_online;
  out->draw_lead_days_phone = in.draw_lead_days_phone;
  out->overbook_permille = in.overbook_permille;
  return Outcome();
}

Outcome FromC(const char* function, const char* field, const vaxalloc_registrant_spec& in,
              vx::RegistrantSpec* out) {
  if (in.external_ref == nullptr) {
    return Fail(VAXALLOC_EINVALID, "{}: {}->external_ref is NULL", function, field);
  }
  VAXALLOC_C_RETURN_IF_ERROR(
      CheckEnum(function, "group", in.group, VAXALLOC_GROUP_1, VAXALLOC_GROUP_NONE));
  VAXALLOC_C_RETURN_IF_ERROR(
      CheckEnum(function, "channel", in.channel, VAXALLOC_CHANNEL_ONLINE, VAXALLOC_CHANNEL_PHONE));
  out->external_ref = in.external_ref;
  out->district = in.district;
  out->birth_day = DayFromC(in.birth_day);
  out->group = static_cast<vx::PriorityGroup>(in.group);
  out->channel = static_cast<vx::Channel>(in.channel);
  out->registered_at = TimeFromC(in.registered_at);
  out->vaccine_preference = in.vaccine_preference;
  out->standby = in.standby != 0;
  return Outcome();
}

Outcome FromC(const char* function, const vaxalloc_draw_request& in, vx::DrawRequest* out) {
  VAXALLOC_C_RETURN_IF_ERROR(CheckArray(function, "request->centers", in.centers, in.center_count));
  out->seed = vx::DrawSeed{in.seed_k0, in.seed_k1};
  out->at = TimeFromC(in.at);
  out->first_dose_from = DayFromC(in.first_dose_from);
  out->first_dose_until = DayFromC(in.first_dose_until);
  out->centers.assign(in.centers, in.centers + in.center_count);
  out->series_limit = in.series_limit;
  return Outcome();
}

vx::ReleaseSpec FromC(const vaxalloc_release_spec& in) {
  vx::ReleaseSpec out;
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.first_day = DayFromC(in.first_day);
  out.last_day = DayFromC(in.last_day);
  out.release_at = TimeFromC(in.release_at);
  out.first_dose_cap = in.first_dose_cap;
  return out;
}

Outcome FromC(const char* function, const vaxalloc_booking_request& in, vx::BookingRequest* out) {
  VAXALLOC_C_RETURN_IF_ERROR(CheckEnum(function, "request->mode", in.mode, VAXALLOC_BOOKING_RELEASE,
                                       VAXALLOC_BOOKING_STANDBY));
  out->registrant = in.registrant;
  out->at = TimeFromC(in.at);
  out->mode = static_cast<vx::BookingMode>(in.mode);
  out->center = in.center;
  out->vaccine = in.vaccine;
  out->first_dose_from = DayFromC(in.first_dose_from);
  out->first_dose_until = DayFromC(in.first_dose_until);
  out->confirm = in.confirm != 0;
  return Outcome();
}

Outcome FromC(const char* function, const vaxalloc_code_request& in, vx::CodeRequest* out) {
  VAXALLOC_C_RETURN_IF_ERROR(CheckEnum(function, "request->purpose", in.purpose,
                                       VAXALLOC_CODE_PURPOSE_CANCEL_SERIES,
                                       VAXALLOC_CODE_PURPOSE_WITHDRAW));
  out->registrant = in.registrant;
  out->purpose = static_cast<vx::CodePurpose>(in.purpose);
  out->series = in.series;
  out->at = TimeFromC(in.at);
  return Outcome();
}

// --- Conversions to C ------------------------------------------------------------

vaxalloc_open_options ToC(const vx::StoreOptions& in) {
  vaxalloc_open_options out{};
  out.durability = in.durability == vx::Durability::kFull ? VAXALLOC_DURABILITY_FULL
                                                          : VAXALLOC_DURABILITY_NORMAL;
  out.busy_timeout_ms = absl::ToInt64Milliseconds(in.busy_timeout);
  out.create_if_missing = in.create_if_missing ? 1 : 0;
  out.read_only = in.read_only ? 1 : 0;
  out.verify_journal = in.verify_journal ? 1 : 0;
  return out;
}

// The defaults of an input spec (its strings stay NULL).
vaxalloc_vaccine_spec ToC(const vx::VaccineSpec& in) {
  vaxalloc_vaccine_spec out{};
  out.dose_count = in.dose_count;
  out.interval_days_min = in.interval_days_min;
  out.interval_days_target = in.interval_days_target;
  out.interval_days_max = in.interval_days_max;
  out.age_years_min = in.age_years_min;
  out.age_years_max = in.age_years_max;
  return out;
}

// The defaults of an input policy: no arrays, and time_zone NULL, which
// FromC() reads as the core's default zone.
vaxalloc_policy ToC(const vx::Policy& in) {
  vaxalloc_policy out{};
  out.residence = static_cast<int32_t>(in.residence);
  out.hold_seconds = absl::ToInt64Seconds(in.hold);
  out.short_notice_days = in.short_notice_days;
  out.standby_hold_seconds = absl::ToInt64Seconds(in.standby_hold);
  out.code_digits = in.code_digits;
  out.code_attempts = in.code_attempts;
  out.code_lifetime_seconds = absl::ToInt64Seconds(in.code_lifetime);
  out.draw_lead_days_online = in.draw_lead_days_online;
  out.draw_lead_days_phone = in.draw_lead_days_phone;
  out.overbook_permille = in.overbook_permille;
  return out;
}

vaxalloc_capacity_block ToC(Narrow& narrow, const vx::CapacityBlock& in) {
  vaxalloc_capacity_block out{};
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.first_day = narrow.Day(in.first_day);
  out.last_day = narrow.Day(in.last_day);
  out.weekdays = in.weekdays;
  out.open_minute = in.open_minute;
  out.close_minute = in.close_minute;
  out.slot_minutes = in.slot_minutes;
  out.seats_first = in.seats_first;
  out.seats_second = in.seats_second;
  return out;
}

vaxalloc_supply_delivery ToC(Narrow& narrow, const vx::SupplyDelivery& in) {
  vaxalloc_supply_delivery out{};
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.day = narrow.Day(in.day);
  out.doses = in.doses;
  return out;
}

vaxalloc_registrant_spec ToC(Narrow& narrow, const vx::RegistrantSpec& in) {
  vaxalloc_registrant_spec out{};
  out.district = in.district;
  out.birth_day = narrow.Day(in.birth_day);
  out.group = static_cast<int32_t>(in.group);
  out.channel = static_cast<int32_t>(in.channel);
  out.registered_at = TimeToC(in.registered_at);
  out.vaccine_preference = in.vaccine_preference;
  out.standby = in.standby ? 1 : 0;
  return out;
}

// A caller's registrant spec of any known version, with the defaults of the
// fields its version lacks.
vaxalloc_registrant_spec ReadSpec(const vaxalloc_registrant_spec* spec) {
  Narrow unused("defaults");  // the defaults always convert
  return ReadStruct(spec, ToC(unused, vx::RegistrantSpec{}));
}

vaxalloc_draw_request ToC(Narrow& narrow, const vx::DrawRequest& in) {
  vaxalloc_draw_request out{};
  out.seed_k0 = in.seed.k0;
  out.seed_k1 = in.seed.k1;
  out.at = TimeToC(in.at);
  out.first_dose_from = narrow.Day(in.first_dose_from);
  out.first_dose_until = narrow.Day(in.first_dose_until);
  out.series_limit = in.series_limit;
  return out;
}

vaxalloc_district ToC(Narrow& narrow, const vx::District& in) {
  vaxalloc_district out{};
  out.id = in.id;
  narrow.Text(in.code, out.code, "district code");
  narrow.Text(in.name, out.name, "district name");
  return out;
}

vaxalloc_vaccine ToC(Narrow& narrow, const vx::Vaccine& in) {
  vaxalloc_vaccine out{};
  out.id = in.id;
  narrow.Text(in.spec.code, out.code, "vaccine code");
  narrow.Text(in.spec.name, out.name, "vaccine name");
  out.dose_count = in.spec.dose_count;
  out.interval_days_min = in.spec.interval_days_min;
  out.interval_days_target = in.spec.interval_days_target;
  out.interval_days_max = in.spec.interval_days_max;
  out.age_years_min = in.spec.age_years_min;
  out.age_years_max = in.spec.age_years_max;
  return out;
}

vaxalloc_center ToC(Narrow& narrow, const vx::Center& in) {
  vaxalloc_center out{};
  out.id = in.id;
  narrow.Text(in.spec.code, out.code, "center code");
  narrow.Text(in.spec.name, out.name, "center name");
  out.district_count = narrow.Count<uint32_t>(in.spec.districts.size(), "district count");
  return out;
}

vaxalloc_registrant ToC(Narrow& narrow, const vx::Registrant& in) {
  const vaxalloc_registrant_spec spec = ToC(narrow, in.spec);
  vaxalloc_registrant out{};
  out.id = in.id;
  narrow.Text(in.spec.external_ref, out.external_ref, "external_ref");
  out.district = spec.district;
  out.birth_day = spec.birth_day;
  out.group = spec.group;
  out.channel = spec.channel;
  out.registered_at = spec.registered_at;
  out.vaccine_preference = spec.vaccine_preference;
  out.status = static_cast<int32_t>(in.status);
  out.waiting_since = TimeToC(in.waiting_since);
  out.series = in.series;
  out.standby = spec.standby;
  out.erased = in.erased ? 1 : 0;
  return out;
}

vaxalloc_series ToC(Narrow& narrow, const vx::Series& in) {
  vaxalloc_series out{};
  out.id = in.id;
  out.registrant = in.registrant;
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.dose_count = in.dose_count;
  for (int i = 0; i < in.dose_count && i < VAXALLOC_DOSE_COUNT_MAX; ++i) {
    out.appointments[i].day = narrow.Day(in.appointments[i].day);
    out.appointments[i].minute = in.appointments[i].minute;
  }
  out.status = static_cast<int32_t>(in.status);
  out.booked_at = TimeToC(in.booked_at);
  out.draw = in.draw;
  out.tier = in.tier;
  out.category = in.category;
  for (int i = 0; i < in.dose_count && i < VAXALLOC_DOSE_COUNT_MAX; ++i) {
    out.doses[i] = static_cast<int32_t>(in.doses[i]);
  }
  out.origin = static_cast<int32_t>(in.origin);
  out.release = in.release;
  out.hold_expires_at = TimeToC(in.hold_expires_at);
  out.replaces = in.replaces;
  return out;
}

vaxalloc_draw_info ToC(Narrow& narrow, const vx::DrawRecord& in) {
  const vaxalloc_draw_request request = ToC(narrow, in.request);
  vaxalloc_draw_info out{};
  out.id = in.id;
  out.seed_k0 = request.seed_k0;
  out.seed_k1 = request.seed_k1;
  out.at = request.at;
  out.first_dose_from = request.first_dose_from;
  out.first_dose_until = request.first_dose_until;
  out.series_limit = request.series_limit;
  out.policy_version = in.policy_version;
  out.center_count = narrow.Count<uint32_t>(in.request.centers.size(), "center count");
  out.series_count = narrow.Count<uint32_t>(in.series.size(), "series count");
  for (int t = 0; t < VAXALLOC_TIER_MAX; ++t) {
    out.tiers[t].eligible = in.tiers[t].eligible;
    out.tiers[t].assigned = in.tiers[t].assigned;
  }
  out.commitment = in.commitment;
  return out;
}

vaxalloc_draw_commitment ToC(Narrow& narrow, const vx::DrawCommitment& in) {
  const vaxalloc_draw_request request = ToC(narrow, in.request);
  vaxalloc_draw_commitment out{};
  out.id = in.id;
  out.status = static_cast<int32_t>(in.status);
  out.policy_version = in.policy_version;
  out.at = request.at;
  out.first_dose_from = request.first_dose_from;
  out.first_dose_until = request.first_dose_until;
  out.series_limit = request.series_limit;
  out.center_count = narrow.Count<uint32_t>(in.request.centers.size(), "center count");
  out.input_bytes = in.input_bytes;
  std::copy(in.commitment.begin(), in.commitment.end(), out.commitment);
  narrow.Text(in.beacon, out.beacon, "beacon");
  out.draw = in.draw;
  // The core bounds the value by VAXALLOC_BEACON_VALUE_MAX.
  const size_t value_size = std::min<size_t>(in.beacon_value.size(), sizeof(out.beacon_value));
  out.beacon_value_size = static_cast<uint32_t>(value_size);
  std::memcpy(out.beacon_value, in.beacon_value.data(), value_size);
  out.seed_k0 = request.seed_k0;
  out.seed_k1 = request.seed_k1;
  narrow.Text(in.abandon_reason, out.abandon_reason, "abandon reason");
  out.settled_at = TimeToC(in.settled_at);
  out.abandoned_unchanged = in.abandoned_unchanged ? 1 : 0;
  narrow.Text(in.library_version, out.library_version, "library version");
  return out;
}

vaxalloc_policy_info ToC(Narrow& narrow, const vx::PolicyVersion& in) {
  vaxalloc_policy_info out{};
  out.policy_version = in.version;
  out.residence = static_cast<int32_t>(in.policy.residence);
  out.tier_rule_count = narrow.Count<uint32_t>(in.policy.tier_rules.size(), "tier rule count");
  out.reserve_count = narrow.Count<uint32_t>(in.policy.reserves.size(), "reserve count");
  out.neighbour_count = narrow.Count<uint32_t>(in.policy.neighbours.size(), "neighbour count");
  narrow.Text(in.policy.time_zone, out.time_zone, "time zone");
  out.hold_seconds = absl::ToInt64Seconds(in.policy.hold);  // rounds down (holds are > 0)
  out.short_notice_days = in.policy.short_notice_days;
  // Rounded down, as the hold (all are positive).
  out.standby_hold_seconds = absl::ToInt64Seconds(in.policy.standby_hold);
  out.code_digits = in.policy.code_digits;
  out.code_attempts = in.policy.code_attempts;
  out.code_lifetime_seconds = absl::ToInt64Seconds(in.policy.code_lifetime);
  out.draw_lead_days_online = in.policy.draw_lead_days_online;
  out.draw_lead_days_phone = in.policy.draw_lead_days_phone;
  out.overbook_permille = in.policy.overbook_permille;
  return out;
}

vaxalloc_report ToC(const vx::Report& in) {
  vaxalloc_report out{};
  out.registrants = in.registrants;
  out.waiting = in.waiting;
  out.scheduled = in.scheduled;
  out.withdrawn = in.withdrawn;
  std::copy(in.waiting_per_tier.begin(), in.waiting_per_tier.end(), out.waiting_per_tier);
  out.series_active = in.series_active;
  out.series_cancelled = in.series_cancelled;
  out.draws = in.draws;
  out.center_count = in.centers.size();
  out.vaccinated = in.vaccinated;
  out.series_held = in.series_held;
  out.series_completed = in.series_completed;
  out.series_missed = in.series_missed;
  out.doses_given = in.doses_given;
  out.doses_missed = in.doses_missed;
  return out;
}

// The defaults of an input spec.
vaxalloc_release_spec ToC(Narrow& narrow, const vx::ReleaseSpec& in) {
  vaxalloc_release_spec out{};
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.first_day = narrow.Day(in.first_day);
  out.last_day = narrow.Day(in.last_day);
  out.release_at = TimeToC(in.release_at);
  out.first_dose_cap = in.first_dose_cap;
  return out;
}

vaxalloc_release ToC(Narrow& narrow, const vx::Release& in) {
  const vaxalloc_release_spec spec = ToC(narrow, in.spec);
  vaxalloc_release out{};
  out.id = in.id;
  out.center = spec.center;
  out.vaccine = spec.vaccine;
  out.first_day = spec.first_day;
  out.last_day = spec.last_day;
  out.release_at = spec.release_at;
  out.first_dose_cap = spec.first_dose_cap;
  out.booked = in.booked;
  return out;
}

// The defaults of an input request.
vaxalloc_booking_request ToC(Narrow& narrow, const vx::BookingRequest& in) {
  vaxalloc_booking_request out{};
  out.registrant = in.registrant;
  out.at = TimeToC(in.at);
  out.mode = static_cast<int32_t>(in.mode);
  out.center = in.center;
  out.vaccine = in.vaccine;
  out.first_dose_from = narrow.Day(in.first_dose_from);
  out.first_dose_until = narrow.Day(in.first_dose_until);
  out.confirm = in.confirm ? 1 : 0;
  return out;
}

// The defaults of an input request.
vaxalloc_code_request ToC(const vx::CodeRequest& in) {
  vaxalloc_code_request out{};
  out.registrant = in.registrant;
  out.purpose = static_cast<int32_t>(in.purpose);
  out.series = in.series;
  out.at = TimeToC(in.at);
  return out;
}

vaxalloc_code ToC(Narrow&, const vx::VerificationCode& in) {
  vaxalloc_code out{};
  out.id = in.id;
  out.registrant = in.registrant;
  out.purpose = static_cast<int32_t>(in.purpose);
  out.series = in.series;
  out.state = static_cast<int32_t>(in.state);
  out.issued_at = TimeToC(in.issued_at);
  out.expires_at = TimeToC(in.expires_at);
  out.attempts = in.attempts;
  return out;
}

vaxalloc_event EventToC(Narrow&, const vx::Event& in) {
  return vaxalloc_event{
      in.id, static_cast<int32_t>(in.kind), TimeToC(in.at), in.registrant, in.series, in.draw};
}

vaxalloc_event_v2 EventV2ToC(Narrow& narrow, const vx::Event& in) {
  vaxalloc_event_v2 out{};
  out.id = in.id;
  out.kind = static_cast<int32_t>(in.kind);
  out.at = TimeToC(in.at);
  out.registrant = in.registrant;
  out.series = in.series;
  out.draw = in.draw;
  out.code_id = in.code_id;
  narrow.Text(in.code, out.digits, "code digits");
  return out;
}

vaxalloc_slot SlotToC(Narrow& narrow, const vx::SlotView& in) {
  return vaxalloc_slot{narrow.Day(in.day), in.minute,       in.seats_first,
                       in.seats_second,    in.booked_first, in.booked_second};
}

vaxalloc_slot_v2 SlotV2ToC(Narrow& narrow, const vx::SlotView& in) {
  vaxalloc_slot_v2 out{};
  out.day = narrow.Day(in.day);
  out.minute = in.minute;
  out.seats_first = in.seats_first;
  out.seats_second = in.seats_second;
  out.booked_first = in.booked_first;
  out.booked_second = in.booked_second;
  out.bookable_first = in.bookable_first;
  out.bookable_second = in.bookable_second;
  return out;
}

vaxalloc_day_attendance ToC(Narrow& narrow, const vx::DayAttendance& in) {
  return vaxalloc_day_attendance{narrow.Day(in.day), in.booked, in.given, in.missed,
                                 in.no_show_rate()};
}

// --- Shapes shared by many functions -----------------------------------------------

// Output struct `out` from a core getter returning StatusOr<Item>.
template <class T, class Item>
Outcome GetInto(const char* function, const absl::StatusOr<Item>& item, T* out) {
  if (!item.ok()) return item.status();
  Narrow narrow(function);
  const T converted = ToC(narrow, *item);
  VAXALLOC_C_RETURN_IF_ERROR(narrow.Result());
  WriteStruct(converted, out);
  return Outcome();
}

// A lookup by code or reference into *id_out.
template <class Find>
int FindId(vaxalloc_campaign* campaign, const char* function, const char* text, uint32_t* id_out,
           Find find) {
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(text);
    VAXALLOC_C_REQUIRE(id_out);
    const absl::StatusOr<uint32_t> id = find(store.engine(), std::string_view(text));
    if (!id.ok()) return id.status();
    *id_out = *id;
    return Outcome();
  });
}

// vaxalloc_x_init: the defaults, made by make_defaults(narrow), with the
// caller's version.
template <class T, class MakeDefaults>
int InitStruct(const char* function, T* value, uint32_t version, MakeDefaults make_defaults) {
  return Call(nullptr, [&]() -> Outcome {
    if (value == nullptr) return NullArgument(function, StructInfo<T>::kName);
    VAXALLOC_C_RETURN_IF_ERROR(
        CheckVersion(function, StructInfo<T>::kName, version, StructInfo<T>::kVersion));
    Narrow narrow(function);
    T defaults = make_defaults(narrow);
    VAXALLOC_C_RETURN_IF_ERROR(narrow.Result());
    defaults.version = version;
    // Only the bytes of `version`: an older caller's struct is smaller.
    std::memcpy(static_cast<void*>(value), &defaults, StructBytes<T>(version));
    return Outcome();
  });
}

// For output structs: all zero.
template <class T>
T Zero(Narrow&) {
  return T{};
}

Outcome StoreId(const absl::StatusOr<uint32_t>& id, uint32_t* id_out) {
  if (!id.ok()) return id.status();
  if (id_out != nullptr) *id_out = *id;
  return Outcome();
}

// The series a committed booking flow returns, into *out if the caller wants
// it (its version was checked before the change). A series that does not
// convert is a bug; the caller can still read it with vaxalloc_series_get().
Outcome SeriesInto(const char* function, const absl::StatusOr<vx::Series>& series,
                   vaxalloc_series* out) {
  if (!series.ok()) return series.status();
  if (out != nullptr) return GetInto(function, series, out);
  return Outcome();
}

// Copies entry `index` of one of the engine's append-only logs.
template <class CStruct, class Item>
int GetLogEntry(vaxalloc_campaign* campaign, const char* function, const char* what,
                const std::vector<Item>& (vx::Engine::*log)() const, uint64_t index, CStruct* out) {
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    const std::vector<Item>& entries = (store.engine().*log)();
    if (index >= entries.size()) {
      return Fail(VAXALLOC_ENOTFOUND, "{}: no {} {}; the campaign has {}", function, what, index,
                  entries.size());
    }
    Narrow narrow(function);
    const CStruct converted = ToC(narrow, entries[index]);
    VAXALLOC_C_RETURN_IF_ERROR(narrow.Result());
    WriteStruct(converted, out);
    return Outcome();
  });
}

// A page of the outbox (vaxalloc_pending_events and its _v2), each event
// converted by `convert(narrow, event) -> T`.
template <class T, class Convert>
int ReadEvents(vaxalloc_campaign* campaign, const char* function, uint64_t after_id, T* out,
               size_t capacity, size_t* count_out, Convert convert) {
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(out);
    VAXALLOC_C_REQUIRE(count_out);
    // A page size, not a result size (no EBUFFER): vaxalloc.h says why.
    if (capacity < 1 || capacity > VAXALLOC_EVENTS_PER_READ_MAX) {
      return Fail(VAXALLOC_EINVALID, "{}: capacity {} is outside 1..{} (the page size)", function,
                  capacity, VAXALLOC_EVENTS_PER_READ_MAX);
    }
    const absl::StatusOr<std::vector<vx::Event>> events = store.PendingEvents(after_id, capacity);
    if (!events.ok()) return events.status();
    if (events->size() > capacity) {
      return Fail(VAXALLOC_EINTERNAL, "{}: the core returned {} events for a page of {}", function,
                  events->size(), capacity);
    }
    Narrow narrow(function);
    std::vector<T> converted;
    converted.reserve(events->size());
    for (const vx::Event& event : *events) converted.push_back(convert(narrow, event));
    VAXALLOC_C_RETURN_IF_ERROR(narrow.Result());
    std::copy(converted.begin(), converted.end(), out);
    *count_out = converted.size();
    return Outcome();
  });
}

// The slots of one pool day (vaxalloc_slots and its _v2), each converted by
// `convert(narrow, slot) -> T`, into a caller buffer.
template <class T, class Convert>
int ReadSlots(vaxalloc_campaign* campaign, const char* function, uint32_t center, uint32_t vaccine,
              int32_t day, T* out, size_t capacity, size_t* count_out, Convert convert) {
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    return CopyToBuffer(function, store.engine().Slots(center, vaccine, DayFromC(day)), out,
                        capacity, count_out, convert);
  });
}

}  // namespace

// =============================================================================
// The exported functions, in the order of vaxalloc.h.

extern "C" {

// --- Versions and errors -----------------------------------------------------------

const char* vaxalloc_version(void) noexcept { return vx::Version(); }

int32_t vaxalloc_version_number(void) noexcept { return VAXALLOC_VERSION_NUMBER; }

const char* vaxalloc_errstr(int code) noexcept {
  switch (code) {
    case VAXALLOC_OK:
      return "ok";
    case VAXALLOC_ERROR:
      return "error";
    case VAXALLOC_EINVALID:
      return "invalid argument";
    case VAXALLOC_ENOTFOUND:
      return "not found";
    case VAXALLOC_EEXISTS:
      return "already exists";
    case VAXALLOC_EPRECONDITION:
      return "precondition failed";
    case VAXALLOC_EEXHAUSTED:
      return "resource exhausted";
    case VAXALLOC_EBUSY:
      return "busy or unavailable";
    case VAXALLOC_ECORRUPT:
      return "corrupt or not a campaign";
    case VAXALLOC_ENOMEM:
      return "out of memory";
    case VAXALLOC_ERANGE:
      return "out of range";
    case VAXALLOC_EBUFFER:
      return "buffer too small";
    case VAXALLOC_EVERSION:
      return "unsupported struct version";
    case VAXALLOC_EINTERNAL:
      return "internal error";
    case VAXALLOC_EPERM:
      return "permission denied";
    case VAXALLOC_EVERIFY:
      return "verification code not accepted";
    default:
      return "unknown result code";
  }
}

const char* vaxalloc_last_error(void) noexcept { return thread_last_error.c_str(); }

int vaxalloc_last_error_code(void) noexcept { return thread_last_error.code(); }

void vaxalloc_free(void* pointer) noexcept { std::free(pointer); }

// --- Civil days ----------------------------------------------------------------

int vaxalloc_day_from_ymd(int32_t year, int32_t month, int32_t day, int32_t* out) noexcept {
  constexpr const char* function = "vaxalloc_day_from_ymd";
  return Call(nullptr, [&]() -> Outcome {
    VAXALLOC_C_REQUIRE(out);
    const absl::CivilDay civil(year, month, day);
    // CivilDay normalizes (2021-02-30 becomes 2021-03-02): not a real date.
    if (civil.year() != year || civil.month() != month || civil.day() != day) {
      return Fail(VAXALLOC_EINVALID, "{}: {:04d}-{:02d}-{:02d} is not a valid date", function, year,
                  month, day);
    }
    const int64_t number = civil - kEpochDay;
    if (number < std::numeric_limits<int32_t>::min() ||
        number > std::numeric_limits<int32_t>::max()) {
      return Fail(VAXALLOC_ERANGE,
                  "{}: {:04d}-{:02d}-{:02d} is {} days from 1970-01-01, "
                  "outside int32_t",
                  function, year, month, day, number);
    }
    *out = static_cast<int32_t>(number);
    return Outcome();
  });
}

int vaxalloc_day_to_ymd(int32_t days, int32_t* year_out, int32_t* month_out,
                        int32_t* day_out) noexcept {
  constexpr const char* function = "vaxalloc_day_to_ymd";
  return Call(nullptr, [&]() -> Outcome {
    VAXALLOC_C_REQUIRE(year_out);
    VAXALLOC_C_REQUIRE(month_out);
    VAXALLOC_C_REQUIRE(day_out);
    const absl::CivilDay civil = DayFromC(days);
    *year_out = static_cast<int32_t>(civil.year());  // |days| < 2^31: years fit
    *month_out = civil.month();
    *day_out = civil.day();
    return Outcome();
  });
}

// --- Seeds -----------------------------------------------------------------------

int vaxalloc_seed_format(uint64_t k0, uint64_t k1, char* out, size_t out_size) noexcept {
  constexpr const char* function = "vaxalloc_seed_format";
  return Call(nullptr, [&]() -> Outcome {
    VAXALLOC_C_REQUIRE(out);
    const std::string text = vx::FormatSeed(vx::DrawSeed{k0, k1});
    if (out_size < text.size() + 1) {
      return Fail(VAXALLOC_EBUFFER, "{}: the buffer holds {} bytes; {} are needed", function,
                  out_size, text.size() + 1);
    }
    std::memcpy(out, text.c_str(), text.size() + 1);
    return Outcome();
  });
}

int vaxalloc_seed_parse(const char* text, uint64_t* k0_out, uint64_t* k1_out) noexcept {
  constexpr const char* function = "vaxalloc_seed_parse";
  return Call(nullptr, [&]() -> Outcome {
    VAXALLOC_C_REQUIRE(text);
    VAXALLOC_C_REQUIRE(k0_out);
    VAXALLOC_C_REQUIRE(k1_out);
    const absl::StatusOr<vx::DrawSeed> seed = vx::ParseSeed(std::string_view(text));
    if (!seed.ok()) return seed.status();
    *k0_out = seed->k0;
    *k1_out = seed->k1;
    return Outcome();
  });
}

int vaxalloc_lottery_number(uint64_t k0, uint64_t k1, const char* external_ref,
                            uint64_t* out) noexcept {
  constexpr const char* function = "vaxalloc_lottery_number";
  return Call(nullptr, [&]() -> Outcome {
    VAXALLOC_C_REQUIRE(external_ref);
    VAXALLOC_C_REQUIRE(out);
    *out = vx::LotteryNumber(vx::DrawSeed{k0, k1}, std::string_view(external_ref));
    return Outcome();
  });
}

// --- Opening and closing -------------------------------------------------------------

int vaxalloc_open_options_init(vaxalloc_open_options* options, uint32_t version) noexcept {
  return InitStruct("vaxalloc_open_options_init", options, version,
                    [](Narrow&) { return ToC(vx::StoreOptions{}); });
}

int vaxalloc_campaign_open(const char* path, const vaxalloc_open_options* options,
                           vaxalloc_campaign** out) noexcept {
  constexpr const char* function = "vaxalloc_campaign_open";
  return Call(nullptr, [&]() -> Outcome {
    VAXALLOC_C_REQUIRE(out);
    *out = nullptr;
    VAXALLOC_C_REQUIRE(path);
    vx::StoreOptions store_options;
    if (options != nullptr) {
      VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "options", options));
      const vaxalloc_open_options read = ReadStruct(options, ToC(vx::StoreOptions{}));
      VAXALLOC_C_RETURN_IF_ERROR(FromC(function, read, &store_options));
    }
    absl::StatusOr<std::unique_ptr<vx::Store>> store = vx::Store::Open(path, store_options);
    if (!store.ok()) return store.status();
    auto campaign = std::make_unique<vaxalloc_campaign>();
    campaign->store = std::move(*store);
    *out = campaign.release();
    return Outcome();
  });
}

void vaxalloc_campaign_close(vaxalloc_campaign* campaign) noexcept {
  delete campaign;  // the Store's destructor closes SQLite and does not throw
}

const char* vaxalloc_campaign_path(const vaxalloc_campaign* campaign) noexcept {
  return campaign == nullptr ? nullptr : campaign->store->path().c_str();
}

const char* vaxalloc_campaign_errmsg(const vaxalloc_campaign* campaign) noexcept {
  if (campaign == nullptr) return "the campaign handle is NULL";
  try {
    std::lock_guard<std::mutex> lock(campaign->mutex);
    return campaign->error.c_str();
  } catch (...) {
    return "could not lock the campaign handle";
  }
}

int vaxalloc_campaign_errcode(const vaxalloc_campaign* campaign) noexcept {
  if (campaign == nullptr) return VAXALLOC_EINVALID;
  try {
    std::lock_guard<std::mutex> lock(campaign->mutex);
    return campaign->error.code();
  } catch (...) {
    return VAXALLOC_EINTERNAL;
  }
}

// --- Districts ---------------------------------------------------------------------

int vaxalloc_district_add(vaxalloc_campaign* campaign, const char* code, const char* name,
                          uint32_t* id_out) noexcept {
  constexpr const char* function = "vaxalloc_district_add";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(code);
    VAXALLOC_C_REQUIRE(name);
    return StoreId(store.AddDistrict(code, name), id_out);
  });
}

int vaxalloc_district_init(vaxalloc_district* district, uint32_t version) noexcept {
  return InitStruct("vaxalloc_district_init", district, version, Zero<vaxalloc_district>);
}

int vaxalloc_district_get(vaxalloc_campaign* campaign, uint32_t id,
                          vaxalloc_district* out) noexcept {
  constexpr const char* function = "vaxalloc_district_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetDistrict(id), out);
  });
}

int vaxalloc_district_find(vaxalloc_campaign* campaign, const char* code,
                           uint32_t* id_out) noexcept {
  return FindId(
      campaign, "vaxalloc_district_find", code, id_out,
      [](const vx::Engine& engine, std::string_view text) { return engine.FindDistrict(text); });
}

// --- Vaccines ----------------------------------------------------------------------

int vaxalloc_vaccine_spec_init(vaxalloc_vaccine_spec* spec, uint32_t version) noexcept {
  return InitStruct("vaxalloc_vaccine_spec_init", spec, version,
                    [](Narrow&) { return ToC(vx::VaccineSpec{}); });
}

int vaxalloc_vaccine_add(vaxalloc_campaign* campaign, const vaxalloc_vaccine_spec* spec,
                         uint32_t* id_out) noexcept {
  constexpr const char* function = "vaxalloc_vaccine_add";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "spec", spec));
    vx::VaccineSpec converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, *spec, &converted));
    return StoreId(store.AddVaccine(converted), id_out);
  });
}

int vaxalloc_vaccine_init(vaxalloc_vaccine* vaccine, uint32_t version) noexcept {
  return InitStruct("vaxalloc_vaccine_init", vaccine, version, Zero<vaxalloc_vaccine>);
}

int vaxalloc_vaccine_get(vaxalloc_campaign* campaign, uint32_t id, vaxalloc_vaccine* out) noexcept {
  constexpr const char* function = "vaxalloc_vaccine_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetVaccine(id), out);
  });
}

int vaxalloc_vaccine_find(vaxalloc_campaign* campaign, const char* code,
                          uint32_t* id_out) noexcept {
  return FindId(
      campaign, "vaxalloc_vaccine_find", code, id_out,
      [](const vx::Engine& engine, std::string_view text) { return engine.FindVaccine(text); });
}

// --- Centers -----------------------------------------------------------------------

int vaxalloc_center_spec_init(vaxalloc_center_spec* spec, uint32_t version) noexcept {
  return InitStruct("vaxalloc_center_spec_init", spec, version, Zero<vaxalloc_center_spec>);
}

int vaxalloc_center_add(vaxalloc_campaign* campaign, const vaxalloc_center_spec* spec,
                        uint32_t* id_out) noexcept {
  constexpr const char* function = "vaxalloc_center_add";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "spec", spec));
    vx::CenterSpec converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, *spec, &converted));
    return StoreId(store.AddCenter(converted), id_out);
  });
}

int vaxalloc_center_init(vaxalloc_center* center, uint32_t version) noexcept {
  return InitStruct("vaxalloc_center_init", center, version, Zero<vaxalloc_center>);
}

int vaxalloc_center_get(vaxalloc_campaign* campaign, uint32_t id, vaxalloc_center* out) noexcept {
  constexpr const char* function = "vaxalloc_center_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetCenter(id), out);
  });
}

int vaxalloc_center_districts(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out,
                              size_t capacity, size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_center_districts";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::Center> center = store.engine().GetCenter(id);
    if (!center.ok()) return center.status();
    return CopyIds(function, center->spec.districts, out, capacity, count_out);
  });
}

int vaxalloc_center_find(vaxalloc_campaign* campaign, const char* code, uint32_t* id_out) noexcept {
  return FindId(
      campaign, "vaxalloc_center_find", code, id_out,
      [](const vx::Engine& engine, std::string_view text) { return engine.FindCenter(text); });
}

// --- Capacity and supply -----------------------------------------------------------------

int vaxalloc_capacity_block_init(vaxalloc_capacity_block* block, uint32_t version) noexcept {
  return InitStruct("vaxalloc_capacity_block_init", block, version,
                    [](Narrow& narrow) { return ToC(narrow, vx::CapacityBlock{}); });
}

int vaxalloc_capacity_add(vaxalloc_campaign* campaign,
                          const vaxalloc_capacity_block* block) noexcept {
  constexpr const char* function = "vaxalloc_capacity_add";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "block", block));
    return store.AddCapacity(FromC(*block));
  });
}

int vaxalloc_capacity_get(vaxalloc_campaign* campaign, uint64_t index,
                          vaxalloc_capacity_block* out) noexcept {
  return GetLogEntry(campaign, "vaxalloc_capacity_get", "capacity block",
                     &vx::Engine::capacity_blocks, index, out);
}

int vaxalloc_supply_delivery_init(vaxalloc_supply_delivery* delivery, uint32_t version) noexcept {
  return InitStruct("vaxalloc_supply_delivery_init", delivery, version,
                    [](Narrow& narrow) { return ToC(narrow, vx::SupplyDelivery{}); });
}

int vaxalloc_supply_add(vaxalloc_campaign* campaign,
                        const vaxalloc_supply_delivery* delivery) noexcept {
  constexpr const char* function = "vaxalloc_supply_add";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "delivery", delivery));
    return store.AddSupply(FromC(*delivery));
  });
}

int vaxalloc_supply_get(vaxalloc_campaign* campaign, uint64_t index,
                        vaxalloc_supply_delivery* out) noexcept {
  return GetLogEntry(campaign, "vaxalloc_supply_get", "delivery", &vx::Engine::deliveries, index,
                     out);
}

// --- Policy ----------------------------------------------------------------------------

int vaxalloc_policy_init(vaxalloc_policy* policy, uint32_t version) noexcept {
  return InitStruct("vaxalloc_policy_init", policy, version,
                    [](Narrow&) { return ToC(vx::Policy{}); });
}

int vaxalloc_policy_set(vaxalloc_campaign* campaign, const vaxalloc_policy* policy,
                        uint32_t* policy_version_out) noexcept {
  constexpr const char* function = "vaxalloc_policy_set";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "policy", policy));
    vx::Policy converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, ReadStruct(policy, ToC(vx::Policy{})), &converted));
    return StoreId(store.SetPolicy(converted), policy_version_out);
  });
}

int vaxalloc_policy_info_init(vaxalloc_policy_info* info, uint32_t version) noexcept {
  return InitStruct("vaxalloc_policy_info_init", info, version, Zero<vaxalloc_policy_info>);
}

int vaxalloc_policy_get(vaxalloc_campaign* campaign, uint32_t policy_version,
                        vaxalloc_policy_info* out) noexcept {
  constexpr const char* function = "vaxalloc_policy_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetPolicy(policy_version), out);
  });
}

int vaxalloc_policy_tier_rules(vaxalloc_campaign* campaign, uint32_t policy_version,
                               vaxalloc_tier_rule* out, size_t capacity,
                               size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_policy_tier_rules";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::PolicyVersion> policy = store.engine().GetPolicy(policy_version);
    if (!policy.ok()) return policy.status();
    return CopyToBuffer(function, policy->policy.tier_rules, out, capacity, count_out,
                        [](Narrow&, const vx::TierRule& rule) {
                          vaxalloc_tier_rule converted{};
                          converted.registered_before = TimeToC(rule.registered_before);
                          std::copy(rule.tier_by_group.begin(), rule.tier_by_group.end(),
                                    converted.tier_by_group);
                          return converted;
                        });
  });
}

int vaxalloc_policy_reserves(vaxalloc_campaign* campaign, uint32_t policy_version,
                             vaxalloc_reserve* out, size_t capacity, size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_policy_reserves";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::PolicyVersion> policy = store.engine().GetPolicy(policy_version);
    if (!policy.ok()) return policy.status();
    return CopyToBuffer(function, policy->policy.reserves, out, capacity, count_out,
                        [](Narrow& narrow, const vx::ReserveCategory& reserve) {
                          vaxalloc_reserve converted{};
                          narrow.Text(reserve.name, converted.name, "reserve name");
                          converted.share_permille = reserve.share_permille;
                          converted.age_years_min = reserve.age_years_min;
                          converted.group_mask = reserve.group_mask;
                          converted.vaccine = reserve.vaccine;
                          return converted;
                        });
  });
}

int vaxalloc_policy_neighbours(vaxalloc_campaign* campaign, uint32_t policy_version,
                               vaxalloc_neighbour_pair* out, size_t capacity,
                               size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_policy_neighbours";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::PolicyVersion> policy = store.engine().GetPolicy(policy_version);
    if (!policy.ok()) return policy.status();
    return CopyToBuffer(function, policy->policy.neighbours, out, capacity, count_out,
                        [](Narrow&, const std::pair<vx::DistrictId, vx::DistrictId>& pair) {
                          return vaxalloc_neighbour_pair{pair.first, pair.second};
                        });
  });
}

// --- Registrants ---------------------------------------------------------------------------

int vaxalloc_registrant_spec_init(vaxalloc_registrant_spec* spec, uint32_t version) noexcept {
  return InitStruct("vaxalloc_registrant_spec_init", spec, version,
                    [](Narrow& narrow) { return ToC(narrow, vx::RegistrantSpec{}); });
}

int vaxalloc_register(vaxalloc_campaign* campaign, const vaxalloc_registrant_spec* spec,
                      uint32_t* id_out) noexcept {
  constexpr const char* function = "vaxalloc_register";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "spec", spec));
    vx::RegistrantSpec converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, "spec", ReadSpec(spec), &converted));
    return StoreId(store.Register(converted), id_out);
  });
}

int vaxalloc_register_batch(vaxalloc_campaign* campaign,
                            const vaxalloc_registrant_spec* const* specs, size_t count,
                            uint32_t* ids_out) noexcept {
  constexpr const char* function = "vaxalloc_register_batch";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckArray(function, "specs", specs, count));
    std::vector<vx::RegistrantSpec> converted(count);
    for (size_t i = 0; i < count; ++i) {
      const std::string field = fmt::format("specs[{}]", i);
      VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, field.c_str(), specs[i]));
      VAXALLOC_C_RETURN_IF_ERROR(FromC(function, field.c_str(), ReadSpec(specs[i]), &converted[i]));
    }
    const absl::StatusOr<std::vector<vx::RegistrantId>> ids = store.RegisterBatch(converted);
    if (!ids.ok()) return ids.status();
    if (ids_out != nullptr) std::copy(ids->begin(), ids->end(), ids_out);
    return Outcome();
  });
}

int vaxalloc_registrant_init(vaxalloc_registrant* registrant, uint32_t version) noexcept {
  return InitStruct("vaxalloc_registrant_init", registrant, version, Zero<vaxalloc_registrant>);
}

int vaxalloc_registrant_get(vaxalloc_campaign* campaign, uint32_t id,
                            vaxalloc_registrant* out) noexcept {
  constexpr const char* function = "vaxalloc_registrant_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetRegistrant(id), out);
  });
}

int vaxalloc_registrant_find(vaxalloc_campaign* campaign, const char* external_ref,
                             uint32_t* id_out) noexcept {
  return FindId(
      campaign, "vaxalloc_registrant_find", external_ref, id_out,
      [](const vx::Engine& engine, std::string_view text) { return engine.FindRegistrant(text); });
}

int vaxalloc_tier_of(vaxalloc_campaign* campaign, uint32_t id, uint32_t policy_version,
                     int32_t* tier_out) noexcept {
  constexpr const char* function = "vaxalloc_tier_of";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(tier_out);
    const absl::StatusOr<int> tier = store.engine().TierOf(id, policy_version);
    if (!tier.ok()) return tier.status();
    *tier_out = *tier;
    return Outcome();
  });
}

int vaxalloc_withdraw(vaxalloc_campaign* campaign, uint32_t registrant, int64_t at) noexcept {
  return CallOn(campaign, "vaxalloc_withdraw", [&](vx::Store& store) -> Outcome {
    return store.Withdraw(registrant, TimeFromC(at));
  });
}

int vaxalloc_registrant_delete(vaxalloc_campaign* campaign, uint32_t registrant,
                               int64_t at) noexcept {
  return CallOn(campaign, "vaxalloc_registrant_delete", [&](vx::Store& store) -> Outcome {
    return store.DeleteRegistration(registrant, TimeFromC(at));
  });
}

// --- Draws and series ------------------------------------------------------------------------

int vaxalloc_draw_request_init(vaxalloc_draw_request* request, uint32_t version) noexcept {
  return InitStruct("vaxalloc_draw_request_init", request, version,
                    [](Narrow& narrow) { return ToC(narrow, vx::DrawRequest{}); });
}

int vaxalloc_draw_info_init(vaxalloc_draw_info* info, uint32_t version) noexcept {
  return InitStruct("vaxalloc_draw_info_init", info, version, Zero<vaxalloc_draw_info>);
}

int vaxalloc_draw(vaxalloc_campaign* campaign, const vaxalloc_draw_request* request,
                  vaxalloc_draw_info* out) noexcept {
  constexpr const char* function = "vaxalloc_draw";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "request", request));
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    vx::DrawRequest converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, *request, &converted));
    const absl::StatusOr<vx::DrawRecord> record = store.Draw(converted);
    if (!record.ok()) return record.status();
    // The draw is committed: a record that does not convert is a bug, and the
    // caller can still read it with vaxalloc_draw_get().
    if (out != nullptr) return GetInto(function, record, out);
    return Outcome();
  });
}

int vaxalloc_draw_get(vaxalloc_campaign* campaign, uint32_t id, vaxalloc_draw_info* out) noexcept {
  constexpr const char* function = "vaxalloc_draw_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetDraw(id), out);
  });
}

int vaxalloc_draw_series(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out, size_t capacity,
                         size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_draw_series";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::DrawRecord> record = store.engine().GetDraw(id);
    if (!record.ok()) return record.status();
    return CopyIds(function, record->series, out, capacity, count_out);
  });
}

int vaxalloc_draw_centers(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out, size_t capacity,
                          size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_draw_centers";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::DrawRecord> record = store.engine().GetDraw(id);
    if (!record.ok()) return record.status();
    return CopyIds(function, record->request.centers, out, capacity, count_out);
  });
}

// --- Committed draws ---------------------------------------------------------------------------

int vaxalloc_draw_commitment_init(vaxalloc_draw_commitment* commitment,
                                  uint32_t version) noexcept {
  return InitStruct("vaxalloc_draw_commitment_init", commitment, version,
                    Zero<vaxalloc_draw_commitment>);
}

int vaxalloc_draw_commit(vaxalloc_campaign* campaign, const vaxalloc_draw_request* request,
                         const char* beacon, vaxalloc_draw_commitment* out) noexcept {
  constexpr const char* function = "vaxalloc_draw_commit";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "request", request));
    VAXALLOC_C_REQUIRE(beacon);
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    vx::DrawRequest converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, *request, &converted));
    const absl::StatusOr<vx::DrawCommitment> commitment = store.CommitDraw(converted, beacon);
    if (!commitment.ok()) return commitment.status();
    if (out != nullptr) return GetInto(function, commitment, out);
    return Outcome();
  });
}

int vaxalloc_draw_reveal(vaxalloc_campaign* campaign, uint32_t commitment,
                         const uint8_t* beacon_value, size_t beacon_value_size, int64_t at,
                         vaxalloc_draw_info* out) noexcept {
  constexpr const char* function = "vaxalloc_draw_reveal";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(beacon_value);
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    const std::string_view value(reinterpret_cast<const char*>(beacon_value), beacon_value_size);
    const absl::StatusOr<vx::DrawRecord> record =
        store.RevealDraw(commitment, value, TimeFromC(at));
    if (!record.ok()) return record.status();
    if (out != nullptr) return GetInto(function, record, out);
    return Outcome();
  });
}

int vaxalloc_draw_abandon(vaxalloc_campaign* campaign, uint32_t commitment, const char* reason,
                          int64_t at) noexcept {
  constexpr const char* function = "vaxalloc_draw_abandon";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(reason);
    return store.AbandonDraw(commitment, reason, TimeFromC(at));
  });
}

int vaxalloc_draw_commitment_get(vaxalloc_campaign* campaign, uint32_t id,
                                 vaxalloc_draw_commitment* out) noexcept {
  constexpr const char* function = "vaxalloc_draw_commitment_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetDrawCommitment(id), out);
  });
}

int vaxalloc_draw_commitment_centers(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out,
                                     size_t capacity, size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_draw_commitment_centers";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<vx::DrawCommitment> commitment = store.engine().GetDrawCommitment(id);
    if (!commitment.ok()) return commitment.status();
    return CopyIds(function, commitment->request.centers, out, capacity, count_out);
  });
}

int vaxalloc_draw_fairness_init(vaxalloc_draw_fairness* fairness, uint32_t version) noexcept {
  return InitStruct("vaxalloc_draw_fairness_init", fairness, version,
                    Zero<vaxalloc_draw_fairness>);
}

int vaxalloc_draw_check_fairness(vaxalloc_campaign* campaign, uint32_t commitment,
                                 int32_t buckets, vaxalloc_draw_fairness* out) noexcept {
  constexpr const char* function = "vaxalloc_draw_check_fairness";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    const absl::StatusOr<vx::DrawFairness> fairness =
        store.engine().CheckDrawFairness(commitment, buckets);
    if (!fairness.ok()) return fairness.status();
    vaxalloc_draw_fairness converted{};
    converted.commitment = fairness->commitment;
    converted.buckets = fairness->buckets;
    converted.degrees_of_freedom = fairness->degrees_of_freedom;
    converted.chi_square = fairness->chi_square;
    converted.p_value = fairness->p_value;
    // At most one entry per tier.
    converted.tier_count = static_cast<uint32_t>(
        std::min<size_t>(fairness->tiers.size(), VAXALLOC_TIER_MAX));
    for (uint32_t i = 0; i < converted.tier_count; ++i) {
      const vx::TierFairness& tier = fairness->tiers[i];
      converted.tiers[i] = vaxalloc_tier_fairness{tier.tier,    tier.candidates,
                                                  tier.winners, tier.buckets,
                                                  tier.degrees_of_freedom, tier.chi_square};
    }
    WriteStruct(converted, out);
    return Outcome();
  });
}

int vaxalloc_draw_bundle(vaxalloc_campaign* campaign, uint32_t commitment, uint8_t* out,
                         size_t capacity, size_t* size_out) noexcept {
  constexpr const char* function = "vaxalloc_draw_bundle";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(size_out);
    const absl::StatusOr<std::string> bundle = store.engine().DrawBundle(commitment);
    if (!bundle.ok()) return bundle.status();
    const std::basic_string_view<uint8_t> bytes(reinterpret_cast<const uint8_t*>(bundle->data()),
                                                bundle->size());
    return CopyToBuffer(function, bytes, out, capacity, size_out,
                        [](Narrow&, uint8_t byte) { return byte; });
  });
}

int vaxalloc_draw_bundle_write(vaxalloc_campaign* campaign, uint32_t commitment,
                               const char* path) noexcept {
  constexpr const char* function = "vaxalloc_draw_bundle_write";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(path);
    return store.engine().WriteDrawBundle(commitment, path);
  });
}

int vaxalloc_series_init(vaxalloc_series* series, uint32_t version) noexcept {
  return InitStruct("vaxalloc_series_init", series, version, Zero<vaxalloc_series>);
}

int vaxalloc_series_get(vaxalloc_campaign* campaign, uint32_t id, vaxalloc_series* out) noexcept {
  constexpr const char* function = "vaxalloc_series_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetSeries(id), out);
  });
}

int vaxalloc_series_cancel(vaxalloc_campaign* campaign, uint32_t series, int64_t at) noexcept {
  return CallOn(campaign, "vaxalloc_series_cancel", [&](vx::Store& store) -> Outcome {
    return store.CancelSeries(series, TimeFromC(at));
  });
}

// --- Self-booking --------------------------------------------------------------------------

int vaxalloc_release_spec_init(vaxalloc_release_spec* spec, uint32_t version) noexcept {
  return InitStruct("vaxalloc_release_spec_init", spec, version,
                    [](Narrow& narrow) { return ToC(narrow, vx::ReleaseSpec{}); });
}

int vaxalloc_release_add(vaxalloc_campaign* campaign, const vaxalloc_release_spec* spec,
                         uint32_t* id_out) noexcept {
  constexpr const char* function = "vaxalloc_release_add";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "spec", spec));
    return StoreId(store.AddRelease(FromC(*spec)), id_out);
  });
}

int vaxalloc_release_init(vaxalloc_release* release, uint32_t version) noexcept {
  return InitStruct("vaxalloc_release_init", release, version, Zero<vaxalloc_release>);
}

int vaxalloc_release_get(vaxalloc_campaign* campaign, uint32_t id, vaxalloc_release* out) noexcept {
  constexpr const char* function = "vaxalloc_release_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetRelease(id), out);
  });
}

int vaxalloc_booking_request_init(vaxalloc_booking_request* request, uint32_t version) noexcept {
  return InitStruct("vaxalloc_booking_request_init", request, version,
                    [](Narrow& narrow) { return ToC(narrow, vx::BookingRequest{}); });
}

int vaxalloc_book(vaxalloc_campaign* campaign, const vaxalloc_booking_request* request,
                  vaxalloc_series* out) noexcept {
  constexpr const char* function = "vaxalloc_book";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "request", request));
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    vx::BookingRequest converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, *request, &converted));
    return SeriesInto(function, store.Book(converted), out);
  });
}

int vaxalloc_hold_confirm(vaxalloc_campaign* campaign, uint32_t hold, int64_t at,
                          vaxalloc_series* out) noexcept {
  constexpr const char* function = "vaxalloc_hold_confirm";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return SeriesInto(function, store.ConfirmHold(hold, TimeFromC(at)), out);
  });
}

int vaxalloc_hold_decline(vaxalloc_campaign* campaign, uint32_t hold, int64_t at) noexcept {
  return CallOn(campaign, "vaxalloc_hold_decline", [&](vx::Store& store) -> Outcome {
    return store.DeclineHold(hold, TimeFromC(at));
  });
}

int vaxalloc_holds_expire(vaxalloc_campaign* campaign, int64_t at,
                          uint32_t* lapsed_count_out) noexcept {
  return CallOn(campaign, "vaxalloc_holds_expire", [&](vx::Store& store) -> Outcome {
    return StoreId(store.ExpireHolds(TimeFromC(at)), lapsed_count_out);
  });
}

int vaxalloc_standby_list(vaxalloc_campaign* campaign, uint32_t center, int64_t at, uint32_t* out,
                          size_t capacity, size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_standby_list";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    // The whole list: "Caller buffers" reports the size needed.
    const absl::StatusOr<std::vector<vx::RegistrantId>> list =
        store.engine().StandbyList(center, TimeFromC(at), std::numeric_limits<size_t>::max());
    if (!list.ok()) return list.status();
    return CopyIds(function, *list, out, capacity, count_out);
  });
}

// --- Verification codes ------------------------------------------------------------------------

int vaxalloc_code_request_init(vaxalloc_code_request* request, uint32_t version) noexcept {
  return InitStruct("vaxalloc_code_request_init", request, version,
                    [](Narrow&) { return ToC(vx::CodeRequest{}); });
}

int vaxalloc_code_issue(vaxalloc_campaign* campaign, const vaxalloc_code_request* request,
                        uint32_t* code_id_out, char* digits_out, size_t digits_capacity) noexcept {
  constexpr const char* function = "vaxalloc_code_issue";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "request", request));
    VAXALLOC_C_REQUIRE(digits_out);
    vx::CodeRequest converted;
    VAXALLOC_C_RETURN_IF_ERROR(FromC(function, *request, &converted));
    // Checked before issuing: a code whose digits the caller cannot receive
    // must not exist. The handle's mutex keeps the policy as it is until the
    // code is issued under it.
    const size_t needed = static_cast<size_t>(store.engine().policy().code_digits) + 1;
    if (digits_capacity < needed) {
      return Fail(VAXALLOC_EBUFFER,
                  "{}: digits_out holds {} bytes; the policy's {}-digit codes need {} "
                  "(VAXALLOC_VERIFICATION_CODE_SIZE always suffices); no code was issued",
                  function, digits_capacity, needed - 1, needed);
    }
    const absl::StatusOr<vx::IssuedCode> issued = store.IssueCode(converted);
    if (!issued.ok()) return issued.status();
    if (issued->code.size() + 1 > digits_capacity) {
      // Issued and committed already, so the event still carries the digits.
      return Fail(VAXALLOC_EINTERNAL, "{}: code {} has {} digits; the policy said {}", function,
                  issued->record.id, issued->code.size(), needed - 1);
    }
    std::memcpy(digits_out, issued->code.c_str(), issued->code.size() + 1);
    if (code_id_out != nullptr) *code_id_out = issued->record.id;
    return Outcome();
  });
}

int vaxalloc_code_verify(vaxalloc_campaign* campaign, uint32_t code_id, const char* entered,
                         int64_t at, int32_t* outcome_out) noexcept {
  constexpr const char* function = "vaxalloc_code_verify";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(entered);
    // The core writes the outcome only once it has checked the code.
    constexpr auto kUnchecked = static_cast<vx::CodeOutcome>(0xff);
    vx::CodeOutcome outcome = kUnchecked;
    const absl::Status status = store.VerifyCode(code_id, entered, TimeFromC(at), &outcome);
    if (outcome != kUnchecked && outcome_out != nullptr) {
      *outcome_out = static_cast<int32_t>(outcome);
    }
    return Outcome(status);
  });
}

int vaxalloc_code_init(vaxalloc_code* code, uint32_t version) noexcept {
  return InitStruct("vaxalloc_code_init", code, version, Zero<vaxalloc_code>);
}

int vaxalloc_code_get(vaxalloc_campaign* campaign, uint32_t id, vaxalloc_code* out) noexcept {
  constexpr const char* function = "vaxalloc_code_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return GetInto(function, store.engine().GetCode(id), out);
  });
}

// --- Attendance ------------------------------------------------------------------------------

int vaxalloc_dose_record(vaxalloc_campaign* campaign, uint32_t series, int32_t dose,
                         int32_t outcome, int64_t at, vaxalloc_series* out) noexcept {
  constexpr const char* function = "vaxalloc_dose_record";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(
        CheckEnum(function, "outcome", outcome, VAXALLOC_OUTCOME_GIVEN, VAXALLOC_OUTCOME_MISSED));
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return SeriesInto(
        function,
        store.RecordDose(series, dose, static_cast<vx::DoseOutcome>(outcome), TimeFromC(at)), out);
  });
}

int vaxalloc_second_dose_rebook(vaxalloc_campaign* campaign, uint32_t series, int64_t at,
                                vaxalloc_series* out) noexcept {
  constexpr const char* function = "vaxalloc_second_dose_rebook";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    if (out != nullptr) VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    return SeriesInto(function, store.RebookSecondDose(series, TimeFromC(at)), out);
  });
}

int vaxalloc_attendance(vaxalloc_campaign* campaign, uint32_t center, int32_t from, int32_t until,
                        vaxalloc_day_attendance* out, size_t capacity, size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_attendance";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    const absl::StatusOr<std::vector<vx::DayAttendance>> days =
        store.engine().Attendance(center, DayFromC(from), DayFromC(until));
    if (!days.ok()) return days.status();
    return CopyToBuffer(
        function, *days, out, capacity, count_out,
        [](Narrow& narrow, const vx::DayAttendance& day) { return ToC(narrow, day); });
  });
}

// --- Queries and reports ------------------------------------------------------------------------

int vaxalloc_counts_init(vaxalloc_counts* counts, uint32_t version) noexcept {
  return InitStruct("vaxalloc_counts_init", counts, version, Zero<vaxalloc_counts>);
}

int vaxalloc_counts_get(vaxalloc_campaign* campaign, vaxalloc_counts* out) noexcept {
  constexpr const char* function = "vaxalloc_counts_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    const vx::Engine& engine = store.engine();
    vaxalloc_counts counts{};
    counts.districts = engine.district_count();
    counts.vaccines = engine.vaccine_count();
    counts.centers = engine.center_count();
    counts.registrants = engine.registrant_count();
    counts.series = engine.series_count();
    counts.draws = engine.draw_count();
    counts.policy_version = engine.policy_version();
    counts.capacity_blocks = engine.capacity_blocks().size();
    counts.deliveries = engine.deliveries().size();
    counts.revision = engine.revision();
    counts.releases = engine.release_count();
    counts.holds = engine.hold_count();
    counts.codes = engine.code_count();
    counts.draw_commitments = engine.draw_commitment_count();
    WriteStruct(counts, out);
    return Outcome();
  });
}

int vaxalloc_slots(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine, int32_t day,
                   vaxalloc_slot* out, size_t capacity, size_t* count_out) noexcept {
  return ReadSlots(campaign, "vaxalloc_slots", center, vaccine, day, out, capacity, count_out,
                   SlotToC);
}

int vaxalloc_slots_v2(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine, int32_t day,
                      vaxalloc_slot_v2* out, size_t capacity, size_t* count_out) noexcept {
  return ReadSlots(campaign, "vaxalloc_slots_v2", center, vaccine, day, out, capacity, count_out,
                   SlotV2ToC);
}

int vaxalloc_doses_available(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine,
                             int32_t day, int64_t* doses_out) noexcept {
  constexpr const char* function = "vaxalloc_doses_available";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(doses_out);
    *doses_out = store.engine().DosesAvailableFrom(center, vaccine, DayFromC(day));
    return Outcome();
  });
}

int vaxalloc_second_dose_shortfalls(vaxalloc_campaign* campaign,
                                    vaxalloc_second_dose_shortfall* out, size_t capacity,
                                    size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_second_dose_shortfalls";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    return CopyToBuffer(function, store.engine().CheckSecondDoseCapacity(), out, capacity,
                        count_out, [](Narrow& narrow, const vx::SecondDoseShortfall& shortfall) {
                          return vaxalloc_second_dose_shortfall{
                              shortfall.center, shortfall.vaccine, narrow.Day(shortfall.day),
                              shortfall.seats_first, shortfall.seats_second_in_window};
                        });
  });
}

int vaxalloc_report_init(vaxalloc_report* report, uint32_t version) noexcept {
  return InitStruct("vaxalloc_report_init", report, version, Zero<vaxalloc_report>);
}

int vaxalloc_report_get(vaxalloc_campaign* campaign, vaxalloc_report* out) noexcept {
  constexpr const char* function = "vaxalloc_report_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    WriteStruct(ToC(store.engine().Summarize()), out);
    return Outcome();
  });
}

int vaxalloc_report_centers(vaxalloc_campaign* campaign, vaxalloc_center_report* out,
                            size_t capacity, size_t* count_out) noexcept {
  constexpr const char* function = "vaxalloc_report_centers";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(count_out);
    return CopyToBuffer(function, store.engine().Summarize().centers, out, capacity, count_out,
                        [](Narrow&, const vx::CenterReport& center) {
                          return vaxalloc_center_report{
                              center.center,           center.series_active,
                              center.seats_first_free, center.doses_delivered,
                              center.doses_reserved,   center.residents_waiting};
                        });
  });
}

int vaxalloc_wait_forecast_init(vaxalloc_wait_forecast* forecast, uint32_t version) noexcept {
  return InitStruct("vaxalloc_wait_forecast_init", forecast, version, Zero<vaxalloc_wait_forecast>);
}

int vaxalloc_forecast_wait(vaxalloc_campaign* campaign, int64_t at,
                           vaxalloc_wait_forecast* out) noexcept {
  constexpr const char* function = "vaxalloc_forecast_wait";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    const absl::StatusOr<vx::WaitForecast> forecast = store.engine().ForecastWait(TimeFromC(at));
    if (!forecast.ok()) return forecast.status();
    Narrow narrow(function);
    vaxalloc_wait_forecast converted{};
    converted.today = narrow.Day(forecast->today);
    converted.first_doses_available = forecast->first_doses_available;
    static_assert(std::tuple_size_v<decltype(vx::WaitForecast::tiers)> == VAXALLOC_TIER_MAX);
    for (size_t t = 0; t < forecast->tiers.size(); ++t) {
      const vx::TierForecast& tier = forecast->tiers[t];
      vaxalloc_tier_forecast& c_tier = converted.tiers[t];
      c_tier.waiting = tier.waiting;
      c_tier.waiting_ahead = tier.waiting_ahead;
      c_tier.has_last_first_dose = tier.last_first_dose.has_value() ? 1 : 0;
      c_tier.last_first_dose = tier.last_first_dose ? narrow.Day(*tier.last_first_dose) : 0;
      c_tier.days = tier.days;
    }
    VAXALLOC_C_RETURN_IF_ERROR(narrow.Result());
    WriteStruct(converted, out);
    return Outcome();
  });
}

int vaxalloc_check_invariants(vaxalloc_campaign* campaign, uint64_t* violation_count_out,
                              char** text_out) noexcept {
  constexpr const char* function = "vaxalloc_check_invariants";
  if (text_out != nullptr) *text_out = nullptr;
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    const vx::InvariantReport report = vx::CheckInvariants(store.engine());
    if (text_out != nullptr) {
      const std::string text = report.ToString();
      char* copy = static_cast<char*>(std::malloc(text.size() + 1));
      if (copy == nullptr) {
        return Fail(VAXALLOC_ENOMEM, "{}: no memory for the {}-byte text", function,
                    text.size() + 1);
      }
      std::memcpy(copy, text.c_str(), text.size() + 1);
      *text_out = copy;
    }
    if (violation_count_out != nullptr) *violation_count_out = report.violation_count;
    return Outcome();
  });
}

// --- The outbox ------------------------------------------------------------------------------

int vaxalloc_pending_events(vaxalloc_campaign* campaign, uint64_t after_id, vaxalloc_event* out,
                            size_t capacity, size_t* count_out) noexcept {
  return ReadEvents(campaign, "vaxalloc_pending_events", after_id, out, capacity, count_out,
                    EventToC);
}

int vaxalloc_pending_events_v2(vaxalloc_campaign* campaign, uint64_t after_id,
                               vaxalloc_event_v2* out, size_t capacity,
                               size_t* count_out) noexcept {
  return ReadEvents(campaign, "vaxalloc_pending_events_v2", after_id, out, capacity, count_out,
                    EventV2ToC);
}

int vaxalloc_acknowledge_events(vaxalloc_campaign* campaign, uint64_t through_id) noexcept {
  return CallOn(campaign, "vaxalloc_acknowledge_events",
                [&](vx::Store& store) -> Outcome { return store.AcknowledgeEvents(through_id); });
}

// --- The journal -------------------------------------------------------------------

int vaxalloc_latest_change(vaxalloc_campaign* campaign, int64_t* at_out) noexcept {
  constexpr const char* function = "vaxalloc_latest_change";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(at_out);
    *at_out = TimeToC(store.engine().latest_change());
    return Outcome();
  });
}

int vaxalloc_campaign_refresh(vaxalloc_campaign* campaign) noexcept {
  // CallOn catches up first; nothing is left to do.
  return CallOn(campaign, "vaxalloc_campaign_refresh", [](vx::Store&) { return Outcome(); });
}

int vaxalloc_journal_seq(vaxalloc_campaign* campaign, uint64_t* seq_out) noexcept {
  constexpr const char* function = "vaxalloc_journal_seq";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_REQUIRE(seq_out);
    *seq_out = store.journal_seq();
    return Outcome();
  });
}

int vaxalloc_journal_check_init(vaxalloc_journal_check* check, uint32_t version) noexcept {
  return InitStruct("vaxalloc_journal_check_init", check, version, Zero<vaxalloc_journal_check>);
}

int vaxalloc_journal_verify(vaxalloc_campaign* campaign, vaxalloc_journal_check* out) noexcept {
  constexpr const char* function = "vaxalloc_journal_verify";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    const absl::StatusOr<vx::JournalCheck> check = store.VerifyJournal();
    if (!check.ok()) return check.status();
    vaxalloc_journal_check result{};
    result.entries = check->entries;
    result.first_bad_seq = check->first_bad_seq;
    std::copy(check->head.begin(), check->head.end(), result.head);
    WriteStruct(result, out);
    if (check->intact()) return Outcome();
    return Fail(VAXALLOC_ECORRUPT, "{}: the journal of campaign file '{}' is broken: {}", function,
                store.path(), check->problem);
  }, /*catch_up=*/false);
}

int vaxalloc_journal_entry_init(vaxalloc_journal_entry* entry, uint32_t version) noexcept {
  return InitStruct("vaxalloc_journal_entry_init", entry, version, Zero<vaxalloc_journal_entry>);
}

int vaxalloc_journal_entry_get(vaxalloc_campaign* campaign, uint64_t seq,
                               vaxalloc_journal_entry* out) noexcept {
  constexpr const char* function = "vaxalloc_journal_entry_get";
  return CallOn(campaign, function, [&](vx::Store& store) -> Outcome {
    VAXALLOC_C_RETURN_IF_ERROR(CheckStruct(function, "out", out));
    if (seq == 0) return Fail(VAXALLOC_ENOTFOUND, "{}: no journal entry 0 (the first is 1)", function);
    absl::StatusOr<std::vector<vx::JournalEntry>> entries = store.ReadJournal(seq - 1, 1);
    if (!entries.ok()) return entries.status();
    if (entries->empty() || entries->front().seq != seq) {
      return Fail(VAXALLOC_ENOTFOUND, "{}: campaign file '{}' has no journal entry {}", function,
                  store.path(), seq);
    }
    // Lent until the next call on the handle.
    vx::JournalEntry& kept = campaign->journal_entry;
    kept = std::move(entries->front());
    vaxalloc_journal_entry result{};
    result.op = kept.op;
    result.seq = kept.seq;
    result.committed_at_us = absl::ToUnixMicros(kept.committed_at);
    result.clock_us = absl::ToUnixMicros(kept.clock);  // InfinitePast: INT64_MIN
    result.op_name = kept.op_name.c_str();
    result.args = reinterpret_cast<const uint8_t*>(kept.args.data());
    result.args_size = kept.args.size();
    std::copy(kept.hash.begin(), kept.hash.end(), result.hash);
    WriteStruct(result, out);
    return Outcome();
  }, /*catch_up=*/false);
}

}  // extern "C"
