// Committed draws (docs/draw.md sections 9-11): the inputs a draw reads,
// frozen in a canonical byte form before its seed exists; the seed from
// the commitment and a public beacon; the audit bundle.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "src/engine_state.h"
#include "src/journal.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/version.h"

namespace vaxalloc {
namespace {

using internal::CheckText;
using internal::CommittedCandidates;
using internal::JournalWriter;
using internal::Sha256;
using internal::ToDayNumber;

constexpr std::string_view kInputsMagic = "VXDRAWI1";
constexpr std::string_view kBundleMagic = "VXDRAWB1";

// The inputs' sections, in their order (docs/draw.md section 10).
enum class Section : uint8_t {
  kHeader = 1,
  kRequest = 2,
  kPolicy = 3,
  kGeography = 4,
  kVaccines = 5,
  kPools = 6,
  kCandidates = 7,
};
constexpr std::array<std::string_view, 8> kSectionNames = {
    "", "header", "request", "policy", "geography", "vaccines", "pools", "candidates"};

struct BuiltInputs {
  std::string bytes;
  CommittedCandidates candidates;
};

// Appends a section: its tag, its body's length, the body.
void AppendSection(JournalWriter& out, Section tag, JournalWriter body) {
  const std::string bytes = body.Take();
  out.U8(static_cast<uint8_t>(tag));
  out.U64(bytes.size());
  out.Raw(bytes);
}

std::string_view BytesOf(const Sha256& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// Everything the draw of `request` reads from `state` under `policy`, in
// the order and widths of docs/draw.md section 10.
BuiltInputs BuildInputs(const Engine::State& state, CommitmentId id, const DrawRequest& request,
                        std::string_view beacon, const PolicyVersion& version,
                        std::string_view library_version) {
  const Policy& policy = version.policy;
  BuiltInputs built;
  JournalWriter out;
  out.Raw(kInputsMagic);

  JournalWriter header;
  header.Str(std::string(library_version));
  header.U32(id);
  AppendSection(out, Section::kHeader, std::move(header));

  JournalWriter req;
  req.Time(request.at);
  req.Day(request.first_dose_from);
  req.Day(request.first_dose_until);
  req.U32(request.series_limit);
  req.Count(request.centers.size());
  for (CenterId center : request.centers) req.U32(center);
  req.Str(std::string(beacon));
  AppendSection(out, Section::kRequest, std::move(req));

  JournalWriter rules;
  rules.U32(version.version);
  rules.Str(policy.time_zone);
  rules.I32(ToDayNumber(absl::ToCivilDay(request.at, state.time_zone)));
  rules.I32(policy.draw_lead_days_online);
  rules.I32(policy.draw_lead_days_phone);
  rules.U8(static_cast<uint8_t>(policy.residence));
  rules.Count(policy.tier_rules.size());
  for (const TierRule& rule : policy.tier_rules) {
    rules.Time(rule.registered_before);
    for (uint8_t tier : rule.tier_by_group) rules.U8(tier);
  }
  rules.Count(policy.reserves.size());
  for (const ReserveCategory& reserve : policy.reserves) {
    rules.I32(reserve.share_permille);
    rules.I32(reserve.age_years_min);
    rules.U8(reserve.group_mask);
    rules.U32(reserve.vaccine);
  }
  rules.Count(policy.neighbours.size());
  for (const auto& [a, b] : policy.neighbours) {
    rules.U32(a);
    rules.U32(b);
  }
  AppendSection(out, Section::kPolicy, std::move(rules));

  JournalWriter geography;
  geography.U32(static_cast<uint32_t>(state.districts.size()));
  geography.Count(state.centers.size());
  for (const Center& center : state.centers) {
    geography.U32(center.id);
    geography.Count(center.spec.districts.size());
    for (DistrictId district : center.spec.districts) geography.U32(district);
  }
  AppendSection(out, Section::kGeography, std::move(geography));

  JournalWriter vaccines;
  vaccines.Count(state.vaccines.size());
  for (const Vaccine& vaccine : state.vaccines) {
    const VaccineSpec& spec = vaccine.spec;
    vaccines.U32(vaccine.id);
    vaccines.U8(static_cast<uint8_t>(spec.dose_count));
    vaccines.I32(spec.interval_days_min);
    vaccines.I32(spec.interval_days_target);
    vaccines.I32(spec.interval_days_max);
    vaccines.I32(spec.age_years_min);
    vaccines.I32(spec.age_years_max);
  }
  AppendSection(out, Section::kVaccines, std::move(vaccines));

  // The pools in the draw, as the draw selects them (draw.cc SelectPools).
  std::vector<bool> center_in_draw(state.centers.size() + 1, request.centers.empty());
  for (CenterId center : request.centers) center_in_draw[center] = true;
  std::vector<const internal::Pool*> pools;
  for (CenterId center = 1; center <= state.centers.size(); ++center) {
    if (!center_in_draw[center]) continue;
    for (uint32_t p : state.pools_by_center[center - 1]) {
      if (!state.pools[p].days.empty()) pools.push_back(&state.pools[p]);
    }
  }
  JournalWriter pool_bytes;
  pool_bytes.Count(pools.size());
  for (const internal::Pool* pool : pools) {
    pool_bytes.U32(pool->center);
    pool_bytes.U32(pool->vaccine);
    pool_bytes.I32(pool->first_day);
    std::vector<const ReleaseSpec*> releases;
    for (ReleaseId release : state.releases_by_center[pool->center - 1]) {
      const ReleaseSpec& spec = state.releases[release - 1].spec;
      if (spec.vaccine == kNoId || spec.vaccine == pool->vaccine) releases.push_back(&spec);
    }
    pool_bytes.Count(releases.size());
    for (const ReleaseSpec* spec : releases) {
      pool_bytes.Day(spec->first_day);
      pool_bytes.Day(spec->last_day);
    }
    pool_bytes.Count(pool->days.size());
    for (const internal::PoolDay& day : pool->days) {
      pool_bytes.I64(day.delivered);
      pool_bytes.Count(day.slots.size());
      for (const internal::PoolSlot& slot : day.slots) {
        pool_bytes.U16(slot.minute);
        pool_bytes.U16(slot.bookable_first);
        pool_bytes.U16(slot.bookable_second);
        pool_bytes.U16(slot.booked_first);
        pool_bytes.U16(slot.booked_second);
      }
    }
  }
  AppendSection(out, Section::kPools, std::move(pool_bytes));

  const int64_t at_us = internal::ToMicros(request.at);
  const internal::TierRules tier_rules(policy);
  std::vector<RegistrantId>& ids = built.candidates.ids;
  for (RegistrantId person = 1; person <= state.registrants.size(); ++person) {
    if (state.TakesPart(person, at_us)) ids.push_back(person);
  }
  // Hashing every candidate's reference is a third of the work: in parallel.
  std::vector<Sha256>& digests = built.candidates.digests;
  digests.resize(ids.size());
  constexpr size_t kDigestsPerThreadMin = size_t{1} << 15;
  const size_t threads = std::clamp<size_t>(
      std::min<size_t>(std::thread::hardware_concurrency(), ids.size() / kDigestsPerThreadMin), 1,
      8);
  auto hash_part = [&](size_t part) {
    const size_t end = ids.size() * (part + 1) / threads;
    for (size_t i = ids.size() * part / threads; i < end; ++i) {
      digests[i] = internal::Sha256Of(state.Ref(ids[i]));
    }
  };
  std::vector<std::thread> helpers;
  for (size_t part = 1; part < threads; ++part) helpers.emplace_back(hash_part, part);
  hash_part(0);
  for (std::thread& helper : helpers) helper.join();
  JournalWriter candidates;
  candidates.Reserve(4 + ids.size() * internal::kDrawInputCandidateBytes);
  candidates.Count(built.candidates.ids.size());
  for (size_t i = 0; i < built.candidates.ids.size(); ++i) {
    const internal::RegistrantRow& row = state.registrants[built.candidates.ids[i] - 1];
    candidates.Raw(BytesOf(built.candidates.digests[i]));
    candidates.I64(row.registered_at_us);
    candidates.I64(row.waiting_since_us);
    candidates.U32(row.district);
    candidates.I32(row.birth_day);
    candidates.U32(row.vaccine_preference);
    candidates.U8(static_cast<uint8_t>(row.group));
    candidates.U8(static_cast<uint8_t>(row.channel));
    candidates.U8(static_cast<uint8_t>(tier_rules.TierOf(row.group, row.registered_at_us)));
  }
  out.Reserve(out.size() + 9 + candidates.size());
  AppendSection(out, Section::kCandidates, std::move(candidates));
  built.bytes = out.Take();
  return built;
}

// The end of the section starting at `offset`, or 0 when its header or body
// runs past the end.
size_t SectionEnd(std::string_view bytes, size_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < 9) return 0;
  const uint64_t length = internal::LittleEndianAt(bytes, offset + 1, 8);
  if (length > bytes.size() - offset - 9) return 0;
  return offset + 9 + static_cast<size_t>(length);
}

// The first section in which two inputs differ ("" when none does): what a
// refused reveal names.
std::string_view FirstDifferentSection(std::string_view a, std::string_view b) {
  size_t offset = kInputsMagic.size();
  while (offset < a.size() && offset < b.size()) {
    const size_t a_end = SectionEnd(a, offset);
    const size_t b_end = SectionEnd(b, offset);
    if (a_end == 0 || b_end == 0) return "framing";
    if (a.substr(offset, a_end - offset) != b.substr(offset, b_end - offset)) {
      const auto tag = static_cast<uint8_t>(a[offset]);
      return tag < kSectionNames.size() ? kSectionNames[tag] : "unknown";
    }
    offset = a_end;
  }
  return a == b ? "" : "length";
}

// Whether stored inputs have the shape of docs/draw.md section 10: the magic,
// the seven sections in order, each within the bytes, nothing after; and the
// library version their header names.
bool WellFramed(std::string_view inputs, std::string* library_version) {
  if (inputs.substr(0, kInputsMagic.size()) != kInputsMagic) return false;
  size_t offset = kInputsMagic.size();
  for (uint8_t tag = 1; tag <= static_cast<uint8_t>(Section::kCandidates); ++tag) {
    const size_t end = SectionEnd(inputs, offset);
    if (end == 0 || static_cast<uint8_t>(inputs[offset]) != tag) return false;
    if (tag == static_cast<uint8_t>(Section::kHeader)) {
      const std::string_view body = inputs.substr(offset + 9, end - offset - 9);
      if (body.size() < 4) return false;
      const uint64_t length = internal::LittleEndianAt(body, 0, 4);
      if (length > body.size() - 4) return false;
      *library_version = std::string(body.substr(4, length));
    }
    offset = end;
  }
  return offset == inputs.size();
}

// The results as the bundle holds them (docs/draw.md section 11), from the
// draw id on.
std::string BuildResults(const DrawOutcome& outcome, const DrawCommitment& revealed,
                         const CommittedCandidates& candidates) {
  JournalWriter out;
  out.U32(outcome.record.id);
  out.Time(revealed.settled_at);
  for (const TierCount& count : outcome.record.tiers) {
    out.U32(count.eligible);
    out.U32(count.assigned);
  }
  out.Count(outcome.series.size());
  for (const Series& series : outcome.series) {
    out.U32(static_cast<uint32_t>(candidates.IndexOf(series.registrant)));
    out.U32(series.center);
    out.U32(series.vaccine);
    out.U8(series.tier);
    out.U8(series.category);
    out.U8(static_cast<uint8_t>(series.dose_count));
    for (int dose = 0; dose < series.dose_count; ++dose) {
      out.Day(series.appointments[dose].day);
      out.U16(static_cast<uint16_t>(series.appointments[dose].minute));
    }
  }
  return out.Take();
}

}  // namespace

namespace internal {
DrawSeed SeedFromBeacon(const std::array<uint8_t, 32>& commitment, std::string_view beacon_value) {
  std::string message(BytesOf(commitment));
  message.append(beacon_value);
  const Sha256 digest = Sha256Of(message);
  const std::string_view bytes = BytesOf(digest);
  return DrawSeed{LittleEndianAt(bytes, 0, 8), LittleEndianAt(bytes, 8, 8)};
}

std::string_view InputsSection(std::string_view inputs, uint8_t tag) {
  for (size_t offset = kInputsMagic.size(); offset < inputs.size();) {
    const size_t end = SectionEnd(inputs, offset);
    if (end == 0) break;
    if (static_cast<uint8_t>(inputs[offset]) == tag) {
      return inputs.substr(offset + 9, end - offset - 9);
    }
    offset = end;
  }
  return {};
}

absl::StatusOr<const Engine::State::CommitmentEntry*> FindCommitment(const Engine::State& state,
                                                                     CommitmentId id,
                                                                     std::string_view what) {
  if (id == kNoId || id > state.commitments.size()) {
    return absl::NotFoundError(fmt::format("{}: unknown draw commitment id {}", what, id));
  }
  return &state.commitments[id - 1];
}

absl::StatusOr<const Engine::State::CommitmentEntry*> RevealedCommitment(
    const Engine::State& state, CommitmentId id, std::string_view what) {
  absl::StatusOr<const Engine::State::CommitmentEntry*> entry = FindCommitment(state, id, what);
  if (!entry.ok() || (*entry)->record.status == CommitmentStatus::kRevealed) return entry;
  return absl::FailedPreconditionError(fmt::format(
      "{}: draw commitment {} is {}; only a revealed draw has winners", what, id,
      (*entry)->record.status == CommitmentStatus::kPending ? "still pending" : "abandoned"));
}
}  // namespace internal

namespace {
// The commitment `id` if it is pending, else why it cannot be settled.
absl::StatusOr<const Engine::State::CommitmentEntry*> PendingCommitment(
    const Engine::State& state, CommitmentId id, std::string_view what) {
  absl::StatusOr<const Engine::State::CommitmentEntry*> found =
      internal::FindCommitment(state, id, what);
  if (!found.ok()) return found;
  const Engine::State::CommitmentEntry& entry = **found;
  switch (entry.record.status) {
    case CommitmentStatus::kPending:
      return &entry;
    case CommitmentStatus::kRevealed:
      return absl::FailedPreconditionError(fmt::format(
          "{}: draw commitment {} was already revealed as draw {}", what, id, entry.record.draw));
    case CommitmentStatus::kAbandoned:
      break;
  }
  return absl::FailedPreconditionError(
      fmt::format("{}: draw commitment {} was abandoned", what, id));
}

// The inputs of a pending commitment as the campaign stands now: equal to the
// committed ones exactly when nothing the draw reads has changed.
BuiltInputs RebuildInputs(const Engine::State& state,
                          const Engine::State::CommitmentEntry& entry) {
  const DrawCommitment& committed = entry.record;
  return BuildInputs(state, committed.id, committed.request, committed.beacon,
                     state.current_policy(), committed.library_version);
}

absl::Status CheckSettledAt(std::string_view what, const DrawCommitment& commitment,
                            absl::Time at) {
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime(fmt::format("{}: `at`", what), at));
  if (at < commitment.request.at) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: `at` {} is before draw commitment {} was made, at {}", what,
        absl::FormatTime(at, absl::UTCTimeZone()), commitment.id,
        absl::FormatTime(commitment.request.at, absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<Prepared<CommitmentChange>> Engine::PrepareCommitDraw(
    const DrawRequest& request, std::string_view beacon) const {
  return PrepareReplayCommitDraw(request, beacon, Version());
}

absl::StatusOr<Prepared<CommitmentChange>> Engine::PrepareReplayCommitDraw(
    const DrawRequest& request, std::string_view beacon, std::string_view library_version) const {
  if (request.seed != DrawSeed{}) {
    return absl::InvalidArgumentError(
        "commit draw: the request carries a seed; a committed draw's seed comes from its "
        "commitment and beacon (docs/draw.md section 9)");
  }
  VAXALLOC_RETURN_IF_ERROR(internal::CheckDrawRequest(*state_, request));
  VAXALLOC_RETURN_IF_ERROR(CheckText("commit draw: beacon", beacon, kBeaconNameMax));
  VAXALLOC_RETURN_IF_ERROR(
      CheckText("commit draw: library version", library_version, kLibraryVersionMax));
  if (state_->pending_commitment != kNoId) {
    return absl::FailedPreconditionError(fmt::format(
        "commit draw: draw commitment {} is still pending; reveal or abandon it first",
        state_->pending_commitment));
  }
  for (const State::CommitmentEntry& earlier : state_->commitments) {
    if (earlier.record.beacon == beacon) {
      return absl::AlreadyExistsError(fmt::format(
          "commit draw: beacon '{}' was named by draw commitment {}; once its value is out a "
          "commitment to it could be chosen to suit, so each beacon decides one draw",
          beacon, earlier.record.id));
    }
  }
  CommitmentChange change;
  DrawCommitment& commitment = change.commitment;
  commitment.id = static_cast<CommitmentId>(state_->commitments.size() + 1);
  commitment.request = request;
  commitment.request.at = internal::FromMicros(internal::ToMicros(request.at));
  commitment.beacon = std::string(beacon);
  commitment.library_version = std::string(library_version);
  commitment.policy_version = state_->current_policy().version;
  BuiltInputs built = BuildInputs(*state_, commitment.id, commitment.request, beacon,
                                  state_->current_policy(), library_version);
  commitment.commitment = internal::Sha256Of(built.bytes);
  commitment.input_bytes = built.bytes.size();
  change.inputs = std::make_shared<const std::string>(std::move(built.bytes));
  return Prepared<CommitmentChange>{state_->revision, std::move(change)};
}

absl::StatusOr<Prepared<DrawOutcome>> Engine::PrepareRevealDraw(CommitmentId id,
                                                                std::string_view beacon_value,
                                                                absl::Time at) const {
  constexpr std::string_view kWhat = "reveal draw";
  absl::StatusOr<const State::CommitmentEntry*> entry = PendingCommitment(*state_, id, kWhat);
  if (!entry.ok()) return entry.status();
  const DrawCommitment& committed = (*entry)->record;
  if (beacon_value.empty() || beacon_value.size() > kBeaconValueMax) {
    return absl::InvalidArgumentError(fmt::format(
        "reveal draw: the beacon value has {} bytes; expected 1 to {}", beacon_value.size(),
        kBeaconValueMax));
  }
  VAXALLOC_RETURN_IF_ERROR(CheckSettledAt(kWhat, committed, at));
  // The inputs being the committed ones is what lets the draw run at the
  // committed instant: changes since that touched nothing it reads (a code,
  // attendance, a booking at another center) do not stop it.
  VAXALLOC_RETURN_IF_ERROR(
      internal::CheckDrawRequest(*state_, committed.request, /*after_latest_change=*/false));
  BuiltInputs built = RebuildInputs(*state_, **entry);
  if (built.bytes != *(*entry)->inputs) {
    return absl::FailedPreconditionError(fmt::format(
        "reveal draw: the inputs of draw commitment {} changed since it was made (first in "
        "section '{}'): the draw would not run on what was committed; abandon it and commit "
        "anew",
        id, FirstDifferentSection(*(*entry)->inputs, built.bytes)));
  }
  DrawRequest request = committed.request;
  request.seed = internal::SeedFromBeacon(committed.commitment, beacon_value);
  if (state_->seeds_used.contains(std::make_pair(request.seed.k0, request.seed.k1))) {
    return absl::AlreadyExistsError(
        fmt::format("reveal draw: the seed of draw commitment {} was used by an earlier draw", id));
  }
  DrawOutcome outcome =
      internal::RunDraw(*state_, request, state_->current_policy(), &built.candidates);
  outcome.record.commitment = id;
  DrawCommitment revealed = committed;
  revealed.request.seed = request.seed;
  revealed.status = CommitmentStatus::kRevealed;
  revealed.beacon_value = std::string(beacon_value);
  revealed.draw = outcome.record.id;
  revealed.settled_at = internal::FromMicros(internal::ToMicros(at));
  outcome.results =
      std::make_shared<const std::string>(BuildResults(outcome, revealed, built.candidates));
  outcome.revealed = std::move(revealed);
  return Prepared<DrawOutcome>{state_->revision, std::move(outcome)};
}

absl::StatusOr<Prepared<CommitmentChange>> Engine::PrepareAbandonDraw(CommitmentId id,
                                                                      std::string_view reason,
                                                                      absl::Time at) const {
  constexpr std::string_view kWhat = "abandon draw";
  absl::StatusOr<const State::CommitmentEntry*> entry = PendingCommitment(*state_, id, kWhat);
  if (!entry.ok()) return entry.status();
  VAXALLOC_RETURN_IF_ERROR(CheckText("abandon draw: reason", reason, kAbandonReasonMax));
  VAXALLOC_RETURN_IF_ERROR(CheckSettledAt(kWhat, (*entry)->record, at));
  const DrawCommitment& committed = (*entry)->record;
  CommitmentChange change;
  change.commitment = committed;
  change.commitment.status = CommitmentStatus::kAbandoned;
  change.commitment.abandon_reason = std::string(reason);
  change.commitment.abandoned_unchanged =
      RebuildInputs(*state_, **entry).bytes == *(*entry)->inputs;
  change.commitment.settled_at = internal::FromMicros(internal::ToMicros(at));
  change.inputs = (*entry)->inputs;
  return Prepared<CommitmentChange>{state_->revision, std::move(change)};
}

void Engine::Apply(const Prepared<CommitmentChange>& prepared) {
  VAXALLOC_ASSERT(prepared.revision == state_->revision);
  const DrawCommitment& commitment = prepared.change.commitment;
  state_->NoteChange(internal::ChangeInstantUs(prepared.change));
  if (commitment.status == CommitmentStatus::kPending) {
    VAXALLOC_ASSERT(commitment.id == state_->commitments.size() + 1);
    VAXALLOC_ASSERT(state_->pending_commitment == kNoId);
    state_->commitments.push_back({commitment, prepared.change.inputs, nullptr});
    state_->pending_commitment = commitment.id;
  } else {
    VAXALLOC_ASSERT(commitment.status == CommitmentStatus::kAbandoned);
    VAXALLOC_ASSERT(state_->pending_commitment == commitment.id);
    state_->commitments[commitment.id - 1].record = commitment;
    state_->pending_commitment = kNoId;
  }
  ++state_->revision;
}

namespace internal {
// Engine::Apply(DrawOutcome)'s part for a reveal.
void ApplyReveal(Engine::State& state, const DrawOutcome& outcome) {
  if (!outcome.revealed) return;
  const DrawCommitment& revealed = *outcome.revealed;
  VAXALLOC_ASSERT(state.pending_commitment == revealed.id);
  Engine::State::CommitmentEntry& entry = state.commitments[revealed.id - 1];
  entry.record = revealed;
  entry.results = outcome.results;
  state.pending_commitment = kNoId;
}
}  // namespace internal

absl::Status Engine::RestoreDrawCommitment(const DrawCommitment& commitment, std::string inputs,
                                           std::string results) {
  const CommitmentId id = commitment.id;
  auto lost = [id](std::string_view why) {
    return absl::DataLossError(fmt::format("stored draw commitment {} {}", id, why));
  };
  if (id != state_->commitments.size() + 1) return lost("is out of sequence");
  if (internal::Sha256Of(inputs) != commitment.commitment || inputs.size() != commitment.input_bytes) {
    return lost("does not hash to its stored inputs");
  }
  std::string library_version;
  if (!WellFramed(inputs, &library_version)) {
    return lost("has inputs of another shape than docs/draw.md section 10");
  }
  if (library_version != commitment.library_version) {
    return lost(fmt::format("names library version '{}' but its inputs say '{}'",
                            commitment.library_version, library_version));
  }
  if (commitment.policy_version == 0 || commitment.policy_version > state_->policies.size()) {
    return lost(fmt::format("names unknown policy version {}", commitment.policy_version));
  }
  switch (commitment.status) {
    case CommitmentStatus::kPending:
      if (state_->pending_commitment != kNoId) return lost("is a second pending one");
      if (!results.empty()) return lost("is pending but has results");
      break;
    case CommitmentStatus::kRevealed:
      if (commitment.draw == kNoId || commitment.draw > state_->draws.size() ||
          state_->draws[commitment.draw - 1].commitment != kNoId) {
        return lost(fmt::format("names draw {}, unknown or revealed by another commitment",
                                commitment.draw));
      }
      if (state_->draws[commitment.draw - 1].request.seed != commitment.request.seed) {
        return lost(fmt::format("has another seed than draw {}", commitment.draw));
      }
      if (results.empty()) return lost("is revealed but has no results");
      break;
    case CommitmentStatus::kAbandoned:
      if (!results.empty()) return lost("is abandoned but has results");
      break;
    default:
      return lost("has an unknown status");
  }
  if (commitment.status == CommitmentStatus::kPending) state_->pending_commitment = id;
  if (commitment.status == CommitmentStatus::kRevealed) {
    state_->draws[commitment.draw - 1].commitment = id;
  }
  state_->commitments.push_back(
      {commitment, std::make_shared<const std::string>(std::move(inputs)),
       results.empty() ? nullptr : std::make_shared<const std::string>(std::move(results))});
  ++state_->revision;
  return absl::OkStatus();
}

absl::StatusOr<DrawCommitment> Engine::GetDrawCommitment(CommitmentId id) const {
  absl::StatusOr<const State::CommitmentEntry*> entry =
      internal::FindCommitment(*state_, id, "draw commitment");
  if (!entry.ok()) return entry.status();
  return (*entry)->record;
}

uint32_t Engine::draw_commitment_count() const {
  return static_cast<uint32_t>(state_->commitments.size());
}

absl::StatusOr<std::string> Engine::DrawInputs(CommitmentId id) const {
  absl::StatusOr<const State::CommitmentEntry*> entry =
      internal::FindCommitment(*state_, id, "draw inputs");
  if (!entry.ok()) return entry.status();
  return *(*entry)->inputs;
}

absl::StatusOr<std::string> Engine::DrawBundle(CommitmentId id) const {
  absl::StatusOr<const State::CommitmentEntry*> found =
      internal::RevealedCommitment(*state_, id, "draw bundle");
  if (!found.ok()) return found.status();
  const State::CommitmentEntry& entry = **found;
  JournalWriter out;
  out.Raw(kBundleMagic);
  out.U64(entry.inputs->size());
  out.Raw(*entry.inputs);
  out.Raw(BytesOf(entry.record.commitment));
  out.U32(static_cast<uint32_t>(entry.record.beacon_value.size()));
  out.Raw(entry.record.beacon_value);
  out.U64(entry.record.request.seed.k0);
  out.U64(entry.record.request.seed.k1);
  out.Raw(*entry.results);
  return out.Take();
}

namespace {
absl::Status FileError(std::string_view what, const std::string& path, int error) {
  const std::string message =
      fmt::format("draw bundle: {} '{}': {}", what, path, std::strerror(error));
  if (error == EACCES || error == EPERM || error == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  return absl::UnknownError(message);
}
}  // namespace

absl::Status Engine::WriteDrawBundle(CommitmentId id, const std::string& path) const {
  absl::StatusOr<std::string> bundle = DrawBundle(id);
  if (!bundle.ok()) return bundle.status();
  if (path.empty() || path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("draw bundle: the path is empty or contains a NUL byte");
  }
  // A name of its own beside the file (mkstemp: O_EXCL, so a planted link or
  // another writer's temporary is never followed or truncated).
  std::string temporary = path + ".XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return FileError("cannot create a temporary file beside", path, errno);
  ::fchmod(fd, 0644);
  size_t written = 0;
  int error = 0;
  while (written < bundle->size()) {
    const ssize_t n = ::write(fd, bundle->data() + written, bundle->size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && std::rename(temporary.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temporary.c_str());
    return FileError("cannot write", path, error);
  }
  // The rename is durable once the directory is.
  const std::string directory = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

}  // namespace vaxalloc
