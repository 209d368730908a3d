# The mqtt tests that run unchanged on the host (GoogleTest) and on the bare-metal targets (the
# minitest runner in testing/, under QEMU). They include "mqtls_test.hpp", never gtest directly,
# and use no heap, exceptions, RTTI, iostreams, fixtures or parameterised tests.
#
# Consumers compile MQTLS_MQTT_PORTABLE_TESTS together with testing/minitest_main.cpp (or gtest's
# main) and add MQTLS_MQTT_PORTABLE_TEST_INCLUDE_DIRS to the include path.

get_filename_component(_mqtls_testing_dir "${CMAKE_CURRENT_LIST_DIR}/../../testing" ABSOLUTE)
set(MQTLS_MQTT_PORTABLE_TEST_INCLUDE_DIRS
  ${CMAKE_CURRENT_LIST_DIR}   # codec_test_support.hpp, codec_vectors.hpp
  ${_mqtls_testing_dir}       # mqtls_test.hpp
)
unset(_mqtls_testing_dir)

set(MQTLS_MQTT_PORTABLE_TESTS
  # Shared hand-derived wire vectors (support code, no tests of its own).
  ${CMAKE_CURRENT_LIST_DIR}/codec_vectors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/codec_v5_vectors.cpp
  # Codec, topics and framer.
  ${CMAKE_CURRENT_LIST_DIR}/codec_decode_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/codec_encode_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/codec_reject_test.cpp
  # MQTT 5 (empty in a build without MQTLS_MQTT5).
  ${CMAKE_CURRENT_LIST_DIR}/codec_v5_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/codec_v5_reject_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/framer_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/packets_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/properties_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reason_codes_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/topic_test.cpp
)

# Session tests: append their portable sources here, e.g.
#   list(APPEND MQTLS_MQTT_PORTABLE_TESTS ${CMAKE_CURRENT_LIST_DIR}/session_test.cpp)
# Everything in this list is also built into the host GoogleTest suite and the host minitest
# check (mqtt/tests/CMakeLists.txt), so new files need no other registration.
list(APPEND MQTLS_MQTT_PORTABLE_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/session_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_qos_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_timing_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_limits_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_window_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_v5_test.cpp
)
