# Fuzz targets beside a layer (mqtt/fuzz, node/fuzz), built one of two ways:
#   MQTLS_FUZZ=ON (clang): libFuzzer executables against a coverage-instrumented copy of the
#       layer; ctest label `fuzz` runs each for MQTLS_FUZZ_SECONDS on a copy of its corpus
#       (mqtt/fuzz/run_fuzzer.cmake), label `fuzz-replay` runs the corpus once.
#   otherwise (any compiler): the same sources linked with mqtt/fuzz/replay_main.cpp; ctest label
#       `fuzz-replay` runs every seed and saved crash, under ASan/UBSan when MQTLS_SANITIZE is on.
#
#   mqtls_add_fuzz_targets(PREFIX mqtt LIBRARY mqtls_mqtt [EXTRA_LIBRARY mqtls_mqtt_server]
#                          DICT <file> TARGETS a b ...)
# builds <PREFIX>_fuzz_<target> from <target>.cpp with seeds in corpus/<target> of the calling
# folder, and registers <PREFIX>.fuzz.<target> and <PREFIX>.fuzz_replay.<target>. EXTRA_LIBRARY is
# a library built on LIBRARY that the targets link too; when fuzzing, its copy links LIBRARY's.

set(MQTLS_FUZZ_SECONDS 20 CACHE STRING "Seconds each `fuzz`-labelled ctest runs its fuzz target")
set(_mqtls_fuzz_support ${CMAKE_CURRENT_LIST_DIR}/../mqtt/fuzz)

function(mqtls_add_fuzz_targets)
  cmake_parse_arguments(FUZZ "" "PREFIX;LIBRARY;EXTRA_LIBRARY;DICT" "TARGETS" ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus)
  if(MQTLS_FUZZ)
    set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
              -fno-omit-frame-pointer -g)
    set(library ${FUZZ_LIBRARY}_fuzzing)
    mqtls_library_copy(${library} ${FUZZ_LIBRARY} -fsanitize=fuzzer-no-link,address,undefined
                       -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    if(FUZZ_EXTRA_LIBRARY)
      set(extra ${FUZZ_EXTRA_LIBRARY}_fuzzing)
      mqtls_library_copy(${extra} ${FUZZ_EXTRA_LIBRARY} -fsanitize=fuzzer-no-link,address,undefined
                         -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
      target_link_libraries(${extra} PUBLIC ${library})
    endif()
  else()
    set(library ${FUZZ_LIBRARY})
    set(extra ${FUZZ_EXTRA_LIBRARY})
  endif()
  foreach(target IN LISTS FUZZ_TARGETS)
    set(exe ${FUZZ_PREFIX}_fuzz_${target})
    if(MQTLS_FUZZ)
      add_executable(${exe} ${target}.cpp)
      target_link_libraries(${exe} PRIVATE ${extra} ${library})
      target_compile_options(${exe} PRIVATE ${flags})
      target_link_options(${exe} PRIVATE ${flags})
      mqtls_target_defaults(${exe})
      add_test(NAME ${FUZZ_PREFIX}.fuzz.${target}
               COMMAND ${CMAKE_COMMAND}
                       -D FUZZER=$<TARGET_FILE:${exe}>
                       -D SEEDS=${corpus}/${target}
                       -D WORK=${CMAKE_CURRENT_BINARY_DIR}/work/${target}
                       -D DICT=${FUZZ_DICT}
                       -D SECONDS=${MQTLS_FUZZ_SECONDS}
                       -P ${_mqtls_fuzz_support}/run_fuzzer.cmake)
      math(EXPR timeout "${MQTLS_FUZZ_SECONDS} + 120")
      set_tests_properties(${FUZZ_PREFIX}.fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT ${timeout})
      # -runs=0: run every input of the corpus once, then stop.
      set(replay ${exe} -runs=0 ${corpus}/${target})
    else()
      add_executable(${exe} ${target}.cpp ${_mqtls_fuzz_support}/replay_main.cpp)
      target_link_libraries(${exe} PRIVATE ${extra} ${library})
      mqtls_target_defaults(${exe})
      set(replay ${exe} ${corpus}/${target})
    endif()
    add_test(NAME ${FUZZ_PREFIX}.fuzz_replay.${target} COMMAND ${replay})
    set_tests_properties(${FUZZ_PREFIX}.fuzz_replay.${target}
                         PROPERTIES LABELS fuzz-replay TIMEOUT 120)
  endforeach()
endfunction()
