// The chi-square check of a committed draw (docs/draw.md section 13): did
// registration time, inside a tier, decide who won? From the inputs the
// commitment froze (each candidate's tier and registration instant) and the
// results (who won).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "src/engine_state.h"
#include "src/journal.h"
#include "vaxalloc/engine.h"

namespace vaxalloc {
namespace {

using internal::kDrawInputCandidateBytes;
using internal::LittleEndianAt;

struct Entrant {
  int64_t registered_at_us;
  uint32_t index;  // in the inputs: ties in registration time keep it
  uint8_t tier;
  bool won;
};

// The candidates of docs/draw.md section 10.7 and who of them won (section
// 11's results); false if the bytes do not have that shape.
bool ReadEntrants(std::string_view inputs, std::string_view results,
                  std::vector<Entrant>* entrants) {
  const std::string_view candidates = internal::InputsSection(inputs, 7);
  if (candidates.size() < 4) return false;
  const uint64_t count = LittleEndianAt(candidates, 0, 4);
  if (candidates.size() != 4 + count * kDrawInputCandidateBytes) return false;
  for (uint64_t c = 0; c < count; ++c) {
    const size_t at = 4 + c * kDrawInputCandidateBytes;
    entrants->push_back({static_cast<int64_t>(LittleEndianAt(candidates, at + 32, 8)),
                         static_cast<uint32_t>(c),
                         static_cast<uint8_t>(candidates[at + kDrawInputCandidateBytes - 1]),
                         false});
  }
  // Draw id, instant, 8 tier counts, then the series.
  size_t at = 4 + 8 + 8 * 8;
  if (results.size() < at + 4) return false;
  const uint64_t series = LittleEndianAt(results, at, 4);
  at += 4;
  for (uint64_t s = 0; s < series; ++s) {
    if (results.size() < at + 15) return false;
    const uint64_t candidate = LittleEndianAt(results, at, 4);
    if (candidate >= entrants->size()) return false;
    (*entrants)[candidate].won = true;
    at += 15 + 6 * LittleEndianAt(results, at + 14, 1);
  }
  return at == results.size();
}

// Q(a, x) = Gamma(a, x) / Gamma(a), the regularized upper incomplete gamma
// function: by its series below a + 1, by Lentz's continued fraction above
// (Numerical Recipes, section 6.2).
double UpperGammaRegularized(double a, double x) {
  if (x <= 0) return 1;
  const double log_prefix = a * std::log(x) - x - std::lgamma(a);
  constexpr int kIterations = 1000;
  constexpr double kEpsilon = 1e-15;
  if (x < a + 1) {
    double term = 1 / a, sum = term;
    for (int n = 1; n < kIterations && std::abs(term) > std::abs(sum) * kEpsilon; ++n) {
      term *= x / (a + n);
      sum += term;
    }
    return std::max(0.0, 1 - sum * std::exp(log_prefix));
  }
  constexpr double kTiny = std::numeric_limits<double>::min() / kEpsilon;
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < kIterations; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) break;
  }
  return std::min(1.0, std::exp(log_prefix) * h);
}

}  // namespace

absl::StatusOr<DrawFairness> Engine::CheckDrawFairness(CommitmentId id, int buckets) const {
  if (buckets < 2 || buckets > kFairnessBucketsMax) {
    return absl::InvalidArgumentError(fmt::format(
        "draw fairness: {} buckets; expected 2 to {}", buckets, kFairnessBucketsMax));
  }
  absl::StatusOr<const State::CommitmentEntry*> found =
      internal::RevealedCommitment(*state_, id, "draw fairness");
  if (!found.ok()) return found.status();
  const State::CommitmentEntry& entry = **found;
  std::vector<Entrant> entrants;
  if (!ReadEntrants(*entry.inputs, *entry.results, &entrants)) {
    return absl::DataLossError(
        fmt::format("draw fairness: draw commitment {}'s inputs or results are malformed", id));
  }
  std::sort(entrants.begin(), entrants.end(), [](const Entrant& a, const Entrant& b) {
    return std::tie(a.tier, a.registered_at_us, a.index) <
           std::tie(b.tier, b.registered_at_us, b.index);
  });
  DrawFairness fairness;
  fairness.commitment = id;
  fairness.buckets = buckets;
  for (size_t first = 0; first < entrants.size();) {
    size_t end = first;
    uint32_t winners = 0;
    while (end < entrants.size() && entrants[end].tier == entrants[first].tier) {
      winners += entrants[end].won ? 1 : 0;
      ++end;
    }
    const auto n = static_cast<uint32_t>(end - first);
    // Every bucket must expect at least 5 winners and 5 losers: the smallest,
    // floor(n / B) candidates, expects floor(n / B) * min(w, n - w) / n.
    const uint64_t smaller = std::min(winners, n - winners);
    int tier_buckets = buckets;
    while (tier_buckets >= 2 && (n / tier_buckets) * smaller < uint64_t{5} * n) --tier_buckets;
    if (tier_buckets >= 2) {
      TierFairness tier;
      tier.tier = entrants[first].tier;
      tier.candidates = n;
      tier.winners = winners;
      tier.buckets = tier_buckets;
      tier.degrees_of_freedom = tier_buckets - 1;
      const double win_share = static_cast<double>(winners) / n;
      for (int k = 0; k < tier_buckets; ++k) {
        // Bucket k: the candidates [k n / B, (k + 1) n / B) by registration time.
        const size_t lo = first + static_cast<size_t>(uint64_t{n} * k / tier_buckets);
        const size_t hi = first + static_cast<size_t>(uint64_t{n} * (k + 1) / tier_buckets);
        double won = 0;
        for (size_t i = lo; i < hi; ++i) won += entrants[i].won ? 1 : 0;
        const double size = static_cast<double>(hi - lo);
        const double expected_won = size * win_share;
        const double expected_lost = size - expected_won;
        tier.chi_square += (won - expected_won) * (won - expected_won) / expected_won +
                           (won - expected_won) * (won - expected_won) / expected_lost;
      }
      fairness.chi_square += tier.chi_square;
      fairness.degrees_of_freedom += tier.degrees_of_freedom;
      fairness.tiers.push_back(tier);
    }
    first = end;
  }
  if (fairness.degrees_of_freedom > 0) {
    fairness.p_value =
        UpperGammaRegularized(fairness.degrees_of_freedom / 2.0, fairness.chi_square / 2.0);
  }
  return fairness;
}

}  // namespace vaxalloc
