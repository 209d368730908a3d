# mbedTLS 3.6 LTS, the TLS library of the tls and pki layers: defines the imported targets
# MbedTLS::mbedtls, MbedTLS::mbedx509 and MbedTLS::mbedcrypto, and MQTLS_MBEDTLS_VERSION.
#
#   -DMQTLS_MBEDTLS=bundled  (default) Debian's source package of 3.6 (scripts/fetch-mbedtls.sh:
#                            pinned version and sha256, cached), built once per compiler with
#                            mqtls's own tls/mbedtls-config/host_config.h and cached beside it.
#   -DMQTLS_MBEDTLS=system   an installed 3.6 found with find_package(MbedTLS CONFIG) (Debian 13's
#                            libmbedtls-dev; CMAKE_PREFIX_PATH or MbedTLS_DIR to point at another).
#
# mbedTLS 2.28 is not supported: it is end of life, and the tls layer uses 3.6's API (TLS 1.3,
# PSA). The cache folder is $MQTLS_MBEDTLS_CACHE, else $XDG_CACHE_HOME/mqtls, else ~/.cache/mqtls.
set(MQTLS_MBEDTLS "bundled" CACHE STRING "mbedTLS 3.6 to build with: bundled (Debian's 3.6 source, built here) or system")
set_property(CACHE MQTLS_MBEDTLS PROPERTY STRINGS bundled system)

# The configuration: the host's, or (cross builds set it) the device's.
if(NOT DEFINED MQTLS_MBEDTLS_CONFIG_HEADER)
  set(MQTLS_MBEDTLS_CONFIG_HEADER ${PROJECT_SOURCE_DIR}/tls/mbedtls-config/host_config.h)
endif()

function(_mqtls_mbedtls_cache_dir out)
  if(DEFINED ENV{MQTLS_MBEDTLS_CACHE} AND NOT "$ENV{MQTLS_MBEDTLS_CACHE}" STREQUAL "")
    set(dir "$ENV{MQTLS_MBEDTLS_CACHE}")
  elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(dir "$ENV{XDG_CACHE_HOME}/mqtls")
  elseif(DEFINED ENV{HOME} AND NOT "$ENV{HOME}" STREQUAL "")
    set(dir "$ENV{HOME}/.cache/mqtls")
  else()
    set(dir "${PROJECT_BINARY_DIR}/mbedtls-cache")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# Runs one step of the mbedTLS build; on failure shows the end of its log and stops.
function(_mqtls_mbedtls_step what log)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_FILE ${log} ERROR_FILE ${log})
  if(NOT result EQUAL 0)
    file(READ ${log} text)
    string(LENGTH "${text}" length)
    if(length GREATER 3000)
      math(EXPR start "${length} - 3000")
      string(SUBSTRING "${text}" ${start} -1 text)
    endif()
    message(FATAL_ERROR "mqtls: ${what} of mbedTLS failed (${result}); the end of ${log}:\n${text}")
  endif()
endfunction()

function(_mqtls_build_bundled_mbedtls out_prefix)
  execute_process(COMMAND ${PROJECT_SOURCE_DIR}/scripts/fetch-mbedtls.sh
                  RESULT_VARIABLE result OUTPUT_VARIABLE tarball ERROR_VARIABLE fetch_log
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "mqtls: could not get the mbedTLS 3.6 source:\n${fetch_log}"
                        "Run scripts/fetch-mbedtls.sh --help, or configure with -DMQTLS_MBEDTLS=system "
                        "where mbedTLS 3.6 is installed.")
  endif()
  string(REGEX MATCH "mbedtls_([0-9.]+)\\.orig" _ "${tarball}")
  set(version ${CMAKE_MATCH_1})

  # One build per source, configuration header and C compiler: a Debug, ASan or clang build of
  # mqtls links the same optimised library, which is not sanitised (as a system one would not be).
  file(SHA256 ${MQTLS_MBEDTLS_CONFIG_HEADER} config_hash)
  string(SHA256 key "${version}|${config_hash}|${CMAKE_C_COMPILER}|${CMAKE_C_COMPILER_VERSION}|${CMAKE_SYSTEM_PROCESSOR}|${CMAKE_C_FLAGS_INIT}")
  string(SUBSTRING ${key} 0 12 key)
  _mqtls_mbedtls_cache_dir(cache)
  set(prefix ${cache}/mbedtls-${version}-${key})
  set(${out_prefix} ${prefix} PARENT_SCOPE)

  file(MAKE_DIRECTORY ${cache})
  # Two builds configuring at once (package-check, parallel CI jobs) take turns here.
  file(LOCK ${prefix}.lock GUARD FUNCTION TIMEOUT 900 RESULT_VARIABLE lock_result)
  if(NOT lock_result EQUAL 0)
    message(FATAL_ERROR "mqtls: could not lock ${prefix}.lock: ${lock_result}")
  endif()
  if(EXISTS ${prefix}/lib/cmake/MbedTLS/MbedTLSConfig.cmake)
    return()
  endif()

  message(STATUS "mqtls: building mbedTLS ${version} with ${MQTLS_MBEDTLS_CONFIG_HEADER} into ${prefix} (once per compiler, about 15 s)")
  set(work ${prefix}.work)
  file(REMOVE_RECURSE ${work} ${prefix})
  file(MAKE_DIRECTORY ${work})
  file(ARCHIVE_EXTRACT INPUT ${tarball} DESTINATION ${work})
  set(source ${work}/mbedtls-${version})
  # The installed mbedtls_config.h is ours, so whoever includes these headers sees the
  # configuration the library was compiled with, with no -D to carry along.
  configure_file(${MQTLS_MBEDTLS_CONFIG_HEADER} ${source}/include/mbedtls/mbedtls_config.h COPYONLY)
  cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
  # A cross build takes the same toolchain file, and optimises for size as the firmware does.
  set(toolchain "")
  set(build_type Release)
  if(CMAKE_CROSSCOMPILING)
    # A relative -DCMAKE_TOOLCHAIN_FILE (as embedded/README.md spells it) is relative to the
    # build or the source folder; the inner build runs elsewhere, so it gets the absolute path.
    set(toolchain_file ${CMAKE_TOOLCHAIN_FILE})
    if(NOT IS_ABSOLUTE ${toolchain_file})
      if(EXISTS ${CMAKE_BINARY_DIR}/${toolchain_file})
        set(toolchain_file ${CMAKE_BINARY_DIR}/${toolchain_file})
      else()
        set(toolchain_file ${CMAKE_SOURCE_DIR}/${toolchain_file})
      endif()
    endif()
    set(toolchain -DCMAKE_TOOLCHAIN_FILE=${toolchain_file})
    set(build_type MinSizeRel)
  endif()
  _mqtls_mbedtls_step(configuring ${work}/configure.log
    ${CMAKE_COMMAND} -S ${source} -B ${work}/build -G ${CMAKE_GENERATOR} ${toolchain}
      -DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
      -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER} -DCMAKE_BUILD_TYPE=${build_type}
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX=${prefix}
      -DCMAKE_INSTALL_LIBDIR=lib -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DGEN_FILES=OFF
      -DMBEDTLS_FATAL_WARNINGS=OFF -DUSE_SHARED_MBEDTLS_LIBRARY=OFF)
  _mqtls_mbedtls_step(building ${work}/build.log
    ${CMAKE_COMMAND} --build ${work}/build --parallel ${cores})
  _mqtls_mbedtls_step(installing ${work}/install.log ${CMAKE_COMMAND} --install ${work}/build)
  file(REMOVE_RECURSE ${work})
  message(STATUS "mqtls: mbedTLS ${version} built")
endfunction()

if(MQTLS_MBEDTLS STREQUAL "bundled")
  _mqtls_build_bundled_mbedtls(MQTLS_MBEDTLS_PREFIX)
  # find_package() would keep a MbedTLS_DIR cached by an earlier configure, i.e. the build of an
  # older configuration header: point it at this one's.
  set(MbedTLS_DIR ${MQTLS_MBEDTLS_PREFIX}/lib/cmake/MbedTLS CACHE PATH
      "The bundled mbedTLS build for this configuration (cmake/MqtlsMbedtls.cmake)" FORCE)
  find_package(MbedTLS 3.6 CONFIG REQUIRED PATHS ${MQTLS_MBEDTLS_PREFIX} NO_DEFAULT_PATH
               NO_CMAKE_FIND_ROOT_PATH)
elseif(MQTLS_MBEDTLS STREQUAL "system" AND CMAKE_CROSSCOMPILING)
  message(FATAL_ERROR "mqtls: a cross build uses the bundled mbedTLS (its device configuration)")
elseif(MQTLS_MBEDTLS STREQUAL "system")
  find_package(MbedTLS 3.6 CONFIG)
  if(NOT MbedTLS_FOUND)
    message(FATAL_ERROR "mqtls: -DMQTLS_MBEDTLS=system found no mbedTLS 3.6 CMake package "
                        "(Debian 13: apt-get install libmbedtls-dev; elsewhere set MbedTLS_DIR). "
                        "The default -DMQTLS_MBEDTLS=bundled builds it from Debian's source package.")
  endif()
  get_filename_component(MQTLS_MBEDTLS_PREFIX "${MbedTLS_DIR}/../../.." ABSOLUTE)
else()
  message(FATAL_ERROR "mqtls: MQTLS_MBEDTLS must be bundled or system, not '${MQTLS_MBEDTLS}'")
endif()
if(MbedTLS_VERSION VERSION_LESS 3.6 OR NOT MbedTLS_VERSION VERSION_LESS 4)
  message(FATAL_ERROR "mqtls: needs mbedTLS 3.6 LTS, found ${MbedTLS_VERSION} in ${MbedTLS_DIR}")
endif()
set(MQTLS_MBEDTLS_VERSION ${MbedTLS_VERSION})
message(STATUS "mqtls: mbedTLS ${MbedTLS_VERSION} (${MQTLS_MBEDTLS}, ${MbedTLS_DIR})")
# Where its libraries are, for scripts/embedded-check.sh's size table.
file(WRITE ${PROJECT_BINARY_DIR}/mbedtls-prefix.txt "${MQTLS_MBEDTLS_PREFIX}\n")
