// fuzz_capi_ops: the input decodes into a sequence of C ABI calls (vaxalloc.h)
// on a small campaign: a copy of a template campaign file (empty, or the
// prelude's ten registrants, or that and a first draw; made once per process)
// in the scratch directory (tmpfs), optionally with a second handle
// (read-write or read-only) following the same file's journal; or, when the
// input's first byte says so, a new ":memory:" campaign. The input format is
// in fuzz_common.h (Op, Flags) and at the selectors below.
//
// Speed: opening a campaign costs about 9 ms here (AddressSanitizer; 4 ms
// without), creating a new one 25 ms (9 ms), most of an input's time: SQLite
// parses the schema and the statements the Store prepares, and a new campaign
// runs every migration from schema 1.
//
// After every call:
//   - the result is one of the documented codes; VAXALLOC_EINTERNAL is a
//     finding (see AllowInternal()), VAXALLOC_ERROR too (except for writing an
//     audit bundle, where it means an I/O failure);
//   - vaxalloc_last_error_code() and vaxalloc_campaign_errcode() agree with
//     it, and the message is empty exactly on success;
//   - a failed call changed nothing (vaxalloc_counts.revision), except a wrong
//     verification code's attempt; a read changed nothing either; nothing
//     succeeds on a read-only handle that changes the campaign;
//   - a call with a NULL required pointer or handle is VAXALLOC_EINVALID;
//   - vaxalloc_check_invariants() finds no violation (after every call that
//     changed the campaign).
// At the end of an input: every handle's journal verifies; with a file, the
// campaign is reopened and must equal what the handles had (counts, report,
// invariants, journal).
#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "vaxalloc.h"

namespace vaxfuzz {
namespace {

const char* const kOpNames[kOpCount] = {
    "district_add",
    "vaccine_add",
    "center_add",
    "capacity_add",
    "supply_add",
    "policy_set",
    "register",
    "register_batch",
    "draw",
    "draw_commit",
    "draw_reveal",
    "draw_abandon",
    "draw_bundle",
    "draw_fairness",
    "series_cancel",
    "withdraw",
    "registrant_delete",
    "release_add",
    "book",
    "hold_confirm",
    "hold_decline",
    "holds_expire",
    "standby_list",
    "code_issue",
    "code_verify",
    "dose_record",
    "second_dose_rebook",
    "attendance",
    "pending_events",
    "acknowledge",
    "get",
    "find",
    "lists",
    "policy_get",
    "slots",
    "reports",
    "journal",
    "no_handle",
    "null_args",
    "advance",
};

// Per operation: calls, successes (FUZZ_STATS=1 prints them at exit).
struct Stats {
  std::array<std::array<uint64_t, 16>, kOpCount> results{};
  uint64_t inputs = 0;
  uint64_t calls = 0;
  ~Stats() {
    if (!EnvFlag("FUZZ_STATS")) return;
    std::fprintf(stderr, "fuzz_capi_ops: %" PRIu64 " inputs, %" PRIu64 " calls\n", inputs, calls);
    for (int op = 0; op < kOpCount; ++op) {
      std::fprintf(stderr, "  %-20s", kOpNames[op]);
      for (int code = 0; code < 16; ++code) {
        if (results[op][code] != 0) {
          std::fprintf(stderr, " %s:%" PRIu64, code == 0 ? "ok" : vaxalloc_errstr(-code),
                       results[op][code]);
        }
      }
      std::fprintf(stderr, "\n");
    }
  }
};
Stats stats;

int64_t InstantOf(int32_t day, int32_t minute) {
  return static_cast<int64_t>(day) * 86400 + static_cast<int64_t>(minute) * 60;
}

class Fuzzer {
 public:
  Fuzzer(const uint8_t* data, size_t size) : in_(data, size) {}

  void Run() {
    ++stats.inputs;
    const uint8_t flags = in_.Byte();
    file_mode_ = (flags & kFlagFile) != 0;
    const bool second = file_mode_ && (flags & kFlagSecondHandle) != 0;
    read_only_second_ = second && (flags & kFlagReadOnly) != 0;
    const int kind = (flags & kFlagPrelude) == 0 ? 0 : (flags & kFlagPreludeDraw) == 0 ? 1 : 2;
    if ((flags & kFlagMemory) != 0 && !file_mode_) {
      // A new campaign in memory: about three times slower to set up than a
      // copy of a template (a new campaign runs every schema migration).
      path_ = ":memory:";
      Open(path_, false);
      if (kind > 0) Prelude(handles_[0], kind == 2);
    } else {
      // A copy of the template campaign (made once per process), opened.
      path_ = ScratchDir() + "/ops.sqlite";
      RemoveCampaignFiles(path_);
      WriteTemplate(kind, path_);
      Open(path_, false);
      if (second) Open(path_, read_only_second_);
    }
    while (!in_.empty()) {
      const uint8_t b = in_.Byte();
      op_ = static_cast<Op>((b & 0x7f) % kOpCount);
      h_ = handles_.size() > 1 ? (b >> 7) : 0;
      c_ = handles_[h_];
      RunOp();
    }
    Finish();
  }

 private:
  // --- Selectors (fuzz_common.h describes the format) ----------------------

  int64_t Int(int64_t lo, int64_t hi) {
    const uint8_t b = in_.Byte();
    if (b < kIntRawFirst) {
      const int64_t range = hi - lo + 1;
      if (range <= kIntRawFirst) return lo + b % range;
      return lo + (range - 1) * b / (kIntRawFirst - 1);
    }
    switch (b) {
      case 0xF8:
        return lo - 1;
      case 0xF9:
        return hi + 1;
      case 0xFA:
        return -1;
      case 0xFB:
        return 0;
      case 0xFC:
        return INT32_MIN;
      case 0xFD:
        return INT32_MAX;
      default:
        return static_cast<int32_t>(in_.U32());
    }
  }
  int32_t Int32(int64_t lo, int64_t hi) {
    return static_cast<int32_t>(std::clamp<int64_t>(Int(lo, hi), INT32_MIN, INT32_MAX));
  }
  uint32_t UInt(int64_t lo, int64_t hi) { return static_cast<uint32_t>(Int(lo, hi)); }

  int64_t Seconds() {
    static constexpr int64_t kTable[16] = {600,   1,     60, 300, 900, 1800, 3600, 86400,
                                           86399, 86401, 0,  -1,  2,   59,   61,   7200};
    const uint8_t b = in_.Byte();
    if (b < 0x80) return kTable[b % 16];
    if (b < 0xC0) return static_cast<int64_t>(b - 0x80) * 60;
    if (b == 0xC0) return INT64_MIN;
    if (b == 0xC1) return INT64_MAX;
    return static_cast<int64_t>(in_.U64());
  }

  uint32_t Id(uint32_t count) {
    const uint8_t b = in_.Byte();
    if (b < 0xE0) return b % (count + 2);
    switch (b) {
      case 0xE0:
        return count + 1;
      case 0xE1:
        return 0;
      case 0xE2:
        return UINT32_MAX;
      case 0xE3:
        return 0x80000000u;
      default:
        if (b < 0xF0) return count;
        return in_.U32();
    }
  }

  int64_t SpecialTime(uint8_t b) {
    switch (b) {
      case 0xE0:
        return INT64_MIN;
      case 0xE1:
        return INT64_MAX;
      case 0xE2:
        return 0;
      case 0xE3:
        return -1;
      case 0xE4:
        return -2208988800;  // 1900-01-01 00:00
      case 0xE5:
        return -2208988801;  // before
      case 0xE6:
        return 7289654399;  // 2200-12-31 23:59:59
      case 0xE7:
        return 7289654400;  // after
      case 0xE8:
        return kT0;
      default:
        if (b < 0xF0) return now_;
        return static_cast<int64_t>(in_.U64());
    }
  }

  // "Now": mostly moves forward (minutes, hours, days), sometimes back.
  int64_t Time() {
    const uint8_t b = in_.Byte();
    if (b < 0x80) return now_ += static_cast<int64_t>(b) * 60;
    if (b < 0xC0) return now_ += static_cast<int64_t>(b - 0x80) * 3600;
    if (b < 0xD0) return now_ += static_cast<int64_t>(b - 0xC0) * 86400;
    if (b < 0xD8) return now_ - static_cast<int64_t>(b - 0xD0 + 1) * 3600;
    if (b < 0xE0) return now_ - static_cast<int64_t>(b - 0xD8 + 1) * 7 * 86400;
    return SpecialTime(b);
  }

  // An instant near now that does not move it: +-28 days in 6-hour steps.
  int64_t Instant() {
    const uint8_t b = in_.Byte();
    if (b < 0xE0) return now_ + (static_cast<int64_t>(b) - 0x70) * 6 * 3600;
    return SpecialTime(b);
  }

  int32_t Day() {
    const uint8_t b = in_.Byte();
    if (b < 0xE0) return kD0 + b - 32;
    switch (b) {
      case 0xE0:
        return VAXALLOC_DAY_MIN;
      case 0xE1:
        return VAXALLOC_DAY_MAX;
      case 0xE2:
        return VAXALLOC_DAY_MIN - 1;
      case 0xE3:
        return VAXALLOC_DAY_MAX + 1;
      case 0xE4:
        return INT32_MIN;
      case 0xE5:
        return INT32_MAX;
      case 0xE6:
        return static_cast<int32_t>(now_ / 86400);
      case 0xE7:
        return static_cast<int32_t>(in_.U32());
      default:
        return kD0 + (b - 0xE8) * 30;
    }
  }
  // The last day of a range from `first`: mostly 0..31 days on, sometimes before.
  int32_t DayAfter(int32_t first) {
    const uint8_t b = in_.Byte();
    const int64_t day = b < 0xC0   ? int64_t{first} + b % 32
                        : b < 0xD0 ? int64_t{first} - (b - 0xBF)
                                   : int64_t{Day()};
    return static_cast<int32_t>(std::clamp<int64_t>(day, INT32_MIN, INT32_MAX));
  }
  int32_t BirthDay() {
    const uint8_t b = in_.Byte();
    if (b < 0xE0) return kD0 - b * 170 - 1;
    switch (b) {
      case 0xE0:
        return VAXALLOC_DAY_MIN;
      case 0xE1:
        return VAXALLOC_DAY_MAX;
      case 0xE2:
        return VAXALLOC_DAY_MIN - 1;
      case 0xE3:
        return VAXALLOC_DAY_MAX + 1;
      case 0xE4:
        return kD0;
      default:
        return static_cast<int32_t>(in_.U32());
    }
  }
  int32_t Minute() {
    const uint8_t b = in_.Byte();
    if (b < 0xC0) return (b % 97) * 15;
    return Int32(0, 1440);
  }

  struct Text {
    std::string value;
    bool null = false;
    const char* get() const { return null ? nullptr : value.c_str(); }
  };
  Text Str(const char* prefix) {
    static constexpr size_t kLengths[12] = {0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1025};
    const uint8_t b = in_.Byte();
    Text text;
    if (b < 0x80) {
      text.value = std::string(prefix) + std::to_string(b % 8);
    } else if (b < 0xC0) {
      text.value = in_.Bytes(in_.Byte());
    } else if (b < 0xCC) {
      text.value.assign(kLengths[b - 0xC0], 'x');
    } else if (b == 0xCC) {
      text.null = true;
    } else if (b == 0xCD) {
      text.value = "\xff\xfe\xfd";
    } else if (b == 0xCE) {
      text.value =
          "a\x01"
          "b\tc";
    } else {
      text.value = std::string(prefix) + std::to_string(b - 0xCF + 8);
    }
    return text;
  }

  uint32_t Version(uint32_t current) {
    const uint8_t b = in_.Byte();
    if (b < 0xF0) return current;
    switch (b) {
      case 0xF0:
        return 0;
      case 0xF1:
        return current + 1;
      case 0xF2:
        return 1;
      case 0xF3:
        return 2;
      case 0xF4:
        return current > 1 ? current - 1 : 1;
      case 0xF5:
        return UINT32_MAX;
      default:
        return current;
    }
  }

  size_t Cap() {
    const uint8_t b = in_.Byte();
    if (b < 0x80) return b % 9;
    switch (b) {
      case 0x80:
        return 16;
      case 0x81:
        return 64;
      case 0x82:
        return 1000;
      default:
        return b % 33;
    }
  }

  uint64_t Seed() {
    const uint8_t b = in_.Byte();
    if (b < 0xF0) return b;
    if (b == 0xF0) return UINT64_MAX;
    return in_.U64();
  }

  // A caller buffer of exactly `capacity` elements on the heap (so that
  // AddressSanitizer sees a write past it); NULL for 0 when the input says.
  template <class T>
  struct Buffer {
    std::unique_ptr<T[]> data;
    size_t capacity = 0;
    T* get() const { return data.get(); }
  };
  template <class T>
  Buffer<T> Buf() {
    Buffer<T> buffer;
    buffer.capacity = Cap();
    if (buffer.capacity > 0 || (in_.Byte() & 1)) {
      buffer.data.reset(new T[std::max<size_t>(buffer.capacity, 1)]());
    }
    return buffer;
  }

  // --- Checks -----------------------------------------------------------------

  vaxalloc_counts Counts(vaxalloc_campaign* c) {
    vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
    const int rc = vaxalloc_counts_get(c, &counts);
    if (rc != VAXALLOC_OK)
      Trap("vaxalloc_counts_get: %s: %s", vaxalloc_errstr(rc), vaxalloc_last_error());
    return counts;
  }

  static void CheckInvariants(vaxalloc_campaign* c, const char* after) {
    uint64_t violations = 0;
    char* text = nullptr;
    const int rc = vaxalloc_check_invariants(c, &violations, &text);
    if (rc != VAXALLOC_OK) {
      Trap("vaxalloc_check_invariants after %s: %s: %s", after, vaxalloc_errstr(rc),
           vaxalloc_last_error());
    }
    if (violations != 0) {
      Trap("%" PRIu64 " invariant violation(s) after %s:\n%s", violations, after,
           text != nullptr ? text : "(no text)");
    }
    vaxalloc_free(text);
  }

  // Every call on the handle comes through here.
  enum Kind { kRead, kChange, kChangeEvenOnFailure, kBundleWrite };
  int Check(const char* what, int rc, Kind kind) {
    ++stats.calls;
    if (rc <= 0 && rc >= -15) ++stats.results[op_][static_cast<size_t>(-rc)];
    const std::string message = vaxalloc_last_error();
    if (Tracing()) {
      std::fprintf(stderr, "  [h%zu] %-26s -> %s%s%s\n", h_, what,
                   rc == 0 ? "ok" : vaxalloc_errstr(rc), message.empty() ? "" : ": ",
                   message.c_str());
    }
    if (!KnownResult(rc)) Trap("%s returned %d, not a vaxalloc_result", what, rc);
    if (rc == VAXALLOC_EINTERNAL) {
      if (!AllowInternal()) Trap("%s: VAXALLOC_EINTERNAL: %s", what, message.c_str());
      if (EnvFlag("FUZZ_LOG_EINTERNAL"))
        std::fprintf(stderr, "EINTERNAL %s: %s\n", what, message.c_str());
    }
    if (rc == VAXALLOC_ERROR && kind != kBundleWrite) {
      Trap("%s: VAXALLOC_ERROR: %s", what, message.c_str());
    }
    if (vaxalloc_last_error_code() != rc) {
      Trap("%s returned %d but vaxalloc_last_error_code() is %d", what, rc,
           vaxalloc_last_error_code());
    }
    if ((rc == VAXALLOC_OK) != message.empty()) {
      Trap("%s returned %s with the message \"%s\"", what, vaxalloc_errstr(rc), message.c_str());
    }
    if (vaxalloc_campaign_errcode(c_) != rc) {
      Trap("%s returned %d but vaxalloc_campaign_errcode() is %d", what, rc,
           vaxalloc_campaign_errcode(c_));
    }
    if (std::string(vaxalloc_campaign_errmsg(c_)) != message) {
      Trap("%s: vaxalloc_campaign_errmsg() differs from vaxalloc_last_error()", what);
    }
    const vaxalloc_counts after = Counts(c_);
    const bool changed = after.revision != before_.revision;
    if (changed) {
      if (kind == kRead) Trap("%s (a read) changed the revision", what);
      if (rc != VAXALLOC_OK && !(kind == kChangeEvenOnFailure && rc == VAXALLOC_EVERIFY)) {
        Trap("%s failed (%s: %s) but changed the revision %" PRIu64 " -> %" PRIu64, what,
             vaxalloc_errstr(rc), message.c_str(), before_.revision, after.revision);
      }
      if (h_ == 1 && read_only_second_) Trap("%s changed the campaign on a read-only handle", what);
    }
    // An unchanged revision is an unchanged campaign: checked before.
    if (changed) CheckInvariants(c_, what);
    before_ = after;
    return rc;
  }
  // A call that must be refused as VAXALLOC_EINVALID (a NULL pointer or handle).
  void CheckNull(const char* what, int rc) {
    ++stats.calls;
    if (Tracing()) std::fprintf(stderr, "  null %-26s -> %s\n", what, vaxalloc_errstr(rc));
    if (rc != VAXALLOC_EINVALID) {
      Trap("%s with a NULL argument returned %s (%s), not VAXALLOC_EINVALID", what,
           vaxalloc_errstr(rc), vaxalloc_last_error());
    }
    if (vaxalloc_last_error_code() != rc || vaxalloc_last_error()[0] == '\0') {
      Trap("%s with a NULL argument: last error not set", what);
    }
  }

  // --- Opening, the prelude, the end ------------------------------------------

  void Open(const std::string& path, bool read_only) {
    vaxalloc_open_options options = VAXALLOC_OPEN_OPTIONS_INIT;
    options.read_only = read_only ? 1 : 0;
    options.busy_timeout_ms = 0;
    vaxalloc_campaign* campaign = nullptr;
    const int rc = vaxalloc_campaign_open(path.c_str(), &options, &campaign);
    if (rc != VAXALLOC_OK) {
      Trap("opening %s: %s: %s", path.c_str(), vaxalloc_errstr(rc), vaxalloc_last_error());
    }
    handles_.push_back(campaign);
  }

  // The bytes of the template campaigns: 0 empty, 1 the prelude, 2 the
  // prelude with its draw. Made once per process through the C ABI.
  static void WriteTemplate(int kind, const std::string& path) {
    static std::string bytes[3];
    static bool made[3] = {false, false, false};
    if (!made[kind]) {
      const std::string file = ScratchDir() + "/template-" + std::to_string(kind) + ".sqlite";
      RemoveCampaignFiles(file);
      vaxalloc_campaign* c = nullptr;
      if (vaxalloc_campaign_open(file.c_str(), nullptr, &c) != VAXALLOC_OK) {
        Trap("creating the template %s: %s", file.c_str(), vaxalloc_last_error());
      }
      if (kind > 0) Prelude(c, kind == 2);
      vaxalloc_campaign_close(c);  // checkpoints: the whole campaign in one file
      FILE* in = std::fopen(file.c_str(), "rb");
      if (in == nullptr) Trap("cannot read %s", file.c_str());
      char buffer[65536];
      size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) bytes[kind].append(buffer, n);
      std::fclose(in);
      RemoveCampaignFiles(file);
      made[kind] = true;
    }
    FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr ||
        std::fwrite(bytes[kind].data(), 1, bytes[kind].size(), out) != bytes[kind].size()) {
      Trap("cannot write %s", path.c_str());
    }
    std::fclose(out);
  }

  // SetUpTown's campaign (fuzz_common.h); optionally a release and a first
  // draw.
  static void Prelude(vaxalloc_campaign* c, bool draw) {
    SetUpTown(c, "UTC");
    if (draw) {
      vaxalloc_release_spec release = VAXALLOC_RELEASE_SPEC_INIT;
      release.center = 1;
      release.vaccine = 1;
      release.first_day = kD0 + 4;
      release.last_day = kD0 + 5;
      release.release_at = kT0 + 3600;
      release.first_dose_cap = 3;
      MustSucceed("release", vaxalloc_release_add(c, &release, nullptr));
      vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
      request.seed_k0 = 0x5eed;
      request.at = kT0;
      request.first_dose_from = kD0;
      request.first_dose_until = kD0 + 6;
      request.series_limit = 4;
      MustSucceed("draw", vaxalloc_draw(c, &request, nullptr));
    }
    CheckInvariants(c, "the prelude");
  }

  struct Snapshot {
    vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
    vaxalloc_report report = VAXALLOC_REPORT_INIT;
    uint64_t journal_seq = 0;
  };
  Snapshot Take(vaxalloc_campaign* c) {
    Snapshot s;
    s.counts = Counts(c);
    int rc = vaxalloc_report_get(c, &s.report);
    if (rc != VAXALLOC_OK) Trap("vaxalloc_report_get at the end: %s", vaxalloc_last_error());
    rc = vaxalloc_journal_seq(c, &s.journal_seq);
    if (rc != VAXALLOC_OK) Trap("vaxalloc_journal_seq at the end: %s", vaxalloc_last_error());
    return s;
  }
  // The revision is left out: it counts one handle's changes in memory
  // (every Apply and Restore), and loading a file restores step by step.
  static bool Same(Snapshot a, Snapshot b) {
    a.counts.revision = b.counts.revision = 0;
    return std::memcmp(&a.counts, &b.counts, sizeof a.counts) == 0 &&
           std::memcmp(&a.report, &b.report, sizeof a.report) == 0 &&
           a.journal_seq == b.journal_seq;
  }
  void VerifyJournal(vaxalloc_campaign* c, const char* when) {
    vaxalloc_journal_check check = VAXALLOC_JOURNAL_CHECK_INIT;
    const int rc = vaxalloc_journal_verify(c, &check);
    if (rc != VAXALLOC_OK || check.first_bad_seq != 0) {
      Trap("journal does not verify %s: %s: %s (first bad entry %" PRIu64 ")", when,
           vaxalloc_errstr(rc), vaxalloc_last_error(), check.first_bad_seq);
    }
    uint64_t seq = 0;
    if (vaxalloc_journal_seq(c, &seq) != VAXALLOC_OK || seq != check.entries) {
      Trap("journal %s: %" PRIu64 " entries verified but the handle is at %" PRIu64, when,
           check.entries, seq);
    }
  }

  void Finish() {
    Snapshot first;
    for (size_t i = 0; i < handles_.size(); ++i) {
      VerifyJournal(handles_[i], "at the end");
      const Snapshot s = Take(handles_[i]);
      if (i == 0)
        first = s;
      else if (!Same(first, s))
        Trap("the two handles disagree at the end");
      CheckInvariants(handles_[i], "the last operation (end of input)");
    }
    for (vaxalloc_campaign* c : handles_) vaxalloc_campaign_close(c);
    handles_.clear();
    if (!file_mode_) {
      if (path_ != ":memory:") RemoveCampaignFiles(path_);
      return;
    }
    Open(path_, false);
    vaxalloc_campaign* c = handles_[0];
    const Snapshot reopened = Take(c);
    if (!Same(first, reopened)) {
      Trap("reopened campaign differs: revision %" PRIu64 " -> %" PRIu64
           ", registrants %u -> %u, "
           "series %u -> %u, journal %" PRIu64 " -> %" PRIu64,
           first.counts.revision, reopened.counts.revision, first.counts.registrants,
           reopened.counts.registrants, first.counts.series, reopened.counts.series,
           first.journal_seq, reopened.journal_seq);
    }
    CheckInvariants(c, "reopening");
    VerifyJournal(c, "after reopening");
    vaxalloc_campaign_close(c);
    handles_.clear();
    RemoveCampaignFiles(path_);
  }

  // --- The operations ---------------------------------------------------------

  void RunOp() {
    before_ = Counts(c_);
    const vaxalloc_counts& n = before_;
    switch (op_) {
      case kDistrictAdd: {
        const Text code = Str("d"), name = Str("District ");
        uint32_t id = 0;
        Check("district_add",
              vaxalloc_district_add(c_, code.get(), name.get(), in_.Byte() & 1 ? &id : nullptr),
              kChange);
        break;
      }
      case kVaccineAdd: {
        vaxalloc_vaccine_spec spec = VAXALLOC_VACCINE_SPEC_INIT;
        spec.version = Version(VAXALLOC_VACCINE_SPEC_VERSION);
        const Text code = Str("v"), name = Str("Vaccine ");
        spec.code = code.get();
        spec.name = name.get();
        spec.dose_count = Int32(1, 2);
        if (in_.Byte() & 1) {
          spec.interval_days_min = Int32(0, 100);
          spec.interval_days_target = Int32(0, 100);
          spec.interval_days_max = Int32(0, 100);
        }
        if (in_.Byte() & 1) {
          spec.age_years_min = Int32(0, 120);
          spec.age_years_max = Int32(0, 120);
        }
        uint32_t id = 0;
        Check("vaccine_add", vaxalloc_vaccine_add(c_, &spec, &id), kChange);
        break;
      }
      case kCenterAdd: {
        vaxalloc_center_spec spec = VAXALLOC_CENTER_SPEC_INIT;
        spec.version = Version(VAXALLOC_CENTER_SPEC_VERSION);
        const Text code = Str("c"), name = Str("Center ");
        spec.code = code.get();
        spec.name = name.get();
        const size_t count = static_cast<size_t>(Int(0, 4) & 7);
        std::vector<uint32_t> districts(count);
        for (uint32_t& d : districts) d = Id(n.districts);
        spec.districts = districts.empty() ? nullptr : districts.data();
        spec.district_count = count;
        if (count == 0 && (in_.Byte() & 1)) spec.district_count = 1;  // NULL with a count
        uint32_t id = 0;
        Check("center_add", vaxalloc_center_add(c_, &spec, &id), kChange);
        break;
      }
      case kCapacityAdd: {
        vaxalloc_capacity_block block = VAXALLOC_CAPACITY_BLOCK_INIT;
        block.version = Version(VAXALLOC_CAPACITY_BLOCK_VERSION);
        block.center = Id(n.centers);
        block.vaccine = Id(n.vaccines);
        block.first_day = Day();
        block.last_day = DayAfter(block.first_day);
        block.weekdays = in_.Byte();
        block.open_minute = Minute();
        block.close_minute = Minute();
        const uint8_t slot = in_.Byte();
        static constexpr int32_t kSlots[8] = {15, 30, 60, 5, 10, 20, 45, 120};
        block.slot_minutes = slot < 0xF0 ? kSlots[slot % 8] : Int32(0, 1440);
        block.seats_first = Int32(0, 6);
        block.seats_second = Int32(0, 6);
        Check("capacity_add", vaxalloc_capacity_add(c_, &block), kChange);
        break;
      }
      case kSupplyAdd: {
        vaxalloc_supply_delivery delivery = VAXALLOC_SUPPLY_DELIVERY_INIT;
        delivery.version = Version(VAXALLOC_SUPPLY_DELIVERY_VERSION);
        delivery.center = Id(n.centers);
        delivery.vaccine = Id(n.vaccines);
        delivery.day = Day();
        const uint8_t b = in_.Byte();
        delivery.doses = b < 0xF0    ? b % 64 + 1
                         : b == 0xF0 ? 10000000
                         : b == 0xF1 ? 10000001
                         : b == 0xF2 ? INT64_MAX
                         : b == 0xF3 ? INT64_MIN
                                     : static_cast<int64_t>(in_.U64());
        Check("supply_add", vaxalloc_supply_add(c_, &delivery), kChange);
        break;
      }
      case kPolicySet:
        PolicySet(n);
        break;
      case kRegister: {
        vaxalloc_registrant_spec spec = VAXALLOC_REGISTRANT_SPEC_INIT;
        Text ref;
        FillSpec(n, spec, ref);
        uint32_t id = 0;
        Check("register", vaxalloc_register(c_, &spec, in_.Byte() & 1 ? &id : nullptr), kChange);
        break;
      }
      case kRegisterBatch: {
        const size_t count = static_cast<size_t>(Int(0, 6) & 7);
        std::vector<vaxalloc_registrant_spec> specs(count);
        std::vector<Text> refs(count);
        std::vector<const vaxalloc_registrant_spec*> pointers(count);
        for (size_t i = 0; i < count; ++i) {
          specs[i] = VAXALLOC_REGISTRANT_SPEC_INIT;
          FillSpec(n, specs[i], refs[i]);
          pointers[i] = &specs[i];
        }
        const uint8_t b = in_.Byte();
        if (count > 0 && b >= 0xF0) pointers[b % count] = nullptr;
        std::vector<uint32_t> ids(count);
        Check("register_batch",
              vaxalloc_register_batch(
                  c_, count > 0 ? pointers.data() : (b & 1 ? nullptr : pointers.data()), count,
                  (b & 2) || count == 0 ? nullptr : ids.data()),
              kChange);
        break;
      }
      case kDraw: {
        vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
        std::vector<uint32_t> centers;
        FillDrawRequest(n, request, centers, false);
        vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
        info.version = Version(VAXALLOC_DRAW_INFO_VERSION);
        Check("draw", vaxalloc_draw(c_, &request, in_.Byte() & 1 ? &info : nullptr), kChange);
        break;
      }
      case kDrawCommit: {
        vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
        std::vector<uint32_t> centers;
        FillDrawRequest(n, request, centers, true);
        const Text beacon = Str("drand-round-");
        vaxalloc_draw_commitment commitment;
        vaxalloc_draw_commitment_init(&commitment, VAXALLOC_DRAW_COMMITMENT_VERSION);
        commitment.version = Version(VAXALLOC_DRAW_COMMITMENT_VERSION);
        Check("draw_commit",
              vaxalloc_draw_commit(c_, &request, beacon.get(),
                                   in_.Byte() & 1 ? &commitment : nullptr),
              kChange);
        break;
      }
      case kDrawReveal: {
        const uint32_t id = Id(n.draw_commitments);
        const uint8_t b = in_.Byte();
        std::string value =
            b < 0xF0 ? in_.Bytes(b % 48) : std::string(b == 0xF0 ? 1025 : 1024, 'v');
        vaxalloc_draw_info info = VAXALLOC_DRAW_INFO_INIT;
        info.version = Version(VAXALLOC_DRAW_INFO_VERSION);
        const int64_t at = Time();
        Check("draw_reveal",
              vaxalloc_draw_reveal(
                  c_, id, b == 0xF1 ? nullptr : reinterpret_cast<const uint8_t*>(value.data()),
                  value.size(), at, &info),
              kChange);
        break;
      }
      case kDrawAbandon: {
        const uint32_t id = Id(n.draw_commitments);
        const Text reason = Str("reason ");
        Check("draw_abandon", vaxalloc_draw_abandon(c_, id, reason.get(), Time()), kChange);
        break;
      }
      case kDrawBundle: {
        const uint32_t id = Id(n.draw_commitments);
        const uint8_t b = in_.Byte();
        if (b < 0x80) {
          size_t size = 0;
          int rc =
              Check("draw_bundle(size)", vaxalloc_draw_bundle(c_, id, nullptr, 0, &size), kRead);
          if (rc == VAXALLOC_EBUFFER || rc == VAXALLOC_OK) {
            const size_t capacity = b & 1 ? size : size - (size > 0 ? 1 : 0);
            std::unique_ptr<uint8_t[]> data(new uint8_t[std::max<size_t>(capacity, 1)]);
            size_t got = 0;
            rc = Check("draw_bundle", vaxalloc_draw_bundle(c_, id, data.get(), capacity, &got),
                       kRead);
            if (rc == VAXALLOC_OK && got != size)
              Trap("draw_bundle: size %zu, then %zu", size, got);
          }
        } else {
          const std::string dir = ScratchDir();
          const std::string paths[4] = {dir + "/bundle.vxb", dir + "/no-such-dir/bundle.vxb", "",
                                        dir};
          Check("draw_bundle_write", vaxalloc_draw_bundle_write(c_, id, paths[b % 4].c_str()),
                kBundleWrite);
          std::remove(paths[0].c_str());
        }
        break;
      }
      case kDrawFairness: {
        const uint32_t id = Id(n.draw_commitments);
        vaxalloc_draw_fairness fairness;
        vaxalloc_draw_fairness_init(&fairness, VAXALLOC_DRAW_FAIRNESS_VERSION);
        fairness.version = Version(VAXALLOC_DRAW_FAIRNESS_VERSION);
        Check("draw_check_fairness", vaxalloc_draw_check_fairness(c_, id, Int32(2, 100), &fairness),
              kRead);
        break;
      }
      case kSeriesCancel: {
        const uint32_t id = Id(n.series);
        Check("series_cancel", vaxalloc_series_cancel(c_, id, Time()), kChange);
        break;
      }
      case kWithdraw: {
        const uint32_t id = Id(n.registrants);
        Check("withdraw", vaxalloc_withdraw(c_, id, Time()), kChange);
        break;
      }
      case kRegistrantDelete: {
        const uint32_t id = Id(n.registrants);
        Check("registrant_delete", vaxalloc_registrant_delete(c_, id, Time()), kChange);
        break;
      }
      case kReleaseAdd: {
        vaxalloc_release_spec spec = VAXALLOC_RELEASE_SPEC_INIT;
        spec.version = Version(VAXALLOC_RELEASE_SPEC_VERSION);
        spec.center = Id(n.centers);
        spec.vaccine = in_.Byte() & 1 ? Id(n.vaccines) : 0;
        spec.first_day = Day();
        spec.last_day = DayAfter(spec.first_day);
        spec.release_at = Instant();
        spec.first_dose_cap = UInt(0, 8);
        uint32_t id = 0;
        Check("release_add", vaxalloc_release_add(c_, &spec, &id), kChange);
        break;
      }
      case kBook: {
        vaxalloc_booking_request request = VAXALLOC_BOOKING_REQUEST_INIT;
        request.version = Version(VAXALLOC_BOOKING_REQUEST_VERSION);
        request.registrant = Id(n.registrants);
        request.mode = Int32(0, 2);
        const uint8_t b = in_.Byte();
        if (b & 1) request.center = Id(n.centers);
        if (b & 2) request.vaccine = Id(n.vaccines);
        if (b & 4) request.first_dose_from = Day();
        if (b & 8)
          request.first_dose_until =
              DayAfter(request.first_dose_from == VAXALLOC_DAY_MIN ? kD0 : request.first_dose_from);
        request.confirm = (b & 16) ? 1 : 0;
        request.at = Time();
        vaxalloc_series series = VAXALLOC_SERIES_INIT;
        series.version = Version(VAXALLOC_SERIES_VERSION);
        Check("book", vaxalloc_book(c_, &request, (b & 32) ? nullptr : &series), kChange);
        break;
      }
      case kHoldConfirm: {
        const uint32_t id = Id(n.series);
        vaxalloc_series series = VAXALLOC_SERIES_INIT;
        series.version = Version(VAXALLOC_SERIES_VERSION);
        Check("hold_confirm", vaxalloc_hold_confirm(c_, id, Time(), &series), kChange);
        break;
      }
      case kHoldDecline: {
        const uint32_t id = Id(n.series);
        Check("hold_decline", vaxalloc_hold_decline(c_, id, Time()), kChange);
        break;
      }
      case kHoldsExpire: {
        uint32_t lapsed = 0;
        const int64_t at = Time();
        Check("holds_expire", vaxalloc_holds_expire(c_, at, in_.Byte() & 1 ? &lapsed : nullptr),
              kChange);
        break;
      }
      case kStandbyList: {
        const uint32_t center = Id(n.centers);
        const int64_t at = Time();
        Buffer<uint32_t> buffer = Buf<uint32_t>();
        size_t count = 0;
        Check("standby_list",
              vaxalloc_standby_list(c_, center, at, buffer.get(), buffer.capacity, &count), kRead);
        break;
      }
      case kCodeIssue: {
        vaxalloc_code_request request = VAXALLOC_CODE_REQUEST_INIT;
        request.version = Version(VAXALLOC_CODE_REQUEST_VERSION);
        request.registrant = Id(n.registrants);
        request.purpose = Int32(1, 2);
        const uint8_t b = in_.Byte();
        if (b < 0xC0) {
          // The registrant's own series, for a cancellation code.
          vaxalloc_registrant r = VAXALLOC_REGISTRANT_INIT;
          if (request.purpose == VAXALLOC_CODE_PURPOSE_CANCEL_SERIES &&
              vaxalloc_registrant_get(c_, request.registrant, &r) == VAXALLOC_OK) {
            request.series = r.series;
          }
        } else {
          request.series = Id(n.series);
        }
        request.at = Time();
        const uint8_t cap = in_.Byte();
        const size_t capacity = cap < 0xF0 ? VAXALLOC_VERIFICATION_CODE_SIZE : cap % 12;
        std::unique_ptr<char[]> digits(new char[std::max<size_t>(capacity, 1)]());
        uint32_t code_id = 0;
        const int rc = Check("code_issue",
                             vaxalloc_code_issue(c_, &request, &code_id,
                                                 cap == 0xFF ? nullptr : digits.get(), capacity),
                             kChange);
        if (rc == VAXALLOC_OK) {
          const size_t length = strnlen(digits.get(), capacity);
          if (length == capacity) Trap("code_issue: digits not NUL-terminated");
          digits_[code_id] = std::string(digits.get(), length);
        }
        break;
      }
      case kCodeVerify: {
        const uint32_t id = Id(n.codes);
        const uint8_t b = in_.Byte();
        Text entered;
        auto known = digits_.find(id);
        if (b < 0x80 && known != digits_.end()) {
          entered.value = known->second;  // right
        } else if (b < 0xC0 && known != digits_.end()) {
          entered.value = known->second;  // wrong in one digit
          if (!entered.value.empty()) {
            char& d = entered.value[b % entered.value.size()];
            d = static_cast<char>('0' + (d - '0' + 1 + b % 9) % 10);
          }
        } else if (b < 0xC0) {
          entered.value = "000000";  // no digits known for that id
        } else {
          entered = Str("");
        }
        int32_t outcome = -1;
        const int64_t at = Time();
        const int rc =
            Check("code_verify",
                  vaxalloc_code_verify(c_, id, entered.get(), at, (b & 1) ? nullptr : &outcome),
                  kChangeEvenOnFailure);
        if (rc == VAXALLOC_OK && !(b & 1) && outcome != VAXALLOC_CODE_OUTCOME_ACCEPTED) {
          Trap("code_verify: OK with outcome %d", outcome);
        }
        break;
      }
      case kDoseRecord: {
        const uint32_t id = Id(n.series);
        const int32_t dose = Int32(1, 2);
        const int32_t outcome = Int32(1, 2);
        const uint8_t b = in_.Byte();
        int64_t at = 0;
        vaxalloc_series s = VAXALLOC_SERIES_INIT;
        if (b < 0x80 && dose >= 1 && dose <= 2 && vaxalloc_series_get(c_, id, &s) == VAXALLOC_OK) {
          // At (or just after) the appointment: the usual case.
          at = InstantOf(s.appointments[dose - 1].day, s.appointments[dose - 1].minute) +
               (b % 4) * 600;
          now_ = std::max(now_, at);
        } else {
          at = Time();
        }
        vaxalloc_series out = VAXALLOC_SERIES_INIT;
        out.version = Version(VAXALLOC_SERIES_VERSION);
        Check("dose_record",
              vaxalloc_dose_record(c_, id, dose, outcome, at, (b & 0x40) ? nullptr : &out),
              kChange);
        break;
      }
      case kSecondDoseRebook: {
        const uint32_t id = Id(n.series);
        vaxalloc_series out = VAXALLOC_SERIES_INIT;
        out.version = Version(VAXALLOC_SERIES_VERSION);
        Check("second_dose_rebook", vaxalloc_second_dose_rebook(c_, id, Time(), &out), kChange);
        break;
      }
      case kAttendance: {
        const uint32_t center = Id(n.centers);
        const int32_t from = Day();
        const int32_t until = DayAfter(from);
        Buffer<vaxalloc_day_attendance> buffer = Buf<vaxalloc_day_attendance>();
        size_t count = 0;
        Check("attendance",
              vaxalloc_attendance(c_, center, from, until, buffer.get(), buffer.capacity, &count),
              kRead);
        break;
      }
      case kPendingEvents: {
        const uint8_t b = in_.Byte();
        const uint64_t after = b < 0x80 ? b % 16 : b < 0xF0 ? last_event_ : in_.U64();
        const uint8_t cb = in_.Byte();
        const size_t capacity = cb < 0xF0    ? cb % 17
                                : cb == 0xF0 ? VAXALLOC_EVENTS_PER_READ_MAX
                                : cb == 0xF1 ? VAXALLOC_EVENTS_PER_READ_MAX + 1
                                             : 0;
        size_t count = 0;
        if (b & 1) {
          std::unique_ptr<vaxalloc_event_v2[]> out(
              new vaxalloc_event_v2[std::max<size_t>(capacity, 1)]);
          const int rc =
              Check("pending_events_v2",
                    vaxalloc_pending_events_v2(c_, after, out.get(), capacity, &count), kRead);
          if (rc == VAXALLOC_OK && count > capacity)
            Trap("pending_events_v2: %zu > %zu", count, capacity);
          if (rc == VAXALLOC_OK && count > 0) last_event_ = out[count - 1].id;
        } else {
          std::unique_ptr<vaxalloc_event[]> out(new vaxalloc_event[std::max<size_t>(capacity, 1)]);
          const int rc =
              Check("pending_events",
                    vaxalloc_pending_events(c_, after, out.get(), capacity, &count), kRead);
          if (rc == VAXALLOC_OK && count > capacity)
            Trap("pending_events: %zu > %zu", count, capacity);
          if (rc == VAXALLOC_OK && count > 0) last_event_ = out[count - 1].id;
        }
        break;
      }
      case kAcknowledge: {
        const uint8_t b = in_.Byte();
        const uint64_t through = b < 0x80    ? last_event_
                                 : b < 0xF0  ? b % 32
                                 : b == 0xF0 ? UINT64_MAX
                                             : in_.U64();
        // No change of the campaign (no journal entry): a read for the revision.
        Check("acknowledge_events", vaxalloc_acknowledge_events(c_, through), kRead);
        break;
      }
      case kGet:
        Get(n);
        break;
      case kFind: {
        const uint8_t which = in_.Byte() % 4;
        const Text key = Str(which == 0 ? "d" : which == 1 ? "v" : which == 2 ? "c" : "r");
        uint32_t id = 0;
        switch (which) {
          case 0:
            Check("district_find", vaxalloc_district_find(c_, key.get(), &id), kRead);
            break;
          case 1:
            Check("vaccine_find", vaxalloc_vaccine_find(c_, key.get(), &id), kRead);
            break;
          case 2:
            Check("center_find", vaxalloc_center_find(c_, key.get(), &id), kRead);
            break;
          default:
            Check("registrant_find", vaxalloc_registrant_find(c_, key.get(), &id), kRead);
            break;
        }
        break;
      }
      case kLists: {
        const uint8_t which = in_.Byte() % 4;
        const uint32_t id = Id(which == 0 ? n.centers : which == 3 ? n.draw_commitments : n.draws);
        Buffer<uint32_t> buffer = Buf<uint32_t>();
        size_t count = 0;
        int rc = 0;
        switch (which) {
          case 0:
            rc = Check("center_districts",
                       vaxalloc_center_districts(c_, id, buffer.get(), buffer.capacity, &count),
                       kRead);
            break;
          case 1:
            rc = Check("draw_series",
                       vaxalloc_draw_series(c_, id, buffer.get(), buffer.capacity, &count), kRead);
            break;
          case 2:
            rc = Check("draw_centers",
                       vaxalloc_draw_centers(c_, id, buffer.get(), buffer.capacity, &count), kRead);
            break;
          default:
            rc = Check(
                "draw_commitment_centers",
                vaxalloc_draw_commitment_centers(c_, id, buffer.get(), buffer.capacity, &count),
                kRead);
            break;
        }
        if (rc == VAXALLOC_OK && count > buffer.capacity)
          Trap("a list wrote %zu > %zu", count, buffer.capacity);
        break;
      }
      case kPolicyGet: {
        const uint8_t which = in_.Byte() % 5;
        const uint32_t version = Id(n.policy_version);
        size_t count = 0;
        switch (which) {
          case 0: {
            vaxalloc_policy_info info = VAXALLOC_POLICY_INFO_INIT;
            info.version = Version(VAXALLOC_POLICY_INFO_VERSION);
            Check("policy_get", vaxalloc_policy_get(c_, version, &info), kRead);
            break;
          }
          case 1: {
            Buffer<vaxalloc_tier_rule> buffer = Buf<vaxalloc_tier_rule>();
            Check("policy_tier_rules",
                  vaxalloc_policy_tier_rules(c_, version, buffer.get(), buffer.capacity, &count),
                  kRead);
            break;
          }
          case 2: {
            Buffer<vaxalloc_reserve> buffer = Buf<vaxalloc_reserve>();
            Check("policy_reserves",
                  vaxalloc_policy_reserves(c_, version, buffer.get(), buffer.capacity, &count),
                  kRead);
            break;
          }
          case 3: {
            Buffer<vaxalloc_neighbour_pair> buffer = Buf<vaxalloc_neighbour_pair>();
            Check("policy_neighbours",
                  vaxalloc_policy_neighbours(c_, version, buffer.get(), buffer.capacity, &count),
                  kRead);
            break;
          }
          default: {
            int32_t tier = 0;
            Check("tier_of", vaxalloc_tier_of(c_, Id(n.registrants), version, &tier), kRead);
            break;
          }
        }
        break;
      }
      case kSlots: {
        const uint8_t which = in_.Byte() % 4;
        const uint32_t center = Id(n.centers), vaccine = Id(n.vaccines);
        const int32_t day = Day();
        size_t count = 0;
        switch (which) {
          case 0: {
            Buffer<vaxalloc_slot> buffer = Buf<vaxalloc_slot>();
            Check("slots",
                  vaxalloc_slots(c_, center, vaccine, day, buffer.get(), buffer.capacity, &count),
                  kRead);
            break;
          }
          case 1: {
            Buffer<vaxalloc_slot_v2> buffer = Buf<vaxalloc_slot_v2>();
            Check(
                "slots_v2",
                vaxalloc_slots_v2(c_, center, vaccine, day, buffer.get(), buffer.capacity, &count),
                kRead);
            break;
          }
          case 2: {
            int64_t doses = 0;
            Check("doses_available", vaxalloc_doses_available(c_, center, vaccine, day, &doses),
                  kRead);
            break;
          }
          default: {
            Buffer<vaxalloc_second_dose_shortfall> buffer = Buf<vaxalloc_second_dose_shortfall>();
            Check("second_dose_shortfalls",
                  vaxalloc_second_dose_shortfalls(c_, buffer.get(), buffer.capacity, &count),
                  kRead);
            break;
          }
        }
        break;
      }
      case kReports: {
        const uint8_t which = in_.Byte() % 5;
        switch (which) {
          case 0: {
            vaxalloc_report report = VAXALLOC_REPORT_INIT;
            report.version = Version(VAXALLOC_REPORT_VERSION);
            Check("report_get", vaxalloc_report_get(c_, &report), kRead);
            break;
          }
          case 1: {
            Buffer<vaxalloc_center_report> buffer = Buf<vaxalloc_center_report>();
            size_t count = 0;
            Check("report_centers",
                  vaxalloc_report_centers(c_, buffer.get(), buffer.capacity, &count), kRead);
            break;
          }
          case 2: {
            vaxalloc_wait_forecast forecast = VAXALLOC_WAIT_FORECAST_INIT;
            forecast.version = Version(VAXALLOC_WAIT_FORECAST_VERSION);
            Check("forecast_wait", vaxalloc_forecast_wait(c_, Time(), &forecast), kRead);
            break;
          }
          case 3: {
            vaxalloc_counts counts = VAXALLOC_COUNTS_INIT;
            counts.version = Version(VAXALLOC_COUNTS_VERSION);
            Check("counts_get", vaxalloc_counts_get(c_, &counts), kRead);
            break;
          }
          default: {
            int64_t at = 0;
            Check("latest_change", vaxalloc_latest_change(c_, &at), kRead);
            break;
          }
        }
        break;
      }
      case kJournal: {
        const uint8_t which = in_.Byte() % 4;
        switch (which) {
          case 0: {
            uint64_t seq = 0;
            Check("journal_seq", vaxalloc_journal_seq(c_, &seq), kRead);
            break;
          }
          case 1: {
            vaxalloc_journal_check check = VAXALLOC_JOURNAL_CHECK_INIT;
            check.version = Version(VAXALLOC_JOURNAL_CHECK_VERSION);
            const int rc = Check("journal_verify", vaxalloc_journal_verify(c_, &check), kRead);
            if (rc == VAXALLOC_ECORRUPT)
              Trap("journal_verify: the journal is broken: %s", vaxalloc_last_error());
            break;
          }
          case 2: {
            vaxalloc_journal_entry entry = VAXALLOC_JOURNAL_ENTRY_INIT;
            entry.version = Version(VAXALLOC_JOURNAL_ENTRY_VERSION);
            const uint8_t b = in_.Byte();
            const uint64_t seq = b < 0xF0 ? b : b == 0xF0 ? UINT64_MAX : in_.U64();
            const int rc =
                Check("journal_entry_get", vaxalloc_journal_entry_get(c_, seq, &entry), kRead);
            if (rc == VAXALLOC_OK && entry.version == VAXALLOC_JOURNAL_ENTRY_VERSION) {
              // Touch the borrowed bytes (AddressSanitizer checks them).
              volatile size_t sum = std::strlen(entry.op_name);
              for (size_t i = 0; i < entry.args_size; ++i) sum = sum + entry.args[i];
              (void)sum;
            }
            break;
          }
          default:
            Check("campaign_refresh", vaxalloc_campaign_refresh(c_), kRead);
            break;
        }
        break;
      }
      case kNoHandle:
        NoHandle();
        break;
      case kNullArgs:
        NullArgs();
        break;
      case kAdvance:
        (void)Time();
        break;
      case kOpCount:
        break;
    }
  }

  void FillSpec(const vaxalloc_counts& n, vaxalloc_registrant_spec& spec, Text& ref) {
    spec.version = Version(VAXALLOC_REGISTRANT_SPEC_VERSION);
    ref = Str("r");
    spec.external_ref = ref.get();
    spec.district = Id(n.districts);
    spec.birth_day = BirthDay();
    spec.group = Int32(1, 4);
    spec.channel = Int32(0, 1);
    spec.registered_at = Instant();
    const uint8_t b = in_.Byte();
    spec.vaccine_preference = b & 1 ? Id(n.vaccines) : 0;
    spec.standby = (b & 2) ? 1 : 0;
  }

  void FillDrawRequest(const vaxalloc_counts& n, vaxalloc_draw_request& request,
                       std::vector<uint32_t>& centers, bool committed) {
    request.version = Version(VAXALLOC_DRAW_REQUEST_VERSION);
    const uint8_t b = in_.Byte();
    if (!committed || b >= 0xF0) {
      request.seed_k0 = Seed();
      request.seed_k1 = Seed();
    }
    request.at = Time();
    request.first_dose_from = Day();
    request.first_dose_until = DayAfter(request.first_dose_from);
    const size_t count = b & 3;
    centers.resize(count);
    for (uint32_t& center : centers) center = Id(n.centers);
    request.centers = centers.empty() ? nullptr : centers.data();
    request.center_count = count == 0 && (b & 4) ? 2 : count;  // NULL with a count
    request.series_limit = UInt(0, 8);
  }

  void PolicySet(const vaxalloc_counts& n) {
    vaxalloc_policy policy = VAXALLOC_POLICY_INIT;
    policy.version = Version(VAXALLOC_POLICY_VERSION);
    const uint8_t shape = in_.Byte();
    std::vector<vaxalloc_tier_rule> rules(static_cast<size_t>(shape & 3));
    for (vaxalloc_tier_rule& rule : rules) {
      rule.registered_before = Instant();
      for (uint8_t& tier : rule.tier_by_group) tier = static_cast<uint8_t>(Int(1, 8));
    }
    std::vector<vaxalloc_reserve> reserves(static_cast<size_t>((shape >> 2) & 3) +
                                           ((shape & 0xF0) == 0xF0 ? 7 : 0));
    for (vaxalloc_reserve& reserve : reserves) {
      const Text name = Str("reserve ");
      const uint8_t b = in_.Byte();
      if (b == 0xFF) {
        std::memset(reserve.name, 'x', sizeof reserve.name);  // not NUL-terminated
      } else {
        std::snprintf(reserve.name, sizeof reserve.name, "%s", name.null ? "" : name.value.c_str());
      }
      reserve.share_permille = Int32(0, 1000);
      reserve.age_years_min = Int32(0, 120);
      reserve.group_mask = in_.Byte();
      reserve.vaccine = b & 1 ? Id(n.vaccines) : 0;
    }
    std::vector<vaxalloc_neighbour_pair> neighbours(static_cast<size_t>((shape >> 4) & 3));
    for (vaxalloc_neighbour_pair& pair : neighbours) {
      pair.district_a = Id(n.districts);
      pair.district_b = Id(n.districts);
    }
    policy.tier_rules = rules.empty() ? nullptr : rules.data();
    policy.tier_rule_count = rules.size();
    policy.reserves = reserves.empty() ? nullptr : reserves.data();
    policy.reserve_count = reserves.size();
    policy.neighbours = neighbours.empty() ? nullptr : neighbours.data();
    policy.neighbour_count = neighbours.size();
    if ((shape & 0xC0) == 0xC0 && rules.empty()) policy.tier_rule_count = 1;  // NULL with a count
    policy.residence = Int32(0, 1);
    static const char* const kZones[6] = {
        nullptr, "UTC", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Not/AZone"};
    const uint8_t zone = in_.Byte();
    Text zone_text;
    if (zone < 0xC0) {
      policy.time_zone = kZones[zone % 6];
    } else {
      zone_text = Str("Europe/");
      policy.time_zone = zone_text.get();
    }
    const uint8_t fields = in_.Byte();
    if (fields & 1) policy.hold_seconds = Seconds();
    if (fields & 2) policy.short_notice_days = Int32(0, 60);
    if (fields & 4) policy.standby_hold_seconds = Seconds();
    if (fields & 8) {
      policy.code_digits = Int32(4, 10);
      policy.code_attempts = Int32(1, 10);
      policy.code_lifetime_seconds = Seconds();
    }
    if (fields & 16) {
      policy.draw_lead_days_online = Int32(0, 60);
      policy.draw_lead_days_phone = Int32(0, 60);
    }
    if (fields & 32) policy.overbook_permille = Int32(0, 500);
    uint32_t version = 0;
    Check("policy_set", vaxalloc_policy_set(c_, &policy, (fields & 64) ? nullptr : &version),
          kChange);
  }

  void Get(const vaxalloc_counts& n) {
    const uint8_t which = in_.Byte() % 11;
    switch (which) {
      case 0: {
        vaxalloc_district out = VAXALLOC_DISTRICT_INIT;
        out.version = Version(VAXALLOC_DISTRICT_VERSION);
        Check("district_get", vaxalloc_district_get(c_, Id(n.districts), &out), kRead);
        break;
      }
      case 1: {
        vaxalloc_vaccine out = VAXALLOC_VACCINE_INIT;
        out.version = Version(VAXALLOC_VACCINE_VERSION);
        Check("vaccine_get", vaxalloc_vaccine_get(c_, Id(n.vaccines), &out), kRead);
        break;
      }
      case 2: {
        vaxalloc_center out = VAXALLOC_CENTER_INIT;
        out.version = Version(VAXALLOC_CENTER_VERSION);
        Check("center_get", vaxalloc_center_get(c_, Id(n.centers), &out), kRead);
        break;
      }
      case 3: {
        vaxalloc_registrant out = VAXALLOC_REGISTRANT_INIT;
        out.version = Version(VAXALLOC_REGISTRANT_VERSION);
        Check("registrant_get", vaxalloc_registrant_get(c_, Id(n.registrants), &out), kRead);
        break;
      }
      case 4: {
        vaxalloc_series out = VAXALLOC_SERIES_INIT;
        out.version = Version(VAXALLOC_SERIES_VERSION);
        Check("series_get", vaxalloc_series_get(c_, Id(n.series), &out), kRead);
        break;
      }
      case 5: {
        vaxalloc_draw_info out = VAXALLOC_DRAW_INFO_INIT;
        out.version = Version(VAXALLOC_DRAW_INFO_VERSION);
        Check("draw_get", vaxalloc_draw_get(c_, Id(n.draws), &out), kRead);
        break;
      }
      case 6: {
        vaxalloc_release out = VAXALLOC_RELEASE_INIT;
        out.version = Version(VAXALLOC_RELEASE_VERSION);
        Check("release_get", vaxalloc_release_get(c_, Id(n.releases), &out), kRead);
        break;
      }
      case 7: {
        vaxalloc_code out = VAXALLOC_CODE_INIT;
        out.version = Version(VAXALLOC_CODE_VERSION);
        Check("code_get", vaxalloc_code_get(c_, Id(n.codes), &out), kRead);
        break;
      }
      case 8: {
        vaxalloc_draw_commitment out;
        vaxalloc_draw_commitment_init(&out, VAXALLOC_DRAW_COMMITMENT_VERSION);
        out.version = Version(VAXALLOC_DRAW_COMMITMENT_VERSION);
        Check("draw_commitment_get", vaxalloc_draw_commitment_get(c_, Id(n.draw_commitments), &out),
              kRead);
        break;
      }
      case 9: {
        vaxalloc_capacity_block out = VAXALLOC_CAPACITY_BLOCK_INIT;
        out.version = Version(VAXALLOC_CAPACITY_BLOCK_VERSION);
        const uint8_t b = in_.Byte();
        const uint64_t index = b < 0xF0    ? b % (n.capacity_blocks + 2)
                               : b == 0xF0 ? UINT64_MAX
                                           : in_.U64();
        Check("capacity_get", vaxalloc_capacity_get(c_, index, &out), kRead);
        break;
      }
      default: {
        vaxalloc_supply_delivery out = VAXALLOC_SUPPLY_DELIVERY_INIT;
        out.version = Version(VAXALLOC_SUPPLY_DELIVERY_VERSION);
        const uint8_t b = in_.Byte();
        const uint64_t index = b < 0xF0    ? b % (n.deliveries + 2)
                               : b == 0xF0 ? UINT64_MAX
                                           : in_.U64();
        Check("supply_get", vaxalloc_supply_get(c_, index, &out), kRead);
        break;
      }
    }
  }

  // The functions without a handle: never a crash, the documented codes.
  void NoHandle() {
    const uint8_t which = in_.Byte() % 8;
    int rc = 0;
    switch (which) {
      case 0: {
        int32_t day = 0;
        const int32_t y = Int32(1900, 2200), m = Int32(0, 13), d = Int32(0, 32);
        rc = vaxalloc_day_from_ymd(y, m, d, &day);
        if (rc == VAXALLOC_OK) {
          int32_t y2 = 0, m2 = 0, d2 = 0;
          if (vaxalloc_day_to_ymd(day, &y2, &m2, &d2) != VAXALLOC_OK || y2 != y || m2 != m ||
              d2 != d) {
            Trap("day_from_ymd(%d, %d, %d) = %d does not round-trip", y, m, d, day);
          }
        }
        break;
      }
      case 1: {
        int32_t y = 0, m = 0, d = 0;
        rc = vaxalloc_day_to_ymd(static_cast<int32_t>(in_.U32()), &y, &m, &d);
        break;
      }
      case 2: {
        const uint64_t k0 = Seed(), k1 = Seed();
        const size_t size = in_.Byte() % 40;
        std::unique_ptr<char[]> out(new char[std::max<size_t>(size, 1)]);
        rc = vaxalloc_seed_format(k0, k1, out.get(), size);
        if (rc == VAXALLOC_OK) {
          uint64_t p0 = 0, p1 = 0;
          if (vaxalloc_seed_parse(out.get(), &p0, &p1) != VAXALLOC_OK || p0 != k0 || p1 != k1) {
            Trap("seed_format/seed_parse do not round-trip");
          }
        }
        break;
      }
      case 3: {
        const Text text = Str("");
        uint64_t k0 = 0, k1 = 0;
        rc = vaxalloc_seed_parse(text.get(), &k0, &k1);
        break;
      }
      case 4: {
        const uint64_t k0 = Seed(), k1 = Seed();
        const Text ref = Str("r");
        uint64_t number = 0;
        rc = vaxalloc_lottery_number(k0, k1, ref.get(), &number);
        break;
      }
      case 5: {
        const char* s = vaxalloc_errstr(Int32(-16, 1));
        if (s == nullptr) Trap("vaxalloc_errstr returned NULL");
        if (vaxalloc_version_number() != VAXALLOC_VERSION_NUMBER) Trap("version number");
        return;
      }
      case 6: {
        // Every *_init with a version from the input.
        const uint32_t v = Version(1);
        union {
          vaxalloc_open_options a;
          vaxalloc_vaccine_spec b;
          vaxalloc_center_spec c;
          vaxalloc_capacity_block d;
          vaxalloc_supply_delivery e;
          vaxalloc_policy f;
          vaxalloc_policy_info g;
          vaxalloc_registrant_spec h;
          vaxalloc_registrant i;
          vaxalloc_draw_request j;
          vaxalloc_draw_info k;
          vaxalloc_draw_commitment l;
          vaxalloc_draw_fairness m;
          vaxalloc_series n;
          vaxalloc_release_spec o;
          vaxalloc_release p;
          vaxalloc_booking_request q;
          vaxalloc_code_request r;
          vaxalloc_code s;
          vaxalloc_counts t;
          vaxalloc_report u;
          vaxalloc_wait_forecast w;
          vaxalloc_journal_check x;
          vaxalloc_journal_entry y;
          vaxalloc_district z;
          vaxalloc_vaccine aa;
          vaxalloc_center bb;
        } any;
        switch (in_.Byte() % 27) {
          case 0:
            rc = vaxalloc_open_options_init(&any.a, v);
            break;
          case 1:
            rc = vaxalloc_vaccine_spec_init(&any.b, v);
            break;
          case 2:
            rc = vaxalloc_center_spec_init(&any.c, v);
            break;
          case 3:
            rc = vaxalloc_capacity_block_init(&any.d, v);
            break;
          case 4:
            rc = vaxalloc_supply_delivery_init(&any.e, v);
            break;
          case 5:
            rc = vaxalloc_policy_init(&any.f, v);
            break;
          case 6:
            rc = vaxalloc_policy_info_init(&any.g, v);
            break;
          case 7:
            rc = vaxalloc_registrant_spec_init(&any.h, v);
            break;
          case 8:
            rc = vaxalloc_registrant_init(&any.i, v);
            break;
          case 9:
            rc = vaxalloc_draw_request_init(&any.j, v);
            break;
          case 10:
            rc = vaxalloc_draw_info_init(&any.k, v);
            break;
          case 11:
            rc = vaxalloc_draw_commitment_init(&any.l, v);
            break;
          case 12:
            rc = vaxalloc_draw_fairness_init(&any.m, v);
            break;
          case 13:
            rc = vaxalloc_series_init(&any.n, v);
            break;
          case 14:
            rc = vaxalloc_release_spec_init(&any.o, v);
            break;
          case 15:
            rc = vaxalloc_release_init(&any.p, v);
            break;
          case 16:
            rc = vaxalloc_booking_request_init(&any.q, v);
            break;
          case 17:
            rc = vaxalloc_code_request_init(&any.r, v);
            break;
          case 18:
            rc = vaxalloc_code_init(&any.s, v);
            break;
          case 19:
            rc = vaxalloc_counts_init(&any.t, v);
            break;
          case 20:
            rc = vaxalloc_report_init(&any.u, v);
            break;
          case 21:
            rc = vaxalloc_wait_forecast_init(&any.w, v);
            break;
          case 22:
            rc = vaxalloc_journal_check_init(&any.x, v);
            break;
          case 23:
            rc = vaxalloc_journal_entry_init(&any.y, v);
            break;
          case 24:
            rc = vaxalloc_district_init(&any.z, v);
            break;
          case 25:
            rc = vaxalloc_vaccine_init(&any.aa, v);
            break;
          default:
            rc = vaxalloc_center_init(&any.bb, v);
            break;
        }
        if (v == 0 && rc != VAXALLOC_EVERSION) Trap("an *_init with version 0 returned %d", rc);
        break;
      }
      default: {
        if (vaxalloc_campaign_path(c_) == nullptr) Trap("vaxalloc_campaign_path returned NULL");
        if (vaxalloc_campaign_path(nullptr) != nullptr)
          Trap("vaxalloc_campaign_path(NULL) not NULL");
        (void)vaxalloc_campaign_errmsg(nullptr);
        vaxalloc_campaign_close(nullptr);
        vaxalloc_free(nullptr);
        return;
      }
    }
    ++stats.calls;
    if (!KnownResult(rc) || rc == VAXALLOC_EINTERNAL || rc == VAXALLOC_ERROR) {
      Trap("a function without a handle (%d) returned %d: %s", which, rc, vaxalloc_last_error());
    }
  }

  // A NULL handle or NULL required pointer: VAXALLOC_EINVALID, nothing else.
  void NullArgs() {
    const uint8_t which = in_.Byte() % 24;
    vaxalloc_campaign* c = (in_.Byte() & 1) ? nullptr : c_;
    const bool null_handle = c == nullptr;
    uint32_t id = 0;
    size_t count = 0;
    vaxalloc_series series = VAXALLOC_SERIES_INIT;
    vaxalloc_draw_request request = VAXALLOC_DRAW_REQUEST_INIT;
    request.at = now_;
    request.first_dose_from = request.first_dose_until = kD0;
    const vaxalloc_draw_request* request_arg = null_handle ? &request : nullptr;
    switch (which) {
      case 0:
        CheckNull("district_add", vaxalloc_district_add(c, null_handle ? "x" : nullptr, "n", &id));
        break;
      case 1:
        CheckNull("district_add(name)", vaxalloc_district_add(c, "x", nullptr, &id));
        break;
      case 2:
        CheckNull("vaccine_add", vaxalloc_vaccine_add(c, nullptr, &id));
        break;
      case 3:
        CheckNull("center_add", vaxalloc_center_add(c, nullptr, &id));
        break;
      case 4:
        CheckNull("capacity_add", vaxalloc_capacity_add(c, nullptr));
        break;
      case 5:
        CheckNull("supply_add", vaxalloc_supply_add(c, nullptr));
        break;
      case 6:
        CheckNull("policy_set", vaxalloc_policy_set(c, nullptr, nullptr));
        break;
      case 7:
        CheckNull("register", vaxalloc_register(c, nullptr, &id));
        break;
      case 8:
        CheckNull("draw", vaxalloc_draw(c, request_arg, nullptr));
        break;
      case 9:
        CheckNull("draw_commit",
                  vaxalloc_draw_commit(c, &request, null_handle ? "b" : nullptr, nullptr));
        break;
      case 10:
        CheckNull("book", vaxalloc_book(c, nullptr, &series));
        break;
      case 11:
        CheckNull("code_issue", vaxalloc_code_issue(c, nullptr, &id, nullptr, 0));
        break;
      case 12:
        CheckNull("code_verify",
                  vaxalloc_code_verify(c, 1, null_handle ? "123456" : nullptr, now_, nullptr));
        break;
      case 13:
        CheckNull("registrant_get", vaxalloc_registrant_get(c, 1, nullptr));
        break;
      case 14:
        CheckNull("series_get", vaxalloc_series_get(c, 1, nullptr));
        break;
      case 15:
        CheckNull("counts_get", vaxalloc_counts_get(c, nullptr));
        break;
      case 16:
        CheckNull("report_get", vaxalloc_report_get(c, nullptr));
        break;
      case 17:
        CheckNull("slots(count)", vaxalloc_slots(c, 1, 1, kD0, nullptr, 0, nullptr));
        break;
      case 18:
        CheckNull("pending_events", vaxalloc_pending_events(c, 0, nullptr, 1, &count));
        break;
      case 19:
        CheckNull("journal_seq", vaxalloc_journal_seq(c, nullptr));
        break;
      case 20:
        CheckNull("check_invariants(handle)", vaxalloc_check_invariants(nullptr, nullptr, nullptr));
        break;
      case 21:
        CheckNull("standby_list", vaxalloc_standby_list(c, 1, now_, nullptr, 4, &count));
        break;
      case 22:
        CheckNull("registrant_find", vaxalloc_registrant_find(c, nullptr, &id));
        break;
      default:
        CheckNull("campaign_open", vaxalloc_campaign_open(nullptr, nullptr, &c));
        break;
    }
    // Nothing changed (the handle's own message is not looked at: a NULL-handle
    // call cannot set it).
    if (Counts(c_).revision != before_.revision)
      Trap("a call with a NULL argument changed the campaign");
  }

  Reader in_;
  std::vector<vaxalloc_campaign*> handles_;
  vaxalloc_campaign* c_ = nullptr;
  size_t h_ = 0;
  Op op_ = kDistrictAdd;
  bool file_mode_ = false;
  bool read_only_second_ = false;
  std::string path_;
  int64_t now_ = kT0;
  uint64_t last_event_ = 0;
  vaxalloc_counts before_ = VAXALLOC_COUNTS_INIT;
  std::map<uint32_t, std::string> digits_;  // code id -> the digits issued
};

}  // namespace
}  // namespace vaxfuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vaxfuzz::Fuzzer(data, size).Run();
  return 0;
}
