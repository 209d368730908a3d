# Runs one libFuzzer target for a bounded time on a copy of its seed corpus and prints how many
# inputs it executed. Used by the `fuzz`-labelled ctest tests (CMakeLists.txt here):
#   cmake -D FUZZER=<exe> -D SEEDS=<corpus dir> -D WORK=<scratch dir> -D DICT=<mqtt.dict>
#         -D SECONDS=<n> -P run_fuzzer.cmake
# The source corpus is only read: seeds are copied into WORK/corpus, which libFuzzer grows, and
# crash reproducers land in WORK/artifacts. The full libFuzzer log is WORK/fuzz.log.
foreach(var FUZZER SEEDS WORK DICT SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D ${var}=... is required")
  endif()
endforeach()

get_filename_component(name "${FUZZER}" NAME)
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${SEEDS}/*")
file(COPY ${seeds} DESTINATION "${WORK}/corpus")

execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10
          -dict=${DICT} -artifact_prefix=${WORK}/artifacts/ -print_final_stats=1
          "${WORK}/corpus"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE log
  ERROR_VARIABLE log)
file(WRITE "${WORK}/fuzz.log" "${log}")

string(REGEX MATCH "Done ([0-9]+) runs in ([0-9]+) second" done "${log}")
if(done)
  file(GLOB corpus "${WORK}/corpus/*")
  list(LENGTH corpus corpus_size)
  message("${name}: ${CMAKE_MATCH_1} executions in ${CMAKE_MATCH_2} s, corpus ${corpus_size} inputs")
endif()
if(NOT status EQUAL 0)
  # The end of the log holds the sanitizer report and the name of the saved reproducer.
  string(LENGTH "${log}" length)
  if(length GREATER 6000)
    math(EXPR start "${length} - 6000")
    string(SUBSTRING "${log}" ${start} -1 log)
  endif()
  file(GLOB artifacts "${WORK}/artifacts/*")
  message("${log}")
  message(FATAL_ERROR "${name} failed (exit ${status}); reproducers: ${artifacts}\n"
                      "full log: ${WORK}/fuzz.log")
endif()
