/* Compiles vaxalloc.h as strict C11 (tests/capi.cmake: -std=c11
 * -pedantic-errors and many warnings, as errors) and checks at run time that
 * the header and the library loaded agree. Its C++ twin is
 * c_header_test_cpp.cc. */
/* vaxalloc.h first, so that it must compile on its own. */
/* clang-format off */
#include "vaxalloc.h"
#include "vaxalloc.h" /* twice: the include guard holds */

#include <stdio.h>
#include <string.h>
/* clang-format on */

/* The header's promises about types, checked by the compiler. */
_Static_assert(sizeof(vaxalloc_tier_rule) == 16, "vaxalloc_tier_rule is frozen");
_Static_assert(sizeof(vaxalloc_neighbour_pair) == 8, "vaxalloc_neighbour_pair is frozen");
_Static_assert(sizeof(vaxalloc_appointment) == 8, "vaxalloc_appointment is frozen");
_Static_assert(sizeof(vaxalloc_tier_count) == 8, "vaxalloc_tier_count is frozen");
_Static_assert(sizeof(vaxalloc_slot) == 24, "vaxalloc_slot is frozen");
_Static_assert(sizeof(vaxalloc_slot_v2) == 32, "vaxalloc_slot_v2 is frozen");
_Static_assert(sizeof(vaxalloc_event) == 40, "vaxalloc_event is frozen");
_Static_assert(sizeof(vaxalloc_event_v2) == 56, "vaxalloc_event_v2 is frozen");
_Static_assert(sizeof(vaxalloc_day_attendance) == 24, "vaxalloc_day_attendance is frozen");
_Static_assert(sizeof(vaxalloc_tier_forecast) == 32, "vaxalloc_tier_forecast is frozen");
_Static_assert(VAXALLOC_VERSION_NUMBER == VAXALLOC_VERSION_MAJOR * 1000000 +
                                              VAXALLOC_VERSION_MINOR * 1000 +
                                              VAXALLOC_VERSION_PATCH,
               "VAXALLOC_VERSION_NUMBER");
_Static_assert(VAXALLOC_CODE_SIZE == 65 && VAXALLOC_NAME_SIZE == 257 &&
                   VAXALLOC_EXTERNAL_REF_SIZE == 129 && VAXALLOC_SEED_TEXT_SIZE == 33 &&
                   VAXALLOC_VERIFICATION_CODE_SIZE == 11,
               "array sizes");
_Static_assert(VAXALLOC_DRAW_LEAD_DAYS_MAX == 60 && VAXALLOC_OVERBOOK_PERMILLE_MAX == 500,
               "0.3 limits");

/* Every INIT macro is a valid C initializer, also at file scope. */
static const vaxalloc_open_options open_options = VAXALLOC_OPEN_OPTIONS_INIT;
static const vaxalloc_journal_check journal_check = VAXALLOC_JOURNAL_CHECK_INIT;
static const vaxalloc_journal_entry journal_entry = VAXALLOC_JOURNAL_ENTRY_INIT;
static const vaxalloc_district district = VAXALLOC_DISTRICT_INIT;
static const vaxalloc_vaccine_spec vaccine_spec = VAXALLOC_VACCINE_SPEC_INIT;
static const vaxalloc_vaccine vaccine = VAXALLOC_VACCINE_INIT;
static const vaxalloc_center_spec center_spec = VAXALLOC_CENTER_SPEC_INIT;
static const vaxalloc_center center = VAXALLOC_CENTER_INIT;
static const vaxalloc_capacity_block capacity_block = VAXALLOC_CAPACITY_BLOCK_INIT;
static const vaxalloc_supply_delivery supply_delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
static const vaxalloc_tier_rule tier_rule = VAXALLOC_TIER_RULE_INIT;
static const vaxalloc_reserve reserve = VAXALLOC_RESERVE_INIT;
static const vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
static const vaxalloc_policy_info policy_info = VAXALLOC_POLICY_INFO_INIT;
static const vaxalloc_registrant_spec registrant_spec = VAXALLOC_REGISTRANT_SPEC_INIT;
static const vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
static const vaxalloc_draw_request draw_request = VAXALLOC_DRAW_REQUEST_INIT;
static const vaxalloc_draw_info draw_info = VAXALLOC_DRAW_INFO_INIT;
static const vaxalloc_series series = VAXALLOC_SERIES_INIT;
static const vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
static const vaxalloc_report report = VAXALLOC_REPORT_INIT;
static const vaxalloc_release_spec release_spec = VAXALLOC_RELEASE_SPEC_INIT;
static const vaxalloc_release release = VAXALLOC_RELEASE_INIT;
static const vaxalloc_booking_request booking_request = VAXALLOC_BOOKING_REQUEST_INIT;
static const vaxalloc_code_request code_request = VAXALLOC_CODE_REQUEST_INIT;
static const vaxalloc_code code = VAXALLOC_CODE_INIT;

int main(void) {
  int failures = 0;
  if (vaxalloc_version_number() != VAXALLOC_VERSION_NUMBER) {
    fprintf(stderr, "library %d, header %d\n", (int)vaxalloc_version_number(),
            (int)VAXALLOC_VERSION_NUMBER);
    ++failures;
  }
  if (strcmp(vaxalloc_version(), VAXALLOC_VERSION_STRING) != 0) {
    fprintf(stderr, "library '%s', header '%s'\n", vaxalloc_version(), VAXALLOC_VERSION_STRING);
    ++failures;
  }
  /* Each macro sets its struct's current version. */
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
  failures += tier_rule.registered_before != VAXALLOC_TIME_INFINITE_FUTURE;
  failures += reserve.name[0] != '\0';
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
  /* The macros of grown structs set the appended fields too. */
  failures += policy.hold_seconds != 600 || policy.time_zone != NULL;
  failures += series.hold_expires_at != 0 || series.replaces != 0;
  failures += counts.holds != 0 || report.doses_missed != 0;
  failures += booking_request.first_dose_until != VAXALLOC_DAY_MAX;
  failures += policy.standby_hold_seconds != 1800 || policy.code_digits != 6;
  failures += policy.code_attempts != 3 || policy.code_lifetime_seconds != 900;
  failures += policy_info.code_lifetime_seconds != 0 || counts.codes != 0;
  failures += registrant_spec.standby != 0 || registrant.standby != 0;
  failures += code_request.purpose != VAXALLOC_CODE_PURPOSE_CANCEL_SERIES || code.attempts != 0;
  failures += policy.draw_lead_days_online != 0 || policy.draw_lead_days_phone != 0;
  failures += policy.overbook_permille != 0 || policy_info.overbook_permille != 0;
  failures += registrant.erased != 0;
  if (failures != 0) {
    fprintf(stderr, "c_header_test: %d failures\n", failures);
    return 1;
  }
  printf("c_header_test: ok (C11, vaxalloc %s)\n", vaxalloc_version());
  return 0;
}
