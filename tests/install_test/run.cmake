# The install test (ctest capi_install): installs the vaxalloc component of
# the build into a scratch prefix, moves the prefix (the package must be
# relocatable), then builds and runs
#   1. main.c with `cc main.c $(pkg-config --cflags --libs vaxalloc)`;
#   2. this directory as a CMake project: find_package(vaxalloc), a C and a
#      C++ consumer linked to vaxalloc::vaxalloc.
# Arguments (-D): BUILD_DIR SOURCE_DIR WORK_DIR C_COMPILER CXX_COMPILER
# GENERATOR, and EXTRA_FLAGS (e.g. -fsanitize=... for a sanitized library).
cmake_minimum_required(VERSION 3.25)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${ARGN}\n${output}")
  endif()
  message(STATUS "${what}: ok")
  set(run_output "${output}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(staging ${WORK_DIR}/staging)
set(prefix ${WORK_DIR}/prefix)
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${staging}
    --component vaxalloc)
file(RENAME ${staging} ${prefix})

# What the package must hold.
file(GLOB_RECURSE pc_files ${prefix}/*/vaxalloc.pc)
file(GLOB_RECURSE libraries ${prefix}/*/libvaxalloc.so.*)
file(GLOB_RECURSE configs ${prefix}/*/vaxalloc-config.cmake)
foreach(required ${prefix}/include/vaxalloc.h ${prefix}/include/vaxalloc/store.h
                 ${prefix}/include/vaxalloc/engine.h ${prefix}/include/vaxalloc/version.h)
  if(NOT EXISTS ${required})
    message(FATAL_ERROR "not installed: ${required}")
  endif()
endforeach()
foreach(list pc_files libraries configs)
  if(NOT ${list})
    message(FATAL_ERROR "not installed: ${list}")
  endif()
endforeach()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
get_filename_component(lib_dir ${pc_dir} DIRECTORY)
file(GLOB static_archives ${lib_dir}/*.a)
if(static_archives)
  message(FATAL_ERROR "static archives installed (only libvaxalloc.so belongs): ${static_archives}")
endif()

# 1. pkg-config, from a moved prefix.
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
run("pkg-config" pkg-config --cflags --libs vaxalloc)
string(STRIP "${run_output}" pkg_flags)
separate_arguments(pkg_flags UNIX_COMMAND "${pkg_flags}")
separate_arguments(extra_flags UNIX_COMMAND "${EXTRA_FLAGS}")
run("pkg-config --modversion" pkg-config --modversion vaxalloc)
string(STRIP "${run_output}" pkg_version)
message(STATUS "vaxalloc.pc: version ${pkg_version}, flags ${pkg_flags}")
run("compile main.c with pkg-config" ${C_COMPILER} -std=c11 -pedantic-errors -Wall -Wextra
    -Werror ${extra_flags} ${SOURCE_DIR}/main.c ${pkg_flags} -o ${WORK_DIR}/consumer_pkgconfig)
set(ENV{LD_LIBRARY_PATH} ${lib_dir})
run("run the pkg-config consumer" ${WORK_DIR}/consumer_pkgconfig)
message(STATUS "${run_output}")
unset(ENV{LD_LIBRARY_PATH})

# 2. find_package(vaxalloc).
run("configure the find_package consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}
    -B ${WORK_DIR}/cmake-build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_C_FLAGS=${EXTRA_FLAGS}" "-DCMAKE_CXX_FLAGS=${EXTRA_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}")
run("build the find_package consumers" ${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
run("run the find_package C consumer" ${WORK_DIR}/cmake-build/consumer_c)
message(STATUS "${run_output}")
run("run the find_package C++ consumer" ${WORK_DIR}/cmake-build/consumer_cpp)
message(STATUS "${run_output}")
