// Shared by the libFuzzer harnesses in tests/fuzz/ and their corpus
// generator: how a harness gives up (Trap), the switches read from the
// environment, and the byte reader and writer of fuzz_capi_ops' input format.
#ifndef VAXALLOC_TESTS_FUZZ_FUZZ_COMMON_H_
#define VAXALLOC_TESTS_FUZZ_FUZZ_COMMON_H_

#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // rmdir

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "vaxalloc.h"

namespace vaxfuzz {

// A finding: prints why and aborts, which libFuzzer reports as a crash and
// saves the input (crash-<sha1>).
[[noreturn]] __attribute__((format(printf, 1, 2))) inline void Trap(const char* format, ...) {
  std::fprintf(stderr, "\n==vaxalloc-fuzz== FINDING: ");
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::abort();
}

inline bool EnvFlag(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' && std::strcmp(value, "0") != 0;
}

// VAXALLOC_EINTERNAL is a finding unless the build says otherwise
// (-DVAXALLOC_FUZZ_ALLOW_EINTERNAL=ON, for a loader that does not yet
// validate everything) or the environment does (FUZZ_ALLOW_EINTERNAL=1).
// Allowed ones are counted and, with FUZZ_TRACE or FUZZ_LOG_EINTERNAL, printed.
inline bool AllowInternal() {
#ifdef VAXALLOC_FUZZ_ALLOW_EINTERNAL
  return true;
#else
  static const bool allowed = EnvFlag("FUZZ_ALLOW_EINTERNAL");
  return allowed;
#endif
}

inline bool Tracing() {
  static const bool tracing = EnvFlag("FUZZ_TRACE");
  return tracing;
}

inline bool KnownResult(int rc) { return rc <= 0 && rc >= VAXALLOC_EVERIFY; }

inline void RemoveCampaignFiles(const std::string& path);

// The directory for the harnesses' temporary files: $FUZZ_TMPDIR, else
// /dev/shm (tmpfs: no disk I/O, fsync is free), else /tmp. One directory per
// process; each input's files are removed after the input, the directory at
// a normal exit (a crash leaves it and the crashing input's files).
inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    std::string base;
    if (const char* env = std::getenv("FUZZ_TMPDIR"); env != nullptr && env[0] != '\0') {
      base = env;
    } else if (FILE* probe = std::fopen("/dev/shm/.vaxalloc-fuzz-probe", "w"); probe != nullptr) {
      std::fclose(probe);
      std::remove("/dev/shm/.vaxalloc-fuzz-probe");
      base = "/dev/shm";
    } else {
      base = "/tmp";
    }
    std::string pattern = base + "/vaxalloc-fuzz-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      Trap("cannot create a scratch directory in %s", base.c_str());
    }
    return std::string(buffer.data());
  }();
  // Registered once `dir` is complete, so it runs before dir's destructor.
  static const bool cleanup = [] {
    std::atexit([] {
      for (const char* name : {"ops.sqlite", "open.sqlite", "bundle.vxb", "template-0.sqlite",
                               "template-1.sqlite", "template-2.sqlite"}) {
        RemoveCampaignFiles(dir + "/" + name);
      }
      rmdir(dir.c_str());
    });
    return true;
  }();
  (void)cleanup;
  return dir;
}

inline void RemoveCampaignFiles(const std::string& path) {
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  std::remove((path + "-journal").c_str());
  std::remove((path + "-writers").c_str());  // the writers' lock file (0.6)
}

// ---------------------------------------------------------------------------
// fuzz_capi_ops' input format. Bytes are read from the front; past the end
// every read gives 0 and the harness stops at the next operation. The value
// selectors below (Int, Id, Time, Day, Str, ...) map one selector byte to a
// value, mostly a valid or nearly valid one, sometimes a boundary or a raw
// value read from the following bytes. The generator (fuzz_make_corpus.cc)
// writes them with the matching Script helpers.
// ---------------------------------------------------------------------------

// 2021-06-21 06:00 UTC (a Monday) and 2021-06-28 (the Monday after).
inline constexpr int64_t kT0 = 1624255200;
inline constexpr int32_t kD0 = 18806;
inline constexpr int kIntRawFirst = 0xF8;  // Int(): selector bytes below are in range

// The operations, one selector byte each: (byte & 0x7f) % kOpCount; with two
// handles the top bit picks the handle. Append only: the corpus depends on
// the numbers.
enum Op : uint8_t {
  kDistrictAdd,
  kVaccineAdd,
  kCenterAdd,
  kCapacityAdd,
  kSupplyAdd,
  kPolicySet,
  kRegister,
  kRegisterBatch,
  kDraw,
  kDrawCommit,
  kDrawReveal,
  kDrawAbandon,
  kDrawBundle,
  kDrawFairness,
  kSeriesCancel,
  kWithdraw,
  kRegistrantDelete,
  kReleaseAdd,
  kBook,
  kHoldConfirm,
  kHoldDecline,
  kHoldsExpire,
  kStandbyList,
  kCodeIssue,
  kCodeVerify,
  kDoseRecord,
  kSecondDoseRebook,
  kAttendance,
  kPendingEvents,
  kAcknowledge,
  kGet,
  kFind,
  kLists,
  kPolicyGet,
  kSlots,
  kReports,
  kJournal,
  kNoHandle,
  kNullArgs,
  kAdvance,
  kOpCount
};

// The first byte of an input.
enum Flags : uint8_t {
  kFlagPrelude = 1,       // start from the standard tiny campaign (Prelude())
  kFlagFile = 2,          // reopen the campaign file at the end and compare
  kFlagSecondHandle = 4,  // with kFlagFile: a second handle on the same file
  kFlagReadOnly = 8,      // the second handle is read-only
  kFlagPreludeDraw = 16,  // with kFlagPrelude: also a release and a first draw
  kFlagMemory = 32,       // without kFlagFile: a new ":memory:" campaign, not a
                          // copy of the template file (slower)
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(Byte()) << (8 * i);
    return v;
  }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(Byte()) << (8 * i);
    return v;
  }
  std::string Bytes(size_t n) {
    n = std::min(n, remaining());
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The campaign the harnesses start from and the corpus is made of: three
// districts, three vaccines (two doses, one dose, two doses for 60+), two
// centers with a week or two of slots and supply, a Hessen-like policy (a
// tier cut-off, a 60+ reserve, neighbours, short notice, overbooking) in
// `time_zone`, ten registrants.
inline void MustSucceed(const char* what, int rc) {
  if (rc != VAXALLOC_OK) Trap("set-up: %s: %s: %s", what, vaxalloc_errstr(rc), vaxalloc_last_error());
}

inline void SetUpTown(vaxalloc_campaign* c, const char* time_zone) {
  MustSucceed("district", vaxalloc_district_add(c, "06412", "Frankfurt am Main", nullptr));
  MustSucceed("district", vaxalloc_district_add(c, "06411", "Darmstadt", nullptr));
  MustSucceed("district", vaxalloc_district_add(c, "06413", "Offenbach", nullptr));
  vaxalloc_vaccine_spec vaccine = VAXALLOC_VACCINE_SPEC_INIT;
  vaccine.code = "comirnaty";
  vaccine.name = "Comirnaty";
  MustSucceed("vaccine", vaxalloc_vaccine_add(c, &vaccine, nullptr));
  vaccine.code = "janssen";
  vaccine.name = "Janssen";
  vaccine.dose_count = 1;
  MustSucceed("vaccine", vaxalloc_vaccine_add(c, &vaccine, nullptr));
  vaccine.code = "vaxzevria";
  vaccine.name = "Vaxzevria";
  vaccine.dose_count = 2;
  vaccine.interval_days_min = 28;
  vaccine.interval_days_target = 35;
  vaccine.interval_days_max = 84;
  vaccine.age_years_min = 60;
  MustSucceed("vaccine", vaxalloc_vaccine_add(c, &vaccine, nullptr));
  const uint32_t frankfurt_offenbach[2] = {1, 3};
  const uint32_t darmstadt[1] = {2};
  vaxalloc_center_spec center = VAXALLOC_CENTER_SPEC_INIT;
  center.code = "IZ-F";
  center.name = "Festhalle";
  center.districts = frankfurt_offenbach;
  center.district_count = 2;
  MustSucceed("center", vaxalloc_center_add(c, &center, nullptr));
  center.code = "IZ-DA";
  center.name = "Darmstadtium";
  center.districts = darmstadt;
  center.district_count = 1;
  MustSucceed("center", vaxalloc_center_add(c, &center, nullptr));
  auto block = [&](uint32_t center_id, uint32_t vaccine_id, int32_t first, int32_t last,
                   int32_t open, int32_t close, int32_t seats_first, int32_t seats_second) {
    vaxalloc_capacity_block b = VAXALLOC_CAPACITY_BLOCK_INIT;
    b.center = center_id;
    b.vaccine = vaccine_id;
    b.first_day = first;
    b.last_day = last;
    b.open_minute = open;
    b.close_minute = close;
    b.slot_minutes = 30;
    b.seats_first = seats_first;
    b.seats_second = seats_second;
    MustSucceed("capacity", vaxalloc_capacity_add(c, &b));
  };
  block(1, 1, kD0 - 7, kD0 + 6, 480, 600, 1, 0);
  block(1, 1, kD0 + 14, kD0 + 48, 480, 600, 0, 1);
  block(2, 2, kD0 - 7, kD0 + 13, 540, 600, 1, 0);
  block(2, 3, kD0, kD0 + 6, 540, 570, 1, 0);
  block(2, 3, kD0 + 28, kD0 + 45, 540, 570, 0, 1);
  auto supply = [&](uint32_t center_id, uint32_t vaccine_id, int64_t doses) {
    vaxalloc_supply_delivery d = VAXALLOC_SUPPLY_DELIVERY_INIT;
    d.center = center_id;
    d.vaccine = vaccine_id;
    d.day = kD0 - 10;
    d.doses = doses;
    MustSucceed("supply", vaxalloc_supply_add(c, &d));
  };
  supply(1, 1, 30);
  supply(2, 2, 8);
  supply(2, 3, 4);
  vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
  vaxalloc_tier_rule rule = VAXALLOC_TIER_RULE_INIT;
  rule.registered_before = kT0 - 3 * 86400;
  vaxalloc_reserve reserve = VAXALLOC_RESERVE_INIT;
  std::snprintf(reserve.name, sizeof reserve.name, "60+");
  reserve.share_permille = 500;
  reserve.age_years_min = 60;
  const vaxalloc_neighbour_pair neighbours[1] = {{1, 2}};
  policy.tier_rules = &rule;
  policy.tier_rule_count = 1;
  policy.reserves = &reserve;
  policy.reserve_count = 1;
  policy.residence = VAXALLOC_RESIDENCE_HOME_OR_NEIGHBOUR_DISTRICT;
  policy.neighbours = neighbours;
  policy.neighbour_count = 1;
  policy.time_zone = time_zone;
  policy.short_notice_days = 14;
  policy.draw_lead_days_phone = 2;
  policy.overbook_permille = 100;
  MustSucceed("policy", vaxalloc_policy_set(c, &policy, nullptr));
  for (int k = 0; k < 10; ++k) {
    const std::string ref = "HE-" + std::to_string(k);
    vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
    spec.external_ref = ref.c_str();
    spec.district = static_cast<uint32_t>(k % 3 + 1);
    spec.birth_day = kD0 - (20 + 7 * k) * 365;
    spec.group = k % 4 + 1;
    spec.channel = k % 4 == 3 ? VAXALLOC_CHANNEL_PHONE : VAXALLOC_CHANNEL_ONLINE;
    spec.registered_at = kT0 - (10 - k) * 86400;
    spec.vaccine_preference = k == 5 ? 2 : 0;
    spec.standby = k % 3 == 0 ? 1 : 0;
    MustSucceed("register", vaxalloc_register(c, &spec, nullptr));
  }
}

}  // namespace vaxfuzz

#endif  // VAXALLOC_TESTS_FUZZ_FUZZ_COMMON_H_
