// Everything an engine holds, read through its public queries, and a
// field-by-field comparison: for suites that check that two engines (a
// reloaded file, a Store that followed the journal) hold the same campaign.
#ifndef VAXALLOC_TESTS_SNAPSHOT_H_
#define VAXALLOC_TESTS_SNAPSHOT_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/types.h"

namespace vaxalloc::testing {

// --- Comparing everything an engine holds, field by field ------------------------

inline void CheckSame(const District& a, const District& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.code == b.code);
  CHECK(a.name == b.name);
}

inline void CheckSame(const Vaccine& a, const Vaccine& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.spec.code == b.spec.code);
  CHECK(a.spec.name == b.spec.name);
  CHECK(a.spec.dose_count == b.spec.dose_count);
  CHECK(a.spec.interval_days_min == b.spec.interval_days_min);
  CHECK(a.spec.interval_days_target == b.spec.interval_days_target);
  CHECK(a.spec.interval_days_max == b.spec.interval_days_max);
  CHECK(a.spec.age_years_min == b.spec.age_years_min);
  CHECK(a.spec.age_years_max == b.spec.age_years_max);
}

inline void CheckSame(const Center& a, const Center& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.spec.code == b.spec.code);
  CHECK(a.spec.name == b.spec.name);
  CHECK(a.spec.districts == b.spec.districts);
}

inline void CheckSame(const CapacityBlock& a, const CapacityBlock& b) {
  CHECK(a.center == b.center);
  CHECK(a.vaccine == b.vaccine);
  CHECK(a.first_day == b.first_day);
  CHECK(a.last_day == b.last_day);
  CHECK(a.weekdays == b.weekdays);
  CHECK(a.open_minute == b.open_minute);
  CHECK(a.close_minute == b.close_minute);
  CHECK(a.slot_minutes == b.slot_minutes);
  CHECK(a.seats_first == b.seats_first);
  CHECK(a.seats_second == b.seats_second);
}

inline void CheckSame(const SupplyDelivery& a, const SupplyDelivery& b) {
  CHECK(a.center == b.center);
  CHECK(a.vaccine == b.vaccine);
  CHECK(a.day == b.day);
  CHECK(a.doses == b.doses);
}

inline void CheckSame(const PolicyVersion& a, const PolicyVersion& b) {
  CAPTURE(a.version);
  CHECK(a.version == b.version);
  CHECK(a.policy.residence == b.policy.residence);
  CHECK(a.policy.neighbours == b.policy.neighbours);
  CHECK(a.policy.time_zone == b.policy.time_zone);
  CHECK(a.policy.hold == b.policy.hold);
  CHECK(a.policy.short_notice_days == b.policy.short_notice_days);
  CHECK(a.policy.standby_hold == b.policy.standby_hold);
  CHECK(a.policy.code_digits == b.policy.code_digits);
  CHECK(a.policy.code_lifetime == b.policy.code_lifetime);
  CHECK(a.policy.code_attempts == b.policy.code_attempts);
  CHECK(a.policy.draw_lead_days_online == b.policy.draw_lead_days_online);
  CHECK(a.policy.draw_lead_days_phone == b.policy.draw_lead_days_phone);
  CHECK(a.policy.overbook_permille == b.policy.overbook_permille);
  REQUIRE(a.policy.tier_rules.size() == b.policy.tier_rules.size());
  for (size_t i = 0; i < a.policy.tier_rules.size(); ++i) {
    CHECK(a.policy.tier_rules[i].registered_before == b.policy.tier_rules[i].registered_before);
    CHECK(a.policy.tier_rules[i].tier_by_group == b.policy.tier_rules[i].tier_by_group);
  }
  REQUIRE(a.policy.reserves.size() == b.policy.reserves.size());
  for (size_t i = 0; i < a.policy.reserves.size(); ++i) {
    const ReserveCategory& x = a.policy.reserves[i];
    const ReserveCategory& y = b.policy.reserves[i];
    CHECK(x.name == y.name);
    CHECK(x.share_permille == y.share_permille);
    CHECK(x.age_years_min == y.age_years_min);
    CHECK(x.group_mask == y.group_mask);
    CHECK(x.vaccine == y.vaccine);
  }
}

inline void CheckSame(const Registrant& a, const Registrant& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.spec.external_ref == b.spec.external_ref);
  CHECK(a.spec.district == b.spec.district);
  CHECK(a.spec.birth_day == b.spec.birth_day);
  CHECK(a.spec.group == b.spec.group);
  CHECK(a.spec.channel == b.spec.channel);
  CHECK(a.spec.registered_at == b.spec.registered_at);
  CHECK(a.spec.vaccine_preference == b.spec.vaccine_preference);
  CHECK(a.spec.standby == b.spec.standby);
  CHECK(a.erased == b.erased);
  CHECK(a.status == b.status);
  CHECK(a.waiting_since == b.waiting_since);
  CHECK(a.series == b.series);
}

// A commitment with the bytes it keeps (inputs, and the bundle once revealed).
struct CommitmentSnapshot {
  DrawCommitment commitment;
  std::string inputs;
  std::string bundle;
};

inline void CheckSame(const CommitmentSnapshot& a, const CommitmentSnapshot& b) {
  CAPTURE(a.commitment.id);
  CHECK(a.commitment.id == b.commitment.id);
  CHECK(a.commitment.request.seed == b.commitment.request.seed);
  CHECK(a.commitment.request.at == b.commitment.request.at);
  CHECK(a.commitment.request.first_dose_from == b.commitment.request.first_dose_from);
  CHECK(a.commitment.request.first_dose_until == b.commitment.request.first_dose_until);
  CHECK(a.commitment.request.centers == b.commitment.request.centers);
  CHECK(a.commitment.request.series_limit == b.commitment.request.series_limit);
  CHECK(a.commitment.beacon == b.commitment.beacon);
  CHECK(a.commitment.commitment == b.commitment.commitment);
  CHECK(a.commitment.policy_version == b.commitment.policy_version);
  CHECK(a.commitment.input_bytes == b.commitment.input_bytes);
  CHECK(a.commitment.status == b.commitment.status);
  CHECK(a.commitment.beacon_value == b.commitment.beacon_value);
  CHECK(a.commitment.draw == b.commitment.draw);
  CHECK(a.commitment.abandon_reason == b.commitment.abandon_reason);
  CHECK(a.commitment.settled_at == b.commitment.settled_at);
  CHECK(a.inputs == b.inputs);
  CHECK(a.bundle == b.bundle);
}

inline void CheckSame(const Series& a, const Series& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.registrant == b.registrant);
  CHECK(a.center == b.center);
  CHECK(a.vaccine == b.vaccine);
  REQUIRE(a.dose_count == b.dose_count);
  for (int dose = 0; dose < a.dose_count; ++dose) {
    CAPTURE(dose);
    CHECK(a.appointments[dose].day == b.appointments[dose].day);
    CHECK(a.appointments[dose].minute == b.appointments[dose].minute);
    CHECK(a.doses[dose] == b.doses[dose]);
  }
  CHECK(a.status == b.status);
  CHECK(a.booked_at == b.booked_at);
  CHECK(a.origin == b.origin);
  CHECK(a.draw == b.draw);
  CHECK(a.tier == b.tier);
  CHECK(a.category == b.category);
  CHECK(a.release == b.release);
  CHECK(a.replaces == b.replaces);
  CHECK(a.hold_expires_at == b.hold_expires_at);  // InfinitePast unless held
}

inline void CheckSame(const Release& a, const Release& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.spec.center == b.spec.center);
  CHECK(a.spec.vaccine == b.spec.vaccine);
  CHECK(a.spec.first_day == b.spec.first_day);
  CHECK(a.spec.last_day == b.spec.last_day);
  CHECK(a.spec.release_at == b.spec.release_at);
  CHECK(a.spec.first_dose_cap == b.spec.first_dose_cap);
  CHECK(a.booked == b.booked);
}

inline void CheckSame(const ReplacedNoShow& a, const ReplacedNoShow& b) {
  CHECK(a.series == b.series);
  CHECK(a.appointment.day == b.appointment.day);
  CHECK(a.appointment.minute == b.appointment.minute);
  CHECK(a.rebooked_at == b.rebooked_at);
}

inline void CheckSame(const VerificationCode& a, const VerificationCode& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.registrant == b.registrant);
  CHECK(a.purpose == b.purpose);
  CHECK(a.series == b.series);
  CHECK(a.issued_at == b.issued_at);
  CHECK(a.expires_at == b.expires_at);
  CHECK(a.attempts == b.attempts);
  CHECK(a.state == b.state);
  CHECK(a.salt0 == b.salt0);
  CHECK(a.salt1 == b.salt1);
  CHECK(a.hash == b.hash);
}

inline void CheckSame(const DayAttendance& a, const DayAttendance& b) {
  CHECK(a.day == b.day);
  CHECK(a.booked == b.booked);
  CHECK(a.given == b.given);
  CHECK(a.missed == b.missed);
}

inline void CheckSame(const Report& a, const Report& b) {
  CHECK(a.registrants == b.registrants);
  CHECK(a.waiting == b.waiting);
  CHECK(a.scheduled == b.scheduled);
  CHECK(a.withdrawn == b.withdrawn);
  CHECK(a.waiting_per_tier == b.waiting_per_tier);
  CHECK(a.vaccinated == b.vaccinated);
  CHECK(a.series_active == b.series_active);
  CHECK(a.series_cancelled == b.series_cancelled);
  CHECK(a.series_held == b.series_held);
  CHECK(a.series_completed == b.series_completed);
  CHECK(a.series_missed == b.series_missed);
  CHECK(a.doses_given == b.doses_given);
  CHECK(a.doses_missed == b.doses_missed);
  CHECK(a.draws == b.draws);
  REQUIRE(a.centers.size() == b.centers.size());
  for (size_t i = 0; i < a.centers.size(); ++i) {
    CAPTURE(i);
    CHECK(a.centers[i].center == b.centers[i].center);
    CHECK(a.centers[i].series_active == b.centers[i].series_active);
    CHECK(a.centers[i].seats_first_free == b.centers[i].seats_first_free);
    CHECK(a.centers[i].doses_delivered == b.centers[i].doses_delivered);
    CHECK(a.centers[i].doses_reserved == b.centers[i].doses_reserved);
    CHECK(a.centers[i].residents_waiting == b.centers[i].residents_waiting);
  }
}

inline void CheckSame(const DrawRecord& a, const DrawRecord& b) {
  CAPTURE(a.id);
  CHECK(a.id == b.id);
  CHECK(a.request.seed == b.request.seed);
  CHECK(a.request.at == b.request.at);
  CHECK(a.request.first_dose_from == b.request.first_dose_from);
  CHECK(a.request.first_dose_until == b.request.first_dose_until);
  CHECK(a.request.centers == b.request.centers);
  CHECK(a.request.series_limit == b.request.series_limit);
  CHECK(a.policy_version == b.policy_version);
  for (int tier = 0; tier < kTierMax; ++tier) {
    CAPTURE(tier);
    CHECK(a.tiers[tier].eligible == b.tiers[tier].eligible);
    CHECK(a.tiers[tier].assigned == b.tiers[tier].assigned);
  }
  CHECK(a.series == b.series);
  CHECK(a.commitment == b.commitment);
}

template <class T>
inline void CheckSameLists(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CheckSame(a[i], b[i]);
}

// Everything an engine holds, read through its public queries.
struct Snapshot {
  std::vector<District> districts;
  std::vector<Vaccine> vaccines;
  std::vector<Center> centers;
  std::vector<CapacityBlock> capacity_blocks;
  std::vector<SupplyDelivery> deliveries;
  std::vector<PolicyVersion> policies;
  std::vector<Registrant> registrants;
  std::vector<Series> series;
  std::vector<DrawRecord> draws;
  std::vector<Release> releases;
  std::vector<VerificationCode> codes;
  std::vector<ReplacedNoShow> no_shows;
  std::vector<CommitmentSnapshot> commitments;
  uint32_t holds = 0;
  std::vector<SlotView> slots;  // every pool, every day of June and July
  std::vector<int64_t> doses_available;
  std::vector<DayAttendance> attendance;  // every center, June and July
  Report report;
};

// Slots, doses and attendance are compared over [from, until].
inline Snapshot Take(const Engine& engine, absl::CivilDay from = absl::CivilDay(2021, 5, 31),
                     absl::CivilDay until = absl::CivilDay(2021, 7, 31)) {
  Snapshot snapshot;
  for (uint32_t id = 1; id <= engine.district_count(); ++id) {
    snapshot.districts.push_back(Ok(engine.GetDistrict(id)));
  }
  for (uint32_t id = 1; id <= engine.vaccine_count(); ++id) {
    snapshot.vaccines.push_back(Ok(engine.GetVaccine(id)));
  }
  for (uint32_t id = 1; id <= engine.center_count(); ++id) {
    snapshot.centers.push_back(Ok(engine.GetCenter(id)));
  }
  snapshot.capacity_blocks = engine.capacity_blocks();
  snapshot.deliveries = engine.deliveries();
  for (uint32_t version = 1; version <= engine.policy_version(); ++version) {
    snapshot.policies.push_back(Ok(engine.GetPolicy(version)));
  }
  for (uint32_t id = 1; id <= engine.registrant_count(); ++id) {
    snapshot.registrants.push_back(Ok(engine.GetRegistrant(id)));
  }
  for (uint32_t id = 1; id <= engine.series_count(); ++id) {
    snapshot.series.push_back(Ok(engine.GetSeries(id)));
  }
  for (uint32_t id = 1; id <= engine.draw_count(); ++id) {
    snapshot.draws.push_back(Ok(engine.GetDraw(id)));
  }
  for (uint32_t id = 1; id <= engine.release_count(); ++id) {
    snapshot.releases.push_back(Ok(engine.GetRelease(id)));
  }
  for (uint32_t id = 1; id <= engine.code_count(); ++id) {
    snapshot.codes.push_back(Ok(engine.GetCode(id)));
  }
  snapshot.no_shows = engine.replaced_no_shows();
  for (uint32_t id = 1; id <= engine.draw_commitment_count(); ++id) {
    CommitmentSnapshot commitment{Ok(engine.GetDrawCommitment(id)), Ok(engine.DrawInputs(id)), ""};
    if (commitment.commitment.status == CommitmentStatus::kRevealed) {
      commitment.bundle = Ok(engine.DrawBundle(id));
    }
    snapshot.commitments.push_back(std::move(commitment));
  }
  snapshot.holds = engine.hold_count();
  snapshot.report = engine.Summarize();
  for (CenterId center = 1; center <= engine.center_count(); ++center) {
    for (const DayAttendance& day :
         Ok(engine.Attendance(center, from, until))) {
      snapshot.attendance.push_back(day);
    }
  }
  for (CenterId center = 1; center <= engine.center_count(); ++center) {
    for (VaccineId vaccine = 1; vaccine <= engine.vaccine_count(); ++vaccine) {
      for (absl::CivilDay day = from; day <= until; ++day) {
        for (const SlotView& slot : engine.Slots(center, vaccine, day)) {
          snapshot.slots.push_back(slot);
        }
        snapshot.doses_available.push_back(engine.DosesAvailableFrom(center, vaccine, day));
      }
    }
  }
  return snapshot;
}

inline void CheckSame(const Snapshot& a, const Snapshot& b) {
  CheckSameLists(a.districts, b.districts);
  CheckSameLists(a.vaccines, b.vaccines);
  CheckSameLists(a.centers, b.centers);
  CheckSameLists(a.capacity_blocks, b.capacity_blocks);
  CheckSameLists(a.deliveries, b.deliveries);
  CheckSameLists(a.policies, b.policies);
  CheckSameLists(a.registrants, b.registrants);
  CheckSameLists(a.series, b.series);
  CheckSameLists(a.draws, b.draws);
  CheckSameLists(a.releases, b.releases);
  CheckSameLists(a.codes, b.codes);
  CheckSameLists(a.no_shows, b.no_shows);
  CheckSameLists(a.commitments, b.commitments);
  CHECK(a.holds == b.holds);
  CheckSameLists(a.attendance, b.attendance);
  CheckSame(a.report, b.report);
  REQUIRE(a.slots.size() == b.slots.size());
  for (size_t i = 0; i < a.slots.size(); ++i) {
    CAPTURE(i);
    CHECK(a.slots[i].day == b.slots[i].day);
    CHECK(a.slots[i].minute == b.slots[i].minute);
    CHECK(a.slots[i].seats_first == b.slots[i].seats_first);
    CHECK(a.slots[i].seats_second == b.slots[i].seats_second);
    CHECK(a.slots[i].booked_first == b.slots[i].booked_first);
    CHECK(a.slots[i].booked_second == b.slots[i].booked_second);
  }
  CHECK(a.doses_available == b.doses_available);
}

}  // namespace vaxalloc::testing

#endif  // VAXALLOC_TESTS_SNAPSHOT_H_
