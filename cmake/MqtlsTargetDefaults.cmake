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
