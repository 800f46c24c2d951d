// SipHash-2-4 and the published form of a draw seed (docs/draw.md, section 3).
#include "vaxalloc/lottery.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vaxalloc {
namespace {

constexpr uint64_t RotateLeft(uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

// Bytes are read one by one so the result does not depend on the host's
// endianness or on alignment.
uint64_t LoadLittleEndian(const unsigned char* bytes, size_t count) {
  uint64_t value = 0;
  for (size_t i = 0; i < count; ++i) value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return value;
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = RotateLeft(v1, 13);
    v1 ^= v0;
    v0 = RotateLeft(v0, 32);
    v2 += v3;
    v3 = RotateLeft(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = RotateLeft(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = RotateLeft(v1, 17);
    v1 ^= v2;
    v2 = RotateLeft(v2, 32);
  }

  void Compress(uint64_t block) {  // the "2" of SipHash-2-4
    v3 ^= block;
    Round();
    Round();
    v0 ^= block;
  }
};

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `digits` holds 1 to 16 characters already checked to be hex digits.
uint64_t ParseHex64(std::string_view digits) {
  uint64_t value = 0;
  for (char c : digits) value = (value << 4) | static_cast<uint64_t>(HexDigitValue(c));
  return value;
}

// Debian's Abseil keeps its own string_view type, distinct from std's.
absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

// The text as it may appear in an error message: escaped, and cut when long.
std::string Quote(std::string_view text) {
  constexpr size_t kShownMax = 64;
  if (text.size() <= kShownMax) return absl::StrCat("'", absl::CEscape(AbslView(text)), "'");
  return absl::StrCat("'", absl::CEscape(AbslView(text.substr(0, kShownMax))), "...'");
}

}  // namespace

uint64_t SipHash24(uint64_t k0, uint64_t k1, std::string_view message) {
  SipState state{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
                 k1 ^ 0x7465646279746573ULL};
  const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
  const size_t length = message.size();
  const size_t full_block_bytes = length - length % 8;
  for (size_t offset = 0; offset < full_block_bytes; offset += 8) {
    state.Compress(LoadLittleEndian(bytes + offset, 8));
  }
  // The last block: the remaining bytes, and the length's low byte on top.
  const uint64_t last = (static_cast<uint64_t>(length) << 56) |
                        LoadLittleEndian(bytes + full_block_bytes, length % 8);
  state.Compress(last);
  state.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) state.Round();  // the "4" of SipHash-2-4
  return state.v0 ^ state.v1 ^ state.v2 ^ state.v3;
}

std::string FormatSeed(const DrawSeed& seed) {
  return absl::StrFormat("%016x%016x", seed.k0, seed.k1);
}

absl::StatusOr<DrawSeed> ParseSeed(std::string_view text) {
  if (text.empty() || (text.size() > 16 && text.size() != 32)) {
    return absl::InvalidArgumentError(
        absl::StrCat("draw seed ", Quote(text), " has ", text.size(),
                     " characters; expected 32 hex digits (k0 then k1) or 1 to 16 hex digits for a "
                     "64-bit seed"));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (HexDigitValue(text[i]) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("draw seed ", Quote(text), ": character ", i + 1, " ('",
                       absl::CEscape(AbslView(text.substr(i, 1))), "') is not a hex digit"));
    }
  }
  if (text.size() == 32) {
    return DrawSeed{ParseHex64(text.substr(0, 16)), ParseHex64(text.substr(16))};
  }
  return DrawSeed{ParseHex64(text), 0};
}

}  // namespace vaxalloc
