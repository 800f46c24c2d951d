// The one checker of DOMAIN.md's hard invariants. It recomputes everything
// from the series, registrants, releases, verification codes, capacity blocks
// and deliveries through the engine's public queries, so a bug in the
// engine's bookkeeping shows as a violation rather than hiding in the numbers
// it would check against. Seats and doses are counted from the dose states: an appointment
// holds its seat and dose while kBooked or kGiven, whatever its series'
// status (docs/booking.md).
#ifndef VAXALLOC_INVARIANTS_H_
#define VAXALLOC_INVARIANTS_H_

#include <string>
#include <vector>

#include "vaxalloc/engine.h"

namespace vaxalloc {

// Values are stable (the bindings expose them); new ones are appended.
enum class Invariant {
  kSlotCapacity,        // no slot holds more appointments than seats
  kSecondDoseReserved,  // every series has all its appointments, on slots with
                        // seats of their kind, interval inside the vaccine's
                        // bounds; no first dose booked without its second
  kDoseSupply,          // appointments never exceed the doses delivered by their day
  kOneActiveSeries,     // at most one active series (and one hold) per person,
                        // and the registrant's status and series agree with them
  kResidence,           // only a center serving the home district (or a
                        // neighbour's, when the policy allows it)
  kTierOrder,           // no one drawn while an eligible person of a better
                        // tier, waiting at the draw, still waits
  kEligibility,         // age and vaccine preference respected
  kBookkeeping,         // the engine's counters agree with a recount
  kSeriesState,         // a series' status agrees with its dose states
  kReleaseWindow,       // a release's first doses go to its self-bookers, on its
                        // days, from release_at on; draws leave its days alone
  kReleaseCap,          // no release gives out more series than its first_dose_cap
  kCodes,               // verification codes: one pending per (registrant, purpose), attempts
                        // within the limit, a cancel code names its registrant's series,
                        // expires after it was issued, a used code's action was done
  kDrawCommitments,     // committed draws: each hashes to its inputs, at most one pending;
                        // a revealed one's draw names it, has its request and the seed
                        // SHA-256(commitment || beacon value) gives, and its bundle lists
                        // that draw's series and winners (by their references' digests)
};

const char* InvariantName(Invariant invariant);

struct Violation {
  Invariant invariant;
  std::string message;
};

struct InvariantReport {
  std::vector<Violation> violations;  // at most kViolationsKept
  uint64_t violation_count = 0;       // all of them
  bool ok() const { return violation_count == 0; }
  std::string ToString() const;
};

inline constexpr size_t kViolationsKept = 100;

InvariantReport CheckInvariants(const Engine& engine);

}  // namespace vaxalloc

#endif  // VAXALLOC_INVARIANTS_H_
