// Placing appointments in a pool: the rules a draw and a self-booking share
// (docs/draw.md section 5).
#ifndef VAXALLOC_SRC_PLACEMENT_H_
#define VAXALLOC_SRC_PLACEMENT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "src/engine_state.h"

namespace vaxalloc::internal {

inline DayNumber LastDay(const Pool& pool) {
  return pool.first_day + static_cast<DayNumber>(pool.days.size()) - 1;
}

// The supply checks read a pool's slack (Pool::slack) through one of these:
// the pool's own arrays, O(1) a query, or a draw's SlackTree, which keeps up
// with a booking in O(log days) instead of O(days).
struct PoolSlack {
  const Pool& pool;
  int64_t SuffixMin(size_t from) const { return pool.slack_suffix_min[from]; }
  int64_t Min(size_t from, size_t until) const {
    int64_t low = std::numeric_limits<int64_t>::max();
    for (size_t i = from; i < until; ++i) low = std::min(low, pool.slack[i]);
    return low;
  }
};

// A pool's slack under bookings: lowering every slack from a day on and the
// minimum over a range of days, each O(log days). A segment tree whose
// nodes keep their subtree's minimum including the additions made to the
// whole subtree (add_), which are never pushed down.
class SlackTree {
 public:
  SlackTree() = default;
  explicit SlackTree(const std::vector<int64_t>& slack) : size_(slack.size()) {
    while (leaves_ < size_) leaves_ *= 2;
    min_.assign(2 * leaves_, kPadding);
    add_.assign(2 * leaves_, 0);
    std::copy(slack.begin(), slack.end(), min_.begin() + static_cast<ptrdiff_t>(leaves_));
    for (size_t node = leaves_; node-- > 1;) {
      min_[node] = std::min(min_[2 * node], min_[2 * node + 1]);
    }
  }
  // slack[i] += delta for every i >= from: the leaf, every right sibling on
  // the way up, and each ancestor's minimum again.
  void AddFrom(size_t from, int64_t delta) {
    size_t node = leaves_ + from;
    min_[node] += delta;
    for (; node > 1; node /= 2) {
      if (node % 2 == 0) {
        min_[node + 1] += delta;
        add_[node + 1] += delta;
      }
      const size_t parent = node / 2;
      min_[parent] = std::min(min_[2 * parent], min_[2 * parent + 1]) + add_[parent];
    }
  }
  // The minimum of slack[from..]: the leaf and every right sibling on the way
  // up, each ancestor's additions added as it is passed (padding leaves lie
  // above any slack).
  int64_t SuffixMin(size_t from) const {
    size_t node = leaves_ + from;
    int64_t low = min_[node];
    for (; node > 1; node /= 2) {
      if (node % 2 == 0) low = std::min(low, min_[node + 1]);
      low += add_[node / 2];
    }
    return low;
  }
  // The minimum of slack[from, until).
  int64_t Min(size_t from, size_t until) const { return Min(1, 0, leaves_, from, until); }

 private:
  // Above any slack and far from overflowing under additions.
  static constexpr int64_t kPadding = std::numeric_limits<int64_t>::max() / 4;

  int64_t Min(size_t node, size_t lo, size_t hi, size_t from, size_t until) const {
    if (until <= lo || hi <= from) return kPadding;
    if (from <= lo && hi <= until) return min_[node];
    const size_t mid = (lo + hi) / 2;
    return std::min(Min(2 * node, lo, mid, from, until), Min(2 * node + 1, mid, hi, from, until)) +
           add_[node];
  }

  size_t size_ = 0;
  size_t leaves_ = 1;
  std::vector<int64_t> min_;  // [node]; node 1 is the root, leaves_ + i is day i
  std::vector<int64_t> add_;  // [node]: added to every day below node
};

// The second-dose day for a series starting on d1 (d1 itself for a one-dose
// vaccine), or none when no day fits seats and supply: the target interval,
// then one day earlier, one later, two earlier, ...
// Inlined: returned through memory, the optional stalled a draw's every
// placement on a store-to-load forwarding failure.
template <class Slack>
[[gnu::always_inline]] inline std::optional<DayNumber> SecondDoseDay(const Pool& pool,
                                                                     const Slack& slack,
                                                                     const VaccineSpec& vaccine,
                                                                     DayNumber d1) {
  const size_t i1 = static_cast<size_t>(d1 - pool.first_day);
  if (pool.days[i1].free_first() <= 0) return std::nullopt;
  if (vaccine.dose_count == 1) {
    if (slack.SuffixMin(i1) >= 1) return d1;
    return std::nullopt;
  }
  const DayNumber target = d1 + vaccine.interval_days_target;
  const DayNumber earliest = d1 + vaccine.interval_days_min;
  const DayNumber latest = std::min(d1 + vaccine.interval_days_max, LastDay(pool));
  const bool supply_ample = slack.SuffixMin(i1) >= 2;
  for (int distance = 0; distance <= vaccine.interval_days_max; ++distance) {
    const DayNumber days[2] = {target - distance, target + distance};
    for (int side = 0; side < (distance == 0 ? 1 : 2); ++side) {
      const DayNumber d2 = days[side];
      if (d2 < earliest || d2 > latest) continue;
      const size_t i2 = static_cast<size_t>(d2 - pool.first_day);
      if (pool.days[i2].free_second() <= 0) continue;
      // One more dose from d1 and another from d2 must fit every day's supply.
      if (supply_ample || (slack.SuffixMin(i2) >= 2 && slack.Min(i1, i2) >= 1)) return d2;
    }
    if (target - distance < earliest && target + distance > latest) break;
  }
  return std::nullopt;
}

inline std::optional<DayNumber> SecondDoseDay(const Pool& pool, const VaccineSpec& vaccine,
                                              DayNumber d1) {
  return SecondDoseDay(pool, PoolSlack{pool}, vaccine, d1);
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
