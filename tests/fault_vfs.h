// Fault injection for the test suites, as SQLite's own tests do it: a VFS
// shim over the default unix VFS, registered as the process's default, that
// counts the I/O calls SQLite makes (xOpen, xDelete, xAccess, xRead, xWrite,
// xTruncate, xSync, xFileSize, xLock, xUnlock, xCheckReservedLock, xShmMap,
// xShmLock) and, once armed, at the Nth counted call
//
//   - fails it, and every call after it (kPersistent: a disk that went away)
//     or only it (kTransient), with the call's SQLITE_IOERR_* code (or
//     SQLITE_FULL for writes and truncations, `disk_full`);
//   - or raises SIGKILL on the process (kCrash: a crash at exactly that
//     call; with `power_loss`, every write not yet synced is undone first, as
//     a power cut would lose it);
//
// and a wrapper of SQLite's allocator (sqlite3_config(SQLITE_CONFIG_MALLOC))
// that fails the Nth allocation (and every later one, or only it).
//
// Install() must run before the process first uses SQLite (it calls
// sqlite3_shutdown, configures the allocator, sqlite3_initialize and
// registers the VFS); every SQLite connection of the process then goes
// through the shim, the library's included. Disarmed, the shim only counts.
//
// Counters live in a shared anonymous mapping made by Install: a forked
// child's counts (and where its crash point fell) can be read by the parent
// after the child died.
#ifndef VAXALLOC_TESTS_FAULT_VFS_H_
#define VAXALLOC_TESTS_FAULT_VFS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vaxalloc::testing::fault {

enum class Call : uint8_t {
  kOpen,
  kDelete,
  kAccess,
  kRead,
  kWrite,
  kTruncate,
  kSync,
  kFileSize,
  kLock,
  kUnlock,
  kCheckReservedLock,
  kShmMap,
  kShmLock,
  kCount,  // the number of kinds
};
inline constexpr int kCallKinds = static_cast<int>(Call::kCount);
const char* CallName(Call call);

constexpr uint32_t Bit(Call call) { return uint32_t{1} << static_cast<int>(call); }
// Every counted call.
inline constexpr uint32_t kAllCalls = (uint32_t{1} << kCallKinds) - 1;
// The calls that change what is on disk: the crash points.
inline constexpr uint32_t kDiskCalls =
    Bit(Call::kWrite) | Bit(Call::kSync) | Bit(Call::kTruncate) | Bit(Call::kDelete);

enum class Mode : uint8_t {
  kCount,       // count only (the state after Install and Disarm)
  kPersistent,  // fail the Nth call and every one after it
  kTransient,   // fail the Nth call only
  kCrash,       // SIGKILL the process at the Nth call, before it runs
};

// Which threads' calls are counted (and failed): the Store checkpoints on a
// thread of its own.
enum class Threads : uint8_t { kAll, kArming, kOthers };

struct Plan {
  Mode mode = Mode::kCount;
  uint32_t calls = kAllCalls;  // the kinds counted
  uint64_t nth = 0;            // 1-based; 0: never
  Threads threads = Threads::kAll;
  bool disk_full = false;   // writes and truncations fail with SQLITE_FULL
  bool power_loss = false;  // kCrash: undo the writes not yet synced first
  bool trace = false;       // record every counted call (Trace)
};

// What the counters saw since the last Arm (or Install).
struct Counts {
  uint64_t calls = 0;    // counted I/O calls
  uint64_t faults = 0;   // I/O calls failed
  uint64_t allocations = 0;
  uint64_t allocation_faults = 0;
  uint64_t by_kind[kCallKinds] = {};
  // The call the first fault (or the crash) hit; kCount if none.
  Call first_fault = Call::kCount;
  // Bytes of writes undone for a power loss (kCrash with power_loss).
  uint64_t undone_bytes = 0;
  uint64_t undone_writes = 0;
};

// Once per process, before anything else uses SQLite. Idempotent. REQUIREs
// success (a failure means the process had opened SQLite already).
void Install();
bool Installed();

// Arms the I/O faults (and resets every counter, allocations' included).
void Arm(const Plan& plan);
// Arms allocation failures at the Nth allocation counted from now (0:
// never), persistent (and every later one) or not; counted on `threads`.
void ArmMalloc(uint64_t nth, bool persistent, Threads threads = Threads::kAll);
// Back to counting only; the counters keep what they saw.
void Disarm();
Counts Read();
// With Plan::trace: the counted calls since Arm, in order (at most
// kTraceMax; a forked child's too, read after it ended): the kind, and
// whether a thread other than the arming one made it.
inline constexpr uint64_t kTraceMax = uint64_t{1} << 23;
struct Traced {
  Call call = Call::kCount;
  bool other_thread = false;
};
std::vector<Traced> Trace();

// Everything the shim injected since Install, over all arms (for the
// suites' summaries; a forked child's are not included).
struct Totals {
  uint64_t io_faults = 0;
  uint64_t allocation_faults = 0;
};
Totals ReadTotals();

// RAII: disarms at scope exit.
class Armed {
 public:
  explicit Armed(const Plan& plan) { Arm(plan); }
  ~Armed() { Disarm(); }
  Armed(const Armed&) = delete;
  Armed& operator=(const Armed&) = delete;
};

}  // namespace vaxalloc::testing::fault

#endif  // VAXALLOC_TESTS_FAULT_VFS_H_
