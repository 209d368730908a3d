# Fuzz targets beside a layer (mqtt/fuzz, node/fuzz), built one of two ways:
#   MQTLS_FUZZ=ON (clang): libFuzzer executables against a coverage-instrumented copy of the
#       layer; ctest label `fuzz` runs each for MQTLS_FUZZ_SECONDS on a copy of its corpus
#       (mqtt/fuzz/run_fuzzer.cmake), label `fuzz-replay` runs the corpus once.
#   otherwise (any compiler): the same sources linked with mqtt/fuzz/replay_main.cpp; ctest label
#       `fuzz-replay` runs every seed and saved crash, under ASan/UBSan when MQTLS_SANITIZE is on.
#
#   mqtls_add_fuzz_targets(PREFIX mqtt LIBRARY mqtls_mqtt [more...] DICT <file> TARGETS a b ...)
# builds <PREFIX>_fuzz_<target> from <target>.cpp with seeds in corpus/<target> of the calling
# folder, and registers <PREFIX>.fuzz.<target> and <PREFIX>.fuzz_replay.<target>. LIBRARY names
# the libraries linked, each before those it depends on (mqtls_mqtt_server mqtls_mqtt).

set(MQTLS_FUZZ_SECONDS 20 CACHE STRING "Seconds each `fuzz`-labelled ctest runs its fuzz target")
set(_mqtls_fuzz_support ${CMAKE_CURRENT_LIST_DIR}/../mqtt/fuzz)

function(mqtls_add_fuzz_targets)
  cmake_parse_arguments(FUZZ "" "PREFIX;DICT" "LIBRARY;TARGETS" ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus)
  if(MQTLS_FUZZ)
    set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
              -fno-omit-frame-pointer -g)
    # An instrumented copy of each library, linked to the copies of those after it in the list
    # as the originals are to the originals.
    set(library "")
    foreach(original IN LISTS FUZZ_LIBRARY)
      mqtls_library_copy(${original}_fuzzing ${original}
                         -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer -g)
      foreach(earlier IN LISTS library)
        target_link_libraries(${earlier} PUBLIC ${original}_fuzzing)
      endforeach()
      list(APPEND library ${original}_fuzzing)
    endforeach()
  endif()
  foreach(target IN LISTS FUZZ_TARGETS)
    set(exe ${FUZZ_PREFIX}_fuzz_${target})
    if(MQTLS_FUZZ)
      add_executable(${exe} ${target}.cpp)
      target_link_libraries(${exe} PRIVATE ${library})
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
      target_link_libraries(${exe} PRIVATE ${FUZZ_LIBRARY})
      mqtls_target_defaults(${exe})
      set(replay ${exe} ${corpus}/${target})
    endif()
    add_test(NAME ${FUZZ_PREFIX}.fuzz_replay.${target} COMMAND ${replay})
    set_tests_properties(${FUZZ_PREFIX}.fuzz_replay.${target}
                         PROPERTIES LABELS fuzz-replay TIMEOUT 120)
  endforeach()
endfunction()
