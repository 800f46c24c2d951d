#include "vaxalloc/version.h"

namespace vaxalloc {
const char* Version() { return VAXALLOC_VERSION_STRING; }
}  // namespace vaxalloc
