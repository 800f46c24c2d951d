# Quick start: `make demo` and `make test`. Both install missing Debian
# packages first (apt-get, only when something is missing), then configure
# and build with CMake and Ninja.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PYTHON     ?= /usr/bin/python3
DEMO_DB    ?= $(BUILD)/demo-campaign.sqlite
CMAKE_ARGS ?=

DEB_PACKAGES := build-essential cmake ninja-build pkg-config libabsl-dev libfmt-dev \
                libsqlite3-dev libssl-dev doctest-dev pybind11-dev python3-dev python3-pytest tzdata

.PHONY: all deps configure build test test-asan demo bench clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The project's own builds treat warnings as errors; a plain `cmake` build
# (a consumer's, a packager's) does not.
$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DPython3_EXECUTABLE=$(PYTHON) -DVAXALLOC_WERROR=ON $(CMAKE_ARGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD)

# --verbose shows each runner's own summary (doctest, pytest, the C suite).
test: build test-asan
	ctest --test-dir $(BUILD) --verbose

# The same suites built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DPython3_EXECUTABLE=$(PYTHON) -DVAXALLOC_WERROR=ON \
	  -DCMAKE_BUILD_TYPE=Debug -DVAXALLOC_SANITIZE=address,undefined \
	  -DVAXALLOC_BUILD_BENCH=OFF $(CMAKE_ARGS) >/dev/null
	cmake --build $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  VAXALLOC_TEST_SCALE=small ctest --test-dir $(ASAN_BUILD) --output-on-failure

demo: build
	$(BUILD)/examples/vaxalloc_demo --db $(DEMO_DB)

bench: build
	$(BUILD)/bench/vaxalloc_bench --dir $(BUILD)/bench-data $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
