# The node runtime's simulation tests (NodeRunner and run_wake_cycle through seeded fault
# schedules), run unchanged on the host (GoogleTest, 1,500 schedules each) and under QEMU in the
# cross build's simulation runner (the minitest, 150 schedules each). Like link's, they need a
# heap for the harness (testing/sim), so they join mqtls_embedded_sim_tests
# (embedded/CMakeLists.txt); libmqtls_node_runtime.a itself is gated heap-free by
# scripts/embedded-check.sh.

get_filename_component(_mqtls_testing_dir "${CMAKE_CURRENT_LIST_DIR}/../../../testing" ABSOLUTE)
set(MQTLS_NODE_RUNTIME_PORTABLE_TEST_INCLUDE_DIRS
  ${_mqtls_testing_dir}       # mqtls_test.hpp
  ${CMAKE_CURRENT_LIST_DIR}   # sim_device.hpp
)
unset(_mqtls_testing_dir)

set(MQTLS_NODE_RUNTIME_PORTABLE_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/node_runner_sim_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/node_runner_window_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wake_cycle_sim_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mqtt5_runtime_test.cpp
)
