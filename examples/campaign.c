/* A small vaccination campaign driven through the C ABI only (vaxalloc.h).
 *
 *   vaxalloc_campaign_c [CAMPAIGN_FILE]
 *
 * Two districts in Hessen with one center each, an mRNA vaccine (two doses,
 * 21 days apart) and a one-dose vaccine, opening hours, deliveries, Hessen's
 * 7 June 2021 tier cut-off, a waiting list of twelve people, a weekly lottery
 * draw, a withdrawal and a second draw that hands the freed doses on; then a
 * scheduled release (Sachsen-style: first come, first served, each booking
 * held until confirmed, or booked at once), an online cancellation confirmed
 * with a one-time code sent by SMS (one wrong entry, then the right one), a
 * week of attendance (doses given or missed, no-show rates per day) and an
 * end-of-day offer of leftover doses to the standby list. After each step the
 * letters, e-mails and SMS to send come from the outbox.
 * Without CAMPAIGN_FILE the campaign lives in memory; with one it is written
 * to that file, which must not exist yet. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vaxalloc.h"

/* One line per series: who, where, which vaccine, when. */
static void print_series(vaxalloc_campaign* campaign, uint32_t id, const char* prefix);

/* Stops the program with the library's message when a call fails. */
static void check(int rc, const char* what) {
  if (rc != VAXALLOC_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, vaxalloc_errstr(rc), vaxalloc_last_error());
    exit(1);
  }
}

static int32_t day_of(int32_t year, int32_t month, int32_t day) {
  int32_t number = 0;
  check(vaxalloc_day_from_ymd(year, month, day, &number), "vaxalloc_day_from_ymd");
  return number;
}

/* Unix seconds of a day and time in UTC (the example keeps to UTC). */
static int64_t instant(int32_t day, int32_t hour, int32_t minute) {
  return (int64_t)day * 86400 + hour * 3600 + minute * 60;
}

static void format_day(int32_t day, char out[11]) {
  int32_t year = 0, month = 0, day_of_month = 0;
  check(vaxalloc_day_to_ymd(day, &year, &month, &day_of_month), "vaxalloc_day_to_ymd");
  snprintf(out, 11, "%04d-%02d-%02d", (int)year, (int)month, (int)day_of_month);
}

static void print_draw(vaxalloc_campaign* campaign, const vaxalloc_draw_info* draw) {
  uint32_t series_ids[64];
  size_t count = 0;
  size_t i;
  int tier;
  char seed[VAXALLOC_SEED_TEXT_SIZE];
  check(vaxalloc_seed_format(draw->seed_k0, draw->seed_k1, seed, sizeof seed),
        "vaxalloc_seed_format");
  printf("draw %u (seed %s, policy %u):\n", draw->id, seed, draw->policy_version);
  for (tier = 1; tier <= VAXALLOC_TIER_MAX; ++tier) {
    const vaxalloc_tier_count* counts = &draw->tiers[tier - 1];
    if (counts->eligible > 0) {
      printf("  tier %d: %u of %u waiting got appointments\n", tier, counts->assigned,
             counts->eligible);
    }
  }
  check(vaxalloc_draw_series(campaign, draw->id, series_ids, 64, &count), "vaxalloc_draw_series");
  for (i = 0; i < count; ++i) print_series(campaign, series_ids[i], "");
}

static void print_series(vaxalloc_campaign* campaign, uint32_t id, const char* prefix) {
  static const char* const statuses[] = {"active", "cancelled", "held",
                                         "lapsed", "completed", "missed"};
  vaxalloc_series series = VAXALLOC_SERIES_INIT;
  vaxalloc_registrant person = VAXALLOC_REGISTRANT_INIT;
  vaxalloc_center center = VAXALLOC_CENTER_INIT;
  vaxalloc_vaccine vaccine = VAXALLOC_VACCINE_INIT;
  char first[11], second[11];
  check(vaxalloc_series_get(campaign, id, &series), "vaxalloc_series_get");
  check(vaxalloc_registrant_get(campaign, series.registrant, &person), "vaxalloc_registrant_get");
  check(vaxalloc_center_get(campaign, series.center, &center), "vaxalloc_center_get");
  check(vaxalloc_vaccine_get(campaign, series.vaccine, &vaccine), "vaxalloc_vaccine_get");
  format_day(series.appointments[0].day, first);
  printf("  %s%-6s tier %d  %-22s %-9s %s %02d:%02d", prefix, person.external_ref, (int)series.tier,
         center.name, vaccine.code, first, (int)(series.appointments[0].minute / 60),
         (int)(series.appointments[0].minute % 60));
  if (series.dose_count == 2) {
    format_day(series.appointments[1].day, second);
    printf("  + %s %02d:%02d", second, (int)(series.appointments[1].minute / 60),
           (int)(series.appointments[1].minute % 60));
  }
  if (series.status >= 0 && series.status <= VAXALLOC_SERIES_MISSED) {
    printf("  [%s]", statuses[series.status]);
  }
  printf("\n");
}

/* The host's side of the outbox: reads the pending events page by page,
 * "sends" each (prints the letter or SMS it stands for) and then
 * acknowledges them. Should the program die before the acknowledgement, the
 * same events (same ids) are pending again next time: delivery is at least
 * once, and a real host drops ids it has already sent. */
static void deliver_events(vaxalloc_campaign* campaign) {
  enum { kPage = 4 };            /* small, to show the paging; a host would read more */
  vaxalloc_event_v2 page[kPage]; /* the _v2 events carry the codes to send */
  size_t count = 0, i;
  uint64_t last = 0;
  do {
    check(vaxalloc_pending_events_v2(campaign, last, page, kPage, &count), "pending_events");
    for (i = 0; i < count; ++i) {
      const vaxalloc_event_v2* event = &page[i];
      vaxalloc_registrant person = VAXALLOC_REGISTRANT_INIT;
      const char* via;
      check(vaxalloc_registrant_get(campaign, event->registrant, &person), "registrant");
      via = person.channel == VAXALLOC_CHANNEL_PHONE ? "letter" : "e-mail";
      switch (event->kind) {
        case VAXALLOC_EVENT_SERIES_ASSIGNED:
          printf("  outbox %" PRIu64 ": %s to %s: your appointments (series %u, draw %u)\n",
                 event->id, via, person.external_ref, event->series, event->draw);
          break;
        case VAXALLOC_EVENT_SERIES_CANCELLED:
          printf("  outbox %" PRIu64 ": %s to %s: series %u is cancelled\n", event->id, via,
                 person.external_ref, event->series);
          break;
        case VAXALLOC_EVENT_REGISTRANT_WITHDRAWN:
          printf("  outbox %" PRIu64 ": %s to %s: you left the waiting list\n", event->id, via,
                 person.external_ref);
          break;
        case VAXALLOC_EVENT_SERIES_BOOKED:
          printf("  outbox %" PRIu64 ": %s to %s: your booking is confirmed (series %u)\n",
                 event->id, via, person.external_ref, event->series);
          break;
        case VAXALLOC_EVENT_SECOND_DOSE_REBOOKED:
          printf("  outbox %" PRIu64 ": %s to %s: a new second appointment (series %u)\n",
                 event->id, via, person.external_ref, event->series);
          break;
        case VAXALLOC_EVENT_CODE_ISSUED: /* always by SMS: it confirms an online request */
          printf("  outbox %" PRIu64 ": SMS to %s: your code is %s (code %u)\n", event->id,
                 person.external_ref, event->digits, event->code_id);
          break;
        default:
          printf("  outbox %" PRIu64 ": event kind %d (newer library)\n", event->id,
                 (int)event->kind);
      }
      last = event->id;
    }
  } while (count == kPage);
  if (last > 0) {
    check(vaxalloc_acknowledge_events(campaign, last), "acknowledge_events");
    printf("  outbox: acknowledged through %" PRIu64 "\n", last);
  }
  check(vaxalloc_pending_events_v2(campaign, 0, page, kPage, &count), "pending_events");
  if (count != 0) {
    fprintf(stderr, "%zu events still pending after the acknowledgement\n", count);
    exit(1);
  }
}

/* Sachsen-style: first-dose seats of 21-23 June at the Frankfurt center are
 * held back from draws and released on Wednesday 16 June at 08:00, at most
 * three series, first come, first served. Waiting online registrants of
 * Frankfurt book: the first two are held for the policy's 15 minutes and
 * confirm; the third books at once. */
static void release_day(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine,
                        int32_t june_14) {
  vaxalloc_release_spec spec = VAXALLOC_RELEASE_SPEC_INIT;
  vaxalloc_release release = VAXALLOC_RELEASE_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_center where = VAXALLOC_CENTER_INIT;
  uint32_t release_id = 0, district = 0, id;
  size_t district_count = 0;
  int booked = 0;
  int64_t now = instant(june_14 + 2, 8, 0);

  /* Doses for the release: six more series' worth, from 21 June. */
  delivery.center = center;
  delivery.vaccine = vaccine;
  delivery.day = june_14 + 7;
  delivery.doses = 12;
  check(vaxalloc_supply_add(campaign, &delivery), "supply");
  spec.center = center;
  spec.vaccine = vaccine;
  spec.first_day = june_14 + 7;
  spec.last_day = june_14 + 9;
  spec.release_at = now;
  spec.first_dose_cap = 3;
  check(vaxalloc_release_add(campaign, &spec, &release_id), "vaxalloc_release_add");
  check(vaxalloc_center_get(campaign, center, &where), "center");
  check(vaxalloc_center_districts(campaign, center, &district, 1, &district_count), "districts");
  printf(
      "release %u: %s, first doses 2021-06-21 .. 2021-06-23, opens 2021-06-16 08:00, "
      "at most %u series\n",
      release_id, where.name, spec.first_dose_cap);

  check(vaxalloc_counts_get(campaign, &counts), "counts");
  for (id = 1; id <= counts.registrants && booked < 3; ++id) {
    vaxalloc_registrant person = VAXALLOC_REGISTRANT_INIT;
    vaxalloc_booking_request request = VAXALLOC_BOOKING_REQUEST_INIT;
    vaxalloc_series series = VAXALLOC_SERIES_INIT;
    int rc;
    check(vaxalloc_registrant_get(campaign, id, &person), "registrant");
    if (person.status != VAXALLOC_REGISTRANT_WAITING || person.district != district ||
        person.channel != VAXALLOC_CHANNEL_ONLINE) {
      continue;
    }
    request.registrant = id;
    request.at = now;
    request.mode = VAXALLOC_BOOKING_RELEASE;
    request.confirm = booked == 2; /* the third books at once */
    rc = vaxalloc_book(campaign, &request, &series);
    if (rc == VAXALLOC_EEXHAUSTED) { /* the release is gone: an expected outcome */
      printf("  %s: %s\n", person.external_ref, vaxalloc_last_error());
      break;
    }
    check(rc, "vaxalloc_book");
    if (series.status == VAXALLOC_SERIES_HELD) {
      printf("  %s holds series %u for %d minutes:\n", person.external_ref, series.id,
             (int)((series.hold_expires_at - now) / 60));
      print_series(campaign, series.id, "  ");
      now += 120; /* the person checks the dates and confirms two minutes later */
      check(vaxalloc_hold_confirm(campaign, series.id, now, &series), "vaxalloc_hold_confirm");
      printf("  %s confirmed series %u\n", person.external_ref, series.id);
    } else {
      printf("  %s booked series %u at once:\n", person.external_ref, series.id);
      print_series(campaign, series.id, "  ");
    }
    now += 60;
    ++booked;
  }
  check(vaxalloc_release_get(campaign, release_id, &release), "vaxalloc_release_get");
  printf("release %u: %u of %u series booked\n", release.id, release.booked,
         release.first_dose_cap);
  deliver_events(campaign);
}

/* Thursday 17 June, 10:00 (Niedersachsen-style): the first online
 * registrant who booked in the release cancels on the website. The website
 * asks for a one-time code, which goes out by SMS from the outbox; the person
 * mistypes it once, then enters it right, and the cancellation is done. */
static void online_cancellation(vaxalloc_campaign* campaign, int32_t june_14) {
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  vaxalloc_code_request request = VAXALLOC_CODE_REQUEST_INIT;
  vaxalloc_code code = VAXALLOC_CODE_INIT;
  vaxalloc_registrant person = VAXALLOC_REGISTRANT_INIT;
  char digits[VAXALLOC_VERIFICATION_CODE_SIZE], typo[VAXALLOC_VERIFICATION_CODE_SIZE];
  uint32_t id, code_id = 0;
  int32_t outcome = -1;
  int rc;

  check(vaxalloc_counts_get(campaign, &counts), "counts");
  for (id = 1; id <= counts.series && request.series == VAXALLOC_NO_ID; ++id) {
    vaxalloc_series series = VAXALLOC_SERIES_INIT;
    check(vaxalloc_series_get(campaign, id, &series), "series");
    check(vaxalloc_registrant_get(campaign, series.registrant, &person), "registrant");
    if (series.status == VAXALLOC_SERIES_ACTIVE && series.origin == VAXALLOC_ORIGIN_RELEASE &&
        person.channel == VAXALLOC_CHANNEL_ONLINE) {
      request.registrant = series.registrant;
      request.series = series.id;
    }
  }
  if (request.series == VAXALLOC_NO_ID) {
    printf("online cancellation: no online release booking to cancel\n");
    return;
  }
  request.purpose = VAXALLOC_CODE_PURPOSE_CANCEL_SERIES;
  request.at = instant(june_14 + 3, 10, 0);
  check(vaxalloc_code_issue(campaign, &request, &code_id, digits, sizeof digits),
        "vaxalloc_code_issue");
  check(vaxalloc_code_get(campaign, code_id, &code), "vaxalloc_code_get");
  printf("%s cancels series %u online: code %u issued, valid for %d minutes\n", person.external_ref,
         request.series, code_id, (int)((code.expires_at - code.issued_at) / 60));
  deliver_events(campaign); /* the SMS */

  /* One digit wrong: refused, and the attempt counts. */
  strcpy(typo, digits);
  typo[0] = (char)('0' + (typo[0] - '0' + 1) % 10);
  rc = vaxalloc_code_verify(campaign, code_id, typo, request.at + 60, &outcome);
  if (rc != VAXALLOC_EVERIFY || outcome != VAXALLOC_CODE_OUTCOME_WRONG) {
    check(rc == VAXALLOC_OK ? VAXALLOC_EINTERNAL : rc, "vaxalloc_code_verify (typo)");
  }
  printf("  %s typed %s: %s\n", person.external_ref, typo, vaxalloc_last_error());
  /* The right code: the series is cancelled in the same transaction. */
  check(vaxalloc_code_verify(campaign, code_id, digits, request.at + 90, &outcome),
        "vaxalloc_code_verify");
  check(vaxalloc_code_get(campaign, code_id, &code), "vaxalloc_code_get");
  printf("  %s typed %s: accepted after %u wrong attempt(s); series %u is cancelled\n",
         person.external_ref, digits, code.attempts, request.series);
  deliver_events(campaign);
}

/* Monday 21 June, 19:00: an opened vial of Janssen at the Frankfurt center
 * still has two doses. The center calls its standby list, best first; each
 * offer is held for the policy's standby hold (30 minutes) while the person
 * comes, and confirmed on arrival. A person the vaccine does not fit (Janssen
 * is for 60 and over) is skipped. */
static void standby_evening(vaxalloc_campaign* campaign, uint32_t center, uint32_t vaccine,
                            int32_t june_14) {
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  uint32_t list[16];
  size_t count = 0, i;
  int offered = 0;
  int64_t now = instant(june_14 + 7, 19, 0);

  delivery.center = center;
  delivery.vaccine = vaccine;
  delivery.day = june_14 + 7;
  delivery.doses = 2;
  check(vaxalloc_supply_add(campaign, &delivery), "supply");
  check(vaxalloc_standby_list(campaign, center, now, list, 16, &count), "vaxalloc_standby_list");
  printf("standby, 2021-06-21 19:00: 2 Janssen doses left, %zu on the standby list\n", count);
  for (i = 0; i < count && offered < 2; ++i) {
    vaxalloc_booking_request request = VAXALLOC_BOOKING_REQUEST_INIT;
    vaxalloc_series series = VAXALLOC_SERIES_INIT;
    vaxalloc_registrant person = VAXALLOC_REGISTRANT_INIT;
    int rc;
    check(vaxalloc_registrant_get(campaign, list[i], &person), "registrant");
    request.registrant = list[i];
    request.at = now;
    request.mode = VAXALLOC_BOOKING_STANDBY;
    request.center = center;
    request.vaccine = vaccine;
    rc = vaxalloc_book(campaign, &request, &series);
    if (rc == VAXALLOC_EEXHAUSTED || rc == VAXALLOC_EPRECONDITION) {
      printf("  %s: not offered: %s\n", person.external_ref, vaxalloc_last_error());
      continue;
    }
    check(rc, "vaxalloc_book (standby)");
    printf("  %s called: series %u held for %d minutes\n", person.external_ref, series.id,
           (int)((series.hold_expires_at - now) / 60));
    now += 20 * 60; /* arrives twenty minutes later */
    check(vaxalloc_hold_confirm(campaign, series.id, now, &series), "vaxalloc_hold_confirm");
    print_series(campaign, series.id, "  ");
    ++offered;
  }
  deliver_events(campaign);
}

/* Sunday 20 June, 21:00: the centers report the week's first doses (the
 * appointments of 14-20 June): every fourth person did not come. */
static void attendance_week(vaxalloc_campaign* campaign, int32_t june_14) {
  vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
  const int64_t evening = instant(june_14 + 6, 21, 0);
  uint32_t id, center;
  int recorded = 0;
  check(vaxalloc_counts_get(campaign, &counts), "counts");
  for (id = 1; id <= counts.series; ++id) {
    vaxalloc_series series = VAXALLOC_SERIES_INIT;
    check(vaxalloc_series_get(campaign, id, &series), "series");
    if (series.status != VAXALLOC_SERIES_ACTIVE || series.doses[0] != VAXALLOC_DOSE_BOOKED ||
        series.appointments[0].day > june_14 + 6) {
      continue;
    }
    ++recorded;
    check(vaxalloc_dose_record(campaign, id, 1,
                               recorded % 4 == 0 ? VAXALLOC_OUTCOME_MISSED : VAXALLOC_OUTCOME_GIVEN,
                               evening, &series),
          "vaxalloc_dose_record");
  }
  printf("attendance, 14-20 June (%d first doses recorded):\n", recorded);
  for (center = 1; center <= counts.centers; ++center) {
    vaxalloc_day_attendance days[7];
    size_t count = 0, i;
    check(vaxalloc_attendance(campaign, center, june_14, june_14 + 6, days, 7, &count),
          "vaxalloc_attendance");
    for (i = 0; i < count; ++i) {
      char day[11];
      format_day(days[i].day, day);
      printf("  center %u %s: %u given, %u missed, %u open (no-show rate %.0f%%)\n", center, day,
             days[i].given, days[i].missed, days[i].booked, 100.0 * days[i].no_show_rate);
    }
  }
}

static void print_report(vaxalloc_campaign* campaign) {
  vaxalloc_report report = VAXALLOC_REPORT_INIT;
  vaxalloc_center_report centers[8];
  size_t count = 0, i;
  uint64_t violations = 0;
  char* text = NULL;
  check(vaxalloc_report_get(campaign, &report), "vaxalloc_report_get");
  printf("report: %" PRIu64 " registered, %" PRIu64 " waiting, %" PRIu64 " scheduled, %" PRIu64
         " vaccinated, %" PRIu64 " withdrawn; %" PRIu64 " active, %" PRIu64 " completed, %" PRIu64
         " missed and %" PRIu64 " cancelled series (%" PRIu64 " draws); %" PRIu64
         " doses given, %" PRIu64 " missed\n",
         report.registrants, report.waiting, report.scheduled, report.vaccinated, report.withdrawn,
         report.series_active, report.series_completed, report.series_missed,
         report.series_cancelled, report.draws, report.doses_given, report.doses_missed);
  check(vaxalloc_report_centers(campaign, centers, 8, &count), "vaxalloc_report_centers");
  for (i = 0; i < count; ++i) {
    printf("  center %u: %" PRIu64 " active series, %" PRId64 " of %" PRId64
           " doses reserved, %" PRIu64 " free first-dose seats, %" PRIu64 " residents waiting\n",
           centers[i].center, centers[i].series_active, centers[i].doses_reserved,
           centers[i].doses_delivered, centers[i].seats_first_free, centers[i].residents_waiting);
  }
  check(vaxalloc_check_invariants(campaign, &violations, &text), "vaxalloc_check_invariants");
  printf("invariants: %" PRIu64 " violations%s%s\n", violations, violations ? "\n" : "",
         violations ? text : "");
  vaxalloc_free(text);
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : ":memory:";
  vaxalloc_campaign* campaign = NULL;
  vaxalloc_open_options options = VAXALLOC_OPEN_OPTIONS_INIT;
  uint32_t frankfurt = 0, darmstadt = 0, comirnaty = 0, janssen = 0, center_f = 0, center_d = 0;
  const int32_t june_14 = day_of(2021, 6, 14);
  const int32_t june_7 = day_of(2021, 6, 7);
  int i;

  /* The header and the library loaded must agree (vaxalloc.h, "Versions"). */
  if (vaxalloc_version_number() / 1000000 != VAXALLOC_VERSION_MAJOR ||
      vaxalloc_version_number() < VAXALLOC_VERSION_NUMBER) {
    fprintf(stderr, "vaxalloc %s is older than this program's header %s\n", vaxalloc_version(),
            VAXALLOC_VERSION_STRING);
    return 1;
  }
  options.create_if_missing = 1;
  check(vaxalloc_campaign_open(path, &options, &campaign), "vaxalloc_campaign_open");
  printf("vaxalloc %s, campaign %s\n", vaxalloc_version(), vaxalloc_campaign_path(campaign));

  /* Setup: districts, vaccines, centers. */
  check(vaxalloc_district_add(campaign, "06412", "Frankfurt am Main", &frankfurt), "district");
  check(vaxalloc_district_add(campaign, "06411", "Darmstadt", &darmstadt), "district");
  {
    vaxalloc_vaccine_spec spec = VAXALLOC_VACCINE_SPEC_INIT; /* two doses, 21 days */
    spec.code = "comirnaty";
    spec.name = "Comirnaty (BioNTech/Pfizer)";
    check(vaxalloc_vaccine_add(campaign, &spec, &comirnaty), "vaccine");
    spec.code = "janssen";
    spec.name = "COVID-19 Vaccine Janssen";
    spec.dose_count = 1;
    spec.age_years_min = 60;
    check(vaxalloc_vaccine_add(campaign, &spec, &janssen), "vaccine");
  }
  {
    vaxalloc_center_spec spec = VAXALLOC_CENTER_SPEC_INIT;
    spec.code = "IZ-F";
    spec.name = "Impfzentrum Frankfurt";
    spec.districts = &frankfurt;
    spec.district_count = 1;
    check(vaxalloc_center_add(campaign, &spec, &center_f), "center");
    spec.code = "IZ-DA";
    spec.name = "Impfzentrum Darmstadt";
    spec.districts = &darmstadt;
    check(vaxalloc_center_add(campaign, &spec, &center_d), "center");
  }

  /* Opening hours for six weeks: one 30-minute line a day per vaccine, and
   * deliveries that cover only part of them: supply is the binding limit. */
  {
    vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
    vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
    const uint32_t centers[2] = {center_f, center_d};
    for (i = 0; i < 2; ++i) {
      block.center = centers[i];
      block.first_day = june_14;
      block.last_day = june_14 + 41;
      block.weekdays = VAXALLOC_EVERY_DAY & ~VAXALLOC_SUNDAY;
      block.open_minute = 9 * 60;
      block.close_minute = 10 * 60;
      block.slot_minutes = 30;
      block.vaccine = comirnaty;
      block.seats_first = 1;
      block.seats_second = 1;
      check(vaxalloc_capacity_add(campaign, &block), "capacity");
      block.vaccine = janssen;
      block.seats_second = 0;
      check(vaxalloc_capacity_add(campaign, &block), "capacity");
      delivery.center = centers[i];
      delivery.day = june_14;
      delivery.vaccine = comirnaty;
      delivery.doses = 4; /* two complete series */
      check(vaxalloc_supply_add(campaign, &delivery), "supply");
      delivery.vaccine = janssen;
      delivery.doses = 1;
      check(vaxalloc_supply_add(campaign, &delivery), "supply");
    }
  }

  /* Hessen, 7 June 2021: groups 1-3 registered before keep their tiers;
   * everyone registering later is one tier, after them. */
  {
    vaxalloc_tier_rule rules[2] = {VAXALLOC_TIER_RULE_INIT, VAXALLOC_TIER_RULE_INIT};
    vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
    uint32_t version = 0;
    rules[0].registered_before = instant(june_7, 0, 0);
    rules[1].tier_by_group[0] = rules[1].tier_by_group[1] = rules[1].tier_by_group[2] = 4;
    policy.tier_rules = rules;
    policy.tier_rule_count = 2;
    policy.hold_seconds = 15 * 60; /* a self-booker has 15 minutes to confirm */
    /* Defaults: standby offers held 30 minutes; 6-digit codes, valid 15
     * minutes, 3 wrong entries allowed. */
    check(vaxalloc_policy_set(campaign, &policy, &version), "policy");
    printf("policy %u: tier cut-off at 2021-06-07 00:00 UTC, holds of 15 minutes\n", version);
  }

  /* Twelve people on the waiting list, registered in one batch. */
  {
    static const struct {
      const char* ref;
      int group;
      int born_year;
      int registered_day; /* days after 2021-06-01 */
    } people[12] = {
        {"HE-01", VAXALLOC_GROUP_NONE, 1990, 0}, {"HE-02", VAXALLOC_GROUP_2, 1950, 1},
        {"HE-03", VAXALLOC_GROUP_1, 1938, 2},    {"HE-04", VAXALLOC_GROUP_3, 1961, 3},
        {"HE-05", VAXALLOC_GROUP_NONE, 1985, 4}, {"HE-06", VAXALLOC_GROUP_3, 1970, 5},
        {"HE-07", VAXALLOC_GROUP_2, 1955, 6},    {"HE-08", VAXALLOC_GROUP_1, 1940, 7},
        {"HE-09", VAXALLOC_GROUP_NONE, 1999, 8}, {"HE-10", VAXALLOC_GROUP_2, 1948, 9},
        {"HE-11", VAXALLOC_GROUP_3, 1975, 10},   {"HE-12", VAXALLOC_GROUP_1, 1936, 11},
    };
    vaxalloc_registrant_spec specs[12];
    const vaxalloc_registrant_spec* pointers[12];
    uint32_t ids[12];
    const int32_t june_1 = day_of(2021, 6, 1);
    for (i = 0; i < 12; ++i) {
      vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
      spec.external_ref = people[i].ref;
      spec.district = i % 3 == 2 ? darmstadt : frankfurt;
      spec.birth_day = day_of(people[i].born_year, 3, 15);
      spec.group = people[i].group;
      spec.channel = i % 4 == 3 ? VAXALLOC_CHANNEL_PHONE : VAXALLOC_CHANNEL_ONLINE;
      spec.registered_at = instant(june_1 + people[i].registered_day, 10, 0);
      spec.standby = i % 2 == 1; /* can come at short notice */
      specs[i] = spec;
      pointers[i] = &specs[i];
    }
    check(vaxalloc_register_batch(campaign, pointers, 12, ids), "register_batch");
    printf("registered %u..%u\n", ids[0], ids[11]);
  }

  /* Sunday 13 June, 18:00: the weekly draw for first doses 14-20 June. */
  {
    vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
    vaxalloc_draw_info draw = VAXALLOC_DRAW_INFO_INIT;
    uint32_t series_ids[64];
    size_t count = 0;
    check(
        vaxalloc_seed_parse("5eed0000000000000000000000000001", &request.seed_k0, &request.seed_k1),
        "seed");
    request.at = instant(june_14 - 1, 18, 0);
    request.first_dose_from = june_14;
    request.first_dose_until = june_14 + 6;
    check(vaxalloc_draw(campaign, &request, &draw), "draw");
    print_draw(campaign, &draw);

    /* The first winner was vaccinated by their GP and cancels: the seats and
     * doses go back, and the next draw hands them on. */
    check(vaxalloc_draw_series(campaign, draw.id, series_ids, 64, &count), "draw_series");
    if (count > 0) {
      vaxalloc_series series = VAXALLOC_SERIES_INIT;
      vaxalloc_registrant person = VAXALLOC_REGISTRANT_INIT;
      check(vaxalloc_series_get(campaign, series_ids[0], &series), "series");
      check(vaxalloc_registrant_get(campaign, series.registrant, &person), "registrant");
      check(vaxalloc_withdraw(campaign, person.id, instant(june_14, 8, 0)), "withdraw");
      printf("%s withdrew (vaccinated elsewhere); series %u cancelled\n", person.external_ref,
             series_ids[0]);
    }
    deliver_events(campaign);
    /* Tuesday 15 June, 06:00: the freed doses go to the next in line. */
    check(
        vaxalloc_seed_parse("5eed0000000000000000000000000002", &request.seed_k0, &request.seed_k1),
        "seed");
    request.at = instant(june_14 + 1, 6, 0);
    request.first_dose_from = june_14 + 1;
    check(vaxalloc_draw(campaign, &request, &draw), "draw");
    print_draw(campaign, &draw);
    deliver_events(campaign);
  }

  release_day(campaign, center_f, comirnaty, june_14);
  online_cancellation(campaign, june_14);
  attendance_week(campaign, june_14);
  standby_evening(campaign, center_f, janssen, june_14);
  print_report(campaign);
  vaxalloc_campaign_close(campaign);
  return 0;
}
