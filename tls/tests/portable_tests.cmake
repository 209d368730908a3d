# The tls tests that run unchanged on the host (GoogleTest) and on the bare-metal targets (the
# minitest runner in testing/, under QEMU): the header-only parts of the layer (mqtls::tls_headers),
# which need no mbedTLS. They include "mqtls_test.hpp", never gtest directly, and use no heap,
# exceptions, RTTI, iostreams, fixtures or parameterised tests.
#
# Consumers compile MQTLS_TLS_PORTABLE_TESTS together with testing/minitest_main.cpp (or gtest's
# main) and add MQTLS_TLS_PORTABLE_TEST_INCLUDE_DIRS to the include path.

get_filename_component(_mqtls_testing_dir "${CMAKE_CURRENT_LIST_DIR}/../../testing" ABSOLUTE)
get_filename_component(_mqtls_tls_include_dir "${CMAKE_CURRENT_LIST_DIR}/../include" ABSOLUTE)
set(MQTLS_TLS_PORTABLE_TEST_INCLUDE_DIRS
  ${_mqtls_testing_dir}       # mqtls_test.hpp, retained_power_cut.hpp
  # The cross build configures no tls layer (mbedTLS does not cross-compile yet), so the
  # header-only part is reached by its include directory rather than mqtls::tls_headers.
  ${_mqtls_tls_include_dir}
)
unset(_mqtls_testing_dir)
unset(_mqtls_tls_include_dir)

set(MQTLS_TLS_PORTABLE_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/retained_session_store_test.cpp
)
