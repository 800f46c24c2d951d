// One-time verification codes for online cancellation and withdrawal
// (docs/booking.md, "Verification codes").
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "fmt/format.h"
#include "src/engine_state.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/lottery.h"

namespace vaxalloc {
namespace {

using internal::RegistrantRow;

uint64_t PowerOfTen(int digits) {
  uint64_t value = 1;
  for (int i = 0; i < digits; ++i) value *= 10;
  return value;
}

// The code for a random word: Lemire's multiply-shift maps it onto
// [0, 10^digits); the bias is below 10^10 / 2^64 < 2^-30.
std::string CodeDigits(uint64_t random, int digits) {
  const uint64_t bound = PowerOfTen(digits);
  const auto value = static_cast<uint64_t>((static_cast<unsigned __int128>(random) * bound) >> 64);
  return fmt::format("{:0{}}", value, digits);
}

uint64_t CodeHash(const VerificationCode& code, std::string_view digits) {
  return SipHash24(code.salt0, code.salt1, digits);
}

// Equal without an early exit, so the time taken tells nothing.
bool ConstantTimeEqual(uint64_t a, uint64_t b) {
  volatile uint64_t difference = a ^ b;
  return difference == 0;
}

std::string FormatInstant(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<CodeEntropy> CodeEntropy::FromSystem() {
  uint64_t words[3];
  size_t filled = 0;
  while (filled < sizeof(words)) {
    const ssize_t got =
        getrandom(reinterpret_cast<char*>(words) + filled, sizeof(words) - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    // Without the kernel's random source there is no safe code to make.
    if (got <= 0) {
      return absl::UnavailableError(
          fmt::format("code: no random bytes from the kernel ({})", std::strerror(errno)));
    }
    filled += static_cast<size_t>(got);
  }
  return CodeEntropy{words[0], words[1], words[2]};
}

absl::StatusOr<Prepared<IssuedCode>> Engine::PrepareIssueCode(const CodeRequest& request,
                                                              const CodeEntropy& entropy) const {
  CodeSecret secret;
  secret.salt0 = entropy.salt0;
  secret.salt1 = entropy.salt1;
  secret.value = entropy.value;
  return PrepareIssueCodeWith(request, secret);
}

absl::StatusOr<Prepared<IssuedCode>> Engine::PrepareReplayIssueCode(
    const CodeRequest& request, const VerificationCode& recorded) const {
  CodeSecret secret;
  secret.salt0 = recorded.salt0;
  secret.salt1 = recorded.salt1;
  secret.hash = recorded.hash;
  absl::StatusOr<Prepared<IssuedCode>> prepared = PrepareIssueCodeWith(request, secret);
  if (prepared.ok() && prepared->change.record.id != recorded.id) {
    return absl::DataLossError(fmt::format("code: the replay made code {}, the journal says {}",
                                           prepared->change.record.id, recorded.id));
  }
  return prepared;
}

namespace {
// The limits against guessing by reissue (types.h, kCodesPerDayMax).
absl::Status CheckCodeLimits(const Engine::State& state, RegistrantId id, absl::Time at) {
  const auto it = state.codes_by_registrant.find(id);
  if (it == state.codes_by_registrant.end()) return absl::OkStatus();
  const std::vector<CodeId>& codes = it->second;
  if (codes.size() >= static_cast<size_t>(kCodesPerRegistrantMax)) {
    return absl::ResourceExhaustedError(fmt::format(
        "code: registrant {} has been issued {} codes, the most one registrant gets", id,
        codes.size()));
  }
  // Codes need not be issued in time order: any within 24 hours either way.
  std::vector<absl::Time> near;
  bool all_before = true;
  for (CodeId code : codes) {
    const absl::Time issued_at = state.codes[code - 1].issued_at;
    if (absl::AbsDuration(issued_at - at) < absl::Hours(24)) {
      near.push_back(issued_at);
      all_before = all_before && issued_at <= at;
    }
  }
  if (near.size() < static_cast<size_t>(kCodesPerDayMax)) return absl::OkStatus();
  std::string next;
  if (all_before) {
    // Once the oldest that keeps the count at the limit is 24 hours past.
    std::sort(near.begin(), near.end());
    next = fmt::format("; the next can be issued from {}",
                       FormatInstant(near[near.size() - kCodesPerDayMax] + absl::Hours(24)));
  }
  return absl::ResourceExhaustedError(
      fmt::format("code: registrant {} was issued {} codes within 24 hours of {}, the most "
                  "allowed{}",
                  id, near.size(), FormatInstant(at), next));
}
}  // namespace

absl::StatusOr<Prepared<IssuedCode>> Engine::PrepareIssueCodeWith(const CodeRequest& request,
                                                                  const CodeSecret& secret) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime("code: `at`", request.at));
  VAXALLOC_RETURN_IF_ERROR(internal::CheckAfterLatestDraw(state, "code: `at`", request.at, false));
  const RegistrantId id = request.registrant;
  if (id == kNoId || id > state.registrants.size()) {
    return absl::NotFoundError(fmt::format("code: unknown registrant id {}", id));
  }
  const RegistrantRow& row = state.registrants[id - 1];
  if (row.erased()) {
    return absl::FailedPreconditionError(
        fmt::format("code: registrant {}'s registration is deleted", id));
  }
  // A withdrawn person may still delete the registration.
  if (row.status == RegistrantStatus::kWithdrawn && request.purpose != CodePurpose::kWithdraw) {
    return absl::FailedPreconditionError(fmt::format("code: registrant {} has withdrawn", id));
  }
  switch (request.purpose) {
    case CodePurpose::kCancelSeries:
      if (request.series == kNoId || request.series > state.series.size()) {
        return absl::NotFoundError(fmt::format("code: unknown series id {}", request.series));
      }
      if (state.series[request.series - 1].registrant != id ||
          state.series[request.series - 1].status != SeriesStatus::kActive) {
        return absl::FailedPreconditionError(fmt::format(
            "code: series {} is not an active series of registrant {}", request.series, id));
      }
      break;
    case CodePurpose::kWithdraw:
      if (request.series != kNoId) {
        return absl::InvalidArgumentError("code: a withdrawal code names no series");
      }
      break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("code: unknown purpose {}", static_cast<int>(request.purpose)));
  }
  if (state.codes.size() >= kCodesMax) {
    return absl::ResourceExhaustedError(
        fmt::format("code: the campaign holds {} codes, the most it keeps", kCodesMax));
  }
  // A replay records what the writer admitted, under whatever limits it had.
  if (secret.value.has_value()) VAXALLOC_RETURN_IF_ERROR(CheckCodeLimits(state, id, request.at));
  const Policy& policy = state.current_policy().policy;
  const absl::Time at = internal::FromMicros(internal::ToMicros(request.at));
  Prepared<IssuedCode> prepared{state.revision, {}};
  IssuedCode& issued = prepared.change;
  VerificationCode& code = issued.record;
  code.id = static_cast<CodeId>(state.codes.size() + 1);
  code.registrant = id;
  code.purpose = request.purpose;
  code.series = request.series;
  code.issued_at = at;
  code.expires_at = at + policy.code_lifetime;
  code.salt0 = secret.salt0;
  code.salt1 = secret.salt1;
  if (secret.value.has_value()) {
    issued.code = CodeDigits(*secret.value, policy.code_digits);
    code.hash = CodeHash(code, issued.code);
  } else {
    code.hash = secret.hash;  // a replay: the digits are not kept anywhere
  }
  if (auto pending = state.pending_codes.find({id, static_cast<uint8_t>(request.purpose)});
      pending != state.pending_codes.end()) {
    VerificationCode old = state.codes[pending->second - 1];
    old.state = CodeState::kSuperseded;
    issued.superseded.push_back(old);
  }
  issued.event = internal::MakeEvent(EventKind::kCodeIssued, at, id, request.series);
  issued.event.code_id = code.id;
  issued.event.code = issued.code;
  return prepared;
}

namespace {
void StoreCode(Engine::State& state, const VerificationCode& code) {
  const std::pair<RegistrantId, uint8_t> key{code.registrant, static_cast<uint8_t>(code.purpose)};
  if (code.id == state.codes.size() + 1) {
    state.codes.push_back(code);
    state.codes_by_registrant[code.registrant].push_back(code.id);
  } else {
    VAXALLOC_ASSERT(code.id != kNoId && code.id <= state.codes.size());
    state.codes[code.id - 1] = code;
  }
  if (code.state == CodeState::kPending) {
    state.pending_codes[key] = code.id;
  } else if (auto it = state.pending_codes.find(key);
             it != state.pending_codes.end() && it->second == code.id) {
    state.pending_codes.erase(it);
  }
}
}  // namespace

void Engine::Apply(const Prepared<IssuedCode>& prepared) {
  VAXALLOC_ASSERT(prepared.revision == state_->revision);
  state_->NoteChange(internal::ChangeInstantUs(prepared.change));
  for (const VerificationCode& old : prepared.change.superseded) StoreCode(*state_, old);
  StoreCode(*state_, prepared.change.record);
  ++state_->revision;
}

absl::StatusOr<Prepared<CodeVerification>> Engine::PrepareVerifyCode(CodeId id,
                                                                     std::string_view entered,
                                                                     absl::Time at) const {
  const bool digits_only = !entered.empty() &&
                           entered.size() <= static_cast<size_t>(kCodeDigitsMax) &&
                           entered.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits_only) {
    return absl::InvalidArgumentError(
        fmt::format("code {}: the entry is not 1..{} digits", id, kCodeDigitsMax));
  }
  // The hash of the entry is computed whatever its length, and compared in
  // constant time.
  return PrepareVerifyCodeWith(id, at, [entered](const VerificationCode& code) {
    return ConstantTimeEqual(CodeHash(code, entered), code.hash);
  });
}

absl::StatusOr<Prepared<CodeVerification>> Engine::PrepareReplayVerifyCode(CodeId id,
                                                                           absl::Time at,
                                                                           bool matched) const {
  return PrepareVerifyCodeWith(id, at, [matched](const VerificationCode&) { return matched; });
}

absl::StatusOr<Prepared<CodeVerification>> Engine::PrepareVerifyCodeWith(
    CodeId id, absl::Time at, absl::FunctionRef<bool(const VerificationCode&)> matches) const {
  const State& state = *state_;
  VAXALLOC_RETURN_IF_ERROR(internal::CheckTime("verification time", at));
  if (id == kNoId || id > state.codes.size()) {
    return absl::NotFoundError(fmt::format("unknown code id {}", id));
  }
  const Policy& policy = state.current_policy().policy;
  Prepared<CodeVerification> prepared{state.revision, {}};
  CodeVerification& verification = prepared.change;
  verification.at = internal::FromMicros(internal::ToMicros(at));
  verification.record = state.codes[id - 1];
  VerificationCode& code = verification.record;
  if (at < code.issued_at) {
    return absl::FailedPreconditionError(
        fmt::format("code {}: an entry stamped before the code was issued", id));
  }
  if (code.state == CodeState::kUsed || code.state == CodeState::kSuperseded) {
    verification.outcome = CodeOutcome::kNotPending;
    return prepared;
  }
  // A policy that lowered code_attempts since the code's last wrong entry
  // leaves it pending with no attempt left: it is locked all the same.
  if (code.state == CodeState::kLocked || code.attempts >= policy.code_attempts) {
    verification.outcome = CodeOutcome::kLocked;
    return prepared;
  }
  if (at >= code.expires_at) {
    verification.outcome = CodeOutcome::kExpired;
    return prepared;
  }
  // The action is checked before the entry: a refusal must not tell a
  // guesser that the digits were right.
  // A withdrawal code deletes the registration (its personal data too),
  // also of a person withdrawn since.
  absl::StatusOr<Prepared<Cancellation>> action =
      code.purpose == CodePurpose::kCancelSeries ? PrepareCancelSeries(code.series, at)
                                                 : PrepareDeleteRegistration(code.registrant, at);
  if (!action.ok()) {
    return absl::Status(action.status().code(),
                        fmt::format("code {} can no longer be used: {}", id,
                                    std::string(action.status().message())));
  }
  if (!matches(code)) {
    verification.outcome = CodeOutcome::kWrong;
    ++code.attempts;
    if (code.attempts >= policy.code_attempts) code.state = CodeState::kLocked;
    verification.record_changed = true;
    return prepared;
  }
  verification.outcome = CodeOutcome::kAccepted;
  code.state = CodeState::kUsed;
  verification.record_changed = true;
  verification.action = std::move(action->change);
  return prepared;
}

void Engine::Apply(const Prepared<CodeVerification>& prepared) {
  VAXALLOC_ASSERT(prepared.revision == state_->revision);
  const CodeVerification& verification = prepared.change;
  if (!verification.record_changed) return;  // nothing happened
  state_->NoteChange(internal::ChangeInstantUs(verification));
  StoreCode(*state_, verification.record);
  ++state_->revision;
  if (verification.action) Apply(Prepared<Cancellation>{state_->revision, *verification.action});
}

absl::StatusOr<IssuedCode> Engine::IssueCode(const CodeRequest& request) {
  absl::StatusOr<CodeEntropy> entropy = CodeEntropy::FromSystem();
  if (!entropy.ok()) return entropy.status();
  absl::StatusOr<Prepared<IssuedCode>> prepared = PrepareIssueCode(request, *entropy);
  if (!prepared.ok()) return prepared.status();
  Apply(*prepared);
  return std::move(prepared->change);
}

absl::Status Engine::VerifyCode(CodeId code, std::string_view entered, absl::Time at,
                                CodeOutcome* outcome) {
  absl::StatusOr<Prepared<CodeVerification>> prepared = PrepareVerifyCode(code, entered, at);
  if (!prepared.ok()) return prepared.status();
  Apply(*prepared);
  if (outcome != nullptr) *outcome = prepared->change.outcome;
  return internal::CodeOutcomeStatus(prepared->change, policy());
}

absl::Status internal::CodeOutcomeStatus(const CodeVerification& verification,
                                         const Policy& policy) {
  const VerificationCode& code = verification.record;
  switch (verification.outcome) {
    case CodeOutcome::kAccepted:
      return absl::OkStatus();
    case CodeOutcome::kWrong:
      if (code.state == CodeState::kLocked) {
        return absl::UnauthenticatedError(
            fmt::format("code {} is wrong; that was the last of {} attempts, the code is locked",
                        code.id, policy.code_attempts));
      }
      return absl::UnauthenticatedError(
          fmt::format("code {} is wrong; {} attempt(s) left", code.id,
                      std::max(0, policy.code_attempts - code.attempts)));
    case CodeOutcome::kExpired:
      return absl::UnauthenticatedError(
          fmt::format("code {} expired at {}", code.id, FormatInstant(code.expires_at)));
    case CodeOutcome::kLocked:
      return absl::UnauthenticatedError(
          fmt::format("code {} is locked after {} wrong attempts", code.id, code.attempts));
    case CodeOutcome::kNotPending:
      return absl::FailedPreconditionError(
          fmt::format("code {} was already {}", code.id,
                      code.state == CodeState::kUsed ? "used" : "replaced by a newer code"));
  }
  return absl::InternalError("unknown code outcome");
}

absl::Status Engine::RestoreCode(const VerificationCode& code) {
  const std::string what = fmt::format("stored code {}", code.id);
  if (code.id != state_->codes.size() + 1) {
    return absl::DataLossError(fmt::format("{} out of sequence", what));
  }
  if (code.registrant == kNoId || code.registrant > state_->registrants.size()) {
    return absl::DataLossError(fmt::format("{} names an unknown registrant", what));
  }
  if (code.purpose != CodePurpose::kCancelSeries && code.purpose != CodePurpose::kWithdraw) {
    return absl::DataLossError(fmt::format("{} has an unknown purpose", what));
  }
  if (static_cast<int>(code.state) > static_cast<int>(CodeState::kSuperseded)) {
    return absl::DataLossError(fmt::format("{} has an unknown state", what));
  }
  if (code.series > state_->series.size()) {
    return absl::DataLossError(fmt::format("{} names an unknown series", what));
  }
  if (code.state == CodeState::kPending &&
      state_->pending_codes.contains({code.registrant, static_cast<uint8_t>(code.purpose)})) {
    return absl::DataLossError(fmt::format("{} is a second pending code for its purpose", what));
  }
  StoreCode(*state_, code);
  ++state_->revision;
  return absl::OkStatus();
}

uint32_t Engine::code_count() const { return static_cast<uint32_t>(state_->codes.size()); }

absl::StatusOr<VerificationCode> Engine::GetCode(CodeId id) const {
  if (id == kNoId || id > state_->codes.size()) {
    return absl::NotFoundError(fmt::format("unknown code id {}", id));
  }
  return state_->codes[id - 1];
}

}  // namespace vaxalloc
