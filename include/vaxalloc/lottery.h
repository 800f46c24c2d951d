// The draw's lottery number: SipHash-2-4 keyed by the draw seed over the
// registrant's external reference. A pure function of (seed, reference), so
// neither storage order nor a retry can change anyone's number.
// docs/draw.md specifies it byte by byte.
#ifndef VAXALLOC_LOTTERY_H_
#define VAXALLOC_LOTTERY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "vaxalloc/types.h"

namespace vaxalloc {

// SipHash-2-4 (Aumasson and Bernstein, 2012) of `message` under the 128-bit
// key k0 || k1 (each read as little-endian, as in the reference code).
uint64_t SipHash24(uint64_t k0, uint64_t k1, std::string_view message);

// The lottery number of a registrant in a draw: lower draws earlier.
inline uint64_t LotteryNumber(const DrawSeed& seed, std::string_view external_ref) {
  return SipHash24(seed.k0, seed.k1, external_ref);
}

// A seed as 32 lowercase hex digits, k0 first (the published form).
std::string FormatSeed(const DrawSeed& seed);
// Parses 32 hex digits (either case), or up to 16 for a 64-bit seed (k1 = 0).
absl::StatusOr<DrawSeed> ParseSeed(std::string_view text);

}  // namespace vaxalloc

#endif  // VAXALLOC_LOTTERY_H_
