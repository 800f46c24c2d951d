// The allocation engine: the in-memory state of a campaign and every rule of
// DOMAIN.md. It never reads the clock: callers pass the current time.
//
// Every mutation comes in two halves. Prepare* validates and computes the
// change without touching the state (an error changes nothing); Apply makes
// it and cannot fail. The one-call forms (AddVaccine, Draw, ...) do both.
// Store (store.h) commits the prepared change to SQLite between the halves,
// so the in-memory state never runs ahead of what is durable.
#ifndef VAXALLOC_ENGINE_H_
#define VAXALLOC_ENGINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vaxalloc/types.h"

namespace vaxalloc {

// A change computed against one revision of an engine; applying it to any
// other revision is a programmer error and aborts.
template <class Change>
struct Prepared {
  uint64_t revision = 0;
  Change change;
};

struct PolicyVersion {
  uint32_t version = 0;  // 1 is the default policy every engine starts with
  Policy policy;
};

namespace internal {
struct DrawnPools;
}  // namespace internal

struct DrawOutcome {
  DrawRecord record;
  std::vector<Series> series;             // new series, ids record.series
  std::vector<RegistrantId> registrants;  // now scheduled, same order
  // Internal: the pools of the engine that prepared the draw with its series
  // booked, so that Apply need not book them again (it does when this is
  // empty or the engine is another).
  std::shared_ptr<const internal::DrawnPools> pools;
  // A committed draw's reveal: its commitment, now revealed, and the
  // results as the audit bundle holds them (docs/draw.md section 11).
  std::optional<DrawCommitment> revealed;
  std::shared_ptr<const std::string> results;
};

// A commitment made or abandoned (docs/draw.md section 9). The inputs are
// set when it is made: the canonical bytes its commitment hashes.
struct CommitmentChange {
  DrawCommitment commitment;
  std::shared_ptr<const std::string> inputs;
};

struct Cancellation {
  SeriesId series = kNoId;
  RegistrantId registrant = kNoId;
  absl::Time at;
  bool withdraw = false;        // the registrant leaves the campaign too
  bool erase = false;           // and its personal data is erased (DeleteRegistration)
  // The registrant's hold that lapses too: any hold on a withdrawal, a swap
  // hold replacing the cancelled series.
  SeriesId hold = kNoId;
  std::vector<Series> written;  // the rows of `series` and `hold` after the change
};

// A registrant's new state within a SeriesChange.
struct RegistrantUpdate {
  RegistrantId id = kNoId;
  RegistrantStatus status = RegistrantStatus::kWaiting;
  SeriesId series = kNoId;
  absl::Time waiting_since;
};

// What a booking flow (hold, confirmation, decline, expiry, attendance,
// rebooking) changes: series rows written whole (a new one takes the next
// id) and registrants moved. Seats follow the dose states: a dose reserves
// its seat and dose while kBooked or kGiven.
struct SeriesChange {
  absl::Time at;                              // the call's instant
  std::vector<Series> series;                 // each id at most once
  std::vector<RegistrantUpdate> registrants;  // each id at most once
  std::vector<Event> events;                  // for the outbox; ids unset
  SeriesId subject = kNoId;                   // the series the call was about
  uint32_t holds_lapsed = 0;                  // expired holds the change lets go
  std::vector<ReplacedNoShow> no_shows;       // missed appointments a rebooking replaces
  // ExpireHolds with nothing due: nothing to store, no instant to keep.
  bool empty() const {
    return series.empty() && registrants.empty() && events.empty() && no_shows.empty();
  }
};

struct CodeRequest {
  RegistrantId registrant = kNoId;
  CodePurpose purpose = CodePurpose::kCancelSeries;
  SeriesId series = kNoId;  // for kCancelSeries: the registrant's active series
  absl::Time at;
};

// The random bits behind one code: its value and its salt. IssueCode takes
// them from the operating system; PrepareIssueCode takes them from the
// caller, so that tests can replay.
struct CodeEntropy {
  uint64_t value = 0;
  uint64_t salt0 = 0;
  uint64_t salt1 = 0;
  // Unavailable when the kernel's random source fails.
  static absl::StatusOr<CodeEntropy> FromSystem();
};

struct IssuedCode {
  VerificationCode record;
  std::string code;                          // the digits to send; not kept by the engine
  std::vector<VerificationCode> superseded;  // earlier pending codes it replaces
  Event event;                               // kCodeIssued, carrying `code`
};

struct CodeVerification {
  absl::Time at;            // the entry's instant
  VerificationCode record;  // after the attempt
  CodeOutcome outcome = CodeOutcome::kWrong;
  bool record_changed = false;         // whether there is anything to store
  std::optional<Cancellation> action;  // what an accepted code does
};

// When the waiting list could be through, tier by tier, if every free
// first-dose seat from today on went to it in tier order and supply allowed
// (a statewide estimate: residence, vaccine preference and age are ignored).
struct TierForecast {
  uint64_t waiting = 0;        // waiting people of this tier
  uint64_t waiting_ahead = 0;  // waiting people of better tiers
  // The day the last person of the tier would get a first dose; unset when
  // the calendar's seats or the supply run out first, or nobody of the tier
  // is waiting.
  std::optional<absl::CivilDay> last_first_dose;
  int64_t days = -1;  // from today to last_first_dose; -1 when unset
};

struct WaitForecast {
  absl::CivilDay today;
  uint64_t first_doses_available = 0;  // seats from today on that supply can serve
  std::array<TierForecast, kTierMax> tiers{};
};

// Attendance on one day of one center (all vaccines).
struct DayAttendance {
  absl::CivilDay day;
  uint32_t booked = 0;  // appointments still open
  uint32_t given = 0;
  uint32_t missed = 0;
  // missed / (given + missed); 0 when nobody was recorded.
  double no_show_rate() const {
    return given + missed == 0 ? 0.0 : static_cast<double>(missed) / (given + missed);
  }
};

// One slot of a pool's calendar as it stands.
struct SlotView {
  absl::CivilDay day;
  int minute = 0;
  int seats_first = 0;  // as the capacity blocks give them
  int seats_second = 0;
  // Appointments the slot takes: seats plus the policy's overbooking.
  int bookable_first = 0;
  int bookable_second = 0;
  int booked_first = 0;
  int booked_second = 0;
};

// A first-dose day whose seats cannot all be paired with a second dose:
// fewer second-dose seats lie in [day + interval min, day + interval max]
// than there are first-dose seats on the day.
struct SecondDoseShortfall {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  absl::CivilDay day;
  int64_t seats_first = 0;
  int64_t seats_second_in_window = 0;
};

struct CenterReport {
  CenterId center = kNoId;
  uint64_t series_active = 0;
  uint64_t seats_first_free = 0;  // in the whole calendar, past days included
  int64_t doses_delivered = 0;
  int64_t doses_reserved = 0;      // by appointments booked or given
  uint64_t residents_waiting = 0;  // waiting people whose home district it serves
};

struct Report {
  uint64_t registrants = 0;
  uint64_t waiting = 0;
  uint64_t scheduled = 0;
  uint64_t withdrawn = 0;
  std::array<uint64_t, kTierMax> waiting_per_tier{};  // by the current policy
  uint64_t vaccinated = 0;
  uint64_t series_active = 0;
  uint64_t series_cancelled = 0;
  uint64_t series_held = 0;
  uint64_t series_completed = 0;
  uint64_t series_missed = 0;  // ended by a missed first dose
  uint64_t doses_given = 0;
  uint64_t doses_missed = 0;
  uint64_t draws = 0;
  std::vector<CenterReport> centers;  // by center id
};

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- Setup -------------------------------------------------------------
  absl::StatusOr<DistrictId> AddDistrict(std::string_view code, std::string_view name);
  absl::StatusOr<VaccineId> AddVaccine(const VaccineSpec& spec);
  absl::StatusOr<CenterId> AddCenter(const CenterSpec& spec);
  absl::Status AddCapacity(const CapacityBlock& block);
  absl::Status AddSupply(const SupplyDelivery& delivery);
  // Replaces the policy for every draw from now on; returns its version.
  absl::StatusOr<uint32_t> SetPolicy(const Policy& policy);

  // --- Registrants and allocation ------------------------------------------
  absl::StatusOr<RegistrantId> Register(const RegistrantSpec& spec);
  // All or nothing: one bad entry (named in the error) registers nobody.
  absl::StatusOr<std::vector<RegistrantId>> RegisterBatch(absl::Span<const RegistrantSpec> specs);
  absl::StatusOr<DrawRecord> Draw(const DrawRequest& request);
  // A committed draw (docs/draw.md section 9): CommitDraw freezes the draw's
  // inputs and names the public randomness (`beacon`) that will decide its
  // seed; request.seed must be unset. RevealDraw runs it with the seed
  // SHA-256(commitment || beacon_value) gives, at the committed instant,
  // and is refused if any input changed. AbandonDraw closes a pending one.
  // While a commitment is pending no other commitment and no plain draw is
  // made.
  absl::StatusOr<DrawCommitment> CommitDraw(const DrawRequest& request, std::string_view beacon);
  absl::StatusOr<DrawRecord> RevealDraw(CommitmentId commitment, std::string_view beacon_value,
                                        absl::Time at);
  absl::Status AbandonDraw(CommitmentId commitment, std::string_view reason, absl::Time at);
  // Cancels an active series; its registrant waits again from `at`. Once
  // the first dose was given only the second appointment is cancelled and
  // the registrant is withdrawn (the series is finished elsewhere; a new one
  // would repeat the first dose).
  absl::Status CancelSeries(SeriesId series, absl::Time at);
  // The registrant leaves the campaign; an active series is cancelled.
  absl::Status Withdraw(RegistrantId registrant, absl::Time at);
  // Deletes a registration at the person's request (vaccinated elsewhere):
  // a withdrawal, if not yet withdrawn, and then its personal data is
  // erased for good (see Registrant::erased); the counts keep the rest. The
  // reference becomes free for a new registration.
  absl::Status DeleteRegistration(RegistrantId registrant, absl::Time at);

  // --- Self-booking, attendance (docs/booking.md) ----------------------------
  // Holds first-dose seats of a center on a range of days back from draws and
  // opens them for self-booking at spec.release_at.
  absl::StatusOr<ReleaseId> AddRelease(const ReleaseSpec& spec);
  // Proposes the earliest fitting series and holds it (kHeld) until
  // at + Policy::hold, or books it at once with request.confirm. Holds due
  // by request.at lapse first. In short-notice mode a registrant with a
  // later first appointment may book; confirming cancels the old series.
  absl::StatusOr<Series> Book(const BookingRequest& request);
  absl::StatusOr<Series> ConfirmHold(SeriesId hold, absl::Time at);
  absl::Status DeclineHold(SeriesId hold, absl::Time at);
  // Lets every hold due by `at` lapse; returns how many did.
  absl::StatusOr<uint32_t> ExpireHolds(absl::Time at);
  // Records that dose 1 or 2 of an active series was given or missed. A
  // missed first dose ends the series (kMissed; the registrant waits again);
  // a missed second keeps it active for RebookSecondDose or CancelSeries.
  absl::StatusOr<Series> RecordDose(SeriesId series, int dose, DoseOutcome outcome, absl::Time at);
  // A new second appointment for a series whose second dose was missed: the
  // earliest seat from `at` on that still lies within the vaccine's interval.
  absl::StatusOr<Series> RebookSecondDose(SeriesId series, absl::Time at);
  // Waiting standby registrants a center may call now, best first: by tier,
  // then by how long they have waited, then by reference. At most `limit`.
  absl::StatusOr<std::vector<RegistrantId>> StandbyList(CenterId center, absl::Time at,
                                                        size_t limit) const;

  // --- One-time codes (docs/booking.md) --------------------------------------
  // Creates a code confirming an online cancellation or withdrawal. The code
  // goes to the host in IssuedCode::code and the kCodeIssued event; the
  // engine keeps only its salted hash. An earlier pending code of the same
  // registrant and purpose is superseded.
  absl::StatusOr<IssuedCode> IssueCode(const CodeRequest& request);
  // Checks a code the person entered. Accepted: the cancellation or
  // withdrawal is done, OK. Otherwise Unauthenticated naming what failed
  // (wrong, with the attempts left; expired; locked), or FailedPrecondition
  // when the code was used or superseded; a wrong code counts as an attempt.
  // `outcome` (may be null) receives the outcome whenever the entry was
  // judged (not for an unknown code, a malformed entry or a refused action).
  absl::Status VerifyCode(CodeId code, std::string_view entered, absl::Time at,
                          CodeOutcome* outcome = nullptr);

  // --- Two-phase forms (see the top of this file) -------------------------
  absl::StatusOr<Prepared<District>> PrepareAddDistrict(std::string_view code,
                                                        std::string_view name) const;
  absl::StatusOr<Prepared<Vaccine>> PrepareAddVaccine(const VaccineSpec& spec) const;
  absl::StatusOr<Prepared<Center>> PrepareAddCenter(const CenterSpec& spec) const;
  absl::StatusOr<Prepared<CapacityBlock>> PrepareAddCapacity(const CapacityBlock& block) const;
  absl::StatusOr<Prepared<SupplyDelivery>> PrepareAddSupply(const SupplyDelivery& delivery) const;
  absl::StatusOr<Prepared<PolicyVersion>> PrepareSetPolicy(const Policy& policy) const;
  absl::StatusOr<Prepared<std::vector<Registrant>>> PrepareRegister(
      absl::Span<const RegistrantSpec> specs) const;
  absl::StatusOr<Prepared<DrawOutcome>> PrepareDraw(const DrawRequest& request) const;
  absl::StatusOr<Prepared<CommitmentChange>> PrepareCommitDraw(const DrawRequest& request,
                                                               std::string_view beacon) const;
  // A commitment as another process made it (the journal's replay): its
  // inputs name that process's library version.
  absl::StatusOr<Prepared<CommitmentChange>> PrepareReplayCommitDraw(
      const DrawRequest& request, std::string_view beacon,
      std::string_view library_version) const;
  absl::StatusOr<Prepared<DrawOutcome>> PrepareRevealDraw(CommitmentId commitment,
                                                          std::string_view beacon_value,
                                                          absl::Time at) const;
  absl::StatusOr<Prepared<CommitmentChange>> PrepareAbandonDraw(CommitmentId commitment,
                                                                std::string_view reason,
                                                                absl::Time at) const;
  absl::StatusOr<Prepared<Cancellation>> PrepareCancelSeries(SeriesId series, absl::Time at) const;
  absl::StatusOr<Prepared<Cancellation>> PrepareWithdraw(RegistrantId registrant,
                                                         absl::Time at) const;
  absl::StatusOr<Prepared<Cancellation>> PrepareDeleteRegistration(RegistrantId registrant,
                                                                   absl::Time at) const;
  absl::StatusOr<Prepared<Release>> PrepareAddRelease(const ReleaseSpec& spec) const;
  absl::StatusOr<Prepared<SeriesChange>> PrepareBook(const BookingRequest& request) const;
  absl::StatusOr<Prepared<SeriesChange>> PrepareConfirmHold(SeriesId hold, absl::Time at) const;
  absl::StatusOr<Prepared<SeriesChange>> PrepareDeclineHold(SeriesId hold, absl::Time at) const;
  absl::StatusOr<Prepared<SeriesChange>> PrepareExpireHolds(absl::Time at) const;
  absl::StatusOr<Prepared<SeriesChange>> PrepareRecordDose(SeriesId series, int dose,
                                                           DoseOutcome outcome,
                                                           absl::Time at) const;
  absl::StatusOr<Prepared<SeriesChange>> PrepareRebookSecondDose(SeriesId series,
                                                                 absl::Time at) const;
  absl::StatusOr<Prepared<IssuedCode>> PrepareIssueCode(const CodeRequest& request,
                                                        const CodeEntropy& entropy) const;
  // Also for a wrong code (the attempt is the change); errors only for an
  // unknown code, a malformed entry, or an action the campaign no longer allows.
  absl::StatusOr<Prepared<CodeVerification>> PrepareVerifyCode(CodeId code,
                                                               std::string_view entered,
                                                               absl::Time at) const;

  // Journal replay (Store, docs/journal.md): a committed IssueCode from its
  // recorded salt and hash (the digits are kept nowhere), and a committed
  // code entry from whether its digits matched. DataLoss when the replay
  // would make another code than the recorded one.
  absl::StatusOr<Prepared<IssuedCode>> PrepareReplayIssueCode(
      const CodeRequest& request, const VerificationCode& recorded) const;
  absl::StatusOr<Prepared<CodeVerification>> PrepareReplayVerifyCode(CodeId code, absl::Time at,
                                                                     bool matched) const;

  void Apply(const Prepared<District>& prepared);
  void Apply(const Prepared<Vaccine>& prepared);
  void Apply(const Prepared<Center>& prepared);
  void Apply(const Prepared<CapacityBlock>& prepared);
  void Apply(const Prepared<SupplyDelivery>& prepared);
  void Apply(const Prepared<PolicyVersion>& prepared);
  void Apply(const Prepared<std::vector<Registrant>>& prepared);
  void Apply(const Prepared<DrawOutcome>& prepared);
  void Apply(const Prepared<Cancellation>& prepared);
  void Apply(const Prepared<Release>& prepared);
  void Apply(const Prepared<SeriesChange>& prepared);
  void Apply(const Prepared<IssuedCode>& prepared);
  void Apply(const Prepared<CodeVerification>& prepared);
  void Apply(const Prepared<CommitmentChange>& prepared);

  // --- Restoring a stored state (Store's loader) ---------------------------
  // Entities come back with their ids and current state; ids must be the next
  // in sequence. Setup entities and policies are restored through Prepare and
  // Apply. A record that contradicts the state gives DataLoss.
  absl::Status RestoreRegistrant(const Registrant& registrant);
  // RestoreRegistrant for each in order, up to the first error (returned;
  // the rows before it stay restored). Faster for many: the reference index
  // is fetched ahead.
  absl::Status RestoreRegistrants(absl::Span<const Registrant> registrants);
  // A capacity hint before restoring (or registering) about `count` more
  // registrants: their table and reference index grow once instead of
  // rehashing every reference at each doubling. Changes nothing observable.
  void ReserveRegistrants(size_t count);
  absl::Status RestoreSeries(const Series& series);
  absl::Status RestoreDraw(const DrawRecord& record);
  absl::Status RestoreCode(const VerificationCode& code);
  absl::Status RestoreNoShow(const ReplacedNoShow& no_show);
  // Raises latest_change() to `at` (the Store keeps it in its journal: the
  // instants of withdrawals, declines, expiries and attendance are in no
  // other row). Never lowers it.
  void RestoreLatestChange(absl::Time at);
  // A commitment with its inputs and, once revealed, its results (after the
  // draws: a revealed one names a restored draw, which then names it).
  absl::Status RestoreDrawCommitment(const DrawCommitment& commitment, std::string inputs,
                                     std::string results);
  // After the last Restore*: DataLoss unless every scheduled registrant names
  // its own active series and every vaccinated one its own completed series
  // (later calls rely on these links).
  absl::Status CheckRestoredLinks() const;

  // --- Queries ---------------------------------------------------------------
  uint32_t district_count() const;
  uint32_t vaccine_count() const;
  uint32_t center_count() const;
  uint32_t registrant_count() const;
  uint32_t series_count() const;
  uint32_t draw_count() const;
  uint32_t release_count() const;
  uint32_t hold_count() const;  // series kHeld now
  uint32_t code_count() const;
  // Missed second appointments rebookings replaced, in order.
  const std::vector<ReplacedNoShow>& replaced_no_shows() const;
  // Incremented by every Apply and Restore.
  uint64_t revision() const;
  // The latest instant any change was stamped with (cancellations,
  // withdrawals, booking flows, attendance, codes, draws; not registrations,
  // whose registered_at only decides who takes part in a draw); InfinitePast
  // before the first. A draw may not be stamped before it (docs/draw.md,
  // "Time moves forward past a draw").
  absl::Time latest_change() const;

  absl::StatusOr<District> GetDistrict(DistrictId id) const;
  absl::StatusOr<Vaccine> GetVaccine(VaccineId id) const;
  absl::StatusOr<Center> GetCenter(CenterId id) const;
  absl::StatusOr<Registrant> GetRegistrant(RegistrantId id) const;
  absl::StatusOr<Series> GetSeries(SeriesId id) const;
  absl::StatusOr<DrawRecord> GetDraw(DrawId id) const;
  absl::StatusOr<DrawCommitment> GetDrawCommitment(CommitmentId id) const;
  uint32_t draw_commitment_count() const;
  // A revealed draw as its audit bundle (docs/draw.md section 11): the bytes
  // of the file anyone can re-run with vaxalloc.verify.
  absl::StatusOr<std::string> DrawBundle(CommitmentId id) const;
  // DrawBundle written to the file `path`, whole or not at all: a temporary
  // file beside it, flushed to disk, then renamed over it. PermissionDenied
  // when the directory or file may not be written; Unknown for another I/O
  // failure (the message names the file and the system's reason).
  absl::Status WriteDrawBundle(CommitmentId id, const std::string& path) const;
  // The chi-square check of docs/draw.md section 13 on revealed commitment
  // `id`, with up to `buckets` (2..kFairnessBucketsMax) registration-time
  // buckets per tier.
  absl::StatusOr<DrawFairness> CheckDrawFairness(CommitmentId id, int buckets = 10) const;
  // The inputs a commitment froze (docs/draw.md section 10).
  absl::StatusOr<std::string> DrawInputs(CommitmentId id) const;
  absl::StatusOr<Release> GetRelease(ReleaseId id) const;
  absl::StatusOr<VerificationCode> GetCode(CodeId id) const;
  absl::StatusOr<DistrictId> FindDistrict(std::string_view code) const;
  absl::StatusOr<VaccineId> FindVaccine(std::string_view code) const;
  absl::StatusOr<CenterId> FindCenter(std::string_view code) const;
  absl::StatusOr<RegistrantId> FindRegistrant(std::string_view external_ref) const;

  const Policy& policy() const;
  uint32_t policy_version() const;
  absl::StatusOr<PolicyVersion> GetPolicy(uint32_t version) const;
  // The tier a registrant has under a policy version (the current one by default).
  absl::StatusOr<int> TierOf(RegistrantId id, uint32_t policy_version = 0) const;

  // Capacity blocks and deliveries as added, in order.
  const std::vector<CapacityBlock>& capacity_blocks() const;
  const std::vector<SupplyDelivery>& deliveries() const;
  // The slots of one center's vaccine on one day, by start minute.
  std::vector<SlotView> Slots(CenterId center, VaccineId vaccine, absl::CivilDay day) const;
  // Doses of a center's vaccine not yet reserved that appointments on `day`
  // could still use (the smallest slack from that day on).
  int64_t DosesAvailableFrom(CenterId center, VaccineId vaccine, absl::CivilDay day) const;
  std::vector<SecondDoseShortfall> CheckSecondDoseCapacity() const;
  Report Summarize() const;
  // The expected wait per tier (see WaitForecast) as of `at`.
  absl::StatusOr<WaitForecast> ForecastWait(absl::Time at) const;
  // Appointments, doses given and no-shows per day, over every day in
  // [from, until] on which the center had an appointment.
  absl::StatusOr<std::vector<DayAttendance>> Attendance(CenterId center, absl::CivilDay from,
                                                        absl::CivilDay until) const;

  // Internal state, for the invariant checker and the store.
  struct State;
  const State& state() const { return *state_; }

 private:
  // A code's salt and either its value (a new code) or its recorded hash.
  struct CodeSecret {
    uint64_t salt0 = 0;
    uint64_t salt1 = 0;
    std::optional<uint64_t> value;
    uint64_t hash = 0;
  };
  absl::StatusOr<Prepared<IssuedCode>> PrepareIssueCodeWith(const CodeRequest& request,
                                                            const CodeSecret& secret) const;
  absl::StatusOr<Prepared<CodeVerification>> PrepareVerifyCodeWith(
      CodeId code, absl::Time at, absl::FunctionRef<bool(const VerificationCode&)> matches) const;

  std::unique_ptr<State> state_;
};

}  // namespace vaxalloc

#endif  // VAXALLOC_ENGINE_H_
