#ifndef VAXALLOC_VERSION_H_
#define VAXALLOC_VERSION_H_

#define VAXALLOC_VERSION_MAJOR 0
#define VAXALLOC_VERSION_MINOR 6
#define VAXALLOC_VERSION_PATCH 0
#define VAXALLOC_VERSION_STRING "0.6.0"

namespace vaxalloc {
// The version of the library actually linked, "MAJOR.MINOR.PATCH".
const char* Version();
}  // namespace vaxalloc

#endif  // VAXALLOC_VERSION_H_
