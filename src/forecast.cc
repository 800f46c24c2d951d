// The expected wait per tier: a statewide estimate for the press office
// (docs/booking.md, "Reporting").
#include <algorithm>
#include <limits>
#include <vector>

#include "fmt/format.h"
#include "src/engine_state.h"
#include "src/placement.h"
#include "vaxalloc/engine.h"

namespace vaxalloc {

absl::StatusOr<WaitForecast> Engine::ForecastWait(absl::Time at) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime("forecast: `at`", at));
  WaitForecast forecast;
  forecast.today = absl::ToCivilDay(at, state.time_zone);
  const internal::DayNumber today = internal::ToDayNumber(forecast.today);

  // First doses each day could take: free first-dose seats, as long as the
  // pool's supply from today on still covers whole series.
  internal::DayNumber last = today;
  for (const internal::Pool& pool : state.pools) {
    if (!pool.days.empty()) last = std::max(last, internal::LastDay(pool));
  }
  std::vector<int64_t> first_doses(static_cast<size_t>(last - today) + 1, 0);
  for (const internal::Pool& pool : state.pools) {
    if (pool.days.empty() || internal::LastDay(pool) < today) continue;
    const int dose_count = state.vaccines[pool.vaccine - 1].spec.dose_count;
    // A series started on `day` needs its doses delivered by then and kept
    // from every later day's appointments: the suffix minimum of the slack,
    // less what earlier days already took (both doses counted at once).
    int64_t doses_taken = 0;
    for (internal::DayNumber day = std::max(today, pool.first_day); day <= internal::LastDay(pool);
         ++day) {
      const size_t i = static_cast<size_t>(day - pool.first_day);
      const int64_t series_fit = (pool.slack_suffix_min[i] - doses_taken) / dose_count;
      const int64_t take =
          std::clamp<int64_t>(std::min<int64_t>(pool.days[i].free_first(), series_fit), 0,
                              std::numeric_limits<int32_t>::max());
      first_doses[static_cast<size_t>(day - today)] += take;
      doses_taken += take * dose_count;
    }
  }
  for (int64_t count : first_doses) forecast.first_doses_available += static_cast<uint64_t>(count);

  for (int t = 0; t < kTierMax; ++t) {
    forecast.tiers[t].waiting = static_cast<uint64_t>(state.counts.waiting_per_tier[t]);
  }
  uint64_t ahead = 0;
  size_t day = 0;
  uint64_t served = 0;  // first doses through `day`
  for (TierForecast& tier : forecast.tiers) {
    tier.waiting_ahead = ahead;
    ahead += tier.waiting;
    if (tier.waiting == 0) continue;
    while (day < first_doses.size() && served + static_cast<uint64_t>(first_doses[day]) < ahead) {
      served += static_cast<uint64_t>(first_doses[day]);
      ++day;
    }
    if (day == first_doses.size()) continue;  // the calendar runs out first
    tier.last_first_dose = internal::ToCivilDay(today + static_cast<internal::DayNumber>(day));
    tier.days = static_cast<int64_t>(day);
  }
  return forecast;
}

}  // namespace vaxalloc
