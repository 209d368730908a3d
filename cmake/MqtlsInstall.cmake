# Install rules, and the two ways another project finds the installed mqtls (README, "Packaging /
# using mqtls from your project"). `cmake --install <build> --prefix <prefix>` writes:
#
#   bin/mqtls                        the command
#   include/mqtls/...                every layer's public headers, and the generated version.hpp
#   lib/libmqtls_<layer>.a           the static libraries (core and tls_headers are header-only)
#   lib/cmake/mqtls/                 mqtlsConfig.cmake, its version file, mqtlsTargets*.cmake
#                                    (imported targets mqtls::<layer>)
#   lib/mqtls/mbedtls/               with -DMQTLS_MBEDTLS=bundled: the mbedTLS 3.6 it was built
#                                    with (headers, static libraries, its CMake package), in a
#                                    folder of its own so that it never shadows a system mbedTLS
#   lib/pkgconfig/mqtls.pc           the same for Makefiles and other build systems
#   share/doc/mqtls/                 LICENSE, and examples/ (a standalone CMake project)
#
# Layer CMakeLists.txt wrap their include directories in $<BUILD_INTERFACE:...> because an
# exported target must not point into the source tree; INCLUDES DESTINATION below gives the
# installed targets include/ instead.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_mqtls_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/mqtls)
set(_mqtls_staging_dir ${PROJECT_BINARY_DIR}/package)

# Exported under the names the tree's ALIAS targets already use: mqtls_<name> is mqtls::<name>.
set(_mqtls_exported_libraries mqtls_core mqtls_tls_headers mqtls_mqtt mqtls_mqtt_server mqtls_node
                              mqtls_port_posix mqtls_pki mqtls_tls mqtls_link_headers mqtls_link
                              mqtls_link_tls mqtls_client mqtls_node_runtime mqtls_node_stack
                              mqtls_port_posix_node)
foreach(_library IN LISTS _mqtls_exported_libraries)
  string(REGEX REPLACE "^mqtls_" "" _export_name ${_library})
  set_target_properties(${_library} PROPERTIES EXPORT_NAME ${_export_name})
  # A sanitizer build's archives call into the ASan/UBSan runtimes, so whoever links them
  # installed must link those runtimes too (the build's own programs get them from
  # mqtls_target_defaults).
  get_target_property(_type ${_library} TYPE)
  if(MQTLS_SANITIZE AND _type STREQUAL "STATIC_LIBRARY")
    target_link_options(${_library} INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  endif()
endforeach()

install(TARGETS ${_mqtls_exported_libraries} EXPORT mqtlsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS mqtls RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Building `mqtls` builds every installed library (scripts/package-check.sh relies on it); the
# server's half of the codec and the device stack are the ones the command does not link.
add_dependencies(mqtls mqtls_mqtt_server mqtls_node_stack)

# Every layer's headers share the one mqtls/ tree (mqtls/core/..., mqtls/mqtt/..., ...).
foreach(_layer core mqtt tls link link/tls ports/posix client pki node node/runtime node/stack
               ports/posix/node)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${_layer}/include/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/core/include/mqtls/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mqtls)
install(FILES ${PROJECT_BINARY_DIR}/mqtt/include/mqtls/mqtt/build_config.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mqtls/mqtt)

# The CMake package: find_package(mqtls CONFIG).
install(EXPORT mqtlsTargets NAMESPACE mqtls:: DESTINATION ${_mqtls_package_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mqtlsConfig.cmake.in
                              ${_mqtls_staging_dir}/mqtlsConfig.cmake
                              INSTALL_DESTINATION ${_mqtls_package_dir})
# Before 1.0 a minor release may change the API, so 0.1.x satisfies a request for 0.1 but not 0.2.
write_basic_package_version_file(${_mqtls_staging_dir}/mqtlsConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${_mqtls_staging_dir}/mqtlsConfig.cmake ${_mqtls_staging_dir}/mqtlsConfigVersion.cmake
        DESTINATION ${_mqtls_package_dir})
# The exported tls and pki targets name MbedTLS::mbedtls and MbedTLS::mbedx509, which
# mqtlsConfig.cmake finds again: the bundled copy installed here, or the system's.
set(_mqtls_mbedtls_install_dir ${CMAKE_INSTALL_LIBDIR}/mqtls/mbedtls)
if(MQTLS_MBEDTLS STREQUAL "bundled")
  install(DIRECTORY ${MQTLS_MBEDTLS_PREFIX}/include ${MQTLS_MBEDTLS_PREFIX}/lib
          DESTINATION ${_mqtls_mbedtls_install_dir} PATTERN "pkgconfig" EXCLUDE)
endif()

# The pkg-config file. Relative to its own folder (${pcfiledir}), so that the tree still works
# when installed with `cmake --install --prefix` elsewhere than CMAKE_INSTALL_PREFIX, or moved.
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(MQTLS_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(MQTLS_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
file(RELATIVE_PATH MQTLS_PC_PREFIX_FROM_PCFILEDIR "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
string(REGEX REPLACE "/$" "" MQTLS_PC_PREFIX_FROM_PCFILEDIR "${MQTLS_PC_PREFIX_FROM_PCFILEDIR}")
# mbedTLS: the bundled archives beside mqtls (their own folder), or the system's by name.
if(MQTLS_MBEDTLS STREQUAL "bundled")
  set(MQTLS_PC_MBEDTLS_LIBS "-L\${libdir}/mqtls/mbedtls/lib -lmbedtls -lmbedx509 -lmbedcrypto")
else()
  set(MQTLS_PC_MBEDTLS_LIBS "-lmbedtls -lmbedx509 -lmbedcrypto")
endif()
set(MQTLS_PC_SANITIZER_FLAGS "")
if(MQTLS_SANITIZE)
  set(MQTLS_PC_SANITIZER_FLAGS " -fsanitize=address,undefined")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mqtls.pc.in ${_mqtls_staging_dir}/mqtls.pc @ONLY)
install(FILES ${_mqtls_staging_dir}/mqtls.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
