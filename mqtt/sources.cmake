# The mqtt layer's sources, named once for every build that compiles them: mqtt/CMakeLists.txt and
# the ESP-IDF component (ports/espidf/CMakeLists.txt). MQTT 5's code lives in files of its own, so
# that a 3.1.1-only build (MQTLS_MQTT5=OFF) compiles none of it.
set(MQTLS_MQTT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/codec_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/codec_encode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/framer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/packets.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/topic.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/wire.cpp
)
set(MQTLS_MQTT5_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/codec_rules_v5.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/properties.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/reason_codes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/session_topic_alias.cpp
)
# mqtls/mqtt/build_config.hpp from build_config.hpp.in, MQTLS_MQTT5 (ON/OFF), into `directory`
# (the directory that is then on the include path).
function(mqtls_mqtt_build_config directory)
  if(MQTLS_MQTT5)
    set(MQTLS_MQTT5_VALUE 1)
  else()
    set(MQTLS_MQTT5_VALUE 0)
  endif()
  configure_file(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/build_config.hpp.in
                 ${directory}/mqtls/mqtt/build_config.hpp @ONLY)
endfunction()
