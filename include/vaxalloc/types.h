// The domain's value types: what a host defines (vaccines, districts, centers,
// capacity, supply, policy, registrants) and what the engine produces (series,
// draws). Plain structs with no behaviour; the rules live in Engine.
#ifndef VAXALLOC_TYPES_H_
#define VAXALLOC_TYPES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace vaxalloc {

// Ids are assigned by the engine, densely from 1 in order of creation, and
// never reused; 0 means "none". The same sequence of operations gives the same
// ids on every platform.
using DistrictId = uint32_t;
using VaccineId = uint32_t;
using CenterId = uint32_t;
using RegistrantId = uint32_t;
using SeriesId = uint32_t;
using DrawId = uint32_t;
using ReleaseId = uint32_t;
using CodeId = uint32_t;
using CommitmentId = uint32_t;  // a committed draw (docs/draw.md section 9)

inline constexpr uint32_t kNoId = 0;

// Limits on everything a host can pass in; exceeding one is InvalidArgument.
inline constexpr int kCodeLengthMax = 64;            // vaccine/district/center codes
inline constexpr int kNameLengthMax = 256;           // display names
inline constexpr int kExternalRefLengthMax = 128;    // a registrant's host reference
inline constexpr int kDoseCountMax = 2;              // a booster is a new series
inline constexpr int kIntervalDaysMax = 365;
inline constexpr int kAgeYearsMax = 150;
inline constexpr int kTierMax = 8;                   // tiers are 1 (first) .. kTierMax
inline constexpr int kSlotMinutesMin = 1;
inline constexpr int kSlotMinutesMax = 240;
inline constexpr int kSeatsPerSlotMax = 10000;
inline constexpr int kCapacityBlockDaysMax = 400;
inline constexpr int kCalendarDaysMax = 3660;        // a pool's day range
inline constexpr int64_t kDosesPerDeliveryMax = 10'000'000;
inline constexpr int kReserveCategoriesMax = 8;
inline constexpr int kDistrictsPerCenterMax = 1000;
inline constexpr int kVaccinesMax = 65535;  // a campaign's vaccines: ids fit 16 bits
inline constexpr int kTimeZoneLengthMax = 64;
inline constexpr int kHoldMinutesMax = 24 * 60;
inline constexpr int kShortNoticeDaysMax = 60;
inline constexpr int kCodeDigitsMin = 4;
inline constexpr int kCodeDigitsMax = 10;
inline constexpr int kCodeAttemptsMax = 10;
inline constexpr int kCodeLifetimeMinutesMax = 24 * 60;
// Against guessing by reissue (each new code starts with no wrong entries):
// at most kCodesPerDayMax codes for one registrant within 24 hours of each
// other, so at most kCodesPerDayMax * code_attempts guesses in any 24 hours
// (docs/booking.md, "Guessing"); at most kCodesPerRegistrantMax in all, and
// kCodesMax in a campaign, so that stored codes stay bounded.
inline constexpr int kCodesPerDayMax = 5;
inline constexpr int kCodesPerRegistrantMax = 100;
inline constexpr uint32_t kCodesMax = uint32_t{1} << 25;
inline constexpr int kDrawLeadDaysMax = 60;
inline constexpr int kOverbookPermilleMax = 500;  // 50%: seats per slot stay within 16 bits
// Every civil day (birth days included) lies in these years; another gives
// OutOfRange rather than InvalidArgument.
inline constexpr int kYearMin = 1900;
inline constexpr int kYearMax = 2200;

// Priority groups as in the German vaccination ordinance: 1 (e.g. 80+),
// 2, 3, or none.
enum class PriorityGroup : uint8_t { kGroup1 = 1, kGroup2 = 2, kGroup3 = 3, kNone = 4 };
inline constexpr int kPriorityGroupCount = 4;

// How the person registered. Phone registrants are reached by letter.
enum class Channel : uint8_t { kOnline = 0, kPhone = 1 };

enum class RegistrantStatus : uint8_t {
  kWaiting = 0,     // on the waiting list, no active series
  kScheduled = 1,   // holds exactly one active series
  kWithdrawn = 2,   // left the campaign; keeps no series
  kVaccinated = 3,  // every dose of a series given (Registrant::series)
};

enum class SeriesStatus : uint8_t {
  kActive = 0,     // appointments reserved; the doses given so far recorded
  kCancelled = 1,  // ended early; the seats and doses not yet given returned
  kHeld = 2,       // proposed to a self-booker and reserved until hold_expires_at
  kLapsed = 3,     // a hold declined or expired; nothing reserved
  kCompleted = 4,  // every dose given
  kMissed = 5,     // the first dose was missed; the second's seat returned
};

// One appointment's fate. A seat and a dose are reserved while the state is
// kBooked and used once kGiven; kMissed and kReleased give both back.
enum class DoseState : uint8_t {
  kBooked = 0,
  kGiven = 1,
  kMissed = 2,    // the person did not come
  kReleased = 3,  // cancelled, or its hold lapsed
};

// How a series came about.
enum class SeriesOrigin : uint8_t {
  kDraw = 0,         // a waitlist draw (Series::draw)
  kRelease = 1,      // self-booked in a scheduled release (Series::release)
  kShortNotice = 2,  // self-booked from the short-notice pool
  kStandby = 3,      // offered from the standby list
};

struct District {
  DistrictId id = kNoId;
  std::string code;  // e.g. the official district key "06412"
  std::string name;
};

struct VaccineSpec {
  std::string code;  // e.g. "comirnaty"
  std::string name;
  int dose_count = 2;  // 1 or 2
  // Days between first and second dose; ignored when dose_count == 1.
  // The second appointment is placed as close to the target as capacity allows.
  int interval_days_min = 21;
  int interval_days_target = 21;
  int interval_days_max = 42;
  // Eligibility by age on the day of the first dose; 0 = no bound.
  int age_years_min = 0;
  int age_years_max = 0;  // inclusive: 59 means "under 60"
};

struct Vaccine {
  VaccineId id = kNoId;
  VaccineSpec spec;
};

struct CenterSpec {
  std::string code;
  std::string name;
  std::vector<DistrictId> districts;  // the districts whose residents it serves
};

struct Center {
  CenterId id = kNoId;
  CenterSpec spec;
};

// Weekday bits for CapacityBlock::weekdays.
enum WeekdayBit : uint8_t {
  kMonday = 1 << 0, kTuesday = 1 << 1, kWednesday = 1 << 2, kThursday = 1 << 3,
  kFriday = 1 << 4, kSaturday = 1 << 5, kSunday = 1 << 6,
  kEveryDay = 0x7f,
};

// Opening hours of one vaccination line: on each selected weekday in
// [first_day, last_day], slots of slot_minutes from open_minute to
// close_minute (minutes after local midnight), each seating seats_first
// first-dose and seats_second second-dose appointments of one vaccine.
// Adding a block that covers an existing slot adds to its seats.
struct CapacityBlock {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  absl::CivilDay first_day;
  absl::CivilDay last_day;
  uint8_t weekdays = kEveryDay;
  int open_minute = 8 * 60;
  int close_minute = 20 * 60;
  int slot_minutes = 15;
  int seats_first = 0;
  int seats_second = 0;
};

// Doses of one vaccine promised to one center, usable from `day` on.
struct SupplyDelivery {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  absl::CivilDay day;
  int64_t doses = 0;
};

// Tier by priority group for registrations made before `registered_before`
// (exclusive). tier_by_group[g - 1] is the tier of group g (kNone is g = 4).
struct TierRule {
  absl::Time registered_before = absl::InfiniteFuture();
  std::array<uint8_t, kPriorityGroupCount> tier_by_group = {1, 2, 3, 4};
};

// A share of each pool's new first-dose seats in a draw, held for the people
// this category admits (the rationing literature's reserve categories).
struct ReserveCategory {
  std::string name;
  int share_permille = 0;           // of each pool's free first-dose seats in the window
  int age_years_min = 0;            // on the first-dose day; 0 = no bound
  uint8_t group_mask = 0;           // bit (g - 1) admits group g; 0 = every group
  VaccineId vaccine = kNoId;        // only this vaccine's pools; kNoId = every pool
};

enum class ResidenceRule : uint8_t {
  kHomeDistrictOnly = 0,        // only a center serving the home district
  kHomeOrNeighbourDistrict = 1,  // also centers serving a neighbouring district
};

struct Policy {
  // The first rule (ordered by registered_before, ascending) whose bound lies
  // after the registration time gives the tier; a registration after every
  // bound gets its group's number as tier. Hessen's cut-off, "groups 1-3
  // registered up to and including 6 June keep preference, everyone later is
  // one tier": {{7 June 00:00, {1,2,3,4}}, {InfiniteFuture, {4,4,4,4}}}.
  std::vector<TierRule> tier_rules;
  // Processed in this order before the general pool; what a category leaves
  // unused goes to the general pool. See docs/draw.md.
  std::vector<ReserveCategory> reserves;
  ResidenceRule residence = ResidenceRule::kHomeDistrictOnly;
  // Symmetric pairs of neighbouring districts, used with kHomeOrNeighbourDistrict.
  std::vector<std::pair<DistrictId, DistrictId>> neighbours;
  // Days of notice a draw gives, by channel: it offers nobody a first dose
  // before today + lead days (the draw's local day), since the message must
  // reach the person first (a letter takes days). Closer seats stay for
  // short-notice booking and standby. 0: no bound; the window alone decides.
  int draw_lead_days_online = 0;
  int draw_lead_days_phone = 0;
  // Overbooking to absorb expected no-shows: the slots a capacity block
  // opens on a day take its seats plus seats * overbook_permille / 1000
  // (rounded down) appointments of each kind, the extra ones spread over
  // its slots in time order by cumulative rounding (the block's slot k, from
  // 0, gets O((k + 1) * s) - O(k * s) - s more, O(n) = n + n * permille / 1000),
  // so that slots of a few seats overbook too. Doses still bound
  // appointments: never more than delivered.
  int overbook_permille = 0;

  // --- Self-booking (releases and short notice) ----------------------------
  // The IANA zone of the slots' local times: what "today" and "a slot has
  // started" mean for an instant.
  std::string time_zone = "UTC";
  // How long a proposed series stays reserved for the person to confirm.
  absl::Duration hold = absl::Minutes(10);
  // Short-notice first doses lie on today .. today + short_notice_days - 1;
  // 0 turns short-notice booking off. Online registrants only.
  int short_notice_days = 0;
  // How long a standby offer stays open.
  absl::Duration standby_hold = absl::Minutes(30);
  // One-time codes confirming an online cancellation or withdrawal.
  int code_digits = 6;
  absl::Duration code_lifetime = absl::Minutes(15);
  int code_attempts = 3;  // wrong entries before the code locks
};

struct RegistrantSpec {
  std::string external_ref;  // the host's unique, stable key for the person
  DistrictId district = kNoId;
  absl::CivilDay birth_day;
  PriorityGroup group = PriorityGroup::kNone;
  Channel channel = Channel::kOnline;
  absl::Time registered_at;
  VaccineId vaccine_preference = kNoId;  // kNoId: any vaccine
  // Can come at short notice (within Policy::standby_hold) when doses are
  // left at the end of a day: on the standby list.
  bool standby = false;
};

struct Registrant {
  RegistrantId id = kNoId;
  // After Engine::DeleteRegistration what names the person is erased
  // (external_ref empty, birth_day 1970-01-01); district, group, channel,
  // registration time, preference and the series stay for the statistics.
  RegistrantSpec spec;
  bool erased = false;
  RegistrantStatus status = RegistrantStatus::kWaiting;
  absl::Time waiting_since;  // when the person (re-)entered the waiting list
  SeriesId series = kNoId;   // the active series, when kScheduled
};

// One appointment: a seat in the slot starting `minute` after local midnight.
struct Appointment {
  absl::CivilDay day;
  int minute = 0;
};

struct Series {
  SeriesId id = kNoId;
  RegistrantId registrant = kNoId;
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;
  int dose_count = 0;
  std::array<Appointment, kDoseCountMax> appointments;  // [0, dose_count) used
  std::array<DoseState, kDoseCountMax> doses{};         // [0, dose_count) used
  SeriesStatus status = SeriesStatus::kActive;
  absl::Time booked_at;
  SeriesOrigin origin = SeriesOrigin::kDraw;
  DrawId draw = kNoId;   // the draw that assigned it, if any
  uint8_t tier = 0;      // the registrant's tier in that draw
  uint8_t category = 0;  // 0: general pool; k: policy reserve k - 1
  ReleaseId release = kNoId;  // the release it was booked in, if any
  // While kHeld: the instant the hold lapses unless confirmed.
  absl::Time hold_expires_at = absl::InfinitePast();
  // A short-notice hold: the registrant's later series that confirming cancels.
  SeriesId replaces = kNoId;
};

// Capacity held back from draws and opened for self-booking (first come,
// first served) at an announced instant: first-dose seats of one center on
// [first_day, last_day]. Second doses go wherever the interval fits.
struct ReleaseSpec {
  CenterId center = kNoId;
  VaccineId vaccine = kNoId;  // kNoId: every vaccine of the center
  absl::CivilDay first_day;
  absl::CivilDay last_day;
  absl::Time release_at;           // invisible and unbookable before
  uint32_t first_dose_cap = 0;     // series it may give out; 0: seats decide
};

struct Release {
  ReleaseId id = kNoId;
  ReleaseSpec spec;
  uint32_t booked = 0;  // series held, active, completed or missed that count against the cap
};

enum class BookingMode : uint8_t {
  kRelease = 0,      // a first-dose day inside an opened release
  kShortNotice = 1,  // a first-dose day within Policy::short_notice_days
  // Today, any seat left (also in a slot that has begun: the person comes
  // within Policy::standby_hold); standby registrants only.
  kStandby = 2,
};

// A self-booking: the library proposes the earliest fitting series and holds
// it for Policy::hold (or books it at once with `confirm`).
struct BookingRequest {
  RegistrantId registrant = kNoId;
  absl::Time at;  // "now"; slots starting before it are not offered
  BookingMode mode = BookingMode::kRelease;
  CenterId center = kNoId;    // kNoId: any center the registrant may use
  VaccineId vaccine = kNoId;  // kNoId: the registrant's preference, else any
  // First-dose days to look at; unset: from today on / without end.
  absl::CivilDay first_dose_from = absl::CivilDay(kYearMin, 1, 1);
  absl::CivilDay first_dose_until = absl::CivilDay(kYearMax, 12, 31);
  bool confirm = false;  // book at once: no hold, one transaction
};

enum class DoseOutcome : uint8_t { kGiven = 1, kMissed = 2 };

// A missed second appointment that RebookSecondDose replaced in its series:
// kept so that the no-show still counts (Attendance, Report::doses_missed).
struct ReplacedNoShow {
  SeriesId series = kNoId;
  Appointment appointment;  // the missed one (its seat and dose were given back)
  absl::Time rebooked_at;
};

// What the host must act on (send a letter, an SMS, an e-mail). Store keeps
// them in a transactional outbox (store.h).
enum class EventKind : uint8_t {
  kSeriesAssigned = 1,       // a draw gave the registrant a series
  kSeriesCancelled = 2,      // the series was cancelled (also by a withdrawal or a swap)
  kRegistrantWithdrawn = 3,  // the registrant left; personal data may go
  kSeriesBooked = 4,         // a self-booking or short-notice swap was confirmed
  kSecondDoseRebooked = 5,   // a missed second dose got a new appointment
  kCodeIssued = 6,           // send Event::code to the registrant's phone
};

// What a one-time verification code confirms.
enum class CodePurpose : uint8_t {
  kCancelSeries = 1,  // cancel VerificationCode::series
  kWithdraw = 2,      // delete the registration (Engine::DeleteRegistration)
};

enum class CodeState : uint8_t {
  kPending = 0,
  kUsed = 1,        // verified; its action is done
  kLocked = 2,      // too many wrong attempts
  kSuperseded = 3,  // a newer code for the same registrant and purpose
};

// A code as the engine keeps it: never the code itself, only a salted hash
// (SipHash-2-4 keyed by the random salt over the code's digits).
struct VerificationCode {
  CodeId id = kNoId;
  RegistrantId registrant = kNoId;
  CodePurpose purpose = CodePurpose::kCancelSeries;
  SeriesId series = kNoId;  // for kCancelSeries
  absl::Time issued_at;
  absl::Time expires_at;
  uint8_t attempts = 0;  // wrong codes entered so far
  CodeState state = CodeState::kPending;
  uint64_t salt0 = 0;
  uint64_t salt1 = 0;
  uint64_t hash = 0;
};

// Why a code was not accepted.
enum class CodeOutcome : uint8_t {
  kAccepted = 0,
  kWrong = 1,     // counted as an attempt
  kExpired = 2,
  kLocked = 3,    // no attempts left
  kNotPending = 4,  // used or superseded
};

struct Event {
  uint64_t id = 0;  // ascending in commit order, never reused (0: not yet written)
  EventKind kind = EventKind::kSeriesAssigned;
  absl::Time at;    // the change's instant; for kSeriesAssigned the draw's `at`
  RegistrantId registrant = kNoId;
  // For kRegistrantWithdrawn: the series the withdrawal cancelled, or kNoId.
  SeriesId series = kNoId;
  DrawId draw = kNoId;  // for kSeriesAssigned
  // For kCodeIssued: the code to send, kept only until the event is
  // acknowledged (the engine keeps a salted hash).
  CodeId code_id = kNoId;
  std::string code;
};

// The SipHash-2-4 key that decides a draw's lottery numbers. Publish it
// after the draw so that anyone can recompute the winners.
struct DrawSeed {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
  friend bool operator==(const DrawSeed&, const DrawSeed&) = default;
};

struct DrawRequest {
  DrawSeed seed;
  absl::Time at;                    // "now": only people waiting by then take part
  absl::CivilDay first_dose_from;   // window for first doses, inclusive
  absl::CivilDay first_dose_until;
  std::vector<CenterId> centers;    // empty: every center
  uint32_t series_limit = 0;        // 0: as many as capacity allows
};

struct TierCount {
  uint32_t eligible = 0;  // waiting people of the tier who took part
  uint32_t assigned = 0;
};

// What every draw leaves behind for an audit: its inputs and winners.
struct DrawRecord {
  DrawId id = kNoId;
  DrawRequest request;
  uint32_t policy_version = 0;
  std::array<TierCount, kTierMax> tiers{};  // [t - 1] for tier t
  std::vector<SeriesId> series;             // in assignment order
  // The commitment a committed draw revealed; kNoId for a plain draw, whose
  // seed the host chose (docs/draw.md section 9).
  CommitmentId commitment = kNoId;
};

// --- Committed draws (docs/draw.md sections 9-11) ----------------------------
inline constexpr size_t kBeaconNameMax = 256;    // bytes: which public randomness
inline constexpr size_t kBeaconValueMax = 1024;  // bytes of its value (drand: 32, NIST: 64)
inline constexpr size_t kAbandonReasonMax = 256;
inline constexpr size_t kLibraryVersionMax = 31;  // bytes of "MAJOR.MINOR.PATCH..."

// Whether registration time influenced who won a committed draw, tier by
// tier (docs/draw.md section 13): a chi-square test of independence between
// winning and the candidate's registration-time bucket.
inline constexpr int kFairnessBucketsMax = 100;

struct TierFairness {
  int tier = 0;
  uint32_t candidates = 0;
  uint32_t winners = 0;
  int buckets = 0;  // equal-count buckets by registration time, each expecting >= 5
  double chi_square = 0;
  int degrees_of_freedom = 0;  // buckets - 1
};

struct DrawFairness {
  CommitmentId commitment = kNoId;
  int buckets = 0;                  // asked for: the most any tier uses
  std::vector<TierFairness> tiers;  // the tiers that could be tested
  double chi_square = 0;            // summed over them
  int degrees_of_freedom = 0;
  // P(chi-square >= the statistic) if registration time had no influence;
  // 1 when no tier could be tested. Publish it with the bundle.
  double p_value = 1;
};

enum class CommitmentStatus : uint8_t {
  kPending = 0,    // committed; waiting for the beacon value
  kRevealed = 1,   // the draw ran with the seed commitment and beacon gave
  kAbandoned = 2,  // closed unrevealed (its inputs changed, or the host gave up)
};

// A draw frozen before its seed exists: the request, the public randomness
// it will use, and the SHA-256 of everything the draw reads.
struct DrawCommitment {
  CommitmentId id = kNoId;
  DrawRequest request;  // seed unset until revealed; then the seed used
  std::string beacon;   // names the future public randomness, e.g. a drand round
  // The library that made it (the inputs' header): every process following
  // the campaign, and the reveal, build the inputs with this one.
  std::string library_version;
  std::array<uint8_t, 32> commitment{};  // SHA-256 of the inputs
  uint32_t policy_version = 0;
  uint64_t input_bytes = 0;  // length of the inputs
  CommitmentStatus status = CommitmentStatus::kPending;
  // Revealed: the beacon's value, the draw it ran; abandoned: the reason.
  std::string beacon_value;
  DrawId draw = kNoId;
  std::string abandon_reason;
  // Abandoned while its inputs were still the committed ones: it could have
  // been revealed. A host that abandons after the beacon's value is out may
  // be shopping for a seed: auditors look here (docs/draw.md section 9).
  bool abandoned_unchanged = false;
  absl::Time settled_at = absl::InfinitePast();  // revealed or abandoned at
};

}  // namespace vaxalloc

#endif  // VAXALLOC_TYPES_H_
