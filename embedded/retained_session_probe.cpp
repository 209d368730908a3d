// The size probe of tls::RetainedSessionStore (embedded/CMakeLists.txt): each operation once,
// out of line, as a firmware would call it over its RTC_DATA_ATTR region. Never run.
#include "mqtls/tls/retained_session_store.hpp"

namespace mqtls::embedded_probe {

Result<std::size_t> retained_session_load(mutable_bytes region, mutable_bytes out) noexcept {
    tls::RetainedSessionStore store(region);
    return store.load(out);
}

Result<void> retained_session_save(mutable_bytes region, bytes_view sealed) noexcept {
    tls::RetainedSessionStore store(region);
    return store.save(sealed);
}

Result<void> retained_session_erase(mutable_bytes region) noexcept {
    tls::RetainedSessionStore store(region);
    return store.erase();
}

RetainedContents retained_session_contents(mutable_bytes region) noexcept {
    return tls::RetainedSessionStore(region).contents();
}

}  // namespace mqtls::embedded_probe
