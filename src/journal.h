// The operation journal's byte format (docs/journal.md): the canonical
// arguments of each operation and the SHA-256 chain over the entries.
//
// One function per argument struct lists its fields once, for both
// directions: JournalWriter appends them, JournalReader parses them back.
#ifndef VAXALLOC_SRC_JOURNAL_H_
#define VAXALLOC_SRC_JOURNAL_H_

#include <array>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/types.h"

namespace vaxalloc::internal {

using Sha256 = std::array<uint8_t, 32>;
Sha256 Sha256Of(std::string_view bytes);
std::string HexOf(const Sha256& hash);

// The hash of entry `seq`: SHA-256 over the previous entry's hash (32 zero
// bytes before entry 1), then seq (u64), op (u8), committed_at (i64
// microseconds), the campaign clock (i64 microseconds: the latest change
// instant once the entry is applied), the arguments' length (u32) and the
// arguments, all little-endian.
Sha256 JournalEntryHash(const Sha256& previous, uint64_t seq, uint8_t op, int64_t committed_at_us,
                        int64_t clock_us, std::string_view args);

// Every operation that changes a campaign; the numbers are the file format.
enum class JournalOp : uint8_t {
  kCreated = 1,   // a new campaign file; args: schema version, library version
  kMigrated = 2,  // a file of an older schema got its journal; args: versions
  kAddDistrict = 3,
  kAddVaccine = 4,
  kAddCenter = 5,
  kAddCapacity = 6,
  kAddSupply = 7,
  kSetPolicy = 8,
  kRegister = 9,
  kDraw = 10,
  kCancelSeries = 11,
  kWithdraw = 12,
  kDeleteRegistration = 13,
  kAddRelease = 14,
  kBook = 15,
  kConfirmHold = 16,
  kDeclineHold = 17,
  kExpireHolds = 18,
  kRecordDose = 19,
  kRebookSecondDose = 20,
  kIssueCode = 21,
  kVerifyCode = 22,
  kCommitDraw = 23,
  kRevealDraw = 24,
  kAbandonDraw = 25,
};
inline constexpr int kJournalOpMax = 25;
// "add_district", ...; "unknown" outside 1..kJournalOpMax.
std::string_view JournalOpName(uint8_t op);

// Appends fields little-endian. Times are Unix microseconds (the infinite
// future and past as INT64 max and min), days are days since 1970-01-01,
// strings a u32 byte length then the bytes, lists a u32 count then the items.
class JournalWriter {
 public:
  static constexpr bool kReading = false;
  void U8(uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void U16(uint16_t value) { Little(value); }
  void U32(uint32_t value) { Little(value); }
  void U64(uint64_t value) { Little(value); }
  void I32(int32_t value) { Little(static_cast<uint32_t>(value)); }
  void I64(int64_t value) { Little(static_cast<uint64_t>(value)); }
  void Int(const int& value) { I32(value); }
  void Id(const uint32_t& value) { U32(value); }
  void Byte(const uint8_t& value) { U8(value); }
  void Bool(const bool& value) { U8(value ? 1 : 0); }
  void Wide(const int64_t& value) { I64(value); }
  void Wide(const uint64_t& value) { U64(value); }
  void Str(const std::string& value);
  void Day(const absl::CivilDay& day);
  void Time(const absl::Time& time);
  void Duration(const absl::Duration& duration);
  template <class E>
  void Enum(const E& value) {
    U8(static_cast<uint8_t>(value));
  }
  // A count; the caller then visits each item.
  void Count(const size_t& count) { U32(static_cast<uint32_t>(count)); }
  // Bytes as they are (a hash, a section already written).
  void Raw(std::string_view bytes) { bytes_.append(bytes); }
  size_t size() const { return bytes_.size(); }
  void Reserve(size_t bytes) { bytes_.reserve(bytes); }
  bool ok() const { return true; }
  std::string Take() { return std::move(bytes_); }

 private:
  template <class T>
  void Little(T value) {
    // One append per field: a committed draw's inputs run to tens of MB.
    char bytes[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(value >> (8 * i));
    bytes_.append(bytes, sizeof(T));
  }
  std::string bytes_;
};

// Parses what JournalWriter wrote; a short or malformed input sets an error
// (status()) and leaves zeros behind.
class JournalReader {
 public:
  static constexpr bool kReading = true;
  explicit JournalReader(std::string_view bytes) : bytes_(bytes) {}
  void Int(int& value) { value = static_cast<int32_t>(Little<uint32_t>()); }
  void Id(uint32_t& value) { value = Little<uint32_t>(); }
  void Byte(uint8_t& value) { value = Little<uint8_t>(); }
  void Bool(bool& value);
  void Wide(int64_t& value) { value = static_cast<int64_t>(Little<uint64_t>()); }
  void Wide(uint64_t& value) { value = Little<uint64_t>(); }
  void Str(std::string& value);
  void Day(absl::CivilDay& day);
  void Time(absl::Time& time);
  void Duration(absl::Duration& duration);
  template <class E>
  void Enum(E& value) {
    value = static_cast<E>(Little<uint8_t>());
  }
  // At most what the remaining bytes could hold, `item_bytes` each.
  void Count(size_t& count, size_t item_bytes = 1);
  bool ok() const { return error_.empty(); }
  // OK when every byte was read and nothing was malformed.
  absl::Status Finish() const;

 private:
  template <class T>
  T Little() {
    if (bytes_.size() - offset_ < sizeof(T)) {
      Fail("ends early");
      return T{};
    }
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      value |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(bytes_[offset_ + i])) << (8 * i));
    }
    offset_ += sizeof(T);
    return value;
  }
  void Fail(std::string_view what);
  std::string_view bytes_;
  size_t offset_ = 0;
  std::string error_;
};

// The `width`-byte little-endian integer at bytes[offset] (the caller checks
// the bounds): for reading the canonical forms in place.
inline uint64_t LittleEndianAt(std::string_view bytes, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

// One candidate of a committed draw's inputs (docs/draw.md section 10.7):
// digest 32, registered_at 8, waiting_since 8, district 4, birth day 4,
// preference 4, group, channel and tier 1 each.
inline constexpr size_t kDrawInputCandidateBytes = 32 + 8 + 8 + 4 + 4 + 4 + 3;

// `S` is T or const T: the writer reads const values, the reader fills them.
template <class S, class T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

// --- The arguments of each operation, one field list each -----------------
// The ids an operation created (the district's, the first registrant's, the
// draw's, ...) are part of its arguments: a follower checks that replaying it
// gave the same ones.

template <class IO, Is<District> D>
void JournalFields(IO& io, D& district) {
  io.Id(district.id);
  io.Str(district.code);
  io.Str(district.name);
}

template <class IO, Is<Vaccine> V>
void JournalFields(IO& io, V& vaccine) {
  auto& spec = vaccine.spec;
  io.Id(vaccine.id);
  io.Str(spec.code);
  io.Str(spec.name);
  io.Int(spec.dose_count);
  io.Int(spec.interval_days_min);
  io.Int(spec.interval_days_target);
  io.Int(spec.interval_days_max);
  io.Int(spec.age_years_min);
  io.Int(spec.age_years_max);
}

template <class IO, class List, class Item>
void JournalList(IO& io, List& items, size_t item_bytes, Item&& item) {
  size_t count = items.size();
  if constexpr (IO::kReading) {
    io.Count(count, item_bytes);
    items.assign(count, typename List::value_type{});
  } else {
    io.Count(count);
  }
  for (auto& value : items) item(value);
}

template <class IO, Is<Center> C>
void JournalFields(IO& io, C& center) {
  io.Id(center.id);
  io.Str(center.spec.code);
  io.Str(center.spec.name);
  JournalList(io, center.spec.districts, 4, [&](auto& district) { io.Id(district); });
}

// A capacity block or delivery with its position in its log (from 1).
template <class IO, Is<uint32_t> N, Is<CapacityBlock> B>
void JournalFields(IO& io, N& seq, B& block) {
  io.Id(seq);
  io.Id(block.center);
  io.Id(block.vaccine);
  io.Day(block.first_day);
  io.Day(block.last_day);
  io.Byte(block.weekdays);
  io.Int(block.open_minute);
  io.Int(block.close_minute);
  io.Int(block.slot_minutes);
  io.Int(block.seats_first);
  io.Int(block.seats_second);
}

template <class IO, Is<uint32_t> N, Is<SupplyDelivery> D>
void JournalFields(IO& io, N& seq, D& delivery) {
  io.Id(seq);
  io.Id(delivery.center);
  io.Id(delivery.vaccine);
  io.Day(delivery.day);
  io.Wide(delivery.doses);
}

template <class IO, Is<PolicyVersion> P>
void JournalFields(IO& io, P& version) {
  auto& policy = version.policy;
  io.Id(version.version);
  io.Enum(policy.residence);
  io.Str(policy.time_zone);
  io.Duration(policy.hold);
  io.Int(policy.short_notice_days);
  io.Duration(policy.standby_hold);
  io.Int(policy.code_digits);
  io.Duration(policy.code_lifetime);
  io.Int(policy.code_attempts);
  io.Int(policy.draw_lead_days_online);
  io.Int(policy.draw_lead_days_phone);
  io.Int(policy.overbook_permille);
  JournalList(io, policy.tier_rules, 12, [&](auto& rule) {
    io.Time(rule.registered_before);
    for (auto& tier : rule.tier_by_group) io.Byte(tier);
  });
  JournalList(io, policy.reserves, 17, [&](auto& reserve) {
    io.Str(reserve.name);
    io.Int(reserve.share_permille);
    io.Int(reserve.age_years_min);
    io.Byte(reserve.group_mask);
    io.Id(reserve.vaccine);
  });
  JournalList(io, policy.neighbours, 8, [&](auto& pair) {
    io.Id(pair.first);
    io.Id(pair.second);
  });
}

// A registration batch without the personal data (reference and birth
// day): those stay in the registrants table only, so that deleting a
// registration erases them from the file.
inline constexpr size_t kJournalRegistrantBytes = 19;
template <class IO, Is<RegistrantSpec> S>
void JournalRegistrantFields(IO& io, S& spec) {
  io.Id(spec.district);
  io.Enum(spec.group);
  io.Enum(spec.channel);
  io.Time(spec.registered_at);
  io.Id(spec.vaccine_preference);
  io.Bool(spec.standby);
}

template <class IO, Is<RegistrantId> N, Is<std::vector<RegistrantSpec>> L>
void JournalFields(IO& io, N& first_id, L& specs) {
  io.Id(first_id);
  JournalList(io, specs, kJournalRegistrantBytes,
              [&](auto& spec) { JournalRegistrantFields(io, spec); });
}

// A draw's request, the id it got and the series it made (first id, count).
template <class IO, Is<DrawId> N, Is<DrawRequest> R, Is<SeriesId> S, Is<uint32_t> C>
void JournalFields(IO& io, N& draw, R& request, S& first_series, C& series_count) {
  io.Id(draw);
  io.Wide(request.seed.k0);
  io.Wide(request.seed.k1);
  io.Time(request.at);
  io.Day(request.first_dose_from);
  io.Day(request.first_dose_until);
  io.Id(request.series_limit);
  JournalList(io, request.centers, 4, [&](auto& center) { io.Id(center); });
  io.Id(first_series);
  io.Id(series_count);
}

// An operation on one id at one instant (cancel, withdraw, delete, confirm,
// decline, rebook).
template <class IO, Is<uint32_t> N, Is<absl::Time> T>
void JournalFields(IO& io, N& id, T& at) {
  io.Id(id);
  io.Time(at);
}

template <class IO, Is<Release> R>
void JournalFields(IO& io, R& release) {
  auto& spec = release.spec;
  io.Id(release.id);
  io.Id(spec.center);
  io.Id(spec.vaccine);
  io.Day(spec.first_day);
  io.Day(spec.last_day);
  io.Time(spec.release_at);
  io.Id(spec.first_dose_cap);
}

// A booking request and the series it was about (the hold or booking made).
template <class IO, Is<BookingRequest> R, Is<SeriesId> S>
void JournalFields(IO& io, R& request, S& subject) {
  io.Id(request.registrant);
  io.Time(request.at);
  io.Enum(request.mode);
  io.Id(request.center);
  io.Id(request.vaccine);
  io.Day(request.first_dose_from);
  io.Day(request.first_dose_until);
  io.Bool(request.confirm);
  io.Id(subject);
}

template <class IO, Is<absl::Time> T, Is<uint32_t> N>
void JournalFields(IO& io, T& at, N& holds_lapsed) {
  io.Time(at);
  io.Id(holds_lapsed);
}

template <class IO, Is<SeriesId> S, Is<uint8_t> D, Is<DoseOutcome> O, Is<absl::Time> T>
void JournalFields(IO& io, S& series, D& dose, O& outcome, T& at) {
  io.Id(series);
  io.Byte(dose);
  io.Enum(outcome);
  io.Time(at);
}

// A code as issued, without its digits: the salt and the hash the file
// keeps, so that a follower holds the same record.
template <class IO, Is<CodeRequest> R, Is<VerificationCode> C>
void JournalFields(IO& io, R& request, C& code) {
  io.Id(request.registrant);
  io.Enum(request.purpose);
  io.Id(request.series);
  io.Time(request.at);
  io.Id(code.id);
  io.Wide(code.salt0);
  io.Wide(code.salt1);
  io.Wide(code.hash);
}

// A code entry that changed the code: whether the digits matched (never the
// digits themselves).
template <class IO, Is<CodeId> C, Is<absl::Time> T, Is<bool> B>
void JournalFields(IO& io, C& code, T& at, B& matched) {
  io.Id(code);
  io.Time(at);
  io.Bool(matched);
}

// A draw commitment as made: its id, the request without a seed, the
// beacon it names, the policy version and the commitment with the length of
// the inputs it hashes (a follower builds the inputs itself and must get the
// same hash).
template <class IO, Is<DrawCommitment> C>
void JournalFields(IO& io, C& commitment) {
  auto& request = commitment.request;
  io.Id(commitment.id);
  io.Time(request.at);
  io.Day(request.first_dose_from);
  io.Day(request.first_dose_until);
  io.Id(request.series_limit);
  JournalList(io, request.centers, 4, [&](auto& center) { io.Id(center); });
  io.Str(commitment.beacon);
  io.Str(commitment.library_version);
  io.Id(commitment.policy_version);
  for (auto& byte : commitment.commitment) io.Byte(byte);
  io.Wide(commitment.input_bytes);
}
// A reveal: the commitment, the beacon's value, the instant, and the draw it
// made with its series (first id, count).
template <class IO, Is<CommitmentId> N, Is<std::string> V, Is<absl::Time> T, Is<DrawId> D,
          Is<SeriesId> S, Is<uint32_t> C>
void JournalFields(IO& io, N& commitment, V& beacon_value, T& at, D& draw, S& first_series,
                   C& series_count) {
  io.Id(commitment);
  io.Str(beacon_value);
  io.Time(at);
  io.Id(draw);
  io.Id(first_series);
  io.Id(series_count);
}
// An abandoned commitment: its id, the reason, the instant, and whether its
// inputs were still the committed ones.
template <class IO, Is<CommitmentId> N, Is<std::string> R, Is<absl::Time> T, Is<bool> U>
void JournalFields(IO& io, N& commitment, R& reason, T& at, U& unchanged) {
  io.Id(commitment);
  io.Str(reason);
  io.Time(at);
  io.Bool(unchanged);
}

// The bytes of `fields` (the arguments of one JournalFields overload).
template <class... Fields>
std::string JournalArgs(const Fields&... fields) {
  JournalWriter writer;
  JournalFields(writer, fields...);
  return writer.Take();
}

// Parses `args` into `fields`; InvalidArgument naming the operation when
// they do not parse exactly.
template <class... Fields>
absl::Status ParseJournalArgs(std::string_view args, uint8_t op, Fields&... fields) {
  JournalReader reader(args);
  JournalFields(reader, fields...);
  absl::Status status = reader.Finish();
  if (status.ok()) return status;
  return absl::InvalidArgumentError(
      std::string(JournalOpName(op)) + " arguments: " + std::string(status.message()));
}

}  // namespace vaxalloc::internal

#endif  // VAXALLOC_SRC_JOURNAL_H_
