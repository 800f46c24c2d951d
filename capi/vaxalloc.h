/*
 * vaxalloc.h: the stable C ABI of vaxalloc (libvaxalloc.so).
 *
 * vaxalloc allocates scarce vaccination appointments: districts, vaccines,
 * centers with capacity and supply, a tiering policy, registrants on a
 * waiting list, reproducible lottery draws that book first and second doses
 * together, scheduled releases for first-come self-booking (with holds), a
 * short-notice pool, a same-day standby list, one-time verification codes
 * for online cancellation, attendance (doses given or missed), draws with a
 * lead time per channel, overbooking, and the deletion of a registration at
 * the person's request. This header is
 * the whole C interface; anything not declared here is not public C API. It
 * is valid C11 and C++ (C++11 or later).
 *
 * ---------------------------------------------------------------------------
 * CONVENTIONS (they hold for every function unless its comment says otherwise)
 * ---------------------------------------------------------------------------
 *
 * Names. Every name starts with vaxalloc_ (functions, types) or VAXALLOC_
 *   (macros, constants, enumerators).
 *
 * Handle. A campaign is an opaque vaxalloc_campaign*, created by
 *   vaxalloc_campaign_open() and destroyed by vaxalloc_campaign_close().
 *   It wraps a persistent campaign (one SQLite file); every change is committed
 *   to the file before the call returns. The path ":memory:" opens a
 *   campaign that lives only as long as the handle.
 *
 * Results. Every function that can fail returns int: VAXALLOC_OK (0) on
 *   success or a negative VAXALLOC_E* code (the list below; the numbers never
 *   change). Each function documents the codes a caller should expect;
 *   VAXALLOC_ENOMEM, VAXALLOC_EINTERNAL and VAXALLOC_ERROR may come from any
 *   of them, and VAXALLOC_EBUSY, VAXALLOC_ECORRUPT, VAXALLOC_EPERM and
 *   VAXALLOC_EEXHAUSTED from any function that changes a campaign (they
 *   come from the file). The message of the last error is available from
 *     - vaxalloc_last_error(): thread-local, set by every int-returning
 *       function (also those with a handle) on the calling thread;
 *     - vaxalloc_campaign_errmsg(handle): the last int-returning call on that
 *       handle, from any thread.
 *   Both are cleared (code VAXALLOC_OK, message "") by a successful call.
 *   vaxalloc_errstr(code) names any code. No C++ exception ever crosses this
 *   interface; an out-of-memory condition is VAXALLOC_ENOMEM.
 *
 * Failed calls change nothing. When a function fails, the campaign and every
 *   output parameter are as they were before the call, with these stated
 *   exceptions: the count of a VAXALLOC_EBUFFER result (see "Caller
 *   buffers"); the pointer outputs of vaxalloc_campaign_open() and
 *   vaxalloc_check_invariants(), which are set to NULL; and
 *   vaxalloc_code_verify(), whose refusal of a code still writes the outcome
 *   and, for a wrong code, commits the attempt (that is what limits guessing).
 *
 * Argument order. The handle first, then inputs, then outputs.
 *   A NULL handle, a NULL required pointer, an enum value outside its
 *   enumerators or a struct whose version field is 0 or unknown is rejected
 *   (VAXALLOC_EINVALID; VAXALLOC_EVERSION for the version) before anything
 *   else happens. Optional pointers are marked "may be NULL".
 *
 * Ownership.
 *   - Input pointers (strings, arrays, structs) are borrowed for the duration
 *     of the call only: the library copies what it keeps and never holds on
 *     to a caller's pointer after returning.
 *   - Input strings are NUL-terminated UTF-8.
 *   - Strings the library returns come in one of three forms, each named at
 *     the function:
 *       (a) a fixed char array inside an output struct (e.g.
 *           char code[VAXALLOC_CODE_SIZE]), always NUL-terminated;
 *       (b) a library-allocated string (char** out) that the caller must free
 *           with vaxalloc_free() and nothing else;
 *       (c) a borrowed const char* (vaxalloc_version(), vaxalloc_errstr(),
 *           vaxalloc_last_error(), vaxalloc_campaign_errmsg(),
 *           vaxalloc_campaign_path()) that the caller must not free; its
 *           lifetime is stated at the function.
 *
 * Caller buffers. Variable-length results (the series of a draw, the slots
 *   of a day, ...) are copied into an array the caller provides:
 *       int f(..., T* out, size_t capacity, size_t* count_out);
 *   On success *count_out is the number of elements written. If capacity is
 *   smaller than the result, nothing is written, *count_out is set to the
 *   number needed and the call returns VAXALLOC_EBUFFER; call again with a
 *   large enough array. out may be NULL when capacity is 0 (to ask for the
 *   size); count_out must not be NULL. (One exception, said at the function:
 *   vaxalloc_pending_events() reads a queue in pages of `capacity`.)
 *
 * Growing structs. Every struct passed singly by pointer (options, specs,
 *   results) starts with `uint32_t version`, the layout the caller was
 *   compiled with. Initialize it with the VAXALLOC_X_INIT macro, or with
 *   vaxalloc_x_init(&x, VAXALLOC_X_VERSION) from languages without C macros;
 *   both also set the documented defaults. Future versions only append fields
 *   and bump VAXALLOC_X_VERSION; the library accepts every version up to its
 *   own and rejects newer ones (and 0) with VAXALLOC_EVERSION. This applies to
 *   output structs too: the library writes only the fields of the version
 *   the caller declares.
 *   A caller compiled against an older header keeps its older, smaller
 *   struct and its version number: the library reads and writes only the
 *   bytes of that version (the fields it lacks take their defaults on input).
 *   Structs used as array elements (vaxalloc_tier_rule, vaxalloc_reserve,
 *   vaxalloc_neighbour_pair, vaxalloc_appointment, vaxalloc_tier_count,
 *   vaxalloc_slot, vaxalloc_slot_v2, vaxalloc_second_dose_shortfall,
 *   vaxalloc_center_report, vaxalloc_event, vaxalloc_event_v2,
 *   vaxalloc_day_attendance, vaxalloc_tier_forecast, vaxalloc_tier_fairness)
 *   carry no version and are frozen: their layout never changes. A new field
 *   there means a new struct and a new function with a _v2 suffix; the old
 *   ones keep working (vaxalloc_event_v2 with vaxalloc_pending_events_v2(),
 *   and vaxalloc_slot_v2 with vaxalloc_slots_v2(), are such pairs). vaxalloc_register_batch() takes an array of pointers to specs,
 *   not of specs, so vaxalloc_registrant_spec is passed singly and grows.
 *
 * Ids. Plain uint32_t, assigned densely from 1 in order of creation and never
 *   reused; 0 (VAXALLOC_NO_ID) means "none". The same sequence of calls gives
 *   the same ids on every platform.
 *
 * Time. An instant is int64_t seconds since 1970-01-01 00:00:00 UTC (Unix
 *   time, no leap seconds); the library never reads the clock, callers pass
 *   "now". VAXALLOC_TIME_INFINITE_FUTURE / _PAST (INT64_MAX / INT64_MIN) stand
 *   for "no bound" where a field says so. The core keeps microseconds; an
 *   instant stored through the C++ API with a fraction of a second reads back
 *   here rounded down to the second.
 *   A civil day (a date without time zone) is int32_t days since 1970-01-01
 *   (1970-01-02 is 1, 1969-12-31 is -1): see vaxalloc_day_from_ymd() and
 *   vaxalloc_day_to_ymd(). A time of day is int32_t minutes after local
 *   midnight (0..1440); "local" is the policy's time zone (UTC by default).
 *   A duration (the policy's holds, a code's lifetime) is int64_t whole
 *   seconds.
 *
 * Booleans are uint8_t (0 false, anything else true).
 *
 * Threads. Every function is thread-safe. A handle may be used from several
 *   threads at once: each call on a handle takes the handle's internal mutex,
 *   so calls on one handle run one after another (a long draw blocks the
 *   others on that handle); calls on different handles run in parallel.
 *   vaxalloc_campaign_close() must not race with other calls on the same
 *   handle. With several threads on one handle, read errors with
 *   vaxalloc_last_error() (thread-local); vaxalloc_campaign_errmsg() shows
 *   whichever call on the handle finished last (it waits for a call in
 *   progress on the handle).
 *
 * Versions. VAXALLOC_VERSION_NUMBER is the version this header belongs to;
 *   vaxalloc_version_number() is the library actually loaded. Functions are
 *   only ever added within a major version (the shared library's SONAME is
 *   libvaxalloc.so.MAJOR), so a program built against X.Y runs with any X.Z,
 *   Z >= Y. Check it at start-up:
 *       assert(vaxalloc_version_number() / 1000000 == VAXALLOC_VERSION_MAJOR);
 *       assert(vaxalloc_version_number() >= VAXALLOC_VERSION_NUMBER);
 */
#ifndef VAXALLOC_C_H_
#define VAXALLOC_C_H_

#include <stddef.h>
#include <stdint.h>

/* VAXALLOC_API marks the exported functions. Defined to the default
 * visibility while building libvaxalloc (compiled with -fvisibility=hidden),
 * and to nothing for users of the library. */
#if defined(VAXALLOC_BUILDING_LIBRARY) && defined(__GNUC__)
#define VAXALLOC_API __attribute__((visibility("default")))
#else
#define VAXALLOC_API
#endif

/* C++ sees every function as noexcept: no exception ever leaves the library. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define VAXALLOC_NOEXCEPT noexcept
#else
#define VAXALLOC_NOEXCEPT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Versions
 * ======================================================================== */

/* The same values as include/vaxalloc/version.h (the library checks at
 * compile time that both agree). */
#define VAXALLOC_VERSION_MAJOR 0
#define VAXALLOC_VERSION_MINOR 6
#define VAXALLOC_VERSION_PATCH 0
#define VAXALLOC_VERSION_STRING "0.6.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH. */
#define VAXALLOC_VERSION_NUMBER \
  (VAXALLOC_VERSION_MAJOR * 1000000 + VAXALLOC_VERSION_MINOR * 1000 + VAXALLOC_VERSION_PATCH)

/* The version of the library loaded, "MAJOR.MINOR.PATCH". Returns a static
 * string: never NULL, never to be freed. Never fails. */
VAXALLOC_API const char* vaxalloc_version(void) VAXALLOC_NOEXCEPT;

/* The version of the library loaded as MAJOR * 1000000 + MINOR * 1000 +
 * PATCH; compare with VAXALLOC_VERSION_NUMBER (see CONVENTIONS). Never fails. */
VAXALLOC_API int32_t vaxalloc_version_number(void) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Result codes
 * ======================================================================== */

/* Stable numbers: a code keeps its number forever; new codes get new numbers. */
typedef enum vaxalloc_result {
  VAXALLOC_OK = 0,
  VAXALLOC_ERROR = -1,         /* a failure that fits no other code */
  VAXALLOC_EINVALID = -2,      /* an argument is invalid (NULL, empty, too long, bad enum) */
  VAXALLOC_ENOTFOUND = -3,     /* no entity has that id, code or reference */
  VAXALLOC_EEXISTS = -4,       /* the code, reference or seed is already taken */
  VAXALLOC_EPRECONDITION = -5, /* the campaign is not in a state that allows it */
  VAXALLOC_EEXHAUSTED = -6,    /* ids, disk space, free seats for a booking or
                                  another resource ran out */
  VAXALLOC_EBUSY = -7,         /* the file is locked by another connection or
                                  unavailable (I/O); retrying may succeed */
  VAXALLOC_ECORRUPT = -8,      /* the file is corrupt or not a campaign */
  VAXALLOC_ENOMEM = -9,        /* out of memory */
  VAXALLOC_ERANGE = -10,       /* a value lies outside its allowed range */
  VAXALLOC_EBUFFER = -11,      /* the caller's buffer is too small */
  VAXALLOC_EVERSION = -12,     /* a struct version this library does not know */
  VAXALLOC_EINTERNAL = -13,    /* a bug in vaxalloc; please report it */
  VAXALLOC_EPERM = -14,        /* the file may not be written (read-only, permissions) */
  VAXALLOC_EVERIFY = -15       /* a verification code was not accepted: wrong, expired
                                  or locked (vaxalloc_code_verify(); since 0.2) */
} vaxalloc_result;

/* A short English name of a result code, e.g. "not found" for
 * VAXALLOC_ENOTFOUND; "unknown result code" for a number that is none.
 * Returns a static string: never NULL, never to be freed. Never fails. */
VAXALLOC_API const char* vaxalloc_errstr(int code) VAXALLOC_NOEXCEPT;

/* The message of the last int-returning call made on this thread, handle or
 * not: "" after a success. Never NULL. The string belongs to the library and
 * stays valid until the next vaxalloc call on this thread; do not free it. */
VAXALLOC_API const char* vaxalloc_last_error(void) VAXALLOC_NOEXCEPT;

/* The result code of the last int-returning call made on this thread. */
VAXALLOC_API int vaxalloc_last_error_code(void) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Memory
 * ======================================================================== */

/* Frees memory the library allocated and handed over (the char** outputs).
 * vaxalloc_free(NULL) does nothing. Do not free such memory with free(), and
 * do not pass memory that did not come from the library. Never fails. */
VAXALLOC_API void vaxalloc_free(void* pointer) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Constants, enumerations and limits
 * ======================================================================== */

#define VAXALLOC_NO_ID 0u
#define VAXALLOC_TIME_INFINITE_FUTURE INT64_MAX
#define VAXALLOC_TIME_INFINITE_PAST INT64_MIN

/* Lengths in bytes without the terminating NUL; the *_SIZE constants are the
 * sizes of the char arrays in output structs. */
#define VAXALLOC_CODE_LENGTH_MAX 64
#define VAXALLOC_NAME_LENGTH_MAX 256
#define VAXALLOC_EXTERNAL_REF_LENGTH_MAX 128
#define VAXALLOC_CODE_SIZE (VAXALLOC_CODE_LENGTH_MAX + 1)
#define VAXALLOC_NAME_SIZE (VAXALLOC_NAME_LENGTH_MAX + 1)
#define VAXALLOC_EXTERNAL_REF_SIZE (VAXALLOC_EXTERNAL_REF_LENGTH_MAX + 1)
/* A seed as text: 32 hex digits and the NUL. */
#define VAXALLOC_SEED_TEXT_SIZE 33

#define VAXALLOC_TIER_MAX 8 /* tiers are 1 (first) .. 8 */
#define VAXALLOC_DOSE_COUNT_MAX 2
#define VAXALLOC_PRIORITY_GROUP_COUNT 4

/* Every civil day lies in 1900-01-01 .. 2200-12-31 (another is
 * VAXALLOC_ERANGE): these two day numbers. */
#define VAXALLOC_DAY_MIN (-25567)
#define VAXALLOC_DAY_MAX 84370

/* Self-booking limits (vaxalloc_policy): an IANA time zone name is at most 64
 * bytes; a hold lasts 1 s .. 24 h; the short-notice pool reaches at most 60
 * days ahead. */
#define VAXALLOC_TIME_ZONE_LENGTH_MAX 64
#define VAXALLOC_TIME_ZONE_SIZE (VAXALLOC_TIME_ZONE_LENGTH_MAX + 1)
#define VAXALLOC_HOLD_MINUTES_MAX 1440
#define VAXALLOC_SHORT_NOTICE_DAYS_MAX 60

/* One-time verification codes (vaxalloc_policy, vaxalloc_code_issue()): 4..10
 * decimal digits; a code lives 1 s .. 24 h and allows 1..10 wrong entries.
 * VAXALLOC_VERIFICATION_CODE_SIZE holds the longest code and its NUL. (Not to
 * be confused with VAXALLOC_CODE_SIZE, the size of an entity's code such as a
 * district key.) Since 0.2. */
#define VAXALLOC_VERIFICATION_DIGITS_MIN 4
#define VAXALLOC_VERIFICATION_DIGITS_MAX 10
#define VAXALLOC_VERIFICATION_CODE_SIZE (VAXALLOC_VERIFICATION_DIGITS_MAX + 1)
#define VAXALLOC_VERIFICATION_LIFETIME_MINUTES_MAX 1440
#define VAXALLOC_VERIFICATION_ATTEMPTS_MAX 10
/* Against guessing by asking for new codes: vaxalloc_code_issue() gives one
 * registrant at most 5 codes within 24 hours of each other and 100 in all,
 * and a campaign at most 2^25 codes; beyond, VAXALLOC_EEXHAUSTED. So at most
 * 5 x code_attempts wrong entries are weighed for one registrant in any 24
 * hours (docs/booking.md). Since 0.6. */
#define VAXALLOC_VERIFICATION_CODES_PER_DAY_MAX 5
#define VAXALLOC_VERIFICATION_CODES_PER_REGISTRANT_MAX 100
#define VAXALLOC_VERIFICATION_CODES_MAX 33554432

/* Draw notice and overbooking (vaxalloc_policy version 3): a draw's lead
 * time is 0..60 days per channel; a slot takes at most 500 permille (50%)
 * more appointments than it has seats. Since 0.3. */
#define VAXALLOC_DRAW_LEAD_DAYS_MAX 60
#define VAXALLOC_OVERBOOK_PERMILLE_MAX 500

/* Priority groups of the German vaccination ordinance. */
typedef enum vaxalloc_priority_group {
  VAXALLOC_GROUP_1 = 1, /* e.g. 80 and older */
  VAXALLOC_GROUP_2 = 2,
  VAXALLOC_GROUP_3 = 3,
  VAXALLOC_GROUP_NONE = 4
} vaxalloc_priority_group;

/* How a person registered; phone registrants are reached by letter. */
typedef enum vaxalloc_channel {
  VAXALLOC_CHANNEL_ONLINE = 0,
  VAXALLOC_CHANNEL_PHONE = 1
} vaxalloc_channel;

typedef enum vaxalloc_registrant_status {
  VAXALLOC_REGISTRANT_WAITING = 0,   /* on the waiting list, no active series */
  VAXALLOC_REGISTRANT_SCHEDULED = 1, /* holds exactly one active series */
  VAXALLOC_REGISTRANT_WITHDRAWN = 2, /* left the campaign */
  VAXALLOC_REGISTRANT_VACCINATED = 3 /* every dose of a series given (since 0.2) */
} vaxalloc_registrant_status;

typedef enum vaxalloc_series_status {
  VAXALLOC_SERIES_ACTIVE = 0,    /* appointments reserved; the doses given so far recorded */
  VAXALLOC_SERIES_CANCELLED = 1, /* ended early; the seats and doses not yet given returned */
  VAXALLOC_SERIES_HELD = 2,      /* proposed to a self-booker, reserved until
                                    hold_expires_at (since 0.2) */
  VAXALLOC_SERIES_LAPSED = 3,    /* a hold declined or expired; nothing reserved */
  VAXALLOC_SERIES_COMPLETED = 4, /* every dose given */
  VAXALLOC_SERIES_MISSED = 5     /* the first dose was missed; the second's seat returned */
} vaxalloc_series_status;

/* One appointment's fate (vaxalloc_series.doses). A seat and a dose are
 * reserved while BOOKED and used once GIVEN; MISSED and RELEASED give both
 * back. Since 0.2. */
typedef enum vaxalloc_dose_state {
  VAXALLOC_DOSE_BOOKED = 0,
  VAXALLOC_DOSE_GIVEN = 1,
  VAXALLOC_DOSE_MISSED = 2,  /* the person did not come */
  VAXALLOC_DOSE_RELEASED = 3 /* cancelled, or its hold lapsed */
} vaxalloc_dose_state;

/* How a series came about (vaxalloc_series.origin). Since 0.2. */
typedef enum vaxalloc_series_origin {
  VAXALLOC_ORIGIN_DRAW = 0,         /* a waitlist draw (vaxalloc_series.draw) */
  VAXALLOC_ORIGIN_RELEASE = 1,      /* self-booked in a release (vaxalloc_series.release) */
  VAXALLOC_ORIGIN_SHORT_NOTICE = 2, /* self-booked from the short-notice pool */
  VAXALLOC_ORIGIN_STANDBY = 3       /* offered from the standby list */
} vaxalloc_series_origin;

/* Where a self-booking looks (vaxalloc_booking_request.mode). Since 0.2. */
typedef enum vaxalloc_booking_mode {
  VAXALLOC_BOOKING_RELEASE = 0,      /* a first-dose day inside an opened release */
  VAXALLOC_BOOKING_SHORT_NOTICE = 1, /* a first-dose day within the policy's short_notice_days */
  /* Today, any seat left, also in a slot that has begun (the person comes
   * within the policy's standby_hold_seconds); standby registrants only. */
  VAXALLOC_BOOKING_STANDBY = 2
} vaxalloc_booking_mode;

/* What happened at an appointment (vaxalloc_dose_record()). Since 0.2. */
typedef enum vaxalloc_dose_outcome {
  VAXALLOC_OUTCOME_GIVEN = 1,
  VAXALLOC_OUTCOME_MISSED = 2
} vaxalloc_dose_outcome;

/* What a one-time verification code confirms (vaxalloc_code_request.purpose).
 * Since 0.2. */
typedef enum vaxalloc_code_purpose {
  VAXALLOC_CODE_PURPOSE_CANCEL_SERIES = 1, /* cancel the registrant's active series */
  VAXALLOC_CODE_PURPOSE_WITHDRAW = 2       /* delete the registration, as
                                              vaxalloc_registrant_delete() (since
                                              0.3; in 0.2 a withdrawal only) */
} vaxalloc_code_purpose;

/* A verification code's state (vaxalloc_code.state). Since 0.2. */
typedef enum vaxalloc_code_state {
  VAXALLOC_CODE_STATE_PENDING = 0,
  VAXALLOC_CODE_STATE_USED = 1,      /* verified; its action is done */
  VAXALLOC_CODE_STATE_LOCKED = 2,    /* too many wrong entries */
  VAXALLOC_CODE_STATE_SUPERSEDED = 3 /* a newer code for the same registrant and purpose */
} vaxalloc_code_state;

/* Why vaxalloc_code_verify() accepted or refused an entry. Since 0.2. */
typedef enum vaxalloc_code_outcome {
  VAXALLOC_CODE_OUTCOME_ACCEPTED = 0,
  VAXALLOC_CODE_OUTCOME_WRONG = 1, /* counted as an attempt */
  VAXALLOC_CODE_OUTCOME_EXPIRED = 2,
  VAXALLOC_CODE_OUTCOME_LOCKED = 3,     /* no attempts left */
  VAXALLOC_CODE_OUTCOME_NOT_PENDING = 4 /* used or superseded */
} vaxalloc_code_outcome;

typedef enum vaxalloc_residence_rule {
  VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY = 0,        /* a center serving the home district */
  VAXALLOC_RESIDENCE_HOME_OR_NEIGHBOUR_DISTRICT = 1 /* also a neighbouring district's */
} vaxalloc_residence_rule;

typedef enum vaxalloc_durability {
  VAXALLOC_DURABILITY_NORMAL = 0, /* WAL, synchronous=NORMAL: a power loss may drop the
                                     last commits but never corrupts the file */
  VAXALLOC_DURABILITY_FULL = 1    /* every commit is on disk when the call returns */
} vaxalloc_durability;

/* Bits of vaxalloc_capacity_block.weekdays. */
#define VAXALLOC_MONDAY 0x01u
#define VAXALLOC_TUESDAY 0x02u
#define VAXALLOC_WEDNESDAY 0x04u
#define VAXALLOC_THURSDAY 0x08u
#define VAXALLOC_FRIDAY 0x10u
#define VAXALLOC_SATURDAY 0x20u
#define VAXALLOC_SUNDAY 0x40u
#define VAXALLOC_EVERY_DAY 0x7fu

/* ===========================================================================
 * Civil days
 * ======================================================================== */

/* Converts a proleptic Gregorian date to days since 1970-01-01.
 * Errors: VAXALLOC_EINVALID (out is NULL, or no such date: month 13,
 * 30 February, ...), VAXALLOC_ERANGE (the day number does not fit int32_t).
 * Thread-safe; sets vaxalloc_last_error(). */
VAXALLOC_API int vaxalloc_day_from_ymd(int32_t year, int32_t month, int32_t day,
                                       int32_t* out) VAXALLOC_NOEXCEPT;

/* Converts days since 1970-01-01 to year, month (1-12) and day (1-31).
 * Errors: VAXALLOC_EINVALID (an output pointer is NULL). Thread-safe. */
VAXALLOC_API int vaxalloc_day_to_ymd(int32_t days, int32_t* year_out, int32_t* month_out,
                                     int32_t* day_out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Draw seeds and lottery numbers (no campaign needed)
 * ======================================================================== */

/* Writes the published form of a 128-bit draw seed: 32 lowercase hex digits,
 * k0 then k1, and a NUL, into the caller's buffer out[out_size].
 * Errors: VAXALLOC_EINVALID (out is NULL), VAXALLOC_EBUFFER (out_size <
 * VAXALLOC_SEED_TEXT_SIZE; nothing written). Thread-safe. */
VAXALLOC_API int vaxalloc_seed_format(uint64_t k0, uint64_t k1, char* out,
                                      size_t out_size) VAXALLOC_NOEXCEPT;

/* Parses a seed: 32 hex digits (either case; k0 then k1), or 1 to 16 hex
 * digits for a 64-bit seed (k1 = 0).
 * Errors: VAXALLOC_EINVALID (a NULL pointer, wrong length, a non-hex
 * character). Thread-safe. */
VAXALLOC_API int vaxalloc_seed_parse(const char* text, uint64_t* k0_out,
                                     uint64_t* k1_out) VAXALLOC_NOEXCEPT;

/* The lottery number a registrant with reference external_ref gets in a draw
 * with seed (k0, k1): SipHash-2-4 over the reference's bytes (docs/draw.md);
 * lower numbers are drawn earlier. For auditing a published draw.
 * Errors: VAXALLOC_EINVALID (a NULL pointer). Thread-safe. */
VAXALLOC_API int vaxalloc_lottery_number(uint64_t k0, uint64_t k1, const char* external_ref,
                                         uint64_t* out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Opening and closing a campaign
 * ======================================================================== */

typedef struct vaxalloc_campaign vaxalloc_campaign;

#define VAXALLOC_OPEN_OPTIONS_VERSION 2u
typedef struct vaxalloc_open_options {
  uint32_t version;          /* VAXALLOC_OPEN_OPTIONS_VERSION */
  int32_t durability;        /* vaxalloc_durability; default NORMAL */
  int64_t busy_timeout_ms;   /* how long a write waits for another connection's
                                lock before failing with VAXALLOC_EBUSY; default 5000 */
  uint8_t create_if_missing; /* default 1: create the file if it does not exist */
  /* Version 2 (0.4): */
  uint8_t read_only;      /* default 0; 1: a reporting handle that follows the journal
                             and never writes (every change is VAXALLOC_EPRECONDITION) */
  uint8_t verify_journal; /* default 0; 1: walk the whole journal's hash chain when
                             opening (VAXALLOC_ECORRUPT when broken) */
} vaxalloc_open_options;
#define VAXALLOC_OPEN_OPTIONS_INIT \
  { VAXALLOC_OPEN_OPTIONS_VERSION, VAXALLOC_DURABILITY_NORMAL, 5000, 1, 0, 0 }

/* Sets *options to VAXALLOC_OPEN_OPTIONS_INIT with the given version.
 * Errors: VAXALLOC_EINVALID (NULL), VAXALLOC_EVERSION (version unknown). */
VAXALLOC_API int vaxalloc_open_options_init(vaxalloc_open_options* options,
                                            uint32_t version) VAXALLOC_NOEXCEPT;

/* Opens the campaign file at `path`, creating it if it does not exist (and
 * options allow), and loads it into memory. ":memory:" opens a new campaign
 * held in memory only. A file that is not a vaxalloc campaign, is corrupt or
 * comes from a newer library is not modified.
 * path: borrowed. options: may be NULL (defaults). *out: on success a new
 * handle the caller owns and must pass to vaxalloc_campaign_close(); on
 * failure set to NULL.
 * Errors: VAXALLOC_EINVALID (path or out NULL, empty path, bad durability),
 * VAXALLOC_EVERSION, VAXALLOC_ENOTFOUND (missing file, create_if_missing 0),
 * VAXALLOC_EPRECONDITION (another application's database, a newer schema),
 * VAXALLOC_ECORRUPT, VAXALLOC_EBUSY, VAXALLOC_EPERM. The message is in
 * vaxalloc_last_error(). Thread-safe. */
VAXALLOC_API int vaxalloc_campaign_open(const char* path, const vaxalloc_open_options* options,
                                        vaxalloc_campaign** out) VAXALLOC_NOEXCEPT;

/* Closes the campaign and frees the handle; everything was committed already.
 * vaxalloc_campaign_close(NULL) does nothing. No other call may use the
 * handle during or after this one. Never fails. */
VAXALLOC_API void vaxalloc_campaign_close(vaxalloc_campaign* campaign) VAXALLOC_NOEXCEPT;

/* The path the campaign was opened with. Borrowed: valid until the handle is
 * closed; do not free. NULL if campaign is NULL. Thread-safe. */
VAXALLOC_API const char* vaxalloc_campaign_path(const vaxalloc_campaign* campaign)
    VAXALLOC_NOEXCEPT;

/* The message of the last int-returning call on this handle ("" after a
 * success), or a fixed message if campaign is NULL. Never NULL. Borrowed:
 * valid until the next call on the handle; do not free. See "Threads". */
VAXALLOC_API const char* vaxalloc_campaign_errmsg(const vaxalloc_campaign* campaign)
    VAXALLOC_NOEXCEPT;

/* The result code of the last int-returning call on this handle
 * (VAXALLOC_EINVALID if campaign is NULL). */
VAXALLOC_API int vaxalloc_campaign_errcode(const vaxalloc_campaign* campaign) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Setup: districts, vaccines, centers, capacity, supply
 * ======================================================================== */

/* Adds a district (Kreis or city); its id is written to *id_out.
 * code: e.g. the official key "06412", 1..64 bytes, unique. name: 1..256
 * bytes. Both borrowed. id_out: may be NULL.
 * Errors: VAXALLOC_EINVALID (NULL, empty or too long), VAXALLOC_EEXISTS
 * (code taken). */
VAXALLOC_API int vaxalloc_district_add(vaxalloc_campaign* campaign, const char* code,
                                       const char* name, uint32_t* id_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_DISTRICT_VERSION 1u
typedef struct vaxalloc_district {
  uint32_t version; /* VAXALLOC_DISTRICT_VERSION */
  uint32_t id;
  char code[VAXALLOC_CODE_SIZE];
  char name[VAXALLOC_NAME_SIZE];
} vaxalloc_district;
#define VAXALLOC_DISTRICT_INIT \
  { VAXALLOC_DISTRICT_VERSION, 0, "", "" }
/* Zeroes *district and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_district_init(vaxalloc_district* district,
                                        uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies district `id` into *out (strings as fixed arrays).
 * Errors: VAXALLOC_EINVALID (NULL), VAXALLOC_EVERSION (out->version),
 * VAXALLOC_ENOTFOUND (no such id). */
VAXALLOC_API int vaxalloc_district_get(vaxalloc_campaign* campaign, uint32_t id,
                                       vaxalloc_district* out) VAXALLOC_NOEXCEPT;

/* Looks a district up by code (borrowed); writes its id to *id_out.
 * Errors: VAXALLOC_EINVALID (NULL), VAXALLOC_ENOTFOUND. */
VAXALLOC_API int vaxalloc_district_find(vaxalloc_campaign* campaign, const char* code,
                                        uint32_t* id_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_VACCINE_SPEC_VERSION 1u
typedef struct vaxalloc_vaccine_spec {
  uint32_t version;   /* VAXALLOC_VACCINE_SPEC_VERSION */
  const char* code;   /* e.g. "comirnaty": 1..64 bytes, unique; borrowed */
  const char* name;   /* 1..256 bytes; borrowed */
  int32_t dose_count; /* 1 or 2; default 2 */
  /* Days between first and second dose (ignored for one dose); the second
   * appointment is placed as close to the target as capacity allows.
   * Defaults 21 / 21 / 42. */
  int32_t interval_days_min;
  int32_t interval_days_target;
  int32_t interval_days_max;
  /* Eligibility by age in full years on the day of the first dose; 0 = no
   * bound; max is inclusive (59 means "under 60"). Defaults 0. */
  int32_t age_years_min;
  int32_t age_years_max;
} vaxalloc_vaccine_spec;
#define VAXALLOC_VACCINE_SPEC_INIT \
  { VAXALLOC_VACCINE_SPEC_VERSION, NULL, NULL, 2, 21, 21, 42, 0, 0 }
/* Sets *spec to VAXALLOC_VACCINE_SPEC_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_vaccine_spec_init(vaxalloc_vaccine_spec* spec,
                                            uint32_t version) VAXALLOC_NOEXCEPT;

/* Adds a vaccine; its id is written to *id_out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL strings, empty or too long, dose count,
 * interval or age bounds out of order), VAXALLOC_EVERSION, VAXALLOC_EEXISTS
 * (code taken), VAXALLOC_EEXHAUSTED (too many vaccines). */
VAXALLOC_API int vaxalloc_vaccine_add(vaxalloc_campaign* campaign,
                                      const vaxalloc_vaccine_spec* spec,
                                      uint32_t* id_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_VACCINE_VERSION 1u
typedef struct vaxalloc_vaccine {
  uint32_t version; /* VAXALLOC_VACCINE_VERSION */
  uint32_t id;
  char code[VAXALLOC_CODE_SIZE];
  char name[VAXALLOC_NAME_SIZE];
  int32_t dose_count;
  int32_t interval_days_min; /* all three 0 for a one-dose vaccine */
  int32_t interval_days_target;
  int32_t interval_days_max;
  int32_t age_years_min;
  int32_t age_years_max;
} vaxalloc_vaccine;
#define VAXALLOC_VACCINE_INIT \
  { VAXALLOC_VACCINE_VERSION, 0, "", "", 0, 0, 0, 0, 0, 0 }
/* Zeroes *vaccine and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_vaccine_init(vaxalloc_vaccine* vaccine,
                                       uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies vaccine `id` into *out. Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_vaccine_get(vaxalloc_campaign* campaign, uint32_t id,
                                      vaxalloc_vaccine* out) VAXALLOC_NOEXCEPT;

/* Looks a vaccine up by code (borrowed). Errors: EINVALID, ENOTFOUND. */
VAXALLOC_API int vaxalloc_vaccine_find(vaxalloc_campaign* campaign, const char* code,
                                       uint32_t* id_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_CENTER_SPEC_VERSION 1u
typedef struct vaxalloc_center_spec {
  uint32_t version;          /* VAXALLOC_CENTER_SPEC_VERSION */
  const char* code;          /* 1..64 bytes, unique; borrowed */
  const char* name;          /* 1..256 bytes; borrowed */
  const uint32_t* districts; /* the districts whose residents it serves; borrowed */
  size_t district_count;     /* 1..1000 */
} vaxalloc_center_spec;
#define VAXALLOC_CENTER_SPEC_INIT \
  { VAXALLOC_CENTER_SPEC_VERSION, NULL, NULL, NULL, 0 }
/* Sets *spec to VAXALLOC_CENTER_SPEC_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_center_spec_init(vaxalloc_center_spec* spec,
                                           uint32_t version) VAXALLOC_NOEXCEPT;

/* Adds a vaccination center; its id is written to *id_out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL pointers, districts NULL with a count,
 * empty or too long strings, no district, a district twice),
 * VAXALLOC_EVERSION, VAXALLOC_EEXISTS (code taken), VAXALLOC_ENOTFOUND (an
 * unknown district). */
VAXALLOC_API int vaxalloc_center_add(vaxalloc_campaign* campaign, const vaxalloc_center_spec* spec,
                                     uint32_t* id_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_CENTER_VERSION 1u
typedef struct vaxalloc_center {
  uint32_t version; /* VAXALLOC_CENTER_VERSION */
  uint32_t id;
  char code[VAXALLOC_CODE_SIZE];
  char name[VAXALLOC_NAME_SIZE];
  uint32_t district_count; /* the districts: vaxalloc_center_districts() */
} vaxalloc_center;
#define VAXALLOC_CENTER_INIT \
  { VAXALLOC_CENTER_VERSION, 0, "", "", 0 }
/* Zeroes *center and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_center_init(vaxalloc_center* center, uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies center `id` into *out. Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_center_get(vaxalloc_campaign* campaign, uint32_t id,
                                     vaxalloc_center* out) VAXALLOC_NOEXCEPT;

/* The districts center `id` serves, in the order given, into the caller
 * buffer out[capacity] (see "Caller buffers").
 * Errors: EINVALID, ENOTFOUND, EBUFFER. */
VAXALLOC_API int vaxalloc_center_districts(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out,
                                           size_t capacity, size_t* count_out) VAXALLOC_NOEXCEPT;

/* Looks a center up by code (borrowed). Errors: EINVALID, ENOTFOUND. */
VAXALLOC_API int vaxalloc_center_find(vaxalloc_campaign* campaign, const char* code,
                                      uint32_t* id_out) VAXALLOC_NOEXCEPT;

/* Opening hours of one vaccination line: on each selected weekday in
 * [first_day, last_day], slots of slot_minutes from open_minute to
 * close_minute, each seating seats_first first-dose and seats_second
 * second-dose appointments of one vaccine. A block covering an existing slot
 * adds to its seats. */
#define VAXALLOC_CAPACITY_BLOCK_VERSION 1u
typedef struct vaxalloc_capacity_block {
  uint32_t version; /* VAXALLOC_CAPACITY_BLOCK_VERSION */
  uint32_t center;
  uint32_t vaccine;
  int32_t first_day; /* civil days, inclusive */
  int32_t last_day;
  uint8_t weekdays;     /* VAXALLOC_MONDAY | ...; default VAXALLOC_EVERY_DAY */
  int32_t open_minute;  /* minutes after local midnight; default 480 (08:00) */
  int32_t close_minute; /* default 1200 (20:00) */
  int32_t slot_minutes; /* default 15 */
  int32_t seats_first;  /* per slot; default 0 */
  int32_t seats_second; /* per slot; default 0 */
} vaxalloc_capacity_block;
#define VAXALLOC_CAPACITY_BLOCK_INIT \
  { VAXALLOC_CAPACITY_BLOCK_VERSION, 0, 0, 0, 0, VAXALLOC_EVERY_DAY, 480, 1200, 15, 0, 0 }
/* Sets *block to VAXALLOC_CAPACITY_BLOCK_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_capacity_block_init(vaxalloc_capacity_block* block,
                                              uint32_t version) VAXALLOC_NOEXCEPT;

/* Adds a capacity block.
 * Errors: VAXALLOC_EINVALID (NULL, days out of order, bad weekdays, hours,
 * slot length or seats), VAXALLOC_EVERSION, VAXALLOC_ENOTFOUND (unknown
 * center or vaccine), VAXALLOC_ERANGE (a day outside 1900-2200, a calendar
 * longer than 3660 days). */
VAXALLOC_API int vaxalloc_capacity_add(vaxalloc_campaign* campaign,
                                       const vaxalloc_capacity_block* block) VAXALLOC_NOEXCEPT;

/* Copies the capacity block added as number `index` (0-based, in the order
 * added; see vaxalloc_counts.capacity_blocks) into *out.
 * Errors: EINVALID, EVERSION, VAXALLOC_ENOTFOUND (index too large). */
VAXALLOC_API int vaxalloc_capacity_get(vaxalloc_campaign* campaign, uint64_t index,
                                       vaxalloc_capacity_block* out) VAXALLOC_NOEXCEPT;

/* Doses of one vaccine promised to one center, usable from `day` on. */
#define VAXALLOC_SUPPLY_DELIVERY_VERSION 1u
typedef struct vaxalloc_supply_delivery {
  uint32_t version; /* VAXALLOC_SUPPLY_DELIVERY_VERSION */
  uint32_t center;
  uint32_t vaccine;
  int32_t day;   /* civil day */
  int64_t doses; /* 1..10000000 */
} vaxalloc_supply_delivery;
#define VAXALLOC_SUPPLY_DELIVERY_INIT \
  { VAXALLOC_SUPPLY_DELIVERY_VERSION, 0, 0, 0, 0 }
/* Sets *delivery to VAXALLOC_SUPPLY_DELIVERY_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_supply_delivery_init(vaxalloc_supply_delivery* delivery,
                                               uint32_t version) VAXALLOC_NOEXCEPT;

/* Adds a delivery.
 * Errors: VAXALLOC_EINVALID (NULL, doses out of range), VAXALLOC_EVERSION,
 * VAXALLOC_ENOTFOUND (unknown center or vaccine), VAXALLOC_ERANGE (day). */
VAXALLOC_API int vaxalloc_supply_add(vaxalloc_campaign* campaign,
                                     const vaxalloc_supply_delivery* delivery) VAXALLOC_NOEXCEPT;

/* Copies delivery number `index` (0-based, in the order added; see
 * vaxalloc_counts.deliveries) into *out.
 * Errors: EINVALID, EVERSION, VAXALLOC_ENOTFOUND (index too large). */
VAXALLOC_API int vaxalloc_supply_get(vaxalloc_campaign* campaign, uint64_t index,
                                     vaxalloc_supply_delivery* out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Policy
 * ======================================================================== */

/* Frozen. Tier by priority group for registrations made before
 * registered_before (exclusive): tier_by_group[g - 1] is the tier (1..8) of
 * group g (VAXALLOC_GROUP_NONE is g = 4). */
typedef struct vaxalloc_tier_rule {
  int64_t registered_before; /* Unix seconds, or VAXALLOC_TIME_INFINITE_FUTURE */
  uint8_t tier_by_group[VAXALLOC_PRIORITY_GROUP_COUNT];
} vaxalloc_tier_rule;
#define VAXALLOC_TIER_RULE_INIT                   \
  {                                               \
    VAXALLOC_TIME_INFINITE_FUTURE, { 1, 2, 3, 4 } \
  }

/* Frozen. A share of each pool's new first-dose seats in a draw, held for the
 * people the category admits (docs/draw.md). Used for input and output. */
typedef struct vaxalloc_reserve {
  char name[VAXALLOC_NAME_SIZE]; /* 1..256 bytes, NUL-terminated inside the array */
  int32_t share_permille;        /* of each pool's free first-dose seats; 0..1000 */
  int32_t age_years_min;         /* on the first-dose day; 0 = no bound */
  uint8_t group_mask;            /* bit (g - 1) admits group g; 0 = every group */
  uint32_t vaccine;              /* only this vaccine's pools; VAXALLOC_NO_ID = all */
} vaxalloc_reserve;
#define VAXALLOC_RESERVE_INIT \
  { "", 0, 0, 0, 0 }

/* Frozen. Two neighbouring districts (the relation is symmetric). */
typedef struct vaxalloc_neighbour_pair {
  uint32_t district_a;
  uint32_t district_b;
} vaxalloc_neighbour_pair;

/* Version 2 (0.2) appended time_zone, hold_seconds, short_notice_days,
 * standby_hold_seconds, code_digits, code_attempts and
 * code_lifetime_seconds; a version-1 policy gets their defaults. Version 3
 * (0.3) appended draw_lead_days_online, draw_lead_days_phone and
 * overbook_permille; a version-1 or -2 policy gets their defaults (0). */
#define VAXALLOC_POLICY_VERSION 3u
typedef struct vaxalloc_policy {
  uint32_t version; /* VAXALLOC_POLICY_VERSION */
  /* The first rule (ascending registered_before, which must increase) whose
   * bound lies after the registration time gives the tier; a registration
   * after every bound gets its group number. None: tier = group number. */
  const vaxalloc_tier_rule* tier_rules; /* borrowed */
  size_t tier_rule_count;
  const vaxalloc_reserve* reserves; /* borrowed; at most 8, in processing order */
  size_t reserve_count;
  int32_t residence; /* vaxalloc_residence_rule; default HOME_DISTRICT_ONLY */
  const vaxalloc_neighbour_pair* neighbours; /* borrowed; used with HOME_OR_NEIGHBOUR */
  size_t neighbour_count;
  /* --- version 2: self-booking --- */
  /* The IANA time zone of the slots' local times (what "today" and "a slot
   * has started" mean for an instant), e.g. "Europe/Berlin"; 1..64 bytes;
   * borrowed. NULL (the default): "UTC". */
  const char* time_zone;
  /* How long a proposed self-booking stays held for the person to confirm:
   * 1 .. VAXALLOC_HOLD_MINUTES_MAX * 60 seconds; default 600 (10 minutes). */
  int64_t hold_seconds;
  /* Short-notice first doses lie on today .. today + short_notice_days - 1
   * (online registrants only); 0..VAXALLOC_SHORT_NOTICE_DAYS_MAX; default 0:
   * short-notice booking off. */
  int32_t short_notice_days;
  /* How long a standby offer (VAXALLOC_BOOKING_STANDBY) stays held: 1 ..
   * VAXALLOC_HOLD_MINUTES_MAX * 60 seconds; default 1800 (30 minutes). */
  int64_t standby_hold_seconds;
  /* One-time codes confirming an online cancellation or withdrawal
   * (vaxalloc_code_issue()): digits VAXALLOC_VERIFICATION_DIGITS_MIN..MAX,
   * default 6; wrong entries before the code locks, 1..
   * VAXALLOC_VERIFICATION_ATTEMPTS_MAX, default 3; lifetime 1 ..
   * VAXALLOC_VERIFICATION_LIFETIME_MINUTES_MAX * 60 seconds, default 900
   * (15 minutes). */
  int32_t code_digits;
  int32_t code_attempts;
  int64_t code_lifetime_seconds;
  /* --- version 3 (0.3): draw notice and overbooking --- */
  /* Days of notice a draw gives, by the registrant's channel: it offers
   * nobody a first dose before the draw's local day (its `at` in time_zone)
   * + these days, since the message must reach the person first (a letter
   * takes days). Closer seats stay for short-notice booking and standby.
   * 0..VAXALLOC_DRAW_LEAD_DAYS_MAX; default 0: no bound, the window alone
   * decides. */
  int32_t draw_lead_days_online;
  int32_t draw_lead_days_phone;
  /* Overbooking to absorb expected no-shows: the slots a capacity block
   * opens on a day take its seats plus seats * overbook_permille / 1000
   * (rounded down) appointments of each kind, the extra ones spread over
   * its slots in time order (each slot's share:
   * vaxalloc_slot_v2.bookable_first/_second). Doses still bound
   * appointments: never more than delivered. 0..
   * VAXALLOC_OVERBOOK_PERMILLE_MAX; default 0: no overbooking. */
  int32_t overbook_permille;
} vaxalloc_policy;
#define VAXALLOC_POLICY_INIT                                                                   \
  {                                                                                            \
    VAXALLOC_POLICY_VERSION, NULL, 0, NULL, 0, VAXALLOC_RESIDENCE_HOME_DISTRICT_ONLY, NULL, 0, \
        NULL, 600, 0, 1800, 6, 3, 900, 0, 0, 0                                                 \
  }
/* Sets *policy to VAXALLOC_POLICY_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_policy_init(vaxalloc_policy* policy, uint32_t version) VAXALLOC_NOEXCEPT;

/* Replaces the policy for every draw and booking from now on, whole (an
 * older struct sets the fields it lacks to their defaults); its version
 * number (the default policy every campaign starts with is 1) is written to
 * *policy_version_out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL, an array NULL with a count, a reserve name
 * not NUL-terminated within its array, rules out of order, tiers outside
 * 1..8, shares, ages or masks out of range, a district neighbouring itself,
 * bad residence, an unknown or too long time zone, hold, short_notice_days,
 * standby hold, a code setting, a draw lead time or overbook_permille out of
 * range: the message names the field), VAXALLOC_EVERSION,
 * VAXALLOC_ENOTFOUND (an unknown vaccine or district). */
VAXALLOC_API int vaxalloc_policy_set(vaxalloc_campaign* campaign, const vaxalloc_policy* policy,
                                     uint32_t* policy_version_out) VAXALLOC_NOEXCEPT;

/* Version 2 (0.2) appended time_zone, hold_seconds, short_notice_days,
 * standby_hold_seconds, code_digits, code_attempts and
 * code_lifetime_seconds; version 3 (0.3) draw_lead_days_online,
 * draw_lead_days_phone and overbook_permille. */
#define VAXALLOC_POLICY_INFO_VERSION 3u
typedef struct vaxalloc_policy_info {
  uint32_t version;         /* VAXALLOC_POLICY_INFO_VERSION */
  uint32_t policy_version;  /* 1, 2, ... */
  int32_t residence;        /* vaxalloc_residence_rule */
  uint32_t tier_rule_count; /* the arrays: vaxalloc_policy_tier_rules() etc. */
  uint32_t reserve_count;
  uint32_t neighbour_count;
  /* --- version 2 --- */
  char time_zone[VAXALLOC_TIME_ZONE_SIZE]; /* e.g. "UTC" */
  int64_t hold_seconds; /* a hold set through C++ with a fraction: rounded down */
  int32_t short_notice_days;
  int64_t standby_hold_seconds; /* rounded down as hold_seconds */
  int32_t code_digits;
  int32_t code_attempts;
  int64_t code_lifetime_seconds; /* rounded down as hold_seconds */
  /* --- version 3 (0.3) --- */
  int32_t draw_lead_days_online;
  int32_t draw_lead_days_phone;
  int32_t overbook_permille;
} vaxalloc_policy_info;
#define VAXALLOC_POLICY_INFO_INIT \
  { VAXALLOC_POLICY_INFO_VERSION, 0, 0, 0, 0, 0, "", 0, 0, 0, 0, 0, 0, 0, 0, 0 }
/* Zeroes *info and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_policy_info_init(vaxalloc_policy_info* info,
                                           uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies policy version `policy_version` (the current one is
 * vaxalloc_counts.policy_version) into *out.
 * Errors: EINVALID, EVERSION, VAXALLOC_ENOTFOUND (no such policy version). */
VAXALLOC_API int vaxalloc_policy_get(vaxalloc_campaign* campaign, uint32_t policy_version,
                                     vaxalloc_policy_info* out) VAXALLOC_NOEXCEPT;

/* The arrays of policy version `policy_version`, in order, into caller
 * buffers (see "Caller buffers"). Errors: EINVALID, ENOTFOUND, EBUFFER. */
VAXALLOC_API int vaxalloc_policy_tier_rules(vaxalloc_campaign* campaign, uint32_t policy_version,
                                            vaxalloc_tier_rule* out, size_t capacity,
                                            size_t* count_out) VAXALLOC_NOEXCEPT;
VAXALLOC_API int vaxalloc_policy_reserves(vaxalloc_campaign* campaign, uint32_t policy_version,
                                          vaxalloc_reserve* out, size_t capacity,
                                          size_t* count_out) VAXALLOC_NOEXCEPT;
VAXALLOC_API int vaxalloc_policy_neighbours(vaxalloc_campaign* campaign, uint32_t policy_version,
                                            vaxalloc_neighbour_pair* out, size_t capacity,
                                            size_t* count_out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Registrants
 * ======================================================================== */

/* Version 2 (0.2) appended standby; a version-1 spec registers with
 * standby 0. Not frozen although vaxalloc_register_batch() takes many: it
 * takes an array of pointers, and each spec's version decides its layout. */
#define VAXALLOC_REGISTRANT_SPEC_VERSION 2u
typedef struct vaxalloc_registrant_spec {
  uint32_t version;            /* VAXALLOC_REGISTRANT_SPEC_VERSION */
  const char* external_ref;    /* the host's unique, stable key: 1..128 bytes; borrowed */
  uint32_t district;           /* home district */
  int32_t birth_day;           /* civil day */
  int32_t group;               /* vaxalloc_priority_group; default VAXALLOC_GROUP_NONE */
  int32_t channel;             /* vaxalloc_channel; default VAXALLOC_CHANNEL_ONLINE */
  int64_t registered_at;       /* Unix seconds */
  uint32_t vaccine_preference; /* VAXALLOC_NO_ID: any vaccine */
  /* --- version 2 --- */
  /* 1: can come at short notice when doses are left at the end of a day (on
   * the standby list, vaxalloc_standby_list()); default 0. */
  uint8_t standby;
} vaxalloc_registrant_spec;
#define VAXALLOC_REGISTRANT_SPEC_INIT                                                              \
  {                                                                                                \
    VAXALLOC_REGISTRANT_SPEC_VERSION, NULL, 0, 0, VAXALLOC_GROUP_NONE, VAXALLOC_CHANNEL_ONLINE, 0, \
        0, 0                                                                                       \
  }
/* Sets *spec to VAXALLOC_REGISTRANT_SPEC_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_registrant_spec_init(vaxalloc_registrant_spec* spec,
                                               uint32_t version) VAXALLOC_NOEXCEPT;

/* Puts a person on the waiting list; the id is written to *id_out (may be
 * NULL).
 * Errors: VAXALLOC_EINVALID (NULL, external_ref empty or too long, bad group
 * or channel, infinite registered_at), VAXALLOC_EVERSION, VAXALLOC_EEXISTS
 * (external_ref taken), VAXALLOC_ENOTFOUND (unknown district or preferred
 * vaccine), VAXALLOC_ERANGE (birth day outside 1900-2200),
 * VAXALLOC_EEXHAUSTED (ids). */
VAXALLOC_API int vaxalloc_register(vaxalloc_campaign* campaign,
                                   const vaxalloc_registrant_spec* spec,
                                   uint32_t* id_out) VAXALLOC_NOEXCEPT;

/* Registers `count` people in one transaction, all or nothing: one bad entry
 * (its position is in the message) registers nobody.
 * specs: an array of `count` pointers to specs (pointers, so that each spec's
 * version decides its own layout); borrowed. ids_out: may be NULL, else an
 * array of `count` elements that receives the ids in order on success.
 * The specs may have different versions.
 * Errors: as vaxalloc_register, and VAXALLOC_EEXISTS for a reference twice in
 * the batch. */
VAXALLOC_API int vaxalloc_register_batch(vaxalloc_campaign* campaign,
                                         const vaxalloc_registrant_spec* const* specs, size_t count,
                                         uint32_t* ids_out) VAXALLOC_NOEXCEPT;

/* Version 2 (0.2) appended standby; version 3 (0.3) erased. */
#define VAXALLOC_REGISTRANT_VERSION 3u
typedef struct vaxalloc_registrant {
  uint32_t version; /* VAXALLOC_REGISTRANT_VERSION */
  uint32_t id;
  char external_ref[VAXALLOC_EXTERNAL_REF_SIZE];
  uint32_t district;
  int32_t birth_day;
  int32_t group;   /* vaxalloc_priority_group */
  int32_t channel; /* vaxalloc_channel */
  int64_t registered_at;
  uint32_t vaccine_preference;
  int32_t status;        /* vaxalloc_registrant_status */
  int64_t waiting_since; /* when the person (re-)entered the waiting list */
  uint32_t series;       /* the active series when scheduled, the completed one when
                            vaccinated, else VAXALLOC_NO_ID */
  /* --- version 2 --- */
  uint8_t standby; /* on the standby list when waiting */
  /* --- version 3 (0.3) --- */
  /* 1: the registration was deleted (vaxalloc_registrant_delete()): the
   * registrant is WITHDRAWN, external_ref is "" and birth_day 0
   * (1970-01-01); district, group, channel, registered_at, the vaccine
   * preference and the series stay for the statistics. */
  uint8_t erased;
} vaxalloc_registrant;
#define VAXALLOC_REGISTRANT_INIT \
  { VAXALLOC_REGISTRANT_VERSION, 0, "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
/* Zeroes *registrant and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_registrant_init(vaxalloc_registrant* registrant,
                                          uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies registrant `id` into *out. Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_registrant_get(vaxalloc_campaign* campaign, uint32_t id,
                                         vaxalloc_registrant* out) VAXALLOC_NOEXCEPT;

/* Looks a registrant up by external reference (borrowed). A deleted
 * registration has none: its former reference is ENOTFOUND, and free for a
 * new registration.
 * Errors: EINVALID, ENOTFOUND. */
VAXALLOC_API int vaxalloc_registrant_find(vaxalloc_campaign* campaign, const char* external_ref,
                                          uint32_t* id_out) VAXALLOC_NOEXCEPT;

/* The tier (1..8) registrant `id` has under policy version `policy_version`
 * (0: the current policy), written to *tier_out.
 * Errors: EINVALID, VAXALLOC_ENOTFOUND (registrant or policy version). */
VAXALLOC_API int vaxalloc_tier_of(vaxalloc_campaign* campaign, uint32_t id, uint32_t policy_version,
                                  int32_t* tier_out) VAXALLOC_NOEXCEPT;

/* The registrant leaves the campaign at `at` (Unix seconds); an active series
 * is cancelled and its seats and doses return.
 * Errors: VAXALLOC_EINVALID (NULL, infinite time), VAXALLOC_ENOTFOUND,
 * VAXALLOC_EPRECONDITION (already withdrawn). */
VAXALLOC_API int vaxalloc_withdraw(vaxalloc_campaign* campaign, uint32_t registrant,
                                   int64_t at) VAXALLOC_NOEXCEPT;

/* Deletes registrant `registrant`'s registration at `at` (Unix seconds), at
 * the person's request (e.g. vaccinated elsewhere): first the withdrawal,
 * if not yet withdrawn, as vaxalloc_withdraw() (an active series is
 * cancelled, a hold lapses, with the events SERIES_CANCELLED and
 * REGISTRANT_WITHDRAWN), then, in the same transaction, what names the
 * person is erased for good: external_ref becomes "" and birth_day 0
 * (1970-01-01), and vaxalloc_registrant.erased 1. The reference is free for
 * a new registration at once. A registrant who withdrew before is only
 * erased (no event). The counts and the rest of the record stay.
 * Errors: VAXALLOC_EINVALID (NULL handle, infinite `at`),
 * VAXALLOC_ENOTFOUND (no such registrant), VAXALLOC_EPRECONDITION (the
 * registration is already deleted; for a registrant not yet withdrawn, `at`
 * at or before the latest draw), VAXALLOC_ERANGE (`at` outside 1900-2200).
 * Since 0.3. */
VAXALLOC_API int vaxalloc_registrant_delete(vaxalloc_campaign* campaign, uint32_t registrant,
                                            int64_t at) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Draws and series
 * ======================================================================== */

#define VAXALLOC_DRAW_REQUEST_VERSION 1u
typedef struct vaxalloc_draw_request {
  uint32_t version;        /* VAXALLOC_DRAW_REQUEST_VERSION */
  uint64_t seed_k0;        /* the SipHash key; publish it after the draw. A seed may */
  uint64_t seed_k1;        /* be used once per campaign. */
  int64_t at;              /* "now" (Unix seconds): only people waiting by then take part */
  int32_t first_dose_from; /* civil days: the first-dose window, inclusive */
  int32_t first_dose_until;
  const uint32_t* centers; /* borrowed; NULL with center_count 0: every center */
  size_t center_count;
  uint32_t series_limit; /* 0: as many as capacity allows */
} vaxalloc_draw_request;
#define VAXALLOC_DRAW_REQUEST_INIT \
  { VAXALLOC_DRAW_REQUEST_VERSION, 0, 0, 0, 0, 0, NULL, 0, 0 }
/* Sets *request to VAXALLOC_DRAW_REQUEST_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_draw_request_init(vaxalloc_draw_request* request,
                                            uint32_t version) VAXALLOC_NOEXCEPT;

/* Frozen. Per tier: waiting people who took part, and how many got a series. */
typedef struct vaxalloc_tier_count {
  uint32_t eligible;
  uint32_t assigned;
} vaxalloc_tier_count;

/* Version 2 (0.5) appended commitment. */
#define VAXALLOC_DRAW_INFO_VERSION 2u
typedef struct vaxalloc_draw_info {
  uint32_t version; /* VAXALLOC_DRAW_INFO_VERSION */
  uint32_t id;
  uint64_t seed_k0;
  uint64_t seed_k1;
  int64_t at;
  int32_t first_dose_from;
  int32_t first_dose_until;
  uint32_t series_limit;
  uint32_t policy_version;                      /* the policy the draw used */
  uint32_t center_count;                        /* the request's centers: vaxalloc_draw_centers() */
  uint32_t series_count;                        /* the winners' series: vaxalloc_draw_series() */
  vaxalloc_tier_count tiers[VAXALLOC_TIER_MAX]; /* [t - 1] for tier t */
  /* --- version 2 (0.5) --- */
  uint32_t commitment; /* the commitment a committed draw revealed; 0: a plain draw */
} vaxalloc_draw_info;
#define VAXALLOC_DRAW_INFO_INIT                                 \
  {                                                             \
    VAXALLOC_DRAW_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, { \
      { 0, 0 }                                                  \
    },                                                          \
    0                                                           \
  }
/* Zeroes *info and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_draw_info_init(vaxalloc_draw_info* info,
                                         uint32_t version) VAXALLOC_NOEXCEPT;

/* Runs a waitlist lottery draw (docs/draw.md) and commits it: the winners
 * get a series (first and, for two-dose vaccines, second appointment with
 * doses reserved). The record is written to *out (may be NULL): its id,
 * per-tier counts and the number of series; the series ids come from
 * vaxalloc_draw_series(). Deterministic: the same state and seed give the
 * same winners on every platform.
 * Errors: VAXALLOC_EINVALID (NULL, centers NULL with a count, infinite `at`,
 * an empty or too long window), VAXALLOC_EVERSION (request or out),
 * VAXALLOC_ENOTFOUND (an unknown center), VAXALLOC_EEXISTS (the seed was used
 * by an earlier draw), VAXALLOC_ERANGE (a window day outside 1900-2200). */
VAXALLOC_API int vaxalloc_draw(vaxalloc_campaign* campaign, const vaxalloc_draw_request* request,
                               vaxalloc_draw_info* out) VAXALLOC_NOEXCEPT;

/* Copies the record of draw `id` into *out. Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_draw_get(vaxalloc_campaign* campaign, uint32_t id,
                                   vaxalloc_draw_info* out) VAXALLOC_NOEXCEPT;

/* The ids of the series draw `id` created, in assignment order, into a caller
 * buffer (see "Caller buffers"). Errors: EINVALID, ENOTFOUND, EBUFFER. */
VAXALLOC_API int vaxalloc_draw_series(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out,
                                      size_t capacity, size_t* count_out) VAXALLOC_NOEXCEPT;

/* The centers draw `id` was limited to (none: every center), into a caller
 * buffer. Errors: EINVALID, ENOTFOUND, EBUFFER. */
VAXALLOC_API int vaxalloc_draw_centers(vaxalloc_campaign* campaign, uint32_t id, uint32_t* out,
                                       size_t capacity, size_t* count_out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Committed draws (0.5, docs/draw.md sections 9-12)
 *
 * A seed nobody can choose: vaxalloc_draw_commit() freezes everything the
 * draw will read and names public randomness that does not exist yet (a
 * drand round, a NIST beacon pulse); publish the commitment. Once the
 * beacon's value is out, vaxalloc_draw_reveal() runs the draw with the seed
 * SHA-256(commitment || beacon value) gives, and refuses if any input
 * changed. The bundle (vaxalloc_draw_bundle_write()) lets anyone re-run the
 * draw with `python3 -m vaxalloc.verify`.
 * ======================================================================== */

#define VAXALLOC_COMMITMENT_BYTES 32
#define VAXALLOC_BEACON_NAME_MAX 256   /* bytes of a beacon's name */
#define VAXALLOC_BEACON_VALUE_MAX 1024 /* bytes of a beacon's value */
#define VAXALLOC_ABANDON_REASON_MAX 256
#define VAXALLOC_BEACON_NAME_SIZE (VAXALLOC_BEACON_NAME_MAX + 1)
#define VAXALLOC_LIBRARY_VERSION_SIZE 32
#define VAXALLOC_ABANDON_REASON_SIZE (VAXALLOC_ABANDON_REASON_MAX + 1)

enum {
  VAXALLOC_COMMITMENT_PENDING = 0,   /* committed; waiting for the beacon's value */
  VAXALLOC_COMMITMENT_REVEALED = 1,  /* the draw ran: vaxalloc_draw_commitment.draw */
  VAXALLOC_COMMITMENT_ABANDONED = 2  /* closed unrevealed: abandon_reason says why */
};

#define VAXALLOC_DRAW_COMMITMENT_VERSION 1u
typedef struct vaxalloc_draw_commitment {
  uint32_t version; /* VAXALLOC_DRAW_COMMITMENT_VERSION */
  uint32_t id;
  int32_t status; /* VAXALLOC_COMMITMENT_* */
  uint32_t policy_version;
  int64_t at; /* the draw's instant (Unix seconds): who waits by then takes part */
  int32_t first_dose_from;
  int32_t first_dose_until;
  uint32_t series_limit;
  uint32_t center_count; /* the request's centers: vaxalloc_draw_commitment_centers() */
  uint64_t input_bytes;  /* length of the inputs the commitment hashes */
  uint8_t commitment[VAXALLOC_COMMITMENT_BYTES]; /* SHA-256 of the inputs: publish it */
  char beacon[VAXALLOC_BEACON_NAME_SIZE];        /* the public randomness named */
  /* Once revealed: */
  uint32_t draw;
  uint32_t beacon_value_size;
  uint8_t beacon_value[VAXALLOC_BEACON_VALUE_MAX];
  uint64_t seed_k0;
  uint64_t seed_k1;
  /* Once abandoned: */
  char abandon_reason[VAXALLOC_ABANDON_REASON_SIZE];
  int64_t settled_at; /* revealed or abandoned at; VAXALLOC_TIME_INFINITE_PAST while pending */
  /* Abandoned while its inputs were unchanged: it could have been revealed
   * (what an auditor looks for in seed shopping). */
  uint8_t abandoned_unchanged;
  char library_version[VAXALLOC_LIBRARY_VERSION_SIZE]; /* that made it */
} vaxalloc_draw_commitment;
/* Zeroes *commitment and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_draw_commitment_init(vaxalloc_draw_commitment* commitment,
                                               uint32_t version) VAXALLOC_NOEXCEPT;

/* Commits a draw of `request` (its seed must be 0, 0) that the public
 * randomness named by `beacon` (NUL-terminated, 1..VAXALLOC_BEACON_NAME_MAX
 * bytes) will decide. *out (may be NULL) gets the commitment. At most one
 * commitment is pending at a time, and no plain draw runs meanwhile.
 * Errors: VAXALLOC_EINVALID (NULL, a seed given, beacon NULL, empty, too
 * long or with a NUL; an invalid window or `at`, as vaxalloc_draw()),
 * VAXALLOC_EVERSION, VAXALLOC_ENOTFOUND (an unknown center), VAXALLOC_ERANGE
 * (a window day outside 1900-2200), VAXALLOC_EPRECONDITION (a commitment is
 * pending; `at` before the latest draw or change), VAXALLOC_EEXISTS (an
 * earlier commitment named the same beacon). */
VAXALLOC_API int vaxalloc_draw_commit(vaxalloc_campaign* campaign,
                                      const vaxalloc_draw_request* request, const char* beacon,
                                      vaxalloc_draw_commitment* out) VAXALLOC_NOEXCEPT;

/* Reveals pending commitment `commitment` with the beacon's value (its
 * published bytes, 1..VAXALLOC_BEACON_VALUE_MAX) at `at`: runs the draw at
 * the committed instant and writes its record to *out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL value, a value of 0 or too many bytes, `at`
 * before the commitment), VAXALLOC_ENOTFOUND, VAXALLOC_EPRECONDITION (not
 * pending; or the inputs changed since the commitment: the message names the
 * section, and nothing changed; or a change was stamped after the committed
 * instant), VAXALLOC_EEXISTS (the seed was used before). */
VAXALLOC_API int vaxalloc_draw_reveal(vaxalloc_campaign* campaign, uint32_t commitment,
                                      const uint8_t* beacon_value, size_t beacon_value_size,
                                      int64_t at, vaxalloc_draw_info* out) VAXALLOC_NOEXCEPT;

/* Closes pending commitment `commitment` unrevealed; `reason` (1..
 * VAXALLOC_ABANDON_REASON_MAX bytes) says why. It stays on record.
 * Errors: EINVALID, ENOTFOUND, EPRECONDITION (not pending). */
VAXALLOC_API int vaxalloc_draw_abandon(vaxalloc_campaign* campaign, uint32_t commitment,
                                       const char* reason, int64_t at) VAXALLOC_NOEXCEPT;

/* Copies commitment `id` into *out. Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_draw_commitment_get(vaxalloc_campaign* campaign, uint32_t id,
                                              vaxalloc_draw_commitment* out) VAXALLOC_NOEXCEPT;

/* The centers commitment `id` limits its draw to (none: every center), into a
 * caller buffer. Errors: EINVALID, ENOTFOUND, EBUFFER. */
VAXALLOC_API int vaxalloc_draw_commitment_centers(vaxalloc_campaign* campaign, uint32_t id,
                                                  uint32_t* out, size_t capacity,
                                                  size_t* count_out) VAXALLOC_NOEXCEPT;

/* The audit bundle of revealed commitment `commitment` (docs/draw.md section
 * 11) into a caller buffer of `capacity` bytes; *size_out is its size (see
 * "Caller buffers"). Errors: EINVALID, ENOTFOUND, EPRECONDITION (not
 * revealed), EBUFFER. */
VAXALLOC_API int vaxalloc_draw_bundle(vaxalloc_campaign* campaign, uint32_t commitment,
                                      uint8_t* out, size_t capacity,
                                      size_t* size_out) VAXALLOC_NOEXCEPT;

/* Writes the audit bundle to the file `path` (created or replaced; written
 * to a temporary file beside it and renamed, so a reader never sees half).
 * Errors: EINVALID, ENOTFOUND, EPRECONDITION, VAXALLOC_EPERM (the directory
 * or file may not be written), VAXALLOC_ERROR (another I/O failure; the message
 * names the file and the system's reason). */
VAXALLOC_API int vaxalloc_draw_bundle_write(vaxalloc_campaign* campaign, uint32_t commitment,
                                            const char* path) VAXALLOC_NOEXCEPT;

/* Frozen. One tier's chi-square test in vaxalloc_draw_fairness. */
typedef struct vaxalloc_tier_fairness {
  int32_t tier;
  uint32_t candidates;
  uint32_t winners;
  int32_t buckets; /* registration-time buckets, each expecting >= 5 winners and losers */
  int32_t degrees_of_freedom;
  double chi_square;
} vaxalloc_tier_fairness;

#define VAXALLOC_FAIRNESS_BUCKETS_MAX 100
#define VAXALLOC_DRAW_FAIRNESS_VERSION 1u
typedef struct vaxalloc_draw_fairness {
  uint32_t version; /* VAXALLOC_DRAW_FAIRNESS_VERSION */
  uint32_t commitment;
  int32_t buckets; /* asked for */
  int32_t degrees_of_freedom;
  double chi_square;
  double p_value;      /* 1 when no tier could be tested */
  uint32_t tier_count; /* tiers[0 .. tier_count): the tiers that could be tested */
  vaxalloc_tier_fairness tiers[VAXALLOC_TIER_MAX];
} vaxalloc_draw_fairness;
/* Zeroes *fairness and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_draw_fairness_init(vaxalloc_draw_fairness* fairness,
                                             uint32_t version) VAXALLOC_NOEXCEPT;

/* Whether registration time decided who won revealed commitment
 * `commitment`, inside its tiers (docs/draw.md section 13): a chi-square test
 * of winning against up to `buckets` (2..VAXALLOC_FAIRNESS_BUCKETS_MAX)
 * equal-count registration-time buckets per tier, into *out.
 * Errors: EINVALID (buckets), EVERSION, ENOTFOUND, EPRECONDITION (not
 * revealed). */
VAXALLOC_API int vaxalloc_draw_check_fairness(vaxalloc_campaign* campaign, uint32_t commitment,
                                              int32_t buckets,
                                              vaxalloc_draw_fairness* out) VAXALLOC_NOEXCEPT;

/* Frozen. One appointment: a seat in the slot starting `minute` after local
 * midnight of civil day `day`. */
typedef struct vaxalloc_appointment {
  int32_t day;
  int32_t minute;
} vaxalloc_appointment;

/* Version 2 (0.2) appended doses, origin, release, hold_expires_at and
 * replaces. */
#define VAXALLOC_SERIES_VERSION 2u
typedef struct vaxalloc_series {
  uint32_t version; /* VAXALLOC_SERIES_VERSION */
  uint32_t id;
  uint32_t registrant;
  uint32_t center;
  uint32_t vaccine;
  int32_t dose_count; /* appointments[0 .. dose_count - 1] are used */
  vaxalloc_appointment appointments[VAXALLOC_DOSE_COUNT_MAX];
  int32_t status;    /* vaxalloc_series_status */
  int64_t booked_at; /* Unix seconds: drawn, or proposed to a self-booker */
  uint32_t draw;     /* the draw that assigned it, if any */
  int32_t tier;      /* the registrant's tier in that draw (or when self-booked) */
  int32_t category;  /* 0: general pool; k: the policy's reserve k - 1 */
  /* --- version 2 --- */
  int32_t doses[VAXALLOC_DOSE_COUNT_MAX]; /* vaxalloc_dose_state, [0 .. dose_count - 1] */
  int32_t origin;                         /* vaxalloc_series_origin */
  uint32_t release;                       /* the release it was booked in, if any */
  /* While HELD: the instant (Unix seconds) the hold lapses unless confirmed.
   * Meaningful only then: VAXALLOC_TIME_INFINITE_PAST for a series never held
   * or confirmed; do not rely on its value once a hold has lapsed. */
  int64_t hold_expires_at;
  /* A short-notice hold: the registrant's later series that confirming it
   * cancels; else VAXALLOC_NO_ID. */
  uint32_t replaces;
} vaxalloc_series;
#define VAXALLOC_SERIES_INIT \
  { VAXALLOC_SERIES_VERSION, 0, 0, 0, 0, 0, {{0, 0}, {0, 0}}, 0, 0, 0, 0, 0, {0, 0}, 0, 0, 0, 0 }
/* Zeroes *series and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_series_init(vaxalloc_series* series, uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies series `id` into *out. Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_series_get(vaxalloc_campaign* campaign, uint32_t id,
                                     vaxalloc_series* out) VAXALLOC_NOEXCEPT;

/* Cancels an active series at `at` (Unix seconds): its seats and doses return
 * and its registrant waits again from `at`. Once the first dose was given,
 * only the second appointment returns and the registrant is withdrawn (the
 * series is finished elsewhere; a new one would repeat the first dose).
 * Errors: VAXALLOC_EINVALID (NULL, infinite time), VAXALLOC_ENOTFOUND,
 * VAXALLOC_EPRECONDITION (not active: already cancelled, completed, ...; a
 * hold is declined with vaxalloc_hold_decline(), not cancelled). */
VAXALLOC_API int vaxalloc_series_cancel(vaxalloc_campaign* campaign, uint32_t series,
                                        int64_t at) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Self-booking: releases, holds, short notice (since 0.2)
 * ======================================================================== */

/* Besides draws, people may book themselves, first come, first served:
 *   - in a RELEASE: first-dose seats of one center on a range of days, held
 *     back from draws and opened at an announced instant (Sachsen's releases
 *     every Monday, Wednesday and Friday at 8:00, 12:00, 18:00);
 *   - in the SHORT-NOTICE pool: free first-dose seats of the next
 *     vaxalloc_policy.short_notice_days days, for online registrants (Hessen);
 *     one who already has a later first appointment may swap it for an
 *     earlier one: confirming cancels the old series;
 *   - from the STANDBY list: at the end of a day a center offers the doses
 *     left to people who registered as able to come at short notice
 *     (vaxalloc_registrant_spec.standby): vaxalloc_standby_list() names them,
 *     best first, and vaxalloc_book() in mode VAXALLOC_BOOKING_STANDBY holds
 *     today's seat for the policy's standby_hold_seconds.
 * vaxalloc_book() proposes the earliest fitting series (second dose
 * included) and HOLDS it, seats and doses reserved, for the policy's
 * hold_seconds; the person confirms (vaxalloc_hold_confirm()) or declines
 * (vaxalloc_hold_decline()), or the hold lapses. A request with `confirm`
 * books at once. Holds due by a call's `at` lapse within vaxalloc_book();
 * vaxalloc_holds_expire() lets every due hold lapse (call it now and then).
 * Each call is one transaction; the rules are the core's (docs/booking.md).
 * Here and under "Attendance", an instant or a day outside the years
 * 1900-2200 is VAXALLOC_ERANGE. */

#define VAXALLOC_RELEASE_SPEC_VERSION 1u
typedef struct vaxalloc_release_spec {
  uint32_t version;        /* VAXALLOC_RELEASE_SPEC_VERSION */
  uint32_t center;         /* whose first-dose seats it holds back */
  uint32_t vaccine;        /* VAXALLOC_NO_ID: every vaccine of the center */
  int32_t first_day;       /* civil days of the first doses, inclusive */
  int32_t last_day;        /* at most 400 days after first_day */
  int64_t release_at;      /* Unix seconds: invisible and unbookable before */
  uint32_t first_dose_cap; /* series it may give out; 0: the seats decide */
} vaxalloc_release_spec;
#define VAXALLOC_RELEASE_SPEC_INIT \
  { VAXALLOC_RELEASE_SPEC_VERSION, 0, 0, 0, 0, 0, 0 }
/* Sets *spec to VAXALLOC_RELEASE_SPEC_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_release_spec_init(vaxalloc_release_spec* spec,
                                            uint32_t version) VAXALLOC_NOEXCEPT;

/* Adds a release: from now on draws and short-notice booking leave its
 * first-dose days alone, and from release_at on it is open for self-booking
 * (mode VAXALLOC_BOOKING_RELEASE). Second doses go wherever the vaccine's
 * interval fits. Its id is written to *id_out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL, last_day before first_day, more than 400
 * days, infinite release_at), VAXALLOC_EVERSION, VAXALLOC_ENOTFOUND (unknown
 * center or vaccine), VAXALLOC_EEXISTS (its days overlap another release of
 * the center for the same vaccine), VAXALLOC_ERANGE (a day outside
 * 1900-2200), VAXALLOC_EEXHAUSTED (ids). */
VAXALLOC_API int vaxalloc_release_add(vaxalloc_campaign* campaign,
                                      const vaxalloc_release_spec* spec,
                                      uint32_t* id_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_RELEASE_VERSION 1u
typedef struct vaxalloc_release {
  uint32_t version; /* VAXALLOC_RELEASE_VERSION */
  uint32_t id;
  uint32_t center;
  uint32_t vaccine;
  int32_t first_day;
  int32_t last_day;
  int64_t release_at;
  uint32_t first_dose_cap;
  uint32_t booked; /* series held, active, completed or missed that count against the cap */
} vaxalloc_release;
#define VAXALLOC_RELEASE_INIT \
  { VAXALLOC_RELEASE_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }
/* Zeroes *release and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_release_init(vaxalloc_release* release,
                                       uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies release `id` into *out (the number of releases is
 * vaxalloc_counts.releases). Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_release_get(vaxalloc_campaign* campaign, uint32_t id,
                                      vaxalloc_release* out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_BOOKING_REQUEST_VERSION 1u
typedef struct vaxalloc_booking_request {
  uint32_t version;    /* VAXALLOC_BOOKING_REQUEST_VERSION */
  uint32_t registrant; /* who books */
  int64_t at;          /* "now" (Unix seconds); slots starting before it are not offered */
  int32_t mode;        /* vaxalloc_booking_mode; default VAXALLOC_BOOKING_RELEASE */
  uint32_t center;     /* VAXALLOC_NO_ID (default): any center the registrant may use */
  uint32_t vaccine;    /* VAXALLOC_NO_ID (default): the preference, else any */
  /* First-dose days to look at (civil days, inclusive); the defaults
   * VAXALLOC_DAY_MIN / VAXALLOC_DAY_MAX mean from today on / without end. */
  int32_t first_dose_from;
  int32_t first_dose_until;
  uint8_t confirm; /* 1: book at once, no hold; default 0: hold */
} vaxalloc_booking_request;
#define VAXALLOC_BOOKING_REQUEST_INIT                                                         \
  {                                                                                           \
    VAXALLOC_BOOKING_REQUEST_VERSION, 0, 0, VAXALLOC_BOOKING_RELEASE, 0, 0, VAXALLOC_DAY_MIN, \
        VAXALLOC_DAY_MAX, 0                                                                   \
  }
/* Sets *request to VAXALLOC_BOOKING_REQUEST_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_booking_request_init(vaxalloc_booking_request* request,
                                               uint32_t version) VAXALLOC_NOEXCEPT;

/* Books the earliest fitting series for a waiting registrant (or, in
 * short-notice mode, one whose first appointment is later) and commits it:
 * HELD until at + the policy's hold (standby_hold_seconds in standby mode),
 * or, with `confirm`, confirmed at once as
 * by vaxalloc_hold_confirm() (same events). Holds due by `at` lapse first, in
 * the same transaction. The series is written to *out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL, bad mode, infinite `at`), VAXALLOC_EVERSION
 * (request or out), VAXALLOC_ENOTFOUND (unknown registrant, center or
 * vaccine), VAXALLOC_EPRECONDITION (the registrant is not waiting, still
 * has an unexpired hold, registered after `at`, the center does not serve
 * them; short notice off, a phone registrant or a first dose already given
 * in short-notice mode; not on the standby list in standby mode; `at` at or
 * before the latest draw),
 * VAXALLOC_EEXHAUSTED (no free series: nothing open in the window, the
 * releases' caps reached), VAXALLOC_ERANGE (a window day outside 1900-2200). */
VAXALLOC_API int vaxalloc_book(vaxalloc_campaign* campaign, const vaxalloc_booking_request* request,
                               vaxalloc_series* out) VAXALLOC_NOEXCEPT;

/* Confirms hold `hold` at `at` (before it lapses): the series becomes ACTIVE,
 * the registrant SCHEDULED, a series it replaces (short notice) CANCELLED,
 * and the events SERIES_CANCELLED (if one was replaced) and SERIES_BOOKED are
 * written. The series is written to *out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL, infinite `at`), VAXALLOC_EVERSION,
 * VAXALLOC_ENOTFOUND (no such series), VAXALLOC_EPRECONDITION (not a hold, the
 * hold lapsed by `at`, the registrant or the replaced series changed since). */
VAXALLOC_API int vaxalloc_hold_confirm(vaxalloc_campaign* campaign, uint32_t hold, int64_t at,
                                       vaxalloc_series* out) VAXALLOC_NOEXCEPT;

/* Declines hold `hold` at `at`: it becomes LAPSED and its seats and doses
 * return. Errors: VAXALLOC_EINVALID (NULL, infinite `at`), VAXALLOC_ENOTFOUND,
 * VAXALLOC_EPRECONDITION (not a hold). */
VAXALLOC_API int vaxalloc_hold_decline(vaxalloc_campaign* campaign, uint32_t hold,
                                       int64_t at) VAXALLOC_NOEXCEPT;

/* Lets every hold due by `at` lapse (their seats and doses return); how many
 * did is written to *lapsed_count_out (may be NULL; 0 is a success).
 * Errors: VAXALLOC_EINVALID (NULL handle, infinite `at`),
 * VAXALLOC_EPRECONDITION (`at` at or before the latest draw). */
VAXALLOC_API int vaxalloc_holds_expire(vaxalloc_campaign* campaign, int64_t at,
                                       uint32_t* lapsed_count_out) VAXALLOC_NOEXCEPT;

/* The standby list of center `center` at `at`: the registrants it may call
 * now for the doses left today, best first (by tier, then by how long they
 * have waited, then by reference). A registrant is on it while waiting with
 * standby set, registered by `at`, living in a district the center serves
 * and holding nothing. The whole list goes into a caller buffer (see "Caller
 * buffers"); call the first few with vaxalloc_book() in mode
 * VAXALLOC_BOOKING_STANDBY. Reading changes nothing.
 * Errors: VAXALLOC_EINVALID (NULL handle or count_out, out NULL with a
 * capacity, infinite `at`), VAXALLOC_ENOTFOUND (unknown center),
 * VAXALLOC_ERANGE (`at` outside 1900-2200), VAXALLOC_EBUFFER. Since 0.2. */
VAXALLOC_API int vaxalloc_standby_list(vaxalloc_campaign* campaign, uint32_t center, int64_t at,
                                       uint32_t* out, size_t capacity,
                                       size_t* count_out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Verification codes for online cancellation and withdrawal (since 0.2)
 * ======================================================================== */

/* Niedersachsen: a person who cancels online (or withdraws) confirms with a
 * one-time code sent to their phone. vaxalloc_code_issue() creates the code:
 * its digits are returned once, to the caller, and written into the outbox as
 * a VAXALLOC_EVENT_CODE_ISSUED event (vaxalloc_pending_events_v2() carries
 * them; they are deleted with the event when acknowledged). The campaign
 * keeps only a salted hash, never the digits. A new code for the same
 * registrant and purpose supersedes a pending one.
 * vaxalloc_code_verify() checks what the person typed: the right code, in
 * time, does the cancellation or (since 0.3) the deletion of the
 * registration, withdrawal included, in the same transaction; a wrong
 * one counts as an attempt, and after the policy's code_attempts wrong ones
 * the code locks. A policy's code_digits and code_lifetime_seconds apply to
 * the codes issued under it; its code_attempts to every entry checked under
 * it. */

#define VAXALLOC_CODE_REQUEST_VERSION 1u
typedef struct vaxalloc_code_request {
  uint32_t version;    /* VAXALLOC_CODE_REQUEST_VERSION */
  uint32_t registrant; /* whose cancellation or withdrawal */
  int32_t purpose;     /* vaxalloc_code_purpose; default CANCEL_SERIES */
  uint32_t series;     /* CANCEL_SERIES: the registrant's active series;
                          WITHDRAW: VAXALLOC_NO_ID */
  int64_t at;          /* "now" (Unix seconds): the code lives from then on */
} vaxalloc_code_request;
#define VAXALLOC_CODE_REQUEST_INIT \
  { VAXALLOC_CODE_REQUEST_VERSION, 0, VAXALLOC_CODE_PURPOSE_CANCEL_SERIES, 0, 0 }
/* Sets *request to VAXALLOC_CODE_REQUEST_INIT. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_code_request_init(vaxalloc_code_request* request,
                                            uint32_t version) VAXALLOC_NOEXCEPT;

/* Issues a one-time code and commits it (with its VAXALLOC_EVENT_CODE_ISSUED
 * event; a pending code it supersedes is marked so). The code's id is
 * written to *code_id_out (may be NULL: the event names it too), and its
 * digits, NUL-terminated, to digits_out[digits_capacity]: the policy's
 * code_digits plus 1 bytes are needed, VAXALLOC_VERIFICATION_CODE_SIZE
 * always suffices. A buffer too small is VAXALLOC_EBUFFER with nothing
 * issued. Send the digits to the person; do not store them.
 * Errors: VAXALLOC_EINVALID (NULL handle, request or digits_out; bad
 * purpose; a series with WITHDRAW; infinite `at`), VAXALLOC_EVERSION,
 * VAXALLOC_ENOTFOUND (unknown registrant or series), VAXALLOC_EPRECONDITION
 * (the registration is deleted; a CANCEL_SERIES code for a registrant who
 * withdrew; the series is not an active series of theirs;
 * `at` at or before the latest draw), VAXALLOC_ERANGE (`at` outside
 * 1900-2200), VAXALLOC_EBUFFER, VAXALLOC_EEXHAUSTED (ids). */
VAXALLOC_API int vaxalloc_code_issue(vaxalloc_campaign* campaign,
                                     const vaxalloc_code_request* request, uint32_t* code_id_out,
                                     char* digits_out, size_t digits_capacity) VAXALLOC_NOEXCEPT;

/* Checks the code `entered` (the digits the person typed; borrowed) against
 * code `code_id` at `at`. The outcome (vaxalloc_code_outcome) is written to
 * *outcome_out (may be NULL) whenever the code was checked, that is on
 * VAXALLOC_OK, VAXALLOC_EVERIFY and the EPRECONDITION of a code no longer
 * pending; on every other error it is left alone (set it to -1 first to tell
 * the two kinds of EPRECONDITION apart).
 *   - ACCEPTED, VAXALLOC_OK: the code is used, and its action is done and
 *     committed with it: the series is cancelled (as vaxalloc_series_cancel())
 *     or the registration deleted (as vaxalloc_registrant_delete(): withdrawn,
 *     reference and birth day erased; in 0.2 only withdrawn), with their
 *     events.
 *   - WRONG, VAXALLOC_EVERIFY: the attempt is counted and COMMITTED (the one
 *     failed call that changes the campaign); the last allowed wrong entry
 *     locks the code. The message says how many attempts are left.
 *   - EXPIRED or LOCKED, VAXALLOC_EVERIFY: nothing changes.
 *   - NOT_PENDING, VAXALLOC_EPRECONDITION: the code was used or superseded.
 * Errors: VAXALLOC_EINVALID (NULL handle or entered; an entry that is not 1..
 * VAXALLOC_VERIFICATION_DIGITS_MAX decimal digits, which is no attempt;
 * infinite `at`), VAXALLOC_ENOTFOUND (no such code), VAXALLOC_EVERIFY,
 * VAXALLOC_EPRECONDITION (not pending; or its action is no longer possible,
 * e.g. the series was cancelled meanwhile: checked before the entry, so the
 * refusal says nothing about the digits; nothing changes, the outcome is not
 * written), VAXALLOC_ERANGE. */
VAXALLOC_API int vaxalloc_code_verify(vaxalloc_campaign* campaign, uint32_t code_id,
                                      const char* entered, int64_t at,
                                      int32_t* outcome_out) VAXALLOC_NOEXCEPT;

/* A code as the campaign keeps it: never its digits (there are none to
 * give; only a salted hash is stored). */
#define VAXALLOC_CODE_VERSION 1u
typedef struct vaxalloc_code {
  uint32_t version; /* VAXALLOC_CODE_VERSION */
  uint32_t id;
  uint32_t registrant;
  int32_t purpose;    /* vaxalloc_code_purpose */
  uint32_t series;    /* for CANCEL_SERIES; else VAXALLOC_NO_ID */
  int32_t state;      /* vaxalloc_code_state */
  int64_t issued_at;  /* Unix seconds */
  int64_t expires_at; /* not accepted from this instant on */
  uint32_t attempts;  /* wrong entries so far */
} vaxalloc_code;
#define VAXALLOC_CODE_INIT \
  { VAXALLOC_CODE_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }
/* Zeroes *code and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_code_init(vaxalloc_code* code, uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies code `id` into *out (ids 1..vaxalloc_counts.codes).
 * Errors: EINVALID, EVERSION, ENOTFOUND. */
VAXALLOC_API int vaxalloc_code_get(vaxalloc_campaign* campaign, uint32_t id,
                                   vaxalloc_code* out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Attendance (since 0.2)
 * ======================================================================== */

/* Records at `at` that dose `dose` (1 or 2) of an active series was given or
 * missed (vaxalloc_dose_outcome); its appointment must have begun by `at`.
 * The last dose given completes the series (COMPLETED; the registrant is
 * VACCINATED). A missed first dose ends it (MISSED; the second's seat
 * returns; the registrant waits again from `at`); a missed second dose keeps
 * it ACTIVE for vaxalloc_second_dose_rebook() or vaxalloc_series_cancel().
 * The series is written to *out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL, bad outcome, dose not 1..dose_count,
 * infinite `at`), VAXALLOC_EVERSION, VAXALLOC_ENOTFOUND,
 * VAXALLOC_EPRECONDITION (not active, the dose already recorded, dose 2
 * before dose 1 was given, the appointment has not begun). */
VAXALLOC_API int vaxalloc_dose_record(vaxalloc_campaign* campaign, uint32_t series, int32_t dose,
                                      int32_t outcome, int64_t at,
                                      vaxalloc_series* out) VAXALLOC_NOEXCEPT;

/* Gives a series whose second dose was missed a new second appointment: the
 * earliest free seat from `at` on that still lies within the vaccine's
 * interval; writes VAXALLOC_EVENT_SECOND_DOSE_REBOOKED. The series is written
 * to *out (may be NULL).
 * Errors: VAXALLOC_EINVALID (NULL, infinite `at`), VAXALLOC_EVERSION,
 * VAXALLOC_ENOTFOUND, VAXALLOC_EPRECONDITION (no missed second dose to
 * rebook), VAXALLOC_EEXHAUSTED (no seat or dose left in the interval). */
VAXALLOC_API int vaxalloc_second_dose_rebook(vaxalloc_campaign* campaign, uint32_t series,
                                             int64_t at, vaxalloc_series* out) VAXALLOC_NOEXCEPT;

/* Frozen. Attendance on one day of one center (all vaccines). */
typedef struct vaxalloc_day_attendance {
  int32_t day;         /* civil day */
  uint32_t booked;     /* appointments still open */
  uint32_t given;      /* doses given */
  uint32_t missed;     /* appointments missed */
  double no_show_rate; /* missed / (given + missed); 0 when nothing was recorded */
} vaxalloc_day_attendance;

/* Appointments, doses given and no-shows per day of center `center`, for
 * every day in [from, until] (civil days, at most 3660) on which the center
 * had an appointment, by day, into a caller buffer (see "Caller buffers").
 * Errors: VAXALLOC_EINVALID (NULL, until before from, too long a range),
 * VAXALLOC_ENOTFOUND (unknown center), VAXALLOC_ERANGE (a day outside
 * 1900-2200), VAXALLOC_EBUFFER. */
VAXALLOC_API int vaxalloc_attendance(vaxalloc_campaign* campaign, uint32_t center, int32_t from,
                                     int32_t until, vaxalloc_day_attendance* out, size_t capacity,
                                     size_t* count_out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * Queries and reports
 * ======================================================================== */

/* Version 2 (0.2) appended releases, holds and codes; version 3 (0.5)
 * draw_commitments. */
#define VAXALLOC_COUNTS_VERSION 3u
typedef struct vaxalloc_counts {
  uint32_t version; /* VAXALLOC_COUNTS_VERSION */
  uint32_t districts;
  uint32_t vaccines;
  uint32_t centers;
  uint32_t registrants;
  uint32_t series;
  uint32_t draws;
  uint32_t policy_version;  /* the current policy */
  uint64_t capacity_blocks; /* added so far */
  uint64_t deliveries;
  uint64_t revision; /* grows with every change; equal revisions, equal state */
  /* --- version 2 --- */
  uint32_t releases; /* ids 1..releases: vaxalloc_release_get() */
  uint32_t holds;    /* series HELD now */
  uint32_t codes;    /* verification codes issued: ids 1..codes, vaxalloc_code_get() */
  /* --- version 3 (0.5) --- */
  uint32_t draw_commitments; /* ids 1..draw_commitments: vaxalloc_draw_commitment_get() */
} vaxalloc_counts;
#define VAXALLOC_COUNTS_INIT \
  { VAXALLOC_COUNTS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
/* Zeroes *counts and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_counts_init(vaxalloc_counts* counts, uint32_t version) VAXALLOC_NOEXCEPT;

/* How many of everything the campaign holds. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_counts_get(vaxalloc_campaign* campaign,
                                     vaxalloc_counts* out) VAXALLOC_NOEXCEPT;

/* The latest instant (Unix seconds, rounded down) any change was stamped
 * with: cancellations, withdrawals, booking flows, attendance, codes, draws;
 * not registrations. VAXALLOC_TIME_INFINITE_PAST before the first. A draw
 * stamped before it is VAXALLOC_EPRECONDITION. Errors: EINVALID. Since 0.4. */
VAXALLOC_API int vaxalloc_latest_change(vaxalloc_campaign* campaign,
                                        int64_t* at_out) VAXALLOC_NOEXCEPT;

/* Frozen. One slot of a pool's calendar as it stands. The appointments it
 * takes (its seats plus the policy's overbooking) are in vaxalloc_slot_v2. */
typedef struct vaxalloc_slot {
  int32_t day;
  int32_t minute; /* start, minutes after local midnight */
  int32_t seats_first;
  int32_t seats_second;
  int32_t booked_first;
  int32_t booked_second;
} vaxalloc_slot;

/* The slots of one center's vaccine on civil day `day`, by start minute,
 * into a caller buffer. A center, vaccine or day with no capacity has no
 * slots (count 0, not an error). Errors: EINVALID, EBUFFER. */
VAXALLOC_API int vaxalloc_slots(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine,
                                int32_t day, vaxalloc_slot* out, size_t capacity,
                                size_t* count_out) VAXALLOC_NOEXCEPT;

/* Frozen. vaxalloc_slot with the appointments the slot takes: the same
 * first fields at the same offsets, then bookable_first and
 * bookable_second, its seats plus its share of the current policy's
 * overbooking (vaxalloc_policy.overbook_permille; equal to the seats
 * without overbooking). booked_first may exceed seats_first; it exceeds
 * bookable_first only after a policy lowered the overbooking (the
 * appointments stay; the slot takes no new ones). Since 0.3. */
typedef struct vaxalloc_slot_v2 {
  int32_t day;
  int32_t minute;
  int32_t seats_first; /* as the capacity blocks give them */
  int32_t seats_second;
  int32_t booked_first;
  int32_t booked_second;
  int32_t bookable_first;
  int32_t bookable_second;
} vaxalloc_slot_v2;

/* vaxalloc_slots() with vaxalloc_slot_v2 elements: the same arguments,
 * buffer convention and errors. Since 0.3. */
VAXALLOC_API int vaxalloc_slots_v2(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine,
                                   int32_t day, vaxalloc_slot_v2* out, size_t capacity,
                                   size_t* count_out) VAXALLOC_NOEXCEPT;

/* Doses of a center's vaccine not yet reserved that appointments on `day`
 * could still use (the smallest slack from that day on), into *doses_out; 0
 * for a center and vaccine with no calendar. Errors: EINVALID. */
VAXALLOC_API int vaxalloc_doses_available(vaxalloc_campaign* campaign, uint32_t center,
                                          uint32_t vaccine, int32_t day,
                                          int64_t* doses_out) VAXALLOC_NOEXCEPT;

/* Frozen. A first-dose day whose seats cannot all be paired with a second
 * dose inside the vaccine's interval. */
typedef struct vaxalloc_second_dose_shortfall {
  uint32_t center;
  uint32_t vaccine;
  int32_t day;
  int64_t seats_first;
  int64_t seats_second_in_window;
} vaxalloc_second_dose_shortfall;

/* Every first-dose day whose seats lack second-dose seats, into a caller
 * buffer (a planning check on capacity; draws never book unpaired first
 * doses). Errors: EINVALID, EBUFFER. */
VAXALLOC_API int vaxalloc_second_dose_shortfalls(vaxalloc_campaign* campaign,
                                                 vaxalloc_second_dose_shortfall* out,
                                                 size_t capacity,
                                                 size_t* count_out) VAXALLOC_NOEXCEPT;

/* Version 2 (0.2) appended vaccinated, series_held, series_completed,
 * series_missed, doses_given and doses_missed. */
#define VAXALLOC_REPORT_VERSION 2u
typedef struct vaxalloc_report {
  uint32_t version; /* VAXALLOC_REPORT_VERSION */
  uint64_t registrants;
  uint64_t waiting;
  uint64_t scheduled;
  uint64_t withdrawn;
  uint64_t waiting_per_tier[VAXALLOC_TIER_MAX]; /* [t - 1], by the current policy */
  uint64_t series_active;
  uint64_t series_cancelled;
  uint64_t draws;
  uint64_t center_count; /* per center: vaxalloc_report_centers() */
  /* --- version 2 --- */
  uint64_t vaccinated; /* registrants */
  uint64_t series_held;
  uint64_t series_completed;
  uint64_t series_missed; /* ended by a missed first dose */
  uint64_t doses_given;
  uint64_t doses_missed;
} vaxalloc_report;
#define VAXALLOC_REPORT_INIT \
  { VAXALLOC_REPORT_VERSION, 0, 0, 0, 0, {0}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
/* Zeroes *report and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_report_init(vaxalloc_report* report, uint32_t version) VAXALLOC_NOEXCEPT;

/* A summary of the campaign as it stands. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_report_get(vaxalloc_campaign* campaign,
                                     vaxalloc_report* out) VAXALLOC_NOEXCEPT;

/* Frozen. One center's line of the report. */
typedef struct vaxalloc_center_report {
  uint32_t center;
  uint64_t series_active;
  uint64_t seats_first_free; /* in the whole calendar, past days included */
  int64_t doses_delivered;
  int64_t doses_reserved;     /* by active series, both doses */
  uint64_t residents_waiting; /* waiting people whose home district it serves */
} vaxalloc_center_report;

/* The report's per-center lines, by center id, into a caller buffer.
 * Errors: EINVALID, EBUFFER. */
VAXALLOC_API int vaxalloc_report_centers(vaxalloc_campaign* campaign, vaxalloc_center_report* out,
                                         size_t capacity, size_t* count_out) VAXALLOC_NOEXCEPT;

/* Frozen (since 0.2). One tier of vaxalloc_wait_forecast. */
typedef struct vaxalloc_tier_forecast {
  uint64_t waiting;       /* waiting people of this tier (current policy) */
  uint64_t waiting_ahead; /* waiting people of better tiers */
  /* The civil day the tier's last person would get a first dose; meaningful
   * only when has_last_first_dose (0 when the calendar's seats or the supply
   * run out first, or nobody of the tier waits). */
  int32_t last_first_dose;
  uint8_t has_last_first_dose; /* boolean */
  int64_t days;                /* today to last_first_dose; -1 without one */
} vaxalloc_tier_forecast;

/* Since 0.2. */
#define VAXALLOC_WAIT_FORECAST_VERSION 1u
typedef struct vaxalloc_wait_forecast {
  uint32_t version;               /* VAXALLOC_WAIT_FORECAST_VERSION */
  int32_t today;                  /* civil day of `at` in the policy's time zone */
  uint64_t first_doses_available; /* free first-dose seats from today on that supply can serve */
  vaxalloc_tier_forecast tiers[VAXALLOC_TIER_MAX]; /* [t - 1] for tier t */
} vaxalloc_wait_forecast;
#define VAXALLOC_WAIT_FORECAST_INIT         \
  {                                         \
    VAXALLOC_WAIT_FORECAST_VERSION, 0, 0, { \
      { 0, 0, 0, 0, 0 }                     \
    }                                       \
  }
/* Zeroes *forecast and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_wait_forecast_init(vaxalloc_wait_forecast* forecast,
                                             uint32_t version) VAXALLOC_NOEXCEPT;

/* When the waiting list could be through, tier by tier, as of `at` (Unix
 * seconds): every free first-dose seat from today on (release days included,
 * statewide) goes to the waiting list in tier order, each center's vaccine
 * as long as its supply from that day on covers whole series; tier t is
 * through on the first day the seats so far reach the people waiting in
 * tiers 1..t. Residence, vaccine preference and age are ignored: an
 * estimate for reporting (docs/booking.md, "Reporting"). Written to *out.
 * Errors: VAXALLOC_EINVALID (NULL, infinite `at`), VAXALLOC_EVERSION,
 * VAXALLOC_ERANGE (`at` outside 1900-2200). */
VAXALLOC_API int vaxalloc_forecast_wait(vaxalloc_campaign* campaign, int64_t at,
                                        vaxalloc_wait_forecast* out) VAXALLOC_NOEXCEPT;

/* Runs the invariant checker over the whole campaign: no slot over capacity,
 * no first dose without its second, no more appointments than doses, one
 * active series per person, residence, tier order, eligibility, bookkeeping.
 * *violation_count_out (may be NULL) receives the number of violations (0:
 * all hold). *text_out (may be NULL) receives a library-allocated,
 * NUL-terminated description (the first 100 violations), which the caller
 * frees with vaxalloc_free(); it is set to NULL on failure.
 * Violations are a result, not an error: the call returns VAXALLOC_OK.
 * Errors: EINVALID. May take long on large campaigns (the handle stays locked). */
VAXALLOC_API int vaxalloc_check_invariants(vaxalloc_campaign* campaign,
                                           uint64_t* violation_count_out,
                                           char** text_out) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * The outbox: what a host must act on
 * ======================================================================== */

/* Every change a host must tell someone about (a letter, an SMS, an e-mail)
 * is written as an event in the same transaction as the change itself (a
 * transactional outbox): a committed draw, cancellation, withdrawal, confirmed
 * booking, rebooking or issued code always has its events, a failed one never
 * has (holds, declines, expiries, attendance and code attempts write none).
 * Delivery is AT LEAST ONCE: an event stays pending until acknowledged, so a
 * host that crashes between sending and acknowledging reads it again after
 * reopening, with the same id; it drops duplicates by id. Ids ascend in
 * commit order and are never reused. A campaign opened as ":memory:" has an
 * outbox too, lost with the handle.
 *
 * The usual loop:
 *     vaxalloc_event page[256];
 *     size_t count = 0;
 *     uint64_t last = 0;
 *     do {
 *       if (vaxalloc_pending_events(c, last, page, 256, &count) != VAXALLOC_OK) break;
 *       for (size_t i = 0; i < count; ++i) { send(&page[i]); last = page[i].id; }
 *     } while (count == 256);
 *     if (last > 0) vaxalloc_acknowledge_events(c, last);  (after sending) */

/* Stable numbers, equal to the core's vaxalloc::EventKind. A host built
 * against an older header may see kinds it does not know: skip them. */
typedef enum vaxalloc_event_kind {
  VAXALLOC_EVENT_SERIES_ASSIGNED = 1,      /* a draw gave the registrant a series */
  VAXALLOC_EVENT_SERIES_CANCELLED = 2,     /* the series was cancelled (also by a withdrawal
                                              or a short-notice swap) */
  VAXALLOC_EVENT_REGISTRANT_WITHDRAWN = 3, /* the registrant left (also by
                                              vaxalloc_registrant_delete(), whose
                                              erasure follows at once) */
  VAXALLOC_EVENT_SERIES_BOOKED = 4,        /* a self-booking was confirmed (since 0.2) */
  VAXALLOC_EVENT_SECOND_DOSE_REBOOKED = 5, /* a missed second dose got a new appointment
                                              (since 0.2) */
  VAXALLOC_EVENT_CODE_ISSUED = 6           /* send the code (vaxalloc_event_v2.digits) to
                                              the registrant's phone (since 0.2) */
} vaxalloc_event_kind;

/* The largest page vaxalloc_pending_events() returns at once. */
#define VAXALLOC_EVENTS_PER_READ_MAX 100000

/* Frozen. One pending event. A withdrawal of a scheduled registrant gives two
 * events, SERIES_CANCELLED then REGISTRANT_WITHDRAWN, both naming the series;
 * a confirmed short-notice swap gives SERIES_CANCELLED (the old series) then
 * SERIES_BOOKED (the new one). A CODE_ISSUED event names the registrant and,
 * for a cancellation code, the series; its code id and digits are only in
 * vaxalloc_event_v2. */
typedef struct vaxalloc_event {
  uint64_t id;         /* 1, 2, ...: ascending in commit order, never reused */
  int32_t kind;        /* vaxalloc_event_kind */
  int64_t at;          /* Unix seconds: the instant of the change (a draw's `at`,
                          a cancellation's, withdrawal's, confirmation's or
                          rebooking's `at`) */
  uint32_t registrant; /* always set */
  uint32_t series;     /* VAXALLOC_NO_ID for REGISTRANT_WITHDRAWN without a series */
  uint32_t draw;       /* for SERIES_ASSIGNED; else VAXALLOC_NO_ID */
} vaxalloc_event;

/* Reads pending (not yet acknowledged) events with id > after_id, oldest
 * first, into out[0 .. capacity - 1]; *count_out receives how many were
 * written (0: none pending after after_id).
 * A PAGING call, not the "Caller buffers" convention: capacity is the page
 * size, 1..VAXALLOC_EVENTS_PER_READ_MAX; when more events are pending, the
 * call still succeeds with a full page (*count_out == capacity) and never
 * returns VAXALLOC_EBUFFER. Read the next page with after_id = the last id
 * read. Reading changes nothing: call it as often as you like; each call
 * reads one consistent snapshot of the file.
 * out: caller array, written only on success. count_out: required.
 * Errors: VAXALLOC_EINVALID (NULL handle, out or count_out; capacity 0 or
 * above VAXALLOC_EVENTS_PER_READ_MAX), and those of reading the file
 * (VAXALLOC_EBUSY, VAXALLOC_ECORRUPT). */
VAXALLOC_API int vaxalloc_pending_events(vaxalloc_campaign* campaign, uint64_t after_id,
                                         vaxalloc_event* out, size_t capacity,
                                         size_t* count_out) VAXALLOC_NOEXCEPT;

/* Frozen. vaxalloc_event with what a CODE_ISSUED event carries: the same
 * first fields at the same offsets, then the code's id and its digits. Since
 * 0.2. */
typedef struct vaxalloc_event_v2 {
  uint64_t id;
  int32_t kind; /* vaxalloc_event_kind */
  int64_t at;
  uint32_t registrant;
  uint32_t series;
  uint32_t draw;
  uint32_t code_id; /* for CODE_ISSUED (vaxalloc_code_verify()); else VAXALLOC_NO_ID */
  /* For CODE_ISSUED: the digits to send, NUL-terminated; else "". The outbox
   * keeps them only until the event is acknowledged. */
  char digits[VAXALLOC_VERIFICATION_CODE_SIZE];
} vaxalloc_event_v2;

/* vaxalloc_pending_events() with vaxalloc_event_v2 elements: the same
 * paging, arguments and errors. Since 0.2. */
VAXALLOC_API int vaxalloc_pending_events_v2(vaxalloc_campaign* campaign, uint64_t after_id,
                                            vaxalloc_event_v2* out, size_t capacity,
                                            size_t* count_out) VAXALLOC_NOEXCEPT;

/* Acknowledges every pending event with id <= through_id: they were handled
 * and are never shown again (they are deleted from the file, in one
 * transaction). Acknowledge only what has been acted on; acknowledging ids
 * already acknowledged, or through_id 0, is harmless and succeeds. It is no
 * change of the campaign: it has no journal entry.
 * Errors: VAXALLOC_EINVALID (NULL handle; through_id above every event id
 * ever written, which cannot have been read), VAXALLOC_EPRECONDITION (a
 * read-only handle), and those of writing the file (VAXALLOC_EBUSY,
 * VAXALLOC_EPERM, ...). */
VAXALLOC_API int vaxalloc_acknowledge_events(vaxalloc_campaign* campaign,
                                             uint64_t through_id) VAXALLOC_NOEXCEPT;

/* ===========================================================================
 * The operation journal (docs/journal.md)
 *
 * Every change is an entry of the file's journal, in the change's own
 * transaction: seq 1, 2, 3, ..., the operation and its canonical arguments,
 * and a SHA-256 hash over the previous entry's hash and this entry. Several
 * handles, in one process or many, may use one file at once: every call on
 * a handle first applies, in order, the entries other connections committed
 * since its last call, so no answer is older than the call, and a change
 * prepared while another connection committed is prepared again on the
 * caught-up state. Since 0.4.
 * ======================================================================== */

/* Catches up with what other connections committed (every call does this
 * first; this call does nothing else).
 * Errors: VAXALLOC_EINVALID (NULL), VAXALLOC_ECORRUPT (the journal no longer
 * chains to what this handle applied: an entry changed or removed),
 * VAXALLOC_EBUSY. */
VAXALLOC_API int vaxalloc_campaign_refresh(vaxalloc_campaign* campaign) VAXALLOC_NOEXCEPT;

/* The last journal entry the handle includes (after catching up), into
 * *seq_out. Errors: VAXALLOC_EINVALID (NULL), those of catching up. */
VAXALLOC_API int vaxalloc_journal_seq(vaxalloc_campaign* campaign,
                                      uint64_t* seq_out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_JOURNAL_CHECK_VERSION 1u
typedef struct vaxalloc_journal_check {
  uint32_t version;       /* VAXALLOC_JOURNAL_CHECK_VERSION */
  uint64_t entries;       /* entries checked and found intact */
  uint64_t first_bad_seq; /* 0: intact; else the first entry changed, removed or moved */
  uint8_t head[32];       /* the last entry's hash when intact, else zeros */
} vaxalloc_journal_check;
#define VAXALLOC_JOURNAL_CHECK_INIT \
  { VAXALLOC_JOURNAL_CHECK_VERSION, 0, 0, { 0 } }
/* Zeroes *check and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_journal_check_init(vaxalloc_journal_check* check,
                                             uint32_t version) VAXALLOC_NOEXCEPT;

/* Walks the journal's hash chain from its first entry. Intact: VAXALLOC_OK
 * and *out filled. Broken: VAXALLOC_ECORRUPT, *out filled (first_bad_seq is
 * the first entry changed, removed or moved) and the message says what is
 * wrong there.
 * Errors: VAXALLOC_EINVALID (NULL), VAXALLOC_EVERSION, VAXALLOC_ECORRUPT,
 * VAXALLOC_EBUSY. */
VAXALLOC_API int vaxalloc_journal_verify(vaxalloc_campaign* campaign,
                                         vaxalloc_journal_check* out) VAXALLOC_NOEXCEPT;

#define VAXALLOC_JOURNAL_ENTRY_VERSION 1u
typedef struct vaxalloc_journal_entry {
  uint32_t version; /* VAXALLOC_JOURNAL_ENTRY_VERSION */
  uint32_t op;      /* the operation's number (docs/journal.md) */
  uint64_t seq;
  int64_t committed_at_us; /* Unix microseconds */
  int64_t clock_us;        /* the campaign's latest change instant once applied
                              (INT64_MIN before any); Unix microseconds */
  const char* op_name;     /* "book", "draw", ...; borrowed, see below */
  const uint8_t* args;     /* the canonical arguments, as hashed; borrowed */
  size_t args_size;
  uint8_t hash[32];
} vaxalloc_journal_entry;
#define VAXALLOC_JOURNAL_ENTRY_INIT \
  { VAXALLOC_JOURNAL_ENTRY_VERSION, 0, 0, 0, 0, NULL, NULL, 0, { 0 } }
/* Zeroes *entry and sets its version. Errors: EINVALID, EVERSION. */
VAXALLOC_API int vaxalloc_journal_entry_init(vaxalloc_journal_entry* entry,
                                             uint32_t version) VAXALLOC_NOEXCEPT;

/* Copies journal entry `seq` into *out. op_name and args are borrowed: valid
 * until the next call on the handle.
 * Errors: VAXALLOC_EINVALID (NULL), VAXALLOC_EVERSION, VAXALLOC_ENOTFOUND
 * (no such entry), VAXALLOC_EBUSY. */
VAXALLOC_API int vaxalloc_journal_entry_get(vaxalloc_campaign* campaign, uint64_t seq,
                                            vaxalloc_journal_entry* out) VAXALLOC_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VAXALLOC_C_H_ */
