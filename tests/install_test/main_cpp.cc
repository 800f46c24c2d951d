// A C++ program built against the installed libvaxalloc through
// find_package(vaxalloc): the C++ API is exported from the shared library too.
#include <cstdio>
#include <string>

#include "vaxalloc/engine.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/version.h"

int main() {
  vaxalloc::Engine engine;
  const auto district = engine.AddDistrict("06412", "Frankfurt am Main");
  if (!district.ok() || *district != 1) {
    std::fprintf(stderr, "AddDistrict: %s\n", std::string(district.status().message()).c_str());
    return 1;
  }
  const std::string seed = vaxalloc::FormatSeed(vaxalloc::DrawSeed{1, 2});
  if (seed != "00000000000000010000000000000002") {
    std::fprintf(stderr, "FormatSeed: %s\n", seed.c_str());
    return 1;
  }
  if (std::string(vaxalloc::Version()) != VAXALLOC_VERSION_STRING) {
    std::fprintf(stderr, "Version: %s\n", vaxalloc::Version());
    return 1;
  }
  std::printf("installed vaxalloc %s: C++ API ok (%u district)\n", vaxalloc::Version(),
              engine.district_count());
  return 0;
}
