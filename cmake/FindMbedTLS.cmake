# FindMbedTLS: the host's mbedTLS (Debian: libmbedtls-dev) as three IMPORTED STATIC targets
#
#   MbedTLS::mbedtls     TLS/DTLS          (links MbedTLS::mbedx509)
#   MbedTLS::mbedx509    X.509 parse/write (links MbedTLS::mbedcrypto)
#   MbedTLS::mbedcrypto  crypto, RNG       (links Threads::Threads when built with pthread mutexes)
#
# Static on purpose, and without a fallback to the shared libraries: the TLS layer wraps calloc and
# free at link time (-Wl,--wrap) to count mbedTLS's heap, and the linker only rewrites calls that
# it links statically. A silent fallback to libmbedtls.so would make those counts read zero.
#
# Sets MbedTLS_FOUND, MbedTLS_VERSION ("2.28.3") and MbedTLS_INCLUDE_DIR. Hints: MbedTLS_ROOT (or
# the cache variables MbedTLS_INCLUDE_DIR, MbedTLS_mbedtls_LIBRARY, MbedTLS_mbedx509_LIBRARY,
# MbedTLS_mbedcrypto_LIBRARY).

find_path(MbedTLS_INCLUDE_DIR NAMES mbedtls/ssl.h DOC "mbedTLS include directory")

# Full file names, so that find_library cannot pick the .so that sits beside each archive.
foreach(_mbedtls_lib mbedtls mbedx509 mbedcrypto)
  find_library(MbedTLS_${_mbedtls_lib}_LIBRARY
               NAMES ${CMAKE_STATIC_LIBRARY_PREFIX}${_mbedtls_lib}${CMAKE_STATIC_LIBRARY_SUFFIX}
               DOC "static lib${_mbedtls_lib}")
endforeach()

# The version macro moved from version.h (2.x) to build_info.h (3.x).
set(MbedTLS_VERSION "")
if(MbedTLS_INCLUDE_DIR)
  foreach(_mbedtls_header mbedtls/build_info.h mbedtls/version.h)
    if(NOT MbedTLS_VERSION AND EXISTS "${MbedTLS_INCLUDE_DIR}/${_mbedtls_header}")
      file(STRINGS "${MbedTLS_INCLUDE_DIR}/${_mbedtls_header}" _mbedtls_version_line
           REGEX "^#define[ \t]+MBEDTLS_VERSION_STRING[ \t]+\"[0-9.]+\"")
      if(_mbedtls_version_line MATCHES "\"([0-9.]+)\"")
        set(MbedTLS_VERSION "${CMAKE_MATCH_1}")
      endif()
    endif()
  endforeach()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(
  MbedTLS
  REQUIRED_VARS MbedTLS_mbedtls_LIBRARY MbedTLS_mbedx509_LIBRARY MbedTLS_mbedcrypto_LIBRARY
                MbedTLS_INCLUDE_DIR
  VERSION_VAR MbedTLS_VERSION
  REASON_FAILURE_MESSAGE "the static libraries are required (Debian: apt-get install libmbedtls-dev)")

if(MbedTLS_FOUND AND NOT TARGET MbedTLS::mbedcrypto)
  # A libmbedcrypto built with MBEDTLS_THREADING_PTHREAD (Debian's is) calls pthread_mutex_*; a
  # static archive does not carry that dependency itself, so the imported target must.
  set(_mbedtls_needs_threads OFF)
  foreach(_mbedtls_config mbedtls/config.h mbedtls/mbedtls_config.h)
    if(EXISTS "${MbedTLS_INCLUDE_DIR}/${_mbedtls_config}")
      file(STRINGS "${MbedTLS_INCLUDE_DIR}/${_mbedtls_config}" _mbedtls_pthread_line
           REGEX "^#define[ \t]+MBEDTLS_THREADING_PTHREAD")
      if(_mbedtls_pthread_line)
        set(_mbedtls_needs_threads ON)
      endif()
    endif()
  endforeach()

  add_library(MbedTLS::mbedcrypto STATIC IMPORTED)
  set_target_properties(MbedTLS::mbedcrypto PROPERTIES
    IMPORTED_LOCATION "${MbedTLS_mbedcrypto_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
  if(_mbedtls_needs_threads)
    find_package(Threads REQUIRED)
    set_property(TARGET MbedTLS::mbedcrypto PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()

  add_library(MbedTLS::mbedx509 STATIC IMPORTED)
  set_target_properties(MbedTLS::mbedx509 PROPERTIES
    IMPORTED_LOCATION "${MbedTLS_mbedx509_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)

  add_library(MbedTLS::mbedtls STATIC IMPORTED)
  set_target_properties(MbedTLS::mbedtls PROPERTIES
    IMPORTED_LOCATION "${MbedTLS_mbedtls_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
endif()

mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_mbedtls_LIBRARY MbedTLS_mbedx509_LIBRARY
                 MbedTLS_mbedcrypto_LIBRARY)
