#include "mqtls/client/device_link.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "mqtls/link/tls_channel.hpp"
#include "mqtls/mqtt/session.hpp"
#include "mqtls/port/posix/entropy.hpp"
#include "mqtls/tls/config.hpp"
#include "mqtls/tls/session.hpp"

namespace mqtls::client {
namespace {

constexpr std::size_t kib = 1024;
// tx: the largest packet and room behind it; store: a window of readings kept for resending.
using DeviceSessionStorage =
    mqtt::SessionStorage<device_link_max_packet, 2 * device_link_max_packet, 64 * kib,
                         device_link_max_in_flight, 16, 4>;
// Stream reads and decrypted plaintext: a whole TLS record per read.
constexpr std::size_t scratch_bytes = 32 * kib;

}  // namespace

struct DeviceLink::Impl {
    Impl(const ClientOptions& client_options, link::ByteStream& stream, MonotonicClock clock)
        : options(client_options),
          storage(std::make_unique<DeviceSessionStorage>()),
          scratch(scratch_bytes),
          sealed(tls::max_sealed_session_size),
          channel(tls_config),
          connection(channel, stream, clock, settings(),
                     link::ConnectionMemory{storage->memory(),
                                            mutable_bytes(scratch.data(), scratch.size()),
                                            mutable_bytes(sealed.data(), sealed.size())}) {}

    [[nodiscard]] link::ConnectionSettings settings() {
        link::ConnectionSettings settings = connection_settings_of(options);
        settings.session_store = &sessions;
        return settings;
    }

    const ClientOptions& options;
    std::unique_ptr<DeviceSessionStorage> storage;
    std::vector<std::uint8_t> scratch;
    std::vector<std::uint8_t> sealed;
    tls::RamSessionStore sessions;
    tls::Config tls_config;
    link::TlsChannel channel;
    link::Connection connection;  // after what it refers to
};

DeviceLink::DeviceLink(const ClientOptions& options, link::ByteStream& stream, MonotonicClock clock)
    : impl_(std::make_unique<Impl>(options, stream, clock)) {}

DeviceLink::~DeviceLink() = default;

Result<void> DeviceLink::set_up() noexcept {
    const ClientOptions& options = impl_->options;
    MQTLS_TRY(impl_->tls_config.setup(tls_client_options(options)));
    link::ConnectionSettings keyed = impl_->settings();
    MQTLS_TRY(port::posix::fill_random(keyed.session_key.bytes));
    impl_->connection.reconfigure(keyed);
    return impl_->connection.set_protocol(options.protocol);
}

link::Connection& DeviceLink::connection() noexcept { return impl_->connection; }

}  // namespace mqtls::client
