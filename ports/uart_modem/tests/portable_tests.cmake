# The UART modem link's tests, portable (testing/mqtls_test.hpp): GoogleTest on the host, the
# minitest runner under QEMU (embedded/CMakeLists.txt).
get_filename_component(_mqtls_testing_dir "${CMAKE_CURRENT_LIST_DIR}/../../../testing" ABSOLUTE)
set(MQTLS_UART_MODEM_PORTABLE_TEST_INCLUDE_DIRS ${_mqtls_testing_dir} ${CMAKE_CURRENT_LIST_DIR})
unset(_mqtls_testing_dir)
set(MQTLS_UART_MODEM_PORTABLE_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/frame_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/modem_stream_test.cpp
)
