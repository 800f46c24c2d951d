# The tests of the C ABI (libvaxalloc.so), included from capi/CMakeLists.txt
# when VAXALLOC_BUILD_TESTS is on. Each is a ctest:
#   c_api_test               every function and error path, in C11
#   c_header_test(_cpp)      vaxalloc.h compiles pedantic as C11 and C++11
#   capi_abi_symbols         exported vaxalloc_* == capi/abi_symbols.txt == header
#   capi_abi_exports         nothing of Abseil/fmt/SQLite/std exported; version node; SONAME
#   capi_install             cmake --install, then a C consumer built with pkg-config
#                            and a C/C++ consumer built with find_package(vaxalloc)
#   capi_example_campaign    examples/campaign.c runs (with VAXALLOC_BUILD_EXAMPLES)

# enable_testing() at the top level runs after this directory is read; without
# it here, ctest would not see the tests of this directory.
enable_testing()
find_package(Threads REQUIRED)

set(capi_tests_dir ${PROJECT_SOURCE_DIR}/tests)
set(capi_scratch_dir ${CMAKE_CURRENT_BINARY_DIR}/test-scratch)
file(MAKE_DIRECTORY ${capi_scratch_dir})

add_executable(c_api_test ${capi_tests_dir}/c_api_test.c)
# SQLite too, to edit a journal behind the library's back.
target_link_libraries(c_api_test PRIVATE vaxalloc::vaxalloc SQLite::SQLite3 Threads::Threads
                                         vaxalloc_warnings)
set_target_properties(c_api_test PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(c_api_test PRIVATE -pedantic-errors -Wshadow -Wstrict-prototypes)
add_test(NAME c_api_test COMMAND c_api_test ${capi_scratch_dir}/c_api_test)

# The header alone, as strictly as compilers allow.
set(capi_header_warnings -pedantic-errors -Wall -Wextra -Werror -Wshadow -Wundef -Wconversion
    -Wsign-conversion -Wcast-qual -Wredundant-decls -Wmissing-declarations)
add_executable(c_header_test ${capi_tests_dir}/c_header_test.c)
target_link_libraries(c_header_test PRIVATE vaxalloc::vaxalloc vaxalloc_warnings)
set_target_properties(c_header_test PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
                                               C_EXTENSIONS OFF)
target_compile_options(c_header_test PRIVATE ${capi_header_warnings} -Wstrict-prototypes
                       -Wmissing-prototypes -Wold-style-definition -Wc++-compat)
add_test(NAME c_header_test COMMAND c_header_test)

add_executable(c_header_test_cpp ${capi_tests_dir}/c_header_test_cpp.cc)
target_link_libraries(c_header_test_cpp PRIVATE vaxalloc::vaxalloc vaxalloc_warnings)
set_target_properties(c_header_test_cpp PROPERTIES CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON
                                                   CXX_EXTENSIONS OFF)
target_compile_options(c_header_test_cpp PRIVATE ${capi_header_warnings} -Wold-style-cast
                       -Wzero-as-null-pointer-constant)
# GCC only: clang has no -Wuseless-cast (an unknown warning option is an error under -Werror).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(c_header_test_cpp PRIVATE -Wuseless-cast)
endif()
add_test(NAME c_header_test_cpp COMMAND c_header_test_cpp)

# The ABI guard.
add_test(NAME capi_abi_symbols
  COMMAND ${PROJECT_SOURCE_DIR}/capi/check_abi.sh symbols $<TARGET_FILE:vaxalloc>
          ${PROJECT_SOURCE_DIR}/capi/abi_symbols.txt ${PROJECT_SOURCE_DIR}/capi/vaxalloc.h)
add_test(NAME capi_abi_exports
  COMMAND ${PROJECT_SOURCE_DIR}/capi/check_abi.sh exports $<TARGET_FILE:vaxalloc>
          ${PROJECT_VERSION_MAJOR})

# The install test builds consumers outside this build: a sanitized library
# needs sanitized consumers.
set(capi_consumer_flags "")
if(VAXALLOC_SANITIZE)
  set(capi_consumer_flags "-fsanitize=${VAXALLOC_SANITIZE}")
endif()
add_test(NAME capi_install
  COMMAND ${CMAKE_COMMAND}
          -DBUILD_DIR=${PROJECT_BINARY_DIR}
          -DSOURCE_DIR=${capi_tests_dir}/install_test
          -DWORK_DIR=${capi_scratch_dir}/install
          -DC_COMPILER=${CMAKE_C_COMPILER}
          -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
          -DGENERATOR=${CMAKE_GENERATOR}
          -DEXTRA_FLAGS=${capi_consumer_flags}
          -P ${capi_tests_dir}/install_test/run.cmake)
set_tests_properties(capi_install PROPERTIES TIMEOUT 600)

# The example writes a new campaign file; a fixture removes the last run's.
if(VAXALLOC_BUILD_EXAMPLES)
  set(capi_example_file ${capi_scratch_dir}/example-campaign.sqlite)
  add_test(NAME capi_example_campaign_clean
    COMMAND ${CMAKE_COMMAND} -E rm -f ${capi_example_file} ${capi_example_file}-wal
            ${capi_example_file}-shm)
  set_tests_properties(capi_example_campaign_clean PROPERTIES FIXTURES_SETUP capi_example)
  add_test(NAME capi_example_campaign COMMAND vaxalloc_campaign_c ${capi_example_file})
  set_tests_properties(capi_example_campaign PROPERTIES FIXTURES_REQUIRED capi_example)
endif()
