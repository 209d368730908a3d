# Repository gates registered as ctest tests of the host build, so that the one ctest summary at
# the end of scripts/test.sh covers them too. Each test runs a script from scripts/, which
# (re)builds what it needs incrementally; all carry the label `checks` (`ctest -LE checks` skips
# them, `-DMQTLS_CHECKS=OFF` does not register them).
#
#   lint.clang-format          scripts/format-check.sh: clang-format --dry-run -Werror
#   lint.clang-tidy            scripts/tidy.sh: .clang-tidy over the library sources (complexity,
#                              naming, bugprone), using this build's compile_commands.json
#   embedded.<target>          scripts/embedded-check.sh <target>: cross build, QEMU run of the
#                              portable tests, the firmware images, size table,
#                              no-heap/no-exception symbol gate; it is the fixture (setup) of the
#                              firmware.<target>.* tests (firmware/tests), which run its images
#   embedded.size-gate         scripts/size-gate.sh: .text of the client codec + session
#                              (libmqtls_mqtt.a), MQTT 3.1.1-only and with MQTT 5, Cortex-M4 and
#                              rv32imc -Os, beside coreMQTT; fails over the Cortex-M4 ceilings
#   fuzz.libfuzzer-replay      scripts/fuzz.sh --replay: clang libFuzzer build in build/fuzz,
#                              every corpus input once (the timed fuzzing is a scripts/test.sh stage)
#   readme.main-command        scripts/demo.sh, the README's main job, for a few seconds: its
#                              package check, its Release build (build/demo) and `mqtls demo`,
#                              which exits 0 only when well-formed readings arrived over TLS
#   package.install-and-consume  scripts/package-check.sh: `cmake --install` of build/demo into
#                              a scratch prefix, examples/ built against it (find_package and
#                              pkg-config) and run, one reading through a real broker

set(_mqtls_scripts ${PROJECT_SOURCE_DIR}/scripts)
set(MQTLS_CHECKS_BUILD_ROOT ${PROJECT_SOURCE_DIR}/build CACHE PATH
    "Where the gate tests keep their own build trees (embedded-<target>, fuzz)")
set(_mqtls_checks_env MQTLS_BUILD_ROOT=${MQTLS_CHECKS_BUILD_ROOT})

find_program(MQTLS_CLANG_FORMAT NAMES clang-format-14 clang-format)
if(MQTLS_CLANG_FORMAT)
  add_test(NAME lint.clang-format COMMAND ${_mqtls_scripts}/format-check.sh)
  set_tests_properties(lint.clang-format PROPERTIES LABELS "checks;lint" TIMEOUT 300
                       ENVIRONMENT CLANG_FORMAT=${MQTLS_CLANG_FORMAT})
else()
  message(WARNING "clang-format not found: lint.clang-format not registered (scripts/install-deps.sh)")
endif()

find_program(MQTLS_CLANG_TIDY NAMES clang-tidy-14 clang-tidy)
if(MQTLS_CLANG_TIDY)
  add_test(NAME lint.clang-tidy COMMAND ${_mqtls_scripts}/tidy.sh)
  set_tests_properties(lint.clang-tidy PROPERTIES LABELS "checks;lint" TIMEOUT 1500
                       ENVIRONMENT "BUILD_DIR=${CMAKE_BINARY_DIR};CLANG_TIDY=${MQTLS_CLANG_TIDY}")
else()
  message(WARNING "clang-tidy not found: lint.clang-tidy not registered (scripts/install-deps.sh)")
endif()

set(MQTLS_FIRMWARE_TARGETS "")
# cortex-m4-lean: the Cortex-M4 images with MQTLS_DEVICE_TLS_PROFILE=lean (its size gate).
foreach(_target cortex-m4 cortex-m4-lean rv32imc)
  if(_target MATCHES "^cortex-m4")
    set(_tools arm-none-eabi-gcc qemu-system-arm)
  else()
    set(_tools riscv64-unknown-elf-gcc qemu-system-riscv32)
  endif()
  set(_missing "")
  foreach(_tool IN LISTS _tools)
    find_program(MQTLS_TOOL_${_tool} ${_tool})
    if(NOT MQTLS_TOOL_${_tool})
      list(APPEND _missing ${_tool})
    endif()
  endforeach()
  if(_missing)
    message(WARNING "${_missing} not found: embedded.${_target} not registered (scripts/install-deps.sh)")
    continue()
  endif()
  add_test(NAME embedded.${_target} COMMAND ${_mqtls_scripts}/embedded-check.sh ${_target})
  # Builds the cross tree from scratch on the first run (~1 min), then only re-links what changed.
  set_tests_properties(embedded.${_target} PROPERTIES LABELS "checks;embedded" TIMEOUT 900
                       ENVIRONMENT ${_mqtls_checks_env}
                       FIXTURES_SETUP mqtls-firmware-${_target})
  list(APPEND MQTLS_FIRMWARE_TARGETS ${_target})
endforeach()

# The MQTT size gate needs both cross toolchains (its table has both targets).
if(MQTLS_TOOL_arm-none-eabi-gcc AND MQTLS_TOOL_riscv64-unknown-elf-gcc)
  add_test(NAME embedded.size-gate COMMAND ${_mqtls_scripts}/size-gate.sh)
  set_tests_properties(embedded.size-gate PROPERTIES LABELS "checks;embedded" TIMEOUT 600
                       ENVIRONMENT ${_mqtls_checks_env})
endif()

find_program(MQTLS_CLANGXX_FOR_FUZZ NAMES clang++-14)
if(MQTLS_CLANGXX_FOR_FUZZ)
  add_test(NAME fuzz.libfuzzer-replay COMMAND ${_mqtls_scripts}/fuzz.sh --replay)
  set_tests_properties(fuzz.libfuzzer-replay PROPERTIES LABELS "checks;fuzz-libfuzzer" TIMEOUT 900
                       ENVIRONMENT ${_mqtls_checks_env})
endif()

# The README's main command exactly as a user runs it (bounded by --duration).
add_test(NAME readme.main-command
         COMMAND ${_mqtls_scripts}/demo.sh --duration 4 --interval 0.5)
set_tests_properties(readme.main-command PROPERTIES LABELS "checks;readme" TIMEOUT 900
                     ENVIRONMENT ${_mqtls_checks_env} RESOURCE_LOCK mqtls-build-demo)

# `cmake --install` of the Release tree into a scratch prefix, and examples/ built against it
# with find_package and pkg-config and run (scripts/package-check.sh). It builds in the tree
# readme.main-command builds (build/demo), hence the shared lock.
add_test(NAME package.install-and-consume COMMAND ${_mqtls_scripts}/package-check.sh)
set_tests_properties(package.install-and-consume PROPERTIES LABELS "checks;package" TIMEOUT 900
                     ENVIRONMENT ${_mqtls_checks_env} RESOURCE_LOCK mqtls-build-demo)

# The README's hand-made set-up block, extracted from README.md and run line by line as written
# (scripts/readme-commands.sh), in a network namespace of its own so that its port 8883 is free.
if(TARGET mqtls)
  add_test(NAME readme.hand-made-setup
           COMMAND ${_mqtls_scripts}/readme-commands.sh $<TARGET_FILE:mqtls> hand-made-setup)
  set_tests_properties(readme.hand-made-setup PROPERTIES LABELS "checks;readme" TIMEOUT 300
                       SKIP_RETURN_CODE 77)
endif()
