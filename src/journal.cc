// The journal's byte format (journal.h, docs/journal.md).
#include "src/journal.h"

#include <openssl/evp.h>

#include <memory>

#include "fmt/format.h"
#include "src/engine_state.h"

namespace vaxalloc::internal {

namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);

// SHA-256 fetched once: OpenSSL 3 looks an algorithm up on every
// EVP_sha256() initialization, a few microseconds per journal entry.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm;
}

// One context per thread, reset for each digest.
class Digest {
 public:
  Digest() {
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    context_ = context.get();
    if (context_ == nullptr || Sha256Algorithm() == nullptr ||
        EVP_DigestInit_ex2(context_, Sha256Algorithm(), nullptr) != 1) {
      failed_ = true;
    }
  }
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Add(const void* data, size_t size) {
    if (!failed_ && EVP_DigestUpdate(context_, data, size) != 1) failed_ = true;
  }
  Sha256 Finish() {
    Sha256 hash{};
    unsigned int size = 0;
    if (failed_ || EVP_DigestFinal_ex(context_, hash.data(), &size) != 1 || size != hash.size()) {
      // Only an allocation failure inside OpenSSL gets here; a zero hash
      // never matches a stored one, so nothing wrong is ever accepted.
      return Sha256{};
    }
    return hash;
  }

 private:
  EVP_MD_CTX* context_;
  bool failed_ = false;
};

template <class T>
void AddLittle(Digest& digest, T value) {
  unsigned char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  digest.Add(bytes, sizeof(T));
}

}  // namespace

Sha256 Sha256Of(std::string_view bytes) {
  Digest digest;
  digest.Add(bytes.data(), bytes.size());
  return digest.Finish();
}

std::string HexOf(const Sha256& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(hash.size() * 2);
  for (uint8_t byte : hash) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 15]);
  }
  return hex;
}

Sha256 JournalEntryHash(const Sha256& previous, uint64_t seq, uint8_t op, int64_t committed_at_us,
                        int64_t clock_us, std::string_view args) {
  Digest digest;
  digest.Add(previous.data(), previous.size());
  AddLittle(digest, seq);
  AddLittle(digest, op);
  AddLittle(digest, static_cast<uint64_t>(committed_at_us));
  AddLittle(digest, static_cast<uint64_t>(clock_us));
  AddLittle(digest, static_cast<uint32_t>(args.size()));
  digest.Add(args.data(), args.size());
  return digest.Finish();
}

std::string_view JournalOpName(uint8_t op) {
  static constexpr std::string_view kNames[] = {
      "unknown",        "created",        "migrated",     "add_district",
      "add_vaccine",    "add_center",     "add_capacity", "add_supply",
      "set_policy",     "register",       "draw",         "cancel_series",
      "withdraw",       "delete_registration", "add_release", "book",
      "confirm_hold",   "decline_hold",   "expire_holds", "record_dose",
      "rebook_second_dose", "issue_code", "verify_code", "commit_draw",
      "reveal_draw",    "abandon_draw",
  };
  static_assert(std::size(kNames) == kJournalOpMax + 1);
  return op <= kJournalOpMax ? kNames[op] : kNames[0];
}

// --- JournalWriter ------------------------------------------------------------

void JournalWriter::Str(const std::string& value) {
  U32(static_cast<uint32_t>(value.size()));
  bytes_.append(value);
}

void JournalWriter::Day(const absl::CivilDay& day) {
  I32(static_cast<int32_t>(day - kEpochDay));
}

void JournalWriter::Time(const absl::Time& time) { I64(ToMicros(time)); }

void JournalWriter::Duration(const absl::Duration& duration) {
  I64(absl::ToInt64Microseconds(duration));
}

// --- JournalReader ------------------------------------------------------------

void JournalReader::Fail(std::string_view what) {
  if (error_.empty()) error_ = fmt::format("{} at byte {}", what, offset_);
}

void JournalReader::Bool(bool& value) {
  const uint8_t byte = Little<uint8_t>();
  if (byte > 1) Fail("a flag is neither 0 nor 1");
  value = byte == 1;
}

void JournalReader::Str(std::string& value) {
  const uint32_t size = Little<uint32_t>();
  if (bytes_.size() - offset_ < size) {
    Fail("a string ends early");
    value.clear();
    return;
  }
  value.assign(bytes_.substr(offset_, size));
  offset_ += size;
}

void JournalReader::Day(absl::CivilDay& day) {
  day = CivilDayFromDays(static_cast<int32_t>(Little<uint32_t>()));
}

void JournalReader::Time(absl::Time& time) {
  time = FromMicros(static_cast<int64_t>(Little<uint64_t>()));
}

void JournalReader::Duration(absl::Duration& duration) {
  duration = absl::Microseconds(static_cast<int64_t>(Little<uint64_t>()));
}

void JournalReader::Count(size_t& count, size_t item_bytes) {
  count = Little<uint32_t>();
  if (item_bytes > 0 && count > (bytes_.size() - offset_) / item_bytes) {
    Fail("a list is longer than the bytes left");
    count = 0;
  }
}

absl::Status JournalReader::Finish() const {
  if (!error_.empty()) return absl::InvalidArgumentError(error_);
  if (offset_ != bytes_.size()) {
    return absl::InvalidArgumentError(
        fmt::format("{} bytes left over after byte {}", bytes_.size() - offset_, offset_));
  }
  return absl::OkStatus();
}

}  // namespace vaxalloc::internal
