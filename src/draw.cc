// The waitlist draw, exactly as docs/draw.md specifies it.
#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "fmt/format.h"
#include "src/engine_state.h"
#include "src/placement.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/lottery.h"

namespace vaxalloc {
namespace {

using internal::BirthdayOfAge;
using internal::DayNumber;
using internal::Pool;
using internal::PoolDay;
using internal::PoolSlot;
using internal::RegistrantRow;
using internal::ToCivilDay;
using internal::ToDayNumber;

// What placement needs of a registrant, copied so that walking candidates in
// lottery order does not jump around the registrant table.
// No member initializers: lists of millions are sized first and then
// written, and zeroing them first would cost as much as filling them.
struct Candidate {
  uint64_t lottery;
  RegistrantId id;
  DistrictId district;
  DayNumber birth_day;
  uint16_t vaccine_preference;
  PriorityGroup group;
  Channel channel;
};

// Makes vector::resize leave new Candidates uninitialized.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Candidates = std::vector<Candidate, DefaultInitAllocator<Candidate>>;
// Candidates' ids by tier, ascending.
using TierIds = std::array<std::vector<RegistrantId>, kTierMax>;

// A reserve category's or the general pool's rules for one phase.
struct Phase {
  uint8_t category = 0;  // 0: general pool; k: reserve k - 1
  const ReserveCategory* reserve = nullptr;
  std::vector<int64_t> quota;  // per pool; empty: no quota
  int64_t quota_left = 0;      // sum of quota
  // Born later, a candidate cannot reach the category's age in the window.
  DayNumber birth_day_max = std::numeric_limits<DayNumber>::max();
};

class DrawRun {
 public:
  DrawRun(const Engine::State& state, const DrawRequest& request, const PolicyVersion& policy,
          const internal::CommittedCandidates* committed)
      : state_(state),
        request_(request),
        committed_(committed),
        policy_(policy.policy),
        tier_rules_(policy.policy),
        window_first_(ToDayNumber(request.first_dose_from)),
        window_last_(ToDayNumber(request.first_dose_until)),
        placed_(state.registrants.size() + 1, 0) {
    // First doses start lead days after the draw's local day, by channel.
    const DayNumber today = ToDayNumber(absl::ToCivilDay(request.at, state.time_zone));
    auto first_day = [&](int lead_days) {
      return lead_days == 0 ? std::numeric_limits<DayNumber>::min() : today + lead_days;
    };
    first_day_by_channel_[static_cast<int>(Channel::kOnline)] =
        first_day(policy_.draw_lead_days_online);
    first_day_by_channel_[static_cast<int>(Channel::kPhone)] =
        first_day(policy_.draw_lead_days_phone);
    outcome_.record.id = static_cast<DrawId>(state.draws.size() + 1);
    outcome_.record.request = request;
    outcome_.record.policy_version = policy.version;
    next_series_id_ = static_cast<SeriesId>(state.series.size() + 1);
  }

  DrawOutcome Run() {
    SelectPools();
    BuildPreferences();
    GatherCandidates();
    for (size_t k = 0; k < policy_.reserves.size(); ++k) {
      Phase phase = ReservePhase(k);
      RunPhase(phase);
    }
    Phase general;
    RunPhase(general);
    KeepPools();
    return std::move(outcome_);
  }

 private:
  // The pools the draw copied, with its bookings, for Apply.
  void KeepPools() {
    if (outcome_.series.empty()) return;
    auto kept = std::make_shared<internal::DrawnPools>();
    kept->instance = state_.instance;
    kept->revision = state_.revision;
    for (size_t p = 0; p < work_.size(); ++p) {
      if (!copied_[p]) continue;
      work_[p].RecomputeSlack();  // the draw kept it in slack_[p] instead
      kept->indexes.push_back(static_cast<uint32_t>(p));
      kept->pools.push_back(std::move(work_[p]));
    }
    outcome_.pools = std::move(kept);
  }

  // --- Pools taking part, copied so that the draw can book into them --------
  void SelectPools() {
    std::vector<bool> center_in_draw(state_.centers.size() + 1, request_.centers.empty());
    for (CenterId center : request_.centers) center_in_draw[center] = true;
    work_.resize(state_.pools.size());
    in_draw_.assign(state_.pools.size(), false);
    copied_.assign(state_.pools.size(), false);
    next_live_.resize(state_.pools.size());
    first_slot_open_.resize(state_.pools.size());
    slack_.resize(state_.pools.size());
    free_first_in_window_.assign(state_.pools.size(), 0);
    for (size_t p = 0; p < state_.pools.size(); ++p) {
      const Pool& pool = state_.pools[p];
      if (!center_in_draw[pool.center] || pool.days.empty()) continue;
      in_draw_[p] = true;
      copied_[p] = true;
      work_[p] = pool;
      first_slot_open_[p].assign(pool.days.size(), {0, 0});
      VAXALLOC_ASSERT(pool.slack.size() == pool.days.size());
      slack_[p] = internal::SlackTree(pool.slack);
      std::vector<int32_t>& next = next_live_[p];
      next.resize(static_cast<size_t>(window_last_ - window_first_) + 2);
      for (size_t i = 0; i < next.size(); ++i) next[i] = static_cast<int32_t>(i);
      // First-dose days a release holds are for self-booking only.
      for (ReleaseId id : state_.releases_by_center[pool.center - 1]) {
        const ReleaseSpec& release = state_.releases[id - 1].spec;
        if (release.vaccine != kNoId && release.vaccine != pool.vaccine) continue;
        const DayNumber from = std::max(window_first_, ToDayNumber(release.first_day));
        const DayNumber until = std::min(window_last_, ToDayNumber(release.last_day));
        for (DayNumber day = from; day <= until; ++day) MarkDead(p, day);
      }
      // The seats reserve quotas share: those of days the draw may use (in
      // no release, and not before every channel's lead time).
      const DayNumber usable_from = std::max(
          window_first_, std::min(first_day_by_channel_[0], first_day_by_channel_[1]));
      for (DayNumber day = NextLive(p, usable_from); day <= window_last_;
           day = NextLive(p, day + 1)) {
        if (pool.Contains(day)) free_first_in_window_[p] += pool.days[day - pool.first_day].free_first();
      }
      ++open_pools_;
      if (PoolFull(p)) CloseIfFull(p);
    }
  }

  // Pools in preference order for each district (docs/draw.md section 4).
  void BuildPreferences() {
    const size_t district_count = state_.districts.size();
    preferences_.resize(district_count + 1);
    for (DistrictId district = 1; district <= district_count; ++district) {
      for (CenterId center : internal::CentersFor(state_, policy_, district)) {
        for (uint32_t p : state_.pools_by_center[center - 1]) {
          if (in_draw_[p]) preferences_[district].push_back(p);
        }
      }
    }
  }

  // --- Who takes part (sections 1-3) -----------------------------------------
  // The registrants are split into ranges handled by parallel threads. Each
  // range lists its candidates' ids per tier (every tier's eligible count
  // goes into the record). A tier's candidate list, with the lottery numbers,
  // is written only when a phase first reaches that tier, each range at its
  // own offset so that the list comes out in id order whatever the thread
  // count. Hashing every waiting person's reference dominated a large draw,
  // and a draw that fills its capacity in the first tiers never reaches the
  // later, largest ones.
  void GatherCandidates() {
    const size_t count = state_.registrants.size();
    constexpr size_t kRegistrantsPerThreadMin = size_t{1} << 15;
    const size_t threads = std::clamp<size_t>(
        std::min<size_t>(std::thread::hardware_concurrency(), count / kRegistrantsPerThreadMin), 1,
        8);
    ids_.resize(threads);
    std::vector<std::array<uint32_t, kTierMax>> eligible(threads);
    RunParallel(threads, [&](size_t part) {
      CountCandidates(static_cast<RegistrantId>(1 + count * part / threads),
                      static_cast<RegistrantId>(1 + count * (part + 1) / threads), eligible[part],
                      ids_[part]);
    });
    size_t candidates = 0;
    for (int t = 0; t < kTierMax; ++t) {
      for (size_t part = 0; part < threads; ++part) {
        outcome_.record.tiers[t].eligible += eligible[part][t];
        candidates += ids_[part][t].size();
      }
    }
    // Room for every series the draw can place, so that the lists never
    // grow by copying (a Series takes 136 bytes: 1 M series, 136 MB). A pool
    // places at most its free first-dose seats the draw may use, and no more
    // series than its doses left by its last day cover.
    size_t placeable = candidates;
    if (request_.series_limit != 0) placeable = std::min<size_t>(placeable, request_.series_limit);
    int64_t series_max = 0;
    for (size_t p = 0; p < work_.size(); ++p) {
      if (!copied_[p]) continue;
      const int64_t doses_left = std::max<int64_t>(0, work_[p].slack.back());
      const int dose_count = state_.vaccines[work_[p].vaccine - 1].spec.dose_count;
      series_max += std::min(free_first_in_window_[p], doses_left / dose_count);
    }
    placeable = std::min<size_t>(placeable, static_cast<size_t>(series_max));
    outcome_.series.reserve(placeable);
    outcome_.registrants.reserve(placeable);
    outcome_.record.series.reserve(placeable);
  }

  // A tier's candidates in id order, with their lottery numbers.
  Candidates& TierCandidates(int tier) {
    Candidates& candidates = by_tier_[tier - 1];
    if (tier_filled_[tier - 1]) return candidates;
    tier_filled_[tier - 1] = true;
    std::vector<size_t> offset(ids_.size() + 1, 0);
    for (size_t part = 0; part < ids_.size(); ++part) {
      offset[part + 1] = offset[part] + ids_[part][tier - 1].size();
    }
    candidates.resize(offset.back());
    RunParallel(ids_.size(), [&](size_t part) {
      FillCandidates(ids_[part][tier - 1], candidates.data() + offset[part]);
    });
    return candidates;
  }

  template <class Work>
  static void RunParallel(size_t threads, Work&& work) {
    std::vector<std::thread> helpers;
    for (size_t part = 1; part < threads; ++part) helpers.emplace_back(work, part);
    work(0);
    for (std::thread& helper : helpers) helper.join();
  }

  // Section 1 and 2: who takes part, and in which tier.
  void CountCandidates(RegistrantId first, RegistrantId end,
                       std::array<uint32_t, kTierMax>& eligible, TierIds& ids) const {
    const int64_t at_us = internal::ToMicros(request_.at);
    eligible.fill(0);
    for (RegistrantId id = first; id < end; ++id) {
      const RegistrantRow& row = state_.registrants[id - 1];
      if (!state_.TakesPart(id, at_us)) continue;
      const int tier = tier_rules_.TierOf(row.group, row.registered_at_us);
      ++eligible[tier - 1];
      if (preferences_[row.district].empty()) continue;
      ids[tier - 1].push_back(id);
    }
  }

  // Section 3: the lottery numbers of the candidates `ids`, written to `out`.
  // Their rows and references lie scattered over the tables, each in a cache
  // line of its own: they are fetched kPrefetch ahead so that the memory
  // loads overlap.
  void FillCandidates(const std::vector<RegistrantId>& ids, Candidate* out) const {
    constexpr size_t kPrefetch = 32;
    const size_t n = ids.size();
    for (size_t i = 0; i < std::min(n, kPrefetch); ++i) {
      __builtin_prefetch(&state_.registrants[ids[i] - 1]);
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kPrefetch < n) __builtin_prefetch(&state_.registrants[ids[i + kPrefetch] - 1]);
      if (i + kPrefetch / 2 < n) {
        const RegistrantRow& ahead = state_.registrants[ids[i + kPrefetch / 2] - 1];
        __builtin_prefetch(state_.refs.data() + ahead.ref_offset());
      }
      const RegistrantId id = ids[i];
      const RegistrantRow& row = state_.registrants[id - 1];
      out[i] = Candidate{LotteryMessageNumber(id),
                         id,
                         row.district,
                         row.birth_day,
                         static_cast<uint16_t>(row.vaccine_preference),
                         row.group,
                         row.channel};
    }
  }

  // Section 3, or for a committed draw section 9: the reference's digest
  // stands in for the reference.
  uint64_t LotteryMessageNumber(RegistrantId id) const {
    if (committed_ == nullptr) return LotteryNumber(request_.seed, state_.Ref(id));
    return LotteryNumber(request_.seed, DigestView(id));
  }
  std::string_view DigestView(RegistrantId id) const {
    const auto& digest = committed_->digests[committed_->IndexOf(id)];
    return std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size());
  }

  Phase ReservePhase(size_t k) {
    Phase phase;
    phase.category = static_cast<uint8_t>(k + 1);
    phase.reserve = &policy_.reserves[k];
    phase.quota.assign(work_.size(), 0);
    for (size_t p = 0; p < work_.size(); ++p) {
      if (!in_draw_[p]) continue;
      if (phase.reserve->vaccine != kNoId && phase.reserve->vaccine != work_[p].vaccine) continue;
      phase.quota[p] = phase.reserve->share_permille * free_first_in_window_[p] / 1000;
      phase.quota_left += phase.quota[p];
    }
    const int age = phase.reserve->age_years_min;
    if (age > 0) {
      // The latest birth day that reaches `age` by the window's last day.
      const absl::CivilDay last = ToCivilDay(window_last_);
      DayNumber birth = ToDayNumber(absl::CivilDay(last.year() - age, last.month(), last.day()));
      while (BirthdayOfAge(birth + 1, age) <= window_last_) ++birth;
      while (BirthdayOfAge(birth, age) > window_last_) --birth;
      phase.birth_day_max = birth;
    }
    return phase;
  }

  // Whether a reserve phase can still place anyone.
  bool QuotaOpen(const Phase& phase) const {
    if (phase.quota_left <= 0) return false;
    for (size_t p = 0; p < work_.size(); ++p) {
      if (in_draw_[p] && phase.quota[p] > 0) return true;
    }
    return false;
  }

  // --- Phases (section 6) -----------------------------------------------------
  void RunPhase(Phase& phase) {
    for (int tier = 1; tier <= kTierMax; ++tier) {
      // The general pool is the last phase: it may consume the tier lists.
      // Once the draw is done no later tier places anyone: their lists are
      // never written.
      if (Done()) return;
      Candidates filtered;
      Candidates& candidates = phase.reserve == nullptr ? TierCandidates(tier) : filtered;
      if (phase.reserve == nullptr) {
        if (placed_by_reserves_[tier - 1] > 0) {
          std::erase_if(candidates, [this](const Candidate& c) { return placed_[c.id] != 0; });
        }
      } else {
        if (!QuotaOpen(phase)) return;
        for (const Candidate& candidate : TierCandidates(tier)) {
          if (!placed_[candidate.id] && Admits(phase, candidate)) filtered.push_back(candidate);
        }
      }
      size_t visited = 0;
      const bool go_on = VisitInLotteryOrder(candidates, [&](const Candidate& candidate) {
        if (Done()) return false;
        // A reserve phase ends once its quota is used or its pools are full.
        if (phase.reserve != nullptr && ++visited % 1024 == 0 && !QuotaOpen(phase)) return false;
        PlaceCandidate(phase, tier, candidate);
        return true;
      });
      if (!go_on) return;
    }
  }

  bool Done() const {
    return open_pools_ == 0 ||
           (request_.series_limit != 0 && outcome_.series.size() >= request_.series_limit);
  }

  static bool Admits(const Phase& phase, const Candidate& candidate) {
    if (phase.reserve == nullptr) return true;
    if (candidate.birth_day > phase.birth_day_max) return false;
    if (phase.reserve->group_mask == 0) return true;
    return (phase.reserve->group_mask & (1u << (static_cast<int>(candidate.group) - 1))) != 0;
  }

  // Calls visit(candidate) in (lottery, external_ref) order until it returns
  // false. Sorting is by buckets of the lottery's top bits, each sorted only
  // when reached, so a draw that fills its capacity early sorts little.
  template <class Visit>
  bool VisitInLotteryOrder(Candidates& candidates, Visit&& visit) {
    auto less = [this](const Candidate& a, const Candidate& b) {
      if (a.lottery != b.lottery) return a.lottery < b.lottery;
      if (committed_ != nullptr) return DigestView(a.id) < DigestView(b.id);
      return state_.Ref(a.id) < state_.Ref(b.id);
    };
    if (candidates.size() < (size_t{1} << 12)) {
      std::sort(candidates.begin(), candidates.end(), less);
      for (const Candidate& candidate : candidates) {
        if (!visit(candidate)) return false;
      }
      return true;
    }
    // About four candidates a bucket: sorting a bucket is then nearly free.
    int bucket_bits = 8;
    while (bucket_bits < 24 && (candidates.size() >> (bucket_bits + 2)) != 0) ++bucket_bits;
    const int shift = 64 - bucket_bits;
    std::vector<uint32_t> bucket_start((size_t{1} << bucket_bits) + 1, 0);
    for (const Candidate& c : candidates) ++bucket_start[(c.lottery >> shift) + 1];
    for (size_t b = 1; b < bucket_start.size(); ++b) bucket_start[b] += bucket_start[b - 1];
    Candidates bucketed(candidates.size());
    std::vector<uint32_t> fill(bucket_start.begin(), bucket_start.end() - 1);
    for (const Candidate& c : candidates) bucketed[fill[c.lottery >> shift]++] = c;
    for (size_t b = 0; b + 1 < bucket_start.size(); ++b) {
      auto first = bucketed.begin() + bucket_start[b];
      auto last = bucketed.begin() + bucket_start[b + 1];
      std::sort(first, last, less);
      for (auto it = first; it != last; ++it) {
        if (!visit(*it)) return false;
      }
    }
    return true;
  }

  void PlaceCandidate(Phase& phase, int tier, const Candidate& candidate) {
    const RegistrantId id = candidate.id;
    for (uint32_t p : preferences_[candidate.district]) {
      if (!pool_open(p)) continue;
      const Pool& pool = work_[p];
      if (candidate.vaccine_preference != kNoId && candidate.vaccine_preference != pool.vaccine) {
        continue;
      }
      if (!phase.quota.empty() && phase.quota[p] <= 0) continue;
      const int age_years_min = phase.reserve != nullptr ? phase.reserve->age_years_min : 0;
      std::optional<std::pair<Appointment, Appointment>> placed =
          TryPlace(p, candidate, age_years_min);
      if (!placed) continue;
      if (!phase.quota.empty()) {
        --phase.quota[p];
        --phase.quota_left;
      }
      Series series;
      series.id = next_series_id_++;
      series.registrant = id;
      series.center = pool.center;
      series.vaccine = pool.vaccine;
      series.dose_count = state_.vaccines[pool.vaccine - 1].spec.dose_count;
      series.appointments = {placed->first, placed->second};
      series.status = SeriesStatus::kActive;
      series.booked_at = request_.at;
      series.draw = outcome_.record.id;
      series.tier = static_cast<uint8_t>(tier);
      series.category = phase.category;
      outcome_.record.series.push_back(series.id);
      outcome_.series.push_back(series);
      outcome_.registrants.push_back(id);
      ++outcome_.record.tiers[tier - 1].assigned;
      if (phase.reserve != nullptr) ++placed_by_reserves_[tier - 1];
      placed_[id] = 1;
      return;
    }
  }

  // --- Placing one registrant in one pool (section 5) -------------------------
  std::optional<std::pair<Appointment, Appointment>> TryPlace(uint32_t p,
                                                              const Candidate& candidate,
                                                              int category_age_years_min) {
    Pool& pool = work_[p];
    const VaccineSpec& vaccine = state_.vaccines[pool.vaccine - 1].spec;
    const DayNumber birth_day = candidate.birth_day;
    DayNumber lo = std::max({window_first_, pool.first_day,
                             first_day_by_channel_[static_cast<int>(candidate.channel)]});
    DayNumber hi = std::min(window_last_, pool_last_day(pool));
    const int age_years_min = std::max(vaccine.age_years_min, category_age_years_min);
    if (age_years_min > 0) lo = std::max(lo, BirthdayOfAge(birth_day, age_years_min));
    if (vaccine.age_years_max > 0) {
      hi = std::min(hi, BirthdayOfAge(birth_day, vaccine.age_years_max + 1) - 1);
    }
    for (DayNumber d1 = NextLive(p, lo); d1 <= hi; d1 = NextLive(p, d1 + 1)) {
      std::optional<DayNumber> d2 = internal::SecondDoseDay(pool, slack_[p], vaccine, d1);
      if (!d2) {
        MarkDead(p, d1);  // nobody can start a series on d1 any more
        continue;
      }
      Appointment first{ToCivilDay(d1), BookEarliest(p, d1, false)};
      Appointment second{};
      if (vaccine.dose_count == 2)
        second = Appointment{ToCivilDay(*d2), BookEarliest(p, *d2, true)};
      return std::make_pair(first, second);
    }
    CloseIfFull(p);
    return std::nullopt;
  }

  // Books the earliest slot of `day` with a free seat of the kind. A draw
  // only books, so a day's first such slot only moves later: each pool day
  // remembers where the last search ended.
  int BookEarliest(uint32_t p, DayNumber day, bool second_dose) {
    Pool& pool = work_[p];
    const size_t day_index = static_cast<size_t>(day - pool.first_day);
    const std::vector<PoolSlot>& slots = pool.days[day_index].slots;
    uint16_t& slot_index = first_slot_open_[p][day_index][second_dose];
    while (slot_index < slots.size() &&
           !(second_dose ? slots[slot_index].second_free() : slots[slot_index].first_free())) {
      ++slot_index;
    }
    VAXALLOC_ASSERT(slot_index < slots.size() && "a day with free seats has a free slot");
    pool.BookSlot(day_index, slot_index, second_dose, /*update_slack=*/false);
    slack_[p].AddFrom(day_index, -1);
    return slots[slot_index].minute;
  }

  // --- Days that can no longer start a series, skipped in O(1) amortized -------
  DayNumber NextLive(uint32_t p, DayNumber day) {
    if (day > window_last_) return day;
    std::vector<int32_t>& next = next_live_[p];
    int32_t i = std::max(0, day - window_first_);
    int32_t root = i;
    while (next[root] != root) root = next[root];
    while (next[i] != root) {
      const int32_t up = next[i];
      next[i] = root;
      i = up;
    }
    return window_first_ + root;
  }

  void MarkDead(uint32_t p, DayNumber day) {
    next_live_[p][day - window_first_] = day - window_first_ + 1;
  }

  bool PoolFull(uint32_t p) {
    const Pool& pool = work_[p];
    const DayNumber lo = std::max(window_first_, pool.first_day);
    const DayNumber hi = std::min(window_last_, pool_last_day(pool));
    const VaccineSpec& vaccine = state_.vaccines[pool.vaccine - 1].spec;
    for (DayNumber d1 = NextLive(p, lo); d1 <= hi; d1 = NextLive(p, d1 + 1)) {
      if (internal::SecondDoseDay(pool, slack_[p], vaccine, d1)) return false;
      MarkDead(p, d1);
    }
    return true;
  }

  void CloseIfFull(uint32_t p) {
    const Pool& pool = work_[p];
    const DayNumber lo = std::max(window_first_, pool.first_day);
    const DayNumber hi = std::min(window_last_, pool_last_day(pool));
    if (in_draw_[p] && NextLive(p, lo) > hi) {
      in_draw_[p] = false;
      --open_pools_;
    }
  }

  bool pool_open(uint32_t p) const { return in_draw_[p]; }
  static DayNumber pool_last_day(const Pool& pool) { return internal::LastDay(pool); }

  const Engine::State& state_;
  const DrawRequest& request_;
  const internal::CommittedCandidates* const committed_;  // null: a plain draw
  const Policy& policy_;
  const internal::TierRules tier_rules_;
  const DayNumber window_first_;
  const DayNumber window_last_;

  std::vector<Pool> work_;                       // copies of the pools in the draw
  std::vector<bool> copied_;                     // in the draw (work_ holds a copy)
  std::vector<bool> in_draw_;                    // in the draw and not yet full
  std::vector<std::vector<int32_t>> next_live_;  // per pool, over the window's days
  // Per pool and day: no slot before this index has a free [first, second]
  // seat (BookEarliest).
  std::vector<std::vector<std::array<uint16_t, 2>>> first_slot_open_;
  // Per pool: its slack as the draw books (Pool::slack is left stale until
  // KeepPools).
  std::vector<internal::SlackTree> slack_;
  std::vector<int64_t> free_first_in_window_;    // per pool, on the days the draw may use
  std::array<DayNumber, 2> first_day_by_channel_{};  // [Channel]: today + lead days, if any
  size_t open_pools_ = 0;
  std::vector<std::vector<uint32_t>> preferences_;  // [district]
  std::vector<TierIds> ids_;                  // [gathering thread]: candidates per tier
  std::array<bool, kTierMax> tier_filled_{};  // by_tier_ written
  std::array<Candidates, kTierMax> by_tier_;  // written by TierCandidates
  std::array<uint32_t, kTierMax> placed_by_reserves_{};  // per tier
  std::vector<uint8_t> placed_;                          // [registrant id]
  SeriesId next_series_id_ = kNoId;
  DrawOutcome outcome_;
};

}  // namespace

namespace internal {

size_t CommittedCandidates::IndexOf(RegistrantId id) const {
  const auto it = std::lower_bound(ids.begin(), ids.end(), id);
  VAXALLOC_ASSERT(it != ids.end() && *it == id);
  return static_cast<size_t>(it - ids.begin());
}

DrawOutcome RunDraw(const Engine::State& state, const DrawRequest& request,
                    const PolicyVersion& policy, const CommittedCandidates* committed) {
  DrawRequest normalized = request;
  normalized.at = FromMicros(ToMicros(request.at));
  DrawRun run(state, normalized, policy, committed);
  return run.Run();
}

absl::Status CheckDrawRequest(const Engine::State& state, const DrawRequest& request,
                              bool after_latest_change) {
  absl::Status valid = internal::CheckTime("draw: `at`", request.at);
  if (!valid.ok()) return valid;
  for (absl::CivilDay day : {request.first_dose_from, request.first_dose_until}) {
    absl::Status status = internal::CheckDay("draw: window day", day);
    if (!status.ok()) return status;
  }
  if (request.first_dose_until < request.first_dose_from) {
    return absl::InvalidArgumentError(fmt::format("draw: window ends {} before it starts {}",
                                                  absl::FormatCivilTime(request.first_dose_until),
                                                  absl::FormatCivilTime(request.first_dose_from)));
  }
  if (request.first_dose_until - request.first_dose_from + 1 > kCalendarDaysMax) {
    return absl::InvalidArgumentError(
        fmt::format("draw: the window spans more than {} days", kCalendarDaysMax));
  }
  // Each center at most once: a list naming one center 100,000 times is a
  // mistake of the caller's, and it would be frozen into a commitment and
  // its audit bundle as given.
  std::vector<bool> listed(state.centers.size() + 1, false);
  for (CenterId center : request.centers) {
    if (center == kNoId || center > state.centers.size()) {
      return absl::NotFoundError(fmt::format("draw: unknown center id {}", center));
    }
    if (listed[center]) {
      return absl::InvalidArgumentError(
          fmt::format("draw: center id {} is listed twice in the request's centers", center));
    }
    listed[center] = true;
  }
  valid = internal::CheckAfterLatestDraw(state, "draw: `at`", request.at, true);
  if (!valid.ok() || !after_latest_change) return valid;
  return internal::CheckNotBeforeLatestChange(state, "draw: `at`", request.at);
}

}  // namespace internal

absl::StatusOr<Prepared<DrawOutcome>> Engine::PrepareDraw(const DrawRequest& request) const {
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDrawRequest(*state_, request));
  if (state_->pending_commitment != kNoId) {
    return absl::FailedPreconditionError(fmt::format(
        "draw: draw commitment {} is pending; reveal or abandon it first (no other draw runs "
        "while a committed one waits for its beacon)",
        state_->pending_commitment));
  }
  if (state_->seeds_used.contains(std::make_pair(request.seed.k0, request.seed.k1))) {
    return absl::AlreadyExistsError(fmt::format(
        "{}{}{}", "draw: seed ", FormatSeed(request.seed),
        " was used by an earlier draw; a reused seed would make the same people lose again"));
  }
  return Prepared<DrawOutcome>{
      state_->revision, internal::RunDraw(*state_, request, state_->current_policy(), nullptr)};
}

namespace {
// Marks a draw's winners scheduled. They come in lottery order, scattered
// over the registrant table (at 8 M registrants each row a cache and TLB
// miss): they are taken grouped by blocks of 64 ids instead, so that the
// rows come nearly in table order. The result does not depend on the order.
// tiers_counted: the outcome was prepared on this state, so the record's
// per-tier counts are the tiers CountRegistrant would find.
void ScheduleWinners(Engine::State& state, const DrawOutcome& outcome, bool tiers_counted) {
  constexpr int kBlockBits = 6;
  const size_t count = outcome.registrants.size();
  std::vector<uint32_t> start((state.registrants.size() >> kBlockBits) + 2, 0);
  for (RegistrantId id : outcome.registrants) ++start[(id >> kBlockBits) + 1];
  for (size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<uint32_t> order(count);  // indexes into the outcome, by block
  for (size_t i = 0; i < count; ++i) {
    order[start[outcome.registrants[i] >> kBlockBits]++] = static_cast<uint32_t>(i);
  }
  // CountRegistrant's bookkeeping for a waiting person becoming scheduled,
  // in bulk: the tiers are those the draw counted.
  Engine::State::Counts& counts = state.counts;
  const auto scheduled = static_cast<int64_t>(count);
  counts.registrants_by_status[static_cast<size_t>(RegistrantStatus::kWaiting)] -= scheduled;
  counts.registrants_by_status[static_cast<size_t>(RegistrantStatus::kScheduled)] += scheduled;
  std::optional<internal::TierRules> tier_rules;
  if (tiers_counted) {
    for (int t = 0; t < kTierMax; ++t) {
      counts.waiting_per_tier[t] -= outcome.record.tiers[t].assigned;
    }
  } else {
    tier_rules.emplace(state.current_policy().policy);
  }
  for (uint32_t i : order) {
    internal::RegistrantRow& row = state.registrants[outcome.registrants[i] - 1];
    VAXALLOC_ASSERT(row.status == RegistrantStatus::kWaiting);
    --counts.waiting_by_district[row.district - 1];
    if (tier_rules.has_value()) {
      --counts.waiting_per_tier[tier_rules->TierOf(row.group, row.registered_at_us) - 1];
    }
    row.status = RegistrantStatus::kScheduled;
    row.series = outcome.record.series[i];  // not outcome.series[i].id: a cache miss each
  }
}
}  // namespace

void Engine::Apply(const Prepared<DrawOutcome>& prepared) {
  VAXALLOC_ASSERT(prepared.revision == state_->revision);
  const DrawOutcome& outcome = prepared.change;
  VAXALLOC_ASSERT(outcome.record.id == state_->draws.size() + 1);
  state_->NoteChange(internal::ChangeInstantUs(outcome));
  VAXALLOC_ASSERT(outcome.series.size() == outcome.registrants.size());
  // Marking the winners touches only the registrant rows and their counters,
  // the rest only the series, the pools and theirs: for a large draw the two
  // overlap on a second thread (without one, they run in turn).
  constexpr size_t kSeriesPerThreadMin = size_t{1} << 15;
  const internal::DrawnPools* drawn = outcome.pools.get();
  const bool prepared_here = drawn != nullptr && drawn->instance == state_->instance &&
                             drawn->revision == state_->revision;
  std::optional<std::thread> marking;
  std::exception_ptr marking_failed;
  if (outcome.series.size() >= kSeriesPerThreadMin) {
    try {
      marking.emplace([this, &outcome, prepared_here, &marking_failed] {
        try {
          ScheduleWinners(*state_, outcome, prepared_here);
        } catch (...) {
          marking_failed = std::current_exception();
        }
      });
    } catch (const std::system_error&) {
    }
  }
  // On every way out: a thread still running when destroyed ends the process.
  absl::Cleanup join_marking = [&marking] {
    if (marking.has_value()) marking->join();
  };
  internal::ReserveMore(state_->series, outcome.series.size());
  if (prepared_here) {
    // The draw booked its series into copies of these pools.
    for (size_t k = 0; k < drawn->indexes.size(); ++k) {
      state_->pools[drawn->indexes[k]] = drawn->pools[k];
    }
    VAXALLOC_ASSERT(outcome.series.empty() ||
                    (outcome.series.front().id == state_->series.size() + 1 &&
                     outcome.series.back().id == state_->series.size() + outcome.series.size()));
    state_->series.insert(state_->series.end(), outcome.series.begin(), outcome.series.end());
    for (const Series& series : outcome.series) {
      state_->series_by_center[series.center - 1].push_back(series.id);
      state_->CountSeries(series, +1);
    }
  } else {
    absl::flat_hash_set<uint64_t> touched_pools;
    for (const Series& series : outcome.series) {
      VAXALLOC_ASSERT(series.id == state_->series.size() + 1);
      Pool& pool = state_->PoolFor(series.center, series.vaccine);
      for (int dose = 0; dose < series.dose_count; ++dose) {
        pool.Book(ToDayNumber(series.appointments[dose].day), series.appointments[dose].minute,
                  dose > 0, /*update_slack=*/false);
      }
      touched_pools.insert(State::PoolKey(series.center, series.vaccine));
      state_->series.push_back(series);
      state_->series_by_center[series.center - 1].push_back(series.id);
      state_->CountSeries(series, +1);
    }
    for (uint64_t key : touched_pools) state_->pools[state_->pool_by_key.at(key)].RecomputeSlack();
  }
  if (marking.has_value()) {
    std::move(join_marking).Invoke();
    if (marking_failed) std::rethrow_exception(marking_failed);
  } else {
    ScheduleWinners(*state_, outcome, prepared_here);
  }
  state_->seeds_used.insert({outcome.record.request.seed.k0, outcome.record.request.seed.k1});
  state_->draws.push_back(outcome.record);
  internal::ApplyReveal(*state_, outcome);
  ++state_->revision;
}

}  // namespace vaxalloc
