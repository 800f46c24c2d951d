// Self-booking (scheduled releases and the short-notice pool), holds, and
// attendance: the flows of docs/booking.md.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "src/engine_state.h"
#include "src/placement.h"
#include "vaxalloc/engine.h"

namespace vaxalloc {
namespace {

using internal::BirthdayOfAge;
using internal::DayNumber;
using internal::Pool;
using internal::RegistrantRow;
using internal::ToCivilDay;
using internal::ToDayNumber;

// "Now" in the slots' local time.
struct LocalNow {
  DayNumber day = 0;
  int second = 0;  // of the day

  explicit LocalNow(const Engine::State& state, absl::Time at) {
    const absl::CivilSecond local = absl::ToCivilSecond(at, state.time_zone);
    day = ToDayNumber(absl::CivilDay(local));
    second = local.hour() * 3600 + local.minute() * 60 + local.second();
  }
  // The first slot minute on `day` that has not started yet.
  int MinuteFrom(DayNumber on) const { return on == day ? (second + 59) / 60 : 0; }
};

constexpr DayNumber kNoDay = std::numeric_limits<DayNumber>::max();

std::string FormatDay(DayNumber day) { return absl::FormatCivilTime(ToCivilDay(day)); }

absl::Status CheckNow(const Engine::State& state, std::string_view what, absl::Time at) {
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime(what, at));
  // A stamp at or before the latest draw would change who took part in it.
  return internal::CheckAfterLatestDraw(state, what, at, false);
}

absl::StatusOr<const Series*> FindSeries(const Engine::State& state, SeriesId id) {
  if (id == kNoId || id > state.series.size()) {
    return absl::NotFoundError(fmt::format("unknown series id {}", id));
  }
  return &state.series[id - 1];
}

// The hold rows that lapse by `at_us`, oldest first.
std::vector<Series> DueHolds(const Engine::State& state, int64_t at_us) {
  std::vector<Series> lapsed;
  for (const auto& [expires_us, id] : state.holds_by_expiry) {
    if (expires_us > at_us) break;
    lapsed.push_back(internal::LapsedRow(state.series[id - 1]));
  }
  return lapsed;
}

// The earliest series a self-booker may take, searched in one pool.
struct Placement {
  uint32_t pool = 0;
  DayNumber d1 = 0;
  int m1 = 0;
  DayNumber d2 = 0;
  int m2 = 0;
  ReleaseId release = kNoId;
};

class BookingSearch {
 public:
  BookingSearch(const Engine::State& state, const BookingRequest& request,
                const std::vector<Series>& lapsing)
      : state_(state),
        request_(request),
        policy_(state.current_policy().policy),
        now_(state, request.at),
        lapsing_(lapsing) {}

  // The earliest first-dose day over every pool the registrant may use; on a
  // tie, the pool that comes first in preference order.
  // `before`: a swap's first dose must come before this day (kNoDay: none).
  absl::StatusOr<Placement> Run(const RegistrantRow& registrant, DayNumber before) {
    const std::vector<CenterId> centers =
        internal::CentersFor(state_, policy_, registrant.district);
    if (request_.center != kNoId &&
        std::find(centers.begin(), centers.end(), request_.center) == centers.end()) {
      return absl::FailedPreconditionError(fmt::format(
          "center {} does not serve registrant {}'s district", request_.center, registrant_id_));
    }
    const VaccineId vaccine =
        request_.vaccine != kNoId ? request_.vaccine : registrant.vaccine_preference;
    DayNumber lo = std::max(now_.day, ToDayNumber(request_.first_dose_from));
    DayNumber hi = ToDayNumber(request_.first_dose_until);
    if (before != kNoDay) hi = std::min(hi, before - 1);
    if (request_.mode == BookingMode::kShortNotice) {
      hi = std::min(hi, now_.day + policy_.short_notice_days - 1);
    } else if (request_.mode == BookingMode::kStandby) {
      hi = std::min(hi, now_.day);
    }
    std::optional<Placement> best;
    bool cap_reached = false;
    for (CenterId center : centers) {
      if (request_.center != kNoId && center != request_.center) continue;
      for (uint32_t p : state_.pools_by_center[center - 1]) {
        const Pool& stored = state_.pools[p];
        if (vaccine != kNoId && stored.vaccine != vaccine) continue;
        if (stored.days.empty()) continue;
        const VaccineSpec& spec = state_.vaccines[stored.vaccine - 1].spec;
        DayNumber pool_lo = std::max(lo, stored.first_day);
        DayNumber pool_hi = std::min(hi, internal::LastDay(stored));
        if (spec.age_years_min > 0) {
          pool_lo = std::max(pool_lo, BirthdayOfAge(registrant.birth_day, spec.age_years_min));
        }
        if (spec.age_years_max > 0) {
          pool_hi =
              std::min(pool_hi, BirthdayOfAge(registrant.birth_day, spec.age_years_max + 1) - 1);
        }
        if (best) pool_hi = std::min(pool_hi, best->d1 - 1);  // only an earlier day can win
        if (pool_lo > pool_hi) continue;
        const Pool& pool = Lapsed(p);
        std::optional<Placement> found;
        if (request_.mode == BookingMode::kRelease) {
          found = SearchReleases(p, pool, spec, pool_lo, pool_hi, cap_reached);
        } else {
          found = Search(p, pool, spec, pool_lo, pool_hi, kNoId);
        }
        if (found) best = found;
      }
    }
    if (best) return *best;
    if (cap_reached) {
      return absl::ResourceExhaustedError(
          fmt::format("no free series for registrant {}: the open releases have reached their caps",
                      registrant_id_));
    }
    const std::string days = request_.first_dose_until == BookingRequest{}.first_dose_until &&
                                     before == kNoDay && request_.mode == BookingMode::kRelease
                                 ? fmt::format("from {} on", FormatDay(lo))
                                 : fmt::format("on {} .. {}", FormatDay(lo), FormatDay(hi));
    const char* where = request_.mode == BookingMode::kRelease       ? "in an open release"
                        : request_.mode == BookingMode::kShortNotice ? "in the short-notice pool"
                                                                     : "left today";
    return absl::ResourceExhaustedError(fmt::format(
        "no free series for registrant {} with a first dose {} ({})", registrant_id_, days, where));
  }

  void set_registrant(RegistrantId id) { registrant_id_ = id; }

 private:
  // The pool as it is once the lapsing holds have given their seats back.
  const Pool& Lapsed(uint32_t p) {
    const Pool& stored = state_.pools[p];
    bool touched = false;
    for (const Series& hold : lapsing_) {
      touched |= hold.center == stored.center && hold.vaccine == stored.vaccine;
    }
    if (!touched) return stored;
    scratch_ = stored;
    for (const Series& hold : lapsing_) {
      if (hold.center != stored.center || hold.vaccine != stored.vaccine) continue;
      const Series& booked = state_.series[hold.id - 1];
      for (int dose = 0; dose < booked.dose_count; ++dose) {
        if (!internal::HoldsSeat(booked.doses[dose])) continue;
        scratch_.Unbook(ToDayNumber(booked.appointments[dose].day),
                        booked.appointments[dose].minute, dose > 0);
      }
    }
    return scratch_;
  }

  std::optional<Placement> SearchReleases(uint32_t p, const Pool& pool, const VaccineSpec& spec,
                                          DayNumber lo, DayNumber hi, bool& cap_reached) {
    std::optional<Placement> best;
    const int64_t at_us = internal::ToMicros(request_.at);
    for (ReleaseId id : state_.releases_by_center[pool.center - 1]) {
      const Release& release = state_.releases[id - 1];
      if (release.spec.vaccine != kNoId && release.spec.vaccine != pool.vaccine) continue;
      if (internal::ToMicros(release.spec.release_at) > at_us) continue;  // not yet visible
      const DayNumber from = std::max(lo, ToDayNumber(release.spec.first_day));
      const DayNumber until =
          std::min(best ? best->d1 - 1 : hi, ToDayNumber(release.spec.last_day));
      if (from > until) continue;
      uint32_t booked = release.booked;
      for (const Series& hold : lapsing_)
        booked -= hold.release == id;  // they give their place back
      if (release.spec.first_dose_cap != 0 && booked >= release.spec.first_dose_cap) {
        cap_reached = true;
        continue;
      }
      if (auto found = Search(p, pool, spec, from, until, id)) best = found;
    }
    return best;
  }

  std::optional<Placement> Search(uint32_t p, const Pool& pool, const VaccineSpec& spec,
                                  DayNumber lo, DayNumber hi, ReleaseId release) const {
    for (DayNumber d1 = lo; d1 <= hi; ++d1) {
      // Short notice leaves release days to their releases; standby takes
      // any seat left today, even in a slot that has begun, but not from a
      // release before it opens.
      const bool standby = request_.mode == BookingMode::kStandby;
      if (request_.mode == BookingMode::kShortNotice && HeldByRelease(pool, d1, false)) continue;
      if (standby && HeldByRelease(pool, d1, true)) continue;
      const int m1 = internal::FreeSlotMinute(pool, d1, false, standby ? 0 : now_.MinuteFrom(d1));
      if (m1 < 0) continue;
      const std::optional<DayNumber> d2 = internal::SecondDoseDay(pool, spec, d1);
      if (!d2) continue;
      Placement placement{p, d1, m1, *d2, 0, release};
      if (spec.dose_count == 2) placement.m2 = internal::FreeSlotMinute(pool, *d2, true);
      VAXALLOC_ASSERT(placement.m2 >= 0);
      return placement;
    }
    return std::nullopt;
  }

  // Whether a release of the pool covers `day` (only one not open yet at
  // the request's instant, with unopened_only).
  bool HeldByRelease(const Pool& pool, DayNumber day, bool unopened_only) const {
    for (ReleaseId id : state_.releases_by_center[pool.center - 1]) {
      const ReleaseSpec& release = state_.releases[id - 1].spec;
      if (release.vaccine != kNoId && release.vaccine != pool.vaccine) continue;
      if (unopened_only && release.release_at <= request_.at) continue;
      if (day >= ToDayNumber(release.first_day) && day <= ToDayNumber(release.last_day)) {
        return true;
      }
    }
    return false;
  }

  const Engine::State& state_;
  const BookingRequest& request_;
  const Policy& policy_;
  const LocalNow now_;
  const std::vector<Series>& lapsing_;
  RegistrantId registrant_id_ = kNoId;
  Pool scratch_;
};

// The events a confirmed booking leaves for the host.
void AddBookedEvents(SeriesChange& change, const Series& booked, SeriesId replaced, absl::Time at) {
  if (replaced != kNoId) {
    change.events.push_back(
        internal::MakeEvent(EventKind::kSeriesCancelled, at, booked.registrant, replaced));
  }
  change.events.push_back(
      internal::MakeEvent(EventKind::kSeriesBooked, at, booked.registrant, booked.id));
}

// Confirms `booked` (a new or held row) into `change`: the registrant is
// scheduled and a replaced series cancelled.
void Confirm(const Engine::State& state, Series booked, absl::Time at, SeriesChange& change) {
  booked.status = SeriesStatus::kActive;
  booked.hold_expires_at = absl::InfinitePast();
  const SeriesId replaced = booked.replaces;
  if (replaced != kNoId) {
    change.series.push_back(internal::CancelledRow(state.series[replaced - 1]));
  }
  change.series.push_back(booked);
  change.registrants.push_back(RegistrantUpdate{
      booked.registrant, RegistrantStatus::kScheduled, booked.id,
      internal::FromMicros(state.registrants[booked.registrant - 1].waiting_since_us)});
  AddBookedEvents(change, booked, replaced, at);
}

// Whether a registrant's series may be swapped for a short-notice one: it is
// active and its first dose still to come.
bool Swappable(const Series& series) {
  return series.status == SeriesStatus::kActive && series.doses[0] == DoseState::kBooked;
}

}  // namespace

// ---------------------------------------------------------------------------
// Releases

absl::StatusOr<Prepared<Release>> Engine::PrepareAddRelease(const ReleaseSpec& spec) const {
  if (spec.center == kNoId || spec.center > state_->centers.size()) {
    return absl::NotFoundError(fmt::format("release: unknown center id {}", spec.center));
  }
  if (spec.vaccine != kNoId && spec.vaccine > state_->vaccines.size()) {
    return absl::NotFoundError(fmt::format("release: unknown vaccine id {}", spec.vaccine));
  }
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDay("release: first_day", spec.first_day));
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDay("release: last_day", spec.last_day));
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime("release: release_at", spec.release_at));
  // Opening before the latest draw would claim days that draw could use; it
  // also lets CheckInvariants know which releases a draw had to respect.
  VAXALLOC_RETURN_IF_ERROR(
      internal::CheckAfterLatestDraw(*state_, "release: release_at", spec.release_at, true));
  if (spec.last_day < spec.first_day) {
    return absl::InvalidArgumentError(fmt::format("release: last_day {} is before first_day {}",
                                                  absl::FormatCivilTime(spec.last_day),
                                                  absl::FormatCivilTime(spec.first_day)));
  }
  if (spec.last_day - spec.first_day + 1 > kCapacityBlockDaysMax) {
    return absl::InvalidArgumentError(
        fmt::format("release: spans more than {} days", kCapacityBlockDaysMax));
  }
  for (ReleaseId id : state_->releases_by_center[spec.center - 1]) {
    const ReleaseSpec& other = state_->releases[id - 1].spec;
    const bool vaccines_meet =
        spec.vaccine == kNoId || other.vaccine == kNoId || spec.vaccine == other.vaccine;
    if (vaccines_meet && spec.first_day <= other.last_day && other.first_day <= spec.last_day) {
      return absl::AlreadyExistsError(fmt::format(
          "release: days {} .. {} overlap release {} of the same center",
          absl::FormatCivilTime(spec.first_day), absl::FormatCivilTime(spec.last_day), id));
    }
  }
  if (state_->releases.size() >= std::numeric_limits<ReleaseId>::max() - 1) {
    return absl::ResourceExhaustedError("release ids exhausted");
  }
  Release release;
  release.id = static_cast<ReleaseId>(state_->releases.size() + 1);
  release.spec = spec;
  release.spec.release_at = internal::FromMicros(internal::ToMicros(spec.release_at));
  return Prepared<Release>{state_->revision, std::move(release)};
}

void Engine::Apply(const Prepared<Release>& prepared) {
  VAXALLOC_ASSERT(prepared.revision == state_->revision);
  VAXALLOC_ASSERT(prepared.change.id == state_->releases.size() + 1);
  state_->releases.push_back(prepared.change);
  state_->releases.back().booked = 0;
  state_->releases_by_center[prepared.change.spec.center - 1].push_back(prepared.change.id);
  ++state_->revision;
}

// ---------------------------------------------------------------------------
// Booking and holds

absl::StatusOr<Prepared<SeriesChange>> Engine::PrepareBook(const BookingRequest& request) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(CheckNow(state, "booking: `at`", request.at));
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDay("booking: first_dose_from", request.first_dose_from));
  VAXALLOC_RETURN_IF_ERROR(
      internal::CheckDay("booking: first_dose_until", request.first_dose_until));
  if (request.first_dose_until < request.first_dose_from) {
    return absl::InvalidArgumentError(
        fmt::format("booking: first_dose_until {} is before first_dose_from {}",
                    absl::FormatCivilTime(request.first_dose_until),
                    absl::FormatCivilTime(request.first_dose_from)));
  }
  if (request.mode != BookingMode::kRelease && request.mode != BookingMode::kShortNotice &&
      request.mode != BookingMode::kStandby) {
    return absl::InvalidArgumentError(
        fmt::format("booking: unknown mode {}", static_cast<int>(request.mode)));
  }
  const RegistrantId id = request.registrant;
  if (id == kNoId || id > state.registrants.size()) {
    return absl::NotFoundError(fmt::format("booking: unknown registrant id {}", id));
  }
  if (request.center != kNoId && request.center > state.centers.size()) {
    return absl::NotFoundError(fmt::format("booking: unknown center id {}", request.center));
  }
  if (request.vaccine != kNoId && request.vaccine > state.vaccines.size()) {
    return absl::NotFoundError(fmt::format("booking: unknown vaccine id {}", request.vaccine));
  }
  const Policy& policy = state.current_policy().policy;
  const RegistrantRow& row = state.registrants[id - 1];
  if (request.vaccine != kNoId && row.vaccine_preference != kNoId &&
      request.vaccine != row.vaccine_preference) {
    return absl::FailedPreconditionError(
        fmt::format("booking: registrant {} registered for vaccine {} only, not vaccine {}", id,
                    row.vaccine_preference, request.vaccine));
  }
  const int64_t at_us = internal::ToMicros(request.at);
  if (row.registered_at_us > at_us) {
    return absl::FailedPreconditionError(
        fmt::format("booking: registrant {} registers only after `at`", id));
  }
  std::vector<Series> lapsing = DueHolds(state, at_us);
  if (auto hold = state.hold_by_registrant.find(id); hold != state.hold_by_registrant.end()) {
    const bool lapses = std::any_of(lapsing.begin(), lapsing.end(),
                                    [&](const Series& s) { return s.id == hold->second; });
    if (!lapses) {
      return absl::FailedPreconditionError(
          fmt::format("booking: registrant {} already holds series {}; confirm or decline it first",
                      id, hold->second));
    }
  }
  DayNumber before = kNoDay;  // a swap must bring the first dose forward
  SeriesId replaces = kNoId;
  if (request.mode == BookingMode::kShortNotice) {
    if (policy.short_notice_days == 0) {
      return absl::FailedPreconditionError(
          "booking: short-notice booking is off (policy short_notice_days is 0)");
    }
    if (row.channel != Channel::kOnline) {
      return absl::FailedPreconditionError(fmt::format(
          "booking: registrant {} registered by phone; a short-notice appointment would be "
          "confirmed by letter, which cannot arrive in time",
          id));
    }
    if (row.status == RegistrantStatus::kScheduled) {
      const Series& current = state.series[row.series - 1];
      if (!Swappable(current)) {
        return absl::FailedPreconditionError(fmt::format(
            "booking: registrant {} has had a first dose; short notice is for first doses", id));
      }
      replaces = current.id;
      before = ToDayNumber(current.appointments[0].day);
    } else if (row.status != RegistrantStatus::kWaiting) {
      return absl::FailedPreconditionError(
          fmt::format("booking: registrant {} is neither waiting nor scheduled", id));
    }
  } else if (row.status != RegistrantStatus::kWaiting) {
    return absl::FailedPreconditionError(
        fmt::format("booking: registrant {} is not waiting (cancel the current series first)", id));
  } else if (request.mode == BookingMode::kStandby && !row.standby) {
    return absl::FailedPreconditionError(
        fmt::format("booking: registrant {} is not on the standby list", id));
  }

  BookingSearch search(state, request, lapsing);
  search.set_registrant(id);
  absl::StatusOr<Placement> placement = search.Run(row, before);
  if (!placement.ok()) return placement.status();

  const Pool& pool = state.pools[placement->pool];
  Series series;
  series.id = static_cast<SeriesId>(state.series.size() + 1);
  series.registrant = id;
  series.center = pool.center;
  series.vaccine = pool.vaccine;
  series.dose_count = state.vaccines[pool.vaccine - 1].spec.dose_count;
  series.appointments[0] = Appointment{ToCivilDay(placement->d1), placement->m1};
  if (series.dose_count == 2) {
    series.appointments[1] = Appointment{ToCivilDay(placement->d2), placement->m2};
  }
  series.status = SeriesStatus::kHeld;
  series.booked_at = internal::FromMicros(at_us);
  series.origin = request.mode == BookingMode::kRelease       ? SeriesOrigin::kRelease
                  : request.mode == BookingMode::kShortNotice ? SeriesOrigin::kShortNotice
                                                              : SeriesOrigin::kStandby;
  series.tier = static_cast<uint8_t>(internal::TierOf(policy, row.group, row.registered_at_us));
  series.release = placement->release;
  const absl::Duration hold =
      request.mode == BookingMode::kStandby ? policy.standby_hold : policy.hold;
  series.hold_expires_at = internal::FromMicros(at_us + absl::ToInt64Microseconds(hold));
  series.replaces = replaces;

  Prepared<SeriesChange> prepared{state.revision, {}};
  SeriesChange& change = prepared.change;
  change.at = internal::FromMicros(at_us);
  change.holds_lapsed = static_cast<uint32_t>(lapsing.size());
  change.series = std::move(lapsing);
  change.subject = series.id;
  if (request.confirm) {
    Confirm(state, series, series.booked_at, change);
  } else {
    change.series.push_back(series);
  }
  return prepared;
}

absl::StatusOr<Prepared<SeriesChange>> Engine::PrepareConfirmHold(SeriesId hold,
                                                                  absl::Time at) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(CheckNow(state, "confirmation time", at));
  absl::StatusOr<const Series*> found = FindSeries(state, hold);
  if (!found.ok()) return found.status();
  const Series& series = **found;
  if (series.status != SeriesStatus::kHeld) {
    return absl::FailedPreconditionError(fmt::format("series {} is not a hold", hold));
  }
  const absl::Time now = internal::FromMicros(internal::ToMicros(at));
  if (series.hold_expires_at <= now) {
    return absl::FailedPreconditionError(
        fmt::format("hold {} lapsed at {}", hold,
                    std::string(absl::FormatTime(absl::RFC3339_full, series.hold_expires_at,
                                                 absl::UTCTimeZone()))));
  }
  const RegistrantRow& row = state.registrants[series.registrant - 1];
  if (series.replaces != kNoId) {
    if (row.series != series.replaces || !Swappable(state.series[series.replaces - 1])) {
      return absl::FailedPreconditionError(
          fmt::format("hold {} was to replace series {}, which has changed since; decline the hold",
                      hold, series.replaces));
    }
  } else if (row.status != RegistrantStatus::kWaiting) {
    return absl::FailedPreconditionError(fmt::format(
        "registrant {} is no longer waiting; decline hold {}", series.registrant, hold));
  }
  Prepared<SeriesChange> prepared{state.revision, {}};
  prepared.change.at = now;
  prepared.change.subject = hold;
  Confirm(state, series, now, prepared.change);
  return prepared;
}

absl::StatusOr<Prepared<SeriesChange>> Engine::PrepareDeclineHold(SeriesId hold,
                                                                  absl::Time at) const {
  VAXALLOC_RETURN_IF_ERROR(CheckNow(*state_, "decline time", at));
  absl::StatusOr<const Series*> found = FindSeries(*state_, hold);
  if (!found.ok()) return found.status();
  if ((*found)->status != SeriesStatus::kHeld) {
    return absl::FailedPreconditionError(fmt::format("series {} is not a hold", hold));
  }
  Prepared<SeriesChange> prepared{state_->revision, {}};
  prepared.change.at = internal::FromMicros(internal::ToMicros(at));
  prepared.change.subject = hold;
  prepared.change.series.push_back(internal::LapsedRow(**found));
  return prepared;
}

absl::StatusOr<Prepared<SeriesChange>> Engine::PrepareExpireHolds(absl::Time at) const {
  VAXALLOC_RETURN_IF_ERROR(CheckNow(*state_, "expiry time", at));
  Prepared<SeriesChange> prepared{state_->revision, {}};
  prepared.change.at = internal::FromMicros(internal::ToMicros(at));
  prepared.change.series = DueHolds(*state_, internal::ToMicros(at));
  prepared.change.holds_lapsed = static_cast<uint32_t>(prepared.change.series.size());
  return prepared;
}

// ---------------------------------------------------------------------------
// Attendance

absl::StatusOr<Prepared<SeriesChange>> Engine::PrepareRecordDose(SeriesId series_id, int dose,
                                                                 DoseOutcome outcome,
                                                                 absl::Time at) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(CheckNow(state, "attendance time", at));
  absl::StatusOr<const Series*> found = FindSeries(state, series_id);
  if (!found.ok()) return found.status();
  Series series = **found;
  if (outcome != DoseOutcome::kGiven && outcome != DoseOutcome::kMissed) {
    return absl::InvalidArgumentError(
        fmt::format("attendance: unknown outcome {}", static_cast<int>(outcome)));
  }
  if (dose < 1 || dose > series.dose_count) {
    return absl::InvalidArgumentError(fmt::format("attendance: series {} has doses 1..{}, not {}",
                                                  series_id, series.dose_count, dose));
  }
  if (series.status != SeriesStatus::kActive)
    return internal::NotActiveError(series_id, series.status);
  const int i = dose - 1;
  if (series.doses[i] != DoseState::kBooked) {
    return absl::FailedPreconditionError(
        fmt::format("attendance: dose {} of series {} is already recorded", dose, series_id));
  }
  if (i == 1 && series.doses[0] != DoseState::kGiven) {
    return absl::FailedPreconditionError(
        fmt::format("attendance: dose 2 of series {} before dose 1 was given", series_id));
  }
  const LocalNow now(state, at);
  const DayNumber day = ToDayNumber(series.appointments[i].day);
  if (day > now.day || (day == now.day && series.appointments[i].minute * 60 > now.second)) {
    return absl::FailedPreconditionError(
        fmt::format("attendance: dose {} of series {} is on {} at {:02}:{:02}, which has not begun",
                    dose, series_id, FormatDay(day), series.appointments[i].minute / 60,
                    series.appointments[i].minute % 60));
  }
  const absl::Time stamp = internal::FromMicros(internal::ToMicros(at));
  const RegistrantRow& row = state.registrants[series.registrant - 1];
  Prepared<SeriesChange> prepared{state.revision, {}};
  SeriesChange& change = prepared.change;
  change.at = stamp;
  change.subject = series_id;
  // A short-notice swap of this series can never be confirmed once its first
  // dose is given or missed: the hold lapses with this change.
  if (auto hold = state.hold_by_registrant.find(series.registrant);
      i == 0 && hold != state.hold_by_registrant.end()) {
    change.series.push_back(internal::LapsedRow(state.series[hold->second - 1]));
  }
  if (outcome == DoseOutcome::kGiven) {
    series.doses[i] = DoseState::kGiven;
    if (dose == series.dose_count) {
      series.status = SeriesStatus::kCompleted;
      change.registrants.push_back(RegistrantUpdate{series.registrant,
                                                    RegistrantStatus::kVaccinated, series_id,
                                                    internal::FromMicros(row.waiting_since_us)});
    }
  } else if (i == 0) {
    // Without a first dose the second has no use: the seat goes back and the
    // person waits again.
    series.doses[0] = DoseState::kMissed;
    if (series.dose_count == 2) series.doses[1] = DoseState::kReleased;
    series.status = SeriesStatus::kMissed;
    change.registrants.push_back(
        RegistrantUpdate{series.registrant, RegistrantStatus::kWaiting, kNoId, stamp});
  } else {
    series.doses[1] = DoseState::kMissed;  // RebookSecondDose gives a new appointment
  }
  change.series.push_back(series);
  return prepared;
}

absl::StatusOr<Prepared<SeriesChange>> Engine::PrepareRebookSecondDose(SeriesId series_id,
                                                                       absl::Time at) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(CheckNow(state, "rebooking time", at));
  absl::StatusOr<const Series*> found = FindSeries(state, series_id);
  if (!found.ok()) return found.status();
  Series series = **found;
  if (series.status != SeriesStatus::kActive || series.dose_count != 2 ||
      series.doses[1] != DoseState::kMissed) {
    return absl::FailedPreconditionError(
        fmt::format("series {} has no missed second dose to rebook", series_id));
  }
  const Pool* pool = state.FindPool(series.center, series.vaccine);
  VAXALLOC_ASSERT(pool != nullptr);
  const VaccineSpec& spec = state.vaccines[series.vaccine - 1].spec;
  const LocalNow now(state, at);
  const DayNumber d1 = ToDayNumber(series.appointments[0].day);
  const DayNumber from = std::max({d1 + spec.interval_days_min, now.day, pool->first_day});
  const DayNumber until = std::min(d1 + spec.interval_days_max, internal::LastDay(*pool));
  for (DayNumber d2 = from; d2 <= until; ++d2) {
    const size_t i2 = static_cast<size_t>(d2 - pool->first_day);
    if (pool->slack_suffix_min[i2] < 1) continue;  // no dose left from d2 on
    const int minute = internal::FreeSlotMinute(*pool, d2, true, now.MinuteFrom(d2));
    if (minute < 0) continue;
    Prepared<SeriesChange> prepared{state.revision, {}};
    prepared.change.at = internal::FromMicros(internal::ToMicros(at));
    prepared.change.no_shows.push_back(ReplacedNoShow{
        series_id, series.appointments[1], internal::FromMicros(internal::ToMicros(at))});
    series.appointments[1] = Appointment{ToCivilDay(d2), minute};
    series.doses[1] = DoseState::kBooked;
    prepared.change.subject = series_id;
    prepared.change.series.push_back(series);
    prepared.change.events.push_back(internal::MakeEvent(
        EventKind::kSecondDoseRebooked, internal::FromMicros(internal::ToMicros(at)),
        series.registrant, series_id));
    return prepared;
  }
  return absl::ResourceExhaustedError(
      fmt::format("no second-dose seat for series {} between {} and {}", series_id, FormatDay(from),
                  FormatDay(d1 + spec.interval_days_max)));
}

void Engine::Apply(const Prepared<SeriesChange>& prepared) {
  VAXALLOC_ASSERT(prepared.revision == state_->revision);
  const SeriesChange& change = prepared.change;
  state_->NoteChange(internal::ChangeInstantUs(change));
  internal::WriteSeriesRows(*state_, change.series);
  for (const RegistrantUpdate& update : change.registrants) {
    RegistrantRow& row = state_->registrants[update.id - 1];
    state_->CountRegistrant(row, -1);
    row.status = update.status;
    row.series = update.series;
    row.waiting_since_us = internal::ToMicros(update.waiting_since);
    state_->CountRegistrant(row, +1);
  }
  state_->replaced_no_shows.insert(state_->replaced_no_shows.end(), change.no_shows.begin(),
                                   change.no_shows.end());
  ++state_->revision;
}

// ---------------------------------------------------------------------------
// One-call forms

namespace {
template <class Fn>
auto ApplyChange(Engine& engine, absl::StatusOr<Prepared<SeriesChange>> prepared, Fn&& result)
    -> absl::StatusOr<decltype(result(engine, prepared->change))> {
  if (!prepared.ok()) return prepared.status();
  engine.Apply(*prepared);
  return result(engine, prepared->change);
}

Series SubjectOf(const Engine& engine, const SeriesChange& change) {
  return *engine.GetSeries(change.subject);
}
}  // namespace

absl::StatusOr<ReleaseId> Engine::AddRelease(const ReleaseSpec& spec) {
  absl::StatusOr<Prepared<Release>> prepared = PrepareAddRelease(spec);
  if (!prepared.ok()) return prepared.status();
  Apply(*prepared);
  return prepared->change.id;
}

absl::StatusOr<Series> Engine::Book(const BookingRequest& request) {
  return ApplyChange(*this, PrepareBook(request), SubjectOf);
}

absl::StatusOr<Series> Engine::ConfirmHold(SeriesId hold, absl::Time at) {
  return ApplyChange(*this, PrepareConfirmHold(hold, at), SubjectOf);
}

absl::Status Engine::DeclineHold(SeriesId hold, absl::Time at) {
  return ApplyChange(*this, PrepareDeclineHold(hold, at), SubjectOf).status();
}

absl::StatusOr<uint32_t> Engine::ExpireHolds(absl::Time at) {
  return ApplyChange(*this, PrepareExpireHolds(at),
                     [](const Engine&, const SeriesChange& change) { return change.holds_lapsed; });
}

absl::StatusOr<Series> Engine::RecordDose(SeriesId series, int dose, DoseOutcome outcome,
                                          absl::Time at) {
  return ApplyChange(*this, PrepareRecordDose(series, dose, outcome, at), SubjectOf);
}

absl::StatusOr<Series> Engine::RebookSecondDose(SeriesId series, absl::Time at) {
  return ApplyChange(*this, PrepareRebookSecondDose(series, at), SubjectOf);
}

// ---------------------------------------------------------------------------
// Queries

absl::StatusOr<std::vector<RegistrantId>> Engine::StandbyList(CenterId center, absl::Time at,
                                                              size_t limit) const {
  const State& state = *state_;
  if (center == kNoId || center > state.centers.size()) {
    return absl::NotFoundError(fmt::format("standby: unknown center id {}", center));
  }
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime("standby: `at`", at));
  const Policy& policy = state.current_policy().policy;
  std::vector<bool> district_served(state.districts.size() + 1, false);
  for (DistrictId district = 1; district <= state.districts.size(); ++district) {
    const std::vector<CenterId> centers = internal::CentersFor(state, policy, district);
    district_served[district] = std::find(centers.begin(), centers.end(), center) != centers.end();
  }
  struct Entry {
    int tier;
    int64_t waiting_since_us;
    RegistrantId id;
  };
  const int64_t at_us = internal::ToMicros(at);
  std::vector<Entry> entries;
  for (RegistrantId id : state.standby_registrants) {
    const RegistrantRow& row = state.registrants[id - 1];
    if (row.status != RegistrantStatus::kWaiting || row.registered_at_us > at_us ||
        !district_served[row.district]) {
      continue;
    }
    // A hold due by `at` lapses with the next booking (as in PrepareBook):
    // only an open one keeps its holder off the list.
    if (auto hold = state.hold_by_registrant.find(id);
        hold != state.hold_by_registrant.end() &&
        internal::ToMicros(state.series[hold->second - 1].hold_expires_at) > at_us) {
      continue;
    }
    entries.push_back(
        Entry{internal::TierOf(policy, row.group, row.registered_at_us), row.waiting_since_us, id});
  }
  auto better = [&](const Entry& a, const Entry& b) {
    if (a.tier != b.tier) return a.tier < b.tier;
    if (a.waiting_since_us != b.waiting_since_us) return a.waiting_since_us < b.waiting_since_us;
    return state.Ref(a.id) < state.Ref(b.id);
  };
  const size_t count = std::min(limit, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(count), entries.end(),
                    better);
  std::vector<RegistrantId> list;
  list.reserve(count);
  for (size_t i = 0; i < count; ++i) list.push_back(entries[i].id);
  return list;
}

uint32_t Engine::release_count() const { return static_cast<uint32_t>(state_->releases.size()); }
uint32_t Engine::hold_count() const {
  return static_cast<uint32_t>(state_->hold_by_registrant.size());
}

absl::StatusOr<Release> Engine::GetRelease(ReleaseId id) const {
  if (id == kNoId || id > state_->releases.size()) {
    return absl::NotFoundError(fmt::format("unknown release id {}", id));
  }
  return state_->releases[id - 1];
}

const std::vector<ReplacedNoShow>& Engine::replaced_no_shows() const {
  return state_->replaced_no_shows;
}

// Replaced no-shows come after their series, in the order they happened; a
// record is of a two-dose series whose first dose was given, and names a
// day within the interval after it.
absl::Status Engine::RestoreNoShow(const ReplacedNoShow& no_show) {
  const std::string what = fmt::format("stored no-show of series {}", no_show.series);
  if (no_show.series == kNoId || no_show.series > state_->series.size()) {
    return absl::DataLossError(fmt::format("{} names an unknown series", what));
  }
  const Series& series = state_->series[no_show.series - 1];
  const VaccineSpec& spec = state_->vaccines[series.vaccine - 1].spec;
  const int64_t after_first = no_show.appointment.day - series.appointments[0].day;
  if (series.dose_count != 2 || series.doses[0] != DoseState::kGiven ||
      after_first < spec.interval_days_min || after_first > spec.interval_days_max) {
    return absl::DataLossError(fmt::format(
        "{}: no missed second dose of that series could lie on {}", what,
        absl::FormatCivilTime(no_show.appointment.day)));
  }
  if (absl::Status time = internal::CheckTime("rebooking time", no_show.rebooked_at); !time.ok()) {
    // A value the library could not have written: the file is damaged.
    return absl::DataLossError(fmt::format("{}: {}", what, std::string(time.message())));
  }
  state_->replaced_no_shows.push_back(no_show);
  ++state_->revision;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DayAttendance>> Engine::Attendance(CenterId center, absl::CivilDay from,
                                                              absl::CivilDay until) const {
  if (center == kNoId || center > state_->centers.size()) {
    return absl::NotFoundError(fmt::format("attendance: unknown center id {}", center));
  }
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDay("attendance: from", from));
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDay("attendance: until", until));
  if (until < from || until - from + 1 > kCalendarDaysMax) {
    return absl::InvalidArgumentError(
        fmt::format("attendance: {} .. {} is not a range of 1..{} days",
                    absl::FormatCivilTime(from), absl::FormatCivilTime(until), kCalendarDaysMax));
  }
  const DayNumber first = ToDayNumber(from);
  std::vector<DayAttendance> days(static_cast<size_t>(until - from + 1));
  for (size_t i = 0; i < days.size(); ++i)
    days[i].day = ToCivilDay(first + static_cast<DayNumber>(i));
  for (SeriesId id : state_->series_by_center[center - 1]) {
    const Series& series = state_->series[id - 1];
    for (int dose = 0; dose < series.dose_count; ++dose) {
      const DayNumber day = ToDayNumber(series.appointments[dose].day);
      if (day < first || day >= first + static_cast<DayNumber>(days.size())) continue;
      DayAttendance& entry = days[static_cast<size_t>(day - first)];
      switch (series.doses[dose]) {
        case DoseState::kBooked:
          ++entry.booked;
          break;
        case DoseState::kGiven:
          ++entry.given;
          break;
        case DoseState::kMissed:
          ++entry.missed;
          break;
        case DoseState::kReleased:
          break;
      }
    }
  }
  for (const ReplacedNoShow& no_show : state_->replaced_no_shows) {
    if (state_->series[no_show.series - 1].center != center) continue;
    const DayNumber day = ToDayNumber(no_show.appointment.day);
    if (day < first || day >= first + static_cast<DayNumber>(days.size())) continue;
    ++days[static_cast<size_t>(day - first)].missed;
  }
  std::erase_if(days, [](const DayAttendance& d) { return d.booked + d.given + d.missed == 0; });
  return days;
}

}  // namespace vaxalloc
