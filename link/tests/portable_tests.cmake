# The link tests that run unchanged on the host (GoogleTest) and on the bare-metal targets (the
# minitest runner in testing/, under QEMU): link::Connection in the simulation (testing/sim:
# virtual clock, scripted network and broker, the test-only loopback channel). They include
# "mqtls_test.hpp", never gtest directly, and use only its macros (no fixtures, parameterised
# tests or iostreams).
#
# Unlike the mqtt, node and tls portable tests they need a heap: the harness (mqtls::testing_sim)
# and the fixture keep their scripts, records and captured events in std::vector/std::string.
# The cross build therefore runs them in the second QEMU runner, mqtls_embedded_sim_tests, whose
# C++ runtime gives operator new picolibc's malloc (embedded/README.md). The library under test,
# libmqtls_link.a, stays heap-free: scripts/embedded-check.sh gates its archive.
#
# Consumers compile MQTLS_LINK_PORTABLE_TESTS together with testing/minitest_main.cpp (or gtest's
# main), link mqtls::link and mqtls::testing_sim, and add MQTLS_LINK_PORTABLE_TEST_INCLUDE_DIRS
# to the include path.

get_filename_component(_mqtls_testing_dir "${CMAKE_CURRENT_LIST_DIR}/../../testing" ABSOLUTE)
set(MQTLS_LINK_PORTABLE_TEST_INCLUDE_DIRS
  ${_mqtls_testing_dir}       # mqtls_test.hpp
  ${CMAKE_CURRENT_LIST_DIR}   # sim_fixture.hpp
)
unset(_mqtls_testing_dir)

set(MQTLS_LINK_PORTABLE_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/connection_sim_test.cpp
)
