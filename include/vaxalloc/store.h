// A campaign kept in one SQLite file. Every mutation is one SQLite
// transaction: the engine's Prepare half runs first, then the change is
// written and committed, and only then applied in memory. A failed commit
// leaves both the file and the engine as they were.
#ifndef VAXALLOC_STORE_H_
#define VAXALLOC_STORE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "vaxalloc/engine.h"

namespace vaxalloc {

enum class Durability {
  kNormal,  // WAL with synchronous=NORMAL: a power loss may drop the last
            // commits but never corrupts; a process crash loses nothing
  kFull,    // synchronous=FULL: every commit is on disk when the call returns
};

struct StoreOptions {
  Durability durability = Durability::kNormal;
  // How long a writer waits for another process's write lock before the
  // call fails with Unavailable ("busy").
  absl::Duration busy_timeout = absl::Seconds(5);
  bool create_if_missing = true;
};

// What a host must act on (send a letter, an SMS, an e-mail), written in the
// same transaction as the change that causes it: the transactional outbox.
// Delivery is at least once: an event stays pending until acknowledged, so a
// crash between reading and acknowledging shows it again with the same id,
// which the host uses to drop duplicates.
// EventKind and Event are in types.h.
inline constexpr size_t kEventsPerReadMax = 100'000;

class Store {
 public:
  // Opens or creates the campaign file at `path` and loads it into memory.
  // Other connections may read the file at the same time; if one of them
  // commits a change, this Store refuses further writes (FailedPrecondition)
  // until it is reopened, so that memory and file never drift apart.
  // A file that is not a vaxalloc database, is corrupt or comes from a newer
  // library version gives an error and is not modified.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The campaign as committed. Read it; change it only through the Store.
  const Engine& engine() const { return engine_; }
  const std::string& path() const { return path_; }

  // The same operations as Engine's, each committed as one transaction.
  absl::StatusOr<DistrictId> AddDistrict(std::string_view code, std::string_view name);
  absl::StatusOr<VaccineId> AddVaccine(const VaccineSpec& spec);
  absl::StatusOr<CenterId> AddCenter(const CenterSpec& spec);
  absl::Status AddCapacity(const CapacityBlock& block);
  absl::Status AddSupply(const SupplyDelivery& delivery);
  absl::StatusOr<uint32_t> SetPolicy(const Policy& policy);
  absl::StatusOr<RegistrantId> Register(const RegistrantSpec& spec);
  absl::StatusOr<std::vector<RegistrantId>> RegisterBatch(absl::Span<const RegistrantSpec> specs);
  absl::StatusOr<DrawRecord> Draw(const DrawRequest& request);
  absl::Status CancelSeries(SeriesId series, absl::Time at);
  absl::Status Withdraw(RegistrantId registrant, absl::Time at);
  absl::Status DeleteRegistration(RegistrantId registrant, absl::Time at);
  absl::StatusOr<ReleaseId> AddRelease(const ReleaseSpec& spec);
  absl::StatusOr<Series> Book(const BookingRequest& request);
  absl::StatusOr<Series> ConfirmHold(SeriesId hold, absl::Time at);
  absl::Status DeclineHold(SeriesId hold, absl::Time at);
  absl::StatusOr<uint32_t> ExpireHolds(absl::Time at);
  absl::StatusOr<Series> RecordDose(SeriesId series, int dose, DoseOutcome outcome, absl::Time at);
  absl::StatusOr<Series> RebookSecondDose(SeriesId series, absl::Time at);
  absl::StatusOr<IssuedCode> IssueCode(const CodeRequest& request);
  // A wrong code's attempt is committed before the call returns its error.
  absl::Status VerifyCode(CodeId code, std::string_view entered, absl::Time at,
                          CodeOutcome* outcome = nullptr);

  // The outbox. Pending events with id > after_id, oldest first, at most
  // `limit` (1..kEventsPerReadMax). Reads the file as it is now, including
  // other connections' acknowledgments.
  absl::StatusOr<std::vector<Event>> PendingEvents(uint64_t after_id = 0,
                                                   size_t limit = 1000) const;
  // Acknowledges every pending event with id <= through_id; they are not
  // shown again. Acknowledging ids already acknowledged (or 0) is harmless; an
  // id above the last event ever written is InvalidArgument. Like any write,
  // refused (FailedPrecondition) once another connection changed the file.
  absl::Status AcknowledgeEvents(uint64_t through_id);

 private:
  struct Database;
  Store(std::string path, std::unique_ptr<Database> database);

  std::string path_;
  std::unique_ptr<Database> database_;
  Engine engine_;
};

}  // namespace vaxalloc

#endif  // VAXALLOC_STORE_H_
