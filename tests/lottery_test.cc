// SipHash-2-4 against the reference test vectors, and the seed's published form.
#include "vaxalloc/lottery.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace vaxalloc {
namespace {

// vectors_sip64 from the reference implementation's vectors.h
// (github.com/veorq/SipHash): SipHash-2-4 with key bytes 00..0f over the
// message bytes 00..(n-1), for n = 0..63, each output as little-endian bytes.
constexpr unsigned char kReferenceOutputs[64][8] = {
    {0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72},
    {0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74},
    {0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d},
    {0x2d, 0x7e, 0xfb, 0xd7, 0x96, 0x66, 0x67, 0x85},
    {0xb7, 0x87, 0x71, 0x27, 0xe0, 0x94, 0x27, 0xcf},
    {0x8d, 0xa6, 0x99, 0xcd, 0x64, 0x55, 0x76, 0x18},
    {0xce, 0xe3, 0xfe, 0x58, 0x6e, 0x46, 0xc9, 0xcb},
    {0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab},
    {0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93},
    {0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e},
    {0xf3, 0xb9, 0xdd, 0x94, 0xc5, 0xbb, 0x5d, 0x7a},
    {0xa7, 0xad, 0x6b, 0x22, 0x46, 0x2f, 0xb3, 0xf4},
    {0xfb, 0xe5, 0x0e, 0x86, 0xbc, 0x8f, 0x1e, 0x75},
    {0x90, 0x3d, 0x84, 0xc0, 0x27, 0x56, 0xea, 0x14},
    {0xee, 0xf2, 0x7a, 0x8e, 0x90, 0xca, 0x23, 0xf7},
    {0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1},
    {0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f},
    {0x94, 0x47, 0xbe, 0x2c, 0xf5, 0xe9, 0x9a, 0x69},
    {0x9c, 0xd3, 0x8d, 0x96, 0xf0, 0xb3, 0xc1, 0x4b},
    {0xbd, 0x61, 0x79, 0xa7, 0x1d, 0xc9, 0x6d, 0xbb},
    {0x98, 0xee, 0xa2, 0x1a, 0xf2, 0x5c, 0xd6, 0xbe},
    {0xc7, 0x67, 0x3b, 0x2e, 0xb0, 0xcb, 0xf2, 0xd0},
    {0x88, 0x3e, 0xa3, 0xe3, 0x95, 0x67, 0x53, 0x93},
    {0xc8, 0xce, 0x5c, 0xcd, 0x8c, 0x03, 0x0c, 0xa8},
    {0x94, 0xaf, 0x49, 0xf6, 0xc6, 0x50, 0xad, 0xb8},
    {0xea, 0xb8, 0x85, 0x8a, 0xde, 0x92, 0xe1, 0xbc},
    {0xf3, 0x15, 0xbb, 0x5b, 0xb8, 0x35, 0xd8, 0x17},
    {0xad, 0xcf, 0x6b, 0x07, 0x63, 0x61, 0x2e, 0x2f},
    {0xa5, 0xc9, 0x1d, 0xa7, 0xac, 0xaa, 0x4d, 0xde},
    {0x71, 0x65, 0x95, 0x87, 0x66, 0x50, 0xa2, 0xa6},
    {0x28, 0xef, 0x49, 0x5c, 0x53, 0xa3, 0x87, 0xad},
    {0x42, 0xc3, 0x41, 0xd8, 0xfa, 0x92, 0xd8, 0x32},
    {0xce, 0x7c, 0xf2, 0x72, 0x2f, 0x51, 0x27, 0x71},
    {0xe3, 0x78, 0x59, 0xf9, 0x46, 0x23, 0xf3, 0xa7},
    {0x38, 0x12, 0x05, 0xbb, 0x1a, 0xb0, 0xe0, 0x12},
    {0xae, 0x97, 0xa1, 0x0f, 0xd4, 0x34, 0xe0, 0x15},
    {0xb4, 0xa3, 0x15, 0x08, 0xbe, 0xff, 0x4d, 0x31},
    {0x81, 0x39, 0x62, 0x29, 0xf0, 0x90, 0x79, 0x02},
    {0x4d, 0x0c, 0xf4, 0x9e, 0xe5, 0xd4, 0xdc, 0xca},
    {0x5c, 0x73, 0x33, 0x6a, 0x76, 0xd8, 0xbf, 0x9a},
    {0xd0, 0xa7, 0x04, 0x53, 0x6b, 0xa9, 0x3e, 0x0e},
    {0x92, 0x59, 0x58, 0xfc, 0xd6, 0x42, 0x0c, 0xad},
    {0xa9, 0x15, 0xc2, 0x9b, 0xc8, 0x06, 0x73, 0x18},
    {0x95, 0x2b, 0x79, 0xf3, 0xbc, 0x0a, 0xa6, 0xd4},
    {0xf2, 0x1d, 0xf2, 0xe4, 0x1d, 0x45, 0x35, 0xf9},
    {0x87, 0x57, 0x75, 0x19, 0x04, 0x8f, 0x53, 0xa9},
    {0x10, 0xa5, 0x6c, 0xf5, 0xdf, 0xcd, 0x9a, 0xdb},
    {0xeb, 0x75, 0x09, 0x5c, 0xcd, 0x98, 0x6c, 0xd0},
    {0x51, 0xa9, 0xcb, 0x9e, 0xcb, 0xa3, 0x12, 0xe6},
    {0x96, 0xaf, 0xad, 0xfc, 0x2c, 0xe6, 0x66, 0xc7},
    {0x72, 0xfe, 0x52, 0x97, 0x5a, 0x43, 0x64, 0xee},
    {0x5a, 0x16, 0x45, 0xb2, 0x76, 0xd5, 0x92, 0xa1},
    {0xb2, 0x74, 0xcb, 0x8e, 0xbf, 0x87, 0x87, 0x0a},
    {0x6f, 0x9b, 0xb4, 0x20, 0x3d, 0xe7, 0xb3, 0x81},
    {0xea, 0xec, 0xb2, 0xa3, 0x0b, 0x22, 0xa8, 0x7f},
    {0x99, 0x24, 0xa4, 0x3c, 0xc1, 0x31, 0x57, 0x24},
    {0xbd, 0x83, 0x8d, 0x3a, 0xaf, 0xbf, 0x8d, 0xb7},
    {0x0b, 0x1a, 0x2a, 0x32, 0x65, 0xd5, 0x1a, 0xea},
    {0x13, 0x50, 0x79, 0xa3, 0x23, 0x1c, 0xe6, 0x60},
    {0x93, 0x2b, 0x28, 0x46, 0xe4, 0xd7, 0x06, 0x66},
    {0xe1, 0x91, 0x5f, 0x5c, 0xb1, 0xec, 0xa4, 0x6c},
    {0xf3, 0x25, 0x96, 0x5c, 0xa1, 0x6d, 0x62, 0x9f},
    {0x57, 0x5f, 0xf2, 0x8e, 0x60, 0x38, 0x1b, 0xe5},
    {0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95},
};

constexpr uint64_t kReferenceK0 = 0x0706050403020100ULL;  // key bytes 00..07, little-endian
constexpr uint64_t kReferenceK1 = 0x0f0e0d0c0b0a0908ULL;  // key bytes 08..0f

uint64_t ReferenceOutput(int length) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value |= static_cast<uint64_t>(kReferenceOutputs[length][i]) << (8 * i);
  return value;
}

std::string ReferenceMessage(int length) {
  std::string message;
  for (int i = 0; i < length; ++i) message.push_back(static_cast<char>(i));
  return message;
}

TEST_CASE("SipHash24 matches all 64 reference vectors") {
  for (int length = 0; length < 64; ++length) {
    CAPTURE(length);
    CHECK(SipHash24(kReferenceK0, kReferenceK1, ReferenceMessage(length)) ==
          ReferenceOutput(length));
  }
}

TEST_CASE("SipHash24 reference vectors at the block boundaries, spelled out") {
  const std::string message = ReferenceMessage(63);
  const std::string_view view = message;
  CHECK(SipHash24(kReferenceK0, kReferenceK1, view.substr(0, 0)) == 0x726fdb47dd0e0e31ULL);
  CHECK(SipHash24(kReferenceK0, kReferenceK1, view.substr(0, 1)) == 0x74f839c593dc67fdULL);
  CHECK(SipHash24(kReferenceK0, kReferenceK1, view.substr(0, 7)) == 0xab0200f58b01d137ULL);
  CHECK(SipHash24(kReferenceK0, kReferenceK1, view.substr(0, 8)) == 0x93f5f5799a932462ULL);
  CHECK(SipHash24(kReferenceK0, kReferenceK1, view.substr(0, 15)) == 0xa129ca6149be45e5ULL);
  CHECK(SipHash24(kReferenceK0, kReferenceK1, view.substr(0, 63)) == 0x958a324ceb064572ULL);
}

TEST_CASE("SipHash24 depends on every key bit and on the message length") {
  const uint64_t base = SipHash24(kReferenceK0, kReferenceK1, "reg-000123");
  CHECK(SipHash24(kReferenceK0 ^ 1, kReferenceK1, "reg-000123") != base);
  CHECK(SipHash24(kReferenceK0, kReferenceK1 ^ (1ULL << 63), "reg-000123") != base);
  CHECK(SipHash24(kReferenceK0, kReferenceK1, "reg-0001230") != base);
  // A trailing NUL is part of the message, not a terminator.
  CHECK(SipHash24(kReferenceK0, kReferenceK1, std::string_view("reg-000123\0", 11)) != base);
  // LotteryNumber is SipHash24 under the draw seed.
  CHECK(LotteryNumber(DrawSeed{kReferenceK0, kReferenceK1}, "reg-000123") == base);
}

TEST_CASE("FormatSeed writes k0 then k1 as 32 lowercase hex digits") {
  CHECK(FormatSeed(DrawSeed{0, 0}) == "00000000000000000000000000000000");
  CHECK(FormatSeed(DrawSeed{kReferenceK0, kReferenceK1}) == "07060504030201000f0e0d0c0b0a0908");
  CHECK(FormatSeed(DrawSeed{0xDEADBEEFCAFEF00DULL, 1}) == "deadbeefcafef00d0000000000000001");
  CHECK(FormatSeed(DrawSeed{~0ULL, ~0ULL}) == "ffffffffffffffffffffffffffffffff");
}

TEST_CASE("ParseSeed reads the published form in either case") {
  auto parsed = ParseSeed("07060504030201000F0E0D0C0B0A0908");
  REQUIRE(parsed.ok());
  CHECK(parsed->k0 == kReferenceK0);
  CHECK(parsed->k1 == kReferenceK1);

  parsed = ParseSeed("ffffffffffffffff0000000000000000");
  REQUIRE(parsed.ok());
  CHECK(*parsed == DrawSeed{~0ULL, 0});
}

TEST_CASE("ParseSeed reads up to 16 digits as a 64-bit seed with k1 = 0") {
  auto parsed = ParseSeed("1");
  REQUIRE(parsed.ok());
  CHECK(*parsed == DrawSeed{1, 0});
  parsed = ParseSeed("2a");
  REQUIRE(parsed.ok());
  CHECK(*parsed == DrawSeed{42, 0});
  parsed = ParseSeed("FFFFFFFFFFFFFFFF");
  REQUIRE(parsed.ok());
  CHECK(*parsed == DrawSeed{~0ULL, 0});
}

TEST_CASE("FormatSeed and ParseSeed round trip") {
  const std::array<DrawSeed, 6> seeds = {DrawSeed{0, 0},
                                         DrawSeed{1, 0},
                                         DrawSeed{0, 1},
                                         DrawSeed{~0ULL, ~0ULL},
                                         DrawSeed{kReferenceK0, kReferenceK1},
                                         DrawSeed{0x8000000000000000ULL, 0x7fffffffffffffffULL}};
  for (const DrawSeed& seed : seeds) {
    const std::string text = FormatSeed(seed);
    CAPTURE(text);
    CHECK(text.size() == 32);
    auto parsed = ParseSeed(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == seed);
  }
  // A pseudo-random walk over the key space (an LCG, enough to vary every digit).
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 1000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const DrawSeed seed{state, state * 0xbf58476d1ce4e5b9ULL};
    auto parsed = ParseSeed(FormatSeed(seed));
    REQUIRE(parsed.ok());
    CHECK(*parsed == seed);
    // The 64-bit form is the 16-digit prefix of k0 alone.
    parsed = ParseSeed(FormatSeed(seed).substr(0, 16));
    REQUIRE(parsed.ok());
    CHECK(*parsed == DrawSeed{seed.k0, 0});
  }
}

TEST_CASE("ParseSeed rejects a bad length, naming it") {
  for (std::string_view text : {std::string_view(""), std::string_view("00000000000000000"),
                                std::string_view("0000000000000000000000000000000"),
                                std::string_view("000000000000000000000000000000000")}) {
    CAPTURE(text);
    auto parsed = ParseSeed(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    CHECK(message.find("has " + std::to_string(text.size()) + " characters") != std::string::npos);
    CHECK(message.find("expected 32 hex digits") != std::string::npos);
  }
}

TEST_CASE("ParseSeed rejects a character that is not a hex digit, naming it") {
  auto parsed = ParseSeed("0706050403020100x0e0d0c0b0a0908");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(parsed.status().message() ==
        "draw seed '0706050403020100x0e0d0c0b0a0908' has 31 characters; expected 32 hex "
        "digits (k0 then k1) or 1 to 16 hex digits for a 64-bit seed");

  parsed = ParseSeed("07060504030201000g0e0d0c0b0a0908");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(parsed.status().message() ==
        "draw seed '07060504030201000g0e0d0c0b0a0908': character 18 ('g') is not a hex digit");

  for (std::string_view text :
       {std::string_view("0x2a"), std::string_view(" 2a"), std::string_view("2a "),
        std::string_view("-1"), std::string_view("2\0a", 3)}) {
    CAPTURE(text);
    parsed = ParseSeed(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(parsed.status().message()).find("is not a hex digit") != std::string::npos);
  }
  // A control character is escaped in the message, not copied raw.
  parsed = ParseSeed(std::string_view("2\0a", 3));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message() ==
        "draw seed '2\\000a': character 2 ('\\000') is not a hex digit");
}

}  // namespace
}  // namespace vaxalloc
