/* A tiny C program built against the installed libvaxalloc: compiled with
 * `pkg-config --cflags --libs vaxalloc` and with find_package(vaxalloc).
 * It checks the version handshake and runs one small draw. */
#include <stdio.h>
#include <string.h>
#include <vaxalloc.h>

#define CHECK(call)                                                                            \
  do {                                                                                         \
    int rc_ = (call);                                                                          \
    if (rc_ != VAXALLOC_OK) {                                                                  \
      fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call, vaxalloc_errstr(rc_), \
              vaxalloc_last_error());                                                          \
      return 1;                                                                                \
    }                                                                                          \
  } while (0)

int main(void) {
  vaxalloc_campaign* campaign = NULL;
  uint32_t district = 0, vaccine = 0, center = 0, ids[3];
  int32_t day = 0;
  vaxalloc_vaccine_spec vaccine_spec = VAXALLOC_VACCINE_SPEC_INIT;
  vaxalloc_center_spec center_spec = VAXALLOC_CENTER_SPEC_INIT;
  vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
  vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
  vaxalloc_registrant_spec specs[3];
  const vaxalloc_registrant_spec* spec_pointers[3];
  vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
  vaxalloc_draw_info draw = VAXALLOC_DRAW_INFO_INIT;
  const char* refs[3] = {"A-1", "A-2", "A-3"};
  int i;

  /* The handshake of vaxalloc.h, "Versions". */
  if (vaxalloc_version_number() / 1000000 != VAXALLOC_VERSION_MAJOR ||
      vaxalloc_version_number() < VAXALLOC_VERSION_NUMBER) {
    fprintf(stderr, "header %d, library %d\n", (int)VAXALLOC_VERSION_NUMBER,
            (int)vaxalloc_version_number());
    return 1;
  }
  CHECK(vaxalloc_campaign_open(":memory:", NULL, &campaign));
  CHECK(vaxalloc_district_add(campaign, "06412", "Frankfurt am Main", &district));
  vaccine_spec.code = "comirnaty";
  vaccine_spec.name = "Comirnaty";
  CHECK(vaxalloc_vaccine_add(campaign, &vaccine_spec, &vaccine));
  center_spec.code = "IZ-F";
  center_spec.name = "Impfzentrum Frankfurt";
  center_spec.districts = &district;
  center_spec.district_count = 1;
  CHECK(vaxalloc_center_add(campaign, &center_spec, &center));
  CHECK(vaxalloc_day_from_ymd(2021, 6, 14, &day));
  block.center = center;
  block.vaccine = vaccine;
  block.first_day = day;
  block.last_day = day + 41;
  block.seats_first = 1;
  block.seats_second = 1;
  CHECK(vaxalloc_capacity_add(campaign, &block));
  delivery.center = center;
  delivery.vaccine = vaccine;
  delivery.day = day;
  delivery.doses = 4;
  CHECK(vaxalloc_supply_add(campaign, &delivery));
  for (i = 0; i < 3; ++i) {
    vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
    spec.external_ref = refs[i];
    spec.district = district;
    spec.birth_day = -3650 * (i + 1);
    spec.registered_at = (int64_t)(day - 7) * 86400;
    specs[i] = spec;
    spec_pointers[i] = &specs[i];
  }
  CHECK(vaxalloc_register_batch(campaign, spec_pointers, 3, ids));
  request.seed_k0 = 42;
  request.at = (int64_t)(day - 3) * 86400;
  request.first_dose_from = day;
  request.first_dose_until = day + 6;
  CHECK(vaxalloc_draw(campaign, &request, &draw));
  vaxalloc_campaign_close(campaign);
  /* Four doses: two complete series. */
  if (draw.id != 1 || draw.series_count != 2 || draw.tiers[3].eligible != 3) {
    fprintf(stderr, "draw %u: %u series, %u eligible\n", draw.id, draw.series_count,
            draw.tiers[3].eligible);
    return 1;
  }
  printf("installed vaxalloc %s: draw %u booked %u series\n", vaxalloc_version(), draw.id,
         draw.series_count);
  return 0;
}
