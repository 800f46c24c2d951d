// Engine::State: the compact in-memory representation behind the Engine API.
// Shared by engine.cc (setup, registrants, bookkeeping) and draw.cc.
#ifndef VAXALLOC_SRC_ENGINE_STATE_H_
#define VAXALLOC_SRC_ENGINE_STATE_H_

#include <algorithm>
#include <limits>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vaxalloc/engine.h"

// Programmer errors (a broken invariant of our own code) abort: continuing
// would risk writing a corrupt campaign. Operating errors are Status values.
#define VAXALLOC_ASSERT(condition)                                                           \
  do {                                                                                       \
    if (!(condition)) ::vaxalloc::internal::AssertionFailed(#condition, __FILE__, __LINE__); \
  } while (0)

#define VAXALLOC_RETURN_IF_ERROR(expr) \
  do {                                 \
    absl::Status status_ = (expr);     \
    if (!status_.ok()) return status_; \
  } while (0)

namespace vaxalloc::internal {

[[noreturn]] void AssertionFailed(const char* condition, const char* file, int line);

// Days since 1970-01-01: the engine's compact day.
using DayNumber = int32_t;
DayNumber ToDayNumber(absl::CivilDay day);
absl::CivilDay ToCivilDay(DayNumber day);
// The civil day `days` after 1970-01-01 (any int64 that names a civil year).
absl::CivilDay CivilDayFromDays(int64_t days);

// The first day on which someone born on `birth` is `years` old (29 February
// birthdays advance to 1 March in common years, absl's normalisation).
DayNumber BirthdayOfAge(DayNumber birth, int years);

// The appointments a slot of `seats` takes under Policy::overbook_permille.
// In 64 bits: a block's cumulative seats over a day reach 1440 * 10,000.
inline int64_t Overbooked(int64_t seats, int overbook_permille) {
  return seats + seats * overbook_permille / 1000;
}
// The extra seats overbooking gives the block's slot starting at `minute`.
int OverbookedExtra(const CapacityBlock& block, int minute, bool second_dose, int permille);

// Seats as the capacity blocks give them; bookable ones add the policy's
// overbooking (OverbookedExtra). A policy lowering the overbooking may leave
// a slot with more appointments than it now takes: it has no free seat until
// enough cancel.
struct PoolSlot {
  uint16_t minute = 0;
  uint16_t seats_first = 0;
  uint16_t seats_second = 0;
  uint16_t bookable_first = 0;
  uint16_t bookable_second = 0;
  uint16_t booked_first = 0;
  uint16_t booked_second = 0;
  bool first_free() const { return booked_first < bookable_first; }
  bool second_free() const { return booked_second < bookable_second; }
};

struct PoolDay {
  std::vector<PoolSlot> slots;  // by minute
  int32_t seats_first = 0;
  int32_t seats_second = 0;
  // Free bookable seats summed over the slots, each slot at least 0: a slot
  // over its bookable seats must not hide another's free seat.
  int32_t free_first_seats = 0;
  int32_t free_second_seats = 0;
  int32_t booked_first = 0;
  int32_t booked_second = 0;
  int64_t delivered = 0;  // doses arriving this day
  int32_t free_first() const { return free_first_seats; }
  int32_t free_second() const { return free_second_seats; }
  int32_t booked() const { return booked_first + booked_second; }
};

// One center's capacity and supply for one vaccine, day by day.
struct Pool {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  DayNumber first_day = 0;  // day of days[0]
  std::vector<PoolDay> days;
  // slack[i]: doses delivered on days <= i minus appointments on days <= i.
  // slack_suffix_min[i]: min of slack[i..]. Both recomputed on change.
  std::vector<int64_t> slack;
  std::vector<int64_t> slack_suffix_min;

  bool Contains(DayNumber day) const {
    return day >= first_day && day < first_day + static_cast<DayNumber>(days.size());
  }
  // Grows the day range to include `day`.
  void Cover(DayNumber day);
  void RecomputeSlack();
  const PoolSlot* FindSlot(DayNumber day, int minute) const;
  PoolSlot* FindSlot(DayNumber day, int minute) {
    return const_cast<PoolSlot*>(static_cast<const Pool*>(this)->FindSlot(day, minute));
  }
  // Books one appointment of the given kind; the slot must exist. Without
  // update_slack the caller must RecomputeSlack before the next query.
  void Book(DayNumber day, int minute, bool second_dose, bool update_slack = true);
  // The same for the slot days[day_index].slots[slot_index].
  void BookSlot(size_t day_index, size_t slot_index, bool second_dose, bool update_slack = true);
  void Unbook(DayNumber day, int minute, bool second_dose);
  // Adds seats to a slot (created if missing), and bookable ones: the seats
  // plus the extra ones overbooking gives them (OverbookedExtra).
  void AddSeats(DayNumber day, int minute, int seats_first, int seats_second, int extra_first,
                int extra_second);
  // Every slot's bookable seats back to its seats (before a new overbooking).
  void ResetBookable();
};

struct RegistrantRow {
  int64_t registered_at_us = 0;
  int64_t waiting_since_us = 0;
  // Where the reference starts in State::refs: 40 bits, split so the row
  // stays 40 bytes. 2^32 registrant ids with 128-byte references need 39
  // bits; 32 overflowed at 33.5 M registrants with 128-byte references.
  uint32_t ref_offset_low = 0;
  SeriesId series = kNoId;
  DistrictId district = kNoId;
  DayNumber birth_day = 0;
  uint16_t vaccine_preference = kNoId;  // a VaccineId: at most kVaccinesMax
  uint8_t ref_length = 0;
  PriorityGroup group = PriorityGroup::kNone;
  Channel channel = Channel::kOnline;
  RegistrantStatus status = RegistrantStatus::kWaiting;
  bool standby = false;
  uint8_t ref_offset_high = 0;
  uint64_t ref_offset() const { return uint64_t{ref_offset_high} << 32 | ref_offset_low; }
  void set_ref_offset(uint64_t offset) {
    ref_offset_low = static_cast<uint32_t>(offset);
    ref_offset_high = static_cast<uint8_t>(offset >> 32);
  }
  static constexpr uint64_t kRefOffsetMax = (uint64_t{1} << 40) - 1;
  // Personal data erased (Registrant::erased): a reference is never empty
  // otherwise.
  bool erased() const { return ref_length == 0; }
};
// Millions of rows: every byte counts (docs/benchmarks.md, memory per registrant).
static_assert(sizeof(RegistrantRow) == 40);

// A draw's pools with its series booked (DrawOutcome::pools): what the
// engine's pools `indexes` become when the draw is applied to the state and
// revision that prepared it.
struct DrawnPools {
  uint64_t instance = 0;  // the Engine::State that prepared the draw
  uint64_t revision = 0;
  std::vector<uint32_t> indexes;
  std::vector<Pool> pools;  // same order
};

// Room for `more` elements at the end of `list`. A batch grows the list by
// at least a quarter (at most a quarter unused: the memory per registrant of
// docs/benchmarks.md), so that 80 batches of 100,000 copy the list about ten
// times, not 80; a few elements make it grow geometrically: a plain
// reserve(size() + 1) would copy the whole list on every single append once
// its capacity is exact (as after a restore).
template <class List>
void ReserveMore(List& list, size_t more) {
  constexpr size_t kBatchMin = 64;
  const size_t needed = list.size() + more;
  if (needed <= list.capacity()) return;
  list.reserve(more >= kBatchMin ? std::max(needed, list.size() + list.size() / 4)
                                 : std::max(needed, 2 * list.capacity()));
}

// InvalidArgument naming `what` unless `text` has 1..length_max bytes, no
// NUL (a C caller could not tell it from the end of the string) and is
// UTF-8 (what every binding hands out as text).
absl::Status CheckText(std::string_view what, std::string_view text, size_t length_max);
// The offset of the first byte that is not part of valid UTF-8, or npos.
size_t InvalidUtf8At(std::string_view text);

// OutOfRange unless the day lies in kYearMin..kYearMax.
absl::Status CheckDay(std::string_view what, absl::CivilDay day);
// InvalidArgument for an infinite time, OutOfRange outside kYearMin..kYearMax
// (UTC), where microseconds would saturate.
absl::Status CheckTime(std::string_view what, absl::Time time);

// Times are kept as Unix microseconds; finer parts are dropped on entry.
int64_t ToMicros(absl::Time time);
absl::Time FromMicros(int64_t micros);

}  // namespace vaxalloc::internal

namespace vaxalloc {

struct Engine::State {
  State();

  // Tells this engine's state from any other, even one later at the same
  // address (DrawOutcome::pools belong to the state that prepared them).
  const uint64_t instance;
  uint64_t revision = 0;
  // Engine::latest_change() in microseconds; INT64_MIN before the first.
  int64_t latest_change_us = std::numeric_limits<int64_t>::min();
  void NoteChange(int64_t at_us) { latest_change_us = std::max(latest_change_us, at_us); }

  std::vector<District> districts;  // [id - 1]
  absl::flat_hash_map<std::string, DistrictId> district_by_code;
  std::vector<Vaccine> vaccines;
  absl::flat_hash_map<std::string, VaccineId> vaccine_by_code;
  std::vector<Center> centers;
  absl::flat_hash_map<std::string, CenterId> center_by_code;
  std::vector<std::vector<CenterId>> centers_by_district;  // [district - 1], ascending

  std::vector<CapacityBlock> capacity_blocks;
  std::vector<SupplyDelivery> deliveries;
  std::vector<internal::Pool> pools;
  absl::flat_hash_map<uint64_t, uint32_t> pool_by_key;  // PoolKey -> index
  std::vector<std::vector<uint32_t>> pools_by_center;   // [center - 1], by vaccine id

  std::vector<PolicyVersion> policies;  // [version - 1]

  // Registrants: rows plus their external references in one buffer, indexed
  // by a set of ids that hashes the reference (no second copy of the string).
  struct RefHash {
    using is_transparent = void;
    const State* state;
    size_t operator()(RegistrantId id) const { return (*this)(state->Ref(id)); }
    size_t operator()(std::string_view ref) const {
      // Debian's absl::string_view is not std::string_view; absl's hash is faster.
      return absl::HashOf(absl::string_view(ref.data(), ref.size()));
    }
  };
  struct RefEq {
    using is_transparent = void;
    const State* state;
    std::string_view View(RegistrantId id) const { return state->Ref(id); }
    std::string_view View(std::string_view ref) const { return ref; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };
  std::vector<internal::RegistrantRow> registrants;  // [id - 1]
  std::string refs;
  absl::flat_hash_set<RegistrantId, RefHash, RefEq> registrant_by_ref;

  std::vector<Series> series;  // [id - 1]
  std::vector<DrawRecord> draws;

  std::vector<Release> releases;                           // [id - 1], booked kept current
  std::vector<std::vector<ReleaseId>> releases_by_center;  // [center - 1], ascending
  // Series kHeld now: by registrant (one each) and by expiry.
  absl::flat_hash_map<RegistrantId, SeriesId> hold_by_registrant;
  absl::btree_set<std::pair<int64_t, SeriesId>> holds_by_expiry;  // (expires_us, id)
  absl::TimeZone time_zone = absl::UTCTimeZone();                 // the current policy's

  std::vector<VerificationCode> codes;  // [id - 1]
  // Every code of a registrant, ascending (at most kCodesPerRegistrantMax
  // unless restored from a file written without the limits).
  absl::flat_hash_map<RegistrantId, std::vector<CodeId>> codes_by_registrant;
  std::vector<ReplacedNoShow> replaced_no_shows;
  // Indexes for the per-center reports (a series never changes its center;
  // the standby flag never changes): ascending ids.
  std::vector<std::vector<SeriesId>> series_by_center;  // [center - 1]
  std::vector<RegistrantId> standby_registrants;

  // What Summarize and ForecastWait report, kept current by every change of
  // a registrant's status (CountRegistrant around it) and every series row
  // written (CountSeries), so that a report never walks millions of rows.
  struct Counts {
    std::array<int64_t, 4> registrants_by_status{};     // by RegistrantStatus
    std::vector<int64_t> waiting_by_district;           // [district - 1]
    std::array<int64_t, kTierMax> waiting_per_tier{};   // under the current policy
    std::array<int64_t, 6> series_by_status{};          // by SeriesStatus
    std::vector<int64_t> active_by_center;              // [center - 1]
    int64_t doses_given = 0;
    int64_t doses_missed = 0;
  } counts;
  // sign +1 counts a row as it is now, -1 takes it out (before a change).
  void CountRegistrant(const internal::RegistrantRow& row, int sign);
  void CountSeries(const Series& series, int sign);
  // waiting_per_tier again (after a policy change: tiers follow the policy).
  void RecountWaitingTiers();
  // The pending code of each (registrant, purpose).
  absl::flat_hash_map<std::pair<RegistrantId, uint8_t>, CodeId> pending_codes;
  absl::flat_hash_set<std::pair<uint64_t, uint64_t>> seeds_used;

  // Committed draws (docs/draw.md section 9), [id - 1], with the bytes the
  // audit bundle is made of: the inputs, and once revealed the results.
  struct CommitmentEntry {
    DrawCommitment record;
    std::shared_ptr<const std::string> inputs;
    std::shared_ptr<const std::string> results;
  };
  std::vector<CommitmentEntry> commitments;
  CommitmentId pending_commitment = kNoId;  // at most one at a time

  // Section 1 of docs/draw.md: whether a registrant takes part in a draw at
  // `at_us` (waiting, registered and waiting since by then, holding nothing).
  bool TakesPart(RegistrantId id, int64_t at_us) const {
    const internal::RegistrantRow& row = registrants[id - 1];
    return row.status == RegistrantStatus::kWaiting && row.registered_at_us <= at_us &&
           row.waiting_since_us <= at_us && !Holding(id);
  }

  std::string_view Ref(RegistrantId id) const {
    const internal::RegistrantRow& row = registrants[id - 1];
    return std::string_view(refs).substr(row.ref_offset(), row.ref_length);
  }
  static uint64_t PoolKey(CenterId center, VaccineId vaccine) {
    return (uint64_t{center} << 32) | vaccine;
  }
  const internal::Pool* FindPool(CenterId center, VaccineId vaccine) const;
  internal::Pool& PoolFor(CenterId center, VaccineId vaccine);  // creates it
  const PolicyVersion& current_policy() const { return policies.back(); }
  Registrant MakeRegistrant(RegistrantId id) const;
  bool Holding(RegistrantId id) const {
    return !hold_by_registrant.empty() && hold_by_registrant.contains(id);
  }
};

namespace internal {
// A change stamped at or before the latest draw's instant would rewrite who
// took part in that draw: the record would no longer replay, and the
// tier-order audit would accuse the draw. Time only moves forward past a
// draw; a later draw may share the instant (same_instant_allowed).
// The instant a prepared change is stamped with (for Engine::latest_change),
// in microseconds; INT64_MIN for a change without one (setup, releases,
// registrations).
int64_t ChangeInstantUs(const std::vector<Registrant>& registrants);
int64_t ChangeInstantUs(const DrawOutcome& outcome);
int64_t ChangeInstantUs(const Cancellation& cancellation);
int64_t ChangeInstantUs(const SeriesChange& change);
int64_t ChangeInstantUs(const IssuedCode& issued);
int64_t ChangeInstantUs(const CodeVerification& verification);
int64_t ChangeInstantUs(const CommitmentChange& change);
template <class Change>
int64_t ChangeInstantUs(const Change&) {
  return std::numeric_limits<int64_t>::min();
}

// A draw stamped before a change already made would record a state it did
// not run on: FailedPrecondition naming both instants.
absl::Status CheckNotBeforeLatestChange(const Engine::State& state, std::string_view what,
                                        absl::Time time);

absl::Status CheckAfterLatestDraw(const Engine::State& state, std::string_view what,
                                  absl::Time time, bool same_instant_allowed);

// A committed draw's candidates (docs/draw.md section 9): their ids
// ascending and the SHA-256 of each one's reference, same order.
struct CommittedCandidates {
  std::vector<RegistrantId> ids;
  std::vector<std::array<uint8_t, 32>> digests;
  // The index of `id` in `ids`; it must be there.
  size_t IndexOf(RegistrantId id) const;
};

// Runs the draw of docs/draw.md on `state` (the request already checked);
// `committed` makes it a committed draw: lottery numbers over the digests.
DrawOutcome RunDraw(const Engine::State& state, const DrawRequest& request,
                    const PolicyVersion& policy, const CommittedCandidates* committed);
// The checks a draw's request passes before it runs, plain or committed.
// after_latest_change: also refuse an `at` before Engine::latest_change()
// (a reveal does not: its unchanged inputs say the draw may run at `at`).
absl::Status CheckDrawRequest(const Engine::State& state, const DrawRequest& request,
                              bool after_latest_change = true);
// A committed draw's seed: the first 16 bytes of SHA-256(commitment ||
// beacon value), k0 then k1, each little-endian.
DrawSeed SeedFromBeacon(const std::array<uint8_t, 32>& commitment, std::string_view beacon_value);
// The body of section `tag` (1..7) of a commitment's inputs (docs/draw.md
// section 10); empty when there is none.
std::string_view InputsSection(std::string_view inputs, uint8_t tag);
// Commitment `id` (NotFound otherwise), or one that is revealed
// (FailedPrecondition otherwise); `what` starts the error message.
absl::StatusOr<const Engine::State::CommitmentEntry*> FindCommitment(const Engine::State& state,
                                                                     CommitmentId id,
                                                                     std::string_view what);
absl::StatusOr<const Engine::State::CommitmentEntry*> RevealedCommitment(
    const Engine::State& state, CommitmentId id, std::string_view what);
// What Apply(DrawOutcome) does besides the draw itself when it is a reveal.
void ApplyReveal(Engine::State& state, const DrawOutcome& outcome);

// The tier of a registration under a policy (docs/draw.md section 2).
int TierOf(const Policy& policy, PriorityGroup group, int64_t registered_at_us);

// TierOf for loops over millions of registrants: the rules' cut-offs turned
// into microseconds once.
class TierRules {
 public:
  explicit TierRules(const Policy& policy);
  int TierOf(PriorityGroup group, int64_t registered_at_us) const {
    const int group_index = static_cast<int>(group) - 1;
    for (const Rule& rule : rules_) {
      if (registered_at_us < rule.before_us) return rule.tier_by_group[group_index];
    }
    return static_cast<int>(group);
  }

 private:
  struct Rule {
    int64_t before_us;
    std::array<uint8_t, kPriorityGroupCount> tier_by_group;
  };
  absl::InlinedVector<Rule, 4> rules_;
};

// The centers a resident of `district` may use under `policy`: those serving
// the district (by id), then those serving a neighbouring one (by id).
std::vector<CenterId> CentersFor(const Engine::State& state, const Policy& policy,
                                 DistrictId district);

// Whether a dose in this state holds its seat and its dose.
inline bool HoldsSeat(DoseState dose) {
  return dose == DoseState::kBooked || dose == DoseState::kGiven;
}
// Whether a series counts against its release's cap: while its first
// appointment holds its seat (booked, held, or the dose given).
inline bool CountsAgainstCap(const Series& series) { return HoldsSeat(series.doses[0]); }

// Writes series rows (new ones take the next ids), moving seats, holds and
// release counts along with their dose states and status. Slack is
// recomputed for every pool touched.
void WriteSeriesRows(Engine::State& state, const std::vector<Series>& rows);

// An outbox event without a draw or a code.
inline Event MakeEvent(EventKind kind, absl::Time at, RegistrantId registrant, SeriesId series) {
  Event event;
  event.kind = kind;
  event.at = at;
  event.registrant = registrant;
  event.series = series;
  return event;
}

// The status a verification's outcome gives the caller (OK when accepted).
absl::Status CodeOutcomeStatus(const CodeVerification& verification, const Policy& policy);

// The row of an active series once cancelled: the doses not yet given give
// their seats back.
Series CancelledRow(const Series& series);
// A hold's row once it lapses.
Series LapsedRow(const Series& hold);
// FailedPrecondition naming the series and its status.
absl::Status NotActiveError(SeriesId id, SeriesStatus status);
}  // namespace internal

}  // namespace vaxalloc

#endif  // VAXALLOC_SRC_ENGINE_STATE_H_
