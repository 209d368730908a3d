# mqtls_target_defaults(<target>): warnings (as errors with MQTLS_WERROR) and sanitizers, set per
# target rather than globally so that third-party code is compiled with its own flags.
function(mqtls_target_defaults target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(MQTLS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MQTLS_SANITIZE AND NOT CMAKE_CROSSCOMPILING)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# mqtls_embeddable(<target>): the rules of the embeddable layers (core, mqtt, node): no exceptions,
# no RTTI, so a stray throw, dynamic_cast or typeid fails the build on the host too.
function(mqtls_embeddable target)
  target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
endfunction()

# mqtls_add_portable_tests(<prefix> LIBRARY <target> SOURCES <files...> INCLUDES <dirs...>):
# the two host executables every embeddable layer's portable tests get:
#   <prefix>_tests           under GoogleTest, built with the embeddable rules like the code
#   <prefix>_minitest_host   under the bare-metal minitest runner (testing/minitest_main.cpp), so
#                            a GoogleTest-only construct fails here rather than in the cross build
function(mqtls_add_portable_tests prefix)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "LIBRARY" "SOURCES;INCLUDES")
  include(GoogleTest)

  add_executable(${prefix}_tests ${arg_SOURCES})
  target_include_directories(${prefix}_tests PRIVATE ${arg_INCLUDES})
  target_link_libraries(${prefix}_tests PRIVATE ${arg_LIBRARY} GTest::gtest_main)
  mqtls_target_defaults(${prefix}_tests)
  mqtls_embeddable(${prefix}_tests)
  gtest_discover_tests(${prefix}_tests)

  add_executable(${prefix}_minitest_host ${arg_SOURCES}
                 ${PROJECT_SOURCE_DIR}/testing/minitest_main.cpp)
  target_include_directories(${prefix}_minitest_host PRIVATE ${arg_INCLUDES})
  target_compile_definitions(${prefix}_minitest_host PRIVATE MQTLS_MINITEST)
  target_link_libraries(${prefix}_minitest_host PRIVATE ${arg_LIBRARY})
  mqtls_target_defaults(${prefix}_minitest_host)
  mqtls_embeddable(${prefix}_minitest_host)
  add_test(NAME ${prefix}_minitest_host COMMAND ${prefix}_minitest_host)
endfunction()

# A copy of library `from` built again from its own sources with extra compile options (ARGN):
# coverage instrumentation for libFuzzer, -O2 for the benchmarks. The copy is separate so that
# instrumenting it never forces flags onto the programs that link the original.
function(mqtls_library_copy name from)
  get_target_property(sources ${from} SOURCES)
  get_target_property(source_dir ${from} SOURCE_DIR)
  list(TRANSFORM sources PREPEND "${source_dir}/" REGEX "^[^/]")
  add_library(${name} STATIC ${sources})
  target_include_directories(${name}
    PUBLIC $<TARGET_PROPERTY:${from},INTERFACE_INCLUDE_DIRECTORIES>
    PRIVATE $<TARGET_PROPERTY:${from},INCLUDE_DIRECTORIES>)
  # The public definitions shape the headers (MQTLS_MQTT5), so the copy must see the same ones.
  target_compile_definitions(${name}
    PUBLIC $<TARGET_PROPERTY:${from},INTERFACE_COMPILE_DEFINITIONS>)
  target_link_libraries(${name} PUBLIC mqtls::core)
  target_compile_options(${name} PRIVATE ${ARGN})
  mqtls_embeddable(${name})
endfunction()
