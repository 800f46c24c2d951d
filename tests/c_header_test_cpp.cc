// Compiles vaxalloc.h as strict C++11 (tests/capi.cmake: -std=c++11
// -pedantic-errors and many warnings, as errors): the C ABI is usable from
// C++ as it is, with every function noexcept and no name outside the
// vaxalloc_ / VAXALLOC_ prefixes needed. The C twin is c_header_test.c.
// vaxalloc.h first, so that it must compile on its own.
// clang-format off
#include "vaxalloc.h"
#include "vaxalloc.h"  // twice: the include guard holds

#include <cstdio>
#include <cstring>
#include <type_traits>
// clang-format on

static_assert(noexcept(vaxalloc_version()), "C functions are noexcept in C++");
static_assert(noexcept(vaxalloc_campaign_close(nullptr)), "C functions are noexcept in C++");
static_assert(std::is_standard_layout<vaxalloc_series>::value, "plain C structs");
static_assert(std::is_trivially_copyable<vaxalloc_draw_info>::value, "plain C structs");
static_assert(sizeof(vaxalloc_slot) == 24, "vaxalloc_slot is frozen");
static_assert(sizeof(vaxalloc_slot_v2) == 32, "vaxalloc_slot_v2 is frozen");
static_assert(sizeof(vaxalloc_day_attendance) == 24, "vaxalloc_day_attendance is frozen");
static_assert(sizeof(vaxalloc_event_v2) == 56, "vaxalloc_event_v2 is frozen");
static_assert(sizeof(vaxalloc_tier_forecast) == 32, "vaxalloc_tier_forecast is frozen");
static_assert(noexcept(vaxalloc_code_verify(nullptr, 0, nullptr, 0, nullptr)),
              "C functions are noexcept in C++");
static_assert(noexcept(vaxalloc_book(nullptr, nullptr, nullptr)),
              "C functions are noexcept in C++");
static_assert(VAXALLOC_VERSION_NUMBER == VAXALLOC_VERSION_MAJOR * 1000000 +
                                             VAXALLOC_VERSION_MINOR * 1000 + VAXALLOC_VERSION_PATCH,
              "VAXALLOC_VERSION_NUMBER");

int main() {
  // Every INIT macro is a valid C++11 initializer.
  const vaxalloc_open_options open_options = VAXALLOC_OPEN_OPTIONS_INIT;
  const vaxalloc_journal_check journal_check = VAXALLOC_JOURNAL_CHECK_INIT;
  const vaxalloc_journal_entry journal_entry = VAXALLOC_JOURNAL_ENTRY_INIT;
  const vaxalloc_district district = VAXALLOC_DISTRICT_INIT;
  const vaxalloc_vaccine_spec vaccine_spec = VAXALLOC_VACCINE_SPEC_INIT;
  const vaxalloc_vaccine vaccine = VAXALLOC_VACCINE_INIT;
  const vaxalloc_center_spec center_spec = VAXALLOC_CENTER_SPEC_INIT;
  const vaxalloc_center center = VAXALLOC_CENTER_INIT;
  const vaxalloc_capacity_block capacity_block = VAXALLOC_CAPACITY_BLOCK_INIT;
  const vaxalloc_supply_delivery supply_delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  const vaxalloc_tier_rule tier_rule = VAXALLOC_TIER_RULE_INIT;
  const vaxalloc_reserve reserve = VAXALLOC_RESERVE_INIT;
  const vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  const vaxalloc_policy_info policy_info = VAXALLOC_POLICY_INFO_INIT;
  const vaxalloc_registrant_spec registrant_spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  const vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  const vaxalloc_draw_request draw_request = VAXALLOC_DRAW_REQUEST_INIT;
  const vaxalloc_draw_info draw_info = VAXALLOC_DRAW_INFO_INIT;
  const vaxalloc_series series = VAXALLOC_SERIES_INIT;
  const vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  const vaxalloc_report report = VAXALLOC_REPORT_INIT;
  const vaxalloc_release_spec release_spec = VAXALLOC_RELEASE_SPEC_INIT;
  const vaxalloc_release release = VAXALLOC_RELEASE_INIT;
  const vaxalloc_booking_request booking_request = VAXALLOC_BOOKING_REQUEST_INIT;
  const vaxalloc_code_request code_request = VAXALLOC_CODE_REQUEST_INIT;
  const vaxalloc_code code = VAXALLOC_CODE_INIT;

  int failures = 0;
  failures += vaxalloc_version_number() != VAXALLOC_VERSION_NUMBER;
  failures += std::strcmp(vaxalloc_version(), VAXALLOC_VERSION_STRING) != 0;
  failures += open_options.version != VAXALLOC_OPEN_OPTIONS_VERSION;
  failures += journal_check.version != VAXALLOC_JOURNAL_CHECK_VERSION;
  failures += journal_entry.version != VAXALLOC_JOURNAL_ENTRY_VERSION;
  failures += district.version != VAXALLOC_DISTRICT_VERSION;
  failures += vaccine_spec.version != VAXALLOC_VACCINE_SPEC_VERSION;
  failures += vaccine.version != VAXALLOC_VACCINE_VERSION;
  failures += center_spec.version != VAXALLOC_CENTER_SPEC_VERSION;
  failures += center.version != VAXALLOC_CENTER_VERSION;
  failures += capacity_block.version != VAXALLOC_CAPACITY_BLOCK_VERSION;
  failures += supply_delivery.version != VAXALLOC_SUPPLY_DELIVERY_VERSION;
  failures += tier_rule.tier_by_group[3] != 4;
  failures += reserve.share_permille != 0;
  failures += policy.version != VAXALLOC_POLICY_VERSION;
  failures += policy_info.version != VAXALLOC_POLICY_INFO_VERSION;
  failures += registrant_spec.version != VAXALLOC_REGISTRANT_SPEC_VERSION;
  failures += registrant.version != VAXALLOC_REGISTRANT_VERSION;
  failures += draw_request.version != VAXALLOC_DRAW_REQUEST_VERSION;
  failures += draw_info.version != VAXALLOC_DRAW_INFO_VERSION;
  failures += series.version != VAXALLOC_SERIES_VERSION;
  failures += counts.version != VAXALLOC_COUNTS_VERSION;
  failures += report.version != VAXALLOC_REPORT_VERSION;
  failures += release_spec.version != VAXALLOC_RELEASE_SPEC_VERSION;
  failures += release.version != VAXALLOC_RELEASE_VERSION;
  failures += booking_request.version != VAXALLOC_BOOKING_REQUEST_VERSION;
  failures += code_request.version != VAXALLOC_CODE_REQUEST_VERSION;
  failures += code.version != VAXALLOC_CODE_VERSION;
  failures += policy.hold_seconds != 600 || policy.time_zone != nullptr;
  failures += series.hold_expires_at != 0 || series.replaces != 0;
  failures += counts.holds != 0 || report.doses_missed != 0;
  failures += booking_request.first_dose_until != VAXALLOC_DAY_MAX;
  failures += policy.standby_hold_seconds != 1800 || policy.code_digits != 6;
  failures += policy.code_attempts != 3 || policy.code_lifetime_seconds != 900;
  failures += policy_info.code_lifetime_seconds != 0 || counts.codes != 0;
  failures += registrant_spec.standby != 0 || registrant.standby != 0;
  failures += code_request.purpose != VAXALLOC_CODE_PURPOSE_CANCEL_SERIES || code.attempts != 0;
  // A campaign opens and closes from C++ as from C.
  vaxalloc_campaign* campaign = nullptr;
  failures += vaxalloc_campaign_open(":memory:", nullptr, &campaign) != VAXALLOC_OK;
  vaxalloc_campaign_close(campaign);
  if (failures != 0) {
    std::fprintf(stderr, "c_header_test_cpp: %d failures\n", failures);
    return 1;
  }
  std::printf("c_header_test_cpp: ok (C++%ld, vaxalloc %s)\n", __cplusplus / 100 % 100,
              vaxalloc_version());
  return 0;
}
