/* The C ABI tested in C11 (as LevelDB's db/c_test.c): every function of
 * vaxalloc.h, its results on a small campaign whose outcome is known exactly,
 * and its error paths: NULL handle and pointers, unknown ids, invalid enum
 * values, overlong strings, buffers too small, struct versions unknown; the
 * outbox (pending events, paging, acknowledging, across a reopen); releases,
 * self-booking, holds, short notice and attendance (0.2); the standby list and
 * one-time verification codes (0.2); draw lead times, overbooking and the
 * deletion of a registration (0.3); and callers built against 0.1 and 0.2,
 * whose structs are smaller (versions 1 and 2).
 * After every failed call that could change the campaign, the test checks
 * that nothing changed (counts, revision, report and per-center report).
 *
 *   c_api_test SCRATCH_DIR    (campaign files are created there)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vaxalloc.h"

/* --- A minimal test harness ------------------------------------------------ */

static int failures = 0;
static int checks = 0;

#define EXPECT(condition)                                                            \
  do {                                                                               \
    ++checks;                                                                        \
    if (!(condition)) {                                                              \
      fprintf(stderr, "%s:%d: EXPECT(%s) failed\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                                    \
    }                                                                                \
  } while (0)

#define EXPECT_EQ(actual, expected)                                                                \
  do {                                                                                             \
    const int64_t actual_ = (int64_t)(actual), expected_ = (int64_t)(expected);                    \
    ++checks;                                                                                      \
    if (actual_ != expected_) {                                                                    \
      fprintf(stderr, "%s:%d: %s is %" PRId64 ", expected %s = %" PRId64 "\n", __FILE__, __LINE__, \
              #actual, actual_, #expected, expected_);                                             \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

#define EXPECT_U64(actual, expected)                                                          \
  do {                                                                                        \
    const uint64_t actual_ = (uint64_t)(actual), expected_ = (uint64_t)(expected);            \
    ++checks;                                                                                 \
    if (actual_ != expected_) {                                                               \
      fprintf(stderr, "%s:%d: %s is 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n", __FILE__, \
              __LINE__, #actual, actual_, expected_);                                         \
      ++failures;                                                                             \
    }                                                                                         \
  } while (0)

#define EXPECT_STR(actual, expected)                                                         \
  do {                                                                                       \
    const char* actual_ = (actual);                                                          \
    const char* expected_ = (expected);                                                      \
    ++checks;                                                                                \
    if (actual_ == NULL || strcmp(actual_, expected_) != 0) {                                \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
              actual_ ? actual_ : "(null)", expected_);                                      \
      ++failures;                                                                            \
    }                                                                                        \
  } while (0)

/* A call's result code; on a mismatch the message of the last error. */
#define EXPECT_RC(call, expected)                                                                 \
  do {                                                                                            \
    const int rc_ = (call);                                                                       \
    const int expected_rc_ = (expected);                                                          \
    ++checks;                                                                                     \
    if (rc_ != expected_rc_) {                                                                    \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); last error: %s\n", __FILE__, \
              __LINE__, #call, rc_, vaxalloc_errstr(rc_), expected_rc_,                           \
              vaxalloc_errstr(expected_rc_), vaxalloc_last_error());                              \
      ++failures;                                                                                 \
    } else if (rc_ != VAXALLOC_OK && vaxalloc_last_error()[0] == '\0') {                          \
      fprintf(stderr, "%s:%d: %s failed without a message\n", __FILE__, __LINE__, #call);         \
      ++failures;                                                                                 \
    }                                                                                             \
  } while (0)

#define EXPECT_OK(call) EXPECT_RC(call, VAXALLOC_OK)

/* Everything a failed call must leave as it was. */
typedef struct snapshot {
  vaxalloc_counts counts;
  vaxalloc_report report;
  vaxalloc_center_report centers[16];
  size_t center_count;
} snapshot;

static snapshot take_snapshot(vaxalloc_campaign* campaign) {
  snapshot s;
  memset(&s, 0, sizeof s);
  vaxalloc_counts_init(&s.counts, VAXALLOC_COUNTS_VERSION);
  vaxalloc_report_init(&s.report, VAXALLOC_REPORT_VERSION);
  EXPECT_OK(vaxalloc_counts_get(campaign, &s.counts));
  EXPECT_OK(vaxalloc_report_get(campaign, &s.report));
  EXPECT_OK(vaxalloc_report_centers(campaign, s.centers, 16, &s.center_count));
  return s;
}

static int same_snapshot(const snapshot* a, const snapshot* b) {
  size_t i;
  int t;
  if (a->counts.districts != b->counts.districts || a->counts.vaccines != b->counts.vaccines ||
      a->counts.centers != b->counts.centers || a->counts.registrants != b->counts.registrants ||
      a->counts.series != b->counts.series || a->counts.draws != b->counts.draws ||
      a->counts.policy_version != b->counts.policy_version ||
      a->counts.capacity_blocks != b->counts.capacity_blocks ||
      a->counts.deliveries != b->counts.deliveries || a->counts.revision != b->counts.revision ||
      a->counts.releases != b->counts.releases || a->counts.holds != b->counts.holds ||
      a->counts.codes != b->counts.codes) {
    return 0;
  }
  if (a->report.registrants != b->report.registrants || a->report.waiting != b->report.waiting ||
      a->report.scheduled != b->report.scheduled || a->report.withdrawn != b->report.withdrawn ||
      a->report.series_active != b->report.series_active ||
      a->report.series_cancelled != b->report.series_cancelled ||
      a->report.draws != b->report.draws || a->report.center_count != b->report.center_count ||
      a->report.vaccinated != b->report.vaccinated ||
      a->report.series_held != b->report.series_held ||
      a->report.series_completed != b->report.series_completed ||
      a->report.series_missed != b->report.series_missed ||
      a->report.doses_given != b->report.doses_given ||
      a->report.doses_missed != b->report.doses_missed) {
    return 0;
  }
  for (t = 0; t < VAXALLOC_TIER_MAX; ++t) {
    if (a->report.waiting_per_tier[t] != b->report.waiting_per_tier[t]) return 0;
  }
  if (a->center_count != b->center_count) return 0;
  for (i = 0; i < a->center_count; ++i) {
    const vaxalloc_center_report* x = &a->centers[i];
    const vaxalloc_center_report* y = &b->centers[i];
    if (x->center != y->center || x->series_active != y->series_active ||
        x->seats_first_free != y->seats_first_free || x->doses_delivered != y->doses_delivered ||
        x->doses_reserved != y->doses_reserved || x->residents_waiting != y->residents_waiting) {
      return 0;
    }
  }
  return 1;
}

/* The message of the last EXPECT_FAILS (the snapshot after it clears the
 * library's last error). */
static char failure_message[1024];

/* A failing call on `campaign`: the expected code, the handle's error equal
 * to the thread's, and the campaign exactly as before. */
#define EXPECT_FAILS(campaign, call, expected)                                                   \
  do {                                                                                           \
    const snapshot before_ = take_snapshot(campaign);                                            \
    snapshot after_;                                                                             \
    EXPECT_RC(call, expected);                                                                   \
    EXPECT_EQ(vaxalloc_campaign_errcode(campaign), expected);                                    \
    EXPECT_STR(vaxalloc_campaign_errmsg(campaign), vaxalloc_last_error());                       \
    snprintf(failure_message, sizeof failure_message, "%s", vaxalloc_last_error());              \
    after_ = take_snapshot(campaign);                                                            \
    ++checks;                                                                                    \
    if (!same_snapshot(&before_, &after_)) {                                                     \
      fprintf(stderr, "%s:%d: %s changed the campaign although it failed\n", __FILE__, __LINE__, \
              #call);                                                                            \
      ++failures;                                                                                \
    }                                                                                            \
  } while (0)

/* --- Helpers ------------------------------------------------------------------ */

static int32_t ymd(int32_t year, int32_t month, int32_t day) {
  int32_t number = 0;
  EXPECT_OK(vaxalloc_day_from_ymd(year, month, day, &number));
  return number;
}

static int64_t at(int32_t day, int32_t hour, int32_t minute) {
  return (int64_t)day * 86400 + hour * 3600 + minute * 60;
}

/* `length` copies of `c` in buffer (of at least length + 1 bytes). */
static const char* repeat(char c, size_t length, char* buffer) {
  memset(buffer, c, length);
  buffer[length] = '\0';
  return buffer;
}

/* The campaign's days: 14 June 2021 (a Monday) is J. */
static int32_t J;

/* --- Versions, errors, days, seeds ------------------------------------------------ */

static void test_versions_and_errors(void) {
  static const int codes[] = {
      VAXALLOC_OK,       VAXALLOC_ERROR,         VAXALLOC_EINVALID,   VAXALLOC_ENOTFOUND,
      VAXALLOC_EEXISTS,  VAXALLOC_EPRECONDITION, VAXALLOC_EEXHAUSTED, VAXALLOC_EBUSY,
      VAXALLOC_ECORRUPT, VAXALLOC_ENOMEM,        VAXALLOC_ERANGE,     VAXALLOC_EBUFFER,
      VAXALLOC_EVERSION, VAXALLOC_EINTERNAL,     VAXALLOC_EPERM,      VAXALLOC_EVERIFY};
  const size_t count = sizeof codes / sizeof codes[0];
  size_t i, j;
  char expected_version[32];

  EXPECT_STR(vaxalloc_version(), VAXALLOC_VERSION_STRING);
  EXPECT_EQ(vaxalloc_version_number(), VAXALLOC_VERSION_NUMBER);
  snprintf(expected_version, sizeof expected_version, "%d.%d.%d", VAXALLOC_VERSION_MAJOR,
           VAXALLOC_VERSION_MINOR, VAXALLOC_VERSION_PATCH);
  EXPECT_STR(vaxalloc_version(), expected_version);

  /* The numbers are part of the ABI. */
  EXPECT_EQ(VAXALLOC_ERROR, -1);
  EXPECT_EQ(VAXALLOC_EINVALID, -2);
  EXPECT_EQ(VAXALLOC_ENOTFOUND, -3);
  EXPECT_EQ(VAXALLOC_EEXISTS, -4);
  EXPECT_EQ(VAXALLOC_EPRECONDITION, -5);
  EXPECT_EQ(VAXALLOC_EEXHAUSTED, -6);
  EXPECT_EQ(VAXALLOC_EBUSY, -7);
  EXPECT_EQ(VAXALLOC_ECORRUPT, -8);
  EXPECT_EQ(VAXALLOC_ENOMEM, -9);
  EXPECT_EQ(VAXALLOC_ERANGE, -10);
  EXPECT_EQ(VAXALLOC_EBUFFER, -11);
  EXPECT_EQ(VAXALLOC_EVERSION, -12);
  EXPECT_EQ(VAXALLOC_EINTERNAL, -13);
  EXPECT_EQ(VAXALLOC_EPERM, -14);
  EXPECT_EQ(VAXALLOC_EVERIFY, -15);

  /* Every code has its own name; other numbers have the fallback. */
  for (i = 0; i < count; ++i) {
    EXPECT(vaxalloc_errstr(codes[i]) != NULL && vaxalloc_errstr(codes[i])[0] != '\0');
    EXPECT(strcmp(vaxalloc_errstr(codes[i]), "unknown result code") != 0);
    for (j = 0; j < i; ++j)
      EXPECT(strcmp(vaxalloc_errstr(codes[i]), vaxalloc_errstr(codes[j])) != 0);
  }
  EXPECT_STR(vaxalloc_errstr(VAXALLOC_OK), "ok");
  EXPECT_STR(vaxalloc_errstr(VAXALLOC_ENOTFOUND), "not found");
  EXPECT_STR(vaxalloc_errstr(VAXALLOC_EBUFFER), "buffer too small");
  EXPECT_STR(vaxalloc_errstr(VAXALLOC_EVERIFY), "verification code not accepted");
  EXPECT_STR(vaxalloc_errstr(-16), "unknown result code");
  EXPECT_STR(vaxalloc_errstr(1), "unknown result code");

  /* vaxalloc_free(NULL) is harmless. */
  vaxalloc_free(NULL);
}

static void test_days(void) {
  int32_t day = 12345, year = 0, month = 0, day_of_month = 0;
  EXPECT_OK(vaxalloc_day_from_ymd(1970, 1, 1, &day));
  EXPECT_EQ(day, 0);
  EXPECT_OK(vaxalloc_day_from_ymd(2021, 1, 1, &day));
  EXPECT_EQ(day, 18628);
  EXPECT_OK(vaxalloc_day_from_ymd(2021, 6, 7, &day));
  EXPECT_EQ(day, 18785);
  EXPECT_OK(vaxalloc_day_from_ymd(1969, 12, 31, &day));
  EXPECT_EQ(day, -1);
  EXPECT_OK(vaxalloc_day_from_ymd(2020, 2, 29, &day));
  EXPECT_EQ(day, 18321);
  /* Not a date: nothing written. */
  day = 777;
  EXPECT_RC(vaxalloc_day_from_ymd(2021, 2, 29, &day), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_from_ymd(2021, 13, 1, &day), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_from_ymd(2021, 0, 1, &day), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_from_ymd(2021, 6, 31, &day), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_from_ymd(2021, 6, 0, &day), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_from_ymd(10000000, 1, 1, &day), VAXALLOC_ERANGE);
  EXPECT_RC(vaxalloc_day_from_ymd(-10000000, 1, 1, &day), VAXALLOC_ERANGE);
  EXPECT_EQ(day, 777);
  EXPECT_RC(vaxalloc_day_from_ymd(2021, 6, 7, NULL), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_day_to_ymd(18785, &year, &month, &day_of_month));
  EXPECT_EQ(year, 2021);
  EXPECT_EQ(month, 6);
  EXPECT_EQ(day_of_month, 7);
  EXPECT_OK(vaxalloc_day_to_ymd(-1, &year, &month, &day_of_month));
  EXPECT_EQ(year, 1969);
  EXPECT_EQ(month, 12);
  EXPECT_EQ(day_of_month, 31);
  EXPECT_OK(vaxalloc_day_to_ymd(INT32_MAX, &year, &month, &day_of_month));
  EXPECT_EQ(year, 5881580);
  EXPECT_RC(vaxalloc_day_to_ymd(0, NULL, &month, &day_of_month), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_to_ymd(0, &year, NULL, &day_of_month), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_day_to_ymd(0, &year, &month, NULL), VAXALLOC_EINVALID);
  /* Round trip over four centuries of leap years. */
  for (day = -80000; day <= 80000; day += 97) {
    int32_t back = 0;
    EXPECT_OK(vaxalloc_day_to_ymd(day, &year, &month, &day_of_month));
    EXPECT_OK(vaxalloc_day_from_ymd(year, month, day_of_month, &back));
    EXPECT_EQ(back, day);
  }
}

static void test_seeds(void) {
  char text[VAXALLOC_SEED_TEXT_SIZE];
  char small[32];
  uint64_t k0 = 1, k1 = 1, number = 0;

  EXPECT_OK(vaxalloc_seed_format(0x0123456789abcdefULL, 0xfedcba9876543210ULL, text, sizeof text));
  EXPECT_STR(text, "0123456789abcdeffedcba9876543210");
  memset(small, 'x', sizeof small);
  EXPECT_RC(vaxalloc_seed_format(1, 2, small, sizeof small), VAXALLOC_EBUFFER);
  EXPECT(small[0] == 'x' && small[31] == 'x');
  EXPECT_RC(vaxalloc_seed_format(1, 2, NULL, 33), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_seed_parse("0123456789ABCDEFfedcba9876543210", &k0, &k1));
  EXPECT_U64(k0, 0x0123456789abcdefULL);
  EXPECT_U64(k1, 0xfedcba9876543210ULL);
  EXPECT_OK(vaxalloc_seed_parse("1f", &k0, &k1));
  EXPECT_U64(k0, 0x1f);
  EXPECT_U64(k1, 0);
  k0 = k1 = 9;
  EXPECT_RC(vaxalloc_seed_parse("xyz", &k0, &k1), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_seed_parse("", &k0, &k1), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_seed_parse("0123456789abcdef0", &k0, &k1), VAXALLOC_EINVALID);
  EXPECT(strstr(vaxalloc_last_error(), "17 characters") != NULL);
  EXPECT_U64(k0, 9);
  EXPECT_U64(k1, 9);
  EXPECT_RC(vaxalloc_seed_parse(NULL, &k0, &k1), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_seed_parse("1", NULL, &k1), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_seed_parse("1", &k0, NULL), VAXALLOC_EINVALID);

  /* SipHash-2-4 reference vectors (key 00 01 .. 0f): the empty message and
   * the message 00 01 .. 06 is not a C string, so the empty one suffices. */
  EXPECT_OK(vaxalloc_lottery_number(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, "", &number));
  EXPECT_U64(number, 0x726fdb47dd0e0e31ULL);
  EXPECT_OK(vaxalloc_lottery_number(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, "\x01", &number));
  EXPECT(number != 0x726fdb47dd0e0e31ULL);
  EXPECT_RC(vaxalloc_lottery_number(1, 2, NULL, &number), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_lottery_number(1, 2, "x", NULL), VAXALLOC_EINVALID);
}

/* --- Struct initialization --------------------------------------------------------- */

/* The errors every vaxalloc_x_init has. */
#define EXPECT_INIT_ERRORS(init, type, current)                 \
  do {                                                          \
    type value_;                                                \
    memset(&value_, 0x5a, sizeof value_);                       \
    EXPECT_RC(init(NULL, current), VAXALLOC_EINVALID);          \
    EXPECT_RC(init(&value_, 0), VAXALLOC_EVERSION);             \
    EXPECT_RC(init(&value_, (current) + 1), VAXALLOC_EVERSION); \
    EXPECT_EQ(value_.version, 0x5a5a5a5a);                      \
    EXPECT_OK(init(&value_, current));                          \
    EXPECT_EQ(value_.version, current);                         \
  } while (0)

static void test_init(void) {
  EXPECT_INIT_ERRORS(vaxalloc_open_options_init, vaxalloc_open_options,
                     VAXALLOC_OPEN_OPTIONS_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_district_init, vaxalloc_district, VAXALLOC_DISTRICT_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_vaccine_spec_init, vaxalloc_vaccine_spec,
                     VAXALLOC_VACCINE_SPEC_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_vaccine_init, vaxalloc_vaccine, VAXALLOC_VACCINE_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_center_spec_init, vaxalloc_center_spec, VAXALLOC_CENTER_SPEC_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_center_init, vaxalloc_center, VAXALLOC_CENTER_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_capacity_block_init, vaxalloc_capacity_block,
                     VAXALLOC_CAPACITY_BLOCK_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_supply_delivery_init, vaxalloc_supply_delivery,
                     VAXALLOC_SUPPLY_DELIVERY_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_policy_init, vaxalloc_policy, VAXALLOC_POLICY_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_policy_info_init, vaxalloc_policy_info, VAXALLOC_POLICY_INFO_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_registrant_spec_init, vaxalloc_registrant_spec,
                     VAXALLOC_REGISTRANT_SPEC_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_registrant_init, vaxalloc_registrant, VAXALLOC_REGISTRANT_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_draw_request_init, vaxalloc_draw_request,
                     VAXALLOC_DRAW_REQUEST_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_draw_info_init, vaxalloc_draw_info, VAXALLOC_DRAW_INFO_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_series_init, vaxalloc_series, VAXALLOC_SERIES_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_counts_init, vaxalloc_counts, VAXALLOC_COUNTS_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_report_init, vaxalloc_report, VAXALLOC_REPORT_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_release_spec_init, vaxalloc_release_spec,
                     VAXALLOC_RELEASE_SPEC_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_release_init, vaxalloc_release, VAXALLOC_RELEASE_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_booking_request_init, vaxalloc_booking_request,
                     VAXALLOC_BOOKING_REQUEST_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_code_request_init, vaxalloc_code_request,
                     VAXALLOC_CODE_REQUEST_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_wait_forecast_init, vaxalloc_wait_forecast,
                     VAXALLOC_WAIT_FORECAST_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_code_init, vaxalloc_code, VAXALLOC_CODE_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_draw_commitment_init, vaxalloc_draw_commitment,
                     VAXALLOC_DRAW_COMMITMENT_VERSION);
  EXPECT_INIT_ERRORS(vaxalloc_draw_fairness_init, vaxalloc_draw_fairness,
                     VAXALLOC_DRAW_FAIRNESS_VERSION);
  /* 0.2 grew these: version 2 is current; 0.3 grew three again, 0.5 two. */
  EXPECT_EQ(VAXALLOC_REGISTRANT_SPEC_VERSION, 2);
  EXPECT_EQ(VAXALLOC_REGISTRANT_VERSION, 3);
  EXPECT_EQ(VAXALLOC_POLICY_VERSION, 3);
  EXPECT_EQ(VAXALLOC_POLICY_INFO_VERSION, 3);
  EXPECT_EQ(VAXALLOC_SERIES_VERSION, 2);
  EXPECT_EQ(VAXALLOC_COUNTS_VERSION, 3);
  EXPECT_EQ(VAXALLOC_DRAW_INFO_VERSION, 2);
  EXPECT_EQ(VAXALLOC_REPORT_VERSION, 2);

  /* The macros and the functions give the same defaults; the functions take
   * theirs from the core, so this also checks the header against the core. */
  {
    const vaxalloc_open_options macro = VAXALLOC_OPEN_OPTIONS_INIT;
    vaxalloc_open_options function;
    EXPECT_OK(vaxalloc_open_options_init(&function, VAXALLOC_OPEN_OPTIONS_VERSION));
    EXPECT_EQ(function.durability, macro.durability);
    EXPECT_EQ(function.busy_timeout_ms, macro.busy_timeout_ms);
    EXPECT_EQ(function.create_if_missing, macro.create_if_missing);
    EXPECT_EQ(macro.busy_timeout_ms, 5000);
  }
  {
    const vaxalloc_vaccine_spec macro = VAXALLOC_VACCINE_SPEC_INIT;
    vaxalloc_vaccine_spec function;
    EXPECT_OK(vaxalloc_vaccine_spec_init(&function, VAXALLOC_VACCINE_SPEC_VERSION));
    EXPECT(function.code == NULL && function.name == NULL);
    EXPECT_EQ(function.dose_count, macro.dose_count);
    EXPECT_EQ(function.interval_days_min, macro.interval_days_min);
    EXPECT_EQ(function.interval_days_target, macro.interval_days_target);
    EXPECT_EQ(function.interval_days_max, macro.interval_days_max);
    EXPECT_EQ(function.age_years_min, macro.age_years_min);
    EXPECT_EQ(function.age_years_max, macro.age_years_max);
    EXPECT_EQ(macro.interval_days_max, 42);
  }
  {
    const vaxalloc_center_spec macro = VAXALLOC_CENTER_SPEC_INIT;
    vaxalloc_center_spec function;
    EXPECT_OK(vaxalloc_center_spec_init(&function, VAXALLOC_CENTER_SPEC_VERSION));
    EXPECT(function.code == NULL && function.name == NULL && function.districts == NULL);
    EXPECT_EQ(function.district_count, macro.district_count);
  }
  {
    const vaxalloc_capacity_block macro = VAXALLOC_CAPACITY_BLOCK_INIT;
    vaxalloc_capacity_block function;
    EXPECT_OK(vaxalloc_capacity_block_init(&function, VAXALLOC_CAPACITY_BLOCK_VERSION));
    EXPECT_EQ(function.center, macro.center);
    EXPECT_EQ(function.vaccine, macro.vaccine);
    EXPECT_EQ(function.first_day, macro.first_day);
    EXPECT_EQ(function.last_day, macro.last_day);
    EXPECT_EQ(function.weekdays, macro.weekdays);
    EXPECT_EQ(function.open_minute, macro.open_minute);
    EXPECT_EQ(function.close_minute, macro.close_minute);
    EXPECT_EQ(function.slot_minutes, macro.slot_minutes);
    EXPECT_EQ(function.seats_first, macro.seats_first);
    EXPECT_EQ(function.seats_second, macro.seats_second);
    EXPECT_EQ(macro.weekdays, VAXALLOC_EVERY_DAY);
  }
  {
    const vaxalloc_supply_delivery macro = VAXALLOC_SUPPLY_DELIVERY_INIT;
    vaxalloc_supply_delivery function;
    EXPECT_OK(vaxalloc_supply_delivery_init(&function, VAXALLOC_SUPPLY_DELIVERY_VERSION));
    EXPECT_EQ(function.center, macro.center);
    EXPECT_EQ(function.day, macro.day);
    EXPECT_EQ(function.doses, macro.doses);
  }
  {
    const vaxalloc_policy macro = VAXALLOC_POLICY_INIT;
    vaxalloc_policy function;
    EXPECT_OK(vaxalloc_policy_init(&function, VAXALLOC_POLICY_VERSION));
    EXPECT(function.tier_rules == NULL && function.reserves == NULL && function.neighbours == NULL);
    EXPECT_EQ(function.residence, macro.residence);
    EXPECT_EQ(function.tier_rule_count + function.reserve_count + function.neighbour_count, 0);
    EXPECT(function.time_zone == NULL && macro.time_zone == NULL); /* NULL: UTC */
    EXPECT_EQ(function.hold_seconds, macro.hold_seconds);
    EXPECT_EQ(function.short_notice_days, macro.short_notice_days);
    EXPECT_EQ(function.standby_hold_seconds, macro.standby_hold_seconds);
    EXPECT_EQ(function.code_digits, macro.code_digits);
    EXPECT_EQ(function.code_attempts, macro.code_attempts);
    EXPECT_EQ(function.code_lifetime_seconds, macro.code_lifetime_seconds);
    EXPECT_EQ(function.draw_lead_days_online, macro.draw_lead_days_online);
    EXPECT_EQ(function.draw_lead_days_phone, macro.draw_lead_days_phone);
    EXPECT_EQ(function.overbook_permille, macro.overbook_permille);
    EXPECT_EQ(macro.draw_lead_days_online + macro.draw_lead_days_phone, 0);
    EXPECT_EQ(macro.overbook_permille, 0);
    EXPECT_EQ(macro.hold_seconds, 600);
    EXPECT_EQ(macro.short_notice_days, 0);
    EXPECT_EQ(macro.standby_hold_seconds, 1800);
    EXPECT_EQ(macro.code_digits, 6);
    EXPECT_EQ(macro.code_attempts, 3);
    EXPECT_EQ(macro.code_lifetime_seconds, 900);
  }
  {
    const vaxalloc_code_request macro = VAXALLOC_CODE_REQUEST_INIT;
    vaxalloc_code_request function;
    EXPECT_OK(vaxalloc_code_request_init(&function, VAXALLOC_CODE_REQUEST_VERSION));
    EXPECT_EQ(function.registrant, macro.registrant);
    EXPECT_EQ(function.purpose, macro.purpose);
    EXPECT_EQ(function.series, macro.series);
    EXPECT_EQ(function.at, macro.at);
    EXPECT_EQ(macro.purpose, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES);
  }
  {
    const vaxalloc_release_spec macro = VAXALLOC_RELEASE_SPEC_INIT;
    vaxalloc_release_spec function;
    EXPECT_OK(vaxalloc_release_spec_init(&function, VAXALLOC_RELEASE_SPEC_VERSION));
    EXPECT_EQ(function.center, macro.center);
    EXPECT_EQ(function.vaccine, macro.vaccine);
    EXPECT_EQ(function.first_day, macro.first_day);
    EXPECT_EQ(function.last_day, macro.last_day);
    EXPECT_EQ(function.release_at, macro.release_at);
    EXPECT_EQ(function.first_dose_cap, macro.first_dose_cap);
  }
  {
    const vaxalloc_booking_request macro = VAXALLOC_BOOKING_REQUEST_INIT;
    vaxalloc_booking_request function;
    int32_t first = 0, last = 0;
    EXPECT_OK(vaxalloc_booking_request_init(&function, VAXALLOC_BOOKING_REQUEST_VERSION));
    EXPECT_EQ(function.registrant, macro.registrant);
    EXPECT_EQ(function.at, macro.at);
    EXPECT_EQ(function.mode, macro.mode);
    EXPECT_EQ(function.center, macro.center);
    EXPECT_EQ(function.vaccine, macro.vaccine);
    EXPECT_EQ(function.first_dose_from, macro.first_dose_from);
    EXPECT_EQ(function.first_dose_until, macro.first_dose_until);
    EXPECT_EQ(function.confirm, macro.confirm);
    EXPECT_EQ(macro.mode, VAXALLOC_BOOKING_RELEASE);
    EXPECT_OK(vaxalloc_day_from_ymd(1900, 1, 1, &first));
    EXPECT_OK(vaxalloc_day_from_ymd(2200, 12, 31, &last));
    EXPECT_EQ(VAXALLOC_DAY_MIN, first);
    EXPECT_EQ(VAXALLOC_DAY_MAX, last);
    EXPECT_EQ(macro.first_dose_from, VAXALLOC_DAY_MIN);
    EXPECT_EQ(macro.first_dose_until, VAXALLOC_DAY_MAX);
  }
  {
    const vaxalloc_registrant_spec macro = VAXALLOC_REGISTRANT_SPEC_INIT;
    vaxalloc_registrant_spec function;
    EXPECT_OK(vaxalloc_registrant_spec_init(&function, VAXALLOC_REGISTRANT_SPEC_VERSION));
    EXPECT(function.external_ref == NULL);
    EXPECT_EQ(function.district, macro.district);
    EXPECT_EQ(function.birth_day, macro.birth_day);
    EXPECT_EQ(function.group, macro.group);
    EXPECT_EQ(function.channel, macro.channel);
    EXPECT_EQ(function.registered_at, macro.registered_at);
    EXPECT_EQ(function.vaccine_preference, macro.vaccine_preference);
    EXPECT_EQ(function.standby, macro.standby);
    EXPECT_EQ(macro.group, VAXALLOC_GROUP_NONE);
    EXPECT_EQ(macro.standby, 0);
  }
  {
    const vaxalloc_draw_request macro = VAXALLOC_DRAW_REQUEST_INIT;
    vaxalloc_draw_request function;
    EXPECT_OK(vaxalloc_draw_request_init(&function, VAXALLOC_DRAW_REQUEST_VERSION));
    EXPECT_U64(function.seed_k0, macro.seed_k0);
    EXPECT_U64(function.seed_k1, macro.seed_k1);
    EXPECT_EQ(function.at, macro.at);
    EXPECT_EQ(function.first_dose_from, macro.first_dose_from);
    EXPECT_EQ(function.first_dose_until, macro.first_dose_until);
    EXPECT(function.centers == NULL);
    EXPECT_EQ(function.center_count, macro.center_count);
    EXPECT_EQ(function.series_limit, macro.series_limit);
  }
  {
    const vaxalloc_tier_rule rule = VAXALLOC_TIER_RULE_INIT;
    EXPECT_EQ(rule.registered_before, VAXALLOC_TIME_INFINITE_FUTURE);
    EXPECT(rule.tier_by_group[0] == 1 && rule.tier_by_group[1] == 2 && rule.tier_by_group[2] == 3 &&
           rule.tier_by_group[3] == 4);
  }
  {
    vaxalloc_series series;
    vaxalloc_draw_info info;
    vaxalloc_release release;
    vaxalloc_policy_info policy_info;
    memset(&series, 0x5a, sizeof series);
    EXPECT_OK(vaxalloc_series_init(&series, VAXALLOC_SERIES_VERSION));
    EXPECT_EQ(series.id + series.registrant + series.appointments[1].day + series.booked_at, 0);
    EXPECT_EQ(series.doses[1] + series.origin + series.release + series.replaces, 0);
    EXPECT_EQ(series.hold_expires_at, 0);
    memset(&release, 0x5a, sizeof release);
    EXPECT_OK(vaxalloc_release_init(&release, VAXALLOC_RELEASE_VERSION));
    EXPECT_EQ(release.id + release.booked + release.first_dose_cap + release.release_at, 0);
    memset(&policy_info, 0x5a, sizeof policy_info);
    EXPECT_OK(vaxalloc_policy_info_init(&policy_info, VAXALLOC_POLICY_INFO_VERSION));
    EXPECT_STR(policy_info.time_zone, "");
    EXPECT_EQ(policy_info.hold_seconds + policy_info.short_notice_days, 0);
    EXPECT_EQ(policy_info.standby_hold_seconds + policy_info.code_lifetime_seconds, 0);
    EXPECT_EQ(policy_info.code_digits + policy_info.code_attempts, 0);
    EXPECT_EQ(policy_info.draw_lead_days_online + policy_info.draw_lead_days_phone, 0);
    EXPECT_EQ(policy_info.overbook_permille, 0);
    {
      vaxalloc_code code;
      vaxalloc_registrant registrant;
      memset(&code, 0x5a, sizeof code);
      EXPECT_OK(vaxalloc_code_init(&code, VAXALLOC_CODE_VERSION));
      EXPECT_EQ(code.id + code.registrant + code.series + code.attempts, 0);
      EXPECT_EQ(code.purpose + code.state + code.issued_at + code.expires_at, 0);
      memset(&registrant, 0x5a, sizeof registrant);
      EXPECT_OK(vaxalloc_registrant_init(&registrant, VAXALLOC_REGISTRANT_VERSION));
      EXPECT_EQ(registrant.standby + registrant.series + registrant.erased, 0);
    }
    EXPECT_OK(vaxalloc_draw_info_init(&info, VAXALLOC_DRAW_INFO_VERSION));
    EXPECT_EQ(info.id + info.tiers[7].assigned + info.series_count, 0);
  }
}

/* --- A NULL handle ---------------------------------------------------------------------- */

static void test_null_handle(void) {
  vaxalloc_district district = VAXALLOC_DISTRICT_INIT;
  vaxalloc_vaccine vaccine = VAXALLOC_VACCINE_INIT;
  vaxalloc_vaccine_spec vaccine_spec = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center center = VAXALLOC_CENTER_INIT;
  vaxalloc_center_spec center_spec = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_policy_info policy_info = VAXALLOC_POLICY_INFO_INIT;
  vaxalloc_registrant_spec registrant_spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  const vaxalloc_registrant_spec* specs[1] = {&registrant_spec};
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  vaxalloc_tier_rule rules[1];
  vaxalloc_reserve reserves[1];
  vaxalloc_neighbour_pair neighbours[1];
  vaxalloc_slot slots[1];
  vaxalloc_second_dose_shortfall shortfalls[1];
  vaxalloc_center_report centers[1];
  vaxalloc_event events[1];
  vaxalloc_release_spec release_spec = VAXALLOC_RELEASE_SPEC_INIT;
  vaxalloc_release release = VAXALLOC_RELEASE_INIT;
  vaxalloc_booking_request booking = VAXALLOC_BOOKING_REQUEST_INIT;
  vaxalloc_day_attendance attendance[1];
  vaxalloc_code_request code_request = VAXALLOC_CODE_REQUEST_INIT;
  vaxalloc_code code = VAXALLOC_CODE_INIT;
  vaxalloc_event_v2 events_v2[1];
  vaxalloc_slot_v2 slots_v2[1];
  char digits[VAXALLOC_VERIFICATION_CODE_SIZE];
  int32_t outcome = 0;
  uint32_t id = 0, ids[1];
  size_t count = 0;
  int32_t tier = 0;
  int64_t doses = 0;
  uint64_t violations = 0;
  char* text = (char*)1;

  vaccine_spec.code = vaccine_spec.name = "x";
  center_spec.code = center_spec.name = "x";
  registrant_spec.external_ref = "x";

  vaxalloc_campaign_close(NULL); /* harmless */
  EXPECT(vaxalloc_campaign_path(NULL) == NULL);
  EXPECT(vaxalloc_campaign_errmsg(NULL) != NULL && vaxalloc_campaign_errmsg(NULL)[0] != '\0');
  EXPECT_EQ(vaxalloc_campaign_errcode(NULL), VAXALLOC_EINVALID);

#define EXPECT_NULL_HANDLE(call)                           \
  do {                                                     \
    EXPECT_RC(call, VAXALLOC_EINVALID);                    \
    EXPECT(strstr(vaxalloc_last_error(), "NULL") != NULL); \
  } while (0)
  EXPECT_NULL_HANDLE(vaxalloc_district_add(NULL, "x", "x", &id));
  EXPECT_NULL_HANDLE(vaxalloc_district_get(NULL, 1, &district));
  EXPECT_NULL_HANDLE(vaxalloc_district_find(NULL, "x", &id));
  EXPECT_NULL_HANDLE(vaxalloc_vaccine_add(NULL, &vaccine_spec, &id));
  EXPECT_NULL_HANDLE(vaxalloc_vaccine_get(NULL, 1, &vaccine));
  EXPECT_NULL_HANDLE(vaxalloc_vaccine_find(NULL, "x", &id));
  EXPECT_NULL_HANDLE(vaxalloc_center_add(NULL, &center_spec, &id));
  EXPECT_NULL_HANDLE(vaxalloc_center_get(NULL, 1, &center));
  EXPECT_NULL_HANDLE(vaxalloc_center_districts(NULL, 1, ids, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_center_find(NULL, "x", &id));
  EXPECT_NULL_HANDLE(vaxalloc_capacity_add(NULL, &block));
  EXPECT_NULL_HANDLE(vaxalloc_capacity_get(NULL, 0, &block));
  EXPECT_NULL_HANDLE(vaxalloc_supply_add(NULL, &delivery));
  EXPECT_NULL_HANDLE(vaxalloc_supply_get(NULL, 0, &delivery));
  EXPECT_NULL_HANDLE(vaxalloc_policy_set(NULL, &policy, &id));
  EXPECT_NULL_HANDLE(vaxalloc_policy_get(NULL, 1, &policy_info));
  EXPECT_NULL_HANDLE(vaxalloc_policy_tier_rules(NULL, 1, rules, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_policy_reserves(NULL, 1, reserves, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_policy_neighbours(NULL, 1, neighbours, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_register(NULL, &registrant_spec, &id));
  EXPECT_NULL_HANDLE(vaxalloc_register_batch(NULL, specs, 1, ids));
  EXPECT_NULL_HANDLE(vaxalloc_registrant_get(NULL, 1, &registrant));
  EXPECT_NULL_HANDLE(vaxalloc_registrant_find(NULL, "x", &id));
  EXPECT_NULL_HANDLE(vaxalloc_tier_of(NULL, 1, 0, &tier));
  EXPECT_NULL_HANDLE(vaxalloc_withdraw(NULL, 1, 0));
  EXPECT_NULL_HANDLE(vaxalloc_draw(NULL, &request, &info));
  EXPECT_NULL_HANDLE(vaxalloc_draw_get(NULL, 1, &info));
  EXPECT_NULL_HANDLE(vaxalloc_draw_series(NULL, 1, ids, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_draw_centers(NULL, 1, ids, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_series_get(NULL, 1, &series));
  EXPECT_NULL_HANDLE(vaxalloc_series_cancel(NULL, 1, 0));
  EXPECT_NULL_HANDLE(vaxalloc_counts_get(NULL, &counts));
  EXPECT_NULL_HANDLE(vaxalloc_slots(NULL, 1, 1, 0, slots, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_doses_available(NULL, 1, 1, 0, &doses));
  EXPECT_NULL_HANDLE(vaxalloc_second_dose_shortfalls(NULL, shortfalls, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_report_get(NULL, &report));
  EXPECT_NULL_HANDLE(vaxalloc_report_centers(NULL, centers, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_check_invariants(NULL, &violations, &text));
  EXPECT_NULL_HANDLE(vaxalloc_pending_events(NULL, 0, events, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_acknowledge_events(NULL, 1));
  EXPECT_NULL_HANDLE(vaxalloc_release_add(NULL, &release_spec, &id));
  EXPECT_NULL_HANDLE(vaxalloc_release_get(NULL, 1, &release));
  EXPECT_NULL_HANDLE(vaxalloc_book(NULL, &booking, &series));
  EXPECT_NULL_HANDLE(vaxalloc_hold_confirm(NULL, 1, 0, &series));
  EXPECT_NULL_HANDLE(vaxalloc_hold_decline(NULL, 1, 0));
  EXPECT_NULL_HANDLE(vaxalloc_holds_expire(NULL, 0, &id));
  EXPECT_NULL_HANDLE(vaxalloc_dose_record(NULL, 1, 1, VAXALLOC_OUTCOME_GIVEN, 0, &series));
  EXPECT_NULL_HANDLE(vaxalloc_second_dose_rebook(NULL, 1, 0, &series));
  EXPECT_NULL_HANDLE(vaxalloc_attendance(NULL, 1, 0, 1, attendance, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_standby_list(NULL, 1, 0, ids, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_code_issue(NULL, &code_request, &id, digits, sizeof digits));
  EXPECT_NULL_HANDLE(vaxalloc_code_verify(NULL, 1, "123456", 0, &outcome));
  EXPECT_NULL_HANDLE(vaxalloc_code_get(NULL, 1, &code));
  EXPECT_NULL_HANDLE(vaxalloc_pending_events_v2(NULL, 0, events_v2, 1, &count));
  EXPECT_NULL_HANDLE(vaxalloc_registrant_delete(NULL, 1, 0));
  EXPECT_NULL_HANDLE(vaxalloc_slots_v2(NULL, 1, 1, 0, slots_v2, 1, &count));
  EXPECT(text == NULL); /* char** outputs are NULL after a failure */
#undef EXPECT_NULL_HANDLE
}

/* --- Setup ----------------------------------------------------------------------------- */

static void test_districts(vaxalloc_campaign* c) {
  char code[VAXALLOC_CODE_LENGTH_MAX + 2], name[VAXALLOC_NAME_LENGTH_MAX + 2];
  vaxalloc_district district = VAXALLOC_DISTRICT_INIT;
  uint32_t id = 0;

  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", &id));
  EXPECT_EQ(id, 1);
  EXPECT_STR(vaxalloc_campaign_errmsg(c), "");
  EXPECT_EQ(vaxalloc_campaign_errcode(c), VAXALLOC_OK);
  EXPECT_STR(vaxalloc_last_error(), "");
  EXPECT_EQ(vaxalloc_last_error_code(), VAXALLOC_OK);
  EXPECT_OK(vaxalloc_district_add(c, "06411", "Darmstadt", &id));
  EXPECT_EQ(id, 2);
  EXPECT_OK(vaxalloc_district_add(c, "06413", "Offenbach am Main", &id));
  EXPECT_EQ(id, 3);
  /* The longest code and name fill the output arrays exactly. */
  EXPECT_OK(vaxalloc_district_add(c, repeat('c', VAXALLOC_CODE_LENGTH_MAX, code),
                                  repeat('n', VAXALLOC_NAME_LENGTH_MAX, name), &id));
  EXPECT_EQ(id, 4);
  EXPECT_OK(vaxalloc_district_add(c, "06433", "Gross-Gerau", NULL)); /* id_out may be NULL */

  EXPECT_FAILS(c, vaxalloc_district_add(c, "06412", "again", &id), VAXALLOC_EEXISTS);
  EXPECT(strstr(failure_message, "06412") != NULL);
  EXPECT_FAILS(c, vaxalloc_district_add(c, "", "empty", &id), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_district_add(c, "x", "", &id), VAXALLOC_EINVALID);
  EXPECT_FAILS(c,
               vaxalloc_district_add(c, repeat('c', VAXALLOC_CODE_LENGTH_MAX + 1, code), "x", &id),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c,
               vaxalloc_district_add(c, "x", repeat('n', VAXALLOC_NAME_LENGTH_MAX + 1, name), &id),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_district_add(c, NULL, "x", &id), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_district_add(c, "x", NULL, &id), VAXALLOC_EINVALID);
  EXPECT_EQ(id, 4);

  EXPECT_OK(vaxalloc_district_get(c, 2, &district));
  EXPECT_EQ(district.id, 2);
  EXPECT_STR(district.code, "06411");
  EXPECT_STR(district.name, "Darmstadt");
  EXPECT_OK(vaxalloc_district_get(c, 4, &district));
  EXPECT_STR(district.code, repeat('c', VAXALLOC_CODE_LENGTH_MAX, code));
  EXPECT_STR(district.name, repeat('n', VAXALLOC_NAME_LENGTH_MAX, name));
  EXPECT_FAILS(c, vaxalloc_district_get(c, 99, &district), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_district_get(c, 0, &district), VAXALLOC_ENOTFOUND);
  EXPECT_EQ(district.id, 4);
  EXPECT_FAILS(c, vaxalloc_district_get(c, 1, NULL), VAXALLOC_EINVALID);
  district.version = 0;
  EXPECT_FAILS(c, vaxalloc_district_get(c, 1, &district), VAXALLOC_EVERSION);
  district.version = VAXALLOC_DISTRICT_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_district_get(c, 1, &district), VAXALLOC_EVERSION);
  EXPECT(strstr(failure_message, "vaxalloc_district") != NULL);
  EXPECT_EQ(district.id, 4); /* untouched */

  EXPECT_OK(vaxalloc_district_find(c, "06411", &id));
  EXPECT_EQ(id, 2);
  EXPECT_FAILS(c, vaxalloc_district_find(c, "99999", &id), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_district_find(c, NULL, &id), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_district_find(c, "06411", NULL), VAXALLOC_EINVALID);
  EXPECT_EQ(id, 2);
}

static void test_vaccines(vaxalloc_campaign* c) {
  vaxalloc_vaccine_spec spec = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_vaccine vaccine = VAXALLOC_VACCINE_INIT;
  uint32_t id = 0;

  spec.code = "comirnaty";
  spec.name = "Comirnaty";
  EXPECT_OK(vaxalloc_vaccine_add(c, &spec, &id));
  EXPECT_EQ(id, 1);
  spec.code = "janssen";
  spec.name = "Janssen";
  spec.dose_count = 1;
  spec.age_years_min = 60;
  EXPECT_OK(vaxalloc_vaccine_add(c, &spec, &id));
  EXPECT_EQ(id, 2);

  spec.code = "comirnaty";
  spec.dose_count = 2;
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EEXISTS);
  spec.code = "other";
  spec.dose_count = 3;
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.dose_count = 2;
  spec.interval_days_min = 30; /* after the target */
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.interval_days_min = 21;
  spec.code = NULL;
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.code = "other";
  spec.name = NULL;
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.name = "Other";
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, NULL, &id), VAXALLOC_EINVALID);
  spec.version = 0;
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EVERSION);
  spec.version = VAXALLOC_VACCINE_SPEC_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_vaccine_add(c, &spec, &id), VAXALLOC_EVERSION);
  EXPECT_EQ(id, 2);

  EXPECT_OK(vaxalloc_vaccine_get(c, 1, &vaccine));
  EXPECT_STR(vaccine.code, "comirnaty");
  EXPECT_EQ(vaccine.dose_count, 2);
  EXPECT_EQ(vaccine.interval_days_min, 21);
  EXPECT_EQ(vaccine.interval_days_target, 21);
  EXPECT_EQ(vaccine.interval_days_max, 42);
  EXPECT_OK(vaxalloc_vaccine_get(c, 2, &vaccine));
  EXPECT_EQ(vaccine.id, 2);
  EXPECT_STR(vaccine.name, "Janssen");
  EXPECT_EQ(vaccine.dose_count, 1);
  EXPECT_EQ(vaccine.interval_days_max, 0); /* the core clears intervals of one dose */
  EXPECT_EQ(vaccine.age_years_min, 60);
  EXPECT_FAILS(c, vaxalloc_vaccine_get(c, 3, &vaccine), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_vaccine_get(c, 1, NULL), VAXALLOC_EINVALID);
  vaccine.version = 7;
  EXPECT_FAILS(c, vaxalloc_vaccine_get(c, 1, &vaccine), VAXALLOC_EVERSION);
  EXPECT_OK(vaxalloc_vaccine_find(c, "janssen", &id));
  EXPECT_EQ(id, 2);
  EXPECT_FAILS(c, vaxalloc_vaccine_find(c, "sputnik", &id), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_vaccine_find(c, NULL, &id), VAXALLOC_EINVALID);
}

static void test_centers(vaxalloc_campaign* c) {
  const uint32_t frankfurt[1] = {1};
  const uint32_t darmstadt_offenbach[2] = {2, 3};
  const uint32_t unknown[2] = {2, 99};
  const uint32_t twice[2] = {2, 2};
  vaxalloc_center_spec spec = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_center center = VAXALLOC_CENTER_INIT;
  uint32_t id = 0, districts[4] = {77, 77, 77, 77};
  size_t count = 0;

  spec.code = "IZ-F";
  spec.name = "Impfzentrum Frankfurt";
  spec.districts = frankfurt;
  spec.district_count = 1;
  EXPECT_OK(vaxalloc_center_add(c, &spec, &id));
  EXPECT_EQ(id, 1);
  spec.code = "IZ-DA";
  spec.name = "Impfzentrum Darmstadt";
  spec.districts = darmstadt_offenbach;
  spec.district_count = 2;
  EXPECT_OK(vaxalloc_center_add(c, &spec, &id));
  EXPECT_EQ(id, 2);

  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_EEXISTS);
  spec.code = "IZ-X";
  spec.districts = unknown;
  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_ENOTFOUND);
  spec.districts = twice;
  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.districts = NULL;
  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.district_count = 0;
  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_EINVALID); /* serves nobody */
  spec.districts = frankfurt;
  spec.district_count = 1;
  spec.name = NULL;
  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.name = "x";
  spec.version = 0;
  EXPECT_FAILS(c, vaxalloc_center_add(c, &spec, &id), VAXALLOC_EVERSION);
  EXPECT_FAILS(c, vaxalloc_center_add(c, NULL, &id), VAXALLOC_EINVALID);
  EXPECT_EQ(id, 2);

  EXPECT_OK(vaxalloc_center_get(c, 2, &center));
  EXPECT_STR(center.code, "IZ-DA");
  EXPECT_STR(center.name, "Impfzentrum Darmstadt");
  EXPECT_EQ(center.district_count, 2);
  EXPECT_FAILS(c, vaxalloc_center_get(c, 3, &center), VAXALLOC_ENOTFOUND);
  center.version = 0;
  EXPECT_FAILS(c, vaxalloc_center_get(c, 1, &center), VAXALLOC_EVERSION);

  /* Caller buffers: size query, too small (nothing written), exact. */
  EXPECT_FAILS(c, vaxalloc_center_districts(c, 2, NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 2);
  count = 0;
  EXPECT_FAILS(c, vaxalloc_center_districts(c, 2, districts, 1, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(districts[0], 77);
  EXPECT_OK(vaxalloc_center_districts(c, 2, districts, 4, &count));
  EXPECT_EQ(count, 2);
  EXPECT_EQ(districts[0], 2);
  EXPECT_EQ(districts[1], 3);
  EXPECT_EQ(districts[2], 77);
  EXPECT_FAILS(c, vaxalloc_center_districts(c, 2, NULL, 4, &count), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_center_districts(c, 2, districts, 4, NULL), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_center_districts(c, 9, districts, 4, &count), VAXALLOC_ENOTFOUND);
  EXPECT_OK(vaxalloc_center_find(c, "IZ-F", &id));
  EXPECT_EQ(id, 1);
  EXPECT_FAILS(c, vaxalloc_center_find(c, "IZ-Q", &id), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_center_find(c, "IZ-F", NULL), VAXALLOC_EINVALID);
}

/* Center 1 / comirnaty: one 15-minute slot at 08:00 with two first-dose
 * seats on J and two second-dose seats on J + 21; four doses from J. */
static void test_capacity_and_supply(vaxalloc_campaign* c) {
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_capacity_block read = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_supply_delivery read_delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;

  block.center = 1;
  block.vaccine = 1;
  block.first_day = block.last_day = J;
  block.open_minute = 8 * 60;
  block.close_minute = 8 * 60 + 15;
  block.slot_minutes = 15;
  block.seats_first = 2;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  block.first_day = block.last_day = J + 21;
  block.seats_first = 0;
  block.seats_second = 2;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));

  block.center = 9;
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_ENOTFOUND);
  block.center = 1;
  block.vaccine = 9;
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_ENOTFOUND);
  block.vaccine = 2; /* one dose: no second-dose seats */
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_EINVALID);
  block.vaccine = 1;
  block.first_day = ymd(1800, 1, 1);
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_ERANGE);
  block.first_day = J + 21;
  block.weekdays = 0;
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_EINVALID);
  block.weekdays = VAXALLOC_EVERY_DAY;
  block.seats_second = 0;
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_EINVALID); /* no seats */
  block.seats_second = 2;
  block.version = 0;
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, &block), VAXALLOC_EVERSION);
  EXPECT_FAILS(c, vaxalloc_capacity_add(c, NULL), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_capacity_get(c, 0, &read));
  EXPECT_EQ(read.center, 1);
  EXPECT_EQ(read.vaccine, 1);
  EXPECT_EQ(read.first_day, J);
  EXPECT_EQ(read.last_day, J);
  EXPECT_EQ(read.weekdays, VAXALLOC_EVERY_DAY);
  EXPECT_EQ(read.open_minute, 480);
  EXPECT_EQ(read.close_minute, 495);
  EXPECT_EQ(read.slot_minutes, 15);
  EXPECT_EQ(read.seats_first, 2);
  EXPECT_EQ(read.seats_second, 0);
  EXPECT_OK(vaxalloc_capacity_get(c, 1, &read));
  EXPECT_EQ(read.first_day, J + 21);
  EXPECT_EQ(read.seats_second, 2);
  EXPECT_FAILS(c, vaxalloc_capacity_get(c, 2, &read), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_capacity_get(c, 0, NULL), VAXALLOC_EINVALID);
  EXPECT_EQ(read.first_day, J + 21);

  delivery.center = 1;
  delivery.vaccine = 1;
  delivery.day = J;
  delivery.doses = 4;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));
  delivery.doses = 0;
  EXPECT_FAILS(c, vaxalloc_supply_add(c, &delivery), VAXALLOC_EINVALID);
  delivery.doses = 4;
  delivery.center = 5;
  EXPECT_FAILS(c, vaxalloc_supply_add(c, &delivery), VAXALLOC_ENOTFOUND);
  delivery.center = 1;
  delivery.day = ymd(2300, 1, 1);
  EXPECT_FAILS(c, vaxalloc_supply_add(c, &delivery), VAXALLOC_ERANGE);
  delivery.version = 2;
  EXPECT_FAILS(c, vaxalloc_supply_add(c, &delivery), VAXALLOC_EVERSION);
  EXPECT_FAILS(c, vaxalloc_supply_add(c, NULL), VAXALLOC_EINVALID);
  EXPECT_OK(vaxalloc_supply_get(c, 0, &read_delivery));
  EXPECT_EQ(read_delivery.center, 1);
  EXPECT_EQ(read_delivery.vaccine, 1);
  EXPECT_EQ(read_delivery.day, J);
  EXPECT_EQ(read_delivery.doses, 4);
  EXPECT_FAILS(c, vaxalloc_supply_get(c, 1, &read_delivery), VAXALLOC_ENOTFOUND);
  read_delivery.version = 0;
  EXPECT_FAILS(c, vaxalloc_supply_get(c, 0, &read_delivery), VAXALLOC_EVERSION);
}

/* Policy 2: Hessen's cut-off on 7 June (J - 7), a reserve of half the seats
 * for people of group 1 aged 80 or more, neighbours 1-2 (unused: home
 * district only). */
static void test_policy(vaxalloc_campaign* c) {
  vaxalloc_tier_rule rules[2] = {VAXALLOC_TIER_RULE_INIT, VAXALLOC_TIER_RULE_INIT};
  vaxalloc_reserve reserves[1] = {VAXALLOC_RESERVE_INIT};
  vaxalloc_neighbour_pair neighbours[1] = {{1, 2}};
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
  vaxalloc_tier_rule read_rules[3];
  vaxalloc_reserve read_reserves[2];
  vaxalloc_neighbour_pair read_neighbours[2];
  size_t count = 0;
  uint32_t version = 0;

  rules[0].registered_before = at(J - 7, 0, 0);
  rules[1].tier_by_group[0] = rules[1].tier_by_group[1] = rules[1].tier_by_group[2] = 4;
  strcpy(reserves[0].name, "80+");
  reserves[0].share_permille = 500;
  reserves[0].age_years_min = 80;
  reserves[0].group_mask = 0x01;
  policy.tier_rules = rules;
  policy.tier_rule_count = 2;
  policy.reserves = reserves;
  policy.reserve_count = 1;
  policy.neighbours = neighbours;
  policy.neighbour_count = 1;

  /* Errors first: the current policy stays version 1. */
  policy.residence = 2;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.residence = -1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.residence = VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY;
  policy.tier_rules = NULL;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.tier_rules = rules;
  rules[1].tier_by_group[3] = 9;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  rules[1].tier_by_group[3] = 4;
  rules[1].registered_before = rules[0].registered_before; /* not ascending */
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  rules[1].registered_before = VAXALLOC_TIME_INFINITE_FUTURE;
  memset(reserves[0].name, 'r', sizeof reserves[0].name); /* no NUL inside */
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  strcpy(reserves[0].name, "80+");
  reserves[0].share_permille = 1001;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  reserves[0].share_permille = 500;
  reserves[0].vaccine = 9;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_ENOTFOUND);
  reserves[0].vaccine = VAXALLOC_NO_ID;
  neighbours[0].district_b = 99;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_ENOTFOUND);
  neighbours[0].district_b = 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  neighbours[0].district_b = 2;
  policy.version = 0;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EVERSION);
  policy.version = VAXALLOC_POLICY_VERSION;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, NULL, &version), VAXALLOC_EINVALID);
  EXPECT_EQ(version, 0);

  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 2);

  EXPECT_OK(vaxalloc_policy_get(c, 1, &info));
  EXPECT_EQ(info.policy_version, 1);
  EXPECT_EQ(info.tier_rule_count + info.reserve_count + info.neighbour_count, 0);
  EXPECT_OK(vaxalloc_policy_get(c, 2, &info));
  EXPECT_EQ(info.policy_version, 2);
  EXPECT_EQ(info.residence, VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY);
  EXPECT_EQ(info.tier_rule_count, 2);
  EXPECT_EQ(info.reserve_count, 1);
  EXPECT_EQ(info.neighbour_count, 1);
  EXPECT_FAILS(c, vaxalloc_policy_get(c, 3, &info), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_policy_get(c, 0, &info), VAXALLOC_ENOTFOUND);
  info.version = 0;
  EXPECT_FAILS(c, vaxalloc_policy_get(c, 2, &info), VAXALLOC_EVERSION);

  EXPECT_FAILS(c, vaxalloc_policy_tier_rules(c, 2, read_rules, 1, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 2);
  EXPECT_OK(vaxalloc_policy_tier_rules(c, 2, read_rules, 3, &count));
  EXPECT_EQ(count, 2);
  EXPECT_EQ(read_rules[0].registered_before, at(J - 7, 0, 0));
  EXPECT_EQ(read_rules[0].tier_by_group[2], 3);
  EXPECT_EQ(read_rules[1].registered_before, VAXALLOC_TIME_INFINITE_FUTURE);
  EXPECT_EQ(read_rules[1].tier_by_group[0], 4);
  EXPECT_OK(vaxalloc_policy_tier_rules(c, 1, NULL, 0, &count));
  EXPECT_EQ(count, 0);
  EXPECT_FAILS(c, vaxalloc_policy_tier_rules(c, 7, read_rules, 3, &count), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_policy_tier_rules(c, 2, read_rules, 3, NULL), VAXALLOC_EINVALID);
  EXPECT_OK(vaxalloc_policy_reserves(c, 2, read_reserves, 2, &count));
  EXPECT_EQ(count, 1);
  EXPECT_STR(read_reserves[0].name, "80+");
  EXPECT_EQ(read_reserves[0].share_permille, 500);
  EXPECT_EQ(read_reserves[0].age_years_min, 80);
  EXPECT_EQ(read_reserves[0].group_mask, 1);
  EXPECT_EQ(read_reserves[0].vaccine, 0);
  EXPECT_FAILS(c, vaxalloc_policy_reserves(c, 2, NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 1);
  EXPECT_OK(vaxalloc_policy_neighbours(c, 2, read_neighbours, 2, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(read_neighbours[0].district_a, 1);
  EXPECT_EQ(read_neighbours[0].district_b, 2);
  EXPECT_FAILS(c, vaxalloc_policy_neighbours(c, 3, read_neighbours, 2, &count), VAXALLOC_ENOTFOUND);
}

/* Registrants (all but HE-0005 registered on 4 June, before the cut-off):
 *   1 HE-0001  Frankfurt  born 1938  group 1  -> tier 1, 80+ reserve
 *   2 HE-0002  Frankfurt  born 1990  none     -> tier 4
 *   3 HE-0003  Frankfurt  born 1960  group 2  -> tier 2
 *   4 HE-0004  Darmstadt  born 1940  group 1  -> tier 1, no capacity there
 *   5 HE-0005  Frankfurt  born 1970  group 3, registered 8 June -> tier 4
 *   6 R...R    Gross-Gerau (no center), none, a 128-byte reference -> tier 4 */
static void test_registrants(vaxalloc_campaign* c) {
  char long_ref[VAXALLOC_EXTERNAL_REF_LENGTH_MAX + 2];
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  vaxalloc_registrant_spec batch[3];
  const vaxalloc_registrant_spec* pointers[3];
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  uint32_t id = 0, ids[3] = {0, 0, 0};
  int32_t tier = 0;
  int i;

  spec.external_ref = "HE-0001";
  spec.district = 1;
  spec.birth_day = ymd(1938, 5, 1);
  spec.group = VAXALLOC_GROUP_1;
  spec.registered_at = at(J - 10, 10, 0);
  EXPECT_OK(vaxalloc_register(c, &spec, &id));
  EXPECT_EQ(id, 1);

  for (i = 0; i < 3; ++i) {
    batch[i] = spec;
    pointers[i] = &batch[i];
  }
  batch[0].external_ref = "HE-0002";
  batch[0].birth_day = ymd(1990, 1, 1);
  batch[0].group = VAXALLOC_GROUP_NONE;
  batch[0].channel = VAXALLOC_CHANNEL_PHONE;
  batch[1].external_ref = "HE-0003";
  batch[1].birth_day = ymd(1960, 1, 1);
  batch[1].group = VAXALLOC_GROUP_2;
  batch[2].external_ref = "HE-0004";
  batch[2].district = 2;
  batch[2].birth_day = ymd(1940, 1, 1);

  /* One bad entry registers nobody. */
  batch[2].external_ref = "HE-0001";
  EXPECT_FAILS(c, vaxalloc_register_batch(c, pointers, 3, ids), VAXALLOC_EEXISTS);
  EXPECT(strstr(failure_message, "#2") != NULL);
  batch[2].external_ref = "HE-0002";
  EXPECT_FAILS(c, vaxalloc_register_batch(c, pointers, 3, ids), VAXALLOC_EEXISTS);
  batch[2].external_ref = "HE-0004";
  batch[1].group = 0;
  EXPECT_FAILS(c, vaxalloc_register_batch(c, pointers, 3, ids), VAXALLOC_EINVALID);
  batch[1].group = VAXALLOC_GROUP_2;
  batch[1].version = 0;
  EXPECT_FAILS(c, vaxalloc_register_batch(c, pointers, 3, ids), VAXALLOC_EVERSION);
  EXPECT(strstr(failure_message, "specs[1]") != NULL);
  batch[1].version = VAXALLOC_REGISTRANT_SPEC_VERSION;
  pointers[1] = NULL;
  EXPECT_FAILS(c, vaxalloc_register_batch(c, pointers, 3, ids), VAXALLOC_EINVALID);
  pointers[1] = &batch[1];
  EXPECT_FAILS(c, vaxalloc_register_batch(c, NULL, 3, ids), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, "HE-0003", &id), VAXALLOC_ENOTFOUND);
  EXPECT_EQ(ids[0] + ids[1] + ids[2], 0);
  EXPECT_OK(vaxalloc_register_batch(c, NULL, 0, NULL)); /* nothing to do */

  EXPECT_OK(vaxalloc_register_batch(c, pointers, 3, ids));
  EXPECT_EQ(ids[0], 2);
  EXPECT_EQ(ids[1], 3);
  EXPECT_EQ(ids[2], 4);

  spec.external_ref = "HE-0005";
  spec.birth_day = ymd(1970, 7, 1);
  spec.group = VAXALLOC_GROUP_3;
  spec.registered_at = at(J - 6, 12, 30);
  EXPECT_OK(vaxalloc_register(c, &spec, &id));
  EXPECT_EQ(id, 5);

  /* Errors of a single registration. */
  spec.external_ref = "HE-0001";
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EEXISTS);
  spec.external_ref = "HE-0009";
  spec.group = 0;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.group = 5;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.group = 260; /* would wrap to 4 in a uint8_t */
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.group = VAXALLOC_GROUP_NONE;
  spec.channel = 2;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.channel = VAXALLOC_CHANNEL_ONLINE;
  spec.external_ref = repeat('R', VAXALLOC_EXTERNAL_REF_LENGTH_MAX + 1, long_ref);
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.external_ref = "";
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.external_ref = NULL;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.external_ref = "HE-0009";
  spec.district = 99;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_ENOTFOUND);
  spec.district = 1;
  spec.vaccine_preference = 7;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_ENOTFOUND);
  spec.vaccine_preference = VAXALLOC_NO_ID;
  spec.birth_day = ymd(1850, 1, 1);
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_ERANGE);
  spec.birth_day = ymd(1990, 1, 1);
  spec.registered_at = VAXALLOC_TIME_INFINITE_FUTURE;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EINVALID);
  spec.registered_at = at(J - 10, 11, 0);
  spec.version = VAXALLOC_REGISTRANT_SPEC_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_register(c, &spec, &id), VAXALLOC_EVERSION);
  spec.version = VAXALLOC_REGISTRANT_SPEC_VERSION;
  EXPECT_FAILS(c, vaxalloc_register(c, NULL, &id), VAXALLOC_EINVALID);
  EXPECT_EQ(id, 5);

  /* The longest reference, in a district without a center. */
  spec.external_ref = repeat('R', VAXALLOC_EXTERNAL_REF_LENGTH_MAX, long_ref);
  spec.district = 5;
  EXPECT_OK(vaxalloc_register(c, &spec, NULL));

  EXPECT_OK(vaxalloc_registrant_get(c, 2, &registrant));
  EXPECT_EQ(registrant.id, 2);
  EXPECT_STR(registrant.external_ref, "HE-0002");
  EXPECT_EQ(registrant.district, 1);
  EXPECT_EQ(registrant.birth_day, ymd(1990, 1, 1));
  EXPECT_EQ(registrant.group, VAXALLOC_GROUP_NONE);
  EXPECT_EQ(registrant.channel, VAXALLOC_CHANNEL_PHONE);
  EXPECT_EQ(registrant.registered_at, at(J - 10, 10, 0));
  EXPECT_EQ(registrant.vaccine_preference, 0);
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WAITING);
  EXPECT_EQ(registrant.waiting_since, at(J - 10, 10, 0));
  EXPECT_EQ(registrant.series, 0);
  EXPECT_OK(vaxalloc_registrant_get(c, 6, &registrant));
  EXPECT_STR(registrant.external_ref, long_ref);
  EXPECT_FAILS(c, vaxalloc_registrant_get(c, 7, &registrant), VAXALLOC_ENOTFOUND);
  EXPECT_EQ(registrant.id, 6);
  registrant.version = 0;
  EXPECT_FAILS(c, vaxalloc_registrant_get(c, 1, &registrant), VAXALLOC_EVERSION);
  registrant.version = VAXALLOC_REGISTRANT_VERSION;
  EXPECT_OK(vaxalloc_registrant_find(c, "HE-0004", &id));
  EXPECT_EQ(id, 4);
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, "HE-9999", &id), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, NULL, &id), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_tier_of(c, 1, 0, &tier));
  EXPECT_EQ(tier, 1);
  EXPECT_OK(vaxalloc_tier_of(c, 3, 0, &tier));
  EXPECT_EQ(tier, 2);
  EXPECT_OK(vaxalloc_tier_of(c, 5, 0, &tier)); /* after the cut-off */
  EXPECT_EQ(tier, 4);
  EXPECT_OK(vaxalloc_tier_of(c, 5, 1, &tier)); /* the default policy: the group */
  EXPECT_EQ(tier, 3);
  EXPECT_FAILS(c, vaxalloc_tier_of(c, 9, 0, &tier), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_tier_of(c, 1, 9, &tier), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_tier_of(c, 1, 0, NULL), VAXALLOC_EINVALID);
  EXPECT_EQ(tier, 3);
}

/* --- Draws, series, cancellation ---------------------------------------------------------- */

static void expect_draw_1(const vaxalloc_draw_info* info) {
  EXPECT_EQ(info->id, 1);
  EXPECT_U64(info->seed_k0, 1);
  EXPECT_U64(info->seed_k1, 2);
  EXPECT_EQ(info->at, at(J - 7, 6, 0));
  EXPECT_EQ(info->first_dose_from, J);
  EXPECT_EQ(info->first_dose_until, J + 6);
  EXPECT_EQ(info->series_limit, 0);
  EXPECT_EQ(info->policy_version, 2);
  EXPECT_EQ(info->center_count, 0);
  EXPECT_EQ(info->series_count, 2);
  /* HE-0005 registered after `at` and takes no part. */
  EXPECT_EQ(info->tiers[0].eligible, 2); /* HE-0001, HE-0004 */
  EXPECT_EQ(info->tiers[0].assigned, 1);
  EXPECT_EQ(info->tiers[1].eligible, 1); /* HE-0003 */
  EXPECT_EQ(info->tiers[1].assigned, 1);
  EXPECT_EQ(info->tiers[2].eligible, 0);
  EXPECT_EQ(info->tiers[3].eligible, 2); /* HE-0002, R...R */
  EXPECT_EQ(info->tiers[3].assigned, 0);
}

static void test_draws(vaxalloc_campaign* c) {
  const uint32_t unknown_center[1] = {9};
  const uint32_t center_1[1] = {1};
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  uint32_t ids[4] = {77, 77, 77, 77};
  size_t count = 0;

  request.seed_k0 = 1;
  request.seed_k1 = 2;
  request.at = at(J - 7, 6, 0);
  request.first_dose_from = J;
  request.first_dose_until = J + 6;

  /* Refused requests draw nothing. */
  request.first_dose_until = J - 1;
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EINVALID);
  request.first_dose_until = J + 6;
  request.first_dose_from = ymd(1800, 1, 1);
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_ERANGE);
  request.first_dose_from = J;
  request.at = VAXALLOC_TIME_INFINITE_PAST;
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EINVALID);
  request.at = at(J - 7, 6, 0);
  request.centers = unknown_center;
  request.center_count = 1;
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_ENOTFOUND);
  request.centers = NULL;
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EINVALID);
  {
    const uint32_t twice[] = {1, 1};
    request.centers = twice;
    request.center_count = 2;
    EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EINVALID);
    EXPECT(strstr(failure_message, "center id 1 is listed twice") != NULL);
    request.centers = NULL;
  }
  request.center_count = 0;
  request.version = 0;
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EVERSION);
  request.version = VAXALLOC_DRAW_REQUEST_VERSION;
  info.version = VAXALLOC_DRAW_INFO_VERSION + 1; /* checked before drawing */
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EVERSION);
  info.version = VAXALLOC_DRAW_INFO_VERSION;
  EXPECT_FAILS(c, vaxalloc_draw(c, NULL, &info), VAXALLOC_EINVALID);
  EXPECT_EQ(info.id, 0);

  EXPECT_OK(vaxalloc_draw(c, &request, &info));
  expect_draw_1(&info);
  /* A seed decides lottery numbers: it may be used once. */
  request.at = at(J - 6, 6, 0);
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EEXISTS);
  expect_draw_1(&info);

  memset(&info, 0, sizeof info);
  info.version = VAXALLOC_DRAW_INFO_VERSION;
  EXPECT_OK(vaxalloc_draw_get(c, 1, &info));
  expect_draw_1(&info);
  EXPECT_FAILS(c, vaxalloc_draw_get(c, 2, &info), VAXALLOC_ENOTFOUND);
  info.version = 0;
  EXPECT_FAILS(c, vaxalloc_draw_get(c, 1, &info), VAXALLOC_EVERSION);
  info.version = VAXALLOC_DRAW_INFO_VERSION;

  EXPECT_FAILS(c, vaxalloc_draw_series(c, 1, ids, 1, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(ids[0], 77);
  EXPECT_OK(vaxalloc_draw_series(c, 1, ids, 4, &count));
  EXPECT_EQ(count, 2);
  EXPECT_EQ(ids[0], 1); /* the reserve phase placed HE-0001 first */
  EXPECT_EQ(ids[1], 2);
  EXPECT_FAILS(c, vaxalloc_draw_series(c, 5, ids, 4, &count), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_draw_series(c, 1, NULL, 4, &count), VAXALLOC_EINVALID);
  EXPECT_OK(vaxalloc_draw_centers(c, 1, NULL, 0, &count));
  EXPECT_EQ(count, 0);

  /* Series 1: HE-0001 from the 80+ reserve; series 2: HE-0003. */
  EXPECT_OK(vaxalloc_series_get(c, 1, &series));
  EXPECT_EQ(series.id, 1);
  EXPECT_EQ(series.registrant, 1);
  EXPECT_EQ(series.center, 1);
  EXPECT_EQ(series.vaccine, 1);
  EXPECT_EQ(series.dose_count, 2);
  EXPECT_EQ(series.appointments[0].day, J);
  EXPECT_EQ(series.appointments[0].minute, 480);
  EXPECT_EQ(series.appointments[1].day, J + 21);
  EXPECT_EQ(series.appointments[1].minute, 480);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  EXPECT_EQ(series.booked_at, at(J - 7, 6, 0));
  EXPECT_EQ(series.draw, 1);
  EXPECT_EQ(series.tier, 1);
  EXPECT_EQ(series.category, 1);
  EXPECT_OK(vaxalloc_series_get(c, 2, &series));
  EXPECT_EQ(series.registrant, 3);
  EXPECT_EQ(series.tier, 2);
  EXPECT_EQ(series.category, 0);
  EXPECT_FAILS(c, vaxalloc_series_get(c, 3, &series), VAXALLOC_ENOTFOUND);
  EXPECT_EQ(series.id, 2);
  series.version = 0;
  EXPECT_FAILS(c, vaxalloc_series_get(c, 1, &series), VAXALLOC_EVERSION);
  series.version = VAXALLOC_SERIES_VERSION;
  EXPECT_OK(vaxalloc_registrant_get(c, 1, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_SCHEDULED);
  EXPECT_EQ(registrant.series, 1);

  /* Draw 2, limited to center 1, without an output struct: every seat is
   * taken, nobody is placed. */
  request.seed_k0 = 3;
  request.seed_k1 = 4;
  request.at = at(J - 5, 6, 0);
  request.centers = center_1;
  request.center_count = 1;
  EXPECT_OK(vaxalloc_draw(c, &request, NULL));
  EXPECT_OK(vaxalloc_draw_get(c, 2, &info));
  EXPECT_EQ(info.series_count, 0);
  EXPECT_EQ(info.center_count, 1);
  EXPECT_EQ(info.tiers[3].eligible, 3); /* HE-0005 registered by now */
  EXPECT_OK(vaxalloc_draw_centers(c, 2, ids, 4, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(ids[0], 1);
}

static void test_queries(vaxalloc_campaign* c) {
  vaxalloc_slot slots[4];
  vaxalloc_second_dose_shortfall shortfalls[2];
  size_t count = 0;
  int64_t doses = -1;

  EXPECT_OK(vaxalloc_slots(c, 1, 1, J, slots, 4, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(slots[0].day, J);
  EXPECT_EQ(slots[0].minute, 480);
  EXPECT_EQ(slots[0].seats_first, 2);
  EXPECT_EQ(slots[0].booked_first, 2);
  EXPECT_EQ(slots[0].seats_second, 0);
  EXPECT_EQ(slots[0].booked_second, 0);
  EXPECT_OK(vaxalloc_slots(c, 1, 1, J + 21, slots, 4, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(slots[0].seats_second, 2);
  EXPECT_EQ(slots[0].booked_second, 2);
  EXPECT_OK(vaxalloc_slots(c, 1, 1, J + 1, slots, 4, &count)); /* no capacity that day */
  EXPECT_EQ(count, 0);
  EXPECT_OK(vaxalloc_slots(c, 2, 1, J, slots, 4, &count));
  EXPECT_EQ(count, 0);
  EXPECT_FAILS(c, vaxalloc_slots(c, 1, 1, J, NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 1);
  EXPECT_FAILS(c, vaxalloc_slots(c, 1, 1, J, slots, 4, NULL), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_doses_available(c, 1, 1, J, &doses));
  EXPECT_EQ(doses, 0); /* four doses, two series */
  EXPECT_OK(vaxalloc_doses_available(c, 2, 1, J, &doses));
  EXPECT_EQ(doses, 0);
  EXPECT_FAILS(c, vaxalloc_doses_available(c, 1, 1, J, NULL), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_second_dose_shortfalls(c, shortfalls, 2, &count));
  EXPECT_EQ(count, 0);
  EXPECT_FAILS(c, vaxalloc_second_dose_shortfalls(c, shortfalls, 2, NULL), VAXALLOC_EINVALID);
}

static void test_cancellation(vaxalloc_campaign* c) {
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  int64_t doses = -1;

  EXPECT_FAILS(c, vaxalloc_series_cancel(c, 2, VAXALLOC_TIME_INFINITE_FUTURE), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_series_cancel(c, 9, at(J - 5, 9, 0)), VAXALLOC_ENOTFOUND);
  EXPECT_OK(vaxalloc_series_cancel(c, 2, at(J - 5, 9, 0)));
  EXPECT_FAILS(c, vaxalloc_series_cancel(c, 2, at(J - 5, 9, 0)), VAXALLOC_EPRECONDITION);
  EXPECT_OK(vaxalloc_series_get(c, 2, &series));
  EXPECT_EQ(series.status, VAXALLOC_SERIES_CANCELLED);
  EXPECT_OK(vaxalloc_registrant_get(c, 3, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WAITING);
  EXPECT_EQ(registrant.waiting_since, at(J - 5, 9, 0));
  EXPECT_EQ(registrant.series, 0);
  EXPECT_OK(vaxalloc_doses_available(c, 1, 1, J, &doses));
  EXPECT_EQ(doses, 2); /* the cancelled pair came back */

  EXPECT_FAILS(c, vaxalloc_withdraw(c, 9, at(J - 5, 10, 0)), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_withdraw(c, 2, VAXALLOC_TIME_INFINITE_PAST), VAXALLOC_EINVALID);
  EXPECT_OK(vaxalloc_withdraw(c, 2, at(J - 5, 10, 0)));
  EXPECT_FAILS(c, vaxalloc_withdraw(c, 2, at(J - 5, 11, 0)), VAXALLOC_EPRECONDITION);
  EXPECT_OK(vaxalloc_registrant_get(c, 2, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WITHDRAWN);
}

static void test_report(vaxalloc_campaign* c) {
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  vaxalloc_center_report centers[3];
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_second_dose_shortfall shortfalls[2];
  size_t count = 0;
  uint64_t violations = 99;
  char* text = NULL;

  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.districts, 5);
  EXPECT_EQ(counts.vaccines, 2);
  EXPECT_EQ(counts.centers, 2);
  EXPECT_EQ(counts.registrants, 6);
  EXPECT_EQ(counts.series, 2);
  EXPECT_EQ(counts.draws, 2);
  EXPECT_EQ(counts.policy_version, 2);
  EXPECT_EQ(counts.capacity_blocks, 2);
  EXPECT_EQ(counts.deliveries, 1);
  EXPECT(counts.revision > 0);
  EXPECT_EQ(counts.releases, 0);
  EXPECT_EQ(counts.holds, 0);
  counts.version = 0;
  EXPECT_FAILS(c, vaxalloc_counts_get(c, &counts), VAXALLOC_EVERSION);
  EXPECT_FAILS(c, vaxalloc_counts_get(c, NULL), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_report_get(c, &report));
  EXPECT_EQ(report.registrants, 6);
  EXPECT_EQ(report.waiting, 4); /* HE-0003, HE-0004, HE-0005, R...R */
  EXPECT_EQ(report.scheduled, 1);
  EXPECT_EQ(report.withdrawn, 1);
  EXPECT_EQ(report.waiting_per_tier[0], 1);
  EXPECT_EQ(report.waiting_per_tier[1], 1);
  EXPECT_EQ(report.waiting_per_tier[2], 0);
  EXPECT_EQ(report.waiting_per_tier[3], 2);
  EXPECT_EQ(report.series_active, 1);
  EXPECT_EQ(report.series_cancelled, 1);
  EXPECT_EQ(report.draws, 2);
  EXPECT_EQ(report.center_count, 2);
  /* Nothing self-booked or attended in this campaign. */
  EXPECT_EQ(report.vaccinated + report.series_held + report.series_completed, 0);
  EXPECT_EQ(report.series_missed + report.doses_given + report.doses_missed, 0);
  report.version = VAXALLOC_REPORT_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_report_get(c, &report), VAXALLOC_EVERSION);
  EXPECT_EQ(report.registrants, 6);

  EXPECT_FAILS(c, vaxalloc_report_centers(c, centers, 1, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 2);
  EXPECT_OK(vaxalloc_report_centers(c, centers, 3, &count));
  EXPECT_EQ(count, 2);
  EXPECT_EQ(centers[0].center, 1);
  EXPECT_EQ(centers[0].series_active, 1);
  EXPECT_EQ(centers[0].seats_first_free, 1);
  EXPECT_EQ(centers[0].doses_delivered, 4);
  EXPECT_EQ(centers[0].doses_reserved, 2);
  EXPECT_EQ(centers[0].residents_waiting, 2); /* HE-0003, HE-0005 */
  EXPECT_EQ(centers[1].center, 2);
  EXPECT_EQ(centers[1].series_active, 0);
  EXPECT_EQ(centers[1].doses_delivered, 0);
  EXPECT_EQ(centers[1].residents_waiting, 1); /* HE-0004 */
  EXPECT_FAILS(c, vaxalloc_report_centers(c, NULL, 3, &count), VAXALLOC_EINVALID);

  EXPECT_OK(vaxalloc_check_invariants(c, &violations, &text));
  EXPECT_EQ(violations, 0);
  EXPECT(text != NULL);
  vaxalloc_free(text);
  EXPECT_OK(vaxalloc_check_invariants(c, NULL, NULL));

  /* First-dose seats on J + 1 without second-dose seats 21-42 days later. */
  block.center = 1;
  block.vaccine = 1;
  block.first_day = block.last_day = J + 1;
  block.open_minute = 600;
  block.close_minute = 630;
  block.slot_minutes = 30;
  block.seats_first = 3;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  EXPECT_FAILS(c, vaxalloc_second_dose_shortfalls(c, NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 1);
  EXPECT_OK(vaxalloc_second_dose_shortfalls(c, shortfalls, 2, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(shortfalls[0].center, 1);
  EXPECT_EQ(shortfalls[0].vaccine, 1);
  EXPECT_EQ(shortfalls[0].day, J + 1);
  EXPECT_EQ(shortfalls[0].seats_first, 3);
  EXPECT_EQ(shortfalls[0].seats_second_in_window, 0);
}

/* --- Files: persistence, options, two connections, not a campaign ------------------------- */

static void remove_campaign_files(const char* path) {
  char name[1024];
  const char* suffixes[3] = {"", "-wal", "-shm"};
  int i;
  for (i = 0; i < 3; ++i) {
    snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
    if (unlink(name) != 0 && errno != ENOENT) perror(name);
  }
}

static void test_files(const char* dir) {
  char path[1024], garbage_path[1024];
  vaxalloc_open_options options = VAXALLOC_OPEN_OPTIONS_INIT;
  vaxalloc_campaign* c = NULL;
  vaxalloc_campaign* other = (vaxalloc_campaign*)&options; /* must become NULL */
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  uint32_t id = 0;
  FILE* file;
  char content[64];

  snprintf(path, sizeof path, "%s/campaign.sqlite", dir);
  snprintf(garbage_path, sizeof garbage_path, "%s/not-a-campaign.sqlite", dir);
  remove_campaign_files(path);

  EXPECT_RC(vaxalloc_campaign_open(path, &options, NULL), VAXALLOC_EINVALID);
  EXPECT_RC(vaxalloc_campaign_open(NULL, &options, &other), VAXALLOC_EINVALID);
  EXPECT(other == NULL);
  EXPECT_RC(vaxalloc_campaign_open("", &options, &other), VAXALLOC_EINVALID);
  options.create_if_missing = 0;
  EXPECT_RC(vaxalloc_campaign_open(path, &options, &other), VAXALLOC_ENOTFOUND);
  EXPECT(other == NULL);
  options.create_if_missing = 1;
  options.durability = 2;
  EXPECT_RC(vaxalloc_campaign_open(path, &options, &other), VAXALLOC_EINVALID);
  options.durability = VAXALLOC_DURABILITY_FULL;
  options.version = 0;
  EXPECT_RC(vaxalloc_campaign_open(path, &options, &other), VAXALLOC_EVERSION);
  options.version = VAXALLOC_OPEN_OPTIONS_VERSION + 1;
  EXPECT_RC(vaxalloc_campaign_open(path, &options, &other), VAXALLOC_EVERSION);
  EXPECT(other == NULL);
  options.version = VAXALLOC_OPEN_OPTIONS_VERSION;
  EXPECT(access(path, F_OK) != 0); /* none of that created the file */

  /* Created, written, closed, reopened: it is all still there. */
  EXPECT_OK(vaxalloc_campaign_open(path, &options, &c));
  EXPECT_STR(vaxalloc_campaign_path(c), path);
  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", &id));
  vaxalloc_campaign_close(c);
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  EXPECT_OK(vaxalloc_district_find(c, "06412", &id));
  EXPECT_EQ(id, 1);

  /* A second connection to the same file: each call follows the journal,
   * so what one commits the other sees at its next call, and its own write
   * gets the next id. */
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &other));
  EXPECT_OK(vaxalloc_district_add(other, "06411", "Darmstadt", &id));
  EXPECT_EQ(id, 2);
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.districts, 2);
  EXPECT_OK(vaxalloc_district_add(c, "06413", "Offenbach am Main", &id));
  EXPECT_EQ(id, 3);
  EXPECT_OK(vaxalloc_district_find(other, "06413", &id));
  EXPECT_EQ(id, 3);
  vaxalloc_campaign_close(other);
  vaxalloc_campaign_close(c);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.districts, 3);
  vaxalloc_campaign_close(c);

  /* Not a database: an error, and the file stays as it was. */
  file = fopen(garbage_path, "wb");
  EXPECT(file != NULL);
  if (file != NULL) {
    fputs("These are not the droids you are looking for; this is not SQLite at all.\n", file);
    fclose(file);
  }
  other = (vaxalloc_campaign*)&options;
  EXPECT_RC(vaxalloc_campaign_open(garbage_path, NULL, &other), VAXALLOC_ECORRUPT);
  EXPECT(other == NULL);
  file = fopen(garbage_path, "rb");
  EXPECT(file != NULL);
  if (file != NULL) {
    EXPECT(fgets(content, sizeof content, file) != NULL);
    EXPECT(strncmp(content, "These are not the droids", 24) == 0);
    fclose(file);
  }
  remove_campaign_files(path);
  remove_campaign_files(garbage_path);
}

/* --- The outbox ---------------------------------------------------------------------------- */

static void expect_event(const vaxalloc_event* event, uint64_t id, int32_t kind, int64_t when,
                         uint32_t registrant, uint32_t series, uint32_t draw) {
  EXPECT_U64(event->id, id);
  EXPECT_EQ(event->kind, kind);
  EXPECT_EQ(event->at, when);
  EXPECT_EQ(event->registrant, registrant);
  EXPECT_EQ(event->series, series);
  EXPECT_EQ(event->draw, draw);
}

static int same_event(const vaxalloc_event* a, const vaxalloc_event* b) {
  return a->id == b->id && a->kind == b->kind && a->at == b->at && a->registrant == b->registrant &&
         a->series == b->series && a->draw == b->draw;
}

/* The ids of the pending events after `after_id` (at most 16), into ids[];
 * returns how many. */
static size_t pending_ids(vaxalloc_campaign* c, uint64_t after_id, uint64_t ids[16]) {
  vaxalloc_event page[16];
  size_t count = 0, i;
  EXPECT_OK(vaxalloc_pending_events(c, after_id, page, 16, &count));
  for (i = 0; i < count && i < 16; ++i) ids[i] = page[i].id;
  return count;
}

/* A failed outbox call: as EXPECT_FAILS, and the caller's page, its count
 * and the pending events exactly as before. */
#define EXPECT_OUTBOX_FAILS(c, call, expected, page, count)                              \
  do {                                                                                   \
    vaxalloc_event page_before_[4];                                                      \
    const size_t count_before_ = (count);                                                \
    uint64_t ids_before_[16], ids_after_[16];                                            \
    const size_t pending_before_ = pending_ids(c, 0, ids_before_);                       \
    size_t pending_after_;                                                               \
    memcpy(page_before_, (page), sizeof page_before_);                                   \
    EXPECT_FAILS(c, call, expected);                                                     \
    EXPECT(memcmp(page_before_, (page), sizeof page_before_) == 0);                      \
    EXPECT_EQ((count), count_before_);                                                   \
    pending_after_ = pending_ids(c, 0, ids_after_);                                      \
    EXPECT_EQ(pending_after_, pending_before_);                                          \
    EXPECT(pending_after_ != pending_before_ ||                                          \
           memcmp(ids_before_, ids_after_, pending_after_ * sizeof ids_after_[0]) == 0); \
  } while (0)

/* The events of test_draws and test_cancellation: draw 1 gave series 1 to
 * registrant 1 and series 2 to registrant 3; series 2 was cancelled;
 * registrant 2, who had no series, withdrew. Draw 2 placed nobody. */
static void test_events(vaxalloc_campaign* c) {
  vaxalloc_event page[4];
  vaxalloc_event* big;
  size_t count = 77;
  uint64_t ids[16];

  EXPECT_OK(vaxalloc_pending_events(c, 0, page, 4, &count));
  EXPECT_EQ(count, 4);
  expect_event(&page[0], 1, VAXALLOC_EVENT_SERIES_ASSIGNED, at(J - 7, 6, 0), 1, 1, 1);
  expect_event(&page[1], 2, VAXALLOC_EVENT_SERIES_ASSIGNED, at(J - 7, 6, 0), 3, 2, 1);
  expect_event(&page[2], 3, VAXALLOC_EVENT_SERIES_CANCELLED, at(J - 5, 9, 0), 3, 2, VAXALLOC_NO_ID);
  expect_event(&page[3], 4, VAXALLOC_EVENT_REGISTRANT_WITHDRAWN, at(J - 5, 10, 0), 2,
               VAXALLOC_NO_ID, VAXALLOC_NO_ID);

  /* Paging: a full page is success, not EBUFFER; the next starts after the
   * last id read. Reading changes nothing. */
  memset(page, 0xab, sizeof page);
  EXPECT_OK(vaxalloc_pending_events(c, 0, page, 3, &count));
  EXPECT_EQ(count, 3);
  EXPECT_U64(page[0].id, 1);
  EXPECT_U64(page[2].id, 3);
  EXPECT_U64(page[3].id, 0xababababababababull); /* beyond the page: untouched */
  EXPECT_OK(vaxalloc_pending_events(c, page[2].id, page, 3, &count));
  EXPECT_EQ(count, 1);
  expect_event(&page[0], 4, VAXALLOC_EVENT_REGISTRANT_WITHDRAWN, at(J - 5, 10, 0), 2,
               VAXALLOC_NO_ID, VAXALLOC_NO_ID);
  EXPECT_OK(vaxalloc_pending_events(c, 4, page, 3, &count));
  EXPECT_EQ(count, 0);
  EXPECT_U64(page[0].id, 4); /* nothing written */
  EXPECT_OK(vaxalloc_pending_events(c, UINT64_MAX, page, 1, &count));
  EXPECT_EQ(count, 0);
  EXPECT_OK(vaxalloc_pending_events(c, 1, page, 1, &count));
  EXPECT_EQ(count, 1);
  EXPECT_U64(page[0].id, 2);

  /* The largest page. */
  big = (vaxalloc_event*)malloc(VAXALLOC_EVENTS_PER_READ_MAX * sizeof *big);
  EXPECT(big != NULL);
  if (big != NULL) {
    EXPECT_OK(vaxalloc_pending_events(c, 0, big, VAXALLOC_EVENTS_PER_READ_MAX, &count));
    EXPECT_EQ(count, 4);
    EXPECT_U64(big[3].id, 4);
    free(big);
  }

  /* Errors change neither the page, nor its count, nor the outbox. */
  count = 77;
  memset(page, 0xcd, sizeof page);
  EXPECT_OUTBOX_FAILS(c, vaxalloc_pending_events(c, 0, page, 0, &count), VAXALLOC_EINVALID, page,
                      count);
  EXPECT(strstr(failure_message, "capacity 0") != NULL);
  EXPECT_OUTBOX_FAILS(c,
                      vaxalloc_pending_events(c, 0, page, VAXALLOC_EVENTS_PER_READ_MAX + 1, &count),
                      VAXALLOC_EINVALID, page, count);
  EXPECT(strstr(failure_message, "100001") != NULL);
  EXPECT_OUTBOX_FAILS(c, vaxalloc_pending_events(c, 0, page, SIZE_MAX, &count), VAXALLOC_EINVALID,
                      page, count);
  EXPECT_OUTBOX_FAILS(c, vaxalloc_pending_events(c, 0, NULL, 4, &count), VAXALLOC_EINVALID, page,
                      count);
  EXPECT(strstr(failure_message, "out is NULL") != NULL);
  EXPECT_OUTBOX_FAILS(c, vaxalloc_pending_events(c, 0, page, 4, NULL), VAXALLOC_EINVALID, page,
                      count);
  EXPECT(strstr(failure_message, "count_out is NULL") != NULL);
  EXPECT_OUTBOX_FAILS(c, vaxalloc_pending_events(c, 0, NULL, 0, NULL), VAXALLOC_EINVALID, page,
                      count);

  /* Acknowledging: through 2, then again (harmless), 0 and 1 (harmless). */
  EXPECT_OK(vaxalloc_acknowledge_events(c, 2));
  EXPECT_EQ(pending_ids(c, 0, ids), 2);
  EXPECT_U64(ids[0], 3);
  EXPECT_U64(ids[1], 4);
  EXPECT_OK(vaxalloc_acknowledge_events(c, 2));
  EXPECT_OK(vaxalloc_acknowledge_events(c, 0));
  EXPECT_OK(vaxalloc_acknowledge_events(c, 1));
  EXPECT_EQ(pending_ids(c, 0, ids), 2);
  EXPECT_U64(ids[0], 3);
  EXPECT_OK(vaxalloc_pending_events(c, 0, page, 4, &count));
  EXPECT_EQ(count, 2);
  expect_event(&page[0], 3, VAXALLOC_EVENT_SERIES_CANCELLED, at(J - 5, 9, 0), 3, 2, VAXALLOC_NO_ID);
  /* An id never written cannot have been read: acknowledging it is refused. */
  EXPECT_OUTBOX_FAILS(c, vaxalloc_acknowledge_events(c, 5), VAXALLOC_EINVALID, page, count);
  EXPECT(strstr(failure_message, "through id 5") != NULL);
  EXPECT_OUTBOX_FAILS(c, vaxalloc_acknowledge_events(c, UINT64_MAX), VAXALLOC_EINVALID, page,
                      count);
  EXPECT_EQ(pending_ids(c, 0, ids), 2);
}

/* At least once, across a close: unacknowledged events come back with the
 * same ids and contents; acknowledged ones do not; ids are never reused. */
static void test_event_files(const char* dir) {
  char path[1024];
  vaxalloc_campaign* c = NULL;
  vaxalloc_vaccine_spec vaccine = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center_spec center = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_event before[8], after[8];
  uint32_t district = 0, holder[3] = {0, 0, 0};
  size_t count = 0, again = 0, i;
  char ref[16];
  int k;

  snprintf(path, sizeof path, "%s/outbox.sqlite", dir);
  remove_campaign_files(path);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", &district));
  vaccine.code = "janssen";
  vaccine.name = "Janssen";
  vaccine.dose_count = 1;
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, &block.vaccine));
  center.code = "FFM";
  center.name = "Festhalle";
  center.districts = &district;
  center.district_count = 1;
  EXPECT_OK(vaxalloc_center_add(c, &center, &block.center));
  block.first_day = J;
  block.last_day = J + 6;
  block.open_minute = 480;
  block.close_minute = 510;
  block.slot_minutes = 30;
  block.seats_first = 3;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  delivery.center = block.center;
  delivery.vaccine = block.vaccine;
  delivery.day = J;
  delivery.doses = 10;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));
  spec.district = district;
  spec.birth_day = ymd(1950, 1, 1);
  spec.registered_at = at(J - 10, 9, 0);
  spec.external_ref = ref;
  for (k = 1; k <= 3; ++k) {
    snprintf(ref, sizeof ref, "E-%d", k);
    EXPECT_OK(vaxalloc_register(c, &spec, NULL));
  }
  EXPECT_OK(vaxalloc_pending_events(c, 0, before, 8, &count));
  EXPECT_EQ(count, 0); /* setup and registration tell nobody anything */

  request.seed_k0 = 7;
  request.at = at(J - 7, 6, 0);
  request.first_dose_from = J;
  request.first_dose_until = J + 6;
  EXPECT_OK(vaxalloc_draw(c, &request, &info));
  EXPECT_EQ(info.series_count, 3);
  for (k = 0; k < 3; ++k) {
    EXPECT_OK(vaxalloc_series_get(c, (uint32_t)k + 1, &series));
    holder[k] = series.registrant;
  }
  /* Events 4-7: series 1 cancelled; the holder of series 2 withdraws
   * (cancelled, then withdrawn); the holder of series 1, waiting again,
   * withdraws without a series. */
  EXPECT_OK(vaxalloc_series_cancel(c, 1, at(J - 6, 8, 0)));
  EXPECT_OK(vaxalloc_withdraw(c, holder[1], at(J - 6, 9, 0)));
  EXPECT_OK(vaxalloc_withdraw(c, holder[0], at(J - 6, 10, 0)));
  EXPECT_OK(vaxalloc_pending_events(c, 0, before, 8, &count));
  EXPECT_EQ(count, 7);
  for (k = 0; k < 3; ++k) {
    expect_event(&before[k], (uint64_t)k + 1, VAXALLOC_EVENT_SERIES_ASSIGNED, at(J - 7, 6, 0),
                 holder[k], (uint32_t)k + 1, 1);
  }
  expect_event(&before[3], 4, VAXALLOC_EVENT_SERIES_CANCELLED, at(J - 6, 8, 0), holder[0], 1,
               VAXALLOC_NO_ID);
  expect_event(&before[4], 5, VAXALLOC_EVENT_SERIES_CANCELLED, at(J - 6, 9, 0), holder[1], 2,
               VAXALLOC_NO_ID);
  expect_event(&before[5], 6, VAXALLOC_EVENT_REGISTRANT_WITHDRAWN, at(J - 6, 9, 0), holder[1], 2,
               VAXALLOC_NO_ID);
  expect_event(&before[6], 7, VAXALLOC_EVENT_REGISTRANT_WITHDRAWN, at(J - 6, 10, 0), holder[0],
               VAXALLOC_NO_ID, VAXALLOC_NO_ID);

  /* The host sent 1-3 and acknowledged them, sent 4-5, then crashed. */
  EXPECT_OK(vaxalloc_acknowledge_events(c, 3));
  vaxalloc_campaign_close(c);
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  EXPECT_OK(vaxalloc_pending_events(c, 0, after, 8, &again));
  EXPECT_EQ(again, 4);
  for (i = 0; i < again && i < 4; ++i) EXPECT(same_event(&after[i], &before[i + 3]));

  EXPECT_OK(vaxalloc_acknowledge_events(c, 7));
  EXPECT_OK(vaxalloc_acknowledge_events(c, 7)); /* twice: harmless */
  EXPECT_OK(vaxalloc_pending_events(c, 0, after, 8, &again));
  EXPECT_EQ(again, 0);
  EXPECT_FAILS(c, vaxalloc_acknowledge_events(c, 8), VAXALLOC_EINVALID);
  vaxalloc_campaign_close(c);
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  EXPECT_OK(vaxalloc_pending_events(c, 0, after, 8, &again));
  EXPECT_EQ(again, 0);
  /* The next event takes the next id, though 1-7 are gone. */
  EXPECT_OK(vaxalloc_series_cancel(c, 3, at(J - 5, 8, 0)));
  EXPECT_OK(vaxalloc_pending_events(c, 0, after, 8, &again));
  EXPECT_EQ(again, 1);
  expect_event(&after[0], 8, VAXALLOC_EVENT_SERIES_CANCELLED, at(J - 5, 8, 0), holder[2], 3,
               VAXALLOC_NO_ID);
  vaxalloc_campaign_close(c);
  remove_campaign_files(path);
}

/* --- Self-booking and attendance (0.2) ----------------------------------------------------- */

/* The booking campaign, in a file (its last step reopens it):
 *   district 1 (center 1 IZ-F), district 2 (center 2 IZ-DA, no capacity);
 *   vaccine 1 comirnaty (21/21/42 days); vaccine 2 "tight" (21 days exactly).
 *   Center 1, vaccine 1: J .. J+6, slots 08:00 and 08:30, one first-dose seat
 *   each; J+21 .. J+48, the same slots with two second-dose seats each.
 *   Center 1, vaccine 2: J+1 10:00 one first-dose seat, J+22 10:00 one
 *   second-dose seat. Supply: 100 and 2 doses from J - 30.
 *   Registrants B-01 .. B-08 (ids 1-8), district 1 and online unless said:
 *   B-03 by phone, B-04 in district 2, B-06 registered on J - 1 at 12:00,
 *   everyone else on J - 10. */
static void booking_setup(vaxalloc_campaign* c) {
  vaxalloc_vaccine_spec vaccine = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center_spec center = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  uint32_t district = 0, id = 0;
  char ref[16];
  int k;

  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", &district));
  EXPECT_OK(vaxalloc_district_add(c, "06411", "Darmstadt", NULL));
  vaccine.code = "comirnaty";
  vaccine.name = "Comirnaty";
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, &id));
  EXPECT_EQ(id, 1);
  vaccine.code = "tight";
  vaccine.name = "Exactly 21 days";
  vaccine.interval_days_max = 21;
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, &id));
  EXPECT_EQ(id, 2);
  center.code = "IZ-F";
  center.name = "Impfzentrum Frankfurt";
  center.districts = &district;
  center.district_count = 1;
  EXPECT_OK(vaxalloc_center_add(c, &center, NULL));
  district = 2;
  center.code = "IZ-DA";
  center.name = "Impfzentrum Darmstadt";
  EXPECT_OK(vaxalloc_center_add(c, &center, NULL));

  block.center = 1;
  block.vaccine = 1;
  block.first_day = J;
  block.last_day = J + 6;
  block.open_minute = 480;
  block.close_minute = 540;
  block.slot_minutes = 30;
  block.seats_first = 1;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  block.first_day = J + 21;
  block.last_day = J + 48;
  block.seats_first = 0;
  block.seats_second = 2;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  block.vaccine = 2;
  block.first_day = block.last_day = J + 1;
  block.open_minute = 600;
  block.close_minute = 630;
  block.seats_first = 1;
  block.seats_second = 0;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  block.first_day = block.last_day = J + 22;
  block.seats_first = 0;
  block.seats_second = 1;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  delivery.center = 1;
  delivery.vaccine = 1;
  delivery.day = J - 30;
  delivery.doses = 100;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));
  delivery.vaccine = 2;
  delivery.doses = 2;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));

  spec.external_ref = ref;
  spec.birth_day = ymd(1960, 1, 1);
  for (k = 1; k <= 8; ++k) {
    snprintf(ref, sizeof ref, "B-%02d", k);
    spec.district = k == 4 ? 2 : 1;
    spec.channel = k == 3 ? VAXALLOC_CHANNEL_PHONE : VAXALLOC_CHANNEL_ONLINE;
    spec.registered_at = k == 6 ? at(J - 1, 12, 0) : at(J - 10, 9, 0);
    EXPECT_OK(vaxalloc_register(c, &spec, &id));
    EXPECT_EQ(id, k);
  }
}

static void expect_release(const vaxalloc_release* release, uint32_t id, uint32_t vaccine,
                           int32_t first_day, int32_t last_day, int64_t release_at, uint32_t cap,
                           uint32_t booked) {
  EXPECT_EQ(release->id, id);
  EXPECT_EQ(release->center, 1);
  EXPECT_EQ(release->vaccine, vaccine);
  EXPECT_EQ(release->first_day, first_day);
  EXPECT_EQ(release->last_day, last_day);
  EXPECT_EQ(release->release_at, release_at);
  EXPECT_EQ(release->first_dose_cap, cap);
  EXPECT_EQ(release->booked, booked);
}

/* Release 1: center 1, vaccine 1, first doses J+3 .. J+6, opened on J - 3 at
 * 08:00, at most three series. Release 2: center 1, every vaccine,
 * J+40 .. J+41, opened on J + 30, no cap. */
static void test_releases(vaxalloc_campaign* c) {
  vaxalloc_release_spec spec = VAXALLOC_RELEASE_SPEC_INIT;
  vaxalloc_release release = VAXALLOC_RELEASE_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  uint32_t id = 0;

  spec.center = 1;
  spec.vaccine = 1;
  spec.first_day = J + 3;
  spec.last_day = J + 6;
  spec.release_at = at(J - 3, 8, 0);
  spec.first_dose_cap = 3;

  /* Refused specs add nothing. */
  EXPECT_FAILS(c, vaxalloc_release_add(c, NULL, &id), VAXALLOC_EINVALID);
  spec.version = 0;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EVERSION);
  spec.version = VAXALLOC_RELEASE_SPEC_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EVERSION);
  spec.version = VAXALLOC_RELEASE_SPEC_VERSION;
  spec.center = 0;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_ENOTFOUND);
  spec.center = 9;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_ENOTFOUND);
  spec.center = 1;
  spec.vaccine = 9;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_ENOTFOUND);
  spec.vaccine = 1;
  spec.last_day = J + 2;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.last_day = J + 3 + 400;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.last_day = J + 6;
  spec.first_day = ymd(1800, 1, 1);
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_ERANGE);
  spec.first_day = J + 3;
  spec.release_at = VAXALLOC_TIME_INFINITE_FUTURE;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EINVALID);
  spec.release_at = at(J - 3, 8, 0);
  EXPECT_EQ(id, 0);

  EXPECT_OK(vaxalloc_release_add(c, &spec, &id));
  EXPECT_EQ(id, 1);
  /* Its days overlap release 1 for the same vaccine. */
  spec.first_day = J + 6;
  spec.last_day = J + 8;
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EEXISTS);
  spec.vaccine = VAXALLOC_NO_ID; /* every vaccine: meets vaccine 1 too */
  EXPECT_FAILS(c, vaxalloc_release_add(c, &spec, &id), VAXALLOC_EEXISTS);
  spec.first_day = J + 40;
  spec.last_day = J + 41;
  spec.release_at = at(J + 30, 8, 0);
  spec.first_dose_cap = 0;
  EXPECT_OK(vaxalloc_release_add(c, &spec, NULL)); /* id_out may be NULL */

  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.releases, 2);
  EXPECT_EQ(counts.holds, 0);
  EXPECT_OK(vaxalloc_release_get(c, 1, &release));
  expect_release(&release, 1, 1, J + 3, J + 6, at(J - 3, 8, 0), 3, 0);
  EXPECT_OK(vaxalloc_release_get(c, 2, &release));
  expect_release(&release, 2, VAXALLOC_NO_ID, J + 40, J + 41, at(J + 30, 8, 0), 0, 0);
  EXPECT_FAILS(c, vaxalloc_release_get(c, 3, &release), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_release_get(c, 0, &release), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_release_get(c, 1, NULL), VAXALLOC_EINVALID);
  release.version = 0;
  EXPECT_FAILS(c, vaxalloc_release_get(c, 1, &release), VAXALLOC_EVERSION);
  release.version = VAXALLOC_RELEASE_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_release_get(c, 1, &release), VAXALLOC_EVERSION);
  EXPECT_EQ(release.id, 2); /* untouched */
}

static void expect_series(vaxalloc_campaign* c, uint32_t id, int32_t status, int32_t dose_1,
                          int32_t dose_2, int32_t day_1, int32_t minute_1, int32_t day_2,
                          int32_t minute_2) {
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  EXPECT_OK(vaxalloc_series_get(c, id, &series));
  EXPECT_EQ(series.id, id);
  EXPECT_EQ(series.status, status);
  EXPECT_EQ(series.dose_count, 2);
  EXPECT_EQ(series.doses[0], dose_1);
  EXPECT_EQ(series.doses[1], dose_2);
  EXPECT_EQ(series.appointments[0].day, day_1);
  EXPECT_EQ(series.appointments[0].minute, minute_1);
  EXPECT_EQ(series.appointments[1].day, day_2);
  EXPECT_EQ(series.appointments[1].minute, minute_2);
}

static void expect_registrant(vaxalloc_campaign* c, uint32_t id, int32_t status, uint32_t series) {
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  EXPECT_OK(vaxalloc_registrant_get(c, id, &registrant));
  EXPECT_EQ(registrant.status, status);
  EXPECT_EQ(registrant.series, series);
}

static void expect_series_status(vaxalloc_campaign* c, uint32_t id, int32_t status) {
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  EXPECT_OK(vaxalloc_series_get(c, id, &series));
  EXPECT_EQ(series.status, status);
}

static uint32_t holds_now(vaxalloc_campaign* c) {
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  return counts.holds;
}

/* Release 1 opens on J - 3 at 08:00; series 1-6 (see the comments). */
static void test_self_booking(vaxalloc_campaign* c) {
  vaxalloc_booking_request request = VAXALLOC_BOOKING_REQUEST_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_release release = VAXALLOC_RELEASE_INIT;
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  uint32_t lapsed = 77;

  request.registrant = 1;
  request.at = at(J - 3, 8, 0);

  /* Refused requests book and hold nothing. */
  EXPECT_FAILS(c, vaxalloc_book(c, NULL, &series), VAXALLOC_EINVALID);
  request.version = 0;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EVERSION);
  request.version = VAXALLOC_BOOKING_REQUEST_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EVERSION);
  request.version = VAXALLOC_BOOKING_REQUEST_VERSION;
  series.version = VAXALLOC_SERIES_VERSION + 1; /* checked before booking */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EVERSION);
  series.version = VAXALLOC_SERIES_VERSION;
  request.mode = VAXALLOC_BOOKING_STANDBY + 1;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EINVALID);
  request.mode = -1;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EINVALID);
  request.mode = 256 + VAXALLOC_BOOKING_SHORT_NOTICE; /* would wrap in a uint8_t */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EINVALID);
  request.mode = VAXALLOC_BOOKING_RELEASE;
  request.registrant = 0;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_ENOTFOUND);
  request.registrant = 99;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_ENOTFOUND);
  request.registrant = 1;
  request.center = 9;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_ENOTFOUND);
  request.center = 2; /* does not serve district 1 */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  request.center = VAXALLOC_NO_ID;
  request.vaccine = 9;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_ENOTFOUND);
  request.vaccine = VAXALLOC_NO_ID;
  request.at = VAXALLOC_TIME_INFINITE_FUTURE;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EINVALID);
  request.at = at(ymd(1800, 1, 1), 8, 0);
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_ERANGE);
  request.at = at(J - 3, 8, 0);
  request.first_dose_until = ymd(2300, 1, 1);
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_ERANGE);
  request.first_dose_until = VAXALLOC_DAY_MAX;
  request.registrant = 6; /* registers only on J - 1 */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  request.registrant = 1;
  request.mode = VAXALLOC_BOOKING_SHORT_NOTICE; /* the policy has it off */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  request.mode = VAXALLOC_BOOKING_RELEASE;
  request.at = at(J - 3, 7, 59); /* a minute before the release opens */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EEXHAUSTED);
  request.at = at(J - 3, 8, 0);
  EXPECT_EQ(series.id, 0);

  /* Series 1: B-01 holds J+3 08:00 (+ J+24 08:00) until 08:10. */
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 1);
  EXPECT_EQ(series.registrant, 1);
  EXPECT_EQ(series.center, 1);
  EXPECT_EQ(series.vaccine, 1);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_HELD);
  EXPECT_EQ(series.origin, VAXALLOC_ORIGIN_RELEASE);
  EXPECT_EQ(series.release, 1);
  EXPECT_EQ(series.draw, VAXALLOC_NO_ID);
  EXPECT_EQ(series.booked_at, at(J - 3, 8, 0));
  EXPECT_EQ(series.hold_expires_at, at(J - 3, 8, 10));
  EXPECT_EQ(series.replaces, VAXALLOC_NO_ID);
  expect_series(c, 1, VAXALLOC_SERIES_HELD, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 3, 480,
                J + 24, 480);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_WAITING, VAXALLOC_NO_ID); /* until confirmed */
  EXPECT_EQ(holds_now(c), 1);
  EXPECT_OK(vaxalloc_report_get(c, &report));
  EXPECT_EQ(report.series_held, 1);
  /* One hold at a time. */
  request.at = at(J - 3, 8, 1);
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "holds series 1") != NULL);

  /* Series 2: B-02 holds J+3 08:30 (+ J+24 08:00). */
  request.registrant = 2;
  request.at = at(J - 3, 8, 2);
  EXPECT_OK(vaxalloc_book(c, &request, NULL)); /* out may be NULL */
  expect_series(c, 2, VAXALLOC_SERIES_HELD, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 3, 510,
                J + 24, 480);
  EXPECT_EQ(holds_now(c), 2);
  /* A draw stamped before those holds would record a state it did not run
   * on: refused, naming both instants (0.4). */
  {
    vaxalloc_draw_request backdated = VAXALLOC_DRAW_REQUEST_INIT;
    vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
    backdated.seed_k0 = 1919;
    backdated.at = at(J - 3, 8, 1);
    backdated.first_dose_from = J;
    backdated.first_dose_until = J + 1;
    int64_t latest = 0;
    EXPECT_FAILS(c, vaxalloc_draw(c, &backdated, &info), VAXALLOC_EPRECONDITION);
    EXPECT(strstr(failure_message, "before the latest change") != NULL);
    EXPECT_OK(vaxalloc_latest_change(c, &latest));
    EXPECT_EQ(latest, at(J - 3, 8, 2));
    EXPECT_FAILS(c, vaxalloc_latest_change(c, NULL), VAXALLOC_EINVALID);
  }

  /* Confirming: errors first, then series 1 becomes active (event 1). */
  EXPECT_FAILS(c, vaxalloc_hold_confirm(c, 99, at(J - 3, 8, 5), &series), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_hold_confirm(c, 0, at(J - 3, 8, 5), &series), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_hold_confirm(c, 1, VAXALLOC_TIME_INFINITE_PAST, &series),
               VAXALLOC_EINVALID);
  series.version = 0;
  EXPECT_FAILS(c, vaxalloc_hold_confirm(c, 1, at(J - 3, 8, 5), &series), VAXALLOC_EVERSION);
  series.version = VAXALLOC_SERIES_VERSION;
  expect_series(c, 1, VAXALLOC_SERIES_HELD, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 3, 480,
                J + 24, 480);
  EXPECT_OK(vaxalloc_hold_confirm(c, 1, at(J - 3, 8, 5), &series));
  EXPECT_EQ(series.id, 1);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  EXPECT_EQ(series.hold_expires_at, VAXALLOC_TIME_INFINITE_PAST);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_SCHEDULED, 1);
  EXPECT_FAILS(c, vaxalloc_hold_confirm(c, 1, at(J - 3, 8, 6), &series), VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "not a hold") != NULL);
  EXPECT_EQ(holds_now(c), 1);

  /* Declining series 2: lapsed, seats back. */
  EXPECT_FAILS(c, vaxalloc_hold_decline(c, 99, at(J - 3, 8, 6)), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_hold_decline(c, 2, VAXALLOC_TIME_INFINITE_FUTURE), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_hold_decline(c, 1, at(J - 3, 8, 6)), VAXALLOC_EPRECONDITION);
  EXPECT_OK(vaxalloc_hold_decline(c, 2, at(J - 3, 8, 6)));
  expect_series(c, 2, VAXALLOC_SERIES_LAPSED, VAXALLOC_DOSE_RELEASED, VAXALLOC_DOSE_RELEASED, J + 3,
                510, J + 24, 480);
  EXPECT_FAILS(c, vaxalloc_hold_decline(c, 2, at(J - 3, 8, 7)), VAXALLOC_EPRECONDITION);
  EXPECT_EQ(holds_now(c), 0);

  /* Series 3: B-02 again, J+3 08:30, until 08:20; too late to confirm at
   * 08:20; expiry at 08:19 lets nothing lapse, at 08:20 series 3. */
  request.at = at(J - 3, 8, 10);
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 3);
  EXPECT_EQ(series.appointments[0].minute, 510);
  EXPECT_FAILS(c, vaxalloc_hold_confirm(c, 3, at(J - 3, 8, 20), &series), VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "lapsed") != NULL);
  EXPECT_FAILS(c, vaxalloc_holds_expire(c, VAXALLOC_TIME_INFINITE_FUTURE, &lapsed),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_holds_expire(c, at(ymd(2300, 1, 1), 0, 0), &lapsed), VAXALLOC_ERANGE);
  EXPECT_EQ(lapsed, 77);
  EXPECT_OK(vaxalloc_holds_expire(c, at(J - 3, 8, 19), &lapsed));
  EXPECT_EQ(lapsed, 0);
  EXPECT_EQ(holds_now(c), 1);
  EXPECT_OK(vaxalloc_holds_expire(c, at(J - 3, 8, 20), &lapsed));
  EXPECT_EQ(lapsed, 1);
  EXPECT_OK(vaxalloc_holds_expire(c, at(J - 3, 8, 21), NULL)); /* count may be NULL */
  expect_series(c, 3, VAXALLOC_SERIES_LAPSED, VAXALLOC_DOSE_RELEASED, VAXALLOC_DOSE_RELEASED, J + 3,
                510, J + 24, 480);
  EXPECT_EQ(holds_now(c), 0);

  /* Series 4: B-02 books at once (event 2). */
  request.at = at(J - 3, 9, 0);
  request.confirm = 1;
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 4);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  EXPECT_EQ(series.hold_expires_at, VAXALLOC_TIME_INFINITE_PAST);
  expect_series(c, 4, VAXALLOC_SERIES_ACTIVE, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 3,
                510, J + 24, 480);
  expect_registrant(c, 2, VAXALLOC_REGISTRANT_SCHEDULED, 4);
  /* B-02 is scheduled now: not waiting. */
  request.at = at(J - 3, 9, 1);
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  request.confirm = 0;

  /* Series 5: B-05 holds J+4 08:00 until 09:15: the cap of 3 is reached. */
  request.registrant = 5;
  request.at = at(J - 3, 9, 5);
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 5);
  EXPECT_EQ(series.appointments[0].day, J + 4);
  EXPECT_OK(vaxalloc_release_get(c, 1, &release));
  EXPECT_EQ(release.booked, 3);
  request.registrant = 7;
  request.at = at(J - 3, 9, 10);
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EEXHAUSTED);
  EXPECT(strstr(failure_message, "cap") != NULL);
  /* Series 6: at 09:15 series 5's hold lapses within the booking, and B-07
   * takes its seats. */
  request.at = at(J - 3, 9, 15);
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 6);
  expect_series(c, 6, VAXALLOC_SERIES_HELD, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 4, 480,
                J + 25, 480);
  expect_series(c, 5, VAXALLOC_SERIES_LAPSED, VAXALLOC_DOSE_RELEASED, VAXALLOC_DOSE_RELEASED, J + 4,
                480, J + 25, 480);
  EXPECT_EQ(holds_now(c), 1);
  EXPECT_OK(vaxalloc_hold_decline(c, 6, at(J - 3, 9, 16)));
  EXPECT_OK(vaxalloc_release_get(c, 1, &release));
  EXPECT_EQ(release.booked, 2); /* series 1 and 4 */
}

/* Policies 2 and 3 (Europe/Berlin, then short notice over four days), and the
 * short-notice pool on J - 1: series 7-10. */
static void test_short_notice(vaxalloc_campaign* c) {
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
  vaxalloc_booking_request request = VAXALLOC_BOOKING_REQUEST_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  char long_zone[VAXALLOC_TIME_ZONE_LENGTH_MAX + 2];
  uint32_t version = 0;

  EXPECT_OK(vaxalloc_policy_get(c, 1, &info));
  EXPECT_STR(info.time_zone, "UTC");
  EXPECT_EQ(info.hold_seconds, 600);
  EXPECT_EQ(info.short_notice_days, 0);

  policy.time_zone = "Mars/Olympus_Mons";
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "Mars/Olympus_Mons") != NULL);
  policy.time_zone = "";
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.time_zone = repeat('Z', VAXALLOC_TIME_ZONE_LENGTH_MAX + 1, long_zone);
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.time_zone = "Europe/Berlin";
  policy.hold_seconds = 0;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.hold_seconds = VAXALLOC_HOLD_MINUTES_MAX * 60 + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.hold_seconds = INT64_MAX;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.hold_seconds = VAXALLOC_HOLD_MINUTES_MAX * 60;
  policy.short_notice_days = -1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.short_notice_days = VAXALLOC_SHORT_NOTICE_DAYS_MAX + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.short_notice_days = VAXALLOC_SHORT_NOTICE_DAYS_MAX;
  EXPECT_EQ(version, 0);
  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 2);
  EXPECT_OK(vaxalloc_policy_get(c, 2, &info));
  EXPECT_STR(info.time_zone, "Europe/Berlin");
  EXPECT_EQ(info.hold_seconds, 86400);
  EXPECT_EQ(info.short_notice_days, 60);

  /* Back to UTC (NULL) with ten-minute holds, short notice over 4 days. */
  policy.time_zone = NULL;
  policy.hold_seconds = 600;
  policy.short_notice_days = 4;
  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 3);
  EXPECT_OK(vaxalloc_policy_get(c, 3, &info));
  EXPECT_STR(info.time_zone, "UTC");
  EXPECT_EQ(info.hold_seconds, 600);
  EXPECT_EQ(info.short_notice_days, 4);

  request.mode = VAXALLOC_BOOKING_SHORT_NOTICE;
  request.at = at(J - 1, 12, 0);
  request.registrant = 3; /* by phone: a letter would come too late */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "phone") != NULL);
  request.registrant = 4; /* district 2: its center has no capacity */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EEXHAUSTED);
  request.registrant = 6;
  request.at = at(J - 1, 11, 0); /* before B-06 registered */
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);

  /* Series 7: B-01 (series 1 on J+3) swaps for J 08:00 (+ J+21 08:00). */
  request.registrant = 1;
  request.at = at(J - 1, 12, 0);
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 7);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_HELD);
  EXPECT_EQ(series.origin, VAXALLOC_ORIGIN_SHORT_NOTICE);
  EXPECT_EQ(series.release, VAXALLOC_NO_ID);
  EXPECT_EQ(series.replaces, 1);
  EXPECT_EQ(series.hold_expires_at, at(J - 1, 12, 10));
  expect_series(c, 7, VAXALLOC_SERIES_HELD, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J, 480,
                J + 21, 480);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_SCHEDULED, 1); /* series 1 until confirmed */
  /* Confirming cancels series 1 (events 3 and 4). */
  EXPECT_OK(vaxalloc_hold_confirm(c, 7, at(J - 1, 12, 5), NULL));
  expect_series(c, 1, VAXALLOC_SERIES_CANCELLED, VAXALLOC_DOSE_RELEASED, VAXALLOC_DOSE_RELEASED,
                J + 3, 480, J + 24, 480);
  expect_series(c, 7, VAXALLOC_SERIES_ACTIVE, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J, 480,
                J + 21, 480);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_SCHEDULED, 7);

  /* Series 8: B-05 at once, J 08:30 (event 5). Series 9: B-08, vaccine 2, at
   * once, J+1 10:00 (+ J+22 10:00) (event 6). */
  request.registrant = 5;
  request.at = at(J - 1, 12, 10);
  request.confirm = 1;
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 8);
  expect_series(c, 8, VAXALLOC_SERIES_ACTIVE, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J, 510,
                J + 21, 480);
  request.registrant = 8;
  request.vaccine = 2;
  request.at = at(J - 1, 12, 15);
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 9);
  EXPECT_EQ(series.vaccine, 2);
  expect_series(c, 9, VAXALLOC_SERIES_ACTIVE, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 1,
                600, J + 22, 600);

  /* Series 10: B-06 takes series 1's old seat in release 1, at once (event 7). */
  request.mode = VAXALLOC_BOOKING_RELEASE;
  request.registrant = 6;
  request.vaccine = VAXALLOC_NO_ID;
  request.at = at(J - 1, 12, 30);
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 10);
  EXPECT_EQ(series.release, 1);
  expect_series(c, 10, VAXALLOC_SERIES_ACTIVE, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J + 3,
                480, J + 24, 480);
}

static void test_doses(vaxalloc_campaign* c) {
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;

  /* Errors first: nothing is recorded. */
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 1, VAXALLOC_OUTCOME_GIVEN, at(J, 7, 59), &series),
               VAXALLOC_EPRECONDITION); /* the appointment has not begun */
  EXPECT(strstr(failure_message, "not begun") != NULL);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 0, VAXALLOC_OUTCOME_GIVEN, at(J, 8, 0), &series),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 3, VAXALLOC_OUTCOME_GIVEN, at(J, 8, 0), &series),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 1, 0, at(J, 8, 0), &series), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 1, 3, at(J, 8, 0), &series), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 1, 257, at(J, 8, 0), &series), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 99, 1, VAXALLOC_OUTCOME_GIVEN, at(J, 8, 0), &series),
               VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 2, 1, VAXALLOC_OUTCOME_GIVEN, at(J, 8, 0), &series),
               VAXALLOC_EPRECONDITION); /* a lapsed hold */
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 8, 2, VAXALLOC_OUTCOME_GIVEN, at(J, 9, 0), &series),
               VAXALLOC_EPRECONDITION); /* dose 2 before dose 1 */
  EXPECT_FAILS(
      c,
      vaxalloc_dose_record(c, 7, 1, VAXALLOC_OUTCOME_GIVEN, VAXALLOC_TIME_INFINITE_FUTURE, &series),
      VAXALLOC_EINVALID);
  series.version = VAXALLOC_SERIES_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 1, VAXALLOC_OUTCOME_GIVEN, at(J, 8, 0), &series),
               VAXALLOC_EVERSION);
  series.version = VAXALLOC_SERIES_VERSION;
  EXPECT_EQ(series.id, 0);
  expect_series(c, 7, VAXALLOC_SERIES_ACTIVE, VAXALLOC_DOSE_BOOKED, VAXALLOC_DOSE_BOOKED, J, 480,
                J + 21, 480);

  /* Series 7 (B-01): dose 1 given at 08:00 sharp. */
  EXPECT_OK(vaxalloc_dose_record(c, 7, 1, VAXALLOC_OUTCOME_GIVEN, at(J, 8, 0), &series));
  EXPECT_EQ(series.id, 7);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  EXPECT_EQ(series.doses[0], VAXALLOC_DOSE_GIVEN);
  EXPECT_EQ(series.doses[1], VAXALLOC_DOSE_BOOKED);
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 7, 1, VAXALLOC_OUTCOME_MISSED, at(J, 8, 1), &series),
               VAXALLOC_EPRECONDITION); /* recorded already */
  /* Series 8 (B-05): dose 1 missed: the series ends, B-05 waits again. */
  EXPECT_OK(vaxalloc_dose_record(c, 8, 1, VAXALLOC_OUTCOME_MISSED, at(J, 9, 0), NULL));
  expect_series(c, 8, VAXALLOC_SERIES_MISSED, VAXALLOC_DOSE_MISSED, VAXALLOC_DOSE_RELEASED, J, 510,
                J + 21, 480);
  EXPECT_OK(vaxalloc_registrant_get(c, 5, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WAITING);
  EXPECT_EQ(registrant.series, VAXALLOC_NO_ID);
  EXPECT_EQ(registrant.waiting_since, at(J, 9, 0));
  EXPECT_FAILS(c, vaxalloc_dose_record(c, 8, 2, VAXALLOC_OUTCOME_GIVEN, at(J + 21, 9, 0), &series),
               VAXALLOC_EPRECONDITION); /* not active */
  /* Series 9 (B-08, vaccine 2) dose 1, series 4 (B-02) dose 1. */
  EXPECT_OK(vaxalloc_dose_record(c, 9, 1, VAXALLOC_OUTCOME_GIVEN, at(J + 1, 10, 0), NULL));
  EXPECT_OK(vaxalloc_dose_record(c, 4, 1, VAXALLOC_OUTCOME_GIVEN, at(J + 3, 9, 0), NULL));
  /* Series 7 completes: B-01 is vaccinated. */
  EXPECT_OK(vaxalloc_dose_record(c, 7, 2, VAXALLOC_OUTCOME_GIVEN, at(J + 21, 9, 0), &series));
  EXPECT_EQ(series.status, VAXALLOC_SERIES_COMPLETED);
  EXPECT_EQ(series.doses[1], VAXALLOC_DOSE_GIVEN);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_VACCINATED, 7);
  EXPECT_FAILS(c, vaxalloc_second_dose_rebook(c, 7, at(J + 21, 10, 0), &series),
               VAXALLOC_EPRECONDITION); /* completed: nothing to rebook */

  /* Series 9: dose 2 missed; its vaccine allows exactly day J+22, whose only
   * slot has begun: no seat to rebook. */
  EXPECT_OK(vaxalloc_dose_record(c, 9, 2, VAXALLOC_OUTCOME_MISSED, at(J + 22, 10, 30), &series));
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  EXPECT_EQ(series.doses[1], VAXALLOC_DOSE_MISSED);
  EXPECT_FAILS(c, vaxalloc_second_dose_rebook(c, 9, at(J + 22, 10, 31), &series),
               VAXALLOC_EEXHAUSTED);

  /* Series 4: dose 2 missed on J+24, rebooked to J+25 08:00 (event 8), given. */
  EXPECT_OK(vaxalloc_dose_record(c, 4, 2, VAXALLOC_OUTCOME_MISSED, at(J + 24, 9, 0), NULL));
  EXPECT_FAILS(c, vaxalloc_second_dose_rebook(c, 99, at(J + 24, 10, 0), &series),
               VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_second_dose_rebook(c, 4, VAXALLOC_TIME_INFINITE_PAST, &series),
               VAXALLOC_EINVALID);
  series.version = 0;
  EXPECT_FAILS(c, vaxalloc_second_dose_rebook(c, 4, at(J + 24, 10, 0), &series), VAXALLOC_EVERSION);
  series.version = VAXALLOC_SERIES_VERSION;
  EXPECT_OK(vaxalloc_second_dose_rebook(c, 4, at(J + 24, 10, 0), &series));
  EXPECT_EQ(series.id, 4);
  EXPECT_EQ(series.doses[1], VAXALLOC_DOSE_BOOKED);
  EXPECT_EQ(series.appointments[1].day, J + 25);
  EXPECT_EQ(series.appointments[1].minute, 480);
  EXPECT_FAILS(c, vaxalloc_second_dose_rebook(c, 4, at(J + 24, 10, 1), &series),
               VAXALLOC_EPRECONDITION); /* booked again */
  EXPECT_OK(vaxalloc_dose_record(c, 4, 2, VAXALLOC_OUTCOME_GIVEN, at(J + 25, 9, 0), NULL));
  expect_series(c, 4, VAXALLOC_SERIES_COMPLETED, VAXALLOC_DOSE_GIVEN, VAXALLOC_DOSE_GIVEN, J + 3,
                510, J + 25, 480);
  expect_registrant(c, 2, VAXALLOC_REGISTRANT_VACCINATED, 4);
}

static void expect_day(const vaxalloc_day_attendance* day, int32_t number, uint32_t booked,
                       uint32_t given, uint32_t missed, double no_show_rate) {
  EXPECT_EQ(day->day, number);
  EXPECT_EQ(day->booked, booked);
  EXPECT_EQ(day->given, given);
  EXPECT_EQ(day->missed, missed);
  ++checks;
  if (day->no_show_rate != no_show_rate) {
    fprintf(stderr, "%s:%d: day %d: no-show rate %g, expected %g\n", __FILE__, __LINE__,
            (int)number, day->no_show_rate, no_show_rate);
    ++failures;
  }
}

/* Center 1 after test_doses (released appointments do not count; series 4's
 * missed J+24 appointment, replaced by the rebooking, still counts). */
static void expect_booking_end(vaxalloc_campaign* c) {
  vaxalloc_day_attendance days[8];
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_release release = VAXALLOC_RELEASE_INIT;
  vaxalloc_event events[10];
  size_t count = 0;

  EXPECT_OK(vaxalloc_attendance(c, 1, J - 10, J + 60, days, 8, &count));
  EXPECT_EQ(count, 7);
  if (count == 7) {
    expect_day(&days[0], J, 0, 1, 1, 0.5);
    expect_day(&days[1], J + 1, 0, 1, 0, 0.0);
    expect_day(&days[2], J + 3, 1, 1, 0, 0.0);
    expect_day(&days[3], J + 21, 0, 1, 0, 0.0);
    expect_day(&days[4], J + 22, 0, 0, 1, 1.0);
    expect_day(&days[5], J + 24, 1, 0, 1, 1.0);
    expect_day(&days[6], J + 25, 0, 1, 0, 0.0);
  }
  EXPECT_OK(vaxalloc_attendance(c, 2, J, J + 60, NULL, 0, &count)); /* nothing at center 2 */
  EXPECT_EQ(count, 0);
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.series, 10);
  EXPECT_EQ(counts.releases, 2);
  EXPECT_EQ(counts.holds, 0);
  EXPECT_OK(vaxalloc_release_get(c, 1, &release));
  expect_release(&release, 1, 1, J + 3, J + 6, at(J - 3, 8, 0), 3, 2); /* series 4 and 10 */
  EXPECT_OK(vaxalloc_report_get(c, &report));
  EXPECT_EQ(report.registrants, 8);
  EXPECT_EQ(report.vaccinated, 2); /* B-01, B-02 */
  EXPECT_EQ(report.scheduled, 2);  /* B-06, B-08 */
  EXPECT_EQ(report.waiting, 4);    /* B-03, B-04, B-05, B-07 */
  EXPECT_EQ(report.series_active, 2);
  EXPECT_EQ(report.series_cancelled, 1);
  EXPECT_EQ(report.series_held, 0);
  EXPECT_EQ(report.series_completed, 2);
  EXPECT_EQ(report.series_missed, 1);
  EXPECT_EQ(report.doses_given, 5);
  EXPECT_EQ(report.doses_missed, 3);

  EXPECT_OK(vaxalloc_pending_events(c, 0, events, 10, &count));
  EXPECT_EQ(count, 8);
  if (count == 8) {
    expect_event(&events[0], 1, VAXALLOC_EVENT_SERIES_BOOKED, at(J - 3, 8, 5), 1, 1, 0);
    expect_event(&events[1], 2, VAXALLOC_EVENT_SERIES_BOOKED, at(J - 3, 9, 0), 2, 4, 0);
    expect_event(&events[2], 3, VAXALLOC_EVENT_SERIES_CANCELLED, at(J - 1, 12, 5), 1, 1, 0);
    expect_event(&events[3], 4, VAXALLOC_EVENT_SERIES_BOOKED, at(J - 1, 12, 5), 1, 7, 0);
    expect_event(&events[4], 5, VAXALLOC_EVENT_SERIES_BOOKED, at(J - 1, 12, 10), 5, 8, 0);
    expect_event(&events[5], 6, VAXALLOC_EVENT_SERIES_BOOKED, at(J - 1, 12, 15), 8, 9, 0);
    expect_event(&events[6], 7, VAXALLOC_EVENT_SERIES_BOOKED, at(J - 1, 12, 30), 6, 10, 0);
    expect_event(&events[7], 8, VAXALLOC_EVENT_SECOND_DOSE_REBOOKED, at(J + 24, 10, 0), 2, 4, 0);
  }
  {
    uint64_t violations = 99;
    char* text = NULL;
    EXPECT_OK(vaxalloc_check_invariants(c, &violations, &text));
    EXPECT_EQ(violations, 0);
    if (violations != 0 && text != NULL) fprintf(stderr, "%s\n", text);
    vaxalloc_free(text);
  }
}

static void test_attendance_errors(vaxalloc_campaign* c) {
  vaxalloc_day_attendance days[2];
  size_t count = 77;
  memset(days, 0x5a, sizeof days);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 0, J, J + 60, days, 2, &count), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 9, J, J + 60, days, 2, &count), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, J, J - 1, days, 2, &count), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, J, J + 3660, days, 2, &count), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, ymd(1800, 1, 1), J, days, 2, &count), VAXALLOC_ERANGE);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, J, J + 60, days, 2, NULL), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, J, J + 60, NULL, 2, &count), VAXALLOC_EINVALID);
  EXPECT_EQ(count, 77);
  /* Too small: the count needed, nothing written. */
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, J, J + 60, days, 2, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 7);
  EXPECT_FAILS(c, vaxalloc_attendance(c, 1, J, J + 60, NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 7);
  EXPECT_EQ(days[0].day, 0x5a5a5a5a);
  /* The longest range, after every appointment. */
  EXPECT_OK(vaxalloc_attendance(c, 1, J + 100, J + 100 + 3659, NULL, 0, &count));
  EXPECT_EQ(count, 0);
}

static void test_booking(const char* dir) {
  char path[1024];
  vaxalloc_campaign* c = NULL;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;

  snprintf(path, sizeof path, "%s/booking.sqlite", dir);
  remove_campaign_files(path);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  booking_setup(c);
  test_releases(c);
  test_self_booking(c);
  test_short_notice(c);
  test_doses(c);
  expect_booking_end(c);
  test_attendance_errors(c);
  vaxalloc_campaign_close(c);

  /* Everything is in the file. */
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  expect_booking_end(c);
  EXPECT_OK(vaxalloc_series_get(c, 7, &series));
  EXPECT_EQ(series.origin, VAXALLOC_ORIGIN_SHORT_NOTICE);
  EXPECT_EQ(series.replaces, 1);
  EXPECT_EQ(series.booked_at, at(J - 1, 12, 0));
  EXPECT_OK(vaxalloc_series_get(c, 6, &series));
  EXPECT_EQ(series.status, VAXALLOC_SERIES_LAPSED);
  EXPECT_EQ(series.release, 1);
  expect_series(c, 4, VAXALLOC_SERIES_COMPLETED, VAXALLOC_DOSE_GIVEN, VAXALLOC_DOSE_GIVEN, J + 3,
                510, J + 25, 480);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_VACCINATED, 7);
  vaxalloc_campaign_close(c);
  remove_campaign_files(path);
}

/* --- The wait forecast (0.2) ---------------------------------------------------------------- */

/* Tier t of *forecast; days -1: no last_first_dose. */
static void expect_tier(const vaxalloc_wait_forecast* forecast, int t, uint64_t waiting,
                        uint64_t ahead, int64_t days) {
  const vaxalloc_tier_forecast* tier = &forecast->tiers[t - 1];
  EXPECT_EQ(tier->waiting, waiting);
  EXPECT_EQ(tier->waiting_ahead, ahead);
  EXPECT_EQ(tier->days, days);
  EXPECT_EQ(tier->has_last_first_dose, days >= 0);
  EXPECT_EQ(tier->last_first_dose, days >= 0 ? forecast->today + days : 0);
}

/* One center (district 1): vaccine 1 (one dose), 2 first-dose seats a day on
 * J .. J+2, 100 doses; vaccine 2 (two doses), 1 first-dose seat a day on J ..
 * J+1 but 3 doses, so one series on J and none after. Free first doses: 3 on
 * J, 2 on J+1, 2 on J+2. Waiting: 2 of group 1 (tier 1), 4 of group NONE
 * (tier 4), then 2 more of tier 4. */
static void test_forecast(void) {
  vaxalloc_campaign* c = NULL;
  vaxalloc_vaccine_spec vaccine = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center_spec center = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  vaxalloc_wait_forecast forecast = VAXALLOC_WAIT_FORECAST_INIT;
  vaxalloc_wait_forecast untouched = VAXALLOC_WAIT_FORECAST_INIT;
  uint32_t district = 1, id = 0;
  char ref[16];
  int k;

  EXPECT_EQ(sizeof(vaxalloc_tier_forecast), 32); /* frozen */
  EXPECT_OK(vaxalloc_campaign_open(":memory:", NULL, &c));
  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", NULL));
  vaccine.code = "mono";
  vaccine.name = "Mono";
  vaccine.dose_count = 1;
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, NULL));
  vaccine.code = "duo";
  vaccine.name = "Duo";
  vaccine.dose_count = 2;
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, NULL));
  center.code = "IZ-F";
  center.name = "Impfzentrum Frankfurt";
  center.districts = &district;
  center.district_count = 1;
  EXPECT_OK(vaxalloc_center_add(c, &center, NULL));
  block.center = 1;
  block.vaccine = 1;
  block.first_day = J;
  block.last_day = J + 2;
  block.open_minute = 480;
  block.close_minute = 510;
  block.slot_minutes = 30;
  block.seats_first = 2;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  block.vaccine = 2;
  block.last_day = J + 1;
  block.seats_first = 1;
  block.seats_second = 1;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  delivery.center = 1;
  delivery.vaccine = 1;
  delivery.day = J - 30;
  delivery.doses = 100;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));
  delivery.vaccine = 2;
  delivery.doses = 3;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));
  spec.external_ref = ref;
  spec.district = 1;
  spec.birth_day = ymd(1960, 1, 1);
  spec.registered_at = at(J - 10, 9, 0);
  for (k = 1; k <= 8; ++k) {
    snprintf(ref, sizeof ref, "F-%02d", k);
    spec.group = k <= 2 ? VAXALLOC_GROUP_1 : VAXALLOC_GROUP_NONE;
    EXPECT_OK(vaxalloc_register(c, &spec, &id));
    if (k != 6) continue;
    /* 2 + 4 waiting for 7 seats: tier 1 through on J, tier 4 on J + 2. */
    EXPECT_OK(vaxalloc_forecast_wait(c, at(J, 9, 0), &forecast));
    EXPECT_EQ(forecast.version, VAXALLOC_WAIT_FORECAST_VERSION);
    EXPECT_EQ(forecast.today, J);
    EXPECT_EQ(forecast.first_doses_available, 7);
    expect_tier(&forecast, 1, 2, 0, 0);
    expect_tier(&forecast, 2, 0, 2, -1);
    expect_tier(&forecast, 3, 0, 2, -1);
    expect_tier(&forecast, 4, 4, 2, 2);
    expect_tier(&forecast, 8, 0, 6, -1);
  }
  /* 2 + 6 waiting: tier 4 runs out of seats. From J + 1 on, 5 seats: the 3
   * doses of vaccine 2 then cover a series on J + 1. */
  EXPECT_OK(vaxalloc_forecast_wait(c, at(J, 9, 0), &forecast));
  EXPECT_EQ(forecast.first_doses_available, 7);
  expect_tier(&forecast, 1, 2, 0, 0);
  expect_tier(&forecast, 4, 6, 2, -1);
  EXPECT_OK(vaxalloc_forecast_wait(c, at(J + 1, 23, 59), &forecast));
  EXPECT_EQ(forecast.today, J + 1);
  EXPECT_EQ(forecast.first_doses_available, 5);
  expect_tier(&forecast, 1, 2, 0, 0);
  expect_tier(&forecast, 4, 6, 2, -1);

  /* Errors leave *out alone. */
  memset(&untouched, 0x5a, sizeof untouched);
  untouched.version = VAXALLOC_WAIT_FORECAST_VERSION;
  memcpy(&forecast, &untouched, sizeof forecast);
  EXPECT_RC(vaxalloc_forecast_wait(NULL, at(J, 9, 0), &forecast), VAXALLOC_EINVALID);
  EXPECT(strstr(vaxalloc_last_error(), "NULL") != NULL);
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, at(J, 9, 0), NULL), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, VAXALLOC_TIME_INFINITE_FUTURE, &forecast),
               VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "finite") != NULL);
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, VAXALLOC_TIME_INFINITE_PAST, &forecast),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, at(ymd(1900, 1, 1), 0, 0) - 1, &forecast),
               VAXALLOC_ERANGE);
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, at(ymd(2201, 1, 1), 0, 0), &forecast), VAXALLOC_ERANGE);
  EXPECT(memcmp(&forecast, &untouched, sizeof forecast) == 0);
  forecast.version = 0;
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, at(J, 9, 0), &forecast), VAXALLOC_EVERSION);
  forecast.version = VAXALLOC_WAIT_FORECAST_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_forecast_wait(c, at(J, 9, 0), &forecast), VAXALLOC_EVERSION);
  EXPECT_EQ(forecast.first_doses_available, untouched.first_doses_available);
  EXPECT_EQ(forecast.today, untouched.today);
  vaxalloc_campaign_close(c);
}

/* --- The standby list and verification codes (0.2) ------------------------------------------ */

/* The codes campaign, in a file (reopened in the middle and at the end):
 *   district 1 (center 1 IZ-F), district 2 (center 2 IZ-DA); vaccine 1, one
 *   dose; center 1: J .. J+6, slots 08:00 .. 09:30 of 30 minutes, one seat
 *   each; 20 doses from J - 30.
 *   S-01 online, group NONE, no standby;   S-02 online, group 2, standby;
 *   S-03 by phone, group NONE, standby;    S-04 online, group 1, standby,
 *   registered J - 5; S-05 district 2, standby; S-06 standby, registered on J
 *   at 20:00. Everyone else registered on J - 10 at 09:00.
 *   Policy 2: standby holds of 20 minutes, 8-digit codes, 2 attempts, 10
 *   minutes' lifetime. */
static void codes_setup(vaxalloc_campaign* c) {
  vaxalloc_vaccine_spec vaccine = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center_spec center = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
  uint32_t district = 1, version = 0, id = 0;
  char ref[16];
  int k;

  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", NULL));
  EXPECT_OK(vaxalloc_district_add(c, "06411", "Darmstadt", NULL));
  vaccine.code = "janssen";
  vaccine.name = "Janssen";
  vaccine.dose_count = 1;
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, NULL));
  center.code = "IZ-F";
  center.name = "Impfzentrum Frankfurt";
  center.districts = &district;
  center.district_count = 1;
  EXPECT_OK(vaxalloc_center_add(c, &center, NULL));
  district = 2;
  center.code = "IZ-DA";
  center.name = "Impfzentrum Darmstadt";
  EXPECT_OK(vaxalloc_center_add(c, &center, NULL));
  block.center = 1;
  block.vaccine = 1;
  block.first_day = J;
  block.last_day = J + 6;
  block.open_minute = 480;
  block.close_minute = 600;
  block.slot_minutes = 30;
  block.seats_first = 1;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  delivery.center = 1;
  delivery.vaccine = 1;
  delivery.day = J - 30;
  delivery.doses = 20;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));

  spec.external_ref = ref;
  spec.birth_day = ymd(1960, 1, 1);
  for (k = 1; k <= 6; ++k) {
    snprintf(ref, sizeof ref, "S-%02d", k);
    spec.district = k == 5 ? 2 : 1;
    spec.channel = k == 3 ? VAXALLOC_CHANNEL_PHONE : VAXALLOC_CHANNEL_ONLINE;
    spec.group = k == 2 ? VAXALLOC_GROUP_2 : k == 4 ? VAXALLOC_GROUP_1 : VAXALLOC_GROUP_NONE;
    spec.registered_at = k == 4 ? at(J - 5, 9, 0) : k == 6 ? at(J, 20, 0) : at(J - 10, 9, 0);
    spec.standby = k != 1;
    EXPECT_OK(vaxalloc_register(c, &spec, &id));
    EXPECT_EQ(id, k);
  }

  /* The defaults, then refused settings, then policy 2. */
  EXPECT_OK(vaxalloc_policy_get(c, 1, &info));
  EXPECT_EQ(info.standby_hold_seconds, 1800);
  EXPECT_EQ(info.code_digits, 6);
  EXPECT_EQ(info.code_attempts, 3);
  EXPECT_EQ(info.code_lifetime_seconds, 900);
  policy.standby_hold_seconds = 0;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "standby_hold") != NULL);
  policy.standby_hold_seconds = VAXALLOC_HOLD_MINUTES_MAX * 60 + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.standby_hold_seconds = 1200;
  policy.code_digits = VAXALLOC_VERIFICATION_DIGITS_MIN - 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "code_digits") != NULL);
  policy.code_digits = VAXALLOC_VERIFICATION_DIGITS_MAX + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.code_digits = 8;
  policy.code_attempts = 0;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "code_attempts") != NULL);
  policy.code_attempts = VAXALLOC_VERIFICATION_ATTEMPTS_MAX + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.code_attempts = 2;
  policy.code_lifetime_seconds = 0;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "code_lifetime") != NULL);
  policy.code_lifetime_seconds = VAXALLOC_VERIFICATION_LIFETIME_MINUTES_MAX * 60 + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.code_lifetime_seconds = INT64_MIN;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  policy.code_lifetime_seconds = 600;
  EXPECT_EQ(version, 0);
  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 2);
  EXPECT_OK(vaxalloc_policy_get(c, 2, &info));
  EXPECT_EQ(info.standby_hold_seconds, 1200);
  EXPECT_EQ(info.code_digits, 8);
  EXPECT_EQ(info.code_attempts, 2);
  EXPECT_EQ(info.code_lifetime_seconds, 600);
}

/* The standby list of center 1 at `when`, into ids[] (at most 8); returns
 * how many. */
static size_t standby_list(vaxalloc_campaign* c, int64_t when, uint32_t ids[8]) {
  size_t count = 0;
  EXPECT_OK(vaxalloc_standby_list(c, 1, when, ids, 8, &count));
  return count;
}

/* End of 14 June: series 1 (S-04, held, then confirmed) and 2 (S-02, at once). */
static void test_standby(vaxalloc_campaign* c) {
  vaxalloc_booking_request request = VAXALLOC_BOOKING_REQUEST_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  uint32_t ids[8] = {77, 77, 77, 77, 77, 77, 77, 77};
  size_t count = 99;

  /* Errors: nothing written. */
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 1, at(J, 19, 0), ids, 8, NULL), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 1, at(J, 19, 0), NULL, 8, &count), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 0, at(J, 19, 0), ids, 8, &count), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 9, at(J, 19, 0), ids, 8, &count), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 1, VAXALLOC_TIME_INFINITE_FUTURE, ids, 8, &count),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 1, at(ymd(2300, 1, 1), 0, 0), ids, 8, &count),
               VAXALLOC_ERANGE);
  EXPECT_EQ(count, 99);
  /* Too small: the count needed, nothing written. */
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 1, at(J, 19, 0), ids, 2, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 3);
  EXPECT_EQ(ids[0], 77);
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 1, at(J, 19, 0), NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 3);

  /* Best first: S-04 (tier 1), S-02 (tier 2), S-03 (tier 4). Not S-01 (no
   * standby), S-05 (another district's), S-06 (registers at 20:00). */
  EXPECT_EQ(standby_list(c, at(J, 19, 0), ids), 3);
  EXPECT_EQ(ids[0], 4);
  EXPECT_EQ(ids[1], 2);
  EXPECT_EQ(ids[2], 3);
  EXPECT_EQ(standby_list(c, at(J - 20, 0, 0), ids), 0); /* before anyone registered */
  EXPECT_FAILS(c, vaxalloc_standby_list(c, 2, at(J, 19, 0), NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 1); /* S-05 lives in district 2 */
  EXPECT_OK(vaxalloc_standby_list(c, 2, at(J, 19, 0), ids, 1, &count));
  EXPECT_EQ(ids[0], 5);
  EXPECT_OK(vaxalloc_registrant_get(c, 1, &registrant));
  EXPECT_EQ(registrant.standby, 0);
  EXPECT_OK(vaxalloc_registrant_get(c, 4, &registrant));
  EXPECT_EQ(registrant.standby, 1);

  /* Standby booking is for standby registrants. */
  request.mode = VAXALLOC_BOOKING_STANDBY;
  request.at = at(J, 19, 0);
  request.registrant = 1;
  EXPECT_FAILS(c, vaxalloc_book(c, &request, &series), VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "standby") != NULL);

  /* Series 1: S-04 holds today's 08:00 seat (the slot has begun: standby
   * takes it) for the policy's 20 minutes, and confirms (event 1). */
  request.registrant = 4;
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 1);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_HELD);
  EXPECT_EQ(series.origin, VAXALLOC_ORIGIN_STANDBY);
  EXPECT_EQ(series.dose_count, 1);
  EXPECT_EQ(series.appointments[0].day, J);
  EXPECT_EQ(series.appointments[0].minute, 480);
  EXPECT_EQ(series.hold_expires_at, at(J, 19, 20));
  EXPECT_EQ(standby_list(c, at(J, 19, 1), ids), 2); /* holding: off the list */
  EXPECT_EQ(ids[0], 2);
  EXPECT_OK(vaxalloc_hold_confirm(c, 1, at(J, 19, 5), &series));
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  /* Series 2: S-02 at once, today 08:30 (event 2). */
  request.registrant = 2;
  request.at = at(J, 19, 10);
  request.confirm = 1;
  EXPECT_OK(vaxalloc_book(c, &request, &series));
  EXPECT_EQ(series.id, 2);
  EXPECT_EQ(series.status, VAXALLOC_SERIES_ACTIVE);
  EXPECT_EQ(series.origin, VAXALLOC_ORIGIN_STANDBY);
  EXPECT_EQ(series.appointments[0].minute, 510);
  EXPECT_EQ(standby_list(c, at(J, 19, 11), ids), 1);
  EXPECT_EQ(ids[0], 3);
}

static void expect_code(vaxalloc_campaign* c, uint32_t id, uint32_t registrant, int32_t purpose,
                        uint32_t series, int32_t state, uint32_t attempts, int64_t issued_at) {
  vaxalloc_code code = VAXALLOC_CODE_INIT;
  EXPECT_OK(vaxalloc_code_get(c, id, &code));
  EXPECT_EQ(code.id, id);
  EXPECT_EQ(code.registrant, registrant);
  EXPECT_EQ(code.purpose, purpose);
  EXPECT_EQ(code.series, series);
  EXPECT_EQ(code.state, state);
  EXPECT_EQ(code.attempts, attempts);
  EXPECT_EQ(code.issued_at, issued_at);
  EXPECT_EQ(code.expires_at, issued_at + 600);
}

static int all_digits(const char* text, size_t length) {
  size_t i;
  if (strlen(text) != length) return 0;
  for (i = 0; i < length; ++i) {
    if (text[i] < '0' || text[i] > '9') return 0;
  }
  return 1;
}

/* `digits` with its first digit changed: a wrong code of the same length. */
static void wrong_code(const char* digits, char* out) {
  strcpy(out, digits);
  out[0] = (char)('0' + (digits[0] - '0' + 1) % 10);
}

static uint32_t code_count(vaxalloc_campaign* c) {
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  return counts.codes;
}

/* Issuing: refused requests issue nothing; code 1 (S-04, cancel series 1,
 * J 20:00, event 3) is issued; one wrong entry. Returns code 1's digits. */
static void test_code_issue(vaxalloc_campaign* c, char digits_1[VAXALLOC_VERIFICATION_CODE_SIZE]) {
  vaxalloc_code_request request = VAXALLOC_CODE_REQUEST_INIT;
  vaxalloc_code code = VAXALLOC_CODE_INIT;
  vaxalloc_event_v2 events[4];
  vaxalloc_event old_events[4];
  char digits[VAXALLOC_VERIFICATION_CODE_SIZE], wrong[VAXALLOC_VERIFICATION_CODE_SIZE];
  char untouched[VAXALLOC_VERIFICATION_CODE_SIZE];
  uint32_t id = 77;
  int32_t outcome = -1;
  size_t count = 0;
  uint64_t revision_before;

  memset(digits, 'x', sizeof digits);
  memcpy(untouched, digits, sizeof digits);
  request.registrant = 4;
  request.series = 1;
  request.at = at(J, 20, 0);
  EXPECT_FAILS(c, vaxalloc_code_issue(c, NULL, &id, digits, sizeof digits), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, NULL, sizeof digits), VAXALLOC_EINVALID);
  request.version = 0;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EVERSION);
  request.version = VAXALLOC_CODE_REQUEST_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EVERSION);
  request.version = VAXALLOC_CODE_REQUEST_VERSION;
  request.purpose = 0;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EINVALID);
  request.purpose = VAXALLOC_CODE_PURPOSE_WITHDRAW + 1;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EINVALID);
  request.purpose = 256 + VAXALLOC_CODE_PURPOSE_CANCEL_SERIES; /* would wrap in a uint8_t */
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EINVALID);
  request.purpose = VAXALLOC_CODE_PURPOSE_WITHDRAW; /* names a series */
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EINVALID);
  request.purpose = VAXALLOC_CODE_PURPOSE_CANCEL_SERIES;
  request.registrant = 0;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_ENOTFOUND);
  request.registrant = 99;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_ENOTFOUND);
  request.registrant = 4;
  request.series = 99;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_ENOTFOUND);
  request.series = 2; /* S-02's */
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits),
               VAXALLOC_EPRECONDITION);
  request.series = VAXALLOC_NO_ID;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_ENOTFOUND);
  request.series = 1;
  request.at = VAXALLOC_TIME_INFINITE_FUTURE;
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_EINVALID);
  request.at = at(ymd(2300, 1, 1), 0, 0);
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, sizeof digits), VAXALLOC_ERANGE);
  request.at = at(J, 20, 0);
  /* Eight digits need nine bytes: no code is issued for a smaller buffer. */
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, 8), VAXALLOC_EBUFFER);
  EXPECT(strstr(failure_message, "need 9") != NULL);
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits, 0), VAXALLOC_EBUFFER);
  EXPECT_EQ(id, 77);
  EXPECT(memcmp(digits, untouched, sizeof digits) == 0);
  EXPECT_EQ(code_count(c), 0);
  EXPECT_OK(vaxalloc_pending_events_v2(c, 2, events, 4, &count));
  EXPECT_EQ(count, 0); /* no event either */

  /* Code 1, into a buffer of exactly nine bytes. */
  EXPECT_OK(vaxalloc_code_issue(c, &request, &id, digits, 9));
  EXPECT_EQ(id, 1);
  EXPECT(all_digits(digits, 8));
  EXPECT_EQ(code_count(c), 1);
  expect_code(c, 1, 4, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 1, VAXALLOC_CODE_STATE_PENDING, 0,
              at(J, 20, 0));
  strcpy(digits_1, digits);

  /* Its event carries the id and digits in vaxalloc_event_v2 only. */
  EXPECT_OK(vaxalloc_pending_events_v2(c, 0, events, 4, &count));
  EXPECT_EQ(count, 3);
  if (count == 3) {
    EXPECT_U64(events[0].id, 1);
    EXPECT_EQ(events[0].kind, VAXALLOC_EVENT_SERIES_BOOKED);
    EXPECT_EQ(events[0].code_id, VAXALLOC_NO_ID);
    EXPECT_STR(events[0].digits, "");
    EXPECT_EQ(events[1].kind, VAXALLOC_EVENT_SERIES_BOOKED);
    EXPECT_EQ(events[1].series, 2);
    EXPECT_U64(events[2].id, 3);
    EXPECT_EQ(events[2].kind, VAXALLOC_EVENT_CODE_ISSUED);
    EXPECT_EQ(events[2].at, at(J, 20, 0));
    EXPECT_EQ(events[2].registrant, 4);
    EXPECT_EQ(events[2].series, 1);
    EXPECT_EQ(events[2].draw, VAXALLOC_NO_ID);
    EXPECT_EQ(events[2].code_id, 1);
    EXPECT_STR(events[2].digits, digits);
  }
  EXPECT_OK(vaxalloc_pending_events(c, 0, old_events, 4, &count));
  EXPECT_EQ(count, 3);
  expect_event(&old_events[2], 3, VAXALLOC_EVENT_CODE_ISSUED, at(J, 20, 0), 4, 1, VAXALLOC_NO_ID);
  /* The _v2 page follows the same rules. */
  memset(events, 0xcd, sizeof events);
  EXPECT_FAILS(c, vaxalloc_pending_events_v2(c, 0, events, 0, &count), VAXALLOC_EINVALID);
  EXPECT_FAILS(c,
               vaxalloc_pending_events_v2(c, 0, events, VAXALLOC_EVENTS_PER_READ_MAX + 1, &count),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_pending_events_v2(c, 0, NULL, 4, &count), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_pending_events_v2(c, 0, events, 4, NULL), VAXALLOC_EINVALID);
  EXPECT_EQ(count, 3);
  EXPECT_U64(events[0].id, 0xcdcdcdcdcdcdcdcdull);
  EXPECT_OK(vaxalloc_pending_events_v2(c, 1, events, 1, &count)); /* a full page */
  EXPECT_EQ(count, 1);
  EXPECT_U64(events[0].id, 2);
  EXPECT_U64(events[1].id, 0xcdcdcdcdcdcdcdcdull);

  /* Reading a code: never its digits. */
  EXPECT_FAILS(c, vaxalloc_code_get(c, 0, &code), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_code_get(c, 2, &code), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_code_get(c, 1, NULL), VAXALLOC_EINVALID);
  code.version = 0;
  EXPECT_FAILS(c, vaxalloc_code_get(c, 1, &code), VAXALLOC_EVERSION);
  code.version = VAXALLOC_CODE_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_code_get(c, 1, &code), VAXALLOC_EVERSION);
  EXPECT_EQ(code.id, 0);

  /* Refused entries are no attempts, and the outcome stays unwritten. */
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, NULL, at(J, 20, 1), &outcome), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, "", at(J, 20, 1), &outcome), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, "1234abcd", at(J, 20, 1), &outcome),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, " 12345678", at(J, 20, 1), &outcome),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, "12345678901", at(J, 20, 1), &outcome),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 0, digits, at(J, 20, 1), &outcome), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 2, digits, at(J, 20, 1), &outcome), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, digits, VAXALLOC_TIME_INFINITE_PAST, &outcome),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, digits, at(ymd(2300, 1, 1), 0, 0), &outcome),
               VAXALLOC_ERANGE);
  EXPECT_EQ(outcome, -1);
  expect_code(c, 1, 4, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 1, VAXALLOC_CODE_STATE_PENDING, 0,
              at(J, 20, 0));

  /* A wrong code: VAXALLOC_EVERIFY, and the attempt is committed (the
   * revision moves; nothing else does, and no event is written). */
  {
    vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
    EXPECT_OK(vaxalloc_counts_get(c, &counts));
    revision_before = counts.revision;
  }
  wrong_code(digits, wrong);
  EXPECT_RC(vaxalloc_code_verify(c, 1, wrong, at(J, 20, 1), &outcome), VAXALLOC_EVERIFY);
  EXPECT_EQ(vaxalloc_campaign_errcode(c), VAXALLOC_EVERIFY);
  EXPECT(strstr(vaxalloc_last_error(), "1 attempt(s) left") != NULL);
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_WRONG);
  expect_code(c, 1, 4, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 1, VAXALLOC_CODE_STATE_PENDING, 1,
              at(J, 20, 0));
  {
    vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
    EXPECT_OK(vaxalloc_counts_get(c, &counts));
    EXPECT(counts.revision > revision_before);
    EXPECT_EQ(counts.series, 2);
  }
  expect_series_status(c, 1, VAXALLOC_SERIES_ACTIVE);
  EXPECT_OK(vaxalloc_pending_events_v2(c, 0, events, 4, &count));
  EXPECT_EQ(count, 3);
}

/* After the reopen: code 1 kept its attempt and is accepted; codes 2-6. */
static void test_code_verify(vaxalloc_campaign* c, const char* digits_1) {
  vaxalloc_code_request request = VAXALLOC_CODE_REQUEST_INIT;
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  vaxalloc_event_v2 events[16];
  char digits[6][VAXALLOC_VERIFICATION_CODE_SIZE];
  char wrong[VAXALLOC_VERIFICATION_CODE_SIZE];
  uint32_t id = 0, ids[8];
  int32_t outcome = -1;
  size_t count = 0;

  strcpy(digits[0], digits_1);
  expect_code(c, 1, 4, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 1, VAXALLOC_CODE_STATE_PENDING, 1,
              at(J, 20, 0));
  EXPECT_EQ(code_count(c), 1);
  /* The digits are in the outbox until acknowledged, also after a reopen. */
  EXPECT_OK(vaxalloc_pending_events_v2(c, 2, events, 4, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(events[0].code_id, 1);
  EXPECT_STR(events[0].digits, digits_1);

  /* Accepted: series 1 is cancelled in the same call (event 4), and S-04
   * is back on the standby list. */
  EXPECT_OK(vaxalloc_code_verify(c, 1, digits_1, at(J, 20, 2), &outcome));
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_ACCEPTED);
  expect_code(c, 1, 4, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 1, VAXALLOC_CODE_STATE_USED, 1,
              at(J, 20, 0));
  expect_series_status(c, 1, VAXALLOC_SERIES_CANCELLED);
  EXPECT_OK(vaxalloc_registrant_get(c, 4, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WAITING);
  EXPECT_EQ(registrant.waiting_since, at(J, 20, 2));
  EXPECT_EQ(standby_list(c, at(J, 20, 5), ids), 3); /* S-06 registered at 20:00 */
  EXPECT_EQ(ids[0], 4);
  EXPECT_EQ(ids[1], 3);
  EXPECT_EQ(ids[2], 6);
  /* Used: EPRECONDITION with the outcome, and nothing changes. */
  outcome = -1;
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 1, digits_1, at(J, 20, 3), &outcome),
               VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "used") != NULL);
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_NOT_PENDING);

  /* Code 2 (S-02, series 2, event 5) locks after two wrong entries; then
   * even the right one is refused, and nothing changes. */
  request.registrant = 2;
  request.series = 2;
  request.at = at(J, 20, 10);
  EXPECT_OK(vaxalloc_code_issue(c, &request, &id, digits[1], sizeof digits[1]));
  EXPECT_EQ(id, 2);
  wrong_code(digits[1], wrong);
  EXPECT_RC(vaxalloc_code_verify(c, 2, wrong, at(J, 20, 11), &outcome), VAXALLOC_EVERIFY);
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_WRONG);
  EXPECT_RC(vaxalloc_code_verify(c, 2, "0000", at(J, 20, 12), NULL), VAXALLOC_EVERIFY);
  EXPECT(strstr(vaxalloc_last_error(), "locked") != NULL);
  expect_code(c, 2, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_LOCKED, 2,
              at(J, 20, 10));
  outcome = -1;
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 2, digits[1], at(J, 20, 13), &outcome), VAXALLOC_EVERIFY);
  EXPECT(strstr(failure_message, "locked") != NULL);
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_LOCKED);
  expect_series_status(c, 2, VAXALLOC_SERIES_ACTIVE);

  /* Code 3 (event 6) is superseded by code 4 (event 7). */
  request.at = at(J, 20, 20);
  EXPECT_OK(vaxalloc_code_issue(c, &request, &id, digits[2], sizeof digits[2]));
  EXPECT_EQ(id, 3);
  request.at = at(J, 20, 21);
  EXPECT_OK(vaxalloc_code_issue(c, &request, &id, digits[3], sizeof digits[3]));
  EXPECT_EQ(id, 4);
  expect_code(c, 3, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_SUPERSEDED, 0,
              at(J, 20, 20));
  outcome = -1;
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 3, digits[2], at(J, 20, 22), &outcome),
               VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "newer code") != NULL);
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_NOT_PENDING);
  /* Code 4 expires ten minutes after it was issued. */
  outcome = -1;
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 4, digits[3], at(J, 20, 31), &outcome), VAXALLOC_EVERIFY);
  EXPECT(strstr(failure_message, "expired") != NULL);
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_EXPIRED);
  expect_code(c, 4, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_PENDING, 0,
              at(J, 20, 21));

  /* Code 5: S-03 withdraws by code (events 8 and 9), which deletes the
   * registration (0.3); no code for the withdrawn afterwards. */
  request.registrant = 3;
  request.purpose = VAXALLOC_CODE_PURPOSE_WITHDRAW;
  request.series = VAXALLOC_NO_ID;
  request.at = at(J, 21, 0);
  EXPECT_OK(vaxalloc_code_issue(c, &request, NULL, digits[4], sizeof digits[4]));
  EXPECT_EQ(code_count(c), 5);
  EXPECT_OK(vaxalloc_code_verify(c, 5, digits[4], at(J, 21, 1), NULL));
  expect_code(c, 5, 3, VAXALLOC_CODE_PURPOSE_WITHDRAW, VAXALLOC_NO_ID, VAXALLOC_CODE_STATE_USED, 0,
              at(J, 21, 0));
  EXPECT_OK(vaxalloc_registrant_get(c, 3, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WITHDRAWN);
  EXPECT_EQ(registrant.erased, 1);
  EXPECT_STR(registrant.external_ref, "");
  request.at = at(J, 21, 2);
  EXPECT_FAILS(c, vaxalloc_code_issue(c, &request, &id, digits[5], sizeof digits[5]),
               VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "registration is deleted") != NULL);

  /* Code 6 (S-02, series 2, event 10; supersedes code 4) can no longer be used:
   * series 2 was cancelled meanwhile (event 11): EPRECONDITION, no outcome,
   * and code 6 stays pending. */
  request.registrant = 2;
  request.purpose = VAXALLOC_CODE_PURPOSE_CANCEL_SERIES;
  request.series = 2;
  request.at = at(J, 21, 10);
  EXPECT_OK(vaxalloc_code_issue(c, &request, &id, digits[5], sizeof digits[5]));
  EXPECT_EQ(id, 6);
  expect_code(c, 4, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_SUPERSEDED, 0,
              at(J, 20, 21));
  EXPECT_OK(vaxalloc_series_cancel(c, 2, at(J, 21, 11)));
  outcome = -1;
  EXPECT_FAILS(c, vaxalloc_code_verify(c, 6, digits[5], at(J, 21, 12), &outcome),
               VAXALLOC_EPRECONDITION);
  EXPECT_EQ(outcome, -1);
  expect_code(c, 6, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_PENDING, 0,
              at(J, 21, 10));

  /* The outbox: every code's digits, then nothing once acknowledged. */
  EXPECT_OK(vaxalloc_pending_events_v2(c, 0, events, 16, &count));
  EXPECT_EQ(count, 11);
  if (count == 11) {
    EXPECT_EQ(events[3].kind, VAXALLOC_EVENT_SERIES_CANCELLED);
    EXPECT_EQ(events[3].series, 1);
    EXPECT_EQ(events[3].at, at(J, 20, 2));
    EXPECT_EQ(events[4].code_id, 2);
    EXPECT_STR(events[4].digits, digits[1]);
    EXPECT_EQ(events[5].code_id, 3);
    EXPECT_EQ(events[6].code_id, 4);
    EXPECT_STR(events[6].digits, digits[3]);
    EXPECT_EQ(events[7].kind, VAXALLOC_EVENT_CODE_ISSUED);
    EXPECT_EQ(events[7].code_id, 5);
    EXPECT_EQ(events[7].series, VAXALLOC_NO_ID);
    EXPECT_EQ(events[8].kind, VAXALLOC_EVENT_REGISTRANT_WITHDRAWN);
    EXPECT_EQ(events[8].registrant, 3);
    EXPECT_EQ(events[8].code_id, VAXALLOC_NO_ID);
    EXPECT_EQ(events[9].code_id, 6);
    EXPECT_STR(events[9].digits, digits[5]);
    EXPECT_EQ(events[10].kind, VAXALLOC_EVENT_SERIES_CANCELLED);
  }
  EXPECT_OK(vaxalloc_acknowledge_events(c, 11));
  EXPECT_OK(vaxalloc_pending_events_v2(c, 0, events, 16, &count));
  EXPECT_EQ(count, 0);
}

static void expect_codes_end(vaxalloc_campaign* c) {
  EXPECT_EQ(code_count(c), 6);
  expect_code(c, 1, 4, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 1, VAXALLOC_CODE_STATE_USED, 1,
              at(J, 20, 0));
  expect_code(c, 2, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_LOCKED, 2,
              at(J, 20, 10));
  expect_code(c, 3, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_SUPERSEDED, 0,
              at(J, 20, 20));
  expect_code(c, 4, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_SUPERSEDED, 0,
              at(J, 20, 21));
  expect_code(c, 5, 3, VAXALLOC_CODE_PURPOSE_WITHDRAW, VAXALLOC_NO_ID, VAXALLOC_CODE_STATE_USED, 0,
              at(J, 21, 0));
  expect_code(c, 6, 2, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 2, VAXALLOC_CODE_STATE_PENDING, 0,
              at(J, 21, 10));
  {
    uint64_t violations = 99;
    char* text = NULL;
    EXPECT_OK(vaxalloc_check_invariants(c, &violations, &text));
    EXPECT_EQ(violations, 0);
    if (violations != 0 && text != NULL) fprintf(stderr, "%s\n", text);
    vaxalloc_free(text);
  }
}

static void test_standby_and_codes(const char* dir) {
  char path[1024];
  char digits_1[VAXALLOC_VERIFICATION_CODE_SIZE];
  vaxalloc_campaign* c = NULL;

  snprintf(path, sizeof path, "%s/codes.sqlite", dir);
  remove_campaign_files(path);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  codes_setup(c);
  test_standby(c);
  test_code_issue(c, digits_1);
  vaxalloc_campaign_close(c);

  /* Reopened: the attempt was committed with the refusal. */
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  test_code_verify(c, digits_1);
  expect_codes_end(c);
  vaxalloc_campaign_close(c);
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  expect_codes_end(c);
  vaxalloc_campaign_close(c);
  remove_campaign_files(path);
}

/* --- Callers built against 0.1 (struct version 1) ------------------------------------------ */

/* The 0.1 layouts of the structs that 0.2 grew. */
typedef struct series_v1 {
  uint32_t version, id, registrant, center, vaccine;
  int32_t dose_count;
  vaxalloc_appointment appointments[VAXALLOC_DOSE_COUNT_MAX];
  int32_t status;
  int64_t booked_at;
  uint32_t draw;
  int32_t tier, category;
} series_v1;
typedef struct counts_v1 {
  uint32_t version, districts, vaccines, centers, registrants, series, draws, policy_version;
  uint64_t capacity_blocks, deliveries, revision;
} counts_v1;
typedef struct report_v1 {
  uint32_t version;
  uint64_t registrants, waiting, scheduled, withdrawn;
  uint64_t waiting_per_tier[VAXALLOC_TIER_MAX];
  uint64_t series_active, series_cancelled, draws, center_count;
} report_v1;
typedef struct policy_v1 {
  uint32_t version;
  const vaxalloc_tier_rule* tier_rules;
  size_t tier_rule_count;
  const vaxalloc_reserve* reserves;
  size_t reserve_count;
  int32_t residence;
  const vaxalloc_neighbour_pair* neighbours;
  size_t neighbour_count;
} policy_v1;
typedef struct policy_info_v1 {
  uint32_t version, policy_version;
  int32_t residence;
  uint32_t tier_rule_count, reserve_count, neighbour_count;
} policy_info_v1;
typedef struct registrant_spec_v1 {
  uint32_t version;
  const char* external_ref;
  uint32_t district;
  int32_t birth_day, group, channel;
  int64_t registered_at;
  uint32_t vaccine_preference;
} registrant_spec_v1;
typedef struct registrant_v1 {
  uint32_t version, id;
  char external_ref[VAXALLOC_EXTERNAL_REF_SIZE];
  uint32_t district;
  int32_t birth_day, group, channel;
  int64_t registered_at;
  uint32_t vaccine_preference;
  int32_t status;
  int64_t waiting_since;
  uint32_t series;
} registrant_v1;

/* Each old struct followed by bytes it does not own. */
#define CANARY_SIZE 64
#define CANARY_BYTE 0xee
typedef struct guarded_series {
  series_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_series;
typedef struct guarded_counts {
  counts_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_counts;
typedef struct guarded_report {
  report_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_report;
typedef struct guarded_policy {
  policy_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_policy;
typedef struct guarded_policy_info {
  policy_info_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_policy_info;
typedef struct guarded_registrant_spec {
  registrant_spec_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_registrant_spec;
typedef struct guarded_registrant {
  registrant_v1 value;
  unsigned char canary[CANARY_SIZE];
} guarded_registrant;

static int canary_intact_byte(const unsigned char* canary, unsigned char byte) {
  int i;
  for (i = 0; i < CANARY_SIZE; ++i) {
    if (canary[i] != byte) return 0;
  }
  return 1;
}

static int canary_intact(const unsigned char* canary) {
  return canary_intact_byte(canary, CANARY_BYTE);
}

/* On the main campaign after test_report: version-1 structs are read and
 * written within their 0.1 size, and a version-1 policy gets the defaults of
 * the fields it lacks (the bytes after it are garbage that must not be read). */
static void test_old_struct_versions(vaxalloc_campaign* c) {
  guarded_series old_series;
  guarded_counts old_counts;
  guarded_report old_report;
  guarded_policy old_policy;
  guarded_policy_info old_info;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
  uint32_t version = 0;

  EXPECT_EQ(sizeof(series_v1), 72);
  EXPECT_EQ(sizeof(counts_v1), 56);
  EXPECT_EQ(sizeof(report_v1), 136);
  EXPECT_EQ(sizeof(policy_v1), 64);
  EXPECT_EQ(sizeof(policy_info_v1), 24);
  EXPECT_EQ(sizeof(registrant_spec_v1), 48);
  EXPECT_EQ(sizeof(registrant_v1), 192);

  /* Series. */
  memset(&old_series, CANARY_BYTE, sizeof old_series);
  EXPECT_OK(vaxalloc_series_init((vaxalloc_series*)&old_series.value, 1));
  EXPECT_EQ(old_series.value.version, 1);
  EXPECT_EQ(old_series.value.id + old_series.value.category, 0);
  EXPECT(canary_intact(old_series.canary));
  EXPECT_OK(vaxalloc_series_get(c, 1, (vaxalloc_series*)&old_series.value));
  EXPECT_OK(vaxalloc_series_get(c, 1, &series));
  EXPECT_EQ(old_series.value.version, 1);
  EXPECT_EQ(old_series.value.id, 1);
  EXPECT_EQ(old_series.value.registrant, series.registrant);
  EXPECT_EQ(old_series.value.appointments[1].day, series.appointments[1].day);
  EXPECT_EQ(old_series.value.status, series.status);
  EXPECT_EQ(old_series.value.booked_at, series.booked_at);
  EXPECT_EQ(old_series.value.draw, 1);
  EXPECT_EQ(old_series.value.tier, series.tier);
  EXPECT_EQ(old_series.value.category, 1);
  EXPECT(canary_intact(old_series.canary));
  EXPECT_EQ(series.origin, VAXALLOC_ORIGIN_DRAW);
  EXPECT_EQ(series.release, VAXALLOC_NO_ID);
  EXPECT_EQ(series.hold_expires_at, VAXALLOC_TIME_INFINITE_PAST);
  EXPECT_EQ(series.doses[0], VAXALLOC_DOSE_BOOKED);

  /* Counts and report. */
  memset(&old_counts, CANARY_BYTE, sizeof old_counts);
  EXPECT_OK(vaxalloc_counts_init((vaxalloc_counts*)&old_counts.value, 1));
  EXPECT(canary_intact(old_counts.canary));
  EXPECT_OK(vaxalloc_counts_get(c, (vaxalloc_counts*)&old_counts.value));
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(old_counts.value.version, 1);
  EXPECT_EQ(old_counts.value.registrants, counts.registrants);
  EXPECT_EQ(old_counts.value.policy_version, counts.policy_version);
  EXPECT_U64(old_counts.value.revision, counts.revision);
  EXPECT(canary_intact(old_counts.canary));
  memset(&old_report, CANARY_BYTE, sizeof old_report);
  EXPECT_OK(vaxalloc_report_init((vaxalloc_report*)&old_report.value, 1));
  EXPECT(canary_intact(old_report.canary));
  EXPECT_OK(vaxalloc_report_get(c, (vaxalloc_report*)&old_report.value));
  EXPECT_OK(vaxalloc_report_get(c, &report));
  EXPECT_EQ(old_report.value.version, 1);
  EXPECT_U64(old_report.value.waiting, report.waiting);
  EXPECT_U64(old_report.value.waiting_per_tier[3], report.waiting_per_tier[3]);
  EXPECT_U64(old_report.value.center_count, report.center_count);
  EXPECT(canary_intact(old_report.canary));

  /* A version-1 policy: garbage after it, which a pointer read would crash
   * on; time zone, hold and short notice take their defaults. */
  memset(&old_policy, 0xff, sizeof old_policy);
  memset(&old_policy.value, 0, sizeof old_policy.value);
  old_policy.value.version = 0;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, (const vaxalloc_policy*)&old_policy.value, &version),
               VAXALLOC_EVERSION);
  old_policy.value.version = 1;
  old_policy.value.residence = VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY;
  EXPECT_OK(vaxalloc_policy_set(c, (const vaxalloc_policy*)&old_policy.value, &version));
  EXPECT_EQ(version, 3);
  EXPECT_OK(vaxalloc_policy_get(c, 3, &info));
  EXPECT_STR(info.time_zone, "UTC");
  EXPECT_EQ(info.hold_seconds, 600);
  EXPECT_EQ(info.short_notice_days, 0);
  EXPECT_EQ(info.tier_rule_count, 0);
  memset(&old_info, CANARY_BYTE, sizeof old_info);
  EXPECT_OK(vaxalloc_policy_info_init((vaxalloc_policy_info*)&old_info.value, 1));
  EXPECT(canary_intact(old_info.canary));
  EXPECT_OK(vaxalloc_policy_get(c, 2, (vaxalloc_policy_info*)&old_info.value));
  EXPECT_EQ(old_info.value.version, 1);
  EXPECT_EQ(old_info.value.policy_version, 2);
  EXPECT_EQ(old_info.value.tier_rule_count, 2);
  EXPECT_EQ(old_info.value.reserve_count, 1);
  EXPECT(canary_intact(old_info.canary));

  /* Version-1 registrant specs: the byte where version 2 keeps `standby` is
   * their padding, garbage here, and must not be read; alone and in a batch
   * next to a version-2 spec. */
  {
    guarded_registrant_spec old_spec;
    guarded_registrant old_registrant;
    vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
    const vaxalloc_registrant_spec* pointers[2];
    vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
    uint32_t id = 0, ids[2] = {0, 0};

    memset(&old_spec, 0xff, sizeof old_spec);
    EXPECT_OK(vaxalloc_registrant_spec_init((vaxalloc_registrant_spec*)&old_spec.value, 1));
    EXPECT_EQ(old_spec.value.version, 1);
    EXPECT_EQ(old_spec.value.group, VAXALLOC_GROUP_NONE);
    EXPECT(canary_intact_byte(old_spec.canary, 0xff));
    old_spec.value.external_ref = "OLD-1";
    old_spec.value.district = 1;
    old_spec.value.birth_day = ymd(1950, 1, 1);
    old_spec.value.registered_at = at(J, 9, 0);
    ((unsigned char*)&old_spec.value)[sizeof old_spec.value - 4] = 0x01; /* not a standby flag */
    EXPECT_OK(vaxalloc_register(c, (const vaxalloc_registrant_spec*)&old_spec.value, &id));
    EXPECT_OK(vaxalloc_registrant_get(c, id, &registrant));
    EXPECT_STR(registrant.external_ref, "OLD-1");
    EXPECT_EQ(registrant.standby, 0);

    spec.external_ref = "NEW-2";
    spec.district = 1;
    spec.birth_day = ymd(1950, 1, 1);
    spec.registered_at = at(J, 9, 0);
    spec.standby = 1;
    old_spec.value.external_ref = "OLD-3";
    pointers[0] = &spec;
    pointers[1] = (const vaxalloc_registrant_spec*)&old_spec.value;
    EXPECT_OK(vaxalloc_register_batch(c, pointers, 2, ids));
    EXPECT_EQ(ids[0], id + 1);
    EXPECT_EQ(ids[1], id + 2);
    EXPECT_OK(vaxalloc_registrant_get(c, ids[0], &registrant));
    EXPECT_EQ(registrant.standby, 1);
    EXPECT_OK(vaxalloc_registrant_get(c, ids[1], &registrant));
    EXPECT_EQ(registrant.standby, 0);

    /* A version-1 registrant is written within its 0.1 size. */
    memset(&old_registrant, CANARY_BYTE, sizeof old_registrant);
    EXPECT_OK(vaxalloc_registrant_init((vaxalloc_registrant*)&old_registrant.value, 1));
    EXPECT(canary_intact(old_registrant.canary));
    EXPECT_OK(vaxalloc_registrant_get(c, ids[0], (vaxalloc_registrant*)&old_registrant.value));
    EXPECT_EQ(old_registrant.value.version, 1);
    EXPECT_EQ(old_registrant.value.id, ids[0]);
    EXPECT_STR(old_registrant.value.external_ref, "NEW-2");
    EXPECT_EQ(old_registrant.value.registered_at, at(J, 9, 0));
    EXPECT_EQ(old_registrant.value.status, VAXALLOC_REGISTRANT_WAITING);
    EXPECT_EQ(old_registrant.value.series, VAXALLOC_NO_ID);
    EXPECT(canary_intact(old_registrant.canary));
  }
}

/* --- Draw lead times, overbooking, deleting a registration (0.3) ---------------------------- */

/* The 0.2 layouts of the structs that 0.3 grew. */
typedef struct policy_v2 {
  uint32_t version;
  const vaxalloc_tier_rule* tier_rules;
  size_t tier_rule_count;
  const vaxalloc_reserve* reserves;
  size_t reserve_count;
  int32_t residence;
  const vaxalloc_neighbour_pair* neighbours;
  size_t neighbour_count;
  const char* time_zone;
  int64_t hold_seconds;
  int32_t short_notice_days;
  int64_t standby_hold_seconds;
  int32_t code_digits, code_attempts;
  int64_t code_lifetime_seconds;
} policy_v2;
typedef struct policy_info_v2 {
  uint32_t version, policy_version;
  int32_t residence;
  uint32_t tier_rule_count, reserve_count, neighbour_count;
  char time_zone[VAXALLOC_TIME_ZONE_SIZE];
  int64_t hold_seconds;
  int32_t short_notice_days;
  int64_t standby_hold_seconds;
  int32_t code_digits, code_attempts;
  int64_t code_lifetime_seconds;
} policy_info_v2;
typedef struct registrant_v2 {
  uint32_t version, id;
  char external_ref[VAXALLOC_EXTERNAL_REF_SIZE];
  uint32_t district;
  int32_t birth_day, group, channel;
  int64_t registered_at;
  uint32_t vaccine_preference;
  int32_t status;
  int64_t waiting_since;
  uint32_t series;
  uint8_t standby;
} registrant_v2;
typedef struct guarded_policy_v2 {
  policy_v2 value;
  unsigned char canary[CANARY_SIZE];
} guarded_policy_v2;
typedef struct guarded_policy_info_v2 {
  policy_info_v2 value;
  unsigned char canary[CANARY_SIZE];
} guarded_policy_info_v2;
typedef struct guarded_registrant_v2 {
  registrant_v2 value;
  unsigned char canary[CANARY_SIZE];
} guarded_registrant_v2;

/* The campaign of this section (one-dose vaccine, time zone UTC):
 *   center 1 serves district 1; one 08:00 slot a day on J .. J + 13 with 5
 *   first-dose seats; 6 doses from J - 30 (more come later).
 *   Registrants, all online in district 1, registered on J - 10, except:
 *     1 L-01 by phone,
 *     2 .. 10 L-02 .. L-10 online. */
static void lead_setup(vaxalloc_campaign* c) {
  vaxalloc_vaccine_spec vaccine = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center_spec center = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  uint32_t district = 0, id = 0;
  char ref[16];
  int k;

  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", &district));
  vaccine.code = "janssen";
  vaccine.name = "Janssen";
  vaccine.dose_count = 1;
  EXPECT_OK(vaxalloc_vaccine_add(c, &vaccine, NULL));
  center.code = "IZ-F";
  center.name = "Impfzentrum Frankfurt";
  center.districts = &district;
  center.district_count = 1;
  EXPECT_OK(vaxalloc_center_add(c, &center, NULL));
  block.center = 1;
  block.vaccine = 1;
  block.first_day = J;
  block.last_day = J + 13;
  block.open_minute = 480;
  block.close_minute = 510;
  block.slot_minutes = 30;
  block.seats_first = 5;
  EXPECT_OK(vaxalloc_capacity_add(c, &block));
  delivery.center = 1;
  delivery.vaccine = 1;
  delivery.day = J - 30;
  delivery.doses = 6;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));

  spec.external_ref = ref;
  spec.district = district;
  spec.birth_day = ymd(1960, 1, 1);
  spec.registered_at = at(J - 10, 9, 0);
  for (k = 1; k <= 10; ++k) {
    snprintf(ref, sizeof ref, "L-%02d", k);
    spec.channel = k == 1 ? VAXALLOC_CHANNEL_PHONE : VAXALLOC_CHANNEL_ONLINE;
    EXPECT_OK(vaxalloc_register(c, &spec, &id));
    EXPECT_EQ(id, k);
  }
}

/* Policy version 3: the new fields' bounds (the core's messages name the
 * field), a round trip, and 0.2 callers (policy and info version 2) that
 * get the defaults and whose structs are read and written within their 0.2
 * size. Leaves policy 4 current: phone lead 3 days, overbooking 400 permille. */
static void test_policy_v3(vaxalloc_campaign* c) {
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
  guarded_policy_v2 old_policy;
  guarded_policy_info_v2 old_info;
  uint32_t version = 0;

  EXPECT_EQ(sizeof(policy_v2), 112);
  EXPECT_EQ(sizeof(policy_info_v2), 136);
  EXPECT_EQ(VAXALLOC_DRAW_LEAD_DAYS_MAX, 60);
  EXPECT_EQ(VAXALLOC_OVERBOOK_PERMILLE_MAX, 500);

  /* The defaults of policy 1. */
  EXPECT_OK(vaxalloc_policy_get(c, 1, &info));
  EXPECT_EQ(info.draw_lead_days_online, 0);
  EXPECT_EQ(info.draw_lead_days_phone, 0);
  EXPECT_EQ(info.overbook_permille, 0);

  /* Out of range: refused, naming the field. */
  policy.draw_lead_days_online = -1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "draw_lead_days_online") != NULL);
  policy.draw_lead_days_online = VAXALLOC_DRAW_LEAD_DAYS_MAX + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "draw_lead_days_online") != NULL);
  policy.draw_lead_days_online = VAXALLOC_DRAW_LEAD_DAYS_MAX;
  policy.draw_lead_days_phone = -1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "draw_lead_days_phone") != NULL);
  policy.draw_lead_days_phone = VAXALLOC_DRAW_LEAD_DAYS_MAX + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "draw_lead_days_phone") != NULL);
  policy.draw_lead_days_phone = 7;
  policy.overbook_permille = -1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "overbook_permille") != NULL);
  policy.overbook_permille = VAXALLOC_OVERBOOK_PERMILLE_MAX + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "overbook_permille") != NULL);
  policy.overbook_permille = VAXALLOC_OVERBOOK_PERMILLE_MAX;
  policy.version = VAXALLOC_POLICY_VERSION + 1;
  EXPECT_FAILS(c, vaxalloc_policy_set(c, &policy, &version), VAXALLOC_EVERSION);
  policy.version = VAXALLOC_POLICY_VERSION;
  EXPECT_EQ(version, 0);

  /* The largest values round-trip. */
  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 2);
  EXPECT_OK(vaxalloc_policy_get(c, 2, &info));
  EXPECT_EQ(info.version, VAXALLOC_POLICY_INFO_VERSION);
  EXPECT_EQ(info.draw_lead_days_online, VAXALLOC_DRAW_LEAD_DAYS_MAX);
  EXPECT_EQ(info.draw_lead_days_phone, 7);
  EXPECT_EQ(info.overbook_permille, VAXALLOC_OVERBOOK_PERMILLE_MAX);
  EXPECT_EQ(info.code_digits, 6);
  EXPECT_STR(info.time_zone, "UTC");

  /* A 0.2 caller's policy (version 2): garbage after it, which must not be
   * read; the 0.3 fields take their defaults, not policy 2's values. */
  memset(&old_policy, 0xff, sizeof old_policy);
  EXPECT_OK(vaxalloc_policy_init((vaxalloc_policy*)&old_policy.value, 2));
  EXPECT_EQ(old_policy.value.version, 2);
  EXPECT_EQ(old_policy.value.hold_seconds, 600);
  EXPECT_EQ(old_policy.value.code_lifetime_seconds, 900);
  EXPECT(canary_intact_byte(old_policy.canary, 0xff));
  old_policy.value.short_notice_days = 3;
  EXPECT_OK(vaxalloc_policy_set(c, (const vaxalloc_policy*)&old_policy.value, &version));
  EXPECT_EQ(version, 3);
  EXPECT_OK(vaxalloc_policy_get(c, 3, &info));
  EXPECT_EQ(info.short_notice_days, 3);
  EXPECT_EQ(info.draw_lead_days_online, 0);
  EXPECT_EQ(info.draw_lead_days_phone, 0);
  EXPECT_EQ(info.overbook_permille, 0);

  /* A 0.2 caller's policy info (version 2) is written within its 0.2 size. */
  memset(&old_info, CANARY_BYTE, sizeof old_info);
  EXPECT_OK(vaxalloc_policy_info_init((vaxalloc_policy_info*)&old_info.value, 2));
  EXPECT(canary_intact(old_info.canary));
  EXPECT_OK(vaxalloc_policy_get(c, 2, (vaxalloc_policy_info*)&old_info.value));
  EXPECT_EQ(old_info.value.version, 2);
  EXPECT_EQ(old_info.value.policy_version, 2);
  EXPECT_STR(old_info.value.time_zone, "UTC");
  EXPECT_EQ(old_info.value.code_lifetime_seconds, 900);
  EXPECT(canary_intact(old_info.canary));

  /* The policy of the draws below. */
  EXPECT_OK(vaxalloc_policy_init(&policy, VAXALLOC_POLICY_VERSION));
  policy.draw_lead_days_phone = 3;
  policy.overbook_permille = 400;
  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 4);
}

/* The slot of center 1 on `day` (one a day), through vaxalloc_slots_v2 and
 * vaxalloc_slots, which must agree on the fields they share. */
static void expect_slot(vaxalloc_campaign* c, int32_t day, int32_t seats, int32_t bookable,
                        int32_t booked) {
  vaxalloc_slot_v2 slots[2];
  vaxalloc_slot old[2];
  size_t count = 0;
  EXPECT_OK(vaxalloc_slots_v2(c, 1, 1, day, slots, 2, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(slots[0].day, day);
  EXPECT_EQ(slots[0].minute, 480);
  EXPECT_EQ(slots[0].seats_first, seats);
  EXPECT_EQ(slots[0].seats_second, 0);
  EXPECT_EQ(slots[0].bookable_first, bookable);
  EXPECT_EQ(slots[0].bookable_second, 0);
  EXPECT_EQ(slots[0].booked_first, booked);
  EXPECT_EQ(slots[0].booked_second, 0);
  EXPECT_OK(vaxalloc_slots(c, 1, 1, day, old, 2, &count));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(old[0].day, slots[0].day);
  EXPECT_EQ(old[0].minute, slots[0].minute);
  EXPECT_EQ(old[0].seats_first, slots[0].seats_first);
  EXPECT_EQ(old[0].booked_first, slots[0].booked_first);
}

/* The first appointment's day of registrant `id`'s active series. */
static int32_t first_dose_day(vaxalloc_campaign* c, uint32_t id) {
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  EXPECT_OK(vaxalloc_registrant_get(c, id, &registrant));
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_SCHEDULED);
  EXPECT_OK(vaxalloc_series_get(c, registrant.series, &series));
  return series.appointments[0].day;
}

/* Two draws on J under policy 4 (phone lead 3 days, overbooking 400
 * permille: each 5-seat slot takes 7 first doses):
 *   draw 1 at J 06:00, window J .. J + 2: the doses (6) bound it; all six
 *   go online registrants on J (6 of 7 bookable, more than the 5 seats); the
 *   phone registrant L-01 may not have a first dose before J + 3 and stays
 *   waiting;
 *   draw 2 at J 07:00, window J .. J + 6, 10 doses more: J's last bookable
 *   appointment, then J + 1 for the online people; L-01 on J + 3. */
static void test_lead_days_and_overbooking(vaxalloc_campaign* c) {
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_slot_v2 slots[2];
  size_t count = 0;
  uint32_t version = 0, k, on_j = 0, on_j1 = 0;
  int64_t doses = -1;

  expect_slot(c, J, 5, 7, 0);
  /* The caller buffer convention. */
  EXPECT_FAILS(c, vaxalloc_slots_v2(c, 1, 1, J, NULL, 0, &count), VAXALLOC_EBUFFER);
  EXPECT_EQ(count, 1);
  EXPECT_FAILS(c, vaxalloc_slots_v2(c, 1, 1, J, slots, 2, NULL), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_slots_v2(c, 1, 1, J, NULL, 2, &count), VAXALLOC_EINVALID);
  EXPECT_OK(vaxalloc_slots_v2(c, 1, 1, J - 1, slots, 2, &count)); /* no capacity: none */
  EXPECT_EQ(count, 0);

  request.seed_k0 = 1;
  request.at = at(J, 6, 0);
  request.first_dose_from = J;
  request.first_dose_until = J + 2;
  EXPECT_OK(vaxalloc_draw(c, &request, &info));
  EXPECT_EQ(info.policy_version, 4);
  EXPECT_EQ(info.series_count, 6);
  EXPECT_EQ(info.tiers[3].eligible, 10);
  EXPECT_EQ(info.tiers[3].assigned, 6);
  expect_registrant(c, 1, VAXALLOC_REGISTRANT_WAITING, VAXALLOC_NO_ID);
  for (k = 2; k <= 10; ++k) {
    vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
    EXPECT_OK(vaxalloc_registrant_get(c, k, &registrant));
    if (registrant.status == VAXALLOC_REGISTRANT_SCHEDULED) {
      EXPECT_EQ(first_dose_day(c, k), J);
      ++on_j;
    }
  }
  EXPECT_EQ(on_j, 6);
  expect_slot(c, J, 5, 7, 6); /* overbooked, and short of the bound: no doses left */
  EXPECT_OK(vaxalloc_doses_available(c, 1, 1, J, &doses));
  EXPECT_EQ(doses, 0);

  delivery.center = 1;
  delivery.vaccine = 1;
  delivery.day = J - 30;
  delivery.doses = 10;
  EXPECT_OK(vaxalloc_supply_add(c, &delivery));
  request.seed_k0 = 2;
  request.at = at(J, 7, 0);
  request.first_dose_until = J + 6;
  EXPECT_OK(vaxalloc_draw(c, &request, &info));
  EXPECT_EQ(info.series_count, 4);
  EXPECT_EQ(first_dose_day(c, 1), J + 3); /* the phone registrant: not before J + 3 */
  on_j = on_j1 = 0;
  for (k = 2; k <= 10; ++k) {
    const int32_t day = first_dose_day(c, k);
    on_j += day == J;
    on_j1 += day == J + 1;
  }
  EXPECT_EQ(on_j, 7);
  EXPECT_EQ(on_j1, 2);
  expect_slot(c, J, 5, 7, 7); /* full with its overbooking */
  expect_slot(c, J + 1, 5, 7, 2);
  expect_slot(c, J + 2, 5, 7, 0);
  expect_slot(c, J + 3, 5, 7, 1);

  /* Without overbooking the slots take their seats again; J keeps its 7. */
  EXPECT_OK(vaxalloc_policy_init(&policy, VAXALLOC_POLICY_VERSION));
  policy.draw_lead_days_phone = 3;
  EXPECT_OK(vaxalloc_policy_set(c, &policy, &version));
  EXPECT_EQ(version, 5);
  expect_slot(c, J, 5, 5, 7);
  expect_slot(c, J + 1, 5, 5, 2);
}

/* The pending events after `after_id` (at most 8) into page[]; returns how many. */
static size_t pending_v2(vaxalloc_campaign* c, uint64_t after_id, vaxalloc_event_v2 page[8]) {
  size_t count = 0;
  EXPECT_OK(vaxalloc_pending_events_v2(c, after_id, page, 8, &count));
  return count;
}

static uint64_t last_event_id(vaxalloc_campaign* c) {
  vaxalloc_event_v2 page[8];
  uint64_t last = 0;
  size_t count;
  while ((count = pending_v2(c, last, page)) > 0) last = page[count - 1].id;
  return last;
}

static void expect_erased(vaxalloc_campaign* c, uint32_t id, uint32_t district,
                          int64_t registered) {
  vaxalloc_registrant registrant;
  memset(&registrant, 0x5a, sizeof registrant);
  EXPECT_OK(vaxalloc_registrant_init(&registrant, VAXALLOC_REGISTRANT_VERSION));
  EXPECT_OK(vaxalloc_registrant_get(c, id, &registrant));
  EXPECT_EQ(registrant.id, id);
  EXPECT_EQ(registrant.erased, 1);
  EXPECT_EQ(registrant.status, VAXALLOC_REGISTRANT_WITHDRAWN);
  EXPECT_STR(registrant.external_ref, "");
  EXPECT_EQ(registrant.birth_day, 0); /* 1970-01-01 */
  EXPECT_EQ(registrant.series, VAXALLOC_NO_ID);
  /* What the statistics need stays. */
  EXPECT_EQ(registrant.district, district);
  EXPECT_EQ(registrant.registered_at, registered);
}

/* Deleting registrations after the draws (registrant 1, L-01, is scheduled
 * on J + 3): errors first, then a scheduled registrant, a withdrawn one and
 * a deletion by a withdrawal code. */
static void test_registrant_delete(vaxalloc_campaign* c) {
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  vaxalloc_code_request request = VAXALLOC_CODE_REQUEST_INIT;
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  vaxalloc_event_v2 page[8];
  char digits[VAXALLOC_VERIFICATION_CODE_SIZE];
  uint32_t id = 0, series = 0, code_id = 0, withdrawn = 0, waiting = 0;
  int32_t outcome = -1;
  uint64_t last = 0, violations = 1;
  char* text = NULL;
  size_t count;

  EXPECT_OK(vaxalloc_registrant_get(c, 1, &registrant));
  EXPECT_EQ(registrant.erased, 0);
  EXPECT_STR(registrant.external_ref, "L-01");
  series = registrant.series;
  last = last_event_id(c);

  /* Refused: nothing changes, no event. */
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 0, at(J, 9, 0)), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 99, at(J, 9, 0)), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 1, VAXALLOC_TIME_INFINITE_FUTURE),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 1, at(ymd(2201, 1, 1), 0, 0)), VAXALLOC_ERANGE);
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 1, at(J, 6, 30)), /* before draw 2 */
               VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "latest draw") != NULL);
  EXPECT_EQ(pending_v2(c, last, page), 0);

  /* A scheduled registrant: withdrawn (series cancelled, two events), then
   * erased; the reference is free at once. */
  EXPECT_OK(vaxalloc_registrant_delete(c, 1, at(J, 9, 0)));
  expect_erased(c, 1, 1, at(J - 10, 9, 0));
  expect_series_status(c, series, VAXALLOC_SERIES_CANCELLED);
  expect_slot(c, J + 3, 5, 5, 0);
  count = pending_v2(c, last, page);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(page[0].kind, VAXALLOC_EVENT_SERIES_CANCELLED);
  EXPECT_EQ(page[0].registrant, 1);
  EXPECT_EQ(page[0].series, series);
  EXPECT_EQ(page[0].at, at(J, 9, 0));
  EXPECT_EQ(page[1].kind, VAXALLOC_EVENT_REGISTRANT_WITHDRAWN);
  EXPECT_EQ(page[1].registrant, 1);
  EXPECT_EQ(page[1].series, series);
  last = page[1].id;
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, "L-01", &id), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, "", &id), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(c, vaxalloc_withdraw(c, 1, at(J, 9, 5)), VAXALLOC_EPRECONDITION);

  /* Deleting again: EPRECONDITION, naming the deletion. */
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 1, at(J, 9, 10)), VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "already deleted") != NULL);

  /* The reference registers again, as a new person. */
  spec.external_ref = "L-01";
  spec.district = 1;
  spec.birth_day = ymd(1961, 2, 2);
  spec.channel = VAXALLOC_CHANNEL_PHONE;
  spec.registered_at = at(J, 9, 15);
  EXPECT_OK(vaxalloc_register(c, &spec, &id));
  EXPECT_EQ(id, 11);
  EXPECT_OK(vaxalloc_registrant_find(c, "L-01", &id));
  EXPECT_EQ(id, 11);
  EXPECT_OK(vaxalloc_registrant_get(c, 11, &registrant));
  EXPECT_EQ(registrant.erased, 0);
  EXPECT_EQ(registrant.birth_day, ymd(1961, 2, 2));

  /* A withdrawn registrant: only erased, no event; and that is not tied to
   * the latest draw (nothing about the campaign changes). */
  EXPECT_OK(vaxalloc_registrant_get(c, 2, &registrant));
  EXPECT_OK(vaxalloc_withdraw(c, 2, at(J, 9, 20)));
  last = last_event_id(c);
  EXPECT_OK(vaxalloc_registrant_delete(c, 2, at(J, 9, 30)));
  expect_erased(c, 2, 1, at(J - 10, 9, 0));
  EXPECT_EQ(pending_v2(c, last, page), 0);
  EXPECT_FAILS(c, vaxalloc_registrant_delete(c, 2, at(J, 9, 40)), VAXALLOC_EPRECONDITION);

  /* A withdrawal code deletes the registration too (0.3): the new L-01. */
  request.registrant = 11;
  request.purpose = VAXALLOC_CODE_PURPOSE_WITHDRAW;
  request.at = at(J, 10, 0);
  EXPECT_OK(vaxalloc_code_issue(c, &request, &code_id, digits, sizeof digits));
  EXPECT_OK(vaxalloc_code_verify(c, code_id, digits, at(J, 10, 5), &outcome));
  EXPECT_EQ(outcome, VAXALLOC_CODE_OUTCOME_ACCEPTED);
  expect_erased(c, 11, 1, at(J, 9, 15));
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, "L-01", &id), VAXALLOC_ENOTFOUND);

  /* The counts keep the deleted registrations (as withdrawn). */
  EXPECT_OK(vaxalloc_report_get(c, &report));
  EXPECT_U64(report.registrants, 11);
  for (id = 1; id <= 11; ++id) {
    EXPECT_OK(vaxalloc_registrant_get(c, id, &registrant));
    withdrawn += registrant.status == VAXALLOC_REGISTRANT_WITHDRAWN;
    waiting += registrant.status == VAXALLOC_REGISTRANT_WAITING;
  }
  EXPECT_EQ(withdrawn, 3);
  EXPECT_U64(report.withdrawn, 3);
  EXPECT_U64(report.waiting, waiting);
  EXPECT_OK(vaxalloc_check_invariants(c, &violations, &text));
  EXPECT_EQ(violations, 0);
  if (violations != 0 && text != NULL) fprintf(stderr, "%s\n", text);
  vaxalloc_free(text);
}

/* After reopening: the erasure was committed; a 0.2 caller's registrant
 * (version 2), whose padding holds the byte where version 3 keeps `erased`,
 * and a 0.1 caller's are written within their sizes. */
static void test_erased_reopened(vaxalloc_campaign* c) {
  guarded_registrant_v2 old_registrant;
  guarded_registrant old_v1;
  uint32_t id = 0;

  expect_erased(c, 1, 1, at(J - 10, 9, 0));
  expect_erased(c, 2, 1, at(J - 10, 9, 0));
  expect_erased(c, 11, 1, at(J, 9, 15));
  EXPECT_FAILS(c, vaxalloc_registrant_find(c, "L-01", &id), VAXALLOC_ENOTFOUND);
  EXPECT_OK(vaxalloc_registrant_find(c, "L-03", &id));
  EXPECT_EQ(id, 3);

  EXPECT_EQ(sizeof(registrant_v2), 192);
  memset(&old_registrant, CANARY_BYTE, sizeof old_registrant);
  EXPECT_OK(vaxalloc_registrant_init((vaxalloc_registrant*)&old_registrant.value, 2));
  EXPECT_EQ(old_registrant.value.version, 2);
  EXPECT_EQ(old_registrant.value.standby, 0);
  EXPECT(canary_intact(old_registrant.canary));
  EXPECT_OK(vaxalloc_registrant_get(c, 1, (vaxalloc_registrant*)&old_registrant.value));
  EXPECT_EQ(old_registrant.value.version, 2);
  EXPECT_EQ(old_registrant.value.id, 1);
  EXPECT_STR(old_registrant.value.external_ref, "");
  EXPECT_EQ(old_registrant.value.status, VAXALLOC_REGISTRANT_WITHDRAWN);
  EXPECT_EQ(old_registrant.value.standby, 0);
  /* The padding after standby: version 3's `erased` (1 here) not written. */
  EXPECT_EQ(((const unsigned char*)&old_registrant.value)[189], CANARY_BYTE);
  EXPECT(canary_intact(old_registrant.canary));

  memset(&old_v1, CANARY_BYTE, sizeof old_v1);
  EXPECT_OK(vaxalloc_registrant_init((vaxalloc_registrant*)&old_v1.value, 1));
  EXPECT_OK(vaxalloc_registrant_get(c, 11, (vaxalloc_registrant*)&old_v1.value));
  EXPECT_EQ(old_v1.value.id, 11);
  EXPECT_STR(old_v1.value.external_ref, "");
  EXPECT_EQ(((const unsigned char*)&old_v1.value)[188], CANARY_BYTE); /* 0.2's standby */
  EXPECT(canary_intact(old_v1.canary));
}

static void test_lead_overbooking_and_deletion(const char* dir) {
  char path[1024];
  vaxalloc_campaign* c = NULL;

  snprintf(path, sizeof path, "%s/deletion.sqlite", dir);
  remove_campaign_files(path);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  lead_setup(c);
  test_policy_v3(c);
  test_lead_days_and_overbooking(c);
  test_registrant_delete(c);
  vaxalloc_campaign_close(c);

  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  test_erased_reopened(c);
  expect_slot(c, J, 5, 5, 7); /* policy 5, reloaded */
  vaxalloc_campaign_close(c);
  remove_campaign_files(path);
}

/* --- Threads: one handle, several threads -------------------------------------------------- */

enum { kThreads = 4, kPerThread = 25 };

typedef struct worker {
  vaxalloc_campaign* campaign;
  int index;
  int failures;
} worker;

static void* work(void* argument) {
  worker* w = (worker*)argument;
  vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  char ref[32];
  int i;
  spec.district = 1;
  spec.birth_day = -3650;
  spec.external_ref = ref;
  for (i = 0; i < kPerThread; ++i) {
    snprintf(ref, sizeof ref, "T%d-%02d", w->index, i);
    spec.registered_at = w->index * 1000 + i;
    if (vaxalloc_register(w->campaign, &spec, NULL) != VAXALLOC_OK) ++w->failures;
    if (vaxalloc_counts_get(w->campaign, &counts) != VAXALLOC_OK) ++w->failures;
    /* The thread's last error is its own, whatever the other threads do. */
    if (vaxalloc_register(w->campaign, &spec, NULL) != VAXALLOC_EEXISTS) ++w->failures;
    if (vaxalloc_last_error_code() != VAXALLOC_EEXISTS) ++w->failures;
    if (strstr(vaxalloc_last_error(), ref) == NULL) ++w->failures;
  }
  return NULL;
}

/* The journal: two handles on one file follow each other; the chain is
 * verified and its entries read; a read-only handle refuses changes; an
 * entry edited with SQLite directly is found. */
static void test_journal(const char* dir) {
  char path[1024];
  vaxalloc_open_options options = VAXALLOC_OPEN_OPTIONS_INIT;
  vaxalloc_campaign* portal = NULL;
  vaxalloc_campaign* reader = NULL;
  vaxalloc_journal_check check = VAXALLOC_JOURNAL_CHECK_INIT;
  vaxalloc_journal_entry entry = VAXALLOC_JOURNAL_ENTRY_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  uint64_t seq = 0, seq_reader = 0;
  uint32_t id = 0;
  sqlite3* db = NULL;

  snprintf(path, sizeof path, "%s/journal.sqlite", dir);
  remove_campaign_files(path);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &portal));
  EXPECT_OK(vaxalloc_journal_seq(portal, &seq));
  EXPECT_U64(seq, 1);
  EXPECT_OK(vaxalloc_journal_entry_get(portal, 1, &entry));
  EXPECT_STR(entry.op_name, "created");
  EXPECT_U64(entry.seq, 1);
  EXPECT(entry.args_size > 4 && entry.args != NULL);
  EXPECT_FAILS(portal, vaxalloc_journal_entry_get(portal, 2, &entry), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(portal, vaxalloc_journal_entry_get(portal, 0, &entry), VAXALLOC_ENOTFOUND);
  EXPECT_FAILS(portal, vaxalloc_journal_entry_get(portal, 1, NULL), VAXALLOC_EINVALID);
  EXPECT_FAILS(portal, vaxalloc_journal_seq(portal, NULL), VAXALLOC_EINVALID);

  options.read_only = 1;
  EXPECT_OK(vaxalloc_campaign_open(path, &options, &reader));
  EXPECT_OK(vaxalloc_district_add(portal, "06412", "Frankfurt am Main", &id));
  EXPECT_OK(vaxalloc_district_add(portal, "06411", "Darmstadt", &id));
  /* The reader's next call sees both, without reopening. */
  EXPECT_OK(vaxalloc_counts_get(reader, &counts));
  EXPECT_EQ(counts.districts, 2);
  EXPECT_OK(vaxalloc_district_find(reader, "06411", &id));
  EXPECT_EQ(id, 2);
  EXPECT_OK(vaxalloc_journal_seq(reader, &seq_reader));
  EXPECT_U64(seq_reader, 3);
  EXPECT_OK(vaxalloc_journal_entry_get(reader, 3, &entry));
  EXPECT_STR(entry.op_name, "add_district");
  EXPECT_EQ(entry.op, 3);
  EXPECT_FAILS(reader, vaxalloc_district_add(reader, "06413", "Offenbach", &id),
               VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "read-only") != NULL);
  EXPECT_FAILS(reader, vaxalloc_acknowledge_events(reader, 1), VAXALLOC_EPRECONDITION);
  EXPECT_OK(vaxalloc_campaign_refresh(reader));

  EXPECT_OK(vaxalloc_journal_verify(reader, &check));
  EXPECT_U64(check.entries, 3);
  EXPECT_U64(check.first_bad_seq, 0);
  EXPECT_OK(vaxalloc_journal_entry_get(portal, 3, &entry));
  EXPECT(memcmp(check.head, entry.hash, sizeof check.head) == 0);
  EXPECT_FAILS(reader, vaxalloc_journal_verify(reader, NULL), VAXALLOC_EINVALID);
  check.version = 99;
  EXPECT_FAILS(reader, vaxalloc_journal_verify(reader, &check), VAXALLOC_EVERSION);
  EXPECT_OK(vaxalloc_journal_check_init(&check, VAXALLOC_JOURNAL_CHECK_VERSION));
  EXPECT_OK(vaxalloc_journal_entry_init(&entry, VAXALLOC_JOURNAL_ENTRY_VERSION));

  /* Version 1 of the open options (0.1-0.3) still opens, read-write. */
  {
    vaxalloc_campaign* old = NULL;
    vaxalloc_open_options v1 = VAXALLOC_OPEN_OPTIONS_INIT;
    v1.version = 1;
    v1.read_only = 1; /* beyond a version-1 caller's struct: not read */
    EXPECT_OK(vaxalloc_campaign_open(path, &v1, &old));
    EXPECT_OK(vaxalloc_district_add(old, "06413", "Offenbach am Main", &id));
    EXPECT_EQ(id, 3);
    vaxalloc_campaign_close(old);
  }

  /* Entry 2 changed behind the library's back. */
  EXPECT(sqlite3_open(path, &db) == SQLITE_OK);
  EXPECT(sqlite3_exec(db, "UPDATE journal SET args = zeroblob(length(args)) WHERE seq = 2", NULL,
                      NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FAILS(reader, vaxalloc_journal_verify(reader, &check), VAXALLOC_ECORRUPT);
  EXPECT_U64(check.first_bad_seq, 2);
  EXPECT(strstr(failure_message, "entry 2 (add_district)") != NULL);
  vaxalloc_campaign_close(reader);
  options.read_only = 0;
  options.verify_journal = 1;
  reader = (vaxalloc_campaign*)&options;
  EXPECT_RC(vaxalloc_campaign_open(path, &options, &reader), VAXALLOC_ECORRUPT);
  EXPECT(reader == NULL);
  EXPECT(strstr(vaxalloc_last_error(), "journal is broken") != NULL);
  vaxalloc_campaign_close(portal);
}

/* Committed draws (0.5): commit without a seed, reveal with a beacon value,
 * the commitment and the bundle; refusals; a version-1 draw info; the
 * commitment survives reopening. */
static uint64_t read_le64(const uint8_t* bytes) {
  uint64_t value = 0;
  int i;
  for (i = 0; i < 8; ++i) value |= (uint64_t)bytes[i] << (8 * i);
  return value;
}

static void test_committed_draws(const char* dir) {
  char path[1024], bundle_path[1100];
  vaxalloc_campaign* c = NULL;
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  vaxalloc_draw_commitment commitment, again;
  vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  const uint8_t beacon_value[4] = {0xde, 0xad, 0xbe, 0xef};
  const uint32_t center_1[1] = {1};
  uint32_t centers[2] = {0, 0};
  uint8_t* bundle = NULL;
  size_t size = 0, count = 0;
  uint64_t input_bytes = 0;
  FILE* file = NULL;

  snprintf(path, sizeof path, "%s/committed.sqlite", dir);
  snprintf(bundle_path, sizeof bundle_path, "%s/committed.vxd", dir);
  remove_campaign_files(path);
  remove(bundle_path);
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  lead_setup(c);
  EXPECT_OK(vaxalloc_draw_commitment_init(&commitment, VAXALLOC_DRAW_COMMITMENT_VERSION));
  EXPECT_OK(vaxalloc_draw_commitment_init(&again, VAXALLOC_DRAW_COMMITMENT_VERSION));
  request.at = at(J - 7, 6, 0);
  request.first_dose_from = J;
  request.first_dose_until = J + 1;
  request.centers = center_1;
  request.center_count = 1;

  /* Refusals change nothing. */
  request.seed_k0 = 5;
  EXPECT_FAILS(c, vaxalloc_draw_commit(c, &request, "round 1", &commitment), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "carries a seed") != NULL);
  request.seed_k0 = 0;
  EXPECT_FAILS(c, vaxalloc_draw_commit(c, &request, NULL, &commitment), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_draw_commit(c, &request, "", &commitment), VAXALLOC_EINVALID);
  EXPECT(strstr(failure_message, "beacon is empty") != NULL);
  EXPECT_FAILS(c, vaxalloc_draw_reveal(c, 1, beacon_value, 4, request.at, &info),
               VAXALLOC_ENOTFOUND);

  EXPECT_OK(vaxalloc_draw_commit(c, &request, "drand quicknet round 7", &commitment));
  EXPECT_EQ(commitment.id, 1);
  EXPECT_EQ(commitment.status, VAXALLOC_COMMITMENT_PENDING);
  EXPECT_STR(commitment.beacon, "drand quicknet round 7");
  EXPECT(commitment.at == request.at && commitment.first_dose_until == J + 1);
  EXPECT_EQ(commitment.center_count, 1);
  EXPECT(commitment.input_bytes > 100);
  EXPECT(commitment.settled_at == VAXALLOC_TIME_INFINITE_PAST);
  input_bytes = commitment.input_bytes;
  EXPECT_OK(vaxalloc_draw_commitment_centers(c, 1, centers, 2, &count));
  EXPECT(count == 1 && centers[0] == 1);
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.draw_commitments, 1);
  /* One pending at a time; no plain draw meanwhile; no bundle yet. */
  EXPECT_FAILS(c, vaxalloc_draw_commit(c, &request, "round 8", NULL), VAXALLOC_EPRECONDITION);
  request.seed_k0 = 9;
  EXPECT_FAILS(c, vaxalloc_draw(c, &request, &info), VAXALLOC_EPRECONDITION);
  request.seed_k0 = 0;
  EXPECT_FAILS(c, vaxalloc_draw_bundle(c, 1, NULL, 0, &size), VAXALLOC_EPRECONDITION);
  EXPECT_FAILS(c, vaxalloc_draw_reveal(c, 1, NULL, 4, request.at, &info), VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_draw_reveal(c, 1, beacon_value, 0, request.at, &info),
               VAXALLOC_EINVALID);
  EXPECT_FAILS(c, vaxalloc_draw_reveal(c, 1, beacon_value, 4, request.at - 1, &info),
               VAXALLOC_EINVALID);

  /* A version-1 draw info (0.1-0.4) gets everything but `commitment`. */
  info.version = 1;
  info.commitment = 77;
  EXPECT_OK(vaxalloc_draw_reveal(c, 1, beacon_value, 4, request.at + 60, &info));
  EXPECT_EQ(info.id, 1);
  EXPECT_EQ(info.commitment, 77);
  EXPECT(info.tiers[3].assigned > 0);
  EXPECT_OK(vaxalloc_draw_info_init(&info, VAXALLOC_DRAW_INFO_VERSION));
  EXPECT_OK(vaxalloc_draw_get(c, 1, &info));
  EXPECT_EQ(info.commitment, 1);
  EXPECT_FAILS(c, vaxalloc_draw_reveal(c, 1, beacon_value, 4, request.at + 60, &info),
               VAXALLOC_EPRECONDITION);
  EXPECT(strstr(failure_message, "already revealed as draw 1") != NULL);

  EXPECT_OK(vaxalloc_draw_commitment_get(c, 1, &again));
  EXPECT_EQ(again.status, VAXALLOC_COMMITMENT_REVEALED);
  EXPECT_EQ(again.draw, 1);
  EXPECT(again.beacon_value_size == 4 && memcmp(again.beacon_value, beacon_value, 4) == 0);
  EXPECT(again.seed_k0 == info.seed_k0 && again.seed_k1 == info.seed_k1);
  EXPECT(again.settled_at == request.at + 60);
  EXPECT(memcmp(again.commitment, commitment.commitment, VAXALLOC_COMMITMENT_BYTES) == 0);

  /* The bundle: magic, the inputs, the commitment, the beacon value, the seed. */
  EXPECT_FAILS(c, vaxalloc_draw_bundle(c, 1, NULL, 0, &size), VAXALLOC_EBUFFER);
  EXPECT(size > input_bytes + 8 + 8 + 32 + 4 + 4 + 16);
  bundle = (uint8_t*)malloc(size);
  EXPECT(bundle != NULL);
  if (bundle != NULL) {
    EXPECT_OK(vaxalloc_draw_bundle(c, 1, bundle, size, &count));
    EXPECT(count == size);
    EXPECT(memcmp(bundle, "VXDRAWB1", 8) == 0);
    EXPECT(read_le64(bundle + 8) == input_bytes);
    EXPECT(memcmp(bundle + 16, "VXDRAWI1", 8) == 0);
    EXPECT(memcmp(bundle + 16 + input_bytes, commitment.commitment, 32) == 0);
    EXPECT(bundle[16 + input_bytes + 32] == 4);
    EXPECT(memcmp(bundle + 16 + input_bytes + 36, beacon_value, 4) == 0);
    EXPECT(read_le64(bundle + 16 + input_bytes + 40) == info.seed_k0);
    EXPECT(read_le64(bundle + 16 + input_bytes + 48) == info.seed_k1);
  }
  EXPECT_OK(vaxalloc_draw_bundle_write(c, 1, bundle_path));
  file = fopen(bundle_path, "rb");
  EXPECT(file != NULL);
  if (file != NULL && bundle != NULL) {
    uint8_t* read = (uint8_t*)malloc(size + 1);
    EXPECT(read != NULL && fread(read, 1, size + 1, file) == size && memcmp(read, bundle, size) == 0);
    free(read);
  }
  if (file != NULL) fclose(file);
  EXPECT_FAILS(c, vaxalloc_draw_bundle_write(c, 1, "/nonexistent-dir/x.vxd"), VAXALLOC_ERROR);
  EXPECT(strstr(failure_message, "/nonexistent-dir/x.vxd") != NULL);
  EXPECT_FAILS(c, vaxalloc_draw_bundle_write(c, 1, NULL), VAXALLOC_EINVALID);

  /* The chi-square check: ten people give no tier enough winners and losers. */
  {
    vaxalloc_draw_fairness fairness = {0};
    EXPECT_FAILS(c, vaxalloc_draw_check_fairness(c, 1, 10, &fairness), VAXALLOC_EVERSION);
    EXPECT_OK(vaxalloc_draw_fairness_init(&fairness, VAXALLOC_DRAW_FAIRNESS_VERSION));
    EXPECT_OK(vaxalloc_draw_check_fairness(c, 1, 10, &fairness));
    EXPECT_EQ(fairness.commitment, 1);
    EXPECT_EQ(fairness.tier_count, 0);
    EXPECT(fairness.p_value == 1.0 && fairness.degrees_of_freedom == 0);
    EXPECT_FAILS(c, vaxalloc_draw_check_fairness(c, 1, 1, &fairness), VAXALLOC_EINVALID);
    EXPECT_FAILS(c, vaxalloc_draw_check_fairness(c, 7, 10, &fairness), VAXALLOC_ENOTFOUND);
  }

  /* A second commitment, abandoned. */
  request.at = at(J - 6, 6, 0);
  EXPECT_OK(vaxalloc_draw_commit(c, &request, "round 9", NULL));
  EXPECT_FAILS(c, vaxalloc_draw_abandon(c, 2, "", request.at), VAXALLOC_EINVALID);
  EXPECT_OK(vaxalloc_draw_abandon(c, 2, "the beacon failed", request.at + 1));
  EXPECT_FAILS(c, vaxalloc_draw_abandon(c, 2, "again", request.at + 2), VAXALLOC_EPRECONDITION);
  vaxalloc_campaign_close(c);

  /* Reopened: the same commitments and the same bundle. */
  c = NULL;
  EXPECT_OK(vaxalloc_campaign_open(path, NULL, &c));
  EXPECT_OK(vaxalloc_draw_commitment_get(c, 2, &again));
  EXPECT_EQ(again.status, VAXALLOC_COMMITMENT_ABANDONED);
  EXPECT_STR(again.abandon_reason, "the beacon failed");
  EXPECT_EQ(again.abandoned_unchanged, 1); /* nothing changed: it could have been revealed */
  EXPECT_STR(again.library_version, VAXALLOC_VERSION_STRING);
  if (bundle != NULL) {
    uint8_t* reread = (uint8_t*)malloc(size);
    EXPECT(reread != NULL);
    if (reread != NULL) {
      EXPECT_OK(vaxalloc_draw_bundle(c, 1, reread, size, &count));
      EXPECT(count == size && memcmp(reread, bundle, size) == 0);
    }
    free(reread);
  }
  free(bundle);
  vaxalloc_campaign_close(c);
  remove_campaign_files(path);
  remove(bundle_path);
}

static void test_threads(void) {
  vaxalloc_campaign* c = NULL;
  pthread_t threads[kThreads];
  worker workers[kThreads];
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_registrant registrant = VAXALLOC_REGISTRANT_INIT;
  uint32_t id;
  int i;

  EXPECT_OK(vaxalloc_campaign_open(":memory:", NULL, &c));
  EXPECT_OK(vaxalloc_district_add(c, "06412", "Frankfurt am Main", NULL));
  for (i = 0; i < kThreads; ++i) {
    workers[i].campaign = c;
    workers[i].index = i;
    workers[i].failures = 0;
    EXPECT_EQ(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
  }
  for (i = 0; i < kThreads; ++i) {
    EXPECT_EQ(pthread_join(threads[i], NULL), 0);
    EXPECT_EQ(workers[i].failures, 0);
  }
  EXPECT_OK(vaxalloc_counts_get(c, &counts));
  EXPECT_EQ(counts.registrants, kThreads * kPerThread);
  for (id = 1; id <= counts.registrants; ++id) {
    EXPECT_OK(vaxalloc_registrant_get(c, id, &registrant));
    EXPECT_EQ(registrant.id, id);
  }
  vaxalloc_campaign_close(c);
}

static int make_directory(const char* path) { return mkdir(path, 0755) == 0 || errno == EEXIST; }

int main(int argc, char** argv) {
  vaxalloc_campaign* c = NULL;
  const char* dir = argc > 1 ? argv[1] : "c_api_test_files";
  if (!make_directory(dir)) {
    perror(dir);
    return 2;
  }
  J = ymd(2021, 6, 14);

  test_versions_and_errors();
  test_days();
  test_seeds();
  test_init();
  test_null_handle();

  EXPECT_OK(vaxalloc_campaign_open(":memory:", NULL, &c));
  EXPECT_STR(vaxalloc_campaign_path(c), ":memory:");
  test_districts(c);
  test_vaccines(c);
  test_centers(c);
  test_capacity_and_supply(c);
  test_policy(c);
  test_registrants(c);
  test_draws(c);
  test_queries(c);
  test_cancellation(c);
  test_events(c);
  test_report(c);
  test_old_struct_versions(c);
  vaxalloc_campaign_close(c);

  test_files(dir);
  test_event_files(dir);
  test_booking(dir);
  test_standby_and_codes(dir);
  test_lead_overbooking_and_deletion(dir);
  test_journal(dir);
  test_committed_draws(dir);
  test_forecast();
  test_threads();

  if (failures != 0) {
    fprintf(stderr, "c_api_test: %d of %d checks FAILED\n", failures, checks);
    return 1;
  }
  printf("c_api_test: all %d checks passed\n", checks);
  return 0;
}
