// A campaign kept in one SQLite file. Every mutation is one SQLite
// transaction: the engine's Prepare half runs first, then the change is
// written and committed, and only then applied in memory. A failed commit
// leaves both the file and the engine as they were.
#ifndef VAXALLOC_STORE_H_
#define VAXALLOC_STORE_H_

#include <array>
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
  // A reporting process: reads and follows the journal, never writes (every
  // change, acknowledgments included, is FailedPrecondition). The file must
  // exist at the current schema version.
  bool read_only = false;
  // Walks the whole journal's hash chain when opening (DataLoss when it is
  // broken). Without it, opening checks the last entry against its
  // predecessor; VerifyJournal checks the whole chain at any time.
  bool verify_journal = false;
};

// One entry of the operation journal (docs/journal.md).
struct JournalEntry {
  uint64_t seq = 0;     // 1, 2, 3, ... in commit order
  uint8_t op = 0;       // the operation's number (docs/journal.md)
  std::string op_name;  // "book", "draw", ...
  absl::Time committed_at;
  // Engine::latest_change() once the entry is applied: the campaign's own
  // clock (InfinitePast before any stamped change).
  absl::Time clock;
  std::string args;     // the canonical arguments, as hashed
  std::array<uint8_t, 32> hash{};  // SHA-256 chained to the previous entry
};

// What VerifyJournal found.
struct JournalCheck {
  uint64_t entries = 0;        // entries checked and found intact
  uint64_t first_bad_seq = 0;  // 0: intact; else the first entry changed, removed or out of order
  std::string problem;         // what is wrong there; empty when intact
  std::array<uint8_t, 32> head{};  // the last entry's hash, when intact
  bool intact() const { return first_bad_seq == 0; }
};
inline constexpr size_t kJournalEntriesPerReadMax = 10'000;

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
  // Other connections (processes, or Stores in this one) may read and write
  // the same file at the same time: every change is an entry of the file's
  // operation journal, and each Store follows it (Refresh).
  // A file that is not a vaxalloc database, is corrupt or comes from a newer
  // library version gives an error and is not modified.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The campaign as of this Store's last call: every write, and Refresh,
  // first catch up with what other connections committed. Read it; change
  // it only through the Store.
  const Engine& engine() const { return engine_; }

  // Catches up with the entries other connections committed since, applying
  // them in order without reloading; costs one PRAGMA when there are none.
  // Call it before reading engine() (the C and Python layers do, on every
  // call). DataLoss when the journal no longer chains to what this Store
  // applied.
  absl::Status Refresh();
  // The last journal entry the engine includes.
  uint64_t journal_seq() const;
  bool read_only() const;

  // The journal: entries with seq > after_seq, oldest first, at most `limit`
  // (1..kJournalEntriesPerReadMax), as the file holds them now.
  absl::StatusOr<std::vector<JournalEntry>> ReadJournal(uint64_t after_seq = 0,
                                                        size_t limit = 1000) const;
  // Walks the hash chain from the first entry and reports the first entry
  // that was changed, removed or moved. Errors only for I/O.
  absl::StatusOr<JournalCheck> VerifyJournal() const;
  const std::string& path() const { return path_; }

  // The same operations as Engine's, each committed as one transaction with
  // its journal entry. A change prepared while another connection was
  // committing is prepared again on the caught-up state, under the write
  // lock: it is never written on a stale state, nor refused for one.
  absl::StatusOr<DistrictId> AddDistrict(std::string_view code, std::string_view name);
  absl::StatusOr<VaccineId> AddVaccine(const VaccineSpec& spec);
  absl::StatusOr<CenterId> AddCenter(const CenterSpec& spec);
  absl::Status AddCapacity(const CapacityBlock& block);
  absl::Status AddSupply(const SupplyDelivery& delivery);
  absl::StatusOr<uint32_t> SetPolicy(const Policy& policy);
  absl::StatusOr<RegistrantId> Register(const RegistrantSpec& spec);
  absl::StatusOr<std::vector<RegistrantId>> RegisterBatch(absl::Span<const RegistrantSpec> specs);
  absl::StatusOr<DrawRecord> Draw(const DrawRequest& request);
  // Committed draws (docs/draw.md section 9); the commitment keeps its
  // inputs and, once revealed, its results in the file, so that the audit
  // bundle (engine().DrawBundle) can be made at any later time.
  absl::StatusOr<DrawCommitment> CommitDraw(const DrawRequest& request, std::string_view beacon);
  absl::StatusOr<DrawRecord> RevealDraw(CommitmentId commitment, std::string_view beacon_value,
                                        absl::Time at);
  absl::Status AbandonDraw(CommitmentId commitment, std::string_view reason, absl::Time at);
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
  // id above the last event ever written is InvalidArgument. Delivery
  // housekeeping: no journal entry.
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
