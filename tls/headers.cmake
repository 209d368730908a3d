# The tls headers alone (mqtls::tls_headers), for code that only implements or passes their
# interfaces (a port's SessionStore, link::Connection) and so must not pull mbedTLS and the
# calloc/free wrap into every program. Header-only and free of mbedTLS, so it is defined here,
# apart from tls/CMakeLists.txt (which requires mbedTLS): the cross build includes this file
# alone, to build the link layer where mbedTLS is not built yet.
include_guard(GLOBAL)

add_library(mqtls_tls_headers INTERFACE)
add_library(mqtls::tls_headers ALIAS mqtls_tls_headers)
target_include_directories(mqtls_tls_headers
                           INTERFACE $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>)
target_link_libraries(mqtls_tls_headers INTERFACE mqtls::core)
