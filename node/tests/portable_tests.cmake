# The node tests that run unchanged on the host (GoogleTest) and on the bare-metal targets (the
# minitest runner in testing/, under QEMU). They include "mqtls_test.hpp", never gtest directly,
# and use no heap, exceptions, RTTI, iostreams, fixtures or parameterised tests.
#
# Consumers compile MQTLS_NODE_PORTABLE_TESTS together with testing/minitest_main.cpp (or gtest's
# main) and add MQTLS_NODE_PORTABLE_TEST_INCLUDE_DIRS to the include path.

get_filename_component(_mqtls_testing_dir "${CMAKE_CURRENT_LIST_DIR}/../../testing" ABSOLUTE)
set(MQTLS_NODE_PORTABLE_TEST_INCLUDE_DIRS
  ${_mqtls_testing_dir}       # mqtls_test.hpp, retained_power_cut.hpp
)
unset(_mqtls_testing_dir)

set(MQTLS_NODE_PORTABLE_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/backoff_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schedule_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reading_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/telemetry_node_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_reading_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/outbox_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retained_log_storage_test.cpp
)
