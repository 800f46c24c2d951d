// The fault-injecting VFS shim and allocator wrapper of tests/fault_vfs.h.
//
// The shim is SQLite's usual one (as ext/misc/vfsstat.c): a sqlite3_file
// of its own with the real file right behind it (szOsFile is the sum), every
// method forwarded to the real one after the count. Unlocks are always
// performed, even when they are reported as failed: a lock SQLite believes
// released must be, or the next connection of the process waits for it.
#include "tests/fault_vfs.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vaxalloc::testing::fault {
namespace {

// --- State -------------------------------------------------------------------------

struct Shared {
  Counts counts;
  uint8_t trace[kTraceMax];  // pages only touched when tracing
};

Shared* shared = nullptr;  // MAP_SHARED: a forked child's counts reach the parent
std::mutex io_mutex;
Plan plan;                       // under io_mutex
std::thread::id arming_thread;   // under io_mutex (I/O) / read racily by malloc
bool failing = false;            // kPersistent: the Nth call was reached
std::atomic<uint64_t> total_io_faults{0};
std::atomic<uint64_t> total_allocation_faults{0};

// Allocations: atomics only, SQLite may allocate while holding its mutexes.
std::atomic<uint64_t> malloc_nth{0};
std::atomic<bool> malloc_persistent{false};
std::atomic<int> malloc_threads{0};
std::atomic<uint64_t> malloc_count{0};
std::atomic<uint64_t> malloc_faults{0};
std::atomic<std::thread::id> malloc_arming_thread{};
sqlite3_mem_methods real_memory{};
sqlite3_mem_methods fault_memory{};

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs fault_vfs{};
bool installed = false;

bool ThreadCounts(Threads threads, std::thread::id arming) {
  switch (threads) {
    case Threads::kAll:
      return true;
    case Threads::kArming:
      return std::this_thread::get_id() == arming;
    case Threads::kOthers:
      return std::this_thread::get_id() != arming;
  }
  return true;
}

int ErrorOf(Call call, bool disk_full) {
  switch (call) {
    case Call::kOpen:
      return SQLITE_CANTOPEN;
    case Call::kDelete:
      return SQLITE_IOERR_DELETE;
    case Call::kAccess:
      return SQLITE_IOERR_ACCESS;
    case Call::kRead:
      return SQLITE_IOERR_READ;
    case Call::kWrite:
      return disk_full ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    case Call::kTruncate:
      return disk_full ? SQLITE_FULL : SQLITE_IOERR_TRUNCATE;
    case Call::kSync:
      return SQLITE_IOERR_FSYNC;
    case Call::kFileSize:
      return SQLITE_IOERR_FSTAT;
    case Call::kLock:
      return SQLITE_IOERR_LOCK;
    case Call::kUnlock:
      return SQLITE_IOERR_UNLOCK;
    case Call::kCheckReservedLock:
      return SQLITE_IOERR_CHECKRESERVEDLOCK;
    case Call::kShmMap:
      return SQLITE_IOERR_SHMMAP;
    case Call::kShmLock:
      return SQLITE_IOERR_SHMLOCK;
    case Call::kCount:
      break;
  }
  return SQLITE_IOERR;
}

// --- Power loss: the writes not yet synced, per file ---------------------------------

struct Undo {
  int64_t offset = 0;
  std::string old_bytes;  // what the range held before (up to the old end)
};
struct FileHistory {
  int64_t synced_size = -1;  // the size at the last sync; -1: nothing written since
  std::vector<Undo> undo;
};
std::map<std::string, FileHistory>* histories = nullptr;  // under io_mutex

bool Tracked(const char* path) {
  if (path == nullptr) return false;  // a temporary file: gone with the process anyway
  const std::string_view name(path);
  return !(name.size() >= 4 && name.substr(name.size() - 4) == "-shm");
}

int64_t SizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

std::string ReadRange(const std::string& path, int64_t offset, int64_t length) {
  std::string bytes;
  if (length <= 0) return bytes;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  bytes.resize(static_cast<size_t>(length));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done,
                              static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  ::close(fd);
  return bytes;
}

// Before a write or truncation of [offset, end) of `path`.
void Remember(const std::string& path, int64_t offset, int64_t end) {
  FileHistory& history = (*histories)[path];
  const int64_t size = SizeOf(path);
  if (history.synced_size < 0) history.synced_size = size;
  const int64_t old_end = std::min(end, size);
  if (old_end > offset) history.undo.push_back(Undo{offset, ReadRange(path, offset, old_end - offset)});
}

// A power cut now: each file back to what its last sync made durable.
void UndoUnsynced() {
  for (auto& [path, history] : *histories) {
    if (history.synced_size < 0) continue;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (auto undo = history.undo.rbegin(); undo != history.undo.rend(); ++undo) {
      if (::pwrite(fd, undo->old_bytes.data(), undo->old_bytes.size(), undo->offset) < 0) break;
      shared->counts.undone_bytes += undo->old_bytes.size();
      ++shared->counts.undone_writes;
    }
    if (::ftruncate(fd, history.synced_size) != 0) {
      // Nothing better to do on the way down.
    }
    ::close(fd);
  }
}

// --- The decision at each call ------------------------------------------------------

struct Decision {
  bool fail = false;
  int error = SQLITE_OK;
};

// Under io_mutex. Counts the call and says what to do with it; kCrash dies here.
Decision Decide(Call call) {
  Counts& counts = shared->counts;
  if ((plan.calls & Bit(call)) == 0 || !ThreadCounts(plan.threads, arming_thread)) return {};
  ++counts.calls;
  ++counts.by_kind[static_cast<int>(call)];
  if (plan.trace && counts.calls <= kTraceMax) {
    const bool other = std::this_thread::get_id() != arming_thread;
    shared->trace[counts.calls - 1] = static_cast<uint8_t>(static_cast<int>(call) | (other ? 0x80 : 0));
  }
  if (plan.mode == Mode::kCount || plan.nth == 0) return {};
  bool fail = false;
  if (counts.calls == plan.nth) {
    fail = true;
    if (plan.mode == Mode::kPersistent) failing = true;
  } else if (failing && plan.mode == Mode::kPersistent) {
    fail = true;
  }
  if (!fail) return {};
  if (counts.first_fault == Call::kCount) counts.first_fault = call;
  if (plan.mode == Mode::kCrash) {
    if (plan.power_loss) UndoUnsynced();
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
  }
  ++counts.faults;
  total_io_faults.fetch_add(1, std::memory_order_relaxed);
  return Decision{true, ErrorOf(call, plan.disk_full)};
}

// Holds io_mutex for the decision, and for the whole call while writes are
// tracked for a power loss (so that none runs while they are undone).
class Gate {
 public:
  explicit Gate(Call call) : lock_(io_mutex) {
    decision_ = Decide(call);
    if (!Tracking()) lock_.unlock();
  }
  bool fail() const { return decision_.fail; }
  int error() const { return decision_.error; }
  static bool Tracking() { return plan.mode == Mode::kCrash && plan.power_loss; }
  bool tracking() const { return lock_.owns_lock(); }

 private:
  std::unique_lock<std::mutex> lock_;
  Decision decision_;
};

// --- The file ----------------------------------------------------------------------

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  // right behind this struct
  const char* path;    // SQLite keeps the name valid while the file is open
};

sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file)->real; }
const char* PathOf(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file)->path; }

int FileClose(sqlite3_file* file) {
  sqlite3_file* real = Real(file);
  int rc = SQLITE_OK;
  if (real->pMethods != nullptr) rc = real->pMethods->xClose(real);
  real->pMethods = nullptr;
  return rc;
}

int FileRead(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  Gate gate(Call::kRead);
  if (gate.fail()) return gate.error();
  sqlite3_file* real = Real(file);
  return real->pMethods->xRead(real, buffer, amount, offset);
}

int FileWrite(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  Gate gate(Call::kWrite);
  if (gate.fail()) return gate.error();
  if (gate.tracking() && Tracked(PathOf(file))) Remember(PathOf(file), offset, offset + amount);
  sqlite3_file* real = Real(file);
  return real->pMethods->xWrite(real, buffer, amount, offset);
}

int FileTruncate(sqlite3_file* file, sqlite3_int64 size) {
  Gate gate(Call::kTruncate);
  if (gate.fail()) return gate.error();
  if (gate.tracking() && Tracked(PathOf(file))) {
    Remember(PathOf(file), size, SizeOf(PathOf(file)));
  }
  sqlite3_file* real = Real(file);
  return real->pMethods->xTruncate(real, size);
}

int FileSync(sqlite3_file* file, int flags) {
  Gate gate(Call::kSync);
  if (gate.fail()) return gate.error();
  sqlite3_file* real = Real(file);
  const int rc = real->pMethods->xSync(real, flags);
  if (rc == SQLITE_OK && gate.tracking() && Tracked(PathOf(file))) histories->erase(PathOf(file));
  return rc;
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  Gate gate(Call::kFileSize);
  if (gate.fail()) return gate.error();
  sqlite3_file* real = Real(file);
  return real->pMethods->xFileSize(real, size);
}

int FileLock(sqlite3_file* file, int level) {
  Gate gate(Call::kLock);
  if (gate.fail()) return gate.error();
  sqlite3_file* real = Real(file);
  return real->pMethods->xLock(real, level);
}

int FileUnlock(sqlite3_file* file, int level) {
  Gate gate(Call::kUnlock);
  sqlite3_file* real = Real(file);
  const int rc = real->pMethods->xUnlock(real, level);  // always done
  return gate.fail() ? gate.error() : rc;
}

int FileCheckReservedLock(sqlite3_file* file, int* out) {
  Gate gate(Call::kCheckReservedLock);
  if (gate.fail()) return gate.error();
  sqlite3_file* real = Real(file);
  return real->pMethods->xCheckReservedLock(real, out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  sqlite3_file* real = Real(file);
  return real->pMethods->xFileControl(real, op, arg);
}

int FileSectorSize(sqlite3_file* file) {
  sqlite3_file* real = Real(file);
  return real->pMethods->xSectorSize(real);
}

int FileDeviceCharacteristics(sqlite3_file* file) {
  sqlite3_file* real = Real(file);
  return real->pMethods->xDeviceCharacteristics(real);
}

int FileShmMap(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  Gate gate(Call::kShmMap);
  if (gate.fail()) {
    *out = nullptr;
    return gate.error();
  }
  sqlite3_file* real = Real(file);
  return real->pMethods->xShmMap(real, page, page_size, extend, out);
}

int FileShmLock(sqlite3_file* file, int offset, int n, int flags) {
  Gate gate(Call::kShmLock);
  sqlite3_file* real = Real(file);
  if ((flags & SQLITE_SHM_UNLOCK) != 0) {
    const int rc = real->pMethods->xShmLock(real, offset, n, flags);  // always done
    return gate.fail() ? gate.error() : rc;
  }
  if (gate.fail()) return gate.error();
  return real->pMethods->xShmLock(real, offset, n, flags);
}

void FileShmBarrier(sqlite3_file* file) {
  sqlite3_file* real = Real(file);
  real->pMethods->xShmBarrier(real);
}

int FileShmUnmap(sqlite3_file* file, int delete_flag) {
  sqlite3_file* real = Real(file);
  return real->pMethods->xShmUnmap(real, delete_flag);
}

int FileFetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  sqlite3_file* real = Real(file);
  return real->pMethods->xFetch(real, offset, amount, out);
}

int FileUnfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  sqlite3_file* real = Real(file);
  return real->pMethods->xUnfetch(real, offset, page);
}

sqlite3_io_methods MethodsOfVersion(int version) {
  sqlite3_io_methods methods{};
  methods.iVersion = version;
  methods.xClose = FileClose;
  methods.xRead = FileRead;
  methods.xWrite = FileWrite;
  methods.xTruncate = FileTruncate;
  methods.xSync = FileSync;
  methods.xFileSize = FileSize;
  methods.xLock = FileLock;
  methods.xUnlock = FileUnlock;
  methods.xCheckReservedLock = FileCheckReservedLock;
  methods.xFileControl = FileControl;
  methods.xSectorSize = FileSectorSize;
  methods.xDeviceCharacteristics = FileDeviceCharacteristics;
  if (version >= 2) {
    methods.xShmMap = FileShmMap;
    methods.xShmLock = FileShmLock;
    methods.xShmBarrier = FileShmBarrier;
    methods.xShmUnmap = FileShmUnmap;
  }
  if (version >= 3) {
    methods.xFetch = FileFetch;
    methods.xUnfetch = FileUnfetch;
  }
  return methods;
}

const sqlite3_io_methods kMethods[3] = {MethodsOfVersion(1), MethodsOfVersion(2),
                                        MethodsOfVersion(3)};

// --- The VFS -----------------------------------------------------------------------

int VfsOpen(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* fault_file = reinterpret_cast<FaultFile*>(file);
  fault_file->base.pMethods = nullptr;
  fault_file->real = reinterpret_cast<sqlite3_file*>(fault_file + 1);
  fault_file->real->pMethods = nullptr;
  fault_file->path = name;
  {
    Gate gate(Call::kOpen);
    if (gate.fail()) return gate.error();
  }
  const int rc = real_vfs->xOpen(real_vfs, name, fault_file->real, flags, out_flags);
  const sqlite3_io_methods* real_methods = fault_file->real->pMethods;
  if (real_methods != nullptr) {
    const int version = std::clamp(real_methods->iVersion, 1, 3);
    fault_file->base.pMethods = &kMethods[version - 1];
  }
  return rc;
}

int VfsDelete(sqlite3_vfs*, const char* name, int sync_dir) {
  {
    Gate gate(Call::kDelete);
    if (gate.fail()) return gate.error();
    if (gate.tracking() && name != nullptr) histories->erase(name);
  }
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}

int VfsAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  {
    Gate gate(Call::kAccess);
    if (gate.fail()) return gate.error();
  }
  return real_vfs->xAccess(real_vfs, name, flags, out);
}

int VfsFullPathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, size, out);
}
void* VfsDlOpen(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void VfsDlError(sqlite3_vfs*, int size, char* out) { real_vfs->xDlError(real_vfs, size, out); }
void (*VfsDlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
void VfsDlClose(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int VfsRandomness(sqlite3_vfs*, int size, char* out) {
  return real_vfs->xRandomness(real_vfs, size, out);
}
int VfsSleep(sqlite3_vfs*, int microseconds) { return real_vfs->xSleep(real_vfs, microseconds); }
int VfsCurrentTime(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int VfsGetLastError(sqlite3_vfs*, int size, char* out) {
  return real_vfs->xGetLastError != nullptr ? real_vfs->xGetLastError(real_vfs, size, out) : 0;
}
int VfsCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
int VfsSetSystemCall(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
  return real_vfs->xSetSystemCall(real_vfs, name, call);
}
sqlite3_syscall_ptr VfsGetSystemCall(sqlite3_vfs*, const char* name) {
  return real_vfs->xGetSystemCall(real_vfs, name);
}
const char* VfsNextSystemCall(sqlite3_vfs*, const char* name) {
  return real_vfs->xNextSystemCall(real_vfs, name);
}

// --- The allocator -----------------------------------------------------------------

bool FailAllocation() {
  const uint64_t nth = malloc_nth.load(std::memory_order_relaxed);
  const auto threads = static_cast<Threads>(malloc_threads.load(std::memory_order_relaxed));
  if (!ThreadCounts(threads, malloc_arming_thread.load(std::memory_order_relaxed))) return false;
  const uint64_t count = malloc_count.fetch_add(1, std::memory_order_relaxed) + 1;
  if (nth == 0) return false;
  const bool fail = count == nth || (count > nth && malloc_persistent.load(std::memory_order_relaxed));
  if (fail) {
    malloc_faults.fetch_add(1, std::memory_order_relaxed);
    total_allocation_faults.fetch_add(1, std::memory_order_relaxed);
  }
  return fail;
}

void* FaultMalloc(int size) {
  if (FailAllocation()) return nullptr;
  return real_memory.xMalloc(size);
}

void* FaultRealloc(void* old, int size) {
  if (FailAllocation()) return nullptr;
  return real_memory.xRealloc(old, size);
}

}  // namespace

const char* CallName(Call call) {
  static const char* const kNames[kCallKinds] = {
      "xOpen", "xDelete", "xAccess", "xRead", "xWrite", "xTruncate", "xSync",
      "xFileSize", "xLock", "xUnlock", "xCheckReservedLock", "xShmMap", "xShmLock"};
  const int index = static_cast<int>(call);
  return index >= 0 && index < kCallKinds ? kNames[index] : "none";
}

void Install() {
  if (installed) return;
  void* memory = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(memory != MAP_FAILED);
  shared = static_cast<Shared*>(memory);  // zeroed by mmap
  shared->counts = Counts{};
  histories = new std::map<std::string, FileHistory>();
  // Configuration is only allowed while SQLite is not initialized.
  REQUIRE(sqlite3_shutdown() == SQLITE_OK);
  REQUIRE(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_memory) == SQLITE_OK);
  fault_memory = real_memory;
  fault_memory.xMalloc = FaultMalloc;
  fault_memory.xRealloc = FaultRealloc;
  REQUIRE(sqlite3_config(SQLITE_CONFIG_MALLOC, &fault_memory) == SQLITE_OK);
  REQUIRE(sqlite3_initialize() == SQLITE_OK);
  // After sqlite3_initialize: initializing registers the unix VFS as the
  // default again.
  real_vfs = sqlite3_vfs_find(nullptr);
  REQUIRE(real_vfs != nullptr);
  fault_vfs.iVersion = std::min(real_vfs->iVersion, 3);
  fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + real_vfs->szOsFile;
  fault_vfs.mxPathname = real_vfs->mxPathname;
  fault_vfs.zName = "vaxalloc_fault";
  fault_vfs.xOpen = VfsOpen;
  fault_vfs.xDelete = VfsDelete;
  fault_vfs.xAccess = VfsAccess;
  fault_vfs.xFullPathname = VfsFullPathname;
  fault_vfs.xDlOpen = VfsDlOpen;
  fault_vfs.xDlError = VfsDlError;
  fault_vfs.xDlSym = VfsDlSym;
  fault_vfs.xDlClose = VfsDlClose;
  fault_vfs.xRandomness = VfsRandomness;
  fault_vfs.xSleep = VfsSleep;
  fault_vfs.xCurrentTime = VfsCurrentTime;
  fault_vfs.xGetLastError = VfsGetLastError;
  if (fault_vfs.iVersion >= 2) fault_vfs.xCurrentTimeInt64 = VfsCurrentTimeInt64;
  if (fault_vfs.iVersion >= 3) {
    fault_vfs.xSetSystemCall = VfsSetSystemCall;
    fault_vfs.xGetSystemCall = VfsGetSystemCall;
    fault_vfs.xNextSystemCall = VfsNextSystemCall;
  }
  REQUIRE(sqlite3_vfs_register(&fault_vfs, /*makeDflt=*/1) == SQLITE_OK);
  REQUIRE(sqlite3_vfs_find(nullptr) == &fault_vfs);
  installed = true;
}

bool Installed() { return installed; }

void Arm(const Plan& new_plan) {
  REQUIRE(installed);
  std::lock_guard lock(io_mutex);
  plan = new_plan;
  arming_thread = std::this_thread::get_id();
  failing = false;
  histories->clear();
  shared->counts = Counts{};
  malloc_count.store(0);
  malloc_faults.store(0);
}

void ArmMalloc(uint64_t nth, bool persistent, Threads threads) {
  REQUIRE(installed);
  malloc_nth.store(0);  // nothing fails while the rest is set
  malloc_arming_thread.store(std::this_thread::get_id());
  malloc_threads.store(static_cast<int>(threads));
  malloc_persistent.store(persistent);
  malloc_count.store(0);
  malloc_faults.store(0);
  malloc_nth.store(nth);
}

void Disarm() {
  malloc_nth.store(0);
  std::lock_guard lock(io_mutex);
  plan.mode = Mode::kCount;
  plan.nth = 0;
  plan.power_loss = false;
  failing = false;
  histories->clear();
}

Counts Read() {
  std::lock_guard lock(io_mutex);
  Counts counts = shared->counts;
  counts.allocations = malloc_count.load();
  counts.allocation_faults = malloc_faults.load();
  return counts;
}

std::vector<Traced> Trace() {
  std::lock_guard lock(io_mutex);
  const uint64_t length = std::min(shared->counts.calls, kTraceMax);
  std::vector<Traced> calls(length);
  for (uint64_t i = 0; i < length; ++i) {
    calls[i].call = static_cast<Call>(shared->trace[i] & 0x7f);
    calls[i].other_thread = (shared->trace[i] & 0x80) != 0;
  }
  return calls;
}

Totals ReadTotals() {
  return Totals{total_io_faults.load(), total_allocation_faults.load()};
}

}  // namespace vaxalloc::testing::fault
