// The allocation a competent engineer would write without vaxalloc: the same
// scenario in plain SQLite tables and a draw in SQL, `ORDER BY random()` per
// tier and center, a second-dose lookup per winner, one transaction. It skips
// the supply check and reserve categories, so it does less than the engine:
// the ratio in the benchmark table flatters the baseline, not us.
#ifndef VAXALLOC_BENCH_SQL_BASELINE_H_
#define VAXALLOC_BENCH_SQL_BASELINE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vaxalloc/scenario.h"

namespace vaxalloc::bench {

// Writes the scenario's centers, vaccines, slots and registrants (with their
// tier precomputed, as such a schema would) to a new SQLite file.
absl::Status BuildBaseline(const std::string& path, const Scenario& scenario);

// Runs one draw over the file; returns the number of series assigned.
absl::StatusOr<uint64_t> RunBaselineDraw(const std::string& path, const Scenario& scenario,
                                         const DrawRequest& request);

}  // namespace vaxalloc::bench

#endif  // VAXALLOC_BENCH_SQL_BASELINE_H_
