// Placing appointments in a pool: the rules a draw and a self-booking share
// (docs/draw.md section 5).
#ifndef VAXALLOC_SRC_PLACEMENT_H_
#define VAXALLOC_SRC_PLACEMENT_H_

#include <optional>

#include "src/engine_state.h"

namespace vaxalloc::internal {

inline DayNumber LastDay(const Pool& pool) {
  return pool.first_day + static_cast<DayNumber>(pool.days.size()) - 1;
}

// Whether one more dose fits the supply on every day from i1 through i2's
// suffix when a first dose is added on day index i1 and a second on i2.
inline bool SupplyFits(const Pool& pool, size_t i1, size_t i2) {
  if (pool.slack_suffix_min[i2] < 2) return false;
  for (size_t i = i1; i < i2; ++i) {
    if (pool.slack[i] < 1) return false;
  }
  return true;
}

// The second-dose day for a series starting on d1 (d1 itself for a one-dose
// vaccine), or none when no day fits seats and supply: the target interval,
// then one day earlier, one later, two earlier, ...
inline std::optional<DayNumber> SecondDoseDay(const Pool& pool, const VaccineSpec& vaccine,
                                              DayNumber d1) {
  const size_t i1 = static_cast<size_t>(d1 - pool.first_day);
  if (pool.days[i1].free_first() <= 0) return std::nullopt;
  if (vaccine.dose_count == 1) {
    if (pool.slack_suffix_min[i1] >= 1) return d1;
    return std::nullopt;
  }
  const DayNumber target = d1 + vaccine.interval_days_target;
  const DayNumber earliest = d1 + vaccine.interval_days_min;
  const DayNumber latest = std::min(d1 + vaccine.interval_days_max, LastDay(pool));
  const bool supply_ample = pool.slack_suffix_min[i1] >= 2;
  for (int distance = 0; distance <= vaccine.interval_days_max; ++distance) {
    const DayNumber days[2] = {target - distance, target + distance};
    for (int side = 0; side < (distance == 0 ? 1 : 2); ++side) {
      const DayNumber d2 = days[side];
      if (d2 < earliest || d2 > latest) continue;
      const size_t i2 = static_cast<size_t>(d2 - pool.first_day);
      if (pool.days[i2].free_second() <= 0) continue;
      if (supply_ample || SupplyFits(pool, i1, i2)) return d2;
    }
    if (target - distance < earliest && target + distance > latest) break;
  }
  return std::nullopt;
}

// The earliest slot on `day` starting at or after minute_from with a free
// seat of the kind, or -1.
inline int FreeSlotMinute(const Pool& pool, DayNumber day, bool second_dose, int minute_from = 0) {
  if (!pool.Contains(day)) return -1;
  for (const PoolSlot& slot : pool.days[day - pool.first_day].slots) {
    if (slot.minute < minute_from) continue;
    if (second_dose ? slot.second_free() : slot.first_free()) return slot.minute;
  }
  return -1;
}

}  // namespace vaxalloc::internal

#endif  // VAXALLOC_SRC_PLACEMENT_H_
