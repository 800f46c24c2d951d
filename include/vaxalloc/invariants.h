// The one checker of DOMAIN.md's hard invariants. It recomputes everything
// from the series, registrants, capacity blocks and deliveries through the
// engine's public queries, so a bug in the engine's bookkeeping shows as a
// violation rather than hiding in the numbers it would check against.
#ifndef VAXALLOC_INVARIANTS_H_
#define VAXALLOC_INVARIANTS_H_

#include <string>
#include <vector>

#include "vaxalloc/engine.h"

namespace vaxalloc {

enum class Invariant {
  kSlotCapacity,        // no slot holds more appointments than seats
  kSecondDoseReserved,  // every active series has all its appointments, same
                        // center and vaccine, interval inside the vaccine's bounds
  kDoseSupply,          // appointments never exceed the doses delivered by their day
  kOneActiveSeries,     // at most one active series per person, and the
                        // registrant's status and series agree with it
  kResidence,           // only a center serving the home district (or a
                        // neighbour's, when the draw's policy allows it)
  kTierOrder,           // no one drawn while an eligible person of a better
                        // tier, waiting at the draw, still waits
  kEligibility,         // age and vaccine preference respected
  kBookkeeping,         // the engine's counters agree with a recount
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
